//! Order fingerprints for the duplicate-suspect rule (PostgreSQL).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;
use uuid::Uuid;

use super::PostgresStore;
use crate::ports::{FingerprintMatch, Fingerprints, OrderFingerprint, Result};

#[async_trait]
impl Fingerprints for PostgresStore {
    async fn record_fingerprint(
        &self,
        entry: OrderFingerprint,
        since: DateTime<Utc>,
    ) -> Result<Vec<FingerprintMatch>> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO order_fingerprints (order_id, fingerprint, channel, channel_order_id, recorded_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (order_id) DO UPDATE SET fingerprint = excluded.fingerprint, \
             recorded_at = excluded.recorded_at",
        )
        .bind(entry.order_id)
        .bind(&entry.fingerprint)
        .bind(&entry.channel)
        .bind(&entry.channel_order_id)
        .bind(entry.recorded_at)
        .execute(&mut *tx)
        .await?;
        let rows = sqlx::query(
            "SELECT f.order_id, f.channel, f.channel_order_id, f.recorded_at FROM order_fingerprints f \
             JOIN orders o ON o.order_id = f.order_id \
             WHERE f.fingerprint = $1 AND f.recorded_at >= $2 AND f.order_id <> $3 AND o.status <> 'cancelled' \
             ORDER BY f.recorded_at, f.order_id LIMIT 20",
        )
        .bind(&entry.fingerprint)
        .bind(since)
        .bind(entry.order_id)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        rows.iter()
            .map(|r| {
                Ok(FingerprintMatch {
                    order_id: r.try_get::<Uuid, _>("order_id")?,
                    channel: r.try_get("channel")?,
                    channel_order_id: r.try_get("channel_order_id")?,
                    recorded_at: r.try_get("recorded_at")?,
                })
            })
            .collect()
    }
}
