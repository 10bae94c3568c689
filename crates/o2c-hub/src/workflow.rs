//! Glue between the pure workflow (`o2c-flow`) and the store: runs a step,
//! turns its commands into jobs with deterministic idempotency keys, and its
//! events into journal rows and CloudEvents for the outbox.

use chrono::{DateTime, Utc};
use o2c_flow::{Command, Event, FlowError, OrderState};
use o2c_model::CloudEvent;
use o2c_store::{NewJob, NewJournalEvent, NewOutboxEvent};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

/// Attempts before a job goes to the dead-letter queue.
pub const DEFAULT_MAX_ATTEMPTS: i32 = 8;

/// The CloudEvents `source` of everything the hub publishes.
pub const EVENT_SOURCE: &str = "/o2c/hub";

/// A job's payload: the command and the order it is for.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JobPayload {
    pub order_id: Uuid,
    pub command: Command,
}

/// The outcome of applying one event.
pub struct FlowStep {
    pub state: OrderState,
    pub commands: Vec<Command>,
}

impl FlowStep {
    /// The order's first step, from the empty state.
    pub fn first(order_id: Uuid, event: &Event) -> Result<Self, FlowError> {
        let (state, commands) = o2c_flow::step(o2c_flow::initial(order_id), event)?;
        Ok(Self { state, commands })
    }

    pub fn state_json(&self) -> Value {
        state_json(&self.state)
    }
}

pub fn state_json(state: &OrderState) -> Value {
    serde_json::to_value(state).unwrap_or(Value::Null)
}

/// Jobs for the commands an event (at journal `seq`) produced. The key is
/// deterministic, so re-running the same step never enqueues twice.
pub fn jobs_for(
    order_id: Uuid,
    seq: i64,
    commands: &[Command],
    correlation_id: &str,
    now: DateTime<Utc>,
) -> Vec<NewJob> {
    commands
        .iter()
        .map(|command| NewJob {
            queue_key: order_id.to_string(),
            kind: command.kind_name().to_owned(),
            payload: json!(JobPayload {
                order_id,
                command: command.clone()
            }),
            idempotency_key: format!("{order_id}:{seq}:{}", command.idempotency_suffix()),
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            run_at: now,
            correlation_id: correlation_id.to_owned(),
        })
        .collect()
}

/// A journal row for an event, with optional extra facts (e.g. the Odoo
/// order name) kept beside the event.
pub fn journal_event(
    event: &Event,
    extra: Option<Value>,
    correlation_id: &str,
    causation_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> NewJournalEvent {
    let mut data = json!({ "event": event });
    if let (Some(Value::Object(extra)), Value::Object(map)) = (extra, &mut data) {
        map.extend(extra);
    }
    NewJournalEvent {
        event_id: Uuid::now_v7(),
        event_type: event.type_name().to_owned(),
        data,
        correlation_id: correlation_id.to_owned(),
        causation_id,
        recorded_at: now,
    }
}

/// The CloudEvent published for a journal row.
pub fn outbox_event(order_id: Uuid, journal: &NewJournalEvent) -> NewOutboxEvent {
    let envelope = CloudEvent::new(
        journal.event_type.clone(),
        EVENT_SOURCE.to_owned(),
        order_id.to_string(),
        journal.data.clone(),
        journal.correlation_id.clone(),
        journal.causation_id.map(|id| id.to_string()),
        journal.event_id,
        journal.recorded_at,
    );
    NewOutboxEvent {
        event_id: journal.event_id,
        topic: journal.event_type.clone(),
        envelope: serde_json::to_value(&envelope).unwrap_or(Value::Null),
        created_at: journal.recorded_at,
    }
}

/// Reads the workflow event back out of a journal row's data.
pub fn event_of(data: &Value) -> Result<Event, serde_json::Error> {
    Event::deserialize(data.get("event").unwrap_or(&Value::Null))
}
