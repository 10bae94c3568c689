//! Currencies and their rates as Odoo converts money
//! (odoo/addons/base/models/res_currency.py `_get_rates`,
//! `_get_conversion_rate`, `_convert`).
//!
//! A rate (`res.currency.rate.rate`) is how many units of the currency make
//! ONE unit of the company's currency; the rate of a day is the latest on
//! or before it, the company's own before a shared one (`company_id`
//! unset). Without one, 17+ take the first rate after the day and 16 uses
//! 1.0. `amount` in A is `amount * rate(B) / rate(A)` in B, rounded to B's
//! `rounding` (half-up, `float_round`). Rates are read at most once per
//! currency, company and day through the master-data cache.

use std::collections::HashMap;

use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Value, json};

use super::{Ops, dec, m2o, rec_id, str_field};
use crate::OdooError;

/// A currency with its rate on one day.
#[derive(Debug, Clone, PartialEq)]
pub struct CurrencyRate {
    pub id: i64,
    /// ISO code (`name` in Odoo).
    pub name: String,
    /// Smallest unit amounts are rounded to (0.01).
    pub rounding: Decimal,
    /// Units of this currency per one unit of the company's currency.
    pub rate: Decimal,
}

impl CurrencyRate {
    /// `amount` of this currency in `to`, rounded to `to`'s rounding
    /// (`_convert(..., round=True)`).
    pub fn convert(&self, amount: Decimal, to: &CurrencyRate) -> Result<Decimal, OdooError> {
        if self.id == to.id {
            return Ok(amount);
        }
        if self.rate.is_zero() {
            return Err(OdooError::Validation {
                message: format!("currency {} has a zero rate", self.name),
            });
        }
        Ok(round_to(amount * to.rate / self.rate, to.rounding))
    }
}

/// `float_round(value, precision_rounding=rounding)`: half away from zero.
pub fn round_to(value: Decimal, rounding: Decimal) -> Decimal {
    if rounding <= Decimal::ZERO {
        return value;
    }
    ((value / rounding).round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
        * rounding)
        .normalize()
}

impl Ops<'_> {
    /// The currencies named `names` (ISO codes, active or not) with their
    /// rates on `day` (`YYYY-MM-DD`) for `company`: ONE `res.currency`
    /// search, then per currency ONE rate search (two on 17+ when no rate
    /// precedes the day), each through the cache. Unknown codes are absent.
    pub async fn currency_rates(
        &self,
        names: &[&str],
        company: Option<i64>,
        day: &str,
    ) -> Result<HashMap<String, CurrencyRate>, OdooError> {
        let mut names: Vec<&str> = names.to_vec();
        names.sort_unstable();
        names.dedup();
        let found = self
            .search_read(
                "res.currency",
                json!([["name", "in", names], ["active", "in", [true, false]]]),
                &["name", "rounding"],
                Some("id"),
                None,
            )
            .await?;
        // Odoo converts for the current company: the user's without one
        let company = Some(self.company_or_users(company).await?);
        let mut out = HashMap::new();
        for c in found {
            let id = rec_id(&c)?;
            let rate = self.rate_on(id, company, day).await?;
            let name = str_field(&c, "name");
            out.insert(
                name.clone(),
                CurrencyRate {
                    id,
                    name,
                    rounding: dec(&c, "rounding"),
                    rate,
                },
            );
        }
        Ok(out)
    }

    async fn rate_on(
        &self,
        currency: i64,
        company: Option<i64>,
        day: &str,
    ) -> Result<Decimal, OdooError> {
        let key = format!("rate:{currency}:{}:{day}", company.unwrap_or_default());
        if let Some(v) = self
            .cache
            .and_then(|c| c.get_key("res.currency.rate", &key))
        {
            return Ok(super::json_decimal(&v));
        }
        let companies = match company {
            Some(c) => json!(["|", ["company_id", "=", c], ["company_id", "=", false]]),
            None => json!([["company_id", "=", false]]),
        };
        let domain = |op: &str| -> Value {
            let mut d = vec![
                json!(["currency_id", "=", currency]),
                json!(["name", op, day]),
            ];
            if let Some(terms) = companies.as_array() {
                d.extend(terms.iter().cloned());
            }
            Value::Array(d)
        };
        let pick = |rows: &[Value]| -> Option<Decimal> {
            // the company's own rate before a shared one of the same day
            let first = rows.first()?;
            let day_of = |r: &Value| str_field(r, "name");
            rows.iter()
                .filter(|r| day_of(r) == day_of(first))
                .find(|r| m2o(r, "company_id").is_some())
                .or(Some(first))
                .map(|r| dec(r, "rate"))
        };
        let fields = ["name", "rate", "company_id"];
        let before = self
            .search_read(
                "res.currency.rate",
                domain("<="),
                &fields,
                Some("name desc, id desc"),
                Some(2),
            )
            .await?;
        let mut rate = pick(&before);
        if rate.is_none() && self.dialect.major >= 17 {
            let after = self
                .search_read(
                    "res.currency.rate",
                    domain(">"),
                    &fields,
                    Some("name asc, id desc"),
                    Some(2),
                )
                .await?;
            rate = pick(&after);
        }
        let rate = rate.unwrap_or(Decimal::ONE);
        if let Some(c) = self.cache {
            c.put_key(
                "res.currency.rate",
                &key,
                currency,
                super::decimal_json(rate),
            );
        }
        Ok(rate)
    }

    /// `company`, else the user's current company (cached).
    pub(super) async fn company_or_users(&self, company: Option<i64>) -> Result<i64, OdooError> {
        if let Some(c) = company {
            return Ok(c);
        }
        let uid = self.client.uid().await?;
        let key = format!("user_company:{uid}");
        if let Some(id) = self
            .cache
            .and_then(|c| c.get_key("res.users", &key))
            .and_then(|v| v.as_i64())
        {
            return Ok(id);
        }
        let user = self.read("res.users", &[uid], &["company_id"]).await?;
        let id = user
            .first()
            .and_then(|u| m2o(u, "company_id"))
            .ok_or_else(|| super::missing("res.users", uid))?;
        if let Some(c) = self.cache {
            c.put_key("res.users", &key, uid, json!(id));
        }
        Ok(id)
    }

    /// The currency code of `company` (the user's current company when
    /// `None`), cached.
    pub async fn company_currency(&self, company: Option<i64>) -> Result<String, OdooError> {
        let company = self.company_or_users(company).await?;
        let key = format!("company_currency:{company}");
        if let Some(code) = self
            .cache
            .and_then(|c| c.get_key("res.company", &key))
            .and_then(|v| v.as_str().map(str::to_owned))
        {
            return Ok(code);
        }
        let rows = self
            .read("res.company", &[company], &["currency_id"])
            .await?;
        let code = rows
            .first()
            .and_then(|r| r.get("currency_id"))
            .and_then(|c| c.get(1))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| super::missing("res.company", company))?;
        if let Some(c) = self.cache {
            c.put_key("res.company", &key, company, json!(code));
        }
        Ok(code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cur(id: i64, name: &str, rate: &str) -> CurrencyRate {
        CurrencyRate {
            id,
            name: name.into(),
            rounding: "0.01".parse().expect("rounding"),
            rate: rate.parse().expect("rate"),
        }
    }

    #[test]
    fn amounts_convert_through_the_company_currency_and_round_to_the_target() {
        let usd = cur(2, "USD", "1");
        let eur = cur(1, "EUR", "0.92");
        // 22.50 USD at 0.92 EUR per USD: 20.70 EUR
        assert_eq!(
            usd.convert("22.50".parse().expect("d"), &eur).ok(),
            Some("20.7".parse().expect("d"))
        );
        // and back: 100 EUR / 0.92 = 108.695... -> 108.70 USD
        assert_eq!(
            eur.convert(Decimal::ONE_HUNDRED, &usd).ok(),
            Some("108.7".parse().expect("d"))
        );
        assert_eq!(
            eur.convert(Decimal::ONE_HUNDRED, &eur).ok(),
            Some(Decimal::ONE_HUNDRED)
        );
        assert!(cur(3, "XXX", "0").convert(Decimal::ONE, &usd).is_err());
    }
}
