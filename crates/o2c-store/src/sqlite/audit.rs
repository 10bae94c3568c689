use async_trait::async_trait;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

use super::{SqliteStore, from_ts, parse_json, ts};
use crate::audit_hash::{ChainHead, ChainVerifier, canonical_json};
use crate::codec::clamp_limit;
use crate::ports::{Audit, AuditRecord, AuditVerification, NewAuditEntry, Result};

const COLUMNS: &str = "seq, actor, action, subject, details, correlation_id, at, prev_hash, hash";
const VERIFY_PAGE: i64 = 1_000;

/// Ends a transaction whose one update is audited: when `updated` (the
/// rows it changed) is exactly one, appends `audit` and commits; otherwise
/// drops the transaction, writing nothing, and answers false.
pub(super) async fn commit_if_one(
    mut tx: sqlx::Transaction<'_, sqlx::Sqlite>,
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

/// Appends entries to the chain inside the caller's write transaction (which
/// holds SQLite's write lock, so the head cannot move underneath).
pub(super) async fn append_in_tx(
    conn: &mut SqliteConnection,
    entries: &[NewAuditEntry],
) -> Result<Vec<AuditRecord>> {
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    let mut head = chain_head(conn).await?;
    let out: Vec<AuditRecord> = entries.iter().map(|e| head.append(e)).collect();
    let rows: Vec<serde_json::Value> = out
        .iter()
        .map(|r| {
            serde_json::json!({
                "s": r.seq, "a": r.actor, "c": r.action, "u": r.subject,
                "d": canonical_json(&r.details), "r": r.correlation_id,
                "t": ts(r.at), "p": r.prev_hash, "h": r.hash,
            })
        })
        .collect();
    // One statement for the whole batch (rows in array order).
    sqlx::query(
        "INSERT INTO audit (seq, actor, action, subject, details, correlation_id, at, prev_hash, hash) \
         SELECT value->>'s', value->>'a', value->>'c', value->>'u', value->>'d', value->>'r', value->>'t', \
                value->>'p', value->>'h' \
         FROM json_each(?) ORDER BY key",
    )
    .bind(serde_json::to_string(&rows)?)
    .execute(&mut *conn)
    .await?;
    Ok(out)
}

async fn chain_head(conn: &mut SqliteConnection) -> Result<ChainHead> {
    let row = sqlx::query("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")
        .fetch_optional(&mut *conn)
        .await?;
    match row {
        Some(r) => Ok(ChainHead {
            seq: r.try_get("seq")?,
            hash: r.try_get("hash")?,
        }),
        None => Ok(ChainHead::genesis()),
    }
}

fn decode(r: &SqliteRow) -> Result<AuditRecord> {
    Ok(AuditRecord {
        seq: r.try_get("seq")?,
        actor: r.try_get("actor")?,
        action: r.try_get("action")?,
        subject: r.try_get("subject")?,
        details: parse_json(r.try_get("details")?)?,
        correlation_id: r.try_get("correlation_id")?,
        at: from_ts(r.try_get("at")?)?,
        prev_hash: r.try_get("prev_hash")?,
        hash: r.try_get("hash")?,
    })
}

#[async_trait]
impl Audit for SqliteStore {
    async fn append_audit(&self, entry: NewAuditEntry) -> Result<AuditRecord> {
        let mut tx = self.begin_write().await?;
        let mut recs = append_in_tx(&mut tx, std::slice::from_ref(&entry)).await?;
        tx.commit().await?;
        recs.pop()
            .ok_or_else(|| crate::StoreError::Serialization("audit append produced no row".into()))
    }

    async fn list_audit(&self, after_seq: i64, limit: i64) -> Result<Vec<AuditRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM audit WHERE seq > ? ORDER BY seq LIMIT ?"
        ))
        .bind(after_seq)
        .bind(clamp_limit(limit))
        .fetch_all(&self.read)
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
