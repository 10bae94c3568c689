//! `Address`: postal address with an ISO 3166-1 alpha-2 country and an
//! optional ISO 3166-2 subdivision code.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::ModelError;
use crate::validation::{FieldViolation, Violations, child};

/// A postal address. Country and subdivision are codes, never free text.
///
/// Codes are checked by `Address::validate` / `Address::violations`
/// rather than while parsing, so that an order with a bad address still
/// parses and can become an `address_invalid` exception with the payload.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Address {
    /// Addressee (person) name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Company name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    /// Street lines, in order (street and number, suite, building...).
    #[serde(default)]
    pub street_lines: Vec<String>,
    /// City or locality.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// Postal (ZIP) code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// ISO 3166-2 subdivision code, e.g. `"US-CA"`, `"DE-BY"`, `"GB-ENG"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[A-Z]{2}-[A-Z0-9]{1,3}$"))]
    pub subdivision: Option<String>,
    /// ISO 3166-1 alpha-2 country code, upper case, e.g. `"US"`.
    #[schemars(regex(pattern = r"^[A-Z]{2}$"))]
    pub country: String,
    /// Phone number, preferably E.164 (`+14155550123`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// E-mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

impl Address {
    /// An address with only a country; fill the other fields as needed.
    pub fn new(country: impl Into<String>) -> Self {
        Self {
            name: None,
            company: None,
            street_lines: Vec::new(),
            city: None,
            postal_code: None,
            subdivision: None,
            country: country.into(),
            phone: None,
            email: None,
        }
    }

    /// The country as an `isocountry` code, or a typed error naming the value.
    pub fn country_code(&self) -> Result<isocountry::CountryCode, ModelError> {
        parse_country(&self.country)
    }

    /// Checks country and subdivision codes; the first problem is returned.
    pub fn validate(&self) -> Result<(), ModelError> {
        self.country_code()?;
        if let Some(sub) = &self.subdivision {
            check_subdivision(sub, &self.country)?;
        }
        Ok(())
    }

    /// Every violation (codes, blank texts, e-mail shape), located under `path`.
    pub fn violations(&self, path: impl std::fmt::Display) -> Vec<FieldViolation> {
        let mut v = Violations::default();
        if let Err(e) = self.country_code() {
            v.push(child(&path, "country"), e.to_string());
        }
        if let Some(sub) = &self.subdivision
            && let Err(e) = check_subdivision(sub, &self.country)
        {
            v.push(child(&path, "subdivision"), e.to_string());
        }
        for (i, line) in self.street_lines.iter().enumerate() {
            v.require_text(child(&child(&path, "street_lines"), i), line);
        }
        v.optional_text(child(&path, "city"), self.city.as_deref());
        v.optional_text(child(&path, "postal_code"), self.postal_code.as_deref());
        if let Some(email) = &self.email
            && let Some(msg) = email_problem(email)
        {
            v.push(child(&path, "email"), msg);
        }
        v.finish().err().unwrap_or_default()
    }
}

/// Parses an upper-case ISO 3166-1 alpha-2 code.
pub fn parse_country(code: &str) -> Result<isocountry::CountryCode, ModelError> {
    isocountry::CountryCode::for_alpha2(code).map_err(|_| ModelError::UnknownCountry {
        code: code.to_string(),
    })
}

/// Checks the ISO 3166-2 shape `CC-XXX` (1 to 3 upper-case letters or digits
/// after the dash) and that `CC` is `country`.
pub fn check_subdivision(code: &str, country: &str) -> Result<(), ModelError> {
    let err = |reason: &str| ModelError::InvalidSubdivision {
        code: code.to_string(),
        country: country.to_string(),
        reason: reason.to_string(),
    };
    let Some((prefix, local)) = code.split_once('-') else {
        return Err(err(
            "expected the ISO 3166-2 shape `CC-XXX`, e.g. \"US-CA\"",
        ));
    };
    let shape_ok = prefix.len() == 2
        && prefix.bytes().all(|b| b.is_ascii_uppercase())
        && (1..=3).contains(&local.len())
        && local
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if !shape_ok {
        return Err(err(
            "expected the ISO 3166-2 shape `CC-XXX`, e.g. \"US-CA\"",
        ));
    }
    if prefix != country {
        return Err(err("the country prefix does not match the address country"));
    }
    Ok(())
}

/// A light e-mail shape check: `local@domain` with a dot-free-or-not domain,
/// no spaces. Returns the problem, if any.
pub(crate) fn email_problem(email: &str) -> Option<&'static str> {
    let trimmed = email.trim();
    if trimmed.is_empty() {
        return Some("must not be empty");
    }
    match trimmed.split_once('@') {
        Some((local, domain))
            if !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !trimmed.contains(char::is_whitespace) =>
        {
            None
        }
        _ => Some("is not an e-mail address (expected local@domain)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(country: &str, sub: Option<&str>) -> Address {
        Address {
            subdivision: sub.map(String::from),
            ..Address::new(country)
        }
    }

    #[test]
    fn accepts_valid_codes() {
        assert!(addr("US", Some("US-CA")).validate().is_ok());
        assert!(addr("GB", Some("GB-ENG")).validate().is_ok());
        assert!(addr("FR", Some("FR-75")).validate().is_ok());
        assert!(addr("DE", None).validate().is_ok());
        assert_eq!(
            addr("US", None).country_code().unwrap(),
            isocountry::CountryCode::USA
        );
    }

    #[test]
    fn rejects_bad_country() {
        for bad in ["ZZ", "us", "USA", ""] {
            assert_eq!(
                addr(bad, None).validate(),
                Err(ModelError::UnknownCountry { code: bad.into() }),
                "{bad}"
            );
        }
    }

    #[test]
    fn rejects_bad_subdivision() {
        for bad in ["CA", "US-", "US-CALI", "us-ca", "US_CA", "USA-CA"] {
            assert!(
                matches!(
                    addr("US", Some(bad)).validate(),
                    Err(ModelError::InvalidSubdivision { .. })
                ),
                "{bad}"
            );
        }
        let e = addr("US", Some("CA-ON")).validate().unwrap_err();
        assert!(e.to_string().contains("does not match"), "{e}");
    }

    #[test]
    fn violations_collect_all_with_pointers() {
        let a = Address {
            email: Some("not-an-email".into()),
            street_lines: vec!["1 Main St".into(), " ".into()],
            ..addr("XX", Some("US-CA"))
        };
        let v = a.violations("/ship_to");
        let paths: Vec<_> = v.iter().map(|v| v.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "/ship_to/country",
                "/ship_to/subdivision",
                "/ship_to/street_lines/1",
                "/ship_to/email"
            ]
        );
    }

    #[test]
    fn serde_omits_absent_fields() {
        let a = Address {
            city: Some("Austin".into()),
            ..addr("US", Some("US-TX"))
        };
        assert_eq!(
            serde_json::to_value(&a).unwrap(),
            serde_json::json!({"street_lines": [], "city": "Austin", "subdivision": "US-TX", "country": "US"})
        );
        let back: Address = serde_json::from_value(serde_json::to_value(&a).unwrap()).unwrap();
        assert_eq!(back, a);
    }
}
