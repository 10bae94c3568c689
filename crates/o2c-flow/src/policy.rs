//! Per-order policies: when to invoice, and how much rounding to forgive.
//!
//! Policies are data on the order (set by the Received event) rather than
//! configuration read at run time, so replaying a journal years later gives
//! the same answer even if the channel's defaults have changed since.

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::state::LineProgress;

/// When an order's goods are invoiced.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum InvoicePolicy {
    /// Each shipment is invoiced as it leaves: `invoiced ≤ shipped` per line.
    #[default]
    OnShipment,
    /// Each shipment is invoiced on proof of delivery: `invoiced ≤ delivered`.
    OnDelivery,
    /// A billing schedule outside the workflow decides (instalments,
    /// prepayment invoices): `invoiced ≤ ordered`, and the workflow never asks
    /// for an invoice itself.
    OnSchedule,
}

impl InvoicePolicy {
    /// The snake_case name, identical to the serde representation.
    pub fn as_str(self) -> &'static str {
        match self {
            InvoicePolicy::OnShipment => "on_shipment",
            InvoicePolicy::OnDelivery => "on_delivery",
            InvoicePolicy::OnSchedule => "on_schedule",
        }
    }

    /// The most of a line that may have been invoiced so far.
    pub fn invoiceable(self, line: &LineProgress) -> Decimal {
        match self {
            InvoicePolicy::OnShipment => line.shipped,
            InvoicePolicy::OnDelivery => line.delivered,
            InvoicePolicy::OnSchedule => line.ordered,
        }
    }
}

/// How far the ERP's invoice total may exceed the channel's order total, and
/// how small an unpaid remainder still counts as paid. Channels and the ERP
/// round tax per line or per document differently, so the cent must not
/// block an order; anything larger is a real discrepancy.
pub const AMOUNT_TOLERANCE: Decimal = Decimal::from_parts(1, 0, 0, false, 2);

/// The largest quantity or amount the workflow accepts (10^15).
///
/// `Decimal` keeps 28 significant digits and silently rounds beyond them, so
/// sums of extreme values would stop being exact. With at most 15 integer
/// digits and [`MAX_SCALE`] decimals a value needs 24 digits, which leaves
/// room to add up thousands of them exactly: every total in
/// [`crate::OrderState`] stays the exact sum of its journal.
pub const MAX_MAGNITUDE: Decimal = Decimal::from_parts(0xA4C6_8000, 0x0003_8D7E, 0, false, 0);

/// The most decimal places a quantity or amount may carry (trailing zeros do
/// not count).
pub const MAX_SCALE: u32 = 9;

/// Whether `value` lies in `[0, MAX_MAGNITUDE]` with at most `MAX_SCALE`
/// significant decimals.
pub fn in_range(value: Decimal) -> bool {
    value >= Decimal::ZERO && value <= MAX_MAGNITUDE && value.normalize().scale() <= MAX_SCALE
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn tolerance_is_one_cent() {
        assert_eq!(AMOUNT_TOLERANCE, dec!(0.01));
    }

    #[test]
    fn range_limits() {
        assert_eq!(MAX_MAGNITUDE, dec!(1_000_000_000_000_000));
        assert!(in_range(MAX_MAGNITUDE));
        assert!(in_range(dec!(0)));
        assert!(in_range(dec!(1.123456789000)));
        assert!(!in_range(dec!(1.1234567891)));
        assert!(!in_range(dec!(-0.01)));
        assert!(!in_range(MAX_MAGNITUDE + dec!(1)));
        assert!(!in_range(Decimal::MAX));
    }

    #[test]
    fn serde_names() {
        for p in [
            InvoicePolicy::OnShipment,
            InvoicePolicy::OnDelivery,
            InvoicePolicy::OnSchedule,
        ] {
            assert_eq!(
                serde_json::to_string(&p).unwrap(),
                format!("\"{}\"", p.as_str())
            );
        }
    }

    #[test]
    fn invoiceable_follows_policy() {
        let line = LineProgress {
            ordered: dec!(10),
            allocated: dec!(8),
            shipped: dec!(6),
            delivered: dec!(4),
            ..LineProgress::default()
        };
        assert_eq!(InvoicePolicy::OnShipment.invoiceable(&line), dec!(6));
        assert_eq!(InvoicePolicy::OnDelivery.invoiceable(&line), dec!(4));
        assert_eq!(InvoicePolicy::OnSchedule.invoiceable(&line), dec!(10));
    }
}
