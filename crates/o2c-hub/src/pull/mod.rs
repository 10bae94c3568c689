//! Channels the hub pulls from (Amazon SP-API, Shopify catch-up,
//! Salesforce, and any other [`ChannelPuller`]): each configured puller runs on its own interval
//! inside the hub, and every raw order it fetches goes through the same
//! door as a webhook or a REST order: mapped by the channel's versioned jq
//! rules, checked against the canonical schema, and stored in the ingest
//! group commit under the channel + order id idempotency key.
//!
//! A pulled order the hub already holds is a change, not a duplicate: its
//! newest content (or its withdrawal) becomes a channel-change job on the
//! order's queue, applied like Shopify's `orders/updated` and
//! `orders/cancelled` (ADR 0008), with the channel's own version
//! (`LastUpdateDate`, `SystemModstamp`) keeping an older pull from rolling
//! back a newer change.
//!
//! The cursor of a puller is saved in the store only after every order of
//! the page that produced it is durably stored (or kept as a rejection):
//! a crash in between makes the next run fetch the page again, and the
//! ingest deduplication turns the repeats into no-ops.

mod amazon;
mod config;
mod runner;
mod salesforce;
mod shopify;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;

pub use amazon::AmazonPuller;
pub use config::{AmazonPull, PullConfig, SalesforceFlow, SalesforcePull, SecretRef, ShopifyPull};
pub use runner::{PassReport, PullContext, Schedule, pull_once, run, start_all};
pub use salesforce::{SalesforcePuller, SalesforceQueries};
pub use shopify::ShopifyPuller;

/// One order as a channel gave it: the mapping's input document.
#[derive(Debug, Clone, PartialEq)]
pub struct RawOrder {
    /// The channel's order id (for logs and problems).
    pub order_id: String,
    /// What the channel's mapping takes; also the payload kept in the inbox.
    pub payload: Value,
    /// Set when the channel withdrew the order (Amazon `Canceled`, a
    /// Salesforce Order moved out of its approved statuses, a cancelled
    /// Shopify order): an order the hub holds is cancelled through the
    /// channel-change job.
    pub withdrawn: Option<Withdrawal>,
}

/// Why a pulled order is withdrawn, and what to do when the hub never had it.
#[derive(Debug, Clone, PartialEq)]
pub struct Withdrawal {
    pub reason: String,
    /// Capture an order the hub never had and then cancel it (Shopify's
    /// `orders/cancelled` webhook does the same, so the merchant sees the
    /// order); otherwise such an order is skipped (Amazon, Salesforce: it
    /// was never an order to fulfil).
    pub capture_unknown: bool,
}

/// One fetch: the orders and the cursor that follows them.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub orders: Vec<RawOrder>,
    /// Saved once `orders` are stored.
    pub next_cursor: Value,
    /// True when the channel has more right away (fetch again without
    /// waiting for the interval).
    pub more: bool,
}

/// A pull that failed; the cursor stays where it was and the runner backs
/// off before trying again.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct PullError {
    pub message: String,
}

impl PullError {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

/// A channel the hub pulls orders from.
#[async_trait]
pub trait ChannelPuller: Send + Sync {
    /// The mapping channel (`amazon`, `shopify`, `salesforce`), which is
    /// also the canonical `channel.kind`.
    fn channel(&self) -> &str;
    /// The channel account (seller id, shop domain, org): `$account` of
    /// the mapping and the second half of the channel name.
    fn account(&self) -> &str;
    /// The cursor of the first pull, when the store has none.
    fn initial_cursor(&self) -> Value;
    /// Fetches the orders changed since `cursor`.
    async fn fetch(&self, cursor: &Value) -> Result<Page, PullError>;

    /// The key of this puller's cursor in the store: `channel:account`.
    fn cursor_name(&self) -> String {
        format!("{}:{}", self.channel(), self.account())
    }
}

/// A puller with its schedule.
pub type Scheduled = (Arc<dyn ChannelPuller>, Schedule);

/// The pullers the configuration names, each with its schedule; reads
/// their secrets (an unreadable one stops the start, naming its source).
pub fn from_config(config: &PullConfig) -> Result<Vec<Scheduled>, String> {
    let schedule = |interval_secs: u64| Schedule {
        interval: Duration::from_secs(interval_secs.max(1)),
        max_backoff: Duration::from_secs(config.max_backoff_secs.max(1)),
    };
    let mut pullers: Vec<Scheduled> = Vec::new();
    for amazon in &config.amazon {
        pullers.push((
            Arc::new(AmazonPuller::from_config(amazon)?),
            schedule(amazon.interval_secs),
        ));
    }
    for shop in &config.shopify {
        pullers.push((
            Arc::new(ShopifyPuller::from_config(shop)?),
            schedule(shop.interval_secs),
        ));
    }
    for org in &config.salesforce {
        pullers.push((
            Arc::new(SalesforcePuller::from_config(org)?),
            schedule(org.interval_secs),
        ));
    }
    let mut names = std::collections::HashSet::new();
    for (puller, _) in &pullers {
        if !names.insert(puller.cursor_name()) {
            return Err(format!(
                "pull: {} is configured twice",
                puller.cursor_name()
            ));
        }
    }
    Ok(pullers)
}
