//! Runs pullers: one pass fetches a page since the stored cursor, stores
//! every order through the ingest group commit, and only then saves the
//! next cursor; the scheduler repeats passes on the puller's interval and
//! backs off (exponentially, with jitter) while they fail.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use o2c_connectors::{Input, MappingSet};
use o2c_model::{MappingRef, Order};
use o2c_store::{AcceptOutcome, RejectedMessage, Store};
use rand::Rng;
use serde_json::json;
use sha2::{Digest, Sha256};
use tokio::task::{JoinHandle, JoinSet};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::{ChannelPuller, PullError, RawOrder, Withdrawal};
use crate::auth::{Principal, Scope};
use crate::channel_change::{self, ChannelChange, ChannelChangeJob};
use crate::ingest::IngestQueue;
use crate::intake::{self, Intake};
use crate::problem::{Problem, ProblemKind};
use crate::schema_check::{MapFailure, OrderSchema};

/// What a pass needs from the hub.
#[derive(Clone)]
pub struct PullContext {
    pub store: Arc<dyn Store>,
    pub ingest: IngestQueue,
    pub mappings: Arc<MappingSet>,
    pub schema: Arc<OrderSchema>,
}

/// How often a puller runs and how long it waits after failures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Schedule {
    pub interval: Duration,
    pub max_backoff: Duration,
}

impl Schedule {
    /// The wait after `failures` failed passes in a row: from a quarter of
    /// the interval (at least a second), doubling, capped, with ±20% jitter
    /// so pullers that failed together do not retry together.
    pub fn backoff(&self, failures: u32) -> Duration {
        let base = (self.interval / 4).max(Duration::from_secs(1));
        let factor = 2u32.saturating_pow(failures.saturating_sub(1).min(16));
        let wait = base.saturating_mul(factor).min(self.max_backoff);
        let jitter = rand::rng().random_range(0.8..=1.2);
        wait.mul_f64(jitter)
    }
}

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PassReport {
    pub fetched: usize,
    /// New orders stored.
    pub accepted: usize,
    /// Orders the hub already had (overlap, re-fetch after a crash, webhook).
    pub duplicates: usize,
    /// Orders the mapping or the schema refused, kept for an operator.
    pub rejected: usize,
    /// Not orders yet (e.g. Amazon's Pending), or withdrawn before the hub
    /// had them: nothing stored; the cursor brings changes back.
    pub skipped: usize,
    /// Change jobs queued for orders the hub holds (new content, or a
    /// withdrawal); a version already applied turns into nothing there.
    pub changes: usize,
    /// The channel has more right away.
    pub more: bool,
}

/// One pass: fetch since the stored cursor, store the orders (a known
/// order's new content or withdrawal as a change job), save the cursor.
pub async fn pull_once(
    ctx: &PullContext,
    puller: &dyn ChannelPuller,
) -> Result<PassReport, PullError> {
    let name = puller.cursor_name();
    let cursor = ctx
        .store
        .load_cursor(&name)
        .await
        .map_err(|e| PullError::new(format!("cannot load the cursor of {name}: {e}")))?
        .map(|c| c.value)
        .unwrap_or_else(|| puller.initial_cursor());
    let page = puller.fetch(&cursor).await?;
    let correlation_id = Uuid::now_v7().to_string();
    let channel = puller.cursor_name();
    let principal = Principal {
        key_id: Uuid::nil(),
        name: format!("pull:{channel}"),
        scopes: vec![Scope::OrdersWrite.as_str().to_owned()],
        channel: Some(channel.clone()),
    };
    let mut report = PassReport {
        fetched: page.orders.len(),
        more: page.more,
        ..PassReport::default()
    };
    let changes = Changes {
        ctx,
        channel: &channel,
        kind: puller.channel(),
        correlation_id: &correlation_id,
    };
    let mut submissions = JoinSet::new();
    for raw in &page.orders {
        if let Some(withdrawal) = raw.withdrawn.as_ref().filter(|w| !w.capture_unknown) {
            let known = ctx
                .store
                .find_order_by_channel_id(&channel, &raw.order_id)
                .await
                .map_err(|e| PullError::new(format!("cannot look up an order of {name}: {e}")))?;
            match known {
                Some(order) => {
                    changes.cancel(order.order_id, raw, withdrawal).await?;
                    report.changes += 1;
                }
                None => {
                    tracing::info!(puller = %name, order = %raw.order_id, reason = %withdrawal.reason, "withdrawn order the hub never had skipped");
                    report.skipped += 1;
                }
            }
            continue;
        }
        match prepare(ctx, puller, raw, &principal, &correlation_id) {
            Prepared::Orders(acceptances) => {
                // A change is only read from a payload that is one order.
                let single = acceptances.len() == 1;
                for (order, acceptance) in acceptances {
                    let ingest = ctx.ingest.clone();
                    let raw = raw.clone();
                    let order = single.then_some(order);
                    submissions.spawn(async move { (raw, order, ingest.submit(acceptance).await) });
                }
            }
            Prepared::Skip(reason) => {
                tracing::info!(puller = %name, order = %raw.order_id, %reason, "pulled order skipped");
                report.skipped += 1;
            }
            Prepared::Reject(problem) => {
                let problem = problem.correlated(&correlation_id);
                ctx.store
                    .record_rejection(RejectedMessage {
                        id: Uuid::now_v7(),
                        channel: channel.clone(),
                        content_type: "application/json".into(),
                        payload: raw.payload.to_string(),
                        truncated: false,
                        problem: problem.body(),
                        correlation_id: correlation_id.clone(),
                        received_at: Utc::now(),
                    })
                    .await
                    .map_err(|e| {
                        PullError::new(format!("cannot keep a refused order of {name}: {e}"))
                    })?;
                tracing::warn!(puller = %name, order = %raw.order_id, detail = %problem.detail, "pulled order refused and kept");
                report.rejected += 1;
            }
        }
    }
    // Every submission (and change) must be durable before the cursor moves.
    while let Some(joined) = submissions.join_next().await {
        let (raw, order, outcome) = joined
            .map_err(|e| PullError::new(format!("a submission task of {name} failed: {e}")))?;
        let outcome =
            outcome.map_err(|e| PullError::new(format!("cannot store orders of {name}: {e}")))?;
        let order_id = match &outcome {
            AcceptOutcome::Accepted { order_id, .. } => {
                report.accepted += 1;
                Some(*order_id)
            }
            AcceptOutcome::Duplicate { response_body, .. } => {
                report.duplicates += 1;
                let known = response_body
                    .get("order_id")
                    .and_then(serde_json::Value::as_str)
                    .and_then(|id| Uuid::parse_str(id).ok());
                // The hub holds this order: what the channel sends now is
                // its newest content, a change to apply (or noise).
                if let (Some(order_id), Some(order), None) = (known, order, &raw.withdrawn) {
                    changes.update(order_id, &raw, order).await?;
                    report.changes += 1;
                }
                known
            }
        };
        if let (Some(order_id), Some(withdrawal)) = (order_id, &raw.withdrawn) {
            changes.cancel(order_id, &raw, withdrawal).await?;
            report.changes += 1;
        }
    }
    ctx.store
        .save_cursor(&name, &page.next_cursor, Utc::now())
        .await
        .map_err(|e| PullError::new(format!("cannot save the cursor of {name}: {e}")))?;
    Ok(report)
}

/// Queues the change jobs of one pass on the orders' own queues.
struct Changes<'a> {
    ctx: &'a PullContext,
    /// `channel:account`: the audit actor of the change.
    channel: &'a str,
    /// The channel kind, which says where the payload keeps its version.
    kind: &'a str,
    correlation_id: &'a str,
}

impl Changes<'_> {
    async fn update(&self, order_id: Uuid, raw: &RawOrder, order: Order) -> Result<(), PullError> {
        let version = channel_change::payload_version(self.kind, &raw.payload);
        self.queue(
            order_id,
            raw,
            "pull/updated",
            ChannelChange::Updated {
                order: Box::new(order),
                version,
            },
        )
        .await
    }

    async fn cancel(
        &self,
        order_id: Uuid,
        raw: &RawOrder,
        withdrawal: &Withdrawal,
    ) -> Result<(), PullError> {
        let version = channel_change::payload_version(self.kind, &raw.payload);
        self.queue(
            order_id,
            raw,
            "pull/withdrawn",
            ChannelChange::Cancelled {
                reason: withdrawal.reason.clone(),
                version,
            },
        )
        .await
    }

    /// Keyed by the payload's digest: the same version fetched again (the
    /// overlap window, a re-fetch after a crash) queues nothing new.
    async fn queue(
        &self,
        order_id: Uuid,
        raw: &RawOrder,
        topic: &str,
        change: ChannelChange,
    ) -> Result<(), PullError> {
        let delivery = format!(
            "payload:{}",
            hex::encode(Sha256::digest(raw.payload.to_string().as_bytes()))
        );
        let job = ChannelChangeJob {
            order_id,
            channel: self.channel.to_owned(),
            topic: topic.to_owned(),
            change,
        }
        .into_job(&delivery, self.correlation_id, Utc::now());
        self.ctx.store.enqueue(job).await.map_err(|e| {
            PullError::new(format!(
                "cannot store a change of {} order {}: {e}",
                self.channel, raw.order_id
            ))
        })?;
        Ok(())
    }
}

enum Prepared {
    Orders(Vec<(Order, o2c_store::Acceptance)>),
    Skip(String),
    Reject(Problem),
}

/// Maps one raw order with the channel's latest rules and builds the
/// acceptance(s) the ingest commits.
fn prepare(
    ctx: &PullContext,
    puller: &dyn ChannelPuller,
    raw: &RawOrder,
    principal: &Principal,
    correlation_id: &str,
) -> Prepared {
    let mapping = match ctx.mappings.get(puller.channel(), None) {
        Ok(mapping) => mapping,
        Err(e) => return Prepared::Reject(Problem::new(ProblemKind::MappingFailed, e.to_string())),
    };
    let now = Utc::now();
    let orders = match ctx.schema.map(
        &mapping.program,
        Input::Decoded(&raw.payload),
        puller.account(),
        &now.to_rfc3339(),
    ) {
        Ok(orders) => orders,
        Err(MapFailure::Run(error)) => {
            let message = error.to_string();
            // The mappings mark inputs that are not (yet) orders this way.
            if message.contains("deferred:") || message.contains("not an order:") {
                return Prepared::Skip(message);
            }
            return Prepared::Reject(
                Problem::new(ProblemKind::MappingFailed, message)
                    .with("mapping", json!(mapping.name()))
                    .with("channel_order_id", json!(raw.order_id)),
            );
        }
        Err(invalid) => {
            return Prepared::Reject(
                invalid.problem(|problem| problem.with("mapping", json!(mapping.name()))),
            );
        }
    };
    let mut acceptances = Vec::with_capacity(orders.len());
    for mut order in orders {
        // The rules actually run, whatever the program wrote.
        order.mapping = Some(MappingRef {
            name: mapping.channel.clone(),
            version: mapping.version,
        });
        let built = intake::acceptance(Intake {
            order: &order,
            raw_payload: raw.payload.to_string(),
            principal,
            idempotency_header: None,
            correlation_id,
            now,
        });
        match built {
            Ok((_, acceptance)) => acceptances.push((order, acceptance)),
            Err(e) => {
                return Prepared::Reject(Problem::new(
                    ProblemKind::MappingFailed,
                    format!("the workflow refused the order: {e}"),
                ));
            }
        }
    }
    Prepared::Orders(acceptances)
}

/// Runs `puller` until `shutdown`: a pass, then the interval (or at once
/// when the channel has more), or a growing backoff after failures.
pub async fn run(
    ctx: PullContext,
    puller: Arc<dyn ChannelPuller>,
    schedule: Schedule,
    shutdown: CancellationToken,
) {
    let name = puller.cursor_name();
    let mut failures = 0u32;
    loop {
        if shutdown.is_cancelled() {
            return;
        }
        let wait = match pull_once(&ctx, puller.as_ref()).await {
            Ok(report) => {
                failures = 0;
                if report.fetched > 0 {
                    tracing::info!(puller = %name, ?report, "pull pass stored");
                }
                if report.more {
                    Duration::ZERO
                } else {
                    schedule.interval
                }
            }
            Err(error) => {
                failures = failures.saturating_add(1);
                let wait = schedule.backoff(failures);
                tracing::warn!(puller = %name, %error, failures, ?wait, "pull pass failed; cursor kept");
                wait
            }
        };
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(wait) => {}
        }
    }
}

/// Spawns one task per puller.
pub fn start_all(
    ctx: PullContext,
    pullers: Vec<super::Scheduled>,
    shutdown: CancellationToken,
) -> Vec<JoinHandle<()>> {
    pullers
        .into_iter()
        .map(|(puller, schedule)| {
            tokio::spawn(run(ctx.clone(), puller, schedule, shutdown.clone()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use async_trait::async_trait;
    use serde_json::Value;

    use super::*;
    use crate::ingest::IngestConfig;
    use crate::pull::Page;

    /// Serves one fixed page: the Admin REST sample order, and the same
    /// order without a SKU on one line (which the mapping refuses).
    struct OnePage;

    fn sample() -> Value {
        let text = include_str!("../../../o2c-connectors/tests/fixtures/shopify/pyapi_order.json");
        serde_json::from_str::<Value>(text).expect("sample")["order"].clone()
    }

    #[async_trait]
    impl ChannelPuller for OnePage {
        fn channel(&self) -> &str {
            "shopify"
        }
        fn account(&self) -> &str {
            "acme.myshopify.com"
        }
        fn initial_cursor(&self) -> Value {
            json!(0)
        }
        async fn fetch(&self, cursor: &Value) -> Result<Page, PullError> {
            let good = sample();
            let mut bad = sample();
            bad["id"] = json!(1);
            bad["admin_graphql_api_id"] = json!("gid://shopify/Order/1");
            bad["line_items"][0]["sku"] = json!("");
            Ok(Page {
                orders: vec![
                    RawOrder {
                        order_id: "450789469".into(),
                        payload: good,
                        withdrawn: None,
                    },
                    RawOrder {
                        order_id: "1".into(),
                        payload: bad,
                        withdrawn: None,
                    },
                ],
                next_cursor: json!(cursor.as_i64().unwrap_or(0) + 1),
                more: false,
            })
        }
    }

    #[tokio::test]
    async fn refused_orders_are_kept_and_the_cursor_still_moves() {
        let temp = tempfile::tempdir().expect("tempdir");
        let store = o2c_store::open(&temp.path().join("hub.db").to_string_lossy())
            .await
            .expect("store");
        let ctx = PullContext {
            ingest: IngestQueue::start(
                store.clone(),
                IngestConfig::default(),
                Arc::new(tokio::sync::Notify::new()),
            ),
            store: store.clone(),
            mappings: Arc::new(MappingSet::shipped().expect("mappings")),
            schema: Arc::new(OrderSchema::new().expect("schema")),
        };
        let report = pull_once(&ctx, &OnePage).await.expect("pass");
        assert_eq!(
            (report.fetched, report.accepted, report.rejected),
            (2, 1, 1),
            "{report:?}"
        );
        let rejected = store.list_inbox(Some("rejected"), 10).await.expect("inbox");
        assert_eq!(rejected.len(), 1);
        assert_eq!(rejected[0].channel, "shopify:acme.myshopify.com");
        let problem = rejected[0].problem.as_ref().expect("problem");
        assert_eq!(problem["mapping"], json!("shopify/v3"));
        assert!(rejected[0].payload.contains("\"sku\":\"\""));
        let cursor = store
            .load_cursor("shopify:acme.myshopify.com")
            .await
            .expect("load")
            .expect("saved");
        assert_eq!(cursor.value, json!(1));
        // The next pass goes on from the saved cursor; the good order is a duplicate.
        let again = pull_once(&ctx, &OnePage).await.expect("pass");
        assert_eq!((again.accepted, again.duplicates), (0, 1));
        let cursor = store
            .load_cursor("shopify:acme.myshopify.com")
            .await
            .expect("load")
            .expect("saved");
        assert_eq!(cursor.value, json!(2));
    }

    #[test]
    fn backoff_doubles_from_a_quarter_interval_up_to_the_cap() {
        let schedule = Schedule {
            interval: Duration::from_secs(120),
            max_backoff: Duration::from_secs(300),
        };
        let within = |d: Duration, secs: f64| {
            let s = d.as_secs_f64();
            s >= secs * 0.8 - 1e-9 && s <= secs * 1.2 + 1e-9
        };
        assert!(within(schedule.backoff(1), 30.0));
        assert!(within(schedule.backoff(2), 60.0));
        assert!(within(schedule.backoff(3), 120.0));
        assert!(within(schedule.backoff(10), 300.0));
        assert!(within(schedule.backoff(u32::MAX), 300.0));
    }
}
