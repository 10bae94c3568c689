//! Deterministic seed data: the base records every database has, and the
//! `demo` customers and products.

use serde_json::{Map, Value, json};

use crate::fault::Fault;
use crate::orm::Env;

mod master;
mod odoo_demo;

pub use odoo_demo::{DemoSchedule, odoo_demo_orders};

/// A tiny fixed-seed generator (xorshift64*), so demo data never changes.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn vals(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// `v` plus the values that make a product storable on the env's version
/// (`detailed_type: product` on 16–17, `type: consu` + `is_storable` on 18+).
fn storable(env: &Env, v: Value) -> Value {
    let mut m = vals(v);
    m.extend(crate::models::product::storable_values(env.version));
    Value::Object(m)
}

fn country_name(code: &isocountry::CountryCode) -> String {
    match code.alpha2() {
        "US" => "United States".into(),
        "GB" => "United Kingdom".into(),
        "RU" => "Russian Federation".into(),
        "KR" => "South Korea".into(),
        "TW" => "Taiwan".into(),
        "VN" => "Vietnam".into(),
        "BO" => "Bolivia".into(),
        "IR" => "Iran".into(),
        "VE" => "Venezuela".into(),
        "TZ" => "Tanzania".into(),
        "NL" => "Netherlands".into(),
        _ => code.name().to_string(),
    }
}

/// Records every database has: currencies, countries, units, the company,
/// The units of Odoo's `uom` data (uom/data/uom_data.xml): ids 1–4 are
/// Units, Dozens, kg and g as on the recorded servers (`uom.uom.read` of
/// id 1 answers "Units"). 16–18 group them in categories; 19 relates them
/// by `relative_uom_id`.
fn units(env: &mut Env) -> Result<(), Fault> {
    if env.version >= crate::OdooVersion::V19 {
        for v in [
            json!({"name": "Units", "relative_factor": 1.0}),
            json!({"name": "Dozens", "relative_factor": 12.0, "relative_uom_id": 1}),
            json!({"name": "kg", "relative_factor": 1.0}),
            json!({"name": "g", "relative_factor": 0.001, "relative_uom_id": 3}),
        ] {
            env.create("uom.uom", vals(v))?;
        }
        return Ok(());
    }
    env.create("uom.category", vals(json!({"name": "Unit"})))?;
    env.create("uom.category", vals(json!({"name": "Weight"})))?;
    for v in [
        json!({"name": "Units", "category_id": 1, "uom_type": "reference", "factor": 1.0, "rounding": 0.01}),
        json!({"name": "Dozens", "category_id": 1, "uom_type": "bigger", "factor": 0.08333333333333333, "rounding": 0.01}),
        json!({"name": "kg", "category_id": 2, "uom_type": "reference", "factor": 1.0, "rounding": 0.01}),
        json!({"name": "g", "category_id": 2, "uom_type": "smaller", "factor": 1000.0, "rounding": 0.01}),
    ] {
        env.create("uom.uom", vals(v))?;
    }
    Ok(())
}

/// A second currency with rates, as a distributor selling abroad has: EUR
/// against the company's USD, in Odoo's convention (EUR per 1 USD), dated
/// so an order of late 2026 takes the November rate and an older one the
/// January rate.
fn euro_rates(env: &mut Env) -> Result<(), Fault> {
    let Some(eur) = env
        .search(
            "res.currency",
            &json!([["name", "=", "EUR"]]),
            0,
            Some(1),
            None,
        )?
        .first()
        .copied()
    else {
        return Ok(());
    };
    for (day, rate) in [("2026-01-01", 0.95), ("2026-11-01", 0.92)] {
        env.create(
            "res.currency.rate",
            vals(json!({"name": day, "rate": rate, "currency_id": eur, "company_id": 1})),
        )?;
    }
    Ok(())
}

/// OdooBot (uid 1) and the admin (uid 2).
pub fn base(env: &mut Env, login: &str) -> Result<(), Fault> {
    env.create(
        "res.currency",
        vals(json!({"name": "EUR", "full_name": "Euro", "symbol": "€", "rounding": 0.01, "decimal_places": 2, "position": "after"})),
    )?;
    env.create(
        "res.currency",
        vals(json!({"name": "USD", "full_name": "United States dollar", "symbol": "$", "rounding": 0.01, "decimal_places": 2, "position": "before"})),
    )?;
    let mut codes: Vec<&isocountry::CountryCode> = isocountry::CountryCode::iter().collect();
    codes.sort_by_key(|c| c.alpha2());
    for c in codes {
        let mut v = vals(json!({"name": country_name(c), "code": c.alpha2()}));
        if c.alpha2() == "US" {
            v.insert("currency_id".into(), json!(2));
        }
        env.create("res.country", v)?;
    }
    // product/data/product_data.xml `product_category_all`: the default
    // category of every product
    env.create("product.category", vals(json!({"name": "All"})))?;
    units(env)?;
    let us = env
        .search(
            "res.country",
            &json!([["code", "=", "US"]]),
            0,
            Some(1),
            None,
        )?
        .first()
        .copied();
    if let Some(us) = us {
        // the US states of base/data/res.country.state.csv (the recorded
        // lookups resolve state codes of the US)
        for (code, name) in US_STATES {
            env.create(
                "res.country.state",
                vals(json!({"name": name, "code": code, "country_id": us})),
            )?;
        }
    }
    env.create(
        "res.partner",
        vals(json!({"name": "My Company (San Francisco)", "is_company": true, "country_id": us, "city": "San Francisco", "zip": "94134", "street": "250 Executive Park Blvd, Suite 3400", "email": "info@yourcompany.com"})),
    )?;
    env.create(
        "res.partner",
        vals(json!({"name": "OdooBot", "email": "odoobot@example.com"})),
    )?;
    env.create(
        "res.partner",
        vals(json!({"name": "Mitchell Admin", "email": "admin@yourcompany.example.com"})),
    )?;
    env.create(
        "res.company",
        vals(json!({"name": "My Company (San Francisco)", "partner_id": 1, "currency_id": 2, "country_id": us, "sequence": 0,
        "tax_calculation_rounding_method": "round_per_line"})),
    )?;
    groups(env)?;
    let admin_groups: Vec<i64> = crate::access::ADMIN_GROUPS
        .iter()
        .filter_map(|x| crate::access::group_id(env, x))
        .collect();
    let field = crate::access::groups_field(env.version);
    env.create(
        "res.users",
        vals(json!({"name": "OdooBot", "login": "__system__", "partner_id": 2, "company_id": 1, "active": false, field: [[6, 0, []]]})),
    )?;
    env.create(
        "res.users",
        vals(
            json!({"name": "Mitchell Admin", "login": login, "partner_id": 3, "company_id": 1,
            "company_ids": [[6, 0, [1]]], field: [[6, 0, admin_groups]]}),
        ),
    )?;
    Ok(())
}

const US_STATES: &[(&str, &str)] = &[
    ("AL", "Alabama"),
    ("AK", "Alaska"),
    ("AZ", "Arizona"),
    ("AR", "Arkansas"),
    ("CA", "California"),
    ("CO", "Colorado"),
    ("CT", "Connecticut"),
    ("DE", "Delaware"),
    ("DC", "District of Columbia"),
    ("FL", "Florida"),
    ("GA", "Georgia"),
    ("HI", "Hawaii"),
    ("ID", "Idaho"),
    ("IL", "Illinois"),
    ("IN", "Indiana"),
    ("IA", "Iowa"),
    ("KS", "Kansas"),
    ("KY", "Kentucky"),
    ("LA", "Louisiana"),
    ("ME", "Maine"),
    ("MT", "Montana"),
    ("NE", "Nebraska"),
    ("NV", "Nevada"),
    ("NH", "New Hampshire"),
    ("NJ", "New Jersey"),
    ("NM", "New Mexico"),
    ("NY", "New York"),
    ("NC", "North Carolina"),
    ("ND", "North Dakota"),
    ("OH", "Ohio"),
    ("OK", "Oklahoma"),
    ("OR", "Oregon"),
    ("MD", "Maryland"),
    ("MA", "Massachusetts"),
    ("MI", "Michigan"),
    ("MN", "Minnesota"),
    ("MS", "Mississippi"),
    ("MO", "Missouri"),
    ("PA", "Pennsylvania"),
    ("RI", "Rhode Island"),
    ("SC", "South Carolina"),
    ("SD", "South Dakota"),
    ("TN", "Tennessee"),
    ("TX", "Texas"),
    ("UT", "Utah"),
    ("VT", "Vermont"),
    ("VA", "Virginia"),
    ("WA", "Washington"),
    ("WV", "West Virginia"),
    ("WI", "Wisconsin"),
    ("WY", "Wyoming"),
];

/// The access groups (`crate::access::GROUPS`) with their external ids.
fn groups(env: &mut Env) -> Result<(), Fault> {
    for (xmlid, name, category, _) in crate::access::GROUPS {
        let portal = matches!(*xmlid, "base.group_portal" | "base.group_public");
        let id = env.create(
            "res.groups",
            vals(
                json!({"name": name, "full_name": format!("{category} / {name}"), "share": portal}),
            ),
        )?;
        let (module, xname) = xmlid.split_once('.').unwrap_or(("base", xmlid));
        env.create(
            "ir.model.data",
            vals(json!({"module": module, "name": xname, "model": "res.groups", "res_id": id})),
        )?;
    }
    for (xmlid, _, _, implied) in crate::access::GROUPS {
        let Some(id) = crate::access::group_id(env, xmlid) else {
            continue;
        };
        let ids: Vec<i64> = implied
            .iter()
            .filter_map(|x| crate::access::group_id(env, x))
            .collect();
        env.write(
            "res.groups",
            &[id],
            &vals(json!({"implied_ids": [[6, 0, ids]]})),
        )?;
    }
    Ok(())
}

const ADJ: &[&str] = &[
    "Blue",
    "Golden",
    "Northern",
    "Rapid",
    "Silver",
    "Green",
    "Summit",
    "Coastal",
    "Prairie",
    "Granite",
    "Red",
    "Pioneer",
    "Evergreen",
    "Harbor",
    "Liberty",
    "Maple",
    "Copper",
    "Bright",
];
const NOUN: &[&str] = &[
    "Oak", "River", "Peak", "Valley", "Bay", "Ridge", "Stone", "Field", "Lake", "Forge", "Mill",
    "Bridge", "Crest", "Grove", "Point", "Harvest",
];
const SUFFIX: &[&str] = &[
    "Supply Co.",
    "Trading LLC",
    "Distributors",
    "Retail Inc",
    "Outfitters",
    "Hardware",
    "Markets",
    "Wholesale",
    "Goods",
    "Stores",
];
const CITIES: &[(&str, &str, &str)] = &[
    ("San Francisco", "94105", "US"),
    ("Oakland", "94607", "US"),
    ("Chicago", "60601", "US"),
    ("Austin", "78701", "US"),
    ("Seattle", "98101", "US"),
    ("Denver", "80202", "US"),
    ("Boston", "02108", "US"),
    ("New York", "10001", "US"),
    ("Toronto", "M5H 2N2", "CA"),
    ("Vancouver", "V6B 1A1", "CA"),
    ("Mexico City", "06000", "MX"),
    ("London", "EC1A 1BB", "GB"),
    ("Berlin", "10115", "DE"),
    ("Brussels", "1000", "BE"),
];
const STREETS: &[&str] = &[
    "Market St",
    "Main St",
    "Industrial Way",
    "Commerce Blvd",
    "Harbor Dr",
    "Elm St",
    "Park Ave",
    "Mission St",
    "Lake Rd",
    "Station Rd",
];
const ITEM_ADJ: &[&str] = &[
    "Steel",
    "Compact",
    "Heavy-Duty",
    "Classic",
    "Deluxe",
    "Mini",
    "Pro",
    "Eco",
    "Smart",
    "Portable",
    "Wireless",
    "Industrial",
];
const ITEMS: &[&str] = &[
    "Widget", "Gadget", "Bracket", "Hinge", "Lamp", "Chair", "Desk", "Cable", "Adapter", "Bottle",
    "Toolbox", "Shelf", "Fan", "Kettle", "Mug", "Notebook", "Backpack", "Drill", "Clamp", "Sensor",
];

/// EAN-13 with its check digit, from a 12-digit body.
pub fn ean13(body: u64) -> String {
    let digits = format!("{:012}", body % 1_000_000_000_000);
    let sum: u32 = digits
        .chars()
        .enumerate()
        .map(|(i, c)| c.to_digit(10).unwrap_or(0) * if i % 2 == 0 { 1 } else { 3 })
        .sum();
    format!("{digits}{}", (10 - sum % 10) % 10)
}

/// Demo customers (with `ref`, email, country) and products (with SKUs
/// `SKU-00001`… and barcodes).
pub fn demo(env: &mut Env, customers: usize, products: usize) -> Result<(), Fault> {
    master::accounting(env)?;
    distributor_units(env)?;
    euro_rates(env)?;
    let mut rng = Rng(0x0DD0_2C16_5EED_0001);
    let mut country_ids = std::collections::HashMap::new();
    for (_, _, code) in CITIES {
        if let Some(id) = env
            .search(
                "res.country",
                &json!([["code", "=", code]]),
                0,
                Some(1),
                None,
            )?
            .first()
        {
            country_ids.insert(*code, *id);
        }
    }
    for n in 1..=customers {
        let name = format!(
            "{} {} {}",
            ADJ[rng.below(ADJ.len())],
            NOUN[rng.below(NOUN.len())],
            SUFFIX[rng.below(SUFFIX.len())]
        );
        let (city, zip, code) = CITIES[rng.below(CITIES.len())];
        let v = json!({
            "name": format!("{name} #{n}"),
            "is_company": true,
            "ref": format!("CUST-{n:05}"),
            "email": format!("customer{n:05}@example.com"),
            "phone": format!("+1 555 {:04}", n % 10_000),
            "street": format!("{} {}", 1 + rng.below(9_999), STREETS[rng.below(STREETS.len())]),
            "city": city,
            "zip": zip,
            "country_id": country_ids.get(code).copied(),
            "customer_rank": 1,
        });
        env.create("res.partner", vals(v))?;
    }
    for n in 1..=products {
        let name = format!(
            "{} {}",
            ITEM_ADJ[rng.below(ITEM_ADJ.len())],
            ITEMS[rng.below(ITEMS.len())]
        );
        let cents = 500 + rng.below(49_500);
        let list_price = cents as f64 / 100.0;
        let cost = (cents * 6 / 10) as f64 / 100.0;
        let v = storable(
            env,
            json!({
                "name": name,
                "default_code": format!("SKU-{n:05}"),
                "barcode": ean13(200_000_000_000 + n as u64),
                "invoice_policy": "order",
                "list_price": list_price,
                "standard_price": cost,
                "sale_ok": true,
            }),
        );
        env.create("product.product", vals(v))?;
    }
    odoo_demo(env)?;
    master::stock_and_shop(env)?;
    // A second company, as multi-company distributors have (Odoo's own
    // demo data has "My Company (Chicago)" too); products and customers
    // above stay shared (no company_id), as Odoo's defaults make them.
    let chicago = env.create(
        "res.company",
        vals(
            json!({"name": "My Company (Chicago)", "currency_id": 2, "sequence": 10,
        "tax_calculation_rounding_method": "round_per_line"}),
        ),
    )?;
    // the admin may work in both (Odoo's demo data adds the admin to its
    // second company too)
    env.write(
        "res.users",
        &[crate::ADMIN_UID],
        &vals(json!({"company_ids": [[4, chicago]]})),
    )?;
    Ok(())
}

/// The unit a distributor's EDI partners order in ("CA" in an 850): a
/// case of 12 Units, defined as Odoo's own Dozens is (16–18: a `bigger`
/// unit of the Unit category; 19: 12 times Units).
pub const CASE_OF_12: &str = "Case of 12";

fn distributor_units(env: &mut Env) -> Result<(), Fault> {
    let case = if env.version >= crate::OdooVersion::V19 {
        json!({"name": CASE_OF_12, "relative_factor": 12.0, "relative_uom_id": 1})
    } else {
        json!({"name": CASE_OF_12, "category_id": 1, "uom_type": "bigger", "factor_inv": 12.0, "rounding": 1.0})
    };
    env.create("uom.uom", vals(case))?;
    Ok(())
}

/// A few records of Odoo's own demo data that the recordings look up by
/// their demo values (c_master_data): the "[FURN_7777] Office Chair"
/// product (product/data/product_demo.xml) and, on 16, the "Deco Addict"
/// company with its 16 demo email (17+ demo data changed it).
fn odoo_demo(env: &mut Env) -> Result<(), Fault> {
    let mut chair = storable(
        env,
        json!({"name": "Office Chair", "default_code": "FURN_7777", "invoice_policy": "delivery",
               "list_price": 70.0, "standard_price": 55.0, "sale_ok": true}),
    );
    // the recorded demo chair carries no sale tax, except on 17 (recorded
    // c `product.product.search_read.by_default_code`: `taxes_id`)
    if env.version != crate::OdooVersion::V17 {
        chair["taxes_id"] = json!([[6, 0, []]]);
    }
    env.create("product.product", vals(chair))?;
    if env.version == crate::OdooVersion::V16 {
        env.create(
            "res.partner",
            vals(json!({"name": "Deco Addict", "is_company": true,
                        "email": "deco.addict82@example.com", "customer_rank": 1})),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ean13_check_digit() {
        assert_eq!(ean13(400_638_133_393), "4006381333931");
    }
}
