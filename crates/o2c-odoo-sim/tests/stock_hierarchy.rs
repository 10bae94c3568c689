//! `child_of` / `parent_of` on stock.location, and product quantities for
//! the `warehouse` / `location` / `compute_child` context keys
//! (stock/models/product.py `_get_domain_locations`), on every version.
//!
//! The layout: warehouse 1 (view → Stock → Shelf 1, Shelf 1 archived later)
//! and a second warehouse "Annex" (view → Stock); one storable product with
//! 10 on WH/Stock, 5 on Shelf 1 and 7 on Annex/Stock.

use o2c_odoo_sim::{OdooVersion, Sandbox, Seed, SimConfig};
use serde_json::{Value, json};

const VERSIONS: [OdooVersion; 4] = [
    OdooVersion::V16,
    OdooVersion::V17,
    OdooVersion::V18,
    OdooVersion::V19,
];

struct Layout {
    sb: Sandbox,
    wh1: i64,
    view1: i64,
    stock1: i64,
    shelf: i64,
    wh2: i64,
    view2: i64,
    stock2: i64,
    product: i64,
}

fn call(sb: &Sandbox, model: &str, method: &str, args: Value, kwargs: Value) -> Value {
    sb.execute(model, method, args, kwargs)
        .unwrap_or_else(|f| panic!("{model}.{method}: {}", f.debug()))
        .unwrap_or(Value::Null)
}

fn create(sb: &Sandbox, model: &str, vals: Value) -> i64 {
    call(sb, model, "create", json!([vals]), json!({}))
        .as_i64()
        .expect("id")
}

fn search(sb: &Sandbox, model: &str, domain: Value) -> Vec<i64> {
    let mut ids: Vec<i64> = call(sb, model, "search", json!([domain]), json!({}))
        .as_array()
        .expect("ids")
        .iter()
        .filter_map(Value::as_i64)
        .collect();
    ids.sort_unstable();
    ids
}

fn put_stock(sb: &Sandbox, product: i64, location: i64, qty: i64) {
    let q = call(
        sb,
        "stock.quant",
        "create",
        json!([{"product_id": product, "location_id": location, "inventory_quantity": qty}]),
        json!({"context": {"inventory_mode": true}}),
    );
    call(
        sb,
        "stock.quant",
        "action_apply_inventory",
        json!([[q]]),
        json!({}),
    );
}

fn layout(version: OdooVersion) -> Layout {
    let sb = Sandbox::new(SimConfig {
        version,
        seed: Seed::Demo,
        demo_customers: 2,
        demo_products: 2,
        ..SimConfig::default()
    });
    let wh = sb.read("stock.warehouse", 1, &["lot_stock_id", "view_location_id"]);
    let wh = wh.expect("warehouse 1");
    let stock1 = wh["lot_stock_id"][0].as_i64().expect("stock");
    let view1 = wh["view_location_id"][0].as_i64().expect("view");
    let shelf = create(
        &sb,
        "stock.location",
        json!({"name": "Shelf 1", "location_id": stock1, "usage": "internal"}),
    );
    let view2 = create(
        &sb,
        "stock.location",
        json!({"name": "ANX", "usage": "view"}),
    );
    let stock2 = create(
        &sb,
        "stock.location",
        json!({"name": "Stock", "location_id": view2, "usage": "internal"}),
    );
    let wh2 = create(
        &sb,
        "stock.warehouse",
        json!({"name": "Annex", "code": "ANX", "company_id": 1,
               "lot_stock_id": stock2, "view_location_id": view2,
               "delivery_steps": "ship_only", "reception_steps": "one_step"}),
    );
    let mut pv = json!({"name": "Hierarchy Widget", "default_code": "HW-1", "list_price": 9});
    if version >= OdooVersion::V18 {
        pv["is_storable"] = json!(true);
    } else {
        pv["detailed_type"] = json!("product");
    }
    let product = create(&sb, "product.product", pv);
    put_stock(&sb, product, stock1, 10);
    put_stock(&sb, product, shelf, 5);
    put_stock(&sb, product, stock2, 7);
    Layout {
        sb,
        wh1: 1,
        view1,
        stock1,
        shelf,
        wh2,
        view2,
        stock2,
        product,
    }
}

fn qty(l: &Layout, field: &str, context: Value) -> f64 {
    let r = call(
        &l.sb,
        "product.product",
        "read",
        json!([[l.product]]),
        json!({"fields": [field], "context": context}),
    );
    r[0][field].as_f64().expect("a number")
}

#[test]
fn child_of_and_parent_of_follow_location_id() {
    for v in VERSIONS {
        let l = layout(v);
        let sb = &l.sb;
        assert_eq!(
            search(sb, "stock.location", json!([["id", "child_of", l.stock1]])),
            vec![l.stock1, l.shelf],
            "{v}"
        );
        let tree1 = search(sb, "stock.location", json!([["id", "child_of", l.view1]]));
        let tree2 = search(sb, "stock.location", json!([["id", "child_of", l.view2]]));
        assert_eq!(tree2, vec![l.view2, l.stock2], "{v}");
        assert!(tree1.contains(&l.view1) && tree1.contains(&l.shelf), "{v}");
        let mut both = [tree1.clone(), tree2].concat();
        both.sort_unstable();
        assert_eq!(
            search(
                sb,
                "stock.location",
                json!([["id", "child_of", [l.view1, l.view2]]])
            ),
            both,
            "{v}: both trees, roots included"
        );
        assert_eq!(
            search(sb, "stock.location", json!([["id", "parent_of", l.shelf]])),
            vec![l.view1, l.stock1, l.shelf],
            "{v}"
        );
        // through a many2one: the quants in a warehouse
        let in_wh1 = search(
            sb,
            "stock.quant",
            json!([
                ["product_id", "=", l.product],
                ["location_id", "child_of", l.view1]
            ]),
        );
        let in_wh2 = search(
            sb,
            "stock.quant",
            json!([
                ["product_id", "=", l.product],
                ["location_id", "child_of", l.view2]
            ]),
        );
        assert_eq!(in_wh1.len(), 2, "{v}");
        assert_eq!(in_wh2.len(), 1, "{v}");
        // a name operand is name-searched
        assert_eq!(
            search(
                sb,
                "stock.quant",
                json!([
                    ["product_id", "=", l.product],
                    ["location_id", "child_of", "ANX"]
                ])
            ),
            in_wh2,
            "{v}"
        );
        // an empty operand matches nothing
        assert!(
            search(sb, "stock.quant", json!([["location_id", "child_of", []]])).is_empty(),
            "{v}"
        );
        // archived nodes stay in the hierarchy (Odoo walks it with
        // active_test=False); the location itself is filtered out of a
        // stock.location search as usual
        call(
            sb,
            "stock.location",
            "write",
            json!([[l.shelf], {"active": false}]),
            json!({}),
        );
        assert_eq!(
            search(
                sb,
                "stock.quant",
                json!([
                    ["product_id", "=", l.product],
                    ["location_id", "child_of", l.stock1]
                ])
            )
            .len(),
            2,
            "{v}"
        );
        assert_eq!(
            search(sb, "stock.location", json!([["id", "child_of", l.stock1]])),
            vec![l.stock1],
            "{v}"
        );
        // a model without a parent field refuses the operator
        assert!(
            sb.execute(
                "sale.order",
                "search",
                json!([[["id", "child_of", 1]]]),
                json!({})
            )
            .is_err(),
            "{v}"
        );
    }
}

#[test]
fn quantities_follow_the_warehouse_and_location_context() {
    for v in VERSIONS {
        let l = layout(v);
        let q = |field: &str, ctx: Value| qty(&l, field, ctx);
        // no context: every warehouse
        assert_eq!(q("qty_available", json!({})), 22.0, "{v}");
        // a warehouse: its view location and everything below
        assert_eq!(q("qty_available", json!({"warehouse": l.wh1})), 15.0, "{v}");
        assert_eq!(q("qty_available", json!({"warehouse": l.wh2})), 7.0, "{v}");
        assert_eq!(
            q("qty_available", json!({"warehouse": [l.wh1, l.wh2]})),
            22.0,
            "{v}"
        );
        // by name (ilike)
        assert_eq!(
            q("qty_available", json!({"warehouse": "annex"})),
            7.0,
            "{v}"
        );
        // a location, children included unless compute_child is false
        assert_eq!(
            q("qty_available", json!({"location": l.stock1})),
            15.0,
            "{v}"
        );
        assert_eq!(q("qty_available", json!({"location": l.shelf})), 5.0, "{v}");
        assert_eq!(
            q(
                "qty_available",
                json!({"location": l.stock1, "compute_child": false})
            ),
            10.0,
            "{v}"
        );
        // both: only the locations inside the warehouses
        assert_eq!(
            q(
                "qty_available",
                json!({"warehouse": l.wh1, "location": l.shelf})
            ),
            5.0,
            "{v}"
        );
        assert_eq!(
            q(
                "qty_available",
                json!({"warehouse": l.wh1, "location": l.stock2})
            ),
            0.0,
            "{v}"
        );

        // an order from warehouse 1 reserves 3: free and forecast move there
        let partner = search(&l.sb, "res.partner", json!([["ref", "=like", "CUST-%"]]))[0];
        let so = create(
            &l.sb,
            "sale.order",
            json!({"partner_id": partner, "warehouse_id": l.wh1,
                   "order_line": [[0, 0, {"product_id": l.product, "product_uom_qty": 3}]]}),
        );
        call(
            &l.sb,
            "sale.order",
            "action_confirm",
            json!([[so]]),
            json!({}),
        );
        let wh1 = json!({"warehouse": l.wh1});
        let wh2 = json!({"warehouse": l.wh2});
        assert_eq!(q("qty_available", wh1.clone()), 15.0, "{v}");
        assert_eq!(q("free_qty", wh1.clone()), 12.0, "{v}");
        assert_eq!(q("outgoing_qty", wh1.clone()), 3.0, "{v}");
        assert_eq!(q("incoming_qty", wh1.clone()), 0.0, "{v}");
        assert_eq!(q("virtual_available", wh1), 12.0, "{v}");
        assert_eq!(q("free_qty", wh2.clone()), 7.0, "{v}");
        assert_eq!(q("outgoing_qty", wh2.clone()), 0.0, "{v}");
        assert_eq!(q("virtual_available", wh2), 7.0, "{v}");
        assert_eq!(q("virtual_available", json!({})), 19.0, "{v}");
        // the reservation sits on WH/Stock (10 there), not on the shelf
        assert_eq!(q("free_qty", json!({"location": l.shelf})), 5.0, "{v}");
        let _ = (l.view2, l.stock2);
    }
}
