//! Envelope assembly: ISA/GS/ST nesting, control numbers and counts checked,
//! several interchanges per file and, in lenient mode, bare transaction sets.

use super::error::{ErrorKind, X12Error};
use super::isa::read_isa;
use super::lexer::Lexer;
use super::model::{
    GeTrailer, Group, GsHeader, IeaTrailer, Interchange, SeTrailer, Segment, StHeader, Transaction,
    X12File,
};
use super::options::ParseOptions;
use super::separators::Separators;

const BOM: &[u8] = b"\xEF\xBB\xBF";
const ENVELOPE_IDS: [&str; 5] = ["ISA", "IEA", "GS", "GE", "ST"];

/// A parsed file plus the warnings of tolerated quirks (lenient mode).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    /// The interchanges read.
    pub file: X12File,
    /// Tolerated deviations, in file order.
    pub warnings: Vec<X12Error>,
}

/// Parses an X12 file strictly: the first deviation is the error.
pub fn parse(input: &[u8]) -> Result<X12File, X12Error> {
    parse_with(input, &ParseOptions::strict()).map(|p| p.file)
}

/// Parses an X12 file with the given tolerances.
pub fn parse_with(input: &[u8], opts: &ParseOptions) -> Result<Parsed, X12Error> {
    let mut lx = Lexer::new(input, opts.tolerate);
    if input.starts_with(BOM) {
        let e = X12Error::at(1, "ISA", None, ErrorKind::ByteOrderMark);
        lx.quirk(opts.tolerate.byte_order_mark, e, None)?;
        lx.pos = BOM.len();
    }
    let mut interchanges = Vec::new();
    while !lx.at_end()? {
        let rest = lx.rest();
        if rest.starts_with(b"ISA") {
            interchanges.push(read_interchange(&mut lx)?);
        } else if rest.starts_with(b"ST")
            && rest
                .get(2)
                .is_some_and(|c| Separators::is_valid_delimiter(*c as char, false))
        {
            let e = X12Error::at(lx.count + 1, "ST", None, ErrorKind::MissingEnvelope);
            lx.quirk(opts.tolerate.missing_envelope, e, Some("envelope"))?;
            interchanges.push(read_bare(&mut lx)?);
        } else {
            let found = String::from_utf8_lossy(&rest[..rest.len().min(16)]).into_owned();
            let id = lx.peek_id(lx.pos);
            return Err(X12Error::at(
                lx.count + 1,
                &id,
                None,
                ErrorKind::NotX12 { found },
            ));
        }
    }
    if interchanges.is_empty() {
        return Err(X12Error::at(1, "", None, ErrorKind::EmptyInput));
    }
    Ok(Parsed {
        file: X12File { interchanges },
        warnings: lx.warnings,
    })
}

/// Texts of a header/trailer segment's elements, `required` ones non-empty.
fn fields(
    seg: &Segment,
    no: usize,
    required: &[usize],
    max: usize,
) -> Result<Vec<String>, X12Error> {
    let at = |k: usize, kind| X12Error::at(no, &seg.id, Some(k), kind);
    if seg.elements.len() > max {
        let kind = ErrorKind::TooManyElements {
            id: seg.id.clone(),
            max,
        };
        return Err(at(max + 1, kind));
    }
    let mut out = Vec::with_capacity(max);
    for (k, e) in seg.elements.iter().enumerate() {
        if !e.is_simple() {
            return Err(at(k + 1, ErrorKind::NotSimple));
        }
        out.push(e.as_str().to_string());
    }
    out.resize(max, String::new());
    for &k in required {
        if out[k - 1].trim().is_empty() {
            return Err(at(k, ErrorKind::MissingField));
        }
    }
    Ok(out)
}

/// Checks a trailer count (element 1) and control number (element 2).
fn check_trailer(
    lx: &mut Lexer<'_>,
    seg: &Segment,
    no: usize,
    trailer: &[String],
    actual: usize,
    what: &str,
    (header, expected): (&str, &str),
) -> Result<(), X12Error> {
    let count_ok = trailer[0].trim().parse::<usize>().ok() == Some(actual);
    if !count_ok {
        let kind = ErrorKind::CountMismatch {
            found: trailer[0].clone(),
            actual,
            what: what.into(),
        };
        let e = X12Error::at(no, &seg.id, Some(1), kind);
        lx.quirk(lx.tolerate.counts, e, None)?;
    }
    if trailer[1] != expected {
        let kind = ErrorKind::ControlNumberMismatch {
            found: trailer[1].clone(),
            header: header.into(),
            expected: expected.into(),
        };
        let e = X12Error::at(no, &seg.id, Some(2), kind);
        lx.quirk(lx.tolerate.control_numbers, e, None)?;
    }
    Ok(())
}

fn missing(lx: &Lexer<'_>, trailer: &str, found: Option<&Segment>) -> X12Error {
    let (no, id, found) = match found {
        Some(s) => (lx.count, s.id.as_str(), s.id.clone()),
        None => (lx.count + 1, "", "end of input".to_string()),
    };
    let kind = ErrorKind::MissingTrailer {
        trailer: trailer.into(),
        found,
    };
    X12Error::at(no, id, None, kind)
}

fn read_interchange(lx: &mut Lexer<'_>) -> Result<Interchange, X12Error> {
    let (isa, seps) = read_isa(lx)?;
    let mut groups = Vec::new();
    loop {
        let seg = lx.next_segment(&seps)?;
        let no = lx.count;
        let Some(seg) = seg else {
            return Err(missing(lx, "IEA", None));
        };
        match seg.id.as_str() {
            "GS" => groups.push(read_group(lx, &seps, &seg, no)?),
            "IEA" => {
                let f = fields(&seg, no, &[1, 2], 2)?;
                let header = ("ISA13", isa.control_number.as_str());
                check_trailer(lx, &seg, no, &f, groups.len(), "functional groups", header)?;
                let [group_count, control_number] = [f[0].clone(), f[1].clone()];
                return Ok(Interchange {
                    separators: seps,
                    isa: Some(isa),
                    groups,
                    iea: Some(IeaTrailer {
                        group_count,
                        control_number,
                    }),
                });
            }
            "ISA" => return Err(missing(lx, "IEA", Some(&seg))),
            _ => {
                let kind = ErrorKind::UnexpectedSegment {
                    found: seg.id.clone(),
                    context: "outside a functional group (expected GS or IEA)".into(),
                };
                return Err(X12Error::at(no, &seg.id, None, kind));
            }
        }
    }
}

fn read_group(
    lx: &mut Lexer<'_>,
    seps: &Separators,
    gs_seg: &Segment,
    gs_no: usize,
) -> Result<Group, X12Error> {
    let f = fields(gs_seg, gs_no, &[1, 2, 3, 4, 5, 6, 7, 8], 8)?;
    let mut it = f.into_iter();
    let mut next = || it.next().unwrap_or_default();
    let gs = GsHeader {
        functional_id: next(),
        sender_code: next(),
        receiver_code: next(),
        date: next(),
        time: next(),
        control_number: next(),
        agency: next(),
        version: next(),
    };
    let mut transactions = Vec::new();
    loop {
        let seg = lx.next_segment(seps)?;
        let no = lx.count;
        let Some(seg) = seg else {
            return Err(missing(lx, "GE", None));
        };
        match seg.id.as_str() {
            "ST" => transactions.push(read_transaction(lx, seps, &seg, no)?),
            "GE" => {
                let f = fields(&seg, no, &[1, 2], 2)?;
                let header = ("GS06", gs.control_number.as_str());
                check_trailer(
                    lx,
                    &seg,
                    no,
                    &f,
                    transactions.len(),
                    "transaction sets",
                    header,
                )?;
                let [transaction_count, control_number] = [f[0].clone(), f[1].clone()];
                return Ok(Group {
                    gs: Some(gs),
                    transactions,
                    ge: Some(GeTrailer {
                        transaction_count,
                        control_number,
                    }),
                });
            }
            "GS" | "IEA" | "ISA" => return Err(missing(lx, "GE", Some(&seg))),
            _ => {
                let kind = ErrorKind::UnexpectedSegment {
                    found: seg.id.clone(),
                    context: "outside a transaction set (expected ST or GE)".into(),
                };
                return Err(X12Error::at(no, &seg.id, None, kind));
            }
        }
    }
}

fn read_transaction(
    lx: &mut Lexer<'_>,
    seps: &Separators,
    st_seg: &Segment,
    st_no: usize,
) -> Result<Transaction, X12Error> {
    let f = fields(st_seg, st_no, &[1, 2], 3)?;
    let st = StHeader {
        set_id: f[0].clone(),
        control_number: f[1].clone(),
        implementation_reference: st_seg.element(3).map(|e| e.as_str().to_string()),
    };
    let mut segments = Vec::new();
    loop {
        let seg = lx.next_segment(seps)?;
        let no = lx.count;
        let Some(seg) = seg else {
            return Err(missing(lx, "SE", None));
        };
        if seg.id == "SE" {
            let f = fields(&seg, no, &[1, 2], 2)?;
            let header = ("ST02", st.control_number.as_str());
            check_trailer(lx, &seg, no, &f, segments.len() + 2, "segments", header)?;
            return Ok(Transaction {
                start_segment: st_no,
                st,
                segments,
                se: SeTrailer {
                    segment_count: f[0].clone(),
                    control_number: f[1].clone(),
                },
            });
        }
        if ENVELOPE_IDS.contains(&seg.id.as_str()) {
            return Err(missing(lx, "SE", Some(&seg)));
        }
        segments.push(seg);
    }
}

/// Separators of a bare `ST...` file: element separator after `ST`, the
/// terminator is the first other non-alphanumeric byte.
fn bare_separators(lx: &Lexer<'_>) -> Result<Separators, X12Error> {
    let b = lx.rest();
    let no = lx.count + 1;
    let es = b[2];
    let t = b
        .iter()
        .skip(3)
        .position(|c| !c.is_ascii_alphanumeric() && *c != es)
        .map(|i| i + 3);
    let Some(ti) = t else {
        return Err(X12Error::at(no, "ST", None, ErrorKind::Unterminated));
    };
    let term = b[ti];
    if !Separators::is_valid_delimiter(term as char, true) {
        let kind = ErrorKind::InvalidSeparator {
            which: "segment".into(),
            found: (term as char).to_string(),
        };
        return Err(X12Error::at(no, "ST", Some(2), kind));
    }
    let after = b.get(ti + 1..).unwrap_or_default();
    let line_ending = match (term, after) {
        (b'\r' | b'\n', _) => "",
        (_, [b'\r', b'\n', ..]) => "\r\n",
        (_, [b'\n', ..]) => "\n",
        _ => "",
    };
    Ok(Separators {
        element: es as char,
        component: None,
        repetition: None,
        segment: term as char,
        line_ending: line_ending.into(),
    })
}

fn read_bare(lx: &mut Lexer<'_>) -> Result<Interchange, X12Error> {
    let seps = bare_separators(lx)?;
    let mut transactions = Vec::new();
    while let Some(seg) = lx.next_segment(&seps)? {
        let no = lx.count;
        if seg.id != "ST" {
            let kind = ErrorKind::UnexpectedSegment {
                found: seg.id.clone(),
                context: "outside a transaction set (expected ST)".into(),
            };
            return Err(X12Error::at(no, &seg.id, None, kind));
        }
        transactions.push(read_transaction(lx, &seps, &seg, no)?);
    }
    Ok(Interchange {
        separators: seps,
        isa: None,
        groups: vec![Group {
            gs: None,
            transactions,
            ge: None,
        }],
        iea: None,
    })
}
