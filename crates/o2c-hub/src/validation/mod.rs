//! Business validation before an order reaches the ERP: each rule is pure,
//! configurable per channel, and yields a typed reason that puts the order
//! on hold with an actionable exception instead of failing somewhere later.
//!
//! The rules that need the ERP's data (customer credit, pricelist prices,
//! computed taxes) run against facts the connector supplies; the rules here
//! need only the canonical order.

mod duplicates;
mod erp_rules;
mod step;
mod totals;

use std::collections::BTreeMap;

use o2c_flow::HoldReason;
use o2c_model::Order;
use rust_decimal::Decimal;
use serde::Deserialize;

pub use duplicates::fingerprint;
pub use erp_rules::check_facts;
pub use step::{CheckError, Checked, check_order};
pub use totals::{TotalsCheck, check_totals};

/// Rule settings; `channels` overrides them per channel (`kind:account`, or
/// just the channel kind).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default)]
pub struct ValidationPolicy {
    /// Largest difference between the declared total and the computed one
    /// that counts as rounding, in the order currency.
    pub totals_tolerance: Decimal,
    /// The same as a share of the declared total (0.001 = 0.1 %); the
    /// larger of the two applies.
    pub totals_tolerance_ratio: Decimal,
    /// Orders must name where to deliver (off for pick-up channels).
    pub require_ship_to: bool,
    /// Whether a customer Odoo does not know yet may be created (off: such
    /// an order holds with `unknown_customer`).
    pub create_customers: bool,
    /// The channel's unit prices stand as sent (a web shop's checkout price
    /// is what the buyer paid); off: each line is compared with the
    /// customer's Odoo pricelist price and a difference holds the order.
    pub price_authoritative: bool,
    /// Largest unit-price difference still accepted, in the order currency.
    pub price_tolerance: Decimal,
    /// The same as a share of the Odoo price; the larger of the two applies.
    pub price_tolerance_ratio: Decimal,
    /// The channel's tax amounts stand as sent; off: each line's declared
    /// tax is compared with the tax Odoo computes for it.
    pub tax_authoritative: bool,
    /// Largest tax difference per line still accepted, in the order currency.
    pub tax_tolerance: Decimal,
    /// Credit rule: exposure + this order over the credit limit, or an
    /// overdue invoice, holds the order with `credit_hold`.
    pub credit_check: bool,
    /// Days past the due date before an unpaid invoice counts as overdue.
    pub overdue_grace_days: i64,
    /// How far back an order with the same customer, lines and total
    /// counts as a suspected duplicate (0 turns the rule off).
    pub duplicate_window_minutes: i64,
    pub channels: BTreeMap<String, ChannelPolicy>,
    /// Per-customer overrides, keyed by `system:id` of one of the order's
    /// customer references (`odoo:42`, `shopify:acme:7781`), or the email.
    pub customers: BTreeMap<String, CustomerPolicy>,
}

/// Per-channel overrides; unset fields keep the global value.
#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(default)]
pub struct ChannelPolicy {
    pub totals_tolerance: Option<Decimal>,
    pub totals_tolerance_ratio: Option<Decimal>,
    pub require_ship_to: Option<bool>,
    pub create_customers: Option<bool>,
    pub price_authoritative: Option<bool>,
    pub price_tolerance: Option<Decimal>,
    pub price_tolerance_ratio: Option<Decimal>,
    pub tax_authoritative: Option<bool>,
    pub tax_tolerance: Option<Decimal>,
    pub credit_check: Option<bool>,
    pub overdue_grace_days: Option<i64>,
    pub duplicate_window_minutes: Option<i64>,
}

/// Per-customer overrides of the rules where a customer's terms differ
/// (an agreed price list outside Odoo, a guaranteed account); they win over
/// the channel's.
#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(default)]
pub struct CustomerPolicy {
    pub price_authoritative: Option<bool>,
    pub price_tolerance: Option<Decimal>,
    pub price_tolerance_ratio: Option<Decimal>,
    pub tax_authoritative: Option<bool>,
    pub credit_check: Option<bool>,
    pub overdue_grace_days: Option<i64>,
}

impl Default for ValidationPolicy {
    fn default() -> Self {
        Self {
            totals_tolerance: Decimal::new(2, 2),
            totals_tolerance_ratio: Decimal::ZERO,
            require_ship_to: true,
            create_customers: true,
            price_authoritative: true,
            price_tolerance: Decimal::new(1, 2),
            price_tolerance_ratio: Decimal::ZERO,
            tax_authoritative: true,
            tax_tolerance: Decimal::new(1, 2),
            credit_check: true,
            overdue_grace_days: 0,
            duplicate_window_minutes: 0,
            channels: BTreeMap::new(),
            customers: BTreeMap::new(),
        }
    }
}

/// The effective settings for one order.
#[derive(Debug, Clone, PartialEq)]
pub struct Effective {
    pub totals_tolerance: Decimal,
    pub totals_tolerance_ratio: Decimal,
    pub require_ship_to: bool,
    pub create_customers: bool,
    pub price_authoritative: bool,
    pub price_tolerance: Decimal,
    pub price_tolerance_ratio: Decimal,
    pub tax_authoritative: bool,
    pub tax_tolerance: Decimal,
    pub credit_check: bool,
    pub overdue_grace_days: i64,
    pub duplicate_window_minutes: i64,
}

impl ValidationPolicy {
    pub fn for_order(&self, order: &Order) -> Effective {
        let full = format!("{}:{}", order.channel.kind.as_str(), order.channel.account);
        let by_channel = self
            .channels
            .get(&full)
            .or_else(|| self.channels.get(order.channel.kind.as_str()));
        let pick = |o: Option<&ChannelPolicy>| o.cloned().unwrap_or_default();
        let c = pick(by_channel);
        Effective {
            totals_tolerance: c.totals_tolerance.unwrap_or(self.totals_tolerance),
            totals_tolerance_ratio: c
                .totals_tolerance_ratio
                .unwrap_or(self.totals_tolerance_ratio),
            require_ship_to: c.require_ship_to.unwrap_or(self.require_ship_to),
            create_customers: c.create_customers.unwrap_or(self.create_customers),
            price_authoritative: c.price_authoritative.unwrap_or(self.price_authoritative),
            price_tolerance: c.price_tolerance.unwrap_or(self.price_tolerance),
            price_tolerance_ratio: c
                .price_tolerance_ratio
                .unwrap_or(self.price_tolerance_ratio),
            tax_authoritative: c.tax_authoritative.unwrap_or(self.tax_authoritative),
            tax_tolerance: c.tax_tolerance.unwrap_or(self.tax_tolerance),
            credit_check: c.credit_check.unwrap_or(self.credit_check),
            overdue_grace_days: c.overdue_grace_days.unwrap_or(self.overdue_grace_days),
            duplicate_window_minutes: c
                .duplicate_window_minutes
                .unwrap_or(self.duplicate_window_minutes),
        }
    }

    /// The settings for one order once its Odoo customer is known
    /// (`partner_id`): the customer's overrides on top of the channel's.
    pub fn for_customer(&self, order: &Order, partner_id: Option<i64>) -> Effective {
        let mut effective = self.for_order(order);
        let customer = &order.customer;
        let mut keys: Vec<String> = customer
            .external_refs
            .iter()
            .map(|r| format!("{}:{}", r.system, r.id))
            .collect();
        if let Some(id) = partner_id {
            keys.push(format!("odoo:{id}"));
        }
        if let Some(email) = customer.email.as_deref() {
            keys.push(email.trim().to_lowercase());
        }
        let Some(c) = keys.iter().find_map(|k| self.customers.get(k)) else {
            return effective;
        };
        let e = &mut effective;
        e.price_authoritative = c.price_authoritative.unwrap_or(e.price_authoritative);
        e.price_tolerance = c.price_tolerance.unwrap_or(e.price_tolerance);
        e.price_tolerance_ratio = c.price_tolerance_ratio.unwrap_or(e.price_tolerance_ratio);
        e.tax_authoritative = c.tax_authoritative.unwrap_or(e.tax_authoritative);
        e.credit_check = c.credit_check.unwrap_or(e.credit_check);
        e.overdue_grace_days = c.overdue_grace_days.unwrap_or(e.overdue_grace_days);
        effective
    }
}

/// One failed rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub reason: HoldReason,
    /// JSON pointer of the field at fault.
    pub pointer: String,
    pub detail: String,
}

/// What validation concluded.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub findings: Vec<Finding>,
    /// A difference within tolerance, to post as a rounding line rather than drop.
    pub rounding_adjustment: Option<Decimal>,
}

impl Verdict {
    pub fn passed(&self) -> bool {
        self.findings.is_empty()
    }

    /// The hold reasons, each once, in rule order.
    pub fn reasons(&self) -> Vec<HoldReason> {
        let mut out: Vec<HoldReason> = Vec::new();
        for f in &self.findings {
            if !out.contains(&f.reason) {
                out.push(f.reason.clone());
            }
        }
        out
    }

    /// One line per finding, for the hold's detail text.
    pub fn detail(&self) -> String {
        self.findings
            .iter()
            .map(|f| format!("{}: {}", f.pointer, f.detail))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Runs every order-only rule.
pub fn validate(order: &Order, policy: &ValidationPolicy) -> Verdict {
    let effective = policy.for_order(order);
    let mut findings = Vec::new();
    check_ship_to(order, &effective, &mut findings);
    let totals = check_totals(order, &effective);
    let rounding_adjustment = match totals {
        TotalsCheck::Matches | TotalsCheck::NotDeclared => None,
        TotalsCheck::Rounding { difference } => Some(difference),
        TotalsCheck::Mismatch { declared, computed } => {
            findings.push(Finding {
                reason: HoldReason::TotalsMismatch,
                pointer: "/declared_totals/total".into(),
                detail: format!(
                    "declared {declared} but lines, shipping and tax add up to {computed} ({} {})",
                    computed - declared,
                    order.currency.code()
                ),
            });
            None
        }
    };
    Verdict {
        findings,
        rounding_adjustment,
    }
}

/// Runs the order-only rules and, when the ERP supplied facts, the rules
/// that compare the order with them (with the customer's overrides).
pub fn validate_with_facts(
    order: &Order,
    policy: &ValidationPolicy,
    facts: Option<&crate::erp::ErpFacts>,
    today: chrono::NaiveDate,
) -> Verdict {
    let mut verdict = validate(order, policy);
    if let Some(facts) = facts {
        let effective = policy.for_customer(order, facts.customer.partner_id());
        check_facts(order, facts, &effective, today, &mut verdict.findings);
    }
    verdict
}

fn check_ship_to(order: &Order, policy: &Effective, findings: &mut Vec<Finding>) {
    if !policy.require_ship_to {
        return;
    }
    let Some(ship_to) = &order.ship_to else {
        findings.push(Finding {
            reason: HoldReason::AddressInvalid,
            pointer: "/ship_to".into(),
            detail: "no delivery address".into(),
        });
        return;
    };
    let mut missing = Vec::new();
    if ship_to.street_lines.iter().all(|l| l.trim().is_empty()) {
        missing.push("street_lines");
    }
    if ship_to.city.as_deref().is_none_or(|c| c.trim().is_empty()) {
        missing.push("city");
    }
    if ship_to
        .postal_code
        .as_deref()
        .is_none_or(|c| c.trim().is_empty())
        && needs_postal_code(&ship_to.country)
    {
        missing.push("postal_code");
    }
    for field in missing {
        findings.push(Finding {
            reason: HoldReason::AddressInvalid,
            pointer: format!("/ship_to/{field}"),
            detail: "required for delivery".into(),
        });
    }
}

/// Countries without a postal code system (ISO 3166 alpha-2); elsewhere a
/// carrier label needs one.
fn needs_postal_code(country: &str) -> bool {
    !matches!(
        country,
        "AE" | "AG"
            | "AO"
            | "AW"
            | "BF"
            | "BI"
            | "BJ"
            | "BO"
            | "BS"
            | "BZ"
            | "CD"
            | "CF"
            | "CG"
            | "CI"
            | "CK"
            | "CM"
            | "DJ"
            | "DM"
            | "ER"
            | "FJ"
            | "GA"
            | "GD"
            | "GH"
            | "GM"
            | "GQ"
            | "GY"
            | "HK"
            | "IE"
            | "JM"
            | "KI"
            | "KM"
            | "KN"
            | "KP"
            | "LC"
            | "ML"
            | "MO"
            | "MR"
            | "MW"
            | "NR"
            | "NU"
            | "QA"
            | "RW"
            | "SB"
            | "SC"
            | "SL"
            | "SR"
            | "ST"
            | "SY"
            | "TF"
            | "TG"
            | "TK"
            | "TL"
            | "TO"
            | "TV"
            | "UG"
            | "VU"
            | "YE"
            | "ZW"
    )
}

#[cfg(test)]
mod tests;
