//! The SP-API HTTP client: `getOrders` and `getOrderItems` against a
//! configurable base URL (`https://sellingpartnerapi-na.amazon.com` and its
//! EU/FE siblings in production, a local fake in tests).
//!
//! Every call carries `x-amz-access-token` from a [`TokenProvider`]. Calls
//! are paced by a token bucket per operation (Amazon's documented rate and
//! burst, re-read from each answer's `x-amzn-RateLimit-Limit`). 429 and 5xx
//! answers and transport failures are retried with exponential backoff that
//! never waits less than `Retry-After` or one rate-limit interval; 400-class
//! answers are typed errors carrying Amazon's error code and are not retried
//! (except one retry with a fresh token after 401/403).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use reqwest::StatusCode;
use serde_json::Value;
use tokio::sync::Mutex;
use tokio::time::Instant;
use url::Url;

use super::auth::TokenProvider;
use super::cursor::{PullCursor, parse_date};
use super::error::{AmazonError, ApiErrorItem};
use super::{AmazonOrderBundle, OrderStatus};

const GET_ORDERS: &str = "getOrders";
const GET_ORDER_ITEMS: &str = "getOrderItems";

/// Retries of throttled or failed calls.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Attempts per call, the first included (at least 1).
    pub max_attempts: u32,
    /// Wait before the second attempt; doubles each time.
    pub initial_backoff: Duration,
    /// Longest computed wait (a longer `Retry-After` is still honoured).
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 6,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        self.initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }
}

/// A usage plan: sustained requests per second and burst.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    pub per_second: f64,
    pub burst: u32,
}

impl RateLimit {
    /// Amazon's default plan for `getOrders` (0.0167 rps, burst 20).
    pub const GET_ORDERS: RateLimit = RateLimit {
        per_second: 0.0167,
        burst: 20,
    };
    /// Amazon's default plan for `getOrderItems` (0.5 rps, burst 30).
    pub const GET_ORDER_ITEMS: RateLimit = RateLimit {
        per_second: 0.5,
        burst: 30,
    };
}

/// Where and how to call the SP-API.
#[derive(Debug, Clone)]
pub struct SpApiConfig {
    /// Regional endpoint, e.g. `https://sellingpartnerapi-na.amazon.com`.
    pub base_url: Url,
    /// `MarketplaceIds` of every `getOrders` call (1 to 50).
    pub marketplace_ids: Vec<String>,
    /// How far below the cursor each pull starts again (see [`PullCursor`]).
    pub overlap: Duration,
    pub retry: RetryPolicy,
    pub orders_rate: RateLimit,
    pub items_rate: RateLimit,
    /// Per-request timeout.
    pub timeout: Duration,
    /// `MaxResultsPerPage` (1 to 100), Amazon's default when `None`.
    pub max_results_per_page: Option<u32>,
}

impl SpApiConfig {
    /// Amazon's defaults: 5 minutes of overlap (Amazon indexes order changes
    /// up to about two minutes late), documented rate plans, 30 s timeout.
    pub fn new(base_url: Url, marketplace_ids: Vec<String>) -> Self {
        Self {
            base_url,
            marketplace_ids,
            overlap: Duration::from_secs(300),
            retry: RetryPolicy::default(),
            orders_rate: RateLimit::GET_ORDERS,
            items_rate: RateLimit::GET_ORDER_ITEMS,
            timeout: Duration::from_secs(30),
            max_results_per_page: None,
        }
    }
}

/// One `getOrders` page.
#[derive(Debug, Clone, PartialEq)]
pub struct OrdersPage {
    pub orders: Vec<Value>,
    pub next_token: Option<String>,
}

/// Token bucket for one operation.
struct Pacer {
    state: Mutex<PacerState>,
}

struct PacerState {
    per_second: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
}

impl Pacer {
    fn new(limit: RateLimit) -> Self {
        let burst = f64::from(limit.burst.max(1));
        Self {
            state: Mutex::new(PacerState {
                per_second: sane_rate(limit.per_second).unwrap_or(1.0),
                burst,
                tokens: burst,
                last: Instant::now(),
            }),
        }
    }

    async fn acquire(&self) {
        loop {
            let wait = {
                let mut s = self.state.lock().await;
                let now = Instant::now();
                let earned = now.duration_since(s.last).as_secs_f64() * s.per_second;
                s.tokens = (s.tokens + earned).min(s.burst);
                s.last = now;
                if s.tokens >= 1.0 {
                    s.tokens -= 1.0;
                    return;
                }
                Duration::from_secs_f64((1.0 - s.tokens) / s.per_second)
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// Amazon said how fast this operation may go for this seller.
    async fn set_rate(&self, per_second: f64) {
        if let Some(rate) = sane_rate(per_second) {
            self.state.lock().await.per_second = rate;
        }
    }

    /// Throttled: the bucket is empty; returns one token's interval.
    async fn drain(&self) -> Duration {
        let mut s = self.state.lock().await;
        s.tokens = 0.0;
        s.last = Instant::now();
        Duration::from_secs_f64(1.0 / s.per_second)
    }
}

fn sane_rate(rate: f64) -> Option<f64> {
    (rate.is_finite() && rate > 0.0).then_some(rate)
}

/// The Selling Partner API client.
pub struct SpApiClient {
    http: reqwest::Client,
    config: SpApiConfig,
    tokens: Arc<dyn TokenProvider>,
    orders_pacer: Pacer,
    items_pacer: Pacer,
}

impl std::fmt::Debug for SpApiClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpApiClient")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl SpApiClient {
    pub fn new(config: SpApiConfig, tokens: Arc<dyn TokenProvider>) -> Result<Self, AmazonError> {
        if config.marketplace_ids.is_empty() {
            return Err(AmazonError::Config(
                "at least one marketplace id is required".into(),
            ));
        }
        if config.base_url.cannot_be_a_base() {
            return Err(AmazonError::Config(format!(
                "base URL {} cannot take a path",
                config.base_url
            )));
        }
        if let Some(n) = config.max_results_per_page
            && !(1..=100).contains(&n)
        {
            return Err(AmazonError::Config(format!(
                "MaxResultsPerPage must be 1 to 100, not {n}"
            )));
        }
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .user_agent(concat!(
                "o2c/",
                env!("CARGO_PKG_VERSION"),
                " (Language=Rust)"
            ))
            .build()
            .map_err(|e| AmazonError::Config(e.to_string()))?;
        Ok(Self {
            orders_pacer: Pacer::new(config.orders_rate),
            items_pacer: Pacer::new(config.items_rate),
            http,
            config,
            tokens,
        })
    }

    pub fn config(&self) -> &SpApiConfig {
        &self.config
    }

    fn url(&self, segments: &[&str]) -> Result<Url, AmazonError> {
        let mut url = self.config.base_url.clone();
        url.path_segments_mut()
            .map_err(|()| AmazonError::Config("base URL cannot take a path".into()))?
            .pop_if_empty()
            .extend(segments);
        Ok(url)
    }

    /// One `GET /orders/v0/orders` page: orders updated after
    /// `last_updated_after`, or the page `next_token` points at.
    pub async fn get_orders(
        &self,
        last_updated_after: DateTime<Utc>,
        next_token: Option<&str>,
    ) -> Result<OrdersPage, AmazonError> {
        let mut url = self.url(&["orders", "v0", "orders"])?;
        {
            let mut query = url.query_pairs_mut();
            query.append_pair("MarketplaceIds", &self.config.marketplace_ids.join(","));
            match next_token {
                // With a NextToken Amazon continues the original query.
                Some(token) => {
                    query.append_pair("NextToken", token);
                }
                None => {
                    query.append_pair(
                        "LastUpdatedAfter",
                        &last_updated_after.to_rfc3339_opts(SecondsFormat::Secs, true),
                    );
                    if let Some(n) = self.config.max_results_per_page {
                        query.append_pair("MaxResultsPerPage", &n.to_string());
                    }
                }
            }
        }
        let body = self.get_json(GET_ORDERS, &self.orders_pacer, url).await?;
        let payload = payload_of(GET_ORDERS, &body)?;
        let orders = payload
            .get("Orders")
            .and_then(Value::as_array)
            .cloned()
            .ok_or_else(|| decode(GET_ORDERS, "payload.Orders is not an array"))?;
        Ok(OrdersPage {
            orders,
            next_token: next_token_of(payload),
        })
    }

    /// Every item of an order (`GET /orders/v0/orders/{id}/orderItems`, all pages).
    pub async fn get_order_items(&self, order_id: &str) -> Result<Vec<Value>, AmazonError> {
        let mut items = Vec::new();
        let mut next_token: Option<String> = None;
        loop {
            let mut url = self.url(&["orders", "v0", "orders", order_id, "orderItems"])?;
            if let Some(token) = &next_token {
                url.query_pairs_mut().append_pair("NextToken", token);
            }
            let body = self
                .get_json(GET_ORDER_ITEMS, &self.items_pacer, url)
                .await?;
            let payload = payload_of(GET_ORDER_ITEMS, &body)?;
            if let Some(id) = payload.get("AmazonOrderId").and_then(Value::as_str)
                && id != order_id
            {
                return Err(decode(
                    GET_ORDER_ITEMS,
                    &format!("asked for the items of {order_id}, got those of {id}"),
                ));
            }
            let page = payload
                .get("OrderItems")
                .and_then(Value::as_array)
                .ok_or_else(|| decode(GET_ORDER_ITEMS, "payload.OrderItems is not an array"))?;
            items.extend(page.iter().cloned());
            match next_token_of(payload) {
                Some(token) if next_token.as_deref() != Some(token.as_str()) => {
                    next_token = Some(token)
                }
                Some(_) => return Err(decode(GET_ORDER_ITEMS, "NextToken repeats itself")),
                None => return Ok(items),
            }
        }
    }

    /// Pulls every order version updated since `cursor` (minus the overlap),
    /// with its items, skipping versions the cursor already returned.
    /// Returns the bundles (oldest page first) and the next cursor. Store the
    /// bundles before the cursor; on error keep the old cursor and pull again.
    pub async fn pull_since(
        &self,
        cursor: &PullCursor,
    ) -> Result<(Vec<AmazonOrderBundle>, PullCursor), AmazonError> {
        let after = cursor.query_start(self.config.overlap);
        let mut bundles = Vec::new();
        let mut versions: Vec<(String, String, DateTime<Utc>)> = Vec::new();
        let mut this_pull: HashSet<(String, String)> = HashSet::new();
        let mut next_token: Option<String> = None;
        loop {
            let page = self.get_orders(after, next_token.as_deref()).await?;
            for order in page.orders {
                let id = text_field(&order, "AmazonOrderId")?;
                let updated = text_field(&order, "LastUpdateDate")?;
                let at = parse_date(&updated).ok_or_else(|| {
                    decode(
                        GET_ORDERS,
                        &format!("order {id} has LastUpdateDate {updated:?}, not ISO 8601"),
                    )
                })?;
                versions.push((id.clone(), updated.clone(), at));
                if cursor.has_seen(&id, &updated) || !this_pull.insert((id.clone(), updated)) {
                    continue;
                }
                let status = OrderStatus::parse(
                    order
                        .get("OrderStatus")
                        .and_then(Value::as_str)
                        .unwrap_or_default(),
                );
                let items = if status.is_deferred() {
                    Vec::new()
                } else {
                    self.get_order_items(&id).await?
                };
                bundles.push(AmazonOrderBundle {
                    order,
                    items,
                    address: None,
                    buyer: None,
                });
            }
            match page.next_token {
                Some(token) if next_token.as_deref() != Some(token.as_str()) => {
                    next_token = Some(token)
                }
                Some(_) => return Err(decode(GET_ORDERS, "NextToken repeats itself")),
                None => break,
            }
        }
        let next = cursor.advance(
            versions
                .iter()
                .map(|(id, text, at)| (id.as_str(), text.as_str(), *at)),
            self.config.overlap,
        );
        Ok((bundles, next))
    }

    /// GET with token, pacing and retries; the decoded JSON body of a 2xx.
    async fn get_json(
        &self,
        operation: &'static str,
        pacer: &Pacer,
        url: Url,
    ) -> Result<Value, AmazonError> {
        let policy = &self.config.retry;
        let max_attempts = policy.max_attempts.max(1);
        let mut attempt = 0u32;
        let mut token_renewed = false;
        loop {
            attempt += 1;
            pacer.acquire().await;
            let token = self.tokens.access_token().await?;
            let sent = self
                .http
                .get(url.clone())
                .header("x-amz-access-token", token)
                .header(reqwest::header::ACCEPT, "application/json")
                .send()
                .await;
            let response = match sent {
                Ok(response) => response,
                Err(e) => {
                    let message = e.without_url().to_string();
                    if attempt < max_attempts {
                        tokio::time::sleep(policy.backoff(attempt)).await;
                        continue;
                    }
                    return Err(AmazonError::Transport { operation, message });
                }
            };
            let status = response.status();
            let headers = response.headers().clone();
            if let Some(rate) = header_f64(&headers, "x-amzn-ratelimit-limit") {
                pacer.set_rate(rate).await;
            }
            let body = match response.bytes().await {
                Ok(body) => body,
                Err(e) => {
                    let message = e.without_url().to_string();
                    if attempt < max_attempts {
                        tokio::time::sleep(policy.backoff(attempt)).await;
                        continue;
                    }
                    return Err(AmazonError::Transport { operation, message });
                }
            };
            if status.is_success() {
                return serde_json::from_slice(&body)
                    .map_err(|e| decode(operation, &format!("body is not JSON: {e}")));
            }
            let errors = errors_of(&body);
            if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) && !token_renewed
            {
                token_renewed = true;
                self.tokens.invalidate().await;
                continue;
            }
            if is_retryable(status) {
                let interval = if status == StatusCode::TOO_MANY_REQUESTS {
                    pacer.drain().await
                } else {
                    Duration::ZERO
                };
                let wait = policy.backoff(attempt).max(interval).max(
                    header_f64(&headers, "retry-after").map_or(Duration::ZERO, |s| {
                        Duration::try_from_secs_f64(s).unwrap_or(Duration::ZERO)
                    }),
                );
                if attempt >= max_attempts {
                    return Err(AmazonError::RetriesExhausted {
                        operation,
                        status: status.as_u16(),
                        attempts: attempt,
                        last_wait: wait,
                        errors,
                    });
                }
                tokio::time::sleep(wait).await;
                continue;
            }
            let (code, message) = match errors.first() {
                Some(e) => (e.code.clone(), e.message.clone()),
                None => (
                    format!("HTTP{}", status.as_u16()),
                    String::from_utf8_lossy(&body).chars().take(200).collect(),
                ),
            };
            return Err(AmazonError::Api {
                operation,
                status: status.as_u16(),
                code,
                message,
                errors,
            });
        }
    }
}

fn is_retryable(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS || matches!(status.as_u16(), 500 | 502 | 503 | 504)
}

fn header_f64(headers: &reqwest::header::HeaderMap, name: &str) -> Option<f64> {
    headers
        .get(name)?
        .to_str()
        .ok()?
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
}

/// Amazon's `{"errors": [...]}`, or nothing if the body is something else.
fn errors_of(body: &[u8]) -> Vec<ApiErrorItem> {
    #[derive(serde::Deserialize)]
    struct Errors {
        #[serde(default)]
        errors: Vec<ApiErrorItem>,
    }
    serde_json::from_slice::<Errors>(body)
        .map(|e| e.errors)
        .unwrap_or_default()
}

fn payload_of<'a>(operation: &'static str, body: &'a Value) -> Result<&'a Value, AmazonError> {
    body.get("payload")
        .filter(|p| p.is_object())
        .ok_or_else(|| decode(operation, "no payload object"))
}

fn next_token_of(payload: &Value) -> Option<String> {
    payload
        .get("NextToken")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

fn text_field(order: &Value, name: &str) -> Result<String, AmazonError> {
    order
        .get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| decode(GET_ORDERS, &format!("an order has no {name}")))
}

fn decode(operation: &'static str, message: &str) -> AmazonError {
    AmazonError::Decode {
        operation,
        message: message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let policy = RetryPolicy {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(350),
        };
        assert_eq!(policy.backoff(1), Duration::from_millis(100));
        assert_eq!(policy.backoff(2), Duration::from_millis(200));
        assert_eq!(policy.backoff(3), Duration::from_millis(350));
        assert_eq!(policy.backoff(40), Duration::from_millis(350));
    }

    #[test]
    fn amazon_error_bodies() {
        let body = br#"{"errors":[{"code":"InvalidInput","message":"Invalid Input"}]}"#;
        assert_eq!(
            errors_of(body),
            vec![ApiErrorItem {
                code: "InvalidInput".into(),
                message: "Invalid Input".into(),
                details: None
            }]
        );
        assert!(errors_of(b"<html>").is_empty());
    }

    #[test]
    fn config_is_checked() {
        let tokens: Arc<dyn TokenProvider> =
            Arc::new(super::super::StaticToken(super::super::Secret::new("t")));
        let base = Url::parse("https://sellingpartnerapi-na.amazon.com").expect("url");
        assert!(matches!(
            SpApiClient::new(SpApiConfig::new(base.clone(), vec![]), tokens.clone()),
            Err(AmazonError::Config(_))
        ));
        let client = SpApiClient::new(SpApiConfig::new(base, vec!["ATVPDKIKX0DER".into()]), tokens)
            .expect("client");
        assert_eq!(
            client
                .url(&["orders", "v0", "orders", "a/b", "orderItems"])
                .expect("url")
                .as_str(),
            "https://sellingpartnerapi-na.amazon.com/orders/v0/orders/a%2Fb/orderItems"
        );
    }
}
