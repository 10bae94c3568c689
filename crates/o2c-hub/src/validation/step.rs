//! The `ValidateOrder` step's checks: the order-only rules, then the ERP's
//! facts for the rules in force (one facts call, nothing written to the
//! ERP), then the duplicate suspicion against the hub's store (the order's
//! fingerprint is recorded there, and earlier orders with the same one
//! within the window are looked up). What the
//! ERP told is kept: a customer matched to an existing ERP record is named
//! on the order (an `odoo` reference) so the submission uses that record.

use chrono::{DateTime, Duration, Utc};
use o2c_flow::HoldReason;
use o2c_model::{ExternalRef, Order};
use o2c_store::{OrderFingerprint, Store};
use serde_json::{Value, json};

use super::{Finding, ValidationPolicy, Verdict, fingerprint, validate_with_facts};
use crate::erp::odoo::ODOO_SYSTEM;
use crate::erp::{Erp, ErpCall, ErpError, FactsScope};

#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error(transparent)]
    Erp(#[from] ErpError),
    #[error(transparent)]
    Store(#[from] o2c_store::StoreError),
}

/// What the checks concluded, with what to record beside the verdict.
#[derive(Debug)]
pub struct Checked {
    pub verdict: Verdict,
    /// The order with what the ERP told added, when that changed it.
    pub enriched: Option<Order>,
    /// The ERP's facts, for the journal (`null` when none were gathered).
    pub facts: Value,
}

pub async fn check_order(
    order: &Order,
    policy: &ValidationPolicy,
    erp: &dyn Erp,
    store: &dyn Store,
    call: ErpCall<'_>,
    now: DateTime<Utc>,
) -> Result<Checked, CheckError> {
    let effective = policy.for_order(order);
    // The customer's overrides can only loosen or tighten these once the
    // customer is known, so ask for what any of them might need.
    let customer_rules = policy.customers.values();
    let prices = !effective.price_authoritative
        || customer_rules
            .clone()
            .any(|c| c.price_authoritative == Some(false));
    let taxes = !effective.tax_authoritative
        || customer_rules
            .clone()
            .any(|c| c.tax_authoritative == Some(false));
    let credit =
        effective.credit_check || customer_rules.clone().any(|c| c.credit_check == Some(true));
    let scope = FactsScope {
        create_customers: effective.create_customers,
        prices,
        taxes,
        credit,
    };
    let facts = erp.order_facts(call, order, scope).await?;
    let mut verdict = validate_with_facts(order, policy, facts.as_ref(), now.date_naive());
    let partner_id = facts.as_ref().and_then(|f| f.customer.partner_id());
    if effective.duplicate_window_minutes > 0 {
        let matches = store
            .record_fingerprint(
                OrderFingerprint {
                    order_id: call.order_id,
                    fingerprint: fingerprint(order),
                    channel: format!("{}:{}", order.channel.kind, order.channel.account),
                    channel_order_id: order.channel_order_id.clone(),
                    recorded_at: now,
                },
                now - Duration::minutes(effective.duplicate_window_minutes),
            )
            .await?;
        if let Some(first) = matches.first() {
            verdict.findings.push(Finding {
                reason: HoldReason::DuplicateSuspected,
                pointer: "/channel_order_id".into(),
                detail: format!(
                    "the same customer ordered the same lines for the same total as {} order {} (hub order {}) at {}",
                    first.channel,
                    first.channel_order_id,
                    first.order_id,
                    first.recorded_at.to_rfc3339()
                ),
            });
        }
    }
    let enriched = partner_id
        .filter(|_| {
            !order
                .customer
                .external_refs
                .iter()
                .any(|r| r.system == ODOO_SYSTEM)
        })
        .map(|partner_id| {
            let mut enriched = order.clone();
            enriched
                .customer
                .external_refs
                .push(ExternalRef::new(ODOO_SYSTEM, partner_id.to_string()));
            enriched
        });
    Ok(Checked {
        verdict,
        enriched,
        facts: facts.map(|f| json!(f)).unwrap_or(Value::Null),
    })
}
