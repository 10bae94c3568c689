//! Round trip on every real sample that parses: parse → render → parse
//! gives the same model; strictly valid files render back byte for byte.

mod common;

use o2c_formats::x12::{ParseOptions, Separators, X12File, parse, parse_with, render, render_with};

/// Samples that are rejected on purpose (NEGATIVE fixtures).
fn is_negative(name: &str) -> bool {
    name.contains("NEGATIVE")
}

/// Parses strictly when the sample is valid, else leniently.
fn parse_any(bytes: &[u8]) -> (X12File, ParseOptions) {
    match parse(bytes) {
        Ok(f) => (f, ParseOptions::strict()),
        Err(_) => {
            let opts = ParseOptions::lenient();
            let p = parse_with(bytes, &opts).expect("lenient parse");
            (p.file, opts)
        }
    }
}

#[test]
fn every_sample_round_trips() {
    let mut checked = 0;
    for name in common::x12_names().into_iter().filter(|n| !is_negative(n)) {
        let bytes = common::x12(&name);
        let (first, opts) = parse_any(&bytes);
        let text = render(&first).unwrap_or_else(|e| panic!("{name}: render: {e}"));
        let second = parse_with(text.as_bytes(), &opts)
            .unwrap_or_else(|e| panic!("{name}: reparse: {e}\n{text}"))
            .file;
        assert_eq!(first, second, "{name}: parse → render → parse differs");
        checked += 1;
    }
    assert_eq!(checked, 32);
}

#[test]
fn strictly_valid_samples_render_byte_for_byte() {
    let strict: Vec<String> = common::x12_names()
        .into_iter()
        .filter(|n| parse(&common::x12(n)).is_ok())
        .collect();
    assert_eq!(strict.len(), 12, "{strict:?}");
    for name in strict {
        let bytes = common::x12(&name);
        let text = render(&parse(&bytes).expect("strict")).expect("render");
        let original = String::from_utf8(bytes).expect("utf8");
        assert_eq!(text.trim_end(), original.trim_end(), "{name}");
    }
}

#[test]
fn json_form_renders_the_same_x12() {
    for name in common::x12_names().into_iter().filter(|n| !is_negative(n)) {
        let (file, _) = parse_any(&common::x12(&name));
        let json = serde_json::to_string_pretty(&file).expect("to json");
        let back: X12File = serde_json::from_str(&json).expect("from json");
        assert_eq!(
            render(&back).expect("render"),
            render(&file).expect("render"),
            "{name}"
        );
    }
}

#[test]
fn render_with_other_separators_keeps_the_content() {
    let seps = Separators {
        element: '|',
        component: Some('\\'),
        repetition: Some('{'),
        segment: '\n',
        line_ending: String::new(),
    };
    for name in [
        "stedi_850_5010_dropship.edi",
        "nodex12_850_4010VICS_6lines.edi",
        "x12types_820_5010_payment_order_remittance.edi",
    ] {
        let file = parse(&common::x12(name)).expect("strict");
        let text = render_with(&file, &seps).expect("render");
        assert!(text.starts_with("ISA|"), "{text}");
        let again = parse(text.as_bytes()).expect("reparse");
        assert_eq!(again.interchanges[0].separators, seps);
        let a: Vec<_> = file.transactions().collect();
        let b: Vec<_> = again.transactions().collect();
        assert_eq!(a, b, "{name}");
    }
}

#[test]
fn render_refuses_data_containing_a_separator() {
    let mut file = parse(&common::x12("stedi_850_5010_dropship.edi")).expect("strict");
    file.interchanges[0].groups[0].transactions[0].segments[0].elements[2] =
        o2c_formats::x12::Element::text("36546*5413");
    let err = render(&file).expect_err("must refuse");
    assert_eq!(
        err.to_string(),
        "segment 4 (BEG) element 3: data contains the element separator '*'"
    );
}

#[test]
fn multiple_interchanges_and_json_shape() {
    let file = parse(&common::x12("nodex12_850_multiple_interchanges.edi")).expect("strict");
    assert_eq!(file.interchanges.len(), 2);
    let json = serde_json::to_value(&file).expect("json");
    let beg = &json["interchanges"][0]["groups"][0]["transactions"][0]["segments"][0];
    assert_eq!(beg["id"], "BEG");
    assert_eq!(beg["elements"][2], "08292233294");
    assert_eq!(
        json["interchanges"][0]["isa"]["control_number"],
        "000003438"
    );
    assert_eq!(json["interchanges"][0]["separators"]["segment"], "~");
}

#[test]
fn components_and_repetitions_are_split() {
    let text = "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240101*1200*^*00501*000000001*0*T*:~\
GS*PO*S*R*20240101*1200*1*X*005010~ST*850*0001~REF*ZZ*a:b^c:d:e~REF*ZZ*x:y~SE*4*0001~GE*1*1~IEA*1*000000001~";
    let file = parse(text.as_bytes()).expect("strict");
    let segs = &file.interchanges[0].groups[0].transactions[0].segments;
    let json = serde_json::to_value(segs).expect("json");
    assert_eq!(
        json[0]["elements"][1],
        serde_json::json!([["a", "b"], ["c", "d", "e"]])
    );
    assert_eq!(json[1]["elements"][1], serde_json::json!(["x", "y"]));
    assert_eq!(segs[0].elements[1].component(2), Some("b"));
    assert_eq!(render(&file).expect("render"), text);
}
