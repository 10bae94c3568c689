//! `Party`: a customer (or any business partner) as the hub knows it.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::address::{Address, email_problem};
use crate::money::Money;
use crate::refs::{ExternalRef, refs_violations};
use crate::validation::{FieldViolation, Violations, child};

/// A customer. In an order only `name` is required; `external_refs`,
/// `email` and `vat` are what customer matching looks at.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Party {
    /// Ids of this party in other systems (channel customer id, Odoo partner id, CRM id).
    #[serde(default)]
    pub external_refs: Vec<ExternalRef>,
    /// Display name (person or company).
    pub name: String,
    /// E-mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Phone number, preferably E.164.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// VAT or other tax id, as printed (e.g. `"DE123456789"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vat: Option<String>,
    /// Invoice address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing_address: Option<Address>,
    /// Known delivery addresses.
    #[serde(default)]
    pub shipping_addresses: Vec<Address>,
    /// Payment terms code (e.g. `"net30"`, `"immediate"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_terms: Option<String>,
    /// Credit limit, if the customer buys on credit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit_limit: Option<Money>,
    /// Pricelist code or name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pricelist: Option<String>,
    /// Customer segment (e.g. `"wholesale"`, `"retail"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment: Option<String>,
}

impl Party {
    /// A party with only a name.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            external_refs: Vec::new(),
            name: name.into(),
            email: None,
            phone: None,
            vat: None,
            billing_address: None,
            shipping_addresses: Vec::new(),
            payment_terms: None,
            credit_limit: None,
            pricelist: None,
            segment: None,
        }
    }

    /// Every violation located under `path` (`""` for a party document).
    pub fn violations(&self, path: impl std::fmt::Display) -> Vec<FieldViolation> {
        let mut v = Violations::default();
        v.extend(refs_violations(
            &self.external_refs,
            child(&path, "external_refs"),
        ));
        v.require_text(child(&path, "name"), &self.name);
        if let Some(msg) = self.email.as_deref().and_then(email_problem) {
            v.push(child(&path, "email"), msg);
        }
        v.optional_text(child(&path, "vat"), self.vat.as_deref());
        if let Some(a) = &self.billing_address {
            v.extend(a.violations(child(&path, "billing_address")));
        }
        for (i, a) in self.shipping_addresses.iter().enumerate() {
            v.extend(a.violations(child(&child(&path, "shipping_addresses"), i)));
        }
        if let Some(limit) = &self.credit_limit
            && limit.is_negative()
        {
            v.push(
                child(&child(&path, "credit_limit"), "amount"),
                "must not be negative",
            );
        }
        v.finish().err().unwrap_or_default()
    }

    /// Validates a stand-alone party document.
    pub fn validate(&self) -> Result<(), Vec<FieldViolation>> {
        let v = self.violations("");
        if v.is_empty() { Ok(()) } else { Err(v) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::currency::Currency;
    use rust_decimal_macros::dec;

    #[test]
    fn round_trip_and_validation() {
        let p = Party {
            email: Some("ap@example.com".into()),
            credit_limit: Some(Money::new(dec!(5000), Currency::USD)),
            billing_address: Some(Address::new("US")),
            ..Party::new("Acme Corp")
        };
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(serde_json::from_str::<Party>(&json).unwrap(), p);
        assert!(p.validate().is_ok());

        let bad = Party {
            email: Some("nope".into()),
            credit_limit: Some(Money::new(dec!(-1), Currency::USD)),
            shipping_addresses: vec![Address::new("US"), Address::new("QQ")],
            ..Party::new(" ")
        };
        let paths: Vec<_> = bad
            .validate()
            .unwrap_err()
            .into_iter()
            .map(|v| v.path)
            .collect();
        assert_eq!(
            paths,
            [
                "/name",
                "/email",
                "/shipping_addresses/1/country",
                "/credit_limit/amount"
            ]
        );
    }
}
