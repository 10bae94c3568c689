//! `Currency`: a validated ISO 4217 alphabetic code, written as `"USD"`.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};

use crate::error::ModelError;

/// An ISO 4217 currency that has a minor unit (`USD`, `EUR`, `JPY`, ...).
///
/// Parsing is strict: upper case only, and codes without a minor unit
/// (precious metals such as `XAU`, `XDR`, the testing code `XTS`, `XXX`)
/// are refused because they cannot denominate an order or an invoice.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency(iso_currency::Currency);

impl Currency {
    /// US dollar.
    pub const USD: Currency = Currency(iso_currency::Currency::USD);
    /// Euro.
    pub const EUR: Currency = Currency(iso_currency::Currency::EUR);
    /// Pound sterling.
    pub const GBP: Currency = Currency(iso_currency::Currency::GBP);
    /// Canadian dollar.
    pub const CAD: Currency = Currency(iso_currency::Currency::CAD);
    /// Japanese yen (no minor unit).
    pub const JPY: Currency = Currency(iso_currency::Currency::JPY);

    /// Parses an upper-case ISO 4217 code such as `"USD"`.
    pub fn parse(code: &str) -> Result<Self, ModelError> {
        let iso =
            iso_currency::Currency::from_code(code).ok_or_else(|| ModelError::UnknownCurrency {
                code: code.to_string(),
            })?;
        if iso.exponent().is_none() {
            return Err(ModelError::NonMonetaryCurrency {
                code: code.to_string(),
            });
        }
        Ok(Self(iso))
    }

    /// The three-letter code, e.g. `"USD"`.
    pub fn code(&self) -> &'static str {
        self.0.code()
    }

    /// Number of decimal places of the minor unit (USD 2, JPY 0, KWD 3).
    pub fn minor_units(&self) -> u32 {
        // `parse` only admits currencies that define an exponent.
        self.0.exponent().map_or(0, u32::from)
    }

    /// The English name from ISO 4217 (e.g. "US Dollar").
    pub fn name(&self) -> &str {
        self.0.name()
    }

    /// The underlying `iso_currency` value.
    pub fn iso(&self) -> iso_currency::Currency {
        self.0
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Currency({})", self.code())
    }
}

impl FromStr for Currency {
    type Err = ModelError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for Currency {
    type Error = ModelError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl TryFrom<&str> for Currency {
    type Error = ModelError;
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Self::parse(s)
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> Self {
        c.code().to_string()
    }
}

impl AsRef<str> for Currency {
    fn as_ref(&self) -> &str {
        self.code()
    }
}

impl JsonSchema for Currency {
    fn schema_name() -> Cow<'static, str> {
        "Currency".into()
    }

    fn schema_id() -> Cow<'static, str> {
        "o2c_model::Currency".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": "^[A-Z]{3}$",
            "description": "ISO 4217 alphabetic currency code, upper case (e.g. \"USD\")."
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_known_codes() {
        assert_eq!(Currency::parse("USD").unwrap(), Currency::USD);
        assert_eq!("EUR".parse::<Currency>().unwrap().code(), "EUR");
        assert_eq!(Currency::parse("KWD").unwrap().minor_units(), 3);
        assert_eq!(Currency::USD.minor_units(), 2);
        assert_eq!(Currency::JPY.minor_units(), 0);
    }

    #[test]
    fn rejects_unknown_lowercase_and_non_monetary_codes() {
        assert_eq!(
            Currency::parse("XYZ"),
            Err(ModelError::UnknownCurrency { code: "XYZ".into() })
        );
        assert_eq!(
            Currency::parse("usd"),
            Err(ModelError::UnknownCurrency { code: "usd".into() })
        );
        assert!(Currency::parse("").is_err());
        assert!(Currency::parse("USDX").is_err());
        assert_eq!(
            Currency::parse("XAU"),
            Err(ModelError::NonMonetaryCurrency { code: "XAU".into() })
        );
        let msg = Currency::parse("XYZ").unwrap_err().to_string();
        assert!(msg.contains("`XYZ`"), "{msg}");
    }

    #[test]
    fn serde_as_plain_string() {
        assert_eq!(serde_json::to_string(&Currency::USD).unwrap(), "\"USD\"");
        let c: Currency = serde_json::from_str("\"GBP\"").unwrap();
        assert_eq!(c, Currency::GBP);
        let err = serde_json::from_str::<Currency>("\"XYZ\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown currency code `XYZ`"), "{err}");
        assert!(serde_json::from_str::<Currency>("840").is_err());
    }
}
