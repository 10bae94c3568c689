//! Shopify's pull mode, for catch-up after downtime: orders updated since
//! the cursor, oldest first, page by page through the Admin REST API. The
//! orders go through the same mapping as webhooks and land on the same
//! channel + order id key, so an order that came by webhook too is stored
//! once.
//!
//! The cursor is `{since, page_info, high_water}`: a sweep starts at
//! `updated_at_min = since`, follows `page_info` page by page (each page a
//! pass, so a crash resumes mid-sweep), and when the last page is stored the
//! next sweep starts at `high_water - overlap`, because Shopify stamps
//! `updated_at` to the second. A `page_info` Shopify no longer accepts
//! (expired after a long outage) restarts the sweep from `since`.

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use o2c_connectors::shopify::admin::{
    AccessToken, AdminClient, AdminConfig, AdminError, PageRequest,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

use super::config::ShopifyPull;
use super::{ChannelPuller, Page, PullError, RawOrder, Withdrawal};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct SweepCursor {
    since: DateTime<Utc>,
    #[serde(default)]
    page_info: Option<String>,
    high_water: DateTime<Utc>,
}

pub struct ShopifyPuller {
    client: AdminClient,
    domain: String,
    start: DateTime<Utc>,
    overlap: TimeDelta,
}

impl ShopifyPuller {
    pub fn new(
        client: AdminClient,
        domain: impl Into<String>,
        start: DateTime<Utc>,
        overlap: TimeDelta,
    ) -> Self {
        Self {
            client,
            domain: domain.into(),
            start,
            overlap,
        }
    }

    /// Builds the client from configuration, reading the access token.
    pub fn from_config(config: &ShopifyPull) -> Result<Self, String> {
        let what = |field: &str| format!("pull.shopify[{}].{field}", config.domain);
        if config.domain.trim().is_empty() {
            return Err("pull.shopify: domain is required".into());
        }
        let base = config
            .base_url
            .clone()
            .unwrap_or_else(|| format!("https://{}", config.domain));
        let base_url = Url::parse(&base).map_err(|e| format!("{}: {e}", what("base_url")))?;
        let token = config.access_token.resolve(&what("access_token"))?;
        let mut admin = AdminConfig::new(base_url, AccessToken::new(token));
        admin.api_version = config.api_version.clone();
        admin.page_size = config.page_size;
        let client = AdminClient::new(admin).map_err(|e| format!("{}: {e}", what("page_size")))?;
        let overlap = TimeDelta::seconds(i64::try_from(config.overlap_secs).unwrap_or(i64::MAX));
        let start = config
            .start
            .unwrap_or_else(|| Utc::now() - TimeDelta::days(1));
        Ok(Self::new(client, config.domain.clone(), start, overlap))
    }
}

fn order_id(order: &Value) -> String {
    order
        .get("admin_graphql_api_id")
        .and_then(Value::as_str)
        .and_then(|gid| gid.rsplit('/').next())
        .map(str::to_owned)
        .or_else(|| order.get("id").map(|id| id.to_string()))
        .unwrap_or_default()
}

fn updated_at(order: &Value) -> Option<DateTime<Utc>> {
    let text = order.get("updated_at")?.as_str()?;
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

#[async_trait]
impl ChannelPuller for ShopifyPuller {
    fn channel(&self) -> &str {
        "shopify"
    }

    fn account(&self) -> &str {
        &self.domain
    }

    fn initial_cursor(&self) -> Value {
        serde_json::to_value(SweepCursor {
            since: self.start,
            page_info: None,
            high_water: self.start,
        })
        .unwrap_or(Value::Null)
    }

    async fn fetch(&self, cursor: &Value) -> Result<Page, PullError> {
        let cursor: SweepCursor = serde_json::from_value(cursor.clone())
            .map_err(|e| PullError::new(format!("the stored Shopify cursor is unreadable: {e}")))?;
        let first = PageRequest::UpdatedSince(cursor.since);
        let page = match &cursor.page_info {
            None => self.client.orders(&first).await,
            Some(page_info) => {
                match self.client.orders(&PageRequest::Next(page_info.clone())).await {
                    // Shopify refuses a page_info it no longer knows: sweep again.
                    Err(AdminError::Api { status, .. }) if (400..500).contains(&status) => {
                        tracing::warn!(shop = %self.domain, status, "page_info refused; sweeping again from the start of the window");
                        self.client.orders(&first).await
                    }
                    other => other,
                }
            }
        }
        .map_err(|e| PullError::new(e.to_string()))?;
        let mut high_water = cursor.high_water;
        let mut orders = Vec::with_capacity(page.orders.len());
        for order in page.orders {
            if let Some(at) = updated_at(&order) {
                high_water = high_water.max(at);
            }
            let cancelled = order.get("cancelled_at").is_some_and(|c| !c.is_null());
            let withdrawn = cancelled.then(|| Withdrawal {
                reason: order
                    .get("cancel_reason")
                    .and_then(Value::as_str)
                    .unwrap_or("cancelled in Shopify")
                    .to_owned(),
                capture_unknown: true,
            });
            orders.push(RawOrder {
                order_id: order_id(&order),
                payload: order,
                withdrawn,
            });
        }
        let (next, more) = match page.next {
            Some(page_info) => (
                SweepCursor {
                    since: cursor.since,
                    page_info: Some(page_info),
                    high_water,
                },
                true,
            ),
            None => (
                SweepCursor {
                    since: high_water
                        .checked_sub_signed(self.overlap)
                        .unwrap_or(high_water),
                    page_info: None,
                    high_water,
                },
                false,
            ),
        };
        let next_cursor = serde_json::to_value(&next)
            .map_err(|e| PullError::new(format!("cannot encode the Shopify cursor: {e}")))?;
        Ok(Page {
            orders,
            next_cursor,
            more,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_ids_prefer_the_graphql_id() {
        let order = serde_json::json!({"id": 4.5e14, "admin_graphql_api_id": "gid://shopify/Order/450789469123456"});
        assert_eq!(order_id(&order), "450789469123456");
        assert_eq!(order_id(&serde_json::json!({"id": 450789469})), "450789469");
        assert_eq!(
            updated_at(&serde_json::json!({"updated_at": "2008-01-10T11:00:00-05:00"})),
            DateTime::parse_from_rfc3339("2008-01-10T16:00:00Z")
                .ok()
                .map(|d| d.with_timezone(&Utc))
        );
    }
}
