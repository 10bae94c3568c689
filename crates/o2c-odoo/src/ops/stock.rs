//! Deliveries: read pickings and moves, validate with given (possibly
//! partial) quantities through Odoo's own wizard flow, set carrier and
//! tracking reference.

use std::collections::HashMap;

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::{
    ActionResult, Ops, dec, decimal_json, ids_of, m2o, merged, opt_field, rec_id, str_field,
};
use crate::OdooError;

/// A picking as read back.
#[derive(Debug, Clone, PartialEq)]
pub struct PickingInfo {
    pub id: i64,
    pub name: String,
    pub state: String,
    pub origin: Option<String>,
    pub partner_id: Option<i64>,
    pub picking_type_id: Option<i64>,
    pub location_id: Option<i64>,
    pub location_dest_id: Option<i64>,
    pub backorder_id: Option<i64>,
    pub carrier_id: Option<i64>,
    pub carrier_tracking_ref: Option<String>,
    pub sale_id: Option<i64>,
    pub date_done: Option<String>,
    pub write_date: Option<String>,
    pub moves: Vec<MoveInfo>,
}

/// A stock move, with quantities in its own unit.
#[derive(Debug, Clone, PartialEq)]
pub struct MoveInfo {
    pub id: i64,
    pub product_id: Option<i64>,
    pub uom_id: Option<i64>,
    /// Demand, in the move's unit (`uom_id`: the sale line's).
    pub product_uom_qty: Decimal,
    /// Demand in the product's own unit (`product_qty`), what stock is
    /// reserved in.
    pub product_qty: Decimal,
    /// Done (16: `quantity_done`) or, 17+, `quantity` (reserved and done in
    /// one number; see `picked`).
    pub quantity: Decimal,
    /// 17+: whether the quantity counts as done.
    pub picked: bool,
    pub state: String,
    pub sale_line_id: Option<i64>,
    pub origin_returned_move_id: Option<i64>,
}

/// What to do with the rest when fewer units are delivered than demanded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BackorderPolicy {
    /// `stock.backorder.confirmation.process`: a backorder is created.
    #[default]
    Create,
    /// `process_cancel_backorder`: the rest is cancelled.
    Decline,
}

/// The `confirm.stock.sms` wizard that `stock_sms` may chain (16 README §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SmsPolicy {
    /// `dont_send_sms` (as recorded). Side effect: it switches the
    /// company's SMS-on-delivery off, so the wizard never shows again.
    #[default]
    DontSend,
    /// `send_sms`: texts the customer (IAP credits).
    Send,
}

/// A validation request.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ValidateRequest {
    pub picking_id: i64,
    /// Done quantity per product, in the move's unit. `None`: everything
    /// reserved (what 16's immediate-transfer wizard and 17+'s "nothing
    /// picked" path do).
    pub quantities: Option<Vec<(i64, Decimal)>>,
    pub backorder: BackorderPolicy,
    pub sms: SmsPolicy,
}

/// The outcome of a validation.
#[derive(Debug, Clone, PartialEq)]
pub struct PickingValidation {
    pub picking_id: i64,
    pub state: String,
    pub backorder_ids: Vec<i64>,
    /// The wizards run, in order (e.g. `stock.backorder.confirmation`,
    /// `confirm.stock.sms`).
    pub wizards: Vec<String>,
    /// true when the picking was already done (a repeat): nothing written.
    pub already_done: bool,
}

const PICKING_FIELDS: &[&str] = &[
    "name",
    "state",
    "origin",
    "partner_id",
    "picking_type_id",
    "location_id",
    "location_dest_id",
    "backorder_id",
    "carrier_id",
    "carrier_tracking_ref",
    "sale_id",
    "date_done",
    "write_date",
    "move_ids",
];

/// How a move line's unit relates to its move's.
#[derive(Debug, Clone, Copy, PartialEq)]
struct LineUnit {
    /// Move units in one line unit (1/12 for a line in Units of a move in
    /// cases of 12).
    line_to_move: Decimal,
    /// Line units in one move unit.
    move_to_line: Decimal,
    /// The line unit's rounding.
    rounding: Decimal,
}

impl LineUnit {
    const SAME: LineUnit = LineUnit {
        line_to_move: Decimal::ONE,
        move_to_line: Decimal::ONE,
        rounding: Decimal::ZERO,
    };

    /// A quantity in the move's unit as the line counts it, rounded
    /// half-up to the line unit's rounding.
    fn in_line_unit(&self, qty: Decimal) -> Decimal {
        let converted = qty * self.move_to_line;
        if self.rounding <= Decimal::ZERO {
            return converted;
        }
        ((converted / self.rounding)
            .round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
            * self.rounding)
            .normalize()
    }
}

/// The units of a picking's move lines that differ from their moves'.
#[derive(Debug, Default)]
struct LineUnits {
    by_line: HashMap<i64, LineUnit>,
}

impl LineUnits {
    fn of(&self, line: &Value) -> Result<LineUnit, OdooError> {
        Ok(self
            .by_line
            .get(&rec_id(line)?)
            .copied()
            .unwrap_or(LineUnit::SAME))
    }
}

/// The wizard loop's bound: real flows chain at most three.
const MAX_WIZARDS: usize = 6;

impl Ops<'_> {
    fn move_fields(&self) -> Vec<&'static str> {
        let mut f = vec![
            "product_id",
            "product_uom",
            "product_uom_qty",
            "product_qty",
            self.dialect.move_done_field,
            "state",
            "sale_line_id",
            "origin_returned_move_id",
            "picking_id",
        ];
        if self.dialect.uses_picked {
            f.push("picked");
        }
        f
    }

    fn move_info(&self, m: &Value) -> Result<MoveInfo, OdooError> {
        Ok(MoveInfo {
            id: rec_id(m)?,
            product_id: m2o(m, "product_id"),
            uom_id: m2o(m, "product_uom"),
            product_uom_qty: dec(m, "product_uom_qty"),
            product_qty: dec(m, "product_qty"),
            quantity: dec(m, self.dialect.move_done_field),
            picked: if self.dialect.uses_picked {
                m.get("picked").and_then(Value::as_bool).unwrap_or(false)
            } else {
                !dec(m, "quantity_done").is_zero()
            },
            state: str_field(m, "state"),
            sale_line_id: m2o(m, "sale_line_id"),
            origin_returned_move_id: m2o(m, "origin_returned_move_id"),
        })
    }

    /// Pickings with their moves: two reads whatever the count.
    pub async fn read_pickings(&self, ids: &[i64]) -> Result<Vec<PickingInfo>, OdooError> {
        let picks = self.read("stock.picking", ids, PICKING_FIELDS).await?;
        let move_ids: Vec<i64> = picks.iter().flat_map(|p| ids_of(p, "move_ids")).collect();
        let moves = self
            .read("stock.move", &move_ids, &self.move_fields())
            .await?;
        let mut by_picking: HashMap<i64, Vec<MoveInfo>> = HashMap::new();
        for m in &moves {
            let info = self.move_info(m)?;
            if let Some(p) = m2o(m, "picking_id") {
                by_picking.entry(p).or_default().push(info);
            }
        }
        picks
            .iter()
            .map(|p| {
                let id = rec_id(p)?;
                Ok(PickingInfo {
                    id,
                    name: str_field(p, "name"),
                    state: str_field(p, "state"),
                    origin: opt_field(p, "origin"),
                    partner_id: m2o(p, "partner_id"),
                    picking_type_id: m2o(p, "picking_type_id"),
                    location_id: m2o(p, "location_id"),
                    location_dest_id: m2o(p, "location_dest_id"),
                    backorder_id: m2o(p, "backorder_id"),
                    carrier_id: m2o(p, "carrier_id"),
                    carrier_tracking_ref: opt_field(p, "carrier_tracking_ref"),
                    sale_id: m2o(p, "sale_id"),
                    date_done: opt_field(p, "date_done"),
                    write_date: opt_field(p, "write_date"),
                    moves: by_picking.remove(&id).unwrap_or_default(),
                })
            })
            .collect()
    }

    pub async fn read_picking(&self, id: i64) -> Result<PickingInfo, OdooError> {
        self.read_pickings(&[id])
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| super::missing("stock.picking", id))
    }

    /// The pickings of a sale order (`sale_id`), with their moves.
    pub async fn pickings_of_order(&self, order_id: i64) -> Result<Vec<PickingInfo>, OdooError> {
        let ids: Vec<i64> = self
            .search_read(
                "stock.picking",
                json!([["sale_id", "=", order_id]]),
                &["id"],
                Some("id asc"),
                None,
            )
            .await?
            .iter()
            .filter_map(|r| r.get("id").and_then(Value::as_i64))
            .collect();
        self.read_pickings(&ids).await
    }

    /// Validates a picking with the given done quantities and runs whatever
    /// wizard Odoo answers with, in a loop, each with the context its action
    /// carries (16 README §1–3):
    ///
    /// - `stock.backorder.confirmation`: created with the action's context
    ///   (without it `process()` silently validates nothing), then `process`
    ///   or `process_cancel_backorder` per [`BackorderPolicy`];
    /// - `stock.immediate.transfer` (16, nothing done): `process`, only when
    ///   the request asked for everything reserved;
    /// - `confirm.stock.sms`: `dont_send_sms` / `send_sms` on its `res_id`.
    ///
    /// Repeating it on a done picking writes nothing (19 would answer
    /// `true`, 16–18 a UserError).
    pub async fn validate_picking(
        &self,
        req: &ValidateRequest,
    ) -> Result<PickingValidation, OdooError> {
        let pick = self
            .read_one("stock.picking", req.picking_id, &["state"])
            .await?;
        let state = str_field(&pick, "state");
        if state == "done" {
            return Ok(PickingValidation {
                picking_id: req.picking_id,
                state,
                backorder_ids: self.backorders_of(req.picking_id).await?,
                wizards: Vec::new(),
                already_done: true,
            });
        }
        if state == "cancel" {
            return Err(OdooError::UserError {
                message: format!("stock.picking {} is cancelled", req.picking_id),
            });
        }
        if let Some(q) = &req.quantities {
            if q.iter().all(|(_, n)| n.is_zero()) {
                return Err(OdooError::Validation {
                    message: "nothing to validate: every quantity is zero".into(),
                });
            }
            self.write_done_quantities(req.picking_id, q).await?;
        }
        let mut wizards = Vec::new();
        let mut result = self
            .call_on("stock.picking", "button_validate", &[req.picking_id], None)
            .await?;
        for _ in 0..MAX_WIZARDS {
            let (res_model, res_id, context) = match ActionResult::parse(result) {
                ActionResult::Done(_) | ActionResult::Close => break,
                ActionResult::Other(a) => {
                    return Err(OdooError::protocol(format!(
                        "button_validate answered with an unhandled action: {a}"
                    )));
                }
                ActionResult::Window {
                    res_model,
                    res_id,
                    context,
                    ..
                } => (res_model, res_id, context),
            };
            let method = match res_model.as_str() {
                // addons/stock/wizard/stock_backorder_confirmation.py
                "stock.backorder.confirmation" => match req.backorder {
                    BackorderPolicy::Create => "process",
                    BackorderPolicy::Decline => "process_cancel_backorder",
                },
                // addons/stock/wizard/stock_immediate_transfer.py (16 only)
                "stock.immediate.transfer" => {
                    if req.quantities.is_some() {
                        return Err(OdooError::UserError {
                            message: format!(
                                "Odoo saw no done quantity on stock.picking {} and offered an immediate transfer of everything reserved; refused",
                                req.picking_id
                            ),
                        });
                    }
                    "process"
                }
                // addons/stock_sms/wizard/confirm_stock_sms.py
                "confirm.stock.sms" => match req.sms {
                    SmsPolicy::DontSend => "dont_send_sms",
                    SmsPolicy::Send => "send_sms",
                },
                other => {
                    return Err(OdooError::protocol(format!(
                        "button_validate answered with an unknown wizard {other}"
                    )));
                }
            };
            let wid = match res_id {
                Some(w) => w,
                None => self.create(&res_model, json!({}), Some(&context)).await?,
            };
            wizards.push(res_model.clone());
            result = self
                .call_on(&res_model, method, &[wid], Some(&context))
                .await?;
        }
        let pick = self
            .read_one("stock.picking", req.picking_id, &["state"])
            .await?;
        let state = str_field(&pick, "state");
        if state != "done" {
            return Err(OdooError::UserError {
                message: format!(
                    "stock.picking {} is {state} after validation (wizards: {wizards:?})",
                    req.picking_id
                ),
            });
        }
        Ok(PickingValidation {
            picking_id: req.picking_id,
            state,
            backorder_ids: self.backorders_of(req.picking_id).await?,
            wizards,
            already_done: false,
        })
    }

    async fn backorders_of(&self, picking_id: i64) -> Result<Vec<i64>, OdooError> {
        Ok(self
            .search_read(
                "stock.picking",
                json!([["backorder_id", "=", picking_id]]),
                &["id"],
                Some("id asc"),
                None,
            )
            .await?
            .iter()
            .filter_map(|r| r.get("id").and_then(Value::as_i64))
            .collect())
    }

    /// Writes done quantities on the picking's move lines: 16 `qty_done`,
    /// 17+ `quantity` + `picked` (17 README §1). A product's quantity,
    /// given in its move's unit, fills its lines in order; the last line
    /// takes the excess; lines of other products get 0 (16) or
    /// `picked: false` (17+). A product with a move but no line gets a new
    /// line.
    ///
    /// A move line counts in its own `product_uom_id`, which is not always
    /// the move's: Odoo keeps a line in the product's unit when the move's
    /// unit does not divide the reserved quantity
    /// (stock_move.py `_prepare_move_line_vals`), so 1 case of a move in
    /// cases of 12 is written as 12 on a line in Units. Quantities are
    /// converted from the move's unit to each line's (rounded half-up to
    /// the line unit's rounding, as `_compute_quantity` with
    /// `rounding_method='HALF-UP'` in `_prepare_move_line_vals`), which
    /// costs ONE read of the picking's moves, and ONE of units (cached)
    /// only when a line's unit differs from its move's.
    async fn write_done_quantities(
        &self,
        picking_id: i64,
        quantities: &[(i64, Decimal)],
    ) -> Result<(), OdooError> {
        let d = &self.dialect;
        let mut fields = vec![
            "move_id",
            "product_id",
            "product_uom_id",
            "location_id",
            "location_dest_id",
        ];
        fields.push(if d.uses_picked {
            "quantity"
        } else {
            "reserved_uom_qty"
        });
        let lines = self
            .search_read(
                "stock.move.line",
                json!([["picking_id", "=", picking_id]]),
                &fields,
                Some("id asc"),
                None,
            )
            .await?;
        let mut wanted: HashMap<i64, Decimal> = HashMap::new();
        for (p, q) in quantities {
            *wanted.entry(*p).or_default() += *q;
        }
        let mut by_product: HashMap<i64, Vec<&Value>> = HashMap::new();
        for l in &lines {
            if let Some(p) = m2o(l, "product_id") {
                by_product.entry(p).or_default().push(l);
            }
        }
        let units = self.line_units(picking_id, &lines).await?;
        let reserved_field = if d.uses_picked {
            "quantity"
        } else {
            "reserved_uom_qty"
        };
        for (product, ls) in &by_product {
            // in the move's unit
            let mut left = wanted.get(product).copied().unwrap_or_default();
            for (i, l) in ls.iter().enumerate() {
                let id = rec_id(l)?;
                if left.is_zero() {
                    let vals = if d.uses_picked {
                        json!({"picked": false})
                    } else {
                        json!({"qty_done": 0})
                    };
                    self.write("stock.move.line", &[id], vals).await?;
                    continue;
                }
                let unit = units.of(l)?;
                // float noise of unit factors cut, as the unit factors are
                let reserved = (dec(l, reserved_field) * unit.line_to_move)
                    .round_dp(10)
                    .normalize();
                let take = if i + 1 == ls.len() || reserved.is_zero() {
                    left
                } else {
                    left.min(reserved)
                };
                left -= take;
                self.write(
                    "stock.move.line",
                    &[id],
                    d.move_line_done_values(decimal_json(unit.in_line_unit(take))),
                )
                .await?;
            }
        }
        // products with a move but no line (nothing reserved)
        let missing: Vec<(i64, Decimal)> = wanted
            .iter()
            .filter(|(p, q)| !by_product.contains_key(p) && !q.is_zero())
            .map(|(p, q)| (*p, *q))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let pick = self
            .read_one(
                "stock.picking",
                picking_id,
                &["move_ids", "location_id", "location_dest_id"],
            )
            .await?;
        let moves = self
            .read(
                "stock.move",
                &ids_of(&pick, "move_ids"),
                &["product_id", "product_uom"],
            )
            .await?;
        for (product, qty) in missing {
            let Some(mv) = moves.iter().find(|m| m2o(m, "product_id") == Some(product)) else {
                return Err(OdooError::Validation {
                    message: format!("product {product} is not in stock.picking {picking_id}"),
                });
            };
            let mut vals = json!({
                "move_id": rec_id(mv)?,
                "picking_id": picking_id,
                "product_id": product,
                "product_uom_id": m2o(mv, "product_uom"),
                "location_id": m2o(&pick, "location_id"),
                "location_dest_id": m2o(&pick, "location_dest_id"),
            });
            if let (Some(o), Some(n)) = (
                vals.as_object_mut(),
                d.move_line_done_values(decimal_json(qty)).as_object(),
            ) {
                o.extend(n.clone());
            }
            self.create("stock.move.line", vals, None).await?;
        }
        Ok(())
    }

    /// How each move line's unit relates to its move's: ONE read of the
    /// picking's moves, then ONE of units (through the cache when there is
    /// one) only when a line's `product_uom_id` is not its move's
    /// `product_uom`.
    async fn line_units(&self, picking_id: i64, lines: &[Value]) -> Result<LineUnits, OdooError> {
        let mut out = LineUnits::default();
        if lines.is_empty() {
            return Ok(out);
        }
        let moves = self
            .search_read(
                "stock.move",
                json!([["picking_id", "=", picking_id]]),
                &["product_uom"],
                None,
                None,
            )
            .await?;
        let move_unit: HashMap<i64, i64> = moves
            .iter()
            .filter_map(|m| Some((rec_id(m).ok()?, m2o(m, "product_uom")?)))
            .collect();
        let mut pairs: Vec<(i64, i64, i64)> = Vec::new();
        for l in lines {
            let (Some(mv), Some(line_uom)) = (m2o(l, "move_id"), m2o(l, "product_uom_id")) else {
                continue;
            };
            match move_unit.get(&mv) {
                Some(&move_uom) if move_uom != line_uom => {
                    pairs.push((rec_id(l)?, move_uom, line_uom));
                }
                _ => {}
            }
        }
        if pairs.is_empty() {
            return Ok(out);
        }
        let mut ids: Vec<i64> = pairs.iter().flat_map(|(_, m, l)| [*m, *l]).collect();
        ids.sort_unstable();
        ids.dedup();
        let uoms = self.uoms(&ids).await?;
        for (line, move_uom, line_uom) in pairs {
            let (Some(m), Some(l)) = (uoms.get(&move_uom), uoms.get(&line_uom)) else {
                return Err(OdooError::MissingRecord {
                    message: format!("uom.uom({move_uom}, {line_uom}) does not exist"),
                });
            };
            out.by_line.insert(
                line,
                LineUnit {
                    line_to_move: super::uom::uom_ratio(l, m)?,
                    move_to_line: super::uom::uom_ratio(m, l)?,
                    rounding: l.rounding,
                },
            );
        }
        Ok(out)
    }

    /// Sets the carrier and the tracking reference of a picking (fields of
    /// `delivery` in 16, `stock_delivery` from 17). Idempotent by nature.
    pub async fn set_carrier_tracking(
        &self,
        picking_id: i64,
        carrier_id: Option<i64>,
        tracking_ref: &str,
    ) -> Result<(), OdooError> {
        let mut vals = json!({"carrier_tracking_ref": tracking_ref});
        if let Some(c) = carrier_id {
            vals["carrier_id"] = json!(c);
        }
        self.write("stock.picking", &[picking_id], vals).await
    }

    /// Delivery carriers (master data, cached when a cache is set).
    pub async fn carriers(&self) -> Result<Vec<Value>, OdooError> {
        self.search_read(
            "delivery.carrier",
            json!([]),
            &["name", "delivery_type", "product_id"],
            Some("id asc"),
            None,
        )
        .await
    }

    /// Merges a context into an action's context (`b` wins).
    pub fn merge_context(a: &Value, b: &Value) -> Value {
        merged(a, b)
    }
}
