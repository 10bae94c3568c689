//! Exact money helpers for mappings, as native jq filters. A mapping that
//! spreads a discount over lines must add amounts without a float; in plain
//! jq that means splitting decimal text into integer minor units by hand,
//! which is slow to interpret and easy to get wrong for negative amounts.
//! These filters do it with `rust_decimal` in one step each:
//!
//! - `decimal_places`: how many digits a decimal has after the point
//!   (`"199.50"` → 2, `3` → 0, `null` → 0).
//! - `to_minor($scale)`: a decimal in integer minor units at that scale
//!   (`"199.5" | to_minor(2)` → 19950, `null` → 0). A value with more
//!   places than the scale is an error, never silently cut.
//! - `from_minor($scale)`: integer minor units back to decimal text with
//!   exactly that many places (`19950 | from_minor(2)` → `"199.50"`).
//!
//! Inputs may be JSON numbers (their digits are kept exactly, see
//! `convert`) or decimal strings, as channels send both.

use jaq_core::native::{Filter, Fun, bome, run, unary, v};
use jaq_core::{RunPtr, data};
use jaq_json::{Num, Val};
use rust_decimal::Decimal;

type Data = data::JustLut<Val>;
type Error = jaq_core::Error<Val>;

/// The native filters, ready for `Compiler::with_funs`.
pub fn funs() -> impl Iterator<Item = Fun<Data>> {
    let filters: [Filter<RunPtr<Data>>; 3] = [
        ("decimal_places", v(0), |cv| bome(decimal_places(&cv.1))),
        ("to_minor", v(1), |cv| {
            unary(cv, |input, scale| to_minor(&input, &scale))
        }),
        ("from_minor", v(1), |cv| {
            unary(cv, |input, scale| from_minor(&input, &scale))
        }),
    ];
    filters.into_iter().map(|filter| run::<Data>(filter))
}

/// What the decimal natives read, from jaq's values or the direct
/// evaluator's: both run the same code on it.
pub(crate) enum Amount<'a> {
    Null,
    Num(&'a Num),
    Text(&'a [u8]),
}

/// The decimal an amount holds; `None` for null.
pub(crate) fn decimal(amount: Amount<'_>) -> Result<Option<Decimal>, String> {
    let number;
    let text: std::borrow::Cow<'_, str> = match amount {
        Amount::Null => return Ok(None),
        Amount::Num(Num::Float(f)) if !f.is_finite() => {
            return Err(format!("{f} is not a decimal"));
        }
        Amount::Num(n) => {
            number = n.to_string();
            number.as_str().into()
        }
        Amount::Text(bytes) => String::from_utf8_lossy(bytes),
    };
    let text = text.trim();
    Decimal::from_str_exact(text)
        .or_else(|_| Decimal::from_scientific(text))
        .map(Some)
        .map_err(|_| format!("{text:?} is not a decimal"))
}

/// A scale argument: an integer from 0 to 18.
pub(crate) fn scale(n: &Num) -> Option<u32> {
    match n {
        Num::Int(n) if (0..=18).contains(n) => Some(*n as u32),
        _ => None,
    }
}

/// How many digits a decimal has after the point (null: 0).
pub(crate) fn places(amount: Option<Decimal>) -> usize {
    amount.map_or(0, |d| d.scale() as usize)
}

/// An amount in minor units at `scale` (`"199.5"` at 2: 19950).
pub(crate) fn minor_units(amount: Option<Decimal>, scale: u32) -> Result<i128, String> {
    let Some(mut amount) = amount else {
        return Ok(0);
    };
    amount = amount.normalize();
    if amount.scale() > scale {
        return Err(format!("{amount} has more than {scale} decimal places"));
    }
    amount.rescale(scale);
    Ok(amount.mantissa())
}

/// Minor units back to decimal text at `scale` (19950 at 2: `"199.50"`).
pub(crate) fn from_minor_units(minor: Option<Decimal>, scale: u32) -> Result<String, String> {
    let minor = minor.unwrap_or_default().normalize();
    if minor.scale() != 0 {
        return Err(format!("{minor} is not a whole number of minor units"));
    }
    Decimal::try_from_i128_with_scale(minor.mantissa(), scale)
        .map(|amount| amount.to_string())
        .map_err(|e| format!("{minor} at scale {scale}: {e}"))
}

/// How many digits a decimal has after the point (null: 0).
pub(super) fn decimal_places(value: &Val) -> Result<Val, Error> {
    decimal_of(value).map(|d| Val::from(places(d)))
}

/// The decimal a value holds; `None` for null.
fn decimal_of(value: &Val) -> Result<Option<Decimal>, Error> {
    let amount = match value {
        Val::Null => Amount::Null,
        Val::Num(n) => Amount::Num(n),
        Val::TStr(bytes) => Amount::Text(bytes),
        other => return Err(Error::str(format_args!("{other} is not a decimal"))),
    };
    decimal(amount).map_err(Error::str)
}

fn scale_of(value: &Val) -> Result<u32, Error> {
    if let Val::Num(n) = value
        && let Some(scale) = scale(n)
    {
        return Ok(scale);
    }
    Err(Error::str(format_args!(
        "the scale must be an integer from 0 to 18, not {value}"
    )))
}

pub(super) fn to_minor(input: &Val, scale: &Val) -> Result<Val, Error> {
    let scale = scale_of(scale)?;
    let minor = minor_units(decimal_of(input)?, scale).map_err(Error::str)?;
    Ok(Val::Num(Num::from_integral(minor)))
}

pub(super) fn from_minor(input: &Val, scale: &Val) -> Result<Val, Error> {
    let scale = scale_of(scale)?;
    let amount = from_minor_units(decimal_of(input)?, scale).map_err(Error::str)?;
    Ok(Val::from(amount))
}

#[cfg(test)]
mod tests {
    use super::super::MappingProgram;
    use serde_json::json;

    fn run(program: &str, input: &str) -> Result<serde_json::Value, String> {
        let program = MappingProgram::compile("t/v1", program).map_err(|e| e.to_string())?;
        program
            .run(input.as_bytes(), "a", "b")
            .map(|mut out| out.remove(0))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn places_and_minor_units_are_exact() {
        let out = run(
            "[.[] | decimal_places], [.[] | to_minor(2)]",
            r#"["199.5", 3, null, "0.10", -1.25]"#,
        )
        .expect("runs");
        assert_eq!(out, json!([1, 0, 0, 2, 2]));
        let minor = run(
            "[.[] | to_minor(2)]",
            r#"["199.5", 3, null, "0.10", -1.25]"#,
        )
        .expect("runs");
        assert_eq!(minor, json!([19950, 300, 0, 10, -125]));
        let back = run(
            "[.[] | from_minor(2)], (5 | from_minor(0))",
            "[19950, 300, 0, 10, -125, -5]",
        )
        .expect("runs");
        assert_eq!(
            back,
            json!(["199.50", "3.00", "0.00", "0.10", "-1.25", "-0.05"])
        );
    }

    #[test]
    fn big_amounts_keep_every_digit() {
        let out = run(
            "to_minor(2) | . + 1 | from_minor(2)",
            r#""12345678901234567.89""#,
        )
        .expect("runs");
        assert_eq!(out, json!("12345678901234567.90"));
    }

    #[test]
    fn bad_values_are_errors_not_guesses() {
        let too_precise = run("to_minor(2)", r#""1.005""#).expect_err("cut");
        assert!(
            too_precise.contains("more than 2 decimal places"),
            "{too_precise}"
        );
        assert!(
            run("to_minor(2)", r#""abc""#)
                .expect_err("text")
                .contains("not a decimal")
        );
        assert!(
            run("to_minor(-1)", "1")
                .expect_err("scale")
                .contains("scale")
        );
        assert!(
            run("from_minor(2)", "1.5")
                .expect_err("fraction")
                .contains("whole number")
        );
        assert!(run("decimal_places", "true").is_err());
    }
}
