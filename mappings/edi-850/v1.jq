# X12 850 purchase order -> o2c canonical order(s) v1.
#
# Input (what o2c_connectors::edi decodes per 850 transaction set):
#   {"partner": "<partner id>",
#    "options": {"sdq_split": "per_store" | "deliveries",
#                "default_country": "US", "default_currency": "USD"},
#    "interchange": {sender/receiver qualifiers and ids, control_number, ...} | null,
#    "group": {functional_id, sender_code, receiver_code, control_number, version} | null,
#    "transaction": {"control_number": ST02},
#    "purchase_order": <the typed 850: BEG, CUR, REF, DTM, TD5, N1 loops,
#                       PO1 lines with product ids, PID, CTP, PO4, SDQ, CTT, AMT>}
# $account = the trading partner id (the channel account).
#
# The typed 850 is the input rather than raw segments: the N1/PO1 loop
# structure is resolved once in Rust (and tested there), so this file only
# says what the business fields mean.
#
# SDQ (store-level quantities of a retail 850): with sdq_split "per_store"
# every store becomes its own order ("<PO>/<store>", shipping to the header
# ship-to when there is one, i.e. a cross-dock DC, else to the store's address
# from the partner's store directory, options.stores; a store missing there
# gets only its number, which validation holds as an incomplete address);
# with "deliveries" the PO stays one order whose lines are split per store
# ("<line>@<store>"), each store named in the line's description.
#
# Codes stay the partner's here (UoM EA/CA/PK, their item numbers): the hub
# translates them afterwards with the partner's value maps.
#
# The unit price is PO104, else a CTP price we charge (contract, net,
# distributor, unit cost; never the retail CTP*RTL). A line without either is refused: the distributor's
# price must not be guessed, and a zero would confirm the order at no charge.

def nonblank: if . == null or . == "" then null else . end;

def address($opts):
  if . == null then null else
  ((.country | nonblank) // $opts.default_country) as $country
  | {
      company: .name,
      name: ((.contacts // [])[0].name),
      street_lines: (.address_lines // []),
      city: .city,
      postal_code: .postal_code,
      subdivision: (if (.state | nonblank) == null then null else "\($country)-\(.state)" end),
      country: $country,
      phone: ([(.contacts // [])[].communications[] | select(.qualifier == "TE") | .number][0]),
      email: ([(.contacts // [])[].communications[] | select(.qualifier == "EM") | .number][0])
    }
  end;

def party($code): [.parties[] | select(.entity == $code)][0];

# Our SKU is the vendor's part number when the buyer sends one; else the
# buyer's own ids (translated by the partner's item value map).
def sku:
  . as $line
  | [("VP", "VN", "VC", "VA", "SK", "MG", "IN", "BP", "CB", "UP", "EN", "UK") as $q
     | $line.product_ids[] | select(.qualifier == $q) | .id][0]
    // $line.product_ids[0].id
    // error("PO1 line \($line.line_number // "?") has no product id (PO106/PO107)");

def date_of($dates; $q): [($dates // [])[] | select(.qualifier == $q) | .date][0];

# One canonical line; $dest narrows it to one SDQ destination.
def order_line($po; $index; $dest; $suffix):
  (.line_number // "\($index + 1)") as $no
  | {
      line_id: "\($no)\($suffix)",
      sku: sku,
      description: (
        [.description, (if $dest == null then null else "store \($dest.location)" end)]
        | map(select(. != null)) | if length == 0 then null else join(" - ") end),
      quantity: {
        value: (if $dest == null then .quantity else $dest.quantity end),
        uom: (if $dest == null then .uom else ($dest.uom // .uom) end)
             // error("PO1 line \($no) has no unit of measure (PO103)")
      },
      unit_price: (.unit_price
                   // ([.prices[] | select(.qualifier as $q | any(("CON", "NET", "DIS", "UCP", "PUR"); . == $q)) | .price][0])
                   // error("PO1 line \($no) has no unit price (PO104); the 850 does not say what to charge")),
      requested_date: (date_of(.dates; "002") // date_of($po.dates; "002"))
    };

def refs($doc; $store):
  [ { system: "x12_po", id: $doc.purchase_order.po_number },
    { system: "x12_st", id: $doc.transaction.control_number },
    (if $doc.interchange != null then { system: "x12_isa", id: $doc.interchange.control_number } else empty end),
    (if $doc.group != null then { system: "x12_gs", id: $doc.group.control_number } else empty end),
    (if $store != null then { system: "x12_store", id: $store } else empty end) ];

. as $doc
| $doc.purchase_order as $po
| ($doc.options // {}) as $opts
| ($opts.default_country // "US") as $country
| ($opts + { default_country: $country }) as $opts
| ([$po.lines[] | .destinations[] | .location] | unique) as $stores
| ([$po.lines[] | select((.destinations | length) == 0)] | length > 0) as $undistributed
| (($po | party("BY")) // ($po | party("BT"))) as $buyer
| ($po | party("ST")) as $ship_to
| {
    channel: { kind: "edi", account: $account },
    customer_po: $po.po_number,
    order_date: (if $po.po_date != null then "\($po.po_date)T00:00:00Z" else $received_at end),
    currency: ($po.currency // $opts.default_currency
               // error("850 \($po.po_number) names no currency (CUR02) and the partner has no default_currency")),
    customer: {
      name: (($buyer.name | nonblank) // $account),
      external_refs: [{ system: "edi_partner", id: $account }]
    },
    bill_to: ($po | party("BT") | address($opts)),
    notes: ($po.notes | if length == 0 then null else join("\n") end),
    mapping: { name: "edi-850", version: 1 }
  } as $header
| if ($opts.sdq_split // "per_store") == "per_store" and ($stores | length) > 0 then
    # One order per store, and one for the lines no SDQ distributes.
    ( $stores[] as $store
      | $header + {
          channel_order_id: "\($po.po_number)/\($store)",
          ship_to: (($ship_to | address($opts))
                    // (($opts.stores // {})[$store])
                    // { company: "store \($store)", country: $country }),
          lines: [ $po.lines | range(length) as $i | .[$i]
                   | . as $line | (.destinations[] | select(.location == $store)) as $dest
                   | $line | order_line($po; $i; $dest; "") ],
          notes: ([$header.notes, "mark for store \($store)"] | map(select(. != null)) | join("\n")),
          external_refs: refs($doc; $store)
        } ),
    ( if $undistributed then
        $header + {
          channel_order_id: $po.po_number,
          ship_to: ($ship_to | address($opts)),
          lines: [ $po.lines | range(length) as $i | .[$i]
                   | select((.destinations | length) == 0) | order_line($po; $i; null; "") ],
          external_refs: refs($doc; null)
        }
      else empty end )
  else
    $header + {
      channel_order_id: $po.po_number,
      ship_to: ($ship_to | address($opts)),
      lines: [ $po.lines | range(length) as $i | .[$i] as $line
               | if ($line.destinations | length) == 0 then $line | order_line($po; $i; null; "")
                 else $line.destinations[] as $dest | $line | order_line($po; $i; $dest; "@\($dest.location)")
                 end ],
      declared_totals: ([$po.amounts[] | select(.qualifier == "TT") | { total: .amount }][0]),
      external_refs: refs($doc; null)
    }
  end
