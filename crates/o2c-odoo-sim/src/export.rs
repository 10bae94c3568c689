//! `export_data(ids, fields)`: the rows the web client's export gives, and
//! its side effect: a record without an external id gets one,
//! `__export__.<table>_<id>_<8 hex>`, so that re-importing the file updates
//! it (odoo/models.py `_export_rows` and `__ensure_xml_id`).

use serde_json::{Value, json};

use crate::fault::Fault;
use crate::models::ir_model_data;
use crate::orm::Env;
use crate::schema::FieldType;

/// The external id of `model(id)`, made under `__export__` when missing.
fn xmlid(env: &mut Env, model: &str, id: i64) -> Result<String, Fault> {
    let existing = env.store.tables.get("ir.model.data").and_then(|t| {
        t.values().find_map(|r| {
            (r.get("model").and_then(Value::as_str) == Some(model)
                && r.get("res_id").and_then(Value::as_i64) == Some(id))
            .then(|| {
                format!(
                    "{}.{}",
                    r.get("module").and_then(Value::as_str).unwrap_or(""),
                    r.get("name").and_then(Value::as_str).unwrap_or("")
                )
            })
        })
    });
    if let Some(x) = existing {
        return Ok(x);
    }
    // Odoo: uuid.uuid4().hex[:8]
    let suffix = format!("{:08x}", rand::random::<u32>());
    let name = format!("{}_{id}_{suffix}", model.replace('.', "_"));
    let full = format!("__export__.{name}");
    ir_model_data::ensure(env, &full, model, id)?;
    Ok(full)
}

/// One exported cell: a field path `a`, `a/id` or `.id` (no deeper paths).
fn cell(env: &mut Env, model: &str, id: i64, path: &str) -> Result<Value, Fault> {
    match path {
        "id" => return Ok(json!(xmlid(env, model, id)?)),
        ".id" => return Ok(json!(id)),
        _ => {}
    }
    let (field, sub) = match path.split_once('/') {
        Some((f, s)) => (f, Some(s)),
        None => (path, None),
    };
    let spec = env.spec(model)?;
    let f = spec
        .get(field)
        .ok_or_else(|| Fault::invalid_field(model, field))?
        .clone();
    let rec = env.record(model, id).cloned().unwrap_or_default();
    let v = env.read_value(spec, id, &rec, &f);
    let related = |v: &Value| -> Vec<i64> {
        match v {
            Value::Array(a) if f.ftype == FieldType::Many2one => {
                a.first().and_then(Value::as_i64).into_iter().collect()
            }
            Value::Array(a) => a.iter().filter_map(Value::as_i64).collect(),
            _ => Vec::new(),
        }
    };
    let rel = f.relation.clone().unwrap_or_default();
    Ok(match (sub, &f.ftype) {
        (Some("id"), _) => {
            let mut ids = Vec::new();
            for r in related(&v) {
                ids.push(xmlid(env, &rel, r)?);
            }
            json!(ids.join(","))
        }
        (Some(".id"), _) => json!(related(&v).first().copied().unwrap_or(0)),
        (_, FieldType::Many2one | FieldType::Many2many | FieldType::One2many) => {
            let names: Vec<String> = related(&v)
                .iter()
                .map(|r| env.display_name(&rel, *r))
                .collect();
            json!(names.join(","))
        }
        // Field.convert_to_export: a falsy value exports as ''
        (_, FieldType::Boolean) => v,
        (_, _) if v == json!(false) || v.is_null() => json!(""),
        _ => v,
    })
}

/// `export_data(ids, fields)` → `{"datas": rows}`.
pub fn export_data(
    env: &mut Env,
    model: &str,
    ids: &[i64],
    fields: &[String],
) -> Result<Value, Fault> {
    let mut rows = Vec::new();
    let existing: Vec<i64> = ids
        .iter()
        .copied()
        .filter(|i| env.exists(model, *i))
        .collect();
    for id in existing {
        let mut row = Vec::new();
        for f in fields {
            row.push(cell(env, model, id, f)?);
        }
        rows.push(Value::Array(row));
    }
    Ok(json!({ "datas": rows }))
}
