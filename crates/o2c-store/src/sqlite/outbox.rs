use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

use super::{SqliteStore, from_ts, json_text, parse_json, parse_uuid, ts, uuid_text};
use crate::codec::clamp_limit;
use crate::ports::{NewOutboxEvent, Outbox, OutboxRecord, Result};

pub(super) async fn insert_in_tx(conn: &mut SqliteConnection, e: &NewOutboxEvent) -> Result<()> {
    sqlx::query("INSERT INTO outbox (event_id, topic, envelope, created_at) VALUES (?, ?, ?, ?)")
        .bind(uuid_text(e.event_id))
        .bind(&e.topic)
        .bind(json_text(&e.envelope)?)
        .bind(ts(e.created_at))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

fn decode(r: &SqliteRow) -> Result<OutboxRecord> {
    Ok(OutboxRecord {
        position: r.try_get("position")?,
        event_id: parse_uuid(r.try_get("event_id")?)?,
        topic: r.try_get("topic")?,
        envelope: parse_json(r.try_get("envelope")?)?,
        created_at: from_ts(r.try_get("created_at")?)?,
    })
}

#[async_trait]
impl Outbox for SqliteStore {
    async fn pending_outbox(&self, limit: i64) -> Result<Vec<OutboxRecord>> {
        let rows = sqlx::query(
            "SELECT position, event_id, topic, envelope, created_at FROM outbox \
             WHERE published_at IS NULL ORDER BY position LIMIT ?",
        )
        .bind(clamp_limit(limit))
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(decode).collect()
    }

    async fn mark_published(&self, positions: &[i64], at: DateTime<Utc>) -> Result<()> {
        if positions.is_empty() {
            return Ok(());
        }
        let list = serde_json::to_string(positions)?;
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE outbox SET published_at = ? \
             WHERE position IN (SELECT value FROM json_each(?)) AND published_at IS NULL",
        )
        .bind(ts(at))
        .bind(list)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
