//! Business validation before an order reaches the ERP: each rule is pure,
//! configurable per channel, and yields a typed reason that puts the order
//! on hold with an actionable exception instead of failing somewhere later.
//!
//! The rules that need the ERP's data (customer credit, pricelist prices,
//! computed taxes) run against facts the connector supplies; the rules here
//! need only the canonical order.

mod totals;

use std::collections::BTreeMap;

use o2c_flow::HoldReason;
use o2c_model::Order;
use rust_decimal::Decimal;
use serde::Deserialize;

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
    pub channels: BTreeMap<String, ChannelPolicy>,
}

/// Per-channel overrides; unset fields keep the global value.
#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(default)]
pub struct ChannelPolicy {
    pub totals_tolerance: Option<Decimal>,
    pub totals_tolerance_ratio: Option<Decimal>,
    pub require_ship_to: Option<bool>,
}

impl Default for ValidationPolicy {
    fn default() -> Self {
        Self {
            totals_tolerance: Decimal::new(2, 2),
            totals_tolerance_ratio: Decimal::ZERO,
            require_ship_to: true,
            channels: BTreeMap::new(),
        }
    }
}

/// The effective settings for one order.
#[derive(Debug, Clone, PartialEq)]
pub struct Effective {
    pub totals_tolerance: Decimal,
    pub totals_tolerance_ratio: Decimal,
    pub require_ship_to: bool,
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
        }
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
