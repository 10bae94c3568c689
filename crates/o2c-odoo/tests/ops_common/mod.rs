//! Shared set-up of the `ops_*` tests: a sandbox of a given version, a
//! client, its dialect, a customer and two storable products with stock,
//! and reading numbers and sale lines back from the sandbox.
#![allow(dead_code)]

use std::time::Duration;

use o2c_odoo::ops::{AddressValues, NewOrderLine, NewSaleOrder, PartnerRequest, PartnerValues};
use o2c_odoo::version::Dialect;
use o2c_odoo::{OdooClient, OdooConfig};
use o2c_odoo_sim::{OdooVersion, Sandbox, Seed, SimConfig};
use rust_decimal::Decimal;
use serde_json::{Value, json};

pub const VERSIONS: [OdooVersion; 4] = [
    OdooVersion::V16,
    OdooVersion::V17,
    OdooVersion::V18,
    OdooVersion::V19,
];

pub struct World {
    pub sandbox: Sandbox,
    pub client: OdooClient,
    pub dialect: Dialect,
    pub partner: i64,
    pub delivery: i64,
    pub invoice: i64,
    /// Two storable products invoiced on delivered quantities, 1000 each in
    /// stock, list prices 25 and 40.
    pub products: [i64; 2],
    pub warehouse: i64,
}

pub async fn sandbox(version: OdooVersion) -> (Sandbox, OdooClient) {
    let sb = Sandbox::new(SimConfig {
        version,
        seed: Seed::Demo,
        demo_customers: 10,
        demo_products: 20,
        ..SimConfig::default()
    });
    let url = sb.spawn().await.expect("spawn");
    let client = OdooClient::new(OdooConfig {
        url,
        db: "o2c".into(),
        login: "admin".into(),
        secret: "admin".into(),
        timeout: Duration::from_secs(20),
        max_concurrency: 4,
        ..OdooConfig::default()
    })
    .expect("client");
    (sb, client)
}

pub async fn world(version: OdooVersion) -> World {
    let (sandbox, client) = sandbox(version).await;
    let dialect = client.dialect().await.expect("dialect");
    assert_eq!(dialect.major, version.major());
    let ops = client.ops(dialect);
    let r = ops
        .find_or_create_partner(&PartnerRequest {
            xmlid: "__o2c__.cust_t1".into(),
            values: PartnerValues {
                name: "Test Customer Inc".into(),
                email: Some("t1@example.com".into()),
                reference: Some("T-0001".into()),
                ..Default::default()
            },
            is_company: true,
            delivery: Some(AddressValues {
                name: "Dock".into(),
                street: Some("1 Pier".into()),
                zip: Some("94607".into()),
                ..Default::default()
            }),
            invoice: Some(AddressValues {
                name: "AP".into(),
                email: Some("ap@example.com".into()),
                ..Default::default()
            }),
        })
        .await
        .expect("partner");
    let mut products = [0; 2];
    for (i, (code, price)) in [("T-SKU-1", 25), ("T-SKU-2", 40)].into_iter().enumerate() {
        let mut vals = json!({"name": format!("Test {code}"), "default_code": code,
                              "barcode": format!("99000000000{i}"),
                              "invoice_policy": "delivery", "list_price": price,
                              "standard_price": 10, "sale_ok": true});
        for (k, v) in dialect.storable_values().as_object().unwrap() {
            vals[k] = v.clone();
        }
        products[i] = ops
            .create("product.product", vals, None)
            .await
            .unwrap_or_else(|e| panic!("{version} product: {e:?}"));
    }
    let locs = ops.warehouse_stock_locations().await.expect("warehouses");
    let warehouse = *locs.keys().min().expect("a warehouse");
    let stock = locs[&warehouse];
    for p in products {
        let q = ops
            .create(
                "stock.quant",
                json!({"product_id": p, "location_id": stock, "inventory_quantity": 1000}),
                Some(&json!({"inventory_mode": true})),
            )
            .await
            .expect("quant");
        ops.call_on("stock.quant", "action_apply_inventory", &[q], None)
            .await
            .expect("apply");
    }
    World {
        sandbox,
        client,
        dialect,
        partner: r.partner_id,
        delivery: r.delivery_id,
        invoice: r.invoice_id,
        products,
        warehouse,
    }
}

pub fn order(w: &World, reference: &str, qty: [i64; 2]) -> NewSaleOrder {
    NewSaleOrder {
        partner_id: w.partner,
        partner_invoice_id: Some(w.invoice),
        partner_shipping_id: Some(w.delivery),
        client_order_ref: reference.into(),
        lines: w
            .products
            .iter()
            .zip(qty)
            .filter(|(_, q)| *q > 0)
            .map(|(p, q)| NewOrderLine {
                product_id: *p,
                quantity: Decimal::from(q),
                uom_id: None,
                price_unit: None,
                discount: Decimal::ZERO,
                description: None,
            })
            .collect(),
        warehouse_id: None,
        pricelist_id: None,
        note: None,
    }
}

pub fn field(sb: &Sandbox, model: &str, id: i64, f: &str) -> Value {
    sb.read(model, id, &[f])
        .and_then(|r| r.get(f).cloned())
        .unwrap_or(Value::Null)
}

/// A number field's value (0 where it is not a number).
pub fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_default()
}

/// Field `f` of record `id` of `model` in the world's sandbox, as a number.
pub fn num_field(w: &World, model: &str, id: i64, f: &str) -> f64 {
    num(&field(&w.sandbox, model, id, f))
}

/// The sale order lines of order `so`, as the sandbox holds them.
pub fn lines_of(w: &World, so: i64) -> Vec<Value> {
    w.sandbox
        .records("sale.order.line")
        .into_iter()
        .filter(|l| l["order_id"][0] == json!(so))
        .collect()
}
