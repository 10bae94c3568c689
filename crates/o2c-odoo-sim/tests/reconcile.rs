//! Reconciliation as the recordings show it: the `invoice_payments_widget`
//! of a partly paid invoice per version (payment entry, partial, label,
//! amounts), a credit note in the widget, 18's payments without journal
//! entry listing `reconciled_invoice_ids`, and 19's stock references on
//! the order's pickings.

mod business_support;
mod common;

use business_support::{confirmed_order, id, ids, invoice, pay, read, sandbox, shop, validate};
use serde_json::{Value, json};

/// A posted 115.00 invoice of a delivered order; returns (order, invoice).
async fn posted_invoice(rpc: &common::Rpc, r: &str) -> (i64, i64) {
    let s = shop(rpc).await;
    let (so, p) = confirmed_order(
        rpc,
        &s,
        r,
        json!([[0, 0, {"product_id": s.widget, "product_uom_qty": 4, "price_unit": 25.0}]]),
    )
    .await;
    validate(rpc, p).await;
    let inv = invoice(rpc, so).await;
    rpc.ok("account.move", "action_post", json!([[inv]]), json!({}))
        .await;
    (so, inv)
}

async fn widget(rpc: &common::Rpc, inv: i64) -> Value {
    read(rpc, "account.move", inv, &["invoice_payments_widget"]).await["invoice_payments_widget"]
        .clone()
}

#[tokio::test]
async fn a_partial_payment_shows_in_the_widget_with_its_entry_and_amount() {
    for version in ["16", "17", "19"] {
        let rpc = sandbox(version).await;
        let (_, inv) = posted_invoice(&rpc, "SHOP-1").await;
        assert_eq!(widget(&rpc, inv).await, json!(false), "{version}: unpaid");
        pay(&rpc, inv, Some(50.0)).await;
        let w = widget(&rpc, inv).await;
        assert_eq!(w["title"], json!("Less Payment"), "{version}");
        assert_eq!(w["outstanding"], json!(false));
        let content = w["content"].as_array().expect("content");
        assert_eq!(content.len(), 1, "{version}: {w}");
        let c = &content[0];
        assert_eq!(c["amount"], json!(50.0));
        assert_eq!(c["journal_name"], json!("Bank"));
        assert_eq!(c["amount_company_currency"], json!("$\u{a0}50.00"));
        assert_eq!(c["is_exchange"], json!(false));
        assert_eq!(c["amount_foreign_currency"], json!(false));
        assert!(c["partial_id"].is_i64(), "{c}");
        // the payment and its journal entry
        let payment = id(&c["account_payment_id"]);
        let p = read(&rpc, "account.payment", payment, &["move_id", "name"]).await;
        assert_eq!(c["move_id"], p["move_id"][0], "{version}");
        let name = p["name"].as_str().expect("payment name");
        assert!(
            c["ref"].as_str().is_some_and(|r| r.starts_with(name)),
            "{version}: ref {} of {name}",
            c["ref"]
        );
        assert_eq!(c.get("company_name").is_some(), version != "16");
        assert_eq!(c.get("is_refund").is_some(), version == "19");
        let label = c["name"].as_str().expect("label");
        if version == "19" {
            assert_eq!(c["payment_method_name"], json!("Manual Payment"));
            assert!(label.starts_with("Manual Payment: "), "{label}");
        } else {
            assert_eq!(c["payment_method_name"], json!("Manual"));
            assert!(
                label.starts_with("Customer Payment $\u{a0}50.00 - "),
                "{label}"
            );
        }
        // paying the rest adds a second entry
        pay(&rpc, inv, None).await;
        let w = widget(&rpc, inv).await;
        let amounts: Vec<Value> = w["content"]
            .as_array()
            .expect("content")
            .iter()
            .map(|c| c["amount"].clone())
            .collect();
        assert_eq!(amounts, vec![json!(50.0), json!(65.0)], "{version}");
    }
}

#[tokio::test]
async fn the_payment_entry_has_a_liquidity_and_a_receivable_line() {
    let rpc = sandbox("17").await;
    let (_, inv) = posted_invoice(&rpc, "SHOP-2").await;
    pay(&rpc, inv, Some(50.0)).await;
    let c = &widget(&rpc, inv).await["content"][0];
    let lines = rpc
        .ok(
            "account.move.line",
            "search_read",
            json!([[["move_id", "=", id(&c["move_id"])]]]),
            json!({"fields": ["debit", "credit", "payment_id"]}),
        )
        .await;
    let mut sides: Vec<(f64, f64)> = lines
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| {
            assert_eq!(l["payment_id"][0], c["account_payment_id"]);
            (
                l["debit"].as_f64().unwrap_or(0.0),
                l["credit"].as_f64().unwrap_or(0.0),
            )
        })
        .collect();
    sides.sort_by(|a, b| a.partial_cmp(b).expect("numbers"));
    assert_eq!(sides, vec![(0.0, 50.0), (50.0, 0.0)]);
}

#[tokio::test]
async fn a_credit_note_that_settles_the_invoice_shows_in_the_widget() {
    let rpc = sandbox("17").await;
    let (_, inv) = posted_invoice(&rpc, "SHOP-3").await;
    let ctx = json!({"active_model": "account.move", "active_ids": [inv]});
    let w = id(&rpc
        .ok(
            "account.move.reversal",
            "create",
            json!([{"reason": "cancel", "journal_id": 1}]),
            json!({"context": ctx}),
        )
        .await);
    rpc.ok(
        "account.move.reversal",
        "reverse_moves",
        json!([[w]]),
        json!({"context": ctx}),
    )
    .await;
    let o = read(
        &rpc,
        "account.move",
        inv,
        &["reversal_move_id", "payment_state"],
    )
    .await;
    let cn = ids(&o["reversal_move_id"])[0];
    rpc.ok("account.move", "action_post", json!([[cn]]), json!({}))
        .await;
    let w = widget(&rpc, inv).await;
    let c = &w["content"][0];
    assert_eq!(c["move_id"], json!(cn), "{w}");
    assert_eq!(c["amount"], json!(115.0));
    assert_eq!(c["account_payment_id"], json!(false));
    assert_eq!(c["payment_method_name"], json!(false));
}

#[tokio::test]
async fn payments_without_entry_in_18_list_the_invoices_they_pay() {
    let rpc = sandbox("18").await;
    let (_, inv) = posted_invoice(&rpc, "SHOP-4").await;
    pay(&rpc, inv, None).await;
    let found = rpc
        .ok(
            "account.payment",
            "search_read",
            json!([[]]),
            json!({"fields": ["move_id", "reconciled_invoice_ids"]}),
        )
        .await;
    let p = &found[0];
    assert_eq!(p["move_id"], json!(false));
    assert_eq!(p["reconciled_invoice_ids"], json!([inv]));
    // no partial without an entry: the widget stays empty as recorded
    assert_eq!(widget(&rpc, inv).await, json!(false));
}

#[tokio::test]
async fn pickings_of_an_order_share_its_stock_reference_in_19() {
    let rpc = sandbox("19").await;
    let s = shop(&rpc).await;
    let (so, p) = confirmed_order(
        &rpc,
        &s,
        "SHOP-5",
        json!([[0, 0, {"product_id": s.widget, "product_uom_qty": 2, "price_unit": 25.0}]]),
    )
    .await;
    let o = read(&rpc, "sale.order", so, &["name", "stock_reference_ids"]).await;
    let refs = ids(&o["stock_reference_ids"]);
    assert_eq!(refs.len(), 1, "{o}");
    let pick = read(&rpc, "stock.picking", p, &["reference_ids", "move_ids"]).await;
    assert_eq!(ids(&pick["reference_ids"]), refs);
    for m in ids(&pick["move_ids"]) {
        let mv = read(&rpc, "stock.move", m, &["reference_ids"]).await;
        assert_eq!(ids(&mv["reference_ids"]), refs);
    }
    let r = read(&rpc, "stock.reference", refs[0], &["name", "sale_ids"]).await;
    assert_eq!(r["name"], o["name"]);
    assert_eq!(r["sale_ids"], json!([so]));
}
