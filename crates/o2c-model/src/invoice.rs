//! `Invoice`: a customer invoice with lines and totals in one currency.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::currency::Currency;
use crate::error::ModelError;
use crate::money::Money;
use crate::quantity::Quantity;
use crate::refs::ExternalRef;

/// Lifecycle status of an invoice (mirrors the ERP).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceStatus {
    /// Not posted yet.
    Draft,
    /// Posted, nothing paid.
    Posted,
    /// Posted, partly paid.
    PartiallyPaid,
    /// Fully paid.
    Paid,
    /// Cancelled.
    Cancelled,
}

/// One invoice (or credit note) line.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InvoiceLine {
    /// The order line invoiced, when the line comes from an order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_line_id: Option<String>,
    /// Product SKU (absent for service / fee lines).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    /// Line text.
    pub description: String,
    /// Quantity invoiced.
    pub quantity: Quantity,
    /// Price per unit before discount and tax.
    pub unit_price: Money,
    /// Discount percent, 0 to 100.
    #[serde(default, with = "crate::decimal")]
    #[schemars(with = "crate::decimal::DecimalSchema")]
    pub discount_percent: Decimal,
    /// Line amount after discount, before tax.
    pub net: Money,
    /// Tax on the line.
    pub tax: Money,
}

/// Totals of an invoice or credit note.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InvoiceTotals {
    /// Sum of line nets.
    pub subtotal: Money,
    /// Total tax.
    pub tax: Money,
    /// `subtotal + tax`.
    pub total: Money,
    /// What remains to be paid.
    pub amount_due: Money,
}

impl InvoiceTotals {
    /// Checks that all totals are in `currency` and `total = subtotal + tax`.
    pub fn check(&self, currency: Currency) -> Result<(), ModelError> {
        for m in [&self.subtotal, &self.tax, &self.total, &self.amount_due] {
            if m.currency != currency {
                return Err(ModelError::CurrencyMismatch {
                    op: "total",
                    left: currency.code().to_string(),
                    right: m.currency.code().to_string(),
                });
            }
        }
        let sum = self.subtotal.checked_add(&self.tax)?;
        if sum.amount != self.total.amount {
            return Err(ModelError::Validation(vec![
                crate::validation::FieldViolation::new(
                    "/totals/total",
                    format!("is {} but subtotal + tax is {}", self.total, sum),
                ),
            ]));
        }
        Ok(())
    }
}

/// A customer invoice.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Invoice {
    /// Hub id (UUIDv7).
    pub id: Uuid,
    /// Invoice number as issued by the ERP (e.g. `"INV/2024/00042"`).
    pub number: String,
    /// Hub order id.
    pub order_id: Uuid,
    /// Ids elsewhere (Odoo `account.move` id).
    #[serde(default)]
    pub external_refs: Vec<ExternalRef>,
    /// Currency of every amount.
    pub currency: Currency,
    /// Invoice lines.
    pub lines: Vec<InvoiceLine>,
    /// Totals.
    pub totals: InvoiceTotals,
    /// When the invoice was issued.
    pub issued_at: DateTime<Utc>,
    /// Payment due date.
    pub due_date: NaiveDate,
    /// Status.
    pub status: InvoiceStatus,
}
