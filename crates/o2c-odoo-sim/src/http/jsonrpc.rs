//! `/jsonrpc` and the web client's JSON routes (`/web/session/*`,
//! `/web/dataset/call_kw`), as `odoo/http.py` (`JsonRPCDispatcher`),
//! `odoo/service/*` and `addons/web/controllers/session.py` /
//! `dataset.py` answer them.

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{
    DEPRECATION_WARNING, client_ip, envelope, json_response, read_body, rpc_error, session_cookie,
    session_expired, werkzeug_page,
};
use crate::fault::Fault;
use crate::{Caller, OdooVersion, Sandbox};

/// Parses a JSON-RPC request body: (id, params) or the error response.
fn parse(version: OdooVersion, body: &[u8]) -> Result<(Value, Value), Response> {
    match serde_json::from_slice::<Value>(body) {
        Ok(req) => {
            let id = req.get("id").cloned().unwrap_or(Value::Null);
            let params = req.get("params").cloned().unwrap_or(json!({}));
            Ok((id, params))
        }
        Err(e) => {
            let f = Fault::new(
                "werkzeug.exceptions.BadRequest",
                format!("400 Bad Request: Invalid JSON data: {e}"),
            );
            Err(json_response(
                StatusCode::BAD_REQUEST,
                &rpc_error(version, &Value::Null, &f),
            ))
        }
    }
}

pub async fn jsonrpc(State(sb): State<Sandbox>, req: Request) -> Response {
    let version = sb.config().version;
    let (_, body) = match read_body(req).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let (id, params) = match parse(version, &body) {
        Ok(p) => p,
        Err(r) => return r,
    };
    if version >= OdooVersion::V19 {
        tracing::warn!(target: "odoo.addons.rpc.controllers.jsonrpc", "{DEPRECATION_WARNING}");
    }
    let service = params.get("service").and_then(Value::as_str).unwrap_or("");
    let method = params.get("method").and_then(Value::as_str).unwrap_or("");
    let args = params
        .get("args")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let result = sb.dispatch(service, method, &args).await;
    json_response(StatusCode::OK, &envelope(version, &id, result))
}

pub async fn version_info(State(sb): State<Sandbox>, req: Request) -> Response {
    let version = sb.config().version;
    let (_, body) = match read_body(req).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let id = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("id").cloned())
        .unwrap_or(Value::Null);
    json_response(
        StatusCode::OK,
        &envelope(version, &id, Ok(Some(version.version_info()))),
    )
}

/// `GET /web/version` and `GET /json/version` (Odoo 19, `rpc` module).
pub async fn plain_version(State(sb): State<Sandbox>) -> Response {
    let version = sb.config().version;
    if version < OdooVersion::V19 {
        return super::werkzeug_page(
            StatusCode::NOT_FOUND,
            "The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.",
        );
    }
    let info = version.version_info();
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        json!({"version_info": info["server_version_info"], "version": version.server_version()})
            .to_string(),
    )
        .into_response()
}

const SESSION_INFO_16: &str = include_str!("session_info/odoo16.json");
const SESSION_INFO_17: &str = include_str!("session_info/odoo17.json");
const SESSION_INFO_18: &str = include_str!("session_info/odoo18.json");
const SESSION_INFO_19: &str = include_str!("session_info/odoo19.json");

/// `ir.http.session_info()`: the recorded admin's answer for the version,
/// with this sandbox's db, login and base URL.
pub fn session_info(sb: &Sandbox, uid: i64, host: Option<&str>) -> Value {
    let c = sb.config();
    let text = match c.version {
        OdooVersion::V16 => SESSION_INFO_16,
        OdooVersion::V17 => SESSION_INFO_17,
        OdooVersion::V18 => SESSION_INFO_18,
        OdooVersion::V19 => SESSION_INFO_19,
    };
    let mut info: Value = serde_json::from_str(text).unwrap_or_else(|_| json!({}));
    let vi = c.version.version_info();
    info["uid"] = json!(uid);
    info["db"] = json!(c.db);
    info["username"] = json!(c.login);
    info["server_version"] = vi["server_version"].clone();
    info["server_version_info"] = vi["server_version_info"].clone();
    info["user_context"]["uid"] = json!(uid);
    if let Some(host) = host {
        info["web.base.url"] = json!(format!("http://{host}"));
    }
    info
}

fn set_cookie(resp: &mut Response, sid: &str) {
    let expires = (chrono::Utc::now() + chrono::Duration::days(7))
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    let cookie = format!("session_id={sid}; Expires={expires}; Max-Age=604800; HttpOnly; Path=/");
    if let Ok(v) = axum::http::HeaderValue::from_str(&cookie) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// `POST /web/session/authenticate {db, login, password}`, with the login
/// cooldown (`res.users._assert_can_auth`), which the RPC routes skip.
pub async fn web_authenticate(State(sb): State<Sandbox>, req: Request) -> Response {
    let version = sb.config().version;
    let ip = client_ip(&req);
    let (parts, body) = match read_body(req).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let (id, params) = match parse(version, &body) {
        Ok(p) => p,
        Err(r) => return r,
    };
    sb.count_call("web", "authenticate");
    let c = sb.config();
    let g = |k: &str| params.get(k).cloned().unwrap_or(Value::Null);
    if c.login_cooldown_after > 0
        && sb
            .web()
            .on_cooldown(ip, c.login_cooldown_after, c.login_cooldown_duration)
    {
        tracing::warn!(%ip, "Login attempt ignored on {}: client IP on cooldown", c.db);
        let f = Fault::new(
            crate::fault::ACCESS_DENIED,
            "Too many login failures, please wait a bit before trying again.",
        );
        return json_response(StatusCode::OK, &rpc_error(version, &id, &f));
    }
    match sb.login_uid(&g("db"), &g("login"), &g("password")) {
        Some(uid) => {
            sb.web().login_succeeded(ip);
            let sid = sb.web().open(uid);
            let host = parts
                .headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok());
            let info = session_info(&sb, uid, host);
            let mut resp = json_response(StatusCode::OK, &envelope(version, &id, Ok(Some(info))));
            set_cookie(&mut resp, &sid);
            resp
        }
        None => {
            sb.web().login_failed(ip);
            json_response(
                StatusCode::OK,
                &rpc_error(version, &id, &Fault::access_denied()),
            )
        }
    }
}

fn session_uid(sb: &Sandbox, headers: &axum::http::HeaderMap) -> Option<(String, i64)> {
    let sid = session_cookie(headers)?;
    let uid = sb.web().uid(&sid)?;
    Some((sid, uid))
}

pub async fn web_session_info(State(sb): State<Sandbox>, req: Request) -> Response {
    let version = sb.config().version;
    let (parts, body) = match read_body(req).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let (id, _) = match parse(version, &body) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Some((_, uid)) = session_uid(&sb, &parts.headers) else {
        return json_response(StatusCode::OK, &session_expired(version));
    };
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok());
    json_response(
        StatusCode::OK,
        &envelope(version, &id, Ok(Some(session_info(&sb, uid, host)))),
    )
}

pub async fn web_destroy(State(sb): State<Sandbox>, req: Request) -> Response {
    let version = sb.config().version;
    let (parts, body) = match read_body(req).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let (id, _) = match parse(version, &body) {
        Ok(p) => p,
        Err(r) => return r,
    };
    if let Some(sid) = session_cookie(&parts.headers) {
        sb.web().close(&sid);
    }
    json_response(StatusCode::OK, &envelope(version, &id, Ok(None)))
}

/// `POST /web/dataset/call_kw[/<model>/<method>]` with `{model, method,
/// args, kwargs}`: `odoo.api.call_kw` as the session's user.
pub async fn web_call_kw(State(sb): State<Sandbox>, req: Request) -> Response {
    let version = sb.config().version;
    let (parts, body) = match read_body(req).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Some((sid, uid)) = session_uid(&sb, &parts.headers) else {
        return json_response(StatusCode::OK, &session_expired(version));
    };
    let (id, params) = match parse(version, &body) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let model = params.get("model").and_then(Value::as_str).unwrap_or("");
    let method = params.get("method").and_then(Value::as_str).unwrap_or("");
    if model.is_empty() || method.is_empty() {
        return werkzeug_page(StatusCode::BAD_REQUEST, "model and method are required");
    }
    sb.count_call(model, method);
    let args = params.get("args").cloned().unwrap_or(json!([]));
    let kwargs = params.get("kwargs").cloned().unwrap_or(json!({}));
    let result = sb
        .call_kw(&Caller::Web(sid), uid, model, method, args, kwargs)
        .await;
    json_response(StatusCode::OK, &envelope(version, &id, result))
}
