//! Reads a payload for the direct evaluator without building the nested
//! objects and arrays no mapping can reach: a member whose key is none of
//! the program's string literals and whose value is an object or an array
//! is skipped unbuilt (a Shopify order carries every amount twice more as
//! `*_set` objects, and lists no mapping reads). Unnamed plain values are
//! skipped too unless the program needs them ([`Plain::Keep`]): a key
//! computed at run time (`$r[$prefix + "City"]`) finds them only when they
//! were kept. An object that lost members is marked so ([`V::is_pruned`];
//! jaq-side, a marker member under a key no JSON text can spell); the
//! evaluator is unsure wherever that could change an answer (iterating the object, its length, printing or
//! comparing it, a computed key it lacks, the output), and the payload is
//! then mapped by jaq from the full text.
//!
//! Strict JSON, in one pass, by a reader of its own ([`read`]): numbers
//! keep their text and every digit, as `convert` keeps them.

mod read;

use jaq_json::Val;

use super::value::{V, same_key};

/// The marker key: not UTF-8, so equal to no key read from JSON.
const PRUNED: &[u8] = b"\xff(o2c: members not read)";

thread_local! {
    static MARKER: Val = Val::byte_str(PRUNED);
}

/// The member that marks a pruned object converted to jaq's value.
pub(super) fn marker() -> Val {
    MARKER.with(Val::clone)
}

/// The keys a program can name. Most keys a payload holds are not among
/// them, so a lookup is bucketed by the key's length and its first and
/// last bytes, without hashing the whole key: a key no program names
/// mostly finds an empty bucket.
pub struct KeySet {
    buckets: Vec<Vec<Box<[u8]>>>,
}

/// How many buckets a key set has (a power of two).
const BUCKETS: usize = 256;

impl Default for KeySet {
    fn default() -> Self {
        Self {
            buckets: vec![Vec::new(); BUCKETS],
        }
    }
}

impl KeySet {
    fn bucket(key: &[u8]) -> usize {
        let (first, last) = (key.first(), key.last());
        let mix = key.len()
            ^ first.map_or(0, |&b| usize::from(b) << 2)
            ^ last.map_or(0, |&b| usize::from(b) << 1);
        mix % BUCKETS
    }

    pub fn insert(&mut self, key: &[u8]) {
        let bucket = &mut self.buckets[Self::bucket(key)];
        if !bucket.iter().any(|k| same_key(k, key)) {
            bucket.push(key.into());
        }
    }

    pub fn contains(&self, key: &[u8]) -> bool {
        self.buckets[Self::bucket(key)]
            .iter()
            .any(|k| same_key(k, key))
    }
}

/// What becomes of a plain value (not an object or an array) under a key
/// the program does not name.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Plain {
    /// Read, for programs that compute keys at run time.
    Keep,
    /// Skipped unbuilt, like unnamed objects and arrays.
    Skip,
}

/// The payload with unnamed members left out; `None` when the reader
/// refuses it (the caller then reads it in full, for jaq's answer or error).
pub fn parse<'a>(payload: &'a [u8], keys: &KeySet, plain: Plain) -> Option<V<'a>> {
    // Checked once, whole: the reader then slices strings without checks.
    std::str::from_utf8(payload).ok()?;
    read::Reader::new(payload, keys, plain).document().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(names: &[&str]) -> KeySet {
        let mut set = KeySet::default();
        for name in names {
            set.insert(name.as_bytes());
        }
        set
    }

    fn member<'a>(v: &V<'a>, key: &'static str) -> V<'a> {
        v.index(&V::str(key)).expect("an object")
    }

    #[test]
    fn unnamed_members_are_left_out_and_marked() {
        let v = parse(
            br#"{"a": {"b": 1, "c": [1, {"x": 2}]}, "d": "\u00e9", "n": 12345678901234567890123, "f": -0.50}"#,
            &keys(&["a", "b"]),
            Plain::Keep,
        )
        .expect("json");
        assert!(member(&v, "a").is_pruned());
        assert!(!v.is_pruned());
        assert!(v.holds_pruned());
        let full = crate::mapping::convert::parse(
            br#"{"a": {"b": 1}, "d": "\u00e9", "n": 12345678901234567890123, "f": -0.50}"#,
        )
        .expect("json");
        for key in ["d", "n", "f"] {
            assert_eq!(
                member(&v, key).to_string(),
                full.clone()
                    .index(&Val::from(key.to_owned()))
                    .expect("member")
                    .to_string()
            );
        }
    }

    #[test]
    fn unnamed_plain_values_are_skipped_when_asked() {
        let v = parse(
            br#"{"a": {"b": 1, "s": "x"}, "d": "y", "n": 1.50}"#,
            &keys(&["a", "b"]),
            Plain::Skip,
        )
        .expect("json");
        assert!(v.is_pruned(), "d and n were left out");
        let a = member(&v, "a");
        assert!(a.is_pruned(), "s was left out");
        assert_eq!(member(&a, "b").to_string(), "1");
        let unpruned = parse(br#"{"a": {"b": 1}}"#, &keys(&["a", "b"]), Plain::Skip).expect("json");
        assert!(!unpruned.holds_pruned(), "nothing unnamed, nothing marked");
    }

    #[test]
    fn only_strict_json_is_read() {
        for not_json in [
            &b"{\"a\": NaN}"[..],
            b"# c\n{}",
            b"[1,]",
            b"{} {}",
            b"{\"a\": 1",
        ] {
            assert!(
                parse(not_json, &keys(&["a"]), Plain::Skip).is_none(),
                "{not_json:?}"
            );
        }
    }

    use jaq_core::ValT as _;
}
