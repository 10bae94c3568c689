//! Which pricelist an order gets in Odoo, as its currency decides.
//!
//! Odoo keeps a sale order in its pricelist's currency (sale/models/
//! sale_order.py: 16 `currency_id` related to `pricelist_id.currency_id`,
//! 17+ `_compute_currency_id` = the pricelist's, else the company's), so
//! an order whose currency is not its customer's pricelist's would become
//! an Odoo order in the wrong currency carrying the channel's figures. For
//! such an order the hub picks a pricelist in the order's currency: the
//! one configured for the channel (`[pricelists]`, `crate::pricelists`),
//! else the active pricelist of that currency the order's company may use
//! (shared or the company's own, lowest `sequence`, then `id`, the domain
//! of the order's `pricelist_id`). Without one the order is held as
//! `currency_unsupported`.
//!
//! Costs, all through the master-data cache: the customer's pricelist and
//! its currency (known from the facts' partner search; at submission ONE
//! read of the partner on a cold cache), the company currency, and for an
//! order in another currency ONE currency and ONE pricelist search.

use o2c_model::Order;
use o2c_odoo::OdooError;
use o2c_odoo::ops::Ops;
use serde_json::{Value, json};

use super::OdooErp;
use crate::erp::facts::PricelistFacts;

/// The pricelist an order is priced and written with.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Pricing {
    /// `None`: Odoo has no pricelist at all (the company's list prices).
    pub pricelist: Option<i64>,
    /// The currency the prices come in: the pricelist's, the company's
    /// without one.
    pub currency: String,
    /// The company's currency (the products' prices are in it).
    pub company_currency: String,
    pub choice: PricelistFacts,
}

impl Pricing {
    /// The pricelist to write on the sale order: only one chosen for the
    /// order's currency (otherwise Odoo's own default from the partner).
    pub fn written(&self) -> Option<i64> {
        match self.choice {
            PricelistFacts::Chosen { pricelist_id, .. } => Some(pricelist_id),
            _ => None,
        }
    }
}

impl OdooErp {
    /// The pricing of `order` for a customer whose Odoo pricelist is
    /// `customer_pricelist` (`None`: a new customer or one without, who
    /// gets the first pricelist as Odoo gives one).
    pub(super) async fn order_pricing(
        &self,
        ops: &Ops<'_>,
        order: &Order,
        customer_pricelist: Option<i64>,
    ) -> Result<Pricing, OdooError> {
        let company = o2c_odoo::company::current().map(|c| c.0);
        let company_currency = ops.company_currency(company).await?;
        let customer = match customer_pricelist {
            Some(id) => Some(id),
            None => self.default_pricelist(ops).await?,
        };
        let customer_currency = match customer {
            Some(id) => self.pricelist_currency(ops, id).await?,
            None => None,
        }
        .unwrap_or_else(|| company_currency.clone());
        let wanted = order.currency.code();
        if customer_currency == wanted {
            return Ok(Pricing {
                pricelist: customer,
                currency: customer_currency,
                company_currency,
                choice: PricelistFacts::Customer,
            });
        }
        let channel = crate::intake::channel_name(order);
        let configured = match self.pricelists.for_channel(&channel, wanted) {
            Some(id) => match self.pricelist_currency(ops, id).await? {
                Some(code) if code == wanted => Some(id),
                other => {
                    tracing::warn!(%channel, currency = wanted, pricelist = id, pricelist_currency = ?other,
                        "the configured pricelist is not in the order's currency; looking for another");
                    None
                }
            },
            None => None,
        };
        let (found, was_configured) = match configured {
            Some(id) => (Some(id), true),
            None => (self.pricelist_in(ops, wanted).await?, false),
        };
        Ok(match found {
            Some(id) => Pricing {
                pricelist: Some(id),
                currency: wanted.to_owned(),
                company_currency,
                choice: PricelistFacts::Chosen {
                    pricelist_id: id,
                    configured: was_configured,
                },
            },
            None => Pricing {
                pricelist: customer,
                currency: customer_currency.clone(),
                company_currency,
                choice: PricelistFacts::Unsupported {
                    currency: wanted.to_owned(),
                    customer_currency,
                    channel,
                },
            },
        })
    }

    /// The customer's pricelist as Odoo has it for the current company
    /// (`property_product_pricelist` is company dependent), cached per
    /// company and partner; the facts' partner search fills the cache.
    pub(super) async fn partner_pricelist(
        &self,
        ops: &Ops<'_>,
        partner_id: i64,
    ) -> Result<Option<i64>, OdooError> {
        let key = partner_pricelist_key(partner_id);
        if let Some(v) = self.master.get_key("res.partner", &key) {
            return Ok(v.as_i64());
        }
        let id = ops.partner_pricelist(partner_id).await?;
        self.remember_partner_pricelist(partner_id, id);
        Ok(id)
    }

    pub(super) fn remember_partner_pricelist(&self, partner_id: i64, pricelist: Option<i64>) {
        self.master.put_key(
            "res.partner",
            &partner_pricelist_key(partner_id),
            partner_id,
            json!(pricelist),
        );
    }

    /// The active pricelist in currency `code` the current company may use
    /// (shared or its own), lowest `sequence` then `id`; cached, absences
    /// too (a new pricelist clears them through the change feed or TTL).
    async fn pricelist_in(&self, ops: &Ops<'_>, code: &str) -> Result<Option<i64>, OdooError> {
        let company = o2c_odoo::company::current().map(|c| c.0);
        let key = format!("for_currency@{}:{code}", company.unwrap_or_default());
        if self.master.is_known_absent("product.pricelist", &key) {
            return Ok(None);
        }
        if let Some(v) = self.master.get_key("product.pricelist", &key)
            && let Some(id) = v.as_i64()
        {
            return Ok(Some(id));
        }
        let currency = ops
            .first_id(
                "res.currency",
                json!([["name", "=", code], ["active", "in", [true, false]]]),
                "id",
            )
            .await?;
        let found = match currency {
            Some(currency) => {
                let mut domain = vec![json!(["currency_id", "=", currency])];
                if let Some(company) = company {
                    domain.extend([
                        json!("|"),
                        json!(["company_id", "=", false]),
                        json!(["company_id", "=", company]),
                    ]);
                }
                ops.first_id("product.pricelist", Value::Array(domain), "sequence, id")
                    .await?
            }
            None => None,
        };
        match found {
            Some(id) => self
                .master
                .put_key("product.pricelist", &key, id, json!(id)),
            None => self.master.put_absent("product.pricelist", &key),
        }
        Ok(found)
    }

    /// The currency code of a pricelist, cached (`None`: it names none).
    pub(super) async fn pricelist_currency(
        &self,
        ops: &Ops<'_>,
        id: i64,
    ) -> Result<Option<String>, OdooError> {
        let key = format!("currency@{id}");
        if let Some(v) = self.master.get_key("product.pricelist", &key) {
            return Ok(v.as_str().map(str::to_owned));
        }
        let code = ops
            .read("product.pricelist", &[id], &["currency_id"])
            .await?
            .first()
            .and_then(|r| r.get("currency_id"))
            .and_then(|c| c.get(1))
            .and_then(Value::as_str)
            .map(str::to_owned);
        self.master
            .put_key("product.pricelist", &key, id, json!(code));
        Ok(code)
    }

    /// The first pricelist (what Odoo gives a partner without one), cached.
    pub(super) async fn default_pricelist(&self, ops: &Ops<'_>) -> Result<Option<i64>, OdooError> {
        // Pricelists can be company-restricted: one answer per company.
        let key = match o2c_odoo::company::current() {
            Some(company) => format!("default_pricelist@{}", company.0),
            None => "default_pricelist".to_owned(),
        };
        if let Some(v) = self.master.get_key("product.pricelist", &key) {
            return Ok(v.as_i64());
        }
        let id = ops
            .first_id("product.pricelist", json!([]), "sequence, id")
            .await?;
        self.master
            .put_key("product.pricelist", &key, id.unwrap_or_default(), json!(id));
        Ok(id)
    }
}

/// Per company: the property is company dependent.
fn partner_pricelist_key(partner_id: i64) -> String {
    let company = o2c_odoo::company::current().map_or(0, |c| c.0);
    format!("pricelist@{company}:{partner_id}")
}
