//! The unit of each order line against its product's unit in Odoo: the
//! product's own unit needs nothing; another unit is resolved by name
//! (`uom.uom`, through the master-data cache) and must convert to the
//! product's (same category in 16–18, a common reference in 19); the line
//! is then written in that unit and Odoo converts it for delivery (see
//! docs/adr/0017-lines-in-the-ordered-unit.md).

use std::collections::HashMap;

use o2c_odoo::OdooError;
use o2c_odoo::ops::{Ops, UomFit};

use super::OdooErp;
use crate::erp::facts::LineUom;

/// A line's unit name is the product's own when it is empty or spells the
/// product's unit name (any case).
pub(super) fn same_unit(line_uom: &str, product_uom: Option<&str>) -> bool {
    let line = line_uom.trim();
    line.is_empty() || product_uom.is_some_and(|p| p.trim().eq_ignore_ascii_case(line))
}

/// A product's unit as the lines need it: its id and name.
#[derive(Debug, Clone, Copy)]
pub(super) struct ProductUnit<'a> {
    pub uom_id: Option<i64>,
    pub uom_name: Option<&'a str>,
}

/// `(sku, line unit name)` → how that unit relates to the product's.
pub(super) type UnitFits = HashMap<(String, String), LineUom>;

impl OdooErp {
    /// The version-aware operations with the adapter's master-data cache.
    pub(super) async fn cached_ops<'a>(&'a self, cid: &'a str) -> Result<Ops<'a>, OdooError> {
        let dialect = self
            .dialect
            .get_or_try_init(|| self.client.dialect())
            .await?;
        Ok(self
            .client
            .ops(*dialect)
            .with_correlation_id(cid)
            .with_cache(&self.master))
    }

    /// How each `(sku, unit)` of `lines` relates to its product's unit.
    /// Lines in their product's unit (and lines without a product) are not
    /// in the answer and cost no call; the others cost, on a cold cache,
    /// ONE `uom.uom` search for their names and ONE read of the products'
    /// units.
    pub(super) async fn unit_fits<'p>(
        &self,
        cid: &str,
        lines: impl IntoIterator<Item = (&str, &str)>,
        product: impl Fn(&str) -> Option<ProductUnit<'p>>,
    ) -> Result<UnitFits, OdooError> {
        let mut wanted: Vec<(String, String, Option<i64>)> = Vec::new();
        for (sku, unit) in lines {
            let Some(p) = product(sku) else {
                continue;
            };
            if same_unit(unit, p.uom_name) || wanted.iter().any(|(s, u, _)| s == sku && u == unit) {
                continue;
            }
            wanted.push((sku.to_owned(), unit.to_owned(), p.uom_id));
        }
        if wanted.is_empty() {
            return Ok(HashMap::new());
        }
        let ops = self.cached_ops(cid).await?;
        let mut names: Vec<String> = wanted.iter().map(|(_, u, _)| u.clone()).collect();
        names.sort();
        names.dedup();
        let mut product_uoms: Vec<i64> = wanted.iter().filter_map(|(_, _, p)| *p).collect();
        product_uoms.sort_unstable();
        product_uoms.dedup();
        let units = ops.uoms_by_name(&names).await?;
        let product_units = ops.uoms(&product_uoms).await?;
        let mut out = HashMap::new();
        for (sku, name, product_uom) in wanted {
            let fit = match units.get(&name) {
                None => LineUom::Unknown,
                Some(unit) => match product_uom.and_then(|p| product_units.get(&p)) {
                    // a product without a unit: nothing to convert to
                    None => LineUom::Product,
                    Some(product_unit) => match unit.fit(product_unit) {
                        UomFit::Same => LineUom::Product,
                        UomFit::Convertible { ratio } => LineUom::Converted {
                            uom_id: unit.id,
                            ratio,
                        },
                        UomFit::Incompatible => LineUom::Incompatible { uom_id: unit.id },
                    },
                },
            };
            out.insert((sku, name), fit);
        }
        Ok(out)
    }
}

/// The fit of one line (`Product` when it needs no conversion).
pub(super) fn fit_of(fits: &UnitFits, sku: &str, unit: &str) -> LineUom {
    fits.get(&(sku.to_owned(), unit.to_owned()))
        .cloned()
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::same_unit;

    #[test]
    fn the_product_unit_is_matched_without_case_and_by_default() {
        assert!(same_unit("Units", Some("Units")));
        assert!(same_unit(" units ", Some("Units")));
        assert!(same_unit("", Some("Units")));
        assert!(!same_unit("Case of 12", Some("Units")));
        assert!(!same_unit("EA", None));
    }
}
