//! The ERP port: what the workflow asks of the transaction core. Odoo is the
//! one adapter today (`odoo.rs`); tests may plug in their own.
//!
//! Besides the per-order calls the port has batch calls
//! ([`Erp::submit_orders`], [`Erp::confirm_orders`]) that an adapter able to
//! send the work of many orders in one round trip implements (and says so
//! with [`Erp::batches`]); their default implementations fall back to one
//! call per order. [`batcher::ErpBatcher`] gathers the calls of orders that
//! are ready at the same moment into such batches.

pub mod batcher;
pub mod facts;
pub mod odoo;

use async_trait::async_trait;
use o2c_flow::HoldReason;
use o2c_model::Order;
use rust_decimal::Decimal;
use uuid::Uuid;

pub use facts::ErpFacts;
pub use o2c_odoo::CompanyId;

/// Who a call is for, so the adapter can tag and trace it.
#[derive(Debug, Clone, Copy)]
pub struct ErpCall<'a> {
    pub order_id: Uuid,
    pub correlation_id: &'a str,
    /// For a submission: the totals difference validation accepted as
    /// rounding (declared minus computed), to post as its own line so the
    /// ERP order's total is the channel's.
    pub rounding_adjustment: Option<Decimal>,
    /// The Odoo company the order belongs to (`None`: the user's default).
    pub company: Option<CompanyId>,
}

/// The result of handing an order to the ERP.
#[derive(Debug, Clone, PartialEq)]
pub enum ErpSubmission {
    /// The ERP holds the order (created now, or found from an earlier try).
    Created {
        erp_order_id: i64,
        /// A stable reference to the ERP record (its external id).
        erp_order_ref: String,
    },
    /// Business data the ERP cannot take as is: the order goes on hold.
    Rejected {
        reasons: Vec<HoldReason>,
        detail: String,
    },
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum ErpError {
    /// Worth retrying later: timeouts, 5xx, rate limits, lock conflicts.
    #[error("transient ERP failure: {message}")]
    Transient {
        message: String,
        retry_after: Option<std::time::Duration>,
    },
    /// Retrying will not help until someone changes something.
    #[error("ERP refused the call: {0}")]
    Permanent(String),
}

/// What the ERP answered to a cancellation.
#[derive(Debug, Clone, PartialEq)]
pub enum ErpCancellation {
    /// The ERP order is cancelled (now, or it already was).
    Cancelled,
    /// The ERP's own rules refuse it (delivered or invoiced goods): its
    /// message, for the exception an operator will read.
    Refused { message: String },
}

/// A channel's change to an order the ERP holds: the order as first
/// submitted (which fixes the ERP line identities), as the ERP has it now,
/// and as the channel wants it.
#[derive(Debug, Clone, Copy)]
pub struct OrderRevision<'a> {
    pub submitted: &'a Order,
    pub previous: &'a Order,
    pub current: &'a Order,
}

/// What the ERP did with a revision.
#[derive(Debug, Clone, PartialEq)]
pub enum ErpRevision {
    /// The ERP order now has the channel's lines.
    Revised,
    /// The ERP order can no longer change (shipped, invoiced, cancelled,
    /// locked): a stable reason code and the ERP's words.
    TooLate { reason: String, detail: String },
    /// The ERP cannot take the new content as is (an unknown product).
    Rejected {
        reasons: Vec<HoldReason>,
        detail: String,
    },
}

/// One order's part of a batched submission.
#[derive(Debug, Clone)]
pub struct SubmitRequest {
    pub order_id: Uuid,
    pub correlation_id: String,
    pub order: Order,
    pub rounding_adjustment: Option<Decimal>,
    pub company: Option<CompanyId>,
}

impl SubmitRequest {
    pub fn call(&self) -> ErpCall<'_> {
        ErpCall {
            order_id: self.order_id,
            correlation_id: &self.correlation_id,
            rounding_adjustment: self.rounding_adjustment,
            company: self.company,
        }
    }
}

/// One order's part of a batched facts lookup.
#[derive(Debug, Clone)]
pub struct FactsRequest {
    pub order_id: Uuid,
    pub correlation_id: String,
    pub order: Order,
    pub scope: FactsScope,
    pub company: Option<CompanyId>,
}

/// Which facts the rules in force need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FactsScope {
    /// An unknown customer will be created (it is `New`, not `Unknown`).
    pub create_customers: bool,
    /// The customer's pricelist price per line.
    pub prices: bool,
    /// The ERP's computed tax per line.
    pub taxes: bool,
    /// The customer's credit standing.
    pub credit: bool,
}

impl FactsRequest {
    pub fn call(&self) -> ErpCall<'_> {
        ErpCall {
            order_id: self.order_id,
            correlation_id: &self.correlation_id,
            rounding_adjustment: None,
            company: self.company,
        }
    }
}

/// One order's part of a batched confirmation.
#[derive(Debug, Clone)]
pub struct ConfirmRequest {
    pub order_id: Uuid,
    pub correlation_id: String,
    pub erp_order_id: i64,
    pub company: Option<CompanyId>,
}

impl ConfirmRequest {
    pub fn call(&self) -> ErpCall<'_> {
        ErpCall {
            order_id: self.order_id,
            correlation_id: &self.correlation_id,
            rounding_adjustment: None,
            company: self.company,
        }
    }
}

#[async_trait]
pub trait Erp: Send + Sync {
    /// Creates the order in the ERP, idempotently: calling it again for the
    /// same `call.order_id` finds the first one instead of making another.
    async fn submit_order(
        &self,
        call: ErpCall<'_>,
        order: &Order,
    ) -> Result<ErpSubmission, ErpError>;

    /// Confirms the ERP order (safe to repeat); returns the ERP's order name.
    async fn confirm_order(&self, call: ErpCall<'_>, erp_order_id: i64)
    -> Result<String, ErpError>;

    /// What the ERP knows of the order's customer, products, prices, taxes
    /// and credit, for the validation rules; read-only. `scope` says which
    /// facts the rules in force need, so no call is made for the others.
    /// `None` (the default): this adapter gathers no facts and the rules
    /// that need them do not run.
    async fn order_facts(
        &self,
        call: ErpCall<'_>,
        order: &Order,
        scope: FactsScope,
    ) -> Result<Option<ErpFacts>, ErpError> {
        let _ = (call, order, scope);
        Ok(None)
    }

    /// Facts of several orders; one result per request, in order. Default:
    /// one [`Self::order_facts`] after another.
    async fn orders_facts(
        &self,
        batch: &[FactsRequest],
    ) -> Vec<Result<Option<ErpFacts>, ErpError>> {
        let mut out = Vec::with_capacity(batch.len());
        for request in batch {
            out.push(
                self.order_facts(request.call(), &request.order, request.scope)
                    .await,
            );
        }
        out
    }

    /// Calls made to the ERP so far (a metric: calls per order).
    fn calls(&self) -> u64;

    /// Cancels the ERP order; safe to repeat. Adapters that cannot cancel
    /// say so as a permanent error (the job goes to the dead-letter queue).
    async fn cancel_order(
        &self,
        _call: ErpCall<'_>,
        erp_order_id: i64,
    ) -> Result<ErpCancellation, ErpError> {
        Err(ErpError::Permanent(format!(
            "this ERP adapter cannot cancel order {erp_order_id}"
        )))
    }

    /// Brings the ERP order to the channel's new content, idempotently (a
    /// repeat finds the lines already written), or says it is too late.
    async fn revise_order(
        &self,
        _call: ErpCall<'_>,
        erp_order_id: i64,
        _revision: OrderRevision<'_>,
    ) -> Result<ErpRevision, ErpError> {
        Err(ErpError::Permanent(format!(
            "this ERP adapter cannot revise order {erp_order_id}"
        )))
    }

    /// Whether [`Self::submit_orders`] / [`Self::confirm_orders`] really
    /// send several orders per round trip. When `false` (the default) a
    /// batcher passes every call straight through, so an adapter that only
    /// knows single orders behaves exactly as without a batcher.
    fn batches(&self) -> bool {
        false
    }

    /// Submits several orders; one result per request, in order. Each order
    /// keeps its own idempotency (calling it again for the same order finds
    /// the first record). Default: one [`Self::submit_order`] after another.
    async fn submit_orders(&self, batch: &[SubmitRequest]) -> Vec<Result<ErpSubmission, ErpError>> {
        let mut out = Vec::with_capacity(batch.len());
        for request in batch {
            out.push(self.submit_order(request.call(), &request.order).await);
        }
        out
    }

    /// Confirms several ERP orders; one result (the ERP order name) per
    /// request, in order. Default: one [`Self::confirm_order`] after another.
    async fn confirm_orders(&self, batch: &[ConfirmRequest]) -> Vec<Result<String, ErpError>> {
        let mut out = Vec::with_capacity(batch.len());
        for request in batch {
            out.push(
                self.confirm_order(request.call(), request.erp_order_id)
                    .await,
            );
        }
        out
    }
}
