use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use uuid::Uuid;

use super::{SqliteStore, from_opt_ts, from_ts, parse_uuid, ts, uuid_text};
use crate::ports::{ApiKeyRecord, ApiKeys, NewAuditEntry, Result};

const COLUMNS: &str = "id, name, key_hash, scopes, channel, created_at, revoked_at";

fn decode(r: &SqliteRow) -> Result<ApiKeyRecord> {
    Ok(ApiKeyRecord {
        id: parse_uuid(r.try_get("id")?)?,
        name: r.try_get("name")?,
        key_hash: r.try_get("key_hash")?,
        scopes: serde_json::from_str(r.try_get("scopes")?)?,
        channel: r.try_get("channel")?,
        created_at: from_ts(r.try_get("created_at")?)?,
        revoked_at: from_opt_ts(r.try_get("revoked_at")?)?,
    })
}

#[async_trait]
impl ApiKeys for SqliteStore {
    async fn create_api_key(&self, key: ApiKeyRecord, audit: NewAuditEntry) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO api_keys (id, name, key_hash, scopes, channel, created_at, revoked_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(uuid_text(key.id))
        .bind(&key.name)
        .bind(&key.key_hash)
        .bind(serde_json::to_string(&key.scopes)?)
        .bind(&key.channel)
        .bind(ts(key.created_at))
        .bind(key.revoked_at.map(ts))
        .execute(&mut *tx)
        .await?;
        super::audit::append_in_tx(&mut tx, std::slice::from_ref(&audit)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn find_api_key(&self, key_hash: &str) -> Result<Option<ApiKeyRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM api_keys WHERE key_hash = ?"
        ))
        .bind(key_hash)
        .fetch_optional(&self.read)
        .await?;
        row.as_ref().map(decode).transpose()
    }

    async fn list_api_keys(&self) -> Result<Vec<ApiKeyRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM api_keys ORDER BY created_at, id"
        ))
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(decode).collect()
    }

    async fn revoke_api_key(
        &self,
        id: Uuid,
        audit: NewAuditEntry,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let res =
            sqlx::query("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")
                .bind(ts(now))
                .bind(uuid_text(id))
                .execute(&mut *tx)
                .await?;
        // By primary key: at most one row.
        super::audit::commit_if_one(tx, res.rows_affected(), &audit).await
    }
}
