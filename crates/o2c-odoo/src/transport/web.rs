//! The web client's path: `/web/session/authenticate` returns a
//! `session_id` cookie; `/web/dataset/call_kw/<model>/<method>` runs a
//! method with it. A session that is gone answers `code: 100` ("Odoo
//! Session Expired", 16 README §17): the client logs in again once.
//! Note: this login is subject to Odoo's login cooldown (10 failures → 60 s
//! lock per IP, 16 README §27), unlike `/jsonrpc`.

use serde_json::{Value, json};

use crate::client::AuthState;
use crate::{OdooClient, OdooError};

impl OdooClient {
    pub(crate) async fn web_login(&self) -> Result<AuthState, OdooError> {
        let c = &self.config;
        let (result, headers) = self
            .jsonrpc_call_with(
                "/web/session/authenticate",
                json!({"db": c.db, "login": c.login, "password": c.secret}),
                None,
                None,
                ("web", "session/authenticate"),
            )
            .await?;
        let uid = result.get("uid").cloned().unwrap_or(Value::Null);
        let uid = super::jsonrpc::uid_from(&uid, c)?;
        let cookie = headers
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next())
            .map(str::trim)
            .find(|kv| kv.starts_with("session_id="))
            .map(str::to_string)
            .ok_or_else(|| {
                OdooError::protocol("/web/session/authenticate set no session_id cookie")
            })?;
        Ok(AuthState {
            uid,
            cookie: Some(cookie),
        })
    }

    pub(crate) async fn web_execute(
        &self,
        state: &AuthState,
        model: &str,
        method: &str,
        args: &Value,
        kwargs: &Value,
        correlation_id: Option<&str>,
    ) -> Result<Value, OdooError> {
        let path = format!("/web/dataset/call_kw/{model}/{method}");
        self.jsonrpc_call_with(
            &path,
            json!({"model": model, "method": method, "args": args, "kwargs": kwargs}),
            correlation_id,
            state.cookie.as_deref(),
            (model, method),
        )
        .await
        .map(|(v, _)| v)
    }
}
