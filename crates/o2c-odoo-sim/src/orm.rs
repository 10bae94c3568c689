//! The generic ORM over the in-memory store: create / read / write / unlink /
//! search with Odoo's value conventions, inside an undo-logged transaction.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value, json};

use crate::OdooVersion;
use crate::domain::{self, Node};
use crate::fault::{Fault, py_repr};
use crate::index::{self, Indexes, Key};
use crate::schema::{FieldDef, FieldType, ModelSpec, Registry};

/// A stored record: field name → stored value (many2one as an id, many2many
/// as a list of ids; one2many are derived from their inverse and not stored).
pub type Record = Map<String, Value>;

/// All tables, plus id and sequence counters (like PostgreSQL sequences,
/// counters are not rolled back).
#[derive(Default, Clone)]
pub struct Store {
    pub tables: HashMap<String, BTreeMap<i64, Record>>,
    pub next_id: HashMap<String, i64>,
    pub sequences: HashMap<String, i64>,
    /// Value indexes over `tables`, kept in step by the `Env` mutators;
    /// `tables` must only be changed through them once a lookup was made.
    pub indexes: Indexes,
}

impl Store {
    /// Ids of `model` whose stored `field` holds `value` (an id or a
    /// string), ascending — the indexed form of a table scan.
    pub fn ids_where(&self, model: &str, field: &str, value: &Value) -> Vec<i64> {
        let Some(key) = Key::of(value) else {
            return Vec::new();
        };
        self.indexes
            .lookup(self.tables.get(model), model, field, &key)
    }
}

struct Undo {
    model: String,
    id: i64,
    old: Option<Record>,
}

/// One call's environment: the registry, the store, the user and an undo log
/// that makes the call atomic.
pub struct Env<'a> {
    pub reg: &'a Registry,
    pub store: &'a mut Store,
    undo: Vec<Undo>,
    pub uid: i64,
    pub version: OdooVersion,
    /// Transaction time, `YYYY-MM-DD HH:MM:SS.ffffff` (UTC); reads show
    /// whole seconds, like Odoo.
    pub now: String,
    pub context: Map<String, Value>,
}

impl<'a> Env<'a> {
    pub fn new(
        reg: &'a Registry,
        store: &'a mut Store,
        uid: i64,
        version: OdooVersion,
        context: Map<String, Value>,
    ) -> Env<'a> {
        Env::new_at(
            reg,
            store,
            uid,
            version,
            context,
            chrono::Utc::now().naive_utc(),
        )
    }

    /// A transaction that started at `now` (the sandbox's clock).
    pub fn new_at(
        reg: &'a Registry,
        store: &'a mut Store,
        uid: i64,
        version: OdooVersion,
        context: Map<String, Value>,
        now: chrono::NaiveDateTime,
    ) -> Env<'a> {
        Env {
            reg,
            store,
            undo: Vec::new(),
            uid,
            version,
            now: crate::clock::format(now),
            context,
        }
    }

    /// `now` as Odoo displays datetimes.
    pub fn now_display(&self) -> String {
        self.now.chars().take(19).collect()
    }

    pub fn spec(&self, model: &str) -> Result<&'a ModelSpec, Fault> {
        let reg: &'a Registry = self.reg;
        reg.get(model).ok_or_else(|| Fault::unknown_model(model))
    }

    pub fn record(&self, model: &str, id: i64) -> Option<&Record> {
        self.store.tables.get(model).and_then(|t| t.get(&id))
    }

    pub fn exists(&self, model: &str, id: i64) -> bool {
        self.record(model, id).is_some()
    }

    pub fn all_ids(&self, model: &str) -> Vec<i64> {
        self.store
            .tables
            .get(model)
            .map(|t| t.keys().copied().collect())
            .unwrap_or_default()
    }

    fn save_undo(&mut self, model: &str, id: i64) {
        let old = self.record(model, id).cloned();
        self.undo.push(Undo {
            model: model.to_string(),
            id,
            old,
        });
    }

    /// Inserts or replaces a whole record, bypassing every check.
    pub fn insert_raw(&mut self, model: &str, id: i64, rec: Record) {
        self.save_undo(model, id);
        let table = self.store.tables.entry(model.to_string()).or_default();
        self.store
            .indexes
            .replace(model, id, table.get(&id), Some(&rec));
        table.insert(id, rec);
    }

    /// Merges values into a stored record, bypassing every check.
    pub fn set_raw(&mut self, model: &str, id: i64, vals: Map<String, Value>) {
        self.save_undo(model, id);
        if let Some(rec) = self
            .store
            .tables
            .get_mut(model)
            .and_then(|t| t.get_mut(&id))
        {
            self.store.indexes.merge(model, id, rec, &vals);
            for (k, v) in vals {
                rec.insert(k, v);
            }
        }
    }

    pub fn remove_raw(&mut self, model: &str, id: i64) -> Option<Record> {
        self.save_undo(model, id);
        let removed = self.store.tables.get_mut(model).and_then(|t| t.remove(&id));
        self.store
            .indexes
            .replace(model, id, removed.as_ref(), None);
        removed
    }

    /// Undoes every change made through this environment.
    pub fn rollback(&mut self) {
        while let Some(u) = self.undo.pop() {
            let table = self.store.tables.entry(u.model.clone()).or_default();
            let current = match &u.old {
                Some(r) => table.insert(u.id, r.clone()),
                None => table.remove(&u.id),
            };
            self.store
                .indexes
                .replace(&u.model, u.id, current.as_ref(), u.old.as_ref());
        }
    }

    pub fn new_id(&mut self, model: &str) -> i64 {
        let n = self.store.next_id.entry(model.to_string()).or_insert(1);
        let id = *n;
        *n += 1;
        id
    }

    pub fn next_sequence(&mut self, code: &str) -> i64 {
        let n = self.store.sequences.entry(code.to_string()).or_insert(0);
        *n += 1;
        *n
    }

    pub fn display_name(&self, model: &str, id: i64) -> String {
        let Some(spec) = self.reg.get(model) else {
            return format!("{model},{id}");
        };
        let Some(rec) = self.record(model, id) else {
            return format!("{model},{id}");
        };
        if let Some(n) = spec.hooks.display_name(self, id, rec) {
            return n;
        }
        match rec.get("name") {
            Some(Value::String(s)) => s.clone(),
            _ => format!("{model},{id}"),
        }
    }

    /// The stored value of a field (or the computed one for `id`,
    /// `display_name`, `__last_update`); `Null` when unset.
    pub fn raw_value(&self, spec: &ModelSpec, id: i64, rec: &Record, field: &str) -> Value {
        match field {
            "id" => json!(id),
            "display_name" => Value::String(self.display_name(&spec.name, id)),
            "__last_update" => rec.get("write_date").cloned().unwrap_or(Value::Null),
            f => match rec.get(f) {
                Some(v) => v.clone(),
                None => spec.hooks.compute(self, id, rec, f).unwrap_or(Value::Null),
            },
        }
    }

    /// The ids an x2many field holds, in the comodel's order.
    pub fn x2many_ids(&self, spec: &ModelSpec, id: i64, rec: &Record, f: &FieldDef) -> Vec<i64> {
        let Some(rel) = f.relation.as_deref() else {
            return Vec::new();
        };
        match f.ftype {
            FieldType::Many2many => rec
                .get(&f.name)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_i64)
                        .filter(|i| self.reg.get(rel).is_none() || self.exists(rel, *i))
                        .collect()
                })
                .unwrap_or_default(),
            FieldType::One2many => {
                let Some(inv) = f.inverse.as_deref() else {
                    return spec
                        .hooks
                        .compute(self, id, rec, &f.name)
                        .and_then(|v| v.as_array().cloned())
                        .map(|a| a.iter().filter_map(Value::as_i64).collect())
                        .unwrap_or_default();
                };
                let ids = self.store.ids_where(rel, inv, &json!(id));
                match self.reg.get(rel) {
                    Some(rspec) => self.sort_ids(rspec, ids, &rspec.order).unwrap_or_default(),
                    None => ids,
                }
            }
            _ => Vec::new(),
        }
    }

    /// A field's value in the wire format of `read`.
    pub fn read_value(&self, spec: &ModelSpec, id: i64, rec: &Record, f: &FieldDef) -> Value {
        match f.ftype {
            FieldType::Many2one => {
                // a stored id, else a computed one (16's repartition `tax_id`)
                let target = rec.get(&f.name).and_then(Value::as_i64).or_else(|| {
                    spec.hooks
                        .compute(self, id, rec, &f.name)
                        .and_then(|v| v.as_i64())
                });
                let Some(target) = target else {
                    return json!(false);
                };
                let rel = f.relation.as_deref().unwrap_or("");
                if self.reg.get(rel).is_some() && !self.exists(rel, target) {
                    return json!(false);
                }
                json!([target, self.display_name(rel, target)])
            }
            FieldType::One2many | FieldType::Many2many => json!(self.x2many_ids(spec, id, rec, f)),
            t => {
                let v = self.raw_value(spec, id, rec, &f.name);
                match (t, v) {
                    (FieldType::Integer, Value::Null | Value::Bool(false)) => json!(0),
                    (FieldType::Float | FieldType::Monetary, Value::Null | Value::Bool(false)) => {
                        json!(0.0)
                    }
                    (FieldType::Boolean, Value::Null) => json!(false),
                    (FieldType::Datetime, Value::String(s)) => {
                        Value::String(s.chars().take(19).collect())
                    }
                    (_, Value::Null) => json!(false),
                    (_, v) => v,
                }
            }
        }
    }

    /// Raises `MissingError` for the ids that do not exist.
    pub fn check_exist(&self, model: &str, ids: &[i64]) -> Result<(), Fault> {
        let missing: Vec<i64> = ids
            .iter()
            .copied()
            .filter(|i| !self.exists(model, *i))
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(Fault::missing(model, &missing, self.uid))
        }
    }

    /// `read(ids, fields)`: missing ids are silently dropped.
    pub fn read(&self, model: &str, ids: &[i64], fields: &[String]) -> Result<Vec<Value>, Fault> {
        let spec = self.spec(model)?;
        let mut names: Vec<&FieldDef> = Vec::new();
        if fields.is_empty() {
            names.extend(spec.fields.values().filter(|f| f.name != "id"));
        } else {
            for f in fields {
                if f == "id" {
                    continue;
                }
                match spec.get(f) {
                    Some(def) => names.push(def),
                    None if f == "__last_update" && self.version == OdooVersion::V16 => {}
                    None => return Err(Fault::invalid_field(model, f)),
                }
            }
        }
        let last_update = fields.iter().any(|f| f == "__last_update");
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for id in ids {
            if !seen.insert(*id) {
                continue;
            }
            let Some(rec) = self.record(model, *id) else {
                continue;
            };
            let mut row = Map::new();
            row.insert("id".into(), json!(id));
            for f in &fields_in_request_order(fields, &names) {
                if *f == "__last_update" {
                    let v = rec
                        .get("write_date")
                        .and_then(Value::as_str)
                        .map(|s| json!(s.chars().take(19).collect::<String>()))
                        .unwrap_or(json!(false));
                    row.insert("__last_update".into(), v);
                    continue;
                }
                if let Some(def) = names.iter().find(|d| d.name == *f) {
                    row.insert(def.name.clone(), self.read_value(spec, *id, rec, def));
                }
            }
            let _ = last_update;
            out.push(Value::Object(row));
        }
        Ok(out)
    }

    /// Ids matching `domain`, ordered and paged.
    pub fn search(
        &self,
        model: &str,
        domain: &Value,
        offset: usize,
        limit: Option<usize>,
        order: Option<&str>,
    ) -> Result<Vec<i64>, Fault> {
        let spec = self.spec(model)?;
        let mut node = domain::parse(self, spec, domain)?;
        let active_test = self
            .context
            .get("active_test")
            .and_then(Value::as_bool)
            .unwrap_or(true);
        if active_test && spec.has("active") && !node.mentions("active") {
            node = Node::And(vec![
                node,
                Node::Leaf {
                    path: vec!["active".into()],
                    op: domain::Op::Eq,
                    value: json!(true),
                },
            ]);
        }
        let ids: Vec<i64> = match (
            self.store.tables.get(model),
            index::candidates(self, spec, &node),
        ) {
            (Some(t), Some(candidates)) => candidates
                .into_iter()
                .filter(|id| {
                    t.get(id)
                        .is_some_and(|rec| domain::eval(self, spec, *id, rec, &node))
                })
                .collect(),
            (Some(t), None) => t
                .iter()
                .filter(|(id, rec)| domain::eval(self, spec, **id, rec, &node))
                .map(|(id, _)| *id)
                .collect(),
            (None, _) => Vec::new(),
        };
        let order = match order {
            Some(o) if !o.trim().is_empty() => o,
            _ => spec.order.as_str(),
        };
        let ids = self.sort_ids(spec, ids, order)?;
        Ok(ids
            .into_iter()
            .skip(offset)
            .take(limit.unwrap_or(usize::MAX))
            .collect())
    }

    /// `ids` of `model` in `order` (the model's `_order` by default).
    pub fn sorted(
        &self,
        model: &str,
        ids: Vec<i64>,
        order: Option<&str>,
    ) -> Result<Vec<i64>, Fault> {
        let spec = self.spec(model)?;
        let order = order.unwrap_or(spec.order.as_str());
        self.sort_ids(spec, ids, order)
    }

    fn sort_ids(&self, spec: &ModelSpec, ids: Vec<i64>, order: &str) -> Result<Vec<i64>, Fault> {
        let terms = domain::parse_order(spec, order)?;
        if terms.is_empty() {
            return Ok(ids);
        }
        let mut keyed: Vec<(Vec<Value>, i64)> = ids
            .into_iter()
            .map(|id| {
                let rec = self.record(&spec.name, id);
                let keys = terms
                    .iter()
                    .map(|t| {
                        let Some(rec) = rec else { return Value::Null };
                        let f = spec.get(&t.field);
                        match f {
                            Some(def) if def.ftype == FieldType::Many2one => rec
                                .get(&def.name)
                                .and_then(Value::as_i64)
                                .map(|i| {
                                    Value::String(
                                        self.display_name(def.relation.as_deref().unwrap_or(""), i),
                                    )
                                })
                                .unwrap_or(Value::Null),
                            _ => self.raw_value(spec, id, rec, &t.field),
                        }
                    })
                    .collect();
                (keys, id)
            })
            .collect();
        keyed.sort_by(|(a, ia), (b, ib)| {
            for (i, t) in terms.iter().enumerate() {
                let o = domain::cmp_values(&a[i], &b[i], t.desc);
                if o != std::cmp::Ordering::Equal {
                    return o;
                }
            }
            ia.cmp(ib)
        });
        Ok(keyed.into_iter().map(|(_, id)| id).collect())
    }

    /// Converts one non-x2many value to its stored form, with Odoo's errors.
    pub fn convert(&self, spec: &ModelSpec, f: &FieldDef, v: &Value) -> Result<Value, Fault> {
        let unset = matches!(v, Value::Null | Value::Bool(false));
        Ok(match f.ftype {
            FieldType::Char | FieldType::Text | FieldType::Html | FieldType::Date => match v {
                _ if unset => json!(false),
                Value::String(s) => Value::String(s.clone()),
                Value::Number(n) => Value::String(n.to_string()),
                other => Value::String(py_repr(other)),
            },
            FieldType::Datetime => match v {
                _ if unset => json!(false),
                Value::String(s) => Value::String(domain::normalize_datetime(s)),
                other => return Err(Fault::value(format!("Invalid datetime {}", py_repr(other)))),
            },
            FieldType::Selection => {
                if unset {
                    json!(false)
                } else {
                    let key = match v {
                        Value::String(s) => s.clone(),
                        other => py_repr(other),
                    };
                    let ok = f
                        .selection
                        .as_ref()
                        .is_none_or(|sel| sel.iter().any(|(k, _)| *k == key));
                    if !ok {
                        return Err(Fault::value(format!(
                            "Wrong value for {}.{}: {}",
                            spec.name,
                            f.name,
                            py_repr(v)
                        )));
                    }
                    Value::String(key)
                }
            }
            FieldType::Boolean => json!(truthy(v)),
            FieldType::Integer => match v {
                _ if unset => json!(0),
                Value::Bool(true) => json!(1),
                Value::Number(n) => match n.as_i64() {
                    Some(i) => json!(i),
                    None => json!(n.as_f64().unwrap_or(0.0) as i64),
                },
                Value::String(s) => match s.trim().parse::<i64>() {
                    Ok(i) => json!(i),
                    Err(_) => {
                        return Err(Fault::value(format!(
                            "invalid literal for int() with base 10: {}",
                            py_repr(v)
                        )));
                    }
                },
                other => {
                    return Err(Fault::type_error(format!(
                        "int() argument must be a string, a bytes-like object or a real number, not '{}'",
                        py_type(other)
                    )));
                }
            },
            FieldType::Float | FieldType::Monetary => match v {
                _ if unset => json!(0.0),
                Value::Bool(true) => json!(1.0),
                Value::Number(n) => json!(n.as_f64().unwrap_or(0.0)),
                Value::String(s) => match s.trim().parse::<f64>() {
                    Ok(x) => json!(x),
                    Err(_) => {
                        return Err(Fault::value(format!(
                            "could not convert string to float: {}",
                            py_repr(v)
                        )));
                    }
                },
                other => {
                    return Err(Fault::type_error(format!(
                        "float() argument must be a string or a real number, not '{}'",
                        py_type(other)
                    )));
                }
            },
            FieldType::Many2one => {
                let id = match v {
                    _ if unset => return Ok(json!(false)),
                    Value::Number(n) => n.as_i64(),
                    Value::Array(a) => a.first().and_then(Value::as_i64),
                    Value::String(s) => s.trim().parse::<i64>().ok(),
                    _ => None,
                };
                let Some(id) = id else {
                    return Err(Fault::value(format!(
                        "invalid literal for int() with base 10: {}",
                        py_repr(v)
                    )));
                };
                json!(id)
            }
            _ => v.clone(),
        })
    }

    /// The foreign-key check PostgreSQL makes at INSERT/UPDATE time: a
    /// many2one to a missing record is a `MissingError` on the comodel.
    fn check_fk(&self, spec: &ModelSpec, vals: &Map<String, Value>) -> Result<(), Fault> {
        for (k, v) in vals {
            let Some(f) = spec.get(k) else { continue };
            if f.ftype != FieldType::Many2one {
                continue;
            }
            let (Some(id), Some(rel)) = (v.as_i64(), f.relation.as_deref()) else {
                continue;
            };
            if self.reg.get(rel).is_some() && !self.exists(rel, id) {
                return Err(Fault::missing(rel, &[id], self.uid));
            }
        }
        Ok(())
    }

    fn check_required(&self, spec: &ModelSpec, rec: &Record) -> Result<(), Fault> {
        for f in spec.fields.values() {
            if !f.required || f.ftype.is_x2many() || f.ftype.is_numeric() {
                continue;
            }
            if matches!(
                f.ftype,
                FieldType::Boolean | FieldType::Binary | FieldType::Json
            ) {
                continue;
            }
            if let Some(rel) = f.relation.as_deref()
                && self.reg.get(rel).is_none()
            {
                // comodel not simulated: its NOT NULL cannot be honoured
                continue;
            }
            if spec.hooks.computed(&f.name) {
                continue;
            }
            let missing = match rec.get(&f.name) {
                None | Some(Value::Null) | Some(Value::Bool(false)) => true,
                Some(Value::String(s)) => s.is_empty(),
                _ => false,
            };
            if missing {
                return Err(Fault::required(
                    &spec.description,
                    &spec.name,
                    &f.string,
                    &f.name,
                ));
            }
        }
        Ok(())
    }

    /// `create(vals)`.
    pub fn create(&mut self, model: &str, mut vals: Map<String, Value>) -> Result<i64, Fault> {
        let spec = self.spec(model)?;
        for k in vals.keys() {
            if !spec.has(k) {
                return Err(Fault::invalid_field(model, k));
            }
        }
        let hooks = spec.hooks.clone();
        hooks.defaults(self, &mut vals)?;
        if spec.has("active") && !vals.contains_key("active") {
            vals.insert("active".into(), json!(true));
        }
        let mut rec = Record::new();
        let mut x2many = Vec::new();
        for (k, v) in &vals {
            let f = spec.get(k).ok_or_else(|| Fault::invalid_field(model, k))?;
            if matches!(k.as_str(), "id" | "display_name" | "__last_update") {
                continue;
            }
            if f.ftype.is_x2many() {
                x2many.push((f, v.clone()));
            } else {
                rec.insert(k.clone(), self.convert(spec, f, v)?);
            }
        }
        self.check_required(spec, &rec)?;
        self.check_fk(spec, &rec)?;
        rec.insert("create_date".into(), json!(self.now));
        rec.insert("write_date".into(), json!(self.now));
        rec.insert("create_uid".into(), json!(self.uid));
        rec.insert("write_uid".into(), json!(self.uid));
        let id = self.new_id(model);
        self.insert_raw(model, id, rec);
        for (f, cmds) in x2many {
            self.apply_x2many(spec, id, f, &cmds)?;
        }
        hooks.after_create(self, id)?;
        Ok(id)
    }

    /// `write(ids, vals)`.
    pub fn write(
        &mut self,
        model: &str,
        ids: &[i64],
        vals: &Map<String, Value>,
    ) -> Result<(), Fault> {
        let spec = self.spec(model)?;
        for k in vals.keys() {
            if !spec.has(k) {
                // 19's write looks the field up by name (`self._fields[fname]`)
                // and lets the KeyError through (recorded f unknown_field)
                if self.version >= OdooVersion::V19 {
                    return Err(Fault::new("builtins.KeyError", k.clone()));
                }
                return Err(Fault::invalid_field(model, k));
            }
        }
        let mut simple = Map::new();
        let mut x2many = Vec::new();
        for (k, v) in vals {
            let f = spec.get(k).ok_or_else(|| Fault::invalid_field(model, k))?;
            if matches!(
                k.as_str(),
                "id" | "display_name" | "__last_update" | "create_date" | "create_uid"
            ) {
                continue;
            }
            if f.ftype.is_x2many() {
                x2many.push((f, v.clone()));
            } else {
                simple.insert(k.clone(), self.convert(spec, f, v)?);
            }
        }
        self.check_exist(model, ids)?;
        self.check_fk(spec, &simple)?;
        simple.insert("write_date".into(), json!(self.now));
        simple.insert("write_uid".into(), json!(self.uid));
        for id in ids {
            self.set_raw(model, *id, simple.clone());
            if let Some(rec) = self.record(model, *id) {
                let rec = rec.clone();
                self.check_required(spec, &rec)?;
            }
            for (f, cmds) in &x2many {
                self.apply_x2many(spec, *id, f, cmds)?;
            }
        }
        let fields: Vec<String> = vals.keys().cloned().collect();
        spec.hooks.clone().after_write(self, ids, &fields)?;
        Ok(())
    }

    /// `unlink(ids)`: cascades to one2many lines and removes external ids.
    pub fn unlink(&mut self, model: &str, ids: &[i64]) -> Result<(), Fault> {
        let spec = self.spec(model)?;
        self.check_exist(model, ids)?;
        let hooks = spec.hooks.clone();
        hooks.before_unlink(self, ids)?;
        for field in &spec.cascade {
            let Some(f) = spec.get(field) else { continue };
            let Some(rel) = f.relation.as_deref() else {
                continue;
            };
            let mut children = Vec::new();
            for id in ids {
                if let Some(rec) = self.record(model, *id) {
                    children.extend(self.x2many_ids(spec, *id, rec, f));
                }
            }
            if !children.is_empty() {
                self.unlink_cascade(rel, &children)?;
            }
        }
        let mut removed = Vec::new();
        for id in ids {
            if let Some(r) = self.remove_raw(model, *id) {
                removed.push((*id, r));
            }
        }
        if model != "ir.model.data" && self.reg.get("ir.model.data").is_some() {
            let mut xmlids: Vec<i64> = Vec::new();
            for id in ids {
                for x in self.store.ids_where("ir.model.data", "res_id", &json!(id)) {
                    let of_model = self
                        .record("ir.model.data", x)
                        .and_then(|r| r.get("model"))
                        .and_then(Value::as_str)
                        == Some(model);
                    if of_model && !xmlids.contains(&x) {
                        xmlids.push(x);
                    }
                }
            }
            xmlids.sort_unstable();
            for x in xmlids {
                self.remove_raw("ir.model.data", x);
            }
        }
        hooks.after_unlink(self, &removed)?;
        Ok(())
    }

    /// Deletes lines of a parent being deleted: no business checks.
    fn unlink_cascade(&mut self, model: &str, ids: &[i64]) -> Result<(), Fault> {
        for id in ids {
            self.remove_raw(model, *id);
        }
        Ok(())
    }

    /// Applies x2many command lists (`[0,0,vals]`, `[1,id,vals]`, `[2,id]`,
    /// `[3,id]`, `[4,id]`, `[5]`, `[6,0,ids]`, or a plain list of ids).
    pub fn apply_x2many(
        &mut self,
        spec: &ModelSpec,
        id: i64,
        f: &FieldDef,
        cmds: &Value,
    ) -> Result<(), Fault> {
        let rel = f.relation.clone().unwrap_or_default();
        let Some(list) = cmds.as_array() else {
            if matches!(cmds, Value::Null | Value::Bool(false)) {
                return Ok(());
            }
            return Err(Fault::value(format!(
                "Wrong value for {}.{}: {}",
                spec.name,
                f.name,
                py_repr(cmds)
            )));
        };
        // plain list of ids == [6, 0, ids]
        let cmds: Vec<Value> = if !list.is_empty() && list.iter().all(Value::is_number) {
            vec![json!([6, 0, list])]
        } else {
            list.clone()
        };
        if f.ftype == FieldType::One2many && f.inverse.is_none() {
            return Err(Fault::user(format!(
                "The sandbox does not support writing {}.{}",
                spec.name, f.name
            )));
        }
        let inverse = f.inverse.clone().unwrap_or_default();
        let inverse_required = self
            .reg
            .get(&rel)
            .and_then(|r| r.get(&inverse))
            .is_some_and(|d| d.required);
        for cmd in cmds {
            let Some(c) = cmd.as_array() else {
                return Err(Fault::value(format!("Invalid command {}", py_repr(&cmd))));
            };
            let code = c.first().and_then(Value::as_i64).unwrap_or(-1);
            let target = c.get(1).and_then(Value::as_i64).unwrap_or(0);
            let sub_vals = c
                .get(2)
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            match (f.ftype, code) {
                (FieldType::One2many, 0) => {
                    let mut v = sub_vals;
                    v.insert(inverse.clone(), json!(id));
                    self.create(&rel, v)?;
                }
                (_, 1) => self.write(&rel, &[target], &sub_vals)?,
                (_, 2) => self.unlink(&rel, &[target])?,
                (FieldType::One2many, 3) => {
                    self.detach(&rel, &inverse, inverse_required, &[target])?
                }
                (FieldType::One2many, 4) => {
                    let mut v = Map::new();
                    v.insert(inverse.clone(), json!(id));
                    self.write(&rel, &[target], &v)?;
                }
                (FieldType::One2many, 5) | (FieldType::One2many, 6) => {
                    let keep: Vec<i64> = if code == 6 {
                        c.get(2)
                            .and_then(Value::as_array)
                            .map(|a| a.iter().filter_map(Value::as_i64).collect())
                            .unwrap_or_default()
                    } else {
                        Vec::new()
                    };
                    let current = match self.record(&spec.name, id) {
                        Some(r) => self.x2many_ids(spec, id, r, f),
                        None => Vec::new(),
                    };
                    let drop: Vec<i64> = current
                        .iter()
                        .copied()
                        .filter(|i| !keep.contains(i))
                        .collect();
                    self.detach(&rel, &inverse, inverse_required, &drop)?;
                    for k in keep {
                        if !current.contains(&k) {
                            let mut v = Map::new();
                            v.insert(inverse.clone(), json!(id));
                            self.write(&rel, &[k], &v)?;
                        }
                    }
                }
                (FieldType::Many2many, 0) => {
                    let new = self.create(&rel, sub_vals)?;
                    self.m2m_edit(spec, id, f, |ids| ids.push(new));
                }
                (FieldType::Many2many, 3) => {
                    self.m2m_edit(spec, id, f, |ids| ids.retain(|i| *i != target))
                }
                (FieldType::Many2many, 4) => {
                    if self.reg.get(&rel).is_some() {
                        self.check_exist(&rel, &[target])?;
                    }
                    self.m2m_edit(spec, id, f, |ids| {
                        if !ids.contains(&target) {
                            ids.push(target)
                        }
                    })
                }
                (FieldType::Many2many, 5) => self.m2m_edit(spec, id, f, |ids| ids.clear()),
                (FieldType::Many2many, 6) => {
                    let new: Vec<i64> = c
                        .get(2)
                        .and_then(Value::as_array)
                        .map(|a| a.iter().filter_map(Value::as_i64).collect())
                        .unwrap_or_default();
                    if self.reg.get(&rel).is_some() {
                        self.check_exist(&rel, &new)?;
                    }
                    self.m2m_edit(spec, id, f, |ids| *ids = new.clone());
                }
                _ => return Err(Fault::value(format!("Invalid command {}", py_repr(&cmd)))),
            }
        }
        Ok(())
    }

    fn detach(&mut self, rel: &str, inverse: &str, delete: bool, ids: &[i64]) -> Result<(), Fault> {
        if ids.is_empty() {
            return Ok(());
        }
        if delete {
            self.unlink(rel, ids)
        } else {
            let mut v = Map::new();
            v.insert(inverse.to_string(), json!(false));
            self.write(rel, ids, &v)
        }
    }

    fn m2m_edit(
        &mut self,
        spec: &ModelSpec,
        id: i64,
        f: &FieldDef,
        edit: impl FnOnce(&mut Vec<i64>),
    ) {
        let mut ids: Vec<i64> = self
            .record(&spec.name, id)
            .and_then(|r| r.get(&f.name))
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_i64).collect())
            .unwrap_or_default();
        edit(&mut ids);
        let mut v = Map::new();
        v.insert(f.name.clone(), json!(ids));
        self.set_raw(&spec.name, id, v);
    }
}

fn fields_in_request_order<'f>(requested: &'f [String], defs: &[&'f FieldDef]) -> Vec<&'f str> {
    if requested.is_empty() {
        defs.iter().map(|d| d.name.as_str()).collect()
    } else {
        requested
            .iter()
            .filter(|f| f.as_str() != "id")
            .map(String::as_str)
            .collect()
    }
}

pub fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|x| x != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

fn py_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(_) => "float",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}
