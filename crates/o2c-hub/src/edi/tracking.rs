//! What the hub remembers per received PO until its 855 is out: the 850
//! (to echo it), the orders it became, the deadline, the alert raised, and
//! the control numbers chosen for each outbound document, so a document
//! rebuilt after a crash is byte for byte the one already written.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::files::{Allocated, ControlCounter, FileError, write_atomic};

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

impl From<(Allocated, DateTime<Utc>)> for Outbound {
    fn from((a, at): (Allocated, DateTime<Utc>)) -> Self {
        Self {
            interchange: a.interchange,
            group: a.group,
            set: a.set,
            at,
        }
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

/// The open and done tracks of one partner.
pub struct Tracks {
    open: PathBuf,
    done: PathBuf,
}

fn corrupt(path: &Path, e: serde_json::Error) -> FileError {
    FileError::Corrupt {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Option<T>, FileError> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| corrupt(path, e)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(FileError::Io {
            path: path.display().to_string(),
            source,
        }),
    }
}

fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), FileError> {
    let bytes = serde_json::to_vec_pretty(value).map_err(|e| corrupt(path, e))?;
    write_atomic(path, &bytes)
}

impl Tracks {
    pub fn new(partner_state: &Path) -> Self {
        Self {
            open: partner_state.join("acks/open"),
            done: partner_state.join("acks/done"),
        }
    }

    fn open_path(&self, po_number: &str) -> PathBuf {
        self.open.join(format!("{}.json", po_key(po_number)))
    }

    fn done_path(&self, po_number: &str) -> PathBuf {
        self.done.join(format!("{}.json", po_key(po_number)))
    }

    /// Records a PO's orders; a PO seen before keeps its first arrival and
    /// deadline and gains any order it did not list yet.
    pub fn record(&self, track: PoTrack) -> Result<PoTrack, FileError> {
        if read_json::<PoTrack>(&self.done_path(&track.po_number))?.is_some() {
            // Already answered: a resent 850 does not reopen it.
            return Ok(track);
        }
        let path = self.open_path(&track.po_number);
        let merged = match read_json::<PoTrack>(&path)? {
            Some(mut existing) => {
                for order in track.orders {
                    if !existing.orders.iter().any(|o| o.order_id == order.order_id) {
                        existing.orders.push(order);
                    }
                }
                existing
            }
            None => track,
        };
        write_json(&path, &merged)?;
        Ok(merged)
    }

    pub fn save(&self, track: &PoTrack) -> Result<(), FileError> {
        write_json(&self.open_path(&track.po_number), track)
    }

    /// Every open track (unreadable files are reported, not skipped).
    pub fn open(&self) -> Result<Vec<PoTrack>, FileError> {
        let entries = match std::fs::read_dir(&self.open) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => {
                return Err(FileError::Io {
                    path: self.open.display().to_string(),
                    source,
                });
            }
        };
        let mut tracks = Vec::new();
        for entry in entries.flatten() {
            let path = entry.path();
            let is_track = path.extension().is_some_and(|e| e == "json")
                && !entry.file_name().to_string_lossy().starts_with('.');
            if is_track && let Some(track) = read_json::<PoTrack>(&path)? {
                tracks.push(track);
            }
        }
        tracks.sort_by_key(|t| t.received_at);
        Ok(tracks)
    }

    /// Moves an answered track out of the open set.
    pub fn close(&self, track: &PoTrack) -> Result<(), FileError> {
        write_json(&self.done_path(&track.po_number), track)?;
        let open = self.open_path(&track.po_number);
        match std::fs::remove_file(&open) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(FileError::Io {
                path: open.display().to_string(),
                source,
            }),
        }
    }

    pub fn done(&self, po_number: &str) -> Result<Option<PoTrack>, FileError> {
        read_json(&self.done_path(po_number))
    }
}

/// The numbers for an outbound document identified by `marker`: the ones
/// chosen before if the document was already (perhaps partly) sent, else
/// fresh ones, recorded before they are used.
pub async fn numbers_for(
    marker: &Path,
    counter: &ControlCounter,
    now: DateTime<Utc>,
) -> Result<Outbound, FileError> {
    if let Some(existing) = read_json::<Outbound>(marker)? {
        return Ok(existing);
    }
    let numbers = Outbound::from((counter.next().await?, now));
    write_json(marker, &numbers)?;
    Ok(numbers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn track(po: &str, order: Uuid) -> PoTrack {
        PoTrack {
            partner: "rk".into(),
            po_number: po.into(),
            received_at: Utc::now(),
            deadline: Utc::now(),
            document: json!({}),
            orders: vec![TrackedOrder {
                order_id: order,
                channel_order_id: po.into(),
                lines: vec![(0, Decimal::ONE)],
            }],
            alert: None,
            alert_open: false,
            ack: None,
        }
    }

    #[test]
    fn keys_are_safe_and_distinct() {
        assert!(po_key("A/B").starts_with("A_B-"));
        assert_ne!(po_key("A/B"), po_key("A_B"));
    }

    #[test]
    fn a_resent_po_merges_and_an_answered_one_stays_closed() {
        let dir = tempfile::tempdir().expect("dir");
        let tracks = Tracks::new(dir.path());
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let first = tracks.record(track("PO1", a)).expect("record");
        let merged = tracks.record(track("PO1", b)).expect("record");
        assert_eq!(merged.orders.len(), 2);
        assert_eq!(merged.received_at, first.received_at);
        assert_eq!(
            tracks.record(track("PO1", a)).expect("again").orders.len(),
            2
        );
        assert_eq!(tracks.open().expect("open").len(), 1);
        tracks.close(&merged).expect("close");
        assert!(tracks.open().expect("open").is_empty());
        tracks.record(track("PO1", a)).expect("resent");
        assert!(tracks.open().expect("open").is_empty());
        assert!(tracks.done("PO1").expect("done").is_some());
    }

    #[tokio::test]
    async fn numbers_are_chosen_once_per_document() {
        let dir = tempfile::tempdir().expect("dir");
        let counter = ControlCounter::new(dir.path().join("cn.json"));
        let marker = dir.path().join("997/x.json");
        let first = numbers_for(&marker, &counter, Utc::now()).await.expect("n");
        let again = numbers_for(&marker, &counter, Utc::now()).await.expect("n");
        assert_eq!(first, again);
        let other = numbers_for(&dir.path().join("997/y.json"), &counter, Utc::now())
            .await
            .expect("n");
        assert_eq!(other.interchange, first.interchange + 1);
    }
}
