//! Multi-company record rules: the global `ir.rule`s that Odoo puts on
//! company-bound models, `['|', ('company_id', '=', False), ('company_id',
//! 'in', company_ids)]`, where `company_ids` are the context's
//! `allowed_company_ids` (`env.companies`, odoo/api.py), else the user's
//! companies. They bind every user but the superuser, the admin included:
//! searches only see allowed companies' records, and reading, changing or
//! creating a record of another company raises the AccessError that
//! odoo/addons/base/models/ir_rule.py `_make_access_error` builds.

use serde_json::{Value, json};

use crate::OdooVersion;
use crate::fault::Fault;
use crate::models::{ids_arg, m2o};
use crate::orm::Env;

/// Models with a multi-company rule and the rule's name (sale, stock and
/// account `security/*.xml`; `res.partner` and products use `parent_of`,
/// which is `in` here: the sandbox's companies have no parents).
const RULES: &[(&str, &str)] = &[
    ("sale.order", "Sales Order multi-company"),
    ("sale.order.line", "Sales Order Line multi-company"),
    ("stock.picking", "stock_picking multi-company"),
    ("stock.move", "stock_move multi-company"),
    ("stock.move.line", "stock_move_line multi-company"),
    ("stock.quant", "stock_quant multi-company"),
    ("stock.warehouse", "Warehouse multi-company"),
    ("stock.location", "Location multi-company"),
    ("stock.picking.type", "Stock Operation Type multi-company"),
    ("account.move", "Account Entry"),
    ("account.move.line", "Entry lines"),
    ("account.payment", "Account payment company rule"),
    ("account.journal", "Journal multi-company"),
    ("product.product", "Product multi-company"),
    ("product.pricelist", "Pricelist multi-company"),
    ("res.partner", "res.partner company"),
];

/// The rule's name when `model` has a multi-company rule.
fn rule_name(model: &str) -> Option<&'static str> {
    RULES.iter().find(|(m, _)| *m == model).map(|(_, n)| *n)
}

/// The companies the user belongs to (`company_ids`, else `company_id`).
pub fn user_companies(env: &Env) -> Vec<i64> {
    let Some(user) = env.record("res.users", env.uid) else {
        return Vec::new();
    };
    let ids: Vec<i64> = user
        .get("company_ids")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default();
    if ids.is_empty() {
        m2o(user, "company_id").into_iter().collect()
    } else {
        ids
    }
}

/// `env.companies`: the context's `allowed_company_ids`, refused when one
/// is not the user's; the user's companies without it.
pub fn allowed(env: &Env) -> Result<Vec<i64>, Fault> {
    let mine = user_companies(env);
    let asked: Vec<i64> = env
        .context
        .get("allowed_company_ids")
        .map(|v| ids_arg(Some(v)))
        .unwrap_or_default();
    if asked.is_empty() {
        return Ok(mine);
    }
    if asked.iter().any(|c| !mine.contains(c)) {
        return Err(Fault::access(
            "Access to unauthorized or invalid companies.",
        ));
    }
    Ok(asked)
}

/// The operation as ir.rule names it.
fn operation(method: &str) -> &'static str {
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
        | "export_data" => "read",
        "create" | "load" | "copy" => "create",
        "unlink" => "unlink",
        _ => "write",
    }
}

/// What the rules add to a call, once the companies are allowed.
pub enum Restriction {
    /// The model has no multi-company rule (or the superuser calls).
    None,
    /// The domain searches must be narrowed with.
    Domain(Value),
}

/// Checks the companies of the records `model.method` runs on (or, after a
/// create or write, leaves behind); returns the domain searches get.
pub fn check(env: &Env, model: &str, method: &str, ids: &[i64]) -> Result<Restriction, Fault> {
    if env.uid == 1 || method == "fields_get" {
        return Ok(Restriction::None);
    }
    let companies = allowed(env)?;
    let Some(rule) = rule_name(model) else {
        return Ok(Restriction::None);
    };
    if !env.spec(model)?.has("company_id") {
        return Ok(Restriction::None);
    }
    let op = operation(method);
    let outside = |c: Option<i64>| c.is_some_and(|c| !companies.contains(&c));
    // records that exist and belong to a company outside the allowed ones
    let mut refused: Vec<i64> = ids
        .iter()
        .copied()
        .filter(|i| outside(env.record(model, *i).and_then(|r| m2o(r, "company_id"))))
        .collect();
    refused.dedup();
    if !refused.is_empty() {
        return Err(access_error(env, model, op, rule, &refused));
    }
    Ok(Restriction::Domain(json!([
        "|",
        ["company_id", "=", false],
        ["company_id", "in", companies]
    ])))
}

/// Whether the user gets the detailed message: Odoo gives it to internal
/// users in Technical Features (`base.group_no_one`), which the admin of
/// the recorded databases is. The sandbox does not model that group, so
/// its stand-in is Settings (`base.group_system`), which only the admin has.
fn detailed(env: &Env) -> bool {
    env.uid == crate::ADMIN_UID
        || crate::access::group_id(env, "base.group_system").is_some_and(|g| {
            env.record("res.users", env.uid)
                .and_then(|u| u.get(crate::access::groups_field(env.version)))
                .and_then(Value::as_array)
                .is_some_and(|a| a.iter().any(|x| x.as_i64() == Some(g)))
        })
}

fn description(env: &Env, model: &str) -> String {
    env.reg
        .get(model)
        .map(|s| s.description.clone())
        .unwrap_or_else(|| model.to_string())
}

/// The refusal of `op` on `records` (at most six are named).
fn access_error(env: &Env, model: &str, op: &str, rule: &str, records: &[i64]) -> Fault {
    let shown: Vec<i64> = records.iter().take(6).copied().collect();
    let mine = user_companies(env);
    let company_of = |id: i64| env.record(model, id).and_then(|r| m2o(r, "company_id"));
    let suggested: Vec<i64> = {
        let mut c: Vec<i64> = shown.iter().filter_map(|i| company_of(*i)).collect();
        c.sort_unstable();
        c.dedup();
        c
    };
    let desc = description(env, model);
    let user = format!(
        "{} (id={})",
        env.display_name("res.users", env.uid),
        env.uid
    );
    // the record's company is named when the user could switch to it
    let company_note = |id: i64| match company_of(id) {
        Some(c) if mine.contains(&c) => {
            format!(", company={}", env.display_name("res.company", c))
        }
        _ => String::new(),
    };
    if env.version == OdooVersion::V16 {
        let verb = match op {
            "read" => "access",
            "write" => "modify",
            "unlink" => "delete",
            _ => "create",
        };
        let head = format!(
            "Due to security restrictions, you are not allowed to {verb} '{desc}' ({model}) records."
        );
        let tail = "Contact your administrator to request access if necessary.";
        if !detailed(env) {
            return Fault::access(format!("{head}\n\n{tail}"));
        }
        let names: Vec<String> = shown
            .iter()
            .map(|i| {
                format!(
                    "{} (id={i}{})",
                    env.display_name(model, *i),
                    company_note(*i)
                )
            })
            .collect();
        return Fault::access(format!(
            "{head}\n\nRecords: {}\nUser: {user}\n\nThis restriction is due to the following rules:\n- {rule}\n\nNote: this might be a multi-company issue.\n\n{tail}",
            names.join(", ")
        ));
    }
    let head = format!(
        "Uh-oh! Looks like you have stumbled upon some top-secret records.\n\nSorry, {user} doesn't have '{op}' access to:"
    );
    let mut resolution = "If you really, really need access, perhaps you can win over your friendly administrator with a batch of freshly baked cookies.".to_string();
    match suggested.as_slice() {
        [c] if mine.contains(c) => resolution.push_str(&format!(
            "\n\nThis seems to be a multi-company issue, you might be able to access the record by switching to the company: {}.",
            env.display_name("res.company", *c)
        )),
        [_] => resolution.push_str("\n\nThis seems to be a multi-company issue, but you do not have access to the proper company to access the record anyhow."),
        _ => resolution.push_str("\n\nNote: this might be a multi-company issue. Switching company may help - in Odoo, not in real life!"),
    }
    if !detailed(env) {
        return Fault::access(format!("{head}\n- {desc} ({model})\n\n{resolution}"));
    }
    let lines: Vec<String> = shown
        .iter()
        .map(|i| {
            format!(
                "- {desc}, {} ({model}: {i}{})",
                env.display_name(model, *i),
                company_note(*i)
            )
        })
        .collect();
    Fault::access(format!(
        "{head}\n{}\n\nBlame the following rules:\n- {rule}\n\n{resolution}",
        lines.join("\n")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_follow_ir_rule_modes() {
        assert_eq!(operation("search_read"), "read");
        assert_eq!(operation("action_confirm"), "write");
        assert_eq!(operation("create"), "create");
        assert_eq!(operation("unlink"), "unlink");
    }

    #[test]
    fn transactional_models_have_a_rule() {
        assert!(rule_name("sale.order").is_some());
        assert!(rule_name("account.move").is_some());
        assert!(rule_name("res.country").is_none());
    }
}
