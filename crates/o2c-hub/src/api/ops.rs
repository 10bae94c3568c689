//! Operations endpoints: schemas, the exception queue and the dead-letter
//! queue (list, retry, discard; each action audited).

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use o2c_store::JobState;
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppState;
use crate::auth::Scope;
use crate::operations;
use crate::problem::{Problem, ProblemKind};

fn unavailable(error: o2c_store::StoreError) -> Problem {
    Problem::store_unavailable("a store call", error)
}

pub async fn get_schema(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Result<Response, Problem> {
    app.auth.authenticate(&headers).await?;
    let name = name.trim_end_matches(".json");
    o2c_model::schemas()
        .into_iter()
        .find(|(n, _)| *n == name)
        .map(|(_, schema)| axum::Json(schema).into_response())
        .ok_or_else(|| Problem::new(ProblemKind::NotFound, format!("no schema {name}")))
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    pub status: Option<String>,
    pub limit: Option<i64>,
}

pub async fn list_exceptions(
    State(app): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<ListQuery>,
) -> Result<Response, Problem> {
    app.auth
        .authenticate(&headers)
        .await?
        .require(Scope::OpsRead)?;
    let items = app
        .store
        .list_exceptions(
            query.status.as_deref(),
            query.limit.unwrap_or(100).clamp(1, 1000),
        )
        .await
        .map_err(unavailable)?;
    Ok(axum::Json(json!({ "exceptions": items })).into_response())
}

pub async fn list_dlq(
    State(app): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<ListQuery>,
) -> Result<Response, Problem> {
    app.auth
        .authenticate(&headers)
        .await?
        .require(Scope::OpsRead)?;
    let jobs = app
        .store
        .list_jobs(
            Some(JobState::Dead),
            query.limit.unwrap_or(100).clamp(1, 1000),
        )
        .await
        .map_err(unavailable)?;
    Ok(axum::Json(json!({ "jobs": jobs })).into_response())
}

#[derive(Debug, Deserialize, Default)]
#[serde(default)]
pub struct ActionBody {
    pub reason: Option<String>,
    /// Retry although an 855 told the EDI partner the order's lines are
    /// refused (needs a reason; a replacing 855 follows).
    pub override_855: bool,
}

async fn dlq_action(
    app: &AppState,
    headers: &HeaderMap,
    id: i64,
    body: Option<Value>,
    retry: bool,
) -> Result<Response, Problem> {
    let principal = app.auth.authenticate(headers).await?;
    principal.require(Scope::OpsWrite)?;
    let body: ActionBody = match body {
        Some(body) => serde_json::from_value(body).map_err(|e| {
            Problem::new(
                ProblemKind::SchemaViolation,
                format!("the body does not read: {e}"),
            )
        })?,
        None => ActionBody::default(),
    };
    let reason = body.reason.unwrap_or_default();
    let actor = principal.actor();
    let not_dead = || {
        Problem::new(
            ProblemKind::NotFound,
            format!("job {id} is not in the dead-letter queue"),
        )
    };
    let mut warning = None;
    if retry {
        let outcome =
            operations::retry_dead_job(app.store.as_ref(), id, &actor, &reason, body.override_855)
                .await
                .map_err(|e| {
                    tracing::error!(error = %e, "dead-letter retry failed");
                    Problem::new(ProblemKind::Unavailable, "the store is unavailable")
                })?;
        match outcome {
            operations::DeadRetry::Retried { warning: w } => warning = w,
            operations::DeadRetry::NotDead => return Err(not_dead()),
            operations::DeadRetry::PartnerTold(told) => {
                let order_id = app
                    .store
                    .get_job(id)
                    .await
                    .map_err(unavailable)?
                    .and_then(|j| uuid::Uuid::parse_str(&j.queue_key).ok());
                let mut problem = told.problem(order_id);
                if body.override_855 {
                    problem =
                        Problem::new(ProblemKind::SchemaViolation, "override_855 needs a reason")
                            .with(
                                "errors",
                                json!([{ "pointer": "/reason", "detail": "required" }]),
                            );
                }
                return Err(problem);
            }
        }
    } else if !operations::discard_dead_job(app.store.as_ref(), id, &actor, &reason)
        .await
        .map_err(unavailable)?
    {
        return Err(not_dead());
    }
    let mut body = json!({ "job_id": id, "action": if retry { "retried" } else { "discarded" } });
    if let Some(warning) = warning {
        body["warning"] = json!(warning);
    }
    Ok(axum::Json(body).into_response())
}

pub async fn retry_dlq(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: Option<axum::Json<Value>>,
) -> Result<Response, Problem> {
    let result = dlq_action(&app, &headers, id, body.map(|b| b.0), true).await;
    if result.is_ok() {
        app.work_ready.notify_one();
    }
    result
}

pub async fn discard_dlq(
    State(app): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: Option<axum::Json<Value>>,
) -> Result<Response, Problem> {
    dlq_action(&app, &headers, id, body.map(|b| b.0), false).await
}
