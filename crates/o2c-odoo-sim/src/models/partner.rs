//! res.partner: display name with the parent, commercial partner, company type.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::OdooVersion;
use crate::fault::Fault;
use crate::orm::{Env, Record};

use super::{Hooks, ids_arg, m2o, text};

/// res/partner.py `address_get`: the first partner of each type among the
/// partner and its (non-company) descendants, the partner itself otherwise.
pub fn address_get(env: &Env, partner: i64, prefs: &[&str]) -> BTreeMap<String, i64> {
    let mut out: BTreeMap<String, i64> = BTreeMap::new();
    let mut queue = vec![partner];
    let mut seen = Vec::new();
    while let Some(p) = queue.first().copied() {
        queue.remove(0);
        if seen.contains(&p) {
            continue;
        }
        seen.push(p);
        let Some(r) = env.record("res.partner", p) else {
            continue;
        };
        let t = text(r, "type").unwrap_or("contact").to_string();
        if (prefs.contains(&t.as_str()) || t == "contact") && !out.contains_key(&t) {
            out.insert(t, p);
        }
        let mut kids = super::util::find(env, "res.partner", |c| {
            m2o(c, "parent_id") == Some(p) && c.get("is_company") != Some(&json!(true))
        });
        kids.sort_unstable();
        queue.extend(kids);
    }
    let contact = out.get("contact").copied().unwrap_or(partner);
    let mut res = BTreeMap::new();
    for pref in prefs.iter().copied().chain(std::iter::once("contact")) {
        res.insert(pref.to_string(), out.get(pref).copied().unwrap_or(contact));
    }
    res
}

pub struct Partner;

impl Partner {
    fn sync(env: &mut Env, ids: &[i64]) {
        for id in ids {
            let Some(rec) = env.record("res.partner", *id) else {
                continue;
            };
            let mut commercial = *id;
            let mut cur = rec.clone();
            let mut guard = 0;
            while let Some(p) = m2o(&cur, "parent_id") {
                if cur.get("is_company") == Some(&json!(true)) || guard > 16 {
                    break;
                }
                let Some(parent) = env.record("res.partner", p) else {
                    break;
                };
                commercial = p;
                cur = parent.clone();
                guard += 1;
            }
            let is_company = rec.get("is_company") == Some(&json!(true));
            let mut v = Map::new();
            v.insert("commercial_partner_id".into(), json!(commercial));
            v.insert(
                "company_type".into(),
                json!(if is_company { "company" } else { "person" }),
            );
            env.set_raw("res.partner", *id, v);
        }
    }
}

impl Hooks for Partner {
    fn display_name(&self, env: &Env, _id: i64, rec: &Record) -> Option<String> {
        let name = text(rec, "name").map(str::to_string);
        match m2o(rec, "parent_id") {
            Some(p) if rec.get("is_company") != Some(&json!(true)) => {
                let parent = env.display_name("res.partner", p);
                Some(match name {
                    Some(n) => format!("{parent}, {n}"),
                    None => parent,
                })
            }
            _ => Some(name.unwrap_or_default()),
        }
    }

    fn computed(&self, field: &str) -> bool {
        matches!(
            field,
            "commercial_partner_id"
                | "company_type"
                | "display_name"
                | "property_account_payable_id"
                | "property_account_receivable_id"
        )
    }

    fn defaults(&self, env: &mut Env, vals: &mut Map<String, Value>) -> Result<(), Fault> {
        // 16: the company property gives every new partner the default
        // pricelist (recorded c `res.partner.read.company`: Public
        // Pricelist); 17+ read `false` until one is set
        if env.version == OdooVersion::V16
            && !vals.contains_key("property_product_pricelist")
            && let Some(pl) = super::util::find(env, "product.pricelist", |_| true).first()
        {
            vals.insert("property_product_pricelist".into(), json!(pl));
        }
        // 18+ account/models/partner.py: `autopost_bills` defaults to 'ask'
        if env
            .reg
            .get("res.partner")
            .is_some_and(|s| s.has("autopost_bills"))
        {
            vals.entry("autopost_bills").or_insert(json!("ask"));
        }
        if let Some(Value::String(ct)) = vals.get("company_type").cloned() {
            vals.entry("is_company").or_insert(json!(ct == "company"));
        }
        vals.entry("type").or_insert(json!("contact"));
        vals.entry("is_company").or_insert(json!(false));
        vals.entry("lang").or_insert(json!("en_US"));
        Ok(())
    }

    fn after_create(&self, env: &mut Env, id: i64) -> Result<(), Fault> {
        Self::sync(env, &[id]);
        // child addresses share the commercial partner's payment term and pricelist
        if let Some(parent) = env
            .record("res.partner", id)
            .and_then(|r| m2o(r, "parent_id"))
        {
            let pr = env
                .record("res.partner", parent)
                .cloned()
                .unwrap_or_default();
            let mut v = Map::new();
            for f in [
                "property_payment_term_id",
                "property_product_pricelist",
                "vat",
            ] {
                if let Some(x) = pr.get(f)
                    && env
                        .record("res.partner", id)
                        .and_then(|r| r.get(f))
                        .is_none_or(|c| !crate::orm::truthy(c))
                {
                    v.insert(f.into(), x.clone());
                }
            }
            env.set_raw("res.partner", id, v);
        }
        Ok(())
    }

    fn methods(&self, _version: OdooVersion) -> &'static [&'static str] {
        &["address_get"]
    }

    fn call(
        &self,
        env: &mut Env,
        method: &str,
        args: &[Value],
        kwargs: &Map<String, Value>,
    ) -> Result<Option<Value>, Fault> {
        if method != "address_get" {
            return Err(Fault::unknown_method("res.partner", method));
        }
        let ids = ids_arg(args.first());
        env.check_exist("res.partner", &ids)?;
        let prefs: Vec<String> = args
            .get(1)
            .or_else(|| kwargs.get("adr_pref"))
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_else(|| vec!["contact".to_string()]);
        let prefs: Vec<&str> = prefs.iter().map(String::as_str).collect();
        let first = ids.first().copied().unwrap_or(0);
        let res = address_get(env, first, &prefs);
        let mut ordered = Map::new();
        if let Some(c) = res.get("contact") {
            ordered.insert("contact".into(), json!(c));
        }
        for (k, v) in res {
            ordered.entry(k).or_insert(json!(v));
        }
        Ok(Some(Value::Object(ordered)))
    }

    fn after_write(&self, env: &mut Env, ids: &[i64], fields: &[String]) -> Result<(), Fault> {
        if fields
            .iter()
            .any(|f| f == "parent_id" || f == "is_company" || f == "company_type")
        {
            if fields.iter().any(|f| f == "company_type") {
                for id in ids {
                    let ct = env
                        .record("res.partner", *id)
                        .and_then(|r| r.get("company_type").cloned());
                    if let Some(Value::String(ct)) = ct {
                        let mut v = Map::new();
                        v.insert("is_company".into(), json!(ct == "company"));
                        env.set_raw("res.partner", *id, v);
                    }
                }
            }
            Self::sync(env, ids);
        }
        Ok(())
    }
}
