//! The Shopify Admin REST client of the pull mode (catch-up after
//! downtime): `GET /admin/api/{version}/orders.json?status=any&updated_at_min=…
//! &limit=…&order=updated_at asc`, then cursor pagination by the `page_info`
//! of the `Link: <…>; rel="next"` header (Shopify forbids the other filters
//! on those follow-up requests: the cursor carries them).
//!
//! Authenticated by `X-Shopify-Access-Token`. A 429 is retried after its
//! `Retry-After` (Shopify's leaky bucket refills at 2 calls a second), a 5xx
//! or a transport failure after a doubling backoff; other answers are typed
//! errors.

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use reqwest::StatusCode;
use serde_json::Value;
use url::Url;

/// An Admin API access token; `Debug` never shows it.
#[derive(Clone)]
pub struct AccessToken(String);

impl AccessToken {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
}

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AccessToken(<redacted>)")
    }
}

#[derive(Debug, Clone)]
pub struct AdminConfig {
    /// `https://{shop}.myshopify.com` (a local fake in tests).
    pub base_url: Url,
    /// e.g. `2024-10`.
    pub api_version: String,
    pub access_token: AccessToken,
    /// `limit` (1 to 250).
    pub page_size: u32,
    pub timeout: Duration,
    /// Attempts per request, the first included.
    pub max_attempts: u32,
    /// First wait after a 5xx or transport failure; doubles.
    pub initial_backoff: Duration,
}

impl AdminConfig {
    pub fn new(base_url: Url, access_token: AccessToken) -> Self {
        Self {
            base_url,
            api_version: "2024-10".into(),
            access_token,
            page_size: 250,
            timeout: Duration::from_secs(30),
            max_attempts: 5,
            initial_backoff: Duration::from_millis(500),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("Shopify client configuration: {0}")]
    Config(String),
    /// Shopify answered an error status (its `errors` member as text).
    #[error("Shopify Admin API answered {status}: {message}")]
    Api { status: u16, message: String },
    #[error("Shopify Admin API still answered {status} after {attempts} attempts")]
    RetriesExhausted { status: u16, attempts: u32 },
    #[error("Shopify Admin API transport error: {0}")]
    Transport(String),
    #[error("Shopify Admin API answered an unexpected body: {0}")]
    Decode(String),
}

/// Where a listing continues.
#[derive(Debug, Clone, PartialEq)]
pub enum PageRequest {
    /// The first page of orders updated at or after this instant.
    UpdatedSince(DateTime<Utc>),
    /// A following page (`page_info` of the previous `Link` header).
    Next(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct OrdersPage {
    pub orders: Vec<Value>,
    /// `page_info` of the next page, when there is one.
    pub next: Option<String>,
}

pub struct AdminClient {
    http: reqwest::Client,
    config: AdminConfig,
}

impl AdminClient {
    pub fn new(config: AdminConfig) -> Result<Self, AdminError> {
        if !(1..=250).contains(&config.page_size) {
            return Err(AdminError::Config(format!(
                "page size must be 1 to 250, not {}",
                config.page_size
            )));
        }
        if config.base_url.cannot_be_a_base() {
            return Err(AdminError::Config(format!(
                "base URL {} cannot take a path",
                config.base_url
            )));
        }
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .build()
            .map_err(|e| AdminError::Config(e.to_string()))?;
        Ok(Self { http, config })
    }

    fn orders_url(&self, request: &PageRequest) -> Result<Url, AdminError> {
        let mut url = self.config.base_url.clone();
        url.path_segments_mut()
            .map_err(|()| AdminError::Config("base URL cannot take a path".into()))?
            .pop_if_empty()
            .extend(["admin", "api", &self.config.api_version, "orders.json"]);
        {
            let mut query = url.query_pairs_mut();
            query.append_pair("limit", &self.config.page_size.to_string());
            match request {
                PageRequest::UpdatedSince(since) => {
                    query
                        .append_pair("status", "any")
                        .append_pair(
                            "updated_at_min",
                            &since.to_rfc3339_opts(SecondsFormat::Secs, true),
                        )
                        .append_pair("order", "updated_at asc");
                }
                PageRequest::Next(page_info) => {
                    query.append_pair("page_info", page_info);
                }
            }
        }
        Ok(url)
    }

    /// One page of orders.
    pub async fn orders(&self, request: &PageRequest) -> Result<OrdersPage, AdminError> {
        let url = self.orders_url(request)?;
        let max_attempts = self.config.max_attempts.max(1);
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let sent = self
                .http
                .get(url.clone())
                .header("X-Shopify-Access-Token", &self.config.access_token.0)
                .header(reqwest::header::ACCEPT, "application/json")
                .send()
                .await;
            let response = match sent {
                Ok(response) => response,
                Err(_) if attempt < max_attempts => {
                    tokio::time::sleep(self.backoff(attempt)).await;
                    continue;
                }
                Err(e) => return Err(AdminError::Transport(e.without_url().to_string())),
            };
            let status = response.status();
            if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
                if attempt >= max_attempts {
                    return Err(AdminError::RetriesExhausted {
                        status: status.as_u16(),
                        attempts: attempt,
                    });
                }
                let wait = if status == StatusCode::TOO_MANY_REQUESTS {
                    retry_after(response.headers()).unwrap_or(Duration::from_secs(1))
                } else {
                    self.backoff(attempt)
                };
                tokio::time::sleep(wait).await;
                continue;
            }
            let next = response
                .headers()
                .get_all(reqwest::header::LINK)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .find_map(next_page_info);
            let body = response
                .bytes()
                .await
                .map_err(|e| AdminError::Transport(e.without_url().to_string()))?;
            if !status.is_success() {
                return Err(AdminError::Api {
                    status: status.as_u16(),
                    message: error_text(&body),
                });
            }
            let value: Value = serde_json::from_slice(&body)
                .map_err(|e| AdminError::Decode(format!("body is not JSON: {e}")))?;
            let orders = value
                .get("orders")
                .and_then(Value::as_array)
                .cloned()
                .ok_or_else(|| AdminError::Decode("no \"orders\" array".into()))?;
            return Ok(OrdersPage { orders, next });
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        self.config
            .initial_backoff
            .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1).min(16)))
            .min(Duration::from_secs(60))
    }
}

/// `Retry-After` in seconds (Shopify sends decimals such as `2.0`).
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(|s| Duration::from_secs_f64(s.min(3600.0)))
}

/// The `page_info` of the `rel="next"` entry of a `Link` header.
pub fn next_page_info(link: &str) -> Option<String> {
    link.split(',').find_map(|entry| {
        let (target, params) = entry.split_once(';')?;
        let is_next = params.split(';').any(|p| {
            let p = p.trim().replace(' ', "");
            p == "rel=\"next\"" || p == "rel=next"
        });
        if !is_next {
            return None;
        }
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        let url = Url::parse(target).ok()?;
        url.query_pairs()
            .find(|(k, _)| k == "page_info")
            .map(|(_, v)| v.into_owned())
    })
}

fn error_text(body: &[u8]) -> String {
    match serde_json::from_slice::<Value>(body) {
        Ok(value) => match value.get("errors") {
            Some(Value::String(text)) => text.clone(),
            Some(other) => other.to_string(),
            None => value.to_string(),
        },
        Err(_) => String::from_utf8_lossy(body).chars().take(500).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_header_next_and_previous() {
        // The shape Shopify documents for cursor-based pagination.
        let both = "<https://shop.myshopify.com/admin/api/2024-10/orders.json?limit=250&page_info=prevCursor>; rel=\"previous\", <https://shop.myshopify.com/admin/api/2024-10/orders.json?limit=250&page_info=nextCursor>; rel=\"next\"";
        assert_eq!(next_page_info(both).as_deref(), Some("nextCursor"));
        let last = "<https://shop.myshopify.com/admin/api/2024-10/orders.json?limit=250&page_info=prevCursor>; rel=\"previous\"";
        assert_eq!(next_page_info(last), None);
        assert_eq!(next_page_info("garbage"), None);
    }

    #[test]
    fn first_and_next_page_urls() {
        let client = AdminClient::new(AdminConfig::new(
            Url::parse("https://acme.myshopify.com").expect("url"),
            AccessToken::new("shpat_x"),
        ))
        .expect("client");
        let since = DateTime::parse_from_rfc3339("2024-05-01T10:00:00Z")
            .expect("date")
            .with_timezone(&Utc);
        let first = client
            .orders_url(&PageRequest::UpdatedSince(since))
            .expect("url");
        assert_eq!(
            first.as_str(),
            "https://acme.myshopify.com/admin/api/2024-10/orders.json?limit=250&status=any&updated_at_min=2024-05-01T10%3A00%3A00Z&order=updated_at+asc"
        );
        let next = client
            .orders_url(&PageRequest::Next("abc".into()))
            .expect("url");
        assert_eq!(
            next.as_str(),
            "https://acme.myshopify.com/admin/api/2024-10/orders.json?limit=250&page_info=abc"
        );
        assert_eq!(
            format!("{:?}", AccessToken::new("shpat_secret")),
            "AccessToken(<redacted>)"
        );
    }

    #[test]
    fn retry_after_seconds() {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(reqwest::header::RETRY_AFTER, "2.0".parse().expect("value"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(2)));
    }
}
