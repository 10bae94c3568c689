//! `o2c bench map`: how many channel payloads one core turns into validated
//! canonical orders per second — decoding, mapping (the direct evaluator,
//! ADR 0018, or jaq) and validation as the hub runs it (`OrderSchema::map`:
//! outputs decoded straight into orders, ADR 0023, or JSON Schema, decoding
//! and the model's rules) — beside the floor: decoding the payload alone (JSON parse, X12
//! parse, CSV grouping), and beside the same mapping run by jaq alone (the
//! reference path). Runs on one thread, so the figures are per core.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use o2c_connectors::edi::{self, MappingOptions};
use o2c_connectors::{Input, Mapping, MappingProgram, MappingSet};
use o2c_formats::csv_orders::{CsvOptions, parse_orders};
use o2c_hub::schema_check::OrderSchema;
use serde_json::{Value, json};

use crate::cli::BenchMapArgs;

/// Shopify's published orders/create sample (7 KB, two lines): a
/// Shopify-sized order by definition.
const SHOPIFY_ORDER: &str = include_str!(
    "../../../o2c-connectors/tests/fixtures/shopify/hookdeck_2024-10_orders.create.json"
);
/// Amazon's published SP-API v0 sandbox responses for one unshipped order:
/// getOrder, getOrderItems, getOrderAddress (wrapped as `{request, response}`).
const AMAZON_ORDER: &str = include_str!(
    "../../../o2c-connectors/tests/fixtures/amazon/getOrder_200_sandbox_static_0.json"
);
const AMAZON_ITEMS: &str = include_str!(
    "../../../o2c-connectors/tests/fixtures/amazon/getOrderItems_200_sandbox_static_0.json"
);
const AMAZON_ADDRESS: &str = include_str!(
    "../../../o2c-connectors/tests/fixtures/amazon/getOrderAddress_200_sandbox_static_0.json"
);
/// A published 4010 VICS 850 with six lines (node-x12).
const X12_850: &str =
    include_str!("../../../o2c-connectors/tests/fixtures/x12/nodex12_850_4010VICS_6lines.edi");

/// Maps and checks one payload with the hub's schema; how many orders.
type MapAndValidate<'a> = dyn Fn(&OrderSchema) -> Result<usize> + 'a;

/// One channel's work: decode only (the floor) and decode + map, each
/// returning how many orders the payload held.
struct Workload<'a> {
    channel: &'static str,
    payload_bytes: usize,
    decode: Box<dyn Fn() -> Result<usize> + 'a>,
    map: Box<dyn Fn() -> Result<Vec<Value>> + 'a>,
    /// The same mapping on jaq alone.
    reference: Box<dyn Fn() -> Result<Vec<Value>> + 'a>,
    /// Map and validate with the hub's `OrderSchema::map` (on the raw
    /// payload; the hub's pulls hand it decoded records): how many valid
    /// orders.
    map_and_validate: Box<MapAndValidate<'a>>,
}

pub fn run(args: BenchMapArgs) -> Result<ExitCode> {
    let mappings = MappingSet::shipped()?;
    let schema = OrderSchema::new()?;
    let window = Duration::from_secs(args.seconds.max(1));
    let channels: Vec<&str> = if args.channel == "all" {
        o2c_connectors::mapping::CHANNELS.to_vec()
    } else {
        vec![args.channel.as_str()]
    };
    let inputs = Inputs::build()?;
    let mut results = Vec::new();
    for channel in channels {
        let mapping = mappings.get(channel, args.mapping_version)?;
        let workload = inputs.workload(channel, mapping)?;
        results.push(measure(&workload, mapping, &schema, window)?);
    }
    let result = json!({ "machine": super::bench::machine(), "results": results });
    if args.json {
        println!("{result}");
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "o2c bench map ({}; one core; orders per second)",
        result["machine"].as_str().unwrap_or("")
    );
    println!(
        "  {:<11} {:<14} {:<6} {:>6} {:>11} {:>9} {:>9} {:>13} {:>8} {:>8}",
        "channel",
        "mapping",
        "direct",
        "bytes",
        "decode only",
        "jaq map",
        "map",
        "map+validate",
        "÷ floor",
        "map÷jaq"
    );
    for r in &results {
        let number = |key: &str| r[key].as_f64().unwrap_or_default();
        println!(
            "  {:<11} {:<14} {:<6} {:>6} {:>11.0} {:>9.0} {:>9.0} {:>13.0} {:>7.3}x {:>7.2}x",
            r["channel"].as_str().unwrap_or(""),
            r["mapping"].as_str().unwrap_or(""),
            if r["direct"].as_bool().unwrap_or(false) {
                "yes"
            } else {
                "no"
            },
            number("payload_bytes"),
            number("decode_only_per_sec"),
            number("jaq_map_only_per_sec"),
            number("map_only_per_sec"),
            number("map_and_validate_per_sec"),
            number("map_and_validate_vs_decode_only"),
            number("map_vs_jaq"),
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn measure(
    workload: &Workload<'_>,
    mapping: &Mapping,
    schema: &OrderSchema,
    window: Duration,
) -> Result<Value> {
    let decode_only = per_second(window, || (workload.decode)())?;
    let jaq_map_only = per_second(window, || Ok((workload.reference)()?.len()))?;
    let map_only = per_second(window, || Ok((workload.map)()?.len()))?;
    let map_and_validate = per_second(window, || (workload.map_and_validate)(schema))?;
    let ratio = if decode_only > 0.0 {
        (map_and_validate / decode_only * 1000.0).round() / 1000.0
    } else {
        0.0
    };
    Ok(json!({
        "channel": workload.channel,
        "mapping": mapping.name(),
        "payload_bytes": workload.payload_bytes,
        "decode_only_per_sec": decode_only.round(),
        "direct": mapping.program.is_direct(),
        "jaq_map_only_per_sec": jaq_map_only.round(),
        "map_only_per_sec": map_only.round(),
        "map_vs_jaq": if jaq_map_only > 0.0 { (map_only / jaq_map_only * 100.0).round() / 100.0 } else { 0.0 },
        "map_and_validate_per_sec": map_and_validate.round(),
        "map_and_validate_vs_decode_only": ratio,
    }))
}

/// The benchmark payloads: published samples where they exist, generated
/// ones (documented CSV layout, Salesforce REST shape) where they do not.
struct Inputs {
    shopify: Vec<u8>,
    amazon: Vec<u8>,
    x12: Vec<u8>,
    csv: Vec<u8>,
    salesforce: Vec<u8>,
}

impl Inputs {
    fn build() -> Result<Self> {
        let capture: Value = serde_json::from_str(SHOPIFY_ORDER)?;
        let payload = |text: &str| -> Result<Value> {
            let value: Value = serde_json::from_str(text)?;
            Ok(value["response"]["payload"].clone())
        };
        let amazon = json!({
            "order": payload(AMAZON_ORDER)?,
            "items": payload(AMAZON_ITEMS)?["OrderItems"],
            "address": payload(AMAZON_ADDRESS)?,
        });
        Ok(Self {
            shopify: capture["body"].to_string().into_bytes(),
            amazon: amazon.to_string().into_bytes(),
            x12: X12_850.as_bytes().to_vec(),
            csv: csv_orders(20, 3)?,
            salesforce: salesforce_order(3).to_string().into_bytes(),
        })
    }

    fn workload<'a>(&'a self, channel: &str, mapping: &'a Mapping) -> Result<Workload<'a>> {
        let program = &mapping.program;
        let json_workload = |channel: &'static str, bytes: &'a [u8]| Workload {
            channel,
            payload_bytes: bytes.len(),
            decode: Box::new(move || {
                serde_json::from_slice::<Value>(bytes).context("parse")?;
                Ok(1)
            }),
            map: Box::new(move || Ok(program.run(bytes, ACCOUNT, RECEIVED_AT)?)),
            reference: Box::new(move || Ok(program.run_reference(bytes, ACCOUNT, RECEIVED_AT)?)),
            map_and_validate: Box::new(move |schema| {
                validate_each(program, schema, [Input::Raw(bytes)].into_iter())
            }),
        };
        Ok(match channel {
            "shopify" => json_workload("shopify", &self.shopify),
            "amazon" => json_workload("amazon", &self.amazon),
            "salesforce" => json_workload("salesforce", &self.salesforce),
            "edi-850" => Workload {
                channel: "edi-850",
                payload_bytes: self.x12.len(),
                decode: Box::new(|| Ok(x12_documents(&self.x12)?.len())),
                map: Box::new(move || {
                    let documents = x12_documents(&self.x12)?;
                    map_each(program, documents.iter().map(|d| &d.input), Path::Run)
                }),
                reference: Box::new(move || {
                    let documents = x12_documents(&self.x12)?;
                    map_each(program, documents.iter().map(|d| &d.input), Path::Jaq)
                }),
                map_and_validate: Box::new(move |schema| {
                    let documents = x12_documents(&self.x12)?;
                    let inputs = documents.iter().map(|d| Input::Decoded(&d.input));
                    validate_each(program, schema, inputs)
                }),
            },
            "csv" => Workload {
                channel: "csv",
                payload_bytes: self.csv.len(),
                decode: Box::new(|| Ok(csv_groups(&self.csv)?.len())),
                map: Box::new(move || map_each(program, csv_groups(&self.csv)?.iter(), Path::Run)),
                reference: Box::new(move || {
                    map_each(program, csv_groups(&self.csv)?.iter(), Path::Jaq)
                }),
                map_and_validate: Box::new(move |schema| {
                    let groups = csv_groups(&self.csv)?;
                    validate_each(program, schema, groups.iter().map(Input::Decoded))
                }),
            },
            other => bail!(
                "no benchmark payload for the channel {other:?} (try: all, {FIXTURES_CHANNELS})"
            ),
        })
    }
}

const FIXTURES_CHANNELS: &str = "shopify, amazon, edi-850, csv, salesforce";

/// The channel account and receipt time every benchmark payload maps with.
const ACCOUNT: &str = "bench";
const RECEIVED_AT: &str = "2026-11-27T00:00:00Z";

/// Which evaluator maps: the hub's (`run`) or jaq alone.
#[derive(Clone, Copy)]
enum Path {
    Run,
    Jaq,
}

/// Maps each decoded input of one payload; all the orders they give.
fn map_each<'v>(
    program: &MappingProgram,
    inputs: impl Iterator<Item = &'v Value>,
    path: Path,
) -> Result<Vec<Value>> {
    let mut orders = Vec::new();
    for input in inputs {
        orders.extend(match path {
            Path::Run => program.run_value(input, ACCOUNT, RECEIVED_AT)?,
            Path::Jaq => program.run_value_reference(input, ACCOUNT, RECEIVED_AT)?,
        });
    }
    Ok(orders)
}

/// Maps and validates each input of one payload as the hub does; how many
/// valid orders they give.
fn validate_each<'v>(
    program: &MappingProgram,
    schema: &OrderSchema,
    inputs: impl Iterator<Item = Input<'v>>,
) -> Result<usize> {
    let mut orders = 0;
    for input in inputs {
        orders += schema
            .map(program, input, ACCOUNT, RECEIVED_AT)
            .map_err(|failure| anyhow::anyhow!("invalid: {failure:?}"))?
            .len();
    }
    Ok(orders)
}

fn x12_documents(x12: &[u8]) -> Result<Vec<edi::Document850>> {
    let parsed = o2c_formats::x12::parse_with(x12, &edi::parse_options(false))?;
    Ok(edi::documents(
        &parsed.file,
        ACCOUNT,
        &MappingOptions::default(),
    )?)
}

fn csv_groups(csv: &[u8]) -> Result<Vec<Value>> {
    let import = parse_orders(csv, &CsvOptions::default());
    if !import.report.is_ok() {
        bail!("the benchmark CSV has bad rows: {:?}", import.report.errors);
    }
    Ok(import.groups)
}

/// `orders` orders of `lines` lines each in the documented column layout
/// (docs/configuration.md, "CSV order import").
fn csv_orders(orders: usize, lines: usize) -> Result<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record([
        "order_number",
        "order_date",
        "currency",
        "customer_ref",
        "customer_name",
        "customer_email",
        "ship_to_name",
        "ship_to_street",
        "ship_to_city",
        "ship_to_postal_code",
        "ship_to_country",
        "customer_po",
        "sku",
        "description",
        "quantity",
        "uom",
        "unit_price",
    ])?;
    for n in 0..orders {
        for k in 0..lines {
            let order = format!("SO-{n}");
            let sku = format!("SKU-{k}");
            let quantity = (k + 1).to_string();
            let price = format!("{}.{:02}", 10 + k, n % 100);
            let head = k == 0;
            let pick = |value: String| if head { value } else { String::new() };
            writer.write_record([
                order.clone(),
                pick("2026-11-27".into()),
                pick("EUR".into()),
                pick(format!("C-{n}")),
                pick("Müller & Co".into()),
                pick("buyer@example.com".into()),
                pick("Goods In".into()),
                pick("Hafenstraße 1".into()),
                pick("Hamburg".into()),
                pick("20457".into()),
                pick("DE".into()),
                pick(format!("PO-{n}")),
                sku.clone(),
                format!("Item {sku}"),
                quantity,
                "EA".into(),
                price,
            ])?;
        }
    }
    Ok(writer.into_inner()?)
}

/// An activated Order as Salesforce's REST API returns it (query with the
/// OrderItems subquery), with `lines` lines.
fn salesforce_order(lines: usize) -> Value {
    let attributes = |kind: &str, id: &str| json!({ "type": kind, "url": format!("/services/data/v60.0/sobjects/{kind}/{id}") });
    let items: Vec<Value> = (0..lines)
        .map(|k| {
            let id = format!("802000000000{k:03}AAA");
            json!({
                "attributes": attributes("OrderItem", &id),
                "Id": id,
                "OrderItemNumber": format!("{:010}", k + 1),
                "Product2": { "attributes": attributes("Product2", "01t000000000001AAA"),
                              "ProductCode": format!("SKU-{k}"), "Name": format!("Item {k}") },
                "Quantity": k + 1,
                "UnitPrice": format!("{}.50", 10 + k).parse::<serde_json::Number>().ok(),
                "TotalPrice": null,
                "Description": null
            })
        })
        .collect();
    json!({
        "attributes": attributes("Order", "801000000000001AAA"),
        "Id": "801000000000001AAA",
        "OrderNumber": "00000100",
        "Status": "Activated",
        "EffectiveDate": "2026-11-27",
        "PoNumber": "PO-100",
        "TotalAmount": null,
        "SystemModstamp": "2026-11-27T08:00:00.000+0000",
        "Account": { "attributes": attributes("Account", "001000000000001AAA"),
                     "Id": "001000000000001AAA", "Name": "Acme Wholesale", "AccountNumber": "CD-1001" },
        "BillingStreet": "1 Market St\nSuite 300", "BillingCity": "San Francisco",
        "BillingState": "CA", "BillingPostalCode": "94105", "BillingCountry": "US",
        "ShippingStreet": "500 Dock Rd", "ShippingCity": "Oakland",
        "ShippingState": "CA", "ShippingPostalCode": "94607", "ShippingCountry": "US",
        "CurrencyIsoCode": "USD",
        "OrderItems": { "totalSize": lines, "done": true, "records": items }
    })
}

/// Runs `work` repeatedly for `window`; returns orders per second (`work`
/// returns how many orders one run handled).
fn per_second(window: Duration, mut work: impl FnMut() -> Result<usize>) -> Result<f64> {
    // Warm caches and allocators first.
    for _ in 0..50 {
        work()?;
    }
    let started = Instant::now();
    let mut orders = 0usize;
    while started.elapsed() < window {
        for _ in 0..20 {
            orders += work()?;
        }
    }
    Ok(orders as f64 / started.elapsed().as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every channel's benchmark payload maps to valid canonical orders
    /// with the shipped mappings (else the figures would measure errors).
    #[test]
    fn every_channel_payload_maps_and_validates() {
        let mappings = MappingSet::shipped().expect("mappings");
        let schema = OrderSchema::new().expect("schema");
        let inputs = Inputs::build().expect("inputs");
        for channel in o2c_connectors::mapping::CHANNELS {
            let mapping = mappings.get(channel, None).expect("mapping");
            let workload = inputs.workload(channel, mapping).expect("workload");
            let decoded = (workload.decode)().expect("decode");
            let orders = (workload.map)().unwrap_or_else(|e| panic!("{channel}: {e:#}"));
            assert!(!orders.is_empty(), "{channel}");
            assert_eq!(
                decoded,
                orders.len(),
                "{channel}: one order per decoded input"
            );
            for order in &orders {
                schema
                    .parse(order)
                    .unwrap_or_else(|e| panic!("{channel}: {e:?}"));
            }
        }
    }
}
