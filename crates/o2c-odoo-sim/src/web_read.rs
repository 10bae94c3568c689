//! The web client's reads (17+): `web_read(specification)` and
//! `web_search_read(domain, specification, offset, limit, order,
//! count_limit)`, following odoo/addons/web/models/models.py. A
//! specification maps field names to `{}` or to `{"fields": {...}}`
//! (many2one: a nested record instead of the id; x2many: the co-records
//! read with their own specification, optionally `limit` / `order`).

use serde_json::{Map, Value, json};

use crate::OdooVersion;
use crate::fault::Fault;
use crate::orm::Env;
use crate::schema::FieldType;

fn spec_of(v: Option<&Value>) -> Result<Map<String, Value>, Fault> {
    match v {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(m)) => Ok(m.clone()),
        Some(other) => Err(Fault::new(
            "builtins.AttributeError",
            format!("'{}' object has no attribute 'items'", kind(other)),
        )),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Array(_) => "list",
        Value::String(_) => "str",
        Value::Number(_) => "int",
        Value::Bool(_) => "bool",
        _ => "NoneType",
    }
}

fn ids_of(v: &Value) -> Vec<i64> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default()
}

/// `records.web_read(specification)`.
pub fn web_read(
    env: &Env,
    model: &str,
    ids: &[i64],
    specification: &Map<String, Value>,
) -> Result<Vec<Value>, Fault> {
    let fields: Vec<String> = specification.keys().cloned().collect();
    let mut values: Vec<Value> = if fields.is_empty() || fields == ["id"] {
        ids.iter().map(|i| json!({"id": i})).collect()
    } else {
        env.read(model, ids, &fields)?
    };
    let spec = env.spec(model)?;
    for (name, field_spec) in specification {
        let Some(field) = spec.fields.get(name) else {
            continue;
        };
        let Some(rel) = field.relation.as_deref() else {
            continue;
        };
        let nested = field_spec.get("fields").and_then(Value::as_object);
        match field.ftype {
            // `read(load=None)`: the id, or the co-record read with `fields`
            FieldType::Many2one => {
                for v in values.iter_mut() {
                    let id = v[name.as_str()]
                        .as_array()
                        .and_then(|a| a.first())
                        .and_then(Value::as_i64)
                        .or_else(|| v[name.as_str()].as_i64());
                    v[name.as_str()] = match (id, nested) {
                        (None, _) => json!(false),
                        (Some(i), None) => json!(i),
                        (Some(i), Some(sub)) if sub.is_empty() => json!(i),
                        (Some(i), Some(sub)) => {
                            let mut inner = sub.clone();
                            let wants_name = inner.remove("display_name").is_some();
                            let mut rec = web_read(env, rel, &[i], &inner)?
                                .into_iter()
                                .next()
                                .unwrap_or_else(|| json!({"id": i}));
                            if wants_name {
                                rec["display_name"] = json!(env.display_name(rel, i));
                            }
                            rec
                        }
                    };
                }
            }
            FieldType::One2many | FieldType::Many2many => {
                let Some(sub) = nested else {
                    continue;
                };
                let mut all: Vec<i64> = Vec::new();
                for v in &values {
                    for i in ids_of(&v[name.as_str()]) {
                        if !all.contains(&i) {
                            all.push(i);
                        }
                    }
                }
                // `order`: the co-records sorted as that order puts them
                if let Some(order) = field_spec.get("order").and_then(Value::as_str)
                    && !order.is_empty()
                {
                    let sorted =
                        env.search(rel, &json!([["id", "in", all]]), 0, None, Some(order))?;
                    for v in values.iter_mut() {
                        let mine = ids_of(&v[name.as_str()]);
                        let ordered: Vec<i64> = sorted
                            .iter()
                            .copied()
                            .filter(|i| mine.contains(i))
                            .collect();
                        v[name.as_str()] = json!(ordered);
                    }
                }
                let limit = field_spec
                    .get("limit")
                    .and_then(Value::as_u64)
                    .map(|l| l as usize);
                let read_ids: Vec<i64> = match limit {
                    Some(l) => {
                        let mut out = Vec::new();
                        for v in &values {
                            for i in ids_of(&v[name.as_str()]).into_iter().take(l) {
                                if !out.contains(&i) {
                                    out.push(i);
                                }
                            }
                        }
                        out
                    }
                    None => all,
                };
                let read = web_read(env, rel, &read_ids, sub)?;
                for v in values.iter_mut() {
                    let rows: Vec<Value> = ids_of(&v[name.as_str()])
                        .into_iter()
                        .map(|i| {
                            read.iter()
                                .find(|r| r["id"].as_i64() == Some(i))
                                .cloned()
                                .unwrap_or_else(|| json!({"id": i}))
                        })
                        .collect();
                    v[name.as_str()] = json!(rows);
                }
            }
            _ => {}
        }
    }
    Ok(values)
}

/// A positional argument, else the keyword one.
fn arg<'v>(
    args: &'v [Value],
    kwargs: &'v Map<String, Value>,
    pos: usize,
    name: &str,
) -> Option<&'v Value> {
    args.get(pos).or_else(|| kwargs.get(name))
}

fn count(v: Option<&Value>) -> Option<usize> {
    v.and_then(Value::as_u64).map(|n| n as usize)
}

/// `model.web_search_read(domain, specification, offset, limit, order,
/// count_limit)` with `_format_web_search_read_results`: `length` counts
/// past the page only when the page is full (up to `count_limit`), or when
/// the context asks `force_search_count`. 16's takes `fields` (a list)
/// where 17+ take the specification.
pub fn web_search_read(
    env: &Env,
    model: &str,
    args: &[Value],
    kwargs: &Map<String, Value>,
) -> Result<Value, Fault> {
    let domain = arg(args, kwargs, 0, "domain").cloned().unwrap_or(json!([]));
    let offset = count(arg(args, kwargs, 2, "offset")).unwrap_or(0);
    let limit = count(arg(args, kwargs, 3, "limit"));
    let order = arg(args, kwargs, 4, "order").and_then(Value::as_str);
    let count_limit = count(arg(args, kwargs, 5, "count_limit"));
    let ids = env.search(model, &domain, offset, limit, order)?;
    let records = if env.version == OdooVersion::V16 {
        let fields: Vec<String> = arg(args, kwargs, 1, "fields")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|f| f.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        env.read(model, &ids, &fields)?
    } else {
        let specification = spec_of(arg(args, kwargs, 1, "specification"))?;
        web_read(env, model, &ids, &specification)?
    };
    if records.is_empty() {
        return Ok(json!({"length": 0, "records": []}));
    }
    let current = records.len() + offset;
    let limit_reached = Some(records.len()) == limit;
    let count_limit_reached = count_limit.is_some_and(|c| c <= current);
    let forced = env
        .context
        .get("force_search_count")
        .is_some_and(|v| !matches!(v, Value::Bool(false) | Value::Null));
    let length = if limit.is_some() && ((limit_reached && !count_limit_reached) || forced) {
        env.search(model, &domain, 0, count_limit, Some("id"))?
            .len()
    } else {
        current
    };
    Ok(json!({"length": length, "records": records}))
}

/// `records.web_read(specification)` as an RPC method (17+).
pub fn web_read_call(
    env: &Env,
    model: &str,
    args: &[Value],
    kwargs: &Map<String, Value>,
) -> Result<Value, Fault> {
    if env.version == OdooVersion::V16 {
        return Err(Fault::unknown_method(model, "web_read"));
    }
    let ids = crate::models::ids_arg(arg(args, kwargs, 0, "ids"));
    env.check_exist(model, &ids)?;
    let specification = spec_of(arg(args, kwargs, 1, "specification"))?;
    Ok(json!(web_read(env, model, &ids, &specification)?))
}
