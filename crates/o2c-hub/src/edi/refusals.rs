//! Odoo refusing an EDI order at submission, told apart from a validation
//! hold so the partner's 855 can answer it. Odoo's refusal surfaces two
//! ways (see `worker::executor`): as a hold placed right after validation
//! passed (`ErpSubmission::Rejected`, e.g. a product Odoo will not sell),
//! or as the order's job dead-lettered with Odoo's error (a permanent
//! `ErpError`, e.g. a `ValidationError` raised by `sale.order.create` or
//! `action_confirm`), which leaves the order validated or submitted.

use std::collections::HashMap;

use o2c_flow::Event;
use o2c_store::{JobState, Store, StoreError};
use serde_json::Value;
use uuid::Uuid;

/// How many dead-lettered jobs one sweep looks through.
const DEAD_JOBS_SCANNED: i64 = 1_000;

/// Odoo's words when the order's latest hold came from Odoo at submission
/// (the event before it is `validated`: validation passed, then the
/// submission was refused), `None` for a validation hold.
pub async fn erp_hold(store: &dyn Store, order_id: Uuid) -> Result<Option<String>, StoreError> {
    let journal = store.load_journal(order_id).await?;
    let hold = Event::HoldPlaced {
        reasons: Vec::new(),
        detail: String::new(),
    };
    let Some(last) = journal
        .iter()
        .rposition(|e| e.event_type == hold.type_name())
    else {
        return Ok(None);
    };
    let after_validation = last > 0 && journal[last - 1].event_type == Event::Validated.type_name();
    Ok(after_validation.then(|| hold_detail(&journal[last].data)))
}

/// "reason, reason: detail" of the order's latest hold, whoever placed it.
pub async fn latest_hold(store: &dyn Store, order_id: Uuid) -> Result<Option<String>, StoreError> {
    let hold = Event::HoldPlaced {
        reasons: Vec::new(),
        detail: String::new(),
    };
    let journal = store.load_journal(order_id).await?;
    Ok(journal
        .iter()
        .rev()
        .find(|e| e.event_type == hold.type_name())
        .map(|e| hold_detail(&e.data))
        .filter(|d| !d.is_empty()))
}

/// "reason, reason: detail" from a hold's journal data.
fn hold_detail(data: &Value) -> String {
    let event = &data["event"];
    let reasons: Vec<&str> = event["reasons"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let detail = event["detail"].as_str().unwrap_or_default();
    match (reasons.is_empty(), detail.is_empty()) {
        (false, false) => format!("{}: {detail}", reasons.join(", ")),
        (false, true) => reasons.join(", "),
        _ => detail.to_owned(),
    }
}

/// The orders whose job is dead-lettered, with the job's last error.
pub async fn dead_orders(store: &dyn Store) -> Result<HashMap<Uuid, String>, StoreError> {
    Ok(store
        .list_jobs(Some(JobState::Dead), DEAD_JOBS_SCANNED)
        .await?
        .into_iter()
        .filter_map(|job| {
            let order = Uuid::parse_str(&job.queue_key).ok()?;
            Some((order, job.last_error.unwrap_or_default()))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_hold_reads_as_reasons_and_detail() {
        let data = json!({ "event": { "type": "hold_placed", "reasons": ["unknown_product"], "detail": "no Odoo product has the SKU(s): X" } });
        assert_eq!(
            hold_detail(&data),
            "unknown_product: no Odoo product has the SKU(s): X"
        );
        assert_eq!(hold_detail(&json!({})), "");
    }
}
