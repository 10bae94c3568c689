//! The rules that need Odoo's data, end to end against the sandbox's demo
//! seed: each rule held once and passed once, and a price mismatch
//! overridden through the exceptions API that then becomes a confirmed
//! sale order. Orders in another currency: `erp_currencies.rs`.
//!
//! The seed's "Acme Shop Customer Inc" buys on the "Shop B2B (-10%)"
//! pricelist; SHOP-001 lists at 25.00 (22.50 for Acme) and carries the
//! 15 % sale tax.

mod common;

use common::TestHub;
use common::rules::{acme_id, acme_order, found, odoo, outcome, strict_b2b};
use o2c_hub::validation::ChannelPolicy;
use rust_decimal::Decimal;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pricelist_price_passes_and_goes_to_the_matched_customer() {
    let hub = TestHub::sqlite_with(strict_b2b()).await;
    // 2 × 22.50 = 45.00, 15 % = 6.75
    let (_, status, findings) = outcome(&hub, &acme_order("VAL-PRICE-OK", "22.50", "6.75")).await;
    assert_eq!((status.as_str(), findings), ("confirmed", vec![]));
    let orders = common::odoo_search_read(
        &hub.odoo_url,
        "sale.order",
        json!([["client_order_ref", "=", "VAL-PRICE-OK"]]),
        &["partner_id", "state", "amount_untaxed"],
    )
    .await;
    assert_eq!(orders.len(), 1);
    // The existing customer, found by email, not a new one.
    assert_eq!(orders[0]["partner_id"][0], json!(acme_id(&hub).await));
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_price_mismatch_is_held_then_overridden_into_a_confirmed_sale_order() {
    let hub = TestHub::sqlite_with(strict_b2b()).await;
    // The list price, not Acme's 22.50; tax 15 % of 50.00.
    let (order_id, exception_id, findings) =
        outcome(&hub, &acme_order("VAL-PRICE-HOLD", "25.00", "7.50")).await;
    assert_eq!(findings, found("price_mismatch", "/lines/0/unit_price"));
    assert!(hub.sale_orders("VAL-PRICE-HOLD").await.is_empty());
    let overridden = hub
        .http
        .post(format!(
            "{}/v1/exceptions/{exception_id}/override",
            hub.base
        ))
        .bearer_auth(&hub.key)
        .json(&json!({ "reason": "list price agreed by sales for this order" }))
        .send()
        .await
        .expect("override");
    assert_eq!(overridden.status(), 200);
    hub.wait_for_status(&order_id, "confirmed").await;
    let orders = common::odoo_search_read(
        &hub.odoo_url,
        "sale.order",
        json!([["client_order_ref", "=", "VAL-PRICE-HOLD"]]),
        &["state", "amount_untaxed", "partner_id"],
    )
    .await;
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0]["state"], "sale");
    // The customer the order was checked against, not a new one.
    assert_eq!(orders[0]["partner_id"][0], json!(acme_id(&hub).await));
    // The channel's price stands after the override.
    let untaxed: Decimal = serde_json::from_value(orders[0]["amount_untaxed"].clone())
        .map(|f: f64| Decimal::try_from(f).expect("decimal"))
        .expect("amount");
    assert_eq!(untaxed, Decimal::from(50));
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tax_the_channel_computed_differently_is_held() {
    let hub = TestHub::sqlite_with(strict_b2b()).await;
    let (_, _, findings) = outcome(&hub, &acme_order("VAL-TAX", "22.50", "7.00")).await;
    assert_eq!(findings, found("tax_mismatch", "/lines/0/taxes"));
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_customer_is_held_where_the_channel_may_not_create_one() {
    let hub = TestHub::sqlite_with(strict_b2b()).await;
    let mut order = acme_order("VAL-CUST", "25.00", "7.50");
    order["customer"] = json!({ "name": "Nobody Ltd", "email": "nobody@nowhere.example" });
    let (_, _, findings) = outcome(&hub, &order).await;
    assert_eq!(findings, found("unknown_customer", "/customer"));
    // The default channel creates the customer and takes its price.
    order["channel"] = json!({ "kind": "rest", "account": "web" });
    let (_, status, findings) = outcome(&hub, &order).await;
    assert_eq!((status.as_str(), findings), ("confirmed", vec![]));
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_and_discontinued_products_are_held_at_validation() {
    let hub = TestHub::sqlite_with(strict_b2b()).await;
    let mut order = acme_order("VAL-SKU", "22.50", "6.75");
    order["lines"][0]["sku"] = json!("NO-SUCH-SKU");
    let (_, _, findings) = outcome(&hub, &order).await;
    assert_eq!(findings, found("unknown_product", "/lines/0/sku"));
    // A barcode finds the product as well as its SKU.
    order["channel_order_id"] = json!("VAL-BARCODE");
    let barcode = common::odoo_search_read(
        &hub.odoo_url,
        "product.product",
        json!([["default_code", "=", "SHOP-001"]]),
        &["barcode"],
    )
    .await[0]["barcode"]
        .clone();
    order["lines"][0]["sku"] = barcode;
    let (_, status, findings) = outcome(&hub, &order).await;
    assert_eq!((status.as_str(), findings), ("confirmed", vec![]));
    // Archived in Odoo: discontinued.
    let ids = odoo(
        &hub,
        "product.product",
        "search",
        json!([[["default_code", "=", "SHOP-002"]]]),
    )
    .await;
    odoo(
        &hub,
        "product.product",
        "write",
        json!([ids, { "active": false }]),
    )
    .await;
    let mut order = acme_order("VAL-ARCHIVED", "36.00", "5.40");
    order["lines"][0]["sku"] = json!("SHOP-002");
    order["lines"][0]["quantity"]["value"] = json!("1");
    let (_, _, findings) = outcome(&hub, &order).await;
    assert_eq!(findings, found("unknown_product", "/lines/0/sku"));
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_over_the_credit_limit_is_held() {
    let hub = TestHub::sqlite_with(strict_b2b()).await;
    let acme = acme_id(&hub).await;
    odoo(
        &hub,
        "res.partner",
        "write",
        json!([[acme], { "credit_limit": 100.0 }]),
    )
    .await;
    // 51.75 fits under 100.
    let (_, status, findings) = outcome(&hub, &acme_order("VAL-CREDIT-1", "22.50", "6.75")).await;
    assert_eq!((status.as_str(), findings), ("confirmed", vec![]));
    // The first order is open (confirmed, not invoiced): 51.75 + 51.75 > 100.
    let (_, _, findings) = outcome(&hub, &acme_order("VAL-CREDIT-2", "22.50", "6.75")).await;
    assert_eq!(findings, found("credit_hold", "/customer"));
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partly_invoiced_order_counts_once_toward_the_credit_limit() {
    let hub = TestHub::sqlite_with(strict_b2b()).await;
    let acme = acme_id(&hub).await;
    odoo(
        &hub,
        "res.partner",
        "write",
        json!([[acme], { "credit_limit": 115.0 }]),
    )
    .await;
    let (_, status, _) = outcome(&hub, &acme_order("VAL-PART-1", "22.50", "6.75")).await;
    assert_eq!(status, "confirmed");
    // One of the two units invoiced (linked to the sale line) and posted,
    // not paid: it is in the receivables now.
    let sale = common::odoo_search_read(
        &hub.odoo_url,
        "sale.order",
        json!([["client_order_ref", "=", "VAL-PART-1"]]),
        &["order_line"],
    )
    .await;
    let line = sale[0]["order_line"][0].as_i64().expect("sale line");
    let widget = odoo(
        &hub,
        "product.product",
        "search",
        json!([[["default_code", "=", "SHOP-001"]]]),
    )
    .await[0]
        .clone();
    let invoice = odoo(
        &hub,
        "account.move",
        "create",
        json!([{ "move_type": "out_invoice", "partner_id": acme,
            "invoice_line_ids": [[0, 0, { "product_id": widget, "quantity": 1, "price_unit": 22.5,
                "name": "Widget", "sale_line_ids": [[6, 0, [line]]] }]] }]),
    )
    .await;
    let invoice = invoice
        .as_i64()
        .or_else(|| invoice[0].as_i64())
        .expect("invoice id");
    odoo(&hub, "account.move", "action_post", json!([[invoice]])).await;
    // Receivable R + what is left of the first order (51.75 − R) + 51.75 =
    // 103.50 ≤ 115. Counting the first order whole as well would make it
    // R + 103.50 > 115.
    let (_, status, findings) = outcome(&hub, &acme_order("VAL-PART-2", "22.50", "6.75")).await;
    assert_eq!((status.as_str(), findings), ("confirmed", vec![]));
    // What is left to invoice still counts: 103.50 + 51.75 > 115.
    let (_, _, findings) = outcome(&hub, &acme_order("VAL-PART-3", "22.50", "6.75")).await;
    assert_eq!(findings, found("credit_hold", "/customer"));
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_purchase_under_another_id_is_a_suspected_duplicate() {
    let mut config = strict_b2b();
    config.validation.duplicate_window_minutes = 60;
    let hub = TestHub::sqlite_with(config).await;
    let (_, status, findings) = outcome(&hub, &acme_order("VAL-DUP-1", "22.50", "6.75")).await;
    assert_eq!((status.as_str(), findings), ("confirmed", vec![]));
    let (_, _, findings) = outcome(&hub, &acme_order("VAL-DUP-2", "22.50", "6.75")).await;
    assert_eq!(findings, found("duplicate_suspected", "/channel_order_id"));
    // Another quantity is another purchase.
    let mut other = acme_order("VAL-DUP-3", "22.50", "10.13");
    other["lines"][0]["quantity"]["value"] = json!("3");
    let (_, status, findings) = outcome(&hub, &other).await;
    assert_eq!((status.as_str(), findings), ("confirmed", vec![]));
    // A new customer's order sent twice: the first created the customer in
    // Odoo, the copy is still recognised.
    let mut fresh = acme_order("VAL-DUP-NEW-1", "25.00", "7.50");
    fresh["channel"] = json!({ "kind": "rest", "account": "web" });
    fresh["customer"] = json!({ "name": "New Buyer", "email": "new.buyer@example.com" });
    let (_, status, findings) = outcome(&hub, &fresh).await;
    assert_eq!((status.as_str(), findings), ("confirmed", vec![]));
    fresh["channel_order_id"] = json!("VAL-DUP-NEW-2");
    let (_, _, findings) = outcome(&hub, &fresh).await;
    assert_eq!(findings, found("duplicate_suspected", "/channel_order_id"));
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rounding_difference_is_posted_so_the_odoo_total_is_the_channels() {
    let hub = TestHub::sqlite_with(strict_b2b()).await;
    // Lines 45.00 + tax 6.75 = 51.75; the channel rounded to 51.76.
    for (reference, total) in [("VAL-ROUND-1", "51.76"), ("VAL-ROUND-2", "51.74")] {
        let mut order = acme_order(reference, "22.50", "6.75");
        order["declared_totals"] = json!({ "total": total });
        let (_, status, findings) = outcome(&hub, &order).await;
        assert_eq!((status.as_str(), findings), ("confirmed", vec![]));
        let sale = common::odoo_search_read(
            &hub.odoo_url,
            "sale.order",
            json!([["client_order_ref", "=", reference]]),
            &["amount_total", "amount_tax", "order_line"],
        )
        .await;
        assert_eq!(sale.len(), 1);
        let amount = |field: &str| -> Decimal {
            Decimal::try_from(sale[0][field].as_f64().expect("amount"))
                .expect("decimal")
                .round_dp(2)
        };
        assert_eq!(
            amount("amount_total"),
            total.parse::<Decimal>().expect("total")
        );
        // The rounding line carries no tax.
        assert_eq!(
            amount("amount_tax"),
            "6.75".parse::<Decimal>().expect("tax")
        );
        assert_eq!(sale[0]["order_line"].as_array().map(Vec::len), Some(2));
    }
    // One rounding product, however many orders used it.
    let products = common::odoo_search_read(
        &hub.odoo_url,
        "ir.model.data",
        json!([
            ["module", "=", "__o2c__"],
            ["name", "=", "rounding_adjustment"]
        ]),
        &["res_id"],
    )
    .await;
    assert_eq!(products.len(), 1);
    // No difference: no rounding line.
    let (_, status, _) = outcome(&hub, &acme_order("VAL-ROUND-0", "22.50", "6.75")).await;
    assert_eq!(status, "confirmed");
    let sale = hub.sale_orders("VAL-ROUND-0").await;
    assert_eq!(sale[0]["order_line"].as_array().map(Vec::len), Some(1));
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_overdue_invoice_holds_unless_within_the_channels_grace() {
    let mut config = strict_b2b();
    config.validation.channels.insert(
        "rest:lenient".to_owned(),
        ChannelPolicy {
            overdue_grace_days: Some(36_500),
            ..ChannelPolicy::default()
        },
    );
    let hub = TestHub::sqlite_with(config).await;
    let acme = acme_id(&hub).await;
    let widget = odoo(
        &hub,
        "product.product",
        "search",
        json!([[["default_code", "=", "SHOP-001"]]]),
    )
    .await[0]
        .clone();
    // An invoice dated long ago, due at once, never paid.
    let invoice = odoo(
        &hub,
        "account.move",
        "create",
        json!([{ "move_type": "out_invoice", "partner_id": acme, "invoice_date": "2026-01-05",
            "invoice_line_ids": [[0, 0, { "product_id": widget, "quantity": 1, "price_unit": 100.0, "name": "Widget" }]] }]),
    )
    .await;
    let invoice = invoice
        .as_i64()
        .or_else(|| invoice[0].as_i64())
        .expect("invoice id");
    odoo(&hub, "account.move", "action_post", json!([[invoice]])).await;
    let (_, _, findings) = outcome(&hub, &acme_order("VAL-OVERDUE-1", "22.50", "6.75")).await;
    assert_eq!(findings, found("credit_hold", "/customer"));
    let mut lenient = acme_order("VAL-OVERDUE-2", "22.50", "6.75");
    lenient["channel"]["account"] = json!("lenient");
    let (_, status, findings) = outcome(&hub, &lenient).await;
    assert_eq!((status.as_str(), findings), ("confirmed", vec![]));
    hub.shutdown().await;
}

/// A product Acme buys at 90.00 (its list price 100.00 less the pricelist's
/// 10 %) carrying the taxes `tax_ids`.
async fn taxed_product(hub: &TestHub, sku: &str, tax_ids: &[i64]) {
    common::odoo_create(
        &hub.odoo_url,
        "product.product",
        json!({ "name": sku, "default_code": sku, "list_price": 100.0, "type": "consu",
                "taxes_id": [[6, 0, tax_ids]] }),
    )
    .await;
}

fn one_line(reference: &str, sku: &str, tax: &str) -> Value {
    let mut order = acme_order(reference, "90.00", tax);
    order["lines"][0]["sku"] = json!(sku);
    order["lines"][0]["quantity"]["value"] = json!("1");
    order
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_taxes_and_a_tax_in_the_base_of_the_next_are_computed_as_odoo_does() {
    let hub = TestHub::sqlite_with(strict_b2b()).await;
    let create = |v: Value| common::odoo_create(&hub.odoo_url, "account.tax", v);
    // a group of a 10 % levy that is part of the base of the 5 % after it
    let levy = create(
        json!({ "name": "Levy 10%", "amount_type": "percent", "amount": 10.0,
        "include_base_amount": true, "sequence": 1, "type_tax_use": "none" }),
    )
    .await;
    let five = create(
        json!({ "name": "State 5%", "amount_type": "percent", "amount": 5.0,
        "sequence": 2, "type_tax_use": "none" }),
    )
    .await;
    let group = create(
        json!({ "name": "Levy + State", "amount_type": "group", "amount": 0.0,
        "children_tax_ids": [[6, 0, [five, levy]]] }),
    )
    .await;
    taxed_product(&hub, "GROUPED-1", &[group]).await;
    // 90.00: levy 9.00, then 5 % of 99.00 = 4.95
    let (_, status, findings) =
        outcome(&hub, &one_line("TAX-GROUP-OK", "GROUPED-1", "13.95")).await;
    assert_eq!((status.as_str(), findings), ("confirmed", vec![]));
    // 5 % of the plain 90.00 is what Odoo does not compute
    let (_, _, findings) = outcome(&hub, &one_line("TAX-GROUP-NO", "GROUPED-1", "13.50")).await;
    assert_eq!(findings, found("tax_mismatch", "/lines/0/taxes"));
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_python_code_tax_holds_the_order_as_unverified_naming_the_tax() {
    let hub = TestHub::sqlite_with(strict_b2b()).await;
    let code = common::odoo_create(
        &hub.odoo_url,
        "account.tax",
        json!({ "name": "Bottle deposit", "amount_type": "code", "amount": 0.0 }),
    )
    .await;
    taxed_product(&hub, "BOTTLED-1", &[code]).await;
    let (order_id, _, findings) = outcome(&hub, &one_line("TAX-CODE", "BOTTLED-1", "0.25")).await;
    assert_eq!(findings, found("tax_unverified", "/lines/0/taxes"));
    let exception = hub.open_exception_of(&order_id).await;
    let id = exception["id"].as_str().expect("id");
    let detail: Value = hub
        .get(&format!("/v1/exceptions/{id}"))
        .await
        .json()
        .await
        .expect("json");
    let why = &detail["exception"]["details"]["hold"]["findings"][0]["detail"];
    assert!(
        why.as_str().is_some_and(|d| d.contains("Bottle deposit")),
        "the hold names the tax: {why}"
    );
    hub.shutdown().await;
}
