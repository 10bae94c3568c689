//! Generated 997 and 855 documents, snapshot-tested (insta) as rendered
//! X12, and re-parsed strictly to prove they are valid interchanges.

mod common;

use chrono::{NaiveDate, NaiveTime};
use o2c_formats::x12::ack855::{
    AckNote, AckNotes, AckPurpose, LineDecision, PoAckOptions, po_acknowledgment,
};
use o2c_formats::x12::ack997::{
    ElementNote, SegmentNote, SetAck, SetStatus, check_group, functional_ack,
};
use o2c_formats::x12::doc850::PurchaseOrder;
use o2c_formats::x12::envelope::{EnvelopeParams, wrap};
use o2c_formats::x12::{
    Interchange, ParseOptions, Transaction, parse, parse_with, render_interchange,
};
use rust_decimal::Decimal;

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 3, 1).expect("date")
}

fn noon() -> NaiveTime {
    NaiveTime::from_hms_opt(12, 30, 0).expect("time")
}

/// Wraps `tx` in a reply envelope to `received` and renders it; the
/// output must parse strictly.
fn reply(received: &Interchange, functional_id: &str, tx: Transaction) -> String {
    let params = EnvelopeParams::reply_to(received, &received.groups[0], day(), noon(), 901, 77)
        .expect("params");
    let ic = wrap(functional_id, vec![tx], &params).expect("wrap");
    let text = render_interchange(&ic, &ic.separators).expect("render");
    parse(text.as_bytes()).unwrap_or_else(|e| panic!("generated X12 invalid: {e}\n{text}"));
    text
}

fn lenient(name: &str) -> Interchange {
    let p = parse_with(&common::x12(name), &ParseOptions::lenient()).expect("parse");
    p.file.interchanges.into_iter().next().expect("interchange")
}

#[test]
fn ack_997_accepted_group() {
    let ic = lenient("stedi_850_5010_dropship.edi");
    let acks = check_group(&ic.groups[0], &["850"]);
    assert_eq!(acks[0].status, SetStatus::Accepted);
    let tx = functional_ack(&ic.groups[0], &acks, "0001").expect("997");
    insta::assert_snapshot!("997_accepted", reply(&ic, "FA", tx));
}

#[test]
fn ack_997_rejects_wrong_segment_count() {
    let ic = lenient("x12types_850_5010_napa_5lines.edi");
    let acks = check_group(&ic.groups[0], &["850"]);
    assert_eq!(
        (acks[0].status, acks[0].codes.as_slice()),
        (SetStatus::Rejected, &["4".to_string()][..])
    );
    let tx = functional_ack(&ic.groups[0], &acks, "0002").expect("997");
    insta::assert_snapshot!("997_rejected_count", reply(&ic, "FA", tx));
}

#[test]
fn ack_997_group_errors_and_notes() {
    let ic = lenient("x12types_856_00204_edifabric.edi");
    let mut acks = check_group(&ic.groups[0], &["850", "856"]);
    acks[0].status = SetStatus::AcceptedWithErrors;
    acks[0].segments.push(SegmentNote {
        segment_id: "DTM".into(),
        position: 11,
        loop_id: None,
        code: Some("8".into()),
        elements: vec![ElementNote {
            position: 2,
            reference: Some("373".into()),
            code: "8".into(),
            bad_value: Some("200".into()),
        }],
    });
    let tx = functional_ack(&ic.groups[0], &acks, "0003").expect("997");
    insta::assert_snapshot!("997_group_errors", reply(&ic, "FA", tx));
}

#[test]
fn ack_997_unsupported_set() {
    let ic = lenient("x12types_940_babelway.edi");
    let acks: Vec<SetAck> = check_group(&ic.groups[0], &["850"]);
    assert_eq!(acks[0].codes, ["1"]);
    let tx = functional_ack(&ic.groups[0], &acks, "0004").expect("997");
    let text = reply(&ic, "FA", tx);
    assert!(
        text.contains("AK5*R*1~") && text.contains("AK9*R*1*1*0~"),
        "{text}"
    );
}

fn vics() -> (Interchange, PurchaseOrder) {
    let ic = lenient("nodex12_850_4010VICS_6lines.edi");
    let po = PurchaseOrder::from_transaction(&ic.groups[0].transactions[0]).expect("850");
    (ic, po)
}

fn opts(control: &str) -> PoAckOptions {
    PoAckOptions {
        control_number: control.into(),
        ack_date: day(),
        seller_order_number: Some("S00042".into()),
        ack_type: None,
        purpose: AckPurpose::Original,
        notes: AckNotes::default(),
    }
}

#[test]
fn ack_855_all_accepted() {
    let ic = lenient("stedi_850_5010_dropship.edi");
    let po = PurchaseOrder::from_transaction(&ic.groups[0].transactions[0]).expect("850");
    let tx = po_acknowledgment(
        &po,
        &[LineDecision::Accept, LineDecision::Accept],
        &opts("0001"),
    )
    .expect("855");
    let text = reply(&ic, "PR", tx);
    assert!(
        text.contains("BAK*00*AD*365465413*20220830****S00042*20240301~"),
        "{text}"
    );
    insta::assert_snapshot!("855_accepted", text);
}

#[test]
fn ack_855_per_line_changes() {
    let (ic, po) = vics();
    let d = |s: &str| s.parse::<Decimal>().expect("decimal");
    let ship = NaiveDate::from_ymd_opt(2010, 12, 20);
    let decisions = [
        LineDecision::Accept,
        LineDecision::Change {
            quantity: Some(d("200")),
            unit_price: None,
            ship_date: None,
        },
        LineDecision::Change {
            quantity: None,
            unit_price: Some(d("10.49")),
            ship_date: None,
        },
        LineDecision::Backorder { ship_date: ship },
        LineDecision::Reject,
        LineDecision::Change {
            quantity: Some(d("600")),
            unit_price: None,
            ship_date: ship,
        },
    ];
    let tx = po_acknowledgment(&po, &decisions, &opts("0002")).expect("855");
    let text = reply(&ic, "PR", tx);
    for code in [
        "BAK*00*AC*",
        "ACK*IA*120*EA~",
        "ACK*IQ*200*EA~",
        "ACK*IP*126*EA~",
        "ACK*IB*76*EA*068*20101220~",
        "ACK*IR*0*EA~",
        "ACK*IC*600*EA*068*20101220~",
    ] {
        assert!(text.contains(code), "{code} missing in\n{text}");
    }
    insta::assert_snapshot!("855_changes", text);
}

#[test]
fn ack_855_all_rejected_and_bad_input() {
    let (ic, po) = vics();
    let tx = po_acknowledgment(&po, &vec![LineDecision::Reject; 6], &opts("0003")).expect("855");
    let text = reply(&ic, "PR", tx);
    assert!(text.contains("BAK*00*RD*08292233294*20101127"), "{text}");
    assert!(po_acknowledgment(&po, &[LineDecision::Accept], &opts("0004")).is_err());
}

#[test]
fn ack_855_reasons_for_refused_lines_and_a_replacement() {
    let (ic, po) = vics();
    let mut decisions = vec![LineDecision::Accept; po.lines.len()];
    decisions[1] = LineDecision::Reject;
    let mut lines = vec![None; po.lines.len()];
    lines[1] = Some(AckNote {
        code: "REFUSED".into(),
        text: "refused by Odoo: no Odoo product has the SKU(s): 123456789012".into(),
    });
    let notes = AckNotes {
        header: Some(AckNote {
            code: "PARTIAL".into(),
            text: "1 of 6 lines refused; see the line notes".into(),
        }),
        lines,
    };
    let options = PoAckOptions {
        purpose: AckPurpose::Replace,
        notes,
        ..opts("0003")
    };
    let tx = po_acknowledgment(&po, &decisions, &options).expect("855");
    let text = reply(&ic, "PR", tx);
    assert!(text.contains("BAK*05*AC*"), "{text}");
    let segments: Vec<&str> = text.split('~').map(str::trim).collect();
    let ir = segments
        .iter()
        .position(|s| s.starts_with("ACK*IR"))
        .expect("IR line");
    assert_eq!(segments[ir + 1], "N9*L1*REFUSED");
    assert!(
        segments[ir + 2].starts_with("MSG*refused by Odoo no Odoo product"),
        "{text}"
    );
    insta::assert_snapshot!("855_reasons_replace", text);
}
