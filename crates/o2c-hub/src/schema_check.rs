//! Checks a request body against the canonical order's JSON Schema and the
//! model's own rules, collecting EVERY violation with its JSON pointer, so a
//! client fixes its payload in one round trip.

use o2c_connectors::{Input, MappingProgram, RunError, Typed};
use o2c_model::{Address, Order};
use serde::Deserialize;
use serde_json::Value;

use crate::problem::{FieldError, Problem, ProblemKind};

#[derive(Debug, thiserror::Error)]
#[error("the order schema does not compile: {0}")]
pub struct SchemaCompileError(String);

pub struct OrderSchema {
    validator: jsonschema::Validator,
}

/// Why a payload's mapping gave no valid orders.
#[derive(Debug)]
pub enum MapFailure {
    /// The mapping itself failed (bad payload, `error(…)`, no output).
    Run(RunError),
    /// An output broke the schema or the model's rules: every violation,
    /// and the output as the mapping made it.
    Invalid {
        errors: Vec<FieldError>,
        canonical: Value,
    },
}

impl MapFailure {
    /// The problem an operator sees: what failed, the caller's own members
    /// (`context`), then for a refused output every violation and the
    /// output as the mapping made it.
    pub fn problem(self, context: impl FnOnce(Problem) -> Problem) -> Problem {
        match self {
            MapFailure::Run(error) => {
                context(Problem::new(ProblemKind::MappingFailed, error.to_string()))
            }
            MapFailure::Invalid { errors, canonical } => context(Problem::new(
                ProblemKind::MappingFailed,
                format!("the mapped order violates {} rule(s)", errors.len()),
            ))
            .with_errors(&errors)
            .with("canonical", canonical),
        }
    }
}

impl OrderSchema {
    pub fn new() -> Result<Self, SchemaCompileError> {
        let schema = o2c_model::schemas()
            .into_iter()
            .find(|(name, _)| *name == "order")
            .map(|(_, schema)| schema)
            .ok_or_else(|| SchemaCompileError("o2c-model has no `order` schema".into()))?;
        let validator =
            jsonschema::validator_for(&schema).map_err(|e| SchemaCompileError(e.to_string()))?;
        Ok(Self { validator })
    }

    /// Maps one payload and checks every output: the orders, or why not.
    ///
    /// Most payloads are decoded straight into orders (ADR 0023) and pass
    /// [`Self::admits`]; any other takes the JSON path (the mapping's JSON
    /// output, then [`Self::parse`]), which gives the same orders and
    /// explains every refusal.
    pub fn map(
        &self,
        program: &MappingProgram,
        input: Input<'_>,
        account: &str,
        received_at: &str,
    ) -> Result<Vec<Order>, MapFailure> {
        let outputs = match program.run_typed(input, account, received_at, admits) {
            Typed::Decoded(orders) => return Ok(orders),
            Typed::Json(outputs) => outputs.map_err(MapFailure::Run)?,
        };
        outputs
            .into_iter()
            .map(|canonical| {
                self.parse(&canonical)
                    .map_err(|errors| MapFailure::Invalid { errors, canonical })
            })
            .collect()
    }

    /// An operator's corrected order (an exception's resolve, an EDI PO
    /// settled by hand), or the problem naming every invalid field.
    pub fn parse_corrected(&self, proposed: &Value) -> Result<Order, Problem> {
        self.parse(proposed).map_err(|errors| {
            Problem::new(
                ProblemKind::SchemaViolation,
                format!(
                    "{} field(s) of the corrected order are invalid",
                    errors.len()
                ),
            )
            .with_errors(&errors)
        })
    }

    /// The order, or every violation found.
    pub fn parse(&self, body: &Value) -> Result<Order, Vec<FieldError>> {
        // The yes/no check allocates nothing; errors are collected only for
        // a body that fails it.
        if !self.validator.is_valid(body) {
            let mut errors: Vec<FieldError> = self
                .validator
                .iter_errors(body)
                .map(|e| FieldError {
                    pointer: e.instance_path.to_string(),
                    detail: e.to_string(),
                })
                .collect();
            if !errors.is_empty() {
                errors.sort_by(|a, b| a.pointer.cmp(&b.pointer));
                errors.dedup();
                return Err(errors);
            }
        }
        // The schema cannot say everything (e.g. which currency codes exist).
        // Decoding again to learn where it failed costs only on that path.
        let order = match Order::deserialize(body) {
            Ok(order) => order,
            Err(_) => serde_path_to_error::deserialize(body).map_err(|e| {
                vec![FieldError {
                    pointer: pointer_of(e.path()),
                    detail: e.inner().to_string(),
                }]
            })?,
        };
        order.validate().map_err(|violations| {
            violations
                .into_iter()
                .map(|v| FieldError {
                    pointer: v.path,
                    detail: v.message,
                })
                .collect::<Vec<_>>()
        })?;
        Ok(order)
    }
}

/// Whether an order decoded by serde passes what [`OrderSchema::parse`]
/// checks beyond serde: the schema's constraints that the types do not
/// carry (listed by the test `the_schema_constraints_serde_misses_are_admits`),
/// then the model's rules. Decimal text is checked while decoding (see
/// o2c-connectors' `mapping::fast::de`); currency codes by their parser,
/// which takes only upper-case ISO codes.
fn admits(order: &Order) -> bool {
    let addresses = order
        .bill_to
        .iter()
        .chain(&order.ship_to)
        .chain(&order.customer.billing_address)
        .chain(&order.customer.shipping_addresses);
    !order.channel_order_id.is_empty()
        && !order.lines.is_empty()
        && order.mapping.as_ref().is_none_or(|m| m.version >= 1)
        && addresses.into_iter().all(address_shape)
        && order.validate().is_ok()
}

/// The schema's patterns for an address: `^[A-Z]{2}$` and
/// `^[A-Z]{2}-[A-Z0-9]{1,3}$`.
fn address_shape(address: &Address) -> bool {
    let country = address.country.as_bytes();
    let country_ok = country.len() == 2 && country.iter().all(u8::is_ascii_uppercase);
    let subdivision_ok = address.subdivision.as_deref().is_none_or(|code| {
        let code = code.as_bytes();
        (4..=6).contains(&code.len())
            && code[..2].iter().all(u8::is_ascii_uppercase)
            && code[2] == b'-'
            && code[3..]
                .iter()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    });
    country_ok && subdivision_ok
}

/// serde_path_to_error's `a.b[0].c` as a JSON pointer `/a/b/0/c`.
fn pointer_of(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut pointer = String::new();
    for segment in path.iter() {
        pointer.push('/');
        match segment {
            Segment::Seq { index } => pointer.push_str(&index.to_string()),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                pointer.push_str(&key.replace('~', "~0").replace('/', "~1"))
            }
            Segment::Unknown => pointer.push('?'),
        }
    }
    pointer
}

#[cfg(test)]
mod direct_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn schema() -> OrderSchema {
        OrderSchema::new().expect("the order schema compiles")
    }

    #[test]
    fn the_example_order_passes() {
        let example: Value =
            serde_json::from_str(include_str!("../../o2c-model/examples/order.json"))
                .expect("example");
        assert!(schema().parse(&example).is_ok());
    }

    #[test]
    fn pointers_escape_like_rfc_6901() {
        let body = json!({ "channel": { "kind": "rest", "account": "a" }, "channel_order_id": "1",
            "order_date": "2026-11-27T00:00:00Z", "currency": "USD", "customer": { "name": "x" },
            "lines": [{ "line_id": "1", "sku": "A", "quantity": { "value": "1", "uom": "Units" }, "unit_price": "-1" }] });
        let errors = schema().parse(&body).expect_err("negative price");
        assert!(
            errors.iter().all(|e| e.pointer.starts_with('/')),
            "{errors:?}"
        );
    }

    #[test]
    fn a_corrected_order_is_refused_with_every_invalid_field_named() {
        let mut corrected: Value =
            serde_json::from_str(include_str!("../../o2c-model/examples/order.json"))
                .expect("example");
        let schema = schema();
        assert!(schema.parse_corrected(&corrected).is_ok());
        corrected["channel_order_id"] = json!("");
        corrected["lines"][0]["quantity"]["value"] = json!("twelve");
        let problem = schema
            .parse_corrected(&corrected)
            .expect_err("two bad fields")
            .body();
        assert_eq!(
            problem["detail"], "2 field(s) of the corrected order are invalid",
            "{problem}"
        );
        let pointers: Vec<&str> = problem["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .filter_map(|e| e["pointer"].as_str())
            .collect();
        assert_eq!(pointers, ["/channel_order_id", "/lines/0/quantity/value"]);
    }

    fn arbitrary_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            "[a-zA-Z0-9 ./:-]{0,12}".prop_map(Value::String),
            Just(json!("1e400")),
            Just(json!("USD")),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map(
                    prop_oneof![
                        Just("channel".to_owned()),
                        Just("lines".to_owned()),
                        Just("currency".to_owned()),
                        Just("quantity".to_owned()),
                        Just("unit_price".to_owned()),
                        "[a-z_]{1,8}".prop_map(|s| s),
                    ],
                    inner,
                    0..6,
                )
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        /// Whatever JSON arrives, the answer is an order or a list of
        /// violations with pointers, never a panic.
        #[test]
        fn any_json_gets_an_answer(body in arbitrary_json()) {
            let schema = schema();
            if let Err(errors) = schema.parse(&body) {
                prop_assert!(!errors.is_empty());
            }
        }
    }
}
