//! Gathers [`ErpFacts`] for an order from Odoo, read-only, in few calls:
//! ONE `search_read` of partners (reference, email or VAT), ONE of products
//! (SKU or barcode, archived ones included so a discontinued product is told
//! apart from an unknown one), then, only when the rules in force need
//! them and concurrently: the open invoices and the open orders (credit),
//! the taxes (ONE `read`, plus the fiscal position's mapping when the
//! customer has one), and the pricelist prices (evaluated here from the
//! cached pricelist rules, see `o2c_odoo::ops::pricing`). Lines in another
//! unit than their product's add, on a cold cache, ONE `uom.uom` search by
//! name and ONE read of the products' units (`units.rs`); their price is
//! the pricelist's converted to the ordered unit.
//!
//! Taxes are computed as Odoo's `account.tax` does (`taxes.rs`): percent,
//! division and fixed taxes, price-included or excluded, group taxes (their
//! children), and taxes that raise the base of later ones
//! (`include_base_amount`, in `sequence` order), each version as its Odoo
//! does (the dialect's `tax_computation`: 16/17's `compute_all` in
//! `compute_all.rs`, rounded as the company's
//! `tax_calculation_rounding_method` says, one cached read; 18/19's
//! `_get_tax_details` in `taxes.rs`, per line); ONE read of the taxes, ONE
//! more per level of group children, each alongside ONE `search_read` of
//! their invoice 'tax' repartition lines (the factors that make a reverse
//! charge tax 0; a server that refuses it has every tax count at 100 %).
//! A Python-code tax, or a customer whose fiscal position
//! mapping cannot be read, is not computed: the line says why and the tax
//! rule holds the order as `tax_unverified` rather than passing it.
//!
//! Currencies: the pricelist price is in the pricelist's currency (the
//! company's without a pricelist) and is converted to the order's at
//! Odoo's rate of the order date (`res.currency.rate`, units per company
//! unit), rounded to the order currency. Credit is in the company
//! currency: receivables as Odoo books them (`amount_residual_signed`),
//! open orders and this order divided by their rate (Odoo's
//! `amount_total / currency_rate`). An order currency Odoo has no record
//! of is neither price-checked nor converted (a warning is logged).
//!
//! Not covered: customer codes for products (`product.customerinfo`) are
//! an OCA module, not standard Odoo, and are not looked up; Python-code
//! taxes are not asked of Odoo (its `compute_all` takes record arguments
//! that do not travel over RPC on every version).

use std::collections::HashMap;

use o2c_model::Order;
use o2c_odoo::ops::{CurrencyRate, json_decimal, m2o_id};
use o2c_odoo::{OdooError, ops::Ops};
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Value, json};

use o2c_odoo::version::TaxComputation;

use super::compute_all::{self, MAX_GROUP_DEPTH, Rounding};
use super::pricelists::Pricing;
use super::taxes::{LineTax, TaxRule, line_tax, whole};
use super::units::{ProductUnit, UnitFits, fit_of};
use super::{ODOO_SYSTEM, OdooErp, map_error};
use crate::erp::facts::*;
use crate::erp::{ErpError, FactsRequest, FactsScope};

fn text(record: &Value, field: &str) -> Option<String> {
    record
        .get(field)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn decimal(record: &Value, field: &str) -> Decimal {
    record.get(field).map(json_decimal).unwrap_or_default()
}

fn many2one(record: &Value, field: &str) -> Option<i64> {
    record.get(field).and_then(m2o_id)
}

fn rows(value: Value) -> Result<Vec<Value>, OdooError> {
    match value {
        Value::Array(rows) => Ok(rows),
        other => Err(OdooError::Protocol {
            message: format!("expected a list of records, got {other}"),
        }),
    }
}

const TAX_FIELDS: &[&str] = &[
    "name",
    "amount_type",
    "amount",
    "price_include",
    "include_base_amount",
    "is_base_affected",
    "sequence",
    "children_tax_ids",
];

/// An `account.tax` record as the computation needs it.
fn tax_rule(id: i64, r: &Value) -> TaxRule {
    let flag =
        |field: &str, default: bool| r.get(field).and_then(Value::as_bool).unwrap_or(default);
    TaxRule {
        id,
        name: text(r, "name").unwrap_or_default(),
        amount_type: text(r, "amount_type").unwrap_or_default(),
        amount: decimal(r, "amount"),
        price_include: flag("price_include", false),
        include_base_amount: flag("include_base_amount", false),
        is_base_affected: flag("is_base_affected", true),
        sequence: r.get("sequence").and_then(Value::as_i64).unwrap_or(1),
        children: super::x2many_ids(r, "children_tax_ids"),
        factors: whole(),
    }
}

/// `account.tax.repartition.line`: the taxes' invoice 'tax' lines, in
/// Odoo's order of them (`sequence`, then id), by tax. 16 links a line to
/// its tax by `invoice_tax_id` / `refund_tax_id` (its `tax_id` and
/// `document_type` are computed and cannot be searched); 17+ store
/// `tax_id` and `document_type`.
fn repartition_query(major: u32, taxes: &[i64]) -> (Value, &'static str) {
    if major >= 17 {
        (
            json!([[
                ["tax_id", "in", taxes],
                ["document_type", "=", "invoice"],
                ["repartition_type", "=", "tax"]
            ]]),
            "tax_id",
        )
    } else {
        (
            json!([[
                ["invoice_tax_id", "in", taxes],
                ["repartition_type", "=", "tax"]
            ]]),
            "invoice_tax_id",
        )
    }
}

/// The factors (`factor_percent / 100`) of repartition `lines` by tax,
/// in their order.
fn factors_by_tax(lines: &[Value], tax_field: &str) -> HashMap<i64, Vec<Decimal>> {
    let mut out: HashMap<i64, Vec<Decimal>> = HashMap::new();
    for line in lines {
        if let Some(tax) = many2one(line, tax_field) {
            out.entry(tax)
                .or_default()
                .push(decimal(line, "factor_percent") / Decimal::ONE_HUNDRED);
        }
    }
    out
}

/// The company currency of a credit check: the order's rate against it
/// (`sale.order.currency_rate` = rate(order) / rate(company)).
fn credit_currency(ordered: &CurrencyRate, home: &CurrencyRate) -> CreditCurrency {
    CreditCurrency {
        code: home.name.clone(),
        order_rate: if home.rate.is_zero() {
            Decimal::ZERO
        } else {
            (ordered.rate / home.rate).normalize()
        },
        rounding: home.rounding,
    }
}

/// The customer as found in Odoo.
struct Partner {
    id: i64,
    matched_by: CustomerMatch,
    credit_limit: Option<Decimal>,
    pricelist: Option<i64>,
    fiscal_position: Option<i64>,
}

const PARTNER_FIELDS: &[&str] = &[
    "ref",
    "email",
    "vat",
    "credit_limit",
    "property_product_pricelist",
    "property_account_position_id",
];

impl OdooErp {
    /// The facts of several orders with the same few calls as one order's:
    /// one partner search, one product search, and (as needed) one invoice
    /// search, one open-order search, one fiscal-position and one tax read
    /// for the whole batch. A failed call fails every order of the batch
    /// (the executor retries them).
    pub(super) async fn gather_facts(
        &self,
        batch: &[FactsRequest],
    ) -> Vec<Result<ErpFacts, ErpError>> {
        let Some(first) = batch.first() else {
            return Vec::new();
        };
        match self.gather(&first.correlation_id, batch).await {
            Ok(facts) => facts.into_iter().map(Ok).collect(),
            Err(error) => vec![Err(map_error(error)); batch.len()],
        }
    }

    async fn gather(&self, cid: &str, batch: &[FactsRequest]) -> Result<Vec<ErpFacts>, OdooError> {
        let orders: Vec<&Order> = batch.iter().map(|r| &r.order).collect();
        let (partners, products) = tokio::join!(
            self.find_customers(cid, &orders),
            self.find_products(cid, &orders)
        );
        let partners = partners?;
        let products = products?;
        let fits = self
            .unit_fits(
                cid,
                orders
                    .iter()
                    .flat_map(|o| o.lines.iter())
                    .map(|l| (l.sku.as_str(), l.quantity.uom.as_str())),
                |sku| {
                    products.get(sku).map(|p| ProductUnit {
                        uom_id: p.uom_id,
                        uom_name: p.uom.as_deref(),
                    })
                },
            )
            .await?;
        let wanted = |pick: fn(&FactsScope) -> bool| batch.iter().any(|r| pick(&r.scope));
        let known: Vec<&Partner> = partners.iter().flatten().collect();
        // the company currency: what credit limits are in, and what a
        // partner without a pricelist is priced in (one cached read)
        let company = o2c_odoo::company::current().map(|c| c.0);
        let company_code = self
            .cached_ops(cid)
            .await?
            .company_currency(company)
            .await?;
        // the submission finds the customer's pricelist here, not in Odoo
        for p in &known {
            self.remember_partner_pricelist(p.id, p.pricelist);
        }
        let company_digits = o2c_model::Currency::parse(&company_code)
            .ok()
            .map_or(2, |c| c.minor_units());
        let credit = async {
            if wanted(|s| s.credit) && !known.is_empty() {
                self.credit(cid, &known, company_digits).await
            } else {
                Ok(HashMap::new())
            }
        };
        let taxes = async {
            if wanted(|s| s.taxes) {
                self.tax_rules(cid, &products, &known).await.map(Some)
            } else {
                Ok(None)
            }
        };
        let (credit, taxes) = tokio::join!(credit, taxes);
        let credit = credit?;
        let taxes = taxes?;
        let mut out = Vec::with_capacity(batch.len());
        for (request, partner) in batch.iter().zip(&partners) {
            let order = &request.order;
            let scope = request.scope;
            let customer_known = partner.is_some() || scope.create_customers;
            let pricing = if customer_known {
                let ops = self.cached_ops(cid).await?;
                Some(
                    self.order_pricing(&ops, order, partner.as_ref().and_then(|p| p.pricelist))
                        .await?,
                )
            } else {
                None
            };
            let prices = match &pricing {
                Some(pricing) if scope.prices => Some(
                    self.line_prices(cid, order, &products, &fits, partner.as_ref(), pricing)
                        .await?,
                ),
                _ => None,
            };
            let credit_currency = if scope.credit && partner.is_some() {
                self.credit_currency(cid, order, &company_code).await?
            } else {
                None
            };
            let line_taxes = match &taxes {
                Some(rules) if scope.taxes && customer_known => {
                    Some(rules.for_order(order, &products, partner.as_ref()))
                }
                _ => None,
            };
            let customer = match partner {
                Some(p) => CustomerFacts::Known {
                    partner_id: p.id,
                    matched_by: p.matched_by,
                    credit: if scope.credit {
                        CreditFacts {
                            currency: credit_currency,
                            ..credit.get(&p.id).cloned().unwrap_or(CreditFacts {
                                limit: p.credit_limit,
                                ..CreditFacts::default()
                            })
                        }
                    } else {
                        CreditFacts::default()
                    },
                },
                None if scope.create_customers => CustomerFacts::New,
                None => CustomerFacts::Unknown,
            };
            let lines = order
                .lines
                .iter()
                .enumerate()
                .map(|(index, line)| LineFacts {
                    product: products.get(&line.sku).map(|p| ProductFacts {
                        product_id: p.id,
                        matched_by: p.matched_by,
                        discontinued: p.discontinued,
                        uom: p.uom.clone(),
                        line_uom: fit_of(&fits, &line.sku, &line.quantity.uom),
                        price_unit: prices
                            .as_ref()
                            .and_then(|v| v.get(index).copied().flatten()),
                        tax: match line_taxes.as_ref().and_then(|v| v.get(index)) {
                            Some(Some(LineTax::Computed(amount))) => Some(*amount),
                            _ => None,
                        },
                        tax_unchecked: match line_taxes.as_ref().and_then(|v| v.get(index)) {
                            Some(Some(LineTax::Unchecked(why))) => Some(why.clone()),
                            _ => None,
                        },
                    }),
                })
                .collect();
            out.push(ErpFacts {
                customer,
                lines,
                pricelist: pricing.map(|p| p.choice).unwrap_or_default(),
            });
        }
        Ok(out)
    }

    /// Each order's customer: the Odoo id it names, else the first of its
    /// references, email and VAT that a partner has; ONE search for all.
    async fn find_customers(
        &self,
        cid: &str,
        orders: &[&Order],
    ) -> Result<Vec<Option<Partner>>, OdooError> {
        let keys: Vec<CustomerKeys> = orders.iter().map(|o| CustomerKeys::of(o)).collect();
        let mut ids: Vec<i64> = keys.iter().filter_map(|k| k.named).collect();
        let mut refs: Vec<&str> = keys
            .iter()
            .flat_map(|k| k.refs.iter().map(String::as_str))
            .collect();
        let mut emails: Vec<&str> = keys.iter().filter_map(|k| k.email.as_deref()).collect();
        let mut vats: Vec<&str> = keys.iter().filter_map(|k| k.vat.as_deref()).collect();
        for list in [&mut refs, &mut emails, &mut vats] {
            list.sort_unstable();
            list.dedup();
        }
        ids.sort_unstable();
        ids.dedup();
        let mut terms: Vec<Value> = Vec::new();
        if !ids.is_empty() {
            terms.push(json!(["id", "in", ids]));
        }
        if !refs.is_empty() {
            terms.push(json!(["ref", "in", refs]));
        }
        // `=ilike` per address: Odoo stores emails as typed.
        terms.extend(emails.iter().map(|e| json!(["email", "=ilike", e])));
        if !vats.is_empty() {
            terms.push(json!(["vat", "in", vats]));
        }
        if terms.is_empty() {
            return Ok(orders.iter().map(|_| None).collect());
        }
        let mut domain: Vec<Value> = std::iter::repeat_n(json!("|"), terms.len() - 1).collect();
        domain.extend(terms);
        let found = rows(
            self.client
                .execute_kw(
                    "res.partner",
                    "search_read",
                    json!([domain]),
                    json!({ "fields": PARTNER_FIELDS, "order": "id" }),
                    Some(cid),
                )
                .await?,
        )?;
        Ok(keys.iter().map(|k| k.pick(&found)).collect())
    }

    /// Products by SKU or barcode in ONE `search_read`, archived included.
    async fn find_products(
        &self,
        cid: &str,
        orders: &[&Order],
    ) -> Result<HashMap<String, FoundProduct>, OdooError> {
        let mut codes: Vec<&str> = orders
            .iter()
            .flat_map(|o| o.lines.iter().map(|l| l.sku.as_str()))
            .collect();
        codes.sort_unstable();
        codes.dedup();
        if codes.is_empty() {
            return Ok(HashMap::new());
        }
        let domain = json!([
            "&",
            ["active", "in", [true, false]],
            "|",
            ["default_code", "in", codes],
            ["barcode", "in", codes]
        ]);
        let found = rows(
            self.client
                .execute_kw(
                    "product.product",
                    "search_read",
                    json!([domain]),
                    json!({ "fields": ["default_code", "barcode", "active", "sale_ok", "uom_id", "taxes_id"], "order": "active desc, id" }),
                    Some(cid),
                )
                .await?,
        )?;
        let mut out: HashMap<String, FoundProduct> = HashMap::new();
        // By SKU first, a barcode only where no SKU matched; an active
        // product wins over an archived one (rows come active first).
        for (field, matched_by) in [
            ("default_code", ProductMatch::Sku),
            ("barcode", ProductMatch::Barcode),
        ] {
            for r in &found {
                let (Some(code), Some(id)) = (text(r, field), r.get("id").and_then(Value::as_i64))
                else {
                    continue;
                };
                if !codes.contains(&code.as_str()) || out.contains_key(&code) {
                    continue;
                }
                let active = r.get("active").and_then(Value::as_bool).unwrap_or(true);
                let sale_ok = r.get("sale_ok").and_then(Value::as_bool).unwrap_or(true);
                out.insert(
                    code,
                    FoundProduct {
                        id,
                        matched_by,
                        discontinued: !active || !sale_ok,
                        uom_id: many2one(r, "uom_id"),
                        uom: r
                            .get("uom_id")
                            .and_then(|u| u.get(1))
                            .and_then(Value::as_str)
                            .map(str::to_owned),
                        taxes: r
                            .get("taxes_id")
                            .and_then(Value::as_array)
                            .map(|a| a.iter().filter_map(Value::as_i64).collect())
                            .unwrap_or_default(),
                    },
                );
            }
        }
        Ok(out)
    }

    /// Open receivables, unpaid invoices and open orders of the partners:
    /// ONE invoice search and ONE order search, concurrently, and ONE read
    /// of the posted invoices of open orders that are partly invoiced.
    ///
    /// An open order counts for what is left to invoice, not its whole
    /// total: the invoiced part is already in the receivables (or paid), as
    /// Odoo 17+'s `amount_to_invoice` = `amount_total` − the order's posted
    /// invoices (sale/models/sale_order.py `_compute_amount_to_invoice`,
    /// which `res.partner.credit_to_invoice` sums for Odoo's own credit
    /// check). 16 has no such field, so the subtraction is done here for
    /// every version alike; an invoice shared by several orders is
    /// subtracted from each (never below zero), which can only make the
    /// exposure smaller than Odoo's, never counted twice.
    async fn credit(
        &self,
        cid: &str,
        partners: &[&Partner],
        company_digits: u32,
    ) -> Result<HashMap<i64, CreditFacts>, OdooError> {
        let mut ids: Vec<i64> = partners.iter().map(|p| p.id).collect();
        ids.sort_unstable();
        ids.dedup();
        let invoices = self.client.execute_kw(
            "account.move",
            "search_read",
            json!([[
                ["partner_id", "in", ids],
                ["state", "=", "posted"],
                ["move_type", "in", ["out_invoice", "out_refund"]],
                ["amount_residual", "!=", 0]
            ]]),
            json!({ "fields": ["partner_id", "name", "move_type", "amount_residual", "amount_residual_signed", "invoice_date_due"] }),
            Some(cid),
        );
        let orders = self.client.execute_kw(
            "sale.order",
            "search_read",
            json!([[
                ["partner_id", "in", ids],
                ["state", "=", "sale"],
                ["invoice_status", "!=", "invoiced"]
            ]]),
            json!({ "fields": ["partner_id", "amount_total", "invoice_ids", "currency_rate"] }),
            Some(cid),
        );
        let (invoices, orders) = tokio::join!(invoices, orders);
        let orders = rows(orders?)?;
        let invoiced = self.invoiced_amounts(cid, &orders).await?;
        let mut out: HashMap<i64, CreditFacts> = partners
            .iter()
            .map(|p| {
                (
                    p.id,
                    CreditFacts {
                        limit: p.credit_limit,
                        ..CreditFacts::default()
                    },
                )
            })
            .collect();
        for r in rows(invoices?)? {
            let Some(credit) = many2one(&r, "partner_id").and_then(|p| out.get_mut(&p)) else {
                continue;
            };
            // in the company currency, signed (credit notes negative), as
            // Odoo's partner credit counts it
            let residual = match r.get("amount_residual_signed") {
                Some(v) if !v.is_null() && *v != Value::Bool(false) => json_decimal(v),
                _ => {
                    let plain = decimal(&r, "amount_residual");
                    if text(&r, "move_type").as_deref() == Some("out_refund") {
                        -plain
                    } else {
                        plain
                    }
                }
            };
            credit.receivable += residual;
            if residual <= Decimal::ZERO {
                continue;
            }
            if let Some(due) = text(&r, "invoice_date_due")
                .and_then(|d| chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok())
            {
                credit.overdue.push(OverdueInvoice {
                    name: text(&r, "name").unwrap_or_default(),
                    due,
                    residual,
                });
            }
        }
        for r in &orders {
            if let Some(credit) = many2one(r, "partner_id").and_then(|p| out.get_mut(&p)) {
                let already: Decimal = super::x2many_ids(r, "invoice_ids")
                    .iter()
                    .filter_map(|id| invoiced.get(id))
                    .sum();
                let left = (decimal(r, "amount_total") - already).max(Decimal::ZERO);
                // in the company currency at the order's own rate, as
                // Odoo's `amount_total / currency_rate`
                let rate = decimal(r, "currency_rate");
                credit.open_orders += if rate.is_zero() || rate == Decimal::ONE {
                    left
                } else {
                    (left / rate).round_dp_with_strategy(
                        company_digits,
                        RoundingStrategy::MidpointAwayFromZero,
                    )
                };
            }
        }
        Ok(out)
    }

    /// The signed total of each posted customer invoice (credit notes
    /// negative) among the open orders' invoices: ONE read, none when no
    /// open order has an invoice.
    async fn invoiced_amounts(
        &self,
        cid: &str,
        orders: &[Value],
    ) -> Result<HashMap<i64, Decimal>, OdooError> {
        let mut ids: Vec<i64> = orders
            .iter()
            .flat_map(|o| super::x2many_ids(o, "invoice_ids"))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let moves = self
            .client
            .execute_kw(
                "account.move",
                "read",
                json!([ids]),
                json!({ "fields": ["state", "move_type", "amount_total"] }),
                Some(cid),
            )
            .await?;
        Ok(rows(moves)?
            .iter()
            .filter(|m| text(m, "state").as_deref() == Some("posted"))
            .filter_map(|m| {
                let id = m.get("id").and_then(Value::as_i64)?;
                let sign = match text(m, "move_type").as_deref() {
                    Some("out_invoice") => Decimal::ONE,
                    Some("out_refund") => Decimal::NEGATIVE_ONE,
                    _ => return None,
                };
                Some((id, sign * decimal(m, "amount_total")))
            })
            .collect())
    }

    /// The taxes of every product and the fiscal positions' mappings of
    /// every customer: ONE search and ONE read.
    async fn tax_rules(
        &self,
        cid: &str,
        products: &HashMap<String, FoundProduct>,
        partners: &[&Partner],
    ) -> Result<TaxBook, OdooError> {
        let mut positions: Vec<i64> = partners.iter().filter_map(|p| p.fiscal_position).collect();
        positions.sort_unstable();
        positions.dedup();
        let dialect = *self
            .dialect
            .get_or_try_init(|| self.client.dialect())
            .await?;
        let mut book = TaxBook::new(dialect.tax_computation);
        if dialect.tax_computation == TaxComputation::ComputeAll {
            // `compute_all` rounds as the company says (one cached read)
            let company = o2c_odoo::company::current().map(|c| c.0);
            let method = self
                .cached_ops(cid)
                .await?
                .company_tax_rounding(company)
                .await?;
            book.rounding = Rounding::from_odoo(method.as_deref());
        }
        if !positions.is_empty() {
            let answer = self
                .client
                .execute_kw(
                    "account.fiscal.position.tax",
                    "search_read",
                    json!([[["position_id", "in", positions]]]),
                    json!({ "fields": ["position_id", "tax_src_id", "tax_dest_id"] }),
                    Some(cid),
                )
                .await;
            let pairs = match answer.and_then(rows) {
                Ok(pairs) => pairs,
                Err(error) if error.is_transient() => return Err(error),
                // A server without this mapping model (or without access to
                // it): the taxes of these customers are not computed, so
                // the tax rule skips them rather than stopping every order.
                Err(error) => {
                    tracing::warn!(%error, ?positions, "fiscal positions unreadable; their customers' tax is not checked");
                    book.unmapped.extend(positions);
                    Vec::new()
                }
            };
            for pair in pairs {
                if let (Some(position), Some(src)) = (
                    many2one(&pair, "position_id"),
                    many2one(&pair, "tax_src_id"),
                ) {
                    let to = book.mappings.entry((position, src)).or_default();
                    // a mapping to nothing removes the tax
                    to.extend(many2one(&pair, "tax_dest_id"));
                }
            }
        }
        let mut wanted: Vec<i64> = products
            .values()
            .flat_map(|p| p.taxes.iter().copied())
            .chain(book.mappings.values().flatten().copied())
            .collect();
        // ONE read of the taxes, and ONE more for the children of group
        // taxes among them (18+ refuse a group in a group; 16/17 allow it,
        // so their deeper children cost one read per level)
        for _ in 0..=MAX_GROUP_DEPTH {
            wanted.sort_unstable();
            wanted.dedup();
            wanted.retain(|id| !book.taxes.contains_key(id));
            if wanted.is_empty() {
                break;
            }
            // the taxes and their repartition lines, side by side
            let (read, factors) = tokio::join!(
                self.client.execute_kw(
                    "account.tax",
                    "read",
                    json!([wanted]),
                    json!({ "fields": TAX_FIELDS }),
                    Some(cid),
                ),
                self.repartition_factors(cid, dialect.major, &wanted),
            );
            let read = rows(read?)?;
            let mut factors = factors?;
            wanted = Vec::new();
            for r in read {
                if let Some(id) = r.get("id").and_then(Value::as_i64) {
                    let mut rule = tax_rule(id, &r);
                    // unreadable lines: unknown (the tax is not checked);
                    // a tax absent from the answer has no 'tax' line, and
                    // Odoo gives it no amount
                    rule.factors = factors.as_mut().map(|f| f.remove(&id).unwrap_or_default());
                    wanted.extend(rule.children.iter().copied());
                    book.taxes.insert(id, rule);
                }
            }
        }
        Ok(book)
    }

    /// The invoice 'tax' repartition factors of `taxes`: ONE `search_read`.
    /// `None` when the server does not let them be read (no such model or
    /// field, no access): the lines' tax is then not checked (held as
    /// `tax_unverified`, naming the tax), with a warning.
    async fn repartition_factors(
        &self,
        cid: &str,
        major: u32,
        taxes: &[i64],
    ) -> Result<Option<HashMap<i64, Vec<Decimal>>>, OdooError> {
        let (domain, tax_field) = repartition_query(major, taxes);
        let answer = self
            .client
            .execute_kw(
                "account.tax.repartition.line",
                "search_read",
                domain,
                json!({ "fields": [tax_field, "factor_percent"], "order": "sequence, id" }),
                Some(cid),
            )
            .await
            .and_then(rows);
        match answer {
            Ok(lines) => Ok(Some(factors_by_tax(&lines, tax_field))),
            Err(error) if error.is_transient() => Err(error),
            Err(error) => {
                tracing::warn!(%error, "tax repartition lines unreadable; taxes not checked");
                Ok(None)
            }
        }
    }

    /// The pricelist price per line, from the pricing's pricelist (the
    /// customer's, or the one chosen for the order's currency; see
    /// `pricelists.rs`). The rules and product facts come through the
    /// master-data cache. A pricelist in another currency than the
    /// company's prices from the products' prices converted to it at
    /// Odoo's rate of the order date, unrounded, before its rules apply
    /// (product/models/product_pricelist_item.py `_compute_base_price`);
    /// a fixed price stands as it is.
    async fn line_prices(
        &self,
        cid: &str,
        order: &Order,
        products: &HashMap<String, FoundProduct>,
        fits: &UnitFits,
        partner: Option<&Partner>,
        pricing: &Pricing,
    ) -> Result<Vec<Option<Decimal>>, OdooError> {
        let unpriced = || -> Result<Vec<Option<Decimal>>, OdooError> {
            Ok(order.lines.iter().map(|_| None).collect())
        };
        // no pricelist in the order's currency: the currency rule holds it
        if matches!(pricing.choice, PricelistFacts::Unsupported { .. }) {
            return unpriced();
        }
        let ops: Ops<'_> = self.cached_ops(cid).await?;
        let base_rate = if pricing.currency == pricing.company_currency {
            Decimal::ONE
        } else {
            let company = o2c_odoo::company::current().map(|c| c.0);
            let day = order.order_date.format("%Y-%m-%d").to_string();
            let codes = [pricing.currency.as_str(), pricing.company_currency.as_str()];
            let rates = ops.currency_rates(&codes, company, &day).await?;
            match (
                rates.get(&pricing.currency),
                rates.get(&pricing.company_currency),
            ) {
                (Some(to), Some(from)) if !from.rate.is_zero() => to.rate / from.rate,
                // Odoo has no rate for it: nothing to compare with
                _ => {
                    tracing::warn!(pricelist_currency = %pricing.currency, "no Odoo rate for the pricelist's currency; the order's prices are not checked");
                    return unpriced();
                }
            }
        };
        let partner_id = partner.map(|p| p.id).unwrap_or_default();
        let date = order.order_date.format("%Y-%m-%d %H:%M:%S").to_string();
        let mut out = Vec::with_capacity(order.lines.len());
        for line in &order.lines {
            let Some(product) = products.get(&line.sku).filter(|p| !p.discontinued) else {
                out.push(None);
                continue;
            };
            // the price per ordered unit: the pricelist's converted as
            // `uom.uom._compute_price` does (addons/uom/models/uom_uom.py);
            // a unit Odoo cannot use gets no price (the unit rule holds it)
            let unit = match fit_of(fits, &line.sku, &line.quantity.uom) {
                LineUom::Product => product.uom_id,
                LineUom::Converted { uom_id, .. } => Some(uom_id),
                LineUom::Unknown | LineUom::Incompatible { .. } => {
                    out.push(None);
                    continue;
                }
            };
            let priced = ops
                .price_line_at_rate(
                    partner_id,
                    pricing.pricelist,
                    product.id,
                    line.quantity.value,
                    unit,
                    &date,
                    base_rate,
                )
                .await?;
            out.push(Some(priced.price_unit));
        }
        Ok(out)
    }

    /// How the order's currency converts to the company's on the order
    /// date (`None`: the same currency, or one Odoo has no rate for).
    async fn credit_currency(
        &self,
        cid: &str,
        order: &Order,
        company_code: &str,
    ) -> Result<Option<CreditCurrency>, OdooError> {
        if order.currency.code() == company_code {
            return Ok(None);
        }
        let ops = self.cached_ops(cid).await?;
        let company = o2c_odoo::company::current().map(|c| c.0);
        let day = order.order_date.format("%Y-%m-%d").to_string();
        let rates = ops
            .currency_rates(&[order.currency.code(), company_code], company, &day)
            .await?;
        let (Some(ordered), Some(home)) =
            (rates.get(order.currency.code()), rates.get(company_code))
        else {
            tracing::warn!(
                order_currency = order.currency.code(),
                "no Odoo rate for the order's currency; its amount counts unconverted toward credit"
            );
            return Ok(None);
        };
        Ok(Some(credit_currency(ordered, home)))
    }
}

/// What identifies one order's customer in Odoo.
struct CustomerKeys {
    named: Option<i64>,
    refs: Vec<String>,
    email: Option<String>,
    vat: Option<String>,
}

impl CustomerKeys {
    fn of(order: &Order) -> CustomerKeys {
        let customer = &order.customer;
        let clean = |v: Option<&str>| {
            v.map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        CustomerKeys {
            named: customer
                .external_refs
                .iter()
                .find(|r| r.system == ODOO_SYSTEM)
                .and_then(|r| r.id.parse::<i64>().ok()),
            refs: customer
                .external_refs
                .iter()
                .filter(|r| r.system != ODOO_SYSTEM && !r.id.trim().is_empty())
                .map(|r| r.id.clone())
                .collect(),
            email: clean(customer.email.as_deref()),
            vat: clean(customer.vat.as_deref()),
        }
    }

    /// The partner among `found` by the first key that matches one.
    fn pick(&self, found: &[Value]) -> Option<Partner> {
        let id_of = |r: &Value| r.get("id").and_then(Value::as_i64);
        let by = |test: &dyn Fn(&Value) -> bool| found.iter().find(|r| test(r));
        let hit = self
            .named
            .and_then(|n| by(&|r| id_of(r) == Some(n)).map(|r| (r, CustomerMatch::ErpId)))
            .or_else(|| {
                by(&|r| text(r, "ref").is_some_and(|x| self.refs.contains(&x)))
                    .map(|r| (r, CustomerMatch::Reference))
            })
            .or_else(|| {
                let email = self.email.as_deref()?;
                by(&|r| text(r, "email").is_some_and(|x| x.trim().eq_ignore_ascii_case(email)))
                    .map(|r| (r, CustomerMatch::Email))
            })
            .or_else(|| {
                let vat = self.vat.as_deref()?;
                by(&|r| text(r, "vat").as_deref() == Some(vat)).map(|r| (r, CustomerMatch::Vat))
            });
        let (r, matched_by) = hit?;
        Some(Partner {
            id: id_of(r)?,
            matched_by,
            credit_limit: Some(decimal(r, "credit_limit")).filter(|l| *l > Decimal::ZERO),
            pricelist: many2one(r, "property_product_pricelist"),
            fiscal_position: many2one(r, "property_account_position_id"),
        })
    }
}

/// Taxes by id and the fiscal positions' mappings `(position, tax) → taxes`,
/// with how the server computes them.
struct TaxBook {
    computation: TaxComputation,
    /// The company's rounding method (read for `compute_all` only).
    rounding: Rounding,
    taxes: HashMap<i64, TaxRule>,
    mappings: HashMap<(i64, i64), Vec<i64>>,
    /// Fiscal positions whose mapping could not be read.
    unmapped: std::collections::HashSet<i64>,
}

impl TaxBook {
    fn new(computation: TaxComputation) -> TaxBook {
        TaxBook {
            computation,
            rounding: Rounding::PerLine,
            taxes: HashMap::new(),
            mappings: HashMap::new(),
            unmapped: std::collections::HashSet::new(),
        }
    }

    /// Odoo's tax per line of `order` for its customer (`None`: a line
    /// without a product).
    fn for_order(
        &self,
        order: &Order,
        products: &HashMap<String, FoundProduct>,
        partner: Option<&Partner>,
    ) -> Vec<Option<LineTax>> {
        let position = partner.and_then(|p| p.fiscal_position);
        let digits = order.currency.minor_units();
        order
            .lines
            .iter()
            .map(|line| {
                let product = products.get(&line.sku)?;
                if let Some(p) = position.filter(|p| self.unmapped.contains(p)) {
                    return Some(LineTax::Unchecked(format!(
                        "the tax mapping of the customer's fiscal position {p} could not be read"
                    )));
                }
                let taxes: Vec<i64> = product
                    .taxes
                    .iter()
                    .flat_map(|t| {
                        position
                            .and_then(|p| self.mappings.get(&(p, *t)).cloned())
                            .unwrap_or_else(|| vec![*t])
                    })
                    .collect();
                let net = order.line_net(line).amount;
                let quantity = line.quantity.value;
                Some(match self.computation {
                    TaxComputation::ComputeAll => compute_all::line_tax(
                        net,
                        quantity,
                        &taxes,
                        &self.taxes,
                        digits,
                        self.rounding,
                    ),
                    TaxComputation::TaxDetails => {
                        line_tax(net, quantity, &taxes, &self.taxes, digits)
                    }
                })
            })
            .collect()
    }
}

/// A product as found by code.
pub(super) struct FoundProduct {
    id: i64,
    matched_by: ProductMatch,
    discontinued: bool,
    uom_id: Option<i64>,
    uom: Option<String>,
    taxes: Vec<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().expect("decimal")
    }

    fn percent(id: i64, amount: &str) -> TaxRule {
        tax_rule(
            id,
            &json!({"name": format!("{amount} %"), "amount_type": "percent", "amount": amount.parse::<f64>().expect("amount")}),
        )
    }

    fn found(taxes: Vec<i64>) -> HashMap<String, FoundProduct> {
        HashMap::from([(
            "A".to_owned(),
            FoundProduct {
                id: 1,
                matched_by: ProductMatch::Sku,
                discontinued: false,
                uom_id: None,
                uom: None,
                taxes,
            },
        )])
    }

    fn partner(fiscal_position: Option<i64>) -> Partner {
        Partner {
            id: 7,
            matched_by: CustomerMatch::Email,
            credit_limit: None,
            pricelist: None,
            fiscal_position,
        }
    }

    fn order() -> Order {
        serde_json::from_value(json!({
            "channel": { "kind": "edi", "account": "acme" },
            "channel_order_id": "PO-1",
            "order_date": "2026-11-27T10:00:00Z",
            "currency": "USD",
            "customer": { "name": "Acme" },
            "lines": [{ "line_id": "1", "sku": "A", "quantity": { "value": "2", "uom": "Units" }, "unit_price": "50" }]
        }))
        .expect("order")
    }

    #[test]
    fn a_tax_record_reads_with_odoos_defaults() {
        let rule = tax_rule(
            4,
            &json!({"name": "G", "amount_type": "group", "amount": 0.0, "children_tax_ids": [5, 6], "sequence": 3}),
        );
        assert_eq!(rule.children, vec![5, 6]);
        assert_eq!(rule.sequence, 3);
        // `is_base_affected` defaults to true in Odoo
        assert!(rule.is_base_affected && !rule.include_base_amount && !rule.price_include);
    }

    #[test]
    fn each_version_computes_as_its_odoo() {
        // two price-excluded division taxes of 10 % on the order's 100:
        // each alone in 16/17's `compute_all`, one batch in 18's
        // `_get_tax_details`
        let division = |id: i64| {
            tax_rule(
                id,
                &json!({"name": "D", "amount_type": "division", "amount": 10.0, "sequence": id}),
            )
        };
        let products = found(vec![1, 2]);
        let o = order();
        for (computation, expected) in [
            (TaxComputation::ComputeAll, "22.22"),
            (TaxComputation::TaxDetails, "25.00"),
        ] {
            let mut book = TaxBook::new(computation);
            book.taxes.insert(1, division(1));
            book.taxes.insert(2, division(2));
            assert_eq!(
                book.for_order(&o, &products, None),
                vec![Some(LineTax::Computed(d(expected)))],
                "{computation:?}"
            );
        }
    }

    #[test]
    fn repartition_lines_are_asked_as_each_version_links_them() {
        let (domain, field) = repartition_query(16, &[3]);
        assert_eq!(field, "invoice_tax_id");
        assert_eq!(domain[0][0], json!(["invoice_tax_id", "in", [3]]));
        let (domain, field) = repartition_query(19, &[3]);
        assert_eq!(field, "tax_id");
        assert!(domain[0].as_array().is_some_and(|d| d.contains(&json!([
            "document_type",
            "=",
            "invoice"
        ]))));
        let lines = [
            json!({"id": 8, "tax_id": [3, "RC"], "factor_percent": 100.0}),
            json!({"id": 9, "tax_id": [3, "RC"], "factor_percent": -100.0}),
        ];
        assert_eq!(
            factors_by_tax(&lines, "tax_id").get(&3),
            Some(&vec![Decimal::ONE, Decimal::NEGATIVE_ONE])
        );
    }

    #[test]
    fn a_reverse_charge_tax_is_no_tax_in_either_computation() {
        let products = found(vec![1]);
        let o = order();
        for computation in [TaxComputation::ComputeAll, TaxComputation::TaxDetails] {
            let mut book = TaxBook::new(computation);
            let mut reverse = percent(1, "21");
            reverse.factors = Some(vec![Decimal::ONE, Decimal::NEGATIVE_ONE]);
            book.taxes.insert(1, reverse);
            assert_eq!(
                book.for_order(&o, &products, None),
                vec![Some(LineTax::Computed(d("0")))],
                "{computation:?}"
            );
        }
    }

    #[test]
    fn the_fiscal_position_maps_the_products_taxes() {
        for computation in [TaxComputation::ComputeAll, TaxComputation::TaxDetails] {
            maps_the_products_taxes(computation);
        }
    }

    fn maps_the_products_taxes(computation: TaxComputation) {
        let mut book = TaxBook::new(computation);
        book.taxes.insert(1, percent(1, "15"));
        book.taxes.insert(2, percent(2, "5"));
        // position 9: 15 % becomes 5 %; position 10: 15 % is dropped (export)
        book.mappings.insert((9, 1), vec![2]);
        book.mappings.insert((10, 1), vec![]);
        let products = found(vec![1]);
        let o = order();
        let computed = |v: &str| vec![Some(LineTax::Computed(d(v)))];
        assert_eq!(book.for_order(&o, &products, None), computed("15.00"));
        assert_eq!(
            book.for_order(&o, &products, Some(&partner(Some(9)))),
            computed("5.00")
        );
        assert_eq!(
            book.for_order(&o, &products, Some(&partner(Some(10)))),
            computed("0")
        );
        // An unreadable mapping: not computed, and the line says why.
        book.unmapped.insert(11);
        assert!(matches!(
            &book.for_order(&o, &products, Some(&partner(Some(11))))[0],
            Some(LineTax::Unchecked(why)) if why.contains("fiscal position 11")
        ));
    }
}
