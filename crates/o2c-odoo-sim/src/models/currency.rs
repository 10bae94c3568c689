//! Currency rates (`res.currency.rate`, base/models/res_currency.py) and
//! the conversions the sale and invoice models need.
//!
//! Odoo's convention: a rate is how many units of the currency make ONE
//! unit of the company's currency (EUR 0.92 in a USD company: 1 USD buys
//! 0.92 EUR), dated by `name`. The rate of a day is the latest one on or
//! before it, the company's own before a shared one (`company_id` unset);
//! without one, 17+ take the first rate after the day and 16 takes 1.0
//! (`_get_rates`). A currency without rates (the company's own) is 1.0.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::OdooVersion;
use crate::orm::{Env, Record};
use crate::schema::{FieldDef, FieldType as T, ModelSpec};

use super::util::find;
use super::{Hooks, m2o, num, text};

pub const RATE: &str = "res.currency.rate";

pub fn models(_version: OdooVersion) -> Vec<ModelSpec> {
    vec![
        ModelSpec::new(RATE, "Currency Rate")
            .order("name desc")
            .field(FieldDef::new("name", T::Date, "Date").required())
            .field(FieldDef::new("rate", T::Float, "Technical Rate"))
            .field(FieldDef::new("company_rate", T::Float, "Unit per USD"))
            .field(FieldDef::new(
                "inverse_company_rate",
                T::Float,
                "USD per Unit",
            ))
            .field(
                FieldDef::new("currency_id", T::Many2one, "Currency")
                    .relation("res.currency")
                    .required(),
            )
            .field(FieldDef::new("company_id", T::Many2one, "Company").relation("res.company"))
            .hooks(Arc::new(Rates)),
    ]
}

struct Rates;

impl Hooks for Rates {
    fn computed(&self, field: &str) -> bool {
        matches!(field, "company_rate" | "inverse_company_rate")
    }

    /// `_compute_company_rate` / `_compute_inverse_company_rate` for a
    /// company whose own currency has no rate (1.0).
    fn compute(&self, _env: &Env, _id: i64, rec: &Record, field: &str) -> Option<Value> {
        let rate = num(rec, "rate");
        match field {
            "company_rate" => Some(json!(rate)),
            "inverse_company_rate" => Some(json!(if rate == 0.0 { 0.0 } else { 1.0 / rate })),
            _ => None,
        }
    }
}

/// The rate of `currency` on `date` (`YYYY-MM-DD…`) for `company`.
pub fn rate_at(env: &Env, currency: i64, company: Option<i64>, date: &str) -> f64 {
    let day = date.get(..10).unwrap_or(date);
    let usable = |r: &Record| {
        m2o(r, "currency_id") == Some(currency)
            && match m2o(r, "company_id") {
                None => true,
                c => c == company,
            }
    };
    let mut rates: Vec<(bool, String, f64)> = find(env, RATE, usable)
        .into_iter()
        .filter_map(|id| env.record(RATE, id))
        .map(|r| {
            (
                m2o(r, "company_id").is_some(),
                text(r, "name").unwrap_or_default().to_owned(),
                num(r, "rate"),
            )
        })
        .collect();
    // the company's own first, then the latest date
    rates.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)));
    if let Some((_, _, rate)) = rates.iter().find(|(_, d, _)| d.as_str() <= day) {
        return *rate;
    }
    if env.version >= OdooVersion::V17 {
        // the first rate after the day
        if let Some((_, _, rate)) = rates
            .iter()
            .filter(|(_, d, _)| d.as_str() > day)
            .min_by(|a, b| a.1.cmp(&b.1))
        {
            return *rate;
        }
    }
    1.0
}

/// `amount` in `currency` as the company's currency on `date`
/// (`_convert` to the company currency, not rounded).
pub fn to_company(
    env: &Env,
    amount: f64,
    currency: Option<i64>,
    company: Option<i64>,
    date: &str,
) -> f64 {
    let company_currency =
        company.and_then(|c| super::util::many2one(env, "res.company", c, "currency_id"));
    match currency {
        Some(c) if Some(c) != company_currency => {
            let from = rate_at(env, c, company, date);
            let to = company_currency
                .map(|cc| rate_at(env, cc, company, date))
                .unwrap_or(1.0);
            if from == 0.0 { 0.0 } else { amount * to / from }
        }
        _ => amount,
    }
}

/// `sale.order.currency_rate`: the order currency's rate against the
/// company's on the order date (`_compute_currency_rate`).
pub fn order_rate(env: &Env, currency: Option<i64>, company: Option<i64>, date: &str) -> f64 {
    let company_currency =
        company.and_then(|c| super::util::many2one(env, "res.company", c, "currency_id"));
    match currency {
        Some(c) if Some(c) != company_currency => {
            let from = company_currency
                .map(|cc| rate_at(env, cc, company, date))
                .unwrap_or(1.0);
            let to = rate_at(env, c, company, date);
            if from == 0.0 { 0.0 } else { to / from }
        }
        _ => 1.0,
    }
}
