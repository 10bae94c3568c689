//! The runtime's settings. The binary layers them (defaults, `o2c.toml`,
//! `O2C_*` environment); the hub only sees the validated result.

use serde::Deserialize;

use crate::ingest::IngestConfig;
use crate::retry::RetryPolicy;
use crate::worker::WorkerConfig;

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default)]
pub struct HubConfig {
    /// Where the HTTP API listens.
    pub listen: String,
    /// `sqlite://path` (or a path) for the embedded store, `postgres://…` to scale out.
    pub store_url: String,
    /// Request bodies larger than this get 413.
    pub max_body_bytes: usize,
    /// Acceptances grouped into one commit at most.
    pub ingest_max_batch: usize,
    /// Concurrent committing ingest writers (SQLite: 1).
    pub ingest_writers: usize,
    pub workers: WorkerConfig,
    pub retry: RetryPolicy,
    /// Runs workers in this process (off for an API-only instance).
    pub run_workers: bool,
    /// A folder of `<channel>/v<N>.jq` files overriding the shipped mappings.
    pub mappings_dir: Option<String>,
    /// Shopify shops whose webhooks the hub takes.
    pub shopify: Vec<ShopifyShop>,
    /// Business validation rules, globally and per channel.
    pub validation: crate::validation::ValidationPolicy,
    /// EDI X12 trading partners (`crate::edi::EdiConfig`).
    pub edi: crate::edi::EdiConfig,
    /// Channels the hub pulls orders from (Amazon, Shopify catch-up).
    pub pull: crate::pull::PullConfig,
    /// The Odoo company of each channel (`crate::companies`); EDI partners
    /// add theirs with `odoo_company_id`.
    pub companies: crate::companies::Companies,
    /// The Odoo pricelist per channel and currency for orders in another
    /// currency than their customer's pricelist (`crate::pricelists`); the
    /// binary hands it to the Odoo adapter.
    pub pricelists: crate::pricelists::ChannelPricelists,
}

/// One Shopify shop: its domain and the app secret that signs its webhooks.
#[derive(Clone, Deserialize, PartialEq, Default)]
#[serde(default)]
pub struct ShopifyShop {
    /// e.g. `acme.myshopify.com`; the webhook URL is
    /// `/v1/channels/shopify/<domain>/webhooks`.
    pub domain: String,
    /// The app's shared secret (prefer `secret_file`).
    pub secret: Option<String>,
    pub secret_file: Option<String>,
}

impl std::fmt::Debug for ShopifyShop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShopifyShop")
            .field("domain", &self.domain)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field("secret_file", &self.secret_file)
            .finish()
    }
}

impl ShopifyShop {
    /// The secret, read from the file when one is named.
    pub fn resolve_secret(&self) -> Result<Vec<u8>, String> {
        if let Some(path) = &self.secret_file {
            return std::fs::read_to_string(path)
                .map(|s| s.trim_end_matches(['\n', '\r']).as_bytes().to_vec())
                .map_err(|e| format!("shopify shop {}: cannot read {path}: {e}", self.domain));
        }
        self.secret
            .as_ref()
            .map(|s| s.as_bytes().to_vec())
            .ok_or_else(|| {
                format!(
                    "shopify shop {} has neither secret nor secret_file",
                    self.domain
                )
            })
    }
}

impl Default for HubConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            store_url: "sqlite://o2c.db".into(),
            max_body_bytes: 1024 * 1024,
            ingest_max_batch: 512,
            ingest_writers: 1,
            workers: WorkerConfig::default(),
            retry: RetryPolicy::default(),
            run_workers: true,
            mappings_dir: None,
            shopify: Vec::new(),
            validation: crate::validation::ValidationPolicy::default(),
            edi: crate::edi::EdiConfig::default(),
            pull: crate::pull::PullConfig::default(),
            companies: crate::companies::Companies::default(),
            pricelists: crate::pricelists::ChannelPricelists::default(),
        }
    }
}

impl HubConfig {
    /// The company lookup: `[companies]` plus the EDI partners' own.
    pub fn company_lookup(&self) -> crate::companies::Companies {
        self.companies.clone().with_edi_partners(&self.edi)
    }

    pub fn ingest(&self, backend: &str) -> IngestConfig {
        IngestConfig {
            max_batch: self.ingest_max_batch.max(1),
            // SQLite has one writer; more writers would only queue on its lock.
            writers: if backend == "sqlite" {
                1
            } else {
                self.ingest_writers.max(1)
            },
            queue: 8192,
        }
    }
}
