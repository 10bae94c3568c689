//! Salesforce: approved Orders (and, when enabled, closed-won
//! Opportunities, plus the Opportunities that left the won stages)
//! pulled through the REST query API with a `SystemModstamp` cursor,
//! logged in by OAuth 2.0 client credentials or JWT bearer.
//!
//! Each record comes with its lines as a nested subquery (`OrderItems`,
//! `OpportunityLineItems`). The mapping `mappings/salesforce/v<N>.jq` takes
//! [`mapping_input`]: `{"object": "Order"|"Opportunity", "record": …,
//! "currency": …}` (the org's currency, for orgs without multi-currency
//! where records carry no `CurrencyIsoCode`).

mod auth;
mod client;
mod cursor;
mod error;

pub use auth::{AuthConfig, Authenticator, Grant, Secret, Session};
pub use client::{ClientConfig, SalesforceClient, soql_datetime, soql_string};
pub use cursor::{ModstampCursor, parse_modstamp};
pub use error::SalesforceError;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

/// The mapping channel name (`mappings/salesforce/`).
pub const CHANNEL: &str = "salesforce";

/// The sObjects the hub turns into sale orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceObject {
    Order,
    Opportunity,
}

impl SourceObject {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceObject::Order => "Order",
            SourceObject::Opportunity => "Opportunity",
        }
    }
}

/// Fields every org has (no multi-currency, no state/country picklists);
/// `extra` adds org-specific ones such as `CurrencyIsoCode` or
/// `ShippingCountryCode`, which the mapping uses when present.
const ORDER_FIELDS: &str = "Id, OrderNumber, Status, EffectiveDate, PoNumber, Description, \
     TotalAmount, SystemModstamp, Account.Id, Account.Name, Account.AccountNumber, \
     BillingStreet, BillingCity, BillingState, BillingPostalCode, BillingCountry, \
     ShippingStreet, ShippingCity, ShippingState, ShippingPostalCode, ShippingCountry";
const ORDER_ITEM_FIELDS: &str = "Id, OrderItemNumber, Product2.ProductCode, Product2.Name, \
     Quantity, UnitPrice, TotalPrice, Description";
const OPPORTUNITY_FIELDS: &str = "Id, Name, StageName, CloseDate, Amount, Description, \
     SystemModstamp, Account.Id, Account.Name, Account.AccountNumber";
const OPPORTUNITY_LINE_FIELDS: &str = "Id, ProductCode, Product2.Name, Quantity, UnitPrice, \
     TotalPrice, Discount, Description";

/// The SOQL of Orders in one of `statuses` changed at or after `since`,
/// with their OrderItems, oldest change first.
pub fn orders_soql(statuses: &[String], extra_fields: &[String], since: DateTime<Utc>) -> String {
    let mut fields = ORDER_FIELDS.to_owned();
    for field in extra_fields {
        fields.push_str(", ");
        fields.push_str(field);
    }
    format!(
        "SELECT {fields}, (SELECT {ORDER_ITEM_FIELDS} FROM OrderItems ORDER BY OrderItemNumber) \
         FROM Order WHERE Status IN ({}) AND SystemModstamp >= {} \
         ORDER BY SystemModstamp ASC, Id ASC",
        in_list(statuses),
        soql_datetime(since)
    )
}

/// The SOQL of Opportunities in one of `stages` (e.g. `Closed Won`) changed
/// at or after `since`, with their OpportunityLineItems.
pub fn opportunities_soql(
    stages: &[String],
    extra_fields: &[String],
    since: DateTime<Utc>,
) -> String {
    let mut fields = OPPORTUNITY_FIELDS.to_owned();
    for field in extra_fields {
        fields.push_str(", ");
        fields.push_str(field);
    }
    format!(
        "SELECT {fields}, (SELECT {OPPORTUNITY_LINE_FIELDS} FROM OpportunityLineItems) \
         FROM Opportunity WHERE StageName IN ({}) AND SystemModstamp >= {} \
         ORDER BY SystemModstamp ASC, Id ASC",
        in_list(stages),
        soql_datetime(since)
    )
}

/// The SOQL of Opportunities NOT in one of `stages` changed at or after
/// `since`: the ones that may have left Closed Won (to Closed Lost, or
/// back to an open stage). Lean on purpose — no line items, no account —
/// since most are open Opportunities the hub never held and only their
/// `Id`, stage and stamp are needed to withdraw the ones it does hold.
pub fn unwon_opportunities_soql(stages: &[String], since: DateTime<Utc>) -> String {
    format!(
        "SELECT Id, Name, StageName, SystemModstamp FROM Opportunity \
         WHERE StageName NOT IN ({}) AND SystemModstamp >= {} \
         ORDER BY SystemModstamp ASC, Id ASC",
        in_list(stages),
        soql_datetime(since)
    )
}

fn in_list(values: &[String]) -> String {
    values
        .iter()
        .map(|v| soql_string(v))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether an extra field name is a plain SOQL field path (letters, digits,
/// `_` and `.`): config must not smuggle SOQL in.
pub fn is_field_path(name: &str) -> bool {
    !name.is_empty()
        && name.split('.').all(|part| {
            part.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

/// What the mapping takes for one record.
pub fn mapping_input(object: SourceObject, record: &Value, currency: Option<&str>) -> Value {
    let mut input = json!({ "object": object.as_str(), "record": record });
    if let Some(currency) = currency {
        input["currency"] = json!(currency);
    }
    input
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_query_filters_on_status_and_modstamp() {
        let since = parse_modstamp("2024-05-01T10:00:00.000+0000").expect("date");
        let soql = orders_soql(&["Activated".into()], &["CurrencyIsoCode".into()], since);
        assert!(soql.starts_with("SELECT Id, OrderNumber"), "{soql}");
        assert!(
            soql.contains(", CurrencyIsoCode, (SELECT Id, OrderItemNumber"),
            "{soql}"
        );
        assert!(
            soql.ends_with(
                "FROM Order WHERE Status IN ('Activated') AND SystemModstamp >= 2024-05-01T10:00:00Z ORDER BY SystemModstamp ASC, Id ASC"
            ),
            "{soql}"
        );
        let opp = opportunities_soql(&["Closed Won".into()], &[], since);
        assert!(
            opp.contains(
                "FROM OpportunityLineItems) FROM Opportunity WHERE StageName IN ('Closed Won')"
            ),
            "{opp}"
        );
        let unwon = unwon_opportunities_soql(&["Closed Won".into()], since);
        assert_eq!(
            unwon,
            "SELECT Id, Name, StageName, SystemModstamp FROM Opportunity WHERE StageName NOT IN ('Closed Won') AND SystemModstamp >= 2024-05-01T10:00:00Z ORDER BY SystemModstamp ASC, Id ASC"
        );
    }

    #[test]
    fn extra_fields_are_field_paths_only() {
        assert!(is_field_path("CurrencyIsoCode"));
        assert!(is_field_path("Account.Owner.Email"));
        assert!(!is_field_path("Id FROM User --"));
        assert!(!is_field_path("Account..Name"));
        assert!(!is_field_path(""));
    }
}
