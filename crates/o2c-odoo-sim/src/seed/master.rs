//! Deterministic order-to-cash master data of the `demo` seed: accounts,
//! the 15 % sale tax and its reverse charge twin ("15% EU RC", +100 % and
//! -100 % tax repartition lines), payment terms, journals, pricelists, two warehouses
//! with locations and picking types, a carrier, a shop customer with
//! delivery/invoice addresses (as in the recordings), shop products and
//! stock on hand in both warehouses.

use serde_json::{Map, Value, json};

use crate::OdooVersion;
use crate::fault::Fault;
use crate::orm::Env;

use super::{storable, vals};

/// Creates a record, leaving out the fields this version does not have.
fn make(env: &mut Env, model: &str, v: Value) -> Result<i64, Fault> {
    let spec = env.spec(model)?;
    let m: Map<String, Value> = vals(v).into_iter().filter(|(k, _)| spec.has(k)).collect();
    env.create(model, m)
}

/// Turns `tax`'s default 'tax' repartition lines (invoice and refund) into
/// a reverse charge: the 100 % line stays, a -100 % one follows it.
fn reverse_charge(env: &mut Env, tax: i64) -> Result<(), Fault> {
    for document_type in ["invoice", "refund"] {
        let mut line = json!({"repartition_type": "tax", "factor_percent": -100.0,
            "sequence": 3, "use_in_tax_closing": true, "company_id": 1});
        if env.version >= OdooVersion::V17 {
            line["tax_id"] = json!(tax);
            line["document_type"] = json!(document_type);
        } else {
            line[format!("{document_type}_tax_id")] = json!(tax);
        }
        make(env, crate::models::tax::REPARTITION, line)?;
    }
    Ok(())
}

/// Accounting and pricing records (created before the demo products, so
/// that products get the default sale tax).
pub fn accounting(env: &mut Env) -> Result<(), Fault> {
    let mut acc = Vec::new();
    for (code, name, kind) in [
        ("121000", "Account Receivable", "asset_receivable"),
        ("400000", "Product Sales", "income"),
        ("251000", "Tax Received", "liability_current"),
        ("101401", "Bank", "asset_cash"),
        ("101402", "Outstanding Receipts", "asset_current"),
        ("101501", "Cash", "asset_cash"),
    ] {
        acc.push(make(
            env,
            "account.account",
            json!({"code": code, "name": name, "account_type": kind,
            "reconcile": kind == "asset_receivable" || code == "101402", "company_id": 1}),
        )?);
    }
    let tax = make(
        env,
        "account.tax",
        json!({"name": "15%", "description": "Tax 15%", "amount": 15.0,
        "amount_type": "percent", "type_tax_use": "sale", "sequence": 1, "company_id": 1}),
    )?;
    make(
        env,
        "account.tax",
        json!({"name": "15%", "description": "Tax 15%", "amount": 15.0,
        "amount_type": "percent", "type_tax_use": "purchase", "sequence": 1, "company_id": 1}),
    )?;
    // an EU intra-community reverse charge: the buyer accounts for the
    // VAT, so its 'tax' lines of +100 % and -100 % cancel out on the sale
    let reverse = make(
        env,
        "account.tax",
        json!({"name": "15% EU RC", "description": "Reverse charge 15%", "amount": 15.0,
        "amount_type": "percent", "type_tax_use": "sale", "sequence": 1, "company_id": 1}),
    )?;
    reverse_charge(env, reverse)?;
    env.set_raw(
        "res.company",
        1,
        vals(json!({"account_sale_tax_id": tax,
        "stock_move_sms_validation": true, "has_received_warning_stock_sms": false})),
    );
    for (i, name) in [
        "Immediate Payment",
        "15 Days",
        "21 Days",
        "30 Days",
        "45 Days",
    ]
    .iter()
    .enumerate()
    {
        make(
            env,
            "account.payment.term",
            json!({"name": name, "sequence": i, "company_id": 1}),
        )?;
    }
    for (name, code, kind, account) in [
        ("Customer Invoices", "INV", "sale", acc[1]),
        ("Vendor Bills", "BILL", "purchase", acc[1]),
        ("Miscellaneous Operations", "MISC", "general", acc[1]),
        ("Bank", "BNK1", "bank", acc[3]),
        ("Cash", "CSH1", "cash", acc[5]),
    ] {
        make(
            env,
            "account.journal",
            json!({"name": name, "code": code, "type": kind,
            "default_account_id": account, "company_id": 1, "currency_id": 2}),
        )?;
    }
    make(
        env,
        "account.payment.method",
        json!({"name": "Manual", "code": "manual"}),
    )?;
    // 18's demo bank method has no outstanding account: payments make no entry
    let outstanding = if env.version == OdooVersion::V18 {
        None
    } else {
        Some(acc[4])
    };
    // 18 renamed the manual method line (the recordings read `Manual Payment
    // (Bank)`)
    let method = if env.version >= OdooVersion::V18 {
        "Manual Payment"
    } else {
        "Manual"
    };
    for journal in [4, 5] {
        make(
            env,
            "account.payment.method.line",
            json!({"name": method, "journal_id": journal,
            "payment_type": "inbound", "payment_account_id": outstanding}),
        )?;
    }
    make(
        env,
        "product.pricelist",
        json!({"name": "Public Pricelist", "currency_id": 2,
        "discount_policy": "with_discount", "company_id": 1, "sequence": 1}),
    )?;
    Ok(())
}

fn location(env: &mut Env, name: &str, parent: Option<i64>, usage: &str) -> Result<i64, Fault> {
    let complete = match parent {
        Some(p) => format!("{}/{name}", env.display_name("stock.location", p)),
        None => name.to_string(),
    };
    make(
        env,
        "stock.location",
        json!({"name": name, "complete_name": complete,
        "location_id": parent, "usage": usage, "company_id": 1}),
    )
}

fn warehouse(
    env: &mut Env,
    name: &str,
    code: &str,
    customers: i64,
    vendors: i64,
) -> Result<i64, Fault> {
    let view = location(env, code, None, "view")?;
    let stock = location(env, "Stock", Some(view), "internal")?;
    let wh = make(
        env,
        "stock.warehouse",
        json!({"name": name, "code": code, "company_id": 1,
        "lot_stock_id": stock, "view_location_id": view, "delivery_steps": "ship_only",
        "reception_steps": "one_step", "partner_id": 1, "sequence": 10}),
    )?;
    for l in [view, stock] {
        env.set_raw("stock.location", l, vals(json!({"warehouse_id": wh})));
    }
    // 17+ declare the picking type from its fields_get dump, with these
    // required fields
    let v17 = env.version >= OdooVersion::V17;
    let mut types = Vec::new();
    let mut specs = vec![
        ("Receipts", "incoming", "IN", vendors, stock),
        ("Delivery Orders", "outgoing", "OUT", stock, customers),
    ];
    if env.version == OdooVersion::V16 {
        specs.push(("Returns", "incoming", "RET", customers, stock));
    }
    for (i, (tname, kind, seq, src, dst)) in specs.into_iter().enumerate() {
        let mut v = json!({"name": tname, "code": kind, "sequence_code": seq, "sequence": i + 1,
            "warehouse_id": wh, "default_location_src_id": src, "default_location_dest_id": dst,
            "company_id": 1});
        if v17 {
            v["create_backorder"] = json!("ask");
            v["move_type"] = json!("direct");
            v["reservation_method"] = json!("at_confirm");
        }
        types.push(make(env, "stock.picking.type", v)?);
    }
    // deliveries are returned through "Returns" (16) or "Receipts" (17+)
    let ret = *types.last().unwrap_or(&types[0]);
    let ret = if env.version == OdooVersion::V16 {
        ret
    } else {
        types[0]
    };
    env.set_raw(
        "stock.picking.type",
        types[1],
        vals(json!({"return_picking_type_id": ret})),
    );
    Ok(stock)
}

/// Warehouses, carrier, the shop customer and products, and stock.
pub fn stock_and_shop(env: &mut Env) -> Result<(), Fault> {
    let partners = location(env, "Partners", None, "view")?;
    let customers = location(env, "Customers", Some(partners), "customer")?;
    let vendors = location(env, "Vendors", Some(partners), "supplier")?;
    let virt = location(env, "Virtual Locations", None, "view")?;
    location(env, "Inventory adjustment", Some(virt), "inventory")?;
    let wh = warehouse(env, "YourCompany", "WH", customers, vendors)?;
    let east = warehouse(env, "East Coast", "EAST", customers, vendors)?;
    let b2b = make(
        env,
        "product.pricelist",
        json!({"name": "Shop B2B (-10%)", "currency_id": 2,
        "discount_policy": "with_discount", "company_id": 1, "sequence": 2}),
    )?;
    let term30 = env.search(
        "account.payment.term",
        &json!([["name", "=", "30 Days"]]),
        0,
        Some(1),
        None,
    )?;
    let mut delivery = json!({"name": "Local Delivery",
        "default_code": "Delivery_010", "detailed_type": "service", "type": "service",
        "invoice_policy": "order", "list_price": 5.0, "taxes_id": [[6, 0, []]], "sale_ok": false});
    if env.version >= crate::OdooVersion::V17 {
        // 17+ demo "Standard delivery" product carries the default sales tax
        // (recorded d: the shipping line has `tax_id` [Tax 15%]); 16's
        // "Local Delivery" had none
        if let Some(o) = delivery.as_object_mut() {
            o.remove("taxes_id");
        }
    }
    let delivery_product = make(env, "product.product", delivery)?;
    make(
        env,
        "delivery.carrier",
        json!({"name": "Local Delivery", "delivery_type": "fixed",
        "fixed_price": 5.0, "product_id": delivery_product, "invoice_policy": "estimated",
        "free_over": true, "amount": 50.0, "sequence": 1, "active": true}),
    )?;
    let mut shop = Vec::new();
    for (name, code, price, bc) in [
        ("Shop Widget", "SHOP-001", 25.0, 300_000_000_001_u64),
        ("Shop Gadget", "SHOP-002", 40.0, 300_000_000_002),
    ] {
        shop.push(make(
            env,
            "product.product",
            storable(
                env,
                json!({"name": name, "default_code": code,
                "barcode": super::ean13(bc), "invoice_policy": "delivery", "list_price": price,
                "standard_price": 10.0, "sale_ok": true}),
            ),
        )?);
    }
    for (applied, product, kind, pct, fixed, min) in [
        ("3_global", None, "percentage", 10.0, 0.0, 0.0),
        ("0_product_variant", Some(shop[1]), "fixed", 0.0, 33.0, 10.0),
    ] {
        make(
            env,
            "product.pricelist.item",
            json!({"pricelist_id": b2b, "applied_on": applied,
            "product_id": product, "compute_price": kind, "percent_price": pct,
            "fixed_price": fixed, "min_quantity": min}),
        )?;
    }
    let us = env.search(
        "res.country",
        &json!([["code", "=", "US"]]),
        0,
        Some(1),
        None,
    )?;
    make(
        env,
        "res.partner",
        json!({"name": "Acme Shop Customer Inc", "is_company": true,
        "email": "billing@acme-shop.example.com", "phone": "+1 555 0100", "vat": "US123456789",
        "street": "1 Market St", "city": "San Francisco", "zip": "94105", "country_id": us.first(),
        "property_payment_term_id": term30.first(), "property_product_pricelist": b2b,
        "customer_rank": 1,
        "child_ids": [
            [0, 0, {"type": "delivery", "name": "Acme Warehouse Dock", "street": "500 Industrial Way",
                    "city": "Oakland", "zip": "94607", "country_id": us.first(), "phone": "+1 555 0101"}],
            [0, 0, {"type": "invoice", "name": "Acme Accounts Payable", "email": "ap@acme-shop.example.com"}]
        ]}),
    )?;
    make(
        env,
        "res.partner",
        json!({"name": "Globex Retail Inc", "is_company": true,
        "email": "orders@globex.example.com", "street": "77 Harbor Dr", "city": "Boston",
        "zip": "02108", "country_id": us.first(), "customer_rank": 1,
        "child_ids": [[0, 0, {"type": "delivery", "name": "Globex DC", "street": "9 Dock Rd",
            "city": "Boston", "zip": "02110", "country_id": us.first()}]]}),
    )?;
    // stock on hand: every storable product in both warehouses
    let products = env.search(
        "product.product",
        &crate::models::product::storable_domain(env.version),
        0,
        None,
        Some("id"),
    )?;
    for p in products {
        let (a, b) = if shop.contains(&p) {
            (1000.0, 200.0)
        } else {
            ((p * 7 % 50 + 10) as f64, (p * 3 % 20) as f64)
        };
        make(
            env,
            "stock.quant",
            json!({"product_id": p, "location_id": wh, "quantity": a}),
        )?;
        if b > 0.0 {
            make(
                env,
                "stock.quant",
                json!({"product_id": p, "location_id": east, "quantity": b}),
            )?;
        }
    }
    Ok(())
}
