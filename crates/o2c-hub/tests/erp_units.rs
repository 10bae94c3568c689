//! Units of measure end to end against the sandbox's demo seed: a line in
//! the demo's "Case of 12" passes validation with the pricelist price
//! converted to a case and becomes an Odoo line in cases whose delivery
//! move counts Units; a unit Odoo does not know and a unit of another
//! category are held with the line and unit named.
//!
//! The seed's Acme buys SHOP-001 (25.00 a Unit) at 22.50 on its pricelist:
//! 270.00 a case of 12.

mod common;

use common::validation::{acme_b2b_order, channel_policy};
use common::{TestHub, odoo_search_read};
use o2c_hub::HubConfig;
use o2c_hub::erp::odoo::OdooErp;
use o2c_hub::erp::{Erp, ErpCall, ErpRevision, OrderRevision};
use o2c_hub::validation::ChannelPolicy;
use o2c_model::Order;
use serde_json::{Value, json};

/// `rest:b2b` checks prices against Odoo.
fn strict_b2b() -> HubConfig {
    channel_policy(
        "rest:b2b",
        ChannelPolicy {
            price_authoritative: Some(false),
            ..ChannelPolicy::default()
        },
    )
}

/// Acme orders `quantity` SHOP-001 in `uom` at `price` per that unit.
fn acme_order(reference: &str, quantity: &str, uom: &str, price: &str) -> Value {
    acme_b2b_order(
        reference,
        json!([
            { "line_id": "1", "sku": "SHOP-001", "quantity": { "value": quantity, "uom": uom }, "unit_price": price }
        ]),
    )
}

/// Posts the order and waits until it is confirmed or on hold: the status
/// and, when held, the findings (reason, pointer, detail).
async fn outcome(hub: &TestHub, order: &Value) -> (String, Vec<(String, String, String)>) {
    let settled = hub.post_until_settled(order).await;
    let findings = settled
        .findings()
        .iter()
        .map(|f| {
            let text = |k: &str| f[k].as_str().unwrap_or_default().to_owned();
            (text("reason"), text("pointer"), text("detail"))
        })
        .collect();
    (settled.status, findings)
}

/// The order's first line in Odoo with `fields`, and the order with
/// `order_fields`.
async fn first_line(
    hub: &TestHub,
    reference: &str,
    order_fields: &[&str],
    fields: &[&str],
) -> (Value, Value) {
    let orders = hub.sale_orders_with(reference, order_fields).await;
    let lines = odoo_search_read(
        &hub.odoo_url,
        "sale.order.line",
        json!([["order_id", "=", orders[0]["id"]]]),
        fields,
    )
    .await;
    (orders[0].clone(), lines[0].clone())
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
    let (order, line) = first_line(
        &hub,
        "UOM-CASE-OK",
        &["amount_untaxed", "state"],
        &["product_uom", "product_uom_qty", "price_unit"],
    )
    .await;
    assert_eq!(order["state"], "sale");
    assert_eq!(order["amount_untaxed"], json!(540.0));
    assert_eq!(line["product_uom"][0], case);
    assert_eq!(line["product_uom_qty"], json!(2.0));
    assert_eq!(line["price_unit"], json!(270.0));
    let moves = odoo_search_read(
        &hub.odoo_url,
        "stock.move",
        json!([["sale_line_id", "=", line["id"]]]),
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
    let (order, line) = first_line(
        hub,
        reference,
        &["amount_untaxed"],
        &["product_uom", "product_uom_qty", "price_unit"],
    )
    .await;
    (
        line["product_uom"][1].clone(),
        line["product_uom_qty"].clone(),
        line["price_unit"].clone(),
        order["amount_untaxed"].clone(),
    )
}

/// Sale order `so` revised through the Odoo adapter from `previous` to
/// `current`.
async fn revise(
    erp: &OdooErp,
    call: ErpCall<'_>,
    so: i64,
    submitted: &Order,
    previous: &Order,
    current: &Order,
) -> ErpRevision {
    erp.revise_order(
        call,
        so,
        OrderRevision {
            submitted,
            previous,
            current,
        },
    )
    .await
    .expect("revise")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revision_that_changes_a_lines_unit_writes_the_unit_and_its_price() {
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
    assert_eq!(
        revise(&erp, call, so, &submitted, &submitted, &cases).await,
        ErpRevision::Revised
    );
    assert_eq!(
        shop_line(&hub, "UOM-REVISE").await,
        (json!("Case of 12"), json!(2.0), json!(270.0), json!(540.0))
    );
    // and back to its product's unit, which must be written too
    let back = order(&acme_order("UOM-REVISE", "36", "Units", "22.50"));
    assert_eq!(
        revise(&erp, call, so, &submitted, &cases, &back).await,
        ErpRevision::Revised
    );
    assert_eq!(
        shop_line(&hub, "UOM-REVISE").await,
        (json!("Units"), json!(36.0), json!(22.5), json!(810.0))
    );
    hub.shutdown().await;
}
