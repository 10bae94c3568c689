//! Odoo search domains (prefix notation) and `order` specifications.

use std::cmp::Ordering;

use chrono::Timelike;

use serde_json::Value;

use crate::fault::{Fault, py_repr};
use crate::orm::{Env, Record};
use crate::schema::{FieldType, ModelSpec};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    NotIn,
    Like,
    NotLike,
    ILike,
    NotILike,
    EqLike,
    EqILike,
    /// Rewritten to `In` at parse time (see `hierarchy`).
    ChildOf,
    ParentOf,
}

impl Op {
    fn parse(s: &str) -> Option<Op> {
        Some(match s.to_ascii_lowercase().as_str() {
            "=" | "==" => Op::Eq,
            "!=" | "<>" => Op::Ne,
            "<" => Op::Lt,
            "<=" => Op::Le,
            ">" => Op::Gt,
            ">=" => Op::Ge,
            "in" => Op::In,
            "not in" => Op::NotIn,
            "like" => Op::Like,
            "not like" => Op::NotLike,
            "ilike" => Op::ILike,
            "not ilike" => Op::NotILike,
            "=like" => Op::EqLike,
            "=ilike" => Op::EqILike,
            "child_of" => Op::ChildOf,
            "parent_of" => Op::ParentOf,
            _ => return None,
        })
    }
    fn is_negative(self) -> bool {
        matches!(self, Op::Ne | Op::NotIn | Op::NotLike | Op::NotILike)
    }
    fn positive(self) -> Op {
        match self {
            Op::Ne => Op::Eq,
            Op::NotIn => Op::In,
            Op::NotLike => Op::Like,
            Op::NotILike => Op::ILike,
            o => o,
        }
    }
}

#[derive(Debug, Clone)]
pub enum Node {
    True,
    False,
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    Leaf {
        path: Vec<String>,
        op: Op,
        value: Value,
    },
}

impl Node {
    /// Whether a leaf anywhere in the domain tests `field` (first segment).
    pub fn mentions(&self, field: &str) -> bool {
        match self {
            Node::True | Node::False => false,
            Node::And(v) | Node::Or(v) => v.iter().any(|n| n.mentions(field)),
            Node::Not(n) => n.mentions(field),
            Node::Leaf { path, .. } => path.first().map(String::as_str) == Some(field),
        }
    }
}

/// Parses a JSON domain against `spec`, checking every field of every path.
pub fn parse(env: &Env, spec: &ModelSpec, domain: &Value) -> Result<Node, Fault> {
    let items: &[Value] = match domain {
        Value::Null | Value::Bool(false) => &[],
        Value::Array(a) => a,
        other => {
            return Err(Fault::value(format!("Invalid domain {}", py_repr(other))));
        }
    };
    let mut pos = 0;
    let mut nodes = Vec::new();
    while pos < items.len() {
        nodes.push(parse_expr(env, spec, items, &mut pos)?);
    }
    Ok(match nodes.len() {
        0 => Node::True,
        1 => nodes.pop().unwrap_or(Node::True),
        _ => Node::And(nodes),
    })
}

fn parse_expr(
    env: &Env,
    spec: &ModelSpec,
    items: &[Value],
    pos: &mut usize,
) -> Result<Node, Fault> {
    let Some(item) = items.get(*pos) else {
        return Err(Fault::value("Domain is not well formed: missing operands"));
    };
    *pos += 1;
    match item {
        Value::String(s) if s == "&" || s == "|" => {
            let a = parse_expr(env, spec, items, pos)?;
            let b = parse_expr(env, spec, items, pos)?;
            Ok(if s == "&" {
                Node::And(vec![a, b])
            } else {
                Node::Or(vec![a, b])
            })
        }
        Value::String(s) if s == "!" => Ok(Node::Not(Box::new(parse_expr(env, spec, items, pos)?))),
        Value::Array(leaf) if leaf.len() == 3 => parse_leaf(env, spec, leaf, item),
        other => Err(Fault::value(format!("Invalid leaf {}", py_repr(other)))),
    }
}

fn leaf_repr(leaf: &[Value]) -> String {
    format!(
        "({})",
        leaf.iter().map(py_repr).collect::<Vec<_>>().join(", ")
    )
}

fn parse_leaf(env: &Env, spec: &ModelSpec, leaf: &[Value], raw: &Value) -> Result<Node, Fault> {
    // TRUE_LEAF (1, '=', 1) and FALSE_LEAF (0, '=', 1)
    if let (Some(a), Some(b)) = (leaf[0].as_i64(), leaf[2].as_i64()) {
        return Ok(if a == b { Node::True } else { Node::False });
    }
    let Some(path) = leaf[0].as_str() else {
        return Err(Fault::value(format!("Invalid leaf {}", py_repr(raw))));
    };
    let Some(op) = leaf[1].as_str().and_then(Op::parse) else {
        return Err(Fault::value(format!("Invalid leaf {}", leaf_repr(leaf))));
    };
    let parts: Vec<String> = path.split('.').map(str::to_string).collect();
    // check the path
    let mut cur = spec;
    let mut last_type = None;
    for (i, part) in parts.iter().enumerate() {
        let Some(f) = cur.get(part) else {
            return Err(Fault::value(format!(
                "Invalid field {}.{} in leaf {}",
                cur.name,
                part,
                leaf_repr(leaf)
            )));
        };
        last_type = Some(f.ftype);
        if i + 1 < parts.len() {
            let next = f.relation.as_deref().and_then(|r| env.reg.get(r));
            match next {
                Some(n) => cur = n,
                None => {
                    return Err(Fault::value(format!(
                        "Invalid field {}.{} in leaf {}",
                        cur.name,
                        part,
                        leaf_repr(leaf)
                    )));
                }
            }
        }
    }
    if matches!(op, Op::ChildOf | Op::ParentOf) {
        return hierarchy_leaf(env, cur, parts, op, &leaf[2], leaf);
    }
    if env.version >= crate::OdooVersion::V19
        && last_type == Some(FieldType::Datetime)
        && let Some(text) = leaf[2].as_str()
    {
        return datetime_leaf_19(parts, op, text);
    }
    Ok(Node::Leaf {
        path: parts,
        op,
        value: leaf[2].clone(),
    })
}

/// `child_of` / `parent_of` as an `in` on the ids of the (sub)tree.
fn hierarchy_leaf(
    env: &Env,
    owner: &ModelSpec,
    path: Vec<String>,
    op: Op,
    operand: &Value,
    leaf: &[Value],
) -> Result<Node, Fault> {
    let last = path.last().and_then(|p| owner.get(p));
    let tree = match last {
        Some(f) if f.name == "id" => owner,
        Some(f) if f.relation.is_some() => {
            match f.relation.as_deref().and_then(|r| env.reg.get(r)) {
                Some(spec) => spec,
                None => return Ok(Node::False),
            }
        }
        _ => return Err(Fault::value(format!("Invalid leaf {}", leaf_repr(leaf)))),
    };
    let roots = crate::hierarchy::operand_ids(env, tree, operand)?;
    if roots.is_empty() {
        return Ok(Node::False);
    }
    let ids = if op == Op::ChildOf {
        crate::hierarchy::descendants(env, tree, &roots)?
    } else {
        crate::hierarchy::ancestors(env, tree, &roots)?
    };
    Ok(Node::Leaf {
        path,
        op: Op::In,
        value: Value::Array(ids.into_iter().map(Value::from).collect()),
    })
}

/// 19 compares datetimes by whole seconds (odoo/orm/domains.py
/// `_optimize_type_datetime`): the value loses its microseconds, `>` becomes
/// `>=` the next second, `=` matches the whole second, and a value with a
/// time zone is refused.
fn datetime_leaf_19(path: Vec<String>, op: Op, text: &str) -> Result<Node, Fault> {
    let time = text.get(10..).unwrap_or("");
    let zoned = time.ends_with('Z')
        || time
            .rfind(['+', '-'])
            .is_some_and(|i| time[i + 1..].len() == 5 && time[i + 1..].contains(':'));
    if zoned {
        return Err(Fault::value(format!(
            "expecting only datetimes with no timezone: '{text}'"
        )));
    }
    let plain = text.replace('T', " ");
    let parsed = chrono::NaiveDateTime::parse_from_str(&plain, "%Y-%m-%d %H:%M:%S%.f")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(&plain, "%Y-%m-%d %H:%M:%S"))
        .or_else(|_| {
            chrono::NaiveDate::parse_from_str(&plain, "%Y-%m-%d")
                .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default())
        });
    let Ok(dt) = parsed else {
        return Ok(Node::Leaf {
            path,
            op,
            value: Value::String(text.to_string()),
        });
    };
    let fmt = |d: chrono::NaiveDateTime| Value::String(d.format("%Y-%m-%d %H:%M:%S").to_string());
    let second = dt.with_nanosecond(0).unwrap_or(dt);
    let next = second + chrono::Duration::seconds(1);
    let leaf = |op: Op, v: chrono::NaiveDateTime| Node::Leaf {
        path: path.clone(),
        op,
        value: fmt(v),
    };
    Ok(match op {
        Op::Gt => leaf(Op::Ge, next),
        Op::Ge => leaf(Op::Ge, second),
        Op::Lt => leaf(Op::Lt, second),
        Op::Le => leaf(Op::Lt, next),
        Op::Eq => Node::And(vec![leaf(Op::Ge, second), leaf(Op::Lt, next)]),
        Op::Ne => Node::Not(Box::new(Node::And(vec![
            leaf(Op::Ge, second),
            leaf(Op::Lt, next),
        ]))),
        other => leaf(other, second),
    })
}

/// Evaluates a parsed domain on one record.
pub fn eval(env: &Env, spec: &ModelSpec, id: i64, rec: &Record, node: &Node) -> bool {
    match node {
        Node::True => true,
        Node::False => false,
        Node::And(v) => v.iter().all(|n| eval(env, spec, id, rec, n)),
        Node::Or(v) => v.iter().any(|n| eval(env, spec, id, rec, n)),
        Node::Not(n) => !eval(env, spec, id, rec, n),
        Node::Leaf { path, op, value } => leaf(env, spec, id, rec, path, *op, value),
    }
}

fn leaf(
    env: &Env,
    spec: &ModelSpec,
    id: i64,
    rec: &Record,
    path: &[String],
    op: Op,
    value: &Value,
) -> bool {
    let Some(f) = spec.get(&path[0]) else {
        return false;
    };
    if path.len() == 1 {
        return match f.ftype {
            FieldType::One2many | FieldType::Many2many => {
                let ids = env.x2many_ids(spec, id, rec, f);
                compare_ids(env, f.relation.as_deref(), &ids, op, value)
            }
            FieldType::Many2one => {
                let cur = rec.get(&f.name).and_then(Value::as_i64);
                if value.is_string() && !matches!(op, Op::In | Op::NotIn) {
                    // name search on the comodel
                    let name = cur
                        .and_then(|i| f.relation.as_deref().map(|r| env.display_name(r, i)))
                        .map(Value::String)
                        .unwrap_or(Value::Null);
                    compare(FieldType::Char, &name, op, value)
                } else {
                    let v = cur.map(Value::from).unwrap_or(Value::Null);
                    compare(FieldType::Integer, &v, op, value)
                }
            }
            t => {
                let v = env.raw_value(spec, id, rec, &f.name);
                compare(t, &v, op, value)
            }
        };
    }
    let Some(rspec) = f.relation.as_deref().and_then(|r| env.reg.get(r)) else {
        return false;
    };
    let targets: Vec<i64> = match f.ftype {
        FieldType::Many2one => rec
            .get(&f.name)
            .and_then(Value::as_i64)
            .into_iter()
            .collect(),
        FieldType::One2many | FieldType::Many2many => env.x2many_ids(spec, id, rec, f),
        _ => return false,
    };
    let test = |op: Op| {
        targets.iter().any(|t| {
            env.record(&rspec.name, *t)
                .is_some_and(|r| leaf(env, rspec, *t, r, &path[1..], op, value))
        })
    };
    if f.ftype.is_x2many() && op.is_negative() {
        !test(op.positive())
    } else {
        test(op)
    }
}

fn compare_ids(env: &Env, relation: Option<&str>, ids: &[i64], op: Op, value: &Value) -> bool {
    let matches_one = |v: &Value| -> bool {
        if let Some(s) = v.as_str() {
            relation.is_some_and(|r| {
                ids.iter()
                    .any(|i| like(&env.display_name(r, *i), &format!("%{s}%"), true))
            })
        } else {
            v.as_i64().is_some_and(|x| ids.contains(&x))
        }
    };
    match op {
        Op::Eq | Op::Like | Op::ILike | Op::EqLike | Op::EqILike => {
            if is_false(value) {
                ids.is_empty()
            } else {
                matches_one(value)
            }
        }
        Op::Ne | Op::NotLike | Op::NotILike => {
            if is_false(value) {
                !ids.is_empty()
            } else {
                !matches_one(value)
            }
        }
        Op::In => value.as_array().is_some_and(|a| a.iter().any(matches_one)),
        Op::NotIn => !value.as_array().is_some_and(|a| a.iter().any(matches_one)),
        _ => false,
    }
}

fn is_false(v: &Value) -> bool {
    matches!(v, Value::Null | Value::Bool(false))
}

fn is_unset(t: FieldType, v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(false) => t != FieldType::Boolean,
        _ => false,
    }
}

/// Normalises a datetime literal to Odoo's `YYYY-MM-DD HH:MM:SS[.ffffff]`.
pub fn normalize_datetime(s: &str) -> String {
    if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(s) {
        return dt
            .with_timezone(&chrono::Utc)
            .format("%Y-%m-%d %H:%M:%S%.f")
            .to_string();
    }
    s.replace('T', " ")
}

fn to_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn as_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn eq(t: FieldType, v: &Value, x: &Value) -> bool {
    if is_false(x) {
        return if t == FieldType::Boolean {
            !matches!(v, Value::Bool(true))
        } else {
            is_unset(t, v)
        };
    }
    if is_unset(t, v) && t != FieldType::Boolean {
        return false;
    }
    if t == FieldType::Boolean {
        let b = matches!(v, Value::Bool(true));
        return match x {
            Value::Bool(xb) => b == *xb,
            other => to_f64(other).is_some_and(|n| (n != 0.0) == b),
        };
    }
    if (t.is_numeric() || v.is_number())
        && let (Some(a), Some(b)) = (to_f64(v), to_f64(x))
    {
        return a == b;
    }
    if t == FieldType::Datetime
        && let (Some(a), Some(b)) = (v.as_str(), x.as_str())
    {
        let b = normalize_datetime(b);
        return a == b;
    }
    as_text(v) == as_text(x)
}

fn order_cmp(t: FieldType, v: &Value, x: &Value) -> Option<Ordering> {
    if t.is_numeric() || v.is_number() {
        return to_f64(v)?.partial_cmp(&to_f64(x)?);
    }
    let a = as_text(v);
    let b = if t == FieldType::Datetime {
        normalize_datetime(&as_text(x))
    } else {
        as_text(x)
    };
    Some(a.cmp(&b))
}

/// Compares one stored value (`Null` when unset) with a domain value.
pub fn compare(t: FieldType, v: &Value, op: Op, x: &Value) -> bool {
    match op {
        Op::Eq => eq(t, v, x),
        Op::Ne => !eq(t, v, x),
        Op::Lt | Op::Le | Op::Gt | Op::Ge => {
            if is_unset(t, v) || is_false(x) {
                return false;
            }
            match order_cmp(t, v, x) {
                Some(o) => match op {
                    Op::Lt => o == Ordering::Less,
                    Op::Le => o != Ordering::Greater,
                    Op::Gt => o == Ordering::Greater,
                    _ => o != Ordering::Less,
                },
                None => false,
            }
        }
        // rewritten to `In` when the domain is parsed
        Op::ChildOf | Op::ParentOf => false,
        Op::In => x.as_array().is_some_and(|a| a.iter().any(|e| eq(t, v, e))),
        Op::NotIn => !x.as_array().is_some_and(|a| a.iter().any(|e| eq(t, v, e))),
        Op::Like | Op::ILike | Op::EqLike | Op::EqILike => {
            if is_unset(t, v) {
                return false;
            }
            let pat = match op {
                Op::Like | Op::ILike => format!("%{}%", as_text(x)),
                _ => as_text(x),
            };
            like(&as_text(v), &pat, matches!(op, Op::ILike | Op::EqILike))
        }
        Op::NotLike | Op::NotILike => {
            if is_unset(t, v) {
                return true;
            }
            !like(
                &as_text(v),
                &format!("%{}%", as_text(x)),
                op == Op::NotILike,
            )
        }
    }
}

/// SQL `LIKE` matching: `%` any run, `_` one character, `\\` escapes.
pub fn like(s: &str, pattern: &str, case_insensitive: bool) -> bool {
    #[derive(Clone, Copy, PartialEq)]
    enum Tok {
        Any,
        One,
        Lit(char),
    }
    let (s, p): (Vec<char>, String) = if case_insensitive {
        (s.to_lowercase().chars().collect(), pattern.to_lowercase())
    } else {
        (s.chars().collect(), pattern.to_string())
    };
    let mut toks = Vec::new();
    let mut chars = p.chars();
    while let Some(c) = chars.next() {
        toks.push(match c {
            '%' => Tok::Any,
            '_' => Tok::One,
            '\\' => Tok::Lit(chars.next().unwrap_or('\\')),
            c => Tok::Lit(c),
        });
    }
    let mut dp = vec![false; s.len() + 1];
    dp[0] = true;
    for t in &toks {
        let mut next = vec![false; s.len() + 1];
        match t {
            Tok::Any => {
                let mut any = false;
                for i in 0..=s.len() {
                    any |= dp[i];
                    next[i] = any;
                }
            }
            t => {
                for i in 0..s.len() {
                    if dp[i] && (*t == Tok::One || *t == Tok::Lit(s[i])) {
                        next[i + 1] = true;
                    }
                }
            }
        }
        dp = next;
    }
    dp[s.len()]
}

/// One term of an `order` specification.
#[derive(Debug, Clone)]
pub struct OrderTerm {
    pub field: String,
    pub desc: bool,
}

pub fn parse_order(spec: &ModelSpec, order: &str) -> Result<Vec<OrderTerm>, Fault> {
    let invalid = || {
        Fault::value(format!(
            "Invalid \"order\" specified ({order}). A valid \"order\" specification is a comma-separated list of valid field names (optionally followed by asc/desc for the direction)"
        ))
    };
    let mut terms = Vec::new();
    for part in order.split(',') {
        let words: Vec<&str> = part.split_whitespace().collect();
        let Some(field) = words.first() else {
            continue;
        };
        let desc = match words.get(1).map(|w| w.to_ascii_lowercase()) {
            None => false,
            Some(w) if w == "asc" => false,
            Some(w) if w == "desc" => true,
            _ => return Err(invalid()),
        };
        if !spec.has(field) {
            return Err(invalid());
        }
        terms.push(OrderTerm {
            field: field.to_string(),
            desc,
        });
    }
    Ok(terms)
}

/// Sort key comparison with PostgreSQL's default null placement
/// (NULLS LAST ascending, NULLS FIRST descending).
pub fn cmp_values(a: &Value, b: &Value, desc: bool) -> Ordering {
    let null_a = is_false(a) && !matches!(a, Value::Bool(_)) || a.is_null();
    let null_b = is_false(b) && !matches!(b, Value::Bool(_)) || b.is_null();
    let o = match (null_a, null_b) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        _ => match (a, b) {
            (Value::Number(x), Value::Number(y)) => x
                .as_f64()
                .partial_cmp(&y.as_f64())
                .unwrap_or(Ordering::Equal),
            (Value::String(x), Value::String(y)) => x.to_lowercase().cmp(&y.to_lowercase()),
            (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
            (x, y) => as_text(x).cmp(&as_text(y)),
        },
    };
    if desc { o.reverse() } else { o }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn like_patterns() {
        assert!(like(
            "deco.addict82@example.com",
            "DECO.ADDICT82@EXAMPLE.COM",
            true
        ));
        assert!(like("Acme Shop", "%shop%", true));
        assert!(!like("Acme Shop", "%shop%", false));
        assert!(like("SKU-00001", "SKU-_____", false));
        assert!(like("a_b@x.com", "a\\_b@x.com", true));
        assert!(!like("axb@x.com", "a\\_b@x.com", true));
    }

    #[test]
    fn compare_scalars() {
        assert!(compare(FieldType::Float, &json!(10.0), Op::Eq, &json!(10)));
        assert!(compare(
            FieldType::Char,
            &Value::Null,
            Op::Eq,
            &json!(false)
        ));
        assert!(compare(FieldType::Char, &Value::Null, Op::Ne, &json!("x")));
        assert!(compare(
            FieldType::Datetime,
            &json!("2026-11-27 00:28:23.123456"),
            Op::Gt,
            &json!("2026-11-27 00:28:23")
        ));
        assert!(compare(
            FieldType::Datetime,
            &json!("2026-11-27 00:28:23"),
            Op::Ge,
            &json!("2026-11-27T00:28:23Z")
        ));
    }
}
