//! Model and field declarations: what `fields_get` reports and what the ORM
//! checks values against.

use std::collections::HashMap;
use std::sync::Arc;

use indexmap::IndexMap;
use serde_json::{Map, Value, json};

use crate::models::{Hooks, NoHooks};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    Char,
    Text,
    Html,
    Selection,
    Boolean,
    Integer,
    Float,
    Monetary,
    Date,
    Datetime,
    Many2one,
    One2many,
    Many2many,
    Binary,
    Json,
    Reference,
    Other,
}

impl FieldType {
    pub fn parse(s: &str) -> FieldType {
        match s {
            "char" => FieldType::Char,
            "text" => FieldType::Text,
            "html" => FieldType::Html,
            "selection" => FieldType::Selection,
            "boolean" => FieldType::Boolean,
            "integer" => FieldType::Integer,
            "float" => FieldType::Float,
            "monetary" => FieldType::Monetary,
            "date" => FieldType::Date,
            "datetime" => FieldType::Datetime,
            "many2one" => FieldType::Many2one,
            "one2many" => FieldType::One2many,
            "many2many" => FieldType::Many2many,
            "binary" => FieldType::Binary,
            "json" => FieldType::Json,
            "many2one_reference" | "reference" => FieldType::Reference,
            _ => FieldType::Other,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::Char => "char",
            FieldType::Text => "text",
            FieldType::Html => "html",
            FieldType::Selection => "selection",
            FieldType::Boolean => "boolean",
            FieldType::Integer => "integer",
            FieldType::Float => "float",
            FieldType::Monetary => "monetary",
            FieldType::Date => "date",
            FieldType::Datetime => "datetime",
            FieldType::Many2one => "many2one",
            FieldType::One2many => "one2many",
            FieldType::Many2many => "many2many",
            FieldType::Binary => "binary",
            FieldType::Json => "json",
            FieldType::Reference => "many2one_reference",
            FieldType::Other => "char",
        }
    }
    pub fn is_x2many(self) -> bool {
        matches!(self, FieldType::One2many | FieldType::Many2many)
    }
    pub fn is_numeric(self) -> bool {
        matches!(
            self,
            FieldType::Integer | FieldType::Float | FieldType::Monetary
        )
    }
    pub fn is_textual(self) -> bool {
        matches!(
            self,
            FieldType::Char | FieldType::Text | FieldType::Html | FieldType::Selection
        )
    }
}

#[derive(Debug, Clone)]
pub struct FieldDef {
    pub name: String,
    pub ftype: FieldType,
    pub string: String,
    pub relation: Option<String>,
    /// For one2many: the many2one on the comodel pointing back.
    pub inverse: Option<String>,
    pub required: bool,
    pub readonly: bool,
    pub selection: Option<Vec<(String, String)>>,
    /// Attributes as `fields_get` reports them.
    pub attrs: Map<String, Value>,
}

impl FieldDef {
    pub fn new(name: &str, ftype: FieldType, string: &str) -> FieldDef {
        let mut attrs = Map::new();
        attrs.insert("readonly".into(), json!(false));
        attrs.insert("required".into(), json!(false));
        attrs.insert("string".into(), json!(string));
        attrs.insert("type".into(), json!(ftype.as_str()));
        FieldDef {
            name: name.to_string(),
            ftype,
            string: string.to_string(),
            relation: None,
            inverse: None,
            required: false,
            readonly: false,
            selection: None,
            attrs,
        }
    }
    pub fn relation(mut self, model: &str) -> Self {
        self.relation = Some(model.to_string());
        self.attrs.insert("relation".into(), json!(model));
        self
    }
    pub fn inverse(mut self, field: &str) -> Self {
        self.inverse = Some(field.to_string());
        self
    }
    pub fn required(mut self) -> Self {
        self.required = true;
        self.attrs.insert("required".into(), json!(true));
        self
    }
    pub fn readonly(mut self) -> Self {
        self.readonly = true;
        self.attrs.insert("readonly".into(), json!(true));
        self
    }
    pub fn selection(mut self, sel: &[(&str, &str)]) -> Self {
        let s: Vec<(String, String)> = sel
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        self.attrs.insert(
            "selection".into(),
            Value::Array(s.iter().map(|(a, b)| json!([a, b])).collect()),
        );
        self.selection = Some(s);
        self
    }

    /// Builds a field from one entry of a recorded `fields_get` dump.
    pub fn from_dump(name: &str, attrs: &Map<String, Value>) -> FieldDef {
        let ftype = FieldType::parse(attrs.get("type").and_then(Value::as_str).unwrap_or(""));
        let selection = attrs.get("selection").and_then(Value::as_array).map(|a| {
            a.iter()
                .filter_map(|p| {
                    let p = p.as_array()?;
                    Some((
                        p.first()?.as_str()?.to_string(),
                        p.get(1).and_then(Value::as_str).unwrap_or("").to_string(),
                    ))
                })
                .collect()
        });
        FieldDef {
            name: name.to_string(),
            ftype,
            string: attrs
                .get("string")
                .and_then(Value::as_str)
                .unwrap_or(name)
                .to_string(),
            relation: attrs
                .get("relation")
                .and_then(Value::as_str)
                .map(str::to_string),
            inverse: None,
            required: attrs.get("required").and_then(Value::as_bool) == Some(true),
            readonly: attrs.get("readonly").and_then(Value::as_bool) == Some(true),
            selection,
            attrs: attrs.clone(),
        }
    }
}

/// One model: its fields, default order and behaviour hooks.
pub struct ModelSpec {
    pub name: String,
    pub description: String,
    pub fields: IndexMap<String, FieldDef>,
    /// `_order`, e.g. `"date_order desc, id desc"`.
    pub order: String,
    /// one2many fields whose lines are deleted with their parent.
    pub cascade: Vec<String>,
    pub hooks: Arc<dyn Hooks>,
}

impl ModelSpec {
    pub fn new(name: &str, description: &str) -> ModelSpec {
        let mut m = ModelSpec {
            name: name.to_string(),
            description: description.to_string(),
            fields: IndexMap::new(),
            order: "id".to_string(),
            cascade: Vec::new(),
            hooks: Arc::new(NoHooks),
        };
        m.add_magic_fields();
        m
    }

    /// A model whose fields come from a recorded `fields_get` dump.
    pub fn from_dump(name: &str, description: &str, dump: &str) -> ModelSpec {
        let mut m = ModelSpec::new(name, description);
        let v: Map<String, Value> = serde_json::from_str(dump).expect("valid fields dump");
        for (k, attrs) in &v {
            if let Some(a) = attrs.as_object() {
                m.fields.insert(k.clone(), FieldDef::from_dump(k, a));
            }
        }
        m
    }

    fn add_magic_fields(&mut self) {
        for f in [
            FieldDef::new("id", FieldType::Integer, "ID").readonly(),
            FieldDef::new("display_name", FieldType::Char, "Display Name").readonly(),
            FieldDef::new("create_date", FieldType::Datetime, "Created on").readonly(),
            FieldDef::new("write_date", FieldType::Datetime, "Last Updated on").readonly(),
            FieldDef::new("create_uid", FieldType::Many2one, "Created by")
                .relation("res.users")
                .readonly(),
            FieldDef::new("write_uid", FieldType::Many2one, "Last Updated by")
                .relation("res.users")
                .readonly(),
        ] {
            self.fields.insert(f.name.clone(), f);
        }
    }

    pub fn field(mut self, f: FieldDef) -> Self {
        self.fields.insert(f.name.clone(), f);
        self
    }
    pub fn order(mut self, order: &str) -> Self {
        self.order = order.to_string();
        self
    }
    pub fn hooks(mut self, hooks: Arc<dyn Hooks>) -> Self {
        self.hooks = hooks;
        self
    }
    /// Declares the inverse of a one2many field, and whether its lines are
    /// deleted with the parent.
    pub fn one2many_inverse(mut self, field: &str, inverse: &str, cascade: bool) -> Self {
        if let Some(f) = self.fields.get_mut(field) {
            f.inverse = Some(inverse.to_string());
        }
        if cascade {
            self.cascade.push(field.to_string());
        }
        self
    }
    pub fn get(&self, field: &str) -> Option<&FieldDef> {
        self.fields.get(field)
    }
    pub fn has(&self, field: &str) -> bool {
        self.fields.contains_key(field)
    }
}

/// All models the sandbox knows.
#[derive(Default)]
pub struct Registry {
    pub models: HashMap<String, ModelSpec>,
}

impl Registry {
    pub fn add(&mut self, m: ModelSpec) {
        self.models.insert(m.name.clone(), m);
    }
    pub fn get(&self, model: &str) -> Option<&ModelSpec> {
        self.models.get(model)
    }
}
