//! Amending a held order: new lines, back through validation; refused once
//! the order is in the ERP.

use o2c_flow::*;
use rust_decimal_macros::dec;
use uuid::Uuid;

fn held() -> (Uuid, OrderState) {
    let id = Uuid::from_u128(7);
    let events = [
        Event::Received {
            order_id: id,
            currency: "USD".into(),
            lines: vec![LineSpec {
                line_id: "1".into(),
                quantity: dec!(3),
                unit_net: dec!(10),
            }],
            order_total: dec!(30),
            invoice_policy: InvoicePolicy::OnShipment,
        },
        Event::Mapped {
            mapping: "shopify/v1".into(),
        },
        Event::HoldPlaced {
            reasons: vec![HoldReason::TotalsMismatch],
            detail: "off by 5".into(),
        },
    ];
    (id, replay(id, events.iter()).expect("replays"))
}

fn amendment() -> Event {
    Event::Amended {
        lines: vec![LineSpec {
            line_id: "1".into(),
            quantity: dec!(3),
            unit_net: dec!(11.666666667),
        }],
        order_total: dec!(35),
        by: "api-key:ops".into(),
        note: "declared total was right".into(),
    }
}

#[test]
fn an_amended_order_is_validated_again() {
    let (_, state) = held();
    let (next, commands) = step(state, &amendment()).expect("amend");
    assert_eq!(next.status, OrderStatus::Mapped);
    assert!(next.holds.is_empty());
    assert_eq!(next.order_total, dec!(35));
    assert_eq!(next.lines["1"].unit_net, dec!(11.666666667));
    assert_eq!(commands, vec![Command::ValidateOrder]);
    assert_eq!(amendment().type_name(), "o2c.order.amended.v1");
}

#[test]
fn amendments_need_a_hold_before_submission_and_an_actor() {
    let (id, state) = held();
    let released = apply(
        state.clone(),
        &Event::HoldReleased {
            by: "ops".into(),
            note: "ok".into(),
        },
    )
    .expect("release");
    let submitted = apply(
        released,
        &Event::SubmittedToErp {
            erp_order_id: 9,
            erp_order_name: "S1".into(),
        },
    )
    .expect("submit");
    assert!(matches!(
        apply(submitted, &amendment()),
        Err(FlowError::IllegalTransition { .. })
    ));
    let anonymous = Event::Amended {
        lines: vec![LineSpec {
            line_id: "1".into(),
            quantity: dec!(1),
            unit_net: dec!(1),
        }],
        order_total: dec!(1),
        by: String::new(),
        note: String::new(),
    };
    assert!(apply(state.clone(), &anonymous).is_err());
    let empty = Event::Amended {
        lines: vec![],
        order_total: dec!(1),
        by: "ops".into(),
        note: String::new(),
    };
    assert!(apply(state, &empty).is_err());
    let _ = id;
}
