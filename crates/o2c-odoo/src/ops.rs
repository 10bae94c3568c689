//! Typed, idempotent operations of the thin order path.
//!
//! Writes are upserts by external id through `load`, which creates the
//! record and its `ir.model.data` row in one transaction: a retry after a
//! crash (or a timeout whose call committed anyway) finds the same record
//! and updates it instead of creating a second one.

use std::collections::HashMap;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::{OdooClient, OdooError};

/// A customer as o2c wants it in Odoo. `None` fields are left as they are.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PartnerValues {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub street: Option<String>,
    pub city: Option<String>,
    pub zip: Option<String>,
    /// ISO 3166-1 alpha-2; an unknown code leaves the country unset.
    pub country_code: Option<String>,
    /// Odoo's `ref` (the customer's reference).
    pub reference: Option<String>,
}

/// A partner found by a lookup.
#[derive(Debug, Clone, PartialEq)]
pub struct PartnerInfo {
    pub id: i64,
    pub name: String,
    pub email: Option<String>,
    pub reference: Option<String>,
}

/// A product found by SKU (`default_code`).
#[derive(Debug, Clone, PartialEq)]
pub struct ProductInfo {
    pub id: i64,
    pub uom_id: Option<i64>,
    pub name: String,
}

/// One order line; its external id makes re-sending it an update.
#[derive(Debug, Clone, PartialEq)]
pub struct SaleLineValues {
    pub xmlid: String,
    pub product_id: i64,
    pub quantity: Decimal,
    pub price_unit: Decimal,
    /// Percent, 0–100.
    pub discount: Decimal,
}

/// A sale order keyed by its external id (`module.name`).
#[derive(Debug, Clone, PartialEq)]
pub struct SaleOrderValues {
    pub xmlid: String,
    pub partner_id: i64,
    pub client_order_ref: String,
    pub lines: Vec<SaleLineValues>,
    pub note: Option<String>,
}

/// A sale order as read back.
#[derive(Debug, Clone, PartialEq)]
pub struct SaleOrderInfo {
    pub id: i64,
    pub name: String,
    pub state: String,
    pub partner_id: Option<i64>,
    pub client_order_ref: Option<String>,
    pub date_order: Option<String>,
    pub amount_untaxed: Decimal,
    pub amount_tax: Decimal,
    pub amount_total: Decimal,
    pub write_date: Option<String>,
    pub lines: Vec<SaleOrderLineInfo>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SaleOrderLineInfo {
    pub id: i64,
    pub product_id: Option<i64>,
    pub quantity: Decimal,
    pub price_unit: Decimal,
    pub discount: Decimal,
    pub price_subtotal: Decimal,
}

/// A decimal as a JSON number, digit for digit.
pub fn decimal_json(d: Decimal) -> Value {
    serde_json::from_str::<Value>(&d.normalize().to_string())
        .unwrap_or_else(|_| json!(d.to_string()))
}

/// A JSON number (or numeric string) as a decimal.
pub fn json_decimal(v: &Value) -> Decimal {
    let s = match v {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        _ => return Decimal::ZERO,
    };
    Decimal::from_str(&s)
        .or_else(|_| Decimal::from_scientific(&s))
        .unwrap_or_default()
}

fn opt_str(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string)
}

/// The id of a many2one read as `[id, "name"]` (or `false`).
pub fn m2o_id(v: &Value) -> Option<i64> {
    v.get(0).and_then(Value::as_i64).or_else(|| v.as_i64())
}

fn rows(v: Value) -> Result<Vec<Value>, OdooError> {
    match v {
        Value::Array(a) => Ok(a),
        other => Err(OdooError::protocol(format!(
            "expected a list of records, got {other}"
        ))),
    }
}

/// `load` answers `{"ids": [...]|false, "messages": [...]}`.
fn load_ids(result: Value) -> Result<Vec<i64>, OdooError> {
    let messages: Vec<String> = result
        .get("messages")
        .and_then(Value::as_array)
        .map(|m| {
            m.iter()
                .filter(|m| m.get("type").and_then(Value::as_str) == Some("error"))
                .filter_map(|m| m.get("message").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    match result.get("ids") {
        Some(Value::Array(ids)) if messages.is_empty() => {
            Ok(ids.iter().filter_map(Value::as_i64).collect())
        }
        Some(_) | None if !messages.is_empty() => Err(OdooError::Validation {
            message: messages.join("\n"),
        }),
        _ => Err(OdooError::protocol(format!(
            "unexpected load answer: {result}"
        ))),
    }
}

impl OdooClient {
    async fn find_partner(
        &self,
        domain: Value,
        correlation_id: Option<&str>,
    ) -> Result<Option<PartnerInfo>, OdooError> {
        let found = self
            .execute_kw(
                "res.partner",
                "search_read",
                json!([domain]),
                json!({"fields": ["id", "name", "email", "ref"], "limit": 1, "order": "id asc"}),
                correlation_id,
            )
            .await?;
        Ok(rows(found)?.first().map(|p| PartnerInfo {
            id: p.get("id").and_then(Value::as_i64).unwrap_or(0),
            name: p
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            email: opt_str(&p["email"]),
            reference: opt_str(&p["ref"]),
        }))
    }

    /// The first partner whose `ref` is exactly `reference`.
    pub async fn find_partner_by_ref(
        &self,
        reference: &str,
        correlation_id: Option<&str>,
    ) -> Result<Option<PartnerInfo>, OdooError> {
        self.find_partner(json!([["ref", "=", reference]]), correlation_id)
            .await
    }

    /// The first partner whose email matches, case-insensitively.
    pub async fn find_partner_by_email(
        &self,
        email: &str,
        correlation_id: Option<&str>,
    ) -> Result<Option<PartnerInfo>, OdooError> {
        // `=ilike` without wildcards is a case-insensitive equality; escape
        // the LIKE wildcards an address may contain
        let pattern = email
            .trim()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        self.find_partner(json!([["email", "=ilike", pattern]]), correlation_id)
            .await
    }

    /// The `res.country` id for an ISO code, cached (misses too).
    pub async fn country_id(
        &self,
        code: &str,
        correlation_id: Option<&str>,
    ) -> Result<Option<i64>, OdooError> {
        let code = code.trim().to_ascii_uppercase();
        if let Some(hit) = self
            .countries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&code)
        {
            return Ok(*hit);
        }
        let found = self
            .execute_kw(
                "res.country",
                "search_read",
                json!([[["code", "=", code]]]),
                json!({"fields": ["id", "code"], "limit": 1}),
                correlation_id,
            )
            .await?;
        let id = rows(found)?
            .first()
            .and_then(|c| c.get("id"))
            .and_then(Value::as_i64);
        self.countries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(code, id);
        Ok(id)
    }

    /// Creates or updates the partner with external id `xmlid` in one
    /// `res.partner.load` call; returns its id.
    pub async fn upsert_partner_by_xmlid(
        &self,
        xmlid: &str,
        values: &PartnerValues,
        correlation_id: Option<&str>,
    ) -> Result<i64, OdooError> {
        let mut fields = vec!["id", "name"];
        let mut row = vec![json!(xmlid), json!(values.name)];
        for (field, value) in [
            ("email", &values.email),
            ("phone", &values.phone),
            ("street", &values.street),
            ("city", &values.city),
            ("zip", &values.zip),
            ("ref", &values.reference),
        ] {
            if let Some(v) = value {
                fields.push(field);
                row.push(json!(v));
            }
        }
        let code = values
            .country_code
            .as_deref()
            .filter(|c| !c.trim().is_empty());
        if let Some(code) = code
            && let Some(country) = self.country_id(code, correlation_id).await?
        {
            fields.push("country_id/.id");
            row.push(json!(country));
        }
        let result = self
            .execute_kw(
                "res.partner",
                "load",
                json!([fields, [row]]),
                json!({}),
                correlation_id,
            )
            .await?;
        load_ids(result)?
            .first()
            .copied()
            .ok_or_else(|| OdooError::protocol("res.partner.load returned no id"))
    }

    /// Products by SKU (`default_code`), in ONE `search_read`. SKUs with no
    /// product are absent from the map.
    pub async fn products_by_sku(
        &self,
        skus: &[String],
        correlation_id: Option<&str>,
    ) -> Result<HashMap<String, ProductInfo>, OdooError> {
        let mut wanted: Vec<&str> = skus.iter().map(String::as_str).collect();
        wanted.sort_unstable();
        wanted.dedup();
        if wanted.is_empty() {
            return Ok(HashMap::new());
        }
        let found = self
            .execute_kw(
                "product.product",
                "search_read",
                json!([[["default_code", "in", wanted]]]),
                json!({"fields": ["id", "default_code", "name", "uom_id"], "order": "id asc"}),
                correlation_id,
            )
            .await?;
        let mut out = HashMap::new();
        for p in rows(found)? {
            let Some(code) = p.get("default_code").and_then(Value::as_str) else {
                continue;
            };
            out.entry(code.to_string()).or_insert_with(|| ProductInfo {
                id: p.get("id").and_then(Value::as_i64).unwrap_or(0),
                uom_id: m2o_id(&p["uom_id"]),
                name: p
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
            });
        }
        Ok(out)
    }

    /// Creates or updates the order with external id `values.xmlid`, and its
    /// lines by their own external ids, in ONE `sale.order.load` call.
    /// Re-sending the same values gives the same order and the same lines.
    pub async fn upsert_sale_order(
        &self,
        values: &SaleOrderValues,
        correlation_id: Option<&str>,
    ) -> Result<i64, OdooError> {
        let mut fields = vec!["id", "partner_id/.id", "client_order_ref"];
        if values.note.is_some() {
            fields.push("note");
        }
        let line_fields = [
            "order_line/id",
            "order_line/product_id/.id",
            "order_line/product_uom_qty",
            "order_line/price_unit",
            "order_line/discount",
        ];
        if !values.lines.is_empty() {
            fields.extend(line_fields);
        }
        let mut rows_out = Vec::new();
        let head = |first: bool| -> Vec<Value> {
            if first {
                let mut r = vec![
                    json!(values.xmlid),
                    json!(values.partner_id),
                    json!(values.client_order_ref),
                ];
                if let Some(n) = &values.note {
                    r.push(json!(n));
                }
                r
            } else {
                let n = 3 + usize::from(values.note.is_some());
                vec![json!(""); n]
            }
        };
        if values.lines.is_empty() {
            rows_out.push(Value::Array(head(true)));
        }
        for (i, line) in values.lines.iter().enumerate() {
            let mut r = head(i == 0);
            r.extend([
                json!(line.xmlid),
                json!(line.product_id),
                decimal_json(line.quantity),
                decimal_json(line.price_unit),
                decimal_json(line.discount),
            ]);
            rows_out.push(Value::Array(r));
        }
        let result = self
            .execute_kw(
                "sale.order",
                "load",
                json!([fields, rows_out]),
                json!({}),
                correlation_id,
            )
            .await?;
        load_ids(result)?
            .first()
            .copied()
            .ok_or_else(|| OdooError::protocol("sale.order.load returned no id"))
    }

    async fn order_state(
        &self,
        id: i64,
        correlation_id: Option<&str>,
    ) -> Result<(String, String), OdooError> {
        let found = self
            .execute_kw(
                "sale.order",
                "read",
                json!([[id]]),
                json!({"fields": ["name", "state"]}),
                correlation_id,
            )
            .await?;
        let rec = rows(found)?
            .into_iter()
            .next()
            .ok_or_else(|| OdooError::MissingRecord {
                message: format!("sale.order({id},) does not exist"),
            })?;
        Ok((
            rec.get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            rec.get("state")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
        ))
    }

    /// Confirms the order if it is still a quotation, and returns its
    /// `name`. Safe to repeat on every version: an order already confirmed
    /// is not confirmed again (16 would rewrite `date_order`, 18+ refuse).
    pub async fn confirm_sale_order(
        &self,
        id: i64,
        correlation_id: Option<&str>,
    ) -> Result<String, OdooError> {
        let (name, state) = self.order_state(id, correlation_id).await?;
        if state == "sale" || state == "done" {
            return Ok(name);
        }
        // draft / sent: confirm; cancel: let Odoo give its own refusal
        match self
            .execute_kw(
                "sale.order",
                "action_confirm",
                json!([[id]]),
                json!({}),
                correlation_id,
            )
            .await
        {
            Ok(_) => Ok(name),
            Err(OdooError::UserError { message }) => {
                // a concurrent confirm may have won the race
                let (name, state) = self.order_state(id, correlation_id).await?;
                if state == "sale" || state == "done" {
                    Ok(name)
                } else {
                    Err(OdooError::UserError { message })
                }
            }
            Err(e) => Err(e),
        }
    }

    /// The order with its lines (two reads), or `None` if it does not exist.
    pub async fn read_sale_order(
        &self,
        id: i64,
        correlation_id: Option<&str>,
    ) -> Result<Option<SaleOrderInfo>, OdooError> {
        let found = self
            .execute_kw(
                "sale.order",
                "read",
                json!([[id]]),
                json!({"fields": ["name", "state", "partner_id", "client_order_ref", "date_order",
                                  "amount_untaxed", "amount_tax", "amount_total", "write_date"]}),
                correlation_id,
            )
            .await?;
        let Some(o) = rows(found)?.into_iter().next() else {
            return Ok(None);
        };
        let lines = self
            .execute_kw(
                "sale.order.line",
                "search_read",
                json!([[["order_id", "=", id]]]),
                json!({"fields": ["product_id", "product_uom_qty", "price_unit", "discount", "price_subtotal"],
                       "order": "sequence asc, id asc"}),
                correlation_id,
            )
            .await?;
        let lines = rows(lines)?
            .iter()
            .map(|l| SaleOrderLineInfo {
                id: l.get("id").and_then(Value::as_i64).unwrap_or(0),
                product_id: m2o_id(&l["product_id"]),
                quantity: json_decimal(&l["product_uom_qty"]),
                price_unit: json_decimal(&l["price_unit"]),
                discount: json_decimal(&l["discount"]),
                price_subtotal: json_decimal(&l["price_subtotal"]),
            })
            .collect();
        Ok(Some(SaleOrderInfo {
            id,
            name: o
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            state: o
                .get("state")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            partner_id: m2o_id(&o["partner_id"]),
            client_order_ref: opt_str(&o["client_order_ref"]),
            date_order: opt_str(&o["date_order"]),
            amount_untaxed: json_decimal(&o["amount_untaxed"]),
            amount_tax: json_decimal(&o["amount_tax"]),
            amount_total: json_decimal(&o["amount_total"]),
            write_date: opt_str(&o["write_date"]),
            lines,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_round_trip_as_json_numbers() {
        let d = Decimal::from_str("25.50").unwrap();
        let v = decimal_json(d);
        assert!(v.is_number());
        assert_eq!(v.to_string(), "25.5");
        assert_eq!(json_decimal(&v), d);
        assert_eq!(json_decimal(&json!(10.0)), Decimal::from(10));
    }

    #[test]
    fn load_answers() {
        assert_eq!(
            load_ids(json!({"ids": [7], "messages": [], "nextrow": 0})).unwrap(),
            vec![7]
        );
        let e = load_ids(json!({"ids": false, "messages": [{"type": "error", "message": "bad"}]}))
            .unwrap_err();
        assert_eq!(
            e,
            OdooError::Validation {
                message: "bad".into()
            }
        );
    }
}
