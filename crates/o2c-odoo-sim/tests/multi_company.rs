//! Multi-company record rules over JSON-RPC, as Odoo applies them to the
//! admin too: `allowed_company_ids` narrows searches, reading or changing
//! another company's record raises an AccessError naming the records and
//! the company, a create that lands in such a company is refused and rolled
//! back, and asking for a company the user is not in is refused.

mod common;

use common::{Rpc, demo, start};
use o2c_odoo_sim::{OdooVersion, SimConfig};
use serde_json::{Value, json};

const HOME: i64 = 1;
const CHICAGO: i64 = 2;

fn ctx(companies: &[i64]) -> Value {
    json!({"context": {"allowed_company_ids": companies}})
}

async fn sandbox(version: OdooVersion) -> Rpc {
    start(SimConfig { version, ..demo() }).await
}

/// An order of `company` (created while that company is allowed).
async fn order_of(rpc: &Rpc, company: i64) -> i64 {
    let partner = rpc
        .ok(
            "res.partner",
            "create",
            json!([{"name": "Buyer"}]),
            json!({}),
        )
        .await;
    rpc.ok(
        "sale.order",
        "create",
        json!([{"partner_id": partner}]),
        ctx(&[company]),
    )
    .await
    .as_i64()
    .expect("order id")
}

#[tokio::test]
async fn searches_see_only_the_allowed_companies() {
    let rpc = sandbox(OdooVersion::V17).await;
    let home = order_of(&rpc, HOME).await;
    let chicago = order_of(&rpc, CHICAGO).await;
    let ids = |v: Value| -> Vec<i64> {
        v.as_array()
            .expect("ids")
            .iter()
            .filter_map(Value::as_i64)
            .collect()
    };
    let seen = ids(rpc
        .ok("sale.order", "search", json!([[]]), ctx(&[CHICAGO]))
        .await);
    assert!(seen.contains(&chicago) && !seen.contains(&home), "{seen:?}");
    let both = ids(rpc
        .ok("sale.order", "search", json!([[]]), ctx(&[CHICAGO, HOME]))
        .await);
    assert!(both.contains(&chicago) && both.contains(&home));
    // without the context key: every company of the user
    let all = ids(rpc.ok("sale.order", "search", json!([[]]), json!({})).await);
    assert!(all.contains(&chicago) && all.contains(&home));
    let n = rpc
        .ok(
            "sale.order",
            "search_count",
            json!([[["id", "=", home]]]),
            ctx(&[CHICAGO]),
        )
        .await;
    assert_eq!(n, json!(0));
}

#[tokio::test]
async fn reading_another_companys_record_names_it_and_its_company() {
    let rpc = sandbox(OdooVersion::V17).await;
    let home = order_of(&rpc, HOME).await;
    let err = rpc
        .err(
            "sale.order",
            "read",
            json!([[home], ["name"]]),
            ctx(&[CHICAGO]),
        )
        .await;
    assert_eq!(err["name"], json!("odoo.exceptions.AccessError"));
    let msg = err["message"].as_str().expect("message");
    let name = rpc
        .ok("sale.order", "read", json!([[home], ["name"]]), json!({}))
        .await[0]["name"]
        .as_str()
        .expect("name")
        .to_string();
    assert!(
        msg.contains(&format!(
            "- Sales Order, {name} (sale.order: {home}, company=My Company (San Francisco))"
        )),
        "{msg}"
    );
    assert!(msg.contains("Sorry, Mitchell Admin (id=2) doesn't have 'read' access to:"));
    assert!(msg.contains("Blame the following rules:\n- Sales Order multi-company"));
    assert!(msg.contains("switching to the company: My Company (San Francisco)."));
}

#[tokio::test]
async fn changing_another_companys_record_is_refused_in_16_wording() {
    let rpc = sandbox(OdooVersion::V16).await;
    let home = order_of(&rpc, HOME).await;
    let err = rpc
        .err(
            "sale.order",
            "action_confirm",
            json!([[home]]),
            ctx(&[CHICAGO]),
        )
        .await;
    let msg = err["message"].as_str().expect("message");
    assert!(
        msg.starts_with(
            "Due to security restrictions, you are not allowed to modify 'Sales Order' (sale.order) records."
        ),
        "{msg}"
    );
    assert!(msg.contains(&format!("(id={home}, company=My Company (San Francisco))")));
    assert!(msg.contains("Note: this might be a multi-company issue."));
    // nothing happened
    let o = rpc
        .ok("sale.order", "read", json!([[home], ["state"]]), json!({}))
        .await;
    assert_eq!(o[0]["state"], json!("draft"));
}

#[tokio::test]
async fn creating_into_a_company_outside_the_allowed_ones_rolls_back() {
    let rpc = sandbox(OdooVersion::V18).await;
    let partner = rpc
        .ok(
            "res.partner",
            "create",
            json!([{"name": "Buyer"}]),
            json!({}),
        )
        .await;
    let before = rpc
        .ok("sale.order", "search_count", json!([[]]), json!({}))
        .await;
    let err = rpc
        .err(
            "sale.order",
            "create",
            json!([{"partner_id": partner, "company_id": HOME}]),
            ctx(&[CHICAGO]),
        )
        .await;
    let msg = err["message"].as_str().expect("message");
    assert!(msg.contains("doesn't have 'create' access to:"), "{msg}");
    let after = rpc
        .ok("sale.order", "search_count", json!([[]]), json!({}))
        .await;
    assert_eq!(before, after, "rolled back");
}

#[tokio::test]
async fn a_company_the_user_is_not_in_is_refused() {
    let rpc = sandbox(OdooVersion::V19).await;
    let err = rpc
        .err("sale.order", "search", json!([[]]), ctx(&[HOME, 99]))
        .await;
    assert_eq!(err["name"], json!("odoo.exceptions.AccessError"));
    assert_eq!(
        err["message"],
        json!("Access to unauthorized or invalid companies.")
    );
}

#[tokio::test]
async fn shared_records_without_a_company_stay_visible() {
    let rpc = sandbox(OdooVersion::V17).await;
    let partner = rpc
        .ok(
            "res.partner",
            "create",
            json!([{"name": "Shared"}]),
            json!({}),
        )
        .await;
    let r = rpc
        .ok(
            "res.partner",
            "read",
            json!([[partner], ["name"]]),
            ctx(&[CHICAGO]),
        )
        .await;
    assert_eq!(r[0]["name"], json!("Shared"));
}
