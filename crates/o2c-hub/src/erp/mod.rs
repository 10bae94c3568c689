//! The ERP port: what the workflow asks of the transaction core. Odoo is the
//! one adapter today (`odoo.rs`); tests may plug in their own.

pub mod odoo;

use async_trait::async_trait;
use o2c_flow::HoldReason;
use o2c_model::Order;
use uuid::Uuid;

/// Who a call is for, so the adapter can tag and trace it.
#[derive(Debug, Clone, Copy)]
pub struct ErpCall<'a> {
    pub order_id: Uuid,
    pub correlation_id: &'a str,
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

#[derive(Debug, thiserror::Error)]
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

    /// Calls made to the ERP so far (a metric: calls per order).
    fn calls(&self) -> u64;
}
