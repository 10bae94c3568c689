//! The sandbox clock: the admin endpoint (and `Sandbox::set_clock`) sets
//! it, records are stamped with their transaction's start on that clock,
//! reads show whole seconds, `write_date` domains compare against it, and
//! it never freezes.

use o2c_odoo_sim::{OdooVersion, Sandbox, Seed, SimConfig};
use reqwest::Method;
use serde_json::{Value, json};

const TOKEN: &str = "clock-token";

async fn start(version: OdooVersion) -> (Sandbox, String) {
    let sb = Sandbox::new(SimConfig {
        version,
        seed: Seed::Empty,
        admin_token: Some(TOKEN.into()),
        ..SimConfig::default()
    });
    let url = sb.spawn().await.expect("spawn");
    (sb, url)
}

async fn admin(url: &str, method: Method, body: Option<Value>) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .request(method, format!("{url}/__sim/clock"))
        .header("Authorization", format!("Bearer {TOKEN}"));
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.expect("http");
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

async fn rpc(url: &str, model: &str, method: &str, args: Value) -> Value {
    let body = json!({"jsonrpc": "2.0", "method": "call", "id": 1, "params": {
        "service": "object", "method": "execute_kw",
        "args": ["o2c", 2, "admin", model, method, args]}});
    let r: Value = reqwest::Client::new()
        .post(format!("{url}/jsonrpc"))
        .json(&body)
        .send()
        .await
        .expect("http")
        .json()
        .await
        .expect("json");
    r["result"].clone()
}

#[tokio::test]
async fn records_carry_the_second_the_clock_was_set_to() {
    let (_sb, url) = start(OdooVersion::V19).await;
    let (s, c) = admin(
        &url,
        Method::POST,
        Some(json!({"now": "2026-11-27 01:00:22"})),
    )
    .await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(c["set"], json!(true));
    let p = rpc(&url, "res.partner", "create", json!([{"name": "Clocked"}])).await;
    let r = rpc(
        &url,
        "res.partner",
        "read",
        json!([[p], ["write_date", "create_date"]]),
    )
    .await;
    assert_eq!(r[0]["write_date"], json!("2026-11-27 01:00:22"));
    assert_eq!(r[0]["create_date"], json!("2026-11-27 01:00:22"));
    // a later second for the next write
    admin(
        &url,
        Method::POST,
        Some(json!({"now": "2026-11-27 01:00:24"})),
    )
    .await;
    rpc(
        &url,
        "res.partner",
        "write",
        json!([[p], {"name": "Clocked 2"}]),
    )
    .await;
    let r = rpc(
        &url,
        "res.partner",
        "read",
        json!([[p], ["write_date", "create_date"]]),
    )
    .await;
    assert_eq!(r[0]["write_date"], json!("2026-11-27 01:00:24"));
    assert_eq!(r[0]["create_date"], json!("2026-11-27 01:00:22"));
    // 19 compares whole seconds: `>` its own second selects nothing
    let found = rpc(
        &url,
        "res.partner",
        "search",
        json!([[["id", "=", p], ["write_date", ">", "2026-11-27 01:00:23"]]]),
    )
    .await;
    assert_eq!(found, json!([p]));
    let found = rpc(
        &url,
        "res.partner",
        "search",
        json!([[["id", "=", p], ["write_date", ">", "2026-11-27 01:00:24"]]]),
    )
    .await;
    assert_eq!(found, json!([]));
}

#[tokio::test]
async fn the_clock_runs_on_and_goes_back_to_real_time() {
    let (sb, url) = start(OdooVersion::V17).await;
    let at = o2c_odoo_sim::clock::parse("2026-11-27 00:42:27").expect("time");
    sb.set_clock(Some(at));
    let first = sb.clock_now();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    assert!(sb.clock_now() > first, "not frozen");
    assert!(sb.clock_now() - at < chrono::Duration::seconds(5));
    let (s, c) = admin(&url, Method::DELETE, None).await;
    assert_eq!((s, c["set"].clone()), (200, json!(false)));
    let real = chrono::Utc::now().naive_utc();
    assert!((sb.clock_now() - real).num_seconds().abs() < 2);
}

#[tokio::test]
async fn a_bad_time_or_token_is_refused() {
    let (_sb, url) = start(OdooVersion::V16).await;
    let (s, _) = admin(&url, Method::POST, Some(json!({"now": "yesterday"}))).await;
    assert_eq!(s, 400);
    let r = reqwest::Client::new()
        .post(format!("{url}/__sim/clock"))
        .json(&json!({"now": "2026-11-27 00:00:00"}))
        .send()
        .await
        .expect("http");
    assert_eq!(r.status().as_u16(), 401);
}
