//! What the workflow asks the shell to do next.
//!
//! Commands are intentions, not facts: the runtime stores them in the outbox
//! in the same transaction as the event that caused them, runs them through
//! an adapter, and feeds the outcome back as a new [`crate::Event`]. Because a
//! command may run more than once after a crash, each one carries a
//! deterministic idempotency suffix; with the order id and the journal
//! sequence number of the causing event it forms the key that adapters use to
//! recognise a repeat.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::event::{HoldReason, LineQty};
use crate::status::OrderStatus;

/// A request to the imperative shell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Command {
    /// Run the channel's versioned mapping over the stored payload.
    MapOrder,
    /// Run the validation rules (customer, product, price, tax, credit, ...).
    ValidateOrder,
    /// Create exception records for these reasons in the exception queue.
    OpenException { reasons: Vec<HoldReason> },
    /// Create the order in the ERP (guarded by a natural-key lookup).
    SubmitToErp,
    /// Confirm the ERP order.
    ConfirmErpOrder { erp_order_id: i64 },
    /// Send the allocated quantities to the warehouse.
    ReleaseToWarehouse,
    /// Ask the ERP to invoice these quantities.
    CreateInvoice { lines: Vec<LineQty> },
    /// Cancel the ERP order.
    CancelInErp { erp_order_id: i64 },
    /// Ask the ERP for a credit note for returned quantities.
    CreateCreditNote { lines: Vec<LineQty> },
    /// Close the order (archive, stop SLA clocks).
    CloseOrder,
    /// Tell subscribers (channels, CRM) about a status they care about.
    PublishStatus { status: OrderStatus },
}

impl Command {
    /// The serde tag: `submit_to_erp`, `create_invoice`, ...
    pub fn kind_name(&self) -> &'static str {
        match self {
            Command::MapOrder => "map_order",
            Command::ValidateOrder => "validate_order",
            Command::OpenException { .. } => "open_exception",
            Command::SubmitToErp => "submit_to_erp",
            Command::ConfirmErpOrder { .. } => "confirm_erp_order",
            Command::ReleaseToWarehouse => "release_to_warehouse",
            Command::CreateInvoice { .. } => "create_invoice",
            Command::CancelInErp { .. } => "cancel_in_erp",
            Command::CreateCreditNote { .. } => "create_credit_note",
            Command::CloseOrder => "close_order",
            Command::PublishStatus { .. } => "publish_status",
        }
    }

    /// Deterministic text naming this command and its arguments, e.g.
    /// `create_invoice:1=2,3=0.5`. Together with the order id and the causing
    /// event's sequence number it is a unique idempotency key: one event
    /// never yields two commands with the same suffix, and the same event
    /// always yields the same suffixes. Decimals are normalised so `2.0` and
    /// `2` cannot give two keys for one request.
    pub fn idempotency_suffix(&self) -> String {
        let kind = self.kind_name();
        match self {
            Command::MapOrder
            | Command::ValidateOrder
            | Command::SubmitToErp
            | Command::ReleaseToWarehouse
            | Command::CloseOrder => kind.to_owned(),
            Command::OpenException { reasons } => {
                let codes: Vec<&str> = reasons.iter().map(HoldReason::code).collect();
                format!("{kind}:{}", codes.join(","))
            }
            Command::ConfirmErpOrder { erp_order_id } | Command::CancelInErp { erp_order_id } => {
                format!("{kind}:{erp_order_id}")
            }
            Command::CreateInvoice { lines } | Command::CreateCreditNote { lines } => {
                format!("{kind}:{}", lines_key(lines))
            }
            Command::PublishStatus { status } => format!("{kind}:{}", status.as_str()),
        }
    }
}

fn lines_key(lines: &[LineQty]) -> String {
    let parts: Vec<String> = lines
        .iter()
        .map(|l| format!("{}={}", l.line_id, l.quantity.normalize()))
        .collect();
    parts.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn suffixes_are_deterministic_and_distinct() {
        let cmds = vec![
            Command::MapOrder,
            Command::ValidateOrder,
            Command::OpenException {
                reasons: vec![HoldReason::CreditHold, HoldReason::Other("x".into())],
            },
            Command::SubmitToErp,
            Command::ConfirmErpOrder { erp_order_id: 7 },
            Command::ReleaseToWarehouse,
            Command::CreateInvoice {
                lines: vec![LineQty::new("1", dec!(2.0)), LineQty::new("2", dec!(0.5))],
            },
            Command::CancelInErp { erp_order_id: 7 },
            Command::CreateCreditNote {
                lines: vec![LineQty::new("1", dec!(1))],
            },
            Command::CloseOrder,
            Command::PublishStatus {
                status: OrderStatus::Confirmed,
            },
        ];
        let suffixes: Vec<String> = cmds.iter().map(Command::idempotency_suffix).collect();
        assert_eq!(suffixes[2], "open_exception:credit_hold,x");
        assert_eq!(suffixes[6], "create_invoice:1=2,2=0.5");
        assert_eq!(suffixes[10], "publish_status:confirmed");
        let mut sorted = suffixes.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), suffixes.len());
        for c in &cmds {
            assert!(c.idempotency_suffix().starts_with(c.kind_name()));
            let v = serde_json::to_value(c).unwrap();
            assert_eq!(v["kind"], c.kind_name());
            let back: Command = serde_json::from_value(v).unwrap();
            assert_eq!(&back, c);
        }
    }
}
