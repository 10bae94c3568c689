//! `o2c import orders FILE.csv`: check a CSV of orders and send its good
//! orders through a hub's REST API, with a progress bar for big files. Bad
//! rows are listed with line and column; any makes the exit code 2.

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use o2c_formats::csv_orders::{CsvOptions, parse_orders};

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
    let bad = !report.errors.is_empty();
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
        let bar = ProgressBar::new(import.orders.len() as u64);
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
    for order in &import.orders {
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
