//! Sample canonical orders for the demo and the benchmarks, built from the
//! target Odoo's own customers and products, deterministic for a seed.

use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

/// A customer the samples may use.
#[derive(Debug, Clone)]
pub struct SampleCustomer {
    pub odoo_id: Option<i64>,
    pub name: String,
    pub email: Option<String>,
    /// Where to deliver: street, city, postal code, ISO country code.
    pub address: Option<SampleAddress>,
}

#[derive(Debug, Clone)]
pub struct SampleAddress {
    pub street: String,
    pub city: String,
    pub postal_code: String,
    pub country: String,
}

/// A product the samples may use.
#[derive(Debug, Clone)]
pub struct SampleProduct {
    pub sku: String,
    /// Decimal text, e.g. "25.00".
    pub price: String,
}

pub struct SampleOrders {
    rng: StdRng,
    customers: Vec<SampleCustomer>,
    products: Vec<SampleProduct>,
    run: String,
    currency: String,
}

impl SampleOrders {
    pub fn new(
        seed: u64,
        run: &str,
        currency: &str,
        customers: Vec<SampleCustomer>,
        products: Vec<SampleProduct>,
    ) -> Self {
        Self {
            rng: StdRng::seed_from_u64(seed),
            customers,
            products,
            run: run.to_owned(),
            currency: currency.to_owned(),
        }
    }

    /// The n-th sample order as canonical JSON, or None without customers or products.
    pub fn order(&mut self, n: usize, now: DateTime<Utc>) -> Option<Value> {
        if self.customers.is_empty() || self.products.is_empty() {
            return None;
        }
        let customer = &self.customers[self.rng.random_range(0..self.customers.len())];
        let line_count = self.rng.random_range(1..=4usize).min(self.products.len());
        let mut lines = Vec::with_capacity(line_count);
        let mut used = Vec::new();
        while lines.len() < line_count {
            let index = self.rng.random_range(0..self.products.len());
            if used.contains(&index) {
                continue;
            }
            used.push(index);
            let product = &self.products[index];
            lines.push(json!({
                "line_id": format!("{}", lines.len() + 1),
                "sku": product.sku,
                "quantity": { "value": self.rng.random_range(1..=10u32).to_string(), "uom": "Units" },
                "unit_price": product.price,
            }));
        }
        let mut external_refs = Vec::new();
        if let Some(id) = customer.odoo_id {
            external_refs.push(json!({ "system": "odoo", "id": id.to_string() }));
        }
        let mut party = json!({ "name": customer.name, "external_refs": external_refs });
        if let Some(email) = &customer.email {
            party["email"] = json!(email);
        }
        let mut order = json!({
            "channel": { "kind": "rest", "account": "demo" },
            "channel_order_id": format!("DEMO-{}-{:05}", self.run, n),
            "order_date": now.to_rfc3339(),
            "currency": self.currency,
            "customer": party,
            "lines": lines,
        });
        if let Some(a) = &customer.address {
            order["ship_to"] = json!({
                "name": customer.name,
                "street_lines": [a.street],
                "city": a.city,
                "postal_code": a.postal_code,
                "country": a.country,
            });
        }
        Some(order)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> SampleOrders {
        SampleOrders::new(
            7,
            "t",
            "USD",
            vec![SampleCustomer {
                odoo_id: Some(43),
                name: "Acme".into(),
                email: Some("a@acme.test".into()),
                address: Some(SampleAddress {
                    street: "1 Main St".into(),
                    city: "Springfield".into(),
                    postal_code: "62701".into(),
                    country: "US".into(),
                }),
            }],
            vec![
                SampleProduct {
                    sku: "SKU-1".into(),
                    price: "25.00".into(),
                },
                SampleProduct {
                    sku: "SKU-2".into(),
                    price: "4.50".into(),
                },
            ],
        )
    }

    #[test]
    fn orders_are_canonical_and_deterministic() {
        let now = Utc::now();
        let a = fixture().order(1, now).expect("order");
        let b = fixture().order(1, now).expect("order");
        assert_eq!(a, b);
        let order: o2c_model::Order = serde_json::from_value(a).expect("canonical order");
        assert!(order.validate().is_ok());
        assert_eq!(order.channel_order_id, "DEMO-t-00001");
    }

    #[test]
    fn no_catalogue_no_orders() {
        let mut samples = SampleOrders::new(1, "t", "USD", vec![], vec![]);
        assert!(samples.order(1, Utc::now()).is_none());
    }
}
