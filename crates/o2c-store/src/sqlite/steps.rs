use async_trait::async_trait;
use sqlx::Row;

use super::{SqliteStore, json_text, ts, uuid_text};
use crate::error::StoreError;
use crate::ports::{Result, StepCommit, Steps};

#[async_trait]
impl Steps for SqliteStore {
    async fn commit_step(&self, step: StepCommit) -> Result<i64> {
        let added = i64::try_from(step.events.len())
            .map_err(|_| StoreError::Serialization("too many events in one step".into()))?;
        let new_version = step.expected_version + added;
        let order = uuid_text(step.order_id);
        // Dropping `tx` on any early return rolls everything back.
        let mut tx = self.begin_write().await?;

        let moved = sqlx::query(
            "UPDATE orders SET status = ?, state = ?, version = ?, updated_at = ? WHERE order_id = ? AND version = ?",
        )
        .bind(&step.new_status)
        .bind(json_text(&step.new_state)?)
        .bind(new_version)
        .bind(ts(step.now))
        .bind(&order)
        .bind(step.expected_version)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if moved == 0 {
            let actual = sqlx::query("SELECT version FROM orders WHERE order_id = ?")
                .bind(&order)
                .fetch_optional(&mut *tx)
                .await?;
            return Err(match actual {
                Some(r) => StoreError::VersionConflict {
                    order_id: step.order_id,
                    expected: step.expected_version,
                    actual: r.try_get("version")?,
                },
                None => StoreError::NotFound,
            });
        }

        if let Some(lease) = &step.completes
            && !super::jobs::complete_in_tx(&mut tx, lease, step.now).await?
        {
            return Err(StoreError::LeaseLost {
                job_id: lease.job_id,
            });
        }

        let events: Vec<_> = step
            .events
            .iter()
            .enumerate()
            .map(|(i, e)| (step.order_id, step.expected_version + 1 + i as i64, e))
            .collect();
        super::journal::insert_many(&mut tx, &events).await?;
        for e in &step.outbox {
            super::outbox::insert_in_tx(&mut tx, e).await?;
        }
        let jobs: Vec<_> = step.jobs.iter().collect();
        super::jobs::insert_many(&mut tx, &jobs, step.now).await?;
        for e in &step.exceptions {
            super::exceptions::insert_in_tx(&mut tx, e).await?;
        }
        for closure in &step.closes {
            super::exceptions::close_in_tx(&mut tx, closure, step.now).await?;
        }
        super::audit::append_in_tx(&mut tx, &step.audit).await?;
        tx.commit().await?;
        Ok(new_version)
    }
}
