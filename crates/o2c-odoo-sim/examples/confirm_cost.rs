//! The sandbox's own CPU cost of `sale.order` create + `action_confirm` as
//! its tables grow (no HTTP, no latency): the figure behind the Odoo row of
//! docs/benchmarks.md. Usage:
//!
//! ```sh
//! cargo run --release -p o2c-odoo-sim --example confirm_cost -- [orders] [products]
//! ```

use std::time::Instant;

use o2c_odoo_sim::{Sandbox, Seed, SimConfig};
use serde_json::{Value, json};

fn main() {
    let mut args = std::env::args().skip(1);
    let orders: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(2000);
    let products: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(3000);
    let started = Instant::now();
    let sb = Sandbox::new(SimConfig {
        seed: Seed::Demo,
        demo_customers: 50,
        demo_products: products,
        ..SimConfig::default()
    });
    println!(
        "seeded {products} products in {:.2} s",
        started.elapsed().as_secs_f64()
    );
    let ids = |v: Option<Value>| -> Vec<i64> {
        v.and_then(|v| v.as_array().cloned())
            .unwrap_or_default()
            .iter()
            .filter_map(Value::as_i64)
            .collect()
    };
    let partners = ids(sb
        .execute(
            "res.partner",
            "search",
            json!([[["ref", "=like", "CUST-%"]]]),
            json!({}),
        )
        .expect("partners"));
    let product_ids = ids(sb
        .execute(
            "product.product",
            "search",
            json!([[]]),
            json!({"limit": 500}),
        )
        .expect("products"));
    let mut window = Instant::now();
    for i in 0..orders {
        let lines: Vec<Value> = (0..3)
            .map(|k| {
                json!([0, 0, {"product_id": product_ids[(i * 3 + k) % product_ids.len()],
                              "product_uom_qty": 1 + k}])
            })
            .collect();
        let so = sb
            .execute(
                "sale.order",
                "create",
                json!([{"partner_id": partners[i % partners.len()],
                        "client_order_ref": format!("COST-{i}"),
                        "order_line": lines}]),
                json!({}),
            )
            .expect("create")
            .expect("an id");
        sb.execute("sale.order", "action_confirm", json!([[so]]), json!({}))
            .expect("confirm");
        if (i + 1) % 500 == 0 {
            let per = window.elapsed().as_secs_f64() * 1000.0 / 500.0;
            println!(
                "orders {:>5}..{:>5}: {per:.2} ms per create+confirm",
                i - 498,
                i + 1
            );
            window = Instant::now();
        }
    }
}
