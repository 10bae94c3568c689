//! The 855 and deadline sweeper. Every poll it looks at each PO still
//! waiting for its 855: once every order the PO became has an outcome
//! (confirmed in Odoo, cancelled, or held by validation where the partner
//! wants holds rejected), it writes the 855 — accepted, accepted with
//! changes, or rejected, per line — once; until then it raises an
//! `ack_deadline_at_risk` exception (and a log line) when the deadline is
//! near, and clears it when the 855 is out. Polling the stored order
//! status rather than listening to `o2c.order.status.v1` on the in-process
//! bus means a restart or a lagging subscriber cannot miss an outcome.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use o2c_formats::x12::ack855::{
    AckNote, AckNotes, AckPurpose, LineDecision, PoAckOptions, po_acknowledgment,
};
use o2c_formats::x12::doc850::PurchaseOrder;
use o2c_formats::x12::envelope::{EnvelopeParams, wrap};
use o2c_formats::x12::{Separators, Transaction, render_interchange};
use o2c_store::{ExceptionClosure, NewAuditEntry, NewException, Store};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::files::{FileError, write_atomic};
use super::inbound::outbound_ids;
use super::partner::{HoldAnswer, PoAckKind, RefusalAnswer, UnmappableAnswer};
use super::refusals;
use super::tracking::{PlannedAck, PoTrack, RejectReason, TrackError, Tracks};
use super::{EdiPartner, EdiRuntime};

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

/// Where one order of a PO stands for the 855.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Pending,
    Accepted,
    Rejected,
}

fn outcome(status: &str, on_hold: HoldAnswer) -> Outcome {
    match status {
        "received" | "mapped" | "validated" | "submitted" => Outcome::Pending,
        "on_hold" => match on_hold {
            HoldAnswer::Wait => Outcome::Pending,
            HoldAnswer::Reject => Outcome::Rejected,
        },
        "cancelled" => Outcome::Rejected,
        // Confirmed in Odoo, and every later stage.
        _ => Outcome::Accepted,
    }
}

/// One decision per PO1 line from the accepted quantities, or None while
/// an order has no outcome yet.
fn decide(
    po: &PurchaseOrder,
    orders: &[(Outcome, &[(usize, Decimal)])],
) -> Option<Vec<LineDecision>> {
    let mut accepted = vec![Decimal::ZERO; po.lines.len()];
    for (outcome, lines) in orders {
        match outcome {
            Outcome::Pending => return None,
            Outcome::Rejected => {}
            Outcome::Accepted => {
                for (index, quantity) in lines.iter() {
                    if let Some(total) = accepted.get_mut(*index) {
                        *total += *quantity;
                    }
                }
            }
        }
    }
    Some(
        po.lines
            .iter()
            .zip(accepted)
            .map(|(line, accepted)| {
                if accepted == line.quantity {
                    LineDecision::Accept
                } else if accepted.is_zero() {
                    LineDecision::Reject
                } else {
                    LineDecision::Change {
                        quantity: Some(accepted),
                        unit_price: None,
                        ship_date: None,
                    }
                }
            })
            .collect(),
    )
}

/// BAK02 for a PO rejected as a whole, without line detail (X12 code 587
/// `RJ`, "Rejected - No Detail"): the answer to an 850 that could not
/// become orders.
pub const REJECTED_NO_DETAIL: &str = "RJ";

/// The 855 transaction; header-only partners get BAK (and CUR/N1) alone,
/// and so does every partner for a PO rejected without detail (`RJ`).
fn transaction(
    po: &PurchaseOrder,
    decisions: &[LineDecision],
    kind: PoAckKind,
    options: &PoAckOptions,
) -> Result<Transaction, String> {
    let kind = if options.ack_type.as_deref() == Some(REJECTED_NO_DETAIL) {
        PoAckKind::HeaderOnly
    } else {
        kind
    };
    let tx = po_acknowledgment(po, decisions, options).map_err(|e| e.to_string())?;
    Ok(match kind {
        PoAckKind::LineDetail => tx,
        PoAckKind::HeaderOnly => {
            let header = tx
                .segments
                .into_iter()
                .filter(|s| !matches!(s.id.as_str(), "PO1" | "PID" | "ACK" | "CTT"))
                .collect();
            Transaction::new("855", &options.control_number, header)
        }
    })
}

fn envelope_text(doc: &Value, key: &str, fallback: &str) -> String {
    doc.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .unwrap_or(fallback)
        .trim()
        .to_owned()
}

/// Renders the planned 855 of `track` (deterministic: numbers and time
/// come from the plan).
fn render_855(
    partner: &EdiPartner,
    kind: PoAckKind,
    track: &PoTrack,
    plan: &PlannedAck,
    seller_order: Option<String>,
) -> Result<String, AckError> {
    let build = |message: String| AckError::Build {
        po: track.po_number.clone(),
        message,
    };
    let po: PurchaseOrder = serde_json::from_value(track.document["purchase_order"].clone())
        .map_err(|e| build(format!("the tracked 850 does not read back: {e}")))?;
    let n = plan.numbers;
    let rejected_whole = plan.ack_type == REJECTED_NO_DETAIL;
    // RJ carries no line detail whatever the partner's kind.
    let note_kind = if rejected_whole {
        PoAckKind::HeaderOnly
    } else {
        kind
    };
    let options = PoAckOptions {
        control_number: format!("{:04}", n.set),
        ack_date: n.at.date_naive(),
        seller_order_number: seller_order,
        ack_type: rejected_whole.then(|| REJECTED_NO_DETAIL.to_owned()),
        purpose: if track.revision > 0 {
            AckPurpose::Replace
        } else {
            AckPurpose::Original
        },
        notes: notes(partner, note_kind, track, plan, po.lines.len()),
    };
    let tx = transaction(&po, &plan.decisions, kind, &options).map_err(build)?;
    let isa = &track.document["interchange"];
    let version = envelope_text(isa, "version", "00401");
    let mut separators = Separators::default();
    if version.as_str() < "00402" {
        // ISA11 is the standards id `U` before 4020, not a repetition separator.
        separators.repetition = None;
    }
    let mut params = EnvelopeParams {
        sender_qualifier: String::new(),
        sender_id: String::new(),
        receiver_qualifier: String::new(),
        receiver_id: String::new(),
        gs_sender: String::new(),
        gs_receiver: String::new(),
        date: n.at.date_naive(),
        time: n.at.time(),
        interchange_control_number: n.interchange,
        group_control_number: n.group,
        version,
        gs_version: envelope_text(&track.document["group"], "version", "004010"),
        usage_indicator: envelope_text(isa, "usage_indicator", "P"),
        ack_requested: false,
        separators,
    };
    outbound_ids(&mut params, partner);
    let ic = wrap("PR", vec![tx], &params).map_err(|e| build(e.to_string()))?;
    render_interchange(&ic, &ic.separators).map_err(|e| build(e.to_string()))
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
}

/// One pass over every partner's open POs at `now`. A PO another hub
/// instance moved on meanwhile (a lost optimistic save) is left to the next
/// pass, which reads what that instance wrote.
pub async fn sweep(
    store: &dyn Store,
    runtime: &EdiRuntime,
    now: DateTime<Utc>,
) -> Result<Swept, AckError> {
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
        for track in tracks.open().await? {
            match sweep_one(store, runtime, partner, kind, &tracks, track, now).await {
                Ok(Some(Answered::Ack(file))) => swept.acks_written.push(file),
                Ok(Some(Answered::Alert)) => swept.alerts_raised += 1,
                Ok(None) => {}
                Err(AckError::Track(TrackError::Store(o2c_store::StoreError::Conflict(_)))) => {
                    tracing::debug!(
                        partner = partner.id,
                        "an EDI PO moved on in another instance"
                    );
                }
                Err(other) => return Err(other),
            }
        }
    }
    Ok(swept)
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

/// Codes of the reasons an 855 gives (N902).
const REFUSED: &str = "REFUSED";
const HELD: &str = "HELD";
const CANCELLED: &str = "CANCELLED";
const UNMAPPABLE: &str = "UNMAPPABLE";

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

/// The reasons the 855 tells the partner, when it is configured to: per
/// line the reasons of the rejected orders that carried it, or all of them
/// in the heading for a header-only 855 and an `RJ`.
fn notes(
    partner: &EdiPartner,
    kind: PoAckKind,
    track: &PoTrack,
    plan: &PlannedAck,
    lines: usize,
) -> AckNotes {
    if !partner.acknowledgments.send_reasons {
        return AckNotes::default();
    }
    if plan.ack_type == REJECTED_NO_DETAIL {
        let detail = track
            .unmapped
            .as_ref()
            .and_then(|u| u.problem.get("detail"))
            .and_then(Value::as_str)
            .unwrap_or("the purchase order could not be read into orders");
        return AckNotes {
            header: Some(AckNote {
                code: UNMAPPABLE.into(),
                text: detail.to_owned(),
            }),
            lines: Vec::new(),
        };
    }
    let mut per_line: Vec<Option<AckNote>> = vec![None; lines];
    let mut all: Vec<AckNote> = Vec::new();
    for reason in &plan.reasons {
        let note = AckNote {
            code: if reason.code.is_empty() {
                REFUSED.into()
            } else {
                reason.code.clone()
            },
            text: reason.reason.clone(),
        };
        if !all.contains(&note) {
            all.push(note.clone());
        }
        let Some(order) = track.orders.iter().find(|o| o.order_id == reason.order_id) else {
            continue;
        };
        for (index, _) in &order.lines {
            let Some(slot) = per_line.get_mut(*index) else {
                continue;
            };
            match slot {
                Some(existing) if existing.text.contains(&note.text) => {}
                Some(existing) => existing.text = format!("{}; {}", existing.text, note.text),
                None => *slot = Some(note.clone()),
            }
        }
    }
    match kind {
        PoAckKind::LineDetail => AckNotes {
            header: None,
            lines: per_line,
        },
        PoAckKind::HeaderOnly => AckNotes {
            header: match all.as_slice() {
                [] => None,
                [only] => Some(only.clone()),
                many => Some(AckNote {
                    code: many[0].code.clone(),
                    text: many
                        .iter()
                        .map(|n| n.text.as_str())
                        .collect::<Vec<_>>()
                        .join("; "),
                }),
            },
            lines: Vec::new(),
        },
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
        if let Err(error) = sweep(store.as_ref(), &runtime, Utc::now()).await {
            tracing::error!(error = %error, "EDI acknowledgment sweep failed; will retry");
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(runtime.poll_interval()) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn po() -> PurchaseOrder {
        let text = "ST*850*0001~BEG*00*SA*PO7**20260101~PO1*1*10*EA*2.5**VN*A~PO1*2*4*EA*1**VN*B~SE*4*0001~";
        let parsed = o2c_formats::x12::parse_with(
            text.as_bytes(),
            &o2c_connectors::edi::parse_options(true),
        )
        .expect("parse");
        PurchaseOrder::all_in(&parsed.file).expect("850").remove(0)
    }

    fn d(n: i64) -> Decimal {
        Decimal::from(n)
    }

    #[test]
    fn statuses_map_to_outcomes() {
        assert_eq!(outcome("submitted", HoldAnswer::Reject), Outcome::Pending);
        assert_eq!(outcome("on_hold", HoldAnswer::Wait), Outcome::Pending);
        assert_eq!(outcome("on_hold", HoldAnswer::Reject), Outcome::Rejected);
        assert_eq!(outcome("cancelled", HoldAnswer::Wait), Outcome::Rejected);
        assert_eq!(outcome("confirmed", HoldAnswer::Wait), Outcome::Accepted);
        assert_eq!(outcome("shipped", HoldAnswer::Wait), Outcome::Accepted);
    }

    #[test]
    fn decisions_per_line_from_store_orders() {
        let po = po();
        let all = [(0, d(10)), (1, d(4))];
        assert_eq!(decide(&po, &[(Outcome::Pending, &all)]), None);
        assert_eq!(
            decide(&po, &[(Outcome::Accepted, &all)]),
            Some(vec![LineDecision::Accept, LineDecision::Accept])
        );
        assert_eq!(
            decide(&po, &[(Outcome::Rejected, &all)]),
            Some(vec![LineDecision::Reject, LineDecision::Reject])
        );
        // Two store orders of one PO, one of them cancelled: line 1 shrinks.
        let (a, b) = ([(0, d(6)), (1, d(4))], [(0, d(4))]);
        assert_eq!(
            decide(&po, &[(Outcome::Accepted, &a), (Outcome::Rejected, &b)]),
            Some(vec![
                LineDecision::Change {
                    quantity: Some(d(6)),
                    unit_price: None,
                    ship_date: None
                },
                LineDecision::Accept
            ])
        );
    }

    fn plan(decisions: Vec<LineDecision>) -> (EdiPartner, PoTrack, PlannedAck) {
        let text =
            include_str!("../../../o2c-connectors/tests/fixtures/x12/stedi_850_5010_dropship.edi");
        let parsed = o2c_formats::x12::parse(text.as_bytes()).expect("parse");
        let doc = o2c_connectors::edi::documents(&parsed, "acme", &Default::default())
            .expect("850")
            .remove(0);
        let partner: EdiPartner = serde_json::from_value(json!({
            "id": "acme",
            "theirs": { "isa_qualifier": "ZZ", "isa_id": "ANOTHERMERCH", "gs_id": "READDEMO" },
            "ours": { "isa_qualifier": "14", "isa_id": "AMERCHANT", "gs_id": "072271711TMS" },
            "outbound_dir": "out"
        }))
        .expect("partner");
        let at = DateTime::parse_from_rfc3339("2026-11-27T08:15:00Z")
            .expect("t")
            .with_timezone(&Utc);
        let track = PoTrack::received("acme", doc.po_number.clone(), at, at, doc.input);
        let numbers = super::super::tracking::Outbound {
            interchange: 42,
            group: 42,
            set: 42,
            at,
        };
        let plan = PlannedAck {
            ack_type: String::new(),
            decisions,
            numbers,
            file: "x".into(),
            written: false,
            reasons: Vec::new(),
        };
        (partner, track, plan)
    }

    #[test]
    fn snapshot_855_accepted() {
        let (partner, track, plan) = plan(vec![LineDecision::Accept, LineDecision::Accept]);
        let text = render_855(
            &partner,
            PoAckKind::LineDetail,
            &track,
            &plan,
            Some("S00042".into()),
        )
        .expect("855");
        insta::assert_snapshot!("855_dropship_accepted", text);
    }

    #[test]
    fn snapshot_855_changed_and_rejected_lines() {
        let change = LineDecision::Change {
            quantity: Some(d(5)),
            unit_price: None,
            ship_date: None,
        };
        let (partner, track, plan) = plan(vec![change, LineDecision::Reject]);
        let text = render_855(&partner, PoAckKind::LineDetail, &track, &plan, None).expect("855");
        assert!(text.contains("BAK*00*AC*365465413"), "{text}");
        insta::assert_snapshot!("855_dropship_changes", text);
        let header = render_855(&partner, PoAckKind::HeaderOnly, &track, &plan, None).expect("855");
        insta::assert_snapshot!("855_dropship_header_only", header);
    }

    #[test]
    fn snapshot_855_reasons_per_line_in_the_heading_and_for_rj() {
        let (mut partner, mut track, mut plan) =
            plan(vec![LineDecision::Accept, LineDecision::Reject]);
        let line_detail = |partner: &EdiPartner, track: &PoTrack, plan: &PlannedAck| {
            render_855(partner, PoAckKind::LineDetail, track, plan, None).expect("855")
        };
        let refused = Uuid::from_u128(2);
        track.orders = vec![
            super::super::tracking::TrackedOrder {
                order_id: Uuid::from_u128(1),
                channel_order_id: "365465413-1".into(),
                lines: vec![(0, d(1))],
            },
            super::super::tracking::TrackedOrder {
                order_id: refused,
                channel_order_id: "365465413-2".into(),
                lines: vec![(1, d(1))],
            },
        ];
        plan.reasons = vec![RejectReason {
            order_id: refused,
            reason: "refused by Odoo: unknown_product: no Odoo product has the SKU(s): 8765-432"
                .into(),
            code: REFUSED.into(),
        }];
        // Not configured: the 855 is as before, without notes.
        assert!(!line_detail(&partner, &track, &plan).contains("N9*"));

        partner.acknowledgments.send_reasons = true;
        let text = line_detail(&partner, &track, &plan);
        let lines: Vec<&str> = text.lines().collect();
        let ir = lines
            .iter()
            .position(|l| *l == "ACK*IR*0*EA~")
            .expect("IR line");
        assert_eq!(
            lines[ir + 1..ir + 3],
            [
                "N9*L1*REFUSED~",
                "MSG*refused by Odoo unknown_product no Odoo product has the SKU(s) 8765-432~"
            ],
            "{text}"
        );
        insta::assert_snapshot!("855_dropship_reasons", text);
        let header = render_855(&partner, PoAckKind::HeaderOnly, &track, &plan, None).expect("855");
        assert!(!header.contains("PO1*"), "{header}");
        insta::assert_snapshot!("855_dropship_reasons_header_only", header);

        // A PO that could not become orders: RJ, the mapping's words in the heading.
        plan.ack_type = REJECTED_NO_DETAIL.into();
        track.orders.clear();
        plan.reasons.clear();
        track.unmapped = Some(super::super::tracking::Unmapped {
            problem: json!({"detail": "PO1 line 2: unit 'XX' has no value map entry"}),
            exception: Uuid::from_u128(3),
            rejected_message: None,
            cancelled: false,
        });
        let rejected = line_detail(&partner, &track, &plan);
        insta::assert_snapshot!("855_dropship_rj_reason", rejected);
    }

    #[test]
    fn an_unmappable_po_is_rejected_without_detail() {
        let (partner, track, mut plan) = plan(vec![LineDecision::Reject, LineDecision::Reject]);
        plan.ack_type = REJECTED_NO_DETAIL.into();
        // Even for a line-detail partner: RJ means "no detail" in X12.
        let text = render_855(&partner, PoAckKind::LineDetail, &track, &plan, None).expect("855");
        assert!(text.contains("BAK*00*RJ*365465413"), "{text}");
        assert!(!text.contains("PO1*") && !text.contains("ACK*"), "{text}");
    }

    fn po_with(quantities: &[u32]) -> PurchaseOrder {
        let mut text = String::from("ST*850*0001~BEG*00*SA*P**20260101~");
        for (i, q) in quantities.iter().enumerate() {
            text.push_str(&format!("PO1*{}*{q}*EA*1**VN*S{i}~", i + 1));
        }
        text.push_str(&format!("SE*{}*0001~", quantities.len() + 3));
        let parsed = o2c_formats::x12::parse_with(
            text.as_bytes(),
            &o2c_connectors::edi::parse_options(true),
        )
        .expect("parse");
        PurchaseOrder::all_in(&parsed.file).expect("850").remove(0)
    }

    proptest::proptest! {
        /// However a PO is split over store orders, a line is accepted when
        /// every order carrying it is, rejected when none is, and changed to
        /// the accepted sum otherwise; one pending order holds the 855 back.
        #[test]
        fn split_po_decisions(
            lines in proptest::collection::vec((1u32..50, proptest::collection::vec((1u32..20, proptest::bool::ANY), 1..4)), 1..5),
            pending in proptest::bool::ANY,
        ) {
            // Each line's quantity is the sum of its store parts.
            let quantities: Vec<u32> = lines.iter().map(|(_, parts)| parts.iter().map(|p| p.0).sum()).collect();
            let po = po_with(&quantities);
            let mut orders: Vec<(Outcome, Vec<(usize, Decimal)>)> = Vec::new();
            for (i, (_, parts)) in lines.iter().enumerate() {
                for (q, accepted) in parts {
                    let outcome = if *accepted { Outcome::Accepted } else { Outcome::Rejected };
                    orders.push((outcome, vec![(i, Decimal::from(*q))]));
                }
            }
            if pending {
                orders.push((Outcome::Pending, Vec::new()));
            }
            let view: Vec<(Outcome, &[(usize, Decimal)])> = orders.iter().map(|(o, l)| (*o, l.as_slice())).collect();
            let decided = decide(&po, &view);
            if pending {
                proptest::prop_assert!(decided.is_none());
                return Ok(());
            }
            let decisions = decided.expect("decided");
            for (i, (_, parts)) in lines.iter().enumerate() {
                let accepted: u32 = parts.iter().filter(|p| p.1).map(|p| p.0).sum();
                let expected = if parts.iter().all(|p| p.1) {
                    LineDecision::Accept
                } else if accepted == 0 {
                    LineDecision::Reject
                } else {
                    LineDecision::Change { quantity: Some(Decimal::from(accepted)), unit_price: None, ship_date: None }
                };
                proptest::prop_assert_eq!(&decisions[i], &expected);
            }
        }
    }

    #[test]
    fn header_only_855_has_no_lines() {
        let po = po();
        let at = DateTime::parse_from_rfc3339("2026-01-02T10:30:00Z")
            .expect("t")
            .with_timezone(&Utc);
        let decisions = [LineDecision::Accept, LineDecision::Reject];
        let options = PoAckOptions {
            control_number: "0001".into(),
            ack_date: at.date_naive(),
            seller_order_number: None,
            ack_type: None,
            purpose: AckPurpose::Original,
            notes: AckNotes::default(),
        };
        let full = transaction(&po, &decisions, PoAckKind::LineDetail, &options).expect("855");
        assert!(full.segments.iter().any(|s| s.id == "ACK"));
        let header = transaction(&po, &decisions, PoAckKind::HeaderOnly, &options).expect("855");
        let ids: Vec<_> = header.segments.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["BAK"]);
        assert_eq!(header.se.segment_count, "3");
        assert_eq!(header.segments[0].get(2), "AC");
    }
}
