//! Pulled channels through the hub: a local fake Selling Partner API and a
//! local fake Shopify Admin API (axum on random ports) serve the published
//! sample responses, a local fake Salesforce serves generated records in
//! the REST API's documented shape; the pull runtime stores each order once (even when a
//! page is fetched again after a lost cursor write, and when the same order
//! also arrives by webhook), keeps Pending Amazon orders out, records the
//! mapping, and moves the cursor only after the orders are stored. A known
//! order pulled again is a change: new content revises it (an older
//! version never rolls it back), a withdrawal (Amazon `Canceled`, a
//! Salesforce Order deactivated) cancels it.

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use common::TestHub;
use o2c_connectors::MappingSet;
use o2c_hub::HubConfig;
use o2c_hub::config::ShopifyShop;
use o2c_hub::ingest::{IngestConfig, IngestQueue};
use o2c_hub::pull::{
    AmazonPull, AmazonPuller, ChannelPuller, PullConfig, PullContext, SalesforcePull,
    SalesforcePuller, SecretRef, ShopifyPull, ShopifyPuller, pull_once,
};
use o2c_hub::schema_check::OrderSchema;
use o2c_store::Store;
use serde_json::{Value, json};

// ------------------------------------------------------------------ Amazon

const ACCESS_TOKEN: &str = "Atza|fake-access-token";
const REFRESH_TOKEN: &str = "Atzr|fake-refresh-token";
const CLIENT_ID: &str = "amzn1.application-oa2-client.fake";
const CLIENT_SECRET: &str = "fake-client-secret";
const NEXT_TOKEN: &str = "2YgYW55IGNhcm5hbCBwbGVhc3VyZS4";
const SELLER: &str = "A2SELLER0EXAMPLE";
const PENDING_ID: &str = "902-3159896-1390916";

fn amazon_sample(name: &str) -> Value {
    let path = format!(
        "{}/../o2c-connectors/tests/fixtures/amazon/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let value: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("json");
    value.get("response").cloned().unwrap_or(value)
}

#[derive(Default)]
struct FakeAmazon {
    first_pages: AtomicUsize,
    after: Mutex<Option<DateTime<Utc>>>,
    /// Per AmazonOrderId, fields a test changed on the order (as the
    /// buyer, seller or Amazon would: `OrderStatus`, `LastUpdateDate`).
    edits: Mutex<HashMap<String, Value>>,
    /// Per AmazonOrderId, a changed `QuantityOrdered` of its items.
    quantities: Mutex<HashMap<String, u32>>,
}

impl FakeAmazon {
    fn edit(&self, order_id: &str, fields: Value) {
        self.edits
            .lock()
            .expect("lock")
            .insert(order_id.to_owned(), fields);
    }
}

fn amazon_error(status: StatusCode, code: &str) -> Response {
    (
        status,
        Json(json!({"errors": [{"code": code, "message": code}]})),
    )
        .into_response()
}

async fn lwa_token(Form(form): Form<HashMap<String, String>>) -> Response {
    let field = |name: &str| form.get(name).map(String::as_str);
    if field("refresh_token") == Some(REFRESH_TOKEN)
        && field("client_id") == Some(CLIENT_ID)
        && field("client_secret") == Some(CLIENT_SECRET)
    {
        Json(json!({"access_token": ACCESS_TOKEN, "token_type": "bearer", "expires_in": 3600}))
            .into_response()
    } else {
        (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "invalid_grant"})),
        )
            .into_response()
    }
}

fn sp_authorised(headers: &HeaderMap) -> bool {
    headers
        .get("x-amz-access-token")
        .and_then(|v| v.to_str().ok())
        == Some(ACCESS_TOKEN)
}

/// `getOrders`: the published NextToken sample (one Pending order), then the
/// published two-order sample, each filtered by `LastUpdatedAfter`.
async fn get_orders(
    State(fake): State<Arc<FakeAmazon>>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if !sp_authorised(&headers) {
        return amazon_error(StatusCode::FORBIDDEN, "Unauthorized");
    }
    let (mut body, after) = match query.get("NextToken") {
        None => {
            let Some(after) = query
                .get("LastUpdatedAfter")
                .and_then(|a| DateTime::parse_from_rfc3339(a).ok())
                .map(|a| a.with_timezone(&Utc))
            else {
                return amazon_error(StatusCode::BAD_REQUEST, "InvalidInput");
            };
            fake.first_pages.fetch_add(1, Ordering::SeqCst);
            *fake.after.lock().expect("lock") = Some(after);
            (amazon_sample("getOrders_200_sandbox_static_1.json"), after)
        }
        Some(token) if token == NEXT_TOKEN => {
            let Some(after) = *fake.after.lock().expect("lock") else {
                return amazon_error(StatusCode::BAD_REQUEST, "InvalidInput");
            };
            (amazon_sample("getOrders_200_sandbox_static_0.json"), after)
        }
        Some(_) => return amazon_error(StatusCode::BAD_REQUEST, "InvalidInput"),
    };
    if let Some(orders) = body
        .pointer_mut("/payload/Orders")
        .and_then(Value::as_array_mut)
    {
        let edits = fake.edits.lock().expect("lock");
        for order in orders.iter_mut() {
            let id = order["AmazonOrderId"].as_str().unwrap_or_default();
            if let Some(Value::Object(fields)) = edits.get(id) {
                for (key, value) in fields {
                    order[key] = value.clone();
                }
            }
        }
        orders.retain(|o| {
            o["LastUpdateDate"]
                .as_str()
                .and_then(|d| DateTime::parse_from_rfc3339(d).ok())
                .is_some_and(|d| d.with_timezone(&Utc) >= after)
        });
    }
    Json(body).into_response()
}

async fn get_order_items(
    State(fake): State<Arc<FakeAmazon>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if !sp_authorised(&headers) {
        return amazon_error(StatusCode::FORBIDDEN, "Unauthorized");
    }
    // The published sandbox items, answered for the order asked about.
    let mut body = amazon_sample("getOrderItems_200_sandbox_static_0.json");
    body["payload"]["AmazonOrderId"] = json!(id);
    if let Some(quantity) = fake.quantities.lock().expect("lock").get(&id) {
        body["payload"]["OrderItems"][0]["QuantityOrdered"] = json!(quantity);
    }
    Json(body).into_response()
}

async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        axum::serve(listener, app).await.ok();
    });
    format!("http://{addr}")
}

async fn start_amazon() -> (Arc<FakeAmazon>, String) {
    let fake = Arc::new(FakeAmazon::default());
    let app = Router::new()
        .route("/auth/o2/token", post(lwa_token))
        .route("/orders/v0/orders", get(get_orders))
        .route("/orders/v0/orders/{id}/orderItems", get(get_order_items))
        .with_state(fake.clone());
    (fake, serve(app).await)
}

/// Writes a secret to a file, as an operator would mount it.
fn secret_file(dir: &tempfile::TempDir, name: &str, value: &str) -> SecretRef {
    let path = dir.path().join(name);
    std::fs::write(&path, format!("{value}\n")).expect("write secret");
    SecretRef {
        env: None,
        file: Some(path.display().to_string()),
    }
}

fn amazon_config(base: &str, secrets: &tempfile::TempDir) -> AmazonPull {
    AmazonPull {
        account: SELLER.into(),
        base_url: base.into(),
        token_url: format!("{base}/auth/o2/token"),
        marketplace_ids: vec!["ATVPDKIKX0DER".into()],
        client_id: CLIENT_ID.into(),
        client_secret: secret_file(secrets, "lwa-secret", CLIENT_SECRET),
        refresh_token: secret_file(secrets, "lwa-refresh", REFRESH_TOKEN),
        start: Some(at("1970-01-19T00:00:00Z")),
        interval_secs: 1,
        overlap_secs: 120,
    }
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("date")
        .with_timezone(&Utc)
}

/// The hub's store, ingest writer, mappings and schema, without HTTP.
async fn context() -> (PullContext, tempfile::TempDir) {
    let temp = tempfile::tempdir().expect("tempdir");
    let store = o2c_store::open(&temp.path().join("hub.db").to_string_lossy())
        .await
        .expect("store");
    let ingest = IngestQueue::start(
        store.clone(),
        IngestConfig::default(),
        Arc::new(tokio::sync::Notify::new()),
    );
    let ctx = PullContext {
        store,
        ingest,
        mappings: Arc::new(MappingSet::shipped().expect("mappings")),
        schema: Arc::new(OrderSchema::new().expect("schema")),
    };
    (ctx, temp)
}

async fn channel_orders(store: &dyn Store, channel: &str) -> Vec<String> {
    let mut ids: Vec<String> = store
        .list_orders(None, 100)
        .await
        .expect("orders")
        .into_iter()
        .filter(|o| o.channel == channel)
        .map(|o| o.channel_order_id)
        .collect();
    ids.sort();
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn amazon_orders_are_stored_once_and_the_cursor_moves_after_them() {
    let (_fake, base) = start_amazon().await;
    let (ctx, _temp) = context().await;
    let secrets = tempfile::tempdir().expect("tempdir");
    let puller = AmazonPuller::from_config(&amazon_config(&base, &secrets)).expect("puller");
    let name = puller.cursor_name();
    assert_eq!(name, format!("amazon:{SELLER}"));
    let channel = name.clone();

    let first = pull_once(&ctx, &puller).await.expect("first pass");
    assert_eq!(
        (
            first.fetched,
            first.accepted,
            first.skipped,
            first.duplicates
        ),
        (3, 2, 1, 0),
        "{first:?}"
    );
    let stored_ids = channel_orders(ctx.store.as_ref(), &channel).await;
    assert_eq!(stored_ids, ["902-1845936-5435065", "902-8745147-1934268"]);
    assert!(
        !stored_ids.iter().any(|id| id == PENDING_ID),
        "the Pending order is not stored"
    );
    let saved = ctx
        .store
        .load_cursor(&name)
        .await
        .expect("load")
        .expect("cursor saved");
    assert_eq!(saved.value["high_water"], json!("2017-01-20T19:49:35Z"));

    // The mapping that made the order is recorded with it, and the raw
    // pulled document is kept.
    let stored = ctx.store.list_orders(None, 10).await.expect("orders");
    let journal = ctx
        .store
        .load_journal(stored[0].order_id)
        .await
        .expect("journal");
    assert_eq!(
        journal[0].data["order"]["mapping"],
        json!({"name": "amazon", "version": 2})
    );
    let inbox = ctx
        .store
        .inbox_for_order(stored[0].order_id)
        .await
        .expect("inbox");
    let payload: Value = serde_json::from_str(&inbox[0].payload).expect("payload");
    assert_eq!(
        payload["order"]["AmazonOrderId"],
        json!(stored[0].channel_order_id)
    );

    // A crash after the orders were stored but before the cursor was: the
    // page comes again and nothing is stored twice.
    ctx.store
        .save_cursor(&name, &puller.initial_cursor(), Utc::now())
        .await
        .expect("roll back");
    let again = pull_once(&ctx, &puller).await.expect("re-fetch");
    assert_eq!(
        (again.accepted, again.duplicates, again.skipped),
        (0, 2, 1),
        "{again:?}"
    );
    assert_eq!(channel_orders(ctx.store.as_ref(), &channel).await.len(), 2);

    // From the saved cursor the overlap window brings the same versions
    // back, which the cursor already returned: nothing fetched.
    let quiet = pull_once(&ctx, &puller).await.expect("third pass");
    assert_eq!(quiet.fetched, 0, "{quiet:?}");
    assert_eq!(channel_orders(ctx.store.as_ref(), &channel).await.len(), 2);
}

/// The change jobs queued for an order, as their stored payloads.
async fn change_jobs(store: &dyn Store, order_id: uuid::Uuid) -> Vec<Value> {
    store
        .list_jobs(None, 100)
        .await
        .expect("jobs")
        .into_iter()
        .filter(|j| j.kind == "channel_change" && j.queue_key == order_id.to_string())
        .map(|j| j.payload)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_known_amazon_order_pulled_again_is_a_change_and_canceled_cancels_it() {
    let (fake, base) = start_amazon().await;
    let (ctx, _temp) = context().await;
    let secrets = tempfile::tempdir().expect("tempdir");
    let puller = AmazonPuller::from_config(&amazon_config(&base, &secrets)).expect("puller");
    let channel = puller.cursor_name();
    let first = pull_once(&ctx, &puller).await.expect("first pass");
    assert_eq!((first.accepted, first.changes), (2, 0), "{first:?}");
    let known = "902-1845936-5435065";
    let order_id = ctx
        .store
        .find_order_by_channel_id(&channel, known)
        .await
        .expect("find")
        .expect("stored")
        .order_id;

    // The buyer changes the quantity: Amazon moves LastUpdateDate. The
    // pull answers a duplicate of the order and queues its new content.
    fake.quantities
        .lock()
        .expect("lock")
        .insert(known.into(), 2);
    fake.edit(known, json!({"LastUpdateDate": "2017-02-01T00:00:00Z"}));
    let edited = pull_once(&ctx, &puller).await.expect("edited pass");
    assert_eq!(
        (edited.accepted, edited.duplicates, edited.changes),
        (0, 1, 1),
        "{edited:?}"
    );
    let jobs = change_jobs(ctx.store.as_ref(), order_id).await;
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    assert_eq!(jobs[0]["topic"], "pull/updated");
    assert_eq!(jobs[0]["channel"], json!(channel));
    assert_eq!(jobs[0]["change"]["kind"], "updated");
    assert_eq!(jobs[0]["change"]["version"], "2017-02-01T00:00:00Z");
    assert_eq!(
        jobs[0]["change"]["order"]["lines"][0]["quantity"]["value"],
        "2"
    );
    // The same version fetched again (the cursor was lost) queues nothing new.
    ctx.store
        .save_cursor(&channel, &puller.initial_cursor(), Utc::now())
        .await
        .expect("roll back");
    pull_once(&ctx, &puller).await.expect("re-fetch");
    assert_eq!(change_jobs(ctx.store.as_ref(), order_id).await.len(), 1);

    // Amazon cancels it; a Canceled order the hub never had (the Pending
    // one) is skipped, not captured.
    fake.edit(
        known,
        json!({"OrderStatus": "Canceled", "LastUpdateDate": "2017-02-02T00:00:00Z"}),
    );
    fake.edit(
        PENDING_ID,
        json!({"OrderStatus": "Canceled", "LastUpdateDate": "2017-02-02T00:00:00Z"}),
    );
    let cancelled = pull_once(&ctx, &puller).await.expect("cancel pass");
    assert_eq!(
        (cancelled.accepted, cancelled.changes, cancelled.skipped),
        (0, 1, 1),
        "{cancelled:?}"
    );
    let jobs = change_jobs(ctx.store.as_ref(), order_id).await;
    assert_eq!(jobs.len(), 2, "{jobs:?}");
    let withdrawn = jobs
        .iter()
        .find(|j| j["topic"] == "pull/withdrawn")
        .expect("the withdrawal's job");
    assert_eq!(withdrawn["change"]["kind"], "cancelled");
    assert_eq!(
        withdrawn["change"]["reason"],
        format!("amazon order {known} is Canceled")
    );
    assert_eq!(
        ctx.store
            .find_order_by_channel_id(&channel, PENDING_ID)
            .await
            .expect("find"),
        None
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_pull_keeps_the_cursor() {
    let (_fake, base) = start_amazon().await;
    let (ctx, _temp) = context().await;
    let secrets = tempfile::tempdir().expect("tempdir");
    let mut config = amazon_config(&base, &secrets);
    // LWA refuses this refresh token: the pass fails before any order.
    config.refresh_token = secret_file(&secrets, "wrong", "Atzr|revoked");
    let puller = AmazonPuller::from_config(&config).expect("puller");
    let error = pull_once(&ctx, &puller).await.expect_err("refused");
    assert!(error.message.contains("invalid_grant"), "{error}");
    assert!(
        !error.message.contains("Atzr|revoked"),
        "secret leaked: {error}"
    );
    assert_eq!(
        ctx.store
            .load_cursor(&puller.cursor_name())
            .await
            .expect("load"),
        None
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hub_runs_the_amazon_puller_on_its_interval() {
    let (fake, base) = start_amazon().await;
    let secrets = tempfile::tempdir().expect("tempdir");
    let config = HubConfig {
        pull: PullConfig {
            amazon: vec![amazon_config(&base, &secrets)],
            ..PullConfig::default()
        },
        ..HubConfig::default()
    };
    let hub = TestHub::sqlite_with(config).await;
    let channel = format!("amazon:{SELLER}");
    // Two passes at least (one per second): the second sees the same orders.
    let deadline = Instant::now() + Duration::from_secs(20);
    while fake.first_pages.load(Ordering::SeqCst) < 3 {
        assert!(Instant::now() < deadline, "the puller did not run");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        channel_orders(hub.store.as_ref(), &channel).await,
        ["902-1845936-5435065", "902-8745147-1934268"]
    );
    let cursor = hub
        .store
        .load_cursor(&channel)
        .await
        .expect("load")
        .expect("cursor");
    assert_eq!(cursor.value["high_water"], json!("2017-01-20T19:49:35Z"));
    hub.shutdown().await;
}

// ----------------------------------------------------------------- Shopify

const SHOP: &str = "shop.myshopify.com";
const SHOPIFY_TOKEN: &str = "shpat_fake_admin_token";
const SHOPIFY_SECRET: &str = "hush-shopify-app-secret";

fn shopify_sample(name: &str) -> Value {
    let path = format!(
        "{}/../o2c-connectors/tests/fixtures/shopify/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("json")
}

/// The real samples as Shopify's order list holds them: the Admin REST
/// order resource and the order of the orders/create delivery.
fn shop_orders() -> Vec<Value> {
    vec![
        shopify_sample("pyapi_order.json")["order"].clone(),
        shopify_sample("hookdeck_2024-10_orders.create.json")["body"].clone(),
    ]
}

#[derive(Default)]
struct FakeShopify {
    throttled: AtomicBool,
    requests: Mutex<Vec<String>>,
}

/// `GET /admin/api/2024-10/orders.json`: filters and sorts as Shopify does,
/// pages by `page_info` in the `Link` header, refuses filters next to a
/// `page_info`, and throttles the very first call with `Retry-After`.
async fn shop_orders_json(
    State(fake): State<Arc<FakeShopify>>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let mut pairs: Vec<_> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
    pairs.sort();
    fake.requests.lock().expect("lock").push(pairs.join("&"));
    if headers
        .get("x-shopify-access-token")
        .and_then(|v| v.to_str().ok())
        != Some(SHOPIFY_TOKEN)
    {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"})),
        )
            .into_response();
    }
    if !fake.throttled.swap(true, Ordering::SeqCst) {
        let mut answer = (
            StatusCode::TOO_MANY_REQUESTS,
            Json(json!({"errors": "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."})),
        )
            .into_response();
        answer
            .headers_mut()
            .insert("retry-after", HeaderValue::from_static("1.0"));
        return answer;
    }
    let limit: usize = query
        .get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(50);
    // page_info = "<offset>|<updated_at_min>", opaque to the client.
    let (offset, min) = match query.get("page_info") {
        Some(page_info) => {
            if query.len() > 2 {
                return (
                    StatusCode::BAD_REQUEST,
                    Json(json!({"errors": {"page_info": ["Invalid value."]}})),
                )
                    .into_response();
            }
            let Some((offset, min)) = page_info.split_once('|') else {
                return (
                    StatusCode::BAD_REQUEST,
                    Json(json!({"errors": {"page_info": ["Invalid value."]}})),
                )
                    .into_response();
            };
            (offset.parse::<usize>().unwrap_or(0), min.to_owned())
        }
        None => {
            assert_eq!(query.get("status").map(String::as_str), Some("any"));
            assert_eq!(
                query.get("order").map(String::as_str),
                Some("updated_at asc")
            );
            (0, query.get("updated_at_min").cloned().unwrap_or_default())
        }
    };
    let min = DateTime::parse_from_rfc3339(&min)
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
    let updated = |o: &Value| {
        o["updated_at"]
            .as_str()
            .and_then(|d| DateTime::parse_from_rfc3339(d).ok())
            .map(|d| d.with_timezone(&Utc))
    };
    let mut matching: Vec<Value> = shop_orders()
        .into_iter()
        .filter(|o| updated(o).is_some_and(|d| d >= min))
        .collect();
    matching.sort_by_key(|o| updated(o));
    let page: Vec<Value> = matching.iter().skip(offset).take(limit).cloned().collect();
    let mut answer = Json(json!({ "orders": page })).into_response();
    if offset + limit < matching.len() {
        let next = format!(
            "<http://shop.test/admin/api/2024-10/orders.json?limit={limit}&page_info={}%7C{}>; rel=\"next\"",
            offset + limit,
            min.to_rfc3339().replace('+', "%2B").replace(':', "%3A")
        );
        answer
            .headers_mut()
            .insert("link", HeaderValue::from_str(&next).expect("link"));
    }
    answer
}

async fn start_shopify() -> (Arc<FakeShopify>, String) {
    let fake = Arc::new(FakeShopify::default());
    let app = Router::new()
        .route("/admin/api/2024-10/orders.json", get(shop_orders_json))
        .with_state(fake.clone());
    (fake, serve(app).await)
}

fn shopify_config(base: &str, secrets: &tempfile::TempDir) -> ShopifyPull {
    ShopifyPull {
        domain: SHOP.into(),
        base_url: Some(base.into()),
        access_token: secret_file(secrets, "shopify-token", SHOPIFY_TOKEN),
        start: Some(at("2000-01-01T00:00:00Z")),
        interval_secs: 1,
        overlap_secs: 60,
        page_size: 1,
        ..ShopifyPull::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shopify_catch_up_pages_by_link_header_and_overlaps_its_window() {
    let (fake, base) = start_shopify().await;
    let (ctx, _temp) = context().await;
    let secrets = tempfile::tempdir().expect("tempdir");
    let puller = ShopifyPuller::from_config(&shopify_config(&base, &secrets)).expect("puller");
    let channel = format!("shopify:{SHOP}");
    assert_eq!(puller.cursor_name(), channel);

    // Page 1 (after one 429 and its Retry-After): the oldest order.
    let started = Instant::now();
    let first = pull_once(&ctx, &puller).await.expect("page 1");
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "Retry-After respected"
    );
    assert_eq!((first.accepted, first.more), (1, true), "{first:?}");
    // Page 2 by page_info: the newest order, end of the sweep.
    let second = pull_once(&ctx, &puller).await.expect("page 2");
    assert_eq!((second.accepted, second.more), (1, false), "{second:?}");
    assert_eq!(
        channel_orders(ctx.store.as_ref(), &channel).await,
        ["450789469", "820982911946154508"]
    );
    let cursor = ctx
        .store
        .load_cursor(&channel)
        .await
        .expect("load")
        .expect("cursor");
    // The next sweep starts a minute below the newest updated_at.
    assert_eq!(cursor.value["since"], json!("2021-12-31T23:59:00Z"));
    assert_eq!(cursor.value["page_info"], Value::Null);

    // The overlap brings the newest order again: a duplicate, not a new order.
    let third = pull_once(&ctx, &puller).await.expect("next sweep");
    assert_eq!(
        (third.fetched, third.accepted, third.duplicates),
        (1, 0, 1),
        "{third:?}"
    );
    let requests = fake.requests.lock().expect("lock").clone();
    assert_eq!(
        requests,
        [
            "limit=1&order=updated_at asc&status=any&updated_at_min=2000-01-01T00:00:00Z",
            "limit=1&order=updated_at asc&status=any&updated_at_min=2000-01-01T00:00:00Z",
            "limit=1&page_info=1|2000-01-01T00:00:00+00:00",
            "limit=1&order=updated_at asc&status=any&updated_at_min=2021-12-31T23:59:00Z",
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pulled_shopify_order_and_its_webhook_make_one_order() {
    let (_fake, base) = start_shopify().await;
    let secrets = tempfile::tempdir().expect("tempdir");
    let config = HubConfig {
        shopify: vec![ShopifyShop {
            domain: SHOP.into(),
            secret: Some(SHOPIFY_SECRET.into()),
            secret_file: None,
        }],
        pull: PullConfig {
            shopify: vec![shopify_config(&base, &secrets)],
            ..PullConfig::default()
        },
        ..HubConfig::default()
    };
    let hub = TestHub::sqlite_with(config).await;
    let channel = format!("shopify:{SHOP}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while channel_orders(hub.store.as_ref(), &channel).await.len() < 2 {
        assert!(Instant::now() < deadline, "the puller did not catch up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Shopify now delivers the orders/create webhook of an order the pull
    // already stored.
    let body = shopify_sample("hookdeck_2024-10_orders.create.json")["body"].to_string();
    let signature = o2c_connectors::shopify::sign(SHOPIFY_SECRET.as_bytes(), body.as_bytes());
    let answer: Value = hub
        .http
        .post(format!("{}/v1/channels/shopify/{SHOP}/webhooks", hub.base))
        .header("content-type", "application/json")
        .header("x-shopify-hmac-sha256", signature)
        .header("x-shopify-topic", "orders/create")
        .header("x-shopify-shop-domain", SHOP)
        .header(
            "x-shopify-webhook-id",
            "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
        )
        .body(body)
        .send()
        .await
        .expect("deliver")
        .json()
        .await
        .expect("json");
    assert_eq!(answer["status"], json!("duplicate"), "{answer}");
    assert_eq!(
        channel_orders(hub.store.as_ref(), &channel).await,
        ["450789469", "820982911946154508"]
    );
    hub.shutdown().await;
}

// -------------------------------------------------------------- Salesforce

const SF_CLIENT_ID: &str = "3MVG9fakeConsumerKey";
const SF_SECRET: &str = "fake-consumer-secret";

/// A record in the REST API's documented shape (generated: there are no
/// published Salesforce samples in the fixtures).
fn sf_record(kind: &str, id: &str, modstamp: &str, children: &str, lines: Value) -> Value {
    let mut record = json!({
        "attributes": {"type": kind, "url": format!("/services/data/v62.0/sobjects/{kind}/{id}")},
        "Id": id,
        "SystemModstamp": modstamp,
        "Account": {"attributes": {"type": "Account", "url": "/services/data/v62.0/sobjects/Account/0015g0000000001AAA"},
                    "Id": "0015g0000000001AAA", "Name": "Acme Wholesale"},
    });
    record[children] = json!({"totalSize": 1, "done": true, "records": lines});
    record
}

fn sf_line(kind: &str, id: &str, code: &str, quantity: &str, price: &str) -> Value {
    json!([{
        "attributes": {"type": kind, "url": format!("/services/data/v62.0/sobjects/{kind}/{id}")},
        "Id": id,
        "Product2": {"attributes": {"type": "Product2", "url": "/services/data/v62.0/sobjects/Product2/01t5g0000000001AAA"},
                     "ProductCode": code, "Name": code},
        "Quantity": serde_json::from_str::<Value>(quantity).expect("number"),
        "UnitPrice": serde_json::from_str::<Value>(price).expect("number")
    }])
}

const SF_ORDER_ID: &str = "8015g0000000001AAA";

/// The Order as the org holds it at `modstamp`: in `status`, one line of
/// `quantity` × `code`, shipped to a complete address.
fn sf_order(modstamp: &str, status: &str, code: &str, quantity: &str) -> Value {
    let mut order = sf_record(
        "Order",
        SF_ORDER_ID,
        modstamp,
        "OrderItems",
        sf_line("OrderItem", "8025g0000000001AAA", code, quantity, "10.50"),
    );
    order["Status"] = json!(status);
    order["EffectiveDate"] = json!("2024-05-01");
    order["CurrencyIsoCode"] = json!("USD");
    order["ShippingStreet"] = json!("1 Market St");
    order["ShippingCity"] = json!("San Francisco");
    order["ShippingPostalCode"] = json!("94105");
    order["ShippingCountry"] = json!("US");
    order
}

/// A fake org: the token endpoint and the query API over one Order (which
/// a test changes as a user would in Salesforce) and one closed-won
/// Opportunity, each filtered as Salesforce does by the query's
/// `Status IN (...)` / `StageName IN (...)` and `SystemModstamp >=`.
struct FakeSalesforce {
    base: std::sync::OnceLock<String>,
    order: Mutex<Value>,
    /// Order queries answered: a test waits for a pass with this.
    order_queries: AtomicUsize,
    opportunity: Mutex<Value>,
    /// Queries of the Opportunities out of the won stages answered.
    unwon_queries: AtomicUsize,
}

const SF_OPPORTUNITY_ID: &str = "0065g0000000001AAA";

/// The Opportunity as the org holds it at `modstamp`: in `stage`, one line
/// of 2 × `code`.
fn sf_opportunity(modstamp: &str, stage: &str, code: &str) -> Value {
    let mut opportunity = sf_record(
        "Opportunity",
        SF_OPPORTUNITY_ID,
        modstamp,
        "OpportunityLineItems",
        sf_line(
            "OpportunityLineItem",
            "00k5g0000000001AAA",
            code,
            "2.0",
            "10.50",
        ),
    );
    opportunity["CloseDate"] = json!("2024-05-01");
    opportunity["StageName"] = json!(stage);
    opportunity["Name"] = json!("Acme expansion");
    opportunity
}

async fn sf_token(
    State(fake): State<Arc<FakeSalesforce>>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if form.get("grant_type").map(String::as_str) == Some("client_credentials")
        && form.get("client_id").map(String::as_str) == Some(SF_CLIENT_ID)
        && form.get("client_secret").map(String::as_str) == Some(SF_SECRET)
    {
        Json(json!({"access_token": "00DFAKE!session", "instance_url": fake.base.get().expect("base"), "token_type": "Bearer"}))
            .into_response()
    } else {
        (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "invalid_client", "error_description": "invalid client credentials"})),
        )
            .into_response()
    }
}

/// The quoted values of the SOQL's `<field> IN (...)`.
fn soql_in(soql: &str, field: &str) -> Vec<String> {
    soql.split(&format!("{field} IN ("))
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .map(|list| {
            list.split(", ")
                .map(|v| v.trim_matches('\'').to_owned())
                .collect()
        })
        .unwrap_or_default()
}

async fn sf_query(
    State(fake): State<Arc<FakeSalesforce>>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("Bearer 00DFAKE!session")
    {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!([{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}])),
        )
            .into_response();
    }
    let soql = params.get("q").cloned().unwrap_or_default();
    let since = soql
        .split("SystemModstamp >= ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(o2c_connectors::salesforce::parse_modstamp);
    let (record, wanted) = if soql.contains(" FROM Order WHERE Status IN (") {
        let order = fake.order.lock().expect("lock").clone();
        let wanted = soql_in(&soql, "Status")
            .contains(&order["Status"].as_str().unwrap_or_default().to_owned());
        fake.order_queries.fetch_add(1, Ordering::SeqCst);
        (order, wanted)
    } else if soql.contains(" FROM Opportunity WHERE StageName IN (") {
        let opportunity = fake.opportunity.lock().expect("lock").clone();
        let wanted = soql_in(&soql, "StageName").contains(
            &opportunity["StageName"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        );
        (opportunity, wanted)
    } else if soql.starts_with(
        "SELECT Id, Name, StageName, SystemModstamp FROM Opportunity WHERE StageName NOT IN (",
    ) {
        // the lean query: only the fields it selects
        let full = fake.opportunity.lock().expect("lock").clone();
        let wanted = !soql_in(&soql, "StageName NOT")
            .contains(&full["StageName"].as_str().unwrap_or_default().to_owned());
        let mut lean = json!({ "attributes": full["attributes"].clone() });
        for field in ["Id", "Name", "StageName", "SystemModstamp"] {
            lean[field] = full[field].clone();
        }
        fake.unwon_queries.fetch_add(1, Ordering::SeqCst);
        (lean, wanted)
    } else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!([{"message": "unexpected query", "errorCode": "MALFORMED_QUERY"}])),
        )
            .into_response();
    };
    let stamp = record["SystemModstamp"]
        .as_str()
        .and_then(o2c_connectors::salesforce::parse_modstamp);
    let records: Vec<Value> = match (since, stamp) {
        (Some(since), Some(stamp)) if wanted && stamp >= since => vec![record],
        _ => Vec::new(),
    };
    Json(json!({"totalSize": records.len(), "done": true, "records": records})).into_response()
}

async fn start_salesforce(order: Value) -> (Arc<FakeSalesforce>, String) {
    start_salesforce_with(
        order,
        sf_opportunity("2024-05-01T11:00:00.000+0000", "Closed Won", "WID-100"),
    )
    .await
}

async fn start_salesforce_with(order: Value, opportunity: Value) -> (Arc<FakeSalesforce>, String) {
    let fake = Arc::new(FakeSalesforce {
        base: std::sync::OnceLock::new(),
        order: Mutex::new(order),
        order_queries: AtomicUsize::new(0),
        opportunity: Mutex::new(opportunity),
        unwon_queries: AtomicUsize::new(0),
    });
    let app = Router::new()
        .route("/services/oauth2/token", post(sf_token))
        .route("/services/data/v62.0/query", get(sf_query))
        .with_state(fake.clone());
    let base = serve(app).await;
    fake.base.set(base.clone()).expect("set once");
    (fake, base)
}

fn salesforce_config(base: &str, secrets: &tempfile::TempDir) -> SalesforcePull {
    SalesforcePull {
        account: "acme-prod".into(),
        login_url: base.into(),
        client_id: SF_CLIENT_ID.into(),
        client_secret: secret_file(secrets, "sf-secret", SF_SECRET),
        currency: Some("EUR".into()),
        extra_order_fields: vec!["CurrencyIsoCode".into()],
        start: Some(at("2024-05-01T00:00:00Z")),
        ..SalesforcePull::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn salesforce_orders_and_won_opportunities_are_pulled_once() {
    let (_fake, base) = start_salesforce(sf_order(
        "2024-05-01T10:00:00.000+0000",
        "Activated",
        "WID-100",
        "2.0",
    ))
    .await;
    let (ctx, _temp) = context().await;
    let secrets = tempfile::tempdir().expect("tempdir");
    let puller = SalesforcePuller::from_config(&SalesforcePull {
        opportunities: true,
        ..salesforce_config(&base, &secrets)
    })
    .expect("puller");
    let channel = "salesforce:acme-prod";
    assert_eq!(puller.cursor_name(), channel);
    let first = pull_once(&ctx, &puller).await.expect("first pass");
    assert_eq!((first.fetched, first.accepted), (2, 2), "{first:?}");
    assert_eq!(
        channel_orders(ctx.store.as_ref(), channel).await,
        ["0065g0000000001AAA", "8015g0000000001AAA"]
    );
    let cursor = ctx
        .store
        .load_cursor(channel)
        .await
        .expect("load")
        .expect("saved");
    assert_eq!(
        cursor.value["orders"]["high_water"],
        json!("2024-05-01T10:00:00Z")
    );
    assert_eq!(
        cursor.value["opportunities"]["high_water"],
        json!("2024-05-01T11:00:00Z")
    );
    // The overlap reads both again; the cursor already returned them.
    let second = pull_once(&ctx, &puller).await.expect("second pass");
    assert_eq!(second.fetched, 0, "{second:?}");
    assert_eq!(channel_orders(ctx.store.as_ref(), channel).await.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_then_deactivated_salesforce_order_is_revised_then_cancelled_in_odoo() {
    let stamp = |minute: u32| format!("2024-05-01T10:{minute:02}:00.000+0000");
    let (fake, base) = start_salesforce(sf_order(&stamp(0), "Activated", "SKU-00001", "3.0")).await;
    let secrets = tempfile::tempdir().expect("tempdir");
    let hub = TestHub::sqlite_with(HubConfig {
        pull: PullConfig {
            salesforce: vec![SalesforcePull {
                interval_secs: 1,
                ..salesforce_config(&base, &secrets)
            }],
            ..PullConfig::default()
        },
        ..HubConfig::default()
    })
    .await;
    let channel = "salesforce:acme-prod";
    let deadline = Instant::now() + Duration::from_secs(20);
    let order_id = loop {
        if let Some(order) = hub
            .store
            .find_order_by_channel_id(channel, SF_ORDER_ID)
            .await
            .expect("find")
        {
            break order.order_id.to_string();
        }
        assert!(Instant::now() < deadline, "the puller did not run");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let confirmed = hub.wait_for_status(&order_id, "confirmed").await;
    let sale_order = confirmed["erp"]["order_id"].as_i64().expect("erp id");
    assert_eq!(hub.line_quantities(sale_order).await, [3.0]);

    // A user edits the item in Salesforce: a newer SystemModstamp.
    *fake.order.lock().expect("lock") = sf_order(&stamp(5), "Activated", "SKU-00001", "5.0");
    hub.wait_for_events(&order_id, "o2c.order.revised.v1", 1)
        .await;
    assert_eq!(hub.line_quantities(sale_order).await, [5.0]);

    // An older version (a late commit inside the overlap window) is pulled
    // and changes nothing.
    *fake.order.lock().expect("lock") = sf_order(&stamp(2), "Activated", "SKU-00001", "7.0");
    let seen = fake.order_queries.load(Ordering::SeqCst);
    let passes = Instant::now() + Duration::from_secs(20);
    while fake.order_queries.load(Ordering::SeqCst) < seen + 2 {
        assert!(Instant::now() < passes, "no pass");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    hub.settle().await;
    assert_eq!(hub.line_quantities(sale_order).await, [5.0]);
    let revised = hub
        .journal_types(&order_id)
        .await
        .into_iter()
        .filter(|t| t == "o2c.order.revised.v1")
        .count();
    assert_eq!(revised, 1);

    // The Order is deactivated (back to Draft): the hub order and the Odoo
    // order are cancelled.
    *fake.order.lock().expect("lock") = sf_order(&stamp(10), "Draft", "SKU-00001", "5.0");
    hub.wait_for_status(&order_id, "cancelled").await;
    hub.settle().await;
    let odoo = common::odoo_search_read(
        &hub.odoo_url,
        "sale.order",
        json!([["id", "=", sale_order]]),
        &["state"],
    )
    .await;
    assert_eq!(odoo[0]["state"], "cancel", "{odoo:?}");
    let dead = hub
        .store
        .list_jobs(Some(o2c_store::JobState::Dead), 10)
        .await
        .expect("jobs");
    assert!(dead.is_empty(), "{dead:?}");
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_opportunity_out_of_closed_won_is_withdrawn_only_when_the_hub_holds_it() {
    let stamp = |minute: u32| format!("2024-05-01T11:{minute:02}:00.000+0000");
    // an open Opportunity the hub never had
    let (fake, base) = start_salesforce_with(
        sf_order("2024-05-01T10:00:00.000+0000", "Draft", "WID-100", "2.0"),
        sf_opportunity(&stamp(0), "Prospecting", "WID-100"),
    )
    .await;
    let (ctx, _temp) = context().await;
    let secrets = tempfile::tempdir().expect("tempdir");
    let puller = SalesforcePuller::from_config(&SalesforcePull {
        opportunities: true,
        ..salesforce_config(&base, &secrets)
    })
    .expect("puller");
    let channel = "salesforce:acme-prod";
    let first = pull_once(&ctx, &puller).await.expect("first pass");
    // the Draft Order and the open Opportunity: both skipped, nothing held
    assert_eq!(
        (first.fetched, first.accepted, first.skipped, first.changes),
        (2, 0, 2, 0),
        "{first:?}"
    );
    assert!(channel_orders(ctx.store.as_ref(), channel).await.is_empty());
    assert_eq!(fake.unwon_queries.load(Ordering::SeqCst), 1);
    // it is won: captured
    *fake.opportunity.lock().expect("lock") = sf_opportunity(&stamp(5), "Closed Won", "WID-100");
    let won = pull_once(&ctx, &puller).await.expect("won pass");
    assert_eq!((won.accepted, won.changes), (1, 0), "{won:?}");
    assert_eq!(
        channel_orders(ctx.store.as_ref(), channel).await,
        [SF_OPPORTUNITY_ID]
    );
    // and back to an open stage: one withdrawal queued on the held order
    *fake.opportunity.lock().expect("lock") =
        sf_opportunity(&stamp(9), "Negotiation/Review", "WID-100");
    let reopened = pull_once(&ctx, &puller).await.expect("reopened pass");
    assert_eq!(
        (reopened.fetched, reopened.accepted, reopened.changes),
        (1, 0, 1),
        "{reopened:?}"
    );
    let held = ctx
        .store
        .find_order_by_channel_id(channel, SF_OPPORTUNITY_ID)
        .await
        .expect("find")
        .expect("held");
    let jobs = ctx
        .store
        .list_jobs(None, 50)
        .await
        .expect("jobs")
        .into_iter()
        .filter(|j| j.queue_key == held.order_id.to_string() && j.kind == "channel_change")
        .count();
    assert_eq!(jobs, 1);
    // the same version again (the overlap window): nothing new
    let again = pull_once(&ctx, &puller).await.expect("again");
    assert_eq!((again.fetched, again.changes), (0, 0), "{again:?}");
    let cursor = ctx
        .store
        .load_cursor(channel)
        .await
        .expect("load")
        .expect("saved");
    assert_eq!(
        cursor.value["unwon_opportunities"]["high_water"],
        json!("2024-05-01T11:09:00Z")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_won_opportunity_then_lost_is_cancelled_in_odoo() {
    let stamp = |minute: u32| format!("2024-05-01T11:{minute:02}:00.000+0000");
    let shipped = |mut opportunity: Value| {
        opportunity["CurrencyIsoCode"] = json!("USD");
        opportunity["ShippingStreet"] = json!("1 Market St");
        opportunity["ShippingCity"] = json!("San Francisco");
        opportunity["ShippingPostalCode"] = json!("94105");
        opportunity["ShippingCountry"] = json!("US");
        opportunity
    };
    let (fake, base) = start_salesforce_with(
        sf_order("2024-05-01T10:00:00.000+0000", "Draft", "SKU-00001", "1.0"),
        shipped(sf_opportunity(&stamp(0), "Closed Won", "SKU-00001")),
    )
    .await;
    let secrets = tempfile::tempdir().expect("tempdir");
    let hub = TestHub::sqlite_with(HubConfig {
        pull: PullConfig {
            salesforce: vec![SalesforcePull {
                interval_secs: 1,
                opportunities: true,
                ..salesforce_config(&base, &secrets)
            }],
            ..PullConfig::default()
        },
        ..HubConfig::default()
    })
    .await;
    let channel = "salesforce:acme-prod";
    let deadline = Instant::now() + Duration::from_secs(20);
    let order_id = loop {
        if let Some(order) = hub
            .store
            .find_order_by_channel_id(channel, SF_OPPORTUNITY_ID)
            .await
            .expect("find")
        {
            break order.order_id.to_string();
        }
        assert!(Instant::now() < deadline, "the puller did not run");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let confirmed = hub.wait_for_status(&order_id, "confirmed").await;
    let sale_order = confirmed["erp"]["order_id"].as_i64().expect("erp id");
    // lost after all: the hub order and the Odoo order are cancelled
    *fake.opportunity.lock().expect("lock") =
        shipped(sf_opportunity(&stamp(7), "Closed Lost", "SKU-00001"));
    hub.wait_for_status(&order_id, "cancelled").await;
    hub.settle().await;
    let odoo = common::odoo_search_read(
        &hub.odoo_url,
        "sale.order",
        json!([["id", "=", sale_order]]),
        &["state"],
    )
    .await;
    assert_eq!(odoo[0]["state"], "cancel", "{odoo:?}");
    let journal = hub.journal_types(&order_id).await;
    assert!(
        journal.iter().any(|t| t == "o2c.order.cancelled.v1"),
        "{journal:?}"
    );
    hub.shutdown().await;
}
