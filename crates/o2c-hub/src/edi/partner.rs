//! EDI trading partner settings (the `[edi]` section): who they are in the
//! envelopes, what they expect back and when, how their retail 850s split,
//! where their files come and go, and their codes translated to ours.

use std::path::PathBuf;

use o2c_connectors::ValueMaps;
use o2c_connectors::edi::{MappingOptions, PartyIds, SdqSplit};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct EdiConfig {
    /// Where hubs before ADR 0014 kept control numbers and PO tracking;
    /// read at start only, to import them into the store.
    pub state_dir: String,
    /// How often inbound folders are read and acknowledgments checked.
    pub poll_interval_ms: u64,
    /// An alert is raised this long before an acknowledgment deadline.
    pub deadline_alert_lead_minutes: i64,
    pub partners: Vec<EdiPartner>,
}

impl Default for EdiConfig {
    fn default() -> Self {
        Self {
            state_dir: "edi-state".into(),
            poll_interval_ms: 5_000,
            deadline_alert_lead_minutes: 120,
            partners: Vec::new(),
        }
    }
}

impl EdiConfig {
    pub fn partner(&self, id: &str) -> Option<&EdiPartner> {
        self.partners.iter().find(|p| p.id == id)
    }

    /// Checks what serde cannot: unique ids, ids that fit the ISA, folders.
    pub fn check(&self) -> Result<(), String> {
        let mut seen = std::collections::BTreeSet::new();
        for p in &self.partners {
            if p.id.trim().is_empty()
                || !p
                    .id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
            {
                return Err(format!(
                    "edi partner id {:?} must be letters, digits, '-', '_' or '.'",
                    p.id
                ));
            }
            if !seen.insert(&p.id) {
                return Err(format!("edi partner {} is configured twice", p.id));
            }
            for (side, ids) in [("theirs", &p.theirs), ("ours", &p.ours)] {
                if ids.isa_qualifier.trim().len() != 2 {
                    return Err(format!(
                        "edi partner {}: {side}.isa_qualifier must be 2 characters (ISA05/ISA07)",
                        p.id
                    ));
                }
                if ids.isa_id.trim().is_empty() || ids.isa_id.trim().len() > 15 {
                    return Err(format!(
                        "edi partner {}: {side}.isa_id must be 1 to 15 characters (ISA06/ISA08)",
                        p.id
                    ));
                }
            }
            if p.acknowledgments.po_855.is_some() && p.acknowledgments.deadline_hours <= 0 {
                return Err(format!(
                    "edi partner {}: acknowledgments.deadline_hours must be positive",
                    p.id
                ));
            }
        }
        Ok(())
    }
}

/// One trading partner.
#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(default, deny_unknown_fields)]
pub struct EdiPartner {
    /// Used in the URL (`/v1/channels/edi/<id>`) and as the channel account.
    pub id: String,
    /// The Odoo company their orders belong to.
    pub odoo_company_id: Option<i64>,
    /// Their envelope ids (ISA05/ISA06, GS02 on what they send).
    pub theirs: PartyIds,
    /// Our envelope ids (ISA07/ISA08, GS03 on what they send).
    pub ours: PartyIds,
    /// `T` when exchanging test files; what we send carries it in ISA15.
    pub usage_indicator: Option<String>,
    pub acknowledgments: AckSettings,
    /// How SDQ store quantities become orders.
    pub sdq_split: SdqSplit,
    /// Country for addresses without N404.
    pub default_country: Option<String>,
    /// Currency for 850s without CUR.
    pub default_currency: Option<String>,
    /// Files dropped here are read (an SFTP landing folder in real life).
    pub inbound_dir: Option<String>,
    /// 997 and 855 files are written here.
    pub outbound_dir: String,
    /// Their codes → ours: `uom`, `sku`, `carrier` tables.
    pub value_maps: ValueMaps,
    /// Their store numbers (SDQ, N1*ST ids) → canonical addresses.
    pub stores: std::collections::BTreeMap<String, serde_json::Value>,
}

/// What the partner expects back.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct AckSettings {
    /// A 997 for every functional group received.
    pub functional_997: bool,
    /// Which 855, if any.
    pub po_855: Option<PoAckKind>,
    /// The 855 is due this many hours after the 850 arrived.
    pub deadline_hours: i64,
    /// What an order held by validation makes the 855 say.
    pub on_hold: HoldAnswer,
    /// What an 850 that parses but cannot be mapped to orders makes the
    /// 855 say.
    pub on_unmappable: UnmappableAnswer,
    /// What an order Odoo refused at submission makes the 855 say.
    pub on_refusal: RefusalAnswer,
    /// Tell the partner why, in the 855: each refused or rejected line
    /// (`IR`, or a quantity cut because a store order was refused) gets an
    /// N9 `L1` note with the reason code and MSG text after its ACK; a PO
    /// rejected whole (`RJ`), or any rejection in a header-only 855, gets
    /// the note in the heading. Off by default: some partners' translators
    /// refuse segments their guide does not list.
    pub send_reasons: bool,
}

impl Default for AckSettings {
    fn default() -> Self {
        Self {
            functional_997: true,
            po_855: None,
            deadline_hours: 24,
            on_hold: HoldAnswer::Wait,
            on_unmappable: UnmappableAnswer::Reject,
            on_refusal: RefusalAnswer::Reject,
            send_reasons: false,
        }
    }
}

/// The answer to an order Odoo refused at submission (a hold placed by
/// Odoo's answer after validation passed, or its job dead-lettered with
/// Odoo's error).
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum RefusalAnswer {
    /// The refused order's lines are rejected (`IR`) at once; the PO's
    /// other orders answer for their own lines.
    #[default]
    Reject,
    /// No 855 until an operator settles the order (the deadline alert warns).
    Wait,
}

/// The answer to a PO that cannot become orders (a line without an item
/// id, a code the mapping does not know). Either way the file is kept and a
/// `mapping_failed` exception is opened.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum UnmappableAnswer {
    /// An 855 rejecting the whole PO (`BAK02 = RJ`, no line detail) at once.
    #[default]
    Reject,
    /// No 855 until a corrected 850 with the same PO number maps; the
    /// deadline alert warns.
    Wait,
}

/// The 855 a partner expects.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PoAckKind {
    /// BAK plus PO1/ACK for every line (accepted, changed, rejected).
    LineDetail,
    /// BAK only (AD accepted, AC changed, RD rejected).
    HeaderOnly,
}

/// What a validation hold answers.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum HoldAnswer {
    /// No 855 until an operator resolves the hold (the deadline alert warns).
    #[default]
    Wait,
    /// The held order's lines are rejected at once.
    Reject,
}

impl EdiPartner {
    pub fn mapping_options(&self) -> MappingOptions {
        let defaults = MappingOptions::default();
        MappingOptions {
            sdq_split: self.sdq_split,
            default_country: self
                .default_country
                .clone()
                .unwrap_or(defaults.default_country),
            default_currency: self.default_currency.clone().or(defaults.default_currency),
            stores: self.stores.clone(),
        }
    }

    pub fn inbound_dir(&self) -> Option<PathBuf> {
        self.inbound_dir.as_ref().map(PathBuf::from)
    }

    pub fn outbound_dir(&self) -> PathBuf {
        PathBuf::from(&self.outbound_dir)
    }

    /// `edi:<id>`, the channel name of their orders.
    pub fn channel(&self) -> String {
        format!("edi:{}", self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn partner() -> EdiPartner {
        serde_json::from_value(serde_json::json!({
            "id": "rk",
            "odoo_company_id": 2,
            "theirs": { "isa_qualifier": "ZZ", "isa_id": "RKSTORES" },
            "ours": { "isa_qualifier": "01", "isa_id": "123456789", "gs_id": "ACMEDIST" },
            "acknowledgments": { "po_855": "line_detail", "deadline_hours": 24, "on_hold": "reject" },
            "sdq_split": "deliveries",
            "outbound_dir": "/srv/edi/rk/out",
            "value_maps": { "uom": { "EA": "Units", "CA": "Case" }, "sku": { "27120100": "LED-2400" } }
        }))
        .expect("partner")
    }

    #[test]
    fn a_partner_reads_from_config_data() {
        let p = partner();
        assert!(p.acknowledgments.functional_997);
        assert_eq!(p.acknowledgments.po_855, Some(PoAckKind::LineDetail));
        assert_eq!(p.acknowledgments.on_hold, HoldAnswer::Reject);
        assert_eq!(p.mapping_options().sdq_split, SdqSplit::Deliveries);
        assert_eq!(p.mapping_options().default_country, "US");
        assert_eq!(p.value_maps.lookup("uom", "CA"), Some("Case"));
        assert_eq!(p.ours.gs_code(), "ACMEDIST");
        assert_eq!(p.theirs.gs_code(), "RKSTORES");
        let config = EdiConfig {
            partners: vec![p.clone()],
            ..EdiConfig::default()
        };
        assert_eq!(config.check(), Ok(()));
        assert!(config.partner("rk").is_some());
    }

    #[test]
    fn bad_partners_are_named() {
        let mut p = partner();
        p.theirs.isa_qualifier = "Z".into();
        let config = EdiConfig {
            partners: vec![p],
            ..EdiConfig::default()
        };
        assert!(
            config
                .check()
                .expect_err("qualifier")
                .contains("theirs.isa_qualifier")
        );
        let config = EdiConfig {
            partners: vec![partner(), partner()],
            ..EdiConfig::default()
        };
        assert!(config.check().expect_err("twice").contains("twice"));
    }
}
