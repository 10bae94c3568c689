//! The Odoo company a piece of work is done for.
//!
//! Multi-company databases restrict records (products, partners, sale
//! orders) per company, and Odoo picks defaults such as a new sale order's
//! `company_id` from the *first* of the context's `allowed_company_ids`
//! (odoo/models.py `_default_company_id` → `self.env.company`). Every call
//! made inside [`scope`] carries `allowed_company_ids: [id]` in its context,
//! so all the operations of an order (lookups, upserts, `load`, confirm,
//! reads, cancel) run as that company without each one taking a parameter.
//! Outside a scope, or with `None`, nothing is added: Odoo uses the user's
//! current company, as a single-company setup expects.
//!
//! The scope is a tokio task-local: it follows the future (and what it
//! joins), not work spawned onto other tasks.

use std::future::Future;

use serde_json::{Map, Value, json};

/// An Odoo `res.company` id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CompanyId(pub i64);

tokio::task_local! {
    static COMPANY: Option<CompanyId>;
}

/// Runs `work` with every Odoo call in it made for `company` (`None`: the
/// user's default company).
pub async fn scope<F: Future>(company: Option<CompanyId>, work: F) -> F::Output {
    COMPANY.scope(company, work).await
}

/// The company of the current [`scope`], if any.
pub fn current() -> Option<CompanyId> {
    COMPANY.try_with(|c| *c).ok().flatten()
}

/// `kwargs` with the company put in its `context` (keys the caller set
/// win). Odoo 13+ reads `allowed_company_ids` (the old `force_company` key
/// is ignored since 13, so it is not sent).
pub(crate) fn with_company(kwargs: Value, company: Option<CompanyId>) -> Value {
    let Some(CompanyId(id)) = company else {
        return kwargs;
    };
    let mut kwargs = match kwargs {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    let context = kwargs
        .entry("context")
        .or_insert_with(|| Value::Object(Map::new()));
    if !context.is_object() {
        *context = Value::Object(Map::new());
    }
    if let Some(context) = context.as_object_mut() {
        context
            .entry("allowed_company_ids")
            .or_insert_with(|| json!([id]));
    }
    Value::Object(kwargs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_company_leaves_the_call_alone() {
        assert_eq!(with_company(json!({"a": 1}), None), json!({"a": 1}));
    }

    #[test]
    fn company_joins_an_existing_context() {
        let kwargs = json!({"fields": ["name"], "context": {"lang": "en_US"}});
        assert_eq!(
            with_company(kwargs, Some(CompanyId(2))),
            json!({"fields": ["name"], "context": {"lang": "en_US", "allowed_company_ids": [2]}})
        );
    }

    #[test]
    fn explicit_allowed_companies_win() {
        let kwargs = json!({"context": {"allowed_company_ids": [3, 2]}});
        assert_eq!(with_company(kwargs.clone(), Some(CompanyId(2))), kwargs);
    }

    #[tokio::test]
    async fn scope_sets_and_clears_the_company() {
        assert_eq!(current(), None);
        let inside = scope(Some(CompanyId(4)), async { current() }).await;
        assert_eq!(inside, Some(CompanyId(4)));
        assert_eq!(current(), None);
    }
}
