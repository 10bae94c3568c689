//! Odoo 19's JSON-2 API: `POST /json/2/<model>/<method>` with
//! `Authorization: bearer <api key>`, `X-Odoo-Database`, and a JSON object
//! of named arguments (`ids`, `context`, the method's parameters). Answers
//! the bare result, or a bare error object with an HTTP status, as recorded
//! in `odoo19/j_json2*.jsonl` (source: `addons/rpc/controllers/json2.py`).

use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::{read_body, session_cookie, werkzeug_page};
use crate::fault::{self, Fault};
use crate::{Caller, OdooVersion, Sandbox};

const JSON_UTF8: &str = "application/json; charset=utf-8";

/// A JSON-2 error: HTTP status + `{name, message, arguments, context,
/// debug}`.
pub struct Json2Error {
    status: StatusCode,
    fault: Fault,
    /// werkzeug exceptions carry the status in `arguments`.
    werkzeug: bool,
}

impl Json2Error {
    fn werkzeug(status: StatusCode, class: &str, message: impl Into<String>) -> Json2Error {
        Json2Error {
            status,
            fault: Fault::new(format!("werkzeug.exceptions.{class}"), message),
            werkzeug: true,
        }
    }

    /// The status Odoo 19 gives each exception class.
    fn from_fault(f: Fault) -> Json2Error {
        let status = match f.name.as_str() {
            fault::USER_ERROR | fault::VALIDATION_ERROR => StatusCode::UNPROCESSABLE_ENTITY,
            fault::MISSING_ERROR => StatusCode::NOT_FOUND,
            fault::ACCESS_ERROR | fault::ACCESS_DENIED => StatusCode::FORBIDDEN,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        Json2Error {
            status,
            fault: f,
            werkzeug: false,
        }
    }

    fn into_response(self) -> Response {
        let f = &self.fault;
        let (arguments, debug) = if self.werkzeug {
            let reason = self.status.canonical_reason().unwrap_or("");
            (
                json!([f.message, self.status.as_u16()]),
                format!(
                    "Traceback (most recent call last):\n  [frames removed]\n{}: {} {reason}: {}\n",
                    f.name,
                    self.status.as_u16(),
                    f.message
                ),
            )
        } else if f.name == fault::ACCESS_DENIED {
            (json!([f.message]), format!("{}: {}\n", f.name, f.message))
        } else {
            (json!([f.message]), f.debug())
        };
        let body = json!({
            "name": f.name,
            "message": f.message,
            "arguments": arguments,
            "context": {},
            "debug": debug,
        });
        let mut resp = (
            self.status,
            [(header::CONTENT_TYPE, JSON_UTF8)],
            body.to_string(),
        )
            .into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer "),
            );
        }
        resp
    }
}

fn unauthorized(message: &str) -> Json2Error {
    Json2Error::werkzeug(StatusCode::UNAUTHORIZED, "Unauthorized", message)
}

/// The page for a request that names no database this server serves
/// (`odoo/http.py`, `Application.__call__` → `NotFound`).
fn no_database() -> Response {
    let body = "<!DOCTYPE html>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n<p>No database is selected and the requested URL was not found in the server-wide controllers.</p>\n<p>Please verify the hostname, <a href=/web/login>login</a> and try again.</p>\n\n<!-- Alternatively, use the X-Odoo-Database header. -->\n";
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

fn did_you_mean() -> Response {
    Json2Error::werkzeug(
        StatusCode::NOT_FOUND,
        "NotFound",
        "Did you mean POST /json/2/<model>/<method>?",
    )
    .into_response()
}

fn route_missing(sb: &Sandbox) -> Option<Response> {
    (sb.config().version < OdooVersion::V19).then(|| {
        werkzeug_page(
            StatusCode::NOT_FOUND,
            "The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.",
        )
    })
}

/// `/json/2/<model>` (no method).
pub async fn no_method(State(sb): State<Sandbox>) -> Response {
    route_missing(&sb).unwrap_or_else(did_you_mean)
}

/// Methods decorated `@api.model` (no `ids`) and their required
/// parameters; everything else is a record method taking `ids`.
fn model_method(method: &str) -> Option<&'static [&'static str]> {
    Some(match method {
        "create" => &["vals_list"],
        "search" | "search_read" | "search_count" | "read_group" | "web_search_read" => &[],
        "formatted_read_group" | "fields_get" | "name_search" | "default_get" => &[],
        "name_create" => &["name"],
        "load" => &["fields", "data"],
        "check_object_reference" => &["module", "xml_id"],
        "get_views" => &[],
        _ => return None,
    })
}

/// Required parameters of record methods.
fn record_required(method: &str) -> &'static [&'static str] {
    match method {
        "write" => &["vals"],
        _ => &[],
    }
}

/// Keyword arguments `search_read` passes on to `_read_format`.
const SEARCH_READ_KWARGS: &[&str] = &["domain", "fields", "offset", "limit", "order", "load"];

pub async fn json2(
    State(sb): State<Sandbox>,
    Path((model, method)): Path<(String, String)>,
    req: Request,
) -> Response {
    if let Some(r) = route_missing(&sb) {
        return r;
    }
    if req.method() != Method::POST {
        return did_you_mean();
    }
    let (parts, body) = match read_body(req).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let headers = &parts.headers;
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.trim_start()
                .to_ascii_lowercase()
                .starts_with("application/json")
        });
    if !is_json {
        return unsupported_media_type();
    }
    match serve(&sb, headers, &model, &method, &body).await {
        Ok(result) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, JSON_UTF8)],
            result.unwrap_or(Value::Null).to_string(),
        )
            .into_response(),
        Err(Served::Page(r)) => r,
        Err(Served::Error(e)) => e.into_response(),
    }
}

fn unsupported_media_type() -> Response {
    let body = "<!doctype html>\n<html lang=en>\n<title>415 Unsupported Media Type</title>\n<h1>Unsupported Media Type</h1>\n<p>Request inferred type is compatible with [&#39;http&#39;] but &#39;/json/2/&lt;__model__&gt;/&lt;__method__&gt;&#39; is type=&#39;json2&#39;.<br><br>Please verify the Content-Type request header and try again.</p>\n";
    (
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

enum Served {
    Page(Response),
    Error(Json2Error),
}

impl From<Json2Error> for Served {
    fn from(e: Json2Error) -> Served {
        Served::Error(e)
    }
}

async fn serve(
    sb: &Sandbox,
    headers: &HeaderMap,
    model: &str,
    method: &str,
    body: &[u8],
) -> Result<Option<Value>, Served> {
    let c = sb.config();
    // database selection: the header, or the only database
    let db = headers
        .get("x-odoo-database")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let db_is_ours = match db.as_deref() {
        Some(d) if d == c.db => true,
        Some(d) if c.extra_databases.iter().any(|x| x == d) => false,
        Some(_) => return Err(Served::Page(no_database())),
        None if c.extra_databases.is_empty() => true,
        None => return Err(Served::Page(no_database())),
    };
    // authentication: a bearer API key, never a session
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let session_uid = session_cookie(headers).and_then(|sid| sb.web().uid(&sid));
    let key = auth
        .get(..7)
        .filter(|scheme| scheme.eq_ignore_ascii_case("bearer "))
        .map(|_| auth[7..].trim());
    let Some(key) = key.filter(|k| !k.is_empty()) else {
        return Err(if session_uid.is_some() {
            unauthorized("Missing \"Authorization\" or Sec-headers for interactive usage.")
        } else {
            unauthorized(
                "User not authenticated, use an API Key with a Bearer Authorization header.",
            )
        }
        .into());
    };
    let uid = if db_is_ours {
        sb.api_key_uid(key)
    } else {
        None
    };
    let Some(uid) = uid else {
        return Err(unauthorized("Invalid apikey").into());
    };
    if session_uid.is_some_and(|s| s != uid) {
        return Err(Json2Error::from_fault(Fault::new(
            fault::ACCESS_DENIED,
            "Session user does not match the used apikey.",
        ))
        .into());
    }
    sb.count_call(model, method);
    // the body: named arguments only
    let params: Value = serde_json::from_slice(body).map_err(|e| {
        Json2Error::werkzeug(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            format!("could not parse the body as json: {e}"),
        )
    })?;
    let Value::Object(mut params) = params else {
        return Err(Json2Error::werkzeug(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "could not parse the body as json: expected an object",
        )
        .into());
    };
    if sb.registry().get(model).is_none() && !crate::apikeys::handles(model) {
        return Err(Json2Error::werkzeug(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!("the model '{model}' does not exist"),
        )
        .into());
    }
    if method.starts_with('_') {
        return Err(Json2Error::from_fault(Fault::access(format!(
            "Private methods (such as '{model}.{method}') cannot be called remotely."
        )))
        .into());
    }
    let context = params.remove("context");
    if let Some(lang) = context
        .as_ref()
        .and_then(|c| c.get("lang"))
        .and_then(Value::as_str)
        && lang != "en_US"
    {
        return Err(
            Json2Error::from_fault(Fault::user(format!("Invalid language code: {lang}"))).into(),
        );
    }
    let ids = params.remove("ids");
    let unprocessable = |m: String| {
        Json2Error::werkzeug(StatusCode::UNPROCESSABLE_ENTITY, "UnprocessableEntity", m)
    };
    let (args, required) = match model_method(method) {
        Some(required) => {
            if ids.is_some() {
                return Err(unprocessable(format!("cannot call {model}.{method} with ids")).into());
            }
            (Vec::new(), required)
        }
        None => {
            let ids = match ids {
                None | Some(Value::Null) => json!([]),
                Some(v @ Value::Array(_)) => v,
                Some(v @ Value::Number(_)) => json!([v]),
                Some(other) => {
                    return Err(unprocessable(format!("ids must be a list, got {other}")).into());
                }
            };
            (vec![ids], record_required(method))
        }
    };
    for r in required {
        if !params.contains_key(*r) {
            return Err(unprocessable(format!("missing a required argument: '{r}'")).into());
        }
    }
    if method == "search_read"
        && let Some(bad) = params
            .keys()
            .find(|k| !SEARCH_READ_KWARGS.contains(&k.as_str()))
    {
        return Err(Json2Error::from_fault(Fault::type_error(format!(
            "BaseModel._read_format() got an unexpected keyword argument '{bad}'"
        )))
        .into());
    }
    let mut kwargs: Map<String, Value> = params;
    if method == "name_search"
        && let Some(d) = kwargs.remove("domain")
    {
        kwargs.insert("args".into(), d);
    }
    if let Some(ctx) = context {
        kwargs.insert("context".into(), ctx);
    }
    let result = sb
        .call_kw(
            &Caller::Json2,
            uid,
            model,
            method,
            Value::Array(args),
            Value::Object(kwargs),
        )
        .await;
    result.map_err(|f| {
        if f.name == fault::ATTRIBUTE_ERROR && f.message.starts_with("The method '") {
            Served::Error(Json2Error::werkzeug(
                StatusCode::NOT_FOUND,
                "NotFound",
                format!("The method '{model}.{method}' does not exist"),
            ))
        } else {
            Served::Error(Json2Error::from_fault(f))
        }
    })
}
