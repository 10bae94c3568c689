//! The jq builtins the direct evaluator runs itself, each answering as
//! jaq's own definition does (cited per filter from jaq-std 3 / jaq-json 2
//! / jaq-core 3) for the inputs mappings give them. Any other input — a
//! wrong type, an error jaq would raise, a corner whose exact answer is
//! not mirrored here — is [`Unsure`], and the payload is then mapped by jaq
//! itself, so an error message or an odd case always reads as jaq's.

use jaq_core::ValT as _;
use jaq_json::{Num, Val};
use regex_bites::bytes::{Regex, RegexBuilder};

use super::Unsure;
use super::project::{KeySet, holds_pruned, is_pruned};
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

fn text(v: &Val) -> Result<&str, Unsure> {
    match v {
        Val::TStr(bytes) => std::str::from_utf8(bytes).map_err(|_| Unsure),
        _ => Err(Unsure),
    }
}

fn string(s: impl Into<String>) -> Val {
    Val::from(s.into())
}

/// jaq's `type` (jaq-std defs.jq, by comparison with `""`, `[]`, `{}`).
pub fn type_of(v: &Val) -> Result<Val, Unsure> {
    Ok(string(match v {
        Val::Null => "null",
        Val::Bool(_) => "boolean",
        Val::Num(_) => "number",
        Val::TStr(_) => "string",
        Val::Arr(_) => "array",
        Val::Obj(_) => "object",
        Val::BStr(_) => return Err(Unsure),
    }))
}

/// A builtin without arguments applied to its input.
pub fn apply0(b: &Builtin, v: Val) -> Result<Val, Unsure> {
    use Builtin::*;
    // These read the whole content of what they are given (its text,
    // comparisons of its parts): not of anything holding an object that
    // lost members (`project`). Those reading one object's members or size
    // check that object alone (`elements`, below).
    let deep = matches!(b, ToString | ToJson | Unique | Sort | Min | Max);
    if deep && matches!(v, Val::Arr(_) | Val::Obj(_)) && holds_pruned(&v) {
        return Err(Unsure);
    }
    if matches!(b, Length | ToEntries) && is_pruned(&v) {
        return Err(Unsure);
    }
    Ok(match b {
        Null => Val::Null,
        True => Val::Bool(true),
        False => Val::Bool(false),
        Not => Val::Bool(!v.as_bool()),
        Type => type_of(&v)?,
        // jaq-json `length`: numbers give their absolute value (not mirrored).
        Length => match &v {
            Val::Null => Val::from(0usize),
            Val::TStr(_) => Val::from(text(&v)?.chars().count()),
            Val::Arr(a) => Val::from(a.len()),
            Val::Obj(o) => Val::from(o.len()),
            _ => return Err(Unsure),
        },
        ToString => v.into_string(),
        // jaq-json `tojson`: the value written with the default printer,
        // which is also how `Val` displays.
        ToJson => string(v.to_string()),
        // jaq-json `tonumber`: numbers as they are, strings through
        // `fromjson`, which must give one number.
        ToNumber => match &v {
            Val::Num(_) => v,
            Val::TStr(bytes) => match jaq_json::read::parse_single(bytes) {
                Ok(n @ Val::Num(_)) => n,
                _ => return Err(Unsure),
            },
            _ => return Err(Unsure),
        },
        AsciiUpcase => string(text(&v)?.to_ascii_uppercase()),
        AsciiDowncase => string(text(&v)?.to_ascii_lowercase()),
        Explode => text(&v)?.chars().map(|c| Val::from(c as usize)).collect(),
        Implode => {
            let Val::Arr(items) = &v else {
                return Err(Unsure);
            };
            let mut out = String::with_capacity(items.len());
            for item in items.iter() {
                let code = match item {
                    Val::Num(Num::Int(i)) => u32::try_from(*i).map_err(|_| Unsure)?,
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
            Val::Num(Num::Int(_)) => v,
            Val::Num(_) => {
                let f = jaq_std::ValT::as_f64(&v).ok_or(Unsure)?.floor();
                if f.is_finite() && isize::MIN as f64 <= f && f <= isize::MAX as f64 {
                    Val::from(f as isize)
                } else {
                    return Err(Unsure);
                }
            }
            _ => return Err(Unsure),
        },
        // jaq-std `add`: reduce .[] as $x (null; . + $x).
        Add => {
            let mut sum = Val::Null;
            for item in elements(&v)? {
                sum = (sum + item).map_err(|_| Unsure)?;
            }
            sum
        }
        First => v.index(&Val::from(0usize)).map_err(|_| Unsure)?,
        Last => v.index(&Val::from(-1isize)).map_err(|_| Unsure)?,
        // jaq-core `to_entries` over key_values: an object's members, or an
        // array's elements keyed by index.
        ToEntries => {
            let entry = |key: Val, value: &Val| {
                Val::obj(
                    [(string("key"), key), (string("value"), value.clone())]
                        .into_iter()
                        .collect(),
                )
            };
            match &v {
                Val::Obj(members) => members.iter().map(|(k, x)| entry(k.clone(), x)).collect(),
                Val::Arr(items) => items
                    .iter()
                    .enumerate()
                    .map(|(i, x)| entry(Val::from(i as isize), x))
                    .collect(),
                _ => return Err(Unsure),
            }
        }
        // jaq-std `unique` = unique_by(.) = first of each sorted group.
        Unique => {
            let mut items = array(&v)?;
            items.sort();
            items.dedup_by(|later, earlier| later == earlier);
            items.into_iter().collect()
        }
        Sort => {
            let mut items = array(&v)?;
            items.sort();
            items.into_iter().collect()
        }
        // jaq-std `min_by_or_empty` keeps the first smallest, `max_by_or_empty`
        // the last largest; an empty array gives null.
        Min => {
            let mut best: Option<Val> = None;
            for item in array(&v)? {
                if best.as_ref().is_none_or(|b| item < *b) {
                    best = Some(item);
                }
            }
            best.unwrap_or(Val::Null)
        }
        Max => {
            let mut best: Option<Val> = None;
            for item in array(&v)? {
                if best.as_ref().is_none_or(|b| item >= *b) {
                    best = Some(item);
                }
            }
            best.unwrap_or(Val::Null)
        }
        AnyOf => Val::Bool(elements(&v)?.any(|x| x.as_bool())),
        AllOf => Val::Bool(elements(&v)?.all(|x| x.as_bool())),
        DecimalPlaces => decimal_funs::decimal_places(&v).map_err(|_| Unsure)?,
        // jaq-std `test(re; "")`: whether the pattern matches anywhere.
        Test(re) => match &v {
            Val::TStr(bytes) => Val::Bool(re.is_match(bytes)),
            _ => return Err(Unsure),
        },
        _ => return Err(Unsure),
    })
}

/// A builtin with one value argument applied to its input; `keys` are
/// those a projected payload kept.
pub fn apply1(b: &Builtin, v: Val, a: Val, keys: &KeySet) -> Result<Val, Unsure> {
    use Builtin::*;
    if matches!(b, Join) && holds_pruned(&v) {
        return Err(Unsure);
    }
    Ok(match b {
        // jaq-std `split($sep)`: strings only, then jaq-json's `/`.
        Split => match (&v, &a) {
            (Val::TStr(_), Val::TStr(_)) => (v / a).map_err(|_| Unsure)?,
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
        StartsWith => Val::Bool(text(&v)?.starts_with(text(&a)?)),
        EndsWith => Val::Bool(text(&v)?.ends_with(text(&a)?)),
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
            (Val::Obj(members), Val::TStr(k)) => {
                let present = members.contains_key(&a);
                // A pruned object lacks only unnamed objects and arrays.
                if !present && is_pruned(&v) && !keys.contains(k) {
                    return Err(Unsure);
                }
                Val::Bool(present)
            }
            _ => return Err(Unsure),
        },
        ToMinor => decimal_funs::to_minor(&v, &a).map_err(|_| Unsure)?,
        FromMinor => decimal_funs::from_minor(&v, &a).map_err(|_| Unsure)?,
        _ => return Err(Unsure),
    })
}

/// The integers of `range(from; to)` (jaq-core's native `range` with step
/// 1), for integer bounds.
pub fn range(from: &Val, to: &Val) -> Result<std::ops::Range<isize>, Unsure> {
    match (from, to) {
        (Val::Num(Num::Int(from)), Val::Num(Num::Int(to))) => Ok(*from..*to),
        _ => Err(Unsure),
    }
}

/// `.[]` of an array or an object (not of one that lost members).
pub fn elements(v: &Val) -> Result<Box<dyn Iterator<Item = Val> + '_>, Unsure> {
    match v {
        Val::Obj(_) if is_pruned(v) => Err(Unsure),
        Val::Arr(items) => Ok(Box::new(items.iter().cloned())),
        Val::Obj(members) => Ok(Box::new(members.values().cloned())),
        _ => Err(Unsure),
    }
}

fn array(v: &Val) -> Result<Vec<Val>, Unsure> {
    match v {
        Val::Arr(items) => Ok(items.as_ref().clone()),
        _ => Err(Unsure),
    }
}
