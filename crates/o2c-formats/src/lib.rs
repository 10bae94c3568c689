//! o2c wire codecs: X12 EDI (envelopes, typed 850 purchase orders, generated
//! 997 and 855 acknowledgments) and the CSV order-upload layout.
//!
//! Every decoder here is total: any input gives a value or a typed error,
//! never a panic.

pub mod csv_orders;
pub mod x12;
