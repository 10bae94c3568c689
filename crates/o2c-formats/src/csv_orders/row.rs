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
            // Bytes, not a `str` slice: the value may be any UTF-8.
            let bytes = v.as_bytes();
            let ok = (4..=6).contains(&bytes.len())
                && bytes[..2].iter().all(u8::is_ascii_uppercase)
                && bytes[2] == b'-'
                && bytes[3..]
                    .iter()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
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

#[cfg(test)]
mod tests {
    use super::order_value;

    #[test]
    fn subdivisions_are_checked_by_bytes_whatever_the_text() {
        for good in ["US-CA", "DE-BY", "FR-75", "GB-ENG"] {
            assert_eq!(order_value("ship_to_subdivision", good), Ok(()), "{good}");
        }
        // The first found by `cargo fuzz` (csv_orders): a multi-byte
        // character across the second byte panicked on a `str` slice.
        for bad in [
            "Müller, Schmidt & Co",
            "Mü-AB",
            "üü-AB",
            "US-",
            "US-CAXXX",
            "us-ca",
            "USCA",
        ] {
            assert!(order_value("ship_to_subdivision", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_fuzzers_input_is_reported_not_a_panic() {
        let csv = "order_number,order_date,currency,customer_ref,customer_name,ship_to_street,ship_to_city,ship_to_subdivision,ship_to_country,sku,quantity,uom,unit_price\n\
                   SO-1,2024-05-02,EUR,C-34,Acme,Street 1,Town,\"Müller, Schmidt & Co\",DE,B-200,1,EA,99\n";
        let import =
            super::super::parse_orders(csv.as_bytes(), &super::super::CsvOptions::default());
        assert!(
            import
                .report
                .errors
                .iter()
                .any(|e| format!("{e:?}").contains("ship_to_subdivision")),
            "{:?}",
            import.report.errors
        );
    }
}
