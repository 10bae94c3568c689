//! Runs one leased job: executes its command, feeds the result back into the
//! workflow, runs the local follow-up commands inline, and commits the
//! events, the new state, the outbox rows and the next jobs in ONE store
//! transaction that also completes the job.

use std::sync::Arc;

use chrono::Utc;
use o2c_flow::{Command, Event, OrderState};
use o2c_model::Order;
use o2c_store::{Job, Lease, NewException, NewJob, NewOutboxEvent, StepCommit, Store, StoreError};
use serde_json::{Value, json};
use uuid::Uuid;

mod channel_change;

use crate::crash;
use crate::erp::{Erp, ErpCall, ErpCancellation, ErpError, ErpSubmission};
use crate::retry::RetryPolicy;
use crate::workflow::{self, JobPayload};

/// What became of a job.
#[derive(Debug, Clone, PartialEq)]
pub enum JobOutcome {
    Completed,
    /// Failed transiently; will run again (or went to the DLQ when out of attempts).
    Retrying {
        dead: bool,
    },
    /// Permanently failed: in the DLQ.
    DeadLettered,
    /// Someone else holds the job now (lease expired); nothing written.
    LeaseLost,
}

/// Why a step could not complete.
#[derive(Debug, thiserror::Error)]
enum StepError {
    #[error(transparent)]
    Erp(#[from] ErpError),
    #[error("workflow refused the step: {0}")]
    Flow(#[from] o2c_flow::FlowError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("bad job: {0}")]
    BadJob(String),
    #[error("no adapter executes the command `{0}` yet")]
    Unsupported(&'static str),
    /// The order is not ready for this job yet (an earlier step still runs).
    #[error("not yet: {0}")]
    NotYet(String),
}

pub struct Executor {
    pub store: Arc<dyn Store>,
    pub erp: Arc<dyn Erp>,
    pub retry: RetryPolicy,
    pub owner: String,
    /// Business rules run by `ValidateOrder`.
    pub validation: crate::validation::ValidationPolicy,
    /// The Odoo company of each channel's orders.
    pub companies: crate::companies::Companies,
}

/// Everything one step will commit.
#[derive(Default)]
struct Pending {
    journal: Vec<o2c_store::NewJournalEvent>,
    outbox: Vec<NewOutboxEvent>,
    jobs: Vec<NewJob>,
    exceptions: Vec<NewException>,
}

impl Executor {
    pub async fn run(&self, job: Job) -> JobOutcome {
        let lease = Lease {
            job_id: job.id,
            owner: self.owner.clone(),
        };
        match self.execute(&job, &lease).await {
            Ok(()) => JobOutcome::Completed,
            Err(error) => self.handle_failure(&job, &lease, error).await,
        }
    }

    async fn handle_failure(&self, job: &Job, lease: &Lease, error: StepError) -> JobOutcome {
        let now = Utc::now();
        let message = error.to_string();
        let transient = match &error {
            StepError::Erp(ErpError::Transient { .. }) => true,
            StepError::Store(StoreError::VersionConflict { .. }) => true,
            StepError::Store(StoreError::LeaseLost { .. }) => {
                tracing::warn!(job_id = job.id, "lease lost; another worker owns the job");
                return JobOutcome::LeaseLost;
            }
            StepError::Store(e) => e.is_transient(),
            StepError::NotYet(_) => true,
            _ => false,
        };
        let result = if transient {
            let at_least = match &error {
                StepError::Erp(ErpError::Transient { retry_after, .. }) => *retry_after,
                _ => None,
            };
            let delay = self.retry.delay(job.attempts, at_least);
            let retry_at = now + chrono::Duration::from_std(delay).unwrap_or_default();
            tracing::warn!(job_id = job.id, attempts = job.attempts, error = %message, ?delay, "job failed; will retry");
            self.store
                .fail_job(lease, &message, retry_at, now)
                .await
                .map(|state| match state {
                    Some(o2c_store::JobState::Dead) => JobOutcome::Retrying { dead: true },
                    Some(_) => JobOutcome::Retrying { dead: false },
                    None => JobOutcome::LeaseLost,
                })
        } else {
            tracing::error!(job_id = job.id, error = %message, "job failed permanently; dead-lettered");
            self.store.kill_job(lease, &message, now).await.map(|held| {
                if held {
                    JobOutcome::DeadLettered
                } else {
                    JobOutcome::LeaseLost
                }
            })
        };
        match result {
            Ok(outcome) => outcome,
            Err(store_error) => {
                // The lease will expire and the job run again: nothing is lost.
                tracing::error!(job_id = job.id, error = %store_error, "could not record the job failure");
                JobOutcome::Retrying { dead: false }
            }
        }
    }

    async fn execute(&self, job: &Job, lease: &Lease) -> Result<(), StepError> {
        if job.kind == crate::channel_change::KIND {
            return self.channel_change(job, lease).await;
        }
        let payload: JobPayload = serde_json::from_value(job.payload.clone())
            .map_err(|e| StepError::BadJob(format!("payload does not decode: {e}")))?;
        let order_id = payload.order_id;
        let record = self
            .store
            .get_order(order_id)
            .await?
            .ok_or_else(|| StepError::BadJob(format!("order {order_id} does not exist")))?;
        let mut state: OrderState = serde_json::from_value(record.state.clone())
            .map_err(|e| StepError::BadJob(format!("stored state does not decode: {e}")))?;
        let correlation_id = job.correlation_id.clone();
        let call = ErpCall {
            order_id,
            correlation_id: &correlation_id,
            rounding_adjustment: None,
            company: self.companies.for_channel(&record.channel),
        };
        let mut order: Option<Order> = None;
        let mut pending = Pending::default();
        if !is_due(&state, &payload.command) {
            // A repeated or replayed job whose work is already reflected in
            // the state: complete it without side effects.
            tracing::info!(
                status = state.status.as_str(),
                command = payload.command.kind_name(),
                "command no longer due; completing as a no-op"
            );
        }
        let mut queue = if is_due(&state, &payload.command) {
            vec![payload.command]
        } else {
            Vec::new()
        };
        let mut first = true;
        while let Some(command) = queue.pop() {
            let external = is_external(&command);
            if external && !first {
                // External commands run as their own jobs, one side effect per commit.
                let seq = record.version + pending.journal.len() as i64;
                pending.jobs.extend(workflow::jobs_for(
                    order_id,
                    seq,
                    &[command],
                    &correlation_id,
                    Utc::now(),
                ));
                continue;
            }
            first = false;
            let produced = self
                .run_command(
                    &command,
                    &state,
                    call,
                    &mut order,
                    &mut pending,
                    record.version,
                )
                .await?;
            if let Some((event, extra)) = produced {
                let (next, commands) = o2c_flow::step(state, &event)?;
                state = next;
                let journal =
                    workflow::journal_event(&event, extra, &correlation_id, None, Utc::now());
                pending
                    .outbox
                    .push(workflow::outbox_event(order_id, &journal));
                pending.journal.push(journal);
                // Run in the order the workflow gave them.
                queue.extend(commands.into_iter().rev());
            }
        }
        crash::point("before_journal_commit");
        let step = StepCommit {
            order_id,
            expected_version: record.version,
            events: pending.journal,
            new_status: state.status.as_str().to_owned(),
            new_state: workflow::state_json(&state),
            outbox: pending.outbox,
            jobs: pending.jobs,
            exceptions: pending.exceptions,
            closes: Vec::new(),
            audit: Vec::new(),
            completes: Some(lease.clone()),
            now: Utc::now(),
        };
        self.store.commit_step(step).await?;
        Ok(())
    }

    /// Runs one command; returns the event it produced, if any, with extra
    /// facts for the journal.
    async fn run_command(
        &self,
        command: &Command,
        state: &OrderState,
        call: ErpCall<'_>,
        order: &mut Option<Order>,
        pending: &mut Pending,
        version: i64,
    ) -> Result<Option<(Event, Option<Value>)>, StepError> {
        match command {
            Command::MapOrder => {
                let order = self.order(call.order_id, order).await?;
                let mapping = order
                    .mapping
                    .as_ref()
                    .map(|m| format!("{}/v{}", m.name, m.version))
                    .unwrap_or_else(|| "canonical/v1".to_owned());
                Ok(Some((Event::Mapped { mapping }, None)))
            }
            // The schema and the model's own rules were checked at the door;
            // here run the business rules (totals, delivery address) that
            // hold an order with a reason an operator can act on.
            Command::ValidateOrder => {
                let order = self.order(call.order_id, order).await?;
                let checked = crate::validation::check_order(
                    &order,
                    &self.validation,
                    self.erp.as_ref(),
                    self.store.as_ref(),
                    call,
                    Utc::now(),
                )
                .await
                .map_err(|e| match e {
                    crate::validation::CheckError::Erp(e) => StepError::Erp(e),
                    crate::validation::CheckError::Store(e) => StepError::Store(e),
                })?;
                let verdict = checked.verdict;
                if verdict.passed() {
                    let mut extra = json!({});
                    if !checked.facts.is_null() {
                        extra["erp_facts"] = checked.facts;
                    }
                    if let Some(d) = verdict.rounding_adjustment {
                        extra["rounding_adjustment"] = json!(d.to_string());
                    }
                    if let Some(enriched) = checked.enriched {
                        // The order as the ERP will get it (the customer's ERP record named).
                        extra["order"] = json!(enriched);
                    }
                    let extra =
                        Some(extra).filter(|e| e.as_object().is_some_and(|o| !o.is_empty()));
                    Ok(Some((Event::Validated, extra)))
                } else {
                    let findings: Vec<Value> = verdict
                        .findings
                        .iter()
                        .map(|f| json!({ "reason": f.reason.code(), "pointer": f.pointer, "detail": f.detail }))
                        .collect();
                    Ok(Some((
                        Event::HoldPlaced {
                            reasons: verdict.reasons(),
                            detail: verdict.detail(),
                        },
                        Some({
                            let mut data = json!({ "findings": findings });
                            if !checked.facts.is_null() {
                                data["erp_facts"] = checked.facts;
                            }
                            // Kept on a hold too: an override sends the order
                            // on to the customer record it was checked against.
                            if let Some(enriched) = checked.enriched {
                                data["order"] = json!(enriched);
                            }
                            data
                        }),
                    )))
                }
            }
            Command::SubmitToErp => {
                let order = self.order(call.order_id, order).await?;
                let call = ErpCall {
                    rounding_adjustment: self.rounding_adjustment(call.order_id).await?,
                    ..call
                };
                match self.erp.submit_order(call, &order).await? {
                    ErpSubmission::Created {
                        erp_order_id,
                        erp_order_ref,
                    } => {
                        crash::point("after_odoo_create");
                        Ok(Some((
                            Event::SubmittedToErp {
                                erp_order_id,
                                erp_order_name: erp_order_ref,
                            },
                            None,
                        )))
                    }
                    ErpSubmission::Rejected { reasons, detail } => {
                        Ok(Some((Event::HoldPlaced { reasons, detail }, None)))
                    }
                }
            }
            Command::ConfirmErpOrder { erp_order_id } => {
                let name = self.erp.confirm_order(call, *erp_order_id).await?;
                crash::point("after_confirm");
                Ok(Some((
                    Event::ErpConfirmed,
                    Some(json!({ "erp_order_name": name })),
                )))
            }
            Command::OpenException { reasons } => {
                // The hold's event with its findings, as the journal keeps it.
                let detail = pending
                    .journal
                    .last()
                    .map(|j| j.data.clone())
                    .unwrap_or(Value::Null);
                pending.exceptions.push(NewException {
                    id: Uuid::now_v7(),
                    order_id: Some(call.order_id),
                    inbox_id: None,
                    reasons: reasons.iter().map(|r| r.code().to_owned()).collect(),
                    details: json!({ "hold": detail, "status": state.status.as_str(), "version": version }),
                    correlation_id: call.correlation_id.to_owned(),
                    created_at: Utc::now(),
                });
                Ok(None)
            }
            Command::PublishStatus { status } => {
                let journal = o2c_store::NewJournalEvent {
                    event_id: Uuid::now_v7(),
                    event_type: "o2c.order.status.v1".into(),
                    data: json!({ "status": status.as_str(), "erp_order_id": state.erp_order_id }),
                    correlation_id: call.correlation_id.to_owned(),
                    causation_id: None,
                    recorded_at: Utc::now(),
                };
                pending
                    .outbox
                    .push(workflow::outbox_event(call.order_id, &journal));
                Ok(None)
            }
            Command::CancelInErp { erp_order_id } => {
                self.cancel_in_erp(call, *erp_order_id, state, pending)
                    .await?;
                Ok(None)
            }
            other => Err(StepError::Unsupported(other.kind_name())),
        }
    }

    /// The rounding difference the latest validation accepted (none after
    /// an override: the operator accepted the order as it is).
    async fn rounding_adjustment(
        &self,
        order_id: Uuid,
    ) -> Result<Option<rust_decimal::Decimal>, StepError> {
        let journal = self.store.load_journal(order_id).await?;
        let latest = journal
            .iter()
            .rev()
            .find(|e| e.event_type == Event::Validated.type_name());
        Ok(latest
            .and_then(|e| e.data.get("rounding_adjustment"))
            .and_then(Value::as_str)
            .and_then(|d| d.parse().ok()))
    }

    /// Cancels the ERP order. Odoo's refusal (or the order having been
    /// delivered or invoiced meanwhile) is an exception with its words: the
    /// hub order stays cancelled, and someone must unwind the ERP side.
    async fn cancel_in_erp(
        &self,
        call: ErpCall<'_>,
        erp_order_id: i64,
        state: &OrderState,
        pending: &mut Pending,
    ) -> Result<(), StepError> {
        match self.erp.cancel_order(call, erp_order_id).await? {
            ErpCancellation::Cancelled => {
                let journal = o2c_store::NewJournalEvent {
                    event_id: Uuid::now_v7(),
                    event_type: "o2c.order.erp_cancelled.v1".into(),
                    data: json!({ "erp_order_id": erp_order_id, "erp_order_name": state.erp_order_name }),
                    correlation_id: call.correlation_id.to_owned(),
                    causation_id: None,
                    recorded_at: Utc::now(),
                };
                pending
                    .outbox
                    .push(workflow::outbox_event(call.order_id, &journal));
            }
            ErpCancellation::Refused { message } => pending.exceptions.push(NewException {
                id: Uuid::now_v7(),
                order_id: Some(call.order_id),
                inbox_id: None,
                reasons: vec!["erp_cancel_refused".into()],
                details: json!({
                    "detail": message,
                    "erp_order_id": erp_order_id,
                    "erp_order_name": state.erp_order_name,
                    "status": state.status.as_str(),
                }),
                correlation_id: call.correlation_id.to_owned(),
                created_at: Utc::now(),
            }),
        }
        Ok(())
    }

    /// The canonical order, read once per job from the journal's first row.
    async fn order(&self, order_id: Uuid, cached: &mut Option<Order>) -> Result<Order, StepError> {
        if let Some(order) = cached {
            return Ok(order.clone());
        }
        let journal = self.store.load_journal(order_id).await?;
        // The latest canonical order: an operator's amendment replaces the first.
        let latest = journal
            .iter()
            .rev()
            .find_map(|e| e.data.get("order"))
            .ok_or_else(|| {
                StepError::BadJob(format!(
                    "order {order_id} has no canonical order in its journal"
                ))
            })?;
        let order: Order = serde_json::from_value(latest.clone())
            .map_err(|e| StepError::BadJob(format!("the stored order does not decode: {e}")))?;
        *cached = Some(order.clone());
        Ok(order)
    }
}

/// Whether a command still applies to the state (jobs can repeat after a
/// replay; the workflow would refuse the event a stale one produces).
fn is_due(state: &OrderState, command: &Command) -> bool {
    use o2c_flow::OrderStatus as S;
    match command {
        Command::MapOrder => state.status == S::Received,
        Command::ValidateOrder => state.status == S::Mapped,
        Command::SubmitToErp => state.status == S::Validated,
        Command::ConfirmErpOrder { .. } => state.status == S::Submitted,
        Command::CancelInErp { .. } => state.status == S::Cancelled,
        _ => true,
    }
}

/// Commands with side effects outside the hub.
fn is_external(command: &Command) -> bool {
    !matches!(
        command,
        Command::MapOrder
            | Command::ValidateOrder
            | Command::OpenException { .. }
            | Command::PublishStatus { .. }
    )
}
