//! `/xmlrpc/2/common` and `/xmlrpc/2/object` through `o2c-xmlrpc`.

use o2c_xmlrpc::{MethodCall, MethodResponse, Value as Xv};
use serde_json::Value;

use super::snippet;
use crate::client::AuthState;
use crate::error::from_xmlrpc_fault;
use crate::{OdooClient, OdooError};

/// Odoo ran the method and it returned `None`, which its marshaller cannot
/// send (`allow_none` is off): **the work was committed** (16 README §4).
const NONE_FAULT: &str = "cannot marshal None unless allow_none is enabled";
/// A result dict with int keys (`price_compute`): the call ran, the answer
/// cannot travel over XML-RPC.
const INT_KEY_FAULT: &str = "dictionary key must be string";

impl OdooClient {
    pub(crate) async fn xmlrpc_call(
        &self,
        service: &str,
        method: &str,
        params: Vec<Xv>,
        correlation_id: Option<&str>,
        key: (&str, &str),
    ) -> Result<Value, OdooError> {
        let url = self.url(&format!("/xmlrpc/2/{service}"));
        let body = o2c_xmlrpc::write_method_call(&MethodCall::new(method, params));
        let mut req = self
            .http
            .post(&url)
            .header(reqwest::header::CONTENT_TYPE, "text/xml")
            .body(body);
        if let Some(c) = correlation_id {
            req = req.header("X-Correlation-Id", c);
        }
        let reply = self.send(req, key).await?;
        if reply.status >= 500 {
            return Err(OdooError::Transient {
                message: format!("{url}: HTTP {}", reply.status),
            });
        }
        if reply.status != 200 {
            return Err(OdooError::protocol(format!(
                "{url}: HTTP {}: {}",
                reply.status,
                snippet(&reply.body)
            )));
        }
        let response = o2c_xmlrpc::parse_method_response(&reply.body)
            .map_err(|e| OdooError::protocol(format!("{url}: not an XML-RPC response: {e}")))?;
        match response {
            MethodResponse::Success(v) => Ok(v.to_json()),
            MethodResponse::Fault { string, .. } if string.contains(NONE_FAULT) => Ok(Value::Null),
            MethodResponse::Fault { string, .. } if string.contains(INT_KEY_FAULT) => {
                Err(OdooError::protocol(format!(
                    "{key0}.{key1} ran, but its result (a dict with non-string keys) cannot be sent over XML-RPC; use JSON-RPC or JSON-2",
                    key0 = key.0,
                    key1 = key.1
                )))
            }
            MethodResponse::Fault { code, string } => Err(from_xmlrpc_fault(code, &string)),
        }
    }

    pub(crate) async fn xmlrpc_login(&self) -> Result<AuthState, OdooError> {
        let c = &self.config;
        let result = self
            .xmlrpc_call(
                "common",
                "authenticate",
                vec![
                    Xv::from(c.db.as_str()),
                    Xv::from(c.login.as_str()),
                    Xv::from(c.secret.as_str()),
                    Xv::Struct(vec![]),
                ],
                None,
                ("common", "authenticate"),
            )
            .await?;
        Ok(AuthState {
            uid: super::jsonrpc::uid_from(&result, c)?,
            cookie: None,
        })
    }

    pub(crate) async fn xmlrpc_execute(
        &self,
        uid: i64,
        model: &str,
        method: &str,
        args: &Value,
        kwargs: &Value,
        correlation_id: Option<&str>,
    ) -> Result<Value, OdooError> {
        let c = &self.config;
        let params = vec![
            Xv::from(c.db.as_str()),
            Xv::Int(uid),
            Xv::from(c.secret.as_str()),
            Xv::from(model),
            Xv::from(method),
            Xv::from_json(args),
            Xv::from_json(kwargs),
        ];
        self.xmlrpc_call(
            "object",
            "execute_kw",
            params,
            correlation_id,
            (model, method),
        )
        .await
    }
}
