//! Which Odoo pricelist a channel's orders in a given currency use when
//! that currency is not their customer's pricelist's.
//!
//! Odoo keeps a sale order in its pricelist's currency (`currency_id`
//! follows `pricelist_id`), so an order in EUR for a customer whose
//! pricelist is in USD needs another pricelist. The `[pricelists]` table
//! names it per channel — its kind and account (`shopify:eu.myshopify.com`)
//! or the kind alone (`shopify`), the more specific key winning — and per
//! ISO currency code: `[pricelists."shopify:eu.myshopify.com"] EUR = 7`.
//! Without an entry the Odoo adapter looks for an active pricelist in that
//! currency that the order's company may use (see ADR 0022).

use std::collections::BTreeMap;

use serde::Deserialize;

/// `channel` (`kind:account` or `kind`) → currency code → pricelist id.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct ChannelPricelists(BTreeMap<String, BTreeMap<String, i64>>);

impl ChannelPricelists {
    pub fn new<C: Into<String>>(
        entries: impl IntoIterator<Item = (C, impl IntoIterator<Item = (C, i64)>)>,
    ) -> Self {
        Self(
            entries
                .into_iter()
                .map(|(channel, by_currency)| {
                    (
                        channel.into(),
                        by_currency
                            .into_iter()
                            .map(|(code, id)| {
                                let code: String = code.into();
                                (code.to_ascii_uppercase(), id)
                            })
                            .collect(),
                    )
                })
                .collect(),
        )
    }

    /// The pricelist configured for orders in `currency` of the channel
    /// named `kind:account`: the account's entry, else the kind's.
    pub fn for_channel(&self, channel: &str, currency: &str) -> Option<i64> {
        let kind = channel.split_once(':').map_or(channel, |(kind, _)| kind);
        let code = currency.to_ascii_uppercase();
        self.0
            .get(channel)
            .and_then(|m| m.get(&code))
            .or_else(|| self.0.get(kind).and_then(|m| m.get(&code)))
            .copied()
    }

    /// Entries that cannot be right: a currency that is not a 3-letter ISO
    /// code, or an id that cannot be a pricelist (Odoo ids start at 1).
    pub fn check(&self) -> Result<(), String> {
        for (channel, by_currency) in &self.0 {
            for (code, id) in by_currency {
                if o2c_model::Currency::parse(code).is_err() {
                    return Err(format!(
                        "pricelists.\"{channel}\".{code}: not an ISO 4217 currency code"
                    ));
                }
                if *id < 1 {
                    return Err(format!(
                        "pricelists.\"{channel}\".{code} = {id}: an Odoo pricelist id is a positive integer"
                    ));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_account_entry_wins_over_the_kind_per_currency() {
        let table = ChannelPricelists::new([
            ("shopify", vec![("EUR", 3), ("GBP", 4)]),
            ("shopify:eu.myshopify.com", vec![("eur", 7)]),
        ]);
        assert_eq!(
            table.for_channel("shopify:eu.myshopify.com", "EUR"),
            Some(7)
        );
        // the account names no GBP list: the kind's
        assert_eq!(
            table.for_channel("shopify:eu.myshopify.com", "GBP"),
            Some(4)
        );
        assert_eq!(
            table.for_channel("shopify:us.myshopify.com", "EUR"),
            Some(3)
        );
        assert_eq!(table.for_channel("shopify:us.myshopify.com", "USD"), None);
        assert_eq!(table.for_channel("edi:rk", "EUR"), None);
    }

    #[test]
    fn reads_from_a_table_and_refuses_what_cannot_be_right() {
        let table: ChannelPricelists =
            serde_json::from_value(serde_json::json!({"edi:rk": {"EUR": 9}})).expect("table");
        assert_eq!(table.for_channel("edi:rk", "eur"), Some(9));
        assert!(table.check().is_ok());
        let bad_code: ChannelPricelists =
            serde_json::from_value(serde_json::json!({"edi": {"EURO": 9}})).expect("table");
        assert!(bad_code.check().unwrap_err().contains("EURO"));
        let bad_id = ChannelPricelists::new([("edi", vec![("EUR", 0)])]);
        assert!(bad_id.check().unwrap_err().contains("positive"));
    }
}
