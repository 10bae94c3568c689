//! Crash tests: the real `o2c serve` binary is aborted (SIGABRT, no
//! unwinding, like `kill -9`) at each step boundary of the order path, then
//! restarted; clients resend what they got no answer for. Every order must
//! end as exactly one confirmed sale order in the Odoo sandbox — on SQLite
//! and on PostgreSQL.

use std::process::Stdio;
use std::time::{Duration, Instant};

use o2c_odoo_sim::{Sandbox, SimConfig};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const POINTS: [&str; 4] = [
    "after_inbox_commit",
    "after_odoo_create",
    "before_journal_commit",
    "after_confirm",
];
const ORDERS_PER_POINT: usize = 6;

struct Server {
    child: Child,
    base: String,
}

async fn spawn_server(store_url: &str, odoo_url: &str, crash_at: Option<&str>) -> Server {
    let mut command = Command::new(env!("CARGO_BIN_EXE_o2c"));
    command
        .args(["serve", "--listen", "127.0.0.1:0", "--store", store_url])
        .env("O2C_ODOO__URL", odoo_url)
        .env("O2C_ODOO__PASSWORD", "admin")
        .env("O2C_WORKERS__POLL_MS", "20")
        // A crashed worker's leases must expire before a restarted one takes its jobs.
        .env("O2C_WORKERS__LEASE_SECS", "2")
        .env("O2C_RETRY__INITIAL_MS", "20")
        .env("O2C_RETRY__MAX_MS", "200")
        .env("RUST_LOG", "warn")
        .env_remove("O2C_CRASH_AT")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    if let Some(point) = crash_at {
        command
            .env("O2C_CRASH_AT", point)
            .env("O2C_CRASH_AFTER", "2");
    }
    let mut child = command.spawn().expect("spawn o2c serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("o2c serve printed nothing in 30 s")
        .expect("read stdout")
        .expect("o2c serve exited before listening");
    let base = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_owned();
    // Keep draining stdout so the child never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Server { child, base }
}

async fn create_key(store_url: &str) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_o2c"))
        .args([
            "keys",
            "create",
            "--name",
            "crash-test",
            "--scope",
            "orders:write,orders:read",
            "--store",
            store_url,
        ])
        .output()
        .await
        .expect("o2c keys create");
    assert!(
        output.status.success(),
        "keys create failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .expect("utf8")
        .trim()
        .to_owned()
}

fn order(reference: &str) -> Value {
    json!({
        "channel": { "kind": "rest", "account": "crash" },
        "channel_order_id": reference,
        "order_date": "2026-11-27T10:00:00Z",
        "currency": "USD",
        "customer": { "name": "Crash Test Co", "email": "ops@crash.example", "external_refs": [{ "system": "crm", "id": "C-1" }] },
        "ship_to": { "street_lines": ["9 Dock Rd"], "city": "Oakland", "postal_code": "94607", "country": "US" },
        "lines": [
            { "line_id": "1", "sku": "SKU-00003", "quantity": { "value": "2", "uom": "Units" }, "unit_price": "10.00" },
            { "line_id": "2", "sku": "SKU-00004", "quantity": { "value": "1", "uom": "Units" }, "unit_price": "99.90" }
        ]
    })
}

/// Posts each order; returns how many got an answer (the rest a client would resend).
async fn post_all(http: &reqwest::Client, base: &str, key: &str, references: &[String]) -> usize {
    let mut answered = 0;
    for reference in references {
        let sent = http
            .post(format!("{base}/v1/orders"))
            .bearer_auth(key)
            .timeout(Duration::from_secs(5))
            .json(&order(reference))
            .send()
            .await;
        if let Ok(response) = sent {
            assert_eq!(
                response.status(),
                202,
                "{reference}: {:?}",
                response.text().await
            );
            answered += 1;
        }
    }
    answered
}

async fn sale_orders(odoo_url: &str, reference: &str) -> Vec<Value> {
    let request = json!({
        "jsonrpc": "2.0", "method": "call", "id": 1,
        "params": { "service": "object", "method": "execute_kw",
            "args": ["o2c", 2, "admin", "sale.order", "search_read", [[["client_order_ref", "=", reference]]], { "fields": ["state", "order_line"] }] }
    });
    let response: Value = reqwest::Client::new()
        .post(format!("{odoo_url}/jsonrpc"))
        .json(&request)
        .send()
        .await
        .expect("jsonrpc")
        .json()
        .await
        .expect("json");
    response["result"]
        .as_array()
        .cloned()
        .unwrap_or_else(|| panic!("{response}"))
}

async fn confirmed_count(http: &reqwest::Client, base: &str, key: &str, prefix: &str) -> usize {
    let Ok(response) = http
        .get(format!("{base}/v1/orders?status=confirmed&limit=1000"))
        .bearer_auth(key)
        .send()
        .await
    else {
        return 0;
    };
    let body: Value = response.json().await.unwrap_or_default();
    body["orders"]
        .as_array()
        .map(|orders| {
            orders
                .iter()
                .filter(|o| {
                    o["channel_order_id"]
                        .as_str()
                        .is_some_and(|r| r.starts_with(prefix))
                })
                .count()
        })
        .unwrap_or(0)
}

async fn run_crash_suite(store_url: &str) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind sandbox");
    let odoo_url = format!("http://{}", listener.local_addr().expect("addr"));
    let sandbox = Sandbox::new(SimConfig::default());
    tokio::spawn(async move {
        let _ = sandbox.serve(listener).await;
    });
    let key = create_key(store_url).await;
    let http = reqwest::Client::new();

    for point in POINTS {
        let prefix = format!("CRASH-{point}-");
        let references: Vec<String> = (1..=ORDERS_PER_POINT)
            .map(|i| format!("{prefix}{i}"))
            .collect();

        let mut doomed = spawn_server(store_url, &odoo_url, Some(point)).await;
        post_all(&http, &doomed.base, &key, &references).await;
        let status = tokio::time::timeout(Duration::from_secs(30), doomed.child.wait())
            .await
            .unwrap_or_else(|_| panic!("{point}: the server never reached its crash point"))
            .expect("wait");
        assert!(
            !status.success(),
            "{point}: the server exited cleanly instead of crashing: {status:?}"
        );

        let mut server = spawn_server(store_url, &odoo_url, None).await;
        // Clients resend everything they are unsure about; duplicates are answered, not re-created.
        assert_eq!(
            post_all(&http, &server.base, &key, &references).await,
            ORDERS_PER_POINT
        );
        let deadline = Instant::now() + Duration::from_secs(60);
        while confirmed_count(&http, &server.base, &key, &prefix).await < ORDERS_PER_POINT {
            assert!(
                Instant::now() < deadline,
                "{point}: orders were not all confirmed after the restart"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        for reference in &references {
            let found = sale_orders(&odoo_url, reference).await;
            assert_eq!(
                found.len(),
                1,
                "{point}: {reference} has {} sale orders: {found:?}",
                found.len()
            );
            assert_eq!(
                found[0]["state"], "sale",
                "{point}: {reference} is not confirmed"
            );
            assert_eq!(
                found[0]["order_line"].as_array().map(Vec::len),
                Some(2),
                "{point}: {reference} lines doubled"
            );
        }
        server.child.start_kill().expect("kill");
        let _ = server.child.wait().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_at_every_step_boundary_sqlite() {
    let temp = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", temp.path().join("crash.db").display());
    run_crash_suite(&url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_at_every_step_boundary_postgres() {
    let Ok(admin_url) = std::env::var("O2C_TEST_POSTGRES_URL") else {
        // Straight to stderr: eprintln! would be captured and never seen.
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "skipping PostgreSQL crash test: O2C_TEST_POSTGRES_URL is not set"
        );
        return;
    };
    use sqlx::Connection;
    let mut admin = sqlx::PgConnection::connect(&admin_url)
        .await
        .unwrap_or_else(|e| {
            panic!("O2C_TEST_POSTGRES_URL is set but PostgreSQL is unreachable: {e}")
        });
    let database = format!("o2c_crash_{}", std::process::id());
    sqlx::query(&format!("DROP DATABASE IF EXISTS {database}"))
        .execute(&mut admin)
        .await
        .expect("drop");
    sqlx::query(&format!("CREATE DATABASE {database}"))
        .execute(&mut admin)
        .await
        .expect("create database");
    let url = match admin_url.rsplit_once('/') {
        Some((server, _)) => format!("{server}/{database}"),
        None => panic!("O2C_TEST_POSTGRES_URL has no database part: {admin_url}"),
    };
    run_crash_suite(&url).await;
    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
        .execute(&mut admin)
        .await;
}
