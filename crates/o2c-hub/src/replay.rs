//! Replay: rebuild an order's state from its journal (the journal is the
//! truth; the projection is a cache of it), repair a projection that
//! drifted, and restart a stuck order by re-deriving the commands its last
//! event implies. Safe because every side effect is idempotent.

use chrono::Utc;
use o2c_flow::OrderState;
use o2c_store::{Store, StoreError};
use uuid::Uuid;

use crate::workflow;

#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("order {0} not found")]
    NotFound(Uuid),
    #[error("journal row {seq} does not decode: {message}")]
    BadEvent { seq: i64, message: String },
    #[error("the journal does not replay: {0}")]
    Flow(#[from] o2c_flow::FlowError),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReplayReport {
    pub order_id: Uuid,
    pub events: usize,
    pub status: String,
    /// The projection differed from the journal and was rewritten.
    pub repaired: bool,
    /// Jobs enqueued to resume the order.
    pub resumed_jobs: usize,
}

/// Rebuilds the state from the journal alone.
pub async fn rebuild(
    store: &dyn Store,
    order_id: Uuid,
) -> Result<(OrderState, usize), ReplayError> {
    let journal = store.load_journal(order_id).await?;
    if journal.is_empty() {
        return Err(ReplayError::NotFound(order_id));
    }
    let mut events = Vec::with_capacity(journal.len());
    for entry in &journal {
        let event = workflow::event_of(&entry.data).map_err(|e| ReplayError::BadEvent {
            seq: entry.seq,
            message: e.to_string(),
        })?;
        events.push(event);
    }
    let state = o2c_flow::replay(order_id, events.iter())?;
    Ok((state, events.len()))
}

/// Rebuilds, repairs the projection if needed, and with `resume` enqueues
/// the commands that the last event implies (with a fresh key, since the
/// originals may have been discarded from the DLQ).
pub async fn replay_order(
    store: &dyn Store,
    order_id: Uuid,
    resume: bool,
) -> Result<ReplayReport, ReplayError> {
    let (state, events) = rebuild(store, order_id).await?;
    let record = store
        .get_order(order_id)
        .await?
        .ok_or(ReplayError::NotFound(order_id))?;
    let rebuilt = workflow::state_json(&state);
    let repaired = record.state != rebuilt || record.version != events as i64;
    if repaired {
        store
            .rewrite_projection(order_id, state.status.as_str(), events as i64, rebuilt)
            .await?;
    }
    let mut resumed_jobs = 0;
    if resume {
        let journal = store.load_journal(order_id).await?;
        if let Some(last) = journal.last() {
            let before = journal[..journal.len() - 1]
                .iter()
                .filter_map(|e| workflow::event_of(&e.data).ok())
                .collect::<Vec<_>>();
            let prior = o2c_flow::replay(order_id, before.iter())?;
            let last_event = workflow::event_of(&last.data).map_err(|e| ReplayError::BadEvent {
                seq: last.seq,
                message: e.to_string(),
            })?;
            let commands = o2c_flow::decide(&prior, &last_event)?;
            let now = Utc::now();
            let replay_tag = format!("replay-{}", now.timestamp_micros());
            for mut job in
                workflow::jobs_for(order_id, last.seq, &commands, &last.correlation_id, now)
            {
                job.idempotency_key = format!("{}:{replay_tag}", job.idempotency_key);
                if store.enqueue(job).await?.is_some() {
                    resumed_jobs += 1;
                }
            }
        }
    }
    Ok(ReplayReport {
        order_id,
        events,
        status: state.status.as_str().to_owned(),
        repaired,
        resumed_jobs,
    })
}
