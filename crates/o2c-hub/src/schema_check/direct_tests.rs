//! The direct decode (ADR 0023) against the JSON path: whatever it admits,
//! the JSON path admits as the same order; the schema holds no constraint
//! that neither serde nor `admits` checks.

use std::sync::OnceLock;

use o2c_connectors::{Input, MappingProgram, MappingSet, Typed};
use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;

fn schema() -> &'static OrderSchema {
    static SCHEMA: OnceLock<OrderSchema> = OnceLock::new();
    SCHEMA.get_or_init(|| OrderSchema::new().expect("the order schema compiles"))
}

/// `.`: the direct evaluator hands the body to the decoder as it is.
fn identity() -> MappingProgram {
    let program = MappingProgram::compile("identity/v1", ".").expect("compiles");
    assert!(program.is_direct());
    program
}

/// The direct path alone: decoded and admitted, or not.
fn direct(program: &MappingProgram, body: &Value) -> Option<Order> {
    match program.run_typed(Input::Decoded(body), "acct", "2026-11-27T00:00:00Z", admits) {
        Typed::Decoded(mut orders) => orders.pop(),
        Typed::Json(_) => None,
    }
}

/// The JSON path alone: the mapping's JSON output, then the schema.
fn full(program: &MappingProgram, body: &Value) -> Option<Order> {
    let mut outputs = program
        .run_input(Input::Decoded(body), "acct", "2026-11-27T00:00:00Z")
        .ok()?;
    schema().parse(&outputs.pop()?).ok()
}

fn example_order() -> Value {
    serde_json::from_str(include_str!("../../../o2c-model/examples/order.json")).expect("example")
}

/// The shipped Shopify mapping's output for Shopify's published sample.
fn mapped_shopify_order() -> Value {
    static MAPPED: OnceLock<Value> = OnceLock::new();
    MAPPED.get_or_init(map_shopify_sample).clone()
}

fn map_shopify_sample() -> Value {
    let capture: Value = serde_json::from_str(include_str!(
        "../../../o2c-connectors/tests/fixtures/shopify/hookdeck_2024-10_orders.create.json"
    ))
    .expect("capture");
    let mappings = MappingSet::shipped().expect("shipped");
    let mapping = mappings.get("shopify", None).expect("shopify");
    let mut outputs = mapping
        .program
        .run(
            capture["body"].to_string().as_bytes(),
            "shop.myshopify.com",
            "2026-11-27T00:00:00Z",
        )
        .expect("maps");
    outputs.pop().expect("one order")
}

#[test]
fn valid_orders_take_the_direct_path_to_the_same_order() {
    let program = identity();
    for body in [example_order(), mapped_shopify_order()] {
        let direct = direct(&program, &body).expect("decoded directly");
        assert_eq!(Some(direct), full(&program, &body));
    }
}

#[test]
fn the_shipped_mapping_decodes_shopifys_sample_directly() {
    let capture: Value = serde_json::from_str(include_str!(
        "../../../o2c-connectors/tests/fixtures/shopify/hookdeck_2024-10_orders.create.json"
    ))
    .expect("capture");
    let payload = capture["body"].to_string();
    let mappings = MappingSet::shipped().expect("shipped");
    let program = &mappings.get("shopify", None).expect("shopify").program;
    let input = Input::Raw(payload.as_bytes());
    let Typed::Decoded(typed) = program.run_typed(input, "shop", "2026-11-27T00:00:00Z", admits)
    else {
        panic!("the direct path decodes it");
    };
    assert!(typed.iter().all(admits));
    let orders = schema()
        .map(program, input, "shop", "2026-11-27T00:00:00Z")
        .expect("valid");
    assert_eq!(typed, orders);
    let outputs = program
        .run(payload.as_bytes(), "shop", "2026-11-27T00:00:00Z")
        .expect("maps");
    let parsed: Vec<Order> = outputs
        .iter()
        .map(|o| schema().parse(o).expect("valid"))
        .collect();
    assert_eq!(orders, parsed);
}

#[test]
fn what_serde_accepts_and_the_schema_refuses_is_refused_directly() {
    let program = identity();
    let base = example_order();
    let with = |pointer: &str, value: Value| {
        let mut body = base.clone();
        *body.pointer_mut(pointer).expect("pointer") = value;
        body
    };
    let cases = [
        // Decimal text the parser takes and the pattern does not.
        with("/lines/0/unit_price", json!(" 129.99")),
        with("/lines/0/unit_price", json!("+129.99")),
        with("/lines/0/unit_price", json!("1_29.99")),
        with("/lines/0/quantity/value", json!(".5")),
        // A decimal written as serde_json's private number map.
        with(
            "/lines/0/unit_price",
            json!({ "$serde_json::private::Number": "1" }),
        ),
        // A struct written as an array (serde's derive takes one).
        with("/channel", json!(["shopify", "acme"])),
        with("/channel_order_id", json!("")),
        with("/lines", json!([])),
        with("/ship_to/country", json!("us")),
        with("/ship_to/subdivision", json!("US-CALI")),
        with("/mapping", json!({ "name": "x", "version": 0 })),
    ];
    for body in cases {
        assert_eq!(direct(&program, &body), None, "{body}");
        assert_eq!(full(&program, &body), None, "{body}");
        let errors = match schema().map(&program, Input::Decoded(&body), "a", "b") {
            Err(MapFailure::Invalid { errors, .. }) => errors,
            other => panic!("{body}: {other:?}"),
        };
        assert!(!errors.is_empty());
    }
}

/// A refused mapped order becomes the operator's problem: the caller's
/// members, every violation and the output as mapped; a failed run, its
/// message with the caller's members.
#[test]
fn map_failures_become_problems_with_the_callers_members() {
    let program = identity();
    let mut body = example_order();
    body["lines"] = json!([]);
    let failure = schema()
        .map(&program, Input::Decoded(&body), "a", "b")
        .expect_err("no lines");
    let problem = failure.problem(|p| p.with("mapping", json!("identity/v1")));
    assert_eq!(problem.kind, ProblemKind::MappingFailed);
    assert!(
        problem.detail.starts_with("the mapped order violates"),
        "{}",
        problem.detail
    );
    let members: Vec<&str> = problem.extensions.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(members, ["mapping", "errors", "canonical"]);
    let canonical = &problem.extensions[2].1;
    assert_eq!(canonical["lines"], json!([]));
    let failing =
        MappingProgram::compile("fails/v1", "error(\"not an order: test\")").expect("compiles");
    let failure = schema()
        .map(&failing, Input::Decoded(&body), "a", "b")
        .expect_err("fails");
    assert!(matches!(failure, MapFailure::Run(_)));
    let problem = failure.problem(|p| p.with("po_number", json!("PO-1")));
    assert!(
        problem.detail.contains("not an order: test"),
        "{}",
        problem.detail
    );
    assert_eq!(
        problem.extensions,
        [("po_number".to_owned(), json!("PO-1"))]
    );
}

/// Keywords that constrain a value beyond its JSON type.
const CONSTRAINTS: [&str; 26] = [
    "pattern",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minProperties",
    "maxProperties",
    "propertyNames",
    "patternProperties",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "minContains",
    "maxContains",
    "dependentRequired",
    "dependentSchemas",
    "unevaluatedProperties",
    "unevaluatedItems",
];

fn constraints(schema: &Value, path: &str, found: &mut Vec<String>) {
    match schema {
        Value::Object(members) => {
            for (key, value) in members {
                if CONSTRAINTS.contains(&key.as_str()) {
                    let shown = match value {
                        Value::String(text) if text == o2c_model::decimal::DECIMAL_PATTERN => {
                            "DECIMAL_PATTERN".to_owned()
                        }
                        other => other.to_string(),
                    };
                    found.push(format!("{path} {key} {shown}"));
                }
                constraints(value, &format!("{path}/{key}"), found);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| constraints(item, path, found)),
        _ => {}
    }
}

/// A new schema constraint must be checked by `admits` (or by the decoder,
/// for decimal text) before this list is extended.
#[test]
fn the_schema_constraints_serde_misses_are_admits() {
    let schema = o2c_model::schema("order").expect("order schema");
    let mut found = Vec::new();
    constraints(&schema, "", &mut found);
    found.retain(|c| !c.ends_with("pattern DECIMAL_PATTERN"));
    found.sort();
    assert_eq!(
        found,
        [
            r#"/$defs/Address/properties/country pattern "^[A-Z]{2}$""#,
            r#"/$defs/Address/properties/subdivision pattern "^[A-Z]{2}-[A-Z0-9]{1,3}$""#,
            r#"/$defs/Currency pattern "^[A-Z]{3}$""#,
            "/$defs/MappingRef/properties/version minimum 1",
            "/properties/channel_order_id minLength 1",
            "/properties/lines minItems 1",
        ]
    );
}

/// Formats are annotations in draft 2020-12 (jsonschema checks none by
/// default): dates are checked by serde alone, on both paths.
#[test]
fn the_schema_checks_no_formats() {
    let validator =
        jsonschema::validator_for(&o2c_model::schema("order").expect("schema")).expect("compiles");
    let mut body = example_order();
    body["order_date"] = json!("not a date");
    assert!(validator.is_valid(&body));
}

/// Every three-character code the parser takes is upper-case letters.
#[test]
fn currency_codes_parse_only_in_the_schemas_shape() {
    let alphabet: Vec<char> = ('A'..='Z').chain('a'..='z').chain('0'..='9').collect();
    let mut taken = 0;
    for a in &alphabet {
        for b in &alphabet {
            for c in &alphabet {
                let code = format!("{a}{b}{c}");
                if o2c_model::Currency::parse(&code).is_ok() {
                    assert!(code.bytes().all(|b| b.is_ascii_uppercase()), "{code}");
                    taken += 1;
                }
            }
        }
    }
    assert!(taken > 100, "{taken}");
}

/// Values that trip one rule or another: wrong types, text at the edge of
/// the patterns, serde_json's private map, empty containers.
fn replacement() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        Just(None),
        Just(Some(Value::Null)),
        Just(Some(json!(""))),
        Just(Some(json!("x"))),
        Just(Some(json!("12.50"))),
        Just(Some(json!(" 1"))),
        Just(Some(json!("+1"))),
        Just(Some(json!("1e3"))),
        Just(Some(json!("1e400"))),
        Just(Some(json!("usd"))),
        Just(Some(json!("US"))),
        Just(Some(json!("us"))),
        Just(Some(json!("US-CA"))),
        Just(Some(json!("2026-11-27T00:00:00Z"))),
        Just(Some(json!("2026-11-27"))),
        Just(Some(json!("shopify"))),
        Just(Some(json!("paid"))),
        Just(Some(json!(0))),
        Just(Some(json!(1))),
        Just(Some(json!(1.5))),
        Just(Some(json!(-1))),
        Just(Some(json!(true))),
        Just(Some(json!([]))),
        Just(Some(json!({}))),
        Just(Some(json!(["a"]))),
        Just(Some(json!({ "$serde_json::private::Number": "5" }))),
        Just(Some(json!({ "unknown": 1 }))),
    ]
}

/// Every JSON pointer in `value`, the root included.
fn pointers(value: &Value, at: String, found: &mut Vec<String>) {
    match value {
        Value::Object(members) => {
            for (key, member) in members {
                pointers(member, format!("{at}/{key}"), found);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                pointers(item, format!("{at}/{i}"), found);
            }
        }
        _ => {}
    }
    found.push(at);
}

/// Replaces (or, with `None`, removes) the node at `pointer`; the root is
/// never removed.
fn mutate(body: &mut Value, pointer: &str, replacement: Option<Value>) {
    match replacement {
        Some(value) => {
            if let Some(node) = body.pointer_mut(pointer) {
                *node = value;
            }
        }
        None => {
            let Some((parent, key)) = pointer.rsplit_once('/') else {
                return;
            };
            match body.pointer_mut(parent) {
                Some(Value::Object(members)) => {
                    members.shift_remove(key);
                }
                Some(Value::Array(items)) => {
                    if let Ok(i) = key.parse::<usize>()
                        && i < items.len()
                    {
                        items.remove(i);
                    }
                }
                _ => {}
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]
    /// One to three mutations of a valid order: whenever the direct path
    /// admits the body, the JSON path admits it as the same order.
    #[test]
    fn the_direct_path_admits_only_what_the_json_path_admits(
        shopify in any::<bool>(),
        picks in prop::collection::vec((any::<prop::sample::Index>(), replacement()), 1..4),
    ) {
        static IDENTITY: OnceLock<MappingProgram> = OnceLock::new();
        let program = IDENTITY.get_or_init(identity);
        let mut body = if shopify { mapped_shopify_order() } else { example_order() };
        for (pick, replacement) in picks {
            let mut found = Vec::new();
            pointers(&body, String::new(), &mut found);
            let pointer = pick.get(&found).clone();
            mutate(&mut body, &pointer, replacement);
        }
        if let Some(order) = direct(program, &body) {
            prop_assert_eq!(Some(order), full(program, &body), "{}", body);
        }
    }
}
