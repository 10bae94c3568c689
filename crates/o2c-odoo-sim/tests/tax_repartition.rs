//! Tax repartition lines as each version stores them, and a sale line's
//! tax over them: the seed's reverse charge tax ("15% EU RC", +100 % and
//! -100 % 'tax' lines) gives a line no tax on 16–19; a 'tax' line of 50 %
//! gives half on 16/17 (`compute_all`'s `sum_repartition_factor`).

mod business_support;
mod common;

use business_support::{find, id, ids, read, sandbox, shop};
use serde_json::{Value, json};

/// The `factor_percent` of `tax`'s invoice 'tax' lines, read as a
/// connector does: by `tax_id` (17+) or `invoice_tax_id` (16).
async fn invoice_tax_factors(rpc: &common::Rpc, v: &str, tax: i64) -> Vec<f64> {
    let domain = if v == "16" {
        json!([[
            ["invoice_tax_id", "in", [tax]],
            ["repartition_type", "=", "tax"]
        ]])
    } else {
        json!([[
            ["tax_id", "in", [tax]],
            ["document_type", "=", "invoice"],
            ["repartition_type", "=", "tax"]
        ]])
    };
    let lines = rpc
        .ok(
            "account.tax.repartition.line",
            "search_read",
            domain,
            json!({"fields": ["factor_percent"], "order": "sequence, id"}),
        )
        .await;
    lines
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| l["factor_percent"].as_f64().expect("factor"))
        .collect()
}

/// The `price_tax` of a line of 100.00 of the shop's widget with `tax`.
async fn line_tax(rpc: &common::Rpc, v: &str, tax: i64) -> Value {
    let s = shop(rpc).await;
    let tax_field = if v == "19" { "tax_ids" } else { "tax_id" };
    let so = id(&rpc
        .ok(
            "sale.order",
            "create",
            json!([{"partner_id": s.acme, "order_line": [[0, 0, {"product_id": s.widget,
                "product_uom_qty": 1, "price_unit": 100.0, tax_field: [[6, 0, [tax]]]}]]}]),
            json!({}),
        )
        .await);
    let line = ids(&read(rpc, "sale.order", so, &["order_line"]).await["order_line"])[0];
    read(rpc, "sale.order.line", line, &["price_tax"]).await["price_tax"].clone()
}

#[tokio::test]
async fn a_reverse_charge_tax_gives_no_tax_on_every_version() {
    for v in ["16", "17", "18", "19"] {
        let rpc = sandbox(v).await;
        let reverse = find(&rpc, "account.tax", json!([["name", "=", "15% EU RC"]])).await;
        assert_eq!(
            invoice_tax_factors(&rpc, v, reverse).await,
            vec![100.0, -100.0],
            "{v}"
        );
        let tax = read(
            &rpc,
            "account.tax",
            reverse,
            &[
                "invoice_repartition_line_ids",
                "refund_repartition_line_ids",
            ],
        )
        .await;
        // a base line and two tax lines each, which say their tax and
        // document (computed from `invoice_tax_id` / `refund_tax_id` on 16)
        assert_eq!(ids(&tax["invoice_repartition_line_ids"]).len(), 3, "{v}");
        let refunds = ids(&tax["refund_repartition_line_ids"]);
        assert_eq!(refunds.len(), 3, "{v}");
        let line = read(
            &rpc,
            "account.tax.repartition.line",
            refunds[0],
            &["tax_id", "document_type"],
        )
        .await;
        assert_eq!(line["tax_id"][0], json!(reverse), "{v}");
        assert_eq!(line["document_type"], json!("refund"), "{v}");
        assert_eq!(line_tax(&rpc, v, reverse).await, json!(0.0), "{v}");
        // the plain 15 %: one base and one tax line of 100 %, 15.00
        let plain = find(
            &rpc,
            "account.tax",
            json!([["name", "=", "15%"], ["type_tax_use", "=", "sale"]]),
        )
        .await;
        assert_eq!(
            invoice_tax_factors(&rpc, v, plain).await,
            vec![100.0],
            "{v}"
        );
        assert_eq!(line_tax(&rpc, v, plain).await, json!(15.0), "{v}");
    }
}

#[tokio::test]
async fn sixteen_and_seventeen_apply_a_partial_factor() {
    // 15 % of 100.00, half of it: 7.50
    for v in ["16", "17"] {
        let rpc = sandbox(v).await;
        // 16 links the lines by `invoice_tax_id`; 17 dispatches them into
        // `repartition_line_ids`
        let lines = json!([[0, 0, {"repartition_type": "base"}],
                           [0, 0, {"repartition_type": "tax", "factor_percent": 50.0}]]);
        let half = id(&rpc
            .ok(
                "account.tax",
                "create",
                json!([{"name": "15% half", "amount_type": "percent", "amount": 15.0,
                        "invoice_repartition_line_ids": lines.clone(),
                        "refund_repartition_line_ids": lines}]),
                json!({}),
            )
            .await);
        assert_eq!(invoice_tax_factors(&rpc, v, half).await, vec![50.0], "{v}");
        assert_eq!(line_tax(&rpc, v, half).await, json!(7.5), "{v}");
    }
}
