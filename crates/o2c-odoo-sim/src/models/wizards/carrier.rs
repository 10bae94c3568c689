//! `choose.delivery.carrier` (delivery/wizard/choose_delivery_carrier.py):
//! `button_confirm` sets the order's carrier and adds the shipping line
//! (`is_delivery`) at `delivery_price`; it returns None.

use serde_json::{Map, Value, json};

use crate::OdooVersion;
use crate::fault::Fault;
use crate::orm::Env;

use crate::models::pricing::{product_taxes, sol_tax_field};
use crate::models::util::{find, rec, string, touch, vals};
use crate::models::{Hooks, ids_arg, m2o, num};

pub struct ChooseCarrier;

impl Hooks for ChooseCarrier {
    fn defaults(&self, env: &mut Env, v: &mut Map<String, Value>) -> Result<(), Fault> {
        if let Some(o) = v.get("order_id").and_then(Value::as_i64) {
            let order = rec(env, "sale.order", o);
            v.entry("partner_id")
                .or_insert(json!(m2o(&order, "partner_id")));
            v.entry("currency_id")
                .or_insert(json!(m2o(&order, "currency_id")));
            v.entry("company_id")
                .or_insert(json!(m2o(&order, "company_id")));
        }
        crate::models::util::retain_known(env, "choose.delivery.carrier", v);
        Ok(())
    }

    fn methods(&self, _version: OdooVersion) -> &'static [&'static str] {
        &["button_confirm"]
    }

    fn call(
        &self,
        env: &mut Env,
        _m: &str,
        args: &[Value],
        _k: &Map<String, Value>,
    ) -> Result<Option<Value>, Fault> {
        let ids = ids_arg(args.first());
        env.check_exist("choose.delivery.carrier", &ids)?;
        for w in ids {
            let wiz = rec(env, "choose.delivery.carrier", w);
            let (Some(order), Some(carrier)) = (m2o(&wiz, "order_id"), m2o(&wiz, "carrier_id"))
            else {
                continue;
            };
            // remove a previous shipping line, as `_remove_delivery_line` does
            let old = find(env, "sale.order.line", |r| {
                m2o(r, "order_id") == Some(order) && r.get("is_delivery") == Some(&json!(true))
            });
            if !old.is_empty() {
                env.unlink("sale.order.line", &old)?;
            }
            touch(env, "sale.order", order, json!({"carrier_id": carrier}));
            let product = m2o(&rec(env, "delivery.carrier", carrier), "product_id");
            let mut line = vals(json!({
                "order_id": order,
                "product_id": product,
                "name": string(env, "delivery.carrier", carrier, "name"),
                "product_uom_qty": 1.0,
                "price_unit": num(&wiz, "delivery_price"),
                "is_delivery": true,
                "sequence": 100,
            }));
            let taxes = product.map(|p| product_taxes(env, p)).unwrap_or_default();
            line.insert(sol_tax_field(env.version).into(), json!([[6, 0, taxes]]));
            crate::models::util::create(env, "sale.order.line", line)?;
        }
        Ok(None)
    }
}
