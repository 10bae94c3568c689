//! Order statuses and the lifecycle graph.
//!
//! The status is a coarse, human-facing summary of an order: the quantities
//! and amounts in [`crate::OrderState`] carry the detail. Once an order is
//! released to the warehouse, shipping, invoicing and payment progress in
//! parallel (an order can be invoiced on a schedule before it ships, or be
//! paid up front), so the status there is the *furthest stage reached* and
//! only ever moves forward. The graph returned by [`lifecycle_edges`] is the
//! complete set of status changes [`crate::apply`] can make; the property
//! tests hold the implementation to it and check that every edge is reachable.

use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Where an order stands in its lifecycle.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    Received,
    Mapped,
    Validated,
    OnHold,
    Submitted,
    Confirmed,
    PartiallyAllocated,
    Allocated,
    Backordered,
    Released,
    PartiallyShipped,
    Shipped,
    Delivered,
    PartiallyInvoiced,
    Invoiced,
    PartiallyPaid,
    Paid,
    Closed,
    Cancelled,
    Returned,
    Refunded,
}

use OrderStatus::*;

impl OrderStatus {
    /// Every status, in lifecycle order; handy for dashboards and exhaustive tests.
    pub const ALL: [OrderStatus; 21] = [
        Received,
        Mapped,
        Validated,
        OnHold,
        Submitted,
        Confirmed,
        PartiallyAllocated,
        Allocated,
        Backordered,
        Released,
        PartiallyShipped,
        Shipped,
        Delivered,
        PartiallyInvoiced,
        Invoiced,
        PartiallyPaid,
        Paid,
        Closed,
        Cancelled,
        Returned,
        Refunded,
    ];

    /// The snake_case name, identical to the serde representation.
    pub fn as_str(self) -> &'static str {
        match self {
            Received => "received",
            Mapped => "mapped",
            Validated => "validated",
            OnHold => "on_hold",
            Submitted => "submitted",
            Confirmed => "confirmed",
            PartiallyAllocated => "partially_allocated",
            Allocated => "allocated",
            Backordered => "backordered",
            Released => "released",
            PartiallyShipped => "partially_shipped",
            Shipped => "shipped",
            Delivered => "delivered",
            PartiallyInvoiced => "partially_invoiced",
            Invoiced => "invoiced",
            PartiallyPaid => "partially_paid",
            Paid => "paid",
            Closed => "closed",
            Cancelled => "cancelled",
            Returned => "returned",
            Refunded => "refunded",
        }
    }

    /// No further work is expected. Terminal statuses are not dead ends: the
    /// graph still lets goods and money come back (a return or a refund after
    /// closing; a late payment or a refund of a prepayment after cancelling,
    /// which keep the order Cancelled), because those are facts the hub must
    /// record, not requests it may refuse. Refunded is not terminal: it is
    /// followed by Closed once the order is otherwise complete.
    pub fn is_terminal(self) -> bool {
        matches!(self, Closed | Cancelled)
    }

    /// Statuses whose value is derived from fulfilment and billing progress
    /// (see [`crate::OrderState::progress_status`]); they only move forward.
    pub fn is_progress(self) -> bool {
        matches!(
            self,
            Released
                | PartiallyShipped
                | Shipped
                | Delivered
                | PartiallyInvoiced
                | Invoiced
                | PartiallyPaid
                | Paid
        )
    }

    /// Returned and Refunded are "sticky": once goods or money went back the
    /// order stays visibly in after-sales even while in-flight shipments,
    /// invoices and payments are still recorded against it.
    pub fn is_after_sales(self) -> bool {
        matches!(self, Returned | Refunded)
    }

    /// The stages that follow ERP confirmation and precede the release to
    /// the warehouse; a credit hold may still stop the order here.
    pub fn is_allocation(self) -> bool {
        matches!(
            self,
            Confirmed | PartiallyAllocated | Allocated | Backordered
        )
    }

    /// Before the order exists in the ERP; any hold reason may stop it here.
    pub fn is_pre_submission(self) -> bool {
        matches!(self, Received | Mapped | Validated)
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error for [`OrderStatus::from_str`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown order status `{0}`")]
pub struct UnknownStatus(pub String);

impl FromStr for OrderStatus {
    type Err = UnknownStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OrderStatus::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| UnknownStatus(s.to_owned()))
    }
}

/// The lifecycle graph: every status change `apply` can make (staying in the
/// same status is always allowed and not listed). Kept as data so docs and
/// tests read the same source as the dashboard.
pub fn lifecycle_edges() -> Vec<(OrderStatus, OrderStatus)> {
    // Forward progress after release; the prefix (ship / invoice) is skipped
    // when an order is invoiced on a schedule or its invoice consumes a
    // prepayment.
    const PROGRESS: [OrderStatus; 8] = [
        Released,
        PartiallyShipped,
        Shipped,
        Delivered,
        PartiallyInvoiced,
        Invoiced,
        PartiallyPaid,
        Paid,
    ];
    let mut edges = vec![
        (Received, Mapped),
        (Received, OnHold),
        (Received, Cancelled),
        (Mapped, Validated),
        (Mapped, OnHold),
        (Mapped, Cancelled),
        (Validated, Submitted),
        // The channel sent a newer version while validation ran.
        (Validated, Mapped),
        (Validated, OnHold),
        (Validated, Cancelled),
        // A release before submission always resumes at Validated; after
        // confirmation it resumes where the credit hold stopped the order.
        (OnHold, Validated),
        (OnHold, Mapped),
        (OnHold, Confirmed),
        (OnHold, PartiallyAllocated),
        (OnHold, Allocated),
        (OnHold, Backordered),
        // The warehouse may have acted on a release sent before a credit hold.
        (OnHold, Released),
        (OnHold, Cancelled),
        (Submitted, Confirmed),
        (Submitted, Cancelled),
        (Confirmed, PartiallyAllocated),
        (Confirmed, Allocated),
        (Confirmed, Backordered),
        (Confirmed, OnHold),
        (Confirmed, Cancelled),
        (Backordered, PartiallyAllocated),
        (Backordered, Allocated),
        (Backordered, OnHold),
        (Backordered, Cancelled),
        (PartiallyAllocated, Allocated),
        // A channel revision can raise or replace what was allocated.
        (PartiallyAllocated, Backordered),
        (Allocated, PartiallyAllocated),
        (Allocated, Backordered),
        (PartiallyAllocated, Released),
        (PartiallyAllocated, OnHold),
        (PartiallyAllocated, Cancelled),
        (Allocated, Released),
        (Allocated, OnHold),
        (Allocated, Cancelled),
    ];
    for (i, &from) in PROGRESS.iter().enumerate() {
        for &to in &PROGRESS[i + 1..] {
            // Delivered means everything was delivered, which needs a
            // separate shipment event first.
            let impossible = to == Delivered && from != Shipped;
            if !impossible {
                edges.push((from, to));
            }
        }
        if from != Released {
            // Something has shipped, so something can come back.
            edges.push((from, Returned));
        }
        if matches!(from, PartiallyPaid | Paid) {
            // Only a refund of money applied to invoices changes the status;
            // paying back an unapplied prepayment or overpayment does not.
            edges.push((from, Refunded));
        }
    }
    edges.extend([
        // Cancelling stays possible until the first shipment or invoice.
        (Released, Cancelled),
        (Paid, Closed),
        (Returned, Refunded),
        (Returned, Closed),
        (Refunded, Returned),
        (Refunded, Closed),
        (Closed, Returned),
        (Closed, Refunded),
    ]);
    edges
}

/// Whether `from → to` is an edge of [`lifecycle_edges`] or no change at all.
pub fn is_allowed_transition(from: OrderStatus, to: OrderStatus) -> bool {
    from == to || lifecycle_edges().contains(&(from, to))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn as_str_matches_serde_and_from_str() {
        for st in OrderStatus::ALL {
            let json = serde_json::to_string(&st).unwrap();
            assert_eq!(json, format!("\"{}\"", st.as_str()));
            assert_eq!(st.as_str().parse::<OrderStatus>().unwrap(), st);
            assert_eq!(st.to_string(), st.as_str());
        }
        assert!("nope".parse::<OrderStatus>().is_err());
    }

    #[test]
    fn terminal_statuses() {
        let terminal: Vec<_> = OrderStatus::ALL
            .into_iter()
            .filter(|s| s.is_terminal())
            .collect();
        assert_eq!(terminal, vec![Closed, Cancelled]);
    }

    #[test]
    fn graph_has_no_duplicates_or_self_loops() {
        let edges = lifecycle_edges();
        let mut sorted = edges.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), edges.len());
        assert!(edges.iter().all(|(a, b)| a != b));
    }

    #[test]
    fn every_status_is_reachable_from_received() {
        let edges = lifecycle_edges();
        let mut seen = vec![Received];
        let mut i = 0;
        while i < seen.len() {
            let from = seen[i];
            for &(a, b) in &edges {
                if a == from && !seen.contains(&b) {
                    seen.push(b);
                }
            }
            i += 1;
        }
        assert_eq!(seen.len(), OrderStatus::ALL.len());
    }

    #[test]
    fn cancellation_is_only_reachable_before_shipping() {
        for (from, to) in lifecycle_edges() {
            if to == Cancelled {
                assert!(
                    !from.is_progress() || from == Released,
                    "{from} → cancelled"
                );
            }
        }
    }
}
