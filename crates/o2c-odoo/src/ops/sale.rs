//! Sale orders: the load-based upsert by external id (kept from the first
//! milestone), create + confirm keyed by `client_order_ref` + partner with
//! the lines as one2many commands in one call, and cancel.

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::{
    ActionResult, Ops, decimal_json, ids_of, json_decimal, load_ids, m2o, m2o_id, merged, opt_str,
    rows, str_field,
};
use crate::{OdooClient, OdooError};

/// One order line; its external id makes re-sending it an update.
#[derive(Debug, Clone, PartialEq)]
pub struct SaleLineValues {
    pub xmlid: String,
    pub product_id: i64,
    /// In the line's unit.
    pub quantity: Decimal,
    /// The ordered unit when it is not the product's (`None`: the
    /// product's); Odoo converts it for delivery.
    pub uom_id: Option<i64>,
    /// Per unit of the line's unit.
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
    /// Written only when given (Odoo otherwise takes the partner's); the
    /// order's currency follows it.
    pub pricelist_id: Option<i64>,
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

impl OdooClient {
    /// Creates or updates the order with external id `values.xmlid`, and its
    /// lines by their own external ids, in ONE `sale.order.load` call.
    /// Re-sending the same values gives the same order and the same lines.
    pub async fn upsert_sale_order(
        &self,
        values: &SaleOrderValues,
        correlation_id: Option<&str>,
    ) -> Result<i64, OdooError> {
        // In a company scope the order is written for that company
        // explicitly, not only by Odoo's default from the context.
        let company = crate::company::current();
        let mut fields = vec!["id", "partner_id/.id", "client_order_ref"];
        if values.note.is_some() {
            fields.push("note");
        }
        if company.is_some() {
            fields.push("company_id/.id");
        }
        if values.pricelist_id.is_some() {
            fields.push("pricelist_id/.id");
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
        // the unit column only when a line is in another unit than its
        // product's (its name differs in 19, so the version is asked then)
        let with_uom = values.lines.iter().any(|l| l.uom_id.is_some());
        let uom_column;
        let mut product_units = std::collections::HashMap::new();
        if with_uom {
            uom_column = format!(
                "order_line/{}/.id",
                self.dialect().await?.sale_line_uom_field
            );
            fields.push(&uom_column);
            // `load` writes an empty cell as False, not as the default: the
            // other lines name their product's unit
            let others: Vec<i64> = values
                .lines
                .iter()
                .filter(|l| l.uom_id.is_none())
                .map(|l| l.product_id)
                .collect();
            product_units = self.product_units(&others, correlation_id).await?;
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
                if let Some(c) = company {
                    r.push(json!(c.0));
                }
                if let Some(p) = values.pricelist_id {
                    r.push(json!(p));
                }
                r
            } else {
                let n = 3
                    + usize::from(values.note.is_some())
                    + usize::from(company.is_some())
                    + usize::from(values.pricelist_id.is_some());
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
            if with_uom {
                let unit = line
                    .uom_id
                    .or_else(|| product_units.get(&line.product_id).copied());
                r.push(unit.map_or(json!(""), |u| json!(u)));
            }
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
            .map(|l| -> Result<SaleOrderLineInfo, OdooError> {
                Ok(SaleOrderLineInfo {
                    id: super::rec_id(l)?,
                    product_id: m2o_id(&l["product_id"]),
                    quantity: json_decimal(&l["product_uom_qty"]),
                    price_unit: json_decimal(&l["price_unit"]),
                    discount: json_decimal(&l["discount"]),
                    price_subtotal: json_decimal(&l["price_subtotal"]),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
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

/// One line of a new order. `uom_id` is the channel's unit when it differs
/// from the product's (Odoo converts; same category required).
#[derive(Debug, Clone, PartialEq)]
pub struct NewOrderLine {
    pub product_id: i64,
    pub quantity: Decimal,
    pub uom_id: Option<i64>,
    /// `None`: let Odoo price the line (pricelist).
    pub price_unit: Option<Decimal>,
    /// Percent, 0–100.
    pub discount: Decimal,
    pub description: Option<String>,
}

/// A new order keyed by (`client_order_ref`, `partner_id`).
#[derive(Debug, Clone, PartialEq)]
pub struct NewSaleOrder {
    pub partner_id: i64,
    pub partner_invoice_id: Option<i64>,
    pub partner_shipping_id: Option<i64>,
    /// The channel order number: the natural key with the partner.
    pub client_order_ref: String,
    pub lines: Vec<NewOrderLine>,
    pub warehouse_id: Option<i64>,
    pub pricelist_id: Option<i64>,
    pub note: Option<String>,
}

impl Ops<'_> {
    /// The non-cancelled order with this `client_order_ref` for this
    /// (commercial) partner.
    pub async fn find_sale_order(
        &self,
        partner_id: i64,
        client_order_ref: &str,
    ) -> Result<Option<i64>, OdooError> {
        self.first_id(
            "sale.order",
            json!([
                ["client_order_ref", "=", client_order_ref],
                ["partner_id", "=", partner_id],
                ["state", "!=", "cancel"]
            ]),
            "id asc",
        )
        .await
    }

    /// The `create` values of a new order, lines as `[0, 0, vals]`
    /// commands (unit field per version: `product_uom` / `product_uom_id`).
    pub fn sale_order_values(&self, order: &NewSaleOrder) -> Value {
        let uom_field = self.dialect.sale_line_uom_field;
        let lines: Vec<Value> = order
            .lines
            .iter()
            .map(|l| {
                let mut v = json!({"product_id": l.product_id,
                                   "product_uom_qty": decimal_json(l.quantity)});
                if let Some(u) = l.uom_id {
                    v[uom_field] = json!(u);
                }
                if let Some(p) = l.price_unit {
                    v["price_unit"] = decimal_json(p);
                }
                if !l.discount.is_zero() {
                    v["discount"] = decimal_json(l.discount);
                }
                if let Some(d) = &l.description {
                    v["name"] = json!(d);
                }
                json!([0, 0, v])
            })
            .collect();
        let mut vals = json!({
            "partner_id": order.partner_id,
            "client_order_ref": order.client_order_ref,
            "order_line": lines,
        });
        for (k, v) in [
            ("partner_invoice_id", order.partner_invoice_id),
            ("partner_shipping_id", order.partner_shipping_id),
            ("warehouse_id", order.warehouse_id),
            ("pricelist_id", order.pricelist_id),
        ] {
            if let Some(v) = v {
                vals[k] = json!(v);
            }
        }
        if let Some(n) = &order.note {
            vals["note"] = json!(n);
        }
        vals
    }

    /// Creates the order with its lines in ONE `create` (unless an order
    /// with the same `client_order_ref` and partner exists), then confirms
    /// it if it is still a quotation. Returns (id, name).
    ///
    /// `client_order_ref` is not unique in Odoo (16 README §29): the lookup
    /// is the guard. A create that timed out may still commit later
    /// (server-side retries, §26); callers that cannot tolerate that window
    /// use the external-id upsert ([`OdooClient::upsert_sale_order`]).
    pub async fn create_and_confirm_sale_order(
        &self,
        order: &NewSaleOrder,
    ) -> Result<(i64, String), OdooError> {
        let id = match self
            .find_sale_order(order.partner_id, &order.client_order_ref)
            .await?
        {
            Some(id) => id,
            None => {
                self.create("sale.order", self.sale_order_values(order), None)
                    .await?
            }
        };
        let name = self
            .client
            .confirm_sale_order(id, self.correlation_id)
            .await?;
        Ok((id, name))
    }

    /// Cancels the order (a no-op if it is cancelled already). 16–18
    /// answer `action_cancel` on a confirmed order with the
    /// `sale.order.cancel` wizard unless the context has
    /// `disable_cancel_warning`; 19 cancels directly (19 README §9). If a
    /// wizard still comes back, it is run with the action's context.
    /// Odoo's own refusals (e.g. posted invoices) surface as `UserError`.
    pub async fn cancel_sale_order(&self, id: i64) -> Result<(), OdooError> {
        let rec = self.read_one("sale.order", id, &["state"]).await?;
        if str_field(&rec, "state") == "cancel" {
            return Ok(());
        }
        let ctx = self.dialect.cancel_context();
        let r = self
            .call_on("sale.order", "action_cancel", &[id], Some(&ctx))
            .await?;
        if let ActionResult::Window {
            res_model,
            res_id,
            context,
            ..
        } = ActionResult::parse(r)
        {
            if res_model != "sale.order.cancel" {
                return Err(OdooError::protocol(format!(
                    "action_cancel answered with an unknown wizard {res_model}"
                )));
            }
            let ctx = merged(&context, &ctx);
            let wid = match res_id {
                Some(w) => w,
                None => {
                    self.create("sale.order.cancel", json!({"order_id": id}), Some(&ctx))
                        .await?
                }
            };
            // addons/sale/wizard/sale_order_cancel.py: action_cancel
            self.call_on("sale.order.cancel", "action_cancel", &[wid], Some(&ctx))
                .await?;
        }
        let rec = self.read_one("sale.order", id, &["state"]).await?;
        match str_field(&rec, "state").as_str() {
            "cancel" => Ok(()),
            other => Err(OdooError::UserError {
                message: format!("sale.order {id} is still {other} after cancel"),
            }),
        }
    }

    /// The order's pickings, invoices and statuses.
    pub async fn sale_order_links(&self, id: i64) -> Result<Value, OdooError> {
        self.read_one(
            "sale.order",
            id,
            &[
                "name",
                "state",
                "picking_ids",
                "invoice_ids",
                "invoice_status",
                "partner_id",
            ],
        )
        .await
    }

    /// Picking ids of an order.
    pub async fn sale_order_pickings(&self, id: i64) -> Result<Vec<i64>, OdooError> {
        let r = self.read_one("sale.order", id, &["picking_ids"]).await?;
        Ok(ids_of(&r, "picking_ids"))
    }

    /// The order's partner id (for lookups keyed by it).
    pub async fn sale_order_partner(&self, id: i64) -> Result<Option<i64>, OdooError> {
        let r = self.read_one("sale.order", id, &["partner_id"]).await?;
        Ok(m2o(&r, "partner_id"))
    }
}
