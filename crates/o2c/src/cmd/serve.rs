//! `o2c serve`: the hub against the configured Odoo, until Ctrl-C/SIGTERM.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use o2c_hub::erp::odoo::OdooErp;
use o2c_odoo::{OdooClient, OdooConfig};

use super::{open_store, redact_url, shutdown_signal};
use crate::cli::ServeArgs;
use crate::settings::{OdooSettings, Settings};

pub async fn run(mut settings: Settings, args: ServeArgs) -> Result<ExitCode> {
    if let Some(listen) = args.listen {
        settings.hub.listen = listen;
    }
    if let Some(url) = args.store.store {
        settings.hub.store_url = url;
    }
    let store = open_store(&settings, None).await?;
    let client = odoo_client(&settings.odoo)?;
    let erp = Arc::new(OdooErp::new(client).with_pricelists(settings.hub.pricelists.clone()));
    let listener = tokio::net::TcpListener::bind(&settings.hub.listen)
        .await
        .with_context(|| format!("cannot listen on {}", settings.hub.listen))?;
    let hub = o2c_hub::start(&settings.hub, store, erp, listener).await?;
    // Scripts wait for this line (stdout, one line) to know the port.
    println!(
        "o2c listening on http://{} (store: {}, odoo: {})",
        hub.addr,
        redact_url(&settings.hub.store_url),
        settings.odoo.url
    );
    let token = hub.shutdown_token();
    tokio::spawn(async move {
        shutdown_signal().await;
        token.cancel();
    });
    hub.wait().await;
    Ok(ExitCode::SUCCESS)
}

pub fn odoo_client(odoo: &OdooSettings) -> Result<OdooClient> {
    let config = OdooConfig {
        url: odoo.url.clone(),
        db: odoo.db.clone(),
        login: odoo.login.clone(),
        secret: odoo.secret()?,
        timeout: Duration::from_secs(odoo.timeout_secs.max(1)),
        max_concurrency: odoo.max_concurrency.max(1),
        ..Default::default()
    };
    OdooClient::new(config).context("configuring the Odoo client")
}
