//! `o2c bench ingest`: how fast the hub accepts orders, next to the limit
//! the store sets, measured in the same run on the same machine.
//!
//! Phases: (1) the raw store write, one durable commit per order; (2) the
//! raw store write grouped as the ingest writer groups it; (3) HTTP at a
//! fixed offered rate (open loop: latency counts from the scheduled send
//! time, so a stall is not hidden); (4) HTTP saturated by concurrent
//! clients. Then every acknowledged order is counted in the store.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use async_trait::async_trait;
use chrono::Utc;
use hdrhistogram::Histogram;
use o2c_hub::auth::{self, Principal, Scope};
use o2c_hub::erp::{Erp, ErpCall, ErpError, ErpSubmission};
use o2c_hub::intake::{self, Intake};
use o2c_model::Order;
use o2c_store::Store;
use serde_json::{Value, json};
use tokio::sync::Mutex;

use crate::cli::{BenchCommand, BenchIngestArgs};
use crate::samples::{SampleAddress, SampleCustomer, SampleOrders, SampleProduct};

pub async fn run(command: BenchCommand) -> Result<ExitCode> {
    match command {
        BenchCommand::Ingest(args) => ingest(args).await,
        BenchCommand::Map(args) => super::bench_map::run(args),
        BenchCommand::Odoo(args) => super::bench_odoo::run(args).await,
    }
}

/// The bench measures ingest alone: workers are off and nothing reaches an ERP.
struct NoErp;

#[async_trait]
impl Erp for NoErp {
    async fn submit_order(&self, _: ErpCall<'_>, _: &Order) -> Result<ErpSubmission, ErpError> {
        Err(ErpError::Permanent(
            "the ingest benchmark runs without an ERP".into(),
        ))
    }
    async fn confirm_order(&self, _: ErpCall<'_>, _: i64) -> Result<String, ErpError> {
        Err(ErpError::Permanent(
            "the ingest benchmark runs without an ERP".into(),
        ))
    }
    fn calls(&self) -> u64 {
        0
    }
}

fn samples(run: &str) -> SampleOrders {
    let customers = (1..=50)
        .map(|i| SampleCustomer {
            odoo_id: Some(i),
            name: format!("Customer {i}"),
            email: Some(format!("c{i}@example.test")),
            address: Some(SampleAddress {
                street: format!("{i} Main St"),
                city: "Springfield".into(),
                postal_code: "62701".into(),
                country: "US".into(),
            }),
        })
        .collect();
    let products = (1..=500)
        .map(|i| SampleProduct {
            sku: format!("SKU-{i:05}"),
            price: format!("{}.{:02}", i % 90 + 5, i % 100),
        })
        .collect();
    SampleOrders::new(7, run, "USD", customers, products)
}

pub async fn ingest(args: BenchIngestArgs) -> Result<ExitCode> {
    let temp = tempfile::tempdir()?;
    let url = args
        .store
        .clone()
        .unwrap_or_else(|| temp.path().join("bench.db").to_string_lossy().into_owned());
    let store = o2c_store::open(&url)
        .await
        .context("opening the bench store")?;
    let backend = store.backend();
    let principal = Principal {
        key_id: uuid::Uuid::now_v7(),
        name: "bench".into(),
        scopes: vec!["orders:write".into()],
        channel: None,
    };

    // (1) raw, one commit per order.
    let raw_single_n = 2_000;
    let raw_single = raw_store(store.as_ref(), &principal, "raw1", raw_single_n, 1).await?;
    // (2) raw, grouped like the ingest writer.
    let raw_grouped_n = 30_000;
    let raw_grouped = raw_store(store.as_ref(), &principal, "rawg", raw_grouped_n, 256).await?;

    let mut config = o2c_hub::HubConfig {
        run_workers: false,
        ..o2c_hub::HubConfig::default()
    };
    config.workers.concurrency = 1;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let hub = o2c_hub::start(&config, store.clone(), Arc::new(NoErp), listener).await?;
    let key = auth::create_key(
        store.as_ref(),
        "cli:bench",
        "bench",
        &[Scope::OrdersWrite],
        None,
        Utc::now(),
    )
    .await?;
    let url = format!("http://{}/v1/orders", hub.addr);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(1024)
        .build()?;

    // (3) fixed offered rate.
    let fixed = fixed_rate(
        &http,
        &url,
        &key.secret,
        args.rate,
        Duration::from_secs(args.seconds),
    )
    .await?;
    // (4) saturation.
    let saturated = saturate(
        &http,
        &url,
        &key.secret,
        args.clients,
        Duration::from_secs(args.seconds),
    )
    .await?;
    hub.shutdown().await;

    // Every 202 must be in the store.
    let stored: i64 = store
        .count_orders_by_status()
        .await?
        .iter()
        .map(|(_, n)| n)
        .sum();
    let expected = (raw_single_n + raw_grouped_n) as u64 + fixed.accepted + saturated.accepted;
    let durable = stored as u64 == expected;

    let result = json!({
        "machine": machine(),
        "backend": backend,
        "raw_single_commit_per_sec": raw_single.round(),
        "raw_grouped_256_per_sec": raw_grouped.round(),
        "fixed_rate": fixed.json(args.seconds),
        "saturated": saturated.json(args.seconds),
        "saturated_vs_raw_single": ratio(saturated.accepted as f64 / args.seconds as f64, raw_single),
        "saturated_vs_raw_grouped": ratio(saturated.accepted as f64 / args.seconds as f64, raw_grouped),
        "acknowledged_orders": expected,
        "orders_in_store": stored,
        "every_acknowledged_order_stored": durable,
    });
    if args.json {
        println!("{result}");
    } else {
        print_report(&result);
    }
    if !durable {
        bail!("{expected} orders were acknowledged but {stored} are in the store");
    }
    Ok(ExitCode::SUCCESS)
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 {
        (a / b * 100.0).round() / 100.0
    } else {
        0.0
    }
}

/// Orders per second through `accept_batch` with batches of `batch`.
async fn raw_store(
    store: &dyn Store,
    principal: &Principal,
    run: &str,
    n: usize,
    batch: usize,
) -> Result<f64> {
    let mut source = samples(run);
    let mut acceptances = Vec::with_capacity(n);
    for i in 0..n {
        let value = source.order(i, Utc::now()).context("no sample")?;
        let order: Order = serde_json::from_value(value.clone())?;
        let (_, acceptance) = intake::acceptance(Intake {
            order: &order,
            raw_payload: value.to_string(),
            principal,
            idempotency_header: None,
            correlation_id: "bench",
            now: Utc::now(),
        })?;
        acceptances.push(acceptance);
    }
    let started = Instant::now();
    let mut rest = acceptances.into_iter().peekable();
    while rest.peek().is_some() {
        let chunk: Vec<_> = rest.by_ref().take(batch).collect();
        store.accept_batch(chunk).await?;
    }
    Ok(n as f64 / started.elapsed().as_secs_f64())
}

struct HttpRun {
    accepted: u64,
    failed: u64,
    latency: Histogram<u64>,
    elapsed: Duration,
}

impl HttpRun {
    fn json(&self, seconds: u64) -> Value {
        let ms = |q: f64| self.latency.value_at_quantile(q) as f64 / 1000.0;
        json!({
            "accepted": self.accepted,
            "failed": self.failed,
            "accepted_per_sec": (self.accepted as f64 / self.elapsed.as_secs_f64().max(seconds as f64 * 0.5)).round(),
            "p50_ms": ms(0.50),
            "p99_ms": ms(0.99),
            "max_ms": self.latency.max() as f64 / 1000.0,
        })
    }
}

async fn post(http: &reqwest::Client, url: &str, key: &str, body: String) -> bool {
    match http
        .post(url)
        .bearer_auth(key)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
    {
        Ok(response) => response.status().as_u16() == 202,
        Err(_) => false,
    }
}

fn new_histogram() -> Result<Histogram<u64>> {
    Histogram::new_with_bounds(1, 60_000_000, 3).context("histogram")
}

/// Sends `rate` orders per second for `duration`; latency from the scheduled time.
async fn fixed_rate(
    http: &reqwest::Client,
    url: &str,
    key: &str,
    rate: u64,
    duration: Duration,
) -> Result<HttpRun> {
    let mut source = samples("fixed");
    let total = rate.max(1) * duration.as_secs().max(1);
    let bodies: Vec<String> = (0..total as usize)
        .filter_map(|i| source.order(i, Utc::now()).map(|v| v.to_string()))
        .collect();
    let interval = Duration::from_secs_f64(1.0 / rate.max(1) as f64);
    let latency = Arc::new(Mutex::new(new_histogram()?));
    let accepted = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for (i, body) in bodies.into_iter().enumerate() {
        let scheduled = started + interval * i as u32;
        tokio::time::sleep_until(scheduled.into()).await;
        let (http, url, key, latency, accepted, failed) = (
            http.clone(),
            url.to_owned(),
            key.to_owned(),
            latency.clone(),
            accepted.clone(),
            failed.clone(),
        );
        tasks.spawn(async move {
            let ok = post(&http, &url, &key, body).await;
            let micros = scheduled.elapsed().as_micros() as u64;
            if ok {
                accepted.fetch_add(1, Ordering::Relaxed);
                let _ = latency.lock().await.record(micros.max(1));
            } else {
                failed.fetch_add(1, Ordering::Relaxed);
            }
        });
        while tasks.try_join_next().is_some() {}
    }
    while tasks.join_next().await.is_some() {}
    let elapsed = started.elapsed();
    let latency = latency.lock().await.clone();
    Ok(HttpRun {
        accepted: accepted.load(Ordering::Relaxed),
        failed: failed.load(Ordering::Relaxed),
        latency,
        elapsed,
    })
}

/// `clients` concurrent senders for `duration`, each waiting for its answer.
async fn saturate(
    http: &reqwest::Client,
    url: &str,
    key: &str,
    clients: usize,
    duration: Duration,
) -> Result<HttpRun> {
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = tokio::task::JoinSet::new();
    for client in 0..clients.max(1) {
        let (http, url, key) = (http.clone(), url.to_owned(), key.to_owned());
        let mut source = samples(&format!("sat{client}"));
        let mut histogram = new_histogram()?;
        tasks.spawn(async move {
            let (mut accepted, mut failed, mut n) = (0u64, 0u64, 0usize);
            while Instant::now() < deadline {
                let Some(body) = source.order(n, Utc::now()) else {
                    break;
                };
                n += 1;
                let sent = Instant::now();
                if post(&http, &url, &key, body.to_string()).await {
                    accepted += 1;
                    let _ = histogram.record((sent.elapsed().as_micros() as u64).max(1));
                } else {
                    failed += 1;
                }
            }
            (accepted, failed, histogram)
        });
    }
    let mut run = HttpRun {
        accepted: 0,
        failed: 0,
        latency: new_histogram()?,
        elapsed: Duration::ZERO,
    };
    while let Some(result) = tasks.join_next().await {
        let (accepted, failed, histogram) = result?;
        run.accepted += accepted;
        run.failed += failed;
        run.latency.add(&histogram).context("merging histograms")?;
    }
    run.elapsed = started.elapsed();
    Ok(run)
}

pub(super) fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    format!("{cpu}, {cores} cores")
}

fn print_report(result: &Value) {
    println!(
        "o2c bench ingest ({}; store: {})",
        result["machine"].as_str().unwrap_or(""),
        result["backend"].as_str().unwrap_or("")
    );
    println!(
        "  raw store, 1 commit per order      {:>10} orders/s",
        result["raw_single_commit_per_sec"]
    );
    println!(
        "  raw store, 256 orders per commit   {:>10} orders/s",
        result["raw_grouped_256_per_sec"]
    );
    let f = &result["fixed_rate"];
    println!(
        "  HTTP at a fixed rate               {:>10} orders/s  p50 {} ms  p99 {} ms  max {} ms  ({} failed)",
        f["accepted_per_sec"], f["p50_ms"], f["p99_ms"], f["max_ms"], f["failed"]
    );
    let s = &result["saturated"];
    println!(
        "  HTTP saturated                     {:>10} orders/s  p50 {} ms  p99 {} ms  max {} ms  ({} failed)",
        s["accepted_per_sec"], s["p50_ms"], s["p99_ms"], s["max_ms"], s["failed"]
    );
    println!(
        "  saturated / raw single-commit      {:>10}x",
        result["saturated_vs_raw_single"]
    );
    println!(
        "  saturated / raw grouped            {:>10}x",
        result["saturated_vs_raw_grouped"]
    );
    println!(
        "  acknowledged {} / stored {}: {}",
        result["acknowledged_orders"],
        result["orders_in_store"],
        if result["every_acknowledged_order_stored"] == true {
            "all durable"
        } else {
            "MISSING ORDERS"
        }
    );
}
