//! The direct evaluator (ADR 0018) against jaq on every shipped mapping:
//! each real sample and generated payload maps to the same canonical JSON
//! by both, and the direct evaluator is sure of its answer on every valid
//! one (so the speed it brings is real, not a silent fall back to jaq).

use o2c_connectors::edi::{self, MappingOptions};
use o2c_connectors::{MappingProgram, MappingSet};
use o2c_formats::x12::parse_with;
use serde_json::{Value, json};

const AT: &str = "2026-11-27T00:00:00Z";

fn fixture(path: &str) -> String {
    let path = format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Both evaluators agree on `payload`; returns whether the direct one was
/// sure.
fn agree(program: &MappingProgram, payload: &[u8], account: &str) -> bool {
    let reference = program.run_reference(payload, account, AT);
    assert_eq!(
        program.run(payload, account, AT),
        reference,
        "run differs from jaq on {}",
        String::from_utf8_lossy(payload)
    );
    match program.run_direct(payload, account, AT) {
        Some(direct) => {
            assert_eq!(direct, reference, "{}", String::from_utf8_lossy(payload));
            true
        }
        None => false,
    }
}

/// The webhook body as Shopify sent it (the captures wrap it with headers;
/// the Admin REST sample is the order itself).
fn shopify_body(sample: &str) -> String {
    let capture: Value =
        serde_json::from_str(&fixture(&format!("shopify/{sample}"))).expect("json");
    match capture.get("body") {
        Some(body) => body.to_string(),
        None => capture.to_string(),
    }
}

fn mapping<'a>(set: &'a MappingSet, channel: &str) -> &'a MappingProgram {
    let mapping = set.get(channel, None).expect("latest mapping");
    assert!(
        mapping.program.is_direct(),
        "{} is not direct",
        mapping.name()
    );
    &mapping.program
}

#[test]
fn every_latest_mapping_runs_direct_and_older_regex_ones_stay_on_jaq() {
    let set = MappingSet::shipped().expect("mappings");
    for channel in o2c_connectors::mapping::CHANNELS {
        mapping(&set, channel);
    }
    let on_jaq: Vec<String> = set
        .iter()
        .filter(|m| !m.program.is_direct())
        .map(|m| m.name())
        .collect();
    // `gsub` (regex replacement) is not run directly.
    assert_eq!(on_jaq, ["amazon/v1", "salesforce/v1"]);
}

#[test]
fn shopify_samples_map_the_same_and_directly() {
    let set = MappingSet::shipped().expect("mappings");
    for version in [1, 2, 3] {
        let program = &set.get("shopify", Some(version)).expect("shopify").program;
        for sample in [
            "hookdeck_2024-10_orders.create.json",
            "hookdeck_2024-10_orders.updated.json",
            "hookdeck_2024-10_orders.cancelled.json",
            "pyapi_order.json",
        ] {
            let payload = shopify_body(sample);
            assert!(
                agree(program, payload.as_bytes(), "shop.example"),
                "shopify/v{version} unsure on {sample}"
            );
        }
        // Not an order: both fail the same way.
        let refund = shopify_body("hookdeck_2024-10_refunds.create.json");
        agree(program, refund.as_bytes(), "shop.example");
    }
}

#[test]
fn amazon_samples_map_the_same_and_directly() {
    let set = MappingSet::shipped().expect("mappings");
    let body = |name: &str| -> Value {
        let value: Value = serde_json::from_str(&fixture(&format!("amazon/{name}"))).expect("json");
        value.get("response").cloned().unwrap_or(value)
    };
    let order = body("getOrder_200_sandbox_static_0.json")["payload"].clone();
    let items = body("getOrderItems_200_sandbox_static_0.json")["payload"]["OrderItems"].clone();
    let address = body("getOrderAddress_200_sandbox_static_0.json")["payload"].clone();
    let mut unshipped = order.clone();
    unshipped["OrderStatus"] = json!("Unshipped");
    let mut fba = unshipped.clone();
    fba["FulfillmentChannel"] = json!("AFN");
    for input in [
        json!({"order": unshipped, "items": items, "address": address}),
        json!({"order": fba, "items": items}),
        json!({"order": order, "items": items}),
        json!({"order": unshipped, "items": []}),
    ] {
        let payload = input.to_string();
        for version in [1, 2] {
            let Ok(mapping) = set.get("amazon", Some(version)) else {
                continue;
            };
            agree(&mapping.program, payload.as_bytes(), "A2SELLER0EXAMPLE");
        }
        let latest = mapping(&set, "amazon");
        let sure = agree(latest, payload.as_bytes(), "A2SELLER0EXAMPLE");
        if input["order"]["OrderStatus"] == "Unshipped" && input["items"] != json!([]) {
            assert!(sure, "amazon unsure on {payload}");
        }
    }
}

#[test]
fn x12_samples_map_the_same_and_directly() {
    let set = MappingSet::shipped().expect("mappings");
    let program = mapping(&set, "edi-850");
    let dir = format!("{}/tests/fixtures/x12", env!("CARGO_MANIFEST_DIR"));
    let mut documents = 0;
    for entry in std::fs::read_dir(&dir).expect("x12 fixtures") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "edi") {
            continue;
        }
        let bytes = std::fs::read(&path).expect("read");
        let Ok(parsed) = parse_with(&bytes, &edi::parse_options(true)) else {
            continue;
        };
        let Ok(docs) = edi::documents(&parsed.file, "acme-retail", &MappingOptions::default())
        else {
            continue;
        };
        for doc in docs {
            let payload = doc.input.to_string();
            let reference = program.run_reference(payload.as_bytes(), "acme-retail", AT);
            let sure = agree(program, payload.as_bytes(), "acme-retail");
            if reference.is_ok() {
                assert!(sure, "edi-850 unsure on {}", path.display());
            }
            documents += 1;
        }
    }
    assert!(documents >= 8, "{documents} documents");
}
