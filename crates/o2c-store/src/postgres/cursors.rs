//! Puller cursors in PostgreSQL: one row per puller, replaced in place.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::Row;
use sqlx::types::Json;

use super::PostgresStore;
use crate::ports::{CursorRecord, Cursors, Result};

#[async_trait]
impl Cursors for PostgresStore {
    async fn load_cursor(&self, name: &str) -> Result<Option<CursorRecord>> {
        let row = sqlx::query("SELECT name, value, updated_at FROM pull_cursors WHERE name = $1")
            .bind(name)
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| {
            Ok(CursorRecord {
                name: r.try_get("name")?,
                value: r.try_get::<Json<Value>, _>("value")?.0,
                updated_at: r.try_get("updated_at")?,
            })
        })
        .transpose()
    }

    async fn save_cursor(&self, name: &str, value: &Value, at: DateTime<Utc>) -> Result<()> {
        sqlx::query(
            "INSERT INTO pull_cursors (name, value, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at",
        )
        .bind(name)
        .bind(Json(value))
        .bind(at)
        .execute(self.pool())
        .await?;
        Ok(())
    }
}
