//! The SP-API client end to end against a local fake Selling Partner API
//! (axum on 127.0.0.1:0) that serves Amazon's published sample responses:
//! LWA token exchange, `getOrders` paging by NextToken, one 429 with
//! Amazon's rate-limit header, `getOrderItems` (paged too), the 400 sample,
//! and the `LastUpdatedAfter` cursor with its overlap and deduplication.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use o2c_connectors::MappingSet;
use o2c_connectors::amazon::{
    AmazonError, LwaConfig, LwaTokenProvider, PullCursor, RateLimit, RetryPolicy, Secret,
    SpApiClient, SpApiConfig, TokenError, TokenProvider,
};
use o2c_model::Order;
use serde_json::{Value, json};
use url::Url;

const ACCESS_TOKEN: &str = "Atza|fake-access-token";
const REFRESH_TOKEN: &str = "Atzr|fake-refresh-token";
const CLIENT_ID: &str = "amzn1.application-oa2-client.fake";
const CLIENT_SECRET: &str = "fake-client-secret";
const NEXT_TOKEN: &str = "2YgYW55IGNhcm5hbCBwbGVhc3VyZS4";
const PENDING_ID: &str = "902-3159896-1390916";

fn response(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/amazon/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let value: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("fixture")).expect("json");
    match value.get("response") {
        Some(response) => response.clone(),
        None => value,
    }
}

#[derive(Default)]
struct Fake {
    /// Every SP-API request: `path?query`.
    requests: Mutex<Vec<String>>,
    token_posts: AtomicUsize,
    throttled: AtomicBool,
    /// `LastUpdatedAfter` of the query the NextToken continues.
    after: Mutex<Option<DateTime<Utc>>>,
    /// Later changes on Amazon's side (see `pull_end_to_end`).
    changed: AtomicBool,
}

fn errors(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({"errors": [{"code": code, "message": message}]})),
    )
        .into_response()
}

fn log(fake: &Fake, path: &str, query: &HashMap<String, String>) {
    let mut pairs: Vec<_> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
    pairs.sort();
    if let Ok(mut requests) = fake.requests.lock() {
        requests.push(format!("{path}?{}", pairs.join("&")));
    }
}

fn authorised(headers: &HeaderMap) -> bool {
    headers
        .get("x-amz-access-token")
        .and_then(|v| v.to_str().ok())
        == Some(ACCESS_TOKEN)
}

async fn token(
    State(fake): State<Arc<Fake>>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    fake.token_posts.fetch_add(1, Ordering::SeqCst);
    let field = |name: &str| form.get(name).map(String::as_str);
    if field("grant_type") == Some("refresh_token")
        && field("refresh_token") == Some(REFRESH_TOKEN)
        && field("client_id") == Some(CLIENT_ID)
        && field("client_secret") == Some(CLIENT_SECRET)
    {
        Json(
            json!({"access_token": ACCESS_TOKEN, "refresh_token": REFRESH_TOKEN,
                    "token_type": "bearer", "expires_in": 3600}),
        )
        .into_response()
    } else {
        (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "invalid_grant",
                        "error_description": "The request has an invalid grant parameter : refresh_token"})),
        )
            .into_response()
    }
}

async fn orders(
    State(fake): State<Arc<Fake>>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    log(&fake, "/orders/v0/orders", &query);
    if !authorised(&headers) {
        return errors(
            StatusCode::FORBIDDEN,
            "Unauthorized",
            "Access to requested resource is denied.",
        );
    }
    match query.get("MarketplaceIds").map(String::as_str) {
        Some("ATVPDKIKX0DER") => {}
        // Amazon's published 400 sandbox answer.
        Some("TEST_CASE_400") => {
            return (
                StatusCode::BAD_REQUEST,
                Json(response("getOrders_400_sandbox_static_0.json")),
            )
                .into_response();
        }
        Some("THROTTLED") => {
            return errors(
                StatusCode::TOO_MANY_REQUESTS,
                "QuotaExceeded",
                "You exceeded your quota for the requested resource.",
            );
        }
        _ => {
            return errors(
                StatusCode::BAD_REQUEST,
                "InvalidInput",
                "Invalid MarketplaceIds",
            );
        }
    }
    if !fake.throttled.swap(true, Ordering::SeqCst) {
        let mut answer = errors(
            StatusCode::TOO_MANY_REQUESTS,
            "QuotaExceeded",
            "You exceeded your quota for the requested resource.",
        );
        answer
            .headers_mut()
            .insert("x-amzn-RateLimit-Limit", "20.0".parse().expect("header"));
        return answer;
    }
    let (mut body, after) = match query.get("NextToken") {
        None => {
            let after = query
                .get("LastUpdatedAfter")
                .and_then(|a| DateTime::parse_from_rfc3339(a).ok())
                .map(|a| a.with_timezone(&Utc));
            let Some(after) = after else {
                return errors(
                    StatusCode::BAD_REQUEST,
                    "InvalidInput",
                    "LastUpdatedAfter is required",
                );
            };
            if let Ok(mut saved) = fake.after.lock() {
                *saved = Some(after);
            }
            // First page: the published NextToken case.
            (response("getOrders_200_sandbox_static_1.json"), after)
        }
        Some(token) if token == NEXT_TOKEN => {
            let Some(after) = fake.after.lock().ok().and_then(|a| *a) else {
                return errors(StatusCode::BAD_REQUEST, "InvalidInput", "unknown NextToken");
            };
            // Second and last page: the published two-order case.
            (response("getOrders_200_sandbox_static_0.json"), after)
        }
        Some(_) => return errors(StatusCode::BAD_REQUEST, "InvalidInput", "Invalid NextToken"),
    };
    let Some(orders) = body
        .pointer_mut("/payload/Orders")
        .and_then(Value::as_array_mut)
    else {
        return errors(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalFailure",
            "fixture",
        );
    };
    if fake.changed.load(Ordering::SeqCst) {
        for order in orders.iter_mut() {
            if order["AmazonOrderId"] == PENDING_ID {
                // The buyer's payment went through: a new version of the order.
                order["OrderStatus"] = json!("Unshipped");
                order["LastUpdateDate"] = json!("2017-01-20T19:55:00Z");
            }
        }
        if query.contains_key("NextToken") {
            // An order updated in the same second as the newest one already
            // pulled, that Amazon indexed late (a copy of a sample order
            // under another id).
            let mut late = orders[1].clone();
            late["AmazonOrderId"] = json!("902-0000000-0000001");
            late["LastUpdateDate"] = json!("2017-01-20T19:49:35Z");
            orders.push(late);
        }
    }
    // Amazon returns only orders updated after LastUpdatedAfter.
    orders.retain(|o| {
        o["LastUpdateDate"]
            .as_str()
            .and_then(|d| DateTime::parse_from_rfc3339(d).ok())
            .is_some_and(|d| d.with_timezone(&Utc) >= after)
    });
    let mut answer = Json(body).into_response();
    answer
        .headers_mut()
        .insert("x-amzn-RateLimit-Limit", "20.0".parse().expect("header"));
    answer
}

async fn order_items(
    State(fake): State<Arc<Fake>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    log(&fake, &format!("/orders/v0/orders/{id}/orderItems"), &query);
    if !authorised(&headers) {
        return errors(
            StatusCode::FORBIDDEN,
            "Unauthorized",
            "Access to requested resource is denied.",
        );
    }
    let body = match (id.as_str(), query.get("NextToken")) {
        // The documentation example, which carries a NextToken; its second
        // page is empty.
        ("903-1671087-0812628", None) => response("getOrderItems_200_example.json"),
        ("903-1671087-0812628", Some(t)) if t == NEXT_TOKEN => {
            json!({"payload": {"AmazonOrderId": id, "OrderItems": []}})
        }
        ("NOT-FOUND", _) => return errors(StatusCode::NOT_FOUND, "NotFound", "Order not found"),
        // The sandbox answer, as published for its own order, and for any
        // other order under that order's id.
        (_, None) => {
            let mut body = response("getOrderItems_200_sandbox_static_0.json");
            body["payload"]["AmazonOrderId"] = json!(id);
            body
        }
        (_, Some(_)) => {
            return errors(StatusCode::BAD_REQUEST, "InvalidInput", "Invalid NextToken");
        }
    };
    Json(body).into_response()
}

async fn start() -> (Arc<Fake>, Url) {
    let fake = Arc::new(Fake::default());
    let app = Router::new()
        .route("/auth/o2/token", post(token))
        .route("/orders/v0/orders", get(orders))
        .route("/orders/v0/orders/{id}/orderItems", get(order_items))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        axum::serve(listener, app).await.ok();
    });
    let base = Url::parse(&format!("http://{addr}/")).expect("url");
    (fake, base)
}

fn lwa(base: &Url, refresh_token: &str) -> Arc<LwaTokenProvider> {
    let mut config = LwaConfig::new(
        CLIENT_ID,
        Secret::new(CLIENT_SECRET),
        Secret::new(refresh_token),
    )
    .expect("lwa config");
    config.token_url = base.join("auth/o2/token").expect("url");
    Arc::new(LwaTokenProvider::new(config).expect("lwa"))
}

fn client(base: &Url, marketplace: &str, tokens: Arc<dyn TokenProvider>) -> SpApiClient {
    let mut config = SpApiConfig::new(base.clone(), vec![marketplace.to_owned()]);
    config.overlap = Duration::from_secs(120);
    config.retry = RetryPolicy {
        max_attempts: 3,
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(100),
    };
    let fast = RateLimit {
        per_second: 1000.0,
        burst: 100,
    };
    config.orders_rate = fast;
    config.items_rate = fast;
    SpApiClient::new(config, tokens).expect("client")
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("date")
        .with_timezone(&Utc)
}

fn requests(fake: &Fake) -> Vec<String> {
    fake.requests.lock().map(|r| r.clone()).unwrap_or_default()
}

fn map(bundle_input: &Value) -> Order {
    let set = MappingSet::shipped().expect("mappings");
    let mapping = set.get("amazon", None).expect("amazon");
    let mut out = mapping
        .program
        .run_value(bundle_input, "A2SELLER0EXAMPLE", "2026-11-27T00:00:00Z")
        .expect("maps");
    let order: Order = serde_json::from_value(out.remove(0)).expect("canonical");
    order.validate().expect("valid");
    order
}

#[tokio::test]
async fn pull_end_to_end() {
    let (fake, base) = start().await;
    let client = client(&base, "ATVPDKIKX0DER", lwa(&base, REFRESH_TOKEN));
    let start_at = at("1970-01-19T00:00:00Z");

    // First pull: page 1 (one Pending order, NextToken), then page 2 (two
    // Unshipped orders); the first call is throttled once and retried.
    let (bundles, cursor) = client
        .pull_since(&PullCursor::starting_at(start_at))
        .await
        .expect("pull");
    let ids: Vec<&str> = bundles.iter().map(|b| b.order_id()).collect();
    assert_eq!(
        ids,
        [PENDING_ID, "902-1845936-5435065", "902-8745147-1934268"]
    );
    assert!(bundles[0].status().is_deferred());
    assert!(
        bundles[0].items.is_empty(),
        "no items fetched for a Pending order"
    );
    let mut totals = Vec::new();
    for bundle in &bundles[1..] {
        assert_eq!(bundle.items.len(), 1);
        assert!(!bundle.is_fulfilled_by_amazon());
        let order = map(&bundle.mapping_input());
        assert_eq!(order.channel_order_id, bundle.order_id());
        assert_eq!(order.route.as_deref(), Some("amazon_mfn"));
        assert_eq!(order.lines[0].sku, "NABetaASINB00551Q3CS");
        totals.push(order.declared_totals.map(|t| t.total.to_string()));
    }
    assert_eq!(totals, [Some("11.01".into()), Some("11.01".into())]);
    assert_eq!(cursor.high_water, at("2017-01-20T19:49:35Z"));
    assert!(cursor.has_seen(PENDING_ID, "2017-01-20T19:49:35Z"));
    assert_eq!(fake.token_posts.load(Ordering::SeqCst), 1, "token cached");
    assert_eq!(
        requests(&fake),
        [
            // Throttled (429), then retried after the rate-limit interval.
            "/orders/v0/orders?LastUpdatedAfter=1970-01-18T23:58:00Z&MarketplaceIds=ATVPDKIKX0DER",
            "/orders/v0/orders?LastUpdatedAfter=1970-01-18T23:58:00Z&MarketplaceIds=ATVPDKIKX0DER",
            &format!("/orders/v0/orders?MarketplaceIds=ATVPDKIKX0DER&NextToken={NEXT_TOKEN}"),
            "/orders/v0/orders/902-1845936-5435065/orderItems?",
            "/orders/v0/orders/902-8745147-1934268/orderItems?",
        ]
    );

    // Second pull from the new cursor: it starts `overlap` earlier, sees the
    // Pending order again, and returns nothing twice.
    let (again, same) = client.pull_since(&cursor).await.expect("pull again");
    assert!(again.is_empty(), "{again:?}");
    assert_eq!(same, cursor);
    assert!(
        requests(&fake)
            .iter()
            .any(|r| r.contains("LastUpdatedAfter=2017-01-20T19:47:35Z"))
    );

    // Amazon-side changes: the Pending order is paid (new LastUpdateDate),
    // and an order updated in the cursor's own second shows up late.
    fake.changed.store(true, Ordering::SeqCst);
    let (news, next) = client.pull_since(&cursor).await.expect("third pull");
    let ids: Vec<&str> = news.iter().map(|b| b.order_id()).collect();
    assert_eq!(ids, [PENDING_ID, "902-0000000-0000001"]);
    assert_eq!(news[0].last_update_date(), "2017-01-20T19:55:00Z");
    assert!(!news[0].status().is_deferred());
    let paid = map(&news[0].mapping_input());
    assert_eq!(paid.currency.code(), "USD");
    assert_eq!(paid.lines.len(), 1);
    assert_eq!(next.high_water, at("2017-01-20T19:55:00Z"));
    let (none, _) = client.pull_since(&next).await.expect("fourth pull");
    assert!(none.is_empty(), "{none:?}");
}

#[tokio::test]
async fn the_400_sample_is_a_typed_error_with_amazons_code() {
    let (fake, base) = start().await;
    let client = client(&base, "TEST_CASE_400", lwa(&base, REFRESH_TOKEN));
    let err = client
        .pull_since(&PullCursor::starting_at(at("2024-01-01T00:00:00Z")))
        .await
        .expect_err("400");
    match &err {
        AmazonError::Api {
            operation,
            status,
            code,
            message,
            errors,
        } => {
            assert_eq!(*operation, "getOrders");
            assert_eq!(*status, 400);
            assert_eq!(code, "InvalidInput");
            assert_eq!(message, "Invalid Input");
            assert_eq!(errors.len(), 1);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(err.amazon_code(), Some("InvalidInput"));
    assert!(!err.is_transient());
    assert!(err.to_string().contains("400 InvalidInput"), "{err}");
    assert_eq!(requests(&fake).len(), 1, "a 400 is not retried");
}

#[tokio::test]
async fn throttling_that_never_ends_exhausts_the_retries() {
    let (fake, base) = start().await;
    let client = client(&base, "THROTTLED", lwa(&base, REFRESH_TOKEN));
    let err = client
        .get_orders(at("2024-01-01T00:00:00Z"), None)
        .await
        .expect_err("429");
    assert!(
        matches!(
            err,
            AmazonError::RetriesExhausted {
                status: 429,
                attempts: 3,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.amazon_code(), Some("QuotaExceeded"));
    assert!(err.is_transient());
    assert_eq!(requests(&fake).len(), 3);
}

#[tokio::test]
async fn order_items_follow_their_next_token() {
    let (fake, base) = start().await;
    let client = client(&base, "ATVPDKIKX0DER", lwa(&base, REFRESH_TOKEN));
    let items = client
        .get_order_items("903-1671087-0812628")
        .await
        .expect("items");
    let skus: Vec<&str> = items
        .iter()
        .filter_map(|i| i["SellerSKU"].as_str())
        .collect();
    assert_eq!(skus, ["CBA_OTF_1", "CBA_OTF_5"]);
    // Amounts arrive with their digits.
    assert_eq!(items[1]["ItemPrice"]["Amount"], "17.95");
    assert_eq!(requests(&fake).len(), 2);
    let err = client.get_order_items("NOT-FOUND").await.expect_err("404");
    assert_eq!(err.amazon_code(), Some("NotFound"));
}

#[tokio::test]
async fn lwa_exchanges_the_refresh_token_once_and_reports_refusals() {
    let (fake, base) = start().await;
    let good = lwa(&base, REFRESH_TOKEN);
    assert_eq!(good.access_token().await.expect("token"), ACCESS_TOKEN);
    assert_eq!(good.access_token().await.expect("token"), ACCESS_TOKEN);
    assert_eq!(fake.token_posts.load(Ordering::SeqCst), 1);
    good.invalidate().await;
    assert_eq!(good.access_token().await.expect("token"), ACCESS_TOKEN);
    assert_eq!(fake.token_posts.load(Ordering::SeqCst), 2);
    // Secrets stay out of Debug output.
    let shown = format!("{good:?}");
    assert!(
        !shown.contains(REFRESH_TOKEN) && !shown.contains(CLIENT_SECRET),
        "{shown}"
    );

    let bad = lwa(&base, "Atzr|revoked");
    let err = bad.access_token().await.expect_err("refused");
    assert_eq!(
        err,
        TokenError::Rejected {
            status: 400,
            error: "invalid_grant".into(),
            description: "The request has an invalid grant parameter : refresh_token".into()
        }
    );
    let client = client(&base, "ATVPDKIKX0DER", bad);
    let err = client
        .get_orders(at("2024-01-01T00:00:00Z"), None)
        .await
        .expect_err("no token");
    assert!(
        matches!(err, AmazonError::Token(TokenError::Rejected { .. })),
        "{err:?}"
    );
}
