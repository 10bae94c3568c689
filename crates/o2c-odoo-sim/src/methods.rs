//! Dispatch of `execute_kw(model, method, args, kwargs)` to the generic ORM
//! methods and to per-model hooks.

use serde_json::{Map, Value, json};

use crate::OdooVersion;
use crate::fault::Fault;
use crate::load;
use crate::models::ids_arg;
use crate::orm::Env;

fn arg<'v>(
    args: &'v [Value],
    kwargs: &'v Map<String, Value>,
    pos: usize,
    name: &str,
) -> Option<&'v Value> {
    args.get(pos).or_else(|| kwargs.get(name))
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn opt_usize(v: Option<&Value>) -> Option<usize> {
    v.and_then(Value::as_u64).map(|n| n as usize)
}

fn obj(v: Option<&Value>, what: &str) -> Result<Map<String, Value>, Fault> {
    match v {
        Some(Value::Object(m)) => Ok(m.clone()),
        Some(other) => Err(Fault::new(
            "builtins.TypeError",
            format!("{what}: expected a dict, got {other}"),
        )),
        None => Err(Fault::type_error(format!(
            "{what}() missing 1 required positional argument: 'vals'"
        ))),
    }
}

/// Checks the user's access rights on `model.method` and, when record rules
/// apply, returns the arguments with the rules' domain added to the search
/// domain (the ids of record methods are checked against it instead).
fn restricted(
    env: &Env,
    model: &str,
    method: &str,
    args: &[Value],
    kwargs: &Map<String, Value>,
) -> Result<(Vec<Value>, Map<String, Value>), Fault> {
    let mut args = args.to_vec();
    let mut kwargs = kwargs.clone();
    let searches = [
        "search",
        "search_read",
        "search_count",
        "read_group",
        "formatted_read_group",
        "web_search_read",
    ];
    let ids = if searches.contains(&method) || method == "name_search" || method == "create" {
        Vec::new()
    } else {
        ids_arg(arg(&args, &kwargs, 0, "ids"))
    };
    let vals = if method == "write" {
        arg(&args, &kwargs, 1, "vals").cloned()
    } else {
        None
    };
    let Some(rule) = crate::access::check(env, model, method, vals.as_ref(), &ids)? else {
        return Ok((args, kwargs));
    };
    let (pos, key) = match method {
        m if searches.contains(&m) => (0, "domain"),
        "name_search" => (1, "args"),
        _ => return Ok((args, kwargs)),
    };
    if args.len() > pos {
        args[pos] = crate::access::restrict(&rule, Some(&args[pos]));
    } else if method == "search" && kwargs.contains_key("args") {
        let d = crate::access::restrict(&rule, kwargs.get("args"));
        kwargs.insert("args".into(), d);
    } else {
        let d = crate::access::restrict(&rule, kwargs.get(key));
        kwargs.insert(key.into(), d);
    }
    Ok((args, kwargs))
}

/// Calls `model.method(*args, **kwargs)` as the environment's user.
pub fn call(
    env: &mut Env,
    model: &str,
    method: &str,
    args: &[Value],
    kwargs: &Map<String, Value>,
) -> Result<Option<Value>, Fault> {
    env.spec(model)?;
    if method.starts_with('_') {
        return Err(Fault::private_method(method));
    }
    // the caller's own domain, echoed back by read_group's `__domain`
    let shown = arg(args, kwargs, 0, "domain").cloned().unwrap_or(json!([]));
    let (args, kwargs) = restricted(env, model, method, args, kwargs)?;
    let (args, kwargs) = companies_restricted(env, model, method, args, kwargs)?;
    let (args, kwargs) = (args.as_slice(), &kwargs);
    let result = dispatch(env, model, method, args, kwargs, &shown)?;
    // the rules also bind what a create or write leaves behind (the call
    // is rolled back when they refuse it)
    let written = match method {
        "create" => result
            .as_ref()
            .map(|r| ids_arg(Some(r)))
            .unwrap_or_default(),
        "write" => ids_arg(arg(args, kwargs, 0, "ids")),
        _ => Vec::new(),
    };
    if !written.is_empty() {
        crate::companies::check(env, model, method, &written)?;
        // and what the records link to (`_check_company_auto`)
        match arg(args, kwargs, 1, "vals") {
            Some(Value::Object(vals)) if method == "write" => {
                crate::check_company::written(env, model, &written, vals)?
            }
            _ => crate::check_company::created(env, model, &written)?,
        }
    }
    Ok(result)
}

/// Narrows searches to the allowed companies' records and refuses record
/// methods on other companies' records (`crate::companies`).
fn companies_restricted(
    env: &Env,
    model: &str,
    method: &str,
    args: Vec<Value>,
    kwargs: Map<String, Value>,
) -> Result<(Vec<Value>, Map<String, Value>), Fault> {
    let (mut args, mut kwargs) = (args, kwargs);
    let ids = match method {
        "search"
        | "search_read"
        | "search_count"
        | "read_group"
        | "formatted_read_group"
        | "web_search_read"
        | "name_search"
        | "create" => Vec::new(),
        _ => ids_arg(arg(&args, &kwargs, 0, "ids")),
    };
    let crate::companies::Restriction::Domain(rule) =
        crate::companies::check(env, model, method, &ids)?
    else {
        return Ok((args, kwargs));
    };
    let (pos, key) = match method {
        "search"
        | "search_read"
        | "search_count"
        | "read_group"
        | "formatted_read_group"
        | "web_search_read" => (0, "domain"),
        "name_search" => (1, "args"),
        _ => return Ok((args, kwargs)),
    };
    if args.len() > pos {
        args[pos] = crate::access::restrict(&rule, Some(&args[pos]));
    } else if method == "search" && kwargs.contains_key("args") {
        let d = crate::access::restrict(&rule, kwargs.get("args"));
        kwargs.insert("args".into(), d);
    } else {
        let d = crate::access::restrict(&rule, kwargs.get(key));
        kwargs.insert(key.into(), d);
    }
    Ok((args, kwargs))
}

/// Runs `model.method` (hooks first, then the generic ORM methods);
/// `shown` is the caller's domain before the record rules narrowed it.
fn dispatch(
    env: &mut Env,
    model: &str,
    method: &str,
    args: &[Value],
    kwargs: &Map<String, Value>,
    shown: &Value,
) -> Result<Option<Value>, Fault> {
    let spec = env.spec(model)?;
    let hooks = spec.hooks.clone();
    if hooks.methods(env.version).contains(&method) {
        return hooks.call(env, method, args, kwargs);
    }
    let result = match method {
        "create" => match arg(args, kwargs, 0, "vals_list") {
            Some(Value::Array(list)) => {
                let mut ids = Vec::new();
                for v in list {
                    ids.push(env.create(model, obj(Some(v), "create")?)?);
                }
                json!(ids)
            }
            v => json!(env.create(model, obj(v, "create")?)?),
        },
        "read" => {
            let ids = ids_arg(arg(args, kwargs, 0, "ids"));
            let fields = strings(arg(args, kwargs, 1, "fields"));
            json!(env.read(model, &ids, &fields)?)
        }
        "search" => {
            let domain = arg(args, kwargs, 0, "domain")
                .or_else(|| kwargs.get("args"))
                .cloned()
                .unwrap_or(json!([]));
            let ids = env.search(
                model,
                &domain,
                opt_usize(arg(args, kwargs, 1, "offset")).unwrap_or(0),
                opt_usize(arg(args, kwargs, 2, "limit")),
                arg(args, kwargs, 3, "order").and_then(Value::as_str),
            )?;
            if arg(args, kwargs, 4, "count").and_then(Value::as_bool) == Some(true) {
                json!(ids.len())
            } else {
                json!(ids)
            }
        }
        "search_read" => {
            let domain = arg(args, kwargs, 0, "domain").cloned().unwrap_or(json!([]));
            let fields = strings(arg(args, kwargs, 1, "fields"));
            let ids = env.search(
                model,
                &domain,
                opt_usize(arg(args, kwargs, 2, "offset")).unwrap_or(0),
                opt_usize(arg(args, kwargs, 3, "limit")),
                arg(args, kwargs, 4, "order").and_then(Value::as_str),
            )?;
            json!(env.read(model, &ids, &fields)?)
        }
        "web_search_read" => crate::web_read::web_search_read(env, model, args, kwargs)?,
        "web_read" => crate::web_read::web_read_call(env, model, args, kwargs)?,
        "search_count" => {
            let domain = arg(args, kwargs, 0, "domain").cloned().unwrap_or(json!([]));
            let limit = opt_usize(arg(args, kwargs, 1, "limit"));
            json!(env.search(model, &domain, 0, limit, Some("id"))?.len())
        }
        "write" => {
            let ids = ids_arg(arg(args, kwargs, 0, "ids"));
            let vals = obj(arg(args, kwargs, 1, "vals"), "write")?;
            env.write(model, &ids, &vals)?;
            json!(true)
        }
        "unlink" => {
            let ids = ids_arg(arg(args, kwargs, 0, "ids"));
            env.unlink(model, &ids)?;
            json!(true)
        }
        "exists" => {
            let ids = ids_arg(arg(args, kwargs, 0, "ids"));
            json!(
                ids.into_iter()
                    .filter(|i| env.exists(model, *i))
                    .collect::<Vec<_>>()
            )
        }
        "fields_get" => {
            let all = strings(arg(args, kwargs, 0, "allfields"));
            let attrs = strings(arg(args, kwargs, 1, "attributes"));
            let mut out = Map::new();
            for (name, f) in &spec.fields {
                if !all.is_empty() && !all.contains(name) {
                    continue;
                }
                let mut a = Map::new();
                for (k, v) in &f.attrs {
                    if attrs.is_empty() || attrs.contains(k) {
                        a.insert(k.clone(), v.clone());
                    }
                }
                out.insert(name.clone(), Value::Object(a));
            }
            // 16/17 analytic/models/analytic_mixin.py `fields_get` hides the
            // search helper from filters whatever attributes were asked for
            if env.version <= OdooVersion::V17
                && let Some(Value::Object(f)) = out.get_mut("analytic_distribution_search")
            {
                f.insert("searchable".into(), json!(false));
            }
            Value::Object(out)
        }
        "name_search" => {
            let name = arg(args, kwargs, 0, "name")
                .and_then(Value::as_str)
                .unwrap_or("");
            let mut domain = arg(args, kwargs, 1, "args")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let operator = arg(args, kwargs, 2, "operator")
                .and_then(Value::as_str)
                .unwrap_or("ilike");
            let limit = match arg(args, kwargs, 3, "limit") {
                Some(Value::Number(n)) => n.as_u64().map(|n| n as usize),
                Some(_) => None,
                None => Some(100),
            };
            if !name.is_empty() {
                if !domain.is_empty() {
                    domain.insert(0, json!("&"));
                }
                domain.push(json!(["display_name", operator, name]));
            }
            let ids = env.search(model, &Value::Array(domain), 0, limit, None)?;
            json!(
                ids.iter()
                    .map(|i| json!([i, env.display_name(model, *i)]))
                    .collect::<Vec<_>>()
            )
        }
        "name_get" if env.version <= OdooVersion::V17 => {
            let ids = ids_arg(arg(args, kwargs, 0, "ids"));
            json!(
                ids.iter()
                    .filter(|i| env.exists(model, **i))
                    .map(|i| json!([i, env.display_name(model, *i)]))
                    .collect::<Vec<_>>()
            )
        }
        "read_group" => {
            let groupby = match arg(args, kwargs, 2, "groupby") {
                Some(Value::String(g)) => vec![g.clone()],
                v => strings(v),
            };
            let p = crate::read_group::ReadGroup {
                search: &arg(args, kwargs, 0, "domain").cloned().unwrap_or(json!([])),
                shown,
                fields: strings(arg(args, kwargs, 1, "fields")),
                groupby,
                offset: opt_usize(arg(args, kwargs, 3, "offset")).unwrap_or(0),
                limit: opt_usize(arg(args, kwargs, 4, "limit")),
                orderby: arg(args, kwargs, 5, "orderby")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                lazy: arg(args, kwargs, 6, "lazy")
                    .map(crate::orm::truthy)
                    .unwrap_or(true),
            };
            crate::read_group::read_group(env, model, &p)?
        }
        "formatted_read_group" if env.version >= OdooVersion::V19 => {
            let p = crate::read_group::Formatted {
                search: &arg(args, kwargs, 0, "domain").cloned().unwrap_or(json!([])),
                groupby: strings(arg(args, kwargs, 1, "groupby")),
                aggregates: strings(arg(args, kwargs, 2, "aggregates")),
                offset: opt_usize(arg(args, kwargs, 4, "offset")).unwrap_or(0),
                limit: opt_usize(arg(args, kwargs, 5, "limit")),
                order: arg(args, kwargs, 6, "order")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            };
            crate::read_group::formatted_read_group(env, model, &p)?
        }
        "export_data" => {
            let ids = ids_arg(arg(args, kwargs, 0, "ids"));
            let fields = strings(arg(args, kwargs, 1, "fields_to_export"));
            crate::export::export_data(env, model, &ids, &fields)?
        }
        "load" => {
            let fields = strings(arg(args, kwargs, 0, "fields"));
            let data: Vec<Vec<Value>> = arg(args, kwargs, 1, "data")
                .and_then(Value::as_array)
                .map(|rows| {
                    rows.iter()
                        .map(|r| r.as_array().cloned().unwrap_or_default())
                        .collect()
                })
                .unwrap_or_default();
            load::load(env, model, &fields, &data)?
        }
        _ => return Err(Fault::unknown_method(model, method)),
    };
    Ok(Some(result))
}
