# Shopify order (webhooks orders/create|updated|cancelled, Admin REST order
# resource) -> o2c canonical order v1. Mapping version 3.
#
# What changed from v2: nothing in the result for real Shopify orders. The
# exact money arithmetic (integer minor units) uses the hub's native
# `decimal_places`, `to_minor($scale)` and `from_minor($scale)` filters
# instead of splitting decimal text in jq, which made v2 about twice as slow
# as v1 and wrong for negative amounts (a refund-adjusted order can carry
# one). `o2c map --replay-last N --mapping-version 3` shows the difference
# on stored payloads before switching.
#
# From v2: order-level discounts reach the lines. Shopify gives each line
# its share of every discount application in `discount_allocations`; a
# discount Shopify counts in `total_discounts` but allocates to no line or
# shipping line is spread over the lines in proportion to their amount
# after their own discounts, the last line taking the rounding remainder,
# as Shopify's own allocation does. Shipping is net of its own discount
# allocations.
#
# Inputs: the order object (or {"order": {...}}); $account = the shop domain.
# Amounts leave as decimal strings. Members left null are dropped from the
# output by the hub.
# Ids: Shopify ids are 64-bit; JSON tools that pass them through a float
# corrupt them, so the true id is taken from admin_graphql_api_id when present.

def gid: if . == null then null else tostring | split("/") | last end;
def id_of: (.admin_graphql_api_id | gid) // (.id | if . == null then null else tostring end);

# --- exact money in minor units (native, see the hub's decimal filters) ----
def whole: tostring | split(".") | .[0] | tonumber;
def allocated($s): [(.discount_allocations // [])[] | .amount | to_minor($s)] | add // 0;

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
| ($o.line_items // []) as $items
| ([$o.total_discounts, $o.total_shipping_price_set.shop_money.amount,
    ($items[] | .price, (.discount_allocations // [])[].amount),
    ($ship[] | .price, (.discount_allocations // [])[].amount)]
   | map(decimal_places) | max // 2) as $s
| [$items[] | allocated($s)] as $line_alloc
| ([$ship[] | allocated($s)] | add // 0) as $ship_alloc
| [$items | to_entries[] | (.value.price | to_minor($s)) * (.value.quantity | whole) - $line_alloc[.key]] as $gross
| (($o.total_discounts | to_minor($s)) - ($line_alloc | add // 0) - $ship_alloc) as $unallocated
| ($gross | add // 0) as $gross_sum
| (if $unallocated <= 0 or $gross_sum <= 0 then [$gross[] | 0]
   else
     [range(0; ($gross | length) - 1) as $i | ($unallocated * $gross[$i] / $gross_sum | floor | whole)]
     | . + [$unallocated - (add // 0)]
   end) as $share
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
    lines: [ $items | to_entries[] | .key as $i | .value | {
      line_id: id_of,
      sku: (if (.sku // "") == "" then error("line \(id_of) (\(.title // "?")) has no SKU") else .sku end),
      description: (.name // .title),
      quantity: { value: (.quantity | tostring), uom: "Units" },
      unit_price: .price,
      discount_amount: (($line_alloc[$i] + $share[$i]) | if . == 0 then null else from_minor($s) end),
      taxes: [ (.tax_lines // [])[] | { code: .title, rate: (.rate | if . == null then null else tostring end), amount: .price } ]
    } ],
    shipping: (
      if ($ship | length) == 0 then null
      else {
        amount: (($o.total_shipping_price_set.shop_money.amount
                  // (if ($ship | length) == 1 then $ship[0].price
                      else error("several shipping lines and no total_shipping_price_set") end))
                 | to_minor($s) - $ship_alloc | from_minor($s)),
        description: ($ship | map(.title) | join(", ")),
        carrier_code: ($ship[0].carrier_identifier // $ship[0].code)
      } end),
    declared_totals: ({
      subtotal: $o.subtotal_price,
      tax: $o.total_tax,
      shipping: ($o.total_shipping_price_set.shop_money.amount
                 | if . == null then null else to_minor($s) - $ship_alloc | from_minor($s) end),
      total: $o.total_price
    }),
    payment_status: ($o.financial_status | payment_status),
    notes: $o.note,
    mapping: { name: "shopify", version: 3 },
    external_refs: [
      { system: "shopify", id: ($o | id_of) },
      (if $o.name != null then { system: "shopify_name", id: $o.name } else empty end)
    ]
  }
