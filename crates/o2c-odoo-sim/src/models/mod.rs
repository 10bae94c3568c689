//! Per-model behaviour: the hooks the generic ORM calls, and the registry of
//! simulated models.

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::OdooVersion;
use crate::fault::Fault;
use crate::orm::{Env, Record};
use crate::schema::{FieldDef, FieldType, ModelSpec, Registry};

pub mod account;
pub mod base;
pub mod currency;
pub mod dumps;
pub mod ir_model;
pub mod ir_model_data;
pub mod master;
pub mod partner;
pub mod pricing;
pub mod product;
pub mod product_qty;
pub mod reconcile;
pub mod sale;
pub mod sale_status;
pub mod stock;
pub mod stock_done;
pub mod stock_ops;
pub mod tax;
pub mod template;
pub mod uom;
pub mod util;
pub mod views;
pub mod wizards;

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

const IR_MODEL_DATA: &str = include_str!("../../data/odoo16/fields/ir.model.data.json");

/// Builds every simulated model for `version`.
pub fn registry(version: OdooVersion) -> Registry {
    let mut reg = Registry::default();
    for m in base::models(version)
        .into_iter()
        .chain(uom::models(version))
        .chain(currency::models(version))
    {
        reg.add(m);
    }
    reg.add(
        spec(version, "res.partner", "Contact")
            .order("display_name, id desc")
            .one2many_inverse("child_ids", "parent_id", false)
            .hooks(Arc::new(partner::Partner)),
    );
    let product = spec(version, "product.product", "Product")
        .order("default_code, name, id")
        .hooks(Arc::new(product::Product));
    reg.add(template::spec(&product));
    reg.add(product);
    let mut so = spec(version, "sale.order", "Sales Order")
        .order("date_order desc, id desc")
        .one2many_inverse("order_line", "order_id", true)
        .one2many_inverse("picking_ids", "sale_id", false)
        .hooks(Arc::new(sale::SaleOrder));
    let mut sol = spec(version, "sale.order.line", "Sales Order Line")
        .order("order_id, sequence, id")
        .one2many_inverse("move_ids", "sale_line_id", false)
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
    business(&mut reg, version);
    reg.add(ir_model::spec(version));
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

/// A model from the `fields_get` dump recorded on `version` (16's when that
/// version has none).
fn spec(version: OdooVersion, model: &str, description: &str) -> ModelSpec {
    let dump = dumps::dump(version, model)
        .or_else(|| dumps::dump(OdooVersion::V16, model))
        .unwrap_or("{}");
    ModelSpec::from_dump(model, description, dump)
}

/// Stock, accounting and wizard models of the order-to-cash flow.
fn business(reg: &mut Registry, version: OdooVersion) {
    use wizards::{account as wacc, carrier, stock as wst};
    for m in master::models(version) {
        reg.add(m);
    }
    if let Some(c) = reg.models.get_mut("res.company") {
        for f in [
            FieldDef::new(
                "stock_move_sms_validation",
                FieldType::Boolean,
                "SMS Validation with stock move",
            ),
            FieldDef::new(
                "has_received_warning_stock_sms",
                FieldType::Boolean,
                "Has Received Warning Stock Sms",
            ),
            FieldDef::new(
                "account_sale_tax_id",
                FieldType::Many2one,
                "Default Sale Tax",
            )
            .relation("account.tax"),
        ] {
            c.fields.insert(f.name.clone(), f);
        }
    }
    reg.add(spec(version, "stock.warehouse", "Warehouse").order("sequence, id"));
    // 17+ from the recorded fields_get dump; 16 has none (declared by hand)
    if version >= OdooVersion::V17 {
        reg.add(
            spec(version, "stock.picking.type", "Picking Type")
                .order("sequence, id")
                .hooks(Arc::new(stock::PickingType)),
        );
    } else if let Some(t) = reg.models.get_mut("stock.picking.type") {
        t.hooks = Arc::new(stock::PickingType);
    }
    let mut pick = spec(version, "stock.picking", "Transfer")
        .order("priority desc, scheduled_date asc, id desc")
        .one2many_inverse("move_ids", "picking_id", false)
        .one2many_inverse("move_ids_without_package", "picking_id", false)
        .one2many_inverse("move_line_ids", "picking_id", false)
        .one2many_inverse("backorder_ids", "backorder_id", false)
        .hooks(Arc::new(stock::Picking));
    if pick.has("return_ids") {
        pick = pick.one2many_inverse("return_ids", "return_id", false);
    }
    reg.add(pick);
    reg.add(
        spec(version, "stock.move", "Stock Move")
            .order("sequence, id")
            .one2many_inverse("move_line_ids", "move_id", false)
            .one2many_inverse("returned_move_ids", "origin_returned_move_id", false)
            .hooks(Arc::new(stock::Move)),
    );
    reg.add(
        spec(
            version,
            "stock.move.line",
            "Product Moves (Stock Move Line)",
        )
        .order("result_package_id desc, id")
        .hooks(Arc::new(stock::MoveLine)),
    );
    reg.add(spec(version, "stock.quant", "Quants").hooks(Arc::new(stock::Quant)));
    reg.add(
        spec(
            version,
            "stock.backorder.confirmation",
            "Backorder Confirmation",
        )
        .one2many_inverse(
            "backorder_confirmation_line_ids",
            "backorder_confirmation_id",
            true,
        )
        .hooks(Arc::new(wst::Backorder)),
    );
    if version == OdooVersion::V16 {
        reg.add(
            spec(version, "stock.immediate.transfer", "Immediate Transfer")
                .one2many_inverse("immediate_transfer_line_ids", "immediate_transfer_id", true)
                .hooks(Arc::new(wst::Immediate)),
        );
    }
    if let Some(s) = reg.models.get_mut("confirm.stock.sms") {
        s.hooks = Arc::new(wst::ConfirmSms);
    }
    reg.add(
        spec(version, "stock.return.picking", "Return Picking")
            .one2many_inverse("product_return_moves", "wizard_id", true)
            .hooks(Arc::new(wst::ReturnPicking)),
    );
    reg.add(spec(
        version,
        "stock.return.picking.line",
        "Return Picking Line",
    ));
    let mut am = spec(version, "account.move", "Journal Entry")
        .order("date desc, name desc, id desc")
        .one2many_inverse("line_ids", "move_id", true)
        .hooks(Arc::new(account::Move));
    for f in ["reversal_move_id", "reversal_move_ids"] {
        if am.has(f) {
            am = am.one2many_inverse(f, "reversed_entry_id", false);
        }
    }
    if let Some(f) = am.fields.get_mut("invoice_line_ids") {
        f.inverse = None;
    }
    reg.add(am);
    reg.add(
        spec(version, "account.move.line", "Journal Item")
            .order("date desc, move_name desc, id")
            .hooks(Arc::new(account::MoveLine)),
    );
    reg.add(
        spec(version, "account.payment", "Payments")
            .order("date desc, name desc")
            .hooks(Arc::new(wacc::Payment)),
    );
    reg.add(
        spec(version, "account.payment.register", "Register Payment")
            .hooks(Arc::new(wacc::PaymentRegister)),
    );
    reg.add(
        spec(version, "account.move.reversal", "Account Move Reversal")
            .hooks(Arc::new(wacc::Reversal)),
    );
    reg.add(
        spec(
            version,
            "sale.advance.payment.inv",
            "Sales Advance Payment Invoice",
        )
        .hooks(Arc::new(wacc::AdvanceInv)),
    );
    reg.add(spec(version, "delivery.carrier", "Shipping Methods").order("sequence, id"));
    reg.add(
        spec(version, "product.pricelist", "Pricelist")
            .order("sequence asc, id asc")
            .one2many_inverse("item_ids", "pricelist_id", true)
            .hooks(Arc::new(Pricelist)),
    );
    if version >= OdooVersion::V17 {
        reg.add(spec(
            version,
            "choose.delivery.carrier",
            "Delivery Carrier Selection Wizard",
        ));
    }
    if let Some(c) = reg.models.get_mut("choose.delivery.carrier") {
        c.hooks = Arc::new(carrier::ChooseCarrier);
    }
}

/// product.pricelist: `Name (CUR)`; the company's currency by default
/// (product/models/product_pricelist.py `_default_currency_id`).
struct Pricelist;
impl Hooks for Pricelist {
    fn defaults(&self, env: &mut Env, vals: &mut Map<String, Value>) -> Result<(), Fault> {
        if !vals.get("currency_id").is_some_and(Value::is_i64)
            && let Some(c) = env
                .record("res.company", 1)
                .and_then(|c| m2o(c, "currency_id"))
        {
            vals.insert("currency_id".into(), serde_json::json!(c));
        }
        vals.entry("sequence").or_insert(serde_json::json!(16));
        if env.spec("product.pricelist")?.has("discount_policy") {
            vals.entry("discount_policy")
                .or_insert(serde_json::json!("with_discount"));
        }
        Ok(())
    }
    fn display_name(&self, env: &Env, _id: i64, rec: &Record) -> Option<String> {
        let name = text(rec, "name").unwrap_or_default();
        Some(match m2o(rec, "currency_id") {
            Some(c) => format!("{name} ({})", env.display_name("res.currency", c)),
            None => name.to_string(),
        })
    }
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
