//! Pricing a line with the partner's pricelist.
//!
//! Over RPC Odoo refuses `_get_product_price` (private), `get_product_price`
//! and `price_get` no longer exist, and `price_compute` ignores pricelists
//! (16 README §14). Two ways remain: the draft-quotation trick (create a
//! quotation without `price_unit`, read the line, unlink it) or evaluating
//! the `product.pricelist.item` rules here. This module does the latter,
//! because the trick
//! - writes to the database for a read (3 calls, a burned `S000nn` sequence
//!   number, a `sale.order` change in every write_date feed, mail tracking);
//! - answers what Odoo would put on an order *now*, not the partner's
//!   pricelist: on the recorded 19 the pricelist feature was off and the
//!   quotation got list prices (19 README §12).
//!
//! The rules, by contrast, are master data: read once, cached, invalidated
//! by the change feed, and evaluated without a call.
//!
//! The evaluation follows `product.pricelist.item` in
//! addons/product/models/product_pricelist_item.py (`_is_applicable_for`,
//! `_compute_price`, `_order = "applied_on, min_quantity desc, categ_id
//! desc, id desc"`). A pricelist in another currency than the company's
//! takes the product prices converted at a rate the caller gives
//! ([`Ops::price_line_at_rate`]). Not covered: a `base: pricelist` chain
//! through pricelists of different currencies (the rate is applied once,
//! to the product price), and 17+'s `discount_policy` display split (the
//! net price is returned).

use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Value, json};

use super::{Ops, dec, m2o, opt_field, rec_id, str_field};
use crate::OdooError;

/// One `product.pricelist.item`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PriceRule {
    pub id: i64,
    /// `3_global`, `2_product_category`, `1_product`, `0_product_variant`.
    pub applied_on: String,
    pub product_id: Option<i64>,
    pub product_tmpl_id: Option<i64>,
    pub categ_id: Option<i64>,
    /// In the product's unit.
    pub min_quantity: Decimal,
    pub date_start: Option<String>,
    pub date_end: Option<String>,
    /// `fixed`, `percentage`, `formula`.
    pub compute_price: String,
    pub fixed_price: Decimal,
    pub percent_price: Decimal,
    /// `list_price`, `standard_price`, `pricelist`.
    pub base: String,
    pub base_pricelist_id: Option<i64>,
    pub price_discount: Decimal,
    pub price_surcharge: Decimal,
    pub price_round: Decimal,
    pub price_min_margin: Decimal,
    pub price_max_margin: Decimal,
}

impl PriceRule {
    pub fn from_record(r: &Value) -> Result<PriceRule, OdooError> {
        Ok(PriceRule {
            id: rec_id(r)?,
            applied_on: str_field(r, "applied_on"),
            product_id: m2o(r, "product_id"),
            product_tmpl_id: m2o(r, "product_tmpl_id"),
            categ_id: m2o(r, "categ_id"),
            min_quantity: dec(r, "min_quantity"),
            date_start: opt_field(r, "date_start"),
            date_end: opt_field(r, "date_end"),
            compute_price: str_field(r, "compute_price"),
            fixed_price: dec(r, "fixed_price"),
            percent_price: dec(r, "percent_price"),
            base: opt_field(r, "base").unwrap_or_else(|| "list_price".into()),
            base_pricelist_id: m2o(r, "base_pricelist_id"),
            price_discount: dec(r, "price_discount"),
            price_surcharge: dec(r, "price_surcharge"),
            price_round: dec(r, "price_round"),
            price_min_margin: dec(r, "price_min_margin"),
            price_max_margin: dec(r, "price_max_margin"),
        })
    }

    /// `_is_applicable_for(product, qty_in_product_uom)` plus the date
    /// window. `categ_path` holds the product category and its parents.
    pub fn applies(&self, p: &ProductFacts, qty: Decimal, date: &str) -> bool {
        if !self.min_quantity.is_zero() && qty < self.min_quantity {
            return false;
        }
        if let Some(s) = &self.date_start
            && date < s.as_str()
        {
            return false;
        }
        if let Some(e) = &self.date_end
            && date > e.as_str()
        {
            return false;
        }
        match self.applied_on.as_str() {
            "0_product_variant" => self.product_id == Some(p.id),
            "1_product" => self.product_tmpl_id.is_some() && self.product_tmpl_id == p.tmpl_id,
            "2_product_category" => self.categ_id.is_some_and(|c| p.categ_path.contains(&c)),
            _ => true,
        }
    }

    /// `_compute_price` given the base price (both in the product's unit).
    pub fn apply(&self, base: Decimal) -> Decimal {
        let hundred = Decimal::ONE_HUNDRED;
        match self.compute_price.as_str() {
            "fixed" => self.fixed_price,
            "percentage" => base - base * self.percent_price / hundred,
            _ => {
                let limit = base;
                let mut price = base - base * self.price_discount / hundred;
                if !self.price_round.is_zero() {
                    let steps = (price / self.price_round)
                        .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
                    price = steps * self.price_round;
                }
                if !self.price_surcharge.is_zero() {
                    price += self.price_surcharge;
                }
                if !self.price_min_margin.is_zero() {
                    price = price.max(limit + self.price_min_margin);
                }
                if !self.price_max_margin.is_zero() {
                    price = price.min(limit + self.price_max_margin);
                }
                price
            }
        }
    }
}

/// What the rules look at on a product.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProductFacts {
    pub id: i64,
    pub tmpl_id: Option<i64>,
    /// The product's category and all its parents.
    pub categ_path: Vec<i64>,
    /// `lst_price` (list price + variant extra).
    pub list_price: Decimal,
    pub standard_price: Decimal,
    pub uom_id: Option<i64>,
}

/// The first applicable rule in Odoo's order.
pub fn select_rule<'r>(
    rules: &'r [PriceRule],
    p: &ProductFacts,
    qty: Decimal,
    date: &str,
) -> Option<&'r PriceRule> {
    let mut sorted: Vec<&PriceRule> = rules.iter().collect();
    // applied_on asc, min_quantity desc, categ_id desc (nulls last), id desc
    sorted.sort_by(|a, b| {
        a.applied_on
            .cmp(&b.applied_on)
            .then(b.min_quantity.cmp(&a.min_quantity))
            .then(
                b.categ_id
                    .unwrap_or(i64::MIN)
                    .cmp(&a.categ_id.unwrap_or(i64::MIN)),
            )
            .then(b.id.cmp(&a.id))
    });
    sorted.into_iter().find(|r| r.applies(p, qty, date))
}

/// A priced line.
#[derive(Debug, Clone, PartialEq)]
pub struct LinePrice {
    /// Per unit of the line's unit.
    pub price_unit: Decimal,
    pub pricelist_id: Option<i64>,
    /// The rule that set the price (`None`: list price).
    pub rule_id: Option<i64>,
}

const RULE_FIELDS: &[&str] = &[
    "applied_on",
    "product_id",
    "product_tmpl_id",
    "categ_id",
    "min_quantity",
    "date_start",
    "date_end",
    "compute_price",
    "fixed_price",
    "percent_price",
    "base",
    "base_pricelist_id",
    "price_discount",
    "price_surcharge",
    "price_round",
    "price_min_margin",
    "price_max_margin",
    "pricelist_id",
    "write_date",
];

impl Ops<'_> {
    /// The partner's pricelist (`property_product_pricelist`, company
    /// dependent), if any.
    pub async fn partner_pricelist(&self, partner_id: i64) -> Result<Option<i64>, OdooError> {
        let r = self
            .read_one("res.partner", partner_id, &["property_product_pricelist"])
            .await?;
        Ok(m2o(&r, "property_product_pricelist"))
    }

    /// The rule fields this server has (`read` of an unknown field fails),
    /// remembered in the cache.
    async fn rule_fields(&self) -> Result<Vec<String>, OdooError> {
        const KEY: &str = "fields_get";
        if let Some(v) = self
            .cache
            .and_then(|c| c.get_key("product.pricelist.item", KEY))
            && let Some(a) = v.as_array()
        {
            return Ok(a
                .iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect());
        }
        let r = self
            .call(
                "product.pricelist.item",
                "fields_get",
                json!([RULE_FIELDS]),
                json!({"attributes": ["type"]}),
            )
            .await?;
        let have: Vec<String> = RULE_FIELDS
            .iter()
            .filter(|f| r.get(**f).is_some())
            .map(|f| f.to_string())
            .collect();
        if let Some(c) = self.cache {
            c.put_key("product.pricelist.item", KEY, 0, json!(have));
        }
        Ok(have)
    }

    /// The rules of a pricelist (cached per pricelist).
    pub async fn pricelist_rules(&self, pricelist_id: i64) -> Result<Vec<PriceRule>, OdooError> {
        let key = format!("rules:{pricelist_id}");
        if let Some(v) = self
            .cache
            .and_then(|c| c.get_key("product.pricelist", &key))
            && let Some(a) = v.as_array()
        {
            return a.iter().map(PriceRule::from_record).collect();
        }
        let fields = self.rule_fields().await?;
        let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
        let rows = self
            .search_read(
                "product.pricelist.item",
                json!([["pricelist_id", "=", pricelist_id]]),
                &fields,
                Some("id asc"),
                None,
            )
            .await?;
        if let Some(c) = self.cache {
            c.put_key("product.pricelist", &key, pricelist_id, json!(rows));
        }
        rows.iter().map(PriceRule::from_record).collect()
    }

    async fn product_facts(&self, product_id: i64) -> Result<ProductFacts, OdooError> {
        let p = self
            .read_master(
                "product.product",
                &[product_id],
                &[
                    "lst_price",
                    "standard_price",
                    "product_tmpl_id",
                    "categ_id",
                    "uom_id",
                    "write_date",
                ],
            )
            .await?
            .into_iter()
            .find(|r| r.get("id").and_then(Value::as_i64) == Some(product_id))
            .ok_or_else(|| super::missing("product.product", product_id))?;
        let mut categ_path = Vec::new();
        if let Some(c) = m2o(&p, "categ_id") {
            let cat = self
                .read("product.category", &[c], &["parent_path"])
                .await?;
            categ_path = cat
                .first()
                .and_then(|r| r.get("parent_path"))
                .and_then(Value::as_str)
                .map(|s| s.split('/').filter_map(|x| x.parse().ok()).collect())
                .unwrap_or_default();
            if !categ_path.contains(&c) {
                categ_path.push(c);
            }
        }
        Ok(ProductFacts {
            id: product_id,
            tmpl_id: m2o(&p, "product_tmpl_id"),
            categ_path,
            list_price: dec(&p, "lst_price"),
            standard_price: dec(&p, "standard_price"),
            uom_id: m2o(&p, "uom_id"),
        })
    }

    /// Prices `qty` of a product for a partner with the partner's pricelist
    /// (or `pricelist_id` when given), at `date` (`YYYY-MM-DD HH:MM:SS`),
    /// in the line's unit `uom_id` (the product's when `None`).
    pub async fn price_line(
        &self,
        partner_id: i64,
        pricelist_id: Option<i64>,
        product_id: i64,
        qty: Decimal,
        uom_id: Option<i64>,
        date: &str,
    ) -> Result<LinePrice, OdooError> {
        self.price_line_at_rate(
            partner_id,
            pricelist_id,
            product_id,
            qty,
            uom_id,
            date,
            Decimal::ONE,
        )
        .await
    }

    /// [`Self::price_line`] for a pricelist in another currency than the
    /// company's: the product's list and cost prices (company currency)
    /// are multiplied by `base_rate` (pricelist currency units per company
    /// unit), unrounded, before the rules apply, as Odoo's
    /// `_compute_base_price` converts them; fixed prices are taken as they
    /// are (they are in the pricelist's currency).
    #[allow(clippy::too_many_arguments)]
    pub async fn price_line_at_rate(
        &self,
        partner_id: i64,
        pricelist_id: Option<i64>,
        product_id: i64,
        qty: Decimal,
        uom_id: Option<i64>,
        date: &str,
        base_rate: Decimal,
    ) -> Result<LinePrice, OdooError> {
        let mut facts = self.product_facts(product_id).await?;
        facts.list_price *= base_rate;
        facts.standard_price *= base_rate;
        let pricelist = match pricelist_id {
            Some(p) => Some(p),
            None => self.partner_pricelist(partner_id).await?,
        };
        // the rules compare quantities in the product's unit
        let (qty_product, ratio) = match (uom_id, facts.uom_id) {
            (Some(line), Some(prod)) if line != prod => {
                // price per line unit = price per product unit * ratio
                let ratio = self.uom_ratio(line, prod).await?;
                (qty * ratio, ratio)
            }
            _ => (qty, Decimal::ONE),
        };
        let Some(mut pl) = pricelist else {
            return Ok(LinePrice {
                price_unit: (facts.list_price * ratio).normalize(),
                pricelist_id: None,
                rule_id: None,
            });
        };
        // follow `base: pricelist` chains (bounded)
        let mut pending: Vec<PriceRule> = Vec::new();
        let mut first_rule = None;
        let mut base = facts.list_price;
        for _ in 0..8 {
            let rules = self.pricelist_rules(pl).await?;
            match select_rule(&rules, &facts, qty_product, date) {
                None => break,
                Some(r) => {
                    first_rule.get_or_insert(r.id);
                    pending.push(r.clone());
                    if r.compute_price != "fixed" && r.base == "pricelist" {
                        match r.base_pricelist_id {
                            Some(b) if b != pl => {
                                pl = b;
                                continue;
                            }
                            _ => break,
                        }
                    }
                    if r.compute_price != "fixed" && r.base == "standard_price" {
                        base = facts.standard_price;
                    }
                    break;
                }
            }
        }
        let mut price = base;
        for r in pending.iter().rev() {
            price = r.apply(price);
        }
        Ok(LinePrice {
            price_unit: (price * ratio).normalize(),
            pricelist_id: pricelist,
            rule_id: first_rule,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn facts() -> ProductFacts {
        ProductFacts {
            id: 45,
            tmpl_id: Some(40),
            categ_path: vec![1, 5],
            list_price: dec!(40),
            standard_price: dec!(10),
            uom_id: Some(1),
        }
    }

    // the recorded pricelist "Shop B2B (-10%)": a global -10 % and a fixed
    // 33.0 for product 45 from quantity 10 (c: product.pricelist.item.search_read)
    fn recorded() -> Vec<PriceRule> {
        vec![
            PriceRule::from_record(&json!({"id": 2, "applied_on": "0_product_variant",
                "product_id": [45, "Gadget"], "compute_price": "fixed", "percent_price": 0.0,
                "fixed_price": 33.0, "min_quantity": 10.0, "date_start": false, "date_end": false}))
            .unwrap(),
            PriceRule::from_record(
                &json!({"id": 1, "applied_on": "3_global", "product_id": false,
                "compute_price": "percentage", "percent_price": 10.0, "fixed_price": 0.0,
                "min_quantity": 0.0, "date_start": false, "date_end": false}),
            )
            .unwrap(),
        ]
    }

    #[test]
    fn recorded_pricelist_gives_the_recorded_prices() {
        let rules = recorded();
        let f = facts();
        let d = "2026-11-27 00:00:00";
        let r = select_rule(&rules, &f, dec!(1), d).unwrap();
        assert_eq!(r.id, 1);
        assert_eq!(r.apply(f.list_price), dec!(36)); // 40 - 10 %
        let r = select_rule(&rules, &f, dec!(10), d).unwrap();
        assert_eq!(r.id, 2);
        assert_eq!(r.apply(f.list_price), dec!(33));
        // another product: only the global rule (25 -> 22.5, as recorded)
        let mut w = f.clone();
        w.id = 44;
        let r = select_rule(&rules, &w, dec!(10), d).unwrap();
        assert_eq!(r.apply(dec!(25)), dec!(22.5));
    }

    #[test]
    fn formula_and_dates_and_categories() {
        let rule = PriceRule {
            id: 9,
            applied_on: "2_product_category".into(),
            categ_id: Some(5),
            compute_price: "formula".into(),
            base: "list_price".into(),
            price_discount: dec!(15),
            price_round: dec!(0.05),
            price_surcharge: dec!(-0.01),
            date_start: Some("2026-01-01 00:00:00".into()),
            ..PriceRule::default()
        };
        let f = facts();
        assert!(rule.applies(&f, dec!(1), "2026-06-01 00:00:00"));
        assert!(!rule.applies(&f, dec!(1), "2025-06-01 00:00:00"));
        let mut other = f.clone();
        other.categ_path = vec![1, 6];
        assert!(!rule.applies(&other, dec!(1), "2026-06-01 00:00:00"));
        // 40 * 0.85 = 34.00 -> rounded to 0.05 -> 34.00 - 0.01
        assert_eq!(rule.apply(dec!(40)), dec!(33.99));
        let mut m = rule.clone();
        m.price_min_margin = dec!(5);
        m.price_discount = dec!(100);
        m.price_surcharge = Decimal::ZERO;
        assert_eq!(m.apply(dec!(40)), dec!(45)); // max(0, 40 + 5)
    }
}
