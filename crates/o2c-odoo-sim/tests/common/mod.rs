//! Test helpers: a sandbox on a random port, a raw JSON-RPC client, the
//! recorded exchanges, and (in `direct`) calls into an in-process sandbox.
#![allow(dead_code)]

pub mod direct;

use std::sync::atomic::{AtomicU64, Ordering};

use o2c_odoo_sim::{Sandbox, Seed, SimConfig};
use serde_json::{Value, json};

pub struct Rpc {
    pub sandbox: Sandbox,
    pub url: String,
    http: reqwest::Client,
    next_id: AtomicU64,
}

pub fn empty(version: &str) -> SimConfig {
    SimConfig {
        version: version.parse().unwrap(),
        seed: Seed::Empty,
        ..SimConfig::default()
    }
}

pub fn demo() -> SimConfig {
    SimConfig {
        seed: Seed::Demo,
        demo_customers: 60,
        demo_products: 200,
        ..SimConfig::default()
    }
}

pub async fn start(config: SimConfig) -> Rpc {
    let sandbox = Sandbox::new(config);
    let url = sandbox.spawn().await.expect("spawn sandbox");
    Rpc {
        sandbox,
        url,
        http: reqwest::Client::new(),
        next_id: AtomicU64::new(1000),
    }
}

impl Rpc {
    /// POSTs a raw body to `path`; returns (HTTP status, parsed body).
    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let resp = self
            .http
            .post(format!("{}{path}", self.url))
            .json(body)
            .send()
            .await
            .expect("http");
        let status = resp.status().as_u16();
        let v: Value = resp.json().await.expect("json body");
        (status, v)
    }

    /// Full JSON-RPC response of execute_kw as admin.
    pub async fn call(&self, model: &str, method: &str, args: Value, kwargs: Value) -> Value {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let body = json!({"jsonrpc": "2.0", "method": "call", "params": {
            "service": "object", "method": "execute_kw",
            "args": ["o2c", 2, "admin", model, method, args, kwargs]}, "id": id});
        let (status, v) = self.post("/jsonrpc", &body).await;
        assert_eq!(status, 200);
        v
    }

    /// The `result` of a successful call (panics on an error body).
    pub async fn ok(&self, model: &str, method: &str, args: Value, kwargs: Value) -> Value {
        let v = self.call(model, method, args, kwargs).await;
        assert!(v.get("error").is_none(), "{model}.{method} failed: {v}");
        v.get("result").cloned().unwrap_or(Value::Null)
    }

    /// `error.data` of a failed call (panics on success).
    pub async fn err(&self, model: &str, method: &str, args: Value, kwargs: Value) -> Value {
        let v = self.call(model, method, args, kwargs).await;
        v.pointer("/error/data")
            .cloned()
            .unwrap_or_else(|| panic!("{model}.{method} should fail: {v}"))
    }
}

/// One recorded exchange, by file (under tests/fixtures) and step.
pub fn recorded(file: &str, step: &str) -> Value {
    let path = format!("{}/tests/fixtures/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v["step"] == step)
        .unwrap_or_else(|| panic!("step {step} not in {file}"))
}

/// The structure of a JSON value: keys and value kinds, not the values.
pub fn shape(v: &Value) -> Value {
    match v {
        Value::Null => json!("null"),
        Value::Bool(_) => json!("bool"),
        Value::Number(_) => json!("number"),
        Value::String(_) => json!("string"),
        Value::Array(a) => match a.first() {
            Some(first) => json!([shape(first)]),
            None => json!([]),
        },
        Value::Object(o) => Value::Object(o.iter().map(|(k, v)| (k.clone(), shape(v))).collect()),
    }
}
