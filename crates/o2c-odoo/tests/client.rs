//! The client against the real sandbox on a random port.

use std::time::Duration;

use o2c_odoo::{OdooClient, OdooConfig, OdooError, PartnerValues, SaleLineValues, SaleOrderValues};
use o2c_odoo_sim::{OdooVersion, Sandbox, Seed, SimConfig};
use rust_decimal_macros::dec;
use serde_json::{Value, json};

async fn sandbox(version: OdooVersion, seed: Seed) -> (Sandbox, String) {
    let sb = Sandbox::new(SimConfig {
        version,
        seed,
        demo_customers: 40,
        demo_products: 120,
        ..SimConfig::default()
    });
    let url = sb.spawn().await.expect("spawn");
    (sb, url)
}

fn config(url: &str, secret: &str) -> OdooConfig {
    OdooConfig {
        url: url.to_string(),
        db: "o2c".into(),
        login: "admin".into(),
        secret: secret.into(),
        timeout: Duration::from_secs(10),
        max_concurrency: 4,
        rate_limit: o2c_odoo::RateLimit::unlimited(),
        ..Default::default()
    }
}

fn client(url: &str) -> OdooClient {
    OdooClient::new(config(url, "admin")).expect("client")
}

#[tokio::test]
async fn authenticates_and_caches_the_uid() {
    let (sb, url) = sandbox(OdooVersion::V16, Seed::Empty).await;
    let c = client(&url);
    assert_eq!(c.authenticate().await.unwrap(), 2);
    let before = sb.calls("common", "authenticate");
    let n = c
        .execute_kw("res.partner", "search_count", json!([[]]), json!({}), None)
        .await
        .unwrap();
    assert!(n.as_u64().unwrap() >= 3);
    assert_eq!(sb.calls("common", "authenticate"), before, "uid cached");
    assert_eq!(c.calls(), 2);
    let v = c.version().await.unwrap();
    assert_eq!((v.major, v.server_version.as_str()), (16, "16.0"));
}

#[tokio::test]
async fn bad_password_is_access_denied_and_not_transient() {
    let (_sb, url) = sandbox(OdooVersion::V16, Seed::Empty).await;
    let c = OdooClient::new(config(&url, "wrong")).unwrap();
    let e = c.authenticate().await.unwrap_err();
    assert!(matches!(e, OdooError::AccessDenied { .. }), "{e:?}");
    assert!(!e.is_transient());
    let e = c
        .execute_kw("res.partner", "search_count", json!([[]]), json!({}), None)
        .await
        .unwrap_err();
    assert!(matches!(e, OdooError::AccessDenied { .. }));
}

#[test]
fn debug_never_shows_the_secret() {
    let cfg = config("http://127.0.0.1:1", "s3cr3t-key");
    assert!(!format!("{cfg:?}").contains("s3cr3t"));
    let c = OdooClient::new(cfg).unwrap();
    assert!(!format!("{c:?}").contains("s3cr3t"));
}

#[tokio::test]
async fn each_error_class_is_mapped() {
    let (_sb, url) = sandbox(OdooVersion::V16, Seed::Demo).await;
    let c = client(&url);
    let call = |model: &'static str, method: &'static str, args: Value| {
        let c = &c;
        async move {
            c.execute_kw(model, method, args, json!({}), None)
                .await
                .unwrap_err()
        }
    };
    match call("sale.order", "create", json!([{"client_order_ref": "X"}])).await {
        OdooError::Validation { message } => {
            assert!(message.contains("Field: Customer (partner_id)"))
        }
        e => panic!("{e:?}"),
    }
    match call("sale.order", "write", json!([[99999999], {"note": "x"}])).await {
        OdooError::MissingRecord { message } => assert!(message.contains("sale.order(99999999,)")),
        e => panic!("{e:?}"),
    }
    match call("no.such.model", "search_read", json!([[]])).await {
        OdooError::UserError { message } => {
            assert_eq!(message, "Object no.such.model doesn't exist")
        }
        e => panic!("{e:?}"),
    }
    match call("sale.order", "_create_invoices", json!([[1]])).await {
        OdooError::AccessError { message } => assert!(message.starts_with("Private methods")),
        e => panic!("{e:?}"),
    }
    match call("res.partner", "write", json!([[1], {"x_shop_id": "1"}])).await {
        OdooError::Unknown { name, message } => {
            assert_eq!(name, "builtins.ValueError");
            assert_eq!(message, "Invalid field 'x_shop_id' on model 'res.partner'");
        }
        e => panic!("{e:?}"),
    }
    match call("sale.order", "confirm", json!([[1]])).await {
        OdooError::Unknown { name, .. } => assert_eq!(name, "builtins.AttributeError"),
        e => panic!("{e:?}"),
    }
    // None → Null, and read of a missing id is an empty list, not an error
    let r = c
        .execute_kw(
            "sale.order",
            "read",
            json!([[99999999]]),
            json!({"fields": ["name"]}),
            None,
        )
        .await
        .unwrap();
    assert_eq!(r, json!([]));
}

#[tokio::test]
async fn transport_failures_are_transient() {
    // nothing listens on this port
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let c = client(&url);
    let e = c.authenticate().await.unwrap_err();
    assert!(matches!(e, OdooError::Transient { .. }), "{e:?}");
    assert!(e.is_transient());
}

#[tokio::test]
async fn correlation_id_is_sent() {
    use axum::{Router, http::HeaderMap, routing::post};
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Option<String>>();
    let app = Router::new().route(
        "/jsonrpc",
        post(move |headers: HeaderMap| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(
                    headers
                        .get("x-correlation-id")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_string),
                );
                axum::Json(json!({"jsonrpc": "2.0", "id": 1, "result": 2}))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let c = client(&url);
    c.execute_kw(
        "res.partner",
        "search_count",
        json!([[]]),
        json!({}),
        Some("corr-123"),
    )
    .await
    .unwrap();
    assert_eq!(rx.recv().await.unwrap(), None, "authenticate carries none");
    assert_eq!(rx.recv().await.unwrap().as_deref(), Some("corr-123"));
}

#[tokio::test]
async fn reauthenticates_once_after_access_denied() {
    use axum::{Router, routing::post};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};
    // first execute_kw is refused as if the password changed, then accepted
    let refused = Arc::new(AtomicU32::new(0));
    let r2 = refused.clone();
    let app = Router::new().route(
        "/jsonrpc",
        post(move |axum::Json(body): axum::Json<Value>| {
            let refused = r2.clone();
            async move {
                let service = body["params"]["service"].as_str().unwrap_or("").to_string();
                if service == "object" && refused.fetch_add(1, Ordering::SeqCst) == 0 {
                    return axum::Json(json!({"jsonrpc": "2.0", "id": body["id"], "error": {"code": 200, "message": "Odoo Server Error",
                        "data": {"name": "odoo.exceptions.AccessDenied", "debug": "", "message": "Access Denied", "arguments": ["Access Denied"], "context": {}}}}));
                }
                let result = if service == "common" { json!(2) } else { json!(7) };
                axum::Json(json!({"jsonrpc": "2.0", "id": body["id"], "result": result}))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let c = client(&url);
    let v = c
        .execute_kw("res.partner", "search_count", json!([[]]), json!({}), None)
        .await
        .unwrap();
    assert_eq!(v, json!(7));
    // authenticate, refused call, authenticate again, accepted call
    assert_eq!(c.calls(), 4);
}

#[tokio::test]
async fn server_errors_and_rate_limits_map_to_retryable_errors() {
    use axum::{Router, http::StatusCode, response::IntoResponse, routing::post};
    let app = Router::new()
        .route(
            "/jsonrpc",
            post(|| async {
                (
                    StatusCode::TOO_MANY_REQUESTS,
                    [("retry-after", "7")],
                    "slow down",
                )
                    .into_response()
            }),
        )
        .route(
            "/web/webclient/version_info",
            post(|| async { StatusCode::BAD_GATEWAY.into_response() }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let c = client(&url);
    assert_eq!(
        c.authenticate().await.unwrap_err(),
        OdooError::RateLimited {
            retry_after: Some(Duration::from_secs(7))
        }
    );
    assert!(matches!(
        c.version().await.unwrap_err(),
        OdooError::Transient { .. }
    ));
}

#[tokio::test]
async fn partners_by_ref_email_and_upsert() {
    let (sb, url) = sandbox(OdooVersion::V16, Seed::Demo).await;
    let c = client(&url);
    let p = c
        .find_partner_by_ref("CUST-00003", None)
        .await
        .unwrap()
        .expect("demo customer");
    assert_eq!(p.reference.as_deref(), Some("CUST-00003"));
    let by_mail = c
        .find_partner_by_email("CUSTOMER00003@EXAMPLE.COM", None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_mail.id, p.id);
    assert!(c.find_partner_by_ref("nope", None).await.unwrap().is_none());

    let values = PartnerValues {
        name: "Acme Shop Customer Inc".into(),
        email: Some("billing@acme-shop.example.com".into()),
        phone: Some("+1 555 0100".into()),
        street: Some("1 Market St".into()),
        city: Some("San Francisco".into()),
        zip: Some("94105".into()),
        country_code: Some("US".into()),
        reference: Some("SHOPCUST-0001".into()),
    };
    let id = c
        .upsert_partner_by_xmlid("__o2c__.partner_acme", &values, None)
        .await
        .unwrap();
    let again = c
        .upsert_partner_by_xmlid("__o2c__.partner_acme", &values, None)
        .await
        .unwrap();
    assert_eq!(id, again);
    assert_eq!(
        sb.count("res.partner", json!([["ref", "=", "SHOPCUST-0001"]])),
        1
    );
    let rec = sb
        .read("res.partner", id, &["country_id", "email"])
        .unwrap();
    assert_eq!(rec["country_id"][1], "United States");
    // the country lookup is cached
    assert_eq!(sb.calls("res.country", "search_read"), 1);
    // an unknown country code leaves the country unset
    let id2 = c
        .upsert_partner_by_xmlid(
            "__o2c__.partner_x",
            &PartnerValues {
                name: "X".into(),
                country_code: Some("ZZ".into()),
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        sb.read("res.partner", id2, &["country_id"]).unwrap()["country_id"],
        json!(false)
    );
}

#[tokio::test]
async fn products_by_sku_in_one_call() {
    let (sb, url) = sandbox(OdooVersion::V16, Seed::Demo).await;
    let c = client(&url);
    c.authenticate().await.unwrap();
    sb.reset_calls();
    let skus: Vec<String> = ["SKU-00001", "SKU-00042", "NOPE-1", "SKU-00042"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let found = c.products_by_sku(&skus, None).await.unwrap();
    assert_eq!(sb.total_calls(), 1);
    assert_eq!(found.len(), 2);
    let p = &found["SKU-00042"];
    assert_eq!(p.uom_id, Some(1));
    assert!(!p.name.is_empty());
    assert!(c.products_by_sku(&[], None).await.unwrap().is_empty());
}

fn order(partner_id: i64, products: &[i64]) -> SaleOrderValues {
    SaleOrderValues {
        xmlid: "__o2c__.so_shop_1001".into(),
        partner_id,
        client_order_ref: "SHOP-1001".into(),
        lines: vec![
            SaleLineValues {
                xmlid: "__o2c__.so_shop_1001_l1".into(),
                product_id: products[0],
                quantity: dec!(10),
                uom_id: None,
                price_unit: dec!(25.00),
                discount: dec!(0),
            },
            SaleLineValues {
                xmlid: "__o2c__.so_shop_1001_l2".into(),
                product_id: products[1],
                quantity: dec!(4),
                uom_id: None,
                price_unit: dec!(40.00),
                discount: dec!(10),
            },
        ],
        note: Some("leave at the dock".into()),
        pricelist_id: None,
    }
}

#[tokio::test]
async fn upsert_twice_gives_one_order_with_the_same_lines() {
    let (sb, url) = sandbox(OdooVersion::V16, Seed::Demo).await;
    let c = client(&url);
    let products = c
        .products_by_sku(&["SKU-00001".into(), "SKU-00002".into()], None)
        .await
        .unwrap();
    let ids = [products["SKU-00001"].id, products["SKU-00002"].id];
    let values = order(5, &ids);
    c.authenticate().await.unwrap();
    sb.reset_calls();
    let id = c.upsert_sale_order(&values, Some("corr-1")).await.unwrap();
    assert_eq!(sb.total_calls(), 1, "one load call");
    let first = c.read_sale_order(id, None).await.unwrap().unwrap();
    assert_eq!(first.lines.len(), 2);
    // 394 untaxed plus the demo company's default 15 % sales tax, as on the recorded server.
    assert_eq!(first.amount_total, dec!(453.1));
    assert_eq!(first.client_order_ref.as_deref(), Some("SHOP-1001"));
    assert_eq!(first.state, "draft");

    // a retry (e.g. after a crash) changes nothing
    let again = c.upsert_sale_order(&values, Some("corr-1")).await.unwrap();
    assert_eq!(again, id);
    let second = c.read_sale_order(id, None).await.unwrap().unwrap();
    assert_eq!(
        second.lines.iter().map(|l| l.id).collect::<Vec<_>>(),
        first.lines.iter().map(|l| l.id).collect::<Vec<_>>()
    );
    assert_eq!(
        sb.count(
            "sale.order",
            json!([["client_order_ref", "=", "SHOP-1001"]])
        ),
        1
    );
    assert_eq!(
        sb.count("sale.order.line", json!([["order_id", "=", id]])),
        2
    );

    // a changed quantity updates the line in place
    let mut changed = values.clone();
    changed.lines[0].quantity = dec!(12);
    c.upsert_sale_order(&changed, None).await.unwrap();
    let third = c.read_sale_order(id, None).await.unwrap().unwrap();
    assert_eq!(third.lines.len(), 2);
    assert_eq!(third.lines[0].quantity, dec!(12));
    assert_eq!(third.amount_total, dec!(510.6), "444 untaxed + 15 %");

    // a bad partner is a validation error and creates nothing
    let mut bad = values.clone();
    bad.xmlid = "__o2c__.so_bad".into();
    bad.partner_id = 99_999_999;
    for l in &mut bad.lines {
        l.xmlid = format!("{}_bad", l.xmlid);
    }
    let e = c.upsert_sale_order(&bad, None).await.unwrap_err();
    assert!(
        matches!(&e, OdooError::Validation { message } if message.contains("No matching record found for database id '99999999'")),
        "{e:?}"
    );
    assert_eq!(sb.count("sale.order", json!([])), 1);
}

#[tokio::test]
async fn concurrent_upserts_make_one_order() {
    let (sb, url) = sandbox(OdooVersion::V16, Seed::Demo).await;
    let c = std::sync::Arc::new(client(&url));
    let products = c
        .products_by_sku(&["SKU-00001".into(), "SKU-00002".into()], None)
        .await
        .unwrap();
    let values = order(5, &[products["SKU-00001"].id, products["SKU-00002"].id]);
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (c, v) = (c.clone(), values.clone());
        tasks.push(tokio::spawn(async move {
            c.upsert_sale_order(&v, None).await.unwrap()
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await.unwrap());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1);
    assert_eq!(sb.count("sale.order", json!([])), 1);
    assert_eq!(sb.count("sale.order.line", json!([])), 2);
}

async fn confirm_twice(version: OdooVersion) {
    let (sb, url) = sandbox(version, Seed::Demo).await;
    let c = client(&url);
    let products = c
        .products_by_sku(&["SKU-00001".into(), "SKU-00002".into()], None)
        .await
        .unwrap();
    let id = c
        .upsert_sale_order(
            &order(5, &[products["SKU-00001"].id, products["SKU-00002"].id]),
            None,
        )
        .await
        .unwrap();
    let name = c.confirm_sale_order(id, None).await.unwrap();
    assert_eq!(name, "S00001");
    let date = sb.read("sale.order", id, &["date_order"]).unwrap()["date_order"].clone();
    assert_eq!(c.confirm_sale_order(id, None).await.unwrap(), name);
    assert_eq!(
        sb.calls("sale.order", "action_confirm"),
        1,
        "second confirm makes no call"
    );
    let rec = sb.read("sale.order", id, &["state", "date_order"]).unwrap();
    assert_eq!(rec["state"], "sale");
    assert_eq!(rec["date_order"], date);
    // a retried upsert of the confirmed order keeps it as it is
    let info = c.read_sale_order(id, None).await.unwrap().unwrap();
    assert_eq!(info.state, "sale");
    assert_eq!(info.lines.len(), 2);
    // a missing order is a MissingRecord
    assert!(matches!(
        c.confirm_sale_order(424242, None).await.unwrap_err(),
        OdooError::MissingRecord { .. }
    ));
}

#[tokio::test]
async fn confirm_twice_is_safe_on_16() {
    confirm_twice(OdooVersion::V16).await;
}

#[tokio::test]
async fn confirm_twice_is_safe_on_18() {
    confirm_twice(OdooVersion::V18).await;
}

#[tokio::test]
async fn confirming_a_cancelled_order_reports_odoos_refusal() {
    let (sb, url) = sandbox(OdooVersion::V18, Seed::Demo).await;
    let c = client(&url);
    let products = c
        .products_by_sku(&["SKU-00001".into(), "SKU-00002".into()], None)
        .await
        .unwrap();
    let id = c
        .upsert_sale_order(
            &order(5, &[products["SKU-00001"].id, products["SKU-00002"].id]),
            None,
        )
        .await
        .unwrap();
    c.execute_kw(
        "sale.order",
        "action_cancel",
        json!([[id]]),
        json!({}),
        None,
    )
    .await
    .unwrap();
    let e = c.confirm_sale_order(id, None).await.unwrap_err();
    assert_eq!(
        e,
        OdooError::UserError {
            message: "Some orders are not in a state requiring confirmation.".into()
        }
    );
    assert_eq!(
        sb.read("sale.order", id, &["state"]).unwrap()["state"],
        "cancel"
    );
}
