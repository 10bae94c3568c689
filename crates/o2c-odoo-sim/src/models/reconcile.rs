//! Reconciliation: the payment entry's journal items, the
//! `account.partial.reconcile` rows that match a receivable line with its
//! counterpart (a payment or a credit note), and the
//! `invoice_payments_widget` JSON that Odoo computes from them
//! (account/models/account_move.py `_compute_payments_widget_reconciled_info`
//! and `_get_reconciled_vals` of each version).

use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::OdooVersion;
use crate::fault::Fault;
use crate::orm::Env;

use super::util::{children, dec, find, money, rec, round2, string, vals};
use super::{m2o, num, text};

pub const PARTIAL: &str = "account.partial.reconcile";
const AM: &str = "account.move";
const AML: &str = "account.move.line";

/// The receivable (payment term) line of an invoice or credit note.
pub fn receivable_line(env: &Env, m: i64) -> Option<i64> {
    children(env, AML, "move_id", m)
        .into_iter()
        .find(|l| string(env, AML, *l, "display_type") == "payment_term")
}

/// Records that `amount` of the debit line is matched with the credit line.
pub fn record_partial(
    env: &mut Env,
    debit: i64,
    credit: i64,
    amount: Decimal,
    date: &str,
) -> Result<i64, Fault> {
    super::util::create(
        env,
        PARTIAL,
        vals(json!({"debit_move_id": debit, "credit_move_id": credit,
            "amount": money(amount), "debit_amount_currency": money(amount),
            "credit_amount_currency": money(amount), "max_date": date, "company_id": 1})),
    )
}

/// The two journal items of a customer payment's entry: the liquidity line
/// on the outstanding receipts account and the receivable counterpart,
/// labelled as account/models/account_payment.py
/// `_get_aml_default_display_name_list` does. Returns the counterpart line.
pub fn payment_entry_lines(env: &mut Env, pay: i64, entry: i64) -> Result<i64, Fault> {
    let p = rec(env, "account.payment", pay);
    let amount = round2(dec(num(&p, "amount")));
    let date = text(&p, "date").unwrap_or_default().to_string();
    let label = payment_label(env, pay);
    let outstanding = m2o(&p, "outstanding_account_id");
    let receivable = find(env, "account.account", |r| {
        text(r, "account_type") == Some("asset_receivable")
    })
    .first()
    .copied();
    let common = json!({"move_id": entry, "payment_id": pay, "date": date,
        "partner_id": m2o(&p, "partner_id"), "journal_id": m2o(&p, "journal_id"),
        "currency_id": m2o(&p, "currency_id"), "parent_state": "posted",
        "display_type": "product", "quantity": 1.0});
    let mut liquidity = vals(common.clone());
    liquidity.extend(vals(json!({"name": label, "account_id": outstanding,
        "debit": money(amount), "credit": 0.0, "balance": money(amount),
        "amount_currency": money(amount)})));
    super::util::create(env, AML, liquidity)?;
    let mut counterpart = vals(common);
    counterpart.extend(vals(json!({"name": label, "account_id": receivable,
        "debit": 0.0, "credit": money(amount), "balance": money(-amount),
        "amount_currency": money(-amount)})));
    super::util::create(env, AML, counterpart)
}

/// The label of a payment's journal items: `Customer Payment $ 50.00 -
/// Partner - 11/27/2026` up to 17; from 18 the payment method and the memo
/// (`Manual Payment: SHOP-1002 part 1`).
fn payment_label(env: &Env, pay: i64) -> String {
    let p = rec(env, "account.payment", pay);
    if env.version >= OdooVersion::V18 {
        let method = m2o(&p, "payment_method_line_id")
            .map(|m| string(env, "account.payment.method.line", m, "name"))
            .unwrap_or_else(|| "No Payment Method".into());
        return match text(&p, "memo") {
            Some(memo) => format!("{method}: {}", shorten(memo, 35)),
            None => method,
        };
    }
    let kind = if text(&p, "payment_type") == Some("outbound") {
        "Vendor Payment"
    } else {
        "Customer Payment"
    };
    let mut s = format!("{kind} {}", format_usd(dec(num(&p, "amount"))));
    if let Some(partner) = m2o(&p, "partner_id") {
        s.push_str(&format!(" - {}", env.display_name("res.partner", partner)));
    }
    s.push_str(&format!(
        " - {}",
        us_date(text(&p, "date").unwrap_or_default())
    ));
    s
}

/// `textwrap.shorten(text, width, placeholder="...")`.
fn shorten(s: &str, width: usize) -> String {
    let words: Vec<&str> = s.split_whitespace().collect();
    let joined = words.join(" ");
    if joined.chars().count() <= width {
        return joined;
    }
    let mut out = String::new();
    for w in words {
        let next = if out.is_empty() {
            w.to_string()
        } else {
            format!("{out} {w}")
        };
        if next.chars().count() + 3 > width {
            break;
        }
        out = next;
    }
    format!("{out}...")
}

/// `formatLang(amount, currency_obj=USD)` in en_US: `$ 1,234.50` with a
/// no-break space.
pub fn format_usd(amount: Decimal) -> String {
    let s = format!("{:.2}", round2(amount).abs());
    let (int, frac) = s.split_once('.').unwrap_or((&s, "00"));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if amount.is_sign_negative() && !round2(amount).is_zero() {
        "-"
    } else {
        ""
    };
    format!("{sign}$\u{a0}{grouped}.{frac}")
}

/// `format_date` in en_US: `2026-11-27` → `11/27/2026`.
pub fn us_date(iso: &str) -> String {
    let mut p = iso.splitn(3, '-');
    match (p.next(), p.next(), p.next()) {
        (Some(y), Some(m), Some(d)) => format!("{m}/{d}/{y}"),
        _ => iso.to_string(),
    }
}

/// `invoice_payments_widget` of a move: `false` unless it is a posted
/// invoice with reconciled partials; one entry per partial, in the order
/// the partials were made.
pub fn payments_widget(env: &Env, m: i64) -> Value {
    let mv = rec(env, AM, m);
    let invoice = matches!(
        text(&mv, "move_type"),
        Some("out_invoice" | "out_refund" | "in_invoice" | "in_refund")
    );
    if text(&mv, "state") != Some("posted") || !invoice {
        return json!(false);
    }
    let Some(own) = receivable_line(env, m) else {
        return json!(false);
    };
    let mut content = Vec::new();
    for partial in find(env, PARTIAL, |r| {
        m2o(r, "debit_move_id") == Some(own) || m2o(r, "credit_move_id") == Some(own)
    }) {
        let pr = rec(env, PARTIAL, partial);
        let other = if m2o(&pr, "debit_move_id") == Some(own) {
            m2o(&pr, "credit_move_id")
        } else {
            m2o(&pr, "debit_move_id")
        };
        let Some(line) = other else { continue };
        content.push(reconciled_vals(env, m, partial, line));
    }
    if content.is_empty() {
        return json!(false);
    }
    json!({"title": "Less Payment", "outstanding": false, "content": content})
}

/// One widget entry (account_move.py `_get_reconciled_vals`): 17 adds
/// `company_name`, 19 adds `is_refund`.
fn reconciled_vals(env: &Env, m: i64, partial: i64, line: i64) -> Value {
    let l = rec(env, AML, line);
    let counter_move = m2o(&l, "move_id").unwrap_or_default();
    let cm = rec(env, AM, counter_move);
    let move_name = text(&cm, "name").unwrap_or("/").to_string();
    let reference = match text(&cm, "ref") {
        Some(r) => format!("{move_name} ({r})"),
        None => move_name,
    };
    let journal = m2o(&cm, "journal_id")
        .or_else(|| m2o(&l, "journal_id"))
        .map(|j| json!(string(env, "account.journal", j, "name")))
        .unwrap_or(json!(false));
    let payment = m2o(&l, "payment_id");
    let method = payment
        .and_then(|p| m2o(&rec(env, "account.payment", p), "payment_method_line_id"))
        .map(|ml| json!(string(env, "account.payment.method.line", ml, "name")))
        .unwrap_or(json!(false));
    let amount = num(&rec(env, PARTIAL, partial), "amount");
    let balance = dec(num(&l, "balance"));
    let mut v = serde_json::Map::new();
    v.insert("name".into(), json!(text(&l, "name").unwrap_or("")));
    v.insert("journal_name".into(), journal);
    if env.version >= OdooVersion::V17 {
        // the counterpart's company when it differs from the invoice's
        let same = m2o(&l, "company_id") == m2o(&rec(env, AM, m), "company_id");
        v.insert(
            "company_name".into(),
            if same || m2o(&l, "company_id").is_none() {
                json!(false)
            } else {
                json!(env.display_name("res.company", m2o(&l, "company_id").unwrap_or_default()))
            },
        );
    }
    v.insert("amount".into(), json!(amount));
    v.insert(
        "currency_id".into(),
        json!(m2o(&rec(env, AM, m), "currency_id")),
    );
    v.insert("date".into(), json!(text(&l, "date").unwrap_or_default()));
    v.insert("partial_id".into(), json!(partial));
    v.insert(
        "account_payment_id".into(),
        payment.map_or(json!(false), |p| json!(p)),
    );
    v.insert("payment_method_name".into(), method);
    v.insert("move_id".into(), json!(counter_move));
    if env.version >= OdooVersion::V19 {
        v.insert(
            "is_refund".into(),
            json!(matches!(
                text(&cm, "move_type"),
                Some("out_refund" | "in_refund")
            )),
        );
    }
    v.insert("ref".into(), json!(reference));
    v.insert("is_exchange".into(), json!(false));
    v.insert(
        "amount_company_currency".into(),
        json!(format_usd(balance.abs())),
    );
    v.insert("amount_foreign_currency".into(), json!(false));
    Value::Object(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().expect("decimal literal")
    }

    #[test]
    fn usd_amounts_are_grouped_with_a_no_break_space() {
        assert_eq!(format_usd(d("50")), "$\u{a0}50.00");
        assert_eq!(format_usd(d("1234.5")), "$\u{a0}1,234.50");
        assert_eq!(format_usd(d("1234567.891")), "$\u{a0}1,234,567.89");
        assert_eq!(format_usd(d("-12.5")), "-$\u{a0}12.50");
    }

    #[test]
    fn dates_read_month_first() {
        assert_eq!(us_date("2026-11-27"), "11/27/2026");
    }

    #[test]
    fn long_memos_are_shortened_like_textwrap() {
        assert_eq!(shorten("SHOP-1002 part 1", 35), "SHOP-1002 part 1");
        assert_eq!(
            shorten("a very long memo that goes on and on beyond the width", 35),
            "a very long memo that goes on..."
        );
    }
}
