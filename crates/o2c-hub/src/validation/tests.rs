//! Each rule: one order that triggers it, one that passes.

use o2c_model::Order;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::*;

fn order(extra: Value) -> Order {
    let mut base = json!({
        "channel": { "kind": "shopify", "account": "acme" },
        "channel_order_id": "1001",
        "order_date": "2026-11-27T10:00:00Z",
        "currency": "USD",
        "customer": { "name": "Acme" },
        "ship_to": { "street_lines": ["1 Main St"], "city": "Springfield", "postal_code": "62701", "country": "US" },
        "lines": [
            { "line_id": "1", "sku": "A", "quantity": { "value": "2", "uom": "Units" }, "unit_price": "10.00" },
            { "line_id": "2", "sku": "B", "quantity": { "value": "1", "uom": "Units" }, "unit_price": "5.50", "discount_amount": "0.50" }
        ],
        "shipping": { "amount": "4.00" },
        "declared_totals": { "tax": "2.90", "total": "31.90" }
    });
    if let (Value::Object(base), Value::Object(extra)) = (&mut base, extra) {
        for (k, v) in extra {
            if v.is_null() {
                base.remove(&k);
            } else {
                base.insert(k, v);
            }
        }
    }
    serde_json::from_value(base).expect("canonical order")
}

fn dec(text: &str) -> Decimal {
    text.parse().expect("decimal")
}

#[test]
fn consistent_totals_and_address_pass() {
    let verdict = validate(&order(json!({})), &ValidationPolicy::default());
    assert!(verdict.passed(), "{verdict:?}");
    assert_eq!(verdict.rounding_adjustment, None);
}

#[test]
fn a_rounding_difference_is_kept_not_dropped() {
    let verdict = validate(
        &order(json!({ "declared_totals": { "tax": "2.90", "total": "31.91" } })),
        &ValidationPolicy::default(),
    );
    assert!(verdict.passed());
    assert_eq!(verdict.rounding_adjustment, Some(dec("0.01")));
}

#[test]
fn a_real_totals_difference_holds_the_order() {
    let verdict = validate(
        &order(json!({ "declared_totals": { "tax": "2.90", "total": "21.90" } })),
        &ValidationPolicy::default(),
    );
    assert_eq!(verdict.reasons(), vec![HoldReason::TotalsMismatch]);
    assert_eq!(verdict.findings[0].pointer, "/declared_totals/total");
    assert!(
        verdict.detail().contains("declared 21.90"),
        "{}",
        verdict.detail()
    );
}

#[test]
fn tolerances_come_from_the_channel_when_set() {
    let mut policy = ValidationPolicy::default();
    policy.channels.insert(
        "shopify".into(),
        ChannelPolicy {
            totals_tolerance: Some(dec("10.00")),
            ..ChannelPolicy::default()
        },
    );
    let loose = order(json!({ "declared_totals": { "tax": "2.90", "total": "25.00" } }));
    assert!(validate(&loose, &policy).passed());
    policy.channels.insert(
        "shopify:acme".into(),
        ChannelPolicy {
            totals_tolerance_ratio: Some(dec("0.5")),
            ..ChannelPolicy::default()
        },
    );
    let effective = policy.for_order(&loose);
    assert_eq!(
        effective.totals_tolerance,
        dec("0.02"),
        "the account entry replaces the kind entry"
    );
    assert!(
        validate(&loose, &policy).passed(),
        "half of 25.00 covers 6.90"
    );
}

#[test]
fn an_incomplete_delivery_address_holds_the_order() {
    let verdict = validate(
        &order(json!({ "ship_to": { "street_lines": [], "country": "US" } })),
        &ValidationPolicy::default(),
    );
    assert_eq!(verdict.reasons(), vec![HoldReason::AddressInvalid]);
    let pointers: Vec<&str> = verdict
        .findings
        .iter()
        .map(|f| f.pointer.as_str())
        .collect();
    assert_eq!(
        pointers,
        [
            "/ship_to/street_lines",
            "/ship_to/city",
            "/ship_to/postal_code"
        ]
    );
    let none = validate(
        &order(json!({ "ship_to": null })),
        &ValidationPolicy::default(),
    );
    assert_eq!(none.findings[0].pointer, "/ship_to");
    // Hong Kong has no postal codes; pick-up channels need no address at all.
    let hk = validate(
        &order(
            json!({ "ship_to": { "street_lines": ["1 Queen's Rd"], "city": "Hong Kong", "country": "HK" } }),
        ),
        &ValidationPolicy::default(),
    );
    assert!(hk.passed(), "{hk:?}");
    let pickup = ValidationPolicy {
        require_ship_to: false,
        ..ValidationPolicy::default()
    };
    assert!(validate(&order(json!({ "ship_to": null })), &pickup).passed());
}

#[test]
fn the_policy_reads_from_configuration_with_channel_and_customer_overrides() {
    let policy: ValidationPolicy = serde_json::from_value(json!({
        "duplicate_window_minutes": 1440,
        "channels": { "edi:acme": { "price_authoritative": false, "price_tolerance_ratio": "0.005" } },
        "customers": { "odoo:42": { "price_authoritative": true } }
    }))
    .expect("policy");
    let mut o = order(json!({ "channel": { "kind": "edi", "account": "acme" } }));
    let channel = policy.for_order(&o);
    assert!(!channel.price_authoritative);
    assert_eq!(channel.price_tolerance_ratio, dec("0.005"));
    assert_eq!(channel.duplicate_window_minutes, 1440);
    assert!(policy.for_customer(&o, Some(42)).price_authoritative);
    assert!(!policy.for_customer(&o, Some(43)).price_authoritative);
    // Another channel keeps the defaults.
    o.channel.account = "other".into();
    assert!(policy.for_order(&o).price_authoritative);
}
