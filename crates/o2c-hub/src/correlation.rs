//! Correlation ids: taken from `X-Correlation-Id`, else from the trace id of
//! a W3C `traceparent`, else made fresh. Every journal row, job, Odoo call
//! and log line of a request carries it.

use axum::http::HeaderMap;
use uuid::Uuid;

pub const HEADER: &str = "x-correlation-id";

/// The longest correlation id accepted from outside; longer ones are replaced.
const MAX_LEN: usize = 128;

/// Picks the request's correlation id from its headers, or makes one.
pub fn from_headers(headers: &HeaderMap) -> String {
    if let Some(id) = headers
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| is_acceptable(v))
    {
        return id.to_owned();
    }
    if let Some(trace_id) = headers
        .get("traceparent")
        .and_then(|v| v.to_str().ok())
        .and_then(trace_id_of)
    {
        return trace_id;
    }
    Uuid::now_v7().to_string()
}

/// The trace id of a version-00 `traceparent` (`00-<32 hex>-<16 hex>-<2 hex>`).
pub fn trace_id_of(traceparent: &str) -> Option<String> {
    let mut parts = traceparent.trim().split('-');
    let version = parts.next()?;
    let trace_id = parts.next()?;
    let parent_id = parts.next()?;
    let flags = parts.next()?;
    let hex = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit());
    let valid = hex(version, 2)
        && version != "ff"
        && hex(trace_id, 32)
        && trace_id.bytes().any(|b| b != b'0')
        && hex(parent_id, 16)
        && hex(flags, 2);
    valid.then(|| trace_id.to_ascii_lowercase())
}

/// Ids from outside end up in logs and headers: keep them short and printable.
fn is_acceptable(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn prefers_explicit_header() {
        let mut headers = HeaderMap::new();
        headers.insert(HEADER, HeaderValue::from_static("order-42"));
        headers.insert(
            "traceparent",
            HeaderValue::from_static("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
        );
        assert_eq!(from_headers(&headers), "order-42");
    }

    #[test]
    fn falls_back_to_traceparent() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "traceparent",
            HeaderValue::from_static("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"),
        );
        assert_eq!(from_headers(&headers), "4bf92f3577b34da6a3ce929d0e0e4736");
    }

    #[test]
    fn rejects_bad_traceparent_and_unsafe_ids() {
        assert_eq!(
            trace_id_of("00-00000000000000000000000000000000-00f067aa0ba902b7-01"),
            None
        );
        assert_eq!(
            trace_id_of("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
            None
        );
        assert_eq!(trace_id_of("garbage"), None);
        let mut headers = HeaderMap::new();
        headers.insert(HEADER, HeaderValue::from_static("has space"));
        let made = from_headers(&headers);
        assert!(Uuid::parse_str(&made).is_ok());
    }
}
