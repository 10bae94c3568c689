//! Exact decimal (de)serialization for `rust_decimal::Decimal` fields.
//!
//! Decimals are SERIALIZED as JSON strings (`"19.99"`) so that no consumer
//! ever reads them as binary floats. They are DESERIALIZED from a JSON string
//! or a JSON number, exactly: with serde_json's `arbitrary_precision` feature
//! numbers keep their digits, and parsing refuses values that `Decimal` cannot
//! hold without rounding (`1e400`, 30 fractional digits, ...).
//!
//! Use as `#[serde(with = "crate::decimal")]` plus
//! `#[schemars(with = "crate::decimal::DecimalSchema")]`; for
//! `Option<Decimal>` use [`option`] and `Option<DecimalSchema>`.

use std::borrow::Cow;
use std::fmt;

use rust_decimal::Decimal;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserializer, Serializer};

use crate::error::ModelError;

/// serde_json's private map key for arbitrary-precision numbers.
const SERDE_JSON_NUMBER_TOKEN: &str = "$serde_json::private::Number";

/// Regular expression (JSON Schema `pattern`) for decimals written as strings.
pub const DECIMAL_PATTERN: &str = r"^-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?$";

/// Whether `text` matches [`DECIMAL_PATTERN`], without a regex engine (a
/// test holds the two equal): the text the schema admits for a decimal.
pub fn is_plain_decimal(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut at = usize::from(bytes.first() == Some(&b'-'));
    let digits = |at: &mut usize| {
        let start = *at;
        while bytes.get(*at).is_some_and(u8::is_ascii_digit) {
            *at += 1;
        }
        *at > start
    };
    if !digits(&mut at) {
        return false;
    }
    if bytes.get(at) == Some(&b'.') {
        at += 1;
        if !digits(&mut at) {
            return false;
        }
    }
    if matches!(bytes.get(at), Some(b'e' | b'E')) {
        at += 1;
        if matches!(bytes.get(at), Some(b'+' | b'-')) {
            at += 1;
        }
        if !digits(&mut at) {
            return false;
        }
    }
    at == bytes.len()
}

/// Parses `text` as an exact decimal: plain (`"19.99"`) or scientific
/// (`"1.5e3"`) notation; fails instead of rounding or overflowing.
pub fn parse_decimal(text: &str) -> Result<Decimal, ModelError> {
    let trimmed = text.trim();
    let err = |reason: String| ModelError::InvalidDecimal {
        value: text.to_string(),
        reason,
    };
    if trimmed.is_empty() {
        return Err(err("empty string".into()));
    }
    if trimmed.contains(['e', 'E']) {
        return Decimal::from_scientific(trimmed).map_err(|e| {
            err(format!(
                "out of the exact decimal range (at most 28 significant digits, scale <= 28): {e}"
            ))
        });
    }
    Decimal::from_str_exact(trimmed).map_err(|e| {
        let reason = if trimmed
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-' || b == b'+')
        {
            format!(
                "out of the exact decimal range (at most 28 significant digits, scale <= 28): {e}"
            )
        } else {
            format!("not a decimal number such as \"19.99\": {e}")
        };
        err(reason)
    })
}

/// Serializes a decimal as a JSON string, keeping its scale (`"1.50"`).
pub fn serialize<S: Serializer>(value: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(value)
}

/// Deserializes a decimal from a JSON string or number, exactly.
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
    deserializer.deserialize_any(DecimalVisitor)
}

struct DecimalVisitor;

impl<'de> Visitor<'de> for DecimalVisitor {
    type Value = Decimal;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a decimal as a JSON string (\"19.99\") or number (19.99)")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Decimal, E> {
        parse_decimal(v).map_err(E::custom)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Decimal, E> {
        Ok(Decimal::from(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Decimal, E> {
        Ok(Decimal::from(v))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Decimal, E> {
        Decimal::try_from_i128_with_scale(v, 0).map_err(|_| {
            E::custom(ModelError::InvalidDecimal {
                value: v.to_string(),
                reason: "out of the decimal range".into(),
            })
        })
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Decimal, E> {
        let signed = i128::try_from(v).map_err(|_| {
            E::custom(ModelError::InvalidDecimal {
                value: v.to_string(),
                reason: "out of the decimal range".into(),
            })
        })?;
        self.visit_i128(signed)
    }

    /// Reached with non-JSON formats, and from a `serde_json::Value` number
    /// whose text is exactly the float's shortest round-trip form (`1.0`,
    /// `0.1`). That text is parsed, so `0.1f64` becomes exactly `0.1` and
    /// `1.0` keeps its scale (`{:?}` prints `1.0`, `Display` would print `1`).
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Decimal, E> {
        if !v.is_finite() {
            return Err(E::custom(ModelError::InvalidDecimal {
                value: v.to_string(),
                reason: "not a finite number".into(),
            }));
        }
        parse_decimal(&format!("{v:?}")).map_err(E::custom)
    }

    /// serde_json with `arbitrary_precision` hands numbers over as a
    /// one-entry map `{ "$serde_json::private::Number": "<digits>" }`.
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Decimal, A::Error> {
        match map.next_key::<String>()? {
            Some(key) if key == SERDE_JSON_NUMBER_TOKEN => {
                let digits: String = map.next_value()?;
                parse_decimal(&digits).map_err(de::Error::custom)
            }
            _ => Err(de::Error::invalid_type(de::Unexpected::Map, &self)),
        }
    }
}

/// The same rules for `Option<Decimal>` (`null` or absent is `None`).
pub mod option {
    use super::*;

    /// Serializes `Some(d)` as a string and `None` as `null`.
    pub fn serialize<S: Serializer>(
        value: &Option<Decimal>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(d) => serializer.collect_str(d),
            None => serializer.serialize_none(),
        }
    }

    /// Deserializes `null` as `None`, a string or number as `Some`.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Decimal>, D::Error> {
        deserializer.deserialize_option(OptionVisitor)
    }

    struct OptionVisitor;

    impl<'de> Visitor<'de> for OptionVisitor {
        type Value = Option<Decimal>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("null or a decimal as a JSON string (\"19.99\") or number (19.99)")
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            super::deserialize(d).map(Some)
        }
    }
}

/// JSON Schema stand-in for a decimal field: a string matching
/// [`DECIMAL_PATTERN`] or a JSON number.
pub struct DecimalSchema;

impl JsonSchema for DecimalSchema {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "Decimal".into()
    }

    fn schema_id() -> Cow<'static, str> {
        "o2c_model::Decimal".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": ["string", "number"],
            "pattern": DECIMAL_PATTERN,
            "description": "Exact decimal; written as a string such as \"19.99\", read from a string or a number."
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;
    use serde::{Deserialize, Serialize};

    fn pattern() -> &'static jsonschema::Validator {
        static PATTERN: std::sync::OnceLock<jsonschema::Validator> = std::sync::OnceLock::new();
        PATTERN.get_or_init(|| {
            jsonschema::validator_for(
                &serde_json::json!({ "type": "string", "pattern": DECIMAL_PATTERN }),
            )
            .expect("the pattern compiles")
        })
    }

    #[test]
    fn plain_decimal_text_is_the_patterns() {
        let pattern = pattern();
        for text in [
            "0", "-0", "19.99", "-1.5e3", "1E+2", "1e-02", "", "-", "+1", ".5", "1.", "1e", "1e+",
            " 1", "1 ", "1\n", "1_000", "0x10", "١", "1.2.3", "--1", "1e1e1", "1.5E-3",
        ] {
            assert_eq!(
                is_plain_decimal(text),
                pattern.is_valid(&serde_json::json!(text)),
                "{text:?}"
            );
        }
    }

    proptest! {
        #[test]
        fn plain_decimal_text_matches_the_pattern_on_any_text(text in "[-+0-9.eE _a\\n١]{0,10}") {
            prop_assert_eq!(is_plain_decimal(&text), pattern().is_valid(&serde_json::json!(text)));
        }
    }

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    struct Holder {
        #[serde(with = "crate::decimal")]
        v: Decimal,
        #[serde(default, with = "crate::decimal::option")]
        o: Option<Decimal>,
    }

    fn read(json: &str) -> Result<Holder, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn reads_numbers_and_strings_exactly() {
        assert_eq!(read(r#"{"v": 19.99}"#).unwrap().v.to_string(), "19.99");
        assert_eq!(read(r#"{"v": "19.99"}"#).unwrap().v.to_string(), "19.99");
        assert_eq!(read(r#"{"v": 0.1}"#).unwrap().v, dec!(0.1));
        assert_eq!(read(r#"{"v": "0.1"}"#).unwrap().v, dec!(0.1));
        assert_eq!(read(r#"{"v": 1.50}"#).unwrap().v.to_string(), "1.50");
        assert_eq!(read(r#"{"v": 42}"#).unwrap().v, dec!(42));
        assert_eq!(read(r#"{"v": -3}"#).unwrap().v, dec!(-3));
        assert_eq!(read(r#"{"v": 1.5e3}"#).unwrap().v, dec!(1500));
        assert_eq!(
            read(r#"{"v": 0.1234567890123456789012345678}"#)
                .unwrap()
                .v
                .to_string(),
            "0.1234567890123456789012345678"
        );
    }

    #[test]
    fn reads_through_serde_json_value() {
        let value: serde_json::Value = serde_json::from_str(r#"{"v": 19.99, "o": 0.30}"#).unwrap();
        let h: Holder = serde_json::from_value(value).unwrap();
        assert_eq!(h.v.to_string(), "19.99");
        assert_eq!(h.o.unwrap().to_string(), "0.30");
    }

    #[test]
    fn optional_accepts_null_absent_and_values() {
        assert_eq!(read(r#"{"v": 1}"#).unwrap().o, None);
        assert_eq!(read(r#"{"v": 1, "o": null}"#).unwrap().o, None);
        assert_eq!(read(r#"{"v": 1, "o": "2.5"}"#).unwrap().o, Some(dec!(2.5)));
        assert_eq!(read(r#"{"v": 1, "o": 2.5}"#).unwrap().o, Some(dec!(2.5)));
    }

    #[test]
    fn writes_strings_keeping_scale() {
        let h = Holder {
            v: dec!(1.50),
            o: None,
        };
        assert_eq!(
            serde_json::to_string(&h).unwrap(),
            r#"{"v":"1.50","o":null}"#
        );
    }

    #[test]
    fn rejects_out_of_range_and_garbage_with_clear_messages() {
        // serde_json normalizes the exponent of a number to `1e+400`.
        let e = read(r#"{"v": 1e400}"#).unwrap_err().to_string();
        assert!(e.contains("invalid decimal `1e"), "{e}");
        assert!(e.contains("out of the exact decimal range"), "{e}");
        let e = read(r#"{"v": "1e400"}"#).unwrap_err().to_string();
        assert!(e.contains("invalid decimal `1e400`"), "{e}");
        let e = read(r#"{"v": "abc"}"#).unwrap_err().to_string();
        assert!(e.contains("invalid decimal `abc`"), "{e}");
        assert!(e.contains("not a decimal number"), "{e}");
        let e = read(r#"{"v": 0.12345678901234567890123456789012}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("out of the exact decimal range"), "{e}");
        let e = read(r#"{"v": 123456789012345678901234567890}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("invalid decimal"), "{e}");
        assert!(read(r#"{"v": true}"#).is_err());
        assert!(read(r#"{"v": {"x": 1}}"#).is_err());
        assert!(read(r#"{"v": ""}"#).is_err());
    }
}
