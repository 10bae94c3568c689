//! Shopify mapping v1 on Shopify's published samples: each becomes a
//! canonical order that the model accepts, with its key fields right.

use o2c_connectors::MappingSet;
use o2c_model::Order;
use rust_decimal::Decimal;
use serde_json::Value;

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/shopify/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).expect("fixture")).expect("json")
}

/// The webhook body as Shopify sent it (the captures wrap it with headers).
fn webhook_body(name: &str) -> String {
    fixture(name)["body"].to_string()
}

fn map(payload: &str) -> Order {
    let set = MappingSet::shipped().expect("mappings");
    let mapping = set.get("shopify", Some(1)).expect("shopify v1");
    let mut out = mapping
        .program
        .run(
            payload.as_bytes(),
            "shop.myshopify.com",
            "2026-11-27T00:00:00Z",
        )
        .expect("mapping runs");
    assert_eq!(out.len(), 1);
    let value = out.remove(0);
    let order: Order = serde_json::from_value(value.clone())
        .unwrap_or_else(|e| panic!("not canonical: {e}\n{value:#}"));
    if let Err(violations) = order.validate() {
        panic!("invalid canonical order: {violations:?}\n{value:#}");
    }
    order
}

fn dec(text: &str) -> Decimal {
    text.parse().expect("decimal")
}

#[test]
fn orders_create_webhook() {
    let order = map(&webhook_body("hookdeck_2024-10_orders.create.json"));
    // The true 64-bit id, from admin_graphql_api_id (the capture rounded `id`).
    assert_eq!(order.channel_order_id, "820982911946154508");
    assert_eq!(order.channel.account, "shop.myshopify.com");
    assert_eq!(order.currency.code(), "USD");
    assert_eq!(order.customer.name, "John Smith");
    // The customer's own address wins over the order's contact email for customer matching.
    assert_eq!(order.customer.email.as_deref(), Some("john@example.com"));
    let ship_to = order.ship_to.as_ref().expect("ship to");
    assert_eq!(ship_to.country, "US");
    assert_eq!(ship_to.subdivision.as_deref(), Some("US-KY"));
    assert_eq!(ship_to.street_lines, vec!["123 Shipping Street"]);
    assert_eq!(order.lines.len(), 2);
    assert_eq!(order.lines[0].sku, "IPOD2008PINK");
    assert_eq!(order.lines[0].quantity.value, dec("1"));
    assert_eq!(order.lines[0].unit_price, dec("199.00"));
    let totals = order.declared_totals.as_ref().expect("totals");
    assert_eq!(totals.total, dec("388.00"));
    assert_eq!(
        order.shipping.as_ref().map(|s| s.amount),
        Some(dec("10.00"))
    );
    assert_eq!(
        order.mapping.as_ref().map(|m| (m.name.as_str(), m.version)),
        Some(("shopify", 1))
    );
}

#[test]
fn updated_and_cancelled_webhooks_map_too() {
    for name in [
        "hookdeck_2024-10_orders.updated.json",
        "hookdeck_2024-10_orders.cancelled.json",
    ] {
        let order = map(&webhook_body(name));
        assert_eq!(order.channel_order_id, "820982911946154508", "{name}");
        assert_eq!(order.lines.len(), 2, "{name}");
    }
}

#[test]
fn admin_rest_order_resource() {
    let order = map(&fixture("pyapi_order.json").to_string());
    assert_eq!(order.channel_order_id, "450789469");
    assert_eq!(order.customer.name, "Bob Norman");
    assert_eq!(order.customer.external_refs[0].id, "207119551");
    let skus: Vec<&str> = order.lines.iter().map(|l| l.sku.as_str()).collect();
    assert_eq!(skus, ["IPOD2008GREEN", "IPOD2008RED", "IPOD2008BLACK"]);
    assert_eq!(order.lines[1].line_id, "518995019");
    // This sample carries its taxes at order level only.
    assert!(order.lines.iter().all(|l| l.taxes.is_empty()));
    let totals = order.declared_totals.as_ref().expect("totals");
    assert_eq!(totals.total, dec("409.94"));
    assert_eq!(totals.tax, Some(dec("11.94")));
    assert_eq!(order.order_date.to_rfc3339(), "2008-01-10T16:00:00+00:00");
    assert!(
        order
            .external_refs
            .iter()
            .any(|r| r.system == "shopify_name" && r.id == "#1001")
    );
}

#[test]
fn a_line_without_sku_is_a_named_mapping_error() {
    let mut body = fixture("pyapi_order.json");
    body["order"]["line_items"][0]["sku"] = Value::String(String::new());
    let set = MappingSet::shipped().expect("mappings");
    let err = set
        .get("shopify", None)
        .expect("v1")
        .program
        .run(body.to_string().as_bytes(), "s", "t")
        .expect_err("fails");
    assert!(err.to_string().contains("466157049"), "{err}");
    assert!(err.to_string().contains("has no SKU"), "{err}");
}
