//! The 855 and deadline sweeper. Every poll it looks at each PO still
//! waiting for its 855: once every order the PO became has an outcome
//! (confirmed in Odoo, cancelled, or held by validation where the partner
//! wants holds rejected), it writes the 855 — accepted, accepted with
//! changes, or rejected, per line — once; until then it raises an
//! `ack_deadline_at_risk` exception (and a log line) when the deadline is
//! near, and clears it when the 855 is out. Polling the stored order
//! status rather than listening to `o2c.order.status.v1` on the in-process
//! bus means a restart or a lagging subscriber cannot miss an outcome.

mod document;

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use o2c_formats::x12::ack855::{
    AckNotes, AckPurpose, LineDecision, PoAckOptions, po_acknowledgment,
};
use o2c_formats::x12::doc850::PurchaseOrder;
use o2c_store::{ExceptionClosure, NewAuditEntry, NewException, Store};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::files::{FileError, write_atomic};
use super::partner::{PoAckKind, RefusalAnswer, UnmappableAnswer};
use super::refusals;
use super::tracking::{PlannedAck, PoTrack, RejectReason, TrackError, Tracks};
use super::{EdiPartner, EdiRuntime};
pub use document::REJECTED_NO_DETAIL;
use document::{CANCELLED, HELD, Outcome, REFUSED, decide, outcome, render_855};

/// The reason code of the deadline alert.
pub const DEADLINE_REASON: &str = "ack_deadline_at_risk";

#[derive(Debug, thiserror::Error)]
pub enum AckError {
    #[error(transparent)]
    File(#[from] FileError),
    #[error(transparent)]
    Store(#[from] o2c_store::StoreError),
    #[error(transparent)]
    Track(#[from] TrackError),
    #[error("PO {po}: {message}")]
    Build { po: String, message: String },
}

/// The Odoo order name, when the PO became one order that has one.
async fn seller_order(store: &dyn Store, track: &PoTrack) -> Option<String> {
    let [only] = track.orders.as_slice() else {
        return None;
    };
    let record = store.get_order(only.order_id).await.ok()??;
    record
        .state
        .get("erp_order_name")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// What one sweep did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Swept {
    pub acks_written: Vec<String>,
    pub alerts_raised: usize,
    /// The POs (or whole partners, `po: None`) the store or the outbound
    /// folder failed for: left as they were for the next pass, the others
    /// swept regardless.
    pub failed: Vec<SweepFailure>,
}

/// One PO a sweep could not answer or alert on, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepFailure {
    pub partner: String,
    /// `None`: the partner's open POs could not be listed.
    pub po: Option<String>,
    pub error: String,
}

/// One pass over every partner's open POs at `now`. A PO another hub
/// instance moved on meanwhile (a lost optimistic save) is left to the next
/// pass, which reads what that instance wrote. A PO that fails (its store
/// write, its file) is reported in [`Swept::failed`] and holds no other PO
/// or partner back: every step of a PO is safe to run again.
pub async fn sweep(store: &dyn Store, runtime: &EdiRuntime, now: DateTime<Utc>) -> Swept {
    let mut swept = Swept::default();
    // First the POs an operator's override reopens (when the reopen after
    // the override failed), so they are answered in this pass. A failure
    // here holds no other PO back: the next pass reads the same overrides.
    if let Err(error) = super::told::reconcile(store, now).await {
        tracing::warn!(error = %error, "reading 855 overrides failed; will retry");
    }
    for partner in &runtime.config.partners {
        let Some(kind) = partner.acknowledgments.po_855 else {
            continue;
        };
        let tracks = Tracks::new(store, &partner.id);
        let open = match tracks.open().await {
            Ok(open) => open,
            Err(error) => {
                swept.failed.push(SweepFailure {
                    partner: partner.id.clone(),
                    po: None,
                    error: error.to_string(),
                });
                continue;
            }
        };
        for track in open {
            let po = track.po_number.clone();
            match sweep_one(store, runtime, partner, kind, &tracks, track, now).await {
                Ok(Some(Answered::Ack(file))) => swept.acks_written.push(file),
                Ok(Some(Answered::Alert)) => swept.alerts_raised += 1,
                Ok(None) => {}
                Err(AckError::Track(TrackError::Store(o2c_store::StoreError::Conflict(_)))) => {
                    tracing::debug!(
                        partner = partner.id,
                        po,
                        "an EDI PO moved on in another instance"
                    );
                }
                Err(error) => swept.failed.push(SweepFailure {
                    partner: partner.id.clone(),
                    po: Some(po),
                    error: error.to_string(),
                }),
            }
        }
    }
    swept
}

enum Answered {
    Ack(String),
    Alert,
}

/// Where one PO's 855 stands after an operator asked for it now.
#[derive(Debug, PartialEq)]
pub enum PoAnswer {
    /// Written now, in this file (its deadline alert closed with it).
    Sent(String),
    /// Written before, in this file.
    AlreadySent(String),
    /// Not every order of the PO has an outcome yet: the track as it is.
    NotReady(Box<PoTrack>),
    /// The partner has no 855 configured, or the PO is not tracked.
    Untracked,
}

/// What the sweeper would do for one PO, now: write its 855 when every
/// order has an outcome. A concurrent sweep that saved first makes this a
/// [`TrackError::Store`] conflict (the caller reloads).
pub async fn answer_po(
    store: &dyn Store,
    runtime: &EdiRuntime,
    partner: &EdiPartner,
    po_number: &str,
    now: DateTime<Utc>,
) -> Result<PoAnswer, AckError> {
    let Some(kind) = partner.acknowledgments.po_855 else {
        return Ok(PoAnswer::Untracked);
    };
    let tracks = Tracks::new(store, &partner.id);
    let Some(track) = tracks.get(po_number).await? else {
        return Ok(PoAnswer::Untracked);
    };
    if let Some(ack) = track.ack.as_ref().filter(|a| a.written) {
        return Ok(PoAnswer::AlreadySent(ack.file.clone()));
    }
    match sweep_one(store, runtime, partner, kind, &tracks, track, now).await? {
        Some(Answered::Ack(file)) => Ok(PoAnswer::Sent(file)),
        _ => Ok(match tracks.get(po_number).await? {
            Some(track) => PoAnswer::NotReady(Box::new(track)),
            None => PoAnswer::Untracked,
        }),
    }
}

async fn sweep_one(
    store: &dyn Store,
    runtime: &EdiRuntime,
    partner: &EdiPartner,
    kind: PoAckKind,
    tracks: &Tracks<'_>,
    mut track: PoTrack,
    now: DateTime<Utc>,
) -> Result<Option<Answered>, AckError> {
    if track.ack.is_none() {
        plan(store, partner, tracks, &mut track, now).await?;
    }
    let Some(plan) = track.ack.clone() else {
        let raised = raise_alert(store, runtime, partner, tracks, &mut track, now).await?;
        return Ok(raised.then_some(Answered::Alert));
    };
    let seller = seller_order(store, &track).await;
    let text = render_855(partner, kind, &track, &plan, seller)?;
    // The file first, then one commit that closes the track, resolves its
    // deadline alert and audits the 855. A crash or a store error in
    // between leaves the track open with its plan: the next sweep renders
    // the same bytes into the same file and commits again, so every 855
    // out is audited, and once (a second closer finds the version moved).
    write_atomic(&partner.outbound_dir().join(&plan.file), text.as_bytes())?;
    let alert = alert_closure(&mut track, &plan);
    track.ack = Some(PlannedAck {
        written: true,
        ..plan.clone()
    });
    let entry = audit_entry(partner, &track, &plan, now);
    tracks.close(&track, alert, entry).await?;
    tracing::info!(
        partner = partner.id,
        po = track.po_number,
        file = plan.file,
        ack = plan.ack_type,
        "855 written"
    );
    Ok(Some(Answered::Ack(plan.file)))
}

/// One order's outcome for the 855 and, when rejected for a reason worth
/// telling, the reason (code, text): a validation hold answers per
/// `on_hold`, Odoo's refusal at submission per `on_refusal`. `dead` caches
/// the dead-lettered orders for the sweep of one PO.
async fn order_outcome(
    store: &dyn Store,
    partner: &EdiPartner,
    order_id: Uuid,
    dead: &mut Option<std::collections::HashMap<Uuid, String>>,
) -> Result<(Outcome, Option<(&'static str, String)>), AckError> {
    let acks = &partner.acknowledgments;
    let status = store
        .get_order(order_id)
        .await?
        .map(|r| r.status)
        .unwrap_or_default();
    let refused = |reason: String| match acks.on_refusal {
        RefusalAnswer::Reject => (Outcome::Rejected, Some((REFUSED, reason))),
        RefusalAnswer::Wait => (Outcome::Pending, None),
    };
    match status.as_str() {
        "on_hold" => match refusals::erp_hold(store, order_id).await? {
            Some(reason) => Ok(refused(format!("refused by Odoo: {reason}"))),
            None => Ok(match outcome(&status, acks.on_hold) {
                Outcome::Rejected => {
                    let text = match refusals::latest_hold(store, order_id).await? {
                        Some(hold) => format!("held by validation: {hold}"),
                        None => "held by validation".into(),
                    };
                    (Outcome::Rejected, Some((HELD, text)))
                }
                other => (other, None),
            }),
        },
        "received" | "mapped" | "validated" | "submitted" => {
            if dead.is_none() {
                *dead = Some(refusals::dead_orders(store).await?);
            }
            match dead.as_ref().and_then(|d| d.get(&order_id)) {
                Some(error) => Ok(refused(format!("refused by Odoo: {error}"))),
                None => Ok((Outcome::Pending, None)),
            }
        }
        "cancelled" => Ok((Outcome::Rejected, Some((CANCELLED, "cancelled".into())))),
        _ => Ok((outcome(&status, acks.on_hold), None)),
    }
}

/// Decides the 855 when every order has an outcome, and saves the plan
/// (with its control numbers) before anything is written.
async fn plan(
    store: &dyn Store,
    partner: &EdiPartner,
    tracks: &Tracks<'_>,
    track: &mut PoTrack,
    now: DateTime<Utc>,
) -> Result<(), AckError> {
    let po: PurchaseOrder = serde_json::from_value(track.document["purchase_order"].clone())
        .map_err(|e| AckError::Build {
            po: track.po_number.clone(),
            message: format!("the tracked 850 does not read back: {e}"),
        })?;
    let mut reasons = Vec::new();
    let (decisions, forced) = if track.orders.is_empty() {
        // No orders: an 850 that could not be mapped (or nothing to answer).
        match (&track.unmapped, partner.acknowledgments.on_unmappable) {
            (Some(u), answer) if u.cancelled || answer == UnmappableAnswer::Reject => (
                vec![LineDecision::Reject; po.lines.len()],
                Some(REJECTED_NO_DETAIL),
            ),
            _ => return Ok(()),
        }
    } else {
        let mut outcomes = Vec::new();
        let mut dead = None;
        for order in &track.orders {
            let (o, reason) = order_outcome(store, partner, order.order_id, &mut dead).await?;
            if let Some((code, reason)) = reason {
                reasons.push(RejectReason {
                    order_id: order.order_id,
                    reason,
                    code: code.into(),
                });
            }
            outcomes.push((o, order.lines.as_slice()));
        }
        let Some(decisions) = decide(&po, &outcomes) else {
            return Ok(());
        };
        (decisions, None)
    };
    // A replacing 855 is a document of its own, with numbers of its own.
    let document = match track.revision {
        0 => format!("855:{}", track.po_number),
        n => format!("855:{}:r{n}", track.po_number),
    };
    let numbers = tracks.numbers_for(&document, now).await?;
    let ack_type = po_acknowledgment(
        &po,
        &decisions,
        &PoAckOptions {
            control_number: "0".into(),
            ack_date: now.date_naive(),
            seller_order_number: None,
            ack_type: forced.map(str::to_owned),
            purpose: AckPurpose::Original,
            notes: AckNotes::default(),
        },
    )
    .ok()
    .and_then(|tx| tx.segments.first().map(|bak| bak.get(2).to_owned()))
    .unwrap_or_default();
    track.ack = Some(PlannedAck {
        ack_type,
        decisions,
        numbers,
        file: format!("855-{}-{:09}.x12", partner.id, numbers.interchange),
        written: false,
        reasons,
    });
    *track = tracks.save(track).await?;
    Ok(())
}

/// Raises the deadline alert once, `lead` before the deadline.
async fn raise_alert(
    store: &dyn Store,
    runtime: &EdiRuntime,
    partner: &EdiPartner,
    tracks: &Tracks<'_>,
    track: &mut PoTrack,
    now: DateTime<Utc>,
) -> Result<bool, AckError> {
    let lead = Duration::minutes(runtime.config.deadline_alert_lead_minutes.max(0));
    if track.alert_open || now < track.deadline - lead {
        return Ok(false);
    }
    // The id is saved first, so a crash in between (or a second instance)
    // cannot raise two alerts.
    let id = match track.alert {
        Some(id) => id,
        None => {
            let id = Uuid::now_v7();
            track.alert = Some(id);
            *track = tracks.save(track).await?;
            id
        }
    };
    let order_ids: Vec<Uuid> = track.orders.iter().map(|o| o.order_id).collect();
    let exception = NewException {
        id,
        order_id: None,
        inbox_id: None,
        reasons: vec![DEADLINE_REASON.into()],
        details: json!({
            "partner": partner.id,
            "po_number": track.po_number,
            "deadline": track.deadline,
            "received_at": track.received_at,
            "order_ids": order_ids,
            "detail": format!(
                "the 855 for PO {} of {} is due at {} and not sent yet",
                track.po_number, partner.id, track.deadline.to_rfc3339()
            ),
        }),
        correlation_id: format!("edi:{}:{}", partner.id, track.po_number),
        created_at: now,
    };
    if store.get_exception(id).await?.is_none() {
        store.open_exception(exception).await?;
    }
    track.alert_open = true;
    *track = tracks.save(track).await?;
    tracing::warn!(
        partner = partner.id,
        po = track.po_number,
        deadline = %track.deadline,
        "855 acknowledgment deadline at risk"
    );
    Ok(true)
}

/// The close of the deadline alert the 855 resolves, if one is open.
fn alert_closure(track: &mut PoTrack, plan: &PlannedAck) -> Option<ExceptionClosure> {
    let id = track.alert.filter(|_| track.alert_open)?;
    track.alert_open = false;
    Some(ExceptionClosure {
        id,
        status: "resolved".into(),
        resolution: json!({ "by": "edi", "detail": format!("855 sent in {}", plan.file) }),
    })
}

/// The `edi.855.written` entry of the 855 `plan` of `track`.
fn audit_entry(
    partner: &EdiPartner,
    track: &PoTrack,
    plan: &PlannedAck,
    now: DateTime<Utc>,
) -> NewAuditEntry {
    NewAuditEntry {
        actor: "system:edi".into(),
        action: "edi.855.written".into(),
        subject: format!("edi:{}:po:{}", partner.id, track.po_number),
        details: json!({
            "file": plan.file,
            "ack_type": plan.ack_type,
            "interchange_control_number": plan.numbers.interchange,
            "order_ids": track.orders.iter().map(|o| o.order_id).collect::<Vec<_>>(),
            "rejected": plan.reasons,
            "replaces": track.replaces.last(),
            "unmapped": track.unmapped.as_ref().map(|u| &u.problem),
        }),
        correlation_id: format!("edi:{}:{}", partner.id, track.po_number),
        at: now,
    }
}

/// Sweeps until shutdown.
pub async fn run(store: Arc<dyn Store>, runtime: Arc<EdiRuntime>, shutdown: CancellationToken) {
    loop {
        for failure in sweep(store.as_ref(), &runtime, Utc::now()).await.failed {
            tracing::error!(
                partner = failure.partner,
                po = failure.po,
                error = failure.error,
                "EDI acknowledgment sweep failed for this PO; will retry"
            );
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(runtime.poll_interval()) => {}
        }
    }
}
