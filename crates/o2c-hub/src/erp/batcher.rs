//! Cross-order batching of ERP work.
//!
//! Workers run one job per order; several orders often reach the same step
//! (`ValidateOrder`'s facts, `SubmitToErp`, `ConfirmErpOrder`) at the same moment. [`ErpBatcher`]
//! wraps an [`Erp`] and gathers those calls: the first call of a kind opens
//! a short window (`max_wait`, a few ms); every call arriving within it
//! joins, and the window closes early when `max_batch` calls have gathered.
//! The gathered calls go to the inner adapter's batch method
//! ([`Erp::submit_orders`] / [`Erp::confirm_orders`] /
//! [`Erp::orders_facts`]) in ONE round trip, and
//! each caller gets back its own order's result. Calls carry their order's
//! Odoo company; a gathered batch may mix companies, and the adapter splits
//! it per company (`erp::odoo`: one company context per Odoo call). Nothing else changes for
//! the caller: each job still commits its own step, in its own order.
//!
//! The batch itself runs in a task of its own, so a caller that gives up
//! (lease lost, shutdown) cancels neither the round trip nor the other
//! orders' results. An adapter that does not batch (`Erp::batches` is
//! `false`) is called straight through, exactly as without a batcher.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use o2c_model::Order;
use serde::Deserialize;
use tokio::sync::oneshot;

use super::{
    ConfirmRequest, Erp, ErpCall, ErpCancellation, ErpError, ErpFacts, ErpRevision, ErpSubmission,
    FactsRequest, FactsScope, OrderRevision, SubmitRequest,
};

/// How calls are gathered.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(default)]
pub struct BatchConfig {
    /// Orders per round trip at most; 1 turns batching off.
    pub max_batch: usize,
    /// How long the first call of a batch waits for others, in milliseconds.
    pub max_wait_ms: u64,
}

impl Default for BatchConfig {
    fn default() -> Self {
        Self {
            max_batch: 20,
            max_wait_ms: 3,
        }
    }
}

/// What the batcher did so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchStats {
    pub submit_batches: u64,
    pub submit_orders: u64,
    pub confirm_batches: u64,
    pub confirm_orders: u64,
}

/// One kind of batched work.
#[async_trait]
trait BatchOp: Send + Sync + 'static {
    type Req: Send + 'static;
    type Resp: Send + 'static;
    async fn run(erp: &dyn Erp, batch: &[Self::Req]) -> Vec<Self::Resp>;
    /// The answer for a request the batch lost (a broken adapter).
    fn lost() -> Self::Resp;
}

struct SubmitOp;

#[async_trait]
impl BatchOp for SubmitOp {
    type Req = SubmitRequest;
    type Resp = Result<ErpSubmission, ErpError>;
    async fn run(erp: &dyn Erp, batch: &[SubmitRequest]) -> Vec<Self::Resp> {
        erp.submit_orders(batch).await
    }
    fn lost() -> Self::Resp {
        Err(lost_error())
    }
}

struct FactsOp;

#[async_trait]
impl BatchOp for FactsOp {
    type Req = FactsRequest;
    type Resp = Result<Option<ErpFacts>, ErpError>;
    async fn run(erp: &dyn Erp, batch: &[FactsRequest]) -> Vec<Self::Resp> {
        erp.orders_facts(batch).await
    }
    fn lost() -> Self::Resp {
        Err(lost_error())
    }
}

struct ConfirmOp;

#[async_trait]
impl BatchOp for ConfirmOp {
    type Req = ConfirmRequest;
    type Resp = Result<String, ErpError>;
    async fn run(erp: &dyn Erp, batch: &[ConfirmRequest]) -> Vec<Self::Resp> {
        erp.confirm_orders(batch).await
    }
    fn lost() -> Self::Resp {
        Err(lost_error())
    }
}

fn lost_error() -> ErpError {
    ErpError::Transient {
        message: "the ERP batch gave no result for this order".into(),
        retry_after: None,
    }
}

type Waiting<Op> = Vec<(<Op as BatchOp>::Req, oneshot::Sender<<Op as BatchOp>::Resp>)>;

struct LaneState<Op: BatchOp> {
    waiting: Waiting<Op>,
    /// Whether a window (and its timer) is open.
    open: bool,
    /// Bumped whenever a batch leaves, so a stale timer does nothing.
    generation: u64,
}

/// Gathers one kind of call.
struct Lane<Op: BatchOp> {
    erp: Arc<dyn Erp>,
    config: BatchConfig,
    state: Mutex<LaneState<Op>>,
    batches: AtomicU64,
    orders: AtomicU64,
}

impl<Op: BatchOp> Lane<Op> {
    fn new(erp: Arc<dyn Erp>, config: BatchConfig) -> Self {
        Self {
            erp,
            config,
            state: Mutex::new(LaneState {
                waiting: Vec::new(),
                open: false,
                generation: 0,
            }),
            batches: AtomicU64::new(0),
            orders: AtomicU64::new(0),
        }
    }

    /// Queues `request`; the answer arrives when its batch has run.
    fn push(self: &Arc<Self>, request: Op::Req) -> oneshot::Receiver<Op::Resp> {
        let (tx, rx) = oneshot::channel();
        let mut state = lock(&self.state);
        state.waiting.push((request, tx));
        if state.waiting.len() >= self.config.max_batch.max(1) {
            let batch = std::mem::take(&mut state.waiting);
            state.open = false;
            state.generation += 1;
            drop(state);
            self.spawn_run(batch);
        } else if !state.open {
            state.open = true;
            let generation = state.generation;
            drop(state);
            let lane = self.clone();
            let wait = Duration::from_millis(self.config.max_wait_ms);
            tokio::spawn(async move {
                tokio::time::sleep(wait).await;
                let batch = {
                    let mut state = lock(&lane.state);
                    if !state.open || state.generation != generation {
                        return;
                    }
                    state.open = false;
                    state.generation += 1;
                    std::mem::take(&mut state.waiting)
                };
                lane.run(batch).await;
            });
        }
        rx
    }

    fn spawn_run(self: &Arc<Self>, batch: Waiting<Op>) {
        let lane = self.clone();
        tokio::spawn(async move { lane.run(batch).await });
    }

    async fn run(&self, batch: Waiting<Op>) {
        if batch.is_empty() {
            return;
        }
        self.batches.fetch_add(1, Ordering::Relaxed);
        self.orders.fetch_add(batch.len() as u64, Ordering::Relaxed);
        let (requests, senders): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
        tracing::debug!(orders = requests.len(), "ERP batch");
        let mut results = Op::run(self.erp.as_ref(), &requests).await.into_iter();
        for sender in senders {
            // A caller that stopped waiting simply drops its answer.
            let _ = sender.send(results.next().unwrap_or_else(Op::lost));
        }
    }
}

/// An [`Erp`] that gathers concurrent calls into batches (see the module).
pub struct ErpBatcher {
    inner: Arc<dyn Erp>,
    submits: Arc<Lane<SubmitOp>>,
    confirms: Arc<Lane<ConfirmOp>>,
    facts: Arc<Lane<FactsOp>>,
}

impl ErpBatcher {
    pub fn new(inner: Arc<dyn Erp>, config: BatchConfig) -> Self {
        Self {
            submits: Arc::new(Lane::new(inner.clone(), config)),
            confirms: Arc::new(Lane::new(inner.clone(), config)),
            facts: Arc::new(Lane::new(inner.clone(), config)),
            inner,
        }
    }

    /// Whether calls are gathered at all (the adapter batches and the
    /// configuration allows more than one order per batch).
    pub fn active(&self) -> bool {
        self.inner.batches() && self.submits.config.max_batch > 1
    }

    pub fn stats(&self) -> BatchStats {
        BatchStats {
            submit_batches: self.submits.batches.load(Ordering::Relaxed),
            submit_orders: self.submits.orders.load(Ordering::Relaxed),
            confirm_batches: self.confirms.batches.load(Ordering::Relaxed),
            confirm_orders: self.confirms.orders.load(Ordering::Relaxed),
        }
    }
}

fn dropped() -> ErpError {
    ErpError::Transient {
        message: "the ERP batch was dropped before it answered".into(),
        retry_after: None,
    }
}

#[async_trait]
impl Erp for ErpBatcher {
    async fn submit_order(
        &self,
        call: ErpCall<'_>,
        order: &Order,
    ) -> Result<ErpSubmission, ErpError> {
        if !self.active() {
            return self.inner.submit_order(call, order).await;
        }
        let request = SubmitRequest {
            order_id: call.order_id,
            correlation_id: call.correlation_id.to_owned(),
            order: order.clone(),
            rounding_adjustment: call.rounding_adjustment,
            company: call.company,
        };
        self.submits
            .push(request)
            .await
            .unwrap_or_else(|_| Err(dropped()))
    }

    async fn confirm_order(
        &self,
        call: ErpCall<'_>,
        erp_order_id: i64,
    ) -> Result<String, ErpError> {
        if !self.active() {
            return self.inner.confirm_order(call, erp_order_id).await;
        }
        let request = ConfirmRequest {
            order_id: call.order_id,
            correlation_id: call.correlation_id.to_owned(),
            erp_order_id,
            company: call.company,
        };
        self.confirms
            .push(request)
            .await
            .unwrap_or_else(|_| Err(dropped()))
    }

    async fn order_facts(
        &self,
        call: ErpCall<'_>,
        order: &Order,
        scope: FactsScope,
    ) -> Result<Option<ErpFacts>, ErpError> {
        if !self.active() {
            return self.inner.order_facts(call, order, scope).await;
        }
        let request = FactsRequest {
            order_id: call.order_id,
            correlation_id: call.correlation_id.to_owned(),
            order: order.clone(),
            scope,
            company: call.company,
        };
        self.facts
            .push(request)
            .await
            .unwrap_or_else(|_| Err(dropped()))
    }

    async fn orders_facts(
        &self,
        batch: &[FactsRequest],
    ) -> Vec<Result<Option<ErpFacts>, ErpError>> {
        self.inner.orders_facts(batch).await
    }

    fn calls(&self) -> u64 {
        self.inner.calls()
    }

    fn batches(&self) -> bool {
        self.inner.batches()
    }

    async fn submit_orders(&self, batch: &[SubmitRequest]) -> Vec<Result<ErpSubmission, ErpError>> {
        self.inner.submit_orders(batch).await
    }

    async fn confirm_orders(&self, batch: &[ConfirmRequest]) -> Vec<Result<String, ErpError>> {
        self.inner.confirm_orders(batch).await
    }

    // Rare, per-order changes: never batched.
    async fn cancel_order(
        &self,
        call: ErpCall<'_>,
        erp_order_id: i64,
    ) -> Result<ErpCancellation, ErpError> {
        self.inner.cancel_order(call, erp_order_id).await
    }

    async fn revise_order(
        &self,
        call: ErpCall<'_>,
        erp_order_id: i64,
        revision: OrderRevision<'_>,
    ) -> Result<ErpRevision, ErpError> {
        self.inner.revise_order(call, erp_order_id, revision).await
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    /// Records the size of every batch it gets.
    #[derive(Default)]
    struct Recording {
        sizes: Mutex<Vec<usize>>,
        singles: AtomicUsize,
    }

    #[async_trait]
    impl Erp for Recording {
        async fn submit_order(&self, _: ErpCall<'_>, _: &Order) -> Result<ErpSubmission, ErpError> {
            Err(ErpError::Permanent("not used".into()))
        }
        async fn confirm_order(&self, _: ErpCall<'_>, id: i64) -> Result<String, ErpError> {
            self.singles.fetch_add(1, Ordering::SeqCst);
            Ok(format!("S{id}"))
        }
        fn calls(&self) -> u64 {
            0
        }
        fn batches(&self) -> bool {
            true
        }
        async fn confirm_orders(&self, batch: &[ConfirmRequest]) -> Vec<Result<String, ErpError>> {
            lock(&self.sizes).push(batch.len());
            tokio::time::sleep(Duration::from_millis(5)).await;
            batch
                .iter()
                .map(|r| {
                    if r.erp_order_id == 13 {
                        Err(ErpError::Permanent("unlucky".into()))
                    } else {
                        Ok(format!("S{}", r.erp_order_id))
                    }
                })
                .collect()
        }
    }

    async fn confirm_many(batcher: Arc<ErpBatcher>, ids: std::ops::Range<i64>) -> Vec<String> {
        let mut tasks = tokio::task::JoinSet::new();
        for id in ids {
            let batcher = batcher.clone();
            tasks.spawn(async move {
                let order_id = uuid::Uuid::now_v7();
                let call = ErpCall {
                    order_id,
                    correlation_id: "c",
                    rounding_adjustment: None,
                    company: None,
                };
                (id, batcher.confirm_order(call, id).await)
            });
        }
        let mut out = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            let (id, result) = joined.expect("task");
            match result {
                Ok(name) => {
                    assert_eq!(name, format!("S{id}"), "each caller gets its own answer");
                    out.push(name);
                }
                Err(e) => assert_eq!(id, 13, "only order 13 fails: {e}"),
            }
        }
        out
    }

    #[tokio::test]
    async fn concurrent_calls_share_batches_and_keep_their_own_results() {
        let inner = Arc::new(Recording::default());
        let batcher = Arc::new(ErpBatcher::new(
            inner.clone(),
            BatchConfig {
                max_batch: 20,
                max_wait_ms: 20,
            },
        ));
        let names = confirm_many(batcher.clone(), 0..45).await;
        assert_eq!(names.len(), 44);
        let sizes = lock(&inner.sizes).clone();
        assert_eq!(sizes.iter().sum::<usize>(), 45);
        assert!(sizes.iter().all(|s| *s <= 20), "{sizes:?}");
        assert!(
            sizes.len() <= 4,
            "45 calls at once in few batches: {sizes:?}"
        );
        assert_eq!(inner.singles.load(Ordering::SeqCst), 0);
        let stats = batcher.stats();
        assert_eq!(stats.confirm_orders, 45);
        assert_eq!(stats.confirm_batches, sizes.len() as u64);
    }

    #[tokio::test]
    async fn batch_of_one_turns_batching_off() {
        let inner = Arc::new(Recording::default());
        let batcher = Arc::new(ErpBatcher::new(
            inner.clone(),
            BatchConfig {
                max_batch: 1,
                max_wait_ms: 20,
            },
        ));
        confirm_many(batcher, 0..5).await;
        assert_eq!(inner.singles.load(Ordering::SeqCst), 5);
        assert!(lock(&inner.sizes).is_empty());
    }
}
