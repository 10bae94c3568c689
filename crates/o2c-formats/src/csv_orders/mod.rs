//! CSV order uploads: the documented column layout (docs/csv-orders.md),
//! several rows per order grouped by `order_number`, decoded into grouped
//! row JSON (values as written, line numbers kept) for the `csv` mapping
//! rule, plus a validation report that lists every bad row with its line
//! number and column.

mod group;
mod layout;
mod report;
mod row;

pub use group::{CsvImport, CsvOptions, dry_run, parse_orders};
pub use layout::{COLUMNS, Column, Level};
pub use report::{RowError, ValidationReport};

/// Fuzzing property: any bytes give a report, never a panic; valid orders
/// are only returned when their rows had no error.
pub fn fuzz_check(data: &[u8]) {
    let import = parse_orders(data, &CsvOptions::default());
    assert!(import.groups.len() <= import.report.orders);
}
