//! The strict JSON reader behind [`super::parse`]: one pass over the bytes,
//! building the evaluator's values (`value::V`) only for the members the
//! program can name and checking the rest without building them.
//!
//! Why not serde_json here: its skipper costs ~15 instructions per byte of
//! a Shopify order, and its visitor copies every string (ADR 0018). This
//! reader borrows strings and keys without escapes from the payload (no
//! copy, no count) and skips by scanning.
//!
//! It may refuse more than serde_json and jaq accept, never less: any
//! refusal (deep nesting, a lone surrogate, anything odd) sends the payload
//! to the full path, whose strict serde_json check and jaq reader decide.
//! A test compares it with that path on generated text, valid and broken.

use std::rc::Rc;

use super::super::value::{Obj, Text, V};
use super::{KeySet, Plain};
use crate::mapping::convert::number_of;

/// Nesting deeper than this is refused here: the full path decides such a
/// payload (and refuses it past `convert::MAX_NESTING`).
const MAX_DEPTH: u32 = 100;

/// The reader gave up; the full path reads the payload.
#[derive(Debug)]
pub(super) struct Refused;

type Step<T> = Result<T, Refused>;

/// A string between its quotes, and whether it has escapes.
#[derive(Clone, Copy)]
struct Span {
    start: usize,
    end: usize,
    escaped: bool,
}

pub(super) struct Reader<'a, 'k> {
    /// The payload, whole: string leaves borrow from it.
    text: &'a [u8],
    pos: usize,
    keys: &'k KeySet,
    plain: Plain,
}

impl<'a, 'k> Reader<'a, 'k> {
    pub(super) fn new(payload: &'a [u8], keys: &'k KeySet, plain: Plain) -> Self {
        Self {
            text: payload,
            pos: 0,
            keys,
            plain,
        }
    }

    /// The one value the payload holds, with nothing but whitespace after it.
    pub(super) fn document(mut self) -> Step<V<'a>> {
        let value = self.value(0)?;
        self.whitespace();
        if self.pos == self.text.len() {
            Ok(value)
        } else {
            Err(Refused)
        }
    }

    fn whitespace(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.text.get(self.pos) {
            self.pos += 1;
        }
    }

    /// The next byte after whitespace, not consumed.
    fn peek(&mut self) -> Step<u8> {
        self.whitespace();
        self.text.get(self.pos).copied().ok_or(Refused)
    }

    fn expect(&mut self, byte: u8) -> Step<()> {
        if self.peek()? == byte {
            self.pos += 1;
            Ok(())
        } else {
            Err(Refused)
        }
    }

    fn value(&mut self, depth: u32) -> Step<V<'a>> {
        Ok(match self.peek()? {
            b'{' => self.object(depth + 1)?,
            b'[' => self.array(depth + 1)?,
            b'"' => {
                self.pos += 1;
                V::Str(self.string()?)
            }
            b'-' | b'0'..=b'9' => {
                let (start, end) = self.number()?;
                // The bytes were checked as UTF-8 whole and a number is ASCII.
                let text = std::str::from_utf8(&self.text[start..end]).map_err(|_| Refused)?;
                V::Num(number_of(text))
            }
            _ => self.literal()?,
        })
    }

    /// Checks one value without building it.
    fn skip(&mut self, depth: u32) -> Step<()> {
        match self.peek()? {
            b'{' => {
                self.pos += 1;
                self.members(depth + 1, |reader, _| reader.skip(depth + 1))
            }
            b'[' => {
                self.pos += 1;
                self.items(depth + 1, |reader| reader.skip(depth + 1))
            }
            b'"' => {
                self.pos += 1;
                self.scan_string().map(drop)
            }
            b'-' | b'0'..=b'9' => self.number().map(drop),
            _ => self.literal().map(drop),
        }
    }

    fn literal(&mut self) -> Step<V<'a>> {
        let rest = &self.text[self.pos..];
        let (value, length) = if rest.starts_with(b"true") {
            (V::Bool(true), 4)
        } else if rest.starts_with(b"false") {
            (V::Bool(false), 5)
        } else if rest.starts_with(b"null") {
            (V::Null, 4)
        } else {
            return Err(Refused);
        };
        self.pos += length;
        Ok(value)
    }

    fn array(&mut self, depth: u32) -> Step<V<'a>> {
        self.pos += 1;
        let mut items = Vec::new();
        self.items(depth, |reader| {
            items.push(reader.value(depth)?);
            Ok(())
        })?;
        Ok(V::Arr(Rc::new(items)))
    }

    fn object(&mut self, depth: u32) -> Step<V<'a>> {
        self.pos += 1;
        let mut obj = Obj::default();
        self.members(depth, |reader, key| {
            let key = reader.string_at(key);
            if reader.keys.contains(&key) {
                let value = reader.value(depth)?;
                obj.insert(key, value);
                return Ok(());
            }
            if reader.plain == Plain::Skip {
                obj.prune();
                return reader.skip(depth);
            }
            if matches!(reader.peek()?, b'{' | b'[') {
                // A repeated key's last value wins in jaq: a plain value
                // kept before this skipped one would be read in its place.
                if obj.contains(&key) {
                    return Err(Refused);
                }
                obj.prune();
                return reader.skip(depth);
            }
            let value = reader.value(depth)?;
            obj.insert(key, value);
            Ok(())
        })?;
        Ok(V::obj(obj))
    }

    /// The items of an array after its `[`, each read by `item`.
    fn items(&mut self, depth: u32, mut item: impl FnMut(&mut Self) -> Step<()>) -> Step<()> {
        if depth > MAX_DEPTH {
            return Err(Refused);
        }
        if self.peek()? == b']' {
            self.pos += 1;
            return Ok(());
        }
        loop {
            item(self)?;
            match self.peek()? {
                b',' => self.pos += 1,
                b']' => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(Refused),
            }
        }
    }

    /// The members of an object after its `{`: `member` gets each key's
    /// span and reads the value.
    fn members(
        &mut self,
        depth: u32,
        mut member: impl FnMut(&mut Self, Span) -> Step<()>,
    ) -> Step<()> {
        if depth > MAX_DEPTH {
            return Err(Refused);
        }
        if self.peek()? == b'}' {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.expect(b'"')?;
            let key = self.scan_string()?;
            self.expect(b':')?;
            member(self, key)?;
            match self.peek()? {
                b',' => self.pos += 1,
                b'}' => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(Refused),
            }
        }
    }

    /// A string's bytes after its opening quote: a slice of the payload,
    /// or the decoded text when it had escapes.
    fn string(&mut self) -> Step<Text<'a>> {
        let span = self.scan_string()?;
        Ok(self.string_at(span))
    }

    fn string_at(&self, span: Span) -> Text<'a> {
        let raw = &self.text[span.start..span.end];
        if span.escaped {
            Text::from(unescape(raw))
        } else {
            Text::Borrowed(raw)
        }
    }

    /// Scans a string after its opening quote to just past its closing
    /// one, checking what JSON forbids in strings (control characters,
    /// unknown escapes, malformed or lone-surrogate `\u` escapes).
    #[inline(always)]
    fn scan_string(&mut self) -> Step<Span> {
        let start = self.pos;
        let stop = start + string_stop(&self.text[start..]).ok_or(Refused)?;
        if self.text[stop] == b'"' {
            self.pos = stop + 1;
            return Ok(Span {
                start,
                end: stop,
                escaped: false,
            });
        }
        self.pos = stop;
        self.scan_escaped(start)
    }

    /// The rest of a string from a stop that is not its closing quote: an
    /// escape, or a control character (refused). Kept out of
    /// [`Reader::scan_string`], whose plain case is most strings.
    #[inline(never)]
    fn scan_escaped(&mut self, start: usize) -> Step<Span> {
        loop {
            match self.text[self.pos] {
                b'"' => {
                    self.pos += 1;
                    return Ok(Span {
                        start,
                        end: self.pos - 1,
                        escaped: true,
                    });
                }
                b'\\' => self.pos += 1 + escape_length(&self.text[self.pos + 1..])?,
                _ => return Err(Refused),
            }
            self.pos += string_stop(&self.text[self.pos..]).ok_or(Refused)?;
        }
    }

    /// A number's span, checked against JSON's grammar:
    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    fn number(&mut self) -> Step<(usize, usize)> {
        let start = self.pos;
        let text = self.text;
        let mut at = self.pos;
        if text.get(at) == Some(&b'-') {
            at += 1;
        }
        match text.get(at) {
            Some(b'0') => at += 1,
            Some(b'1'..=b'9') => at = digits(text, at),
            _ => return Err(Refused),
        }
        if text.get(at) == Some(&b'.') {
            let after = digits(text, at + 1);
            if after == at + 1 {
                return Err(Refused);
            }
            at = after;
        }
        if let Some(b'e' | b'E') = text.get(at) {
            at += 1;
            if let Some(b'+' | b'-') = text.get(at) {
                at += 1;
            }
            let after = digits(text, at);
            if after == at {
                return Err(Refused);
            }
            at = after;
        }
        self.pos = at;
        Ok((start, at))
    }
}

/// The first byte of `text` that ends a string's plain run: a quote, a
/// backslash or a control character. Eight bytes at a time, as strings are
/// most of a payload's bytes (a byte loop cost ~10 instructions a byte).
#[inline(always)]
fn string_stop(text: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // The high bit of each byte of the answer is set where the byte is
    // zero; only the lowest set one is exact (borrows run upwards), which
    // is the one taken.
    let zero_bytes = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
    let mut at = 0;
    while let Some(chunk) = text.get(at..at + 8) {
        let word = u64::from_le_bytes(chunk.try_into().ok()?);
        let stops = zero_bytes(word ^ (ONES * b'"' as u64))
            | zero_bytes(word ^ (ONES * b'\\' as u64))
            // A byte below 0x20: subtracting 0x20 borrows into its high
            // bit, and `!word` drops bytes that had it set (non-ASCII).
            | (word.wrapping_sub(ONES * 0x20) & !word & HIGHS);
        if stops != 0 {
            return Some(at + (stops.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    text[at..]
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
        .map(|stop| at + stop)
}

/// Where the run of ASCII digits starting at `at` ends.
fn digits(text: &[u8], mut at: usize) -> usize {
    while let Some(b'0'..=b'9') = text.get(at) {
        at += 1;
    }
    at
}

/// How many bytes follow the backslash of a valid escape at the start of
/// `rest`; a `\u` high surrogate must be followed by a `\u` low one.
fn escape_length(rest: &[u8]) -> Step<usize> {
    match rest.first() {
        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => Ok(1),
        Some(b'u') => match hex4(&rest[1..])? {
            0xD800..=0xDBFF => {
                if rest.get(5..7) != Some(b"\\u") {
                    return Err(Refused);
                }
                match hex4(&rest[7..])? {
                    0xDC00..=0xDFFF => Ok(11),
                    _ => Err(Refused),
                }
            }
            0xDC00..=0xDFFF => Err(Refused),
            _ => Ok(5),
        },
        _ => Err(Refused),
    }
}

/// The four hex digits at the start of `rest`.
fn hex4(rest: &[u8]) -> Step<u32> {
    let digits = rest.get(..4).ok_or(Refused)?;
    digits.iter().try_fold(0u32, |n, &b| {
        let digit = (b as char).to_digit(16).ok_or(Refused)?;
        Ok(n * 16 + digit)
    })
}

/// The text of a string span that [`Reader::scan_string`] checked.
fn unescape(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut at = 0;
    while at < raw.len() {
        let b = raw[at];
        if b != b'\\' {
            out.push(b);
            at += 1;
            continue;
        }
        let code = match raw[at + 1] {
            b'b' => 0x08,
            b'f' => 0x0C,
            b'n' => b'\n' as u32,
            b'r' => b'\r' as u32,
            b't' => b'\t' as u32,
            b'u' => {
                let high = hex4(&raw[at + 2..]).unwrap_or(0xFFFD);
                if (0xD800..=0xDBFF).contains(&high) {
                    let low = hex4(&raw[at + 8..]).unwrap_or(0xDC00);
                    at += 6;
                    0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                } else {
                    high
                }
            }
            other => other as u32,
        };
        at += if raw[at + 1] == b'u' { 6 } else { 2 };
        let c = char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER);
        out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
    }
    out
}

#[cfg(test)]
#[path = "read_tests.rs"]
mod tests;
