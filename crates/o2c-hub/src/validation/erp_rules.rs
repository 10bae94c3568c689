//! The rules that need the ERP's view of an order (customer, products,
//! prices, taxes, credit): pure comparisons of the canonical order with
//! [`ErpFacts`], each finding naming the JSON pointer of the field at fault.
//!
//! Prices: a line passes when either its gross unit price or its net unit
//! price (after the line's discounts) is within tolerance of the customer's
//! pricelist price, because channels send a list price with a discount as
//! often as the net price, and Odoo's pricelist may hold either. Both are
//! per the line's unit: the facts carry the pricelist price converted to
//! it.
//!
//! Taxes: a line whose Odoo tax the hub cannot compute (a Python-code tax)
//! is not passed silently: when the channel declares a tax for it and the
//! channel's taxes are not authoritative, the order holds with
//! `tax_unverified`, naming the tax.
//!
//! Currency: an order in a currency no pricelist of its customer, its
//! channel or its company is in holds with `currency_unsupported` (Odoo
//! would make it an order in the pricelist's currency with the channel's
//! figures).
//!
//! Units: a line in a unit Odoo does not know (`unknown_uom`) or that does
//! not convert to its product's unit (`uom_mismatch`) holds the order.

use chrono::{Duration, NaiveDate};
use o2c_flow::HoldReason;
use o2c_model::{Order, OrderLine};
use rust_decimal::Decimal;

use super::{Effective, Finding};
use crate::erp::facts::{
    CreditFacts, CustomerFacts, ErpFacts, LineUom, PricelistFacts, ProductFacts,
};

/// Compares the order with the ERP's facts; `today` decides what is overdue.
pub fn check_facts(
    order: &Order,
    facts: &ErpFacts,
    policy: &Effective,
    today: NaiveDate,
    findings: &mut Vec<Finding>,
) {
    match &facts.customer {
        CustomerFacts::Unknown => findings.push(Finding {
            reason: HoldReason::UnknownCustomer,
            pointer: "/customer".into(),
            detail: "no Odoo customer matches the order's references, email or VAT, and this channel may not create customers".into(),
        }),
        CustomerFacts::Known { credit, .. } if policy.credit_check => {
            check_credit(order, credit, policy, today, findings);
        }
        _ => {}
    }
    if let Some(finding) = check_currency(order, facts) {
        findings.push(finding);
    }
    for (index, line) in order.lines.iter().enumerate() {
        let Some(product) = facts.lines.get(index).and_then(|f| f.product.as_ref()) else {
            findings.push(Finding {
                reason: HoldReason::UnknownProduct,
                pointer: format!("/lines/{index}/sku"),
                detail: format!(
                    "no Odoo product has the SKU, barcode or customer code {:?}",
                    line.sku
                ),
            });
            continue;
        };
        if product.discontinued {
            findings.push(Finding {
                reason: HoldReason::UnknownProduct,
                pointer: format!("/lines/{index}/sku"),
                detail: format!(
                    "product {:?} is discontinued in Odoo (archived or not for sale)",
                    line.sku
                ),
            });
            continue;
        }
        if let Some(finding) = check_unit(index, line, product) {
            findings.push(finding);
            continue;
        }
        if !policy.price_authoritative
            && let Some(expected) = product.price_unit
        {
            let tolerance = policy
                .price_tolerance
                .max(expected.abs() * policy.price_tolerance_ratio);
            let gross = line.unit_price;
            let net = if line.quantity.value.is_zero() {
                gross
            } else {
                order.line_net(line).amount / line.quantity.value
            };
            if (gross - expected).abs() > tolerance && (net - expected).abs() > tolerance {
                findings.push(Finding {
                    reason: HoldReason::PriceMismatch,
                    pointer: format!("/lines/{index}/unit_price"),
                    detail: format!(
                        "the channel's price {gross} (net {}) differs from the customer's Odoo price {expected} by more than {tolerance} {}",
                        net.round_dp(4).normalize(),
                        order.currency.code()
                    ),
                });
            }
        }
        let declared: Option<Decimal> = line
            .taxes
            .iter()
            .filter_map(|t| t.amount)
            .fold(None, |acc, a| Some(acc.unwrap_or_default() + a));
        if !policy.tax_authoritative
            && let (Some(why), Some(declared)) = (&product.tax_unchecked, declared)
        {
            findings.push(Finding {
                reason: HoldReason::TaxUnverified,
                pointer: format!("/lines/{index}/taxes"),
                detail: format!(
                    "the channel declares {declared} tax {} but it cannot be checked against Odoo: {why}",
                    order.currency.code()
                ),
            });
        }
        if !policy.tax_authoritative
            && let Some(computed) = product.tax
            && let Some(declared) = declared
            && (declared - computed).abs() > policy.tax_tolerance
        {
            findings.push(Finding {
                reason: HoldReason::TaxMismatch,
                pointer: format!("/lines/{index}/taxes"),
                detail: format!(
                    "the channel declares {declared} tax but Odoo computes {computed} {}",
                    order.currency.code()
                ),
            });
        }
    }
    if !policy.tax_authoritative {
        check_order_tax(order, facts, policy, findings);
    }
}

/// The order's currency must be its Odoo pricelist's: the customer's, or
/// one found for the currency.
fn check_currency(order: &Order, facts: &ErpFacts) -> Option<Finding> {
    let PricelistFacts::Unsupported {
        currency,
        customer_currency,
        channel,
    } = &facts.pricelist
    else {
        return None;
    };
    let customer = match facts.customer.partner_id() {
        Some(id) => format!("customer {:?} (Odoo partner {id})", order.customer.name),
        None => format!("new customer {:?}", order.customer.name),
    };
    Some(Finding {
        reason: HoldReason::CurrencyUnsupported,
        pointer: "/currency".into(),
        detail: format!(
            "the order is in {currency} but the Odoo pricelist of {customer} is in {customer_currency}, and no active pricelist in {currency} is configured for channel {channel} ([pricelists]) or usable by the order's company: create one in Odoo, configure one for the channel, or cancel the order"
        ),
    })
}

/// The line's unit must be one Odoo knows and can convert to the product's
/// unit; whatever the channel's price policy, since Odoo would otherwise
/// refuse the line (16–18) or ship the wrong quantity.
fn check_unit(index: usize, line: &OrderLine, product: &ProductFacts) -> Option<Finding> {
    let product_unit = product.uom.as_deref().unwrap_or("its unit");
    let (reason, detail) = match product.line_uom {
        LineUom::Product | LineUom::Converted { .. } => return None,
        LineUom::Unknown => (
            HoldReason::UnknownUom,
            format!(
                "line {}: no Odoo unit of measure is named {:?} (map the channel's unit code to an Odoo unit in the channel's or partner's value maps)",
                line.line_id, line.quantity.uom
            ),
        ),
        LineUom::Incompatible { .. } => (
            HoldReason::UomMismatch,
            format!(
                "line {}: the unit {:?} does not convert to {product_unit:?}, the unit of product {:?} (another category of units)",
                line.line_id, line.quantity.uom, line.sku
            ),
        ),
    };
    Some(Finding {
        reason,
        pointer: format!("/lines/{index}/quantity/uom"),
        detail,
    })
}

/// A channel that declares tax only for the whole order: its lines' Odoo
/// tax must add up to it (within the tolerance per line).
fn check_order_tax(
    order: &Order,
    facts: &ErpFacts,
    policy: &Effective,
    findings: &mut Vec<Finding>,
) {
    let per_line_declared = order
        .lines
        .iter()
        .any(|l| l.taxes.iter().any(|t| t.amount.is_some()));
    let Some(declared) = order.declared_totals.as_ref().and_then(|t| t.tax) else {
        return;
    };
    if per_line_declared {
        return;
    }
    let unchecked: Vec<String> = facts
        .lines
        .iter()
        .enumerate()
        .filter_map(|(i, l)| {
            let why = l.product.as_ref()?.tax_unchecked.as_ref()?;
            Some(format!("line {}: {why}", order.lines.get(i)?.line_id))
        })
        .collect();
    if !unchecked.is_empty() {
        findings.push(Finding {
            reason: HoldReason::TaxUnverified,
            pointer: "/declared_totals/tax".into(),
            detail: format!(
                "the channel declares {declared} tax {} but it cannot be checked against Odoo: {}",
                order.currency.code(),
                unchecked.join("; ")
            ),
        });
        return;
    }
    let computed: Option<Decimal> = facts
        .lines
        .iter()
        .map(|l| l.product.as_ref().and_then(|p| p.tax))
        .sum();
    let Some(computed) = computed else {
        return;
    };
    let tolerance = policy.tax_tolerance * Decimal::from(order.lines.len().max(1));
    if (declared - computed).abs() > tolerance {
        findings.push(Finding {
            reason: HoldReason::TaxMismatch,
            pointer: "/declared_totals/tax".into(),
            detail: format!(
                "the channel declares {declared} tax but Odoo computes {computed} {} for the lines",
                order.currency.code()
            ),
        });
    }
}

fn check_credit(
    order: &Order,
    credit: &CreditFacts,
    policy: &Effective,
    today: NaiveDate,
    findings: &mut Vec<Finding>,
) {
    let cutoff = today - Duration::days(policy.overdue_grace_days.max(0));
    let overdue: Vec<String> = credit
        .overdue
        .iter()
        .filter(|i| i.due < cutoff && i.residual > Decimal::ZERO)
        .map(|i| format!("{} ({} due {})", i.name, i.residual, i.due))
        .collect();
    if !overdue.is_empty() {
        findings.push(Finding {
            reason: HoldReason::CreditHold,
            pointer: "/customer".into(),
            detail: format!("overdue invoices: {}", overdue.join(", ")),
        });
    }
    let Some(limit) = credit.limit.filter(|l| *l > Decimal::ZERO) else {
        return;
    };
    let amount = order_amount(order);
    // in the company currency, as Odoo's `amount_total / currency_rate`
    let (this_order, code, converted) = match &credit.currency {
        Some(c) if !c.order_rate.is_zero() => (
            round_to(amount / c.order_rate, c.rounding),
            c.code.as_str(),
            format!(" ({amount} {} converted)", order.currency.code()),
        ),
        _ => (amount, order.currency.code(), String::new()),
    };
    let exposure = credit.receivable + credit.open_orders + this_order;
    if exposure > limit {
        findings.push(Finding {
            reason: HoldReason::CreditHold,
            pointer: "/customer".into(),
            detail: format!(
                "open receivables {} + open orders {} + this order {this_order}{converted} = {exposure} exceeds the credit limit {limit} {code}",
                credit.receivable, credit.open_orders,
            ),
        });
    }
}

/// `value` rounded half away from zero to a multiple of `rounding` (the
/// ERP's currency rounding, such as 0.01).
fn round_to(value: Decimal, rounding: Decimal) -> Decimal {
    if rounding <= Decimal::ZERO {
        return value;
    }
    (value / rounding)
        .round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
        * rounding
}

/// What the order will add to the customer's exposure: the declared total,
/// else lines + shipping + declared tax.
fn order_amount(order: &Order) -> Decimal {
    if let Some(total) = order.declared_total() {
        return total.amount;
    }
    let tax: Decimal = order
        .lines
        .iter()
        .flat_map(|l| &l.taxes)
        .filter_map(|t| t.amount)
        .sum();
    order.subtotal().amount + order.shipping_amount().amount + tax
}

#[cfg(test)]
mod tests;
