//! o2c canonical model, version 1: parties, products, orders, fulfilment,
//! invoices, payments, returns and the CloudEvents envelope, with exact money,
//! validation and published JSON Schemas.
//!
//! Pure: no I/O, no clock, no randomness. Callers pass ids (UUIDv7) and times.
//!
//! JSON conventions: decimals are written as strings (`"19.99"`) and read
//! from strings or numbers exactly; currencies are ISO 4217 codes; countries
//! ISO 3166-1 alpha-2; times RFC 3339 UTC; external ids are strings.

pub mod address;
pub mod currency;
pub mod decimal;
pub mod envelope;
pub mod error;
pub mod fulfillment;
pub mod invoice;
pub mod money;
pub mod order;
pub mod party;
pub mod payment;
pub mod product;
pub mod quantity;
pub mod refs;
pub mod returns;
pub mod schema;
pub mod validation;

pub use address::{Address, check_subdivision, parse_country};
pub use currency::Currency;
pub use decimal::{DecimalSchema, parse_decimal};
pub use envelope::{CloudEvent, JSON_CONTENT_TYPE, SPEC_VERSION};
pub use error::ModelError;
pub use fulfillment::{
    DeliveryEvent, DeliveryEventKind, FulfillmentLine, FulfillmentRequest, Package, Shipment,
    ShipmentLine,
};
pub use invoice::{Invoice, InvoiceLine, InvoiceStatus, InvoiceTotals};
pub use money::Money;
pub use order::{
    ChannelKind, ChannelPaymentStatus, ChannelRef, DeclaredTotals, DeliveryWindow, MappingRef,
    Order, OrderLine, ShippingCharge, TaxLine,
};
pub use party::Party;
pub use payment::{Payer, Payment, PaymentAllocation, PaymentSource};
pub use product::Product;
pub use quantity::Quantity;
pub use refs::{ExternalRef, find_ref};
pub use returns::{CreditNote, ReturnLine, ReturnRequest, ReturnStatus};
pub use schema::{SCHEMA_ID_BASE, SCHEMA_VERSION, schema, schemas};
pub use validation::FieldViolation;

/// Re-exported so that users name the same `Decimal` type.
pub use rust_decimal::Decimal;
/// Re-exported so that users name the same `Uuid` type.
pub use uuid::Uuid;
