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

/// A new partner named `name` that belongs to no company.
async fn partner(rpc: &Rpc, name: &str) -> Value {
    rpc.ok("res.partner", "create", json!([{"name": name}]), json!({}))
        .await
}

/// The values of an order for `partner` with the one line `line`.
fn order_vals(partner: &Value, line: Value) -> Value {
    json!({"partner_id": partner, "order_line": [[0, 0, line]]})
}

/// The values of an order for `partner` of one unit of `product`.
fn one_unit_order(partner: &Value, product: impl Into<Value>) -> Value {
    order_vals(
        partner,
        json!({"product_id": product.into(), "product_uom_qty": 1}),
    )
}

/// A record of `model` created from `vals` while only `company` is allowed.
async fn create_in(rpc: &Rpc, model: &str, vals: Value, company: i64) -> Value {
    rpc.ok(model, "create", json!([vals]), ctx(&[company]))
        .await
}

/// The error of creating `vals` as `model` while only `company` is allowed.
async fn refused_create(rpc: &Rpc, model: &str, vals: Value, company: i64) -> Value {
    rpc.err(model, "create", json!([vals]), ctx(&[company]))
        .await
}

/// The error of writing `vals` to record `id` of `model`.
async fn refused_write(rpc: &Rpc, model: &str, id: impl Into<Value>, vals: Value) -> Value {
    rpc.err(model, "write", json!([[id.into()], vals]), json!({}))
        .await
}

/// `fields` of record `id` of `model`, read with every company allowed.
async fn read(rpc: &Rpc, model: &str, id: impl Into<Value>, fields: &[&str]) -> Value {
    rpc.ok(model, "read", json!([[id.into()], fields]), json!({}))
        .await[0]
        .clone()
}

/// The message of a refusal.
fn message(err: &Value) -> &str {
    err["message"].as_str().expect("message")
}

/// An order of `company` (created while that company is allowed).
async fn order_of(rpc: &Rpc, company: i64) -> i64 {
    let partner = partner(rpc, "Buyer").await;
    create_in(rpc, "sale.order", json!({"partner_id": partner}), company)
        .await
        .as_i64()
        .expect("order id")
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

/// A product of Chicago named "Chicago Widget".
async fn chicago_widget(rpc: &Rpc) -> i64 {
    owned(
        rpc,
        "product.product",
        json!({"name": "Chicago Widget"}),
        CHICAGO,
    )
    .await
}

/// A customer of Chicago named "Windy City Buyer".
async fn chicago_buyer(rpc: &Rpc) -> i64 {
    owned(
        rpc,
        "res.partner",
        json!({"name": "Windy City Buyer"}),
        CHICAGO,
    )
    .await
}

async fn count(rpc: &Rpc, model: &str) -> Value {
    rpc.ok(model, "search_count", json!([[]]), json!({})).await
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
    let msg = message(&err);
    let name = read(&rpc, "sale.order", home, &["name"]).await["name"]
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
    let msg = message(&err);
    assert!(
        msg.starts_with(
            "Due to security restrictions, you are not allowed to modify 'Sales Order' (sale.order) records."
        ),
        "{msg}"
    );
    assert!(msg.contains(&format!("(id={home}, company=My Company (San Francisco))")));
    assert!(msg.contains("Note: this might be a multi-company issue."));
    // nothing happened
    let o = read(&rpc, "sale.order", home, &["state"]).await;
    assert_eq!(o["state"], json!("draft"));
}

#[tokio::test]
async fn creating_into_a_company_outside_the_allowed_ones_rolls_back() {
    let rpc = sandbox(OdooVersion::V18).await;
    let partner = partner(&rpc, "Buyer").await;
    let before = count(&rpc, "sale.order").await;
    let err = refused_create(
        &rpc,
        "sale.order",
        json!({"partner_id": partner, "company_id": HOME}),
        CHICAGO,
    )
    .await;
    let msg = message(&err);
    assert!(msg.contains("doesn't have 'create' access to:"), "{msg}");
    let after = count(&rpc, "sale.order").await;
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
    let partner = partner(&rpc, "Shared").await;
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

#[tokio::test]
async fn a_line_with_another_companys_product_is_refused_in_16_wording() {
    let rpc = sandbox(OdooVersion::V16).await;
    let product = chicago_widget(&rpc).await;
    let partner = partner(&rpc, "Buyer").await;
    let (orders, lines) = (
        count(&rpc, "sale.order").await,
        count(&rpc, "sale.order.line").await,
    );
    let err = refused_create(&rpc, "sale.order", one_unit_order(&partner, product), HOME).await;
    assert_eq!(err["name"], json!("odoo.exceptions.UserError"));
    let mut lines_of_msg = message(&err).lines();
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
    let partner = partner(&rpc, "Buyer").await;
    let vals = json!({"partner_id": partner, "pricelist_id": pricelist});
    let err = refused_create(&rpc, "sale.order", vals.clone(), HOME).await;
    let msg = message(&err);
    let pl_name =
        read(&rpc, "product.pricelist", pricelist, &["display_name"]).await["display_name"]
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
    create_in(&rpc, "sale.order", vals, CHICAGO).await;
}

#[tokio::test]
async fn writing_another_companys_customer_or_line_is_refused_in_18_wording() {
    let rpc = sandbox(OdooVersion::V18).await;
    let order = order_of(&rpc, HOME).await;
    let chicago_buyer = chicago_buyer(&rpc).await;
    let err = refused_write(
        &rpc,
        "sale.order",
        order,
        json!({"partner_id": chicago_buyer}),
    )
    .await;
    assert_eq!(err["name"], json!("odoo.exceptions.UserError"));
    let msg = message(&err);
    let name = read(&rpc, "sale.order", order, &["name", "partner_id"]).await;
    let order_name = name["name"].as_str().expect("name");
    assert_eq!(
        msg,
        format!(
            "Incompatible companies on records:\n- “{order_name}” belongs to company “My Company (San Francisco)” and “Customer” (partner_id: 'Windy City Buyer') belongs to another company."
        )
    );
    // the write was rolled back
    assert_ne!(name["partner_id"][0], json!(chicago_buyer));
    // a line added by a write command is checked too
    let product = chicago_widget(&rpc).await;
    let err = refused_write(
        &rpc,
        "sale.order",
        order,
        json!({"order_line": [[0, 0, {"product_id": product}]]}),
    )
    .await;
    let msg = message(&err);
    assert!(
        msg.contains("and “Product” (product_id: 'Chicago Widget') belongs to another company."),
        "{msg}"
    );
    let lines = read(&rpc, "sale.order", order, &["order_line"]).await;
    assert_eq!(lines["order_line"], json!([]));
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
    let partner = partner(&rpc, "Buyer").await;
    let order = create_in(
        &rpc,
        "sale.order",
        order_vals(&partner, json!({"product_id": home_product})),
        HOME,
    )
    .await;
    let line = read(&rpc, "sale.order", order, &["order_line"]).await["order_line"][0]
        .as_i64()
        .expect("line");
    let product = chicago_widget(&rpc).await;
    let err = refused_write(
        &rpc,
        "sale.order.line",
        line,
        json!({"product_id": product}),
    )
    .await;
    let mut lines = message(&err).lines();
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
    let kept = read(&rpc, "sale.order.line", line, &["product_id"]).await;
    assert_eq!(kept["product_id"][0], json!(home_product));
}

#[tokio::test]
async fn invoices_and_pickings_check_their_partner() {
    let rpc = sandbox(OdooVersion::V17).await;
    let chicago_buyer = chicago_buyer(&rpc).await;
    let moves = count(&rpc, "account.move").await;
    let err = refused_create(
        &rpc,
        "account.move",
        json!({"move_type": "out_invoice", "partner_id": chicago_buyer}),
        HOME,
    )
    .await;
    let msg = message(&err);
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
    let partner = partner(&rpc, "Buyer").await;
    let order = create_in(&rpc, "sale.order", one_unit_order(&partner, product), HOME).await;
    rpc.ok("sale.order", "action_confirm", json!([[order]]), json!({}))
        .await;
    let picking = read(&rpc, "sale.order", order, &["picking_ids"]).await["picking_ids"][0]
        .as_i64()
        .expect("a delivery");
    let err = refused_write(
        &rpc,
        "stock.picking",
        picking,
        json!({"partner_id": chicago_buyer}),
    )
    .await;
    let msg = message(&err);
    assert!(
        msg.contains("and 'Contact' (partner_id: 'Windy City Buyer') belongs to another company."),
        "{msg}"
    );
}
