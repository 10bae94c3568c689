//! Shopify webhooks through the hub: HMAC-verified, deduplicated by webhook
//! id, mapped by the shipped jq rules and confirmed in the Odoo sandbox;
//! forged deliveries refused and kept.

mod common;

use common::{TestHub, odoo_create, odoo_search_read};
use o2c_hub::HubConfig;
use o2c_hub::config::ShopifyShop;
use serde_json::{Value, json};

const SHOP: &str = "shop.myshopify.com";
const SECRET: &str = "hush-shopify-app-secret";

fn captured(name: &str) -> (Value, String) {
    let path = format!(
        "{}/../o2c-connectors/tests/fixtures/shopify/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let capture: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("json");
    (capture["headers"].clone(), capture["body"].to_string())
}

async fn hub() -> TestHub {
    let config = HubConfig {
        shopify: vec![ShopifyShop {
            domain: SHOP.into(),
            secret: Some(SECRET.into()),
            secret_file: None,
        }],
        ..HubConfig::default()
    };
    TestHub::sqlite_with(config).await
}

/// The sample's SKUs, created in the sandbox the way a merchant's catalogue would hold them.
async fn create_products(odoo_url: &str, skus: &[&str]) {
    for sku in skus {
        odoo_create(
            odoo_url,
            "product.product",
            json!({ "name": sku, "default_code": sku, "list_price": 199.0 }),
        )
        .await;
    }
}

async fn deliver(
    hub: &TestHub,
    shop: &str,
    body: &str,
    signature: &str,
    topic: &str,
    webhook_id: &str,
) -> reqwest::Response {
    hub.http
        .post(format!("{}/v1/channels/shopify/{shop}/webhooks", hub.base))
        .header("content-type", "application/json")
        .header("x-shopify-hmac-sha256", signature)
        .header("x-shopify-topic", topic)
        .header("x-shopify-shop-domain", shop)
        .header("x-shopify-webhook-id", webhook_id)
        .body(body.to_owned())
        .send()
        .await
        .expect("deliver")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_orders_create_webhook_becomes_a_confirmed_sale_order_once() {
    let hub = hub().await;
    let (headers, body) = captured("hookdeck_2024-10_orders.create.json");
    let skus: Vec<String> = serde_json::from_str::<Value>(&body).expect("body")["line_items"]
        .as_array()
        .expect("lines")
        .iter()
        .filter_map(|l| l["sku"].as_str().map(str::to_owned))
        .collect();
    create_products(
        &hub.odoo_url,
        &skus.iter().map(String::as_str).collect::<Vec<_>>(),
    )
    .await;
    let signature = o2c_connectors::shopify::sign(SECRET.as_bytes(), body.as_bytes());
    let webhook_id = headers["x-shopify-webhook-id"].as_str().expect("id");

    let first = deliver(&hub, SHOP, &body, &signature, "orders/create", webhook_id).await;
    assert_eq!(first.status(), 200);
    let first: Value = first.json().await.expect("json");
    assert_eq!(first["status"], "accepted");
    let order_id = first["order_id"].as_str().expect("order id").to_owned();

    // Shopify redelivers; the same webhook id is answered, not re-created.
    let again: Value = deliver(&hub, SHOP, &body, &signature, "orders/create", webhook_id)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(again["status"], "duplicate");
    assert_eq!(again["order_id"], first["order_id"]);
    // orders/updated for the same order (another webhook id) does not make a second order either.
    let updated: Value = deliver(
        &hub,
        SHOP,
        &body,
        &signature,
        "orders/updated",
        "another-delivery",
    )
    .await
    .json()
    .await
    .expect("json");
    assert_eq!(updated["order_id"], first["order_id"]);

    // Shopify's sample carries a 20.00 order-level discount; mapping v2
    // spreads it over the lines, so the order validates and Odoo bills what
    // the shopper paid (v1 held it on the totals rule).
    let order = hub.wait_for_status(&order_id, "confirmed").await;
    assert_eq!(order["channel"], format!("shopify:{SHOP}"));
    assert_eq!(order["channel_order_id"], "820982911946154508");
    let sale_orders = odoo_search_read(
        &hub.odoo_url,
        "sale.order",
        json!([["client_order_ref", "=", "820982911946154508"]]),
        &["state", "order_line", "amount_untaxed", "amount_total"],
    )
    .await;
    assert_eq!(sale_orders.len(), 1, "{sale_orders:?}");
    assert_eq!(sale_orders[0]["state"], "sale");
    // total_price 388.00 = lines 398.00 − discount 20.00 + shipping 10.00
    // (no tax): the shipping charge is its own tax-free line in Odoo.
    assert_eq!(
        sale_orders[0]["amount_untaxed"],
        json!(388.0),
        "{sale_orders:?}"
    );
    assert_eq!(
        sale_orders[0]["order_line"].as_array().map(Vec::len),
        Some(skus.len() + 1)
    );
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_signature_gets_401_and_the_delivery_is_kept_not_processed() {
    let hub = hub().await;
    let (_, body) = captured("hookdeck_2024-10_orders.create.json");
    let forged = o2c_connectors::shopify::sign(b"not the secret", body.as_bytes());
    let response = deliver(&hub, SHOP, &body, &forged, "orders/create", "forged-1").await;
    assert_eq!(response.status(), 401);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let problem: Value = response.json().await.expect("json");
    assert_eq!(problem["type"], "/problems/invalid-signature");
    let kept = hub
        .store
        .list_inbox(Some("rejected"), 10)
        .await
        .expect("inbox");
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].channel, format!("shopify:{SHOP}"));
    assert_eq!(kept[0].payload, body);
    assert!(
        hub.store
            .list_orders(None, 10)
            .await
            .expect("orders")
            .is_empty()
    );

    // No signature at all, and an unknown shop.
    assert_eq!(
        deliver(&hub, SHOP, &body, "", "orders/create", "forged-2")
            .await
            .status(),
        401
    );
    assert_eq!(
        deliver(
            &hub,
            "other.myshopify.com",
            &body,
            &forged,
            "orders/create",
            "x"
        )
        .await
        .status(),
        404
    );
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unmappable_order_is_acknowledged_and_kept_for_review() {
    let hub = hub().await;
    let (_, body) = captured("hookdeck_2024-10_orders.create.json");
    let mut order: Value = serde_json::from_str(&body).expect("body");
    order["line_items"][0]["sku"] = json!("");
    let body = order.to_string();
    let signature = o2c_connectors::shopify::sign(SECRET.as_bytes(), body.as_bytes());
    let response = deliver(&hub, SHOP, &body, &signature, "orders/create", "no-sku-1").await;
    assert_eq!(
        response.status(),
        200,
        "Shopify must not retry what can never map"
    );
    let answer: Value = response.json().await.expect("json");
    assert_eq!(answer["status"], "kept");
    let kept = hub
        .store
        .list_inbox(Some("rejected"), 10)
        .await
        .expect("inbox");
    assert_eq!(kept.len(), 1);
    let problem = kept[0].problem.clone().expect("problem");
    assert_eq!(problem["type"], "/problems/mapping-failed");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("has no SKU")),
        "{problem}"
    );
    assert_eq!(problem["mapping"], "shopify/v3");
    assert!(
        hub.store
            .list_orders(None, 10)
            .await
            .expect("orders")
            .is_empty()
    );
    hub.shutdown().await;
}
