//! The recorded Odoo 16 happy path (`odoo16/d_o2c_happy_path.jsonl`) over
//! real HTTP JSON-RPC: order with a discounted line and a shipping line,
//! confirm, partial delivery 6 of 10 through the backorder wizard (the
//! no-context trap first), the chained SMS wizard, tracking, the backorder
//! through 16's immediate-transfer wizard, invoice, post, full payment.

mod business_support;
mod common;

use business_support::{find, id, ids, on_hand, read, run_wizard, sandbox, shop};
use serde_json::{Value, json};

#[tokio::test]
async fn happy_path_16_follows_the_recording() {
    let rpc = sandbox("16").await;
    let s = shop(&rpc).await;
    let adr = rpc
        .ok(
            "res.partner",
            "address_get",
            json!([[s.acme]]),
            json!({"adr_pref": ["delivery", "invoice"]}),
        )
        .await;
    assert_eq!(
        adr,
        json!({"contact": s.acme, "invoice": s.ap, "delivery": s.dock})
    );

    let so = id(&rpc
        .ok("sale.order", "create", json!([{"partner_id": s.acme, "partner_shipping_id": s.dock,
            "partner_invoice_id": s.ap, "client_order_ref": "SHOP-1001", "order_line": [
            [0, 0, {"product_id": s.widget, "product_uom_qty": 10, "price_unit": 25.0, "discount": 0.0}],
            [0, 0, {"product_id": s.gadget, "product_uom_qty": 4, "price_unit": 40.0, "discount": 10.0}]]}]), json!({}))
        .await);
    let o = read(
        &rpc,
        "sale.order",
        so,
        &[
            "state",
            "pricelist_id",
            "payment_term_id",
            "warehouse_id",
            "picking_ids",
            "invoice_status",
            "delivery_status",
            "amount_untaxed",
            "amount_tax",
            "amount_total",
        ],
    )
    .await;
    assert_eq!(o["state"], "draft");
    assert_eq!(o["pricelist_id"][1], "Shop B2B (-10%) (USD)");
    assert_eq!(o["payment_term_id"][1], "30 Days");
    assert_eq!(o["warehouse_id"][1], "YourCompany");
    assert_eq!(
        (
            o["amount_untaxed"].clone(),
            o["amount_tax"].clone(),
            o["amount_total"].clone()
        ),
        (json!(394.0), json!(59.1), json!(453.1))
    );
    assert_eq!(
        (o["invoice_status"].clone(), o["delivery_status"].clone()),
        (json!("no"), json!(false))
    );

    // shipping line through choose.delivery.carrier: button_confirm returns None
    let carrier = find(
        &rpc,
        "delivery.carrier",
        json!([["name", "=", "Local Delivery"]]),
    )
    .await;
    let w = id(&rpc
        .ok(
            "choose.delivery.carrier",
            "create",
            json!([{"order_id": so, "carrier_id": carrier, "delivery_price": 10.0}]),
            json!({}),
        )
        .await);
    let r = rpc
        .call(
            "choose.delivery.carrier",
            "button_confirm",
            json!([[w]]),
            json!({}),
        )
        .await;
    assert!(r.get("result").is_none() && r.get("error").is_none(), "{r}");

    assert_eq!(
        rpc.ok("sale.order", "action_confirm", json!([[so]]), json!({}))
            .await,
        json!(true)
    );
    let o = read(
        &rpc,
        "sale.order",
        so,
        &[
            "state",
            "picking_ids",
            "delivery_count",
            "delivery_status",
            "invoice_status",
            "amount_untaxed",
            "amount_total",
            "carrier_id",
        ],
    )
    .await;
    assert_eq!(o["state"], "sale");
    assert_eq!(o["delivery_status"], "pending");
    assert_eq!(
        o["invoice_status"], "no",
        "only the shipping line is invoiceable"
    );
    assert_eq!(
        (o["amount_untaxed"].clone(), o["amount_total"].clone()),
        (json!(404.0), json!(463.1))
    );
    assert_eq!(o["carrier_id"][1], "Local Delivery");
    let pick = ids(&o["picking_ids"])[0];
    let lines = rpc
        .ok("sale.order.line", "search_read", json!([[["order_id", "=", so]]]),
            json!({"fields": ["tax_id", "price_total", "qty_to_invoice", "invoice_status", "is_delivery", "move_ids"]}))
        .await;
    assert_eq!(lines[0]["price_total"], json!(287.5));
    assert_eq!(ids(&lines[0]["tax_id"]).len(), 1);
    assert_eq!(lines[2]["is_delivery"], json!(true));
    assert_eq!(lines[2]["tax_id"], json!([]));
    assert_eq!(
        (
            lines[2]["qty_to_invoice"].clone(),
            lines[2]["invoice_status"].clone()
        ),
        (json!(1.0), json!("to invoice"))
    );

    let p = read(
        &rpc,
        "stock.picking",
        pick,
        &[
            "name",
            "state",
            "origin",
            "partner_id",
            "picking_type_id",
            "location_id",
            "location_dest_id",
            "move_ids",
            "move_line_ids",
            "sale_id",
            "group_id",
            "carrier_id",
        ],
    )
    .await;
    assert_eq!(p["state"], "assigned");
    assert!(p["name"].as_str().unwrap().starts_with("WH/OUT/"));
    assert_eq!(p["partner_id"][0], s.dock);
    assert_eq!(p["picking_type_id"][1], "YourCompany: Delivery Orders");
    assert_eq!(p["location_id"][1], "WH/Stock");
    assert_eq!(p["location_dest_id"][1], "Partners/Customers");
    assert_eq!(p["sale_id"][0], so);
    assert_eq!(p["origin"], p["group_id"][1]);
    let moves = rpc
        .ok("stock.move", "read", json!([p["move_ids"]]), json!({"fields": ["product_uom_qty", "quantity_done", "reserved_availability", "state", "sale_line_id", "move_line_ids"]}))
        .await;
    assert_eq!(moves[0]["reserved_availability"], json!(10.0));
    assert_eq!(moves[0]["state"], "assigned");
    let mls = ids(&p["move_line_ids"]);
    let ml = rpc
        .ok(
            "stock.move.line",
            "read",
            json!([mls]),
            json!({"fields": ["reserved_uom_qty", "qty_done", "state", "location_id"]}),
        )
        .await;
    assert_eq!(
        (ml[0]["reserved_uom_qty"].clone(), ml[0]["qty_done"].clone()),
        (json!(10.0), json!(0.0))
    );

    // partial: 6 of 10 widgets, 4 of 4 gadgets
    rpc.ok(
        "stock.move.line",
        "write",
        json!([[mls[0]], {"qty_done": 6.0}]),
        json!({}),
    )
    .await;
    rpc.ok(
        "stock.move.line",
        "write",
        json!([[mls[1]], {"qty_done": 4.0}]),
        json!({}),
    )
    .await;
    let a = rpc
        .ok(
            "stock.picking",
            "button_validate",
            json!([[pick]]),
            json!({}),
        )
        .await;
    assert_eq!(a["res_model"], "stock.backorder.confirmation");
    assert_eq!(
        a["context"],
        json!({"button_validate_picking_ids": [pick], "default_show_transfers": false, "default_pick_ids": [[4, pick]]})
    );
    assert_eq!(
        read(&rpc, "stock.picking", pick, &["state"]).await["state"],
        "assigned"
    );

    // the trap: created without the context, process() does nothing
    let w = id(&rpc
        .ok(
            "stock.backorder.confirmation",
            "create",
            json!([{"pick_ids": [[4, pick]]}]),
            json!({}),
        )
        .await);
    assert_eq!(
        rpc.ok(
            "stock.backorder.confirmation",
            "process",
            json!([[w]]),
            json!({})
        )
        .await,
        json!(true)
    );
    let p = read(&rpc, "stock.picking", pick, &["state", "backorder_ids"]).await;
    assert_eq!(
        (p["state"].clone(), p["backorder_ids"].clone()),
        (json!("assigned"), json!([]))
    );

    // the right way: the lines come from default_pick_ids
    let ctx = a["context"].clone();
    let w = id(&rpc
        .ok(
            "stock.backorder.confirmation",
            "create",
            json!([{}]),
            json!({"context": ctx}),
        )
        .await);
    let wr = read(
        &rpc,
        "stock.backorder.confirmation",
        w,
        &[
            "pick_ids",
            "backorder_confirmation_line_ids",
            "show_transfers",
        ],
    )
    .await;
    assert_eq!(wr["pick_ids"], json!([pick]));
    assert_eq!(ids(&wr["backorder_confirmation_line_ids"]).len(), 1);
    let sms = rpc
        .ok(
            "stock.backorder.confirmation",
            "process",
            json!([[w]]),
            json!({"context": ctx}),
        )
        .await;
    assert_eq!(sms["res_model"], "confirm.stock.sms");
    assert!(sms["res_id"].is_i64());
    assert_eq!(sms["context"]["skip_backorder"], json!(true));
    assert_eq!(sms["context"]["button_validate_picking_ids"], json!([pick]));
    assert_eq!(
        read(&rpc, "stock.picking", pick, &["state"]).await["state"],
        "assigned"
    );
    assert_eq!(run_wizard(&rpc, &sms, "dont_send_sms").await, json!(true));

    let p = read(
        &rpc,
        "stock.picking",
        pick,
        &["state", "date_done", "backorder_ids"],
    )
    .await;
    assert_eq!(p["state"], "done");
    assert!(p["date_done"].is_string());
    let bo = ids(&p["backorder_ids"])[0];
    let b = read(
        &rpc,
        "stock.picking",
        bo,
        &[
            "state",
            "backorder_id",
            "origin",
            "move_ids",
            "move_line_ids",
            "name",
        ],
    )
    .await;
    assert_eq!(
        (b["state"].clone(), b["backorder_id"][0].clone()),
        (json!("assigned"), json!(pick))
    );
    assert_ne!(b["name"], p["name"]);
    let bm = read(
        &rpc,
        "stock.move",
        ids(&b["move_ids"])[0],
        &["product_uom_qty", "reserved_availability", "sale_line_id"],
    )
    .await;
    assert_eq!(
        (
            bm["product_uom_qty"].clone(),
            bm["reserved_availability"].clone()
        ),
        (json!(4.0), json!(4.0))
    );
    // the SMS question is not asked again: dont_send_sms switched it off
    let company = read(&rpc, "res.company", 1, &["stock_move_sms_validation"]).await;
    assert_eq!(company["stock_move_sms_validation"], json!(false));

    // tracking reference, quants, order status after the partial delivery
    rpc.ok(
        "stock.picking",
        "write",
        json!([[pick], {"carrier_tracking_ref": "1Z999AA10123456784"}]),
        json!({}),
    )
    .await;
    assert_eq!(
        read(&rpc, "stock.picking", pick, &["carrier_tracking_ref"]).await["carrier_tracking_ref"],
        "1Z999AA10123456784"
    );
    assert_eq!(on_hand(&rpc, s.widget, "WH/Stock").await, 994.0);
    let o = read(
        &rpc,
        "sale.order",
        so,
        &[
            "invoice_status",
            "delivery_status",
            "effective_date",
            "picking_ids",
            "delivery_count",
        ],
    )
    .await;
    assert_eq!(
        (o["invoice_status"].clone(), o["delivery_status"].clone()),
        (json!("to invoice"), json!("partial"))
    );
    assert!(o["effective_date"].is_string());
    assert_eq!(
        (ids(&o["picking_ids"]), o["delivery_count"].clone()),
        (vec![bo, pick], json!(2))
    );
    let lines = rpc
        .ok(
            "sale.order.line",
            "search_read",
            json!([[["order_id", "=", so]]]),
            json!({"fields": ["qty_delivered", "qty_to_invoice", "invoice_status"]}),
        )
        .await;
    let q: Vec<(Value, Value)> = lines
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["qty_delivered"].clone(), l["qty_to_invoice"].clone()))
        .collect();
    assert_eq!(
        q,
        vec![
            (json!(6.0), json!(6.0)),
            (json!(4.0), json!(4.0)),
            (json!(0.0), json!(1.0))
        ]
    );

    // backorder with nothing done: 16's immediate transfer wizard
    let a = rpc
        .ok("stock.picking", "button_validate", json!([[bo]]), json!({}))
        .await;
    assert_eq!(a["res_model"], "stock.immediate.transfer");
    assert_eq!(a["context"]["default_pick_ids"], json!([[4, bo]]));
    assert_eq!(run_wizard(&rpc, &a, "process").await, json!(true));
    let b = read(&rpc, "stock.picking", bo, &["state"]).await;
    assert_eq!(b["state"], "done");
    let ml = rpc
        .ok(
            "stock.move.line",
            "search_read",
            json!([[["picking_id", "=", bo]]]),
            json!({"fields": ["reserved_uom_qty", "qty_done", "state"]}),
        )
        .await;
    assert_eq!(
        ml[0],
        json!({"id": ml[0]["id"], "reserved_uom_qty": 0.0, "qty_done": 4.0, "state": "done"})
    );
    assert_eq!(on_hand(&rpc, s.widget, "WH/Stock").await, 990.0);
    assert_eq!(
        read(&rpc, "sale.order", so, &["delivery_status"]).await["delivery_status"],
        "full"
    );
    // a done picking cannot be validated again (16's misleading text)
    let e = rpc
        .err(
            "stock.picking",
            "button_validate",
            json!([[pick]]),
            json!({}),
        )
        .await;
    assert_eq!(
        e["message"],
        "You cannot validate a transfer if no quantities are reserved nor done. To force the transfer, switch in edit mode and encode the done quantities."
    );

    // invoice from delivered quantities (open_invoices gives the action)
    let ctx = json!({"active_model": "sale.order", "active_ids": [so], "active_id": so});
    let w = id(&rpc
        .ok(
            "sale.advance.payment.inv",
            "create",
            json!([{"advance_payment_method": "delivered"}]),
            json!({"context": ctx}),
        )
        .await);
    let wr = read(
        &rpc,
        "sale.advance.payment.inv",
        w,
        &["advance_payment_method", "sale_order_ids", "count"],
    )
    .await;
    assert_eq!(
        (wr["sale_order_ids"].clone(), wr["count"].clone()),
        (json!([so]), json!(1))
    );
    let mut octx = ctx.clone();
    octx["open_invoices"] = json!(true);
    let act = rpc
        .ok(
            "sale.advance.payment.inv",
            "create_invoices",
            json!([[w]]),
            json!({"context": octx}),
        )
        .await;
    assert_eq!(
        (act["type"].clone(), act["res_model"].clone()),
        (json!("ir.actions.act_window"), json!("account.move"))
    );
    let inv = id(&act["res_id"]);
    let o = read(
        &rpc,
        "sale.order",
        so,
        &["invoice_ids", "invoice_status", "invoice_count"],
    )
    .await;
    assert_eq!(
        (o["invoice_ids"].clone(), o["invoice_status"].clone()),
        (json!([inv]), json!("invoiced"))
    );
    let fields = [
        "name",
        "state",
        "move_type",
        "partner_id",
        "invoice_origin",
        "ref",
        "payment_reference",
        "invoice_date",
        "invoice_date_due",
        "amount_untaxed",
        "amount_tax",
        "amount_total",
        "amount_residual",
        "payment_state",
        "invoice_line_ids",
        "line_ids",
        "journal_id",
        "reversal_move_id",
    ];
    let d = read(&rpc, "account.move", inv, &fields).await;
    assert_eq!(
        (
            d["name"].clone(),
            d["state"].clone(),
            d["move_type"].clone()
        ),
        (json!("/"), json!("draft"), json!("out_invoice"))
    );
    assert_eq!(d["partner_id"][0], s.ap);
    assert_eq!(
        (
            d["ref"].clone(),
            d["payment_reference"].clone(),
            d["invoice_date"].clone()
        ),
        (json!("SHOP-1001"), json!(false), json!(false))
    );
    assert!(d["invoice_date_due"].is_string());
    assert_eq!(
        (
            d["amount_untaxed"].clone(),
            d["amount_tax"].clone(),
            d["amount_total"].clone(),
            d["amount_residual"].clone()
        ),
        (json!(404.0), json!(59.1), json!(463.1), json!(463.1))
    );
    assert_eq!(
        (ids(&d["invoice_line_ids"]).len(), ids(&d["line_ids"]).len()),
        (3, 5)
    );
    assert_eq!(d["journal_id"][1], "Customer Invoices");
    let il = rpc
        .ok("account.move.line", "search_read", json!([[["move_id", "=", inv], ["display_type", "=", "product"]]]),
            json!({"fields": ["quantity", "price_unit", "discount", "tax_ids", "price_subtotal", "price_total", "sale_line_ids", "account_id"]}))
        .await;
    assert_eq!(
        (il[0]["quantity"].clone(), il[0]["price_total"].clone()),
        (json!(10.0), json!(287.5))
    );
    assert_eq!(il[1]["price_subtotal"], json!(144.0));
    assert_eq!(il[0]["account_id"][1], "400000 Product Sales");

    // post: number and date come now; action_post returns false
    assert_eq!(
        rpc.ok("account.move", "action_post", json!([[inv]]), json!({}))
            .await,
        json!(false)
    );
    let d = read(&rpc, "account.move", inv, &fields).await;
    let name = d["name"].as_str().unwrap().to_string();
    assert!(
        name.starts_with("INV/") && name.ends_with("/00001"),
        "{name}"
    );
    assert_eq!(
        (
            d["state"].clone(),
            d["payment_reference"].clone(),
            d["payment_state"].clone()
        ),
        (json!("posted"), json!(name), json!("not_paid"))
    );
    assert!(d["invoice_date"].is_string());
    let e = rpc
        .err("account.move", "action_post", json!([[inv]]), json!({}))
        .await;
    assert_eq!(
        e["message"],
        format!("The entry {name} (id {inv}) is already posted.")
    );

    // full payment
    let pctx = json!({"active_model": "account.move", "active_ids": [inv]});
    let w = id(&rpc
        .ok(
            "account.payment.register",
            "create",
            json!([{}]),
            json!({"context": pctx}),
        )
        .await);
    let wr = read(
        &rpc,
        "account.payment.register",
        w,
        &[
            "amount",
            "journal_id",
            "payment_method_line_id",
            "communication",
            "payment_difference",
            "payment_difference_handling",
            "partner_id",
            "group_payment",
            "can_edit_wizard",
        ],
    )
    .await;
    assert_eq!(
        (
            wr["amount"].clone(),
            wr["communication"].clone(),
            wr["payment_difference"].clone()
        ),
        (json!(463.1), json!(name), json!(0.0))
    );
    assert_eq!(
        (
            wr["journal_id"][1].clone(),
            wr["payment_method_line_id"][1].clone()
        ),
        (json!("Bank"), json!("Manual"))
    );
    assert_eq!(wr["partner_id"][0], s.acme);
    let act = rpc
        .ok(
            "account.payment.register",
            "action_create_payments",
            json!([[w]]),
            json!({"context": pctx}),
        )
        .await;
    assert_eq!(act["res_model"], "account.payment");
    assert_eq!(act["context"], json!({"create": false}));
    let pay = read(
        &rpc,
        "account.payment",
        id(&act["res_id"]),
        &[
            "name",
            "state",
            "amount",
            "payment_type",
            "partner_type",
            "partner_id",
            "ref",
            "reconciled_invoice_ids",
            "is_reconciled",
            "is_matched",
            "move_id",
            "outstanding_account_id",
        ],
    )
    .await;
    assert!(pay["name"].as_str().unwrap().starts_with("PBNK1/"));
    assert_eq!(
        (
            pay["state"].clone(),
            pay["amount"].clone(),
            pay["ref"].clone()
        ),
        (json!("posted"), json!(463.1), json!(name))
    );
    assert_eq!(
        (
            pay["reconciled_invoice_ids"].clone(),
            pay["is_reconciled"].clone(),
            pay["is_matched"].clone()
        ),
        (json!([inv]), json!(true), json!(false))
    );
    assert_eq!(
        pay["move_id"][1],
        format!("{} ({name})", pay["name"].as_str().unwrap())
    );
    assert_eq!(
        pay["outstanding_account_id"][1],
        "101402 Outstanding Receipts"
    );
    let d = read(
        &rpc,
        "account.move",
        inv,
        &["payment_state", "amount_residual", "state"],
    )
    .await;
    assert_eq!(
        (d["payment_state"].clone(), d["amount_residual"].clone()),
        (json!("paid"), json!(0.0))
    );
    let o = read(
        &rpc,
        "sale.order",
        so,
        &["state", "invoice_status", "delivery_status"],
    )
    .await;
    assert_eq!(
        o,
        json!({"id": so, "state": "sale", "invoice_status": "invoiced", "delivery_status": "full"})
    );
    // a paid invoice cannot be deleted
    let e = rpc
        .err("account.move", "unlink", json!([[inv]]), json!({}))
        .await;
    assert_eq!(
        e["message"],
        format!(
            "You cannot do this modification on a reconciled journal entry. You can just change some non legal fields or you must unreconcile first.\nJournal Entry (id): {name} ({inv})"
        )
    );
}
