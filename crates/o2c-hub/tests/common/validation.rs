//! Helpers for the tests of validation against Odoo's data: a channel with
//! its own policy, the demo seed's Acme ordering on `rest:b2b`, and an order
//! posted and followed until it is confirmed or on hold.

use o2c_hub::HubConfig;
use o2c_hub::validation::{ChannelPolicy, ValidationPolicy};
use serde_json::{Value, json};
use std::collections::BTreeMap;

use super::TestHub;

/// A hub config whose validation gives `channel` (`kind:account`) `policy`.
pub fn channel_policy(channel: &str, policy: ChannelPolicy) -> HubConfig {
    HubConfig {
        validation: ValidationPolicy {
            channels: BTreeMap::from([(channel.to_owned(), policy)]),
            ..ValidationPolicy::default()
        },
        ..HubConfig::default()
    }
}

/// The demo seed's "Acme Shop Customer Inc" ordering `lines` on
/// `rest:b2b`, shipped to its dock.
pub fn acme_b2b_order(reference: &str, lines: Value) -> Value {
    json!({
        "channel": { "kind": "rest", "account": "b2b" },
        "channel_order_id": reference,
        "order_date": "2026-11-27T10:00:00Z",
        "currency": "USD",
        "customer": { "name": "Acme Shop Customer Inc", "email": "billing@acme-shop.example.com" },
        "ship_to": { "name": "Acme Warehouse Dock", "street_lines": ["500 Industrial Way"], "city": "Oakland", "postal_code": "94607", "country": "US" },
        "lines": lines
    })
}

/// How a posted order ended: confirmed, or on hold with its exception.
pub struct Settled {
    pub order_id: String,
    pub status: String,
    /// The open exception's id and `GET /v1/exceptions/{id}` answer, when
    /// the order is on hold.
    pub hold: Option<(String, Value)>,
}

impl Settled {
    /// The hold's findings (none when the order was confirmed).
    pub fn findings(&self) -> Vec<Value> {
        self.hold
            .as_ref()
            .and_then(|(_, detail)| {
                detail["exception"]["details"]["hold"]["findings"]
                    .as_array()
                    .cloned()
            })
            .unwrap_or_default()
    }
}

impl TestHub {
    /// Posts the order and waits (up to 20 s) until it is confirmed or on
    /// hold.
    pub async fn post_until_settled(&self, order: &Value) -> Settled {
        let answer: Value = self.post_order(order).await.json().await.expect("json");
        let order_id = answer["order_id"].as_str().expect("order id").to_owned();
        let body = self
            .wait_for_order(&order_id, "got confirmed or held", |body| {
                body["status"] == "confirmed" || body["status"] == "on_hold"
            })
            .await;
        let status = body["status"].as_str().unwrap_or_default().to_owned();
        let hold = if status == "on_hold" {
            let exception = self.open_exception_of(&order_id).await;
            let id = exception["id"].as_str().expect("id").to_owned();
            let detail = self.exception(&id).await;
            Some((id, detail))
        } else {
            None
        };
        Settled {
            order_id,
            status,
            hold,
        }
    }
}
