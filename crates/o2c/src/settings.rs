//! Layered configuration: built-in defaults, then `o2c.toml` (or `--config`),
//! then `O2C_*` environment variables (`__` separates sections, e.g.
//! `O2C_ODOO__URL`, `O2C_WORKERS__CONCURRENCY`). Secrets may also come from
//! files (`odoo.password_file`) and are never printed.

use std::path::Path;

use anyhow::{Context, Result};
use figment::Figment;
use figment::providers::{Env, Format, Toml};
use o2c_hub::HubConfig;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default)]
pub struct Settings {
    #[serde(flatten)]
    pub hub: HubConfig,
    pub odoo: OdooSettings,
}

#[derive(Clone, Deserialize)]
#[serde(default)]
pub struct OdooSettings {
    pub url: String,
    pub db: String,
    pub login: String,
    /// Password or API key; prefer `password_file` or `O2C_ODOO__PASSWORD`.
    pub password: Option<String>,
    pub password_file: Option<String>,
    pub timeout_secs: u64,
    pub max_concurrency: usize,
}

impl Default for OdooSettings {
    fn default() -> Self {
        Self {
            url: "http://127.0.0.1:8069".into(),
            db: "o2c".into(),
            login: "admin".into(),
            password: None,
            password_file: None,
            timeout_secs: 30,
            max_concurrency: 8,
        }
    }
}

impl std::fmt::Debug for OdooSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OdooSettings")
            .field("url", &self.url)
            .field("db", &self.db)
            .field("login", &self.login)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("password_file", &self.password_file)
            .finish()
    }
}

impl OdooSettings {
    /// The secret, from the settings or the file they name.
    pub fn secret(&self) -> Result<String> {
        if let Some(path) = &self.password_file {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading odoo.password_file {path}"))?;
            return Ok(text.trim_end_matches(['\n', '\r']).to_owned());
        }
        self.password
            .clone()
            .context("no Odoo password: set O2C_ODOO__PASSWORD or odoo.password_file")
    }
}

/// Loads the settings; a missing default `o2c.toml` is fine, a missing
/// explicit `--config` file is an error.
pub fn load(config: Option<&Path>) -> Result<Settings> {
    let mut figment = Figment::new();
    match config {
        Some(path) => {
            anyhow::ensure!(
                path.exists(),
                "config file {} does not exist",
                path.display()
            );
            figment = figment.merge(Toml::file(path));
        }
        None => figment = figment.merge(Toml::file("o2c.toml")),
    }
    figment
        .merge(Env::prefixed("O2C_").split("__"))
        .extract()
        .context("invalid configuration")
}

#[cfg(test)]
// figment's Jail closures must return figment's own (large) error type.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;

    #[test]
    fn file_then_environment_layers() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "o2c.toml",
                r#"
                    listen = "0.0.0.0:9000"
                    store_url = "postgres://o2c@db/o2c"
                    [workers]
                    concurrency = 4
                    [odoo]
                    url = "https://odoo.example.com"
                    password = "from-file"
                "#,
            )?;
            jail.set_env("O2C_WORKERS__CONCURRENCY", "3");
            jail.set_env("O2C_ODOO__DB", "prod");
            let settings = load(None).map_err(|e| e.to_string())?;
            assert_eq!(settings.hub.listen, "0.0.0.0:9000");
            assert_eq!(settings.hub.store_url, "postgres://o2c@db/o2c");
            assert_eq!(settings.hub.workers.concurrency, 3, "the environment wins");
            assert_eq!(
                settings.hub.workers.lease_secs, 30,
                "defaults fill the rest"
            );
            assert_eq!(settings.odoo.url, "https://odoo.example.com");
            assert_eq!(settings.odoo.db, "prod");
            assert_eq!(
                settings.odoo.secret().map_err(|e| e.to_string())?,
                "from-file"
            );
            assert!(
                !format!("{:?}", settings.odoo).contains("from-file"),
                "secrets never printed"
            );
            Ok(())
        });
    }

    /// The `[companies]` example in docs/configuration.md loads as
    /// documented.
    #[test]
    fn documented_companies_example_loads() {
        let doc = include_str!("../../../docs/configuration.md");
        let example = doc
            .split("## Odoo companies")
            .nth(1)
            .and_then(|section| section.split("```toml").nth(1))
            .and_then(|rest| rest.split("```").next())
            .expect("toml example");
        figment::Jail::expect_with(|jail| {
            jail.create_file("o2c.toml", example)?;
            let settings = load(None).map_err(|e| e.to_string())?;
            let companies = settings.hub.company_lookup();
            companies.check()?;
            let company = |channel: &str| companies.for_channel(channel).map(|c| c.0);
            assert_eq!(company("shopify:acme-eu.myshopify.com"), Some(2));
            assert_eq!(company("shopify:acme-us.myshopify.com"), Some(1));
            assert_eq!(company("amazon:ATVPDKIKX0DER"), Some(1));
            assert_eq!(company("csv:upload"), None);
            Ok(())
        });
    }

    /// The `[edi]` example in docs/configuration.md loads as documented.
    #[test]
    fn documented_edi_partner_example_loads() {
        let doc = include_str!("../../../docs/configuration.md");
        let section = doc
            .split("## EDI trading partners")
            .nth(1)
            .expect("section");
        let example = section
            .split("```toml")
            .nth(1)
            .and_then(|rest| rest.split("```").next())
            .expect("toml example");
        figment::Jail::expect_with(|jail| {
            jail.create_file("o2c.toml", example)?;
            let settings = load(None).map_err(|e| e.to_string())?;
            let edi = &settings.hub.edi;
            edi.check()?;
            assert_eq!(edi.deadline_alert_lead_minutes, 180);
            let rk = edi.partner("rk").expect("rk");
            assert_eq!(rk.odoo_company_id, Some(2));
            assert_eq!(rk.ours.gs_code(), "ACMEDIST");
            assert_eq!(rk.value_maps.lookup("uom", "CA"), Some("Case of 12"));
            assert_eq!(
                rk.value_maps.lookup("sku", "27120100"),
                Some("LED-STRING-2400L")
            );
            assert!(rk.stores.contains_key("898"));
            Ok(())
        });
    }

    #[test]
    fn password_file_and_missing_secret() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("secret.txt", "s3cret\n")?;
            jail.set_env("O2C_ODOO__PASSWORD_FILE", "secret.txt");
            let settings = load(None).map_err(|e| e.to_string())?;
            assert_eq!(settings.odoo.secret().map_err(|e| e.to_string())?, "s3cret");
            Ok(())
        });
        assert!(OdooSettings::default().secret().is_err());
        assert!(load(Some(Path::new("/nonexistent/o2c.toml"))).is_err());
    }
}
