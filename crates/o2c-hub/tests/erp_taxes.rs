//! A sale line's tax as each Odoo version computes it, through the adapter
//! against the sandbox of that version: 16/17 follow `compute_all`, 18/19
//! `_get_tax_details` (ADR 0021, "Odoo 16 and 17"), and 16/17 round as the
//! company's `tax_calculation_rounding_method` says. A reverse charge tax
//! (the seed's "15% EU RC", tax repartition lines of +100 % and -100 %) is
//! no tax on any version: an order declaring none passes, one declaring
//! the rate is held.

mod common;

use common::rules::{found, outcome};
use common::validation::{acme_b2b_order, channel_policy};
use common::{TestHub, odoo_call, odoo_config, odoo_create, odoo_search_read};
use o2c_hub::erp::odoo::OdooErp;
use o2c_hub::erp::{Erp, FactsRequest, FactsScope};
use o2c_hub::validation::ChannelPolicy;
use o2c_model::Order;
use o2c_odoo::OdooClient;
use o2c_odoo_sim::{OdooVersion, Sandbox, SimConfig};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use uuid::Uuid;

async fn sandbox(version: OdooVersion) -> String {
    let sandbox = Sandbox::new(SimConfig {
        version,
        ..SimConfig::default()
    });
    sandbox.spawn().await.expect("sandbox")
}

/// A sale tax of `values` (name, computation, amount, flags).
async fn tax(url: &str, values: Value) -> i64 {
    let mut values = values;
    values["type_tax_use"] = json!("sale");
    odoo_create(url, "account.tax", values).await
}

/// A product `sku` carrying `taxes`.
async fn product(url: &str, sku: &str, taxes: &[i64]) {
    odoo_create(
        url,
        "product.product",
        json!({ "name": sku, "default_code": sku, "list_price": 1.0, "type": "consu",
                "taxes_id": [[6, 0, taxes]] }),
    )
    .await;
}

/// Odoo's tax of one line of `sku` at `price`, as the adapter's facts say.
async fn line_tax(url: &str, sku: &str, price: &str) -> Option<Decimal> {
    let erp = OdooErp::new(OdooClient::new(odoo_config(url)).expect("client"));
    let order: Order = serde_json::from_value(json!({
        "channel": { "kind": "rest", "account": "web" },
        "channel_order_id": format!("TAX-{sku}-{price}"),
        "order_date": "2026-11-27T10:00:00Z",
        "currency": "USD",
        "customer": { "name": "New Buyer", "email": "buyer@example.com" },
        "lines": [{ "line_id": "1", "sku": sku,
                    "quantity": { "value": "1", "uom": "Units" }, "unit_price": price }]
    }))
    .expect("order");
    let request = FactsRequest {
        order_id: Uuid::now_v7(),
        correlation_id: "taxes".into(),
        order,
        scope: FactsScope {
            create_customers: true,
            taxes: true,
            ..FactsScope::default()
        },
        company: None,
    };
    let facts = erp
        .orders_facts(std::slice::from_ref(&request))
        .await
        .into_iter()
        .next()
        .expect("one answer")
        .expect("facts")
        .expect("some facts");
    let product = facts.lines[0].product.as_ref().expect("the product");
    assert_eq!(product.tax_unchecked, None);
    product.tax
}

fn d(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_division_taxes_are_computed_as_each_version_does() {
    // price-excluded division taxes of 10 % on 100: 16/17 each alone
    // (100 / 0.9 - 100 = 11.11), 18/19 as one batch (100 × 0.1 / 0.8)
    for (version, expected) in [
        (OdooVersion::V16, "22.22"),
        (OdooVersion::V17, "22.22"),
        (OdooVersion::V18, "25.00"),
        (OdooVersion::V19, "25.00"),
    ] {
        let url = sandbox(version).await;
        let first = tax(
            &url,
            json!({ "name": "Div A", "amount_type": "division", "amount": 10.0, "sequence": 1 }),
        )
        .await;
        let second = tax(
            &url,
            json!({ "name": "Div B", "amount_type": "division", "amount": 10.0, "sequence": 2 }),
        )
        .await;
        product(&url, "DIV-1", &[first, second]).await;
        assert_eq!(
            line_tax(&url, "DIV-1", "100").await,
            Some(d(expected)),
            "{version:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixteen_rounds_as_the_company_says() {
    // 10 % raising the base of the 10 % after it, on 0.59: per line
    // 0.059 -> 0.06, then 10 % of 0.65 = 0.065 -> 0.07 (0.13); globally
    // 10 % of 0.649 = 0.0649 -> 0.06 (0.12)
    let url = sandbox(OdooVersion::V16).await;
    let first = tax(
        &url,
        json!({ "name": "Levy", "amount_type": "percent", "amount": 10.0, "sequence": 1,
                "include_base_amount": true }),
    )
    .await;
    let second = tax(
        &url,
        json!({ "name": "State", "amount_type": "percent", "amount": 10.0, "sequence": 2 }),
    )
    .await;
    product(&url, "LEVIED-1", &[first, second]).await;
    assert_eq!(line_tax(&url, "LEVIED-1", "0.59").await, Some(d("0.13")));
    odoo_call(
        &url,
        "res.company",
        "write",
        json!([[1], { "tax_calculation_rounding_method": "round_globally" }]),
    )
    .await;
    // a new adapter: the rounding method is cached per adapter
    assert_eq!(line_tax(&url, "LEVIED-1", "0.59").await, Some(d("0.12")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reverse_charge_line_is_checked_against_no_tax() {
    // `rest:b2b` checks taxes only (the price is the channel's)
    let config = channel_policy(
        "rest:b2b",
        ChannelPolicy {
            price_authoritative: Some(true),
            tax_authoritative: Some(false),
            create_customers: Some(false),
            ..ChannelPolicy::default()
        },
    );
    for version in [
        OdooVersion::V16,
        OdooVersion::V17,
        OdooVersion::V18,
        OdooVersion::V19,
    ] {
        let url = sandbox(version).await;
        let reverse = odoo_search_read(
            &url,
            "account.tax",
            json!([["name", "=", "15% EU RC"]]),
            &["id"],
        )
        .await[0]["id"]
            .as_i64()
            .expect("the seed's reverse charge tax");
        product(&url, "RC-1", &[reverse]).await;
        let hub = TestHub::sqlite_on(config.clone(), url).await;
        let order = |reference: &str, tax: &str| {
            acme_b2b_order(
                &format!("{reference}-{version:?}"),
                json!([{ "line_id": "1", "sku": "RC-1", "quantity": { "value": "1", "uom": "Units" },
                         "unit_price": "90.00",
                         "taxes": [{ "code": "RC15", "rate": "15", "amount": tax }] }]),
            )
        };
        // the buyer accounts for the VAT: no tax on the line
        let (_, status, findings) = outcome(&hub, &order("RC-NONE", "0.00")).await;
        assert_eq!(
            (status.as_str(), findings),
            ("confirmed", vec![]),
            "{version:?}"
        );
        let sold = hub
            .sale_orders_with(&format!("RC-NONE-{version:?}"), &["amount_tax"])
            .await;
        assert_eq!(
            sold[0]["amount_tax"],
            json!(0.0),
            "{version:?}: the sandbox agrees"
        );
        // the rate declared as tax is what Odoo does not compute
        let (_, _, findings) = outcome(&hub, &order("RC-RATE", "13.50")).await;
        assert_eq!(
            findings,
            found("tax_mismatch", "/lines/0/taxes"),
            "{version:?}"
        );
        hub.shutdown().await;
    }
}
