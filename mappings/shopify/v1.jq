# Shopify order (webhooks orders/create|updated|cancelled, Admin REST order
# resource) -> o2c canonical order v1.
#
# Inputs: the order object (or {"order": {...}}); $account = the shop domain.
# Money stays as Shopify's decimal strings; no arithmetic happens here.
# Members left null are dropped from the output by the hub.
# Ids: Shopify ids are 64-bit; JSON tools that pass them through a float
# corrupt them, so the true id is taken from admin_graphql_api_id when present.

def gid: if . == null then null else tostring | split("/") | last end;
def id_of: (.admin_graphql_api_id | gid) // (.id | if . == null then null else tostring end);
def nonzero: if . == null or . == "0.00" or . == "0" or . == "0.0" then null else . end;

def address:
  if . == null then null else
  {
    name: .name,
    company: .company,
    street_lines: [.address1, .address2] | map(select(. != null and . != "")),
    city: .city,
    postal_code: .zip,
    subdivision: (if .country_code != null and .province_code != null and .province_code != ""
                  then "\(.country_code)-\(.province_code)" else null end),
    country: .country_code,
    phone: .phone
  }
  end;

def payment_status:
  {
    "pending": "unpaid", "authorized": "authorized", "paid": "paid",
    "partially_paid": "partially_paid", "refunded": "refunded",
    "partially_refunded": "refunded", "voided": "unpaid"
  }[. // ""];

(if type == "object" and has("order") then .order else . end) as $o
| ($o.customer // {}) as $c
| ($o.shipping_lines // []) as $ship
| {
    channel: { kind: "shopify", account: $account },
    channel_order_id: ($o | id_of),
    customer_po: $o.po_number,
    order_date: $o.created_at,
    currency: $o.currency,
    customer: ({
      name: ([$c.first_name, $c.last_name] | map(select(. != null and . != "")) | join(" ")
             | if . == "" then ($o.billing_address.name // $o.email // "Shopify customer") else . end),
      email: ($c.email // $o.email),
      phone: ($c.phone // $o.phone),
      external_refs: (if ($c | id_of) != null then [{ system: "shopify", id: ($c | id_of) }] else [] end)
    }),
    bill_to: ($o.billing_address | address),
    ship_to: ($o.shipping_address | address),
    lines: [ $o.line_items[] | {
      line_id: id_of,
      sku: (if (.sku // "") == "" then error("line \(id_of) (\(.title // "?")) has no SKU") else .sku end),
      description: (.name // .title),
      quantity: { value: (.quantity | tostring), uom: "Units" },
      unit_price: .price,
      discount_amount: (.total_discount | nonzero),
      taxes: [ (.tax_lines // [])[] | { code: .title, rate: (.rate | if . == null then null else tostring end), amount: .price } ]
    } ],
    shipping: (
      if ($ship | length) == 0 then null
      else {
        amount: ($o.total_shipping_price_set.shop_money.amount
                 // (if ($ship | length) == 1 then $ship[0].price
                     else error("several shipping lines and no total_shipping_price_set") end)),
        description: ($ship | map(.title) | join(", ")),
        carrier_code: ($ship[0].carrier_identifier // $ship[0].code)
      } end),
    declared_totals: ({
      subtotal: $o.subtotal_price,
      tax: $o.total_tax,
      shipping: $o.total_shipping_price_set.shop_money.amount,
      total: $o.total_price
    }),
    payment_status: ($o.financial_status | payment_status),
    notes: $o.note,
    mapping: { name: "shopify", version: 1 },
    external_refs: [
      { system: "shopify", id: ($o | id_of) },
      (if $o.name != null then { system: "shopify_name", id: $o.name } else empty end)
    ]
  }
