//! Each ERP-backed rule: one order that triggers it, one that passes.

use chrono::NaiveDate;
use o2c_flow::HoldReason;
use o2c_model::Order;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::erp::facts::*;
use crate::validation::{ValidationPolicy, validate_with_facts};

fn order(extra: Value) -> Order {
    let mut base = json!({
        "channel": { "kind": "edi", "account": "acme" },
        "channel_order_id": "PO-1",
        "order_date": "2026-11-27T10:00:00Z",
        "currency": "USD",
        "customer": { "name": "Acme", "email": "ap@acme.example",
            "external_refs": [{ "system": "edi:acme", "id": "ACME" }] },
        "ship_to": { "street_lines": ["1 Main St"], "city": "Springfield", "postal_code": "62701", "country": "US" },
        "lines": [
            { "line_id": "1", "sku": "A", "quantity": { "value": "2", "uom": "Units" }, "unit_price": "10.00",
              "taxes": [{ "code": "VAT", "amount": "3.00" }] },
            { "line_id": "2", "sku": "B", "quantity": { "value": "1", "uom": "Units" }, "unit_price": "40.00",
              "discount_percent": "10", "taxes": [{ "code": "VAT", "amount": "5.40" }] }
        ],
        "declared_totals": { "total": "64.40" }
    });
    if let (Value::Object(base), Value::Object(extra)) = (&mut base, extra) {
        base.extend(extra);
    }
    serde_json::from_value(base).expect("canonical order")
}

fn dec(text: &str) -> Decimal {
    text.parse().expect("decimal")
}

fn product(id: i64, price: &str, tax: &str) -> LineFacts {
    LineFacts {
        product: Some(ProductFacts {
            product_id: id,
            matched_by: ProductMatch::Sku,
            discontinued: false,
            uom: Some("Units".into()),
            line_uom: LineUom::Product,
            price_unit: Some(dec(price)),
            tax: Some(dec(tax)),
            tax_unchecked: None,
        }),
    }
}

/// Facts that agree with `order(json!({}))`: B's pricelist price is the
/// net 36.00 (10 % off 40.00), A's the list price.
fn facts() -> ErpFacts {
    ErpFacts {
        customer: CustomerFacts::Known {
            partner_id: 7,
            matched_by: CustomerMatch::Reference,
            credit: CreditFacts {
                limit: Some(dec("1000")),
                receivable: dec("500"),
                open_orders: dec("100"),
                overdue: Vec::new(),
                currency: None,
            },
        },
        lines: vec![product(1, "10.00", "3.00"), product(2, "36.00", "5.40")],
        pricelist: PricelistFacts::Customer,
    }
}

/// Every check on: the channel is neither price- nor tax-authoritative.
fn strict() -> ValidationPolicy {
    ValidationPolicy {
        price_authoritative: false,
        tax_authoritative: false,
        ..ValidationPolicy::default()
    }
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 27).expect("date")
}

fn reasons(
    order: &Order,
    facts: &ErpFacts,
    policy: &ValidationPolicy,
) -> Vec<(HoldReason, String)> {
    validate_with_facts(order, policy, Some(facts), today())
        .findings
        .into_iter()
        .map(|f| (f.reason, f.pointer))
        .collect()
}

#[test]
fn matching_facts_pass_every_rule() {
    assert_eq!(reasons(&order(json!({})), &facts(), &strict()), vec![]);
}

#[test]
fn an_unknown_customer_holds_only_where_customers_may_not_be_created() {
    let mut f = facts();
    f.customer = CustomerFacts::Unknown;
    assert_eq!(
        reasons(&order(json!({})), &f, &strict()),
        vec![(HoldReason::UnknownCustomer, "/customer".into())]
    );
    f.customer = CustomerFacts::New;
    assert_eq!(reasons(&order(json!({})), &f, &strict()), vec![]);
}

#[test]
fn an_unknown_or_discontinued_product_holds_the_line() {
    let mut f = facts();
    f.lines[1].product = None;
    assert_eq!(
        reasons(&order(json!({})), &f, &strict()),
        vec![(HoldReason::UnknownProduct, "/lines/1/sku".into())]
    );
    let mut f = facts();
    if let Some(p) = f.lines[0].product.as_mut() {
        p.discontinued = true;
    }
    assert_eq!(
        reasons(&order(json!({})), &f, &strict()),
        vec![(HoldReason::UnknownProduct, "/lines/0/sku".into())]
    );
}

#[test]
fn a_price_beyond_tolerance_holds_unless_the_channel_is_price_authoritative() {
    let mut f = facts();
    f.lines[0] = product(1, "9.50", "3.00");
    assert_eq!(
        reasons(&order(json!({})), &f, &strict()),
        vec![(HoldReason::PriceMismatch, "/lines/0/unit_price".into())]
    );
    // Within an absolute or a percent tolerance it passes.
    let mut loose = strict();
    loose.price_tolerance = dec("0.50");
    assert_eq!(reasons(&order(json!({})), &f, &loose), vec![]);
    let mut ratio = strict();
    ratio.price_tolerance_ratio = dec("0.06");
    assert_eq!(reasons(&order(json!({})), &f, &ratio), vec![]);
    // A price-authoritative channel's price stands.
    let mut policy = strict();
    policy.channels.insert(
        "edi:acme".into(),
        crate::validation::ChannelPolicy {
            price_authoritative: Some(true),
            ..Default::default()
        },
    );
    assert_eq!(reasons(&order(json!({})), &f, &policy), vec![]);
    // ... and so does a customer's with agreed prices.
    let mut policy = strict();
    policy.customers.insert(
        "odoo:7".into(),
        crate::validation::CustomerPolicy {
            price_authoritative: Some(true),
            ..Default::default()
        },
    );
    assert_eq!(reasons(&order(json!({})), &f, &policy), vec![]);
}

#[test]
fn the_gross_price_with_a_channel_discount_matches_a_list_price() {
    let mut f = facts();
    // B's Odoo price is the list price 40.00; the channel sent 40.00 less 10 %.
    f.lines[1] = product(2, "40.00", "5.40");
    assert_eq!(reasons(&order(json!({})), &f, &strict()), vec![]);
}

#[test]
fn a_tax_difference_holds_unless_the_channel_is_tax_authoritative() {
    let mut f = facts();
    f.lines[1] = product(2, "36.00", "5.50");
    assert_eq!(
        reasons(&order(json!({})), &f, &strict()),
        vec![(HoldReason::TaxMismatch, "/lines/1/taxes".into())]
    );
    assert_eq!(
        reasons(&order(json!({})), &f, &ValidationPolicy::default()),
        vec![]
    );
}

#[test]
fn an_order_level_tax_is_compared_with_the_sum_of_the_lines() {
    let mut o = order(json!({}));
    for line in &mut o.lines {
        line.taxes.clear();
    }
    o.declared_totals = serde_json::from_value(json!({ "tax": "8.40", "total": "64.40" })).ok();
    assert_eq!(reasons(&o, &facts(), &strict()), vec![]);
    o.declared_totals = serde_json::from_value(json!({ "tax": "9.40", "total": "65.40" })).ok();
    assert_eq!(
        reasons(&o, &facts(), &strict()),
        vec![(HoldReason::TaxMismatch, "/declared_totals/tax".into())]
    );
}

/// Line B's tax is one the hub cannot compute (a Python-code tax).
fn facts_with_unchecked_tax() -> ErpFacts {
    let mut f = facts();
    if let Some(p) = f.lines[1].product.as_mut() {
        p.tax = None;
        p.tax_unchecked = Some("tax \"Eco\" is computed by Python code in Odoo".into());
    }
    f
}

#[test]
fn a_tax_the_hub_cannot_compute_holds_naming_it_unless_taxes_are_authoritative() {
    let f = facts_with_unchecked_tax();
    assert_eq!(
        reasons(&order(json!({})), &f, &strict()),
        vec![(HoldReason::TaxUnverified, "/lines/1/taxes".into())]
    );
    let held = validate_with_facts(&order(json!({})), &strict(), Some(&f), today());
    assert!(
        held.findings[0].detail.contains("Eco"),
        "{:?}",
        held.findings
    );
    assert_eq!(
        reasons(&order(json!({})), &f, &ValidationPolicy::default()),
        vec![]
    );
    // a line the channel declares no tax for has nothing to check
    let mut o = order(json!({}));
    o.lines[1].taxes.clear();
    o.declared_totals = serde_json::from_value(json!({ "total": "59.00" })).ok();
    assert_eq!(reasons(&o, &f, &strict()), vec![]);
    // nor is an order-level tax passed unchecked
    for line in &mut o.lines {
        line.taxes.clear();
    }
    o.declared_totals = serde_json::from_value(json!({ "tax": "8.40", "total": "64.40" })).ok();
    assert_eq!(
        reasons(&o, &f, &strict()),
        vec![(HoldReason::TaxUnverified, "/declared_totals/tax".into())]
    );
}

#[test]
fn an_order_in_a_currency_no_pricelist_is_in_holds_naming_currency_and_customer() {
    let mut o = order(json!({ "currency": "EUR" }));
    let mut f = facts();
    // a pricelist in EUR was found or configured: nothing to hold
    f.pricelist = PricelistFacts::Chosen {
        pricelist_id: 4,
        configured: false,
    };
    assert_eq!(reasons(&o, &f, &ValidationPolicy::default()), vec![]);
    f.pricelist = PricelistFacts::Unsupported {
        currency: "EUR".into(),
        customer_currency: "USD".into(),
        channel: "edi:acme".into(),
    };
    // whatever the channel's price and tax policy
    assert_eq!(
        reasons(&o, &f, &ValidationPolicy::default()),
        vec![(HoldReason::CurrencyUnsupported, "/currency".into())]
    );
    let held = validate_with_facts(&o, &ValidationPolicy::default(), Some(&f), today());
    let detail = &held.findings[0].detail;
    for part in ["in EUR", "\"Acme\" (Odoo partner 7)", "in USD", "edi:acme"] {
        assert!(detail.contains(part), "{part}: {detail}");
    }
    o.currency = o2c_model::Currency::parse("USD").expect("USD");
    f.pricelist = PricelistFacts::Customer;
    assert_eq!(reasons(&o, &f, &ValidationPolicy::default()), vec![]);
}

#[test]
fn exposure_over_the_credit_limit_holds() {
    let mut f = facts();
    // 500 receivable + 100 open orders + 64.40 = 664.40
    if let CustomerFacts::Known { credit, .. } = &mut f.customer {
        credit.limit = Some(dec("664.39"));
    }
    assert_eq!(
        reasons(&order(json!({})), &f, &strict()),
        vec![(HoldReason::CreditHold, "/customer".into())]
    );
    if let CustomerFacts::Known { credit, .. } = &mut f.customer {
        credit.limit = Some(dec("664.40"));
    }
    assert_eq!(reasons(&order(json!({})), &f, &strict()), vec![]);
    // No limit at all: credit is not limited.
    if let CustomerFacts::Known { credit, .. } = &mut f.customer {
        credit.limit = None;
        credit.receivable = dec("1000000");
    }
    assert_eq!(reasons(&order(json!({})), &f, &strict()), vec![]);
}

#[test]
fn an_order_in_another_currency_counts_converted_toward_the_limit() {
    // 64.40 EUR at 0.92 EUR per USD is 70.00 USD: 500 + 100 + 70 fits 700
    // but not 669.99, while the unconverted 64.40 would fit both
    let mut f = facts();
    if let CustomerFacts::Known { credit, .. } = &mut f.customer {
        credit.limit = Some(dec("669.99"));
        credit.currency = Some(CreditCurrency {
            code: "USD".into(),
            order_rate: dec("0.92"),
            rounding: dec("0.01"),
        });
    }
    let o = order(json!({ "currency": "EUR" }));
    let held = validate_with_facts(&o, &strict(), Some(&f), today());
    assert_eq!(held.findings.len(), 1, "{:?}", held.findings);
    assert_eq!(held.findings[0].reason, HoldReason::CreditHold);
    assert!(
        held.findings[0]
            .detail
            .contains("this order 70.00 (64.40 EUR converted)")
            && held.findings[0].detail.ends_with("669.99 USD"),
        "{}",
        held.findings[0].detail
    );
    if let CustomerFacts::Known { credit, .. } = &mut f.customer {
        credit.limit = Some(dec("700"));
    }
    assert_eq!(reasons(&o, &f, &strict()), vec![]);
}

#[test]
fn an_overdue_invoice_holds_after_the_grace_period() {
    let mut f = facts();
    if let CustomerFacts::Known { credit, .. } = &mut f.customer {
        credit.overdue.push(OverdueInvoice {
            name: "INV/2026/0007".into(),
            due: NaiveDate::from_ymd_opt(2026, 11, 20).expect("date"),
            residual: dec("120.00"),
        });
    }
    assert_eq!(
        reasons(&order(json!({})), &f, &strict()),
        vec![(HoldReason::CreditHold, "/customer".into())]
    );
    let mut lenient = strict();
    lenient.overdue_grace_days = 10;
    assert_eq!(reasons(&order(json!({})), &f, &lenient), vec![]);
    let mut off = strict();
    off.credit_check = false;
    assert_eq!(reasons(&order(json!({})), &f, &off), vec![]);
}

#[test]
fn a_unit_odoo_does_not_know_or_cannot_convert_holds_the_line_whatever_the_price_policy() {
    let mut f = facts();
    if let Some(p) = f.lines[0].product.as_mut() {
        p.line_uom = LineUom::Unknown;
    }
    let lenient = ValidationPolicy::default();
    assert_eq!(
        reasons(&order(json!({})), &f, &lenient),
        vec![(HoldReason::UnknownUom, "/lines/0/quantity/uom".into())]
    );
    let findings = validate_with_facts(&order(json!({})), &lenient, Some(&f), today()).findings;
    assert!(
        findings[0].detail.contains("line 1") && findings[0].detail.contains("\"Units\""),
        "{}",
        findings[0].detail
    );
    if let Some(p) = f.lines[0].product.as_mut() {
        p.line_uom = LineUom::Incompatible { uom_id: 3 };
    }
    let findings = validate_with_facts(&order(json!({})), &lenient, Some(&f), today()).findings;
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].reason, HoldReason::UomMismatch);
    assert_eq!(findings[0].pointer, "/lines/0/quantity/uom");
    assert!(
        findings[0].detail.contains("product \"A\""),
        "{}",
        findings[0].detail
    );
}

#[test]
fn a_convertible_unit_passes_and_its_price_is_compared_per_ordered_unit() {
    // 2 cases of 12 at 120.00 a case; Odoo's price per Unit 10.00 becomes
    // 120.00 per case in the facts
    let o = order(json!({ "lines": [
        { "line_id": "1", "sku": "A", "quantity": { "value": "2", "uom": "Case of 12" }, "unit_price": "120.00" }
    ], "declared_totals": null }));
    let case = LineUom::Converted {
        uom_id: 7,
        ratio: dec("12"),
    };
    let mut f = facts();
    f.lines = vec![product(1, "120.00", "0")];
    if let Some(p) = f.lines[0].product.as_mut() {
        p.line_uom = case.clone();
        p.tax = None;
    }
    assert_eq!(reasons(&o, &f, &strict()), vec![]);
    // the per-Unit price against a per-case line is a mismatch
    if let Some(p) = f.lines[0].product.as_mut() {
        p.price_unit = Some(dec("10.00"));
    }
    assert_eq!(
        reasons(&o, &f, &strict()),
        vec![(HoldReason::PriceMismatch, "/lines/0/unit_price".into())]
    );
}
