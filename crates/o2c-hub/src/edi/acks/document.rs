//! What a PO's 855 says, without I/O: each order's outcome, the decision
//! per PO1 line from the quantities the orders accepted, the reasons told
//! to the partner, and the X12 interchange (line detail, header only, or
//! `RJ` for a PO rejected whole). The sweeper (`super`) decides when.

use o2c_formats::x12::ack855::{
    AckNote, AckNotes, AckPurpose, LineDecision, PoAckOptions, po_acknowledgment,
};
use o2c_formats::x12::doc850::PurchaseOrder;
use o2c_formats::x12::envelope::{EnvelopeParams, wrap};
use o2c_formats::x12::{Separators, Transaction, render_interchange};
use rust_decimal::Decimal;
use serde_json::Value;

use super::AckError;
use crate::edi::EdiPartner;
use crate::edi::inbound::outbound_ids;
use crate::edi::partner::{HoldAnswer, PoAckKind};
use crate::edi::tracking::{PlannedAck, PoTrack};

/// Codes of the reasons an 855 gives (N902).
pub(super) const REFUSED: &str = "REFUSED";
pub(super) const HELD: &str = "HELD";
pub(super) const CANCELLED: &str = "CANCELLED";
const UNMAPPABLE: &str = "UNMAPPABLE";

/// Where one order of a PO stands for the 855.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Outcome {
    Pending,
    Accepted,
    Rejected,
}

pub(super) fn outcome(status: &str, on_hold: HoldAnswer) -> Outcome {
    match status {
        "received" | "mapped" | "validated" | "submitted" => Outcome::Pending,
        "on_hold" => match on_hold {
            HoldAnswer::Wait => Outcome::Pending,
            HoldAnswer::Reject => Outcome::Rejected,
        },
        "cancelled" => Outcome::Rejected,
        // Confirmed in Odoo, and every later stage.
        _ => Outcome::Accepted,
    }
}

/// One decision per PO1 line from the accepted quantities, or None while
/// an order has no outcome yet.
pub(super) fn decide(
    po: &PurchaseOrder,
    orders: &[(Outcome, &[(usize, Decimal)])],
) -> Option<Vec<LineDecision>> {
    let mut accepted = vec![Decimal::ZERO; po.lines.len()];
    for (outcome, lines) in orders {
        match outcome {
            Outcome::Pending => return None,
            Outcome::Rejected => {}
            Outcome::Accepted => {
                for (index, quantity) in lines.iter() {
                    if let Some(total) = accepted.get_mut(*index) {
                        *total += *quantity;
                    }
                }
            }
        }
    }
    Some(
        po.lines
            .iter()
            .zip(accepted)
            .map(|(line, accepted)| {
                if accepted == line.quantity {
                    LineDecision::Accept
                } else if accepted.is_zero() {
                    LineDecision::Reject
                } else {
                    LineDecision::Change {
                        quantity: Some(accepted),
                        unit_price: None,
                        ship_date: None,
                    }
                }
            })
            .collect(),
    )
}

/// BAK02 for a PO rejected as a whole, without line detail (X12 code 587
/// `RJ`, "Rejected - No Detail"): the answer to an 850 that could not
/// become orders.
pub const REJECTED_NO_DETAIL: &str = "RJ";

/// The 855 transaction; header-only partners get BAK (and CUR/N1) alone,
/// and so does every partner for a PO rejected without detail (`RJ`).
fn transaction(
    po: &PurchaseOrder,
    decisions: &[LineDecision],
    kind: PoAckKind,
    options: &PoAckOptions,
) -> Result<Transaction, String> {
    let kind = if options.ack_type.as_deref() == Some(REJECTED_NO_DETAIL) {
        PoAckKind::HeaderOnly
    } else {
        kind
    };
    let tx = po_acknowledgment(po, decisions, options).map_err(|e| e.to_string())?;
    Ok(match kind {
        PoAckKind::LineDetail => tx,
        PoAckKind::HeaderOnly => {
            let header = tx
                .segments
                .into_iter()
                .filter(|s| !matches!(s.id.as_str(), "PO1" | "PID" | "ACK" | "CTT"))
                .collect();
            Transaction::new("855", &options.control_number, header)
        }
    })
}

fn envelope_text(doc: &Value, key: &str, fallback: &str) -> String {
    doc.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .unwrap_or(fallback)
        .trim()
        .to_owned()
}

/// Renders the planned 855 of `track` (deterministic: numbers and time
/// come from the plan).
pub(super) fn render_855(
    partner: &EdiPartner,
    kind: PoAckKind,
    track: &PoTrack,
    plan: &PlannedAck,
    seller_order: Option<String>,
) -> Result<String, AckError> {
    let build = |message: String| AckError::Build {
        po: track.po_number.clone(),
        message,
    };
    let po: PurchaseOrder = serde_json::from_value(track.document["purchase_order"].clone())
        .map_err(|e| build(format!("the tracked 850 does not read back: {e}")))?;
    let n = plan.numbers;
    let rejected_whole = plan.ack_type == REJECTED_NO_DETAIL;
    // RJ carries no line detail whatever the partner's kind.
    let note_kind = if rejected_whole {
        PoAckKind::HeaderOnly
    } else {
        kind
    };
    let options = PoAckOptions {
        control_number: format!("{:04}", n.set),
        ack_date: n.at.date_naive(),
        seller_order_number: seller_order,
        ack_type: rejected_whole.then(|| REJECTED_NO_DETAIL.to_owned()),
        purpose: if track.revision > 0 {
            AckPurpose::Replace
        } else {
            AckPurpose::Original
        },
        notes: notes(partner, note_kind, track, plan, po.lines.len()),
    };
    let tx = transaction(&po, &plan.decisions, kind, &options).map_err(build)?;
    let isa = &track.document["interchange"];
    let version = envelope_text(isa, "version", "00401");
    let mut separators = Separators::default();
    if version.as_str() < "00402" {
        // ISA11 is the standards id `U` before 4020, not a repetition separator.
        separators.repetition = None;
    }
    let mut params = EnvelopeParams {
        sender_qualifier: String::new(),
        sender_id: String::new(),
        receiver_qualifier: String::new(),
        receiver_id: String::new(),
        gs_sender: String::new(),
        gs_receiver: String::new(),
        date: n.at.date_naive(),
        time: n.at.time(),
        interchange_control_number: n.interchange,
        group_control_number: n.group,
        version,
        gs_version: envelope_text(&track.document["group"], "version", "004010"),
        usage_indicator: envelope_text(isa, "usage_indicator", "P"),
        ack_requested: false,
        separators,
    };
    outbound_ids(&mut params, partner);
    let ic = wrap("PR", vec![tx], &params).map_err(|e| build(e.to_string()))?;
    render_interchange(&ic, &ic.separators).map_err(|e| build(e.to_string()))
}

/// The reasons the 855 tells the partner, when it is configured to: per
/// line the reasons of the rejected orders that carried it, or all of them
/// in the heading for a header-only 855 and an `RJ`.
fn notes(
    partner: &EdiPartner,
    kind: PoAckKind,
    track: &PoTrack,
    plan: &PlannedAck,
    lines: usize,
) -> AckNotes {
    if !partner.acknowledgments.send_reasons {
        return AckNotes::default();
    }
    if plan.ack_type == REJECTED_NO_DETAIL {
        let detail = track
            .unmapped
            .as_ref()
            .and_then(|u| u.problem.get("detail"))
            .and_then(Value::as_str)
            .unwrap_or("the purchase order could not be read into orders");
        return AckNotes {
            header: Some(AckNote {
                code: UNMAPPABLE.into(),
                text: detail.to_owned(),
            }),
            lines: Vec::new(),
        };
    }
    let mut per_line: Vec<Option<AckNote>> = vec![None; lines];
    let mut all: Vec<AckNote> = Vec::new();
    for reason in &plan.reasons {
        let note = AckNote {
            code: if reason.code.is_empty() {
                REFUSED.into()
            } else {
                reason.code.clone()
            },
            text: reason.reason.clone(),
        };
        if !all.contains(&note) {
            all.push(note.clone());
        }
        let Some(order) = track.orders.iter().find(|o| o.order_id == reason.order_id) else {
            continue;
        };
        for (index, _) in &order.lines {
            let Some(slot) = per_line.get_mut(*index) else {
                continue;
            };
            match slot {
                Some(existing) if existing.text.contains(&note.text) => {}
                Some(existing) => existing.text = format!("{}; {}", existing.text, note.text),
                None => *slot = Some(note.clone()),
            }
        }
    }
    match kind {
        PoAckKind::LineDetail => AckNotes {
            header: None,
            lines: per_line,
        },
        PoAckKind::HeaderOnly => AckNotes {
            header: match all.as_slice() {
                [] => None,
                [only] => Some(only.clone()),
                many => Some(AckNote {
                    code: many[0].code.clone(),
                    text: many
                        .iter()
                        .map(|n| n.text.as_str())
                        .collect::<Vec<_>>()
                        .join("; "),
                }),
            },
            lines: Vec::new(),
        },
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};
    use serde_json::json;
    use uuid::Uuid;

    use super::*;
    use crate::edi::tracking::RejectReason;

    fn po() -> PurchaseOrder {
        let text = "ST*850*0001~BEG*00*SA*PO7**20260101~PO1*1*10*EA*2.5**VN*A~PO1*2*4*EA*1**VN*B~SE*4*0001~";
        let parsed = o2c_formats::x12::parse_with(
            text.as_bytes(),
            &o2c_connectors::edi::parse_options(true),
        )
        .expect("parse");
        PurchaseOrder::all_in(&parsed.file).expect("850").remove(0)
    }

    fn d(n: i64) -> Decimal {
        Decimal::from(n)
    }

    #[test]
    fn statuses_map_to_outcomes() {
        assert_eq!(outcome("submitted", HoldAnswer::Reject), Outcome::Pending);
        assert_eq!(outcome("on_hold", HoldAnswer::Wait), Outcome::Pending);
        assert_eq!(outcome("on_hold", HoldAnswer::Reject), Outcome::Rejected);
        assert_eq!(outcome("cancelled", HoldAnswer::Wait), Outcome::Rejected);
        assert_eq!(outcome("confirmed", HoldAnswer::Wait), Outcome::Accepted);
        assert_eq!(outcome("shipped", HoldAnswer::Wait), Outcome::Accepted);
    }

    #[test]
    fn decisions_per_line_from_store_orders() {
        let po = po();
        let all = [(0, d(10)), (1, d(4))];
        assert_eq!(decide(&po, &[(Outcome::Pending, &all)]), None);
        assert_eq!(
            decide(&po, &[(Outcome::Accepted, &all)]),
            Some(vec![LineDecision::Accept, LineDecision::Accept])
        );
        assert_eq!(
            decide(&po, &[(Outcome::Rejected, &all)]),
            Some(vec![LineDecision::Reject, LineDecision::Reject])
        );
        // Two store orders of one PO, one of them cancelled: line 1 shrinks.
        let (a, b) = ([(0, d(6)), (1, d(4))], [(0, d(4))]);
        assert_eq!(
            decide(&po, &[(Outcome::Accepted, &a), (Outcome::Rejected, &b)]),
            Some(vec![
                LineDecision::Change {
                    quantity: Some(d(6)),
                    unit_price: None,
                    ship_date: None
                },
                LineDecision::Accept
            ])
        );
    }

    fn plan(decisions: Vec<LineDecision>) -> (EdiPartner, PoTrack, PlannedAck) {
        let text = include_str!(
            "../../../../o2c-connectors/tests/fixtures/x12/stedi_850_5010_dropship.edi"
        );
        let parsed = o2c_formats::x12::parse(text.as_bytes()).expect("parse");
        let doc = o2c_connectors::edi::documents(&parsed, "acme", &Default::default())
            .expect("850")
            .remove(0);
        let partner: EdiPartner = serde_json::from_value(json!({
            "id": "acme",
            "theirs": { "isa_qualifier": "ZZ", "isa_id": "ANOTHERMERCH", "gs_id": "READDEMO" },
            "ours": { "isa_qualifier": "14", "isa_id": "AMERCHANT", "gs_id": "072271711TMS" },
            "outbound_dir": "out"
        }))
        .expect("partner");
        let at = DateTime::parse_from_rfc3339("2026-11-27T08:15:00Z")
            .expect("t")
            .with_timezone(&Utc);
        let track = PoTrack::received("acme", doc.po_number.clone(), at, at, doc.input);
        let numbers = crate::edi::tracking::Outbound {
            interchange: 42,
            group: 42,
            set: 42,
            at,
        };
        let plan = PlannedAck {
            ack_type: String::new(),
            decisions,
            numbers,
            file: "x".into(),
            written: false,
            reasons: Vec::new(),
        };
        (partner, track, plan)
    }

    #[test]
    fn snapshot_855_accepted() {
        let (partner, track, plan) = plan(vec![LineDecision::Accept, LineDecision::Accept]);
        let text = render_855(
            &partner,
            PoAckKind::LineDetail,
            &track,
            &plan,
            Some("S00042".into()),
        )
        .expect("855");
        insta::assert_snapshot!("855_dropship_accepted", text);
    }

    #[test]
    fn snapshot_855_changed_and_rejected_lines() {
        let change = LineDecision::Change {
            quantity: Some(d(5)),
            unit_price: None,
            ship_date: None,
        };
        let (partner, track, plan) = plan(vec![change, LineDecision::Reject]);
        let text = render_855(&partner, PoAckKind::LineDetail, &track, &plan, None).expect("855");
        assert!(text.contains("BAK*00*AC*365465413"), "{text}");
        insta::assert_snapshot!("855_dropship_changes", text);
        let header = render_855(&partner, PoAckKind::HeaderOnly, &track, &plan, None).expect("855");
        insta::assert_snapshot!("855_dropship_header_only", header);
    }

    #[test]
    fn snapshot_855_reasons_per_line_in_the_heading_and_for_rj() {
        let (mut partner, mut track, mut plan) =
            plan(vec![LineDecision::Accept, LineDecision::Reject]);
        let line_detail = |partner: &EdiPartner, track: &PoTrack, plan: &PlannedAck| {
            render_855(partner, PoAckKind::LineDetail, track, plan, None).expect("855")
        };
        let refused = Uuid::from_u128(2);
        track.orders = vec![
            crate::edi::tracking::TrackedOrder {
                order_id: Uuid::from_u128(1),
                channel_order_id: "365465413-1".into(),
                lines: vec![(0, d(1))],
            },
            crate::edi::tracking::TrackedOrder {
                order_id: refused,
                channel_order_id: "365465413-2".into(),
                lines: vec![(1, d(1))],
            },
        ];
        plan.reasons = vec![RejectReason {
            order_id: refused,
            reason: "refused by Odoo: unknown_product: no Odoo product has the SKU(s): 8765-432"
                .into(),
            code: REFUSED.into(),
        }];
        // Not configured: the 855 is as before, without notes.
        assert!(!line_detail(&partner, &track, &plan).contains("N9*"));

        partner.acknowledgments.send_reasons = true;
        let text = line_detail(&partner, &track, &plan);
        let lines: Vec<&str> = text.lines().collect();
        let ir = lines
            .iter()
            .position(|l| *l == "ACK*IR*0*EA~")
            .expect("IR line");
        assert_eq!(
            lines[ir + 1..ir + 3],
            [
                "N9*L1*REFUSED~",
                "MSG*refused by Odoo unknown_product no Odoo product has the SKU(s) 8765-432~"
            ],
            "{text}"
        );
        insta::assert_snapshot!("855_dropship_reasons", text);
        let header = render_855(&partner, PoAckKind::HeaderOnly, &track, &plan, None).expect("855");
        assert!(!header.contains("PO1*"), "{header}");
        insta::assert_snapshot!("855_dropship_reasons_header_only", header);

        // A PO that could not become orders: RJ, the mapping's words in the heading.
        plan.ack_type = REJECTED_NO_DETAIL.into();
        track.orders.clear();
        plan.reasons.clear();
        track.unmapped = Some(crate::edi::tracking::Unmapped {
            problem: json!({"detail": "PO1 line 2: unit 'XX' has no value map entry"}),
            exception: Uuid::from_u128(3),
            rejected_message: None,
            cancelled: false,
        });
        let rejected = line_detail(&partner, &track, &plan);
        insta::assert_snapshot!("855_dropship_rj_reason", rejected);
    }

    #[test]
    fn an_unmappable_po_is_rejected_without_detail() {
        let (partner, track, mut plan) = plan(vec![LineDecision::Reject, LineDecision::Reject]);
        plan.ack_type = REJECTED_NO_DETAIL.into();
        // Even for a line-detail partner: RJ means "no detail" in X12.
        let text = render_855(&partner, PoAckKind::LineDetail, &track, &plan, None).expect("855");
        assert!(text.contains("BAK*00*RJ*365465413"), "{text}");
        assert!(!text.contains("PO1*") && !text.contains("ACK*"), "{text}");
    }

    fn po_with(quantities: &[u32]) -> PurchaseOrder {
        let mut text = String::from("ST*850*0001~BEG*00*SA*P**20260101~");
        for (i, q) in quantities.iter().enumerate() {
            text.push_str(&format!("PO1*{}*{q}*EA*1**VN*S{i}~", i + 1));
        }
        text.push_str(&format!("SE*{}*0001~", quantities.len() + 3));
        let parsed = o2c_formats::x12::parse_with(
            text.as_bytes(),
            &o2c_connectors::edi::parse_options(true),
        )
        .expect("parse");
        PurchaseOrder::all_in(&parsed.file).expect("850").remove(0)
    }

    proptest::proptest! {
        /// However a PO is split over store orders, a line is accepted when
        /// every order carrying it is, rejected when none is, and changed to
        /// the accepted sum otherwise; one pending order holds the 855 back.
        #[test]
        fn split_po_decisions(
            lines in proptest::collection::vec((1u32..50, proptest::collection::vec((1u32..20, proptest::bool::ANY), 1..4)), 1..5),
            pending in proptest::bool::ANY,
        ) {
            // Each line's quantity is the sum of its store parts.
            let quantities: Vec<u32> = lines.iter().map(|(_, parts)| parts.iter().map(|p| p.0).sum()).collect();
            let po = po_with(&quantities);
            let mut orders: Vec<(Outcome, Vec<(usize, Decimal)>)> = Vec::new();
            for (i, (_, parts)) in lines.iter().enumerate() {
                for (q, accepted) in parts {
                    let outcome = if *accepted { Outcome::Accepted } else { Outcome::Rejected };
                    orders.push((outcome, vec![(i, Decimal::from(*q))]));
                }
            }
            if pending {
                orders.push((Outcome::Pending, Vec::new()));
            }
            let view: Vec<(Outcome, &[(usize, Decimal)])> = orders.iter().map(|(o, l)| (*o, l.as_slice())).collect();
            let decided = decide(&po, &view);
            if pending {
                proptest::prop_assert!(decided.is_none());
                return Ok(());
            }
            let decisions = decided.expect("decided");
            for (i, (_, parts)) in lines.iter().enumerate() {
                let accepted: u32 = parts.iter().filter(|p| p.1).map(|p| p.0).sum();
                let expected = if parts.iter().all(|p| p.1) {
                    LineDecision::Accept
                } else if accepted == 0 {
                    LineDecision::Reject
                } else {
                    LineDecision::Change { quantity: Some(Decimal::from(accepted)), unit_price: None, ship_date: None }
                };
                proptest::prop_assert_eq!(&decisions[i], &expected);
            }
        }
    }

    #[test]
    fn header_only_855_has_no_lines() {
        let po = po();
        let at = DateTime::parse_from_rfc3339("2026-01-02T10:30:00Z")
            .expect("t")
            .with_timezone(&Utc);
        let decisions = [LineDecision::Accept, LineDecision::Reject];
        let options = PoAckOptions {
            control_number: "0001".into(),
            ack_date: at.date_naive(),
            seller_order_number: None,
            ack_type: None,
            purpose: AckPurpose::Original,
            notes: AckNotes::default(),
        };
        let full = transaction(&po, &decisions, PoAckKind::LineDetail, &options).expect("855");
        assert!(full.segments.iter().any(|s| s.id == "ACK"));
        let header = transaction(&po, &decisions, PoAckKind::HeaderOnly, &options).expect("855");
        let ids: Vec<_> = header.segments.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["BAK"]);
        assert_eq!(header.se.segment_count, "3");
        assert_eq!(header.segments[0].get(2), "AC");
    }
}
