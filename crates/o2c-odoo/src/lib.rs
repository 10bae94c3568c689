//! The Odoo connector: a JSON-RPC client ([`OdooClient`]) with typed errors
//! ([`OdooError`]), and the idempotent operations of the order path
//! ([`ops`]). Takes plain Rust inputs; knows nothing of the canonical model.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::Semaphore;

mod error;
pub mod ops;

pub use error::OdooError;
pub use ops::{
    PartnerInfo, PartnerValues, ProductInfo, SaleLineValues, SaleOrderInfo, SaleOrderLineInfo,
    SaleOrderValues,
};

/// How to reach one Odoo database.
#[derive(Clone)]
pub struct OdooConfig {
    /// Base URL, e.g. `http://127.0.0.1:8069`.
    pub url: String,
    pub db: String,
    pub login: String,
    /// Password or API key. Never logged (see the `Debug` impl).
    pub secret: String,
    /// Per HTTP request.
    pub timeout: Duration,
    /// Calls in flight at once toward this database.
    pub max_concurrency: usize,
}

impl fmt::Debug for OdooConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OdooConfig")
            .field("url", &self.url)
            .field("db", &self.db)
            .field("login", &self.login)
            .field("secret", &"<redacted>")
            .field("timeout", &self.timeout)
            .field("max_concurrency", &self.max_concurrency)
            .finish()
    }
}

/// What `/web/webclient/version_info` reports.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerVersion {
    /// e.g. `"16.0"`, `"18.0+e-20241005"`.
    pub server_version: String,
    /// e.g. 16.
    pub major: u32,
    /// The whole answer.
    pub raw: Value,
}

/// A JSON-RPC client for one Odoo database (`/jsonrpc`, `common` and
/// `object` services). Cheap to share behind an `Arc`; all methods take
/// `&self`.
pub struct OdooClient {
    config: OdooConfig,
    http: reqwest::Client,
    uid: tokio::sync::Mutex<Option<i64>>,
    limit: Semaphore,
    calls: AtomicU64,
    next_id: AtomicU64,
    pub(crate) countries: Mutex<HashMap<String, Option<i64>>>,
}

impl fmt::Debug for OdooClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OdooClient")
            .field("config", &self.config)
            .field("calls", &self.calls())
            .finish()
    }
}

impl OdooClient {
    pub fn new(config: OdooConfig) -> Result<OdooClient, OdooError> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .build()
            .map_err(|e| OdooError::protocol(format!("building the HTTP client: {e}")))?;
        let permits = config.max_concurrency.max(1);
        Ok(OdooClient {
            config,
            http,
            uid: tokio::sync::Mutex::new(None),
            limit: Semaphore::new(permits),
            calls: AtomicU64::new(0),
            next_id: AtomicU64::new(1),
            countries: Mutex::new(HashMap::new()),
        })
    }

    pub fn config(&self) -> &OdooConfig {
        &self.config
    }

    /// HTTP calls made to Odoo so far (authentication included).
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    /// The counter itself, for callers that want to share or reset it.
    pub fn call_counter(&self) -> &AtomicU64 {
        &self.calls
    }

    /// One JSON-RPC `call` to `path`; `Ok(Null)` when the answer has no
    /// `result` key (Python `None`).
    async fn rpc(
        &self,
        path: &str,
        params: Value,
        correlation_id: Option<&str>,
    ) -> Result<Value, OdooError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let body = json!({"jsonrpc": "2.0", "method": "call", "params": params, "id": id});
        let url = format!("{}{path}", self.config.url.trim_end_matches('/'));
        let _permit = self
            .limit
            .acquire()
            .await
            .map_err(|_| OdooError::protocol("client closed"))?;
        self.calls.fetch_add(1, Ordering::Relaxed);
        let mut req = self.http.post(&url).json(&body);
        if let Some(c) = correlation_id {
            req = req.header("X-Correlation-Id", c);
        }
        let resp = req.send().await.map_err(|e| OdooError::Transient {
            message: format!("{url}: {e}"),
        })?;
        let status = resp.status();
        if status.as_u16() == 429 {
            let retry_after = resp
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|s| s.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            return Err(OdooError::RateLimited { retry_after });
        }
        if status.is_server_error() {
            return Err(OdooError::Transient {
                message: format!("{url}: HTTP {status}"),
            });
        }
        let text = resp.text().await.map_err(|e| OdooError::Transient {
            message: format!("{url}: reading the body: {e}"),
        })?;
        if !status.is_success() {
            return Err(OdooError::protocol(format!(
                "{url}: HTTP {status}: {}",
                text.chars().take(200).collect::<String>()
            )));
        }
        let v: Value = serde_json::from_str(&text).map_err(|e| {
            OdooError::protocol(format!(
                "{url}: not JSON ({e}): {}",
                text.chars().take(200).collect::<String>()
            ))
        })?;
        if let Some(err) = v.get("error") {
            return Err(OdooError::from_rpc_error(err));
        }
        if !v.is_object() {
            return Err(OdooError::protocol(format!(
                "{url}: not a JSON-RPC response"
            )));
        }
        Ok(v.get("result").cloned().unwrap_or(Value::Null))
    }

    /// `common.authenticate`; caches and returns the uid.
    pub async fn authenticate(&self) -> Result<i64, OdooError> {
        let mut guard = self.uid.lock().await;
        let uid = self.login().await?;
        *guard = Some(uid);
        Ok(uid)
    }

    async fn login(&self) -> Result<i64, OdooError> {
        let c = &self.config;
        let result = self
            .rpc(
                "/jsonrpc",
                json!({"service": "common", "method": "authenticate", "args": [c.db, c.login, c.secret, {}]}),
                None,
            )
            .await?;
        match result {
            Value::Number(n) => n
                .as_i64()
                .ok_or_else(|| OdooError::protocol(format!("authenticate returned {n}"))),
            Value::Bool(false) => Err(OdooError::AccessDenied {
                message: format!(
                    "Odoo refused the login {:?} on database {:?}",
                    c.login, c.db
                ),
            }),
            other => Err(OdooError::protocol(format!(
                "authenticate returned {other}"
            ))),
        }
    }

    /// The cached uid, authenticating first if needed.
    pub async fn uid(&self) -> Result<i64, OdooError> {
        let mut guard = self.uid.lock().await;
        if let Some(uid) = *guard {
            return Ok(uid);
        }
        let uid = self.login().await?;
        *guard = Some(uid);
        Ok(uid)
    }

    /// `object.execute_kw(model, method, args, kwargs)`. Returns `Null` when
    /// the method returned `None`. A call refused as unauthenticated is
    /// retried once after a fresh `authenticate`. The correlation id, if
    /// any, is sent as `X-Correlation-Id`.
    pub async fn execute_kw(
        &self,
        model: &str,
        method: &str,
        args: Value,
        kwargs: Value,
        correlation_id: Option<&str>,
    ) -> Result<Value, OdooError> {
        let uid = self.uid().await?;
        match self
            .execute_as(uid, model, method, &args, &kwargs, correlation_id)
            .await
        {
            Err(e) if e.is_auth() => {
                tracing::info!(
                    model,
                    method,
                    "Odoo refused the session; authenticating again"
                );
                {
                    let mut guard = self.uid.lock().await;
                    if *guard == Some(uid) {
                        *guard = None;
                    }
                }
                let uid = self.uid().await?;
                self.execute_as(uid, model, method, &args, &kwargs, correlation_id)
                    .await
            }
            other => other,
        }
    }

    async fn execute_as(
        &self,
        uid: i64,
        model: &str,
        method: &str,
        args: &Value,
        kwargs: &Value,
        correlation_id: Option<&str>,
    ) -> Result<Value, OdooError> {
        let c = &self.config;
        let kwargs = if kwargs.is_null() {
            json!({})
        } else {
            kwargs.clone()
        };
        let args = if args.is_null() {
            json!([])
        } else {
            args.clone()
        };
        let started = std::time::Instant::now();
        let result = self
            .rpc(
                "/jsonrpc",
                json!({"service": "object", "method": "execute_kw",
                       "args": [c.db, uid, c.secret, model, method, args, kwargs]}),
                correlation_id,
            )
            .await;
        tracing::debug!(
            model,
            method,
            correlation_id = correlation_id.unwrap_or(""),
            elapsed_ms = started.elapsed().as_millis() as u64,
            ok = result.is_ok(),
            "odoo execute_kw"
        );
        result
    }

    /// `/web/webclient/version_info`.
    pub async fn version(&self) -> Result<ServerVersion, OdooError> {
        let raw = self
            .rpc("/web/webclient/version_info", json!({}), None)
            .await?;
        let server_version = raw
            .get("server_version")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                OdooError::protocol(format!("version_info without server_version: {raw}"))
            })?
            .to_string();
        let major = raw
            .get("server_version_info")
            .and_then(|v| v.get(0))
            .and_then(Value::as_u64)
            .map(|n| n as u32)
            .or_else(|| {
                server_version
                    .split('.')
                    .next()
                    .and_then(|s| s.parse().ok())
            })
            .ok_or_else(|| OdooError::protocol(format!("unreadable version {server_version}")))?;
        Ok(ServerVersion {
            server_version,
            major,
            raw,
        })
    }
}
