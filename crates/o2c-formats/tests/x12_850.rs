//! Typed 850 extraction on every real 850 sample: PO number, dates,
//! ship-to, lines with quantities, UoM, prices, and SDQ store splits.

mod common;

use chrono::NaiveDate;
use o2c_formats::x12::doc850::PurchaseOrder;
use o2c_formats::x12::{ParseOptions, parse_with};
use rust_decimal::Decimal;

fn pos(name: &str) -> Vec<PurchaseOrder> {
    let p = parse_with(&common::x12(name), &ParseOptions::lenient()).expect("parse");
    PurchaseOrder::all_in(&p.file).expect("850")
}

fn one(name: &str) -> PurchaseOrder {
    let mut v = pos(name);
    assert_eq!(v.len(), 1, "{name}");
    v.remove(0)
}

fn d(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

fn date(y: i32, m: u32, day: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, day)
}

fn extended(po: &PurchaseOrder) -> Decimal {
    po.lines
        .iter()
        .map(|l| l.quantity * l.unit_price.unwrap_or_default())
        .sum()
}

#[test]
fn edinet_single_line() {
    let po = one("edinet_850_4010_single_line.edi");
    assert_eq!(
        (po.po_number.as_str(), po.order_type.as_str()),
        ("1000012", "SA")
    );
    assert_eq!(po.po_date, date(2009, 8, 27));
    let st = po.ship_to().expect("ship-to");
    assert_eq!(st.name.as_deref(), Some("John Doe"));
    assert_eq!(st.address_lines, ["126 Any St"]);
    assert_eq!(
        (st.city.as_deref(), st.state.as_deref()),
        (Some("Hauppauge"), Some("NY"))
    );
    assert_eq!(
        (st.postal_code.as_deref(), st.country.as_deref()),
        (Some("11788-1234"), Some("US"))
    );
    assert_eq!(po.carriers[0].routing.as_deref(), Some("UPSG"));
    let l = &po.lines[0];
    assert_eq!(
        (l.quantity, l.uom.as_deref(), l.unit_price),
        (d("1"), Some("EA"), Some(d("19.95")))
    );
    assert_eq!(l.product_id("VN"), Some("0054321"));
    assert_eq!(po.line_count, Some(d("1")));
}

#[test]
fn vics_six_lines_and_its_variants() {
    let po = one("nodex12_850_4010VICS_6lines.edi");
    assert_eq!(po.po_number, "08292233294");
    assert_eq!(po.po_date, date(2010, 11, 27));
    assert_eq!(po.date("002"), date(2010, 12, 14));
    assert_eq!(po.reference("DP"), Some("038"));
    let st = po.ship_to().expect("ship-to");
    assert_eq!(
        (st.name.as_deref(), st.id.as_deref()),
        (Some("XYZ RETAIL"), Some("0003947268292"))
    );
    assert_eq!(st.city.as_deref(), Some("SOLON"));
    assert_eq!(po.lines.len(), 6);
    let quantities: Vec<Decimal> = po.lines.iter().map(|l| l.quantity).collect();
    assert_eq!(quantities, [120, 220, 126, 76, 72, 696].map(Decimal::from));
    let l = &po.lines[0];
    assert_eq!(
        (l.uom.as_deref(), l.unit_price, l.price_basis.as_deref()),
        (Some("EA"), Some(d("9.25")), Some("TE"))
    );
    assert_eq!(
        (l.product_id("CB"), l.product_id("VN")),
        (Some("065322-117"), Some("AB3542"))
    );
    assert_eq!(l.description.as_deref(), Some("SMALL WIDGET"));
    assert_eq!(l.pack.as_ref().and_then(|p| p.pack), Some(d("4")));
    assert_eq!(po.line_count, Some(d("6")));
    assert_eq!(po.amounts[0].amount, d("13045.94"));
    assert_eq!(extended(&po), d("13045.94"));
    // Same order, newline-terminated, and twice in a batch file.
    assert_eq!(one("nodex12_850_newline_terminated.edi"), po);
    assert_eq!(
        pos("nodex12_850_multiple_interchanges.edi"),
        [po.clone(), po]
    );
}

#[test]
fn stedi_dropship() {
    let po = one("stedi_850_5010_dropship.edi");
    assert_eq!(
        (po.po_number.as_str(), po.order_type.as_str()),
        ("365465413", "DS")
    );
    assert_eq!(po.po_date, date(2022, 8, 30));
    assert_eq!(po.reference("CO"), Some("ACME-4567"));
    assert_eq!(po.contacts[0].communications[1].number, "marvin@acme.com");
    let st = po.ship_to().expect("ship-to");
    assert_eq!(st.name.as_deref(), Some("Wile E Coyote"));
    assert_eq!(st.address_lines, ["111 Canyon Court"]);
    assert_eq!(
        (st.city.as_deref(), st.postal_code.as_deref()),
        (Some("Phoenix"), Some("85001"))
    );
    assert_eq!(po.lines.len(), 2);
    let l = &po.lines[0];
    assert_eq!(l.line_number.as_deref(), Some("item-1"));
    assert_eq!(
        (l.quantity, l.uom.as_deref(), l.unit_price),
        (d("8"), Some("EA"), Some(d("400")))
    );
    assert_eq!(
        (l.product_id("VC"), l.product_id("SK")),
        (Some("VND1234567"), Some("ACM/8900-400"))
    );
    assert_eq!(po.lines[1].description.as_deref(), Some("Detonator"));
    assert_eq!(extended(&po), d("3700"));
    assert_eq!(po.amounts[0].qualifier, "TT");
}

#[test]
fn aafes_multiline_text() {
    let po = one("x12types_850_5010_aafes_multiline_mtx.edi");
    assert_eq!(po.po_number, "0012345678");
    assert_eq!(po.po_date, date(2015, 9, 24));
    assert_eq!(po.date("010"), date(2015, 10, 8));
    let st = po.ship_to().expect("ship-to");
    assert_eq!(
        (st.name.as_deref(), st.id.as_deref()),
        (Some("WCDC FLOW MANAGER"), Some("1059967"))
    );
    assert_eq!(
        st.address_lines,
        ["WCDC XD/TS", "DOOR 54", "BLDG 550A 700 E ROTH RD"]
    );
    let bt = po.bill_to().expect("bill-to");
    assert_eq!(bt.city.as_deref(), Some("DALLAS"));
    assert_eq!(
        po.party("BY").and_then(|p| p.id.as_deref()),
        Some("1771052")
    );
    assert!(
        po.notes[1].contains("TERMS &\nCONDITIONS"),
        "{:?}",
        po.notes
    );
    let l = &po.lines[0];
    assert_eq!(
        (l.quantity, l.unit_price, l.price_basis.as_deref()),
        (d("12"), Some(d("3.5")), Some("WE"))
    );
    assert_eq!(
        (l.product_id("VA"), l.product_id("SK")),
        (Some("10256"), Some("6381035"))
    );
    assert_eq!(l.price("RTL"), Some(d("5.99")));
    assert_eq!(po.lines[1].price("RTL"), Some(d("7")));
}

#[test]
fn napa_orders_priced_by_ctp() {
    let po = one("x12types_850_5010_napa_4lines.edi");
    assert_eq!(po.po_number, "05832797OD000ZZZ04269");
    assert_eq!(po.po_date, date(2011, 8, 23));
    assert_eq!(
        po.ship_to().and_then(|p| p.name.as_deref()),
        Some("NAPA AUTO PARTS ATL069")
    );
    assert_eq!(po.lines.len(), 4);
    assert_eq!(po.lines[0].product_id("BP"), Some("AD7574"));
    assert_eq!(po.lines[3].price("DIS"), Some(d("96.00")));
    assert_eq!(po.hash_total, Some(d("18")));

    let po = one("x12types_850_5010_napa_5lines.edi");
    assert_eq!(po.po_number, "03095725OP000");
    let prices: Vec<_> = po.lines.iter().map(|l| l.price("DIS")).collect();
    let expected = ["83.41", "96.88", "68.36", "561.88", "419.13"].map(|p| Some(d(p)));
    assert_eq!(prices, expected);
    assert_eq!(
        po.ship_to().and_then(|p| p.postal_code.as_deref()),
        Some("33016")
    );
}

#[test]
fn sdq_split_across_two_stores() {
    let po = one("x12types_850_5010_rk_sdq_2stores.edi");
    assert_eq!(
        (po.po_number.as_str(), po.currency.as_deref()),
        ("325011", Some("USD"))
    );
    let l = &po.lines[0];
    assert_eq!((l.quantity, l.unit_price), (d("18"), Some(d("17.01"))));
    let stores: Vec<_> = l
        .destinations
        .iter()
        .map(|s| (s.location.as_str(), s.quantity))
        .collect();
    assert_eq!(stores, [("898", d("9")), ("899", d("9"))]);
    assert_eq!(l.destinations[0].id_qualifier.as_deref(), Some("92"));
    assert_eq!(l.destinations_total(), l.quantity);
}

#[test]
fn sdq_cross_dock_through_warehouse() {
    let po = one("x12types_850_5010_rk_sdq_shipto_wh.edi");
    assert_eq!(po.po_number, "260001");
    assert_eq!(po.ship_to().and_then(|p| p.id.as_deref()), Some("899"));
    let l = &po.lines[0];
    assert_eq!((l.quantity, l.unit_price), (d("2100"), Some(d("195.50"))));
    let stores: Vec<_> = l
        .destinations
        .iter()
        .map(|s| (s.location.as_str(), s.quantity))
        .collect();
    assert_eq!(
        stores,
        [("65", d("1000")), ("66", d("1000")), ("67", d("100"))]
    );
    assert_eq!(l.destinations_total(), d("2100"));
}

#[test]
fn x12types_testdata_snacks() {
    let po = one("x12types_testdata_004010_850.edi");
    assert_eq!(po.po_number, "A99999-01");
    assert_eq!(po.po_date, date(1997, 2, 14));
    assert_eq!(
        po.bill_to().and_then(|p| p.name.as_deref()),
        Some("BUYSNACKS INC.")
    );
    let st = po.ship_to().expect("ship-to");
    assert_eq!(
        (st.city.as_deref(), st.postal_code.as_deref()),
        (Some("ATHENS"), Some("30603"))
    );
    let quantities: Vec<Decimal> = po.lines.iter().map(|l| l.quantity).collect();
    assert_eq!(quantities, [16, 13, 32, 51, 9, 85, 1].map(Decimal::from));
    assert!(
        po.lines
            .iter()
            .all(|l| l.uom.as_deref() == Some("CA") && l.unit_price == Some(d("12.34")))
    );
    assert_eq!(po.lines[0].product_id("UA"), Some("002840022222"));
    assert_eq!(po.lines[0].line_number, None);
}

#[test]
fn malformed_sample_two_orders_after_recovery() {
    let v = pos("edinet_850_4010_MALFORMED_missing_terminator_issue135.edi");
    assert_eq!(v.len(), 2);
    assert_eq!(v[0].po_number, "740150");
    assert_eq!(v[0].purpose, "05");
    let l = &v[0].lines[1];
    assert_eq!((l.quantity, l.uom.as_deref()), (d("13892"), Some("SF")));
    assert_eq!(l.product_id("ST"), Some("F07EXPLLO1224"));
    assert_eq!(l.pack.as_ref().and_then(|p| p.size), Some(d("7168.21")));
    assert_eq!(l.dates[1].date, date(2019, 3, 9));
}

#[test]
fn typed_errors_are_located() {
    let text = String::from_utf8(common::x12("stedi_850_5010_dropship.edi")).expect("utf8");
    let bad = text.replace("PO1*item-1*0008*", "PO1*item-1*8x*");
    let file = o2c_formats::x12::parse(bad.as_bytes()).expect("envelope ok");
    let e = PurchaseOrder::all_in(&file).expect_err("bad quantity");
    assert_eq!(
        e.to_string(),
        "segment 12 (PO1) element 2: invalid value \"8x\": not a number"
    );
    let bad = text.replace(
        "BEG*00*DS*365465413**20220830",
        "BEG*00*DS*365465413**20221330",
    );
    let file = o2c_formats::x12::parse(bad.as_bytes()).expect("envelope ok");
    let e = PurchaseOrder::all_in(&file).expect_err("bad date");
    assert_eq!(e.position.segment, 4);
    assert_eq!(e.position.element, Some(5));
    let ack = o2c_formats::x12::parse(&common::x12("stedi_855_5010_ack.edi")).expect("855");
    let tx = ack.transactions().next().expect("tx");
    assert!(PurchaseOrder::from_transaction(tx).is_err());
}
