//! The facts that move an order: one variant per journal entry.
//!
//! Events are past tense and come from outside the core (a channel, the
//! validator, the ERP, the warehouse, the bank); the core only judges whether
//! a fact fits the order's history. Quantities in `lines` are always the
//! increment carried by this event, never running totals, so the state is the
//! plain sum of the journal.

use std::borrow::Cow;
use std::fmt;

use rust_decimal::Decimal;
use schemars::{JsonSchema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

use crate::policy::InvoicePolicy;

/// One order line as captured from the channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LineSpec {
    pub line_id: String,
    pub quantity: Decimal,
    /// Unit price net of discount and tax, in the order's currency.
    pub unit_net: Decimal,
}

/// A quantity of one order line (allocated, shipped, invoiced, returned...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LineQty {
    pub line_id: String,
    pub quantity: Decimal,
}

impl LineQty {
    pub fn new(line_id: impl Into<String>, quantity: Decimal) -> Self {
        LineQty {
            line_id: line_id.into(),
            quantity,
        }
    }
}

/// Why an order is held. Serialized as its snake_case code so exception
/// queues, dashboards and the API share one vocabulary; codes this version
/// does not know survive as [`HoldReason::Other`] instead of failing to parse,
/// because validation rules are data and may be newer than the binary.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum HoldReason {
    UnknownProduct,
    UnknownCustomer,
    PriceMismatch,
    TaxMismatch,
    CreditHold,
    AddressInvalid,
    DuplicateSuspected,
    TotalsMismatch,
    /// A line's unit of measure is not one the ERP knows.
    UnknownUom,
    /// A line's unit does not convert to its product's unit (another
    /// category).
    UomMismatch,
    /// A line's tax cannot be checked against the ERP's (a tax the hub
    /// cannot compute, such as Odoo's Python-code taxes), while the
    /// channel's tax is not authoritative.
    TaxUnverified,
    /// The order's currency is not its customer's pricelist's, and no
    /// pricelist in the order's currency is configured for the channel or
    /// usable by the order's company.
    CurrencyUnsupported,
    /// Any other code. Build it with [`HoldReason::from_code`] so that a known
    /// code never ends up here (it would compare unequal to itself after a
    /// serde round trip).
    Other(String),
}

static KNOWN_REASONS: [HoldReason; 12] = [
    HoldReason::UnknownProduct,
    HoldReason::UnknownCustomer,
    HoldReason::PriceMismatch,
    HoldReason::TaxMismatch,
    HoldReason::CreditHold,
    HoldReason::AddressInvalid,
    HoldReason::DuplicateSuspected,
    HoldReason::TotalsMismatch,
    HoldReason::UnknownUom,
    HoldReason::UomMismatch,
    HoldReason::TaxUnverified,
    HoldReason::CurrencyUnsupported,
];

impl HoldReason {
    /// The stable reason code (`credit_hold`, `price_mismatch`, ...).
    pub fn code(&self) -> &str {
        match self {
            HoldReason::UnknownProduct => "unknown_product",
            HoldReason::UnknownCustomer => "unknown_customer",
            HoldReason::PriceMismatch => "price_mismatch",
            HoldReason::TaxMismatch => "tax_mismatch",
            HoldReason::CreditHold => "credit_hold",
            HoldReason::AddressInvalid => "address_invalid",
            HoldReason::DuplicateSuspected => "duplicate_suspected",
            HoldReason::TotalsMismatch => "totals_mismatch",
            HoldReason::UnknownUom => "unknown_uom",
            HoldReason::UomMismatch => "uom_mismatch",
            HoldReason::TaxUnverified => "tax_unverified",
            HoldReason::CurrencyUnsupported => "currency_unsupported",
            HoldReason::Other(code) => code,
        }
    }

    /// Parses a code; unknown codes become [`HoldReason::Other`].
    pub fn from_code(code: &str) -> HoldReason {
        KNOWN_REASONS
            .iter()
            .find(|r| r.code() == code)
            .cloned()
            .unwrap_or_else(|| HoldReason::Other(code.to_owned()))
    }

    /// The reasons this version knows by name.
    pub fn known() -> &'static [HoldReason] {
        &KNOWN_REASONS
    }
}

impl fmt::Display for HoldReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for HoldReason {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for HoldReason {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = Cow::<'de, str>::deserialize(deserializer)?;
        Ok(HoldReason::from_code(&code))
    }
}

impl JsonSchema for HoldReason {
    fn schema_name() -> Cow<'static, str> {
        "HoldReason".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> schemars::Schema {
        let known: Vec<&str> = KNOWN_REASONS.iter().map(|r| r.code()).collect();
        json_schema!({
            "type": "string",
            "description": "Hold reason code. Known codes are listed in `examples`; other snake_case codes are accepted.",
            "pattern": "^[a-z][a-z0-9_]*$",
            "examples": known,
        })
    }
}

/// A fact in an order's journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// The order was captured from a channel; always the first event.
    Received {
        order_id: Uuid,
        currency: String,
        lines: Vec<LineSpec>,
        /// The channel-declared gross total (tax and charges included); the
        /// ceiling for the sum of invoices.
        order_total: Decimal,
        #[serde(default)]
        invoice_policy: InvoicePolicy,
    },
    /// The payload was mapped to the canonical model by this mapping version.
    Mapped { mapping: String },
    /// All validation rules passed.
    Validated,
    /// Validation (or credit control) stopped the order.
    HoldPlaced {
        reasons: Vec<HoldReason>,
        detail: String,
    },
    /// An operator resolved or overrode every hold.
    HoldReleased { by: String, note: String },
    /// The order now exists in the ERP.
    SubmittedToErp {
        erp_order_id: i64,
        erp_order_name: String,
    },
    /// The ERP confirmed the order.
    ErpConfirmed,
    /// Stock was reserved; lines not listed (or not fully) stay backordered.
    Allocated { lines: Vec<LineQty> },
    /// The warehouse was told to pick what is allocated.
    ReleasedToWarehouse,
    /// Goods left the warehouse.
    Shipped {
        shipment_id: String,
        lines: Vec<LineQty>,
    },
    /// A shipment was delivered (proof of delivery).
    Delivered { shipment_id: String },
    /// The ERP posted an invoice.
    Invoiced {
        invoice_id: String,
        lines: Vec<LineQty>,
        amount: Decimal,
    },
    /// Money arrived (card capture, bank statement line, remittance advice).
    PaymentReceived { payment_id: String, amount: Decimal },
    /// The order was cancelled before anything shipped or was invoiced.
    Cancelled { reason: String },
    /// Goods came back.
    Returned {
        return_id: String,
        lines: Vec<LineQty>,
    },
    /// Money went back to the customer under a credit note.
    Refunded {
        credit_note_id: String,
        amount: Decimal,
    },
    /// The order is complete: shipped, invoiced and paid.
    Closed,
    /// The order was corrected before it reached the ERP (new lines and
    /// total), by an operator resolving a hold or by the channel sending a
    /// newer version of the order; it goes back through validation.
    Amended {
        lines: Vec<LineSpec>,
        order_total: Decimal,
        by: String,
        note: String,
    },
    /// The channel changed an order the ERP already holds, and the ERP order
    /// was revised to match (new lines and total). Only before anything has
    /// shipped or been invoiced: later changes are exceptions, not revisions.
    Revised {
        lines: Vec<LineSpec>,
        order_total: Decimal,
        by: String,
    },
    /// The channel refunded the customer (for example a Shopify refund). The
    /// money moved outside the hub, so the order's own payment totals are
    /// untouched; the refund is recorded once per id, and once the order is
    /// invoiced finance must settle it against the invoice.
    ChannelRefunded { refund_id: String, amount: Decimal },
}

impl Event {
    /// Every CloudEvents type this crate emits, in lifecycle order.
    pub const TYPE_NAMES: [&'static str; 20] = [
        "o2c.order.received.v1",
        "o2c.order.mapped.v1",
        "o2c.order.validated.v1",
        "o2c.order.hold_placed.v1",
        "o2c.order.hold_released.v1",
        "o2c.order.submitted.v1",
        "o2c.order.confirmed.v1",
        "o2c.order.allocated.v1",
        "o2c.order.released.v1",
        "o2c.order.shipped.v1",
        "o2c.order.delivered.v1",
        "o2c.order.invoiced.v1",
        "o2c.order.payment_received.v1",
        "o2c.order.cancelled.v1",
        "o2c.order.returned.v1",
        "o2c.order.refunded.v1",
        "o2c.order.closed.v1",
        "o2c.order.amended.v1",
        "o2c.order.revised.v1",
        "o2c.order.channel_refunded.v1",
    ];

    /// The CloudEvents `type` of this event, e.g. `o2c.order.received.v1`.
    /// Versioned separately from the Rust type so subscribers can pin it.
    pub fn type_name(&self) -> &'static str {
        Self::TYPE_NAMES[self.index()]
    }

    /// The serde tag (`received`, `submitted_to_erp`, ...).
    pub fn tag(&self) -> &'static str {
        match self {
            Event::Received { .. } => "received",
            Event::Mapped { .. } => "mapped",
            Event::Validated => "validated",
            Event::HoldPlaced { .. } => "hold_placed",
            Event::HoldReleased { .. } => "hold_released",
            Event::SubmittedToErp { .. } => "submitted_to_erp",
            Event::ErpConfirmed => "erp_confirmed",
            Event::Allocated { .. } => "allocated",
            Event::ReleasedToWarehouse => "released_to_warehouse",
            Event::Shipped { .. } => "shipped",
            Event::Delivered { .. } => "delivered",
            Event::Invoiced { .. } => "invoiced",
            Event::PaymentReceived { .. } => "payment_received",
            Event::Cancelled { .. } => "cancelled",
            Event::Returned { .. } => "returned",
            Event::Refunded { .. } => "refunded",
            Event::Closed => "closed",
            Event::Amended { .. } => "amended",
            Event::Revised { .. } => "revised",
            Event::ChannelRefunded { .. } => "channel_refunded",
        }
    }

    fn index(&self) -> usize {
        match self {
            Event::Received { .. } => 0,
            Event::Mapped { .. } => 1,
            Event::Validated => 2,
            Event::HoldPlaced { .. } => 3,
            Event::HoldReleased { .. } => 4,
            Event::SubmittedToErp { .. } => 5,
            Event::ErpConfirmed => 6,
            Event::Allocated { .. } => 7,
            Event::ReleasedToWarehouse => 8,
            Event::Shipped { .. } => 9,
            Event::Delivered { .. } => 10,
            Event::Invoiced { .. } => 11,
            Event::PaymentReceived { .. } => 12,
            Event::Cancelled { .. } => 13,
            Event::Returned { .. } => 14,
            Event::Refunded { .. } => 15,
            Event::Closed => 16,
            Event::Amended { .. } => 17,
            Event::Revised { .. } => 18,
            Event::ChannelRefunded { .. } => 19,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;
    use serde_json::json;

    #[test]
    fn hold_reason_codes_round_trip() {
        for r in HoldReason::known() {
            let json = serde_json::to_value(r).unwrap();
            assert_eq!(json, json!(r.code()));
            let back: HoldReason = serde_json::from_value(json).unwrap();
            assert_eq!(&back, r);
        }
        let other: HoldReason = serde_json::from_value(json!("embargo")).unwrap();
        assert_eq!(other, HoldReason::Other("embargo".into()));
        assert_eq!(other.code(), "embargo");
        assert_eq!(HoldReason::from_code("credit_hold"), HoldReason::CreditHold);
    }

    #[test]
    fn event_json_shape() {
        let e = Event::Shipped {
            shipment_id: "S1".into(),
            lines: vec![LineQty::new("1", dec!(2))],
        };
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["type"], "shipped");
        assert_eq!(v["shipment_id"], "S1");
        let back: Event = serde_json::from_value(v).unwrap();
        assert_eq!(back, e);

        let v = serde_json::to_value(Event::ErpConfirmed).unwrap();
        assert_eq!(v, json!({"type": "erp_confirmed"}));
    }

    #[test]
    fn received_defaults_to_invoice_on_shipment() {
        let v = json!({
            "type": "received",
            "order_id": "0190f3a0-0000-7000-8000-000000000001",
            "currency": "EUR",
            "lines": [{"line_id": "1", "quantity": "2", "unit_net": "9.50"}],
            "order_total": "19.00"
        });
        let e: Event = serde_json::from_value(v).unwrap();
        match e {
            Event::Received {
                invoice_policy,
                lines,
                ..
            } => {
                assert_eq!(invoice_policy, InvoicePolicy::OnShipment);
                assert_eq!(lines[0].unit_net, dec!(9.50));
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn type_names_are_cloudevents_types() {
        assert_eq!(Event::Validated.type_name(), "o2c.order.validated.v1");
        assert_eq!(Event::ErpConfirmed.type_name(), "o2c.order.confirmed.v1");
        for t in Event::TYPE_NAMES {
            assert!(t.starts_with("o2c.order.") && t.ends_with(".v1"), "{t}");
        }
        let mut names = Event::TYPE_NAMES.to_vec();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Event::TYPE_NAMES.len());
    }
}
