//! `/jsonrpc` (services `common`, `object`) and the JSON-RPC envelope that
//! the web routes share.

use std::sync::atomic::Ordering;

use serde_json::{Value, json};

use super::snippet;
use crate::client::AuthState;
use crate::{OdooClient, OdooError};

impl OdooClient {
    /// One JSON-RPC `call` to `path`; `Ok(Null)` when the answer has no
    /// `result` key (Python `None`, 16 README §4).
    pub(crate) async fn jsonrpc_call(
        &self,
        path: &str,
        params: Value,
        correlation_id: Option<&str>,
        key: (&str, &str),
    ) -> Result<Value, OdooError> {
        self.jsonrpc_call_with(path, params, correlation_id, None, key)
            .await
            .map(|(v, _)| v)
    }

    /// Same, with an optional `Cookie` header; also returns the response
    /// headers (for `Set-Cookie`).
    pub(crate) async fn jsonrpc_call_with(
        &self,
        path: &str,
        params: Value,
        correlation_id: Option<&str>,
        cookie: Option<&str>,
        key: (&str, &str),
    ) -> Result<(Value, reqwest::header::HeaderMap), OdooError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let body = json!({"jsonrpc": "2.0", "method": "call", "params": params, "id": id});
        let url = self.url(path);
        let mut req = self.http.post(&url).json(&body);
        if let Some(c) = correlation_id {
            req = req.header("X-Correlation-Id", c);
        }
        if let Some(c) = cookie {
            req = req.header(reqwest::header::COOKIE, c);
        }
        let reply = self.send(req, key).await?;
        if reply.status >= 500 {
            return Err(OdooError::Transient {
                message: format!("{url}: HTTP {}", reply.status),
            });
        }
        if !(200..300).contains(&reply.status) {
            return Err(OdooError::protocol(format!(
                "{url}: HTTP {}: {}",
                reply.status,
                snippet(&reply.body)
            )));
        }
        let v: Value = serde_json::from_str(&reply.body).map_err(|e| {
            OdooError::protocol(format!("{url}: not JSON ({e}): {}", snippet(&reply.body)))
        })?;
        if let Some(err) = v.get("error") {
            return Err(OdooError::from_rpc_error(err));
        }
        if !v.is_object() {
            return Err(OdooError::protocol(format!(
                "{url}: not a JSON-RPC response"
            )));
        }
        Ok((
            v.get("result").cloned().unwrap_or(Value::Null),
            reply.headers,
        ))
    }

    pub(crate) async fn jsonrpc_login(&self) -> Result<AuthState, OdooError> {
        let c = &self.config;
        let result = self
            .jsonrpc_call(
                "/jsonrpc",
                json!({"service": "common", "method": "authenticate",
                       "args": [c.db, c.login, c.secret, {}]}),
                None,
                ("common", "authenticate"),
            )
            .await?;
        Ok(AuthState {
            uid: uid_from(&result, c)?,
            cookie: None,
        })
    }

    pub(crate) async fn jsonrpc_execute(
        &self,
        uid: i64,
        model: &str,
        method: &str,
        args: &Value,
        kwargs: &Value,
        correlation_id: Option<&str>,
    ) -> Result<Value, OdooError> {
        let c = &self.config;
        self.jsonrpc_call(
            "/jsonrpc",
            json!({"service": "object", "method": "execute_kw",
                   "args": [c.db, uid, c.secret, model, method, args, kwargs]}),
            correlation_id,
            (model, method),
        )
        .await
    }
}

/// `authenticate` answers the uid, or `false` for a wrong login/password
/// (16 README §18).
pub(crate) fn uid_from(result: &Value, c: &crate::OdooConfig) -> Result<i64, OdooError> {
    match result {
        Value::Number(n) => n
            .as_i64()
            .ok_or_else(|| OdooError::protocol(format!("authenticate returned {n}"))),
        Value::Bool(false) | Value::Null => Err(OdooError::AccessDenied {
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
