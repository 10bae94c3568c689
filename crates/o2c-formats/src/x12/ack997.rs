//! 997 functional acknowledgment for a received functional group: AK1,
//! AK2/AK3/AK4/AK5 per transaction set, AK9 for the group.

use serde::{Deserialize, Serialize};

use super::model::{Group, Segment, Transaction};

/// Why an acknowledgment cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AckError {
    /// The group was read without GS header.
    #[error("the received group has no GS header")]
    NoGroupHeader,
    /// Not one decision per purchase order line.
    #[error("{decisions} decisions for {lines} purchase order lines")]
    DecisionCount {
        /// Lines in the order.
        lines: usize,
        /// Decisions given.
        decisions: usize,
    },
}

/// AK501 / AK901 acknowledgment code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SetStatus {
    /// `A` accepted.
    Accepted,
    /// `E` accepted, but errors were noted.
    AcceptedWithErrors,
    /// `R` rejected.
    Rejected,
}

impl SetStatus {
    /// The X12 code.
    pub fn code(self) -> &'static str {
        match self {
            SetStatus::Accepted => "A",
            SetStatus::AcceptedWithErrors => "E",
            SetStatus::Rejected => "R",
        }
    }
}

/// AK4: an element in error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ElementNote {
    /// AK401 position in the segment (1-based).
    pub position: usize,
    /// AK402 data element reference number.
    pub reference: Option<String>,
    /// AK403 error code (`1` mandatory missing, `7` invalid code value, ...).
    pub code: String,
    /// AK404 copy of the bad value.
    pub bad_value: Option<String>,
}

/// AK3: a segment in error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentNote {
    /// AK301 segment id.
    pub segment_id: String,
    /// AK302 position in the transaction set (ST = 1).
    pub position: usize,
    /// AK303 loop identifier.
    pub loop_id: Option<String>,
    /// AK304 segment syntax error code (`8` segment has data element errors, ...).
    pub code: Option<String>,
    /// AK4 element notes.
    pub elements: Vec<ElementNote>,
}

/// The verdict on one received transaction set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetAck {
    /// AK201 transaction set id.
    pub set_id: String,
    /// AK202 control number.
    pub control_number: String,
    /// AK501 status.
    pub status: SetStatus,
    /// AK502..AK506 syntax error codes (`1` not supported, `3` control
    /// number mismatch, `4` segment count mismatch, `5` segments in error).
    pub codes: Vec<String>,
    /// AK3/AK4 notes.
    pub segments: Vec<SegmentNote>,
}

/// Checks each transaction set of a received group: supported set ids
/// (`supported` empty = all), SE01 count and SE02 control number.
pub fn check_group(group: &Group, supported: &[&str]) -> Vec<SetAck> {
    group
        .transactions
        .iter()
        .map(|t| {
            let mut codes = Vec::new();
            if !supported.is_empty() && !supported.contains(&t.st.set_id.as_str()) {
                codes.push("1".to_string());
            }
            if t.se.control_number != t.st.control_number {
                codes.push("3".to_string());
            }
            if t.se.segment_count.trim().parse::<usize>().ok() != Some(t.segments.len() + 2) {
                codes.push("4".to_string());
            }
            let status = if codes.is_empty() {
                SetStatus::Accepted
            } else {
                SetStatus::Rejected
            };
            SetAck {
                set_id: t.st.set_id.clone(),
                control_number: t.st.control_number.clone(),
                status,
                codes,
                segments: Vec::new(),
            }
        })
        .collect()
}

fn opt(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

/// Builds the 997 transaction set (ST02 = `control_number`) answering
/// `group` with the verdicts `acks`.
pub fn functional_ack(
    group: &Group,
    acks: &[SetAck],
    control_number: &str,
) -> Result<Transaction, AckError> {
    let gs = group.gs.as_ref().ok_or(AckError::NoGroupHeader)?;
    let mut segs = Vec::new();
    let mut ak1 = vec![gs.functional_id.clone(), gs.control_number.clone()];
    if gs.version.starts_with("005") {
        ak1.push(gs.version.clone());
    }
    segs.push(Segment::new("AK1", &ak1));
    for a in acks {
        segs.push(Segment::new("AK2", &[&a.set_id, &a.control_number]));
        for n in &a.segments {
            let ak3 = [
                n.segment_id.clone(),
                n.position.to_string(),
                opt(&n.loop_id),
                opt(&n.code),
            ];
            segs.push(Segment::trimmed("AK3", &ak3));
            for e in &n.elements {
                let ak4 = [
                    e.position.to_string(),
                    opt(&e.reference),
                    e.code.clone(),
                    opt(&e.bad_value),
                ];
                segs.push(Segment::trimmed("AK4", &ak4));
            }
        }
        let mut ak5 = vec![a.status.code().to_string()];
        ak5.extend(a.codes.iter().take(5).cloned());
        segs.push(Segment::new("AK5", &ak5));
    }
    let mut group_codes = Vec::new();
    if let Some(ge) = &group.ge {
        if ge.transaction_count.trim().parse::<usize>().ok() != Some(group.transactions.len()) {
            group_codes.push("5".to_string());
        }
        if ge.control_number != gs.control_number {
            group_codes.push("4".to_string());
        }
    }
    let included = group.ge.as_ref().map_or_else(
        || group.transactions.len().to_string(),
        |g| g.transaction_count.clone(),
    );
    let accepted = acks
        .iter()
        .filter(|a| a.status != SetStatus::Rejected)
        .count();
    let any_errors = acks
        .iter()
        .any(|a| a.status == SetStatus::AcceptedWithErrors);
    let status =
        if (accepted == 0 && !acks.is_empty()) || (acks.is_empty() && !group_codes.is_empty()) {
            "R"
        } else if accepted < acks.len() {
            "P"
        } else if any_errors || !group_codes.is_empty() {
            "E"
        } else {
            "A"
        };
    let mut ak9 = vec![
        status.to_string(),
        included,
        acks.len().to_string(),
        accepted.to_string(),
    ];
    ak9.extend(group_codes);
    segs.push(Segment::new("AK9", &ak9));
    Ok(Transaction::new("997", control_number, segs))
}
