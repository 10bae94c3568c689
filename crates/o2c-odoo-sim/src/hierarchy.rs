//! `child_of` / `parent_of` domain operators over a model's parent field
//! (odoo/osv/expression.py `child_of_domain` / `parent_of_domain`).
//!
//! Odoo turns the operand into ids (a name is name-searched), walks the
//! hierarchy without the active filter (archived nodes still count), and
//! replaces the leaf by an `in` on the ids found — the roots included.
//! The sandbox does the same at parse time, so evaluation only sees `in`.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::fault::Fault;
use crate::orm::Env;
use crate::schema::{FieldType, ModelSpec};

/// The many2one a model's hierarchy follows (`_parent_name`).
pub fn parent_field(spec: &ModelSpec) -> Result<&'static str, Fault> {
    let name = match spec.name.as_str() {
        "stock.location" => "location_id",
        _ => "parent_id",
    };
    match spec.get(name) {
        Some(f) if f.ftype == FieldType::Many2one && f.relation.as_deref() == Some(&spec.name) => {
            Ok(name)
        }
        _ => Err(Fault::value(format!(
            "Invalid parent field: {}.{name}",
            spec.name
        ))),
    }
}

/// The operand of a hierarchy leaf as ids of `spec`'s model: an id, a list
/// of ids and/or names, or a name (matched with `ilike`, like
/// `_name_search`); `false` is no id.
pub fn operand_ids(env: &Env, spec: &ModelSpec, value: &Value) -> Result<Vec<i64>, Fault> {
    let items: Vec<&Value> = match value {
        Value::Array(a) => a.iter().collect(),
        other => vec![other],
    };
    let mut ids = Vec::new();
    for item in items {
        match item {
            Value::Number(n) => ids.extend(n.as_i64()),
            Value::String(s) => {
                let found = env.search(
                    &spec.name,
                    &json!([["display_name", "ilike", s]]),
                    0,
                    None,
                    None,
                )?;
                ids.extend(found);
            }
            _ => {}
        }
    }
    Ok(ids)
}

/// `ids` and all their descendants (existing records only, archived ones
/// included: Odoo searches with `active_test=False`).
pub fn descendants(env: &Env, spec: &ModelSpec, ids: &[i64]) -> Result<BTreeSet<i64>, Fault> {
    let parent = parent_field(spec)?;
    let mut out = BTreeSet::new();
    let mut frontier: Vec<i64> = ids
        .iter()
        .copied()
        .filter(|i| env.exists(&spec.name, *i))
        .collect();
    while let Some(id) = frontier.pop() {
        if out.insert(id) {
            frontier.extend(env.store.ids_where(&spec.name, parent, &json!(id)));
        }
    }
    Ok(out)
}

/// `ids` and all their ancestors.
pub fn ancestors(env: &Env, spec: &ModelSpec, ids: &[i64]) -> Result<BTreeSet<i64>, Fault> {
    let parent = parent_field(spec)?;
    let mut out = BTreeSet::new();
    for id in ids {
        let mut cur = Some(*id).filter(|i| env.exists(&spec.name, *i));
        while let Some(c) = cur {
            if !out.insert(c) {
                break;
            }
            cur = env
                .record(&spec.name, c)
                .and_then(|r| r.get(parent))
                .and_then(Value::as_i64);
        }
    }
    Ok(out)
}
