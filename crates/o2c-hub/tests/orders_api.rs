//! The REST ingress end to end: an order posted over HTTP becomes one
//! confirmed sale order in the Odoo sandbox; duplicates and retries never
//! make a second one; bad input gets a precise problem document and is kept.

mod common;

use common::{TestHub, sample_order};
use o2c_hub::auth::Scope;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_becomes_one_confirmed_sale_order() {
    let hub = TestHub::sqlite().await;
    let response = hub.post_order(&sample_order("WEB-1001")).await;
    assert_eq!(response.status(), 202);
    let location = response.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    assert!(response.headers().contains_key("x-correlation-id"));
    let body: Value = response.json().await.expect("json");
    let order_id = body["order_id"].as_str().expect("order id").to_owned();
    assert_eq!(location, format!("/v1/orders/{order_id}"));
    assert_eq!(body["status"], "received");

    let order = hub.wait_for_status(&order_id, "confirmed").await;
    let types: Vec<&str> = order["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter_map(|e| e["type"].as_str())
        .collect();
    assert_eq!(
        types,
        [
            "o2c.order.received.v1",
            "o2c.order.mapped.v1",
            "o2c.order.validated.v1",
            "o2c.order.submitted.v1",
            "o2c.order.confirmed.v1"
        ]
    );
    assert!(order["erp"]["order_id"].as_i64().is_some());
    assert!(
        order["erp"]["order_name"]
            .as_str()
            .is_some_and(|n| n.starts_with('S')),
        "{order}"
    );

    let sale_orders = hub.sale_orders("WEB-1001").await;
    assert_eq!(sale_orders.len(), 1, "{sale_orders:?}");
    assert_eq!(sale_orders[0]["state"], "sale");
    assert_eq!(
        sale_orders[0]["order_line"].as_array().map(Vec::len),
        Some(2)
    );
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_concurrent_posts_make_one_order() {
    let hub = TestHub::sqlite().await;
    let order = sample_order("WEB-DUP-1");
    // Five clients race into the same group commit.
    let mut posts = tokio::task::JoinSet::new();
    for _ in 0..5 {
        let (http, url, key, order) = (
            hub.http.clone(),
            format!("{}/v1/orders", hub.base),
            hub.key.clone(),
            order.clone(),
        );
        posts.spawn(async move {
            let response = http
                .post(url)
                .bearer_auth(key)
                .json(&order)
                .send()
                .await
                .expect("post");
            let status = response.status().as_u16();
            let replayed = response.headers().contains_key("idempotent-replayed");
            let body: Value = response.json().await.expect("json");
            (status, replayed, body["order_id"].clone())
        });
    }
    let mut answers = Vec::new();
    while let Some(answer) = posts.join_next().await {
        answers.push(answer.expect("task"));
    }
    assert!(
        answers.iter().all(|(status, _, _)| *status == 202),
        "{answers:?}"
    );
    let first = &answers[0].2;
    assert!(answers.iter().all(|(_, _, id)| id == first), "{answers:?}");
    assert_eq!(
        answers.iter().filter(|(_, replayed, _)| !replayed).count(),
        1,
        "{answers:?}"
    );
    hub.wait_for_status(first.as_str().expect("id"), "confirmed")
        .await;
    let orders: Value = hub.get("/v1/orders").await.json().await.expect("json");
    assert_eq!(orders["orders"].as_array().map(Vec::len), Some(1));
    assert_eq!(hub.sale_orders("WEB-DUP-1").await.len(), 1);
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotency_key_header_returns_the_original_answer() {
    let hub = TestHub::sqlite().await;
    let send = |body: Value| {
        hub.http
            .post(format!("{}/v1/orders", hub.base))
            .bearer_auth(&hub.key)
            .header("idempotency-key", "client-retry-7")
            .json(&body)
            .send()
    };
    let first: Value = send(sample_order("WEB-IK-1"))
        .await
        .expect("post")
        .json()
        .await
        .expect("json");
    let again = send(sample_order("WEB-IK-1")).await.expect("post");
    assert_eq!(again.status(), 202);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: Value = again.json().await.expect("json");
    assert_eq!(first["order_id"], again["order_id"]);
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_channel_order_under_a_new_idempotency_key_is_still_one_order() {
    let hub = TestHub::sqlite().await;
    let send = |key: &'static str| {
        hub.http
            .post(format!("{}/v1/orders", hub.base))
            .bearer_auth(&hub.key)
            .header("idempotency-key", key)
            .json(&sample_order("WEB-IK-2"))
            .send()
    };
    let first: Value = send("attempt-1")
        .await
        .expect("post")
        .json()
        .await
        .expect("json");
    let second = send("attempt-2").await.expect("post");
    assert_eq!(second.status(), 202);
    assert_eq!(second.headers()["idempotent-replayed"], "true");
    let second: Value = second.json().await.expect("json");
    assert_eq!(first["order_id"], second["order_id"]);
    hub.wait_for_status(first["order_id"].as_str().expect("id"), "confirmed")
        .await;
    assert_eq!(order_count(&hub).await, 1);
    assert_eq!(hub.sale_orders("WEB-IK-2").await.len(), 1);
    hub.shutdown().await;
}

async fn rejected_count(hub: &TestHub) -> usize {
    hub.store
        .list_inbox(Some("rejected"), 1000)
        .await
        .expect("inbox")
        .len()
}

async fn order_count(hub: &TestHub) -> usize {
    hub.store
        .list_orders(None, 1000)
        .await
        .expect("orders")
        .len()
}

fn assert_problem(response_headers: &reqwest::header::HeaderMap) {
    assert_eq!(response_headers["content-type"], "application/problem+json");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unauthenticated_and_unscoped_requests_are_refused() {
    let hub = TestHub::sqlite().await;
    let url = format!("{}/v1/orders", hub.base);
    let none = hub
        .http
        .post(&url)
        .json(&sample_order("X-1"))
        .send()
        .await
        .expect("post");
    assert_eq!(none.status(), 401);
    assert_problem(none.headers());
    let wrong = hub
        .http
        .post(&url)
        .bearer_auth("o2c_not-a-key")
        .json(&sample_order("X-1"))
        .send()
        .await
        .expect("post");
    assert_eq!(wrong.status(), 401);
    let read_only = hub.key_with(&[Scope::OrdersRead], None).await;
    let forbidden = hub
        .http
        .post(&url)
        .bearer_auth(&read_only)
        .json(&sample_order("X-1"))
        .send()
        .await
        .expect("post");
    assert_eq!(forbidden.status(), 403);
    let body: Value = forbidden.json().await.expect("json");
    assert_eq!(body["type"], "/problems/forbidden");
    let bound = hub
        .key_with(&[Scope::OrdersWrite], Some("shopify:acme"))
        .await;
    let mismatch = hub
        .http
        .post(&url)
        .bearer_auth(&bound)
        .json(&sample_order("X-1"))
        .send()
        .await
        .expect("post");
    assert_eq!(mismatch.status(), 403);
    let body: Value = mismatch.json().await.expect("json");
    assert_eq!(body["type"], "/problems/channel-mismatch");
    assert_eq!(order_count(&hub).await, 0);
    // The bound key's refused payload is kept for an operator.
    assert_eq!(rejected_count(&hub).await, 1);
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json_names_the_position_and_is_kept() {
    let hub = TestHub::sqlite().await;
    let response = hub
        .http
        .post(format!("{}/v1/orders", hub.base))
        .bearer_auth(&hub.key)
        .header("content-type", "application/json")
        .body("{\n  \"channel\": {\"kind\": \"rest\",\n  oops }")
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), 400);
    assert_problem(response.headers());
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["type"], "/problems/malformed-json");
    assert_eq!(body["line"], 3);
    assert!(body["column"].as_u64().is_some_and(|c| c > 0));
    assert_eq!(order_count(&hub).await, 0);
    let kept = hub
        .store
        .list_inbox(Some("rejected"), 10)
        .await
        .expect("inbox");
    assert_eq!(kept.len(), 1);
    assert!(kept[0].payload.contains("oops"));
    assert_eq!(
        kept[0].problem.as_ref().map(|p| p["type"].clone()),
        Some(json!("/problems/malformed-json"))
    );
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_violations_list_every_field() {
    let hub = TestHub::sqlite().await;
    let mut order = sample_order("WEB-BAD-1");
    order["currency"] = json!("usd");
    order["lines"][0]["quantity"] = json!({ "uom": "Units" });
    order["lines"][1]["unit_price"] = json!(true);
    order["surprise"] = json!(1);
    let response = hub.post_order(&order).await;
    assert_eq!(response.status(), 422);
    assert_problem(response.headers());
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["type"], "/problems/schema-violation");
    let pointers: Vec<&str> = body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["pointer"].as_str())
        .collect();
    for expected in ["/currency", "/lines/0/quantity", "/lines/1/unit_price"] {
        assert!(
            pointers.contains(&expected),
            "{expected} missing from {pointers:?}"
        );
    }
    assert!(
        pointers.iter().any(|p| p.is_empty() || *p == "/"),
        "the unknown top-level field is reported: {pointers:?}"
    );

    // Rules the schema cannot express come from the model, all at once.
    let mut order = sample_order("WEB-BAD-2");
    order["lines"][1]["line_id"] = json!("1");
    order["lines"][0]["quantity"]["value"] = json!("-2");
    let response = hub.post_order(&order).await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.expect("json");
    assert!(
        body["errors"].as_array().is_some_and(|e| e.len() >= 2),
        "{body}"
    );

    assert_eq!(order_count(&hub).await, 0);
    assert_eq!(rejected_count(&hub).await, 2);
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_bodies_get_413_and_a_kept_prefix() {
    let config = o2c_hub::HubConfig {
        max_body_bytes: 2048,
        ..Default::default()
    };
    let hub = TestHub::sqlite_with(config).await;
    let mut order = sample_order("WEB-BIG-1");
    order["notes"] = json!("x".repeat(4096));
    let response = hub.post_order(&order).await;
    assert_eq!(response.status(), 413);
    assert_problem(response.headers());
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["limit_bytes"], 2048);
    assert_eq!(order_count(&hub).await, 0);
    let kept = hub
        .store
        .list_inbox(Some("rejected"), 10)
        .await
        .expect("inbox");
    assert_eq!(kept.len(), 1);
    assert!(kept[0].truncated);
    assert_eq!(kept[0].payload.len(), 2048);
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_media_type_gets_415() {
    let hub = TestHub::sqlite().await;
    let response = hub
        .http
        .post(format!("{}/v1/orders", hub.base))
        .bearer_auth(&hub.key)
        .header("content-type", "text/csv")
        .body("a,b\n")
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), 415);
    assert_problem(response.headers());
    assert_eq!(order_count(&hub).await, 0);
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_skus_put_the_order_on_hold_with_an_exception() {
    let hub = TestHub::sqlite().await;
    let mut order = sample_order("WEB-HOLD-1");
    order["lines"][0]["sku"] = json!("NO-SUCH-SKU");
    let body: Value = hub.post_order(&order).await.json().await.expect("json");
    let order_id = body["order_id"].as_str().expect("id").to_owned();
    let order = hub.wait_for_status(&order_id, "on_hold").await;
    assert!(
        order["holds"].to_string().contains("unknown_product"),
        "{order}"
    );
    let exceptions: Value = hub.get("/v1/exceptions").await.json().await.expect("json");
    let list = exceptions["exceptions"].as_array().expect("list");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["reasons"], json!(["unknown_product"]));
    assert_eq!(list[0]["order_id"], json!(order_id));
    assert!(hub.sale_orders("WEB-HOLD-1").await.is_empty());
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn correlation_id_is_carried_into_the_journal() {
    let hub = TestHub::sqlite().await;
    let response = hub
        .http
        .post(format!("{}/v1/orders", hub.base))
        .bearer_auth(&hub.key)
        .header(
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        )
        .json(&sample_order("WEB-CID-1"))
        .send()
        .await
        .expect("post");
    assert_eq!(
        response.headers()["x-correlation-id"],
        "4bf92f3577b34da6a3ce929d0e0e4736"
    );
    let body: Value = response.json().await.expect("json");
    let order = hub
        .wait_for_status(body["order_id"].as_str().expect("id"), "confirmed")
        .await;
    for entry in order["timeline"].as_array().expect("timeline") {
        assert_eq!(entry["correlation_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
    }
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_endpoints_answer() {
    let hub = TestHub::sqlite().await;
    assert_eq!(
        hub.http
            .get(format!("{}/healthz", hub.base))
            .send()
            .await
            .expect("get")
            .status(),
        200
    );
    assert_eq!(
        hub.http
            .get(format!("{}/readyz", hub.base))
            .send()
            .await
            .expect("get")
            .status(),
        200
    );
    let missing = hub.get("/v1/orders/not-a-uuid").await;
    assert_eq!(missing.status(), 404);
    assert_problem(missing.headers());
    hub.shutdown().await;
}
