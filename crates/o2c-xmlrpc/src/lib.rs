//! An XML-RPC codec, as spoken by Odoo's `/xmlrpc/2/common` and
//! `/xmlrpc/2/object` endpoints (Python's `xmlrpc.client` on the server).
//!
//! - [`Value`]: the XML-RPC data model (`int`/`i4`/`i8`, `boolean`,
//!   `string`, `double`, `dateTime.iso8601`, `base64`, `array`, `struct`,
//!   `nil`), with conversions to and from [`serde_json::Value`].
//! - [`parse_method_call`] / [`parse_method_response`]: strict but tolerant
//!   parsers (untyped `<value>` is a string, `<i4>`/`<i8>`/`<int>` are
//!   integers, comments and whitespace between elements are ignored). Every
//!   malformed input gives an [`Error`] naming the element and the byte
//!   position; the parsers never panic, and nesting deeper than
//!   [`MAX_DEPTH`] is refused.
//! - [`write_method_call`] / [`write_method_response`]: output byte for byte
//!   like Python's `xmlrpc.client.dumps` (the format Odoo answers with), so a
//!   recorded Odoo body parses and re-serialises to the same bytes.
//!
//! ```
//! use o2c_xmlrpc::{MethodCall, Value, parse_method_call, write_method_call};
//! let call = MethodCall::new("version", vec![]);
//! let xml = write_method_call(&call);
//! assert_eq!(parse_method_call(&xml).unwrap(), call);
//! let v = Value::from_json(&serde_json::json!({"a": [1, true, null]}));
//! assert_eq!(v.to_json(), serde_json::json!({"a": [1, true, null]}));
//! ```

mod json;
mod parse;
mod write;

use chrono::NaiveDateTime;

pub use parse::{MAX_DEPTH, parse_method_call, parse_method_response, parse_value};
pub use write::{write_method_call, write_method_response, write_value};

/// One XML-RPC value.
///
/// `Struct` keeps its members in document order (Python dicts are ordered,
/// and Odoo's answers are easier to compare that way); when a key repeats,
/// [`Value::get`] and [`Value::to_json`] use the last one, like Python.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `<int>`, `<i4>`, `<i8>` (also `<i1>`, `<i2>`, `<biginteger>` when
    /// they fit in 64 bits).
    Int(i64),
    /// `<boolean>0|1</boolean>`.
    Bool(bool),
    /// `<string>`, or a `<value>` with text and no type element.
    String(String),
    /// `<double>` (also `<float>`, `<bigdecimal>`).
    Double(f64),
    /// `<dateTime.iso8601>`, no time zone (XML-RPC has none; Odoo means UTC).
    DateTime(NaiveDateTime),
    /// `<base64>`, decoded.
    Base64(Vec<u8>),
    /// `<array><data>...</data></array>`.
    Array(Vec<Value>),
    /// `<struct><member><name>..</name><value>..</value></member>...</struct>`.
    Struct(Vec<(String, Value)>),
    /// `<nil/>` (Python's `None` with `allow_none=True`; Odoo never sends
    /// it, it faults instead: see the crate docs of `o2c-odoo`).
    Nil,
}

impl Value {
    /// A struct member by name (the last one if the name repeats).
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Struct(members) => members.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The XML-RPC type name (`"int"`, `"struct"`, ...), for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Int(_) => "int",
            Value::Bool(_) => "boolean",
            Value::String(_) => "string",
            Value::Double(_) => "double",
            Value::DateTime(_) => "dateTime.iso8601",
            Value::Base64(_) => "base64",
            Value::Array(_) => "array",
            Value::Struct(_) => "struct",
            Value::Nil => "nil",
        }
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Int(v)
    }
}
impl From<i32> for Value {
    fn from(v: i32) -> Value {
        Value::Int(v.into())
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Value {
        Value::Bool(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::String(v.to_string())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::String(v)
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Value {
        Value::Double(v)
    }
}
impl From<Vec<Value>> for Value {
    fn from(v: Vec<Value>) -> Value {
        Value::Array(v)
    }
}
impl From<NaiveDateTime> for Value {
    fn from(v: NaiveDateTime) -> Value {
        Value::DateTime(v)
    }
}

/// `<methodCall>`: a method name and positional parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct MethodCall {
    pub method: String,
    pub params: Vec<Value>,
}

impl MethodCall {
    pub fn new(method: impl Into<String>, params: Vec<Value>) -> MethodCall {
        MethodCall {
            method: method.into(),
            params,
        }
    }
}

/// `<methodResponse>`: one value, or a fault.
#[derive(Debug, Clone, PartialEq)]
pub enum MethodResponse {
    Success(Value),
    /// `<fault>` with `faultCode` and `faultString`. Odoo's `/xmlrpc/2`
    /// uses 1 (any exception; the string is the traceback), 2 (UserError,
    /// ValidationError, MissingError), 3 (AccessDenied), 4 (AccessError).
    Fault {
        code: i64,
        string: String,
    },
}

/// A malformed XML-RPC document. Positions are byte offsets into the input.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// Not well-formed XML (unclosed tag, bad entity, mismatched end tag...).
    #[error("malformed XML at byte {position}: {message}")]
    Xml { position: u64, message: String },
    /// Well-formed XML, but not the XML-RPC structure expected here.
    #[error("at byte {position}: expected {expected}, found {found}")]
    Unexpected {
        position: u64,
        expected: String,
        found: String,
    },
    /// A scalar element whose text is not a valid value of its type.
    #[error("at byte {position}: invalid <{element}> {text:?}: {reason}")]
    InvalidValue {
        position: u64,
        element: String,
        text: String,
        reason: String,
    },
    /// Arrays/structs nested deeper than [`MAX_DEPTH`].
    #[error("at byte {position}: values nested deeper than {limit} levels")]
    TooDeep { position: u64, limit: usize },
}

impl Error {
    /// Byte offset in the input where the problem was found.
    pub fn position(&self) -> u64 {
        match self {
            Error::Xml { position, .. }
            | Error::Unexpected { position, .. }
            | Error::InvalidValue { position, .. }
            | Error::TooDeep { position, .. } => *position,
        }
    }
}
