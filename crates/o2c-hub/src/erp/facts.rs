//! What the ERP knows about an order before it is created there: who the
//! customer is and their credit standing, which products the lines name,
//! the customer's price and the ERP's tax for each line. The validation
//! rules compare the order with these facts; gathering them is the
//! adapter's job ([`super::Erp::order_facts`]), judging them is not.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

/// The ERP's view of one order.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ErpFacts {
    pub customer: CustomerFacts,
    /// One entry per order line, in the order's line order.
    pub lines: Vec<LineFacts>,
    /// The pricelist the order gets, as its currency decides.
    pub pricelist: PricelistFacts,
}

/// Which Odoo pricelist an order gets. Odoo keeps a sale order in its
/// pricelist's currency, so an order in another currency than its
/// customer's pricelist needs one in its own.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PricelistFacts {
    /// The customer's own pricelist, in the order's currency (or the
    /// customer is not known, so nothing was looked at).
    #[default]
    Customer,
    /// Another pricelist, in the order's currency: configured for the
    /// channel, or found in Odoo.
    Chosen { pricelist_id: i64, configured: bool },
    /// No pricelist in the order's currency: configured for the channel
    /// (`kind:account`) nor usable by the order's company.
    Unsupported {
        currency: String,
        customer_currency: String,
        channel: String,
    },
}

/// How the order's customer maps to an ERP record.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CustomerFacts {
    /// An existing record.
    Known {
        partner_id: i64,
        matched_by: CustomerMatch,
        credit: CreditFacts,
    },
    /// No record yet; the submission will create one (the channel may).
    New,
    /// No record, and the channel may not create customers.
    #[default]
    Unknown,
}

impl CustomerFacts {
    pub fn partner_id(&self) -> Option<i64> {
        match self {
            CustomerFacts::Known { partner_id, .. } => Some(*partner_id),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomerMatch {
    /// The order named the ERP record itself.
    ErpId,
    /// The hub's own external id from an earlier order.
    ExternalId,
    /// The partner's reference (`ref`) equals one of the order's customer ids.
    Reference,
    Email,
    Vat,
}

/// A customer's credit standing, in the company currency (receivables as
/// Odoo books them, open orders and this order converted at their rates).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct CreditFacts {
    /// `None`: no limit set (credit is not limited).
    pub limit: Option<Decimal>,
    /// Open receivables: the residual of posted customer invoices less
    /// credit notes.
    pub receivable: Decimal,
    /// What confirmed orders still have to invoice (their total less their
    /// posted invoices).
    pub open_orders: Decimal,
    pub overdue: Vec<OverdueInvoice>,
    /// The currency the limit and the amounts above are in (the company's)
    /// and how the order's own converts to it; `None`: the order's currency
    /// is the company's.
    pub currency: Option<CreditCurrency>,
}

/// The company currency of a credit check, as Odoo converts a sale order
/// into it (`amount_total / currency_rate`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CreditCurrency {
    /// ISO code of the company currency.
    pub code: String,
    /// Units of the order's currency per unit of the company's on the order
    /// date (`sale.order.currency_rate`).
    pub order_rate: Decimal,
    /// The company currency's rounding.
    pub rounding: Decimal,
}

/// An unpaid invoice; whether it counts as overdue is the rule's call
/// (it knows the grace period).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OverdueInvoice {
    pub name: String,
    pub due: NaiveDate,
    pub residual: Decimal,
}

/// What the ERP has for one line.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct LineFacts {
    /// `None`: no product matches the line's SKU.
    pub product: Option<ProductFacts>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProductFacts {
    pub product_id: i64,
    pub matched_by: ProductMatch,
    /// Archived or not sellable (`active` false / `sale_ok` false).
    pub discontinued: bool,
    /// The product's sales unit name.
    pub uom: Option<String>,
    /// How the line's unit (`quantity.uom`) relates to the product's.
    pub line_uom: LineUom,
    /// The customer's pricelist price per unit of the line, in the line's
    /// unit (`None`: not computed, e.g. an unknown customer).
    pub price_unit: Option<Decimal>,
    /// The tax the ERP computes for the line at the channel's price
    /// (`None`: not computed).
    pub tax: Option<Decimal>,
    /// Why the ERP's tax for the line cannot be computed by the hub (a
    /// Python-code tax, an unreadable fiscal position), when it cannot.
    pub tax_unchecked: Option<String>,
}

/// A line's unit of measure as the ERP sees it.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LineUom {
    /// The product's own unit (or the line names none).
    #[default]
    Product,
    /// Another unit the ERP converts: `ratio` product units in one line
    /// unit (12 for a case of 12 of a product sold in Units).
    Converted { uom_id: i64, ratio: Decimal },
    /// No ERP unit has the line's unit name.
    Unknown,
    /// A unit that does not convert to the product's (another category).
    Incompatible { uom_id: i64 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProductMatch {
    Sku,
    Barcode,
    /// The customer's own code for the product.
    CustomerCode,
}
