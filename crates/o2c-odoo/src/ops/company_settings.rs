//! Company settings the hub's arithmetic follows, read once per company and
//! cached: `res.company.tax_calculation_rounding_method` (account module,
//! addons/account/models/company.py: `round_per_line`, the default, or
//! `round_globally`).

use serde_json::json;

use super::{Ops, opt_field};
use crate::OdooError;

impl Ops<'_> {
    /// The tax rounding method of `company` (the user's current company when
    /// `None`), cached; `None` when Odoo leaves it unset.
    pub async fn company_tax_rounding(
        &self,
        company: Option<i64>,
    ) -> Result<Option<String>, OdooError> {
        let company = self.company_or_users(company).await?;
        let key = format!("tax_rounding:{company}");
        if let Some(method) = self.cache.and_then(|c| c.get_key("res.company", &key)) {
            return Ok(method.as_str().map(str::to_owned));
        }
        let rows = self
            .read(
                "res.company",
                &[company],
                &["tax_calculation_rounding_method"],
            )
            .await?;
        let row = rows
            .first()
            .ok_or_else(|| super::missing("res.company", company))?;
        let method = opt_field(row, "tax_calculation_rounding_method");
        if let Some(c) = self.cache {
            c.put_key("res.company", &key, company, json!(method));
        }
        Ok(method)
    }
}
