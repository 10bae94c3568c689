//! Pricelists: rules created with their pricelist, the rule and price a
//! sale order line gets from them, and 16's `price_compute`.

mod common;

use common::direct::{create, ok, sandbox};
use o2c_odoo_sim::Sandbox;
use serde_json::{Value, json};

/// A product with a list price and a cost.
fn product(sb: &Sandbox, code: &str, list: f64, cost: f64) -> i64 {
    create(
        sb,
        "product.product",
        json!({"name": code, "default_code": code, "list_price": list, "standard_price": cost}),
    )
}

/// The `(price_unit, pricelist_item_id)` of each line of a draft order for
/// `lines` (product, qty) priced with `pricelist`.
fn priced(sb: &Sandbox, pricelist: i64, lines: &[(i64, f64)]) -> Vec<(f64, Value)> {
    let partner = create(sb, "res.partner", json!({"name": "Priced"}));
    let order = create(
        sb,
        "sale.order",
        json!({"partner_id": partner, "pricelist_id": pricelist,
               "order_line": lines.iter()
                   .map(|(p, q)| json!([0, 0, {"product_id": p, "product_uom_qty": q}]))
                   .collect::<Vec<_>>()}),
    );
    let rows = ok(
        sb,
        "sale.order.line",
        "search_read",
        json!([[["order_id", "=", order]]]),
        json!({"fields": ["price_unit", "pricelist_item_id"], "order": "id"}),
    );
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["price_unit"].as_f64().unwrap(),
                r["pricelist_item_id"].clone(),
            )
        })
        .collect()
}

#[test]
fn a_pricelist_created_with_its_rules_prices_order_lines() {
    for version in ["16", "17", "18"] {
        let sb = sandbox(version);
        let widget = product(&sb, "PL-W", 25.0, 10.0);
        let gadget = product(&sb, "PL-G", 40.0, 10.0);
        // as recorded in c `product.pricelist.create.with_rule`
        let pl = create(
            &sb,
            "product.pricelist",
            json!({"name": "Shop B2B (-10%)", "item_ids": [
                [0, 0, {"applied_on": "3_global", "compute_price": "percentage",
                        "percent_price": 10.0, "min_quantity": 0}],
                [0, 0, {"applied_on": "0_product_variant", "product_id": gadget,
                        "compute_price": "fixed", "fixed_price": 33.0, "min_quantity": 10}]]}),
        );
        let read = ok(
            &sb,
            "product.pricelist",
            "read",
            json!([[pl], ["display_name", "currency_id"]]),
            json!({}),
        );
        assert_eq!(
            read[0]["display_name"], "Shop B2B (-10%) (USD)",
            "{version}"
        );
        let items = ok(
            &sb,
            "product.pricelist.item",
            "search_read",
            json!([[["pricelist_id", "=", pl]]]),
            json!({"fields": ["applied_on", "product_id", "min_quantity", "name", "price"]}),
        );
        // rule order: applied_on, then min_quantity desc
        assert_eq!(items[0]["applied_on"], "0_product_variant", "{version}");
        assert_eq!(items[0]["name"], "Variant: [PL-G] PL-G");
        assert_eq!(items[0]["price"], "$\u{a0}33.00");
        assert_eq!(items[1]["name"], "All Products");
        let label = if version == "18" {
            "10 % discount on sales price"
        } else {
            "10.0 % discount"
        };
        assert_eq!(items[1]["price"], label);
        let lines = priced(&sb, pl, &[(widget, 1.0), (gadget, 1.0), (gadget, 10.0)]);
        assert_eq!(lines[0].0, 22.5, "{version}");
        assert_eq!(lines[1].0, 36.0);
        assert_eq!(lines[2].0, 33.0);
        assert_eq!(lines[0].1[0], items[1]["id"]);
        assert_eq!(lines[2].1[0], items[0]["id"]);
        assert_eq!(lines[2].1[1], "Variant: [PL-G] PL-G");
    }
}

#[test]
fn formula_rules_discount_round_surcharge_and_bound_the_margin() {
    let sb = sandbox("17");
    let p = product(&sb, "PL-F", 99.0, 50.0);
    let pl = create(
        &sb,
        "product.pricelist",
        json!({"name": "Formula", "item_ids": [
            // cost + 30%... as Odoo does it: discount -30% on the cost,
            // rounded to 5, minus 0.01, at least 20 above the cost
            [0, 0, {"compute_price": "formula", "base": "standard_price",
                    "price_discount": -30.0, "price_round": 5.0, "price_surcharge": -0.01,
                    "price_min_margin": 20.0}]]}),
    );
    // 50 * 1.3 = 65 → rounded 65 → 64.99 → max(64.99, 70) = 70
    assert_eq!(priced(&sb, pl, &[(p, 1.0)])[0].0, 70.0);
    ok(
        &sb,
        "product.pricelist.item",
        "write",
        json!([ok(&sb, "product.pricelist.item", "search", json!([[["pricelist_id", "=", pl]]]), json!({})),
               {"price_min_margin": 0.0, "price_max_margin": 12.0}]),
        json!({}),
    );
    // 64.99, at most 62 above the cost's 50
    assert_eq!(priced(&sb, pl, &[(p, 1.0)])[0].0, 62.0);
}

#[test]
fn rules_on_another_pricelist_a_category_and_a_date_window() {
    let sb = sandbox("16");
    let p = product(&sb, "PL-B", 200.0, 80.0);
    let furniture = create(
        &sb,
        "product.category",
        json!({"name": "Furniture", "parent_id": 1}),
    );
    let chairs = create(
        &sb,
        "product.category",
        json!({"name": "Chairs", "parent_id": furniture}),
    );
    ok(
        &sb,
        "product.product",
        "write",
        json!([[p], {"categ_id": chairs}]),
        json!({}),
    );
    let cat = ok(
        &sb,
        "product.category",
        "read",
        json!([[chairs], ["display_name", "parent_path"]]),
        json!({}),
    );
    assert_eq!(cat[0]["display_name"], "All / Furniture / Chairs");
    assert_eq!(cat[0]["parent_path"], format!("1/{furniture}/{chairs}/"));
    let base = create(
        &sb,
        "product.pricelist",
        json!({"name": "Base", "item_ids": [
            [0, 0, {"applied_on": "2_product_category", "categ_id": furniture,
                    "compute_price": "percentage", "percent_price": 25.0}]]}),
    );
    assert_eq!(priced(&sb, base, &[(p, 1.0)])[0].0, 150.0);
    let promo = create(
        &sb,
        "product.pricelist",
        json!({"name": "Promo", "item_ids": [
            [0, 0, {"compute_price": "formula", "base": "pricelist", "base_pricelist_id": base,
                    "price_discount": 10.0}],
            // a window that has passed: never applies
            [0, 0, {"applied_on": "0_product_variant", "product_id": p, "compute_price": "fixed",
                    "fixed_price": 1.0, "date_start": "2001-01-01 00:00:00",
                    "date_end": "2001-12-31 23:59:59"}]]}),
    );
    // 150 from the base pricelist, less 10 %
    assert_eq!(priced(&sb, promo, &[(p, 1.0)])[0].0, 135.0);
}

#[test]
fn a_rule_must_name_what_it_applies_to() {
    let sb = sandbox("18");
    let pl = create(&sb, "product.pricelist", json!({"name": "Checked"}));
    for (applied_on, message) in [
        (
            "0_product_variant",
            "Please specify the product variant for which this rule should be applied",
        ),
        (
            "2_product_category",
            "Please specify the category for which this rule should be applied",
        ),
    ] {
        let e = sb
            .execute(
                "product.pricelist.item",
                "create",
                json!([{"pricelist_id": pl, "applied_on": applied_on, "fixed_price": 1.0}]),
                json!({}),
            )
            .unwrap_err();
        assert_eq!(e.name, "odoo.exceptions.ValidationError");
        assert_eq!(e.message, message);
    }
    let e = sb
        .execute(
            "product.pricelist.item",
            "create",
            json!([{"pricelist_id": pl, "compute_price": "formula",
                    "price_min_margin": 5.0, "price_max_margin": 2.0}]),
            json!({}),
        )
        .unwrap_err();
    assert_eq!(
        e.message,
        "The minimum margin should be lower than the maximum margin."
    );
}

#[test]
fn price_compute_is_16_only_and_ignores_pricelists() {
    let sb = sandbox("16");
    let a = product(&sb, "PC-A", 25.0, 10.0);
    let b = product(&sb, "PC-B", 40.0, 12.5);
    let r = ok(
        &sb,
        "product.product",
        "price_compute",
        json!([[a, b], "list_price"]),
        json!({}),
    );
    assert_eq!(r, json!({a.to_string(): 25.0, b.to_string(): 40.0}));
    let r = ok(
        &sb,
        "product.product",
        "price_compute",
        json!([[b], "standard_price"]),
        json!({}),
    );
    assert_eq!(r, json!({b.to_string(): 12.5}));
    let e = sandbox("17")
        .execute(
            "product.product",
            "price_compute",
            json!([[1], "list_price"]),
            json!({}),
        )
        .unwrap_err();
    assert_eq!(e.name, "builtins.AttributeError");
}
