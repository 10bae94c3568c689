//! The `csv` mapping rule on grouped rows from the CSV decoder: files made
//! by a small generator, decoded by `o2c_formats::csv_orders`, mapped by
//! `mappings/csv/v1.jq`, and each result checked as a canonical order.

use o2c_connectors::MappingSet;
use o2c_formats::csv_orders::{CsvOptions, parse_orders};
use o2c_model::Order;
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::json;

/// RFC 4180 quoting for a generated value.
fn field(v: &str) -> String {
    if v.contains([',', '"', '\n']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v.to_owned()
    }
}

fn csv(header: &[&str], rows: &[Vec<&str>]) -> Vec<u8> {
    let mut out = header.join(",");
    out.push('\n');
    for row in rows {
        let fields: Vec<String> = row.iter().map(|v| field(v)).collect();
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    out.into_bytes()
}

/// Decodes and maps a file; every group must map to one valid order.
fn orders(file: &[u8], account: &str) -> Vec<Order> {
    let import = parse_orders(file, &CsvOptions::default());
    assert!(import.report.is_ok(), "{:?}", import.report.errors);
    let set = MappingSet::shipped().expect("mappings");
    let mapping = set.get("csv", None).expect("csv mapping");
    assert_eq!(mapping.name(), "csv/v1");
    import
        .groups
        .iter()
        .map(|group| {
            let mut out = mapping
                .program
                .run_value(group, account, "2026-11-27T00:00:00Z")
                .expect("maps");
            assert_eq!(out.len(), 1);
            let value = out.remove(0);
            let order: Order = serde_json::from_value(value.clone())
                .unwrap_or_else(|e| panic!("not canonical: {e}\n{value:#}"));
            order
                .validate()
                .unwrap_or_else(|v| panic!("invalid: {v:?}\n{value:#}"));
            order
        })
        .collect()
}

const HEADER: [&str; 20] = [
    "order_number",
    "order_date",
    "currency",
    "customer_ref",
    "customer_name",
    "customer_email",
    "ship_to_name",
    "ship_to_street",
    "ship_to_street2",
    "ship_to_city",
    "ship_to_postal_code",
    "ship_to_subdivision",
    "ship_to_country",
    "customer_po",
    "notes",
    "line_id",
    "sku",
    "quantity",
    "unit_price",
    "discount_percent",
];

fn dec(v: &str) -> Decimal {
    v.parse().expect("decimal")
}

#[test]
fn grouped_rows_become_canonical_orders() {
    let file = csv(
        &HEADER,
        &[
            vec![
                "SO-1",
                "2024-05-02",
                "EUR",
                "C-17",
                "Müller, Schmidt & Co",
                "buyer@example.com",
                "Goods In",
                "Hafenstraße 1",
                "Tor 3\n2. Stock",
                "Hamburg",
                "20457",
                "DE-HH",
                "DE",
                "PO-1",
                "Deliver \"before noon\"",
                "",
                "A-100",
                "2",
                "10.50",
                "",
            ],
            vec![
                "SO-2",
                "2024-01-31T23:30:00+01:00",
                "USD",
                "",
                "Ann",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "L-9",
                "B-1",
                "1",
                "99",
                "",
            ],
            vec![
                "SO-1", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "A-101", "3",
                "4.25", "10",
            ],
        ],
    );
    let orders = orders(&file, "acme-portal");
    assert_eq!(orders.len(), 2);
    let o = &orders[0];
    assert_eq!(o.channel_order_id, "SO-1");
    assert_eq!(o.channel.account, "acme-portal");
    assert_eq!(o.order_date.to_rfc3339(), "2024-05-02T00:00:00+00:00");
    assert_eq!(o.currency.code(), "EUR");
    assert_eq!(o.customer.name, "Müller, Schmidt & Co");
    assert_eq!(o.customer.external_refs[0].id, "C-17");
    assert_eq!(o.customer.email.as_deref(), Some("buyer@example.com"));
    let ship_to = o.ship_to.as_ref().expect("ship to");
    assert_eq!(ship_to.street_lines, ["Hafenstraße 1", "Tor 3\n2. Stock"]);
    assert_eq!(ship_to.subdivision.as_deref(), Some("DE-HH"));
    assert_eq!(o.customer_po.as_deref(), Some("PO-1"));
    assert_eq!(o.notes.as_deref(), Some("Deliver \"before noon\""));
    // Line ids default to the row's position within the order.
    let ids: Vec<&str> = o.lines.iter().map(|l| l.line_id.as_str()).collect();
    assert_eq!(ids, ["1", "2"]);
    assert_eq!(o.lines[0].unit_price, dec("10.50"));
    assert_eq!(o.lines[1].quantity.value, dec("3"));
    assert_eq!(o.lines[1].quantity.uom, "Units");
    assert_eq!(o.lines[1].discount_percent, dec("10"));
    assert_eq!(
        o.mapping.as_ref().map(|m| (m.name.as_str(), m.version)),
        Some(("csv", 1))
    );
    let two = &orders[1];
    // An RFC 3339 date with an offset is read as the instant it names.
    assert_eq!(two.order_date.to_rfc3339(), "2024-01-31T22:30:00+00:00");
    assert!(two.ship_to.is_none());
    assert!(two.customer.external_refs.is_empty());
    assert_eq!(two.lines[0].line_id, "L-9");
}

#[test]
fn a_group_is_plain_json_the_mapping_can_be_tried_on() {
    let set = MappingSet::shipped().expect("mappings");
    let group = json!({
        "order_number": "X-1",
        "line": 2,
        "rows": [{ "line": 2, "values": {
            "order_number": "X-1", "order_date": "2024-05-02", "currency": "EUR",
            "customer_name": "Ann", "sku": "S", "quantity": "1", "unit_price": "2"
        }}]
    });
    let out = set
        .get("csv", Some(1))
        .expect("v1")
        .program
        .run(group.to_string().as_bytes(), "upload", "t")
        .expect("maps");
    assert_eq!(
        out[0]["channel"],
        json!({ "kind": "csv", "account": "upload" })
    );
    assert_eq!(out[0]["lines"][0]["discount_percent"], "0");
    assert!(out[0].get("ship_to").is_none(), "{:#}", out[0]);
    assert!(out[0].get("customer_po").is_none());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]
    /// Any generated set of valid orders maps to canonical orders with the
    /// same lines, quantities and prices as the file.
    #[test]
    fn generated_files_map_to_their_orders(lines in proptest::collection::vec((0u8..5, 1u32..1000, 0u32..100_000), 1..30)) {
        let mut rows: Vec<Vec<String>> = Vec::new();
        for (i, (o, q, p)) in lines.iter().enumerate() {
            let first = !lines[..i].iter().any(|(o2, _, _)| o2 == o);
            let price = format!("{}.{:02}", p / 100, p % 100);
            let mut row = vec![String::new(); HEADER.len()];
            row[0] = format!("G{o}");
            if first {
                row[1] = "2024-05-02".into();
                row[2] = "EUR".into();
                row[4] = format!("Customer {o}");
            }
            row[16] = format!("K{i}");
            row[17] = q.to_string();
            row[18] = price;
            rows.push(row);
        }
        let borrowed: Vec<Vec<&str>> = rows.iter().map(|r| r.iter().map(String::as_str).collect()).collect();
        let orders = orders(&csv(&HEADER, &borrowed), "upload");
        let total: usize = orders.iter().map(|o| o.lines.len()).sum();
        prop_assert_eq!(total, lines.len());
        for order in &orders {
            for line in &order.lines {
                let i: usize = line.sku[1..].parse().expect("index");
                let (o, q, p) = lines[i];
                prop_assert_eq!(&order.channel_order_id, &format!("G{o}"));
                prop_assert_eq!(line.quantity.value, Decimal::from(q));
                prop_assert_eq!(line.unit_price, Decimal::new(i64::from(p), 2));
            }
        }
    }
}
