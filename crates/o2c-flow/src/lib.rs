//! The order workflow of o2c as a pure state machine.
//!
//! This crate is the functional core of the hub (DESIGN.md, principle 1): it
//! does no I/O, reads no clock and draws no random numbers, so every decision
//! can be replayed from the journal and tested exhaustively. The runtime
//! stores events, runs commands through adapters and feeds their outcomes
//! back as new events.
//!
//! - [`apply`] folds one [`Event`] into an [`OrderState`], or rejects it with a
//!   typed [`FlowError`]; [`replay`] folds a whole journal.
//! - [`decide`] judges the same event the same way and returns the
//!   [`Command`]s that follow; [`step`] does both.
//! - [`lifecycle_edges`] is the graph of every status change `apply` can make.
//!
//! Invariants held after every accepted event (and checked by the property
//! tests): per line `allocated ≤ ordered`, `shipped ≤ ordered`,
//! `shipped ≤ allocated`, `delivered ≤ shipped`, `returned ≤ shipped`, and
//! `invoiced ≤` what the [`InvoicePolicy`] allows (shipped, delivered or
//! ordered); per order `invoiced_amount ≤ order_total + AMOUNT_TOLERANCE`,
//! `paid_amount ≤ invoiced_amount` (any excess is `overpaid_amount`), and
//! refunds never exceed the money received. Quantities and amounts are
//! limited to [`MAX_MAGNITUDE`] and [`MAX_SCALE`] decimals so every running
//! total is the exact sum of the journal.

mod apply;
mod command;
mod decide;
mod error;
mod event;
mod policy;
mod state;
mod status;

pub use apply::{apply, replay};
pub use command::Command;
pub use decide::{decide, step};
pub use error::FlowError;
pub use event::{Event, HoldReason, LineQty, LineSpec};
pub use policy::{AMOUNT_TOLERANCE, InvoicePolicy, MAX_MAGNITUDE, MAX_SCALE, in_range};
pub use state::{LineProgress, OrderState, ShipmentRecord, initial};
pub use status::{OrderStatus, UnknownStatus, is_allowed_transition, lifecycle_edges};

#[cfg(test)]
mod tests;
