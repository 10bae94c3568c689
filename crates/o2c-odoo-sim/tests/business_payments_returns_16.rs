//! The recorded Odoo 16 payments / returns / credit notes
//! (`odoo16/e_payments_refunds_returns.jsonl`) over real HTTP JSON-RPC:
//! partial payment 50 of 115 then the rest, a return of 2 units with
//! `to_refund`, a 2-unit credit note, a full `cancel` reversal, and the
//! cancel rules of a confirmed order.

mod business_support;
mod common;

use business_support::{
    confirmed_order, id, ids, invoice, on_hand, pay, read, sandbox, shop, validate,
};
use serde_json::json;

#[tokio::test]
async fn payments_returns_and_credit_notes_16() {
    let rpc = sandbox("16").await;
    let s = shop(&rpc).await;

    // SHOP-1002: set quantities, validate, invoice (act_window_close), post
    let (so2, p2) = confirmed_order(
        &rpc,
        &s,
        "SHOP-1002",
        json!([[0, 0, {"product_id": s.widget, "product_uom_qty": 4, "price_unit": 25.0}]]),
    )
    .await;
    let r = rpc
        .call(
            "stock.picking",
            "action_set_quantities_to_reservation",
            json!([[p2]]),
            json!({}),
        )
        .await;
    assert!(
        r.get("result").is_none() && r.get("error").is_none(),
        "returns None: {r}"
    );
    // the first delivery of a fresh database still asks about SMS
    assert_eq!(
        validate(&rpc, p2).await,
        vec!["confirm.stock.sms".to_string()]
    );
    let ctx = json!({"active_model": "sale.order", "active_ids": [so2], "active_id": so2});
    let w = id(&rpc
        .ok(
            "sale.advance.payment.inv",
            "create",
            json!([{"advance_payment_method": "delivered"}]),
            json!({"context": ctx}),
        )
        .await);
    assert_eq!(
        rpc.ok(
            "sale.advance.payment.inv",
            "create_invoices",
            json!([[w]]),
            json!({"context": ctx})
        )
        .await,
        json!({"type": "ir.actions.act_window_close"})
    );
    let inv2 = ids(&read(&rpc, "sale.order", so2, &["invoice_ids"]).await["invoice_ids"])[0];
    rpc.ok("account.move", "action_post", json!([[inv2]]), json!({}))
        .await;
    assert_eq!(
        read(&rpc, "account.move", inv2, &["amount_total"]).await["amount_total"],
        json!(115.0)
    );

    // partial payment 50, then the rest (the default amount is the residual)
    let pctx = json!({"active_model": "account.move", "active_ids": [inv2]});
    let w = id(&rpc
        .ok(
            "account.payment.register",
            "create",
            json!([{"amount": 50.0, "communication": "SHOP-1002 part 1"}]),
            json!({"context": pctx}),
        )
        .await);
    let wr = read(
        &rpc,
        "account.payment.register",
        w,
        &[
            "amount",
            "payment_difference",
            "payment_difference_handling",
            "communication",
        ],
    )
    .await;
    assert_eq!(
        (
            wr["payment_difference"].clone(),
            wr["payment_difference_handling"].clone()
        ),
        (json!(65.0), json!("open"))
    );
    rpc.ok(
        "account.payment.register",
        "action_create_payments",
        json!([[w]]),
        json!({"context": pctx}),
    )
    .await;
    let m = read(
        &rpc,
        "account.move",
        inv2,
        &["payment_state", "amount_residual"],
    )
    .await;
    assert_eq!(
        (m["payment_state"].clone(), m["amount_residual"].clone()),
        (json!("partial"), json!(65.0))
    );
    let w = id(&rpc
        .ok(
            "account.payment.register",
            "create",
            json!([{}]),
            json!({"context": pctx}),
        )
        .await);
    assert_eq!(
        read(&rpc, "account.payment.register", w, &["amount"]).await["amount"],
        json!(65.0)
    );
    let mut nctx = pctx.clone();
    nctx["dont_redirect_to_payments"] = json!(true);
    assert_eq!(
        rpc.ok(
            "account.payment.register",
            "action_create_payments",
            json!([[w]]),
            json!({"context": nctx})
        )
        .await,
        json!(true)
    );
    let m = read(
        &rpc,
        "account.move",
        inv2,
        &["payment_state", "amount_residual"],
    )
    .await;
    assert_eq!(
        (m["payment_state"].clone(), m["amount_residual"].clone()),
        (json!("paid"), json!(0.0))
    );
    let pays = rpc
        .ok(
            "account.payment",
            "search_read",
            json!([[["reconciled_invoice_ids", "in", [inv2]]]]),
            json!({"fields": ["amount", "state", "ref"]}),
        )
        .await;
    assert_eq!(pays.as_array().unwrap().len(), 2);
    assert!(
        pays.as_array()
            .unwrap()
            .iter()
            .any(|p| p["ref"] == "SHOP-1002 part 1" && p["amount"] == json!(50.0))
    );

    // SHOP-1001 delivered and invoiced, then 2 widgets come back
    let (so, pick) = confirmed_order(&rpc, &s, "SHOP-1001", json!([
        [0, 0, {"product_id": s.widget, "product_uom_qty": 10, "price_unit": 25.0}],
        [0, 0, {"product_id": s.gadget, "product_uom_qty": 4, "price_unit": 40.0, "discount": 10.0}]])).await;
    validate(&rpc, pick).await;
    let inv = invoice(&rpc, so).await;
    rpc.ok("account.move", "action_post", json!([[inv]]), json!({}))
        .await;
    pay(&rpc, inv, None).await;
    let before = on_hand(&rpc, s.widget, "WH/Stock").await;

    let rctx = json!({"active_model": "stock.picking", "active_id": pick, "active_ids": [pick]});
    let w = id(&rpc
        .ok(
            "stock.return.picking",
            "create",
            json!([{}]),
            json!({"context": rctx}),
        )
        .await);
    let wr = read(
        &rpc,
        "stock.return.picking",
        w,
        &["picking_id", "product_return_moves", "location_id"],
    )
    .await;
    assert_eq!(
        (
            wr["picking_id"][0].clone(),
            wr["product_return_moves"].clone()
        ),
        (json!(pick), json!([]))
    );
    let e = rpc
        .err(
            "stock.return.picking",
            "create_returns",
            json!([[w]]),
            json!({"context": rctx}),
        )
        .await;
    assert_eq!(
        e["message"],
        "Please specify at least one non-zero quantity."
    );
    let oc = rpc
        .ok("stock.return.picking", "onchange", json!([[], {"picking_id": pick, "product_return_moves": [], "location_id": false}, "picking_id", {}]), json!({"context": rctx}))
        .await;
    let cmds = oc["value"]["product_return_moves"].as_array().unwrap();
    assert_eq!(cmds[0], json!([5, 0, 0]));
    assert_eq!(cmds[1][2]["quantity"], json!(10.0));
    assert_eq!(oc["value"]["location_id"][1], "WH/Stock");
    let widget_move = cmds[1][2]["move_id"][0].clone();
    let stock = oc["value"]["location_id"][0].clone();
    let w = id(&rpc
        .ok("stock.return.picking", "create", json!([{"picking_id": pick, "location_id": stock,
            "product_return_moves": [[0, 0, {"product_id": s.widget, "quantity": 2.0, "move_id": widget_move, "to_refund": true}]]}]), json!({"context": rctx}))
        .await);
    let act = rpc
        .ok(
            "stock.return.picking",
            "create_returns",
            json!([[w]]),
            json!({"context": rctx}),
        )
        .await;
    assert_eq!(
        (act["name"].clone(), act["res_model"].clone()),
        (json!("Returned Picking"), json!("stock.picking"))
    );
    let ret = id(&act["res_id"]);
    let rp = read(
        &rpc,
        "stock.picking",
        ret,
        &[
            "name",
            "state",
            "picking_type_id",
            "location_id",
            "location_dest_id",
            "origin",
            "sale_id",
        ],
    )
    .await;
    assert!(rp["name"].as_str().unwrap().starts_with("WH/RET/"));
    assert_eq!(rp["picking_type_id"][1], "YourCompany: Returns");
    assert_eq!(
        (
            rp["location_id"][1].clone(),
            rp["location_dest_id"][1].clone()
        ),
        (json!("Partners/Customers"), json!("WH/Stock"))
    );
    assert_eq!(rp["state"], "assigned");
    assert_eq!(rp["sale_id"][0], so);
    assert!(
        rp["origin"]
            .as_str()
            .unwrap()
            .starts_with("Return of WH/OUT/")
    );
    rpc.call(
        "stock.picking",
        "action_set_quantities_to_reservation",
        json!([[ret]]),
        json!({}),
    )
    .await;
    assert_eq!(
        rpc.ok(
            "stock.picking",
            "button_validate",
            json!([[ret]]),
            json!({})
        )
        .await,
        json!(true)
    );
    assert_eq!(on_hand(&rpc, s.widget, "WH/Stock").await, before + 2.0);
    let lines = rpc
        .ok("sale.order.line", "search_read", json!([[["order_id", "=", so]]]), json!({"fields": ["qty_delivered", "qty_invoiced", "qty_to_invoice", "invoice_status"]}))
        .await;
    assert_eq!(
        (
            lines[0]["qty_delivered"].clone(),
            lines[0]["qty_invoiced"].clone(),
            lines[0]["qty_to_invoice"].clone(),
            lines[0]["invoice_status"].clone()
        ),
        (json!(8.0), json!(10.0), json!(-2.0), json!("to invoice"))
    );
    let o = read(
        &rpc,
        "sale.order",
        so,
        &["invoice_status", "delivery_status"],
    )
    .await;
    assert_eq!(
        (o["invoice_status"].clone(), o["delivery_status"].clone()),
        (json!("to invoice"), json!("full"))
    );

    // credit note of the 2 units: a full draft copy, numbered at once in 16, edited down
    let cctx = json!({"active_model": "account.move", "active_ids": [inv]});
    let w = id(&rpc
        .ok(
            "account.move.reversal",
            "create",
            json!([{"reason": "Return of 2", "refund_method": "refund", "journal_id": 1}]),
            json!({"context": cctx}),
        )
        .await);
    let wr = read(
        &rpc,
        "account.move.reversal",
        w,
        &[
            "move_ids",
            "refund_method",
            "date_mode",
            "residual",
            "move_type",
        ],
    )
    .await;
    assert_eq!(
        (
            wr["move_ids"].clone(),
            wr["date_mode"].clone(),
            wr["move_type"].clone()
        ),
        (json!([inv]), json!("custom"), json!("out_invoice"))
    );
    let act = rpc
        .ok(
            "account.move.reversal",
            "reverse_moves",
            json!([[w]]),
            json!({"context": cctx}),
        )
        .await;
    assert_eq!(act["context"], json!({"default_move_type": "out_refund"}));
    let cn = id(&act["res_id"]);
    let c = read(
        &rpc,
        "account.move",
        cn,
        &[
            "name",
            "state",
            "move_type",
            "ref",
            "amount_total",
            "invoice_line_ids",
            "reversed_entry_id",
        ],
    )
    .await;
    assert!(
        c["name"].as_str().unwrap().starts_with("RINV/"),
        "16 numbers the draft credit note: {c}"
    );
    assert_eq!(
        (c["state"].clone(), c["move_type"].clone()),
        (json!("draft"), json!("out_refund"))
    );
    assert_eq!(c["reversed_entry_id"][0], inv);
    assert!(c["ref"].as_str().unwrap().starts_with("Reversal of: INV/"));
    let cl = ids(&c["invoice_line_ids"]);
    rpc.ok(
        "account.move",
        "write",
        json!([[cn], {"invoice_line_ids": [[1, cl[0], {"quantity": 2.0}], [2, cl[1], 0]]}]),
        json!({}),
    )
    .await;
    rpc.ok("account.move", "action_post", json!([[cn]]), json!({}))
        .await;
    let c = read(
        &rpc,
        "account.move",
        cn,
        &[
            "state",
            "amount_untaxed",
            "amount_tax",
            "amount_total",
            "amount_residual",
            "payment_state",
        ],
    )
    .await;
    assert_eq!(
        (
            c["amount_total"].clone(),
            c["amount_residual"].clone(),
            c["payment_state"].clone()
        ),
        (json!(57.5), json!(57.5), json!("not_paid"))
    );
    let i = read(
        &rpc,
        "account.move",
        inv,
        &["payment_state", "reversal_move_id"],
    )
    .await;
    assert_eq!(
        (i["payment_state"].clone(), i["reversal_move_id"].clone()),
        (json!("paid"), json!([cn]))
    );
    let lines = rpc
        .ok("sale.order.line", "search_read", json!([[["order_id", "=", so]]]), json!({"fields": ["qty_delivered", "qty_invoiced", "qty_to_invoice", "invoice_status"]}))
        .await;
    assert_eq!(
        (
            lines[0]["qty_invoiced"].clone(),
            lines[0]["qty_to_invoice"].clone(),
            lines[0]["invoice_status"].clone()
        ),
        (json!(8.0), json!(0.0), json!("no"))
    );
    let o = read(&rpc, "sale.order", so, &["invoice_status", "invoice_ids"]).await;
    assert_eq!(
        (o["invoice_status"].clone(), o["invoice_ids"].clone()),
        (json!("no"), json!([cn, inv]))
    );

    // SHOP-1003: full reversal with refund_method cancel
    let (so3, p3) = confirmed_order(
        &rpc,
        &s,
        "SHOP-1003",
        json!([[0, 0, {"product_id": s.widget, "product_uom_qty": 1, "price_unit": 25.0}]]),
    )
    .await;
    validate(&rpc, p3).await;
    let inv3 = invoice(&rpc, so3).await;
    rpc.ok("account.move", "action_post", json!([[inv3]]), json!({}))
        .await;
    let c3 = json!({"active_model": "account.move", "active_ids": [inv3]});
    let w = id(&rpc
        .ok(
            "account.move.reversal",
            "create",
            json!([{"reason": "Order cancelled", "refund_method": "cancel", "journal_id": 1}]),
            json!({"context": c3}),
        )
        .await);
    let cn3 = id(&rpc
        .ok(
            "account.move.reversal",
            "reverse_moves",
            json!([[w]]),
            json!({"context": c3}),
        )
        .await["res_id"]);
    let both = rpc
        .ok("account.move", "read", json!([[inv3, cn3]]), json!({"fields": ["state", "payment_state", "amount_residual", "reversed_entry_id", "reversal_move_id"]}))
        .await;
    assert_eq!(
        (
            both[0]["payment_state"].clone(),
            both[0]["amount_residual"].clone(),
            both[0]["reversal_move_id"].clone()
        ),
        (json!("reversed"), json!(0.0), json!([cn3]))
    );
    assert_eq!(
        (both[1]["state"].clone(), both[1]["payment_state"].clone()),
        (json!("posted"), json!("paid"))
    );
    assert_eq!(
        read(&rpc, "sale.order", so3, &["invoice_status"]).await["invoice_status"],
        "to invoice"
    );
}

#[tokio::test]
async fn cancel_rules_16() {
    let rpc = sandbox("16").await;
    let s = shop(&rpc).await;
    let (so, pick) = confirmed_order(
        &rpc,
        &s,
        "SHOP-1004",
        json!([[0, 0, {"product_id": s.widget, "product_uom_qty": 3}]]),
    )
    .await;
    // the partner's pricelist (-10 %) priced the line
    let l = rpc
        .ok(
            "sale.order.line",
            "search_read",
            json!([[["order_id", "=", so]]]),
            json!({"fields": ["price_unit", "pricelist_item_id"]}),
        )
        .await;
    assert_eq!(l[0]["price_unit"], json!(22.5));
    assert_eq!(l[0]["pricelist_item_id"][1], "All Products");
    let w = rpc
        .ok("sale.order", "action_cancel", json!([[so]]), json!({}))
        .await;
    assert_eq!(w["res_model"], "sale.order.cancel");
    assert_eq!(
        read(&rpc, "sale.order", so, &["state"]).await["state"],
        "sale"
    );
    let e = rpc
        .err("sale.order", "unlink", json!([[so]]), json!({}))
        .await;
    assert_eq!(
        e["message"],
        "You can not delete a sent quotation or a confirmed sales order. You must first cancel it."
    );
    rpc.ok(
        "sale.order",
        "action_cancel",
        json!([[so]]),
        json!({"context": {"disable_cancel_warning": true}}),
    )
    .await;
    assert_eq!(
        read(&rpc, "sale.order", so, &["state"]).await["state"],
        "cancel"
    );
    assert_eq!(
        read(&rpc, "stock.picking", pick, &["state"]).await["state"],
        "cancel"
    );
    let e = rpc
        .err("sale.order", "action_confirm", json!([[so]]), json!({}))
        .await;
    assert_eq!(
        e["message"],
        "It is not allowed to confirm an order in the following states: done, cancel"
    );
    // a delivered order keeps its done picking when cancelled
    let (so2, p2) = confirmed_order(
        &rpc,
        &s,
        "SHOP-1005",
        json!([[0, 0, {"product_id": s.widget, "product_uom_qty": 1}]]),
    )
    .await;
    validate(&rpc, p2).await;
    rpc.ok(
        "sale.order",
        "action_cancel",
        json!([[so2]]),
        json!({"context": {"disable_cancel_warning": true}}),
    )
    .await;
    assert_eq!(
        read(&rpc, "stock.picking", p2, &["state"]).await["state"],
        "done"
    );
}
