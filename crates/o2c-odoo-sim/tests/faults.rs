//! Fault injection over real HTTP, one test per kind, plus the admin
//! endpoint that changes the settings at run time.

use std::time::{Duration, Instant};

use o2c_odoo_sim::{
    FaultConfig, OdooVersion, Sandbox, Seed, SerializationMode, SimConfig, TimeoutCommit,
};
use serde_json::{Value, json};

const TOKEN: &str = "test-admin-token";

async fn start(faults: FaultConfig) -> (Sandbox, String) {
    let sb = Sandbox::new(SimConfig {
        version: OdooVersion::V16,
        seed: Seed::Empty,
        admin_token: Some(TOKEN.into()),
        faults,
        ..SimConfig::default()
    });
    let url = sb.spawn().await.unwrap();
    (sb, url)
}

fn create_partner(name: &str) -> Value {
    json!({"jsonrpc": "2.0", "method": "call", "params": {"service": "object", "method": "execute_kw",
        "args": ["o2c", 2, "admin", "res.partner", "create", [{"name": name}]]}, "id": 1})
}

fn count() -> Value {
    json!({"jsonrpc": "2.0", "method": "call", "params": {"service": "object", "method": "execute_kw",
        "args": ["o2c", 2, "admin", "res.partner", "search_count", [[]]]}, "id": 2})
}

async fn post(url: &str, body: &Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{url}/jsonrpc"))
        .json(body)
        .send()
        .await
        .unwrap()
}

fn partners(sb: &Sandbox, name: &str) -> usize {
    sb.count("res.partner", json!([["name", "=", name]]))
}

#[tokio::test]
async fn fixed_and_random_latency() {
    let (_sb, url) = start(FaultConfig {
        latency_ms: 80,
        jitter_ms: 40,
        ..FaultConfig::default()
    })
    .await;
    for _ in 0..3 {
        let t = Instant::now();
        assert_eq!(post(&url, &count()).await.status(), 200);
        let ms = t.elapsed().as_millis();
        assert!((80..400).contains(&ms), "{ms} ms");
    }
}

#[tokio::test]
async fn http_502_and_503_do_no_work() {
    let (sb, url) = start(FaultConfig {
        rate_503: 1.0,
        ..FaultConfig::default()
    })
    .await;
    let r = post(&url, &create_partner("Never")).await;
    assert_eq!(r.status(), 503);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert_eq!(partners(&sb, "Never"), 0);
    sb.set_faults(FaultConfig {
        rate_502: 1.0,
        ..FaultConfig::default()
    })
    .unwrap();
    assert_eq!(post(&url, &count()).await.status(), 502);
    // a partial rate is deterministic for a given seed
    let a = statuses_with_seed(&sb, &url, 7).await;
    let b = statuses_with_seed(&sb, &url, 7).await;
    assert_eq!(a, b);
    assert!(a.contains(&503) && a.contains(&200), "{a:?}");
}

async fn statuses_with_seed(sb: &Sandbox, url: &str, seed: u64) -> Vec<u16> {
    sb.set_faults(FaultConfig {
        rate_503: 0.5,
        seed,
        ..FaultConfig::default()
    })
    .unwrap();
    let mut seq = Vec::new();
    for _ in 0..20 {
        seq.push(post(url, &count()).await.status().as_u16());
    }
    seq
}

#[tokio::test]
async fn too_many_requests_with_retry_after() {
    let (_sb, url) = start(FaultConfig {
        rate_429: 1.0,
        retry_after_s: 7,
        ..FaultConfig::default()
    })
    .await;
    let r = post(&url, &count()).await;
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "7");
}

#[tokio::test]
async fn rate_limit_token_bucket() {
    let (_sb, url) = start(FaultConfig {
        rate_limit_rps: 2.0,
        rate_limit_burst: 3,
        ..FaultConfig::default()
    })
    .await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(post(&url, &count()).await.status().as_u16());
    }
    assert_eq!(&statuses[..3], &[200, 200, 200]);
    assert!(statuses[3..].contains(&429), "{statuses:?}");
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(post(&url, &count()).await.status(), 200);
}

#[tokio::test]
async fn timeout_still_commits_the_work() {
    let (sb, url) = start(FaultConfig {
        timeout_rate: 1.0,
        timeout_hold_ms: 700,
        timeout_commit: TimeoutCommit::AfterHold,
        max_faults: Some(1),
        ..FaultConfig::default()
    })
    .await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let err = client
        .post(format!("{url}/jsonrpc"))
        .json(&create_partner("Late Co"))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout());
    // not yet: the server is still "working"
    assert_eq!(partners(&sb, "Late Co"), 0);
    tokio::time::sleep(Duration::from_millis(800)).await;
    // the work landed although the client gave up
    assert_eq!(partners(&sb, "Late Co"), 1);
    assert_eq!(sb.fault_stats().timeouts, 1);

    // before_hold: committed at once, answer held
    sb.set_faults(FaultConfig {
        timeout_rate: 1.0,
        timeout_hold_ms: 700,
        timeout_commit: TimeoutCommit::BeforeHold,
        ..FaultConfig::default()
    })
    .unwrap();
    let err = client
        .post(format!("{url}/jsonrpc"))
        .json(&create_partner("Early Co"))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout());
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(partners(&sb, "Early Co"), 1);
}

#[tokio::test]
async fn serialization_failures_are_retried_on_the_server() {
    let (sb, url) = start(FaultConfig {
        serialization_rate: 0.5,
        serialization_backoff_ms: 5,
        seed: 3,
        ..FaultConfig::default()
    })
    .await;
    let mut errors = 0;
    for i in 0..20 {
        let body: Value = post(&url, &create_partner(&format!("Retry {i}")))
            .await
            .json()
            .await
            .unwrap();
        if body.get("error").is_some() {
            errors += 1;
            assert_eq!(
                body["error"]["data"]["name"],
                "psycopg2.errors.SerializationFailure"
            );
        }
    }
    let stats = sb.fault_stats();
    assert!(stats.serialization_failures > 0);
    // with 5 tries at rate 0.5 nearly every call succeeds after retries
    assert!(errors <= 3, "{errors} surfaced");
    assert_eq!(errors as u64, stats.serialization_surfaced);
    assert_eq!(
        sb.count("res.partner", json!([["name", "=like", "Retry %"]])),
        20 - errors
    );
    // reads never fail
    sb.set_faults(FaultConfig {
        serialization_rate: 1.0,
        ..FaultConfig::default()
    })
    .unwrap();
    let body: Value = post(&url, &count()).await.json().await.unwrap();
    assert!(body.get("result").is_some());
}

#[tokio::test]
async fn serialization_failures_can_surface() {
    let (sb, url) = start(FaultConfig {
        serialization_rate: 1.0,
        serialization_mode: SerializationMode::Surface,
        ..FaultConfig::default()
    })
    .await;
    let body: Value = post(&url, &create_partner("Conflict Co"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["error"]["code"], 200);
    assert_eq!(
        body["error"]["data"]["name"],
        "psycopg2.errors.SerializationFailure"
    );
    assert_eq!(
        body["error"]["data"]["message"],
        "could not serialize access due to concurrent update\n"
    );
    assert_eq!(partners(&sb, "Conflict Co"), 0, "rolled back");
}

async fn admin(
    method: reqwest::Method,
    url: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = reqwest::Client::new().request(method, format!("{url}{path}"));
    if let Some(t) = token {
        req = req.header("Authorization", format!("Bearer {t}"));
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn admin_endpoint_changes_faults_at_run_time() {
    use reqwest::Method;
    let (sb, url) = start(FaultConfig::default()).await;
    let (s, _) = admin(Method::GET, &url, "/__sim/faults", None, None).await;
    assert_eq!(s, 401);
    let (s, _) = admin(Method::GET, &url, "/__sim/faults", Some("wrong"), None).await;
    assert_eq!(s, 401);
    let (s, cfg) = admin(Method::GET, &url, "/__sim/faults", Some(TOKEN), None).await;
    assert_eq!(s, 200);
    assert_eq!(cfg["rate_503"], 0.0);

    let (s, cfg) = admin(
        Method::POST,
        &url,
        "/__sim/faults",
        Some(TOKEN),
        Some(json!({"rate_503": 1.0})),
    )
    .await;
    assert_eq!((s, cfg["rate_503"].as_f64()), (200, Some(1.0)));
    assert_eq!(post(&url, &count()).await.status(), 503);
    // the admin endpoint itself is never faulted
    let (s, stats) = admin(Method::GET, &url, "/__sim/stats", Some(TOKEN), None).await;
    assert_eq!(s, 200);
    assert_eq!(stats["faults"]["injected_503"], 1);

    let (s, err) = admin(
        Method::POST,
        &url,
        "/__sim/faults",
        Some(TOKEN),
        Some(json!({"rate_503": 3})),
    )
    .await;
    assert_eq!(s, 400, "{err}");
    let (s, _) = admin(
        Method::POST,
        &url,
        "/__sim/faults",
        Some(TOKEN),
        Some(json!({"no_such": 1})),
    )
    .await;
    assert_eq!(s, 400);

    let (s, cfg) = admin(Method::DELETE, &url, "/__sim/faults", Some(TOKEN), None).await;
    assert_eq!((s, cfg["rate_503"].as_f64()), (200, Some(0.0)));
    assert_eq!(post(&url, &count()).await.status(), 200);

    // reset: data back to the seed
    post(&url, &create_partner("Temp Co")).await;
    assert_eq!(partners(&sb, "Temp Co"), 1);
    let (s, _) = admin(Method::POST, &url, "/__sim/reset", Some(TOKEN), None).await;
    assert_eq!(s, 200);
    assert_eq!(partners(&sb, "Temp Co"), 0);
    // no state file: save is refused
    let (s, _) = admin(Method::POST, &url, "/__sim/save", Some(TOKEN), None).await;
    assert_eq!(s, 409);
}

#[tokio::test]
async fn admin_endpoint_is_off_without_a_token() {
    let sb = Sandbox::new(SimConfig {
        seed: Seed::Empty,
        ..SimConfig::default()
    });
    let url = sb.spawn().await.unwrap();
    let r = reqwest::get(format!("{url}/__sim/faults")).await.unwrap();
    assert_eq!(r.status(), 404);
}

#[test]
fn fault_spec_flag_parses() {
    let f =
        FaultConfig::parse_spec("latency_ms=20,rate_503=0.05,timeout_commit=before_hold,seed=9")
            .unwrap();
    assert_eq!(f.latency_ms, 20);
    assert_eq!(f.timeout_commit, TimeoutCommit::BeforeHold);
    assert_eq!(f.seed, 9);
}
