//! `o2c import orders FILE.csv`: check a CSV of orders, map each good order
//! with the `csv` mapping rule (`mappings/csv/v<N>.jq`, the shipped rules)
//! and send it through a hub's REST API, with a progress bar for big files.
//! Bad rows are listed with line and column, orders the mapping refuses
//! with their first line; any makes the exit code 2.

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use o2c_connectors::MappingSet;
use o2c_formats::csv_orders::{CsvOptions, parse_orders};
use serde_json::Value;

use super::EXIT_BAD_INPUT;
use crate::cli::{ImportCommand, ImportOrdersArgs};

pub async fn run(command: ImportCommand) -> Result<ExitCode> {
    match command {
        ImportCommand::Orders(args) => orders(args).await,
    }
}

async fn orders(args: ImportOrdersArgs) -> Result<ExitCode> {
    let bytes =
        std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let import = parse_orders(
        &bytes,
        &CsvOptions {
            account: args.account.clone(),
        },
    );
    let report = &import.report;
    for error in &report.errors {
        eprintln!(
            "line {}{}: {}{}",
            error.line,
            error
                .column
                .as_deref()
                .map(|c| format!(", column {c}"))
                .unwrap_or_default(),
            error.message,
            error
                .value
                .as_deref()
                .map(|v| format!(" (got {v:?})"))
                .unwrap_or_default(),
        );
    }
    eprintln!(
        "{} row(s), {} order(s), {} valid, {} problem(s)",
        report.rows,
        report.orders,
        report.valid_orders,
        report.errors.len()
    );
    let mapping_set = MappingSet::shipped()?;
    let mapping = mapping_set.get("csv", None)?;
    let received_at = chrono::Utc::now().to_rfc3339();
    let mut orders: Vec<Value> = Vec::with_capacity(import.groups.len());
    let mut unmapped = 0usize;
    for group in &import.groups {
        match mapping
            .program
            .run_value(group, &args.account, &received_at)
        {
            Ok(mut out) if out.len() == 1 => orders.push(out.remove(0)),
            outcome => {
                unmapped += 1;
                let why = match outcome {
                    Err(error) => error.to_string(),
                    Ok(out) => format!("{} orders for one", out.len()),
                };
                eprintln!(
                    "line {}: order {}: mapping {} failed: {why}",
                    group["line"],
                    group["order_number"],
                    mapping.name()
                );
            }
        }
    }
    let bad = !report.errors.is_empty() || unmapped > 0;
    if args.dry_run {
        return Ok(if bad {
            ExitCode::from(EXIT_BAD_INPUT)
        } else {
            ExitCode::SUCCESS
        });
    }
    let key = args
        .key
        .as_deref()
        .context("an API key is needed: --key or O2C_API_KEY")?;
    let http = reqwest::Client::new();
    let url = format!("{}/v1/orders", args.url.trim_end_matches('/'));
    let bar = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(orders.len() as u64);
        if let Ok(style) =
            ProgressStyle::with_template("importing [{bar:40}] {pos}/{len} ({per_sec}, {eta})")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        Some(bar)
    } else {
        None
    };
    let (mut accepted, mut refused) = (0usize, 0usize);
    for order in &orders {
        let response = http
            .post(&url)
            .bearer_auth(key)
            .json(order)
            .send()
            .await
            .with_context(|| format!("posting to {url}"))?;
        if response.status().as_u16() == 202 {
            accepted += 1;
        } else {
            refused += 1;
            let number = order
                .get("channel_order_id")
                .and_then(|v| v.as_str())
                .unwrap_or("?");
            let status = response.status();
            let body = response.text().await.unwrap_or_default();
            eprintln!("order {number}: refused ({status}): {body}");
        }
        if let Some(bar) = &bar {
            bar.inc(1);
        }
    }
    if let Some(bar) = &bar {
        bar.finish();
    }
    println!(
        "{accepted} order(s) accepted, {refused} refused, {} problem row(s)",
        report.errors.len()
    );
    Ok(if bad || refused > 0 {
        ExitCode::from(EXIT_BAD_INPUT)
    } else {
        ExitCode::SUCCESS
    })
}
