//! JSON Schemas (draft 2020-12) of the canonical top-level types, as
//! published under `/v1/schemas` and checked in at `schemas/v1/<name>.json`.
//!
//! Each schema is self-contained: referenced types are inlined under `$defs`.

use schemars::{JsonSchema, generate::SchemaSettings};
use serde_json::Value;

use crate::{
    Address, CloudEvent, CreditNote, DeliveryEvent, FulfillmentRequest, Invoice, Order, Party,
    Payment, Product, ReturnRequest, Shipment,
};

/// Canonical model version of these schemas.
pub const SCHEMA_VERSION: &str = "v1";

/// Base of the schemas' `$id` URIs.
pub const SCHEMA_ID_BASE: &str = "https://o2c.dev/schemas/v1/";

fn schema_of<T: JsonSchema>(name: &str) -> Value {
    let generator = SchemaSettings::draft2020_12().into_generator();
    let mut schema = generator.into_root_schema_for::<T>().to_value();
    if let Value::Object(map) = &mut schema {
        // Put `$id` right after `$schema` for readability.
        let mut ordered = serde_json::Map::new();
        if let Some(s) = map.remove("$schema") {
            ordered.insert("$schema".into(), s);
        }
        ordered.insert(
            "$id".into(),
            Value::String(format!("{SCHEMA_ID_BASE}{name}.json")),
        );
        ordered.extend(std::mem::take(map));
        *map = ordered;
    }
    schema
}

/// One JSON Schema per top-level canonical type, keyed by file stem
/// (`"order"` → `schemas/v1/order.json`), in a stable order.
pub fn schemas() -> Vec<(&'static str, Value)> {
    vec![
        ("order", schema_of::<Order>("order")),
        ("party", schema_of::<Party>("party")),
        ("address", schema_of::<Address>("address")),
        ("product", schema_of::<Product>("product")),
        (
            "fulfillment_request",
            schema_of::<FulfillmentRequest>("fulfillment_request"),
        ),
        ("shipment", schema_of::<Shipment>("shipment")),
        (
            "delivery_event",
            schema_of::<DeliveryEvent>("delivery_event"),
        ),
        ("invoice", schema_of::<Invoice>("invoice")),
        ("payment", schema_of::<Payment>("payment")),
        (
            "return_request",
            schema_of::<ReturnRequest>("return_request"),
        ),
        ("credit_note", schema_of::<CreditNote>("credit_note")),
        ("cloud_event", schema_of::<CloudEvent>("cloud_event")),
    ]
}

/// The schema named `name` (see [`schemas`]), if any.
pub fn schema(name: &str) -> Option<Value> {
    schemas()
        .into_iter()
        .find(|(n, _)| *n == name)
        .map(|(_, s)| s)
}
