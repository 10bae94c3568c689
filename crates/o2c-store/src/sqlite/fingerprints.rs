//! Order fingerprints for the duplicate-suspect rule (SQLite).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{SqliteStore, from_ts, parse_uuid, ts, uuid_text};
use crate::ports::{FingerprintMatch, Fingerprints, OrderFingerprint, Result};

#[async_trait]
impl Fingerprints for SqliteStore {
    async fn record_fingerprint(
        &self,
        entry: OrderFingerprint,
        since: DateTime<Utc>,
    ) -> Result<Vec<FingerprintMatch>> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO order_fingerprints (order_id, fingerprint, channel, channel_order_id, recorded_at) \
             VALUES (?, ?, ?, ?, ?) ON CONFLICT (order_id) DO UPDATE SET fingerprint = excluded.fingerprint, \
             recorded_at = excluded.recorded_at",
        )
        .bind(uuid_text(entry.order_id))
        .bind(&entry.fingerprint)
        .bind(&entry.channel)
        .bind(&entry.channel_order_id)
        .bind(ts(entry.recorded_at))
        .execute(&mut *tx)
        .await?;
        let rows = sqlx::query(
            "SELECT f.order_id, f.channel, f.channel_order_id, f.recorded_at FROM order_fingerprints f \
             JOIN orders o ON o.order_id = f.order_id \
             WHERE f.fingerprint = ? AND f.recorded_at >= ? AND f.order_id <> ? AND o.status <> 'cancelled' \
             ORDER BY f.recorded_at, f.order_id LIMIT 20",
        )
        .bind(&entry.fingerprint)
        .bind(ts(since))
        .bind(uuid_text(entry.order_id))
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        rows.iter()
            .map(|r| {
                Ok(FingerprintMatch {
                    order_id: parse_uuid(r.try_get("order_id")?)?,
                    channel: r.try_get("channel")?,
                    channel_order_id: r.try_get("channel_order_id")?,
                    recorded_at: from_ts(r.try_get("recorded_at")?)?,
                })
            })
            .collect()
    }
}
