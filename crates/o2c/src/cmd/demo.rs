//! `o2c demo`: the Odoo sandbox (or a real Odoo) and the hub in one process,
//! on the embedded defaults; posts sample orders through the REST API and
//! reports how they fared.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use chrono::Utc;
use indicatif::{ProgressBar, ProgressStyle};
use o2c_hub::auth::{self, Scope};
use o2c_hub::erp::Erp;
use o2c_hub::erp::odoo::OdooErp;
use o2c_odoo::{OdooClient, OdooConfig};
use o2c_odoo_sim::Sandbox;
use o2c_store::{JobState, Store};
use serde_json::{Value, json};
use tokio::sync::Semaphore;

use super::sim::sim_config;
use crate::cli::DemoArgs;
use crate::samples::{SampleAddress, SampleCustomer, SampleOrders, SampleProduct};
use crate::settings::Settings;

pub async fn run(settings: Settings, args: DemoArgs) -> Result<ExitCode> {
    if args.orders == 0 {
        bail!("--orders must be at least 1");
    }
    let started = Instant::now();
    let temp = tempfile::tempdir().context("creating a temporary folder")?;
    let store_path = match &args.store {
        Some(path) => path.clone(),
        None => temp.path().join("o2c-demo.db"),
    };
    let store = o2c_store::open(&store_path.to_string_lossy())
        .await
        .context("opening the demo store")?;

    // The ERP: a real Odoo when asked, else the sandbox on a free port.
    let (odoo_config, odoo_label) = match &args.odoo_url {
        Some(url) => (
            OdooConfig {
                url: url.clone(),
                db: args.odoo_db.clone().unwrap_or_default(),
                login: args.odoo_user.clone().unwrap_or_default(),
                secret: args.odoo_password.clone().unwrap_or_default(),
                timeout: Duration::from_secs(60),
                max_concurrency: settings.odoo.max_concurrency.max(1),
                ..Default::default()
            },
            format!("Odoo at {url}"),
        ),
        None => {
            let config = sim_config(16, "demo")?;
            let (db, login, secret) = (
                config.db.clone(),
                config.login.clone(),
                config.password.clone(),
            );
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            let addr = listener.local_addr()?;
            let sandbox = Sandbox::new(config);
            tokio::spawn(async move {
                if let Err(error) = sandbox.serve(listener).await {
                    tracing::error!(error = %error, "sandbox stopped");
                }
            });
            (
                OdooConfig {
                    url: format!("http://{addr}"),
                    db,
                    login,
                    secret,
                    timeout: Duration::from_secs(30),
                    max_concurrency: settings.odoo.max_concurrency.max(1),
                    // The sandbox is ours: no need to throttle the demo.
                    rate_limit: o2c_odoo::RateLimit::unlimited(),
                    ..Default::default()
                },
                "the built-in Odoo 16 sandbox".to_owned(),
            )
        }
    };
    let client = OdooClient::new(odoo_config.clone()).context("configuring the Odoo client")?;
    let catalogue = OdooClient::new(odoo_config).context("configuring the Odoo client")?;
    let erp = Arc::new(OdooErp::new(client).with_pricelists(settings.hub.pricelists.clone()));

    let mut hub_config = settings.hub.clone();
    hub_config.run_workers = true;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let hub = o2c_hub::start(&hub_config, store.clone(), erp.clone(), listener).await?;
    let base = format!("http://{}", hub.addr);
    let key = auth::create_key(
        store.as_ref(),
        "cli:demo",
        "demo",
        &[Scope::OrdersWrite, Scope::OrdersRead],
        None,
        Utc::now(),
    )
    .await?;

    let mut samples = sample_source(&catalogue).await?;
    let calls_before = erp.calls();
    let interactive = std::io::stderr().is_terminal() && !args.json;
    let progress = Progress::new(interactive, args.orders as u64, "posting orders");
    let http = reqwest::Client::new();
    let slots = Arc::new(Semaphore::new(args.concurrency.max(1)));
    let rejected = Arc::new(AtomicUsize::new(0));
    let mut posts = tokio::task::JoinSet::new();
    for n in 1..=args.orders {
        let Some(order) = samples.order(n, Utc::now()) else {
            bail!(
                "the Odoo database has no customers with an email or no products with a SKU to build orders from"
            );
        };
        let permit = slots.clone().acquire_owned().await?;
        let (http, url, secret, rejected, progress) = (
            http.clone(),
            format!("{base}/v1/orders"),
            key.secret.clone(),
            rejected.clone(),
            progress.clone(),
        );
        posts.spawn(async move {
            let answer = http.post(url).bearer_auth(secret).json(&order).send().await;
            match answer {
                Ok(response) if response.status().as_u16() == 202 => {}
                Ok(response) => {
                    rejected.fetch_add(1, Ordering::Relaxed);
                    let status = response.status();
                    let body = response.text().await.unwrap_or_default();
                    tracing::warn!(%status, body, "order refused");
                }
                Err(error) => {
                    rejected.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(error = %error, "posting an order failed");
                }
            }
            progress.advance();
            drop(permit);
        });
    }
    while posts.join_next().await.is_some() {}
    progress.finish();

    let accepted = args.orders - rejected.load(Ordering::Relaxed);
    let progress = Progress::new(interactive, accepted as u64, "confirming in Odoo");
    let deadline = Instant::now() + Duration::from_secs(args.timeout_secs);
    let counts = loop {
        let counts = Counts::read(store.as_ref()).await?;
        progress.set(counts.settled() as u64);
        if counts.settled() >= accepted || Instant::now() > deadline {
            break counts;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    progress.finish();
    let calls = erp.calls() - calls_before;
    let elapsed = started.elapsed();
    hub.shutdown().await;

    let summary = json!({
        "orders": args.orders,
        "accepted": accepted,
        "confirmed": counts.confirmed,
        "on_hold": counts.on_hold,
        "dead_lettered": counts.dead,
        "in_progress": accepted.saturating_sub(counts.settled()),
        "odoo_calls": calls,
        "odoo_calls_per_order": if accepted > 0 { (calls as f64 / accepted as f64 * 100.0).round() / 100.0 } else { 0.0 },
        "elapsed_secs": (elapsed.as_secs_f64() * 10.0).round() / 10.0,
        "store": "sqlite",
        "odoo": odoo_label,
    });
    if args.json {
        println!("{summary}");
    } else {
        print_table(&summary);
    }
    let complete = counts.confirmed == args.orders;
    Ok(if complete {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Customers and products from the target Odoo itself.
async fn sample_source(client: &OdooClient) -> Result<SampleOrders> {
    let partners = client
        .execute_kw(
            "res.partner",
            "search_read",
            json!([[["email", "!=", false], ["type", "=", "contact"], ["street", "!=", false], ["city", "!=", false], ["country_id", "!=", false]]]),
            json!({ "fields": ["id", "name", "email", "street", "city", "zip", "country_id"], "limit": 100, "order": "id asc" }),
            None,
        )
        .await
        .context("reading customers from Odoo")?;
    let products = client
        .execute_kw(
            "product.product",
            "search_read",
            json!([[["default_code", "!=", false], ["sale_ok", "=", true]]]),
            json!({ "fields": ["id", "default_code", "list_price"], "limit": 200, "order": "id asc" }),
            None,
        )
        .await
        .context("reading products from Odoo")?;
    // Country codes for the partners' country ids, in one read.
    let country_ids: Vec<i64> = rows(&partners)
        .filter_map(|p| {
            p.get("country_id")
                .and_then(Value::as_array)
                .and_then(|c| c.first())
                .and_then(Value::as_i64)
        })
        .collect();
    let countries = client
        .execute_kw(
            "res.country",
            "read",
            json!([country_ids]),
            json!({ "fields": ["id", "code"] }),
            None,
        )
        .await
        .context("reading countries from Odoo")?;
    let code_of: std::collections::HashMap<i64, String> = rows(&countries)
        .filter_map(|c| Some((c.get("id")?.as_i64()?, c.get("code")?.as_str()?.to_owned())))
        .collect();
    let text = |p: &Value, field: &str| p.get(field).and_then(Value::as_str).map(str::to_owned);
    let customers = rows(&partners)
        .map(|p| SampleCustomer {
            odoo_id: p.get("id").and_then(Value::as_i64),
            name: text(p, "name").unwrap_or_else(|| "Customer".into()),
            email: text(p, "email"),
            address: (|| {
                let country = p.get("country_id")?.as_array()?.first()?.as_i64()?;
                Some(SampleAddress {
                    street: text(p, "street")?,
                    city: text(p, "city")?,
                    postal_code: text(p, "zip").unwrap_or_default(),
                    country: code_of.get(&country)?.clone(),
                })
            })(),
        })
        .collect();
    let products = rows(&products)
        .filter_map(|p| {
            let sku = p.get("default_code").and_then(Value::as_str)?;
            let price = p
                .get("list_price")
                .map(|v| v.to_string())
                .unwrap_or_else(|| "1".into());
            Some(SampleProduct {
                sku: sku.to_owned(),
                price: normalise_price(&price),
            })
        })
        .collect();
    let run = format!("{}", Utc::now().format("%Y%m%d%H%M%S"));
    Ok(SampleOrders::new(42, &run, "USD", customers, products))
}

fn rows(value: &Value) -> impl Iterator<Item = &Value> {
    value.as_array().into_iter().flatten()
}

/// Odoo sends floats such as `25.0`; the canonical model wants a decimal.
fn normalise_price(text: &str) -> String {
    text.trim_matches('"')
        .parse::<rust_decimal::Decimal>()
        .map(|d| d.round_dp(2).to_string())
        .unwrap_or_else(|_| "1".into())
}

struct Counts {
    confirmed: usize,
    on_hold: usize,
    dead: usize,
}

impl Counts {
    async fn read(store: &dyn Store) -> Result<Self> {
        let mut counts = Counts {
            confirmed: 0,
            on_hold: 0,
            dead: 0,
        };
        for (status, n) in store.count_orders_by_status().await? {
            match status.as_str() {
                "confirmed" => counts.confirmed = n as usize,
                "on_hold" => counts.on_hold = n as usize,
                _ => {}
            }
        }
        for (state, n) in store.count_jobs_by_state().await? {
            if state == JobState::Dead {
                counts.dead = n as usize;
            }
        }
        Ok(counts)
    }

    fn settled(&self) -> usize {
        self.confirmed + self.on_hold + self.dead
    }
}

fn print_table(summary: &Value) {
    let get = |k: &str| summary.get(k).cloned().unwrap_or(Value::Null);
    let text = |v: Value| match v {
        Value::String(s) => s,
        other => other.to_string(),
    };
    println!();
    println!(
        "o2c demo: {} orders through the REST API into {}",
        text(get("orders")),
        text(get("odoo"))
    );
    println!("  {:<22} {:>10}", "orders", text(get("orders")));
    println!("  {:<22} {:>10}", "accepted", text(get("accepted")));
    println!(
        "  {:<22} {:>10}",
        "confirmed in Odoo",
        text(get("confirmed"))
    );
    println!("  {:<22} {:>10}", "on hold", text(get("on_hold")));
    println!(
        "  {:<22} {:>10}",
        "dead-lettered",
        text(get("dead_lettered"))
    );
    println!(
        "  {:<22} {:>10}",
        "still in progress",
        text(get("in_progress"))
    );
    println!("  {:<22} {:>10}", "Odoo calls", text(get("odoo_calls")));
    println!(
        "  {:<22} {:>10}",
        "Odoo calls per order",
        text(get("odoo_calls_per_order"))
    );
    println!("  {:<22} {:>9}s", "elapsed", text(get("elapsed_secs")));
}

/// A bar on a terminal; elsewhere one plain line per 10%.
#[derive(Clone)]
struct Progress {
    bar: Option<ProgressBar>,
    total: u64,
    label: &'static str,
    done: Arc<AtomicUsize>,
    last_decile: Arc<AtomicUsize>,
}

impl Progress {
    fn new(interactive: bool, total: u64, label: &'static str) -> Self {
        let bar = interactive.then(|| {
            let bar = ProgressBar::new(total);
            if let Ok(style) =
                ProgressStyle::with_template("{msg:20} [{bar:40}] {pos}/{len} ({per_sec})")
            {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_message(label);
            bar
        });
        Self {
            bar,
            total: total.max(1),
            label,
            done: Arc::default(),
            last_decile: Arc::default(),
        }
    }

    fn advance(&self) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) as u64 + 1;
        self.set(done);
    }

    fn set(&self, done: u64) {
        match &self.bar {
            Some(bar) => bar.set_position(done),
            None => {
                let decile = (done * 10 / self.total) as usize;
                let previous = self.last_decile.fetch_max(decile, Ordering::Relaxed);
                if decile > previous {
                    eprintln!("{}: {}% ({done}/{})", self.label, decile * 10, self.total);
                }
            }
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish();
        }
    }
}
