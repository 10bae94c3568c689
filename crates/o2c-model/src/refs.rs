//! `ExternalRef`: an identifier in another system, kept as `{system, id}`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::validation::{FieldViolation, Violations, child};

/// An id in an external system. Ids are always strings, even when the
/// system uses numbers (Shopify's u64 ids must not pass through floats).
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct ExternalRef {
    /// System name, e.g. `"shopify:acme-store"`, `"odoo"`, `"salesforce"`.
    pub system: String,
    /// The id in that system, verbatim.
    pub id: String,
}

impl ExternalRef {
    /// Creates a reference to `id` in `system`.
    pub fn new(system: impl Into<String>, id: impl Into<String>) -> Self {
        Self {
            system: system.into(),
            id: id.into(),
        }
    }

    /// Violations (blank system or id) located under `path`.
    pub fn violations(&self, path: impl std::fmt::Display) -> Vec<FieldViolation> {
        let mut v = Violations::default();
        v.require_text(child(&path, "system"), &self.system);
        v.require_text(child(&path, "id"), &self.id);
        v.finish().err().unwrap_or_default()
    }
}

impl std::fmt::Display for ExternalRef {
    /// `system:id`
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.system, self.id)
    }
}

/// Violations of every reference in `refs`, located under `path/<index>`.
pub(crate) fn refs_violations(
    refs: &[ExternalRef],
    path: impl std::fmt::Display,
) -> Vec<FieldViolation> {
    refs.iter()
        .enumerate()
        .flat_map(|(i, r)| r.violations(child(&path, i)))
        .collect()
}

/// Finds the id recorded for `system`, if any.
pub fn find_ref<'a>(refs: &'a [ExternalRef], system: &str) -> Option<&'a str> {
    refs.iter()
        .find(|r| r.system == system)
        .map(|r| r.id.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_stay_strings() {
        let r = ExternalRef::new("shopify", "5678901234567890123");
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(json, r#"{"system":"shopify","id":"5678901234567890123"}"#);
        assert!(serde_json::from_str::<ExternalRef>(r#"{"system":"s","id":1}"#).is_err());
        assert_eq!(
            find_ref(std::slice::from_ref(&r), "shopify"),
            Some("5678901234567890123")
        );
        assert_eq!(r.to_string(), "shopify:5678901234567890123");
    }

    #[test]
    fn blank_parts_are_violations() {
        let v = ExternalRef::new("", " ").violations("/external_refs/0");
        let paths: Vec<_> = v.iter().map(|v| v.path.as_str()).collect();
        assert_eq!(paths, ["/external_refs/0/system", "/external_refs/0/id"]);
    }
}
