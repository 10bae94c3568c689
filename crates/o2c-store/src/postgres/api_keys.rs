use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use uuid::Uuid;

use super::PostgresStore;
use crate::ports::{ApiKeyRecord, ApiKeys, NewAuditEntry, Result};

const COLUMNS: &str = "id, name, key_hash, scopes, channel, created_at, revoked_at";

fn decode(r: &PgRow) -> Result<ApiKeyRecord> {
    Ok(ApiKeyRecord {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        key_hash: r.try_get("key_hash")?,
        scopes: r.try_get::<Json<Vec<String>>, _>("scopes")?.0,
        channel: r.try_get("channel")?,
        created_at: r.try_get("created_at")?,
        revoked_at: r.try_get("revoked_at")?,
    })
}

#[async_trait]
impl ApiKeys for PostgresStore {
    async fn create_api_key(&self, key: ApiKeyRecord, audit: NewAuditEntry) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO api_keys (id, name, key_hash, scopes, channel, created_at, revoked_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(key.id)
        .bind(&key.name)
        .bind(&key.key_hash)
        .bind(Json(&key.scopes))
        .bind(&key.channel)
        .bind(key.created_at)
        .bind(key.revoked_at)
        .execute(&mut *tx)
        .await?;
        super::audit::append_in_tx(&mut tx, std::slice::from_ref(&audit)).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn find_api_key(&self, key_hash: &str) -> Result<Option<ApiKeyRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM api_keys WHERE key_hash = $1"
        ))
        .bind(key_hash)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(decode).transpose()
    }

    async fn list_api_keys(&self) -> Result<Vec<ApiKeyRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM api_keys ORDER BY created_at, id"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(decode).collect()
    }

    async fn revoke_api_key(
        &self,
        id: Uuid,
        audit: NewAuditEntry,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let res =
            sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        // By primary key: at most one row.
        super::audit::commit_if_one(tx, res.rows_affected(), &audit).await
    }
}
