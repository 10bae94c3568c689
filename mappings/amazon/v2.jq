# Amazon Selling Partner API, Orders API v0 -> o2c canonical order v1.
# Mapping version 2.
#
# What changed from v1: nothing in the result for Amazon's orders. v1 called
# regular-expression replacement (`gsub`) to trim and to test for blank text,
# which jaq compiles on every call and which the hub's direct evaluator does
# not run (ADR 0018); v2 uses `trim`, and a membership test (`any`) instead
# of `index` for the subdivision table. v1 checked the currency of every
# item member holding a `CurrencyCode`; v2 checks the Money members the
# Orders API v0 model documents for an OrderItem, by name, so the evaluator
# reads only the members a mapping names. A test maps the same orders
# through both versions.
#
# Input (what the puller assembles per order):
#   {"order":   <Order, an element of getOrders payload.Orders or the getOrder payload>,
#    "items":   [<OrderItem>...]  (getOrderItems payload.OrderItems, every page;
#                                  the whole getOrderItems payload is accepted too),
#    "address": <optional: getOrderAddress ShippingAddress, or that payload>,
#    "buyer":   <optional: getOrderBuyerInfo payload / BuyerInfo>}
# $account = the selling-partner account the order was pulled for.
#
# Money. Amazon sends amounts as decimal strings ("17.95"). Where arithmetic is
# needed (sums, the unit price) it is done here on exact integers: "17.95" is
# {u: 1795, s: 2} (amount = u / 10^s). jaq adds, subtracts and multiplies
# integers exactly (growing to big integers) but divides in binary floats, so
# this file never uses `/`; division is long division on digits (`idiv`).
#
# Prices. Amazon's ItemPrice is the LINE total (unit price x QuantityOrdered),
# while the canonical line holds a unit price. The unit price is ItemPrice / qty
# when that is exact at the amount's own scale (cents for USD); otherwise it is
# rounded UP to that scale and the excess (less than one cent per unit, times
# the quantity) is added to the line's `discount_amount`, so that
# qty x unit_price - discount_amount == ItemPrice - PromotionDiscount exactly,
# and an ERP with two-decimal unit prices reproduces Amazon's line total.
# Example: 2 x "17.95" -> unit_price "8.98", discount_amount "0.01".
#
# Status. Pending / PendingAvailability orders have no prices, address or buyer
# yet (payment not authorised): they are a mapping error starting with
# "deferred:"; the puller does not store them, and because Amazon changes
# LastUpdateDate when the order leaves Pending, the LastUpdatedAfter cursor
# brings them back. Canceled and Unfulfillable orders are a mapping error
# starting with "not an order:" (a cancellation is an event for an order the
# hub may already hold, not a new order).
#
# Fulfilment. FulfillmentChannel "AFN" is Fulfillment by Amazon (FBA): Amazon
# ships from its own warehouses, so a distributor's warehouse must NOT ship the
# order again. Such orders get route "amazon_fba" (book the sale and the
# invoice, never release to the warehouse); "MFN" (merchant fulfilled) orders
# get route "amazon_mfn" and are shipped by the distributor as usual.
#
# Known gaps (the canonical model has no field for them): ShippingTax and
# ShippingDiscountTax only reach declared_totals.tax (a shipping charge has no
# taxes); CODFee, gift wrap and PointsGranted are not mapped; a StateOrRegion
# that is not an ISO 3166-2 code (e.g. "Bayern") is dropped; in tax-inclusive
# marketplaces (EU, UK, JP, AU, ...) ItemPrice includes VAT and the model has no
# prices-include-tax flag.

# ---------------------------------------------------------------- decimals ---

def digits: reduce (explode[] | . - 48) as $d (0; . * 10 + $d);
def pow10: . as $n | reduce range($n) as $_ (1; . * 10);
def zeros($n): [range($n) | "0"] | join("");

# A Money object or a decimal string/number -> {u, s}; null stays null.
def dec:
  (if type == "object" then .Amount else . end)
  | if . == null then null
    else (if type == "number" then tostring else . end) as $t
    | if ($t | type) != "string" or ($t | test("^[0-9]+(\\.[0-9]+)?$") | not)
      then error("amazon amount \($t | tojson) is not a non-negative decimal such as \"19.99\"")
      else ($t | split(".")) as $p
      | ($p[1] // "") as $f
      | {u: (($p[0] + $f) | digits), s: ($f | length)}
      end
    end;

def at_scale($s): .u * (($s - .s) | pow10);

# Sum of an array of {u, s} (nulls skipped); null when nothing is left.
def dsum:
  map(select(. != null))
  | if length == 0 then null
    else (map(.s) | max) as $s | {u: (map(at_scale($s)) | add), s: $s}
    end;

def dneg: if . == null then null else {u: (0 - .u), s: .s} end;
def nonzero: if . == null or .u == 0 then null else . end;

# {u, s} -> "12.34" (keeps the scale: "0.00" stays two decimals).
def dfmt:
  if . == null then null
  else (.u < 0) as $neg
  | .s as $s
  | ((if $neg then 0 - .u else .u end) | tostring) as $d
  | (if ($d | length) <= $s then zeros($s - ($d | length) + 1) + $d else $d end) as $p
  | ($p | length) as $l
  | (if $neg then "-" else "" end)
    + (if $s == 0 then $p
       else ($p | explode | .[0:$l - $s] | implode) + "." + ($p | explode | .[$l - $s:] | implode)
       end)
  end;

# Exact integer division of a non-negative integer by a positive one: {q, r}.
def idiv($b):
  reduce (tostring | explode[] | . - 48) as $c ({q: 0, r: 0};
    (.r * 10 + $c) as $r
    | ([range(10) | select(. * $b <= $r)] | last) as $d
    | {q: (.q * 10 + $d), r: ($r - $d * $b)});

# ------------------------------------------------------------ value maps ----

# Regions whose StateOrRegion Amazon sends as the ISO 3166-2 subdivision code
# (US states, DC and outlying areas; Canadian provinces; Australian states).
# Military "states" (AA, AE, AP) are not ISO codes and are left out.
def iso_subdivisions: {
  "US": ["AL","AK","AZ","AR","CA","CO","CT","DE","FL","GA","HI","ID","IL","IN","IA","KS",
         "KY","LA","ME","MD","MA","MI","MN","MS","MO","MT","NE","NV","NH","NJ","NM","NY",
         "NC","ND","OH","OK","OR","PA","RI","SC","SD","TN","TX","UT","VT","VA","WA","WV",
         "WI","WY","DC","AS","GU","MP","PR","UM","VI"],
  "CA": ["AB","BC","MB","NB","NL","NS","NT","NU","ON","PE","QC","SK","YT"],
  "AU": ["ACT","NSW","NT","QLD","SA","TAS","VIC","WA"]
};

def subdivision($country):
  if . == null or $country == null then null
  else (ascii_upcase | trim) as $r
  | if ($r | test("^[A-Z]{2}-[A-Z0-9]{1,3}$")) and ($r | startswith($country + "-")) then $r
    elif (iso_subdivisions[$country] // []) | any(.[]; . == $r) then "\($country)-\($r)"
    else null
    end
  end;

def text: if . == null or (type == "string" and trim == "") then null else . end;

def address:
  if . == null then null
  else .CountryCode as $country
  | {
    name: (.Name | text),
    company: (.CompanyName | text),
    street_lines: [.AddressLine1, .AddressLine2, .AddressLine3] | map(text | select(. != null)),
    city: (.City | text),
    postal_code: (.PostalCode | text),
    subdivision: (.StateOrRegion | subdivision($country)),
    country: .CountryCode,
    phone: (.Phone | text)
  }
  end;

def payment_status($method):
  if $method == "COD" then "unpaid"
  else {
    "Unshipped": "authorized",
    "PartiallyShipped": "partially_paid",
    "Shipped": "paid",
    "InvoiceUnconfirmed": "paid"
  }[. // ""]
  end;

# -------------------------------------------------------------- the order ---

(if (.order | type) != "object" then error("amazon input has no \"order\" object") else . end)
| .order as $o
| ($o.AmazonOrderId // error("amazon order without AmazonOrderId")) as $id
| ($o.OrderStatus // "") as $status
| if $status == "Pending" or $status == "PendingAvailability" then
    error("deferred: amazon order \($id) is \($status): Amazon gives no prices, address or buyer before payment is authorised; it is pulled again when its status changes")
  elif $status == "Canceled" or $status == "Unfulfillable" then
    error("not an order: amazon order \($id) is \($status)")
  else . end
| (if (.items | type) == "object" then .items.OrderItems else .items end // []) as $items
| (if ($items | length) == 0 then error("amazon order \($id) has no order items") else . end)
| ($o.OrderTotal.CurrencyCode // $items[0].ItemPrice.CurrencyCode
   // error("amazon order \($id) has neither OrderTotal nor item prices")) as $cur
# Every money field on the items must be in the order currency: the Money
# members of an OrderItem in the Orders API v0 model.
| ([$items[] | .OrderItemId as $item | . as $i
    | ("ItemPrice", "ShippingPrice", "ItemTax", "ShippingTax", "ShippingDiscount",
       "ShippingDiscountTax", "PromotionDiscount", "PromotionDiscountTax", "CODFee",
       "CODFeeDiscount") as $field
    | $i[$field]
    | select(type == "object" and has("CurrencyCode") and .CurrencyCode != $cur)
    | "\($field) of item \($item) is in \(.CurrencyCode), not \($cur)"]) as $mixed
| (if ($mixed | length) > 0 then error("amazon order \($id): \($mixed | join("; "))") else . end)
| (.buyer // $o.BuyerInfo // {}) as $b
| (if (.address | type) == "object" and (.address | has("ShippingAddress")) then .address.ShippingAddress
   else .address end // $o.ShippingAddress) as $addr
| [ $items[] | select((.QuantityOrdered // 0 | tostring) != "0") ] as $lines
| (if ($lines | length) == 0 then error("amazon order \($id): every item has QuantityOrdered 0") else . end)
| ($o.FulfillmentChannel // error("amazon order \($id) has no FulfillmentChannel")) as $fc
| {
    channel: { kind: "amazon", account: $account },
    channel_order_id: $id,
    customer_po: ($b.PurchaseOrderNumber | text),
    order_date: $o.PurchaseDate,
    currency: $cur,
    customer: {
      # A business buyer is the company; else the buyer, else the addressee.
      name: ([$b.BuyerTaxInfo.CompanyLegalName, $b.BuyerName, $addr.Name]
             | map(text | select(. != null)) | .[0] // "Amazon customer"),
      email: ($b.BuyerEmail | text),
      phone: ($addr.Phone | text),
      external_refs: []
    },
    ship_to: ($addr | address),
    lines: [ $lines[] |
      (.OrderItemId // error("amazon order \($id) has an item without OrderItemId")) as $line_id
      | (.SellerSKU | text // error("amazon order \($id) item \($line_id) has no SellerSKU")) as $sku
      | (.QuantityOrdered | tostring
         | if test("^[0-9]+$") then digits
           else error("amazon order \($id) item \($line_id): QuantityOrdered \(.) is not a whole number") end) as $qty
      | (.ItemPrice | dec // error("amazon order \($id) item \($line_id) has no ItemPrice")) as $price
      | ($price.u | idiv($qty)) as $qr
      | (if $qr.r == 0 then {unit: {u: $qr.q, s: $price.s}, excess: null}
         else {unit: {u: ($qr.q + 1), s: $price.s},
               excess: {u: (($qr.q + 1) * $qty - $price.u), s: $price.s}}
         end) as $split
      | {
          line_id: ($line_id | tostring),
          sku: $sku,
          description: (.Title | text),
          quantity: { value: ($qty | tostring), uom: "Units" },
          unit_price: ($split.unit | dfmt),
          discount_amount: ([(.PromotionDiscount | dec), $split.excess] | dsum | nonzero | dfmt),
          taxes: (if .ItemTax == null then []
                  else [{
                    # US marketplace-facilitator tax is collected and remitted by Amazon.
                    code: (if .TaxCollection.Model == "MarketplaceFacilitator"
                           then "amazon_marketplace_facilitator" else "amazon_item_tax" end),
                    amount: ([(.ItemTax | dec), (.PromotionDiscountTax | dec | dneg)] | dsum | dfmt)
                  }] end)
        }
    ],
    shipping: (
      ([$items[] | .ShippingPrice | dec] | dsum) as $ship
      | if $ship == null then null
        else {
          amount: ([$ship, ([$items[] | .ShippingDiscount | dec] | dsum | dneg)] | dsum | dfmt),
          description: ($o.ShipServiceLevel | text),
          service: ($o.ShipmentServiceLevelCategory | text)
        } end),
    declared_totals: (
      if $o.OrderTotal.Amount == null then null
      else {
        subtotal: ([([$items[] | .ItemPrice | dec] | dsum),
                    ([$items[] | .PromotionDiscount | dec] | dsum | dneg)] | dsum | dfmt),
        tax: ([$items[] | (.ItemTax | dec), (.ShippingTax | dec),
               (.PromotionDiscountTax | dec | dneg), (.ShippingDiscountTax | dec | dneg)] | dsum | dfmt),
        shipping: ([([$items[] | .ShippingPrice | dec] | dsum),
                    ([$items[] | .ShippingDiscount | dec] | dsum | dneg)] | dsum | dfmt),
        total: ($o.OrderTotal | dec | dfmt)
      } end),
    payment_status: ($status | payment_status($o.PaymentMethod)),
    delivery_window: (
      if $o.EarliestDeliveryDate == null and $o.LatestDeliveryDate == null then null
      else { earliest: $o.EarliestDeliveryDate, latest: $o.LatestDeliveryDate } end),
    route: (if $fc == "AFN" then "amazon_fba"
            elif $fc == "MFN" then "amazon_mfn"
            else error("amazon order \($id): unknown FulfillmentChannel \($fc | tojson)") end),
    notes: (if $fc == "AFN"
            then "Fulfilled by Amazon (FBA): Amazon ships this order; do not ship it from a warehouse."
            else null end),
    mapping: { name: "amazon", version: 2 },
    external_refs: [
      { system: "amazon", id: $id },
      (if $o.MarketplaceId != null then { system: "amazon_marketplace", id: $o.MarketplaceId } else empty end),
      (if ($o.SellerOrderId | text) != null and $o.SellerOrderId != $id
       then { system: "amazon_seller_order_id", id: $o.SellerOrderId } else empty end)
    ]
  }
