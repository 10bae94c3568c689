//! The command line as a user runs it: help for every command, exit codes
//! for bad input, the audit chain check, and the demo end to end.

use std::process::Command;

use serde_json::Value;

fn o2c(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_o2c"))
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run o2c")
}

#[test]
fn every_command_has_help() {
    for command in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["odoo-sim", "--help"],
        vec!["demo", "--help"],
        vec!["keys", "create", "--help"],
        vec!["replay", "--help"],
        vec!["dlq", "list", "--help"],
        vec!["dlq", "retry", "--help"],
        vec!["audit", "verify", "--help"],
        vec!["bench", "ingest", "--help"],
    ] {
        let output = o2c(&command);
        assert!(
            output.status.success(),
            "{command:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            String::from_utf8_lossy(&output.stdout).contains("Usage"),
            "{command:?}"
        );
    }
}

#[test]
fn bad_input_exits_with_2() {
    let temp = tempfile::tempdir().expect("tempdir");
    let store = temp.path().join("cli.db");
    let store = store.to_str().expect("path");
    assert_eq!(
        o2c(&["replay", "--order", "not-a-uuid", "--store", store])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        o2c(&["dlq", "show", "999", "--store", store]).status.code(),
        Some(2)
    );
    assert_eq!(
        o2c(&["dlq", "retry", "999", "--store", store])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        o2c(&[
            "keys", "create", "--name", "x", "--scope", "root", "--store", store
        ])
        .status
        .code(),
        Some(2)
    );
    assert_eq!(o2c(&["no-such-command"]).status.code(), Some(2));
}

#[test]
fn audit_verify_detects_tampering() {
    let temp = tempfile::tempdir().expect("tempdir");
    let path = temp.path().join("audit.db");
    let store = path.to_str().expect("path");
    for name in ["a", "b", "c"] {
        let created = o2c(&[
            "keys",
            "create",
            "--name",
            name,
            "--scope",
            "orders:read",
            "--store",
            store,
        ]);
        assert!(
            created.status.success(),
            "{}",
            String::from_utf8_lossy(&created.stderr)
        );
    }
    let intact = o2c(&["audit", "verify", "--store", store]);
    assert!(intact.status.success());
    assert!(
        String::from_utf8_lossy(&intact.stdout).contains("3 rows"),
        "{}",
        String::from_utf8_lossy(&intact.stdout)
    );

    // Tamper with the second row the way an intruder with file access would:
    // the append-only trigger stops casual edits, not someone who drops it.
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        use sqlx::Connection;
        let mut db = sqlx::SqliteConnection::connect(&format!("sqlite://{store}"))
            .await
            .expect("open");
        sqlx::query("DROP TRIGGER audit_no_update")
            .execute(&mut db)
            .await
            .expect("drop trigger");
        sqlx::query("UPDATE audit SET actor = 'someone-else' WHERE seq = 2")
            .execute(&mut db)
            .await
            .expect("tamper");
    });
    let broken = o2c(&["audit", "verify", "--store", store]);
    assert_eq!(broken.status.code(), Some(1));
    let text = String::from_utf8_lossy(&broken.stdout);
    assert!(text.contains("row 2"), "{text}");
}

#[test]
fn demo_confirms_every_order() {
    let output = o2c(&["demo", "--orders", "30", "--json"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "demo failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: Value = serde_json::from_str(stdout.trim()).expect("one JSON object");
    assert_eq!(summary["orders"], 30);
    assert_eq!(summary["confirmed"], 30);
    assert_eq!(summary["dead_lettered"], 0);
    assert!(
        summary["odoo_calls_per_order"]
            .as_f64()
            .is_some_and(|c| c > 0.0 && c < 10.0),
        "{summary}"
    );
}

fn shopify_fixture(name: &str) -> String {
    format!(
        "{}/../o2c-connectors/tests/fixtures/shopify/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn map_prints_the_canonical_order() {
    let output = o2c(&[
        "map",
        "--channel",
        "shopify",
        "--input",
        &shopify_fixture("hookdeck_2024-10_orders.create.json"),
        "--account",
        "shop.myshopify.com",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let order: Value = serde_json::from_slice(&output.stdout).expect("canonical JSON");
    assert_eq!(order["channel"]["kind"], "shopify");
    assert_eq!(order["channel_order_id"], "820982911946154508");
    // The newest Shopify mapping: the order discount is on the lines.
    assert_eq!(order["mapping"]["version"], 3);
    assert_eq!(order["lines"][0]["discount_amount"], "10.00");
}

#[test]
fn map_takes_a_csv_upload_through_the_csv_mapping() {
    let temp = tempfile::tempdir().expect("tempdir");
    let file = temp.path().join("orders.csv");
    let header = "order_number,order_date,currency,customer_name,sku,quantity,unit_price";
    std::fs::write(
        &file,
        format!(
            "{header}
A-1,2026-11-27,EUR,Acme,SKU-1,2,9.90
A-1,,,,SKU-2,1,4.00
A-2,2026-11-27,EUR,Bo,SKU-3,1,1
"
        ),
    )
    .expect("write");
    let output = o2c(&[
        "map",
        "--channel",
        "csv",
        "--input",
        file.to_str().expect("path"),
        "--account",
        "portal",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let orders: Value = serde_json::from_slice(&output.stdout).expect("canonical JSON");
    assert_eq!(orders.as_array().map(Vec::len), Some(2), "{orders:#}");
    assert_eq!(orders[0]["channel"]["account"], "portal");
    assert_eq!(orders[0]["mapping"]["name"], "csv");
    assert_eq!(orders[0]["lines"][1]["sku"], "SKU-2");
    assert_eq!(orders[0]["lines"][1]["unit_price"], "4.00");

    std::fs::write(
        &file,
        format!(
            "{header}
A-1,2026-11-27,EUR,Acme,SKU-1,two,9.90
"
        ),
    )
    .expect("write");
    let bad = o2c(&[
        "map",
        "--channel",
        "csv",
        "--input",
        file.to_str().expect("path"),
    ]);
    assert_eq!(bad.status.code(), Some(2));
    let problem: Value = serde_json::from_slice(&bad.stdout).expect("problem JSON");
    assert_eq!(problem["errors"][0]["line"], 2, "{problem}");
    assert_eq!(problem["errors"][0]["column"], "quantity", "{problem}");
}

#[test]
fn map_errors_are_problem_documents_with_exit_2() {
    let unknown = o2c(&[
        "map",
        "--channel",
        "fax",
        "--input",
        &shopify_fixture("pyapi_order.json"),
    ]);
    assert_eq!(unknown.status.code(), Some(2));
    let problem: Value = serde_json::from_slice(&unknown.stdout).expect("problem JSON");
    assert_eq!(problem["type"], "/problems/not-found");

    let temp = tempfile::tempdir().expect("tempdir");
    let path = temp.path().join("no-sku.json");
    let mut order: Value = serde_json::from_str(
        &std::fs::read_to_string(shopify_fixture("pyapi_order.json")).expect("read"),
    )
    .expect("json");
    order["order"]["line_items"][1]["sku"] = Value::Null;
    std::fs::write(&path, order.to_string()).expect("write");
    let failed = o2c(&[
        "map",
        "--channel",
        "shopify",
        "--input",
        path.to_str().expect("path"),
    ]);
    assert_eq!(failed.status.code(), Some(2));
    let problem: Value = serde_json::from_slice(&failed.stdout).expect("problem JSON");
    assert_eq!(problem["type"], "/problems/mapping-failed");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("518995019")),
        "{problem}"
    );
}

fn x12_fixture(name: &str) -> String {
    format!(
        "{}/../o2c-formats/tests/fixtures/x12/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn edi_parse_then_render_gives_the_file_back() {
    let parsed = o2c(&["edi", "parse", &x12_fixture("stedi_850_5010_dropship.edi")]);
    assert!(
        parsed.status.success(),
        "{}",
        String::from_utf8_lossy(&parsed.stderr)
    );
    let json: Value = serde_json::from_slice(&parsed.stdout).expect("JSON");
    assert_eq!(json["interchanges"].as_array().map(Vec::len), Some(1));
    let temp = tempfile::tempdir().expect("tempdir");
    let path = temp.path().join("850.json");
    std::fs::write(&path, &parsed.stdout).expect("write");
    let rendered = o2c(&["edi", "render", path.to_str().expect("path")]);
    assert!(
        rendered.status.success(),
        "{}",
        String::from_utf8_lossy(&rendered.stderr)
    );
    let again_path = temp.path().join("again.edi");
    std::fs::write(&again_path, &rendered.stdout).expect("write");
    let again = o2c(&["edi", "parse", again_path.to_str().expect("path")]);
    assert_eq!(
        serde_json::from_slice::<Value>(&again.stdout).expect("JSON"),
        json,
        "parse → render → parse is the identity"
    );
}

#[test]
fn edi_parse_names_the_segment_and_element_and_exits_2() {
    let bad = o2c(&[
        "edi",
        "parse",
        &x12_fixture("x12types_940_NEGATIVE_isa_wrong_separator.edi"),
    ]);
    assert_eq!(bad.status.code(), Some(2));
    let detail: Value = serde_json::from_slice(&bad.stdout).expect("JSON");
    assert_eq!(detail["position"]["segment"], 1);
    assert_eq!(detail["position"]["segment_id"], "ISA");
    assert!(
        detail["error"]
            .as_str()
            .is_some_and(|e| e.contains("segment 1 (ISA)")),
        "{detail}"
    );
    // A quirky but readable file passes with --lenient and warnings on stderr.
    let quirky = x12_fixture("x12types_850_5010_napa_5lines.edi");
    assert_eq!(o2c(&["edi", "parse", &quirky]).status.code(), Some(2));
    let lenient = o2c(&["edi", "parse", "--lenient", &quirky]);
    assert!(
        lenient.status.success(),
        "{}",
        String::from_utf8_lossy(&lenient.stderr)
    );
    assert!(String::from_utf8_lossy(&lenient.stderr).contains("warning"));
}

#[test]
fn import_dry_run_lists_bad_rows_and_exits_2() {
    let temp = tempfile::tempdir().expect("tempdir");
    let good = temp.path().join("good.csv");
    let header = "order_number,order_date,currency,customer_name,sku,quantity,unit_price";
    std::fs::write(
        &good,
        format!(
            "{header}\nA-1,2026-11-27,EUR,Acme,SKU-1,2,9.90\nA-1,2026-11-27,EUR,Acme,SKU-2,1,4.00\n"
        ),
    )
    .expect("write");
    let ok = o2c(&[
        "import",
        "orders",
        good.to_str().expect("path"),
        "--dry-run",
    ]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let bad = temp.path().join("bad.csv");
    std::fs::write(
        &bad,
        format!(
            "{header}\nB-1,2026-11-27,EUR,Acme,SKU-1,2,9.90\nB-2,yesterday,EUR,Acme,SKU-2,1,4.00\n"
        ),
    )
    .expect("write");
    let refused = o2c(&["import", "orders", bad.to_str().expect("path"), "--dry-run"]);
    assert_eq!(refused.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("line 3, column order_date"), "{stderr}");
}

#[test]
fn map_edi_850_takes_raw_x12_and_splits_sdq_stores() {
    let output = o2c(&[
        "map",
        "--channel",
        "edi-850",
        "--input",
        &x12_fixture("x12types_850_5010_rk_sdq_shipto_wh.edi"),
        "--account",
        "rk",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let orders: Value = serde_json::from_slice(&output.stdout).expect("canonical JSON");
    let ids: Vec<&str> = orders
        .as_array()
        .expect("one order per store")
        .iter()
        .map(|o| o["channel_order_id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, ["260001/65", "260001/66", "260001/67"]);
    assert_eq!(orders[2]["lines"][0]["quantity"]["value"], "100");
    assert_eq!(orders[0]["channel"]["account"], "rk");

    let unpriced = o2c(&[
        "map",
        "--channel",
        "edi-850",
        "--input",
        &x12_fixture("x12types_850_5010_napa_4lines.edi"),
    ]);
    assert_eq!(unpriced.status.code(), Some(2));
    let problem: Value = serde_json::from_slice(&unpriced.stdout).expect("problem JSON");
    assert_eq!(problem["type"], "/problems/mapping-failed");

    let malformed = o2c(&[
        "map",
        "--channel",
        "edi-850",
        "--input",
        &x12_fixture("x12types_940_NEGATIVE_isa_wrong_separator.edi"),
    ]);
    assert_eq!(malformed.status.code(), Some(2));
    let problem: Value = serde_json::from_slice(&malformed.stdout).expect("problem JSON");
    assert_eq!(problem["type"], "/problems/malformed-x12");
    assert!(problem["segment"].is_number(), "{problem}");
}

#[test]
fn map_takes_a_salesforce_record() {
    // A record in the REST API's documented shape (generated, not a sample).
    let record = serde_json::json!({
        "attributes": {"type": "Order", "url": "/services/data/v62.0/sobjects/Order/8015g0000000001AAA"},
        "Id": "8015g0000000001AAA",
        "OrderNumber": "00000101",
        "Status": "Activated",
        "EffectiveDate": "2024-05-01",
        "TotalAmount": 21.0,
        "SystemModstamp": "2024-05-01T10:00:00.000+0000",
        "CurrencyIsoCode": "USD",
        "Account": {"attributes": {"type": "Account", "url": "/services/data/v62.0/sobjects/Account/0015g0000000001AAA"},
                    "Id": "0015g0000000001AAA", "Name": "Acme Wholesale"},
        "ShippingStreet": "500 Dock Rd", "ShippingCity": "Oakland", "ShippingPostalCode": "94607",
        "ShippingState": "CA", "ShippingCountry": "US",
        "OrderItems": {"totalSize": 1, "done": true, "records": [{
            "attributes": {"type": "OrderItem", "url": "/services/data/v62.0/sobjects/OrderItem/8025g0000000001AAA"},
            "Id": "8025g0000000001AAA",
            "Product2": {"attributes": {"type": "Product2", "url": "/services/data/v62.0/sobjects/Product2/01t5g0000000001AAA"},
                         "ProductCode": "WID-100", "Name": "Widget 100"},
            "Quantity": 2.0, "UnitPrice": 10.5
        }]}
    });
    let temp = tempfile::tempdir().expect("tempdir");
    let path = temp.path().join("order.json");
    std::fs::write(&path, record.to_string()).expect("write");
    let output = o2c(&[
        "map",
        "--channel",
        "salesforce",
        "--input",
        path.to_str().expect("path"),
        "--account",
        "acme-prod",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let order: Value = serde_json::from_slice(&output.stdout).expect("canonical JSON");
    assert_eq!(
        order["channel"],
        serde_json::json!({"kind": "salesforce", "account": "acme-prod"})
    );
    assert_eq!(order["channel_order_id"], "8015g0000000001AAA");
    assert_eq!(order["lines"][0]["sku"], "WID-100");
    assert_eq!(order["ship_to"]["subdivision"], "US-CA");
}
