//! Fulfilment messages: the request sent to a warehouse (`FulfillmentRequest`),
//! what it shipped (`Shipment`) and carrier milestones (`DeliveryEvent`).

use chrono::{DateTime, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::address::Address;
use crate::order::DeliveryWindow;
use crate::quantity::Quantity;
use crate::refs::ExternalRef;

/// A request to a warehouse / 3PL to pick, pack and ship order lines.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FulfillmentRequest {
    /// Hub id (UUIDv7).
    pub id: Uuid,
    /// Hub order id.
    pub order_id: Uuid,
    /// Ids elsewhere (Odoo picking, WMS order id).
    #[serde(default)]
    pub external_refs: Vec<ExternalRef>,
    /// Warehouse code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warehouse: Option<String>,
    /// Delivery address.
    pub ship_to: Address,
    /// What to ship.
    pub lines: Vec<FulfillmentLine>,
    /// Carrier code requested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier_code: Option<String>,
    /// Carrier service level requested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Date the goods should leave the warehouse.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_ship_date: Option<NaiveDate>,
    /// Requested delivery window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_window: Option<DeliveryWindow>,
    /// Instructions for the warehouse.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// When the request was created.
    pub created_at: DateTime<Utc>,
}

/// One line of a fulfilment request.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FulfillmentLine {
    /// The order line this fulfils.
    pub order_line_id: String,
    /// Product SKU.
    pub sku: String,
    /// Quantity to ship.
    pub quantity: Quantity,
}

/// Goods that left a warehouse (WMS confirmation, EDI 945 / 856).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Shipment {
    /// Hub id (UUIDv7).
    pub id: Uuid,
    /// Hub order id.
    pub order_id: Uuid,
    /// The fulfilment request this answers, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fulfillment_request_id: Option<Uuid>,
    /// Ids elsewhere (WMS shipment id, ASN number, Odoo picking).
    #[serde(default)]
    pub external_refs: Vec<ExternalRef>,
    /// Warehouse code it shipped from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warehouse: Option<String>,
    /// Carrier code (e.g. `"UPS"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier: Option<String>,
    /// Carrier service level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// All tracking numbers of the shipment (master and per package).
    #[serde(default)]
    pub tracking_numbers: Vec<String>,
    /// Packages (cartons, pallets).
    #[serde(default)]
    pub packages: Vec<Package>,
    /// What was shipped.
    pub lines: Vec<ShipmentLine>,
    /// When the goods left.
    pub shipped_at: DateTime<Utc>,
}

/// A package of a shipment.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Package {
    /// Package id (SSCC, carton number).
    pub id: String,
    /// Gross weight with its unit (e.g. `{"value": "2.5", "uom": "kg"}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<Quantity>,
    /// Carrier tracking number of this package.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_number: Option<String>,
}

/// One shipped product line, with lot or serial numbers.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ShipmentLine {
    /// The order line shipped, when the sender knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_line_id: Option<String>,
    /// Product SKU.
    pub sku: String,
    /// Quantity shipped.
    pub quantity: Quantity,
    /// Lot / batch number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lot: Option<String>,
    /// Serial numbers (one per unit for serialized products).
    #[serde(default)]
    pub serials: Vec<String>,
    /// Package the line is packed in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_id: Option<String>,
}

/// The kind of a carrier milestone.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryEventKind {
    /// Delivered to the consignee.
    Delivered,
    /// Delivery exception (damage, address problem, refused, lost).
    Exception,
    /// Delivery attempted, not completed.
    Attempted,
}

/// A carrier milestone for a shipment.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeliveryEvent {
    /// Hub id (UUIDv7).
    pub id: Uuid,
    /// Hub order id.
    pub order_id: Uuid,
    /// Hub shipment id, when resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipment_id: Option<Uuid>,
    /// Carrier code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier: Option<String>,
    /// Tracking number the event is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_number: Option<String>,
    /// What happened.
    pub kind: DeliveryEventKind,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Proof of delivery (document / image id or URI).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proof_of_delivery_ref: Option<String>,
    /// Carrier's remark (exception reason, who signed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}
