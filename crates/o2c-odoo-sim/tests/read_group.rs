//! Grouped reads: `read_group` on 16–19 and 19's `formatted_read_group`,
//! over quants the test creates in a location of its own.

mod common;

use common::direct::{create, ok, sandbox};
use o2c_odoo_sim::{Fault, Sandbox};
use serde_json::{Value, json};

/// A fresh internal location holding: product A 5 + 7 (two quants, one
/// with 2 reserved), product B 3. Returns (location, A, B).
fn stock(sb: &Sandbox) -> (i64, i64, i64) {
    let loc = create(
        sb,
        "stock.location",
        json!({"name": "RG", "usage": "internal"}),
    );
    let [a, b] = [("Group A", "RG-A"), ("Group B", "RG-B")].map(|(name, code)| {
        create(
            sb,
            "product.product",
            json!({"name": name, "default_code": code}),
        )
    });
    for (p, q, r) in [(a, 5.0, 0.0), (a, 7.0, 2.0), (b, 3.0, 0.0)] {
        create(
            sb,
            "stock.quant",
            json!({"product_id": p, "location_id": loc, "quantity": q, "reserved_quantity": r}),
        );
    }
    (loc, a, b)
}

/// `method` (a grouped read) on stock.quant, which must succeed.
fn quants(sb: &Sandbox, method: &str, args: Value, kwargs: Value) -> Value {
    ok(sb, "stock.quant", method, args, kwargs)
}

/// `read_group` over the quants in `loc`.
fn grouped_in(sb: &Sandbox, loc: i64, fields: Value, groupby: Value, kwargs: Value) -> Value {
    quants(
        sb,
        "read_group",
        json!([[["location_id", "=", loc]], fields, groupby]),
        kwargs,
    )
}

/// The fault of a grouped read on stock.quant that must fail.
fn quants_refused(sb: &Sandbox, method: &str, args: Value) -> Fault {
    sb.execute("stock.quant", method, args, json!({}))
        .expect_err("the call should fail")
}

#[test]
fn read_group_not_lazy_groups_sums_and_gives_each_group_its_domain() {
    for version in ["17", "18", "19"] {
        let sb = sandbox(version);
        let (loc, a, b) = stock(&sb);
        let r = grouped_in(
            &sb,
            loc,
            json!(["product_id", "quantity:sum", "reserved_quantity:sum"]),
            json!(["product_id"]),
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
    let r = quants(
        &sb,
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
    let r = grouped_in(
        &sb,
        loc,
        json!(["quantity"]),
        json!(["product_id", "location_id"]),
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
    let r = grouped_in(
        &sb,
        loc,
        json!([
            "quantity:sum",
            "mx:max(quantity)",
            "mn:min(quantity)",
            "n:count(id)"
        ]),
        json!(["product_id"]),
        json!({"lazy": false, "orderby": "quantity asc"}),
    );
    assert_eq!(r[0]["product_id"][0], json!(b));
    assert_eq!(r[1]["product_id"][0], json!(a));
    assert_eq!(r[1]["mx"], json!(7.0));
    assert_eq!(r[1]["mn"], json!(5.0));
    assert_eq!(r[1]["n"], json!(2));
    let desc = grouped_in(
        &sb,
        loc,
        json!([]),
        json!(["product_id"]),
        json!({"lazy": false, "orderby": "__count desc"}),
    );
    assert_eq!(desc[0]["product_id"][0], json!(a));
    // a many2one to a model the sandbox does not simulate (lots): one
    // `false` group
    let lots = grouped_in(
        &sb,
        loc,
        json!([]),
        json!(["lot_id"]),
        json!({"lazy": false}),
    );
    assert_eq!(lots[0]["lot_id"], json!(false));
    assert_eq!(lots[0]["__count"], json!(3));
    // no groupby: one row over everything
    let all = grouped_in(
        &sb,
        loc,
        json!(["quantity:sum"]),
        json!([]),
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
    let e = quants_refused(
        &sb,
        "read_group",
        json!([[], ["quantity:median"], ["product_id"]]),
    );
    assert_eq!(e.name, "builtins.ValueError");
    assert_eq!(e.message, "Invalid aggregation function 'median'.");
    let e = quants_refused(&sb, "read_group", json!([[], [], ["nope"]]));
    assert_eq!(e.message, "Invalid field 'nope' on model 'stock.quant'");
}

#[test]
fn formatted_read_group_is_19_only_and_answers_extra_domains() {
    let sb = sandbox("19");
    let (loc, a, b) = stock(&sb);
    let r = quants(
        &sb,
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
    let two = quants(
        &sb,
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
    let e = quants_refused(&sandbox("18"), "formatted_read_group", json!([[]]));
    assert_eq!(e.name, "builtins.AttributeError");
}
