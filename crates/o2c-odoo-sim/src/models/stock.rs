//! stock.picking, stock.move, stock.move.line, stock.quant, stock.warehouse
//! and stock.picking.type: defaults, display names, computed fields and the
//! public buttons (`button_validate`, `action_assign`, `action_cancel`,
//! 16's `action_set_quantities_to_reservation`, quants' `action_apply_inventory`).

use serde_json::{Map, Value, json};

use crate::OdooVersion;
use crate::fault::Fault;
use crate::orm::{Env, Record};

use super::stock_done::{button_validate, set_quantities_to_reservation};
use super::stock_ops::{
    ML, MOVE, PICK, QUANT, assign, cancel_pickings, picking_name, refresh_moves, reserved_at,
};
use super::util::{children, many2one, string, touch};
use super::{Hooks, ids_arg, m2o, num, text};

pub struct Picking;

impl Hooks for Picking {
    fn compute(&self, env: &Env, id: i64, rec: &Record, field: &str) -> Option<Value> {
        match field {
            "picking_type_code" => m2o(rec, "picking_type_id")
                .map(|t| json!(string(env, "stock.picking.type", t, "code"))),
            "products_availability" => Some(json!(match text(rec, "state") {
                Some("assigned") => "Available",
                _ => "Not Available",
            })),
            "return_count" => Some(json!(children(env, PICK, "return_id", id).len())),
            "carrier_tracking_url" | "is_return_picking" => Some(json!(false)),
            "shipping_weight" | "weight" => Some(json!(0.0)),
            _ => None,
        }
    }

    fn defaults(&self, env: &mut Env, vals: &mut Map<String, Value>) -> Result<(), Fault> {
        let ptype = vals.get("picking_type_id").and_then(Value::as_i64);
        if let Some(t) = ptype {
            for (from, to) in [
                ("default_location_src_id", "location_id"),
                ("default_location_dest_id", "location_dest_id"),
            ] {
                if let Some(l) = many2one(env, "stock.picking.type", t, from) {
                    vals.entry(to).or_insert(json!(l));
                }
            }
            let unnamed = matches!(vals.get("name"), None | Some(Value::Bool(false)))
                || vals.get("name") == Some(&json!("/"));
            if unnamed {
                vals.insert("name".into(), json!(picking_name(env, t)));
            }
        }
        vals.entry("state").or_insert(json!("draft"));
        vals.entry("move_type").or_insert(json!("direct"));
        vals.entry("priority").or_insert(json!("0"));
        vals.entry("scheduled_date")
            .or_insert(json!(env.now_display()));
        if env.exists("res.company", 1) {
            vals.entry("company_id").or_insert(json!(1));
        }
        super::util::retain_known(env, "stock.picking", vals);
        Ok(())
    }

    fn methods(&self, version: OdooVersion) -> &'static [&'static str] {
        if version == OdooVersion::V16 {
            &[
                "button_validate",
                "action_confirm",
                "action_assign",
                "action_cancel",
                "do_unreserve",
                "action_set_quantities_to_reservation",
            ]
        } else {
            &[
                "button_validate",
                "action_confirm",
                "action_assign",
                "action_cancel",
                "do_unreserve",
            ]
        }
    }

    fn call(
        &self,
        env: &mut Env,
        method: &str,
        args: &[Value],
        _kwargs: &Map<String, Value>,
    ) -> Result<Option<Value>, Fault> {
        let ids = ids_arg(args.first());
        env.check_exist(PICK, &ids)?;
        match method {
            "button_validate" => button_validate(env, &ids),
            "action_set_quantities_to_reservation" => {
                set_quantities_to_reservation(env, &ids)?;
                Ok(None)
            }
            "action_confirm" => {
                let mut moves = Vec::new();
                for p in &ids {
                    for m in children(env, MOVE, "picking_id", *p) {
                        if string(env, MOVE, m, "state") == "draft" {
                            touch(env, MOVE, m, json!({"state": "confirmed"}));
                        }
                        moves.push(m);
                    }
                }
                refresh_moves(env, &moves);
                assign(env, &ids)?;
                Ok(Some(json!(true)))
            }
            "action_assign" => {
                assign(env, &ids)?;
                Ok(Some(json!(true)))
            }
            "do_unreserve" => {
                let mut moves = Vec::new();
                for p in &ids {
                    for m in children(env, MOVE, "picking_id", *p) {
                        for l in children(env, ML, "move_id", m) {
                            if string(env, ML, l, "state") != "done" {
                                env.remove_raw(ML, l);
                            }
                        }
                        moves.push(m);
                    }
                }
                refresh_moves(env, &moves);
                Ok(Some(json!(true)))
            }
            "action_cancel" => {
                cancel_pickings(env, &ids)?;
                let moves: Vec<i64> = ids
                    .iter()
                    .flat_map(|p| children(env, MOVE, "picking_id", *p))
                    .collect();
                for so in super::sale_status::orders_of_moves(env, &moves) {
                    super::sale_status::recompute(env, so, true);
                }
                Ok(Some(json!(true)))
            }
            other => Err(Fault::unknown_method(PICK, other)),
        }
    }
}

pub struct Move;

impl Hooks for Move {
    /// stock/models/stock_move.py `name_get`: `origin/code: Src>Dest`.
    fn display_name(&self, env: &Env, _id: i64, rec: &Record) -> Option<String> {
        let origin = m2o(rec, "picking_id")
            .map(|p| string(env, PICK, p, "origin"))
            .filter(|o| !o.is_empty())
            .map(|o| format!("{o}/"))
            .unwrap_or_default();
        let code = m2o(rec, "product_id")
            .map(|p| string(env, "product.product", p, "default_code"))
            .filter(|c| !c.is_empty())
            .map(|c| format!("{c}: "))
            .unwrap_or_default();
        let loc = |f: &str| {
            m2o(rec, f)
                .map(|l| string(env, "stock.location", l, "name"))
                .unwrap_or_default()
        };
        Some(format!(
            "{origin}{code}{}>{}",
            loc("location_id"),
            loc("location_dest_id")
        ))
    }

    fn defaults(&self, env: &mut Env, vals: &mut Map<String, Value>) -> Result<(), Fault> {
        if let Some(p) = vals.get("product_id").and_then(Value::as_i64) {
            vals.entry("name")
                .or_insert(json!(env.display_name("product.product", p)));
            if let Some(u) = many2one(env, "product.product", p, "uom_id") {
                vals.entry("product_uom").or_insert(json!(u));
            }
        }
        if let Some(p) = vals.get("picking_id").and_then(Value::as_i64) {
            for f in [
                "location_id",
                "location_dest_id",
                "picking_type_id",
                "partner_id",
            ] {
                if let Some(v) = many2one(env, PICK, p, f) {
                    vals.entry(f).or_insert(json!(v));
                }
            }
        }
        vals.entry("state").or_insert(json!("draft"));
        vals.entry("procure_method")
            .or_insert(json!("make_to_stock"));
        vals.entry("date").or_insert(json!(env.now_display()));
        if env.exists("res.company", 1) {
            vals.entry("company_id").or_insert(json!(1));
        }
        super::util::retain_known(env, "stock.move", vals);
        Ok(())
    }
}

pub struct MoveLine;

impl MoveLine {
    fn moves_of(env: &Env, ids: &[i64]) -> Vec<i64> {
        let mut m: Vec<i64> = ids
            .iter()
            .filter_map(|l| many2one(env, ML, *l, "move_id"))
            .collect();
        m.sort_unstable();
        m.dedup();
        m
    }
}

impl Hooks for MoveLine {
    fn defaults(&self, env: &mut Env, vals: &mut Map<String, Value>) -> Result<(), Fault> {
        if let Some(m) = vals.get("move_id").and_then(Value::as_i64) {
            for (from, to) in [
                ("product_id", "product_id"),
                ("product_uom", "product_uom_id"),
                ("location_id", "location_id"),
                ("location_dest_id", "location_dest_id"),
                ("picking_id", "picking_id"),
                ("company_id", "company_id"),
            ] {
                if let Some(v) = many2one(env, MOVE, m, from) {
                    vals.entry(to).or_insert(json!(v));
                }
            }
        }
        vals.entry("date").or_insert(json!(env.now_display()));
        if env.version == OdooVersion::V16 {
            vals.entry("reserved_uom_qty").or_insert(json!(0.0));
        }
        super::util::retain_known(env, "stock.move.line", vals);
        Ok(())
    }

    fn after_create(&self, env: &mut Env, id: i64) -> Result<(), Fault> {
        let moves = Self::moves_of(env, &[id]);
        refresh_moves(env, &moves);
        Ok(())
    }

    fn after_write(&self, env: &mut Env, ids: &[i64], _fields: &[String]) -> Result<(), Fault> {
        let moves = Self::moves_of(env, ids);
        refresh_moves(env, &moves);
        if env.version >= OdooVersion::V19 {
            // 19: a move line write bumps its picking's write_date
            let mut picks: Vec<i64> = ids
                .iter()
                .filter_map(|l| many2one(env, ML, *l, "picking_id"))
                .collect();
            picks.dedup();
            for p in picks {
                touch(env, PICK, p, json!({}));
            }
        }
        Ok(())
    }
}

pub struct Quant;

impl Hooks for Quant {
    fn compute(&self, env: &Env, _id: i64, rec: &Record, field: &str) -> Option<Value> {
        let (p, l) = (m2o(rec, "product_id")?, m2o(rec, "location_id")?);
        match field {
            "reserved_quantity" => Some(json!(reserved_at(env, p, l))),
            "available_quantity" => Some(json!(num(rec, "quantity") - reserved_at(env, p, l))),
            "warehouse_id" => many2one(env, "stock.location", l, "warehouse_id").map(|w| json!(w)),
            _ => None,
        }
    }

    fn defaults(&self, env: &mut Env, vals: &mut Map<String, Value>) -> Result<(), Fault> {
        vals.entry("quantity").or_insert(json!(0.0));
        vals.entry("in_date").or_insert(json!(env.now_display()));
        if vals.contains_key("inventory_quantity") {
            vals.insert("inventory_quantity_set".into(), json!(true));
        }
        if env.exists("res.company", 1) {
            vals.entry("company_id").or_insert(json!(1));
        }
        super::util::retain_known(env, "stock.quant", vals);
        Ok(())
    }

    fn computed(&self, field: &str) -> bool {
        field == "reserved_quantity"
    }

    fn methods(&self, _version: OdooVersion) -> &'static [&'static str] {
        &["action_apply_inventory"]
    }

    fn call(
        &self,
        env: &mut Env,
        method: &str,
        args: &[Value],
        _kwargs: &Map<String, Value>,
    ) -> Result<Option<Value>, Fault> {
        let ids = ids_arg(args.first());
        env.check_exist(QUANT, &ids)?;
        if method != "action_apply_inventory" {
            return Err(Fault::unknown_method(QUANT, method));
        }
        for q in ids {
            let target = super::util::number(env, QUANT, q, "inventory_quantity");
            touch(
                env,
                QUANT,
                q,
                json!({"quantity": target, "inventory_quantity": 0.0, "inventory_quantity_set": false}),
            );
        }
        // returns None: no `result` key on the wire
        Ok(None)
    }
}

/// stock.picking.type: `Warehouse: Name`.
pub struct PickingType;
impl Hooks for PickingType {
    fn display_name(&self, env: &Env, _id: i64, rec: &Record) -> Option<String> {
        let name = text(rec, "name").unwrap_or_default();
        Some(match m2o(rec, "warehouse_id") {
            Some(w) => format!("{}: {name}", env.display_name("stock.warehouse", w)),
            None => name.to_string(),
        })
    }
}
