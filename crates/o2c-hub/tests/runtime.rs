//! The runtime's failure handling: transient faults retried with backoff,
//! permanent ones dead-lettered and replayable, exhausted retries in the
//! DLQ, replay repairing a projection, and shutdown releasing leases.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use common::{TestHub, sample_order};
use o2c_hub::HubConfig;
use o2c_hub::erp::{Erp, ErpCall, ErpError, ErpSubmission};
use o2c_model::Order;
use o2c_store::JobState;
use serde_json::Value;
use uuid::Uuid;

/// Wraps the real Odoo adapter and fails `submit_order` as told.
struct FaultyErp {
    inner: Arc<dyn Erp>,
    transient_failures_left: AtomicU32,
    broken: AtomicBool,
    hang: AtomicBool,
    submits: AtomicU32,
}

impl FaultyErp {
    fn new(inner: Arc<dyn Erp>) -> Self {
        Self {
            inner,
            transient_failures_left: AtomicU32::new(0),
            broken: AtomicBool::new(false),
            hang: AtomicBool::new(false),
            submits: AtomicU32::new(0),
        }
    }
}

#[async_trait]
impl Erp for FaultyErp {
    async fn submit_order(
        &self,
        call: ErpCall<'_>,
        order: &Order,
    ) -> Result<ErpSubmission, ErpError> {
        self.submits.fetch_add(1, Ordering::SeqCst);
        if self.hang.load(Ordering::SeqCst) {
            std::future::pending::<()>().await;
        }
        if self.broken.load(Ordering::SeqCst) {
            return Err(ErpError::Permanent(
                "Odoo refused: the integration user lost its access rights".into(),
            ));
        }
        if self
            .transient_failures_left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            return Err(ErpError::Transient {
                message: "502 Bad Gateway".into(),
                retry_after: None,
            });
        }
        self.inner.submit_order(call, order).await
    }

    async fn confirm_order(
        &self,
        call: ErpCall<'_>,
        erp_order_id: i64,
    ) -> Result<String, ErpError> {
        self.inner.confirm_order(call, erp_order_id).await
    }

    fn calls(&self) -> u64 {
        self.inner.calls()
    }
}

async fn hub_with(config: HubConfig, setup: impl FnOnce(&FaultyErp)) -> (TestHub, Arc<FaultyErp>) {
    let mut slot: Option<Arc<FaultyErp>> = None;
    let hub = TestHub::sqlite_wrapped(config, |inner| {
        let faulty = Arc::new(FaultyErp::new(inner));
        setup(&faulty);
        slot = Some(faulty.clone());
        faulty
    })
    .await;
    (hub, slot.expect("erp built"))
}

async fn post(hub: &TestHub, reference: &str) -> String {
    let body: Value = hub
        .post_order(&sample_order(reference))
        .await
        .json()
        .await
        .expect("json");
    body["order_id"].as_str().expect("order id").to_owned()
}

async fn wait_for_job(hub: &TestHub, state: JobState) -> o2c_store::Job {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(job) = hub
            .store
            .list_jobs(Some(state), 10)
            .await
            .expect("jobs")
            .into_iter()
            .next()
        {
            return job;
        }
        assert!(Instant::now() < deadline, "no job reached {state:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_faults_are_retried_until_the_order_is_confirmed() {
    let (hub, erp) = hub_with(HubConfig::default(), |erp| {
        erp.transient_failures_left.store(3, Ordering::SeqCst)
    })
    .await;
    let order_id = post(&hub, "RT-TRANSIENT-1").await;
    hub.wait_for_status(&order_id, "confirmed").await;
    assert_eq!(
        erp.submits.load(Ordering::SeqCst),
        4,
        "three failures, then success"
    );
    let done = hub
        .store
        .list_jobs(Some(JobState::Done), 100)
        .await
        .expect("jobs");
    let submit = done
        .iter()
        .find(|j| j.kind == "submit_to_erp")
        .expect("submit job");
    assert_eq!(submit.attempts, 4);
    assert_eq!(hub.sale_orders("RT-TRANSIENT-1").await.len(), 1);
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permanent_faults_go_to_the_dlq_and_a_retry_completes_the_order() {
    let (hub, erp) = hub_with(HubConfig::default(), |erp| {
        erp.broken.store(true, Ordering::SeqCst)
    })
    .await;
    let order_id = post(&hub, "RT-DLQ-1").await;
    let dead = wait_for_job(&hub, JobState::Dead).await;
    assert_eq!(dead.kind, "submit_to_erp");
    assert_eq!(dead.attempts, 1, "a permanent fault is not retried");
    assert!(
        dead.last_error
            .as_deref()
            .is_some_and(|e| e.contains("access rights"))
    );
    let listed: Value = hub.get("/v1/dlq").await.json().await.expect("json");
    assert_eq!(listed["jobs"][0]["id"], dead.id);

    // The operator fixes Odoo, then replays the dead job.
    erp.broken.store(false, Ordering::SeqCst);
    let retried = hub
        .http
        .post(format!("{}/v1/dlq/{}/retry", hub.base, dead.id))
        .bearer_auth(&hub.key)
        .json(&serde_json::json!({ "reason": "access restored" }))
        .send()
        .await
        .expect("retry");
    assert_eq!(retried.status(), 200);
    hub.wait_for_status(&order_id, "confirmed").await;
    assert_eq!(hub.sale_orders("RT-DLQ-1").await.len(), 1);
    let audit = hub.store.list_audit(0, 100).await.expect("audit");
    let entry = audit
        .iter()
        .find(|a| a.action == "dlq.retry")
        .expect("audited");
    assert_eq!(entry.details["reason"], "access restored");
    assert_eq!(entry.actor, "api-key:test");
    // A second retry of a job that is no longer dead is refused.
    let again = hub
        .http
        .post(format!("{}/v1/dlq/{}/retry", hub.base, dead.id))
        .bearer_auth(&hub.key)
        .send()
        .await
        .expect("retry");
    assert_eq!(again.status(), 404);
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exhausted_retries_end_in_the_dlq() {
    let (hub, erp) = hub_with(HubConfig::default(), |erp| {
        erp.transient_failures_left
            .store(u32::MAX, Ordering::SeqCst)
    })
    .await;
    post(&hub, "RT-EXHAUST-1").await;
    let dead = wait_for_job(&hub, JobState::Dead).await;
    assert_eq!(dead.attempts, o2c_hub::workflow::DEFAULT_MAX_ATTEMPTS);
    assert_eq!(
        erp.submits.load(Ordering::SeqCst),
        o2c_hub::workflow::DEFAULT_MAX_ATTEMPTS as u32
    );
    assert!(hub.sale_orders("RT-EXHAUST-1").await.is_empty());
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_discarded_dead_job_is_audited_once_with_who_and_why() {
    let (hub, _erp) = hub_with(HubConfig::default(), |erp| {
        erp.transient_failures_left
            .store(u32::MAX, Ordering::SeqCst)
    })
    .await;
    post(&hub, "RT-DISCARD-1").await;
    let dead = wait_for_job(&hub, JobState::Dead).await;
    let discard = || {
        hub.http
            .post(format!("{}/v1/dlq/{}/discard", hub.base, dead.id))
            .bearer_auth(&hub.key)
            .json(&serde_json::json!({ "reason": "duplicate of RT-DISCARD-0" }))
            .send()
    };
    let discarded = discard().await.expect("discard");
    assert_eq!(discarded.status(), 200);
    let job = hub
        .store
        .get_job(dead.id)
        .await
        .expect("job")
        .expect("kept");
    assert_eq!(job.state, JobState::Discarded);
    // The job is no longer dead: a second discard is refused, unaudited.
    assert_eq!(discard().await.expect("discard").status(), 404);
    let audit = hub.store.list_audit(0, 100).await.expect("audit");
    let entries: Vec<_> = audit.iter().filter(|a| a.action == "dlq.discard").collect();
    assert_eq!(entries.len(), 1, "{audit:?}");
    assert_eq!(entries[0].subject, format!("job:{}", dead.id));
    assert_eq!(entries[0].details["reason"], "duplicate of RT-DISCARD-0");
    assert_eq!(entries[0].actor, "api-key:test");
    assert!(hub.sale_orders("RT-DISCARD-1").await.is_empty());
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_rebuilds_the_state_from_the_journal_and_repairs_a_drifted_projection() {
    let hub = TestHub::sqlite().await;
    let order_id = post(&hub, "RT-REPLAY-1").await;
    hub.wait_for_status(&order_id, "confirmed").await;
    let id = Uuid::parse_str(&order_id).expect("uuid");
    let clean = o2c_hub::replay::replay_order(hub.store.as_ref(), id, false)
        .await
        .expect("replay");
    assert!(!clean.repaired);
    assert_eq!(clean.status, "confirmed");
    assert_eq!(clean.events, 5);

    hub.store
        .rewrite_projection(id, "received", 1, serde_json::json!({ "garbage": true }))
        .await
        .expect("corrupt");
    let repaired = o2c_hub::replay::replay_order(hub.store.as_ref(), id, false)
        .await
        .expect("replay");
    assert!(repaired.repaired);
    let record = hub.store.get_order(id).await.expect("get").expect("order");
    assert_eq!(record.status, "confirmed");
    assert_eq!(record.version, 5);
    hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_releases_the_leases_of_unfinished_jobs() {
    let mut config = HubConfig::default();
    config.workers.grace_secs = 0;
    let (hub, erp) = hub_with(config, |erp| erp.hang.store(true, Ordering::SeqCst)).await;
    post(&hub, "RT-SHUTDOWN-1").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while erp.submits.load(Ordering::SeqCst) == 0 {
        assert!(Instant::now() < deadline, "the job never reached the ERP");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let leased = hub
        .store
        .list_jobs(Some(JobState::Leased), 10)
        .await
        .expect("jobs")
        .into_iter()
        .find(|j| j.kind == "submit_to_erp")
        .expect("the hanging submit job holds a lease");
    let store = hub.store.clone();
    hub.shutdown().await;
    let job = store.get_job(leased.id).await.expect("get").expect("job");
    assert_eq!(job.state, JobState::Pending, "{job:?}");
    assert_eq!(job.lease_owner, None);
}
