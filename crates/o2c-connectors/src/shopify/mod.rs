//! Shopify: webhook verification and the topics the hub takes.
//!
//! Shopify signs each webhook with `X-Shopify-Hmac-Sha256`: the base64
//! HMAC-SHA256 of the raw body under the app's shared secret. The hub
//! verifies it on the exact bytes received (before any parsing), compares in
//! constant time, deduplicates by `X-Shopify-Webhook-Id`, stores the payload
//! and answers — Shopify expects an answer within five seconds and retries
//! otherwise, so nothing slow (no Odoo call) happens before the answer.

pub mod admin;
mod hmac_check;
mod refund;

pub use hmac_check::{sign, verify};
pub use refund::{Refund, RefundError, RefundLine, parse_refund};

use chrono::{DateTime, Utc};
use serde_json::Value;

/// What an order payload says about itself beyond the canonical order: its
/// version and whether (and why) Shopify cancelled it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OrderFacts {
    /// `updated_at`: Shopify's version of the order. A webhook that arrives
    /// late carries an older one and must not undo a newer change.
    pub updated_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub cancel_reason: Option<String>,
}

/// Reads [`OrderFacts`] from an order payload (`{...}` or `{"order": {...}}`);
/// unreadable members are absent, never an error (the mapping judges the order).
pub fn order_facts(payload: &[u8]) -> OrderFacts {
    let Ok(value) = serde_json::from_slice::<Value>(payload) else {
        return OrderFacts::default();
    };
    let order = value.get("order").unwrap_or(&value);
    let time = |key: &str| {
        order
            .get(key)
            .and_then(Value::as_str)
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc))
    };
    OrderFacts {
        updated_at: time("updated_at"),
        cancelled_at: time("cancelled_at"),
        cancel_reason: order
            .get("cancel_reason")
            .and_then(Value::as_str)
            .map(str::to_owned),
    }
}

/// Webhook topics the hub acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topic {
    OrdersCreate,
    OrdersUpdated,
    OrdersCancelled,
    RefundsCreate,
}

impl Topic {
    /// From the `X-Shopify-Topic` header.
    pub fn parse(header: &str) -> Option<Topic> {
        match header {
            "orders/create" => Some(Topic::OrdersCreate),
            "orders/updated" => Some(Topic::OrdersUpdated),
            "orders/cancelled" => Some(Topic::OrdersCancelled),
            "refunds/create" => Some(Topic::RefundsCreate),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Topic::OrdersCreate => "orders/create",
            Topic::OrdersUpdated => "orders/updated",
            Topic::OrdersCancelled => "orders/cancelled",
            Topic::RefundsCreate => "refunds/create",
        }
    }

    /// Topics that change an order the hub may already have.
    pub fn changes_order(self) -> bool {
        !matches!(self, Topic::OrdersCreate)
    }

    /// Topics whose payload is an order the order mapping applies to.
    pub fn carries_order(self) -> bool {
        matches!(
            self,
            Topic::OrdersCreate | Topic::OrdersUpdated | Topic::OrdersCancelled
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_read_versions_in_utc() {
        let facts = order_facts(
            br#"{"order": {"updated_at": "2021-12-31T19:00:00-05:00", "cancel_reason": "customer", "cancelled_at": null}}"#,
        );
        assert_eq!(
            facts.updated_at.map(|t| t.to_rfc3339()),
            Some("2022-01-01T00:00:00+00:00".to_owned())
        );
        assert_eq!(facts.cancel_reason.as_deref(), Some("customer"));
        assert_eq!(facts.cancelled_at, None);
        assert_eq!(order_facts(b"not json"), OrderFacts::default());
    }
}
