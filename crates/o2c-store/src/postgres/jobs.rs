use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use sqlx::{PgConnection, Row};

use super::{LOCK_JOB_KEY, PostgresStore};
use crate::codec::{clamp_limit, job_state_str, parse_job_state};
use crate::ports::{Job, JobState, Jobs, Lease, NewAuditEntry, NewJob, Result};

pub(super) const COLUMNS: &str = "id, queue_key, kind, payload, idempotency_key, state, attempts, max_attempts, run_at, \
     lease_owner, lease_until, last_error, correlation_id, created_at, updated_at";

/// Inserts jobs (skipping existing idempotency keys) under per-key advisory
/// locks taken in a fixed order, so that ids of one key commit in id order.
/// Returns the new ids (None for duplicates), in input order.
pub(super) async fn insert_jobs(
    conn: &mut PgConnection,
    jobs: &[&NewJob],
    now: DateTime<Utc>,
) -> Result<Vec<Option<i64>>> {
    if jobs.is_empty() {
        return Ok(Vec::new());
    }
    let mut keys: Vec<&str> = jobs.iter().map(|j| j.queue_key.as_str()).collect();
    keys.sort_unstable();
    keys.dedup();
    sqlx::query(
        "SELECT pg_advisory_xact_lock($1, h) FROM \
         (SELECT DISTINCT hashtext(k) AS h FROM unnest($2::text[]) AS t(k) ORDER BY h) AS s",
    )
    .bind(LOCK_JOB_KEY)
    .bind(&keys)
    .execute(&mut *conn)
    .await?;
    let mut ids = Vec::with_capacity(jobs.len());
    for job in jobs {
        let row = sqlx::query(
            "INSERT INTO jobs (queue_key, kind, payload, idempotency_key, state, attempts, max_attempts, run_at, \
             correlation_id, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, 'pending', 0, $5, $6, $7, $8, $8) \
             ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
        )
        .bind(&job.queue_key)
        .bind(&job.kind)
        .bind(Json(&job.payload))
        .bind(&job.idempotency_key)
        .bind(job.max_attempts)
        .bind(job.run_at)
        .bind(&job.correlation_id)
        .bind(now)
        .fetch_optional(&mut *conn)
        .await?;
        ids.push(match row {
            Some(r) => Some(r.try_get("id")?),
            None => None,
        });
    }
    Ok(ids)
}

/// Marks a leased job done if `lease` still holds it.
pub(super) async fn complete_in_tx(
    conn: &mut PgConnection,
    lease: &Lease,
    now: DateTime<Utc>,
) -> Result<bool> {
    let res = sqlx::query(
        "UPDATE jobs SET state = 'done', lease_owner = NULL, lease_until = NULL, updated_at = $1 \
         WHERE id = $2 AND state = 'leased' AND lease_owner = $3",
    )
    .bind(now)
    .bind(lease.job_id)
    .bind(&lease.owner)
    .execute(&mut *conn)
    .await?;
    Ok(res.rows_affected() == 1)
}

pub(super) fn decode(r: &PgRow) -> Result<Job> {
    Ok(Job {
        id: r.try_get("id")?,
        queue_key: r.try_get("queue_key")?,
        kind: r.try_get("kind")?,
        payload: r.try_get::<Json<serde_json::Value>, _>("payload")?.0,
        idempotency_key: r.try_get("idempotency_key")?,
        state: parse_job_state(r.try_get("state")?)?,
        attempts: r.try_get("attempts")?,
        max_attempts: r.try_get("max_attempts")?,
        run_at: r.try_get("run_at")?,
        lease_owner: r.try_get("lease_owner")?,
        lease_until: r.try_get("lease_until")?,
        last_error: r.try_get("last_error")?,
        correlation_id: r.try_get("correlation_id")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// How `retry_dead` leaves the dead state: pending again from now, with
/// its attempts reset. `$1` is now, `$2` the job.
const RETRY_DEAD: &str = "UPDATE jobs SET state = 'pending', attempts = 0, run_at = $1, updated_at = $1 WHERE id = $2 AND state = 'dead'";
/// How `discard_dead` leaves it.
const DISCARD_DEAD: &str =
    "UPDATE jobs SET state = 'discarded', updated_at = $1 WHERE id = $2 AND state = 'dead'";

impl PostgresStore {
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
        let mut tx = self.pool.begin().await?;
        let res = sqlx::query(update)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        super::audit::commit_if_one(tx, res.rows_affected(), &audit).await
    }
}

#[async_trait]
impl Jobs for PostgresStore {
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
        // Candidates are the oldest unfinished job of their key (so at most
        // one per key); rows another claimer is locking are skipped, and a
        // row changed since our snapshot is re-checked after locking.
        let rows = sqlx::query(&format!(
            "WITH picked AS ( \
                SELECT j.id FROM jobs j \
                WHERE j.run_at <= $3 \
                  AND (j.state = 'pending' OR (j.state = 'leased' AND j.lease_until <= $3)) \
                  AND NOT EXISTS ( \
                      SELECT 1 FROM jobs b \
                      WHERE b.queue_key = j.queue_key AND b.id < j.id \
                        AND b.state IN ('pending', 'leased', 'dead')) \
                ORDER BY j.run_at, j.id \
                LIMIT $4 \
                FOR UPDATE OF j SKIP LOCKED) \
             UPDATE jobs SET state = 'leased', attempts = jobs.attempts + 1, lease_owner = $1, lease_until = $2, \
                updated_at = $3 \
             FROM picked WHERE jobs.id = picked.id \
             RETURNING {}",
            COLUMNS
                .split(", ")
                .map(|c| format!("jobs.{}", c.trim()))
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .bind(owner)
        .bind(now + lease_for)
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut jobs = rows.iter().map(decode).collect::<Result<Vec<_>>>()?;
        jobs.sort_by_key(|j| (j.run_at, j.id));
        Ok(jobs)
    }

    async fn extend_lease(&self, lease: &Lease, until: DateTime<Utc>) -> Result<bool> {
        let res = sqlx::query("UPDATE jobs SET lease_until = $1 WHERE id = $2 AND state = 'leased' AND lease_owner = $3")
            .bind(until)
            .bind(lease.job_id)
            .bind(&lease.owner)
            .execute(&self.pool)
            .await?;
        Ok(res.rows_affected() == 1)
    }

    async fn fail_job(
        &self,
        lease: &Lease,
        error: &str,
        retry_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Option<JobState>> {
        let row = sqlx::query(
            "UPDATE jobs SET \
                state = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'pending' END, \
                run_at = CASE WHEN attempts >= max_attempts THEN run_at ELSE $1 END, \
                last_error = $2, lease_owner = NULL, lease_until = NULL, updated_at = $3 \
             WHERE id = $4 AND state = 'leased' AND lease_owner = $5 \
             RETURNING state",
        )
        .bind(retry_at)
        .bind(error)
        .bind(now)
        .bind(lease.job_id)
        .bind(&lease.owner)
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(r) => Ok(Some(parse_job_state(r.try_get("state")?)?)),
            None => Ok(None),
        }
    }

    async fn kill_job(&self, lease: &Lease, error: &str, now: DateTime<Utc>) -> Result<bool> {
        let res = sqlx::query(
            "UPDATE jobs SET state = 'dead', last_error = $1, lease_owner = NULL, lease_until = NULL, updated_at = $2 \
             WHERE id = $3 AND state = 'leased' AND lease_owner = $4",
        )
        .bind(error)
        .bind(now)
        .bind(lease.job_id)
        .bind(&lease.owner)
        .execute(&self.pool)
        .await?;
        Ok(res.rows_affected() == 1)
    }

    async fn release_job(&self, lease: &Lease, now: DateTime<Utc>) -> Result<bool> {
        let res = sqlx::query(
            "UPDATE jobs SET state = 'pending', attempts = GREATEST(attempts - 1, 0), lease_owner = NULL, \
             lease_until = NULL, updated_at = $1 WHERE id = $2 AND state = 'leased' AND lease_owner = $3",
        )
        .bind(now)
        .bind(lease.job_id)
        .bind(&lease.owner)
        .execute(&self.pool)
        .await?;
        Ok(res.rows_affected() == 1)
    }

    async fn get_job(&self, id: i64) -> Result<Option<Job>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM jobs WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(decode).transpose()
    }

    async fn list_jobs(&self, state: Option<JobState>, limit: i64) -> Result<Vec<Job>> {
        let rows = match state {
            Some(s) => {
                sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM jobs WHERE state = $1 ORDER BY id DESC LIMIT $2"
                ))
                .bind(job_state_str(s))
                .bind(clamp_limit(limit))
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM jobs ORDER BY id DESC LIMIT $1"
                ))
                .bind(clamp_limit(limit))
                .fetch_all(&self.pool)
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
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| -> Result<(JobState, i64)> {
                Ok((parse_job_state(r.try_get("state")?)?, r.try_get("n")?))
            })
            .collect()
    }

    async fn enqueue(&self, job: NewJob) -> Result<Option<i64>> {
        let mut tx = self.pool.begin().await?;
        let ids = insert_jobs(&mut tx, &[&job], Utc::now()).await?;
        tx.commit().await?;
        Ok(ids.into_iter().next().flatten())
    }
}
