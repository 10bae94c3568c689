//! Reads a payload for the direct evaluator without building the nested
//! objects and arrays no mapping can reach: a member whose key is none of
//! the program's string literals and whose value is an object or an array
//! is skipped unbuilt (a Shopify order carries every amount twice more as
//! `*_set` objects, and lists no mapping reads). Unnamed plain values are
//! skipped too unless the program needs them ([`Plain::Keep`]): a key
//! computed at run time (`$r[$prefix + "City"]`) finds them only when they
//! were kept. An object that lost members carries a marker member under a key
//! no JSON text can spell; the evaluator is unsure wherever that could
//! change an answer (iterating the object, its length, printing or
//! comparing it, a computed key it lacks, the output), and the payload is
//! then mapped by jaq from the full text.
//!
//! Strict JSON, in one pass, with serde_json (built with
//! `arbitrary_precision`, so numbers arrive as their text and keep every
//! digit, as `convert` keeps them).

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use jaq_json::{Rc, Val};
use serde::de::{
    Deserialize, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor,
};

/// The marker key: not UTF-8, so equal to no key read from JSON.
const PRUNED: &[u8] = b"\xff(o2c: members not read)";

thread_local! {
    static MARKER: Val = Val::byte_str(PRUNED);
}

fn marker() -> Val {
    MARKER.with(Val::clone)
}

fn has_marker(members: &jaq_json::Map) -> bool {
    MARKER.with(|m| members.contains_key(m))
}

/// The keys a program can name, each kept once as shared bytes so a
/// member read under it costs no copy of its key.
#[derive(Default)]
pub struct KeySet(HashMap<Box<[u8]>, bytes::Bytes, foldhash::fast::FixedState>);

impl KeySet {
    pub fn insert(&mut self, key: &[u8]) {
        self.0
            .entry(key.into())
            .or_insert_with(|| bytes::Bytes::copy_from_slice(key));
    }

    pub fn contains(&self, key: &[u8]) -> bool {
        self.0.contains_key(key)
    }

    fn shared(&self, key: &[u8]) -> Option<&bytes::Bytes> {
        self.0.get(key)
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

/// The payload with unnamed members left out; `None` when serde_json
/// refuses it (the caller then reads it in full, for jaq's error).
pub fn parse(payload: &[u8], keys: &KeySet, plain: Plain) -> Option<Val> {
    // Checking the UTF-8 once, whole, is cheaper than serde_json checking
    // each string of a byte slice on its own.
    let text = std::str::from_utf8(payload).ok()?;
    let mut de = serde_json::Deserializer::from_str(text);
    let skips_fast = memchr::memmem::find(payload, b"\\u").is_none();
    let val = Seed {
        keys,
        plain,
        skips_fast,
    }
    .deserialize(&mut de)
    .ok()?;
    de.end().ok()?;
    Some(val)
}

/// Whether `v` is an object that lost members.
pub fn is_pruned(v: &Val) -> bool {
    matches!(v, Val::Obj(members) if has_marker(members))
}

/// Whether a pruned object is anywhere inside `v`.
pub fn holds_pruned(v: &Val) -> bool {
    match v {
        Val::Obj(members) => has_marker(members) || members.values().any(holds_pruned),
        Val::Arr(items) => items.iter().any(holds_pruned),
        _ => false,
    }
}

#[derive(Clone, Copy)]
struct Seed<'k> {
    keys: &'k KeySet,
    plain: Plain,
    /// Whether skipped members may go through serde_json's skipper: not
    /// when the payload has a `\u` escape, which the skipper does not
    /// check for lone surrogates while jaq's reader refuses them.
    skips_fast: bool,
}

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = Val;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Val, D::Error> {
        d.deserialize_any(self)
    }
}

/// A member's key, borrowed from the payload unless it had escapes: serde's
/// own `Cow<str>` always copies, and most keys are only looked up.
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a member's key")
    }

    fn visit_borrowed_str<E: serde::de::Error>(self, s: &'de str) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Borrowed(s)))
    }

    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Owned(s.to_owned())))
    }

    fn visit_string<E: serde::de::Error>(self, s: String) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Owned(s)))
    }
}

/// serde_json's token for a number read as text (`arbitrary_precision`).
const NUMBER_TOKEN: &str = "$serde_json::private::Number";

/// A number's text as `convert` reads it (integers stay integers).
fn number(text: &str) -> Val {
    Val::Num(crate::mapping::convert::number_of(text))
}

impl<'de> Visitor<'de> for Seed<'_> {
    type Value = Val;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Val, E> {
        Ok(Val::Null)
    }

    fn visit_bool<E: serde::de::Error>(self, b: bool) -> Result<Val, E> {
        Ok(Val::Bool(b))
    }

    fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<Val, E> {
        Ok(number(&n.to_string()))
    }

    fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Val, E> {
        Ok(number(&n.to_string()))
    }

    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Val, E> {
        // Never with `arbitrary_precision`; a float would have lost digits.
        Err(E::custom("a number read as a float"))
    }

    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Val, E> {
        Ok(Val::utf8_str(bytes::Bytes::copy_from_slice(s.as_bytes())))
    }

    fn visit_string<E: serde::de::Error>(self, s: String) -> Result<Val, E> {
        Ok(Val::utf8_str(s))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Val, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element_seed(self)? {
            items.push(item);
        }
        Ok(Val::Arr(Rc::new(items)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Val, A::Error> {
        let mut members = Vec::new();
        let mut pruned = false;
        let mut first = true;
        while let Some(key) = map.next_key::<Key<'de>>()? {
            if first && key.0 == NUMBER_TOKEN {
                let text: Key = map.next_value()?;
                return Ok(number(&text.0));
            }
            first = false;
            match self.keys.shared(key.0.as_bytes()) {
                Some(shared) => {
                    let value = map.next_value_seed(self)?;
                    members.push((Val::utf8_str(shared.clone()), value));
                }
                // Skipped whole by serde_json's own skipper, as strict as
                // its parser but without a visitor call per token, nor
                // the unescaping of strings and numbers' text.
                None if self.plain == Plain::Skip && self.skips_fast => {
                    map.next_value::<IgnoredAny>()?;
                    pruned = true;
                }
                None => match map.next_value_seed(Unnamed { plain: self })? {
                    Some(value) => members.push((Val::utf8_str(key.0.into_owned()), value)),
                    None => pruned = true,
                },
            }
        }
        if pruned {
            members.push((marker(), Val::Null));
        }
        let mut map = jaq_json::Map::with_capacity_and_hasher(members.len(), Default::default());
        map.extend(members);
        Ok(Val::obj(map))
    }
}

/// The value of a member no program names: kept when plain and the
/// program keeps plain values (read as [`Seed`] reads it), else skipped
/// (`None`).
#[derive(Clone, Copy)]
struct Unnamed<'k> {
    plain: Seed<'k>,
}

impl<'k> Unnamed<'k> {
    /// A plain value, read by `read` only when plain values are kept; a
    /// skipped one leaves its object pruned (`None`).
    fn keep<E>(self, read: impl FnOnce(Seed<'k>) -> Result<Val, E>) -> Result<Option<Val>, E> {
        match self.plain.plain {
            Plain::Keep => read(self.plain).map(Some),
            Plain::Skip => Ok(None),
        }
    }
}

impl<'de> DeserializeSeed<'de> for Unnamed<'_> {
    type Value = Option<Val>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<Val>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Unnamed<'_> {
    type Value = Option<Val>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        self.plain.expecting(f)
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Option<Val>, E> {
        self.keep(|seed| seed.visit_unit())
    }

    fn visit_bool<E: serde::de::Error>(self, b: bool) -> Result<Option<Val>, E> {
        self.keep(|seed| seed.visit_bool(b))
    }

    fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<Option<Val>, E> {
        self.keep(|seed| seed.visit_i64(n))
    }

    fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Option<Val>, E> {
        self.keep(|seed| seed.visit_u64(n))
    }

    fn visit_f64<E: serde::de::Error>(self, f: f64) -> Result<Option<Val>, E> {
        self.plain.visit_f64(f).map(Some)
    }

    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Option<Val>, E> {
        self.keep(|seed| seed.visit_str(s))
    }

    fn visit_string<E: serde::de::Error>(self, s: String) -> Result<Option<Val>, E> {
        self.keep(|seed| seed.visit_string(s))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Option<Val>, A::Error> {
        if self.plain.skips_fast {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
        } else {
            while seq.next_element_seed(Checked)?.is_some() {}
        }
        Ok(None)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<Val>, A::Error> {
        let mut first = true;
        while let Some(key) = map.next_key::<Key<'de>>()? {
            if first && key.0 == NUMBER_TOKEN {
                let text: Key = map.next_value()?;
                return self.keep(|_| Ok::<_, A::Error>(number(&text.0)));
            }
            first = false;
            if self.plain.skips_fast {
                map.next_value::<IgnoredAny>()?;
            } else {
                map.next_value_seed(Checked)?;
            }
        }
        Ok(None)
    }
}

/// A skipped value read through serde_json's parser, not its skipper, so
/// every string and key in it is decoded (and a lone surrogate refused,
/// as jaq's reader refuses it), then dropped: for payloads with `\u`
/// escapes ([`Seed::skips_fast`]).
#[derive(Clone, Copy)]
struct Checked;

impl<'de> DeserializeSeed<'de> for Checked {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Checked {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Checked)?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_key::<Key<'de>>()?.is_some() {
            map.next_value_seed(Checked)?;
        }
        Ok(())
    }
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

    #[test]
    fn unnamed_members_are_left_out_and_marked() {
        let v = parse(
            br#"{"a": {"b": 1, "c": [1, {"x": 2}]}, "d": "\u00e9", "n": 12345678901234567890123, "f": -0.50}"#,
            &keys(&["a", "b"]),
            Plain::Keep,
        )
        .expect("json");
        assert!(is_pruned(
            &v.clone().index(&Val::from("a".to_owned())).expect("a")
        ));
        assert!(!is_pruned(&v));
        assert!(holds_pruned(&v));
        let full = crate::mapping::convert::parse(
            br#"{"a": {"b": 1}, "d": "\u00e9", "n": 12345678901234567890123, "f": -0.50}"#,
        )
        .expect("json");
        for key in ["d", "n", "f"] {
            let k = Val::from(key.to_owned());
            assert_eq!(
                v.clone().index(&k).expect("member").to_string(),
                full.clone().index(&k).expect("member").to_string()
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
        assert!(is_pruned(&v), "d and n were left out");
        let a = v.clone().index(&Val::from("a".to_owned())).expect("a");
        assert!(is_pruned(&a), "s was left out");
        assert_eq!(
            a.index(&Val::from("b".to_owned())).expect("b").to_string(),
            "1"
        );
        let unpruned = parse(br#"{"a": {"b": 1}}"#, &keys(&["a", "b"]), Plain::Skip).expect("json");
        assert!(!holds_pruned(&unpruned), "nothing unnamed, nothing marked");
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
