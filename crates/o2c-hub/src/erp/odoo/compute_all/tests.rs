//! Odoo's own expected numbers for `compute_all`
//! (odoo/odoo `addons/account/tests/test_tax.py`, the 16.0-era `TestTax`:
//! `_check_compute_all_results(total_included, total_excluded, [(base,
//! amount), ...])`), and lines recorded from real 16 and 17 servers
//! (shared/odoo16, shared/odoo17). Taxes there have one tax repartition
//! line of 100 % unless said (50 % + 50 % adds up to the same); the
//! reverse charge cases are Odoo's `test_reverse_charge_percent_tax`.

use super::*;
use crate::erp::odoo::taxes;
use crate::erp::odoo::taxes::factored;

fn d(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

fn tax(id: i64, kind: &str, amount: &str, sequence: i64) -> TaxRule {
    TaxRule {
        id,
        name: format!("tax {id}"),
        amount_type: kind.into(),
        amount: d(amount),
        price_include: false,
        include_base_amount: false,
        is_base_affected: true,
        sequence,
        children: Vec::new(),
        factors: taxes::whole(),
    }
}

fn included(mut t: TaxRule) -> TaxRule {
    t.price_include = true;
    t
}

fn affecting(mut t: TaxRule) -> TaxRule {
    t.include_base_amount = true;
    t
}

fn group(id: i64, sequence: i64, children: &[i64]) -> TaxRule {
    let mut g = tax(id, "group", "0", sequence);
    g.children = children.to_vec();
    g
}

fn book(taxes: Vec<TaxRule>) -> HashMap<i64, TaxRule> {
    taxes.into_iter().map(|t| (t.id, t)).collect()
}

/// Each tax's amount, as `compute_all(price, quantity)['taxes']` lists them.
fn each(
    book: &HashMap<i64, TaxRule>,
    ids: &[i64],
    net: &str,
    quantity: &str,
    digits: u32,
    rounding: Rounding,
) -> Vec<Decimal> {
    let mut sorted = Vec::new();
    assert!(flatten(ids, book, 0, &mut sorted).is_ok());
    amounts(&sorted, d(net), d(quantity), digits, rounding)
}

fn per_line(book: &HashMap<i64, TaxRule>, ids: &[i64], net: &str) -> Vec<Decimal> {
    each(book, ids, net, "1", 2, Rounding::PerLine)
}

fn ds(values: &[&str]) -> Vec<Decimal> {
    values.iter().map(|v| d(v)).collect()
}

/// The fixtures of `TestTaxCommon.setUpClass`.
const FIXED: i64 = 1;
const FIXED_BIS: i64 = 2;
const PERCENT: i64 = 3;
const PERCENT_BIS: i64 = 4;
const DIVISION: i64 = 5;
const GROUP: i64 = 6;
const GROUP_BIS: i64 = 7;
const GROUP_PERCENT: i64 = 8;
const GROUP_OF_GROUP: i64 = 9;

fn common() -> Vec<TaxRule> {
    vec![
        tax(FIXED, "fixed", "10", 1),
        tax(FIXED_BIS, "fixed", "15", 2),
        tax(PERCENT, "percent", "10", 3),
        tax(PERCENT_BIS, "percent", "10", 4),
        tax(DIVISION, "division", "10", 4),
        group(GROUP, 5, &[FIXED, PERCENT]),
        group(GROUP_BIS, 6, &[FIXED, PERCENT]),
        group(GROUP_PERCENT, 6, &[PERCENT, PERCENT_BIS]),
        group(GROUP_OF_GROUP, 7, &[GROUP, GROUP_BIS]),
    ]
}

fn common_with(change: impl Fn(&mut TaxRule)) -> HashMap<i64, TaxRule> {
    let mut taxes = common();
    taxes.iter_mut().for_each(change);
    book(taxes)
}

#[test]
fn test_tax_group_of_group_tax() {
    // fixed_tax.include_base_amount = True; compute_all(200): 263 / 200,
    // the children of both groups, each counted
    let b = common_with(|t| {
        if t.id == FIXED {
            t.include_base_amount = true;
        }
    });
    assert_eq!(
        per_line(&b, &[GROUP_OF_GROUP], "200"),
        ds(&["10", "21", "10", "22"])
    );
    assert_eq!(
        line_tax(
            d("200"),
            d("1"),
            &[GROUP_OF_GROUP],
            &b,
            2,
            Rounding::PerLine
        ),
        LineTax::Computed(d("63"))
    );
}

#[test]
fn test_tax_group() {
    let b = book(common());
    assert_eq!(per_line(&b, &[GROUP], "200"), ds(&["10", "20"]));
}

#[test]
fn test_tax_group_percent() {
    // `force_price_include` makes both children price-included: 100 ->
    // 83.33 + 8.33 + 8.34, the second taking the remainder
    let b = common_with(|t| t.price_include = true);
    assert_eq!(per_line(&b, &[GROUP_PERCENT], "100"), ds(&["8.33", "8.34"]));
}

#[test]
fn test_tax_percent_division() {
    let b = common_with(|t| {
        if t.id == DIVISION {
            t.price_include = true;
            t.include_base_amount = true;
        }
    });
    assert_eq!(per_line(&b, &[DIVISION], "200"), ds(&["20"]));
    let b = book(common());
    assert_eq!(per_line(&b, &[PERCENT], "100"), ds(&["10"]));
    assert_eq!(per_line(&b, &[DIVISION], "180"), ds(&["20"]));
    let b = common_with(|t| {
        if t.id == PERCENT || t.id == PERCENT_BIS {
            t.price_include = true;
            t.include_base_amount = true;
        }
        if t.id == PERCENT_BIS {
            t.amount = d("21");
        }
    });
    assert_eq!(per_line(&b, &[PERCENT], "110"), ds(&["10"]));
    assert_eq!(per_line(&b, &[PERCENT_BIS], "7"), ds(&["1.21"]));
}

#[test]
fn test_tax_sequence_normalized_set() {
    // division 1, fixed 2, percent 3: (group_tax | division_tax) on 200
    let b = common_with(|t| match t.id {
        DIVISION => t.sequence = 1,
        FIXED => t.sequence = 2,
        PERCENT => t.sequence = 3,
        _ => {}
    });
    assert_eq!(
        per_line(&b, &[GROUP, DIVISION], "200"),
        ds(&["22.22", "10", "20"])
    );
}

#[test]
fn test_fixed_tax_include_base_amount() {
    let b = common_with(|t| {
        if t.id == FIXED {
            t.include_base_amount = true;
        }
    });
    assert_eq!(per_line(&b, &[GROUP], "200"), ds(&["10", "21"]));
    // price-included fixed 10 on compute_all(100, quantity=2): 200 -> 180 + 20
    let b = common_with(|t| {
        if t.id == FIXED {
            t.price_include = true;
        }
    });
    assert_eq!(
        each(&b, &[FIXED], "200", "2", 2, Rounding::PerLine),
        ds(&["20"])
    );
}

#[test]
fn test_percent_tax_include_base_amount() {
    let b = book(vec![included(tax(1, "percent", "21", 3))]);
    assert_eq!(per_line(&b, &[1], "7"), ds(&["1.21"]));
    // 399.99 -> 333.33 + 66.66 (18's formula would round 66.665 up)
    let b = book(vec![included(tax(1, "percent", "20", 3))]);
    assert_eq!(per_line(&b, &[1], "399.99"), ds(&["66.66"]));
}

#[test]
fn test_tax_decimals() {
    // a currency of 6 decimals
    let b = book(vec![included(tax(1, "percent", "21", 3))]);
    assert_eq!(
        each(&b, &[1], "7", "1", 6, Rounding::PerLine),
        ds(&["1.214876"])
    );
    let b = book(vec![included(tax(1, "percent", "20", 3))]);
    assert_eq!(
        each(&b, &[1], "399.999999", "1", 6, Rounding::PerLine),
        ds(&["66.666666"])
    );
}

#[test]
fn test_advanced_taxes_computation_0() {
    // t1 10 % included + affecting, t2 10 %, t3 10 % included, t4 10 %,
    // t5 10 % included; 132 -> 100 + 10 + 11 + 11 + 11 + 11 = 154, and
    // the negative line the same negated (each amount split 50/50 in Odoo)
    let b = book(vec![
        affecting(included(tax(1, "percent", "10", 1))),
        tax(2, "percent", "10", 2),
        included(tax(3, "percent", "10", 3)),
        tax(4, "percent", "10", 4),
        included(tax(5, "percent", "10", 5)),
    ]);
    let ids = [1, 2, 3, 4, 5];
    assert_eq!(
        per_line(&b, &ids, "132"),
        ds(&["10", "11", "11", "11", "11"])
    );
    assert_eq!(
        per_line(&b, &ids, "-132"),
        ds(&["-10", "-11", "-11", "-11", "-11"])
    );
    assert_eq!(
        line_tax(d("-132"), d("1"), &ids, &b, 2, Rounding::PerLine),
        LineTax::Computed(d("-54"))
    );
}

#[test]
fn test_rounding_tax_excluded() {
    // 19 % on 22689 and 9176 in a currency without decimals
    let b = book(vec![tax(1, "percent", "19", 1)]);
    let on = |net, rounding| each(&b, &[1], net, "1", 0, rounding);
    assert_eq!(on("22689", Rounding::PerLine), ds(&["4311"]));
    assert_eq!(on("9176", Rounding::PerLine), ds(&["1743"]));
    assert_eq!(on("22689", Rounding::Globally), ds(&["4310.91"]));
    assert_eq!(on("9176", Rounding::Globally), ds(&["1743.44"]));
    // the line's own tax is still in the currency
    assert_eq!(
        line_tax(d("9176"), d("1"), &[1], &b, 0, Rounding::Globally),
        LineTax::Computed(d("1743"))
    );
}

#[test]
fn test_rounding_tax_included() {
    let b = book(vec![included(tax(1, "percent", "19", 1))]);
    for rounding in [Rounding::PerLine, Rounding::Globally] {
        assert_eq!(each(&b, &[1], "27000", "1", 0, rounding), ds(&["4311"]));
        assert_eq!(each(&b, &[1], "10920", "1", 0, rounding), ds(&["1744"]));
    }
    // round_per_line_02: 12 % in 52.50 -> 46.88 + 5.62
    let b = book(vec![included(tax(1, "percent", "12", 1))]);
    assert_eq!(per_line(&b, &[1], "52.50"), ds(&["5.62"]));
    // round_globally_02: 21 % in 11.90 and 2.80
    let b = book(vec![included(tax(1, "percent", "21", 1))]);
    assert_eq!(
        each(&b, &[1], "11.90", "1", 2, Rounding::Globally),
        ds(&["2.07"])
    );
    assert_eq!(
        each(&b, &[1], "2.80", "1", 2, Rounding::Globally),
        ds(&["0.49"])
    );
}

#[test]
fn test_rounding_tax_included_round_per_line_03() {
    // 8 % and 0 % included on 8 x 15.55 = 124.40 -> 115.19 + 9.21 + 0, in
    // either order (same sequence: the 0 % tax was created first)
    let b = book(vec![
        included(tax(1, "percent", "0", 1)),
        included(tax(2, "percent", "8", 1)),
    ]);
    for ids in [[2, 1], [1, 2]] {
        assert_eq!(
            each(&b, &ids, "124.40", "8", 2, Rounding::PerLine),
            ds(&["0", "9.21"])
        );
    }
}

#[test]
fn test_is_base_affected() {
    // 6 % affecting, 6 % affecting but not affected, 10 %: 100 -> 6 + 6 + 11.2
    let b = book(vec![
        affecting(tax(1, "percent", "6", 0)),
        TaxRule {
            is_base_affected: false,
            ..affecting(tax(2, "percent", "6", 1))
        },
        tax(3, "percent", "10", 2),
    ]);
    assert_eq!(per_line(&b, &[1, 2, 3], "100"), ds(&["6", "6", "11.2"]));
}

#[test]
fn test_mixing_price_included_excluded_with_affect_base() {
    // fixed 10 affecting, then 21 % included and affecting: 1210 -> 1000 +
    // 10 + 212.10 (the excluded fixed tax voids the included checkpoint)
    let b = book(vec![
        affecting(tax(1, "fixed", "10", 1)),
        affecting(included(tax(2, "percent", "21", 1))),
    ]);
    assert_eq!(per_line(&b, &[1, 2], "1210"), ds(&["10", "212.1"]));
}

#[test]
fn recorded_lines_of_odoo_16_and_17() {
    // "Tax 15%" (id 1, percent, excluded) on the lines of S00025 and S00026
    // (c_master_data `sale.order.line.search_read.price_probe`,
    // d_o2c_happy_path `sale.order.line.search_read.after_confirm`): the tax
    // is price_total - price_subtotal, the same in both recordings
    let b = book(vec![tax(1, "percent", "15", 1)]);
    for (net, qty, recorded) in [
        ("250", "10", "37.5"), // 10 x 25.00
        ("144", "4", "21.6"),  // 4 x 40.00 - 10 %
        ("10", "1", "1.5"),    // 17's delivery line
        ("22.5", "1", "3.38"), // 3.375 rounded half up
        ("36", "1", "5.4"),
        ("330", "10", "49.5"),
    ] {
        assert_eq!(
            line_tax(d(net), d(qty), &[1], &b, 2, Rounding::PerLine),
            LineTax::Computed(d(recorded)),
            "{net}"
        );
    }
    // S00025's amount_tax 58.28 is the sum of its three lines
    let sum: Decimal = [("22.5", "1"), ("36", "1"), ("330", "10")]
        .iter()
        .map(
            |(n, q)| match line_tax(d(n), d(q), &[1], &b, 2, Rounding::PerLine) {
                LineTax::Computed(a) => a,
                other => panic!("{other:?}"),
            },
        )
        .sum();
    assert_eq!(sum, d("58.28"));
}

#[test]
fn where_18_computes_otherwise() {
    // the same taxes through 18's `_get_tax_details` (`taxes.rs`)
    let eighteen = |b: &HashMap<i64, TaxRule>, ids: &[i64], net: &str| {
        taxes::line_tax(d(net), d("1"), ids, b, 2)
    };
    let sixteen = |b: &HashMap<i64, TaxRule>, ids: &[i64], net: &str| {
        line_tax(d(net), d("1"), ids, b, 2, Rounding::PerLine)
    };
    // an included tax: 16 takes the remainder of the rounded base
    let b = book(vec![included(tax(1, "percent", "12", 1))]);
    assert_eq!(sixteen(&b, &[1], "52.50"), LineTax::Computed(d("5.62")));
    assert_eq!(eighteen(&b, &[1], "52.50"), LineTax::Computed(d("5.63")));
    // two excluded division taxes: each alone in 16, one batch in 18
    let b = book(vec![
        tax(1, "division", "10", 1),
        tax(2, "division", "10", 2),
    ]);
    assert_eq!(sixteen(&b, &[1, 2], "100"), LineTax::Computed(d("22.22")));
    assert_eq!(eighteen(&b, &[1, 2], "100"), LineTax::Computed(d("25.00")));
    // a group of groups: 16 counts every child of both
    let b = common_with(|t| {
        if t.id == FIXED {
            t.include_base_amount = true;
        }
    });
    assert_eq!(
        sixteen(&b, &[GROUP_OF_GROUP], "200"),
        LineTax::Computed(d("63"))
    );
    assert_ne!(
        eighteen(&b, &[GROUP_OF_GROUP], "200"),
        LineTax::Computed(d("63"))
    );
}

#[test]
fn what_is_not_computed_is_said() {
    let mut code = tax(5, "code", "0", 1);
    code.name = "Eco levy".into();
    let b = book(vec![code, tax(1, "percent", "15", 1)]);
    assert!(matches!(
        line_tax(d("100"), d("1"), &[1, 5], &b, 2, Rounding::PerLine),
        LineTax::Unchecked(why) if why.contains("Eco levy")
    ));
    let b = book(vec![group(1, 1, &[99])]);
    assert!(matches!(
        line_tax(d("100"), d("1"), &[1], &b, 2, Rounding::PerLine),
        LineTax::Unchecked(why) if why.contains("99")
    ));
    // a group holding itself (Odoo refuses the recursion; the hub stops)
    let b = book(vec![group(1, 1, &[1])]);
    assert!(matches!(
        line_tax(d("100"), d("1"), &[1], &b, 2, Rounding::PerLine),
        LineTax::Unchecked(why) if why.contains("deep")
    ));
}

#[test]
fn the_rounding_method_reads_as_odoo_names_it() {
    assert_eq!(
        Rounding::from_odoo(Some("round_globally")),
        Rounding::Globally
    );
    assert_eq!(
        Rounding::from_odoo(Some("round_per_line")),
        Rounding::PerLine
    );
    assert_eq!(Rounding::from_odoo(None), Rounding::PerLine);
}

#[test]
fn a_reverse_charge_tax_gives_its_lines_and_no_tax() {
    // 21 % split +100 % / -100 %: on 100, lines 21 and -21, tax 0
    let b = book(vec![factored(tax(1, "percent", "21", 1), &["100", "-100"])]);
    assert_eq!(per_line(&b, &[1], "100"), ds(&["21", "-21"]));
    assert_eq!(
        line_tax(d("100"), d("1"), &[1], &b, 2, Rounding::PerLine),
        LineTax::Computed(d("0"))
    );
    // price-included, the sum of its factors (0) takes nothing out of the
    // price: 121 stays the base, lines 25.41 and -25.41, tax 0
    let b = book(vec![included(factored(
        tax(1, "percent", "21", 1),
        &["100", "-100"],
    ))]);
    assert_eq!(per_line(&b, &[1], "121"), ds(&["25.41", "-25.41"]));
    assert_eq!(
        line_tax(d("121"), d("1"), &[1], &b, 2, Rounding::PerLine),
        LineTax::Computed(d("0"))
    );
    // next to a 15 % tax only the 15 % counts
    let b = book(vec![
        factored(tax(1, "percent", "21", 1), &["100", "-100"]),
        tax(2, "percent", "15", 2),
    ]);
    assert_eq!(
        line_tax(d("100"), d("1"), &[1, 2], &b, 2, Rounding::PerLine),
        LineTax::Computed(d("15.00"))
    );
}

#[test]
fn a_partly_deductible_tax_gives_its_factor_of_the_rounded_tax() {
    // 10 % of 100.05 is 10.005 -> 10.01, and half of that 5.005 -> 5.01
    // (not 5.00, half of the unrounded 10.005 rounded)
    let b = book(vec![factored(tax(1, "percent", "10", 1), &["50"])]);
    assert_eq!(per_line(&b, &[1], "100.05"), ds(&["5.01"]));
    assert_eq!(
        line_tax(d("100.05"), d("1"), &[1], &b, 2, Rounding::PerLine),
        LineTax::Computed(d("5.01"))
    );
    // price-included, half the rate comes out of the price (105 / 1.05 =
    // 100) and the tax takes what is left of it (5), which Odoo then
    // factors once more: 2.50
    let b = book(vec![included(factored(
        tax(1, "percent", "10", 1),
        &["50"],
    ))]);
    assert_eq!(per_line(&b, &[1], "105"), ds(&["2.5"]));
    // what it adds to the base of the next tax is the factored amount: 10 %
    // affecting at 50 %, then 10 %, on 100: 5 + 10.5
    let b = book(vec![
        affecting(factored(tax(1, "percent", "10", 1), &["50"])),
        tax(2, "percent", "10", 2),
    ]);
    assert_eq!(per_line(&b, &[1, 2], "100"), ds(&["5", "10.5"]));
}

#[test]
fn the_rounding_of_the_lines_is_spread_to_reach_the_factored_tax() {
    // Odoo's own example: four lines of 50 % on a tax of 0.03 make 0.06 in
    // all, each line a cent or two (0.015 rounded), the difference spread
    // a cent at a time over the first lines
    let b = book(vec![factored(
        tax(1, "fixed", "0.03", 1),
        &["50", "50", "50", "50"],
    )]);
    let lines = per_line(&b, &[1], "10");
    assert_eq!(lines.len(), 4);
    assert_eq!(lines.iter().sum::<Decimal>(), d("0.06"));
    assert_eq!(
        line_tax(d("10"), d("1"), &[1], &b, 2, Rounding::PerLine),
        LineTax::Computed(d("0.06"))
    );
}

#[test]
fn unread_repartition_lines_leave_the_tax_unchecked_and_none_give_no_tax() {
    // the lines could not be read: the amount is not guessed at 100 %
    let mut unread = tax(1, "percent", "21", 1);
    unread.name = "21% EU RC".into();
    unread.factors = None;
    let b = book(vec![unread, tax(2, "percent", "15", 2)]);
    match line_tax(d("100"), d("1"), &[1, 2], &b, 2, Rounding::PerLine) {
        LineTax::Unchecked(why) => assert!(why.contains("21% EU RC"), "{why}"),
        other => panic!("computed {other:?}"),
    }
    // read, and no invoice 'tax' line: sum_repartition_factor is 0
    let b = book(vec![factored(tax(1, "percent", "21", 1), &[])]);
    assert_eq!(
        line_tax(d("100"), d("1"), &[1], &b, 2, Rounding::PerLine),
        LineTax::Computed(d("0"))
    );
}
