//! product.product: `[code] name`, type/detailed_type, lst_price, unique barcode.

use serde_json::{Map, Value, json};

use crate::OdooVersion;
use crate::fault::Fault;
use crate::orm::{Env, Record};

use super::{Hooks, text};

pub struct Product;

/// The values that make a product storable on `version`: 16–17
/// `detailed_type: product` (`type` follows), 18+ `type: consu` +
/// `is_storable`.
pub fn storable_values(version: OdooVersion) -> Map<String, Value> {
    let v = if version >= OdooVersion::V18 {
        json!({"type": "consu", "is_storable": true})
    } else {
        json!({"detailed_type": "product", "type": "product"})
    };
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// The domain of the storable products on `version`.
pub fn storable_domain(version: OdooVersion) -> Value {
    if version >= OdooVersion::V18 {
        json!([["is_storable", "=", true]])
    } else {
        json!([["detailed_type", "=", "product"]])
    }
}

/// Whether the product record `rec` is storable on `version`.
pub fn is_storable(version: OdooVersion, rec: &Record) -> bool {
    if version >= OdooVersion::V18 {
        rec.get("is_storable") == Some(&json!(true))
    } else {
        text(rec, "detailed_type") == Some("product") || text(rec, "type") == Some("product")
    }
}

impl Product {
    fn sync(env: &mut Env, ids: &[i64]) -> Result<(), Fault> {
        for id in ids {
            let Some(rec) = env.record("product.product", *id) else {
                continue;
            };
            let mut v = Map::new();
            v.insert(
                "lst_price".into(),
                rec.get("list_price").cloned().unwrap_or(json!(1.0)),
            );
            if let Some(dt) = text(rec, "detailed_type") {
                v.insert("type".into(), json!(dt));
            }
            v.insert("product_variant_count".into(), json!(1));
            let barcode = text(rec, "barcode").map(str::to_string);
            env.set_raw("product.product", *id, v);
            if let Some(bc) = barcode {
                let same = env
                    .store
                    .ids_where("product.product", "barcode", &json!(bc));
                if same.len() > 1 {
                    let names: Vec<String> = same
                        .iter()
                        .map(|i| env.display_name("product.product", *i))
                        .collect();
                    return Err(Fault::validation(format!(
                        "Barcode(s) already assigned:\n\n- Barcode \"{bc}\" already assigned to product(s): {}",
                        names.join(", ")
                    )));
                }
            }
        }
        Ok(())
    }
}

impl Hooks for Product {
    fn display_name(&self, _env: &Env, _id: i64, rec: &Record) -> Option<String> {
        let name = text(rec, "name").unwrap_or_default();
        Some(match text(rec, "default_code") {
            Some(code) => format!("[{code}] {name}"),
            None => name.to_string(),
        })
    }

    fn computed(&self, field: &str) -> bool {
        matches!(field, "product_variant_ids")
    }

    /// Stock quantities for the context's warehouse / location
    /// (`product_qty`).
    fn compute(&self, env: &Env, id: i64, _rec: &Record, field: &str) -> Option<Value> {
        super::product_qty::compute(env, id, field)
    }

    fn defaults(&self, env: &mut Env, vals: &mut Map<String, Value>) -> Result<(), Fault> {
        super::template::fill_from_template(env, vals)?;
        if env.version >= OdooVersion::V18 {
            // 18+: no `detailed_type`; goods are `consu`, storable or not
            vals.entry("type").or_insert(json!("consu"));
            vals.entry("is_storable").or_insert(json!(false));
        } else {
            // 16–17 write `detailed_type`; `type` follows it (and vice versa)
            match (
                vals.get("detailed_type").cloned(),
                vals.get("type").cloned(),
            ) {
                (None, Some(t)) => {
                    vals.insert("detailed_type".into(), t);
                }
                (None, None) => {
                    vals.insert("detailed_type".into(), json!("consu"));
                }
                _ => {}
            }
        }
        vals.entry("list_price").or_insert(json!(1.0));
        // the company's default sale tax (account `_default_taxes_id`)
        if !vals.contains_key("taxes_id")
            && let Some(t) = env
                .record("res.company", 1)
                .and_then(|c| super::m2o(c, "account_sale_tax_id"))
        {
            vals.insert("taxes_id".into(), json!([[6, 0, [t]]]));
        }
        vals.entry("sale_ok").or_insert(json!(true));
        vals.entry("purchase_ok").or_insert(json!(true));
        let spec = env.spec("product.product")?;
        vals.entry("tracking").or_insert(json!("none"));
        if spec.has("service_tracking") {
            vals.entry("service_tracking").or_insert(json!("no"));
        }
        if spec.has("sale_line_warn") {
            vals.entry("sale_line_warn").or_insert(json!("no-message"));
        }
        vals.entry("invoice_policy").or_insert(json!("order"));
        if env.exists("uom.uom", 1) {
            vals.entry("uom_id").or_insert(json!(1));
        }
        // product.template `_get_default_category_id`: "All"
        if env.exists("product.category", 1) {
            vals.entry("categ_id").or_insert(json!(1));
        }
        if let Some(u) = vals.get("uom_id").cloned()
            && spec.has("uom_po_id")
        {
            vals.entry("uom_po_id").or_insert(u);
        }
        super::template::create_template(env, vals)
    }

    fn after_unlink(&self, env: &mut Env, removed: &[(i64, Record)]) -> Result<(), Fault> {
        super::template::after_variant_unlink(env, removed)
    }

    fn after_create(&self, env: &mut Env, id: i64) -> Result<(), Fault> {
        if let Some(t) = env
            .record("product.product", id)
            .and_then(|r| super::m2o(r, "product_tmpl_id"))
        {
            super::template::refresh_first_variant(env, t);
        }
        Self::sync(env, &[id])
    }

    /// 16's public `price_compute` (gone in 17, recorded AttributeError).
    fn methods(&self, version: OdooVersion) -> &'static [&'static str] {
        if version == OdooVersion::V16 {
            &["price_compute"]
        } else {
            &[]
        }
    }

    fn call(
        &self,
        env: &mut Env,
        method: &str,
        args: &[Value],
        kwargs: &Map<String, Value>,
    ) -> Result<Option<Value>, Fault> {
        match method {
            "price_compute" => {
                let ids = super::ids_arg(args.first().or_else(|| kwargs.get("ids")));
                let price_type = args
                    .get(1)
                    .or_else(|| kwargs.get("price_type"))
                    .and_then(Value::as_str)
                    .ok_or_else(|| {
                        Fault::type_error(
                            "price_compute() missing 1 required positional argument: 'price_type'",
                        )
                    })?;
                super::pricing::price_compute(env, &ids, price_type).map(Some)
            }
            _ => Err(Fault::unknown_method("product.product", method)),
        }
    }

    fn after_write(&self, env: &mut Env, ids: &[i64], fields: &[String]) -> Result<(), Fault> {
        if fields.iter().any(|f| f == "lst_price") {
            for id in ids {
                let p = env
                    .record("product.product", *id)
                    .and_then(|r| r.get("lst_price").cloned());
                if let Some(p) = p {
                    let mut v = Map::new();
                    v.insert("list_price".into(), p);
                    env.set_raw("product.product", *id, v);
                }
            }
        }
        let siblings = super::template::after_variant_write(env, ids, fields);
        Self::sync(env, &siblings)?;
        Self::sync(env, ids)
    }
}
