//! serde_json ⇄ jaq values, directly (no text in between). Numbers keep
//! their digits both ways: serde_json is built with `arbitrary_precision`
//! and jaq keeps decimal literals as decimal text. Object members whose value
//! is `null` are dropped on the way out, so mappings need not filter them.

use jaq_json::{Num, Rc, Val};
use serde::de::IgnoredAny;
use serde_json::{Map, Number, Value};

use super::RunError;

/// A raw payload straight into a jaq value. jaq's reader accepts more than
/// JSON (comments, `NaN`, byte strings), so the bytes are first checked as
/// strict JSON by serde_json without building anything; then read once.
/// jaq's reader keeps integers as integers and other numbers as their
/// decimal text, as `to_val` does.
pub fn parse(payload: &[u8]) -> Result<Val, RunError> {
    serde_json::from_slice::<IgnoredAny>(payload).map_err(|e| RunError::Payload(e.to_string()))?;
    // serde_json's skipper has no depth limit and jaq's reader recurses
    // without one: a deep enough payload would overflow the stack.
    if nesting(payload) > MAX_NESTING {
        return Err(RunError::Payload(format!(
            "arrays and objects are nested deeper than {MAX_NESTING} levels"
        )));
    }
    jaq_json::read::parse_single(payload).map_err(|e| RunError::Payload(e.to_string()))
}

/// How deep a payload may nest arrays and objects: about serde_json's own
/// recursion limit when it builds values.
pub const MAX_NESTING: usize = 128;

/// The deepest nesting of arrays and objects in JSON text that serde_json
/// has checked (brackets inside strings do not count).
fn nesting(payload: &[u8]) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for &b in payload {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

pub fn to_val(value: &Value) -> Val {
    match value {
        Value::Null => Val::Null,
        Value::Bool(b) => Val::Bool(*b),
        Value::Number(n) => Val::Num(number_of(&n.to_string())),
        Value::String(s) => Val::from(s.clone()),
        Value::Array(items) => items.iter().map(to_val).collect(),
        Value::Object(members) => Val::obj(
            members
                .iter()
                .map(|(k, v)| (Val::from(k.clone()), to_val(v)))
                .collect(),
        ),
    }
}

/// Integers stay integers (big ones too); anything else stays decimal text,
/// as jaq's own parser keeps literals (its `from_dec_str` would make a float).
pub(crate) fn number_of(text: &str) -> Num {
    Num::from_str_radix(text, 10).unwrap_or_else(|| Num::Dec(Rc::new(text.to_owned())))
}

pub fn from_val(val: &Val) -> Result<Value, String> {
    Ok(match val {
        Val::Null => Value::Null,
        Val::Bool(b) => Value::Bool(*b),
        Val::Num(n) => number(n)?,
        Val::TStr(bytes) | Val::BStr(bytes) => Value::String(text_of(bytes)),
        Val::Arr(items) => Value::Array(items.iter().map(from_val).collect::<Result<_, _>>()?),
        Val::Obj(members) => {
            let mut out = Map::with_capacity(members.len());
            for (key, value) in members.iter() {
                let key = match key {
                    Val::TStr(bytes) | Val::BStr(bytes) => text_of(bytes),
                    other => other.to_string(),
                };
                let value = from_val(value)?;
                if !value.is_null() {
                    out.insert(key, value);
                }
            }
            Value::Object(out)
        }
    })
}

/// A string's bytes as text; std's strict check is word-at-a-time on
/// ASCII, the lossy decoder's chunking is not, and invalid bytes are rare.
pub(crate) fn text_of(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}

pub(crate) fn number(n: &Num) -> Result<Value, String> {
    let text = n.to_string();
    // NaN and infinities (from float arithmetic in a mapping) are not JSON.
    serde_json::from_str::<Number>(&text)
        .map(Value::Number)
        .map_err(|_| format!("the mapping produced the number {text}, which JSON cannot carry"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn raw_payloads_read_as_the_decoded_value_converts() {
        let text = br#"{"a": "x\u00e9", "b": 12345678901234567890, "c": [1, 2.50, -0.1e3, null], "d": {"e": true}}"#;
        let direct = parse(text).expect("parse");
        let value: Value = serde_json::from_slice(text).expect("json");
        assert_eq!(from_val(&direct), from_val(&to_val(&value)));
        for not_json in [
            &b"{\"a\": NaN}"[..],
            b"# c\n{}",
            b"{\"a\": b\"x\"}",
            b"[1,]",
            b"{} {}",
        ] {
            assert!(
                matches!(parse(not_json), Err(RunError::Payload(_))),
                "{not_json:?}"
            );
        }
    }

    #[test]
    fn deep_nesting_is_refused_not_recursed_into() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(matches!(parse(deep.as_bytes()), Err(RunError::Payload(m)) if m.contains("128")));
        let limit = format!("{}1{}", "[{\"a\":".repeat(64), "}]".repeat(64));
        assert_eq!(nesting(limit.as_bytes()), 128);
        assert!(
            parse(limit.as_bytes()).is_ok(),
            "{:?}",
            parse(limit.as_bytes()).err()
        );
        assert_eq!(nesting(br#"{"a": "[[[\"{{", "b": [1]}"#), 2);
    }

    #[test]
    fn round_trip_keeps_digits_and_drops_null_members() {
        let value = json!({"a": "x", "b": 12345678901234567890u64, "c": [1, 2.50, null], "d": null, "e": {"f": true}});
        let back = from_val(&to_val(&value)).expect("convert");
        assert_eq!(
            back,
            json!({"a": "x", "b": 12345678901234567890u64, "c": [1, 2.50, null], "e": {"f": true}})
        );
        let precise: Value =
            serde_json::from_str(r#"{"p": 0.1000000000000000055511151231257827}"#).expect("json");
        assert_eq!(
            from_val(&to_val(&precise)).expect("convert")["p"].to_string(),
            "0.1000000000000000055511151231257827"
        );
    }
}
