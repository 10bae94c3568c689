//! [`OdooClient`]: one typed API over every protocol, with authentication,
//! re-authentication, retries, the rate limit and call counting.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

use crate::limit::{Limiter, RateLimit};
use crate::retry::{RetryPolicy, RetrySafety};
use crate::transport::Protocol;
use crate::{OdooError, transport};

/// How to reach one Odoo database.
///
/// Build it with a struct literal and `..Default::default()`:
///
/// ```
/// # use o2c_odoo::{OdooConfig, Protocol};
/// let cfg = OdooConfig {
///     url: "https://acme.odoo.com".into(),
///     db: "acme".into(),
///     login: "integration@acme.com".into(),
///     secret: std::env::var("ODOO_API_KEY").unwrap_or_default(),
///     ..Default::default()
/// };
/// assert_eq!(cfg.protocol, Protocol::Auto);
/// ```
#[derive(Clone)]
pub struct OdooConfig {
    /// Base URL, e.g. `http://127.0.0.1:8069`.
    pub url: String,
    pub db: String,
    pub login: String,
    /// Password or API key. Never logged (see the `Debug` impl).
    pub secret: String,
    /// Per HTTP request. A call that times out is an
    /// [`OdooError::Timeout`]: it may still commit on the server.
    pub timeout: Duration,
    /// Calls in flight at once toward this database (from this client).
    pub max_concurrency: usize,
    /// Which wire protocol to speak; `Auto` decides from the server's
    /// version and the kind of secret (see [`Protocol::Auto`]).
    pub protocol: Protocol,
    /// Token bucket toward this database, shared by the clients of this
    /// process with the same URL, database and quota.
    pub rate_limit: RateLimit,
    /// Retries of transient failures.
    pub retry: RetryPolicy,
}

impl Default for OdooConfig {
    fn default() -> Self {
        OdooConfig {
            url: "http://127.0.0.1:8069".into(),
            db: String::new(),
            login: String::new(),
            secret: String::new(),
            timeout: Duration::from_secs(30),
            max_concurrency: 4,
            protocol: Protocol::Auto,
            rate_limit: RateLimit::default(),
            retry: RetryPolicy::default(),
        }
    }
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
            .field("protocol", &self.protocol)
            .field("rate_limit", &self.rate_limit)
            .field("retry", &self.retry)
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

/// Per-call settings for [`OdooClient::execute_kw_with`].
#[derive(Debug, Clone, Copy, Default)]
pub struct CallOptions<'a> {
    /// Sent as `X-Correlation-Id`.
    pub correlation_id: Option<&'a str>,
    /// `None`: [`RetrySafety::for_method`].
    pub safety: Option<RetrySafety>,
}

/// The credentials Odoo accepted: the uid, and for the web-session path
/// the `session_id` cookie.
#[derive(Clone)]
pub(crate) struct AuthState {
    pub(crate) uid: i64,
    pub(crate) cookie: Option<String>,
}

/// A client for one Odoo database. Cheap to share behind an `Arc`; all
/// methods take `&self`.
pub struct OdooClient {
    pub(crate) config: OdooConfig,
    pub(crate) http: reqwest::Client,
    auth: tokio::sync::Mutex<Option<AuthState>>,
    resolved: tokio::sync::OnceCell<Protocol>,
    limiter: Limiter,
    calls: AtomicU64,
    retries: AtomicU64,
    by_method: Mutex<HashMap<(String, String), u64>>,
    pub(crate) next_id: AtomicU64,
    pub(crate) countries: Mutex<HashMap<String, Option<i64>>>,
}

impl fmt::Debug for OdooClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OdooClient")
            .field("config", &self.config)
            .field("protocol", &self.resolved.get())
            .field("calls", &self.calls())
            .finish()
    }
}

/// An HTTP answer that passed the checks common to every protocol.
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: reqwest::header::HeaderMap,
    pub(crate) body: String,
}

impl OdooClient {
    pub fn new(config: OdooConfig) -> Result<OdooClient, OdooError> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .build()
            .map_err(|e| OdooError::protocol(format!("building the HTTP client: {e}")))?;
        let limiter = Limiter::new(
            &config.url,
            &config.db,
            config.rate_limit,
            config.max_concurrency,
        );
        Ok(OdooClient {
            config,
            http,
            auth: tokio::sync::Mutex::new(None),
            resolved: tokio::sync::OnceCell::new(),
            limiter,
            calls: AtomicU64::new(0),
            retries: AtomicU64::new(0),
            by_method: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(1),
            countries: Mutex::new(HashMap::new()),
        })
    }

    pub fn config(&self) -> &OdooConfig {
        &self.config
    }

    /// HTTP calls made to Odoo so far (authentication, version and retries
    /// included).
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    /// The counter itself, for callers that want to share or reset it.
    pub fn call_counter(&self) -> &AtomicU64 {
        &self.calls
    }

    /// HTTP calls per `(model, method)`; authentication is counted as
    /// `("common", "authenticate")` (JSON-RPC, XML-RPC),
    /// `("web", "session/authenticate")` or `("res.users", "search_read")`
    /// (JSON-2), the version check as `("web", "version_info")`.
    pub fn call_counts(&self) -> HashMap<(String, String), u64> {
        self.by_method
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Retries made so far (each is also counted in [`Self::calls`]).
    pub fn retries(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }

    /// One HTTP POST under the rate limit and the concurrency cap, counted
    /// under `key`. Maps what every protocol shares: connection failures
    /// (Transient), timeouts and resets (Timeout), 429 (RateLimited),
    /// 502/503 (Transient), 504 (Timeout).
    pub(crate) async fn send(
        &self,
        request: reqwest::RequestBuilder,
        key: (&str, &str),
    ) -> Result<Reply, OdooError> {
        let _permit = self
            .limiter
            .acquire()
            .await
            .ok_or_else(|| OdooError::protocol("client closed"))?;
        self.calls.fetch_add(1, Ordering::Relaxed);
        *self
            .by_method
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry((key.0.to_string(), key.1.to_string()))
            .or_default() += 1;
        let request = request
            .build()
            .map_err(|e| OdooError::protocol(format!("building the request: {e}")))?;
        let url = request.url().clone();
        let what = format!("{} {}", url.path(), key.1);
        let resp = self.http.execute(request).await.map_err(|e| {
            if e.is_connect() {
                OdooError::Transient {
                    message: format!("{what}: cannot connect: {e}"),
                }
            } else if e.is_timeout() {
                OdooError::Timeout {
                    message: format!("{what}: no answer within {:?}", self.config.timeout),
                }
            } else {
                OdooError::Timeout {
                    message: format!("{what}: {e}"),
                }
            }
        })?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        match status {
            429 => {
                let retry_after = headers
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|s| s.trim().parse::<u64>().ok())
                    .map(Duration::from_secs);
                return Err(OdooError::RateLimited { retry_after });
            }
            502 | 503 => {
                return Err(OdooError::Transient {
                    message: format!("{what}: HTTP {status}"),
                });
            }
            504 => {
                return Err(OdooError::Timeout {
                    message: format!("{what}: HTTP 504 (the proxy gave up; Odoo may still commit)"),
                });
            }
            _ => {}
        }
        let body = resp.text().await.map_err(|e| {
            if e.is_timeout() {
                OdooError::Timeout {
                    message: format!(
                        "{what}: no complete answer within {:?}",
                        self.config.timeout
                    ),
                }
            } else {
                OdooError::Timeout {
                    message: format!("{what}: reading the body: {e}"),
                }
            }
        })?;
        Ok(Reply {
            status,
            headers,
            body,
        })
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.config.url.trim_end_matches('/'))
    }

    /// The protocol in use: the configured one, or for `Auto` the one
    /// chosen from the server version (asked once, then cached).
    pub async fn protocol(&self) -> Result<Protocol, OdooError> {
        if self.config.protocol != Protocol::Auto {
            return Ok(self.config.protocol);
        }
        // Only an API key can make the choice differ from JSON-RPC, so a
        // password costs no version probe.
        if !transport::looks_like_api_key(&self.config.secret) {
            return Ok(Protocol::JsonRpc);
        }
        self.resolved
            .get_or_try_init(|| async {
                let chosen = match self
                    .with_retry(RetrySafety::Safe, "version_info", || self.version_once())
                    .await
                {
                    Ok(version) => {
                        let chosen = Protocol::auto_choice(version.major, &self.config.secret);
                        tracing::info!(
                            server_version = %version.server_version,
                            protocol = ?chosen,
                            "Odoo protocol chosen"
                        );
                        chosen
                    }
                    // No (JSON) version route: an old or unusual server.
                    Err(OdooError::Protocol { message }) => {
                        tracing::warn!(%message, "no Odoo version info; using JSON-RPC");
                        Protocol::JsonRpc
                    }
                    Err(e) => return Err(e),
                };
                Ok(chosen)
            })
            .await
            .copied()
    }

    /// Runs `f` again after transient failures, per the retry policy.
    pub(crate) async fn with_retry<T, F, Fut>(
        &self,
        safety: RetrySafety,
        what: &str,
        mut f: F,
    ) -> Result<T, OdooError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, OdooError>>,
    {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match f().await {
                Ok(v) => return Ok(v),
                Err(e) => match self.config.retry.next_delay(&e, safety, attempt) {
                    Some(delay) => {
                        self.retries.fetch_add(1, Ordering::Relaxed);
                        tracing::warn!(
                            call = what,
                            attempt,
                            delay_ms = delay.as_millis() as u64,
                            error = %e,
                            "Odoo call failed; retrying"
                        );
                        tokio::time::sleep(delay).await;
                    }
                    None => {
                        if e.outcome_unknown() && safety == RetrySafety::UnsafeAfterTimeout {
                            tracing::warn!(
                                call = what,
                                error = %e,
                                "non-idempotent Odoo call got no answer; not retried (check by natural key)"
                            );
                        }
                        return Err(e);
                    }
                },
            }
        }
    }

    /// Logs in (fresh, not from the cache) and caches the uid; returns it.
    /// JSON-RPC/XML-RPC: `common.authenticate`; web session:
    /// `/web/session/authenticate` (keeps the cookie); JSON-2: the key's
    /// user, found by login.
    pub async fn authenticate(&self) -> Result<i64, OdooError> {
        let protocol = self.protocol().await?;
        let mut guard = self.auth.lock().await;
        let state = self
            .with_retry(RetrySafety::Safe, "authenticate", || self.login(protocol))
            .await?;
        let uid = state.uid;
        *guard = Some(state);
        Ok(uid)
    }

    async fn login(&self, protocol: Protocol) -> Result<AuthState, OdooError> {
        match protocol {
            Protocol::XmlRpc => self.xmlrpc_login().await,
            Protocol::WebSession => self.web_login().await,
            Protocol::Json2 => self.json2_login().await,
            Protocol::JsonRpc | Protocol::Auto => self.jsonrpc_login().await,
        }
    }

    async fn auth_state(&self, protocol: Protocol) -> Result<AuthState, OdooError> {
        let mut guard = self.auth.lock().await;
        if let Some(state) = guard.as_ref() {
            return Ok(state.clone());
        }
        let state = self
            .with_retry(RetrySafety::Safe, "authenticate", || self.login(protocol))
            .await?;
        *guard = Some(state.clone());
        Ok(state)
    }

    /// The cached uid, authenticating first if needed.
    pub async fn uid(&self) -> Result<i64, OdooError> {
        let protocol = self.protocol().await?;
        Ok(self.auth_state(protocol).await?.uid)
    }

    /// `execute_kw(model, method, args, kwargs)` over the configured
    /// protocol. Returns `Null` when the method returned `None` (also over
    /// XML-RPC, where Odoo answers with a "cannot marshal None" fault
    /// *after* committing the work). A call refused because the
    /// session/uid is no longer valid is retried once after a fresh login.
    /// Transient failures are retried per [`RetrySafety::for_method`]: reads
    /// and `load` always, other methods only when the call certainly did
    /// not run (see [`crate::retry`]). The correlation id, if any, is sent
    /// as `X-Correlation-Id`.
    pub async fn execute_kw(
        &self,
        model: &str,
        method: &str,
        args: Value,
        kwargs: Value,
        correlation_id: Option<&str>,
    ) -> Result<Value, OdooError> {
        self.execute_kw_with(
            model,
            method,
            args,
            kwargs,
            CallOptions {
                correlation_id,
                safety: None,
            },
        )
        .await
    }

    /// [`Self::execute_kw`] for a call the caller knows to be idempotent
    /// (an upsert, a write of absolute values, a call guarded by a natural
    /// key): retried after timeouts too.
    pub async fn execute_kw_idempotent(
        &self,
        model: &str,
        method: &str,
        args: Value,
        kwargs: Value,
        correlation_id: Option<&str>,
    ) -> Result<Value, OdooError> {
        self.execute_kw_with(
            model,
            method,
            args,
            kwargs,
            CallOptions {
                correlation_id,
                safety: Some(RetrySafety::Safe),
            },
        )
        .await
    }

    /// [`Self::execute_kw`] with explicit [`CallOptions`].
    pub async fn execute_kw_with(
        &self,
        model: &str,
        method: &str,
        args: Value,
        kwargs: Value,
        options: CallOptions<'_>,
    ) -> Result<Value, OdooError> {
        let safety = options
            .safety
            .unwrap_or_else(|| RetrySafety::for_method(method));
        let args = if args.is_null() { json!([]) } else { args };
        let kwargs = if kwargs.is_null() { json!({}) } else { kwargs };
        let kwargs = crate::company::with_company(kwargs, crate::company::current());
        let what = format!("{model}.{method}");
        self.with_retry(safety, &what, || {
            self.execute_reauth(model, method, &args, &kwargs, options.correlation_id)
        })
        .await
    }

    async fn execute_reauth(
        &self,
        model: &str,
        method: &str,
        args: &Value,
        kwargs: &Value,
        correlation_id: Option<&str>,
    ) -> Result<Value, OdooError> {
        let protocol = self.protocol().await?;
        if protocol == Protocol::Json2 {
            // Stateless: the key is checked on every call; nothing to renew.
            return self
                .json2_execute(model, method, args, kwargs, correlation_id)
                .await;
        }
        let state = self.auth_state(protocol).await?;
        match self
            .execute_once(
                protocol,
                &state,
                model,
                method,
                args,
                kwargs,
                correlation_id,
            )
            .await
        {
            Err(e) if e.is_auth() => {
                tracing::info!(
                    model,
                    method,
                    "Odoo refused the session/uid; authenticating again"
                );
                {
                    let mut guard = self.auth.lock().await;
                    if guard.as_ref().map(|s| (s.uid, s.cookie.clone()))
                        == Some((state.uid, state.cookie.clone()))
                    {
                        *guard = None;
                    }
                }
                let state = self.auth_state(protocol).await?;
                self.execute_once(
                    protocol,
                    &state,
                    model,
                    method,
                    args,
                    kwargs,
                    correlation_id,
                )
                .await
            }
            other => other,
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn execute_once(
        &self,
        protocol: Protocol,
        state: &AuthState,
        model: &str,
        method: &str,
        args: &Value,
        kwargs: &Value,
        correlation_id: Option<&str>,
    ) -> Result<Value, OdooError> {
        let started = std::time::Instant::now();
        let result = match protocol {
            Protocol::XmlRpc => {
                self.xmlrpc_execute(state.uid, model, method, args, kwargs, correlation_id)
                    .await
            }
            Protocol::WebSession => {
                self.web_execute(state, model, method, args, kwargs, correlation_id)
                    .await
            }
            Protocol::Json2 => {
                self.json2_execute(model, method, args, kwargs, correlation_id)
                    .await
            }
            Protocol::JsonRpc | Protocol::Auto => {
                self.jsonrpc_execute(state.uid, model, method, args, kwargs, correlation_id)
                    .await
            }
        };
        tracing::debug!(
            model,
            method,
            protocol = ?protocol,
            correlation_id = correlation_id.unwrap_or(""),
            elapsed_ms = started.elapsed().as_millis() as u64,
            ok = result.is_ok(),
            "odoo execute_kw"
        );
        result
    }

    /// `/web/webclient/version_info` (retried like a read).
    pub async fn version(&self) -> Result<ServerVersion, OdooError> {
        self.with_retry(RetrySafety::Safe, "version_info", || self.version_once())
            .await
    }

    async fn version_once(&self) -> Result<ServerVersion, OdooError> {
        let raw = self
            .jsonrpc_call(
                "/web/webclient/version_info",
                json!({}),
                None,
                ("web", "version_info"),
            )
            .await?;
        transport::parse_version(raw)
    }
}
