//! Units of measure on every version: a unit resolved by name (cached),
//! its relation to a product's unit, a sale line created in cases whose
//! delivery moves count the product's units, and invoicing per case.

mod ops_common;

use std::time::Duration;

use o2c_odoo::cache::MasterDataCache;
use o2c_odoo::ops::{Ops, UomFit, ValidateRequest};
use o2c_odoo::{SaleLineValues, SaleOrderValues};
use ops_common::{VERSIONS, World, field, lines_of, num, num_field, order, world};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::json;

/// The demo seed's distributor unit: a case of 12 Units.
const CASE: &str = "Case of 12";

/// The id of the seed's case of 12.
async fn case_id(ops: &Ops<'_>) -> i64 {
    ops.uoms_by_name(&[CASE.to_string()]).await.expect("case")[CASE].id
}

/// A confirmed order `reference` of 2 cases of the first product at 300 a
/// case (25 per Unit); its id.
async fn two_cases_confirmed(w: &World, ops: &Ops<'_>, reference: &str, case: i64) -> i64 {
    let mut o = order(w, reference, [2, 0]);
    o.lines[0].uom_id = Some(case);
    o.lines[0].price_unit = Some(dec!(300));
    let (so, _) = ops
        .create_and_confirm_sale_order(&o)
        .await
        .unwrap_or_else(|e| panic!("version {}: {e:?}", w.dialect.major));
    so
}

#[tokio::test]
async fn units_resolve_by_name_and_relate_to_the_product_unit() {
    for v in VERSIONS {
        let w = world(v).await;
        let cache = MasterDataCache::new(100, Duration::from_secs(60));
        let ops = w.client.ops(w.dialect).with_cache(&cache);
        let names: Vec<String> = ["case of 12", "Dozens", "kg", "Crate"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let found = ops.uoms_by_name(&names).await.expect("by name");
        assert_eq!(found["case of 12"].name, CASE, "{v}: case-insensitive");
        assert!(!found.contains_key("Crate"), "{v}: no such unit");
        let units_id = field(&w.sandbox, "product.product", w.products[0], "uom_id")[0]
            .as_i64()
            .expect("product unit");
        let product_unit = ops.uoms(&[units_id]).await.expect("read")[&units_id].clone();
        assert_eq!(
            found["case of 12"].fit(&product_unit),
            UomFit::Convertible { ratio: dec!(12) },
            "{v}"
        );
        assert_eq!(
            found["Dozens"].fit(&product_unit),
            UomFit::Convertible { ratio: dec!(12) },
            "{v}"
        );
        assert_eq!(found["kg"].fit(&product_unit), UomFit::Incompatible, "{v}");
        assert_eq!(
            ops.convert_quantity(dec!(2), found["case of 12"].id, units_id)
                .await
                .expect("convert"),
            dec!(24),
            "{v}"
        );
        // a second lookup, the absent name included, comes from the cache
        let before = w.sandbox.calls("uom.uom", "search_read");
        let again = ops.uoms_by_name(&names).await.expect("cached");
        assert_eq!(again.len(), 3, "{v}");
        assert_eq!(w.sandbox.calls("uom.uom", "search_read"), before, "{v}");
    }
}

#[tokio::test]
async fn a_line_in_cases_delivers_units_and_invoices_cases() {
    for v in VERSIONS {
        let w = world(v).await;
        let ops = w.client.ops(w.dialect);
        let case = case_id(&ops).await;
        let so = two_cases_confirmed(&w, &ops, "UOM-1", case).await;
        let line = lines_of(&w, so).into_iter().next().expect("line");
        assert_eq!(line[w.dialect.sale_line_uom_field][0], json!(case), "{v}");
        assert_eq!(num(&line["product_uom_qty"]), 2.0, "{v}");
        assert_eq!(
            num_field(&w, "sale.order", so, "amount_untaxed"),
            600.0,
            "{v}"
        );
        // the delivery: 2 cases demanded, 24 Units reserved from stock
        let picking = ops.sale_order_pickings(so).await.expect("pickings")[0];
        let info = ops.read_picking(picking).await.expect("picking");
        let mv = &info.moves[0];
        assert_eq!(mv.uom_id, Some(case), "{v}");
        assert_eq!(mv.product_uom_qty, dec!(2), "{v}");
        assert_eq!(mv.product_qty, dec!(24), "{v}");
        assert_eq!(info.state, "assigned", "{v}");
        ops.validate_picking(&ValidateRequest {
            picking_id: picking,
            ..ValidateRequest::default()
        })
        .await
        .unwrap_or_else(|e| panic!("{v}: {e:?}"));
        // stock fell by 24 Units; the line counts 2 cases delivered
        let on_hand = num_field(&w, "product.product", w.products[0], "qty_available");
        assert_eq!(on_hand, 976.0, "{v}");
        let line_id = line["id"].as_i64().expect("id");
        assert_eq!(
            num_field(&w, "sale.order.line", line_id, "qty_delivered"),
            2.0,
            "{v}"
        );
        assert_eq!(
            num_field(&w, "sale.order.line", line_id, "qty_to_invoice"),
            2.0,
            "{v}"
        );
    }
}

#[tokio::test]
async fn the_load_upsert_writes_the_line_unit() {
    for v in VERSIONS {
        let w = world(v).await;
        let ops = w.client.ops(w.dialect);
        let case = case_id(&ops).await;
        let values = SaleOrderValues {
            xmlid: "__o2c__.so_uom_1".into(),
            partner_id: w.partner,
            client_order_ref: "UOM-LOAD-1".into(),
            lines: vec![
                SaleLineValues {
                    xmlid: "__o2c__.so_uom_1_l1".into(),
                    product_id: w.products[0],
                    quantity: dec!(3),
                    uom_id: Some(case),
                    price_unit: dec!(300),
                    discount: Decimal::ZERO,
                },
                SaleLineValues {
                    xmlid: "__o2c__.so_uom_1_l2".into(),
                    product_id: w.products[1],
                    quantity: dec!(1),
                    uom_id: None,
                    price_unit: dec!(40),
                    discount: Decimal::ZERO,
                },
            ],
            note: None,
            pricelist_id: None,
        };
        let so = w
            .client
            .upsert_sale_order(&values, None)
            .await
            .unwrap_or_else(|e| panic!("{v}: {e:?}"));
        let lines = lines_of(&w, so);
        let uom = |p: i64| {
            lines
                .iter()
                .find(|l| l["product_id"][0] == json!(p))
                .map(|l| l[w.dialect.sale_line_uom_field][0].clone())
        };
        assert_eq!(uom(w.products[0]), Some(json!(case)), "{v}");
        // the other line keeps its product's unit
        let units = field(&w.sandbox, "product.product", w.products[1], "uom_id")[0].clone();
        assert_eq!(uom(w.products[1]), Some(units), "{v}");
        assert_eq!(
            num_field(&w, "sale.order", so, "amount_untaxed"),
            940.0,
            "{v}"
        );
    }
}

#[tokio::test]
async fn a_partial_delivery_in_cases_leaves_a_backorder_in_cases() {
    for v in VERSIONS {
        let w = world(v).await;
        let ops = w.client.ops(w.dialect);
        let case = case_id(&ops).await;
        let so = two_cases_confirmed(&w, &ops, "UOM-PART", case).await;
        let picking = ops.sale_order_pickings(so).await.expect("pickings")[0];
        // the warehouse reports 1 of the 2 cases: in the move's unit, while
        // the reserved line counts 24 Units
        let done = ops
            .validate_picking(&ValidateRequest {
                picking_id: picking,
                quantities: Some(vec![(w.products[0], dec!(1))]),
                ..ValidateRequest::default()
            })
            .await
            .unwrap_or_else(|e| panic!("{v}: {e:?}"));
        assert_eq!(done.backorder_ids.len(), 1, "{v}: one backorder");
        let shipped = ops.read_picking(picking).await.expect("picking");
        assert_eq!(
            shipped.moves[0].product_uom_qty,
            dec!(1),
            "{v}: 1 case done"
        );
        assert_eq!(shipped.moves[0].product_qty, dec!(12), "{v}");
        let rest = ops
            .read_picking(done.backorder_ids[0])
            .await
            .expect("backorder");
        assert_eq!(rest.moves[0].uom_id, Some(case), "{v}");
        assert_eq!(rest.moves[0].product_uom_qty, dec!(1), "{v}: 1 case left");
        assert_eq!(rest.moves[0].product_qty, dec!(12), "{v}: not 23 Units");
        // 12 Units left the stock, and the line counts 1 case delivered
        let on_hand = num_field(&w, "product.product", w.products[0], "qty_available");
        assert_eq!(on_hand, 988.0, "{v}");
        let line = lines_of(&w, so).into_iter().next().expect("line");
        assert_eq!(num(&line["qty_delivered"]), 1.0, "{v}");
    }
}
