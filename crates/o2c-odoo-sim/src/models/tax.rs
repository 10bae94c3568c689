//! `account.tax` with the fields Odoo's tax computation reads
//! (addons/account/models/account_tax.py): the computation kind, group
//! children, `sequence`, price-included, and whether a tax affects the base
//! of later ones (`include_base_amount`) or is affected by earlier ones
//! (`is_base_affected`, default true). The sandbox runs as if
//! `account_tax_python` were installed: `amount_type` offers `code`, with
//! its Python in `python_compute` (16/17) or its `formula` (18+).

use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::OdooVersion;
use crate::fault::Fault;
use crate::orm::Env;
use crate::schema::{FieldDef, FieldType as T, ModelSpec};

use super::Hooks;

pub fn model(version: OdooVersion) -> ModelSpec {
    let code = if version >= OdooVersion::V18 {
        ("code", "Custom Formula")
    } else {
        ("code", "Python Code")
    };
    let spec = ModelSpec::new("account.tax", "Tax")
        .order("sequence, id")
        .field(FieldDef::new("name", T::Char, "Tax Name").required())
        .field(
            FieldDef::new("amount_type", T::Selection, "Tax Computation")
                .selection(&[
                    ("group", "Group of Taxes"),
                    ("fixed", "Fixed"),
                    ("percent", "Percentage of Price"),
                    ("division", "Percentage of Price Tax Included"),
                    code,
                ])
                .required(),
        )
        .field(FieldDef::new("amount", T::Float, "Amount").required())
        .field(
            FieldDef::new("type_tax_use", T::Selection, "Tax Type")
                .selection(&[
                    ("sale", "Sales"),
                    ("purchase", "Purchases"),
                    ("none", "None"),
                ])
                .required(),
        )
        .field(FieldDef::new(
            "price_include",
            T::Boolean,
            "Included in Price",
        ))
        .field(FieldDef::new(
            "include_base_amount",
            T::Boolean,
            "Affect Base of Subsequent Taxes",
        ))
        .field(FieldDef::new(
            "is_base_affected",
            T::Boolean,
            "Base Affected by Previous Taxes",
        ))
        .field(
            FieldDef::new("children_tax_ids", T::Many2many, "Children Taxes")
                .relation("account.tax"),
        )
        .field(FieldDef::new("description", T::Char, "Label on Invoices"))
        .field(FieldDef::new("sequence", T::Integer, "Sequence"))
        .field(FieldDef::new("company_id", T::Many2one, "Company").relation("res.company"))
        .field(FieldDef::new("active", T::Boolean, "Active"))
        .hooks(Arc::new(Taxes));
    if version >= OdooVersion::V18 {
        spec.field(FieldDef::new("formula", T::Char, "Formula"))
    } else {
        spec.field(FieldDef::new("python_compute", T::Text, "Python Code"))
            .field(FieldDef::new(
                "python_applicable",
                T::Text,
                "Applicable Code",
            ))
    }
}

struct Taxes;

impl Hooks for Taxes {
    fn defaults(&self, _env: &mut Env, vals: &mut Map<String, Value>) -> Result<(), Fault> {
        // the field defaults of account.tax
        vals.entry("sequence").or_insert(json!(1));
        vals.entry("price_include").or_insert(json!(false));
        vals.entry("include_base_amount").or_insert(json!(false));
        vals.entry("is_base_affected").or_insert(json!(true));
        vals.entry("active").or_insert(json!(true));
        vals.entry("type_tax_use").or_insert(json!("sale"));
        Ok(())
    }
}
