//! Amazon as a puller: the SP-API client's `pull_since` with its
//! `LastUpdatedAfter` cursor (overlapping window + the versions already
//! returned), one pass per interval.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use o2c_connectors::amazon::{
    self, LwaConfig, LwaTokenProvider, OrderStatus, PullCursor, Secret, SpApiClient, SpApiConfig,
};
use serde_json::Value;
use url::Url;

use super::config::AmazonPull;
use super::{ChannelPuller, Page, PullError, RawOrder, Withdrawal};

pub struct AmazonPuller {
    client: SpApiClient,
    account: String,
    start: DateTime<Utc>,
}

impl AmazonPuller {
    pub fn new(client: SpApiClient, account: impl Into<String>, start: DateTime<Utc>) -> Self {
        Self {
            client,
            account: account.into(),
            start,
        }
    }

    /// Builds the client from configuration, reading the LWA secrets.
    pub fn from_config(config: &AmazonPull) -> Result<Self, String> {
        let what = |field: &str| format!("pull.amazon[{}].{field}", config.account);
        if config.account.trim().is_empty() {
            return Err("pull.amazon: account is required".into());
        }
        let url =
            |field: &str, text: &str| Url::parse(text).map_err(|e| format!("{}: {e}", what(field)));
        let mut lwa = LwaConfig::new(
            config.client_id.clone(),
            Secret::new(config.client_secret.resolve(&what("client_secret"))?),
            Secret::new(config.refresh_token.resolve(&what("refresh_token"))?),
        )
        .map_err(|e| format!("{}: {e}", what("token_url")))?;
        lwa.token_url = url("token_url", &config.token_url)?;
        let tokens =
            LwaTokenProvider::new(lwa).map_err(|e| format!("{}: {e}", what("token_url")))?;
        let mut sp = SpApiConfig::new(
            url("base_url", &config.base_url)?,
            config.marketplace_ids.clone(),
        );
        sp.overlap = Duration::from_secs(config.overlap_secs);
        let client = SpApiClient::new(sp, Arc::new(tokens))
            .map_err(|e| format!("{}: {e}", what("base_url")))?;
        // Without a start, the first pull looks back one day.
        let start = config
            .start
            .unwrap_or_else(|| Utc::now() - TimeDelta::days(1));
        Ok(Self::new(client, config.account.clone(), start))
    }
}

#[async_trait]
impl ChannelPuller for AmazonPuller {
    fn channel(&self) -> &str {
        amazon::CHANNEL
    }

    fn account(&self) -> &str {
        &self.account
    }

    fn initial_cursor(&self) -> Value {
        serde_json::to_value(PullCursor::starting_at(self.start)).unwrap_or(Value::Null)
    }

    async fn fetch(&self, cursor: &Value) -> Result<Page, PullError> {
        let cursor: PullCursor = serde_json::from_value(cursor.clone())
            .map_err(|e| PullError::new(format!("the stored Amazon cursor is unreadable: {e}")))?;
        let (bundles, next) = self
            .client
            .pull_since(&cursor)
            .await
            .map_err(|e| PullError::new(e.to_string()))?;
        let orders = bundles
            .iter()
            .map(|bundle| RawOrder {
                order_id: bundle.order_id().to_owned(),
                payload: bundle.mapping_input(),
                withdrawn: (bundle.status() == OrderStatus::Canceled).then(|| Withdrawal {
                    reason: format!("amazon order {} is Canceled", bundle.order_id()),
                    capture_unknown: false,
                }),
            })
            .collect();
        let next_cursor = serde_json::to_value(&next)
            .map_err(|e| PullError::new(format!("cannot encode the Amazon cursor: {e}")))?;
        Ok(Page {
            orders,
            next_cursor,
            more: false,
        })
    }
}
