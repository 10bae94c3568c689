use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};
use uuid::Uuid;

use super::{
    SqliteStore, from_ts, json_text, parse_json, parse_opt_json, parse_opt_uuid, parse_uuid, ts,
    uuid_text,
};
use crate::codec::clamp_limit;
use crate::error::StoreError;
use crate::ports::{
    ExceptionClosure, ExceptionRecord, Exceptions, NewAuditEntry, NewException, Result,
};

const COLUMNS: &str = "id, order_id, inbox_id, reasons, details, status, resolution, correlation_id, created_at, updated_at";

/// Closes an open exception inside a step's transaction; a closed or
/// missing one fails the step.
pub(super) async fn close_in_tx(
    conn: &mut SqliteConnection,
    c: &ExceptionClosure,
    now: DateTime<Utc>,
) -> Result<()> {
    if close_if_open_in_tx(conn, c, now).await? {
        Ok(())
    } else {
        Err(StoreError::Conflict(format!(
            "exception {} is not open",
            c.id
        )))
    }
}

/// Closes the exception inside the caller's transaction if it is still
/// open; false when it is not (closed by someone else, or missing).
pub(super) async fn close_if_open_in_tx(
    conn: &mut SqliteConnection,
    c: &ExceptionClosure,
    now: DateTime<Utc>,
) -> Result<bool> {
    let res = sqlx::query("UPDATE exceptions SET status = ?, resolution = ?, updated_at = ? WHERE id = ? AND status = 'open'")
        .bind(&c.status)
        .bind(json_text(&c.resolution)?)
        .bind(ts(now))
        .bind(uuid_text(c.id))
        .execute(&mut *conn)
        .await?;
    Ok(res.rows_affected() == 1)
}

pub(super) async fn insert_in_tx(conn: &mut SqliteConnection, e: &NewException) -> Result<()> {
    sqlx::query(
        "INSERT INTO exceptions (id, order_id, inbox_id, reasons, details, status, resolution, correlation_id, \
         created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'open', NULL, ?, ?, ?)",
    )
    .bind(uuid_text(e.id))
    .bind(e.order_id.map(uuid_text))
    .bind(e.inbox_id.map(uuid_text))
    .bind(serde_json::to_string(&e.reasons)?)
    .bind(json_text(&e.details)?)
    .bind(&e.correlation_id)
    .bind(ts(e.created_at))
    .bind(ts(e.created_at))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

fn decode(r: &SqliteRow) -> Result<ExceptionRecord> {
    Ok(ExceptionRecord {
        id: parse_uuid(r.try_get("id")?)?,
        order_id: parse_opt_uuid(r.try_get("order_id")?)?,
        inbox_id: parse_opt_uuid(r.try_get("inbox_id")?)?,
        reasons: serde_json::from_str(r.try_get("reasons")?)?,
        details: parse_json(r.try_get("details")?)?,
        status: r.try_get("status")?,
        resolution: parse_opt_json(r.try_get("resolution")?)?,
        correlation_id: r.try_get("correlation_id")?,
        created_at: from_ts(r.try_get("created_at")?)?,
        updated_at: from_ts(r.try_get("updated_at")?)?,
    })
}

#[async_trait]
impl Exceptions for SqliteStore {
    async fn open_exception(&self, exception: NewException) -> Result<()> {
        let mut tx = self.begin_write().await?;
        insert_in_tx(&mut tx, &exception).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn get_exception(&self, id: Uuid) -> Result<Option<ExceptionRecord>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM exceptions WHERE id = ?"))
            .bind(uuid_text(id))
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(decode).transpose()
    }

    async fn list_exceptions(
        &self,
        status: Option<&str>,
        limit: i64,
    ) -> Result<Vec<ExceptionRecord>> {
        let rows = match status {
            Some(s) => {
                sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM exceptions WHERE status = ? ORDER BY created_at DESC, id DESC LIMIT ?"
                ))
                .bind(s)
                .bind(clamp_limit(limit))
                .fetch_all(&self.read)
                .await?
            }
            None => {
                sqlx::query(&format!("SELECT {COLUMNS} FROM exceptions ORDER BY created_at DESC, id DESC LIMIT ?"))
                    .bind(clamp_limit(limit))
                    .fetch_all(&self.read)
                    .await?
            }
        };
        rows.iter().map(decode).collect()
    }

    async fn close_exception(
        &self,
        id: Uuid,
        status: &str,
        resolution: Value,
        audit: NewAuditEntry,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let res = sqlx::query(
            "UPDATE exceptions SET status = ?, resolution = ?, updated_at = ? WHERE id = ? AND status = 'open'",
        )
        .bind(status)
        .bind(json_text(&resolution)?)
        .bind(ts(now))
        .bind(uuid_text(id))
        .execute(&mut *tx)
        .await?;
        super::audit::commit_if_one(tx, res.rows_affected(), &audit).await
    }
}
