//! `Quantity`: an exact decimal with a unit-of-measure code ("Units", "EA", "kg").

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A quantity. JSON: `{"value": "2", "uom": "Units"}`.
///
/// The unit code is kept as the channel or ERP spells it; mapping rules
/// translate channel units to the ERP's units.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Quantity {
    /// Exact amount of `uom`.
    #[serde(with = "crate::decimal")]
    #[schemars(with = "crate::decimal::DecimalSchema")]
    pub value: Decimal,
    /// Unit-of-measure code, e.g. `"Units"`, `"EA"`, `"kg"`.
    pub uom: String,
}

impl Quantity {
    /// Creates a quantity of `value` `uom`.
    pub fn new(value: Decimal, uom: impl Into<String>) -> Self {
        Self {
            value,
            uom: uom.into(),
        }
    }

    /// True when strictly greater than zero.
    pub fn is_positive(&self) -> bool {
        self.value > Decimal::ZERO
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn serde_shape() {
        let q = Quantity::new(dec!(2.5), "kg");
        assert_eq!(
            serde_json::to_value(&q).unwrap(),
            serde_json::json!({"value": "2.5", "uom": "kg"})
        );
        let back: Quantity = serde_json::from_str(r#"{"value": 2.5, "uom": "kg"}"#).unwrap();
        assert_eq!(back, q);
        assert!(q.is_positive());
        assert!(!Quantity::new(dec!(0), "EA").is_positive());
    }
}
