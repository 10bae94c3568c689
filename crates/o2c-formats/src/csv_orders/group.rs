//! Reads the CSV, checks every row, groups rows by order number and builds
//! canonical-order JSON values for the orders without errors.

use std::collections::HashMap;

use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use super::layout::{COLUMNS, Column, Level, column};
use super::report::{RowError, ValidationReport};
use super::row::{date, decimal, order_date, order_value};

/// Import options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvOptions {
    /// Channel account stored in `channel.account` (e.g. the uploading
    /// customer or portal), default `"upload"`.
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
    /// Canonical orders (JSON) of the orders without any error.
    pub orders: Vec<Value>,
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
    lines: Vec<Value>,
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
pub fn parse_orders(input: &[u8], opts: &CsvOptions) -> CsvImport {
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
            orders: Vec::new(),
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
    let built: Vec<Value> = orders
        .iter()
        .filter(|o| !o.bad)
        .map(|o| order_json(o, opts))
        .collect();
    report.valid_orders = built.len();
    report.errors = ctx.errors;
    CsvImport {
        orders: built,
        report,
    }
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
            lines: Vec::new(),
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
    if let Some(l) = line_json(acc, &values, line, ctx) {
        acc.lines.push(l);
    }
    if ctx.errors.len() > before {
        acc.bad = true;
    }
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

fn line_json(
    acc: &mut OrderAcc,
    values: &HashMap<&'static str, String>,
    line: u64,
    ctx: &mut Ctx,
) -> Option<Value> {
    let before = ctx.errors.len();
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
    let quantity = num(
        "quantity",
        true,
        |d| d > Decimal::ZERO,
        "must be greater than 0",
    );
    let price = num(
        "unit_price",
        true,
        |d| d >= Decimal::ZERO,
        "must not be negative",
    );
    let discount = num(
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
    if ctx.errors.len() > before {
        return None;
    }
    let uom = match get("uom") {
        "" => "Units",
        u => u,
    };
    let mut l = Map::new();
    l.insert("line_id".into(), json!(line_id));
    l.insert("sku".into(), json!(sku));
    if !get("description").is_empty() {
        l.insert("description".into(), json!(get("description")));
    }
    let q = quantity.unwrap_or_default().to_string();
    l.insert("quantity".into(), json!({ "value": q, "uom": uom }));
    l.insert(
        "unit_price".into(),
        json!(price.unwrap_or_default().to_string()),
    );
    l.insert(
        "discount_percent".into(),
        json!(discount.unwrap_or_default().to_string()),
    );
    l.insert("taxes".into(), json!([]));
    if !requested.is_empty() {
        l.insert("requested_date".into(), json!(requested));
    }
    Some(Value::Object(l))
}

fn order_json(o: &OrderAcc, opts: &CsvOptions) -> Value {
    let f = |name: &str| o.fields.get(name).map_or("", |(v, _)| v.as_str());
    let opt = |m: &mut Map<String, Value>, key: &str, col: &str| {
        if !f(col).is_empty() {
            m.insert(key.into(), json!(f(col)));
        }
    };
    let mut customer = Map::new();
    let refs: Vec<Value> = match f("customer_ref") {
        "" => Vec::new(),
        r => vec![json!({ "system": "csv", "id": r })],
    };
    customer.insert("external_refs".into(), Value::Array(refs));
    customer.insert("name".into(), json!(f("customer_name")));
    opt(&mut customer, "email", "customer_email");
    opt(&mut customer, "phone", "customer_phone");
    let mut order = Map::new();
    order.insert(
        "channel".into(),
        json!({ "kind": "csv", "account": opts.account }),
    );
    order.insert("channel_order_id".into(), json!(o.number));
    opt(&mut order, "customer_po", "customer_po");
    let date = order_date(f("order_date")).unwrap_or_default();
    order.insert("order_date".into(), json!(date));
    order.insert("currency".into(), json!(f("currency")));
    order.insert("customer".into(), Value::Object(customer));
    if !f("ship_to_country").is_empty() {
        let mut a = Map::new();
        opt(&mut a, "name", "ship_to_name");
        opt(&mut a, "company", "ship_to_company");
        let streets: Vec<&str> = [f("ship_to_street"), f("ship_to_street2")]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect();
        a.insert("street_lines".into(), json!(streets));
        opt(&mut a, "city", "ship_to_city");
        opt(&mut a, "postal_code", "ship_to_postal_code");
        opt(&mut a, "subdivision", "ship_to_subdivision");
        a.insert("country".into(), json!(f("ship_to_country")));
        order.insert("ship_to".into(), Value::Object(a));
    }
    order.insert("lines".into(), Value::Array(o.lines.clone()));
    opt(&mut order, "notes", "notes");
    order.insert("external_refs".into(), json!([]));
    Value::Object(order)
}
