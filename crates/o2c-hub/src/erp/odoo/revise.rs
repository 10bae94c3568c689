//! Channel changes to a sale order Odoo already holds: cancel it, or revise
//! its lines to the channel's new content.
//!
//! Odoo itself lets a confirmed order be cancelled with posted invoices or
//! done deliveries (it keeps them, which leaves stock and accounting for
//! someone to unwind), and lets quantities change under a done delivery. A
//! distributor wants neither to happen behind its back, so both paths first
//! read what the order has led to and answer "too late" (with the names of
//! the invoices and deliveries) instead of writing.
//!
//! Revisions are written with ONE `sale.order.load` under the same external
//! ids the submission used (`<order>_l<index>` for the lines as first
//! submitted, `<order>_c<channel line id>` for lines the channel added
//! later), so a repeat updates the same lines; a line the channel dropped is
//! set to quantity 0, which Odoo allows on confirmed orders (it refuses to
//! delete their lines) and keeps the history visible. Every line is
//! written with its unit (the channel's, else its product's) and the
//! channel's price per that unit, so a line that changes unit (Units to
//! cases of 12 and back) changes unit in Odoo too.

use o2c_model::Order;
use o2c_odoo::{OdooError, SaleLineValues, SaleOrderValues};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{OdooErp, charges_shipping, map_error, order_xmlid, service_line};
use crate::erp::{ErpCall, ErpCancellation, ErpError, ErpRevision, OrderRevision};
use o2c_flow::HoldReason;

/// What an Odoo sale order has led to, as far as changing it goes.
#[derive(Debug, Default)]
struct Consequences {
    name: String,
    state: String,
    /// Names of posted (not cancelled, not draft) invoices.
    invoices: Vec<String>,
    /// Names of done deliveries.
    deliveries: Vec<String>,
}

impl Consequences {
    /// Why the order can no longer change, if it cannot: a reason code and
    /// a sentence naming the records in the way.
    fn blocker(&self) -> Option<(&'static str, String)> {
        if !self.invoices.is_empty() {
            return Some((
                "channel_change_after_invoice",
                format!(
                    "sale order {} is invoiced ({}); a credit note is needed instead",
                    self.name,
                    self.invoices.join(", ")
                ),
            ));
        }
        if !self.deliveries.is_empty() {
            return Some((
                "channel_change_after_fulfilment",
                format!(
                    "sale order {} has done deliveries ({}); the goods have left",
                    self.name,
                    self.deliveries.join(", ")
                ),
            ));
        }
        None
    }
}

fn names_where(rows: &Value, keep: impl Fn(&str) -> bool) -> Vec<String> {
    rows.as_array()
        .map(|rows| {
            rows.iter()
                .filter(|r| keep(r.get("state").and_then(Value::as_str).unwrap_or_default()))
                .filter_map(|r| r.get("name").and_then(Value::as_str).map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The external id of a channel line in Odoo: the index it had when the
/// order was submitted, else one derived from the channel's line id.
pub(super) fn line_xmlid(order_xmlid: &str, submitted: &Order, line_id: &str) -> String {
    match submitted.lines.iter().position(|l| l.line_id == line_id) {
        Some(index) => format!("{order_xmlid}_l{index}"),
        None => {
            let plain = !line_id.is_empty()
                && line_id.len() <= 40
                && line_id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_');
            if plain {
                format!("{order_xmlid}_c{line_id}")
            } else {
                let digest = Sha256::digest(line_id.as_bytes());
                format!("{order_xmlid}_c{}", hex::encode(&digest[..10]))
            }
        }
    }
}

impl OdooErp {
    /// One read of the order, then one of its invoices and one of its
    /// pickings (each only when there are some).
    async fn consequences(
        &self,
        correlation_id: &str,
        erp_order_id: i64,
    ) -> Result<Consequences, OdooError> {
        let found = self
            .client
            .execute_kw(
                "sale.order",
                "read",
                json!([[erp_order_id]]),
                json!({"fields": ["name", "state", "invoice_ids", "picking_ids"]}),
                Some(correlation_id),
            )
            .await?;
        let Some(order) = found.as_array().and_then(|rows| rows.first()).cloned() else {
            return Err(OdooError::MissingRecord {
                message: format!("sale.order({erp_order_id},) does not exist"),
            });
        };
        let text = |field: &str| {
            order
                .get(field)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let mut out = Consequences {
            name: text("name"),
            state: text("state"),
            ..Consequences::default()
        };
        let invoice_ids = super::x2many_ids(&order, "invoice_ids");
        if !invoice_ids.is_empty() {
            let rows = self
                .client
                .execute_kw(
                    "account.move",
                    "read",
                    json!([invoice_ids]),
                    json!({"fields": ["name", "state"]}),
                    Some(correlation_id),
                )
                .await?;
            out.invoices = names_where(&rows, |state| state == "posted");
        }
        let picking_ids = super::x2many_ids(&order, "picking_ids");
        if !picking_ids.is_empty() {
            let rows = self
                .client
                .execute_kw(
                    "stock.picking",
                    "read",
                    json!([picking_ids]),
                    json!({"fields": ["name", "state"]}),
                    Some(correlation_id),
                )
                .await?;
            out.deliveries = names_where(&rows, |state| state == "done");
        }
        Ok(out)
    }

    pub(super) async fn cancel(
        &self,
        call: ErpCall<'_>,
        erp_order_id: i64,
    ) -> Result<ErpCancellation, ErpError> {
        let found = self
            .consequences(call.correlation_id, erp_order_id)
            .await
            .map_err(map_error)?;
        if found.state == "cancel" {
            return Ok(ErpCancellation::Cancelled);
        }
        if let Some((_, detail)) = found.blocker() {
            return Ok(ErpCancellation::Refused { message: detail });
        }
        let dialect = self.client.dialect().await.map_err(map_error)?;
        let ops = self
            .client
            .ops(dialect)
            .with_correlation_id(call.correlation_id);
        match ops.cancel_sale_order(erp_order_id).await {
            Ok(()) => Ok(ErpCancellation::Cancelled),
            // Odoo's own refusal (a locked order, ...) in its own words.
            Err(error) if error.is_refusal() => Ok(ErpCancellation::Refused {
                message: format!(
                    "Odoo refused to cancel {}: {}",
                    found.name,
                    error.message().unwrap_or("no message")
                ),
            }),
            Err(error) => Err(map_error(error)),
        }
    }

    pub(super) async fn revise(
        &self,
        call: ErpCall<'_>,
        erp_order_id: i64,
        revision: OrderRevision<'_>,
    ) -> Result<ErpRevision, ErpError> {
        let found = self
            .consequences(call.correlation_id, erp_order_id)
            .await
            .map_err(map_error)?;
        match found.state.as_str() {
            "cancel" => {
                return Ok(ErpRevision::TooLate {
                    reason: "erp_order_cancelled".into(),
                    detail: format!("sale order {} is cancelled in Odoo", found.name),
                });
            }
            "done" => {
                return Ok(ErpRevision::TooLate {
                    reason: "erp_order_locked".into(),
                    detail: format!("sale order {} is locked in Odoo", found.name),
                });
            }
            _ => {}
        }
        if let Some((reason, detail)) = found.blocker() {
            return Ok(ErpRevision::TooLate {
                reason: reason.into(),
                detail,
            });
        }
        let OrderRevision {
            submitted,
            previous,
            current,
        } = revision;
        let mut skus: Vec<String> = current
            .lines
            .iter()
            .chain(&previous.lines)
            .map(|l| l.sku.clone())
            .collect();
        skus.sort();
        skus.dedup();
        let products = self.resolve_products(call, &skus).await?;
        let mut unknown: Vec<&str> = current
            .lines
            .iter()
            .map(|l| l.sku.as_str())
            .filter(|sku| !products.contains_key(*sku))
            .collect();
        if !unknown.is_empty() {
            unknown.dedup();
            return Ok(ErpRevision::Rejected {
                reasons: vec![HoldReason::UnknownProduct],
                detail: format!("no Odoo product has the SKU(s): {}", unknown.join(", ")),
            });
        }
        let fits = self
            .unit_fits(
                call.correlation_id,
                current
                    .lines
                    .iter()
                    .map(|l| (l.sku.as_str(), l.quantity.uom.as_str())),
                |sku| {
                    products.get(sku).map(|p| super::units::ProductUnit {
                        uom_id: p.uom_id,
                        uom_name: p.uom_name.as_deref(),
                    })
                },
            )
            .await
            .map_err(map_error)?;
        if let Some((reason, detail)) = super::unit_rejection(current, &fits) {
            return Ok(ErpRevision::Rejected {
                reasons: vec![reason],
                detail,
            });
        }
        let partner_id = self.resolve_partner(call, current).await?;
        let rounding = match call.rounding_adjustment {
            Some(amount) => Some((self.rounding_product(call.correlation_id).await?, amount)),
            None => None,
        };
        let shipping = if charges_shipping(current) || charges_shipping(previous) {
            Some(self.shipping_product(call.correlation_id).await?)
        } else {
            None
        };
        let mut values: SaleOrderValues = Self::sale_values(
            call.order_id,
            current,
            &products,
            &fits,
            partner_id,
            rounding,
            shipping,
        );
        // A shipping charge or rounding line the revised order no longer
        // has is zeroed, not left counting.
        let zero = rust_decimal::Decimal::ZERO;
        if let Some(product_id) = shipping
            && !charges_shipping(current)
        {
            let xmlid = format!("{}_shipping", order_xmlid(call.order_id));
            values
                .lines
                .push(service_line(xmlid, product_id, zero, zero));
        }
        if let Some((product_id, amount)) = rounding
            && amount.is_zero()
        {
            let xmlid = format!("{}_rounding", order_xmlid(call.order_id));
            values
                .lines
                .push(service_line(xmlid, product_id, zero, zero));
        }
        let xmlid = order_xmlid(call.order_id);
        // Same external ids as the submission for the lines it had, and
        // every line's unit named: a line the channel moved back to its
        // product's unit (cases -> Units) must have its unit written too,
        // and `load` leaves a column it is not given as it was.
        for (value, line) in values.lines.iter_mut().zip(&current.lines) {
            value.xmlid = line_xmlid(&xmlid, submitted, &line.line_id);
            if value.uom_id.is_none() {
                value.uom_id = products.get(&line.sku).and_then(|p| p.uom_id);
            }
        }
        for gone in previous
            .lines
            .iter()
            .filter(|p| !current.lines.iter().any(|c| c.line_id == p.line_id))
        {
            // A product Odoo no longer finds cannot be on the order either.
            let Some(product) = products.get(&gone.sku) else {
                continue;
            };
            values.lines.push(SaleLineValues {
                xmlid: line_xmlid(&xmlid, submitted, &gone.line_id),
                product_id: product.id,
                quantity: rust_decimal::Decimal::ZERO,
                uom_id: product.uom_id,
                price_unit: gone.unit_price,
                discount: gone.effective_discount_percent().round_dp(6),
            });
        }
        if values.note.is_none() && previous.notes.is_some() {
            values.note = Some(String::new());
        }
        let written = self
            .client
            .upsert_sale_order(&values, Some(call.correlation_id))
            .await;
        match written {
            Ok(id) if id == erp_order_id => Ok(ErpRevision::Revised),
            Ok(id) => Err(ErpError::Permanent(format!(
                "revising sale.order {erp_order_id} wrote sale.order {id}: the external id points elsewhere"
            ))),
            Err(error) if error.is_refusal() => Ok(ErpRevision::TooLate {
                reason: "erp_refused_change".into(),
                detail: format!(
                    "Odoo refused the change to {}: {}",
                    found.name,
                    error.message().unwrap_or("no message")
                ),
            }),
            Err(error) => Err(map_error(error)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order_with(lines: &[&str]) -> Order {
        let lines: Vec<serde_json::Value> = lines
            .iter()
            .map(|id| json!({"line_id": id, "sku": "A", "quantity": {"value": "1", "uom": "Units"}, "unit_price": "1"}))
            .collect();
        serde_json::from_value(json!({
            "channel": {"kind": "shopify", "account": "s"},
            "channel_order_id": "1",
            "order_date": "2026-01-01T00:00:00Z",
            "currency": "USD",
            "customer": {"name": "C"},
            "lines": lines
        }))
        .expect("order")
    }

    #[test]
    fn line_ids_keep_their_submitted_index_and_new_ones_are_stable() {
        let submitted = order_with(&["10", "20"]);
        assert_eq!(line_xmlid("m.so", &submitted, "20"), "m.so_l1");
        assert_eq!(line_xmlid("m.so", &submitted, "30"), "m.so_c30");
        let odd = line_xmlid("m.so", &submitted, "gid://x/1");
        assert!(odd.starts_with("m.so_c") && odd.len() == "m.so_c".len() + 20);
        assert_eq!(odd, line_xmlid("m.so", &submitted, "gid://x/1"));
    }

    #[test]
    fn invoices_block_before_deliveries() {
        let mut c = Consequences {
            name: "S1".into(),
            state: "sale".into(),
            ..Default::default()
        };
        assert!(c.blocker().is_none());
        c.deliveries.push("WH/OUT/1".into());
        assert_eq!(
            c.blocker().map(|b| b.0),
            Some("channel_change_after_fulfilment")
        );
        c.invoices.push("INV/1".into());
        let (reason, detail) = c.blocker().expect("blocked");
        assert_eq!(reason, "channel_change_after_invoice");
        assert!(detail.contains("INV/1"), "{detail}");
    }
}
