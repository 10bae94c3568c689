//! Products by SKU and barcode, with their sales unit (units of measure
//! themselves are in `uom.rs`).

use std::collections::HashMap;

use serde_json::{Value, json};

use super::{Ops, m2o, rec_id, rows, str_field};
use crate::{OdooClient, OdooError};

/// A product found by SKU (`default_code`) or barcode.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductInfo {
    pub id: i64,
    pub uom_id: Option<i64>,
    /// The unit's name as `uom_id` displays it ("Units").
    pub uom_name: Option<String>,
    pub name: String,
}

/// The display name of a many2one read as `[id, "name"]`.
fn m2o_name(rec: &Value, field: &str) -> Option<String> {
    rec.get(field)
        .and_then(|v| v.get(1))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

impl OdooClient {
    /// Products by SKU (`default_code`), in ONE `search_read`. SKUs with no
    /// product are absent from the map.
    pub async fn products_by_sku(
        &self,
        skus: &[String],
        correlation_id: Option<&str>,
    ) -> Result<HashMap<String, ProductInfo>, OdooError> {
        products_by(self, "default_code", skus, correlation_id).await
    }

    /// The unit (`uom_id`) of each product, in ONE `read`.
    pub async fn product_units(
        &self,
        ids: &[i64],
        correlation_id: Option<&str>,
    ) -> Result<HashMap<i64, i64>, OdooError> {
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let read = self
            .execute_kw(
                "product.product",
                "read",
                json!([ids]),
                json!({"fields": ["uom_id"]}),
                correlation_id,
            )
            .await?;
        let mut out = HashMap::new();
        for p in rows(read)? {
            if let Some(u) = m2o(&p, "uom_id") {
                out.insert(rec_id(&p)?, u);
            }
        }
        Ok(out)
    }

    /// Products by barcode, in ONE `search_read`.
    pub async fn products_by_barcode(
        &self,
        barcodes: &[String],
        correlation_id: Option<&str>,
    ) -> Result<HashMap<String, ProductInfo>, OdooError> {
        products_by(self, "barcode", barcodes, correlation_id).await
    }
}

async fn products_by(
    client: &OdooClient,
    field: &str,
    keys: &[String],
    correlation_id: Option<&str>,
) -> Result<HashMap<String, ProductInfo>, OdooError> {
    let mut wanted: Vec<&str> = keys.iter().map(String::as_str).collect();
    wanted.sort_unstable();
    wanted.dedup();
    if wanted.is_empty() {
        return Ok(HashMap::new());
    }
    let found = client
        .execute_kw(
            "product.product",
            "search_read",
            json!([[[field, "in", wanted]]]),
            json!({"fields": ["id", field, "name", "uom_id"], "order": "id asc"}),
            correlation_id,
        )
        .await?;
    let mut out = HashMap::new();
    for p in rows(found)? {
        let Some(code) = p.get(field).and_then(Value::as_str) else {
            continue;
        };
        let id = rec_id(&p)?;
        out.entry(code.to_string()).or_insert_with(|| ProductInfo {
            id,
            uom_id: m2o(&p, "uom_id"),
            uom_name: m2o_name(&p, "uom_id"),
            name: str_field(&p, "name"),
        });
    }
    Ok(out)
}

impl Ops<'_> {
    /// Records of a master-data model by id: cached ones from the cache,
    /// the rest in one `read` (then cached).
    pub async fn read_master(
        &self,
        model: &str,
        ids: &[i64],
        fields: &[&str],
    ) -> Result<Vec<Value>, OdooError> {
        let mut out = Vec::new();
        let mut misses = Vec::new();
        for id in ids {
            match self.cache.and_then(|c| c.get_record(model, *id)) {
                Some(v) => out.push(v),
                None => misses.push(*id),
            }
        }
        misses.sort_unstable();
        misses.dedup();
        if !misses.is_empty() {
            let got = self.read(model, &misses, fields).await?;
            if let Some(c) = self.cache {
                for r in &got {
                    if let Some(id) = r.get("id").and_then(Value::as_i64) {
                        c.put_record(model, id, r.clone());
                    }
                }
            }
            out.extend(got);
        }
        Ok(out)
    }

    /// Products by SKU through the cache (SKU → id), with one
    /// `search_read` for the misses.
    pub async fn products_by_sku(
        &self,
        skus: &[String],
    ) -> Result<HashMap<String, ProductInfo>, OdooError> {
        let mut out = HashMap::new();
        let mut misses = Vec::new();
        for s in skus {
            match self
                .cache
                .and_then(|c| c.get_key("product.product", &format!("sku:{s}")))
            {
                Some(v) => {
                    if let Some(id) = v.get("id").and_then(Value::as_i64) {
                        out.insert(
                            s.clone(),
                            ProductInfo {
                                id,
                                uom_id: m2o(&v, "uom_id"),
                                uom_name: m2o_name(&v, "uom_id"),
                                name: str_field(&v, "name"),
                            },
                        );
                    }
                }
                None => misses.push(s.clone()),
            }
        }
        if !misses.is_empty() {
            let found = self
                .client
                .products_by_sku(&misses, self.correlation_id)
                .await?;
            if let Some(c) = self.cache {
                for (sku, p) in &found {
                    c.put_key(
                        "product.product",
                        &format!("sku:{sku}"),
                        p.id,
                        json!({"id": p.id, "uom_id": p.uom_id.map(|u| json!([u, p.uom_name.clone().unwrap_or_default()])).unwrap_or(json!(false)), "name": p.name}),
                    );
                }
            }
            out.extend(found);
        }
        Ok(out)
    }
}
