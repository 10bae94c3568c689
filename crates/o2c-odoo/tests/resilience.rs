//! Retries, re-authentication, timeouts of writes, the rate limit and the
//! concurrency cap, against small local stub servers whose answers are
//! scripted per request (shapes from the recordings in shared/odoo16..19).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use o2c_odoo::{
    CallOptions, OdooClient, OdooConfig, OdooError, Protocol, RateLimit, RetryPolicy, RetrySafety,
};
use serde_json::{Value, json};

/// One request as the stub saw it.
#[derive(Debug, Clone)]
struct Seen {
    path: String,
    headers: HeaderMap,
    body: Value,
}

type Script = dyn Fn(usize, &Seen) -> Response + Send + Sync;

#[derive(Clone)]
struct Stub {
    seen: Arc<std::sync::Mutex<Vec<Seen>>>,
    script: Arc<Script>,
    in_flight: Arc<AtomicUsize>,
    max_in_flight: Arc<AtomicUsize>,
    /// How long to take before answering this request.
    delay: Arc<dyn Fn(&Seen) -> Duration + Send + Sync>,
}

async fn handle(State(stub): State<Stub>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let now = stub.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    stub.max_in_flight.fetch_max(now, Ordering::SeqCst);
    let seen = Seen {
        path: uri.path().to_string(),
        headers,
        body: serde_json::from_slice(&body)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned())),
    };
    // Recorded on arrival: a request whose client gave up still counts.
    let n = {
        let mut all = stub.seen.lock().unwrap();
        all.push(seen.clone());
        all.len() - 1
    };
    let delay = (stub.delay)(&seen);
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let resp = (stub.script)(n, &seen);
    stub.in_flight.fetch_sub(1, Ordering::SeqCst);
    resp
}

async fn serve(
    delay: Duration,
    script: impl Fn(usize, &Seen) -> Response + Send + Sync + 'static,
) -> (Stub, String) {
    serve_with(move |_| delay, script).await
}

async fn serve_with(
    delay: impl Fn(&Seen) -> Duration + Send + Sync + 'static,
    script: impl Fn(usize, &Seen) -> Response + Send + Sync + 'static,
) -> (Stub, String) {
    let stub = Stub {
        seen: Arc::default(),
        script: Arc::new(script),
        in_flight: Arc::default(),
        max_in_flight: Arc::default(),
        delay: Arc::new(delay),
    };
    let app = Router::new().fallback(handle).with_state(stub.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (stub, url)
}

impl Stub {
    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
    fn count(&self, pred: impl Fn(&Seen) -> bool) -> usize {
        self.seen().iter().filter(|s| pred(s)).count()
    }
}

fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(100),
        max_retry_after: Duration::from_secs(2),
    }
}

fn config(url: &str, protocol: Protocol) -> OdooConfig {
    OdooConfig {
        url: url.into(),
        db: "o2c".into(),
        login: "admin".into(),
        secret: "admin".into(),
        timeout: Duration::from_secs(5),
        max_concurrency: 4,
        protocol,
        rate_limit: RateLimit::unlimited(),
        retry: fast_retry(),
    }
}

fn ok(id: &Value, result: Value) -> Response {
    axum::Json(json!({"jsonrpc": "2.0", "id": id, "result": result})).into_response()
}

fn rpc_error(id: &Value, name: &str, message: &str) -> Response {
    axum::Json(json!({"jsonrpc": "2.0", "id": id, "error": {"code": 200, "message": "Odoo Server Error",
        "data": {"name": name, "debug": "", "message": message, "arguments": [message], "context": {}}}}))
    .into_response()
}

fn is_auth(s: &Seen) -> bool {
    s.body["params"]["method"] == "authenticate"
}

fn method_of(s: &Seen) -> String {
    s.body["params"]["args"][4]
        .as_str()
        .unwrap_or("")
        .to_string()
}

#[tokio::test]
async fn retries_502_and_503_with_backoff_then_succeeds() {
    let fails = Arc::new(AtomicUsize::new(0));
    let f = fails.clone();
    let (stub, url) = serve(Duration::ZERO, move |_, s| {
        let id = &s.body["id"];
        if is_auth(s) {
            return ok(id, json!(2));
        }
        match f.fetch_add(1, Ordering::SeqCst) {
            0 => StatusCode::BAD_GATEWAY.into_response(),
            1 => StatusCode::SERVICE_UNAVAILABLE.into_response(),
            _ => ok(id, json!(3)),
        }
    })
    .await;
    let c = OdooClient::new(config(&url, Protocol::JsonRpc)).unwrap();
    let started = Instant::now();
    let n = c
        .execute_kw("res.partner", "search_count", json!([[]]), json!({}), None)
        .await
        .unwrap();
    assert_eq!(n, json!(3));
    assert_eq!(stub.count(|s| !is_auth(s)), 3);
    assert_eq!(c.retries(), 2);
    // Backoff: at least half of 20 ms + half of 40 ms.
    assert!(started.elapsed() >= Duration::from_millis(30));
    assert_eq!(
        c.call_counts()
            .get(&("res.partner".to_string(), "search_count".to_string())),
        Some(&3)
    );
    assert_eq!(c.calls(), 4, "auth + 3 attempts");
}

#[tokio::test]
async fn a_create_is_retried_after_502_because_it_did_not_run() {
    let (stub, url) = serve(Duration::ZERO, move |n, s| {
        let id = &s.body["id"];
        if is_auth(s) {
            return ok(id, json!(2));
        }
        if n == 1 {
            StatusCode::BAD_GATEWAY.into_response()
        } else {
            ok(id, json!(77))
        }
    })
    .await;
    let c = OdooClient::new(config(&url, Protocol::JsonRpc)).unwrap();
    let id = c
        .execute_kw(
            "sale.order",
            "create",
            json!([{"partner_id": 1}]),
            json!({}),
            None,
        )
        .await
        .unwrap();
    assert_eq!(id, json!(77));
    assert_eq!(stub.count(|s| method_of(s) == "create"), 2);
}

#[tokio::test]
async fn honours_retry_after_on_429() {
    let (stub, url) = serve(Duration::ZERO, move |n, s| {
        let id = &s.body["id"];
        if is_auth(s) {
            return ok(id, json!(2));
        }
        if n == 1 {
            (
                StatusCode::TOO_MANY_REQUESTS,
                [("retry-after", "1")],
                "slow down",
            )
                .into_response()
        } else {
            ok(id, json!([]))
        }
    })
    .await;
    let c = OdooClient::new(config(&url, Protocol::JsonRpc)).unwrap();
    let started = Instant::now();
    c.execute_kw(
        "sale.order",
        "search_read",
        json!([[]]),
        json!({"fields": ["name"]}),
        None,
    )
    .await
    .unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(stub.count(|s| !is_auth(s)), 2);
}

#[tokio::test]
async fn a_long_retry_after_goes_back_to_the_caller() {
    let (stub, url) = serve(Duration::ZERO, move |_, s| {
        if is_auth(s) {
            return ok(&s.body["id"], json!(2));
        }
        (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "60")], "").into_response()
    })
    .await;
    let c = OdooClient::new(config(&url, Protocol::JsonRpc)).unwrap();
    let e = c
        .execute_kw("sale.order", "search_count", json!([[]]), json!({}), None)
        .await
        .unwrap_err();
    assert_eq!(
        e,
        OdooError::RateLimited {
            retry_after: Some(Duration::from_secs(60))
        }
    );
    assert_eq!(stub.count(|s| !is_auth(s)), 1);
}

#[tokio::test]
async fn validation_and_access_errors_are_never_retried() {
    let (stub, url) = serve(Duration::ZERO, move |_, s| {
        let id = &s.body["id"];
        if is_auth(s) {
            return ok(id, json!(2));
        }
        match method_of(s).as_str() {
            "create" => rpc_error(
                id,
                "odoo.exceptions.ValidationError",
                "Field: Customer (partner_id)",
            ),
            "action_confirm" => rpc_error(id, "odoo.exceptions.UserError", "not allowed"),
            _ => rpc_error(id, "odoo.exceptions.AccessError", "Private methods"),
        }
    })
    .await;
    let c = OdooClient::new(config(&url, Protocol::JsonRpc)).unwrap();
    let e = c
        .execute_kw("sale.order", "create", json!([{}]), json!({}), None)
        .await
        .unwrap_err();
    assert!(
        matches!(e, OdooError::Validation { ref message } if message.contains("partner_id")),
        "{e:?}"
    );
    let e = c
        .execute_kw(
            "sale.order",
            "action_confirm",
            json!([[1]]),
            json!({}),
            None,
        )
        .await
        .unwrap_err();
    assert!(matches!(e, OdooError::UserError { .. }), "{e:?}");
    let e = c
        .execute_kw(
            "sale.order",
            "_create_invoices",
            json!([[1]]),
            json!({}),
            None,
        )
        .await
        .unwrap_err();
    assert!(matches!(e, OdooError::AccessError { .. }), "{e:?}");
    assert_eq!(stub.count(|s| !is_auth(s)), 3, "one attempt each");
    assert_eq!(c.retries(), 0);
}

#[tokio::test]
async fn serialization_failure_is_retried() {
    let (stub, url) = serve(Duration::ZERO, move |n, s| {
        let id = &s.body["id"];
        if is_auth(s) {
            return ok(id, json!(2));
        }
        if n == 1 {
            rpc_error(
                id,
                "psycopg2.errors.SerializationFailure",
                "could not serialize access due to concurrent update",
            )
        } else {
            ok(id, json!(true))
        }
    })
    .await;
    let c = OdooClient::new(config(&url, Protocol::JsonRpc)).unwrap();
    // A write: the failure rolled the transaction back, so it is retried.
    let r = c
        .execute_kw(
            "sale.order",
            "write",
            json!([[1], {"note": "x"}]),
            json!({}),
            None,
        )
        .await
        .unwrap();
    assert_eq!(r, json!(true));
    assert_eq!(stub.count(|s| method_of(s) == "write"), 2);
}

#[tokio::test]
async fn a_create_that_timed_out_is_not_retried_but_a_read_is() {
    // Every object call takes longer than the client's timeout; the stub
    // still records (and would commit) it, like Odoo does.
    let (slow, url) = serve_with(
        |s| {
            if is_auth(s) {
                Duration::ZERO
            } else {
                Duration::from_millis(400)
            }
        },
        |_, s| {
            let id = &s.body["id"];
            if is_auth(s) {
                ok(id, json!(2))
            } else {
                ok(id, json!(5))
            }
        },
    )
    .await;
    let mut cfg = config(&url, Protocol::JsonRpc);
    cfg.timeout = Duration::from_millis(150);
    let c = OdooClient::new(cfg).unwrap();
    let e = c
        .execute_kw(
            "sale.order",
            "create",
            json!([{"partner_id": 1}]),
            json!({}),
            None,
        )
        .await
        .unwrap_err();
    assert!(matches!(e, OdooError::Timeout { .. }), "{e:?}");
    assert!(e.is_transient() && e.outcome_unknown());
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        slow.count(|s| method_of(s) == "create"),
        1,
        "a create after a timeout is never blindly repeated"
    );
    // The same timeout on a read is retried (to exhaustion here).
    let e = c
        .execute_kw("sale.order", "search_count", json!([[]]), json!({}), None)
        .await
        .unwrap_err();
    assert!(matches!(e, OdooError::Timeout { .. }), "{e:?}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(slow.count(|s| method_of(s) == "search_count"), 4);
    // And a create the caller declares idempotent is retried too.
    let before = slow.count(|s| method_of(s) == "create");
    let _ = c
        .execute_kw_with(
            "sale.order",
            "create",
            json!([{"partner_id": 1}]),
            json!({}),
            CallOptions {
                correlation_id: None,
                safety: Some(RetrySafety::Safe),
            },
        )
        .await
        .unwrap_err();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(slow.count(|s| method_of(s) == "create") - before, 4);
}

#[tokio::test]
async fn reauthenticates_once_when_the_uid_is_refused() {
    let logins = Arc::new(AtomicUsize::new(0));
    let l = logins.clone();
    let (stub, url) = serve(Duration::ZERO, move |_, s| {
        let id = &s.body["id"];
        if is_auth(s) {
            l.fetch_add(1, Ordering::SeqCst);
            return ok(id, json!(2));
        }
        // The first object call is refused (the password changed and came back,
        // or the server restarted); the second works.
        if l.load(Ordering::SeqCst) == 1 {
            rpc_error(id, "odoo.exceptions.AccessDenied", "Access Denied")
        } else {
            ok(id, json!(1))
        }
    })
    .await;
    let c = OdooClient::new(config(&url, Protocol::JsonRpc)).unwrap();
    assert_eq!(
        c.execute_kw("res.partner", "search_count", json!([[]]), json!({}), None)
            .await
            .unwrap(),
        json!(1)
    );
    assert_eq!(logins.load(Ordering::SeqCst), 2);
    assert_eq!(stub.count(|s| !is_auth(s)), 2);
}

#[tokio::test]
async fn web_session_expiry_logs_in_again() {
    let logins = Arc::new(AtomicUsize::new(0));
    let l = logins.clone();
    let (stub, url) = serve(Duration::ZERO, move |_, s| {
        let id = s.body["id"].clone();
        if s.path == "/web/session/authenticate" {
            let n = l.fetch_add(1, Ordering::SeqCst) + 1;
            let mut r = ok(&id, json!({"uid": 2, "db": "o2c"}));
            r.headers_mut().insert(
                "set-cookie",
                format!("session_id=sid{n}; Expires=Thu, 01 Jan 2099 00:00:00 GMT; HttpOnly; Path=/")
                    .parse()
                    .unwrap(),
            );
            return r;
        }
        let cookie = s
            .headers
            .get("cookie")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if cookie == "session_id=sid2" {
            ok(&id, json!([{"id": 1, "name": "A"}]))
        } else {
            // Recorded in odoo16/a_session.jsonl: web route, no valid session.
            axum::Json(json!({"jsonrpc": "2.0", "id": null, "error": {"code": 100,
                "message": "Odoo Session Expired", "data": {"name": "odoo.http.SessionExpiredException",
                "debug": "", "message": "Session expired", "arguments": ["Session expired"], "context": {}}}}))
            .into_response()
        }
    })
    .await;
    let c = OdooClient::new(config(&url, Protocol::WebSession)).unwrap();
    let rows = c
        .execute_kw(
            "res.partner",
            "search_read",
            json!([[]]),
            json!({"fields": ["name"]}),
            None,
        )
        .await
        .unwrap();
    assert_eq!(rows[0]["name"], "A");
    assert_eq!(logins.load(Ordering::SeqCst), 2);
    let calls: Vec<_> = stub
        .seen()
        .into_iter()
        .filter(|s| s.path.starts_with("/web/dataset/call_kw"))
        .collect();
    assert_eq!(calls.len(), 2);
    assert_eq!(
        calls[0].path,
        "/web/dataset/call_kw/res.partner/search_read"
    );
    assert_eq!(calls[0].body["params"]["model"], "res.partner");
    assert_eq!(calls[0].body["params"]["kwargs"]["fields"], json!(["name"]));
}

#[tokio::test]
async fn the_rate_limit_spaces_calls() {
    let (stub, url) = serve(Duration::ZERO, move |_, s| ok(&s.body["id"], json!(2))).await;
    let mut cfg = config(&url, Protocol::JsonRpc);
    // A fresh URL, so a fresh bucket: 20/s, burst 1 → one call per 50 ms.
    cfg.rate_limit = RateLimit {
        per_second: 20.0,
        burst: 1,
    };
    let c = OdooClient::new(cfg).unwrap();
    c.authenticate().await.unwrap();
    let started = Instant::now();
    for _ in 0..10 {
        c.execute_kw("res.partner", "search_count", json!([[]]), json!({}), None)
            .await
            .unwrap();
    }
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(400), "{took:?}");
    assert_eq!(stub.seen().len(), 11);
}

#[tokio::test]
async fn the_bucket_is_shared_by_clients_of_the_same_database() {
    let (_stub, url) = serve(Duration::ZERO, move |_, s| ok(&s.body["id"], json!(2))).await;
    let mut cfg = config(&url, Protocol::JsonRpc);
    cfg.rate_limit = RateLimit {
        per_second: 20.0,
        burst: 1,
    };
    let a = Arc::new(OdooClient::new(cfg.clone()).unwrap());
    let b = Arc::new(OdooClient::new(cfg).unwrap());
    a.authenticate().await.unwrap();
    b.authenticate().await.unwrap();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..10 {
        let c = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move {
            c.execute_kw("res.partner", "search_count", json!([[]]), json!({}), None)
                .await
                .unwrap()
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn concurrent_calls_are_capped() {
    let (stub, url) = serve(Duration::from_millis(60), move |_, s| {
        ok(&s.body["id"], json!(2))
    })
    .await;
    let mut cfg = config(&url, Protocol::JsonRpc);
    cfg.max_concurrency = 2;
    let c = Arc::new(OdooClient::new(cfg).unwrap());
    c.authenticate().await.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let c = c.clone();
        tasks.push(tokio::spawn(async move {
            c.execute_kw("res.partner", "search_count", json!([[]]), json!({}), None)
                .await
                .unwrap()
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(stub.max_in_flight.load(Ordering::SeqCst), 2);
    assert_eq!(c.calls(), 9);
}

#[tokio::test]
async fn connection_refused_is_transient_and_retried() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let c = OdooClient::new(config(&url, Protocol::JsonRpc)).unwrap();
    let e = c.authenticate().await.unwrap_err();
    assert!(matches!(e, OdooError::Transient { .. }), "{e:?}");
    assert!(!e.outcome_unknown());
    assert_eq!(c.calls(), 4);
    assert_eq!(c.retries(), 3);
}

#[tokio::test]
async fn gateway_timeout_504_means_outcome_unknown() {
    let (stub, url) = serve(Duration::ZERO, move |_, s| {
        if is_auth(s) {
            return ok(&s.body["id"], json!(2));
        }
        StatusCode::GATEWAY_TIMEOUT.into_response()
    })
    .await;
    let c = OdooClient::new(config(&url, Protocol::JsonRpc)).unwrap();
    let e = c
        .execute_kw(
            "account.payment.register",
            "action_create_payments",
            json!([[4]]),
            json!({}),
            None,
        )
        .await
        .unwrap_err();
    assert!(e.outcome_unknown(), "{e:?}");
    assert_eq!(stub.count(|s| !is_auth(s)), 1);
}

#[test]
fn debug_redacts_the_secret() {
    let mut cfg = config("http://127.0.0.1:1", Protocol::Json2);
    cfg.secret = "87559b9cebac7eb9b4669860bb41813626eeada7".into();
    let c = OdooClient::new(cfg.clone()).unwrap();
    assert!(!format!("{cfg:?}").contains("87559b9c"));
    assert!(!format!("{c:?}").contains("87559b9c"));
}
