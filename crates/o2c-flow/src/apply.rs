//! Folding one event into the state.
//!
//! Each handler checks everything first and mutates only once the event is
//! known to fit, so a rejection can never leave a half-applied state behind
//! even in callers that keep a `&mut` around. All arithmetic on caller-given
//! numbers is checked: a garbage event must be a typed error, not a panic.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use uuid::Uuid;

use crate::error::FlowError;
use crate::event::{Event, HoldReason, LineQty, LineSpec};
use crate::policy::{AMOUNT_TOLERANCE, InvoicePolicy, in_range};
use crate::state::{LineProgress, OrderState, ShipmentRecord, initial};
use crate::status::OrderStatus::{self, *};

/// Applies one event, returning the new state, or the reason the event does
/// not fit (the same error [`crate::decide`] gives).
pub fn apply(state: OrderState, event: &Event) -> Result<OrderState, FlowError> {
    let mut s = state;
    if let Event::Received {
        order_id,
        currency,
        lines,
        order_total,
        invoice_policy,
    } = event
    {
        received(
            &mut s,
            *order_id,
            currency,
            lines,
            *order_total,
            *invoice_policy,
        )?;
    } else {
        if !s.is_received() {
            return Err(FlowError::NotReceived { event: event.tag() });
        }
        match event {
            Event::Received { .. } => unreachable!("handled above"),
            Event::Mapped { mapping } => mapped(&mut s, event, mapping)?,
            Event::Validated => {
                guard(&s, event, s.status == Mapped)?;
                s.status = Validated;
            }
            Event::HoldPlaced { reasons, detail } => hold_placed(&mut s, event, reasons, detail)?,
            Event::HoldReleased { by, .. } => hold_released(&mut s, event, by)?,
            Event::SubmittedToErp {
                erp_order_id,
                erp_order_name,
            } => submitted(&mut s, event, *erp_order_id, erp_order_name)?,
            Event::ErpConfirmed => {
                guard(&s, event, s.status == Submitted)?;
                s.status = Confirmed;
            }
            Event::Allocated { lines } => allocated(&mut s, event, lines)?,
            Event::ReleasedToWarehouse => released(&mut s, event)?,
            Event::Shipped { shipment_id, lines } => shipped(&mut s, event, shipment_id, lines)?,
            Event::Delivered { shipment_id } => delivered(&mut s, event, shipment_id)?,
            Event::Invoiced {
                invoice_id,
                lines,
                amount,
            } => invoiced(&mut s, event, invoice_id, lines, *amount)?,
            Event::PaymentReceived { payment_id, amount } => payment(&mut s, payment_id, *amount)?,
            Event::Cancelled { reason } => cancelled(&mut s, event, reason)?,
            Event::Returned { return_id, lines } => returned(&mut s, event, return_id, lines)?,
            Event::Refunded {
                credit_note_id,
                amount,
            } => refunded(&mut s, event, credit_note_id, *amount)?,
            Event::Closed => closed(&mut s, event)?,
            Event::Amended {
                lines,
                order_total,
                by,
                ..
            } => amended(&mut s, event, lines, *order_total, by)?,
            Event::Revised {
                lines,
                order_total,
                by,
            } => revised(&mut s, event, lines, *order_total, by)?,
            Event::ChannelRefunded { refund_id, amount } => {
                channel_refunded(&mut s, refund_id, *amount)?
            }
        }
    }
    s.version += 1;
    Ok(s)
}

/// Rebuilds an order from its journal: the plain fold of [`apply`].
pub fn replay<'a>(
    order_id: Uuid,
    events: impl IntoIterator<Item = &'a Event>,
) -> Result<OrderState, FlowError> {
    events.into_iter().try_fold(initial(order_id), apply)
}

fn guard(s: &OrderState, event: &Event, allowed: bool) -> Result<(), FlowError> {
    if allowed {
        Ok(())
    } else {
        Err(FlowError::IllegalTransition {
            status: s.status,
            event: event.tag(),
        })
    }
}

fn non_empty(value: &str, field: &'static str) -> Result<(), FlowError> {
    if value.trim().is_empty() {
        Err(FlowError::InvalidField {
            field,
            reason: "must not be empty",
        })
    } else {
        Ok(())
    }
}

/// A fact that carries its own id (a shipment, invoice, payment, ...) is
/// recorded once: the id must be given and not known yet.
fn new_fact<V>(
    known: &BTreeMap<String, V>,
    id: &str,
    field: &'static str,
    kind: &'static str,
) -> Result<(), FlowError> {
    non_empty(id, field)?;
    if known.contains_key(id) {
        return Err(FlowError::Duplicate {
            kind,
            id: id.to_owned(),
        });
    }
    Ok(())
}

/// Quantities are positive and within the exact range of `Decimal`.
fn check_quantity(line_id: &str, quantity: Decimal) -> Result<(), FlowError> {
    if quantity > Decimal::ZERO && in_range(quantity) {
        Ok(())
    } else {
        Err(FlowError::InvalidQuantity {
            line_id: line_id.to_owned(),
            quantity,
        })
    }
}

fn check_amount(amount: Decimal, zero_ok: bool) -> Result<(), FlowError> {
    if in_range(amount) && (zero_ok || amount > Decimal::ZERO) {
        Ok(())
    } else {
        Err(FlowError::InvalidAmount { amount })
    }
}

fn add(a: Decimal, b: Decimal) -> Result<Decimal, FlowError> {
    a.checked_add(b).ok_or(FlowError::Overflow)
}

/// The status that fulfilment events reason about. While a confirmed order
/// sits on a credit hold, allocation and release facts from the ERP and the
/// warehouse still arrive; they update the status to resume (`held_from`)
/// instead of the visible one.
fn effective_status(s: &OrderState) -> OrderStatus {
    match (s.status, s.held_from) {
        (OnHold, Some(from)) if s.is_submitted() => from,
        (status, _) => status,
    }
}

fn set_effective_status(s: &mut OrderState, status: OrderStatus) {
    if s.status == OnHold {
        s.held_from = Some(status);
    } else {
        s.status = status;
    }
}

/// Sums an event's lines per line id, checking each is known and positive.
/// Repeated line ids in one event are added up rather than rejected: a
/// shipment may carry one line in several packages.
pub(crate) fn aggregate(
    s: &OrderState,
    lines: &[LineQty],
) -> Result<BTreeMap<String, Decimal>, FlowError> {
    let mut out: BTreeMap<String, Decimal> = BTreeMap::new();
    for l in lines {
        if !s.lines.contains_key(&l.line_id) {
            return Err(FlowError::UnknownLine {
                line_id: l.line_id.clone(),
            });
        }
        check_quantity(&l.line_id, l.quantity)?;
        let sum = out.entry(l.line_id.clone()).or_default();
        *sum = add(*sum, l.quantity)?;
    }
    Ok(out)
}

fn non_empty_lines(
    s: &OrderState,
    event: &Event,
    lines: &[LineQty],
) -> Result<BTreeMap<String, Decimal>, FlowError> {
    if lines.is_empty() {
        return Err(FlowError::NoLines { event: event.tag() });
    }
    aggregate(s, lines)
}

fn line(s: &OrderState, line_id: &str) -> LineProgress {
    // `aggregate` has already checked that every line id exists.
    s.lines.get(line_id).cloned().unwrap_or_default()
}

fn received(
    s: &mut OrderState,
    order_id: Uuid,
    currency: &str,
    lines: &[LineSpec],
    order_total: Decimal,
    invoice_policy: InvoicePolicy,
) -> Result<(), FlowError> {
    if s.is_received() {
        return Err(FlowError::AlreadyReceived);
    }
    if order_id != s.order_id {
        return Err(FlowError::OrderIdMismatch {
            expected: s.order_id,
            found: order_id,
        });
    }
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(FlowError::InvalidField {
            field: "currency",
            reason: "must be a three-letter ISO 4217 code",
        });
    }
    if lines.is_empty() {
        return Err(FlowError::NoLines { event: "received" });
    }
    check_amount(order_total, true)?;
    let progress = fresh_lines(lines)?;
    s.status = Received;
    s.currency = currency.to_owned();
    s.lines = progress;
    s.order_total = order_total;
    s.invoice_policy = invoice_policy;
    Ok(())
}

/// Line progress for newly ordered lines (Received, Amended).
fn fresh_lines(lines: &[LineSpec]) -> Result<BTreeMap<String, LineProgress>, FlowError> {
    let mut progress = BTreeMap::new();
    for l in lines {
        non_empty(&l.line_id, "line_id")?;
        check_quantity(&l.line_id, l.quantity)?;
        if !in_range(l.unit_net) {
            return Err(FlowError::InvalidField {
                field: "unit_net",
                reason: "must be between 0 and 10^15 with at most 9 decimals",
            });
        }
        let fresh = LineProgress {
            ordered: l.quantity,
            unit_net: l.unit_net,
            ..LineProgress::default()
        };
        if progress.insert(l.line_id.clone(), fresh).is_some() {
            return Err(FlowError::DuplicateLine {
                line_id: l.line_id.clone(),
            });
        }
    }
    Ok(progress)
}

/// The order was corrected before it reached the ERP (an operator on a held
/// order, or the channel while validation runs): its lines and total are
/// replaced and validation runs again from the start. A Validated order has
/// a submission queued; it is no longer due once the order is Mapped again,
/// and validation of the new content queues the next one.
fn amended(
    s: &mut OrderState,
    event: &Event,
    lines: &[LineSpec],
    order_total: Decimal,
    by: &str,
) -> Result<(), FlowError> {
    let before_erp = matches!(s.status, OnHold | Mapped | Validated);
    guard(s, event, before_erp && !s.is_submitted())?;
    non_empty(by, "by")?;
    if lines.is_empty() {
        return Err(FlowError::NoLines { event: "amended" });
    }
    check_amount(order_total, true)?;
    let progress = fresh_lines(lines)?;
    s.lines = progress;
    s.order_total = order_total;
    s.holds.clear();
    s.hold_detail = None;
    s.held_from = None;
    s.status = Mapped;
    Ok(())
}

/// The ERP order was revised to the channel's new content. The allocation
/// of a line the revision keeps is kept up to its new quantity (the ERP
/// re-reserves the rest); a line the revision drops loses its allocation.
fn revised(
    s: &mut OrderState,
    event: &Event,
    lines: &[LineSpec],
    order_total: Decimal,
    by: &str,
) -> Result<(), FlowError> {
    // Named first: "too late" is what the channel needs to hear.
    if s.anything_shipped() {
        return Err(FlowError::CannotRevise { what: "shipped" });
    }
    if s.anything_invoiced() {
        return Err(FlowError::CannotRevise { what: "invoiced" });
    }
    let eff = effective_status(s);
    let open = eff == Submitted || eff.is_allocation() || eff == Released;
    guard(s, event, s.is_submitted() && open)?;
    non_empty(by, "by")?;
    if lines.is_empty() {
        return Err(FlowError::NoLines { event: "revised" });
    }
    check_amount(order_total, true)?;
    let mut progress = fresh_lines(lines)?;
    for (id, l) in &mut progress {
        if let Some(old) = s.lines.get(id) {
            l.allocated = old.allocated.min(l.ordered);
        }
    }
    s.lines = progress;
    s.order_total = order_total;
    // Confirmed and Released do not depend on quantities; the allocation
    // stages are recomputed from the new lines.
    if matches!(eff, PartiallyAllocated | Allocated | Backordered) {
        let next = s.allocation_status();
        set_effective_status(s, next);
    }
    Ok(())
}

/// A refund the channel made. Accepted in every status (the money already
/// went back; refusing the fact would not undo it), once per refund id.
fn channel_refunded(s: &mut OrderState, refund_id: &str, amount: Decimal) -> Result<(), FlowError> {
    new_fact(&s.channel_refunds, refund_id, "refund_id", "channel_refund")?;
    check_amount(amount, true)?;
    s.channel_refunds.insert(refund_id.to_owned(), amount);
    Ok(())
}

fn mapped(s: &mut OrderState, event: &Event, mapping: &str) -> Result<(), FlowError> {
    guard(s, event, s.status == Received)?;
    non_empty(mapping, "mapping")?;
    s.mapping = Some(mapping.to_owned());
    s.status = Mapped;
    Ok(())
}

fn hold_placed(
    s: &mut OrderState,
    event: &Event,
    reasons: &[HoldReason],
    detail: &str,
) -> Result<(), FlowError> {
    let allowed = s.status.is_pre_submission() || s.status.is_allocation() || s.status == OnHold;
    guard(s, event, allowed)?;
    if reasons.is_empty() {
        return Err(FlowError::InvalidField {
            field: "reasons",
            reason: "at least one hold reason is needed",
        });
    }
    for r in reasons {
        if r.code().trim().is_empty() {
            return Err(FlowError::InvalidField {
                field: "reasons",
                reason: "hold reason codes must not be empty",
            });
        }
        // Once the ERP has the order, validation findings are settled; only
        // credit control may still stop it before it reaches the warehouse.
        if s.is_submitted() && *r != HoldReason::CreditHold {
            return Err(FlowError::HoldNotAllowed {
                status: s.status,
                reason: r.code().to_owned(),
            });
        }
    }
    s.holds.extend(reasons.iter().cloned());
    s.hold_detail = Some(detail.to_owned());
    if s.status != OnHold {
        s.held_from = Some(s.status);
        s.status = OnHold;
    }
    Ok(())
}

fn hold_released(s: &mut OrderState, event: &Event, by: &str) -> Result<(), FlowError> {
    guard(s, event, s.status == OnHold)?;
    non_empty(by, "by")?;
    // Before submission an override means "the order is good": it resumes
    // as Validated whatever stage the hold interrupted.
    let resume = if s.is_submitted() {
        s.held_from.unwrap_or(Confirmed)
    } else {
        Validated
    };
    s.holds.clear();
    s.hold_detail = None;
    s.held_from = None;
    s.status = resume;
    Ok(())
}

fn submitted(
    s: &mut OrderState,
    event: &Event,
    erp_order_id: i64,
    erp_order_name: &str,
) -> Result<(), FlowError> {
    guard(s, event, s.status == Validated)?;
    if erp_order_id <= 0 {
        return Err(FlowError::InvalidField {
            field: "erp_order_id",
            reason: "must be positive",
        });
    }
    non_empty(erp_order_name, "erp_order_name")?;
    s.erp_order_id = Some(erp_order_id);
    s.erp_order_name = Some(erp_order_name.to_owned());
    s.status = Submitted;
    Ok(())
}

fn allocated(s: &mut OrderState, event: &Event, lines: &[LineQty]) -> Result<(), FlowError> {
    let eff = effective_status(s);
    let allowed = eff.is_allocation() || eff.is_progress() || eff.is_after_sales();
    guard(s, event, allowed)?;
    let qty = aggregate(s, lines)?;
    let mut updates = Vec::with_capacity(qty.len());
    for (id, q) in qty {
        let l = line(s, &id);
        let total = add(l.allocated, q)?;
        if total > l.ordered {
            return Err(FlowError::OverAllocation {
                line_id: id,
                ordered: l.ordered,
                allocated: l.allocated,
                requested: q,
            });
        }
        updates.push((id, total));
    }
    for (id, total) in updates {
        if let Some(l) = s.lines.get_mut(&id) {
            l.allocated = total;
        }
    }
    let next = if eff.is_allocation() {
        s.allocation_status()
    } else if eff.is_progress() {
        s.progress_status()
    } else {
        eff
    };
    set_effective_status(s, next);
    Ok(())
}

fn released(s: &mut OrderState, event: &Event) -> Result<(), FlowError> {
    let eff = effective_status(s);
    let allowed =
        matches!(eff, Allocated | PartiallyAllocated) || eff.is_progress() || eff.is_after_sales();
    guard(s, event, allowed)?;
    let next = if eff.is_after_sales() {
        eff
    } else {
        s.progress_status()
    };
    set_effective_status(s, next);
    Ok(())
}

/// Fulfilment and billing facts are accepted once the order is released,
/// including in after-sales (a shipment or invoice may have been in flight
/// when goods came back).
fn in_fulfilment(s: &OrderState) -> bool {
    s.status.is_progress() || s.status.is_after_sales()
}

fn refresh_progress(s: &mut OrderState) {
    if s.status.is_progress() {
        s.status = s.progress_status();
    }
}

fn shipped(
    s: &mut OrderState,
    event: &Event,
    shipment_id: &str,
    lines: &[LineQty],
) -> Result<(), FlowError> {
    guard(s, event, in_fulfilment(s))?;
    new_fact(&s.shipments, shipment_id, "shipment_id", "shipment")?;
    let qty = non_empty_lines(s, event, lines)?;
    let mut updates = Vec::with_capacity(qty.len());
    for (id, q) in &qty {
        let l = line(s, id);
        let total = add(l.shipped, *q)?;
        if total > l.ordered {
            return Err(FlowError::OverShipment {
                line_id: id.clone(),
                ordered: l.ordered,
                shipped: l.shipped,
                requested: *q,
            });
        }
        updates.push((id.clone(), total));
    }
    for (id, total) in updates {
        if let Some(l) = s.lines.get_mut(&id) {
            l.shipped = total;
            // What left the warehouse was evidently reserved, even if the
            // allocation report lags behind the shipment.
            l.allocated = l.allocated.max(total);
        }
    }
    s.shipments.insert(
        shipment_id.to_owned(),
        ShipmentRecord {
            lines: qty,
            delivered: false,
        },
    );
    refresh_progress(s);
    Ok(())
}

fn delivered(s: &mut OrderState, event: &Event, shipment_id: &str) -> Result<(), FlowError> {
    // Proof of delivery often trails payment, so it is recorded on closed
    // orders too.
    guard(s, event, in_fulfilment(s) || s.status == Closed)?;
    let Some(shipment) = s.shipments.get(shipment_id) else {
        return Err(FlowError::UnknownShipment {
            shipment_id: shipment_id.to_owned(),
        });
    };
    if shipment.delivered {
        return Err(FlowError::AlreadyDelivered {
            shipment_id: shipment_id.to_owned(),
        });
    }
    let carried = shipment.lines.clone();
    for (id, q) in carried {
        if let Some(l) = s.lines.get_mut(&id) {
            // Shipment quantities were checked against `shipped` and are all
            // delivered at most once, so this stays ≤ shipped.
            l.delivered += q;
        }
    }
    if let Some(shipment) = s.shipments.get_mut(shipment_id) {
        shipment.delivered = true;
    }
    refresh_progress(s);
    Ok(())
}

fn invoiced(
    s: &mut OrderState,
    event: &Event,
    invoice_id: &str,
    lines: &[LineQty],
    amount: Decimal,
) -> Result<(), FlowError> {
    guard(s, event, in_fulfilment(s))?;
    new_fact(&s.invoices, invoice_id, "invoice_id", "invoice")?;
    let qty = non_empty_lines(s, event, lines)?;
    check_amount(amount, true)?;
    let mut updates = Vec::with_capacity(qty.len());
    for (id, q) in qty {
        let l = line(s, &id);
        let invoiceable = s.invoice_policy.invoiceable(&l);
        let total = add(l.invoiced, q)?;
        if total > invoiceable {
            return Err(FlowError::OverInvoice {
                line_id: id,
                invoiceable,
                invoiced: l.invoiced,
                requested: q,
            });
        }
        updates.push((id, total));
    }
    let new_total = add(s.invoiced_amount, amount)?;
    if new_total > s.order_total && new_total - s.order_total > AMOUNT_TOLERANCE {
        return Err(FlowError::OverInvoiceAmount {
            order_total: s.order_total,
            invoiced: s.invoiced_amount,
            requested: amount,
        });
    }
    for (id, total) in updates {
        if let Some(l) = s.lines.get_mut(&id) {
            l.invoiced = total;
        }
    }
    s.invoices.insert(invoice_id.to_owned(), amount);
    s.invoiced_amount = new_total;
    // Money that arrived before the invoice (a prepaid web order) settles it
    // now, as the ERP would reconcile an outstanding credit.
    let credit = s.overpaid_amount.min(s.open_amount());
    s.paid_amount += credit;
    s.overpaid_amount -= credit;
    refresh_progress(s);
    Ok(())
}

fn payment(s: &mut OrderState, payment_id: &str, amount: Decimal) -> Result<(), FlowError> {
    // Money is accepted in every status: refusing a fact would not send it
    // back, and whatever is not owed is kept as credit to refund or apply.
    new_fact(&s.payments, payment_id, "payment_id", "payment")?;
    check_amount(amount, false)?;
    // Keeps paid + overpaid representable, so later sums cannot overflow.
    add(add(s.paid_amount, s.overpaid_amount)?, amount)?;
    let applied = amount.min(s.open_amount());
    s.paid_amount += applied;
    s.overpaid_amount += amount - applied;
    s.payments.insert(payment_id.to_owned(), amount);
    refresh_progress(s);
    Ok(())
}

fn cancelled(s: &mut OrderState, event: &Event, reason: &str) -> Result<(), FlowError> {
    let st = s.status;
    let allowed = st.is_pre_submission()
        || st.is_allocation()
        || st.is_progress()
        || matches!(st, OnHold | Submitted);
    guard(s, event, allowed)?;
    if s.anything_shipped() {
        return Err(FlowError::CannotCancel { what: "shipped" });
    }
    if s.anything_invoiced() {
        return Err(FlowError::CannotCancel { what: "invoiced" });
    }
    non_empty(reason, "reason")?;
    s.cancel_reason = Some(reason.to_owned());
    s.held_from = None;
    s.status = Cancelled;
    Ok(())
}

fn returned(
    s: &mut OrderState,
    event: &Event,
    return_id: &str,
    lines: &[LineQty],
) -> Result<(), FlowError> {
    guard(s, event, in_fulfilment(s) || s.status == Closed)?;
    new_fact(&s.returns, return_id, "return_id", "return")?;
    let qty = non_empty_lines(s, event, lines)?;
    let mut updates = Vec::with_capacity(qty.len());
    for (id, q) in &qty {
        let l = line(s, id);
        let total = add(l.returned, *q)?;
        if total > l.shipped {
            return Err(FlowError::OverReturn {
                line_id: id.clone(),
                returnable: l.shipped - l.returned,
                requested: *q,
            });
        }
        updates.push((id.clone(), total));
    }
    for (id, total) in updates {
        if let Some(l) = s.lines.get_mut(&id) {
            l.returned = total;
        }
    }
    s.returns.insert(return_id.to_owned(), qty);
    s.status = Returned;
    Ok(())
}

fn refunded(
    s: &mut OrderState,
    event: &Event,
    credit_note_id: &str,
    amount: Decimal,
) -> Result<(), FlowError> {
    guard(
        s,
        event,
        in_fulfilment(s) || matches!(s.status, Closed | Cancelled),
    )?;
    new_fact(&s.refunds, credit_note_id, "credit_note_id", "credit_note")?;
    check_amount(amount, false)?;
    let refundable = s.refundable_amount();
    if amount > refundable {
        return Err(FlowError::OverRefund {
            refundable,
            requested: amount,
        });
    }
    // Unapplied credit goes back first: it was never owed, and refunding it
    // keeps it from settling a later invoice.
    let from_credit = amount.min(s.overpaid_amount);
    // Payments can refill what refunds emptied, so the running totals are
    // not bounded by any single payment.
    let refunded_total = add(s.refunded_amount, amount)?;
    let from_credit_total = add(s.refunded_from_credit, from_credit)?;
    s.overpaid_amount -= from_credit;
    s.refunded_from_credit = from_credit_total;
    s.refunded_amount = refunded_total;
    s.refunds.insert(credit_note_id.to_owned(), amount);
    let touches_payments = amount > from_credit;
    if s.status == Returned || (touches_payments && s.status != Cancelled) {
        s.status = Refunded;
    }
    Ok(())
}

fn closed(s: &mut OrderState, event: &Event) -> Result<(), FlowError> {
    if s.status == Closed {
        // The CloseOrder command may run twice (a refund after payment asks
        // again); the second confirmation is a repeat, not a conflict.
        return Err(FlowError::Duplicate {
            kind: "close",
            id: s.order_id.to_string(),
        });
    }
    guard(s, event, matches!(s.status, Paid | Returned | Refunded))?;
    if !s.closable() {
        return Err(FlowError::NotClosable);
    }
    s.status = Closed;
    Ok(())
}
