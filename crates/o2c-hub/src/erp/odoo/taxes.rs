//! Odoo's tax of one sale line, computed here from the `account.tax`
//! records so validation costs no extra call per line.
//!
//! The computation follows odoo/odoo `addons/account/models/account_tax.py`
//! of 18/19, `_get_tax_details` (no special mode, `round_per_line`): the
//! taxes are flattened (a `group` tax is replaced by its children, each
//! level ordered by `sequence, id`) and batched
//! (`_batch_for_taxes_computation`); fixed taxes are evaluated first, then
//! the price-included batches from the last to the first, then the
//! price-excluded ones in order, each amount rounded to the currency and
//! passed on to the bases of the others by `_propagate_extra_taxes_base`
//! (`include_base_amount` adds a price-excluded tax to the base of later
//! taxes that are `is_base_affected`). Odoo 16 and 17 compute through
//! `compute_all` instead, which gives other amounts for price-included,
//! division and nested group taxes: `compute_all.rs`.
//!
//! Repartition lines (18.0 as patched, 19.0): a tax with a negative
//! invoice 'tax' repartition factor (`has_negative_factor`, the EU
//! intra-community reverse charge of +100 % / -100 %) is evaluated as
//! price-excluded and `_get_tax_details` adds its mirror, the same amount
//! negated (`reverse_charge_taxes_data`), so it adds nothing to the line's
//! tax; positive factors are not applied (18+ refuse a distribution whose
//! positive factors do not add up to 100 %, and `_add_accounting_data_to_
//! base_line_tax_details` puts the whole amount on the lines). The first
//! 18.0 builds split the amount by factor instead, so a distribution
//! outside that constraint (say one 'tax' line of 50 %, possible on a
//! database from before it) gives a tax that depends on the build: it is
//! [`LineTax::Unchecked`], saying so.
//!
//! Python-code taxes (`amount_type: code`, module `account_tax_python`:
//! `python_compute` in 16/17, a `formula` in 18/19) are not evaluated here:
//! the line's tax is then [`LineTax::Unchecked`] naming the tax, and the
//! tax rule says so instead of passing the line.

use std::collections::HashMap;

use rust_decimal::{Decimal, RoundingStrategy};

/// One `account.tax` as the computation needs it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TaxRule {
    pub id: i64,
    pub name: String,
    pub amount_type: String,
    pub amount: Decimal,
    pub price_include: bool,
    pub include_base_amount: bool,
    /// Whether earlier taxes with `include_base_amount` raise this one's base
    /// (Odoo's default: true).
    pub is_base_affected: bool,
    pub sequence: i64,
    /// A group's children.
    pub children: Vec<i64>,
    /// The factors of its invoice 'tax' repartition lines
    /// (`factor_percent / 100`), in their order (`sequence, id`); none when
    /// the tax has no such line. `None` when the lines could not be read:
    /// the line's tax is then not checked ([`unsupported`]).
    pub factors: Option<Vec<Decimal>>,
}

/// One 'tax' repartition line of 100 %: Odoo's default distribution.
pub(crate) fn whole() -> Option<Vec<Decimal>> {
    Some(vec![Decimal::ONE])
}

impl TaxRule {
    /// The factors read (none when they could not be: such a tax is
    /// refused by [`unsupported`] before any amount is computed).
    pub(crate) fn factor_list(&self) -> &[Decimal] {
        self.factors.as_deref().unwrap_or_default()
    }

    /// `sum_repartition_factor`: the sum of the 'tax' line factors.
    pub(crate) fn factor_sum(&self) -> Decimal {
        self.factor_list().iter().sum()
    }

    /// `has_negative_factor` (18+): a 'tax' line below zero, as reverse
    /// charge taxes have.
    pub(crate) fn has_negative_factor(&self) -> bool {
        self.factor_list().iter().any(|f| *f < Decimal::ZERO)
    }

    /// Whether the distribution is one 18+ accept: positive factors adding
    /// up to 100 %, negative ones to nothing or -100 % (`float_compare` at
    /// two digits). Only then do all 18/19 builds give the same tax.
    fn distribution_is_whole(&self) -> bool {
        let near = |value: Decimal, target: Decimal| {
            // `_validate_repartition_lines`: `float_compare` of the factor
            // sums (not the percentages) at two digits
            (value - target).abs() < Decimal::new(5, 3)
        };
        let positive: Decimal = self
            .factor_list()
            .iter()
            .filter(|f| **f > Decimal::ZERO)
            .sum();
        let negative: Decimal = self
            .factor_list()
            .iter()
            .filter(|f| **f < Decimal::ZERO)
            .sum();
        near(positive, Decimal::ONE)
            && (negative.is_zero() || near(negative, Decimal::NEGATIVE_ONE))
    }
}

/// The tax Odoo computes for a line, or why it is not computed here.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum LineTax {
    Computed(Decimal),
    /// A tax the hub cannot evaluate (Python code), or one Odoo did not
    /// return: the sentence says which.
    Unchecked(String),
}

/// What one tax has accumulated during the computation.
#[derive(Default, Clone)]
struct Slot {
    amount: Option<Decimal>,
    extra_base_for_tax: Decimal,
    batch: Vec<usize>,
}

/// The taxes of a line, flattened and ordered as Odoo evaluates them
/// (`_flatten_taxes_and_sort_them`); `Err` names a tax not found.
fn flatten<'a>(ids: &[i64], book: &'a HashMap<i64, TaxRule>) -> Result<Vec<&'a TaxRule>, i64> {
    let key = |t: &&TaxRule| (t.sequence, t.id);
    let mut top: Vec<&TaxRule> = ids
        .iter()
        .map(|id| book.get(id).ok_or(*id))
        .collect::<Result<_, _>>()?;
    top.sort_by_key(key);
    let mut out: Vec<&TaxRule> = Vec::new();
    for tax in top {
        let mut level = if tax.amount_type == "group" {
            tax.children
                .iter()
                .map(|id| book.get(id).ok_or(*id))
                .collect::<Result<Vec<_>, _>>()?
        } else {
            vec![tax]
        };
        level.sort_by_key(key);
        for t in level {
            // a recordset union: each tax once
            if !out.iter().any(|o| o.id == t.id) {
                out.push(t);
            }
        }
    }
    Ok(out)
}

/// `_batch_for_taxes_computation`: consecutive taxes of the same kind
/// (amount type, price-included, `include_base_amount`) form one batch,
/// built from the last tax backwards.
fn batches(sorted: &[&TaxRule]) -> Vec<Vec<usize>> {
    let mut per_tax = vec![Vec::new(); sorted.len()];
    let mut batch: Vec<usize> = Vec::new();
    let mut is_base_affected = false;
    for i in (0..sorted.len()).rev() {
        let tax = sorted[i];
        if let Some(&first) = batch.first() {
            let head = sorted[first];
            let same = tax.amount_type == head.amount_type
                && tax.price_include == head.price_include
                && tax.include_base_amount == head.include_base_amount
                && (!tax.include_base_amount || !is_base_affected);
            if !same {
                for &member in &batch {
                    per_tax[member] = batch.clone();
                }
                batch.clear();
            }
        }
        is_base_affected = tax.is_base_affected;
        // `batch |= tax` keeps the recordset's order: first-added first
        batch.push(i);
    }
    for &member in &batch {
        per_tax[member] = batch.clone();
    }
    per_tax
}

/// Why the hub cannot compute these flattened taxes, if it cannot: a
/// Python-code tax, or a computation it does not know.
pub(crate) fn unsupported(sorted: &[&TaxRule]) -> Option<String> {
    if let Some(unread) = sorted.iter().find(|t| t.factors.is_none()) {
        return Some(format!(
            "the repartition lines of tax {:?} could not be read from Odoo, and they decide its amount",
            unread.name
        ));
    }
    if let Some(code) = sorted.iter().find(|t| t.amount_type == "code") {
        return Some(format!(
            "tax {:?} is computed by Python code in Odoo, which the hub does not evaluate",
            code.name
        ));
    }
    sorted
        .iter()
        .find(|t| {
            !matches!(
                t.amount_type.as_str(),
                "percent" | "division" | "fixed" | "group"
            )
        })
        .map(|other| {
            format!(
                "tax {:?} has the computation {:?}, unknown to the hub",
                other.name, other.amount_type
            )
        })
}

fn round(value: Decimal, digits: u32) -> Decimal {
    value.round_dp_with_strategy(digits, RoundingStrategy::MidpointAwayFromZero)
}

/// Odoo's total tax of a line whose amount after discounts is `net` for
/// `quantity` units, rounded per tax to `digits` decimals.
pub(crate) fn line_tax(
    net: Decimal,
    quantity: Decimal,
    taxes: &[i64],
    book: &HashMap<i64, TaxRule>,
    digits: u32,
) -> LineTax {
    let sorted = match flatten(taxes, book) {
        Ok(sorted) => sorted,
        Err(id) => return LineTax::Unchecked(format!("Odoo did not return tax {id}")),
    };
    if let Some(why) = unsupported(&sorted) {
        return LineTax::Unchecked(why);
    }
    if let Some(odd) = sorted.iter().find(|t| !t.distribution_is_whole()) {
        let percents: Vec<String> = odd
            .factor_list()
            .iter()
            .map(|f| format!("{} %", (f * Decimal::ONE_HUNDRED).normalize()))
            .collect();
        return LineTax::Unchecked(format!(
            "tax {:?} distributes its amount as {} on invoices, which Odoo 18+ refuse and their builds compute differently",
            odd.name,
            percents.join(" / ")
        ));
    }
    // a reverse charge tax is evaluated as price-excluded (its batch and
    // its effect on the others' bases still follow the record)
    let included = |t: &TaxRule| t.price_include && !t.has_negative_factor();
    let per_batch = batches(&sorted);
    let mut slots: Vec<Slot> = per_batch
        .into_iter()
        .map(|batch| Slot {
            batch,
            ..Slot::default()
        })
        .collect();
    let raw_base = round(net, digits);
    let hundred = Decimal::ONE_HUNDRED;
    let sign = if net.is_sign_negative() {
        Decimal::NEGATIVE_ONE
    } else {
        Decimal::ONE
    };
    let batch_percent = |slots: &[Slot], i: usize| -> Decimal {
        slots[i]
            .batch
            .iter()
            .map(|&j| sorted[j].amount)
            .sum::<Decimal>()
            / hundred
    };
    // the three passes of `_get_tax_details`
    let mut order: Vec<(usize, u8)> = Vec::new();
    order.extend((0..sorted.len()).rev().map(|i| (i, 0)));
    order.extend(
        (0..sorted.len())
            .rev()
            .filter(|&i| included(sorted[i]))
            .map(|i| (i, 1)),
    );
    order.extend(
        (0..sorted.len())
            .filter(|&i| !included(sorted[i]))
            .map(|i| (i, 2)),
    );
    for (i, pass) in order {
        if slots[i].amount.is_some() {
            continue;
        }
        let tax = sorted[i];
        let base = raw_base + slots[i].extra_base_for_tax;
        let rate = tax.amount / hundred;
        let amount = match (pass, tax.amount_type.as_str()) {
            // `_eval_tax_amount_fixed_amount`
            (0, "fixed") => Some(sign * quantity * tax.amount),
            // `_eval_tax_amount_price_included`
            (1, "percent") => {
                let total = batch_percent(&slots, i);
                let factor = if total == Decimal::NEGATIVE_ONE {
                    Decimal::ZERO
                } else {
                    Decimal::ONE / (Decimal::ONE + total)
                };
                Some(base * factor * rate)
            }
            (1, "division") => Some(base * rate),
            // `_eval_tax_amount_price_excluded`
            (2, "percent") => Some(base * rate),
            (2, "division") => {
                let total = batch_percent(&slots, i);
                let divisor = if total == Decimal::ONE {
                    Decimal::ONE
                } else {
                    Decimal::ONE - total
                };
                Some(base * rate / divisor)
            }
            _ => None,
        };
        let Some(amount) = amount else {
            continue;
        };
        let amount = round(amount, digits);
        slots[i].amount = Some(amount);
        propagate(&sorted, &mut slots, i, amount);
    }
    // a reverse charge tax's mirror takes back what it added
    LineTax::Computed(
        slots
            .iter()
            .zip(&sorted)
            .filter(|(_, tax)| !tax.has_negative_factor())
            .filter_map(|(s, _)| s.amount)
            .sum(),
    )
}

/// `_propagate_extra_taxes_base` without a special mode: how tax `i`'s
/// amount changes the bases of the taxes not computed yet.
fn propagate(sorted: &[&TaxRule], slots: &mut [Slot], i: usize, amount: Decimal) {
    let tax = sorted[i];
    let batch = slots[i].batch.clone();
    // the taxes before the batch, and after it
    let before: Vec<usize> = (0..sorted.len())
        .take_while(|j| !batch.contains(j))
        .collect();
    let after: Vec<usize> = (0..sorted.len())
        .rev()
        .take_while(|j| !batch.contains(j))
        .collect();
    let mut add = |j: usize, sign: Decimal| {
        if slots[j].amount.is_none() {
            slots[j].extra_base_for_tax += sign * amount;
        }
    };
    if tax.price_include {
        for &j in &after {
            if !tax.include_base_amount || !sorted[j].is_base_affected {
                add(j, Decimal::NEGATIVE_ONE);
            }
        }
        for &j in &before {
            add(j, Decimal::NEGATIVE_ONE);
        }
    } else if tax.include_base_amount {
        for &j in &after {
            if sorted[j].is_base_affected {
                add(j, Decimal::ONE);
            }
        }
    }
}

/// `t` with invoice 'tax' repartition lines of `percents` (tests of
/// both engines).
#[cfg(test)]
pub(crate) fn factored(mut t: TaxRule, percents: &[&str]) -> TaxRule {
    let percent = |p: &&str| p.parse::<Decimal>().expect("a percentage") / Decimal::ONE_HUNDRED;
    t.factors = Some(percents.iter().map(percent).collect());
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().expect("decimal")
    }

    fn tax(id: i64, kind: &str, amount: &str, included: bool) -> TaxRule {
        TaxRule {
            id,
            name: format!("tax {id}"),
            amount_type: kind.into(),
            amount: d(amount),
            price_include: included,
            include_base_amount: false,
            is_base_affected: true,
            sequence: 1,
            children: Vec::new(),
            factors: whole(),
        }
    }

    fn book(taxes: Vec<TaxRule>) -> HashMap<i64, TaxRule> {
        taxes.into_iter().map(|t| (t.id, t)).collect()
    }

    fn computed(net: &str, qty: &str, ids: &[i64], book: &HashMap<i64, TaxRule>) -> LineTax {
        line_tax(d(net), d(qty), ids, book, 2)
    }

    #[test]
    fn percent_taxes_excluded_and_included() {
        let b = book(vec![
            tax(1, "percent", "15", false),
            tax(2, "percent", "20", true),
        ]);
        assert_eq!(
            computed("129.00", "1", &[1], &b),
            LineTax::Computed(d("19.35"))
        );
        // 20 % included in 120.00 is 20.00
        assert_eq!(
            computed("120.00", "1", &[2], &b),
            LineTax::Computed(d("20.00"))
        );
    }

    #[test]
    fn division_fixed_and_several_taxes() {
        let b = book(vec![
            tax(1, "division", "10", false),
            tax(2, "fixed", "0.5", false),
            tax(3, "percent", "5", false),
        ]);
        // division 10 % excluded: 90 / 0.9 - 90 = 10
        assert_eq!(computed("90", "1", &[1], &b), LineTax::Computed(d("10")));
        // a fixed eco-tax of 0.50 per unit on 4 units plus 5 %
        assert_eq!(
            computed("100", "4", &[2, 3], &b),
            LineTax::Computed(d("7.00"))
        );
        // rounded per tax, half away from zero: 0.125 -> 0.13
        assert_eq!(computed("2.5", "1", &[3], &b), LineTax::Computed(d("0.13")));
    }

    #[test]
    fn a_group_is_its_children_in_sequence() {
        // Odoo's own example (`_flatten_taxes_and_sort_them`): a group of
        // a 10 % and a 5 % tax on 200 is 20 + 10
        let mut group = tax(10, "group", "0", false);
        group.children = vec![12, 11];
        let mut five = tax(12, "percent", "5", false);
        five.sequence = 2;
        let b = book(vec![group, tax(11, "percent", "10", false), five]);
        assert_eq!(
            computed("200", "1", &[10], &b),
            LineTax::Computed(d("30.00"))
        );
        // a child Odoo did not return is named, not guessed
        let mut broken = tax(20, "group", "0", false);
        broken.children = vec![99];
        let b = book(vec![broken]);
        assert!(
            matches!(computed("200", "1", &[20], &b), LineTax::Unchecked(m) if m.contains("99"))
        );
    }

    #[test]
    fn include_base_amount_raises_the_base_of_later_taxes_only() {
        // t1 10 % affects the base of t2 10 % (sequence after it): on 100,
        // t1 = 10 and t2 = 11 (Odoo's comment in `_propagate_extra_taxes_base`)
        let mut t1 = tax(1, "percent", "10", false);
        t1.include_base_amount = true;
        let mut t2 = tax(2, "percent", "10", false);
        t2.sequence = 2;
        let b = book(vec![t1.clone(), t2.clone()]);
        assert_eq!(
            computed("100", "1", &[2, 1], &b),
            LineTax::Computed(d("21.00"))
        );
        // in the other sequence t1 comes last and raises nothing
        let mut t1_last = t1.clone();
        t1_last.sequence = 3;
        let b = book(vec![t1_last, t2.clone()]);
        assert_eq!(
            computed("100", "1", &[1, 2], &b),
            LineTax::Computed(d("20.00"))
        );
        // a later tax that is not base-affected keeps the plain base
        let mut t2_plain = t2;
        t2_plain.is_base_affected = false;
        let b = book(vec![t1, t2_plain]);
        assert_eq!(
            computed("100", "1", &[1, 2], &b),
            LineTax::Computed(d("20.00"))
        );
    }

    #[test]
    fn fixed_taxes_and_an_included_percent() {
        // Odoo's two cases in `_propagate_extra_taxes_base`. 1: a
        // price-excluded fixed 1 with include_base_amount, then 10 %
        // included, on 120: the 10 % is computed on 121 -> 1 + 11
        let mut fixed = tax(1, "fixed", "1", false);
        fixed.include_base_amount = true;
        let mut ten = tax(2, "percent", "10", true);
        ten.sequence = 2;
        let b = book(vec![fixed, ten.clone()]);
        assert_eq!(
            computed("120", "1", &[1, 2], &b),
            LineTax::Computed(d("12.00"))
        );
        // 2: a price-included fixed 1, then 10 % included, on 122: the
        // 10 % is computed on 122 - 1 = 121 -> 1 + 11
        let b = book(vec![tax(1, "fixed", "1", true), ten]);
        assert_eq!(
            computed("122", "1", &[1, 2], &b),
            LineTax::Computed(d("12.00"))
        );
    }

    use super::factored;

    #[test]
    fn a_reverse_charge_tax_adds_nothing_to_the_line() {
        // EU intra-community reverse charge: 21 % split +100 % / -100 %;
        // `_get_tax_details` adds its mirror, -21.00, next to its 21.00
        let reverse = factored(tax(1, "percent", "21", false), &["100", "-100"]);
        let b = book(vec![reverse.clone(), tax(2, "percent", "15", false)]);
        assert_eq!(computed("100", "1", &[1], &b), LineTax::Computed(d("0")));
        // next to a plain tax, only the plain one counts
        assert_eq!(
            computed("100", "1", &[1, 2], &b),
            LineTax::Computed(d("15.00"))
        );
        // price-included on the record, it is still computed excluded: the
        // price keeps its base (and the tax nets to zero)
        let mut included = reverse;
        included.price_include = true;
        let b = book(vec![included]);
        assert_eq!(computed("121", "1", &[1], &b), LineTax::Computed(d("0")));
    }

    #[test]
    fn a_distribution_outside_eighteens_constraint_is_not_guessed() {
        // one 'tax' line of 50 %: the first 18.0 builds charged half (6.25
        // of 12.50), later ones refuse the tax and charge it whole
        let half = factored(tax(1, "percent", "12.5", false), &["50"]);
        // two lines of 50 % add up to 100 %: the whole amount
        let split = factored(tax(2, "percent", "12.5", false), &["50", "50"]);
        let b = book(vec![half, split]);
        match computed("100", "1", &[1], &b) {
            LineTax::Unchecked(why) => assert!(why.contains("50 %"), "{why}"),
            other => panic!("computed {other:?}"),
        }
        assert_eq!(
            computed("100", "1", &[2], &b),
            LineTax::Computed(d("12.50"))
        );
    }

    #[test]
    fn unread_repartition_lines_leave_the_tax_unchecked() {
        let mut unread = tax(1, "percent", "21", false);
        unread.factors = None;
        let b = book(vec![unread]);
        match computed("100", "1", &[1], &b) {
            LineTax::Unchecked(why) => assert!(why.contains("repartition"), "{why}"),
            other => panic!("computed {other:?}"),
        }
    }

    #[test]
    fn code_taxes_are_named_not_computed() {
        let mut code = tax(5, "code", "0", false);
        code.name = "Eco levy".into();
        let b = book(vec![code, tax(1, "percent", "15", false)]);
        match computed("100", "1", &[1, 5], &b) {
            LineTax::Unchecked(why) => assert!(why.contains("Eco levy"), "{why}"),
            other => panic!("computed {other:?}"),
        }
    }
}
