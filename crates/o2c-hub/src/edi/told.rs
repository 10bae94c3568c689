//! What an EDI partner has already been told about an order. Once an 855
//! refused an order's lines (`IR`: Odoo refused it, validation held it, it
//! was cancelled), the partner plans without those goods; an operator
//! action that would now create the order in Odoo (a dead-letter retry, an
//! exception's retry, override or resolve) must not do so behind the
//! partner's back (ADR 0019). It is refused unless the operator overrides
//! with a reason; then the PO's track is reopened so that a replacing 855
//! (BAK01 `05`) tells the partner the outcome once the order has one.

use chrono::{DateTime, Utc};
use o2c_store::{Store, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use super::tracking::{PoTrack, TrackError, Tracks};
use crate::problem::{Problem, ProblemKind};

/// An 855 (written, or planned and about to be) that refused the order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToldRefused {
    pub partner: String,
    pub po_number: String,
    /// The 855 file.
    pub file: String,
    /// BAK02 of that 855 (`RD`, `AC`).
    pub ack_type: String,
    /// What the 855 gave as the reason.
    pub reason: String,
    pub written: bool,
}

impl ToldRefused {
    /// The refusal an operator gets: what the partner was told, and how to
    /// go ahead anyway.
    pub fn problem(&self, order_id: Option<Uuid>) -> Problem {
        Problem::new(
            ProblemKind::Conflict,
            format!(
                "partner {} was told in 855 {} ({}) that these lines of PO {} are refused: {}; \
                 going on would create an order the partner does not expect. Send \"override_855\": true with a \
                 reason to go on anyway; the partner then gets a replacing 855 with the outcome",
                self.partner, self.file, self.ack_type, self.po_number, self.reason
            ),
        )
        .with("order_id", json!(order_id))
        .with("partner_told", json!(self))
    }
}

/// The partner and PO of an EDI order: its channel `edi:<partner>` and its
/// canonical order's customer PO.
async fn po_of(store: &dyn Store, order_id: Uuid) -> Result<Option<(String, String)>, TrackError> {
    let Some(record) = store.get_order(order_id).await? else {
        return Ok(None);
    };
    let Some(partner) = record.channel.strip_prefix("edi:") else {
        return Ok(None);
    };
    let journal = store.load_journal(order_id).await?;
    let po = journal
        .iter()
        .rev()
        .find_map(|e| e.data.get("order"))
        .and_then(|o| o.get("customer_po"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    Ok(po.map(|po| (partner.to_owned(), po)))
}

/// The 855 that refused this order's lines, if one did.
pub async fn told_refused(
    store: &dyn Store,
    order_id: Uuid,
) -> Result<Option<ToldRefused>, TrackError> {
    let Some((partner, po)) = po_of(store, order_id).await? else {
        return Ok(None);
    };
    let Some(track) = Tracks::new(store, &partner).get(&po).await? else {
        return Ok(None);
    };
    Ok(refusal_in(&track, order_id))
}

fn refusal_in(track: &PoTrack, order_id: Uuid) -> Option<ToldRefused> {
    let ack = track.ack.as_ref()?;
    let reason = ack.reasons.iter().find(|r| r.order_id == order_id)?;
    Some(ToldRefused {
        partner: track.partner.clone(),
        po_number: track.po_number.clone(),
        file: ack.file.clone(),
        ack_type: ack.ack_type.clone(),
        reason: reason.reason.clone(),
        written: ack.written,
    })
}

/// How many times a reopen that lost a race is read and tried again.
const REOPEN_ATTEMPTS: usize = 5;

/// Reopens the PO right after an override's commit. The override is done
/// whatever happens here: a store error is left to [`reconcile`], which
/// reopens the PO from the override's audit entry on the next sweep; a
/// track that does not read back is beyond it, and the operator must tell
/// the partner by hand. `None` when reopened; else what the operator
/// should know, also logged.
pub async fn reopen_after_override(
    store: &dyn Store,
    told: &ToldRefused,
    now: DateTime<Utc>,
) -> Option<String> {
    let error = reopen_for_replacement(store, told, now).await.err()?;
    let warning = match &error {
        TrackError::Corrupt { .. } => format!(
            "PO {} of {}: its tracking does not read back ({error}), so no replacing 855 will be sent; tell the partner by hand",
            told.po_number, told.partner
        ),
        _ => format!(
            "PO {} of {}: the replacing 855 will be prepared by the next acknowledgment sweep",
            told.po_number, told.partner
        ),
    };
    tracing::warn!(error = %error, partner = told.partner, po = told.po_number, "{warning}");
    Some(warning)
}

/// Reopens the PO's track after an operator overrode the refusal: the
/// sweeper answers again (BAK01 `05`, replacing the last 855) once every
/// order of the PO has an outcome, within the partner's original window
/// from now. Only while the track's 855 is still the one `told` names:
/// once reopened (by this override, another one, or [`reconcile`]) or
/// answered again, there is nothing to do, so repeating it is safe.
pub async fn reopen_for_replacement(
    store: &dyn Store,
    told: &ToldRefused,
    now: DateTime<Utc>,
) -> Result<(), TrackError> {
    let tracks = Tracks::new(store, &told.partner);
    let mut last = None;
    for _ in 0..REOPEN_ATTEMPTS {
        let Some(mut track) = tracks.get(&told.po_number).await? else {
            return Ok(());
        };
        if track.ack.as_ref().map(|a| a.file.as_str()) != Some(told.file.as_str()) {
            return Ok(());
        }
        reopen(&mut track, now);
        match tracks.save(&track).await {
            Ok(_) => return Ok(()),
            // Another writer (a second override, the sweeper) moved the
            // track on: read it again.
            Err(TrackError::Store(StoreError::Conflict(message))) => last = Some(message),
            Err(other) => return Err(other),
        }
    }
    Err(TrackError::Store(StoreError::Conflict(
        last.unwrap_or_default(),
    )))
}

/// The store cursor of [`reconcile`]: the last audit entry it read.
pub const RECONCILE_CURSOR: &str = "edi:855-overrides";

/// Audit entries read per page by [`reconcile`].
const AUDIT_PAGE: i64 = 500;

/// Reopens the PO of every override of an 855 refusal recorded since the
/// last call, in case the reopen that follows the override's commit did
/// not happen (a store error or a crash in between). The overrides are
/// read from the audit log, where each one is committed with the retry it
/// allowed (`override_855` names what the partner was told); the reopen is
/// idempotent, so an override read twice (two hub instances, a lost
/// cursor save) reopens once. Returns how many entries named an override.
pub async fn reconcile(store: &dyn Store, now: DateTime<Utc>) -> Result<usize, TrackError> {
    let start = store
        .load_cursor(RECONCILE_CURSOR)
        .await?
        .and_then(|c| c.value.as_i64())
        .unwrap_or(0);
    let mut after = start;
    let mut overrides = 0;
    loop {
        let page = store.list_audit(after, AUDIT_PAGE).await?;
        for entry in &page {
            let Some(told) = entry
                .details
                .get("override_855")
                .filter(|t| t.is_object())
                .and_then(|t| serde_json::from_value::<ToldRefused>(t.clone()).ok())
            else {
                continue;
            };
            overrides += 1;
            match reopen_for_replacement(store, &told, entry.at).await {
                Ok(()) => {}
                // A track that does not read back would stop every later
                // override here for good: it is left to an operator.
                Err(error @ TrackError::Corrupt { .. }) => {
                    tracing::error!(error = %error, seq = entry.seq, "an 855 override could not reopen its PO");
                }
                // The store: this entry and the ones after it are read
                // again on the next pass.
                Err(other) => return Err(other),
            }
        }
        match page.last() {
            Some(last) => after = last.seq,
            None => break,
        }
        if (page.len() as i64) < AUDIT_PAGE {
            break;
        }
    }
    if after != start {
        store
            .save_cursor(RECONCILE_CURSOR, &json!(after), now)
            .await?;
    }
    Ok(overrides)
}

/// Makes the track due for a replacing 855; false when it already is
/// (reopened by another override of the same PO).
pub fn reopen(track: &mut PoTrack, now: DateTime<Utc>) -> bool {
    let Some(ack) = track.ack.take() else {
        return false;
    };
    track.replaces.push(ack.file);
    track.revision += 1;
    track.deadline = now + (track.deadline - track.received_at);
    track.alert = None;
    track.alert_open = false;
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edi::tracking::{Outbound, PlannedAck, RejectReason, TrackedOrder};
    use o2c_formats::x12::ack855::LineDecision;
    use o2c_store::NewAuditEntry;

    /// An RD 855 for `po` written to `file` for partner `acme`: the lines
    /// refused by Odoo.
    fn refused_855(po: &str, file: &str) -> ToldRefused {
        ToldRefused {
            partner: "acme".into(),
            po_number: po.into(),
            file: file.into(),
            ack_type: "RD".into(),
            reason: "refused by Odoo: archived".into(),
            written: true,
        }
    }

    #[tokio::test]
    async fn an_override_read_from_the_audit_log_reopens_its_po_once() {
        let store = o2c_store::open("sqlite::memory:").await.expect("store");
        let tracks = Tracks::new(store.as_ref(), "acme");
        let at = Utc::now();
        let order = Uuid::now_v7();
        let track = tracks
            .record(
                PoTrack::received(
                    "acme",
                    "PO-9",
                    at,
                    at + chrono::Duration::hours(24),
                    json!({}),
                )
                .with_orders(vec![TrackedOrder {
                    order_id: order,
                    channel_order_id: "PO-9".into(),
                    lines: vec![(0, rust_decimal::Decimal::ONE)],
                }]),
            )
            .await
            .expect("record");
        let told = refused_855("PO-9", "855-acme-000000003.x12");
        let answered = PoTrack {
            ack: Some(PlannedAck {
                ack_type: "RD".into(),
                decisions: vec![LineDecision::Reject],
                numbers: Outbound {
                    interchange: 3,
                    group: 3,
                    set: 3,
                    at,
                },
                file: told.file.clone(),
                written: true,
                reasons: vec![RejectReason {
                    order_id: order,
                    reason: told.reason.clone(),
                    code: "REFUSED".into(),
                }],
            }),
            ..track
        };
        let entry = |action: &str, details: Value| NewAuditEntry {
            actor: "test".into(),
            action: action.into(),
            subject: "po".into(),
            details,
            correlation_id: "c".into(),
            at,
        };
        tracks
            .close(&answered, None, entry("edi.855.written", json!({})))
            .await
            .expect("close");
        // Entries without an override (or with a plain flag) are passed by.
        store
            .append_audit(entry("exception.cancel", json!({"override_855": null})))
            .await
            .expect("audit");
        store
            .append_audit(entry("exception.retry", json!({"override_855": true})))
            .await
            .expect("audit");
        assert_eq!(reconcile(store.as_ref(), at).await.expect("reconcile"), 0);
        assert!(tracks.open().await.expect("open").is_empty());

        // An override whose reopen never happened: reconciled.
        store
            .append_audit(entry(
                "dlq.retry",
                json!({"reason": "asked", "override_855": told}),
            ))
            .await
            .expect("audit");
        assert_eq!(reconcile(store.as_ref(), at).await.expect("reconcile"), 1);
        let reopened = tracks.get("PO-9").await.expect("get").expect("track");
        assert_eq!(reopened.ack, None);
        assert_eq!(reopened.revision, 1);
        assert_eq!(reopened.replaces, vec![told.file.clone()]);
        assert_eq!(tracks.open().await.expect("open").len(), 1);
        // Read again (the cursor lost, another instance): nothing changes.
        assert_eq!(reconcile(store.as_ref(), at).await.expect("reconcile"), 0);
        store
            .save_cursor(RECONCILE_CURSOR, &json!(0), at)
            .await
            .expect("cursor");
        assert_eq!(reconcile(store.as_ref(), at).await.expect("reconcile"), 1);
        assert_eq!(tracks.get("PO-9").await.expect("get"), Some(reopened));
    }

    #[tokio::test]
    async fn a_track_that_does_not_read_back_tells_the_operator_to_inform_the_partner() {
        let store = o2c_store::open("sqlite::memory:").await.expect("store");
        let at = Utc::now();
        let garbled = json!({"po": "PO-7", "not": "a track"});
        store
            .save_edi_po("acme", "PO-7", false, &garbled, at, None, at)
            .await
            .expect("save");
        let told = refused_855("PO-7", "855-acme-000000004.x12");
        let warning = reopen_after_override(store.as_ref(), &told, at)
            .await
            .expect("a warning for the operator");
        assert!(
            warning.contains("PO PO-7 of acme")
                && warning.contains("does not read back")
                && warning.contains("tell the partner by hand"),
            "{warning}"
        );
        let record = store
            .load_edi_po("acme", "PO-7")
            .await
            .expect("load")
            .expect("the track");
        assert_eq!(record.track, garbled, "left as it was");
        assert_eq!(record.version, 1);
    }

    #[test]
    fn only_an_order_named_in_the_855s_reasons_was_refused() {
        let (refused, accepted) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let at = Utc::now();
        let mut track = PoTrack::received("acme", "PO-1", at, at, json!({})).with_orders(vec![
            TrackedOrder {
                order_id: refused,
                channel_order_id: "PO-1-a".into(),
                lines: vec![(0, rust_decimal::Decimal::ONE)],
            },
            TrackedOrder {
                order_id: accepted,
                channel_order_id: "PO-1-b".into(),
                lines: vec![(1, rust_decimal::Decimal::ONE)],
            },
        ]);
        assert_eq!(refusal_in(&track, refused), None, "no 855 yet");
        track.ack = Some(PlannedAck {
            ack_type: "AC".into(),
            decisions: vec![LineDecision::Reject, LineDecision::Accept],
            numbers: Outbound {
                interchange: 7,
                group: 7,
                set: 7,
                at,
            },
            file: "855-acme-000000007.x12".into(),
            written: true,
            reasons: vec![RejectReason {
                order_id: refused,
                reason: "refused by Odoo: no product".into(),
                code: "REFUSED".into(),
            }],
        });
        let told = refusal_in(&track, refused).expect("told");
        assert_eq!(told.file, "855-acme-000000007.x12");
        assert_eq!(told.reason, "refused by Odoo: no product");
        assert_eq!(refusal_in(&track, accepted), None);
        let problem = told.problem(Some(refused)).body();
        assert_eq!(problem["partner_told"]["po_number"], "PO-1");
        assert_eq!(problem["status"], 409);
    }
}
