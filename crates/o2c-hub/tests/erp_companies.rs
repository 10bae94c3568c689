//! Multi-company Odoo, against the real sandbox: each channel's orders are
//! written for its company (`[companies]`), and a batch holding orders of
//! two companies makes separate Odoo calls per company.

mod common;

use std::time::{Duration, Instant};

use chrono::Utc;
use common::{fast, odoo_config, odoo_search_read, sample_order};
use o2c_hub::HubConfig;
use o2c_hub::auth::{self, Scope};
use o2c_hub::companies::Companies;
use o2c_hub::erp::odoo::OdooErp;
use o2c_hub::erp::{CompanyId, ConfirmRequest, Erp, ErpSubmission, SubmitRequest};
use o2c_model::Order;
use o2c_odoo::OdooClient;
use o2c_odoo_sim::{Sandbox, SimConfig};
use serde_json::{Value, json};
use uuid::Uuid;

/// The demo seed's two companies.
const HOME: i64 = 1;
const CHICAGO: i64 = 2;

fn order_on(account: &str, reference: &str) -> Value {
    let mut body = sample_order(reference);
    body["channel"] = json!({ "kind": "rest", "account": account });
    body
}

/// `company_id` of the sale order with this reference.
async fn company_of(odoo_url: &str, reference: &str) -> i64 {
    let found = odoo_search_read(
        odoo_url,
        "sale.order",
        json!([["client_order_ref", "=", reference]]),
        &["company_id", "state"],
    )
    .await;
    assert_eq!(found.len(), 1, "one sale order for {reference}: {found:?}");
    found[0]["company_id"][0]
        .as_i64()
        .unwrap_or_else(|| panic!("company of {reference}: {found:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_channel_orders_land_in_its_company() {
    let sandbox = Sandbox::new(SimConfig::default());
    let odoo_url = sandbox.spawn().await.expect("sandbox");
    let temp = tempfile::tempdir().expect("tempdir");
    let store = o2c_store::open(&temp.path().join("hub.db").to_string_lossy())
        .await
        .expect("store");
    let erp = std::sync::Arc::new(OdooErp::new(
        OdooClient::new(odoo_config(&odoo_url)).expect("client"),
    ));
    let mut config = fast(HubConfig::default());
    config.workers.concurrency = 8;
    config.companies = Companies::new([
        ("rest:us-shop".to_owned(), HOME),
        ("rest:chicago-shop".to_owned(), CHICAGO),
    ]);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let hub = o2c_hub::start(&config, store.clone(), erp, listener)
        .await
        .expect("start hub");
    let key = auth::create_key(
        store.as_ref(),
        "test",
        "test",
        &[Scope::OrdersWrite, Scope::OrdersRead],
        None,
        Utc::now(),
    )
    .await
    .expect("key");
    let http = reqwest::Client::new();
    let orders = [
        ("us-shop", "CO-US-1"),
        ("chicago-shop", "CO-CHI-1"),
        ("us-shop", "CO-US-2"),
        ("chicago-shop", "CO-CHI-2"),
        ("web", "CO-UNMAPPED"),
    ];
    let mut ids = Vec::new();
    for (account, reference) in orders {
        let response = http
            .post(format!("http://{}/v1/orders", hub.addr))
            .bearer_auth(&key.secret)
            .json(&order_on(account, reference))
            .send()
            .await
            .expect("post");
        assert_eq!(response.status().as_u16(), 202, "{reference} accepted");
        let answer: Value = response.json().await.expect("json");
        ids.push(
            answer["order_id"]
                .as_str()
                .expect("id")
                .parse::<Uuid>()
                .expect("uuid"),
        );
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mut statuses = Vec::new();
        for id in &ids {
            let record = store.get_order(*id).await.expect("get").expect("order");
            statuses.push(record.status);
        }
        if statuses.iter().all(|s| s == "confirmed") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "orders never confirmed: {statuses:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(company_of(&odoo_url, "CO-US-1").await, HOME);
    assert_eq!(company_of(&odoo_url, "CO-US-2").await, HOME);
    assert_eq!(company_of(&odoo_url, "CO-CHI-1").await, CHICAGO);
    assert_eq!(company_of(&odoo_url, "CO-CHI-2").await, CHICAGO);
    // No entry: Odoo's default, the user's company.
    assert_eq!(company_of(&odoo_url, "CO-UNMAPPED").await, HOME);
    hub.shutdown().await;
}

fn request(reference: &str, company: i64) -> SubmitRequest {
    let order: Order = serde_json::from_value(order_on("any", reference)).expect("canonical order");
    SubmitRequest {
        order_id: Uuid::now_v7(),
        correlation_id: format!("corr-{reference}"),
        order,
        rounding_adjustment: None,
        company: Some(CompanyId(company)),
    }
}

/// The adapter directly: one batch, two companies, one `load` and one
/// `action_confirm` per company, each order in its own company.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mixed_batch_makes_one_call_set_per_company() {
    let sandbox = Sandbox::new(SimConfig::default());
    let url = sandbox.spawn().await.expect("sandbox");
    let erp = OdooErp::new(OdooClient::new(odoo_config(&url)).expect("client"));
    let requests = vec![
        request("MIX-A1", HOME),
        request("MIX-B1", CHICAGO),
        request("MIX-A2", HOME),
        request("MIX-B2", CHICAGO),
        request("MIX-B3", CHICAGO),
    ];
    sandbox.reset_calls();
    let results = erp.submit_orders(&requests).await;
    assert_eq!(
        sandbox.calls("sale.order", "load"),
        2,
        "one load per company"
    );
    let mut confirms = Vec::new();
    for (request, result) in requests.iter().zip(&results) {
        match result {
            Ok(ErpSubmission::Created { erp_order_id, .. }) => confirms.push(ConfirmRequest {
                order_id: request.order_id,
                correlation_id: request.correlation_id.clone(),
                erp_order_id: *erp_order_id,
                company: request.company,
            }),
            other => panic!("{}: {other:?}", request.order.channel_order_id),
        }
    }
    for (request, expected) in requests.iter().zip([HOME, CHICAGO, HOME, CHICAGO, CHICAGO]) {
        assert_eq!(
            company_of(&url, &request.order.channel_order_id).await,
            expected,
            "{}",
            request.order.channel_order_id
        );
    }
    sandbox.reset_calls();
    let confirmed = erp.confirm_orders(&confirms).await;
    assert!(confirmed.iter().all(Result::is_ok), "{confirmed:?}");
    assert_eq!(
        sandbox.calls("sale.order", "action_confirm"),
        2,
        "one confirm per company"
    );
    // Results come back in the batch's order, whatever the grouping.
    for (request, name) in confirms.iter().zip(&confirmed) {
        let found = odoo_search_read(
            &url,
            "sale.order",
            json!([["id", "=", request.erp_order_id]]),
            &["name", "state"],
        )
        .await;
        assert_eq!(found[0]["name"].as_str(), name.as_deref().ok());
        assert_eq!(found[0]["state"], "sale");
    }
}
