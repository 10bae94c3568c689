//! Which Odoo company each channel's orders belong to.
//!
//! Distributors often run several companies in one Odoo database; every
//! Odoo call made for an order runs as its channel's company (see
//! `o2c_odoo::company`). The `[companies]` table maps a channel — its kind
//! and account (`shopify:acme.myshopify.com`) or the kind alone
//! (`shopify`) — to a `res.company` id; the more specific key wins. An EDI
//! trading partner's `odoo_company_id` is its `edi:<partner>` entry. A
//! channel with no entry uses the Odoo user's default company.

use std::collections::BTreeMap;

use o2c_odoo::CompanyId;
use serde::Deserialize;

use crate::edi::EdiConfig;

/// `channel` (`kind:account` or `kind`) → Odoo company id.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Companies(BTreeMap<String, i64>);

impl Companies {
    pub fn new(entries: impl IntoIterator<Item = (String, i64)>) -> Self {
        Self(entries.into_iter().collect())
    }

    /// The table with every EDI partner's `odoo_company_id` as its
    /// `edi:<partner>` entry (the partner's own setting wins over a table
    /// entry for the same key: it is the one next to the partner).
    pub fn with_edi_partners(mut self, edi: &EdiConfig) -> Self {
        for partner in &edi.partners {
            if let Some(id) = partner.odoo_company_id {
                self.0.insert(format!("edi:{}", partner.id), id);
            }
        }
        self
    }

    /// The company of a channel named `kind:account` (as stored on the
    /// order record), or `None` for the user's default company.
    pub fn for_channel(&self, channel: &str) -> Option<CompanyId> {
        let kind = channel.split_once(':').map_or(channel, |(kind, _)| kind);
        self.0
            .get(channel)
            .or_else(|| self.0.get(kind))
            .copied()
            .map(CompanyId)
    }

    /// Entries that cannot be a company id (Odoo ids start at 1).
    pub fn check(&self) -> Result<(), String> {
        match self.0.iter().find(|(_, id)| **id < 1) {
            Some((channel, id)) => Err(format!(
                "companies.\"{channel}\" = {id}: an Odoo company id is a positive integer"
            )),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edi::EdiPartner;

    fn table() -> Companies {
        Companies::new([
            ("shopify".to_owned(), 1),
            ("shopify:eu.myshopify.com".to_owned(), 2),
            ("amazon:A1PA6795UKMFR9".to_owned(), 3),
        ])
    }

    #[test]
    fn the_account_entry_wins_over_the_kind() {
        let companies = table();
        assert_eq!(
            companies.for_channel("shopify:eu.myshopify.com"),
            Some(CompanyId(2))
        );
        assert_eq!(
            companies.for_channel("shopify:us.myshopify.com"),
            Some(CompanyId(1))
        );
        assert_eq!(
            companies.for_channel("amazon:A1PA6795UKMFR9"),
            Some(CompanyId(3))
        );
    }

    #[test]
    fn an_unmapped_channel_uses_the_default_company() {
        assert_eq!(table().for_channel("amazon:ATVPDKIKX0DER"), None);
        assert_eq!(table().for_channel("csv:upload"), None);
        assert_eq!(Companies::default().for_channel("shopify:x"), None);
    }

    #[test]
    fn edi_partners_feed_the_same_lookup() {
        let edi = EdiConfig {
            partners: vec![
                EdiPartner {
                    id: "rk".into(),
                    odoo_company_id: Some(4),
                    ..EdiPartner::default()
                },
                EdiPartner {
                    id: "other".into(),
                    ..EdiPartner::default()
                },
            ],
            ..EdiConfig::default()
        };
        let companies = Companies::new([("edi".to_owned(), 5), ("edi:rk".to_owned(), 6)])
            .with_edi_partners(&edi);
        assert_eq!(companies.for_channel("edi:rk"), Some(CompanyId(4)));
        assert_eq!(companies.for_channel("edi:other"), Some(CompanyId(5)));
    }

    #[test]
    fn reads_from_a_table() {
        let companies: Companies =
            serde_json::from_value(serde_json::json!({"shopify:eu.myshopify.com": 2, "edi": 3}))
                .expect("table");
        assert_eq!(
            companies.for_channel("shopify:eu.myshopify.com"),
            Some(CompanyId(2))
        );
        assert_eq!(companies.for_channel("edi:x"), Some(CompanyId(3)));
        assert!(Companies::new([("csv".to_owned(), 0)]).check().is_err());
        assert!(companies.check().is_ok());
    }
}
