//! Small helpers shared by the business models: money rounding, record
//! lookups by a many2one, context juggling and action dictionaries.

use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Map, Value, json};

use crate::fault::Fault;
use crate::orm::{Env, Record};

use super::{m2o, num};

/// A JSON object literal as a value map (anything else gives an empty map).
pub fn vals(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

pub fn dec(x: f64) -> Decimal {
    Decimal::from_f64(x).unwrap_or_default()
}

/// Rounds to cents, half away from zero (Odoo's `float_round` on currency).
pub fn round2(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

pub fn f(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(0.0)
}

/// A cent-rounded amount as a JSON number.
pub fn money(d: Decimal) -> Value {
    json!(f(round2(d)))
}

/// Quantities compare at Odoo's default UoM precision (0.01).
pub fn is_zero(x: f64) -> bool {
    x.abs() < 0.005
}

/// Ids of `model` whose many2one `field` is `id`, ascending.
pub fn children(env: &Env, model: &str, field: &str, id: i64) -> Vec<i64> {
    env.store.ids_where(model, field, &json!(id))
}

/// Ids of `model` matching a predicate on the stored record, ascending.
pub fn find(env: &Env, model: &str, pred: impl Fn(&Record) -> bool) -> Vec<i64> {
    env.store
        .tables
        .get(model)
        .map(|t| t.iter().filter(|(_, r)| pred(r)).map(|(k, _)| *k).collect())
        .unwrap_or_default()
}

/// Ids of `model` whose many2one `field` is `id` and that match `pred`,
/// ascending: `find` narrowed through the index of `field` first.
pub fn find_by(
    env: &Env,
    model: &str,
    field: &str,
    id: i64,
    pred: impl Fn(&Record) -> bool,
) -> Vec<i64> {
    children(env, model, field, id)
        .into_iter()
        .filter(|i| env.record(model, *i).is_some_and(&pred))
        .collect()
}

/// A stored many2many (or any list of ids).
pub fn id_list(rec: &Record, field: &str) -> Vec<i64> {
    rec.get(field)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default()
}

/// A copy of a stored record (empty when missing).
pub fn rec(env: &Env, model: &str, id: i64) -> Record {
    env.record(model, id).cloned().unwrap_or_default()
}

pub fn number(env: &Env, model: &str, id: i64, field: &str) -> f64 {
    env.record(model, id).map(|r| num(r, field)).unwrap_or(0.0)
}

pub fn string(env: &Env, model: &str, id: i64, field: &str) -> String {
    env.record(model, id)
        .and_then(|r| r.get(field))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

pub fn many2one(env: &Env, model: &str, id: i64, field: &str) -> Option<i64> {
    env.record(model, id).and_then(|r| m2o(r, field))
}

/// Stores values without checks and bumps `write_date` (a stored compute
/// rewritten by the ORM).
pub fn touch(env: &mut Env, model: &str, id: i64, v: Value) {
    let mut m = vals(v);
    m.insert("write_date".into(), json!(env.now));
    m.insert("write_uid".into(), json!(env.uid));
    env.set_raw(model, id, m);
}

/// Stores values without checks and without bumping `write_date`.
pub fn put(env: &mut Env, model: &str, id: i64, v: Value) {
    env.set_raw(model, id, vals(v));
}

/// Today (UTC), `YYYY-MM-DD`.
pub fn today(env: &Env) -> String {
    env.now.chars().take(10).collect()
}

/// The year of the transaction, for sequence prefixes.
pub fn year(env: &Env) -> String {
    env.now.chars().take(4).collect()
}

/// A date plus a number of days, `YYYY-MM-DD`.
pub fn add_days(date: &str, days: i64) -> String {
    chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.checked_add_signed(chrono::Duration::days(days)))
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| date.to_string())
}

/// Ids from a context key holding an id list (or a single id).
pub fn ctx_ids(env: &Env, key: &str) -> Vec<i64> {
    match env.context.get(key) {
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_i64).collect(),
        Some(Value::Number(n)) => n.as_i64().into_iter().collect(),
        _ => Vec::new(),
    }
}

pub fn ctx_flag(env: &Env, key: &str) -> bool {
    env.context.get(key).is_some_and(crate::orm::truthy)
}

/// Runs `f` with `extra` merged into the context (`with_context(**extra)`).
pub fn with_ctx<T>(
    env: &mut Env,
    extra: Map<String, Value>,
    f: impl FnOnce(&mut Env) -> Result<T, Fault>,
) -> Result<T, Fault> {
    let mut ctx = env.context.clone();
    for (k, v) in extra {
        ctx.insert(k, v);
    }
    let saved = std::mem::replace(&mut env.context, ctx);
    let r = f(env);
    env.context = saved;
    r
}

/// Ids from `[4, id]` / `[6, 0, ids]` command lists or a plain id list.
pub fn command_ids(v: Option<&Value>) -> Vec<i64> {
    let Some(Value::Array(list)) = v else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for c in list {
        match c {
            Value::Number(n) => out.extend(n.as_i64()),
            Value::Array(cmd) => match cmd.first().and_then(Value::as_i64) {
                Some(4) => out.extend(cmd.get(1).and_then(Value::as_i64)),
                Some(6) => out.extend(
                    cmd.get(2)
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_i64),
                ),
                _ => {}
            },
            _ => {}
        }
    }
    out
}

/// A wizard's `ir.actions.act_window` (target `new`).
pub fn wizard_action(
    name: &str,
    model: &str,
    res_id: Option<i64>,
    context: Map<String, Value>,
) -> Value {
    let mut a = vals(json!({
        "name": name,
        "type": "ir.actions.act_window",
        "view_mode": "form",
        "res_model": model,
        "views": [[false, "form"]],
        "view_id": false,
        "target": "new",
    }));
    if let Some(id) = res_id {
        a.insert("res_id".into(), json!(id));
    }
    a.insert("context".into(), Value::Object(context));
    Value::Object(a)
}

/// Drops the keys `model` does not have on this version (internal values
/// written for every version, e.g. `name` on 19's stock.move).
pub fn retain_known(env: &Env, model: &str, v: &mut Map<String, Value>) {
    if let Some(spec) = env.reg.get(model) {
        v.retain(|k, _| spec.has(k));
    }
}

/// `create` of internal values: fields unknown to this version are left out.
pub fn create(env: &mut Env, model: &str, mut v: Map<String, Value>) -> Result<i64, Fault> {
    retain_known(env, model, &mut v);
    env.create(model, v)
}
