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

/// The unit and price of the order's SHOP-001 line in Odoo, and the
/// order's untaxed amount.
async fn shop_line(hub: &TestHub, reference: &str) -> (Value, Value, Value, Value) {
    let orders = odoo_search_read(
        &hub.odoo_url,
        "sale.order",
        json!([["client_order_ref", "=", reference]]),
        &["amount_untaxed"],
    )
    .await;
    let lines = odoo_search_read(
        &hub.odoo_url,
        "sale.order.line",
        json!([["order_id", "=", orders[0]["id"]]]),
        &["product_uom", "product_uom_qty", "price_unit"],
    )
    .await;
    (
        lines[0]["product_uom"][1].clone(),
        lines[0]["product_uom_qty"].clone(),
        lines[0]["price_unit"].clone(),
        orders[0]["amount_untaxed"].clone(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revision_that_changes_a_lines_unit_writes_the_unit_and_its_price() {
    use o2c_hub::erp::odoo::OdooErp;
    use o2c_hub::erp::{Erp, ErpCall, ErpRevision, OrderRevision};
    use o2c_model::Order;

    let hub = TestHub::sqlite_with(strict_b2b()).await;
    let units = acme_order("UOM-REVISE", "24", "Units", "22.50");
    let answer: Value = hub.post_order(&units).await.json().await.expect("json");
    let order_id: uuid::Uuid = answer["order_id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .expect("order id");
    hub.wait_for_status(&order_id.to_string(), "confirmed")
        .await;
    assert_eq!(
        shop_line(&hub, "UOM-REVISE").await,
        (json!("Units"), json!(24.0), json!(22.5), json!(540.0))
    );
    let so = hub.sale_orders("UOM-REVISE").await[0]["id"]
        .as_i64()
        .expect("sale order");
    let erp = OdooErp::new(
        o2c_odoo::OdooClient::new(common::odoo_config(&hub.odoo_url)).expect("client"),
    );
    let call = ErpCall {
        order_id,
        correlation_id: "revise-unit",
        rounding_adjustment: None,
        company: None,
    };
    let order = |v: &Value| -> Order { serde_json::from_value(v.clone()).expect("order") };
    let submitted = order(&units);
    // the channel now orders 2 cases of 12 at 270.00 a case
    let cases = order(&acme_order("UOM-REVISE", "2", "Case of 12", "270.00"));
    let revised = erp
        .revise_order(
            call,
            so,
            OrderRevision {
                submitted: &submitted,
                previous: &submitted,
                current: &cases,
            },
        )
        .await
        .expect("revise");
    assert_eq!(revised, ErpRevision::Revised);
    assert_eq!(
        shop_line(&hub, "UOM-REVISE").await,
        (json!("Case of 12"), json!(2.0), json!(270.0), json!(540.0))
    );
    // and back to its product's unit, which must be written too
    let back = order(&acme_order("UOM-REVISE", "36", "Units", "22.50"));
    let revised = erp
        .revise_order(
            call,
            so,
            OrderRevision {
                submitted: &submitted,
                previous: &cases,
                current: &back,
            },
        )
        .await
        .expect("revise");
    assert_eq!(revised, ErpRevision::Revised);
    assert_eq!(
        shop_line(&hub, "UOM-REVISE").await,
        (json!("Units"), json!(36.0), json!(22.5), json!(810.0))
    );
    hub.shutdown().await;
}
