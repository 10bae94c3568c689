//! Login with Amazon (LWA): the access token every SP-API call carries in
//! `x-amz-access-token`. The real provider exchanges the seller's refresh
//! token at a configurable token URL (`https://api.amazon.com/auth/o2/token`
//! in production) and caches the access token until shortly before it expires.

use std::fmt;
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;
use url::Url;

use super::error::TokenError;

/// Where SP-API calls get their access token.
#[async_trait::async_trait]
pub trait TokenProvider: Send + Sync {
    /// A valid access token (cached or fresh).
    async fn access_token(&self) -> Result<String, TokenError>;
    /// Forgets a cached token (after Amazon answered 401/403 with it).
    async fn invalidate(&self) {}
}

/// A text that must never be printed (refresh token, client secret, token).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    /// The secret itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// A fixed token (tests, or a token obtained elsewhere).
#[derive(Debug, Clone)]
pub struct StaticToken(pub Secret);

#[async_trait::async_trait]
impl TokenProvider for StaticToken {
    async fn access_token(&self) -> Result<String, TokenError> {
        Ok(self.0.expose().to_owned())
    }
}

/// LWA credentials of one selling-partner authorisation.
#[derive(Debug, Clone)]
pub struct LwaConfig {
    /// Token endpoint, `https://api.amazon.com/auth/o2/token` in production.
    pub token_url: Url,
    pub client_id: String,
    pub client_secret: Secret,
    pub refresh_token: Secret,
    /// A token is renewed this long before Amazon says it expires.
    pub refresh_margin: Duration,
    /// Per-request timeout.
    pub timeout: Duration,
}

impl LwaConfig {
    /// Production token URL and default margins.
    pub fn new(
        client_id: impl Into<String>,
        client_secret: Secret,
        refresh_token: Secret,
    ) -> Result<Self, TokenError> {
        let token_url = Url::parse("https://api.amazon.com/auth/o2/token")
            .map_err(|e| TokenError::Transport(e.to_string()))?;
        Ok(Self {
            token_url,
            client_id: client_id.into(),
            client_secret,
            refresh_token,
            refresh_margin: Duration::from_secs(60),
            timeout: Duration::from_secs(30),
        })
    }
}

struct Cached {
    token: Secret,
    renew_at: Instant,
}

/// Exchanges the refresh token for access tokens (`grant_type=refresh_token`).
pub struct LwaTokenProvider {
    http: reqwest::Client,
    config: LwaConfig,
    cached: Mutex<Option<Cached>>,
}

impl fmt::Debug for LwaTokenProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LwaTokenProvider")
            .field("token_url", &self.config.token_url.as_str())
            .field("client_id", &self.config.client_id)
            .finish_non_exhaustive()
    }
}

#[derive(serde::Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

#[derive(serde::Deserialize, Default)]
struct TokenFailure {
    #[serde(default)]
    error: String,
    #[serde(default)]
    error_description: String,
}

impl LwaTokenProvider {
    pub fn new(config: LwaConfig) -> Result<Self, TokenError> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .build()
            .map_err(|e| TokenError::Transport(e.to_string()))?;
        Ok(Self {
            http,
            config,
            cached: Mutex::new(None),
        })
    }

    async fn exchange(&self) -> Result<(Secret, Duration), TokenError> {
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", self.config.refresh_token.expose()),
            ("client_id", self.config.client_id.as_str()),
            ("client_secret", self.config.client_secret.expose()),
        ];
        let response = self
            .http
            .post(self.config.token_url.clone())
            .form(&form)
            .send()
            .await
            .map_err(|e| TokenError::Transport(e.without_url().to_string()))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| TokenError::Transport(e.without_url().to_string()))?;
        if !status.is_success() {
            let failure: TokenFailure = serde_json::from_slice(&body).unwrap_or_default();
            return Err(TokenError::Rejected {
                status: status.as_u16(),
                error: if failure.error.is_empty() {
                    "unknown_error".into()
                } else {
                    failure.error
                },
                description: failure.error_description,
            });
        }
        let answer: TokenAnswer = serde_json::from_slice(&body)
            .map_err(|e| TokenError::Transport(format!("token answer is not LWA's JSON: {e}")))?;
        if answer.access_token.is_empty() {
            return Err(TokenError::Transport(
                "LWA returned an empty access_token".into(),
            ));
        }
        // LWA tokens live one hour; assume so if the field is missing.
        let lifetime = Duration::from_secs(answer.expires_in.unwrap_or(3600));
        Ok((Secret::new(answer.access_token), lifetime))
    }
}

#[async_trait::async_trait]
impl TokenProvider for LwaTokenProvider {
    async fn access_token(&self) -> Result<String, TokenError> {
        let mut cached = self.cached.lock().await;
        if let Some(c) = cached.as_ref()
            && Instant::now() < c.renew_at
        {
            return Ok(c.token.expose().to_owned());
        }
        let (token, lifetime) = self.exchange().await?;
        let renew_in = lifetime.saturating_sub(self.config.refresh_margin);
        let value = token.expose().to_owned();
        *cached = Some(Cached {
            token,
            renew_at: Instant::now() + renew_in,
        });
        Ok(value)
    }

    async fn invalidate(&self) {
        *self.cached.lock().await = None;
    }
}
