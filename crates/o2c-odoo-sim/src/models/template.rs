//! product.template behind every product.product, as Odoo's `_inherits`
//! makes it (product/models/product_product.py, product_template.py):
//! creating a variant creates its template, creating a template creates
//! its variant (`_create_variant_ids`, skipped under the context key
//! `create_product_product: False` as `product.product.create` sets it),
//! template fields written on either side are shared by the template and
//! all its variants, `default_code` / `barcode` / `standard_price` of a
//! single-variant template are its variant's, and unlinking the last
//! variant unlinks the template (`product.product.unlink`).
//!
//! The sandbox's store is flat, so a variant keeps its own copy of the
//! shared fields (everything else reads them there); the hooks keep the
//! copies equal.

use serde_json::{Map, Value, json};

use crate::fault::Fault;
use crate::orm::{Env, Record};
use crate::schema::{FieldDef, FieldType, ModelSpec};

use super::{Hooks, m2o, text};

pub const TEMPLATE: &str = "product.template";
const PRODUCT: &str = "product.product";

/// The template fields a variant shares (those its version declares on
/// product.product); the first ones are required on the template.
const SHARED: &[&str] = &[
    "name",
    "list_price",
    "type",
    "detailed_type",
    "is_storable",
    "invoice_policy",
    "uom_id",
    "uom_po_id",
    "categ_id",
    "sale_ok",
    "purchase_ok",
    "taxes_id",
    "supplier_taxes_id",
    "description_sale",
    "description",
    "company_id",
    "tracking",
    "service_tracking",
    "sale_line_warn",
    "weight",
    "volume",
    "expense_policy",
    "service_type",
];

/// Fields of a single-variant template that are its variant's.
const FROM_VARIANT: &[&str] = &["default_code", "barcode", "standard_price"];

/// The product.template model of a version: the shared fields as that
/// version's product.product declares them, the variant's single-variant
/// fields, `active` and the variant links.
pub fn spec(product: &ModelSpec) -> ModelSpec {
    let mut spec = ModelSpec::new(TEMPLATE, "Product").order("priority desc, name, id");
    for name in SHARED.iter().chain(FROM_VARIANT) {
        if let Some(def) = product.get(name) {
            let mut def = def.clone();
            // the template's own NOT NULLs: name, uom (categ on 16/17)
            def.required = matches!(*name, "name" | "uom_id" | "type")
                || (*name == "categ_id" && def.required);
            def.attrs.insert("required".into(), json!(def.required));
            spec.fields.insert(def.name.clone(), def);
        }
    }
    spec.field(FieldDef::new("active", FieldType::Boolean, "Active"))
        .field(
            FieldDef::new("priority", FieldType::Selection, "Favorite")
                .selection(&[("0", "Normal"), ("1", "Favorite")]),
        )
        .field(
            FieldDef::new("product_variant_ids", FieldType::One2many, "Products").relation(PRODUCT),
        )
        .field(
            FieldDef::new("product_variant_id", FieldType::Many2one, "Product")
                .relation(PRODUCT)
                .readonly(),
        )
        .field(
            FieldDef::new(
                "product_variant_count",
                FieldType::Integer,
                "# Product Variants",
            )
            .readonly(),
        )
        .one2many_inverse("product_variant_ids", "product_tmpl_id", false)
        .hooks(std::sync::Arc::new(Template))
}

/// The shared values among `vals` (those the template model has).
fn shared_of(env: &Env, vals: &Map<String, Value>, keys: &[&str]) -> Map<String, Value> {
    let Ok(spec) = env.spec(TEMPLATE) else {
        return Map::new();
    };
    vals.iter()
        .filter(|(k, _)| keys.contains(&k.as_str()) && spec.has(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The variants of a template, by id.
pub fn variants(env: &Env, template: i64) -> Vec<i64> {
    env.store
        .ids_where(PRODUCT, "product_tmpl_id", &json!(template))
}

/// Before a variant of an existing template is created (first, so the
/// variant's own defaults do not mask them): the template's shared values
/// the variant is not given.
pub fn fill_from_template(env: &Env, vals: &mut Map<String, Value>) -> Result<(), Fault> {
    let Some(t) = vals.get("product_tmpl_id").and_then(Value::as_i64) else {
        return Ok(());
    };
    env.check_exist(TEMPLATE, &[t])?;
    let spec = env.spec(TEMPLATE)?;
    let Some(rec) = env.record(TEMPLATE, t) else {
        return Ok(());
    };
    for name in SHARED {
        let Some(def) = spec.get(name) else { continue };
        if !vals.contains_key(*name)
            && let Some(v) = rec.get(*name)
        {
            let v = if def.ftype == FieldType::Many2many {
                json!([[6, 0, v.clone()]])
            } else {
                v.clone()
            };
            vals.insert((*name).to_string(), v);
        }
    }
    Ok(())
}

/// Before a variant without a template is created (last, once its
/// defaults are in): its template, made from the variant's values.
pub fn create_template(env: &mut Env, vals: &mut Map<String, Value>) -> Result<(), Fault> {
    if env.spec(TEMPLATE).is_err() || vals.get("product_tmpl_id").is_some_and(Value::is_i64) {
        return Ok(());
    }
    let mut tvals = shared_of(env, vals, SHARED);
    tvals.extend(shared_of(env, vals, FROM_VARIANT));
    let saved = env.context.clone();
    env.context
        .insert("create_product_product".into(), json!(false));
    let created = env.create(TEMPLATE, tvals);
    env.context = saved;
    vals.insert("product_tmpl_id".into(), json!(created?));
    Ok(())
}

/// `product_variant_id` of a template: its first variant (stored, as the
/// ORM reads a many2one from the record).
pub fn refresh_first_variant(env: &mut Env, template: i64) {
    if !env.exists(TEMPLATE, template) {
        return;
    }
    let first = variants(env, template).first().copied();
    let mut v = Map::new();
    v.insert("product_variant_id".into(), json!(first));
    env.set_raw(TEMPLATE, template, v);
}

/// After a variant's write: shared fields go to its template and sibling
/// variants, single-variant fields to its template. Returns the siblings
/// changed (their computed fields follow).
pub fn after_variant_write(env: &mut Env, ids: &[i64], fields: &[String]) -> Vec<i64> {
    let mut touched = Vec::new();
    if env.spec(TEMPLATE).is_err() {
        return touched;
    }
    for id in ids {
        let Some(rec) = env.record(PRODUCT, *id).cloned() else {
            continue;
        };
        let Some(t) = m2o(&rec, "product_tmpl_id") else {
            continue;
        };
        let names: Vec<&str> = fields.iter().map(String::as_str).collect();
        let pick = |keys: &[&str]| -> Map<String, Value> {
            keys.iter()
                .filter(|k| names.contains(k))
                .filter_map(|k| rec.get(*k).map(|v| ((*k).to_string(), v.clone())))
                .collect()
        };
        let shared = pick(SHARED);
        let spec_has = |k: &String| env.spec(TEMPLATE).is_ok_and(|s| s.has(k));
        let mut to_template: Map<String, Value> = shared
            .iter()
            .filter(|(k, _)| spec_has(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let siblings: Vec<i64> = variants(env, t).into_iter().filter(|v| v != id).collect();
        if siblings.is_empty() {
            to_template.extend(pick(FROM_VARIANT).into_iter().filter(|(k, _)| spec_has(k)));
        }
        if !to_template.is_empty() {
            env.set_raw(TEMPLATE, t, to_template);
        }
        if !shared.is_empty() {
            for s in siblings {
                env.set_raw(PRODUCT, s, shared.clone());
                touched.push(s);
            }
        }
    }
    touched
}

/// After variants are unlinked: their templates without variants left go
/// too (unless the template is what is being unlinked).
pub fn after_variant_unlink(env: &mut Env, removed: &[(i64, Record)]) -> Result<(), Fault> {
    if env.spec(TEMPLATE).is_err() || env.context.contains_key(UNLINKING) {
        return Ok(());
    }
    let templates: Vec<i64> = removed
        .iter()
        .filter_map(|(_, r)| m2o(r, "product_tmpl_id"))
        .collect();
    for t in &templates {
        refresh_first_variant(env, *t);
    }
    let mut orphans: Vec<i64> = templates
        .into_iter()
        .filter(|t| env.exists(TEMPLATE, *t) && variants(env, *t).is_empty())
        .collect();
    orphans.sort_unstable();
    orphans.dedup();
    if !orphans.is_empty() {
        env.unlink(TEMPLATE, &orphans)?;
    }
    Ok(())
}

/// Context marker while a template unlinks its variants.
const UNLINKING: &str = "__o2c_unlinking_template";

struct Template;

impl Hooks for Template {
    /// `[code] name`, the code being the single variant's (recorded c
    /// `product_tmpl_id: [5, "[FURN_7777] Office Chair"]`).
    fn display_name(&self, _env: &Env, _id: i64, rec: &Record) -> Option<String> {
        let name = text(rec, "name").unwrap_or_default();
        Some(match text(rec, "default_code") {
            Some(code) => format!("[{code}] {name}"),
            None => name.to_string(),
        })
    }

    fn computed(&self, field: &str) -> bool {
        matches!(field, "product_variant_id" | "product_variant_count")
    }

    fn compute(&self, env: &Env, id: i64, _rec: &Record, field: &str) -> Option<Value> {
        match field {
            "product_variant_count" => Some(json!(variants(env, id).len())),
            _ => None,
        }
    }

    fn defaults(&self, env: &mut Env, vals: &mut Map<String, Value>) -> Result<(), Fault> {
        let spec = env.spec(TEMPLATE)?;
        let storable_18 = spec.has("is_storable");
        if storable_18 {
            vals.entry("type").or_insert(json!("consu"));
        } else if spec.has("detailed_type") {
            match (
                vals.get("detailed_type").cloned(),
                vals.get("type").cloned(),
            ) {
                (None, Some(t)) => {
                    vals.insert("detailed_type".into(), t);
                }
                (Some(d), None) => {
                    vals.insert("type".into(), d);
                }
                (None, None) => {
                    vals.insert("detailed_type".into(), json!("consu"));
                    vals.insert("type".into(), json!("consu"));
                }
                _ => {}
            }
        }
        vals.entry("list_price").or_insert(json!(1.0));
        vals.entry("sale_ok").or_insert(json!(true));
        vals.entry("purchase_ok").or_insert(json!(true));
        vals.entry("priority").or_insert(json!("0"));
        if env.exists("uom.uom", 1) {
            vals.entry("uom_id").or_insert(json!(1));
        }
        if let Some(u) = vals.get("uom_id").cloned()
            && spec.has("uom_po_id")
        {
            vals.entry("uom_po_id").or_insert(u);
        }
        if env.exists("product.category", 1) {
            vals.entry("categ_id").or_insert(json!(1));
        }
        Ok(())
    }

    /// `_create_variant_ids`: a template made on its own gets its variant.
    fn after_create(&self, env: &mut Env, id: i64) -> Result<(), Fault> {
        if env.context.get("create_product_product") == Some(&json!(false)) {
            return Ok(());
        }
        let Some(rec) = env.record(TEMPLATE, id).cloned() else {
            return Ok(());
        };
        let mut v = shared_of(env, &rec, FROM_VARIANT);
        v.retain(|_, x| !matches!(x, Value::Null | Value::Bool(false)));
        v.insert("product_tmpl_id".into(), json!(id));
        env.create(PRODUCT, v)?;
        Ok(())
    }

    /// Shared fields reach every variant (through their own write, so the
    /// variant's checks run); single-variant fields reach the variant.
    fn after_write(&self, env: &mut Env, ids: &[i64], fields: &[String]) -> Result<(), Fault> {
        for id in ids {
            let Some(rec) = env.record(TEMPLATE, *id).cloned() else {
                continue;
            };
            let vs = variants(env, *id);
            let mut vals = Map::new();
            for f in fields {
                let shared = SHARED.contains(&f.as_str());
                let single = FROM_VARIANT.contains(&f.as_str()) && vs.len() == 1;
                if (shared || single)
                    && let Some(v) = rec.get(f)
                {
                    let is_m2m = env
                        .spec(TEMPLATE)?
                        .get(f)
                        .is_some_and(|d| d.ftype == FieldType::Many2many);
                    let v = if is_m2m {
                        json!([[6, 0, v.clone()]])
                    } else {
                        v.clone()
                    };
                    vals.insert(f.clone(), v);
                }
            }
            if !vals.is_empty() && !vs.is_empty() {
                env.write(PRODUCT, &vs, &vals)?;
            }
        }
        Ok(())
    }

    /// A template's variants go with it.
    fn before_unlink(&self, env: &mut Env, ids: &[i64]) -> Result<(), Fault> {
        let vs: Vec<i64> = ids.iter().flat_map(|t| variants(env, *t)).collect();
        if vs.is_empty() {
            return Ok(());
        }
        let saved = env.context.clone();
        env.context.insert(UNLINKING.into(), json!(true));
        let r = env.unlink(PRODUCT, &vs);
        env.context = saved;
        r
    }
}
