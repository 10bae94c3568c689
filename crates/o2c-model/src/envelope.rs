//! `CloudEvent`: the CloudEvents 1.0 JSON envelope of every event the hub
//! publishes, with the `correlationid` / `causationid` extensions.
//!
//! The model never reads a clock or a random source: callers pass the event
//! id (a UUIDv7) and the time.

use std::borrow::Cow;
use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, DeserializeOwned};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::error::ModelError;

/// The only CloudEvents version produced and accepted.
pub const SPEC_VERSION: &str = "1.0";
/// Content type of `data`.
pub const JSON_CONTENT_TYPE: &str = "application/json";

/// Attribute names defined by the spec or by this profile; extensions may not reuse them.
const RESERVED: [&str; 12] = [
    "specversion",
    "id",
    "source",
    "type",
    "subject",
    "time",
    "datacontenttype",
    "dataschema",
    "data",
    "data_base64",
    "correlationid",
    "causationid",
];

/// A CloudEvents 1.0 event in structured JSON mode.
///
/// ```json
/// {"specversion":"1.0","id":"0190...","source":"/o2c/flow","type":"o2c.order.confirmed.v1",
///  "subject":"0190...","time":"2024-05-01T12:00:00Z","datacontenttype":"application/json",
///  "correlationid":"...","causationid":"...","data":{...}}
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CloudEvent {
    /// Always `"1.0"`.
    pub specversion: String,
    /// Event id (a UUIDv7 string); unique per `source`.
    pub id: String,
    /// URI-reference of the producer, e.g. `"/o2c/flow"` or `"/o2c/connectors/shopify"`.
    pub source: String,
    /// Event type, `o2c.<entity>.<happening>.v<N>`, e.g. `"o2c.order.confirmed.v1"`.
    pub event_type: String,
    /// The entity the event is about: the hub order id.
    pub subject: String,
    /// When the event happened (UTC, RFC 3339).
    pub time: DateTime<Utc>,
    /// Always `"application/json"` (or a `+json` type).
    pub datacontenttype: String,
    /// Event payload.
    pub data: Value,
    /// Extension `correlationid`: the business flow this event belongs to.
    pub correlation_id: String,
    /// Extension `causationid`: id of the message that caused this event.
    pub causation_id: Option<String>,
    /// Other extension attributes (e.g. `traceparent`); names lowercase
    /// alphanumeric, values string, integer or boolean.
    pub extensions: BTreeMap<String, Value>,
}

impl CloudEvent {
    /// Builds an event; ids and time come from the caller (no clock here).
    #[allow(clippy::too_many_arguments)] // the envelope's attributes, in spec order
    pub fn new(
        event_type: impl Into<String>,
        source: impl Into<String>,
        subject: impl Into<String>,
        data: Value,
        correlation_id: impl Into<String>,
        causation_id: Option<String>,
        id: Uuid,
        time: DateTime<Utc>,
    ) -> Self {
        Self {
            specversion: SPEC_VERSION.to_string(),
            id: id.to_string(),
            source: source.into(),
            event_type: event_type.into(),
            subject: subject.into(),
            time,
            datacontenttype: JSON_CONTENT_TYPE.to_string(),
            data,
            correlation_id: correlation_id.into(),
            causation_id,
            extensions: BTreeMap::new(),
        }
    }

    /// Adds an extension attribute (checked by [`CloudEvent::validate`]).
    pub fn with_extension(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.extensions.insert(name.into(), value.into());
        self
    }

    /// Deserializes `data` into `T`.
    pub fn data_as<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        T::deserialize(&self.data)
    }

    /// Checks the event against CloudEvents 1.0 and this profile: version
    /// `1.0`; `id`, `source`, `type`, `subject`, `correlationid` non-empty;
    /// `causationid` non-empty when present; JSON content type; extension
    /// names lowercase alphanumeric (at most 20 characters) and not
    /// reserved; extension values string, integer or boolean.
    pub fn validate(&self) -> Result<(), ModelError> {
        let bad = |attribute: &str, reason: &str| ModelError::InvalidCloudEvent {
            attribute: attribute.to_string(),
            reason: reason.to_string(),
        };
        if self.specversion != SPEC_VERSION {
            return Err(bad(
                "specversion",
                &format!("must be \"{SPEC_VERSION}\", got \"{}\"", self.specversion),
            ));
        }
        for (name, value) in [
            ("id", &self.id),
            ("source", &self.source),
            ("type", &self.event_type),
            ("subject", &self.subject),
            ("correlationid", &self.correlation_id),
        ] {
            if value.is_empty() {
                return Err(bad(name, "must be a non-empty string"));
            }
        }
        if self.causation_id.as_deref() == Some("") {
            return Err(bad("causationid", "must be non-empty when present"));
        }
        let ct = self.datacontenttype.as_str();
        let media = ct.split(';').next().unwrap_or("").trim();
        if media != JSON_CONTENT_TYPE && !media.ends_with("+json") {
            return Err(bad(
                "datacontenttype",
                &format!("must be application/json, got \"{ct}\""),
            ));
        }
        for (name, value) in &self.extensions {
            if !is_extension_name(name) {
                return Err(bad(
                    name,
                    "extension names must be 1 to 20 lowercase letters or digits",
                ));
            }
            if RESERVED.contains(&name.as_str()) {
                return Err(bad(name, "is a reserved attribute name"));
            }
            let ok = match value {
                Value::String(_) | Value::Bool(_) => true,
                Value::Number(n) => n.as_i64().is_some(),
                _ => false,
            };
            if !ok {
                return Err(bad(
                    name,
                    "extension values must be strings, integers or booleans",
                ));
            }
        }
        Ok(())
    }
}

fn is_extension_name(name: &str) -> bool {
    (1..=20).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

impl Serialize for CloudEvent {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("specversion", &self.specversion)?;
        map.serialize_entry("id", &self.id)?;
        map.serialize_entry("source", &self.source)?;
        map.serialize_entry("type", &self.event_type)?;
        map.serialize_entry("subject", &self.subject)?;
        map.serialize_entry(
            "time",
            &self.time.to_rfc3339_opts(SecondsFormat::AutoSi, true),
        )?;
        map.serialize_entry("datacontenttype", &self.datacontenttype)?;
        map.serialize_entry("correlationid", &self.correlation_id)?;
        if let Some(c) = &self.causation_id {
            map.serialize_entry("causationid", c)?;
        }
        for (k, v) in &self.extensions {
            map.serialize_entry(k, v)?;
        }
        map.serialize_entry("data", &self.data)?;
        map.end()
    }
}

impl<'de> Deserialize<'de> for CloudEvent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut map = Map::<String, Value>::deserialize(deserializer)?;
        let mut take_string = |name: &str, required: bool| -> Result<Option<String>, D::Error> {
            match map.remove(name) {
                Some(Value::String(s)) => Ok(Some(s)),
                Some(Value::Null) | None if !required => Ok(None),
                None | Some(Value::Null) => Err(de::Error::missing_field(static_name(name))),
                Some(other) => Err(de::Error::custom(format!(
                    "CloudEvent attribute `{name}` must be a string, got {other}"
                ))),
            }
        };
        let specversion = take_string("specversion", true)?.unwrap_or_default();
        let id = take_string("id", true)?.unwrap_or_default();
        let source = take_string("source", true)?.unwrap_or_default();
        let event_type = take_string("type", true)?.unwrap_or_default();
        let subject = take_string("subject", true)?.unwrap_or_default();
        let time_text = take_string("time", true)?.unwrap_or_default();
        let datacontenttype =
            take_string("datacontenttype", false)?.unwrap_or_else(|| JSON_CONTENT_TYPE.to_string());
        let correlation_id = take_string("correlationid", true)?.unwrap_or_default();
        let causation_id = take_string("causationid", false)?;
        let time = DateTime::parse_from_rfc3339(&time_text)
            .map_err(|e| {
                de::Error::custom(format!(
                    "CloudEvent attribute `time` is not RFC 3339 (`{time_text}`): {e}"
                ))
            })?
            .with_timezone(&Utc);
        let data = map.remove("data").unwrap_or(Value::Null);
        if map.contains_key("data_base64") {
            return Err(de::Error::custom(
                "CloudEvent `data_base64` is not supported: data must be JSON",
            ));
        }
        Ok(CloudEvent {
            specversion,
            id,
            source,
            event_type,
            subject,
            time,
            datacontenttype,
            data,
            correlation_id,
            causation_id,
            extensions: map.into_iter().collect(),
        })
    }
}

/// `serde::de::Error::missing_field` wants a `&'static str`; attribute names
/// are compile-time constants here, so map them back to static strings.
fn static_name(name: &str) -> &'static str {
    RESERVED
        .iter()
        .find(|r| **r == name)
        .copied()
        .unwrap_or("attribute")
}

impl JsonSchema for CloudEvent {
    fn schema_name() -> Cow<'static, str> {
        "CloudEvent".into()
    }

    fn schema_id() -> Cow<'static, str> {
        "o2c_model::CloudEvent".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "CloudEvents 1.0 envelope (structured JSON mode) with the o2c extensions correlationid and causationid.",
            "type": "object",
            "properties": {
                "specversion": { "const": "1.0" },
                "id": { "type": "string", "minLength": 1 },
                "source": { "type": "string", "minLength": 1, "format": "uri-reference" },
                "type": { "type": "string", "minLength": 1 },
                "subject": { "type": "string", "minLength": 1 },
                "time": { "type": "string", "format": "date-time" },
                "datacontenttype": { "type": "string", "minLength": 1 },
                "correlationid": { "type": "string", "minLength": 1 },
                "causationid": { "type": "string", "minLength": 1 },
                "data": {}
            },
            "required": ["specversion", "id", "source", "type", "subject", "time", "correlationid"],
            "propertyNames": { "pattern": "^[a-z0-9_]+$" },
            "additionalProperties": { "type": ["string", "integer", "boolean"] }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn event() -> CloudEvent {
        CloudEvent::new(
            "o2c.order.confirmed.v1",
            "/o2c/flow",
            "01900000-0000-7000-8000-000000000001",
            json!({"order_id": "01900000-0000-7000-8000-000000000001", "total": "59.97"}),
            "corr-123",
            Some("01900000-0000-7000-8000-0000000000aa".to_string()),
            Uuid::parse_str("01900000-0000-7000-8000-0000000000ff").unwrap(),
            Utc.with_ymd_and_hms(2024, 5, 1, 12, 30, 0).unwrap(),
        )
    }

    #[test]
    fn serialization_snapshot() {
        let text = serde_json::to_string_pretty(&event()).unwrap();
        let expected = r#"{
  "specversion": "1.0",
  "id": "01900000-0000-7000-8000-0000000000ff",
  "source": "/o2c/flow",
  "type": "o2c.order.confirmed.v1",
  "subject": "01900000-0000-7000-8000-000000000001",
  "time": "2024-05-01T12:30:00Z",
  "datacontenttype": "application/json",
  "correlationid": "corr-123",
  "causationid": "01900000-0000-7000-8000-0000000000aa",
  "data": {
    "order_id": "01900000-0000-7000-8000-000000000001",
    "total": "59.97"
  }
}"#;
        assert_eq!(text, expected);
    }

    #[test]
    fn causationid_omitted_when_none_and_round_trips() {
        let mut e = event();
        e.causation_id = None;
        let e = e.with_extension(
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        );
        let v = serde_json::to_value(&e).unwrap();
        assert!(v.get("causationid").is_none());
        assert_eq!(
            v["traceparent"],
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        );
        let back: CloudEvent = serde_json::from_value(v).unwrap();
        assert_eq!(back, e);
        assert!(back.validate().is_ok());
    }

    #[test]
    fn data_keeps_number_digits() {
        let text = r#"{"specversion":"1.0","id":"1","source":"/s","type":"t","subject":"o",
            "time":"2024-05-01T14:30:00+02:00","correlationid":"c","data":{"amount":19.990}}"#;
        let e: CloudEvent = serde_json::from_str(text).unwrap();
        assert_eq!(e.time, Utc.with_ymd_and_hms(2024, 5, 1, 12, 30, 0).unwrap());
        assert_eq!(
            serde_json::to_string(&e.data).unwrap(),
            r#"{"amount":19.990}"#
        );
        assert_eq!(e.datacontenttype, JSON_CONTENT_TYPE);
    }

    #[test]
    fn deserialization_errors_are_clear() {
        let missing = r#"{"specversion":"1.0","id":"1","source":"/s","subject":"o","time":"2024-05-01T12:00:00Z","correlationid":"c"}"#;
        let err = serde_json::from_str::<CloudEvent>(missing)
            .unwrap_err()
            .to_string();
        assert!(err.contains("missing field `type`"), "{err}");
        let bad_time = missing
            .replace("\"subject\"", "\"type\":\"t\",\"subject\"")
            .replace("2024-05-01T12:00:00Z", "yesterday");
        let err = serde_json::from_str::<CloudEvent>(&bad_time)
            .unwrap_err()
            .to_string();
        assert!(err.contains("not RFC 3339"), "{err}");
    }

    #[test]
    fn validate_per_spec() {
        assert!(event().validate().is_ok());
        let mut e = event();
        e.specversion = "0.3".into();
        assert!(
            matches!(e.validate(), Err(ModelError::InvalidCloudEvent { attribute, .. }) if attribute == "specversion")
        );
        let mut e = event();
        e.source = String::new();
        assert!(
            matches!(e.validate(), Err(ModelError::InvalidCloudEvent { attribute, .. }) if attribute == "source")
        );
        let mut e = event();
        e.correlation_id = String::new();
        assert!(e.validate().is_err());
        let mut e = event();
        e.causation_id = Some(String::new());
        assert!(e.validate().is_err());
        let mut e = event();
        e.datacontenttype = "text/plain".into();
        assert!(e.validate().is_err());
        assert!(
            event()
                .with_extension("TraceParent", "x")
                .validate()
                .is_err()
        );
        assert!(
            event()
                .with_extension("trace_parent", "x")
                .validate()
                .is_err()
        );
        assert!(
            event()
                .with_extension("dataschema", "x")
                .validate()
                .is_err()
        );
        assert!(
            event()
                .with_extension("tenant", json!({"a": 1}))
                .validate()
                .is_err()
        );
        assert!(event().with_extension("retries", 3).validate().is_ok());
        assert!(event().with_extension("replayed", true).validate().is_ok());
    }
}
