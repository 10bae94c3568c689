//! Property tests: any generated `Order` survives a JSON round trip exactly
//! (values and decimal scales), through text and through `serde_json::Value`.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use o2c_model::{
    Address, ChannelKind, ChannelPaymentStatus, ChannelRef, Currency, DeclaredTotals,
    DeliveryWindow, ExternalRef, MappingRef, Order, OrderLine, Party, Quantity, ShippingCharge,
    TaxLine,
};
use proptest::prelude::*;
use rust_decimal::Decimal;

fn decimal() -> impl Strategy<Value = Decimal> {
    prop_oneof![
        (any::<i64>(), 0u32..=12).prop_map(|(m, s)| Decimal::new(m, s)),
        (any::<i32>(), 0u32..=4).prop_map(|(m, s)| Decimal::new(m.into(), s)),
        (any::<u128>(), 0u32..=28).prop_map(|(m, s)| {
            // Any 96-bit mantissa with any scale up to 28.
            let m = (m % (1u128 << 96)) as i128;
            Decimal::from_i128_with_scale(m, s)
        }),
    ]
}

fn text() -> impl Strategy<Value = String> {
    "[A-Za-z0-9 #/._-]{1,12}"
}

fn time() -> impl Strategy<Value = DateTime<Utc>> {
    (0i64..4_102_444_800, 0u32..1_000_000_000)
        .prop_map(|(s, n)| Utc.timestamp_opt(s, n).single().expect("in range"))
}

fn kind() -> impl Strategy<Value = ChannelKind> {
    proptest::sample::select(ChannelKind::ALL.to_vec())
}

fn currency() -> impl Strategy<Value = Currency> {
    proptest::sample::select(vec![
        Currency::USD,
        Currency::EUR,
        Currency::GBP,
        Currency::JPY,
        Currency::CAD,
    ])
}

fn address() -> impl Strategy<Value = Address> {
    (
        proptest::option::of(text()),
        proptest::collection::vec(text(), 0..3),
        proptest::option::of(text()),
        proptest::sample::select(vec![
            ("US", Some("US-CA")),
            ("DE", None),
            ("GB", Some("GB-ENG")),
        ]),
    )
        .prop_map(|(name, street_lines, city, (country, sub))| Address {
            name,
            street_lines,
            city,
            subdivision: sub.map(String::from),
            ..Address::new(country)
        })
}

fn line() -> impl Strategy<Value = OrderLine> {
    (
        text(),
        text(),
        proptest::option::of(text()),
        decimal(),
        decimal(),
        decimal(),
        proptest::collection::vec(
            (
                text(),
                proptest::option::of(decimal()),
                proptest::option::of(decimal()),
            ),
            0..3,
        ),
        proptest::option::of((2000i32..2100, 1u32..=12, 1u32..=28)),
    )
        .prop_map(
            |(line_id, sku, description, qty, unit_price, discount_percent, taxes, date)| {
                OrderLine {
                    line_id,
                    sku,
                    description,
                    quantity: Quantity::new(qty, "Units"),
                    unit_price,
                    discount_percent,
                    discount_amount: None,
                    taxes: taxes
                        .into_iter()
                        .map(|(code, rate, amount)| TaxLine { code, rate, amount })
                        .collect(),
                    requested_date: date.and_then(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d)),
                }
            },
        )
}

fn order() -> impl Strategy<Value = Order> {
    let head = (
        kind(),
        text(),
        text(),
        proptest::option::of(text()),
        time(),
        currency(),
        text(),
        proptest::option::of(address()),
        proptest::option::of(address()),
        proptest::collection::vec(line(), 0..4),
    );
    let tail = (
        proptest::option::of((decimal(), proptest::option::of(text()))),
        proptest::option::of((proptest::option::of(decimal()), decimal())),
        proptest::option::of(proptest::sample::select(vec![
            ChannelPaymentStatus::Unpaid,
            ChannelPaymentStatus::Paid,
            ChannelPaymentStatus::PartiallyPaid,
        ])),
        proptest::option::of((proptest::option::of(time()), proptest::option::of(time()))),
        proptest::option::of((text(), any::<u32>())),
        proptest::collection::vec((text(), "[0-9]{1,20}"), 0..3),
    );
    (head, tail).prop_map(
        |(
            (
                kind,
                account,
                channel_order_id,
                customer_po,
                order_date,
                currency,
                name,
                bill_to,
                ship_to,
                lines,
            ),
            (shipping, totals, payment_status, window, mapping, refs),
        )| Order {
            channel: ChannelRef { kind, account },
            channel_order_id,
            customer_po,
            order_date,
            currency,
            customer: Party::new(name),
            bill_to,
            ship_to,
            lines,
            shipping: shipping.map(|(amount, carrier_code)| ShippingCharge {
                amount,
                description: None,
                carrier_code,
                service: None,
            }),
            declared_totals: totals.map(|(tax, total)| DeclaredTotals {
                subtotal: None,
                tax,
                shipping: None,
                total,
            }),
            payment_status,
            requested_warehouse: None,
            route: None,
            delivery_window: window.map(|(earliest, latest)| DeliveryWindow { earliest, latest }),
            notes: None,
            mapping: mapping.map(|(name, version)| MappingRef { name, version }),
            source_payload_ref: None,
            external_refs: refs
                .into_iter()
                .map(|(system, id)| ExternalRef { system, id })
                .collect(),
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn order_round_trips_through_json_text(order in order()) {
        let text = serde_json::to_string(&order).unwrap();
        let back: Order = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(&back, &order);
        // Scales survive too (Decimal equality ignores them): same text again.
        prop_assert_eq!(serde_json::to_string(&back).unwrap(), text);
    }

    #[test]
    fn order_round_trips_through_json_value(order in order()) {
        let value = serde_json::to_value(&order).unwrap();
        let back: Order = serde_json::from_value(value.clone()).unwrap();
        prop_assert_eq!(serde_json::to_value(&back).unwrap(), value);
    }

    #[test]
    fn decimals_read_from_json_numbers_exactly(d in decimal()) {
        let mut value = serde_json::to_value(Quantity::new(d, "EA")).unwrap();
        // Replace the string with a JSON number carrying the same digits.
        value["value"] = serde_json::from_str(&d.to_string()).unwrap();
        let back: Quantity = serde_json::from_value(value.clone()).unwrap();
        prop_assert_eq!(back.value.to_string(), d.to_string());
        let back: Quantity = serde_json::from_str(&value.to_string()).unwrap();
        prop_assert_eq!(back.value.to_string(), d.to_string());
    }

    #[test]
    fn validate_never_panics(order in order()) {
        let _ = order.validate();
        let _ = order.subtotal();
        prop_assert!(order.idempotency_key().starts_with(order.channel.kind.as_str()));
    }
}
