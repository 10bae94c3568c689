//! Units of measure end to end against the sandbox's demo seed: a line in
//! the demo's "Case of 12" passes validation with the pricelist price
//! converted to a case and becomes an Odoo line in cases whose delivery
//! move counts Units; a unit Odoo does not know and a unit of another
//! category are held with the line and unit named.
//!
//! The seed's Acme buys SHOP-001 (25.00 a Unit) at 22.50 on its pricelist:
//! 270.00 a case of 12.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::{TestHub, odoo_search_read};
use o2c_hub::HubConfig;
use o2c_hub::validation::{ChannelPolicy, ValidationPolicy};
use serde_json::{Value, json};

/// `rest:b2b` checks prices against Odoo.
fn strict_b2b() -> HubConfig {
    let mut channels = BTreeMap::new();
    channels.insert(
        "rest:b2b".to_owned(),
        ChannelPolicy {
            price_authoritative: Some(false),
            ..ChannelPolicy::default()
        },
    );
    HubConfig {
        validation: ValidationPolicy {
            channels,
            ..ValidationPolicy::default()
        },
        ..HubConfig::default()
    }
}

/// Acme orders `quantity` SHOP-001 in `uom` at `price` per that unit.
fn acme_order(reference: &str, quantity: &str, uom: &str, price: &str) -> Value {
    json!({
        "channel": { "kind": "rest", "account": "b2b" },
        "channel_order_id": reference,
        "order_date": "2026-11-27T10:00:00Z",
        "currency": "USD",
        "customer": { "name": "Acme Shop Customer Inc", "email": "billing@acme-shop.example.com" },
        "ship_to": { "name": "Acme Warehouse Dock", "street_lines": ["500 Industrial Way"], "city": "Oakland", "postal_code": "94607", "country": "US" },
        "lines": [
            { "line_id": "1", "sku": "SHOP-001", "quantity": { "value": quantity, "uom": uom }, "unit_price": price }
        ]
    })
}

/// Posts the order and waits until it is confirmed or on hold: the status
/// and, when held, the findings (reason, pointer, detail).
async fn outcome(hub: &TestHub, order: &Value) -> (String, Vec<(String, String, String)>) {
    let answer: Value = hub.post_order(order).await.json().await.expect("json");
    let order_id = answer["order_id"].as_str().expect("order id").to_owned();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let body: Value = hub
            .get(&format!("/v1/orders/{order_id}"))
            .await
            .json()
            .await
            .expect("json");
        let status = body["status"].as_str().unwrap_or_default().to_owned();
        if status == "confirmed" {
            return (status, Vec::new());
        }
        if status == "on_hold" {
            let exception = hub.open_exception_of(&order_id).await;
            let id = exception["id"].as_str().expect("id");
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
                    let text = |k: &str| f[k].as_str().unwrap_or_default().to_owned();
                    (text("reason"), text("pointer"), text("detail"))
                })
                .collect();
            return (status, findings);
        }
        assert!(
            Instant::now() < deadline,
            "order {order_id} neither confirmed nor held: {body}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_line_in_cases_is_priced_per_case_and_delivered_in_units() {
    let hub = TestHub::sqlite_with(strict_b2b()).await;
    let (status, findings) = outcome(
        &hub,
        &acme_order("UOM-CASE-OK", "2", "Case of 12", "270.00"),
    )
    .await;
    assert_eq!((status.as_str(), findings), ("confirmed", vec![]));
    let case = odoo_search_read(
        &hub.odoo_url,
        "uom.uom",
        json!([["name", "=", "Case of 12"]]),
        &["id"],
    )
    .await[0]["id"]
        .clone();
    let orders = odoo_search_read(
        &hub.odoo_url,
        "sale.order",
        json!([["client_order_ref", "=", "UOM-CASE-OK"]]),
        &["amount_untaxed", "state"],
    )
    .await;
    assert_eq!(orders[0]["state"], "sale");
    assert_eq!(orders[0]["amount_untaxed"], json!(540.0));
    let lines = odoo_search_read(
        &hub.odoo_url,
        "sale.order.line",
        json!([["order_id", "=", orders[0]["id"]]]),
        &["product_uom", "product_uom_qty", "price_unit"],
    )
    .await;
    assert_eq!(lines[0]["product_uom"][0], case);
    assert_eq!(lines[0]["product_uom_qty"], json!(2.0));
    assert_eq!(lines[0]["price_unit"], json!(270.0));
    let moves = odoo_search_read(
        &hub.odoo_url,
        "stock.move",
        json!([["sale_line_id", "=", lines[0]["id"]]]),
        &["product_uom", "product_uom_qty", "product_qty"],
    )
    .await;
    assert_eq!(moves[0]["product_uom"][0], case);
    assert_eq!(moves[0]["product_uom_qty"], json!(2.0));
    assert_eq!(moves[0]["product_qty"], json!(24.0));
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_per_unit_price_on_a_line_in_cases_is_a_price_mismatch() {
    let hub = TestHub::sqlite_with(strict_b2b()).await;
    let (status, findings) = outcome(
        &hub,
        &acme_order("UOM-CASE-PRICE", "2", "Case of 12", "22.50"),
    )
    .await;
    assert_eq!(status, "on_hold");
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].0, "price_mismatch");
    assert!(findings[0].2.contains("270"), "{}", findings[0].2);
    assert!(hub.sale_orders("UOM-CASE-PRICE").await.is_empty());
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_and_unconvertible_units_are_held_naming_line_and_unit() {
    // held whatever the price policy: the default channel takes its prices
    let hub = TestHub::sqlite_with(HubConfig::default()).await;
    let (status, findings) = outcome(&hub, &acme_order("UOM-CRATE", "1", "Crate", "22.50")).await;
    assert_eq!(status, "on_hold");
    assert_eq!(findings.len(), 1, "{findings:?}");
    let (reason, pointer, detail) = &findings[0];
    assert_eq!(
        (reason.as_str(), pointer.as_str()),
        ("unknown_uom", "/lines/0/quantity/uom")
    );
    assert!(
        detail.contains("line 1") && detail.contains("\"Crate\""),
        "{detail}"
    );
    let (status, findings) = outcome(&hub, &acme_order("UOM-KG", "1", "kg", "22.50")).await;
    assert_eq!(status, "on_hold");
    let (reason, pointer, detail) = &findings[0];
    assert_eq!(
        (reason.as_str(), pointer.as_str()),
        ("uom_mismatch", "/lines/0/quantity/uom")
    );
    assert!(
        detail.contains("line 1") && detail.contains("\"kg\"") && detail.contains("\"Units\""),
        "{detail}"
    );
    assert!(hub.sale_orders("UOM-CRATE").await.is_empty());
    assert!(hub.sale_orders("UOM-KG").await.is_empty());
    hub.shutdown().await;
}
