//! The stored computes of a confirmed order, recomputed from its moves and
//! invoice lines: `qty_delivered` (sale_stock `_compute_qty_delivered`),
//! `qty_invoiced` / `qty_to_invoice` / line and order `invoice_status`
//! (sale/models/sale_order_line.py, sale_order.py, and delivery's override
//! that keeps `no` while only the shipping line is invoiceable), and
//! `delivery_status` / `effective_date` (sale_stock/models/sale_order.py).

use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::OdooVersion;
use crate::orm::Env;

use super::util::{children, dec, find, id_list, is_zero, money, rec, string, touch};
use super::{m2o, num, text};

const SO: &str = "sale.order";
const SOL: &str = "sale.order.line";

/// Quantity a move moved (done) or holds, per version's field.
pub fn move_qty(env: &Env, id: i64) -> f64 {
    let r = rec(env, "stock.move", id);
    if env.version == OdooVersion::V16 {
        num(&r, "quantity_done")
    } else {
        num(&r, "quantity")
    }
}

fn location_usage(env: &Env, loc: Option<i64>) -> String {
    loc.map(|l| string(env, "stock.location", l, "usage"))
        .unwrap_or_default()
}

/// Recomputes every stored status of order `so` and its lines.
pub fn recompute(env: &mut Env, so: i64, bump: bool) {
    let Some(order) = env.record(SO, so).cloned() else {
        return;
    };
    let state = text(&order, "state").unwrap_or("draft").to_string();
    let confirmed = state == "sale" || state == "done";
    let lines = children(env, SOL, "order_id", so);
    let mut line_status: Vec<(String, bool, String)> = Vec::new();
    let mut invoices: Vec<i64> = Vec::new();
    for l in &lines {
        let line = rec(env, SOL, *l);
        if text(&line, "display_type").is_some() {
            continue;
        }
        let product = m2o(&line, "product_id");
        let is_delivery = line.get("is_delivery") == Some(&json!(true));
        let policy = product
            .map(|p| string(env, "product.product", p, "invoice_policy"))
            .unwrap_or_else(|| "order".into());
        // qty_delivered from done moves (returns with to_refund count back)
        let moves = children(env, "stock.move", "sale_line_id", *l);
        let mut delivered = num(&line, "qty_delivered");
        let mut all_done = !moves.is_empty();
        if !is_delivery && !moves.is_empty() {
            delivered = 0.0;
            for m in &moves {
                let mv = rec(env, "stock.move", *m);
                let st = text(&mv, "state").unwrap_or("");
                if st != "done" && st != "cancel" {
                    all_done = false;
                }
                if st != "done" {
                    continue;
                }
                let q = move_qty(env, *m);
                let dest = location_usage(env, m2o(&mv, "location_dest_id"));
                if dest == "customer" {
                    if m2o(&mv, "origin_returned_move_id").is_none()
                        || mv.get("to_refund") == Some(&json!(true))
                    {
                        delivered += q;
                    }
                } else if location_usage(env, m2o(&mv, "location_id")) == "customer"
                    && mv.get("to_refund") == Some(&json!(true))
                {
                    delivered -= q;
                }
            }
        }
        // qty_invoiced from invoice lines of non-cancelled moves
        let amls = find(env, "account.move.line", |r| {
            id_list(r, "sale_line_ids").contains(l)
        });
        let mut invoiced = 0.0;
        for a in &amls {
            let aml = rec(env, "account.move.line", *a);
            let Some(mv) = m2o(&aml, "move_id") else {
                continue;
            };
            if string(env, "account.move", mv, "state") == "cancel" {
                continue;
            }
            if !invoices.contains(&mv) {
                invoices.push(mv);
            }
            match string(env, "account.move", mv, "move_type").as_str() {
                "out_invoice" => invoiced += num(&aml, "quantity"),
                "out_refund" => invoiced -= num(&aml, "quantity"),
                _ => {}
            }
        }
        let uom_qty = num(&line, "product_uom_qty");
        let to_invoice = if !confirmed {
            0.0
        } else if policy == "delivery" {
            delivered - invoiced
        } else {
            uom_qty - invoiced
        };
        let status = if !confirmed {
            "no"
        } else if !is_zero(to_invoice) {
            "to invoice"
        } else if state == "sale"
            && policy == "order"
            && uom_qty >= 0.0
            && delivered > uom_qty + 0.005
        {
            "upselling"
        } else if invoiced + 0.005 >= uom_qty {
            "invoiced"
        } else if env.version >= OdooVersion::V19 && invoiced > 0.0 && all_done {
            // 19: fully invoiced what was delivered once nothing is left to ship
            "invoiced"
        } else {
            "no"
        };
        let reduce = dec(num(&line, "price_unit"))
            * (Decimal::ONE - dec(num(&line, "discount")) / Decimal::ONE_HUNDRED);
        let mut amls_sorted = amls.clone();
        amls_sorted.sort_unstable();
        touch_line(
            env,
            *l,
            json!({
                "qty_delivered": delivered,
                "qty_invoiced": invoiced,
                "qty_to_invoice": to_invoice,
                "invoice_status": status,
                "invoice_lines": amls_sorted,
                "untaxed_amount_to_invoice": money(reduce * dec(to_invoice)),
                "untaxed_amount_invoiced": money(reduce * dec(invoiced)),
            }),
        );
        line_status.push((status.to_string(), is_delivery, policy));
    }
    let real: Vec<&(String, bool, String)> = line_status.iter().collect();
    let mut inv_status = if !confirmed {
        "no"
    } else if real.iter().any(|s| s.0 == "to invoice") {
        "to invoice"
    } else if !real.is_empty() && real.iter().all(|s| s.0 == "invoiced") {
        "invoiced"
    } else if !real.is_empty() && real.iter().all(|s| s.0 == "invoiced" || s.0 == "upselling") {
        "upselling"
    } else {
        "no"
    };
    // delivery/models/sale_order.py: only the shipping line to invoice -> no
    if inv_status == "to invoice" {
        let others: Vec<&&(String, bool, String)> =
            real.iter().filter(|s| !s.1 && s.0 != "invoiced").collect();
        if others.iter().all(|s| s.2 == "delivery" && s.0 == "no") {
            inv_status = "no";
        }
    }
    let pickings = children(env, "stock.picking", "sale_id", so);
    let pstates: Vec<String> = pickings
        .iter()
        .map(|p| string(env, "stock.picking", *p, "state"))
        .collect();
    let delivery_status = if pickings.is_empty() || pstates.iter().all(|s| s == "cancel") {
        Value::Bool(false)
    } else if pstates.iter().all(|s| s == "done" || s == "cancel") {
        json!("full")
    } else if pstates.iter().any(|s| s == "done") {
        json!("partial")
    } else {
        json!("pending")
    };
    let effective = pickings
        .iter()
        .filter(|p| string(env, "stock.picking", **p, "state") == "done")
        .filter_map(|p| {
            env.record("stock.picking", *p)
                .and_then(|r| r.get("date_done"))
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .min();
    invoices.sort_unstable_by(|a, b| b.cmp(a));
    let v = json!({
        "invoice_status": inv_status,
        "delivery_status": delivery_status,
        "effective_date": effective.map(Value::String).unwrap_or(Value::Bool(false)),
        "invoice_ids": invoices,
        "invoice_count": invoices.len(),
        "delivery_count": pickings.len(),
    });
    if bump {
        touch(env, SO, so, v);
    } else {
        super::util::put(env, SO, so, v);
    }
}

fn touch_line(env: &mut Env, id: i64, v: Value) {
    super::util::put(env, SOL, id, v);
}

/// Orders touched by a set of stock moves (through their sale lines).
pub fn orders_of_moves(env: &Env, moves: &[i64]) -> Vec<i64> {
    let mut out: Vec<i64> = moves
        .iter()
        .filter_map(|m| {
            env.record("stock.move", *m)
                .and_then(|r| m2o(r, "sale_line_id"))
                .and_then(|l| env.record(SOL, l))
                .and_then(|r| m2o(r, "order_id"))
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Orders linked to an invoice (through its lines' `sale_line_ids`).
pub fn orders_of_move(env: &Env, account_move: i64) -> Vec<i64> {
    let mut out: Vec<i64> = children(env, "account.move.line", "move_id", account_move)
        .into_iter()
        .flat_map(|a| {
            env.record("account.move.line", a)
                .map(|r| id_list(r, "sale_line_ids"))
                .unwrap_or_default()
        })
        .filter_map(|l| env.record(SOL, l).and_then(|r| m2o(r, "order_id")))
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}
