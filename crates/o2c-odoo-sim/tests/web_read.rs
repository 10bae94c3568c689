//! The web client's reads with a specification (17+, web/models/models.py):
//! `web_search_read` over JSON-2 (the recorded 19 call: nested `child_ids`
//! with their own fields), nested many2one `fields` and `display_name`,
//! x2many `limit`, `length` past a full page and `count_limit`, and 16's
//! `fields` form.

mod common;

use common::{Rpc, empty, recorded, start};
use o2c_odoo_sim::{OdooVersion, SimConfig};
use serde_json::{Value, json};

const KEY: &str = "0123456789abcdef0123456789abcdef01234567";

/// A company with two contacts; returns (company, [contacts]).
async fn company(rpc: &Rpc) -> (i64, Vec<i64>) {
    let id = rpc
        .ok(
            "res.partner",
            "create",
            json!([{"name": "Acme Shop Customer Inc", "is_company": true, "child_ids": [
                [0, 0, {"name": "Acme Warehouse Dock", "type": "delivery"}],
                [0, 0, {"name": "Acme Accounts Payable", "type": "invoice"}]]}]),
            json!({}),
        )
        .await
        .as_i64()
        .expect("id");
    let r = rpc
        .ok(
            "res.partner",
            "read",
            json!([[id], ["child_ids"]]),
            json!({}),
        )
        .await;
    let kids = r[0]["child_ids"]
        .as_array()
        .expect("children")
        .iter()
        .filter_map(Value::as_i64)
        .collect();
    (id, kids)
}

#[tokio::test]
async fn json2_web_search_read_answers_the_recorded_shape() {
    let rpc = start(SimConfig {
        api_keys: vec![KEY.into()],
        ..empty("19")
    })
    .await;
    let (id, _) = company(&rpc).await;
    let rec = recorded("odoo19/j_json2.jsonl", "json2.res.partner.web_search_read");
    let mut body = rec["request"].clone();
    body["domain"] = json!([["id", "=", id]]);
    let resp = reqwest::Client::new()
        .post(format!("{}/json/2/res.partner/web_search_read", rpc.url))
        .header("Content-Type", "application/json; charset=utf-8")
        .header("Authorization", format!("bearer {KEY}"))
        .header("X-Odoo-Database", "o2c")
        .json(&body)
        .send()
        .await
        .expect("http");
    assert_eq!(resp.status().as_u16(), 200);
    let got: Value = resp.json().await.expect("json");
    assert_eq!(got["length"], json!(1));
    let r = &got["records"][0];
    assert_eq!(r["id"], json!(id));
    assert_eq!(r["name"], json!("Acme Shop Customer Inc"));
    // children in res.partner's order (by complete name), with their fields
    assert_eq!(
        r["child_ids"],
        json!([
            {"id": r["child_ids"][0]["id"], "name": "Acme Accounts Payable", "type": "invoice"},
            {"id": r["child_ids"][1]["id"], "name": "Acme Warehouse Dock", "type": "delivery"}
        ])
    );
    assert_eq!(
        common::shape(&got),
        common::shape(&rec["response"]),
        "the recorded structure"
    );
}

#[tokio::test]
async fn many2one_specs_give_ids_or_nested_records() {
    let rpc = start(empty("17")).await;
    let (parent, kids) = company(&rpc).await;
    let one = rpc
        .ok(
            "res.partner",
            "web_read",
            json!([[kids[0]], {"parent_id": {}}]),
            json!({}),
        )
        .await;
    assert_eq!(
        one[0]["parent_id"],
        json!(parent),
        "read(load=None): the id"
    );
    let nested = rpc
        .ok(
            "res.partner",
            "web_read",
            json!([[kids[0]], {"parent_id": {"fields": {"is_company": {}, "display_name": {}}}}]),
            json!({}),
        )
        .await;
    assert_eq!(
        nested[0]["parent_id"],
        json!({"id": parent, "is_company": true, "display_name": "Acme Shop Customer Inc"})
    );
    // no parent: false
    let top = rpc
        .ok(
            "res.partner",
            "web_read",
            json!([[parent], {"parent_id": {"fields": {}}}]),
            json!({}),
        )
        .await;
    assert_eq!(top[0]["parent_id"], json!(false));
}

#[tokio::test]
async fn x2many_limit_and_the_length_of_a_full_page() {
    let rpc = start(empty("18")).await;
    let (parent, _) = company(&rpc).await;
    let limited = rpc
        .ok(
            "res.partner",
            "web_read",
            json!([[parent], {"child_ids": {"fields": {"name": {}}, "limit": 1}}]),
            json!({}),
        )
        .await;
    let kids = limited[0]["child_ids"].as_array().expect("children");
    assert_eq!(kids.len(), 2, "every id stays");
    assert!(kids[0].get("name").is_some());
    assert_eq!(
        kids[1].as_object().map(|o| o.len()),
        Some(1),
        "past the limit: the id only"
    );
    let domain = json!([["id", "in", [parent, kids[0]["id"], kids[1]["id"]]]]);
    let page = rpc
        .ok(
            "res.partner",
            "web_search_read",
            json!([domain, {"name": {}}]),
            json!({"limit": 2}),
        )
        .await;
    assert_eq!(page["records"].as_array().map(Vec::len), Some(2));
    assert_eq!(page["length"], json!(3), "a full page counts them all");
    let capped = rpc
        .ok(
            "res.partner",
            "web_search_read",
            json!([domain, {"name": {}}]),
            json!({"limit": 2, "count_limit": 2}),
        )
        .await;
    assert_eq!(capped["length"], json!(2));
    let none = rpc
        .ok(
            "res.partner",
            "web_search_read",
            json!([[["id", "=", -1]], {"name": {}}]),
            json!({}),
        )
        .await;
    assert_eq!(none, json!({"length": 0, "records": []}));
}

#[tokio::test]
async fn sixteen_takes_a_field_list_and_has_no_web_read() {
    let rpc = start(SimConfig {
        version: OdooVersion::V16,
        ..empty("16")
    })
    .await;
    let (parent, _) = company(&rpc).await;
    let r = rpc
        .ok(
            "res.partner",
            "web_search_read",
            json!([[["id", "=", parent]], ["name"]]),
            json!({}),
        )
        .await;
    assert_eq!(r["records"][0]["name"], json!("Acme Shop Customer Inc"));
    let err = rpc
        .err("res.partner", "web_read", json!([[parent], {}]), json!({}))
        .await;
    assert_eq!(err["name"], json!("builtins.AttributeError"));
}
