//! CSV order uploads, tested on files produced by a small generator (no
//! hand-edited samples): grouping into row JSON with values as written and
//! line numbers, and a report naming every bad row and column. (The
//! canonical orders the `csv` mapping makes of the groups are tested in
//! o2c-connectors, tests/csv_mapping.rs.)

use o2c_formats::csv_orders::{COLUMNS, CsvOptions, dry_run, parse_orders};
use proptest::prelude::*;
use serde_json::Value;

/// One generated row: column name → value; missing columns are empty.
type Row = Vec<(&'static str, String)>;

/// Generator: header with `columns`, one record per row, quoted by the csv
/// writer (commas, quotes and newlines inside values are escaped).
fn csv_file(columns: &[&str], rows: &[Row]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(columns).expect("header");
    for row in rows {
        let rec: Vec<String> = columns
            .iter()
            .map(|c| {
                row.iter()
                    .find(|(k, _)| k == c)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default()
            })
            .collect();
        w.write_record(&rec).expect("row");
    }
    w.into_inner().expect("flush")
}

fn all_columns() -> Vec<&'static str> {
    COLUMNS.iter().map(|c| c.name).collect()
}

/// First row of an order (order-level values) with one line.
fn head(order: &str, sku: &str, qty: &str, price: &str) -> Row {
    vec![
        ("order_number", order.into()),
        ("order_date", "2024-05-02".into()),
        ("currency", "EUR".into()),
        ("customer_ref", format!("C-{order}")),
        ("customer_name", "Müller, Schmidt & Co".into()),
        ("customer_email", "buyer@example.com".into()),
        ("ship_to_name", "Goods In".into()),
        ("ship_to_street", "Hafenstraße 1".into()),
        ("ship_to_street2", "Tor 3\n2. Stock".into()),
        ("ship_to_city", "Hamburg".into()),
        ("ship_to_postal_code", "20457".into()),
        ("ship_to_subdivision", "DE-HH".into()),
        ("ship_to_country", "DE".into()),
        ("customer_po", format!("PO-{order}")),
        ("notes", "Deliver \"before noon\"".into()),
        ("sku", sku.into()),
        ("description", format!("Item {sku}")),
        ("quantity", qty.into()),
        ("uom", "EA".into()),
        ("unit_price", price.into()),
    ]
}

/// A continuation row: only the order number and line values.
fn more(order: &str, sku: &str, qty: &str, price: &str) -> Row {
    vec![
        ("order_number", order.into()),
        ("sku", sku.into()),
        ("quantity", qty.into()),
        ("unit_price", price.into()),
        ("discount_percent", "10".into()),
    ]
}

fn with(mut row: Row, key: &'static str, value: &str) -> Row {
    row.retain(|(k, _)| *k != key);
    row.push((key, value.into()));
    row
}

/// A value of a group's row, as written in the file.
fn value<'a>(group: &'a Value, row: usize, column: &str) -> &'a Value {
    &group["rows"][row]["values"][column]
}

#[test]
fn valid_file_groups_rows_into_orders() {
    let rows = vec![
        head("SO-1", "A-100", "2", "10.50"),
        head("SO-2", "B-200", "1", "99"),
        more("SO-1", "A-101", "3", "4.25"),
        more("SO-2", "B-201", "5", "0"),
        more("SO-1", "A-102", "1.5", "8"),
    ];
    let import = parse_orders(
        &csv_file(&all_columns(), &rows),
        &CsvOptions {
            account: "acme-portal".into(),
        },
    );
    assert!(import.report.is_ok(), "{:?}", import.report.errors);
    assert_eq!(
        (
            import.report.rows,
            import.report.orders,
            import.report.valid_orders
        ),
        (5, 2, 2)
    );
    let o = &import.groups[0];
    assert_eq!(o["order_number"], "SO-1");
    // Line 1 is the header; SO-1's first record spans lines 2-3 (a line
    // break in a quoted street), SO-2's lines 4-5.
    assert_eq!(o["line"], 2);
    let rows = o["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 3);
    let starts: Vec<&Value> = rows.iter().map(|r| &r["line"]).collect();
    assert_eq!(starts, [2, 6, 8]);
    assert_eq!(value(o, 0, "order_date"), "2024-05-02");
    assert_eq!(value(o, 0, "customer_name"), "Müller, Schmidt & Co");
    assert_eq!(value(o, 0, "ship_to_street2"), "Tor 3\n2. Stock");
    assert_eq!(value(o, 0, "notes"), "Deliver \"before noon\"");
    assert_eq!(value(o, 0, "unit_price"), "10.50");
    assert_eq!(value(o, 1, "sku"), "A-101");
    assert_eq!(value(o, 1, "discount_percent"), "10");
    // Continuation rows keep their blank order-level columns blank.
    assert_eq!(value(o, 1, "currency"), "");
    assert_eq!(value(o, 2, "quantity"), "1.5");
    // Every header column is in every row.
    assert_eq!(
        rows[2]["values"].as_object().map(|v| v.len()),
        Some(all_columns().len())
    );
}

#[test]
fn every_bad_row_is_reported_with_line_and_column() {
    let rows = vec![
        head("SO-1", "A-100", "2", "10.50"), // line 2-3 (street2 spans two lines)
        more("SO-1", "A-101", "abc", "4.25"), // line 4
        with(more("SO-1", "A-102", "1", "-1"), "order_date", "2024-06-01"), // line 5
        with(head("SO-2", "", "1", "9"), "currency", "euro"), // line 6-7
        with(head("SO-3", "C-1", "0", "9"), "customer_email", "nobody"), // line 8-9
        with(
            with(head("SO-4", "D-1", "1", "9"), "ship_to_country", ""),
            "line_id",
            "7",
        ), // 10-11
        with(more("SO-4", "D-2", "1", "9"), "line_id", "7"), // line 12
        with(more("", "E-1", "1", "1"), "discount_percent", "150"), // line 13
        head("SO-5", "F-1", "1", "1"),       // line 14-15: valid
        with(
            more("SO-5", "F-2", "1", "1"),
            "requested_date",
            "2024-02-30",
        ), // line 16
    ];
    let report = dry_run(&csv_file(&all_columns(), &rows), &CsvOptions::default());
    let got: Vec<String> = report.errors.iter().map(ToString::to_string).collect();
    let expected = [
        "line 4, column quantity (\"abc\"): not a decimal number such as 12.50",
        "line 5, column order_date (\"2024-06-01\"): conflicts with \"2024-05-02\" given for order SO-1 on line 2",
        "line 5, column unit_price (\"-1\"): must not be negative",
        "line 6, column currency (\"euro\"): not an ISO 4217 code such as EUR",
        "line 6, column sku: required value is empty",
        "line 8, column customer_email (\"nobody\"): not an e-mail address",
        "line 8, column quantity (\"0\"): must be greater than 0",
        "line 10, column ship_to_country: required when a ship-to address is given",
        "line 12, column line_id: line id \"7\" already used on line 10",
        "line 13, column order_number: required value is empty",
        "line 16, column requested_date (\"2024-02-30\"): not a date YYYY-MM-DD",
    ];
    assert_eq!(got, expected);
    assert_eq!(
        (report.rows, report.orders, report.valid_orders),
        (10, 5, 0)
    );
}

#[test]
fn valid_orders_are_kept_beside_bad_ones() {
    let rows = vec![
        head("OK-1", "A", "1", "1"),
        head("BAD-1", "B", "x", "1"),
        more("OK-1", "C", "2", "2"),
    ];
    let import = parse_orders(&csv_file(&all_columns(), &rows), &CsvOptions::default());
    assert_eq!(import.report.errors.len(), 1);
    assert_eq!(import.groups.len(), 1);
    assert_eq!(import.groups[0]["order_number"], "OK-1");
    assert_eq!(import.groups[0]["rows"].as_array().map(Vec::len), Some(2));
}

#[test]
fn header_problems_are_reported_on_line_1() {
    let cols = [
        "order_number",
        "Order_Date",
        "currency",
        "colour",
        "sku",
        "quantity",
        "sku",
    ];
    let report = dry_run(&csv_file(&cols, &[]), &CsvOptions::default());
    let got: Vec<String> = report.errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        got,
        [
            "line 1, column colour: unknown column",
            "line 1, column sku: duplicate column",
            "line 1, column customer_name: required column is missing",
            "line 1, column unit_price: required column is missing",
        ]
    );
    assert_eq!(dry_run(b"", &CsvOptions::default()).errors[0].line, 1);
}

#[test]
fn minimal_columns_any_order_with_bom_and_ragged_rows() {
    let cols = [
        "sku",
        "quantity",
        "unit_price",
        "customer_name",
        "currency",
        "order_date",
        "order_number",
    ];
    let rows = vec![vec![
        ("order_number", "7".into()),
        ("order_date", "2024-01-31T23:30:00+01:00".into()),
        ("currency", "USD".into()),
        ("customer_name", "Ann".into()),
        ("sku", "X".into()),
        ("quantity", "1".into()),
        ("unit_price", "2".into()),
    ]];
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(csv_file(&cols, &rows));
    bytes.extend(b"X2,1\n");
    let import = parse_orders(&bytes, &CsvOptions::default());
    assert_eq!(import.report.errors.len(), 2, "{:?}", import.report.errors);
    assert_eq!(
        import.report.errors[0].to_string(),
        "line 3: expected 7 fields, found 2"
    );
    assert_eq!(
        import.report.errors[1].to_string(),
        "line 3, column order_number: required value is empty"
    );
    // As written: the mapping and the canonical model read the offset.
    assert_eq!(
        value(&import.groups[0], 0, "order_date"),
        "2024-01-31T23:30:00+01:00"
    );
    assert!(value(&import.groups[0], 0, "ship_to_country").is_null());
}

#[test]
fn big_generated_file() {
    let rows: Vec<Row> = (0..3000)
        .map(|i| {
            let order = format!("B-{}", i / 3);
            if i % 3 == 0 {
                head(&order, &format!("S{i}"), "1", "1.10")
            } else {
                more(&order, &format!("S{i}"), "2", "3")
            }
        })
        .collect();
    let import = parse_orders(&csv_file(&all_columns(), &rows), &CsvOptions::default());
    assert!(import.report.is_ok());
    assert_eq!(import.groups.len(), 1000);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]
    /// Any generated set of valid orders decodes to exactly those orders.
    #[test]
    fn generated_orders_decode(lines in proptest::collection::vec((0u8..6, 1u32..1000, 0u32..100_000), 1..40)) {
        let rows: Vec<Row> = lines.iter().enumerate().map(|(i, (o, q, p))| {
            let order = format!("G{o}");
            let price = format!("{}.{:02}", p / 100, p % 100);
            let first = !lines[..i].iter().any(|(o2, _, _)| o2 == o);
            if first { head(&order, &format!("K{i}"), &q.to_string(), &price) } else { more(&order, &format!("K{i}"), &q.to_string(), &price) }
        }).collect();
        let import = parse_orders(&csv_file(&all_columns(), &rows), &CsvOptions::default());
        prop_assert!(import.report.is_ok(), "{:?}", import.report.errors);
        let total: usize = import.groups.iter().map(|o| o["rows"].as_array().map_or(0, Vec::len)).sum();
        prop_assert_eq!(total, lines.len());
        for o in &import.groups {
            for r in o["rows"].as_array().into_iter().flatten() {
                prop_assert_eq!(&r["values"]["order_number"], &o["order_number"]);
            }
        }
    }
}
