//! Checks a request body against the canonical order's JSON Schema and the
//! model's own rules, collecting EVERY violation with its JSON pointer, so a
//! client fixes its payload in one round trip.

use o2c_model::Order;
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
        // The schema cannot say everything (e.g. which currency codes exist).
        let order: Order = serde_path_to_error::deserialize(body).map_err(|e| {
            vec![FieldError {
                pointer: pointer_of(e.path()),
                detail: e.inner().to_string(),
            }]
        })?;
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
