use async_trait::async_trait;
use chrono::Utc;
use serde_json::Value;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};
use uuid::Uuid;

use super::{
    SqliteStore, from_ts, json_text, parse_json, parse_opt_uuid, parse_uuid, ts, uuid_text,
};
use crate::codec::clamp_limit;
use crate::error::StoreError;
use crate::ports::{Journal, JournalEntry, NewJournalEvent, OrderRecord, Result};

pub(super) const ORDER_COLUMNS: &str = "order_id, channel, channel_order_id, status, version, state, correlation_id, created_at, updated_at";

pub(super) fn decode_order(r: &SqliteRow) -> Result<OrderRecord> {
    Ok(OrderRecord {
        order_id: parse_uuid(r.try_get("order_id")?)?,
        channel: r.try_get("channel")?,
        channel_order_id: r.try_get("channel_order_id")?,
        status: r.try_get("status")?,
        version: r.try_get("version")?,
        state: parse_json(r.try_get("state")?)?,
        correlation_id: r.try_get("correlation_id")?,
        created_at: from_ts(r.try_get("created_at")?)?,
        updated_at: from_ts(r.try_get("updated_at")?)?,
    })
}

/// Appends events in one statement: `(order, seq, event)` rows.
pub(super) async fn insert_many(
    conn: &mut SqliteConnection,
    events: &[(Uuid, i64, &NewJournalEvent)],
) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let rows = events
        .iter()
        .map(|(order_id, seq, e)| {
            Ok(serde_json::json!({
                "o": uuid_text(*order_id), "s": seq, "e": uuid_text(e.event_id), "t": e.event_type,
                "d": json_text(&e.data)?, "c": e.correlation_id,
                "k": e.causation_id.map(uuid_text), "r": ts(e.recorded_at),
            }))
        })
        .collect::<Result<Vec<Value>>>()?;
    sqlx::query(
        "INSERT INTO journal (order_id, seq, event_id, event_type, data, correlation_id, causation_id, recorded_at) \
         SELECT value->>'o', value->>'s', value->>'e', value->>'t', value->>'d', value->>'c', value->>'k', \
                value->>'r' \
         FROM json_each(?) ORDER BY key",
    )
    .bind(serde_json::to_string(&rows)?)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

fn decode_entry(r: &SqliteRow) -> Result<JournalEntry> {
    Ok(JournalEntry {
        order_id: parse_uuid(r.try_get("order_id")?)?,
        seq: r.try_get("seq")?,
        event_id: parse_uuid(r.try_get("event_id")?)?,
        event_type: r.try_get("event_type")?,
        data: parse_json(r.try_get("data")?)?,
        correlation_id: r.try_get("correlation_id")?,
        causation_id: parse_opt_uuid(r.try_get("causation_id")?)?,
        recorded_at: from_ts(r.try_get("recorded_at")?)?,
    })
}

#[async_trait]
impl Journal for SqliteStore {
    async fn load_journal(&self, order_id: Uuid) -> Result<Vec<JournalEntry>> {
        let rows = sqlx::query(
            "SELECT order_id, seq, event_id, event_type, data, correlation_id, causation_id, recorded_at \
             FROM journal WHERE order_id = ? ORDER BY seq",
        )
        .bind(uuid_text(order_id))
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(decode_entry).collect()
    }

    async fn get_order(&self, order_id: Uuid) -> Result<Option<OrderRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {ORDER_COLUMNS} FROM orders WHERE order_id = ?"
        ))
        .bind(uuid_text(order_id))
        .fetch_optional(&self.read)
        .await?;
        row.as_ref().map(decode_order).transpose()
    }

    async fn find_order_by_channel_id(
        &self,
        channel: &str,
        channel_order_id: &str,
    ) -> Result<Option<OrderRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {ORDER_COLUMNS} FROM orders WHERE channel = ? AND channel_order_id = ?"
        ))
        .bind(channel)
        .bind(channel_order_id)
        .fetch_optional(&self.read)
        .await?;
        row.as_ref().map(decode_order).transpose()
    }

    async fn list_orders(&self, status: Option<&str>, limit: i64) -> Result<Vec<OrderRecord>> {
        let rows = match status {
            Some(s) => {
                sqlx::query(&format!(
                    "SELECT {ORDER_COLUMNS} FROM orders WHERE status = ? ORDER BY updated_at DESC, order_id DESC LIMIT ?"
                ))
                .bind(s)
                .bind(clamp_limit(limit))
                .fetch_all(&self.read)
                .await?
            }
            None => {
                sqlx::query(&format!(
                    "SELECT {ORDER_COLUMNS} FROM orders ORDER BY updated_at DESC, order_id DESC LIMIT ?"
                ))
                .bind(clamp_limit(limit))
                .fetch_all(&self.read)
                .await?
            }
        };
        rows.iter().map(decode_order).collect()
    }

    async fn count_orders_by_status(&self) -> Result<Vec<(String, i64)>> {
        let rows =
            sqlx::query("SELECT status, COUNT(*) AS n FROM orders GROUP BY status ORDER BY status")
                .fetch_all(&self.read)
                .await?;
        rows.iter()
            .map(|r| -> Result<(String, i64)> { Ok((r.try_get("status")?, r.try_get("n")?)) })
            .collect()
    }

    async fn rewrite_projection(
        &self,
        order_id: Uuid,
        status: &str,
        version: i64,
        state: Value,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        let res = sqlx::query("UPDATE orders SET status = ?, version = ?, state = ?, updated_at = ? WHERE order_id = ?")
            .bind(status)
            .bind(version)
            .bind(json_text(&state)?)
            .bind(ts(Utc::now()))
            .bind(uuid_text(order_id))
            .execute(&mut *tx)
            .await?;
        if res.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        tx.commit().await?;
        Ok(())
    }
}
