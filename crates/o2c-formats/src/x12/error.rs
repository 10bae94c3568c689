//! Errors and warnings of the X12 codec. Each one names the segment number
//! (1-based within the file), the segment id and, where it applies, the
//! element position (1-based, as in `SE01`).

use std::fmt;

use serde::Serialize;

/// Where a problem is: segment number in the file, segment id, element.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Position {
    /// 1-based segment number within the file (the first `ISA` is 1).
    pub segment: usize,
    /// Segment id (`ISA`, `SE`, ...); empty when the id could not be read.
    pub segment_id: String,
    /// 1-based element position; `None` when the whole segment is concerned.
    pub element: Option<usize>,
}

impl Position {
    /// A position in segment `segment` with id `id`, at `element`.
    pub fn new(segment: usize, id: &str, element: Option<usize>) -> Self {
        Self {
            segment,
            segment_id: id.to_string(),
            element,
        }
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "segment {}", self.segment)?;
        if !self.segment_id.is_empty() {
            write!(f, " ({})", self.segment_id)?;
        }
        if let Some(e) = self.element {
            write!(f, " element {e}")?;
        }
        Ok(())
    }
}

/// A located X12 problem: an error in strict mode, or a warning recorded by
/// the lenient mode for a tolerated quirk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{position}: {kind}")]
pub struct X12Error {
    /// Where the problem is.
    pub position: Position,
    /// What the problem is.
    pub kind: ErrorKind,
}

impl X12Error {
    /// Builds an error at `segment` (`id`), `element`.
    pub fn at(segment: usize, id: &str, element: Option<usize>, kind: ErrorKind) -> Self {
        Self {
            position: Position::new(segment, id, element),
            kind,
        }
    }
}

/// What went wrong. The `Display` text completes the position prefix, e.g.
/// `segment 14 (SE) element 1: count 12 does not match 11 segments`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum ErrorKind {
    /// Nothing but whitespace.
    #[error("empty input")]
    EmptyInput,
    /// The file starts with a UTF-8 byte order mark.
    #[error("file starts with a UTF-8 byte order mark")]
    ByteOrderMark,
    /// The file does not start with `ISA` (nor `ST`).
    #[error("expected an ISA segment, found {found:?}")]
    NotX12 {
        /// The first bytes found.
        found: String,
    },
    /// A transaction set without ISA/GS envelope.
    #[error("transaction set without ISA/GS envelope")]
    MissingEnvelope,
    /// A separator that may not be used (letter, digit, space, non-ASCII).
    #[error("invalid {which} separator {found:?}")]
    InvalidSeparator {
        /// Which separator (`element`, `component`, `repetition`, `segment`).
        which: String,
        /// The character found.
        found: String,
    },
    /// Another punctuation character where the ISA's element separator belongs.
    #[error(
        "unknown separator {found:?} at byte {offset} where the element separator {expected:?} (ISA byte 4) was expected"
    )]
    UnknownSeparator {
        /// The declared element separator.
        expected: char,
        /// What was found instead.
        found: char,
        /// 1-based byte offset within the ISA.
        offset: usize,
    },
    /// Two separators are the same character.
    #[error("the {a} and {b} separators are both {ch:?}")]
    SeparatorClash {
        /// First separator name.
        a: String,
        /// Second separator name.
        b: String,
        /// The shared character.
        ch: char,
    },
    /// ISA element not padded to its fixed width.
    #[error("ISA element is {len} characters, the fixed width is {expected} (unpadded ISA)")]
    IsaNotFixedWidth {
        /// Length found.
        len: usize,
        /// Fixed width.
        expected: usize,
    },
    /// The ISA has fewer than 16 elements.
    #[error("ISA has only {found} elements, 16 are required (missing ISA field)")]
    IsaMissingElements {
        /// Elements found.
        found: usize,
    },
    /// A required field is empty.
    #[error("required field is empty")]
    MissingField,
    /// A field has a malformed value.
    #[error("invalid value {value:?}: {reason}")]
    InvalidValue {
        /// Value found.
        value: String,
        /// Why it is wrong.
        reason: String,
    },
    /// No segment terminator after ISA16.
    #[error("segment terminator missing after ISA16 (found {found:?})")]
    MissingIsaTerminator {
        /// What follows ISA16 (empty at end of input).
        found: String,
    },
    /// ISA16 (component element separator) is empty.
    #[error("component element separator (ISA16) is missing")]
    MissingComponentSeparator,
    /// Spaces or tabs before a segment.
    #[error("whitespace before the segment (indentation)")]
    Indentation,
    /// A line break inside a segment, followed by what looks like a new segment.
    #[error("line break inside the segment: segment terminator {terminator:?} missing")]
    MissingTerminator {
        /// The declared segment terminator.
        terminator: char,
    },
    /// A line break inside element data (free text wrapped across lines).
    #[error("line break inside element data")]
    LineBreakInData,
    /// The last segment has no terminator.
    #[error("last segment is not terminated")]
    Unterminated,
    /// A segment id that is not 2-3 upper-case letters and digits.
    #[error("invalid segment id {found:?}")]
    InvalidSegmentId {
        /// Id found.
        found: String,
    },
    /// Bytes that are not UTF-8.
    #[error("invalid UTF-8")]
    InvalidUtf8,
    /// A segment where it cannot be.
    #[error("unexpected {found} segment {context}")]
    UnexpectedSegment {
        /// Segment id found.
        found: String,
        /// Where it was found.
        context: String,
    },
    /// A trailer is missing.
    #[error("missing {trailer} trailer before {found}")]
    MissingTrailer {
        /// Expected trailer (`SE`, `GE`, `IEA`).
        trailer: String,
        /// What came instead (`end of input` or a segment id).
        found: String,
    },
    /// A count in a trailer does not match.
    #[error("count {found} does not match {actual} {what}")]
    CountMismatch {
        /// Count declared.
        found: String,
        /// Count actually present.
        actual: usize,
        /// What is counted (`segments`, `transaction sets`, `functional groups`).
        what: String,
    },
    /// Control numbers of header and trailer differ.
    #[error("control number {found:?} does not match {header} {expected:?}")]
    ControlNumberMismatch {
        /// Control number in the trailer.
        found: String,
        /// Header element name (`ISA13`, `GS06`, `ST02`).
        header: String,
        /// Control number in the header.
        expected: String,
    },
    /// More elements than the segment has.
    #[error("too many elements: {id} has at most {max}")]
    TooManyElements {
        /// Segment id.
        id: String,
        /// Highest element position.
        max: usize,
    },
    /// A typed document was asked of another transaction set.
    #[error("transaction set {found} is not a {expected}")]
    WrongTransactionSet {
        /// Expected set id.
        expected: String,
        /// Set id found.
        found: String,
    },
    /// A segment a typed document requires is absent.
    #[error("required segment {0} is missing")]
    MissingSegment(String),
    /// An element holds components or repetitions where only text is allowed.
    #[error("composite or repeated value not allowed here")]
    NotSimple,
}
