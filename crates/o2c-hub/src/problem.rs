//! RFC 9457 problem details: every error the HTTP API returns is one of
//! these, with a stable `type` per error class so clients can branch on it.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};

/// The stable error classes of the API. The `type` URI is relative to the
/// hub's base URL and documented in `docs/problems.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    Unauthenticated,
    Forbidden,
    NotFound,
    MalformedJson,
    SchemaViolation,
    PayloadTooLarge,
    UnsupportedMediaType,
    ChannelMismatch,
    InvalidSignature,
    MappingFailed,
    MalformedX12,
    EnvelopeMismatch,
    Conflict,
    Unavailable,
    Internal,
}

impl ProblemKind {
    pub fn code(self) -> &'static str {
        match self {
            Self::Unauthenticated => "unauthenticated",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not-found",
            Self::MalformedJson => "malformed-json",
            Self::SchemaViolation => "schema-violation",
            Self::PayloadTooLarge => "payload-too-large",
            Self::UnsupportedMediaType => "unsupported-media-type",
            Self::ChannelMismatch => "channel-mismatch",
            Self::InvalidSignature => "invalid-signature",
            Self::MappingFailed => "mapping-failed",
            Self::MalformedX12 => "malformed-x12",
            Self::EnvelopeMismatch => "envelope-mismatch",
            Self::Conflict => "conflict",
            Self::Unavailable => "unavailable",
            Self::Internal => "internal",
        }
    }

    pub fn status(self) -> StatusCode {
        match self {
            Self::Unauthenticated | Self::InvalidSignature => StatusCode::UNAUTHORIZED,
            Self::MappingFailed | Self::EnvelopeMismatch => StatusCode::UNPROCESSABLE_ENTITY,
            Self::MalformedX12 => StatusCode::BAD_REQUEST,
            Self::Conflict => StatusCode::CONFLICT,
            Self::Forbidden | Self::ChannelMismatch => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MalformedJson => StatusCode::BAD_REQUEST,
            Self::SchemaViolation => StatusCode::UNPROCESSABLE_ENTITY,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn title(self) -> &'static str {
        match self {
            Self::Unauthenticated => "Missing or invalid API key",
            Self::Forbidden => "The API key lacks the required scope",
            Self::NotFound => "No such resource",
            Self::MalformedJson => "The body is not valid JSON",
            Self::SchemaViolation => "The body does not match the canonical schema",
            Self::PayloadTooLarge => "The body is larger than the configured limit",
            Self::UnsupportedMediaType => "The body must be application/json",
            Self::ChannelMismatch => "The API key is bound to another channel",
            Self::InvalidSignature => "The webhook signature does not match the body",
            Self::MappingFailed => "The channel payload could not be mapped to a canonical order",
            Self::MalformedX12 => "The body is not a valid X12 interchange",
            Self::EnvelopeMismatch => {
                "The X12 envelope does not name the configured trading partner"
            }
            Self::Conflict => "The resource changed or is not in a state that allows this action",
            Self::Unavailable => "The hub cannot accept the request right now",
            Self::Internal => "Internal error",
        }
    }
}

/// One violated field of a 422 answer.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FieldError {
    /// JSON pointer into the request body, e.g. `/lines/0/quantity`.
    pub pointer: String,
    pub detail: String,
}

/// A problem document ready to be sent.
#[derive(Debug, Clone)]
pub struct Problem {
    pub kind: ProblemKind,
    pub detail: String,
    /// Extension members (RFC 9457 §3.2), e.g. `errors`, `line`, `column`.
    pub extensions: Vec<(String, Value)>,
    pub correlation_id: Option<String>,
}

impl Problem {
    pub fn new(kind: ProblemKind, detail: impl Into<String>) -> Self {
        Self {
            kind,
            detail: detail.into(),
            extensions: Vec::new(),
            correlation_id: None,
        }
    }

    /// 503: the store failed while `doing`; the cause is logged, not
    /// shown (it may name tables or hosts).
    pub fn store_unavailable(doing: &str, cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "{doing} failed");
        Self::new(ProblemKind::Unavailable, "the store is unavailable")
    }

    pub fn with(mut self, key: &str, value: Value) -> Self {
        self.extensions.push((key.to_owned(), value));
        self
    }

    pub fn with_errors(self, errors: &[FieldError]) -> Self {
        self.with("errors", json!(errors))
    }

    pub fn correlated(mut self, correlation_id: &str) -> Self {
        self.correlation_id = Some(correlation_id.to_owned());
        self
    }

    /// The body as JSON (also what is kept with a rejected payload).
    pub fn body(&self) -> Value {
        let mut body = serde_json::Map::new();
        body.insert(
            "type".into(),
            json!(format!("/problems/{}", self.kind.code())),
        );
        body.insert("title".into(), json!(self.kind.title()));
        body.insert("status".into(), json!(self.kind.status().as_u16()));
        body.insert("detail".into(), json!(self.detail));
        if let Some(id) = &self.correlation_id {
            body.insert("correlation_id".into(), json!(id));
        }
        for (key, value) in &self.extensions {
            body.insert(key.clone(), value.clone());
        }
        Value::Object(body)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.kind.status();
        let mut response = (status, axum::Json(self.body())).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if self.kind == ProblemKind::Unauthenticated {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_carries_stable_type_and_extensions() {
        let problem = Problem::new(ProblemKind::MalformedJson, "expected value")
            .with("line", json!(3))
            .correlated("c-1");
        let body = problem.body();
        assert_eq!(body["type"], "/problems/malformed-json");
        assert_eq!(body["status"], 400);
        assert_eq!(body["line"], 3);
        assert_eq!(body["correlation_id"], "c-1");
    }

    #[test]
    fn response_is_problem_json() {
        let response = Problem::new(ProblemKind::Unauthenticated, "no key").into_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "application/problem+json"
        );
        assert_eq!(response.headers()[header::WWW_AUTHENTICATE], "Bearer");
    }
}
