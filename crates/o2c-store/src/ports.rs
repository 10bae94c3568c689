//! The store's ports: one narrow trait per concern, plus the one atomic
//! "step commit" that a workflow step needs (journal + projection + outbox +
//! next jobs + job completion in a single transaction).
//!
//! Every type here is plain data (JSON payloads as `serde_json::Value`), so
//! the store knows nothing of the workflow's or the model's Rust types.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::error::StoreError;

pub type Result<T> = std::result::Result<T, StoreError>;

// ---------------------------------------------------------------- inbox

/// One inbound message accepted for processing, with the order it creates.
#[derive(Debug, Clone)]
pub struct Acceptance {
    pub inbox: NewInboxMessage,
    /// The new order the message creates (its first journal event, its
    /// projection row and its first job). Skipped when the key is a duplicate.
    pub order: NewOrder,
    pub audit: NewAuditEntry,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewInboxMessage {
    pub id: Uuid,
    /// Unique: a second message with the same key is a duplicate.
    pub idempotency_key: String,
    pub channel: String,
    pub content_type: String,
    /// The raw payload exactly as received (kept for operators and replay).
    pub payload: String,
    pub correlation_id: String,
    pub received_at: DateTime<Utc>,
    /// The HTTP answer given for this message; returned again for duplicates.
    pub response_status: u16,
    pub response_body: Value,
}

#[derive(Debug, Clone)]
pub struct NewOrder {
    pub order_id: Uuid,
    pub channel: String,
    pub channel_order_id: String,
    pub status: String,
    /// The workflow state after the first event, as JSON.
    pub state: Value,
    pub first_event: NewJournalEvent,
    pub first_jobs: Vec<NewJob>,
    pub correlation_id: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AcceptOutcome {
    /// Stored now; the order was created.
    Accepted { inbox_id: Uuid, order_id: Uuid },
    /// The key was seen before: the original answer.
    Duplicate {
        inbox_id: Uuid,
        response_status: u16,
        response_body: Value,
    },
}

/// A payload refused at the door (bad JSON, schema violation, too large,
/// bad signature): kept so an operator can see what was sent.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RejectedMessage {
    pub id: Uuid,
    pub channel: String,
    pub content_type: String,
    pub payload: String,
    /// True when only a prefix of the payload was kept (oversized bodies).
    pub truncated: bool,
    pub problem: Value,
    pub correlation_id: String,
    pub received_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct InboxRecord {
    pub id: Uuid,
    pub idempotency_key: Option<String>,
    pub channel: String,
    pub content_type: String,
    pub payload: String,
    /// "accepted" or "rejected".
    pub status: String,
    pub truncated: bool,
    pub problem: Option<Value>,
    pub order_id: Option<Uuid>,
    pub correlation_id: String,
    pub received_at: DateTime<Utc>,
}

#[async_trait]
pub trait Inbox: Send + Sync {
    /// Stores a batch atomically in ONE durable commit (group commit). Keys
    /// repeated inside the batch or already stored yield `Duplicate` with the
    /// first answer. Outcomes come back in input order.
    async fn accept_batch(&self, batch: Vec<Acceptance>) -> Result<Vec<AcceptOutcome>>;
    async fn record_rejection(&self, message: RejectedMessage) -> Result<()>;
    async fn get_inbox(&self, id: Uuid) -> Result<Option<InboxRecord>>;
    /// Newest first; `status` filters on "accepted"/"rejected".
    async fn list_inbox(&self, status: Option<&str>, limit: i64) -> Result<Vec<InboxRecord>>;
    /// Every message that names this order (the first one and later duplicates), oldest first.
    async fn inbox_for_order(&self, order_id: Uuid) -> Result<Vec<InboxRecord>>;
}

// ---------------------------------------------------------------- journal + projection

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct NewJournalEvent {
    pub event_id: Uuid,
    /// e.g. "o2c.order.received.v1"
    pub event_type: String,
    pub data: Value,
    pub correlation_id: String,
    pub causation_id: Option<Uuid>,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct JournalEntry {
    pub order_id: Uuid,
    /// 1-based, gapless per order.
    pub seq: i64,
    pub event_id: Uuid,
    pub event_type: String,
    pub data: Value,
    pub correlation_id: String,
    pub causation_id: Option<Uuid>,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OrderRecord {
    pub order_id: Uuid,
    pub channel: String,
    pub channel_order_id: String,
    pub status: String,
    /// Number of journal events applied (= last seq).
    pub version: i64,
    pub state: Value,
    pub correlation_id: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[async_trait]
pub trait Journal: Send + Sync {
    async fn load_journal(&self, order_id: Uuid) -> Result<Vec<JournalEntry>>;
    async fn get_order(&self, order_id: Uuid) -> Result<Option<OrderRecord>>;
    /// The order a channel knows by its own id (`channel` is `kind:account`).
    async fn find_order_by_channel_id(
        &self,
        channel: &str,
        channel_order_id: &str,
    ) -> Result<Option<OrderRecord>>;
    async fn list_orders(&self, status: Option<&str>, limit: i64) -> Result<Vec<OrderRecord>>;
    /// Count of orders per status.
    async fn count_orders_by_status(&self) -> Result<Vec<(String, i64)>>;
    /// Overwrites the projection (used by replay after rebuilding from the journal).
    async fn rewrite_projection(
        &self,
        order_id: Uuid,
        status: &str,
        version: i64,
        state: Value,
    ) -> Result<()>;
}

// ---------------------------------------------------------------- outbox

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct NewOutboxEvent {
    pub event_id: Uuid,
    pub topic: String,
    /// A full CloudEvents 1.0 JSON document.
    pub envelope: Value,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OutboxRecord {
    pub position: i64,
    pub event_id: Uuid,
    pub topic: String,
    pub envelope: Value,
    pub created_at: DateTime<Utc>,
}

#[async_trait]
pub trait Outbox: Send + Sync {
    /// Unpublished events in commit order.
    async fn pending_outbox(&self, limit: i64) -> Result<Vec<OutboxRecord>>;
    async fn mark_published(&self, positions: &[i64], at: DateTime<Utc>) -> Result<()>;
}

// ---------------------------------------------------------------- jobs + DLQ

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct NewJob {
    /// Jobs with the same key run one at a time, in id order (the order id).
    pub queue_key: String,
    pub kind: String,
    pub payload: Value,
    /// Unique: enqueuing the same key twice keeps the first job.
    pub idempotency_key: String,
    pub max_attempts: i32,
    pub run_at: DateTime<Utc>,
    pub correlation_id: String,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Pending,
    Leased,
    Done,
    /// Exhausted or permanently failed: the dead-letter queue.
    Dead,
    /// Removed from the DLQ by an operator.
    Discarded,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Job {
    pub id: i64,
    pub queue_key: String,
    pub kind: String,
    pub payload: Value,
    pub idempotency_key: String,
    pub state: JobState,
    pub attempts: i32,
    pub max_attempts: i32,
    pub run_at: DateTime<Utc>,
    pub lease_owner: Option<String>,
    pub lease_until: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub correlation_id: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Proof that the caller holds a job's lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub job_id: i64,
    pub owner: String,
}

#[async_trait]
pub trait Jobs: Send + Sync {
    /// Leases up to `limit` runnable jobs: pending (or leased with an expired
    /// lease) whose `run_at <= now`, at most one per queue key, and only the
    /// oldest unfinished job of its key (a pending, leased or dead job with a
    /// lower id blocks it). Increments `attempts`.
    async fn claim_jobs(
        &self,
        owner: &str,
        limit: i64,
        lease_for: chrono::Duration,
        now: DateTime<Utc>,
    ) -> Result<Vec<Job>>;
    async fn extend_lease(&self, lease: &Lease, until: DateTime<Utc>) -> Result<bool>;
    /// Transient failure: back to pending at `retry_at`, or dead when
    /// attempts reached max_attempts. Returns the new state. No-op (Ok(None))
    /// if the lease was lost.
    async fn fail_job(
        &self,
        lease: &Lease,
        error: &str,
        retry_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Option<JobState>>;
    /// Permanent failure: straight to the DLQ.
    async fn kill_job(&self, lease: &Lease, error: &str, now: DateTime<Utc>) -> Result<bool>;
    /// Gives a lease back without counting the attempt (graceful shutdown).
    async fn release_job(&self, lease: &Lease, now: DateTime<Utc>) -> Result<bool>;
    async fn get_job(&self, id: i64) -> Result<Option<Job>>;
    async fn list_jobs(&self, state: Option<JobState>, limit: i64) -> Result<Vec<Job>>;
    /// DLQ → pending with attempts reset, and the operator's `audit` entry
    /// appended in the same commit. False (nothing written) if the job is
    /// not dead.
    async fn retry_dead(&self, id: i64, audit: NewAuditEntry, now: DateTime<Utc>) -> Result<bool>;
    /// DLQ → discarded, and the operator's `audit` entry appended in the
    /// same commit. False (nothing written) if the job is not dead.
    async fn discard_dead(&self, id: i64, audit: NewAuditEntry, now: DateTime<Utc>)
    -> Result<bool>;
    async fn count_jobs_by_state(&self) -> Result<Vec<(JobState, i64)>>;
    /// Enqueue outside a step (replay, operator actions). Idempotent by key.
    async fn enqueue(&self, job: NewJob) -> Result<Option<i64>>;
}

// ---------------------------------------------------------------- exceptions

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct NewException {
    pub id: Uuid,
    pub order_id: Option<Uuid>,
    pub inbox_id: Option<Uuid>,
    /// Reason codes: unknown_product, credit_hold, price_mismatch, ...
    pub reasons: Vec<String>,
    pub details: Value,
    pub correlation_id: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ExceptionRecord {
    pub id: Uuid,
    pub order_id: Option<Uuid>,
    pub inbox_id: Option<Uuid>,
    pub reasons: Vec<String>,
    pub details: Value,
    /// "open", "resolved", "overridden", "cancelled"
    pub status: String,
    pub resolution: Option<Value>,
    pub correlation_id: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ExceptionRecord {
    /// A text member of `details` (e.g. the EDI `partner` or `po_number`).
    pub fn detail_text(&self, key: &str) -> Option<&str> {
        self.details.get(key).and_then(Value::as_str)
    }
}

/// Closing an open exception as part of a step.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ExceptionClosure {
    pub id: Uuid,
    /// "resolved", "overridden", "cancelled"
    pub status: String,
    pub resolution: Value,
}

#[async_trait]
pub trait Exceptions: Send + Sync {
    async fn open_exception(&self, exception: NewException) -> Result<()>;
    async fn get_exception(&self, id: Uuid) -> Result<Option<ExceptionRecord>>;
    async fn list_exceptions(
        &self,
        status: Option<&str>,
        limit: i64,
    ) -> Result<Vec<ExceptionRecord>>;
    /// Moves an open exception to `status` with a resolution note, and
    /// appends the `audit` entry of whoever closed it, in one commit. False
    /// (nothing written) if it is not open.
    async fn close_exception(
        &self,
        id: Uuid,
        status: &str,
        resolution: Value,
        audit: NewAuditEntry,
        now: DateTime<Utc>,
    ) -> Result<bool>;
}

// ---------------------------------------------------------------- audit

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct NewAuditEntry {
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub details: Value,
    pub correlation_id: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AuditRecord {
    pub seq: i64,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub details: Value,
    pub correlation_id: String,
    pub at: DateTime<Utc>,
    /// hex sha256 of the previous row's hash (64 zeros for the first row).
    pub prev_hash: String,
    /// hex sha256(prev_hash || canonical JSON of the row's fields).
    pub hash: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub enum AuditVerification {
    Intact { rows: i64 },
    Broken { seq: i64, reason: String },
}

#[async_trait]
pub trait Audit: Send + Sync {
    async fn append_audit(&self, entry: NewAuditEntry) -> Result<AuditRecord>;
    async fn list_audit(&self, after_seq: i64, limit: i64) -> Result<Vec<AuditRecord>>;
    async fn verify_audit(&self) -> Result<AuditVerification>;
}

// ---------------------------------------------------------------- API keys

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ApiKeyRecord {
    pub id: Uuid,
    pub name: String,
    /// hex sha256 of the secret key; the key itself is never stored.
    pub key_hash: String,
    pub scopes: Vec<String>,
    /// When set, the key may only submit orders of this channel.
    pub channel: Option<String>,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[async_trait]
pub trait ApiKeys: Send + Sync {
    async fn create_api_key(&self, key: ApiKeyRecord, audit: NewAuditEntry) -> Result<()>;
    async fn find_api_key(&self, key_hash: &str) -> Result<Option<ApiKeyRecord>>;
    async fn list_api_keys(&self) -> Result<Vec<ApiKeyRecord>>;
    async fn revoke_api_key(
        &self,
        id: Uuid,
        audit: NewAuditEntry,
        now: DateTime<Utc>,
    ) -> Result<bool>;
}

// ---------------------------------------------------------------- order fingerprints

/// What makes two orders look like the same purchase (customer, lines,
/// total), hashed by the caller; kept so a later order with the same
/// fingerprint and another channel order id can be suspected a duplicate.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OrderFingerprint {
    pub order_id: Uuid,
    pub fingerprint: String,
    pub channel: String,
    pub channel_order_id: String,
    pub recorded_at: DateTime<Utc>,
}

/// An earlier order with the same fingerprint.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FingerprintMatch {
    pub order_id: Uuid,
    pub channel: String,
    pub channel_order_id: String,
    pub recorded_at: DateTime<Utc>,
}

#[async_trait]
pub trait Fingerprints: Send + Sync {
    /// Records the order's fingerprint (replacing its earlier one: an
    /// amended order gets a new fingerprint) and returns the OTHER orders
    /// with the same fingerprint recorded since `since`, oldest first,
    /// leaving out cancelled orders. Safe to repeat.
    async fn record_fingerprint(
        &self,
        entry: OrderFingerprint,
        since: DateTime<Utc>,
    ) -> Result<Vec<FingerprintMatch>>;
}

// ---------------------------------------------------------------- the step commit

/// Everything one workflow step changes, committed in ONE transaction.
#[derive(Debug, Clone)]
pub struct StepCommit {
    pub order_id: Uuid,
    /// Optimistic concurrency: the projection's version the step was decided on.
    pub expected_version: i64,
    pub events: Vec<NewJournalEvent>,
    pub new_status: String,
    pub new_state: Value,
    pub outbox: Vec<NewOutboxEvent>,
    pub jobs: Vec<NewJob>,
    pub exceptions: Vec<NewException>,
    /// Open exceptions this step closes (an operator's resolution); the
    /// step fails with `StoreError::Conflict` if one is no longer open.
    pub closes: Vec<ExceptionClosure>,
    pub audit: Vec<NewAuditEntry>,
    /// The job this step completes (marked done); must still hold its lease.
    pub completes: Option<Lease>,
    pub now: DateTime<Utc>,
}

#[async_trait]
pub trait Steps: Send + Sync {
    /// Fails with `StoreError::VersionConflict` when the projection moved on,
    /// and with `StoreError::LeaseLost` when `completes` no longer holds the
    /// lease; nothing is written then.
    async fn commit_step(&self, step: StepCommit) -> Result<i64>;
}

// ---------------------------------------------------------------- cursors

/// Where a channel puller stands (e.g. Amazon's `LastUpdatedAfter` high
/// water): an opaque JSON value per puller name, saved only after the orders
/// of the page that produced it are stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CursorRecord {
    /// The puller's name, e.g. `amazon:A2EUQ1WTGCTBG2`.
    pub name: String,
    pub value: Value,
    pub updated_at: DateTime<Utc>,
}

#[async_trait]
pub trait Cursors: Send + Sync {
    async fn load_cursor(&self, name: &str) -> Result<Option<CursorRecord>>;
    /// Inserts or replaces the cursor of `name` (one durable commit).
    async fn save_cursor(&self, name: &str, value: &Value, at: DateTime<Utc>) -> Result<()>;
}

// ---------------------------------------------------------------- EDI state

/// The largest X12 control number (ISA13 has nine digits; GS06 and ST02
/// are kept in step with it).
pub const EDI_CONTROL_MAX: i64 = 999_999_999;

/// The numbers (ISA13, GS06, ST02) and time one outbound X12 document was
/// built with: chosen once per document, so a document rebuilt after a crash
/// is byte for byte the one already written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EdiNumbers {
    pub interchange: i64,
    pub group: i64,
    pub set: i64,
    pub at: DateTime<Utc>,
}

/// What the hub remembers about one received purchase order until (and
/// after) its 855 is out. `track` is the hub's own JSON; the store only
/// versions it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EdiPoRecord {
    pub partner: String,
    pub po_number: String,
    /// False once the 855 is written.
    pub open: bool,
    pub track: Value,
    /// 1 when created, +1 per save: the optimistic lock of
    /// [`EdiState::save_edi_po`].
    pub version: i64,
    pub received_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// EDI partners' X12 control numbers and PO tracking, shared by every hub
/// instance on the database.
#[async_trait]
pub trait EdiState: Send + Sync {
    /// The numbers of the outbound document `document` (a key such as
    /// `997:<ISA13>-<GS06>` or `855:<PO>`) of `partner`: the ones recorded
    /// for it before, or the partner's next ISA13, GS06 and ST02, recorded
    /// with the document in the same transaction. Concurrent callers (other
    /// hub instances too) never get the same new numbers, and every caller
    /// for one document gets the same numbers and time.
    /// [`StoreError::Exhausted`] past 999999999 (ISA13 has nine digits).
    async fn edi_document_numbers(
        &self,
        partner: &str,
        document: &str,
        at: DateTime<Utc>,
    ) -> Result<EdiNumbers>;
    /// Raises the partner's counters to at least `(interchange, group,
    /// set)` (numbers used before the store kept them); never lowers them.
    async fn raise_edi_counters(
        &self,
        partner: &str,
        interchange: i64,
        group: i64,
        set: i64,
    ) -> Result<()>;
    async fn load_edi_po(&self, partner: &str, po_number: &str) -> Result<Option<EdiPoRecord>>;
    /// Writes a PO's tracking: `expected_version` `None` creates it
    /// ([`StoreError::Conflict`] when it exists), `Some(v)` replaces
    /// version `v` ([`StoreError::Conflict`] when another writer moved it
    /// on). Returns the new version.
    #[allow(clippy::too_many_arguments)]
    async fn save_edi_po(
        &self,
        partner: &str,
        po_number: &str,
        open: bool,
        track: &Value,
        received_at: DateTime<Utc>,
        expected_version: Option<i64>,
        at: DateTime<Utc>,
    ) -> Result<i64>;
    /// Closes an answered PO in ONE transaction: its track (saved with
    /// `open = false` over `expected_version`), the deadline alert it
    /// resolves, and its audit entry. [`StoreError::Conflict`] when another
    /// writer moved the track on; nothing is written then, so an answer
    /// is audited exactly once however many writers race to close it.
    async fn close_edi_po(&self, close: EdiPoClose) -> Result<i64>;
    /// The partner's open POs, oldest first.
    async fn open_edi_pos(&self, partner: &str, limit: i64) -> Result<Vec<EdiPoRecord>>;
}

/// What closing an answered PO writes ([`EdiState::close_edi_po`]).
#[derive(Debug, Clone, PartialEq)]
pub struct EdiPoClose {
    pub partner: String,
    pub po_number: String,
    /// The track as answered.
    pub track: Value,
    /// The track's version it was answered from.
    pub expected_version: i64,
    /// The deadline alert the answer resolves. Closed when still open; one
    /// an operator dismissed meanwhile stays as they left it (no error).
    pub alert: Option<ExceptionClosure>,
    /// The entry that records the answer (`edi.855.written`).
    pub audit: NewAuditEntry,
    pub at: DateTime<Utc>,
}

/// The whole store, as the runtime sees it.
pub trait Store:
    Inbox
    + Journal
    + Outbox
    + Jobs
    + Exceptions
    + Audit
    + ApiKeys
    + Steps
    + Fingerprints
    + Cursors
    + EdiState
{
    /// "sqlite" or "postgres".
    fn backend(&self) -> &'static str;
}
