//! Shopify refunds (`refunds/create` webhooks, Admin REST refund resource)
//! read into a typed record the hub journals against the order.
//!
//! A refund is not an order, so it has no jq mapping to the canonical order;
//! this reader only takes what the journal needs, with exact decimals:
//! the money actually returned (the successful `refund` transactions), the
//! value of the refunded lines, and per line the quantity and whether the
//! goods go back to stock (`restock_type`). Ids are read as Shopify's
//! digits (or from `admin_graphql_api_id`), never through a float.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;

/// Why a refund payload cannot be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RefundError {
    #[error("the refund is not valid JSON: {0}")]
    Json(String),
    #[error("refund field {field}: {reason}")]
    Field { field: String, reason: String },
}

/// One refunded line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RefundLine {
    /// The order line's id (the canonical `line_id`).
    pub line_id: String,
    pub quantity: Decimal,
    /// Shopify's `restock_type`: `no_restock`, `cancel`, `return`,
    /// `legacy_restock`, or absent.
    pub restock_type: Option<String>,
    /// Whether the goods go back to stock.
    pub restock: bool,
    /// The line's refunded amount before tax, and its tax.
    pub subtotal: Option<Decimal>,
    pub total_tax: Option<Decimal>,
}

/// A refund as the hub records it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Refund {
    pub refund_id: String,
    /// The order's channel id (the canonical `channel_order_id`).
    pub order_id: String,
    pub created_at: Option<String>,
    pub note: Option<String>,
    /// ISO 4217, from the transactions or the lines' shop money.
    pub currency: Option<String>,
    /// Money returned: the sum of successful `refund` transactions (zero
    /// when the refund only restocks or records lines).
    pub amount: Decimal,
    /// Value of the refunded lines (subtotal + tax) and shipping.
    pub lines_value: Decimal,
    pub shipping: Decimal,
    pub lines: Vec<RefundLine>,
}

fn field(name: &str, reason: impl Into<String>) -> RefundError {
    RefundError::Field {
        field: name.to_owned(),
        reason: reason.into(),
    }
}

/// Shopify's true id: the last part of `admin_graphql_api_id`, else `id`.
fn id_of(v: &Value) -> Option<String> {
    v.get("admin_graphql_api_id")
        .and_then(Value::as_str)
        .and_then(|gid| gid.rsplit('/').next())
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
        .or_else(|| plain_id(v.get("id")?))
}

fn plain_id(v: &Value) -> Option<String> {
    match v {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

/// A decimal from a string or a JSON number's own digits.
fn decimal(v: &Value, name: &str) -> Result<Option<Decimal>, RefundError> {
    let text = match v {
        Value::Null => return Ok(None),
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        other => return Err(field(name, format!("expected a decimal, got {other}"))),
    };
    Decimal::from_str(text.trim())
        .or_else(|_| Decimal::from_scientific(text.trim()))
        .map(Some)
        .map_err(|_| field(name, format!("{text:?} is not a decimal")))
}

/// `x_set.shop_money.amount` when present (always a string), else `x`.
fn money(v: &Value, key: &str, name: &str) -> Result<Option<Decimal>, RefundError> {
    let set = &v[format!("{key}_set")]["shop_money"]["amount"];
    if !set.is_null() {
        return decimal(set, &format!("{name}_set.shop_money.amount"));
    }
    decimal(&v[key], name)
}

/// Reads a refund (`{...}` or `{"refund": {...}}`).
pub fn parse_refund(payload: &[u8]) -> Result<Refund, RefundError> {
    let value: Value =
        serde_json::from_slice(payload).map_err(|e| RefundError::Json(e.to_string()))?;
    let r = value.get("refund").unwrap_or(&value);
    if !r.is_object() {
        return Err(field("refund", "expected an object"));
    }
    let refund_id = id_of(r).ok_or_else(|| field("id", "missing"))?;
    let order_id = r
        .get("order_id")
        .and_then(plain_id)
        .ok_or_else(|| field("order_id", "missing"))?;
    let text = |k: &str| r.get(k).and_then(Value::as_str).map(str::to_owned);
    let mut currency = None;
    let mut amount = Decimal::ZERO;
    for (i, t) in r["transactions"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let kind = t.get("kind").and_then(Value::as_str).unwrap_or_default();
        let status = t.get("status").and_then(Value::as_str).unwrap_or_default();
        if kind != "refund" || status != "success" {
            continue;
        }
        let name = format!("transactions/{i}/amount");
        let value = decimal(&t["amount"], &name)?.ok_or_else(|| field(&name, "missing"))?;
        amount += value;
        if currency.is_none() {
            currency = t.get("currency").and_then(Value::as_str).map(str::to_owned);
        }
    }
    let mut lines = Vec::new();
    let mut lines_value = Decimal::ZERO;
    for (i, l) in r["refund_line_items"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let at = |k: &str| format!("refund_line_items/{i}/{k}");
        let line_id = l
            .get("line_item")
            .and_then(id_of)
            .or_else(|| l.get("line_item_id").and_then(plain_id))
            .ok_or_else(|| field(&at("line_item_id"), "missing"))?;
        let quantity = decimal(&l["quantity"], &at("quantity"))?
            .ok_or_else(|| field(&at("quantity"), "missing"))?;
        if quantity < Decimal::ZERO {
            return Err(field(&at("quantity"), "must not be negative"));
        }
        let restock_type = l
            .get("restock_type")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let restock = restock_type.as_deref().is_some_and(|t| t != "no_restock");
        let subtotal = money(l, "subtotal", &at("subtotal"))?;
        let total_tax = money(l, "total_tax", &at("total_tax"))?;
        lines_value += subtotal.unwrap_or_default() + total_tax.unwrap_or_default();
        if currency.is_none() {
            currency = l["subtotal_set"]["shop_money"]["currency_code"]
                .as_str()
                .map(str::to_owned);
        }
        lines.push(RefundLine {
            line_id,
            quantity,
            restock_type,
            restock,
            subtotal,
            total_tax,
        });
    }
    let mut shipping = Decimal::ZERO;
    for (i, s) in r["refund_shipping_lines"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let name = format!("refund_shipping_lines/{i}/subtotal_amount");
        shipping += money(s, "subtotal_amount", &name)?.unwrap_or_default();
    }
    Ok(Refund {
        refund_id,
        order_id,
        created_at: text("created_at"),
        note: text("note"),
        currency,
        amount,
        lines_value,
        shipping,
        lines,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn transactions_are_the_money_and_restock_follows_the_type() {
        let payload = json!({"refund": {
            "id": 7, "order_id": 450789469, "note": "late",
            "transactions": [
                {"kind": "refund", "status": "success", "amount": "10.50", "currency": "EUR"},
                {"kind": "refund", "status": "failure", "amount": "99.00", "currency": "EUR"},
                {"kind": "sale", "status": "success", "amount": "5.00", "currency": "EUR"}
            ],
            "refund_line_items": [
                {"line_item_id": 1, "quantity": 2, "restock_type": "return",
                 "subtotal_set": {"shop_money": {"amount": "8.00", "currency_code": "EUR"}},
                 "total_tax": "1.60"},
                {"line_item_id": 2, "quantity": 1, "restock_type": "no_restock", "subtotal": "0.90"}
            ]
        }});
        let r = parse_refund(payload.to_string().as_bytes()).expect("refund");
        assert_eq!(r.refund_id, "7");
        assert_eq!(r.order_id, "450789469");
        assert_eq!(r.amount, Decimal::new(1050, 2));
        assert_eq!(r.currency.as_deref(), Some("EUR"));
        assert_eq!(r.lines_value, Decimal::new(1050, 2));
        assert!(r.lines[0].restock && !r.lines[1].restock);
        assert_eq!(r.lines[0].quantity, Decimal::from(2));
    }

    #[test]
    fn errors_name_the_field() {
        let err = parse_refund(br#"{"id": 1}"#).expect_err("no order");
        assert_eq!(err.to_string(), "refund field order_id: missing");
        let err = parse_refund(
            br#"{"id": 1, "order_id": 2, "refund_line_items": [{"line_item_id": 3, "quantity": "x"}]}"#,
        )
        .expect_err("bad quantity");
        assert!(
            err.to_string().contains("refund_line_items/0/quantity"),
            "{err}"
        );
        assert!(matches!(parse_refund(b"{"), Err(RefundError::Json(_))));
    }
}
