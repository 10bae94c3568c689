//! Small base models declared by hand: countries, currencies, companies,
//! users (units of measure are in `uom.rs`).

use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::OdooVersion;
use crate::fault::Fault;
use crate::orm::{Env, Record};
use crate::schema::{FieldDef, FieldType as T, ModelSpec};

use super::{Hooks, m2o, text};

pub fn models(version: OdooVersion) -> Vec<ModelSpec> {
    let groups = crate::access::groups_field(version);
    vec![
        ModelSpec::new("res.country", "Country")
            .order("name")
            .field(FieldDef::new("name", T::Char, "Country Name").required())
            .field(FieldDef::new("code", T::Char, "Country Code"))
            .field(FieldDef::new(
                "phone_code",
                T::Integer,
                "Country Calling Code",
            ))
            .field(FieldDef::new("currency_id", T::Many2one, "Currency").relation("res.currency")),
        ModelSpec::new("res.country.state", "Country state")
            .order("country_id, code")
            .field(
                FieldDef::new("country_id", T::Many2one, "Country")
                    .relation("res.country")
                    .required(),
            )
            .field(FieldDef::new("name", T::Char, "State Name").required())
            .field(FieldDef::new("code", T::Char, "State Code").required()),
        ModelSpec::new("res.currency", "Currency")
            .order("active desc, name")
            .field(FieldDef::new("name", T::Char, "Currency").required())
            .field(FieldDef::new("full_name", T::Char, "Name"))
            .field(FieldDef::new("symbol", T::Char, "Symbol").required())
            .field(FieldDef::new("rounding", T::Float, "Rounding Factor"))
            .field(FieldDef::new(
                "decimal_places",
                T::Integer,
                "Decimal Places",
            ))
            .field(
                FieldDef::new("position", T::Selection, "Symbol Position")
                    .selection(&[("after", "After Amount"), ("before", "Before Amount")]),
            )
            .field(FieldDef::new("active", T::Boolean, "Active")),
        ModelSpec::new("res.company", "Companies")
            .order("sequence, name")
            .field(FieldDef::new("name", T::Char, "Company Name").required())
            .field(FieldDef::new("sequence", T::Integer, "Sequence"))
            .field(FieldDef::new("partner_id", T::Many2one, "Partner").relation("res.partner"))
            .field(
                FieldDef::new("currency_id", T::Many2one, "Currency")
                    .relation("res.currency")
                    .required(),
            )
            .field(FieldDef::new("country_id", T::Many2one, "Country").relation("res.country"))
            .field(FieldDef::new("email", T::Char, "Email"))
            .field(FieldDef::new("active", T::Boolean, "Active"))
            // account's company setting (addons/account/models/company.py)
            .field(
                FieldDef::new(
                    "tax_calculation_rounding_method",
                    T::Selection,
                    "Tax Calculation Rounding Method",
                )
                .selection(&[
                    ("round_per_line", "Round per Line"),
                    ("round_globally", "Round Globally"),
                ]),
            ),
        ModelSpec::new("res.users", "User")
            .order("name, login")
            .field(FieldDef::new("name", T::Char, "Name"))
            .field(FieldDef::new("login", T::Char, "Login").required())
            .field(
                FieldDef::new("partner_id", T::Many2one, "Related Partner")
                    .relation("res.partner")
                    .required(),
            )
            .field(FieldDef::new("company_id", T::Many2one, "Company").relation("res.company"))
            .field(FieldDef::new("company_ids", T::Many2many, "Companies").relation("res.company"))
            .field(FieldDef::new("share", T::Boolean, "Share User").readonly())
            .field(FieldDef::new("active", T::Boolean, "Active"))
            .field(FieldDef::new("password", T::Char, "Password"))
            .field(FieldDef::new(groups, T::Many2many, "Groups").relation("res.groups"))
            .hooks(Arc::new(Users)),
        ModelSpec::new("res.groups", "Access Groups")
            .order("name")
            .field(FieldDef::new("name", T::Char, "Name").required())
            .field(FieldDef::new("full_name", T::Char, "Group Name"))
            .field(FieldDef::new("share", T::Boolean, "Share Group"))
            .field(FieldDef::new("implied_ids", T::Many2many, "Inherits").relation("res.groups")),
    ]
}

/// res.users: the name is the partner's.
struct Users;
impl Hooks for Users {
    fn display_name(&self, env: &Env, _id: i64, rec: &Record) -> Option<String> {
        if let Some(n) = text(rec, "name") {
            return Some(n.to_string());
        }
        m2o(rec, "partner_id").map(|p| env.display_name("res.partner", p))
    }
    fn defaults(&self, env: &mut Env, vals: &mut Map<String, Value>) -> Result<(), Fault> {
        // res.users `_inherits` res.partner: a user made without a partner
        // gets one named after it
        if !vals.contains_key("partner_id") {
            let mut p = Map::new();
            p.insert(
                "name".into(),
                vals.get("name").cloned().unwrap_or(json!(false)),
            );
            if let Some(e) = vals.get("email") {
                p.insert("email".into(), e.clone());
            }
            let partner = env.create("res.partner", p)?;
            vals.insert("partner_id".into(), json!(partner));
        }
        if !vals.contains_key("company_id") {
            vals.insert("company_id".into(), json!(1));
        }
        let field = crate::access::groups_field(env.version);
        if !vals.contains_key(field)
            && let Some(g) = crate::access::group_id(env, "base.group_user")
        {
            // the default user template's group
            vals.insert(field.into(), json!([[6, 0, [g]]]));
        }
        Ok(())
    }
    fn after_create(&self, env: &mut Env, id: i64) -> Result<(), Fault> {
        secure(env, id);
        Ok(())
    }
    fn before_unlink(&self, _env: &mut Env, ids: &[i64]) -> Result<(), Fault> {
        // res_users.py `unlink`: the superuser (id 1) stays
        if ids.contains(&1) {
            return Err(Fault::user(
                "You can not remove the admin user as it is used internally for resources created by Odoo (updates, module installation, ...)",
            ));
        }
        Ok(())
    }
    fn after_write(&self, env: &mut Env, ids: &[i64], _fields: &[String]) -> Result<(), Fault> {
        for id in ids {
            secure(env, *id);
        }
        Ok(())
    }
    fn methods(&self, _version: OdooVersion) -> &'static [&'static str] {
        &["context_get"]
    }
    fn call(
        &self,
        env: &mut Env,
        method: &str,
        _args: &[Value],
        _kwargs: &Map<String, Value>,
    ) -> Result<Option<Value>, Fault> {
        match method {
            // odoo/addons/base/models/res_users.py `context_get`: the user's
            // lang and tz (the recorded admin's, as in `user_context` of
            // session_info) and uid. odoorpc and odooly call it at login.
            "context_get" => Ok(Some(
                json!({"lang": "en_US", "tz": "Europe/Brussels", "uid": env.uid}),
            )),
            other => Err(Fault::unknown_method("res.users", other)),
        }
    }
}

/// After a create or write: the password moves out of the record into its
/// hash (a `read` of `password` gives `""`, as in Odoo), implied groups are
/// added (16-18 store them in `groups_id`; 19 keeps `group_ids` as given and
/// computes `all_group_ids`), and `share` is set for users outside
/// base.group_user (`_compute_share`).
fn secure(env: &mut Env, id: i64) {
    let Some(rec) = env.record("res.users", id).cloned() else {
        return;
    };
    let mut set = Map::new();
    if let Some(pw) = text(&rec, "password").filter(|p| !p.is_empty()) {
        set.insert(
            crate::access::PASSWORD_KEY.into(),
            json!(crate::access::hash_password(pw)),
        );
        set.insert("password".into(), json!(""));
    }
    let field = crate::access::groups_field(env.version);
    let groups: Vec<i64> = rec
        .get(field)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default();
    let all = crate::access::with_implied(env, &groups);
    if env.version <= OdooVersion::V18 && all.len() != groups.len() {
        set.insert(field.into(), json!(all));
    }
    let internal =
        crate::access::group_id(env, "base.group_user").is_some_and(|g| all.contains(&g));
    set.insert("share".into(), json!(!internal));
    env.set_raw("res.users", id, set);
}
