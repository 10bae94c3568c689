//! `Product`: a sellable item identified by SKU.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::refs::{ExternalRef, refs_violations};
use crate::validation::{FieldViolation, Violations};

/// A product as the hub knows it (master data lives in the ERP).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Product {
    /// Stock-keeping unit, the hub's product key (Odoo `default_code`).
    pub sku: String,
    /// GTIN / EAN / UPC barcode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub barcode: Option<String>,
    /// Display name.
    pub name: String,
    /// Default unit-of-measure code.
    pub uom: String,
    /// Ids in other systems (Odoo product id, channel listing ids).
    #[serde(default)]
    pub external_refs: Vec<ExternalRef>,
}

impl Product {
    /// Validates a product document (non-blank sku, name, uom, refs).
    pub fn validate(&self) -> Result<(), Vec<FieldViolation>> {
        let mut v = Violations::default();
        v.require_text("/sku", &self.sku);
        v.optional_text("/barcode", self.barcode.as_deref());
        v.require_text("/name", &self.name);
        v.require_text("/uom", &self.uom);
        v.extend(refs_violations(&self.external_refs, "/external_refs"));
        v.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_validation() {
        let p = Product {
            sku: "WIDGET-1".into(),
            barcode: Some("0012345678905".into()),
            name: "Widget".into(),
            uom: "Units".into(),
            external_refs: vec![ExternalRef::new("odoo", "42")],
        };
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(serde_json::from_str::<Product>(&json).unwrap(), p);
        assert!(p.validate().is_ok());
        let bad = Product {
            sku: String::new(),
            ..p
        };
        assert_eq!(bad.validate().unwrap_err()[0].path, "/sku");
    }
}
