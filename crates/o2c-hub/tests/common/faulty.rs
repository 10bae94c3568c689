//! A store that fails on cue: every call goes to the real store, except
//! that a test can make the next call(s) of one method fail — before the
//! real store sees it (nothing written), or after it committed (the write
//! is done, the caller still gets an error, as when a connection drops
//! between COMMIT and its answer). The injected error is a pool timeout,
//! the transient fault a store outage gives.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use o2c_store::*;
use serde_json::Value;
use uuid::Uuid;

/// When an injected fault strikes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The call fails without reaching the store.
    Before,
    /// The call reaches the store (and commits), then reports a failure.
    After,
}

pub struct FaultyStore {
    inner: Arc<dyn Store>,
    /// Method name → the faults still to inject, in order.
    faults: Mutex<HashMap<&'static str, Vec<Fault>>>,
    /// Method name → how many faults were injected.
    injected: Mutex<HashMap<&'static str, usize>>,
}

fn injected() -> StoreError {
    StoreError::Database(sqlx::Error::PoolTimedOut)
}

impl FaultyStore {
    pub fn new(inner: Arc<dyn Store>) -> Arc<Self> {
        Arc::new(Self {
            inner,
            faults: Mutex::default(),
            injected: Mutex::default(),
        })
    }

    /// A faulty store over a fresh SQLite file in its own folder (kept
    /// alive by the returned guard).
    pub async fn sqlite() -> (Arc<Self>, tempfile::TempDir) {
        let temp = tempfile::tempdir().expect("tempdir");
        let real = o2c_store::open(&temp.path().join("hub.db").to_string_lossy())
            .await
            .expect("store");
        (Self::new(real), temp)
    }

    /// Makes the next call of `method` fail `fault`-wise (once per call
    /// to this; queued faults strike in order).
    pub fn fail_next(&self, method: &'static str, fault: Fault) {
        self.faults
            .lock()
            .expect("faults")
            .entry(method)
            .or_default()
            .push(fault);
    }

    /// How many faults were injected into `method` so far.
    pub fn injected(&self, method: &str) -> usize {
        self.injected
            .lock()
            .expect("injected")
            .get(method)
            .copied()
            .unwrap_or(0)
    }

    fn take(&self, method: &'static str) -> Option<Fault> {
        let mut faults = self.faults.lock().expect("faults");
        let queue = faults.get_mut(method)?;
        if queue.is_empty() {
            return None;
        }
        let fault = queue.remove(0);
        *self
            .injected
            .lock()
            .expect("injected")
            .entry(method)
            .or_default() += 1;
        Some(fault)
    }

    /// Runs `call` on the real store unless a fault is due for `method`.
    async fn guarded<T>(
        &self,
        method: &'static str,
        call: impl std::future::Future<Output = Result<T>>,
    ) -> Result<T> {
        match self.take(method) {
            None => call.await,
            Some(Fault::Before) => Err(injected()),
            Some(Fault::After) => {
                call.await?;
                Err(injected())
            }
        }
    }
}

#[async_trait]
impl Inbox for FaultyStore {
    async fn accept_batch(&self, batch: Vec<Acceptance>) -> Result<Vec<AcceptOutcome>> {
        self.inner.accept_batch(batch).await
    }
    async fn record_rejection(&self, message: RejectedMessage) -> Result<()> {
        self.inner.record_rejection(message).await
    }
    async fn get_inbox(&self, id: Uuid) -> Result<Option<InboxRecord>> {
        self.inner.get_inbox(id).await
    }
    async fn list_inbox(&self, status: Option<&str>, limit: i64) -> Result<Vec<InboxRecord>> {
        self.inner.list_inbox(status, limit).await
    }
    async fn inbox_for_order(&self, order_id: Uuid) -> Result<Vec<InboxRecord>> {
        self.inner.inbox_for_order(order_id).await
    }
}

#[async_trait]
impl Journal for FaultyStore {
    async fn load_journal(&self, order_id: Uuid) -> Result<Vec<JournalEntry>> {
        self.inner.load_journal(order_id).await
    }
    async fn get_order(&self, order_id: Uuid) -> Result<Option<OrderRecord>> {
        self.inner.get_order(order_id).await
    }
    async fn find_order_by_channel_id(
        &self,
        channel: &str,
        channel_order_id: &str,
    ) -> Result<Option<OrderRecord>> {
        self.inner
            .find_order_by_channel_id(channel, channel_order_id)
            .await
    }
    async fn list_orders(&self, status: Option<&str>, limit: i64) -> Result<Vec<OrderRecord>> {
        self.inner.list_orders(status, limit).await
    }
    async fn count_orders_by_status(&self) -> Result<Vec<(String, i64)>> {
        self.inner.count_orders_by_status().await
    }
    async fn rewrite_projection(
        &self,
        order_id: Uuid,
        status: &str,
        version: i64,
        state: Value,
    ) -> Result<()> {
        self.inner
            .rewrite_projection(order_id, status, version, state)
            .await
    }
}

#[async_trait]
impl Outbox for FaultyStore {
    async fn pending_outbox(&self, limit: i64) -> Result<Vec<OutboxRecord>> {
        self.inner.pending_outbox(limit).await
    }
    async fn mark_published(&self, positions: &[i64], at: DateTime<Utc>) -> Result<()> {
        self.inner.mark_published(positions, at).await
    }
}

#[async_trait]
impl Jobs for FaultyStore {
    async fn claim_jobs(
        &self,
        owner: &str,
        limit: i64,
        lease_for: chrono::Duration,
        now: DateTime<Utc>,
    ) -> Result<Vec<Job>> {
        self.inner.claim_jobs(owner, limit, lease_for, now).await
    }
    async fn extend_lease(&self, lease: &Lease, until: DateTime<Utc>) -> Result<bool> {
        self.inner.extend_lease(lease, until).await
    }
    async fn fail_job(
        &self,
        lease: &Lease,
        error: &str,
        retry_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Option<JobState>> {
        self.inner.fail_job(lease, error, retry_at, now).await
    }
    async fn kill_job(&self, lease: &Lease, error: &str, now: DateTime<Utc>) -> Result<bool> {
        self.inner.kill_job(lease, error, now).await
    }
    async fn release_job(&self, lease: &Lease, now: DateTime<Utc>) -> Result<bool> {
        self.inner.release_job(lease, now).await
    }
    async fn get_job(&self, id: i64) -> Result<Option<Job>> {
        self.inner.get_job(id).await
    }
    async fn list_jobs(&self, state: Option<JobState>, limit: i64) -> Result<Vec<Job>> {
        self.inner.list_jobs(state, limit).await
    }
    async fn retry_dead(&self, id: i64, audit: NewAuditEntry, now: DateTime<Utc>) -> Result<bool> {
        self.guarded("retry_dead", self.inner.retry_dead(id, audit, now))
            .await
    }
    async fn discard_dead(
        &self,
        id: i64,
        audit: NewAuditEntry,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        self.inner.discard_dead(id, audit, now).await
    }
    async fn count_jobs_by_state(&self) -> Result<Vec<(JobState, i64)>> {
        self.inner.count_jobs_by_state().await
    }
    async fn enqueue(&self, job: NewJob) -> Result<Option<i64>> {
        self.inner.enqueue(job).await
    }
}

#[async_trait]
impl Exceptions for FaultyStore {
    async fn open_exception(&self, exception: NewException) -> Result<()> {
        self.inner.open_exception(exception).await
    }
    async fn get_exception(&self, id: Uuid) -> Result<Option<ExceptionRecord>> {
        self.inner.get_exception(id).await
    }
    async fn list_exceptions(
        &self,
        status: Option<&str>,
        limit: i64,
    ) -> Result<Vec<ExceptionRecord>> {
        self.inner.list_exceptions(status, limit).await
    }
    async fn close_exception(
        &self,
        id: Uuid,
        status: &str,
        resolution: Value,
        audit: NewAuditEntry,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        self.guarded(
            "close_exception",
            self.inner
                .close_exception(id, status, resolution, audit, now),
        )
        .await
    }
}

#[async_trait]
impl Audit for FaultyStore {
    async fn append_audit(&self, entry: NewAuditEntry) -> Result<AuditRecord> {
        self.guarded("append_audit", self.inner.append_audit(entry))
            .await
    }
    async fn list_audit(&self, after_seq: i64, limit: i64) -> Result<Vec<AuditRecord>> {
        self.inner.list_audit(after_seq, limit).await
    }
    async fn verify_audit(&self) -> Result<AuditVerification> {
        self.inner.verify_audit().await
    }
}

#[async_trait]
impl ApiKeys for FaultyStore {
    async fn create_api_key(&self, key: ApiKeyRecord, audit: NewAuditEntry) -> Result<()> {
        self.inner.create_api_key(key, audit).await
    }
    async fn find_api_key(&self, key_hash: &str) -> Result<Option<ApiKeyRecord>> {
        self.inner.find_api_key(key_hash).await
    }
    async fn list_api_keys(&self) -> Result<Vec<ApiKeyRecord>> {
        self.inner.list_api_keys().await
    }
    async fn revoke_api_key(
        &self,
        id: Uuid,
        audit: NewAuditEntry,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        self.inner.revoke_api_key(id, audit, now).await
    }
}

#[async_trait]
impl Steps for FaultyStore {
    async fn commit_step(&self, step: StepCommit) -> Result<i64> {
        self.guarded("commit_step", self.inner.commit_step(step))
            .await
    }
}

#[async_trait]
impl Fingerprints for FaultyStore {
    async fn record_fingerprint(
        &self,
        entry: OrderFingerprint,
        since: DateTime<Utc>,
    ) -> Result<Vec<FingerprintMatch>> {
        self.inner.record_fingerprint(entry, since).await
    }
}

#[async_trait]
impl Cursors for FaultyStore {
    async fn load_cursor(&self, name: &str) -> Result<Option<CursorRecord>> {
        self.inner.load_cursor(name).await
    }
    async fn save_cursor(&self, name: &str, value: &Value, at: DateTime<Utc>) -> Result<()> {
        self.inner.save_cursor(name, value, at).await
    }
}

#[async_trait]
impl EdiState for FaultyStore {
    async fn edi_document_numbers(
        &self,
        partner: &str,
        document: &str,
        at: DateTime<Utc>,
    ) -> Result<EdiNumbers> {
        self.inner.edi_document_numbers(partner, document, at).await
    }
    async fn raise_edi_counters(
        &self,
        partner: &str,
        interchange: i64,
        group: i64,
        set: i64,
    ) -> Result<()> {
        self.inner
            .raise_edi_counters(partner, interchange, group, set)
            .await
    }
    async fn load_edi_po(&self, partner: &str, po_number: &str) -> Result<Option<EdiPoRecord>> {
        self.inner.load_edi_po(partner, po_number).await
    }
    async fn save_edi_po(
        &self,
        partner: &str,
        po_number: &str,
        open: bool,
        track: &Value,
        received_at: DateTime<Utc>,
        expected_version: Option<i64>,
        at: DateTime<Utc>,
    ) -> Result<i64> {
        self.guarded(
            "save_edi_po",
            self.inner.save_edi_po(
                partner,
                po_number,
                open,
                track,
                received_at,
                expected_version,
                at,
            ),
        )
        .await
    }
    async fn close_edi_po(&self, close: EdiPoClose) -> Result<i64> {
        self.guarded("close_edi_po", self.inner.close_edi_po(close))
            .await
    }
    async fn open_edi_pos(&self, partner: &str, limit: i64) -> Result<Vec<EdiPoRecord>> {
        self.inner.open_edi_pos(partner, limit).await
    }
}

impl Store for FaultyStore {
    fn backend(&self) -> &'static str {
        self.inner.backend()
    }
}
