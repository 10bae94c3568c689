//! An 850 that parses but cannot be mapped to orders (a PO1 without an item
//! id, a qualifier the mapping does not know). The file is already kept
//! among the rejected messages; this opens a `mapping_failed` exception an
//! operator can act on and, when the partner expects 855s, tracks the PO
//! without orders so the sweeper answers it — at once with an 855 rejecting
//! it (`BAK02 = RJ`), or, for partners that wait, with a deadline alert
//! until a corrected 850 with the same PO number maps.

use chrono::{DateTime, Duration, Utc};
use o2c_connectors::edi::Document850;
use o2c_store::NewException;
use serde_json::json;
use uuid::Uuid;

use super::EdiPartner;
use super::inbound::Source;
use super::partner::UnmappableAnswer;
use super::tracking::{PoTrack, Tracks, Unmapped};
use crate::api::AppState;
use crate::problem::{Problem, ProblemKind};

/// The reason code of the exception.
pub const REASON: &str = "mapping_failed";

/// Puts an unmappable PO before an operator and, per the partner, on the
/// way to its 855. A PO already tracked with an exception (the same file
/// sent again) opens no second one.
pub async fn record(
    app: &AppState,
    partner: &EdiPartner,
    doc: &Document850,
    problem: &Problem,
    kept: Option<Uuid>,
    src: &Source<'_>,
    now: DateTime<Utc>,
) -> Result<(), Problem> {
    let unavailable = |detail: String| {
        tracing::error!(partner = partner.id, po = doc.po_number, "{detail}");
        Problem::new(
            ProblemKind::Unavailable,
            "the unmappable PO could not be recorded; send the file again",
        )
    };
    let acks = &partner.acknowledgments;
    let tracks = Tracks::new(app.store.as_ref(), &partner.id);
    if acks.po_855.is_some()
        && let Some(existing) = app
            .store
            .load_edi_po(&partner.id, &doc.po_number)
            .await
            .map_err(|e| unavailable(e.to_string()))?
        && existing.track.get("unmapped").is_some_and(|u| !u.is_null())
    {
        return Ok(());
    }
    let answer = match (acks.po_855, acks.on_unmappable) {
        (None, _) => "no 855 expected",
        (Some(_), UnmappableAnswer::Reject) => "rejected by 855 (BAK02 RJ)",
        (Some(_), UnmappableAnswer::Wait) => "no 855 until a corrected 850 maps",
    };
    let exception = Uuid::now_v7();
    let body = problem.body();
    app.store
        .open_exception(NewException {
            id: exception,
            order_id: None,
            inbox_id: None,
            reasons: vec![REASON.into()],
            details: json!({
                "partner": partner.id,
                "po_number": doc.po_number,
                "st_control_number": doc.set_control,
                "detail": format!(
                    "PO {} of {} could not be mapped to orders: {}; {answer}",
                    doc.po_number, partner.id, problem.detail
                ),
                "problem": body,
                "rejected_message_id": kept,
                "answer": answer,
                // What an operator's retry maps again (`edi::settle`).
                "input": doc.input,
            }),
            correlation_id: src.correlation_id.to_owned(),
            created_at: now,
        })
        .await
        .map_err(|e| unavailable(e.to_string()))?;
    if acks.po_855.is_none() {
        return Ok(());
    }
    let track = PoTrack::received(
        partner.id.clone(),
        doc.po_number.clone(),
        now,
        now + Duration::hours(acks.deadline_hours),
        doc.input.clone(),
    )
    .with_unmapped(Unmapped {
        problem: body,
        exception,
        rejected_message: kept,
        cancelled: false,
    });
    tracks
        .record(track)
        .await
        .map_err(|e| unavailable(e.to_string()))?;
    Ok(())
}
