//! The worker pool: claims jobs (one order's jobs strictly in order, different
//! orders in parallel, at most `concurrency` at once), runs them, keeps their
//! leases alive, and on shutdown stops claiming, lets running jobs finish
//! within a grace period and gives back the leases of those that did not.
//!
//! The ERP calls of jobs running at the same moment are gathered into
//! batches (`erp_batch`, see [`crate::erp::batcher`]): each job still runs
//! and commits its own step; only the round trips to the ERP are shared.

pub mod executor;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use o2c_store::{Lease, Store};
use serde::Deserialize;
use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

pub use executor::{Executor, JobOutcome};

use crate::erp::batcher::{BatchConfig, ErpBatcher};

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default)]
pub struct WorkerConfig {
    /// Jobs run at once. A job waiting on Odoo costs a task, not a thread,
    /// and Odoo's own load is bounded by the client (`odoo.max_concurrency`,
    /// the rate limit); more jobs at once mean fuller ERP batches and fewer
    /// calls per order (docs/benchmarks.md).
    pub concurrency: usize,
    /// A job's lease; renewed while the job runs.
    pub lease_secs: u64,
    /// Idle poll interval when nobody signals new work.
    pub poll_ms: u64,
    /// How long shutdown waits for running jobs before releasing them.
    pub grace_secs: u64,
    /// Cross-order batching of ERP calls (`max_batch = 1` turns it off).
    /// A batch holds at most `concurrency` orders, the jobs running at once.
    pub erp_batch: BatchConfig,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            concurrency: 32,
            lease_secs: 30,
            poll_ms: 200,
            grace_secs: 10,
            erp_batch: BatchConfig::default(),
        }
    }
}

/// Runs the pool until `shutdown` is cancelled.
pub async fn run_pool(
    executor: Arc<Executor>,
    config: WorkerConfig,
    work_ready: Arc<Notify>,
    shutdown: CancellationToken,
) {
    let executor = with_batching(executor, config.erp_batch);
    let store = executor.store.clone();
    let owner = executor.owner.clone();
    let slots = Arc::new(Semaphore::new(config.concurrency.max(1)));
    let running: Arc<Mutex<HashSet<i64>>> = Arc::default();
    let lease_for = chrono::Duration::seconds(config.lease_secs.max(1) as i64);
    let mut tasks = JoinSet::new();
    loop {
        while tasks.try_join_next().is_some() {}
        if shutdown.is_cancelled() {
            break;
        }
        let free = slots.available_permits();
        if free == 0 {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tasks.join_next() => {}
            }
            continue;
        }
        let claimed = match store
            .claim_jobs(&owner, free as i64, lease_for, Utc::now())
            .await
        {
            Ok(jobs) => jobs,
            Err(error) => {
                tracing::error!(error = %error, "claiming jobs failed");
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    _ = tokio::time::sleep(Duration::from_millis(config.poll_ms.max(10) * 5)) => {}
                }
                continue;
            }
        };
        if claimed.is_empty() {
            // A job that finishes may have queued its order's next step:
            // look again then, not only after the poll interval.
            let running_jobs = !tasks.is_empty();
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = work_ready.notified() => {}
                _ = tasks.join_next(), if running_jobs => {}
                _ = tokio::time::sleep(Duration::from_millis(config.poll_ms.max(1))) => {}
            }
            continue;
        }
        for job in claimed {
            let Ok(permit) = slots.clone().acquire_owned().await else {
                break;
            };
            let executor = executor.clone();
            let running = running.clone();
            let lease = Lease {
                job_id: job.id,
                owner: owner.clone(),
            };
            lock(&running).insert(job.id);
            let span = tracing::info_span!("job", job_id = job.id, kind = %job.kind, correlation_id = %job.correlation_id);
            let keeper = keep_lease(store.clone(), lease, config.lease_secs.max(1));
            tasks.spawn(
                async move {
                    let outcome = tokio::select! {
                        outcome = executor.run(job.clone()) => outcome,
                        () = keeper => JobOutcome::LeaseLost,
                    };
                    tracing::debug!(?outcome, "job finished");
                    lock(&running).remove(&job.id);
                    drop(permit);
                    // The next job of this order may be runnable right away.
                    outcome
                }
                .instrument(span),
            );
        }
        work_ready.notify_one();
    }
    drain(tasks, &running, store.as_ref(), &owner, config.grace_secs).await;
}

/// The executor with its ERP calls gathered by an [`ErpBatcher`], when the
/// adapter batches and the configuration allows batches.
pub fn with_batching(executor: Arc<Executor>, batch: BatchConfig) -> Arc<Executor> {
    if batch.max_batch <= 1 || !executor.erp.batches() {
        return executor;
    }
    match Arc::try_unwrap(executor) {
        Ok(mut owned) => {
            owned.erp = Arc::new(ErpBatcher::new(owned.erp.clone(), batch));
            Arc::new(owned)
        }
        Err(shared) => {
            tracing::warn!("the executor is shared; ERP calls are not batched");
            shared
        }
    }
}

/// Waits for running jobs up to the grace period, then releases the rest.
async fn drain(
    mut tasks: JoinSet<JobOutcome>,
    running: &Mutex<HashSet<i64>>,
    store: &dyn Store,
    owner: &str,
    grace_secs: u64,
) {
    let deadline = tokio::time::sleep(Duration::from_secs(grace_secs));
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            next = tasks.join_next() => if next.is_none() { return },
            _ = &mut deadline => break,
        }
    }
    tasks.abort_all();
    while tasks.join_next().await.is_some() {}
    let unfinished: Vec<i64> = lock(running).drain().collect();
    for job_id in unfinished {
        let lease = Lease {
            job_id,
            owner: owner.to_owned(),
        };
        match store.release_job(&lease, Utc::now()).await {
            Ok(_) => tracing::info!(job_id, "lease released at shutdown"),
            Err(error) => {
                tracing::warn!(job_id, error = %error, "could not release lease; it will expire")
            }
        }
    }
}

/// Renews a lease every third of its length; completes only if the lease is lost.
async fn keep_lease(store: Arc<dyn Store>, lease: Lease, lease_secs: u64) {
    let period = Duration::from_millis(lease_secs * 1000 / 3).max(Duration::from_millis(100));
    loop {
        tokio::time::sleep(period).await;
        let until = Utc::now() + chrono::Duration::seconds(lease_secs as i64);
        match store.extend_lease(&lease, until).await {
            Ok(true) => {}
            Ok(false) => return,
            Err(error) => {
                tracing::warn!(job_id = lease.job_id, error = %error, "lease renewal failed")
            }
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
