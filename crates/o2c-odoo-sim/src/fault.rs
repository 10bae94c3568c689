//! Odoo's server-side exceptions and their JSON-RPC wire shape.

use serde_json::{Value, json};

/// A server-side exception, as Odoo would raise it.
///
/// `name` is the fully qualified Python class name that Odoo puts in
/// `error.data.name` (`odoo.exceptions.UserError`, `builtins.ValueError`, ...).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name}: {message}")]
pub struct Fault {
    pub name: String,
    pub message: String,
}

pub const USER_ERROR: &str = "odoo.exceptions.UserError";
pub const VALIDATION_ERROR: &str = "odoo.exceptions.ValidationError";
pub const MISSING_ERROR: &str = "odoo.exceptions.MissingError";
pub const ACCESS_DENIED: &str = "odoo.exceptions.AccessDenied";
pub const ACCESS_ERROR: &str = "odoo.exceptions.AccessError";
pub const VALUE_ERROR: &str = "builtins.ValueError";
pub const ATTRIBUTE_ERROR: &str = "builtins.AttributeError";
pub const TYPE_ERROR: &str = "builtins.TypeError";
pub const OPERATIONAL_ERROR: &str = "psycopg2.OperationalError";

impl Fault {
    pub fn new(name: impl Into<String>, message: impl Into<String>) -> Self {
        Fault {
            name: name.into(),
            message: message.into(),
        }
    }
    pub fn user(message: impl Into<String>) -> Self {
        Self::new(USER_ERROR, message)
    }
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(VALIDATION_ERROR, message)
    }
    pub fn value(message: impl Into<String>) -> Self {
        Self::new(VALUE_ERROR, message)
    }
    pub fn type_error(message: impl Into<String>) -> Self {
        Self::new(TYPE_ERROR, message)
    }
    pub fn access_denied() -> Self {
        Self::new(ACCESS_DENIED, "Access Denied")
    }
    pub fn access(message: impl Into<String>) -> Self {
        Self::new(ACCESS_ERROR, message)
    }
    /// `MissingError` for the ids of `model` that do not exist.
    pub fn missing(model: &str, ids: &[i64], uid: i64) -> Self {
        Self::new(
            MISSING_ERROR,
            format!(
                "Record does not exist or has been deleted.\n(Record: {model}{}, User: {uid})",
                py_tuple(ids)
            ),
        )
    }
    pub fn unknown_model(model: &str) -> Self {
        Self::user(format!("Object {model} doesn't exist"))
    }
    pub fn invalid_field(model: &str, field: &str) -> Self {
        Self::value(format!("Invalid field '{field}' on model '{model}'"))
    }
    pub fn unknown_method(model: &str, method: &str) -> Self {
        Self::new(
            ATTRIBUTE_ERROR,
            format!("The method '{method}' does not exist on the model '{model}'"),
        )
    }
    pub fn private_method(method: &str) -> Self {
        Self::access(format!(
            "Private methods (such as {method}) cannot be called remotely."
        ))
    }
    /// The NOT NULL violation, as Odoo 16 converts it.
    pub fn required(model_description: &str, model: &str, field_string: &str, field: &str) -> Self {
        Self::validation(format!(
            "The operation cannot be completed:\n- Create/update: a mandatory field is not set.\n- Delete: another model requires the record being deleted. If possible, archive it instead.\n\nModel: {model_description} ({model})\nField: {field_string} ({field})\n"
        ))
    }

    /// The `debug` text: the recorded servers keep the first and the last
    /// line of the traceback, with the frames replaced.
    pub fn debug(&self) -> String {
        let short = self.name.strip_prefix("builtins.").unwrap_or(&self.name);
        let full = format!("{short}: {}", self.message);
        let last = full
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or_default();
        format!("Traceback (most recent call last):\n  [frames removed]\n{last}\n")
    }

    /// `error.data` of a JSON-RPC error response.
    pub fn data(&self) -> Value {
        json!({
            "name": self.name,
            "debug": self.debug(),
            "message": self.message,
            "arguments": [self.message],
            "context": {},
        })
    }

    /// The whole JSON-RPC error body (HTTP 200, code 200).
    pub fn to_response(&self, id: &Value) -> Value {
        json!({
            "jsonrpc": "2.0",
            "id": id,
            "error": {"code": 200, "message": "Odoo Server Error", "data": self.data()},
        })
    }
}

/// Python's repr of a tuple of ids: `(1,)`, `(1, 2)`, `()`.
pub fn py_tuple(ids: &[i64]) -> String {
    match ids {
        [] => "()".to_string(),
        [one] => format!("({one},)"),
        many => format!(
            "({})",
            many.iter()
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Python's repr of a JSON value (strings in single quotes, True/False/None).
pub fn py_repr(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => {
            if s.contains('\'') && !s.contains('"') {
                format!("\"{s}\"")
            } else {
                format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
            }
        }
        Value::Array(a) => format!("[{}]", a.iter().map(py_repr).collect::<Vec<_>>().join(", ")),
        Value::Object(o) => format!(
            "{{{}}}",
            o.iter()
                .map(|(k, v)| format!("'{k}': {}", py_repr(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_keeps_last_line() {
        let f = Fault::missing("sale.order", &[99999999], 2);
        assert_eq!(
            f.debug(),
            "Traceback (most recent call last):\n  [frames removed]\n(Record: sale.order(99999999,), User: 2)\n"
        );
        let f = Fault::unknown_method("sale.order", "confirm");
        assert!(f.debug().ends_with(
            "\nAttributeError: The method 'confirm' does not exist on the model 'sale.order'\n"
        ));
    }

    #[test]
    fn reprs() {
        assert_eq!(py_tuple(&[1, 2]), "(1, 2)");
        assert_eq!(
            py_repr(&json!(["x_shop_id", "=", "1"])),
            "['x_shop_id', '=', '1']"
        );
    }
}
