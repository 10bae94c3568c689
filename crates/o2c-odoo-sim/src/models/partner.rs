//! res.partner: display name with the parent, commercial partner, company type.

use serde_json::{Map, Value, json};

use crate::fault::Fault;
use crate::orm::{Env, Record};

use super::{Hooks, m2o, text};

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
            "commercial_partner_id" | "company_type" | "display_name"
        )
    }

    fn defaults(&self, _env: &mut Env, vals: &mut Map<String, Value>) -> Result<(), Fault> {
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
        Ok(())
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
