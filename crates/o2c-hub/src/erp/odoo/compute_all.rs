//! Odoo 16's and 17's tax of one sale line: `account.tax.compute_all`
//! (odoo/odoo `addons/account/models/account_tax.py`, 16.0 and 17.0 as
//! released), where a sale line's `price_tax` comes from
//! (`_compute_taxes_for_single_line` calls it with the discounted unit price
//! and the quantity). Pure: no I/O.
//!
//! Where it differs from 18's `_get_tax_details` (`taxes.rs`):
//! - groups are flattened recursively (16/17 allow a group of groups) and a
//!   tax met twice counts twice (a recordset `+`, not a union);
//! - price-included taxes are solved backwards with `recompute_base`, run by
//!   run (a run ends at an `include_base_amount` tax); the price without
//!   them (`total_excluded`) is rounded, each included tax is then computed
//!   as if excluded on it, and the last included tax of a run takes what is
//!   left of the price (Odoo's "checkpoint"), so base plus taxes is the price
//!   to the cent: 12 % in 52.50 is 52.50 - 46.88 = 5.62 where 18 rounds
//!   52.50 × 0.12 / 1.12 to 5.63;
//! - a price-excluded division tax is `base / (1 - rate) - base` on its own,
//!   where 18 divides by one minus the rates of its whole batch;
//! - `round_globally` rounds each tax to five more decimals (the line's tax
//!   is then each tax rounded to the currency, as `_compute_taxes` totals
//!   it); `round_per_line` to the currency.
//!
//! - repartition lines: each tax counts for the sum of its invoice 'tax'
//!   lines' factors (`sum_repartition_factor`): price-included taxes are
//!   taken out of the price at their rate times that sum, and a tax's
//!   amount, rounded, is multiplied by it and rounded again
//!   (`factorized_tax_amount`, what raises later bases and what included
//!   taxes add up to); each line gets its factor of the rounded amount,
//!   rounded, the rounding difference spread a cent at a time over the
//!   first lines, and `_compute_taxes` totals the lines each rounded to
//!   the currency. An intra-community reverse charge (+100 % / -100 %)
//!   thus gives 0; one line of 50 % half the tax.

use std::collections::HashMap;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};

use super::taxes::{LineTax, TaxRule, unsupported};

/// The company's `tax_calculation_rounding_method`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Rounding {
    /// `round_per_line` (Odoo's default): each tax rounded to the currency.
    #[default]
    PerLine,
    /// `round_globally`: each tax kept to five more decimals.
    Globally,
}

impl Rounding {
    /// The rounding of Odoo's `tax_calculation_rounding_method` value.
    pub(crate) fn from_odoo(method: Option<&str>) -> Rounding {
        match method {
            Some("round_globally") => Rounding::Globally,
            _ => Rounding::PerLine,
        }
    }
}

/// Nesting of groups followed at most (16/17 forbid only cycles).
pub(crate) const MAX_GROUP_DEPTH: usize = 4;

enum Flatten {
    Missing(i64),
    TooDeep(i64),
}

/// `flatten_taxes_hierarchy`: each level sorted by sequence (ties in the
/// recordset's `sequence, id` order), a group replaced by its flattened
/// children, duplicates kept.
fn flatten<'a>(
    ids: &[i64],
    book: &'a HashMap<i64, TaxRule>,
    depth: usize,
    out: &mut Vec<&'a TaxRule>,
) -> Result<(), Flatten> {
    let mut level: Vec<&TaxRule> = ids
        .iter()
        .map(|id| book.get(id).ok_or(Flatten::Missing(*id)))
        .collect::<Result<_, _>>()?;
    level.sort_by_key(|t| (t.sequence, t.id));
    for tax in level {
        if tax.amount_type == "group" {
            if depth >= MAX_GROUP_DEPTH {
                return Err(Flatten::TooDeep(tax.id));
            }
            flatten(&tax.children, book, depth + 1, out)?;
        } else {
            out.push(tax);
        }
    }
    Ok(())
}

fn round(value: Decimal, digits: u32) -> Decimal {
    value.round_dp_with_strategy(digits, RoundingStrategy::MidpointAwayFromZero)
}

/// `recompute_base`: the amount before the included taxes of a run.
fn recompute_base(base: Decimal, fixed: Decimal, percent: Decimal, division: Decimal) -> Decimal {
    let hundred = Decimal::ONE_HUNDRED;
    (base - fixed) / (Decimal::ONE + percent / hundred) * (hundred - division) / hundred
}

/// `_compute_amount` with `force_price_include=False`: a tax as if
/// excluded, on `base` (positive or zero).
fn compute_amount(tax: &TaxRule, base: Decimal, quantity: Decimal) -> Decimal {
    let hundred = Decimal::ONE_HUNDRED;
    match tax.amount_type.as_str() {
        // `math.copysign(quantity, base_amount)`: the base is positive here
        "fixed" if base.is_zero() => quantity * tax.amount,
        "fixed" => quantity.abs() * tax.amount,
        "percent" => base * tax.amount / hundred,
        "division" => {
            let rest = Decimal::ONE - tax.amount / hundred;
            if rest.is_zero() {
                Decimal::ZERO
            } else {
                base / rest - base
            }
        }
        _ => Decimal::ZERO,
    }
}

/// The amounts `compute_all` gives the repartition lines of the flattened
/// taxes (`['taxes']`, one per invoice 'tax' line), in their order, for a
/// line of `net` (the discounted unit price times the quantity) and
/// `quantity` units, in a currency of `digits` decimals.
fn amounts(
    sorted: &[&TaxRule],
    net: Decimal,
    quantity: Decimal,
    digits: u32,
    rounding: Rounding,
) -> Vec<Decimal> {
    let tax_digits = match rounding {
        Rounding::PerLine => digits,
        Rounding::Globally => digits + 5,
    };
    let mut base = round(net, digits);
    // a negative line is computed positive and negated at the end; a zero
    // one keeps the quantity's sign on fixed taxes
    let sign = if base.is_sign_negative() && !base.is_zero() {
        Decimal::NEGATIVE_ONE
    } else {
        Decimal::ONE
    };
    base = base.abs();

    // 3) backwards: the price without the included taxes, and the total each
    // run's last included tax must reach
    let mut checkpoints: Vec<Option<Decimal>> = vec![None; sorted.len()];
    let mut store = true;
    let (mut fixed, mut percent, mut division) = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    for (i, tax) in sorted.iter().enumerate().rev() {
        if tax.include_base_amount {
            base = recompute_base(base, fixed, percent, division);
            (fixed, percent, division) = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
            store = true;
        }
        if tax.price_include {
            let factor = tax.factor_sum();
            match tax.amount_type.as_str() {
                "percent" => percent += tax.amount * factor,
                "division" => division += tax.amount * factor,
                "fixed" => fixed += quantity.abs() * tax.amount * factor,
                _ => {}
            }
            // a zero tax takes no remainder
            if store && !tax.amount.is_zero() {
                checkpoints[i] = Some(base);
                store = false;
            }
        }
    }
    let total_excluded = round(recompute_base(base, fixed, percent, division), digits);

    // 4) forwards: every tax on its base
    let mut base = total_excluded;
    let mut skip_checkpoint = false;
    let mut cumulated_included = Decimal::ZERO;
    let mut out = Vec::with_capacity(sorted.len());
    // a rounding step of the currency (`currency.rounding`), also when
    // the amounts keep five more decimals
    let cent = Decimal::new(1, digits);
    for (i, tax) in sorted.iter().enumerate() {
        let factor = tax.factor_sum();
        let tax_base = if tax.price_include || tax.is_base_affected {
            base
        } else {
            total_excluded
        };
        let amount = match checkpoints[i] {
            // a tax whose lines cancel out takes no remainder
            Some(total) if tax.price_include && !skip_checkpoint && !factor.is_zero() => {
                let rest = total - (base + cumulated_included);
                cumulated_included = Decimal::ZERO;
                rest
            }
            _ => compute_amount(tax, tax_base, quantity),
        };
        let amount = round(amount, tax_digits);
        let factorized = round(amount * factor, tax_digits);
        if tax.price_include && checkpoints[i].is_none() {
            cumulated_included += factorized;
        }
        if tax.include_base_amount {
            base += factorized;
            // an excluded tax raising the base invalidates the totals the
            // included ones were to reach
            if !tax.price_include {
                skip_checkpoint = true;
            }
        }
        // each repartition line its factor of the amount, the rounding
        // difference spread over the first lines
        let mut lines: Vec<Decimal> = tax
            .factor_list()
            .iter()
            .map(|f| round(amount * f, tax_digits))
            .collect();
        let error = round(factorized - lines.iter().sum::<Decimal>(), tax_digits);
        let steps = (error / cent).abs().trunc();
        if !steps.is_zero() {
            let step = round(error / steps, tax_digits);
            let steps = steps.to_usize().unwrap_or(usize::MAX);
            for line in lines.iter_mut().take(steps) {
                *line += step;
            }
        }
        out.extend(lines.into_iter().map(|line| sign * line));
    }
    out
}

/// Odoo 16/17's total tax of a sale line whose amount after discount is
/// `net` for `quantity` units, as the line's `price_tax`.
pub(crate) fn line_tax(
    net: Decimal,
    quantity: Decimal,
    taxes: &[i64],
    book: &HashMap<i64, TaxRule>,
    digits: u32,
    rounding: Rounding,
) -> LineTax {
    let mut sorted = Vec::new();
    match flatten(taxes, book, 0, &mut sorted) {
        Ok(()) => {}
        Err(Flatten::Missing(id)) => {
            return LineTax::Unchecked(format!("Odoo did not return tax {id}"));
        }
        Err(Flatten::TooDeep(id)) => {
            return LineTax::Unchecked(format!(
                "tax group {id} nests groups more than {MAX_GROUP_DEPTH} deep"
            ));
        }
    }
    if let Some(why) = unsupported(&sorted) {
        return LineTax::Unchecked(why);
    }
    let amounts = amounts(&sorted, net, quantity, digits, rounding);
    // `_compute_taxes` totals each repartition line rounded to the currency
    LineTax::Computed(amounts.into_iter().map(|a| round(a, digits)).sum())
}

#[cfg(test)]
mod tests;
