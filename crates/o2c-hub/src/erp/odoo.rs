//! The Odoo adapter of the ERP port.
//!
//! Idempotency: the sale order and its lines are written with
//! `sale.order.load` under external ids derived from the hub's order id, so a
//! retry after a crash updates the same record instead of creating a second
//! one (`client_order_ref` is not unique in Odoo; external ids are — see
//! shared/odoo16/README.md, "Idempotent create with `load`"). Customers are
//! upserted the same way; products are resolved by SKU (or barcode) and
//! cached. A rounding difference validation accepted is posted as its own
//! line on a tax-free service product (`__o2c__.rounding_adjustment`), so
//! the Odoo total is the channel's.
//!
//! Batches: the adapter takes the work of many orders at once
//! (`submit_orders`, `confirm_orders`): their products in one lookup, their
//! sale orders in ONE `sale.order.load` (each order under its own external
//! ids), their confirmation in ONE `action_confirm` plus ONE `read` of the
//! names, sent concurrently. A batch `load` is one transaction in Odoo, so
//! one bad order fails the batch: the bad ones are isolated (retried alone,
//! or the batch halved) and every order gets its own outcome; re-sending an
//! order is an upsert, never a second order. Calls per order in steady
//! state (warm caches, batches of `n`): `3 / n`; one order alone: 3. The
//! validation facts (`odoo/facts.rs`) add, per batch, one partner and one
//! product search, plus two credit searches when a customer is known (and
//! the tax and price reads only where a channel checks them); the demo
//! measures about 2.2 calls per order in all.
//!
//! Companies: every call made for an order runs in its company's scope
//! (`o2c_odoo::company`: `allowed_company_ids` in the context, and
//! `company_id` written on the sale order). A batch is split by company
//! first, so orders of two companies never share a call, and the product
//! and customer caches are per company (records can be company-restricted).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use o2c_flow::HoldReason;
use o2c_model::Order;
use o2c_odoo::ops::decimal_json;
use o2c_odoo::{
    CompanyId, OdooClient, OdooError, PartnerValues, ProductInfo, SaleLineValues, SaleOrderValues,
};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::sync::Mutex;
use uuid::Uuid;

use super::facts::{LineUom, PricelistFacts};
use super::{
    ConfirmRequest, Erp, ErpCall, ErpCancellation, ErpError, ErpFacts, ErpRevision, ErpSubmission,
    FactsRequest, FactsScope, OrderRevision, SubmitRequest,
};

mod compute_all;
mod facts;
mod pricelists;
mod revise;
mod taxes;
mod units;

/// The ids of a one2many / many2many field as `read` answers it.
fn x2many_ids(record: &Value, field: &str) -> Vec<i64> {
    record
        .get(field)
        .and_then(Value::as_array)
        .map(|ids| ids.iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default()
}

use units::{ProductUnit, UnitFits, fit_of};

/// Runs `$work` (a method taking a slice of requests) once per company of
/// `$batch`, each in that company's scope, and answers in batch order.
macro_rules! per_company {
    ($self:ident, $batch:expr, $work:ident) => {{
        let batch = $batch;
        let mut parts = Vec::new();
        for (company, positions) in company_groups(batch.iter().map(|r| r.company)) {
            let group: Vec<_> = positions.iter().map(|i| batch[*i].clone()).collect();
            let results = o2c_odoo::company::scope(company, $self.$work(&group)).await;
            parts.push((positions, results));
        }
        scatter(batch.len(), parts)
    }};
}

/// How long a resolved product or customer id is trusted.
const CACHE_TTL: Duration = Duration::from_secs(300);

/// `ExternalRef::system` of a reference that is an Odoo record id.
pub const ODOO_SYSTEM: &str = "odoo";

/// The external-id module of every record o2c writes.
pub const XMLID_MODULE: &str = "__o2c__";

/// A cache key scoped to the company it was answered for.
type PerCompany = (Option<CompanyId>, String);

pub struct OdooErp {
    client: OdooClient,
    /// By company and SKU.
    products: Mutex<HashMap<PerCompany, (ProductInfo, Instant)>>,
    /// By company and the customer's external id.
    partners: Mutex<HashMap<PerCompany, (i64, Instant)>>,
    /// The server's dialect, asked once (pricing needs it).
    dialect: tokio::sync::OnceCell<o2c_odoo::version::Dialect>,
    /// Pricelist rules and product facts for the price rule.
    master: o2c_odoo::cache::MasterDataCache,
    /// The service product of rounding lines, found or made once.
    rounding_product: tokio::sync::OnceCell<i64>,
    /// The service product of shipping-charge lines, found or made once.
    shipping_product: tokio::sync::OnceCell<i64>,
    /// The pricelist per channel and currency for orders in another
    /// currency than their customer's pricelist.
    pricelists: crate::pricelists::ChannelPricelists,
}

impl OdooErp {
    pub fn new(client: OdooClient) -> Self {
        Self {
            client,
            products: Mutex::new(HashMap::new()),
            partners: Mutex::new(HashMap::new()),
            dialect: tokio::sync::OnceCell::new(),
            master: o2c_odoo::cache::MasterDataCache::new(10_000, CACHE_TTL),
            rounding_product: tokio::sync::OnceCell::new(),
            shipping_product: tokio::sync::OnceCell::new(),
            pricelists: crate::pricelists::ChannelPricelists::default(),
        }
    }

    /// Uses `pricelists` (the `[pricelists]` setting) for orders in another
    /// currency than their customer's pricelist.
    pub fn with_pricelists(mut self, pricelists: crate::pricelists::ChannelPricelists) -> Self {
        self.pricelists = pricelists;
        self
    }

    async fn resolve_products(
        &self,
        call: ErpCall<'_>,
        skus: &[String],
    ) -> Result<HashMap<String, ProductInfo>, ErpError> {
        let company = o2c_odoo::company::current();
        let mut found = HashMap::new();
        let mut missing = Vec::new();
        {
            let cache = self.products.lock().await;
            for sku in skus {
                match cache.get(&(company, sku.clone())) {
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
            // A channel may send the barcode where the SKU goes (the
            // validation's product rule accepts it, so must the submission).
            let unmatched: Vec<String> = missing
                .iter()
                .filter(|s| !fetched.contains_key(*s))
                .cloned()
                .collect();
            let mut fetched = fetched;
            if !unmatched.is_empty() {
                fetched.extend(
                    self.client
                        .products_by_barcode(&unmatched, Some(call.correlation_id))
                        .await
                        .map_err(map_error)?,
                );
            }
            let mut cache = self.products.lock().await;
            for (sku, info) in fetched {
                cache.insert((company, sku.clone()), (info.clone(), Instant::now()));
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
        let key = (o2c_odoo::company::current(), xmlid.clone());
        if let Some((id, at)) = self.partners.lock().await.get(&key)
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
        self.partners.lock().await.insert(key, (id, Instant::now()));
        Ok(id)
    }
}

impl OdooErp {
    /// The service product that carries rounding adjustments, upserted by
    /// its external id (`load`, so concurrent hubs make one product), with
    /// no taxes (a rounding line must not change the tax). Two calls, once
    /// per process.
    async fn rounding_product(&self, correlation_id: &str) -> Result<i64, ErpError> {
        self.service_product(
            &self.rounding_product,
            ROUNDING_PRODUCT_XMLID,
            "Rounding adjustment",
            correlation_id,
        )
        .await
    }

    /// The service product that carries the channel's shipping charge, so
    /// the Odoo order's total is the one the customer was charged. Tax-free
    /// like the canonical shipping amount, which is before tax.
    async fn shipping_product(&self, correlation_id: &str) -> Result<i64, ErpError> {
        self.service_product(
            &self.shipping_product,
            SHIPPING_PRODUCT_XMLID,
            "Shipping charge",
            correlation_id,
        )
        .await
    }

    /// The shipping product when the order charges shipping.
    async fn shipping_product_for(
        &self,
        order: &Order,
        correlation_id: &str,
    ) -> Result<Option<i64>, ErpError> {
        if !charges_shipping(order) {
            return Ok(None);
        }
        self.shipping_product(correlation_id).await.map(Some)
    }

    /// A tax-free service product o2c owns, upserted by its external id
    /// (`load`, so concurrent hubs make one product). Two calls, once per
    /// process and product.
    async fn service_product(
        &self,
        cell: &tokio::sync::OnceCell<i64>,
        xmlid: &str,
        name: &str,
        correlation_id: &str,
    ) -> Result<i64, ErpError> {
        cell.get_or_try_init(|| async {
            let answer = self
                .client
                .execute_kw(
                    "product.product",
                    "load",
                    json!([
                        [
                            "id",
                            "name",
                            "type",
                            "sale_ok",
                            "purchase_ok",
                            "list_price",
                            "invoice_policy"
                        ],
                        // `load` takes cells as import text
                        [[xmlid, name, "service", "1", "0", "0", "order"]]
                    ]),
                    json!({}),
                    Some(correlation_id),
                )
                .await
                .map_err(map_error)?;
            let id = answer
                .get("ids")
                .and_then(Value::as_array)
                .and_then(|ids| ids.first())
                .and_then(Value::as_i64)
                .ok_or_else(|| {
                    ErpError::Permanent(format!(
                        "Odoo did not create the product {xmlid}: {answer}"
                    ))
                })?;
            self.client
                .execute_kw(
                    "product.product",
                    "write",
                    json!([[id], { "taxes_id": [[6, 0, []]] }]),
                    json!({}),
                    Some(correlation_id),
                )
                .await
                .map_err(map_error)?;
            Ok(id)
        })
        .await
        .copied()
    }

    /// The sale order as `load` will write it; `rounding`: the rounding
    /// product and the amount to post on it.
    fn sale_values(
        order_id: Uuid,
        order: &Order,
        products: &HashMap<String, ProductInfo>,
        fits: &UnitFits,
        partner_id: i64,
        rounding: Option<(i64, Decimal)>,
        shipping_product: Option<i64>,
    ) -> SaleOrderValues {
        let order_xmlid = order_xmlid(order_id);
        let mut lines: Vec<SaleLineValues> = order
            .lines
            .iter()
            .enumerate()
            .filter_map(|(index, line)| {
                products.get(&line.sku).map(|product| SaleLineValues {
                    xmlid: format!("{order_xmlid}_l{index}"),
                    product_id: product.id,
                    // in the ordered unit, at the channel's price per that
                    // unit; Odoo converts for delivery
                    quantity: line.quantity.value,
                    uom_id: match fit_of(fits, &line.sku, &line.quantity.uom) {
                        LineUom::Converted { uom_id, .. } => Some(uom_id),
                        _ => None,
                    },
                    price_unit: line.unit_price,
                    // Odoo has one percent field; amount discounts become their equivalent.
                    discount: line.effective_discount_percent().round_dp(6),
                })
            })
            .collect();
        if let (Some(product_id), Some(shipping)) = (shipping_product, &order.shipping)
            && !shipping.amount.is_zero()
        {
            lines.push(service_line(
                format!("{order_xmlid}_shipping"),
                product_id,
                Decimal::ONE,
                shipping.amount,
            ));
        }
        if let Some((product_id, amount)) = rounding.filter(|(_, a)| !a.is_zero()) {
            lines.push(service_line(
                format!("{order_xmlid}_rounding"),
                product_id,
                Decimal::ONE,
                amount,
            ));
        }
        SaleOrderValues {
            xmlid: order_xmlid,
            partner_id,
            client_order_ref: order
                .customer_po
                .clone()
                .unwrap_or_else(|| order.channel_order_id.clone()),
            lines,
            note: order.notes.clone(),
            pricelist_id: None,
        }
    }

    /// The pricing of an order at submission: the customer's pricelist
    /// (cached by the facts' partner search, else ONE read) and, for an
    /// order in another currency, the one chosen for it. A partner Odoo
    /// does not have (an order naming a wrong Odoo id) is priced as a
    /// customer without a pricelist: the `load` then refuses the order in
    /// Odoo's own words, as before, and the batch isolates it.
    async fn submission_pricing(
        &self,
        cid: &str,
        order: &Order,
        partner_id: i64,
    ) -> Result<pricelists::Pricing, OdooError> {
        let ops = self.cached_ops(cid).await?;
        let customer = match self.partner_pricelist(&ops, partner_id).await {
            Ok(customer) => customer,
            Err(OdooError::MissingRecord { message }) => {
                tracing::debug!(partner_id, %message, "the order's partner is not in Odoo; the load will say so");
                None
            }
            Err(other) => return Err(other),
        };
        self.order_pricing(&ops, order, customer).await
    }

    /// ONE `sale.order.load` of several orders (all with lines; all with or
    /// all without a note, and a pricelist: one column layout).
    async fn load_once(&self, correlation_id: &str, orders: &[&SaleOrderValues]) -> LoadAnswer {
        let with_note = orders.first().is_some_and(|o| o.note.is_some());
        let with_pricelist = orders.first().is_some_and(|o| o.pricelist_id.is_some());
        let company = o2c_odoo::company::current();
        let mut fields = vec!["id", "partner_id/.id", "client_order_ref"];
        if with_note {
            fields.push("note");
        }
        if company.is_some() {
            fields.push("company_id/.id");
        }
        if with_pricelist {
            fields.push("pricelist_id/.id");
        }
        let head_width = fields.len();
        fields.extend([
            "order_line/id",
            "order_line/product_id/.id",
            "order_line/product_uom_qty",
            "order_line/price_unit",
            "order_line/discount",
        ]);
        let units = match self.line_units(correlation_id, orders).await {
            Ok(units) => units,
            Err(error) => return LoadAnswer::Failed(error),
        };
        let uom_column;
        if let Some((field, _)) = &units {
            uom_column = format!("order_line/{field}/.id");
            fields.push(&uom_column);
        }
        let mut rows = Vec::new();
        // the rows of each order: [first, last]
        let mut spans = Vec::with_capacity(orders.len());
        for order in orders {
            let first = rows.len();
            for (i, line) in order.lines.iter().enumerate() {
                let mut row = if i == 0 {
                    let mut head = vec![
                        json!(order.xmlid),
                        json!(order.partner_id),
                        json!(order.client_order_ref),
                    ];
                    if with_note {
                        head.push(json!(order.note.clone().unwrap_or_default()));
                    }
                    if let Some(company) = company {
                        head.push(json!(company.0));
                    }
                    if with_pricelist {
                        head.push(json!(order.pricelist_id));
                    }
                    head
                } else {
                    vec![json!(""); head_width]
                };
                row.extend([
                    json!(line.xmlid),
                    json!(line.product_id),
                    decimal_json(line.quantity),
                    decimal_json(line.price_unit),
                    decimal_json(line.discount),
                ]);
                if let Some((_, product_units)) = &units {
                    let unit = line
                        .uom_id
                        .or_else(|| product_units.get(&line.product_id).copied());
                    row.push(unit.map_or(json!(""), |u| json!(u)));
                }
                rows.push(Value::Array(row));
            }
            spans.push((first, rows.len().saturating_sub(1)));
        }
        let answer = self
            .client
            .execute_kw(
                "sale.order",
                "load",
                json!([fields, rows]),
                json!({}),
                Some(correlation_id),
            )
            .await;
        match answer {
            Ok(result) => LoadAnswer::parse(&result, &spans),
            Err(error) => LoadAnswer::Failed(error),
        }
    }

    /// When a line of `orders` is in another unit than its product's: the
    /// version's line unit field and the unit of every other line's
    /// product (`load` writes an empty cell as False, not as the default),
    /// in ONE read. `None` (no call) when every line is in its product's.
    async fn line_units(
        &self,
        correlation_id: &str,
        orders: &[&SaleOrderValues],
    ) -> Result<Option<(&'static str, HashMap<i64, i64>)>, OdooError> {
        let lines = || orders.iter().flat_map(|o| o.lines.iter());
        if !lines().any(|l| l.uom_id.is_some()) {
            return Ok(None);
        }
        let dialect = self
            .dialect
            .get_or_try_init(|| self.client.dialect())
            .await?;
        let others: Vec<i64> = lines()
            .filter(|l| l.uom_id.is_none())
            .map(|l| l.product_id)
            .collect();
        let units = self
            .client
            .product_units(&others, Some(correlation_id))
            .await?;
        Ok(Some((dialect.sale_line_uom_field, units)))
    }

    /// Writes every order with as few `load` calls as the data allows: ONE
    /// for a clean batch. A refused batch is one rolled-back transaction
    /// in Odoo; the orders Odoo names in its messages are retried alone
    /// (each gets its own verdict) and the rest again together; when Odoo
    /// names none, the batch is halved. `load` upserts by external id, so
    /// sending an order again never makes a second one.
    async fn load_orders(
        &self,
        correlation_id: &str,
        orders: &[SaleOrderValues],
    ) -> Vec<Result<i64, OdooError>> {
        let mut out: Vec<Option<Result<i64, OdooError>>> = vec![None; orders.len()];
        // One column layout per chunk: orders with a note apart, and those
        // with a pricelist of their own (an empty cell would write none).
        let mut layouts: Vec<Vec<usize>> = vec![Vec::new(); 4];
        for (i, order) in orders.iter().enumerate() {
            let layout =
                usize::from(order.note.is_some()) + 2 * usize::from(order.pricelist_id.is_some());
            layouts[layout].push(i);
        }
        let mut stack: Vec<Vec<usize>> = Vec::new();
        for group in layouts {
            let (empty, full): (Vec<usize>, Vec<usize>) =
                group.into_iter().partition(|i| orders[*i].lines.is_empty());
            stack.extend(empty.into_iter().map(|i| vec![i]));
            if !full.is_empty() {
                stack.push(full);
            }
        }
        while let Some(chunk) = stack.pop() {
            if let [only] = chunk[..] {
                out[only] = Some(
                    self.client
                        .upsert_sale_order(&orders[only], Some(correlation_id))
                        .await,
                );
                continue;
            }
            let values: Vec<&SaleOrderValues> = chunk.iter().map(|i| &orders[*i]).collect();
            match self.load_once(correlation_id, &values).await {
                LoadAnswer::Ids(ids) if ids.len() == chunk.len() => {
                    for (i, id) in chunk.iter().zip(ids) {
                        out[*i] = Some(Ok(id));
                    }
                }
                LoadAnswer::Ids(ids) => {
                    tracing::warn!(
                        orders = chunk.len(),
                        ids = ids.len(),
                        "sale.order.load answered a different number of ids; writing the orders one by one"
                    );
                    stack.extend(chunk.into_iter().map(|i| vec![i]));
                }
                LoadAnswer::Refused { records, message } => {
                    tracing::info!(
                        orders = chunk.len(),
                        refused = records.len(),
                        %message,
                        "Odoo refused a batch of orders; isolating the bad ones"
                    );
                    if records.is_empty() {
                        let (a, b) = chunk.split_at(chunk.len() / 2);
                        stack.push(b.to_vec());
                        stack.push(a.to_vec());
                    } else {
                        let mut good = Vec::new();
                        for (position, i) in chunk.into_iter().enumerate() {
                            if records.contains(&position) {
                                // alone: its own verdict, Odoo's own message
                                stack.push(vec![i]);
                            } else {
                                good.push(i);
                            }
                        }
                        if !good.is_empty() {
                            stack.push(good);
                        }
                    }
                }
                LoadAnswer::Failed(error) if error.is_refusal() => {
                    let (a, b) = chunk.split_at(chunk.len() / 2);
                    stack.push(b.to_vec());
                    stack.push(a.to_vec());
                }
                LoadAnswer::Failed(error) => {
                    for i in chunk {
                        out[i] = Some(Err(error.clone()));
                    }
                }
            }
        }
        out.into_iter()
            .map(|o| o.unwrap_or_else(|| Err(protocol("order not processed"))))
            .collect()
    }

    /// `name` and `state` of the orders, by id (missing ids are absent).
    async fn order_states(
        &self,
        correlation_id: &str,
        ids: &[i64],
    ) -> Result<HashMap<i64, (String, String)>, OdooError> {
        let found = self
            .client
            .execute_kw(
                "sale.order",
                "read",
                json!([ids]),
                json!({"fields": ["name", "state"]}),
                Some(correlation_id),
            )
            .await?;
        let rows = found
            .as_array()
            .ok_or_else(|| protocol(format!("sale.order.read returned {found}")))?;
        let mut out = HashMap::new();
        for row in rows {
            let Some(id) = row.get("id").and_then(Value::as_i64) else {
                continue;
            };
            let text = |field: &str| {
                row.get(field)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            };
            out.insert(id, (text("name"), text("state")));
        }
        Ok(out)
    }

    /// Confirms the orders with ONE `action_confirm` and reads their names
    /// with ONE `read` sent at the same time. No state read before: 16
    /// accepts a second confirm, and 17+ refuse it ("not in a state
    /// requiring confirmation"); on such a refusal the states from that
    /// read tell which orders are confirmed already (answered with their
    /// names) and the rest are confirmed again (halved when none was
    /// confirmed, until the order Odoo refuses stands alone and gets the
    /// refusal).
    async fn confirm_ids(
        &self,
        correlation_id: &str,
        ids: Vec<i64>,
    ) -> HashMap<i64, Result<String, OdooError>> {
        let mut out = HashMap::new();
        let mut stack = vec![ids];
        while let Some(chunk) = stack.pop() {
            if chunk.is_empty() {
                continue;
            }
            // The names do not change on confirmation (a quotation keeps
            // its `S…` name), so they are read alongside, not after.
            let (confirmed, names) = tokio::join!(
                self.client.execute_kw(
                    "sale.order",
                    "action_confirm",
                    json!([chunk]),
                    json!({}),
                    Some(correlation_id),
                ),
                self.order_states(correlation_id, &chunk)
            );
            match confirmed {
                Ok(_) => match names {
                    Ok(names) => {
                        for id in chunk {
                            let result = match names.get(&id) {
                                Some((name, _)) => Ok(name.clone()),
                                None => Err(missing(id)),
                            };
                            out.insert(id, result);
                        }
                    }
                    // Confirmed, name unknown: the retry confirms again
                    // (16 accepts it; 17+ refuse, and the refusal path
                    // reads the name).
                    Err(error) => {
                        for id in chunk {
                            out.insert(id, Err(error.clone()));
                        }
                    }
                },
                Err(refusal)
                    if refusal.is_refusal()
                        || matches!(refusal, OdooError::MissingRecord { .. }) =>
                {
                    // The refused call changed nothing, so the states read
                    // alongside it hold; read again only if that read failed.
                    let states = match names {
                        Ok(states) => Ok(states),
                        Err(_) => self.order_states(correlation_id, &chunk).await,
                    };
                    let states = match states {
                        Ok(states) => states,
                        Err(error) => {
                            for id in chunk {
                                out.insert(id, Err(error.clone()));
                            }
                            continue;
                        }
                    };
                    let mut rest = Vec::new();
                    for id in &chunk {
                        match states.get(id) {
                            Some((name, state)) if is_confirmed(state) => {
                                out.insert(*id, Ok(name.clone()));
                            }
                            Some(_) => rest.push(*id),
                            None => {
                                out.insert(*id, Err(missing(*id)));
                            }
                        }
                    }
                    if rest.len() < chunk.len() {
                        stack.push(rest);
                    } else if let [only] = rest[..] {
                        out.insert(only, Err(refusal));
                    } else {
                        let (a, b) = rest.split_at(rest.len() / 2);
                        stack.push(b.to_vec());
                        stack.push(a.to_vec());
                    }
                }
                Err(error) => {
                    for id in chunk {
                        out.insert(id, Err(error.clone()));
                    }
                }
            }
        }
        out
    }
}

#[async_trait]
impl Erp for OdooErp {
    async fn submit_order(
        &self,
        call: ErpCall<'_>,
        order: &Order,
    ) -> Result<ErpSubmission, ErpError> {
        let request = SubmitRequest {
            order_id: call.order_id,
            correlation_id: call.correlation_id.to_owned(),
            order: order.clone(),
            rounding_adjustment: call.rounding_adjustment,
            company: call.company,
        };
        self.submit_orders(std::slice::from_ref(&request))
            .await
            .into_iter()
            .next()
            .unwrap_or_else(|| Err(ErpError::Permanent("no result for the order".into())))
    }

    async fn confirm_order(
        &self,
        call: ErpCall<'_>,
        erp_order_id: i64,
    ) -> Result<String, ErpError> {
        let request = ConfirmRequest {
            order_id: call.order_id,
            correlation_id: call.correlation_id.to_owned(),
            erp_order_id,
            company: call.company,
        };
        self.confirm_orders(std::slice::from_ref(&request))
            .await
            .into_iter()
            .next()
            .unwrap_or_else(|| Err(ErpError::Permanent("no result for the order".into())))
    }

    async fn order_facts(
        &self,
        call: ErpCall<'_>,
        order: &Order,
        scope: FactsScope,
    ) -> Result<Option<ErpFacts>, ErpError> {
        let request = FactsRequest {
            order_id: call.order_id,
            correlation_id: call.correlation_id.to_owned(),
            order: order.clone(),
            scope,
            company: call.company,
        };
        self.orders_facts(std::slice::from_ref(&request))
            .await
            .into_iter()
            .next()
            .unwrap_or_else(|| Err(ErpError::Permanent("no facts for the order".into())))
    }

    /// Every order's facts with one set of calls per company (see `facts.rs`).
    async fn orders_facts(
        &self,
        batch: &[FactsRequest],
    ) -> Vec<Result<Option<ErpFacts>, ErpError>> {
        per_company!(self, batch, gather_facts)
            .into_iter()
            .map(|r| r.map(Some))
            .collect()
    }

    fn calls(&self) -> u64 {
        self.client.calls()
    }

    async fn cancel_order(
        &self,
        call: ErpCall<'_>,
        erp_order_id: i64,
    ) -> Result<ErpCancellation, ErpError> {
        o2c_odoo::company::scope(call.company, self.cancel(call, erp_order_id)).await
    }

    async fn revise_order(
        &self,
        call: ErpCall<'_>,
        erp_order_id: i64,
        revision: OrderRevision<'_>,
    ) -> Result<ErpRevision, ErpError> {
        o2c_odoo::company::scope(call.company, self.revise(call, erp_order_id, revision)).await
    }

    fn batches(&self) -> bool {
        true
    }

    /// Per company: products of the batch in at most one lookup (cached),
    /// each customer resolved once (cached), then the orders in one `load`.
    async fn submit_orders(&self, batch: &[SubmitRequest]) -> Vec<Result<ErpSubmission, ErpError>> {
        per_company!(self, batch, submit_group)
    }

    async fn confirm_orders(&self, batch: &[ConfirmRequest]) -> Vec<Result<String, ErpError>> {
        per_company!(self, batch, confirm_group)
    }
}

impl OdooErp {
    /// [`Erp::submit_orders`] for orders of one company (the scope's).
    async fn submit_group(&self, batch: &[SubmitRequest]) -> Vec<Result<ErpSubmission, ErpError>> {
        let Some(first) = batch.first() else {
            return Vec::new();
        };
        if batch.len() > 1 {
            tracing::debug!(
                orders = batch.len(),
                correlation_ids = ?batch.iter().map(|r| r.correlation_id.as_str()).collect::<Vec<_>>(),
                "submitting a batch of orders to Odoo"
            );
        }
        let mut skus: Vec<String> = batch
            .iter()
            .flat_map(|r| r.order.lines.iter().map(|l| l.sku.clone()))
            .collect();
        skus.sort();
        skus.dedup();
        let products = match self.resolve_products(first.call(), &skus).await {
            Ok(products) => products,
            Err(error) => return vec![Err(error); batch.len()],
        };
        let fits = match self
            .unit_fits(
                &first.correlation_id,
                batch
                    .iter()
                    .flat_map(|r| r.order.lines.iter())
                    .map(|l| (l.sku.as_str(), l.quantity.uom.as_str())),
                |sku| {
                    products.get(sku).map(|p| ProductUnit {
                        uom_id: p.uom_id,
                        uom_name: p.uom_name.as_deref(),
                    })
                },
            )
            .await
        {
            Ok(fits) => fits,
            Err(error) => return vec![Err(map_error(error)); batch.len()],
        };
        let mut out: Vec<Option<Result<ErpSubmission, ErpError>>> = vec![None; batch.len()];
        let mut partners: HashMap<String, Result<i64, ErpError>> = HashMap::new();
        let mut to_load: Vec<(usize, SaleOrderValues)> = Vec::new();
        for (i, request) in batch.iter().enumerate() {
            let mut unknown: Vec<&str> = request
                .order
                .lines
                .iter()
                .map(|l| l.sku.as_str())
                .filter(|sku| !products.contains_key(*sku))
                .collect();
            if !unknown.is_empty() {
                unknown.dedup();
                out[i] = Some(Ok(ErpSubmission::Rejected {
                    reasons: vec![HoldReason::UnknownProduct],
                    detail: format!("no Odoo product has the SKU(s): {}", unknown.join(", ")),
                }));
                continue;
            }
            // validation holds such orders; a channel that skips it must
            // not get a line Odoo would refuse or ship in the wrong unit
            if let Some((reason, detail)) = unit_rejection(&request.order, &fits) {
                out[i] = Some(Ok(ErpSubmission::Rejected {
                    reasons: vec![reason],
                    detail,
                }));
                continue;
            }
            let odoo_ref = request
                .order
                .customer
                .external_refs
                .iter()
                .find(|r| r.system == ODOO_SYSTEM)
                .map(|r| r.id.as_str())
                .unwrap_or_default();
            let key = format!("{}|{odoo_ref}", partner_xmlid(&request.order));
            let partner = match partners.get(&key) {
                Some(known) => known.clone(),
                None => {
                    let resolved = self.resolve_partner(request.call(), &request.order).await;
                    partners.insert(key, resolved.clone());
                    resolved
                }
            };
            let rounding = match request.rounding_adjustment.filter(|a| !a.is_zero()) {
                Some(amount) => match self.rounding_product(&request.correlation_id).await {
                    Ok(product) => Some((product, amount)),
                    Err(error) => {
                        out[i] = Some(Err(error));
                        continue;
                    }
                },
                None => None,
            };
            let shipping = match self
                .shipping_product_for(&request.order, &request.correlation_id)
                .await
            {
                Ok(product) => product,
                Err(error) => {
                    out[i] = Some(Err(error));
                    continue;
                }
            };
            let partner_id = match partner {
                Ok(partner_id) => partner_id,
                Err(error) => {
                    out[i] = Some(Err(error));
                    continue;
                }
            };
            // Odoo keeps the order in its pricelist's currency: one in the
            // order's, or the order is held (validation holds it first)
            let pricing = match self
                .submission_pricing(&request.correlation_id, &request.order, partner_id)
                .await
            {
                Ok(pricing) => pricing,
                Err(error) => {
                    out[i] = Some(Err(map_error(error)));
                    continue;
                }
            };
            if let PricelistFacts::Unsupported {
                currency,
                customer_currency,
                channel,
            } = &pricing.choice
            {
                out[i] = Some(Ok(ErpSubmission::Rejected {
                    reasons: vec![HoldReason::CurrencyUnsupported],
                    detail: format!(
                        "the order is in {currency} but the Odoo pricelist of customer {:?} (Odoo partner {partner_id}) is in {customer_currency}, and no active pricelist in {currency} is configured for channel {channel} ([pricelists]) or usable by the order's company",
                        request.order.customer.name
                    ),
                }));
                continue;
            }
            let mut values = Self::sale_values(
                request.order_id,
                &request.order,
                &products,
                &fits,
                partner_id,
                rounding,
                shipping,
            );
            values.pricelist_id = pricing.written();
            to_load.push((i, values));
        }
        let (positions, values): (Vec<usize>, Vec<SaleOrderValues>) = to_load.into_iter().unzip();
        let loaded = self.load_orders(&first.correlation_id, &values).await;
        for ((i, value), result) in positions.into_iter().zip(values).zip(loaded) {
            out[i] = Some(
                result
                    .map(|erp_order_id| ErpSubmission::Created {
                        erp_order_id,
                        erp_order_ref: value.xmlid,
                    })
                    .map_err(map_error),
            );
        }
        out.into_iter()
            .map(|o| o.unwrap_or_else(|| Err(ErpError::Permanent("order not processed".into()))))
            .collect()
    }

    /// [`Erp::confirm_orders`] for orders of one company (the scope's).
    async fn confirm_group(&self, batch: &[ConfirmRequest]) -> Vec<Result<String, ErpError>> {
        let Some(first) = batch.first() else {
            return Vec::new();
        };
        let mut ids: Vec<i64> = batch.iter().map(|r| r.erp_order_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let results = self.confirm_ids(&first.correlation_id, ids).await;
        batch
            .iter()
            .map(|r| match results.get(&r.erp_order_id) {
                Some(result) => result.clone().map_err(map_error),
                None => Err(ErpError::Permanent("order not processed".into())),
            })
            .collect()
    }
}

/// The batch's positions grouped by company (in batch order within each
/// group). Orders of two companies never share an Odoo call: Odoo takes
/// one company context per call.
fn company_groups(
    companies: impl Iterator<Item = Option<CompanyId>>,
) -> Vec<(Option<CompanyId>, Vec<usize>)> {
    let mut groups: Vec<(Option<CompanyId>, Vec<usize>)> = Vec::new();
    for (i, company) in companies.enumerate() {
        match groups.iter_mut().find(|(c, _)| *c == company) {
            Some((_, positions)) => positions.push(i),
            None => groups.push((company, vec![i])),
        }
    }
    groups
}

/// Each group's results put back at its positions of a batch of `len`.
fn scatter<T>(len: usize, parts: Vec<(Vec<usize>, Vec<T>)>) -> Vec<T> {
    let mut out: Vec<Option<T>> = std::iter::repeat_with(|| None).take(len).collect();
    for (positions, results) in parts {
        for (i, result) in positions.into_iter().zip(results) {
            out[i] = Some(result);
        }
    }
    out.into_iter().flatten().collect()
}

/// What one batched `load` answered.
enum LoadAnswer {
    /// Written: the ids, one per order, in order.
    Ids(Vec<i64>),
    /// Refused (nothing written): the positions of the orders Odoo named.
    Refused {
        records: std::collections::HashSet<usize>,
        message: String,
    },
    Failed(OdooError),
}

impl LoadAnswer {
    /// `spans`: each order's first and last row.
    fn parse(result: &Value, spans: &[(usize, usize)]) -> LoadAnswer {
        let errors: Vec<&Value> = result
            .get("messages")
            .and_then(Value::as_array)
            .map(|m| {
                m.iter()
                    .filter(|m| m.get("type").and_then(Value::as_str) == Some("error"))
                    .collect()
            })
            .unwrap_or_default();
        if errors.is_empty() {
            return match result.get("ids").and_then(Value::as_array) {
                Some(ids) => LoadAnswer::Ids(ids.iter().filter_map(Value::as_i64).collect()),
                None => LoadAnswer::Failed(protocol(format!("unexpected load answer: {result}"))),
            };
        }
        let mut records = std::collections::HashSet::new();
        let mut texts = Vec::new();
        for error in errors {
            if let Some(text) = error.get("message").and_then(Value::as_str) {
                texts.push(text.to_owned());
            }
            // `record` is the index of the record (order); `rows` its rows.
            let by_record = error
                .get("record")
                .and_then(Value::as_u64)
                .map(|r| r as usize)
                .filter(|r| *r < spans.len());
            let by_row = || {
                let row = error
                    .get("rows")
                    .and_then(|r| r.get("from"))
                    .and_then(Value::as_u64)? as usize;
                spans.iter().position(|(a, b)| *a <= row && row <= *b)
            };
            if let Some(position) = by_record.or_else(by_row) {
                records.insert(position);
            }
        }
        LoadAnswer::Refused {
            records,
            message: texts.join("\n"),
        }
    }
}

fn protocol(message: impl Into<String>) -> OdooError {
    OdooError::Protocol {
        message: message.into(),
    }
}

fn is_confirmed(state: &str) -> bool {
    state == "sale" || state == "done"
}

fn missing(id: i64) -> OdooError {
    OdooError::MissingRecord {
        message: format!("sale.order({id},) does not exist"),
    }
}

/// The external id of the service product that carries rounding lines.
pub const ROUNDING_PRODUCT_XMLID: &str = "__o2c__.rounding_adjustment";

/// Whether the order charges shipping (a line of its own in Odoo).
fn charges_shipping(order: &Order) -> bool {
    order.shipping.as_ref().is_some_and(|s| !s.amount.is_zero())
}

/// Why an order cannot be written for the units of its lines, if so.
fn unit_rejection(order: &Order, fits: &UnitFits) -> Option<(HoldReason, String)> {
    order
        .lines
        .iter()
        .find_map(|line| match fit_of(fits, &line.sku, &line.quantity.uom) {
            LineUom::Unknown => Some((
                HoldReason::UnknownUom,
                format!(
                    "line {}: no Odoo unit of measure is named {:?}",
                    line.line_id, line.quantity.uom
                ),
            )),
            LineUom::Incompatible { .. } => Some((
                HoldReason::UomMismatch,
                format!(
                    "line {}: the unit {:?} does not convert to the unit of product {:?}",
                    line.line_id, line.quantity.uom, line.sku
                ),
            )),
            LineUom::Product | LineUom::Converted { .. } => None,
        })
}

/// A line on one of o2c's tax-free service products (shipping, rounding).
fn service_line(
    xmlid: String,
    product_id: i64,
    quantity: Decimal,
    price_unit: Decimal,
) -> SaleLineValues {
    SaleLineValues {
        xmlid,
        product_id,
        quantity,
        uom_id: None,
        price_unit,
        discount: Decimal::ZERO,
    }
}

/// The external id of the service product that carries shipping charges.
pub const SHIPPING_PRODUCT_XMLID: &str = "__o2c__.shipping_charge";

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
