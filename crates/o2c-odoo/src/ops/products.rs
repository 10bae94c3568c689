//! Products by SKU and barcode, and unit-of-measure conversion with
//! `uom.uom` factors.

use std::collections::HashMap;

use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Value, json};

use super::{Ops, dec, m2o, rec_id, rows, str_field};
use crate::{OdooClient, OdooError};

/// A product found by SKU (`default_code`) or barcode.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductInfo {
    pub id: i64,
    pub uom_id: Option<i64>,
    pub name: String,
}

/// A unit of measure and how it relates to its reference unit.
#[derive(Debug, Clone, PartialEq)]
pub struct UomInfo {
    pub id: i64,
    pub name: String,
    /// 16–18: `category_id`; 19 has no categories (`None`).
    pub category_id: Option<i64>,
    /// Units of this UoM per reference unit (Odoo's `factor`): 1 for the
    /// reference, 1/12 for a dozen.
    pub factor: Decimal,
    /// 16–18: `factor_inv` (12 for a dozen), exact where `factor` is a
    /// rounded fraction. Zero when unknown.
    pub factor_inv: Decimal,
    /// Rounding precision (0.01 for Units).
    pub rounding: Decimal,
    /// 19: the unit this one is defined against (`relative_uom_id`).
    pub relative_uom_id: Option<i64>,
}

impl UomInfo {
    fn from_record(rec: &Value) -> Result<UomInfo, OdooError> {
        Ok(UomInfo {
            id: rec_id(rec)?,
            name: str_field(rec, "name"),
            category_id: m2o(rec, "category_id"),
            factor: dec(rec, "factor"),
            factor_inv: dec(rec, "factor_inv"),
            rounding: dec(rec, "rounding"),
            relative_uom_id: m2o(rec, "relative_uom_id"),
        })
    }

    /// Reference units per one of this unit (12 for a dozen).
    fn per_reference(&self) -> Option<Decimal> {
        if !self.factor_inv.is_zero() {
            Some(self.factor_inv)
        } else if !self.factor.is_zero() {
            Decimal::ONE.checked_div(self.factor)
        } else {
            None
        }
    }
}

/// Converts `qty` from one unit to another of the same category, as
/// `uom.uom._compute_quantity` does (addons/uom/models/uom_uom.py:
/// `amount = qty / from.factor * to.factor`, then rounded UP to the target
/// unit's rounding). Exact decimals; `factor_inv` is used where known, so a
/// dozen is exactly 12.
pub fn convert_uom(qty: Decimal, from: &UomInfo, to: &UomInfo) -> Result<Decimal, OdooError> {
    if from.id == to.id {
        return Ok(qty);
    }
    if let (Some(a), Some(b)) = (from.category_id, to.category_id)
        && a != b
    {
        return Err(OdooError::Validation {
            message: format!(
                "cannot convert {} to {}: the units are in different categories",
                from.name, to.name
            ),
        });
    }
    let (Some(f), Some(t)) = (from.per_reference(), to.per_reference()) else {
        return Err(OdooError::protocol(format!(
            "unit {} or {} has no factor",
            from.name, to.name
        )));
    };
    // qty * (reference per from) / (reference per to)
    let amount = (qty * f)
        .checked_div(t)
        .ok_or_else(|| OdooError::protocol("unit conversion overflow"))?;
    Ok(round_up_to(amount.normalize(), to.rounding))
}

/// Units of `to` in one unit of `from`, unrounded (12 from a dozen to
/// Units): for prices, which Odoo converts without the unit's rounding
/// (`uom.uom._compute_price`).
pub fn uom_ratio(from: &UomInfo, to: &UomInfo) -> Result<Decimal, OdooError> {
    if from.id == to.id {
        return Ok(Decimal::ONE);
    }
    let (Some(f), Some(t)) = (from.per_reference(), to.per_reference()) else {
        return Err(OdooError::protocol(format!(
            "unit {} or {} has no factor",
            from.name, to.name
        )));
    };
    f.checked_div(t)
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

impl OdooClient {
    /// Products by SKU (`default_code`), in ONE `search_read`. SKUs with no
    /// product are absent from the map.
    pub async fn products_by_sku(
        &self,
        skus: &[String],
        correlation_id: Option<&str>,
    ) -> Result<HashMap<String, ProductInfo>, OdooError> {
        products_by(self, "default_code", skus, correlation_id).await
    }

    /// Products by barcode, in ONE `search_read`.
    pub async fn products_by_barcode(
        &self,
        barcodes: &[String],
        correlation_id: Option<&str>,
    ) -> Result<HashMap<String, ProductInfo>, OdooError> {
        products_by(self, "barcode", barcodes, correlation_id).await
    }
}

async fn products_by(
    client: &OdooClient,
    field: &str,
    keys: &[String],
    correlation_id: Option<&str>,
) -> Result<HashMap<String, ProductInfo>, OdooError> {
    let mut wanted: Vec<&str> = keys.iter().map(String::as_str).collect();
    wanted.sort_unstable();
    wanted.dedup();
    if wanted.is_empty() {
        return Ok(HashMap::new());
    }
    let found = client
        .execute_kw(
            "product.product",
            "search_read",
            json!([[[field, "in", wanted]]]),
            json!({"fields": ["id", field, "name", "uom_id"], "order": "id asc"}),
            correlation_id,
        )
        .await?;
    let mut out = HashMap::new();
    for p in rows(found)? {
        let Some(code) = p.get(field).and_then(Value::as_str) else {
            continue;
        };
        let id = rec_id(&p)?;
        out.entry(code.to_string()).or_insert_with(|| ProductInfo {
            id,
            uom_id: m2o(&p, "uom_id"),
            name: str_field(&p, "name"),
        });
    }
    Ok(out)
}

impl Ops<'_> {
    /// Units of measure by id, through the master-data cache when there is
    /// one (one `read` for the misses).
    pub async fn uoms(&self, ids: &[i64]) -> Result<HashMap<i64, UomInfo>, OdooError> {
        let fields: &[&str] = if self.dialect.uom_has_category {
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
                "write_date",
            ]
        };
        let recs = self.read_master("uom.uom", ids, fields).await?;
        recs.iter()
            .map(|r| UomInfo::from_record(r).map(|u| (u.id, u)))
            .collect()
    }

    /// Converts a channel quantity in unit `from` into unit `to` (for
    /// example boxes of 12 into the product's Units).
    pub async fn convert_quantity(
        &self,
        qty: Decimal,
        from: i64,
        to: i64,
    ) -> Result<Decimal, OdooError> {
        if from == to {
            return Ok(qty);
        }
        let u = self.uoms(&[from, to]).await?;
        let (Some(f), Some(t)) = (u.get(&from), u.get(&to)) else {
            return Err(OdooError::MissingRecord {
                message: format!("uom.uom({from}, {to}) does not exist"),
            });
        };
        convert_uom(qty, f, t)
    }

    /// Units of `to` in one unit of `from`, unrounded.
    pub async fn uom_ratio(&self, from: i64, to: i64) -> Result<Decimal, OdooError> {
        if from == to {
            return Ok(Decimal::ONE);
        }
        let u = self.uoms(&[from, to]).await?;
        let (Some(f), Some(t)) = (u.get(&from), u.get(&to)) else {
            return Err(OdooError::MissingRecord {
                message: format!("uom.uom({from}, {to}) does not exist"),
            });
        };
        uom_ratio(f, t)
    }

    /// Records of a master-data model by id: cached ones from the cache,
    /// the rest in one `read` (then cached).
    pub async fn read_master(
        &self,
        model: &str,
        ids: &[i64],
        fields: &[&str],
    ) -> Result<Vec<Value>, OdooError> {
        let mut out = Vec::new();
        let mut misses = Vec::new();
        for id in ids {
            match self.cache.and_then(|c| c.get_record(model, *id)) {
                Some(v) => out.push(v),
                None => misses.push(*id),
            }
        }
        misses.sort_unstable();
        misses.dedup();
        if !misses.is_empty() {
            let got = self.read(model, &misses, fields).await?;
            if let Some(c) = self.cache {
                for r in &got {
                    if let Some(id) = r.get("id").and_then(Value::as_i64) {
                        c.put_record(model, id, r.clone());
                    }
                }
            }
            out.extend(got);
        }
        Ok(out)
    }

    /// Products by SKU through the cache (SKU → id), with one
    /// `search_read` for the misses.
    pub async fn products_by_sku(
        &self,
        skus: &[String],
    ) -> Result<HashMap<String, ProductInfo>, OdooError> {
        let mut out = HashMap::new();
        let mut misses = Vec::new();
        for s in skus {
            match self
                .cache
                .and_then(|c| c.get_key("product.product", &format!("sku:{s}")))
            {
                Some(v) => {
                    if let Some(id) = v.get("id").and_then(Value::as_i64) {
                        out.insert(
                            s.clone(),
                            ProductInfo {
                                id,
                                uom_id: m2o(&v, "uom_id"),
                                name: str_field(&v, "name"),
                            },
                        );
                    }
                }
                None => misses.push(s.clone()),
            }
        }
        if !misses.is_empty() {
            let found = self
                .client
                .products_by_sku(&misses, self.correlation_id)
                .await?;
            if let Some(c) = self.cache {
                for (sku, p) in &found {
                    c.put_key(
                        "product.product",
                        &format!("sku:{sku}"),
                        p.id,
                        json!({"id": p.id, "uom_id": p.uom_id.map(|u| json!([u, ""])).unwrap_or(json!(false)), "name": p.name}),
                    );
                }
            }
            out.extend(found);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn unit(id: i64, factor: &str, inv: &str) -> UomInfo {
        UomInfo {
            id,
            name: format!("u{id}"),
            category_id: Some(1),
            factor: d(factor),
            factor_inv: d(inv),
            rounding: d("0.01"),
            relative_uom_id: None,
        }
    }

    #[test]
    fn dozens_to_units_is_exact() {
        let units = unit(1, "1", "1");
        // Odoo stores a dozen as factor 0.08333333333333333 and factor_inv 12
        let dozen = unit(2, "0.08333333333333333", "12");
        assert_eq!(convert_uom(d("3"), &dozen, &units).unwrap(), d("36"));
        assert_eq!(convert_uom(d("36"), &units, &dozen).unwrap(), d("3"));
        // 19: no factor_inv, factor only
        let mut dozen19 = dozen.clone();
        dozen19.factor_inv = Decimal::ZERO;
        dozen19.category_id = None;
        let mut units19 = units.clone();
        units19.factor_inv = Decimal::ZERO;
        units19.category_id = None;
        assert_eq!(convert_uom(d("3"), &dozen19, &units19).unwrap(), d("36"));
        // rounding UP to the target's precision
        assert_eq!(convert_uom(d("1"), &units, &dozen).unwrap(), d("0.09"));
    }

    #[test]
    fn categories_must_match() {
        let a = unit(1, "1", "1");
        let mut kg = unit(3, "1", "1");
        kg.category_id = Some(2);
        assert!(matches!(
            convert_uom(d("1"), &a, &kg),
            Err(OdooError::Validation { .. })
        ));
    }
}
