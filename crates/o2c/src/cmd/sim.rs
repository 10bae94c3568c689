//! `o2c odoo-sim`: the Odoo-compatible sandbox on its own.

use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use o2c_odoo_sim::{OdooVersion, Sandbox, Seed, SimConfig};

use super::shutdown_signal;
use crate::cli::SimArgs;

pub async fn run(args: SimArgs) -> Result<ExitCode> {
    let config = sim_config(args.odoo_version, &args.seed)?;
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    println!(
        "o2c odoo-sim (Odoo {}) listening on http://{addr} (db: {}, login: {})",
        args.odoo_version, config.db, config.login
    );
    let sandbox = Sandbox::new(config);
    sandbox
        .serve_with_shutdown(listener, shutdown_signal())
        .await
        .context("sandbox server failed")?;
    Ok(ExitCode::SUCCESS)
}

pub fn sim_config(version: u8, seed: &str) -> Result<SimConfig> {
    let version = match version {
        16 => OdooVersion::V16,
        17 => OdooVersion::V17,
        18 => OdooVersion::V18,
        19 => OdooVersion::V19,
        other => bail!("unsupported Odoo version {other}: use 16, 17, 18 or 19"),
    };
    let seed = match seed {
        "demo" => Seed::Demo,
        "empty" => Seed::Empty,
        other => bail!("unknown seed {other:?}: use demo or empty"),
    };
    Ok(SimConfig {
        version,
        seed,
        ..SimConfig::default()
    })
}
