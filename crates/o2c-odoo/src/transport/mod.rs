//! The four wire protocols behind [`crate::OdooClient`]. Each module adds
//! `pub(crate)` methods to the client: login, `execute_kw`, error mapping.
//!
//! | protocol | login | call | errors |
//! |---|---|---|---|
//! | JSON-RPC | `/jsonrpc` `common.authenticate` | `/jsonrpc` `object.execute_kw` (password re-checked per call) | HTTP 200, `error.data.name` |
//! | XML-RPC | `/xmlrpc/2/common` `authenticate` | `/xmlrpc/2/object` `execute_kw` | HTTP 200, `faultCode` 1–4 |
//! | JSON-2 (19+) | none (`Authorization: bearer <key>`) | `POST /json/2/<model>/<method>`, named arguments | 401/403/404/422/500 + `{name, message}` |
//! | web session | `/web/session/authenticate` → `session_id` cookie | `/web/dataset/call_kw/<model>/<method>` | HTTP 200, `error`; `code: 100` = session expired |

mod json2;
mod jsonrpc;
mod web;
mod xmlrpc;

pub use json2::json2_body;

use serde_json::Value;

use crate::{OdooError, ServerVersion};

/// Which wire protocol the client speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Protocol {
    /// JSON-2 on Odoo 19+ when the secret is an API key (40 hex characters,
    /// what Odoo generates), else JSON-RPC. Only with an API key is
    /// `/web/webclient/version_info` asked (once). See
    /// `docs/adr/0006-odoo-auth-path.md`.
    #[default]
    Auto,
    /// `/jsonrpc`, services `common` and `object`.
    JsonRpc,
    /// `/xmlrpc/2/common` and `/xmlrpc/2/object`.
    XmlRpc,
    /// Odoo 19's `/json/2/<model>/<method>` with a bearer API key.
    Json2,
    /// The web client's `/web/session/authenticate` + `/web/dataset/call_kw`
    /// with the session cookie.
    WebSession,
}

impl Protocol {
    /// What `Auto` picks for a server of major version `major` and this
    /// secret.
    pub fn auto_choice(major: u32, secret: &str) -> Protocol {
        if major >= 19 && looks_like_api_key(secret) {
            Protocol::Json2
        } else {
            Protocol::JsonRpc
        }
    }
}

/// Odoo's API keys are 20 random bytes in hex (`res.users.apikeys._generate`,
/// `binascii.hexlify(os.urandom(API_KEY_SIZE))`, API_KEY_SIZE = 20).
pub fn looks_like_api_key(secret: &str) -> bool {
    secret.len() == 40 && secret.bytes().all(|b| b.is_ascii_hexdigit())
}

pub(crate) fn parse_version(raw: Value) -> Result<ServerVersion, OdooError> {
    let server_version = raw
        .get("server_version")
        .and_then(Value::as_str)
        .ok_or_else(|| OdooError::protocol(format!("version_info without server_version: {raw}")))?
        .to_string();
    let major = raw
        .get("server_version_info")
        .and_then(|v| v.get(0))
        .and_then(Value::as_u64)
        .map(|n| n as u32)
        .or_else(|| {
            server_version
                .split(['.', '-', '+'])
                .next()
                .and_then(|s| s.trim_start_matches("saas~").parse().ok())
        })
        .ok_or_else(|| OdooError::protocol(format!("unreadable version {server_version}")))?;
    Ok(ServerVersion {
        server_version,
        major,
        raw,
    })
}

/// The first 200 characters, for messages.
pub(crate) fn snippet(text: &str) -> String {
    text.chars().take(200).collect()
}
