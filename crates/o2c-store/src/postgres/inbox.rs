use std::collections::HashMap;

use async_trait::async_trait;
use serde_json::Value;
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use sqlx::{PgConnection, Row};
use uuid::Uuid;

use super::{PostgresStore, i32_status};
use crate::codec::clamp_limit;
use crate::ports::{
    AcceptOutcome, Acceptance, Inbox, InboxRecord, NewAuditEntry, NewJob, RejectedMessage, Result,
};

const COLUMNS: &str = "id, idempotency_key, channel, content_type, payload, status, truncated, problem, order_id, \
     correlation_id, received_at";

/// The answer first given for an idempotency key.
#[derive(Clone)]
struct FirstAnswer {
    inbox_id: Uuid,
    status: u16,
    body: Value,
}

impl FirstAnswer {
    fn duplicate(&self) -> AcceptOutcome {
        AcceptOutcome::Duplicate {
            inbox_id: self.inbox_id,
            response_status: self.status,
            response_body: self.body.clone(),
        }
    }
}

fn answer_from_row(r: &PgRow) -> Result<FirstAnswer> {
    Ok(FirstAnswer {
        inbox_id: r.try_get("id")?,
        status: i32_status(r.try_get("response_status")?)?,
        body: r
            .try_get::<Option<Json<Value>>, _>("response_body")?
            .map(|j| j.0)
            .unwrap_or(Value::Null),
    })
}

/// One acceptance inside the batch transaction. On conflict with another
/// transaction inserting the same key, `ON CONFLICT` waits for it and then
/// sees its row.
async fn accept_one(
    conn: &mut PgConnection,
    a: &Acceptance,
) -> Result<std::result::Result<(), FirstAnswer>> {
    let m = &a.inbox;
    let o = &a.order;
    let inserted = sqlx::query(
        "INSERT INTO inbox (id, idempotency_key, channel, content_type, payload, status, truncated, problem, \
         response_status, response_body, order_id, correlation_id, received_at) \
         VALUES ($1, $2, $3, $4, $5, 'accepted', false, NULL, $6, $7, $8, $9, $10) \
         ON CONFLICT (idempotency_key) DO NOTHING",
    )
    .bind(m.id)
    .bind(&m.idempotency_key)
    .bind(&m.channel)
    .bind(&m.content_type)
    .bind(&m.payload)
    .bind(i32::from(m.response_status))
    .bind(Json(&m.response_body))
    .bind(o.order_id)
    .bind(&m.correlation_id)
    .bind(m.received_at)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if inserted == 0 {
        let row = sqlx::query(
            "SELECT id, response_status, response_body FROM inbox WHERE idempotency_key = $1",
        )
        .bind(&m.idempotency_key)
        .fetch_optional(&mut *conn)
        .await?;
        return match row {
            Some(r) => Ok(Err(answer_from_row(&r)?)),
            None => Err(crate::StoreError::NotFound),
        };
    }

    let created = sqlx::query(
        "INSERT INTO orders (order_id, channel, channel_order_id, status, version, state, correlation_id, inbox_id, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, 1, $5, $6, $7, $8, $8) \
         ON CONFLICT (channel, channel_order_id) DO NOTHING",
    )
    .bind(o.order_id)
    .bind(&o.channel)
    .bind(&o.channel_order_id)
    .bind(&o.status)
    .bind(Json(&o.state))
    .bind(&o.correlation_id)
    .bind(m.id)
    .bind(o.created_at)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if created == 0 {
        return resubmission(conn, a).await.map(Err);
    }

    let e = &o.first_event;
    sqlx::query(
        "INSERT INTO journal (order_id, seq, event_id, event_type, data, correlation_id, causation_id, recorded_at) \
         VALUES ($1, 1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(o.order_id)
    .bind(e.event_id)
    .bind(&e.event_type)
    .bind(Json(&e.data))
    .bind(&e.correlation_id)
    .bind(e.causation_id)
    .bind(e.recorded_at)
    .execute(&mut *conn)
    .await?;
    Ok(Ok(()))
}

/// The same channel order under another idempotency key: keep the message
/// (pointing at the existing order) and answer as the original did.
async fn resubmission(conn: &mut PgConnection, a: &Acceptance) -> Result<FirstAnswer> {
    let row = sqlx::query(
        "SELECT o.order_id AS order_id, i.id AS id, i.response_status AS response_status, \
                i.response_body AS response_body \
         FROM orders o LEFT JOIN inbox i ON i.id = o.inbox_id \
         WHERE o.channel = $1 AND o.channel_order_id = $2",
    )
    .bind(&a.order.channel)
    .bind(&a.order.channel_order_id)
    .fetch_one(&mut *conn)
    .await?;
    let existing_order: Uuid = row.try_get("order_id")?;
    let first = match row.try_get::<Option<Uuid>, _>("id")? {
        Some(_) => answer_from_row(&row)?,
        None => FirstAnswer {
            inbox_id: a.inbox.id,
            status: a.inbox.response_status,
            body: a.inbox.response_body.clone(),
        },
    };
    sqlx::query(
        "UPDATE inbox SET order_id = $1, response_status = $2, response_body = $3 WHERE id = $4",
    )
    .bind(existing_order)
    .bind(i32::from(first.status))
    .bind(Json(&first.body))
    .bind(a.inbox.id)
    .execute(&mut *conn)
    .await?;
    Ok(first)
}

fn decode(r: &PgRow) -> Result<InboxRecord> {
    Ok(InboxRecord {
        id: r.try_get("id")?,
        idempotency_key: r.try_get("idempotency_key")?,
        channel: r.try_get("channel")?,
        content_type: r.try_get("content_type")?,
        payload: r.try_get("payload")?,
        status: r.try_get("status")?,
        truncated: r.try_get("truncated")?,
        problem: r.try_get::<Option<Json<Value>>, _>("problem")?.map(|j| j.0),
        order_id: r.try_get("order_id")?,
        correlation_id: r.try_get("correlation_id")?,
        received_at: r.try_get("received_at")?,
    })
}

#[async_trait]
impl Inbox for PostgresStore {
    async fn accept_batch(&self, batch: Vec<Acceptance>) -> Result<Vec<AcceptOutcome>> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.pool.begin().await?;
        let mut outcomes = Vec::with_capacity(batch.len());
        let mut answers: HashMap<&str, FirstAnswer> = HashMap::with_capacity(batch.len());
        let mut audit: Vec<NewAuditEntry> = Vec::with_capacity(batch.len());
        let mut jobs: Vec<(&NewJob, chrono::DateTime<chrono::Utc>)> = Vec::new();
        for a in &batch {
            let key = a.inbox.idempotency_key.as_str();
            if let Some(first) = answers.get(key) {
                outcomes.push(first.duplicate());
                continue;
            }
            match accept_one(&mut tx, a).await? {
                Ok(()) => {
                    answers.insert(
                        key,
                        FirstAnswer {
                            inbox_id: a.inbox.id,
                            status: a.inbox.response_status,
                            body: a.inbox.response_body.clone(),
                        },
                    );
                    jobs.extend(a.order.first_jobs.iter().map(|j| (j, a.order.created_at)));
                    audit.push(a.audit.clone());
                    outcomes.push(AcceptOutcome::Accepted {
                        inbox_id: a.inbox.id,
                        order_id: a.order.order_id,
                    });
                }
                Err(first) => {
                    outcomes.push(first.duplicate());
                    answers.insert(key, first);
                }
            }
        }
        // Jobs grouped by creation time (one per batch in practice).
        let mut start = 0;
        while start < jobs.len() {
            let created = jobs[start].1;
            let end = jobs[start..]
                .iter()
                .position(|(_, c)| *c != created)
                .map_or(jobs.len(), |p| start + p);
            let group: Vec<&NewJob> = jobs[start..end].iter().map(|(j, _)| *j).collect();
            super::jobs::insert_jobs(&mut tx, &group, created).await?;
            start = end;
        }
        super::audit::append_in_tx(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(outcomes)
    }

    async fn record_rejection(&self, m: RejectedMessage) -> Result<()> {
        sqlx::query(
            "INSERT INTO inbox (id, idempotency_key, channel, content_type, payload, status, truncated, problem, \
             response_status, response_body, order_id, correlation_id, received_at) \
             VALUES ($1, NULL, $2, $3, $4, 'rejected', $5, $6, NULL, NULL, NULL, $7, $8)",
        )
        .bind(m.id)
        .bind(&m.channel)
        .bind(&m.content_type)
        .bind(&m.payload)
        .bind(m.truncated)
        .bind(Json(&m.problem))
        .bind(&m.correlation_id)
        .bind(m.received_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn get_inbox(&self, id: Uuid) -> Result<Option<InboxRecord>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM inbox WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(decode).transpose()
    }

    async fn list_inbox(&self, status: Option<&str>, limit: i64) -> Result<Vec<InboxRecord>> {
        let rows = match status {
            Some(s) => {
                sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM inbox WHERE status = $1 ORDER BY received_at DESC, id DESC LIMIT $2"
                ))
                .bind(s)
                .bind(clamp_limit(limit))
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query(&format!("SELECT {COLUMNS} FROM inbox ORDER BY received_at DESC, id DESC LIMIT $1"))
                    .bind(clamp_limit(limit))
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        rows.iter().map(decode).collect()
    }

    async fn inbox_for_order(&self, order_id: Uuid) -> Result<Vec<InboxRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM inbox WHERE order_id = $1 ORDER BY received_at, id"
        ))
        .bind(order_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(decode).collect()
    }
}
