//! Validation of pickings: `button_validate` with its wizard hooks
//! (stock/models/stock_picking.py `button_validate`, `_pre_action_done_hook`,
//! `_check_immediate` (16), `_check_backorder`; stock_sms `_check_warn_sms`)
//! and `_action_done` with backorders (`_create_backorder`), quants updated.

use serde_json::{Map, Value, json};

use crate::OdooVersion;
use crate::fault::Fault;
use crate::orm::Env;

use super::stock_ops::{
    ML, MOVE, PICK, assign, ml_done, ml_reserved, move_factor, move_product_qty, move_quant,
    picking_name, refresh_moves,
};
use super::util::{children, ctx_flag, ctx_ids, is_zero, many2one, rec, string, touch, vals};
use super::{m2o, num, text};

fn open(env: &Env, model: &str, id: i64) -> bool {
    let s = string(env, model, id, "state");
    s != "done" && s != "cancel"
}

fn open_moves(env: &Env, p: i64) -> Vec<i64> {
    children(env, MOVE, "picking_id", p)
        .into_iter()
        .filter(|m| open(env, MOVE, *m))
        .collect()
}

/// Done quantity of a move, in the move's unit (lines count in the product's).
fn move_done(env: &Env, m: i64) -> f64 {
    children(env, ML, "move_id", m)
        .iter()
        .map(|l| ml_done(env, *l))
        .sum::<f64>()
        * move_factor(env, m)
}

/// Reserved quantity of a move, in the move's unit.
fn move_reserved(env: &Env, m: i64) -> f64 {
    children(env, ML, "move_id", m)
        .iter()
        .map(|l| ml_reserved(env, *l))
        .sum::<f64>()
        * move_factor(env, m)
}

fn wizard_ctx(env: &Env, ids: &[i64], picks: &[i64]) -> Map<String, Value> {
    let mut c = env.context.clone();
    c.insert("button_validate_picking_ids".into(), json!(ids));
    c.insert("default_show_transfers".into(), json!(false));
    c.insert(
        "default_pick_ids".into(),
        json!(picks.iter().map(|p| json!([4, p])).collect::<Vec<_>>()),
    );
    c
}

fn action(
    env: &Env,
    name: &str,
    model: &str,
    res_id: Option<i64>,
    ctx: Map<String, Value>,
) -> Value {
    let view = super::views::wizard_form(env.version, model);
    let mut a = super::util::vals(json!({
        "name": name,
        "type": "ir.actions.act_window",
        "view_mode": "form",
        "res_model": model,
        "views": [[view, "form"]],
        "view_id": view,
        "target": "new",
    }));
    if let Some(r) = res_id {
        a.insert("res_id".into(), json!(r));
    }
    a.insert("context".into(), Value::Object(ctx));
    Value::Object(a)
}

/// `stock.picking.button_validate`: like Odoo, the pickings being validated
/// ride along in the context (`button_validate_picking_ids`) so that every
/// wizard can resume them.
pub fn button_validate(env: &mut Env, ids: &[i64]) -> Result<Option<Value>, Fault> {
    env.check_exist(PICK, ids)?;
    if !env.context.contains_key("button_validate_picking_ids") {
        let extra = vals(json!({"button_validate_picking_ids": ids}));
        return super::util::with_ctx(env, extra, |env| validate_in_ctx(env, ids));
    }
    validate_in_ctx(env, ids)
}

fn validate_in_ctx(env: &mut Env, ids: &[i64]) -> Result<Option<Value>, Fault> {
    let mut todo: Vec<i64> = ids.to_vec();
    if env.version >= OdooVersion::V19 {
        // 19 skips pickings already done and answers true
        todo.retain(|p| open(env, PICK, *p));
        if todo.is_empty() {
            return Ok(Some(json!(true)));
        }
    }
    // pickings without any quantity: the (misleading) error of each version
    for p in &todo {
        let moves = open_moves(env, *p);
        let any = moves
            .iter()
            .any(|m| !is_zero(move_done(env, *m)) || !is_zero(move_reserved(env, *m)));
        if !any {
            return Err(Fault::user(if env.version == OdooVersion::V16 {
                "You cannot validate a transfer if no quantities are reserved nor done. To force the transfer, switch in edit mode and encode the done quantities."
            } else {
                "You cannot validate a transfer if no quantities are reserved. To force the transfer, encode quantities."
            }));
        }
    }
    if env.version == OdooVersion::V16 {
        if !ctx_flag(env, "skip_immediate") {
            let immediate: Vec<i64> = todo
                .iter()
                .copied()
                .filter(|p| {
                    open_moves(env, *p)
                        .iter()
                        .all(|m| is_zero(move_done(env, *m)))
                })
                .collect();
            if !immediate.is_empty() {
                return Ok(Some(action(
                    env,
                    "Immediate Transfer?",
                    "stock.immediate.transfer",
                    None,
                    wizard_ctx(env, ids, &immediate),
                )));
            }
        }
    } else {
        // 17+ `_pre_action_done_hook`: nothing picked -> pick everything reserved
        for p in &todo {
            let moves = open_moves(env, *p);
            let picked = moves
                .iter()
                .any(|m| env.record(MOVE, *m).and_then(|r| r.get("picked")) == Some(&json!(true)));
            if !picked {
                for m in &moves {
                    for l in children(env, ML, "move_id", *m) {
                        super::util::put(env, ML, l, json!({"picked": true}));
                    }
                }
                refresh_moves(env, &moves);
            }
        }
    }
    if !ctx_flag(env, "skip_backorder") {
        let short: Vec<i64> = todo
            .iter()
            .copied()
            .filter(|p| {
                open_moves(env, *p).iter().any(|m| {
                    move_done(env, *m) + 0.005
                        < super::util::number(env, MOVE, *m, "product_uom_qty")
                })
            })
            .collect();
        if !short.is_empty() {
            return Ok(Some(action(
                env,
                "Create Backorder?",
                "stock.backorder.confirmation",
                None,
                wizard_ctx(env, ids, &short),
            )));
        }
    }
    if !ctx_flag(env, "skip_sms") {
        let warn: Vec<i64> = todo.iter().copied().filter(|p| warn_sms(env, *p)).collect();
        if let Some(first) = warn.first() {
            let company = many2one(env, PICK, *first, "company_id");
            let wiz = crate::models::util::create(
                env,
                "confirm.stock.sms",
                vals(json!({"picking_id": first, "company_id": company})),
            )?;
            return Ok(Some(action(
                env,
                "SMS",
                "confirm.stock.sms",
                Some(wiz),
                env.context.clone(),
            )));
        }
    }
    action_done(env, &todo)?;
    Ok(Some(json!(true)))
}

/// stock_sms `_check_warn_sms`: a delivery to a partner with a phone while
/// the company still asks.
fn warn_sms(env: &Env, p: i64) -> bool {
    let pick = rec(env, PICK, p);
    let Some(company) = m2o(&pick, "company_id") else {
        return false;
    };
    let c = rec(env, "res.company", company);
    let outgoing = m2o(&pick, "picking_type_id")
        .map(|t| string(env, "stock.picking.type", t, "code") == "outgoing")
        .unwrap_or(false);
    let phone = m2o(&pick, "partner_id")
        .and_then(|pa| env.record("res.partner", pa))
        .is_some_and(|r| text(r, "phone").is_some() || text(r, "mobile").is_some());
    outgoing
        && phone
        && c.get("stock_move_sms_validation") == Some(&json!(true))
        && c.get("has_received_warning_stock_sms") != Some(&json!(true))
}

/// `_action_done`: moves done with their done quantities, the rest to a
/// backorder (or cancelled for `picking_ids_not_to_backorder`).
pub fn action_done(env: &mut Env, pickings: &[i64]) -> Result<(), Fault> {
    let no_backorder = ctx_ids(env, "picking_ids_not_to_backorder");
    let cancel_all = ctx_flag(env, "cancel_backorder");
    let mut touched_moves = Vec::new();
    for p in pickings {
        let cancel_rest = cancel_all || no_backorder.contains(p);
        let mut rest: Vec<i64> = Vec::new();
        for m in open_moves(env, *p) {
            let done = move_done(env, m);
            let demand = super::util::number(env, MOVE, m, "product_uom_qty");
            let lines = children(env, ML, "move_id", m);
            // drop the reservation of lines with nothing done
            for l in &lines {
                if is_zero(ml_done(env, *l)) {
                    env.remove_raw(ML, *l);
                }
            }
            if is_zero(done) {
                if cancel_rest {
                    touch(env, MOVE, m, json!({"state": "cancel"}));
                } else {
                    touch(env, MOVE, m, json!({"state": "confirmed"}));
                    rest.push(m);
                }
                touched_moves.push(m);
                continue;
            }
            if done + 0.005 < demand {
                let mut copy = rec(env, MOVE, m);
                for k in [
                    "id",
                    "create_date",
                    "write_date",
                    "quantity",
                    "quantity_done",
                    "reserved_availability",
                    "forecast_availability",
                    "picked",
                ] {
                    copy.remove(k);
                }
                copy.insert("product_uom_qty".into(), json!(demand - done));
                copy.insert(
                    "state".into(),
                    json!(if cancel_rest { "cancel" } else { "confirmed" }),
                );
                let new = crate::models::util::create(env, MOVE, copy)?;
                let rest_product = move_product_qty(env, new)?;
                super::util::put(env, MOVE, new, json!({"product_qty": rest_product}));
                if !cancel_rest {
                    rest.push(new);
                }
                touched_moves.push(new);
            }
            for l in children(env, ML, "move_id", m) {
                let q = ml_done(env, l);
                let line = rec(env, ML, l);
                if let (Some(prod), Some(src), Some(dst)) = (
                    m2o(&line, "product_id"),
                    m2o(&line, "location_id"),
                    m2o(&line, "location_dest_id"),
                ) {
                    move_quant(env, prod, src, -q)?;
                    move_quant(env, prod, dst, q)?;
                }
                let mut v = json!({"state": "done", "date": env.now_display()});
                if env.version == OdooVersion::V16 {
                    v["reserved_uom_qty"] = json!(0.0);
                }
                touch(env, ML, l, v);
            }
            touch(
                env,
                MOVE,
                m,
                json!({"state": "done", "product_uom_qty": done, "date": env.now_display()}),
            );
            let done_product = move_product_qty(env, m)?;
            super::util::put(env, MOVE, m, json!({"product_qty": done_product}));
            touched_moves.push(m);
        }
        refresh_moves(env, &touched_moves);
        touch(
            env,
            PICK,
            *p,
            json!({"state": "done", "date_done": env.now_display()}),
        );
        if !rest.is_empty() {
            let bo = create_backorder(env, *p)?;
            for m in &rest {
                touch(env, MOVE, *m, json!({"picking_id": bo}));
            }
            refresh_moves(env, &rest);
            assign(env, &[bo])?;
        }
    }
    for so in super::sale_status::orders_of_moves(env, &touched_moves) {
        super::sale_status::recompute(env, so, true);
    }
    Ok(())
}

fn create_backorder(env: &mut Env, p: i64) -> Result<i64, Fault> {
    let mut copy = rec(env, PICK, p);
    for k in [
        "id",
        "create_date",
        "write_date",
        "date_done",
        "carrier_tracking_ref",
        "name",
    ] {
        copy.remove(k);
    }
    let ptype = m2o(&copy, "picking_type_id").unwrap_or(0);
    copy.insert("name".into(), json!(picking_name(env, ptype)));
    copy.insert("backorder_id".into(), json!(p));
    copy.insert("state".into(), json!("confirmed"));
    crate::models::util::create(env, PICK, copy)
}

/// 16 `action_set_quantities_to_reservation`: done := reserved.
pub fn set_quantities_to_reservation(env: &mut Env, ids: &[i64]) -> Result<(), Fault> {
    env.check_exist(PICK, ids)?;
    let mut moves = Vec::new();
    for p in ids {
        for m in open_moves(env, *p) {
            for l in children(env, ML, "move_id", m) {
                let r = ml_reserved(env, l);
                if is_zero(num(&rec(env, ML, l), "qty_done")) {
                    super::util::put(env, ML, l, json!({"qty_done": r}));
                }
            }
            moves.push(m);
        }
    }
    refresh_moves(env, &moves);
    Ok(())
}

/// Validates `button_validate_picking_ids` of the context again, with
/// `extra` context (what every stock wizard does at the end).
pub fn revalidate(env: &mut Env, extra: Value) -> Result<Option<Value>, Fault> {
    let ids = ctx_ids(env, "button_validate_picking_ids");
    if ids.is_empty() {
        return Ok(Some(json!(true)));
    }
    super::util::with_ctx(env, vals(extra), |env| button_validate(env, &ids))
}
