//! Builds ISA/GS envelopes around generated transaction sets (997, 855):
//! fixed-width ISA fields, control numbers, correct trailers. Dates and
//! control numbers are inputs, so generation is deterministic.

use chrono::{NaiveDate, NaiveTime};

use super::model::{Group, GsHeader, Interchange, IsaHeader, Transaction};
use super::separators::Separators;

/// A value that does not fit the envelope.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    /// A field is longer than its fixed width.
    #[error("{field} {value:?} is longer than {max} characters")]
    TooLong {
        /// Field name (`ISA06`).
        field: String,
        /// Value given.
        value: String,
        /// Maximum length.
        max: usize,
    },
    /// A required field is empty.
    #[error("{field} is empty")]
    Empty {
        /// Field name.
        field: String,
    },
    /// The received interchange has no ISA or GS to reply to.
    #[error("the received interchange has no {0} header to reply to")]
    NoHeader(String),
}

/// Who sends to whom, when, and with which control numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvelopeParams {
    /// ISA05.
    pub sender_qualifier: String,
    /// ISA06 (at most 15 characters).
    pub sender_id: String,
    /// ISA07.
    pub receiver_qualifier: String,
    /// ISA08 (at most 15 characters).
    pub receiver_id: String,
    /// GS02.
    pub gs_sender: String,
    /// GS03.
    pub gs_receiver: String,
    /// ISA09/GS04 date.
    pub date: NaiveDate,
    /// ISA10/GS05 time.
    pub time: NaiveTime,
    /// ISA13 (at most 9 digits).
    pub interchange_control_number: u32,
    /// GS06.
    pub group_control_number: u32,
    /// ISA12, e.g. `00401`.
    pub version: String,
    /// GS08, e.g. `004010`.
    pub gs_version: String,
    /// ISA15 `P` or `T`.
    pub usage_indicator: String,
    /// ISA14.
    pub ack_requested: bool,
    /// Delimiters to declare.
    pub separators: Separators,
}

impl EnvelopeParams {
    /// Parameters answering `group` of `received`: sender and receiver
    /// swapped, same versions and usage, the received separators.
    pub fn reply_to(
        received: &Interchange,
        group: &Group,
        date: NaiveDate,
        time: NaiveTime,
        interchange_control_number: u32,
        group_control_number: u32,
    ) -> Result<Self, EnvelopeError> {
        let isa = received
            .isa
            .as_ref()
            .ok_or_else(|| EnvelopeError::NoHeader("ISA".into()))?;
        let gs = group
            .gs
            .as_ref()
            .ok_or_else(|| EnvelopeError::NoHeader("GS".into()))?;
        let mut separators = received.separators.clone();
        if separators.component.is_none() {
            separators.component = Some('>');
        }
        Ok(Self {
            sender_qualifier: isa.receiver_qualifier.trim().into(),
            sender_id: isa.receiver_id.trim().into(),
            receiver_qualifier: isa.sender_qualifier.trim().into(),
            receiver_id: isa.sender_id.trim().into(),
            gs_sender: gs.receiver_code.clone(),
            gs_receiver: gs.sender_code.clone(),
            date,
            time,
            interchange_control_number,
            group_control_number,
            version: isa.version.clone(),
            gs_version: gs.version.clone(),
            usage_indicator: isa.usage_indicator.clone(),
            ack_requested: false,
            separators,
        })
    }
}

fn pad(field: &str, value: &str, width: usize) -> Result<String, EnvelopeError> {
    if value.chars().count() > width {
        return Err(EnvelopeError::TooLong {
            field: field.into(),
            value: value.into(),
            max: width,
        });
    }
    Ok(format!("{value:<width$}"))
}

fn required(field: &str, value: &str) -> Result<String, EnvelopeError> {
    if value.trim().is_empty() {
        return Err(EnvelopeError::Empty {
            field: field.into(),
        });
    }
    Ok(value.to_string())
}

/// Wraps `transactions` in one GS (functional id `functional_id`, e.g.
/// `FA` for 997, `PR` for 855) and one ISA, with correct trailers.
pub fn wrap(
    functional_id: &str,
    transactions: Vec<Transaction>,
    p: &EnvelopeParams,
) -> Result<Interchange, EnvelopeError> {
    let icn = p.interchange_control_number;
    if icn > 999_999_999 {
        return Err(EnvelopeError::TooLong {
            field: "ISA13".into(),
            value: icn.to_string(),
            max: 9,
        });
    }
    let isa = IsaHeader {
        authorization_qualifier: "00".into(),
        authorization_information: " ".repeat(10),
        security_qualifier: "00".into(),
        security_information: " ".repeat(10),
        sender_qualifier: pad("ISA05", &required("ISA05", &p.sender_qualifier)?, 2)?,
        sender_id: pad("ISA06", &required("ISA06", &p.sender_id)?, 15)?,
        receiver_qualifier: pad("ISA07", &required("ISA07", &p.receiver_qualifier)?, 2)?,
        receiver_id: pad("ISA08", &required("ISA08", &p.receiver_id)?, 15)?,
        date: p.date.format("%y%m%d").to_string(),
        time: p.time.format("%H%M").to_string(),
        repetition_separator: p.separators.repetition.map_or("U".into(), String::from),
        version: pad("ISA12", &required("ISA12", &p.version)?, 5)?,
        control_number: format!("{icn:09}"),
        ack_requested: if p.ack_requested { "1" } else { "0" }.into(),
        usage_indicator: pad("ISA15", &required("ISA15", &p.usage_indicator)?, 1)?,
        component_separator: p.separators.component.map(String::from).unwrap_or_default(),
    };
    let gs = GsHeader {
        functional_id: required("GS01", functional_id)?,
        sender_code: required("GS02", &p.gs_sender)?,
        receiver_code: required("GS03", &p.gs_receiver)?,
        date: p.date.format("%Y%m%d").to_string(),
        time: p.time.format("%H%M").to_string(),
        control_number: p.group_control_number.to_string(),
        agency: "X".into(),
        version: required("GS08", &p.gs_version)?,
    };
    let mut ic = Interchange {
        separators: p.separators.clone(),
        isa: Some(isa),
        groups: vec![Group {
            gs: Some(gs),
            transactions,
            ge: None,
        }],
        iea: None,
    };
    ic.recompute_trailers();
    Ok(ic)
}
