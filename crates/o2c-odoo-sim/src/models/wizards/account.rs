//! Accounting wizards: `sale.advance.payment.inv` (sale/wizard/
//! sale_make_invoice_advance.py, delivered quantities), `account.payment.register`
//! (account/wizard/account_payment_register.py) with the payments it makes,
//! and `account.move.reversal` (account/wizard/account_move_reversal.py:
//! 16 `refund_method` + `reverse_moves`, 17+ `refund_moves` / `modify_moves`).

use serde_json::{Map, Value, json};

use crate::OdooVersion;
use crate::fault::Fault;
use crate::orm::Env;

use crate::models::account::{
    AM, AML, action_post, next_name, product_lines, reconcile_reversal, settle, term_days,
};
use crate::models::pricing::sol_tax_field;
use crate::models::reconcile;
use crate::models::util::{
    add_days, children, ctx_flag, ctx_ids, dec, find, id_list, is_zero, many2one, number, rec,
    string, today, touch, vals, year,
};
use crate::models::{Hooks, ids_arg, m2o, num, text};

fn active_ids(env: &Env, model: &str) -> Vec<i64> {
    if env.context.get("active_model").and_then(Value::as_str) == Some(model) {
        let ids = ctx_ids(env, "active_ids");
        if ids.is_empty() {
            ctx_ids(env, "active_id")
        } else {
            ids
        }
    } else {
        Vec::new()
    }
}

pub struct AdvanceInv;

impl AdvanceInv {
    /// sale.order `_create_invoices(final=True)`: one invoice of the lines
    /// with something to invoice.
    fn invoice_order(env: &mut Env, so: i64) -> Result<Option<i64>, Fault> {
        let order = rec(env, "sale.order", so);
        let tax_field = sol_tax_field(env.version);
        let mut lines = Vec::new();
        for l in children(env, "sale.order.line", "order_id", so) {
            let line = rec(env, "sale.order.line", l);
            let q = num(&line, "qty_to_invoice");
            if is_zero(q) || text(&line, "display_type").is_some() {
                continue;
            }
            // invoiced per the line's unit (sale_order_line.py `_prepare_invoice_line`)
            lines.push(json!([0, 0, {
                "product_id": m2o(&line, "product_id"),
                "product_uom_id": m2o(&line, crate::models::pricing::sol_uom_field(env.version)),
                "name": text(&line, "name").unwrap_or(""),
                "quantity": q,
                "price_unit": num(&line, "price_unit"),
                "discount": num(&line, "discount"),
                "tax_ids": [[6, 0, id_list(&line, tax_field)]],
                "sale_line_ids": [[6, 0, [l]]],
            }]));
        }
        if lines.is_empty() {
            return Ok(None);
        }
        let term = m2o(&order, "payment_term_id");
        let due = add_days(&today(env), term.map(|t| term_days(env, t)).unwrap_or(0));
        let inv = crate::models::util::create(
            env,
            AM,
            vals(json!({
                "move_type": "out_invoice",
                "partner_id": m2o(&order, "partner_invoice_id").or(m2o(&order, "partner_id")),
                "partner_shipping_id": m2o(&order, "partner_shipping_id"),
                "invoice_origin": text(&order, "name"),
                "ref": text(&order, "client_order_ref"),
                "invoice_payment_term_id": term,
                "invoice_date_due": due,
                "invoice_user_id": m2o(&order, "user_id"),
                "currency_id": m2o(&order, "currency_id"),
                "line_ids": lines,
            })),
        )?;
        crate::models::sale_status::recompute(env, so, true);
        Ok(Some(inv))
    }
}

/// The `account.action_move_out_invoice_type` action opened on `invoices`
/// (sale/models/sale_order.py `action_view_invoice`: one invoice opens its
/// form with `res_id`, several a list filtered on their ids). Its keys are
/// those `ir.actions.act_window._get_action_dict` returns on each version.
fn invoices_action(env: &Env, invoices: &[i64], so: Option<i64>) -> Value {
    let v = env.version;
    let order = so.map(|s| rec(env, "sale.order", s)).unwrap_or_default();
    let mut ctx = vals(json!({"default_move_type": "out_invoice"}));
    for (k, f) in [
        ("default_partner_id", "partner_id"),
        ("default_partner_shipping_id", "partner_shipping_id"),
        ("default_invoice_payment_term_id", "payment_term_id"),
    ] {
        if let Some(id) = m2o(&order, f) {
            ctx.insert(k.into(), json!(id));
        }
    }
    // 19 dropped `default_invoice_origin` from the context
    if v <= OdooVersion::V18
        && let Some(n) = text(&order, "name")
    {
        ctx.insert("default_invoice_origin".into(), json!(n));
    }
    let ids = crate::models::views::invoice_action(v);
    let list = if v <= OdooVersion::V17 {
        "tree"
    } else {
        "list"
    };
    let mut views = vec![
        json!([ids.form, "form"]),
        json!([ids.list, list]),
        json!([false, "kanban"]),
    ];
    if v >= OdooVersion::V17 {
        views.push(json!([false, "activity"]));
    }
    let view_mode = match v {
        OdooVersion::V16 => "tree,kanban,form",
        OdooVersion::V17 => "tree,kanban,form,activity",
        _ => "list,kanban,form,activity",
    };
    let domain = match v {
        OdooVersion::V16 | OdooVersion::V17 => "[('move_type', '=', 'out_invoice')]",
        OdooVersion::V18 => "[('move_type', 'in', ['out_invoice', 'out_refund'])]",
        _ => "[('move_type', 'in', ['out_invoice', 'out_refund', 'out_receipt'])]",
    };
    let list_view = format!("account.out.invoice.{list}");
    let mut a = vals(json!({
        "id": ids.action, "name": "Invoices", "type": "ir.actions.act_window",
        "xml_id": "account.action_move_out_invoice_type", "help": "", "binding_model_id": false,
        "binding_type": "action", "binding_view_types": "list,form", "display_name": "Invoices",
        "view_id": [ids.list, list_view],
        "domain": domain, "context": ctx, "res_model": "account.move",
        "target": "current", "view_mode": view_mode, "limit": 80, "filter": false,
        "search_view_id": [ids.search, "account.invoice.select"],
    }));
    a.insert(
        if v >= OdooVersion::V19 {
            "group_ids"
        } else {
            "groups_id"
        }
        .into(),
        json!([]),
    );
    if v >= OdooVersion::V17 {
        a.insert("mobile_view_mode".into(), json!("kanban"));
    }
    if v >= OdooVersion::V18 {
        a.insert("path".into(), json!("invoicing"));
        a.insert("embedded_action_ids".into(), json!([]));
    }
    if v >= OdooVersion::V19 {
        a.insert("cache".into(), json!(true));
    }
    if v == OdooVersion::V16 {
        // 16's `_get_action_dict` still inlines the search view (its
        // `str()` of the view dict); the arch is not reproduced
        a.insert(
            "search_view".into(),
            json!(format!(
                "{{'arch': '<search string=\"Search Invoice\"/>', 'id': {}, 'model': 'account.move'}}",
                ids.search
            )),
        );
    }
    if invoices.len() == 1 {
        a.insert("res_id".into(), json!(invoices[0]));
        // the form first, then the action's other views
        a.insert("views".into(), json!(views));
    } else {
        a.insert("domain".into(), json!([["id", "in", invoices]]));
        views.remove(0);
        views.push(json!([ids.form, "form"]));
        a.insert("views".into(), json!(views));
    }
    Value::Object(a)
}

impl Hooks for AdvanceInv {
    fn defaults(&self, env: &mut Env, v: &mut Map<String, Value>) -> Result<(), Fault> {
        let sos = active_ids(env, "sale.order");
        if !v.contains_key("sale_order_ids") && !sos.is_empty() {
            v.insert("sale_order_ids".into(), json!([[6, 0, sos]]));
        }
        v.entry("advance_payment_method")
            .or_insert(json!("delivered"));
        v.entry("count").or_insert(json!(sos.len()));
        if env.version == OdooVersion::V16 {
            v.entry("deduct_down_payments").or_insert(json!(true));
        }
        v.entry("has_down_payments").or_insert(json!(false));
        crate::models::util::retain_known(env, "sale.advance.payment.inv", v);
        Ok(())
    }

    fn methods(&self, _version: OdooVersion) -> &'static [&'static str] {
        &["create_invoices"]
    }

    fn call(
        &self,
        env: &mut Env,
        _m: &str,
        args: &[Value],
        _k: &Map<String, Value>,
    ) -> Result<Option<Value>, Fault> {
        let ids = ids_arg(args.first());
        env.check_exist("sale.advance.payment.inv", &ids)?;
        let mut invoices = Vec::new();
        let mut last_so = None;
        for w in &ids {
            let wiz = rec(env, "sale.advance.payment.inv", *w);
            let method = text(&wiz, "advance_payment_method")
                .unwrap_or("delivered")
                .to_string();
            if method != "delivered" {
                return Err(Fault::user(
                    "The sandbox only invoices delivered quantities (advance_payment_method 'delivered').",
                ));
            }
            for so in id_list(&wiz, "sale_order_ids") {
                last_so = Some(so);
                if let Some(inv) = Self::invoice_order(env, so)? {
                    invoices.push(inv);
                }
            }
        }
        if invoices.is_empty() {
            return Err(Fault::user(
                "There is no invoiceable line. If a product has a Delivered quantities invoicing policy, please make sure that a quantity has been delivered.",
            ));
        }
        if env.version == OdooVersion::V16 && !ctx_flag(env, "open_invoices") {
            return Ok(Some(json!({"type": "ir.actions.act_window_close"})));
        }
        Ok(Some(invoices_action(env, &invoices, last_so)))
    }
}

pub struct PaymentRegister;

impl PaymentRegister {
    fn bank_journal(env: &Env) -> Option<i64> {
        find(env, "account.journal", |r| text(r, "type") == Some("bank"))
            .first()
            .copied()
    }

    fn create_payment(env: &mut Env, w: i64) -> Result<i64, Fault> {
        let wiz = rec(env, "account.payment.register", w);
        let invoices = active_ids(env, "account.move");
        let journal = m2o(&wiz, "journal_id").or_else(|| Self::bank_journal(env));
        let amount = num(&wiz, "amount");
        let v18 = env.version == OdooVersion::V18;
        let name = if v18 {
            format!("PAY{:05}", env.next_sequence("PAY"))
        } else {
            let code = journal
                .map(|j| string(env, "account.journal", j, "code"))
                .unwrap_or_default();
            let prefix = format!("P{code}/{}", year(env));
            let n = env.next_sequence(&prefix);
            format!("{prefix}/{n:05}")
        };
        let comm = text(&wiz, "communication").unwrap_or("").to_string();
        let outstanding = find(env, "account.account", |r| {
            text(r, "name") == Some("Outstanding Receipts")
        })
        .first()
        .copied();
        let mut pv = vals(json!({
            "name": name,
            "amount": amount,
            "payment_type": "inbound",
            "partner_type": "customer",
            "partner_id": m2o(&wiz, "partner_id"),
            "journal_id": journal,
            "payment_method_line_id": m2o(&wiz, "payment_method_line_id"),
            "date": text(&wiz, "payment_date").map(str::to_string).unwrap_or_else(|| today(env)),
            "currency_id": m2o(&wiz, "currency_id"),
            "state": if env.version >= OdooVersion::V18 { "paid" } else { "posted" },
        }));
        pv.insert(
            if env.version >= OdooVersion::V18 {
                "memo"
            } else {
                "ref"
            }
            .into(),
            json!(comm),
        );
        if v18 {
            pv.insert("invoice_ids".into(), json!([[6, 0, invoices]]));
            // account_payment.py (18) `_compute_stat_buttons_from_reconciliation`:
            // a payment without journal entry lists the invoices it pays
            pv.insert("reconciled_invoice_ids".into(), json!([[6, 0, invoices]]));
            pv.insert("is_reconciled".into(), json!(false));
            pv.insert("is_matched".into(), json!(true));
        } else {
            let entry = crate::models::util::create(
                env,
                AM,
                vals(
                    json!({"move_type": "entry", "name": name, "ref": comm, "journal_id": journal,
                    "partner_id": m2o(&wiz, "partner_id"), "state": "posted"}),
                ),
            )?;
            pv.insert("move_id".into(), json!(entry));
            pv.insert("outstanding_account_id".into(), json!(outstanding));
            pv.insert("reconciled_invoice_ids".into(), json!([[6, 0, invoices]]));
            pv.insert("is_reconciled".into(), json!(true));
            pv.insert("is_matched".into(), json!(false));
            if env.version >= OdooVersion::V19 {
                pv.insert("invoice_ids".into(), json!([[6, 0, invoices]]));
            }
        }
        let pay = crate::models::util::create(env, "account.payment", pv)?;
        let counterpart = match m2o(&rec(env, "account.payment", pay), "move_id") {
            Some(entry) if !v18 => Some(reconcile::payment_entry_lines(env, pay, entry)?),
            _ => None,
        };
        let pay_date = string(env, "account.payment", pay, "date");
        let mut left = amount;
        for inv in invoices.iter().copied() {
            if env.version >= OdooVersion::V18 {
                link_matched_payment(env, inv, pay);
            }
            if v18 {
                crate::models::account::refresh_payment_state(env, inv, false);
                continue;
            }
            let residual = number(env, AM, inv, "amount_residual");
            let take = left.min(residual);
            if take > 0.0 {
                settle(env, inv, take, false);
                left -= take;
                if let (Some(debit), Some(credit)) =
                    (reconcile::receivable_line(env, inv), counterpart)
                {
                    reconcile::record_partial(env, debit, credit, dec(take), &pay_date)?;
                }
            }
        }
        Ok(pay)
    }
}

impl Hooks for PaymentRegister {
    fn defaults(&self, env: &mut Env, v: &mut Map<String, Value>) -> Result<(), Fault> {
        let invoices = active_ids(env, "account.move");
        if invoices.is_empty() {
            return Err(Fault::user(
                "The register payment wizard should only be called on account.move or account.move.line records.",
            ));
        }
        for i in &invoices {
            if string(env, AM, *i, "state") != "posted" {
                return Err(Fault::user(
                    "You can only register payment for posted journal entries.",
                ));
            }
        }
        let residual: f64 = invoices
            .iter()
            .map(|i| number(env, AM, *i, "amount_residual"))
            .sum();
        let first = rec(env, AM, invoices[0]);
        let journal = Self::bank_journal(env);
        let method = journal.and_then(|j| {
            find(env, "account.payment.method.line", |r| {
                m2o(r, "journal_id") == Some(j)
            })
            .first()
            .copied()
        });
        let name = text(&first, "name").unwrap_or("").to_string();
        let comm = match (env.version, text(&first, "ref")) {
            (OdooVersion::V18, Some(r)) => format!("{r} - {name}"),
            _ => name,
        };
        let receivable: Vec<i64> = invoices
            .iter()
            .flat_map(|i| children(env, AML, "move_id", *i))
            .filter(|l| string(env, AML, *l, "display_type") == "payment_term")
            .collect();
        v.entry("amount").or_insert(json!(residual));
        let amount = v.get("amount").and_then(Value::as_f64).unwrap_or(residual);
        v.entry("payment_date").or_insert(json!(today(env)));
        v.entry("journal_id").or_insert(json!(journal));
        v.entry("payment_method_line_id").or_insert(json!(method));
        v.entry("communication").or_insert(json!(comm));
        v.entry("currency_id")
            .or_insert(json!(m2o(&first, "currency_id")));
        v.entry("partner_id").or_insert(json!(
            m2o(&first, "commercial_partner_id").or(m2o(&first, "partner_id"))
        ));
        v.entry("payment_type").or_insert(json!("inbound"));
        v.entry("partner_type").or_insert(json!("customer"));
        v.entry("group_payment").or_insert(json!(true));
        v.entry("can_edit_wizard").or_insert(json!(true));
        v.entry("payment_difference_handling")
            .or_insert(json!("open"));
        v.entry("source_amount").or_insert(json!(residual));
        v.insert(
            "payment_difference".into(),
            json!(crate::models::util::f(crate::models::util::round2(
                crate::models::util::dec(residual) - crate::models::util::dec(amount)
            ))),
        );
        v.insert("line_ids".into(), json!([[6, 0, receivable]]));
        crate::models::util::retain_known(env, "account.payment.register", v);
        Ok(())
    }

    fn methods(&self, _version: OdooVersion) -> &'static [&'static str] {
        &["action_create_payments"]
    }

    fn call(
        &self,
        env: &mut Env,
        _m: &str,
        args: &[Value],
        _k: &Map<String, Value>,
    ) -> Result<Option<Value>, Fault> {
        let ids = ids_arg(args.first());
        env.check_exist("account.payment.register", &ids)?;
        let mut pay = 0;
        for w in ids {
            pay = Self::create_payment(env, w)?;
        }
        if ctx_flag(env, "dont_redirect_to_payments") {
            return Ok(Some(json!(true)));
        }
        Ok(Some(
            json!({"name": "Payments", "type": "ir.actions.act_window", "res_model": "account.payment",
            "context": {"create": false}, "view_mode": "form", "res_id": pay}),
        ))
    }
}

pub struct Reversal;

impl Reversal {
    /// A draft credit note copying the invoice's lines.
    fn credit_note(env: &mut Env, w: i64, inv: i64) -> Result<i64, Fault> {
        let wiz = rec(env, "account.move.reversal", w);
        let mv = rec(env, AM, inv);
        let name = text(&mv, "name").unwrap_or("/");
        let reason = text(&wiz, "reason");
        let r = match reason {
            Some(r) => format!("Reversal of: {name}, {r}"),
            None => format!("Reversal of: {name}"),
        };
        let lines: Vec<Value> = product_lines(env, inv)
            .into_iter()
            .map(|l| {
                let line = rec(env, AML, l);
                json!([0, 0, {"product_id": m2o(&line, "product_id"), "name": text(&line, "name").unwrap_or(""),
                    "quantity": num(&line, "quantity"), "price_unit": num(&line, "price_unit"),
                    "discount": num(&line, "discount"), "tax_ids": [[6, 0, id_list(&line, "tax_ids")]],
                    "sale_line_ids": [[6, 0, id_list(&line, "sale_line_ids")]]}])
            })
            .collect();
        let date = text(&wiz, "date")
            .map(str::to_string)
            .unwrap_or_else(|| today(env));
        let cn = crate::models::util::create(
            env,
            AM,
            vals(
                json!({"move_type": "out_refund", "partner_id": m2o(&mv, "partner_id"),
                "partner_shipping_id": m2o(&mv, "partner_shipping_id"),
                "invoice_origin": text(&mv, "invoice_origin"), "ref": r, "reversed_entry_id": inv,
                "invoice_date": date, "invoice_date_due": date,
                "journal_id": m2o(&wiz, "journal_id").or(m2o(&mv, "journal_id")),
                "invoice_payment_term_id": m2o(&mv, "invoice_payment_term_id"),
                "invoice_user_id": m2o(&mv, "invoice_user_id"), "line_ids": lines}),
            ),
        )?;
        if env.version == OdooVersion::V16 {
            // 16 numbers the credit note at once, while still draft
            let n = next_name(env, cn);
            touch(env, AM, cn, json!({"name": n}));
        } else {
            // 17+ rewrite the reversed invoice with its new credit note
            // (recorded h `feed.account.move.*`: the paid invoice's
            // write_date is its draft credit note's second, 17 00:55:35,
            // 19 01:00:22)
            touch(env, AM, inv, json!({}));
        }
        for so in crate::models::sale_status::orders_of_move(env, cn) {
            crate::models::sale_status::recompute(env, so, true);
        }
        Ok(cn)
    }

    /// A draft copy of the invoice (the `modify` method's new invoice).
    /// 19's copy does not keep the invoice's origin: the recorded e
    /// `modify.account.move.search_read.related` (`invoice_origin` = the
    /// order's name) finds the credit note and the invoice, not the copy,
    /// which `modify.sale.order.read` shows linked to the order.
    fn copy_invoice(env: &mut Env, inv: i64) -> Result<i64, Fault> {
        let mv = rec(env, AM, inv);
        let origin = if env.version >= OdooVersion::V19 {
            None
        } else {
            text(&mv, "invoice_origin")
        };
        let lines: Vec<Value> = product_lines(env, inv)
            .into_iter()
            .map(|l| {
                let line = rec(env, AML, l);
                json!([0, 0, {"product_id": m2o(&line, "product_id"), "name": text(&line, "name").unwrap_or(""),
                    "quantity": num(&line, "quantity"), "price_unit": num(&line, "price_unit"),
                    "discount": num(&line, "discount"), "tax_ids": [[6, 0, id_list(&line, "tax_ids")]],
                    "sale_line_ids": [[6, 0, id_list(&line, "sale_line_ids")]]}])
            })
            .collect();
        crate::models::util::create(
            env,
            AM,
            vals(
                json!({"move_type": "out_invoice", "partner_id": m2o(&mv, "partner_id"),
                "invoice_origin": origin, "ref": text(&mv, "ref"),
                "invoice_user_id": m2o(&mv, "invoice_user_id"),
                "invoice_payment_term_id": m2o(&mv, "invoice_payment_term_id"), "line_ids": lines}),
            ),
        )
    }

    fn reverse(env: &mut Env, ids: &[i64], method: &str) -> Result<Option<Value>, Fault> {
        env.check_exist("account.move.reversal", ids)?;
        let mut new_moves = Vec::new();
        let mut result_type = "out_refund";
        for w in ids {
            let wiz = rec(env, "account.move.reversal", *w);
            let method = if env.version == OdooVersion::V16 {
                text(&wiz, "refund_method").unwrap_or("refund").to_string()
            } else {
                method.to_string()
            };
            for inv in id_list(&wiz, "move_ids") {
                let cn = Self::credit_note(env, *w, inv)?;
                if method == "refund" {
                    new_moves.push(cn);
                    continue;
                }
                action_post(env, &[cn])?;
                reconcile_reversal(env, inv, cn)?;
                for so in crate::models::sale_status::orders_of_move(env, cn) {
                    crate::models::sale_status::recompute(env, so, true);
                }
                if method == "modify" {
                    let copy = Self::copy_invoice(env, inv)?;
                    // the draft copy is one of the order's invoices and counts
                    // as invoiced (recorded e `modify.sale.order.read`)
                    for so in crate::models::sale_status::orders_of_move(env, copy) {
                        crate::models::sale_status::recompute(env, so, true);
                    }
                    new_moves.push(copy);
                    result_type = "out_invoice";
                } else {
                    new_moves.push(cn);
                }
            }
            touch(
                env,
                "account.move.reversal",
                *w,
                json!({"new_move_ids": new_moves.clone()}),
            );
        }
        let mut a = vals(
            json!({"name": "Reverse Moves", "type": "ir.actions.act_window", "res_model": "account.move"}),
        );
        if new_moves.len() == 1 {
            a.insert("view_mode".into(), json!("form"));
            a.insert("res_id".into(), json!(new_moves[0]));
        } else {
            a.insert(
                "view_mode".into(),
                json!(if env.version == OdooVersion::V16 {
                    "tree,form"
                } else {
                    "list,form"
                }),
            );
            a.insert("domain".into(), json!([["id", "in", new_moves]]));
        }
        a.insert("context".into(), json!({"default_move_type": result_type}));
        Ok(Some(Value::Object(a)))
    }
}

impl Hooks for Reversal {
    fn defaults(&self, env: &mut Env, v: &mut Map<String, Value>) -> Result<(), Fault> {
        let moves = active_ids(env, "account.move");
        if !v.contains_key("move_ids") && !moves.is_empty() {
            v.insert("move_ids".into(), json!([[6, 0, moves.clone()]]));
        }
        if let Some(first) = moves.first() {
            let journal = many2one(env, AM, *first, "journal_id");
            v.entry("journal_id").or_insert(json!(journal));
            // 17+ `_compute_available_journal_ids`: the journals of the
            // moves' type (here the sales journal of the invoice)
            if let Some(j) = journal {
                v.entry("available_journal_ids")
                    .or_insert(json!([[6, 0, [j]]]));
            }
            v.entry("move_type")
                .or_insert(json!(string(env, AM, *first, "move_type")));
        }
        let residual: f64 = moves
            .iter()
            .map(|m| number(env, AM, *m, "amount_residual"))
            .sum();
        v.entry("residual").or_insert(json!(residual));
        v.entry("date").or_insert(json!(today(env)));
        if env.version == OdooVersion::V16 {
            v.entry("refund_method").or_insert(json!("refund"));
            v.entry("date_mode").or_insert(json!("custom"));
        }
        if env.exists("res.company", 1) {
            v.entry("company_id").or_insert(json!(1));
        }
        crate::models::util::retain_known(env, "account.move.reversal", v);
        Ok(())
    }

    fn methods(&self, version: OdooVersion) -> &'static [&'static str] {
        if version == OdooVersion::V16 {
            &["reverse_moves"]
        } else {
            &["reverse_moves", "refund_moves", "modify_moves"]
        }
    }

    fn call(
        &self,
        env: &mut Env,
        method: &str,
        args: &[Value],
        kwargs: &Map<String, Value>,
    ) -> Result<Option<Value>, Fault> {
        let ids = ids_arg(args.first());
        match method {
            "modify_moves" => Self::reverse(env, &ids, "modify"),
            "reverse_moves" if kwargs.get("is_modify").is_some_and(crate::orm::truthy) => {
                Self::reverse(env, &ids, "modify")
            }
            _ => Self::reverse(env, &ids, "refund"),
        }
    }
}

/// account.payment: in 16/17 it inherits the journal entry's fields.
pub struct Payment;
impl Hooks for Payment {
    fn computed(&self, field: &str) -> bool {
        field == "move_id"
    }
    fn defaults(&self, env: &mut Env, v: &mut Map<String, Value>) -> Result<(), Fault> {
        let spec = env.spec("account.payment")?;
        for (k, d) in [
            ("auto_post", json!("no")),
            ("move_type", json!("entry")),
            ("company_id", json!(1)),
        ] {
            if spec.has(k) {
                v.entry(k).or_insert(d);
            }
        }
        crate::models::util::retain_known(env, "account.payment", v);
        Ok(())
    }
}

/// 18+: `account.move.matched_payment_ids` and `account.payment.invoice_ids`
/// are the two sides of one relation (`account_move__account_payment`),
/// read in account.payment's order (`date desc, name desc`: within a day,
/// the newest payment first — the recordings show `[3, 2]`).
fn link_matched_payment(env: &mut Env, invoice: i64, payment: i64) {
    let mut matched = id_list(&rec(env, AM, invoice), "matched_payment_ids");
    if !matched.contains(&payment) {
        matched.push(payment);
    }
    matched.sort_unstable_by(|a, b| b.cmp(a));
    touch(env, AM, invoice, json!({"matched_payment_ids": matched}));
}
