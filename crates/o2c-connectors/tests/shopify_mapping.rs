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
    map_with(payload, 1)
}

/// The one canonical JSON document a version maps the payload to.
fn mapped_json(payload: &str, version: u32) -> Value {
    let set = MappingSet::shipped().expect("mappings");
    let mapping = set.get("shopify", Some(version)).expect("shopify mapping");
    let mut out = mapping
        .program
        .run(
            payload.as_bytes(),
            "shop.myshopify.com",
            "2026-11-27T00:00:00Z",
        )
        .expect("mapping runs");
    assert_eq!(out.len(), 1);
    out.remove(0)
}

fn map_with(payload: &str, version: u32) -> Order {
    let value = mapped_json(payload, version);
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

/// What the order's lines, shipping and tax add up to under a mapping.
fn computed_total(order: &Order) -> Decimal {
    let shipping = order
        .shipping
        .as_ref()
        .map(|s| s.amount)
        .unwrap_or_default();
    let tax = order
        .declared_totals
        .as_ref()
        .and_then(|t| t.tax)
        .unwrap_or_default();
    order.subtotal().amount + shipping + tax
}

#[test]
fn v2_spreads_the_order_discount_over_the_lines() {
    let body = webhook_body("hookdeck_2024-10_orders.create.json");
    // v1 leaves the 20.00 order discount out of the lines: 398 + 10 ≠ 388.
    let v1 = map_with(&body, 1);
    assert_eq!(computed_total(&v1), dec("408.00"));
    let v2 = map_with(&body, 2);
    let discounts: Vec<Option<Decimal>> = v2.lines.iter().map(|l| l.discount_amount).collect();
    assert_eq!(discounts, [Some(dec("10.00")), Some(dec("10.00"))]);
    assert_eq!(computed_total(&v2), dec("388.00"));
    assert_eq!(
        v2.declared_totals.as_ref().map(|t| t.total),
        Some(dec("388.00"))
    );
    assert_eq!(
        v2.mapping.as_ref().map(|m| (m.name.as_str(), m.version)),
        Some(("shopify", 2))
    );
}

#[test]
fn v2_reads_discount_allocations_and_splits_remainders_exactly() {
    let mut body = fixture("hookdeck_2024-10_orders.create.json")["body"].clone();
    // Three lines of 199.00, 2 × 5.00 and 1 × 0.01; a 10.00 code allocated by
    // Shopify to the first line, a 0.01 shipping discount, and 10.00 more
    // that Shopify counted but allocated nowhere.
    let first = body["line_items"][0].clone();
    let mut second = first.clone();
    second["id"] = Value::from(2);
    second["admin_graphql_api_id"] = Value::from("gid://shopify/LineItem/2");
    second["price"] = Value::from("5.00");
    second["quantity"] = Value::from(2);
    let mut third = first.clone();
    third["id"] = Value::from(3);
    third["admin_graphql_api_id"] = Value::from("gid://shopify/LineItem/3");
    third["price"] = Value::from("0.01");
    body["line_items"][0]["discount_allocations"] =
        serde_json::json!([{ "amount": "10.00", "discount_application_index": 0 }]);
    body["line_items"] = Value::Array(vec![body["line_items"][0].clone(), second, third]);
    body["shipping_lines"][0]["discount_allocations"] =
        serde_json::json!([{ "amount": "0.01", "discount_application_index": 1 }]);
    body["total_discounts"] = Value::from("20.01");
    // 199.00 + 10.00 + 0.01 − 20.00 + 10.00 − 0.01
    body["total_price"] = Value::from("199.00");
    let order = map_with(&body.to_string(), 2);
    let discounts: Vec<Decimal> = order
        .lines
        .iter()
        .map(|l| l.discount_amount.unwrap_or_default())
        .collect();
    // 10.00 allocated + the 10.00 spread by what is left of each line
    // (189.00 : 10.00 : 0.01): 9.49 and 0.50 floored, the last takes the rest.
    assert_eq!(discounts, [dec("19.49"), dec("0.50"), dec("0.01")]);
    assert_eq!(discounts.iter().copied().sum::<Decimal>(), dec("20.00"));
    assert_eq!(order.shipping.as_ref().map(|s| s.amount), Some(dec("9.99")));
    assert_eq!(computed_total(&order), dec("199.00"));
    if let Err(violations) = order.validate() {
        panic!("invalid: {violations:?}");
    }
}

#[test]
fn v2_keeps_undiscounted_orders_as_v1_maps_them() {
    let body = fixture("pyapi_order.json").to_string();
    let (v1, v2) = (map_with(&body, 1), map_with(&body, 2));
    assert_eq!(v1.lines, v2.lines);
    assert_eq!(v1.shipping, v2.shipping);
}

/// The canonical JSON a version gives, without its `mapping` stamp.
fn canonical(payload: &str, version: u32) -> Value {
    let mut value = mapped_json(payload, version);
    value.as_object_mut().expect("object").remove("mapping");
    value
}

#[test]
fn v3_maps_every_sample_exactly_as_v2() {
    for name in [
        "hookdeck_2024-10_orders.create.json",
        "hookdeck_2024-10_orders.updated.json",
        "hookdeck_2024-10_orders.cancelled.json",
    ] {
        let body = webhook_body(name);
        assert_eq!(canonical(&body, 3), canonical(&body, 2), "{name}");
    }
    let pyapi = fixture("pyapi_order.json").to_string();
    assert_eq!(canonical(&pyapi, 3), canonical(&pyapi, 2));
    assert_eq!(
        map_with(&pyapi, 3)
            .mapping
            .as_ref()
            .map(|m| (m.name.clone(), m.version)),
        Some(("shopify".to_owned(), 3))
    );
}

/// `"12345"` at scale 2 → `"123.45"`: generated money, exact text.
fn cents(minor: u64) -> String {
    format!("{}.{:02}", minor / 100, minor % 100)
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 64, failure_persistence: None, ..proptest::prelude::ProptestConfig::default() })]

    /// Generated orders (1–4 lines, line and shipping allocations, an
    /// unallocated order discount): v3's native decimal filters give what
    /// v2's jq arithmetic gives, to the cent.
    #[test]
    fn v3_agrees_with_v2_on_generated_discounts(
        lines in proptest::collection::vec((1u64..50_000, 1u64..20, 0u64..500), 1..5),
        shipping in 0u64..3_000,
        shipping_discount in 0u64..100,
        unallocated in 0u64..5_000,
    ) {
        let mut body = fixture("hookdeck_2024-10_orders.create.json")["body"].clone();
        let template = body["line_items"][0].clone();
        let mut items = Vec::new();
        let mut allocated = 0;
        for (i, (price, quantity, discount)) in lines.iter().enumerate() {
            let discount = (*discount).min(price * quantity);
            allocated += discount;
            let mut item = template.clone();
            item["id"] = Value::from(i + 1);
            item["admin_graphql_api_id"] = Value::from(format!("gid://shopify/LineItem/{}", i + 1));
            item["price"] = Value::from(cents(*price));
            item["quantity"] = Value::from(*quantity);
            item["discount_allocations"] = serde_json::json!([{ "amount": cents(discount), "discount_application_index": 0 }]);
            items.push(item);
        }
        body["line_items"] = Value::Array(items);
        let shipping_discount = shipping_discount.min(shipping);
        body["shipping_lines"][0]["price"] = Value::from(cents(shipping));
        body["shipping_lines"][0]["discount_allocations"] =
            serde_json::json!([{ "amount": cents(shipping_discount), "discount_application_index": 1 }]);
        body["total_shipping_price_set"]["shop_money"]["amount"] = Value::from(cents(shipping));
        body["total_discounts"] = Value::from(cents(allocated + shipping_discount + unallocated));
        let payload = body.to_string();
        proptest::prop_assert_eq!(canonical(&payload, 3), canonical(&payload, 2));
    }
}
