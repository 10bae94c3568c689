//! What to do after an event.
//!
//! `decide` judges the event exactly as `apply` does (it runs `apply` on a
//! copy) and then derives commands from the state before and after. Deriving
//! from both makes "newly" well defined: a command is asked for when its
//! condition *becomes* true, so re-delivered or unrelated events do not ask
//! again.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::apply::{aggregate, apply};
use crate::command::Command;
use crate::error::FlowError;
use crate::event::{Event, HoldReason, LineQty};
use crate::policy::InvoicePolicy;
use crate::state::OrderState;
use crate::status::OrderStatus;

/// The commands that follow `event` in `state`, or the reason the event does
/// not fit (the same error [`apply`] gives).
pub fn decide(state: &OrderState, event: &Event) -> Result<Vec<Command>, FlowError> {
    let next = apply(state.clone(), event)?;
    Ok(commands(state, &next, event))
}

/// [`decide`] and [`apply`] in one go: the new state and its commands.
pub fn step(state: OrderState, event: &Event) -> Result<(OrderState, Vec<Command>), FlowError> {
    let before = state.clone();
    let next = apply(state, event)?;
    let cmds = commands(&before, &next, event);
    Ok((next, cmds))
}

/// Commands for an event already known to fit (`next = apply(before, event)`).
fn commands(before: &OrderState, next: &OrderState, event: &Event) -> Vec<Command> {
    let mut out = Vec::new();
    match event {
        Event::Received { .. } => out.push(Command::MapOrder),
        Event::Mapped { .. } | Event::Amended { .. } => out.push(Command::ValidateOrder),
        Event::Validated => out.push(Command::SubmitToErp),
        Event::HoldPlaced { reasons, .. } => out.push(Command::OpenException {
            reasons: reasons.clone(),
        }),
        Event::HoldReleased { .. } => out.push(match next.status {
            OrderStatus::Validated => Command::SubmitToErp,
            // The credit hold stopped the release; send it now. If a release
            // was already in flight the warehouse sees the same allocation
            // twice, which it treats as a no-op.
            OrderStatus::Allocated | OrderStatus::PartiallyAllocated => Command::ReleaseToWarehouse,
            status => Command::PublishStatus { status },
        }),
        Event::SubmittedToErp { erp_order_id, .. } => out.push(Command::ConfirmErpOrder {
            erp_order_id: *erp_order_id,
        }),
        Event::ErpConfirmed => out.push(Command::PublishStatus {
            status: OrderStatus::Confirmed,
        }),
        Event::Allocated { lines } => {
            // Newly reserved stock goes to the warehouse, unless a credit
            // hold is in force (the release then follows the hold's end).
            if !lines.is_empty() && next.status != OrderStatus::OnHold {
                out.push(Command::ReleaseToWarehouse);
            }
        }
        Event::ReleasedToWarehouse => {}
        Event::Shipped { shipment_id, .. } => {
            if next.invoice_policy == InvoicePolicy::OnShipment {
                out.extend(invoice_for_shipment(next, shipment_id));
            }
        }
        Event::Delivered { shipment_id } => {
            if next.invoice_policy == InvoicePolicy::OnDelivery {
                out.extend(invoice_for_shipment(next, shipment_id));
            }
        }
        // The revision itself is the news (the journal publishes it).
        Event::Revised { .. } => {}
        Event::ChannelRefunded { .. } => {
            // Once an invoice is posted the refund has to be matched by a
            // credit note against it: finance decides which, so the
            // workflow opens an exception rather than issuing one itself.
            if next.anything_invoiced() {
                out.push(Command::OpenException {
                    reasons: vec![HoldReason::Other("refund_after_invoice".into())],
                });
            }
        }
        Event::Invoiced { .. }
        | Event::PaymentReceived { .. }
        | Event::Refunded { .. }
        | Event::Closed => {}
        Event::Cancelled { .. } => {
            if let Some(erp_order_id) = before.erp_order_id {
                out.push(Command::CancelInErp { erp_order_id });
            }
        }
        Event::Returned { lines, .. } => {
            let qty = aggregate(before, lines).unwrap_or_default();
            out.push(Command::CreateCreditNote {
                lines: to_lines(qty),
            });
        }
    }
    if should_close(before, next) {
        out.push(Command::CloseOrder);
    }
    out
}

/// Invoice exactly this shipment's quantities (capped by what is still
/// invoiceable), not everything outstanding: an earlier `CreateInvoice` may
/// still be in flight, and asking for its quantities again would bill twice.
fn invoice_for_shipment(next: &OrderState, shipment_id: &str) -> Option<Command> {
    let shipment = next.shipments.get(shipment_id)?;
    let mut qty = BTreeMap::new();
    for (id, q) in &shipment.lines {
        let Some(l) = next.lines.get(id) else {
            continue;
        };
        let open = next.invoice_policy.invoiceable(l) - l.invoiced;
        let q = (*q).min(open);
        if q > Decimal::ZERO {
            qty.insert(id.clone(), q);
        }
    }
    (!qty.is_empty()).then(|| Command::CreateInvoice {
        lines: to_lines(qty),
    })
}

fn to_lines(qty: BTreeMap<String, Decimal>) -> Vec<LineQty> {
    qty.into_iter()
        .map(|(line_id, quantity)| LineQty { line_id, quantity })
        .collect()
}

/// Ask to close when the order has just become complete, or when it is
/// complete and just moved into a status that still needs closing (a refund
/// on a paid order).
fn should_close(before: &OrderState, next: &OrderState) -> bool {
    let closing_status = next.status.is_progress() || next.status == OrderStatus::Refunded;
    closing_status && next.closable() && (!before.closable() || before.status != next.status)
}
