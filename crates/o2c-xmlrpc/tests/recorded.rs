//! Round trips on the XML-RPC bodies recorded from real Odoo 16–19
//! (tests/fixtures, see PROVENANCE.md).

use o2c_xmlrpc::{
    MethodResponse, Value, parse_method_call, parse_method_response, write_method_call,
    write_method_response,
};

struct Exchange {
    version: u32,
    step: String,
    endpoint: String,
    request: String,
    response: String,
}

fn load() -> Vec<Exchange> {
    let mut out = Vec::new();
    for version in 16..=19 {
        let path = format!(
            "{}/tests/fixtures/odoo{version}_xmlrpc.jsonl",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).expect("fixture");
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let v: serde_json::Value = serde_json::from_str(line).expect("json line");
            out.push(Exchange {
                version,
                step: v["step"].as_str().unwrap().to_string(),
                endpoint: v["endpoint"].as_str().unwrap().to_string(),
                request: v["request"].as_str().unwrap().to_string(),
                response: v["response"].as_str().unwrap().to_string(),
            });
        }
    }
    out
}

#[test]
fn every_recorded_request_round_trips_byte_for_byte() {
    let all = load();
    assert!(
        all.len() >= 80,
        "expected all recorded exchanges, got {}",
        all.len()
    );
    for ex in &all {
        let call = parse_method_call(&ex.request)
            .unwrap_or_else(|e| panic!("{} {}: {e}", ex.version, ex.step));
        assert_eq!(
            write_method_call(&call),
            ex.request,
            "odoo{} {}",
            ex.version,
            ex.step
        );
    }
}

#[test]
fn every_recorded_response_round_trips() {
    for ex in load() {
        let resp = parse_method_response(&ex.response)
            .unwrap_or_else(|e| panic!("{} {}: {e}", ex.version, ex.step));
        let written = write_method_response(&resp);
        // Structural round trip for all versions...
        assert_eq!(
            parse_method_response(&written).unwrap(),
            resp,
            "odoo{} {}",
            ex.version,
            ex.step
        );
        // ...and byte for byte where Odoo used Python's marshaller as is
        // (16, 17). Odoo 18+ writes `<?xml version="1.0"?>` and a blank line
        // before `</methodResponse>`; apart from that the bytes are the same.
        let normalised = ex
            .response
            .replace("<?xml version=\"1.0\"?>", "<?xml version='1.0'?>")
            .replace("\n\n</methodResponse>", "\n</methodResponse>");
        assert_eq!(written, normalised, "odoo{} {}", ex.version, ex.step);
        if ex.version <= 17 {
            assert_eq!(written, ex.response, "odoo{} {}", ex.version, ex.step);
        }
    }
}

#[test]
fn recorded_values_read_as_expected() {
    let all = load();
    let find = |v: u32, step: &str| {
        all.iter()
            .find(|e| e.version == v && e.step == step)
            .unwrap_or_else(|| panic!("no step {step} in odoo{v}"))
    };

    // version: a struct with an array inside.
    let ex = find(16, "xmlrpc.common.version");
    assert_eq!(ex.endpoint, "/xmlrpc/2/common");
    let call = parse_method_call(&ex.request).unwrap();
    assert_eq!(call.method, "version");
    assert!(call.params.is_empty());
    let MethodResponse::Success(v) = parse_method_response(&ex.response).unwrap() else {
        panic!("fault")
    };
    assert_eq!(
        v.to_json(),
        serde_json::json!({"server_version": "16.0",
            "server_version_info": [16, 0, 0, "final", 0, ""],
            "server_serie": "16.0", "protocol_version": 1})
    );

    // execute_kw with nested arrays and a context struct with a boolean.
    let ex = find(16, "xmlrpc.stock.quant.action_apply_inventory.returns_none");
    let call = parse_method_call(&ex.request).unwrap();
    assert_eq!(call.method, "execute_kw");
    assert_eq!(call.params.len(), 7);
    assert_eq!(call.params[1], Value::Int(2));
    assert_eq!(
        call.params[5],
        Value::Array(vec![Value::Array(vec![Value::Int(47)])])
    );
    assert_eq!(
        call.params[6]
            .get("context")
            .and_then(|c| c.get("inventory_mode")),
        Some(&Value::Bool(true))
    );
    // ...and its answer: the "cannot marshal None" fault (the work WAS done).
    match parse_method_response(&ex.response).unwrap() {
        MethodResponse::Fault { code, string } => {
            assert_eq!(code, 1);
            assert!(string.contains("cannot marshal None unless allow_none is enabled"));
            assert!(string.ends_with('\n'));
        }
        other => panic!("{other:?}"),
    }

    // Fault codes as Odoo maps them: 2 UserError family, 3 AccessDenied, 4 AccessError.
    for (v, step, want) in [
        (16, "wrong_password.xmlrpc.execute_kw", 3),
        (
            16,
            "missing_required.xmlrpc.sale.order.create.no_partner",
            2,
        ),
        (16, "private_method.xmlrpc.sale.order._create_invoices", 4),
        (19, "unknown_model.xmlrpc.no.such.model.search_read", 2),
        (19, "xmlrpc.object.execute_kw.bad_password", 3),
    ] {
        match parse_method_response(&find(v, step).response).unwrap() {
            MethodResponse::Fault { code, .. } => assert_eq!(code, want, "{step}"),
            other => panic!("{step}: {other:?}"),
        }
    }

    // read of a missing id: an empty array, not a fault.
    let ex = find(16, "missing_record.xmlrpc.sale.order.read");
    assert_eq!(
        parse_method_response(&ex.response).unwrap(),
        MethodResponse::Success(Value::Array(vec![]))
    );

    // login with a bad password: boolean false.
    let ex = find(19, "xmlrpc.common.login.bad_password");
    assert_eq!(
        parse_method_response(&ex.response).unwrap(),
        MethodResponse::Success(Value::Bool(false))
    );
}
