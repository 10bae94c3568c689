//! One received X12 file of a trading partner, from the HTTP API or the
//! inbound folder: parsed (a malformed file is refused with the segment
//! and element), its envelopes checked against the partner, each 850 mapped
//! and its order(s) stored exactly once (dedupe by partner + PO number),
//! then a 997 written for each functional group and the POs tracked for
//! their 855. Durable before acknowledged: the 997 is written after the
//! orders are committed.

use chrono::{DateTime, Duration, Utc};
use o2c_connectors::Input;
use o2c_connectors::edi::{self, Document850, check_envelope};
use o2c_formats::x12::ack997::{
    ElementNote, SegmentNote, SetAck, SetStatus, check_group, functional_ack,
};
use o2c_formats::x12::envelope::{EnvelopeParams, wrap};
use o2c_formats::x12::{
    ErrorKind, Group, Interchange, X12Error, X12File, parse_with, render_interchange,
};
use o2c_model::Order;
use o2c_store::{NewAuditEntry, RejectedMessage};
use serde_json::{Value, json};
use uuid::Uuid;

use super::EdiPartner;
use super::tracking::{Outbound, PoTrack, TrackedOrder, Tracks};
use super::unmapped;
use crate::api::AppState;
use crate::api::orders::submit;
use crate::auth::Principal;
use crate::problem::{Problem, ProblemKind};

/// Where a file came from, for the audit trail and rejected payloads.
pub struct Source<'a> {
    pub principal: &'a Principal,
    pub correlation_id: &'a str,
    /// `http` or the inbound file's name.
    pub origin: String,
}

/// A file refused as a whole, kept for operators with its problem.
async fn refuse(
    app: &AppState,
    partner: &EdiPartner,
    bytes: &[u8],
    src: &Source<'_>,
    problem: Problem,
) -> Problem {
    keep(app, partner, bytes, src, problem).await.0
}

/// Keeps the file with its problem among the rejected messages (the
/// original payload an operator reads); the id is the kept message's.
async fn keep(
    app: &AppState,
    partner: &EdiPartner,
    bytes: &[u8],
    src: &Source<'_>,
    problem: Problem,
) -> (Problem, Option<Uuid>) {
    let problem = problem.correlated(src.correlation_id);
    let id = Uuid::now_v7();
    let message = RejectedMessage {
        id,
        channel: partner.channel(),
        content_type: "application/edi-x12".into(),
        payload: String::from_utf8_lossy(bytes).into_owned(),
        truncated: false,
        problem: problem.body(),
        correlation_id: src.correlation_id.to_owned(),
        received_at: Utc::now(),
    };
    match app.store.record_rejection(message).await {
        Ok(()) => (problem, Some(id)),
        Err(error) => {
            tracing::error!(error = %error, "could not keep a rejected X12 file");
            (problem, None)
        }
    }
}

/// The problem for a codec error: segment number, id and element position.
pub fn malformed(error: &X12Error) -> Problem {
    Problem::new(ProblemKind::MalformedX12, error.to_string())
        .with("segment", json!(error.position.segment))
        .with("segment_id", json!(error.position.segment_id))
        .with("element", json!(error.position.element))
}

/// File segment numbers of each interchange's ISA and each group's GS.
fn envelope_positions(file: &X12File) -> Vec<(usize, Vec<usize>)> {
    let mut n = 1;
    let mut out = Vec::new();
    for ic in &file.interchanges {
        let isa = n;
        if ic.isa.is_some() {
            n += 1;
        }
        let mut groups = Vec::new();
        for g in &ic.groups {
            groups.push(n);
            if g.gs.is_some() {
                n += 1;
            }
            for t in &g.transactions {
                n += t.segments.len() + 2;
            }
            if g.ge.is_some() {
                n += 1;
            }
        }
        if ic.iea.is_some() {
            n += 1;
        }
        out.push((isa, groups));
    }
    out
}

/// AK4 error code for a codec error kind.
fn element_error_code(kind: &ErrorKind) -> &'static str {
    match kind {
        ErrorKind::MissingField => "1",
        ErrorKind::InvalidValue { reason, .. } if reason.contains("date") => "8",
        ErrorKind::InvalidValue { .. } => "6",
        _ => "7",
    }
}

/// Marks `ack` rejected for an 850 that cannot be read, noting where.
fn reject_set(ack: &mut SetAck, error: &X12Error, st_segment: usize) {
    ack.status = SetStatus::Rejected;
    if !ack.codes.iter().any(|c| c == "5") {
        ack.codes.push("5".into());
    }
    let position = error.position.segment.saturating_sub(st_segment) + 1;
    let elements = error
        .position
        .element
        .map(|position| ElementNote {
            position,
            reference: None,
            code: element_error_code(&error.kind).into(),
            bad_value: match &error.kind {
                ErrorKind::InvalidValue { value, .. } => Some(value.clone()),
                _ => None,
            },
        })
        .into_iter()
        .collect();
    ack.segments.push(SegmentNote {
        segment_id: error.position.segment_id.clone(),
        position,
        loop_id: None,
        code: Some("8".into()),
        elements,
    });
}

/// Maps one 850 to canonical orders with the partner's value maps applied.
pub(crate) fn map_document(
    app: &AppState,
    partner: &EdiPartner,
    doc: &Document850,
) -> Result<Vec<Order>, Problem> {
    let mapping = app
        .mappings
        .get("edi-850", None)
        .map_err(|e| Problem::new(ProblemKind::Internal, e.to_string()))?;
    let context = |problem: Problem| {
        problem
            .with("mapping", json!(mapping.name()))
            .with("po_number", json!(doc.po_number))
            .with("st_control_number", json!(doc.set_control))
    };
    let mut orders = app
        .schema
        .map(
            &mapping.program,
            Input::Decoded(&doc.input),
            &partner.id,
            &Utc::now().to_rfc3339(),
        )
        .map_err(|failure| failure.problem(context))?;
    for order in &mut orders {
        partner.value_maps.apply(order);
    }
    Ok(orders)
}

/// Which PO1 line a canonical line came from (`<line>` or `<line>@<store>`).
fn po_line_index(doc: &Document850, line_id: &str) -> Option<usize> {
    let id = line_id.split('@').next().unwrap_or(line_id);
    let lines = doc.input["purchase_order"]["lines"].as_array()?;
    lines.iter().enumerate().find_map(|(i, l)| {
        let number = l["line_number"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| (i + 1).to_string());
        (number == id).then_some(i)
    })
}

/// Stores the orders one 850 became and tracks the PO for its 855 (a PO
/// tracked before gains the orders it did not list): one report entry per
/// order, stored now or found stored (a duplicate).
pub(crate) async fn store_orders(
    app: &AppState,
    partner: &EdiPartner,
    doc: &Document850,
    orders: &[Order],
    src: &Source<'_>,
    now: DateTime<Utc>,
) -> Result<Vec<Value>, Problem> {
    let payload = doc.input.to_string();
    let mut reports = Vec::with_capacity(orders.len());
    let mut tracked = Vec::new();
    for order in orders {
        let submitted = submit(
            app,
            order,
            payload.clone(),
            src.principal,
            None,
            src.correlation_id,
        )
        .await?;
        let order_id = submitted
            .order_id()
            .and_then(Value::as_str)
            .and_then(|s| Uuid::parse_str(s).ok());
        reports.push(json!({
            "po_number": doc.po_number,
            "channel_order_id": order.channel_order_id,
            "order_id": order_id,
            "status": if submitted.replayed { "duplicate" } else { "accepted" },
        }));
        if let Some(order_id) = order_id {
            let lines = order
                .lines
                .iter()
                .filter_map(|l| Some((po_line_index(doc, &l.line_id)?, l.quantity.value)))
                .collect();
            tracked.push(TrackedOrder {
                order_id,
                channel_order_id: order.channel_order_id.clone(),
                lines,
            });
        }
    }
    if partner.acknowledgments.po_855.is_some() && !tracked.is_empty() {
        let track = PoTrack::received(
            partner.id.clone(),
            doc.po_number.clone(),
            now,
            now + Duration::hours(partner.acknowledgments.deadline_hours),
            doc.input.clone(),
        )
        .with_orders(tracked);
        Tracks::new(app.store.as_ref(), &partner.id)
            .record(track)
            .await
            .map_err(|e| {
                tracing::error!(error = %e, partner = partner.id, "cannot record a PO for its 855");
                Problem::new(
                    ProblemKind::Unavailable,
                    "the PO could not be tracked; send the file again",
                )
            })?;
    }
    Ok(reports)
}

/// The answer to a received file.
pub struct Received {
    pub report: Value,
    /// Orders stored or found stored (duplicates), for the caller's status.
    pub stored: usize,
    pub failures: usize,
}

/// Takes one X12 file from `partner`.
pub async fn receive(
    app: &AppState,
    partner: &EdiPartner,
    bytes: &[u8],
    src: &Source<'_>,
) -> Result<Received, Problem> {
    let parsed = match parse_with(bytes, &edi::parse_options(false)) {
        Ok(parsed) => parsed,
        Err(error) => return Err(refuse(app, partner, bytes, src, malformed(&error)).await),
    };
    let file = parsed.file;
    let positions = envelope_positions(&file);
    for (ic, (isa_no, gs_nos)) in file.interchanges.iter().zip(&positions) {
        for (group, gs_no) in ic.groups.iter().zip(gs_nos) {
            if let Err(mismatch) =
                check_envelope(ic, *isa_no, group, *gs_no, &partner.theirs, &partner.ours)
            {
                let problem = Problem::new(
                    ProblemKind::EnvelopeMismatch,
                    format!("partner {}: {mismatch}", partner.id),
                )
                .with("element", json!(mismatch.element))
                .with("segment", json!(mismatch.segment))
                .with("expected", json!(mismatch.expected))
                .with("found", json!(mismatch.found));
                return Err(refuse(app, partner, bytes, src, problem).await);
            }
        }
    }
    let options = partner.mapping_options();
    let mut groups_report = Vec::new();
    let mut orders_report = Vec::new();
    let mut failures = Vec::new();
    let mut stored = 0;
    let now = Utc::now();
    for ic in &file.interchanges {
        for group in &ic.groups {
            let mut acks = check_group(group, &["850"]);
            for (tx, ack) in group.transactions.iter().zip(acks.iter_mut()) {
                if ack.status == SetStatus::Rejected {
                    continue;
                }
                let doc = match edi::document_of(ic, group, tx, &partner.id, &options) {
                    Ok(doc) => doc,
                    Err(error) => {
                        reject_set(ack, &error, tx.start_segment);
                        failures.push(malformed(&error).body());
                        continue;
                    }
                };
                let orders = match map_document(app, partner, &doc) {
                    Ok(orders) => orders,
                    Err(problem) => {
                        // Kept, answered (855 RJ or a deadline alert, per
                        // the partner) and put before an operator.
                        let (problem, kept) = keep(app, partner, bytes, src, problem).await;
                        unmapped::record(app, partner, &doc, &problem, kept, src, now).await?;
                        failures.push(problem.body());
                        continue;
                    }
                };
                let reports = store_orders(app, partner, &doc, &orders, src, now).await?;
                stored += reports.len();
                orders_report.extend(reports);
            }
            let ack_file = if partner.acknowledgments.functional_997 {
                Some(write_997(app, partner, ic, group, &acks, src).await?)
            } else {
                None
            };
            groups_report.push(json!({
                "gs_control_number": group.gs.as_ref().map(|g| g.control_number.clone()),
                "sets": acks.iter().map(|a| json!({
                    "st_control_number": a.control_number,
                    "status": a.status.code(),
                })).collect::<Vec<_>>(),
                "ack_997": ack_file,
            }));
        }
    }
    let report = json!({
        "partner": partner.id,
        "groups": groups_report,
        "orders": orders_report,
        "problems": failures,
        "warnings": parsed.warnings.iter().map(|w| w.to_string()).collect::<Vec<_>>(),
    });
    Ok(Received {
        stored,
        failures: failures.len(),
        report,
    })
}

/// Writes the 997 answering `group` (once per received ISA13 + GS06: a
/// file sent again after a crash is rebuilt with the same numbers).
async fn write_997(
    app: &AppState,
    partner: &EdiPartner,
    ic: &Interchange,
    group: &Group,
    acks: &[SetAck],
    src: &Source<'_>,
) -> Result<String, Problem> {
    let unavailable = |detail: String| {
        tracing::error!(partner = partner.id, "{detail}");
        Problem::new(
            ProblemKind::Unavailable,
            "the 997 could not be written; send the file again",
        )
    };
    let isa13 = ic
        .isa
        .as_ref()
        .map(|i| i.control_number.trim().to_owned())
        .unwrap_or_default();
    let gs06 = group
        .gs
        .as_ref()
        .map(|g| g.control_number.clone())
        .unwrap_or_default();
    let key = format!("{isa13}-{gs06}");
    let numbers = Tracks::new(app.store.as_ref(), &partner.id)
        .numbers_for(&format!("997:{key}"), Utc::now())
        .await
        .map_err(|e| unavailable(e.to_string()))?;
    let text = render_997(partner, ic, group, acks, &numbers).map_err(unavailable)?;
    let name = format!("997-{}-{:09}.x12", partner.id, numbers.interchange);
    let path = partner.outbound_dir().join(&name);
    super::files::write_atomic(&path, text.as_bytes()).map_err(|e| unavailable(e.to_string()))?;
    let audit = NewAuditEntry {
        actor: src.principal.actor(),
        action: "edi.997.written".into(),
        subject: format!("edi:{}:{key}", partner.id),
        details: json!({ "file": name, "origin": src.origin, "interchange_control_number": numbers.interchange }),
        correlation_id: src.correlation_id.to_owned(),
        at: Utc::now(),
    };
    if let Err(error) = app.store.append_audit(audit).await {
        tracing::warn!(error = %error, "could not audit a written 997");
    }
    tracing::info!(partner = partner.id, file = name, "997 written");
    Ok(name)
}

/// The 997 answering `group` with the given numbers (deterministic).
pub fn render_997(
    partner: &EdiPartner,
    ic: &Interchange,
    group: &Group,
    acks: &[SetAck],
    numbers: &Outbound,
) -> Result<String, String> {
    let tx =
        functional_ack(group, acks, &format!("{:04}", numbers.set)).map_err(|e| e.to_string())?;
    let mut params = EnvelopeParams::reply_to(
        ic,
        group,
        numbers.at.date_naive(),
        numbers.at.time(),
        numbers.interchange,
        numbers.group,
    )
    .map_err(|e| e.to_string())?;
    outbound_ids(&mut params, partner);
    let out = wrap("FA", vec![tx], &params).map_err(|e| e.to_string())?;
    render_interchange(&out, &out.separators).map_err(|e| e.to_string())
}

/// Our ids from the configuration rather than echoed from the file.
pub fn outbound_ids(params: &mut EnvelopeParams, partner: &EdiPartner) {
    params.sender_qualifier = partner.ours.isa_qualifier.trim().into();
    params.sender_id = partner.ours.isa_id.trim().into();
    params.receiver_qualifier = partner.theirs.isa_qualifier.trim().into();
    params.receiver_id = partner.theirs.isa_id.trim().into();
    params.gs_sender = partner.ours.gs_code().into();
    params.gs_receiver = partner.theirs.gs_code().into();
    if let Some(usage) = &partner.usage_indicator {
        params.usage_indicator = usage.clone();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use o2c_formats::x12::parse;

    fn vics_partner() -> EdiPartner {
        serde_json::from_value(serde_json::json!({
            "id": "xyz",
            "theirs": { "isa_qualifier": "12", "isa_id": "4405197800" },
            "ours": { "isa_qualifier": "01", "isa_id": "999999999" },
            "outbound_dir": "out"
        }))
        .expect("partner")
    }

    fn numbers() -> Outbound {
        Outbound {
            interchange: 17,
            group: 17,
            set: 17,
            at: chrono::DateTime::parse_from_rfc3339("2026-11-27T08:15:00Z")
                .expect("time")
                .with_timezone(&Utc),
        }
    }

    const VICS: &str =
        include_str!("../../../o2c-connectors/tests/fixtures/x12/nodex12_850_4010VICS_6lines.edi");

    #[test]
    fn snapshot_997_accepting_the_vics_850() {
        let file = parse(VICS.as_bytes()).expect("parse");
        let ic = &file.interchanges[0];
        let acks = check_group(&ic.groups[0], &["850"]);
        let text = render_997(&vics_partner(), ic, &ic.groups[0], &acks, &numbers()).expect("997");
        insta::assert_snapshot!("997_vics_accepted", text);
    }

    #[test]
    fn snapshot_997_rejecting_an_850_without_po_number() {
        let without = VICS.replace(
            "BEG*00*SA*08292233294**20101127*610385385~",
            "BEG*00*SA***20101127*610385385~",
        );
        let file = parse(without.as_bytes()).expect("parse");
        let ic = &file.interchanges[0];
        let group = &ic.groups[0];
        let mut acks = check_group(group, &["850"]);
        let tx = &group.transactions[0];
        let error =
            edi::document_of(ic, group, tx, "xyz", &Default::default()).expect_err("BEG03 missing");
        reject_set(&mut acks[0], &error, tx.start_segment);
        let text = render_997(&vics_partner(), ic, group, &acks, &numbers()).expect("997");
        assert!(text.contains("AK3*BEG*2**8~"), "{text}");
        assert!(text.contains("AK4*3**1~"), "{text}");
        insta::assert_snapshot!("997_vics_rejected_beg03", text);
    }

    #[test]
    fn envelope_positions_count_segments() {
        let text = "ISA*00*          *00*          *01*000123456      *ZZ*PARTNERID      *090827*0936*U*00401*000000055*0*T*>~GS*PO*000123456*PARTNERID*20090827*1041*2*X*004010~ST*850*0003~BEG*00*SA*1**20090827~SE*3*0003~GE*1*2~GS*PO*000123456*PARTNERID*20090827*1041*3*X*004010~ST*850*0004~BEG*00*SA*2**20090827~SE*3*0004~GE*1*3~IEA*2*000000055~";
        let file = parse(text.as_bytes()).expect("parse");
        assert_eq!(envelope_positions(&file), vec![(1, vec![2, 7])]);
    }

    #[test]
    fn an_unreadable_850_is_noted_where_it_fails() {
        let mut ack = SetAck {
            set_id: "850".into(),
            control_number: "0003".into(),
            status: SetStatus::Accepted,
            codes: Vec::new(),
            segments: Vec::new(),
        };
        let error = X12Error::at(4, "BEG", Some(3), ErrorKind::MissingField);
        reject_set(&mut ack, &error, 3);
        assert_eq!(ack.status, SetStatus::Rejected);
        assert_eq!(ack.codes, ["5"]);
        assert_eq!(
            (
                ack.segments[0].segment_id.as_str(),
                ack.segments[0].position
            ),
            ("BEG", 2)
        );
        assert_eq!(ack.segments[0].elements[0].position, 3);
        assert_eq!(ack.segments[0].elements[0].code, "1");
    }
}
