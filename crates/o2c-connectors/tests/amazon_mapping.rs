//! Amazon mappings (v2, checked against v1 on every input) on Amazon's published SP-API samples (Orders API v0):
//! each order with its items becomes a canonical order that the model
//! accepts, with its key fields right. Fixture files are never edited; where
//! a test needs a variant (FBA, a non-Pending status) it changes a parsed copy
//! and says so.

use o2c_connectors::MappingSet;
use o2c_connectors::RunError;
use o2c_model::Order;
use rust_decimal::Decimal;
use serde_json::{Value, json};

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/amazon/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).expect("fixture")).expect("json")
}

/// The SP-API response body: sandbox samples wrap it as `{request, response}`.
fn response(name: &str) -> Value {
    let value = fixture(name);
    match value.get("response") {
        Some(response) => response.clone(),
        None => value,
    }
}

/// The latest mapping's answer (v2), checked against v1's: v2 only
/// replaced v1's regex builtins, so every test here also shows that both
/// give the same orders and the same errors (apart from the version and
/// the mapping name each records).
fn run(input: &Value) -> Result<Vec<Value>, RunError> {
    let set = MappingSet::shipped().expect("mappings");
    let payload = input.to_string();
    let answer = |version: u32| {
        let mapping = set.get("amazon", Some(version)).expect("amazon mapping");
        mapping.program.run(
            payload.as_bytes(),
            "A2SELLER0EXAMPLE",
            "2026-11-27T00:00:00Z",
        )
    };
    let comparable = |answer: &Result<Vec<Value>, RunError>| match answer {
        Ok(orders) => Ok(orders
            .iter()
            .cloned()
            .map(|mut order| {
                order["mapping"]["version"] = json!("any");
                order
            })
            .collect::<Vec<_>>()),
        Err(RunError::Failed { message, .. }) => Err(message.clone()),
        Err(other) => Err(other.to_string()),
    };
    let latest = answer(2);
    assert_eq!(
        comparable(&latest),
        comparable(&answer(1)),
        "amazon v2 differs from v1 on {payload}"
    );
    latest
}

fn map(input: &Value) -> Order {
    let mut out = run(input).expect("mapping runs");
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

fn sandbox_items() -> Value {
    response("getOrderItems_200_sandbox_static_0.json")["payload"]["OrderItems"].clone()
}

fn line_net(order: &Order, i: usize) -> Decimal {
    order.line_net(&order.lines[i]).amount
}

#[test]
fn get_order_sandbox_with_items_and_address() {
    let order_doc = response("getOrder_200_sandbox_static_0.json")["payload"].clone();
    let address = response("getOrderAddress_200_sandbox_static_0.json")["payload"].clone();
    let order = map(&json!({ "order": order_doc, "items": sandbox_items(), "address": address }));
    assert_eq!(order.channel_order_id, "902-1845936-5435065");
    assert_eq!(order.channel.account, "A2SELLER0EXAMPLE");
    assert_eq!(order.currency.code(), "USD");
    assert_eq!(order.order_date.to_rfc3339(), "1970-01-19T03:58:30+00:00");
    assert_eq!(order.route.as_deref(), Some("amazon_mfn"));
    assert_eq!(order.notes, None);
    assert_eq!(order.lines.len(), 1);
    let line = &order.lines[0];
    assert_eq!(line.line_id, "05015851154158");
    assert_eq!(line.sku, "NABetaASINB00551Q3CS");
    assert_eq!(line.quantity.value, dec("1"));
    assert_eq!(line.unit_price, dec("10.00"));
    // PromotionDiscount "0.00" is no discount.
    assert_eq!(line.discount_amount, None);
    assert_eq!(line.taxes.len(), 1);
    assert_eq!(line.taxes[0].code, "amazon_item_tax");
    assert_eq!(line.taxes[0].amount, Some(dec("1.01")));
    let totals = order.declared_totals.as_ref().expect("totals");
    assert_eq!(totals.total, dec("11.01"));
    assert_eq!(totals.subtotal, Some(dec("10.00")));
    assert_eq!(totals.tax, Some(dec("1.01")));
    assert_eq!(totals.shipping, None);
    // Lines + tax equal Amazon's OrderTotal exactly.
    assert_eq!(
        order.subtotal().amount + totals.tax.unwrap_or_default(),
        totals.total
    );
    let ship_to = order
        .ship_to
        .as_ref()
        .expect("ship to from getOrderAddress");
    assert_eq!(ship_to.country, "US");
    assert_eq!(ship_to.subdivision.as_deref(), Some("US-WA"));
    assert_eq!(ship_to.city.as_deref(), Some("SEATTLE"));
    assert_eq!(ship_to.postal_code.as_deref(), Some("98121-2778"));
    assert_eq!(ship_to.street_lines, vec!["2201 WESTLAKE AVE"]);
    // No BuyerInfo: the addressee names the customer.
    assert_eq!(order.customer.name, "MFNIntegrationTestMerchant");
    assert_eq!(
        order.payment_status.map(|s| format!("{s:?}")).as_deref(),
        Some("Authorized")
    );
    let window = order.delivery_window.as_ref().expect("window");
    assert_eq!(
        window.latest.map(|d| d.to_rfc3339()).as_deref(),
        Some("1970-01-19T04:15:17+00:00")
    );
    let refs: Vec<(&str, &str)> = order
        .external_refs
        .iter()
        .map(|r| (r.system.as_str(), r.id.as_str()))
        .collect();
    assert_eq!(
        refs,
        [
            ("amazon", "902-1845936-5435065"),
            ("amazon_marketplace", "ATVPDKIKX0DER")
        ]
    );
    assert_eq!(
        order.mapping.as_ref().map(|m| (m.name.as_str(), m.version)),
        Some(("amazon", 2))
    );
}

#[test]
fn get_orders_sandbox_each_order_with_items() {
    let orders = response("getOrders_200_sandbox_static_0.json")["payload"]["Orders"].clone();
    let orders = orders.as_array().expect("orders");
    assert_eq!(orders.len(), 2);
    let mut ids = Vec::new();
    for doc in orders {
        // The sandbox publishes one getOrderItems answer; both orders are one
        // $10.00 item with $1.01 tax, as their OrderTotal of 11.01 says.
        let order = map(&json!({ "order": doc, "items": sandbox_items() }));
        assert_eq!(order.currency.code(), "USD");
        assert_eq!(order.route.as_deref(), Some("amazon_mfn"));
        assert_eq!(order.lines[0].unit_price, dec("10.00"));
        assert_eq!(
            order.declared_totals.as_ref().map(|t| t.total),
            Some(dec("11.01"))
        );
        // getOrders carries no address or buyer: a placeholder customer.
        assert_eq!(order.ship_to, None);
        assert_eq!(order.customer.name, "Amazon customer");
        ids.push(order.channel_order_id);
    }
    assert_eq!(ids, ["902-1845936-5435065", "902-8745147-1934268"]);
}

#[test]
fn pending_orders_are_deferred_not_mapped() {
    let items = response("getOrderItems_200_example.json")["payload"]["OrderItems"].clone();
    for (name, pointer) in [
        ("getOrder_200_example.json", "/payload"),
        ("getOrders_200_example.json", "/payload/Orders/0"),
        ("getOrders_200_sandbox_static_1.json", "/payload/Orders/0"),
    ] {
        let doc = response(name).pointer(pointer).cloned().expect("order");
        assert_eq!(doc["OrderStatus"], "Pending");
        let err = run(&json!({ "order": doc, "items": items })).expect_err(name);
        let RunError::Failed { message, .. } = err else {
            panic!("{name}: {err:?}")
        };
        assert!(
            message.starts_with("deferred: amazon order 902-3159896-1390916 is Pending"),
            "{message}"
        );
    }
}

/// The documentation example order once it leaves Pending (status changed in
/// memory), with the documentation example items: JPY, two lines, a line
/// total that does not divide by its quantity at two decimals, buyer info.
#[test]
fn documentation_example_once_unshipped() {
    let mut doc = response("getOrder_200_example.json")["payload"].clone();
    doc["OrderStatus"] = json!("Unshipped");
    let items = response("getOrderItems_200_example.json")["payload"].clone();
    let buyer = response("getOrderBuyerInfo_200_example.json")["payload"].clone();
    let order = map(&json!({ "order": doc, "items": items, "buyer": buyer }));
    assert_eq!(order.channel_order_id, "902-3159896-1390916");
    // No OrderTotal before payment: the items' currency is the order's.
    assert_eq!(order.currency.code(), "JPY");
    assert_eq!(order.declared_totals, None);
    // A business buyer is the company.
    assert_eq!(order.customer.name, "Company Name");
    assert_eq!(order.customer.email.as_deref(), Some("user@example.com"));
    assert_eq!(order.customer_po.as_deref(), Some("1234567890123"));
    // The order's own ShippingAddress (no getOrderAddress given).
    let ship_to = order.ship_to.as_ref().expect("ship to");
    assert_eq!(ship_to.subdivision.as_deref(), Some("US-MI"));
    assert_eq!(ship_to.name.as_deref(), Some("Michigan address"));
    let skus: Vec<&str> = order.lines.iter().map(|l| l.sku.as_str()).collect();
    assert_eq!(skus, ["CBA_OTF_1", "CBA_OTF_5"]);
    assert_eq!(order.lines[0].quantity.value, dec("1"));
    assert_eq!(order.lines[0].unit_price, dec("25.99"));
    assert_eq!(order.lines[0].discount_amount, None);
    assert!(order.lines[0].taxes.is_empty());
    // ItemPrice 17.95 is the total of 2 units: 2 x 8.98 - 0.01, exactly.
    assert_eq!(order.lines[1].quantity.value, dec("2"));
    assert_eq!(order.lines[1].unit_price, dec("8.98"));
    assert_eq!(order.lines[1].discount_amount, Some(dec("0.01")));
    assert_eq!(line_net(&order, 1), dec("17.95"));
    assert_eq!(line_net(&order, 0), dec("25.99"));
    // ShippingPrice of the first item.
    assert_eq!(order.shipping.as_ref().map(|s| s.amount), Some(dec("1.26")));
    assert_eq!(
        order.shipping.as_ref().and_then(|s| s.service.as_deref()),
        Some("Standard")
    );
}

/// No published sample is FBA: the sandbox order with FulfillmentChannel
/// changed to AFN in memory.
#[test]
fn fba_orders_are_routed_to_amazon_not_the_warehouse() {
    let mut doc = response("getOrder_200_sandbox_static_0.json")["payload"].clone();
    doc["FulfillmentChannel"] = json!("AFN");
    let order = map(&json!({ "order": doc, "items": sandbox_items() }));
    assert_eq!(order.route.as_deref(), Some("amazon_fba"));
    assert!(
        order
            .notes
            .as_deref()
            .is_some_and(|n| n.contains("do not ship"))
    );
}

#[test]
fn promotions_shipping_and_odd_quantities_stay_exact() {
    let mut doc = response("getOrder_200_sandbox_static_0.json")["payload"].clone();
    doc["OrderTotal"]["Amount"] = json!("29.33");
    let mut items = sandbox_items();
    let item = &mut items[0];
    item["QuantityOrdered"] = json!(3);
    item["ItemPrice"]["Amount"] = json!("25.00");
    item["PromotionDiscount"]["Amount"] = json!("2.50");
    item["ItemTax"]["Amount"] = json!("1.80");
    item["ShippingPrice"] = json!({"CurrencyCode": "USD", "Amount": "4.99"});
    item["ShippingTax"] = json!({"CurrencyCode": "USD", "Amount": "0.04"});
    let order = map(&json!({ "order": doc, "items": items }));
    let line = &order.lines[0];
    // 25.00 / 3 rounds up to 8.34; 3 x 8.34 = 25.02, so 0.02 + the 2.50 promotion.
    assert_eq!(line.unit_price, dec("8.34"));
    assert_eq!(line.discount_amount, Some(dec("2.52")));
    assert_eq!(line_net(&order, 0), dec("22.50"));
    let totals = order.declared_totals.as_ref().expect("totals");
    assert_eq!(totals.subtotal, Some(dec("22.50")));
    assert_eq!(totals.tax, Some(dec("1.84")));
    assert_eq!(totals.shipping, Some(dec("4.99")));
    assert_eq!(order.shipping.as_ref().map(|s| s.amount), Some(dec("4.99")));
    assert_eq!(
        order.subtotal().amount + totals.tax.unwrap_or_default() + order.shipping_amount().amount,
        totals.total
    );
}

#[test]
fn bad_inputs_are_named_mapping_errors() {
    let doc = response("getOrder_200_sandbox_static_0.json")["payload"].clone();
    let failure = |input: Value| match run(&input) {
        Err(RunError::Failed { message, .. }) => message,
        other => panic!("expected a mapping error, got {other:?}"),
    };
    let mut items = sandbox_items();
    items[0]["SellerSKU"] = json!("");
    assert!(
        failure(json!({"order": doc, "items": items})).contains("05015851154158 has no SellerSKU")
    );
    let mut items = sandbox_items();
    items[0]["ItemTax"]["CurrencyCode"] = json!("EUR");
    assert!(
        failure(json!({"order": doc, "items": items}))
            .contains("ItemTax of item 05015851154158 is in EUR")
    );
    let mut items = sandbox_items();
    items[0]["ItemPrice"]["Amount"] = json!("1e3");
    assert!(
        failure(json!({"order": doc, "items": items})).contains("is not a non-negative decimal")
    );
    assert!(failure(json!({"order": doc, "items": []})).contains("has no order items"));
    let mut canceled = doc.clone();
    canceled["OrderStatus"] = json!("Canceled");
    assert!(
        failure(json!({"order": canceled, "items": sandbox_items()})).starts_with("not an order:")
    );
}

#[test]
fn subdivisions_only_when_iso() {
    let doc = response("getOrder_200_sandbox_static_0.json")["payload"].clone();
    let with = |country: &str, region: &str| {
        let address = json!({"Name": "X", "AddressLine1": "1 A St", "City": "C",
                             "StateOrRegion": region, "CountryCode": country});
        map(&json!({"order": doc, "items": sandbox_items(), "address": address}))
            .ship_to
            .and_then(|a| a.subdivision)
    };
    assert_eq!(with("US", "ca").as_deref(), Some("US-CA"));
    assert_eq!(with("CA", "ON").as_deref(), Some("CA-ON"));
    assert_eq!(with("DE", "Bayern"), None);
    assert_eq!(with("DE", "DE-BY").as_deref(), Some("DE-BY"));
    assert_eq!(with("US", "AE"), None);
}

#[test]
fn big_amounts_divide_exactly_in_integers() {
    let doc = response("getOrder_200_sandbox_static_0.json")["payload"].clone();
    let mut items = sandbox_items();
    items[0]["QuantityOrdered"] = json!(7);
    items[0]["ItemPrice"]["Amount"] = json!("1234567890123456789012.34");
    items[0]["PromotionDiscount"]["Amount"] = json!("0.00");
    let order = map(&json!({ "order": doc, "items": items }));
    let line = &order.lines[0];
    // 123456789012345678901234 cents / 7 = 17636684144620811271604.857... cents, rounded up.
    assert_eq!(line.unit_price, dec("176366841446208112716.05"));
    assert_eq!(line.discount_amount, Some(dec("0.01")));
    assert_eq!(line_net(&order, 0), dec("1234567890123456789012.34"));
}
