//! The 850 purchase order types and their look-up helpers.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// REF reference identification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    /// REF01 qualifier (`DP` department, `IA` vendor number, ...).
    pub qualifier: String,
    /// REF02 value.
    pub value: String,
    /// REF03 description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// One communication number of a PER segment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Communication {
    /// Qualifier (`TE` phone, `EM` e-mail, `FX` fax).
    pub qualifier: String,
    /// Number or address.
    pub number: String,
}

/// PER administrative contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    /// PER01 contact function (`BD` buyer, `OC` order contact, ...).
    pub function: String,
    /// PER02 name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// PER03..PER08 pairs.
    pub communications: Vec<Communication>,
}

/// DTM date/time reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DateRef {
    /// DTM01 qualifier (`002` delivery requested, `010` ship requested, ...).
    pub qualifier: String,
    /// DTM02 date, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<NaiveDate>,
    /// DTM03 time as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
}

/// TD5 carrier details (routing sequence / transit time).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Carrier {
    /// TD501 routing sequence code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routing_sequence: Option<String>,
    /// TD502 identification code qualifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_qualifier: Option<String>,
    /// TD503 carrier code (SCAC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// TD504 transportation method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transport_method: Option<String>,
    /// TD505 routing text or service (e.g. `UPSG`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routing: Option<String>,
}

/// An N1 loop: party name, id and address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartyLoop {
    /// N101 entity identifier (`ST` ship-to, `BT` bill-to, `BY` buyer, ...).
    pub entity: String,
    /// N102 name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// N103 id code qualifier (`92` assigned by buyer, `9` DUNS+4, `UL` GLN).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_qualifier: Option<String>,
    /// N104 id code (store or DC number).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// N2 additional names.
    pub additional_names: Vec<String>,
    /// N3 address lines.
    pub address_lines: Vec<String>,
    /// N401 city.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// N402 state or province code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// N403 postal code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// N404 country code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// PER contacts inside the loop.
    pub contacts: Vec<Contact>,
}

/// A product id qualifier/value pair of PO1 (PO106/PO107, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductId {
    /// Qualifier (`UP` UPC, `VP`/`VN` vendor part, `BP` buyer part, `IN`, `SK` SKU, ...).
    pub qualifier: String,
    /// The id.
    pub id: String,
}

/// CTP pricing information.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinePrice {
    /// CTP01 class of trade.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    /// CTP02 price qualifier (`RTL` retail, `DIS` distributor, ...).
    pub qualifier: String,
    /// CTP03 unit price.
    pub price: Decimal,
}

/// PO4 item physical details (pack).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pack {
    /// PO401 inner packs per outer pack.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pack: Option<Decimal>,
    /// PO402 size of each unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<Decimal>,
    /// PO403 unit of the size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uom: Option<String>,
}

/// One SDQ destination: quantity of a line for one store / location.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Destination {
    /// SDQ02 id qualifier (`92` buyer-assigned store number).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_qualifier: Option<String>,
    /// Location (store) code.
    pub location: String,
    /// Quantity for that location.
    pub quantity: Decimal,
    /// SDQ01 unit of measure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uom: Option<String>,
}

/// One PO1 line with its sub-segments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoLine {
    /// PO101 assigned line number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_number: Option<String>,
    /// PO102 quantity ordered.
    pub quantity: Decimal,
    /// PO103 unit of measure (`EA`, `CA`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uom: Option<String>,
    /// PO104 unit price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_price: Option<Decimal>,
    /// PO105 basis of unit price (`PE`, `WE`, `TE`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_basis: Option<String>,
    /// PO106..PO125 qualifier/id pairs.
    pub product_ids: Vec<ProductId>,
    /// PID05 description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// CTP prices.
    pub prices: Vec<LinePrice>,
    /// PO4 pack details.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pack: Option<Pack>,
    /// SDQ store-level quantity splits.
    pub destinations: Vec<Destination>,
    /// Line DTM dates.
    pub dates: Vec<DateRef>,
    /// Line REF references.
    pub references: Vec<Reference>,
    /// Line-level N1 loops (per-line ship-to).
    pub parties: Vec<PartyLoop>,
    /// Line-level MTX/NTE text.
    pub notes: Vec<String>,
}

impl PoLine {
    /// The product id with `qualifier` (`UP`, `VP`, `BP`, `IN`, `SK`, ...).
    pub fn product_id(&self, qualifier: &str) -> Option<&str> {
        self.product_ids
            .iter()
            .find(|p| p.qualifier == qualifier)
            .map(|p| p.id.as_str())
    }

    /// The CTP price with `qualifier`.
    pub fn price(&self, qualifier: &str) -> Option<Decimal> {
        self.prices
            .iter()
            .find(|p| p.qualifier == qualifier)
            .map(|p| p.price)
    }

    /// Sum of the SDQ quantities (saturating).
    pub fn destinations_total(&self) -> Decimal {
        self.destinations
            .iter()
            .fold(Decimal::ZERO, |a, d| a.saturating_add(d.quantity))
    }
}

/// AMT monetary amount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Amount {
    /// AMT01 qualifier (`TT` total transaction amount, `1` line item total).
    pub qualifier: String,
    /// AMT02 amount.
    pub amount: Decimal,
}

/// A typed 850 purchase order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurchaseOrder {
    /// ST02 control number.
    pub control_number: String,
    /// BEG01 purpose (`00` original, `05` replace, ...).
    pub purpose: String,
    /// BEG02 type (`SA` stand-alone, `DS` drop-ship, `NE` new order, ...).
    pub order_type: String,
    /// BEG03 purchase order number.
    pub po_number: String,
    /// BEG04 release number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_number: Option<String>,
    /// BEG05 purchase order date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub po_date: Option<NaiveDate>,
    /// BEG06 contract number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract_number: Option<String>,
    /// CUR02 currency code (first CUR).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// Header REF references.
    pub references: Vec<Reference>,
    /// Header PER contacts.
    pub contacts: Vec<Contact>,
    /// Header DTM dates.
    pub dates: Vec<DateRef>,
    /// TD5 carrier details.
    pub carriers: Vec<Carrier>,
    /// Header N1 loops.
    pub parties: Vec<PartyLoop>,
    /// Header MTX/NTE/MSG text.
    pub notes: Vec<String>,
    /// PO1 lines.
    pub lines: Vec<PoLine>,
    /// CTT01 number of line items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line_count: Option<Decimal>,
    /// CTT02 hash total (sum of quantities).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash_total: Option<Decimal>,
    /// AMT amounts.
    pub amounts: Vec<Amount>,
}

impl PurchaseOrder {
    /// The first header N1 loop with entity `code`.
    pub fn party(&self, code: &str) -> Option<&PartyLoop> {
        self.parties.iter().find(|p| p.entity == code)
    }

    /// Ship-to party (N1*ST).
    pub fn ship_to(&self) -> Option<&PartyLoop> {
        self.party("ST")
    }

    /// Bill-to party (N1*BT).
    pub fn bill_to(&self) -> Option<&PartyLoop> {
        self.party("BT")
    }

    /// The first header date with `qualifier`.
    pub fn date(&self, qualifier: &str) -> Option<NaiveDate> {
        self.dates
            .iter()
            .find(|d| d.qualifier == qualifier)
            .and_then(|d| d.date)
    }

    /// The first header reference with `qualifier`.
    pub fn reference(&self, qualifier: &str) -> Option<&str> {
        self.references
            .iter()
            .find(|r| r.qualifier == qualifier)
            .map(|r| r.value.as_str())
    }
}
