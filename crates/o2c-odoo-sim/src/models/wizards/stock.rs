//! Stock wizards: `stock.backorder.confirmation` and 16's
//! `stock.immediate.transfer` (stock/wizard/*.py: lines built by
//! `default_get` from `default_pick_ids`, `process` only acting with
//! `button_validate_picking_ids` in the context), `confirm.stock.sms`
//! (stock_sms/wizard/confirm_stock_sms.py) and `stock.return.picking`
//! (stock/wizard/stock_picking_return.py of each version).

use serde_json::{Map, Value, json};

use crate::OdooVersion;
use crate::fault::Fault;
use crate::orm::{Env, Record};

use crate::models::stock_done::{revalidate, set_quantities_to_reservation};
use crate::models::stock_ops::{MOVE, PICK, assign, picking_name, refresh_moves};
use crate::models::util::{
    children, command_ids, ctx_ids, id_list, is_zero, many2one, number, rec, string, touch, vals,
};
use crate::models::{Hooks, ids_arg, m2o, num};

/// The pickings of a backorder/immediate wizard: `default_pick_ids` of the context.
fn default_picks(env: &Env, vals: &mut Map<String, Value>) {
    if !vals.contains_key("pick_ids") && env.context.contains_key("default_pick_ids") {
        let ids = command_ids(env.context.get("default_pick_ids"));
        vals.insert("pick_ids".into(), json!([[6, 0, ids]]));
        if let Some(s) = env.context.get("default_show_transfers") {
            vals.entry("show_transfers").or_insert(s.clone());
        }
    }
}

pub struct Backorder;

impl Hooks for Backorder {
    fn defaults(&self, env: &mut Env, vals: &mut Map<String, Value>) -> Result<(), Fault> {
        default_picks(env, vals);
        crate::models::util::retain_known(env, "stock.backorder.confirmation", vals);
        Ok(())
    }

    fn after_create(&self, env: &mut Env, id: i64) -> Result<(), Fault> {
        if env.context.contains_key("default_pick_ids") {
            for p in id_list(&rec(env, "stock.backorder.confirmation", id), "pick_ids") {
                crate::models::util::create(
                    env,
                    "stock.backorder.confirmation.line",
                    vals(
                        json!({"backorder_confirmation_id": id, "picking_id": p, "to_backorder": true}),
                    ),
                )?;
            }
        }
        Ok(())
    }

    fn methods(&self, _version: OdooVersion) -> &'static [&'static str] {
        &["process", "process_cancel_backorder"]
    }

    fn call(
        &self,
        env: &mut Env,
        method: &str,
        args: &[Value],
        _kwargs: &Map<String, Value>,
    ) -> Result<Option<Value>, Fault> {
        let ids = ids_arg(args.first());
        env.check_exist("stock.backorder.confirmation", &ids)?;
        let mut not_to_do = Vec::new();
        let mut picks = Vec::new();
        for w in &ids {
            picks.extend(id_list(
                &rec(env, "stock.backorder.confirmation", *w),
                "pick_ids",
            ));
            for l in children(
                env,
                "stock.backorder.confirmation.line",
                "backorder_confirmation_id",
                *w,
            ) {
                let line = rec(env, "stock.backorder.confirmation.line", l);
                if line.get("to_backorder") != Some(&json!(true))
                    && let Some(p) = m2o(&line, "picking_id")
                {
                    not_to_do.push(p);
                }
            }
        }
        if ctx_ids(env, "button_validate_picking_ids").is_empty() {
            // the silent trap: without the action's context nothing happens
            return Ok(Some(json!(true)));
        }
        match method {
            "process" if not_to_do.is_empty() => revalidate(env, json!({"skip_backorder": true})),
            "process" => revalidate(
                env,
                json!({"skip_backorder": true, "picking_ids_not_to_backorder": not_to_do}),
            ),
            "process_cancel_backorder" => revalidate(
                env,
                json!({"skip_backorder": true, "picking_ids_not_to_backorder": picks}),
            ),
            other => Err(Fault::unknown_method("stock.backorder.confirmation", other)),
        }
    }
}

/// 16 only: `stock.immediate.transfer`.
pub struct Immediate;

impl Hooks for Immediate {
    fn defaults(&self, env: &mut Env, vals: &mut Map<String, Value>) -> Result<(), Fault> {
        default_picks(env, vals);
        crate::models::util::retain_known(env, "stock.immediate.transfer", vals);
        Ok(())
    }

    fn after_create(&self, env: &mut Env, id: i64) -> Result<(), Fault> {
        if env.context.contains_key("default_pick_ids") {
            for p in id_list(&rec(env, "stock.immediate.transfer", id), "pick_ids") {
                crate::models::util::create(
                    env,
                    "stock.immediate.transfer.line",
                    vals(
                        json!({"immediate_transfer_id": id, "picking_id": p, "to_immediate": true}),
                    ),
                )?;
            }
        }
        Ok(())
    }

    fn methods(&self, _version: OdooVersion) -> &'static [&'static str] {
        &["process"]
    }

    fn call(
        &self,
        env: &mut Env,
        _method: &str,
        args: &[Value],
        _kwargs: &Map<String, Value>,
    ) -> Result<Option<Value>, Fault> {
        let ids = ids_arg(args.first());
        env.check_exist("stock.immediate.transfer", &ids)?;
        let mut todo = Vec::new();
        let mut not_todo = Vec::new();
        for w in &ids {
            for l in children(
                env,
                "stock.immediate.transfer.line",
                "immediate_transfer_id",
                *w,
            ) {
                let line = rec(env, "stock.immediate.transfer.line", l);
                if let Some(p) = m2o(&line, "picking_id") {
                    if line.get("to_immediate") == Some(&json!(true)) {
                        todo.push(p);
                    } else {
                        not_todo.push(p);
                    }
                }
            }
        }
        for p in &todo {
            assign(env, &[*p])?;
            if string(env, PICK, *p, "state") != "assigned" {
                return Err(Fault::user(
                    "Could not reserve all requested products. Please use the 'Mark as Todo' button to handle the reservation manually.",
                ));
            }
            set_quantities_to_reservation(env, &[*p])?;
        }
        let targets: Vec<i64> = ctx_ids(env, "button_validate_picking_ids")
            .into_iter()
            .filter(|p| !not_todo.contains(p))
            .collect();
        if targets.is_empty() {
            return Ok(Some(json!(true)));
        }
        let mut extra = vals(json!({"skip_immediate": true}));
        extra.insert("button_validate_picking_ids".into(), json!(targets));
        crate::models::util::with_ctx(env, extra, |env| revalidate(env, json!({})))
    }
}

/// `confirm.stock.sms`: both buttons stop the warning, `dont_send_sms` also
/// switches SMS-on-delivery off for the company; then validation resumes.
pub struct ConfirmSms;

impl Hooks for ConfirmSms {
    fn methods(&self, _version: OdooVersion) -> &'static [&'static str] {
        &["send_sms", "dont_send_sms"]
    }

    fn call(
        &self,
        env: &mut Env,
        method: &str,
        args: &[Value],
        _kwargs: &Map<String, Value>,
    ) -> Result<Option<Value>, Fault> {
        let ids = ids_arg(args.first());
        env.check_exist("confirm.stock.sms", &ids)?;
        for w in &ids {
            if let Some(c) = many2one(env, "confirm.stock.sms", *w, "company_id") {
                let v = if method == "dont_send_sms" {
                    json!({"has_received_warning_stock_sms": true, "stock_move_sms_validation": false})
                } else {
                    json!({"has_received_warning_stock_sms": true})
                };
                touch(env, "res.company", c, v);
            }
        }
        revalidate(env, json!({"skip_sms": true}))
    }
}

pub struct ReturnPicking;

impl ReturnPicking {
    /// Lines for the picking's done moves: 16 via onchange only, 17 with
    /// the delivered quantity, 18+ with 0 and `move_quantity`.
    fn line_values(env: &Env, picking: i64) -> Vec<Map<String, Value>> {
        let mut out = Vec::new();
        for m in children(env, MOVE, "picking_id", picking) {
            let mv = rec(env, MOVE, m);
            if string(env, MOVE, m, "state") != "done" {
                continue;
            }
            let delivered = crate::models::sale_status::move_qty(env, m);
            let returned: f64 = children(env, MOVE, "origin_returned_move_id", m)
                .iter()
                .filter(|r| string(env, MOVE, **r, "state") != "cancel")
                .map(|r| number(env, MOVE, *r, "product_uom_qty"))
                .sum();
            let left = (delivered - returned).max(0.0);
            let mut v = vals(json!({
                "product_id": m2o(&mv, "product_id"),
                "move_id": m,
                "uom_id": m2o(&mv, "product_uom"),
                "to_refund": true,
                "quantity": if env.version >= OdooVersion::V18 { 0.0 } else { left },
            }));
            if env.version >= OdooVersion::V18 {
                v.insert("move_quantity".into(), json!(left));
            }
            out.push(v);
        }
        out
    }

    fn create_returns(env: &mut Env, wizard: i64) -> Result<Value, Fault> {
        let w = rec(env, "stock.return.picking", wizard);
        let Some(orig) = m2o(&w, "picking_id") else {
            return Err(Fault::user(
                "Please specify at least one non-zero quantity.",
            ));
        };
        let lines: Vec<Record> = children(env, "stock.return.picking.line", "wizard_id", wizard)
            .into_iter()
            .map(|l| rec(env, "stock.return.picking.line", l))
            .filter(|l| !is_zero(num(l, "quantity")))
            .collect();
        if lines.is_empty() {
            return Err(Fault::user(
                "Please specify at least one non-zero quantity.",
            ));
        }
        let op = rec(env, PICK, orig);
        let orig_type = m2o(&op, "picking_type_id").unwrap_or(0);
        let rtype = many2one(
            env,
            "stock.picking.type",
            orig_type,
            "return_picking_type_id",
        )
        .unwrap_or(orig_type);
        let dest = m2o(&w, "location_id").or(m2o(&op, "location_id"));
        let name = picking_name(env, rtype);
        let mut pv = vals(json!({
            "name": name,
            "origin": format!("Return of {}", string(env, PICK, orig, "name")),
            "partner_id": m2o(&op, "partner_id"),
            "picking_type_id": rtype,
            "location_id": m2o(&op, "location_dest_id"),
            "location_dest_id": dest,
            "sale_id": m2o(&op, "sale_id"),
            "company_id": m2o(&op, "company_id"),
            "move_type": "direct",
            "state": "draft",
        }));
        if env.version <= OdooVersion::V18
            && let Some(g) = m2o(&op, "group_id")
        {
            pv.insert("group_id".into(), json!(g));
        }
        if env.version >= OdooVersion::V17 {
            pv.insert("return_id".into(), json!(orig));
        }
        let new = crate::models::util::create(env, PICK, pv)?;
        for l in lines {
            let Some(src_move) = m2o(&l, "move_id") else {
                continue;
            };
            let sm = rec(env, MOVE, src_move);
            let q = num(&l, "quantity");
            let to_refund = l.get("to_refund") == Some(&json!(true));
            // product units in one unit of the returned move
            let ratio = 1.0 / crate::models::stock_ops::move_factor(env, src_move);
            crate::models::util::create(
                env,
                MOVE,
                vals(json!({
                    "name": sm.get("name").cloned().unwrap_or(json!(false)),
                    "product_id": m2o(&l, "product_id").or(m2o(&sm, "product_id")),
                    "product_uom_qty": q,
                    "product_qty": q * ratio,
                    "product_uom": m2o(&sm, "product_uom"),
                    "picking_id": new,
                    "location_id": m2o(&op, "location_dest_id"),
                    "location_dest_id": dest,
                    "origin_returned_move_id": src_move,
                    "to_refund": to_refund,
                    "sale_line_id": m2o(&sm, "sale_line_id"),
                    "warehouse_id": m2o(&sm, "warehouse_id"),
                    "picking_type_id": rtype,
                    "partner_id": m2o(&op, "partner_id"),
                    "state": "confirmed",
                    "procure_method": "make_to_stock",
                })),
            )?;
        }
        refresh_moves(env, &children(env, MOVE, "picking_id", new));
        assign(env, &[new])?;
        if let Some(so) = m2o(&op, "sale_id") {
            crate::models::sale_status::recompute(env, so, true);
        }
        let ctx = env.context.clone();
        Ok(if env.version <= OdooVersion::V17 {
            let mut c = ctx;
            c.insert("default_partner_id".into(), json!(m2o(&op, "partner_id")));
            c.insert("search_default_picking_type_id".into(), json!(rtype));
            for k in [
                "search_default_draft",
                "search_default_assigned",
                "search_default_confirmed",
                "search_default_ready",
                "search_default_planning_issues",
                "search_default_available",
            ] {
                c.insert(k.into(), json!(false));
            }
            json!({"name": "Returned Picking", "view_mode": "form,tree,calendar", "res_model": "stock.picking",
                   "res_id": new, "type": "ir.actions.act_window", "context": c})
        } else {
            json!({"name": "Returned Picking", "view_mode": "form", "res_model": "stock.picking",
                   "res_id": new, "type": "ir.actions.act_window", "context": ctx})
        })
    }

    /// 16's public `onchange(values, 'picking_id', spec)`: what the form fills.
    fn onchange(env: &Env, args: &[Value]) -> Result<Value, Fault> {
        let values = args
            .get(1)
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let picking = values
            .get("picking_id")
            .and_then(Value::as_i64)
            .or_else(|| ctx_ids(env, "active_id").first().copied());
        let Some(p) = picking.filter(|p| env.exists(PICK, *p)) else {
            return Ok(json!({"value": {}}));
        };
        let pair = |model: &str, id: Option<i64>| match id {
            Some(i) => json!([i, env.display_name(model, i)]),
            None => json!(false),
        };
        let mut cmds = vec![json!([5, 0, 0])];
        for l in Self::line_values(env, p) {
            let get = |k: &str| l.get(k).and_then(Value::as_i64);
            cmds.push(json!([0, 0, {
                "product_id": pair("product.product", get("product_id")),
                "quantity": l.get("quantity").cloned().unwrap_or(json!(0.0)),
                "uom_id": pair("uom.uom", get("uom_id")),
                "move_id": pair("stock.move", get("move_id")),
                "to_refund": true,
            }]));
        }
        let src = many2one(env, PICK, p, "location_id");
        let parent = src.and_then(|s| many2one(env, "stock.location", s, "location_id"));
        Ok(json!({"value": {
            "product_return_moves": cmds,
            "original_location_id": pair("stock.location", src),
            "parent_location_id": pair("stock.location", parent),
            "company_id": pair("res.company", many2one(env, PICK, p, "company_id")),
            "location_id": pair("stock.location", src),
        }}))
    }
}

impl Hooks for ReturnPicking {
    fn defaults(&self, env: &mut Env, vals: &mut Map<String, Value>) -> Result<(), Fault> {
        if env.context.get("active_model") == Some(&json!("stock.picking"))
            && let Some(p) = ctx_ids(env, "active_id")
                .first()
                .or(ctx_ids(env, "active_ids").first())
        {
            vals.entry("picking_id").or_insert(json!(*p));
        }
        if env.version >= OdooVersion::V17
            && !vals.contains_key("product_return_moves")
            && let Some(p) = vals.get("picking_id").and_then(Value::as_i64)
        {
            let lines: Vec<Value> = Self::line_values(env, p)
                .into_iter()
                .map(|l| json!([0, 0, l]))
                .collect();
            vals.insert("product_return_moves".into(), json!(lines));
            if env.version == OdooVersion::V17 {
                let src = many2one(env, PICK, p, "location_id");
                vals.entry("location_id").or_insert(json!(src));
                vals.entry("original_location_id").or_insert(json!(src));
                let parent = src.and_then(|s| many2one(env, "stock.location", s, "location_id"));
                vals.entry("parent_location_id").or_insert(json!(parent));
            }
        }
        crate::models::util::retain_known(env, "stock.return.picking", vals);
        Ok(())
    }

    fn methods(&self, version: OdooVersion) -> &'static [&'static str] {
        match version {
            OdooVersion::V16 => &["create_returns", "onchange"],
            OdooVersion::V17 => &["create_returns"],
            _ => &["action_create_returns"],
        }
    }

    fn call(
        &self,
        env: &mut Env,
        method: &str,
        args: &[Value],
        _kwargs: &Map<String, Value>,
    ) -> Result<Option<Value>, Fault> {
        if method == "onchange" {
            return Self::onchange(env, args).map(Some);
        }
        let ids = ids_arg(args.first());
        env.check_exist("stock.return.picking", &ids)?;
        let mut last = json!(true);
        for w in ids {
            last = Self::create_returns(env, w)?;
        }
        Ok(Some(last))
    }
}
