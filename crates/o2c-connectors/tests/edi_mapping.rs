//! EDI 850 mapping v1 on the real 850 samples: every purchase order
//! becomes canonical order(s) the model accepts, with partner, PO number,
//! lines, quantities, UoM, prices, currency and ship-to right; SDQ store
//! splits follow the partner's policy; value maps translate their codes.

use o2c_connectors::edi::{self, MappingOptions, SdqSplit};
use o2c_connectors::value_maps::{SKU, UOM};
use o2c_connectors::{MappingSet, RunError, ValueMaps};
use o2c_formats::x12::parse_with;
use o2c_model::Order;
use rust_decimal::Decimal;

fn x12(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/x12/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn run(name: &str, options: &MappingOptions) -> Vec<Result<Vec<Order>, RunError>> {
    let parsed = parse_with(&x12(name), &edi::parse_options(true)).expect("parses");
    let docs = edi::documents(&parsed.file, "acme-retail", options).expect("850s");
    let set = MappingSet::shipped().expect("mappings");
    let mapping = set.get("edi-850", Some(1)).expect("edi-850 v1");
    docs.iter()
        .map(|doc| {
            let outputs =
                mapping
                    .program
                    .run_value(&doc.input, "acme-retail", "2026-11-27T00:00:00Z")?;
            Ok(outputs
                .into_iter()
                .map(|value| {
                    let order: Order = serde_json::from_value(value.clone())
                        .unwrap_or_else(|e| panic!("not canonical: {e}\n{value:#}"));
                    if let Err(v) = order.validate() {
                        panic!("invalid canonical order: {v:?}\n{value:#}");
                    }
                    order
                })
                .collect())
        })
        .collect()
}

fn orders(name: &str, options: &MappingOptions) -> Vec<Order> {
    run(name, options)
        .into_iter()
        .flat_map(|r| r.expect("mapping runs"))
        .collect()
}

fn one(name: &str) -> Order {
    let mut all = orders(name, &MappingOptions::default());
    assert_eq!(all.len(), 1, "{name}");
    all.remove(0)
}

fn d(text: &str) -> Decimal {
    text.parse().expect("decimal")
}

fn lines(order: &Order) -> Vec<(&str, &str, Decimal, &str, Decimal)> {
    order
        .lines
        .iter()
        .map(|l| {
            (
                l.line_id.as_str(),
                l.sku.as_str(),
                l.quantity.value,
                l.quantity.uom.as_str(),
                l.unit_price,
            )
        })
        .collect()
}

#[test]
fn single_line_consumer_order() {
    let o = one("edinet_850_4010_single_line.edi");
    assert_eq!(
        (o.channel.kind.as_str(), o.channel.account.as_str()),
        ("edi", "acme-retail")
    );
    assert_eq!(o.channel_order_id, "1000012");
    assert_eq!(o.customer_po.as_deref(), Some("1000012"));
    assert_eq!(o.currency.code(), "USD");
    assert_eq!(o.order_date.to_rfc3339(), "2009-08-27T00:00:00+00:00");
    assert_eq!(lines(&o), [("1", "0054321", d("1"), "EA", d("19.95"))]);
    let ship_to = o.ship_to.as_ref().expect("ship-to");
    assert_eq!(ship_to.company.as_deref(), Some("John Doe"));
    assert_eq!(ship_to.street_lines, ["126 Any St"]);
    assert_eq!(ship_to.subdivision.as_deref(), Some("US-NY"));
    assert_eq!(ship_to.postal_code.as_deref(), Some("11788-1234"));
    let refs: Vec<_> = o.external_refs.iter().map(|r| r.to_string()).collect();
    assert_eq!(
        refs,
        [
            "x12_po:1000012",
            "x12_st:0003",
            "x12_isa:000000055",
            "x12_gs:2"
        ]
    );
    assert_eq!(
        o.mapping.as_ref().map(|m| (m.name.as_str(), m.version)),
        Some(("edi-850", 1))
    );
}

#[test]
fn vics_six_lines_take_the_vendor_part_number() {
    let o = one("nodex12_850_4010VICS_6lines.edi");
    assert_eq!(o.channel_order_id, "08292233294");
    assert_eq!(o.lines.len(), 6);
    assert_eq!(lines(&o)[0], ("1", "AB3542", d("120"), "EA", d("9.25")));
    assert_eq!(lines(&o)[5], ("6", "DX1875", d("696"), "EA", d("9.55")));
    assert_eq!(o.lines[0].description.as_deref(), Some("SMALL WIDGET"));
    assert_eq!(
        o.lines[0].requested_date.map(|d| d.to_string()).as_deref(),
        Some("2010-12-14")
    );
    // AMT*1 is not a transaction total; nothing is declared.
    assert!(o.declared_totals.is_none());
    let ship_to = o.ship_to.as_ref().expect("ship-to");
    assert_eq!(
        (
            ship_to.company.as_deref(),
            ship_to.city.as_deref(),
            ship_to.country.as_str()
        ),
        (Some("XYZ RETAIL"), Some("SOLON"), "US")
    );
    let total: Decimal = o
        .lines
        .iter()
        .map(|l| l.quantity.value * l.unit_price)
        .sum();
    assert_eq!(total, d("13045.94"));
}

#[test]
fn dropship_order_declares_its_total() {
    let o = one("stedi_850_5010_dropship.edi");
    assert_eq!(o.channel_order_id, "365465413");
    assert_eq!(
        lines(&o),
        [
            ("item-1", "VND1234567", d("8"), "EA", d("400")),
            ("item-2", "VND000111222", d("4"), "EA", d("125")),
        ]
    );
    assert_eq!(o.declared_totals.as_ref().map(|t| t.total), Some(d("3700")));
    let ship_to = o.ship_to.as_ref().expect("ship-to");
    assert_eq!(ship_to.company.as_deref(), Some("Wile E Coyote"));
    assert_eq!(ship_to.subdivision.as_deref(), Some("US-AZ"));
}

#[test]
fn aafes_order_without_envelope_or_currency_uses_the_partner_defaults() {
    let o = one("x12types_850_5010_aafes_multiline_mtx.edi");
    assert_eq!(o.channel_order_id, "0012345678");
    assert_eq!(o.currency.code(), "USD");
    // VA (vendor's style number) wins over the buyer's SKU and the UPC.
    assert_eq!(
        lines(&o),
        [
            ("00001", "10256", d("12"), "EA", d("3.5")),
            ("00002", "10164", d("12"), "EA", d("4")),
        ]
    );
    assert_eq!(o.customer.name, "OKI KADENA MSTORE");
    assert_eq!(
        o.bill_to.as_ref().and_then(|a| a.city.as_deref()),
        Some("DALLAS")
    );
    assert_eq!(
        o.ship_to.as_ref().and_then(|a| a.subdivision.as_deref()),
        Some("US-CA")
    );
    assert!(o.notes.as_deref().is_some_and(|n| n.contains("AAFES")));
}

#[test]
fn napa_lines_without_any_price_are_refused_by_line() {
    let results = run(
        "x12types_850_5010_napa_4lines.edi",
        &MappingOptions::default(),
    );
    assert_eq!(results.len(), 1);
    let Err(RunError::Failed { message, .. }) = &results[0] else {
        panic!("expected a mapping failure, got {:?}", results[0]);
    };
    assert!(
        message.contains("PO1 line 00001 has no unit price"),
        "{message}"
    );
}

#[test]
fn a_line_priced_only_by_ctp_takes_that_price() {
    // NAPA's 4th line carries CTP**DIS*96.00 (distributor price) instead of PO104.
    let parsed = parse_with(
        &x12("x12types_850_5010_napa_4lines.edi"),
        &edi::parse_options(true),
    )
    .expect("parse");
    let docs = edi::documents(&parsed.file, "napa", &MappingOptions::default()).expect("850");
    let mut input = docs[0].input.clone();
    let lines = input["purchase_order"]["lines"]
        .as_array_mut()
        .expect("lines");
    lines.drain(0..3); // a copy with only the CTP-priced line (the fixture is untouched)
    let set = MappingSet::shipped().expect("mappings");
    let out = set
        .get("edi-850", None)
        .expect("edi-850")
        .program
        .run_value(&input, "napa", "2026-11-27T00:00:00Z")
        .expect("maps");
    let order: Order = serde_json::from_value(out[0].clone()).expect("canonical");
    assert_eq!(lines_of(&order), [("00004", "AD7822", d("1"), d("96.00"))]);
    assert_eq!(order.customer.name, "NAPA DC");
}

fn lines_of(order: &Order) -> Vec<(&str, &str, Decimal, Decimal)> {
    order
        .lines
        .iter()
        .map(|l| {
            (
                l.line_id.as_str(),
                l.sku.as_str(),
                l.quantity.value,
                l.unit_price,
            )
        })
        .collect()
}

#[test]
fn sdq_per_store_makes_one_order_per_store() {
    let all = orders(
        "x12types_850_5010_rk_sdq_2stores.edi",
        &MappingOptions::default(),
    );
    let ids: Vec<_> = all.iter().map(|o| o.channel_order_id.as_str()).collect();
    assert_eq!(ids, ["325011/898", "325011/899"]);
    for o in &all {
        assert_eq!(o.customer_po.as_deref(), Some("325011"));
        assert_eq!(lines(o), [("1", "27120100", d("9"), "EA", d("17.01"))]);
        // No header ship-to: the store itself is the destination.
        let store = o.channel_order_id.rsplit('/').next().expect("store");
        let ship_to = o.ship_to.as_ref().expect("ship-to");
        assert_eq!(
            ship_to.company.as_deref(),
            Some(format!("store {store}").as_str())
        );
        assert!(
            o.external_refs
                .iter()
                .any(|r| r.system == "x12_store" && r.id == store)
        );
    }
}

#[test]
fn sdq_store_orders_ship_to_the_partners_store_directory() {
    let mut options = MappingOptions::default();
    options.stores.insert(
        "899".into(),
        serde_json::json!({ "company": "RK 899", "street_lines": ["1 Elm St"], "city": "Austin", "subdivision": "US-TX", "country": "US" }),
    );
    let all = orders("x12types_850_5010_rk_sdq_2stores.edi", &options);
    let ship_to = all[1].ship_to.as_ref().expect("ship-to");
    assert_eq!(
        (ship_to.company.as_deref(), ship_to.city.as_deref()),
        (Some("RK 899"), Some("Austin"))
    );
    // A store missing from the directory keeps only its number.
    assert_eq!(
        all[0].ship_to.as_ref().and_then(|a| a.city.as_deref()),
        None
    );
}

#[test]
fn sdq_cross_dock_ships_every_store_order_to_the_warehouse() {
    let all = orders(
        "x12types_850_5010_rk_sdq_shipto_wh.edi",
        &MappingOptions::default(),
    );
    let split: Vec<_> = all
        .iter()
        .map(|o| (o.channel_order_id.as_str(), o.lines[0].quantity.value))
        .collect();
    assert_eq!(
        split,
        [
            ("260001/65", d("1000")),
            ("260001/66", d("1000")),
            ("260001/67", d("100"))
        ]
    );
    for o in &all {
        assert_eq!(
            o.ship_to.as_ref().and_then(|a| a.company.as_deref()),
            Some("Warehouse# 899")
        );
        assert!(
            o.notes
                .as_deref()
                .is_some_and(|n| n.contains("mark for store"))
        );
    }
}

#[test]
fn sdq_deliveries_keep_one_order_with_lines_per_store() {
    let options = MappingOptions {
        sdq_split: SdqSplit::Deliveries,
        ..MappingOptions::default()
    };
    let all = orders("x12types_850_5010_rk_sdq_shipto_wh.edi", &options);
    assert_eq!(all.len(), 1);
    let o = &all[0];
    assert_eq!(o.channel_order_id, "260001");
    let split: Vec<_> = o
        .lines
        .iter()
        .map(|l| (l.line_id.as_str(), l.quantity.value, l.unit_price))
        .collect();
    assert_eq!(
        split,
        [
            ("1@65", d("1000"), d("195.50")),
            ("1@66", d("1000"), d("195.50")),
            ("1@67", d("100"), d("195.50")),
        ]
    );
    assert_eq!(
        o.lines[0].description.as_deref(),
        Some("LED MOTION LIGHT 2000 LUM WHT - store 65")
    );
}

#[test]
fn multiple_interchanges_give_one_document_each() {
    let all = orders(
        "nodex12_850_multiple_interchanges.edi",
        &MappingOptions::default(),
    );
    assert_eq!(all.len(), 2);
    // The same PO sent twice: the hub's dedupe key (partner + PO) is equal.
    assert_eq!(all[0].idempotency_key(), all[1].idempotency_key());
    assert_eq!(all[0].idempotency_key(), "edi:acme-retail:08292233294");
}

#[test]
fn value_maps_translate_partner_codes_after_mapping() {
    let maps = ValueMaps::from_tables([
        (UOM, vec![("EA", "Units")]),
        (SKU, vec![("27120100", "LED-STRING-2400L")]),
    ]);
    let mut o = orders(
        "x12types_850_5010_rk_sdq_2stores.edi",
        &MappingOptions::default(),
    )
    .remove(0);
    maps.apply(&mut o);
    assert_eq!(
        (o.lines[0].sku.as_str(), o.lines[0].quantity.uom.as_str()),
        ("LED-STRING-2400L", "Units")
    );
}
