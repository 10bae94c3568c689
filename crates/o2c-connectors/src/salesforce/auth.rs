//! Salesforce OAuth 2.0 for a server-to-server integration: the
//! client-credentials flow (a connected app's consumer key and secret, run
//! as the app's integration user) or the JWT bearer flow (an RS256-signed
//! assertion `{iss: consumer key, sub: username, aud: login URL, exp}`,
//! valid three minutes at most). Salesforce gives no expiry with the token
//! (sessions end by inactivity), so a token is cached until an API call is
//! answered 401, then fetched again.

use std::time::Duration;

use chrono::Utc;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;
use url::Url;

use super::error::SalesforceError;

/// A secret that `Debug` never prints.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// How the hub logs in.
#[derive(Debug, Clone)]
pub enum Grant {
    /// `grant_type=client_credentials`.
    ClientCredentials {
        client_id: String,
        client_secret: Secret,
    },
    /// `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`.
    JwtBearer {
        /// The connected app's consumer key (`iss`).
        client_id: String,
        /// The Salesforce username the hub acts as (`sub`).
        username: String,
        /// PEM of the RSA private key whose certificate the app holds.
        private_key_pem: Secret,
        /// `aud`: `https://login.salesforce.com`, `https://test.salesforce.com`
        /// or the My Domain login URL.
        audience: String,
    },
}

#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// `https://login.salesforce.com` or the org's My Domain URL; the token
    /// endpoint is `<login_url>/services/oauth2/token`.
    pub login_url: Url,
    pub grant: Grant,
    pub timeout: Duration,
}

/// A session: its token and the instance that issued it.
#[derive(Clone)]
pub struct Session {
    pub access_token: Secret,
    /// Where the REST API of this org lives.
    pub instance_url: Url,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("instance_url", &self.instance_url.as_str())
            .finish_non_exhaustive()
    }
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    exp: i64,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    instance_url: String,
}

#[derive(Deserialize)]
struct TokenRefusal {
    #[serde(default)]
    error: String,
    #[serde(default)]
    error_description: String,
}

/// Logs in and caches the session.
pub struct Authenticator {
    http: reqwest::Client,
    config: AuthConfig,
    /// The signing key, parsed once (a bad key fails at start, not at 3 am).
    jwt_key: Option<EncodingKey>,
    session: Mutex<Option<Session>>,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Authenticator {
    pub fn new(config: AuthConfig) -> Result<Self, SalesforceError> {
        let jwt_key = match &config.grant {
            Grant::JwtBearer {
                private_key_pem, ..
            } => Some(
                EncodingKey::from_rsa_pem(private_key_pem.expose().as_bytes()).map_err(|e| {
                    SalesforceError::Config(format!("the JWT private key is not an RSA PEM: {e}"))
                })?,
            ),
            Grant::ClientCredentials { .. } => None,
        };
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .build()
            .map_err(|e| SalesforceError::Config(e.to_string()))?;
        Ok(Self {
            http,
            config,
            jwt_key,
            session: Mutex::new(None),
        })
    }

    /// The cached session, or a new one.
    pub async fn session(&self) -> Result<Session, SalesforceError> {
        let mut cached = self.session.lock().await;
        if let Some(session) = cached.as_ref() {
            return Ok(session.clone());
        }
        let session = self.login().await?;
        *cached = Some(session.clone());
        Ok(session)
    }

    /// Forgets the session (after a 401), so the next call logs in again.
    pub async fn invalidate(&self) {
        *self.session.lock().await = None;
    }

    fn assertion(&self) -> Result<Option<String>, SalesforceError> {
        let (
            Grant::JwtBearer {
                client_id,
                username,
                audience,
                ..
            },
            Some(key),
        ) = (&self.config.grant, &self.jwt_key)
        else {
            return Ok(None);
        };
        let claims = Claims {
            iss: client_id,
            sub: username,
            aud: audience,
            // Salesforce accepts at most three minutes ahead.
            exp: Utc::now().timestamp() + 170,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, key)
            .map(Some)
            .map_err(|e| SalesforceError::Config(format!("cannot sign the JWT assertion: {e}")))
    }

    async fn login(&self) -> Result<Session, SalesforceError> {
        let mut url = self.config.login_url.clone();
        url.path_segments_mut()
            .map_err(|()| SalesforceError::Config("login URL cannot take a path".into()))?
            .pop_if_empty()
            .extend(["services", "oauth2", "token"]);
        let assertion = self.assertion()?;
        let form: Vec<(&str, &str)> = match (&self.config.grant, assertion.as_deref()) {
            (
                Grant::ClientCredentials {
                    client_id,
                    client_secret,
                },
                _,
            ) => vec![
                ("grant_type", "client_credentials"),
                ("client_id", client_id),
                ("client_secret", client_secret.expose()),
            ],
            (Grant::JwtBearer { .. }, Some(assertion)) => vec![
                ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                ("assertion", assertion),
            ],
            (Grant::JwtBearer { .. }, None) => {
                return Err(SalesforceError::Config("no JWT signing key".into()));
            }
        };
        let response = self
            .http
            .post(url)
            .form(&form)
            .send()
            .await
            .map_err(|e| SalesforceError::Transport(e.without_url().to_string()))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| SalesforceError::Transport(e.without_url().to_string()))?;
        if !status.is_success() {
            let refusal: TokenRefusal = serde_json::from_slice(&body).unwrap_or(TokenRefusal {
                error: format!("http_{}", status.as_u16()),
                error_description: String::new(),
            });
            return Err(SalesforceError::Login {
                status: status.as_u16(),
                error: refusal.error,
                description: refusal.error_description,
            });
        }
        let answer: TokenAnswer = serde_json::from_slice(&body).map_err(|e| {
            SalesforceError::Decode(format!("the token answer is not what OAuth says: {e}"))
        })?;
        let instance_url = Url::parse(&answer.instance_url).map_err(|e| {
            SalesforceError::Decode(format!("instance_url {:?}: {e}", answer.instance_url))
        })?;
        Ok(Session {
            access_token: Secret::new(answer.access_token),
            instance_url,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_stay_out_of_debug() {
        let grant = Grant::ClientCredentials {
            client_id: "3MVG9".into(),
            client_secret: Secret::new("very-secret"),
        };
        let text = format!("{grant:?}");
        assert!(!text.contains("very-secret"), "{text}");
        let session = Session {
            access_token: Secret::new("00D!token"),
            instance_url: Url::parse("https://acme.my.salesforce.com").expect("url"),
        };
        assert!(!format!("{session:?}").contains("00D!token"));
    }

    #[test]
    fn a_bad_private_key_fails_at_start() {
        let config = AuthConfig {
            login_url: Url::parse("https://login.salesforce.com").expect("url"),
            grant: Grant::JwtBearer {
                client_id: "3MVG9".into(),
                username: "hub@acme.example".into(),
                private_key_pem: Secret::new(
                    "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n",
                ),
                audience: "https://login.salesforce.com".into(),
            },
            timeout: Duration::from_secs(5),
        };
        let error = Authenticator::new(config).expect_err("bad key");
        assert!(error.to_string().contains("RSA PEM"), "{error}");
    }
}
