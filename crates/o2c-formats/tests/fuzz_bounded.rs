//! Stable-Rust bounded fuzzing (cargo-fuzz needs nightly): thousands of
//! deterministic mutations of the real X12 samples (byte flips,
//! truncations, insertions, deletions, separator swaps) and random CSV
//! bytes, asserting no panic and the X12 round-trip property.

mod common;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Truncate(usize),
    Insert(usize, u8),
    Delete(usize),
    Swap(u8, u8),
}

const INTERESTING: &[u8] = b"*~>^|:\\\n\r \tISAGEST0123456789\xFF\xC3\x00";

fn byte() -> impl Strategy<Value = u8> {
    prop_oneof![proptest::sample::select(INTERESTING), any::<u8>()]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(p, x)| Mutation::Flip(p, x)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), byte()).prop_map(|(p, b)| Mutation::Insert(p, b)),
        any::<usize>().prop_map(Mutation::Delete),
        (byte(), byte()).prop_map(|(a, b)| Mutation::Swap(a, b)),
    ]
}

fn apply(mut data: Vec<u8>, muts: &[Mutation]) -> Vec<u8> {
    for m in muts {
        let n = data.len().max(1);
        match *m {
            Mutation::Flip(p, x) => {
                if let Some(b) = data.get_mut(p % n) {
                    *b ^= x;
                }
            }
            Mutation::Truncate(p) => data.truncate(p % n),
            Mutation::Insert(p, b) => data.insert(p % (data.len() + 1), b),
            Mutation::Delete(p) => {
                if !data.is_empty() {
                    data.remove(p % data.len());
                }
            }
            Mutation::Swap(a, b) => data.iter_mut().filter(|c| **c == a).for_each(|c| *c = b),
        }
    }
    data
}

fn runner(cases: u32) -> TestRunner {
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha))
}

#[test]
fn x12_mutated_samples_never_panic_and_round_trip() {
    let samples: Vec<Vec<u8>> = common::x12_names().iter().map(|n| common::x12(n)).collect();
    for s in &samples {
        o2c_formats::x12::fuzz_check(s);
    }
    let strategy = (
        0..samples.len(),
        proptest::collection::vec(mutation(), 1..6),
    );
    runner(6000)
        .run(&strategy, |(i, muts)| {
            o2c_formats::x12::fuzz_check(&apply(samples[i].clone(), &muts));
            Ok(())
        })
        .expect("x12 fuzz property");
}

#[test]
fn x12_random_bytes_never_panic() {
    runner(2000)
        .run(&proptest::collection::vec(byte(), 0..300), |data| {
            let mut with_isa = b"ISA*".to_vec();
            with_isa.extend(&data);
            o2c_formats::x12::fuzz_check(&data);
            o2c_formats::x12::fuzz_check(&with_isa);
            Ok(())
        })
        .expect("x12 random bytes");
}

#[test]
fn csv_random_and_mutated_bytes_never_panic() {
    let header =
        b"order_number,order_date,currency,customer_name,sku,quantity,unit_price\n".to_vec();
    let seed = [
        header.clone(),
        b"1,2024-01-01,EUR,\"A, B\",X,1,2\n1,,,,Y,3,4\n".to_vec(),
    ]
    .concat();
    let csv_bytes = prop_oneof![
        Just(b','),
        Just(b'"'),
        Just(b'\n'),
        Just(b'\r'),
        any::<u8>()
    ];
    let strategy = (
        proptest::collection::vec(csv_bytes, 0..200),
        proptest::collection::vec(mutation(), 0..5),
    );
    runner(3000)
        .run(&strategy, |(tail, muts)| {
            o2c_formats::csv_orders::fuzz_check(&[header.clone(), tail].concat());
            o2c_formats::csv_orders::fuzz_check(&apply(seed.clone(), &muts));
            Ok(())
        })
        .expect("csv fuzz property");
}

/// Regressions found by libFuzzer (`fuzz/`), kept as inputs: invalid
/// UTF-8 in ISA13 that a lossy decode made longer when rendered; a bare
/// transaction set without line ending that the renderer refused; a
/// wrapped line whose next line held only a segment id; an ISA11 holding
/// the segment terminator.
#[test]
fn libfuzzer_regressions() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz");
    let read = |name: &str| std::fs::read(dir.join(name)).expect("artifact");
    let data = read("x12_isa_invalid_utf8.bin");
    o2c_formats::x12::fuzz_check(&data);
    let e = o2c_formats::x12::parse_with(&data, &o2c_formats::x12::ParseOptions::lenient())
        .expect_err("invalid UTF-8 in ISA");
    assert_eq!(e.to_string(), "segment 1 (ISA) element 13: invalid UTF-8");
    o2c_formats::x12::fuzz_check(&read("x12_bare_no_line_ending.bin"));
    o2c_formats::x12::fuzz_check(&read("x12_wrapped_id_then_terminator.bin"));
    o2c_formats::x12::fuzz_check(&read("x12_isa11_holds_terminator.bin"));
}
