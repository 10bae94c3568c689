//! The exception queue end to end: a held order is inspected, then
//! resolved with edits, overridden, retried or cancelled through the API —
//! each audited — and a resolved one flows on to a confirmed sale order.

mod common;

use common::{TestHub, sample_order};
use serde_json::{Value, json};

async fn held(hub: &TestHub, order: &Value) -> (String, String) {
    let answer: Value = hub.post_order(order).await.json().await.expect("json");
    let order_id = answer["order_id"].as_str().expect("order id").to_owned();
    hub.wait_for_status(&order_id, "on_hold").await;
    let exception = hub.open_exception_of(&order_id).await;
    (order_id, exception["id"].as_str().expect("id").to_owned())
}

async fn act(hub: &TestHub, exception_id: &str, action: &str, body: Value) -> reqwest::Response {
    hub.http
        .post(format!(
            "{}/v1/exceptions/{exception_id}/{action}",
            hub.base
        ))
        .bearer_auth(&hub.key)
        .json(&body)
        .send()
        .await
        .expect("action")
}

fn with_wrong_total(reference: &str) -> Value {
    let mut order = sample_order(reference);
    // 3 × 25.00 + 1.5 × 40.00 × 0.9 = 129.00; the channel claims 150.00.
    order["declared_totals"] = json!({ "total": "150.00" });
    order
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resolve_with_edits_revalidates_and_confirms() {
    let hub = TestHub::sqlite().await;
    let original = with_wrong_total("EXC-RESOLVE-1");
    let (order_id, exception_id) = held(&hub, &original).await;
    let detail: Value = hub
        .get(&format!("/v1/exceptions/{exception_id}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(detail["exception"]["reasons"], json!(["totals_mismatch"]));
    let findings = &detail["exception"]["details"]["hold"]["findings"];
    assert_eq!(findings[0]["pointer"], "/declared_totals/total", "{detail}");
    assert_eq!(
        detail["canonical_order"]["declared_totals"]["total"],
        "150.00"
    );
    assert_eq!(
        detail["original_payloads"].as_array().map(Vec::len),
        Some(1)
    );

    let mut corrected = original.clone();
    corrected["declared_totals"] = json!({ "total": "129.00" });
    // Changing the order's identity is refused.
    let mut renamed = corrected.clone();
    renamed["channel_order_id"] = json!("EXC-OTHER");
    assert_eq!(
        act(
            &hub,
            &exception_id,
            "resolve",
            json!({ "order": renamed, "reason": "typo" })
        )
        .await
        .status(),
        422
    );
    let resolved = act(
        &hub,
        &exception_id,
        "resolve",
        json!({ "order": corrected, "reason": "channel total was wrong" }),
    )
    .await;
    assert_eq!(resolved.status(), 200);
    let order = hub.wait_for_status(&order_id, "confirmed").await;
    let types: Vec<&str> = order["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter_map(|e| e["type"].as_str())
        .collect();
    assert!(types.contains(&"o2c.order.amended.v1"), "{types:?}");
    assert_eq!(hub.sale_orders("EXC-RESOLVE-1").await.len(), 1);
    let closed: Value = hub
        .get(&format!("/v1/exceptions/{exception_id}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(closed["exception"]["status"], "resolved");
    assert_eq!(closed["exception"]["resolution"]["by"], "api-key:test");
    let audit = hub.store.list_audit(0, 100).await.expect("audit");
    assert!(audit.iter().any(
        |a| a.action == "exception.resolve" && a.details["reason"] == "channel total was wrong"
    ));
    // Acting again on a closed exception is a conflict.
    assert_eq!(
        act(
            &hub,
            &exception_id,
            "override",
            json!({ "reason": "again" })
        )
        .await
        .status(),
        409
    );
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn override_needs_a_reason_and_sends_the_order_on() {
    let hub = TestHub::sqlite().await;
    let (order_id, exception_id) = held(&hub, &with_wrong_total("EXC-OVERRIDE-1")).await;
    let refused = act(&hub, &exception_id, "override", json!({})).await;
    assert_eq!(refused.status(), 422);
    assert_eq!(
        refused.headers()["content-type"],
        "application/problem+json"
    );
    assert_eq!(
        act(
            &hub,
            &exception_id,
            "override",
            json!({ "reason": "agreed surcharge" })
        )
        .await
        .status(),
        200
    );
    hub.wait_for_status(&order_id, "confirmed").await;
    let closed: Value = hub
        .get(&format!("/v1/exceptions/{exception_id}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(closed["exception"]["status"], "overridden");
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_ends_the_order_without_touching_odoo() {
    let hub = TestHub::sqlite().await;
    let (order_id, exception_id) = held(&hub, &with_wrong_total("EXC-CANCEL-1")).await;
    assert_eq!(
        act(
            &hub,
            &exception_id,
            "cancel",
            json!({ "reason": "duplicate phone order" })
        )
        .await
        .status(),
        200
    );
    hub.wait_for_status(&order_id, "cancelled").await;
    assert!(hub.sale_orders("EXC-CANCEL-1").await.is_empty());
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_the_product_is_created_confirms_the_order() {
    let hub = TestHub::sqlite().await;
    let mut order = sample_order("EXC-RETRY-1");
    order["lines"][0]["sku"] = json!("NEW-SKU-7");
    let (order_id, exception_id) = held(&hub, &order).await;
    // Someone adds the product in Odoo, then retries.
    let request = json!({
        "jsonrpc": "2.0", "method": "call", "id": 1,
        "params": { "service": "object", "method": "execute_kw",
            "args": ["o2c", 2, "admin", "product.product", "create", [{ "name": "New thing", "default_code": "NEW-SKU-7", "list_price": 25.0 }]] }
    });
    let created: Value = hub
        .http
        .post(format!("{}/jsonrpc", hub.odoo_url))
        .json(&request)
        .send()
        .await
        .expect("rpc")
        .json()
        .await
        .expect("json");
    assert!(created.get("result").is_some(), "{created}");
    assert_eq!(
        act(&hub, &exception_id, "retry", json!({})).await.status(),
        200
    );
    hub.wait_for_status(&order_id, "confirmed").await;
    assert_eq!(hub.sale_orders("EXC-RETRY-1").await.len(), 1);
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actions_need_the_ops_write_scope() {
    let hub = TestHub::sqlite().await;
    let (_, exception_id) = held(&hub, &with_wrong_total("EXC-SCOPE-1")).await;
    let reader = hub.key_with(&[o2c_hub::auth::Scope::OpsRead], None).await;
    let refused = hub
        .http
        .post(format!(
            "{}/v1/exceptions/{exception_id}/override",
            hub.base
        ))
        .bearer_auth(&reader)
        .json(&json!({ "reason": "x" }))
        .send()
        .await
        .expect("post");
    assert_eq!(refused.status(), 403);
    hub.shutdown().await;
}
