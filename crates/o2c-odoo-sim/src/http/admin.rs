//! The admin endpoint (not part of Odoo): `/__sim/*`, authenticated with
//! `Authorization: Bearer <admin token>` from [`crate::SimConfig::admin_token`].
//! Without a configured token every admin route answers 404.
//!
//! - `GET /__sim/faults`: the live fault settings (a JSON object).
//! - `POST /__sim/faults`: merge the given fields into them; answers the
//!   new settings (400 with `{"error"}` on a bad field or value).
//! - `DELETE /__sim/faults`: back to the configured settings.
//! - `POST /__sim/reset`: fresh seeded database, no sessions or generated
//!   keys, configured faults, zeroed counters.
//! - `GET /__sim/stats`: call counters and injected-fault counters.
//! - `POST /__sim/save`: write the state file now.
//! - `GET /__sim/clock`: `{"now", "set"}`, the sandbox's time (UTC).
//! - `POST /__sim/clock` `{"now": "YYYY-MM-DD HH:MM:SS[.ffffff]"}`: the
//!   clock reads that instant and runs on (400 on a bad time).
//! - `DELETE /__sim/clock`: back to real time.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::json_response;
use crate::Sandbox;

pub fn router(sb: Sandbox) -> Router {
    Router::new()
        .route(
            "/__sim/faults",
            get(get_faults).post(post_faults).delete(delete_faults),
        )
        .route("/__sim/reset", post(reset))
        .route("/__sim/stats", get(stats))
        .route("/__sim/save", post(save))
        .route(
            "/__sim/clock",
            get(get_clock).post(post_clock).delete(delete_clock),
        )
        .with_state(sb)
}

/// Constant-time comparison of the presented token with the configured one.
fn authorized(sb: &Sandbox, headers: &HeaderMap) -> Result<(), Response> {
    let Some(token) = sb.config().admin_token.as_deref() else {
        return Err(json_response(
            StatusCode::NOT_FOUND,
            &json!({"error": "the admin endpoint is disabled (no admin token configured)"}),
        ));
    };
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.get(..7)
                .filter(|s| s.eq_ignore_ascii_case("bearer "))
                .map(|_| v[7..].trim())
        })
        .unwrap_or("");
    let (a, b) = (presented.as_bytes(), token.as_bytes());
    let mut diff = a.len() ^ b.len();
    for i in 0..a.len().max(b.len()) {
        diff |= usize::from(a.get(i).copied().unwrap_or(0) ^ b.get(i).copied().unwrap_or(0));
    }
    if diff == 0 && !token.is_empty() {
        Ok(())
    } else {
        Err(json_response(
            StatusCode::UNAUTHORIZED,
            &json!({"error": "missing or wrong admin token (Authorization: Bearer <token>)"}),
        ))
    }
}

fn faults_json(sb: &Sandbox) -> Value {
    serde_json::to_value(sb.faults()).unwrap_or_default()
}

async fn get_faults(State(sb): State<Sandbox>, headers: HeaderMap) -> Response {
    if let Err(r) = authorized(&sb, &headers) {
        return r;
    }
    json_response(StatusCode::OK, &faults_json(&sb))
}

async fn post_faults(State(sb): State<Sandbox>, headers: HeaderMap, body: String) -> Response {
    if let Err(r) = authorized(&sb, &headers) {
        return r;
    }
    let patch: Value = match serde_json::from_str(&body) {
        Ok(v) => v,
        Err(e) => {
            return json_response(
                StatusCode::BAD_REQUEST,
                &json!({"error": format!("invalid JSON: {e}")}),
            );
        }
    };
    match sb.faults().merged(&patch) {
        Ok(cfg) => {
            tracing::info!(faults = ?cfg, "fault settings changed through the admin endpoint");
            sb.chaos().set(cfg);
            json_response(StatusCode::OK, &faults_json(&sb))
        }
        Err(e) => json_response(StatusCode::BAD_REQUEST, &json!({"error": e})),
    }
}

async fn delete_faults(State(sb): State<Sandbox>, headers: HeaderMap) -> Response {
    if let Err(r) = authorized(&sb, &headers) {
        return r;
    }
    sb.chaos().set(sb.config().faults.clone());
    json_response(StatusCode::OK, &faults_json(&sb))
}

async fn reset(State(sb): State<Sandbox>, headers: HeaderMap) -> Response {
    if let Err(r) = authorized(&sb, &headers) {
        return r;
    }
    sb.reset();
    tracing::info!("sandbox reset through the admin endpoint");
    json_response(StatusCode::OK, &json!({"reset": true}))
}

async fn stats(State(sb): State<Sandbox>, headers: HeaderMap) -> Response {
    if let Err(r) = authorized(&sb, &headers) {
        return r;
    }
    let mut calls: Vec<(String, u64)> = sb
        .call_counts()
        .into_iter()
        .map(|((a, b), n)| (format!("{a}.{b}"), n))
        .collect();
    calls.sort();
    json_response(
        StatusCode::OK,
        &json!({
            "total_calls": sb.total_calls(),
            "calls": calls
                .into_iter()
                .map(|(k, n)| (k, json!(n)))
                .collect::<serde_json::Map<String, Value>>(),
            "faults": sb.fault_stats(),
        }),
    )
}

async fn save(State(sb): State<Sandbox>, headers: HeaderMap) -> Response {
    if let Err(r) = authorized(&sb, &headers) {
        return r;
    }
    if sb.config().state_file.is_none() {
        return json_response(
            StatusCode::CONFLICT,
            &json!({"error": "no state file configured"}),
        );
    }
    match sb.save_state() {
        Ok(()) => json_response(StatusCode::OK, &json!({"saved": true})),
        Err(e) => json_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            &json!({"error": e.to_string()}),
        ),
    }
}

fn clock_json(sb: &Sandbox) -> Value {
    json!({"now": crate::clock::format(sb.clock_now()), "set": sb.clock_is_set()})
}

async fn get_clock(State(sb): State<Sandbox>, headers: HeaderMap) -> Response {
    if let Err(r) = authorized(&sb, &headers) {
        return r;
    }
    json_response(StatusCode::OK, &clock_json(&sb))
}

async fn post_clock(State(sb): State<Sandbox>, headers: HeaderMap, body: String) -> Response {
    if let Err(r) = authorized(&sb, &headers) {
        return r;
    }
    let at = serde_json::from_str::<Value>(&body).ok().and_then(|v| {
        v.get("now")
            .and_then(Value::as_str)
            .and_then(crate::clock::parse)
    });
    match at {
        Some(t) => {
            sb.set_clock(Some(t));
            json_response(StatusCode::OK, &clock_json(&sb))
        }
        None => json_response(
            StatusCode::BAD_REQUEST,
            &json!({"error": "expected {\"now\": \"YYYY-MM-DD HH:MM:SS[.ffffff]\"}"}),
        ),
    }
}

async fn delete_clock(State(sb): State<Sandbox>, headers: HeaderMap) -> Response {
    if let Err(r) = authorized(&sb, &headers) {
        return r;
    }
    sb.set_clock(None);
    json_response(StatusCode::OK, &clock_json(&sb))
}
