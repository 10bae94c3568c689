//! EDI X12 850 intake: a raw interchange becomes one mapping input document
//! per 850 transaction set (envelope ids and control numbers, the partner's
//! options, and the typed purchase order), after the envelope has been
//! checked against the trading partner's configured ids.

mod envelope;

use o2c_formats::x12::doc850::PurchaseOrder;
use o2c_formats::x12::{Group, Interchange, ParseOptions, Transaction, X12Error, X12File};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

pub use envelope::{EnvelopeMismatch, PartyIds, check_envelope};

/// How a retail 850's SDQ store quantities become orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SdqSplit {
    /// One order per ship-to store (`<PO>/<store>`).
    #[default]
    PerStore,
    /// One order whose lines are split per store (`<line>@<store>`).
    Deliveries,
}

/// What the 850 mapping needs to know about the partner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MappingOptions {
    pub sdq_split: SdqSplit,
    /// Country of N4 addresses that omit N404 (US partners usually do).
    pub default_country: String,
    /// Currency when the 850 has no CUR segment.
    pub default_currency: Option<String>,
    /// The partner's store directory: SDQ store number → canonical
    /// address, where store orders ship when the 850 has no header ship-to.
    pub stores: std::collections::BTreeMap<String, Value>,
}

impl Default for MappingOptions {
    fn default() -> Self {
        Self {
            sdq_split: SdqSplit::PerStore,
            default_country: "US".into(),
            default_currency: Some("USD".into()),
            stores: Default::default(),
        }
    }
}

/// One 850 ready for the mapping, with the ids that make it unique.
#[derive(Debug, Clone, PartialEq)]
pub struct Document850 {
    /// ISA13, when the set came in an envelope.
    pub interchange_control: Option<String>,
    /// GS06, when the set came in a group.
    pub group_control: Option<String>,
    /// ST02.
    pub set_control: String,
    /// BEG03.
    pub po_number: String,
    /// The mapping input (see `mappings/edi-850/v1.jq`).
    pub input: Value,
}

/// Lenient parsing: real partners' files carry the quirks the codec
/// tolerates (BOM, unpadded ISA, line breaks); a missing envelope is
/// accepted only where the caller allows it (the CLI, not the hub).
pub fn parse_options(allow_missing_envelope: bool) -> ParseOptions {
    let mut options = ParseOptions::lenient();
    options.tolerate.missing_envelope = allow_missing_envelope;
    options
}

/// Every 850 of `file` as a mapping input, in file order.
pub fn documents(
    file: &X12File,
    partner: &str,
    options: &MappingOptions,
) -> Result<Vec<Document850>, X12Error> {
    let mut out = Vec::new();
    for interchange in &file.interchanges {
        for group in &interchange.groups {
            for tx in group.transactions.iter().filter(|t| t.st.set_id == "850") {
                out.push(document_of(interchange, group, tx, partner, options)?);
            }
        }
    }
    Ok(out)
}

/// One 850 transaction set of `group` in `interchange` as a mapping input.
pub fn document_of(
    interchange: &Interchange,
    group: &Group,
    tx: &Transaction,
    partner: &str,
    options: &MappingOptions,
) -> Result<Document850, X12Error> {
    let po = PurchaseOrder::from_transaction(tx)?;
    let isa = interchange.isa.as_ref().map(|isa| {
        json!({
            "sender_qualifier": isa.sender_qualifier.trim(),
            "sender_id": isa.sender_id.trim(),
            "receiver_qualifier": isa.receiver_qualifier.trim(),
            "receiver_id": isa.receiver_id.trim(),
            "control_number": isa.control_number.trim(),
            "version": isa.version.trim(),
            "usage_indicator": isa.usage_indicator.trim(),
        })
    });
    let gs = group.gs.as_ref().map(|gs| {
        json!({
            "functional_id": gs.functional_id,
            "sender_code": gs.sender_code,
            "receiver_code": gs.receiver_code,
            "control_number": gs.control_number,
            "version": gs.version,
        })
    });
    let input = json!({
        "partner": partner,
        "options": options,
        "interchange": isa,
        "group": gs,
        "transaction": { "set_id": tx.st.set_id, "control_number": tx.st.control_number },
        "purchase_order": po,
    });
    Ok(Document850 {
        interchange_control: interchange
            .isa
            .as_ref()
            .map(|i| i.control_number.trim().to_owned()),
        group_control: group.gs.as_ref().map(|g| g.control_number.clone()),
        set_control: tx.st.control_number.clone(),
        po_number: po.po_number,
        input,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use o2c_formats::x12::parse_with;

    const SINGLE: &str = "ISA*00*          *00*          *01*000123456      *ZZ*PARTNERID      *090827*0936*U*00401*000000055*0*T*>~GS*PO*000123456*PARTNERID*20090827*1041*2*X*004010~ST*850*0003~BEG*00*SA*1000012**20090827~PO1*1*1*EA*19.95**VN*0054321~CTT*1*1~SE*5*0003~GE*1*2~IEA*1*000000055~";

    #[test]
    fn one_document_per_850_with_its_control_numbers() {
        let parsed = parse_with(SINGLE.as_bytes(), &parse_options(false)).expect("parse");
        let docs = documents(&parsed.file, "acme", &MappingOptions::default()).expect("docs");
        assert_eq!(docs.len(), 1);
        let doc = &docs[0];
        assert_eq!(doc.interchange_control.as_deref(), Some("000000055"));
        assert_eq!(doc.group_control.as_deref(), Some("2"));
        assert_eq!(
            (doc.set_control.as_str(), doc.po_number.as_str()),
            ("0003", "1000012")
        );
        assert_eq!(doc.input["interchange"]["sender_id"], "000123456");
        assert_eq!(doc.input["options"]["sdq_split"], "per_store");
        assert_eq!(
            doc.input["purchase_order"]["lines"][0]["unit_price"],
            "19.95"
        );
    }

    #[test]
    fn a_bare_set_is_refused_unless_allowed() {
        let bare = "ST*850*0001~BEG*00*SA*9**20200101~PO1*1*1*EA*1**VN*X~SE*4*0001~";
        let error =
            parse_with(bare.as_bytes(), &parse_options(false)).expect_err("strict envelope");
        assert_eq!(error.position.segment_id, "ST");
        assert!(parse_with(bare.as_bytes(), &parse_options(true)).is_ok());
    }
}
