//! Transient wizards that the order-to-cash flow drives over RPC: stock
//! validation and returns, invoicing, payment registration, credit notes,
//! delivery carrier selection.

pub mod account;
pub mod carrier;
pub mod stock;
