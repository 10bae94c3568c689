//! Models whose declaration follows a recorded `fields_get` dump: 17's
//! `stock.picking.type` answers the recorded field list (16 keeps its hand
//! declaration, having no dump) and its seeded records read back.

mod business_support;
mod common;

use business_support::sandbox;
use common::recorded;
use serde_json::{Value, json};

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().expect("object").keys().cloned().collect();
    k.sort();
    k
}

#[tokio::test]
async fn picking_type_fields_get_of_17_is_the_recorded_one() {
    let rpc = sandbox("17").await;
    let rec = recorded("odoo17/b_metadata.jsonl", "fields_get.stock.picking.type");
    let got = rpc
        .ok(
            "stock.picking.type",
            "fields_get",
            json!([]),
            json!({"attributes": ["string", "type", "required", "readonly", "relation", "selection"]}),
        )
        .await;
    assert_eq!(keys(&got), keys(&rec["response"]["result"]));
    assert_eq!(
        got["create_backorder"]["required"],
        json!(true),
        "{}",
        got["create_backorder"]
    );
    // the seeded operation types satisfy the recorded required fields
    let types = rpc
        .ok(
            "stock.picking.type",
            "search_read",
            json!([[["code", "=", "outgoing"]]]),
            json!({"fields": ["name", "sequence_code", "create_backorder", "reservation_method"]}),
        )
        .await;
    assert_eq!(types[0]["sequence_code"], json!("OUT"));
    assert_eq!(types[0]["create_backorder"], json!("ask"));
    assert_eq!(types[0]["reservation_method"], json!("at_confirm"));
}

#[tokio::test]
async fn picking_type_of_16_keeps_its_hand_declaration() {
    let rpc = sandbox("16").await;
    let got = rpc
        .ok("stock.picking.type", "fields_get", json!([]), json!({}))
        .await;
    assert!(got.get("sequence_code").is_some());
    assert!(got.get("create_backorder").is_none(), "16 declares no dump");
}
