//! `_check_company` across linked records: Odoo refuses a record of company
//! A that links to a record of company B (odoo/models.py `_check_company`,
//! run by `create` and `write` on models with `_check_company_auto`), with
//! a UserError listing the first five inconsistencies. The record rules of
//! `crate::companies` only look at the records a call runs on; this looks
//! at what they link to: an order's customer, pricelist, warehouse, a
//! line's product and taxes, a picking's locations, an entry's journal.

use serde_json::{Map, Value};

use crate::OdooVersion;
use crate::fault::{Fault, py_repr};
use crate::models::m2o;
use crate::orm::Env;

/// The `check_company=True` relational fields of the models the sandbox
/// serves (sale, sale_stock, stock and account `models/*.py`), as far as the
/// sandbox simulates their comodels. A field the version does not have is
/// skipped (the version's field dump decides).
fn fields(version: OdooVersion, model: &str) -> &'static [&'static str] {
    match model {
        // 16 filters the customer and its addresses by a domain only; 17
        // moved them (and the invoicing journal, new in 17) to check_company
        "sale.order" if version == OdooVersion::V16 => &[
            "pricelist_id",
            "payment_term_id",
            "fiscal_position_id",
            "team_id",
            "analytic_account_id",
            "warehouse_id",
        ],
        "sale.order" => &[
            "partner_id",
            "partner_invoice_id",
            "partner_shipping_id",
            "journal_id",
            "pricelist_id",
            "payment_term_id",
            "fiscal_position_id",
            "team_id",
            "warehouse_id",
        ],
        "sale.order.line" => &["product_id", "tax_id", "tax_ids", "route_id"],
        "stock.picking" => &[
            "partner_id",
            "picking_type_id",
            "location_id",
            "location_dest_id",
            "backorder_id",
            "owner_id",
        ],
        "stock.move" => &[
            "product_id",
            "location_id",
            "location_dest_id",
            "picking_id",
            "picking_type_id",
            "warehouse_id",
            "restrict_partner_id",
        ],
        "account.move" => &[
            "journal_id",
            "partner_id",
            "fiscal_position_id",
            "invoice_payment_term_id",
            "partner_bank_id",
            "reversed_entry_id",
        ],
        "account.move.line" => &["account_id", "product_id", "tax_ids"],
        "account.payment" => &[
            "journal_id",
            "partner_id",
            "partner_bank_id",
            "payment_method_line_id",
            "destination_account_id",
        ],
        _ => &[],
    }
}

/// The record a line takes its company from (a `related` company_id).
fn parent_field(model: &str) -> Option<&'static str> {
    match model {
        "sale.order.line" => Some("order_id"),
        "stock.move" => Some("picking_id"),
        "account.move.line" => Some("move_id"),
        "product.product" => Some("product_tmpl_id"),
        _ => None,
    }
}

/// The company of a record (`None`: shared by every company).
fn company_of(env: &Env, model: &str, id: i64) -> Option<i64> {
    let rec = env.record(model, id)?;
    if let Some(c) = m2o(rec, "company_id") {
        return Some(c);
    }
    let spec = env.reg.get(model)?;
    if let Some(c) = spec
        .hooks
        .compute(env, id, rec, "company_id")
        .and_then(|v| v.as_i64())
    {
        return Some(c);
    }
    let parent = parent_field(model)?;
    let rel = spec.get(parent)?.relation.as_deref()?;
    company_of(env, rel, m2o(rec, parent)?)
}

/// Whether `model` is checked at all.
fn checked(version: OdooVersion, model: &str) -> bool {
    !fields(version, model).is_empty()
}

/// One linked set of records that does not fit the record's company.
struct Inconsistency {
    id: i64,
    field: String,
    corecords: Vec<i64>,
    relation: String,
}

/// `_check_company(fnames)` on `ids` of `model` (`None`: every field).
pub fn check(env: &Env, model: &str, ids: &[i64], fnames: Option<&[String]>) -> Result<(), Fault> {
    let Some(spec) = env.reg.get(model) else {
        return Ok(());
    };
    if !spec.has("company_id") {
        return Ok(());
    }
    // 17+ check every field when the company itself changes
    let all = fnames.is_none()
        || env.version >= OdooVersion::V17
            && fnames.is_some_and(|f| f.iter().any(|n| n == "company_id"));
    let names: Vec<&str> = fields(env.version, model)
        .iter()
        .copied()
        .filter(|n| all || fnames.is_some_and(|f| f.iter().any(|x| x == n)))
        .collect();
    let mut found = Vec::new();
    for &id in ids {
        let Some(rec) = env.record(model, id) else {
            continue;
        };
        let company = company_of(env, model, id);
        for name in &names {
            let Some(f) = spec.get(name) else { continue };
            let Some(rel) = f.relation.as_deref() else {
                continue;
            };
            // comodels without a company (or not simulated) never clash
            if !env.reg.get(rel).is_some_and(|r| r.has("company_id")) {
                continue;
            }
            let corecords: Vec<i64> = if f.ftype.is_x2many() {
                env.x2many_ids(spec, id, rec, f)
            } else {
                m2o(rec, name).into_iter().collect()
            };
            if corecords.is_empty() {
                continue;
            }
            let fits = |c: &i64| company_of(env, rel, *c).is_none_or(|cc| Some(cc) == company);
            let clash = match env.version {
                // `not (corecord.company_id <= company)`
                OdooVersion::V16 => !corecords.iter().all(fits),
                // `not corecord.filtered_domain(domain)`: none fits
                OdooVersion::V17 => !corecords.iter().any(fits),
                // `corecords != corecords.filtered_domain(domain)`
                _ => !corecords.iter().all(fits),
            };
            if clash {
                found.push(Inconsistency {
                    id,
                    field: (*name).to_string(),
                    corecords,
                    relation: rel.to_string(),
                });
            }
        }
    }
    if found.is_empty() {
        return Ok(());
    }
    Err(Fault::user(message(env, model, &found)))
}

/// The UserError text of each version (at most five lines).
fn message(env: &Env, model: &str, found: &[Inconsistency]) -> String {
    let v = env.version;
    let mut lines = vec![
        if v >= OdooVersion::V19 {
            "Uh-oh! You’ve got some company inconsistencies here:"
        } else {
            "Incompatible companies on records:"
        }
        .to_string(),
    ];
    for inc in found.iter().take(5) {
        let record = env.display_name(model, inc.id);
        let company = company_of(env, model, inc.id).map(|c| env.display_name("res.company", c));
        let label = env
            .reg
            .get(model)
            .and_then(|s| s.get(&inc.field))
            .map(|f| f.string.clone())
            .unwrap_or_else(|| inc.field.clone());
        let values = inc
            .corecords
            .iter()
            .map(|c| py_repr(&Value::String(env.display_name(&inc.relation, *c))))
            .collect::<Vec<_>>()
            .join(", ");
        let fname = &inc.field;
        lines.push(match v {
            // `%(record)r`: Python reprs; an empty company is `False`
            OdooVersion::V16 | OdooVersion::V17 => format!(
                "- {} belongs to company {} and {} ({fname}: {values}) belongs to another company.",
                py_repr(&Value::String(record)),
                company.map_or("False".to_string(), |c| py_repr(&Value::String(c))),
                py_repr(&Value::String(label)),
            ),
            OdooVersion::V18 => format!(
                "- “{record}” belongs to company “{}” and “{label}” ({fname}: {values}) belongs to another company.",
                company.unwrap_or_else(|| "False".into()),
            ),
            // the companies joined (none: empty)
            _ => format!(
                "- “{record}” belongs to company “{}” while “{label}” ({fname}: {values}) belongs to another company.",
                company.unwrap_or_default(),
            ),
        });
    }
    if v >= OdooVersion::V19 {
        lines.push("To avoid a mess, no company crossover is allowed!".into());
    }
    lines.join("\n")
}

/// The one2many fields of `model` whose lines are checked too (their
/// records are created or written by the same call).
fn line_fields(env: &Env, model: &str, only: Option<&Map<String, Value>>) -> Vec<(String, String)> {
    let Some(spec) = env.reg.get(model) else {
        return Vec::new();
    };
    spec.fields
        .values()
        .filter(|f| f.ftype == crate::schema::FieldType::One2many)
        .filter(|f| only.is_none_or(|vals| vals.contains_key(&f.name)))
        .filter_map(|f| {
            let rel = f.relation.clone()?;
            checked(env.version, &rel).then(|| (f.name.clone(), rel))
        })
        .collect()
}

/// After `create` of `ids`: their lines first (Odoo creates and checks them
/// inside the parent's create), then the records themselves.
pub fn created(env: &Env, model: &str, ids: &[i64]) -> Result<(), Fault> {
    if !checked(env.version, model) {
        return Ok(());
    }
    check_lines(env, model, ids, None)?;
    check(env, model, ids, None)
}

/// After `write(ids, vals)`: the lines the x2many commands touched, then
/// the written fields.
pub fn written(
    env: &Env,
    model: &str,
    ids: &[i64],
    vals: &Map<String, Value>,
) -> Result<(), Fault> {
    if !checked(env.version, model) {
        return Ok(());
    }
    check_lines(env, model, ids, Some(vals))?;
    let names: Vec<String> = vals.keys().cloned().collect();
    check(env, model, ids, Some(&names))
}

fn check_lines(
    env: &Env,
    model: &str,
    ids: &[i64],
    only: Option<&Map<String, Value>>,
) -> Result<(), Fault> {
    let Some(spec) = env.reg.get(model) else {
        return Ok(());
    };
    for (name, rel) in line_fields(env, model, only) {
        let Some(f) = spec.get(&name) else { continue };
        let mut lines = Vec::new();
        for &id in ids {
            if let Some(rec) = env.record(model, id) {
                lines.extend(env.x2many_ids(spec, id, rec, f));
            }
        }
        check(env, &rel, &lines, None)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_customer_is_checked_from_17() {
        assert!(!fields(OdooVersion::V16, "sale.order").contains(&"partner_id"));
        assert!(fields(OdooVersion::V17, "sale.order").contains(&"partner_id"));
        assert!(fields(OdooVersion::V19, "sale.order.line").contains(&"product_id"));
        assert!(!checked(OdooVersion::V18, "res.partner"));
    }
}
