//! CSV uploads: a generated spreadsheet of orders, checked row by row; the
//! good orders become confirmed sale orders, the bad rows are reported with
//! line and column, and the file is kept.

mod common;

use common::TestHub;
use serde_json::Value;

const HEADER: &str = "order_number,order_date,currency,customer_ref,customer_name,customer_email,ship_to_street,ship_to_city,ship_to_postal_code,ship_to_country,sku,quantity,unit_price";

/// `orders` orders of `lines` rows each, with SKUs the sandbox's demo seed has.
fn generate(prefix: &str, orders: usize, lines: usize) -> Vec<String> {
    let mut rows = vec![HEADER.to_owned()];
    for o in 1..=orders {
        for l in 1..=lines {
            rows.push(format!(
                "{prefix}-{o},2026-11-27,USD,C-{o},Customer {o},c{o}@example.test,{o} Main St,Springfield,62701,US,SKU-{:05},{l},12.50",
                o * 10 + l
            ));
        }
    }
    rows
}

async fn upload(hub: &TestHub, body: String, dry_run: bool) -> reqwest::Response {
    hub.http
        .post(format!(
            "{}/v1/channels/csv/portal/uploads?dry_run={dry_run}",
            hub.base
        ))
        .bearer_auth(&hub.key)
        .header("content-type", "text/csv")
        .body(body)
        .send()
        .await
        .expect("upload")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn good_orders_go_in_and_every_bad_row_is_reported() {
    let hub = TestHub::sqlite().await;
    let mut rows = generate("CSV", 3, 2);
    // Order CSV-2, second line: a quantity that is not a number.
    rows[4] = rows[4].replacen(",2,12.50", ",two,12.50", 1);
    let body = rows.join("\n") + "\n";

    let checked: Value = upload(&hub, body.clone(), true)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(checked["report"]["rows"], 6);
    assert_eq!(checked["report"]["valid_orders"], 2);
    let errors = checked["report"]["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["line"], 5);
    assert_eq!(errors[0]["column"], "quantity");
    assert!(
        hub.store
            .list_orders(None, 10)
            .await
            .expect("orders")
            .is_empty(),
        "a dry run stores nothing"
    );

    let done: Value = upload(&hub, body.clone(), false)
        .await
        .json()
        .await
        .expect("json");
    let accepted = done["accepted"].as_array().expect("accepted");
    assert_eq!(accepted.len(), 2);
    for entry in accepted {
        let id = entry["order_id"].as_str().expect("id");
        hub.wait_for_status(id, "confirmed").await;
        // Mapped by the csv rule, and its rows kept as the order's payload.
        let journal = hub
            .store
            .load_journal(uuid::Uuid::parse_str(id).expect("uuid"))
            .await
            .expect("journal");
        assert_eq!(journal[0].data["order"]["mapping"]["name"], "csv");
        let inbox = hub
            .store
            .inbox_for_order(uuid::Uuid::parse_str(id).expect("uuid"))
            .await
            .expect("inbox");
        let rows: Value = serde_json::from_str(&inbox[0].payload).expect("grouped rows");
        assert!(rows["rows"][0]["line"].as_u64().is_some(), "{rows}");
    }
    assert_eq!(hub.sale_orders("CSV-1").await.len(), 1);
    assert!(hub.sale_orders("CSV-2").await.is_empty());
    let kept = hub
        .store
        .list_inbox(Some("rejected"), 10)
        .await
        .expect("inbox");
    assert_eq!(kept.len(), 1, "the file with a bad row is kept");
    assert!(kept[0].payload.contains("two"));

    // Uploading the same file again makes no second order.
    upload(&hub, body, false).await;
    assert_eq!(hub.sale_orders("CSV-1").await.len(), 1);
    assert_eq!(
        hub.store.list_orders(None, 10).await.expect("orders").len(),
        2
    );
    hub.shutdown().await;
}
