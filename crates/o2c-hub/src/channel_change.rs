//! Changes a channel makes to an order the hub already has (Shopify's
//! `orders/updated`, `orders/cancelled`, `refunds/create`, and a pulled
//! Amazon, Salesforce or Shopify order the hub holds): the durable job
//! that carries one, and the comparison that tells a real change from noise.
//!
//! The webhook only stores the change as a job on the order's own queue (so
//! it runs after, never beside, the order's other work) and answers; the
//! worker then amends, revises, cancels or records it
//! (`worker::executor::channel_change`).

use chrono::{DateTime, Utc};
use o2c_model::Order;
use o2c_store::NewJob;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::workflow::DEFAULT_MAX_ATTEMPTS;

/// The job kind of a channel change.
pub const KIND: &str = "channel_change";

/// One change, as the job stores it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ChannelChangeJob {
    pub order_id: Uuid,
    /// `shopify:<shop>`: who made the change (the audit actor).
    pub channel: String,
    /// The webhook topic that carried it.
    pub topic: String,
    pub change: ChannelChange,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChannelChange {
    /// The channel's newest version of the order, mapped to canonical.
    Updated {
        order: Box<Order>,
        /// The channel's own version (Shopify `updated_at`).
        version: Option<DateTime<Utc>>,
    },
    Cancelled {
        reason: String,
        version: Option<DateTime<Utc>>,
    },
    /// A refund the channel made.
    Refunded { refund: RefundRecord },
}

/// A channel refund as the journal keeps it: exact amounts with their
/// currency, and per line the quantity and whether it is restocked.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RefundRecord {
    pub refund_id: String,
    pub currency: Option<String>,
    /// Money returned to the customer.
    pub amount: Decimal,
    /// Value of the refunded lines (subtotal + tax) and of refunded shipping.
    pub lines_value: Decimal,
    pub shipping: Decimal,
    pub note: Option<String>,
    pub created_at: Option<String>,
    pub lines: Vec<RefundLineRecord>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RefundLineRecord {
    pub line_id: String,
    pub quantity: Decimal,
    pub restock: bool,
    pub restock_type: Option<String>,
    pub subtotal: Option<Decimal>,
    pub total_tax: Option<Decimal>,
}

impl From<o2c_connectors::shopify::Refund> for RefundRecord {
    fn from(r: o2c_connectors::shopify::Refund) -> Self {
        RefundRecord {
            refund_id: r.refund_id,
            currency: r.currency,
            amount: r.amount,
            lines_value: r.lines_value,
            shipping: r.shipping,
            note: r.note,
            created_at: r.created_at,
            lines: r
                .lines
                .into_iter()
                .map(|l| RefundLineRecord {
                    line_id: l.line_id,
                    quantity: l.quantity,
                    restock: l.restock,
                    restock_type: l.restock_type,
                    subtotal: l.subtotal,
                    total_tax: l.total_tax,
                })
                .collect(),
        }
    }
}

impl ChannelChangeJob {
    /// The job on the order's queue. `delivery` identifies the delivery
    /// (the webhook id, or a digest of the body): a redelivery enqueues
    /// nothing new.
    pub fn into_job(self, delivery: &str, correlation_id: &str, now: DateTime<Utc>) -> NewJob {
        NewJob {
            queue_key: self.order_id.to_string(),
            kind: KIND.to_owned(),
            idempotency_key: format!("{}:{KIND}:{}:{delivery}", self.order_id, self.topic),
            payload: serde_json::to_value(&self).unwrap_or(Value::Null),
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            run_at: now,
            correlation_id: correlation_id.to_owned(),
        }
    }
}

/// The channel's own version of an order payload as the hub keeps it:
/// Shopify's `updated_at`, Amazon's `LastUpdateDate` (in the pull's
/// `{"order", "items"}` document), Salesforce's `SystemModstamp` (in
/// `{"object", "record"}`). `None` for channels without one.
pub fn payload_version(channel_kind: &str, payload: &Value) -> Option<DateTime<Utc>> {
    let text = match channel_kind {
        "shopify" => payload.get("order").unwrap_or(payload).get("updated_at"),
        "amazon" => payload.pointer("/order/LastUpdateDate"),
        "salesforce" => payload.pointer("/record/SystemModstamp"),
        _ => None,
    }?
    .as_str()?;
    // Salesforce writes `+0000`; the others RFC 3339, which this also reads.
    o2c_connectors::salesforce::parse_modstamp(text)
}

/// The parts of a canonical order a channel change is about. Payment
/// status, the mapping version, the order date and external references
/// change without changing what is to be delivered and billed.
const COMPARED: [&str; 9] = [
    "currency",
    "customer",
    "customer_po",
    "bill_to",
    "ship_to",
    "lines",
    "shipping",
    "declared_totals",
    "notes",
];

/// What differs between two canonical orders, as
/// `[{ "path", "before", "after" }]` (lines by `line_id`); empty when the
/// change is only noise.
pub fn diff(before: &Order, after: &Order) -> Vec<Value> {
    let a = serde_json::to_value(before).unwrap_or(Value::Null);
    let b = serde_json::to_value(after).unwrap_or(Value::Null);
    let mut out = Vec::new();
    for key in COMPARED {
        let (x, y) = (&a[key], &b[key]);
        if key == "lines" {
            diff_lines(x, y, &mut out);
        } else {
            diff_values(&format!("/{key}"), x, y, &mut out);
        }
    }
    out
}

fn by_line_id(lines: &Value) -> Vec<(String, &Value)> {
    lines
        .as_array()
        .map(|ls| {
            ls.iter()
                .map(|l| {
                    let id = l["line_id"].as_str().unwrap_or_default().to_owned();
                    (id, l)
                })
                .collect()
        })
        .unwrap_or_default()
}

fn diff_lines(before: &Value, after: &Value, out: &mut Vec<Value>) {
    let (old, new) = (by_line_id(before), by_line_id(after));
    for (id, line) in &old {
        match new.iter().find(|(n, _)| n == id) {
            Some((_, next)) => diff_values(&format!("/lines/{id}"), line, next, out),
            None => out.push(change(&format!("/lines/{id}"), line, &Value::Null)),
        }
    }
    for (id, line) in &new {
        if !old.iter().any(|(o, _)| o == id) {
            out.push(change(&format!("/lines/{id}"), &Value::Null, line));
        }
    }
}

fn diff_values(path: &str, before: &Value, after: &Value, out: &mut Vec<Value>) {
    match (before, after) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for key in keys {
                let x = a.get(key).unwrap_or(&Value::Null);
                let y = b.get(key).unwrap_or(&Value::Null);
                diff_values(&format!("{path}/{key}"), x, y, out);
            }
        }
        (x, y) if same(x, y) => {}
        (x, y) => out.push(change(path, x, y)),
    }
}

/// Equal, with decimal strings compared by value (`"2.0"` = `"2"`).
fn same(a: &Value, b: &Value) -> bool {
    if a == b {
        return true;
    }
    match (a.as_str(), b.as_str()) {
        (Some(x), Some(y)) => matches!(
            (x.parse::<Decimal>(), y.parse::<Decimal>()),
            (Ok(p), Ok(q)) if p == q
        ),
        _ => false,
    }
}

fn change(path: &str, before: &Value, after: &Value) -> Value {
    json!({ "path": path, "before": before, "after": after })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(qty: &str, note: Option<&str>, paid: &str) -> Order {
        serde_json::from_value(json!({
            "channel": {"kind": "shopify", "account": "s"},
            "channel_order_id": "1",
            "order_date": "2026-01-01T00:00:00Z",
            "currency": "USD",
            "customer": {"name": "C"},
            "payment_status": paid,
            "notes": note,
            "lines": [
                {"line_id": "10", "sku": "A", "quantity": {"value": qty, "uom": "Units"}, "unit_price": "5.00"},
                {"line_id": "20", "sku": "B", "quantity": {"value": "1", "uom": "Units"}, "unit_price": "1"}
            ]
        }))
        .expect("order")
    }

    #[test]
    fn each_channel_names_its_version() {
        let at = |t: &str| {
            DateTime::parse_from_rfc3339(t)
                .expect("date")
                .with_timezone(&Utc)
        };
        let shopify = json!({"updated_at": "2024-05-01T12:00:00-04:00"});
        assert_eq!(
            payload_version("shopify", &shopify),
            Some(at("2024-05-01T16:00:00Z"))
        );
        let amazon = json!({"order": {"LastUpdateDate": "2017-01-20T19:49:35Z"}, "items": []});
        assert_eq!(
            payload_version("amazon", &amazon),
            Some(at("2017-01-20T19:49:35Z"))
        );
        let salesforce = json!({"object": "Order", "record": {"SystemModstamp": "2024-05-01T10:00:00.000+0000"}});
        assert_eq!(
            payload_version("salesforce", &salesforce),
            Some(at("2024-05-01T10:00:00Z"))
        );
        assert_eq!(payload_version("rest", &shopify), None);
        assert_eq!(payload_version("amazon", &json!({"order": {}})), None);
    }

    #[test]
    fn noise_is_no_change() {
        assert!(diff(&order("2", None, "unpaid"), &order("2.0", None, "paid")).is_empty());
    }

    #[test]
    fn quantities_and_notes_are_changes_keyed_by_line() {
        let changes = diff(&order("2", None, "paid"), &order("3", Some("ring"), "paid"));
        let paths: Vec<&str> = changes.iter().filter_map(|c| c["path"].as_str()).collect();
        assert_eq!(paths, ["/lines/10/quantity/value", "/notes"]);
        assert_eq!(changes[0]["before"], "2");
        assert_eq!(changes[0]["after"], "3");
    }

    #[test]
    fn added_and_removed_lines() {
        let before = order("2", None, "paid");
        let mut after = before.clone();
        after.lines.remove(1);
        let changes = diff(&before, &after);
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0]["path"], "/lines/20");
        assert!(changes[0]["after"].is_null());
        let back = diff(&after, &before);
        assert!(back[0]["before"].is_null());
    }
}
