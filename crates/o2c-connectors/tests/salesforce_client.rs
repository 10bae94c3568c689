//! The Salesforce connector against a local fake Salesforce (axum on
//! 127.0.0.1:0): both OAuth flows (client credentials; JWT bearer with an
//! RS256 assertion signed by a key pair generated here and verified by the
//! fake with the public half), the REST query API with `nextRecordsUrl`
//! paging of the query and of a nested `OrderItems` result, a session
//! revoked mid-way (401, log in again, retry), the `SystemModstamp` cursor
//! with its overlap, and the shipped mapping on what was pulled.
//!
//! There are no published Salesforce samples in the fixtures: the fake's
//! records come from a generator that follows the documented REST shape
//! (`attributes {type, url}` on every record, `totalSize`, `done`,
//! `nextRecordsUrl`, relationship fields as nested records, child
//! relationships as nested query results).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use o2c_connectors::MappingSet;
use o2c_connectors::salesforce::{
    self, AuthConfig, Authenticator, ClientConfig, Grant, ModstampCursor, SalesforceClient,
    SalesforceError, Secret, SourceObject, parse_modstamp,
};
use o2c_model::Order;
use serde_json::{Value, json};
use url::Url;

const VERSION: &str = "v62.0";
const CLIENT_ID: &str = "3MVG9fakeConsumerKey";
const CLIENT_SECRET: &str = "fake-consumer-secret";
const USERNAME: &str = "integration@acme.example";
const PAGE: usize = 2;

// ---------------------------------------------------------------- generator

fn number(text: &str) -> Value {
    serde_json::from_str(text).expect("number")
}

fn sobject(kind: &str, id: &str) -> Value {
    json!({"type": kind, "url": format!("/services/data/{VERSION}/sobjects/{kind}/{id}")})
}

/// An 18-character Salesforce id with the object's key prefix.
fn sf_id(prefix: &str, n: usize) -> String {
    format!("{prefix}5g00000{n:05}AAA")
}

struct Line {
    sku: &'static str,
    name: &'static str,
    quantity: &'static str,
    unit_price: &'static str,
}

const CATALOGUE: [Line; 3] = [
    Line {
        sku: "WID-100",
        name: "Widget 100",
        quantity: "2.0",
        unit_price: "10.50",
    },
    Line {
        sku: "GAD-200",
        name: "Gadget 200",
        quantity: "1.0",
        unit_price: "99.99",
    },
    Line {
        sku: "BOLT-M8",
        name: "Bolt M8 (box)",
        quantity: "12.0",
        unit_price: "3.25",
    },
];

/// Order `n`: activated, `lines` OrderItems, changed at `modstamp`.
fn order_record(n: usize, lines: usize, modstamp: &str) -> Value {
    let id = sf_id("801", n);
    let account_id = sf_id("001", n % 3);
    let items: Vec<Value> = (0..lines)
        .map(|k| {
            let line = &CATALOGUE[k % CATALOGUE.len()];
            let item_id = sf_id("802", n * 100 + k);
            let product_id = sf_id("01t", k % CATALOGUE.len());
            json!({
                "attributes": sobject("OrderItem", &item_id),
                "Id": item_id,
                "OrderItemNumber": format!("{:010}", n * 100 + k + 1),
                "Product2": {
                    "attributes": sobject("Product2", &product_id),
                    "ProductCode": line.sku,
                    "Name": line.name
                },
                "Quantity": number(line.quantity),
                "UnitPrice": number(line.unit_price),
                "TotalPrice": Value::Null,
                "Description": Value::Null
            })
        })
        .collect();
    json!({
        "attributes": sobject("Order", &id),
        "Id": id,
        "OrderNumber": format!("{:08}", 100 + n),
        "Status": "Activated",
        "EffectiveDate": "2024-05-01",
        "PoNumber": format!("PO-{n}"),
        "Description": Value::Null,
        "TotalAmount": number("123.45"),
        "SystemModstamp": modstamp,
        "Account": {
            "attributes": sobject("Account", &account_id),
            "Id": account_id,
            "Name": "Acme Wholesale",
            "AccountNumber": "CD-1001"
        },
        "BillingStreet": "1 Market St\nSuite 300",
        "BillingCity": "San Francisco",
        "BillingState": "CA",
        "BillingPostalCode": "94105",
        "BillingCountry": "US",
        "ShippingStreet": "500 Dock Rd",
        "ShippingCity": "Oakland",
        "ShippingState": "CA",
        "ShippingPostalCode": "94607",
        "ShippingCountry": "US",
        "CurrencyIsoCode": "USD",
        "OrderItems": {"totalSize": lines, "done": true, "records": items}
    })
}

fn opportunity_record(n: usize, modstamp: &str) -> Value {
    let id = sf_id("006", n);
    let account_id = sf_id("001", n);
    let line_id = sf_id("00k", n);
    json!({
        "attributes": sobject("Opportunity", &id),
        "Id": id,
        "Name": format!("Acme - {n} boxes"),
        "StageName": "Closed Won",
        "CloseDate": "2024-05-02",
        "Amount": number("35.10"),
        "Description": "Signed quote",
        "SystemModstamp": modstamp,
        "Account": {"attributes": sobject("Account", &account_id), "Id": account_id, "Name": "Beta Retail", "AccountNumber": Value::Null},
        "OpportunityLineItems": {"totalSize": 1, "done": true, "records": [{
            "attributes": sobject("OpportunityLineItem", &line_id),
            "Id": line_id,
            "ProductCode": "BOLT-M8",
            "Product2": {"attributes": sobject("Product2", &sf_id("01t", 2)), "Name": "Bolt M8 (box)"},
            "Quantity": number("12.0"),
            "UnitPrice": number("3.25"),
            "TotalPrice": number("35.10"),
            "Discount": number("10.0"),
            "Description": Value::Null
        }]}
    })
}

// ---------------------------------------------------------------- the fake

struct Fake {
    base: Mutex<String>,
    public_pem: String,
    issued: AtomicUsize,
    /// The tokens currently valid.
    valid: Mutex<Vec<String>>,
    /// Revoke every session before the next query (one 401).
    revoke: AtomicBool,
    queries: Mutex<Vec<String>>,
    orders: Mutex<Vec<Value>>,
    opportunities: Mutex<Vec<Value>>,
    /// Query locators: id -> remaining records.
    cursors: Mutex<HashMap<String, Vec<Value>>>,
    /// Nested OrderItems locators: id -> the records after the first batch.
    item_pages: Mutex<HashMap<String, Vec<Value>>>,
}

fn oauth_error(error: &str, description: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

#[derive(serde::Deserialize)]
struct Assertion {
    sub: String,
}

async fn token(
    State(fake): State<Arc<Fake>>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let field = |name: &str| form.get(name).map(String::as_str);
    let base = fake.base.lock().expect("lock").clone();
    match field("grant_type") {
        Some("client_credentials") => {
            if field("client_id") != Some(CLIENT_ID)
                || field("client_secret") != Some(CLIENT_SECRET)
            {
                return oauth_error("invalid_client", "invalid client credentials");
            }
        }
        Some("urn:ietf:params:oauth:grant-type:jwt-bearer") => {
            let Some(assertion) = field("assertion") else {
                return oauth_error("invalid_request", "assertion missing");
            };
            let key = jsonwebtoken::DecodingKey::from_rsa_pem(fake.public_pem.as_bytes())
                .expect("public key");
            let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
            validation.set_audience(&[base.as_str()]);
            validation.set_issuer(&[CLIENT_ID]);
            validation.set_required_spec_claims(&["exp", "aud", "iss", "sub"]);
            match jsonwebtoken::decode::<Assertion>(assertion, &key, &validation) {
                Ok(data) if data.claims.sub == USERNAME => {}
                Ok(_) => return oauth_error("invalid_grant", "user hasn't approved this consumer"),
                Err(_) => return oauth_error("invalid_grant", "invalid assertion"),
            }
        }
        _ => return oauth_error("unsupported_grant_type", "grant type not supported"),
    }
    let n = fake.issued.fetch_add(1, Ordering::SeqCst) + 1;
    let access_token = format!("00DFAKE!session-{n}");
    fake.valid.lock().expect("lock").push(access_token.clone());
    Json(json!({
        "access_token": access_token,
        "instance_url": base,
        "id": format!("{base}/id/00DFAKE/005FAKE"),
        "token_type": "Bearer",
        "issued_at": "1714557600000",
        "signature": "fake"
    }))
    .into_response()
}

/// The 401 Salesforce answers when the bearer token is not a live session.
fn refusal(fake: &Fake, headers: &HeaderMap) -> Option<Response> {
    if fake.revoke.swap(false, Ordering::SeqCst) {
        fake.valid.lock().expect("lock").clear();
    }
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if fake.valid.lock().expect("lock").iter().any(|t| t == bearer) {
        None
    } else {
        Some(
            (
                StatusCode::UNAUTHORIZED,
                Json(json!([{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}])),
            )
                .into_response(),
        )
    }
}

/// The `SystemModstamp >= X` bound and the object of a generated query.
fn parse_query(soql: &str) -> Option<(&'static str, DateTime<Utc>)> {
    let object = if soql.contains(" FROM Order WHERE ") {
        "Order"
    } else if soql.contains(" FROM Opportunity WHERE ") {
        "Opportunity"
    } else {
        return None;
    };
    let bound = soql.split("SystemModstamp >= ").nth(1)?.split(' ').next()?;
    Some((object, parse_modstamp(bound)?))
}

fn page_of(fake: &Fake, mut rest: Vec<Value>, total: usize) -> Value {
    let tail = rest.split_off(rest.len().min(PAGE));
    if tail.is_empty() {
        return json!({"totalSize": total, "done": true, "records": rest});
    }
    let locator = format!(
        "01gFAKE{:08}-{}",
        fake.issued.load(Ordering::SeqCst),
        total - tail.len()
    );
    fake.cursors
        .lock()
        .expect("lock")
        .insert(locator.clone(), tail);
    json!({
        "totalSize": total,
        "done": false,
        "nextRecordsUrl": format!("/services/data/{VERSION}/query/{locator}"),
        "records": rest
    })
}

async fn query(
    State(fake): State<Arc<Fake>>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    if let Some(refused) = refusal(&fake, &headers) {
        return refused;
    }
    let soql = params.get("q").cloned().unwrap_or_default();
    fake.queries.lock().expect("lock").push(soql.clone());
    let Some((object, since)) = parse_query(&soql) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!([{"message": "unexpected token", "errorCode": "MALFORMED_QUERY"}])),
        )
            .into_response();
    };
    let all = match object {
        "Order" => fake.orders.lock().expect("lock").clone(),
        _ => fake.opportunities.lock().expect("lock").clone(),
    };
    let mut matching: Vec<Value> = all
        .into_iter()
        .filter(|r| {
            r["SystemModstamp"]
                .as_str()
                .and_then(parse_modstamp)
                .is_some_and(|at| at >= since)
        })
        .collect();
    matching.sort_by_key(|r| {
        (
            r["SystemModstamp"].as_str().and_then(parse_modstamp),
            r["Id"].as_str().map(str::to_owned),
        )
    });
    // Salesforce returns a big child result in batches too.
    for record in &mut matching {
        let Some(items) = record["OrderItems"]["records"].as_array().cloned() else {
            continue;
        };
        if items.len() > PAGE {
            let locator = format!(
                "01gITEMS{}-{PAGE}",
                record["Id"].as_str().unwrap_or_default()
            );
            fake.item_pages
                .lock()
                .expect("lock")
                .insert(locator.clone(), items[PAGE..].to_vec());
            record["OrderItems"] = json!({
                "totalSize": items.len(),
                "done": false,
                "nextRecordsUrl": format!("/services/data/{VERSION}/query/{locator}"),
                "records": items[..PAGE].to_vec()
            });
        }
    }
    let total = matching.len();
    Json(page_of(&fake, matching, total)).into_response()
}

async fn more(
    State(fake): State<Arc<Fake>>,
    headers: HeaderMap,
    Path(locator): Path<String>,
) -> Response {
    if let Some(refused) = refusal(&fake, &headers) {
        return refused;
    }
    if let Some(items) = fake.item_pages.lock().expect("lock").remove(&locator) {
        return Json(json!({"totalSize": items.len(), "done": true, "records": items}))
            .into_response();
    }
    let Some(rest) = fake.cursors.lock().expect("lock").remove(&locator) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(
                json!([{"message": "invalid query locator", "errorCode": "INVALID_QUERY_LOCATOR"}]),
            ),
        )
            .into_response();
    };
    let total = rest.len();
    Json(page_of(&fake, rest, total)).into_response()
}

struct Keys {
    private_pem: String,
    public_pem: String,
}

/// One RSA key pair for every test (generating one takes a while).
fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
        let private = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).expect("keygen");
        let public = rsa::RsaPublicKey::from(&private);
        Keys {
            private_pem: private
                .to_pkcs8_pem(LineEnding::LF)
                .expect("pem")
                .to_string(),
            public_pem: public.to_public_key_pem(LineEnding::LF).expect("pem"),
        }
    })
}

async fn start() -> (Arc<Fake>, Url) {
    let fake = Arc::new(Fake {
        base: Mutex::new(String::new()),
        public_pem: keys().public_pem.clone(),
        issued: AtomicUsize::new(0),
        valid: Mutex::new(Vec::new()),
        revoke: AtomicBool::new(false),
        queries: Mutex::new(Vec::new()),
        orders: Mutex::new(Vec::new()),
        opportunities: Mutex::new(Vec::new()),
        cursors: Mutex::new(HashMap::new()),
        item_pages: Mutex::new(HashMap::new()),
    });
    let app = Router::new()
        .route("/services/oauth2/token", post(token))
        .route(&format!("/services/data/{VERSION}/query"), get(query))
        .route(
            &format!("/services/data/{VERSION}/query/{{locator}}"),
            get(more),
        )
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    *fake.base.lock().expect("lock") = format!("http://{addr}");
    tokio::spawn(async move {
        axum::serve(listener, app).await.ok();
    });
    (fake, Url::parse(&format!("http://{addr}")).expect("url"))
}

fn connect(base: &Url, grant: Grant) -> SalesforceClient {
    let auth = Authenticator::new(AuthConfig {
        login_url: base.clone(),
        grant,
        timeout: Duration::from_secs(10),
    })
    .expect("auth");
    SalesforceClient::new(
        ClientConfig {
            overlap: Duration::from_secs(60),
            initial_backoff: Duration::from_millis(5),
            ..ClientConfig::default()
        },
        auth,
    )
    .expect("client")
}

fn client_credentials() -> Grant {
    Grant::ClientCredentials {
        client_id: CLIENT_ID.into(),
        client_secret: Secret::new(CLIENT_SECRET),
    }
}

fn jwt(base: &Url, private_pem: &str) -> Grant {
    Grant::JwtBearer {
        client_id: CLIENT_ID.into(),
        username: USERNAME.into(),
        private_key_pem: Secret::new(private_pem),
        audience: base.as_str().trim_end_matches('/').to_owned(),
    }
}

fn orders_since(since: DateTime<Utc>) -> String {
    salesforce::orders_soql(&["Activated".into()], &["CurrencyIsoCode".into()], since)
}

fn at(text: &str) -> DateTime<Utc> {
    parse_modstamp(text).expect("date")
}

fn map(object: SourceObject, record: &Value) -> Order {
    let set = MappingSet::shipped().expect("mappings");
    let mapping = set.get("salesforce", None).expect("salesforce mapping");
    let mut out = mapping
        .program
        .run_value(
            &salesforce::mapping_input(object, record, None),
            "acme-prod",
            "2024-05-01T12:00:00Z",
        )
        .expect("maps");
    assert_eq!(out.len(), 1);
    let order: Order = serde_json::from_value(out.remove(0)).expect("canonical");
    order.validate().expect("valid");
    order
}

// ---------------------------------------------------------------- tests

#[tokio::test]
async fn client_credentials_pages_and_the_modstamp_cursor() {
    let (fake, base) = start().await;
    *fake.orders.lock().expect("lock") = vec![
        order_record(1, 1, "2024-05-01T10:00:00.000+0000"),
        order_record(2, 3, "2024-05-01T10:00:05.000+0000"),
        order_record(3, 2, "2024-05-01T10:01:00.000+0000"),
    ];
    let client = connect(&base, client_credentials());
    let start = ModstampCursor::starting_at(at("2024-05-01T09:00:00Z"));

    // Three orders over two query pages; order 2's items over two batches.
    let (records, cursor) = client.pull_since(&start, orders_since).await.expect("pull");
    let ids: Vec<&str> = records.iter().filter_map(|r| r["Id"].as_str()).collect();
    assert_eq!(ids, [sf_id("801", 1), sf_id("801", 2), sf_id("801", 3)]);
    assert_eq!(
        records[1]["OrderItems"]["records"].as_array().map(Vec::len),
        Some(3)
    );
    assert_eq!(records[1]["OrderItems"]["done"], json!(true));
    assert_eq!(cursor.high_water, at("2024-05-01T10:01:00Z"));
    assert_eq!(fake.issued.load(Ordering::SeqCst), 1, "one login, cached");
    assert_eq!(
        fake.queries.lock().expect("lock")[0],
        orders_since(at("2024-05-01T08:59:00Z")),
        "the first query starts one overlap below the start"
    );

    // The pulled records map to canonical orders.
    let order = map(SourceObject::Order, &records[1]);
    assert_eq!(order.channel_order_id, sf_id("801", 2));
    assert_eq!(order.currency.code(), "USD");
    assert_eq!(order.customer.name, "Acme Wholesale");
    assert_eq!(order.customer_po.as_deref(), Some("PO-2"));
    let skus: Vec<&str> = order.lines.iter().map(|l| l.sku.as_str()).collect();
    assert_eq!(skus, ["WID-100", "GAD-200", "BOLT-M8"]);
    assert_eq!(order.lines[0].unit_price.to_string(), "10.50");
    assert_eq!(order.lines[2].quantity.value.to_string(), "12.0");
    let ship_to = order.ship_to.as_ref().expect("ship to");
    assert_eq!(ship_to.country, "US");
    assert_eq!(ship_to.subdivision.as_deref(), Some("US-CA"));
    let bill_to = order.bill_to.as_ref().expect("bill to");
    assert_eq!(bill_to.street_lines, ["1 Market St", "Suite 300"]);
    assert_eq!(order.order_date.to_rfc3339(), "2024-05-01T00:00:00+00:00");
    assert_eq!(
        order.declared_totals.as_ref().map(|t| t.total.to_string()),
        Some("123.45".into())
    );

    // Pulled again: the overlap re-reads order 3, which the cursor returned.
    let (again, same) = client
        .pull_since(&cursor, orders_since)
        .await
        .expect("again");
    assert!(again.is_empty(), "{again:?}");
    assert_eq!(same, cursor);

    // Order 1 is edited (new SystemModstamp): it comes back, once.
    fake.orders.lock().expect("lock")[0]["SystemModstamp"] = json!("2024-05-01T10:02:00.000+0000");
    let (changed, next) = client
        .pull_since(&cursor, orders_since)
        .await
        .expect("changed");
    let ids: Vec<&str> = changed.iter().filter_map(|r| r["Id"].as_str()).collect();
    assert_eq!(ids, [sf_id("801", 1)]);
    assert_eq!(next.high_water, at("2024-05-01T10:02:00Z"));
}

#[tokio::test]
async fn a_revoked_session_logs_in_again_once() {
    let (fake, base) = start().await;
    *fake.orders.lock().expect("lock") = vec![
        order_record(1, 1, "2024-05-01T10:00:00.000+0000"),
        order_record(2, 1, "2024-05-01T10:00:01.000+0000"),
        order_record(3, 1, "2024-05-01T10:00:02.000+0000"),
    ];
    let client = connect(&base, client_credentials());
    let start = ModstampCursor::starting_at(at("2024-05-01T09:00:00Z"));
    client
        .pull_since(&start, orders_since)
        .await
        .expect("first");
    assert_eq!(fake.issued.load(Ordering::SeqCst), 1);
    // The admin revokes the session: the next call gets 401, logs in, retries.
    fake.revoke.store(true, Ordering::SeqCst);
    let (records, _) = client
        .pull_since(&start, orders_since)
        .await
        .expect("after 401");
    assert_eq!(records.len(), 3);
    assert_eq!(fake.issued.load(Ordering::SeqCst), 2, "one new login");
}

#[tokio::test]
async fn jwt_bearer_with_a_generated_key_pair() {
    let (fake, base) = start().await;
    *fake.opportunities.lock().expect("lock") =
        vec![opportunity_record(7, "2024-05-02T08:00:00.000+0000")];
    let client = connect(&base, jwt(&base, &keys().private_pem));
    let (records, cursor) = client
        .pull_since(
            &ModstampCursor::starting_at(at("2024-05-01T00:00:00Z")),
            |since| salesforce::opportunities_soql(&["Closed Won".into()], &[], since),
        )
        .await
        .expect("pull with a JWT session");
    assert_eq!(records.len(), 1);
    assert_eq!(cursor.high_water, at("2024-05-02T08:00:00Z"));
    assert_eq!(fake.issued.load(Ordering::SeqCst), 1);

    // A closed-won Opportunity maps too (org currency from the puller).
    let set = MappingSet::shipped().expect("mappings");
    let mut out = set
        .get("salesforce", None)
        .expect("mapping")
        .program
        .run_value(
            &salesforce::mapping_input(SourceObject::Opportunity, &records[0], Some("EUR")),
            "acme-prod",
            "2024-05-02T09:00:00Z",
        )
        .expect("maps");
    let order: Order = serde_json::from_value(out.remove(0)).expect("canonical");
    assert_eq!(order.currency.code(), "EUR");
    assert_eq!(order.lines[0].sku, "BOLT-M8");
    assert_eq!(order.lines[0].discount_percent.to_string(), "10.0");
    assert!(order.ship_to.is_none());

    // A key the connected app does not hold is refused with OAuth's error.
    let other = {
        use rsa::pkcs8::{EncodePrivateKey, LineEnding};
        rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048)
            .expect("keygen")
            .to_pkcs8_pem(LineEnding::LF)
            .expect("pem")
            .to_string()
    };
    let stranger = connect(&base, jwt(&base, &other));
    let error = stranger
        .query_all("SELECT Id FROM Order WHERE Status IN ('Activated') AND SystemModstamp >= 2024-01-01T00:00:00Z")
        .await
        .expect_err("refused");
    match error {
        SalesforceError::Login { status, error, .. } => {
            assert_eq!((status, error.as_str()), (400, "invalid_grant"));
        }
        other => panic!("expected a login refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn api_errors_keep_salesforces_code() {
    let (_fake, base) = start().await;
    let client = connect(&base, client_credentials());
    let error = client
        .query_all("SELECT Id FROM Nowhere")
        .await
        .expect_err("malformed");
    match error {
        SalesforceError::Api { status, code, .. } => {
            assert_eq!((status, code.as_str()), (400, "MALFORMED_QUERY"));
        }
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[test]
fn an_address_without_an_iso_country_is_a_named_error() {
    let mut record = order_record(9, 1, "2024-05-01T10:00:00.000+0000");
    record["ShippingCountry"] = json!("Germany");
    let set = MappingSet::shipped().expect("mappings");
    let error = set
        .get("salesforce", None)
        .expect("mapping")
        .program
        .run_value(
            &salesforce::mapping_input(SourceObject::Order, &record, None),
            "acme-prod",
            "2024-05-01T12:00:00Z",
        )
        .expect_err("refused");
    let text = error.to_string();
    assert!(text.contains("ShippingCountry"), "{text}");
    assert!(text.contains("ShippingCountryCode"), "{text}");
}

/// Mapping v2 (no regex builtins) gives what v1 gives, on generated Orders
/// and Opportunities with the values `text` and `nonzero` decide on:
/// blank and whitespace-only strings, and zero discounts written as
/// Salesforce writes them.
#[test]
fn mapping_v2_gives_what_v1_gives() {
    let set = MappingSet::shipped().expect("mappings");
    let run = |version: u32, input: &Value| {
        let mapping = set.get("salesforce", Some(version)).expect("mapping");
        let mut out = mapping
            .program
            .run_value(input, "acme-prod", "2024-05-01T12:00:00Z")
            .map_err(|e| e.to_string());
        if let Ok(orders) = &mut out {
            for order in orders.iter_mut() {
                order.as_object_mut().expect("object").remove("mapping");
            }
        }
        out
    };
    let blanks = [
        json!(null),
        json!(""),
        json!("   "),
        json!("\t\n"),
        json!(" x "),
    ];
    let discounts = [
        json!(null),
        number("0"),
        number("0.0"),
        number("0.00"),
        number("10.0"),
        number("0.5"),
    ];
    let mut cases = 0;
    for (i, blank) in blanks.iter().enumerate() {
        for (k, discount) in discounts.iter().enumerate() {
            let mut order = order_record(i * 10 + k, 1 + k % 3, "2024-05-01T10:00:00.000+0000");
            order["PoNumber"] = blank.clone();
            order["Description"] = blank.clone();
            order["BillingCity"] = blank.clone();
            let mut opportunity = opportunity_record(i * 10 + k, "2024-05-01T10:00:00.000+0000");
            opportunity["OpportunityLineItems"]["records"][0]["Discount"] = discount.clone();
            opportunity["OpportunityLineItems"]["records"][0]["Description"] = blank.clone();
            opportunity["Account"]["AccountNumber"] = blank.clone();
            for (object, record) in [
                (SourceObject::Order, &order),
                (SourceObject::Opportunity, &opportunity),
            ] {
                let input = salesforce::mapping_input(object, record, Some("USD"));
                let v2 = run(2, &input).unwrap_or_else(|e| panic!("{e}\n{input:#}"));
                assert_eq!(Ok(v2), run(1, &input), "{input:#}");
                cases += 1;
            }
        }
    }
    assert_eq!(cases, 60);
    let latest = set.get("salesforce", None).expect("latest");
    assert_eq!(latest.name(), "salesforce/v2");
}
