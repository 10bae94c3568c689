//! Salesforce as a puller: approved Orders (and, when enabled, closed-won
//! Opportunities) changed since the `SystemModstamp` cursor, one cursor per
//! query kept together in one stored value.
//!
//! Withdrawals: an Order is fetched in its withdrawn statuses too, and the
//! Opportunities changed since their own cursor whose stage is no longer a
//! won one are fetched by a second, lean query (id, name, stage, stamp).
//! Either kind becomes a withdrawal: the runner cancels an order the hub
//! holds through its channel-change job (before Odoo: cancelled; after:
//! the Odoo order is cancelled, or a too-late exception opens, ADR 0008)
//! and skips one it never held.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use o2c_connectors::salesforce::{
    self, AuthConfig, Authenticator, ClientConfig, Grant, ModstampCursor, SalesforceClient, Secret,
    SourceObject,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

use super::config::{SalesforceFlow, SalesforcePull};
use super::{ChannelPuller, Page, PullError, RawOrder, Withdrawal};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Cursors {
    orders: ModstampCursor,
    #[serde(default)]
    opportunities: Option<ModstampCursor>,
    /// Opportunities out of the won stages (`None` in a cursor saved
    /// before they were pulled: they start where `opportunities` is).
    #[serde(default)]
    unwon_opportunities: Option<ModstampCursor>,
}

/// What to pull and how it maps.
#[derive(Debug, Clone)]
pub struct SalesforceQueries {
    pub order_statuses: Vec<String>,
    /// Statuses that withdraw an approved Order (see `SalesforcePull`).
    pub withdrawn_order_statuses: Vec<String>,
    pub extra_order_fields: Vec<String>,
    /// `None`: Opportunities are not pulled.
    pub opportunity_stages: Option<Vec<String>>,
    pub extra_opportunity_fields: Vec<String>,
    /// The org currency, for orgs without multi-currency.
    pub currency: Option<String>,
}

pub struct SalesforcePuller {
    client: SalesforceClient,
    account: String,
    queries: SalesforceQueries,
    start: DateTime<Utc>,
}

impl SalesforcePuller {
    pub fn new(
        client: SalesforceClient,
        account: impl Into<String>,
        queries: SalesforceQueries,
        start: DateTime<Utc>,
    ) -> Self {
        Self {
            client,
            account: account.into(),
            queries,
            start,
        }
    }

    /// Builds the client from configuration, reading its secret or key.
    pub fn from_config(config: &SalesforcePull) -> Result<Self, String> {
        let what = |field: &str| format!("pull.salesforce[{}].{field}", config.account);
        if config.account.trim().is_empty() {
            return Err("pull.salesforce: account is required".into());
        }
        let login_url =
            Url::parse(&config.login_url).map_err(|e| format!("{}: {e}", what("login_url")))?;
        let grant = match config.flow {
            SalesforceFlow::ClientCredentials => Grant::ClientCredentials {
                client_id: config.client_id.clone(),
                client_secret: Secret::new(config.client_secret.resolve(&what("client_secret"))?),
            },
            SalesforceFlow::JwtBearer => Grant::JwtBearer {
                client_id: config.client_id.clone(),
                username: config
                    .username
                    .clone()
                    .filter(|u| !u.trim().is_empty())
                    .ok_or_else(|| {
                        format!("{}: required by the jwt_bearer flow", what("username"))
                    })?,
                private_key_pem: Secret::new(config.private_key.resolve(&what("private_key"))?),
                audience: config
                    .audience
                    .clone()
                    .unwrap_or_else(|| config.login_url.trim_end_matches('/').to_owned()),
            },
        };
        for field in config
            .extra_order_fields
            .iter()
            .chain(&config.extra_opportunity_fields)
        {
            if !salesforce::is_field_path(field) {
                return Err(format!(
                    "{}: {field:?} is not a field name",
                    what("extra_*_fields")
                ));
            }
        }
        let auth = Authenticator::new(AuthConfig {
            login_url,
            grant,
            timeout: Duration::from_secs(30),
        })
        .map_err(|e| format!("{}: {e}", what("private_key")))?;
        let client = SalesforceClient::new(
            ClientConfig {
                api_version: config.api_version.clone(),
                overlap: Duration::from_secs(config.overlap_secs),
                ..ClientConfig::default()
            },
            auth,
        )
        .map_err(|e| format!("{}: {e}", what("api_version")))?;
        let queries = SalesforceQueries {
            order_statuses: config.order_statuses.clone(),
            withdrawn_order_statuses: config.withdrawn_order_statuses.clone(),
            extra_order_fields: config.extra_order_fields.clone(),
            opportunity_stages: config
                .opportunities
                .then(|| config.opportunity_stages.clone()),
            extra_opportunity_fields: config.extra_opportunity_fields.clone(),
            currency: config.currency.clone(),
        };
        let start = config
            .start
            .unwrap_or_else(|| Utc::now() - TimeDelta::days(1));
        Ok(Self::new(client, config.account.clone(), queries, start))
    }

    fn raw(&self, object: SourceObject, record: &Value) -> RawOrder {
        let order_id = record
            .get("Id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let withdrawn = match object {
            SourceObject::Order => record
                .get("Status")
                .and_then(Value::as_str)
                .filter(|status| !self.queries.order_statuses.iter().any(|s| s == status))
                .map(|status| format!("Salesforce Order {order_id} is {status}")),
            SourceObject::Opportunity => record
                .get("StageName")
                .and_then(Value::as_str)
                .filter(|stage| {
                    self.queries
                        .opportunity_stages
                        .as_ref()
                        .is_some_and(|won| !won.iter().any(|s| s == stage))
                })
                .map(|stage| {
                    format!(
                        "Salesforce Opportunity {order_id} moved out of the won stages to {stage}"
                    )
                }),
        }
        .map(|reason| Withdrawal {
            reason,
            capture_unknown: false,
        });
        RawOrder {
            order_id,
            payload: salesforce::mapping_input(object, record, self.queries.currency.as_deref()),
            withdrawn,
        }
    }
}

#[async_trait]
impl ChannelPuller for SalesforcePuller {
    fn channel(&self) -> &str {
        salesforce::CHANNEL
    }

    fn account(&self) -> &str {
        &self.account
    }

    fn initial_cursor(&self) -> Value {
        serde_json::to_value(Cursors {
            orders: ModstampCursor::starting_at(self.start),
            opportunities: self
                .queries
                .opportunity_stages
                .as_ref()
                .map(|_| ModstampCursor::starting_at(self.start)),
            unwon_opportunities: self
                .queries
                .opportunity_stages
                .as_ref()
                .map(|_| ModstampCursor::starting_at(self.start)),
        })
        .unwrap_or(Value::Null)
    }

    async fn fetch(&self, cursor: &Value) -> Result<Page, PullError> {
        let cursors: Cursors = serde_json::from_value(cursor.clone()).map_err(|e| {
            PullError::new(format!("the stored Salesforce cursor is unreadable: {e}"))
        })?;
        let q = &self.queries;
        // Approved Orders, and those taken back, so a withdrawal is seen.
        let order_statuses: Vec<String> = q
            .order_statuses
            .iter()
            .chain(&q.withdrawn_order_statuses)
            .cloned()
            .collect();
        let (orders, next_orders) = self
            .client
            .pull_since(&cursors.orders, |since| {
                salesforce::orders_soql(&order_statuses, &q.extra_order_fields, since)
            })
            .await
            .map_err(|e| PullError::new(e.to_string()))?;
        let mut raw: Vec<RawOrder> = orders
            .iter()
            .map(|r| self.raw(SourceObject::Order, r))
            .collect();
        let (next_opportunities, next_unwon) = match &q.opportunity_stages {
            None => (None, None),
            Some(stages) => {
                // Turned on later: start where the Orders started.
                let from = cursors
                    .opportunities
                    .clone()
                    .unwrap_or_else(|| ModstampCursor::starting_at(self.start));
                let (opportunities, next) = self
                    .client
                    .pull_since(&from, |since| {
                        salesforce::opportunities_soql(stages, &q.extra_opportunity_fields, since)
                    })
                    .await
                    .map_err(|e| PullError::new(e.to_string()))?;
                raw.extend(
                    opportunities
                        .iter()
                        .map(|r| self.raw(SourceObject::Opportunity, r)),
                );
                // Those that left the won stages, after the won ones: an
                // Opportunity won and lost again within one pass is only
                // in this answer (and skipped unless the hub holds it).
                let unwon_from = cursors.unwon_opportunities.clone().unwrap_or(from);
                let (unwon, next_unwon) = self
                    .client
                    .pull_since(&unwon_from, |since| {
                        salesforce::unwon_opportunities_soql(stages, since)
                    })
                    .await
                    .map_err(|e| PullError::new(e.to_string()))?;
                raw.extend(unwon.iter().map(|r| self.raw(SourceObject::Opportunity, r)));
                (Some(next), Some(next_unwon))
            }
        };
        let next_cursor = serde_json::to_value(Cursors {
            orders: next_orders,
            opportunities: next_opportunities,
            unwon_opportunities: next_unwon,
        })
        .map_err(|e| PullError::new(format!("cannot encode the Salesforce cursor: {e}")))?;
        Ok(Page {
            orders: raw,
            next_cursor,
            more: false,
        })
    }
}
