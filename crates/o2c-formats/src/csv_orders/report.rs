//! The validation report: every bad row with its line number and column.

use std::fmt;

use serde::Serialize;

/// One problem in the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    /// 1-based physical line number where the record starts (1 = header).
    pub line: u64,
    /// Column name, when the problem is one value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// The offending value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}", self.line)?;
        if let Some(c) = &self.column {
            write!(f, ", column {c}")?;
        }
        if let Some(v) = &self.value {
            write!(f, " ({v:?})")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// The outcome of checking a whole file (the dry run).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ValidationReport {
    /// Data rows read (header excluded).
    pub rows: usize,
    /// Distinct order numbers seen.
    pub orders: usize,
    /// Orders without any error.
    pub valid_orders: usize,
    /// Every problem, in file order.
    pub errors: Vec<RowError>,
}

impl ValidationReport {
    /// Whether the file has no error at all.
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }
}
