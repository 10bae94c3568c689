//! Unit tests: one per transition and per rejection, driven through the
//! public API the runtime uses (`step`, `decide`, `apply`, `replay`).

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use uuid::Uuid;

use crate::*;
use OrderStatus::*;

const ID: Uuid = Uuid::from_u128(0x0190_f3a0_0000_7000_8000_0000_0000_0001);

fn received(policy: InvoicePolicy) -> Event {
    Event::Received {
        order_id: ID,
        currency: "EUR".into(),
        lines: vec![
            LineSpec {
                line_id: "A".into(),
                quantity: dec!(2),
                unit_net: dec!(10),
            },
            LineSpec {
                line_id: "B".into(),
                quantity: dec!(1),
                unit_net: dec!(30),
            },
        ],
        order_total: dec!(50),
        invoice_policy: policy,
    }
}

fn q(line: &str, n: Decimal) -> LineQty {
    LineQty::new(line, n)
}

fn ship(id: &str, lines: Vec<LineQty>) -> Event {
    Event::Shipped {
        shipment_id: id.into(),
        lines,
    }
}

fn invoice(id: &str, lines: Vec<LineQty>, amount: Decimal) -> Event {
    Event::Invoiced {
        invoice_id: id.into(),
        lines,
        amount,
    }
}

fn pay(id: &str, amount: Decimal) -> Event {
    Event::PaymentReceived {
        payment_id: id.into(),
        amount,
    }
}

fn hold(reasons: Vec<HoldReason>) -> Event {
    Event::HoldPlaced {
        reasons,
        detail: "d".into(),
    }
}

fn release_hold() -> Event {
    Event::HoldReleased {
        by: "ops@example.com".into(),
        note: "checked".into(),
    }
}

/// Runs events through `step`, checking on the way that `decide` agrees and
/// that every status change is an edge of the lifecycle graph.
struct Run {
    state: OrderState,
    journal: Vec<Event>,
    last: Vec<Command>,
}

impl Run {
    fn new() -> Self {
        Run {
            state: initial(ID),
            journal: vec![],
            last: vec![],
        }
    }

    fn with(events: &[Event]) -> Self {
        let mut r = Run::new();
        for e in events {
            r.ok(e.clone());
        }
        r
    }

    fn ok(&mut self, e: Event) -> &mut Self {
        let decided = decide(&self.state, &e).unwrap_or_else(|err| panic!("{e:?}: {err}"));
        let from = self.state.status;
        let (next, cmds) = step(self.state.clone(), &e).unwrap();
        assert_eq!(decided, cmds);
        assert!(
            is_allowed_transition(from, next.status),
            "{from} → {} by {e:?} is not in the graph",
            next.status
        );
        self.state = next;
        self.journal.push(e);
        self.last = cmds;
        assert_eq!(replay(ID, &self.journal).unwrap(), self.state);
        self
    }

    fn err(&self, e: Event) -> FlowError {
        let err = decide(&self.state, &e).expect_err("event should be rejected");
        assert_eq!(apply(self.state.clone(), &e).unwrap_err(), err);
        assert_eq!(step(self.state.clone(), &e).unwrap_err(), err);
        err
    }

    fn status(&self) -> OrderStatus {
        self.state.status
    }

    fn line(&self, id: &str) -> &LineProgress {
        &self.state.lines[id]
    }
}

fn to_validated(policy: InvoicePolicy) -> Vec<Event> {
    vec![
        received(policy),
        Event::Mapped {
            mapping: "shopify/v3".into(),
        },
        Event::Validated,
    ]
}

fn to_confirmed(policy: InvoicePolicy) -> Vec<Event> {
    let mut v = to_validated(policy);
    v.extend([
        Event::SubmittedToErp {
            erp_order_id: 42,
            erp_order_name: "S00042".into(),
        },
        Event::ErpConfirmed,
    ]);
    v
}

fn to_released(policy: InvoicePolicy) -> Vec<Event> {
    let mut v = to_confirmed(policy);
    v.extend([
        Event::Allocated {
            lines: vec![q("A", dec!(2)), q("B", dec!(1))],
        },
        Event::ReleasedToWarehouse,
    ]);
    v
}

// ---- happy path, transition by transition ----

#[test]
fn received_maps() {
    let mut r = Run::new();
    r.ok(received(InvoicePolicy::OnShipment));
    assert_eq!(r.status(), Received);
    assert_eq!(r.last, vec![Command::MapOrder]);
    assert_eq!(r.state.version, 1);
    assert_eq!(r.state.currency, "EUR");
    assert_eq!(r.line("A").ordered, dec!(2));
    assert_eq!(r.line("B").unit_net, dec!(30));
    assert_eq!(r.state.order_total, dec!(50));
}

#[test]
fn mapped_validates_and_validated_submits() {
    let mut r = Run::with(&[received(InvoicePolicy::OnShipment)]);
    r.ok(Event::Mapped {
        mapping: "shopify/v3".into(),
    });
    assert_eq!(r.status(), Mapped);
    assert_eq!(r.state.mapping.as_deref(), Some("shopify/v3"));
    assert_eq!(r.last, vec![Command::ValidateOrder]);
    r.ok(Event::Validated);
    assert_eq!(r.status(), Validated);
    assert_eq!(r.last, vec![Command::SubmitToErp]);
}

#[test]
fn submitted_asks_for_confirmation_and_confirmed_publishes() {
    let mut r = Run::with(&to_validated(InvoicePolicy::OnShipment));
    r.ok(Event::SubmittedToErp {
        erp_order_id: 42,
        erp_order_name: "S00042".into(),
    });
    assert_eq!(r.status(), Submitted);
    assert_eq!(r.state.erp_order_id, Some(42));
    assert_eq!(r.state.erp_order_name.as_deref(), Some("S00042"));
    assert_eq!(r.last, vec![Command::ConfirmErpOrder { erp_order_id: 42 }]);
    r.ok(Event::ErpConfirmed);
    assert_eq!(r.status(), Confirmed);
    assert_eq!(r.last, vec![Command::PublishStatus { status: Confirmed }]);
}

#[test]
fn allocation_full_partial_none() {
    let base = Run::with(&to_confirmed(InvoicePolicy::OnShipment));

    let mut full = Run::with(&base.journal);
    full.ok(Event::Allocated {
        lines: vec![q("A", dec!(2)), q("B", dec!(1))],
    });
    assert_eq!(full.status(), Allocated);
    assert_eq!(full.last, vec![Command::ReleaseToWarehouse]);

    let mut part = Run::with(&base.journal);
    part.ok(Event::Allocated {
        lines: vec![q("A", dec!(1))],
    });
    assert_eq!(part.status(), PartiallyAllocated);
    assert_eq!(part.last, vec![Command::ReleaseToWarehouse]);
    assert_eq!(part.line("A").backordered(), dec!(1));
    part.ok(Event::Allocated {
        lines: vec![q("A", dec!(1)), q("B", dec!(1))],
    });
    assert_eq!(part.status(), Allocated);

    let mut none = Run::with(&base.journal);
    none.ok(Event::Allocated { lines: vec![] });
    assert_eq!(none.status(), Backordered);
    assert!(none.last.is_empty());
    none.ok(Event::Allocated {
        lines: vec![q("B", dec!(1))],
    });
    assert_eq!(none.status(), PartiallyAllocated);
}

#[test]
fn release_to_warehouse() {
    let mut r = Run::with(&to_confirmed(InvoicePolicy::OnShipment));
    r.ok(Event::Allocated {
        lines: vec![q("A", dec!(1))],
    });
    r.ok(Event::ReleasedToWarehouse);
    assert_eq!(r.status(), Released);
    assert!(r.last.is_empty());
    // The backordered rest is allocated and released later.
    r.ok(Event::Allocated {
        lines: vec![q("A", dec!(1)), q("B", dec!(1))],
    });
    assert_eq!(r.status(), Released);
    assert_eq!(r.last, vec![Command::ReleaseToWarehouse]);
    r.ok(Event::ReleasedToWarehouse);
    assert_eq!(r.status(), Released);
}

#[test]
fn shipping_on_shipment_invoices_each_shipment() {
    let mut r = Run::with(&to_released(InvoicePolicy::OnShipment));
    r.ok(ship("S1", vec![q("A", dec!(1))]));
    assert_eq!(r.status(), PartiallyShipped);
    assert_eq!(
        r.last,
        vec![Command::CreateInvoice {
            lines: vec![q("A", dec!(1))]
        }]
    );
    r.ok(ship("S2", vec![q("A", dec!(1)), q("B", dec!(1))]));
    assert_eq!(r.status(), Shipped);
    assert_eq!(
        r.last,
        vec![Command::CreateInvoice {
            lines: vec![q("A", dec!(1)), q("B", dec!(1))]
        }]
    );
    r.ok(Event::Delivered {
        shipment_id: "S1".into(),
    });
    assert_eq!(r.status(), Shipped);
    assert!(r.last.is_empty());
    r.ok(Event::Delivered {
        shipment_id: "S2".into(),
    });
    assert_eq!(r.status(), Delivered);
    assert_eq!(r.line("A").delivered, dec!(2));
}

#[test]
fn full_lifecycle_to_closed() {
    let mut r = Run::with(&to_released(InvoicePolicy::OnShipment));
    r.ok(ship("S1", vec![q("A", dec!(2)), q("B", dec!(1))]));
    r.ok(invoice("I1", vec![q("A", dec!(1))], dec!(12)));
    assert_eq!(r.status(), PartiallyInvoiced);
    r.ok(invoice(
        "I2",
        vec![q("A", dec!(1)), q("B", dec!(1))],
        dec!(38),
    ));
    assert_eq!(r.status(), Invoiced);
    assert_eq!(r.state.invoiced_amount, dec!(50));
    r.ok(pay("P1", dec!(20)));
    assert_eq!(r.status(), PartiallyPaid);
    assert!(r.last.is_empty());
    r.ok(pay("P2", dec!(30)));
    assert_eq!(r.status(), Paid);
    assert_eq!(r.last, vec![Command::CloseOrder]);
    r.ok(Event::Closed);
    assert_eq!(r.status(), Closed);
    assert!(r.status().is_terminal());
    // Proof of delivery may still arrive.
    r.ok(Event::Delivered {
        shipment_id: "S1".into(),
    });
    assert_eq!(r.status(), Closed);
    // A second close confirmation is reported as a duplicate.
    assert!(r.err(Event::Closed).is_duplicate());
}

#[test]
fn on_delivery_invoices_delivered_shipments() {
    let mut r = Run::with(&to_released(InvoicePolicy::OnDelivery));
    r.ok(ship("S1", vec![q("A", dec!(2))]));
    assert!(r.last.is_empty());
    // Not delivered yet, so not invoiceable.
    assert!(matches!(
        r.err(invoice("I1", vec![q("A", dec!(1))], dec!(10))),
        FlowError::OverInvoice { .. }
    ));
    r.ok(Event::Delivered {
        shipment_id: "S1".into(),
    });
    assert_eq!(
        r.last,
        vec![Command::CreateInvoice {
            lines: vec![q("A", dec!(2))]
        }]
    );
    r.ok(invoice("I1", vec![q("A", dec!(2))], dec!(20)));
    assert_eq!(r.status(), PartiallyInvoiced);
}

#[test]
fn on_schedule_invoices_before_shipping_and_never_asks() {
    let mut r = Run::with(&to_released(InvoicePolicy::OnSchedule));
    r.ok(invoice(
        "I1",
        vec![q("A", dec!(2)), q("B", dec!(1))],
        dec!(50),
    ));
    assert_eq!(r.status(), Invoiced);
    r.ok(pay("P1", dec!(50)));
    assert_eq!(r.status(), Paid);
    // Paid but not shipped: not closable yet.
    assert!(r.last.is_empty());
    assert_eq!(r.err(Event::Closed), FlowError::NotClosable);
    r.ok(ship("S1", vec![q("A", dec!(2)), q("B", dec!(1))]));
    assert_eq!(r.status(), Paid);
    assert_eq!(r.last, vec![Command::CloseOrder]);
}

#[test]
fn prepayment_is_credit_applied_to_invoices() {
    let mut evs = to_validated(InvoicePolicy::OnShipment);
    evs.insert(1, pay("P0", dec!(50)));
    let mut r = Run::with(&evs);
    assert_eq!(r.status(), Validated);
    assert_eq!(r.state.paid_amount, dec!(0));
    assert_eq!(r.state.overpaid_amount, dec!(50));
    let mut rest = to_released(InvoicePolicy::OnShipment);
    rest.drain(..3);
    for e in rest {
        r.ok(e);
    }
    r.ok(ship("S1", vec![q("A", dec!(2)), q("B", dec!(1))]));
    r.ok(invoice(
        "I1",
        vec![q("A", dec!(2)), q("B", dec!(1))],
        dec!(50),
    ));
    assert_eq!(r.status(), Paid);
    assert_eq!(r.state.paid_amount, dec!(50));
    assert_eq!(r.state.overpaid_amount, dec!(0));
    assert_eq!(r.last, vec![Command::CloseOrder]);
}

#[test]
fn overpayment_goes_to_overpaid_and_can_be_refunded() {
    let mut r = Run::with(&to_released(InvoicePolicy::OnShipment));
    r.ok(ship("S1", vec![q("A", dec!(2)), q("B", dec!(1))]));
    r.ok(invoice(
        "I1",
        vec![q("A", dec!(2)), q("B", dec!(1))],
        dec!(50),
    ));
    r.ok(pay("P1", dec!(60)));
    assert_eq!(r.state.paid_amount, dec!(50));
    assert_eq!(r.state.overpaid_amount, dec!(10));
    assert_eq!(r.status(), Paid);
    r.ok(Event::Closed);
    // Paying back the overpayment does not reopen the order.
    r.ok(Event::Refunded {
        credit_note_id: "R1".into(),
        amount: dec!(10),
    });
    assert_eq!(r.status(), Closed);
    assert_eq!(r.state.overpaid_amount, dec!(0));
    assert!(matches!(
        r.err(Event::Refunded {
            credit_note_id: "R2".into(),
            amount: dec!(50.01),
        }),
        FlowError::OverRefund { .. }
    ));
}

#[test]
fn rounding_tolerance_on_invoice_total_and_payment() {
    let mut r = Run::with(&to_released(InvoicePolicy::OnShipment));
    r.ok(ship("S1", vec![q("A", dec!(2)), q("B", dec!(1))]));
    r.ok(invoice(
        "I1",
        vec![q("A", dec!(2)), q("B", dec!(1))],
        dec!(50.01),
    ));
    r.ok(pay("P1", dec!(50)));
    assert_eq!(r.status(), Paid, "one cent short still counts as paid");
    let mut r = Run::with(&to_released(InvoicePolicy::OnShipment));
    r.ok(ship("S1", vec![q("A", dec!(2)), q("B", dec!(1))]));
    assert!(matches!(
        r.err(invoice("I1", vec![q("A", dec!(2))], dec!(50.02))),
        FlowError::OverInvoiceAmount { .. }
    ));
}

#[test]
fn return_then_refund_then_close() {
    let mut r = Run::with(&to_released(InvoicePolicy::OnShipment));
    r.ok(ship("S1", vec![q("A", dec!(2)), q("B", dec!(1))]));
    r.ok(invoice(
        "I1",
        vec![q("A", dec!(2)), q("B", dec!(1))],
        dec!(50),
    ));
    r.ok(pay("P1", dec!(50)));
    r.ok(Event::Closed);
    r.ok(Event::Returned {
        return_id: "RMA1".into(),
        lines: vec![q("A", dec!(1))],
    });
    assert_eq!(r.status(), Returned);
    assert_eq!(r.line("A").returned, dec!(1));
    assert_eq!(
        r.last,
        vec![Command::CreateCreditNote {
            lines: vec![q("A", dec!(1))]
        }]
    );
    r.ok(Event::Refunded {
        credit_note_id: "CN1".into(),
        amount: dec!(10),
    });
    assert_eq!(r.status(), Refunded);
    assert_eq!(r.state.refunded_amount, dec!(10));
    assert_eq!(r.last, vec![Command::CloseOrder]);
    r.ok(Event::Closed);
    assert_eq!(r.status(), Closed);
}

#[test]
fn returns_are_bounded_by_shipped() {
    let mut r = Run::with(&to_released(InvoicePolicy::OnShipment));
    r.ok(ship("S1", vec![q("A", dec!(1))]));
    r.ok(Event::Returned {
        return_id: "RMA1".into(),
        lines: vec![q("A", dec!(1))],
    });
    let e = r.err(Event::Returned {
        return_id: "RMA2".into(),
        lines: vec![q("A", dec!(1))],
    });
    assert_eq!(
        e,
        FlowError::OverReturn {
            line_id: "A".into(),
            returnable: dec!(0),
            requested: dec!(1)
        }
    );
    assert!(
        r.err(Event::Returned {
            return_id: "RMA1".into(),
            lines: vec![q("A", dec!(1))],
        })
        .is_duplicate()
    );
    // In-flight fulfilment is still recorded after a return.
    r.ok(ship("S2", vec![q("A", dec!(1))]));
    assert_eq!(r.status(), Returned);
}

#[test]
fn cannot_return_before_shipping() {
    let r = Run::with(&to_released(InvoicePolicy::OnShipment));
    assert!(matches!(
        r.err(Event::Returned {
            return_id: "RMA1".into(),
            lines: vec![q("A", dec!(1))],
        }),
        FlowError::OverReturn { .. }
    ));
    let r = Run::with(&to_confirmed(InvoicePolicy::OnShipment));
    assert!(matches!(
        r.err(Event::Returned {
            return_id: "RMA1".into(),
            lines: vec![q("A", dec!(1))],
        }),
        FlowError::IllegalTransition { .. }
    ));
}

// ---- holds ----

#[test]
fn hold_before_submission_resumes_as_validated() {
    let mut r = Run::with(&[received(InvoicePolicy::OnShipment)]);
    r.ok(Event::Mapped {
        mapping: "m".into(),
    });
    r.ok(hold(vec![
        HoldReason::PriceMismatch,
        HoldReason::UnknownProduct,
    ]));
    assert_eq!(r.status(), OnHold);
    assert_eq!(
        r.last,
        vec![Command::OpenException {
            reasons: vec![HoldReason::PriceMismatch, HoldReason::UnknownProduct]
        }]
    );
    r.ok(hold(vec![HoldReason::Other("embargo".into())]));
    assert_eq!(r.state.holds.len(), 3);
    assert_eq!(r.state.held_from, Some(Mapped));
    // Nothing but hold handling, money and cancellation while held.
    assert!(matches!(
        r.err(Event::Validated),
        FlowError::IllegalTransition { status: OnHold, .. }
    ));
    r.ok(release_hold());
    assert_eq!(r.status(), Validated);
    assert!(r.state.holds.is_empty());
    assert_eq!(r.last, vec![Command::SubmitToErp]);
}

#[test]
fn credit_hold_after_confirmation_resumes_where_it_stopped() {
    let mut r = Run::with(&to_confirmed(InvoicePolicy::OnShipment));
    assert!(matches!(
        r.err(hold(vec![HoldReason::PriceMismatch])),
        FlowError::HoldNotAllowed { .. }
    ));
    r.ok(hold(vec![HoldReason::CreditHold]));
    assert_eq!(r.status(), OnHold);
    // The ERP reserves stock regardless; the release waits for the hold.
    r.ok(Event::Allocated {
        lines: vec![q("A", dec!(2)), q("B", dec!(1))],
    });
    assert_eq!(r.status(), OnHold);
    assert!(r.last.is_empty());
    assert_eq!(r.state.held_from, Some(Allocated));
    r.ok(release_hold());
    assert_eq!(r.status(), Allocated);
    assert_eq!(r.last, vec![Command::ReleaseToWarehouse]);
}

#[test]
fn credit_hold_released_in_confirmed_publishes() {
    let mut r = Run::with(&to_confirmed(InvoicePolicy::OnShipment));
    r.ok(hold(vec![HoldReason::CreditHold]));
    r.ok(release_hold());
    assert_eq!(r.status(), Confirmed);
    assert_eq!(r.last, vec![Command::PublishStatus { status: Confirmed }]);
}

#[test]
fn release_in_flight_during_credit_hold_is_recorded() {
    let mut evs = to_confirmed(InvoicePolicy::OnShipment);
    evs.push(Event::Allocated {
        lines: vec![q("A", dec!(2)), q("B", dec!(1))],
    });
    let mut r = Run::with(&evs);
    r.ok(hold(vec![HoldReason::CreditHold]));
    r.ok(Event::ReleasedToWarehouse);
    assert_eq!(r.status(), OnHold);
    assert_eq!(r.state.held_from, Some(Released));
    assert!(matches!(
        r.err(ship("S1", vec![q("A", dec!(1))])),
        FlowError::IllegalTransition { .. }
    ));
    r.ok(release_hold());
    assert_eq!(r.status(), Released);
}

#[test]
fn hold_rejections() {
    let r = Run::with(&[received(InvoicePolicy::OnShipment)]);
    assert!(matches!(
        r.err(hold(vec![])),
        FlowError::InvalidField {
            field: "reasons",
            ..
        }
    ));
    assert!(matches!(
        r.err(hold(vec![HoldReason::Other(" ".into())])),
        FlowError::InvalidField { .. }
    ));
    assert!(matches!(
        r.err(release_hold()),
        FlowError::IllegalTransition { .. }
    ));
    let r = Run::with(&to_released(InvoicePolicy::OnShipment));
    assert!(matches!(
        r.err(hold(vec![HoldReason::CreditHold])),
        FlowError::IllegalTransition { .. }
    ));
    let mut r = Run::with(&[received(InvoicePolicy::OnShipment)]);
    r.ok(hold(vec![HoldReason::CreditHold]));
    assert!(matches!(
        r.err(Event::HoldReleased {
            by: "".into(),
            note: "".into()
        }),
        FlowError::InvalidField { field: "by", .. }
    ));
}

// ---- cancellation ----

#[test]
fn cancel_before_submission_needs_no_erp() {
    let mut r = Run::with(&to_validated(InvoicePolicy::OnShipment));
    r.ok(Event::Cancelled {
        reason: "customer".into(),
    });
    assert_eq!(r.status(), Cancelled);
    assert!(r.last.is_empty());
    assert_eq!(r.state.cancel_reason.as_deref(), Some("customer"));
}

#[test]
fn cancel_after_submission_cancels_in_erp() {
    let mut r = Run::with(&to_released(InvoicePolicy::OnShipment));
    r.ok(pay("P1", dec!(50)));
    r.ok(Event::Cancelled {
        reason: "customer".into(),
    });
    assert_eq!(r.last, vec![Command::CancelInErp { erp_order_id: 42 }]);
    // The prepayment is refunded; the order stays cancelled.
    r.ok(Event::Refunded {
        credit_note_id: "CN1".into(),
        amount: dec!(50),
    });
    assert_eq!(r.status(), Cancelled);
    assert!(matches!(
        r.err(ship("S1", vec![q("A", dec!(1))])),
        FlowError::IllegalTransition {
            status: Cancelled,
            ..
        }
    ));
    assert!(matches!(
        r.err(Event::Cancelled { reason: "x".into() }),
        FlowError::IllegalTransition { .. }
    ));
}

#[test]
fn cannot_cancel_after_shipping_or_invoicing() {
    let mut r = Run::with(&to_released(InvoicePolicy::OnShipment));
    r.ok(ship("S1", vec![q("A", dec!(1))]));
    assert_eq!(
        r.err(Event::Cancelled { reason: "x".into() }),
        FlowError::CannotCancel { what: "shipped" }
    );
    let mut r = Run::with(&to_released(InvoicePolicy::OnSchedule));
    r.ok(invoice("I1", vec![q("A", dec!(1))], dec!(10)));
    assert_eq!(
        r.err(Event::Cancelled { reason: "x".into() }),
        FlowError::CannotCancel { what: "invoiced" }
    );
}

// ---- rejections ----

#[test]
fn nothing_before_received() {
    let r = Run::new();
    for e in [
        Event::Validated,
        Event::Closed,
        pay("P", dec!(1)),
        ship("S", vec![q("A", dec!(1))]),
    ] {
        assert!(matches!(r.err(e), FlowError::NotReceived { .. }));
    }
}

#[test]
fn received_rejections() {
    let r = Run::with(&[received(InvoicePolicy::OnShipment)]);
    assert_eq!(
        r.err(received(InvoicePolicy::OnShipment)),
        FlowError::AlreadyReceived
    );

    let r = Run::new();
    let with = |f: &dyn Fn(&mut Event)| {
        let mut e = received(InvoicePolicy::OnShipment);
        f(&mut e);
        r.err(e)
    };
    let e = with(&|e| {
        if let Event::Received { order_id, .. } = e {
            *order_id = Uuid::nil();
        }
    });
    assert!(matches!(e, FlowError::OrderIdMismatch { .. }));
    let e = with(&|e| {
        if let Event::Received { currency, .. } = e {
            *currency = "eur".into();
        }
    });
    assert!(matches!(
        e,
        FlowError::InvalidField {
            field: "currency",
            ..
        }
    ));
    let e = with(&|e| {
        if let Event::Received { lines, .. } = e {
            lines.clear();
        }
    });
    assert!(matches!(e, FlowError::NoLines { .. }));
    let e = with(&|e| {
        if let Event::Received { lines, .. } = e {
            lines[1].line_id = "A".into();
        }
    });
    assert_eq!(
        e,
        FlowError::DuplicateLine {
            line_id: "A".into()
        }
    );
    let e = with(&|e| {
        if let Event::Received { lines, .. } = e {
            lines[0].quantity = dec!(0);
        }
    });
    assert!(matches!(e, FlowError::InvalidQuantity { .. }));
    let e = with(&|e| {
        if let Event::Received { lines, .. } = e {
            lines[0].unit_net = dec!(-1);
        }
    });
    assert!(matches!(
        e,
        FlowError::InvalidField {
            field: "unit_net",
            ..
        }
    ));
    let e = with(&|e| {
        if let Event::Received { order_total, .. } = e {
            *order_total = dec!(-1);
        }
    });
    assert!(matches!(e, FlowError::InvalidAmount { .. }));
}

#[test]
fn out_of_order_events_are_illegal() {
    let r = Run::with(&[received(InvoicePolicy::OnShipment)]);
    for e in [
        Event::Validated,
        Event::ErpConfirmed,
        Event::ReleasedToWarehouse,
        Event::Allocated { lines: vec![] },
        ship("S1", vec![q("A", dec!(1))]),
        Event::Delivered {
            shipment_id: "S1".into(),
        },
        invoice("I1", vec![q("A", dec!(1))], dec!(1)),
        Event::Closed,
        Event::SubmittedToErp {
            erp_order_id: 1,
            erp_order_name: "S".into(),
        },
        Event::Refunded {
            credit_note_id: "C".into(),
            amount: dec!(1),
        },
    ] {
        assert!(
            matches!(
                r.err(e.clone()),
                FlowError::IllegalTransition {
                    status: Received,
                    ..
                }
            ),
            "{e:?}"
        );
    }
    let mut r = Run::with(&to_confirmed(InvoicePolicy::OnShipment));
    r.ok(Event::Allocated { lines: vec![] });
    assert!(matches!(
        r.err(Event::ReleasedToWarehouse),
        FlowError::IllegalTransition {
            status: Backordered,
            ..
        }
    ));
}

#[test]
fn field_rejections() {
    let r = Run::with(&[received(InvoicePolicy::OnShipment)]);
    assert!(matches!(
        r.err(Event::Mapped { mapping: "".into() }),
        FlowError::InvalidField { .. }
    ));
    let r = Run::with(&to_validated(InvoicePolicy::OnShipment));
    assert!(matches!(
        r.err(Event::SubmittedToErp {
            erp_order_id: 0,
            erp_order_name: "S".into()
        }),
        FlowError::InvalidField {
            field: "erp_order_id",
            ..
        }
    ));
}

#[test]
fn quantity_rejections() {
    let mut r = Run::with(&to_confirmed(InvoicePolicy::OnShipment));
    assert!(matches!(
        r.err(Event::Allocated {
            lines: vec![q("A", dec!(3))]
        }),
        FlowError::OverAllocation { .. }
    ));
    assert!(matches!(
        r.err(Event::Allocated {
            lines: vec![q("A", dec!(1)), q("A", dec!(2))]
        }),
        FlowError::OverAllocation { .. }
    ));
    assert_eq!(
        r.err(Event::Allocated {
            lines: vec![q("Z", dec!(1))]
        }),
        FlowError::UnknownLine {
            line_id: "Z".into()
        }
    );
    assert!(matches!(
        r.err(Event::Allocated {
            lines: vec![q("A", dec!(-1))]
        }),
        FlowError::InvalidQuantity { .. }
    ));
    r.ok(Event::Allocated {
        lines: vec![q("A", dec!(2)), q("B", dec!(1))],
    });
    r.ok(Event::ReleasedToWarehouse);
    assert!(matches!(
        r.err(ship("S1", vec![q("A", dec!(2.5))])),
        FlowError::OverShipment { .. }
    ));
    assert!(matches!(
        r.err(ship("S1", vec![])),
        FlowError::NoLines { .. }
    ));
    assert!(matches!(
        r.err(ship("", vec![q("A", dec!(1))])),
        FlowError::InvalidField { .. }
    ));
    assert!(matches!(
        r.err(ship("S1", vec![q("A", dec!(0))])),
        FlowError::InvalidQuantity { .. }
    ));
    r.ok(ship("S1", vec![q("A", dec!(1))]));
    assert!(r.err(ship("S1", vec![q("A", dec!(1))])).is_duplicate());
    // OnShipment: only what shipped can be invoiced.
    assert!(matches!(
        r.err(invoice("I1", vec![q("B", dec!(1))], dec!(30))),
        FlowError::OverInvoice { .. }
    ));
    assert!(matches!(
        r.err(invoice("I1", vec![q("A", dec!(1))], dec!(-1))),
        FlowError::InvalidAmount { .. }
    ));
    r.ok(invoice("I1", vec![q("A", dec!(1))], dec!(10)));
    assert!(
        r.err(invoice("I1", vec![q("A", dec!(1))], dec!(10)))
            .is_duplicate()
    );
    assert!(matches!(
        r.err(pay("P1", dec!(0))),
        FlowError::InvalidAmount { .. }
    ));
    r.ok(pay("P1", dec!(10)));
    assert!(r.err(pay("P1", dec!(10))).is_duplicate());
    assert!(matches!(
        r.err(Event::Delivered {
            shipment_id: "S9".into()
        }),
        FlowError::UnknownShipment { .. }
    ));
    r.ok(Event::Delivered {
        shipment_id: "S1".into(),
    });
    assert!(matches!(
        r.err(Event::Delivered {
            shipment_id: "S1".into()
        }),
        FlowError::AlreadyDelivered { .. }
    ));
    assert!(matches!(
        r.err(Event::Refunded {
            credit_note_id: "CN1".into(),
            amount: dec!(0)
        }),
        FlowError::InvalidAmount { .. }
    ));
    r.ok(Event::Refunded {
        credit_note_id: "CN1".into(),
        amount: dec!(4),
    });
    assert_eq!(r.status(), Refunded);
    assert!(
        r.err(Event::Refunded {
            credit_note_id: "CN1".into(),
            amount: dec!(1)
        })
        .is_duplicate()
    );
    assert_eq!(
        r.err(Event::Refunded {
            credit_note_id: "CN2".into(),
            amount: dec!(7)
        }),
        FlowError::OverRefund {
            refundable: dec!(6),
            requested: dec!(7)
        }
    );
}

#[test]
fn huge_numbers_are_errors_not_panics() {
    let mut r = Run::with(&to_released(InvoicePolicy::OnShipment));
    assert!(matches!(
        r.err(pay("P1", Decimal::MAX)),
        FlowError::InvalidAmount { .. }
    ));
    assert!(matches!(
        r.err(pay("P1", dec!(0.0000000001))),
        FlowError::InvalidAmount { .. }
    ));
    r.ok(pay("P1", MAX_MAGNITUDE));
    assert!(matches!(
        r.err(ship("S1", vec![q("A", Decimal::MAX), q("A", Decimal::MAX)])),
        FlowError::InvalidQuantity { .. }
    ));
    assert!(matches!(
        r.err(ship("S1", vec![q("A", dec!(1.5)), q("A", dec!(1))])),
        FlowError::OverShipment { .. }
    ));
}

#[test]
fn closing_rules() {
    let mut r = Run::with(&to_released(InvoicePolicy::OnShipment));
    assert!(matches!(
        r.err(Event::Closed),
        FlowError::IllegalTransition { .. }
    ));
    r.ok(ship("S1", vec![q("A", dec!(2)), q("B", dec!(1))]));
    r.ok(Event::Returned {
        return_id: "R".into(),
        lines: vec![q("B", dec!(1))],
    });
    assert_eq!(r.err(Event::Closed), FlowError::NotClosable);
}

#[test]
fn json_round_trip_of_state_and_events() {
    let r = Run::with(&to_released(InvoicePolicy::OnDelivery));
    let json = serde_json::to_string(&r.state).unwrap();
    let back: OrderState = serde_json::from_str(&json).unwrap();
    assert_eq!(back, r.state);
    for e in &r.journal {
        let json = serde_json::to_string(e).unwrap();
        let back: Event = serde_json::from_str(&json).unwrap();
        assert_eq!(&back, e);
    }
}

#[test]
fn schemas_generate() {
    let s = schemars::schema_for!(Event);
    let v = serde_json::to_value(&s).unwrap();
    assert!(v.to_string().contains("hold_placed"));
    let _ = schemars::schema_for!(Command);
    let _ = schemars::schema_for!(OrderState);
}

#[test]
fn one_invoice_for_everything_shipped() {
    let mut r = Run::with(&to_released(InvoicePolicy::OnShipment));
    r.ok(ship("S1", vec![q("A", dec!(2)), q("B", dec!(1))]));
    assert_eq!(r.status(), Shipped);
    r.ok(invoice(
        "I1",
        vec![q("A", dec!(2)), q("B", dec!(1))],
        dec!(50),
    ));
    assert_eq!(r.status(), Invoiced);
}
