use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

use super::{SqliteStore, from_opt_ts, from_ts, json_text, parse_json, ts};
use crate::codec::{clamp_limit, job_state_str, parse_job_state};
use crate::ports::{Job, JobState, Jobs, Lease, NewAuditEntry, NewJob, Result};

pub(super) const COLUMNS: &str = "id, queue_key, kind, payload, idempotency_key, state, attempts, max_attempts, run_at, \
     lease_owner, lease_until, last_error, correlation_id, created_at, updated_at";

/// Inserts a job unless its idempotency key exists; returns the new id.
pub(super) async fn insert_job(
    conn: &mut SqliteConnection,
    job: &NewJob,
    now: DateTime<Utc>,
) -> Result<Option<i64>> {
    let row = sqlx::query(
        "INSERT INTO jobs (queue_key, kind, payload, idempotency_key, state, attempts, max_attempts, run_at, \
         correlation_id, created_at, updated_at) \
         VALUES (?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?, ?) \
         ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
    )
    .bind(&job.queue_key)
    .bind(&job.kind)
    .bind(json_text(&job.payload)?)
    .bind(&job.idempotency_key)
    .bind(job.max_attempts)
    .bind(ts(job.run_at))
    .bind(&job.correlation_id)
    .bind(ts(now))
    .bind(ts(now))
    .fetch_optional(&mut *conn)
    .await?;
    Ok(match row {
        Some(r) => Some(r.try_get("id")?),
        None => None,
    })
}

/// Inserts many jobs in one statement, in order, skipping existing (or
/// repeated) idempotency keys.
pub(super) async fn insert_many(
    conn: &mut SqliteConnection,
    jobs: &[&NewJob],
    now: DateTime<Utc>,
) -> Result<()> {
    if jobs.is_empty() {
        return Ok(());
    }
    let rows = jobs
        .iter()
        .map(|j| {
            Ok(serde_json::json!({
                "q": j.queue_key, "k": j.kind, "p": json_text(&j.payload)?, "i": j.idempotency_key,
                "m": j.max_attempts, "r": ts(j.run_at), "c": j.correlation_id,
            }))
        })
        .collect::<Result<Vec<serde_json::Value>>>()?;
    sqlx::query(
        "INSERT INTO jobs (queue_key, kind, payload, idempotency_key, state, attempts, max_attempts, run_at, \
         correlation_id, created_at, updated_at) \
         SELECT value->>'q', value->>'k', value->>'p', value->>'i', 'pending', 0, value->>'m', value->>'r', \
                value->>'c', ?, ? \
         FROM json_each(?) WHERE true ORDER BY key \
         ON CONFLICT (idempotency_key) DO NOTHING",
    )
    .bind(ts(now))
    .bind(ts(now))
    .bind(serde_json::to_string(&rows)?)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Marks a leased job done if `lease` still holds it.
pub(super) async fn complete_in_tx(
    conn: &mut SqliteConnection,
    lease: &Lease,
    now: DateTime<Utc>,
) -> Result<bool> {
    let res = sqlx::query(
        "UPDATE jobs SET state = 'done', lease_owner = NULL, lease_until = NULL, updated_at = ? \
         WHERE id = ? AND state = 'leased' AND lease_owner = ?",
    )
    .bind(ts(now))
    .bind(lease.job_id)
    .bind(&lease.owner)
    .execute(&mut *conn)
    .await?;
    Ok(res.rows_affected() == 1)
}

pub(super) fn decode(r: &SqliteRow) -> Result<Job> {
    Ok(Job {
        id: r.try_get("id")?,
        queue_key: r.try_get("queue_key")?,
        kind: r.try_get("kind")?,
        payload: parse_json(r.try_get("payload")?)?,
        idempotency_key: r.try_get("idempotency_key")?,
        state: parse_job_state(r.try_get("state")?)?,
        attempts: r.try_get("attempts")?,
        max_attempts: r.try_get("max_attempts")?,
        run_at: from_ts(r.try_get("run_at")?)?,
        lease_owner: r.try_get("lease_owner")?,
        lease_until: from_opt_ts(r.try_get("lease_until")?)?,
        last_error: r.try_get("last_error")?,
        correlation_id: r.try_get("correlation_id")?,
        created_at: from_ts(r.try_get("created_at")?)?,
        updated_at: from_ts(r.try_get("updated_at")?)?,
    })
}

/// How `retry_dead` leaves the dead state: pending again from now, with
/// its attempts reset. `?1` is now, `?2` the job.
const RETRY_DEAD: &str = "UPDATE jobs SET state = 'pending', attempts = 0, run_at = ?1, updated_at = ?1 WHERE id = ?2 AND state = 'dead'";
/// How `discard_dead` leaves it.
const DISCARD_DEAD: &str =
    "UPDATE jobs SET state = 'discarded', updated_at = ?1 WHERE id = ?2 AND state = 'dead'";

impl SqliteStore {
    /// Moves a dead job out of the dead state by `update` and appends its
    /// audit entry, in one commit; false when the job is not dead (then
    /// nothing is audited).
    async fn leave_dead(
        &self,
        id: i64,
        update: &'static str,
        audit: NewAuditEntry,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let res = sqlx::query(update)
            .bind(ts(now))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        super::audit::commit_if_one(tx, res.rows_affected(), &audit).await
    }
}

#[async_trait]
impl Jobs for SqliteStore {
    async fn claim_jobs(
        &self,
        owner: &str,
        limit: i64,
        lease_for: chrono::Duration,
        now: DateTime<Utc>,
    ) -> Result<Vec<Job>> {
        let limit = clamp_limit(limit);
        if limit == 0 {
            return Ok(Vec::new());
        }
        let now_us = ts(now);
        let until = ts(now + lease_for);
        // Candidates: runnable, and the oldest unfinished job of their key
        // (so at most one per key). One statement under the write lock.
        let mut tx = self.begin_write().await?;
        let rows = sqlx::query(&format!(
            "UPDATE jobs SET state = 'leased', attempts = attempts + 1, lease_owner = ?, lease_until = ?, updated_at = ? \
             WHERE id IN ( \
                SELECT j.id FROM jobs j \
                WHERE j.run_at <= ? \
                  AND (j.state = 'pending' OR (j.state = 'leased' AND j.lease_until <= ?)) \
                  AND NOT EXISTS ( \
                      SELECT 1 FROM jobs b \
                      WHERE b.queue_key = j.queue_key AND b.id < j.id \
                        AND b.state IN ('pending', 'leased', 'dead')) \
                ORDER BY j.run_at, j.id \
                LIMIT ?) \
             RETURNING {COLUMNS}"
        ))
        .bind(owner)
        .bind(until)
        .bind(now_us)
        .bind(now_us)
        .bind(now_us)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        let mut jobs = rows.iter().map(decode).collect::<Result<Vec<_>>>()?;
        jobs.sort_by_key(|j| (j.run_at, j.id));
        Ok(jobs)
    }

    async fn extend_lease(&self, lease: &Lease, until: DateTime<Utc>) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let res = sqlx::query(
            "UPDATE jobs SET lease_until = ? WHERE id = ? AND state = 'leased' AND lease_owner = ?",
        )
        .bind(ts(until))
        .bind(lease.job_id)
        .bind(&lease.owner)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(res.rows_affected() == 1)
    }

    async fn fail_job(
        &self,
        lease: &Lease,
        error: &str,
        retry_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Option<JobState>> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "UPDATE jobs SET \
                state = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'pending' END, \
                run_at = CASE WHEN attempts >= max_attempts THEN run_at ELSE ? END, \
                last_error = ?, lease_owner = NULL, lease_until = NULL, updated_at = ? \
             WHERE id = ? AND state = 'leased' AND lease_owner = ? \
             RETURNING state",
        )
        .bind(ts(retry_at))
        .bind(error)
        .bind(ts(now))
        .bind(lease.job_id)
        .bind(&lease.owner)
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        match row {
            Some(r) => Ok(Some(parse_job_state(r.try_get("state")?)?)),
            None => Ok(None),
        }
    }

    async fn kill_job(&self, lease: &Lease, error: &str, now: DateTime<Utc>) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let res = sqlx::query(
            "UPDATE jobs SET state = 'dead', last_error = ?, lease_owner = NULL, lease_until = NULL, updated_at = ? \
             WHERE id = ? AND state = 'leased' AND lease_owner = ?",
        )
        .bind(error)
        .bind(ts(now))
        .bind(lease.job_id)
        .bind(&lease.owner)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(res.rows_affected() == 1)
    }

    async fn release_job(&self, lease: &Lease, now: DateTime<Utc>) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let res = sqlx::query(
            "UPDATE jobs SET state = 'pending', attempts = MAX(attempts - 1, 0), lease_owner = NULL, lease_until = NULL, \
             updated_at = ? WHERE id = ? AND state = 'leased' AND lease_owner = ?",
        )
        .bind(ts(now))
        .bind(lease.job_id)
        .bind(&lease.owner)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(res.rows_affected() == 1)
    }

    async fn get_job(&self, id: i64) -> Result<Option<Job>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM jobs WHERE id = ?"))
            .bind(id)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(decode).transpose()
    }

    async fn list_jobs(&self, state: Option<JobState>, limit: i64) -> Result<Vec<Job>> {
        let rows = match state {
            Some(s) => {
                sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM jobs WHERE state = ? ORDER BY id DESC LIMIT ?"
                ))
                .bind(job_state_str(s))
                .bind(clamp_limit(limit))
                .fetch_all(&self.read)
                .await?
            }
            None => {
                sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM jobs ORDER BY id DESC LIMIT ?"
                ))
                .bind(clamp_limit(limit))
                .fetch_all(&self.read)
                .await?
            }
        };
        rows.iter().map(decode).collect()
    }

    async fn retry_dead(&self, id: i64, audit: NewAuditEntry, now: DateTime<Utc>) -> Result<bool> {
        self.leave_dead(id, RETRY_DEAD, audit, now).await
    }

    async fn discard_dead(
        &self,
        id: i64,
        audit: NewAuditEntry,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        self.leave_dead(id, DISCARD_DEAD, audit, now).await
    }

    async fn count_jobs_by_state(&self) -> Result<Vec<(JobState, i64)>> {
        let rows =
            sqlx::query("SELECT state, COUNT(*) AS n FROM jobs GROUP BY state ORDER BY state")
                .fetch_all(&self.read)
                .await?;
        rows.iter()
            .map(|r| -> Result<(JobState, i64)> {
                Ok((parse_job_state(r.try_get("state")?)?, r.try_get("n")?))
            })
            .collect()
    }

    async fn enqueue(&self, job: NewJob) -> Result<Option<i64>> {
        let mut tx = self.begin_write().await?;
        let id = insert_job(&mut tx, &job, Utc::now()).await?;
        tx.commit().await?;
        Ok(id)
    }
}
