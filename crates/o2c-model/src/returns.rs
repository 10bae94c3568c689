//! Returns: a customer's `ReturnRequest` (RMA) and the `CreditNote` that refunds it.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::currency::Currency;
use crate::invoice::{InvoiceLine, InvoiceTotals};
use crate::quantity::Quantity;
use crate::refs::ExternalRef;

/// Status of a return.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ReturnStatus {
    /// Asked for by the customer or channel.
    Requested,
    /// Authorized (RMA issued).
    Approved,
    /// Goods received back.
    Received,
    /// Refused.
    Rejected,
    /// Refunded / closed.
    Refunded,
}

/// One returned product line.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnLine {
    /// The order line returned.
    pub order_line_id: String,
    /// Product SKU.
    pub sku: String,
    /// Quantity returned.
    pub quantity: Quantity,
    /// Reason code (e.g. `"damaged"`, `"wrong_item"`, `"no_longer_needed"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Lot of the returned goods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lot: Option<String>,
    /// Serial numbers of the returned goods.
    #[serde(default)]
    pub serials: Vec<String>,
}

/// A request to return goods of an order.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnRequest {
    /// Hub id (UUIDv7).
    pub id: Uuid,
    /// Hub order id.
    pub order_id: Uuid,
    /// Return merchandise authorization number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rma_number: Option<String>,
    /// Ids elsewhere (channel return id, Odoo return picking).
    #[serde(default)]
    pub external_refs: Vec<ExternalRef>,
    /// Lines to return.
    pub lines: Vec<ReturnLine>,
    /// Overall reason or customer comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When the return was requested.
    pub requested_at: DateTime<Utc>,
    /// Status.
    pub status: ReturnStatus,
}

/// A credit note (refund invoice) for an order, usually after a return.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreditNote {
    /// Hub id (UUIDv7).
    pub id: Uuid,
    /// Credit note number as issued by the ERP (e.g. `"RINV/2024/00007"`).
    pub number: String,
    /// Hub order id.
    pub order_id: Uuid,
    /// Hub id of the credited invoice, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice_id: Option<Uuid>,
    /// Number of the credited invoice, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice_number: Option<String>,
    /// Hub id of the return that caused it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_id: Option<Uuid>,
    /// Ids elsewhere (Odoo `account.move` id).
    #[serde(default)]
    pub external_refs: Vec<ExternalRef>,
    /// Currency of every amount.
    pub currency: Currency,
    /// Credited lines (positive amounts).
    pub lines: Vec<InvoiceLine>,
    /// Totals (positive amounts).
    pub totals: InvoiceTotals,
    /// When it was issued.
    pub issued_at: DateTime<Utc>,
    /// Why it was issued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}
