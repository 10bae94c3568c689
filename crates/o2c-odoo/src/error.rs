//! Typed Odoo errors, mapped from every protocol's error shape: JSON-RPC
//! `error.data.name`, XML-RPC `faultCode` 1–4, JSON-2's bare
//! `{name, message}` body with its HTTP status, and HTTP/transport failures.

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
    /// The call did not run: connection refused, HTTP 502/503 (the proxy
    /// reached no Odoo worker, or the worker was killed and its
    /// transaction rolled back), other 5xx without an Odoo error body.
    /// Safe to retry.
    #[error("Odoo unreachable or overloaded: {message}")]
    Transient { message: String },
    /// The request was sent and no answer came: client timeout, connection
    /// reset mid-request, HTTP 504. **Odoo may still commit the work** (it
    /// retries serialization failures on the server for minutes, 16 README
    /// §26), so a non-idempotent write must not be blindly repeated: look
    /// it up by its natural key first. Transient, but retried automatically
    /// only for [`crate::RetrySafety::Safe`] calls.
    #[error("no answer from Odoo (the call may still have run): {message}")]
    Timeout { message: String },
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
                | OdooError::Timeout { .. }
                | OdooError::Concurrency { .. }
                | OdooError::RateLimited { .. }
        )
    }

    /// Whether the call may have been executed by Odoo although it failed
    /// (only [`OdooError::Timeout`]).
    pub fn outcome_unknown(&self) -> bool {
        matches!(self, OdooError::Timeout { .. })
    }

    /// `Validation` or `UserError`: Odoo refused the data or the operation.
    /// (XML-RPC cannot tell them apart: both are faultCode 2.)
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            OdooError::Validation { .. } | OdooError::UserError { .. }
        )
    }

    /// Whether a fresh authentication may fix the call.
    pub fn is_auth(&self) -> bool {
        matches!(
            self,
            OdooError::AccessDenied { .. } | OdooError::SessionExpired
        )
    }

    /// The message (Odoo's own for errors raised by Odoo).
    pub fn message(&self) -> Option<&str> {
        match self {
            OdooError::AccessDenied { message }
            | OdooError::AccessError { message }
            | OdooError::Validation { message }
            | OdooError::UserError { message }
            | OdooError::MissingRecord { message }
            | OdooError::Concurrency { message }
            | OdooError::Transient { message }
            | OdooError::Timeout { message }
            | OdooError::Protocol { message }
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
        OdooError::from_name(&name, message)
    }

    /// Maps an Odoo exception class name (`odoo.exceptions.UserError`,
    /// `builtins.ValueError`, `werkzeug.exceptions.Unauthorized`, ...) and
    /// its message. Shared by every protocol.
    pub fn from_name(name: &str, message: String) -> OdooError {
        let name = name.to_string();
        match name.as_str() {
            "odoo.exceptions.AccessDenied"
            // JSON-2: wrong, revoked or missing API key (401).
            | "werkzeug.exceptions.Unauthorized" => OdooError::AccessDenied { message },
            // JSON-2: our arguments did not fit the method's signature.
            "werkzeug.exceptions.UnprocessableEntity" | "werkzeug.exceptions.BadRequest" => {
                OdooError::Protocol {
                    message: format!("{name}: {message}"),
                }
            }
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

/// Maps an XML-RPC fault of `/xmlrpc/2` (`odoo/addons/base/controllers/rpc.py`,
/// `xmlrpc_handle_exception_int`): 1 any other exception (the string is the
/// traceback; its last `Class: message` line is used), 2 the UserError
/// family (UserError, ValidationError, MissingError, RedirectWarning), 3
/// AccessDenied, 4 AccessError. XML-RPC drops the class name, so 2 is told
/// apart by Odoo's fixed texts. The "cannot marshal None" fault is not an
/// error (the call ran and returned None) and is handled by the transport.
pub fn from_xmlrpc_fault(code: i64, string: &str) -> OdooError {
    match code {
        3 => OdooError::AccessDenied {
            message: string.to_string(),
        },
        4 => OdooError::AccessError {
            message: string.to_string(),
        },
        2 => {
            let message = string.to_string();
            if string.starts_with("Record does not exist or has been deleted") {
                OdooError::MissingRecord { message }
            } else if string.starts_with("The operation cannot be completed") {
                // The IntegrityError→ValidationError conversion (16 README §20).
                OdooError::Validation { message }
            } else {
                OdooError::UserError { message }
            }
        }
        _ => {
            let (name, message) = traceback_exception(string);
            if message.contains("could not serialize access") {
                return OdooError::Concurrency { message };
            }
            OdooError::from_name(&name, message)
        }
    }
}

/// The final `Class: message` of a Python traceback, with the class
/// qualified like JSON-RPC's `data.name` (`ValueError` →
/// `builtins.ValueError`).
pub(crate) fn traceback_exception(text: &str) -> (String, String) {
    let lines: Vec<&str> = text.lines().collect();
    for i in (0..lines.len()).rev() {
        let line = lines[i];
        if line.starts_with(' ') || line.starts_with('\t') {
            continue;
        }
        if let Some((class, _)) = line.split_once(": ") {
            let is_class = !class.is_empty()
                && class
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
            if is_class {
                let rest = lines[i..].join("\n");
                let message = rest[class.len() + 2..].trim_end().to_string();
                let name = if class.contains('.') {
                    class.to_string()
                } else {
                    format!("builtins.{class}")
                };
                return (name, message);
            }
        }
    }
    (String::new(), text.trim().to_string())
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
    fn xmlrpc_faults() {
        assert!(matches!(
            from_xmlrpc_fault(3, "Access Denied"),
            OdooError::AccessDenied { .. }
        ));
        assert!(matches!(
            from_xmlrpc_fault(4, "Private methods"),
            OdooError::AccessError { .. }
        ));
        assert!(matches!(
            from_xmlrpc_fault(
                2,
                "Record does not exist or has been deleted.\n(Record: sale.order(9,), User: 2)"
            ),
            OdooError::MissingRecord { .. }
        ));
        assert!(matches!(
            from_xmlrpc_fault(2, "The operation cannot be completed: x"),
            OdooError::Validation { .. }
        ));
        assert!(matches!(
            from_xmlrpc_fault(2, "Object no.such.model doesn't exist"),
            OdooError::UserError { .. }
        ));
        assert_eq!(
            from_xmlrpc_fault(
                1,
                "Traceback (most recent call last):\n  [frames removed]\nValueError: Invalid field 'x' on model 'res.partner'\n"
            ),
            OdooError::Unknown {
                name: "builtins.ValueError".into(),
                message: "Invalid field 'x' on model 'res.partner'".into()
            }
        );
        assert_eq!(
            from_xmlrpc_fault(
                1,
                "Traceback (most recent call last):\n  [frames removed]\npsycopg2.OperationalError: connection failed: FATAL:  database \"x\" does not exist\n"
            ),
            OdooError::Unknown {
                name: "psycopg2.OperationalError".into(),
                message: "connection failed: FATAL:  database \"x\" does not exist".into()
            }
        );
        assert!(matches!(
            from_xmlrpc_fault(
                1,
                "Traceback (most recent call last):\n  [frames removed]\npsycopg2.errors.SerializationFailure: could not serialize access due to concurrent update\n"
            ),
            OdooError::Concurrency { .. }
        ));
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
