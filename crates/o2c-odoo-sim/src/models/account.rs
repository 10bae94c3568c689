//! account.move (customer invoices and credit notes) and account.move.line:
//! totals with the tax and receivable lines (account/models/account_move.py
//! `_compute_amount`, `_sync_dynamic_lines`), `action_post` numbering
//! (`INV/2026/00001`, credit notes `RINV/…`), residual and `payment_state`,
//! and the unlink / re-post refusals with each version's message.

use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use crate::OdooVersion;
use crate::fault::Fault;
use crate::orm::{Env, Record};

use super::pricing::{subtotal, tax_amount};
use super::util::{
    add_days, children, dec, f, find, id_list, many2one, money, put, rec, round2, string, today,
    touch, vals, year,
};
use super::{Hooks, ids_arg, m2o, num, text};

pub const AM: &str = "account.move";
pub const AML: &str = "account.move.line";

/// Product lines of a move (`invoice_line_ids`).
pub fn product_lines(env: &Env, m: i64) -> Vec<i64> {
    children(env, AML, "move_id", m)
        .into_iter()
        .filter(|l| string(env, AML, *l, "display_type") == "product")
        .collect()
}

fn account_by_code(env: &Env, prefix: &str) -> Option<i64> {
    find(env, "account.account", |r| {
        text(r, "code").is_some_and(|c| c.starts_with(prefix))
    })
    .first()
    .copied()
}

/// Recomputes line amounts, the tax and receivable lines and the totals of
/// a draft move.
pub fn recompute(env: &mut Env, m: i64) -> Result<(), Fault> {
    let mv = rec(env, AM, m);
    let sign = if text(&mv, "move_type") == Some("out_refund") {
        Decimal::NEGATIVE_ONE
    } else {
        Decimal::ONE
    };
    let (mut untaxed, mut tax) = (Decimal::ZERO, Decimal::ZERO);
    let mut by_tax: Vec<(i64, Decimal)> = Vec::new();
    for l in product_lines(env, m) {
        let line = rec(env, AML, l);
        let sub = subtotal(
            num(&line, "price_unit"),
            num(&line, "quantity"),
            num(&line, "discount"),
        );
        let taxes = id_list(&line, "tax_ids");
        let t = tax_amount(env, &taxes, sub);
        for tx in &taxes {
            let one = tax_amount(env, &[*tx], sub);
            match by_tax.iter_mut().find(|(i, _)| i == tx) {
                Some((_, a)) => *a += one,
                None => by_tax.push((*tx, one)),
            }
        }
        untaxed += sub;
        tax += t;
        put(
            env,
            AML,
            l,
            json!({"price_subtotal": money(sub), "price_total": money(sub + t),
                   "balance": money(-sign * sub), "debit": if sign.is_sign_negative() { money(sub) } else { json!(0.0) },
                   "credit": if sign.is_sign_negative() { json!(0.0) } else { money(sub) }}),
        );
    }
    if string(env, AM, m, "state") == "draft" {
        for l in children(env, AML, "move_id", m) {
            let dt = string(env, AML, l, "display_type");
            if dt == "tax" || dt == "payment_term" {
                env.remove_raw(AML, l);
            }
        }
        let partner = m2o(&mv, "partner_id");
        for (tx, amount) in by_tax {
            let name = string(env, "account.tax", tx, "name");
            crate::models::util::create(
                env,
                AML,
                vals(
                    json!({"move_id": m, "display_type": "tax", "name": name, "tax_line_id": tx,
                    "account_id": account_by_code(env, "2"), "partner_id": partner,
                    "balance": money(-sign * amount), "price_subtotal": 0.0, "price_total": 0.0}),
                ),
            )?;
        }
        let total = round2(untaxed + tax);
        crate::models::util::create(
            env,
            AML,
            vals(
                json!({"move_id": m, "display_type": "payment_term", "name": text(&mv, "payment_reference").unwrap_or(""),
                "account_id": account_by_code(env, "121"), "partner_id": partner,
                "balance": money(sign * total), "date_maturity": text(&mv, "invoice_date_due")}),
            ),
        )?;
        let total_v = money(untaxed + tax);
        put(
            env,
            AM,
            m,
            json!({"amount_untaxed": money(untaxed), "amount_tax": money(tax), "amount_total": total_v,
                   "amount_residual": total_v, "amount_untaxed_signed": money(sign * untaxed),
                   "amount_total_signed": money(sign * (untaxed + tax))}),
        );
    }
    Ok(())
}

/// `payment_state` from the residual: `reversed` when a credit note settled
/// it alone (account_move.py `_compute_payment_state`).
pub fn refresh_payment_state(env: &mut Env, m: i64, by_reversal: bool) {
    let mv = rec(env, AM, m);
    if text(&mv, "state") != Some("posted") {
        put(env, AM, m, json!({"payment_state": "not_paid"}));
        return;
    }
    let total = num(&mv, "amount_total");
    let residual = num(&mv, "amount_residual");
    let paid_by_payment = !payments_of(env, m).is_empty();
    let state = if residual.abs() < 0.005 {
        if by_reversal && !paid_by_payment {
            "reversed"
        } else {
            "paid"
        }
    } else if (residual - total).abs() < 0.005 {
        if env.version == OdooVersion::V18 && paid_by_payment {
            // 18 Community: payments without journal entry count as paid
            "paid"
        } else {
            "not_paid"
        }
    } else {
        "partial"
    };
    let mut v = json!({"payment_state": state});
    if env.version >= OdooVersion::V18 {
        v["status_in_payment"] = json!(state);
    }
    touch(env, AM, m, v);
}

/// Payments reconciled with (or matched to) an invoice.
pub fn payments_of(env: &Env, m: i64) -> Vec<i64> {
    find(env, "account.payment", |r| {
        id_list(r, "reconciled_invoice_ids").contains(&m) || id_list(r, "invoice_ids").contains(&m)
    })
}

/// Lowers the residual of a posted move by `amount`.
pub fn settle(env: &mut Env, m: i64, amount: f64, by_reversal: bool) {
    let residual = f(round2(dec(string_num(env, m)) - dec(amount))).max(0.0);
    touch(env, AM, m, json!({"amount_residual": residual}));
    refresh_payment_state(env, m, by_reversal);
}

fn string_num(env: &Env, m: i64) -> f64 {
    super::util::number(env, AM, m, "amount_residual")
}

fn sequence_prefix(env: &Env, m: i64) -> String {
    let journal = many2one(env, AM, m, "journal_id");
    let code = journal
        .map(|j| string(env, "account.journal", j, "code"))
        .unwrap_or_else(|| "INV".into());
    let refund = string(env, AM, m, "move_type") == "out_refund";
    format!("{}{code}/{}", if refund { "R" } else { "" }, year(env))
}

/// The next number of the move's journal sequence.
pub fn next_name(env: &mut Env, m: i64) -> String {
    let prefix = sequence_prefix(env, m);
    let n = env.next_sequence(&prefix);
    format!("{prefix}/{n:05}")
}

fn unnamed(rec: &Record) -> bool {
    matches!(rec.get("name"), None | Some(Value::Bool(false)))
        || text(rec, "name").is_none_or(|n| n == "/")
}

/// `action_post`.
pub fn action_post(env: &mut Env, ids: &[i64]) -> Result<(), Fault> {
    env.check_exist(AM, ids)?;
    for m in ids {
        let mv = rec(env, AM, *m);
        if text(&mv, "state") == Some("posted") {
            let name = text(&mv, "name").unwrap_or("/");
            return Err(Fault::user(if env.version == OdooVersion::V16 {
                format!("The entry {name} (id {m}) is already posted.")
            } else {
                format!("The entry {name} (id {m}) must be in draft.")
            }));
        }
        if product_lines(env, *m).is_empty() && text(&mv, "move_type") != Some("entry") {
            return Err(Fault::user("You need to add a line before posting."));
        }
        let name = if unnamed(&mv) {
            next_name(env, *m)
        } else {
            text(&mv, "name").unwrap_or("/").to_string()
        };
        let inv_date = text(&mv, "invoice_date")
            .map(str::to_string)
            .unwrap_or_else(|| today(env));
        let days = mv
            .get("invoice_payment_term_id")
            .and_then(Value::as_i64)
            .map(|t| term_days(env, t))
            .unwrap_or(0);
        let mut v = json!({"name": name, "state": "posted", "invoice_date": inv_date,
            "date": inv_date, "invoice_date_due": add_days(&inv_date, days)});
        if text(&mv, "payment_reference").is_none() && text(&mv, "move_type") != Some("entry") {
            v["payment_reference"] = json!(name);
        }
        touch(env, AM, *m, v);
        for l in children(env, AML, "move_id", *m) {
            put(env, AML, l, json!({"parent_state": "posted"}));
        }
        refresh_payment_state(env, *m, false);
        // 17+: posting a credit note reconciles it with the invoice it reverses
        if env.version >= OdooVersion::V17
            && let Some(inv) = m2o(&mv, "reversed_entry_id")
        {
            reconcile_reversal(env, inv, *m)?;
        }
        for so in super::sale_status::orders_of_move(env, *m) {
            super::sale_status::recompute(env, so, true);
        }
    }
    Ok(())
}

/// Reconciles a posted credit note with the posted invoice it reverses.
pub fn reconcile_reversal(env: &mut Env, inv: i64, cn: i64) -> Result<(), Fault> {
    if string(env, AM, inv, "state") != "posted" || string(env, AM, cn, "state") != "posted" {
        return Ok(());
    }
    let a = super::util::number(env, AM, inv, "amount_residual");
    let b = super::util::number(env, AM, cn, "amount_residual");
    let amount = a.min(b);
    if amount <= 0.005 {
        return Ok(());
    }
    settle(env, inv, amount, true);
    settle(env, cn, amount, false);
    // the credit note's receivable line credits the invoice's
    if let (Some(debit), Some(credit)) = (
        super::reconcile::receivable_line(env, inv),
        super::reconcile::receivable_line(env, cn),
    ) {
        let date = string(env, AM, cn, "date");
        super::reconcile::record_partial(env, debit, credit, dec(amount), &date)?;
    }
    Ok(())
}

/// Days of a payment term, read from its name (`30 Days`; immediate = 0).
pub fn term_days(env: &Env, term: i64) -> i64 {
    string(env, "account.payment.term", term, "name")
        .split_whitespace()
        .find_map(|w| w.parse::<i64>().ok())
        .unwrap_or(0)
}

pub struct Move;

impl Move {
    /// `invoice_line_ids` is a filtered view of `line_ids`: writes go there.
    fn map_lines(mut v: Map<String, Value>) -> Map<String, Value> {
        if let Some(Value::Array(cmds)) = v.remove("invoice_line_ids") {
            let mut all = match v.remove("line_ids") {
                Some(Value::Array(a)) => a,
                _ => Vec::new(),
            };
            all.extend(cmds);
            v.insert("line_ids".into(), Value::Array(all));
        }
        v
    }
}

impl Hooks for Move {
    fn display_name(&self, _env: &Env, id: i64, rec: &Record) -> Option<String> {
        if text(rec, "state") == Some("draft") && unnamed(rec) {
            let kind = match text(rec, "move_type") {
                Some("out_refund") => "Draft Credit Note",
                Some("entry") => "Draft Entry",
                _ => "Draft Invoice",
            };
            return Some(format!("{kind} (* {id})"));
        }
        let name = text(rec, "name").unwrap_or("/");
        Some(match text(rec, "ref") {
            Some(r) => format!("{name} ({r})"),
            None => name.to_string(),
        })
    }

    fn compute(&self, env: &Env, id: i64, rec: &Record, field: &str) -> Option<Value> {
        match field {
            "invoice_line_ids" => Some(json!(product_lines(env, id))),
            // the residual in the company currency, at the invoice's rate
            "amount_residual_signed" => {
                let sign = if text(rec, "move_type") == Some("out_refund") {
                    -1.0
                } else {
                    1.0
                };
                Some(json!(f(round2(dec(super::currency::to_company(
                    env,
                    sign * num(rec, "amount_residual"),
                    m2o(rec, "currency_id"),
                    m2o(rec, "company_id"),
                    &move_date(rec),
                ))))))
            }
            "invoice_payments_widget" => Some(super::reconcile::payments_widget(env, id)),
            _ => None,
        }
    }

    fn computed(&self, field: &str) -> bool {
        matches!(
            field,
            "journal_id" | "currency_id" | "amount_residual_signed"
        )
    }

    fn defaults(&self, env: &mut Env, vals: &mut Map<String, Value>) -> Result<(), Fault> {
        let mtype = vals
            .get("move_type")
            .and_then(Value::as_str)
            .unwrap_or("entry")
            .to_string();
        vals.entry("move_type").or_insert(json!(mtype));
        vals.entry("state").or_insert(json!("draft"));
        vals.entry("auto_post").or_insert(json!("no"));
        vals.entry("date").or_insert(json!(today(env)));
        vals.entry("payment_state").or_insert(json!("not_paid"));
        if env.version >= OdooVersion::V18 {
            vals.entry("status_in_payment").or_insert(json!("draft"));
        }
        if env.exists("res.company", 1) {
            vals.entry("company_id").or_insert(json!(1));
            if let Some(c) = many2one(env, "res.company", 1, "currency_id") {
                vals.entry("currency_id").or_insert(json!(c));
            }
        }
        if !vals.contains_key("journal_id") {
            let jtype = if mtype.starts_with("out_") {
                "sale"
            } else {
                "general"
            };
            if let Some(j) =
                find(env, "account.journal", |r| text(r, "type") == Some(jtype)).first()
            {
                vals.insert("journal_id".into(), json!(j));
            }
        }
        if env.version >= OdooVersion::V19 {
            vals.entry("name").or_insert(json!(false));
        } else {
            vals.entry("name").or_insert(json!("/"));
        }
        if let Some(p) = vals.get("partner_id").and_then(Value::as_i64) {
            let commercial = many2one(env, "res.partner", p, "commercial_partner_id").unwrap_or(p);
            vals.entry("commercial_partner_id")
                .or_insert(json!(commercial));
        }
        super::util::retain_known(env, "account.move", vals);
        Ok(())
    }

    fn after_create(&self, env: &mut Env, id: i64) -> Result<(), Fault> {
        recompute(env, id)
    }

    fn after_write(&self, env: &mut Env, ids: &[i64], fields: &[String]) -> Result<(), Fault> {
        if fields
            .iter()
            .any(|f| f == "line_ids" || f == "invoice_line_ids")
        {
            for m in ids {
                recompute(env, *m)?;
                for so in super::sale_status::orders_of_move(env, *m) {
                    super::sale_status::recompute(env, so, true);
                }
            }
        }
        Ok(())
    }

    fn before_unlink(&self, env: &mut Env, ids: &[i64]) -> Result<(), Fault> {
        for m in ids {
            let mv = rec(env, AM, *m);
            if text(&mv, "state") != Some("posted") {
                continue;
            }
            if env.version >= OdooVersion::V19 {
                return Err(Fault::user(
                    "You can't delete a posted journal item. Don\u{2019}t play games with your accounting records; reset the journal entry to draft before deleting it.",
                ));
            }
            let reconciled = matches!(
                text(&mv, "payment_state"),
                Some("paid") | Some("partial") | Some("reversed") | Some("in_payment")
            );
            if reconciled {
                return Err(Fault::user(format!(
                    "You cannot do this modification on a reconciled journal entry. You can just change some non legal fields or you must unreconcile first.\nJournal Entry (id): {} ({m})",
                    text(&mv, "name").unwrap_or("/")
                )));
            }
            return Err(Fault::user(
                "You cannot delete an item linked to a posted entry.",
            ));
        }
        Ok(())
    }

    fn after_unlink(&self, env: &mut Env, removed: &[(i64, Record)]) -> Result<(), Fault> {
        for (id, _) in removed {
            for l in children(env, AML, "move_id", *id) {
                env.remove_raw(AML, l);
            }
        }
        let orders: Vec<i64> = find(env, "sale.order", |_| true);
        for so in orders {
            let inv = id_list(&rec(env, "sale.order", so), "invoice_ids");
            if removed.iter().any(|(i, _)| inv.contains(i)) {
                super::sale_status::recompute(env, so, true);
            }
        }
        Ok(())
    }

    fn methods(&self, _version: OdooVersion) -> &'static [&'static str] {
        &[
            "create",
            "write",
            "action_post",
            "button_draft",
            "button_cancel",
        ]
    }

    fn call(
        &self,
        env: &mut Env,
        method: &str,
        args: &[Value],
        kwargs: &Map<String, Value>,
    ) -> Result<Option<Value>, Fault> {
        match method {
            "create" => {
                let arg = args.first().or_else(|| kwargs.get("vals_list"));
                match arg {
                    Some(Value::Array(list)) => {
                        let mut ids = Vec::new();
                        for v in list {
                            let v = v.as_object().cloned().unwrap_or_default();
                            ids.push(crate::models::util::create(env, AM, Self::map_lines(v))?);
                        }
                        Ok(Some(json!(ids)))
                    }
                    Some(Value::Object(v)) => Ok(Some(json!(crate::models::util::create(
                        env,
                        AM,
                        Self::map_lines(v.clone())
                    )?))),
                    _ => Err(Fault::type_error(
                        "create() missing 1 required positional argument: 'vals_list'",
                    )),
                }
            }
            "write" => {
                let ids = ids_arg(args.first().or_else(|| kwargs.get("ids")));
                let v = args
                    .get(1)
                    .or_else(|| kwargs.get("vals"))
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_default();
                let had_lines = v.contains_key("invoice_line_ids");
                env.write(AM, &ids, &Self::map_lines(v))?;
                if had_lines {
                    self.after_write(env, &ids, &["line_ids".to_string()])?;
                }
                Ok(Some(json!(true)))
            }
            "action_post" => {
                action_post(env, &ids_arg(args.first()))?;
                Ok(Some(json!(false)))
            }
            "button_draft" | "button_cancel" => {
                let ids = ids_arg(args.first());
                env.check_exist(AM, &ids)?;
                let st = if method == "button_draft" {
                    "draft"
                } else {
                    "cancel"
                };
                for m in &ids {
                    touch(env, AM, *m, json!({"state": st}));
                    for so in super::sale_status::orders_of_move(env, *m) {
                        super::sale_status::recompute(env, so, true);
                    }
                }
                Ok(Some(json!(true)))
            }
            other => Err(Fault::unknown_method(AM, other)),
        }
    }
}

pub struct MoveLine;

impl Hooks for MoveLine {
    fn defaults(&self, env: &mut Env, vals: &mut Map<String, Value>) -> Result<(), Fault> {
        vals.entry("display_type").or_insert(json!("product"));
        if let Some(p) = vals.get("product_id").and_then(Value::as_i64) {
            vals.entry("name")
                .or_insert(json!(env.display_name("product.product", p)));
            if let Some(u) = many2one(env, "product.product", p, "uom_id") {
                vals.entry("product_uom_id").or_insert(json!(u));
            }
        }
        if vals.get("display_type") == Some(&json!("product")) {
            vals.entry("quantity").or_insert(json!(1.0));
            vals.entry("account_id")
                .or_insert(json!(account_by_code(env, "4")));
        }
        if let Some(m) = vals.get("move_id").and_then(Value::as_i64) {
            for f in ["currency_id", "partner_id", "company_id"] {
                if let Some(v) = many2one(env, AM, m, f) {
                    vals.entry(f).or_insert(json!(v));
                }
            }
            vals.entry("parent_state")
                .or_insert(json!(string(env, AM, m, "state")));
        }
        super::util::retain_known(env, "account.move.line", vals);
        Ok(())
    }
}

/// Amount of a move line as money (used by wizards).
pub fn line_subtotal(env: &Env, l: i64) -> Decimal {
    let r = rec(env, AML, l);
    subtotal(
        num(&r, "price_unit"),
        num(&r, "quantity"),
        num(&r, "discount"),
    )
}

/// The date a move converts at: its invoice date, else its accounting date.
fn move_date(rec: &Record) -> String {
    text(rec, "invoice_date")
        .or_else(|| text(rec, "date"))
        .unwrap_or_default()
        .to_owned()
}
