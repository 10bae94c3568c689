//! Grouped reads: `read_group` (16–19) and 19's `formatted_read_group`.
//! Records of a domain are grouped by plain fields (a many2one answers
//! `[id, display_name]`), aggregated (`field:sum`, `name:agg(field)`, a
//! bare numeric field sums, `__count`), ordered and paged, and each group
//! carries the domain that selects it, in the shape each version answers
//! (`odoo/models.py` `read_group` / `_read_group_format_result`, 19's
//! `formatted_read_group`; the recordings' c `stock.quant.*read_group*`).
//! Date granularities (`date:month`) are not simulated and are refused.

use std::cmp::Ordering;
use std::collections::HashMap;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::{Map, Value, json};

use crate::OdooVersion;
use crate::domain::cmp_values;
use crate::fault::Fault;
use crate::orm::Env;
use crate::schema::{FieldDef, FieldType, ModelSpec};

/// An aggregate function of PostgreSQL that Odoo accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Func {
    Sum,
    Min,
    Max,
    Avg,
    Count,
    CountDistinct,
    BoolAnd,
    BoolOr,
}

impl Func {
    fn parse(s: &str) -> Result<Func, Fault> {
        Ok(match s {
            "sum" => Func::Sum,
            "min" => Func::Min,
            "max" => Func::Max,
            "avg" => Func::Avg,
            "count" => Func::Count,
            "count_distinct" => Func::CountDistinct,
            "bool_and" => Func::BoolAnd,
            "bool_or" => Func::BoolOr,
            other => {
                return Err(Fault::value(format!(
                    "Invalid aggregation function '{other}'."
                )));
            }
        })
    }
}

/// One requested aggregate: the key it answers under, its field and function.
#[derive(Debug, Clone)]
struct Aggregate {
    key: String,
    field: String,
    func: Func,
}

/// A group with its answer row, as sorted.
type Row = (Group, Map<String, Value>);

/// One sort term over rows: the key and whether it is descending.
type SortTerm = (Box<dyn Fn(&Row) -> Value>, bool);

/// One group: the read values of the groupby fields and its records.
struct Group {
    values: Vec<Value>,
    ids: Vec<i64>,
}

/// The groupby fields of a request, checked against the model.
fn groupby_fields<'s>(spec: &'s ModelSpec, groupby: &[String]) -> Result<Vec<&'s FieldDef>, Fault> {
    groupby
        .iter()
        .map(|g| {
            let (name, granularity) = match g.split_once(':') {
                Some((n, gr)) => (n, Some(gr)),
                None => (g.as_str(), None),
            };
            let def = spec
                .get(name)
                .ok_or_else(|| Fault::invalid_field(&spec.name, name))?;
            if granularity.is_some() || def.ftype.is_x2many() {
                return Err(Fault::value(format!(
                    "Grouping by '{g}' is not simulated by the sandbox"
                )));
            }
            Ok(def)
        })
        .collect()
}

/// The aggregates of 16–18 `read_group(fields=…)`: `field:func`,
/// `name:func(field)`, or a bare field, which sums when numeric (the
/// default `group_operator`) and is left out otherwise.
fn legacy_aggregates(
    spec: &ModelSpec,
    fields: &[String],
    groupby: &[String],
) -> Result<Vec<Aggregate>, Fault> {
    let mut out: Vec<Aggregate> = Vec::new();
    for spec_str in fields {
        if spec_str == "__count" || groupby.contains(spec_str) {
            continue;
        }
        let (key, field, func) = match spec_str.split_once(':') {
            Some((key, rest)) => match rest.split_once('(') {
                Some((func, field)) => (
                    key.to_string(),
                    field.trim_end_matches(')').to_string(),
                    Some(Func::parse(func)?),
                ),
                None => (key.to_string(), key.to_string(), Some(Func::parse(rest)?)),
            },
            None => (spec_str.clone(), spec_str.clone(), None),
        };
        let def = spec
            .get(&field)
            .ok_or_else(|| Fault::invalid_field(&spec.name, &field))?;
        let func = match func {
            Some(f) => f,
            None if def.ftype.is_numeric() => Func::Sum,
            None => continue,
        };
        if groupby.contains(&key) || out.iter().any(|a| a.key == key) {
            continue;
        }
        out.push(Aggregate { key, field, func });
    }
    Ok(out)
}

/// The aggregates of 19's `formatted_read_group(aggregates=…)`:
/// `field:func`, answered under that same spec (`__count` is handled by
/// the caller).
fn aggregates_19(spec: &ModelSpec, aggregates: &[String]) -> Result<Vec<Aggregate>, Fault> {
    aggregates
        .iter()
        .filter(|a| a.as_str() != "__count")
        .map(|a| {
            let (field, func) = a
                .split_once(':')
                .ok_or_else(|| Fault::value(format!("Invalid aggregate specification '{a}'")))?;
            spec.get(field)
                .ok_or_else(|| Fault::invalid_field(&spec.name, field))?;
            Ok(Aggregate {
                key: a.clone(),
                field: field.to_string(),
                func: Func::parse(func)?,
            })
        })
        .collect()
}

/// Groups the records of `ids` by `fields`, in first-seen order.
fn group(env: &Env, spec: &ModelSpec, ids: &[i64], fields: &[&FieldDef]) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for id in ids {
        let Some(rec) = env.record(&spec.name, *id) else {
            continue;
        };
        let values: Vec<Value> = fields
            .iter()
            .map(|f| env.read_value(spec, *id, rec, f))
            .collect();
        let key = Value::Array(values.clone()).to_string();
        match index.get(&key) {
            Some(i) => groups[*i].ids.push(*id),
            None => {
                index.insert(key, groups.len());
                groups.push(Group {
                    values,
                    ids: vec![*id],
                });
            }
        }
    }
    groups
}

/// A stored value as an exact decimal (numbers only).
fn decimal(v: &Value) -> Option<Decimal> {
    match v {
        Value::Number(n) => n
            .to_string()
            .parse::<Decimal>()
            .ok()
            .or_else(|| n.as_f64().and_then(|f| Decimal::try_from(f).ok())),
        _ => None,
    }
}

/// A decimal back to JSON: an integer for integer fields, else a float.
fn number(d: Decimal, ftype: FieldType) -> Value {
    if ftype == FieldType::Integer
        && let Some(i) = d.to_i64()
    {
        return json!(i);
    }
    json!(d.to_f64().unwrap_or(0.0))
}

/// Whether a stored value is SQL NULL (Odoo stores `False` as NULL).
fn is_null(v: &Value) -> bool {
    matches!(v, Value::Null) || v == &json!(false)
}

/// One aggregate over a group's records, as PostgreSQL computes it:
/// NULLs are skipped, and an aggregate over no values is NULL (`false`).
fn aggregate(env: &Env, spec: &ModelSpec, ids: &[i64], agg: &Aggregate) -> Value {
    let Some(def) = spec.get(&agg.field) else {
        return json!(false);
    };
    let raw: Vec<Value> = ids
        .iter()
        .filter_map(|id| {
            let rec = env.record(&spec.name, *id)?;
            Some(env.raw_value(spec, *id, rec, &agg.field))
        })
        .collect();
    let booleans = def.ftype == FieldType::Boolean;
    let present: Vec<&Value> = raw
        .iter()
        .filter(|v| !(is_null(v) && !(booleans && v.is_boolean())))
        .collect();
    match agg.func {
        Func::Count => json!(present.len()),
        Func::CountDistinct => {
            let mut seen: Vec<String> = present.iter().map(|v| v.to_string()).collect();
            seen.sort();
            seen.dedup();
            json!(seen.len())
        }
        Func::BoolAnd | Func::BoolOr => {
            if present.is_empty() {
                return json!(false);
            }
            let mut truth = present.iter().map(|v| crate::orm::truthy(v));
            json!(if agg.func == Func::BoolAnd {
                truth.all(|b| b)
            } else {
                truth.any(|b| b)
            })
        }
        Func::Sum | Func::Avg if def.ftype.is_numeric() => {
            let nums: Vec<Decimal> = present.iter().filter_map(|v| decimal(v)).collect();
            if nums.is_empty() {
                return json!(false);
            }
            let total: Decimal = nums.iter().sum();
            if agg.func == Func::Sum {
                number(total, def.ftype)
            } else {
                json!((total / Decimal::from(nums.len())).to_f64().unwrap_or(0.0))
            }
        }
        Func::Min | Func::Max => {
            let pick = present.into_iter().min_by(|a, b| {
                let o = cmp_values(a, b, false);
                if agg.func == Func::Max {
                    o.reverse()
                } else {
                    o
                }
            });
            match (pick, def.ftype) {
                (Some(v), FieldType::Many2one) => v.clone(),
                (Some(v), t) if t.is_numeric() => {
                    decimal(v).map(|d| number(d, t)).unwrap_or(json!(false))
                }
                (Some(v), _) => v.clone(),
                (None, _) => json!(false),
            }
        }
        // sum / avg of a non-numeric column: PostgreSQL refuses it
        Func::Sum | Func::Avg => json!(false),
    }
}

/// Odoo's `expression.normalize_domain`: explicit `&` between the leaves
/// of an implicit conjunction.
fn normalize(domain: &[Value]) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    let mut expected = 1i32;
    for token in domain {
        if expected == 0 {
            out.insert(0, json!("&"));
            expected = 1;
        }
        match token.as_str() {
            Some("!") => {}
            Some("&") | Some("|") => expected += 1,
            _ => expected -= 1,
        }
        out.push(token.clone());
    }
    out
}

/// Odoo's `expression.AND`: empty domains are skipped, the others are
/// normalized and joined under leading `&`s.
fn and(domains: &[Vec<Value>]) -> Vec<Value> {
    let parts: Vec<Vec<Value>> = domains
        .iter()
        .filter(|d| !d.is_empty())
        .map(|d| normalize(d))
        .collect();
    let mut out: Vec<Value> = vec![json!("&"); parts.len().saturating_sub(1)];
    for p in parts {
        out.extend(p);
    }
    out
}

/// The leaf that selects a group's value of `field` (`[f, '=', id]` for a
/// many2one).
fn leaf(field: &FieldDef, value: &Value) -> Vec<Value> {
    let v = match (field.ftype, value) {
        (FieldType::Many2one, Value::Array(pair)) => pair.first().cloned().unwrap_or(json!(false)),
        (_, v) => v.clone(),
    };
    vec![json!([field.name, "=", v])]
}

/// Sorts groups by an `orderby` / `order` spec whose terms name a groupby
/// field, an aggregate key or `__count`; by default, by the groupby fields.
/// A many2one sorts by its comodel's order, as Odoo's `read_group` does.
fn sort_groups(
    env: &Env,
    fields: &[&FieldDef],
    groups: &mut [Row],
    order: Option<&str>,
    aggs: &[Aggregate],
    count_key: &str,
) -> Result<(), Fault> {
    let default: String = fields
        .iter()
        .map(|f| f.name.clone())
        .collect::<Vec<_>>()
        .join(", ");
    let order = order.filter(|o| !o.trim().is_empty()).unwrap_or(&default);
    // the rank of each many2one value in its comodel's order
    let mut ranks: HashMap<String, HashMap<i64, usize>> = HashMap::new();
    for (i, f) in fields.iter().enumerate() {
        if let (FieldType::Many2one, Some(rel)) = (f.ftype, f.relation.as_deref())
            && env.spec(rel).is_ok()
        {
            let ids: Vec<i64> = groups
                .iter()
                .filter_map(|(g, _)| g.values[i].get(0).and_then(Value::as_i64))
                .collect();
            let sorted = env.sorted(rel, ids, None)?;
            ranks.insert(
                f.name.clone(),
                sorted
                    .into_iter()
                    .enumerate()
                    .map(|(r, id)| (id, r))
                    .collect(),
            );
        }
    }
    let mut terms: Vec<SortTerm> = Vec::new();
    for part in order.split(',') {
        let words: Vec<&str> = part.split_whitespace().collect();
        let Some(name) = words.first().map(|w| w.to_string()) else {
            continue;
        };
        let desc = match words.get(1).map(|w| w.to_ascii_lowercase()).as_deref() {
            None | Some("asc") => false,
            Some("desc") => true,
            Some(_) => return Err(invalid_order(order)),
        };
        if let Some(i) = fields.iter().position(|f| f.name == name) {
            let rank = ranks.get(&name).cloned();
            terms.push((
                Box::new(move |(g, _)| match (&rank, &g.values[i]) {
                    (Some(r), Value::Array(pair)) => pair
                        .first()
                        .and_then(Value::as_i64)
                        .and_then(|id| r.get(&id))
                        .map(|r| json!(r))
                        .unwrap_or(Value::Null),
                    (_, v) => v.clone(),
                }),
                desc,
            ));
        } else if name == "__count" || name == count_key || aggs.iter().any(|a| a.key == name) {
            let key = if name == "__count" {
                count_key.to_string()
            } else {
                name.clone()
            };
            terms.push((
                Box::new(move |(_, row)| row.get(&key).cloned().unwrap_or(Value::Null)),
                desc,
            ));
        } else {
            return Err(invalid_order(order));
        }
    }
    groups.sort_by(|a, b| {
        for (key, desc) in &terms {
            let o = cmp_values(&key(a), &key(b), *desc);
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    });
    Ok(())
}

fn invalid_order(order: &str) -> Fault {
    Fault::value(format!("Invalid groupby order specification: {order:?}"))
}

/// The parameters of `read_group(domain, fields, groupby, offset, limit,
/// orderby, lazy)`.
pub struct ReadGroup<'r> {
    /// The domain the records are searched with (record rules included).
    pub search: &'r Value,
    /// The domain the caller gave, echoed in each group's `__domain`.
    pub shown: &'r Value,
    pub fields: Vec<String>,
    pub groupby: Vec<String>,
    pub offset: usize,
    pub limit: Option<usize>,
    pub orderby: Option<String>,
    pub lazy: bool,
}

/// `read_group`: one row per group with its value(s), count, aggregates,
/// `__domain` and, when lazy with more groupbys left, `__context`.
pub fn read_group(env: &Env, model: &str, p: &ReadGroup) -> Result<Value, Fault> {
    let spec = env.spec(model)?;
    // lazy: only the first groupby is applied, the rest goes to __context
    let applied: Vec<String> = if p.lazy {
        p.groupby.iter().take(1).cloned().collect()
    } else {
        p.groupby.clone()
    };
    let fields = groupby_fields(spec, &applied)?;
    groupby_fields(spec, &p.groupby)?;
    let aggs = legacy_aggregates(spec, &p.fields, &p.groupby)?;
    let count_key = match (p.lazy, applied.first()) {
        (true, Some(g)) => format!("{g}_count"),
        _ => "__count".to_string(),
    };
    let ids = env.search(model, p.search, 0, None, Some("id"))?;
    let mut groups = group(env, spec, &ids, &fields);
    if fields.is_empty() && groups.is_empty() {
        // no groupby: one row, even over no records (SQL without GROUP BY)
        groups.push(Group {
            values: Vec::new(),
            ids: Vec::new(),
        });
    }
    let user_domain: Vec<Value> = p.shown.as_array().cloned().unwrap_or_default();
    let v16 = env.version == OdooVersion::V16;
    let mut rows: Vec<Row> = Vec::new();
    for g in groups {
        let mut row = Map::new();
        let values: Vec<(String, Value)> = applied
            .iter()
            .cloned()
            .zip(g.values.iter().cloned())
            .collect();
        if !v16 {
            row.extend(values.clone());
        }
        row.insert(count_key.clone(), json!(g.ids.len()));
        for a in &aggs {
            row.insert(a.key.clone(), aggregate(env, spec, &g.ids, a));
        }
        if v16 {
            row.extend(values);
        }
        let sections: Vec<Vec<Value>> = fields
            .iter()
            .zip(&g.values)
            .map(|(f, v)| leaf(f, v))
            .collect();
        let domain = if v16 {
            // 16: AND(group leaves…, domain)
            let mut all = sections;
            all.push(user_domain.clone());
            and(&all)
        } else {
            // 17+: each groupby ANDs its leaf onto the domain so far
            sections
                .into_iter()
                .fold(user_domain.clone(), |acc, s| and(&[acc, s]))
        };
        row.insert("__domain".into(), Value::Array(domain));
        if applied.len() < p.groupby.len() {
            row.insert(
                "__context".into(),
                json!({"group_by": p.groupby[applied.len()..]}),
            );
        }
        rows.push((g, row));
    }
    sort_groups(
        env,
        &fields,
        &mut rows,
        p.orderby.as_deref(),
        &aggs,
        &count_key,
    )?;
    Ok(Value::Array(
        rows.into_iter()
            .skip(p.offset)
            .take(p.limit.unwrap_or(usize::MAX))
            .map(|(_, row)| Value::Object(row))
            .collect(),
    ))
}

/// The parameters of 19's `formatted_read_group(domain, groupby,
/// aggregates, having, offset, limit, order)` (`having` is not simulated).
pub struct Formatted<'r> {
    pub search: &'r Value,
    pub groupby: Vec<String>,
    pub aggregates: Vec<String>,
    pub offset: usize,
    pub limit: Option<usize>,
    pub order: Option<String>,
}

/// 19's `formatted_read_group`: per group, the groupby values, the
/// `__extra_domain` that selects the group within the domain, and the
/// aggregates under their spec (`quantity:sum`, `__count`).
pub fn formatted_read_group(env: &Env, model: &str, p: &Formatted) -> Result<Value, Fault> {
    let spec = env.spec(model)?;
    let fields = groupby_fields(spec, &p.groupby)?;
    let aggs = aggregates_19(spec, &p.aggregates)?;
    let ids = env.search(model, p.search, 0, None, Some("id"))?;
    let mut groups = group(env, spec, &ids, &fields);
    if fields.is_empty() && groups.is_empty() {
        groups.push(Group {
            values: Vec::new(),
            ids: Vec::new(),
        });
    }
    let mut rows: Vec<Row> = Vec::new();
    for g in groups {
        let mut row = Map::new();
        for (name, v) in p.groupby.iter().zip(&g.values) {
            row.insert(name.clone(), v.clone());
        }
        let extra = fields
            .iter()
            .zip(&g.values)
            .map(|(f, v)| leaf(f, v))
            .fold(Vec::new(), |acc, s| and(&[acc, s]));
        row.insert("__extra_domain".into(), Value::Array(extra));
        for a in &p.aggregates {
            if a == "__count" {
                row.insert("__count".into(), json!(g.ids.len()));
            } else if let Some(agg) = aggs.iter().find(|x| &x.key == a) {
                row.insert(a.clone(), aggregate(env, spec, &g.ids, agg));
            }
        }
        rows.push((g, row));
    }
    sort_groups(
        env,
        &fields,
        &mut rows,
        p.order.as_deref(),
        &aggs,
        "__count",
    )?;
    Ok(Value::Array(
        rows.into_iter()
            .skip(p.offset)
            .take(p.limit.unwrap_or(usize::MAX))
            .map(|(_, row)| Value::Object(row))
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_adds_the_implicit_and() {
        let d = vec![json!(["a", "=", 1]), json!(["b", "=", 2])];
        assert_eq!(
            normalize(&d),
            vec![json!("&"), json!(["a", "=", 1]), json!(["b", "=", 2])]
        );
        let or = vec![json!("|"), json!(["a", "=", 1]), json!(["b", "=", 2])];
        assert_eq!(normalize(&or), or);
        let three = vec![
            json!(["a", "=", 1]),
            json!(["b", "=", 2]),
            json!(["c", "=", 3]),
        ];
        assert_eq!(
            normalize(&three),
            vec![
                json!("&"),
                json!("&"),
                json!(["a", "=", 1]),
                json!(["b", "=", 2]),
                json!(["c", "=", 3])
            ]
        );
    }

    #[test]
    fn and_skips_empty_domains_and_joins_the_rest() {
        let leaf = vec![json!(["p", "=", 4])];
        assert_eq!(and(&[Vec::new(), leaf.clone()]), leaf);
        let d = vec![json!(["a", "=", 1]), json!(["b", "=", 2])];
        // 17+ order: the domain first, then the group's leaf (recorded c)
        assert_eq!(
            and(&[d.clone(), leaf.clone()]),
            vec![
                json!("&"),
                json!("&"),
                json!(["a", "=", 1]),
                json!(["b", "=", 2]),
                json!(["p", "=", 4])
            ]
        );
        // 16 order: the group's leaf first
        assert_eq!(
            and(&[leaf, d]),
            vec![
                json!("&"),
                json!(["p", "=", 4]),
                json!("&"),
                json!(["a", "=", 1]),
                json!(["b", "=", 2])
            ]
        );
    }

    #[test]
    fn aggregate_specs_parse_like_odoo() {
        assert!(Func::parse("sum").is_ok());
        assert_eq!(
            Func::parse("median").unwrap_err().message,
            "Invalid aggregation function 'median'."
        );
    }
}
