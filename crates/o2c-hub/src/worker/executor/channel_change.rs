//! Runs a channel change job (see `crate::channel_change`) against the
//! order, in one store step like every other job.
//!
//! - An update before the order reaches the ERP is an amendment (validated
//!   again, open exceptions of the old content closed); after, the new
//!   content is validated with the same rules (a failure is an exception,
//!   nothing written) and the ERP order revised while nothing has shipped or
//!   been invoiced, else an exception carries the difference. An update older than the last one
//!   applied (the channel's version: Shopify's `updated_at`, Amazon's
//!   `LastUpdateDate`, Salesforce's `SystemModstamp`) changes nothing.
//! - A cancellation cancels the hub order; the workflow then asks the ERP to
//!   cancel its order (`CancelInErp`). What has shipped or been invoiced
//!   cannot be cancelled: an exception says so.
//! - A refund is journaled (and so published) once per refund id; after an
//!   invoice it opens an exception for finance.

use chrono::{DateTime, Utc};
use o2c_flow::{Command, Event, FlowError, LineSpec, OrderState};
use o2c_model::Order;
use o2c_store::{
    ExceptionClosure, Job, JournalEntry, Lease, NewAuditEntry, NewException, StepCommit,
};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{Executor, StepError};
use crate::channel_change::{ChannelChange, ChannelChangeJob, RefundRecord, diff};
use crate::erp::{ErpCall, ErpRevision, OrderRevision};
use crate::workflow;

/// What a change leads to before it is committed.
#[derive(Default)]
struct Outcome {
    /// The workflow event with the facts kept beside it in the journal.
    event: Option<(Event, Value)>,
    /// Exceptions to open: reason codes and details.
    exceptions: Vec<(Vec<String>, Value)>,
    /// Open exceptions the change makes moot.
    closes: Vec<ExceptionClosure>,
    /// What the audit log says was done (None: nothing was).
    audit: Option<Value>,
}

impl Executor {
    pub(super) async fn channel_change(&self, job: &Job, lease: &Lease) -> Result<(), StepError> {
        let change: ChannelChangeJob = serde_json::from_value(job.payload.clone())
            .map_err(|e| StepError::BadJob(format!("channel change does not decode: {e}")))?;
        let order_id = change.order_id;
        let record = self
            .store
            .get_order(order_id)
            .await?
            .ok_or_else(|| StepError::BadJob(format!("order {order_id} does not exist")))?;
        let state: OrderState = serde_json::from_value(record.state.clone())
            .map_err(|e| StepError::BadJob(format!("stored state does not decode: {e}")))?;
        // A revision sets its own rounding line (`updated`).
        let call = ErpCall {
            order_id,
            correlation_id: &job.correlation_id,
            rounding_adjustment: None,
            company: self.companies.for_channel(&record.channel),
        };
        let outcome = match &change.change {
            ChannelChange::Updated { order, version } => {
                self.updated(call, &state, &change, order, *version).await?
            }
            ChannelChange::Cancelled { reason, .. } => cancelled(&state, &change, reason),
            ChannelChange::Refunded { refund } => refunded(&state, refund),
        };
        let now = Utc::now();
        let mut step = StepCommit {
            order_id,
            expected_version: record.version,
            events: Vec::new(),
            new_status: state.status.as_str().to_owned(),
            new_state: workflow::state_json(&state),
            outbox: Vec::new(),
            jobs: Vec::new(),
            exceptions: Vec::new(),
            closes: outcome.closes,
            audit: Vec::new(),
            completes: Some(lease.clone()),
            now,
        };
        let mut exceptions = outcome.exceptions;
        if let Some((event, extra)) = outcome.event {
            let (next, commands) = o2c_flow::step(state.clone(), &event)?;
            let journal =
                workflow::journal_event(&event, Some(extra), &job.correlation_id, None, now);
            let seq = record.version + 1;
            step.outbox.push(workflow::outbox_event(order_id, &journal));
            for command in commands {
                match command {
                    // Opened here, with the change's facts as detail.
                    Command::OpenException { reasons } => exceptions.push((
                        reasons.iter().map(|r| r.code().to_owned()).collect(),
                        json!({ "event": journal.data, "status": next.status.as_str() }),
                    )),
                    other => step.jobs.extend(workflow::jobs_for(
                        order_id,
                        seq,
                        &[other],
                        &job.correlation_id,
                        now,
                    )),
                }
            }
            step.events.push(journal);
            step.new_status = next.status.as_str().to_owned();
            step.new_state = workflow::state_json(&next);
        }
        for (reasons, details) in exceptions {
            step.exceptions.push(NewException {
                id: Uuid::now_v7(),
                order_id: Some(order_id),
                inbox_id: None,
                reasons,
                details: with_topic(details, &change),
                correlation_id: job.correlation_id.clone(),
                created_at: now,
            });
        }
        if let Some(details) = outcome.audit {
            step.audit.push(NewAuditEntry {
                actor: change.channel.clone(),
                action: format!("order.channel_change.{}", kind_name(&change.change)),
                subject: format!("order:{order_id}"),
                details: with_topic(details, &change),
                correlation_id: job.correlation_id.clone(),
                at: now,
            });
        }
        self.store.commit_step(step).await?;
        Ok(())
    }

    /// The rounding line a revision writes: the updated order's accepted
    /// rounding difference, or zero when the order had one before and no
    /// longer does (so the old line stops counting); `None` when neither had one.
    fn revised_rounding(&self, before: &Order, updated: &Order) -> Option<rust_decimal::Decimal> {
        crate::validation::validate(updated, &self.validation)
            .rounding_adjustment
            .or_else(|| {
                crate::validation::validate(before, &self.validation)
                    .rounding_adjustment
                    .map(|_| rust_decimal::Decimal::ZERO)
            })
    }

    async fn updated(
        &self,
        call: ErpCall<'_>,
        state: &OrderState,
        change: &ChannelChangeJob,
        order: &Order,
        version: Option<DateTime<Utc>>,
    ) -> Result<Outcome, StepError> {
        let journal = self.store.load_journal(call.order_id).await?;
        let applied = self
            .applied_version(call.order_id, &change.channel, &journal)
            .await?;
        if let (Some(new), Some(old)) = (version, applied)
            && new < old
        {
            tracing::info!(%new, %old, "an older version of the order arrived late; ignored");
            return Ok(Outcome::default());
        }
        let current = latest_order(&journal, journal.len())?;
        let call = ErpCall {
            rounding_adjustment: self.revised_rounding(&current, order),
            ..call
        };
        let changes = diff(&current, order);
        if changes.is_empty() {
            return Ok(Outcome::default());
        }
        let facts = json!({
            "order": order,
            "channel_version": version,
            "changes": changes,
        });
        let (lines, total) = workflow_lines(order);
        use o2c_flow::OrderStatus as S;
        if !state.is_submitted() {
            return match state.status {
                // The mapping job ahead of this one has not run yet.
                S::Received => Err(StepError::NotYet("the order is not mapped yet".into())),
                S::Mapped | S::Validated | S::OnHold => {
                    let closes = self.open_exceptions_of(call.order_id).await?;
                    Ok(Outcome {
                        event: Some((
                            Event::Amended {
                                lines,
                                order_total: total,
                                by: change.channel.clone(),
                                note: format!("{} from the channel", change.topic),
                            },
                            facts.clone(),
                        )),
                        closes,
                        audit: Some(json!({ "amended": true, "changes": facts["changes"] })),
                        ..Outcome::default()
                    })
                }
                status => Ok(too_late(
                    "channel_change_after_cancel",
                    format!("the order is {status}; the channel's change was not applied"),
                    facts,
                )),
            };
        }
        if state.anything_invoiced() {
            return Ok(too_late(
                "channel_change_after_invoice",
                "the order is invoiced; a credit note or a new order is needed".into(),
                facts,
            ));
        }
        if state.status == S::Cancelled {
            return Ok(too_late(
                "channel_change_after_cancel",
                "the order is cancelled; the channel's change was not applied".into(),
                facts,
            ));
        }
        let still_open = state.status.is_allocation()
            || matches!(state.status, S::Submitted | S::Released | S::OnHold);
        if state.anything_shipped() || !still_open {
            return Ok(too_late(
                "channel_change_after_fulfilment",
                format!("the order is {}; the goods are on their way", state.status),
                facts,
            ));
        }
        let Some(erp_order_id) = state.erp_order_id else {
            return Err(StepError::BadJob(
                "a submitted order without an ERP id".into(),
            ));
        };
        // The new content passes the same rules as a new order before
        // anything is written to the ERP.
        let checked = crate::validation::check_order(
            order,
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
        if !checked.verdict.passed() {
            return Ok(refused_revision(&checked.verdict, facts));
        }
        // As validated: the customer's ERP record named, as at submission.
        let order = checked.enriched.as_ref().unwrap_or(order);
        let submitted_at = journal
            .iter()
            .position(|e| e.data["event"]["type"] == "submitted_to_erp")
            .unwrap_or(journal.len());
        let submitted = latest_order(&journal, submitted_at)?;
        let revision = OrderRevision {
            submitted: &submitted,
            previous: &current,
            current: order,
        };
        match self.erp.revise_order(call, erp_order_id, revision).await? {
            ErpRevision::Revised => Ok(Outcome {
                event: Some((
                    Event::Revised {
                        lines,
                        order_total: total,
                        by: change.channel.clone(),
                    },
                    facts.clone(),
                )),
                audit: Some(json!({ "revised_in_erp": erp_order_id, "changes": facts["changes"] })),
                ..Outcome::default()
            }),
            ErpRevision::TooLate { reason, detail } => Ok(too_late(&reason, detail, facts)),
            ErpRevision::Rejected { reasons, detail } => Ok(Outcome {
                exceptions: vec![(
                    reasons.iter().map(|r| r.code().to_owned()).collect(),
                    json!({ "detail": detail, "change": facts }),
                )],
                ..Outcome::default()
            }),
        }
    }

    /// The newest channel version the order reflects: the last applied
    /// change's, else the version of the payload that created the order.
    async fn applied_version(
        &self,
        order_id: Uuid,
        channel: &str,
        journal: &[JournalEntry],
    ) -> Result<Option<DateTime<Utc>>, StepError> {
        let recorded = journal
            .iter()
            .rev()
            .find_map(|e| e.data.get("channel_version").and_then(Value::as_str))
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc));
        if recorded.is_some() {
            return Ok(recorded);
        }
        let inbox = self.store.inbox_for_order(order_id).await?;
        let first = inbox
            .iter()
            .filter(|m| m.status == "accepted")
            .min_by_key(|m| (m.received_at, m.id));
        let kind = channel.split(':').next().unwrap_or_default();
        Ok(first
            .and_then(|m| serde_json::from_str::<Value>(&m.payload).ok())
            .and_then(|payload| crate::channel_change::payload_version(kind, &payload)))
    }

    /// Open exceptions of the order: an amendment replaces the content they
    /// were about, so they close as resolved by the channel.
    async fn open_exceptions_of(&self, order_id: Uuid) -> Result<Vec<ExceptionClosure>, StepError> {
        let open = self.store.list_exceptions(Some("open"), 1000).await?;
        Ok(open
            .into_iter()
            .filter(|e| e.order_id == Some(order_id))
            .map(|e| ExceptionClosure {
                id: e.id,
                status: "resolved".into(),
                resolution: json!({
                    "by": "channel",
                    "note": "the channel sent a new version of the order; it is validated again",
                }),
            })
            .collect())
    }
}

fn cancelled(state: &OrderState, change: &ChannelChangeJob, reason: &str) -> Outcome {
    use o2c_flow::OrderStatus as S;
    if state.status == S::Cancelled {
        // A redelivery, or the second of orders/updated + orders/cancelled.
        return Outcome::default();
    }
    let event = Event::Cancelled {
        reason: format!("{}: {reason}", change.channel),
    };
    match o2c_flow::apply(state.clone(), &event) {
        Ok(_) => Outcome {
            event: Some((event, json!({ "cancel_reason": reason }))),
            audit: Some(json!({ "cancelled": true, "reason": reason })),
            ..Outcome::default()
        },
        Err(error) => {
            let (code, detail) = match &error {
                FlowError::CannotCancel { what } => (
                    if *what == "invoiced" {
                        "channel_cancel_after_invoice"
                    } else {
                        "channel_cancel_after_fulfilment"
                    },
                    format!("the channel cancelled an order that was already {what}"),
                ),
                other => (
                    "channel_cancel_refused",
                    format!("the channel cancelled the order, but the hub cannot: {other}"),
                ),
            };
            too_late(
                code,
                detail,
                json!({ "cancel_reason": reason, "status": state.status.as_str() }),
            )
        }
    }
}

fn refunded(state: &OrderState, refund: &RefundRecord) -> Outcome {
    if state.channel_refunds.contains_key(&refund.refund_id) {
        return Outcome::default();
    }
    let event = Event::ChannelRefunded {
        refund_id: refund.refund_id.clone(),
        amount: refund.amount,
    };
    Outcome {
        event: Some((
            event,
            json!({ "refund": refund, "invoices": state.invoices }),
        )),
        audit: Some(
            json!({ "refund_id": refund.refund_id, "amount": refund.amount, "currency": refund.currency }),
        ),
        ..Outcome::default()
    }
}

/// A revision whose new content fails validation: nothing is written to
/// the ERP; the exception names the rules that failed and the difference.
fn refused_revision(verdict: &crate::validation::Verdict, facts: Value) -> Outcome {
    let findings: Vec<Value> = verdict
        .findings
        .iter()
        .map(|f| json!({ "reason": f.reason.code(), "pointer": f.pointer, "detail": f.detail }))
        .collect();
    Outcome {
        exceptions: vec![(
            verdict
                .reasons()
                .iter()
                .map(|r| r.code().to_owned())
                .collect(),
            json!({
                "detail": format!(
                    "the channel's change was not written to the ERP: {}",
                    verdict.detail()
                ),
                "findings": findings,
                "change": facts,
            }),
        )],
        audit: Some(json!({ "revision_refused": true, "findings": findings })),
        ..Outcome::default()
    }
}

fn too_late(reason: &str, detail: String, facts: Value) -> Outcome {
    Outcome {
        exceptions: vec![(
            vec![reason.to_owned()],
            json!({ "detail": detail, "change": facts }),
        )],
        ..Outcome::default()
    }
}

fn with_topic(mut details: Value, change: &ChannelChangeJob) -> Value {
    if let Value::Object(map) = &mut details {
        map.insert("topic".into(), json!(change.topic));
        map.insert("channel".into(), json!(change.channel));
    }
    details
}

fn kind_name(change: &ChannelChange) -> &'static str {
    match change {
        ChannelChange::Updated { .. } => "updated",
        ChannelChange::Cancelled { .. } => "cancelled",
        ChannelChange::Refunded { .. } => "refunded",
    }
}

/// The latest canonical order among the first `upto` journal rows.
fn latest_order(journal: &[JournalEntry], upto: usize) -> Result<Order, StepError> {
    let value = journal[..upto.min(journal.len())]
        .iter()
        .rev()
        .find_map(|e| e.data.get("order"))
        .ok_or_else(|| StepError::BadJob("the journal has no canonical order".into()))?;
    serde_json::from_value(value.clone())
        .map_err(|e| StepError::BadJob(format!("the stored order does not decode: {e}")))
}

/// The workflow's view of a canonical order's lines and total, exactly as
/// at intake.
fn workflow_lines(order: &Order) -> (Vec<LineSpec>, rust_decimal::Decimal) {
    match crate::intake::received_event(Uuid::nil(), order) {
        Event::Received {
            lines, order_total, ..
        } => (lines, order_total),
        _ => (Vec::new(), rust_decimal::Decimal::ZERO),
    }
}
