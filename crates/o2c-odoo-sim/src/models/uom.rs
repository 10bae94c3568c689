//! Units of measure: the `uom.uom` (and 16–18 `uom.category`) models and
//! the conversions the sale and stock models need.
//!
//! 16–18 (addons/uom/models/uom_uom.py): a unit has a `category_id` and a
//! `factor` = units of it per reference unit (a dozen: 1/12), `factor_inv`
//! its inverse; `_compute_quantity` is `qty / from.factor * to.factor` and
//! refuses units of two categories. 19: no categories; a unit is defined
//! `relative_factor` times its `relative_uom_id`, and `factor` (stored,
//! computed) is the absolute quantity of the root unit in it (a dozen: 12);
//! `_compute_quantity` is `qty * from.factor / to.factor`, and two units
//! relate when their `parent_path` share a root (`_has_common_reference`).

use serde_json::{Map, Value, json};

use crate::OdooVersion;
use crate::fault::Fault;
use crate::orm::{Env, Record};
use crate::schema::{FieldDef, FieldType as T, ModelSpec};

use super::util::{many2one, number, put, rec, string};
use super::{Hooks, m2o, num};

pub const UOM: &str = "uom.uom";

/// The unit models of `version`.
pub fn models(version: OdooVersion) -> Vec<ModelSpec> {
    let unit = ModelSpec::new(UOM, "Product Unit of Measure")
        .field(FieldDef::new("name", T::Char, "Unit of Measure").required())
        .field(FieldDef::new("rounding", T::Float, "Rounding Precision"))
        .field(FieldDef::new("active", T::Boolean, "Active"))
        .hooks(std::sync::Arc::new(Units));
    if version >= OdooVersion::V19 {
        let unit = unit
            .order("sequence, relative_uom_id, id")
            .field(FieldDef::new("sequence", T::Integer, "Sequence"))
            .field(FieldDef::new("relative_factor", T::Float, "Contains").required())
            .field(FieldDef::new("relative_uom_id", T::Many2one, "Reference Unit").relation(UOM))
            .field(FieldDef::new("factor", T::Float, "Absolute Quantity"))
            .field(FieldDef::new("parent_path", T::Char, "Parent Path"));
        return vec![unit];
    }
    vec![
        ModelSpec::new("uom.category", "Product UoM Categories")
            .order("id")
            .field(FieldDef::new("name", T::Char, "Unit of Measure Category").required()),
        unit.order("factor DESC, id")
            .field(
                FieldDef::new("category_id", T::Many2one, "Category")
                    .relation("uom.category")
                    .required(),
            )
            .field(
                FieldDef::new("uom_type", T::Selection, "Type")
                    .selection(&[
                        ("bigger", "Bigger than the reference Unit of Measure"),
                        ("reference", "Reference Unit of Measure for this category"),
                        ("smaller", "Smaller than the reference Unit of Measure"),
                    ])
                    .required(),
            )
            .field(FieldDef::new("factor", T::Float, "Ratio").required())
            .field(FieldDef::new("factor_inv", T::Float, "Bigger Ratio")),
    ]
}

struct Units;

impl Hooks for Units {
    fn computed(&self, field: &str) -> bool {
        matches!(field, "factor_inv" | "factor" | "parent_path" | "rounding")
    }

    fn compute(&self, _env: &Env, _id: i64, rec: &Record, field: &str) -> Option<Value> {
        // 16–18 `_compute_factor_inv`: `factor and 1.0 / factor or 0.0`
        (field == "factor_inv").then(|| {
            let f = num(rec, "factor");
            json!(if f == 0.0 { 0.0 } else { 1.0 / f })
        })
    }

    fn defaults(&self, env: &mut Env, vals: &mut Map<String, Value>) -> Result<(), Fault> {
        vals.entry("active").or_insert(json!(true));
        vals.entry("rounding").or_insert(json!(0.01));
        if env.version >= OdooVersion::V19 {
            vals.entry("relative_factor").or_insert(json!(1.0));
            let relative = vals
                .get("relative_factor")
                .and_then(Value::as_f64)
                .unwrap_or(1.0);
            if relative == 0.0 {
                return Err(Fault::validation(
                    "The conversion ratio for a unit of measure cannot be 0!",
                ));
            }
            // `_compute_factor`: relative_factor * relative_uom_id.factor
            let parent = vals.get("relative_uom_id").and_then(Value::as_i64);
            let base = parent.map(|p| number(env, UOM, p, "factor")).unwrap_or(1.0);
            if parent.is_none() && relative != 1.0 {
                return Err(Fault::user("Reference unit of measure is missing."));
            }
            vals.insert("factor".into(), json!(relative * base));
            vals.entry("sequence")
                .or_insert(json!(((relative * 100.0) as i64).min(1000)));
        } else {
            // `create`: a given `factor_inv` sets `factor`
            if let Some(inv) = vals.remove("factor_inv").and_then(|v| v.as_f64()) {
                vals.insert(
                    "factor".into(),
                    json!(if inv == 0.0 { 0.0 } else { 1.0 / inv }),
                );
            }
            vals.entry("factor").or_insert(json!(1.0));
            vals.entry("uom_type").or_insert(json!("reference"));
        }
        Ok(())
    }

    fn after_create(&self, env: &mut Env, id: i64) -> Result<(), Fault> {
        if env.version >= OdooVersion::V19 {
            let parent_path = many2one(env, UOM, id, "relative_uom_id")
                .map(|p| string(env, UOM, p, "parent_path"))
                .unwrap_or_default();
            put(
                env,
                UOM,
                id,
                json!({"parent_path": format!("{parent_path}{id}/")}),
            );
        }
        Ok(())
    }
}

/// Whether two units convert into each other: the same category (16–18),
/// a common root unit (19).
pub fn related(env: &Env, a: i64, b: i64) -> bool {
    if a == b {
        return true;
    }
    if env.version >= OdooVersion::V19 {
        let root = |u: i64| {
            string(env, UOM, u, "parent_path")
                .split('/')
                .next()
                .unwrap_or_default()
                .to_string()
        };
        let (ra, rb) = (root(a), root(b));
        !ra.is_empty() && ra == rb
    } else {
        many2one(env, UOM, a, "category_id") == many2one(env, UOM, b, "category_id")
    }
}

/// Reference units in one `u` (12 for a dozen).
fn per_reference(env: &Env, u: i64) -> f64 {
    let f = number(env, UOM, u, "factor");
    if env.version >= OdooVersion::V19 {
        f
    } else if f == 0.0 {
        0.0
    } else {
        1.0 / f
    }
}

/// `_compute_quantity(qty, to)` with rounding `UP` to the target unit's
/// rounding; an error naming both units when they do not relate (the
/// message of 16–18's UserError).
pub fn convert(env: &Env, qty: f64, from: i64, to: i64) -> Result<f64, Fault> {
    if from == to || qty == 0.0 {
        return Ok(qty);
    }
    if !related(env, from, to) {
        return Err(Fault::user(format!(
            "The unit of measure {} defined on the order line doesn't belong to the same category as the unit of measure {} defined on the product. Please correct the unit of measure defined on the order line or on the product. They should belong to the same category.",
            string(env, UOM, from, "name"),
            string(env, UOM, to, "name")
        )));
    }
    let to_ref = per_reference(env, to);
    if to_ref == 0.0 {
        return Ok(qty);
    }
    let amount = qty * per_reference(env, from) / to_ref;
    let rounding = number(env, UOM, to, "rounding");
    Ok(round_up(amount, rounding))
}

/// Odoo's `float_round(rounding_method='UP')`, away from zero, after
/// trimming float noise (144.0000000001 stays 144).
fn round_up(x: f64, precision: f64) -> f64 {
    if precision <= 0.0 {
        return x;
    }
    let steps = ((x / precision) * 1e6).round() / 1e6;
    let whole = if steps >= 0.0 {
        steps.ceil()
    } else {
        steps.floor()
    };
    whole * precision
}

/// Units of `to` in one unit of `from`, unrounded (`_compute_price`
/// multiplies a price per `to` by this to get the price per `from`).
pub fn ratio(env: &Env, from: i64, to: i64) -> f64 {
    if from == to || !related(env, from, to) {
        return 1.0;
    }
    let to_ref = per_reference(env, to);
    if to_ref == 0.0 {
        1.0
    } else {
        per_reference(env, from) / to_ref
    }
}

/// `qty` of `uom` in `product`'s own unit (unchanged without a unit).
pub fn to_product_qty(env: &Env, product: i64, uom: Option<i64>, qty: f64) -> Result<f64, Fault> {
    let product_uom = m2o(&rec(env, "product.product", product), "uom_id");
    match (uom, product_uom) {
        (Some(u), Some(p)) => convert(env, qty, u, p),
        _ => Ok(qty),
    }
}

/// `qty` of `product`'s own unit in `uom` (unchanged without a unit).
pub fn from_product_qty(env: &Env, product: i64, uom: Option<i64>, qty: f64) -> Result<f64, Fault> {
    let product_uom = m2o(&rec(env, "product.product", product), "uom_id");
    match (uom, product_uom) {
        (Some(u), Some(p)) => convert(env, qty, p, u),
        _ => Ok(qty),
    }
}

#[cfg(test)]
mod tests {
    use super::round_up;

    #[test]
    fn rounds_up_without_float_noise() {
        assert_eq!(round_up(144.000_000_000_1, 0.01), 144.0);
        assert!((round_up(0.083_333, 0.01) - 0.09).abs() < 1e-9);
        assert!((round_up(-0.083_333, 0.01) + 0.09).abs() < 1e-9);
    }
}
