//! `POST /v1/channels/csv/{account}/uploads`: a spreadsheet of orders (the
//! layout in `crates/o2c-formats/docs/csv-orders.md`, several rows per order
//! grouped by order number). `?dry_run=true` only checks it. Every bad row is
//! reported with its line number and column; each order without errors is
//! mapped by the `csv` mapping rule (`mappings/csv/v<N>.jq`) and accepted
//! exactly as `POST /v1/orders` accepts an order (one per channel order
//! number, duplicates answered), and a file with bad rows is also kept for
//! an operator.

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use o2c_connectors::Input;
use o2c_formats::csv_orders::{CsvOptions, parse_orders};
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppState;
use super::body::{BodyRead, read_limited};
use super::orders::{Rejector, submit};
use crate::auth::Scope;
use crate::correlation;
use crate::problem::{Problem, ProblemKind};
use crate::schema_check::MapFailure;

#[derive(Debug, Deserialize, Default)]
pub struct UploadQuery {
    #[serde(default)]
    pub dry_run: bool,
}

pub async fn upload(
    State(app): State<AppState>,
    Path(account): Path<String>,
    Query(query): Query<UploadQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Problem> {
    let correlation_id = correlation::from_headers(&headers);
    let principal = app.auth.authenticate(&headers).await?;
    principal.require(Scope::OrdersWrite)?;
    let channel = format!("csv:{account}");
    if !principal.may_use_channel(&channel) {
        return Err(Problem::new(
            ProblemKind::ChannelMismatch,
            format!("this API key may not upload orders for {channel}"),
        ));
    }
    let rejector = Rejector::new(&app, &principal, &correlation_id);
    let bytes = match read_limited(body, app.max_body_bytes).await {
        BodyRead::Complete(bytes) => bytes,
        BodyRead::TooLarge(prefix) => {
            let problem = Problem::new(
                ProblemKind::PayloadTooLarge,
                format!(
                    "the file is larger than {} bytes; split it or use `o2c import orders`",
                    app.max_body_bytes
                ),
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
    let import = parse_orders(
        &bytes,
        &CsvOptions {
            account: account.clone(),
        },
    );
    let report = serde_json::to_value(&import.report).unwrap_or(Value::Null);
    if query.dry_run {
        return Ok((
            StatusCode::OK,
            axum::Json(json!({ "dry_run": true, "report": report })),
        )
            .into_response());
    }
    if !import.report.errors.is_empty() {
        let problem = Problem::new(
            ProblemKind::SchemaViolation,
            format!(
                "{} problem(s) in the file; the orders without problems were accepted",
                import.report.errors.len()
            ),
        )
        .with("report", report.clone());
        rejector.keep(&bytes, false, problem).await;
    }
    let mapping = app
        .mappings
        .get("csv", None)
        .map_err(|e| Problem::new(ProblemKind::Internal, e.to_string()))?;
    let received_at = Utc::now().to_rfc3339();
    let mut accepted = Vec::new();
    let mut rejected = Vec::new();
    for group in import.groups {
        let number = group.get("order_number").cloned().unwrap_or(Value::Null);
        let line = group.get("line").cloned().unwrap_or(Value::Null);
        let mapped = app.schema.map(
            &mapping.program,
            Input::Decoded(&group),
            &account,
            &received_at,
        );
        let order = match mapped {
            Ok(mut orders) if orders.len() == 1 => orders.remove(0),
            Ok(orders) => {
                let message = format!("the mapping gave {} orders for one order", orders.len());
                rejected.push(json!({ "order_number": number, "line": line, "mapping": mapping.name(), "message": message }));
                continue;
            }
            Err(MapFailure::Run(error)) => {
                rejected.push(json!({ "order_number": number, "line": line, "mapping": mapping.name(), "message": error.to_string() }));
                continue;
            }
            Err(MapFailure::Invalid { errors, .. }) => {
                rejected.push(json!({ "order_number": number, "line": line, "mapping": mapping.name(), "errors": errors }));
                continue;
            }
        };
        // The order's rows as decoded: what the operator sees as its payload.
        let raw = group.to_string();
        let submitted = submit(&app, &order, raw, &principal, None, &correlation_id).await?;
        accepted.push(
            json!({ "order_number": number, "order_id": submitted.order_id(), "status": submitted.status.as_u16() }),
        );
    }
    Ok((StatusCode::OK, axum::Json(json!({ "dry_run": false, "report": report, "accepted": accepted, "rejected": rejected }))).into_response())
}
