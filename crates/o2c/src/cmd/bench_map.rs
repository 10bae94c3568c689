//! `o2c bench map`: how many channel payloads one core turns into validated
//! canonical orders per second — mapping (jq via jaq) plus validation (JSON
//! Schema, decoding, the model's rules) — beside the floor: parsing the
//! payload alone. Runs on one thread, so the figure is per core.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use o2c_connectors::MappingSet;
use o2c_hub::schema_check::OrderSchema;
use serde_json::{Value, json};

use crate::cli::BenchMapArgs;

/// Shopify's published orders/create sample (about 10 KB, two lines): a
/// Shopify-sized order by definition.
const SHOPIFY_ORDER: &str = include_str!(
    "../../../o2c-connectors/tests/fixtures/shopify/hookdeck_2024-10_orders.create.json"
);

pub fn run(args: BenchMapArgs) -> Result<ExitCode> {
    if args.channel != "shopify" {
        bail!("only the shopify mapping has a benchmark payload so far");
    }
    let capture: Value = serde_json::from_str(SHOPIFY_ORDER)?;
    let payload = capture["body"].to_string().into_bytes();
    let mappings = MappingSet::shipped()?;
    let mapping = mappings.get("shopify", None)?;
    let schema = OrderSchema::new()?;
    let window = Duration::from_secs(args.seconds.max(1));

    let parse_only = per_second(window, || {
        serde_json::from_slice::<Value>(&payload)
            .map(|_| ())
            .context("parse")
    })?;
    let map_only = per_second(window, || {
        mapping
            .program
            .run(&payload, "shop.myshopify.com", "2026-11-27T00:00:00Z")
            .map(|_| ())
            .context("map")
    })?;
    let map_and_validate = per_second(window, || {
        let outputs =
            mapping
                .program
                .run(&payload, "shop.myshopify.com", "2026-11-27T00:00:00Z")?;
        for output in &outputs {
            schema
                .parse(output)
                .map_err(|errors| anyhow::anyhow!("invalid: {errors:?}"))?;
        }
        Ok(())
    })?;
    let result = json!({
        "machine": super::bench::machine(),
        "channel": args.channel,
        "payload_bytes": payload.len(),
        "parse_only_per_sec": parse_only.round(),
        "map_only_per_sec": map_only.round(),
        "map_and_validate_per_sec": map_and_validate.round(),
        "map_and_validate_vs_parse_only": if parse_only > 0.0 { (map_and_validate / parse_only * 1000.0).round() / 1000.0 } else { 0.0 },
    });
    if args.json {
        println!("{result}");
    } else {
        println!(
            "o2c bench map ({}; one core; {} payload of {} bytes)",
            result["machine"].as_str().unwrap_or(""),
            args.channel,
            payload.len()
        );
        println!(
            "  parse the payload only (the floor)   {:>10} /s",
            result["parse_only_per_sec"]
        );
        println!(
            "  map with jq (jaq)                    {:>10} /s",
            result["map_only_per_sec"]
        );
        println!(
            "  map + validate (schema, model rules) {:>10} /s",
            result["map_and_validate_per_sec"]
        );
        println!(
            "  map + validate / parse only          {:>10}x",
            result["map_and_validate_vs_parse_only"]
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `work` repeatedly for `window`; returns completed runs per second.
fn per_second(window: Duration, mut work: impl FnMut() -> Result<()>) -> Result<f64> {
    // Warm caches and allocators first.
    for _ in 0..100 {
        work()?;
    }
    let started = Instant::now();
    let mut runs = 0u64;
    while started.elapsed() < window {
        for _ in 0..50 {
            work()?;
        }
        runs += 50;
    }
    Ok(runs as f64 / started.elapsed().as_secs_f64())
}
