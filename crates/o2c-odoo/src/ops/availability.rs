//! Stock availability per product and warehouse: the product's computed
//! quantities under context `warehouse` (16 README §15), and the raw
//! `stock.quant` rows under the warehouse's stock location.

use std::collections::HashMap;

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::{Ops, dec, m2o, rec_id};
use crate::OdooError;

/// Quantities of one product in one warehouse, in the product's unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Availability {
    pub product_id: i64,
    pub warehouse_id: i64,
    /// On hand.
    pub qty_available: Decimal,
    /// On hand minus reserved.
    pub free_qty: Decimal,
    /// Forecast (on hand + incoming − outgoing).
    pub virtual_available: Decimal,
    pub incoming_qty: Decimal,
    pub outgoing_qty: Decimal,
}

/// One `stock.quant` row.
#[derive(Debug, Clone, PartialEq)]
pub struct QuantInfo {
    pub id: i64,
    pub product_id: Option<i64>,
    pub location_id: Option<i64>,
    pub quantity: Decimal,
    pub reserved_quantity: Decimal,
    pub lot_id: Option<i64>,
}

impl Ops<'_> {
    /// Availability of `products` in each of `warehouses`: one `read` per
    /// warehouse (the context selects the warehouse).
    pub async fn availability(
        &self,
        products: &[i64],
        warehouses: &[i64],
    ) -> Result<Vec<Availability>, OdooError> {
        let mut out = Vec::new();
        if products.is_empty() {
            return Ok(out);
        }
        for wh in warehouses {
            let rows = self
                .call(
                    "product.product",
                    "read",
                    json!([products]),
                    json!({"fields": ["qty_available", "free_qty", "virtual_available",
                                      "incoming_qty", "outgoing_qty"],
                           "context": {"warehouse": wh}}),
                )
                .await?;
            for r in super::rows(rows)? {
                out.push(Availability {
                    product_id: rec_id(&r)?,
                    warehouse_id: *wh,
                    qty_available: dec(&r, "qty_available"),
                    free_qty: dec(&r, "free_qty"),
                    virtual_available: dec(&r, "virtual_available"),
                    incoming_qty: dec(&r, "incoming_qty"),
                    outgoing_qty: dec(&r, "outgoing_qty"),
                });
            }
        }
        Ok(out)
    }

    /// Warehouses (master data): id → stock location (`lot_stock_id`).
    pub async fn warehouse_stock_locations(&self) -> Result<HashMap<i64, i64>, OdooError> {
        let rows = self
            .search_read(
                "stock.warehouse",
                json!([]),
                &["id", "code", "lot_stock_id"],
                Some("id asc"),
                None,
            )
            .await?;
        let mut out = HashMap::new();
        for r in rows {
            if let Some(l) = m2o(&r, "lot_stock_id") {
                out.insert(rec_id(&r)?, l);
            }
        }
        Ok(out)
    }

    /// The quants of `products` under the warehouse's stock location
    /// (`location_id child_of lot_stock_id`), in one `search_read`.
    pub async fn quants(
        &self,
        products: &[i64],
        warehouse_id: i64,
    ) -> Result<Vec<QuantInfo>, OdooError> {
        let locs = self.warehouse_stock_locations().await?;
        let Some(loc) = locs.get(&warehouse_id) else {
            return Err(super::missing("stock.warehouse", warehouse_id));
        };
        let rows = self
            .search_read(
                "stock.quant",
                json!([
                    ["product_id", "in", products],
                    ["location_id", "child_of", loc]
                ]),
                &[
                    "product_id",
                    "location_id",
                    "quantity",
                    "reserved_quantity",
                    "lot_id",
                ],
                Some("id asc"),
                None,
            )
            .await?;
        rows.iter()
            .map(|r: &Value| {
                Ok(QuantInfo {
                    id: rec_id(r)?,
                    product_id: m2o(r, "product_id"),
                    location_id: m2o(r, "location_id"),
                    quantity: dec(r, "quantity"),
                    reserved_quantity: dec(r, "reserved_quantity"),
                    lot_id: m2o(r, "lot_id"),
                })
            })
            .collect()
    }
}
