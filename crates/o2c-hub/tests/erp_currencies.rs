//! Orders in another currency than their customer's Odoo pricelist, end to
//! end against the sandbox: Odoo keeps a sale order in its pricelist's
//! currency, so the hub gives such an order a pricelist in its own
//! currency (the channel's configured one, else one Odoo has for the
//! company) and checks its prices against it, or holds it as
//! `currency_unsupported`. Credit still counts in the company's currency.
//!
//! The seed's Acme buys on "Shop B2B (-10%)" in USD, the company's
//! currency; SHOP-001 lists at 25.00 USD; EUR is at 0.92 per USD from
//! 2026-11-01 and 0.95 from 2026-01-01.

mod common;

use common::TestHub;
use common::rules::{
    acme_id, acme_order, credit_limit, euro_order, found, odoo, outcome, strict_b2b,
};
use o2c_hub::pricelists::ChannelPricelists;
use serde_json::{Value, json};

async fn euro(odoo_url: &str) -> i64 {
    common::odoo_call(
        odoo_url,
        "res.currency",
        "search",
        json!([[["name", "=", "EUR"], ["active", "in", [true, false]]]]),
    )
    .await[0]
        .as_i64()
        .expect("the seed's EUR")
}

/// A pricelist in euros with `sequence`, whose one rule is `rule`.
async fn euro_pricelist(odoo_url: &str, name: &str, sequence: i64, rule: Value) -> i64 {
    let eur = euro(odoo_url).await;
    let id = common::odoo_create(
        odoo_url,
        "product.pricelist",
        json!({ "name": name, "currency_id": eur, "sequence": sequence }),
    )
    .await;
    let mut item = json!({ "pricelist_id": id });
    if let (Some(item), Some(rule)) = (item.as_object_mut(), rule.as_object()) {
        item.extend(rule.clone());
    }
    common::odoo_create(odoo_url, "product.pricelist.item", item).await;
    id
}

/// 10 % off every list price, as Acme's dollar pricelist.
fn ten_percent_off() -> Value {
    json!({ "applied_on": "3_global", "compute_price": "percentage", "percent_price": 10.0 })
}

/// The Odoo sale order the hub made for `reference`: its pricelist id,
/// currency code and untaxed amount.
async fn odoo_order(hub: &TestHub, reference: &str) -> (i64, String, f64) {
    let found = common::odoo_search_read(
        &hub.odoo_url,
        "sale.order",
        json!([["client_order_ref", "=", reference]]),
        &["pricelist_id", "currency_id", "amount_untaxed"],
    )
    .await;
    assert_eq!(found.len(), 1, "{reference}: {found:?}");
    let order = &found[0];
    (
        order["pricelist_id"][0].as_i64().expect("a pricelist"),
        order["currency_id"][1]
            .as_str()
            .expect("a currency")
            .to_owned(),
        order["amount_untaxed"].as_f64().expect("amount"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_in_its_customers_pricelist_currency_keeps_that_pricelist() {
    let hub = TestHub::sqlite_with(strict_b2b()).await;
    let acme = acme_id(&hub).await;
    let acme_list = odoo(
        &hub,
        "res.partner",
        "read",
        json!([[acme], ["property_product_pricelist"]]),
    )
    .await[0]["property_product_pricelist"][0]
        .as_i64()
        .expect("Acme's pricelist");
    // a euro pricelist exists, but a dollar order has no use for it
    euro_pricelist(&hub.odoo_url, "Export EUR", 1, ten_percent_off()).await;
    let (_, status, findings) = outcome(&hub, &acme_order("FX-USD", "22.50", "6.75")).await;
    assert_eq!((status.as_str(), findings), ("confirmed", vec![]));
    assert_eq!(
        odoo_order(&hub, "FX-USD").await,
        (acme_list, "USD".to_owned(), 45.0)
    );
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_euro_order_becomes_a_euro_order_in_odoo_priced_by_the_euro_pricelist() {
    let hub = TestHub::sqlite_with(strict_b2b()).await;
    // archived, and so not a candidate although it comes first
    let archived = euro_pricelist(&hub.odoo_url, "Old EUR", 0, ten_percent_off()).await;
    odoo(
        &hub,
        "product.pricelist",
        "write",
        json!([[archived], { "active": false }]),
    )
    .await;
    let euros = euro_pricelist(&hub.odoo_url, "Export EUR", 1, ten_percent_off()).await;
    // 25.00 USD at 0.92 is 23.00 EUR, 10 % off: 20.70; 2 × 20.70 = 41.40
    let (_, status, findings) =
        outcome(&hub, &euro_order("FX-EUR", "20.70", "6.21", "2026-11-27")).await;
    assert_eq!((status.as_str(), findings), ("confirmed", vec![]));
    assert_eq!(
        odoo_order(&hub, "FX-EUR").await,
        (euros, "EUR".to_owned(), 41.4)
    );
    // the dollar figure as euros is a price mismatch against that pricelist
    let (_, _, findings) = outcome(
        &hub,
        &euro_order("FX-EUR-NO", "22.50", "6.75", "2026-11-27"),
    )
    .await;
    assert_eq!(findings, found("price_mismatch", "/lines/0/unit_price"));
    // in June the January rate: 25.00 × 0.95 = 23.75, 10 % off 21.375
    let (_, status, findings) = outcome(
        &hub,
        &euro_order("FX-EUR-JUNE", "21.38", "6.41", "2026-06-01"),
    )
    .await;
    assert_eq!((status.as_str(), findings), ("confirmed", vec![]));
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_euro_order_without_a_euro_pricelist_is_held_naming_currency_and_customer() {
    let hub = TestHub::sqlite_with(strict_b2b()).await;
    let acme = acme_id(&hub).await;
    let (order_id, exception, findings) =
        outcome(&hub, &euro_order("FX-NONE", "20.70", "6.21", "2026-11-27")).await;
    assert_eq!(findings, found("currency_unsupported", "/currency"));
    let detail: Value = hub
        .get(&format!("/v1/exceptions/{exception}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        detail["exception"]["reasons"],
        json!(["currency_unsupported"])
    );
    let why = detail["exception"]["details"]["hold"]["findings"][0]["detail"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    for part in [
        "in EUR".to_owned(),
        format!("\"Acme Shop Customer Inc\" (Odoo partner {acme})"),
        "is in USD".to_owned(),
        "rest:b2b".to_owned(),
    ] {
        assert!(why.contains(&part), "{part}: {why}");
    }
    assert!(hub.sale_orders("FX-NONE").await.is_empty());
    assert_eq!(
        hub.open_exception_of(&order_id).await["id"],
        json!(exception)
    );
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_channels_configured_pricelist_wins_over_the_one_found() {
    let odoo_url = common::start_sandbox().await;
    // found first by sequence, for any channel
    let export = euro_pricelist(&odoo_url, "Export EUR", 1, ten_percent_off()).await;
    // the web shop's own, a fixed 19.99 EUR
    let widget = common::odoo_call(
        &odoo_url,
        "product.product",
        "search",
        json!([[["default_code", "=", "SHOP-001"]]]),
    )
    .await[0]
        .as_i64()
        .expect("SHOP-001");
    let shop = euro_pricelist(
        &odoo_url,
        "EU shop",
        20,
        json!({ "applied_on": "0_product_variant", "product_id": widget,
                "compute_price": "fixed", "fixed_price": 19.99 }),
    )
    .await;
    let mut config = strict_b2b();
    config.pricelists = ChannelPricelists::new([("rest:b2b", vec![("EUR", shop)])]);
    let hub = TestHub::sqlite_on(config, odoo_url).await;
    let (_, status, findings) =
        outcome(&hub, &euro_order("FX-CONF", "19.99", "6.00", "2026-11-27")).await;
    assert_eq!((status.as_str(), findings), ("confirmed", vec![]));
    assert_eq!(
        odoo_order(&hub, "FX-CONF").await,
        (shop, "EUR".to_owned(), 39.98)
    );
    // another channel has no entry: the pricelist Odoo has for the currency
    let mut other = euro_order("FX-OTHER", "20.70", "6.21", "2026-11-27");
    other["channel"]["account"] = json!("web");
    let (_, status, findings) = outcome(&hub, &other).await;
    assert_eq!((status.as_str(), findings), ("confirmed", vec![]));
    assert_eq!(odoo_order(&hub, "FX-OTHER").await.0, export);
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_euro_order_counts_in_dollars_toward_the_credit_limit() {
    let hub = TestHub::sqlite_with(strict_b2b()).await;
    euro_pricelist(&hub.odoo_url, "Export EUR", 1, ten_percent_off()).await;
    // 47.61 EUR is 51.75 USD: over a 50.00 USD limit, which 47.61 is not
    credit_limit(&hub, 50.0).await;
    let (_, exception, findings) = outcome(
        &hub,
        &euro_order("FX-CREDIT", "20.70", "6.21", "2026-11-27"),
    )
    .await;
    assert_eq!(findings, found("credit_hold", "/customer"));
    let detail: Value = hub
        .get(&format!("/v1/exceptions/{exception}"))
        .await
        .json()
        .await
        .expect("json");
    let why = detail["exception"]["details"]["hold"]["findings"][0]["detail"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        why.contains("this order 51.75 (47.61 EUR converted)")
            && why.contains("credit limit 50")
            && why.ends_with(" USD"),
        "{why}"
    );
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_order_in_euros_counts_at_its_own_rate() {
    let hub = TestHub::sqlite_with(strict_b2b()).await;
    let acme = acme_id(&hub).await;
    let eur = euro(&hub.odoo_url).await;
    let euro_list = common::odoo_create(
        &hub.odoo_url,
        "product.pricelist",
        json!({ "name": "Export EUR", "currency_id": eur }),
    )
    .await;
    let widget = odoo(
        &hub,
        "product.product",
        "search",
        json!([[["default_code", "=", "SHOP-001"]]]),
    )
    .await[0]
        .clone();
    // an open order of 40.00 EUR + 15 % = 46.00 EUR, which is 50.00 USD
    let open = common::odoo_create(
        &hub.odoo_url,
        "sale.order",
        json!({ "partner_id": acme, "pricelist_id": euro_list, "date_order": "2026-11-20 10:00:00",
                "order_line": [[0, 0, { "product_id": widget, "product_uom_qty": 1, "price_unit": 40.0 }]] }),
    )
    .await;
    odoo(&hub, "sale.order", "action_confirm", json!([[open]])).await;
    let rate = common::odoo_search_read(
        &hub.odoo_url,
        "sale.order",
        json!([["id", "=", open]]),
        &["currency_id", "currency_rate", "amount_total"],
    )
    .await;
    assert_eq!(rate[0]["currency_id"][0], json!(eur));
    assert_eq!(rate[0]["currency_rate"], json!(0.92));
    // 50.00 + this order's 51.75 > 100.00; the unconverted 46.00 would fit
    credit_limit(&hub, 100.0).await;
    let (_, _, findings) = outcome(&hub, &acme_order("FX-OPEN", "22.50", "6.75")).await;
    assert_eq!(findings, found("credit_hold", "/customer"));
    hub.shutdown().await;
}
