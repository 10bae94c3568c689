use async_trait::async_trait;
use chrono::Utc;
use serde_json::Value;
use sqlx::Row;
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use uuid::Uuid;

use super::PostgresStore;
use crate::codec::clamp_limit;
use crate::error::StoreError;
use crate::ports::{Journal, JournalEntry, OrderRecord, Result};

const ORDER_COLUMNS: &str = "order_id, channel, channel_order_id, status, version, state, correlation_id, created_at, updated_at";

fn decode_order(r: &PgRow) -> Result<OrderRecord> {
    Ok(OrderRecord {
        order_id: r.try_get("order_id")?,
        channel: r.try_get("channel")?,
        channel_order_id: r.try_get("channel_order_id")?,
        status: r.try_get("status")?,
        version: r.try_get("version")?,
        state: r.try_get::<Json<Value>, _>("state")?.0,
        correlation_id: r.try_get("correlation_id")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn decode_entry(r: &PgRow) -> Result<JournalEntry> {
    Ok(JournalEntry {
        order_id: r.try_get("order_id")?,
        seq: r.try_get("seq")?,
        event_id: r.try_get("event_id")?,
        event_type: r.try_get("event_type")?,
        data: r.try_get::<Json<Value>, _>("data")?.0,
        correlation_id: r.try_get("correlation_id")?,
        causation_id: r.try_get("causation_id")?,
        recorded_at: r.try_get("recorded_at")?,
    })
}

#[async_trait]
impl Journal for PostgresStore {
    async fn load_journal(&self, order_id: Uuid) -> Result<Vec<JournalEntry>> {
        let rows = sqlx::query(
            "SELECT order_id, seq, event_id, event_type, data, correlation_id, causation_id, recorded_at \
             FROM journal WHERE order_id = $1 ORDER BY seq",
        )
        .bind(order_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(decode_entry).collect()
    }

    async fn get_order(&self, order_id: Uuid) -> Result<Option<OrderRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {ORDER_COLUMNS} FROM orders WHERE order_id = $1"
        ))
        .bind(order_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(decode_order).transpose()
    }

    async fn find_order_by_channel_id(
        &self,
        channel: &str,
        channel_order_id: &str,
    ) -> Result<Option<OrderRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {ORDER_COLUMNS} FROM orders WHERE channel = $1 AND channel_order_id = $2"
        ))
        .bind(channel)
        .bind(channel_order_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(decode_order).transpose()
    }

    async fn list_orders(&self, status: Option<&str>, limit: i64) -> Result<Vec<OrderRecord>> {
        let rows = match status {
            Some(s) => {
                sqlx::query(&format!(
                    "SELECT {ORDER_COLUMNS} FROM orders WHERE status = $1 ORDER BY updated_at DESC, order_id DESC LIMIT $2"
                ))
                .bind(s)
                .bind(clamp_limit(limit))
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query(&format!(
                    "SELECT {ORDER_COLUMNS} FROM orders ORDER BY updated_at DESC, order_id DESC LIMIT $1"
                ))
                .bind(clamp_limit(limit))
                .fetch_all(&self.pool)
                .await?
            }
        };
        rows.iter().map(decode_order).collect()
    }

    async fn count_orders_by_status(&self) -> Result<Vec<(String, i64)>> {
        let rows =
            sqlx::query("SELECT status, COUNT(*) AS n FROM orders GROUP BY status ORDER BY status")
                .fetch_all(&self.pool)
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
        let res = sqlx::query("UPDATE orders SET status = $1, version = $2, state = $3, updated_at = $4 WHERE order_id = $5")
            .bind(status)
            .bind(version)
            .bind(Json(&state))
            .bind(Utc::now())
            .bind(order_id)
            .execute(&self.pool)
            .await?;
        if res.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}
