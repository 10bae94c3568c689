//! `o2c bench odoo`: Odoo calls per order and orders per second of the
//! create+confirm path, against the Odoo sandbox running in this process
//! with a fixed latency injected into every call (20 ms by default).
//!
//! Two paths run the same orders through the same hub runtime (SQLite
//! store, worker pool, one commit per step) with the same worker
//! concurrency and the same Odoo client limits; only the ERP adapter
//! differs:
//!
//! - **hub**: the Odoo adapter as shipped — product and partner caches,
//!   cross-order batches (one `sale.order.load` for the orders ready at the
//!   same moment, one `action_confirm` + one `read` of the names);
//! - **naive**: one call per step — a partner search (and a create the
//!   first time), one product search per line, a `create`, an
//!   `action_confirm` and a read-back.
//!
//! Each path gets a fresh sandbox and store, a warm-up (not measured), then
//! N orders queued at once; the clock runs until the last is confirmed.
//! Calls are counted by the sandbox itself (authentication included).

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use async_trait::async_trait;
use chrono::Utc;
use o2c_flow::HoldReason;
use o2c_hub::auth::Principal;
use o2c_hub::erp::odoo::OdooErp;
use o2c_hub::erp::{Erp, ErpCall, ErpError, ErpSubmission};
use o2c_hub::intake::{self, Intake};
use o2c_model::Order;
use o2c_odoo::{OdooClient, OdooConfig, OdooError, RateLimit};
use o2c_odoo_sim::chaos::FaultConfig;
use o2c_odoo_sim::{Sandbox, SimConfig};
use o2c_store::Store;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use crate::cli::BenchOdooArgs;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Path {
    Hub,
    Naive,
}

impl Path {
    fn name(self) -> &'static str {
        match self {
            Path::Hub => "hub",
            Path::Naive => "naive",
        }
    }
}

/// Settings shared by both paths.
struct Setup {
    orders: usize,
    warmup: usize,
    latency_ms: u64,
    concurrency: usize,
    odoo_concurrency: usize,
    rate: f64,
    batch: o2c_hub::erp::batcher::BatchConfig,
    sandbox_products: usize,
}

pub async fn run(args: BenchOdooArgs) -> Result<ExitCode> {
    if args.orders == 0 {
        bail!("--orders must be at least 1");
    }
    let defaults = o2c_hub::HubConfig::default();
    let mut batch = defaults.workers.erp_batch;
    if let Some(max) = args.batch {
        batch.max_batch = max.max(1);
    }
    if let Some(wait) = args.batch_wait_ms {
        batch.max_wait_ms = wait;
    }
    let setup = Setup {
        orders: args.orders,
        warmup: args.warmup,
        latency_ms: args.latency_ms,
        concurrency: args
            .concurrency
            .unwrap_or(defaults.workers.concurrency)
            .max(1),
        odoo_concurrency: args
            .odoo_concurrency
            .unwrap_or(OdooConfig::default().max_concurrency)
            .max(1),
        rate: args.rate,
        batch,
        sandbox_products: args.sandbox_products.max(SKUS as usize),
    };
    let hub = run_path(Path::Hub, &setup).await?;
    let naive = run_path(Path::Naive, &setup).await?;
    let speedup = ratio(hub.orders_per_sec, naive.orders_per_sec);
    let result = json!({
        "machine": super::bench::machine(),
        "orders": setup.orders,
        "warmup_orders": setup.warmup,
        "latency_ms": setup.latency_ms,
        "worker_concurrency": setup.concurrency,
        "odoo_max_concurrency": setup.odoo_concurrency,
        "odoo_rate_limit_per_sec": if setup.rate > 0.0 { json!(setup.rate) } else { json!("off") },
        "batch_max": setup.batch.max_batch,
        "batch_wait_ms": setup.batch.max_wait_ms,
        "sandbox_products": setup.sandbox_products,
        "hub": hub.json(),
        "naive": naive.json(),
        "throughput_ratio": round2(speedup),
        "targets": {
            "calls_per_order_at_most_3": hub.calls_per_order <= 3.0,
            "throughput_at_least_5x_naive": speedup >= 5.0,
        },
    });
    if args.json {
        println!("{}", serde_json::to_string_pretty(&result)?);
    } else {
        print_report(&result);
    }
    let complete = hub.one_sale_order_each && naive.one_sale_order_each;
    Ok(if complete {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

struct PathResult {
    seconds: f64,
    orders_per_sec: f64,
    calls: u64,
    calls_per_order: f64,
    warmup_calls: u64,
    by_method: Vec<(String, u64)>,
    one_sale_order_each: bool,
}

impl PathResult {
    fn json(&self) -> Value {
        let by_method: serde_json::Map<String, Value> = self
            .by_method
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        json!({
            "seconds": round2(self.seconds),
            "orders_per_sec": round2(self.orders_per_sec),
            "odoo_calls": self.calls,
            "calls_per_order": round2(self.calls_per_order),
            "warmup_calls": self.warmup_calls,
            "calls_by_method": by_method,
            "one_confirmed_sale_order_per_order": self.one_sale_order_each,
        })
    }
}

async fn run_path(path: Path, setup: &Setup) -> Result<PathResult> {
    let sandbox = Sandbox::new(SimConfig {
        faults: FaultConfig {
            latency_ms: setup.latency_ms,
            ..FaultConfig::default()
        },
        demo_products: setup.sandbox_products,
        ..SimConfig::default()
    });
    let url = sandbox.spawn().await.context("starting the sandbox")?;
    let client = OdooClient::new(OdooConfig {
        url,
        db: sandbox.config().db.clone(),
        login: sandbox.config().login.clone(),
        secret: sandbox.config().password.clone(),
        timeout: Duration::from_secs(60),
        max_concurrency: setup.odoo_concurrency,
        rate_limit: if setup.rate > 0.0 {
            RateLimit {
                per_second: setup.rate,
                burst: RateLimit::default().burst,
            }
        } else {
            RateLimit::unlimited()
        },
        ..OdooConfig::default()
    })
    .context("configuring the Odoo client")?;
    let erp: Arc<dyn Erp> = match path {
        Path::Hub => Arc::new(OdooErp::new(client)),
        Path::Naive => Arc::new(NaiveErp { client }),
    };
    let temp = tempfile::tempdir()?;
    let store = o2c_store::open(&temp.path().join("bench.db").to_string_lossy())
        .await
        .context("opening the bench store")?;
    let mut config = o2c_hub::HubConfig::default();
    config.workers.concurrency = setup.concurrency;
    config.workers.poll_ms = 10;
    config.workers.erp_batch = match path {
        Path::Hub => setup.batch,
        Path::Naive => o2c_hub::erp::batcher::BatchConfig {
            max_batch: 1,
            ..setup.batch
        },
    };
    let mut orders = BenchOrders::new(path.name());
    let principal = Principal {
        key_id: uuid::Uuid::now_v7(),
        name: "bench".into(),
        scopes: vec!["orders:write".into()],
        channel: None,
    };

    // Warm-up: queued before the hub starts, run to the end.
    enqueue(store.as_ref(), &principal, &mut orders, setup.warmup, true).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let hub = o2c_hub::start(&config, store.clone(), erp, listener).await?;
    wait_confirmed(store.as_ref(), setup.warmup).await?;
    let warmup_calls = sandbox.total_calls();
    sandbox.reset_calls();

    // Measured: N orders queued at once.
    let started = Instant::now();
    enqueue(store.as_ref(), &principal, &mut orders, setup.orders, false).await?;
    wait_confirmed(store.as_ref(), setup.warmup + setup.orders).await?;
    let seconds = started.elapsed().as_secs_f64();
    let calls = sandbox.total_calls();
    let mut by_method: Vec<(String, u64)> = sandbox
        .call_counts()
        .into_iter()
        .map(|((model, method), n)| (format!("{model}.{method}"), n))
        .collect();
    by_method.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    hub.shutdown().await;

    let prefix = format!("BENCH-{}-", path.name());
    let confirmed = sandbox.count(
        "sale.order",
        json!([
            ["client_order_ref", "=like", format!("{prefix}%")],
            ["state", "=", "sale"]
        ]),
    );
    let all = sandbox.count(
        "sale.order",
        json!([["client_order_ref", "=like", format!("{prefix}%")]]),
    );
    let expected = setup.warmup + setup.orders;
    Ok(PathResult {
        seconds,
        orders_per_sec: setup.orders as f64 / seconds.max(1e-9),
        calls,
        calls_per_order: calls as f64 / setup.orders as f64,
        warmup_calls,
        by_method,
        one_sale_order_each: confirmed == expected && all == expected,
    })
}

/// Puts `n` orders in the store in one commit (inbox, projection, first
/// journal event and first job each), as the ingest writer would.
async fn enqueue(
    store: &dyn Store,
    principal: &Principal,
    orders: &mut BenchOrders,
    n: usize,
    warmup: bool,
) -> Result<()> {
    let mut acceptances = Vec::with_capacity(n);
    for _ in 0..n {
        let value = orders.next(warmup);
        let order: Order = serde_json::from_value(value.clone())?;
        let (_, acceptance) = intake::acceptance(Intake {
            order: &order,
            raw_payload: value.to_string(),
            principal,
            idempotency_header: None,
            correlation_id: "bench-odoo",
            now: Utc::now(),
        })?;
        acceptances.push(acceptance);
    }
    store.accept_batch(acceptances).await?;
    Ok(())
}

/// Waits until `n` orders are confirmed; fails if the run stalls.
async fn wait_confirmed(store: &dyn Store, n: usize) -> Result<()> {
    let mut last = (0usize, Instant::now());
    loop {
        let counts = store.count_orders_by_status().await?;
        let count = |status: &str| -> usize {
            counts
                .iter()
                .filter(|(s, _)| s == status)
                .map(|(_, c)| *c as usize)
                .sum()
        };
        let confirmed = count("confirmed");
        if confirmed >= n {
            return Ok(());
        }
        let stuck = count("on_hold");
        if stuck > 0 {
            bail!("{stuck} bench orders went on hold: {counts:?}");
        }
        if confirmed != last.0 {
            last = (confirmed, Instant::now());
        } else if last.1.elapsed() > Duration::from_secs(60) {
            bail!("no progress for 60 s: {counts:?}");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

const CUSTOMERS: u32 = 50;
const SKUS: u32 = 500;

/// Deterministic orders: 50 customers (by email and CRM id, so the hub
/// resolves and caches their partners), 1–4 lines from the sandbox's first
/// 500 SKUs.
struct BenchOrders {
    rng: StdRng,
    run: &'static str,
    n: usize,
}

impl BenchOrders {
    fn new(run: &'static str) -> Self {
        Self {
            rng: StdRng::seed_from_u64(20),
            run,
            n: 0,
        }
    }

    /// The next order: during the warm-up, order `i` uses customer
    /// `i mod 50` and SKUs `4i+1..=4i+4` (so 125 warm-up orders touch every
    /// customer and SKU once: the caches are warm, the steady state);
    /// afterwards random customers and 1–4 random SKUs.
    fn next(&mut self, warmup: bool) -> Value {
        let i = self.n as u32;
        self.n += 1;
        let (customer, skus) = if warmup {
            (
                i % CUSTOMERS + 1,
                (0..4).map(|k| (4 * i + k) % SKUS + 1).collect::<Vec<u32>>(),
            )
        } else {
            let customer = self.rng.random_range(1..=CUSTOMERS);
            let lines = self.rng.random_range(1..=4usize);
            let mut skus: Vec<u32> = Vec::new();
            while skus.len() < lines {
                let sku = self.rng.random_range(1..=SKUS);
                if !skus.contains(&sku) {
                    skus.push(sku);
                }
            }
            (customer, skus)
        };
        let lines: Vec<Value> = skus
            .iter()
            .enumerate()
            .map(|(i, sku)| {
                json!({
                    "line_id": format!("{}", i + 1),
                    "sku": format!("SKU-{sku:05}"),
                    "quantity": { "value": format!("{}", sku % 9 + 1), "uom": "Units" },
                    "unit_price": format!("{}.{:02}", sku % 90 + 5, sku % 100),
                })
            })
            .collect();
        json!({
            "channel": { "kind": "rest", "account": "bench" },
            "channel_order_id": format!("BENCH-{}-{:05}", self.run, self.n),
            "order_date": Utc::now().to_rfc3339(),
            "currency": "USD",
            "customer": {
                "name": format!("Bench Customer {customer}"),
                "email": format!("buyer{customer}@bench.example"),
                "external_refs": [{ "system": "crm", "id": format!("BC-{customer}") }]
            },
            "ship_to": {
                "name": format!("Bench Customer {customer}"),
                "street_lines": [format!("{customer} Bench Street")],
                "city": "Springfield", "postal_code": "62701", "country": "US"
            },
            "lines": lines,
        })
    }
}

/// The baseline: one Odoo call per step, nothing cached, nothing batched.
struct NaiveErp {
    client: OdooClient,
}

impl NaiveErp {
    async fn call(
        &self,
        model: &str,
        method: &str,
        args: Value,
        kwargs: Value,
    ) -> Result<Value, ErpError> {
        self.client
            .execute_kw(model, method, args, kwargs, None)
            .await
            .map_err(map_error)
    }

    fn first_id(found: &Value) -> Option<i64> {
        found
            .as_array()
            .and_then(|rows| rows.first())
            .and_then(|row| row.get("id"))
            .and_then(Value::as_i64)
    }
}

#[async_trait]
impl Erp for NaiveErp {
    async fn submit_order(&self, _: ErpCall<'_>, order: &Order) -> Result<ErpSubmission, ErpError> {
        let email = order.customer.email.clone().unwrap_or_default();
        let found = self
            .call(
                "res.partner",
                "search_read",
                json!([[["email", "=", email]]]),
                json!({"fields": ["id"], "limit": 1}),
            )
            .await?;
        let partner_id = match Self::first_id(&found) {
            Some(id) => id,
            None => self
                .call(
                    "res.partner",
                    "create",
                    json!([{"name": order.customer.name, "email": email}]),
                    json!({}),
                )
                .await?
                .as_i64()
                .ok_or_else(|| ErpError::Permanent("res.partner.create returned no id".into()))?,
        };
        let mut lines = Vec::new();
        for line in &order.lines {
            let found = self
                .call(
                    "product.product",
                    "search_read",
                    json!([[["default_code", "=", line.sku]]]),
                    json!({"fields": ["id"], "limit": 1}),
                )
                .await?;
            let Some(product_id) = Self::first_id(&found) else {
                return Ok(ErpSubmission::Rejected {
                    reasons: vec![HoldReason::UnknownProduct],
                    detail: format!("no Odoo product has the SKU {}", line.sku),
                });
            };
            lines.push(json!([0, 0, {
                "product_id": product_id,
                "product_uom_qty": o2c_odoo::ops::decimal_json(line.quantity.value),
                "price_unit": o2c_odoo::ops::decimal_json(line.unit_price),
            }]));
        }
        let created = self
            .call(
                "sale.order",
                "create",
                json!([{
                    "partner_id": partner_id,
                    "client_order_ref": order.channel_order_id,
                    "order_line": lines,
                }]),
                json!({}),
            )
            .await?;
        let erp_order_id = created
            .as_i64()
            .ok_or_else(|| ErpError::Permanent("sale.order.create returned no id".into()))?;
        Ok(ErpSubmission::Created {
            erp_order_id,
            erp_order_ref: format!("sale.order,{erp_order_id}"),
        })
    }

    async fn confirm_order(&self, _: ErpCall<'_>, erp_order_id: i64) -> Result<String, ErpError> {
        self.call(
            "sale.order",
            "action_confirm",
            json!([[erp_order_id]]),
            json!({}),
        )
        .await?;
        let read = self
            .call(
                "sale.order",
                "read",
                json!([[erp_order_id]]),
                json!({"fields": ["name", "state"]}),
            )
            .await?;
        read.as_array()
            .and_then(|rows| rows.first())
            .and_then(|row| row.get("name"))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| ErpError::Permanent(format!("sale.order {erp_order_id} not found")))
    }

    fn calls(&self) -> u64 {
        self.client.calls()
    }
}

fn map_error(error: OdooError) -> ErpError {
    if error.is_transient() {
        ErpError::Transient {
            message: error.to_string(),
            retry_after: None,
        }
    } else {
        ErpError::Permanent(error.to_string())
    }
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { 0.0 }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn print_report(result: &Value) {
    println!(
        "o2c bench odoo ({}; {} orders after {} warm-up, {} ms per Odoo call)",
        result["machine"].as_str().unwrap_or(""),
        result["orders"],
        result["warmup_orders"],
        result["latency_ms"],
    );
    println!(
        "  worker concurrency {}, Odoo calls in flight ≤ {}, rate limit {}, batches ≤ {} orders / {} ms",
        result["worker_concurrency"],
        result["odoo_max_concurrency"],
        result["odoo_rate_limit_per_sec"],
        result["batch_max"],
        result["batch_wait_ms"],
    );
    println!(
        "  {:<8} {:>12} {:>10} {:>12} {:>14}",
        "path", "orders/s", "seconds", "Odoo calls", "calls/order"
    );
    for path in ["hub", "naive"] {
        let r = &result[path];
        println!(
            "  {:<8} {:>12} {:>10} {:>12} {:>14}",
            path,
            r["orders_per_sec"].to_string(),
            r["seconds"].to_string(),
            r["odoo_calls"].to_string(),
            r["calls_per_order"].to_string()
        );
    }
    println!("  hub ÷ naive throughput: {}×", result["throughput_ratio"]);
    for path in ["hub", "naive"] {
        let calls: HashMap<String, Value> = result[path]["calls_by_method"]
            .as_object()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        let mut calls: Vec<_> = calls.into_iter().collect();
        calls.sort_by(|a, b| a.0.cmp(&b.0));
        let text: Vec<String> = calls.iter().map(|(k, v)| format!("{k} {v}")).collect();
        println!("  {path} calls: {}", text.join(", "));
        if result[path]["one_confirmed_sale_order_per_order"] != json!(true) {
            println!("  {path}: NOT every order has exactly one confirmed sale order");
        }
    }
    println!(
        "  targets: ≤ 3 calls/order {}; ≥ 5× naive {}",
        if result["targets"]["calls_per_order_at_most_3"] == json!(true) {
            "met"
        } else {
            "MISSED"
        },
        if result["targets"]["throughput_at_least_5x_naive"] == json!(true) {
            "met"
        } else {
            "MISSED"
        },
    );
}
