//! Byte-level segment reader: splits the input into segments and elements
//! with the separators of the current interchange, tolerating (or refusing)
//! layout quirks such as indentation and wrapped lines.

use std::collections::HashSet;

use super::error::{ErrorKind, X12Error};
use super::model::{Element, Segment};
use super::options::Tolerances;
use super::separators::Separators;

/// Reads segments from a byte buffer, counting them from 1.
pub(crate) struct Lexer<'a> {
    pub bytes: &'a [u8],
    pub pos: usize,
    /// Segments read so far (the number of the last one).
    pub count: usize,
    pub tolerate: Tolerances,
    pub warnings: Vec<X12Error>,
    warned: HashSet<&'static str>,
}

fn is_line_break(b: u8) -> bool {
    b == b'\r' || b == b'\n'
}

/// Whether `rest` (after optional whitespace) starts like a segment:
/// 2-3 upper-case letters/digits then the element separator. (Not the
/// terminator: the bytes looked at must stay inside the current segment,
/// so that a rendered file splits the same way.)
pub(crate) fn looks_like_segment_start(rest: &[u8], element: u8) -> bool {
    let Some(start) = rest
        .iter()
        .take(256)
        .position(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
    else {
        return false;
    };
    let rest = &rest[start..];
    let id_len = rest
        .iter()
        .take(4)
        .take_while(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        .count();
    (2..=3).contains(&id_len)
        && rest.first().is_some_and(u8::is_ascii_uppercase)
        && rest.get(id_len) == Some(&element)
}

/// Whether `id` is a valid segment id: a letter then 1-2 letters/digits.
pub(crate) fn valid_segment_id(id: &str) -> bool {
    let b = id.as_bytes();
    (2..=3).contains(&b.len())
        && b[0].is_ascii_uppercase()
        && b.iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

fn split(raw: &[u8], sep: Option<char>) -> Vec<&[u8]> {
    match sep {
        Some(c) if c.is_ascii() => raw.split(|b| *b == c as u8).collect(),
        _ => vec![raw],
    }
}

impl<'a> Lexer<'a> {
    pub fn new(bytes: &'a [u8], tolerate: Tolerances) -> Self {
        Self {
            bytes,
            pos: 0,
            count: 0,
            tolerate,
            warnings: Vec::new(),
            warned: HashSet::new(),
        }
    }

    /// Records `err` as a warning when `tolerated`, else returns it. With a
    /// `once` key, only the first warning of that kind is kept.
    pub fn quirk(
        &mut self,
        tolerated: bool,
        err: X12Error,
        once: Option<&'static str>,
    ) -> Result<(), X12Error> {
        if !tolerated {
            return Err(err);
        }
        if once.is_none_or(|k| self.warned.insert(k)) {
            self.warnings.push(err);
        }
        Ok(())
    }

    /// Up to 3 id characters at `from`, for error messages.
    pub fn peek_id(&self, from: usize) -> String {
        let rest = self.bytes.get(from..).unwrap_or_default();
        rest.iter()
            .take(3)
            .take_while(|b| b.is_ascii_alphanumeric())
            .map(|b| *b as char)
            .collect()
    }

    pub fn rest(&self) -> &'a [u8] {
        self.bytes.get(self.pos..).unwrap_or_default()
    }

    /// Skips line breaks after a terminator; spaces and tabs are indentation.
    pub fn skip_gap(&mut self) -> Result<(), X12Error> {
        loop {
            while self.pos < self.bytes.len() && is_line_break(self.bytes[self.pos]) {
                self.pos += 1;
            }
            let ws = self.pos;
            while self.pos < self.bytes.len() && matches!(self.bytes[self.pos], b' ' | b'\t') {
                self.pos += 1;
            }
            if self.pos == ws {
                return Ok(());
            }
            let err = X12Error::at(
                self.count + 1,
                &self.peek_id(self.pos),
                None,
                ErrorKind::Indentation,
            );
            self.quirk(self.tolerate.indentation, err, Some("indentation"))?;
        }
    }

    /// Whether only whitespace is left (after skipping the gap).
    pub fn at_end(&mut self) -> Result<bool, X12Error> {
        self.skip_gap()?;
        Ok(self.pos >= self.bytes.len())
    }

    /// Reads the next segment; `None` at end of input.
    pub fn next_segment(&mut self, seps: &Separators) -> Result<Option<Segment>, X12Error> {
        if self.at_end()? {
            return Ok(None);
        }
        let number = self.count + 1;
        let start = self.pos;
        let id = self.peek_id(start);
        let term = seps.segment as u8;
        let es = seps.element as u8;
        let term_is_break = is_line_break(term);
        let mut i = start;
        let (end, next) = loop {
            let Some(&b) = self.bytes.get(i) else {
                let err = X12Error::at(number, &id, None, ErrorKind::Unterminated);
                self.quirk(self.tolerate.unterminated_last_segment, err, None)?;
                break (i, i);
            };
            if b == term {
                break (i, i + 1);
            }
            if is_line_break(b) && !term_is_break {
                let element = self.bytes[start..i].iter().filter(|c| **c == es).count();
                let wrapped = looks_like_segment_start(&self.bytes[i..], es);
                let kind = if wrapped {
                    ErrorKind::MissingTerminator {
                        terminator: seps.segment,
                    }
                } else {
                    ErrorKind::LineBreakInData
                };
                let err = X12Error::at(number, &id, Some(element), kind);
                let once = (!wrapped).then_some("line_break_in_data");
                self.quirk(self.tolerate.line_breaks, err, once)?;
                if wrapped {
                    break (i, i);
                }
            }
            i += 1;
        };
        self.pos = next;
        self.count = number;
        let raw = &self.bytes[start..end];
        let mut parts = raw.split(|b| *b == es);
        let id_raw = parts.next().unwrap_or_default();
        let id = String::from_utf8_lossy(id_raw).into_owned();
        if !valid_segment_id(&id) {
            let kind = if id.is_empty() && raw.is_empty() {
                ErrorKind::InvalidSegmentId {
                    found: String::new(),
                }
            } else {
                ErrorKind::InvalidSegmentId { found: id.clone() }
            };
            return Err(X12Error::at(number, &id, None, kind));
        }
        let mut elements = Vec::new();
        for (n, part) in parts.enumerate() {
            elements.push(self.element(part, seps, number, &id, n + 1)?);
        }
        Ok(Some(Segment { id, elements }))
    }

    /// Decodes `bytes` to text at (`number`, `id`, `element`).
    pub fn text(
        &mut self,
        bytes: &[u8],
        number: usize,
        id: &str,
        element: usize,
    ) -> Result<String, X12Error> {
        match std::str::from_utf8(bytes) {
            Ok(s) => Ok(s.to_string()),
            Err(_) => {
                let err = X12Error::at(number, id, Some(element), ErrorKind::InvalidUtf8);
                self.quirk(self.tolerate.invalid_utf8, err, Some("utf8"))?;
                Ok(String::from_utf8_lossy(bytes).into_owned())
            }
        }
    }

    fn element(
        &mut self,
        raw: &[u8],
        seps: &Separators,
        number: usize,
        id: &str,
        position: usize,
    ) -> Result<Element, X12Error> {
        let mut reps = Vec::new();
        for rep in split(raw, seps.repetition) {
            let mut comps = Vec::new();
            for comp in split(rep, seps.component) {
                comps.push(self.text(comp, number, id, position)?);
            }
            reps.push(comps);
        }
        Ok(match reps.len() {
            1 => {
                let mut comps = reps.pop().unwrap_or_default();
                if comps.len() == 1 {
                    Element::Simple(comps.pop().unwrap_or_default())
                } else {
                    Element::Composite(comps)
                }
            }
            _ => Element::Repeated(reps),
        })
    }
}
