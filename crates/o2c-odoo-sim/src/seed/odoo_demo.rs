//! The transactional records of Odoo's own demo data that the recorded
//! databases start with (`Seed::OdooDemo`), written module by module at the
//! seconds the recordings show: sale's quotations and orders, sale_stock's
//! deliveries, stock's outgoing shipments and account's invoices and bills.
//! The change feeds of the recordings (h `feed.*`) page over exactly these
//! records by `write_date`, so which module wrote first, and how many
//! seconds later the next one did, decides what their first pages hold.

use chrono::Duration;
use serde_json::{Map, Value, json};

use crate::OdooVersion;
use crate::fault::Fault;
use crate::orm::Env;

use super::{storable, vals};

/// When the demo modules wrote their records, in seconds after the
/// database's earliest recorded stamp (where the replay starts the
/// sandbox's clock and the base records are written), read off the
/// recorded answers (h `cursor.*` and `feed.*`, a `session_info`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoSchedule {
    /// sale's demo orders: the earliest stamp on 16 and 17; 18 and 19 show
    /// the admin's partner written 22 s (00:41:21 → 00:41:43) and 25 s
    /// (00:39:43 → 00:40:08) before them.
    pub orders: i64,
    /// stock's outgoing shipments (`feed.stock.picking.*`, origin
    /// "outgoing shipment"): 16 1 s after the orders (00:17:18), 17 2 s
    /// (00:42:29), 18 2 s (00:41:45), 19 3 s (00:40:11).
    pub shipments: i64,
    /// account's demo invoices: 16 3 s after the orders (00:17:20); 17–19
    /// before them (no demo invoice is newer than the orders there; the
    /// recordings do not show their second, so one second before).
    pub invoices: i64,
    /// Whether sale_stock delivered the confirmed demo orders with sale's
    /// demo (16–17: those deliveries come first in the feed, at the orders'
    /// second) or after stock's shipments (18–19: the shipments come first).
    pub deliveries_with_orders: bool,
}

impl DemoSchedule {
    pub fn of(version: OdooVersion) -> DemoSchedule {
        let (orders, shipments, invoices, deliveries_with_orders) = match version {
            OdooVersion::V16 => (0, 1, 3, true),
            OdooVersion::V17 => (0, 2, -1, true),
            OdooVersion::V18 => (22, 24, 21, false),
            OdooVersion::V19 => (25, 28, 24, false),
        };
        DemoSchedule {
            orders,
            shipments,
            invoices,
            deliveries_with_orders,
        }
    }
}

/// stock's demo outgoing shipments, in creation order: their origin and
/// whether they were confirmed (recorded h `feed.stock.picking.*` of 18
/// and 19, where they are the first pickings: two ready, two drafts, two
/// ready).
const SHIPMENTS: [(&str, bool); 6] = [
    ("outgoing shipment", true),
    ("outgoing shipment", true),
    ("outgoing shipment", false),
    ("your company warehouse", false),
    ("outgoing shipment", true),
    ("outgoing shipment", true),
];

/// Moves the env's transaction time to `start + secs`.
fn at(env: &mut Env, start: chrono::NaiveDateTime, secs: i64) {
    env.now = crate::clock::format(start + Duration::seconds(secs));
}

fn call(env: &mut Env, model: &str, method: &str, args: Value) -> Result<Option<Value>, Fault> {
    crate::methods::call(env, model, method, &[args], &Map::new())
}

/// Odoo's demo orders and documents, each module at its recorded second.
pub fn odoo_demo_orders(env: &mut Env) -> Result<(), Fault> {
    let Some(start) = crate::clock::parse(&env.now) else {
        return Ok(());
    };
    let chair = env
        .search(
            "product.product",
            &json!([["default_code", "=", "FURN_7777"]]),
            0,
            Some(1),
            None,
        )?
        .first()
        .copied();
    let customer = env
        .search(
            "res.partner",
            &json!([["customer_rank", ">", 0]]),
            0,
            Some(1),
            Some("id"),
        )?
        .first()
        .copied();
    let (Some(chair), Some(customer)) = (chair, customer) else {
        return Ok(());
    };
    let plan = DemoSchedule::of(env.version);
    if plan.invoices < plan.orders {
        at(env, start, plan.invoices);
        invoices(env, chair, customer)?;
    }
    at(env, start, plan.orders);
    let delivered = orders(env, chair, customer)?;
    if plan.deliveries_with_orders {
        deliver(env, &delivered)?;
    }
    at(env, start, plan.shipments);
    shipments(env, chair, customer)?;
    if !plan.deliveries_with_orders {
        deliver(env, &delivered)?;
    }
    if plan.invoices > plan.orders {
        at(env, start, plan.invoices);
        invoices(env, chair, customer)?;
    }
    at(env, start, 0);
    Ok(())
}

/// sale's demo: six orders like S00001–S00006 (quotations, but S00004 and
/// S00006 confirmed), made by OdooBot so that a salesperson limited to
/// their own documents cannot see them; their product is invoiced on
/// delivery, so nothing is to invoice yet. sale confirms them before
/// sale_stock is installed, so they get no delivery. Then four confirmed
/// orders that sale_stock delivers (the recorded deliveries of S00021–
/// S00024: three ready, one waiting for a product with no stock); their
/// ids are returned.
fn orders(env: &mut Env, chair: i64, customer: i64) -> Result<Vec<i64>, Fault> {
    for n in 1..=6 {
        let order = env.create(
            "sale.order",
            vals(json!({"partner_id": customer, "order_line": [[0, 0, {"product_id": chair, "product_uom_qty": n}]]})),
        )?;
        if n == 4 || n == 6 {
            crate::models::sale::confirm_without_delivery(env, &[order]);
        }
    }
    // a storable product with no stock on hand (created after the stock
    // of every other product was counted)
    let cabinet = env.create(
        "product.product",
        vals(storable(
            env,
            json!({"name": "Large Cabinet", "invoice_policy": "delivery",
                   "list_price": 320.0, "standard_price": 250.0, "sale_ok": true}),
        )),
    )?;
    let mut delivered = Vec::new();
    for product in [chair, chair, chair, cabinet] {
        let order = env.create(
            "sale.order",
            vals(json!({"partner_id": customer, "order_line": [[0, 0, {"product_id": product, "product_uom_qty": 1}]]})),
        )?;
        crate::models::sale::confirm_without_delivery(env, &[order]);
        delivered.push(order);
    }
    Ok(delivered)
}

/// sale_stock launches the deliveries of confirmed orders (the orders
/// themselves are not rewritten).
fn deliver(env: &mut Env, orders: &[i64]) -> Result<(), Fault> {
    for o in orders {
        crate::models::stock_ops::procure(env, *o)?;
        crate::models::sale_status::recompute(env, *o, false);
    }
    Ok(())
}

/// stock's demo outgoing shipments of the chair from the main warehouse.
fn shipments(env: &mut Env, chair: i64, customer: i64) -> Result<(), Fault> {
    let Some(out) = env
        .search(
            "stock.picking.type",
            &json!([["code", "=", "outgoing"]]),
            0,
            Some(1),
            Some("id"),
        )?
        .first()
        .copied()
    else {
        return Ok(());
    };
    for (origin, confirmed) in SHIPMENTS {
        let picking = env.create(
            "stock.picking",
            vals(
                json!({"picking_type_id": out, "partner_id": customer, "origin": origin,
                        "move_ids": [[0, 0, {"product_id": chair, "product_uom_qty": 1.0}]]}),
            ),
        )?;
        if confirmed {
            call(env, "stock.picking", "action_confirm", json!([picking]))?;
        }
    }
    Ok(())
}

/// account/demo/account_demo.py: posted customer invoices without a
/// salesperson (so an own-documents salesperson sees them), then a posted
/// and a draft vendor bill.
fn invoices(env: &mut Env, chair: i64, customer: i64) -> Result<(), Fault> {
    for (move_type, post) in [
        ("out_invoice", true),
        ("out_invoice", true),
        ("out_invoice", true),
        ("out_invoice", true),
        ("in_invoice", true),
        ("in_invoice", false),
    ] {
        let inv = call(
            env,
            "account.move",
            "create",
            json!({"move_type": move_type, "partner_id": customer, "invoice_user_id": false,
                   "invoice_line_ids": [[0, 0, {"product_id": chair, "quantity": 1.0, "price_unit": 70.0}]]}),
        )?
        .and_then(|v| v.as_i64());
        if let (Some(inv), true) = (inv, post) {
            call(env, "account.move", "action_post", json!([inv]))?;
        }
    }
    Ok(())
}
