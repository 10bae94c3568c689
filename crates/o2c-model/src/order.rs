//! `Order`: the canonical sales order every channel is mapped to, exactly the
//! JSON the hub's REST API accepts, with amounts, validation and the
//! idempotency key.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::address::Address;
use crate::currency::Currency;
use crate::error::ModelError;
use crate::money::Money;
use crate::party::Party;
use crate::quantity::Quantity;
use crate::refs::{ExternalRef, refs_violations};
use crate::validation::{FieldViolation, Violations, child};

/// The kind of sales channel an order came from.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    /// The hub's own REST API.
    Rest,
    /// Shopify store.
    Shopify,
    /// Amazon Selling Partner.
    Amazon,
    /// EDI (X12 850 / EDIFACT ORDERS).
    Edi,
    /// CSV file drop.
    Csv,
    /// B2B customer portal.
    Portal,
    /// Salesforce (CPQ / Order objects).
    Salesforce,
}

impl ChannelKind {
    /// Every channel kind.
    pub const ALL: [ChannelKind; 7] = [
        ChannelKind::Rest,
        ChannelKind::Shopify,
        ChannelKind::Amazon,
        ChannelKind::Edi,
        ChannelKind::Csv,
        ChannelKind::Portal,
        ChannelKind::Salesforce,
    ];

    /// The snake_case wire name (`"shopify"`).
    pub fn as_str(&self) -> &'static str {
        match self {
            ChannelKind::Rest => "rest",
            ChannelKind::Shopify => "shopify",
            ChannelKind::Amazon => "amazon",
            ChannelKind::Edi => "edi",
            ChannelKind::Csv => "csv",
            ChannelKind::Portal => "portal",
            ChannelKind::Salesforce => "salesforce",
        }
    }
}

impl fmt::Display for ChannelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ChannelKind {
    type Err = ModelError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ChannelKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| ModelError::UnknownChannelKind {
                value: s.to_string(),
            })
    }
}

/// Which channel, and which account of it (store, trading partner, ...).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelRef {
    /// Channel kind.
    pub kind: ChannelKind,
    /// Account within the channel (Shopify shop domain, EDI partner id, API client).
    pub account: String,
}

/// Payment status as reported by the channel.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ChannelPaymentStatus {
    /// Nothing paid yet (e.g. terms / invoice later).
    Unpaid,
    /// Payment authorized, not captured.
    Authorized,
    /// Fully paid at the channel.
    Paid,
    /// Partly paid at the channel.
    PartiallyPaid,
    /// Refunded at the channel.
    Refunded,
}

/// A tax the channel computed or declared for a line.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TaxLine {
    /// Tax code or title as the channel names it (e.g. `"CA State Tax"`, `"VAT20"`).
    pub code: String,
    /// Rate as a fraction (`0.0725` = 7.25 %), when known.
    #[serde(
        default,
        with = "crate::decimal::option",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Option<crate::decimal::DecimalSchema>")]
    pub rate: Option<Decimal>,
    /// Tax amount in the order currency, when known.
    #[serde(
        default,
        with = "crate::decimal::option",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Option<crate::decimal::DecimalSchema>")]
    pub amount: Option<Decimal>,
}

/// One ordered product.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderLine {
    /// Line id, unique within the order (channel line id or position).
    pub line_id: String,
    /// Product SKU.
    pub sku: String,
    /// Line text as the channel shows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Ordered quantity (must be > 0).
    pub quantity: Quantity,
    /// Price per unit of `quantity.uom`, before discount and tax, in the order currency.
    #[serde(with = "crate::decimal")]
    #[schemars(with = "crate::decimal::DecimalSchema")]
    pub unit_price: Decimal,
    /// Discount in percent, 0 to 100 (default 0).
    #[serde(default, with = "crate::decimal")]
    #[schemars(with = "crate::decimal::DecimalSchema")]
    pub discount_percent: Decimal,
    /// Discount on the whole line as an amount in the order currency,
    /// applied after `discount_percent` (channels such as Shopify send
    /// amounts, not percentages).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::decimal::option"
    )]
    #[schemars(with = "Option<crate::decimal::DecimalSchema>")]
    pub discount_amount: Option<Decimal>,
    /// Taxes declared by the channel (default none).
    #[serde(default)]
    pub taxes: Vec<TaxLine>,
    /// Requested delivery date for this line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_date: Option<NaiveDate>,
}

/// Shipping charged to the customer.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ShippingCharge {
    /// Amount charged, before tax, in the order currency.
    #[serde(with = "crate::decimal")]
    #[schemars(with = "crate::decimal::DecimalSchema")]
    pub amount: Decimal,
    /// Shipping method text as the channel shows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Carrier code (e.g. `"UPS"`, `"FEDEX"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier_code: Option<String>,
    /// Carrier service level (e.g. `"GROUND"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
}

/// Totals as declared by the channel, kept to detect price mismatches.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclaredTotals {
    /// Sum of lines after discounts, before tax and shipping.
    #[serde(
        default,
        with = "crate::decimal::option",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Option<crate::decimal::DecimalSchema>")]
    pub subtotal: Option<Decimal>,
    /// Total tax.
    #[serde(
        default,
        with = "crate::decimal::option",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Option<crate::decimal::DecimalSchema>")]
    pub tax: Option<Decimal>,
    /// Shipping total.
    #[serde(
        default,
        with = "crate::decimal::option",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Option<crate::decimal::DecimalSchema>")]
    pub shipping: Option<Decimal>,
    /// Grand total the customer was charged or quoted.
    #[serde(with = "crate::decimal")]
    #[schemars(with = "crate::decimal::DecimalSchema")]
    pub total: Decimal,
}

/// Requested delivery window.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeliveryWindow {
    /// Not before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub earliest: Option<DateTime<Utc>>,
    /// Not after.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest: Option<DateTime<Utc>>,
}

/// The mapping rules (name and version) that produced a canonical message.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MappingRef {
    /// Mapping name, e.g. `"shopify-orders"`.
    pub name: String,
    /// Mapping version, starting at 1.
    #[schemars(range(min = 1))]
    pub version: u32,
}

/// A canonical sales order. All amounts are in `currency`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Order {
    /// Source channel and account.
    pub channel: ChannelRef,
    /// The order id in the channel (non-empty); with `channel` it is the idempotency key.
    #[schemars(length(min = 1))]
    pub channel_order_id: String,
    /// Customer purchase order number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_po: Option<String>,
    /// When the customer placed the order (UTC, RFC 3339).
    pub order_date: DateTime<Utc>,
    /// Currency of every amount in the order.
    pub currency: Currency,
    /// The ordering customer (at least `name`).
    pub customer: Party,
    /// Invoice address, if different from the customer's billing address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bill_to: Option<Address>,
    /// Delivery address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ship_to: Option<Address>,
    /// Ordered lines (at least one).
    #[schemars(length(min = 1))]
    pub lines: Vec<OrderLine>,
    /// Shipping charged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping: Option<ShippingCharge>,
    /// Totals declared by the channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declared_totals: Option<DeclaredTotals>,
    /// Payment status at the channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_status: Option<ChannelPaymentStatus>,
    /// Warehouse code requested by the channel or customer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_warehouse: Option<String>,
    /// Route (e.g. dropship, MTO) requested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
    /// Requested delivery window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_window: Option<DeliveryWindow>,
    /// Free-text notes from the customer or channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// Mapping rules that produced this order (absent for REST submissions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mapping: Option<MappingRef>,
    /// Reference to the stored original payload (inbox message id or URI).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_payload_ref: Option<String>,
    /// Other ids of this order (channel order number, Odoo `sale.order` id, ...).
    #[serde(default)]
    pub external_refs: Vec<ExternalRef>,
}

fn hundred() -> Decimal {
    Decimal::ONE_HUNDRED
}

/// `qty × price × (100 − discount) / 100`, checked.
fn checked_line_net(line: &OrderLine) -> Option<Decimal> {
    line.quantity
        .value
        .checked_mul(line.unit_price)?
        .checked_mul(hundred().checked_sub(line.discount_percent)?)?
        .checked_div(hundred())?
        .checked_sub(line.discount_amount.unwrap_or(Decimal::ZERO))
}

impl OrderLine {
    /// The whole line discount as one percentage of quantity × unit price
    /// (what an ERP with a single percent field needs), unrounded; zero for
    /// a zero-value line.
    pub fn effective_discount_percent(&self) -> Decimal {
        let gross = match self.quantity.value.checked_mul(self.unit_price) {
            Some(gross) if !gross.is_zero() => gross,
            _ => return self.discount_percent,
        };
        match checked_line_net(self)
            .and_then(|net| gross.checked_sub(net))
            .and_then(|off| off.checked_mul(hundred()))
            .and_then(|off| off.checked_div(gross))
        {
            Some(percent) => percent.normalize(),
            None => self.discount_percent,
        }
    }
}

impl Order {
    /// An amount in the order currency.
    pub fn money(&self, amount: Decimal) -> Money {
        Money::new(amount, self.currency)
    }

    /// Net amount of a line: quantity × unit price × (1 − discount / 100),
    /// not rounded. Saturates at the `Decimal` range, which
    /// [`Order::validate`] reports as a violation.
    pub fn line_net(&self, line: &OrderLine) -> Money {
        let amount = checked_line_net(line).unwrap_or_else(|| {
            let gross = line.quantity.value.saturating_mul(line.unit_price);
            if gross.is_sign_negative() {
                Decimal::MIN
            } else {
                Decimal::MAX
            }
        });
        self.money(amount)
    }

    /// Sum of [`Order::line_net`] over all lines, not rounded (saturating).
    pub fn subtotal(&self) -> Money {
        let amount = self.lines.iter().fold(Decimal::ZERO, |acc, l| {
            acc.saturating_add(self.line_net(l).amount)
        });
        self.money(amount)
    }

    /// Shipping charge (zero when absent).
    pub fn shipping_amount(&self) -> Money {
        self.money(self.shipping.as_ref().map_or(Decimal::ZERO, |s| s.amount))
    }

    /// The channel's declared grand total, if any.
    pub fn declared_total(&self) -> Option<Money> {
        self.declared_totals.as_ref().map(|t| self.money(t.total))
    }

    /// The line with `line_id`, if any.
    pub fn line(&self, line_id: &str) -> Option<&OrderLine> {
        self.lines.iter().find(|l| l.line_id == line_id)
    }

    /// `"{channel.kind}:{channel.account}:{channel_order_id}"`, e.g.
    /// `"shopify:acme.myshopify.com:450789469"`.
    pub fn idempotency_key(&self) -> String {
        format!(
            "{}:{}:{}",
            self.channel.kind, self.channel.account, self.channel_order_id
        )
    }

    /// Checks the order's structure and collects EVERY violation, each
    /// located by a JSON pointer (`/lines/0/quantity/value`).
    ///
    /// Business checks that need master data (known SKU, price, credit) are
    /// not done here.
    pub fn validate(&self) -> Result<(), Vec<FieldViolation>> {
        let mut v = Violations::default();
        v.require_text("/channel/account", &self.channel.account);
        v.require_text("/channel_order_id", &self.channel_order_id);
        v.optional_text("/customer_po", self.customer_po.as_deref());
        v.extend(self.customer.violations("/customer"));
        if let Some(a) = &self.bill_to {
            v.extend(a.violations("/bill_to"));
        }
        if let Some(a) = &self.ship_to {
            v.extend(a.violations("/ship_to"));
        }
        self.validate_lines(&mut v);
        if let Some(s) = &self.shipping {
            non_negative(&mut v, "/shipping/amount", s.amount);
            v.optional_text("/shipping/carrier_code", s.carrier_code.as_deref());
        }
        if let Some(t) = &self.declared_totals {
            for (name, value) in [
                ("subtotal", t.subtotal),
                ("tax", t.tax),
                ("shipping", t.shipping),
                ("total", Some(t.total)),
            ] {
                if let Some(value) = value {
                    non_negative(&mut v, child("/declared_totals", name), value);
                }
            }
        }
        if let Some(DeliveryWindow {
            earliest: Some(earliest),
            latest: Some(latest),
        }) = &self.delivery_window
            && earliest > latest
        {
            v.push(
                "/delivery_window/latest",
                format!("is before earliest ({})", earliest.to_rfc3339()),
            );
        }
        v.optional_text("/requested_warehouse", self.requested_warehouse.as_deref());
        v.optional_text("/route", self.route.as_deref());
        if let Some(m) = &self.mapping {
            v.require_text("/mapping/name", &m.name);
            if m.version == 0 {
                v.push("/mapping/version", "must be at least 1");
            }
        }
        v.optional_text("/source_payload_ref", self.source_payload_ref.as_deref());
        v.extend(refs_violations(&self.external_refs, "/external_refs"));
        v.finish()
    }

    fn validate_lines(&self, v: &mut Violations) {
        if self.lines.is_empty() {
            v.push("/lines", "must contain at least one line");
        }
        let mut first_index: HashMap<&str, usize> = HashMap::new();
        let mut total = Some(Decimal::ZERO);
        for (i, line) in self.lines.iter().enumerate() {
            let p = child("/lines", i);
            v.require_text(child(&p, "line_id"), &line.line_id);
            if !line.line_id.trim().is_empty() {
                if let Some(first) = first_index.get(line.line_id.as_str()) {
                    v.push(
                        child(&p, "line_id"),
                        format!(
                            "duplicate line_id `{}` (first used by /lines/{first})",
                            line.line_id
                        ),
                    );
                } else {
                    first_index.insert(&line.line_id, i);
                }
            }
            v.require_text(child(&p, "sku"), &line.sku);
            v.optional_text(child(&p, "description"), line.description.as_deref());
            if !line.quantity.is_positive() {
                v.push(
                    child(&child(&p, "quantity"), "value"),
                    format!("must be greater than zero (got {})", line.quantity.value),
                );
            }
            v.require_text(child(&child(&p, "quantity"), "uom"), &line.quantity.uom);
            non_negative(v, child(&p, "unit_price"), line.unit_price);
            if line.discount_percent < Decimal::ZERO || line.discount_percent > hundred() {
                v.push(
                    child(&p, "discount_percent"),
                    format!("must be between 0 and 100 (got {})", line.discount_percent),
                );
            }
            if let Some(amount) = line.discount_amount {
                non_negative(v, child(&p, "discount_amount"), amount);
                let gross = line.quantity.value.checked_mul(line.unit_price);
                if gross.is_some_and(|gross| amount > gross) {
                    v.push(
                        child(&p, "discount_amount"),
                        format!("must not exceed quantity × unit price (got {amount})"),
                    );
                }
            }
            for (k, tax) in line.taxes.iter().enumerate() {
                let tp = child(child(&p, "taxes"), k);
                v.require_text(child(&tp, "code"), &tax.code);
                if let Some(rate) = tax.rate {
                    non_negative(v, child(&tp, "rate"), rate);
                }
                if let Some(amount) = tax.amount {
                    non_negative(v, child(&tp, "amount"), amount);
                }
            }
            match checked_line_net(line) {
                Some(net) => total = total.and_then(|t| t.checked_add(net)),
                None => v.push(p, "line amount is out of the decimal range"),
            }
        }
        if total.is_none() && !self.lines.is_empty() {
            v.push("/lines", "order subtotal is out of the decimal range");
        }
    }
}

fn non_negative(v: &mut Violations, path: impl Into<String>, value: Decimal) {
    if value.is_sign_negative() && !value.is_zero() {
        v.push(path, format!("must not be negative (got {value})"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use rust_decimal_macros::dec;

    fn line(id: &str, qty: Decimal, price: Decimal) -> OrderLine {
        OrderLine {
            line_id: id.into(),
            sku: format!("SKU-{id}"),
            description: None,
            quantity: Quantity::new(qty, "Units"),
            unit_price: price,
            discount_percent: Decimal::ZERO,
            discount_amount: None,
            taxes: vec![],
            requested_date: None,
        }
    }

    fn order() -> Order {
        Order {
            channel: ChannelRef {
                kind: ChannelKind::Shopify,
                account: "acme.myshopify.com".into(),
            },
            channel_order_id: "450789469".into(),
            customer_po: None,
            order_date: Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap(),
            currency: Currency::USD,
            customer: Party::new("Jane Doe"),
            bill_to: None,
            ship_to: Some(Address::new("US")),
            lines: vec![line("1", dec!(3), dec!(19.99)), line("2", dec!(1), dec!(5))],
            shipping: None,
            declared_totals: None,
            payment_status: None,
            requested_warehouse: None,
            route: None,
            delivery_window: None,
            notes: None,
            mapping: None,
            source_payload_ref: None,
            external_refs: vec![],
        }
    }

    #[test]
    fn amounts() {
        let mut o = order();
        o.lines[0].discount_percent = dec!(10);
        assert_eq!(
            o.line_net(&o.lines[0]),
            Money::new(dec!(53.973), Currency::USD)
        );
        assert_eq!(o.subtotal(), Money::new(dec!(58.973), Currency::USD));
        assert_eq!(o.subtotal().round_to_currency().amount.to_string(), "58.97");
        assert_eq!(o.shipping_amount(), Money::zero(Currency::USD));
        o.lines[0].unit_price = Decimal::MAX;
        o.lines[0].discount_percent = Decimal::ZERO;
        assert_eq!(o.line_net(&o.lines[0]).amount, Decimal::MAX);
        assert!(o.validate().is_err());
    }

    #[test]
    fn idempotency_key() {
        assert_eq!(
            order().idempotency_key(),
            "shopify:acme.myshopify.com:450789469"
        );
    }

    #[test]
    fn valid_order_passes() {
        assert_eq!(order().validate(), Ok(()));
    }

    #[test]
    fn validate_collects_every_violation_with_pointers() {
        let mut o = order();
        o.channel_order_id = "  ".into();
        o.customer.name = String::new();
        o.ship_to = Some(Address {
            subdivision: Some("CA-ON".into()),
            ..Address::new("ZZ")
        });
        o.lines = vec![
            line("1", dec!(-2), dec!(10)),
            line("1", dec!(0), dec!(-1)),
            OrderLine {
                discount_percent: dec!(150),
                discount_amount: None,
                taxes: vec![TaxLine {
                    code: String::new(),
                    rate: Some(dec!(-0.1)),
                    amount: None,
                }],
                ..line("3", dec!(1), dec!(1))
            },
        ];
        o.mapping = Some(MappingRef {
            name: "shopify-orders".into(),
            version: 0,
        });
        let violations = o.validate().unwrap_err();
        let paths: Vec<&str> = violations.iter().map(|v| v.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "/channel_order_id",
                "/customer/name",
                "/ship_to/country",
                "/ship_to/subdivision",
                "/lines/0/quantity/value",
                "/lines/1/line_id",
                "/lines/1/quantity/value",
                "/lines/1/unit_price",
                "/lines/2/discount_percent",
                "/lines/2/taxes/0/code",
                "/lines/2/taxes/0/rate",
                "/mapping/version",
            ]
        );
        assert!(violations[5].message.contains("duplicate line_id `1`"));
        assert!(violations[4].message.contains("greater than zero"));
    }

    #[test]
    fn empty_lines_is_a_violation() {
        let mut o = order();
        o.lines.clear();
        assert_eq!(
            o.validate(),
            Err(vec![FieldViolation::new(
                "/lines",
                "must contain at least one line"
            )])
        );
    }

    #[test]
    fn delivery_window_order() {
        let mut o = order();
        o.delivery_window = Some(DeliveryWindow {
            earliest: Some(Utc.with_ymd_and_hms(2024, 5, 10, 0, 0, 0).unwrap()),
            latest: Some(Utc.with_ymd_and_hms(2024, 5, 9, 0, 0, 0).unwrap()),
        });
        assert_eq!(o.validate().unwrap_err()[0].path, "/delivery_window/latest");
    }

    #[test]
    fn serde_rejects_unknown_fields_and_defaults_optional_ones() {
        let mut json = serde_json::to_value(order()).unwrap();
        json["lines"][0]
            .as_object_mut()
            .unwrap()
            .remove("discount_percent");
        json["lines"][0].as_object_mut().unwrap().remove("taxes");
        let o: Order = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(o.lines[0].discount_percent, Decimal::ZERO);

        json["chanel_order_id"] = "x".into();
        let err = serde_json::from_value::<Order>(json.clone()).unwrap_err();
        assert!(
            err.to_string().contains("unknown field `chanel_order_id`"),
            "{err}"
        );
        json.as_object_mut().unwrap().remove("chanel_order_id");
        json["lines"][0]["qty"] = 1.into();
        assert!(serde_json::from_value::<Order>(json).is_err());
    }

    #[test]
    fn channel_kind_names() {
        for k in ChannelKind::ALL {
            assert_eq!(k.as_str().parse::<ChannelKind>().unwrap(), k);
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
        assert_eq!(
            serde_json::to_value(ChannelPaymentStatus::PartiallyPaid).unwrap(),
            "partially_paid"
        );
        assert!("ebay".parse::<ChannelKind>().is_err());
    }
}

#[cfg(test)]
mod discount_amount_tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn line(discount_percent: Decimal, discount_amount: Option<Decimal>) -> OrderLine {
        OrderLine {
            line_id: "1".into(),
            sku: "A".into(),
            description: None,
            quantity: Quantity::new(dec!(4), "Units"),
            unit_price: dec!(25.00),
            discount_percent,
            discount_amount,
            taxes: Vec::new(),
            requested_date: None,
        }
    }

    #[test]
    fn amount_discounts_reduce_the_net_and_give_an_equivalent_percent() {
        let l = line(Decimal::ZERO, Some(dec!(10.00)));
        assert_eq!(checked_line_net(&l), Some(dec!(90.00)));
        assert_eq!(l.effective_discount_percent(), dec!(10));
        let both = line(dec!(10), Some(dec!(5)));
        assert_eq!(checked_line_net(&both), Some(dec!(85)));
        assert_eq!(both.effective_discount_percent(), dec!(15));
        assert_eq!(
            line(dec!(12.5), None).effective_discount_percent(),
            dec!(12.5)
        );
    }
}
