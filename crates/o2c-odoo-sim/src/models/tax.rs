//! `account.tax` with the fields Odoo's tax computation reads
//! (addons/account/models/account_tax.py): the computation kind, group
//! children, `sequence`, price-included, and whether a tax affects the base
//! of later ones (`include_base_amount`) or is affected by earlier ones
//! (`is_base_affected`, default true). The sandbox runs as if
//! `account_tax_python` were installed: `amount_type` offers `code`, with
//! its Python in `python_compute` (16/17) or its `formula` (18+).
//!
//! Repartition lines (`account.tax.repartition.line`): a tax made without
//! any gets, as in Odoo (`_compute_invoice_repartition_line_ids`), one
//! 'base' and one 'tax' line of 100 % for invoices and for refunds. 16
//! links a line to its tax by `invoice_tax_id` / `refund_tax_id` (its
//! `tax_id` and `document_type` are computed); 17+ store `tax_id` and
//! `document_type`, and `create` dispatches `invoice_repartition_line_ids`
//! / `refund_repartition_line_ids` commands into `repartition_line_ids`
//! (`_sanitize_vals`). A sale line's tax counts them as its version does
//! (`pricing::tax_amount`).

use std::sync::Arc;

use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use crate::OdooVersion;
use crate::fault::Fault;
use crate::orm::{Env, Record};
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
        .field(
            FieldDef::new(
                "invoice_repartition_line_ids",
                T::One2many,
                "Distribution for Invoices",
            )
            .relation(REPARTITION),
        )
        .field(
            FieldDef::new(
                "refund_repartition_line_ids",
                T::One2many,
                "Distribution for Refund Invoices",
            )
            .relation(REPARTITION),
        )
        .hooks(Arc::new(Taxes));
    let spec = if version >= OdooVersion::V17 {
        // one set of lines by `tax_id`; the invoice and refund ones are
        // its lines of each `document_type`
        spec.field(
            FieldDef::new("repartition_line_ids", T::One2many, "Distribution")
                .relation(REPARTITION),
        )
        .one2many_inverse("repartition_line_ids", "tax_id", true)
    } else {
        spec.one2many_inverse("invoice_repartition_line_ids", "invoice_tax_id", true)
            .one2many_inverse("refund_repartition_line_ids", "refund_tax_id", true)
    };
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

/// The repartition line model.
pub const REPARTITION: &str = "account.tax.repartition.line";

/// `account.tax.repartition.line`: how a tax's amount is distributed
/// (`factor_percent` of it per line, 'base' or 'tax'), for invoices or
/// refunds.
pub fn repartition_model(version: OdooVersion) -> ModelSpec {
    let spec = ModelSpec::new(REPARTITION, "Tax Repartition Line")
        .order(if version >= OdooVersion::V17 {
            "document_type, repartition_type, sequence, id"
        } else {
            "sequence, repartition_type, id"
        })
        .field(FieldDef::new("factor_percent", T::Float, "%").required())
        .field(
            FieldDef::new("repartition_type", T::Selection, "Based On")
                .selection(&[("base", "Base"), ("tax", "of tax")])
                .required(),
        )
        .field(FieldDef::new("account_id", T::Many2one, "Account").relation("account.account"))
        .field(FieldDef::new("sequence", T::Integer, "Sequence"))
        .field(FieldDef::new(
            "use_in_tax_closing",
            T::Boolean,
            "Tax Closing Entry",
        ))
        .field(FieldDef::new("company_id", T::Many2one, "Company").relation("res.company"))
        .hooks(Arc::new(RepartitionLines));
    let document_type = FieldDef::new("document_type", T::Selection, "Document Type")
        .selection(&[("invoice", "Invoice"), ("refund", "Refund")]);
    let tax_id = FieldDef::new("tax_id", T::Many2one, "Tax").relation("account.tax");
    if version >= OdooVersion::V17 {
        spec.field(tax_id.required())
            .field(document_type.required())
    } else {
        spec.field(
            FieldDef::new("invoice_tax_id", T::Many2one, "Invoice Tax").relation("account.tax"),
        )
        .field(FieldDef::new("refund_tax_id", T::Many2one, "Refund Tax").relation("account.tax"))
        .field(tax_id.readonly())
        .field(document_type.readonly())
    }
}

/// The ids of `tax`'s repartition lines for `document_type` ('invoice' or
/// 'refund'), in the model's order.
fn lines_of(env: &Env, tax: i64, document_type: &str) -> Vec<i64> {
    let ids = if env.version >= OdooVersion::V17 {
        super::util::find_by(env, REPARTITION, "tax_id", tax, |r| {
            super::text(r, "document_type") == Some(document_type)
        })
    } else {
        let link = format!("{document_type}_tax_id");
        super::util::children(env, REPARTITION, &link, tax)
    };
    env.sorted(REPARTITION, ids, None).unwrap_or_default()
}

/// The factors (`factor_percent / 100`) of `tax`'s invoice 'tax' lines, in
/// their order (`sequence`, then id); one of 100 % when it has none (a
/// tax stored before the sandbox had lines).
pub fn invoice_factors(env: &Env, tax: i64) -> Vec<Decimal> {
    let ids = lines_of(env, tax, "invoice");
    let ids = env
        .sorted(REPARTITION, ids, Some("sequence, id"))
        .unwrap_or_default();
    let factors: Vec<Decimal> = ids
        .iter()
        .filter_map(|id| env.record(REPARTITION, *id))
        .filter(|r| super::text(r, "repartition_type") == Some("tax"))
        .map(|r| {
            let percent = r
                .get("factor_percent")
                .and_then(|v| v.to_string().parse::<Decimal>().ok())
                .unwrap_or(Decimal::ONE_HUNDRED);
            percent / Decimal::ONE_HUNDRED
        })
        .collect();
    if factors.is_empty() {
        vec![Decimal::ONE]
    } else {
        factors
    }
}

struct Taxes;

impl Hooks for Taxes {
    fn defaults(&self, env: &mut Env, vals: &mut Map<String, Value>) -> Result<(), Fault> {
        // the field defaults of account.tax
        vals.entry("sequence").or_insert(json!(1));
        vals.entry("price_include").or_insert(json!(false));
        vals.entry("include_base_amount").or_insert(json!(false));
        vals.entry("is_base_affected").or_insert(json!(true));
        vals.entry("active").or_insert(json!(true));
        vals.entry("type_tax_use").or_insert(json!("sale"));
        if env.version >= OdooVersion::V17 {
            sanitize(vals);
        }
        Ok(())
    }

    fn compute(&self, env: &Env, id: i64, _rec: &Record, field: &str) -> Option<Value> {
        let document_type = match field {
            "invoice_repartition_line_ids" => "invoice",
            "refund_repartition_line_ids" => "refund",
            _ => return None,
        };
        Some(json!(lines_of(env, id, document_type)))
    }

    fn computed(&self, field: &str) -> bool {
        matches!(
            field,
            "invoice_repartition_line_ids" | "refund_repartition_line_ids"
        )
    }

    fn after_create(&self, env: &mut Env, id: i64) -> Result<(), Fault> {
        // `_compute_invoice_repartition_line_ids` / `_compute_refund_...`:
        // a base and a tax line of 100 % where none were given
        let company = env
            .record("account.tax", id)
            .and_then(|r| super::m2o(r, "company_id"));
        for document_type in ["invoice", "refund"] {
            if !lines_of(env, id, document_type).is_empty() {
                continue;
            }
            for (sequence, kind) in [(1, "base"), (2, "tax")] {
                let mut line = json!({"repartition_type": kind, "factor_percent": 100.0,
                    "sequence": sequence, "use_in_tax_closing": kind == "tax"});
                if env.version >= OdooVersion::V17 {
                    line["tax_id"] = json!(id);
                    line["document_type"] = json!(document_type);
                } else {
                    line[format!("{document_type}_tax_id")] = json!(id);
                }
                if let Some(c) = company {
                    line["company_id"] = json!(c);
                }
                env.create(REPARTITION, super::util::vals(line))?;
            }
        }
        Ok(())
    }
}

/// `_sanitize_vals` (17+): the commands of `invoice_repartition_line_ids`
/// and `refund_repartition_line_ids` go to `repartition_line_ids`, the
/// created lines marked with their `document_type`.
fn sanitize(vals: &mut Map<String, Value>) {
    let given = ["invoice", "refund"]
        .iter()
        .any(|d| vals.contains_key(&format!("{d}_repartition_line_ids")));
    if !given {
        return;
    }
    let mut commands = Vec::new();
    for document_type in ["invoice", "refund"] {
        let Some(Value::Array(list)) =
            vals.remove(&format!("{document_type}_repartition_line_ids"))
        else {
            continue;
        };
        for command in list {
            match command.as_array().map(Vec::as_slice) {
                Some([code, _, Value::Object(line)]) if code.as_i64() == Some(0) => {
                    let mut line = line.clone();
                    line.insert("document_type".into(), json!(document_type));
                    commands.push(json!([0, 0, line]));
                }
                _ => commands.push(command),
            }
        }
    }
    vals.insert("repartition_line_ids".into(), Value::Array(commands));
}

struct RepartitionLines;

impl Hooks for RepartitionLines {
    fn defaults(&self, _env: &mut Env, vals: &mut Map<String, Value>) -> Result<(), Fault> {
        vals.entry("factor_percent").or_insert(json!(100.0));
        vals.entry("repartition_type").or_insert(json!("tax"));
        vals.entry("sequence").or_insert(json!(1));
        vals.entry("use_in_tax_closing").or_insert(json!(true));
        Ok(())
    }

    /// 16's computed `tax_id` and `document_type`.
    fn compute(&self, _env: &Env, _id: i64, rec: &Record, field: &str) -> Option<Value> {
        let invoice = super::m2o(rec, "invoice_tax_id");
        match field {
            "tax_id" => Some(json!(invoice.or_else(|| super::m2o(rec, "refund_tax_id")))),
            "document_type" => Some(json!(if invoice.is_some() {
                "invoice"
            } else {
                "refund"
            })),
            _ => None,
        }
    }
}
