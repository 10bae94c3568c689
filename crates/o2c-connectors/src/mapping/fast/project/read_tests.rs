//! The reader against the full path (serde_json's strict check, then jaq's
//! reader) on generated text, valid and broken: it must never accept what
//! the full path refuses, must accept what it accepts (when it is UTF-8),
//! and must read the same values.

use proptest::prelude::*;

use jaq_json::Val;

use super::super::super::value::{Text, V};
use super::super::{KeySet, Plain, parse};
use crate::mapping::convert;

/// Values, odd and broken ones among them, as JSON text.
fn leaf() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("null"),
        Just("true"),
        Just("false"),
        Just("nul"),
        Just("truex"),
        Just("0"),
        Just("-0"),
        Just("01"),
        Just("-01"),
        Just("1.5"),
        Just("1."),
        Just(".5"),
        Just("-"),
        Just("+1"),
        Just("1e9"),
        Just("1E+2"),
        Just("2.50e-3"),
        Just("2e"),
        Just("1e+"),
        Just("123456789012345678901234567890"),
        Just("0.1000000000000000055511151231257827"),
        Just("NaN"),
        Just(r#""a""#),
        Just(r#""""#),
        Just("\"é ü\""),
        Just(r#""\u00e9\u0000""#),
        Just(r#""\ud83d\ude00""#),
        Just(r#""\ud800""#),
        Just(r#""\ud800\u0041""#),
        Just(r#""\udc00x""#),
        Just(r#""\uDBFF\uDFFF""#),
        Just(r#""\u12""#),
        Just(r#""\uzzzz""#),
        Just(r#""\n\t\/\\\"\b\f\r""#),
        Just(r#""\x""#),
        Just("\"\u{1}\""),
        Just("\"tab\tin\""),
        Just("\"\u{7f}\""),
        Just(r#""open"#),
        Just("'single'"),
        Just("b\"x\""),
    ]
    .prop_map(str::to_owned)
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(r#""a""#),
        Just(r#""b""#),
        Just(r#""\u0061""#),
        Just(r#""c""#),
        Just(r#""\u0063""#),
        Just(r#""\n""#),
        Just("a"),
        Just("1"),
    ]
    .prop_map(str::to_owned)
}

fn whitespace() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        Just(""),
        Just(" "),
        Just("\n\t\r "),
        Just("\u{a0}"),
        Just("\u{b}")
    ]
}

fn text() -> impl Strategy<Value = String> {
    leaf().prop_recursive(5, 48, 5, |inner| {
        prop_oneof![
            prop::collection::vec((whitespace(), inner.clone()), 0..4).prop_map(|items| {
                let items: Vec<String> =
                    items.into_iter().map(|(w, v)| format!("{w}{v}")).collect();
                format!("[{}]", items.join(","))
            }),
            prop::collection::vec((key(), whitespace(), inner.clone()), 0..4).prop_map(|members| {
                let members: Vec<String> = members
                    .into_iter()
                    .map(|(k, w, v)| format!("{k}{w}:{v}"))
                    .collect();
                format!("{{{}}}", members.join(","))
            }),
            (
                inner.clone(),
                prop_oneof![
                    Just("[{},]"),
                    Just("{{\"a\" {}}}"),
                    Just("{{\"a\":{},}}"),
                    Just("[{} 1]"),
                    Just("{} {}")
                ]
            )
                .prop_map(|(v, broken)| broken.replace("{}", &v)),
        ]
    })
}

/// Generated text, sometimes with one byte changed, inserted or cut.
fn payload() -> impl Strategy<Value = Vec<u8>> {
    (text(), whitespace(), any::<u16>(), 0u8..4, any::<u8>()).prop_map(
        |(text, w, at, how, byte)| {
            let mut bytes = format!("{w}{text}{w}").into_bytes();
            let at = at as usize % (bytes.len() + 1);
            match how {
                1 => bytes.insert(at, byte),
                2 if at < bytes.len() => bytes[at] = byte,
                3 => bytes.truncate(at),
                _ => {}
            }
            bytes
        },
    )
}

fn keys() -> KeySet {
    let mut set = KeySet::default();
    set.insert(b"a");
    set.insert(b"b");
    set
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn reads_as_the_full_path_does(bytes in payload()) {
        let reference = convert::parse(&bytes);
        for plain in [Plain::Keep, Plain::Skip] {
            let read = parse(&bytes, &keys(), plain);
            match (&reference, &read) {
                (Ok(full), Some(read)) => prop_assert!(
                    same_where_read(read, full),
                    "{} read as {} from {:?}", full, read, String::from_utf8_lossy(&bytes)
                ),
                (Err(_), None) => {}
                // Text that is not UTF-8 is left to the full path on
                // purpose (serde_json's skipper and jaq's reader take it).
                // So is a repeated key when plain values are kept (a
                // skipped last value could leave a kept first one behind).
                (Ok(_), None) => prop_assert!(
                    std::str::from_utf8(&bytes).is_err()
                        || (plain == Plain::Keep && repeats_a_key(&bytes)),
                    "refused what the full path reads: {:?}", String::from_utf8_lossy(&bytes)
                ),
                (Err(e), Some(_)) => prop_assert!(false, "read what the full path refuses ({}): {:?}", e, String::from_utf8_lossy(&bytes)),
            }
        }
    }
}

/// Whether some object of the (valid) JSON text has a key twice.
fn repeats_a_key(bytes: &[u8]) -> bool {
    use serde::de::{Deserializer as _, MapAccess, SeqAccess, Visitor};

    // Numbers arrive as one-member maps (`arbitrary_precision`): no repeat.
    struct Repeats;
    impl<'de> Visitor<'de> for Repeats {
        type Value = bool;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("JSON")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
            let (mut seen, mut repeats) = (std::collections::HashSet::new(), false);
            while let Some(key) = map.next_key::<String>()? {
                repeats |= !seen.insert(key);
                repeats |= map.next_value_seed(Seed)?;
            }
            Ok(repeats)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
            let mut repeats = false;
            while let Some(inner) = seq.next_element_seed(Seed)? {
                repeats |= inner;
            }
            Ok(repeats)
        }
        fn visit_unit<E>(self) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_bool<E>(self, _: bool) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_str<E>(self, _: &str) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_u64<E>(self, _: u64) -> Result<bool, E> {
            Ok(false)
        }
        fn visit_i64<E>(self, _: i64) -> Result<bool, E> {
            Ok(false)
        }
    }
    struct Seed;
    impl<'de> serde::de::DeserializeSeed<'de> for Seed {
        type Value = bool;
        fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
            d.deserialize_any(Repeats)
        }
    }
    serde_json::Deserializer::from_slice(bytes)
        .deserialize_any(Repeats)
        .unwrap_or(false)
}

/// Whether every member the reader kept equals the full path's member
/// under the same key, and everything not pruned equals it whole.
fn same_where_read(read: &V, full: &Val) -> bool {
    match (read, full) {
        (V::Obj(read), Val::Obj(full)) => {
            (read.is_pruned() || read.len() == full.len())
                && read.iter().all(|(key, value)| {
                    full.get(&Val::utf8_str(key.to_bytes()))
                        .is_some_and(|f| same_where_read(value, f))
                })
        }
        (V::Arr(read), Val::Arr(full)) => {
            read.len() == full.len()
                && read
                    .iter()
                    .zip(full.iter())
                    .all(|(r, f)| same_where_read(r, f))
        }
        _ => read.to_string() == full.to_string(),
    }
}

#[test]
fn nesting_past_the_limit_is_left_to_the_full_path() {
    let deep = format!("{}{}", "[".repeat(101), "]".repeat(101));
    assert!(parse(deep.as_bytes(), &keys(), Plain::Keep).is_none());
    let fine = format!("{}{}", "[".repeat(100), "]".repeat(100));
    assert!(parse(fine.as_bytes(), &keys(), Plain::Keep).is_some());
}

#[test]
fn strings_without_escapes_are_slices_of_the_payload_and_escaped_ones_decoded() {
    let payload = br#"{"a": "plain", "b": "caf\u00e9 \ud83d\ude00 \"q\" \/"}"#;
    let read = parse(payload, &keys(), Plain::Skip).expect("json");
    assert_eq!(read.to_string(), r#"{"a":"plain","b":"café 😀 \"q\" /"}"#);
    let V::Obj(members) = &read else {
        panic!("an object")
    };
    let (key, plain) = &members.members()[0];
    assert!(
        matches!(key, Text::Borrowed(k) if payload.as_ptr_range().contains(&k.as_ptr())),
        "the key borrows from the payload"
    );
    assert!(
        matches!(plain, V::Str(Text::Borrowed(s)) if payload.as_ptr_range().contains(&s.as_ptr())),
        "the plain string borrows from the payload"
    );
    assert!(matches!(&members.members()[1].1, V::Str(Text::Shared(_))));
}

proptest! {
    #[test]
    fn string_stop_finds_the_first_quote_backslash_or_control(
        bytes in prop::collection::vec(prop_oneof![any::<u8>(), 0x20u8..0x7f, Just(b'"'), Just(b'\\')], 0..40)
    ) {
        let naive = bytes.iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20);
        prop_assert_eq!(super::string_stop(&bytes), naive);
    }
}
