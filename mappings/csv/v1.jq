# CSV order upload (grouped rows from o2c_formats::csv_orders, layout in
# crates/o2c-formats/docs/csv-orders.md) -> o2c canonical order v1.
#
# Input: one order group {"order_number", "line", "rows": [{"line", "values"}]}
# whose rows the decoder has already checked (every value well formed,
# order-level values on the first row and never contradicted later);
# $account = the uploading portal account or customer.
# Values stay as written: decimals are strings, no arithmetic happens here.
# Members left null are dropped from the output by the hub.

def v($k): (.values[$k] // "");
def opt: if . == "" then null else . end;

.rows as $rows
| $rows[0] as $first
| {
    channel: { kind: "csv", account: $account },
    channel_order_id: .order_number,
    customer_po: ($first | v("customer_po") | opt),
    order_date: ($first | v("order_date")
                 | if test("^[0-9]{4}-[0-9]{2}-[0-9]{2}$") then . + "T00:00:00Z" else . end),
    currency: ($first | v("currency")),
    customer: {
      external_refs: ($first | v("customer_ref")
                      | if . == "" then [] else [{ system: "csv", id: . }] end),
      name: ($first | v("customer_name")),
      email: ($first | v("customer_email") | opt),
      phone: ($first | v("customer_phone") | opt)
    },
    ship_to: (if ($first | v("ship_to_country")) == "" then null else
      ($first | {
        name: (v("ship_to_name") | opt),
        company: (v("ship_to_company") | opt),
        street_lines: [v("ship_to_street"), v("ship_to_street2")] | map(select(. != "")),
        city: (v("ship_to_city") | opt),
        postal_code: (v("ship_to_postal_code") | opt),
        subdivision: (v("ship_to_subdivision") | opt),
        country: v("ship_to_country")
      }) end),
    lines: [ $rows | to_entries[] | (.key + 1) as $position | .value | {
      # The row's position within the order when no line_id is given.
      line_id: (v("line_id") | if . == "" then ($position | tostring) else . end),
      sku: v("sku"),
      description: (v("description") | opt),
      quantity: { value: v("quantity"), uom: (v("uom") | if . == "" then "Units" else . end) },
      unit_price: v("unit_price"),
      discount_percent: (v("discount_percent") | if . == "" then "0" else . end),
      taxes: [],
      requested_date: (v("requested_date") | opt)
    } ],
    notes: ($first | v("notes") | opt),
    mapping: { name: "csv", version: 1 },
    external_refs: []
  }
