//! `Model.load(fields, rows)`: Odoo's import, used as an atomic upsert by
//! external id.
//!
//! Rows are grouped into records (a row whose own, non-one2many columns are
//! all empty continues the previous record's one2many lines); each record
//! with an external id that exists is written, otherwise created together
//! with its external id. Lines with their own external ids are updated in
//! place; lines without one are appended; lines not mentioned are kept.
//! Any error rolls the whole call back and is reported in `messages`.

use serde_json::{Map, Value, json};

use crate::OdooVersion;
use crate::fault::Fault;
use crate::models::ir_model_data;
use crate::orm::Env;
use crate::schema::{FieldDef, FieldType, ModelSpec};

/// One column: its path split on `/`.
#[derive(Debug, Clone)]
struct Column {
    index: usize,
    path: Vec<String>,
}

/// A record extracted from rows, with its one2many sub-records.
#[derive(Debug)]
struct Extracted {
    from: usize,
    to: usize,
    /// top-level column path → cell
    cells: Vec<(Vec<String>, Value)>,
    /// one2many field → sub-records
    subs: Vec<(String, Vec<Extracted>)>,
}

fn cell_empty(v: &Value) -> bool {
    match v {
        Value::Null | Value::Bool(false) => true,
        Value::String(s) => s.is_empty(),
        _ => false,
    }
}

fn cell_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null | Value::Bool(false) => String::new(),
        other => other.to_string(),
    }
}

/// Groups `rows` (row index, cells) into records for `spec`.
fn extract(
    env: &Env,
    spec: &ModelSpec,
    cols: &[Column],
    rows: &[(usize, Vec<Value>)],
) -> Vec<Extracted> {
    let is_sub = |c: &Column| {
        c.path.len() > 1
            && spec
                .get(&c.path[0])
                .is_some_and(|f| f.ftype == FieldType::One2many)
    };
    let own: Vec<&Column> = cols.iter().filter(|c| !is_sub(c)).collect();
    let mut out: Vec<Extracted> = Vec::new();
    let mut groups: Vec<Vec<&(usize, Vec<Value>)>> = Vec::new();
    for row in rows {
        let starts = groups.is_empty()
            || own
                .iter()
                .any(|c| row.1.get(c.index).is_some_and(|v| !cell_empty(v)));
        if starts {
            groups.push(vec![row]);
        } else if let Some(g) = groups.last_mut() {
            g.push(row);
        }
    }
    for g in groups {
        let first = g[0];
        let cells = own
            .iter()
            .map(|c| {
                (
                    c.path.clone(),
                    first.1.get(c.index).cloned().unwrap_or(Value::Null),
                )
            })
            .collect();
        // one2many sub-columns, grouped by field, in column order
        let mut sub_fields: Vec<String> = Vec::new();
        for c in cols.iter().filter(|c| is_sub(c)) {
            if !sub_fields.contains(&c.path[0]) {
                sub_fields.push(c.path[0].clone());
            }
        }
        let mut subs = Vec::new();
        for field in sub_fields {
            let Some(rel) = spec
                .get(&field)
                .and_then(|f| f.relation.as_deref())
                .and_then(|r| env.reg.get(r))
            else {
                continue;
            };
            let sub_cols: Vec<Column> = cols
                .iter()
                .filter(|c| is_sub(c) && c.path[0] == field)
                .map(|c| Column {
                    index: c.index,
                    path: c.path[1..].to_vec(),
                })
                .collect();
            let sub_rows: Vec<(usize, Vec<Value>)> = g
                .iter()
                .filter(|r| {
                    sub_cols
                        .iter()
                        .any(|c| r.1.get(c.index).is_some_and(|v| !cell_empty(v)))
                })
                .map(|r| (*r).clone())
                .collect();
            subs.push((field, extract(env, rel, &sub_cols, &sub_rows)));
        }
        out.push(Extracted {
            from: first.0,
            to: g.last().map(|r| r.0).unwrap_or(first.0),
            cells,
            subs,
        });
    }
    out
}

struct Ctx<'m> {
    messages: &'m mut Vec<Value>,
    record: usize,
    from: usize,
    to: usize,
}

impl Ctx<'_> {
    fn error(&mut self, field: Option<&FieldDef>, message: String, moreinfo: Option<Value>) {
        let mut m = Map::new();
        m.insert("rows".into(), json!({"from": self.from, "to": self.to}));
        m.insert("type".into(), json!("error"));
        m.insert("record".into(), json!(self.record));
        if let Some(f) = field {
            m.insert("field".into(), json!(f.name));
        }
        m.insert("message".into(), json!(message));
        if let Some(mi) = moreinfo {
            m.insert("moreinfo".into(), mi);
        }
        if let Some(f) = field {
            m.insert("field_name".into(), json!(f.string));
        }
        self.messages.push(Value::Object(m));
    }
}

fn possible_values(version: OdooVersion, relation: &str) -> Value {
    let list = if version == OdooVersion::V16 {
        "tree"
    } else {
        "list"
    };
    json!({
        "name": "Possible Values",
        "type": "ir.actions.act_window",
        "target": "new",
        "view_mode": format!("{list},form"),
        "views": [[false, list], [false, "form"]],
        "context": {"create": false},
        "help": "See all possible values",
        "res_model": "ir.model.data",
        "domain": [["model", "=", relation]],
    })
}

/// Converts one cell for field `f` (sub-path `rest`); `None` after an error.
fn convert_cell(
    env: &Env,
    f: &FieldDef,
    rest: &[String],
    cell: &Value,
    ctx: &mut Ctx,
) -> Option<Value> {
    if cell_empty(cell) {
        return Some(json!(false));
    }
    let s = cell_text(cell);
    let rel = f.relation.as_deref().unwrap_or("");
    match (f.ftype, rest.first().map(String::as_str)) {
        (FieldType::Many2one, Some(".id")) => {
            let id = s.trim().parse::<i64>().ok().filter(|i| env.exists(rel, *i));
            if id.is_none() {
                ctx.error(
                    Some(f),
                    format!(
                        "No matching record found for database id '{s}' in field '{}'",
                        f.string
                    ),
                    Some(possible_values(env.version, rel)),
                );
            }
            id.map(Value::from)
        }
        (FieldType::Many2one, Some("id")) => {
            let id = ir_model_data::resolve(env, &s, rel);
            if id.is_none() {
                ctx.error(
                    Some(f),
                    format!(
                        "No matching record found for external id '{s}' in field '{}'",
                        f.string
                    ),
                    Some(possible_values(env.version, rel)),
                );
            }
            id.map(Value::from)
        }
        (FieldType::Many2one, _) => {
            let found = env
                .search(
                    rel,
                    &json!([["display_name", "=ilike", s]]),
                    0,
                    Some(1),
                    None,
                )
                .ok()
                .and_then(|v| v.first().copied());
            if found.is_none() {
                ctx.error(
                    Some(f),
                    format!(
                        "No matching record found for name '{s}' in field '{}'",
                        f.string
                    ),
                    Some(possible_values(env.version, rel)),
                );
            }
            found.map(Value::from)
        }
        (FieldType::Many2many, sub) => {
            let mut ids = Vec::new();
            for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                let id = match sub {
                    Some(".id") => part.parse::<i64>().ok().filter(|i| env.exists(rel, *i)),
                    _ => ir_model_data::resolve(env, part, rel),
                };
                match id {
                    Some(i) => ids.push(i),
                    None => {
                        ctx.error(
                            Some(f),
                            format!(
                                "No matching record found for external id '{part}' in field '{}'",
                                f.string
                            ),
                            Some(possible_values(env.version, rel)),
                        );
                        return None;
                    }
                }
            }
            Some(json!([[6, 0, ids]]))
        }
        (FieldType::Integer | FieldType::Float | FieldType::Monetary, _) => {
            if cell.is_number() {
                return Some(cell.clone());
            }
            match s.trim().parse::<f64>() {
                Ok(x) if f.ftype == FieldType::Integer => Some(json!(x as i64)),
                Ok(x) => Some(json!(x)),
                Err(_) => {
                    ctx.error(
                        Some(f),
                        format!(
                            "'{s}' does not seem to be {} for field '{}'",
                            if f.ftype == FieldType::Integer {
                                "an integer"
                            } else {
                                "a number"
                            },
                            f.string
                        ),
                        None,
                    );
                    None
                }
            }
        }
        (FieldType::Boolean, _) => {
            if let Value::Bool(b) = cell {
                return Some(json!(b));
            }
            match s.trim().to_lowercase().as_str() {
                "1" | "true" | "yes" => Some(json!(true)),
                "0" | "false" | "no" => Some(json!(false)),
                _ => {
                    ctx.error(
                        Some(f),
                        format!("Unknown value '{s}' for boolean field '{}'", f.string),
                        None,
                    );
                    None
                }
            }
        }
        (FieldType::Selection, _) => {
            let sel = f.selection.clone().unwrap_or_default();
            match sel
                .iter()
                .find(|(k, l)| *k == s || l.eq_ignore_ascii_case(&s))
            {
                Some((k, _)) => Some(json!(k)),
                None => {
                    ctx.error(
                        Some(f),
                        format!("Value '{s}' not found in selection field '{}'", f.string),
                        None,
                    );
                    None
                }
            }
        }
        _ => Some(Value::String(s)),
    }
}

/// Turns a required-field fault into load's message, if it is one.
fn required_message(fault: &Fault) -> Option<(String, String)> {
    let line = fault
        .message
        .lines()
        .rev()
        .find(|l| l.starts_with("Field: "))?;
    if !fault.message.contains("a mandatory field is not set") {
        return None;
    }
    let rest = line.strip_prefix("Field: ")?;
    let (string, name) = rest.rsplit_once(" (")?;
    Some((string.to_string(), name.trim_end_matches(')').to_string()))
}

/// Writes or creates one extracted record; returns its id.
fn upsert(
    env: &mut Env,
    spec: &ModelSpec,
    rec: &Extracted,
    parent: Option<(&str, i64)>,
    ctx: &mut Ctx,
) -> Option<i64> {
    let mut vals = Map::new();
    let mut xmlid: Option<String> = None;
    let mut db_id: Option<i64> = None;
    let mut ok = true;
    for (path, cell) in &rec.cells {
        match path[0].as_str() {
            "id" if path.len() == 1 => {
                if !cell_empty(cell) {
                    xmlid = Some(cell_text(cell));
                }
            }
            ".id" if path.len() == 1 => {
                if !cell_empty(cell) {
                    match cell_text(cell).trim().parse::<i64>() {
                        Ok(i) if env.exists(&spec.name, i) => db_id = Some(i),
                        _ => {
                            ctx.error(
                                None,
                                format!("Unknown database identifier '{}'", cell_text(cell)),
                                None,
                            );
                            ok = false;
                        }
                    }
                }
            }
            name => {
                let Some(f) = spec.get(name) else {
                    ctx.error(
                        None,
                        format!("Invalid field '{name}' on model '{}'", spec.name),
                        None,
                    );
                    ok = false;
                    continue;
                };
                match convert_cell(env, f, &path[1..], cell, ctx) {
                    Some(v) => {
                        vals.insert(f.name.clone(), v);
                    }
                    None => ok = false,
                }
            }
        }
    }
    if let Some((inverse, pid)) = parent {
        vals.insert(inverse.to_string(), json!(pid));
    }
    let existing = db_id.or_else(|| {
        xmlid
            .as_deref()
            .and_then(|x| ir_model_data::resolve(env, x, &spec.name))
    });
    let result = match existing {
        Some(id) => env.write(&spec.name, &[id], &vals).map(|_| id),
        None => {
            // like Odoo, the failed conversions are dropped and the create is
            // still tried, so a missing required value is reported too
            env.create(&spec.name, vals)
        }
    };
    let id = match result {
        Ok(id) => id,
        Err(fault) => {
            match required_message(&fault) {
                Some((string, name)) => {
                    let mut m = Map::new();
                    m.insert("rows".into(), json!({"from": ctx.from, "to": ctx.to}));
                    m.insert("record".into(), json!(ctx.record));
                    m.insert("type".into(), json!("error"));
                    m.insert(
                        "message".into(),
                        json!(format!(
                            "Missing required value for the field '{string}' ({name})"
                        )),
                    );
                    m.insert("field".into(), json!(name));
                    ctx.messages.push(Value::Object(m));
                }
                None => ctx.error(None, fault.message.clone(), None),
            }
            return None;
        }
    };
    if !ok {
        return None;
    }
    if let Some(x) = &xmlid
        && let Err(fault) = ir_model_data::ensure(env, x, &spec.name, id)
    {
        ctx.error(None, fault.message, None);
        return None;
    }
    for (field, subs) in &rec.subs {
        let Some(f) = spec.get(field) else { continue };
        let Some(rel) = f.relation.as_deref().and_then(|r| env.reg.get(r)) else {
            continue;
        };
        let inverse = f.inverse.clone().unwrap_or_default();
        for sub in subs {
            upsert(env, rel, sub, Some((&inverse, id)), ctx)?;
        }
    }
    Some(id)
}

/// `load(fields, data)`.
pub fn load(
    env: &mut Env,
    model: &str,
    fields: &[String],
    data: &[Vec<Value>],
) -> Result<Value, Fault> {
    let spec = env.spec(model)?;
    let cols: Vec<Column> = fields
        .iter()
        .enumerate()
        .map(|(index, f)| Column {
            index,
            path: f.split('/').map(str::to_string).collect(),
        })
        .collect();
    let rows: Vec<(usize, Vec<Value>)> = data.iter().cloned().enumerate().collect();
    let records = extract(env, spec, &cols, &rows);
    let mut messages = Vec::new();
    let mut ids = Vec::new();
    for (i, rec) in records.iter().enumerate() {
        let mut ctx = Ctx {
            messages: &mut messages,
            record: i,
            from: rec.from,
            to: rec.to,
        };
        if let Some(id) = upsert(env, spec, rec, None, &mut ctx) {
            ids.push(id);
        }
    }
    if !messages.is_empty() {
        env.rollback();
        return Ok(json!({"ids": false, "messages": messages, "nextrow": 0}));
    }
    Ok(json!({"ids": ids, "messages": [], "nextrow": 0}))
}
