//! Stock operations: reservation from `stock.quant` (stock/models/stock_move.py
//! `_action_assign`, simplified to one quant per location), move and picking
//! states (`_compute_state`), and the sale order's procurement creating one
//! delivery per warehouse (sale_stock `_action_launch_stock_rule`).
//!
//! Units: a move's `product_uom_qty` is in its own unit (the sale line's),
//! `product_qty` in the product's; quants and move lines count in the
//! product's unit (Odoo keeps a move line in the product's unit when the
//! move's unit does not divide it, stock_move.py `_prepare_move_line_vals`;
//! the sandbox always does for the lines it reserves, and reads a line a
//! client created in another unit in that unit), and the move's aggregates (`quantity`,
//! `reserved_availability`, `quantity_done`) are converted back to the
//! move's unit.

use serde_json::{Value, json};

use crate::OdooVersion;
use crate::fault::Fault;
use crate::orm::{Env, Record};

use super::util::{
    children, find, find_by, id_list, is_zero, many2one, number, rec, string, touch, vals,
};
use super::{m2o, num, text};

pub const PICK: &str = "stock.picking";
pub const MOVE: &str = "stock.move";
pub const ML: &str = "stock.move.line";
pub const QUANT: &str = "stock.quant";

fn v16(env: &Env) -> bool {
    env.version == OdooVersion::V16
}

/// Product units in one unit of a move line's `product_uom_id` (1 when the
/// line counts in its product's unit, as the lines the sandbox reserves do;
/// 12 for a line a client wrote in cases of 12).
fn line_factor(env: &Env, r: &Record) -> f64 {
    let product_uom =
        m2o(r, "product_id").and_then(|p| many2one(env, "product.product", p, "uom_id"));
    match (m2o(r, "product_uom_id"), product_uom) {
        (Some(l), Some(p)) if l != p => super::uom::ratio(env, l, p),
        _ => 1.0,
    }
}

/// Reserved quantity of a move line (16 `reserved_uom_qty`, 17+ `quantity`),
/// in the product's unit.
pub fn ml_reserved(env: &Env, id: i64) -> f64 {
    let r = rec(env, ML, id);
    let qty = if v16(env) {
        num(&r, "reserved_uom_qty")
    } else {
        num(&r, "quantity")
    };
    qty * line_factor(env, &r)
}

/// Done quantity of a move line (16 `qty_done`, 17+ `quantity` once
/// picked), in the product's unit.
pub fn ml_done(env: &Env, id: i64) -> f64 {
    let r = rec(env, ML, id);
    let qty = if v16(env) {
        num(&r, "qty_done")
    } else if r.get("picked") == Some(&json!(true)) {
        num(&r, "quantity")
    } else {
        0.0
    };
    qty * line_factor(env, &r)
}

fn active(env: &Env, model: &str, id: i64) -> bool {
    let s = string(env, model, id, "state");
    s != "done" && s != "cancel"
}

/// Whether `loc` is `parent` or below it.
pub fn is_child_of(env: &Env, loc: i64, parent: i64) -> bool {
    let mut cur = Some(loc);
    let mut guard = 0;
    while let Some(l) = cur {
        if l == parent {
            return true;
        }
        guard += 1;
        if guard > 32 {
            return false;
        }
        cur = many2one(env, "stock.location", l, "location_id");
    }
    false
}

pub fn is_internal(env: &Env, loc: i64) -> bool {
    string(env, "stock.location", loc, "usage") == "internal"
}

/// Quantity reserved on quant (product, location) by open move lines.
pub fn reserved_at(env: &Env, product: i64, location: i64) -> f64 {
    find_by(env, ML, "product_id", product, |r| {
        m2o(r, "location_id") == Some(location)
            && !matches!(text(r, "state"), Some("done") | Some("cancel"))
    })
    .into_iter()
    .map(|m| ml_reserved(env, m))
    .sum()
}

/// The quant of (product, location), created empty when missing.
pub fn quant(env: &mut Env, product: i64, location: i64) -> Result<i64, Fault> {
    let existing = find_by(env, QUANT, "product_id", product, |r| {
        m2o(r, "location_id") == Some(location)
    });
    if let Some(q) = existing.first() {
        return Ok(*q);
    }
    crate::models::util::create(
        env,
        QUANT,
        vals(json!({"product_id": product, "location_id": location, "quantity": 0.0})),
    )
}

/// Adds `delta` to the on-hand quantity of (product, location).
pub fn move_quant(env: &mut Env, product: i64, location: i64, delta: f64) -> Result<(), Fault> {
    if !is_internal(env, location) {
        return Ok(());
    }
    let q = quant(env, product, location)?;
    let qty = number(env, QUANT, q, "quantity") + delta;
    touch(env, QUANT, q, json!({"quantity": qty}));
    Ok(())
}

fn storable(env: &Env, product: i64) -> bool {
    let r = rec(env, "product.product", product);
    super::product::is_storable(env.version, &r)
}

/// Units of the move's unit in one unit of its product (1/12 for a move in
/// cases of 12): converts move-line quantities to the move's unit.
pub fn move_factor(env: &Env, m: i64) -> f64 {
    let mv = rec(env, MOVE, m);
    let product_uom =
        m2o(&mv, "product_id").and_then(|p| many2one(env, "product.product", p, "uom_id"));
    match (product_uom, m2o(&mv, "product_uom")) {
        (Some(p), Some(u)) => super::uom::ratio(env, p, u),
        _ => 1.0,
    }
}

/// The move's demand in its product's unit (`product_qty`).
pub fn move_product_qty(env: &Env, m: i64) -> Result<f64, Fault> {
    let mv = rec(env, MOVE, m);
    let Some(product) = m2o(&mv, "product_id") else {
        return Ok(num(&mv, "product_uom_qty"));
    };
    super::uom::to_product_qty(
        env,
        product,
        m2o(&mv, "product_uom"),
        num(&mv, "product_uom_qty"),
    )
}

/// Reserves what is missing on the open moves of `pickings`.
pub fn assign(env: &mut Env, pickings: &[i64]) -> Result<(), Fault> {
    let mut moves = Vec::new();
    for p in pickings {
        moves.extend(children(env, MOVE, "picking_id", *p));
    }
    for m in &moves {
        if !active(env, MOVE, *m) {
            continue;
        }
        let mv = rec(env, MOVE, *m);
        let (Some(product), Some(src)) = (m2o(&mv, "product_id"), m2o(&mv, "location_id")) else {
            continue;
        };
        // in the product's unit, as the quants count
        let demand = move_product_qty(env, *m)?;
        let held: f64 = children(env, ML, "move_id", *m)
            .iter()
            .map(|l| ml_reserved(env, *l))
            .sum();
        let mut need = demand - held;
        if need <= 0.005 {
            continue;
        }
        let mut takes: Vec<(i64, f64)> = Vec::new();
        if !is_internal(env, src) || !storable(env, product) {
            takes.push((src, need));
        } else {
            let quants = find_by(env, QUANT, "product_id", product, |_| true);
            for q in quants {
                let Some(loc) = many2one(env, QUANT, q, "location_id") else {
                    continue;
                };
                if !is_child_of(env, loc, src) || !is_internal(env, loc) {
                    continue;
                }
                let free = number(env, QUANT, q, "quantity") - reserved_at(env, product, loc);
                if free <= 0.005 {
                    continue;
                }
                let take = free.min(need);
                takes.push((loc, take));
                need -= take;
                if need <= 0.005 {
                    break;
                }
            }
        }
        for (loc, qty) in takes {
            add_reservation(env, *m, loc, qty)?;
        }
    }
    refresh_moves(env, &moves);
    Ok(())
}

fn add_reservation(env: &mut Env, mv: i64, loc: i64, qty: f64) -> Result<(), Fault> {
    let existing = children(env, ML, "move_id", mv)
        .into_iter()
        .find(|l| many2one(env, ML, *l, "location_id") == Some(loc) && active(env, ML, *l));
    let field = if v16(env) {
        "reserved_uom_qty"
    } else {
        "quantity"
    };
    if let Some(l) = existing {
        // written in the line's own unit
        let q = (ml_reserved(env, l) + qty) / line_factor(env, &rec(env, ML, l));
        touch(env, ML, l, json!({ field: q }));
        return Ok(());
    }
    let m = rec(env, MOVE, mv);
    let product = m2o(&m, "product_id");
    let product_uom = product
        .and_then(|p| many2one(env, "product.product", p, "uom_id"))
        .or(m2o(&m, "product_uom"));
    let mut v = vals(json!({
        "move_id": mv,
        "product_id": product,
        "product_uom_id": product_uom,
        "location_id": loc,
        "location_dest_id": m2o(&m, "location_dest_id"),
        "picking_id": m2o(&m, "picking_id"),
        "company_id": m2o(&m, "company_id"),
        "date": env.now_display(),
        "state": "assigned",
    }));
    v.insert(field.into(), json!(qty));
    if v16(env) {
        v.insert("qty_done".into(), json!(0.0));
    } else {
        v.insert("picked".into(), json!(false));
    }
    crate::models::util::create(env, ML, v)?;
    Ok(())
}

/// Recomputes the aggregates and states of moves, then of their pickings.
pub fn refresh_moves(env: &mut Env, moves: &[i64]) {
    let mut pickings = Vec::new();
    for m in moves {
        let Some(mv) = env.record(MOVE, *m).cloned() else {
            continue;
        };
        let lines = children(env, ML, "move_id", *m);
        let factor = move_factor(env, *m);
        let reserved: f64 = lines.iter().map(|l| ml_reserved(env, *l)).sum::<f64>() * factor;
        let done: f64 = lines.iter().map(|l| ml_done(env, *l)).sum::<f64>() * factor;
        let demand = num(&mv, "product_uom_qty");
        let state = text(&mv, "state").unwrap_or("draft").to_string();
        let new_state = if state == "done" || state == "cancel" || state == "draft" {
            state
        } else if reserved + 0.005 >= demand {
            "assigned".into()
        } else if reserved > 0.005 {
            "partially_available".into()
        } else {
            "confirmed".into()
        };
        let v = if v16(env) {
            json!({
                "reserved_availability": if new_state == "done" { 0.0 } else { reserved },
                "quantity_done": done,
                "forecast_availability": if new_state == "assigned" { demand } else { reserved },
                "state": new_state,
            })
        } else {
            let picked = !lines.is_empty()
                && lines.iter().all(|l| {
                    env.record(ML, *l).and_then(|r| r.get("picked")) == Some(&json!(true))
                });
            json!({"quantity": reserved, "picked": picked, "state": new_state})
        };
        super::util::put(env, MOVE, *m, v);
        for l in lines {
            if active(env, ML, l) {
                let st = string(env, MOVE, *m, "state");
                super::util::put(env, ML, l, json!({"state": st}));
            }
        }
        if let Some(p) = m2o(&mv, "picking_id")
            && !pickings.contains(&p)
        {
            pickings.push(p);
        }
    }
    for p in pickings {
        refresh_picking(env, p);
    }
}

/// stock/models/stock_picking.py `_compute_state`, `move_type` direct/one.
pub fn refresh_picking(env: &mut Env, p: i64) {
    let moves = children(env, MOVE, "picking_id", p);
    let states: Vec<String> = moves
        .iter()
        .map(|m| string(env, MOVE, *m, "state"))
        .collect();
    let one = string(env, PICK, p, "move_type") == "one";
    let state = if states.is_empty() {
        "draft"
    } else if states.iter().all(|s| s == "cancel") {
        "cancel"
    } else if states.iter().all(|s| s == "done" || s == "cancel") {
        "done"
    } else {
        let open: Vec<&String> = states
            .iter()
            .filter(|s| *s != "done" && *s != "cancel")
            .collect();
        let ready = |s: &&String| *s == "assigned" || *s == "partially_available";
        if open.iter().all(|s| *s == "draft") {
            "draft"
        } else if (one && open.iter().all(|s| *s == "assigned")) || (!one && open.iter().any(ready))
        {
            "assigned"
        } else {
            "confirmed"
        }
    };
    super::util::put(env, PICK, p, json!({"state": state}));
}

/// The next name of a picking type's sequence, e.g. `WH/OUT/00017`.
pub fn picking_name(env: &mut Env, ptype: i64) -> String {
    let wh = many2one(env, "stock.picking.type", ptype, "warehouse_id");
    let code = wh
        .map(|w| string(env, "stock.warehouse", w, "code"))
        .unwrap_or_default();
    let seq = string(env, "stock.picking.type", ptype, "sequence_code");
    let prefix = if code.is_empty() {
        format!("{seq}/")
    } else {
        format!("{code}/{seq}/")
    };
    let n = env.next_sequence(&prefix);
    format!("{prefix}{n:05}")
}

/// The warehouse's picking type with `code` (first one, by sequence).
pub fn picking_type(env: &Env, warehouse: i64, code: &str, name: Option<&str>) -> Option<i64> {
    find(env, "stock.picking.type", |r| {
        m2o(r, "warehouse_id") == Some(warehouse)
            && text(r, "code") == Some(code)
            && name.is_none_or(|n| text(r, "name") == Some(n))
    })
    .first()
    .copied()
}

pub fn customer_location(env: &Env) -> Option<i64> {
    find(env, "stock.location", |r| {
        text(r, "usage") == Some("customer")
    })
    .first()
    .copied()
}

/// sale_stock: one outgoing picking per warehouse for the order's
/// storable/consumable lines that have no move yet, reserved at once.
pub fn procure(env: &mut Env, so: i64) -> Result<(), Fault> {
    let order = rec(env, "sale.order", so);
    let Some(default_wh) = m2o(&order, "warehouse_id") else {
        return Ok(());
    };
    let Some(customers) = customer_location(env) else {
        return Ok(());
    };
    let uom_field = super::pricing::sol_uom_field(env.version);
    let mut by_wh: Vec<(i64, Vec<i64>)> = Vec::new();
    for l in children(env, "sale.order.line", "order_id", so) {
        let line = rec(env, "sale.order.line", l);
        let Some(product) = m2o(&line, "product_id") else {
            continue;
        };
        let ptype = string(env, "product.product", product, "type");
        if ptype == "service" || line.get("is_delivery") == Some(&json!(true)) {
            continue;
        }
        if !children(env, MOVE, "sale_line_id", l).is_empty()
            || is_zero(num(&line, "product_uom_qty"))
        {
            continue;
        }
        let wh = m2o(&line, "warehouse_id").unwrap_or(default_wh);
        match by_wh.iter_mut().find(|(w, _)| *w == wh) {
            Some((_, ls)) => ls.push(l),
            None => by_wh.push((wh, vec![l])),
        }
    }
    let name = text(&order, "name").unwrap_or("").to_string();
    let group = if env.version <= OdooVersion::V18 {
        let existing = children(env, "procurement.group", "sale_id", so);
        match existing.first() {
            Some(g) => Some(*g),
            None => Some(crate::models::util::create(
                env,
                "procurement.group",
                vals(
                    json!({"name": name, "sale_id": so, "partner_id": m2o(&order, "partner_shipping_id")}),
                ),
            )?),
        }
    } else {
        None
    };
    let reference = if env.version >= OdooVersion::V19 {
        Some(stock_reference(env, so, &name)?)
    } else {
        None
    };
    for (wh, lines) in by_wh {
        let Some(ptype) = picking_type(env, wh, "outgoing", None) else {
            continue;
        };
        let src = many2one(env, "stock.warehouse", wh, "lot_stock_id");
        let origin = match (env.version, text(&order, "client_order_ref")) {
            (OdooVersion::V18, Some(r)) => format!("{name} - {r}"),
            _ => name.clone(),
        };
        let pname = picking_name(env, ptype);
        let mut pv = vals(json!({
            "name": pname,
            "origin": origin,
            "partner_id": m2o(&order, "partner_shipping_id"),
            "picking_type_id": ptype,
            "location_id": src,
            "location_dest_id": customers,
            "scheduled_date": env.now_display(),
            "date_deadline": env.now_display(),
            "move_type": text(&order, "picking_policy").unwrap_or("direct"),
            "sale_id": so,
            "carrier_id": m2o(&order, "carrier_id"),
            "company_id": m2o(&order, "company_id"),
            "state": "draft",
            "priority": "0",
        }));
        if let Some(g) = group {
            pv.insert("group_id".into(), json!(g));
        }
        if let Some(r) = reference {
            // stored here: the ORM reads many2many values as stored, and
            // backorders copy it (19 computes it from the moves)
            pv.insert("reference_ids".into(), json!([[6, 0, [r]]]));
        }
        let picking = crate::models::util::create(env, PICK, pv)?;
        for l in lines {
            let line = rec(env, "sale.order.line", l);
            let product = m2o(&line, "product_id");
            let code = product
                .map(|p| string(env, "product.product", p, "default_code"))
                .unwrap_or_default();
            let qty = num(&line, "product_uom_qty");
            // a unit that does not convert to the product's fails here, as
            // `product_qty`'s `_compute_quantity` raises in 16–18
            let product_qty = match product {
                Some(p) => super::uom::to_product_qty(env, p, m2o(&line, uom_field), qty)?,
                None => qty,
            };
            let mut mv = vals(json!({
                "name": text(&line, "name").unwrap_or(&code),
                "product_id": product,
                "product_uom_qty": qty,
                "product_qty": product_qty,
                "product_uom": m2o(&line, uom_field),
                "location_id": src,
                "location_dest_id": customers,
                "picking_id": picking,
                "picking_type_id": ptype,
                "sale_line_id": l,
                "partner_id": m2o(&order, "partner_shipping_id"),
                "origin": name,
                "warehouse_id": wh,
                "company_id": m2o(&order, "company_id"),
                "date": env.now_display(),
                "procure_method": "make_to_stock",
                "state": "confirmed",
            }));
            if let Some(g) = group {
                mv.insert("group_id".into(), json!(g));
            }
            if let Some(r) = reference {
                mv.insert("reference_ids".into(), json!([[6, 0, [r]]]));
            }
            crate::models::util::create(env, MOVE, mv)?;
        }
        refresh_moves(env, &children(env, MOVE, "picking_id", picking));
        assign(env, &[picking])?;
    }
    Ok(())
}

/// 19: the order's stock reference (named after the order), made on the
/// first confirmation and linked from the order (sale_stock
/// `_get_stock_reference` / `stock_reference_ids`).
fn stock_reference(env: &mut Env, so: i64, name: &str) -> Result<i64, Fault> {
    let linked = id_list(&rec(env, "sale.order", so), "stock_reference_ids");
    if let Some(r) = linked
        .into_iter()
        .find(|r| env.exists("stock.reference", *r))
    {
        return Ok(r);
    }
    let r = crate::models::util::create(
        env,
        "stock.reference",
        vals(json!({"name": name, "sale_ids": [[6, 0, [so]]]})),
    )?;
    crate::models::util::put(env, "sale.order", so, json!({"stock_reference_ids": [r]}));
    Ok(r)
}

/// Cancels the open moves of pickings (and so the pickings).
pub fn cancel_pickings(env: &mut Env, pickings: &[i64]) -> Result<(), Fault> {
    for p in pickings {
        if !active(env, PICK, *p) {
            continue;
        }
        let moves = children(env, MOVE, "picking_id", *p);
        for m in &moves {
            if !active(env, MOVE, *m) {
                continue;
            }
            for l in children(env, ML, "move_id", *m) {
                if active(env, ML, l) {
                    env.remove_raw(ML, l);
                }
            }
            touch(env, MOVE, *m, json!({"state": "cancel"}));
        }
        refresh_moves(env, &moves);
        touch(env, PICK, *p, json!({}));
    }
    Ok(())
}

pub fn state_is(env: &Env, model: &str, id: i64, s: &str) -> bool {
    env.record(model, id).and_then(|r| r.get("state")) == Some(&Value::String(s.into()))
}
