//! Typed Odoo errors, mapped from JSON-RPC error bodies and HTTP failures.

use std::time::Duration;

use serde_json::Value;

/// An Odoo call that failed. Only [`OdooError::is_transient`] errors are
/// worth retrying; the others need a person or a code change.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OdooError {
    /// Wrong login, password or API key (`odoo.exceptions.AccessDenied`),
    /// or `common.authenticate` answered `false`.
    #[error("Odoo access denied: {message}")]
    AccessDenied { message: String },
    /// The user lacks rights on the model or records (`AccessError`),
    /// including private methods.
    #[error("Odoo access error: {message}")]
    AccessError { message: String },
    /// A constraint refused the values (`ValidationError`), or `load`
    /// reported errors.
    #[error("Odoo validation error: {message}")]
    Validation { message: String },
    /// A business rule refused the operation (`UserError`).
    #[error("Odoo refused: {message}")]
    UserError { message: String },
    /// The record does not exist or was deleted (`MissingError`).
    #[error("Odoo record missing: {message}")]
    MissingRecord { message: String },
    /// A serialization failure that Odoo did not resolve by itself.
    #[error("Odoo concurrency conflict: {message}")]
    Concurrency { message: String },
    /// HTTP 429.
    #[error("Odoo rate limited (retry after {retry_after:?})")]
    RateLimited { retry_after: Option<Duration> },
    /// The web session expired (`code: 100`).
    #[error("Odoo session expired")]
    SessionExpired,
    /// Timeouts, connection failures, HTTP 502/503/504 and other 5xx.
    #[error("Odoo unreachable or overloaded: {message}")]
    Transient { message: String },
    /// The answer did not have the expected shape.
    #[error("unexpected answer from Odoo: {message}")]
    Protocol { message: String },
    /// Any other server-side exception (`builtins.ValueError`, ...).
    #[error("Odoo error {name}: {message}")]
    Unknown { name: String, message: String },
}

impl OdooError {
    /// Whether retrying the same call later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            OdooError::Transient { .. }
                | OdooError::Concurrency { .. }
                | OdooError::RateLimited { .. }
        )
    }

    /// Whether a fresh authentication may fix the call.
    pub fn is_auth(&self) -> bool {
        matches!(
            self,
            OdooError::AccessDenied { .. } | OdooError::SessionExpired
        )
    }

    /// Odoo's message, when the error came from Odoo.
    pub fn message(&self) -> Option<&str> {
        match self {
            OdooError::AccessDenied { message }
            | OdooError::AccessError { message }
            | OdooError::Validation { message }
            | OdooError::UserError { message }
            | OdooError::MissingRecord { message }
            | OdooError::Concurrency { message }
            | OdooError::Unknown { message, .. } => Some(message),
            _ => None,
        }
    }

    pub(crate) fn protocol(message: impl Into<String>) -> Self {
        OdooError::Protocol {
            message: message.into(),
        }
    }

    /// Maps the `error` object of a JSON-RPC response.
    pub fn from_rpc_error(error: &Value) -> OdooError {
        let code = error.get("code").and_then(Value::as_i64).unwrap_or(0);
        let data = error.get("data");
        let name = data
            .and_then(|d| d.get("name"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let message = data
            .and_then(|d| d.get("message"))
            .and_then(Value::as_str)
            .or_else(|| error.get("message").and_then(Value::as_str))
            .unwrap_or("")
            .to_string();
        if code == 100 || name == "odoo.http.SessionExpiredException" {
            return OdooError::SessionExpired;
        }
        match name.as_str() {
            "odoo.exceptions.AccessDenied" => OdooError::AccessDenied { message },
            "odoo.exceptions.AccessError" => OdooError::AccessError { message },
            "odoo.exceptions.ValidationError" => OdooError::Validation { message },
            "odoo.exceptions.UserError" | "odoo.exceptions.RedirectWarning" => {
                OdooError::UserError { message }
            }
            "odoo.exceptions.MissingError" => OdooError::MissingRecord { message },
            "odoo.exceptions.ConcurrencyError"
            | "psycopg2.errors.SerializationFailure"
            | "psycopg2.extensions.TransactionRollbackError"
            | "psycopg2.errors.LockNotAvailable"
            | "psycopg2.errors.DeadlockDetected" => OdooError::Concurrency { message },
            _ if message.contains("could not serialize access due to concurrent update") => {
                OdooError::Concurrency { message }
            }
            _ => OdooError::Unknown { name, message },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn err(name: &str) -> Value {
        json!({"code": 200, "message": "Odoo Server Error", "data": {"name": name, "debug": "", "message": "m", "arguments": ["m"], "context": {}}})
    }

    #[test]
    fn maps_names() {
        assert!(matches!(
            OdooError::from_rpc_error(&err("odoo.exceptions.AccessDenied")),
            OdooError::AccessDenied { .. }
        ));
        assert!(matches!(
            OdooError::from_rpc_error(&err("odoo.exceptions.MissingError")),
            OdooError::MissingRecord { .. }
        ));
        assert!(matches!(
            OdooError::from_rpc_error(&err("psycopg2.errors.SerializationFailure")),
            OdooError::Concurrency { .. }
        ));
        assert_eq!(
            OdooError::from_rpc_error(&err("builtins.ValueError")),
            OdooError::Unknown {
                name: "builtins.ValueError".into(),
                message: "m".into()
            }
        );
        assert_eq!(
            OdooError::from_rpc_error(
                &json!({"code": 100, "message": "Odoo Session Expired", "data": {"name": "odoo.http.SessionExpiredException"}})
            ),
            OdooError::SessionExpired
        );
    }

    #[test]
    fn transient_classes() {
        assert!(
            OdooError::Transient {
                message: "x".into()
            }
            .is_transient()
        );
        assert!(
            OdooError::Concurrency {
                message: "x".into()
            }
            .is_transient()
        );
        assert!(OdooError::RateLimited { retry_after: None }.is_transient());
        assert!(
            !OdooError::Validation {
                message: "x".into()
            }
            .is_transient()
        );
        assert!(
            !OdooError::AccessDenied {
                message: "x".into()
            }
            .is_transient()
        );
        assert!(
            !OdooError::Protocol {
                message: "x".into()
            }
            .is_transient()
        );
    }
}
