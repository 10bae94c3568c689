# Salesforce REST query records -> o2c canonical order v1. Mapping version 2.
#
# What changed from v1: nothing in the result. `text` and `nonzero` no
# longer call regular-expression builtins (jaq compiles the expression on
# every call, which cost about half of v1's time): `text` trims, `nonzero`
# checks the digits. A test proves v2 and v1 give the same order.
#
# Input (what the puller assembles per record):
#   {"object":   "Order" | "Opportunity",
#    "record":   <one element of a query result's "records">,
#    "currency": <optional: the org's currency, for orgs without multi-currency>}
# or a bare record, whose attributes.type names the object.
# $account = the org the record was pulled from (the channel account).
#
# Records are as the REST API returns them: each carries
# "attributes": {"type", "url"}; relationship fields are nested objects
# (Account.Name -> .Account.Name); a child subquery is a nested query result
# {"totalSize", "done", "records": [...]} or null when there are no children.
#
# Orders: the approved (Status = 'Activated', configurable) Order with its
# OrderItems. Opportunities: a closed-won Opportunity with its
# OpportunityLineItems (Discount is a percentage). Neither carries tax:
# Odoo computes it, so declared totals are the pre-tax amount.
#
# Money: Salesforce sends currency fields as JSON numbers; they reach jq with
# their digits intact and are written back as decimal strings (tostring), no
# arithmetic happens here.
#
# Countries: the canonical address needs an ISO 3166 alpha-2 code. Orgs with
# State and Country picklists have *CountryCode / *StateCode fields (add them
# to the puller's extra fields); otherwise a two-letter *Country is taken as
# the code. A non-empty address without a usable country is an error, never
# silently dropped.

def text: if . == null or (type == "string" and (trim == "")) then null else . end;
def dec: if . == null then null else tostring end;
# zero as Salesforce writes it: only zeros, with at most one decimal point
def zero_text: split(".") | length <= 2 and all(.[]; explode | all(.[]; . == 48));
def nonzero: if . == null or (tostring | zero_text) then null else . end;

def country_of($r; $prefix; $what):
  ($r[$prefix + "CountryCode"] | text) as $code
  | ($r[$prefix + "Country"] | text) as $name
  | if $code != null then ($code | ascii_upcase)
    elif $name != null and ($name | test("^[A-Za-z]{2}$")) then ($name | ascii_upcase)
    elif $name != null then error("\($what): \($prefix)Country \($name | tojson) is not an ISO 3166 code; select \($prefix)CountryCode (State and Country picklists)")
    else null
    end;

def subdivision_of($r; $prefix; $country):
  ($r[$prefix + "StateCode"] // $r[$prefix + "State"] | text) as $s
  | if $s == null or $country == null then null
    elif ($s | test("^[A-Za-z0-9]{1,3}$")) then "\($country)-\($s | ascii_upcase)"
    else null
    end;

def address($r; $prefix; $what; $company):
  [$r[$prefix + "Street"], $r[$prefix + "City"], $r[$prefix + "PostalCode"],
   $r[$prefix + "State"], $r[$prefix + "Country"], $r[$prefix + "CountryCode"]]
  | map(text | select(. != null)) as $parts
  | if ($parts | length) == 0 then null
    else country_of($r; $prefix; $what) as $country
    | if $country == null then error("\($what): the \($prefix) address has no country")
      else {
        company: $company,
        street_lines: (($r[$prefix + "Street"] // "") | split("\n") | map(text | select(. != null))),
        city: ($r[$prefix + "City"] | text),
        postal_code: ($r[$prefix + "PostalCode"] | text),
        subdivision: subdivision_of($r; $prefix; $country),
        country: $country
      } end
    end;

def children($name): (.[$name] // {}) | (.records // []);

def day($field; $what):
  if . == null then error("\($what) has no \($field)")
  elif test("^[0-9]{4}-[0-9]{2}-[0-9]{2}$") then . + "T00:00:00Z"
  else . end;

def line($what):
  (.Id // error("\($what) has a line without Id")) as $line_id
  | ((.Product2.ProductCode // .ProductCode) | text
     // error("\($what) line \($line_id) has no product code (Product2.ProductCode)")) as $sku
  | (.Quantity // error("\($what) line \($line_id) has no Quantity")) as $qty
  | (.UnitPrice // error("\($what) line \($line_id) has no UnitPrice")) as $price
  | {
      line_id: $line_id,
      sku: $sku,
      description: ((.Product2.Name // .Description) | text),
      quantity: { value: ($qty | dec), uom: "Units" },
      unit_price: ($price | dec),
      discount_percent: (.Discount | nonzero | dec)
    };

(if type == "object" and (.record | type) == "object" then .
 # A bare record (e.g. saved from the API) maps too: its attributes name the type.
 elif type == "object" and (.attributes | type) == "object" then {record: .}
 else error("salesforce input has no \"record\" object") end)
| .record as $r
| (.object // $r.attributes.type) as $object
| ($r.Id // error("salesforce \($object) without Id")) as $id
| "salesforce \($object) \($id)" as $what
| ($r.CurrencyIsoCode // .currency
   // error("\($what) has no CurrencyIsoCode and the puller gave no org currency")) as $cur
| ($r.Account // {}) as $acct
| (if $object == "Order" then ($r | children("OrderItems"))
   elif $object == "Opportunity" then ($r | children("OpportunityLineItems"))
   else error("salesforce object \($object | tojson) is not an Order or an Opportunity") end) as $items
| (if ($items | length) == 0 then error("\($what) has no lines") else . end)
| ($r.TotalAmount // $r.Amount) as $total
| {
    channel: { kind: "salesforce", account: $account },
    channel_order_id: $id,
    customer_po: ($r.PoNumber | text),
    order_date: (if $object == "Order" then ($r.EffectiveDate | day("EffectiveDate"; $what))
                 else ($r.CloseDate | day("CloseDate"; $what)) end),
    currency: $cur,
    customer: {
      name: ($acct.Name | text // error("\($what) has no Account.Name")),
      external_refs: [
        (if $acct.Id != null then { system: "salesforce", id: $acct.Id } else empty end),
        (if ($acct.AccountNumber | text) != null then { system: "salesforce_account_number", id: $acct.AccountNumber } else empty end)
      ]
    },
    bill_to: address($r; "Billing"; $what; $acct.Name),
    ship_to: address($r; "Shipping"; $what; $acct.Name),
    lines: [ $items[] | line($what) ],
    declared_totals: (if $total == null then null
                      else { subtotal: ($total | dec), total: ($total | dec) } end),
    notes: ($r.Description | text),
    mapping: { name: "salesforce", version: 2 },
    external_refs: [
      { system: "salesforce", id: $id },
      (if ($r.OrderNumber | text) != null then { system: "salesforce_order_number", id: $r.OrderNumber } else empty end),
      (if $object == "Opportunity" and ($r.Name | text) != null then { system: "salesforce_opportunity", id: $r.Name } else empty end)
    ]
  }
