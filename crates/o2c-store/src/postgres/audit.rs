use async_trait::async_trait;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use super::{LOCK_AUDIT, PostgresStore};
use crate::audit_hash::{ChainHead, ChainVerifier, canonical_json};
use crate::codec::clamp_limit;
use crate::ports::{Audit, AuditRecord, AuditVerification, NewAuditEntry, Result};

const COLUMNS: &str =
    "seq, actor, action, subject, details::text AS details, correlation_id, at, prev_hash, hash";
const VERIFY_PAGE: i64 = 1_000;

/// Ends a transaction whose one update is audited: when `updated` (the
/// rows it changed) is exactly one, appends `audit` and commits; otherwise
/// drops the transaction, writing nothing, and answers false.
pub(super) async fn commit_if_one(
    mut tx: sqlx::Transaction<'_, sqlx::Postgres>,
    updated: u64,
    audit: &NewAuditEntry,
) -> Result<bool> {
    if updated != 1 {
        return Ok(false);
    }
    append_in_tx(&mut tx, std::slice::from_ref(audit)).await?;
    tx.commit().await?;
    Ok(true)
}

/// Appends entries to the chain inside the caller's transaction. The
/// transaction-scoped advisory lock serializes appenders across connections
/// and instances until commit, so two transactions never chain onto the same
/// head. Call it last in a transaction to keep the lock short.
pub(super) async fn append_in_tx(
    conn: &mut PgConnection,
    entries: &[NewAuditEntry],
) -> Result<Vec<AuditRecord>> {
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    sqlx::query("SELECT pg_advisory_xact_lock($1, 0)")
        .bind(LOCK_AUDIT)
        .execute(&mut *conn)
        .await?;
    let row = sqlx::query("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")
        .fetch_optional(&mut *conn)
        .await?;
    let mut head = match row {
        Some(r) => ChainHead {
            seq: r.try_get("seq")?,
            hash: r.try_get("hash")?,
        },
        None => ChainHead::genesis(),
    };
    let mut out = Vec::with_capacity(entries.len());
    for entry in entries {
        let rec = head.append(entry);
        sqlx::query(
            "INSERT INTO audit (seq, actor, action, subject, details, correlation_id, at, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5::json, $6, $7, $8, $9)",
        )
        .bind(rec.seq)
        .bind(&rec.actor)
        .bind(&rec.action)
        .bind(&rec.subject)
        .bind(canonical_json(&rec.details))
        .bind(&rec.correlation_id)
        .bind(rec.at)
        .bind(&rec.prev_hash)
        .bind(&rec.hash)
        .execute(&mut *conn)
        .await?;
        out.push(rec);
    }
    Ok(out)
}

fn decode(r: &PgRow) -> Result<AuditRecord> {
    Ok(AuditRecord {
        seq: r.try_get("seq")?,
        actor: r.try_get("actor")?,
        action: r.try_get("action")?,
        subject: r.try_get("subject")?,
        details: serde_json::from_str(r.try_get("details")?)?,
        correlation_id: r.try_get("correlation_id")?,
        at: r.try_get("at")?,
        prev_hash: r.try_get("prev_hash")?,
        hash: r.try_get("hash")?,
    })
}

#[async_trait]
impl Audit for PostgresStore {
    async fn append_audit(&self, entry: NewAuditEntry) -> Result<AuditRecord> {
        let mut tx = self.pool.begin().await?;
        let mut recs = append_in_tx(&mut tx, std::slice::from_ref(&entry)).await?;
        tx.commit().await?;
        recs.pop()
            .ok_or_else(|| crate::StoreError::Serialization("audit append produced no row".into()))
    }

    async fn list_audit(&self, after_seq: i64, limit: i64) -> Result<Vec<AuditRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM audit WHERE seq > $1 ORDER BY seq LIMIT $2"
        ))
        .bind(after_seq)
        .bind(clamp_limit(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(decode).collect()
    }

    async fn verify_audit(&self) -> Result<AuditVerification> {
        let mut verifier = ChainVerifier::new();
        let mut after = 0i64;
        loop {
            let page = self.list_audit(after, VERIFY_PAGE).await?;
            let Some(last) = page.last() else { break };
            after = last.seq;
            let full = page.len() as i64 == VERIFY_PAGE;
            for rec in &page {
                if !verifier.push(rec) {
                    return Ok(verifier.finish());
                }
            }
            if !full {
                break;
            }
        }
        Ok(verifier.finish())
    }
}
