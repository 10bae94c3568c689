//! `POST /v1/channels/edi/{partner}`: a trading partner's raw X12 file.
//! The API key needs `orders:write` and, when bound to a channel, the
//! partner's (`edi:<partner>`). The answer comes once the orders are
//! committed and the 997 is written: 200 with what became of each group
//! and PO, or a problem (malformed X12 with segment and element, envelope
//! ids that are not the partner's), the file kept for operators either way.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::AppState;
use super::body::{BodyRead, read_limited};
use crate::auth::Scope;
use crate::correlation;
use crate::edi::inbound::{Source, receive};
use crate::problem::{Problem, ProblemKind};

pub async fn post_interchange(
    State(app): State<AppState>,
    Path(partner): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let correlation_id = correlation::from_headers(&headers);
    let mut response = match accept(&app, &partner, &headers, body, &correlation_id).await {
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
    partner_id: &str,
    headers: &HeaderMap,
    body: Body,
    correlation_id: &str,
) -> Result<Response, Problem> {
    let principal = app.auth.authenticate(headers).await?;
    principal.require(Scope::OrdersWrite)?;
    let runtime = app.edi.clone();
    let partner = runtime.partner(partner_id).ok_or_else(|| {
        Problem::new(
            ProblemKind::NotFound,
            format!("no EDI trading partner {partner_id} is configured"),
        )
    })?;
    let channel = partner.channel();
    if !principal.may_use_channel(&channel) {
        return Err(Problem::new(
            ProblemKind::ChannelMismatch,
            format!("this API key may not send files for {channel}"),
        ));
    }
    let bytes = match read_limited(body, app.max_body_bytes).await {
        BodyRead::Complete(bytes) => bytes,
        BodyRead::TooLarge(_) => {
            return Err(Problem::new(
                ProblemKind::PayloadTooLarge,
                format!(
                    "the file is larger than {} bytes; drop it in the partner's inbound folder",
                    app.max_body_bytes
                ),
            ));
        }
        BodyRead::Failed(message) => {
            return Err(Problem::new(
                ProblemKind::MalformedX12,
                format!("the body could not be read: {message}"),
            ));
        }
    };
    let src = Source {
        principal: &principal,
        correlation_id,
        origin: "http".into(),
    };
    let received = receive(app, partner, &bytes, &src).await?;
    let mut report = received.report;
    report["correlation_id"] = json!(correlation_id);
    Ok((StatusCode::OK, axum::Json(report)).into_response())
}
