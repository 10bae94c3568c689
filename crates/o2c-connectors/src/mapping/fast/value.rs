//! The direct evaluator's values: jaq's data model (null, booleans, jaq's
//! own numbers, text, arrays, objects in insertion order) without jaq's box
//! per string and hash map per object (ADR 0018). A string is [`Text`]:
//! mostly borrowed from the payload or the program, so cloning one costs
//! no allocation and, when borrowed, no count either. An object is its
//! members in order, looked up by scanning (mapping objects are small),
//! and knows whether the payload reader left members out (`pruned`).
//!
//! Whatever is not mirrored here natively is computed by jaq on converted
//! values ([`V::to_val`], [`V::from_val`]), so answers stay jaq's.

use std::cmp::Ordering;
use std::fmt;
use std::rc::Rc;

use jaq_core::ops::Math;
use jaq_json::{Num, Val};

use super::Unsure;
pub use super::text::Text;

#[derive(Clone, Debug, Default)]
pub enum V<'a> {
    #[default]
    Null,
    Bool(bool),
    Num(Num),
    /// Text (jaq's `TStr`): UTF-8 when read from JSON.
    Str(Text<'a>),
    Arr(Rc<Vec<V<'a>>>),
    Obj(Rc<Obj<'a>>),
}

/// An object's members in insertion order; a repeated key keeps its first
/// position and takes the last value, as jaq's map does.
#[derive(Clone, Debug, Default)]
pub struct Obj<'a> {
    members: Vec<(Text<'a>, V<'a>)>,
    /// Members of the payload were left out unread (`project`): the
    /// object must not be observed whole.
    pruned: bool,
}

impl<'a> Obj<'a> {
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            members: Vec::with_capacity(capacity),
            pruned: false,
        }
    }

    /// An object of members whose keys the caller knows are distinct.
    pub fn from_distinct(members: Vec<(Text<'a>, V<'a>)>) -> Self {
        Self {
            members,
            pruned: false,
        }
    }

    pub fn get(&self, key: &[u8]) -> Option<&V<'a>> {
        self.members
            .iter()
            .find(|(k, _)| same_key(k, key))
            .map(|(_, v)| v)
    }

    pub fn contains(&self, key: &[u8]) -> bool {
        self.get(key).is_some()
    }

    pub fn insert(&mut self, key: Text<'a>, value: V<'a>) {
        match self.members.iter_mut().find(|(k, _)| same_key(k, &key)) {
            Some(slot) => slot.1 = value,
            None => self.members.push((key, value)),
        }
    }

    pub fn len(&self) -> usize {
        self.members.len()
    }

    pub fn members(&self) -> &[(Text<'a>, V<'a>)] {
        &self.members
    }

    pub fn iter(&self) -> impl Iterator<Item = &(Text<'a>, V<'a>)> {
        self.members.iter()
    }

    pub fn values(&self) -> impl Iterator<Item = &V<'a>> {
        self.members.iter().map(|(_, v)| v)
    }

    pub fn is_pruned(&self) -> bool {
        self.pruned
    }

    pub fn prune(&mut self) {
        self.pruned = true;
    }
}

/// Whether two keys are the same bytes; the length and first byte are
/// compared before calling out to compare the rest.
#[inline]
pub fn same_key(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.first() == b.first() && a == b
}

impl<'a> V<'a> {
    pub fn int(i: isize) -> Self {
        V::Num(Num::Int(i))
    }

    pub fn usize(i: usize) -> Self {
        isize::try_from(i).map_or_else(|_| V::Num(Num::from_integral(i)), V::int)
    }

    pub fn str(text: impl Into<Text<'a>>) -> Self {
        V::Str(text.into())
    }

    pub fn obj(obj: Obj<'a>) -> Self {
        V::Obj(Rc::new(obj))
    }

    /// jq's truth: everything but `null` and `false`.
    pub fn as_bool(&self) -> bool {
        !matches!(self, V::Null | V::Bool(false))
    }

    /// Whether this is an object that lost members.
    pub fn is_pruned(&self) -> bool {
        matches!(self, V::Obj(o) if o.pruned)
    }

    /// Whether an object that lost members is anywhere inside.
    pub fn holds_pruned(&self) -> bool {
        match self {
            V::Obj(o) => o.pruned || o.values().any(V::holds_pruned),
            V::Arr(items) => items.iter().any(V::holds_pruned),
            _ => false,
        }
    }

    pub fn is_container(&self) -> bool {
        matches!(self, V::Arr(_) | V::Obj(_))
    }

    /// The same value as jaq's; a pruned object carries jaq-side the
    /// marker member `project` defines, so it stays recognisable.
    pub fn to_val(&self) -> Val {
        match self {
            V::Null => Val::Null,
            V::Bool(b) => Val::Bool(*b),
            V::Num(n) => Val::Num(n.clone()),
            V::Str(b) => Val::utf8_str(b.to_bytes()),
            V::Arr(items) => Val::Arr(jaq_json::Rc::new(items.iter().map(V::to_val).collect())),
            V::Obj(o) => {
                let mut map =
                    jaq_json::Map::with_capacity_and_hasher(o.len() + 1, Default::default());
                for (k, v) in o.iter() {
                    map.insert(Val::utf8_str(k.to_bytes()), v.to_val());
                }
                if o.pruned {
                    map.insert(super::project::marker(), Val::Null);
                }
                Val::obj(map)
            }
        }
    }

    /// jaq's value as ours; byte strings and non-text keys (which JSON
    /// and mappings do not make) are unsure.
    pub fn from_val(val: Val) -> Result<Self, Unsure> {
        Ok(match val {
            Val::Null => V::Null,
            Val::Bool(b) => V::Bool(b),
            Val::Num(n) => V::Num(n),
            Val::TStr(b) => V::Str(Text::copied(&b)),
            Val::BStr(_) => return Err(Unsure),
            Val::Arr(items) => V::Arr(Rc::new(
                items
                    .iter()
                    .cloned()
                    .map(V::from_val)
                    .collect::<Result<_, _>>()?,
            )),
            Val::Obj(map) => {
                let marker = super::project::marker();
                let mut obj = Obj::with_capacity(map.len());
                for (k, v) in map.iter() {
                    match k {
                        _ if *k == marker => obj.pruned = true,
                        Val::TStr(key) => obj
                            .members
                            .push((Text::copied(key), V::from_val(v.clone())?)),
                        _ => return Err(Unsure),
                    }
                }
                V::obj(obj)
            }
        })
    }

    /// `.[index]` as jaq's `index`: `None` where jaq fails.
    pub fn index(&self, index: &V<'a>) -> Option<V<'a>> {
        match (self, index) {
            (V::Null, _) => Some(V::Null),
            (V::Obj(o), V::Str(k)) => Some(o.get(k).cloned().unwrap_or(V::Null)),
            (V::Arr(items), V::Num(Num::Int(i))) => {
                let at = if *i < 0 {
                    items.len().checked_sub(i.unsigned_abs())
                } else {
                    Some(*i as usize)
                };
                Some(at.and_then(|at| items.get(at)).cloned().unwrap_or(V::Null))
            }
            _ => {
                let found = jaq_core::ValT::index(self.to_val(), &index.to_val()).ok()?;
                V::from_val(found).ok()
            }
        }
    }

    /// jaq's `tostring`: text as it is, anything else as its JSON text.
    pub fn into_string(self) -> V<'a> {
        match self {
            V::Str(_) => self,
            other => V::str(other.to_val().to_string()),
        }
    }
}

/// jaq's order: null < booleans < numbers < strings < arrays < objects.
pub fn cmp(x: &V, y: &V) -> Ordering {
    fn rank(v: &V) -> u8 {
        match v {
            V::Null => 0,
            V::Bool(_) => 1,
            V::Num(_) => 2,
            V::Str(_) => 3,
            V::Arr(_) => 4,
            V::Obj(_) => 5,
        }
    }
    match (x, y) {
        (V::Null, V::Null) => Ordering::Equal,
        (V::Bool(a), V::Bool(b)) => a.cmp(b),
        (V::Num(a), V::Num(b)) => a.cmp(b),
        (V::Str(a), V::Str(b)) => a.cmp(b),
        (V::Arr(a), V::Arr(b)) => {
            for (a, b) in a.iter().zip(b.iter()) {
                match cmp(a, b) {
                    Ordering::Equal => {}
                    unequal => return unequal,
                }
            }
            a.len().cmp(&b.len())
        }
        // jaq compares objects by their sorted keys, then values.
        (V::Obj(_), V::Obj(_)) => x.to_val().cmp(&y.to_val()),
        _ => rank(x).cmp(&rank(y)),
    }
}

/// jaq's equality (objects as maps: member order does not count).
pub fn eq(x: &V, y: &V) -> bool {
    match (x, y) {
        (V::Null, V::Null) => true,
        (V::Bool(a), V::Bool(b)) => a == b,
        (V::Num(a), V::Num(b)) => a == b,
        (V::Str(a), V::Str(b)) => a == b,
        (V::Arr(a), V::Arr(b)) => {
            a.len() == b.len() && a.iter().zip(b.iter()).all(|(a, b)| eq(a, b))
        }
        (V::Obj(_), V::Obj(_)) => x.to_val() == y.to_val(),
        _ => false,
    }
}

/// `x op y` as jaq computes it; `Err` where jaq fails.
pub fn math<'a>(x: V<'a>, op: &Math, y: V<'a>) -> Result<V<'a>, Unsure> {
    match (op, x, y) {
        (Math::Add, V::Null, other) | (Math::Add, other, V::Null) => Ok(other),
        (Math::Add, V::Str(a), V::Str(b)) => {
            let mut joined = Vec::with_capacity(a.len() + b.len());
            joined.extend_from_slice(&a);
            joined.extend_from_slice(&b);
            Ok(V::str(joined))
        }
        (Math::Add, V::Arr(a), V::Arr(b)) => {
            let mut items = Rc::unwrap_or_clone(a);
            items.extend(b.iter().cloned());
            Ok(V::Arr(Rc::new(items)))
        }
        (Math::Add, V::Obj(a), V::Obj(b)) => {
            let mut merged = Rc::unwrap_or_clone(a);
            for (k, v) in b.iter() {
                merged.insert(k.clone(), v.clone());
            }
            merged.pruned |= b.pruned;
            Ok(V::obj(merged))
        }
        (op, V::Num(a), V::Num(b)) => {
            V::from_val(op.run(Val::Num(a), Val::Num(b)).map_err(|_| Unsure)?)
        }
        (op, x, y) => V::from_val(op.run(x.to_val(), y.to_val()).map_err(|_| Unsure)?),
    }
}

impl fmt::Display for V<'_> {
    /// As jaq writes the same value.
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        self.to_val().fmt(f)
    }
}

/// A decoded JSON value as ours (numbers keep their digits, as
/// `convert::to_val` keeps them).
pub fn from_json(value: &serde_json::Value) -> V<'_> {
    use serde_json::Value;
    match value {
        Value::Null => V::Null,
        Value::Bool(b) => V::Bool(*b),
        Value::Number(n) => V::Num(crate::mapping::convert::number_of(&n.to_string())),
        Value::String(s) => V::str(s.as_str()),
        Value::Array(items) => V::Arr(Rc::new(items.iter().map(from_json).collect())),
        Value::Object(members) => {
            let mut obj = Obj::with_capacity(members.len());
            for (k, v) in members {
                obj.insert(Text::from(k.as_str()), from_json(v));
            }
            V::obj(obj)
        }
    }
}

/// An output as JSON, as `convert::from_val` writes jaq's: members whose
/// value is `null` are dropped.
pub fn to_json(v: &V) -> Result<serde_json::Value, String> {
    use crate::mapping::convert::{number, text_of};
    use serde_json::Value;
    Ok(match v {
        V::Null => Value::Null,
        V::Bool(b) => Value::Bool(*b),
        V::Num(n) => number(n)?,
        V::Str(b) => Value::String(text_of(b)),
        V::Arr(items) => Value::Array(items.iter().map(to_json).collect::<Result<_, _>>()?),
        V::Obj(o) => {
            let mut out = serde_json::Map::with_capacity(o.len());
            for (k, v) in o.iter() {
                let value = to_json(v)?;
                if !value.is_null() {
                    out.insert(text_of(k), value);
                }
            }
            Value::Object(out)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> V<'static> {
        let json: &'static serde_json::Value =
            Box::leak(Box::new(serde_json::from_str(text).expect("json")));
        from_json(json)
    }

    #[test]
    fn order_and_equality_are_jaqs() {
        let values = [
            "null",
            "false",
            "true",
            "-1",
            "0",
            "1.50",
            "1.5",
            "2",
            "12345678901234567890",
            "\"\"",
            "\"a\"",
            "\"ab\"",
            "\"b\"",
            "[]",
            "[1]",
            "[1,2]",
            "[2]",
            "{}",
            "{\"a\":1}",
            "{\"a\":2}",
            "{\"b\":1,\"a\":1}",
            "{\"a\":1,\"b\":1}",
        ];
        for x in values {
            for y in values {
                let (vx, vy) = (parse(x), parse(y));
                let (jx, jy) = (vx.to_val(), vy.to_val());
                assert_eq!(cmp(&vx, &vy), jx.cmp(&jy), "{x} vs {y}");
                assert_eq!(eq(&vx, &vy), jx == jy, "{x} == {y}");
            }
        }
    }

    #[test]
    fn arithmetic_and_indexing_are_jaqs() {
        let values = [
            "null",
            "1",
            "-2",
            "1.25",
            "\"ab\"",
            "\"\"",
            "[1]",
            "[]",
            "{\"a\":1}",
            "{\"a\":2,\"b\":3}",
        ];
        for op in [Math::Add, Math::Sub, Math::Mul, Math::Div, Math::Rem] {
            for x in values {
                for y in values {
                    let (vx, vy) = (parse(x), parse(y));
                    let ours = math(vx.clone(), &op, vy.clone()).map(|v| v.to_string());
                    let jaqs = op.run(vx.to_val(), vy.to_val()).map(|v| v.to_string());
                    assert_eq!(ours.ok(), jaqs.ok(), "{x} {op:?} {y}");
                }
            }
        }
        let indexes = ["null", "0", "-1", "5", "-5", "\"a\"", "\"z\"", "1.5", "[1]"];
        for x in values {
            for i in indexes {
                let (vx, vi) = (parse(x), parse(i));
                let ours = vx.index(&vi).map(|v| v.to_string());
                let jaqs = jaq_core::ValT::index(vx.to_val(), &vi.to_val()).map(|v| v.to_string());
                assert_eq!(ours, jaqs.ok(), "{x}[{i}]");
            }
        }
    }

    #[test]
    fn repeated_keys_keep_the_first_place_and_the_last_value() {
        let mut obj = Obj::default();
        obj.insert(Text::from("a"), V::int(1));
        obj.insert(Text::from("b"), V::int(2));
        obj.insert(Text::from("a"), V::int(3));
        assert_eq!(V::obj(obj).to_string(), r#"{"a":3,"b":2}"#);
    }
}
