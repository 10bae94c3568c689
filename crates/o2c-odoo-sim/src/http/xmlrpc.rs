//! `/xmlrpc/2/<service>` (integer fault codes) and the legacy
//! `/xmlrpc/<service>` (string fault codes), with the same dispatch as
//! `/jsonrpc`. Follows `odoo/service/wsgi_server.py` (16) /
//! `addons/rpc/controllers/xmlrpc.py` (17+): `xmlrpc_handle_exception_int`
//! and `xmlrpc_handle_exception_string`, and Python's marshaller, which
//! refuses `None` ("cannot marshal None unless allow_none is enabled") and
//! dicts with non-string keys ("dictionary key must be string") — after the
//! call has been committed.

use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use o2c_xmlrpc::{
    MethodResponse, Value as X, parse_method_call, write_method_response, write_value,
};
use serde_json::Value;

use super::{DEPRECATION_WARNING, read_body};
use crate::fault::{self, Fault};
use crate::{OdooVersion, Sandbox};

/// The XML-RPC fault code Odoo gives an exception (`/xmlrpc/2`).
pub fn fault_code(f: &Fault) -> i64 {
    match f.name.as_str() {
        fault::ACCESS_ERROR => 4,
        fault::ACCESS_DENIED => 3,
        fault::USER_ERROR | fault::VALIDATION_ERROR | fault::MISSING_ERROR => 2,
        "odoo.exceptions.RedirectWarning" => 2,
        _ => 1,
    }
}

/// `(faultCode, faultString)` of `/xmlrpc/2`.
pub fn fault_int(f: &Fault) -> MethodResponse {
    let code = fault_code(f);
    let string = if code == 1 {
        f.debug()
    } else {
        f.message.clone()
    };
    MethodResponse::Fault { code, string }
}

/// The struct of a legacy `/xmlrpc` fault (string faultCode).
fn fault_string(f: &Fault) -> X {
    let (code, string) = match f.name.as_str() {
        fault::MISSING_ERROR => (
            format!("warning -- MissingError\n\n{}", f.message),
            String::new(),
        ),
        fault::ACCESS_ERROR => (
            format!("warning -- AccessError\n\n{}", f.message),
            String::new(),
        ),
        fault::ACCESS_DENIED => ("AccessDenied".to_string(), f.message.clone()),
        fault::USER_ERROR | fault::VALIDATION_ERROR => (
            format!("warning -- UserError\n\n{}", f.message),
            String::new(),
        ),
        _ => (f.message.clone(), f.debug()),
    };
    X::Struct(vec![
        ("faultCode".into(), X::String(code)),
        ("faultString".into(), X::String(string)),
    ])
}

/// Converts a JSON result to XML-RPC the way Python's marshaller would:
/// `None` anywhere and dicts with integer keys (JSON-RPC shows them as
/// digit strings) are refused with the marshaller's `TypeError`.
pub fn marshal(v: &Value) -> Result<X, Fault> {
    Ok(match v {
        Value::Null => {
            return Err(Fault::type_error(
                "cannot marshal None unless allow_none is enabled",
            ));
        }
        Value::Array(a) => X::Array(a.iter().map(marshal).collect::<Result<_, _>>()?),
        Value::Object(o) => {
            if o.keys()
                .any(|k| !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit()))
            {
                return Err(Fault::type_error("dictionary key must be string"));
            }
            X::Struct(
                o.iter()
                    .map(|(k, v)| Ok((k.clone(), marshal(v)?)))
                    .collect::<Result<_, Fault>>()?,
            )
        }
        other => X::from_json(other),
    })
}

/// Python's `xmlrpc.client.dumps` output, with the header and trailing
/// blank line that 18 and 19 write (`<?xml version="1.0"?>`, an empty line
/// before `</methodResponse>`).
fn finish(version: OdooVersion, xml: String) -> Response {
    let xml = if version >= OdooVersion::V18 {
        xml.replacen("<?xml version='1.0'?>", "<?xml version=\"1.0\"?>", 1)
            .replacen("</methodResponse>\n", "\n</methodResponse>\n", 1)
    } else {
        xml
    };
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        xml,
    )
        .into_response()
}

async fn handle(sb: &Sandbox, service: &str, req: Request) -> Result<Value, Fault> {
    let (_, body) = read_body(req)
        .await
        .map_err(|_| Fault::value("request body too large"))?;
    let text = String::from_utf8_lossy(&body);
    let call = parse_method_call(&text)
        .map_err(|e| Fault::new("xml.parsers.expat.ExpatError", format!("{e}")))?;
    let args: Vec<Value> = call.params.iter().map(X::to_json).collect();
    match sb.dispatch(service, &call.method, &args).await? {
        Some(v) => Ok(v),
        None => Ok(Value::Null),
    }
}

fn log_deprecation(sb: &Sandbox) {
    if sb.config().version >= OdooVersion::V19 {
        tracing::warn!(target: "odoo.addons.rpc.controllers.xmlrpc", "{DEPRECATION_WARNING}");
    }
}

/// `POST /xmlrpc/2/<service>`.
pub async fn xmlrpc_v2(
    State(sb): State<Sandbox>,
    Path(service): Path<String>,
    req: Request,
) -> Response {
    log_deprecation(&sb);
    let version = sb.config().version;
    let response = match handle(&sb, &service, req).await.and_then(|v| marshal(&v)) {
        Ok(x) => MethodResponse::Success(x),
        Err(f) => fault_int(&f),
    };
    finish(version, write_method_response(&response))
}

/// `POST /xmlrpc/<service>` (the legacy v1 endpoint, string fault codes).
pub async fn xmlrpc_v1(
    State(sb): State<Sandbox>,
    Path(service): Path<String>,
    req: Request,
) -> Response {
    log_deprecation(&sb);
    let version = sb.config().version;
    let xml = match handle(&sb, &service, req).await.and_then(|v| marshal(&v)) {
        Ok(x) => write_method_response(&MethodResponse::Success(x)),
        Err(f) => format!(
            "<?xml version='1.0'?>\n<methodResponse>\n<fault>\n{}</fault>\n</methodResponse>\n",
            write_value(&fault_string(&f))
        ),
    };
    finish(version, xml)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn marshal_refuses_none_and_int_keys() {
        assert!(marshal(&json!([1, {"a": null}])).is_err());
        let f = marshal(&json!({"44": 25.0})).unwrap_err();
        assert_eq!(f.message, "dictionary key must be string");
        assert_eq!(fault_code(&f), 1);
        assert!(marshal(&json!({"contact": 45, "delivery": [1, "x"]})).is_ok());
    }

    #[test]
    fn fault_codes() {
        assert_eq!(fault_code(&Fault::access_denied()), 3);
        assert_eq!(fault_code(&Fault::access("x")), 4);
        assert_eq!(fault_code(&Fault::user("x")), 2);
        assert_eq!(fault_code(&Fault::missing("sale.order", &[1], 2)), 2);
        assert_eq!(fault_code(&Fault::value("x")), 1);
    }
}
