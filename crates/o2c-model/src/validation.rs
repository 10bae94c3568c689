//! Field-level validation results: `FieldViolation` (JSON pointer + message)
//! and a small collector used by the `validate` methods of canonical types.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One problem found in a document, located by a JSON pointer (RFC 6901).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct FieldViolation {
    /// JSON pointer to the offending value, e.g. `/lines/0/quantity/value`
    /// (`""` for the whole document).
    pub path: String,
    /// Human-readable explanation.
    pub message: String,
}

impl FieldViolation {
    /// Creates a violation for `path` with `message`.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for FieldViolation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path = if self.path.is_empty() {
            "/"
        } else {
            &self.path
        };
        write!(f, "{path}: {}", self.message)
    }
}

/// Escapes one JSON pointer reference token (`~` → `~0`, `/` → `~1`).
pub fn escape_pointer_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// Collects violations while walking a document.
#[derive(Debug, Default)]
pub(crate) struct Violations {
    items: Vec<FieldViolation>,
}

impl Violations {
    pub(crate) fn push(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.items.push(FieldViolation::new(path, message));
    }

    pub(crate) fn extend(&mut self, more: impl IntoIterator<Item = FieldViolation>) {
        self.items.extend(more);
    }

    /// Records a violation when `value` is empty or only whitespace.
    pub(crate) fn require_text(&mut self, path: impl Into<String>, value: &str) {
        if value.trim().is_empty() {
            self.push(path, "must not be empty");
        }
    }

    /// Records a violation when an optional text is present but blank.
    pub(crate) fn optional_text(&mut self, path: impl Into<String>, value: Option<&str>) {
        if let Some(v) = value {
            self.require_text(path, v);
        }
    }

    pub(crate) fn finish(self) -> Result<(), Vec<FieldViolation>> {
        if self.items.is_empty() {
            Ok(())
        } else {
            Err(self.items)
        }
    }
}

/// A parent pointer and a child token, joined only when written out: a
/// valid document (the usual case) is checked without formatting a single
/// path.
#[derive(Clone, Copy)]
pub(crate) struct Child<P, T>(P, T);

/// Joins a parent pointer and a child token.
pub(crate) fn child<P: std::fmt::Display, T: std::fmt::Display>(
    parent: P,
    token: T,
) -> Child<P, T> {
    Child(parent, token)
}

impl<P: std::fmt::Display, T: std::fmt::Display> std::fmt::Display for Child<P, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}/{}",
            self.0,
            escape_pointer_token(&self.1.to_string())
        )
    }
}

impl<P: std::fmt::Display, T: std::fmt::Display> From<Child<P, T>> for String {
    fn from(pointer: Child<P, T>) -> String {
        pointer.to_string()
    }
}
