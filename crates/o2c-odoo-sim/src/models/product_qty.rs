//! product.product stock quantities (`qty_available`, `free_qty`,
//! `virtual_available`, `incoming_qty`, `outgoing_qty`) for the locations
//! the context selects, as stock/models/product.py does:
//!
//! - `_get_domain_locations`: the `warehouse` and `location` context keys
//!   (an id, a name matched with `ilike`, or a list of them) pick the
//!   locations; a warehouse stands for its view location; with both, only
//!   the given locations inside the given warehouses count; with neither,
//!   every warehouse's view location;
//! - `_get_domain_locations_new`: those locations and their children
//!   (`compute_child`, default true; false means exactly those);
//! - `_compute_quantities_dict`: on hand and reserved from the quants
//!   there; incoming = open moves into them from outside, outgoing = open
//!   moves out of them to outside; forecast = on hand + incoming −
//!   outgoing; services have no quantities.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::orm::Env;

use super::stock_ops::{MOVE, QUANT, reserved_at};
use super::util::{children, ctx_flag, many2one};
use super::{m2o, num, text};

/// The quantity `field` of product `id`, or `None` for other fields.
pub fn compute(env: &Env, id: i64, field: &str) -> Option<Value> {
    if !matches!(
        field,
        "qty_available" | "free_qty" | "virtual_available" | "incoming_qty" | "outgoing_qty"
    ) {
        return None;
    }
    let service = env
        .record("product.product", id)
        .and_then(|r| text(r, "type"))
        == Some("service");
    if service {
        return Some(json!(0.0));
    }
    let locations = context_locations(env);
    let inside = |loc: Option<i64>| loc.is_some_and(|l| locations.contains(&l));
    let quants = || {
        children(env, QUANT, "product_id", id)
            .into_iter()
            .filter_map(|q| env.record(QUANT, q).map(|r| (q, r)))
            .filter(|(_, r)| inside(m2o(r, "location_id")))
    };
    let on_hand = || -> f64 { quants().map(|(_, r)| num(r, "quantity")).sum() };
    let open_moves = |inward: bool| -> f64 {
        children(env, MOVE, "product_id", id)
            .into_iter()
            .filter_map(|m| env.record(MOVE, m))
            .filter(|r| {
                matches!(
                    text(r, "state"),
                    Some("waiting" | "confirmed" | "assigned" | "partially_available")
                )
            })
            .filter(|r| {
                let (src, dest) = (
                    inside(m2o(r, "location_id")),
                    inside(m2o(r, "location_dest_id")),
                );
                if inward { dest && !src } else { src && !dest }
            })
            .map(|r| num(r, "product_uom_qty"))
            .sum()
    };
    let value = match field {
        "qty_available" => on_hand(),
        "free_qty" => quants()
            .map(|(_, r)| {
                let loc = m2o(r, "location_id").unwrap_or(0);
                num(r, "quantity") - reserved_at(env, id, loc)
            })
            .sum(),
        "incoming_qty" => open_moves(true),
        "outgoing_qty" => open_moves(false),
        _ => on_hand() + open_moves(true) - open_moves(false),
    };
    Some(json!(round_qty(value)))
}

/// Odoo rounds to the unit of measure (0.01 for Units).
fn round_qty(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// The locations the context selects, children included unless
/// `compute_child` is false.
pub fn context_locations(env: &Env) -> BTreeSet<i64> {
    let warehouses = context_values(env, "warehouse");
    let locations = context_values(env, "location");
    let view_of = |wh: i64| many2one(env, "stock.warehouse", wh, "view_location_id");
    let roots: Vec<i64> = match (warehouses, locations) {
        (Some(w), loc) => {
            let views: Vec<i64> = search_ids(env, "stock.warehouse", &w)
                .into_iter()
                .filter_map(view_of)
                .collect();
            match loc {
                None => views,
                Some(l) => search_ids(env, "stock.location", &l)
                    .into_iter()
                    .filter(|l| views.iter().any(|v| under(env, *l, *v)))
                    .collect(),
            }
        }
        (None, Some(l)) => search_ids(env, "stock.location", &l),
        (None, None) => env
            .all_ids("stock.warehouse")
            .into_iter()
            .filter(|w| {
                env.record("stock.warehouse", *w)
                    .is_some_and(|r| r.get("active") != Some(&json!(false)))
            })
            .filter_map(view_of)
            .collect(),
    };
    let compute_child = env
        .context
        .get("compute_child")
        .is_none_or(|_| ctx_flag(env, "compute_child"));
    if !compute_child {
        return roots.into_iter().collect();
    }
    env.spec("stock.location")
        .and_then(|spec| crate::hierarchy::descendants(env, spec, &roots))
        .unwrap_or_default()
}

/// A context key normalised to a list (`None` when unset or falsy).
fn context_values(env: &Env, key: &str) -> Option<Vec<Value>> {
    match env.context.get(key) {
        None | Some(Value::Null | Value::Bool(false)) => None,
        Some(Value::Array(a)) if a.is_empty() => None,
        Some(Value::Array(a)) => Some(a.clone()),
        Some(v) => Some(vec![v.clone()]),
    }
}

/// `_search_ids`: ids as given, names through `name ilike`.
fn search_ids(env: &Env, model: &str, values: &[Value]) -> Vec<i64> {
    let mut ids = BTreeSet::new();
    for v in values {
        match v {
            Value::Number(n) => ids.extend(n.as_i64()),
            Value::String(s) => {
                if let Ok(found) = env.search(model, &json!([["name", "ilike", s]]), 0, None, None)
                {
                    ids.extend(found);
                }
            }
            _ => {}
        }
    }
    ids.into_iter().collect()
}

/// Whether location `loc` is `root` or below it.
fn under(env: &Env, loc: i64, root: i64) -> bool {
    let mut cur = Some(loc);
    let mut seen = BTreeSet::new();
    while let Some(l) = cur {
        if l == root {
            return true;
        }
        if !seen.insert(l) {
            return false;
        }
        cur = many2one(env, "stock.location", l, "location_id");
    }
    false
}
