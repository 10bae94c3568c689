//! The X12 data model: interchanges, functional groups, transaction sets,
//! segments and elements, with serde for the JSON form `o2c edi parse` prints.

use serde::{Deserialize, Serialize};

use super::separators::Separators;

/// One element: plain text, components, or repetitions of components.
///
/// JSON: `"text"`, `["comp1", "comp2"]` or `[["rep1"], ["rep2a", "rep2b"]]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Element {
    /// Text without component or repetition separators.
    Simple(String),
    /// Components of one composite element.
    Composite(Vec<String>),
    /// Two or more repetitions, each a list of components.
    Repeated(Vec<Vec<String>>),
}

impl Element {
    /// Plain text element.
    pub fn text(s: impl Into<String>) -> Self {
        Element::Simple(s.into())
    }

    /// The first component of the first repetition (the whole text of a
    /// simple element).
    pub fn as_str(&self) -> &str {
        match self {
            Element::Simple(s) => s,
            Element::Composite(c) => c.first().map_or("", String::as_str),
            Element::Repeated(r) => r.first().and_then(|c| c.first()).map_or("", String::as_str),
        }
    }

    /// Component `n` (1-based) of the first repetition.
    pub fn component(&self, n: usize) -> Option<&str> {
        let idx = n.checked_sub(1)?;
        match self {
            Element::Simple(s) => (idx == 0).then_some(s.as_str()),
            Element::Composite(c) => c.get(idx).map(String::as_str),
            Element::Repeated(r) => r.first()?.get(idx).map(String::as_str),
        }
    }

    /// Every repetition as a list of components.
    pub fn repetitions(&self) -> Vec<Vec<&str>> {
        match self {
            Element::Simple(s) => vec![vec![s.as_str()]],
            Element::Composite(c) => vec![c.iter().map(String::as_str).collect()],
            Element::Repeated(r) => r
                .iter()
                .map(|c| c.iter().map(String::as_str).collect())
                .collect(),
        }
    }

    /// Whether this is a simple text element.
    pub fn is_simple(&self) -> bool {
        matches!(self, Element::Simple(_))
    }
}

/// One segment: its id and its elements (element 1 is `elements[0]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    /// Segment id, e.g. `PO1`.
    pub id: String,
    /// Elements after the id.
    pub elements: Vec<Element>,
}

impl Segment {
    /// A segment of simple text elements.
    pub fn new<S: AsRef<str>>(id: &str, elements: &[S]) -> Self {
        Self {
            id: id.to_string(),
            elements: elements
                .iter()
                .map(|e| Element::Simple(e.as_ref().to_string()))
                .collect(),
        }
    }

    /// Like [`Segment::new`] but trailing empty elements are dropped.
    pub fn trimmed<S: AsRef<str>>(id: &str, elements: &[S]) -> Self {
        let mut s = Self::new(id, elements);
        while s.elements.last().is_some_and(|e| e.as_str().is_empty()) {
            s.elements.pop();
        }
        s
    }

    /// Element `n` (1-based).
    pub fn element(&self, n: usize) -> Option<&Element> {
        self.elements.get(n.checked_sub(1)?)
    }

    /// Text of element `n` (1-based), `""` when absent.
    pub fn get(&self, n: usize) -> &str {
        self.element(n).map_or("", Element::as_str)
    }

    /// Text of element `n`, trimmed, `None` when absent or blank.
    pub fn opt(&self, n: usize) -> Option<String> {
        let t = self.get(n).trim();
        (!t.is_empty()).then(|| t.to_string())
    }
}

/// ISA interchange header, every field as written (padding kept).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IsaHeader {
    /// ISA01 authorization information qualifier.
    pub authorization_qualifier: String,
    /// ISA02 authorization information.
    pub authorization_information: String,
    /// ISA03 security information qualifier.
    pub security_qualifier: String,
    /// ISA04 security information.
    pub security_information: String,
    /// ISA05 interchange sender id qualifier.
    pub sender_qualifier: String,
    /// ISA06 interchange sender id.
    pub sender_id: String,
    /// ISA07 interchange receiver id qualifier.
    pub receiver_qualifier: String,
    /// ISA08 interchange receiver id.
    pub receiver_id: String,
    /// ISA09 date (YYMMDD).
    pub date: String,
    /// ISA10 time (HHMM).
    pub time: String,
    /// ISA11: repetition separator (5010) or standards identifier `U` (4010).
    pub repetition_separator: String,
    /// ISA12 interchange control version number (`00401`, `00501`).
    pub version: String,
    /// ISA13 interchange control number.
    pub control_number: String,
    /// ISA14 acknowledgment requested (`0`/`1`).
    pub ack_requested: String,
    /// ISA15 usage indicator (`P` production, `T` test).
    pub usage_indicator: String,
    /// ISA16 component element separator (empty when missing).
    pub component_separator: String,
}

impl IsaHeader {
    /// The 16 ISA fields in order.
    pub fn fields(&self) -> [&str; 16] {
        [
            &self.authorization_qualifier,
            &self.authorization_information,
            &self.security_qualifier,
            &self.security_information,
            &self.sender_qualifier,
            &self.sender_id,
            &self.receiver_qualifier,
            &self.receiver_id,
            &self.date,
            &self.time,
            &self.repetition_separator,
            &self.version,
            &self.control_number,
            &self.ack_requested,
            &self.usage_indicator,
            &self.component_separator,
        ]
    }
}

/// IEA interchange trailer as read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IeaTrailer {
    /// IEA01 number of functional groups.
    pub group_count: String,
    /// IEA02 interchange control number.
    pub control_number: String,
}

/// GS functional group header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GsHeader {
    /// GS01 functional identifier code (`PO`, `PR`, `FA`, ...).
    pub functional_id: String,
    /// GS02 application sender's code.
    pub sender_code: String,
    /// GS03 application receiver's code.
    pub receiver_code: String,
    /// GS04 date (CCYYMMDD).
    pub date: String,
    /// GS05 time (HHMM[SS[DD]]).
    pub time: String,
    /// GS06 group control number.
    pub control_number: String,
    /// GS07 responsible agency code (`X`).
    pub agency: String,
    /// GS08 version / release / industry identifier (`004010`).
    pub version: String,
}

/// GE functional group trailer as read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeTrailer {
    /// GE01 number of transaction sets.
    pub transaction_count: String,
    /// GE02 group control number.
    pub control_number: String,
}

/// ST transaction set header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StHeader {
    /// ST01 transaction set identifier (`850`).
    pub set_id: String,
    /// ST02 transaction set control number.
    pub control_number: String,
    /// ST03 implementation convention reference (5010), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub implementation_reference: Option<String>,
}

/// SE transaction set trailer as read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeTrailer {
    /// SE01 number of included segments (ST to SE inclusive).
    pub segment_count: String,
    /// SE02 transaction set control number.
    pub control_number: String,
}

/// One transaction set (ST ... SE).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transaction {
    /// File segment number of the ST (0 when built in memory); used to
    /// locate errors of typed documents.
    #[serde(skip)]
    pub start_segment: usize,
    /// ST header.
    pub st: StHeader,
    /// Segments between ST and SE.
    pub segments: Vec<Segment>,
    /// SE trailer.
    pub se: SeTrailer,
}

impl Transaction {
    /// A transaction set with a correct SE trailer.
    pub fn new(set_id: &str, control_number: &str, segments: Vec<Segment>) -> Self {
        let count = segments.len() + 2;
        Self {
            start_segment: 0,
            st: StHeader {
                set_id: set_id.to_string(),
                control_number: control_number.to_string(),
                implementation_reference: None,
            },
            segments,
            se: SeTrailer {
                segment_count: count.to_string(),
                control_number: control_number.to_string(),
            },
        }
    }

    /// File segment number of the segment at `index` in `segments`.
    pub fn segment_number(&self, index: usize) -> usize {
        self.start_segment.saturating_add(index).saturating_add(1)
    }
}

/// One functional group (GS ... GE); `gs`/`ge` are `None` for bare
/// transaction sets read without an envelope in lenient mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    /// GS header.
    pub gs: Option<GsHeader>,
    /// Transaction sets.
    pub transactions: Vec<Transaction>,
    /// GE trailer.
    pub ge: Option<GeTrailer>,
}

/// One interchange (ISA ... IEA); `isa`/`iea` are `None` for bare
/// transaction sets read without an envelope in lenient mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interchange {
    /// Delimiters of this interchange.
    pub separators: Separators,
    /// ISA header.
    pub isa: Option<IsaHeader>,
    /// Functional groups.
    pub groups: Vec<Group>,
    /// IEA trailer.
    pub iea: Option<IeaTrailer>,
}

impl Interchange {
    /// Every transaction set of every group.
    pub fn transactions(&self) -> impl Iterator<Item = &Transaction> {
        self.groups.iter().flat_map(|g| g.transactions.iter())
    }

    /// Sets every count and control number of the trailers from the content
    /// and the headers (use after editing).
    pub fn recompute_trailers(&mut self) {
        for g in &mut self.groups {
            for t in &mut g.transactions {
                t.se.segment_count = (t.segments.len() + 2).to_string();
                t.se.control_number = t.st.control_number.clone();
            }
            if let Some(gs) = &g.gs {
                g.ge = Some(GeTrailer {
                    transaction_count: g.transactions.len().to_string(),
                    control_number: gs.control_number.clone(),
                });
            }
        }
        if let Some(isa) = &self.isa {
            self.iea = Some(IeaTrailer {
                group_count: self.groups.len().to_string(),
                control_number: isa.control_number.clone(),
            });
        }
    }
}

/// A whole X12 file: one or more interchanges.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct X12File {
    /// Interchanges in file order.
    pub interchanges: Vec<Interchange>,
}

impl X12File {
    /// Every transaction set in the file.
    pub fn transactions(&self) -> impl Iterator<Item = &Transaction> {
        self.interchanges.iter().flat_map(Interchange::transactions)
    }
}
