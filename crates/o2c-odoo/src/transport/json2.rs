//! Odoo 19's JSON-2 API: `POST /json/2/<model>/<method>`,
//! `Authorization: bearer <api key>`, `X-Odoo-Database: <db>`, a body of
//! named arguments only (`ids`, `context`, then the method's parameters),
//! the bare result as the body (19 README "JSON-2"; recordings in
//! `odoo19/j_json2*.jsonl`). Source: `addons/rpc/controllers/json2.py`
//! (19.0), which binds the body to the method's Python signature.
//!
//! The client's API is `execute_kw`'s positional `args` + `kwargs`, so the
//! positional arguments are named here from the methods' signatures in
//! `odoo/models.py` (19.0). A method not in the tables is taken as a record
//! method whose only positional argument is the ids; extra positional
//! arguments of unknown methods must be passed by name in `kwargs`.

use serde_json::{Map, Value, json};

use super::snippet;
use crate::client::AuthState;
use crate::{OdooClient, OdooError};

/// `@api.model` methods (no `ids`) and their positional parameter names.
const MODEL_METHODS: &[(&str, &[&str])] = &[
    (
        "search_read",
        &["domain", "fields", "offset", "limit", "order"],
    ),
    ("search", &["domain", "offset", "limit", "order"]),
    ("search_count", &["domain", "limit"]),
    (
        "search_fetch",
        &["domain", "field_names", "offset", "limit", "order"],
    ),
    ("create", &["vals_list"]),
    ("name_search", &["name", "domain", "operator", "limit"]),
    ("name_create", &["name"]),
    ("fields_get", &["allfields", "attributes"]),
    ("load", &["fields", "data"]),
    (
        "read_group",
        &[
            "domain", "fields", "groupby", "offset", "limit", "orderby", "lazy",
        ],
    ),
    ("default_get", &["fields"]),
    ("check_object_reference", &["module", "xml_id"]),
    (
        "web_search_read",
        &[
            "domain",
            "specification",
            "offset",
            "limit",
            "order",
            "count_limit",
        ],
    ),
    ("context_get", &[]),
    ("get_views", &["views", "options"]),
];

/// Record methods (first positional = ids) with more positional parameters.
const RECORD_METHODS: &[(&str, &[&str])] = &[
    ("read", &["fields", "load"]),
    ("write", &["vals"]),
    ("copy", &["default"]),
    ("address_get", &["adr_pref"]),
    ("export_data", &["fields_to_export"]),
    ("onchange", &["values", "field_names", "fields_spec"]),
    ("web_read", &["specification"]),
    (
        "price_compute",
        &["price_type", "uom", "currency", "company", "date"],
    ),
];

/// The JSON-2 body for `execute_kw(model, method, args, kwargs)`, and
/// whether the answer must be unwrapped from a one-element list (`create`
/// with one dict answers an id over JSON-RPC, `[id]` over JSON-2).
pub fn json2_body(method: &str, args: &Value, kwargs: &Value) -> Result<(Value, bool), OdooError> {
    let mut body = Map::new();
    let positional: Vec<Value> = match args {
        Value::Array(a) => a.clone(),
        Value::Null => Vec::new(),
        other => vec![other.clone()],
    };
    let mut unwrap_single = false;
    let (names, rest): (&[&str], &[Value]) = if let Some((_, names)) =
        MODEL_METHODS.iter().find(|(m, _)| *m == method)
    {
        (names, &positional[..])
    } else {
        let names = RECORD_METHODS
            .iter()
            .find(|(m, _)| *m == method)
            .map(|(_, n)| *n)
            .unwrap_or(&[]);
        match positional.first() {
            Some(ids) => {
                let ids = match ids {
                    Value::Number(_) => json!([ids]),
                    Value::Array(_) => ids.clone(),
                    Value::Bool(false) | Value::Null => json!([]),
                    other => {
                        return Err(OdooError::protocol(format!(
                            "JSON-2 {method}: the first positional argument must be the ids, got {other}"
                        )));
                    }
                };
                body.insert("ids".into(), ids);
                (names, &positional[1..])
            }
            None => (names, &positional[..]),
        }
    };
    if rest.len() > names.len() {
        return Err(OdooError::protocol(format!(
            "JSON-2 takes named arguments only: pass the arguments of {method} after the ids by name in kwargs"
        )));
    }
    for (name, value) in names.iter().zip(rest) {
        body.insert((*name).to_string(), value.clone());
    }
    if method == "create"
        && let Some(v @ Value::Object(_)) = body.get("vals_list").cloned()
    {
        body.insert("vals_list".into(), json!([v]));
        unwrap_single = true;
    }
    if let Value::Object(kw) = kwargs {
        for (k, v) in kw {
            body.insert(k.clone(), v.clone());
        }
    }
    Ok((Value::Object(body), unwrap_single))
}

impl OdooClient {
    pub(crate) async fn json2_execute(
        &self,
        model: &str,
        method: &str,
        args: &Value,
        kwargs: &Value,
        correlation_id: Option<&str>,
    ) -> Result<Value, OdooError> {
        let (body, unwrap_single) = json2_body(method, args, kwargs)?;
        let url = self.url(&format!("/json/2/{model}/{method}"));
        let mut req = self
            .http
            .post(&url)
            .header(
                reqwest::header::AUTHORIZATION,
                format!("bearer {}", self.config.secret),
            )
            .header("X-Odoo-Database", &self.config.db)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/json; charset=utf-8",
            )
            .body(body.to_string());
        if let Some(c) = correlation_id {
            req = req.header("X-Correlation-Id", c);
        }
        let reply = self.send(req, (model, method)).await?;
        let parsed: Option<Value> = if reply.body.trim().is_empty() {
            Some(Value::Null)
        } else {
            serde_json::from_str(&reply.body).ok()
        };
        if reply.status == 200 {
            let v = parsed.ok_or_else(|| {
                OdooError::protocol(format!("{url}: not JSON: {}", snippet(&reply.body)))
            })?;
            if unwrap_single
                && let Value::Array(a) = &v
                && a.len() == 1
            {
                return Ok(a[0].clone());
            }
            return Ok(v);
        }
        Err(json2_error(
            &url,
            reply.status,
            parsed.as_ref(),
            &reply.body,
        ))
    }

    /// JSON-2 has no login; the uid is the key's user, found by login.
    pub(crate) async fn json2_login(&self) -> Result<AuthState, OdooError> {
        let rows = self
            .json2_execute(
                "res.users",
                "search_read",
                &json!([[["login", "=", self.config.login]]]),
                &json!({"fields": ["id"], "limit": 1}),
                None,
            )
            .await?;
        let uid = rows
            .get(0)
            .and_then(|r| r.get("id"))
            .and_then(Value::as_i64)
            .ok_or_else(|| OdooError::AccessDenied {
                message: format!(
                    "the API key works but no user has the login {:?}",
                    self.config.login
                ),
            })?;
        Ok(AuthState { uid, cookie: None })
    }
}

/// Maps a JSON-2 error answer: a bare `{name, message, ...}` object with
/// 401/403/404/422/500, or an HTML page (404 unknown database, 415).
fn json2_error(url: &str, status: u16, parsed: Option<&Value>, raw: &str) -> OdooError {
    if let Some(obj) = parsed.filter(|v| v.get("name").is_some()) {
        let name = obj.get("name").and_then(Value::as_str).unwrap_or("");
        let message = obj
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        return OdooError::from_name(name, message);
    }
    match status {
        401 | 403 => OdooError::AccessDenied {
            message: format!("{url}: HTTP {status}: {}", snippet(raw)),
        },
        404 => OdooError::protocol(format!(
            "{url}: HTTP 404 (no database selected? check the URL and the X-Odoo-Database header, or the server is older than 19): {}",
            snippet(raw)
        )),
        500.. => OdooError::Transient {
            message: format!("{url}: HTTP {status}"),
        },
        _ => OdooError::protocol(format!("{url}: HTTP {status}: {}", snippet(raw))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_match_the_recordings() {
        // Shapes from odoo19/j_json2.jsonl.
        assert_eq!(
            json2_body(
                "search_read",
                &json!([[["ref", "=", "SHOPCUST-0001"]]]),
                &json!({"fields": ["id", "name"]})
            )
            .unwrap(),
            (
                json!({"domain": [["ref", "=", "SHOPCUST-0001"]], "fields": ["id", "name"]}),
                false
            )
        );
        assert_eq!(
            json2_body("create", &json!([{"partner_id": 45}]), &json!({})).unwrap(),
            (json!({"vals_list": [{"partner_id": 45}]}), true)
        );
        assert_eq!(
            json2_body("create", &json!([[{"a": 1}, {"a": 2}]]), &json!({})).unwrap(),
            (json!({"vals_list": [{"a": 1}, {"a": 2}]}), false)
        );
        assert_eq!(
            json2_body("write", &json!([[51], {"quantity": 6.0}]), &json!({})).unwrap(),
            (json!({"ids": [51], "vals": {"quantity": 6.0}}), false)
        );
        assert_eq!(
            json2_body(
                "process",
                &json!([[3]]),
                &json!({"context": {"button_validate_picking_ids": [30]}})
            )
            .unwrap(),
            (
                json!({"ids": [3], "context": {"button_validate_picking_ids": [30]}}),
                false
            )
        );
        assert_eq!(
            json2_body("read", &json!([[42], ["name"]]), &json!({})).unwrap(),
            (json!({"ids": [42], "fields": ["name"]}), false)
        );
        assert_eq!(
            json2_body("action_confirm", &json!([42]), &json!({})).unwrap(),
            (json!({"ids": [42]}), false)
        );
        assert_eq!(
            json2_body(
                "load",
                &json!([["id", "name"], [["__o2c__.x", "X"]]]),
                &json!({})
            )
            .unwrap(),
            (
                json!({"fields": ["id", "name"], "data": [["__o2c__.x", "X"]]}),
                false
            )
        );
        assert!(json2_body("my_method", &json!([[1], "extra"]), &json!({})).is_err());
    }
}
