//! The duplicate-suspect rule's fingerprint: the same customer ordering the
//! same lines for the same total. The exact duplicate (the same channel
//! order id) never gets here — ingest answers it from the idempotency key;
//! this catches the same purchase sent again under another id (a re-keyed
//! EDI PO, a phone order also typed into the shop).

use o2c_model::Order;
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

/// Hex SHA-256 of customer, currency, total and the sorted `(sku, quantity)`
/// lines. The customer is told by what the order itself says (email, else
/// its first reference, else its name), never by what the ERP answered: a
/// new customer's first order and its re-sent copy must match although
/// the first one created the ERP record in between.
pub fn fingerprint(order: &Order) -> String {
    let customer = &order.customer;
    let who = match (customer.email.as_deref(), customer.external_refs.first()) {
        (Some(email), _) if !email.trim().is_empty() => {
            format!("email:{}", email.trim().to_lowercase())
        }
        (_, Some(r)) => format!("ref:{}:{}", r.system, r.id),
        _ => format!("name:{}", customer.name.trim().to_lowercase()),
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
        assert_eq!(fingerprint(&a), fingerprint(&b));
    }

    #[test]
    fn another_quantity_total_or_customer_is_another_print() {
        let a = order("PO-1", json!([line("1", "A", "2")]), "2");
        let more = order("PO-2", json!([line("1", "A", "3")]), "2");
        let dearer = order("PO-3", json!([line("1", "A", "2")]), "2.50");
        let mut someone_else = a.clone();
        someone_else.customer.email = Some("buyer@other.example".into());
        assert_ne!(fingerprint(&a), fingerprint(&more));
        assert_ne!(fingerprint(&a), fingerprint(&dearer));
        assert_ne!(fingerprint(&a), fingerprint(&someone_else));
        // The email's case does not matter.
        let mut shouting = a.clone();
        shouting.customer.email = Some("ap@ACME.example".into());
        assert_eq!(fingerprint(&a), fingerprint(&shouting));
    }
}
