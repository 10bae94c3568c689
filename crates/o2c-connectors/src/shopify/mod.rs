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

pub use hmac_check::{sign, verify};

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

    /// Topics whose payload is an order the order mapping applies to.
    pub fn carries_order(self) -> bool {
        matches!(
            self,
            Topic::OrdersCreate | Topic::OrdersUpdated | Topic::OrdersCancelled
        )
    }
}
