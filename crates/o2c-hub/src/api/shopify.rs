//! `POST /v1/channels/shopify/{shop}/webhooks`: Shopify's order webhooks.
//!
//! Authenticated by the HMAC of the raw body under the shop's secret (not by
//! an API key), deduplicated by `X-Shopify-Webhook-Id`, mapped with the
//! shop channel's jq rules and stored in the same group commit as REST
//! orders. Shopify retries anything but a 2xx within five seconds, so the
//! answer comes right after the commit, and a payload the mapping cannot
//! take is kept for an operator and still acknowledged (a retry would fail
//! the same way).
//!
//! `orders/updated` and `orders/cancelled` are stored the same way (an order
//! the hub has never seen is captured from them), and for a known order a
//! channel change job joins the order's queue; `refunds/create` becomes such
//! a job directly. The job is durable before the answer, keyed by the
//! webhook id so a redelivery adds nothing; the worker applies it
//! (`crate::channel_change`).

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use o2c_connectors::Input;
use o2c_connectors::shopify::{self, Topic};
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::AppState;
use super::body::{BodyRead, read_limited};
use super::orders::{Rejector, submit};
use crate::auth::{Principal, Scope};
use crate::channel_change::{ChannelChange, ChannelChangeJob};
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
    let Some(topic) = Topic::parse(topic_header) else {
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
    let delivery = delivery_key(header(headers, "x-shopify-webhook-id"), &bytes);
    if topic == Topic::RefundsCreate {
        return refund(app, &channel, &bytes, &rejector, &delivery, correlation_id).await;
    }
    let mapping = app
        .mappings
        .get("shopify", None)
        .map_err(|e| Problem::new(ProblemKind::Internal, e.to_string()))?;
    let mapped = app.schema.map(
        &mapping.program,
        Input::Raw(&bytes),
        shop,
        &Utc::now().to_rfc3339(),
    );
    let context = |problem: Problem| {
        problem
            .with("mapping", json!(mapping.name()))
            .with("topic", json!(topic.as_str()))
    };
    let checked = match mapped {
        Ok(mut orders) if orders.len() == 1 => Ok(orders.remove(0)),
        Ok(orders) => Err(context(Problem::new(
            ProblemKind::MappingFailed,
            format!(
                "the mapping gave {} orders for one Shopify order",
                orders.len()
            ),
        ))),
        Err(failure) => Err(failure.problem(context)),
    };
    let order = match checked {
        Ok(order) => order,
        Err(problem) => {
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
    let order_id = submitted.order_id().cloned();
    let facts = shopify::order_facts(&bytes);
    let change = match topic {
        // A new order already has this content; a known one may change.
        Topic::OrdersUpdated if submitted.replayed => Some(ChannelChange::Updated {
            order: Box::new(order),
            version: facts.updated_at,
        }),
        Topic::OrdersCancelled => Some(ChannelChange::Cancelled {
            reason: facts
                .cancel_reason
                .unwrap_or_else(|| "cancelled in Shopify".into()),
            version: facts.updated_at,
        }),
        _ => None,
    };
    if let Some(change) = change {
        let hub_order = order_id
            .as_ref()
            .and_then(serde_json::Value::as_str)
            .and_then(|id| Uuid::parse_str(id).ok())
            .ok_or_else(|| Problem::new(ProblemKind::Internal, "the stored order has no id"))?;
        let job = ChannelChangeJob {
            order_id: hub_order,
            channel,
            topic: topic.as_str().to_owned(),
            change,
        };
        queue_change(app, job, &delivery, correlation_id).await?;
        return Ok(acknowledged("change_queued", order_id));
    }
    // Shopify needs a 2xx; the body still says which hub order it became.
    Ok(acknowledged(
        if submitted.replayed {
            "duplicate"
        } else {
            "accepted"
        },
        order_id,
    ))
}

/// The delivery's identity for the change job: Shopify's webhook id, else
/// a digest of the exact body (the same body is the same delivery).
fn delivery_key(webhook_id: Option<&str>, body: &[u8]) -> String {
    match webhook_id {
        Some(id) => format!("webhook:{id}"),
        None => format!("body:{}", hex::encode(Sha256::digest(body))),
    }
}

/// Stores the change job; Shopify gets its 2xx only once it is durable.
async fn queue_change(
    app: &AppState,
    job: ChannelChangeJob,
    delivery: &str,
    correlation_id: &str,
) -> Result<(), Problem> {
    let new_job = job.into_job(delivery, correlation_id, Utc::now());
    match app.store.enqueue(new_job).await {
        Ok(_) => {
            app.work_ready.notify_one();
            Ok(())
        }
        Err(error) => {
            tracing::error!(error = %error, "storing a Shopify change failed");
            Err(Problem::new(
                ProblemKind::Unavailable,
                "the change could not be stored; Shopify will deliver it again",
            ))
        }
    }
}

/// `refunds/create`: recorded against the order it belongs to. A refund of
/// an order the hub does not have is kept for review and acknowledged.
async fn refund(
    app: &AppState,
    channel: &str,
    bytes: &[u8],
    rejector: &Rejector<'_>,
    delivery: &str,
    correlation_id: &str,
) -> Result<Response, Problem> {
    let refund = match shopify::parse_refund(bytes) {
        Ok(refund) => refund,
        Err(error) => {
            let problem = Problem::new(ProblemKind::MappingFailed, error.to_string())
                .with("topic", json!(Topic::RefundsCreate.as_str()));
            rejector.keep(bytes, false, problem).await;
            return Ok(acknowledged("kept", None));
        }
    };
    let found = app
        .store
        .find_order_by_channel_id(channel, &refund.order_id)
        .await
        .map_err(|_| Problem::new(ProblemKind::Unavailable, "the store is unavailable"))?;
    let Some(order) = found else {
        let problem = Problem::new(
            ProblemKind::MappingFailed,
            format!(
                "refund {} is for order {}, which the hub does not have",
                refund.refund_id, refund.order_id
            ),
        )
        .with("topic", json!(Topic::RefundsCreate.as_str()));
        rejector.keep(bytes, false, problem).await;
        return Ok(acknowledged("kept", None));
    };
    let job = ChannelChangeJob {
        order_id: order.order_id,
        channel: channel.to_owned(),
        topic: Topic::RefundsCreate.as_str().to_owned(),
        change: ChannelChange::Refunded {
            refund: refund.into(),
        },
    };
    queue_change(app, job, delivery, correlation_id).await?;
    Ok(acknowledged("change_queued", Some(json!(order.order_id))))
}

fn acknowledged(status: &str, order_id: Option<serde_json::Value>) -> Response {
    (
        StatusCode::OK,
        axum::Json(json!({ "status": status, "order_id": order_id })),
    )
        .into_response()
}
