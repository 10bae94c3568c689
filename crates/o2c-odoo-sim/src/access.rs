//! Access rights and record rules for users other than the admin: the
//! groups the recordings use (Sales "User: Own Documents Only", portal),
//! the model-level refusals they met (`ir.model.access`) and the record
//! rules (`ir.rule`) that filter what they see.
//!
//! Sources: the recordings (f_errors `salesman.*` / `portal.*`, g
//! `xmlid.salesman.*`), sale/security/sale_security.xml
//! (`sale_order_personal_rule`, `sale_order_line_personal_rule`,
//! `account_invoice_rule_see_personal`, `sale_order_rule_portal`) and
//! account/security/account_security.xml (`account_invoice_rule_portal`).
//! The admin (and any user in base.group_system) bypasses all of it, like
//! Odoo's superuser-like admin in these databases.

use serde_json::{Value, json};

use crate::OdooVersion;
use crate::fault::Fault;
use crate::models::{m2o, text};
use crate::orm::Env;

/// The groups seeded in every database: xmlid, name, category (the prefix
/// Odoo shows as `Category/Name` before 19), implied groups.
pub const GROUPS: &[(&str, &str, &str, &[&str])] = &[
    ("base.group_user", "Internal User", "User types", &[]),
    ("base.group_portal", "Portal", "User types", &[]),
    ("base.group_public", "Public", "User types", &[]),
    (
        "base.group_erp_manager",
        "Access Rights",
        "Administration",
        &["base.group_user"],
    ),
    (
        "base.group_system",
        "Settings",
        "Administration",
        &["base.group_erp_manager"],
    ),
    (
        "sales_team.group_sale_salesman",
        "User: Own Documents Only",
        "Sales",
        &["base.group_user"],
    ),
    (
        "sales_team.group_sale_salesman_all_leads",
        "User: All Documents",
        "Sales",
        &["sales_team.group_sale_salesman"],
    ),
    (
        "sales_team.group_sale_manager",
        "Administrator",
        "Sales",
        &["sales_team.group_sale_salesman_all_leads"],
    ),
    (
        "account.group_account_readonly",
        "Show Accounting Features - Readonly",
        "Technical",
        &["base.group_user"],
    ),
    (
        "account.group_account_invoice",
        "Billing",
        "Invoicing",
        &["base.group_user"],
    ),
    (
        "account.group_account_manager",
        "Billing Administrator",
        "Invoicing",
        &["account.group_account_invoice"],
    ),
    (
        "stock.group_stock_user",
        "User",
        "Inventory",
        &["base.group_user"],
    ),
    (
        "stock.group_stock_manager",
        "Administrator",
        "Inventory",
        &["stock.group_stock_user"],
    ),
];

/// The groups the admin user gets (plus what they imply).
pub const ADMIN_GROUPS: &[&str] = &[
    "base.group_system",
    "sales_team.group_sale_manager",
    "account.group_account_manager",
    "account.group_account_readonly",
    "stock.group_stock_manager",
];

/// The field holding a user's groups on `version`.
pub fn groups_field(version: OdooVersion) -> &'static str {
    if version >= OdooVersion::V19 {
        "group_ids"
    } else {
        "groups_id"
    }
}

/// The record id of a seeded group.
pub fn group_id(env: &Env, xmlid: &str) -> Option<i64> {
    let (m, n) = xmlid.split_once('.')?;
    crate::models::ir_model_data::lookup(env, m, n).map(|(_, _, id)| id)
}

/// `ids` plus every group they imply, transitively.
pub fn with_implied(env: &Env, ids: &[i64]) -> Vec<i64> {
    let mut out: Vec<i64> = ids.to_vec();
    let mut i = 0;
    while i < out.len() {
        let g = out[i];
        if let Some((_, _, _, implied)) = GROUPS.iter().find(|(x, ..)| group_id(env, x) == Some(g))
        {
            for x in *implied {
                if let Some(id) = group_id(env, x)
                    && !out.contains(&id)
                {
                    out.push(id);
                }
            }
        }
        i += 1;
    }
    out
}

/// The xmlids of the groups `uid` has (implied ones included).
fn user_groups(env: &Env, uid: i64) -> Vec<&'static str> {
    let Some(user) = env.record("res.users", uid) else {
        return Vec::new();
    };
    let ids: Vec<i64> = user
        .get(groups_field(env.version))
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default();
    let ids = with_implied(env, &ids);
    GROUPS
        .iter()
        .map(|(x, ..)| *x)
        .filter(|x| group_id(env, x).is_some_and(|g| ids.contains(&g)))
        .collect()
}

/// What a method does, for the access check.
#[derive(Clone, Copy, PartialEq)]
enum Op {
    Read,
    Write,
    Create,
    Unlink,
}

impl Op {
    fn of(method: &str) -> Op {
        match method {
            "read"
            | "search"
            | "search_read"
            | "search_count"
            | "name_search"
            | "name_get"
            | "read_group"
            | "formatted_read_group"
            | "web_search_read"
            | "web_read"
            | "export_data" => Op::Read,
            "create" | "load" | "copy" => Op::Create,
            "unlink" => Op::Unlink,
            _ => Op::Write,
        }
    }
    /// The verb of the access-rights message.
    fn verb(self) -> &'static str {
        match self {
            Op::Read => "access",
            Op::Write => "modify",
            Op::Create => "create",
            Op::Unlink => "delete",
        }
    }
    /// The operation named in 17+'s record-rule message.
    fn rule_name(self) -> &'static str {
        match self {
            Op::Read => "read",
            Op::Write => "write",
            Op::Create => "create",
            Op::Unlink => "unlink",
        }
    }
}

/// How Odoo names a group in the access-rights message: `Category/Name`
/// before 19, the bare name on 19.
fn group_label(version: OdooVersion, xmlid: &str) -> String {
    let Some((_, name, category, _)) = GROUPS.iter().find(|(x, ..)| *x == xmlid) else {
        return xmlid.to_string();
    };
    // 18 renamed "Billing" to "Invoicing"; 19 moved it under "Accounting"
    let (name, category) = match (xmlid, version) {
        ("account.group_account_invoice", OdooVersion::V18) => ("Invoicing", *category),
        ("account.group_account_invoice", OdooVersion::V19) => ("Invoicing", "Accounting"),
        _ => (*name, *category),
    };
    if version >= OdooVersion::V19 {
        if xmlid == "account.group_account_invoice" {
            return format!("{category}/{name}");
        }
        name.to_string()
    } else {
        format!("{category}/{name}")
    }
}

fn access_error(env: &Env, model: &str, op: Op, allowed: &[&str]) -> Fault {
    let desc = env
        .reg
        .get(model)
        .map(|s| s.description.clone())
        .unwrap_or_else(|| model.to_string());
    let groups: Vec<String> = allowed
        .iter()
        .map(|g| format!("\t- {}", group_label(env.version, g)))
        .collect();
    Fault::access(format!(
        "You are not allowed to {} '{desc}' ({model}) records.\n\nThis operation is allowed for the following groups:\n{}\n\nContact your administrator to request access if necessary.",
        op.verb(),
        groups.join("\n")
    ))
}

fn rule_error(env: &Env, model: &str, op: Op) -> Fault {
    let desc = env
        .reg
        .get(model)
        .map(|s| s.description.clone())
        .unwrap_or_else(|| model.to_string());
    if env.version == OdooVersion::V16 {
        return Fault::access(format!(
            "Due to security restrictions, you are not allowed to {} '{desc}' ({model}) records.\n\nContact your administrator to request access if necessary.",
            op.verb()
        ));
    }
    let user = env.display_name("res.users", env.uid);
    Fault::access(format!(
        "Uh-oh! Looks like you have stumbled upon some top-secret records.\n\nSorry, {user} (id={}) doesn't have '{}' access to:\n- {desc} ({model})\n\nIf you really, really need access, perhaps you can win over your friendly administrator with a batch of freshly baked cookies.",
        env.uid,
        op.rule_name()
    ))
}

/// res.users fields a user may write on their own record
/// (`SELF_WRITEABLE_FIELDS`, odoo/addons/base/models/res_users.py).
const SELF_WRITEABLE: &[&str] = &[
    "signature",
    "action_id",
    "company_id",
    "email",
    "name",
    "image_1920",
    "lang",
    "tz",
];

/// Models a portal user may read (their own documents, through the rules
/// below, and the public master data those documents show).
const PORTAL_READABLE: &[&str] = &[
    "sale.order",
    "sale.order.line",
    "account.move",
    "account.move.line",
    "res.partner",
    "res.users",
    "res.country",
    "res.currency",
    "res.company",
    "product.product",
    "product.template",
    "product.category",
    "uom.uom",
];

/// The ids of a partner's commercial entity and all its contacts (what
/// `child_of [user.commercial_partner_id]` matches).
fn partner_family(env: &Env, partner: i64) -> Vec<i64> {
    let mut root = partner;
    while let Some(p) = env
        .record("res.partner", root)
        .and_then(|r| m2o(r, "parent_id"))
    {
        root = p;
    }
    let mut out = vec![root];
    let mut i = 0;
    while i < out.len() {
        let parent = out[i];
        if let Some(t) = env.store.tables.get("res.partner") {
            for (id, r) in t {
                if m2o(r, "parent_id") == Some(parent) && !out.contains(id) {
                    out.push(*id);
                }
            }
        }
        i += 1;
    }
    out
}

/// Checks `uid`'s access rights on `model.method` and returns the record
/// rules' domain that applies (`None`: no restriction).
pub fn check(
    env: &Env,
    model: &str,
    method: &str,
    vals: Option<&Value>,
    ids: &[i64],
) -> Result<Option<Value>, Fault> {
    if env.uid == crate::ADMIN_UID || env.uid == 1 {
        return Ok(None);
    }
    let groups = user_groups(env, env.uid);
    let has = |g: &str| groups.contains(&g);
    if has("base.group_system") {
        return Ok(None);
    }
    let op = Op::of(method);
    if method == "fields_get" || method == "default_get" || method == "exists" {
        return Ok(None);
    }
    let internal = has("base.group_user");
    if !internal {
        // portal (and public) users: read-only on their documents
        if op != Op::Read || !PORTAL_READABLE.contains(&model) {
            return Err(access_error(env, model, op, &["base.group_user"]));
        }
    }
    match model {
        "account.payment" => {
            let ok = has("account.group_account_invoice")
                || (op == Op::Read && has("account.group_account_readonly"));
            if !ok {
                let allowed: &[&str] = if op == Op::Read {
                    &[
                        "account.group_account_invoice",
                        "account.group_account_readonly",
                    ]
                } else {
                    &["account.group_account_invoice"]
                };
                return Err(access_error(env, model, op, allowed));
            }
        }
        "res.users" if op != Op::Read && !has("base.group_erp_manager") => {
            let own = op == Op::Write
                && ids.iter().all(|i| *i == env.uid)
                && vals
                    .and_then(Value::as_object)
                    .is_some_and(|v| v.keys().all(|k| SELF_WRITEABLE.contains(&k.as_str())));
            if !own {
                return Err(access_error(env, model, op, &["base.group_erp_manager"]));
            }
        }
        // base/security/ir.model.access.csv: only Access Rights manage
        // external ids (recorded on 16; `load` still writes them as sudo)
        "ir.model.data" if !has("base.group_erp_manager") => {
            return Err(access_error(env, model, op, &["base.group_erp_manager"]));
        }
        _ => {}
    }
    let uid = env.uid;
    let rule = if !internal {
        let partner = env
            .record("res.users", uid)
            .and_then(|u| m2o(u, "partner_id"))
            .unwrap_or(0);
        let family = partner_family(env, partner);
        // `message_partner_ids child_of commercial partner` in Odoo; the
        // sandbox has no followers, so the customer on the document stands in
        match model {
            "sale.order" => Some(json!([["partner_id", "in", family]])),
            "sale.order.line" => Some(json!([["order_id.partner_id", "in", family]])),
            "account.move" => Some(json!([["partner_id", "in", family]])),
            "account.move.line" => Some(json!([["move_id.partner_id", "in", family]])),
            _ => None,
        }
    } else if has("sales_team.group_sale_salesman")
        && !has("sales_team.group_sale_salesman_all_leads")
    {
        match model {
            "sale.order" => Some(json!(["|", ["user_id", "=", uid], ["user_id", "=", false]])),
            "sale.order.line" => Some(json!([
                "|",
                ["order_id.user_id", "=", uid],
                ["order_id.user_id", "=", false]
            ])),
            "account.move" if !has("account.group_account_invoice") => Some(json!([
                ["move_type", "in", ["out_invoice", "out_refund"]],
                "|",
                ["invoice_user_id", "=", uid],
                ["invoice_user_id", "=", false]
            ])),
            _ => None,
        }
    } else {
        None
    };
    if let Some(rule) = &rule
        && !ids.is_empty()
        && op != Op::Create
    {
        let existing: Vec<i64> = ids
            .iter()
            .copied()
            .filter(|i| env.exists(model, *i))
            .collect();
        if !existing.is_empty() {
            let mut domain = vec![json!(["id", "in", existing])];
            domain.extend(rule.as_array().cloned().unwrap_or_default());
            let visible = env.search(model, &Value::Array(domain), 0, None, Some("id"))?;
            if visible.len() < existing.len() {
                return Err(rule_error(env, model, op));
            }
        }
    }
    Ok(rule)
}

/// `rule AND domain`: both are complete domains, so their concatenation is
/// their conjunction.
pub fn restrict(rule: &Value, domain: Option<&Value>) -> Value {
    let mut out = rule.as_array().cloned().unwrap_or_default();
    if let Some(Value::Array(d)) = domain {
        out.extend(d.iter().cloned());
    }
    Value::Array(out)
}

/// Whether `uid`'s stored password is `secret`.
pub fn password_matches(rec: &crate::orm::Record, secret: &str) -> bool {
    text(rec, PASSWORD_KEY).is_some_and(|h| h == hash_password(secret))
}

/// Where a user's password hash is kept: not a field, so `read` never
/// shows it (Odoo's `password` reads as empty too).
pub const PASSWORD_KEY: &str = "__password_sha256";

pub fn hash_password(secret: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(secret.as_bytes()))
}
