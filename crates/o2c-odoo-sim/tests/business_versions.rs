//! The order-to-cash differences of Odoo 17, 18 and 19 (odoo19/README.md
//! cross-version table) over real HTTP JSON-RPC: pricelist and field
//! names, `quantity` + `picked`, no immediate transfer, validate of a done
//! picking, invoice action and draft names, 18's payments without journal
//! entry, return wizards, credit-note wizard buttons, cancel.

mod business_support;
mod common;

use business_support::{find, id, ids, invoice, read, run_wizard, sandbox, shop};
use serde_json::{Value, json};

#[tokio::test]
async fn o2c_differences_17_18_19() {
    for v in ["17", "18", "19"] {
        let rpc = sandbox(v).await;
        let s = shop(&rpc).await;
        let (tax_f, uom_f) = if v == "19" {
            ("tax_ids", "product_uom_id")
        } else {
            ("tax_id", "product_uom")
        };
        let so = id(&rpc
            .ok(
                "sale.order",
                "create",
                json!([{"partner_id": s.acme, "client_order_ref": "SHOP-1001", "order_line": [
                [0, 0, {"product_id": s.widget, "product_uom_qty": 10}],
                [0, 0, {"product_id": s.gadget, "product_uom_qty": 4, "price_unit": 40.0}]]}]),
                json!({}),
            )
            .await);
        let o = read(
            &rpc,
            "sale.order",
            so,
            &["pricelist_id", "partner_shipping_id", "name"],
        )
        .await;
        let l = rpc
            .ok(
                "sale.order.line",
                "search_read",
                json!([[["order_id", "=", so]]]),
                json!({"fields": ["price_unit", tax_f, uom_f]}),
            )
            .await;
        if v == "19" {
            assert_eq!(
                o["pricelist_id"],
                json!(false),
                "19 does not apply the partner pricelist"
            );
            assert_eq!(l[0]["price_unit"], json!(25.0));
        } else {
            assert_eq!(o["pricelist_id"][1], "Shop B2B (-10%) (USD)");
            assert_eq!(l[0]["price_unit"], json!(22.5));
        }
        assert_eq!(ids(&l[0][tax_f]).len(), 1, "{v}");
        assert_eq!(l[0][uom_f][1], "Units");
        assert_eq!(o["partner_shipping_id"][0], s.dock);
        let bad = rpc
            .call(
                "sale.order.line",
                "read",
                json!([[ids(&json!([l[0]["id"]]))[0]]]),
                json!({"fields": [if v == "19" { "tax_id" } else { "tax_ids" }]}),
            )
            .await;
        assert!(
            bad.get("error").is_some(),
            "{v}: the other version's tax field does not exist"
        );

        assert_eq!(
            rpc.ok("sale.order", "action_confirm", json!([[so]]), json!({}))
                .await,
            json!(true)
        );
        let pick = ids(&read(&rpc, "sale.order", so, &["picking_ids"]).await["picking_ids"])[0];
        let p = read(
            &rpc,
            "stock.picking",
            pick,
            &["origin", "move_line_ids", "state"],
        )
        .await;
        let name = o["name"].as_str().unwrap();
        assert_eq!(
            p["origin"],
            if v == "18" {
                format!("{name} - SHOP-1001")
            } else {
                name.to_string()
            }
        );
        let mls = ids(&p["move_line_ids"]);
        let ml = read(&rpc, "stock.move.line", mls[0], &["quantity", "picked"]).await;
        assert_eq!(
            (ml["quantity"].clone(), ml["picked"].clone()),
            (json!(10.0), json!(false))
        );
        assert!(
            rpc.call(
                "stock.move.line",
                "read",
                json!([[mls[0]]]),
                json!({"fields": ["qty_done"]})
            )
            .await
            .get("error")
            .is_some()
        );

        // partial pick: backorder wizard, then SMS, as in 16
        rpc.ok(
            "stock.move.line",
            "write",
            json!([[mls[0]], {"quantity": 6.0, "picked": true}]),
            json!({}),
        )
        .await;
        rpc.ok(
            "stock.move.line",
            "write",
            json!([[mls[1]], {"quantity": 4.0, "picked": true}]),
            json!({}),
        )
        .await;
        let mv = rpc
            .ok(
                "stock.move",
                "search_read",
                json!([[["picking_id", "=", pick]]]),
                json!({"fields": ["quantity", "picked"]}),
            )
            .await;
        assert_eq!(
            (mv[0]["quantity"].clone(), mv[0]["picked"].clone()),
            (json!(6.0), json!(true))
        );
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
        let sms = run_wizard(&rpc, &a, "process").await;
        assert_eq!(sms["res_model"], "confirm.stock.sms");
        assert_eq!(run_wizard(&rpc, &sms, "dont_send_sms").await, json!(true));
        let p = read(&rpc, "stock.picking", pick, &["state", "backorder_ids"]).await;
        assert_eq!(p["state"], "done");
        let bo = ids(&p["backorder_ids"])[0];
        // the backorder, nothing picked: picked at once and validated (no immediate transfer)
        assert!(
            rpc.call("stock.immediate.transfer", "create", json!([{}]), json!({}))
                .await
                .get("error")
                .is_some()
        );
        assert_eq!(
            rpc.ok("stock.picking", "button_validate", json!([[bo]]), json!({}))
                .await,
            json!(true)
        );
        assert_eq!(
            read(&rpc, "stock.picking", bo, &["state"]).await["state"],
            "done"
        );
        let again = rpc
            .call(
                "stock.picking",
                "button_validate",
                json!([[pick]]),
                json!({}),
            )
            .await;
        if v == "19" {
            assert_eq!(again["result"], json!(true));
        } else {
            assert_eq!(
                again["error"]["data"]["message"],
                "You cannot validate a transfer if no quantities are reserved. To force the transfer, encode quantities."
            );
        }

        // invoice: the action comes back without open_invoices; draft names
        let ctx = json!({"active_model": "sale.order", "active_ids": [so], "active_id": so});
        let w = id(&rpc
            .ok(
                "sale.advance.payment.inv",
                "create",
                json!([{"advance_payment_method": "delivered"}]),
                json!({"context": ctx}),
            )
            .await);
        let act = rpc
            .ok(
                "sale.advance.payment.inv",
                "create_invoices",
                json!([[w]]),
                json!({"context": ctx}),
            )
            .await;
        assert_eq!(act["xml_id"], "account.action_move_out_invoice_type");
        let inv = id(&act["res_id"]);
        let d = read(&rpc, "account.move", inv, &["name", "amount_total"]).await;
        assert_eq!(d["name"], if v == "19" { json!(false) } else { json!("/") });
        let total = d["amount_total"].as_f64().unwrap();
        rpc.ok("account.move", "action_post", json!([[inv]]), json!({}))
            .await;
        let num = read(&rpc, "account.move", inv, &["name"]).await["name"]
            .as_str()
            .unwrap()
            .to_string();
        let e = rpc
            .err("account.move", "action_post", json!([[inv]]), json!({}))
            .await;
        assert_eq!(
            e["message"],
            format!("The entry {num} (id {inv}) must be in draft.")
        );

        // payments: 50 first, then the default amount
        let pctx = json!({"active_model": "account.move", "active_ids": [inv]});
        let w = id(&rpc
            .ok(
                "account.payment.register",
                "create",
                json!([{"amount": 50.0}]),
                json!({"context": pctx}),
            )
            .await);
        let act = rpc
            .ok(
                "account.payment.register",
                "action_create_payments",
                json!([[w]]),
                json!({"context": pctx}),
            )
            .await;
        let memo = if v == "17" { "ref" } else { "memo" };
        let pay = read(
            &rpc,
            "account.payment",
            id(&act["res_id"]),
            &[
                "name",
                "state",
                "move_id",
                memo,
                "is_reconciled",
                "is_matched",
            ],
        )
        .await;
        let m = read(
            &rpc,
            "account.move",
            inv,
            &["payment_state", "amount_residual"],
        )
        .await;
        match v {
            "18" => {
                assert_eq!(pay["name"], "PAY00001");
                assert_eq!(
                    (
                        pay["state"].clone(),
                        pay["move_id"].clone(),
                        pay["is_matched"].clone()
                    ),
                    (json!("paid"), json!(false), json!(true))
                );
                assert_eq!(
                    (m["payment_state"].clone(), m["amount_residual"].clone()),
                    (json!("paid"), json!(total)),
                    "18: paid, residual unchanged"
                );
                assert_eq!(
                    read(&rpc, "account.move", inv, &["matched_payment_ids"]).await["matched_payment_ids"],
                    json!([pay["id"]])
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
                    json!(total)
                );
                let comm = read(&rpc, "account.payment.register", w, &["communication"]).await;
                assert_eq!(comm["communication"], format!("SHOP-1001 - {num}"));
            }
            _ => {
                assert!(pay["name"].as_str().unwrap().starts_with("PBNK1/"));
                assert_eq!(pay["state"], if v == "17" { "posted" } else { "paid" });
                assert!(pay["move_id"].is_array());
                assert_eq!(pay[memo], json!(num));
                assert_eq!(m["payment_state"], "partial");
                let w = id(&rpc
                    .ok(
                        "account.payment.register",
                        "create",
                        json!([{}]),
                        json!({"context": pctx}),
                    )
                    .await);
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
                    inv,
                    &["payment_state", "amount_residual"],
                )
                .await;
                assert_eq!(
                    (m["payment_state"].clone(), m["amount_residual"].clone()),
                    (json!("paid"), json!(0.0))
                );
            }
        }

        // return of 2 widgets: lines filled on create; 17 delivered qty, 18+ zero
        let rctx =
            json!({"active_model": "stock.picking", "active_id": pick, "active_ids": [pick]});
        let w = id(&rpc
            .ok(
                "stock.return.picking",
                "create",
                json!([{}]),
                json!({"context": rctx}),
            )
            .await);
        let lines = ids(
            &read(&rpc, "stock.return.picking", w, &["product_return_moves"]).await["product_return_moves"],
        );
        let rl = read(
            &rpc,
            "stock.return.picking.line",
            lines[0],
            &["quantity", "to_refund"],
        )
        .await;
        assert_eq!(
            rl["quantity"],
            if v == "17" { json!(6.0) } else { json!(0.0) }
        );
        assert_eq!(rl["to_refund"], json!(true));
        let method = if v == "17" {
            "create_returns"
        } else {
            "action_create_returns"
        };
        if v != "17" {
            let e = rpc
                .err(
                    "stock.return.picking",
                    method,
                    json!([[w]]),
                    json!({"context": rctx}),
                )
                .await;
            assert_eq!(
                e["message"],
                "Please specify at least one non-zero quantity."
            );
        }
        rpc.ok("stock.return.picking", "write", json!([[w], {"product_return_moves": [[1, lines[0], {"quantity": 2.0}], [1, lines[1], {"quantity": 0.0}]]}]), json!({})).await;
        let act = rpc
            .ok(
                "stock.return.picking",
                method,
                json!([[w]]),
                json!({"context": rctx}),
            )
            .await;
        let ret = id(&act["res_id"]);
        let rp = read(
            &rpc,
            "stock.picking",
            ret,
            &["name", "picking_type_id", "return_id"],
        )
        .await;
        assert!(rp["name"].as_str().unwrap().starts_with("WH/IN/"), "{rp}");
        assert_eq!(
            (rp["picking_type_id"][1].clone(), rp["return_id"][0].clone()),
            (json!("YourCompany: Receipts"), json!(pick))
        );
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
        let sl = rpc
            .ok(
                "sale.order.line",
                "search_read",
                json!([[["order_id", "=", so]]]),
                json!({"fields": ["qty_delivered", "qty_to_invoice"]}),
            )
            .await;
        assert_eq!(
            (
                sl[0]["qty_delivered"].clone(),
                sl[0]["qty_to_invoice"].clone()
            ),
            (json!(8.0), json!(-2.0))
        );

        // credit note: no refund_method; refund_moves gives a draft credit note
        let cctx = json!({"active_model": "account.move", "active_ids": [inv]});
        let bad = rpc
            .call(
                "account.move.reversal",
                "create",
                json!([{"refund_method": "refund"}]),
                json!({"context": cctx}),
            )
            .await;
        assert!(
            bad["error"]["data"]["message"]
                .as_str()
                .unwrap()
                .contains("refund_method")
        );
        let w = id(&rpc
            .ok(
                "account.move.reversal",
                "create",
                json!([{"reason": "Return of 2"}]),
                json!({"context": cctx}),
            )
            .await);
        let cn = id(&rpc
            .ok(
                "account.move.reversal",
                "refund_moves",
                json!([[w]]),
                json!({"context": cctx}),
            )
            .await["res_id"]);
        let c = read(
            &rpc,
            "account.move",
            cn,
            &["name", "state", "invoice_line_ids"],
        )
        .await;
        assert_eq!(
            (c["name"].clone(), c["state"].clone()),
            (
                if v == "19" { json!(false) } else { json!("/") },
                json!("draft")
            )
        );
        let link = if v == "17" {
            "reversal_move_id"
        } else {
            "reversal_move_ids"
        };
        assert_eq!(
            read(&rpc, "account.move", inv, &[link]).await[link],
            json!([cn])
        );
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
        let status =
            read(&rpc, "sale.order", so, &["invoice_status"]).await["invoice_status"].clone();
        assert_eq!(
            status,
            if v == "19" {
                json!("invoiced")
            } else {
                json!("no")
            },
            "{v}"
        );

        // cancel of a confirmed order: 17/18 wizard, 19 at once
        let carrier_free = find(
            &rpc,
            "product.product",
            json!([["default_code", "=", "SHOP-002"]]),
        )
        .await;
        let so2 = id(&rpc.ok("sale.order", "create", json!([{"partner_id": s.acme, "order_line": [[0, 0, {"product_id": carrier_free, "product_uom_qty": 1}]]}]), json!({})).await);
        rpc.ok("sale.order", "action_confirm", json!([[so2]]), json!({}))
            .await;
        let r = rpc
            .ok("sale.order", "action_cancel", json!([[so2]]), json!({}))
            .await;
        let state = read(&rpc, "sale.order", so2, &["state", "picking_ids"]).await;
        if v == "19" {
            assert_eq!((r, state["state"].clone()), (json!(true), json!("cancel")));
            let p2 = ids(&state["picking_ids"])[0];
            assert_eq!(
                read(&rpc, "stock.picking", p2, &["state"]).await["state"],
                "cancel"
            );
        } else {
            assert_eq!(
                (r["res_model"].clone(), state["state"].clone()),
                (json!("sale.order.cancel"), json!("sale"))
            );
        }
        let _: Value = json!(null);
    }
    let rpc = sandbox("17").await;
    let s = shop(&rpc).await;
    let (so, pick) = business_support::confirmed_order(
        &rpc,
        &s,
        "X",
        json!([[0, 0, {"product_id": s.widget, "product_uom_qty": 1}]]),
    )
    .await;
    business_support::validate(&rpc, pick).await;
    let inv = invoice(&rpc, so).await;
    assert!(inv > 0);
}
