//! The exception queue's actions: an operator sees why an order is held
//! (reasons, findings, the canonical order, the original payload) and acts —
//! resolve with edits, override with a reason, retry, or cancel. Each action
//! is one workflow step, committed with the exception's closure and an audit
//! row in one transaction. An exception opened before any order existed (an
//! unmappable EDI PO) is settled by `edi::settle`, an 855 deadline alert by
//! `edi::deadline`; an action that would
//! create an order an EDI partner was told is refused needs `override_855`
//! (ADR 0019).

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use o2c_flow::{Event, LineSpec, OrderState};
use o2c_model::Order;
use o2c_store::{ExceptionClosure, ExceptionRecord, OrderRecord, StepCommit, StoreError};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::AppState;
use crate::auth::{Principal, Scope};
use crate::edi::{deadline, settle, told};
use crate::problem::{Problem, ProblemKind};
use crate::workflow;

fn unavailable(error: StoreError) -> Problem {
    Problem::store_unavailable("a store call", error)
}

async fn load(app: &AppState, id: &str) -> Result<(ExceptionRecord, Option<OrderRecord>), Problem> {
    let not_found = || Problem::new(ProblemKind::NotFound, format!("no exception {id}"));
    let id = Uuid::parse_str(id).map_err(|_| not_found())?;
    let exception = app
        .store
        .get_exception(id)
        .await
        .map_err(unavailable)?
        .ok_or_else(not_found)?;
    let order = match exception.order_id {
        Some(order_id) => app.store.get_order(order_id).await.map_err(unavailable)?,
        None => None,
    };
    Ok((exception, order))
}

/// The latest canonical order in an order's journal.
async fn canonical_order(app: &AppState, order_id: Uuid) -> Result<Option<Value>, Problem> {
    let journal = app
        .store
        .load_journal(order_id)
        .await
        .map_err(unavailable)?;
    Ok(journal
        .iter()
        .rev()
        .find_map(|e| e.data.get("order").cloned()))
}

pub async fn get_exception(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let principal = app.auth.authenticate(&headers).await?;
    principal.require(Scope::OpsRead)?;
    let (exception, order) = load(&app, &id).await?;
    let (canonical, payloads) = match exception.order_id {
        Some(order_id) => {
            let payloads: Vec<Value> = app
                .store
                .inbox_for_order(order_id)
                .await
                .map_err(unavailable)?
                .into_iter()
                .map(|m| json!({ "inbox_id": m.id, "channel": m.channel, "received_at": m.received_at, "content_type": m.content_type, "payload": m.payload }))
                .collect();
            (canonical_order(&app, order_id).await?, payloads)
        }
        None => (None, Vec::new()),
    };
    Ok(axum::Json(json!({
        "exception": exception,
        "order": order.map(|o| json!({ "order_id": o.order_id, "status": o.status, "version": o.version, "channel": o.channel, "channel_order_id": o.channel_order_id })),
        "canonical_order": canonical,
        "original_payloads": payloads,
        "actions": actions_of(&exception),
    }))
    .into_response())
}

/// What an operator can do with the exception.
fn actions_of(exception: &ExceptionRecord) -> Vec<&'static str> {
    if exception.status != "open" {
        Vec::new()
    } else if exception.order_id.is_some() {
        vec!["resolve", "override", "retry", "cancel"]
    } else if settle::handles(exception) || deadline::handles(exception) {
        vec!["resolve", "retry", "cancel"]
    } else {
        Vec::new()
    }
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct ActionBody {
    /// Why; required for override and cancel.
    pub reason: Option<String>,
    /// For resolve: the corrected canonical order.
    pub order: Option<Value>,
    /// Go on although an 855 told the EDI partner the order's lines are
    /// refused (needs a reason; a replacing 855 follows; ADR 0019).
    pub override_855: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Action {
    Resolve,
    Override,
    Retry,
    Cancel,
}

impl Action {
    fn name(self) -> &'static str {
        match self {
            Action::Resolve => "resolve",
            Action::Override => "override",
            Action::Retry => "retry",
            Action::Cancel => "cancel",
        }
    }

    fn closed_status(self) -> &'static str {
        match self {
            Action::Resolve | Action::Retry => "resolved",
            Action::Override => "overridden",
            Action::Cancel => "cancelled",
        }
    }
}

/// `POST /v1/exceptions/{id}/{action}` with action resolve, override, retry or cancel.
pub async fn act_on(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path((id, action)): Path<(String, String)>,
    body: Option<axum::Json<ActionBody>>,
) -> Result<Response, Problem> {
    let action = match action.as_str() {
        "resolve" => Action::Resolve,
        "override" => Action::Override,
        "retry" => Action::Retry,
        "cancel" => Action::Cancel,
        other => {
            return Err(Problem::new(
                ProblemKind::NotFound,
                format!("no exception action {other:?}; use resolve, override, retry or cancel"),
            ));
        }
    };
    act(
        &app,
        &headers,
        &id,
        body.map(|b| b.0).unwrap_or_default(),
        action,
    )
    .await
}

/// An exception opened before any order existed: an unmappable EDI PO is
/// settled by `edi::settle` (retry maps it again, resolve takes a corrected
/// order, cancel closes it and answers the partner); an 855 deadline alert
/// by `edi::deadline` (retry or resolve sends the 855 now if it can be,
/// cancel dismisses the alert); others close by themselves once what they
/// are about is done.
async fn orderless(
    app: &AppState,
    headers: &HeaderMap,
    principal: &Principal,
    exception: &ExceptionRecord,
    body: ActionBody,
    action: Action,
) -> Result<Response, Problem> {
    if deadline::handles(exception) {
        let alert_action = match action {
            Action::Retry | Action::Resolve => deadline::AlertAction::SendNow,
            Action::Cancel => deadline::AlertAction::Dismiss,
            Action::Override => {
                return Err(Problem::new(
                    ProblemKind::Conflict,
                    "an 855 deadline alert holds no order to override: retry it to send the 855 now, or cancel it with a reason to dismiss it",
                ));
            }
        };
        let correlation_id = crate::correlation::from_headers(headers);
        let operator = deadline::Operator {
            actor: principal.actor(),
            reason: body.reason.unwrap_or_default(),
            correlation_id: &correlation_id,
        };
        let answer = deadline::act(app, exception, alert_action, operator, Utc::now()).await?;
        return Ok(axum::Json(answer).into_response());
    }
    if !settle::handles(exception) {
        return Err(Problem::new(
            ProblemKind::Conflict,
            format!(
                "exception {} ({}) is not about an order and closes by itself once what it reports is done",
                exception.id,
                exception.reasons.join(", ")
            ),
        ));
    }
    let settle = match action {
        Action::Retry => settle::Settle::Retry,
        Action::Cancel => settle::Settle::Cancel,
        Action::Resolve => settle::Settle::Resolve(body.order.clone().ok_or_else(|| {
            Problem::new(
                ProblemKind::SchemaViolation,
                "resolve needs the corrected order (there is no order yet)",
            )
            .with(
                "errors",
                json!([{ "pointer": "/order", "detail": "required" }]),
            )
        })?),
        Action::Override => {
            return Err(Problem::new(
                ProblemKind::Conflict,
                "override releases a held order; this PO has no order yet: retry it, resolve it with the corrected order, or cancel it",
            ));
        }
    };
    let correlation_id = crate::correlation::from_headers(headers);
    let operator = settle::Operator {
        src: crate::edi::inbound::Source {
            principal,
            correlation_id: &correlation_id,
            origin: format!("exception:{}", exception.id),
        },
        actor: principal.actor(),
        reason: body.reason.unwrap_or_default(),
        override_855: body.override_855,
    };
    let answer = settle::settle(app, exception, settle, operator, Utc::now()).await?;
    Ok(axum::Json(answer).into_response())
}

/// The workflow's view of a canonical order's lines (as at intake).
fn amendment(order: &Order, by: &str, note: &str) -> Event {
    let event = crate::intake::received_event(Uuid::nil(), order);
    let (lines, order_total): (Vec<LineSpec>, Decimal) = match event {
        Event::Received {
            lines, order_total, ..
        } => (lines, order_total),
        _ => (Vec::new(), Decimal::ZERO),
    };
    Event::Amended {
        lines,
        order_total,
        by: by.to_owned(),
        note: note.to_owned(),
    }
}

async fn act(
    app: &AppState,
    headers: &HeaderMap,
    id: &str,
    body: ActionBody,
    action: Action,
) -> Result<Response, Problem> {
    let principal: Principal = app.auth.authenticate(headers).await?;
    principal.require(Scope::OpsWrite)?;
    let (exception, order) = load(app, id).await?;
    let conflict = |detail: String| Problem::new(ProblemKind::Conflict, detail);
    if exception.status != "open" {
        return Err(conflict(format!(
            "the exception is already {}",
            exception.status
        )));
    }
    let reason = body.reason.clone().unwrap_or_default();
    if matches!(action, Action::Override | Action::Cancel) && reason.trim().is_empty() {
        return Err(Problem::new(
            ProblemKind::SchemaViolation,
            format!("{} needs a reason", action.name()),
        )
        .with(
            "errors",
            json!([{ "pointer": "/reason", "detail": "required" }]),
        ));
    }
    if exception.order_id.is_none() {
        return orderless(app, headers, &principal, &exception, body, action).await;
    }
    let record = order.ok_or_else(|| conflict("the exception's order no longer exists".into()))?;
    if record.status != "on_hold" {
        return Err(conflict(format!(
            "the order is {}, not on hold",
            record.status
        )));
    }
    // Anything but a cancel may bring the order to Odoo: not behind the
    // back of an EDI partner told its lines are refused.
    let told = if action == Action::Cancel {
        None
    } else {
        told::told_refused(app.store.as_ref(), record.order_id)
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "reading the EDI tracking failed");
                Problem::new(ProblemKind::Unavailable, "the store is unavailable")
            })?
    };
    if let Some(told) = &told {
        if !body.override_855 {
            return Err(told.problem(Some(record.order_id)));
        }
        if reason.trim().is_empty() {
            return Err(
                Problem::new(ProblemKind::SchemaViolation, "override_855 needs a reason").with(
                    "errors",
                    json!([{ "pointer": "/reason", "detail": "required" }]),
                ),
            );
        }
    }
    let actor = principal.actor();
    let mut edited: Option<Value> = None;
    let event = match action {
        Action::Override => Event::HoldReleased {
            by: actor.clone(),
            note: reason.clone(),
        },
        Action::Cancel => Event::Cancelled {
            reason: reason.clone(),
        },
        Action::Retry => {
            let current = canonical_order(app, record.order_id)
                .await?
                .ok_or_else(|| conflict("the order has no canonical document".into()))?;
            let order: Order = serde_json::from_value(current)
                .map_err(|e| Problem::new(ProblemKind::Internal, e.to_string()))?;
            amendment(
                &order,
                &actor,
                if reason.is_empty() { "retry" } else { &reason },
            )
        }
        Action::Resolve => {
            let proposed = body.order.clone().ok_or_else(|| {
                Problem::new(
                    ProblemKind::SchemaViolation,
                    "resolve needs the corrected order",
                )
                .with(
                    "errors",
                    json!([{ "pointer": "/order", "detail": "required" }]),
                )
            })?;
            let order = app.schema.parse_corrected(&proposed)?;
            // The order's identity is not editable: it is what makes the channel's retries duplicates.
            let channel = crate::intake::channel_name(&order);
            if channel != record.channel || order.channel_order_id != record.channel_order_id {
                return Err(Problem::new(
                    ProblemKind::SchemaViolation,
                    "the corrected order must keep its channel and channel order id",
                )
                .with(
                    "errors",
                    json!([{ "pointer": "/order/channel_order_id", "detail": "must not change" }]),
                ));
            }
            edited = Some(proposed);
            amendment(&order, &actor, &reason)
        }
    };
    let state: OrderState = serde_json::from_value(record.state.clone())
        .map_err(|e| Problem::new(ProblemKind::Internal, e.to_string()))?;
    let (next, commands) = o2c_flow::step(state, &event)
        .map_err(|e| conflict(format!("the workflow refuses to {}: {e}", action.name())))?;
    let now = Utc::now();
    let correlation_id = crate::correlation::from_headers(headers);
    let extra = edited.map(|order| json!({ "order": order }));
    let journal = workflow::journal_event(&event, extra, &correlation_id, None, now);
    let outbox = vec![workflow::outbox_event(record.order_id, &journal)];
    let jobs = workflow::jobs_for(
        record.order_id,
        record.version + 1,
        &commands,
        &correlation_id,
        now,
    );
    let resolution = json!({ "action": action.name(), "by": actor, "reason": reason, "at": now });
    let step = StepCommit {
        order_id: record.order_id,
        expected_version: record.version,
        events: vec![journal],
        new_status: next.status.as_str().to_owned(),
        new_state: workflow::state_json(&next),
        outbox,
        jobs,
        exceptions: Vec::new(),
        closes: vec![ExceptionClosure {
            id: exception.id,
            status: action.closed_status().into(),
            resolution: resolution.clone(),
        }],
        audit: vec![crate::operations::exception_audit(
            &actor,
            action.name(),
            exception.id,
            json!({ "order_id": record.order_id, "reasons": exception.reasons, "reason": reason, "override_855": told }),
            &correlation_id,
            now,
        )],
        completes: None,
        now,
    };
    match app.store.commit_step(step).await {
        Ok(_) => {}
        Err(StoreError::VersionConflict { .. } | StoreError::Conflict(_)) => {
            return Err(conflict(
                "someone else acted on this order or exception first; reload and try again".into(),
            ));
        }
        Err(error) => return Err(unavailable(error)),
    }
    // After the step: the sweeper then answers with the order's outcome
    // from here on, never the refusal being replaced. The step's audit
    // entry names what the partner was told, so if this reopen fails on the
    // store the sweeper reopens the PO from it (`edi::told::reconcile`):
    // the action is done either way, and the answer says what is pending.
    let warning = match &told {
        Some(told) => told::reopen_after_override(app.store.as_ref(), told, now).await,
        None => None,
    };
    app.work_ready.notify_one();
    let mut body = json!({ "exception_id": exception.id, "order_id": record.order_id, "action": action.name(), "order_status": next.status.as_str() });
    if let Some(warning) = warning {
        body["warning"] = json!(warning);
    }
    Ok(axum::Json(body).into_response())
}
