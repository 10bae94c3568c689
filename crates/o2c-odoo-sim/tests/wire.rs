//! The sandbox answers the recorded Odoo 16 requests with the recorded
//! bodies: exact where the answer does not depend on the database content,
//! structurally otherwise.

mod common;

use common::{Rpc, demo, empty, recorded, shape, start};
use serde_json::{Value, json};

/// Sends the recorded request unchanged and returns the sandbox's answer.
async fn replay(rpc: &Rpc, file: &str, step: &str) -> (Value, Value) {
    let ex = recorded(file, step);
    let (status, got) = rpc
        .post(ex["endpoint"].as_str().unwrap(), &ex["request"])
        .await;
    assert_eq!(status as i64, ex["http_status"].as_i64().unwrap(), "{step}");
    (got, ex["response"].clone())
}

#[tokio::test]
async fn session_exchanges_match_the_recording() {
    let rpc = start(empty("16")).await;
    for step in [
        "web.webclient.version_info",
        "jsonrpc.common.version",
        "jsonrpc.common.login.good",
        "jsonrpc.common.login.bad_password",
        "jsonrpc.common.authenticate.good",
        "jsonrpc.common.authenticate.bad_password",
        "jsonrpc.common.authenticate.unknown_login",
        "jsonrpc.common.authenticate.unknown_db",
        "jsonrpc.db.server_version",
        "jsonrpc.object.execute_kw.bad_password",
    ] {
        let (got, want) = replay(&rpc, "odoo16/a_session.jsonl", step).await;
        assert_eq!(got, want, "{step}");
    }
    // db.list: same shape (the recorded server had a second database)
    let (got, want) = replay(&rpc, "odoo16/a_session.jsonl", "jsonrpc.db.list").await;
    assert_eq!(shape(&got), shape(&want));
    assert_eq!(got["result"], json!(["o2c"]));
}

#[tokio::test]
async fn version_info_reports_the_configured_version() {
    for (v, server_version) in [
        ("17", "17.0-20240709"),
        ("18", "18.0+e-20241005"),
        ("19", "19.0"),
    ] {
        let rpc = start(empty(v)).await;
        let (_, got) = rpc
            .post(
                "/web/webclient/version_info",
                &json!({"jsonrpc": "2.0", "method": "call", "params": {}, "id": 1}),
            )
            .await;
        assert_eq!(got["result"]["server_version"], server_version);
        assert_eq!(
            got["result"]["server_version_info"][0],
            v.parse::<i64>().unwrap()
        );
        let (_, common) = rpc
            .post("/jsonrpc", &json!({"jsonrpc": "2.0", "method": "call", "params": {"service": "common", "method": "version", "args": []}, "id": 2}))
            .await;
        assert_eq!(common["result"], got["result"]);
    }
    // GET works too
    let rpc = start(empty("16")).await;
    let body: Value = reqwest::get(format!("{}/web/webclient/version_info", rpc.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["result"]["server_serie"], "16.0");
}

#[tokio::test]
async fn error_bodies_match_the_recording_exactly() {
    // demo data gives partner 43 and product 44, as in the recording
    let rpc = start(demo()).await;
    for step in [
        "wrong_password.jsonrpc.execute_kw",
        "wrong_uid.jsonrpc.execute_kw",
        "missing_required.jsonrpc.sale.order.create.no_partner",
        "bad_many2one.jsonrpc.sale.order.create.partner_does_not_exist",
        "bad_selection.jsonrpc.res.partner.write.type",
        "bad_value_type.jsonrpc.sale.order.line.create.qty_string",
        "missing_parent.jsonrpc.sale.order.line.create.order_does_not_exist",
        "private_method.jsonrpc.sale.order._create_invoices",
        "nonexistent_method.jsonrpc.sale.order.confirm",
        "missing_record.jsonrpc.sale.order.read",
        "missing_record.jsonrpc.sale.order.write",
        "missing_record.jsonrpc.sale.order.action_confirm",
        "missing_record.jsonrpc.sale.order.search_read.by_id",
        "missing_record.jsonrpc.sale.order.unlink",
        "unknown_field.jsonrpc.res.partner.write",
        "unknown_field.jsonrpc.res.partner.create",
        "unknown_field.jsonrpc.res.partner.read",
        "unknown_field.jsonrpc.res.partner.search_read.domain",
        "unknown_model.jsonrpc.no.such.model.search_read",
    ] {
        let (got, want) = replay(&rpc, "odoo16/f_errors.jsonl", step).await;
        assert_eq!(got, want, "{step}");
    }
    for step in [
        "xmlid.ir.model.data.check_object_reference.missing",
        "xmlid.ir.model.data._xmlid_to_res_id.private",
        "xmlid.ir.model.data.xmlid_to_res_id.removed",
    ] {
        let (got, want) = replay(&rpc, "odoo16/g_idempotency.jsonl", step).await;
        assert_eq!(got, want, "{step}");
    }
    // nothing was created by the failed creates
    assert_eq!(rpc.sandbox.count("sale.order", json!([])), 0);
    assert_eq!(rpc.sandbox.count("sale.order.line", json!([])), 0);
}

#[tokio::test]
async fn read_of_mixed_ids_drops_the_missing_one() {
    let rpc = start(demo()).await;
    let so = rpc
        .ok(
            "sale.order",
            "create",
            json!([{"partner_id": 43}]),
            json!({}),
        )
        .await;
    assert_eq!(so, json!(1));
    let (got, want) = replay(
        &rpc,
        "odoo16/f_errors.jsonl",
        "missing_record.jsonrpc.sale.order.read.mixed_ids",
    )
    .await;
    assert_eq!(got, want);
}

#[tokio::test]
async fn xmlid_guard_matches_the_recording() {
    let rpc = start(demo()).await;
    for _ in 0..26 {
        rpc.ok(
            "sale.order",
            "create",
            json!([{"partner_id": 43}]),
            json!({}),
        )
        .await;
    }
    let (got, want) = replay(
        &rpc,
        "odoo16/g_idempotency.jsonl",
        "xmlid.ir.model.data.create",
    )
    .await;
    assert_eq!(shape(&got), shape(&want));
    // the duplicate is refused with the unique-index message
    let dup = recorded(
        "odoo16/g_idempotency.jsonl",
        "xmlid.ir.model.data.create.duplicate",
    );
    let mut req = dup["request"].clone();
    req["params"]["args"][5][0]["res_id"] = json!(2);
    let (_, got) = rpc.post("/jsonrpc", &req).await;
    assert_eq!(got, dup["response"]);
    let (got, want) = replay(
        &rpc,
        "odoo16/g_idempotency.jsonl",
        "xmlid.ir.model.data.check_object_reference",
    )
    .await;
    assert_eq!(got, want);
    let (got, want) = replay(
        &rpc,
        "odoo16/g_idempotency.jsonl",
        "xmlid.ir.model.data.search_read.by_record",
    )
    .await;
    assert_eq!(shape(&got), shape(&want));
    assert_eq!(
        got["result"][0]["complete_name"],
        "__o2c__.shopify_order_1001"
    );
}

#[tokio::test]
async fn confirm_twice_16_matches_the_recording() {
    let rpc = start(demo()).await;
    for _ in 0..30 {
        rpc.ok(
            "sale.order",
            "create",
            json!([{"partner_id": 43}]),
            json!({}),
        )
        .await;
    }
    let (got, want) = replay(
        &rpc,
        "odoo16/f_errors.jsonl",
        "confirm_twice.sale.order.create",
    )
    .await;
    assert_eq!(got, want, "order 31 created");
    for step in [
        "confirm_twice.sale.order.action_confirm.1",
        "confirm_twice.sale.order.action_confirm.2",
    ] {
        let (got, want) = replay(&rpc, "odoo16/f_errors.jsonl", step).await;
        assert_eq!(got, want, "{step}");
    }
    let (got, _) = replay(
        &rpc,
        "odoo16/f_errors.jsonl",
        "cancel.sale.order.action_cancel.disable_cancel_warning",
    )
    .await;
    assert_eq!(got["result"], json!(true));
    let (got, want) = replay(
        &rpc,
        "odoo16/f_errors.jsonl",
        "confirm_cancelled.jsonrpc.sale.order.action_confirm",
    )
    .await;
    assert_eq!(got, want);
}

#[tokio::test]
async fn confirm_twice_18_matches_the_recording() {
    let rpc = start(common::empty("18")).await;
    let p = rpc
        .ok(
            "res.partner",
            "create",
            json!([{"name": "Acme"}]),
            json!({}),
        )
        .await;
    let so = rpc
        .ok(
            "sale.order",
            "create",
            json!([{"partner_id": p}]),
            json!({}),
        )
        .await;
    assert_eq!(
        rpc.ok("sale.order", "action_confirm", json!([[so]]), json!({}))
            .await,
        json!(true)
    );
    let err = rpc
        .call("sale.order", "action_confirm", json!([[so]]), json!({}))
        .await;
    let want = recorded(
        "odoo18/f_errors.jsonl",
        "confirm_twice.jsonrpc.sale.order.action_confirm.2",
    );
    assert_eq!(err["error"], want["response"]["error"]);
}

#[tokio::test]
async fn load_error_shape_matches_the_recording() {
    let rpc = start(demo()).await;
    let ex = recorded("odoo18/g_idempotency.jsonl", "load.error_shape.bad_partner");
    let mut req = ex["request"].clone();
    req["params"]["args"][0] = json!("o2c");
    let (_, got) = rpc.post("/jsonrpc", &req).await;
    let mut want = ex["response"].clone();
    // 16 names the list view `tree`
    want["result"]["messages"][0]["moreinfo"]["view_mode"] = json!("tree,form");
    want["result"]["messages"][0]["moreinfo"]["views"][0][1] = json!("tree");
    assert_eq!(got, want);
    assert_eq!(rpc.sandbox.count("sale.order", json!([])), 0);
    assert_eq!(
        rpc.sandbox
            .count("ir.model.data", json!([["module", "=", "__o2c__"]])),
        0
    );
}
