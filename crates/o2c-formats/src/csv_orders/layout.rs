//! The column layout of order uploads: names, order- or line-level, and
//! whether a value is required.

/// Whether a column describes the order (same on every row of an order)
/// or one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Order-level: given on the first row of an order; later rows leave it
    /// empty or repeat the same value.
    Order,
    /// Line-level: one value per row.
    Line,
}

/// One column of the layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// Header name (lower case).
    pub name: &'static str,
    /// Order or line level.
    pub level: Level,
    /// Whether the header must be present and the value non-empty.
    pub required: bool,
}

const fn col(name: &'static str, level: Level, required: bool) -> Column {
    Column {
        name,
        level,
        required,
    }
}

/// Every column, in the documented order.
pub const COLUMNS: &[Column] = &[
    col("order_number", Level::Order, true),
    col("order_date", Level::Order, true),
    col("currency", Level::Order, true),
    col("customer_ref", Level::Order, false),
    col("customer_name", Level::Order, true),
    col("customer_email", Level::Order, false),
    col("customer_phone", Level::Order, false),
    col("ship_to_name", Level::Order, false),
    col("ship_to_company", Level::Order, false),
    col("ship_to_street", Level::Order, false),
    col("ship_to_street2", Level::Order, false),
    col("ship_to_city", Level::Order, false),
    col("ship_to_postal_code", Level::Order, false),
    col("ship_to_subdivision", Level::Order, false),
    col("ship_to_country", Level::Order, false),
    col("customer_po", Level::Order, false),
    col("notes", Level::Order, false),
    col("line_id", Level::Line, false),
    col("sku", Level::Line, true),
    col("description", Level::Line, false),
    col("quantity", Level::Line, true),
    col("uom", Level::Line, false),
    col("unit_price", Level::Line, true),
    col("discount_percent", Level::Line, false),
    col("requested_date", Level::Line, false),
];

/// The column named `name` (case-insensitive, trimmed).
pub fn column(name: &str) -> Option<&'static Column> {
    let n = name.trim().to_ascii_lowercase();
    COLUMNS.iter().find(|c| c.name == n)
}
