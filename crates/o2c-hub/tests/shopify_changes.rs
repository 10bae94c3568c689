//! Shopify changing orders the hub already has: `orders/updated` (amended
//! before Odoo, revised in Odoo after, never rolled back by a late older
//! version), `orders/cancelled` (the Odoo order cancelled, once) and
//! `refunds/create` (journaled and published once). Deliveries are Shopify's
//! captured samples, changed by code where a test needs another version,
//! signed with a test secret, through the real hub to the Odoo sandbox.

mod common;

use common::{TestHub, odoo_create, odoo_search_read};
use o2c_hub::HubConfig;
use o2c_hub::config::ShopifyShop;
use serde_json::{Value, json};
use uuid::Uuid;

const SHOP: &str = "shop.myshopify.com";
const SECRET: &str = "another-test-secret";
/// The sample order's true id (its `admin_graphql_api_id`).
const ORDER_ID: &str = "820982911946154508";
const SKU: &str = "IPOD2008PINK";

fn body_of(name: &str) -> Value {
    let path = format!(
        "{}/../o2c-connectors/tests/fixtures/shopify/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let capture: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("json");
    capture["body"].clone()
}

async fn hub() -> TestHub {
    TestHub::sqlite_with(HubConfig {
        shopify: vec![ShopifyShop {
            domain: SHOP.into(),
            secret: Some(SECRET.into()),
            secret_file: None,
        }],
        ..HubConfig::default()
    })
    .await
}

async fn deliver(hub: &TestHub, topic: &str, webhook_id: &str, body: &str) -> Value {
    let signature = o2c_connectors::shopify::sign(SECRET.as_bytes(), body.as_bytes());
    let response = hub
        .http
        .post(format!("{}/v1/channels/shopify/{SHOP}/webhooks", hub.base))
        .header("content-type", "application/json")
        .header("x-shopify-hmac-sha256", signature)
        .header("x-shopify-topic", topic)
        .header("x-shopify-webhook-id", webhook_id)
        .body(body.to_owned())
        .send()
        .await
        .expect("deliver");
    assert_eq!(response.status(), 200, "{topic} must be acknowledged");
    response.json().await.expect("json")
}

async fn product(hub: &TestHub, sku: &str) {
    odoo_create(
        &hub.odoo_url,
        "product.product",
        json!({ "name": sku, "default_code": sku, "list_price": 199.0 }),
    )
    .await;
}

/// The sale orders Odoo has for the sample, with their lines.
async fn sale_orders(hub: &TestHub) -> Vec<Value> {
    odoo_search_read(
        &hub.odoo_url,
        "sale.order",
        json!([["client_order_ref", "=", ORDER_ID]]),
        &["state", "amount_untaxed"],
    )
    .await
}

/// The sample order as Shopify would send it after an edit at `updated_at`:
/// the first line's quantity set to `quantity`, totals recomputed the way
/// Shopify does (the 20.00 order discount spread over the lines by mapping).
fn edited(updated_at: &str, quantity: u32) -> Value {
    let mut order = body_of("hookdeck_2024-10_orders.create.json");
    order["updated_at"] = json!(updated_at);
    order["line_items"][0]["quantity"] = json!(quantity);
    let total = 199 * (quantity + 1) - 20 + 10;
    order["total_price"] = json!(format!("{total}.00"));
    order
}

async fn confirmed_order(hub: &TestHub) -> String {
    product(hub, SKU).await;
    let created = deliver(
        hub,
        "orders/create",
        "create-1",
        &body_of("hookdeck_2024-10_orders.create.json").to_string(),
    )
    .await;
    let order_id = created["order_id"].as_str().expect("order id").to_owned();
    hub.wait_for_status(&order_id, "confirmed").await;
    order_id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_after_confirmation_revises_the_odoo_order_and_never_rolls_back() {
    let hub = hub().await;
    let order_id = confirmed_order(&hub).await;
    let odoo = sale_orders(&hub).await;
    assert_eq!(odoo.len(), 1);
    let sale_order = odoo[0]["id"].as_i64().expect("id");
    assert_eq!(hub.line_quantities(sale_order).await, [1.0, 1.0]);

    // Shopify's own orders/updated sample: the same content, only noise.
    let same = deliver(
        &hub,
        "orders/updated",
        "update-same",
        &body_of("hookdeck_2024-10_orders.updated.json").to_string(),
    )
    .await;
    assert_eq!(same["status"], "change_queued");
    assert_eq!(same["order_id"], json!(order_id));

    // The merchant edits the order: 3 of the first line.
    let newer = edited("2022-01-02T09:00:00-05:00", 3).to_string();
    deliver(&hub, "orders/updated", "update-3", &newer).await;
    hub.wait_for_events(&order_id, "o2c.order.revised.v1", 1)
        .await;
    assert_eq!(hub.line_quantities(sale_order).await, [1.0, 3.0]);
    // 4 × 199.00 − 20.00 discount + 10.00 shipping, on the same sale order.
    let odoo = sale_orders(&hub).await;
    assert_eq!(odoo.len(), 1, "no second sale order: {odoo:?}");
    assert_eq!(odoo[0]["amount_untaxed"], json!(786.0), "{odoo:?}");
    assert_eq!(odoo[0]["state"], "sale");

    // A late, older version (Shopify does not order webhooks) and a
    // redelivery of the newer one change nothing.
    let older = edited("2022-01-01T12:00:00-05:00", 5).to_string();
    deliver(&hub, "orders/updated", "update-5-late", &older).await;
    deliver(&hub, "orders/updated", "update-3", &newer).await;
    hub.settle().await;
    assert_eq!(hub.line_quantities(sale_order).await, [1.0, 3.0]);
    let types = hub.journal_types(&order_id).await;
    assert_eq!(
        types
            .iter()
            .filter(|t| *t == "o2c.order.revised.v1")
            .count(),
        1,
        "{types:?}"
    );
    let order: Value = hub
        .get(&format!("/v1/orders/{order_id}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(order["status"], "confirmed");
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revision_that_fails_validation_is_not_written_to_odoo() {
    let hub = hub().await;
    let order_id = confirmed_order(&hub).await;
    let sale_order = sale_orders(&hub).await[0]["id"].as_i64().expect("id");
    // The edit's declared total is 50.00 off its lines: the totals rule
    // fails on the new content, so Odoo keeps the old one.
    let mut wrong = edited("2022-01-02T09:00:00-05:00", 3);
    wrong["total_price"] = json!("836.00");
    deliver(&hub, "orders/updated", "update-wrong", &wrong.to_string()).await;
    hub.settle().await;
    assert_eq!(hub.line_quantities(sale_order).await, [1.0, 1.0]);
    let exception = hub.open_exception_of(&order_id).await;
    assert_eq!(
        exception["reasons"],
        json!(["totals_mismatch"]),
        "{exception}"
    );
    let details = &exception["details"];
    assert_eq!(details["findings"][0]["reason"], "totals_mismatch");
    assert!(
        details["detail"]
            .as_str()
            .expect("detail")
            .starts_with("the channel's change was not written to the ERP"),
        "{details}"
    );
    let paths: Vec<&str> = details["change"]["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter_map(|c| c["path"].as_str())
        .collect();
    assert!(
        paths.iter().any(|p| p.ends_with("/quantity/value")),
        "{paths:?}"
    );
    assert!(
        !hub.journal_types(&order_id)
            .await
            .iter()
            .any(|t| t == "o2c.order.revised.v1")
    );
    let order: Value = hub
        .get(&format!("/v1/orders/{order_id}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(order["status"], "confirmed");
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_that_drops_shipping_zeroes_the_odoo_shipping_line() {
    let hub = hub().await;
    let order_id = confirmed_order(&hub).await;
    let odoo = sale_orders(&hub).await;
    // 2 × 199.00 − 20.00 discount + 10.00 shipping.
    assert_eq!(odoo[0]["amount_untaxed"], json!(388.0), "{odoo:?}");

    // The merchant waives shipping: no shipping line, total 10.00 lower.
    let mut waived = edited("2022-01-02T09:00:00-05:00", 1);
    waived["shipping_lines"] = json!([]);
    waived["total_shipping_price_set"]["shop_money"]["amount"] = json!("0.00");
    waived["total_shipping_price_set"]["presentment_money"]["amount"] = json!("0.00");
    waived["total_price"] = json!("378.00");
    deliver(&hub, "orders/updated", "update-waive", &waived.to_string()).await;
    hub.wait_for_events(&order_id, "o2c.order.revised.v1", 1)
        .await;
    let odoo = sale_orders(&hub).await;
    assert_eq!(odoo.len(), 1, "{odoo:?}");
    assert_eq!(odoo[0]["amount_untaxed"], json!(378.0), "{odoo:?}");
    // The product lines are unchanged; the shipping line is kept at zero.
    let sale_order = odoo[0]["id"].as_i64().expect("id");
    assert_eq!(hub.line_quantities(sale_order).await, [1.0, 1.0]);
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_before_odoo_amends_the_held_order_and_it_goes_through() {
    let hub = hub().await;
    // The shop sells a SKU Odoo does not know: the order is held.
    let mut first = body_of("hookdeck_2024-10_orders.create.json");
    first["line_items"][1]["sku"] = json!("IPOD2008GONE");
    product(&hub, SKU).await;
    let created = deliver(&hub, "orders/create", "create-held", &first.to_string()).await;
    let order_id = created["order_id"].as_str().expect("order id").to_owned();
    let held = hub.wait_for_status(&order_id, "on_hold").await;
    assert!(
        held["holds"].to_string().contains("unknown_product"),
        "{held}"
    );
    assert!(sale_orders(&hub).await.is_empty());

    // The merchant fixes the line in Shopify and raises the quantity.
    let mut fixed = edited("2022-01-02T09:00:00-05:00", 2);
    fixed["line_items"][1]["sku"] = json!(SKU);
    deliver(&hub, "orders/updated", "update-fix", &fixed.to_string()).await;
    hub.wait_for_status(&order_id, "confirmed").await;
    let types = hub.journal_types(&order_id).await;
    assert!(
        types.contains(&"o2c.order.amended.v1".to_owned()),
        "{types:?}"
    );
    let odoo = sale_orders(&hub).await;
    assert_eq!(odoo.len(), 1, "{odoo:?}");
    let sale_order = odoo[0]["id"].as_i64().expect("id");
    assert_eq!(hub.line_quantities(sale_order).await, [1.0, 2.0]);
    // The hold's exception was about content the channel replaced.
    let open: Value = hub
        .get("/v1/exceptions?status=open")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        open["exceptions"].as_array().map(Vec::len),
        Some(0),
        "{open}"
    );
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancellation_cancels_the_odoo_order_once() {
    let hub = hub().await;
    let order_id = confirmed_order(&hub).await;
    let cancel = body_of("hookdeck_2024-10_orders.cancelled.json").to_string();
    let answer = deliver(&hub, "orders/cancelled", "cancel-1", &cancel).await;
    assert_eq!(answer["status"], "change_queued");
    hub.wait_for_status(&order_id, "cancelled").await;
    hub.settle().await;
    let odoo = sale_orders(&hub).await;
    assert_eq!(odoo.len(), 1);
    assert_eq!(odoo[0]["state"], "cancel", "{odoo:?}");

    // Redelivered, and Shopify's orders/updated that comes with a cancel:
    // nothing more happens.
    deliver(&hub, "orders/cancelled", "cancel-1", &cancel).await;
    deliver(&hub, "orders/cancelled", "cancel-2", &cancel).await;
    hub.settle().await;
    let types = hub.journal_types(&order_id).await;
    assert_eq!(
        types
            .iter()
            .filter(|t| *t == "o2c.order.cancelled.v1")
            .count(),
        1,
        "{types:?}"
    );
    let dead = hub
        .store
        .list_jobs(Some(o2c_store::JobState::Dead), 10)
        .await
        .expect("jobs");
    assert!(dead.is_empty(), "{dead:?}");
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refund_is_journaled_with_its_money_and_lines_once() {
    let hub = hub().await;
    let order_id = confirmed_order(&hub).await;
    // The capture rounded the 64-bit order id (see PROVENANCE); Shopify
    // sends the true one, which the order's admin_graphql_api_id keeps.
    let captured = body_of("hookdeck_2024-10_refunds.create.json").to_string();
    let rounded = "\"order_id\":820982911946154500";
    assert!(captured.contains(rounded));
    let refund = captured.replace(rounded, &format!("\"order_id\":{ORDER_ID}"));
    let answer = deliver(&hub, "refunds/create", "refund-1", &refund).await;
    assert_eq!(answer["status"], "change_queued");
    assert_eq!(answer["order_id"], json!(order_id));
    hub.wait_for_events(&order_id, "o2c.order.channel_refunded.v1", 1)
        .await;

    // A redelivery under another webhook id is still the same refund.
    deliver(&hub, "refunds/create", "refund-1-again", &refund).await;
    hub.settle().await;
    let journal = hub
        .store
        .load_journal(Uuid::parse_str(&order_id).expect("uuid"))
        .await
        .expect("journal");
    let refunds: Vec<&Value> = journal
        .iter()
        .filter(|e| e.event_type == "o2c.order.channel_refunded.v1")
        .map(|e| &e.data)
        .collect();
    assert_eq!(refunds.len(), 1);
    let record = &refunds[0]["refund"];
    assert_eq!(record["refund_id"], "890088186047892319");
    assert_eq!(record["currency"], "USD");
    // No refund transaction in the sample: no money moved, 398.00 of lines.
    assert_eq!(record["amount"], "0");
    assert_eq!(record["lines_value"], "398.00");
    assert_eq!(record["note"], "Things were damaged");
    let lines = record["lines"].as_array().expect("lines");
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["line_id"], "866550311766439020");
    assert_eq!(lines[0]["restock"], false);
    assert_eq!(lines[0]["restock_type"], "no_restock");
    // Not invoiced yet: nothing for finance to do.
    let open: Value = hub
        .get("/v1/exceptions?status=open")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        open["exceptions"].as_array().map(Vec::len),
        Some(0),
        "{open}"
    );

    // A refund for an order the hub never saw is kept for review.
    let stranger = captured.replace(rounded, "\"order_id\":1");
    let kept = deliver(&hub, "refunds/create", "refund-2", &stranger).await;
    assert_eq!(kept["status"], "kept");
    hub.shutdown().await;
}

/// Odoo ships part of the order (a done delivery), as the warehouse would.
async fn ship_in_odoo(hub: &TestHub, sale_order: i64) {
    let client = o2c_odoo::OdooClient::new(common::odoo_config(&hub.odoo_url)).expect("client");
    let dialect = client.dialect().await.expect("dialect");
    let ops = client.ops(dialect);
    let pickings = ops.pickings_of_order(sale_order).await.expect("pickings");
    let picking = pickings.first().expect("a delivery");
    let product = odoo_search_read(
        &hub.odoo_url,
        "product.product",
        json!([["default_code", "=", SKU]]),
        &["id"],
    )
    .await[0]["id"]
        .as_i64()
        .expect("product");
    ops.validate_picking(&o2c_odoo::ops::ValidateRequest {
        picking_id: picking.id,
        quantities: Some(vec![(product, rust_decimal::Decimal::ONE)]),
        backorder: o2c_odoo::ops::BackorderPolicy::Create,
        ..o2c_odoo::ops::ValidateRequest::default()
    })
    .await
    .expect("validated");
}

async fn open_exceptions(hub: &TestHub) -> Vec<Value> {
    let open: Value = hub
        .get("/v1/exceptions?status=open")
        .await
        .json()
        .await
        .expect("json");
    open["exceptions"].as_array().cloned().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_delivery_changes_and_cancels_become_exceptions_with_the_reason() {
    let hub = hub().await;
    let order_id = confirmed_order(&hub).await;
    let sale_order = sale_orders(&hub).await[0]["id"].as_i64().expect("id");
    ship_in_odoo(&hub, sale_order).await;

    let newer = edited("2022-01-02T09:00:00-05:00", 3).to_string();
    deliver(&hub, "orders/updated", "late-update", &newer).await;
    hub.settle().await;
    // Odoo's order is untouched; an operator sees why and what changed.
    assert_eq!(hub.line_quantities(sale_order).await, [1.0, 1.0]);
    let open = open_exceptions(&hub).await;
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(
        open[0]["reasons"],
        json!(["channel_change_after_fulfilment"])
    );
    let detail: Value = hub
        .get(&format!(
            "/v1/exceptions/{}",
            open[0]["id"].as_str().expect("id")
        ))
        .await
        .json()
        .await
        .expect("json");
    let text = detail.to_string();
    assert!(text.contains("done deliveries"), "{text}");
    assert!(
        text.contains("/lines/866550311766439020/quantity/value"),
        "{text}"
    );

    // The shopper cancels in Shopify: the hub order is cancelled, Odoo's
    // is not (goods left), and the exception carries the reason.
    let cancel = body_of("hookdeck_2024-10_orders.cancelled.json").to_string();
    deliver(&hub, "orders/cancelled", "late-cancel", &cancel).await;
    hub.wait_for_status(&order_id, "cancelled").await;
    hub.settle().await;
    assert_eq!(sale_orders(&hub).await[0]["state"], "sale");
    let open = open_exceptions(&hub).await;
    let refused: Vec<&Value> = open
        .iter()
        .filter(|e| e["reasons"] == json!(["erp_cancel_refused"]))
        .collect();
    assert_eq!(refused.len(), 1, "{open:?}");
    hub.shutdown().await;
}
