//! Why an event does not fit an order's history.
//!
//! Every rejection is a typed value with a stable [`FlowError::code`], because
//! the runtime routes them: a duplicate is acknowledged and dropped, an
//! illegal transition or an over-shipment becomes an exception for a human,
//! and none of them is retried as if it were a technical fault.

use rust_decimal::Decimal;

use crate::status::OrderStatus;

/// A rejected event. `decide`, `apply` and `step` return the same error for
/// the same state and event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FlowError {
    #[error("the order has not been received yet; `{event}` cannot come first")]
    NotReceived { event: &'static str },
    #[error("the order was already received")]
    AlreadyReceived,
    #[error("event is for order {found}, journal is for order {expected}")]
    OrderIdMismatch {
        expected: uuid::Uuid,
        found: uuid::Uuid,
    },
    #[error("`{event}` is not allowed while the order is {status}")]
    IllegalTransition {
        status: OrderStatus,
        event: &'static str,
    },
    #[error("invalid {field}: {reason}")]
    InvalidField {
        field: &'static str,
        reason: &'static str,
    },
    #[error("line `{line_id}` appears twice in the order")]
    DuplicateLine { line_id: String },
    #[error("unknown line `{line_id}`")]
    UnknownLine { line_id: String },
    #[error("quantity {quantity} for line `{line_id}` must be positive")]
    InvalidQuantity { line_id: String, quantity: Decimal },
    #[error("amount {amount} is not allowed here")]
    InvalidAmount { amount: Decimal },
    #[error("`{event}` needs at least one line")]
    NoLines { event: &'static str },
    #[error(
        "line `{line_id}`: allocating {requested} more exceeds the ordered {ordered} ({allocated} already allocated)"
    )]
    OverAllocation {
        line_id: String,
        ordered: Decimal,
        allocated: Decimal,
        requested: Decimal,
    },
    #[error(
        "line `{line_id}`: shipping {requested} more exceeds the ordered {ordered} ({shipped} already shipped)"
    )]
    OverShipment {
        line_id: String,
        ordered: Decimal,
        shipped: Decimal,
        requested: Decimal,
    },
    #[error(
        "line `{line_id}`: invoicing {requested} more exceeds the invoiceable {invoiceable} ({invoiced} already invoiced)"
    )]
    OverInvoice {
        line_id: String,
        invoiceable: Decimal,
        invoiced: Decimal,
        requested: Decimal,
    },
    #[error(
        "invoicing {requested} more exceeds the order total {order_total} ({invoiced} already invoiced)"
    )]
    OverInvoiceAmount {
        order_total: Decimal,
        invoiced: Decimal,
        requested: Decimal,
    },
    #[error("line `{line_id}`: returning {requested} more exceeds the returnable {returnable}")]
    OverReturn {
        line_id: String,
        returnable: Decimal,
        requested: Decimal,
    },
    #[error("refunding {requested} exceeds the refundable {refundable}")]
    OverRefund {
        refundable: Decimal,
        requested: Decimal,
    },
    #[error("{kind} `{id}` was already recorded")]
    Duplicate { kind: &'static str, id: String },
    #[error("unknown shipment `{shipment_id}`")]
    UnknownShipment { shipment_id: String },
    #[error("shipment `{shipment_id}` was already delivered")]
    AlreadyDelivered { shipment_id: String },
    #[error(
        "hold reason `{reason}` cannot be placed while the order is {status}; only a credit hold can stop a confirmed order"
    )]
    HoldNotAllowed { status: OrderStatus, reason: String },
    #[error("the order cannot be cancelled: something was already {what}")]
    CannotCancel { what: &'static str },
    #[error("the order cannot be revised: something was already {what}")]
    CannotRevise { what: &'static str },
    #[error("the order cannot close until it is fully shipped, invoiced and paid")]
    NotClosable,
    #[error("a quantity or amount is too large to add up")]
    Overflow,
}

impl FlowError {
    /// A stable snake_case code for APIs, metrics and exception records.
    pub fn code(&self) -> &'static str {
        match self {
            FlowError::NotReceived { .. } => "not_received",
            FlowError::AlreadyReceived => "already_received",
            FlowError::OrderIdMismatch { .. } => "order_id_mismatch",
            FlowError::IllegalTransition { .. } => "illegal_transition",
            FlowError::InvalidField { .. } => "invalid_field",
            FlowError::DuplicateLine { .. } => "duplicate_line",
            FlowError::UnknownLine { .. } => "unknown_line",
            FlowError::InvalidQuantity { .. } => "invalid_quantity",
            FlowError::InvalidAmount { .. } => "invalid_amount",
            FlowError::NoLines { .. } => "no_lines",
            FlowError::OverAllocation { .. } => "over_allocation",
            FlowError::OverShipment { .. } => "over_shipment",
            FlowError::OverInvoice { .. } => "over_invoice",
            FlowError::OverInvoiceAmount { .. } => "over_invoice_amount",
            FlowError::OverReturn { .. } => "over_return",
            FlowError::OverRefund { .. } => "over_refund",
            FlowError::Duplicate { .. } => "duplicate",
            FlowError::UnknownShipment { .. } => "unknown_shipment",
            FlowError::AlreadyDelivered { .. } => "already_delivered",
            FlowError::HoldNotAllowed { .. } => "hold_not_allowed",
            FlowError::CannotCancel { .. } => "cannot_cancel",
            FlowError::CannotRevise { .. } => "cannot_revise",
            FlowError::NotClosable => "not_closable",
            FlowError::Overflow => "overflow",
        }
    }

    /// The event repeats one already in the journal (same external id or a
    /// second `received`); the runtime can acknowledge it without alarm.
    pub fn is_duplicate(&self) -> bool {
        matches!(
            self,
            FlowError::AlreadyReceived
                | FlowError::Duplicate { .. }
                | FlowError::AlreadyDelivered { .. }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_and_code() {
        let e = FlowError::IllegalTransition {
            status: OrderStatus::Closed,
            event: "shipped",
        };
        assert_eq!(e.code(), "illegal_transition");
        assert_eq!(
            e.to_string(),
            "`shipped` is not allowed while the order is closed"
        );
        assert!(FlowError::AlreadyReceived.is_duplicate());
        assert!(!e.is_duplicate());
    }
}
