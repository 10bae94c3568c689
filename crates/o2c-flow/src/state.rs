//! The order as a projection of its journal.
//!
//! `OrderState` holds only what the journal implies, so it can be rebuilt at
//! any time by [`crate::replay`] and compared field by field. Besides the
//! running totals it remembers the external ids already seen (shipments,
//! invoices, payments, returns, credit notes): a message delivered twice by a
//! channel or a bank must not count twice, even if the inbox missed it.

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::event::HoldReason;
use crate::policy::{AMOUNT_TOLERANCE, InvoicePolicy};
use crate::status::OrderStatus;

/// Running quantities of one order line. All are cumulative and only grow;
/// `returned` is tracked separately instead of reducing `shipped` so the
/// history of what left the warehouse stays visible.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LineProgress {
    pub ordered: Decimal,
    pub allocated: Decimal,
    pub shipped: Decimal,
    pub delivered: Decimal,
    pub invoiced: Decimal,
    pub returned: Decimal,
    pub unit_net: Decimal,
}

impl LineProgress {
    /// Ordered but not yet allocated.
    pub fn backordered(&self) -> Decimal {
        self.ordered - self.allocated
    }
}

/// One shipment, remembered so its delivery can be matched to its lines.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ShipmentRecord {
    /// line_id → quantity shipped in this shipment.
    pub lines: BTreeMap<String, Decimal>,
    pub delivered: bool,
}

/// The current state of one order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct OrderState {
    pub order_id: Uuid,
    pub status: OrderStatus,
    /// Number of events applied; 0 means not yet received.
    pub version: u64,
    pub currency: String,
    pub invoice_policy: InvoicePolicy,
    /// line_id → progress.
    pub lines: BTreeMap<String, LineProgress>,
    pub order_total: Decimal,
    pub invoiced_amount: Decimal,
    /// Payments applied to invoices; never above `invoiced_amount`.
    pub paid_amount: Decimal,
    /// Money received but not (yet) applied to an invoice: prepayments and
    /// overpayments. Applied automatically to later invoices, like an
    /// outstanding credit in the ERP; reduced first by refunds.
    pub overpaid_amount: Decimal,
    pub refunded_amount: Decimal,
    /// The part of `refunded_amount` that paid back unapplied credit
    /// (`overpaid_amount`) rather than money applied to invoices.
    pub refunded_from_credit: Decimal,
    pub holds: BTreeSet<HoldReason>,
    pub hold_detail: Option<String>,
    /// The status to resume when the holds are released after submission.
    pub held_from: Option<OrderStatus>,
    pub erp_order_id: Option<i64>,
    pub erp_order_name: Option<String>,
    pub mapping: Option<String>,
    pub cancel_reason: Option<String>,
    /// shipment_id → what it carried.
    pub shipments: BTreeMap<String, ShipmentRecord>,
    /// invoice_id → amount.
    pub invoices: BTreeMap<String, Decimal>,
    /// payment_id → amount.
    pub payments: BTreeMap<String, Decimal>,
    /// return_id → line_id → quantity.
    pub returns: BTreeMap<String, BTreeMap<String, Decimal>>,
    /// credit_note_id → amount refunded.
    pub refunds: BTreeMap<String, Decimal>,
    /// Refunds the channel made on its own (refund id → amount); kept apart
    /// from `refunds`, which are the hub's credit notes against payments.
    #[serde(default)]
    pub channel_refunds: BTreeMap<String, Decimal>,
}

/// The empty state of an order before its `Received` event. Its status reads
/// `Received` only because the enum has no "nothing yet" value; `version == 0`
/// is what marks it as empty.
pub fn initial(order_id: Uuid) -> OrderState {
    OrderState {
        order_id,
        status: OrderStatus::Received,
        version: 0,
        currency: String::new(),
        invoice_policy: InvoicePolicy::default(),
        lines: BTreeMap::new(),
        order_total: Decimal::ZERO,
        invoiced_amount: Decimal::ZERO,
        paid_amount: Decimal::ZERO,
        overpaid_amount: Decimal::ZERO,
        refunded_amount: Decimal::ZERO,
        refunded_from_credit: Decimal::ZERO,
        holds: BTreeSet::new(),
        hold_detail: None,
        held_from: None,
        erp_order_id: None,
        erp_order_name: None,
        mapping: None,
        cancel_reason: None,
        shipments: BTreeMap::new(),
        invoices: BTreeMap::new(),
        payments: BTreeMap::new(),
        returns: BTreeMap::new(),
        refunds: BTreeMap::new(),
        channel_refunds: BTreeMap::new(),
    }
}

impl OrderState {
    /// Whether the `Received` event has been applied.
    pub fn is_received(&self) -> bool {
        self.version > 0
    }

    pub fn is_submitted(&self) -> bool {
        self.erp_order_id.is_some()
    }

    pub fn anything_shipped(&self) -> bool {
        self.lines.values().any(|l| l.shipped > Decimal::ZERO)
    }

    pub fn anything_invoiced(&self) -> bool {
        !self.invoices.is_empty()
    }

    pub fn fully_allocated(&self) -> bool {
        self.lines.values().all(|l| l.allocated >= l.ordered)
    }

    pub fn fully_shipped(&self) -> bool {
        self.lines.values().all(|l| l.shipped >= l.ordered)
    }

    pub fn fully_delivered(&self) -> bool {
        self.lines.values().all(|l| l.delivered >= l.ordered)
    }

    pub fn fully_invoiced(&self) -> bool {
        self.lines.values().all(|l| l.invoiced >= l.ordered)
    }

    /// Invoiced but not yet paid.
    pub fn open_amount(&self) -> Decimal {
        self.invoiced_amount - self.paid_amount
    }

    /// Everything is invoiced and the unpaid rest is within the rounding
    /// tolerance.
    pub fn fully_paid(&self) -> bool {
        self.fully_invoiced() && self.open_amount() <= AMOUNT_TOLERANCE
    }

    /// The order has nothing left to do: the condition for `CloseOrder`.
    pub fn closable(&self) -> bool {
        self.fully_shipped() && self.fully_paid()
    }

    /// Money that can still be refunded: unapplied credit plus applied
    /// payments not refunded yet.
    pub fn refundable_amount(&self) -> Decimal {
        self.overpaid_amount + self.paid_amount - (self.refunded_amount - self.refunded_from_credit)
    }

    /// The status allocation progress implies (Confirmed phase).
    pub fn allocation_status(&self) -> OrderStatus {
        let any = self.lines.values().any(|l| l.allocated > Decimal::ZERO);
        if self.fully_allocated() {
            OrderStatus::Allocated
        } else if any {
            OrderStatus::PartiallyAllocated
        } else {
            OrderStatus::Backordered
        }
    }

    /// The status fulfilment and billing progress imply once the order is
    /// released: the furthest stage reached. Each test only looks at totals
    /// that never shrink, so the result never moves backwards.
    pub fn progress_status(&self) -> OrderStatus {
        if self.fully_paid() {
            OrderStatus::Paid
        } else if self.paid_amount > Decimal::ZERO {
            OrderStatus::PartiallyPaid
        } else if self.fully_invoiced() {
            OrderStatus::Invoiced
        } else if self.anything_invoiced() {
            OrderStatus::PartiallyInvoiced
        } else if self.fully_delivered() {
            OrderStatus::Delivered
        } else if self.fully_shipped() {
            OrderStatus::Shipped
        } else if self.anything_shipped() {
            OrderStatus::PartiallyShipped
        } else {
            OrderStatus::Released
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn state_with(line: LineProgress) -> OrderState {
        let mut s = initial(Uuid::nil());
        s.version = 1;
        s.lines.insert("1".into(), line);
        s
    }

    #[test]
    fn initial_is_empty() {
        let s = initial(Uuid::nil());
        assert!(!s.is_received());
        assert_eq!(s.version, 0);
        assert!(s.lines.is_empty());
    }

    #[test]
    fn allocation_status_by_totals() {
        let mut l = LineProgress {
            ordered: dec!(4),
            ..Default::default()
        };
        assert_eq!(
            state_with(l.clone()).allocation_status(),
            OrderStatus::Backordered
        );
        l.allocated = dec!(1);
        assert_eq!(l.backordered(), dec!(3));
        assert_eq!(
            state_with(l.clone()).allocation_status(),
            OrderStatus::PartiallyAllocated
        );
        l.allocated = dec!(4);
        assert_eq!(state_with(l).allocation_status(), OrderStatus::Allocated);
    }

    #[test]
    fn progress_status_is_the_furthest_stage() {
        let mut s = state_with(LineProgress {
            ordered: dec!(2),
            allocated: dec!(2),
            ..Default::default()
        });
        assert_eq!(s.progress_status(), OrderStatus::Released);
        s.lines.get_mut("1").unwrap().shipped = dec!(1);
        assert_eq!(s.progress_status(), OrderStatus::PartiallyShipped);
        s.lines.get_mut("1").unwrap().shipped = dec!(2);
        assert_eq!(s.progress_status(), OrderStatus::Shipped);
        s.lines.get_mut("1").unwrap().delivered = dec!(2);
        assert_eq!(s.progress_status(), OrderStatus::Delivered);
        s.lines.get_mut("1").unwrap().invoiced = dec!(1);
        s.invoices.insert("I1".into(), dec!(10));
        s.invoiced_amount = dec!(10);
        assert_eq!(s.progress_status(), OrderStatus::PartiallyInvoiced);
        s.lines.get_mut("1").unwrap().invoiced = dec!(2);
        s.invoiced_amount = dec!(20);
        assert_eq!(s.progress_status(), OrderStatus::Invoiced);
        s.paid_amount = dec!(5);
        assert_eq!(s.progress_status(), OrderStatus::PartiallyPaid);
        s.paid_amount = dec!(19.995);
        assert_eq!(s.progress_status(), OrderStatus::Paid);
        assert!(s.closable());
    }
}
