//! The recorded timeline of a version, for the conformance replay: the
//! second each recorded write ran at, read back from the recording itself.
//! A record's `write_date` / `create_date` seen in a recorded answer is the
//! second of the last recorded step that wrote that record (a create that
//! answered its id, a method called on its ids, a wizard whose context
//! named it in `active_ids` or whose answer opens it by `res_id`). The replay sets the sandbox's clock to that
//! second before running the step, so the records it writes carry the
//! recorded second. Steps the recording gives no second keep the clock
//! running from the previous one; the clock never goes back.
#![allow(dead_code)]

use std::collections::HashMap;

use serde_json::{Map, Value};

/// Methods that write nothing (their targets are not writes).
const READS: [&str; 19] = [
    "read",
    "search",
    "search_read",
    "search_count",
    "read_group",
    "formatted_read_group",
    "fields_get",
    "name_search",
    "name_get",
    "web_search_read",
    "web_read",
    "default_get",
    "onchange",
    "check_access_rights",
    "has_access",
    "exists",
    "get_views",
    "address_get",
    "price_compute",
];

pub struct Timeline {
    /// Per step (in replay order over the version's files): its second.
    pub at: Vec<Option<String>>,
    /// The earliest second the recording shows (the database's seeding).
    pub start: Option<String>,
    /// The second of the first record the recording created (records
    /// written before it are the database's own, its demo data).
    pub first_create: Option<String>,
}

/// A recorded model call.
struct Call {
    model: String,
    method: String,
    args: Vec<Value>,
    kwargs: Map<String, Value>,
}

/// The model call a recorded step made, if it made one.
fn call_of(ex: &Value) -> Option<Call> {
    let endpoint = ex["endpoint"].as_str().unwrap_or("");
    match ex["protocol"].as_str()? {
        "jsonrpc" if endpoint == "/jsonrpc" => {
            let p = &ex["request"]["params"];
            if p["service"] != "object" {
                return None;
            }
            let a = p["args"].as_array()?;
            Some(Call {
                model: a.get(3)?.as_str()?.to_string(),
                method: a.get(4)?.as_str()?.to_string(),
                args: a
                    .get(5)
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default(),
                kwargs: a
                    .get(6)
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_default(),
            })
        }
        "jsonrpc" if endpoint.starts_with("/web/dataset/call_kw") => {
            let p = &ex["request"]["params"];
            Some(Call {
                model: p["model"].as_str()?.to_string(),
                method: p["method"].as_str()?.to_string(),
                args: p["args"].as_array().cloned().unwrap_or_default(),
                kwargs: p["kwargs"].as_object().cloned().unwrap_or_default(),
            })
        }
        "json2" => {
            let mut parts = endpoint.trim_start_matches("/json/2/").split('/');
            let (model, method) = (parts.next()?, parts.next()?);
            let body = ex["request"].as_object().cloned().unwrap_or_default();
            let ids = body.get("ids").cloned().unwrap_or(Value::Null);
            Some(Call {
                model: model.to_string(),
                method: method.to_string(),
                args: vec![ids],
                kwargs: body,
            })
        }
        _ => None,
    }
}

fn ids(v: &Value) -> Vec<i64> {
    match v {
        Value::Number(n) => n.as_i64().into_iter().collect(),
        Value::Array(a) => a.iter().filter_map(Value::as_i64).collect(),
        _ => Vec::new(),
    }
}

/// The records a recorded step wrote (model, recorded id).
fn targets(ex: &Value) -> Vec<(String, i64)> {
    let Some(Call {
        model,
        method,
        args,
        kwargs,
    }) = call_of(ex)
    else {
        return Vec::new();
    };
    if READS.contains(&method.as_str()) {
        return Vec::new();
    }
    let mut out: Vec<(String, i64)> = Vec::new();
    let result = ex["response"].get("result").unwrap_or(&ex["response"]);
    if method == "create" {
        out.extend(ids(result).into_iter().map(|i| (model.clone(), i)));
    } else if let Some(first) = args.first() {
        out.extend(ids(first).into_iter().map(|i| (model.clone(), i)));
    }
    // a wizard's answer that opens the record it made (a credit note)
    if let (Some(m), Some(id)) = (
        result.get("res_model").and_then(Value::as_str),
        result.get("res_id").and_then(Value::as_i64),
    ) {
        out.push((m.to_string(), id));
    }
    if let Some(ctx) = kwargs.get("context").and_then(Value::as_object)
        && let Some(active) = ctx.get("active_model").and_then(Value::as_str)
    {
        for key in ["active_ids", "active_id"] {
            if let Some(v) = ctx.get(key) {
                out.extend(ids(v).into_iter().map(|i| (active.to_string(), i)));
            }
        }
    }
    out
}

/// The `YYYY-MM-DD HH:MM:SS` of a datetime string.
fn second(t: &str) -> Option<String> {
    let b = t.as_bytes();
    (t.len() >= 19 && b[4] == b'-' && b[13] == b':' && b[16] == b':')
        .then(|| t[..19].replacen('T', " ", 1))
}

/// Records with a stamp in a recorded answer: (model, id, write second).
fn stamps(ex: &Value) -> Vec<(String, i64, String)> {
    let Some(Call { model, .. }) = call_of(ex) else {
        return Vec::new();
    };
    let result = ex["response"].get("result").unwrap_or(&ex["response"]);
    let rows = match result {
        Value::Array(a) => a.clone(),
        Value::Object(o) => o
            .get("records")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    rows.iter()
        .filter_map(|r| {
            let id = r.get("id")?.as_i64()?;
            let w = r.get("write_date")?.as_str().and_then(second)?;
            Some((model.clone(), id, w))
        })
        .collect()
}

/// Every record stamp (`*write_date`, `create_date`) in a recorded answer.
fn all_seconds(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Array(a) => a.iter().for_each(|x| all_seconds(x, out)),
        Value::Object(o) => {
            for (k, x) in o {
                match x.as_str() {
                    Some(s) if k.ends_with("write_date") || k == "create_date" => {
                        out.extend(second(s))
                    }
                    _ => all_seconds(x, out),
                }
            }
        }
        _ => {}
    }
}

impl Timeline {
    /// The timeline of `steps` (the version's files, in replay order).
    pub fn of(steps: &[Value]) -> Timeline {
        let mut at: Vec<Option<String>> = vec![None; steps.len()];
        let mut last_write: HashMap<(String, i64), usize> = HashMap::new();
        let mut seen = Vec::new();
        for (i, ex) in steps.iter().enumerate() {
            all_seconds(&ex["response"], &mut seen);
            for (model, id, w) in stamps(ex) {
                if let Some(&k) = last_write.get(&(model, id))
                    && at[k].as_ref().is_none_or(|cur| *cur < w)
                {
                    at[k] = Some(w);
                }
            }
            for t in targets(ex) {
                last_write.insert(t, i);
            }
        }
        let first_create = steps
            .iter()
            .zip(&at)
            .filter(|(ex, _)| call_of(ex).is_some_and(|c| c.method == "create"))
            .filter_map(|(_, at)| at.clone())
            .min();
        Timeline {
            at,
            start: seen.into_iter().min(),
            first_create,
        }
    }
}

/// What the recorded change feeds tell of the demo data's seconds, after
/// the recording's earliest stamp (`start`): the first demo order's second,
/// and the rest. Demo records are those written
/// before the first record the recording created (`first_create`): the first demo
/// outgoing shipment's second, the first demo invoice's second (`None`: no
/// demo invoice is newer than `start`, they were written before it), and
/// whether a sale order's delivery is the first demo picking.
#[derive(Debug, PartialEq, Eq)]
pub struct DemoSeconds {
    pub orders: Option<i64>,
    pub shipments: Option<i64>,
    pub invoices: Option<i64>,
    pub deliveries_first: Option<bool>,
}

fn seconds_between(a: &str, b: &str) -> Option<i64> {
    let f = "%Y-%m-%d %H:%M:%S";
    let a = chrono::NaiveDateTime::parse_from_str(a, f).ok()?;
    let b = chrono::NaiveDateTime::parse_from_str(b, f).ok()?;
    Some((b - a).num_seconds())
}

impl DemoSeconds {
    /// Read off the `feed.<model>.search_read.*` answers of `steps`.
    pub fn of(steps: &[Value], start: &str, first_create: &str) -> DemoSeconds {
        let rows = |model: &str| -> Vec<Map<String, Value>> {
            steps
                .iter()
                .filter(|ex| {
                    ex["step"].as_str().is_some_and(|s| {
                        s.starts_with(&format!("feed.{model}.search_read"))
                            || s.starts_with(&format!("cursor.{model}.search_read"))
                    })
                })
                .filter_map(|ex| ex["response"]["result"].as_array().cloned())
                .flatten()
                .filter_map(|r| r.as_object().cloned())
                .collect()
        };
        let second_of = |r: &Map<String, Value>| {
            r.get("write_date")
                .and_then(Value::as_str)
                .and_then(second)
                .filter(|s| s.as_str() < first_create)
        };
        let orders = rows("sale.order")
            .iter()
            .filter_map(second_of)
            .min()
            .and_then(|s| seconds_between(start, &s));
        let pickings: Vec<_> = rows("stock.picking")
            .into_iter()
            .filter(|r| second_of(r).is_some())
            .collect();
        let shipments = pickings
            .iter()
            .filter(|r| r.get("origin").and_then(Value::as_str) == Some("outgoing shipment"))
            .filter_map(second_of)
            .min()
            .and_then(|s| seconds_between(start, &s));
        let is_order = |o: &str| o.starts_with('S') && o[1..].chars().all(|c| c.is_ascii_digit());
        let deliveries_first = pickings
            .iter()
            .min_by_key(|r| (second_of(r), r.get("id").and_then(Value::as_i64)))
            .and_then(|r| r.get("origin").and_then(Value::as_str))
            .map(is_order);
        let invoices = rows("account.move")
            .iter()
            .filter(|r| {
                matches!(
                    r.get("move_type").and_then(Value::as_str),
                    Some("out_invoice" | "in_invoice")
                )
            })
            .filter_map(second_of)
            .min()
            .and_then(|s| seconds_between(start, &s));
        DemoSeconds {
            orders,
            shipments,
            invoices,
            deliveries_first,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn call(
        step: &str,
        model: &str,
        method: &str,
        args: Value,
        kwargs: Value,
        result: Value,
    ) -> Value {
        json!({"step": step, "protocol": "jsonrpc", "endpoint": "/jsonrpc",
            "request": {"params": {"service": "object",
                "args": ["db", 2, "admin", model, method, args, kwargs]}},
            "response": {"result": result}})
    }

    #[test]
    fn a_stamp_read_later_dates_the_last_write_of_that_record() {
        let steps = vec![
            call(
                "create",
                "sale.order",
                "create",
                json!([{}]),
                json!({}),
                json!(7),
            ),
            call(
                "confirm",
                "sale.order",
                "action_confirm",
                json!([[7]]),
                json!({}),
                json!(true),
            ),
            call(
                "other",
                "res.partner",
                "write",
                json!([[3], {}]),
                json!({}),
                json!(true),
            ),
            call(
                "read",
                "sale.order",
                "read",
                json!([[7]]),
                json!({}),
                json!([{"id": 7, "write_date": "2026-11-27 01:00:22"}]),
            ),
        ];
        let t = Timeline::of(&steps);
        assert_eq!(
            t.at,
            vec![None, Some("2026-11-27 01:00:22".into()), None, None]
        );
        assert_eq!(t.start.as_deref(), Some("2026-11-27 01:00:22"));
    }

    #[test]
    fn a_wizard_dates_the_record_its_answer_opens() {
        let steps = vec![
            call(
                "refund",
                "account.move.reversal",
                "refund_moves",
                json!([[2]]),
                json!({}),
                json!({"type": "ir.actions.act_window", "res_model": "account.move", "res_id": 63}),
            ),
            call(
                "read",
                "account.move",
                "read",
                json!([[63]]),
                json!({}),
                json!([{"id": 63, "write_date": "2026-11-27 01:00:22"}]),
            ),
        ];
        assert_eq!(
            Timeline::of(&steps).at[0].as_deref(),
            Some("2026-11-27 01:00:22")
        );
    }

    #[test]
    fn a_wizard_dates_the_records_of_its_active_ids() {
        let steps = vec![
            call(
                "pay",
                "account.payment.register",
                "action_create_payments",
                json!([[1]]),
                json!({"context": {"active_model": "account.move", "active_ids": [57]}}),
                json!(true),
            ),
            call(
                "feed",
                "account.move",
                "search_read",
                json!([[]]),
                json!({}),
                json!([{"id": 57, "write_date": "2026-11-27T01:00:17"}]),
            ),
        ];
        assert_eq!(
            Timeline::of(&steps).at[0].as_deref(),
            Some("2026-11-27 01:00:17")
        );
    }
}
