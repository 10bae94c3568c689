//! Settings of the pullers (`[pull]` in `o2c.toml`). Secrets are named, not
//! written: each is read from an environment variable or a file at start,
//! and never appears in `Debug` output or logs.

use chrono::{DateTime, Utc};
use serde::Deserialize;

/// Every puller the hub runs.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default)]
pub struct PullConfig {
    /// Amazon selling-partner accounts pulled with `getOrders`.
    pub amazon: Vec<AmazonPull>,
    /// Shopify shops pulled through the Admin REST API (catch-up after downtime).
    pub shopify: Vec<ShopifyPull>,
    /// Salesforce orgs whose approved Orders (and closed-won Opportunities) are pulled.
    pub salesforce: Vec<SalesforcePull>,
    /// Longest wait after failed pulls (the wait doubles from `interval_secs / 4`).
    pub max_backoff_secs: u64,
}

impl Default for PullConfig {
    fn default() -> Self {
        Self {
            amazon: Vec::new(),
            shopify: Vec::new(),
            salesforce: Vec::new(),
            max_backoff_secs: 900,
        }
    }
}

/// Where a secret comes from: an environment variable or a file (whose
/// trailing newline is ignored). Exactly one must be set.
#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(default, deny_unknown_fields)]
pub struct SecretRef {
    pub env: Option<String>,
    pub file: Option<String>,
}

impl SecretRef {
    /// Reads the secret; the error names the source, never the value.
    pub fn resolve(&self, what: &str) -> Result<String, String> {
        let value = match (&self.env, &self.file) {
            (Some(var), None) => std::env::var(var)
                .map_err(|_| format!("{what}: environment variable {var} is not set"))?,
            (None, Some(path)) => std::fs::read_to_string(path)
                .map_err(|e| format!("{what}: cannot read {path}: {e}"))?
                .trim_end_matches(['\n', '\r'])
                .to_owned(),
            (Some(_), Some(_)) => return Err(format!("{what}: set env or file, not both")),
            (None, None) => return Err(format!("{what}: set env or file")),
        };
        if value.is_empty() {
            return Err(format!("{what} is empty"));
        }
        Ok(value)
    }
}

/// One Amazon selling-partner account.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default)]
pub struct AmazonPull {
    /// The channel account (the seller id), e.g. `A2EUQ1WTGCTBG2`.
    pub account: String,
    /// Regional SP-API endpoint.
    pub base_url: String,
    /// Login with Amazon token endpoint.
    pub token_url: String,
    pub marketplace_ids: Vec<String>,
    /// LWA application client id (not a secret).
    pub client_id: String,
    pub client_secret: SecretRef,
    pub refresh_token: SecretRef,
    /// Orders updated after this are pulled on the very first run.
    pub start: Option<DateTime<Utc>>,
    pub interval_secs: u64,
    /// How far below the cursor each pull starts again.
    pub overlap_secs: u64,
}

impl Default for AmazonPull {
    fn default() -> Self {
        Self {
            account: String::new(),
            base_url: "https://sellingpartnerapi-na.amazon.com".into(),
            token_url: "https://api.amazon.com/auth/o2/token".into(),
            marketplace_ids: Vec::new(),
            client_id: String::new(),
            client_secret: SecretRef::default(),
            refresh_token: SecretRef::default(),
            start: None,
            // getOrders allows one call a minute sustained.
            interval_secs: 120,
            overlap_secs: 300,
        }
    }
}

/// One Shopify shop pulled through the Admin REST API.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default)]
pub struct ShopifyPull {
    /// The shop domain, e.g. `acme.myshopify.com` (the channel account, as
    /// for its webhooks).
    pub domain: String,
    /// Defaults to `https://<domain>`; tests point it at a local fake.
    pub base_url: Option<String>,
    pub api_version: String,
    /// The Admin API access token (`X-Shopify-Access-Token`).
    pub access_token: SecretRef,
    /// Orders updated after this are pulled on the very first run.
    pub start: Option<DateTime<Utc>>,
    pub interval_secs: u64,
    pub overlap_secs: u64,
    /// `limit` of each page (1 to 250).
    pub page_size: u32,
}

impl Default for ShopifyPull {
    fn default() -> Self {
        Self {
            domain: String::new(),
            base_url: None,
            api_version: "2024-10".into(),
            access_token: SecretRef::default(),
            start: None,
            interval_secs: 300,
            // Shopify stamps updated_at to the second.
            overlap_secs: 60,
            page_size: 250,
        }
    }
}

/// How the hub logs in to Salesforce.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum SalesforceFlow {
    /// OAuth 2.0 client credentials (consumer key + secret).
    #[default]
    ClientCredentials,
    /// OAuth 2.0 JWT bearer (consumer key + username + RSA private key).
    JwtBearer,
}

/// One Salesforce org.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default)]
pub struct SalesforcePull {
    /// The channel account (e.g. the org's name or id).
    pub account: String,
    /// `https://login.salesforce.com`, `https://test.salesforce.com` or the My Domain URL.
    pub login_url: String,
    pub api_version: String,
    pub flow: SalesforceFlow,
    /// The connected app's consumer key (not a secret).
    pub client_id: String,
    /// Client-credentials flow: the consumer secret.
    pub client_secret: SecretRef,
    /// JWT bearer flow: the user the hub acts as.
    pub username: Option<String>,
    /// JWT bearer flow: PEM of the RSA private key.
    pub private_key: SecretRef,
    /// JWT bearer flow: `aud`; defaults to `login_url`.
    pub audience: Option<String>,
    /// Order statuses that mean approved.
    pub order_statuses: Vec<String>,
    /// Order statuses that take an approved Order back (deactivated to
    /// `Draft`, or an org's own `Cancelled`): pulled too, so an Order the
    /// hub holds is cancelled when it moves to one; Orders the hub never had
    /// in these statuses are skipped.
    pub withdrawn_order_statuses: Vec<String>,
    /// Also pull Opportunities in `opportunity_stages`.
    pub opportunities: bool,
    pub opportunity_stages: Vec<String>,
    /// Org-specific fields the mapping uses when present (`CurrencyIsoCode`,
    /// `ShippingCountryCode`, `ShippingStateCode`, ...).
    pub extra_order_fields: Vec<String>,
    pub extra_opportunity_fields: Vec<String>,
    /// The org currency, for orgs without multi-currency.
    pub currency: Option<String>,
    pub start: Option<DateTime<Utc>>,
    pub interval_secs: u64,
    pub overlap_secs: u64,
}

impl Default for SalesforcePull {
    fn default() -> Self {
        Self {
            account: String::new(),
            login_url: "https://login.salesforce.com".into(),
            api_version: "v62.0".into(),
            flow: SalesforceFlow::default(),
            client_id: String::new(),
            client_secret: SecretRef::default(),
            username: None,
            private_key: SecretRef::default(),
            audience: None,
            order_statuses: vec!["Activated".into()],
            withdrawn_order_statuses: vec!["Draft".into(), "Cancelled".into()],
            opportunities: false,
            opportunity_stages: vec!["Closed Won".into()],
            extra_order_fields: Vec::new(),
            extra_opportunity_fields: Vec::new(),
            currency: None,
            start: None,
            interval_secs: 300,
            overlap_secs: 300,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_come_from_env_or_file_only() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("token");
        std::fs::write(&path, "shpat_abc\n").expect("write");
        let from_file = SecretRef {
            env: None,
            file: Some(path.display().to_string()),
        };
        assert_eq!(from_file.resolve("token").as_deref(), Ok("shpat_abc"));
        let missing = SecretRef {
            env: Some("O2C_TEST_SURELY_UNSET_VARIABLE".into()),
            file: None,
        };
        let error = missing.resolve("token").expect_err("unset");
        assert!(error.contains("O2C_TEST_SURELY_UNSET_VARIABLE"), "{error}");
        assert!(SecretRef::default().resolve("token").is_err());
        let both = SecretRef {
            env: Some("X".into()),
            file: Some("y".into()),
        };
        assert!(both.resolve("token").is_err());
    }

    #[test]
    fn parses_from_toml_shape() {
        let config: PullConfig = serde_json::from_value(serde_json::json!({
            "amazon": [{
                "account": "A2EUQ1WTGCTBG2",
                "marketplace_ids": ["ATVPDKIKX0DER"],
                "client_id": "amzn1.application-oa2-client.x",
                "client_secret": {"env": "LWA_SECRET"},
                "refresh_token": {"file": "/run/secrets/lwa"},
                "start": "2024-05-01T00:00:00Z"
            }],
            "shopify": [{"domain": "acme.myshopify.com", "access_token": {"env": "SHOPIFY_TOKEN"}}]
        }))
        .expect("config");
        assert_eq!(config.amazon[0].interval_secs, 120);
        assert_eq!(config.shopify[0].api_version, "2024-10");
        assert_eq!(config.shopify[0].page_size, 250);
    }
}
