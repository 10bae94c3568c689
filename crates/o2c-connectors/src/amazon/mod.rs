//! Amazon Selling Partner API (Orders API v0): orders are pulled, not pushed.
//!
//! The puller ([`SpApiClient::pull_since`]) asks `getOrders` for orders
//! updated after a cursor, pages through `NextToken`, fetches every order's
//! items with `getOrderItems`, and returns one [`AmazonOrderBundle`] per new
//! order version together with the next cursor. A bundle's
//! [`AmazonOrderBundle::mapping_input`] is what the versioned mapping
//! `mappings/amazon/v<N>.jq` turns into a canonical order.
//!
//! Fulfilment by Amazon (FBA, `FulfillmentChannel: "AFN"`) orders are shipped
//! by Amazon: the mapping gives them route `amazon_fba`, and no warehouse of
//! the distributor may ship them again. Pending orders are deferred (see
//! [`OrderStatus::is_deferred`]).

mod auth;
mod client;
mod cursor;
mod error;

pub use auth::{LwaConfig, LwaTokenProvider, Secret, StaticToken, TokenProvider};
pub use client::{OrdersPage, RateLimit, RetryPolicy, SpApiClient, SpApiConfig};
pub use cursor::{PullCursor, parse_date};
pub use error::{AmazonError, ApiErrorItem, TokenError};

use serde_json::{Value, json};

/// The mapping channel name (`mappings/amazon/`).
pub const CHANNEL: &str = "amazon";

/// Amazon's `OrderStatus`, as far as the hub treats statuses differently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderStatus {
    /// `Pending` or `PendingAvailability`: payment not authorised; no price,
    /// address or buyer yet.
    Pending,
    /// `Unshipped`, `PartiallyShipped`, `Shipped`, `InvoiceUnconfirmed`: an
    /// order to capture.
    Open(String),
    /// `Canceled`: a cancellation of an order the hub may hold.
    Canceled,
    /// `Unfulfillable` (multi-channel fulfilment only).
    Unfulfillable,
    /// A status this code does not know.
    Other(String),
}

impl OrderStatus {
    pub fn parse(status: &str) -> Self {
        match status {
            "Pending" | "PendingAvailability" => OrderStatus::Pending,
            "Unshipped" | "PartiallyShipped" | "Shipped" | "InvoiceUnconfirmed" => {
                OrderStatus::Open(status.to_owned())
            }
            "Canceled" => OrderStatus::Canceled,
            "Unfulfillable" => OrderStatus::Unfulfillable,
            other => OrderStatus::Other(other.to_owned()),
        }
    }

    /// Not mappable yet: the puller fetches no items and the hub stores
    /// nothing; Amazon moves `LastUpdateDate` when the order leaves Pending,
    /// so the next pull returns it again.
    pub fn is_deferred(&self) -> bool {
        matches!(self, OrderStatus::Pending)
    }
}

/// One Amazon order as pulled: the raw `Order`, its `OrderItem`s (all
/// pages) and, when fetched with a restricted data token, its address and
/// buyer info. Values are kept as Amazon sent them (decimal strings intact).
#[derive(Debug, Clone, PartialEq)]
pub struct AmazonOrderBundle {
    pub order: Value,
    pub items: Vec<Value>,
    pub address: Option<Value>,
    pub buyer: Option<Value>,
}

impl AmazonOrderBundle {
    /// `AmazonOrderId` (empty if absent; the mapping rejects that).
    pub fn order_id(&self) -> &str {
        self.order
            .get("AmazonOrderId")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// `LastUpdateDate` as Amazon wrote it.
    pub fn last_update_date(&self) -> &str {
        self.order
            .get("LastUpdateDate")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    pub fn status(&self) -> OrderStatus {
        OrderStatus::parse(
            self.order
                .get("OrderStatus")
                .and_then(Value::as_str)
                .unwrap_or_default(),
        )
    }

    /// True for FBA (`AFN`) orders, which Amazon ships itself.
    pub fn is_fulfilled_by_amazon(&self) -> bool {
        self.order.get("FulfillmentChannel").and_then(Value::as_str) == Some("AFN")
    }

    /// The inbox idempotency key of this order version:
    /// `amazon:{AmazonOrderId}:{LastUpdateDate}`.
    pub fn version_key(&self) -> String {
        format!("amazon:{}:{}", self.order_id(), self.last_update_date())
    }

    /// The mapping's input document:
    /// `{"order", "items", "address"?, "buyer"?}`.
    pub fn mapping_input(&self) -> Value {
        let mut input = json!({ "order": self.order, "items": self.items });
        if let Some(address) = &self.address {
            input["address"] = address.clone();
        }
        if let Some(buyer) = &self.buyer {
            input["buyer"] = buyer.clone();
        }
        input
    }
}
