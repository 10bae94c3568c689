//! Changes from the channel: a newer version before the ERP has the order
//! (amended), after (revised, until something ships or is invoiced), a
//! cancellation (the ERP order follows) and a refund made by the channel.

use o2c_flow::*;
use rust_decimal_macros::dec;
use uuid::Uuid;

const ID: Uuid = Uuid::from_u128(11);

fn line(id: &str, quantity: rust_decimal::Decimal) -> LineSpec {
    LineSpec {
        line_id: id.into(),
        quantity,
        unit_net: dec!(10),
    }
}

fn state_after(events: &[Event]) -> OrderState {
    replay(ID, events.iter()).expect("replays")
}

fn received() -> Vec<Event> {
    vec![
        Event::Received {
            order_id: ID,
            currency: "USD".into(),
            lines: vec![line("1", dec!(2)), line("2", dec!(1))],
            order_total: dec!(30),
            invoice_policy: InvoicePolicy::OnShipment,
        },
        Event::Mapped {
            mapping: "shopify/v2".into(),
        },
    ]
}

fn confirmed() -> Vec<Event> {
    let mut events = received();
    events.extend([
        Event::Validated,
        Event::SubmittedToErp {
            erp_order_id: 5,
            erp_order_name: "S00005".into(),
        },
        Event::ErpConfirmed,
    ]);
    events
}

fn revision(lines: Vec<LineSpec>) -> Event {
    let order_total = lines.iter().map(|l| l.quantity * l.unit_net).sum();
    Event::Revised {
        lines,
        order_total,
        by: "shopify:shop".into(),
    }
}

#[test]
fn a_validated_order_is_amended_and_validated_again() {
    let mut events = received();
    events.push(Event::Validated);
    let state = state_after(&events);
    let amended = Event::Amended {
        lines: vec![line("1", dec!(5))],
        order_total: dec!(50),
        by: "shopify:shop".into(),
        note: "orders/updated".into(),
    };
    let (next, commands) = step(state, &amended).expect("amend");
    assert_eq!(next.status, OrderStatus::Mapped);
    assert_eq!(commands, [Command::ValidateOrder]);
    assert_eq!(next.lines["1"].ordered, dec!(5));
    assert!(!next.lines.contains_key("2"));
}

#[test]
fn a_confirmed_order_is_revised_keeping_what_is_allocated() {
    let mut events = confirmed();
    events.push(Event::Allocated {
        lines: vec![LineQty::new("1", dec!(2)), LineQty::new("2", dec!(1))],
    });
    let state = state_after(&events);
    assert_eq!(state.status, OrderStatus::Allocated);
    // More of line 1, line 2 dropped, line 3 new.
    let (next, commands) = step(
        state,
        &revision(vec![line("1", dec!(4)), line("3", dec!(1))]),
    )
    .expect("revise");
    assert!(commands.is_empty(), "{commands:?}");
    assert_eq!(next.status, OrderStatus::PartiallyAllocated);
    assert_eq!(next.lines["1"].ordered, dec!(4));
    assert_eq!(next.lines["1"].allocated, dec!(2));
    assert_eq!(next.lines["3"].allocated, dec!(0));
    assert!(!next.lines.contains_key("2"));
    assert_eq!(next.order_total, dec!(50));
    // Fewer than allocated: the allocation shrinks with the order.
    let (fewer, _) = step(next, &revision(vec![line("1", dec!(1))])).expect("revise");
    assert_eq!(fewer.lines["1"].allocated, dec!(1));
    assert_eq!(fewer.status, OrderStatus::Allocated);
}

#[test]
fn revisions_stop_at_the_first_shipment_and_never_come_before_the_erp() {
    let mut events = confirmed();
    events.extend([
        Event::Allocated {
            lines: vec![LineQty::new("1", dec!(2)), LineQty::new("2", dec!(1))],
        },
        Event::ReleasedToWarehouse,
    ]);
    let released = state_after(&events);
    assert!(apply(released.clone(), &revision(vec![line("1", dec!(3))])).is_ok());
    let shipped = apply(
        released,
        &Event::Shipped {
            shipment_id: "S1".into(),
            lines: vec![LineQty::new("1", dec!(1))],
        },
    )
    .expect("ship");
    assert_eq!(
        apply(shipped, &revision(vec![line("1", dec!(3))])),
        Err(FlowError::CannotRevise { what: "shipped" })
    );
    let before_erp = state_after(&received());
    assert!(matches!(
        apply(before_erp, &revision(vec![line("1", dec!(3))])),
        Err(FlowError::IllegalTransition { .. })
    ));
}

#[test]
fn a_cancelled_erp_order_is_cancelled_in_the_erp() {
    let state = state_after(&confirmed());
    let (next, commands) = step(
        state,
        &Event::Cancelled {
            reason: "shopify:shop: customer".into(),
        },
    )
    .expect("cancel");
    assert_eq!(next.status, OrderStatus::Cancelled);
    assert_eq!(commands, [Command::CancelInErp { erp_order_id: 5 }]);
}

#[test]
fn channel_refunds_are_recorded_once_and_go_to_finance_after_an_invoice() {
    let refund = |id: &str| Event::ChannelRefunded {
        refund_id: id.into(),
        amount: dec!(19.99),
    };
    let state = state_after(&confirmed());
    let (next, commands) = step(state, &refund("R1")).expect("refund");
    assert!(commands.is_empty());
    assert_eq!(next.status, OrderStatus::Confirmed);
    assert_eq!(next.channel_refunds["R1"], dec!(19.99));
    assert_eq!(next.refunded_amount, dec!(0), "not the hub's own money");
    assert!(matches!(
        apply(next.clone(), &refund("R1")),
        Err(FlowError::Duplicate { .. })
    ));

    let mut events = confirmed();
    events.extend([
        Event::Allocated {
            lines: vec![LineQty::new("1", dec!(2)), LineQty::new("2", dec!(1))],
        },
        Event::ReleasedToWarehouse,
        Event::Shipped {
            shipment_id: "S1".into(),
            lines: vec![LineQty::new("1", dec!(2)), LineQty::new("2", dec!(1))],
        },
        Event::Invoiced {
            invoice_id: "INV/1".into(),
            lines: vec![LineQty::new("1", dec!(2)), LineQty::new("2", dec!(1))],
            amount: dec!(30),
        },
    ]);
    let (_, commands) = step(state_after(&events), &refund("R2")).expect("refund");
    assert_eq!(
        commands,
        [Command::OpenException {
            reasons: vec![HoldReason::Other("refund_after_invoice".into())]
        }]
    );
}

#[test]
fn new_events_have_their_cloudevents_types() {
    assert_eq!(
        revision(vec![line("1", dec!(1))]).type_name(),
        "o2c.order.revised.v1"
    );
    let refund = Event::ChannelRefunded {
        refund_id: "R".into(),
        amount: dec!(0),
    };
    assert_eq!(refund.type_name(), "o2c.order.channel_refunded.v1");
    let json = serde_json::to_value(&refund).expect("json");
    assert_eq!(json["type"], "channel_refunded");
    assert_eq!(json["amount"], "0");
}
