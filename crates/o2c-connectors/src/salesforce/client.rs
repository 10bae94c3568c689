//! The Salesforce REST query client: `GET /services/data/vXX.X/query?q=SOQL`,
//! following `nextRecordsUrl` (of the query and of nested subquery results
//! such as `OrderItems`) until `done`. A 401 (`INVALID_SESSION_ID`: the
//! session expired or was revoked) logs in again and retries once; 5xx
//! answers and transport failures are retried with a doubling backoff.

use std::collections::HashSet;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use reqwest::StatusCode;
use serde_json::Value;
use url::Url;

use super::auth::Authenticator;
use super::cursor::{ModstampCursor, parse_modstamp};
use super::error::SalesforceError;

#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// e.g. `v62.0`.
    pub api_version: String,
    pub timeout: Duration,
    /// Attempts per request after 5xx or transport failures, the first included.
    pub max_attempts: u32,
    pub initial_backoff: Duration,
    /// How far below the cursor each pull starts again.
    pub overlap: Duration,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            api_version: "v62.0".into(),
            timeout: Duration::from_secs(60),
            max_attempts: 4,
            initial_backoff: Duration::from_millis(500),
            overlap: Duration::from_secs(300),
        }
    }
}

pub struct SalesforceClient {
    http: reqwest::Client,
    auth: Authenticator,
    config: ClientConfig,
}

impl std::fmt::Debug for SalesforceClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SalesforceClient")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl SalesforceClient {
    pub fn new(config: ClientConfig, auth: Authenticator) -> Result<Self, SalesforceError> {
        let valid_version = config.api_version.strip_prefix('v').is_some_and(|n| {
            n.split('.')
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        });
        if !valid_version {
            return Err(SalesforceError::Config(format!(
                "API version must look like v62.0, not {:?}",
                config.api_version
            )));
        }
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .build()
            .map_err(|e| SalesforceError::Config(e.to_string()))?;
        Ok(Self { http, auth, config })
    }

    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Every record a SOQL query returns, all pages, nested subquery
    /// results completed.
    pub async fn query_all(&self, soql: &str) -> Result<Vec<Value>, SalesforceError> {
        let path = format!("/services/data/{}/query", self.config.api_version);
        let mut page = self.get(&path, Some(soql)).await?;
        let mut records = Vec::new();
        let mut followed = HashSet::new();
        loop {
            let done = page.get("done").and_then(Value::as_bool).unwrap_or(true);
            let next = page
                .get("nextRecordsUrl")
                .and_then(Value::as_str)
                .map(str::to_owned);
            let batch = match page.get_mut("records").map(Value::take) {
                Some(Value::Array(batch)) => batch,
                _ => {
                    return Err(SalesforceError::Decode(
                        "a query page without records".into(),
                    ));
                }
            };
            for mut record in batch {
                self.complete_subqueries(&mut record).await?;
                records.push(record);
            }
            if done {
                return Ok(records);
            }
            let Some(next) = next else {
                return Err(SalesforceError::Decode(
                    "done is false but there is no nextRecordsUrl".into(),
                ));
            };
            if !followed.insert(next.clone()) {
                return Err(SalesforceError::Decode(format!(
                    "nextRecordsUrl {next} repeats itself"
                )));
            }
            page = self.get(&next, None).await?;
        }
    }

    /// Nested results (`"OrderItems": {done: false, nextRecordsUrl, records}`)
    /// hold only their first batch; fetches the rest into `records`.
    async fn complete_subqueries(&self, record: &mut Value) -> Result<(), SalesforceError> {
        let Some(fields) = record.as_object_mut() else {
            return Ok(());
        };
        for value in fields.values_mut() {
            let Some(nested) = value.as_object_mut() else {
                continue;
            };
            if !nested.contains_key("records") || !nested.contains_key("done") {
                continue;
            }
            let mut seen = HashSet::new();
            while nested.get("done").and_then(Value::as_bool) == Some(false) {
                let Some(next) = nested
                    .get("nextRecordsUrl")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                else {
                    return Err(SalesforceError::Decode(
                        "a subquery result is not done but has no nextRecordsUrl".into(),
                    ));
                };
                if !seen.insert(next.clone()) {
                    return Err(SalesforceError::Decode(format!(
                        "nextRecordsUrl {next} repeats itself"
                    )));
                }
                let mut more = self.get(&next, None).await?;
                let extra = match more.get_mut("records").map(Value::take) {
                    Some(Value::Array(extra)) => extra,
                    _ => {
                        return Err(SalesforceError::Decode(
                            "a query page without records".into(),
                        ));
                    }
                };
                if let Some(Value::Array(all)) = nested.get_mut("records") {
                    all.extend(extra);
                }
                nested.insert(
                    "done".into(),
                    more.get("done").cloned().unwrap_or(Value::Bool(true)),
                );
                match more.get("nextRecordsUrl") {
                    Some(url) => nested.insert("nextRecordsUrl".into(), url.clone()),
                    None => nested.remove("nextRecordsUrl"),
                };
            }
        }
        Ok(())
    }

    /// Every record changed since the cursor (minus the overlap) that the
    /// cursor has not returned yet, oldest first, and the next cursor.
    /// `soql_since` builds the query for a `SystemModstamp >=` bound; its
    /// records must select `Id` and `SystemModstamp`.
    pub async fn pull_since(
        &self,
        cursor: &ModstampCursor,
        soql_since: impl Fn(DateTime<Utc>) -> String,
    ) -> Result<(Vec<Value>, ModstampCursor), SalesforceError> {
        let soql = soql_since(cursor.query_start(self.config.overlap));
        let records = self.query_all(&soql).await?;
        let mut versions = Vec::with_capacity(records.len());
        let mut fresh = Vec::new();
        for record in records {
            let text = |name: &str| {
                record
                    .get(name)
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .ok_or_else(|| SalesforceError::Decode(format!("a record without {name}")))
            };
            let id = text("Id")?;
            let stamp = text("SystemModstamp")?;
            let at = parse_modstamp(&stamp).ok_or_else(|| {
                SalesforceError::Decode(format!("record {id} has SystemModstamp {stamp:?}"))
            })?;
            if !cursor.has_seen(&id, &stamp) {
                fresh.push(record);
            }
            versions.push((id, stamp, at));
        }
        let next = cursor.advance(
            versions
                .iter()
                .map(|(id, s, at)| (id.as_str(), s.as_str(), *at)),
            self.config.overlap,
        );
        Ok((fresh, next))
    }

    /// GET a path of the instance (with `q` when given), JSON back.
    async fn get(&self, path: &str, soql: Option<&str>) -> Result<Value, SalesforceError> {
        let max_attempts = self.config.max_attempts.max(1);
        let mut attempt = 0u32;
        let mut renewed = false;
        loop {
            attempt += 1;
            let session = self.auth.session().await?;
            let mut url = instance_path(&session.instance_url, path)?;
            if let Some(soql) = soql {
                url.query_pairs_mut().append_pair("q", soql);
            }
            let sent = self
                .http
                .get(url)
                .bearer_auth(session.access_token.expose())
                .header(reqwest::header::ACCEPT, "application/json")
                .send()
                .await;
            let response = match sent {
                Ok(response) => response,
                Err(e) => {
                    if attempt < max_attempts {
                        tokio::time::sleep(self.backoff(attempt)).await;
                        continue;
                    }
                    return Err(SalesforceError::Transport(e.without_url().to_string()));
                }
            };
            let status = response.status();
            let body = match response.bytes().await {
                Ok(body) => body,
                Err(e) => {
                    if attempt < max_attempts {
                        tokio::time::sleep(self.backoff(attempt)).await;
                        continue;
                    }
                    return Err(SalesforceError::Transport(e.without_url().to_string()));
                }
            };
            if status.is_success() {
                return serde_json::from_slice(&body)
                    .map_err(|e| SalesforceError::Decode(format!("body is not JSON: {e}")));
            }
            if status == StatusCode::UNAUTHORIZED && !renewed {
                renewed = true;
                self.auth.invalidate().await;
                continue;
            }
            if status.is_server_error() && attempt < max_attempts {
                tokio::time::sleep(self.backoff(attempt)).await;
                continue;
            }
            let (code, message) = api_error(&body);
            return Err(SalesforceError::Api {
                status: status.as_u16(),
                code,
                message,
            });
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        self.config
            .initial_backoff
            .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1).min(16)))
            .min(Duration::from_secs(60))
    }
}

/// `path` (absolute, e.g. a `nextRecordsUrl`) on the instance; a full URL
/// pointing elsewhere is refused so the token never leaves the instance.
fn instance_path(instance: &Url, path: &str) -> Result<Url, SalesforceError> {
    let url = instance
        .join(path)
        .map_err(|e| SalesforceError::Decode(format!("bad path {path:?}: {e}")))?;
    if url.origin() != instance.origin() {
        return Err(SalesforceError::Decode(format!(
            "{path} is not on the instance {instance}"
        )));
    }
    Ok(url)
}

/// Salesforce's error body: `[{"message": ..., "errorCode": ...}]`.
fn api_error(body: &[u8]) -> (String, String) {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let first = parsed.as_ref().and_then(|v| match v {
        Value::Array(items) => items.first(),
        other => Some(other),
    });
    match first {
        Some(e) => (
            e.get("errorCode")
                .and_then(Value::as_str)
                .unwrap_or("UNKNOWN")
                .to_owned(),
            e.get("message")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
        ),
        None => (
            "UNKNOWN".into(),
            String::from_utf8_lossy(body).chars().take(300).collect(),
        ),
    }
}

/// A SOQL datetime literal (`2024-05-01T10:00:00Z`, unquoted).
pub fn soql_datetime(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A SOQL string literal: quoted, with `\` and `'` escaped.
pub fn soql_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soql_literals() {
        assert_eq!(soql_string("Activated"), "'Activated'");
        assert_eq!(soql_string("O'Brien\\x"), "'O\\'Brien\\\\x'");
        let at = DateTime::parse_from_rfc3339("2024-05-01T10:00:00.123Z")
            .expect("date")
            .with_timezone(&Utc);
        assert_eq!(soql_datetime(at), "2024-05-01T10:00:00Z");
    }

    #[test]
    fn next_records_urls_stay_on_the_instance() {
        let instance = Url::parse("https://acme.my.salesforce.com").expect("url");
        let next = instance_path(
            &instance,
            "/services/data/v62.0/query/01gD0000002HU6KIAW-2000",
        )
        .expect("same instance");
        assert_eq!(
            next.as_str(),
            "https://acme.my.salesforce.com/services/data/v62.0/query/01gD0000002HU6KIAW-2000"
        );
        assert!(instance_path(&instance, "https://evil.example/steal").is_err());
    }

    #[test]
    fn error_bodies() {
        let body =
            br#"[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]"#;
        assert_eq!(
            api_error(body),
            (
                "INVALID_SESSION_ID".into(),
                "Session expired or invalid".into()
            )
        );
    }
}
