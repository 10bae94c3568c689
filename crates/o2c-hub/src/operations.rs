//! Operator actions shared by the HTTP API and the command line, each
//! written to the audit log with who did it and why.

use chrono::Utc;
use o2c_store::{NewAuditEntry, Store, StoreError};
use serde_json::json;
use uuid::Uuid;

/// Puts a dead-lettered job back in the queue. False if it was not dead.
pub async fn retry_dead_job(
    store: &dyn Store,
    job_id: i64,
    actor: &str,
    reason: &str,
) -> Result<bool, StoreError> {
    let now = Utc::now();
    let done = store.retry_dead(job_id, now).await?;
    if done {
        store
            .append_audit(NewAuditEntry {
                actor: actor.to_owned(),
                action: "dlq.retry".into(),
                subject: format!("job:{job_id}"),
                details: json!({ "reason": reason }),
                correlation_id: Uuid::now_v7().to_string(),
                at: now,
            })
            .await?;
    }
    Ok(done)
}

/// Removes a dead-lettered job for good. False if it was not dead.
pub async fn discard_dead_job(
    store: &dyn Store,
    job_id: i64,
    actor: &str,
    reason: &str,
) -> Result<bool, StoreError> {
    let now = Utc::now();
    let done = store.discard_dead(job_id, now).await?;
    if done {
        store
            .append_audit(NewAuditEntry {
                actor: actor.to_owned(),
                action: "dlq.discard".into(),
                subject: format!("job:{job_id}"),
                details: json!({ "reason": reason }),
                correlation_id: Uuid::now_v7().to_string(),
                at: now,
            })
            .await?;
    }
    Ok(done)
}
