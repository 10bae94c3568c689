use async_trait::async_trait;
use sqlx::Row;
use sqlx::types::Json;

use super::PostgresStore;
use crate::error::StoreError;
use crate::ports::{NewJob, Result, StepCommit, Steps};

#[async_trait]
impl Steps for PostgresStore {
    async fn commit_step(&self, step: StepCommit) -> Result<i64> {
        let added = i64::try_from(step.events.len())
            .map_err(|_| StoreError::Serialization("too many events in one step".into()))?;
        let new_version = step.expected_version + added;
        // Dropping `tx` on any early return rolls everything back.
        let mut tx = self.pool.begin().await?;

        // Takes the order's row lock: steps of one order serialize here, and
        // a concurrent step that lost the race finds the version moved.
        let moved = sqlx::query(
            "UPDATE orders SET status = $1, state = $2, version = $3, updated_at = $4 \
             WHERE order_id = $5 AND version = $6",
        )
        .bind(&step.new_status)
        .bind(Json(&step.new_state))
        .bind(new_version)
        .bind(step.now)
        .bind(step.order_id)
        .bind(step.expected_version)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if moved == 0 {
            let actual = sqlx::query("SELECT version FROM orders WHERE order_id = $1")
                .bind(step.order_id)
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

        for (i, e) in step.events.iter().enumerate() {
            sqlx::query(
                "INSERT INTO journal (order_id, seq, event_id, event_type, data, correlation_id, causation_id, \
                 recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(step.order_id)
            .bind(step.expected_version + 1 + i as i64)
            .bind(e.event_id)
            .bind(&e.event_type)
            .bind(Json(&e.data))
            .bind(&e.correlation_id)
            .bind(e.causation_id)
            .bind(e.recorded_at)
            .execute(&mut *tx)
            .await?;
        }
        for e in &step.outbox {
            super::outbox::insert_in_tx(&mut tx, e).await?;
        }
        let jobs: Vec<&NewJob> = step.jobs.iter().collect();
        super::jobs::insert_jobs(&mut tx, &jobs, step.now).await?;
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
