//! 855 purchase order acknowledgment generated from a typed 850 and one
//! decision per line: BAK (AD accepted, AC accepted with changes, RD
//! rejected), PO1 echo plus ACK per line (IA, IR, IQ, IP, DR, IC, IB), CTT.
//!
//! Reasons the buyer can read go where X12 4010's 855 has room for free
//! text: the N9 loop (N9 `L1` "letters or notes" with the reason code in
//! N902, then MSG segments with the text), in the heading (after CUR,
//! before N1) for the whole PO and in a line's PO1 loop after its ACK.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::ack997::AckError;
use super::doc850::{PoLine, PurchaseOrder};
use super::model::{Segment, Transaction};

/// What the seller does with one purchase order line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum LineDecision {
    /// Accepted as ordered (`IA`).
    Accept,
    /// Accepted with changes: quantity (`IQ`), price (`IP`), ship date
    /// (`DR`), several (`IC`).
    Change {
        /// New quantity.
        quantity: Option<Decimal>,
        /// New unit price.
        unit_price: Option<Decimal>,
        /// New scheduled ship date.
        ship_date: Option<NaiveDate>,
    },
    /// Backordered (`IB`), with the expected ship date.
    Backorder {
        /// Expected ship date.
        ship_date: Option<NaiveDate>,
    },
    /// Rejected (`IR`).
    Reject,
}

/// Header values of the acknowledgment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoAckOptions {
    /// ST02 / SE02 control number.
    pub control_number: String,
    /// BAK09 acknowledgment date.
    pub ack_date: NaiveDate,
    /// BAK08 seller's order number (the Odoo sale order name).
    pub seller_order_number: Option<String>,
    /// BAK02 override; derived from the decisions when `None`.
    pub ack_type: Option<String>,
    /// BAK01: `00` original, `05` replace (an 855 that supersedes one the
    /// partner already has).
    pub purpose: AckPurpose,
    /// Reasons to tell the buyer (none: no N9/MSG at all).
    pub notes: AckNotes,
}

/// BAK01, the transaction set purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AckPurpose {
    #[default]
    Original,
    Replace,
}

impl AckPurpose {
    fn code(self) -> &'static str {
        match self {
            AckPurpose::Original => "00",
            AckPurpose::Replace => "05",
        }
    }
}

/// One reason for the buyer: a short code (N902) and its text (MSG01).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AckNote {
    pub code: String,
    pub text: String,
}

/// Reasons in the heading and per line (`lines[i]` for `po.lines[i]`;
/// shorter than the lines or `None`: no note for that line).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AckNotes {
    pub header: Option<AckNote>,
    pub lines: Vec<Option<AckNote>>,
}

/// N902 is at most 30 characters, MSG01 at most 264 (X12 4010); a longer
/// text continues in further MSG segments, up to this many.
const N902_MAX: usize = 30;
const MSG01_MAX: usize = 264;
const MSG_MAX_SEGMENTS: usize = 8;

/// The text as X12's extended character set carries it whatever the
/// interchange's separators are: letters, digits, space and punctuation
/// that is never a separator; anything else becomes a space, runs of
/// spaces one.
fn x12_text(text: &str) -> String {
    let kept: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || " .,-/()&#%@!?+=$_".contains(c) {
                c
            } else {
                ' '
            }
        })
        .collect();
    kept.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The N9 loop of one note: `N9*L1*<code>` then its text in MSG segments.
fn note_segments(note: &AckNote) -> Vec<Segment> {
    let code: String = x12_text(&note.code)
        .replace(' ', "_")
        .chars()
        .take(N902_MAX)
        .collect();
    let code = if code.is_empty() { "NOTE".into() } else { code };
    let mut out = vec![Segment::new("N9", &["L1", code.as_str()])];
    let text: Vec<char> = x12_text(&note.text).chars().collect();
    for chunk in text.chunks(MSG01_MAX).take(MSG_MAX_SEGMENTS) {
        let chunk: String = chunk.iter().collect();
        out.push(Segment::new("MSG", &[chunk.trim()]));
    }
    out
}

fn num(d: Decimal) -> String {
    d.normalize().to_string()
}

fn ymd(d: NaiveDate) -> String {
    d.format("%Y%m%d").to_string()
}

/// (ACK01 code, ACK02 quantity, price to echo, ship date) for a decision.
fn ack_values(
    line: &PoLine,
    d: &LineDecision,
) -> (&'static str, Decimal, Option<Decimal>, Option<NaiveDate>) {
    match d {
        LineDecision::Accept => ("IA", line.quantity, line.unit_price, None),
        LineDecision::Reject => ("IR", Decimal::ZERO, line.unit_price, None),
        LineDecision::Backorder { ship_date } => ("IB", line.quantity, line.unit_price, *ship_date),
        LineDecision::Change {
            quantity,
            unit_price,
            ship_date,
        } => {
            let q = quantity.filter(|q| *q != line.quantity);
            let p = unit_price.filter(|p| Some(*p) != line.unit_price);
            let code = match (q.is_some(), p.is_some(), ship_date.is_some()) {
                (false, false, false) => "IA",
                (true, false, false) => "IQ",
                (false, true, false) => "IP",
                (false, false, true) => "DR",
                _ => "IC",
            };
            (
                code,
                q.unwrap_or(line.quantity),
                p.or(line.unit_price),
                *ship_date,
            )
        }
    }
}

/// Builds the 855 for `po` with `decisions[i]` for `po.lines[i]`.
pub fn po_acknowledgment(
    po: &PurchaseOrder,
    decisions: &[LineDecision],
    opts: &PoAckOptions,
) -> Result<Transaction, AckError> {
    if decisions.len() != po.lines.len() {
        return Err(AckError::DecisionCount {
            lines: po.lines.len(),
            decisions: decisions.len(),
        });
    }
    let mut body = Vec::new();
    let mut codes = Vec::new();
    let mut hash = Decimal::ZERO;
    for (index, (line, d)) in po.lines.iter().zip(decisions).enumerate() {
        let (code, qty, price, date) = ack_values(line, d);
        codes.push(code);
        hash = hash.saturating_add(line.quantity);
        let mut po1 = vec![
            line.line_number.clone().unwrap_or_default(),
            num(line.quantity),
            line.uom.clone().unwrap_or_default(),
            price.map(num).unwrap_or_default(),
            line.price_basis.clone().unwrap_or_default(),
        ];
        for p in &line.product_ids {
            po1.push(p.qualifier.clone());
            po1.push(p.id.clone());
        }
        body.push(Segment::trimmed("PO1", &po1));
        if let Some(desc) = &line.description {
            body.push(Segment::new("PID", &["F", "", "", "", desc.as_str()]));
        }
        let mut ack = vec![
            code.to_string(),
            num(qty),
            line.uom.clone().unwrap_or_default(),
        ];
        if let Some(date) = date {
            ack.push("068".into());
            ack.push(ymd(date));
        }
        body.push(Segment::trimmed("ACK", &ack));
        if let Some(Some(note)) = opts.notes.lines.get(index) {
            body.extend(note_segments(note));
        }
    }
    let ack_type = opts.ack_type.clone().unwrap_or_else(|| {
        if codes.iter().all(|c| *c == "IA") {
            "AD".into()
        } else if !codes.is_empty() && codes.iter().all(|c| *c == "IR") {
            "RD".into()
        } else {
            "AC".into()
        }
    });
    let bak = [
        opts.purpose.code().to_string(),
        ack_type,
        po.po_number.clone(),
        ymd(po.po_date.unwrap_or(opts.ack_date)),
        po.release_number.clone().unwrap_or_default(),
        String::new(),
        String::new(),
        opts.seller_order_number.clone().unwrap_or_default(),
        ymd(opts.ack_date),
    ];
    let mut segs = vec![Segment::trimmed("BAK", &bak)];
    if let Some(cur) = &po.currency {
        segs.push(Segment::new("CUR", &["BY", cur.as_str()]));
    }
    if let Some(note) = &opts.notes.header {
        segs.extend(note_segments(note));
    }
    if let Some(st) = po.ship_to() {
        let n1 = [
            "ST".to_string(),
            st.name.clone().unwrap_or_default(),
            st.id_qualifier.clone().unwrap_or_default(),
            st.id.clone().unwrap_or_default(),
        ];
        segs.push(Segment::trimmed("N1", &n1));
    }
    segs.extend(body);
    segs.push(Segment::new(
        "CTT",
        &[po.lines.len().to_string(), num(hash)],
    ));
    Ok(Transaction::new("855", &opts.control_number, segs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_keep_to_x12_characters_and_lengths() {
        let long = format!("SKU*9~ {}", "x".repeat(600));
        let segments = note_segments(&AckNote {
            code: "refused by odoo and much longer than thirty".into(),
            text: long,
        });
        assert_eq!(segments[0].id, "N9");
        assert_eq!(segments[0].get(1), "L1");
        assert_eq!(segments[0].get(2), "refused_by_odoo_and_much_longe");
        assert_eq!(segments.len(), 4, "600+ characters: three MSG segments");
        assert!(segments[1].get(1).starts_with("SKU 9 xxx"));
        assert!(segments[1..].iter().all(|s| s.get(1).len() <= MSG01_MAX));
        assert_eq!(x12_text("a\n\tb^c>d|e:f"), "a b c d e f");
    }
}
