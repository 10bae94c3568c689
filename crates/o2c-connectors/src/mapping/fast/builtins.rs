//! The jq builtins the direct evaluator runs itself, each answering as
//! jaq's own definition does (cited per filter from jaq-std 3 / jaq-json 2
//! / jaq-core 3) for the inputs mappings give them. Any other input — a
//! wrong type, an error jaq would raise, a corner whose exact answer is
//! not mirrored here — is [`Unsure`], and the payload is then mapped by jaq
//! itself, so an error message or an odd case always reads as jaq's.

use std::rc::Rc;

use jaq_json::{Num, Val};
use regex_bites::bytes::{Regex, RegexBuilder};

use super::Unsure;
use super::project::KeySet;
use super::value::{self, Obj, Text, V};
use crate::mapping::decimal_funs;

/// A builtin the evaluator runs natively. Value builtins take their
/// arguments evaluated (one output each); filter builtins run theirs per
/// element.
pub enum Builtin {
    // no argument
    Empty,
    Error,
    Null,
    True,
    False,
    Not,
    Type,
    Length,
    ToString,
    ToJson,
    ToNumber,
    AsciiUpcase,
    AsciiDowncase,
    Explode,
    Implode,
    Trim,
    LTrim,
    RTrim,
    Floor,
    Add,
    First,
    Last,
    ToEntries,
    Unique,
    Sort,
    Min,
    Max,
    AnyOf,
    AllOf,
    DecimalPlaces,
    /// `test(re)` with a literal pattern, compiled once when lowering.
    Test(Box<Regex>),
    // value arguments
    ErrorWith,
    Split,
    Join,
    StartsWith,
    EndsWith,
    LTrimStr,
    RTrimStr,
    Has,
    ToMinor,
    FromMinor,
    Range,
    RangeFrom,
    // filter arguments
    Select,
    Map,
    AnyWhere,
    AllWhere,
    AnyIn,
    AllIn,
}

impl Builtin {
    /// Whether the evaluator computes this builtin from its input and its
    /// value argument alone (`apply0`, `apply1`): one output or a failure.
    /// No catch-all, so a new builtin must be placed here.
    pub fn by_value(&self) -> bool {
        use Builtin::*;
        match self {
            Null | True | False | Not | Type | Length | ToString | ToJson | ToNumber
            | AsciiUpcase | AsciiDowncase | Explode | Implode | Trim | LTrim | RTrim | Floor
            | Add | First | Last | ToEntries | Unique | Sort | Min | Max | AnyOf | AllOf
            | DecimalPlaces | Test(_) | Split | Join | StartsWith | EndsWith | LTrimStr
            | RTrimStr | Has | ToMinor | FromMinor => true,
            Empty | Error | ErrorWith | Range | RangeFrom | Select | Map | AnyWhere | AllWhere
            | AnyIn | AllIn => false,
        }
    }

    /// The builtin `name/arity`, if the evaluator runs it. `test` is made
    /// by [`Builtin::test`] (its pattern must be known when lowering).
    pub fn named(name: &str, arity: usize) -> Option<Self> {
        use Builtin::*;
        Some(match (name, arity) {
            ("empty", 0) => Empty,
            ("error", 0) => Error,
            ("null", 0) => Null,
            ("true", 0) => True,
            ("false", 0) => False,
            ("not", 0) => Not,
            ("type", 0) => Type,
            ("length", 0) => Length,
            ("tostring", 0) => ToString,
            ("tojson", 0) => ToJson,
            ("tonumber", 0) => ToNumber,
            ("ascii_upcase", 0) => AsciiUpcase,
            ("ascii_downcase", 0) => AsciiDowncase,
            ("explode", 0) => Explode,
            ("implode", 0) => Implode,
            ("trim", 0) => Trim,
            ("ltrim", 0) => LTrim,
            ("rtrim", 0) => RTrim,
            ("floor", 0) => Floor,
            ("add", 0) => Add,
            ("first", 0) => First,
            ("last", 0) => Last,
            ("to_entries", 0) => ToEntries,
            ("unique", 0) => Unique,
            ("sort", 0) => Sort,
            ("min", 0) => Min,
            ("max", 0) => Max,
            ("any", 0) => AnyOf,
            ("all", 0) => AllOf,
            ("decimal_places", 0) => DecimalPlaces,
            ("error", 1) => ErrorWith,
            ("split", 1) => Split,
            ("join", 1) => Join,
            ("startswith", 1) => StartsWith,
            ("endswith", 1) => EndsWith,
            ("ltrimstr", 1) => LTrimStr,
            ("rtrimstr", 1) => RTrimStr,
            ("has", 1) => Has,
            ("to_minor", 1) => ToMinor,
            ("from_minor", 1) => FromMinor,
            ("range", 1) => Range,
            ("range", 2) => RangeFrom,
            ("select", 1) => Select,
            ("map", 1) => Map,
            ("any", 1) => AnyWhere,
            ("all", 1) => AllWhere,
            ("any", 2) => AnyIn,
            ("all", 2) => AllIn,
            _ => return None,
        })
    }

    /// `test(re)` with a literal pattern and jaq's default flags.
    pub fn test(pattern: &str) -> Option<Self> {
        RegexBuilder::new(pattern)
            .build()
            .ok()
            .map(|re| Builtin::Test(Box::new(re)))
    }
}

fn text<'v>(v: &'v V<'_>) -> Result<&'v str, Unsure> {
    match v {
        V::Str(bytes) => std::str::from_utf8(bytes).map_err(|_| Unsure),
        _ => Err(Unsure),
    }
}

fn string(s: impl Into<String>) -> V<'static> {
    V::str(s.into())
}

/// The decimal the natives (`decimal_funs`) read from a value, by the
/// same code as jaq's side; anything they refuse goes to jaq.
fn amount(v: &V<'_>) -> Result<Option<rust_decimal::Decimal>, Unsure> {
    let amount = match v {
        V::Null => decimal_funs::Amount::Null,
        V::Num(n) => decimal_funs::Amount::Num(n),
        V::Str(bytes) => decimal_funs::Amount::Text(bytes),
        _ => return Err(Unsure),
    };
    decimal_funs::decimal(amount).map_err(|_| Unsure)
}

/// A scale argument of `to_minor` / `from_minor`.
fn scale(a: &V<'_>) -> Result<u32, Unsure> {
    match a {
        V::Num(n) => decimal_funs::scale(n).ok_or(Unsure),
        _ => Err(Unsure),
    }
}

/// jaq's `type` (jaq-std defs.jq, by comparison with `""`, `[]`, `{}`).
pub fn type_of(v: &V<'_>) -> V<'static> {
    V::Str(Text::Borrowed(match v {
        V::Null => b"null",
        V::Bool(_) => b"boolean",
        V::Num(_) => b"number",
        V::Str(_) => b"string",
        V::Arr(_) => b"array",
        V::Obj(_) => b"object",
    }))
}

/// A builtin without arguments applied to its input.
pub fn apply0<'a>(b: &Builtin, v: V<'a>) -> Result<V<'a>, Unsure> {
    use Builtin::*;
    // These read the whole content of what they are given (its text,
    // comparisons of its parts): not of anything holding an object that
    // lost members (`project`). Those reading one object's members or size
    // check that object alone (`elements`, below).
    let deep = matches!(b, ToString | ToJson | Unique | Sort | Min | Max);
    if deep && v.is_container() && v.holds_pruned() {
        return Err(Unsure);
    }
    if matches!(b, Length | ToEntries) && v.is_pruned() {
        return Err(Unsure);
    }
    Ok(match b {
        Null => V::Null,
        True => V::Bool(true),
        False => V::Bool(false),
        Not => V::Bool(!v.as_bool()),
        Type => type_of(&v),
        // jaq-json `length`: numbers give their absolute value (not mirrored).
        Length => match &v {
            V::Null => V::int(0),
            V::Str(_) => V::usize(text(&v)?.chars().count()),
            V::Arr(a) => V::usize(a.len()),
            V::Obj(o) => V::usize(o.len()),
            _ => return Err(Unsure),
        },
        ToString => v.into_string(),
        // jaq-json `tojson`: the value written with the default printer,
        // which is also how `Val` displays.
        ToJson => string(v.to_string()),
        // jaq-json `tonumber`: numbers as they are, strings through
        // `fromjson`, which must give one number.
        ToNumber => match &v {
            V::Num(_) => v,
            V::Str(bytes) => match jaq_json::read::parse_single(bytes) {
                Ok(Val::Num(n)) => V::Num(n),
                _ => return Err(Unsure),
            },
            _ => return Err(Unsure),
        },
        AsciiUpcase => string(text(&v)?.to_ascii_uppercase()),
        AsciiDowncase => string(text(&v)?.to_ascii_lowercase()),
        Explode => V::Arr(Rc::new(
            text(&v)?.chars().map(|c| V::usize(c as usize)).collect(),
        )),
        Implode => {
            let V::Arr(items) = &v else {
                return Err(Unsure);
            };
            let mut out = String::with_capacity(items.len());
            for item in items.iter() {
                let code = match item {
                    V::Num(Num::Int(i)) => u32::try_from(*i).map_err(|_| Unsure)?,
                    _ => return Err(Unsure),
                };
                out.push(char::from_u32(code).ok_or(Unsure)?);
            }
            string(out)
        }
        Trim => string(text(&v)?.trim()),
        LTrim => string(text(&v)?.trim_start()),
        RTrim => string(text(&v)?.trim_end()),
        // jaq-std `floor`: integers as they are; other numbers through f64,
        // back to an integer when finite and in range.
        Floor => match &v {
            V::Num(Num::Int(_) | Num::BigInt(_)) => v,
            V::Num(n) => {
                let f = jaq_std::ValT::as_f64(&Val::Num(n.clone()))
                    .ok_or(Unsure)?
                    .floor();
                if f.is_finite() && isize::MIN as f64 <= f && f <= isize::MAX as f64 {
                    V::int(f as isize)
                } else {
                    return Err(Unsure);
                }
            }
            _ => return Err(Unsure),
        },
        // jaq-std `add`: reduce .[] as $x (null; . + $x).
        Add => {
            let mut sum = V::Null;
            for item in elements(&v)? {
                sum = value::math(sum, &jaq_core::ops::Math::Add, item)?;
            }
            sum
        }
        // `.[0]` and `.[-1]`: of an array (null when empty) or of null.
        First => match &v {
            V::Arr(items) => items.first().cloned().unwrap_or(V::Null),
            V::Null => V::Null,
            _ => return Err(Unsure),
        },
        Last => match &v {
            V::Arr(items) => items.last().cloned().unwrap_or(V::Null),
            V::Null => V::Null,
            _ => return Err(Unsure),
        },
        // jaq-core `to_entries` over key_values: an object's members, or an
        // array's elements keyed by index.
        ToEntries => {
            let entry = |key: V<'a>, value: &V<'a>| {
                let mut obj = Obj::with_capacity(2);
                obj.insert(Text::Borrowed(b"key"), key);
                obj.insert(Text::Borrowed(b"value"), value.clone());
                V::obj(obj)
            };
            V::Arr(Rc::new(match &v {
                V::Obj(members) => members
                    .iter()
                    .map(|(k, x)| entry(V::Str(k.clone()), x))
                    .collect(),
                V::Arr(items) => items
                    .iter()
                    .enumerate()
                    .map(|(i, x)| entry(V::usize(i), x))
                    .collect(),
                _ => return Err(Unsure),
            }))
        }
        // jaq-std `unique` = unique_by(.) = first of each sorted group.
        Unique => {
            let mut items = sorted(&v)?;
            items.dedup_by(|later, earlier| value::eq(later, earlier));
            V::Arr(Rc::new(items))
        }
        Sort => V::Arr(Rc::new(sorted(&v)?)),
        // jaq-std `min_by_or_empty` keeps the first smallest, `max_by_or_empty`
        // the last largest; an empty array gives null.
        Min => {
            let mut best: Option<V<'a>> = None;
            for item in array(&v)? {
                if best.as_ref().is_none_or(|b| value::cmp(&item, b).is_lt()) {
                    best = Some(item);
                }
            }
            best.unwrap_or(V::Null)
        }
        Max => {
            let mut best: Option<V<'a>> = None;
            for item in array(&v)? {
                if best.as_ref().is_none_or(|b| value::cmp(&item, b).is_ge()) {
                    best = Some(item);
                }
            }
            best.unwrap_or(V::Null)
        }
        AnyOf => V::Bool(elements(&v)?.any(|x| x.as_bool())),
        AllOf => V::Bool(elements(&v)?.all(|x| x.as_bool())),
        DecimalPlaces => V::usize(decimal_funs::places(amount(&v)?)),
        // jaq-std `test(re; "")`: whether the pattern matches anywhere.
        Test(re) => match &v {
            V::Str(bytes) => V::Bool(re.is_match(bytes)),
            _ => return Err(Unsure),
        },
        _ => return Err(Unsure),
    })
}

/// A builtin with one value argument applied to its input; `keys` are
/// those a projected payload kept.
pub fn apply1<'a>(b: &Builtin, v: V<'a>, a: V<'a>, keys: &KeySet) -> Result<V<'a>, Unsure> {
    use Builtin::*;
    if matches!(b, Join) && v.holds_pruned() {
        return Err(Unsure);
    }
    Ok(match b {
        // jaq-std `split($sep)`: strings only, then jaq-json's `/`, which
        // gives slices of the input (borrowed here when the input is).
        Split => match (&v, &a) {
            (V::Str(s), V::Str(sep)) if !s.is_empty() && !sep.is_empty() => {
                let mut parts = Vec::new();
                let mut start = 0;
                for at in memchr::memmem::find_iter(s, sep.as_ref()) {
                    if at >= start {
                        parts.push(V::Str(s.slice(start..at)));
                        start = at + sep.len();
                    }
                }
                parts.push(V::Str(s.slice(start..)));
                V::Arr(Rc::new(parts))
            }
            (V::Str(_), V::Str(_)) => value::math(v, &jaq_core::ops::Math::Div, a)?,
            _ => return Err(Unsure),
        },
        // jaq-std `join($s)`: every element through `tostring`, the
        // separator between them.
        Join => {
            let separator = text(&a)?;
            let mut out = String::new();
            for (i, item) in array(&v)?.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(separator);
                }
                out.push_str(text(&item.into_string())?);
            }
            string(out)
        }
        StartsWith => V::Bool(text(&v)?.starts_with(text(&a)?)),
        EndsWith => V::Bool(text(&v)?.ends_with(text(&a)?)),
        LTrimStr => match text(&v)?.strip_prefix(text(&a)?) {
            Some(rest) => string(rest),
            None => v,
        },
        RTrimStr => match text(&v)?.strip_suffix(text(&a)?) {
            Some(rest) => string(rest),
            None => v,
        },
        // jaq-json `has`, for objects and string keys only.
        Has => match (&v, &a) {
            (V::Obj(members), V::Str(k)) => {
                let present = members.contains(k);
                // A pruned object lacks only unnamed objects and arrays.
                if !present && members.is_pruned() && !keys.contains(k) {
                    return Err(Unsure);
                }
                V::Bool(present)
            }
            _ => return Err(Unsure),
        },
        ToMinor => {
            let minor = decimal_funs::minor_units(amount(&v)?, scale(&a)?).map_err(|_| Unsure)?;
            V::Num(Num::from_integral(minor))
        }
        FromMinor => {
            V::str(decimal_funs::from_minor_units(amount(&v)?, scale(&a)?).map_err(|_| Unsure)?)
        }
        _ => return Err(Unsure),
    })
}

/// The integers of `range(from; to)` (jaq-core's native `range` with step
/// 1), for integer bounds.
pub fn range(from: &V<'_>, to: &V<'_>) -> Result<std::ops::Range<isize>, Unsure> {
    match (from, to) {
        (V::Num(Num::Int(from)), V::Num(Num::Int(to))) => Ok(*from..*to),
        _ => Err(Unsure),
    }
}

/// `.[]` of an array or an object (not of one that lost members).
pub fn elements<'v, 'a>(v: &'v V<'a>) -> Result<Box<dyn Iterator<Item = V<'a>> + 'v>, Unsure> {
    match v {
        V::Obj(o) if o.is_pruned() => Err(Unsure),
        V::Arr(items) => Ok(Box::new(items.iter().cloned())),
        V::Obj(members) => Ok(Box::new(members.values().cloned())),
        _ => Err(Unsure),
    }
}

/// An array's items in jaq's order. jaq's number order is not total
/// (integers past 2^53 against floats, NaN), and how a sort places items
/// under such an order depends on the sort's inner workings (Rust's sort
/// may even stop with a panic): only arrays of nulls, booleans, machine
/// integers and strings are sorted here; others go to jaq.
fn sorted<'a>(v: &V<'a>) -> Result<Vec<V<'a>>, Unsure> {
    let total = |item: &V| matches!(item, V::Null | V::Bool(_) | V::Num(Num::Int(_)) | V::Str(_));
    let mut items = array(v)?;
    if !items.iter().all(total) {
        return Err(Unsure);
    }
    items.sort_by(value::cmp);
    Ok(items)
}

fn array<'a>(v: &V<'a>) -> Result<Vec<V<'a>>, Unsure> {
    match v {
        V::Arr(items) => Ok(items.as_ref().clone()),
        _ => Err(Unsure),
    }
}
