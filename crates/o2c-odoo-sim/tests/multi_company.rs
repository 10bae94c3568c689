//! Multi-company record rules over JSON-RPC, as Odoo applies them to the
//! admin too: `allowed_company_ids` narrows searches, reading or changing
//! another company's record raises an AccessError naming the records and
//! the company, a create that lands in such a company is refused and rolled
//! back, and asking for a company the user is not in is refused. Records
//! that link across companies (a line's product, an order's pricelist or
//! customer, an invoice's customer, a picking's partner) are refused by
//! `_check_company` on create and write, in each version's wording.

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

/// A record of `model` that belongs to `company` (the admin may make it:
/// both companies are hers).
async fn owned(rpc: &Rpc, model: &str, vals: Value, company: i64) -> i64 {
    let mut vals = vals;
    vals["company_id"] = json!(company);
    rpc.ok(model, "create", json!([vals]), json!({}))
        .await
        .as_i64()
        .expect("id")
}

async fn count(rpc: &Rpc, model: &str) -> Value {
    rpc.ok(model, "search_count", json!([[]]), json!({})).await
}

#[tokio::test]
async fn a_line_with_another_companys_product_is_refused_in_16_wording() {
    let rpc = sandbox(OdooVersion::V16).await;
    let product = owned(
        &rpc,
        "product.product",
        json!({"name": "Chicago Widget"}),
        CHICAGO,
    )
    .await;
    let partner = rpc
        .ok(
            "res.partner",
            "create",
            json!([{"name": "Buyer"}]),
            json!({}),
        )
        .await;
    let (orders, lines) = (
        count(&rpc, "sale.order").await,
        count(&rpc, "sale.order.line").await,
    );
    let err = rpc
        .err(
            "sale.order",
            "create",
            json!([{"partner_id": partner,
                    "order_line": [[0, 0, {"product_id": product, "product_uom_qty": 1}]]}]),
            ctx(&[HOME]),
        )
        .await;
    assert_eq!(err["name"], json!("odoo.exceptions.UserError"));
    let msg = err["message"].as_str().expect("message");
    let mut lines_of_msg = msg.lines();
    assert_eq!(
        lines_of_msg.next(),
        Some("Incompatible companies on records:")
    );
    let line = lines_of_msg.next().expect("one inconsistency");
    assert!(line.starts_with("- '"), "{line}");
    assert!(
        line.ends_with(
            "' belongs to company 'My Company (San Francisco)' and 'Product' (product_id: 'Chicago Widget') belongs to another company."
        ),
        "{line}"
    );
    assert_eq!(lines_of_msg.next(), None);
    // nothing was created
    assert_eq!(count(&rpc, "sale.order").await, orders);
    assert_eq!(count(&rpc, "sale.order.line").await, lines);
}

#[tokio::test]
async fn an_order_with_another_companys_pricelist_is_refused_in_17() {
    let rpc = sandbox(OdooVersion::V17).await;
    let pricelist = owned(
        &rpc,
        "product.pricelist",
        json!({"name": "Chicago Prices"}),
        CHICAGO,
    )
    .await;
    let partner = rpc
        .ok(
            "res.partner",
            "create",
            json!([{"name": "Buyer"}]),
            json!({}),
        )
        .await;
    let err = rpc
        .err(
            "sale.order",
            "create",
            json!([{"partner_id": partner, "pricelist_id": pricelist}]),
            ctx(&[HOME]),
        )
        .await;
    let msg = err["message"].as_str().expect("message");
    let pl_name = rpc
        .ok(
            "product.pricelist",
            "read",
            json!([[pricelist], ["display_name"]]),
            json!({}),
        )
        .await[0]["display_name"]
        .as_str()
        .expect("name")
        .to_string();
    assert!(
        msg.starts_with("Incompatible companies on records:\n- 'S"),
        "{msg}"
    );
    assert!(
        msg.ends_with(&format!(
            "' belongs to company 'My Company (San Francisco)' and 'Pricelist' (pricelist_id: '{pl_name}') belongs to another company."
        )),
        "{msg}"
    );
    // the same pricelist fits an order of its own company
    rpc.ok(
        "sale.order",
        "create",
        json!([{"partner_id": partner, "pricelist_id": pricelist}]),
        ctx(&[CHICAGO]),
    )
    .await;
}

#[tokio::test]
async fn writing_another_companys_customer_or_line_is_refused_in_18_wording() {
    let rpc = sandbox(OdooVersion::V18).await;
    let order = order_of(&rpc, HOME).await;
    let chicago_buyer = owned(
        &rpc,
        "res.partner",
        json!({"name": "Windy City Buyer"}),
        CHICAGO,
    )
    .await;
    let err = rpc
        .err(
            "sale.order",
            "write",
            json!([[order], {"partner_id": chicago_buyer}]),
            json!({}),
        )
        .await;
    assert_eq!(err["name"], json!("odoo.exceptions.UserError"));
    let msg = err["message"].as_str().expect("message");
    let name = rpc
        .ok(
            "sale.order",
            "read",
            json!([[order], ["name", "partner_id"]]),
            json!({}),
        )
        .await;
    let order_name = name[0]["name"].as_str().expect("name");
    assert_eq!(
        msg,
        format!(
            "Incompatible companies on records:\n- “{order_name}” belongs to company “My Company (San Francisco)” and “Customer” (partner_id: 'Windy City Buyer') belongs to another company."
        )
    );
    // the write was rolled back
    assert_ne!(name[0]["partner_id"][0], json!(chicago_buyer));
    // a line added by a write command is checked too
    let product = owned(
        &rpc,
        "product.product",
        json!({"name": "Chicago Widget"}),
        CHICAGO,
    )
    .await;
    let err = rpc
        .err(
            "sale.order",
            "write",
            json!([[order], {"order_line": [[0, 0, {"product_id": product}]]}]),
            json!({}),
        )
        .await;
    let msg = err["message"].as_str().expect("message");
    assert!(
        msg.contains("and “Product” (product_id: 'Chicago Widget') belongs to another company."),
        "{msg}"
    );
    let lines = rpc
        .ok(
            "sale.order",
            "read",
            json!([[order], ["order_line"]]),
            json!({}),
        )
        .await;
    assert_eq!(lines[0]["order_line"], json!([]));
}

#[tokio::test]
async fn a_line_write_to_another_companys_product_is_refused_in_19_wording() {
    let rpc = sandbox(OdooVersion::V19).await;
    let home_product = rpc
        .ok(
            "product.product",
            "create",
            json!([{"name": "Shared Widget"}]),
            json!({}),
        )
        .await;
    let partner = rpc
        .ok(
            "res.partner",
            "create",
            json!([{"name": "Buyer"}]),
            json!({}),
        )
        .await;
    let order = rpc
        .ok(
            "sale.order",
            "create",
            json!([{"partner_id": partner,
                    "order_line": [[0, 0, {"product_id": home_product}]]}]),
            ctx(&[HOME]),
        )
        .await;
    let line = rpc
        .ok(
            "sale.order",
            "read",
            json!([[order], ["order_line"]]),
            json!({}),
        )
        .await[0]["order_line"][0]
        .as_i64()
        .expect("line");
    let product = owned(
        &rpc,
        "product.product",
        json!({"name": "Chicago Widget"}),
        CHICAGO,
    )
    .await;
    let err = rpc
        .err(
            "sale.order.line",
            "write",
            json!([[line], {"product_id": product}]),
            json!({}),
        )
        .await;
    let msg = err["message"].as_str().expect("message");
    let mut lines = msg.lines();
    assert_eq!(
        lines.next(),
        Some("Uh-oh! You’ve got some company inconsistencies here:")
    );
    let detail = lines.next().expect("detail");
    assert!(
        detail.ends_with(
            "” belongs to company “My Company (San Francisco)” while “Product” (product_id: 'Chicago Widget') belongs to another company."
        ),
        "{detail}"
    );
    assert_eq!(
        lines.next(),
        Some("To avoid a mess, no company crossover is allowed!")
    );
    let kept = rpc
        .ok(
            "sale.order.line",
            "read",
            json!([[line], ["product_id"]]),
            json!({}),
        )
        .await;
    assert_eq!(kept[0]["product_id"][0], json!(home_product));
}

#[tokio::test]
async fn invoices_and_pickings_check_their_partner() {
    let rpc = sandbox(OdooVersion::V17).await;
    let chicago_buyer = owned(
        &rpc,
        "res.partner",
        json!({"name": "Windy City Buyer"}),
        CHICAGO,
    )
    .await;
    let moves = count(&rpc, "account.move").await;
    let err = rpc
        .err(
            "account.move",
            "create",
            json!([{"move_type": "out_invoice", "partner_id": chicago_buyer}]),
            ctx(&[HOME]),
        )
        .await;
    let msg = err["message"].as_str().expect("message");
    assert!(
        msg.contains("and 'Partner' (partner_id: 'Windy City Buyer') belongs to another company."),
        "{msg}"
    );
    assert_eq!(count(&rpc, "account.move").await, moves);
    // a delivery of a confirmed home order
    let product = rpc
        .ok(
            "product.product",
            "search",
            json!([[["default_code", "=", "SKU-00001"]]]),
            json!({}),
        )
        .await[0]
        .clone();
    let partner = rpc
        .ok(
            "res.partner",
            "create",
            json!([{"name": "Buyer"}]),
            json!({}),
        )
        .await;
    let order = rpc
        .ok(
            "sale.order",
            "create",
            json!([{"partner_id": partner,
                    "order_line": [[0, 0, {"product_id": product, "product_uom_qty": 1}]]}]),
            ctx(&[HOME]),
        )
        .await;
    rpc.ok("sale.order", "action_confirm", json!([[order]]), json!({}))
        .await;
    let picking = rpc
        .ok(
            "sale.order",
            "read",
            json!([[order], ["picking_ids"]]),
            json!({}),
        )
        .await[0]["picking_ids"][0]
        .as_i64()
        .expect("a delivery");
    let err = rpc
        .err(
            "stock.picking",
            "write",
            json!([[picking], {"partner_id": chicago_buyer}]),
            json!({}),
        )
        .await;
    let msg = err["message"].as_str().expect("message");
    assert!(
        msg.contains("and 'Contact' (partner_id: 'Windy City Buyer') belongs to another company."),
        "{msg}"
    );
}
