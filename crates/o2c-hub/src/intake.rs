//! Turns an accepted canonical order into what the store commits at the
//! door: the inbox row, the order's first journal event, its projection and
//! its first job — everything decided here, before the group commit.

use chrono::{DateTime, Utc};
use o2c_flow::{Event, InvoicePolicy, LineSpec};
use o2c_model::Order;
use o2c_store::{Acceptance, NewAuditEntry, NewInboxMessage, NewJournalEvent, NewOrder};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::auth::Principal;
use crate::workflow::{FlowStep, jobs_for};

/// What the API answers for an accepted order (also kept for duplicates).
pub fn accepted_body(order_id: Uuid, order: &Order, correlation_id: &str) -> Value {
    json!({
        "order_id": order_id,
        "status": "received",
        "channel": channel_name(order),
        "channel_order_id": order.channel_order_id,
        "correlation_id": correlation_id,
        "links": { "self": order_location(order_id) },
    })
}

pub fn order_location(order_id: Uuid) -> String {
    format!("/v1/orders/{order_id}")
}

/// `kind:account`, the channel's name in the store and in key bindings.
pub fn channel_name(order: &Order) -> String {
    format!("{}:{}", order.channel.kind.as_str(), order.channel.account)
}

/// The idempotency key of a submission: the client's `Idempotency-Key`
/// (scoped to the API key, so two clients cannot collide), or the channel's
/// own order id.
pub fn idempotency_key(principal: &Principal, header: Option<&str>, order: &Order) -> String {
    match header {
        Some(key) => format!("idem:{}:{key}", principal.key_id),
        None => format!("order:{}", order.idempotency_key()),
    }
}

/// The workflow's first event for an order.
pub fn received_event(order_id: Uuid, order: &Order) -> Event {
    let lines = order
        .lines
        .iter()
        .map(|line| LineSpec {
            line_id: line.line_id.clone(),
            quantity: line.quantity.value,
            unit_net: unit_net(order, line),
        })
        .collect();
    let shipping = order
        .shipping
        .as_ref()
        .map(|s| s.amount)
        .unwrap_or_default();
    let order_total = order
        .declared_totals
        .as_ref()
        .map(|t| t.total)
        .unwrap_or_else(|| order.subtotal().amount + shipping);
    Event::Received {
        order_id,
        currency: order.currency.to_string(),
        lines,
        order_total,
        invoice_policy: InvoicePolicy::OnShipment,
    }
}

/// Net price per unit after every discount. An amount discount divided
/// over the quantity can have endless decimals; the workflow tracks unit
/// values to 9 places (its limit), which is far below a cent.
fn unit_net(order: &Order, line: &o2c_model::OrderLine) -> Decimal {
    if line.quantity.value.is_zero() {
        return Decimal::ZERO;
    }
    (order.line_net(line).amount / line.quantity.value).round_dp(9)
}

pub struct Intake<'a> {
    pub order: &'a Order,
    pub raw_payload: String,
    pub principal: &'a Principal,
    pub idempotency_header: Option<&'a str>,
    pub correlation_id: &'a str,
    pub now: DateTime<Utc>,
}

/// Builds the acceptance for one order; fails only if the workflow refuses
/// the first event (which a schema-valid order never makes it do).
pub fn acceptance(intake: Intake<'_>) -> Result<(Uuid, Acceptance), o2c_flow::FlowError> {
    let Intake {
        order,
        raw_payload,
        principal,
        idempotency_header,
        correlation_id,
        now,
    } = intake;
    let order_id = Uuid::now_v7();
    let event = received_event(order_id, order);
    let step = FlowStep::first(order_id, &event)?;
    let first_event = NewJournalEvent {
        event_id: Uuid::now_v7(),
        event_type: event.type_name().to_owned(),
        data: json!({ "event": event, "order": order }),
        correlation_id: correlation_id.to_owned(),
        causation_id: None,
        recorded_at: now,
    };
    let first_jobs = jobs_for(order_id, 1, &step.commands, correlation_id, now);
    let body = accepted_body(order_id, order, correlation_id);
    let channel = channel_name(order);
    let acceptance = Acceptance {
        inbox: NewInboxMessage {
            id: Uuid::now_v7(),
            idempotency_key: idempotency_key(principal, idempotency_header, order),
            channel: channel.clone(),
            content_type: "application/json".into(),
            payload: raw_payload,
            correlation_id: correlation_id.to_owned(),
            received_at: now,
            response_status: 202,
            response_body: body,
        },
        order: NewOrder {
            order_id,
            channel: channel.clone(),
            channel_order_id: order.channel_order_id.clone(),
            status: step.state.status.as_str().to_owned(),
            state: step.state_json(),
            first_event,
            first_jobs,
            correlation_id: correlation_id.to_owned(),
            created_at: now,
        },
        audit: NewAuditEntry {
            actor: principal.actor(),
            action: "order.accept".into(),
            subject: format!("order:{order_id}"),
            details: json!({ "channel": channel, "channel_order_id": order.channel_order_id }),
            correlation_id: correlation_id.to_owned(),
            at: now,
        },
    };
    Ok((order_id, acceptance))
}
