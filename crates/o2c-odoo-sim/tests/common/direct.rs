//! In-process sandbox helpers: a small demo sandbox called through
//! `Sandbox::execute`, without HTTP, for tests that check model behaviour.

use o2c_odoo_sim::{Sandbox, Seed, SimConfig};
use serde_json::{Value, json};

/// A demo-seeded sandbox of `version` with 3 customers and 3 products.
pub fn sandbox(version: &str) -> Sandbox {
    Sandbox::new(SimConfig {
        version: version.parse().unwrap(),
        seed: Seed::Demo,
        demo_customers: 3,
        demo_products: 3,
        ..SimConfig::default()
    })
}

/// The result of a call that must succeed (`Null` where it returns none).
pub fn ok(sb: &Sandbox, model: &str, method: &str, args: Value, kwargs: Value) -> Value {
    match sb.execute(model, method, args, kwargs) {
        Ok(v) => v.unwrap_or(Value::Null),
        Err(e) => panic!("{model}.{method}: {} {}", e.name, e.message),
    }
}

/// The id of a record of `model` created from `vals`.
pub fn create(sb: &Sandbox, model: &str, vals: Value) -> i64 {
    ok(sb, model, "create", json!([vals]), json!({}))
        .as_i64()
        .unwrap()
}

/// `fields` of one record.
pub fn read(sb: &Sandbox, model: &str, id: i64, fields: &[&str]) -> Value {
    ok(sb, model, "read", json!([[id], fields]), json!({}))[0].clone()
}
