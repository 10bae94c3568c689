//! `o2c map`: try a channel mapping on a payload, or a new mapping version
//! on the payloads already stored, before switching to it.

use std::collections::BTreeSet;
use std::process::ExitCode;

use anyhow::Result;
use chrono::Utc;
use o2c_connectors::MappingSet;
use o2c_hub::problem::{Problem, ProblemKind};
use o2c_hub::schema_check::OrderSchema;
use serde_json::{Value, json};

use super::{EXIT_BAD_INPUT, open_store};
use crate::cli::MapArgs;
use crate::settings::Settings;

fn fail(problem: Problem) -> Result<ExitCode> {
    println!("{}", serde_json::to_string_pretty(&problem.body())?);
    Ok(ExitCode::from(EXIT_BAD_INPUT))
}

pub async fn run(settings: Settings, args: MapArgs) -> Result<ExitCode> {
    let mappings = MappingSet::load(
        settings
            .hub
            .mappings_dir
            .as_deref()
            .map(std::path::Path::new),
    )?;
    let mapping = match mappings.get(&args.channel, args.mapping_version) {
        Ok(mapping) => mapping,
        Err(error) => {
            return fail(
                Problem::new(ProblemKind::NotFound, error.to_string())
                    .with("channels", json!(o2c_connectors::mapping::CHANNELS)),
            );
        }
    };
    let schema = OrderSchema::new()?;
    if let Some(last) = args.replay_last {
        return replay_last(&settings, &args, mapping, &schema, last).await;
    }
    let Some(path) = &args.input else {
        return fail(Problem::new(
            ProblemKind::SchemaViolation,
            "give --input FILE or --replay-last N",
        ));
    };
    let text = match std::fs::read(path) {
        Ok(text) => text,
        Err(error) => {
            return fail(Problem::new(
                ProblemKind::NotFound,
                format!("cannot read {}: {error}", path.display()),
            ));
        }
    };
    let payloads = match channel_payloads(&args, &text) {
        Ok(payloads) => payloads,
        Err(problem) => return fail(problem),
    };
    let mut outputs = Vec::new();
    for payload in &payloads {
        match mapping
            .program
            .run_value(payload, &args.account, &Utc::now().to_rfc3339())
        {
            Ok(out) => outputs.extend(out),
            Err(error) => {
                return fail(
                    Problem::new(ProblemKind::MappingFailed, error.to_string())
                        .with("mapping", json!(mapping.name()))
                        .with("line", payload.get("line").cloned().unwrap_or(Value::Null)),
                );
            }
        }
    }
    for output in &outputs {
        if let Err(errors) = schema.parse(output) {
            let problem = Problem::new(
                ProblemKind::MappingFailed,
                format!("the mapped order violates {} rule(s)", errors.len()),
            )
            .with_errors(&errors)
            .with("mapping", json!(mapping.name()))
            .with("canonical", output.clone());
            return fail(problem);
        }
    }
    let printed = if outputs.len() == 1 {
        outputs[0].clone()
    } else {
        Value::Array(outputs)
    };
    println!("{}", serde_json::to_string_pretty(&printed)?);
    Ok(ExitCode::SUCCESS)
}

/// The mapping inputs in a file: for `edi-850` a raw X12 file gives one
/// per 850 (decoded as the hub decodes it, default partner options); any
/// other file is one JSON payload.
fn channel_payloads(args: &MapArgs, text: &[u8]) -> Result<Vec<Value>, Problem> {
    let is_json = serde_json::from_slice::<serde::de::IgnoredAny>(text).is_ok();
    if args.channel != "edi-850" || is_json {
        return decode(&args.channel, text);
    }
    use o2c_connectors::edi;
    let malformed = |error: o2c_formats::x12::X12Error| {
        Problem::new(ProblemKind::MalformedX12, error.to_string())
            .with("segment", json!(error.position.segment))
            .with("segment_id", json!(error.position.segment_id))
            .with("element", json!(error.position.element))
    };
    let parsed =
        o2c_formats::x12::parse_with(text, &edi::parse_options(true)).map_err(malformed)?;
    let documents = edi::documents(&parsed.file, &args.account, &edi::MappingOptions::default())
        .map_err(malformed)?;
    if documents.is_empty() {
        return Err(Problem::new(
            ProblemKind::MappingFailed,
            "the X12 file holds no 850 purchase order",
        ));
    }
    Ok(documents.into_iter().map(|d| d.input).collect())
}

/// The channel's payload decoded to the JSON its mapping reads: a CSV file
/// becomes one grouped-rows document per order (a file with bad rows is a
/// problem listing each with its line), anything else is JSON.
fn decode(channel: &str, text: &[u8]) -> Result<Vec<Value>, Problem> {
    if channel == "csv" {
        let import = o2c_formats::csv_orders::parse_orders(
            text,
            &o2c_formats::csv_orders::CsvOptions::default(),
        );
        if !import.report.is_ok() {
            let errors: Vec<Value> = import
                .report
                .errors
                .iter()
                .map(|e| json!({ "line": e.line, "column": e.column, "value": e.value, "detail": e.message }))
                .collect();
            return Err(Problem::new(
                ProblemKind::SchemaViolation,
                format!("{} problem(s) in the CSV file", errors.len()),
            )
            .with("errors", Value::Array(errors)));
        }
        return Ok(import.groups);
    }
    serde_json::from_slice(&unwrap_capture(text))
        .map(|payload| vec![payload])
        .map_err(|e| {
            Problem::new(ProblemKind::MalformedJson, e.to_string())
                .with("line", json!(e.line()))
                .with("column", json!(e.column()))
        })
}

/// A capture `{"headers": …, "body": {…}}` (as webhook tools save them) is
/// reduced to its body; anything else is the payload itself.
fn unwrap_capture(text: &[u8]) -> Vec<u8> {
    match serde_json::from_slice::<Value>(text) {
        Ok(Value::Object(map)) if map.contains_key("headers") && map.contains_key("body") => {
            map["body"].to_string().into_bytes()
        }
        _ => text.to_vec(),
    }
}

/// The canonical order with the partner's value maps applied, as the hub
/// stores it; left as it is when it is not a canonical order.
fn with_value_maps(order: Value, maps: &o2c_connectors::ValueMaps) -> Value {
    match serde_json::from_value::<o2c_model::Order>(order.clone()) {
        Ok(mut typed) => {
            maps.apply(&mut typed);
            serde_json::to_value(&typed).unwrap_or(order)
        }
        Err(_) => order,
    }
}

async fn replay_last(
    settings: &Settings,
    args: &MapArgs,
    mapping: &o2c_connectors::Mapping,
    schema: &OrderSchema,
    last: i64,
) -> Result<ExitCode> {
    let store = open_store(settings, args.store.store.as_deref()).await?;
    // EDI orders are stored under `edi:<partner>`, mapped by `edi-850`.
    let kind = if args.channel == "edi-850" {
        "edi"
    } else {
        args.channel.as_str()
    };
    let prefix = format!("{kind}:");
    let messages: Vec<_> = store
        .list_inbox(Some("accepted"), last.clamp(1, 10_000) * 4)
        .await?
        .into_iter()
        .filter(|m| m.channel.starts_with(&prefix))
        .take(last.clamp(1, 10_000) as usize)
        .collect();
    let (mut same, mut changed, mut failed) = (0, 0, 0);
    for message in &messages {
        let account = message.channel.trim_start_matches(&prefix);
        let Some(order_id) = message.order_id else {
            continue;
        };
        let stored = store
            .load_journal(order_id)
            .await?
            .first()
            .and_then(|e| e.data.get("order").cloned());
        match mapping.program.run(
            message.payload.as_bytes(),
            account,
            &message.received_at.to_rfc3339(),
        ) {
            Ok(outputs) => {
                // One payload may give several orders (an EDI PO split per store).
                let wanted = stored.as_ref().map(|o| o["channel_order_id"].clone());
                let position = outputs
                    .iter()
                    .position(|o| Some(&o["channel_order_id"]) == wanted.as_ref())
                    .unwrap_or(0);
                let mut new = outputs.into_iter().nth(position).unwrap_or(Value::Null);
                if kind == "edi"
                    && let Some(partner) = settings.hub.edi.partner(account)
                {
                    new = with_value_maps(new, &partner.value_maps);
                }
                let valid = schema.parse(&new).is_ok();
                let differences = stored
                    .as_ref()
                    .map(|old| differing_paths(old, &new, ""))
                    .unwrap_or_default();
                if differences.is_empty() && valid {
                    same += 1;
                } else {
                    changed += 1;
                    println!(
                        "{} {}: {}{}",
                        message.id,
                        order_id,
                        if valid { "" } else { "INVALID; " },
                        differences.into_iter().collect::<Vec<_>>().join(", ")
                    );
                }
            }
            Err(error) => {
                failed += 1;
                println!("{} {}: mapping failed: {error}", message.id, order_id);
            }
        }
    }
    println!(
        "{}: {} payload(s): {same} unchanged, {changed} different, {failed} failed",
        mapping.name(),
        messages.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// JSON pointers where two documents differ (the `mapping` stamp ignored).
fn differing_paths(old: &Value, new: &Value, at: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            for key in a.keys().chain(b.keys()) {
                if at.is_empty() && key == "mapping" {
                    continue;
                }
                let path = format!("{at}/{key}");
                match (a.get(key), b.get(key)) {
                    (Some(x), Some(y)) => out.extend(differing_paths(x, y, &path)),
                    _ => {
                        out.insert(path);
                    }
                }
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                out.extend(differing_paths(x, y, &format!("{at}/{i}")));
            }
        }
        (a, b) if a != b => {
            out.insert(if at.is_empty() {
                "/".into()
            } else {
                at.to_owned()
            });
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_are_listed_by_pointer() {
        let old = json!({"a": 1, "b": {"c": [1, 2]}, "mapping": {"version": 1}});
        let new = json!({"a": 1, "b": {"c": [1, 3]}, "d": true, "mapping": {"version": 2}});
        let paths: Vec<String> = differing_paths(&old, &new, "").into_iter().collect();
        assert_eq!(paths, ["/b/c/1", "/d"]);
    }

    #[test]
    fn captures_are_unwrapped() {
        assert_eq!(
            unwrap_capture(br#"{"headers": {}, "body": {"id": 1}}"#),
            br#"{"id":1}"#.to_vec()
        );
        assert_eq!(unwrap_capture(b"{\"id\": 1}"), b"{\"id\": 1}".to_vec());
    }
}
