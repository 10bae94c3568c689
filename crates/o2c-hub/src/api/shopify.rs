//! `POST /v1/channels/shopify/{shop}/webhooks`: Shopify's order webhooks.
//!
//! Authenticated by the HMAC of the raw body under the shop's secret (not by
//! an API key), deduplicated by `X-Shopify-Webhook-Id`, mapped with the
//! shop channel's jq rules and stored in the same group commit as REST
//! orders. Shopify retries anything but a 2xx within five seconds, so the
//! answer comes right after the commit, and a payload the mapping cannot
//! take is kept for an operator and still acknowledged (a retry would fail
//! the same way).

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use o2c_connectors::shopify::{self, Topic};
use serde_json::json;
use uuid::Uuid;

use super::AppState;
use super::body::{BodyRead, read_limited};
use super::orders::{Rejector, submit};
use crate::auth::{Principal, Scope};
use crate::correlation;
use crate::problem::{Problem, ProblemKind};

pub async fn webhook(
    State(app): State<AppState>,
    Path(shop): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let correlation_id = correlation::from_headers(&headers);
    let mut response = match receive(&app, &shop, &headers, body, &correlation_id).await {
        Ok(response) => response,
        Err(problem) => problem.correlated(&correlation_id).into_response(),
    };
    if let Ok(value) = HeaderValue::from_str(&correlation_id) {
        response.headers_mut().insert(correlation::HEADER, value);
    }
    response
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

async fn receive(
    app: &AppState,
    shop: &str,
    headers: &HeaderMap,
    body: Body,
    correlation_id: &str,
) -> Result<Response, Problem> {
    // An unknown shop is indistinguishable from a wrong URL.
    let secret = app.shopify_secrets.get(shop).ok_or_else(|| {
        Problem::new(
            ProblemKind::NotFound,
            format!("no Shopify shop {shop} is configured"),
        )
    })?;
    let channel = format!("shopify:{shop}");
    let principal = Principal {
        key_id: Uuid::nil(),
        name: channel.clone(),
        scopes: vec![Scope::OrdersWrite.as_str().to_owned()],
        channel: Some(channel.clone()),
    };
    let rejector = Rejector::new(app, &principal, correlation_id);
    let bytes = match read_limited(body, app.max_body_bytes).await {
        BodyRead::Complete(bytes) => bytes,
        BodyRead::TooLarge(prefix) => {
            let problem = Problem::new(
                ProblemKind::PayloadTooLarge,
                format!("the body is larger than {} bytes", app.max_body_bytes),
            );
            return Err(rejector.keep(&prefix, true, problem).await);
        }
        BodyRead::Failed(message) => {
            return Err(Problem::new(
                ProblemKind::MalformedJson,
                format!("the body could not be read: {message}"),
            ));
        }
    };
    let signature = header(headers, "x-shopify-hmac-sha256").unwrap_or_default();
    if !shopify::verify(secret, &bytes, signature) {
        tracing::warn!(shop, "Shopify webhook with a bad signature refused");
        let problem = Problem::new(
            ProblemKind::InvalidSignature,
            "X-Shopify-Hmac-Sha256 does not match the body",
        );
        return Err(rejector.keep(&bytes, false, problem).await);
    }
    let topic_header = header(headers, "x-shopify-topic").unwrap_or_default();
    let Some(topic) = Topic::parse(topic_header).filter(|t| t.carries_order()) else {
        // Signed by Shopify, but not an order topic the hub acts on yet: kept, acknowledged.
        let problem = Problem::new(
            ProblemKind::MappingFailed,
            format!("the topic {topic_header:?} is not processed; the delivery is kept for review"),
        )
        .with("topic", json!(topic_header));
        rejector.keep(&bytes, false, problem).await;
        return Ok(acknowledged("kept", None));
    };
    let webhook_id =
        header(headers, "x-shopify-webhook-id").map(|id| format!("shopify-webhook:{id}"));
    let mapping = app
        .mappings
        .get("shopify", None)
        .map_err(|e| Problem::new(ProblemKind::Internal, e.to_string()))?;
    let mapped = mapping
        .program
        .run(&bytes, shop, &Utc::now().to_rfc3339())
        .map_err(|e| e.to_string())
        .and_then(|mut outputs| {
            if outputs.len() == 1 {
                Ok(outputs.remove(0))
            } else {
                Err(format!(
                    "the mapping gave {} orders for one Shopify order",
                    outputs.len()
                ))
            }
        });
    let value = match mapped {
        Ok(value) => value,
        Err(message) => {
            let problem = Problem::new(ProblemKind::MappingFailed, message)
                .with("mapping", json!(mapping.name()))
                .with("topic", json!(topic.as_str()));
            rejector.keep(&bytes, false, problem).await;
            return Ok(acknowledged("kept", None));
        }
    };
    let order = match app.schema.parse(&value) {
        Ok(order) => order,
        Err(errors) => {
            let problem = Problem::new(
                ProblemKind::MappingFailed,
                format!("the mapped order violates {} rule(s)", errors.len()),
            )
            .with_errors(&errors)
            .with("mapping", json!(mapping.name()))
            .with("canonical", value);
            rejector.keep(&bytes, false, problem).await;
            return Ok(acknowledged("kept", None));
        }
    };
    let raw = String::from_utf8_lossy(&bytes).into_owned();
    let submitted = submit(
        app,
        &order,
        raw,
        &principal,
        webhook_id.as_deref(),
        correlation_id,
    )
    .await?;
    // Shopify needs a 2xx; the body still says which hub order it became.
    Ok(acknowledged(
        if submitted.replayed {
            "duplicate"
        } else {
            "accepted"
        },
        submitted.order_id().cloned(),
    ))
}

fn acknowledged(status: &str, order_id: Option<serde_json::Value>) -> Response {
    (
        StatusCode::OK,
        axum::Json(json!({ "status": status, "order_id": order_id })),
    )
        .into_response()
}
