//! Grouped reads: `read_group` on 16–19 and 19's `formatted_read_group`,
//! over quants the test creates in a location of its own.

use o2c_odoo_sim::{Sandbox, Seed, SimConfig};
use serde_json::{Value, json};

fn sandbox(version: &str) -> Sandbox {
    Sandbox::new(SimConfig {
        version: version.parse().unwrap(),
        seed: Seed::Demo,
        demo_customers: 3,
        demo_products: 3,
        ..SimConfig::default()
    })
}

fn ok(sb: &Sandbox, model: &str, method: &str, args: Value, kwargs: Value) -> Value {
    match sb.execute(model, method, args, kwargs) {
        Ok(v) => v.unwrap_or(Value::Null),
        Err(e) => panic!("{model}.{method}: {} {}", e.name, e.message),
    }
}

/// A fresh internal location holding: product A 5 + 7 (two quants, one
/// with 2 reserved), product B 3. Returns (location, A, B).
fn stock(sb: &Sandbox) -> (i64, i64, i64) {
    let loc = ok(
        sb,
        "stock.location",
        "create",
        json!([{"name": "RG", "usage": "internal"}]),
        json!({}),
    )
    .as_i64()
    .unwrap();
    let mut products = Vec::new();
    for (name, code) in [("Group A", "RG-A"), ("Group B", "RG-B")] {
        products.push(
            ok(
                sb,
                "product.product",
                "create",
                json!([{"name": name, "default_code": code}]),
                json!({}),
            )
            .as_i64()
            .unwrap(),
        );
    }
    for (p, q, r) in [
        (products[0], 5.0, 0.0),
        (products[0], 7.0, 2.0),
        (products[1], 3.0, 0.0),
    ] {
        ok(
            sb,
            "stock.quant",
            "create",
            json!([{"product_id": p, "location_id": loc, "quantity": q, "reserved_quantity": r}]),
            json!({}),
        );
    }
    (loc, products[0], products[1])
}

#[test]
fn read_group_not_lazy_groups_sums_and_gives_each_group_its_domain() {
    for version in ["17", "18", "19"] {
        let sb = sandbox(version);
        let (loc, a, b) = stock(&sb);
        let domain = json!([["location_id", "=", loc]]);
        let r = ok(
            &sb,
            "stock.quant",
            "read_group",
            json!([
                domain,
                ["product_id", "quantity:sum", "reserved_quantity:sum"],
                ["product_id"]
            ]),
            json!({"lazy": false}),
        );
        assert_eq!(
            r,
            json!([
                {"product_id": [a, "[RG-A] Group A"], "__count": 2, "quantity": 12.0,
                 "reserved_quantity": 2.0,
                 "__domain": ["&", ["location_id", "=", loc], ["product_id", "=", a]]},
                {"product_id": [b, "[RG-B] Group B"], "__count": 1, "quantity": 3.0,
                 "reserved_quantity": 0.0,
                 "__domain": ["&", ["location_id", "=", loc], ["product_id", "=", b]]}
            ]),
            "{version}"
        );
    }
}

#[test]
fn read_group_on_16_puts_the_group_leaf_first() {
    let sb = sandbox("16");
    let (loc, a, _) = stock(&sb);
    let r = ok(
        &sb,
        "stock.quant",
        "read_group",
        json!([
            [["location_id", "=", loc], ["quantity", ">", 0]],
            ["quantity:sum"],
            ["product_id"]
        ]),
        json!({"lazy": false, "limit": 1}),
    );
    assert_eq!(
        r,
        json!([{"__count": 2, "quantity": 12.0, "product_id": [a, "[RG-A] Group A"],
            "__domain": ["&", ["product_id", "=", a], "&", ["location_id", "=", loc], ["quantity", ">", 0]]}])
    );
}

#[test]
fn lazy_read_group_counts_per_field_and_passes_the_rest_on() {
    let sb = sandbox("17");
    let (loc, a, b) = stock(&sb);
    let r = ok(
        &sb,
        "stock.quant",
        "read_group",
        json!([
            [["location_id", "=", loc]],
            ["quantity"],
            ["product_id", "location_id"]
        ]),
        json!({}),
    );
    // a bare numeric field sums; lazy counts under `<groupby>_count`
    assert_eq!(r[0]["product_id_count"], json!(2));
    assert_eq!(r[0]["quantity"], json!(12.0));
    assert!(r[0].get("__count").is_none());
    assert_eq!(r[0]["__context"], json!({"group_by": ["location_id"]}));
    assert_eq!(r[1]["product_id"][0], json!(b));
    assert_eq!(r[0]["product_id"][0], json!(a));
}

#[test]
fn orderby_aggregates_and_other_functions() {
    let sb = sandbox("18");
    let (loc, a, b) = stock(&sb);
    let r = ok(
        &sb,
        "stock.quant",
        "read_group",
        json!([
            [["location_id", "=", loc]],
            [
                "quantity:sum",
                "mx:max(quantity)",
                "mn:min(quantity)",
                "n:count(id)"
            ],
            ["product_id"]
        ]),
        json!({"lazy": false, "orderby": "quantity asc"}),
    );
    assert_eq!(r[0]["product_id"][0], json!(b));
    assert_eq!(r[1]["product_id"][0], json!(a));
    assert_eq!(r[1]["mx"], json!(7.0));
    assert_eq!(r[1]["mn"], json!(5.0));
    assert_eq!(r[1]["n"], json!(2));
    let desc = ok(
        &sb,
        "stock.quant",
        "read_group",
        json!([[["location_id", "=", loc]], [], ["product_id"]]),
        json!({"lazy": false, "orderby": "__count desc"}),
    );
    assert_eq!(desc[0]["product_id"][0], json!(a));
    // a many2one to a model the sandbox does not simulate (lots): one
    // `false` group
    let lots = ok(
        &sb,
        "stock.quant",
        "read_group",
        json!([[["location_id", "=", loc]], [], ["lot_id"]]),
        json!({"lazy": false}),
    );
    assert_eq!(lots[0]["lot_id"], json!(false));
    assert_eq!(lots[0]["__count"], json!(3));
    // no groupby: one row over everything
    let all = ok(
        &sb,
        "stock.quant",
        "read_group",
        json!([[["location_id", "=", loc]], ["quantity:sum"], []]),
        json!({"lazy": false}),
    );
    assert_eq!(
        all,
        json!([{"__count": 3, "quantity": 15.0, "__domain": [["location_id", "=", loc]]}])
    );
}

#[test]
fn read_group_errors_are_odoos() {
    let sb = sandbox("17");
    let e = sb
        .execute(
            "stock.quant",
            "read_group",
            json!([[], ["quantity:median"], ["product_id"]]),
            json!({}),
        )
        .unwrap_err();
    assert_eq!(e.name, "builtins.ValueError");
    assert_eq!(e.message, "Invalid aggregation function 'median'.");
    let e = sb
        .execute(
            "stock.quant",
            "read_group",
            json!([[], [], ["nope"]]),
            json!({}),
        )
        .unwrap_err();
    assert_eq!(e.message, "Invalid field 'nope' on model 'stock.quant'");
}

#[test]
fn formatted_read_group_is_19_only_and_answers_extra_domains() {
    let sb = sandbox("19");
    let (loc, a, b) = stock(&sb);
    let r = ok(
        &sb,
        "stock.quant",
        "formatted_read_group",
        json!([[["location_id", "=", loc]]]),
        json!({"groupby": ["product_id"], "aggregates": ["quantity:sum", "__count"]}),
    );
    assert_eq!(
        r,
        json!([
            {"product_id": [a, "[RG-A] Group A"], "__extra_domain": [["product_id", "=", a]],
             "quantity:sum": 12.0, "__count": 2},
            {"product_id": [b, "[RG-B] Group B"], "__extra_domain": [["product_id", "=", b]],
             "quantity:sum": 3.0, "__count": 1}
        ])
    );
    let two = ok(
        &sb,
        "stock.quant",
        "formatted_read_group",
        json!([
            [["location_id", "=", loc]],
            ["product_id", "location_id"],
            ["__count"]
        ]),
        json!({"order": "__count desc", "limit": 1}),
    );
    assert_eq!(
        two[0]["__extra_domain"],
        json!(["&", ["product_id", "=", a], ["location_id", "=", loc]])
    );
    let e = sandbox("18")
        .execute(
            "stock.quant",
            "formatted_read_group",
            json!([[]]),
            json!({}),
        )
        .unwrap_err();
    assert_eq!(e.name, "builtins.AttributeError");
}
