use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use sqlx::{PgConnection, Row};

use super::PostgresStore;
use crate::codec::clamp_limit;
use crate::ports::{NewOutboxEvent, Outbox, OutboxRecord, Result};

pub(super) async fn insert_in_tx(conn: &mut PgConnection, e: &NewOutboxEvent) -> Result<()> {
    sqlx::query(
        "INSERT INTO outbox (event_id, topic, envelope, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(e.event_id)
    .bind(&e.topic)
    .bind(Json(&e.envelope))
    .bind(e.created_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

fn decode(r: &PgRow) -> Result<OutboxRecord> {
    Ok(OutboxRecord {
        position: r.try_get("position")?,
        event_id: r.try_get("event_id")?,
        topic: r.try_get("topic")?,
        envelope: r.try_get::<Json<Value>, _>("envelope")?.0,
        created_at: r.try_get("created_at")?,
    })
}

#[async_trait]
impl Outbox for PostgresStore {
    /// Positions come from a sequence, so with concurrent writers a higher
    /// position can commit before a lower one; an event is only ever skipped
    /// until its transaction commits, never lost. Per order, events keep
    /// their order (a step holds the order's row lock).
    async fn pending_outbox(&self, limit: i64) -> Result<Vec<OutboxRecord>> {
        let rows = sqlx::query(
            "SELECT position, event_id, topic, envelope, created_at FROM outbox \
             WHERE published_at IS NULL ORDER BY position LIMIT $1",
        )
        .bind(clamp_limit(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(decode).collect()
    }

    async fn mark_published(&self, positions: &[i64], at: DateTime<Utc>) -> Result<()> {
        if positions.is_empty() {
            return Ok(());
        }
        sqlx::query(
            "UPDATE outbox SET published_at = $1 WHERE position = ANY($2) AND published_at IS NULL",
        )
        .bind(at)
        .bind(positions)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
