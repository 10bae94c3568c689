//! Helpers of the tests of the rules that need Odoo's data: a channel
//! that checks everything, the seed's customer Acme and its orders, raw
//! calls to the sandbox, and an order's outcome (confirmed, or held with
//! its findings).
//!
//! The seed's "Acme Shop Customer Inc" buys on the "Shop B2B (-10%)"
//! pricelist (USD); SHOP-001 lists at 25.00 (22.50 for Acme) and carries
//! the 15 % sale tax.

use o2c_hub::HubConfig;
use o2c_hub::validation::ChannelPolicy;
use serde_json::{Value, json};

use super::validation::{acme_b2b_order, channel_policy};
use super::{TestHub, odoo_call};

/// `rest:b2b` checks everything against Odoo and creates no customers.
pub fn strict_b2b() -> HubConfig {
    channel_policy(
        "rest:b2b",
        ChannelPolicy {
            price_authoritative: Some(false),
            tax_authoritative: Some(false),
            create_customers: Some(false),
            ..ChannelPolicy::default()
        },
    )
}

/// Acme orders `quantity` SHOP-001 at `price` with `tax` declared on the line.
pub fn acme_order(reference: &str, price: &str, tax: &str) -> Value {
    acme_b2b_order(
        reference,
        json!([
            { "line_id": "1", "sku": "SHOP-001", "quantity": { "value": "2", "uom": "Units" }, "unit_price": price,
              "taxes": [{ "code": "TAX15", "rate": "15", "amount": tax }] }
        ]),
    )
}

pub async fn odoo(hub: &TestHub, model: &str, method: &str, args: Value) -> Value {
    odoo_call(&hub.odoo_url, model, method, args).await
}

pub async fn acme_id(hub: &TestHub) -> i64 {
    odoo(
        hub,
        "res.partner",
        "search",
        json!([[["email", "=", "billing@acme-shop.example.com"]]]),
    )
    .await[0]
        .as_i64()
        .expect("the seed's Acme")
}

/// Posts the order and waits until it is confirmed or on hold; returns the
/// status and the open exception's reasons and pointers.
pub async fn outcome(hub: &TestHub, order: &Value) -> (String, String, Vec<(String, String)>) {
    let answer: Value = hub.post_order(order).await.json().await.expect("json");
    let order_id = answer["order_id"].as_str().expect("order id").to_owned();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let body: Value = hub
            .get(&format!("/v1/orders/{order_id}"))
            .await
            .json()
            .await
            .expect("json");
        let status = body["status"].as_str().unwrap_or_default().to_owned();
        if status == "confirmed" {
            return (order_id, status, Vec::new());
        }
        if status == "on_hold" {
            let exception = hub.open_exception_of(&order_id).await;
            let id = exception["id"].as_str().expect("id").to_owned();
            let detail: Value = hub
                .get(&format!("/v1/exceptions/{id}"))
                .await
                .json()
                .await
                .expect("json");
            let findings = detail["exception"]["details"]["hold"]["findings"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .map(|f| {
                    (
                        f["reason"].as_str().unwrap_or_default().to_owned(),
                        f["pointer"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect();
            return (order_id, id, findings);
        }
        assert!(
            std::time::Instant::now() < deadline,
            "order {order_id} neither confirmed nor held: {body}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
}

pub fn found(reason: &str, pointer: &str) -> Vec<(String, String)> {
    vec![(reason.to_owned(), pointer.to_owned())]
}

/// Acme's order `acme_order` in euros, dated `day`.
pub fn euro_order(reference: &str, price: &str, tax: &str, day: &str) -> Value {
    let mut order = acme_order(reference, price, tax);
    order["currency"] = json!("EUR");
    order["order_date"] = json!(format!("{day}T10:00:00Z"));
    order
}

pub async fn credit_limit(hub: &TestHub, limit: f64) {
    let acme = acme_id(hub).await;
    odoo(
        hub,
        "res.partner",
        "write",
        json!([[acme], { "credit_limit": limit }]),
    )
    .await;
}
