//! The HTTP face of the sandbox: routing, the JSON-RPC envelope per Odoo
//! version, web sessions and the login cooldown, the fault-injection layer
//! and the admin endpoint. Protocols live in the submodules.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use serde_json::{Value, json};

use crate::chaos::{TimeoutCommit, Verdict};
use crate::fault::Fault;
use crate::{OdooVersion, Sandbox};

pub mod admin;
pub mod json2;
pub mod jsonrpc;
pub mod xmlrpc;

/// Largest request body read (Odoo's default `max_file_upload_size` is
/// 128 MiB; the sandbox is more modest).
pub const BODY_LIMIT: usize = 32 * 1024 * 1024;

/// The warning Odoo 19 logs on every `/jsonrpc` and `/xmlrpc` call
/// (`addons/rpc/controllers/jsonrpc.py` / `xmlrpc.py`).
pub const DEPRECATION_WARNING: &str = "The /xmlrpc, /xmlrpc/2 and /jsonrpc endpoints are deprecated in Odoo 19 and scheduled for removal in Odoo 20. Please report the problem to the client making the request.\nMute this logger: --log-handler odoo.addons.rpc.controllers.jsonrpc:ERROR\nhttps://www.odoo.com/documentation/latest/developer/reference/external_api.html#migrating-from-xml-rpc-json-rpc";

/// Every route of the sandbox.
pub fn router(sb: Sandbox) -> Router {
    let odoo = Router::new()
        .route("/jsonrpc", post(jsonrpc::jsonrpc))
        .route(
            "/web/webclient/version_info",
            post(jsonrpc::version_info).get(jsonrpc::version_info),
        )
        .route("/web/session/authenticate", post(jsonrpc::web_authenticate))
        .route(
            "/web/session/get_session_info",
            post(jsonrpc::web_session_info),
        )
        .route("/web/session/destroy", post(jsonrpc::web_destroy))
        .route("/web/dataset/call_kw", post(jsonrpc::web_call_kw))
        .route("/web/dataset/call_kw/{*path}", post(jsonrpc::web_call_kw))
        .route("/xmlrpc/2/{service}", post(xmlrpc::xmlrpc_v2))
        .route("/xmlrpc/{service}", post(xmlrpc::xmlrpc_v1))
        .route("/web/version", get(jsonrpc::plain_version))
        .route("/json/version", get(jsonrpc::plain_version))
        .route("/json/2/{model}/{method}", any(json2::json2))
        .route("/json/2/{model}", any(json2::no_method))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            sb.clone(),
            chaos_layer,
        ))
        .with_state(sb.clone());
    odoo.merge(admin::router(sb))
}

/// Fault injection in front of every Odoo route.
async fn chaos_layer(State(sb): State<Sandbox>, req: Request, next: Next) -> Response {
    let verdict = sb.chaos().verdict();
    match verdict {
        Verdict::Status(code) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_GATEWAY);
            tracing::info!(path = %req.uri().path(), status = code, "injected HTTP error");
            proxy_page(status)
        }
        Verdict::TooMany { retry_after_s } => {
            tracing::info!(path = %req.uri().path(), retry_after_s, "answered 429");
            let mut r = proxy_page(StatusCode::TOO_MANY_REQUESTS);
            if let Ok(v) = HeaderValue::from_str(&retry_after_s.to_string()) {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            r
        }
        Verdict::Proceed { delay, hold } => {
            let delay = delay + sb.config().latency.unwrap_or_default();
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            match hold {
                None => next.run(req).await,
                Some((hold, commit)) => {
                    tracing::info!(path = %req.uri().path(), ?hold, ?commit, "injected timeout");
                    // a task of its own: the work still runs (and commits)
                    // after the client has hung up, like a real Odoo worker
                    let task = tokio::spawn(async move {
                        match commit {
                            TimeoutCommit::AfterHold => {
                                tokio::time::sleep(hold).await;
                                next.run(req).await
                            }
                            TimeoutCommit::BeforeHold => {
                                let r = next.run(req).await;
                                tokio::time::sleep(hold).await;
                                r
                            }
                        }
                    });
                    task.await
                        .unwrap_or_else(|_| proxy_page(StatusCode::INTERNAL_SERVER_ERROR))
                }
            }
        }
    }
}

/// The plain HTML page a reverse proxy in front of Odoo answers with
/// (nginx style) for 429/502/503/504.
fn proxy_page(status: StatusCode) -> Response {
    let title = format!(
        "{} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Error")
    );
    let body = format!(
        "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    );
    (status, [(header::CONTENT_TYPE, "text/html")], body).into_response()
}

/// werkzeug's HTML error page (what Odoo answers on unknown routes).
pub fn werkzeug_page(status: StatusCode, description: &str) -> Response {
    let reason = status.canonical_reason().unwrap_or("Error");
    let body = format!(
        "<!doctype html>\n<html lang=en>\n<title>{code} {reason}</title>\n<h1>{reason}</h1>\n<p>{description}</p>\n",
        code = status.as_u16()
    );
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

async fn not_found() -> Response {
    werkzeug_page(
        StatusCode::NOT_FOUND,
        "The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.",
    )
}

pub fn json_response(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// `error.data` as the given version serialises it
/// (`odoo/http.py` `serialize_exception`): 19 moved `debug` last and drops
/// the traceback of `AccessDenied` (raised with `__traceback__` cleared).
pub fn error_data(version: OdooVersion, f: &Fault) -> Value {
    if version < OdooVersion::V19 {
        return f.data();
    }
    let debug = if f.name == crate::fault::ACCESS_DENIED {
        format!("{}: {}\n", f.name, f.message)
    } else {
        f.debug()
    };
    json!({
        "name": f.name,
        "message": f.message,
        "arguments": [f.message],
        "context": {},
        "debug": debug,
    })
}

/// A JSON-RPC error body: `code` 200 up to 18, 0 in 19 (`odoo/http.py`
/// `JsonRPCDispatcher.handle_error`), HTTP 200.
pub fn rpc_error(version: OdooVersion, id: &Value, f: &Fault) -> Value {
    let code = if version >= OdooVersion::V19 { 0 } else { 200 };
    json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": {"code": code, "message": "Odoo Server Error", "data": error_data(version, f)},
    })
}

/// A JSON-RPC answer: `result`, no `result` at all for `None`, or `error`.
pub fn envelope(version: OdooVersion, id: &Value, result: Result<Option<Value>, Fault>) -> Value {
    match result {
        Ok(Some(v)) => json!({"jsonrpc": "2.0", "id": id, "result": v}),
        Ok(None) => json!({"jsonrpc": "2.0", "id": id}),
        Err(f) => rpc_error(version, id, &f),
    }
}

/// The body of a web route hit without a valid session.
pub fn session_expired(version: OdooVersion) -> Value {
    let f = Fault::new("odoo.http.SessionExpiredException", "Session expired");
    let mut data = error_data(version, &f);
    data["debug"] = json!(f.debug());
    json!({
        "jsonrpc": "2.0",
        "id": null,
        "error": {"code": 100, "message": "Odoo Session Expired", "data": data},
    })
}

/// The client address (for the login cooldown).
pub fn client_ip(req: &Request) -> IpAddr {
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST))
}

/// The `session_id` cookie, if any.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == "session_id")
        .map(|(_, v)| v.to_string())
}

pub async fn read_body(req: Request) -> Result<(axum::http::request::Parts, Vec<u8>), Response> {
    let (parts, body) = req.into_parts();
    match axum::body::to_bytes(body, BODY_LIMIT).await {
        Ok(b) => Ok((parts, b.to_vec())),
        Err(_) => Err(werkzeug_page(
            StatusCode::PAYLOAD_TOO_LARGE,
            "The data value transmitted exceeds the capacity limit.",
        )),
    }
}

struct Session {
    uid: i64,
    identity_checked: Option<Instant>,
}

/// Web sessions and the per-IP login failure counters.
#[derive(Default)]
pub struct WebState {
    sessions: Mutex<HashMap<String, Session>>,
    failures: Mutex<HashMap<IpAddr, (u32, Instant)>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl WebState {
    pub fn clear(&self) {
        lock(&self.sessions).clear();
        lock(&self.failures).clear();
    }

    pub fn open(&self, uid: i64) -> String {
        let sid = crate::apikeys::generate();
        lock(&self.sessions).insert(
            sid.clone(),
            Session {
                uid,
                identity_checked: None,
            },
        );
        sid
    }

    pub fn uid(&self, sid: &str) -> Option<i64> {
        lock(&self.sessions).get(sid).map(|s| s.uid)
    }

    pub fn close(&self, sid: &str) {
        lock(&self.sessions).remove(sid);
    }

    pub fn mark_identity_checked(&self, sid: &str) {
        if let Some(s) = lock(&self.sessions).get_mut(sid) {
            s.identity_checked = Some(Instant::now());
        }
    }

    pub fn identity_checked_since(&self, sid: &str, ttl: Duration) -> bool {
        lock(&self.sessions)
            .get(sid)
            .and_then(|s| s.identity_checked)
            .is_some_and(|t| t.elapsed() < ttl)
    }

    /// `res.users._on_login_cooldown` (odoo/addons/base/models/res_users.py):
    /// refused when `failures >= after` and the last failure is younger
    /// than `duration`.
    pub fn on_cooldown(&self, ip: IpAddr, after: u32, duration: Duration) -> bool {
        if after == 0 {
            return false;
        }
        lock(&self.failures)
            .get(&ip)
            .is_some_and(|(n, last)| *n >= after && last.elapsed() < duration)
    }

    pub fn login_failed(&self, ip: IpAddr) {
        let mut f = lock(&self.failures);
        let e = f.entry(ip).or_insert((0, Instant::now()));
        e.0 += 1;
        e.1 = Instant::now();
    }

    pub fn login_succeeded(&self, ip: IpAddr) {
        lock(&self.failures).remove(&ip);
    }
}

/// An empty-bodied response with a status (used by the admin endpoint).
pub fn status_only(status: StatusCode) -> Response {
    (status, Body::empty()).into_response()
}
