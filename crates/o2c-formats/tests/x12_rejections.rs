//! Rejections with the precise segment number, id and element position,
//! on the NEGATIVE/MALFORMED samples, samples with real errors, and
//! single-byte edits of valid samples.

mod common;

use o2c_formats::x12::{ErrorKind, ParseOptions, Tolerances, X12Error, parse, parse_with};

/// Lenient about everything except what `f` turns back to strict.
fn all_but(f: impl Fn(&mut Tolerances)) -> ParseOptions {
    let mut tolerate = Tolerances::all();
    f(&mut tolerate);
    ParseOptions { tolerate }
}

fn strict_err(bytes: &[u8]) -> X12Error {
    parse(bytes).expect_err("must be rejected")
}

fn edited(name: &str, from: &str, to: &str) -> Vec<u8> {
    let text = String::from_utf8(common::x12(name)).expect("utf8");
    assert!(text.contains(from), "{from} not in {name}");
    text.replacen(from, to, 1).into_bytes()
}

#[test]
fn wrong_segment_count_se01() {
    let e = strict_err(&edited("stedi_850_5010_dropship.edi", "SE*16*", "SE*15*"));
    assert_eq!(
        e.to_string(),
        "segment 18 (SE) element 1: count 15 does not match 16 segments"
    );
    // A real sample whose SE01 is wrong (28 for 29 segments).
    let opts = all_but(|t| t.counts = false);
    let e =
        parse_with(&common::x12("x12types_850_5010_napa_5lines.edi"), &opts).expect_err("count");
    assert_eq!(
        e.to_string(),
        "segment 31 (SE) element 1: count 28 does not match 29 segments"
    );
}

#[test]
fn wrong_group_and_interchange_counts() {
    let e = strict_err(&common::x12("x12types_856_00204_edifabric.edi"));
    assert_eq!(
        e.to_string(),
        "segment 47 (GE) element 1: count 2 does not match 1 transaction sets"
    );
    let e = strict_err(&edited("stedi_850_5010_dropship.edi", "IEA*1*", "IEA*2*"));
    assert_eq!(e.position.segment, 20);
    assert_eq!(e.position.segment_id, "IEA");
    assert_eq!(e.position.element, Some(1));
}

#[test]
fn mismatched_isa13_iea02() {
    let opts = all_but(|t| t.control_numbers = false);
    let e = parse_with(&common::x12("edinet_850_4010_single_line.edi"), &opts).expect_err("icn");
    assert_eq!(
        e.to_string(),
        "segment 15 (IEA) element 2: control number \"000000001\" does not match ISA13 \"000000055\""
    );
}

#[test]
fn mismatched_gs06_ge02() {
    let e = strict_err(&common::x12("x12types_940_1edisource.edi"));
    assert_eq!(
        e.to_string(),
        "segment 32 (GE) element 2: control number \"575103\" does not match GS06 \"3317\""
    );
}

#[test]
fn mismatched_st02_se02() {
    let opts = all_but(|t| t.control_numbers = false);
    let e = parse_with(
        &common::x12("x12types_850_5010_aafes_multiline_mtx.edi"),
        &opts,
    )
    .expect_err("st02");
    assert_eq!(
        e.to_string(),
        "segment 37 (SE) element 2: control number \"16246\" does not match ST02 \"16241\""
    );
    let e = strict_err(&edited(
        "stedi_855_5010_ack.edi",
        "SE*17*0001",
        "SE*17*0002",
    ));
    assert_eq!(e.position.segment, 19);
    assert_eq!(e.position.element, Some(2));
}

#[test]
fn missing_isa_field() {
    // The NEGATIVE sample read leniently: a separator-split ISA has 15 elements.
    let bytes = common::x12("x12types_940_NEGATIVE_isa_wrong_separator.edi");
    let e = parse_with(&bytes, &ParseOptions::lenient()).expect_err("15 elements");
    assert_eq!(e.kind, ErrorKind::IsaMissingElements { found: 15 });
    assert_eq!((e.position.segment, e.position.element), (1, Some(16)));
    // A blank sender id in a valid sample.
    let e = strict_err(&edited(
        "stedi_850_5010_dropship.edi",
        "ANOTHERMERCH   ",
        &" ".repeat(15),
    ));
    assert_eq!(
        e.to_string(),
        "segment 1 (ISA) element 6: required field is empty"
    );
}

#[test]
fn unknown_separator() {
    let e = strict_err(&common::x12(
        "x12types_940_NEGATIVE_isa_wrong_separator.edi",
    ));
    assert_eq!(
        e.kind,
        ErrorKind::UnknownSeparator {
            expected: '*',
            found: '|',
            offset: 18
        }
    );
    assert_eq!(
        e.to_string(),
        "segment 1 (ISA) element 2: unknown separator '|' at byte 18 where the element separator '*' (ISA byte 4) was expected"
    );
    let e = strict_err(b"ISAA00*...");
    assert!(matches!(e.kind, ErrorKind::InvalidSeparator { .. }), "{e}");
}

#[test]
fn isa_without_terminator() {
    let bytes = common::x12("x12types_940_NEGATIVE_isa_no_terminator.edi");
    for opts in [ParseOptions::strict(), ParseOptions::lenient()] {
        let e = parse_with(&bytes, &opts).expect_err("no terminator");
        assert_eq!(
            e.to_string(),
            "segment 1 (ISA) element 16: segment terminator missing after ISA16 (found \"G\")"
        );
    }
}

#[test]
fn malformed_sample_missing_terminator() {
    let bytes = common::x12("edinet_850_4010_MALFORMED_missing_terminator_issue135.edi");
    let e = strict_err(&bytes);
    assert_eq!(
        e.to_string(),
        "segment 1 (ISA) element 16: component element separator (ISA16) is missing"
    );
    let opts = ParseOptions {
        tolerate: Tolerances {
            missing_component_separator: true,
            ..Tolerances::default()
        },
    };
    let e = parse_with(&bytes, &opts).expect_err("missing terminator");
    assert_eq!(
        e.to_string(),
        "segment 23 (DTM) element 2: line break inside the segment: segment terminator '~' missing"
    );
    // Lenient: the line break ends the segment, the counts then match.
    let p = parse_with(&bytes, &ParseOptions::lenient()).expect("lenient");
    assert_eq!(p.warnings.len(), 2, "{:?}", p.warnings);
    assert_eq!(p.warnings[1], e);
    assert_eq!(p.file.transactions().count(), 2);
}

#[test]
fn strict_refuses_each_layout_quirk() {
    let cases = [
        (
            "edinet_810_4010_a.edi",
            "segment 1 (ISA): file starts with a UTF-8 byte order mark",
        ),
        (
            "x12types_810_adobe.edi",
            "segment 1 (ISA) element 2: ISA element is 1 characters, the fixed width is 10 (unpadded ISA)",
        ),
        (
            "x12types_997_1.edi",
            "segment 1 (ST): transaction set without ISA/GS envelope",
        ),
        (
            "x12types_940_generalmills_1.edi",
            "segment 18 (W01) element 15: line break inside the segment: segment terminator '~' missing",
        ),
        (
            "x12types_testdata_004060_856.edi",
            "segment 35 (IEA): last segment is not terminated",
        ),
    ];
    for (name, msg) in cases {
        assert_eq!(strict_err(&common::x12(name)).to_string(), msg, "{name}");
    }
    let no_bom = &common::x12("edinet_832_price_catalog.edi")[3..];
    let opts = all_but(|t| t.indentation = false);
    let e = parse_with(no_bom, &opts).expect_err("indentation");
    assert_eq!(
        e.to_string(),
        "segment 2 (GS): whitespace before the segment (indentation)"
    );
}

#[test]
fn lenient_records_the_quirks_as_warnings() {
    let p = parse_with(
        &common::x12("edinet_832_price_catalog.edi"),
        &ParseOptions::lenient(),
    )
    .expect("lenient");
    let w: Vec<String> = p.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        w,
        [
            "segment 1 (ISA): file starts with a UTF-8 byte order mark",
            "segment 1 (ISA) element 2: ISA element is 1 characters, the fixed width is 10 (unpadded ISA)",
            "segment 2 (GS): whitespace before the segment (indentation)",
            "segment 14 (SE) element 1: count 17 does not match 12 segments",
        ]
    );
    let p = parse_with(
        &common::x12("x12types_850_5010_aafes_multiline_mtx.edi"),
        &ParseOptions::lenient(),
    )
    .expect("lenient");
    assert!(
        p.warnings
            .iter()
            .any(|w| w.kind == ErrorKind::LineBreakInData && w.position.segment == 13)
    );
}

#[test]
fn structural_errors() {
    let text = String::from_utf8(common::x12("stedi_850_5010_dropship.edi")).expect("utf8");
    let cut = text.replace("IEA*1*000000057~", "");
    assert_eq!(
        strict_err(cut.as_bytes()).to_string(),
        "segment 20: missing IEA trailer before end of input"
    );
    let no_se = text.replace("SE*16*000000057~\n", "");
    assert_eq!(
        strict_err(no_se.as_bytes()).to_string(),
        "segment 18 (GE): missing SE trailer before GE"
    );
    let stray = text.replace("GE*1*", "PO1*1~GE*1*");
    assert!(
        strict_err(stray.as_bytes())
            .to_string()
            .starts_with("segment 19 (PO1): unexpected PO1 segment")
    );
    assert_eq!(strict_err(b"").kind, ErrorKind::EmptyInput);
    assert!(matches!(
        strict_err(b"hello").kind,
        ErrorKind::NotX12 { .. }
    ));
}
