//! A write that Odoo commits while the client times out, then retried by the
//! connector, leaves exactly one record in Odoo: for the two upserts the hub
//! uses (`sale.order.load` and `res.partner.load` by external id). Counted
//! in the sandbox itself, by the natural key and by the external id.
//!
//! Both timings of a real Odoo are covered: the work committed before the
//! answer is lost (`before_hold`), and the work still running when the
//! retry arrives, committing after it (`after_hold`: the server keeps going
//! after the client gave up).

use std::time::Duration;

use o2c_odoo::ops::PartnerValues;
use o2c_odoo::{OdooClient, OdooConfig, RetryPolicy, SaleLineValues, SaleOrderValues};
use o2c_odoo_sim::{FaultConfig, OdooVersion, Sandbox, Seed, SimConfig, TimeoutCommit};
use rust_decimal_macros::dec;
use serde_json::json;

const HOLD_MS: u64 = 600;

async fn setup(version: OdooVersion) -> (Sandbox, OdooClient) {
    let sandbox = Sandbox::new(SimConfig {
        version,
        seed: Seed::Demo,
        demo_customers: 3,
        demo_products: 3,
        ..SimConfig::default()
    });
    let url = sandbox.spawn().await.expect("spawn");
    let client = OdooClient::new(OdooConfig {
        url,
        db: "o2c".into(),
        login: "admin".into(),
        secret: "admin".into(),
        // shorter than the hold: the first attempt always times out
        timeout: Duration::from_millis(250),
        max_concurrency: 4,
        retry: RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(100),
            max_retry_after: Duration::from_secs(2),
        },
        ..OdooConfig::default()
    })
    .expect("client");
    // log in (and learn the version) before any fault is armed, so the
    // armed fault hits the upsert itself
    client
        .execute_kw("res.partner", "search_count", json!([[]]), json!({}), None)
        .await
        .expect("a first call");
    (sandbox, client)
}

/// The next Odoo call times out on the client and commits on the server.
fn arm_one_timeout(sandbox: &Sandbox, commit: TimeoutCommit) {
    sandbox
        .set_faults(FaultConfig {
            timeout_rate: 1.0,
            timeout_hold_ms: HOLD_MS,
            timeout_commit: commit,
            max_faults: Some(1),
            ..FaultConfig::default()
        })
        .expect("faults");
}

/// Lets a held request finish its work (`after_hold`).
async fn let_held_work_land() {
    tokio::time::sleep(Duration::from_millis(HOLD_MS + 300)).await;
}

fn xmlids(sandbox: &Sandbox, module: &str, name: &str, model: &str) -> Vec<i64> {
    sandbox
        .records("ir.model.data")
        .iter()
        .filter(|r| r["module"] == json!(module) && r["name"] == json!(name))
        .map(|r| {
            assert_eq!(r["model"], json!(model));
            r["res_id"].as_i64().expect("res_id")
        })
        .collect()
}

fn product_ids(sandbox: &Sandbox) -> Vec<i64> {
    sandbox
        .records("product.product")
        .iter()
        .filter_map(|r| r["id"].as_i64())
        .take(2)
        .collect()
}

#[tokio::test]
async fn a_timed_out_sale_order_load_retried_makes_one_order() {
    for version in [OdooVersion::V16, OdooVersion::V19] {
        for commit in [TimeoutCommit::BeforeHold, TimeoutCommit::AfterHold] {
            let (sandbox, client) = setup(version).await;
            let partner = sandbox.records("res.partner")[0]["id"]
                .as_i64()
                .expect("a partner");
            let products = product_ids(&sandbox);
            let reference = format!("TMO-{}-{commit:?}", version.major());
            let values = SaleOrderValues {
                xmlid: format!(
                    "__o2c__.so_tmo_{}",
                    reference.to_lowercase().replace('-', "_")
                ),
                partner_id: partner,
                client_order_ref: reference.clone(),
                lines: products
                    .iter()
                    .enumerate()
                    .map(|(i, p)| SaleLineValues {
                        xmlid: format!(
                            "__o2c__.sol_tmo_{}_{i}",
                            reference.to_lowercase().replace('-', "_")
                        ),
                        product_id: *p,
                        quantity: dec!(2),
                        uom_id: None,
                        price_unit: dec!(10.50),
                        discount: dec!(0),
                    })
                    .collect(),
                note: None,
                pricelist_id: None,
            };
            arm_one_timeout(&sandbox, commit);
            let id = client
                .upsert_sale_order(&values, Some("timeout-test"))
                .await
                .unwrap_or_else(|e| panic!("{version} {commit:?}: {e:?}"));
            let_held_work_land().await;

            let ctx = format!("{version} {commit:?}");
            assert_eq!(sandbox.fault_stats().timeouts, 1, "{ctx}: one timeout");
            assert_eq!(
                sandbox.calls("sale.order", "load"),
                2,
                "{ctx}: the timed-out load was retried once"
            );
            let orders = sandbox.count("sale.order", json!([["client_order_ref", "=", reference]]));
            assert_eq!(orders, 1, "{ctx}: exactly one order by client_order_ref");
            let (module, name) = values.xmlid.split_once('.').expect("module.name");
            assert_eq!(
                xmlids(&sandbox, module, name, "sale.order"),
                vec![id],
                "{ctx}: one external id, on the order returned"
            );
            let lines = sandbox.count("sale.order.line", json!([["order_id", "=", id]]));
            assert_eq!(lines, values.lines.len(), "{ctx}: no duplicated lines");
            for line in &values.lines {
                let (m, n) = line.xmlid.split_once('.').expect("module.name");
                assert_eq!(
                    xmlids(&sandbox, m, n, "sale.order.line").len(),
                    1,
                    "{ctx}: {}",
                    line.xmlid
                );
            }
        }
    }
}

#[tokio::test]
async fn a_timed_out_partner_upsert_retried_makes_one_partner() {
    for version in [OdooVersion::V16, OdooVersion::V19] {
        for commit in [TimeoutCommit::BeforeHold, TimeoutCommit::AfterHold] {
            let (sandbox, client) = setup(version).await;
            let ctx = format!("{version} {commit:?}");
            let reference = format!("TMO-P-{}-{commit:?}", version.major());
            let name = format!("Timeout Customer {} {commit:?}", version.major());
            let xmlid = format!(
                "__o2c__.cust_tmo_{}",
                reference.to_lowercase().replace('-', "_")
            );
            let values = PartnerValues {
                name: name.clone(),
                email: Some("late@example.com".into()),
                reference: Some(reference.clone()),
                ..PartnerValues::default()
            };
            let before = sandbox.count("res.partner", json!([]));
            arm_one_timeout(&sandbox, commit);
            let id = client
                .upsert_partner_by_xmlid(&xmlid, &values, Some("timeout-test"))
                .await
                .unwrap_or_else(|e| panic!("{ctx}: {e:?}"));
            let_held_work_land().await;

            assert_eq!(sandbox.fault_stats().timeouts, 1, "{ctx}: one timeout");
            assert_eq!(
                sandbox.calls("res.partner", "load"),
                2,
                "{ctx}: the timed-out load was retried once"
            );
            assert_eq!(
                sandbox.count("res.partner", json!([["ref", "=", reference]])),
                1,
                "{ctx}: exactly one partner by ref"
            );
            assert_eq!(
                sandbox.count("res.partner", json!([])),
                before + 1,
                "{ctx}: one partner created in all"
            );
            let (module, local) = xmlid.split_once('.').expect("module.name");
            assert_eq!(
                xmlids(&sandbox, module, local, "res.partner"),
                vec![id],
                "{ctx}: one external id, on the partner returned"
            );
            assert_eq!(
                sandbox.read("res.partner", id, &["name"]).expect("partner")["name"],
                json!(name),
                "{ctx}"
            );
        }
    }
}
