//! One module per command; `run` dispatches.

mod bench;
mod bench_map;
mod bench_odoo;
mod demo;
mod edi;
mod import;
mod map;
mod ops;
mod serve;
mod sim;

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use o2c_store::Store;

use crate::cli::{Cli, Command};
use crate::settings::{self, Settings};

/// Exit code for bad input (an unknown id, a malformed argument).
pub const EXIT_BAD_INPUT: u8 = 2;

pub async fn run(cli: Cli) -> Result<ExitCode> {
    let settings = settings::load(cli.config.as_deref())?;
    match cli.command {
        Command::Serve(args) => serve::run(settings, args).await,
        Command::OdooSim(args) => sim::run(args).await,
        Command::Demo(args) => demo::run(settings, args).await,
        Command::Keys(command) => ops::keys(settings, command).await,
        Command::Replay(args) => ops::replay(settings, args).await,
        Command::Dlq(command) => ops::dlq(settings, command).await,
        Command::Audit(command) => ops::audit(settings, command).await,
        Command::Bench(command) => bench::run(command).await,
        Command::Map(args) => map::run(settings, args).await,
        Command::Edi(command) => edi::run(command),
        Command::Import(command) => import::run(command).await,
    }
}

/// Opens the store named on the command line, else in the settings.
pub async fn open_store(settings: &Settings, url: Option<&str>) -> Result<Arc<dyn Store>> {
    let url = url.unwrap_or(&settings.hub.store_url);
    o2c_store::open(url)
        .await
        .with_context(|| format!("opening the store {}", redact_url(url)))
}

/// Hides a password in a `scheme://user:password@host` URL.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Waits for Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn redacts_passwords_only() {
        assert_eq!(
            redact_url("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact_url("sqlite://o2c.db"), "sqlite://o2c.db");
    }
}
