//! The four X12 delimiters plus the line ending written after each segment.

use serde::{Deserialize, Serialize};

/// Delimiters of one interchange, as declared by its ISA.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Separators {
    /// Element separator (ISA byte 4), usually `*`.
    pub element: char,
    /// Component (sub-element) separator, ISA16; `None` when not declared.
    pub component: Option<char>,
    /// Repetition separator, ISA11 when it is not a letter (`U` means none).
    pub repetition: Option<char>,
    /// Segment terminator, the byte after ISA16, usually `~`.
    pub segment: char,
    /// Line ending written after each terminator (`""`, `"\n"` or `"\r\n"`).
    #[serde(default)]
    pub line_ending: String,
}

impl Default for Separators {
    /// `*`, `>`, `^`, `~` and a newline after each segment.
    fn default() -> Self {
        Self {
            element: '*',
            component: Some('>'),
            repetition: Some('^'),
            segment: '~',
            line_ending: "\n".to_string(),
        }
    }
}

impl Separators {
    /// Whether `c` may serve as a delimiter: ASCII, not a letter or digit,
    /// not a space or tab (CR and LF only as segment terminator).
    pub fn is_valid_delimiter(c: char, segment_terminator: bool) -> bool {
        c.is_ascii()
            && !c.is_ascii_alphanumeric()
            && c != ' '
            && c != '\t'
            && (segment_terminator || (c != '\r' && c != '\n'))
            && (c.is_ascii_punctuation() || c.is_ascii_control())
    }

    /// The named delimiters in use, for clash checks.
    pub(crate) fn named(&self) -> Vec<(&'static str, char)> {
        let mut v = vec![("element", self.element), ("segment", self.segment)];
        if let Some(c) = self.component {
            v.push(("component", c));
        }
        if let Some(c) = self.repetition {
            v.push(("repetition", c));
        }
        v
    }

    /// The first pair of delimiters that are the same character.
    pub(crate) fn clash(&self) -> Option<(&'static str, &'static str, char)> {
        let named = self.named();
        for (i, (a, ca)) in named.iter().enumerate() {
            for (b, cb) in named.iter().skip(i + 1) {
                if ca == cb {
                    return Some((a, b, *ca));
                }
            }
        }
        None
    }

    /// Whether `c` is one of the delimiters.
    pub(crate) fn is_delimiter(&self, c: char) -> bool {
        self.named().iter().any(|(_, d)| *d == c)
    }
}
