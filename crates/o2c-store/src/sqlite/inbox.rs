use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};
use uuid::Uuid;

use super::{
    SqliteStore, from_ts, json_text, parse_opt_json, parse_opt_uuid, parse_uuid, ts, uuid_text,
};
use crate::codec::{clamp_limit, status_u16};
use crate::ports::{
    AcceptOutcome, Acceptance, Inbox, InboxRecord, NewAuditEntry, NewJob, NewJournalEvent,
    RejectedMessage, Result,
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

async fn stored_answer(conn: &mut SqliteConnection, key: &str) -> Result<Option<FirstAnswer>> {
    let row = sqlx::query(
        "SELECT id, response_status, response_body FROM inbox WHERE idempotency_key = ?",
    )
    .bind(key)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(answer_from_row).transpose()
}

fn answer_from_row(r: &SqliteRow) -> Result<FirstAnswer> {
    Ok(FirstAnswer {
        inbox_id: parse_uuid(r.try_get("id")?)?,
        status: status_u16(
            r.try_get::<Option<i64>, _>("response_status")?
                .unwrap_or(200),
        )?,
        body: parse_opt_json(r.try_get("response_body")?)?.unwrap_or(Value::Null),
    })
}

/// One acceptance inside the batch transaction.
async fn accept_one(
    conn: &mut SqliteConnection,
    a: &Acceptance,
) -> Result<std::result::Result<(), FirstAnswer>> {
    let m = &a.inbox;
    let o = &a.order;
    let inserted = sqlx::query(
        "INSERT INTO inbox (id, idempotency_key, channel, content_type, payload, status, truncated, problem, \
         response_status, response_body, order_id, correlation_id, received_at) \
         VALUES (?, ?, ?, ?, ?, 'accepted', 0, NULL, ?, ?, ?, ?, ?) \
         ON CONFLICT (idempotency_key) DO NOTHING",
    )
    .bind(uuid_text(m.id))
    .bind(&m.idempotency_key)
    .bind(&m.channel)
    .bind(&m.content_type)
    .bind(&m.payload)
    .bind(i64::from(m.response_status))
    .bind(json_text(&m.response_body)?)
    .bind(uuid_text(o.order_id))
    .bind(&m.correlation_id)
    .bind(ts(m.received_at))
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if inserted == 0 {
        return match stored_answer(conn, &m.idempotency_key).await? {
            Some(first) => Ok(Err(first)),
            // Only an accepted row with that key can conflict.
            None => Err(crate::StoreError::NotFound),
        };
    }

    let created = sqlx::query(
        "INSERT INTO orders (order_id, channel, channel_order_id, status, version, state, correlation_id, inbox_id, \
         created_at, updated_at) VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?, ?) \
         ON CONFLICT (channel, channel_order_id) DO NOTHING",
    )
    .bind(uuid_text(o.order_id))
    .bind(&o.channel)
    .bind(&o.channel_order_id)
    .bind(&o.status)
    .bind(json_text(&o.state)?)
    .bind(&o.correlation_id)
    .bind(uuid_text(m.id))
    .bind(ts(o.created_at))
    .bind(ts(o.created_at))
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if created == 0 {
        // The same channel order under another idempotency key: keep the
        // message (pointing at the existing order) and answer as the
        // original did.
        return resubmission(conn, a).await.map(Err);
    }

    Ok(Ok(()))
}

async fn resubmission(conn: &mut SqliteConnection, a: &Acceptance) -> Result<FirstAnswer> {
    let row = sqlx::query(
        "SELECT o.order_id AS order_id, i.id AS id, i.response_status AS response_status, \
                i.response_body AS response_body \
         FROM orders o LEFT JOIN inbox i ON i.id = o.inbox_id \
         WHERE o.channel = ? AND o.channel_order_id = ?",
    )
    .bind(&a.order.channel)
    .bind(&a.order.channel_order_id)
    .fetch_one(&mut *conn)
    .await?;
    let existing_order: String = row.try_get("order_id")?;
    let first = match row.try_get::<Option<String>, _>("id")? {
        Some(_) => answer_from_row(&row)?,
        None => FirstAnswer {
            inbox_id: a.inbox.id,
            status: a.inbox.response_status,
            body: a.inbox.response_body.clone(),
        },
    };
    sqlx::query(
        "UPDATE inbox SET order_id = ?, response_status = ?, response_body = ? WHERE id = ?",
    )
    .bind(existing_order)
    .bind(i64::from(first.status))
    .bind(json_text(&first.body)?)
    .bind(uuid_text(a.inbox.id))
    .execute(&mut *conn)
    .await?;
    Ok(first)
}

fn decode(r: &SqliteRow) -> Result<InboxRecord> {
    Ok(InboxRecord {
        id: parse_uuid(r.try_get("id")?)?,
        idempotency_key: r.try_get("idempotency_key")?,
        channel: r.try_get("channel")?,
        content_type: r.try_get("content_type")?,
        payload: r.try_get("payload")?,
        status: r.try_get("status")?,
        truncated: r.try_get("truncated")?,
        problem: parse_opt_json(r.try_get("problem")?)?,
        order_id: parse_opt_uuid(r.try_get("order_id")?)?,
        correlation_id: r.try_get("correlation_id")?,
        received_at: from_ts(r.try_get("received_at")?)?,
    })
}

#[async_trait]
impl Inbox for SqliteStore {
    async fn accept_batch(&self, batch: Vec<Acceptance>) -> Result<Vec<AcceptOutcome>> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.begin_write().await?;
        let mut outcomes = Vec::with_capacity(batch.len());
        let mut answers: HashMap<&str, FirstAnswer> = HashMap::with_capacity(batch.len());
        let mut audit: Vec<NewAuditEntry> = Vec::with_capacity(batch.len());
        let mut events: Vec<(Uuid, i64, &NewJournalEvent)> = Vec::with_capacity(batch.len());
        let mut jobs: Vec<(&NewJob, DateTime<Utc>)> = Vec::with_capacity(batch.len());
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
                    events.push((a.order.order_id, 1, &a.order.first_event));
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
        // The rest of the batch in a few multi-row statements.
        super::journal::insert_many(&mut tx, &events).await?;
        let mut start = 0;
        while start < jobs.len() {
            let created = jobs[start].1;
            let end = jobs[start..]
                .iter()
                .position(|(_, c)| *c != created)
                .map_or(jobs.len(), |p| start + p);
            let group: Vec<&NewJob> = jobs[start..end].iter().map(|(j, _)| *j).collect();
            super::jobs::insert_many(&mut tx, &group, created).await?;
            start = end;
        }
        super::audit::append_in_tx(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(outcomes)
    }

    async fn record_rejection(&self, m: RejectedMessage) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO inbox (id, idempotency_key, channel, content_type, payload, status, truncated, problem, \
             response_status, response_body, order_id, correlation_id, received_at) \
             VALUES (?, NULL, ?, ?, ?, 'rejected', ?, ?, NULL, NULL, NULL, ?, ?)",
        )
        .bind(uuid_text(m.id))
        .bind(&m.channel)
        .bind(&m.content_type)
        .bind(&m.payload)
        .bind(m.truncated)
        .bind(json_text(&m.problem)?)
        .bind(&m.correlation_id)
        .bind(ts(m.received_at))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn get_inbox(&self, id: Uuid) -> Result<Option<InboxRecord>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM inbox WHERE id = ?"))
            .bind(uuid_text(id))
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(decode).transpose()
    }

    async fn list_inbox(&self, status: Option<&str>, limit: i64) -> Result<Vec<InboxRecord>> {
        let rows = match status {
            Some(s) => {
                sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM inbox WHERE status = ? ORDER BY received_at DESC, id DESC LIMIT ?"
                ))
                .bind(s)
                .bind(clamp_limit(limit))
                .fetch_all(&self.read)
                .await?
            }
            None => {
                sqlx::query(&format!("SELECT {COLUMNS} FROM inbox ORDER BY received_at DESC, id DESC LIMIT ?"))
                    .bind(clamp_limit(limit))
                    .fetch_all(&self.read)
                    .await?
            }
        };
        rows.iter().map(decode).collect()
    }

    async fn inbox_for_order(&self, order_id: Uuid) -> Result<Vec<InboxRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM inbox WHERE order_id = ? ORDER BY received_at, id"
        ))
        .bind(uuid_text(order_id))
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(decode).collect()
    }
}
