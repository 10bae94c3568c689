//! Typed errors of the canonical model (`ModelError`).
//!
//! Every error names the offending value so that an operator reading an
//! exception record can see what was wrong without the original payload.

use crate::validation::FieldViolation;

/// Errors raised when canonical values are constructed, parsed or combined.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    /// The string is not an ISO 4217 alphabetic currency code (codes are upper case).
    #[error("unknown currency code `{code}`: expected an upper-case ISO 4217 code such as \"USD\"")]
    UnknownCurrency {
        /// The rejected value.
        code: String,
    },
    /// The code is in ISO 4217 but has no minor unit (precious metals, funds, testing codes).
    #[error(
        "currency code `{code}` is not usable for money: ISO 4217 defines no minor unit for it (precious metal, fund or testing code)"
    )]
    NonMonetaryCurrency {
        /// The rejected value.
        code: String,
    },
    /// Two amounts in different currencies were combined.
    #[error("currency mismatch: cannot {op} {left} and {right} amounts")]
    CurrencyMismatch {
        /// The operation attempted (`add`, `subtract`, ...).
        op: &'static str,
        /// Currency code of the left operand.
        left: String,
        /// Currency code of the right operand.
        right: String,
    },
    /// A decimal operation overflowed the 96-bit mantissa of `rust_decimal`.
    #[error("decimal overflow while trying to {op}")]
    Overflow {
        /// The operation attempted.
        op: &'static str,
    },
    /// The text could not be parsed as an exact decimal.
    #[error("invalid decimal `{value}`: {reason}")]
    InvalidDecimal {
        /// The rejected text.
        value: String,
        /// Why it was rejected.
        reason: String,
    },
    /// The string is not an ISO 3166-1 alpha-2 country code.
    #[error(
        "unknown country code `{code}`: expected an upper-case ISO 3166-1 alpha-2 code such as \"US\""
    )]
    UnknownCountry {
        /// The rejected value.
        code: String,
    },
    /// The subdivision code is not of the ISO 3166-2 shape `CC-XXX` for the address country.
    #[error("invalid subdivision code `{code}` for country `{country}`: {reason}")]
    InvalidSubdivision {
        /// The rejected subdivision code.
        code: String,
        /// The address country it was checked against.
        country: String,
        /// Why it was rejected.
        reason: String,
    },
    /// The string is not one of the channel kinds (`rest`, `shopify`, ...).
    #[error(
        "unknown channel kind `{value}`: expected one of rest, shopify, amazon, edi, csv, portal, salesforce"
    )]
    UnknownChannelKind {
        /// The rejected value.
        value: String,
    },
    /// A CloudEvents attribute is missing, empty or malformed.
    #[error("invalid CloudEvent attribute `{attribute}`: {reason}")]
    InvalidCloudEvent {
        /// The attribute name.
        attribute: String,
        /// Why it was rejected.
        reason: String,
    },
    /// A document failed validation; every violation is listed.
    #[error("{} validation error(s): {}", .0.len(), join_violations(.0))]
    Validation(Vec<FieldViolation>),
}

fn join_violations(violations: &[FieldViolation]) -> String {
    violations
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl From<Vec<FieldViolation>> for ModelError {
    fn from(violations: Vec<FieldViolation>) -> Self {
        ModelError::Validation(violations)
    }
}
