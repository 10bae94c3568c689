//! Prices and taxes: the pricelist rule a line gets (product/pricelist.py
//! `_get_product_rule`, simplified to variant / global rules, fixed and
//! percentage prices) and percent taxes excluded from the price
//! (account/models/account_tax.py `compute_all`, one level).

use rust_decimal::Decimal;

use crate::OdooVersion;
use crate::orm::Env;

use super::util::{dec, find, id_list, number, round2, string};
use super::{m2o, num, text};

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

/// `(unit price, rule id)` of `product` for `qty` in `pricelist`.
pub fn pricelist_price(env: &Env, pricelist: i64, product: i64, qty: f64) -> (f64, Option<i64>) {
    let list_price = number(env, "product.product", product, "list_price");
    let mut items: Vec<(String, f64, i64)> = find(env, "product.pricelist.item", |r| {
        m2o(r, "pricelist_id") == Some(pricelist)
    })
    .into_iter()
    .filter_map(|id| {
        let r = env.record("product.pricelist.item", id)?;
        Some((
            text(r, "applied_on").unwrap_or("3_global").to_string(),
            num(r, "min_quantity"),
            id,
        ))
    })
    .collect();
    // the rule order of product.pricelist.item: applied_on, min_quantity desc, id desc
    items.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then(b.1.partial_cmp(&a.1).unwrap_or(std::cmp::Ordering::Equal))
            .then(b.2.cmp(&a.2))
    });
    for (applied_on, min_qty, id) in items {
        if qty + 1e-9 < min_qty {
            continue;
        }
        let Some(r) = env.record("product.pricelist.item", id) else {
            continue;
        };
        let matches = match applied_on.as_str() {
            "0_product_variant" | "1_product" => m2o(r, "product_id") == Some(product),
            "3_global" => true,
            _ => false,
        };
        if !matches {
            continue;
        }
        let price = match text(r, "compute_price") {
            Some("fixed") => num(r, "fixed_price"),
            Some("percentage") => {
                let p = dec(list_price)
                    * (Decimal::ONE - dec(num(r, "percent_price")) / Decimal::ONE_HUNDRED);
                super::util::f(p)
            }
            _ => list_price,
        };
        return (price, Some(id));
    }
    (list_price, None)
}

/// The taxes a product carries (`taxes_id`).
pub fn product_taxes(env: &Env, product: i64) -> Vec<i64> {
    env.record("product.product", product)
        .map(|r| id_list(r, "taxes_id"))
        .unwrap_or_default()
}

/// Tax on an untaxed base, rounded per tax to cents.
pub fn tax_amount(env: &Env, taxes: &[i64], base: Decimal) -> Decimal {
    let mut total = Decimal::ZERO;
    for t in taxes {
        let kind = string(env, "account.tax", *t, "amount_type");
        let amount = dec(number(env, "account.tax", *t, "amount"));
        total += match kind.as_str() {
            "fixed" => amount,
            _ => round2(base * amount / Decimal::ONE_HUNDRED),
        };
    }
    total
}

/// `price * qty * (1 - discount%)`, rounded to cents.
pub fn subtotal(price: f64, qty: f64, discount: f64) -> Decimal {
    round2(dec(price) * dec(qty) * (Decimal::ONE - dec(discount) / Decimal::ONE_HUNDRED))
}
