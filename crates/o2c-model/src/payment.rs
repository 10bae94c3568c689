//! `Payment`: money received from a customer (Stripe, bank statement, EDI 820,
//! manual entry or collected by the channel).

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::money::Money;
use crate::refs::ExternalRef;

/// Where a payment was reported from.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum PaymentSource {
    /// Stripe charge / payout.
    Stripe,
    /// Bank statement line (camt.053, BAI2, MT940).
    Bank,
    /// EDI 820 remittance advice.
    #[serde(rename = "edi_820")]
    Edi820,
    /// Entered by a person.
    Manual,
    /// Collected by the sales channel (marketplace settlement).
    Channel,
}

/// Who paid, as the payment source tells it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Payer {
    /// Payer name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Payer account (IBAN, account number, Stripe customer id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// Ids of the payer in other systems.
    #[serde(default)]
    pub external_refs: Vec<ExternalRef>,
}

/// Part of a payment the payer assigned to one invoice (remittance).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentAllocation {
    /// Invoice number as the payer quotes it.
    pub invoice_number: String,
    /// Amount paid against it.
    pub amount: Money,
}

/// A received payment.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Payment {
    /// Hub id (UUIDv7).
    pub id: Uuid,
    /// Source of the report.
    pub source: PaymentSource,
    /// Amount received (gross, before fees).
    pub amount: Money,
    /// The source's unique reference (Stripe charge id, bank reference, 820 trace number);
    /// it is the natural key of the payment in the ERP.
    pub reference: String,
    /// Who paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer: Option<Payer>,
    /// Value date (bank booking date or capture date).
    pub value_date: NaiveDate,
    /// Fees withheld by the source (Stripe fee, marketplace commission).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fees: Option<Money>,
    /// Hub order id, when the payment is known to be for one order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<Uuid>,
    /// Remittance: how the payer split the amount across invoices.
    #[serde(default)]
    pub allocations: Vec<PaymentAllocation>,
    /// Ids elsewhere (Odoo `account.payment` id, statement line id).
    #[serde(default)]
    pub external_refs: Vec<ExternalRef>,
}
