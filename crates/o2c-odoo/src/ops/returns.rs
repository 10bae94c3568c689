//! Customer returns through `stock.return.picking`.
//!
//! Idempotency comes from Odoo's own records: the request says how many
//! units of each product should have come back from a delivery *in total*;
//! the quantities already on (non-cancelled) return moves of that delivery
//! (`origin_returned_move_id`) are subtracted, so a repeat returns nothing
//! more.

use std::collections::HashMap;

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::{ActionResult, Ops, dec, decimal_json, m2o, rec_id};
use crate::OdooError;
use crate::ops::stock::{PickingValidation, ValidateRequest};
use crate::version::ReturnLines;

/// What a return did.
#[derive(Debug, Clone, PartialEq)]
pub struct ReturnOutcome {
    /// The new return picking (`None`: everything was returned already).
    pub return_picking_id: Option<i64>,
    /// Quantity per product put on the new return.
    pub returned: Vec<(i64, Decimal)>,
    /// The return's validation, when asked for.
    pub validation: Option<PickingValidation>,
}

impl Ops<'_> {
    /// Quantity per product already returned from `picking_id`.
    pub async fn returned_quantities(
        &self,
        move_ids: &[i64],
    ) -> Result<HashMap<i64, Decimal>, OdooError> {
        let mut out = HashMap::new();
        if move_ids.is_empty() {
            return Ok(out);
        }
        let rows = self
            .search_read(
                "stock.move",
                json!([
                    ["origin_returned_move_id", "in", move_ids],
                    ["state", "!=", "cancel"]
                ]),
                &["product_id", "product_uom_qty"],
                None,
                None,
            )
            .await?;
        for r in rows {
            if let Some(p) = m2o(&r, "product_id") {
                *out.entry(p).or_default() += dec(&r, "product_uom_qty");
            }
        }
        Ok(out)
    }

    /// Returns units of a done delivery so that, in total, `target`
    /// quantities per product have come back; `to_refund` lowers the sale
    /// line's delivered quantity (16 README §13). With `validate`, the
    /// return picking is validated for everything reserved.
    ///
    /// Per version (16 README §7, 17 §3, 18 §3, 19 §4): 16 gets its lines
    /// and `location_id` explicitly; 17+ fill the lines on `create` (17
    /// with the delivered quantity, 18+ with 0) and they are rewritten
    /// here; the button is `create_returns` (16–17) or
    /// `action_create_returns` (18+).
    pub async fn return_picking(
        &self,
        picking_id: i64,
        target: &[(i64, Decimal)],
        to_refund: bool,
        validate: bool,
    ) -> Result<ReturnOutcome, OdooError> {
        let pick = self.read_picking(picking_id).await?;
        if pick.state != "done" {
            return Err(OdooError::UserError {
                message: format!(
                    "stock.picking {picking_id} is {}: only done transfers can be returned",
                    pick.state
                ),
            });
        }
        let move_ids: Vec<i64> = pick.moves.iter().map(|m| m.id).collect();
        let already = self.returned_quantities(&move_ids).await?;
        let mut delta: Vec<(i64, Decimal)> = Vec::new();
        for (p, q) in target {
            let d = *q - already.get(p).copied().unwrap_or_default();
            if d > Decimal::ZERO {
                delta.push((*p, d));
            }
        }
        if delta.is_empty() {
            return Ok(ReturnOutcome {
                return_picking_id: None,
                returned: Vec::new(),
                validation: None,
            });
        }
        let ctx = json!({"active_model": "stock.picking", "active_id": picking_id,
                         "active_ids": [picking_id]});
        let wid = match self.dialect.return_lines {
            ReturnLines::Explicit => {
                let mut lines = Vec::new();
                for (p, q) in &delta {
                    let Some(mv) = pick
                        .moves
                        .iter()
                        .find(|m| m.product_id == Some(*p) && m.state == "done")
                    else {
                        return Err(OdooError::Validation {
                            message: format!(
                                "product {p} was not delivered by stock.picking {picking_id}"
                            ),
                        });
                    };
                    lines.push(json!([0, 0, {"product_id": p, "quantity": decimal_json(*q),
                                             "move_id": mv.id, "to_refund": to_refund}]));
                }
                let mut vals = json!({"picking_id": picking_id, "product_return_moves": lines});
                if let Some(l) = pick.location_id {
                    vals["location_id"] = json!(l);
                }
                self.create("stock.return.picking", vals, Some(&ctx))
                    .await?
            }
            ReturnLines::ComputedDelivered | ReturnLines::ComputedZero => {
                let wid = self
                    .create(
                        "stock.return.picking",
                        json!({"picking_id": picking_id}),
                        Some(&ctx),
                    )
                    .await?;
                let lines = self
                    .search_read(
                        "stock.return.picking.line",
                        json!([["wizard_id", "=", wid]]),
                        &["product_id", "quantity", "move_id"],
                        Some("id asc"),
                        None,
                    )
                    .await?;
                let mut left: HashMap<i64, Decimal> = delta.iter().copied().collect();
                let mut cmds: Vec<Value> = Vec::new();
                for l in &lines {
                    let lid = rec_id(l)?;
                    let q = match m2o(l, "product_id").and_then(|p| left.get_mut(&p)) {
                        Some(q) => std::mem::take(q),
                        None => Decimal::ZERO,
                    };
                    cmds.push(
                        json!([1, lid, {"quantity": decimal_json(q), "to_refund": to_refund}]),
                    );
                }
                if let Some((p, _)) = left.iter().find(|(_, q)| !q.is_zero()) {
                    return Err(OdooError::Validation {
                        message: format!(
                            "product {p} was not delivered by stock.picking {picking_id}"
                        ),
                    });
                }
                self.write(
                    "stock.return.picking",
                    &[wid],
                    json!({"product_return_moves": cmds}),
                )
                .await?;
                wid
            }
        };
        let r = self
            .call_on(
                "stock.return.picking",
                self.dialect.return_method,
                &[wid],
                Some(&ctx),
            )
            .await?;
        let new_id = match ActionResult::parse(r) {
            ActionResult::Window {
                res_model,
                res_id: Some(id),
                ..
            } if res_model == "stock.picking" => id,
            other => {
                return Err(OdooError::protocol(format!(
                    "{} answered {other:?}",
                    self.dialect.return_method
                )));
            }
        };
        let validation = if validate {
            Some(
                self.validate_picking(&ValidateRequest {
                    picking_id: new_id,
                    ..ValidateRequest::default()
                })
                .await?,
            )
        } else {
            None
        };
        Ok(ReturnOutcome {
            return_picking_id: Some(new_id),
            returned: delta,
            validation,
        })
    }
}
