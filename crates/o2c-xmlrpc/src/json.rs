//! Conversions between XML-RPC values and `serde_json::Value`, following
//! what Odoo's JSON-RPC endpoint would have answered for the same data.

use base64::Engine;
use serde_json::{Map, Number};

use crate::Value;

impl Value {
    /// JSON to XML-RPC: `null` → `Nil`, integers that fit in `i64` → `Int`,
    /// other numbers → `Double` (a number too large for `f64` becomes its
    /// decimal text as a `String`), objects → `Struct` in key order.
    pub fn from_json(json: &serde_json::Value) -> Value {
        match json {
            serde_json::Value::Null => Value::Nil,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => number_to_value(n),
            serde_json::Value::String(s) => Value::String(s.clone()),
            serde_json::Value::Array(a) => Value::Array(a.iter().map(Value::from_json).collect()),
            serde_json::Value::Object(o) => Value::Struct(
                o.iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v)))
                    .collect(),
            ),
        }
    }

    /// XML-RPC to JSON: `DateTime` → `"YYYY-MM-DD HH:MM:SS"` (Odoo's JSON
    /// format), `Base64` → its base64 text (Odoo's convention for binary
    /// fields), non-finite doubles → `null`, `Nil` → `null`. In a struct
    /// with a repeated key the last one wins.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Int(i) => serde_json::Value::Number((*i).into()),
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::String(s) => serde_json::Value::String(s.clone()),
            Value::Double(d) => Number::from_f64(*d)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            Value::DateTime(dt) => {
                serde_json::Value::String(dt.format("%Y-%m-%d %H:%M:%S").to_string())
            }
            Value::Base64(b) => {
                serde_json::Value::String(base64::engine::general_purpose::STANDARD.encode(b))
            }
            Value::Array(a) => serde_json::Value::Array(a.iter().map(Value::to_json).collect()),
            Value::Struct(members) => {
                let mut map = Map::new();
                for (k, v) in members {
                    // Remove first so the last occurrence also takes the last position.
                    map.remove(k);
                    map.insert(k.clone(), v.to_json());
                }
                serde_json::Value::Object(map)
            }
            Value::Nil => serde_json::Value::Null,
        }
    }
}

fn number_to_value(n: &Number) -> Value {
    if let Some(i) = n.as_i64() {
        return Value::Int(i);
    }
    match n.as_f64() {
        Some(f) if f.is_finite() => Value::Double(f),
        _ => Value::String(n.to_string()),
    }
}

impl From<&serde_json::Value> for Value {
    fn from(v: &serde_json::Value) -> Value {
        Value::from_json(v)
    }
}

impl From<serde_json::Value> for Value {
    fn from(v: serde_json::Value) -> Value {
        Value::from_json(&v)
    }
}

impl From<&Value> for serde_json::Value {
    fn from(v: &Value) -> serde_json::Value {
        v.to_json()
    }
}

impl From<Value> for serde_json::Value {
    fn from(v: Value) -> serde_json::Value {
        v.to_json()
    }
}
