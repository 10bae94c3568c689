//! API keys, as `res.users.apikeys` keeps them (source:
//! `odoo/addons/base/models/res_users.py`, classes `APIKeys`,
//! `APIKeyDescription`, `APIKeyShow` and `CheckIdentity`): made through the
//! web client's flow (`res.users.apikeys.description.create` → `make_key` →
//! `res.users.identitycheck.run_check` with the password in the context),
//! shown once, stored hashed, usable as the bearer key of JSON-2 and as the
//! password of `/jsonrpc` and `/xmlrpc/2`.
//!
//! `make_key` and `remove` are `@check_identity`: refused outside an HTTP
//! session ("This method can only be accessed over HTTP"), and within one
//! they need a password check less than 10 minutes old.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::NaiveDateTime;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::fault::Fault;
use crate::{Caller, OdooVersion, Sandbox};

const DESCRIPTION: &str = "res.users.apikeys.description";
const CHECK: &str = "res.users.identitycheck";
const KEYS: &str = "res.users.apikeys";
const SHOW: &str = "res.users.apikeys.show";

/// How long a password check satisfies `@check_identity` (Odoo: 10 min).
pub const IDENTITY_CHECK_TTL: Duration = Duration::from_secs(600);

/// Whether `model` is one of the API-key models handled here.
/// The recorded `fields_get` dump of an API-key model on `version`.
fn fields_dump(version: OdooVersion, model: &str) -> Option<&'static str> {
    Some(match (version, model) {
        (OdooVersion::V17, KEYS) => include_str!("../data/odoo17/fields/res.users.apikeys.json"),
        (OdooVersion::V17, DESCRIPTION) => {
            include_str!("../data/odoo17/fields/res.users.apikeys.description.json")
        }
        (OdooVersion::V18, KEYS) => include_str!("../data/odoo18/fields/res.users.apikeys.json"),
        (OdooVersion::V18, DESCRIPTION) => {
            include_str!("../data/odoo18/fields/res.users.apikeys.description.json")
        }
        (OdooVersion::V19, KEYS) => include_str!("../data/odoo19/fields/res.users.apikeys.json"),
        (OdooVersion::V19, DESCRIPTION) => {
            include_str!("../data/odoo19/fields/res.users.apikeys.description.json")
        }
        _ => return None,
    })
}

pub fn handles(model: &str) -> bool {
    matches!(model, DESCRIPTION | CHECK | KEYS | SHOW)
}

#[derive(Debug, Clone)]
struct Key {
    id: i64,
    name: String,
    uid: i64,
    hash: String,
    create_date: String,
    expiration_date: Option<String>,
}

#[derive(Debug, Clone)]
struct Description {
    name: String,
    expiration_date: Option<String>,
}

/// The keys, the pending descriptions and identity checks.
#[derive(Debug, Default)]
pub struct ApiKeys {
    keys: Vec<Key>,
    next_key: i64,
    descriptions: BTreeMap<i64, Description>,
    next_description: i64,
    /// identity-check wizard id → description id it will make a key for
    checks: BTreeMap<i64, i64>,
    next_check: i64,
}

fn hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

fn now_str() -> String {
    chrono::Utc::now().format("%Y-%m-%d %H:%M:%S").to_string()
}

impl ApiKeys {
    /// The user of a valid (not revoked, not expired) key.
    pub fn check(&self, key: &str, now: NaiveDateTime) -> Option<i64> {
        let h = hash(key);
        self.keys
            .iter()
            .find(|k| k.hash == h)
            .filter(|k| match &k.expiration_date {
                Some(exp) => NaiveDateTime::parse_from_str(exp, "%Y-%m-%d %H:%M:%S")
                    .map(|e| e > now)
                    .unwrap_or(true),
                None => true,
            })
            .map(|k| k.uid)
    }

    /// Adds a key for `uid` and returns its id.
    pub fn add(&mut self, name: &str, uid: i64, key: &str, expiration: Option<String>) -> i64 {
        self.next_key += 1;
        let id = self.next_key;
        self.keys.push(Key {
            id,
            name: name.to_string(),
            uid,
            hash: hash(key),
            create_date: now_str(),
            expiration_date: expiration,
        });
        id
    }

    /// For the state file: the keys, hashed.
    pub fn to_saved(&self) -> Vec<Value> {
        self.keys
            .iter()
            .map(|k| {
                json!({"id": k.id, "name": k.name, "uid": k.uid, "hash": k.hash,
                       "create_date": k.create_date, "expiration_date": k.expiration_date})
            })
            .collect()
    }

    pub fn from_saved(saved: &[Value]) -> ApiKeys {
        let mut keys = ApiKeys::default();
        for v in saved {
            let s = |f: &str| v.get(f).and_then(Value::as_str).map(str::to_string);
            let (Some(id), Some(uid), Some(hash)) = (
                v.get("id").and_then(Value::as_i64),
                v.get("uid").and_then(Value::as_i64),
                s("hash"),
            ) else {
                continue;
            };
            keys.next_key = keys.next_key.max(id);
            keys.keys.push(Key {
                id,
                name: s("name").unwrap_or_default(),
                uid,
                hash,
                create_date: s("create_date").unwrap_or_else(now_str),
                expiration_date: s("expiration_date"),
            });
        }
        keys
    }
}

/// A new key: 40 hex characters, like Odoo's `_generate` (20 random bytes).
pub fn generate() -> String {
    hex::encode(rand::random::<[u8; 20]>())
}

fn private(version: OdooVersion, model: &str, method: &str) -> Fault {
    if version >= OdooVersion::V19 {
        Fault::access(format!(
            "Private methods (such as '{model}.{method}') cannot be called remotely."
        ))
    } else {
        Fault::private_method(method)
    }
}

fn unknown_method(version: OdooVersion, model: &str, method: &str) -> Fault {
    if version >= OdooVersion::V19 {
        Fault::new(
            crate::fault::ATTRIBUTE_ERROR,
            format!("The method '{model}.{method}' does not exist"),
        )
    } else {
        Fault::unknown_method(model, method)
    }
}

fn ids_of(args: &[Value], kwargs: &Map<String, Value>) -> Vec<i64> {
    crate::models::ids_arg(args.first().or_else(|| kwargs.get("ids")))
}

/// `@check_identity`: an HTTP session whose password was checked recently.
fn identity_checked(sb: &Sandbox, caller: &Caller) -> Result<bool, Fault> {
    match caller {
        Caller::Web(session) => Ok(sb.web().identity_checked_since(session, IDENTITY_CHECK_TTL)),
        _ => Err(Fault::user("This method can only be accessed over HTTP")),
    }
}

fn key_ready(key: &str) -> Value {
    json!({"type": "ir.actions.act_window", "res_model": SHOW, "name": "API Key Ready",
           "views": [[false, "form"]], "target": "new", "context": {"default_key": key}})
}

/// Runs one method of the API-key models.
pub fn call(
    sb: &Sandbox,
    caller: &Caller,
    uid: i64,
    model: &str,
    method: &str,
    args: &Value,
    kwargs: &Value,
) -> Result<Option<Value>, Fault> {
    let version = sb.config().version;
    if method.starts_with('_') {
        return Err(private(version, model, method));
    }
    let empty = Vec::new();
    let args = args.as_array().unwrap_or(&empty);
    let no_kwargs = Map::new();
    let kwargs = kwargs.as_object().unwrap_or(&no_kwargs);
    let context = kwargs
        .get("context")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    match (model, method) {
        // 17+ answer from their recorded dumps (data/odoo<N>/fields)
        (KEYS | DESCRIPTION, "fields_get") if fields_dump(version, model).is_some() => {
            let dump = fields_dump(version, model).unwrap_or("{}");
            let all: Map<String, Value> = serde_json::from_str(dump).unwrap_or_default();
            let wanted = |v: Option<&Value>| -> Vec<String> {
                v.and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|s| s.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default()
            };
            let fields = wanted(args.first().or_else(|| kwargs.get("allfields")));
            let attrs = wanted(args.get(1).or_else(|| kwargs.get("attributes")));
            let mut out = Map::new();
            for (name, f) in all {
                if !fields.is_empty() && !fields.contains(&name) {
                    continue;
                }
                let mut f = f.as_object().cloned().unwrap_or_default();
                if !attrs.is_empty() {
                    f.retain(|k, _| attrs.contains(k));
                }
                out.insert(name, Value::Object(f));
            }
            Ok(Some(Value::Object(out)))
        }
        (DESCRIPTION, "create") => {
            let vals = args.first().or_else(|| kwargs.get("vals_list"));
            let list: Vec<Value> = match vals {
                Some(Value::Array(a)) => a.clone(),
                Some(v @ Value::Object(_)) => vec![v.clone()],
                _ => {
                    return Err(Fault::type_error(
                        "create() missing 1 required positional argument: 'vals_list'",
                    ));
                }
            };
            let mut keys = sb.keys();
            let mut ids = Vec::new();
            for v in &list {
                let name = v
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                if name.is_empty() {
                    return Err(Fault::validation(
                        "The operation cannot be completed: Missing required value for the field 'Description' (name).",
                    ));
                }
                let duration = v.get("duration").and_then(Value::as_str).unwrap_or("0");
                let expiration_date = match duration {
                    "0" => None,
                    "-1" => v
                        .get("expiration_date")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                    days => {
                        let days: i64 = days.parse().map_err(|_| {
                            Fault::value(format!(
                                "Wrong value for {DESCRIPTION}.duration: '{days}'"
                            ))
                        })?;
                        let d = chrono::Utc::now().date_naive() + chrono::Duration::days(days);
                        Some(format!("{d} 00:00:00"))
                    }
                };
                keys.next_description += 1;
                let id = keys.next_description;
                keys.descriptions.insert(
                    id,
                    Description {
                        name,
                        expiration_date,
                    },
                );
                ids.push(id);
            }
            Ok(Some(match vals {
                Some(Value::Array(_)) => json!(ids),
                _ => json!(ids[0]),
            }))
        }
        (DESCRIPTION, "make_key") => {
            let ids = ids_of(args, kwargs);
            let checked = identity_checked(sb, caller)?;
            let Some(&desc) = ids.first() else {
                return Err(Fault::value(
                    "Expected singleton: res.users.apikeys.description()",
                ));
            };
            if !sb.keys().descriptions.contains_key(&desc) {
                return Err(Fault::missing(DESCRIPTION, &[desc], uid));
            }
            if checked {
                return Ok(Some(make_key(sb, uid, desc)));
            }
            let mut keys = sb.keys();
            keys.next_check += 1;
            let check = keys.next_check;
            keys.checks.insert(check, desc);
            Ok(Some(
                json!({"type": "ir.actions.act_window", "res_model": CHECK, "res_id": check,
                "name": "Access Control", "target": "new", "views": [[false, "form"]],
                "context": {"dialog_size": "medium"}}),
            ))
        }
        (CHECK, "run_check") => {
            let Caller::Web(session) = caller else {
                return Err(Fault::user("This method can only be accessed over HTTP"));
            };
            let ids = ids_of(args, kwargs);
            let desc = ids
                .first()
                .and_then(|id| sb.keys().checks.get(id).copied())
                .ok_or_else(|| Fault::missing(CHECK, &ids, uid))?;
            let password = context
                .get("password")
                .and_then(Value::as_str)
                .unwrap_or("");
            // the password of the user making the key (`_check_credentials`)
            let ok = if uid == crate::ADMIN_UID {
                password == sb.config().password
            } else {
                sb.user_password_ok(uid, password)
            };
            if !ok {
                return Err(Fault::user(
                    "Incorrect Password, try again or click on Forgot Password to reset your password.",
                ));
            }
            sb.web().mark_identity_checked(session);
            sb.keys().checks.remove(&ids[0]);
            Ok(Some(make_key(sb, uid, desc)))
        }
        (KEYS, "search_read" | "search" | "search_count" | "read") => {
            let user_name = sb
                .read("res.users", uid, &["display_name"])
                .and_then(|u| {
                    u.get("display_name")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                })
                .unwrap_or_else(|| "Mitchell Admin".into());
            let keys = sb.keys();
            let mine: Vec<&Key> = keys.keys.iter().filter(|k| k.uid == uid).collect();
            let selected: Vec<&Key> = if method == "read" {
                let ids = ids_of(args, kwargs);
                mine.into_iter().filter(|k| ids.contains(&k.id)).collect()
            } else {
                let domain = args
                    .first()
                    .or_else(|| kwargs.get("domain"))
                    .cloned()
                    .unwrap_or(json!([]));
                mine.into_iter().filter(|k| matches(k, &domain)).collect()
            };
            match method {
                "search" => Ok(Some(json!(
                    selected.iter().map(|k| k.id).collect::<Vec<_>>()
                ))),
                "search_count" => Ok(Some(json!(selected.len()))),
                _ => {
                    let fields: Vec<String> = args
                        .get(1)
                        .or_else(|| kwargs.get("fields"))
                        .and_then(Value::as_array)
                        .map(|a| {
                            a.iter()
                                .filter_map(|f| f.as_str().map(str::to_string))
                                .collect()
                        })
                        .unwrap_or_default();
                    let fields = if fields.is_empty() {
                        ["name", "user_id", "scope", "create_date", "expiration_date"]
                            .map(String::from)
                            .to_vec()
                    } else {
                        fields
                    };
                    let rows: Vec<Value> = selected
                        .iter()
                        .map(|k| {
                            let mut row = Map::new();
                            row.insert("id".into(), json!(k.id));
                            for f in &fields {
                                let v = match f.as_str() {
                                    "id" => continue,
                                    "name" | "display_name" => json!(k.name),
                                    "user_id" => json!([k.uid, user_name]),
                                    "scope" => json!(false),
                                    "create_date" => json!(k.create_date),
                                    "expiration_date" => k
                                        .expiration_date
                                        .clone()
                                        .map(Value::String)
                                        .unwrap_or(json!(false)),
                                    other => return Err(Fault::invalid_field(KEYS, other)),
                                };
                                row.insert(f.clone(), v);
                            }
                            Ok(Value::Object(row))
                        })
                        .collect::<Result<_, _>>()?;
                    Ok(Some(json!(rows)))
                }
            }
        }
        (KEYS, "remove") => {
            if !identity_checked(sb, caller)? {
                // without a recent check Odoo answers the identity wizard;
                // the sandbox asks for the check to be done first
                return Err(Fault::user(
                    "Please confirm your identity (res.users.identitycheck) first.",
                ));
            }
            let ids = ids_of(args, kwargs);
            sb.keys()
                .keys
                .retain(|k| !(ids.contains(&k.id) && k.uid == uid));
            Ok(Some(json!({"type": "ir.actions.act_window_close"})))
        }
        _ => Err(unknown_method(version, model, method)),
    }
}

fn make_key(sb: &Sandbox, uid: i64, desc: i64) -> Value {
    let key = generate();
    let mut keys = sb.keys();
    let d = keys.descriptions.remove(&desc).unwrap_or(Description {
        name: "API key".into(),
        expiration_date: None,
    });
    keys.add(&d.name, uid, &key, d.expiration_date);
    key_ready(&key)
}

/// A tiny domain check over the key fields (`id`, `name`, `user_id`),
/// leaves AND-ed, operators `=`, `!=`, `in`, `not in`, `ilike`.
fn matches(k: &Key, domain: &Value) -> bool {
    let Some(leaves) = domain.as_array() else {
        return true;
    };
    leaves.iter().all(|leaf| {
        let Some([f, op, v]) = leaf.as_array().map(|a| a.as_slice()) else {
            return true; // '&' and friends
        };
        let field = match f.as_str() {
            Some("id") => json!(k.id),
            Some("name") => json!(k.name),
            Some("user_id") => json!(k.uid),
            _ => return true,
        };
        match op.as_str().unwrap_or("=") {
            "=" => &field == v,
            "!=" => &field != v,
            "in" => v.as_array().is_some_and(|a| a.contains(&field)),
            "not in" => !v.as_array().is_some_and(|a| a.contains(&field)),
            "ilike" => field
                .as_str()
                .zip(v.as_str())
                .is_some_and(|(a, b)| a.to_lowercase().contains(&b.to_lowercase())),
            _ => true,
        }
    })
}
