//! Typed, idempotent operations of the order-to-cash path.
//!
//! Every write is guarded by a natural key that the write itself stores (an
//! external id through `load`, `client_order_ref` + partner on `sale.order`,
//! the payment reference on `account.payment`, the credit note's reason in
//! its `ref`, the quantities already returned), so repeating an operation
//! after a crash or a timeout whose call committed anyway finds the first
//! result instead of doing the work twice.
//!
//! Version differences come from [`crate::version::Dialect`]; the
//! operations that need one live on [`Ops`] (`client.ops(dialect)`); the
//! version-neutral order-path operations of the first milestone stay on
//! [`OdooClient`].

use std::str::FromStr;

use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use crate::cache::MasterDataCache;
use crate::version::Dialect;
use crate::{OdooClient, OdooError};

pub mod availability;
pub mod batch;
pub mod change_feed;
pub mod company_settings;
pub mod currency;
pub mod invoicing;
pub mod partners;
pub mod payments;
pub mod pricing;
pub mod products;
pub mod returns;
pub mod sale;
pub mod stock;
pub mod uom;

pub use availability::{Availability, QuantInfo};
pub use batch::{BatchOutcome, BatchRow};
pub use change_feed::{Change, FeedCursor, FeedPage};
pub use currency::CurrencyRate;
pub use invoicing::{CreditNoteRequest, InvoiceInfo};
pub use partners::{AddressValues, PartnerInfo, PartnerRequest, PartnerResolution, PartnerValues};
pub use payments::{InvoicePaymentStatus, PaymentInfo, PaymentRequest};
pub use pricing::{LinePrice, PriceRule};
pub use products::ProductInfo;
pub use returns::ReturnOutcome;
pub use sale::{
    NewOrderLine, NewSaleOrder, SaleLineValues, SaleOrderInfo, SaleOrderLineInfo, SaleOrderValues,
};
pub use stock::{
    BackorderPolicy, MoveInfo, PickingInfo, PickingValidation, SmsPolicy, ValidateRequest,
};
pub use uom::{UomFit, UomInfo};

/// The typed operations that depend on the server's version: a borrowed
/// client, its [`Dialect`], an optional correlation id (sent as
/// `X-Correlation-Id` on every call) and an optional master-data cache.
/// Cheap to build per order.
#[derive(Clone, Copy)]
pub struct Ops<'c> {
    pub client: &'c OdooClient,
    pub dialect: Dialect,
    pub correlation_id: Option<&'c str>,
    pub cache: Option<&'c MasterDataCache>,
}

impl std::fmt::Debug for Ops<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ops")
            .field("major", &self.dialect.major)
            .field("correlation_id", &self.correlation_id)
            .field("cache", &self.cache.is_some())
            .finish()
    }
}

impl OdooClient {
    /// The version-aware operations over this client.
    pub fn ops(&self, dialect: Dialect) -> Ops<'_> {
        Ops {
            client: self,
            dialect,
            correlation_id: None,
            cache: None,
        }
    }
}

impl<'c> Ops<'c> {
    pub fn with_correlation_id(mut self, id: &'c str) -> Self {
        self.correlation_id = Some(id);
        self
    }

    pub fn with_cache(mut self, cache: &'c MasterDataCache) -> Self {
        self.cache = Some(cache);
        self
    }

    /// `execute_kw` with this handle's correlation id.
    pub async fn call(
        &self,
        model: &str,
        method: &str,
        args: Value,
        kwargs: Value,
    ) -> Result<Value, OdooError> {
        self.client
            .execute_kw(model, method, args, kwargs, self.correlation_id)
            .await
    }

    /// `search_read(domain, fields, order, limit)` as a list of records.
    pub async fn search_read(
        &self,
        model: &str,
        domain: Value,
        fields: &[&str],
        order: Option<&str>,
        limit: Option<usize>,
    ) -> Result<Vec<Value>, OdooError> {
        let mut kw = json!({"fields": fields});
        if let Some(o) = order {
            kw["order"] = json!(o);
        }
        if let Some(l) = limit {
            kw["limit"] = json!(l);
        }
        rows(self.call(model, "search_read", json!([domain]), kw).await?)
    }

    /// The id of the first record matching `domain` in `order`, if any
    /// (`search_read` of `id` with limit 1).
    pub async fn first_id(
        &self,
        model: &str,
        domain: Value,
        order: &str,
    ) -> Result<Option<i64>, OdooError> {
        let found = self
            .search_read(model, domain, &["id"], Some(order), Some(1))
            .await?;
        Ok(found
            .first()
            .and_then(|r| r.get("id"))
            .and_then(Value::as_i64))
    }

    /// `read(ids, fields)`; missing ids are simply absent (Odoo's behaviour).
    pub async fn read(
        &self,
        model: &str,
        ids: &[i64],
        fields: &[&str],
    ) -> Result<Vec<Value>, OdooError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        rows(
            self.call(model, "read", json!([ids]), json!({"fields": fields}))
                .await?,
        )
    }

    /// `read` of one record, or `MissingRecord`.
    pub async fn read_one(
        &self,
        model: &str,
        id: i64,
        fields: &[&str],
    ) -> Result<Value, OdooError> {
        self.read(model, &[id], fields)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| missing(model, id))
    }

    pub async fn write(&self, model: &str, ids: &[i64], vals: Value) -> Result<(), OdooError> {
        if ids.is_empty() {
            return Ok(());
        }
        self.call(model, "write", json!([ids, vals]), json!({}))
            .await?;
        Ok(())
    }

    /// `create(vals)` of one record, with an optional context.
    pub async fn create(
        &self,
        model: &str,
        vals: Value,
        context: Option<&Value>,
    ) -> Result<i64, OdooError> {
        let kw = match context {
            Some(c) => json!({"context": c}),
            None => json!({}),
        };
        let r = self.call(model, "create", json!([vals]), kw).await?;
        r.as_i64()
            .or_else(|| r.get(0).and_then(Value::as_i64))
            .ok_or_else(|| OdooError::protocol(format!("{model}.create returned {r}")))
    }

    /// Calls a public method on `ids` with a context, and returns its raw
    /// answer (`Null` for Python `None`).
    pub async fn call_on(
        &self,
        model: &str,
        method: &str,
        ids: &[i64],
        context: Option<&Value>,
    ) -> Result<Value, OdooError> {
        let kw = match context {
            Some(c) => json!({"context": c}),
            None => json!({}),
        };
        self.call(model, method, json!([ids]), kw).await
    }
}

pub(crate) fn missing(model: &str, id: i64) -> OdooError {
    OdooError::MissingRecord {
        message: format!("{model}({id},) does not exist"),
    }
}

/// What a button method answered.
#[derive(Debug, Clone, PartialEq)]
pub enum ActionResult {
    /// `true`, `false`, `None` or anything that is not an action: the work
    /// is done.
    Done(Value),
    /// `ir.actions.act_window_close`.
    Close,
    /// A window action: a wizard to run (or a record to show).
    Window {
        res_model: String,
        res_id: Option<i64>,
        context: Value,
        /// The whole action, for ids in `domain` etc.
        raw: Value,
    },
    /// Any other action type (report, URL, client action).
    Other(Value),
}

impl ActionResult {
    pub fn parse(v: Value) -> ActionResult {
        let Some(kind) = v.get("type").and_then(Value::as_str) else {
            return ActionResult::Done(v);
        };
        match kind {
            "ir.actions.act_window_close" => ActionResult::Close,
            "ir.actions.act_window" => ActionResult::Window {
                res_model: v
                    .get("res_model")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                res_id: v.get("res_id").and_then(Value::as_i64).filter(|i| *i > 0),
                context: match v.get("context") {
                    Some(Value::Object(m)) => Value::Object(m.clone()),
                    _ => json!({}),
                },
                raw: v,
            },
            _ => ActionResult::Other(v),
        }
    }
}

/// A decimal as a JSON number, digit for digit (no f64 on the way).
pub fn decimal_json(d: Decimal) -> Value {
    serde_json::from_str::<Value>(&d.normalize().to_string())
        .unwrap_or_else(|_| json!(d.to_string()))
}

/// A JSON number (or numeric string) as a decimal, through its JSON text
/// (never through f64 arithmetic); `false`/`null`/garbage give zero.
pub fn json_decimal(v: &Value) -> Decimal {
    try_decimal(v).unwrap_or_default()
}

/// A JSON number or numeric string as a decimal; `None` for anything else.
pub fn try_decimal(v: &Value) -> Option<Decimal> {
    let s = match v {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        _ => return None,
    };
    Decimal::from_str(&s)
        .or_else(|_| Decimal::from_scientific(&s))
        .ok()
}

/// A field of a record as a decimal (zero when absent or `false`).
pub(crate) fn dec(rec: &Value, field: &str) -> Decimal {
    rec.get(field).map(json_decimal).unwrap_or_default()
}

pub(crate) fn opt_str(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string)
}

pub(crate) fn str_field(rec: &Value, field: &str) -> String {
    rec.get(field)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

pub(crate) fn opt_field(rec: &Value, field: &str) -> Option<String> {
    rec.get(field)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// The `id` of a record, or a protocol error.
pub(crate) fn rec_id(rec: &Value) -> Result<i64, OdooError> {
    rec.get("id")
        .and_then(Value::as_i64)
        .ok_or_else(|| OdooError::protocol(format!("record without an id: {rec}")))
}

/// The id of a many2one read as `[id, "name"]` (or `false`).
pub fn m2o_id(v: &Value) -> Option<i64> {
    v.get(0).and_then(Value::as_i64).or_else(|| v.as_i64())
}

pub(crate) fn m2o(rec: &Value, field: &str) -> Option<i64> {
    rec.get(field).and_then(m2o_id)
}

/// The ids of an x2many read as `[1, 2]`.
pub(crate) fn ids_of(rec: &Value, field: &str) -> Vec<i64> {
    rec.get(field)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default()
}

pub(crate) fn rows(v: Value) -> Result<Vec<Value>, OdooError> {
    match v {
        Value::Array(a) => Ok(a),
        other => Err(OdooError::protocol(format!(
            "expected a list of records, got {other}"
        ))),
    }
}

/// `load` answers `{"ids": [...]|false, "messages": [...]}`.
pub(crate) fn load_ids(result: Value) -> Result<Vec<i64>, OdooError> {
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

/// `[d1, d2, ...]` OR-ed in Odoo's prefix notation; each `di` is itself a
/// list of leaves (AND-ed implicitly, made explicit here).
pub fn or_domains(domains: &[Vec<Value>]) -> Value {
    let mut out: Vec<Value> = Vec::new();
    let parts: Vec<Vec<Value>> = domains
        .iter()
        .filter(|d| !d.is_empty())
        .map(|d| {
            let mut p = Vec::new();
            for _ in 1..d.len() {
                p.push(json!("&"));
            }
            p.extend(d.iter().cloned());
            p
        })
        .collect();
    for _ in 1..parts.len() {
        out.push(json!("|"));
    }
    for p in parts {
        out.extend(p);
    }
    Value::Array(out)
}

/// Merges two JSON objects (`b` wins).
pub(crate) fn merged(a: &Value, b: &Value) -> Value {
    let mut m: Map<String, Value> = a.as_object().cloned().unwrap_or_default();
    if let Some(b) = b.as_object() {
        for (k, v) in b {
            m.insert(k.clone(), v.clone());
        }
    }
    Value::Object(m)
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
        // Odoo floats that f64 cannot hold exactly stay exact
        let v: Value = serde_json::from_str("463.1").unwrap();
        assert_eq!(json_decimal(&v).to_string(), "463.1");
        assert_eq!(try_decimal(&json!(false)), None);
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

    #[test]
    fn actions_are_classified() {
        // d: stock.picking.button_validate.partial (16)
        let a = ActionResult::parse(
            json!({"name": "Create Backorder?", "type": "ir.actions.act_window",
            "res_model": "stock.backorder.confirmation", "target": "new",
            "context": {"button_validate_picking_ids": [32], "default_show_transfers": false,
                        "default_pick_ids": [[4, 32]]}}),
        );
        match a {
            ActionResult::Window {
                res_model,
                res_id,
                context,
                ..
            } => {
                assert_eq!(res_model, "stock.backorder.confirmation");
                assert_eq!(res_id, None);
                assert_eq!(context["button_validate_picking_ids"], json!([32]));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            ActionResult::parse(json!({"type": "ir.actions.act_window_close"})),
            ActionResult::Close
        );
        assert_eq!(
            ActionResult::parse(json!(true)),
            ActionResult::Done(json!(true))
        );
        assert_eq!(
            ActionResult::parse(Value::Null),
            ActionResult::Done(Value::Null)
        );
    }

    #[test]
    fn or_of_and_domains() {
        let d = or_domains(&[
            vec![json!(["a", "=", 1]), json!(["b", "=", 2])],
            vec![json!(["a", "=", 3])],
        ]);
        assert_eq!(
            d,
            json!(["|", "&", ["a", "=", 1], ["b", "=", 2], ["a", "=", 3]])
        );
        assert_eq!(
            or_domains(&[vec![json!(["a", "=", 1])]]),
            json!([["a", "=", 1]])
        );
    }
}
