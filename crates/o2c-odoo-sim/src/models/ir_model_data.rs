//! ir.model.data: external ids, unique on (module, name).

use serde_json::{Map, Value, json};

use crate::OdooVersion;
use crate::fault::Fault;
use crate::orm::{Env, Record};

use super::{Hooks, text};

const IMD: &str = "ir.model.data";

pub struct IrModelData;

/// Splits `module.name`; a bare name belongs to `__import__` (as in import).
pub fn split(xmlid: &str) -> (String, String) {
    match xmlid.split_once('.') {
        Some((m, n)) => (m.to_string(), n.to_string()),
        None => ("__import__".to_string(), xmlid.to_string()),
    }
}

/// Finds an external id: `(ir.model.data id, model, res_id)`.
pub fn lookup(env: &Env, module: &str, name: &str) -> Option<(i64, String, i64)> {
    // through the index on `name`: an import resolves ids one by one
    env.store
        .ids_where(IMD, "name", &json!(name))
        .into_iter()
        .find_map(|id| {
            let r = env.record(IMD, id)?;
            (text(r, "module") == Some(module) && text(r, "name") == Some(name)).then(|| {
                (
                    id,
                    text(r, "model").unwrap_or_default().to_string(),
                    r.get("res_id").and_then(Value::as_i64).unwrap_or(0),
                )
            })
        })
}

/// The record an external id points to, when it still exists and belongs to
/// `model`.
pub fn resolve(env: &Env, xmlid: &str, model: &str) -> Option<i64> {
    let (m, n) = split(xmlid);
    let (_, rmodel, res_id) = lookup(env, &m, &n)?;
    (rmodel == model && env.exists(model, res_id)).then_some(res_id)
}

/// Creates (or repoints a dangling) external id for a record.
pub fn ensure(env: &mut Env, xmlid: &str, model: &str, res_id: i64) -> Result<(), Fault> {
    let (m, n) = split(xmlid);
    if let Some((id, _, _)) = lookup(env, &m, &n) {
        let mut v = Map::new();
        v.insert("model".into(), json!(model));
        v.insert("res_id".into(), json!(res_id));
        return env.write(IMD, &[id], &v);
    }
    let mut v = Map::new();
    v.insert("module".into(), json!(m));
    v.insert("name".into(), json!(n));
    v.insert("model".into(), json!(model));
    v.insert("res_id".into(), json!(res_id));
    env.create(IMD, v)?;
    Ok(())
}

impl Hooks for IrModelData {
    fn display_name(&self, _env: &Env, _id: i64, rec: &Record) -> Option<String> {
        Some(format!(
            "{}.{}",
            text(rec, "module").unwrap_or_default(),
            text(rec, "name").unwrap_or_default()
        ))
    }

    fn compute(&self, _env: &Env, _id: i64, rec: &Record, field: &str) -> Option<Value> {
        match field {
            "complete_name" => Some(json!(format!(
                "{}.{}",
                text(rec, "module").unwrap_or_default(),
                text(rec, "name").unwrap_or_default()
            ))),
            "reference" => Some(json!(format!(
                "{},{}",
                text(rec, "model").unwrap_or_default(),
                rec.get("res_id").and_then(Value::as_i64).unwrap_or(0)
            ))),
            _ => None,
        }
    }

    fn defaults(&self, env: &mut Env, vals: &mut Map<String, Value>) -> Result<(), Fault> {
        vals.entry("noupdate").or_insert(json!(false));
        let module = vals.get("module").and_then(Value::as_str).unwrap_or("");
        let name = vals.get("name").and_then(Value::as_str).unwrap_or("");
        if !module.is_empty() && !name.is_empty() && lookup(env, module, name).is_some() {
            return Err(Fault::validation(format!(
                "The operation cannot be completed: duplicate key value violates unique constraint \"ir_model_data_module_name_uniq_index\"\nDETAIL:  Key (module, name)=({module}, {name}) already exists.\n"
            )));
        }
        Ok(())
    }

    fn methods(&self, _version: OdooVersion) -> &'static [&'static str] {
        &["check_object_reference"]
    }

    fn call(
        &self,
        env: &mut Env,
        method: &str,
        args: &[Value],
        kwargs: &Map<String, Value>,
    ) -> Result<Option<Value>, Fault> {
        if method != "check_object_reference" {
            return Err(Fault::unknown_method(IMD, method));
        }
        let module = args
            .first()
            .or_else(|| kwargs.get("module"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let name = args
            .get(1)
            .or_else(|| kwargs.get("xml_id"))
            .and_then(Value::as_str)
            .unwrap_or("");
        match lookup(env, module, name) {
            Some((_, model, res_id)) if env.exists(&model, res_id) => {
                Ok(Some(json!([model, res_id])))
            }
            _ => Err(Fault::value(format!(
                "External ID not found in the system: {module}.{name}"
            ))),
        }
    }
}
