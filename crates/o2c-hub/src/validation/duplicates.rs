//! The duplicate-suspect rule's fingerprint: the same customer ordering the
//! same lines for the same total. The exact duplicate (the same channel
//! order id) never gets here — ingest answers it from the idempotency key;
//! this catches the same purchase sent again under another id (a re-keyed
//! EDI PO, a phone order also typed into the shop).

use o2c_model::Order;
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

/// Hex SHA-256 of customer, currency, total and the sorted `(sku, quantity)`
/// lines. `partner_id`: the customer's ERP record when known, the surest
/// identity across channels.
pub fn fingerprint(order: &Order, partner_id: Option<i64>) -> String {
    let customer = &order.customer;
    let who = match partner_id {
        Some(id) => format!("erp:{id}"),
        None => match (customer.email.as_deref(), customer.external_refs.first()) {
            (Some(email), _) if !email.trim().is_empty() => {
                format!("email:{}", email.trim().to_lowercase())
            }
            (_, Some(r)) => format!("ref:{}:{}", r.system, r.id),
            _ => format!("name:{}", customer.name.trim().to_lowercase()),
        },
    };
    let mut lines: Vec<String> = order
        .lines
        .iter()
        .map(|l| format!("{}\u{1f}{}", l.sku, l.quantity.value.normalize()))
        .collect();
    lines.sort();
    let total = order.declared_total().map(|m| m.amount).unwrap_or_else(|| {
        let tax: Decimal = order
            .lines
            .iter()
            .flat_map(|l| &l.taxes)
            .filter_map(|t| t.amount)
            .sum();
        order.subtotal().amount + order.shipping_amount().amount + tax
    });
    let mut hash = Sha256::new();
    for part in [
        who,
        order.currency.code().to_owned(),
        total.normalize().to_string(),
    ] {
        hash.update(part.as_bytes());
        hash.update([0x1e]);
    }
    for line in lines {
        hash.update(line.as_bytes());
        hash.update([0x1e]);
    }
    hex::encode(hash.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn order(id: &str, lines: serde_json::Value, total: &str) -> Order {
        serde_json::from_value(json!({
            "channel": { "kind": "edi", "account": "acme" },
            "channel_order_id": id,
            "order_date": "2026-11-27T10:00:00Z",
            "currency": "USD",
            "customer": { "name": "Acme", "email": "AP@acme.example" },
            "lines": lines,
            "declared_totals": { "total": total }
        }))
        .expect("order")
    }

    fn line(id: &str, sku: &str, qty: &str) -> serde_json::Value {
        json!({ "line_id": id, "sku": sku, "quantity": { "value": qty, "uom": "Units" }, "unit_price": "1" })
    }

    #[test]
    fn the_same_purchase_under_another_id_has_the_same_print() {
        let a = order(
            "PO-1",
            json!([line("1", "A", "2"), line("2", "B", "1")]),
            "3",
        );
        // other id, lines in another order, quantity written differently
        let b = order(
            "PO-2",
            json!([line("9", "B", "1.0"), line("8", "A", "2")]),
            "3.00",
        );
        assert_eq!(fingerprint(&a, None), fingerprint(&b, None));
        assert_eq!(fingerprint(&a, Some(7)), fingerprint(&b, Some(7)));
    }

    #[test]
    fn another_quantity_total_or_customer_is_another_print() {
        let a = order("PO-1", json!([line("1", "A", "2")]), "2");
        let more = order("PO-2", json!([line("1", "A", "3")]), "2");
        let dearer = order("PO-3", json!([line("1", "A", "2")]), "2.50");
        assert_ne!(fingerprint(&a, None), fingerprint(&more, None));
        assert_ne!(fingerprint(&a, None), fingerprint(&dearer, None));
        assert_ne!(fingerprint(&a, Some(1)), fingerprint(&a, Some(2)));
    }
}
