//! Checks of single values by column, returning the message of a failure.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use rust_decimal::Decimal;

/// An exact decimal such as `12.50` (no exponent, no thousands separator).
pub(crate) fn decimal(v: &str) -> Result<Decimal, String> {
    let ok = !v.is_empty()
        && v.bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-');
    ok.then(|| Decimal::from_str_exact(v).ok())
        .flatten()
        .ok_or_else(|| "not a decimal number such as 12.50".to_string())
}

/// `YYYY-MM-DD`.
pub(crate) fn date(v: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| "not a date YYYY-MM-DD".to_string())
}

/// `YYYY-MM-DD` (midnight UTC) or RFC 3339, as RFC 3339 UTC.
pub(crate) fn order_date(v: &str) -> Result<String, String> {
    if let Ok(d) = date(v) {
        return Ok(format!("{d}T00:00:00Z"));
    }
    DateTime::parse_from_rfc3339(v)
        .map(|t| {
            t.with_timezone(&Utc)
                .to_rfc3339_opts(SecondsFormat::AutoSi, true)
        })
        .map_err(|_| "not a date YYYY-MM-DD or an RFC 3339 timestamp".to_string())
}

fn upper(v: &str, n: usize) -> bool {
    v.len() == n && v.bytes().all(|b| b.is_ascii_uppercase())
}

/// The check of one order-level value (non-empty).
pub(crate) fn order_value(column: &str, v: &str) -> Result<(), String> {
    match column {
        "order_date" => order_date(v).map(|_| ()),
        "currency" if !upper(v, 3) => Err("not an ISO 4217 code such as EUR".into()),
        "ship_to_country" if !upper(v, 2) => {
            Err("not an ISO 3166-1 alpha-2 code such as DE".into())
        }
        "ship_to_subdivision" => {
            let ok = v.len() >= 4
                && upper(&v[..2.min(v.len())], 2)
                && v.as_bytes().get(2) == Some(&b'-')
                && v.bytes()
                    .skip(3)
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
                && v.len() <= 6;
            if ok {
                Ok(())
            } else {
                Err("not an ISO 3166-2 code such as US-CA".into())
            }
        }
        "customer_email" => {
            let mut parts = v.split('@');
            let (local, domain) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            let ok = !local.is_empty() && domain.contains('.') && parts.next().is_none();
            if ok {
                Ok(())
            } else {
                Err("not an e-mail address".into())
            }
        }
        _ => Ok(()),
    }
}
