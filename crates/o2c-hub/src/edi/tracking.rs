//! What the hub remembers per received PO until its 855 is out: the 850
//! (to echo it), the orders it became, the deadline, the alert raised, and
//! the control numbers chosen for each outbound document, so a document
//! rebuilt after a crash is byte for byte the one already written. All of
//! it lives in the store ([`o2c_store::EdiState`]), versioned, so hub
//! instances sharing a PostgreSQL database share it safely (ADR 0014).

use chrono::{DateTime, Utc};
use o2c_store::{EdiNumbers, EdiPoClose, ExceptionClosure, NewAuditEntry, Store, StoreError};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum TrackError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("EDI PO {po} of {partner}: the stored tracking does not read back: {message}")]
    Corrupt {
        partner: String,
        po: String,
        message: String,
    },
    #[error("X12 control number {value} does not fit nine digits")]
    OutOfRange { value: i64 },
}

/// One stored order of a PO and the PO lines it carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackedOrder {
    pub order_id: Uuid,
    pub channel_order_id: String,
    /// (index of the PO1 line, quantity in this order).
    pub lines: Vec<(usize, Decimal)>,
}

/// The numbers and time an outbound document was built with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outbound {
    pub interchange: u32,
    pub group: u32,
    pub set: u32,
    pub at: DateTime<Utc>,
}

impl TryFrom<EdiNumbers> for Outbound {
    type Error = TrackError;

    fn try_from(n: EdiNumbers) -> Result<Self, TrackError> {
        let fit = |value: i64| u32::try_from(value).map_err(|_| TrackError::OutOfRange { value });
        Ok(Self {
            interchange: fit(n.interchange)?,
            group: fit(n.group)?,
            set: fit(n.set)?,
            at: n.at,
        })
    }
}

/// The 855 decided for a PO.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedAck {
    /// BAK02 (`AD`, `AC`, `RD`).
    pub ack_type: String,
    pub decisions: Vec<o2c_formats::x12::ack855::LineDecision>,
    pub numbers: Outbound,
    pub file: String,
    /// Set once the file is written.
    pub written: bool,
    /// Why orders of the PO were rejected (Odoo's words, the hold).
    #[serde(default)]
    pub reasons: Vec<RejectReason>,
}

/// Why one order's lines were rejected in the 855.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RejectReason {
    pub order_id: Uuid,
    pub reason: String,
    /// A short code for the partner (`REFUSED`, `HELD`, `CANCELLED`); empty
    /// in plans saved before codes existed.
    #[serde(default)]
    pub code: String,
}

/// Why a PO could not become orders.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unmapped {
    /// The `mapping-failed` problem (RFC 9457 body).
    pub problem: Value,
    /// The `mapping_failed` exception opened for it.
    pub exception: Uuid,
    /// The kept file (rejected messages), when it could be kept.
    pub rejected_message: Option<Uuid>,
    /// An operator cancelled the PO: the 855 rejects it (`RJ`) even for a
    /// partner that waits for a corrected 850.
    #[serde(default)]
    pub cancelled: bool,
}

/// A PO waiting for (or done with) its 855.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PoTrack {
    pub partner: String,
    pub po_number: String,
    pub received_at: DateTime<Utc>,
    pub deadline: DateTime<Utc>,
    /// The mapping input: envelope ids and the typed 850.
    pub document: Value,
    pub orders: Vec<TrackedOrder>,
    /// The open `ack_deadline_at_risk` exception, if one was raised.
    pub alert: Option<Uuid>,
    pub alert_open: bool,
    pub ack: Option<PlannedAck>,
    /// Set when the 850 could not be mapped to orders: why, and where the
    /// operator finds it. A PO with orders ignores it (a corrected resend).
    #[serde(default)]
    pub unmapped: Option<Unmapped>,
    /// 0 for the first 855; +1 each time an operator overrode what the
    /// partner was told and a replacing 855 (BAK01 `05`) is due.
    #[serde(default)]
    pub revision: u32,
    /// The 855 files the next one replaces, oldest first.
    #[serde(default)]
    pub replaces: Vec<String>,
    /// The store's version of this track (not part of its JSON).
    #[serde(skip)]
    pub version: Option<i64>,
}

impl PoTrack {
    /// A PO just received from `partner`, due by `deadline`: no orders,
    /// nothing raised, planned or answered yet, and not yet in the store.
    pub fn received(
        partner: impl Into<String>,
        po_number: impl Into<String>,
        received_at: DateTime<Utc>,
        deadline: DateTime<Utc>,
        document: Value,
    ) -> Self {
        PoTrack {
            partner: partner.into(),
            po_number: po_number.into(),
            received_at,
            deadline,
            document,
            orders: Vec::new(),
            alert: None,
            alert_open: false,
            ack: None,
            unmapped: None,
            revision: 0,
            replaces: Vec::new(),
            version: None,
        }
    }

    /// The same track with the orders made from the PO.
    pub fn with_orders(mut self, orders: Vec<TrackedOrder>) -> Self {
        self.orders = orders;
        self
    }

    /// The same track for a PO that could not be mapped to orders.
    pub fn with_unmapped(mut self, unmapped: Unmapped) -> Self {
        self.unmapped = Some(unmapped);
        self
    }
}

/// A filename-safe, collision-free name for a PO number.
pub fn po_key(po_number: &str) -> String {
    let safe: String = po_number
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(40)
        .collect();
    let digest = Sha256::digest(po_number.as_bytes());
    format!("{safe}-{}", hex::encode(&digest[..4]))
}

/// The tracked POs of one partner, in the store.
pub struct Tracks<'a> {
    store: &'a dyn Store,
    partner: String,
}

/// How many times a save that lost a race is merged and tried again.
const MERGE_ATTEMPTS: usize = 5;

impl<'a> Tracks<'a> {
    pub fn new(store: &'a dyn Store, partner: &str) -> Self {
        Self {
            store,
            partner: partner.to_owned(),
        }
    }

    fn read(&self, record: o2c_store::EdiPoRecord) -> Result<PoTrack, TrackError> {
        let mut track: PoTrack =
            serde_json::from_value(record.track).map_err(|e| TrackError::Corrupt {
                partner: self.partner.clone(),
                po: record.po_number.clone(),
                message: e.to_string(),
            })?;
        track.version = Some(record.version);
        Ok(track)
    }

    fn json(track: &PoTrack) -> Result<Value, TrackError> {
        serde_json::to_value(track).map_err(|e| TrackError::Corrupt {
            partner: track.partner.clone(),
            po: track.po_number.clone(),
            message: e.to_string(),
        })
    }

    /// Records a PO's orders; a PO seen before keeps its first arrival and
    /// deadline and gains any order it did not list yet. Two instances
    /// taking the same PO at once both end up in one merged track.
    pub async fn record(&self, track: PoTrack) -> Result<PoTrack, TrackError> {
        let mut last = None;
        for _ in 0..MERGE_ATTEMPTS {
            let existing = match self
                .store
                .load_edi_po(&self.partner, &track.po_number)
                .await?
            {
                Some(record) if !record.open => {
                    // Already answered: a resent 850 does not reopen it.
                    return self.read(record);
                }
                Some(record) => Some(self.read(record)?),
                None => None,
            };
            let merged = match existing {
                Some(mut existing) => {
                    let before = existing.orders.len();
                    for order in &track.orders {
                        if !existing.orders.iter().any(|o| o.order_id == order.order_id) {
                            existing.orders.push(order.clone());
                        }
                    }
                    if existing.orders.len() == before {
                        return Ok(existing);
                    }
                    existing
                }
                None => PoTrack {
                    version: None,
                    ..track.clone()
                },
            };
            match self.save(&merged).await {
                Ok(saved) => return Ok(saved),
                Err(TrackError::Store(StoreError::Conflict(message))) => {
                    last = Some(message);
                }
                Err(other) => return Err(other),
            }
        }
        Err(TrackError::Store(StoreError::Conflict(
            last.unwrap_or_default(),
        )))
    }

    /// Saves an open track over the version it was read at (or creates
    /// it); [`StoreError::Conflict`] when another writer got there first.
    pub async fn save(&self, track: &PoTrack) -> Result<PoTrack, TrackError> {
        let version = self
            .store
            .save_edi_po(
                &self.partner,
                &track.po_number,
                true,
                &Self::json(track)?,
                track.received_at,
                track.version,
                Utc::now(),
            )
            .await?;
        Ok(PoTrack {
            version: Some(version),
            ..track.clone()
        })
    }

    /// Every open track, oldest first.
    pub async fn open(&self) -> Result<Vec<PoTrack>, TrackError> {
        self.store
            .open_edi_pos(&self.partner, i64::MAX)
            .await?
            .into_iter()
            .map(|record| self.read(record))
            .collect()
    }

    /// Marks an answered track done, in one store commit with the audit
    /// entry of the answer and the close of the deadline alert it resolves
    /// (when still open): an answer is on record exactly when its track is
    /// closed. [`StoreError::Conflict`] (nothing written) when another
    /// writer moved the track on.
    pub async fn close(
        &self,
        track: &PoTrack,
        alert: Option<ExceptionClosure>,
        audit: NewAuditEntry,
    ) -> Result<PoTrack, TrackError> {
        let Some(expected_version) = track.version else {
            // Only a stored track is answered (its plan is saved first).
            return Err(TrackError::Store(StoreError::Conflict(format!(
                "EDI PO {} of {} is not stored yet",
                track.po_number, self.partner
            ))));
        };
        let version = self
            .store
            .close_edi_po(EdiPoClose {
                partner: self.partner.clone(),
                po_number: track.po_number.clone(),
                track: Self::json(track)?,
                expected_version,
                alert,
                // the answer's own time, as its audit entry has it
                at: audit.at,
                audit,
            })
            .await?;
        Ok(PoTrack {
            version: Some(version),
            ..track.clone()
        })
    }

    /// The track of a PO, answered or not.
    pub async fn get(&self, po_number: &str) -> Result<Option<PoTrack>, TrackError> {
        match self.store.load_edi_po(&self.partner, po_number).await? {
            Some(record) => self.read(record).map(Some),
            None => Ok(None),
        }
    }

    /// The track of an answered PO.
    pub async fn done(&self, po_number: &str) -> Result<Option<PoTrack>, TrackError> {
        match self.store.load_edi_po(&self.partner, po_number).await? {
            Some(record) if !record.open => self.read(record).map(Some),
            _ => Ok(None),
        }
    }

    /// The numbers for the outbound document `document` (`997:…`,
    /// `855:…`): the ones chosen before if it was already (perhaps partly)
    /// sent, else fresh ones, recorded in the store before they are used.
    pub async fn numbers_for(
        &self,
        document: &str,
        now: DateTime<Utc>,
    ) -> Result<Outbound, TrackError> {
        let numbers = self
            .store
            .edi_document_numbers(&self.partner, document, now)
            .await?;
        Outbound::try_from(numbers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn track(po: &str, order: Uuid) -> PoTrack {
        PoTrack::received("acme", po, Utc::now(), Utc::now(), json!({})).with_orders(vec![
            TrackedOrder {
                order_id: order,
                channel_order_id: po.into(),
                lines: vec![(0, Decimal::ONE)],
            },
        ])
    }

    fn written(po: &str) -> NewAuditEntry {
        NewAuditEntry {
            actor: "system:edi".into(),
            action: "edi.855.written".into(),
            subject: format!("edi:rk:po:{po}"),
            details: json!({}),
            correlation_id: format!("edi:rk:{po}"),
            at: Utc::now(),
        }
    }

    async fn store() -> std::sync::Arc<dyn Store> {
        o2c_store::open("sqlite::memory:").await.expect("store")
    }

    #[test]
    fn keys_are_safe_and_distinct() {
        assert!(po_key("A/B").starts_with("A_B-"));
        assert_ne!(po_key("A/B"), po_key("A_B"));
    }

    #[tokio::test]
    async fn a_resent_po_merges_and_an_answered_one_stays_closed() {
        let store = store().await;
        let tracks = Tracks::new(store.as_ref(), "rk");
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let first = tracks.record(track("PO1", a)).await.expect("record");
        let merged = tracks.record(track("PO1", b)).await.expect("record");
        assert_eq!(merged.orders.len(), 2);
        assert_eq!(merged.received_at, first.received_at);
        assert_eq!(
            tracks
                .record(track("PO1", a))
                .await
                .expect("again")
                .orders
                .len(),
            2
        );
        assert_eq!(tracks.open().await.expect("open").len(), 1);
        tracks
            .close(&merged, None, written("PO1"))
            .await
            .expect("close");
        assert!(tracks.open().await.expect("open").is_empty());
        tracks.record(track("PO1", a)).await.expect("resent");
        assert!(tracks.open().await.expect("open").is_empty());
        assert!(tracks.done("PO1").await.expect("done").is_some());
    }

    #[tokio::test]
    async fn a_stale_track_is_not_saved_over_a_newer_one() {
        let store = store().await;
        let tracks = Tracks::new(store.as_ref(), "rk");
        let saved = tracks
            .record(track("PO2", Uuid::now_v7()))
            .await
            .expect("record");
        let mut mine = saved.clone();
        mine.alert_open = true;
        tracks.save(&mine).await.expect("first writer");
        // Another instance read the same version and saves after us.
        assert!(matches!(
            tracks.close(&saved, None, written("PO2")).await,
            Err(TrackError::Store(StoreError::Conflict(_)))
        ));
        assert!(tracks.open().await.expect("open")[0].alert_open);
        // ...and the lost close audited nothing.
        assert!(store.list_audit(0, 10).await.expect("audit").is_empty());
    }

    #[tokio::test]
    async fn numbers_are_chosen_once_per_document() {
        let store = store().await;
        let tracks = Tracks::new(store.as_ref(), "rk");
        let first = tracks.numbers_for("997:x", Utc::now()).await.expect("n");
        let again = tracks.numbers_for("997:x", Utc::now()).await.expect("n");
        assert_eq!(first, again);
        let other = tracks.numbers_for("997:y", Utc::now()).await.expect("n");
        assert_eq!(other.interchange, first.interchange + 1);
    }
}
