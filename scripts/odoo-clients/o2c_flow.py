#!/usr/bin/env python3
"""Order -> delivery -> invoice -> payment against an Odoo server (or the
o2c sandbox, `o2c odoo-sim`) through a real, independent Odoo client library.

    python o2c_flow.py --url http://127.0.0.1:8069 --db o2c \
        --login admin --password admin --client odoorpc
    python o2c_flow.py ... --client odooly [--transport web|jsonrpc]

The flow, the same for every client:

1. find a customer and two storable products (version-specific fields:
   `detailed_type` on 16-17, `is_storable` from 18);
2. create a sale order with two lines (one2many commands) and confirm it;
3. deliver part of the first line (done quantities per version: `qty_done`
   on 16, `quantity` + `picked` from 17) and all of the second, validate,
   and answer whatever wizard comes back (backorder confirmation, SMS
   confirmation, 16's immediate transfer) in a loop with the action's own
   context; then validate the backorder the same way;
4. invoice through `sale.advance.payment.inv`, post the invoice;
5. pay it through `account.payment.register`;
6. assert the final states: order `sale` with `invoice_status` `invoiced`,
   every picking `done`, the invoice `posted` and `paid`.

odoorpc (0.10) talks `/web/webclient/version_info`, then JSON-RPC on
`/jsonrpc` (`db.list`, `common.login`, `object.execute[_kw]`); the script
also reads the final order back through the web session routes
(`/web/session/authenticate` + `/web/dataset/call_kw`) with odoorpc's own
cookie-keeping connector. odooly (2.6) talks the web client's routes
(`/web/session/authenticate`, `/web/dataset/call_kw/<model>/<method>`) for
a plain server URL, and JSON-RPC (`common`/`object` on `/jsonrpc`) when the
URL ends in `/jsonrpc` (`--transport jsonrpc`).

Exits 0 when every check holds; otherwise prints what differed and exits 1
(2 for bad arguments, 3 when the client library is missing).
"""

import argparse
import sys
import time
import traceback
from urllib.parse import urlsplit


class FlowError(Exception):
    """A state or answer that differs from what real Odoo gives."""


def check(cond, message):
    if not cond:
        raise FlowError(message)


def log(message):
    print(f"[o2c_flow] {message}", flush=True)


def m2o_id(value):
    """The id of a many2one value as read (`[id, name]` or `False`)."""
    if isinstance(value, (list, tuple)) and value:
        return value[0]
    return value or False


# --------------------------------------------------------------------------
# Client adapters: each maps the five operations the flow needs onto the
# library's own model API (not a hand-written RPC call).
# --------------------------------------------------------------------------


class OdoorpcClient:
    name = "odoorpc"

    def __init__(self, url, db, login, password, timeout):
        import odoorpc

        parts = urlsplit(url)
        protocol = "jsonrpc+ssl" if parts.scheme == "https" else "jsonrpc"
        port = parts.port or (443 if parts.scheme == "https" else 80)
        # ODOO() asks /web/webclient/version_info at once
        self.odoo = odoorpc.ODOO(parts.hostname, protocol=protocol, port=port, timeout=timeout)
        self.version = self.odoo.version
        dbs = self.odoo.db.list()
        check(db in dbs, f"db.list() = {dbs!r} does not contain {db!r}")
        self.odoo.login(db, login, password)
        check(self.odoo.env.uid, "login gave no uid")
        self.db, self.login, self.password = db, login, password
        self.transport = "JSON-RPC /jsonrpc"

    def _model(self, model, context=None):
        m = self.odoo.env[model]
        return m.with_context(context) if context else m

    def search(self, model, domain, limit=None, order=None):
        kwargs = {}
        if limit is not None:
            kwargs["limit"] = limit
        if order:
            kwargs["order"] = order
        return self._model(model).search(domain, **kwargs)

    def read(self, model, ids, fields):
        return self._model(model).read(ids, fields)

    def create(self, model, values, context=None):
        new_id = self._model(model, context).create(values)
        return new_id[0] if isinstance(new_id, list) else new_id

    def write(self, model, ids, values):
        return self._model(model).browse(ids).write(values)

    def call(self, model, method, ids, context=None):
        records = self._model(model).browse(ids)
        if context:
            records = records.with_context(context)
        return getattr(records, method)()

    def web_session_read(self, model, ids, fields):
        """Reads through the web client's session routes, with odoorpc's own
        connector (it keeps the session cookie)."""
        info = self.odoo.json(
            "/web/session/authenticate",
            {"db": self.db, "login": self.login, "password": self.password},
        )
        check("error" not in info, f"/web/session/authenticate failed: {info.get('error')}")
        check(info["result"].get("uid") == self.odoo.env.uid,
              f"/web/session/authenticate gave uid {info['result'].get('uid')!r}")
        data = self.odoo.json(
            "/web/dataset/call_kw",
            {"model": model, "method": "read", "args": [ids, fields], "kwargs": {}},
        )
        check("error" not in data, f"/web/dataset/call_kw failed: {data.get('error')}")
        return data["result"]


class OdoolyClient:
    name = "odooly"

    def __init__(self, url, db, login, password, transport):
        import odooly

        server = url.rstrip("/")
        if transport == "jsonrpc" and not server.endswith("/jsonrpc"):
            server += "/jsonrpc"
        self.client = odooly.Client(server, db=db, user=login, password=password)
        self.env = self.client.env
        check(self.env.uid, "login gave no uid")
        self.version = self.client.server_version
        self.transport = self.env._execute_kw._protocol_name

    def _model(self, model, context=None):
        m = self.env[model]
        return m.with_context(context) if context else m

    def search(self, model, domain, limit=None, order=None):
        kwargs = {}
        if limit is not None:
            kwargs["limit"] = limit
        if order:
            kwargs["order"] = order
        return list(self._model(model).search(domain, **kwargs).ids)

    def read(self, model, ids, fields):
        rows = self._model(model).read(list(ids), tuple(fields))
        # odooly sorts the ids; give them back in the order asked
        by_id = {r["id"]: r for r in rows}
        return [by_id[i] for i in ids if i in by_id]

    def create(self, model, values, context=None):
        return self._model(model, context).create(values).id

    def write(self, model, ids, values):
        return self._model(model).browse(list(ids)).write(values)

    def call(self, model, method, ids, context=None):
        records = self._model(model, context).browse(list(ids))
        return getattr(records, method)()

    def web_session_read(self, model, ids, fields):
        return None


# --------------------------------------------------------------------------
# The flow
# --------------------------------------------------------------------------

# The method that answers each wizard the way a user clicking through would:
# create the backorder, do not send an SMS, apply the immediate transfer.
WIZARD_METHODS = {
    "stock.backorder.confirmation": "process",
    "stock.immediate.transfer": "process",
    "confirm.stock.sms": "dont_send_sms",
}


class Flow:
    def __init__(self, client):
        self.c = client
        self.major = int(str(client.version).split(".")[0].split("-")[0].split("+")[0])
        self.calls = 0

    # -- helpers ---------------------------------------------------------

    def read_one(self, model, rid, fields):
        rows = self.c.read(model, [rid], fields)
        check(len(rows) == 1, f"{model} {rid} not found")
        return rows[0]

    def run_action(self, action, picking_id, depth=0):
        """Follows the wizard actions `button_validate` answers with, in a
        loop, each with the context the action carries."""
        seen = []
        while isinstance(action, dict) and action.get("res_model"):
            model = action["res_model"]
            check(model in WIZARD_METHODS,
                  f"validating picking {picking_id}: unexpected action {action!r}")
            check(len(seen) < 6, f"wizard loop on picking {picking_id}: {seen}")
            seen.append(model)
            context = dict(action.get("context") or {})
            wizard_id = action.get("res_id")
            if not wizard_id:
                wizard_id = self.c.create(model, {}, context=context)
            log(f"  wizard {model} #{wizard_id} -> {WIZARD_METHODS[model]}")
            action = self.c.call(model, WIZARD_METHODS[model], [wizard_id], context=context)
        return seen

    def set_done(self, picking_id, done_by_product):
        """Done quantities per product on the picking's move lines."""
        pick = self.read_one("stock.picking", picking_id, ["move_ids", "move_line_ids", "state"])
        check(pick["state"] == "assigned",
              f"picking {picking_id} is {pick['state']!r} before validation, expected 'assigned'")
        lines = self.c.read("stock.move.line", pick["move_line_ids"], ["product_id", "move_id"])
        first_line = {}
        for line in lines:
            first_line.setdefault(m2o_id(line["product_id"]), []).append(line["id"])
        for product_id, qty in done_by_product.items():
            ids = first_line.get(product_id)
            check(ids, f"picking {picking_id} has no move line for product {product_id}")
            if self.major >= 17:
                values_first = {"quantity": qty, "picked": True}
                values_rest = {"quantity": 0.0, "picked": True}
            else:
                values_first = {"qty_done": qty}
                values_rest = {"qty_done": 0.0}
            self.c.write("stock.move.line", ids[:1], values_first)
            if ids[1:]:
                self.c.write("stock.move.line", ids[1:], values_rest)

    # -- steps -----------------------------------------------------------

    def find_master_data(self):
        customers = self.c.search(
            "res.partner",
            [("customer_rank", ">", 0), ("is_company", "=", True), ("parent_id", "=", False)],
            limit=1, order="id",
        )
        check(customers, "no customer (res.partner with customer_rank > 0)")
        storable = ([("is_storable", "=", True)] if self.major >= 18
                    else [("detailed_type", "=", "product")])
        products = self.c.search("product.product", [("sale_ok", "=", True)] + storable,
                                 limit=20, order="id")
        check(len(products) >= 2, f"fewer than two storable products: {products}")
        rows = self.c.read("product.product", products, ["name", "qty_available", "list_price"])
        stocked = [r for r in rows if (r.get("qty_available") or 0) >= 5]
        check(len(stocked) >= 2, f"fewer than two products with 5 on hand: {rows}")
        self.customer = customers[0]
        self.products = [r["id"] for r in stocked[:2]]
        log(f"customer {self.customer}, products {self.products} "
            f"({', '.join(r['name'] for r in stocked[:2])})")

    def order(self):
        p1, p2 = self.products
        self.qty = {p1: 3.0, p2: 2.0}
        so = self.c.create("sale.order", {
            "partner_id": self.customer,
            "client_order_ref": f"{self.c.name}-{int(time.time())}",
            "order_line": [
                (0, 0, {"product_id": p1, "product_uom_qty": self.qty[p1]}),
                (0, 0, {"product_id": p2, "product_uom_qty": self.qty[p2]}),
            ],
        })
        self.so = so
        o = self.read_one("sale.order", so, ["name", "state", "order_line", "amount_total"])
        check(o["state"] == "draft", f"new order is {o['state']!r}, expected 'draft'")
        check(len(o["order_line"]) == 2, f"order has {len(o['order_line'])} lines, expected 2")
        check(o["amount_total"] > 0, f"order total {o['amount_total']!r}")
        log(f"order {o['name']} (#{so}) created, total {o['amount_total']}")
        self.c.call("sale.order", "action_confirm", [so])
        o = self.read_one("sale.order", so, ["state", "picking_ids"])
        check(o["state"] == "sale", f"confirmed order is {o['state']!r}, expected 'sale'")
        check(len(o["picking_ids"]) == 1,
              f"confirmed order has pickings {o['picking_ids']}, expected one")
        self.picking = o["picking_ids"][0]
        log(f"order confirmed, delivery #{self.picking}")

    def deliver(self):
        p1, p2 = self.products
        # part of the first line now, the rest in a backorder
        self.set_done(self.picking, {p1: self.qty[p1] - 1, p2: self.qty[p2]})
        action = self.c.call("stock.picking", "button_validate", [self.picking])
        wizards = self.run_action(action, self.picking)
        check("stock.backorder.confirmation" in wizards,
              f"a partial delivery gave wizards {wizards}, expected the backorder confirmation")
        p = self.read_one("stock.picking", self.picking, ["state", "backorder_ids", "name"])
        check(p["state"] == "done", f"delivery {p['name']} is {p['state']!r}, expected 'done'")
        check(len(p["backorder_ids"]) == 1,
              f"delivery {p['name']} has backorders {p['backorder_ids']}, expected one")
        backorder = p["backorder_ids"][0]
        log(f"delivery {p['name']} done (wizards: {wizards or 'none'}), backorder #{backorder}")
        if self.major >= 17:
            self.set_done(backorder, {p1: 1.0})
        # on 16 the backorder goes through the immediate transfer wizard
        action = self.c.call("stock.picking", "button_validate", [backorder])
        wizards = self.run_action(action, backorder)
        if self.major == 16:
            check("stock.immediate.transfer" in wizards,
                  f"16: validating with nothing done gave {wizards}, expected immediate transfer")
        b = self.read_one("stock.picking", backorder, ["state", "name"])
        check(b["state"] == "done", f"backorder {b['name']} is {b['state']!r}, expected 'done'")
        log(f"backorder {b['name']} done (wizards: {wizards or 'none'})")

    def invoice(self):
        ctx = {"active_model": "sale.order", "active_ids": [self.so], "active_id": self.so}
        wizard = self.c.create("sale.advance.payment.inv",
                               {"advance_payment_method": "delivered"}, context=ctx)
        self.c.call("sale.advance.payment.inv", "create_invoices", [wizard], context=ctx)
        o = self.read_one("sale.order", self.so, ["invoice_ids", "amount_total"])
        check(len(o["invoice_ids"]) == 1, f"order invoices {o['invoice_ids']}, expected one")
        self.inv = o["invoice_ids"][0]
        fields = ["state", "move_type", "amount_total", "amount_residual", "name"]
        inv = self.read_one("account.move", self.inv, fields)
        check(inv["state"] == "draft", f"new invoice is {inv['state']!r}, expected 'draft'")
        check(inv["move_type"] == "out_invoice", f"invoice type {inv['move_type']!r}")
        check(abs(inv["amount_total"] - o["amount_total"]) < 0.005,
              f"invoice total {inv['amount_total']} != order total {o['amount_total']}")
        self.c.call("account.move", "action_post", [self.inv])
        inv = self.read_one("account.move", self.inv, fields + ["payment_state"])
        check(inv["state"] == "posted", f"posted invoice is {inv['state']!r}")
        check(inv["payment_state"] == "not_paid",
              f"posted invoice payment_state {inv['payment_state']!r}, expected 'not_paid'")
        check(inv["name"] not in ("/", False), f"posted invoice has no number: {inv['name']!r}")
        log(f"invoice {inv['name']} (#{self.inv}) posted, {inv['amount_total']}")

    def pay(self):
        ctx = {"active_model": "account.move", "active_ids": [self.inv], "active_id": self.inv}
        wizard = self.c.create("account.payment.register", {}, context=ctx)
        w = self.read_one("account.payment.register", wizard, ["amount", "journal_id"])
        inv = self.read_one("account.move", self.inv, ["amount_residual"])
        check(abs(w["amount"] - inv["amount_residual"]) < 0.005,
              f"payment wizard proposes {w['amount']}, residual is {inv['amount_residual']}")
        self.c.call("account.payment.register", "action_create_payments", [wizard], context=ctx)
        log(f"payment of {w['amount']} registered on {w['journal_id'] and w['journal_id'][1]}")

    def assert_final(self):
        o = self.read_one("sale.order", self.so,
                          ["name", "state", "invoice_status", "picking_ids", "invoice_ids"])
        inv = self.read_one("account.move", self.inv, ["name", "state", "payment_state"])
        picks = self.c.read("stock.picking", o["picking_ids"], ["name", "state"])
        problems = []
        if o["state"] != "sale":
            problems.append(f"order state {o['state']!r}, expected 'sale'")
        if o["invoice_status"] != "invoiced":
            problems.append(f"order invoice_status {o['invoice_status']!r}, expected 'invoiced'")
        if len(picks) != 2:
            problems.append(f"order has {len(picks)} pickings, expected 2 (delivery + backorder)")
        for p in picks:
            if p["state"] != "done":
                problems.append(f"picking {p['name']} state {p['state']!r}, expected 'done'")
        if inv["state"] != "posted":
            problems.append(f"invoice state {inv['state']!r}, expected 'posted'")
        if inv["payment_state"] != "paid":
            problems.append(f"invoice payment_state {inv['payment_state']!r}, expected 'paid'")
        web = self.c.web_session_read("sale.order", [self.so], ["state", "invoice_status"])
        if web is not None:
            if [(r["state"], r["invoice_status"]) for r in web] != [(o["state"], o["invoice_status"])]:
                problems.append(f"the web session reads the order as {web!r}")
            else:
                log("web session (/web/session/authenticate + /web/dataset/call_kw) agrees")
        check(not problems, "final states differ:\n  - " + "\n  - ".join(problems))
        log(f"final: order {o['name']} {o['state']}/{o['invoice_status']}, "
            f"pickings {', '.join(p['name'] + ' ' + p['state'] for p in picks)}, "
            f"invoice {inv['name']} {inv['state']}/{inv['payment_state']}")

    def run(self):
        self.find_master_data()
        self.order()
        self.deliver()
        self.invoice()
        self.pay()
        self.assert_final()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", required=True, help="server base URL, e.g. http://127.0.0.1:8069")
    ap.add_argument("--db", required=True, help="database name")
    ap.add_argument("--login", required=True)
    ap.add_argument("--password", required=True, help="password or API key")
    ap.add_argument("--client", required=True, choices=["odoorpc", "odooly"])
    ap.add_argument("--transport", choices=["web", "jsonrpc"], default="web",
                    help="odooly only: the web client's routes (default) or JSON-RPC /jsonrpc")
    ap.add_argument("--timeout", type=float, default=60.0, help="odoorpc request timeout, s")
    args = ap.parse_args(argv)

    started = time.monotonic()
    try:
        if args.client == "odoorpc":
            client = OdoorpcClient(args.url, args.db, args.login, args.password, args.timeout)
        else:
            client = OdoolyClient(args.url, args.db, args.login, args.password, args.transport)
    except ImportError as exc:
        print(f"[o2c_flow] FAIL: the {args.client} library is not installed: {exc}",
              file=sys.stderr)
        return 3
    except Exception as exc:  # noqa: BLE001 - any failure to connect is reported
        traceback.print_exc()
        print(f"[o2c_flow] FAIL: {args.client} could not connect to {args.url} "
              f"db {args.db!r}: {exc}", file=sys.stderr)
        return 1
    log(f"{client.name} connected to Odoo {client.version} over {client.transport}")
    flow = Flow(client)
    try:
        flow.run()
    except FlowError as exc:
        print(f"[o2c_flow] FAIL ({client.name}, Odoo {client.version}): {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - a server error is a failure too
        traceback.print_exc()
        print(f"[o2c_flow] FAIL ({client.name}, Odoo {client.version}): "
              f"{type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    log(f"OK: {client.name} on Odoo {client.version} in {time.monotonic() - started:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
