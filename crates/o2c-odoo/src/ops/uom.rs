//! Units of measure: resolving a unit by name, telling whether it converts
//! to a product's unit, and converting quantities and prices the way Odoo
//! does, per version.
//!
//! 16–18 (addons/uom/models/uom_uom.py): units convert within a
//! `category_id`; `factor` is how many of the unit make one reference unit
//! (a dozen: 1/12) and `factor_inv` its inverse (12). 19 (same file, 19.0):
//! no categories; a unit is `relative_factor` times its `relative_uom_id`,
//! `factor` is the absolute quantity of the root unit in it (a dozen: 12),
//! and two units convert when their `parent_path` share a root
//! (`_has_common_reference`). Both versions' `_compute_quantity` convert
//! through the reference and round UP to the target's `rounding`;
//! `_compute_price` converts a price without rounding.

use std::collections::HashMap;

use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Value, json};

use super::{Ops, dec, m2o, rec_id, str_field};
use crate::OdooError;

/// A unit of measure and how it relates to its reference unit.
#[derive(Debug, Clone, PartialEq)]
pub struct UomInfo {
    pub id: i64,
    pub name: String,
    /// The units this one converts with share this: the category (16–18)
    /// or the root unit of the `relative_uom_id` chain (19). `None`: not
    /// known, the unit converts with no other.
    pub group: Option<i64>,
    /// Reference (root) units in one of this unit: 12 for a dozen. 16–18:
    /// `factor_inv` (or 1 / `factor`); 19: `factor`.
    pub per_reference: Decimal,
    /// Rounding precision (0.01 for Units).
    pub rounding: Decimal,
    /// 19: the unit this one is defined against (`relative_uom_id`).
    pub relative_uom_id: Option<i64>,
}

/// How a line's unit relates to its product's unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UomFit {
    /// The product's own unit.
    Same,
    /// Another unit Odoo converts: `ratio` product units in one line unit
    /// (12 for cases of 12 of a product sold in Units).
    Convertible { ratio: Decimal },
    /// A unit of another category (16–18) or with no common reference (19).
    Incompatible,
}

/// Float noise of Odoo's stored factors (1 / 0.08333333333333333 reads
/// 12.000000000000002) is cut at this many decimals.
const FACTOR_DP: u32 = 10;

impl UomInfo {
    /// A `uom.uom` record as [`Ops::uoms`] reads it; `has_category`: the
    /// 16–18 shape.
    pub fn from_record(rec: &Value, has_category: bool) -> Result<UomInfo, OdooError> {
        let id = rec_id(rec)?;
        let factor = dec(rec, "factor");
        let (group, per_reference) = if has_category {
            let inv = dec(rec, "factor_inv");
            let per = if !inv.is_zero() {
                inv
            } else {
                Decimal::ONE.checked_div(factor).unwrap_or_default()
            };
            (m2o(rec, "category_id"), per)
        } else {
            // `parent_path` is "root/…/id/": the root is the first id
            let root = rec
                .get("parent_path")
                .and_then(Value::as_str)
                .and_then(|p| p.split('/').next())
                .and_then(|r| r.parse::<i64>().ok());
            (root, factor)
        };
        Ok(UomInfo {
            id,
            name: str_field(rec, "name"),
            group,
            per_reference: per_reference
                .round_dp_with_strategy(FACTOR_DP, RoundingStrategy::MidpointAwayFromZero)
                .normalize(),
            rounding: dec(rec, "rounding"),
            relative_uom_id: m2o(rec, "relative_uom_id"),
        })
    }

    /// Whether quantities of this unit convert into `other`.
    pub fn converts_to(&self, other: &UomInfo) -> bool {
        self.id == other.id || (self.group.is_some() && self.group == other.group)
    }

    /// How this unit (a line's) relates to `product` (its product's unit).
    pub fn fit(&self, product: &UomInfo) -> UomFit {
        if self.id == product.id {
            return UomFit::Same;
        }
        if !self.converts_to(product) {
            return UomFit::Incompatible;
        }
        match uom_ratio(self, product) {
            Ok(ratio) => UomFit::Convertible { ratio },
            Err(_) => UomFit::Incompatible,
        }
    }
}

/// Converts `qty` from one unit to another, as `uom.uom._compute_quantity`
/// does: through the reference unit, then rounded UP to the target unit's
/// rounding. Exact decimals.
pub fn convert_uom(qty: Decimal, from: &UomInfo, to: &UomInfo) -> Result<Decimal, OdooError> {
    if from.id == to.id {
        return Ok(qty);
    }
    let ratio = uom_ratio(from, to)?;
    Ok(round_up_to((qty * ratio).normalize(), to.rounding))
}

/// Units of `to` in one unit of `from`, unrounded (12 from a dozen to
/// Units): a price per `to` times this is the price per `from`, as
/// `_compute_price` converts (no rounding).
pub fn uom_ratio(from: &UomInfo, to: &UomInfo) -> Result<Decimal, OdooError> {
    if from.id == to.id {
        return Ok(Decimal::ONE);
    }
    if !from.converts_to(to) {
        return Err(OdooError::Validation {
            message: format!(
                "cannot convert {} to {}: the units have no common reference unit",
                from.name, to.name
            ),
        });
    }
    if from.per_reference.is_zero() || to.per_reference.is_zero() {
        return Err(OdooError::protocol(format!(
            "unit {} or {} has no factor",
            from.name, to.name
        )));
    }
    from.per_reference
        .checked_div(to.per_reference)
        .map(|r| r.normalize())
        .ok_or_else(|| OdooError::protocol("unit conversion overflow"))
}

/// Rounds `x` away from zero to a multiple of `precision` (Odoo's
/// `float_round(..., rounding_method='UP')`), tolerating float noise.
pub fn round_up_to(x: Decimal, precision: Decimal) -> Decimal {
    if precision <= Decimal::ZERO {
        return x;
    }
    let steps = x / precision;
    // float noise such as 144.0000000006 must not become 144.01
    let near = steps.round_dp_with_strategy(6, RoundingStrategy::MidpointAwayFromZero);
    let whole = near.round_dp_with_strategy(0, RoundingStrategy::AwayFromZero);
    (whole * precision).normalize()
}

/// The cache key of a unit name (names compare without case).
fn name_key(name: &str) -> String {
    format!("name:{}", name.trim().to_lowercase())
}

impl Ops<'_> {
    fn uom_fields(&self) -> &'static [&'static str] {
        if self.dialect.uom_has_category {
            &[
                "name",
                "category_id",
                "factor",
                "factor_inv",
                "rounding",
                "write_date",
            ]
        } else {
            &[
                "name",
                "factor",
                "rounding",
                "relative_uom_id",
                "parent_path",
                "write_date",
            ]
        }
    }

    /// Units of measure by id, through the master-data cache when there is
    /// one (one `read` for the misses).
    pub async fn uoms(&self, ids: &[i64]) -> Result<HashMap<i64, UomInfo>, OdooError> {
        let recs = self.read_master("uom.uom", ids, self.uom_fields()).await?;
        let has_category = self.dialect.uom_has_category;
        recs.iter()
            .map(|r| UomInfo::from_record(r, has_category).map(|u| (u.id, u)))
            .collect()
    }

    /// Active units by name (case-insensitive; an exact spelling wins over
    /// another case, then the lowest id). Cached per name, absences too;
    /// ONE `search_read` for the names not cached. Names no unit has are
    /// absent from the answer.
    pub async fn uoms_by_name(
        &self,
        names: &[String],
    ) -> Result<HashMap<String, UomInfo>, OdooError> {
        let has_category = self.dialect.uom_has_category;
        let mut out = HashMap::new();
        let mut misses: Vec<&str> = Vec::new();
        for name in names {
            let key = name_key(name);
            if let Some(c) = self.cache {
                if let Some(v) = c.get_key("uom.uom", &key) {
                    out.insert(name.clone(), UomInfo::from_record(&v, has_category)?);
                    continue;
                }
                if c.is_known_absent("uom.uom", &key) {
                    continue;
                }
            }
            if !name.trim().is_empty() && !misses.contains(&name.trim()) {
                misses.push(name.trim());
            }
        }
        if misses.is_empty() {
            return Ok(out);
        }
        let mut domain: Vec<Value> = std::iter::repeat_n(json!("|"), misses.len() - 1).collect();
        domain.extend(misses.iter().map(|n| json!(["name", "=ilike", n])));
        let found = self
            .search_read(
                "uom.uom",
                Value::Array(domain),
                self.uom_fields(),
                Some("id asc"),
                None,
            )
            .await?;
        for name in names.iter().filter(|n| misses.contains(&n.trim())) {
            let wanted = name.trim();
            let hit = found
                .iter()
                .find(|r| str_field(r, "name") == wanted)
                .or_else(|| {
                    found
                        .iter()
                        .find(|r| str_field(r, "name").eq_ignore_ascii_case(wanted))
                });
            let key = name_key(name);
            match hit {
                Some(r) => {
                    let info = UomInfo::from_record(r, has_category)?;
                    if let Some(c) = self.cache {
                        c.put_key("uom.uom", &key, info.id, r.clone());
                    }
                    out.insert(name.clone(), info);
                }
                None => {
                    if let Some(c) = self.cache {
                        c.put_absent("uom.uom", &key);
                    }
                }
            }
        }
        Ok(out)
    }

    /// Converts a channel quantity in unit `from` into unit `to` (for
    /// example cases of 12 into the product's Units).
    pub async fn convert_quantity(
        &self,
        qty: Decimal,
        from: i64,
        to: i64,
    ) -> Result<Decimal, OdooError> {
        if from == to {
            return Ok(qty);
        }
        let (f, t) = self.uom_pair(from, to).await?;
        convert_uom(qty, &f, &t)
    }

    /// Units of `to` in one unit of `from`, unrounded.
    pub async fn uom_ratio(&self, from: i64, to: i64) -> Result<Decimal, OdooError> {
        if from == to {
            return Ok(Decimal::ONE);
        }
        let (f, t) = self.uom_pair(from, to).await?;
        uom_ratio(&f, &t)
    }

    async fn uom_pair(&self, from: i64, to: i64) -> Result<(UomInfo, UomInfo), OdooError> {
        let mut u = self.uoms(&[from, to]).await?;
        match (u.remove(&from), u.remove(&to)) {
            (Some(f), Some(t)) => Ok((f, t)),
            _ => Err(OdooError::MissingRecord {
                message: format!("uom.uom({from}, {to}) does not exist"),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().expect("decimal")
    }

    // the records as 16–18 and 19 answer them (uom/data/uom_data.xml)
    fn units16() -> UomInfo {
        UomInfo::from_record(
            &json!({"id": 1, "name": "Units", "category_id": [1, "Unit"], "factor": 1.0, "factor_inv": 1.0, "rounding": 0.01}),
            true,
        )
        .expect("units")
    }

    fn dozens16() -> UomInfo {
        UomInfo::from_record(
            &json!({"id": 2, "name": "Dozens", "category_id": [1, "Unit"], "factor": 0.08333333333333333, "factor_inv": 12.000000000000002, "rounding": 0.01}),
            true,
        )
        .expect("dozens")
    }

    #[test]
    fn dozens_to_units_is_exact_on_16() {
        let (units, dozen) = (units16(), dozens16());
        assert_eq!(dozen.per_reference, d("12"));
        assert_eq!(convert_uom(d("3"), &dozen, &units).unwrap(), d("36"));
        assert_eq!(convert_uom(d("36"), &units, &dozen).unwrap(), d("3"));
        // rounding UP to the target's precision
        assert_eq!(convert_uom(d("1"), &units, &dozen).unwrap(), d("0.09"));
        assert_eq!(dozen.fit(&units), UomFit::Convertible { ratio: d("12") });
        assert_eq!(units.fit(&units), UomFit::Same);
    }

    #[test]
    fn nineteen_relates_units_through_the_root() {
        let units = UomInfo::from_record(
            &json!({"id": 1, "name": "Units", "factor": 1.0, "rounding": 0.01, "relative_uom_id": false, "parent_path": "1/"}),
            false,
        )
        .unwrap();
        // 19: `factor` is absolute: a dozen holds 12 Units
        let dozen = UomInfo::from_record(
            &json!({"id": 2, "name": "Dozens", "factor": 12.0, "rounding": 0.01, "relative_uom_id": [1, "Units"], "parent_path": "1/2/"}),
            false,
        )
        .unwrap();
        let gram = UomInfo::from_record(
            &json!({"id": 4, "name": "g", "factor": 0.001, "rounding": 0.01, "relative_uom_id": [3, "kg"], "parent_path": "3/4/"}),
            false,
        )
        .unwrap();
        assert_eq!(convert_uom(d("3"), &dozen, &units).unwrap(), d("36"));
        assert_eq!(dozen.fit(&units), UomFit::Convertible { ratio: d("12") });
        assert_eq!(gram.fit(&units), UomFit::Incompatible);
        assert!(matches!(
            convert_uom(d("1"), &gram, &units),
            Err(OdooError::Validation { .. })
        ));
    }

    #[test]
    fn categories_must_match_on_16() {
        let kg = UomInfo::from_record(
            &json!({"id": 3, "name": "kg", "category_id": [2, "Weight"], "factor": 1.0, "factor_inv": 1.0, "rounding": 0.01}),
            true,
        )
        .unwrap();
        assert_eq!(kg.fit(&units16()), UomFit::Incompatible);
        assert!(matches!(
            convert_uom(d("1"), &units16(), &kg),
            Err(OdooError::Validation { .. })
        ));
    }
}
