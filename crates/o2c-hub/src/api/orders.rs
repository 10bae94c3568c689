//! `POST /v1/orders` (accept a canonical order, durably, once) and
//! `GET /v1/orders/{id}` (its state and timeline).

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use o2c_store::{AcceptOutcome, RejectedMessage};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::AppState;
use super::body::{BodyRead, read_limited};
use crate::auth::{Principal, Scope};
use crate::correlation;
use crate::intake::{self, Intake};
use crate::problem::{Problem, ProblemKind};

/// The longest `Idempotency-Key` accepted.
const MAX_IDEMPOTENCY_KEY: usize = 255;

pub async fn post_order(State(app): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    let correlation_id = correlation::from_headers(&headers);
    let result = accept(&app, &headers, body, &correlation_id).await;
    let mut response = match result {
        Ok(response) => response,
        Err(problem) => problem.correlated(&correlation_id).into_response(),
    };
    if let Ok(value) = HeaderValue::from_str(&correlation_id) {
        response.headers_mut().insert(correlation::HEADER, value);
    }
    response
}

async fn accept(
    app: &AppState,
    headers: &HeaderMap,
    body: Body,
    correlation_id: &str,
) -> Result<Response, Problem> {
    let principal = app.auth.authenticate(headers).await?;
    principal.require(Scope::OrdersWrite)?;
    let rejected = Rejector {
        app,
        principal: &principal,
        correlation_id,
    };
    let bytes = match read_limited(body, app.max_body_bytes).await {
        BodyRead::Complete(bytes) => bytes,
        BodyRead::TooLarge(prefix) => {
            let problem = Problem::new(
                ProblemKind::PayloadTooLarge,
                format!("the body is larger than {} bytes", app.max_body_bytes),
            )
            .with("limit_bytes", json!(app.max_body_bytes));
            return Err(rejected.keep(&prefix, true, problem).await);
        }
        BodyRead::Failed(message) => {
            let problem = Problem::new(
                ProblemKind::MalformedJson,
                format!("the body could not be read: {message}"),
            );
            return Err(problem);
        }
    };
    if !is_json(headers) {
        let problem = Problem::new(
            ProblemKind::UnsupportedMediaType,
            "send the order as `Content-Type: application/json`",
        );
        return Err(rejected.keep(&bytes, false, problem).await);
    }
    let idempotency_header = match headers.get("idempotency-key") {
        None => None,
        Some(value) => match value
            .to_str()
            .ok()
            .map(str::trim)
            .filter(|v| !v.is_empty() && v.len() <= MAX_IDEMPOTENCY_KEY)
        {
            Some(key) => Some(key.to_owned()),
            None => {
                let problem = Problem::new(
                    ProblemKind::SchemaViolation,
                    format!("Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY} visible ASCII characters"),
                )
                .with("errors", json!([{ "pointer": "header:Idempotency-Key", "detail": "invalid" }]));
                return Err(rejected.keep(&bytes, false, problem).await);
            }
        },
    };
    let value: Value = match serde_json::from_slice(&bytes) {
        Ok(value) => value,
        Err(error) => {
            let problem = Problem::new(ProblemKind::MalformedJson, error.to_string())
                .with("line", json!(error.line()))
                .with("column", json!(error.column()));
            return Err(rejected.keep(&bytes, false, problem).await);
        }
    };
    let order = match app.schema.parse(&value) {
        Ok(order) => order,
        Err(errors) => {
            let problem = Problem::new(
                ProblemKind::SchemaViolation,
                format!(
                    "{} field(s) violate the canonical order schema",
                    errors.len()
                ),
            )
            .with_errors(&errors);
            return Err(rejected.keep(&bytes, false, problem).await);
        }
    };
    let channel = intake::channel_name(&order);
    if !principal.may_use_channel(&channel) {
        let problem = Problem::new(
            ProblemKind::ChannelMismatch,
            format!("this API key may not submit orders for the channel {channel}"),
        )
        .with("channel", json!(channel));
        return Err(rejected.keep(&bytes, false, problem).await);
    }
    let raw_payload = String::from_utf8_lossy(&bytes).into_owned();
    let submitted = submit(
        app,
        &order,
        raw_payload,
        &principal,
        idempotency_header.as_deref(),
        correlation_id,
    )
    .await?;
    Ok(accepted_response(submitted))
}

/// The answer an order got at the door: new, or the first answer again.
pub(crate) struct Submitted {
    pub status: StatusCode,
    pub body: Value,
    /// A duplicate: `body` is the original answer.
    pub replayed: bool,
}

impl Submitted {
    pub fn order_id(&self) -> Option<&Value> {
        self.body.get("order_id")
    }
}

/// Queues a validated canonical order for the group commit; the answer is
/// the original one (202, or the first answer for a duplicate).
pub(crate) async fn submit(
    app: &AppState,
    order: &o2c_model::Order,
    raw_payload: String,
    principal: &Principal,
    idempotency_key: Option<&str>,
    correlation_id: &str,
) -> Result<Submitted, Problem> {
    let (_, acceptance) = intake::acceptance(Intake {
        order,
        raw_payload,
        principal,
        idempotency_header: idempotency_key,
        correlation_id,
        now: Utc::now(),
    })
    .map_err(|e| {
        Problem::new(
            ProblemKind::Internal,
            format!("the workflow refused the order: {e}"),
        )
    })?;
    let outcome = app.ingest.submit(acceptance).await.map_err(|error| {
        tracing::error!(error = %error, "accepting an order failed");
        Problem::new(
            ProblemKind::Unavailable,
            "the order could not be stored; retry later with the same Idempotency-Key",
        )
    })?;
    Ok(match outcome {
        AcceptOutcome::Accepted { order_id, .. } => Submitted {
            status: StatusCode::ACCEPTED,
            body: intake::accepted_body(order_id, order, correlation_id),
            replayed: false,
        },
        AcceptOutcome::Duplicate {
            response_status,
            response_body,
            ..
        } => Submitted {
            status: StatusCode::from_u16(response_status).unwrap_or(StatusCode::ACCEPTED),
            body: response_body,
            replayed: true,
        },
    })
}

fn accepted_response(submitted: Submitted) -> Response {
    let Submitted {
        status,
        body,
        replayed,
    } = submitted;
    let location = body
        .get("links")
        .and_then(|l| l.get("self"))
        .and_then(Value::as_str)
        .and_then(|l| HeaderValue::from_str(l).ok());
    let mut response = (status, axum::Json(body)).into_response();
    if let Some(location) = location {
        response.headers_mut().insert(header::LOCATION, location);
    }
    if replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    response
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|mime| {
            let mime = mime.trim().to_ascii_lowercase();
            mime == "application/json"
                || (mime.starts_with("application/") && mime.ends_with("+json"))
        })
        .unwrap_or(false)
}

/// Keeps a refused payload where operators can see it, then hands back the problem.
pub(crate) struct Rejector<'a> {
    app: &'a AppState,
    principal: &'a Principal,
    correlation_id: &'a str,
}

impl<'a> Rejector<'a> {
    pub(crate) fn new(
        app: &'a AppState,
        principal: &'a Principal,
        correlation_id: &'a str,
    ) -> Self {
        Self {
            app,
            principal,
            correlation_id,
        }
    }

    pub(crate) async fn keep(&self, payload: &[u8], truncated: bool, problem: Problem) -> Problem {
        let problem = problem.correlated(self.correlation_id);
        let message = RejectedMessage {
            id: Uuid::now_v7(),
            channel: self
                .principal
                .channel
                .clone()
                .unwrap_or_else(|| "rest".into()),
            content_type: "application/json".into(),
            payload: String::from_utf8_lossy(payload).into_owned(),
            truncated,
            problem: problem.body(),
            correlation_id: self.correlation_id.to_owned(),
            received_at: Utc::now(),
        };
        if let Err(error) = self.app.store.record_rejection(message).await {
            tracing::error!(error = %error, "could not keep a rejected payload");
        }
        problem
    }
}

pub async fn get_order(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let principal = app.auth.authenticate(&headers).await?;
    principal.require(Scope::OrdersRead)?;
    let not_found = || Problem::new(ProblemKind::NotFound, format!("no order {id}"));
    let order_id = Uuid::parse_str(&id).map_err(|_| not_found())?;
    let record = app
        .store
        .get_order(order_id)
        .await
        .map_err(|_| Problem::new(ProblemKind::Unavailable, "the store is unavailable"))?
        .ok_or_else(not_found)?;
    // A channel-bound key sees only its own channel's orders.
    if !principal.may_use_channel(&record.channel) {
        return Err(not_found());
    }
    let journal = app
        .store
        .load_journal(order_id)
        .await
        .map_err(|_| Problem::new(ProblemKind::Unavailable, "the store is unavailable"))?;
    let erp_name = journal.iter().rev().find_map(|e| {
        e.data
            .get("erp_order_name")
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    let timeline: Vec<Value> = journal
        .iter()
        .map(|e| {
            json!({
                "seq": e.seq,
                "type": e.event_type,
                "at": e.recorded_at,
                "correlation_id": e.correlation_id,
            })
        })
        .collect();
    let state = &record.state;
    Ok(axum::Json(json!({
        "order_id": record.order_id,
        "channel": record.channel,
        "channel_order_id": record.channel_order_id,
        "status": record.status,
        "version": record.version,
        "holds": state.get("holds").cloned().unwrap_or(json!([])),
        "erp": {
            "order_id": state.get("erp_order_id").cloned().unwrap_or(Value::Null),
            "order_ref": state.get("erp_order_name").cloned().unwrap_or(Value::Null),
            "order_name": erp_name,
        },
        "correlation_id": record.correlation_id,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
        "timeline": timeline,
    }))
    .into_response())
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    pub status: Option<String>,
    pub limit: Option<i64>,
}

pub async fn list_orders(
    State(app): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<ListQuery>,
) -> Result<Response, Problem> {
    let principal = app.auth.authenticate(&headers).await?;
    principal.require(Scope::OrdersRead)?;
    let limit = query.limit.unwrap_or(100).clamp(1, 1000);
    let orders = app
        .store
        .list_orders(query.status.as_deref(), limit)
        .await
        .map_err(|_| Problem::new(ProblemKind::Unavailable, "the store is unavailable"))?;
    let items: Vec<Value> = orders
        .into_iter()
        .filter(|o| principal.may_use_channel(&o.channel))
        .map(|o| {
            json!({
                "order_id": o.order_id,
                "channel": o.channel,
                "channel_order_id": o.channel_order_id,
                "status": o.status,
                "updated_at": o.updated_at,
            })
        })
        .collect();
    Ok(axum::Json(json!({ "orders": items })).into_response())
}
