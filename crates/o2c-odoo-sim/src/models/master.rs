//! Master-data models without a recorded `fields_get` dump, declared by hand
//! with the fields the order-to-cash flow reads: locations, picking types
//! (16), pricelist items, taxes (`tax.rs`), payment terms, journals, accounts,
//! payment method lines, partial reconciliations, procurement groups (19: stock references), and the small wizard line
//! models.

use std::sync::Arc;

use crate::OdooVersion;
use crate::fault::Fault;
use crate::orm::{Env, Record};
use crate::schema::{FieldDef, FieldType as T, ModelSpec};

use super::{Hooks, m2o, num, text};

fn m2o_f(name: &str, rel: &str, label: &str) -> FieldDef {
    FieldDef::new(name, T::Many2one, label).relation(rel)
}

pub fn models(version: OdooVersion) -> Vec<ModelSpec> {
    let mut v = vec![
        ModelSpec::new("stock.location", "Inventory Locations")
            .order("complete_name, id")
            .field(FieldDef::new("name", T::Char, "Location Name").required())
            .field(FieldDef::new(
                "complete_name",
                T::Char,
                "Full Location Name",
            ))
            .field(
                FieldDef::new("usage", T::Selection, "Location Type")
                    .selection(&[
                        ("supplier", "Vendor Location"),
                        ("view", "View"),
                        ("internal", "Internal Location"),
                        ("customer", "Customer Location"),
                        ("inventory", "Inventory Loss"),
                        ("production", "Production"),
                        ("transit", "Transit Location"),
                    ])
                    .required(),
            )
            .field(m2o_f("location_id", "stock.location", "Parent Location"))
            .field(m2o_f("warehouse_id", "stock.warehouse", "Warehouse"))
            .field(m2o_f("company_id", "res.company", "Company"))
            .field(FieldDef::new("active", T::Boolean, "Active"))
            .hooks(Arc::new(Location)),
        ModelSpec::new("product.category", "Product Category")
            .order("complete_name")
            .field(FieldDef::new("name", T::Char, "Name").required())
            .field(FieldDef::new("complete_name", T::Char, "Complete Name"))
            .field(m2o_f("parent_id", "product.category", "Parent Category"))
            .field(FieldDef::new("parent_path", T::Char, "Parent Path").readonly())
            .hooks(Arc::new(Category)),
        ModelSpec::new("product.pricelist.item", "Pricelist Rule")
            .order("applied_on, min_quantity desc, categ_id desc, id desc")
            .field(m2o_f("pricelist_id", "product.pricelist", "Pricelist").required())
            .field(
                FieldDef::new("applied_on", T::Selection, "Apply On")
                    .selection(&[
                        ("3_global", "All Products"),
                        ("2_product_category", "Product Category"),
                        ("1_product", "Product"),
                        ("0_product_variant", "Product Variant"),
                    ])
                    .required(),
            )
            .field(m2o_f("product_id", "product.product", "Product Variant"))
            .field(m2o_f("product_tmpl_id", "product.template", "Product"))
            .field(m2o_f("categ_id", "product.category", "Product Category"))
            .field(
                FieldDef::new("base", T::Selection, "Based on")
                    .selection(&[
                        ("list_price", "Sales Price"),
                        ("standard_price", "Cost"),
                        ("pricelist", "Other Pricelist"),
                    ])
                    .required(),
            )
            .field(m2o_f(
                "base_pricelist_id",
                "product.pricelist",
                "Other Pricelist",
            ))
            .field(FieldDef::new("price_discount", T::Float, "Price Discount"))
            .field(FieldDef::new(
                "price_surcharge",
                T::Float,
                "Price Surcharge",
            ))
            .field(FieldDef::new("price_round", T::Float, "Price Rounding"))
            .field(FieldDef::new(
                "price_min_margin",
                T::Float,
                "Min. Price Margin",
            ))
            .field(FieldDef::new(
                "price_max_margin",
                T::Float,
                "Max. Price Margin",
            ))
            .field(m2o_f("company_id", "res.company", "Company"))
            .field(m2o_f("currency_id", "res.currency", "Currency"))
            .field(
                FieldDef::new("compute_price", T::Selection, "Computation")
                    .selection(&[
                        ("fixed", "Fixed Price"),
                        ("percentage", "Discount"),
                        ("formula", "Formula"),
                    ])
                    .required(),
            )
            .field(FieldDef::new("percent_price", T::Float, "Percentage Price"))
            .field(FieldDef::new("fixed_price", T::Float, "Fixed Price"))
            .field(FieldDef::new("min_quantity", T::Float, "Min. Quantity"))
            .field(FieldDef::new("date_start", T::Datetime, "Start Date"))
            .field(FieldDef::new("date_end", T::Datetime, "End Date"))
            .field(FieldDef::new("price", T::Char, "Price").readonly())
            .field(FieldDef::new("name", T::Char, "Name").readonly())
            .hooks(Arc::new(PricelistItem)),
        super::tax::model(version),
        super::tax::repartition_model(version),
        ModelSpec::new("account.payment.term", "Payment Terms")
            .order("sequence, id")
            .field(FieldDef::new("name", T::Char, "Payment Terms").required())
            .field(FieldDef::new("note", T::Html, "Description on the Invoice"))
            .field(FieldDef::new("sequence", T::Integer, "Sequence"))
            .field(m2o_f("company_id", "res.company", "Company"))
            .field(FieldDef::new("active", T::Boolean, "Active")),
        ModelSpec::new("account.journal", "Journal")
            .order("sequence, type, code")
            .field(FieldDef::new("name", T::Char, "Journal Name").required())
            .field(FieldDef::new("code", T::Char, "Short Code").required())
            .field(
                FieldDef::new("type", T::Selection, "Type")
                    .selection(&[
                        ("sale", "Sales"),
                        ("purchase", "Purchase"),
                        ("cash", "Cash"),
                        ("bank", "Bank"),
                        ("general", "Miscellaneous"),
                    ])
                    .required(),
            )
            .field(FieldDef::new("sequence", T::Integer, "Sequence"))
            .field(m2o_f(
                "default_account_id",
                "account.account",
                "Default Account",
            ))
            .field(m2o_f("company_id", "res.company", "Company").required())
            .field(m2o_f("currency_id", "res.currency", "Currency"))
            .field(FieldDef::new("active", T::Boolean, "Active")),
        ModelSpec::new("account.account", "Account")
            .order("code, company_id")
            .field(FieldDef::new("name", T::Char, "Account Name").required())
            .field(FieldDef::new("code", T::Char, "Code").required())
            .field(FieldDef::new("account_type", T::Char, "Type"))
            .field(FieldDef::new(
                "reconcile",
                T::Boolean,
                "Allow Reconciliation",
            ))
            .field(m2o_f("company_id", "res.company", "Company"))
            .hooks(Arc::new(Account)),
        ModelSpec::new("account.partial.reconcile", "Partial Reconcile")
            .field(m2o_f("debit_move_id", "account.move.line", "Debit move").required())
            .field(m2o_f("credit_move_id", "account.move.line", "Credit move").required())
            .field(FieldDef::new("amount", T::Monetary, "Amount"))
            .field(FieldDef::new(
                "debit_amount_currency",
                T::Monetary,
                "Debit amount in currency",
            ))
            .field(FieldDef::new(
                "credit_amount_currency",
                T::Monetary,
                "Credit amount in currency",
            ))
            .field(FieldDef::new(
                "max_date",
                T::Date,
                "Max Date of Matched Lines",
            ))
            .field(m2o_f("company_id", "res.company", "Company")),
        ModelSpec::new("account.payment.method.line", "Payment Methods")
            .order("sequence, id")
            .field(FieldDef::new("name", T::Char, "Name"))
            .field(FieldDef::new("sequence", T::Integer, "Sequence"))
            .field(m2o_f("journal_id", "account.journal", "Journal"))
            .field(
                FieldDef::new("payment_type", T::Selection, "Payment Type")
                    .selection(&[("inbound", "Inbound"), ("outbound", "Outbound")]),
            )
            .field(m2o_f(
                "payment_account_id",
                "account.account",
                "Outstanding Receipts/Payments Account",
            ))
            .hooks(Arc::new(PaymentMethodLine)),
        ModelSpec::new(
            "stock.backorder.confirmation.line",
            "Backorder Confirmation Line",
        )
        .field(m2o_f(
            "backorder_confirmation_id",
            "stock.backorder.confirmation",
            "Immediate Transfer",
        ))
        .field(m2o_f("picking_id", "stock.picking", "Transfer"))
        .field(FieldDef::new("to_backorder", T::Boolean, "To Backorder")),
        ModelSpec::new("confirm.stock.sms", "Confirm Stock SMS")
            .field(m2o_f("picking_id", "stock.picking", "Picking"))
            .field(m2o_f("company_id", "res.company", "Company")),
        ModelSpec::new("account.payment.method", "Payment Methods")
            .field(FieldDef::new("name", T::Char, "Name").required())
            .field(FieldDef::new("code", T::Char, "Code").required()),
    ];
    if version <= OdooVersion::V18 {
        v.push(
            ModelSpec::new("procurement.group", "Procurement Group")
                .order("id desc")
                .field(FieldDef::new("name", T::Char, "Reference").required())
                .field(m2o_f("partner_id", "res.partner", "Partner"))
                .field(m2o_f("sale_id", "sale.order", "Sale Order")),
        );
    } else {
        // 19 replaced procurement groups with references
        // (stock/models/stock_reference.py, sale_stock adds `sale_ids`)
        v.push(
            ModelSpec::new("stock.reference", "Stock Reference")
                .order("id desc")
                .field(FieldDef::new("name", T::Char, "Reference").required())
                .field(FieldDef::new("sale_ids", T::Many2many, "Sales").relation("sale.order")),
        );
    }
    if version == OdooVersion::V16 {
        v.push(
            ModelSpec::new("stock.immediate.transfer.line", "Immediate Transfer Line")
                .field(m2o_f(
                    "immediate_transfer_id",
                    "stock.immediate.transfer",
                    "Immediate Transfer",
                ))
                .field(m2o_f("picking_id", "stock.picking", "Transfer"))
                .field(FieldDef::new("to_immediate", T::Boolean, "To Process")),
        );
        v.push(
            ModelSpec::new(
                "choose.delivery.carrier",
                "Delivery Carrier Selection Wizard",
            )
            .field(m2o_f("order_id", "sale.order", "Order").required())
            .field(m2o_f("partner_id", "res.partner", "Partner"))
            .field(m2o_f("carrier_id", "delivery.carrier", "Shipping Method").required())
            .field(FieldDef::new("delivery_price", T::Float, "Delivery Price"))
            .field(FieldDef::new("display_price", T::Float, "Display Price"))
            .field(m2o_f("currency_id", "res.currency", "Currency"))
            .field(m2o_f("company_id", "res.company", "Company")),
        );
    }
    if version == OdooVersion::V16 {
        v.push(
            ModelSpec::new("stock.picking.type", "Picking Type")
                .order("sequence, id")
                .field(FieldDef::new("name", T::Char, "Operation Type").required())
                .field(
                    FieldDef::new("code", T::Selection, "Type of Operation")
                        .selection(&[
                            ("incoming", "Receipt"),
                            ("outgoing", "Delivery"),
                            ("internal", "Internal Transfer"),
                        ])
                        .required(),
                )
                .field(FieldDef::new("sequence_code", T::Char, "Sequence Prefix").required())
                .field(FieldDef::new("sequence", T::Integer, "Sequence"))
                .field(m2o_f("warehouse_id", "stock.warehouse", "Warehouse"))
                .field(m2o_f(
                    "default_location_src_id",
                    "stock.location",
                    "Default Source Location",
                ))
                .field(m2o_f(
                    "default_location_dest_id",
                    "stock.location",
                    "Default Destination Location",
                ))
                .field(m2o_f(
                    "return_picking_type_id",
                    "stock.picking.type",
                    "Operation Type for Returns",
                ))
                .field(m2o_f("company_id", "res.company", "Company").required())
                .field(FieldDef::new("active", T::Boolean, "Active")),
        );
    }
    v
}

/// `stock.location`: shown by its full path (`WH/Stock`).
struct Location;
impl Hooks for Location {
    fn display_name(&self, _env: &Env, _id: i64, rec: &Record) -> Option<String> {
        text(rec, "complete_name")
            .or_else(|| text(rec, "name"))
            .map(str::to_string)
    }
}

/// `account.account`: `code name`.
struct Account;
impl Hooks for Account {
    fn display_name(&self, _env: &Env, _id: i64, rec: &Record) -> Option<String> {
        Some(format!(
            "{} {}",
            text(rec, "code").unwrap_or(""),
            text(rec, "name").unwrap_or("")
        ))
    }
}

/// `product.category`: `Parent / Child`, kept in `complete_name`.
struct Category;
impl Hooks for Category {
    fn display_name(&self, _env: &Env, _id: i64, rec: &Record) -> Option<String> {
        text(rec, "complete_name")
            .or_else(|| text(rec, "name"))
            .map(str::to_string)
    }
    fn after_create(&self, env: &mut Env, id: i64) -> Result<(), Fault> {
        Category::paths(env, id);
        Ok(())
    }
    fn after_write(&self, env: &mut Env, ids: &[i64], fields: &[String]) -> Result<(), Fault> {
        if fields.iter().any(|f| f == "name" || f == "parent_id") {
            for id in ids {
                Category::paths(env, *id);
            }
        }
        Ok(())
    }
}

impl Category {
    /// `complete_name` (`All / Furniture`) and `parent_path` (`1/4/`,
    /// Odoo's `_parent_store`) from the parent's.
    fn paths(env: &mut Env, id: i64) {
        let Some(rec) = env.record("product.category", id) else {
            return;
        };
        let name = text(rec, "name").unwrap_or_default().to_string();
        let parent = m2o(rec, "parent_id").filter(|p| *p != id);
        let (complete, path) = match parent.and_then(|p| env.record("product.category", p)) {
            Some(p) => (
                format!("{} / {name}", text(p, "complete_name").unwrap_or_default()),
                format!("{}{id}/", text(p, "parent_path").unwrap_or_default()),
            ),
            None => (name, format!("{id}/")),
        };
        let mut v = serde_json::Map::new();
        v.insert("complete_name".into(), serde_json::json!(complete));
        v.insert("parent_path".into(), serde_json::json!(path));
        env.set_raw("product.category", id, v);
    }
}

/// `product.pricelist.item`: the defaults and the consistency of
/// `applied_on` with its target (product/models/product_pricelist_item.py
/// `create`, `_check_product_consistency`, `_check_margin`), and the name
/// and price label the list view shows (`_compute_name_and_price`).
struct PricelistItem;
impl Hooks for PricelistItem {
    fn display_name(&self, env: &Env, id: i64, rec: &Record) -> Option<String> {
        self.compute(env, id, rec, "name")
            .and_then(|v| v.as_str().map(str::to_string))
    }
    fn computed(&self, field: &str) -> bool {
        matches!(field, "name" | "price")
    }
    fn compute(&self, env: &Env, _id: i64, rec: &Record, field: &str) -> Option<serde_json::Value> {
        match field {
            "name" => Some(serde_json::json!(
                match text(rec, "applied_on") {
                    Some("0_product_variant") => m2o(rec, "product_id")
                        .map(|p| format!("Variant: {}", env.display_name("product.product", p))),
                    Some("1_product") => m2o(rec, "product_tmpl_id")
                        .map(|p| format!("Product: {}", env.display_name("product.template", p))),
                    Some("2_product_category") => m2o(rec, "categ_id")
                        .map(|c| format!("Category: {}", env.display_name("product.category", c))),
                    _ => None,
                }
                .unwrap_or_else(|| "All Products".to_string())
            )),
            "price" => Some(serde_json::json!(price_label(env.version, rec))),
            _ => None,
        }
    }
    fn defaults(
        &self,
        env: &mut Env,
        vals: &mut serde_json::Map<String, serde_json::Value>,
    ) -> Result<(), Fault> {
        use serde_json::{Value, json};
        vals.entry("applied_on").or_insert(json!("3_global"));
        vals.entry("compute_price").or_insert(json!("fixed"));
        vals.entry("base").or_insert(json!("list_price"));
        vals.entry("min_quantity").or_insert(json!(0.0));
        // rules keep only the target their `applied_on` uses, for searches
        let clear: &[&str] = match vals.get("applied_on").and_then(Value::as_str) {
            Some("3_global") => &["product_id", "product_tmpl_id", "categ_id"],
            Some("2_product_category") => &["product_id", "product_tmpl_id"],
            Some("1_product") => &["product_id", "categ_id"],
            _ => &["categ_id"],
        };
        for f in clear {
            vals.insert((*f).into(), Value::Null);
        }
        // a variant rule also names its template (`_onchange_product_id`)
        if vals.get("applied_on").and_then(Value::as_str) == Some("0_product_variant")
            && !vals.get("product_tmpl_id").is_some_and(|v| v.is_i64())
            && let Some(t) = vals
                .get("product_id")
                .and_then(Value::as_i64)
                .and_then(|p| env.record("product.product", p))
                .and_then(|r| m2o(r, "product_tmpl_id"))
        {
            vals.insert("product_tmpl_id".into(), json!(t));
        }
        if let Some(pl) = vals.get("pricelist_id").and_then(Value::as_i64)
            && let Some(c) = env
                .record("product.pricelist", pl)
                .and_then(|r| m2o(r, "currency_id"))
        {
            vals.entry("currency_id").or_insert(json!(c));
        }
        Ok(())
    }
    fn after_create(&self, env: &mut Env, id: i64) -> Result<(), Fault> {
        check_item(env, id)
    }
    fn after_write(&self, env: &mut Env, ids: &[i64], _fields: &[String]) -> Result<(), Fault> {
        for id in ids {
            check_item(env, *id)?;
        }
        Ok(())
    }
}

/// `_check_product_consistency` and `_check_margin`.
fn check_item(env: &Env, id: i64) -> Result<(), Fault> {
    let Some(rec) = env.record("product.pricelist.item", id) else {
        return Ok(());
    };
    let missing = match text(rec, "applied_on") {
        Some("2_product_category") if m2o(rec, "categ_id").is_none() => {
            Some("Please specify the category for which this rule should be applied")
        }
        Some("1_product") if m2o(rec, "product_tmpl_id").is_none() => {
            Some("Please specify the product for which this rule should be applied")
        }
        Some("0_product_variant") if m2o(rec, "product_id").is_none() => {
            Some("Please specify the product variant for which this rule should be applied")
        }
        _ => None,
    };
    if let Some(m) = missing {
        return Err(Fault::validation(m));
    }
    let (min, max) = (num(rec, "price_min_margin"), num(rec, "price_max_margin"));
    if max != 0.0 && min > max {
        return Err(Fault::validation(
            "The minimum margin should be lower than the maximum margin.",
        ));
    }
    Ok(())
}

/// The list view's price column: the fixed price with the currency sign,
/// the discount (18+: "on sales price"), or the formula.
fn price_label(version: OdooVersion, rec: &Record) -> String {
    let pct = num(rec, "percent_price");
    match text(rec, "compute_price") {
        Some("fixed") => format!("$\u{a0}{:.2}", num(rec, "fixed_price")),
        Some("percentage") if version >= OdooVersion::V18 => {
            let base = match text(rec, "base") {
                Some("standard_price") => "cost",
                Some("pricelist") => "other pricelist",
                _ => "sales price",
            };
            let pct = if pct.fract() == 0.0 {
                format!("{}", pct as i64)
            } else {
                format!("{pct}")
            };
            format!("{pct} % discount on {base}")
        }
        Some("percentage") => format!("{pct:?} % discount"),
        _ => format!(
            "{:?} % discount and {:.2} surcharge",
            num(rec, "price_discount"),
            num(rec, "price_surcharge")
        ),
    }
}

/// `account.payment.method.line`: 18+ shows the journal,
/// `Manual Payment (Bank)` (account_payment_method.py `_compute_display_name`).
struct PaymentMethodLine;
impl Hooks for PaymentMethodLine {
    fn display_name(&self, env: &Env, _id: i64, rec: &Record) -> Option<String> {
        let name = text(rec, "name").unwrap_or_default().to_string();
        match m2o(rec, "journal_id") {
            Some(j) if env.version >= OdooVersion::V18 => Some(format!(
                "{name} ({})",
                env.display_name("account.journal", j)
            )),
            _ => Some(name),
        }
    }
}
