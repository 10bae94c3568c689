//! Value maps: a channel's or partner's codes translated to ours, kept as
//! data (`uom`: their `EA`/`CA`/`PK` → our unit names, `sku`: their item
//! numbers → our SKUs, `carrier`: their carrier codes → ours). Any channel
//! can apply them to a canonical order after its mapping ran.

use std::collections::BTreeMap;

use o2c_model::Order;
use serde::{Deserialize, Serialize};

/// The tables an order is translated with.
pub const UOM: &str = "uom";
pub const SKU: &str = "sku";
pub const CARRIER: &str = "carrier";

/// Named tables of code → code. A value without an entry is kept as it
/// is: later validation (product and UoM resolution) flags what Odoo does
/// not know, with the partner's own code in the message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ValueMaps {
    tables: BTreeMap<String, BTreeMap<String, String>>,
}

impl ValueMaps {
    /// Maps from `(table, [(theirs, ours)])` pairs.
    pub fn from_tables<'a>(
        tables: impl IntoIterator<Item = (&'a str, Vec<(&'a str, &'a str)>)>,
    ) -> Self {
        Self {
            tables: tables
                .into_iter()
                .map(|(name, rows)| {
                    let rows = rows
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), v.to_owned()))
                        .collect();
                    (name.to_owned(), rows)
                })
                .collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.tables.values().all(BTreeMap::is_empty)
    }

    /// Our code for `value` in `table`, if the table has one.
    pub fn lookup(&self, table: &str, value: &str) -> Option<&str> {
        self.tables
            .get(table)
            .and_then(|rows| rows.get(value))
            .map(String::as_str)
    }

    /// `value` translated through `table`, or unchanged.
    pub fn translate(&self, table: &str, value: &str) -> String {
        self.lookup(table, value).unwrap_or(value).to_owned()
    }

    /// Translates the order's line UoMs and SKUs and its carrier code.
    pub fn apply(&self, order: &mut Order) {
        for line in &mut order.lines {
            line.quantity.uom = self.translate(UOM, &line.quantity.uom);
            line.sku = self.translate(SKU, &line.sku);
        }
        if let Some(code) = order
            .shipping
            .as_mut()
            .and_then(|s| s.carrier_code.as_mut())
        {
            *code = self.translate(CARRIER, code);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order() -> Order {
        serde_json::from_value(serde_json::json!({
            "channel": { "kind": "edi", "account": "acme" },
            "channel_order_id": "PO1",
            "order_date": "2026-01-01T00:00:00Z",
            "currency": "USD",
            "customer": { "name": "Acme" },
            "lines": [
                { "line_id": "1", "sku": "27120100", "quantity": { "value": "2", "uom": "CA" }, "unit_price": "1" },
                { "line_id": "2", "sku": "OURS", "quantity": { "value": "1", "uom": "XX" }, "unit_price": "1" }
            ]
        }))
        .expect("order")
    }

    #[test]
    fn known_codes_are_translated_and_unknown_ones_kept() {
        let maps = ValueMaps::from_tables([
            (UOM, vec![("EA", "Units"), ("CA", "Case of 12")]),
            (SKU, vec![("27120100", "LED-STRING-2400")]),
        ]);
        let mut o = order();
        maps.apply(&mut o);
        assert_eq!(o.lines[0].quantity.uom, "Case of 12");
        assert_eq!(o.lines[0].sku, "LED-STRING-2400");
        assert_eq!(
            (o.lines[1].quantity.uom.as_str(), o.lines[1].sku.as_str()),
            ("XX", "OURS")
        );
        assert_eq!(maps.lookup(UOM, "PK"), None);
        assert!(!maps.is_empty());
        assert!(ValueMaps::default().is_empty());
    }

    #[test]
    fn tables_are_plain_data_in_config() {
        let maps: ValueMaps =
            serde_json::from_str(r#"{"uom": {"EA": "Units"}, "sku": {}}"#).expect("parse");
        assert_eq!(maps.translate(UOM, "EA"), "Units");
        assert_eq!(maps.translate(SKU, "EA"), "EA");
    }
}
