//! Per-model behaviour: the hooks the generic ORM calls, and the registry of
//! simulated models.

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::OdooVersion;
use crate::fault::Fault;
use crate::orm::{Env, Record};
use crate::schema::{FieldDef, FieldType, ModelSpec, Registry};

pub mod base;
pub mod ir_model_data;
pub mod partner;
pub mod product;
pub mod sale;

/// Behaviour of one model, called by the generic ORM. Every hook has a
/// no-op default, so a model only overrides what it needs.
pub trait Hooks: Send + Sync {
    /// The `display_name`, when it is not simply `name`.
    fn display_name(&self, _env: &Env, _id: i64, _rec: &Record) -> Option<String> {
        None
    }
    /// A non-stored computed value (called when the record has no stored
    /// value for `field`).
    fn compute(&self, _env: &Env, _id: i64, _rec: &Record, _field: &str) -> Option<Value> {
        None
    }
    /// Fields computed by the model: excluded from the NOT NULL check.
    fn computed(&self, _field: &str) -> bool {
        false
    }
    /// Fills defaults into `vals` before a create.
    fn defaults(&self, _env: &mut Env, _vals: &mut Map<String, Value>) -> Result<(), Fault> {
        Ok(())
    }
    fn after_create(&self, _env: &mut Env, _id: i64) -> Result<(), Fault> {
        Ok(())
    }
    fn after_write(&self, _env: &mut Env, _ids: &[i64], _fields: &[String]) -> Result<(), Fault> {
        Ok(())
    }
    fn before_unlink(&self, _env: &mut Env, _ids: &[i64]) -> Result<(), Fault> {
        Ok(())
    }
    fn after_unlink(&self, _env: &mut Env, _removed: &[(i64, Record)]) -> Result<(), Fault> {
        Ok(())
    }
    /// Public model-specific methods (beyond the generic ORM ones).
    fn methods(&self, _version: OdooVersion) -> &'static [&'static str] {
        &[]
    }
    /// Runs one of `methods()`. `Ok(None)` means Python `None` (no `result`
    /// key on the wire).
    fn call(
        &self,
        _env: &mut Env,
        method: &str,
        _args: &[Value],
        _kwargs: &Map<String, Value>,
    ) -> Result<Option<Value>, Fault> {
        Err(Fault::user(format!("method {method} is not simulated")))
    }
}

/// The hooks of a model with no special behaviour.
pub struct NoHooks;
impl Hooks for NoHooks {}

const RES_PARTNER: &str = include_str!("../../data/odoo16/fields/res.partner.json");
const PRODUCT_PRODUCT: &str = include_str!("../../data/odoo16/fields/product.product.json");
const SALE_ORDER: &str = include_str!("../../data/odoo16/fields/sale.order.json");
const SALE_ORDER_LINE: &str = include_str!("../../data/odoo16/fields/sale.order.line.json");
const IR_MODEL_DATA: &str = include_str!("../../data/odoo16/fields/ir.model.data.json");

/// Builds every simulated model for `version`.
pub fn registry(version: OdooVersion) -> Registry {
    let mut reg = Registry::default();
    for m in base::models() {
        reg.add(m);
    }
    reg.add(
        ModelSpec::from_dump("res.partner", "Contact", RES_PARTNER)
            .order("display_name, id desc")
            .one2many_inverse("child_ids", "parent_id", false)
            .hooks(Arc::new(partner::Partner)),
    );
    reg.add(
        ModelSpec::from_dump("product.product", "Product", PRODUCT_PRODUCT)
            .order("default_code, name, id")
            .hooks(Arc::new(product::Product)),
    );
    let mut so = ModelSpec::from_dump("sale.order", "Sales Order", SALE_ORDER)
        .order("date_order desc, id desc")
        .one2many_inverse("order_line", "order_id", true)
        .hooks(Arc::new(sale::SaleOrder));
    let mut sol = ModelSpec::from_dump("sale.order.line", "Sales Order Line", SALE_ORDER_LINE)
        .order("order_id, sequence, id")
        .hooks(Arc::new(sale::SaleOrderLine));
    if version >= OdooVersion::V17 {
        // 17+: no 'done' state; a `locked` boolean instead
        let states = [
            ("draft", "Quotation"),
            ("sent", "Quotation Sent"),
            ("sale", "Sales Order"),
            ("cancel", "Cancelled"),
        ];
        for spec in [&mut so, &mut sol] {
            if let Some(f) = spec.fields.get(&"state".to_string()).cloned() {
                let mut f = f.selection(&states);
                f.readonly = true;
                spec.fields.insert("state".into(), f);
            }
        }
        so = so.field(FieldDef::new("locked", FieldType::Boolean, "Locked"));
    }
    reg.add(so);
    reg.add(sol);
    reg.add(
        ModelSpec::from_dump("ir.model.data", "Model Data", IR_MODEL_DATA)
            .order("module, model, name")
            .hooks(Arc::new(ir_model_data::IrModelData)),
    );
    if version == OdooVersion::V16 {
        for spec in reg.models.values_mut() {
            if !spec.has("__last_update") {
                let f = FieldDef::new("__last_update", FieldType::Datetime, "Last Modified on")
                    .readonly();
                spec.fields.insert(f.name.clone(), f);
            }
        }
    } else {
        for spec in reg.models.values_mut() {
            spec.fields.shift_remove("__last_update");
        }
    }
    reg
}

/// Reads a stored many2one as an id.
pub fn m2o(rec: &Record, field: &str) -> Option<i64> {
    rec.get(field).and_then(Value::as_i64)
}

/// Reads a stored string (not `false`).
pub fn text<'r>(rec: &'r Record, field: &str) -> Option<&'r str> {
    rec.get(field)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// Reads a stored number as f64 (0.0 when unset).
pub fn num(rec: &Record, field: &str) -> f64 {
    rec.get(field).and_then(Value::as_f64).unwrap_or(0.0)
}

/// Ids from the usual first positional argument (an id or a list of ids).
pub fn ids_arg(v: Option<&Value>) -> Vec<i64> {
    match v {
        Some(Value::Number(n)) => n.as_i64().into_iter().collect(),
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_i64).collect(),
        _ => Vec::new(),
    }
}
