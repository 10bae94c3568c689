//! An operator settles an 850 that could not be mapped (the `mapping_failed`
//! exception, opened before any order exists):
//!
//! - `retry` maps the kept PO again with the mapping and the partner's value
//!   maps as they are now (after an operator fixed a value map, say);
//! - `resolve` takes a corrected canonical order in its place;
//! - `cancel` closes it, and for a partner still waiting for a corrected
//!   850 (`on_unmappable: wait`) lets the 855 reject the PO (`RJ`), which is
//!   what such a partner must get once nobody will fix it.
//!
//! Orders made here are stored like the partner's own (same idempotency,
//! same PO tracking). If an 855 already rejected the PO, creating orders
//! for it needs `override_855` and a reason, and the partner then gets a
//! replacing 855 (ADR 0019).

use chrono::{DateTime, Utc};
use o2c_connectors::edi::Document850;
use o2c_model::Order;
use o2c_store::ExceptionRecord;
use serde_json::{Value, json};

use super::inbound::{Source, map_document, store_orders};
use super::partner::UnmappableAnswer;
use super::told::{self, ToldRefused};
use super::tracking::{PoTrack, Tracks};
use crate::api::AppState;
use crate::problem::{Problem, ProblemKind};

/// What the operator asked for.
pub enum Settle {
    Retry,
    /// The corrected canonical order (not yet checked).
    Resolve(Value),
    Cancel,
}

impl Settle {
    fn name(&self) -> &'static str {
        match self {
            Settle::Retry => "retry",
            Settle::Resolve(_) => "resolve",
            Settle::Cancel => "cancel",
        }
    }
}

/// Who acts, and why.
pub struct Operator<'a> {
    pub src: Source<'a>,
    pub actor: String,
    pub reason: String,
    pub override_855: bool,
}

fn unavailable(detail: impl std::fmt::Display) -> Problem {
    Problem::store_unavailable("settling an unmappable PO", detail)
}

fn conflict(detail: impl Into<String>) -> Problem {
    Problem::new(ProblemKind::Conflict, detail.into())
}

/// Whether this exception is one [`settle`] handles.
pub fn handles(exception: &ExceptionRecord) -> bool {
    exception.order_id.is_none()
        && exception
            .reasons
            .iter()
            .any(|r| r == super::unmapped::REASON)
        && exception.details.get("partner").is_some()
}

/// Settles the exception; the answer's body.
pub async fn settle(
    app: &AppState,
    exception: &ExceptionRecord,
    action: Settle,
    operator: Operator<'_>,
    now: DateTime<Utc>,
) -> Result<Value, Problem> {
    let text = |key: &str| exception.detail_text(key).map(str::to_owned);
    let partner_id = text("partner").unwrap_or_default();
    let partner = app.edi.partner(&partner_id).ok_or_else(|| {
        conflict(format!(
            "trading partner {partner_id} is no longer configured"
        ))
    })?;
    let po_number = text("po_number").unwrap_or_default();
    let tracks = Tracks::new(app.store.as_ref(), &partner.id);
    let mut track = tracks.get(&po_number).await.map_err(unavailable)?;
    let name = action.name();
    let mut order_ids = Vec::new();
    match action {
        Settle::Cancel => {
            if let Some(track) = track.as_mut()
                && track.ack.is_none()
                && partner.acknowledgments.on_unmappable == UnmappableAnswer::Wait
                && let Some(unmapped) = track.unmapped.as_mut()
            {
                unmapped.cancelled = true;
                tracks.save(track).await.map_err(unavailable)?;
            }
        }
        Settle::Retry | Settle::Resolve(_) => {
            let mut input = exception
                .details
                .get("input")
                .filter(|i| !i.is_null())
                .or(track.as_ref().map(|t| &t.document))
                .cloned()
                .ok_or_else(|| {
                    conflict("the exception keeps no copy of the PO to map again; resolve it with the corrected order or have the partner send it again")
                })?;
            // Mapped with the partner's options as they are now.
            input["options"] = json!(partner.mapping_options());
            let doc = Document850 {
                interchange_control: None,
                group_control: None,
                set_control: text("st_control_number").unwrap_or_default(),
                po_number: po_number.clone(),
                input,
            };
            let orders = match &action {
                Settle::Resolve(proposed) => {
                    vec![corrected(app, &partner.id, &po_number, proposed)?]
                }
                _ => map_document(app, partner, &doc)?,
            };
            if let Some(track) = track.as_mut()
                && let Some(told) = rejected_whole(track)
            {
                if !operator.override_855 {
                    return Err(told.problem(None));
                }
                if operator.reason.trim().is_empty() {
                    return Err(Problem::new(
                        ProblemKind::SchemaViolation,
                        "override_855 needs a reason",
                    )
                    .with(
                        "errors",
                        json!([{ "pointer": "/reason", "detail": "required" }]),
                    ));
                }
                // Reopened before the orders join it (a closed track takes
                // none), and without the unmapped mark, so the sweeper cannot
                // answer RJ again in between.
                told::reopen(track, now);
                track.unmapped = None;
                tracks.save(track).await.map_err(unavailable)?;
            }
            let reports = store_orders(app, partner, &doc, &orders, &operator.src, now).await?;
            order_ids = reports.iter().map(|r| r["order_id"].clone()).collect();
        }
    }
    let status = match name {
        "cancel" => "cancelled",
        _ => "resolved",
    };
    let resolution = json!({
        "action": name,
        "by": operator.actor,
        "reason": operator.reason,
        "order_ids": order_ids,
        "override_855": operator.override_855,
        "at": now,
    });
    // Closed and audited in one commit: a closed exception always says
    // who closed it and why.
    let audit = crate::operations::exception_audit(
        &operator.actor,
        name,
        exception.id,
        json!({
            "reasons": exception.reasons,
            "partner": partner.id,
            "po_number": po_number,
            "reason": operator.reason,
            "order_ids": order_ids,
            "override_855": operator.override_855,
        }),
        operator.src.correlation_id,
        now,
    );
    let closed = app
        .store
        .close_exception(exception.id, status, resolution, audit, now)
        .await
        .map_err(unavailable)?;
    if !closed {
        return Err(conflict(
            "someone else closed this exception first; reload it",
        ));
    }
    app.work_ready.notify_one();
    Ok(json!({
        "exception_id": exception.id,
        "action": name,
        "order_ids": order_ids,
    }))
}

/// An 855 that rejected the PO whole (it had no orders): what the partner
/// was told.
fn rejected_whole(track: &PoTrack) -> Option<ToldRefused> {
    let ack = track.ack.as_ref()?;
    Some(ToldRefused {
        partner: track.partner.clone(),
        po_number: track.po_number.clone(),
        file: ack.file.clone(),
        ack_type: ack.ack_type.clone(),
        reason: track
            .unmapped
            .as_ref()
            .and_then(|u| u.problem.get("detail"))
            .and_then(Value::as_str)
            .unwrap_or("the PO could not be mapped")
            .to_owned(),
        written: ack.written,
    })
}

/// The operator's corrected order: a valid canonical order of this
/// partner's channel and this PO.
fn corrected(
    app: &AppState,
    partner: &str,
    po_number: &str,
    proposed: &Value,
) -> Result<Order, Problem> {
    let order = app.schema.parse_corrected(proposed)?;
    let wrong = |pointer: &str, detail: String| {
        Problem::new(ProblemKind::SchemaViolation, detail.clone())
            .with("errors", json!([{ "pointer": pointer, "detail": detail }]))
    };
    if crate::intake::channel_name(&order) != format!("edi:{partner}") {
        return Err(wrong(
            "/order/channel",
            format!("the corrected order must be on channel edi:{partner}"),
        ));
    }
    if order.customer_po.as_deref() != Some(po_number) {
        return Err(wrong(
            "/order/customer_po",
            format!("the corrected order must carry PO {po_number}"),
        ));
    }
    Ok(order)
}
