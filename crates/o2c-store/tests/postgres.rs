//! The store suite against PostgreSQL, each test in a fresh schema that is
//! dropped afterwards. Runs when `O2C_TEST_POSTGRES_URL` is set (for example
//! `postgres://postgres@127.0.0.1:5432/test`); fails loudly when it is set
//! and the server cannot be reached.

#[macro_use]
mod suite;

use std::sync::Arc;
use std::time::Instant;

use o2c_store::{AcceptOutcome, PostgresStore};
use suite::{BoxFut, Harness};
use uuid::Uuid;

const ENV: &str = "O2C_TEST_POSTGRES_URL";

fn url() -> Option<String> {
    match std::env::var(ENV) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            // Written straight to stderr (not eprintln!, which the test
            // harness captures) so a plain `cargo test` shows the skip, once.
            static NOTICE: std::sync::Once = std::sync::Once::new();
            NOTICE.call_once(|| {
                use std::io::Write;
                let _ = writeln!(
                    std::io::stderr(),
                    "skipping PostgreSQL store tests: {ENV} is not set"
                );
            });
            None
        }
    }
}

fn fresh_schema() -> String {
    format!("o2c_test_{}", Uuid::now_v7().simple())
}

async fn setup() -> Option<(Harness, BoxFut)> {
    let url = url()?;
    let schema = fresh_schema();
    let store = PostgresStore::connect_with_schema(&url, &schema)
        .await
        .unwrap_or_else(|e| panic!("{ENV} is set but PostgreSQL is unusable: {e}"));
    let pool = store.pool().clone();
    let exec = Arc::new(move |sql: String| -> BoxFut {
        let pool = pool.clone();
        Box::pin(async move {
            sqlx::raw_sql(&sql).execute(&pool).await.expect("raw sql");
        })
    });
    let twin = PostgresStore::connect_with_schema(&url, &schema)
        .await
        .unwrap_or_else(|e| panic!("{ENV} is set but PostgreSQL is unusable: {e}"));
    let closing = store.clone();
    let closing_twin = twin.clone();
    let cleanup: BoxFut = Box::pin(async move {
        closing.close().await;
        closing_twin.close().await;
        o2c_store::postgres::drop_schema(&url, &schema)
            .await
            .expect("drop test schema");
    });
    let harness = Harness {
        store: Arc::new(store),
        twin: Arc::new(twin),
        exec,
        disable_audit_guard: "ALTER TABLE audit DISABLE TRIGGER audit_no_update_delete",
        override_cursor_migration: include_str!(
            "../migrations/postgres/0005_reconcile_cursor_at_upgrade.sql"
        ),
    };
    Some((harness, cleanup))
}

all_store_tests!(setup);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_understands_the_schema_parameter() {
    let Some(url) = url() else { return };
    let schema = fresh_schema();
    let sep = if url.contains('?') { '&' } else { '?' };
    let store = o2c_store::open(&format!("{url}{sep}schema={schema}"))
        .await
        .expect("open with schema");
    assert_eq!(store.backend(), "postgres");
    store
        .accept_batch(vec![suite::acceptance("k", "SO-1")])
        .await
        .unwrap();
    let rows: i64 = {
        let probe = PostgresStore::connect_with_schema(&url, &schema)
            .await
            .unwrap();
        let n = sqlx::query_scalar("SELECT COUNT(*) FROM orders")
            .fetch_one(probe.pool())
            .await
            .unwrap();
        probe.close().await;
        n
    };
    assert_eq!(rows, 1, "the order went into the named schema");
    drop(store);
    o2c_store::postgres::drop_schema(&url, &schema)
        .await
        .unwrap();
}

/// A rough probe of the hot path (not a benchmark).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accept_batch_throughput_probe() {
    let Some((h, cleanup)) = setup().await else {
        return;
    };
    const BATCH: usize = 200;
    const BATCHES: usize = 5;
    let batches: Vec<Vec<_>> = (0..BATCHES)
        .map(|b| {
            (0..BATCH)
                .map(|i| suite::acceptance(&format!("k{b}-{i}"), &format!("SO-{b}-{i}")))
                .collect()
        })
        .collect();
    let started = Instant::now();
    for batch in batches {
        let out = h.store.accept_batch(batch).await.unwrap();
        assert!(
            out.iter()
                .all(|o| matches!(o, AcceptOutcome::Accepted { .. }))
        );
    }
    let elapsed = started.elapsed();
    eprintln!(
        "postgres accept_batch: {BATCHES} x {BATCH} in {elapsed:?} ({:?} per batch, {:.0} orders/s)",
        elapsed / BATCHES as u32,
        (BATCH * BATCHES) as f64 / elapsed.as_secs_f64()
    );
    drop(h);
    cleanup.await;
}
