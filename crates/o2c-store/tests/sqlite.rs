//! The store suite against SQLite (a temporary file per test), plus
//! SQLite-only checks: durability across reopen and a rough throughput probe.

#[macro_use]
mod suite;

use std::sync::Arc;
use std::time::Instant;

use o2c_store::AuditVerification;
use o2c_store::{AcceptOutcome, Audit, Inbox, Jobs, Journal, SqliteStore};
use suite::{BoxFut, Harness};

async fn setup() -> Option<(Harness, BoxFut)> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("o2c.db");
    let store = SqliteStore::open(path.to_str().expect("utf-8 path"))
        .await
        .expect("open sqlite store");
    let pool = store.write_pool().clone();
    let exec = Arc::new(move |sql: String| -> BoxFut {
        let pool = pool.clone();
        Box::pin(async move {
            sqlx::query(&sql).execute(&pool).await.expect("raw sql");
        })
    });
    let twin = SqliteStore::open(path.to_str().expect("utf-8 path"))
        .await
        .expect("open a second sqlite store");
    let closing = store.clone();
    let closing_twin = twin.clone();
    let cleanup: BoxFut = Box::pin(async move {
        closing.close().await;
        closing_twin.close().await;
        drop(dir);
    });
    let harness = Harness {
        store: Arc::new(store),
        twin: Arc::new(twin),
        exec,
        disable_audit_guard: "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;",
        override_cursor_migration: include_str!(
            "../migrations/sqlite/0005_reconcile_cursor_at_upgrade.sql"
        ),
    };
    Some((harness, cleanup))
}

all_store_tests!(setup);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accepted_orders_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("durable.db");
    let url = format!("sqlite:{}", path.display());
    let batch: Vec<_> = (0..50)
        .map(|i| suite::acceptance(&format!("k{i}"), &format!("SO-{i}")))
        .collect();
    {
        let store = o2c_store::open(&url).await.unwrap();
        assert_eq!(store.backend(), "sqlite");
        store.accept_batch(batch.clone()).await.unwrap();
        // No close: the commit alone must be durable (the pools are dropped).
    }
    let reopened = SqliteStore::open(path.to_str().unwrap()).await.unwrap();
    for a in &batch {
        let order = reopened
            .get_order(a.order.order_id)
            .await
            .unwrap()
            .expect("order survived");
        assert_eq!(order.version, 1);
        assert_eq!(
            reopened.load_journal(a.order.order_id).await.unwrap().len(),
            1
        );
        let inbox = reopened
            .get_inbox(a.inbox.id)
            .await
            .unwrap()
            .expect("inbox survived");
        assert_eq!(inbox.payload, a.inbox.payload);
    }
    // Duplicates are still recognised after the restart.
    let again = reopened.accept_batch(vec![batch[7].clone()]).await.unwrap();
    assert!(
        matches!(again[0], AcceptOutcome::Duplicate { inbox_id, .. } if inbox_id == batch[7].inbox.id)
    );
    assert_eq!(
        reopened.verify_audit().await.unwrap(),
        AuditVerification::Intact { rows: 50 }
    );
    assert_eq!(reopened.list_jobs(None, 1000).await.unwrap().len(), 50);
    reopened.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_paths_and_urls_open_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("plain.db");
    let store = o2c_store::open(nested.to_str().unwrap()).await.unwrap();
    assert_eq!(store.backend(), "sqlite");
    assert!(nested.exists(), "file created when missing");
    let mem = o2c_store::open("sqlite::memory:").await.unwrap();
    mem.accept_batch(vec![suite::acceptance("k", "SO-1")])
        .await
        .unwrap();
    assert_eq!(mem.list_orders(None, 10).await.unwrap().len(), 1);
}

/// A rough probe of the hot path (not a benchmark; debug builds are slow).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accept_batch_throughput_probe() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("probe.db").to_str().unwrap())
        .await
        .unwrap();
    const BATCH: usize = 200;
    const BATCHES: usize = 10;
    let batches: Vec<Vec<_>> = (0..BATCHES)
        .map(|b| {
            (0..BATCH)
                .map(|i| suite::acceptance(&format!("k{b}-{i}"), &format!("SO-{b}-{i}")))
                .collect()
        })
        .collect();
    let started = Instant::now();
    for batch in batches {
        let out = store.accept_batch(batch).await.unwrap();
        assert!(
            out.iter()
                .all(|o| matches!(o, AcceptOutcome::Accepted { .. }))
        );
    }
    let elapsed = started.elapsed();
    let per_batch = elapsed / BATCHES as u32;
    eprintln!(
        "sqlite accept_batch: {BATCHES} x {BATCH} in {elapsed:?} ({per_batch:?} per batch, {:.0} orders/s)",
        (BATCH * BATCHES) as f64 / elapsed.as_secs_f64()
    );
    store.close().await;
}
