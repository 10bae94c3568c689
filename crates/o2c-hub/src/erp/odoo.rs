//! The Odoo adapter of the ERP port.
//!
//! Idempotency: the sale order and its lines are written with
//! `sale.order.load` under external ids derived from the hub's order id, so a
//! retry after a crash updates the same record instead of creating a second
//! one (`client_order_ref` is not unique in Odoo; external ids are — see
//! shared/odoo16/README.md, "Idempotent create with `load`"). Customers are
//! upserted the same way; products are resolved by SKU and cached.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use o2c_flow::HoldReason;
use o2c_model::Order;
use o2c_odoo::{
    OdooClient, OdooError, PartnerValues, ProductInfo, SaleLineValues, SaleOrderValues,
};
use sha2::{Digest, Sha256};
use tokio::sync::Mutex;

use super::{Erp, ErpCall, ErpError, ErpSubmission};

/// How long a resolved product or customer id is trusted.
const CACHE_TTL: Duration = Duration::from_secs(300);

/// `ExternalRef::system` of a reference that is an Odoo record id.
pub const ODOO_SYSTEM: &str = "odoo";

/// The external-id module of every record o2c writes.
pub const XMLID_MODULE: &str = "__o2c__";

pub struct OdooErp {
    client: OdooClient,
    products: Mutex<HashMap<String, (ProductInfo, Instant)>>,
    partners: Mutex<HashMap<String, (i64, Instant)>>,
}

impl OdooErp {
    pub fn new(client: OdooClient) -> Self {
        Self {
            client,
            products: Mutex::new(HashMap::new()),
            partners: Mutex::new(HashMap::new()),
        }
    }

    async fn resolve_products(
        &self,
        call: ErpCall<'_>,
        skus: &[String],
    ) -> Result<HashMap<String, ProductInfo>, ErpError> {
        let mut found = HashMap::new();
        let mut missing = Vec::new();
        {
            let cache = self.products.lock().await;
            for sku in skus {
                match cache.get(sku) {
                    Some((info, at)) if at.elapsed() < CACHE_TTL => {
                        found.insert(sku.clone(), info.clone());
                    }
                    _ => missing.push(sku.clone()),
                }
            }
        }
        if !missing.is_empty() {
            let fetched = self
                .client
                .products_by_sku(&missing, Some(call.correlation_id))
                .await
                .map_err(map_error)?;
            let mut cache = self.products.lock().await;
            for (sku, info) in fetched {
                cache.insert(sku.clone(), (info.clone(), Instant::now()));
                found.insert(sku, info);
            }
        }
        Ok(found)
    }

    async fn resolve_partner(&self, call: ErpCall<'_>, order: &Order) -> Result<i64, ErpError> {
        // A channel that already knows the Odoo partner (the CRM, the portal,
        // the demo) names it directly: no lookup needed.
        if let Some(id) = order
            .customer
            .external_refs
            .iter()
            .find(|r| r.system == ODOO_SYSTEM)
            .and_then(|r| r.id.parse::<i64>().ok())
        {
            return Ok(id);
        }
        let xmlid = partner_xmlid(order);
        if let Some((id, at)) = self.partners.lock().await.get(&xmlid)
            && at.elapsed() < CACHE_TTL
        {
            return Ok(*id);
        }
        let customer = &order.customer;
        let address = order
            .ship_to
            .as_ref()
            .or(customer.billing_address.as_ref())
            .or(order.bill_to.as_ref());
        let values = PartnerValues {
            name: customer.name.clone(),
            email: customer.email.clone(),
            phone: customer.phone.clone(),
            street: address.and_then(|a| a.street_lines.first().cloned()),
            city: address.and_then(|a| a.city.clone()),
            zip: address.and_then(|a| a.postal_code.clone()),
            country_code: address.map(|a| a.country.clone()),
            reference: customer.external_refs.first().map(|r| r.id.clone()),
        };
        let id = self
            .client
            .upsert_partner_by_xmlid(&xmlid, &values, Some(call.correlation_id))
            .await
            .map_err(map_error)?;
        self.partners
            .lock()
            .await
            .insert(xmlid, (id, Instant::now()));
        Ok(id)
    }
}

#[async_trait]
impl Erp for OdooErp {
    async fn submit_order(
        &self,
        call: ErpCall<'_>,
        order: &Order,
    ) -> Result<ErpSubmission, ErpError> {
        let skus: Vec<String> = order.lines.iter().map(|l| l.sku.clone()).collect();
        let products = self.resolve_products(call, &skus).await?;
        let mut unknown: Vec<&str> = skus
            .iter()
            .filter(|sku| !products.contains_key(*sku))
            .map(String::as_str)
            .collect();
        if !unknown.is_empty() {
            unknown.dedup();
            return Ok(ErpSubmission::Rejected {
                reasons: vec![HoldReason::UnknownProduct],
                detail: format!("no Odoo product has the SKU(s): {}", unknown.join(", ")),
            });
        }
        let partner_id = self.resolve_partner(call, order).await?;
        let order_xmlid = order_xmlid(call.order_id);
        let lines = order
            .lines
            .iter()
            .enumerate()
            .filter_map(|(index, line)| {
                products.get(&line.sku).map(|product| SaleLineValues {
                    xmlid: format!("{order_xmlid}_l{index}"),
                    product_id: product.id,
                    quantity: line.quantity.value,
                    price_unit: line.unit_price,
                    // Odoo has one percent field; amount discounts become their equivalent.
                    discount: line.effective_discount_percent().round_dp(6),
                })
            })
            .collect();
        let values = SaleOrderValues {
            xmlid: order_xmlid.clone(),
            partner_id,
            client_order_ref: order
                .customer_po
                .clone()
                .unwrap_or_else(|| order.channel_order_id.clone()),
            lines,
            note: order.notes.clone(),
        };
        let erp_order_id = self
            .client
            .upsert_sale_order(&values, Some(call.correlation_id))
            .await
            .map_err(map_error)?;
        Ok(ErpSubmission::Created {
            erp_order_id,
            erp_order_ref: order_xmlid,
        })
    }

    async fn confirm_order(
        &self,
        call: ErpCall<'_>,
        erp_order_id: i64,
    ) -> Result<String, ErpError> {
        self.client
            .confirm_sale_order(erp_order_id, Some(call.correlation_id))
            .await
            .map_err(map_error)
    }

    fn calls(&self) -> u64 {
        self.client.calls()
    }
}

/// `__o2c__.so_<uuid>`: the order's external id in Odoo.
pub fn order_xmlid(order_id: uuid::Uuid) -> String {
    format!("{XMLID_MODULE}.so_{}", order_id.simple())
}

/// The customer's external id: from the channel's customer reference when
/// there is one, else from the email, else from channel + name. Hashed so
/// any characters a channel uses give a valid xmlid.
pub fn partner_xmlid(order: &Order) -> String {
    let customer = &order.customer;
    let basis = if let Some(r) = customer.external_refs.first() {
        format!("ref:{}:{}", r.system, r.id)
    } else if let Some(email) = customer.email.as_deref().filter(|e| !e.is_empty()) {
        format!("email:{}", email.trim().to_lowercase())
    } else {
        format!(
            "name:{:?}:{}:{}",
            order.channel.kind, order.channel.account, customer.name
        )
    };
    let digest = Sha256::digest(basis.as_bytes());
    format!("{XMLID_MODULE}.partner_{}", hex::encode(&digest[..12]))
}

fn map_error(error: OdooError) -> ErpError {
    if error.is_transient() {
        let retry_after = match &error {
            OdooError::RateLimited { retry_after } => *retry_after,
            _ => None,
        };
        ErpError::Transient {
            message: error.to_string(),
            retry_after,
        }
    } else {
        ErpError::Permanent(error.to_string())
    }
}
