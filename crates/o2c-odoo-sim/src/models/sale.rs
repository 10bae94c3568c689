//! sale.order and sale.order.line: sequence, defaults from partner/product,
//! amounts from lines, the confirm/cancel state machine per version.

use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Map, Value, json};

use crate::OdooVersion;
use crate::fault::Fault;
use crate::orm::{Env, Record};

use super::util::vals;
use super::{Hooks, ids_arg, m2o, num, text};

const SO: &str = "sale.order";
const SOL: &str = "sale.order.line";

fn dec(x: f64) -> Decimal {
    Decimal::from_f64(x).unwrap_or_default()
}

fn money(d: Decimal) -> Value {
    let r = d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    json!(r.to_f64().unwrap_or(0.0))
}

fn line_ids(env: &Env, order: i64) -> Vec<i64> {
    super::util::children(env, SOL, "order_id", order)
}

/// Recomputes the stored amounts of lines.
fn compute_lines(env: &mut Env, ids: &[i64]) {
    for id in ids {
        let Some(rec) = env.record(SOL, *id) else {
            continue;
        };
        let qty = dec(num(rec, "product_uom_qty"));
        let price = dec(num(rec, "price_unit"));
        let disc = dec(num(rec, "discount"));
        let subtotal = (price * qty * (Decimal::ONE - disc / Decimal::ONE_HUNDRED))
            .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
        let taxes = super::util::id_list(rec, super::pricing::sol_tax_field(env.version));
        let tax = super::pricing::tax_amount(env, &taxes, subtotal);
        let mut v = Map::new();
        v.insert("price_subtotal".into(), money(subtotal));
        v.insert("price_tax".into(), money(tax));
        v.insert("price_total".into(), money(subtotal + tax));
        let reduce = if qty.is_zero() {
            Decimal::ZERO
        } else {
            subtotal / qty
        };
        v.insert("price_reduce_taxexcl".into(), money(reduce));
        let taxinc = if qty.is_zero() {
            Decimal::ZERO
        } else {
            (subtotal + tax) / qty
        };
        v.insert("price_reduce_taxinc".into(), money(taxinc));
        env.set_raw(SOL, *id, v);
    }
}

/// Recomputes an order's amounts; `touch` bumps its write_date (a line
/// change rewrites the order's stored computes in Odoo).
fn compute_order(env: &mut Env, order: i64, touch: bool) {
    if !env.exists(SO, order) {
        return;
    }
    let lines = line_ids(env, order);
    let (mut untaxed, mut tax) = (Decimal::ZERO, Decimal::ZERO);
    for l in &lines {
        if let Some(r) = env.record(SOL, *l) {
            untaxed += dec(num(r, "price_subtotal"));
            tax += dec(num(r, "price_tax"));
        }
    }
    let mut v = Map::new();
    v.insert("amount_untaxed".into(), money(untaxed));
    v.insert("amount_tax".into(), money(tax));
    v.insert("amount_total".into(), money(untaxed + tax));
    if touch {
        v.insert("write_date".into(), json!(env.now));
        v.insert("write_uid".into(), json!(env.uid));
    }
    env.set_raw(SO, order, v);
}

fn order_names(env: &Env, ids: &[i64]) -> Vec<String> {
    ids.iter().map(|i| env.display_name(SO, *i)).collect()
}

fn states(env: &Env, ids: &[i64]) -> Vec<String> {
    ids.iter()
        .map(|i| {
            env.record(SO, *i)
                .and_then(|r| text(r, "state"))
                .unwrap_or("draft")
                .to_string()
        })
        .collect()
}

fn set_state(env: &mut Env, ids: &[i64], state: &str, extra: Map<String, Value>) {
    for id in ids {
        let mut v = extra.clone();
        v.insert("state".into(), json!(state));
        v.insert("write_date".into(), json!(env.now));
        v.insert("write_uid".into(), json!(env.uid));
        env.set_raw(SO, *id, v);
        for l in line_ids(env, *id) {
            let mut lv = Map::new();
            lv.insert("state".into(), json!(state));
            env.set_raw(SOL, l, lv);
        }
    }
}

/// Confirms orders as `sale` does while `sale_stock` is not installed: no
/// delivery (Odoo's demo data confirms sale's demo orders before
/// sale_stock installs; `seed::odoo_demo_orders`).
pub fn confirm_without_delivery(env: &mut Env, ids: &[i64]) {
    let mut extra = Map::new();
    extra.insert("date_order".into(), json!(env.now_display()));
    set_state(env, ids, "sale", extra);
    for id in ids {
        super::sale_status::recompute(env, *id, true);
    }
}

pub struct SaleOrder;

impl SaleOrder {
    fn action_confirm(env: &mut Env, ids: &[i64]) -> Result<Option<Value>, Fault> {
        env.check_exist(SO, ids)?;
        let st = states(env, ids);
        match env.version {
            OdooVersion::V16 => {
                if st.iter().any(|s| s == "done" || s == "cancel") {
                    return Err(Fault::user(
                        "It is not allowed to confirm an order in the following states: done, cancel",
                    ));
                }
            }
            OdooVersion::V17 => {
                let bad: Vec<i64> = ids
                    .iter()
                    .zip(&st)
                    .filter(|(_, s)| *s != "draft" && *s != "sent")
                    .map(|(i, _)| *i)
                    .collect();
                if !bad.is_empty() {
                    return Err(Fault::user(format!(
                        "The following orders are not in a state requiring confirmation: {}",
                        order_names(env, &bad).join(", ")
                    )));
                }
            }
            _ => {
                if st.iter().any(|s| s != "draft" && s != "sent") {
                    return Err(Fault::user(
                        "Some orders are not in a state requiring confirmation.",
                    ));
                }
            }
        }
        let mut extra = Map::new();
        extra.insert("date_order".into(), json!(env.now_display()));
        set_state(env, ids, "sale", extra);
        for id in ids {
            super::stock_ops::procure(env, *id)?;
            super::sale_status::recompute(env, *id, true);
        }
        Ok(Some(json!(true)))
    }

    fn action_cancel(env: &mut Env, ids: &[i64]) -> Result<Option<Value>, Fault> {
        env.check_exist(SO, ids)?;
        let st = states(env, ids);
        if env.version == OdooVersion::V16 && st.iter().any(|s| s == "done") {
            return Err(Fault::user(
                "You cannot cancel a locked order. Please unlock it first.",
            ));
        }
        if env.version >= OdooVersion::V17
            && ids
                .iter()
                .any(|i| env.record(SO, *i).and_then(|r| r.get("locked")) == Some(&json!(true)))
        {
            return Err(Fault::user(
                "You cannot cancel a locked order. Please unlock it first.",
            ));
        }
        let disable = env
            .context
            .get("disable_cancel_warning")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        // 19 cancels at once; 16-18 open the sale.order.cancel wizard
        if !disable
            && env.version <= OdooVersion::V18
            && st.iter().any(|s| s != "draft" && s != "cancel")
        {
            // a confirmed order opens the cancel wizard and cancels nothing
            let id = ids.first().copied().unwrap_or(0);
            // sale/models/sale_order.py `_action_cancel`-wizard context: 16
            // adds `default_use_template`; the template is
            // sale.mail_template_sale_cancellation (id 14 on every recording)
            let mut ctx = vals(json!({
                "default_template_id": 14,
                "default_order_id": id,
                "mark_so_as_canceled": true,
                "default_email_layout_xmlid": "mail.mail_notification_layout_with_responsible_signature",
                "model_description": "Sales Order",
            }));
            if env.version == OdooVersion::V16 {
                ctx.insert("default_use_template".into(), json!(true));
            }
            return Ok(Some(json!({
                "name": "Cancel Sales Order",
                "view_mode": "form",
                "res_model": "sale.order.cancel",
                "view_id": super::views::wizard_form(env.version, "sale.order.cancel"),
                "type": "ir.actions.act_window",
                "context": ctx,
                "target": "new",
            })));
        }
        Self::do_cancel(env, ids)?;
        Ok(Some(json!(true)))
    }

    /// sale `_action_cancel` + sale_stock: draft invoices are cancelled, the
    /// pickings not done yet too; done deliveries and posted invoices stay.
    fn do_cancel(env: &mut Env, ids: &[i64]) -> Result<(), Fault> {
        set_state(env, ids, "cancel", Map::new());
        for id in ids {
            let invoices = super::util::id_list(&super::util::rec(env, SO, *id), "invoice_ids");
            for inv in invoices {
                if super::util::string(env, "account.move", inv, "state") == "draft" {
                    super::util::touch(env, "account.move", inv, json!({"state": "cancel"}));
                }
            }
            let picks = super::util::children(env, "stock.picking", "sale_id", *id);
            super::stock_ops::cancel_pickings(env, &picks)?;
            super::sale_status::recompute(env, *id, true);
        }
        Ok(())
    }

    fn action_draft(env: &mut Env, ids: &[i64]) -> Result<Option<Value>, Fault> {
        env.check_exist(SO, ids)?;
        let ok: Vec<i64> = ids
            .iter()
            .copied()
            .zip(states(env, ids))
            .filter(|(_, s)| s == "cancel" || s == "sent")
            .map(|(i, _)| i)
            .collect();
        set_state(env, &ok, "draft", Map::new());
        Ok(Some(json!(true)))
    }
}

impl Hooks for SaleOrder {
    fn computed(&self, field: &str) -> bool {
        matches!(
            field,
            "partner_invoice_id"
                | "partner_shipping_id"
                | "pricelist_id"
                | "warehouse_id"
                | "currency_rate"
        ) || field.starts_with("amount_")
    }

    fn compute(&self, env: &Env, _id: i64, rec: &Record, field: &str) -> Option<Value> {
        // `_compute_currency_rate`: the order currency's rate on its date
        (field == "currency_rate").then(|| {
            json!(super::currency::order_rate(
                env,
                m2o(rec, "currency_id"),
                m2o(rec, "company_id"),
                text(rec, "date_order").unwrap_or_default(),
            ))
        })
    }

    fn defaults(&self, env: &mut Env, vals: &mut Map<String, Value>) -> Result<(), Fault> {
        let name_missing = match vals.get("name") {
            None | Some(Value::Null) | Some(Value::Bool(false)) => true,
            Some(Value::String(s)) => s.is_empty() || s == "/" || s == "New",
            _ => false,
        };
        if name_missing {
            let n = env.next_sequence("sale.order");
            vals.insert("name".into(), json!(format!("S{n:05}")));
        }
        vals.entry("state").or_insert(json!("draft"));
        vals.entry("date_order").or_insert(json!(env.now_display()));
        // odoo/models.py `_default_company_id`: `self.env.company`, the
        // first of the context's `allowed_company_ids`, else the user's.
        let company = env
            .context
            .get("allowed_company_ids")
            .and_then(Value::as_array)
            .and_then(|ids| ids.first())
            .and_then(Value::as_i64)
            .filter(|c| env.exists("res.company", *c))
            .or_else(|| env.exists("res.company", 1).then_some(1));
        if let Some(company) = company {
            vals.entry("company_id").or_insert(json!(company));
        }
        if let Some(c) = vals.get("company_id").and_then(Value::as_i64)
            && let Some(cur) = env
                .record("res.company", c)
                .and_then(|r| m2o(r, "currency_id"))
        {
            vals.entry("currency_id").or_insert(json!(cur));
        }
        // defaults come from the order's company or are shared ones
        // (`_check_company` refuses another company's)
        let order_company = vals.get("company_id").and_then(Value::as_i64);
        let fits = |env: &Env, model: &str, id: i64| {
            env.record(model, id)
                .is_some_and(|r| m2o(r, "company_id").is_none_or(|c| Some(c) == order_company))
        };
        if let Some(p) = vals.get("partner_id").and_then(Value::as_i64)
            && env.exists("res.partner", p)
        {
            let adr = super::partner::address_get(env, p, &["delivery", "invoice"]);
            vals.entry("partner_invoice_id")
                .or_insert(json!(adr.get("invoice").copied().unwrap_or(p)));
            vals.entry("partner_shipping_id")
                .or_insert(json!(adr.get("delivery").copied().unwrap_or(p)));
            let partner = super::util::rec(env, "res.partner", p);
            if let Some(t) = m2o(&partner, "property_payment_term_id")
                .filter(|t| fits(env, "account.payment.term", *t))
            {
                vals.entry("payment_term_id").or_insert(json!(t));
            }
            // 19's demo has the pricelist feature off: no partner pricelist
            if env.version <= OdooVersion::V18
                && let Some(pl) = m2o(&partner, "property_product_pricelist")
                    .filter(|pl| fits(env, "product.pricelist", *pl))
                    .or_else(|| {
                        super::util::find(env, "product.pricelist", |r| {
                            m2o(r, "company_id").is_none_or(|c| Some(c) == order_company)
                        })
                        .first()
                        .copied()
                    })
            {
                vals.entry("pricelist_id").or_insert(json!(pl));
            }
        }
        // the order's currency is its pricelist's (16 `related`, 17+
        // `_compute_currency_id`)
        if let Some(cur) = vals
            .get("pricelist_id")
            .and_then(Value::as_i64)
            .and_then(|pl| super::util::many2one(env, "product.pricelist", pl, "currency_id"))
        {
            vals.insert("currency_id".into(), json!(cur));
        }
        // sale_stock `_default_warehouse_id`: the company's first warehouse
        if let Some(wh) = super::util::find(env, "stock.warehouse", |r| {
            m2o(r, "company_id") == order_company
        })
        .first()
        {
            vals.entry("warehouse_id").or_insert(json!(*wh));
        }
        vals.entry("user_id").or_insert(json!(env.uid));
        vals.entry("picking_policy").or_insert(json!("direct"));
        vals.entry("invoice_status").or_insert(json!("no"));
        Ok(())
    }

    fn after_create(&self, env: &mut Env, id: i64) -> Result<(), Fault> {
        compute_order(env, id, false);
        Ok(())
    }

    fn after_write(&self, env: &mut Env, ids: &[i64], fields: &[String]) -> Result<(), Fault> {
        if fields.iter().any(|f| f == "partner_id") {
            for id in ids {
                let p = env.record(SO, *id).and_then(|r| m2o(r, "partner_id"));
                if let Some(p) = p {
                    let mut v = Map::new();
                    if !fields.iter().any(|f| f == "partner_invoice_id") {
                        v.insert("partner_invoice_id".into(), json!(p));
                    }
                    if !fields.iter().any(|f| f == "partner_shipping_id") {
                        v.insert("partner_shipping_id".into(), json!(p));
                    }
                    env.set_raw(SO, *id, v);
                }
            }
        }
        for id in ids {
            compute_order(env, *id, false);
        }
        Ok(())
    }

    fn before_unlink(&self, env: &mut Env, ids: &[i64]) -> Result<(), Fault> {
        if states(env, ids)
            .iter()
            .any(|s| s != "draft" && s != "cancel")
        {
            return Err(Fault::user(
                "You can not delete a sent quotation or a confirmed sales order. You must first cancel it.",
            ));
        }
        Ok(())
    }

    fn methods(&self, _version: OdooVersion) -> &'static [&'static str] {
        &["action_confirm", "action_cancel", "action_draft"]
    }

    fn call(
        &self,
        env: &mut Env,
        method: &str,
        args: &[Value],
        _kwargs: &Map<String, Value>,
    ) -> Result<Option<Value>, Fault> {
        let ids = ids_arg(args.first());
        match method {
            "action_confirm" => Self::action_confirm(env, &ids),
            "action_cancel" => Self::action_cancel(env, &ids),
            "action_draft" => Self::action_draft(env, &ids),
            other => Err(Fault::unknown_method(SO, other)),
        }
    }
}

pub struct SaleOrderLine;

impl Hooks for SaleOrderLine {
    fn display_name(&self, env: &Env, _id: i64, rec: &Record) -> Option<String> {
        let order = m2o(rec, "order_id")
            .map(|o| env.display_name(SO, o))
            .unwrap_or_default();
        let name = text(rec, "name")
            .and_then(|n| n.lines().next())
            .unwrap_or_default();
        // sale_order_line.py `_compute_display_name`: the customer's ref in brackets
        let partner_ref = m2o(rec, "order_partner_id")
            .and_then(|p| env.record("res.partner", p))
            .and_then(|p| text(p, "ref"))
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        Some(format!("{order} - {name}{partner_ref}"))
    }

    fn defaults(&self, env: &mut Env, vals: &mut Map<String, Value>) -> Result<(), Fault> {
        // a line of a quotation is `no` until the order is confirmed
        // (sale_order_line.py `_compute_invoice_status`)
        vals.entry("invoice_status").or_insert(json!("no"));
        let product = vals
            .get("product_id")
            .and_then(Value::as_i64)
            .and_then(|p| env.record("product.product", p).map(|r| (p, r.clone())));
        let order_rec = vals
            .get("order_id")
            .and_then(Value::as_i64)
            .and_then(|o| env.record(SO, o).cloned());
        if let Some((pid, p)) = &product {
            vals.entry("name")
                .or_insert(json!(env.display_name("product.product", *pid)));
            if let Some(u) = m2o(p, "uom_id") {
                vals.entry(super::pricing::sol_uom_field(env.version))
                    .or_insert(json!(u));
            }
            if !vals.contains_key("price_unit") {
                let qty = vals
                    .get("product_uom_qty")
                    .and_then(Value::as_f64)
                    .unwrap_or(1.0);
                // the rules match the quantity in the product's unit, and the
                // price is per line unit (`_compute_price` of the rule's price)
                let line_uom = vals
                    .get(super::pricing::sol_uom_field(env.version))
                    .and_then(Value::as_i64);
                let ratio = match (line_uom, m2o(p, "uom_id")) {
                    (Some(l), Some(u)) => super::uom::ratio(env, l, u),
                    _ => 1.0,
                };
                let pricelist = order_rec.as_ref().and_then(|o| m2o(o, "pricelist_id"));
                let date = order_rec
                    .as_ref()
                    .and_then(|o| text(o, "date_order").map(str::to_string))
                    .unwrap_or_else(|| env.now_display());
                let (price, item) = match pricelist {
                    Some(pl) => {
                        let (p, i) = super::pricing::pricelist_price(
                            env,
                            pl,
                            *pid,
                            super::util::dec(qty * ratio),
                            &date,
                        );
                        (super::util::f(p), i)
                    }
                    None => (num(p, "list_price"), None),
                };
                vals.insert("price_unit".into(), json!(price * ratio));
                if let Some(i) = item {
                    vals.insert("pricelist_item_id".into(), json!(i));
                }
            }
            let tax_field = super::pricing::sol_tax_field(env.version);
            if !vals.contains_key(tax_field) {
                let taxes = super::pricing::product_taxes(env, *pid);
                vals.insert(tax_field.into(), json!([[6, 0, taxes]]));
            }
        }
        vals.entry("product_uom_qty").or_insert(json!(1.0));
        vals.entry("discount").or_insert(json!(0.0));
        vals.entry("sequence").or_insert(json!(10));
        vals.entry("customer_lead").or_insert(json!(0.0));
        vals.entry("price_unit").or_insert(json!(0.0));
        let order = vals
            .get("order_id")
            .and_then(Value::as_i64)
            .and_then(|o| env.record(SO, o).cloned());
        if let Some(o) = order {
            vals.entry("state")
                .or_insert(json!(text(&o, "state").unwrap_or("draft")));
            for (from, to) in [
                ("currency_id", "currency_id"),
                ("company_id", "company_id"),
                ("partner_id", "order_partner_id"),
                ("user_id", "salesman_id"),
            ] {
                if let Some(v) = m2o(&o, from) {
                    vals.entry(to).or_insert(json!(v));
                }
            }
        }
        Ok(())
    }

    fn after_create(&self, env: &mut Env, id: i64) -> Result<(), Fault> {
        compute_lines(env, &[id]);
        if let Some(o) = env.record(SOL, id).and_then(|r| m2o(r, "order_id")) {
            compute_order(env, o, true);
        }
        Ok(())
    }

    fn after_write(&self, env: &mut Env, ids: &[i64], _fields: &[String]) -> Result<(), Fault> {
        compute_lines(env, ids);
        let mut orders: Vec<i64> = ids
            .iter()
            .filter_map(|i| env.record(SOL, *i).and_then(|r| m2o(r, "order_id")))
            .collect();
        orders.sort_unstable();
        orders.dedup();
        for o in orders {
            compute_order(env, o, true);
        }
        Ok(())
    }

    fn before_unlink(&self, env: &mut Env, ids: &[i64]) -> Result<(), Fault> {
        let confirmed = ids.iter().any(|i| {
            env.record(SOL, *i)
                .and_then(|r| text(r, "state"))
                .is_some_and(|s| s == "sale" || s == "done")
        });
        if confirmed {
            return Err(Fault::user(
                "You can not remove an order line once the sales order is confirmed.\nYou should rather set the quantity to 0.",
            ));
        }
        Ok(())
    }

    fn after_unlink(&self, env: &mut Env, removed: &[(i64, Record)]) -> Result<(), Fault> {
        let mut orders: Vec<i64> = removed
            .iter()
            .filter_map(|(_, r)| m2o(r, "order_id"))
            .collect();
        orders.sort_unstable();
        orders.dedup();
        for o in orders {
            compute_order(env, o, true);
        }
        Ok(())
    }
}
