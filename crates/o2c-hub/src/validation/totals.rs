//! Totals: the lines, shipping and tax must add up to what the channel
//! declared. Channels and ERPs round tax differently (per line or on the
//! total), so a difference within the tolerance is rounding — kept, to be
//! posted as an adjustment line — and anything larger holds the order.

use o2c_model::Order;
use rust_decimal::Decimal;

use super::Effective;

#[derive(Debug, Clone, PartialEq)]
pub enum TotalsCheck {
    /// The channel declared no total.
    NotDeclared,
    Matches,
    /// Declared minus computed, within tolerance and not zero.
    Rounding {
        difference: Decimal,
    },
    Mismatch {
        declared: Decimal,
        computed: Decimal,
    },
}

pub fn check_totals(order: &Order, policy: &Effective) -> TotalsCheck {
    let Some(declared) = &order.declared_totals else {
        return TotalsCheck::NotDeclared;
    };
    let lines = order.subtotal().amount;
    let shipping = order
        .shipping
        .as_ref()
        .map(|s| s.amount)
        .or(declared.shipping)
        .unwrap_or_default();
    // The channel's declared tax when it gives one, else the sum of the
    // lines' declared tax amounts (rates alone cannot be checked here: the
    // ERP computes tax, and that comparison is the tax rule's).
    let tax = declared.tax.unwrap_or_else(|| {
        order
            .lines
            .iter()
            .flat_map(|l| &l.taxes)
            .filter_map(|t| t.amount)
            .sum()
    });
    let computed = lines + shipping + tax;
    let difference = declared.total - computed;
    if difference.is_zero() {
        return TotalsCheck::Matches;
    }
    let tolerance = policy
        .totals_tolerance
        .max(declared.total.abs() * policy.totals_tolerance_ratio);
    if difference.abs() <= tolerance {
        TotalsCheck::Rounding { difference }
    } else {
        TotalsCheck::Mismatch {
            declared: declared.total,
            computed,
        }
    }
}
