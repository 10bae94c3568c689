//! ir.model: one row per simulated model, kept in step with the registry
//! (odoo/addons/base/models/ir_model.py `IrModel`, `_order = 'model'`).
//! Clients discover models through it: odooly reads it
//! (`search_read([], ['model', 'transient'])`) before its first call on any
//! model, and odoorpc's `'model' in env` searches it.

use serde_json::{Map, Value, json};

use crate::OdooVersion;
use crate::fault::Fault;
use crate::orm::Env;
use crate::schema::{FieldDef, FieldType as T, ModelSpec};

use super::{Hooks, text};

pub const IR_MODEL: &str = "ir.model";

/// The simulated models that are `models.TransientModel` in Odoo (wizards).
const TRANSIENT: &[&str] = &[
    "account.move.reversal",
    "account.payment.register",
    "choose.delivery.carrier",
    "confirm.stock.sms",
    "res.users.apikeys.description",
    "res.users.identitycheck",
    "sale.advance.payment.inv",
    "stock.backorder.confirmation",
    "stock.backorder.confirmation.line",
    "stock.immediate.transfer",
    "stock.immediate.transfer.line",
    "stock.return.picking",
    "stock.return.picking.line",
];

pub fn spec(version: OdooVersion) -> ModelSpec {
    let mut m = ModelSpec::new(IR_MODEL, "Models")
        .order("model")
        .field(FieldDef::new("name", T::Char, "Model Description").required())
        .field(FieldDef::new("model", T::Char, "Model").required())
        .field(FieldDef::new("info", T::Text, "Information"))
        .field(
            FieldDef::new("state", T::Selection, "Type")
                .selection(&[("manual", "Custom Object"), ("base", "Base Object")]),
        )
        .field(FieldDef::new("transient", T::Boolean, "Transient Model"))
        .field(FieldDef::new("modules", T::Char, "In Apps").readonly())
        .hooks(std::sync::Arc::new(IrModel));
    if version >= OdooVersion::V19 {
        // 19 lists abstract models too, flagged (odooly filters on it)
        m = m.field(FieldDef::new("abstract", T::Boolean, "Abstract Model"));
    }
    m
}

/// Adds the missing rows for the registry's models (a fresh database, or a
/// state file saved before ir.model was simulated).
pub fn sync(env: &mut Env) -> Result<(), Fault> {
    let present: Vec<String> = env
        .store
        .tables
        .get(IR_MODEL)
        .map(|t| {
            t.values()
                .filter_map(|r| text(r, "model").map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let mut models: Vec<(String, String)> = env
        .reg
        .models
        .values()
        .map(|s| (s.name.clone(), s.description.clone()))
        .filter(|(name, _)| !present.contains(name))
        .collect();
    models.sort();
    let abstract_field = env.reg.get(IR_MODEL).is_some_and(|s| s.has("abstract"));
    for (name, description) in models {
        let mut v = Map::new();
        v.insert("model".into(), json!(name));
        v.insert("name".into(), json!(description));
        v.insert("state".into(), json!("base"));
        v.insert(
            "transient".into(),
            json!(TRANSIENT.contains(&name.as_str())),
        );
        if abstract_field {
            v.insert("abstract".into(), json!(false));
        }
        env.create(IR_MODEL, v)?;
    }
    Ok(())
}

struct IrModel;

impl Hooks for IrModel {
    fn defaults(&self, _env: &mut Env, vals: &mut Map<String, Value>) -> Result<(), Fault> {
        vals.entry("state").or_insert(json!("manual"));
        vals.entry("transient").or_insert(json!(false));
        // `_check_model_name`: custom models are named x_...
        let manual = vals.get("state") == Some(&json!("manual"));
        let model = vals.get("model").and_then(Value::as_str).unwrap_or("");
        if manual && !model.starts_with("x_") {
            return Err(Fault::validation(
                "The model name must start with 'x_'.".to_string(),
            ));
        }
        Ok(())
    }

    fn before_unlink(&self, env: &mut Env, ids: &[i64]) -> Result<(), Fault> {
        // `unlink`: only custom models can go (outside module uninstall)
        for id in ids {
            if let Some(r) = env.record(IR_MODEL, *id)
                && text(r, "state") != Some("manual")
            {
                return Err(Fault::user(format!(
                    "Model '{}' contains module data and cannot be removed.",
                    text(r, "name").unwrap_or_default()
                )));
            }
        }
        Ok(())
    }
}
