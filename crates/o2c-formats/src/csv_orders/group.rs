//! Reads the CSV, checks every row and groups the rows by order number:
//! the orders without errors come out as grouped row JSON (values as
//! written, with their line numbers), which the channel's mapping rule
//! (`mappings/csv/v<N>.jq`) turns into canonical orders.

use std::collections::HashMap;

use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use super::layout::{COLUMNS, Column, Level, column};
use super::report::{RowError, ValidationReport};
use super::row::{date, decimal, order_value};

/// Import options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvOptions {
    /// The channel account (e.g. the uploading customer or portal), default
    /// `"upload"`: what callers give the mapping as `$account`.
    pub account: String,
}

impl Default for CsvOptions {
    fn default() -> Self {
        Self {
            account: "upload".into(),
        }
    }
}

/// The decoded file: valid orders and the report of every problem.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvImport {
    /// The orders without any error, each as grouped row JSON:
    /// `{"order_number", "line", "rows": [{"line", "values": {column: value}}]}`
    /// where `line` is the physical line a record starts on and `values`
    /// holds every column of the header as written (trimmed; empty when
    /// blank). The `csv` mapping rule turns each into a canonical order.
    pub groups: Vec<Value>,
    /// Every problem, plus counts.
    pub report: ValidationReport,
}

/// Checks the file without building orders: the dry run.
pub fn dry_run(input: &[u8], opts: &CsvOptions) -> ValidationReport {
    parse_orders(input, opts).report
}

struct OrderAcc {
    number: String,
    /// Order-level values by column, with the line that set them.
    fields: HashMap<&'static str, (String, u64)>,
    /// The order's rows as `{"line", "values"}`.
    rows_json: Vec<Value>,
    line_ids: HashMap<String, u64>,
    /// Rows seen for this order (the default line id).
    rows: usize,
    bad: bool,
}

struct Ctx {
    errors: Vec<RowError>,
}

impl Ctx {
    fn err(
        &mut self,
        line: u64,
        column: Option<&str>,
        value: Option<&str>,
        message: impl Into<String>,
    ) {
        self.errors.push(RowError {
            line,
            column: column.map(String::from),
            value: value.filter(|v| !v.is_empty()).map(String::from),
            message: message.into(),
        });
    }
}

/// Reads the header; `None` (with errors recorded) when unusable.
fn header(rec: &csv::ByteRecord, ctx: &mut Ctx) -> Option<Vec<Option<&'static Column>>> {
    let mut cols = Vec::new();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, raw) in rec.iter().enumerate() {
        let name = String::from_utf8_lossy(raw)
            .trim()
            .trim_start_matches('\u{feff}')
            .to_string();
        match column(&name) {
            Some(c) if seen.contains_key(c.name) => {
                ctx.err(1, Some(c.name), None, "duplicate column");
                cols.push(None);
            }
            Some(c) => {
                seen.insert(c.name, i);
                cols.push(Some(c));
            }
            None => {
                ctx.err(1, Some(&name), None, "unknown column");
                cols.push(None);
            }
        }
    }
    for c in COLUMNS
        .iter()
        .filter(|c| c.required && !seen.contains_key(c.name))
    {
        ctx.err(1, Some(c.name), None, "required column is missing");
    }
    ctx.errors.is_empty().then_some(cols)
}

/// Decodes and checks the whole input.
/// `_opts` is kept for callers; the account reaches the mapping as `$account`.
pub fn parse_orders(input: &[u8], _opts: &CsvOptions) -> CsvImport {
    let mut ctx = Ctx { errors: Vec::new() };
    let mut report = ValidationReport::default();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(input);
    let mut records = reader.byte_records();
    let cols = match records.next() {
        Some(Ok(rec)) => header(&rec, &mut ctx),
        Some(Err(e)) => {
            ctx.err(1, None, None, format!("unreadable header: {e}"));
            None
        }
        None => {
            ctx.err(1, None, None, "empty file: the header row is missing");
            None
        }
    };
    let Some(cols) = cols else {
        report.errors = ctx.errors;
        return CsvImport {
            groups: Vec::new(),
            report,
        };
    };
    let mut orders: Vec<OrderAcc> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for rec in records {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                ctx.err(line, None, None, format!("unreadable record: {e}"));
                break;
            }
        };
        report.rows += 1;
        row(&rec, &cols, &mut ctx, &mut orders, &mut index);
    }
    report.orders = orders.len();
    let groups: Vec<Value> = orders.iter().filter(|o| !o.bad).map(group_json).collect();
    report.valid_orders = groups.len();
    report.errors = ctx.errors;
    CsvImport { groups, report }
}

fn row(
    rec: &csv::ByteRecord,
    cols: &[Option<&'static Column>],
    ctx: &mut Ctx,
    orders: &mut Vec<OrderAcc>,
    index: &mut HashMap<String, usize>,
) {
    let line = rec.position().map_or(0, |p| p.line());
    let before = ctx.errors.len();
    let mut values: HashMap<&'static str, String> = HashMap::new();
    for (i, raw) in rec.iter().enumerate() {
        let Some(Some(c)) = cols.get(i) else { continue };
        match std::str::from_utf8(raw) {
            Ok(s) => {
                values.insert(c.name, s.trim().to_string());
            }
            Err(_) => ctx.err(line, Some(c.name), None, "not valid UTF-8"),
        }
    }
    if rec.len() != cols.len() {
        let msg = format!("expected {} fields, found {}", cols.len(), rec.len());
        ctx.err(line, None, None, msg);
    }
    let get = |name: &str| values.get(name).map_or("", String::as_str);
    let number = get("order_number").to_string();
    if number.is_empty() {
        ctx.err(line, Some("order_number"), None, "required value is empty");
        return;
    }
    let idx = *index.entry(number.clone()).or_insert_with(|| {
        orders.push(OrderAcc {
            number: number.clone(),
            fields: HashMap::new(),
            rows_json: Vec::new(),
            line_ids: HashMap::new(),
            rows: 0,
            bad: false,
        });
        orders.len() - 1
    });
    let acc = &mut orders[idx];
    let first = acc.rows == 0;
    acc.rows += 1;
    order_fields(acc, &values, line, first, cols, ctx);
    check_line(acc, &values, line, ctx);
    if ctx.errors.len() > before {
        acc.bad = true;
    }
    let written: Map<String, Value> = cols
        .iter()
        .flatten()
        .map(|c| {
            let v = values.get(c.name).map_or("", String::as_str);
            (c.name.to_owned(), json!(v))
        })
        .collect();
    acc.rows_json
        .push(json!({ "line": line, "values": Value::Object(written) }));
}

fn order_fields(
    acc: &mut OrderAcc,
    values: &HashMap<&'static str, String>,
    line: u64,
    first: bool,
    cols: &[Option<&'static Column>],
    ctx: &mut Ctx,
) {
    let order_cols = cols.iter().flatten().filter(|c| c.level == Level::Order);
    for c in order_cols {
        let v = values.get(c.name).map_or("", String::as_str);
        if first || !acc.fields.contains_key(c.name) {
            if v.is_empty() && c.required {
                ctx.err(line, Some(c.name), None, "required value is empty");
            } else if !v.is_empty()
                && let Err(m) = order_value(c.name, v)
            {
                ctx.err(line, Some(c.name), Some(v), m);
            }
            acc.fields.insert(c.name, (v.to_string(), line));
            continue;
        }
        let Some((stored, at)) = acc.fields.get(c.name) else {
            continue;
        };
        if !v.is_empty() && v != stored {
            let msg = if stored.is_empty() {
                format!("order-level value must be on the order's first row (line {at})")
            } else {
                format!(
                    "conflicts with {stored:?} given for order {} on line {at}",
                    acc.number
                )
            };
            ctx.err(line, Some(c.name), Some(v), msg);
        }
    }
    if first {
        let has_address = [
            "ship_to_name",
            "ship_to_company",
            "ship_to_street",
            "ship_to_street2",
            "ship_to_city",
            "ship_to_postal_code",
            "ship_to_subdivision",
        ]
        .iter()
        .any(|n| values.get(n).is_some_and(|v| !v.is_empty()));
        if has_address && values.get("ship_to_country").is_none_or(|v| v.is_empty()) {
            ctx.err(
                line,
                Some("ship_to_country"),
                None,
                "required when a ship-to address is given",
            );
        }
    }
}

/// Checks one row's line values (the mapping builds the line from them).
fn check_line(
    acc: &mut OrderAcc,
    values: &HashMap<&'static str, String>,
    line: u64,
    ctx: &mut Ctx,
) {
    let get = |name: &str| values.get(name).map_or("", String::as_str);
    let sku = get("sku");
    if sku.is_empty() {
        ctx.err(line, Some("sku"), None, "required value is empty");
    }
    let mut num = |name: &str, required: bool, ok: fn(Decimal) -> bool, rule: &str| {
        let v = get(name);
        if v.is_empty() {
            if required {
                ctx.err(line, Some(name), None, "required value is empty");
            }
            return None;
        }
        match decimal(v) {
            Ok(d) if ok(d) => Some(d),
            Ok(_) => {
                ctx.err(line, Some(name), Some(v), rule);
                None
            }
            Err(m) => {
                ctx.err(line, Some(name), Some(v), m);
                None
            }
        }
    };
    num(
        "quantity",
        true,
        |d| d > Decimal::ZERO,
        "must be greater than 0",
    );
    num(
        "unit_price",
        true,
        |d| d >= Decimal::ZERO,
        "must not be negative",
    );
    num(
        "discount_percent",
        false,
        |d| (Decimal::ZERO..=Decimal::ONE_HUNDRED).contains(&d),
        "must be between 0 and 100",
    );
    let requested = get("requested_date");
    if !requested.is_empty()
        && let Err(m) = date(requested)
    {
        ctx.err(line, Some("requested_date"), Some(requested), m);
    }
    let line_id = match get("line_id") {
        "" => acc.rows.to_string(),
        id => id.to_string(),
    };
    if let Some(prev) = acc.line_ids.insert(line_id.clone(), line) {
        let msg = format!("line id {line_id:?} already used on line {prev}");
        ctx.err(line, Some("line_id"), None, msg);
    }
}

fn group_json(o: &OrderAcc) -> Value {
    let first = o
        .rows_json
        .first()
        .and_then(|r| r.get("line"))
        .cloned()
        .unwrap_or(Value::Null);
    json!({
        "order_number": o.number,
        "line": first,
        "rows": o.rows_json,
    })
}
