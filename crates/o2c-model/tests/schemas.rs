//! Checks the checked-in JSON Schemas (`schemas/v1/*.json`) against the code,
//! and that the order schema really rejects bad orders.
//!
//! Run with `O2C_UPDATE_SCHEMAS=1` to rewrite the files after a model change.

use std::path::PathBuf;

use serde_json::{Value, json};

fn schema_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../schemas/v1");
    dir.canonicalize().unwrap_or(dir)
}

fn render(schema: &Value) -> String {
    let mut text = serde_json::to_string_pretty(schema).expect("schema serializes");
    text.push('\n');
    text
}

#[test]
fn checked_in_schemas_are_up_to_date() {
    let dir = schema_dir();
    let update = std::env::var_os("O2C_UPDATE_SCHEMAS").is_some_and(|v| !v.is_empty() && v != "0");
    let mut stale = Vec::new();
    let schemas = o2c_model::schemas();
    for (name, schema) in &schemas {
        let path = dir.join(format!("{name}.json"));
        let expected = render(schema);
        let actual = std::fs::read_to_string(&path).ok();
        if actual.as_deref() != Some(expected.as_str()) {
            if update {
                std::fs::create_dir_all(&dir).expect("create schemas/v1");
                std::fs::write(&path, &expected).expect("write schema");
            } else {
                stale.push(path.display().to_string());
            }
        }
    }
    // Files for types that no longer exist are stale too.
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for entry in entries.flatten() {
            let file = entry.file_name().to_string_lossy().into_owned();
            let known = schemas.iter().any(|(n, _)| format!("{n}.json") == file);
            if file.ends_with(".json") && !known {
                if update {
                    std::fs::remove_file(entry.path()).expect("remove stale schema");
                } else {
                    stale.push(format!("{} (no such type)", entry.path().display()));
                }
            }
        }
    }
    assert!(
        stale.is_empty(),
        "JSON Schemas in schemas/v1 differ from the model:\n  {}\n\
         If the model change is intended, regenerate them with:\n  \
         O2C_UPDATE_SCHEMAS=1 cargo test -p o2c-model --test schemas\n\
         and commit the updated files.",
        stale.join("\n  ")
    );
}

#[test]
fn one_schema_per_top_level_type() {
    let names: Vec<_> = o2c_model::schemas().into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "order",
            "party",
            "address",
            "product",
            "fulfillment_request",
            "shipment",
            "delivery_event",
            "invoice",
            "payment",
            "return_request",
            "credit_note",
            "cloud_event"
        ]
    );
    for (name, schema) in o2c_model::schemas() {
        assert_eq!(
            schema["$schema"], "https://json-schema.org/draft/2020-12/schema",
            "{name}"
        );
        assert!(
            jsonschema::validator_for(&schema).is_ok(),
            "{name} is not a valid schema"
        );
        // Self-contained: every $ref points into the document's own $defs.
        let text = schema.to_string();
        for piece in text.split("\"$ref\":\"").skip(1) {
            assert!(
                piece.starts_with("#/$defs/"),
                "{name}: external ref {piece}"
            );
        }
    }
}

fn example_order() -> Value {
    let text = include_str!("../examples/order.json");
    serde_json::from_str(text).expect("example parses")
}

fn order_errors(instance: &Value) -> Vec<String> {
    let schema = o2c_model::schema("order").expect("order schema");
    let validator = jsonschema::validator_for(&schema).expect("valid schema");
    validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect()
}

#[test]
fn order_schema_accepts_the_example() {
    assert_eq!(order_errors(&example_order()), Vec::<String>::new());
}

#[test]
fn order_schema_accepts_numbers_for_decimals() {
    let mut order = example_order();
    order["lines"][0]["unit_price"] = serde_json::from_str("129.99").unwrap();
    order["lines"][0]["quantity"]["value"] = json!(4);
    assert_eq!(order_errors(&order), Vec::<String>::new());
}

/// A labelled edit that makes the example order invalid.
type Mutation = Box<dyn Fn(&mut Value)>;

#[test]
fn order_schema_rejects_bad_orders() {
    let cases: Vec<(&str, Mutation)> = vec![
        (
            "missing channel_order_id",
            Box::new(|o| {
                o.as_object_mut().unwrap().remove("channel_order_id");
            }),
        ),
        (
            "missing lines",
            Box::new(|o| {
                o.as_object_mut().unwrap().remove("lines");
            }),
        ),
        (
            "missing line sku",
            Box::new(|o| {
                o["lines"][0].as_object_mut().unwrap().remove("sku");
            }),
        ),
        (
            "unknown order field",
            Box::new(|o| o["chanel"] = json!("x")),
        ),
        (
            "unknown line field",
            Box::new(|o| o["lines"][1]["qty"] = json!(3)),
        ),
        (
            "lowercase currency",
            Box::new(|o| o["currency"] = json!("usd")),
        ),
        ("long currency", Box::new(|o| o["currency"] = json!("USDX"))),
        ("numeric currency", Box::new(|o| o["currency"] = json!(840))),
        (
            "lines not an array",
            Box::new(|o| o["lines"] = json!({"0": {}})),
        ),
        (
            "price not a decimal",
            Box::new(|o| o["lines"][0]["unit_price"] = json!("12,50")),
        ),
        (
            "price boolean",
            Box::new(|o| o["lines"][0]["unit_price"] = json!(true)),
        ),
        (
            "unknown channel kind",
            Box::new(|o| o["channel"]["kind"] = json!("ebay")),
        ),
        (
            "bad payment status",
            Box::new(|o| o["payment_status"] = json!("settled")),
        ),
        (
            "mapping version negative",
            Box::new(|o| o["mapping"]["version"] = json!(-1)),
        ),
        (
            "lowercase country",
            Box::new(|o| o["ship_to"]["country"] = json!("us")),
        ),
        (
            "customer without name",
            Box::new(|o| {
                o["customer"].as_object_mut().unwrap().remove("name");
            }),
        ),
        (
            "external id as number",
            Box::new(|o| o["external_refs"][0]["id"] = json!(1042)),
        ),
    ];
    for (label, mutate) in cases {
        let mut order = example_order();
        mutate(&mut order);
        assert!(
            !order_errors(&order).is_empty(),
            "schema accepted an order with {label}"
        );
        // The model agrees: either parsing or `Order::validate` refuses it.
        let parsed = serde_json::from_value::<o2c_model::Order>(order);
        assert!(
            parsed.map_or(true, |o| o.validate().is_err()),
            "the model accepted an order with {label}"
        );
    }
}

#[test]
fn order_schema_agrees_with_serialized_orders() {
    let order: o2c_model::Order = serde_json::from_value(example_order()).unwrap();
    let written = serde_json::to_value(&order).unwrap();
    assert_eq!(order_errors(&written), Vec::<String>::new());
}

#[test]
fn cloud_event_schema_accepts_serialized_events() {
    let event = o2c_model::CloudEvent::new(
        "o2c.order.confirmed.v1",
        "/o2c/flow",
        "0190f2a4-6c1e-7d3a-9b5e-2f1c3d4e5a6b",
        json!({"ok": true}),
        "corr-1",
        None,
        o2c_model::Uuid::nil(),
        chrono::DateTime::UNIX_EPOCH,
    )
    .with_extension(
        "traceparent",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    );
    let schema = o2c_model::schema("cloud_event").unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    assert!(validator.is_valid(&serde_json::to_value(&event).unwrap()));
    let mut bad = serde_json::to_value(&event).unwrap();
    bad.as_object_mut().unwrap().remove("correlationid");
    assert!(!validator.is_valid(&bad));
}
