//! Helpers of the business-flow tests: a demo sandbox per version, lookups
//! of the seeded shop data, and a few typed shortcuts over JSON-RPC.
#![allow(dead_code)]

use o2c_odoo_sim::{Seed, SimConfig};
use serde_json::{Value, json};

use crate::common::{Rpc, start};

/// A small demo database answering as `version`.
pub async fn sandbox(version: &str) -> Rpc {
    start(SimConfig {
        version: version.parse().expect("version"),
        seed: Seed::Demo,
        demo_customers: 20,
        demo_products: 30,
        ..SimConfig::default()
    })
    .await
}

pub fn id(v: &Value) -> i64 {
    v.as_i64().unwrap_or_else(|| panic!("not an id: {v}"))
}

pub fn ids(v: &Value) -> Vec<i64> {
    v.as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .iter()
        .map(id)
        .collect()
}

/// The first id matching a domain.
pub async fn find(rpc: &Rpc, model: &str, domain: Value) -> i64 {
    let r = rpc
        .ok(model, "search", json!([domain]), json!({"limit": 1}))
        .await;
    ids(&r)
        .first()
        .copied()
        .unwrap_or_else(|| panic!("nothing in {model}"))
}

/// One record read with `fields`.
pub async fn read(rpc: &Rpc, model: &str, rid: i64, fields: &[&str]) -> Value {
    let r = rpc
        .ok(model, "read", json!([[rid]]), json!({"fields": fields}))
        .await;
    r[0].clone()
}

pub struct Shop {
    pub acme: i64,
    pub dock: i64,
    pub ap: i64,
    pub widget: i64,
    pub gadget: i64,
}

pub async fn shop(rpc: &Rpc) -> Shop {
    Shop {
        acme: find(
            rpc,
            "res.partner",
            json!([["name", "=", "Acme Shop Customer Inc"]]),
        )
        .await,
        dock: find(
            rpc,
            "res.partner",
            json!([["name", "=", "Acme Warehouse Dock"]]),
        )
        .await,
        ap: find(
            rpc,
            "res.partner",
            json!([["name", "=", "Acme Accounts Payable"]]),
        )
        .await,
        widget: find(
            rpc,
            "product.product",
            json!([["default_code", "=", "SHOP-001"]]),
        )
        .await,
        gadget: find(
            rpc,
            "product.product",
            json!([["default_code", "=", "SHOP-002"]]),
        )
        .await,
    }
}

/// Creates and confirms an order for Acme; returns (order, its picking).
pub async fn confirmed_order(rpc: &Rpc, s: &Shop, r: &str, lines: Value) -> (i64, i64) {
    let so = id(&rpc
        .ok(
            "sale.order",
            "create",
            json!([{"partner_id": s.acme, "client_order_ref": r, "order_line": lines}]),
            json!({}),
        )
        .await);
    assert_eq!(
        rpc.ok("sale.order", "action_confirm", json!([[so]]), json!({}))
            .await,
        json!(true)
    );
    let o = read(rpc, "sale.order", so, &["picking_ids"]).await;
    (so, ids(&o["picking_ids"])[0])
}

/// On-hand quantity of a product in a warehouse's stock location.
pub async fn on_hand(rpc: &Rpc, product: i64, location: &str) -> f64 {
    let loc = find(
        rpc,
        "stock.location",
        json!([["complete_name", "=", location]]),
    )
    .await;
    let q = rpc
        .ok(
            "stock.quant",
            "search_read",
            json!([[["product_id", "=", product], ["location_id", "=", loc]]]),
            json!({"fields": ["quantity"]}),
        )
        .await;
    q[0]["quantity"].as_f64().unwrap_or(0.0)
}

/// Runs the wizard action `action` the way a client must: create the
/// wizard with the action's context and call `method` with it.
pub async fn run_wizard(rpc: &Rpc, action: &Value, method: &str) -> Value {
    let model = action["res_model"].as_str().expect("res_model");
    let ctx = action["context"].clone();
    let wid = match action.get("res_id").and_then(Value::as_i64) {
        Some(w) => w,
        None => id(&rpc
            .ok(model, "create", json!([{}]), json!({"context": ctx}))
            .await),
    };
    let v = rpc
        .call(model, method, json!([[wid]]), json!({"context": ctx}))
        .await;
    assert!(v.get("error").is_none(), "{model}.{method}: {v}");
    v.get("result").cloned().unwrap_or(Value::Null)
}

/// Validates a picking, handling every wizard the way the recordings do
/// (backorder `process`, SMS `dont_send_sms`, 16's immediate transfer).
pub async fn validate(rpc: &Rpc, picking: i64) -> Vec<String> {
    let mut seen = Vec::new();
    let mut res = rpc
        .ok(
            "stock.picking",
            "button_validate",
            json!([[picking]]),
            json!({}),
        )
        .await;
    for _ in 0..5 {
        let Some(model) = res
            .get("res_model")
            .and_then(Value::as_str)
            .map(str::to_string)
        else {
            break;
        };
        seen.push(model.clone());
        let method = match model.as_str() {
            "confirm.stock.sms" => "dont_send_sms",
            _ => "process",
        };
        res = run_wizard(rpc, &res, method).await;
    }
    assert_eq!(res, json!(true), "validation ends with true");
    seen
}

/// Invoices an order's delivered quantities and returns the invoice id.
pub async fn invoice(rpc: &Rpc, so: i64) -> i64 {
    let ctx = json!({"active_model": "sale.order", "active_ids": [so], "active_id": so});
    let w = id(&rpc
        .ok(
            "sale.advance.payment.inv",
            "create",
            json!([{"advance_payment_method": "delivered"}]),
            json!({"context": ctx}),
        )
        .await);
    rpc.ok(
        "sale.advance.payment.inv",
        "create_invoices",
        json!([[w]]),
        json!({"context": ctx}),
    )
    .await;
    let o = read(rpc, "sale.order", so, &["invoice_ids"]).await;
    ids(&o["invoice_ids"])[0]
}

/// Registers a payment on an invoice (`amount` None = the default).
pub async fn pay(rpc: &Rpc, inv: i64, amount: Option<f64>) -> Value {
    let ctx = json!({"active_model": "account.move", "active_ids": [inv]});
    let vals = match amount {
        Some(a) => json!({"amount": a}),
        None => json!({}),
    };
    let w = id(&rpc
        .ok(
            "account.payment.register",
            "create",
            json!([vals]),
            json!({"context": ctx}),
        )
        .await);
    rpc.ok(
        "account.payment.register",
        "action_create_payments",
        json!([[w]]),
        json!({"context": ctx}),
    )
    .await
}
