//! Is this interchange really between us and this trading partner? The ISA
//! sender/receiver qualifiers and ids and the GS application codes must be
//! the ones configured, else the file is refused naming the element.

use o2c_formats::x12::{Group, Interchange};
use serde::{Deserialize, Serialize};

/// One side's envelope ids: ISA qualifier and id, GS application code.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PartyIds {
    /// ISA05/ISA07 qualifier (`01` DUNS, `12` phone, `ZZ` mutually defined).
    pub isa_qualifier: String,
    /// ISA06/ISA08 id (compared without its padding).
    pub isa_id: String,
    /// GS02/GS03 application code; empty means the ISA id.
    pub gs_id: String,
}

impl PartyIds {
    /// The GS code, falling back to the ISA id as most partners use it.
    pub fn gs_code(&self) -> &str {
        if self.gs_id.is_empty() {
            &self.isa_id
        } else {
            &self.gs_id
        }
    }
}

/// An envelope element that does not carry the configured value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{element} is {found:?}, but the partner is configured with {expected:?}")]
pub struct EnvelopeMismatch {
    /// `ISA06`, `GS03`, ... (or `ISA` when the envelope is missing).
    pub element: String,
    /// 1-based segment number of the ISA or GS in the file.
    pub segment: usize,
    pub expected: String,
    pub found: String,
}

/// Checks the ISA of `interchange` and the GS of `group` (at `gs_segment`)
/// against the partner (`theirs`, the sender) and us (`ours`, the receiver).
pub fn check_envelope(
    interchange: &Interchange,
    isa_segment: usize,
    group: &Group,
    gs_segment: usize,
    theirs: &PartyIds,
    ours: &PartyIds,
) -> Result<(), EnvelopeMismatch> {
    let Some(isa) = &interchange.isa else {
        return Err(mismatch("ISA", isa_segment, "an ISA envelope", ""));
    };
    let isa_checks = [
        ("ISA05", &theirs.isa_qualifier, &isa.sender_qualifier),
        ("ISA06", &theirs.isa_id, &isa.sender_id),
        ("ISA07", &ours.isa_qualifier, &isa.receiver_qualifier),
        ("ISA08", &ours.isa_id, &isa.receiver_id),
    ];
    for (element, expected, found) in isa_checks {
        if expected.trim() != found.trim() {
            return Err(mismatch(
                element,
                isa_segment,
                expected.trim(),
                found.trim(),
            ));
        }
    }
    let Some(gs) = &group.gs else {
        return Err(mismatch("GS", gs_segment, "a GS group", ""));
    };
    for (element, expected, found) in [
        ("GS02", theirs.gs_code(), gs.sender_code.as_str()),
        ("GS03", ours.gs_code(), gs.receiver_code.as_str()),
    ] {
        if expected.trim() != found.trim() {
            return Err(mismatch(element, gs_segment, expected.trim(), found.trim()));
        }
    }
    Ok(())
}

fn mismatch(element: &str, segment: usize, expected: &str, found: &str) -> EnvelopeMismatch {
    EnvelopeMismatch {
        element: element.to_owned(),
        segment,
        expected: expected.to_owned(),
        found: found.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use o2c_formats::x12::parse;

    const FILE: &str = "ISA*00*          *00*          *01*000123456      *ZZ*PARTNERID      *090827*0936*U*00401*000000055*0*T*>~GS*PO*000123456*PARTNERID*20090827*1041*2*X*004010~ST*850*0003~BEG*00*SA*1000012**20090827~SE*3*0003~GE*1*2~IEA*1*000000055~";

    fn ids(qualifier: &str, id: &str) -> PartyIds {
        PartyIds {
            isa_qualifier: qualifier.into(),
            isa_id: id.into(),
            gs_id: String::new(),
        }
    }

    #[test]
    fn matching_ids_pass_and_a_wrong_one_is_named() {
        let file = parse(FILE.as_bytes()).expect("parse");
        let ic = &file.interchanges[0];
        let theirs = ids("01", "000123456");
        let ours = ids("ZZ", "PARTNERID");
        assert_eq!(
            check_envelope(ic, 1, &ic.groups[0], 2, &theirs, &ours),
            Ok(())
        );
        let wrong = ids("ZZ", "000123456");
        let error = check_envelope(ic, 1, &ic.groups[0], 2, &wrong, &ours).expect_err("ISA05");
        assert_eq!((error.element.as_str(), error.segment), ("ISA05", 1));
        assert_eq!(
            (error.expected.as_str(), error.found.as_str()),
            ("ZZ", "01")
        );
        let ours_gs = PartyIds {
            gs_id: "OTHER".into(),
            ..ours
        };
        let error = check_envelope(ic, 1, &ic.groups[0], 2, &theirs, &ours_gs).expect_err("GS03");
        assert_eq!(error.element, "GS03");
        assert!(error.to_string().contains("GS03 is \"PARTNERID\""));
    }
}
