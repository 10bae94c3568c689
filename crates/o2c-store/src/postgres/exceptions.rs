use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use sqlx::{PgConnection, Row};
use uuid::Uuid;

use super::PostgresStore;
use crate::codec::clamp_limit;
use crate::error::StoreError;
use crate::ports::{
    ExceptionClosure, ExceptionRecord, Exceptions, NewAuditEntry, NewException, Result,
};

const COLUMNS: &str = "id, order_id, inbox_id, reasons, details, status, resolution, correlation_id, created_at, updated_at";

/// Closes an open exception inside a step's transaction; a closed or
/// missing one fails the step.
pub(super) async fn close_in_tx(
    conn: &mut PgConnection,
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
    conn: &mut PgConnection,
    c: &ExceptionClosure,
    now: DateTime<Utc>,
) -> Result<bool> {
    let res = sqlx::query("UPDATE exceptions SET status = $1, resolution = $2, updated_at = $3 WHERE id = $4 AND status = 'open'")
        .bind(&c.status)
        .bind(Json(&c.resolution))
        .bind(now)
        .bind(c.id)
        .execute(&mut *conn)
        .await?;
    Ok(res.rows_affected() == 1)
}

pub(super) async fn insert_in_tx(conn: &mut PgConnection, e: &NewException) -> Result<()> {
    sqlx::query(
        "INSERT INTO exceptions (id, order_id, inbox_id, reasons, details, status, resolution, correlation_id, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 'open', NULL, $6, $7, $7)",
    )
    .bind(e.id)
    .bind(e.order_id)
    .bind(e.inbox_id)
    .bind(Json(&e.reasons))
    .bind(Json(&e.details))
    .bind(&e.correlation_id)
    .bind(e.created_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

fn decode(r: &PgRow) -> Result<ExceptionRecord> {
    Ok(ExceptionRecord {
        id: r.try_get("id")?,
        order_id: r.try_get("order_id")?,
        inbox_id: r.try_get("inbox_id")?,
        reasons: r.try_get::<Json<Vec<String>>, _>("reasons")?.0,
        details: r.try_get::<Json<Value>, _>("details")?.0,
        status: r.try_get("status")?,
        resolution: r
            .try_get::<Option<Json<Value>>, _>("resolution")?
            .map(|j| j.0),
        correlation_id: r.try_get("correlation_id")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

#[async_trait]
impl Exceptions for PostgresStore {
    async fn open_exception(&self, exception: NewException) -> Result<()> {
        let mut conn = self.pool.acquire().await?;
        insert_in_tx(&mut conn, &exception).await
    }

    async fn get_exception(&self, id: Uuid) -> Result<Option<ExceptionRecord>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM exceptions WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
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
                    "SELECT {COLUMNS} FROM exceptions WHERE status = $1 ORDER BY created_at DESC, id DESC LIMIT $2"
                ))
                .bind(s)
                .bind(clamp_limit(limit))
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query(&format!("SELECT {COLUMNS} FROM exceptions ORDER BY created_at DESC, id DESC LIMIT $1"))
                    .bind(clamp_limit(limit))
                    .fetch_all(&self.pool)
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
        let mut tx = self.pool.begin().await?;
        let res = sqlx::query(
            "UPDATE exceptions SET status = $1, resolution = $2, updated_at = $3 WHERE id = $4 AND status = 'open'",
        )
        .bind(status)
        .bind(Json(&resolution))
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        super::audit::commit_if_one(tx, res.rows_affected(), &audit).await
    }
}
