//! Prices and taxes: the pricelist rule a line gets and its price
//! (product/models/product_pricelist.py `_compute_price_rule`,
//! product_pricelist_item.py `_is_applicable_for` / `_compute_price`:
//! variant, template, category and global rules, quantity and date
//! windows, fixed / percentage / formula prices on the sales price, the
//! cost or another pricelist), 16's `price_compute`, and percent taxes
//! excluded from the price (account/models/account_tax.py `compute_all`,
//! one level) over their repartition lines. No currency conversion: pricelists share the company's.

use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Value, json};

use crate::OdooVersion;
use crate::fault::Fault;
use crate::orm::{Env, Record};

use super::util::{dec, id_list, number, round2, string};
use super::{m2o, text};

/// The many2many of taxes on a sale order line: `tax_ids` from 19.
pub fn sol_tax_field(v: OdooVersion) -> &'static str {
    if v >= OdooVersion::V19 {
        "tax_ids"
    } else {
        "tax_id"
    }
}

/// The unit of measure of a sale order line: `product_uom_id` from 19.
pub fn sol_uom_field(v: OdooVersion) -> &'static str {
    if v >= OdooVersion::V19 {
        "product_uom_id"
    } else {
        "product_uom"
    }
}

/// A stored number as an exact decimal.
fn decimal(rec: &Record, field: &str) -> Decimal {
    match rec.get(field) {
        Some(Value::Number(n)) => n
            .to_string()
            .parse::<Decimal>()
            .unwrap_or_else(|_| dec(n.as_f64().unwrap_or(0.0))),
        _ => Decimal::ZERO,
    }
}

/// `product.pricelist.item._is_applicable_for` plus the date window of
/// `_get_applicable_rules_domain` (product/models/product_pricelist_item.py,
/// product_pricelist.py): the rule's product, template or category
/// (with its parents), `min_quantity` and `date_start` / `date_end`
/// around `date` (`YYYY-MM-DD HH:MM:SS`).
fn applies(env: &Env, rule: &Record, product: i64, qty: Decimal, date: &str) -> bool {
    let min = decimal(rule, "min_quantity");
    if !min.is_zero() && qty < min {
        return false;
    }
    if let Some(start) = text(rule, "date_start")
        && date < start
    {
        return false;
    }
    if let Some(end) = text(rule, "date_end")
        && date > end
    {
        return false;
    }
    let Some(p) = env.record("product.product", product) else {
        return false;
    };
    match text(rule, "applied_on").unwrap_or("3_global") {
        "0_product_variant" => m2o(rule, "product_id") == Some(product),
        "1_product" => {
            m2o(rule, "product_tmpl_id").is_some()
                && m2o(rule, "product_tmpl_id") == m2o(p, "product_tmpl_id")
        }
        "2_product_category" => match (m2o(rule, "categ_id"), m2o(p, "categ_id")) {
            (Some(rc), Some(pc)) => category_path(env, pc).contains(&rc),
            _ => false,
        },
        _ => true,
    }
}

/// A category and its parents (`parent_id` chain, cycle-safe).
fn category_path(env: &Env, categ: i64) -> Vec<i64> {
    let mut path = vec![categ];
    let mut cur = categ;
    while let Some(parent) = env
        .record("product.category", cur)
        .and_then(|r| m2o(r, "parent_id"))
    {
        if path.contains(&parent) {
            break;
        }
        path.push(parent);
        cur = parent;
    }
    path
}

/// The rules of `pricelist` in `product.pricelist.item._order`
/// (`applied_on, min_quantity desc, categ_id desc, id desc`).
fn rules(env: &Env, pricelist: i64) -> Vec<i64> {
    let ids = env
        .store
        .ids_where("product.pricelist.item", "pricelist_id", &json!(pricelist));
    env.sorted("product.pricelist.item", ids, None)
        .unwrap_or_default()
}

/// `_compute_base_price`: the price a percentage or formula rule starts
/// from (`base`: sales price, cost, or another pricelist's price).
fn base_price(
    env: &Env,
    rule: &Record,
    product: i64,
    qty: Decimal,
    date: &str,
    depth: u8,
) -> Decimal {
    let p = env.record("product.product", product);
    match text(rule, "base").unwrap_or("list_price") {
        "standard_price" => p.map(|r| decimal(r, "standard_price")).unwrap_or_default(),
        "pricelist" => match m2o(rule, "base_pricelist_id") {
            Some(base) if depth < 8 => rule_price(env, base, product, qty, date, depth + 1).0,
            _ => p.map(|r| decimal(r, "lst_price")).unwrap_or_default(),
        },
        _ => p.map(|r| decimal(r, "lst_price")).unwrap_or_default(),
    }
}

/// `product.pricelist.item._compute_price` for one applicable rule.
fn compute(env: &Env, rule: &Record, product: i64, qty: Decimal, date: &str, depth: u8) -> Decimal {
    match text(rule, "compute_price").unwrap_or("fixed") {
        "fixed" => decimal(rule, "fixed_price"),
        "percentage" => {
            let base = base_price(env, rule, product, qty, date, depth);
            base - base * decimal(rule, "percent_price") / Decimal::ONE_HUNDRED
        }
        _ => {
            let base = base_price(env, rule, product, qty, date, depth);
            let mut price = base - base * decimal(rule, "price_discount") / Decimal::ONE_HUNDRED;
            let round = decimal(rule, "price_round");
            if !round.is_zero() {
                // tools.float_round(price, precision_rounding=price_round)
                price = (price / round)
                    .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
                    * round;
            }
            price += decimal(rule, "price_surcharge");
            let min_margin = decimal(rule, "price_min_margin");
            if !min_margin.is_zero() {
                price = price.max(base + min_margin);
            }
            let max_margin = decimal(rule, "price_max_margin");
            if !max_margin.is_zero() {
                price = price.min(base + max_margin);
            }
            price
        }
    }
}

/// `(unit price, rule id)` of `product` for `qty` in `pricelist` at `date`
/// (`_compute_price_rule`: the first applicable rule in order, else the
/// sales price).
fn rule_price(
    env: &Env,
    pricelist: i64,
    product: i64,
    qty: Decimal,
    date: &str,
    depth: u8,
) -> (Decimal, Option<i64>) {
    for id in rules(env, pricelist) {
        let Some(rule) = env.record("product.pricelist.item", id) else {
            continue;
        };
        if applies(env, rule, product, qty, date) {
            return (compute(env, rule, product, qty, date, depth), Some(id));
        }
    }
    let list = env
        .record("product.product", product)
        .map(|r| decimal(r, "lst_price"))
        .unwrap_or_default();
    (list, None)
}

/// The unit price a sale order line gets from `pricelist` (rounded to the
/// "Product Price" precision, 2 digits, as the float column stores it)
/// and the rule that set it.
pub fn pricelist_price(
    env: &Env,
    pricelist: i64,
    product: i64,
    qty: Decimal,
    date: &str,
) -> (Decimal, Option<i64>) {
    let (price, rule) = rule_price(env, pricelist, product, qty, date, 0);
    (round2(price), rule)
}

/// 16's public `product.product.price_compute(price_type)`: the sales
/// price (`list_price` + variant extra) or the cost of each product, by
/// id, without any pricelist (product/models/product_product.py).
pub fn price_compute(env: &Env, ids: &[i64], price_type: &str) -> Result<Value, Fault> {
    let field = match price_type {
        "list_price" => "lst_price",
        "standard_price" => "standard_price",
        other => {
            return Err(Fault::new("builtins.KeyError", format!("'{other}'")));
        }
    };
    let mut out = serde_json::Map::new();
    for id in ids {
        let rec = env
            .record("product.product", *id)
            .ok_or_else(|| Fault::missing("product.product", &[*id], env.uid))?;
        out.insert(id.to_string(), json!(super::util::f(decimal(rec, field))));
    }
    Ok(Value::Object(out))
}

/// The taxes a product carries (`taxes_id`).
pub fn product_taxes(env: &Env, product: i64) -> Vec<i64> {
    env.record("product.product", product)
        .map(|r| id_list(r, "taxes_id"))
        .unwrap_or_default()
}

/// Tax on an untaxed base, rounded per tax to cents, counted over the
/// tax's invoice 'tax' repartition lines as the version does: 16/17's
/// `compute_all` multiplies the rounded amount by the sum of their factors
/// and rounds again (the lines' total; +100 % / -100 % gives 0); 18+'s
/// `_get_tax_details` cancels a tax with a negative factor by its mirror
/// and does not apply positive factors (18+ require them to add up to
/// 100 %).
pub fn tax_amount(env: &Env, taxes: &[i64], base: Decimal) -> Decimal {
    let mut total = Decimal::ZERO;
    for t in taxes {
        let kind = string(env, "account.tax", *t, "amount_type");
        let amount = dec(number(env, "account.tax", *t, "amount"));
        let each = match kind.as_str() {
            "fixed" => amount,
            _ => round2(base * amount / Decimal::ONE_HUNDRED),
        };
        let factors = super::tax::invoice_factors(env, *t);
        total += if env.version >= OdooVersion::V18 {
            if factors.iter().any(|f| *f < Decimal::ZERO) {
                Decimal::ZERO
            } else {
                each
            }
        } else {
            round2(each * factors.iter().sum::<Decimal>())
        };
    }
    total
}

/// `price * qty * (1 - discount%)`, rounded to cents.
pub fn subtotal(price: f64, qty: f64, discount: f64) -> Decimal {
    round2(dec(price) * dec(qty) * (Decimal::ONE - dec(discount) / Decimal::ONE_HUNDRED))
}
