//! The property the fuzz targets and the bounded stable-Rust fuzz test
//! check on arbitrary bytes: no panic, and parse → render → parse identity
//! for whatever the decoder accepts (strict and lenient).

use super::doc850::PurchaseOrder;
use super::options::ParseOptions;
use super::parser::parse_with;
use super::render::render;

/// Runs the decoder on `data` in both modes; panics only if the
/// round-trip property is broken (a bug), never on bad input.
pub fn fuzz_check(data: &[u8]) {
    for opts in [ParseOptions::strict(), ParseOptions::lenient()] {
        let Ok(parsed) = parse_with(data, &opts) else {
            continue;
        };
        for tx in parsed.file.transactions() {
            let _ = PurchaseOrder::from_transaction(tx);
        }
        let text = match render(&parsed.file) {
            Ok(t) => t,
            Err(e) => panic!("accepted input does not render: {e}"),
        };
        match parse_with(text.as_bytes(), &opts) {
            Ok(again) => assert_eq!(again.file, parsed.file, "round trip differs"),
            Err(e) => panic!("rendered output does not parse: {e}\n{text:?}"),
        }
    }
}
