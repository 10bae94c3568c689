//! An X12 850 line ordered in cases (`PO103` = `CA`) through the EDI
//! channel: the partner's value map turns `CA` into the Odoo unit "Case of
//! 12" (the demo seed's), and the order is confirmed in Odoo with that line
//! in cases at the partner's case price, its delivery move counting Units.
//!
//! The order is the VICS sample (nodex12_850_4010VICS_6lines) with its
//! first line changed, in memory, from 120 EA at 9.25 to 10 CA at 111.00.

mod common;

use common::{TestHub, odoo_search_read};
use o2c_connectors::edi::PartyIds;
use o2c_hub::HubConfig;
use o2c_hub::edi::partner::{AckSettings, HoldAnswer, PoAckKind};
use o2c_hub::edi::{EdiConfig, EdiPartner};
use serde_json::{Value, json};

const VICS_SKUS: [&str; 6] = ["AB3542", "RD5322", "XY5266", "VX2332", "RV0524", "DX1875"];

fn vics_in_cases() -> Vec<u8> {
    let path = format!(
        "{}/../o2c-connectors/tests/fixtures/x12/nodex12_850_4010VICS_6lines.edi",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let first_line = "PO1*1*120*EA*9.25*";
    assert!(text.contains(first_line), "the sample's first PO1 changed");
    text.replace(first_line, "PO1*1*10*CA*111*").into_bytes()
}

fn ids(qualifier: &str, id: &str) -> PartyIds {
    PartyIds {
        isa_qualifier: qualifier.into(),
        isa_id: id.into(),
        gs_id: String::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_850_line_in_cases_becomes_an_odoo_line_in_cases_delivered_in_units() {
    // the partner's 997 and 855 go to a folder of their own
    let dir = tempfile::tempdir().expect("dir");
    let partner = EdiPartner {
        id: "xyz".into(),
        odoo_company_id: Some(1),
        theirs: ids("12", "4405197800"),
        ours: ids("01", "999999999"),
        acknowledgments: AckSettings {
            functional_997: true,
            po_855: Some(PoAckKind::LineDetail),
            deadline_hours: 24,
            on_hold: HoldAnswer::Wait,
            ..AckSettings::default()
        },
        outbound_dir: dir.path().join("out").display().to_string(),
        value_maps: serde_json::from_value(json!({ "uom": { "EA": "Units", "CA": "Case of 12" } }))
            .expect("maps"),
        ..EdiPartner::default()
    };
    let hub = TestHub::sqlite_with(HubConfig {
        edi: EdiConfig {
            state_dir: dir.path().join("state").display().to_string(),
            poll_interval_ms: 100,
            deadline_alert_lead_minutes: 0,
            partners: vec![partner],
        },
        ..HubConfig::default()
    })
    .await;
    for sku in VICS_SKUS {
        common::odoo_create(
            &hub.odoo_url,
            "product.product",
            json!({ "name": sku, "default_code": sku, "list_price": 10.0 }),
        )
        .await;
    }
    let report: Value = hub
        .http
        .post(format!("{}/v1/channels/edi/xyz", hub.base))
        .bearer_auth(&hub.key)
        .header("content-type", "application/edi-x12")
        .body(vics_in_cases())
        .send()
        .await
        .expect("post")
        .json()
        .await
        .expect("json");
    assert_eq!(report["orders"][0]["status"], "accepted", "{report}");
    let order_id = report["orders"][0]["order_id"].as_str().expect("id");
    hub.wait_for_status(order_id, "confirmed").await;

    let case = odoo_search_read(
        &hub.odoo_url,
        "uom.uom",
        json!([["name", "=", "Case of 12"]]),
        &["id"],
    )
    .await[0]["id"]
        .clone();
    let units = odoo_search_read(
        &hub.odoo_url,
        "uom.uom",
        json!([["name", "=", "Units"]]),
        &["id"],
    )
    .await[0]["id"]
        .clone();
    let sale = odoo_search_read(
        &hub.odoo_url,
        "sale.order",
        json!([["client_order_ref", "=", "08292233294"]]),
        &["state"],
    )
    .await;
    assert_eq!(sale[0]["state"], "sale");
    let lines = odoo_search_read(
        &hub.odoo_url,
        "sale.order.line",
        json!([["order_id", "=", sale[0]["id"]]]),
        &["product_id", "product_uom", "product_uom_qty", "price_unit"],
    )
    .await;
    assert_eq!(lines.len(), 6);
    let first = lines
        .iter()
        .find(|l| {
            l["product_id"][1]
                .as_str()
                .is_some_and(|n| n.contains("AB3542"))
        })
        .expect("the AB3542 line");
    assert_eq!(first["product_uom"][0], case);
    assert_eq!(first["product_uom_qty"], json!(10.0));
    assert_eq!(first["price_unit"], json!(111.0));
    // the other lines stay in Units (EA)
    assert!(
        lines
            .iter()
            .filter(|l| l["id"] != first["id"])
            .all(|l| l["product_uom"][0] == units),
        "{lines:?}"
    );
    let moves = odoo_search_read(
        &hub.odoo_url,
        "stock.move",
        json!([["sale_line_id", "=", first["id"]]]),
        &["product_uom", "product_uom_qty", "product_qty"],
    )
    .await;
    assert_eq!(moves[0]["product_uom"][0], case);
    assert_eq!(moves[0]["product_uom_qty"], json!(10.0));
    assert_eq!(moves[0]["product_qty"], json!(120.0));
    hub.shutdown().await;
}
