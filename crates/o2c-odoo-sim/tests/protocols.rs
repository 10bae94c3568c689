//! Every protocol endpoint over real HTTP: XML-RPC (v2 and legacy v1), the
//! web session routes with their cookie and login cooldown, JSON-2 (19)
//! with API keys, the 19 deprecation of `/jsonrpc`, and persistence.

use std::time::Duration;

use o2c_odoo_sim::{OdooVersion, Sandbox, Seed, SimConfig};
use o2c_xmlrpc::{MethodCall, MethodResponse, Value as X};
use serde_json::{Value, json};

fn cfg(version: OdooVersion) -> SimConfig {
    SimConfig {
        version,
        seed: Seed::Empty,
        ..SimConfig::default()
    }
}

async fn start(config: SimConfig) -> (Sandbox, String) {
    let sb = Sandbox::new(config);
    let url = sb.spawn().await.unwrap();
    (sb, url)
}

async fn xmlrpc(url: &str, path: &str, method: &str, params: Vec<X>) -> MethodResponse {
    let body = o2c_xmlrpc::write_method_call(&MethodCall::new(method, params));
    let resp = reqwest::Client::new()
        .post(format!("{url}{path}"))
        .header("Content-Type", "text/xml")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    o2c_xmlrpc::parse_method_response(&resp.text().await.unwrap()).unwrap()
}

fn execute_kw(db: &str, pw: &str, model: &str, method: &str, args: Value, kwargs: Value) -> Vec<X> {
    vec![
        X::from(db),
        X::Int(2),
        X::from(pw),
        X::from(model),
        X::from(method),
        X::from_json(&args),
        X::from_json(&kwargs),
    ]
}

fn fault_code(r: &MethodResponse) -> i64 {
    match r {
        MethodResponse::Fault { code, .. } => *code,
        other => panic!("expected a fault, got {other:?}"),
    }
}

#[tokio::test]
async fn xmlrpc_common_and_object() {
    let (sb, url) = start(cfg(OdooVersion::V16)).await;
    let MethodResponse::Success(v) = xmlrpc(&url, "/xmlrpc/2/common", "version", vec![]).await
    else {
        panic!()
    };
    assert_eq!(v.get("server_version").and_then(X::as_str), Some("16.0"));
    let login = xmlrpc(
        &url,
        "/xmlrpc/2/common",
        "login",
        vec!["o2c".into(), "admin".into(), "admin".into()],
    )
    .await;
    assert_eq!(login, MethodResponse::Success(X::Int(2)));
    let bad = xmlrpc(
        &url,
        "/xmlrpc/2/common",
        "authenticate",
        vec![
            "o2c".into(),
            "admin".into(),
            "nope".into(),
            X::Struct(vec![]),
        ],
    )
    .await;
    assert_eq!(bad, MethodResponse::Success(X::Bool(false)));
    // unknown db: faultCode 1 with the traceback
    let r = xmlrpc(
        &url,
        "/xmlrpc/2/common",
        "authenticate",
        vec![
            "nodb".into(),
            "admin".into(),
            "admin".into(),
            X::Struct(vec![]),
        ],
    )
    .await;
    assert_eq!(fault_code(&r), 1);

    // create + read over XML-RPC
    let r = xmlrpc(
        &url,
        "/xmlrpc/2/object",
        "execute_kw",
        execute_kw(
            "o2c",
            "admin",
            "res.partner",
            "create",
            json!([{"name": "XML Co"}]),
            json!({}),
        ),
    )
    .await;
    let MethodResponse::Success(X::Int(id)) = r else {
        panic!("{r:?}")
    };
    assert!(sb.read("res.partner", id, &["name"]).is_some());

    // fault codes: 3 access denied, 2 user error family, 4 access error,
    // 1 anything else
    let r = xmlrpc(
        &url,
        "/xmlrpc/2/object",
        "execute_kw",
        execute_kw(
            "o2c",
            "wrong",
            "res.partner",
            "search_count",
            json!([[]]),
            json!({}),
        ),
    )
    .await;
    assert_eq!(
        r,
        MethodResponse::Fault {
            code: 3,
            string: "Access Denied".into()
        }
    );
    let r = xmlrpc(
        &url,
        "/xmlrpc/2/object",
        "execute_kw",
        execute_kw(
            "o2c",
            "admin",
            "res.partner",
            "write",
            json!([[99999999], {"name": "x"}]),
            json!({}),
        ),
    )
    .await;
    assert_eq!(fault_code(&r), 2);
    let r = xmlrpc(
        &url,
        "/xmlrpc/2/object",
        "execute_kw",
        execute_kw(
            "o2c",
            "admin",
            "res.partner",
            "_private",
            json!([[]]),
            json!({}),
        ),
    )
    .await;
    assert_eq!(fault_code(&r), 4);
    let r = xmlrpc(
        &url,
        "/xmlrpc/2/object",
        "execute_kw",
        execute_kw(
            "o2c",
            "admin",
            "res.partner",
            "confirm",
            json!([[id]]),
            json!({}),
        ),
    )
    .await;
    assert_eq!(fault_code(&r), 1);
    let MethodResponse::Fault { string, .. } = r else {
        panic!()
    };
    assert!(
        string.starts_with("Traceback (most recent call last):\n"),
        "{string}"
    );

    // the legacy endpoint answers string fault codes
    // (`xmlrpc_handle_exception_string`)
    let body = o2c_xmlrpc::write_method_call(&MethodCall::new(
        "execute_kw",
        execute_kw(
            "o2c",
            "admin",
            "res.partner",
            "write",
            json!([[99999999], {"name": "x"}]),
            json!({}),
        ),
    ));
    let text = reqwest::Client::new()
        .post(format!("{url}/xmlrpc/object"))
        .body(body)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains("<name>faultCode</name>\n<value><string>warning -- MissingError\n\nRecord does not exist"),
        "{text}"
    );
}

/// A method returning None: a Fault over XML-RPC, but the work is
/// committed (recorded: `xmlrpc.stock.quant.action_apply_inventory.returns_none`).
#[tokio::test]
async fn xmlrpc_none_is_a_fault_after_the_commit() {
    let (sb, url) = start(SimConfig {
        seed: Seed::Demo,
        demo_customers: 10,
        demo_products: 20,
        ..cfg(OdooVersion::V16)
    })
    .await;
    let product = sb
        .execute(
            "product.product",
            "search",
            json!([[]]),
            json!({"limit": 1}),
        )
        .unwrap()
        .unwrap()[0]
        .as_i64()
        .unwrap();
    let Ok(Some(locs)) = sb.execute(
        "stock.location",
        "search",
        json!([[["usage", "=", "internal"]]]),
        json!({"limit": 1}),
    ) else {
        eprintln!("stock.location is not modelled yet: skipping");
        return;
    };
    let loc = locs[0].as_i64().unwrap();
    let quant = sb
        .execute(
            "stock.quant",
            "create",
            json!([{"product_id": product, "location_id": loc, "inventory_quantity": 1000}]),
            json!({"context": {"inventory_mode": true}}),
        )
        .unwrap()
        .unwrap()
        .as_i64()
        .unwrap();
    let r = xmlrpc(
        &url,
        "/xmlrpc/2/object",
        "execute_kw",
        execute_kw(
            "o2c",
            "admin",
            "stock.quant",
            "action_apply_inventory",
            json!([[quant]]),
            json!({"context": {"inventory_mode": true}}),
        ),
    )
    .await;
    let MethodResponse::Fault { code, string } = r else {
        panic!("{r:?}")
    };
    assert_eq!(code, 1);
    assert!(
        string.ends_with("TypeError: cannot marshal None unless allow_none is enabled\n"),
        "{string}"
    );
    let q = sb.read("stock.quant", quant, &["quantity"]).unwrap();
    assert_eq!(
        q["quantity"].as_f64(),
        Some(1000.0),
        "the work was committed"
    );
}

async fn post_json(
    http: &reqwest::Client,
    url: &str,
    cookie: Option<&str>,
    body: Value,
) -> (reqwest::header::HeaderMap, Value) {
    let mut req = http.post(url).json(&body);
    if let Some(c) = cookie {
        req = req.header("Cookie", format!("session_id={c}"));
    }
    let resp = req.send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let headers = resp.headers().clone();
    (headers, resp.json().await.unwrap())
}

fn cookie_of(headers: &reqwest::header::HeaderMap) -> Option<String> {
    headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("session_id="))
        .map(|c| c.split(';').next().unwrap().to_string())
}

#[tokio::test]
async fn web_session_and_call_kw() {
    for version in [OdooVersion::V16, OdooVersion::V19] {
        let (_sb, url) = start(cfg(version)).await;
        let http = reqwest::Client::new();
        // without a session: code 100, id null
        let (_, body) = post_json(
            &http,
            &format!("{url}/web/dataset/call_kw/res.partner/search_count"),
            None,
            json!({"jsonrpc": "2.0", "method": "call", "params": {"model": "res.partner", "method": "search_count", "args": [[]], "kwargs": {}}, "id": 7}),
        )
        .await;
        assert_eq!(body["id"], Value::Null);
        assert_eq!(body["error"]["code"], 100);
        assert_eq!(body["error"]["message"], "Odoo Session Expired");
        assert_eq!(
            body["error"]["data"]["name"],
            "odoo.http.SessionExpiredException"
        );

        let (headers, body) = post_json(
            &http,
            &format!("{url}/web/session/authenticate"),
            None,
            json!({"jsonrpc": "2.0", "method": "call", "params": {"db": "o2c", "login": "admin", "password": "admin"}, "id": 1}),
        )
        .await;
        assert_eq!(body["result"]["uid"], 2);
        assert_eq!(body["result"]["db"], "o2c");
        assert_eq!(
            body["result"]["server_version_info"][0],
            i64::from(version.major())
        );
        let sid = cookie_of(&headers).expect("session cookie");
        let (_, body) = post_json(
            &http,
            &format!("{url}/web/dataset/call_kw/res.partner/search_count"),
            Some(&sid),
            json!({"jsonrpc": "2.0", "method": "call", "params": {"model": "res.partner", "method": "search_count", "args": [[]], "kwargs": {}}, "id": 8}),
        )
        .await;
        assert!(body["result"].as_u64().unwrap() > 0, "{body}");
        // a bad web password: AccessDenied; 19 uses error code 0
        let (_, body) = post_json(
            &http,
            &format!("{url}/web/session/authenticate"),
            None,
            json!({"jsonrpc": "2.0", "method": "call", "params": {"db": "o2c", "login": "admin", "password": "bad"}, "id": 2}),
        )
        .await;
        assert_eq!(
            body["error"]["data"]["name"],
            "odoo.exceptions.AccessDenied"
        );
        let code = if version == OdooVersion::V19 { 0 } else { 200 };
        assert_eq!(body["error"]["code"], code);
        // logout
        let (_, body) = post_json(
            &http,
            &format!("{url}/web/session/destroy"),
            Some(&sid),
            json!({"jsonrpc": "2.0", "method": "call", "params": {}, "id": 3}),
        )
        .await;
        assert!(body.get("error").is_none());
        let (_, body) = post_json(
            &http,
            &format!("{url}/web/dataset/call_kw"),
            Some(&sid),
            json!({"jsonrpc": "2.0", "method": "call", "params": {"model": "res.partner", "method": "search_count", "args": [[]], "kwargs": {}}, "id": 9}),
        )
        .await;
        assert_eq!(body["error"]["code"], 100);
    }
}

#[tokio::test]
async fn web_login_cooldown_but_not_rpc() {
    let (_sb, url) = start(SimConfig {
        login_cooldown_duration: Duration::from_millis(500),
        ..cfg(OdooVersion::V16)
    })
    .await;
    let http = reqwest::Client::new();
    let web = |pw: &str| json!({"jsonrpc": "2.0", "method": "call", "params": {"db": "o2c", "login": "admin", "password": pw}, "id": 1});
    for _ in 0..10 {
        let (_, b) = post_json(
            &http,
            &format!("{url}/web/session/authenticate"),
            None,
            web("bad"),
        )
        .await;
        assert_eq!(b["error"]["data"]["message"], "Access Denied");
    }
    let (_, b) = post_json(
        &http,
        &format!("{url}/web/session/authenticate"),
        None,
        web("admin"),
    )
    .await;
    assert_eq!(
        b["error"]["data"]["message"],
        "Too many login failures, please wait a bit before trying again."
    );
    // RPC logins are not subject to it
    let (_, b) = post_json(
        &http,
        &format!("{url}/jsonrpc"),
        None,
        json!({"jsonrpc": "2.0", "method": "call", "params": {"service": "common", "method": "authenticate", "args": ["o2c", "admin", "admin", {}]}, "id": 2}),
    )
    .await;
    assert_eq!(b["result"], 2);
    tokio::time::sleep(Duration::from_millis(600)).await;
    let (_, b) = post_json(
        &http,
        &format!("{url}/web/session/authenticate"),
        None,
        web("admin"),
    )
    .await;
    assert_eq!(b["result"]["uid"], 2, "{b}");
}

async fn json2(
    url: &str,
    path: &str,
    key: Option<&str>,
    db: Option<&str>,
    body: &str,
) -> (u16, reqwest::header::HeaderMap, String) {
    let mut req = reqwest::Client::new()
        .post(format!("{url}{path}"))
        .header("Content-Type", "application/json; charset=utf-8")
        .body(body.to_string());
    if let Some(k) = key {
        req = req.header("Authorization", format!("bearer {k}"));
    }
    if let Some(d) = db {
        req = req.header("X-Odoo-Database", d);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    (status, headers, resp.text().await.unwrap())
}

#[tokio::test]
async fn json2_api_with_configured_and_generated_keys() {
    let key = "0123456789abcdef0123456789abcdef01234567";
    let (sb, url) = start(SimConfig {
        api_keys: vec![key.into()],
        ..cfg(OdooVersion::V19)
    })
    .await;
    // success shapes: bare results
    let (s, h, b) = json2(
        &url,
        "/json/2/res.partner/create",
        Some(key),
        Some("o2c"),
        r#"{"vals_list": [{"name": "J2 Co"}]}"#,
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(h["content-type"], "application/json; charset=utf-8");
    let ids: Value = serde_json::from_str(&b).unwrap();
    let id = ids[0].as_i64().expect("create returns a list");
    let (s, _, b) = json2(
        &url,
        "/json/2/res.partner/read",
        Some(key),
        Some("o2c"),
        &json!({"ids": [id], "fields": ["name"]}).to_string(),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(
        serde_json::from_str::<Value>(&b).unwrap()[0]["name"],
        "J2 Co"
    );
    let (s, _, b) = json2(
        &url,
        "/json/2/res.partner/write",
        Some(key),
        Some("o2c"),
        &json!({"ids": [id], "vals": {"name": "J2 Inc"}}).to_string(),
    )
    .await;
    assert_eq!((s, b.as_str()), (200, "true"));
    // the database header is optional on a single-database server
    let (s, _, _) = json2(
        &url,
        "/json/2/res.partner/search_count",
        Some(key),
        None,
        r#"{"domain": []}"#,
    )
    .await;
    assert_eq!(s, 200);

    // error shapes
    let err = |b: &str| serde_json::from_str::<Value>(b).unwrap();
    let (s, h, b) = json2(
        &url,
        "/json/2/res.partner/search_count",
        None,
        Some("o2c"),
        "{}",
    )
    .await;
    assert_eq!(s, 401);
    // Odoo sends "Bearer " (trailing space), which HTTP parsers trim
    assert_eq!(h["www-authenticate"].to_str().unwrap().trim(), "Bearer");
    assert_eq!(
        err(&b)["message"],
        "User not authenticated, use an API Key with a Bearer Authorization header."
    );
    let (s, _, b) = json2(
        &url,
        "/json/2/res.partner/search_count",
        Some("admin"),
        Some("o2c"),
        "{}",
    )
    .await;
    assert_eq!(
        (s, err(&b)["message"].clone()),
        (401, json!("Invalid apikey"))
    );
    let (s, h, _) = json2(
        &url,
        "/json/2/res.partner/search_count",
        Some(key),
        Some("nodb"),
        "{}",
    )
    .await;
    assert_eq!(s, 404);
    assert!(h["content-type"].to_str().unwrap().starts_with("text/html"));
    let (s, _, b) = json2(
        &url,
        "/json/2/sale.order/create",
        Some(key),
        Some("o2c"),
        r#"{"vals_list": [{"client_order_ref": "X"}]}"#,
    )
    .await;
    assert_eq!(
        (s, err(&b)["name"].clone()),
        (422, json!("odoo.exceptions.ValidationError"))
    );
    let (s, _, b) = json2(
        &url,
        "/json/2/res.partner/write",
        Some(key),
        Some("o2c"),
        r#"{"ids": [99999999], "vals": {"name": "x"}}"#,
    )
    .await;
    assert_eq!(
        (s, err(&b)["name"].clone()),
        (404, json!("odoo.exceptions.MissingError"))
    );
    let (s, _, b) = json2(
        &url,
        "/json/2/res.partner/confirm",
        Some(key),
        Some("o2c"),
        r#"{"ids": [1]}"#,
    )
    .await;
    assert_eq!(
        (s, err(&b)["message"].clone()),
        (
            404,
            json!("The method 'res.partner.confirm' does not exist")
        )
    );
    let (s, _, b) = json2(
        &url,
        "/json/2/no.such.model/search",
        Some(key),
        Some("o2c"),
        "{}",
    )
    .await;
    assert_eq!(
        (s, err(&b)["name"].clone()),
        (404, json!("werkzeug.exceptions.NotFound"))
    );
    let (s, _, b) = json2(
        &url,
        "/json/2/res.partner/_private",
        Some(key),
        Some("o2c"),
        "{}",
    )
    .await;
    assert_eq!(
        (s, err(&b)["name"].clone()),
        (403, json!("odoo.exceptions.AccessError"))
    );
    let (s, _, b) = json2(
        &url,
        "/json/2/res.partner/create",
        Some(key),
        Some("o2c"),
        r#"{"ids": [1], "vals_list": []}"#,
    )
    .await;
    assert_eq!(
        (s, err(&b)["message"].clone()),
        (422, json!("cannot call res.partner.create with ids"))
    );
    let (s, _, b) = json2(
        &url,
        "/json/2/res.partner/write",
        Some(key),
        Some("o2c"),
        r#"{"ids": [1]}"#,
    )
    .await;
    assert_eq!(
        (s, err(&b)["message"].clone()),
        (422, json!("missing a required argument: 'vals'"))
    );
    let (s, _, b) = json2(
        &url,
        "/json/2/res.partner/search_read",
        Some(key),
        Some("o2c"),
        r#"{"args": [[]]}"#,
    )
    .await;
    assert_eq!(
        (s, err(&b)["name"].clone()),
        (500, json!("builtins.TypeError"))
    );
    let (s, _, b) = json2(
        &url,
        "/json/2/res.partner/search_count",
        Some(key),
        Some("o2c"),
        r#"{"domain": ["#,
    )
    .await;
    assert_eq!(
        (s, err(&b)["name"].clone()),
        (400, json!("werkzeug.exceptions.BadRequest"))
    );
    let resp = reqwest::Client::new()
        .post(format!("{url}/json/2/res.partner/search_count"))
        .header("Content-Type", "text/plain")
        .header("Authorization", format!("bearer {key}"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 415);
    let resp = reqwest::Client::new()
        .get(format!("{url}/json/2/res.partner/search_count"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);

    // a key made through the web flow works for JSON-2 and as a password
    let http = reqwest::Client::new();
    let (headers, _) = post_json(
        &http,
        &format!("{url}/web/session/authenticate"),
        None,
        json!({"jsonrpc": "2.0", "method": "call", "params": {"db": "o2c", "login": "admin", "password": "admin"}, "id": 1}),
    )
    .await;
    let sid = cookie_of(&headers).unwrap();
    let call = |model: &str, method: &str, args: Value, kwargs: Value| json!({"jsonrpc": "2.0", "method": "call", "params": {"model": model, "method": method, "args": args, "kwargs": kwargs}, "id": 5});
    let kw_url = format!("{url}/web/dataset/call_kw");
    let (_, b) = post_json(
        &http,
        &kw_url,
        Some(&sid),
        call(
            "res.users.apikeys.description",
            "create",
            json!([{"name": "test key", "duration": "0"}]),
            json!({}),
        ),
    )
    .await;
    let desc = b["result"].as_i64().unwrap();
    let (_, b) = post_json(
        &http,
        &kw_url,
        Some(&sid),
        call(
            "res.users.apikeys.description",
            "make_key",
            json!([[desc]]),
            json!({}),
        ),
    )
    .await;
    assert_eq!(b["result"]["res_model"], "res.users.identitycheck");
    let check = b["result"]["res_id"].as_i64().unwrap();
    let (_, b) = post_json(
        &http,
        &kw_url,
        Some(&sid),
        call(
            "res.users.identitycheck",
            "run_check",
            json!([[check]]),
            json!({"context": {"password": "wrong"}}),
        ),
    )
    .await;
    assert_eq!(b["error"]["data"]["name"], "odoo.exceptions.UserError");
    let (_, b) = post_json(
        &http,
        &kw_url,
        Some(&sid),
        call(
            "res.users.identitycheck",
            "run_check",
            json!([[check]]),
            json!({"context": {"password": "admin"}}),
        ),
    )
    .await;
    let new_key = b["result"]["context"]["default_key"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(new_key.len(), 40);
    let (s, _, _) = json2(
        &url,
        "/json/2/res.partner/search_count",
        Some(&new_key),
        Some("o2c"),
        "{}",
    )
    .await;
    assert_eq!(s, 200);
    let (_, b) = post_json(
        &http,
        &format!("{url}/jsonrpc"),
        None,
        json!({"jsonrpc": "2.0", "method": "call", "params": {"service": "object", "method": "execute_kw", "args": ["o2c", 2, new_key, "res.partner", "search_count", [[]]]}, "id": 6}),
    )
    .await;
    assert!(b["result"].as_u64().is_some(), "{b}");
    // make_key over /jsonrpc is refused
    let (_, b) = post_json(
        &http,
        &format!("{url}/jsonrpc"),
        None,
        json!({"jsonrpc": "2.0", "method": "call", "params": {"service": "object", "method": "execute_kw", "args": ["o2c", 2, "admin", "res.users.apikeys.description", "make_key", [[desc]]]}, "id": 6}),
    )
    .await;
    assert_eq!(
        b["error"]["data"]["message"],
        "This method can only be accessed over HTTP"
    );
    // revoke: the key stops working
    let (_, b) = post_json(
        &http,
        &kw_url,
        Some(&sid),
        call(
            "res.users.apikeys",
            "search_read",
            json!([[["name", "=", "test key"]]]),
            json!({"fields": ["name"]}),
        ),
    )
    .await;
    let key_id = b["result"][0]["id"].as_i64().unwrap();
    let (_, b) = post_json(
        &http,
        &kw_url,
        Some(&sid),
        call("res.users.apikeys", "remove", json!([[key_id]]), json!({})),
    )
    .await;
    assert_eq!(b["result"]["type"], "ir.actions.act_window_close");
    let (s, _, _) = json2(
        &url,
        "/json/2/res.partner/search_count",
        Some(&new_key),
        Some("o2c"),
        "{}",
    )
    .await;
    assert_eq!(s, 401);
    drop(sb);
}

#[tokio::test]
async fn json2_is_19_only_and_multi_db_needs_the_header() {
    let (_sb, url) = start(SimConfig {
        api_keys: vec!["k".repeat(40)],
        ..cfg(OdooVersion::V18)
    })
    .await;
    let (s, _, _) = json2(
        &url,
        "/json/2/res.partner/search_count",
        Some(&"k".repeat(40)),
        Some("o2c"),
        "{}",
    )
    .await;
    assert_eq!(s, 404);

    let (_sb, url) = start(SimConfig {
        api_keys: vec!["k".repeat(40)],
        extra_databases: vec!["other".into()],
        ..cfg(OdooVersion::V19)
    })
    .await;
    let key = "k".repeat(40);
    let (s, _, _) = json2(
        &url,
        "/json/2/res.partner/search_count",
        Some(&key),
        None,
        "{}",
    )
    .await;
    assert_eq!(s, 404);
    let (s, _, b) = json2(
        &url,
        "/json/2/res.partner/search_count",
        Some(&key),
        Some("other"),
        "{}",
    )
    .await;
    assert_eq!(s, 401, "keys are per database: {b}");
    let (s, _, _) = json2(
        &url,
        "/json/2/res.partner/search_count",
        Some(&key),
        Some("o2c"),
        "{}",
    )
    .await;
    assert_eq!(s, 200);
    // db.list shows both
    let body: Value = reqwest::Client::new()
        .post(format!("{url}/jsonrpc"))
        .json(&json!({"jsonrpc": "2.0", "method": "call", "params": {"service": "db", "method": "list", "args": []}, "id": 1}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["result"], json!(["o2c", "other"]));
    // GET /web/version (19)
    let v: Value = reqwest::get(format!("{url}/web/version"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        v,
        json!({"version_info": [19, 0, 0, "final", 0, ""], "version": "19.0"})
    );
}

#[tokio::test]
async fn api_key_works_as_rpc_password_on_every_version() {
    for version in [
        OdooVersion::V16,
        OdooVersion::V17,
        OdooVersion::V18,
        OdooVersion::V19,
    ] {
        let (_sb, url) = start(SimConfig {
            api_keys: vec!["secret-key".into()],
            ..cfg(version)
        })
        .await;
        let r = xmlrpc(
            &url,
            "/xmlrpc/2/object",
            "execute_kw",
            execute_kw(
                "o2c",
                "secret-key",
                "res.partner",
                "search_count",
                json!([[]]),
                json!({}),
            ),
        )
        .await;
        assert!(
            matches!(r, MethodResponse::Success(X::Int(_))),
            "{version}: {r:?}"
        );
        let r = xmlrpc(
            &url,
            "/xmlrpc/2/common",
            "authenticate",
            vec![
                "o2c".into(),
                "admin".into(),
                "secret-key".into(),
                X::Struct(vec![]),
            ],
        )
        .await;
        assert_eq!(r, MethodResponse::Success(X::Int(2)));
        // 19's JSON-RPC error code is 0, 200 before
        let body: Value = reqwest::Client::new()
            .post(format!("{url}/jsonrpc"))
            .json(&json!({"jsonrpc": "2.0", "method": "call", "params": {"service": "object", "method": "execute_kw", "args": ["o2c", 2, "bad", "res.partner", "search_count", [[]]]}, "id": 1}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let want = if version == OdooVersion::V19 { 0 } else { 200 };
        assert_eq!(body["error"]["code"], want);
    }
}

#[tokio::test]
async fn state_file_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sim.json");
    let config = SimConfig {
        state_file: Some(path.clone()),
        save_interval: Duration::from_millis(50),
        ..cfg(OdooVersion::V17)
    };
    let sb = Sandbox::new(config.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(sb.clone().serve_with_shutdown(listener, async {
        let _ = rx.await;
    }));
    let body: Value = reqwest::Client::new()
        .post(format!("{url}/jsonrpc"))
        .json(&json!({"jsonrpc": "2.0", "method": "call", "params": {"service": "object", "method": "execute_kw", "args": ["o2c", 2, "admin", "res.partner", "create", [{"name": "Persistent Co"}]]}, "id": 1}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = body["result"].as_i64().unwrap();
    // the periodic save writes it without a shutdown
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(path.exists());
    let periodic = Sandbox::new(config.clone());
    assert!(periodic.read("res.partner", id, &["name"]).is_some());
    // graceful shutdown saves too
    sb.execute(
        "res.partner",
        "write",
        json!([[id], {"name": "Renamed Co"}]),
        json!({}),
    )
    .unwrap();
    tx.send(()).unwrap();
    server.await.unwrap().unwrap();
    let again = Sandbox::new(config.clone());
    assert_eq!(
        again.read("res.partner", id, &["name"]).unwrap()["name"],
        "Renamed Co"
    );
    // a new record gets a fresh id (counters persisted)
    let next = again
        .execute(
            "res.partner",
            "create",
            json!([{"name": "Next"}]),
            json!({}),
        )
        .unwrap()
        .unwrap()
        .as_i64()
        .unwrap();
    assert!(next > id);
    // no temp file left behind
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(leftovers.len(), 1);
    // a state file of another version is refused
    let err = Sandbox::try_new(SimConfig {
        version: OdooVersion::V18,
        ..config
    })
    .err()
    .unwrap();
    assert!(err.contains("Odoo 17"), "{err}");
}
