//! An operator acts on an 855 deadline alert (`ack_deadline_at_risk`, an
//! exception opened before the PO's 855 is due and not yet sent):
//!
//! - `retry` (and `resolve`, which means the same here: get the 855 out)
//!   writes the 855 now when every order of the PO has an outcome — the
//!   sweeper's own step, so the alert closes as it would by itself — and
//!   otherwise answers 409 naming each order still waiting, its status
//!   and what to do about it (its open exception, Odoo, the DLQ);
//! - `cancel` dismisses the alert with the operator's reason; the 855 is
//!   still sent by the sweeper once the orders have their outcome, and the
//!   alert is not raised again for the PO.
//!
//! Each action that closes the alert is audited with the operator and
//! reason. An 855 already out closes the alert as resolved.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use o2c_store::ExceptionRecord;
use serde_json::{Value, json};
use uuid::Uuid;

use super::acks::{self, AckError, DEADLINE_REASON, PoAnswer};
use super::tracking::{PoTrack, TrackError};
use crate::api::AppState;
use crate::problem::{Problem, ProblemKind};

/// What the operator asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertAction {
    /// Send the 855 now (`retry` or `resolve`).
    SendNow,
    /// Dismiss the alert (`cancel`).
    Dismiss,
}

impl AlertAction {
    fn name(self) -> &'static str {
        match self {
            AlertAction::SendNow => "retry",
            AlertAction::Dismiss => "cancel",
        }
    }
}

/// Who acts, why, under which correlation id.
pub struct Operator<'a> {
    pub actor: String,
    pub reason: String,
    pub correlation_id: &'a str,
}

/// Whether this exception is a deadline alert [`act`] handles.
pub fn handles(exception: &ExceptionRecord) -> bool {
    exception.order_id.is_none()
        && exception.reasons.iter().any(|r| r == DEADLINE_REASON)
        && exception.details.get("partner").is_some()
}

fn unavailable(detail: impl std::fmt::Display) -> Problem {
    Problem::store_unavailable("acting on an 855 deadline alert", detail)
}

fn conflict(detail: impl Into<String>) -> Problem {
    Problem::new(ProblemKind::Conflict, detail.into())
}

/// Acts on the alert; the answer's body.
pub async fn act(
    app: &AppState,
    exception: &ExceptionRecord,
    action: AlertAction,
    operator: Operator<'_>,
    now: DateTime<Utc>,
) -> Result<Value, Problem> {
    let text = |key: &str| exception.detail_text(key).unwrap_or_default().to_owned();
    let partner_id = text("partner");
    let po_number = text("po_number");
    let mut sent = None;
    if action == AlertAction::SendNow {
        let partner = app.edi.partner(&partner_id).ok_or_else(|| {
            conflict(format!(
                "trading partner {partner_id} is no longer configured: there is no 855 to send; cancel the alert with a reason"
            ))
        })?;
        match acks::answer_po(app.store.as_ref(), &app.edi, partner, &po_number, now).await {
            Ok(PoAnswer::Sent(file)) | Ok(PoAnswer::AlreadySent(file)) => sent = Some(file),
            Ok(PoAnswer::NotReady(track)) => return Err(not_ready(app, &track).await?),
            Ok(PoAnswer::Untracked) => {
                return Err(conflict(format!(
                    "PO {po_number} of {partner_id} is not waiting for an 855 (the partner gets none, or the PO is no longer tracked); cancel the alert with a reason"
                )));
            }
            Err(AckError::Track(TrackError::Store(o2c_store::StoreError::Conflict(_)))) => {
                return Err(conflict(
                    "the 855 of this PO is being written right now by the acknowledgment sweeper; reload the exception",
                ));
            }
            Err(error) => return Err(unavailable(error)),
        }
    }
    let name = action.name();
    let resolution = json!({
        "action": name,
        "by": operator.actor,
        "reason": operator.reason,
        "file": sent,
        "at": now,
    });
    let status = match action {
        AlertAction::SendNow => "resolved",
        AlertAction::Dismiss => "cancelled",
    };
    let audit = crate::operations::exception_audit(
        &operator.actor,
        name,
        exception.id,
        json!({
            "reasons": exception.reasons,
            "partner": partner_id,
            "po_number": po_number,
            "reason": operator.reason,
            "file": sent,
        }),
        operator.correlation_id,
        now,
    );
    // A dismissal closes the alert with its audit entry, in one commit.
    // Writing the 855 closed it already (as the sweeper does, in the 855's
    // own commit): the operator's entry is then written alone.
    let closed = app
        .store
        .close_exception(exception.id, status, resolution, audit.clone(), now)
        .await
        .map_err(unavailable)?;
    if !closed {
        if action == AlertAction::Dismiss {
            return Err(conflict(
                "someone else closed this exception first; reload it",
            ));
        }
        app.store.append_audit(audit).await.map_err(unavailable)?;
    }
    Ok(json!({
        "exception_id": exception.id,
        "action": name,
        "po_number": po_number,
        "file": sent,
    }))
}

/// The 409 of an 855 that cannot be sent yet: each order still without an
/// outcome, its status, its open exception, and what to do.
async fn not_ready(app: &AppState, track: &PoTrack) -> Result<Problem, Problem> {
    let open: HashMap<Uuid, Uuid> = app
        .store
        .list_exceptions(Some("open"), 1000)
        .await
        .map_err(unavailable)?
        .into_iter()
        .filter_map(|e| Some((e.order_id?, e.id)))
        .collect();
    let mut waiting = Vec::new();
    let mut steps = Vec::new();
    for tracked in &track.orders {
        let status = app
            .store
            .get_order(tracked.order_id)
            .await
            .map_err(unavailable)?
            .map(|r| r.status)
            .unwrap_or_else(|| "missing".into());
        let exception = open.get(&tracked.order_id).copied();
        let todo = match (status.as_str(), exception) {
            ("on_hold", Some(id)) => format!(
                "order {} is on hold: resolve, override or cancel exception {id}",
                tracked.order_id
            ),
            ("on_hold", None) => {
                format!("order {} is on hold: retry or cancel it", tracked.order_id)
            }
            ("received" | "mapped" | "validated" | "submitted", _) => format!(
                "order {} is {status} and on its way to Odoo: wait for it, or look for its job in the dead-letter queue (GET /v1/dlq)",
                tracked.order_id
            ),
            _ => continue,
        };
        steps.push(todo);
        waiting.push(json!({
            "order_id": tracked.order_id,
            "status": status,
            "exception_id": exception,
        }));
    }
    let detail = if steps.is_empty() {
        format!(
            "the 855 for PO {} cannot be written yet; try again in a moment",
            track.po_number
        )
    } else {
        format!(
            "the 855 for PO {} cannot be sent until every order has an outcome: {}; or cancel this alert with a reason to dismiss it (the 855 still goes out once the orders are settled)",
            track.po_number,
            steps.join("; ")
        )
    };
    Ok(conflict(detail)
        .with("po_number", json!(track.po_number))
        .with("deadline", json!(track.deadline))
        .with("waiting_orders", json!(waiting)))
}
