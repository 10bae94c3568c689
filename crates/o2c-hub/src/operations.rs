//! Operator actions shared by the HTTP API and the command line, each
//! written to the audit log with who did it and why.

use chrono::{DateTime, Utc};
use o2c_store::{JobState, NewAuditEntry, Store, StoreError};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::edi::told::{self, ToldRefused};
use crate::edi::tracking::TrackError;

#[derive(Debug, thiserror::Error)]
pub enum OperationError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Track(#[from] TrackError),
}

/// The audit entry of an operator's `action` on an exception (resolve,
/// override, retry, cancel, send_now, dismiss): `exception.{action}`, with
/// the exception as its subject.
pub fn exception_audit(
    actor: &str,
    action: &str,
    exception: Uuid,
    details: Value,
    correlation_id: &str,
    at: DateTime<Utc>,
) -> NewAuditEntry {
    NewAuditEntry {
        actor: actor.to_owned(),
        action: format!("exception.{action}"),
        subject: format!("exception:{exception}"),
        details,
        correlation_id: correlation_id.to_owned(),
        at,
    }
}

/// What became of a dead-letter retry.
#[derive(Debug, Clone, PartialEq)]
pub enum DeadRetry {
    /// Queued again; `warning` when the PO of a partner told of a refusal
    /// could not be reopened at once ([`told::reopen_after_override`]).
    Retried { warning: Option<String> },
    /// The job is not in the dead-letter queue.
    NotDead,
    /// An 855 told the EDI partner this order's lines are refused; the
    /// retry needs `override_855` and a reason (ADR 0019).
    PartnerTold(ToldRefused),
}

/// Puts a dead-lettered job back in the queue, unless it would create an
/// order an EDI partner was told is refused and the operator did not
/// override that (with a reason); an override reopens the PO for a
/// replacing 855.
pub async fn retry_dead_job(
    store: &dyn Store,
    job_id: i64,
    actor: &str,
    reason: &str,
    override_855: bool,
) -> Result<DeadRetry, OperationError> {
    let now = Utc::now();
    let Some(job) = store.get_job(job_id).await? else {
        return Ok(DeadRetry::NotDead);
    };
    if job.state != JobState::Dead {
        return Ok(DeadRetry::NotDead);
    }
    let told = match Uuid::parse_str(&job.queue_key) {
        Ok(order_id) => told::told_refused(store, order_id).await?,
        Err(_) => None,
    };
    if let Some(told) = &told
        && (!override_855 || reason.trim().is_empty())
    {
        return Ok(DeadRetry::PartnerTold(told.clone()));
    }
    // The retry and its audit entry in one commit: the entry (with what
    // the partner was told) is also what the acknowledgment sweeper reads
    // to reopen the PO if the reopen below does not happen.
    let entry = NewAuditEntry {
        actor: actor.to_owned(),
        action: "dlq.retry".into(),
        subject: format!("job:{job_id}"),
        details: json!({ "reason": reason, "override_855": told }),
        correlation_id: Uuid::now_v7().to_string(),
        at: now,
    };
    if !store.retry_dead(job_id, entry, now).await? {
        return Ok(DeadRetry::NotDead);
    }
    // Reopened after the retry: the sweeper then reads the order's outcome
    // as it is from here on, never the refusal it is replacing.
    let warning = match &told {
        Some(told) => told::reopen_after_override(store, told, now).await,
        None => None,
    };
    Ok(DeadRetry::Retried { warning })
}

/// Removes a dead-lettered job for good, audited in the same commit.
/// False if it was not dead.
pub async fn discard_dead_job(
    store: &dyn Store,
    job_id: i64,
    actor: &str,
    reason: &str,
) -> Result<bool, StoreError> {
    let now = Utc::now();
    let entry = NewAuditEntry {
        actor: actor.to_owned(),
        action: "dlq.discard".into(),
        subject: format!("job:{job_id}"),
        details: json!({ "reason": reason }),
        correlation_id: Uuid::now_v7().to_string(),
        at: now,
    };
    store.discard_dead(job_id, entry, now).await
}
