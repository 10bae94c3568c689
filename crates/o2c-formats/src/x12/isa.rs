//! Reads an ISA header and the separators it declares: element separator
//! (byte 4), repetition separator (ISA11), component separator (ISA16) and
//! segment terminator (the byte after ISA16).

use super::error::{ErrorKind, X12Error};
use super::lexer::Lexer;
use super::model::IsaHeader;
use super::separators::Separators;

/// Fixed widths of ISA01..ISA16.
const WIDTHS: [usize; 16] = [2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1];
/// How far to look for the 16 element separators of an unpadded ISA.
const MAX_ISA_LEN: usize = 400;

fn is_break(b: u8) -> bool {
    b == b'\r' || b == b'\n'
}

fn show(b: Option<&u8>) -> String {
    b.map_or_else(String::new, |b| (*b as char).to_string())
}

struct Scan {
    /// (start, end) byte spans of ISA01..ISA15 found, relative to the ISA.
    spans: Vec<(usize, usize)>,
    /// Offset of the 16th element separator, when found.
    sep16: Option<usize>,
}

/// Splits the ISA on `es` until 16 separators, a line break or the limit.
fn scan(b: &[u8], es: u8) -> Scan {
    let mut spans = Vec::new();
    let mut start = 4;
    let mut i = 4;
    while i < b.len() && i < MAX_ISA_LEN && !is_break(b[i]) {
        if b[i] == es {
            spans.push((start, i));
            if spans.len() == 15 {
                return Scan {
                    spans,
                    sep16: Some(i),
                };
            }
            start = i + 1;
        }
        i += 1;
    }
    spans.push((start, i.min(b.len())));
    Scan { spans, sep16: None }
}

/// Reads the ISA at the lexer position; returns the header and separators
/// and leaves the lexer after the ISA's terminator.
pub(crate) fn read_isa(lx: &mut Lexer<'_>) -> Result<(IsaHeader, Separators), X12Error> {
    let number = lx.count + 1;
    let b = lx.rest();
    let err = |element: Option<usize>, kind| X12Error::at(number, "ISA", element, kind);
    let Some(&es) = b.get(3) else {
        return Err(err(Some(1), ErrorKind::IsaMissingElements { found: 0 }));
    };
    if !Separators::is_valid_delimiter(es as char, false) {
        let kind = ErrorKind::InvalidSeparator {
            which: "element".into(),
            found: (es as char).to_string(),
        };
        return Err(err(None, kind));
    }
    let scan = scan(b, es);
    let width_problem = scan.spans.iter().enumerate().find_map(|(k, (s, e))| {
        let (len, width) = (e - s, WIDTHS[k]);
        if len == width || (scan.sep16.is_none() && k + 1 == scan.spans.len()) {
            return None;
        }
        let at = s + width;
        let kind = match b.get(at) {
            Some(&c)
                if len > width && c != es && Separators::is_valid_delimiter(c as char, false) =>
            {
                ErrorKind::UnknownSeparator {
                    expected: es as char,
                    found: c as char,
                    offset: at + 1,
                }
            }
            _ => ErrorKind::IsaNotFixedWidth {
                len,
                expected: width,
            },
        };
        Some(err(Some(k + 1), kind))
    });
    if let Some(e) = width_problem {
        lx.quirk(lx.tolerate.unpadded_isa, e, Some("unpadded_isa"))?;
    }
    let Some(sep16) = scan.sep16 else {
        let found = scan.spans.len();
        return Err(err(
            Some(found + 1),
            ErrorKind::IsaMissingElements { found },
        ));
    };
    let c16 = b.get(sep16 + 1).copied();
    let term = b.get(sep16 + 2).copied();
    let (Some(c16), Some(t)) = (c16, term) else {
        let found = show(term.as_ref());
        return Err(err(Some(16), ErrorKind::MissingIsaTerminator { found }));
    };
    if t.is_ascii_alphanumeric() || t == b' ' || t == b'\t' || !t.is_ascii() {
        let found = (t as char).to_string();
        return Err(err(Some(16), ErrorKind::MissingIsaTerminator { found }));
    }
    let (component, segment, end) = if is_break(t) && next_line_ends_with(b, sep16 + 2, c16) {
        let e = err(Some(16), ErrorKind::MissingComponentSeparator);
        lx.quirk(lx.tolerate.missing_component_separator, e, None)?;
        (None, c16, sep16 + 2)
    } else {
        (Some(c16), t, sep16 + 3)
    };
    for (which, c, seg) in [
        ("component", component, false),
        ("segment", Some(segment), true),
    ] {
        if let Some(c) = c
            && !Separators::is_valid_delimiter(c as char, seg)
        {
            let kind = ErrorKind::InvalidSeparator {
                which: which.into(),
                found: (c as char).to_string(),
            };
            return Err(err(Some(16), kind));
        }
    }
    let line_ending = line_ending(b, end, segment);
    let mut fields = Vec::with_capacity(16);
    for (k, (s, e)) in scan.spans.iter().enumerate() {
        // Never lossy here: replacement characters would change the ISA's length.
        match std::str::from_utf8(&b[*s..*e]) {
            Ok(text) => fields.push(text.to_string()),
            Err(_) => return Err(err(Some(k + 1), ErrorKind::InvalidUtf8)),
        }
    }
    fields.push(
        component
            .map(|c| (c as char).to_string())
            .unwrap_or_default(),
    );
    let repetition = {
        let r = fields[10].as_bytes();
        (r.len() == 1 && Separators::is_valid_delimiter(r[0] as char, false)).then(|| r[0] as char)
    };
    let seps = Separators {
        element: es as char,
        component: component.map(char::from),
        repetition,
        segment: segment as char,
        line_ending,
    };
    if let Some((a, bname, ch)) = seps.clash() {
        let at = if a == "repetition" || bname == "repetition" {
            11
        } else {
            16
        };
        let kind = ErrorKind::SeparatorClash {
            a: a.into(),
            b: bname.into(),
            ch,
        };
        return Err(err(Some(at), kind));
    }
    for (k, f) in fields.iter().enumerate().take(15) {
        let declared = k == 10 && seps.repetition.is_some();
        if !declared && f.chars().any(|c| seps.is_delimiter(c)) {
            let kind = ErrorKind::InvalidValue {
                value: f.clone(),
                reason: "contains a separator".into(),
            };
            return Err(err(Some(k + 1), kind));
        }
    }
    check_fields(lx, number, &fields)?;
    lx.pos += end;
    lx.count = number;
    let mut it = fields.into_iter();
    let mut next = || it.next().unwrap_or_default();
    let header = IsaHeader {
        authorization_qualifier: next(),
        authorization_information: next(),
        security_qualifier: next(),
        security_information: next(),
        sender_qualifier: next(),
        sender_id: next(),
        receiver_qualifier: next(),
        receiver_id: next(),
        date: next(),
        time: next(),
        repetition_separator: next(),
        version: next(),
        control_number: next(),
        ack_requested: next(),
        usage_indicator: next(),
        component_separator: next(),
    };
    Ok((header, seps))
}

/// Whether the line after the break at `from` ends with `c` (then `c` was
/// the segment terminator and ISA16 is missing).
fn next_line_ends_with(b: &[u8], from: usize, c: u8) -> bool {
    let rest = b.get(from..).unwrap_or_default();
    let start = rest
        .iter()
        .position(|x| !is_break(*x))
        .unwrap_or(rest.len());
    let line = &rest[start..];
    let end = line.iter().position(|x| is_break(*x)).unwrap_or(line.len());
    let line = line[..end].trim_ascii_end();
    line.last() == Some(&c)
}

/// The CR/LF run written after the ISA terminator, kept for rendering.
fn line_ending(b: &[u8], end: usize, segment: u8) -> String {
    if is_break(segment) {
        return String::new();
    }
    let rest = b.get(end..).unwrap_or_default();
    match rest {
        [b'\r', b'\n', ..] => "\r\n".into(),
        [b'\n', ..] => "\n".into(),
        [b'\r', ..] => "\r".into(),
        _ => String::new(),
    }
}

/// Required ISA fields present, and values of the right form.
fn check_fields(lx: &mut Lexer<'_>, number: usize, f: &[String]) -> Result<(), X12Error> {
    for k in [1, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15] {
        if f.get(k - 1).is_none_or(|v| v.trim().is_empty()) {
            return Err(X12Error::at(
                number,
                "ISA",
                Some(k),
                ErrorKind::MissingField,
            ));
        }
    }
    let digits = |v: &str, n: usize| v.len() == n && v.bytes().all(|c| c.is_ascii_digit());
    let checks: [(usize, bool, &str); 6] = [
        (9, digits(&f[8], 6), "date must be YYMMDD"),
        (10, digits(&f[9], 4), "time must be HHMM"),
        (12, digits(&f[11], 5), "version must be 5 digits"),
        (13, digits(&f[12], 9), "control number must be 9 digits"),
        (14, matches!(f[13].as_str(), "0" | "1"), "must be 0 or 1"),
        (
            15,
            matches!(f[14].as_str(), "P" | "T" | "I"),
            "must be P, T or I",
        ),
    ];
    for (k, ok, reason) in checks {
        if !ok {
            let kind = ErrorKind::InvalidValue {
                value: f[k - 1].clone(),
                reason: reason.into(),
            };
            let e = X12Error::at(number, "ISA", Some(k), kind);
            lx.quirk(lx.tolerate.isa_values, e, None)?;
        }
    }
    Ok(())
}
