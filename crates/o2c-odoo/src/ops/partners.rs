//! Customers: lookups by external id, `ref` and email, and the upsert of a
//! company with its delivery / invoice child addresses in ONE `load` call.

use serde_json::{Value, json};

use super::{Ops, load_ids, opt_str, rec_id, rows, str_field};
use crate::{OdooClient, OdooError};

/// A customer as o2c wants it in Odoo. `None` fields are left as they are.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PartnerValues {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub street: Option<String>,
    pub city: Option<String>,
    pub zip: Option<String>,
    /// ISO 3166-1 alpha-2; an unknown code leaves the country unset.
    pub country_code: Option<String>,
    /// Odoo's `ref` (the customer's reference).
    pub reference: Option<String>,
}

/// A partner found by a lookup.
#[derive(Debug, Clone, PartialEq)]
pub struct PartnerInfo {
    pub id: i64,
    pub name: String,
    pub email: Option<String>,
    pub reference: Option<String>,
}

/// A child address (`type` delivery or invoice).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AddressValues {
    pub name: String,
    pub street: Option<String>,
    pub city: Option<String>,
    pub zip: Option<String>,
    pub country_code: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

impl AddressValues {
    /// A stable digest of the address: the same address always maps to the
    /// same child (and its external id); a new address makes a new child
    /// instead of rewriting one that past orders point to.
    pub fn digest(&self) -> String {
        // FNV-1a 64 over the normalised fields
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for part in [
            Some(&self.name),
            self.street.as_ref(),
            self.city.as_ref(),
            self.zip.as_ref(),
            self.country_code.as_ref(),
        ] {
            let s = part.map(|s| s.trim().to_lowercase()).unwrap_or_default();
            for b in s.bytes().chain([0x1f]) {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
        }
        format!("{h:016x}")[..10].to_string()
    }
}

/// A find-or-create of a customer with its child addresses.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PartnerRequest {
    /// External id `module.name` o2c owns for this customer.
    pub xmlid: String,
    pub values: PartnerValues,
    pub is_company: bool,
    pub delivery: Option<AddressValues>,
    pub invoice: Option<AddressValues>,
}

/// The partner and the addresses a sale order should use.
#[derive(Debug, Clone, PartialEq)]
pub struct PartnerResolution {
    pub partner_id: i64,
    pub delivery_id: i64,
    pub invoice_id: i64,
    /// true when the partner already existed (found by xmlid, ref or email).
    pub existed: bool,
}

fn escape_like(s: &str) -> String {
    s.trim()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

impl OdooClient {
    async fn find_partner(
        &self,
        domain: Value,
        correlation_id: Option<&str>,
    ) -> Result<Option<PartnerInfo>, OdooError> {
        let found = self
            .execute_kw(
                "res.partner",
                "search_read",
                json!([domain]),
                json!({"fields": ["id", "name", "email", "ref"], "limit": 1, "order": "id asc"}),
                correlation_id,
            )
            .await?;
        match rows(found)?.first() {
            None => Ok(None),
            Some(p) => Ok(Some(PartnerInfo {
                id: rec_id(p)?,
                name: str_field(p, "name"),
                email: opt_str(&p["email"]),
                reference: opt_str(&p["ref"]),
            })),
        }
    }

    /// The first partner whose `ref` is exactly `reference`.
    pub async fn find_partner_by_ref(
        &self,
        reference: &str,
        correlation_id: Option<&str>,
    ) -> Result<Option<PartnerInfo>, OdooError> {
        self.find_partner(json!([["ref", "=", reference]]), correlation_id)
            .await
    }

    /// The first partner whose email matches, case-insensitively.
    pub async fn find_partner_by_email(
        &self,
        email: &str,
        correlation_id: Option<&str>,
    ) -> Result<Option<PartnerInfo>, OdooError> {
        // `=ilike` without wildcards is a case-insensitive equality; escape
        // the LIKE wildcards an address may contain
        self.find_partner(
            json!([["email", "=ilike", escape_like(email)]]),
            correlation_id,
        )
        .await
    }

    /// The `res.country` id for an ISO code, cached (misses too).
    pub async fn country_id(
        &self,
        code: &str,
        correlation_id: Option<&str>,
    ) -> Result<Option<i64>, OdooError> {
        let code = code.trim().to_ascii_uppercase();
        if let Some(hit) = self
            .countries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&code)
        {
            return Ok(*hit);
        }
        let found = self
            .execute_kw(
                "res.country",
                "search_read",
                json!([[["code", "=", code]]]),
                json!({"fields": ["id", "code"], "limit": 1}),
                correlation_id,
            )
            .await?;
        let id = rows(found)?
            .first()
            .and_then(|c| c.get("id"))
            .and_then(Value::as_i64);
        self.countries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(code, id);
        Ok(id)
    }

    /// Creates or updates the partner with external id `xmlid` in one
    /// `res.partner.load` call; returns its id.
    pub async fn upsert_partner_by_xmlid(
        &self,
        xmlid: &str,
        values: &PartnerValues,
        correlation_id: Option<&str>,
    ) -> Result<i64, OdooError> {
        let mut fields = vec!["id".to_string(), "name".to_string()];
        let mut row = vec![json!(xmlid), json!(values.name)];
        self.partner_columns(values, "", &mut fields, &mut row, correlation_id)
            .await?;
        let result = self
            .execute_kw(
                "res.partner",
                "load",
                json!([fields, [row]]),
                json!({}),
                correlation_id,
            )
            .await?;
        load_ids(result)?
            .first()
            .copied()
            .ok_or_else(|| OdooError::protocol("res.partner.load returned no id"))
    }

    async fn partner_columns(
        &self,
        values: &PartnerValues,
        prefix: &str,
        fields: &mut Vec<String>,
        row: &mut Vec<Value>,
        correlation_id: Option<&str>,
    ) -> Result<(), OdooError> {
        for (field, value) in [
            ("email", &values.email),
            ("phone", &values.phone),
            ("street", &values.street),
            ("city", &values.city),
            ("zip", &values.zip),
            ("ref", &values.reference),
        ] {
            if let Some(v) = value {
                fields.push(format!("{prefix}{field}"));
                row.push(json!(v));
            }
        }
        let code = values
            .country_code
            .as_deref()
            .filter(|c| !c.trim().is_empty());
        if let Some(code) = code
            && let Some(country) = self.country_id(code, correlation_id).await?
        {
            fields.push(format!("{prefix}country_id/.id"));
            row.push(json!(country));
        }
        Ok(())
    }
}

impl Ops<'_> {
    /// The record id behind external id `module.name`, if any.
    pub async fn xmlid_res_id(&self, xmlid: &str, model: &str) -> Result<Option<i64>, OdooError> {
        let Some((module, name)) = xmlid.split_once('.') else {
            return Err(OdooError::Validation {
                message: format!("external id {xmlid:?} is not module.name"),
            });
        };
        let found = self
            .search_read(
                "ir.model.data",
                json!([
                    ["module", "=", module],
                    ["name", "=", name],
                    ["model", "=", model]
                ]),
                &["res_id"],
                None,
                Some(1),
            )
            .await?;
        Ok(found
            .first()
            .and_then(|r| r.get("res_id"))
            .and_then(Value::as_i64))
    }

    /// Finds the customer by external id, then `ref`, then email; creates
    /// it if none matches. Child delivery / invoice addresses are found or
    /// created (one child per distinct address, keyed by its digest), and
    /// the ids a sale order should use are returned.
    ///
    /// - Known by external id: one `load` upserts the partner and its
    ///   children (children have external ids `<xmlid>_dlv_<digest>` /
    ///   `_inv_<digest>`), so a repeat is a no-op.
    /// - Known by `ref`/email only (created outside o2c): its master data is
    ///   left alone; missing children are created after a lookup by
    ///   (parent, type, name, street, zip).
    /// - Unknown: one `load` creates it with its children and external ids.
    pub async fn find_or_create_partner(
        &self,
        req: &PartnerRequest,
    ) -> Result<PartnerResolution, OdooError> {
        let c = self.correlation_id;
        let mut existing = self.xmlid_res_id(&req.xmlid, "res.partner").await?;
        let by_xmlid = existing.is_some();
        if existing.is_none()
            && let Some(r) = req.values.reference.as_deref().filter(|r| !r.is_empty())
        {
            existing = self.client.find_partner_by_ref(r, c).await?.map(|p| p.id);
        }
        if existing.is_none()
            && let Some(e) = req.values.email.as_deref().filter(|e| !e.is_empty())
        {
            existing = self.client.find_partner_by_email(e, c).await?.map(|p| p.id);
        }
        let partner_id = match existing {
            Some(id) if !by_xmlid => {
                for (kind, addr) in [("delivery", &req.delivery), ("invoice", &req.invoice)] {
                    if let Some(a) = addr {
                        self.ensure_child(id, kind, a).await?;
                    }
                }
                id
            }
            _ => self.load_partner_tree(req).await?,
        };
        // address_get is public and is what sale.order uses (16 README §9)
        let addr = self
            .call(
                "res.partner",
                "address_get",
                json!([[partner_id]]),
                json!({"adr_pref": ["delivery", "invoice"]}),
            )
            .await?;
        let delivery = self
            .child_for(partner_id, "delivery", &req.delivery)
            .await?;
        let invoice = self.child_for(partner_id, "invoice", &req.invoice).await?;
        Ok(PartnerResolution {
            partner_id,
            delivery_id: delivery
                .or_else(|| addr.get("delivery").and_then(Value::as_i64))
                .unwrap_or(partner_id),
            invoice_id: invoice
                .or_else(|| addr.get("invoice").and_then(Value::as_i64))
                .unwrap_or(partner_id),
            existed: existing.is_some(),
        })
    }

    async fn load_partner_tree(&self, req: &PartnerRequest) -> Result<i64, OdooError> {
        let c = self.correlation_id;
        let mut fields = vec![
            "id".to_string(),
            "name".to_string(),
            "is_company".to_string(),
        ];
        let mut head = vec![
            json!(req.xmlid),
            json!(req.values.name),
            json!(if req.is_company { "1" } else { "0" }),
        ];
        self.client
            .partner_columns(&req.values, "", &mut fields, &mut head, c)
            .await?;
        let children: Vec<(&str, &AddressValues)> = [
            ("delivery", req.delivery.as_ref()),
            ("invoice", req.invoice.as_ref()),
        ]
        .into_iter()
        .filter_map(|(k, a)| a.map(|a| (k, a)))
        .collect();
        if children.is_empty() {
            let r = self
                .call("res.partner", "load", json!([fields, [head]]), json!({}))
                .await?;
            return load_ids(r)?
                .first()
                .copied()
                .ok_or_else(|| OdooError::protocol("res.partner.load returned no id"));
        }
        // child columns: the same set for every child row
        let child_cols = [
            "child_ids/id",
            "child_ids/type",
            "child_ids/name",
            "child_ids/street",
            "child_ids/city",
            "child_ids/zip",
            "child_ids/email",
            "child_ids/phone",
            "child_ids/country_id/.id",
        ];
        let head_len = fields.len();
        fields.extend(child_cols.iter().map(|s| s.to_string()));
        let mut data = Vec::new();
        for (i, (kind, a)) in children.iter().enumerate() {
            let mut row = if i == 0 {
                head.clone()
            } else {
                vec![json!(""); head_len]
            };
            let short = if *kind == "delivery" { "dlv" } else { "inv" };
            let country = match a.country_code.as_deref().filter(|s| !s.trim().is_empty()) {
                Some(code) => self.client.country_id(code, c).await?,
                None => None,
            };
            let s = |v: &Option<String>| json!(v.clone().unwrap_or_default());
            row.extend([
                json!(format!("{}_{short}_{}", req.xmlid, a.digest())),
                json!(kind),
                json!(a.name),
                s(&a.street),
                s(&a.city),
                s(&a.zip),
                s(&a.email),
                s(&a.phone),
                country.map(|c| json!(c)).unwrap_or(json!("")),
            ]);
            data.push(Value::Array(row));
        }
        let r = self
            .call("res.partner", "load", json!([fields, data]), json!({}))
            .await?;
        load_ids(r)?
            .first()
            .copied()
            .ok_or_else(|| OdooError::protocol("res.partner.load returned no id"))
    }

    fn child_domain(parent: i64, kind: &str, a: &AddressValues) -> Value {
        let f = |v: &Option<String>| match v {
            Some(s) if !s.is_empty() => json!(s),
            _ => json!(false),
        };
        json!([
            ["parent_id", "=", parent],
            ["type", "=", kind],
            ["name", "=", a.name],
            ["street", "=", f(&a.street)],
            ["zip", "=", f(&a.zip)]
        ])
    }

    async fn child_for(
        &self,
        parent: i64,
        kind: &str,
        a: &Option<AddressValues>,
    ) -> Result<Option<i64>, OdooError> {
        let Some(a) = a else { return Ok(None) };
        self.first_id("res.partner", Self::child_domain(parent, kind, a), "id asc")
            .await
    }

    async fn ensure_child(
        &self,
        parent: i64,
        kind: &str,
        a: &AddressValues,
    ) -> Result<i64, OdooError> {
        if let Some(id) = self.child_for(parent, kind, &Some(a.clone())).await? {
            return Ok(id);
        }
        let mut vals = json!({"parent_id": parent, "type": kind, "name": a.name});
        for (k, v) in [
            ("street", &a.street),
            ("city", &a.city),
            ("zip", &a.zip),
            ("email", &a.email),
            ("phone", &a.phone),
        ] {
            if let Some(v) = v {
                vals[k] = json!(v);
            }
        }
        if let Some(code) = a.country_code.as_deref().filter(|s| !s.trim().is_empty())
            && let Some(cid) = self.client.country_id(code, self.correlation_id).await?
        {
            vals["country_id"] = json!(cid);
        }
        self.create("res.partner", vals, None).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_digest_is_stable_and_normalised() {
        let a = AddressValues {
            name: "Dock".into(),
            street: Some("500 Industrial Way".into()),
            zip: Some("94607".into()),
            ..Default::default()
        };
        let mut b = a.clone();
        b.street = Some(" 500 industrial way ".into());
        assert_eq!(a.digest(), b.digest());
        b.zip = Some("94608".into());
        assert_ne!(a.digest(), b.digest());
        assert_eq!(a.digest().len(), 10);
    }
}
