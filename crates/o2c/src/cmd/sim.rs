//! `o2c odoo-sim`: the Odoo-compatible sandbox on its own.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use o2c_odoo_sim::{FaultConfig, OdooVersion, Sandbox, Seed, SimConfig};

use super::shutdown_signal;
use crate::cli::SimArgs;

/// The environment variable holding the admin endpoint's secret when
/// `--admin-token-file` is not given.
pub const ADMIN_TOKEN_ENV: &str = "O2C_SIM_ADMIN_TOKEN";

pub async fn run(args: SimArgs) -> Result<ExitCode> {
    let config = config_from_args(&args, std::env::var(ADMIN_TOKEN_ENV).ok())?;
    let sandbox = Sandbox::try_new(config.clone()).map_err(anyhow::Error::msg)?;
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    // One line on stdout, which scripts and tests wait for; the admin token
    // and the API keys are never part of it.
    println!(
        "o2c odoo-sim (Odoo {}) listening on http://{addr} (db: {}, login: {}{}{}{})",
        args.odoo_version,
        config.db,
        config.login,
        if config.admin_token.is_some() {
            ", admin endpoint on"
        } else {
            ""
        },
        if config.state_file.is_some() {
            ", state file"
        } else {
            ""
        },
        match config.api_keys.len() {
            0 => String::new(),
            n => format!(", {n} API key(s)"),
        },
    );
    sandbox
        .serve_with_shutdown(listener, shutdown_signal())
        .await
        .context("sandbox server failed")?;
    Ok(ExitCode::SUCCESS)
}

/// The sandbox configuration from the command line; `env_token` is the
/// value of `O2C_SIM_ADMIN_TOKEN`, used when no token file is given.
pub fn config_from_args(args: &SimArgs, env_token: Option<String>) -> Result<SimConfig> {
    let mut config = sim_config(args.odoo_version, &args.seed)?;
    config.state_file = args.state_file.clone();
    if let Some(spec) = &args.faults {
        let faults = FaultConfig::parse_spec(spec)
            .map_err(anyhow::Error::msg)
            .with_context(|| format!("invalid --faults {spec:?}"))?;
        faults
            .check()
            .map_err(anyhow::Error::msg)
            .with_context(|| format!("invalid --faults {spec:?}"))?;
        config.faults = faults;
    }
    config.admin_token = match &args.admin_token_file {
        Some(path) => Some(read_token(path)?),
        None => match env_token {
            Some(t) if !t.trim().is_empty() => Some(t.trim().to_string()),
            Some(_) => bail!("{ADMIN_TOKEN_ENV} is set but empty"),
            None => None,
        },
    };
    for key in &args.api_keys {
        if key.trim().is_empty() {
            bail!("--api-key must not be empty");
        }
    }
    config.api_keys = args.api_keys.clone();
    Ok(config)
}

fn read_token(path: &Path) -> Result<String> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the admin token file {}", path.display()))?;
    let token = text.trim();
    if token.is_empty() {
        bail!("the admin token file {} is empty", path.display());
    }
    Ok(token.to_string())
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn parse(argv: &[&str]) -> SimArgs {
        let mut full = vec!["o2c", "odoo-sim"];
        full.extend_from_slice(argv);
        match crate::cli::Cli::parse_from(full).command {
            crate::cli::Command::OdooSim(args) => args,
            other => panic!("not odoo-sim: {other:?}"),
        }
    }

    #[test]
    fn flags_fill_the_config() {
        let dir = tempfile::tempdir().unwrap();
        let token = dir.path().join("token");
        std::fs::write(&token, "  s3cret\n").unwrap();
        let state = dir.path().join("state.json");
        let args = parse(&[
            "--odoo-version",
            "17",
            "--seed",
            "empty",
            "--state-file",
            state.to_str().unwrap(),
            "--faults",
            "latency_ms=20,rate_503=0.05,seed=7",
            "--admin-token-file",
            token.to_str().unwrap(),
            "--api-key",
            "k1",
            "--api-key",
            "k2",
        ]);
        let config = config_from_args(&args, Some("ignored".into())).unwrap();
        assert_eq!(config.version, OdooVersion::V17);
        assert_eq!(config.seed, Seed::Empty);
        assert_eq!(config.state_file.as_deref(), Some(state.as_path()));
        assert_eq!(config.faults.latency_ms, 20);
        assert_eq!(config.faults.rate_503, 0.05);
        assert_eq!(config.admin_token.as_deref(), Some("s3cret"));
        assert_eq!(config.api_keys, vec!["k1".to_string(), "k2".to_string()]);
        assert!(!format!("{config:?}").contains("s3cret"));
    }

    #[test]
    fn token_from_env_and_bad_faults() {
        let args = parse(&[]);
        let config = config_from_args(&args, Some("t0k".into())).unwrap();
        assert_eq!(config.admin_token.as_deref(), Some("t0k"));
        assert!(config_from_args(&args, None).unwrap().admin_token.is_none());
        assert!(config_from_args(&args, Some(" ".into())).is_err());
        for bad in ["rate_503=2", "latency_ms", "nope=1"] {
            let args = parse(&["--faults", bad]);
            assert!(config_from_args(&args, None).is_err(), "{bad}");
        }
    }
}
