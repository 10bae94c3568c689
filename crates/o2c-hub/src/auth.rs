//! API-key authentication with least-privilege scopes.
//!
//! Keys are 256-bit random secrets shown once at creation; the store keeps
//! only their SHA-256 (a slow password hash buys nothing for a key with
//! that much entropy and would cap ingest throughput). Lookups compare the
//! hashes in constant time.

use std::collections::HashMap;
use std::sync::Arc;

use axum::http::HeaderMap;
use chrono::{DateTime, Utc};
use o2c_store::{ApiKeyRecord, NewAuditEntry, Store, StoreError};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tokio::sync::RwLock;
use uuid::Uuid;

use crate::problem::{Problem, ProblemKind};

/// A scope an API key may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    OrdersWrite,
    OrdersRead,
    OpsRead,
    OpsWrite,
}

impl Scope {
    pub const ALL: [Scope; 4] = [
        Scope::OrdersWrite,
        Scope::OrdersRead,
        Scope::OpsRead,
        Scope::OpsWrite,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::OrdersWrite => "orders:write",
            Scope::OrdersRead => "orders:read",
            Scope::OpsRead => "ops:read",
            Scope::OpsWrite => "ops:write",
        }
    }

    pub fn parse(text: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// The caller behind a request.
#[derive(Debug, Clone, PartialEq)]
pub struct Principal {
    pub key_id: Uuid,
    pub name: String,
    pub scopes: Vec<String>,
    /// Set when the key may act only for one channel (e.g. `shopify:shop-1`).
    pub channel: Option<String>,
}

impl Principal {
    pub fn require(&self, scope: Scope) -> Result<(), Problem> {
        if self.scopes.iter().any(|s| s == scope.as_str()) {
            Ok(())
        } else {
            Err(Problem::new(
                ProblemKind::Forbidden,
                format!("this API key lacks the scope {}", scope.as_str()),
            )
            .with("required_scope", serde_json::json!(scope.as_str())))
        }
    }

    /// May this key act for the channel `kind:account`?
    pub fn may_use_channel(&self, channel: &str) -> bool {
        self.channel.as_deref().is_none_or(|bound| bound == channel)
    }

    pub fn actor(&self) -> String {
        format!("api-key:{}", self.name)
    }
}

/// A freshly made key: the secret is returned once and never stored.
pub struct IssuedKey {
    pub secret: String,
    pub record: ApiKeyRecord,
}

const KEY_PREFIX: &str = "o2c_";

/// Makes a new key with the given scopes and optional channel binding.
pub fn issue_key(
    name: &str,
    scopes: &[Scope],
    channel: Option<String>,
    now: DateTime<Utc>,
) -> IssuedKey {
    let mut raw = [0u8; 32];
    rand::rng().fill_bytes(&mut raw);
    let secret = format!("{KEY_PREFIX}{}", hex::encode(raw));
    let record = ApiKeyRecord {
        id: Uuid::now_v7(),
        name: name.to_owned(),
        key_hash: hash_key(&secret),
        scopes: scopes.iter().map(|s| s.as_str().to_owned()).collect(),
        channel,
        created_at: now,
        revoked_at: None,
    };
    IssuedKey { secret, record }
}

pub fn hash_key(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Creates a key in the store, audited.
pub async fn create_key(
    store: &dyn Store,
    actor: &str,
    name: &str,
    scopes: &[Scope],
    channel: Option<String>,
    now: DateTime<Utc>,
) -> Result<IssuedKey, StoreError> {
    let issued = issue_key(name, scopes, channel, now);
    let audit = NewAuditEntry {
        actor: actor.to_owned(),
        action: "api_key.create".into(),
        subject: format!("api_key:{}", issued.record.id),
        details: serde_json::json!({
            "name": issued.record.name,
            "scopes": issued.record.scopes,
            "channel": issued.record.channel,
        }),
        correlation_id: Uuid::now_v7().to_string(),
        at: now,
    };
    store.create_api_key(issued.record.clone(), audit).await?;
    Ok(issued)
}

/// Resolves bearer tokens to principals, caching known keys in memory.
pub struct Authenticator {
    store: Arc<dyn Store>,
    cache: RwLock<HashMap<String, ApiKeyRecord>>,
}

impl Authenticator {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            cache: RwLock::new(HashMap::new()),
        }
    }

    /// Checks the `Authorization: Bearer <key>` header.
    pub async fn authenticate(&self, headers: &HeaderMap) -> Result<Principal, Problem> {
        let token = bearer_token(headers).ok_or_else(|| {
            Problem::new(
                ProblemKind::Unauthenticated,
                "send an API key as `Authorization: Bearer <key>`",
            )
        })?;
        let hash = hash_key(token);
        let cached = self.cache.read().await.get(&hash).cloned();
        let record = match cached {
            Some(record) => Some(record),
            None => {
                let found = self.store.find_api_key(&hash).await.map_err(|e| {
                    tracing::error!(error = %e, "api key lookup failed");
                    Problem::new(ProblemKind::Unavailable, "the key store is unavailable")
                })?;
                if let Some(record) = &found {
                    self.cache
                        .write()
                        .await
                        .insert(hash.clone(), record.clone());
                }
                found
            }
        };
        match record {
            // The map lookup already matched; compare again in constant time
            // so the decision does not depend on where the strings differ.
            Some(record)
                if record.revoked_at.is_none()
                    && bool::from(record.key_hash.as_bytes().ct_eq(hash.as_bytes())) =>
            {
                Ok(Principal {
                    key_id: record.id,
                    name: record.name,
                    scopes: record.scopes,
                    channel: record.channel,
                })
            }
            _ => Err(Problem::new(
                ProblemKind::Unauthenticated,
                "the API key is unknown or revoked",
            )),
        }
    }

    /// Drops cached keys (after a revocation).
    pub async fn forget_all(&self) {
        self.cache.write().await.clear();
    }
}

fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn issued_keys_hash_and_scope() {
        let issued = issue_key(
            "shop",
            &[Scope::OrdersWrite],
            Some("shopify:a".into()),
            Utc::now(),
        );
        assert!(issued.secret.starts_with(KEY_PREFIX));
        assert_eq!(issued.record.key_hash, hash_key(&issued.secret));
        assert_ne!(issued.record.key_hash, issued.secret);
        assert_eq!(issued.record.scopes, vec!["orders:write"]);
    }

    #[test]
    fn principal_scopes_and_channel_binding() {
        let principal = Principal {
            key_id: Uuid::now_v7(),
            name: "shop".into(),
            scopes: vec!["orders:write".into()],
            channel: Some("shopify:a".into()),
        };
        assert!(principal.require(Scope::OrdersWrite).is_ok());
        assert!(principal.require(Scope::OpsWrite).is_err());
        assert!(principal.may_use_channel("shopify:a"));
        assert!(!principal.may_use_channel("shopify:b"));
    }

    #[test]
    fn bearer_parsing() {
        let mut headers = HeaderMap::new();
        assert_eq!(bearer_token(&headers), None);
        headers.insert("authorization", HeaderValue::from_static("Bearer  abc "));
        assert_eq!(bearer_token(&headers), Some("abc"));
        headers.insert("authorization", HeaderValue::from_static("Basic abc"));
        assert_eq!(bearer_token(&headers), None);
    }
}
