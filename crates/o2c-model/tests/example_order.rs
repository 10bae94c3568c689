//! The shared fixture `examples/order.json` must stay a valid canonical order.

use o2c_model::{ChannelKind, Currency, Money, Order};
use rust_decimal_macros::dec;

#[test]
fn example_order_deserializes_and_validates() {
    let text = include_str!("../examples/order.json");
    let order: Order = serde_json::from_str(text).expect("example order parses");
    assert_eq!(order.validate(), Ok(()));
    assert_eq!(order.channel.kind, ChannelKind::Shopify);
    assert_eq!(order.currency, Currency::USD);
    assert_eq!(order.lines.len(), 2);
    assert!(order.ship_to.is_some());
    assert_eq!(
        order.idempotency_key(),
        "shopify:acme-supply.myshopify.com:5712345678901"
    );
    assert_eq!(order.subtotal(), Money::new(dec!(712.964), Currency::USD));
    let declared = order.declared_totals.as_ref().expect("declared totals");
    assert_eq!(
        order.subtotal().round_to_currency().amount,
        declared.subtotal.expect("declared subtotal")
    );
    // Write, read back: identical.
    let again: Order = serde_json::from_str(&serde_json::to_string(&order).unwrap()).unwrap();
    assert_eq!(again, order);
}
