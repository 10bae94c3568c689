//! Checks a request body against the canonical order's JSON Schema and the
//! model's own rules, collecting EVERY violation with its JSON pointer, so a
//! client fixes its payload in one round trip.

use o2c_model::Order;
use serde::Deserialize;
use serde_json::Value;

use crate::problem::FieldError;

#[derive(Debug, thiserror::Error)]
#[error("the order schema does not compile: {0}")]
pub struct SchemaCompileError(String);

pub struct OrderSchema {
    validator: jsonschema::Validator,
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
