//! Property tests (round trip, no panic on any input) and the error
//! messages on malformed documents.

use chrono::NaiveDate;
use o2c_xmlrpc::{
    Error, MAX_DEPTH, MethodCall, MethodResponse, Value, parse_method_call, parse_method_response,
    parse_value, write_method_call, write_method_response, write_value,
};
use proptest::prelude::*;

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::Int),
        any::<bool>().prop_map(Value::Bool),
        // Any text XML 1.0 can carry (no C0 controls except tab/newline/CR).
        "[\\t\\n\\r\\x20-\\u{D7FF}\\u{E000}-\\u{FFFD}\\u{10000}-\\u{10FFFF}]{0,24}"
            .prop_map(Value::String),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::Double),
        (0i64..4_102_444_800).prop_map(|s| Value::DateTime(
            chrono::DateTime::from_timestamp(s, 0).unwrap().naive_utc()
        )),
        proptest::collection::vec(any::<u8>(), 0..200).prop_map(Value::Base64),
        Just(Value::Nil),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec(("[a-z_<&>]{0,8}", inner), 0..6).prop_map(Value::Struct),
        ]
    })
}

proptest! {
    #[test]
    fn call_round_trip(method in "[a-zA-Z_.]{1,20}", params in proptest::collection::vec(value(), 0..5)) {
        let call = MethodCall::new(method, params);
        let xml = write_method_call(&call);
        prop_assert_eq!(parse_method_call(&xml).unwrap(), call);
    }

    #[test]
    fn response_round_trip(v in value()) {
        let resp = MethodResponse::Success(v);
        let xml = write_method_response(&resp);
        prop_assert_eq!(parse_method_response(&xml).unwrap(), resp);
    }

    #[test]
    fn fault_round_trip(code in any::<i64>(), string in "\\PC{0,40}") {
        let resp = MethodResponse::Fault { code, string };
        prop_assert_eq!(parse_method_response(&write_method_response(&resp)).unwrap(), resp);
    }

    #[test]
    fn json_round_trip(v in value()) {
        // JSON loses the XML-RPC-only types; everything else survives.
        let j = v.to_json();
        let back = Value::from_json(&j);
        prop_assert_eq!(back.to_json(), j);
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let s = String::from_utf8_lossy(&bytes);
        let _ = parse_method_call(&s);
        let _ = parse_method_response(&s);
        let _ = parse_value(&s);
    }

    #[test]
    fn mutated_documents_never_panic(v in value(), cut in any::<prop::sample::Index>(), junk in "[<>/&a-z;#\"' ]{0,6}") {
        let xml = write_method_response(&MethodResponse::Success(v));
        // Cut at a char boundary and splice junk in.
        let mut at = cut.index(xml.len() + 1);
        while !xml.is_char_boundary(at) { at -= 1; }
        let mutated = format!("{}{}{}", &xml[..at], junk, &xml[at..]);
        let _ = parse_method_response(&mutated);
        let truncated = &xml[..at];
        let _ = parse_method_response(truncated);
    }
}

#[test]
fn python_compatible_output() {
    let v = Value::Struct(vec![
        ("a".into(), Value::Int(1)),
        ("b & c".into(), Value::String("x<y>".into())),
        ("n".into(), Value::Nil),
        ("d".into(), Value::Double(25.0)),
        (
            "t".into(),
            Value::DateTime(
                NaiveDate::from_ymd_opt(2026, 11, 27)
                    .unwrap()
                    .and_hms_opt(0, 24, 47)
                    .unwrap(),
            ),
        ),
        ("bin".into(), Value::Base64(b"hello".to_vec())),
        ("e".into(), Value::Array(vec![])),
    ]);
    assert_eq!(
        write_value(&v),
        "<value><struct>\n<member>\n<name>a</name>\n<value><int>1</int></value>\n</member>\n\
         <member>\n<name>b &amp; c</name>\n<value><string>x&lt;y&gt;</string></value>\n</member>\n\
         <member>\n<name>n</name>\n<value><nil/></value>\n</member>\n\
         <member>\n<name>d</name>\n<value><double>25.0</double></value>\n</member>\n\
         <member>\n<name>t</name>\n<value><dateTime.iso8601>20261127T00:24:47</dateTime.iso8601></value>\n</member>\n\
         <member>\n<name>bin</name>\n<value><base64>\naGVsbG8=\n</base64></value>\n</member>\n\
         <member>\n<name>e</name>\n<value><array><data>\n</data></array></value>\n</member>\n\
         </struct></value>\n"
    );
}

#[test]
fn lenient_forms_are_accepted() {
    assert_eq!(
        parse_value("<value>bare</value>").unwrap(),
        Value::String("bare".into())
    );
    assert_eq!(
        parse_value("<value></value>").unwrap(),
        Value::String(String::new())
    );
    assert_eq!(
        parse_value("<value><i4> 7 </i4></value>").unwrap(),
        Value::Int(7)
    );
    assert_eq!(
        parse_value("<value><i8>9000000000</i8></value>").unwrap(),
        Value::Int(9_000_000_000)
    );
    assert_eq!(
        parse_value("<value><string/></value>").unwrap(),
        Value::String(String::new())
    );
    assert_eq!(parse_value("<value><ex:nil/></value>").unwrap(), Value::Nil);
    assert_eq!(
        parse_value("<value><string><![CDATA[a<b]]> &amp; c</string></value>").unwrap(),
        Value::String("a<b & c".into())
    );
    assert_eq!(
        parse_value("<value><dateTime.iso8601>2026-11-27T00:24:47Z</dateTime.iso8601></value>")
            .unwrap(),
        Value::DateTime(
            NaiveDate::from_ymd_opt(2026, 11, 27)
                .unwrap()
                .and_hms_opt(0, 24, 47)
                .unwrap()
        )
    );
    assert_eq!(
        parse_value("<value><base64>aGVs\n bG8=</base64></value>").unwrap(),
        Value::Base64(b"hello".to_vec())
    );
    // Whitespace inside <string> is kept.
    assert_eq!(
        parse_value("<value><string>  a \n</string></value>").unwrap(),
        Value::String("  a \n".into())
    );
    // A \r survives (written as &#13;).
    let v = Value::String("a\r\nb".into());
    assert_eq!(parse_value(&write_value(&v)).unwrap(), v);
    // No <params> at all, and a comment.
    assert_eq!(
        parse_method_call("<?xml version='1.0'?><!-- c --><methodCall><methodName>version</methodName></methodCall>").unwrap(),
        MethodCall::new("version", vec![])
    );
    // A numeric string faultCode.
    assert_eq!(
        parse_method_response("<methodResponse><fault><value><struct><member><name>faultCode</name><value><string>2</string></value></member><member><name>faultString</name><value>x</value></member></struct></value></fault></methodResponse>").unwrap(),
        MethodResponse::Fault { code: 2, string: "x".into() }
    );
}

#[test]
fn errors_name_the_element_and_position() {
    let e = parse_value("<value><int>12x</int></value>").unwrap_err();
    assert!(
        matches!(&e, Error::InvalidValue { element, position: 7, .. } if element == "int"),
        "{e:?}"
    );
    assert!(e.to_string().contains("<int>"), "{e}");

    let e = parse_value("<value><boolean>2</boolean></value>").unwrap_err();
    assert!(
        matches!(&e, Error::InvalidValue { element, .. } if element == "boolean"),
        "{e:?}"
    );

    let e = parse_value("<value><double>abc</double></value>").unwrap_err();
    assert!(
        matches!(&e, Error::InvalidValue { element, .. } if element == "double"),
        "{e:?}"
    );

    let e =
        parse_value("<value><dateTime.iso8601>yesterday</dateTime.iso8601></value>").unwrap_err();
    assert!(
        matches!(&e, Error::InvalidValue { element, .. } if element == "dateTime.iso8601"),
        "{e:?}"
    );

    let e = parse_value("<value><base64>!!!</base64></value>").unwrap_err();
    assert!(
        matches!(&e, Error::InvalidValue { element, .. } if element == "base64"),
        "{e:?}"
    );

    let e = parse_value("<value><float32>1</float32></value>").unwrap_err();
    assert!(e.to_string().contains("<float32>"), "{e}");

    let e =
        parse_value("<value><struct><member><value><int>1</int></value></member></struct></value>")
            .unwrap_err();
    assert!(e.to_string().contains("<name> in <member>"), "{e}");

    let e =
        parse_method_response("<methodResponse><params></params></methodResponse>").unwrap_err();
    assert!(e.to_string().contains("<param>"), "{e}");

    let e = parse_method_response(
        "<methodResponse><params><param><value>a</value></param><param><value>b</value></param></params></methodResponse>",
    )
    .unwrap_err();
    assert!(e.to_string().contains("second <param>"), "{e}");

    let e = parse_method_response(
        "<methodResponse><params><param><value><int>1</int></value></param></params>",
    )
    .unwrap_err();
    assert!(e.to_string().contains("</methodResponse>"), "{e}");

    let e = parse_method_response(
        "<methodResponse><fault><value><int>1</int></value></fault></methodResponse>",
    )
    .unwrap_err();
    assert!(e.to_string().contains("faultCode"), "{e}");

    let e = parse_method_call(
        "<methodCall><methodName>x</methodName><params></param></params></methodCall>",
    )
    .unwrap_err();
    assert!(matches!(e, Error::Xml { .. }), "{e:?}");

    let e = parse_method_call("").unwrap_err();
    assert!(e.to_string().contains("end of input"), "{e}");

    let e = parse_method_call("<methodCall><methodName>x</methodName></methodCall><extra/>")
        .unwrap_err();
    assert!(e.to_string().contains("<extra/>"), "{e}");

    let e = parse_value("<value><string>a &bogus; b</string></value>").unwrap_err();
    assert!(matches!(e, Error::Xml { .. }), "{e:?}");
}

#[test]
fn deep_nesting_is_refused_not_overflowed() {
    let depth = 100_000;
    let doc = format!(
        "<value>{}{}</value>",
        "<array><data><value>".repeat(depth),
        "</value></data></array>".repeat(depth)
    );
    let e = parse_value(&doc).unwrap_err();
    assert!(
        matches!(e, Error::TooDeep { limit, .. } if limit == MAX_DEPTH),
        "{e:?}"
    );

    // MAX_DEPTH itself is fine.
    let ok = format!(
        "<value>{}<int>1</int>{}</value>",
        "<array><data><value>".repeat(MAX_DEPTH),
        "</value></data></array>".repeat(MAX_DEPTH)
    );
    assert!(parse_value(&ok).is_ok());
}

#[test]
fn json_conversions() {
    let j = serde_json::json!({"id": 7, "name": "A & B", "price": 2.5, "active": false,
        "parent_id": [3, "X"], "note": null, "big": 18446744073709551615u64});
    let v = Value::from_json(&j);
    assert_eq!(v.get("id"), Some(&Value::Int(7)));
    assert_eq!(v.get("note"), Some(&Value::Nil));
    assert!(matches!(v.get("big"), Some(Value::Double(_))));
    assert_eq!(
        v.get("parent_id"),
        Some(&Value::Array(vec![
            Value::Int(3),
            Value::String("X".into())
        ]))
    );
    let back = v.to_json();
    assert_eq!(back["name"], "A & B");
    assert_eq!(back["price"].as_f64(), Some(2.5));
    let dt = Value::DateTime(
        NaiveDate::from_ymd_opt(2026, 1, 2)
            .unwrap()
            .and_hms_opt(3, 4, 5)
            .unwrap(),
    );
    assert_eq!(dt.to_json(), serde_json::json!("2026-01-02 03:04:05"));
    assert_eq!(
        Value::Base64(b"hi".to_vec()).to_json(),
        serde_json::json!("aGk=")
    );
    assert_eq!(Value::Double(f64::NAN).to_json(), serde_json::Value::Null);
    // Repeated key: last wins.
    let dup = Value::Struct(vec![
        ("k".into(), Value::Int(1)),
        ("k".into(), Value::Int(2)),
    ]);
    assert_eq!(dup.get("k"), Some(&Value::Int(2)));
    assert_eq!(dup.to_json(), serde_json::json!({"k": 2}));
}
