//! Serialisation, byte-compatible with Python's `xmlrpc.client.dumps`
//! (CPython `Lib/xmlrpc/client.py`, class `Marshaller`), which is what Odoo
//! answers with. One deliberate difference: `\r` in text is written as
//! `&#13;` so that it survives an XML parser's line-end normalisation
//! (Python writes it raw and loses it).

use base64::Engine;

use crate::{MethodCall, MethodResponse, Value};

const HEADER: &str = "<?xml version='1.0'?>\n";

/// `<?xml version='1.0'?>\n<methodCall>\n<methodName>..</methodName>\n<params>\n...`
pub fn write_method_call(call: &MethodCall) -> String {
    let mut out = String::with_capacity(256);
    out.push_str(HEADER);
    out.push_str("<methodCall>\n<methodName>");
    escape_into(&mut out, &call.method);
    out.push_str("</methodName>\n<params>\n");
    for p in &call.params {
        out.push_str("<param>\n");
        write_value_into(&mut out, p);
        out.push_str("</param>\n");
    }
    out.push_str("</params>\n</methodCall>\n");
    out
}

/// A `<methodResponse>` with one `<param>`, or a `<fault>`.
pub fn write_method_response(response: &MethodResponse) -> String {
    let mut out = String::with_capacity(256);
    out.push_str(HEADER);
    out.push_str("<methodResponse>\n");
    match response {
        MethodResponse::Success(v) => {
            out.push_str("<params>\n<param>\n");
            write_value_into(&mut out, v);
            out.push_str("</param>\n</params>\n");
        }
        MethodResponse::Fault { code, string } => {
            out.push_str("<fault>\n");
            write_value_into(
                &mut out,
                &Value::Struct(vec![
                    ("faultCode".into(), Value::Int(*code)),
                    ("faultString".into(), Value::String(string.clone())),
                ]),
            );
            out.push_str("</fault>\n");
        }
    }
    out.push_str("</methodResponse>\n");
    out
}

/// One `<value>...</value>\n` element.
pub fn write_value(value: &Value) -> String {
    let mut out = String::new();
    write_value_into(&mut out, value);
    out
}

fn write_value_into(out: &mut String, value: &Value) {
    match value {
        Value::Int(i) => {
            out.push_str("<value><int>");
            out.push_str(&i.to_string());
            out.push_str("</int></value>\n");
        }
        Value::Bool(b) => {
            out.push_str(if *b {
                "<value><boolean>1</boolean></value>\n"
            } else {
                "<value><boolean>0</boolean></value>\n"
            });
        }
        Value::String(s) => {
            out.push_str("<value><string>");
            escape_into(out, s);
            out.push_str("</string></value>\n");
        }
        Value::Double(d) => {
            out.push_str("<value><double>");
            out.push_str(&python_float_repr(*d));
            out.push_str("</double></value>\n");
        }
        Value::DateTime(dt) => {
            out.push_str("<value><dateTime.iso8601>");
            out.push_str(&dt.format("%Y%m%dT%H:%M:%S").to_string());
            out.push_str("</dateTime.iso8601></value>\n");
        }
        Value::Base64(bytes) => {
            // base64.encodebytes: lines of at most 76 characters, each ending in \n.
            out.push_str("<value><base64>\n");
            let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
            for chunk in encoded.as_bytes().chunks(76) {
                // base64 output is ASCII, so every chunk is valid UTF-8.
                out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
                out.push('\n');
            }
            out.push_str("</base64></value>\n");
        }
        Value::Array(items) => {
            out.push_str("<value><array><data>\n");
            for v in items {
                write_value_into(out, v);
            }
            out.push_str("</data></array></value>\n");
        }
        Value::Struct(members) => {
            out.push_str("<value><struct>\n");
            for (k, v) in members {
                out.push_str("<member>\n<name>");
                escape_into(out, k);
                out.push_str("</name>\n");
                write_value_into(out, v);
                out.push_str("</member>\n");
            }
            out.push_str("</struct></value>\n");
        }
        Value::Nil => out.push_str("<value><nil/></value>\n"),
    }
}

/// Python's `xmlrpc.client.escape`: `&`, `<`, `>` (plus `\r`, see module docs).
fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
}

/// Python's `repr(float)`: shortest round-trip digits, decimal notation for
/// 1e-4 <= |x| < 1e16, else `1e+16` / `1e-05` style. Rust's `{:?}` uses the
/// same digits and thresholds and differs only in the exponent's spelling.
pub(crate) fn python_float_repr(d: f64) -> String {
    if d.is_nan() {
        return "nan".into();
    }
    if d.is_infinite() {
        return if d > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let s = format!("{d:?}");
    match s.split_once('e') {
        None => s,
        Some((mantissa, exp)) => {
            let (sign, digits) = match exp.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', exp),
            };
            format!("{mantissa}e{sign}{digits:0>2}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::python_float_repr;

    #[test]
    fn float_repr_like_python() {
        assert_eq!(python_float_repr(25.0), "25.0");
        assert_eq!(python_float_repr(0.1), "0.1");
        assert_eq!(python_float_repr(1e16), "1e+16");
        assert_eq!(python_float_repr(1e-5), "1e-05");
        assert_eq!(python_float_repr(1.5e300), "1.5e+300");
        assert_eq!(python_float_repr(-0.0), "-0.0");
        assert_eq!(python_float_repr(123456789.125), "123456789.125");
    }
}
