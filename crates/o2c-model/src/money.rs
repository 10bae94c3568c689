//! `Money`: an exact decimal amount in one ISO 4217 currency, with checked
//! arithmetic that refuses to mix currencies.

use std::fmt;

use rust_decimal::{Decimal, RoundingStrategy};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::currency::Currency;
use crate::error::ModelError;

/// An amount of money. JSON: `{"amount": "19.99", "currency": "USD"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Money {
    /// Exact amount (may carry more decimals than the currency's minor unit
    /// until `Money::round_to_currency` is applied).
    #[serde(with = "crate::decimal")]
    #[schemars(with = "crate::decimal::DecimalSchema")]
    pub amount: Decimal,
    /// ISO 4217 currency of `amount`.
    pub currency: Currency,
}

impl Money {
    /// Creates an amount in `currency`.
    pub fn new(amount: Decimal, currency: Currency) -> Self {
        Self { amount, currency }
    }

    /// Zero in `currency`.
    pub fn zero(currency: Currency) -> Self {
        Self::new(Decimal::ZERO, currency)
    }

    /// `self + other`; fails on different currencies or overflow.
    pub fn checked_add(&self, other: &Money) -> Result<Money, ModelError> {
        self.same_currency("add", other)?;
        self.amount
            .checked_add(other.amount)
            .map(|amount| Money::new(amount, self.currency))
            .ok_or(ModelError::Overflow { op: "add money" })
    }

    /// `self - other`; fails on different currencies or overflow.
    pub fn checked_sub(&self, other: &Money) -> Result<Money, ModelError> {
        self.same_currency("subtract", other)?;
        self.amount
            .checked_sub(other.amount)
            .map(|amount| Money::new(amount, self.currency))
            .ok_or(ModelError::Overflow {
                op: "subtract money",
            })
    }

    /// `self × factor` (a quantity or a rate), not rounded; fails on overflow.
    pub fn checked_mul(&self, factor: Decimal) -> Result<Money, ModelError> {
        self.amount
            .checked_mul(factor)
            .map(|amount| Money::new(amount, self.currency))
            .ok_or(ModelError::Overflow {
                op: "multiply money",
            })
    }

    /// Sums amounts that must all be in `currency` (an empty input gives zero).
    pub fn checked_sum<'a>(
        currency: Currency,
        items: impl IntoIterator<Item = &'a Money>,
    ) -> Result<Money, ModelError> {
        items
            .into_iter()
            .try_fold(Money::zero(currency), |acc, m| acc.checked_add(m))
    }

    /// Rounds to the currency's minor unit, half away from zero (commercial
    /// rounding, as ERPs such as Odoo do by default): `10.005 USD` → `10.01`.
    /// The result always has exactly `minor_units` decimals (`10` → `10.00`).
    pub fn round_to_currency(&self) -> Money {
        let dp = self.currency.minor_units();
        let mut amount = self
            .amount
            .round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero);
        // `rescale` only adds trailing zeros here; it cannot lose digits after rounding.
        amount.rescale(dp);
        Money::new(amount, self.currency)
    }

    /// True when the amount is zero.
    pub fn is_zero(&self) -> bool {
        self.amount.is_zero()
    }

    /// True when the amount is below zero.
    pub fn is_negative(&self) -> bool {
        self.amount.is_sign_negative() && !self.amount.is_zero()
    }

    /// The same amount with the opposite sign.
    pub fn negate(&self) -> Money {
        Money::new(-self.amount, self.currency)
    }

    fn same_currency(&self, op: &'static str, other: &Money) -> Result<(), ModelError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(ModelError::CurrencyMismatch {
                op,
                left: self.currency.code().to_string(),
                right: other.currency.code().to_string(),
            })
        }
    }
}

impl fmt::Display for Money {
    /// `19.99 USD`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn usd(a: Decimal) -> Money {
        Money::new(a, Currency::USD)
    }

    #[test]
    fn adds_and_subtracts_same_currency() {
        assert_eq!(
            usd(dec!(0.1)).checked_add(&usd(dec!(0.2))).unwrap(),
            usd(dec!(0.3))
        );
        assert_eq!(
            usd(dec!(10)).checked_sub(&usd(dec!(10.01))).unwrap(),
            usd(dec!(-0.01))
        );
        assert_eq!(
            Money::checked_sum(Currency::USD, &[usd(dec!(1.5)), usd(dec!(2.25))]).unwrap(),
            usd(dec!(3.75))
        );
        assert_eq!(
            Money::checked_sum(Currency::EUR, &[]).unwrap(),
            Money::zero(Currency::EUR)
        );
    }

    #[test]
    fn refuses_mixed_currencies() {
        let eur = Money::new(dec!(1), Currency::EUR);
        let err = usd(dec!(1)).checked_add(&eur).unwrap_err();
        assert_eq!(
            err,
            ModelError::CurrencyMismatch {
                op: "add",
                left: "USD".into(),
                right: "EUR".into()
            }
        );
        assert!(matches!(
            usd(dec!(1)).checked_sub(&eur),
            Err(ModelError::CurrencyMismatch { op: "subtract", .. })
        ));
        assert!(Money::checked_sum(Currency::USD, &[usd(dec!(1)), eur]).is_err());
    }

    #[test]
    fn reports_overflow() {
        assert_eq!(
            usd(Decimal::MAX).checked_add(&usd(dec!(1))),
            Err(ModelError::Overflow { op: "add money" })
        );
        assert!(usd(Decimal::MAX).checked_mul(dec!(2)).is_err());
    }

    #[test]
    fn rounds_to_minor_units() {
        assert_eq!(
            usd(dec!(10.005)).round_to_currency().amount.to_string(),
            "10.01"
        );
        assert_eq!(
            usd(dec!(-10.005)).round_to_currency().amount.to_string(),
            "-10.01"
        );
        assert_eq!(
            usd(dec!(10.004)).round_to_currency().amount.to_string(),
            "10.00"
        );
        assert_eq!(
            usd(dec!(10)).round_to_currency().amount.to_string(),
            "10.00"
        );
        let jpy = Money::new(dec!(1234.5), Currency::JPY).round_to_currency();
        assert_eq!(jpy.amount.to_string(), "1235");
        let kwd = Money::new(dec!(1.23456), Currency::parse("KWD").unwrap()).round_to_currency();
        assert_eq!(kwd.amount.to_string(), "1.235");
    }

    #[test]
    fn serde_shape() {
        let m = usd(dec!(19.99));
        let json = serde_json::to_value(m).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"amount": "19.99", "currency": "USD"})
        );
        let back: Money = serde_json::from_str(r#"{"amount": 19.99, "currency": "USD"}"#).unwrap();
        assert_eq!(back, m);
        assert!(serde_json::from_str::<Money>(r#"{"amount": 1, "currency": "usd"}"#).is_err());
        assert_eq!(m.to_string(), "19.99 USD");
    }

    fn amount() -> impl Strategy<Value = Decimal> {
        (-1_000_000_000_000i64..1_000_000_000_000, 0u32..=6).prop_map(|(m, s)| Decimal::new(m, s))
    }

    proptest! {
        #[test]
        fn add_then_sub_is_identity(a in amount(), b in amount()) {
            let (a, b) = (usd(a), usd(b));
            prop_assert_eq!(a.checked_add(&b).unwrap().checked_sub(&b).unwrap(), a);
        }

        #[test]
        fn addition_commutes_and_associates(a in amount(), b in amount(), c in amount()) {
            let (a, b, c) = (usd(a), usd(b), usd(c));
            prop_assert_eq!(a.checked_add(&b).unwrap(), b.checked_add(&a).unwrap());
            prop_assert_eq!(
                a.checked_add(&b).unwrap().checked_add(&c).unwrap(),
                a.checked_add(&b.checked_add(&c).unwrap()).unwrap()
            );
        }

        #[test]
        fn zero_is_neutral_and_negate_cancels(a in amount()) {
            let a = usd(a);
            prop_assert_eq!(a.checked_add(&Money::zero(Currency::USD)).unwrap(), a);
            prop_assert!(a.checked_add(&a.negate()).unwrap().is_zero());
        }

        #[test]
        fn rounding_is_idempotent_and_close(a in amount()) {
            let r = usd(a).round_to_currency();
            prop_assert_eq!(r.round_to_currency(), r);
            prop_assert_eq!(r.amount.scale(), 2);
            prop_assert!((r.amount - a).abs() <= dec!(0.005));
        }

        #[test]
        fn mixed_currencies_always_fail(a in amount(), b in amount()) {
            let eur = Money::new(b, Currency::EUR);
            prop_assert!(usd(a).checked_add(&eur).is_err());
            prop_assert!(usd(a).checked_sub(&eur).is_err());
        }

        #[test]
        fn serde_round_trip(a in amount()) {
            let m = usd(a);
            let back: Money = serde_json::from_str(&serde_json::to_string(&m).unwrap()).unwrap();
            prop_assert_eq!(back.amount.to_string(), m.amount.to_string());
        }
    }
}
