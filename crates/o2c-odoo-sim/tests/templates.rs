//! product.template behind every product.product: created with it, shared
//! fields kept equal on both sides, a variant made for a template created on
//! its own, unlinked together, and template pricelist rules.

mod common;

use common::direct::{create, ok, read, sandbox};
use o2c_odoo_sim::Sandbox;
use serde_json::json;

/// The template behind product `p`.
fn template_of(sb: &Sandbox, p: i64) -> i64 {
    read(sb, "product.product", p, &["product_tmpl_id"])["product_tmpl_id"][0]
        .as_i64()
        .unwrap()
}

#[test]
fn creating_a_product_creates_its_template() {
    for version in ["16", "17", "18", "19"] {
        let sb = sandbox(version);
        let p = create(
            &sb,
            "product.product",
            json!({"name": "Shop Widget", "default_code": "TPL-1", "list_price": 25.0,
                   "barcode": "4006381333931"}),
        );
        let row = read(&sb, "product.product", p, &["product_tmpl_id"]);
        let t = row["product_tmpl_id"][0].as_i64().expect(version);
        assert_eq!(
            row["product_tmpl_id"][1], "[TPL-1] Shop Widget",
            "{version}"
        );
        let tmpl = read(
            &sb,
            "product.template",
            t,
            &[
                "name",
                "list_price",
                "default_code",
                "barcode",
                "uom_id",
                "categ_id",
                "product_variant_ids",
                "product_variant_count",
                "product_variant_id",
            ],
        );
        assert_eq!(tmpl["name"], "Shop Widget");
        assert_eq!(tmpl["list_price"], 25.0);
        assert_eq!(tmpl["default_code"], "TPL-1");
        assert_eq!(tmpl["barcode"], "4006381333931");
        assert_eq!(tmpl["uom_id"][1], "Units");
        assert_eq!(tmpl["categ_id"][1], "All");
        assert_eq!(tmpl["product_variant_ids"], json!([p]));
        assert_eq!(tmpl["product_variant_count"], 1);
        assert_eq!(tmpl["product_variant_id"][0], p);
        let found = ok(
            &sb,
            "product.template",
            "search",
            json!([[["default_code", "=", "TPL-1"]]]),
            json!({}),
        );
        assert_eq!(found, json!([t]));
    }
}

#[test]
fn template_fields_are_shared_both_ways() {
    let sb = sandbox("17");
    let p = create(
        &sb,
        "product.product",
        json!({"name": "Shared", "default_code": "TPL-S", "list_price": 10.0}),
    );
    let t = template_of(&sb, p);
    // on the variant → the template
    ok(
        &sb,
        "product.product",
        "write",
        json!([[p], {"list_price": 12.0, "sale_ok": false}]),
        json!({}),
    );
    let tmpl = read(&sb, "product.template", t, &["list_price", "sale_ok"]);
    assert_eq!(tmpl["list_price"], 12.0);
    assert_eq!(tmpl["sale_ok"], false);
    // on the template → the variant (its sales price too)
    ok(
        &sb,
        "product.template",
        "write",
        json!([[t], {"name": "Renamed", "list_price": 14.5, "invoice_policy": "delivery"}]),
        json!({}),
    );
    let v = read(
        &sb,
        "product.product",
        p,
        &["name", "display_name", "lst_price", "invoice_policy"],
    );
    assert_eq!(v["name"], "Renamed");
    assert_eq!(v["display_name"], "[TPL-S] Renamed");
    assert_eq!(v["lst_price"], 14.5);
    assert_eq!(v["invoice_policy"], "delivery");
    // a variant's own code follows to its single-variant template
    ok(
        &sb,
        "product.product",
        "write",
        json!([[p], {"default_code": "TPL-S2"}]),
        json!({}),
    );
    assert_eq!(
        read(&sb, "product.template", t, &["display_name"])["display_name"],
        "[TPL-S2] Renamed"
    );
}

#[test]
fn a_template_created_alone_gets_its_variant_and_more_variants_share_it() {
    let sb = sandbox("18");
    let t = create(
        &sb,
        "product.template",
        json!({"name": "Made as template", "default_code": "TPL-T", "list_price": 8.0,
               "is_storable": true}),
    );
    let vs =
        read(&sb, "product.template", t, &["product_variant_ids"])["product_variant_ids"].clone();
    let v = vs[0].as_i64().unwrap();
    let row = read(
        &sb,
        "product.product",
        v,
        &[
            "name",
            "default_code",
            "lst_price",
            "is_storable",
            "product_tmpl_id",
        ],
    );
    assert_eq!(row["name"], "Made as template");
    assert_eq!(row["default_code"], "TPL-T");
    assert_eq!(row["lst_price"], 8.0);
    assert_eq!(row["is_storable"], true);
    assert_eq!(row["product_tmpl_id"][0], t);
    // Odoo's `create_product_product: False` makes no variant
    let bare = ok(
        &sb,
        "product.template",
        "create",
        json!([{"name": "No variant"}]),
        json!({"context": {"create_product_product": false}}),
    )
    .as_i64()
    .unwrap();
    assert_eq!(
        read(&sb, "product.template", bare, &["product_variant_count"])["product_variant_count"],
        0
    );
    // a second variant of `t` takes the template's shared values
    let second = create(
        &sb,
        "product.product",
        json!({"product_tmpl_id": t, "default_code": "TPL-T2"}),
    );
    let row = read(&sb, "product.product", second, &["name", "lst_price"]);
    assert_eq!(row["name"], "Made as template");
    assert_eq!(row["lst_price"], 8.0);
    assert_eq!(
        read(&sb, "product.template", t, &["product_variant_count"])["product_variant_count"],
        2
    );
    // and a shared write on one variant reaches its sibling
    ok(
        &sb,
        "product.product",
        "write",
        json!([[second], {"list_price": 9.0}]),
        json!({}),
    );
    assert_eq!(
        read(&sb, "product.product", v, &["lst_price"])["lst_price"],
        9.0
    );
}

#[test]
fn unlinking_the_last_variant_unlinks_the_template_and_back() {
    let sb = sandbox("16");
    let p = create(&sb, "product.product", json!({"name": "Gone"}));
    let t = template_of(&sb, p);
    ok(&sb, "product.product", "unlink", json!([[p]]), json!({}));
    assert_eq!(
        ok(&sb, "product.template", "exists", json!([[t]]), json!({})),
        json!([])
    );
    let p2 = create(&sb, "product.product", json!({"name": "Gone too"}));
    let t2 = template_of(&sb, p2);
    ok(&sb, "product.template", "unlink", json!([[t2]]), json!({}));
    assert_eq!(
        ok(&sb, "product.product", "exists", json!([[p2]]), json!({})),
        json!([])
    );
}

#[test]
fn a_template_rule_prices_every_variant_of_the_template() {
    let sb = sandbox("16");
    let t = create(
        &sb,
        "product.template",
        json!({"name": "Ruled", "list_price": 50.0}),
    );
    let v1 = read(&sb, "product.template", t, &["product_variant_id"])["product_variant_id"][0]
        .as_i64()
        .unwrap();
    let v2 = create(&sb, "product.product", json!({"product_tmpl_id": t}));
    let other = create(
        &sb,
        "product.product",
        json!({"name": "Unruled", "list_price": 50.0}),
    );
    let pl = create(
        &sb,
        "product.pricelist",
        json!({"name": "Per template", "item_ids": [[0, 0, {"applied_on": "1_product",
            "product_tmpl_id": t, "compute_price": "fixed", "fixed_price": 42.0}]]}),
    );
    let item = ok(
        &sb,
        "product.pricelist.item",
        "search_read",
        json!([[["pricelist_id", "=", pl]]]),
        json!({"fields": ["name"]}),
    );
    assert_eq!(item[0]["name"], "Product: Ruled");
    let partner = create(&sb, "res.partner", json!({"name": "Buyer"}));
    let order = create(
        &sb,
        "sale.order",
        json!({"partner_id": partner, "pricelist_id": pl, "order_line": [
            [0, 0, {"product_id": v1}], [0, 0, {"product_id": v2}], [0, 0, {"product_id": other}]]}),
    );
    let lines = ok(
        &sb,
        "sale.order.line",
        "search_read",
        json!([[["order_id", "=", order]]]),
        json!({"fields": ["price_unit"], "order": "id"}),
    );
    let prices: Vec<f64> = lines
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["price_unit"].as_f64().unwrap())
        .collect();
    assert_eq!(prices, vec![42.0, 42.0, 50.0]);
}
