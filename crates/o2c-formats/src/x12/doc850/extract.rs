//! Reads a [`PurchaseOrder`] from an 850 transaction set, segment by
//! segment: header until the first PO1, then line detail, then summary.

use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::types::{
    Amount, Carrier, Communication, Contact, DateRef, Destination, LinePrice, Pack, PartyLoop,
    PoLine, ProductId, PurchaseOrder, Reference,
};
use crate::x12::error::{ErrorKind, X12Error};
use crate::x12::model::{Segment, Transaction, X12File};

/// One segment with its file position, for located errors.
struct Seg<'a> {
    s: &'a Segment,
    no: usize,
}

impl Seg<'_> {
    fn err(&self, element: usize, kind: ErrorKind) -> X12Error {
        X12Error::at(self.no, &self.s.id, Some(element), kind)
    }

    fn opt(&self, n: usize) -> Option<String> {
        self.s.opt(n)
    }

    fn required(&self, n: usize) -> Result<String, X12Error> {
        self.opt(n)
            .ok_or_else(|| self.err(n, ErrorKind::MissingField))
    }

    fn decimal(&self, n: usize) -> Result<Option<Decimal>, X12Error> {
        let Some(text) = self.opt(n) else {
            return Ok(None);
        };
        parse_decimal(&text)
            .map(Some)
            .ok_or_else(|| self.invalid(n, &text, "not a number"))
    }

    fn date(&self, n: usize) -> Result<Option<NaiveDate>, X12Error> {
        let Some(text) = self.opt(n) else {
            return Ok(None);
        };
        parse_date(&text)
            .map(Some)
            .ok_or_else(|| self.invalid(n, &text, "not a CCYYMMDD or YYMMDD date"))
    }

    fn invalid(&self, n: usize, value: &str, reason: &str) -> X12Error {
        let kind = ErrorKind::InvalidValue {
            value: value.into(),
            reason: reason.into(),
        };
        self.err(n, kind)
    }
}

/// An X12 numeric (`R`/`N`) value: optional `-`, digits, optional decimals.
pub(crate) fn parse_decimal(text: &str) -> Option<Decimal> {
    let t = text.trim();
    let body = t.strip_prefix('-').unwrap_or(t);
    let ok = !body.is_empty()
        && body.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && body.bytes().filter(|b| *b == b'.').count() <= 1
        && body.bytes().any(|b| b.is_ascii_digit());
    if !ok {
        return None;
    }
    let fixed = match (t.starts_with('-'), body.starts_with('.')) {
        (true, true) => format!("-0{body}"),
        (false, true) => format!("0{body}"),
        _ => t.to_string(),
    };
    let fixed = fixed.strip_suffix('.').unwrap_or(&fixed);
    Decimal::from_str(fixed).ok()
}

/// A CCYYMMDD or YYMMDD date.
pub(crate) fn parse_date(text: &str) -> Option<NaiveDate> {
    match text.len() {
        8 => NaiveDate::parse_from_str(text, "%Y%m%d").ok(),
        6 => NaiveDate::parse_from_str(text, "%y%m%d").ok(),
        _ => None,
    }
}

fn reference(s: &Seg<'_>) -> Result<Reference, X12Error> {
    Ok(Reference {
        qualifier: s.required(1)?,
        value: s.opt(2).or_else(|| s.opt(3)).unwrap_or_default(),
        description: s.opt(3),
    })
}

fn contact(s: &Seg<'_>) -> Result<Contact, X12Error> {
    let communications = [(3, 4), (5, 6), (7, 8)]
        .into_iter()
        .filter_map(|(q, n)| {
            Some(Communication {
                qualifier: s.opt(q)?,
                number: s.opt(n)?,
            })
        })
        .collect();
    Ok(Contact {
        function: s.required(1)?,
        name: s.opt(2),
        communications,
    })
}

fn date_ref(s: &Seg<'_>) -> Result<DateRef, X12Error> {
    Ok(DateRef {
        qualifier: s.required(1)?,
        date: s.date(2)?,
        time: s.opt(3),
    })
}

fn party(s: &Seg<'_>) -> Result<PartyLoop, X12Error> {
    Ok(PartyLoop {
        entity: s.required(1)?,
        name: s.opt(2),
        id_qualifier: s.opt(3),
        id: s.opt(4),
        additional_names: Vec::new(),
        address_lines: Vec::new(),
        city: None,
        state: None,
        postal_code: None,
        country: None,
        contacts: Vec::new(),
    })
}

/// N2/N3/N4/PER into the current party loop; false if not a loop segment.
fn party_detail(p: &mut PartyLoop, s: &Seg<'_>) -> Result<bool, X12Error> {
    match s.s.id.as_str() {
        "N2" => p
            .additional_names
            .extend([s.opt(1), s.opt(2)].into_iter().flatten()),
        "N3" => p
            .address_lines
            .extend([s.opt(1), s.opt(2)].into_iter().flatten()),
        "N4" => {
            p.city = s.opt(1);
            p.state = s.opt(2);
            p.postal_code = s.opt(3);
            p.country = s.opt(4);
        }
        "PER" => p.contacts.push(contact(s)?),
        _ => return Ok(false),
    }
    Ok(true)
}

fn line(s: &Seg<'_>) -> Result<PoLine, X12Error> {
    let quantity = s
        .decimal(2)?
        .ok_or_else(|| s.err(2, ErrorKind::MissingField))?;
    let product_ids = (6..=24)
        .step_by(2)
        .filter_map(|q| {
            Some(ProductId {
                qualifier: s.opt(q)?,
                id: s.opt(q + 1)?,
            })
        })
        .collect();
    Ok(PoLine {
        line_number: s.opt(1),
        quantity,
        uom: s.opt(3),
        unit_price: s.decimal(4)?,
        price_basis: s.opt(5),
        product_ids,
        description: None,
        prices: Vec::new(),
        pack: None,
        destinations: Vec::new(),
        dates: Vec::new(),
        references: Vec::new(),
        parties: Vec::new(),
        notes: Vec::new(),
    })
}

fn destinations(s: &Seg<'_>) -> Result<Vec<Destination>, X12Error> {
    let mut out = Vec::new();
    for loc in (3..=21).step_by(2) {
        let Some(location) = s.opt(loc) else { continue };
        let quantity = s
            .decimal(loc + 1)?
            .ok_or_else(|| s.err(loc + 1, ErrorKind::MissingField))?;
        out.push(Destination {
            id_qualifier: s.opt(2),
            location,
            quantity,
            uom: s.opt(1),
        });
    }
    Ok(out)
}

/// Line-level segment into `l`.
fn line_detail(l: &mut PoLine, s: &Seg<'_>, in_party: bool) -> Result<bool, X12Error> {
    if in_party
        && let Some(p) = l.parties.last_mut()
        && party_detail(p, s)?
    {
        return Ok(true);
    }
    match s.s.id.as_str() {
        "PID" => {
            if l.description.is_none() {
                l.description = s.opt(5);
            }
        }
        "CTP" => {
            if let Some(price) = s.decimal(3)? {
                let qualifier = s.opt(2).unwrap_or_default();
                l.prices.push(LinePrice {
                    class: s.opt(1),
                    qualifier,
                    price,
                });
            }
        }
        "PO4" => {
            l.pack = Some(Pack {
                pack: s.decimal(1)?,
                size: s.decimal(2)?,
                uom: s.opt(3),
            })
        }
        "SDQ" => l.destinations.extend(destinations(s)?),
        "DTM" => l.dates.push(date_ref(s)?),
        "REF" => l.references.push(reference(s)?),
        "N1" => l.parties.push(party(s)?),
        "MTX" | "NTE" => l.notes.extend(s.opt(2)),
        _ => return Ok(false),
    }
    Ok(true)
}

impl PurchaseOrder {
    /// Reads an 850 transaction set.
    pub fn from_transaction(tx: &Transaction) -> Result<Self, X12Error> {
        if tx.st.set_id != "850" {
            let kind = ErrorKind::WrongTransactionSet {
                expected: "850".into(),
                found: tx.st.set_id.clone(),
            };
            return Err(X12Error::at(tx.start_segment, "ST", Some(1), kind));
        }
        let segs: Vec<Seg<'_>> = tx
            .segments
            .iter()
            .enumerate()
            .map(|(i, s)| Seg {
                s,
                no: tx.segment_number(i),
            })
            .collect();
        let Some(beg) = segs.iter().find(|s| s.s.id == "BEG") else {
            let kind = ErrorKind::MissingSegment("BEG".into());
            return Err(X12Error::at(tx.start_segment, "ST", None, kind));
        };
        let mut po = PurchaseOrder {
            control_number: tx.st.control_number.clone(),
            purpose: beg.opt(1).unwrap_or_default(),
            order_type: beg.opt(2).unwrap_or_default(),
            po_number: beg.required(3)?,
            release_number: beg.opt(4),
            po_date: beg.date(5)?,
            contract_number: beg.opt(6),
            currency: None,
            references: Vec::new(),
            contacts: Vec::new(),
            dates: Vec::new(),
            carriers: Vec::new(),
            parties: Vec::new(),
            notes: Vec::new(),
            lines: Vec::new(),
            line_count: None,
            hash_total: None,
            amounts: Vec::new(),
        };
        let mut in_party = false;
        for s in &segs {
            in_party = po.segment(s, in_party)?;
        }
        Ok(po)
    }

    /// Every 850 in `file`, in file order.
    pub fn all_in(file: &X12File) -> Result<Vec<Self>, X12Error> {
        file.transactions()
            .filter(|t| t.st.set_id == "850")
            .map(Self::from_transaction)
            .collect()
    }

    /// Applies one segment; returns whether an N1 loop is open.
    fn segment(&mut self, s: &Seg<'_>, in_party: bool) -> Result<bool, X12Error> {
        let id = s.s.id.as_str();
        match id {
            "CTT" => {
                self.line_count = s.decimal(1)?;
                self.hash_total = s.decimal(2)?;
                return Ok(false);
            }
            "AMT" => {
                if let Some(amount) = s.decimal(2)? {
                    let qualifier = s.opt(1).unwrap_or_default();
                    self.amounts.push(Amount { qualifier, amount });
                }
                return Ok(false);
            }
            "CUR" if self.currency.is_none() => {
                self.currency = s.opt(2);
                return Ok(in_party);
            }
            "PO1" => {
                self.lines.push(line(s)?);
                return Ok(false);
            }
            _ => {}
        }
        if let Some(l) = self.lines.last_mut() {
            line_detail(l, s, in_party)?;
            return Ok(id == "N1" || (in_party && matches!(id, "N2" | "N3" | "N4" | "PER")));
        }
        if in_party
            && let Some(p) = self.parties.last_mut()
            && party_detail(p, s)?
        {
            return Ok(true);
        }
        match id {
            "N1" => {
                self.parties.push(party(s)?);
                return Ok(true);
            }
            "REF" => self.references.push(reference(s)?),
            "PER" => self.contacts.push(contact(s)?),
            "DTM" => self.dates.push(date_ref(s)?),
            "TD5" => self.carriers.push(Carrier {
                routing_sequence: s.opt(1),
                id_qualifier: s.opt(2),
                id: s.opt(3),
                transport_method: s.opt(4),
                routing: s.opt(5),
            }),
            "MTX" | "NTE" => self.notes.extend(s.opt(2)),
            "MSG" => self.notes.extend(s.opt(1)),
            _ => {}
        }
        Ok(false)
    }
}
