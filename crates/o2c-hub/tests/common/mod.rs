//! Test harness: the real hub on a random port, with its real store (SQLite
//! in a temporary folder, or PostgreSQL in a fresh schema) and the Odoo
//! sandbox on another random port, spoken to over real HTTP.

#![allow(dead_code)]

pub mod faulty;
pub mod rules;
pub mod validation;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use o2c_hub::auth::{self, Scope};
use o2c_hub::erp::Erp;
use o2c_hub::erp::odoo::OdooErp;
use o2c_hub::{HubConfig, RunningHub};
use o2c_odoo::{OdooClient, OdooConfig};
use o2c_odoo_sim::{Sandbox, SimConfig};
use o2c_store::Store;
use serde_json::{Value, json};

pub struct TestHub {
    pub base: String,
    pub key: String,
    pub store: Arc<dyn Store>,
    pub odoo_url: String,
    pub http: reqwest::Client,
    pub hub: Option<RunningHub>,
    _temp: tempfile::TempDir,
}

pub async fn start_sandbox() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind sandbox");
    let addr = listener.local_addr().expect("addr");
    let sandbox = Sandbox::new(SimConfig::default());
    tokio::spawn(async move {
        let _ = sandbox.serve(listener).await;
    });
    format!("http://{addr}")
}

pub fn odoo_config(url: &str) -> OdooConfig {
    OdooConfig {
        url: url.to_owned(),
        db: "o2c".into(),
        login: "admin".into(),
        secret: "admin".into(),
        timeout: Duration::from_secs(10),
        max_concurrency: 8,
        // The sandbox needs no protection; keep the tests fast.
        rate_limit: o2c_odoo::RateLimit::unlimited(),
        ..Default::default()
    }
}

/// Short retry delays and polls, so tests run quickly.
pub fn fast(mut config: HubConfig) -> HubConfig {
    config.retry.initial_ms = 20;
    config.retry.max_ms = 200;
    config.workers.poll_ms = 20;
    config
}

impl TestHub {
    pub async fn sqlite() -> TestHub {
        Self::sqlite_with(HubConfig::default()).await
    }

    pub async fn sqlite_with(config: HubConfig) -> TestHub {
        Self::sqlite_wrapped(config, |erp| erp).await
    }

    /// A SQLite hub whose ERP is the Odoo adapter wrapped by `wrap` (to inject faults).
    pub async fn sqlite_wrapped(
        config: HubConfig,
        wrap: impl FnOnce(Arc<dyn Erp>) -> Arc<dyn Erp>,
    ) -> TestHub {
        let temp = tempfile::tempdir().expect("tempdir");
        let path = temp.path().join("hub.db");
        let store = o2c_store::open(&path.to_string_lossy())
            .await
            .expect("open sqlite store");
        Self::start_wrapped(fast(config), store, temp, wrap).await
    }

    pub async fn start_wrapped(
        config: HubConfig,
        store: Arc<dyn Store>,
        temp: tempfile::TempDir,
        wrap: impl FnOnce(Arc<dyn Erp>) -> Arc<dyn Erp>,
    ) -> TestHub {
        let odoo_url = start_sandbox().await;
        Self::start_on(config, store, temp, wrap, odoo_url).await
    }

    /// A SQLite hub on a sandbox the test started (and prepared) itself,
    /// for settings that name the sandbox's records.
    pub async fn sqlite_on(config: HubConfig, odoo_url: String) -> TestHub {
        let temp = tempfile::tempdir().expect("tempdir");
        let path = temp.path().join("hub.db");
        let store = o2c_store::open(&path.to_string_lossy())
            .await
            .expect("open sqlite store");
        Self::start_on(fast(config), store, temp, |erp| erp, odoo_url).await
    }

    async fn start_on(
        config: HubConfig,
        store: Arc<dyn Store>,
        temp: tempfile::TempDir,
        wrap: impl FnOnce(Arc<dyn Erp>) -> Arc<dyn Erp>,
        odoo_url: String,
    ) -> TestHub {
        let client = OdooClient::new(odoo_config(&odoo_url)).expect("odoo client");
        let erp = wrap(Arc::new(
            OdooErp::new(client).with_pricelists(config.pricelists.clone()),
        ));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind hub");
        let hub = o2c_hub::start(&config, store.clone(), erp, listener)
            .await
            .expect("start hub");
        let key = auth::create_key(
            store.as_ref(),
            "test",
            "test",
            &[
                Scope::OrdersWrite,
                Scope::OrdersRead,
                Scope::OpsRead,
                Scope::OpsWrite,
            ],
            None,
            Utc::now(),
        )
        .await
        .expect("create key");
        TestHub {
            base: format!("http://{}", hub.addr),
            key: key.secret,
            store,
            odoo_url,
            http: reqwest::Client::new(),
            hub: Some(hub),
            _temp: temp,
        }
    }

    pub async fn key_with(&self, scopes: &[Scope], channel: Option<&str>) -> String {
        auth::create_key(
            self.store.as_ref(),
            "test",
            "limited",
            scopes,
            channel.map(str::to_owned),
            Utc::now(),
        )
        .await
        .expect("create key")
        .secret
    }

    pub async fn post_order(&self, body: &Value) -> reqwest::Response {
        self.http
            .post(format!("{}/v1/orders", self.base))
            .bearer_auth(&self.key)
            .json(body)
            .send()
            .await
            .expect("post order")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.key)
            .send()
            .await
            .expect("get")
    }

    /// Polls the order until `status` (or fails after 20 s).
    pub async fn wait_for_status(&self, order_id: &str, status: &str) -> Value {
        self.wait_for_order(order_id, &format!("reached {status}"), |body| {
            body["status"] == status
        })
        .await
    }

    /// Polls `GET /v1/orders/{order_id}` until `done` holds for its answer,
    /// which it returns (or fails after 20 s, saying the order never `what`).
    pub async fn wait_for_order(
        &self,
        order_id: &str,
        what: &str,
        done: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let body: Value = self
                .get(&format!("/v1/orders/{order_id}"))
                .await
                .json()
                .await
                .expect("json");
            if done(&body) {
                return body;
            }
            assert!(
                Instant::now() < deadline,
                "order {order_id} never {what}: {body}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// The open exceptions, as `GET /v1/exceptions?status=open` lists them.
    pub async fn open_exceptions(&self) -> Vec<Value> {
        let list: Value = self
            .get("/v1/exceptions?status=open")
            .await
            .json()
            .await
            .expect("json");
        list["exceptions"].as_array().expect("list").clone()
    }

    /// The open exception of an order, as `GET /v1/exceptions` lists it
    /// (fails when there is none).
    pub async fn open_exception_of(&self, order_id: &str) -> Value {
        let open = self.open_exceptions().await;
        open.iter()
            .find(|e| e["order_id"] == json!(order_id))
            .unwrap_or_else(|| panic!("no open exception for order {order_id}: {open:?}"))
            .clone()
    }

    /// One exception with its history, as `GET /v1/exceptions/{id}` answers.
    pub async fn exception(&self, id: &str) -> Value {
        self.get(&format!("/v1/exceptions/{id}"))
            .await
            .json()
            .await
            .expect("json")
    }

    /// `POST /v1/exceptions/{id}/{action}` with `body`, as an operator.
    pub async fn act_on_exception(
        &self,
        id: &str,
        action: &str,
        body: &Value,
    ) -> reqwest::Response {
        self.http
            .post(format!("{}/v1/exceptions/{id}/{action}", self.base))
            .bearer_auth(&self.key)
            .json(body)
            .send()
            .await
            .expect("exception action")
    }

    /// Sale orders in the sandbox with this `client_order_ref`.
    pub async fn sale_orders(&self, client_order_ref: &str) -> Vec<Value> {
        self.sale_orders_with(client_order_ref, &["name", "state", "order_line"])
            .await
    }

    /// `fields` of the sale orders in the sandbox with this
    /// `client_order_ref`.
    pub async fn sale_orders_with(&self, client_order_ref: &str, fields: &[&str]) -> Vec<Value> {
        odoo_search_read(
            &self.odoo_url,
            "sale.order",
            json!([["client_order_ref", "=", client_order_ref]]),
            fields,
        )
        .await
    }

    /// Quantities of a sale order's product lines, smallest first (service
    /// lines such as shipping, which have no internal reference, left out).
    pub async fn line_quantities(&self, sale_order: i64) -> Vec<f64> {
        let lines = odoo_search_read(
            &self.odoo_url,
            "sale.order.line",
            json!([
                ["order_id", "=", sale_order],
                ["product_id.default_code", "!=", false]
            ]),
            &["product_uom_qty"],
        )
        .await;
        let mut q: Vec<f64> = lines
            .iter()
            .filter_map(|l| l["product_uom_qty"].as_f64())
            .collect();
        q.sort_by(f64::total_cmp);
        q
    }

    /// Journal event types of the order.
    pub async fn journal_types(&self, order_id: &str) -> Vec<String> {
        let id = uuid::Uuid::parse_str(order_id).expect("uuid");
        self.store
            .load_journal(id)
            .await
            .expect("journal")
            .into_iter()
            .map(|e| e.event_type)
            .collect()
    }

    /// Waits until the order's journal has `n` events of `event_type`.
    pub async fn wait_for_events(&self, order_id: &str, event_type: &str, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let types = self.journal_types(order_id).await;
            if types.iter().filter(|t| *t == event_type).count() >= n {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "never saw {n} × {event_type}: {types:?}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Waits until no job is pending or running.
    pub async fn settle(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let busy = self
                .store
                .list_jobs(None, 1000)
                .await
                .expect("jobs")
                .into_iter()
                .filter(|j| {
                    matches!(
                        j.state,
                        o2c_store::JobState::Pending | o2c_store::JobState::Leased
                    )
                })
                .count();
            if busy == 0 {
                return;
            }
            assert!(Instant::now() < deadline, "jobs never settled");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    pub async fn shutdown(mut self) {
        if let Some(hub) = self.hub.take() {
            hub.shutdown().await;
        }
    }
}

/// A search_read over plain JSON-RPC, as any Odoo client would send it.
pub async fn odoo_search_read(
    odoo_url: &str,
    model: &str,
    domain: Value,
    fields: &[&str],
) -> Vec<Value> {
    let response = execute_kw(
        odoo_url,
        json!(["o2c", 2, "admin", model, "search_read", [domain], { "fields": fields }]),
    )
    .await;
    response["result"]
        .as_array()
        .cloned()
        .unwrap_or_else(|| panic!("search_read failed: {response}"))
}

/// The whole JSON-RPC answer to `execute_kw` with `args` (database, uid,
/// password, model, method, ...).
async fn execute_kw(odoo_url: &str, args: Value) -> Value {
    let request = json!({
        "jsonrpc": "2.0", "method": "call", "id": 1,
        "params": { "service": "object", "method": "execute_kw", "args": args }
    });
    reqwest::Client::new()
        .post(format!("{odoo_url}/jsonrpc"))
        .json(&request)
        .send()
        .await
        .expect("jsonrpc")
        .json()
        .await
        .expect("jsonrpc json")
}

/// Creates a record over plain JSON-RPC (as a merchant's own tools would)
/// and returns its id.
pub async fn odoo_create(odoo_url: &str, model: &str, values: Value) -> i64 {
    odoo_call(odoo_url, model, "create", json!([values]))
        .await
        .as_i64()
        .expect("created id")
}

/// Any `execute_kw` call over plain JSON-RPC; the result, or a panic with
/// Odoo's error.
pub async fn odoo_call(odoo_url: &str, model: &str, method: &str, args: Value) -> Value {
    let answer = execute_kw(odoo_url, json!(["o2c", 2, "admin", model, method, args])).await;
    answer
        .get("result")
        .cloned()
        .unwrap_or_else(|| panic!("{model}.{method} failed: {answer}"))
}

/// A valid canonical order with SKUs the sandbox's demo seed has.
pub fn sample_order(channel_order_id: &str) -> Value {
    json!({
        "channel": { "kind": "rest", "account": "web" },
        "channel_order_id": channel_order_id,
        "order_date": "2026-11-27T10:00:00Z",
        "currency": "USD",
        "customer": {
            "name": "Acme Hardware",
            "email": "orders@acme.example",
            "external_refs": [{ "system": "webshop", "id": "cust-42" }]
        },
        "ship_to": { "name": "Acme Hardware", "street_lines": ["1 Main St"], "city": "Springfield", "postal_code": "62701", "country": "US" },
        "lines": [
            { "line_id": "1", "sku": "SKU-00001", "quantity": { "value": "3", "uom": "Units" }, "unit_price": "25.00" },
            { "line_id": "2", "sku": "SKU-00002", "quantity": { "value": "1.5", "uom": "Units" }, "unit_price": "40.00", "discount_percent": "10" }
        ]
    })
}
