//! Puller cursors in SQLite: one row per puller, replaced in place.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::Row;

use super::{SqliteStore, from_ts, json_text, parse_json, ts};
use crate::ports::{CursorRecord, Cursors, Result};

#[async_trait]
impl Cursors for SqliteStore {
    async fn load_cursor(&self, name: &str) -> Result<Option<CursorRecord>> {
        let row = sqlx::query("SELECT name, value, updated_at FROM pull_cursors WHERE name = ?")
            .bind(name)
            .fetch_optional(&self.read)
            .await?;
        row.map(|r| {
            Ok(CursorRecord {
                name: r.try_get("name")?,
                value: parse_json(r.try_get("value")?)?,
                updated_at: from_ts(r.try_get("updated_at")?)?,
            })
        })
        .transpose()
    }

    async fn save_cursor(&self, name: &str, value: &Value, at: DateTime<Utc>) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO pull_cursors (name, value, updated_at) VALUES (?, ?, ?) \
             ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        )
        .bind(name)
        .bind(json_text(value)?)
        .bind(ts(at))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
