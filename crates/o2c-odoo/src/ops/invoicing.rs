//! Invoices from orders through `sale.advance.payment.inv`, posting, and
//! credit notes through `account.move.reversal`.

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::{ActionResult, Ops, dec, decimal_json, ids_of, m2o, opt_field, rec_id, str_field};
use crate::OdooError;

/// An invoice or credit note as read back.
#[derive(Debug, Clone, PartialEq)]
pub struct InvoiceInfo {
    pub id: i64,
    /// `None` while a draft has no number (`"/"` in 16–18, `false` in 19).
    pub name: Option<String>,
    pub state: String,
    pub move_type: String,
    pub partner_id: Option<i64>,
    pub payment_state: String,
    pub amount_total: Decimal,
    pub amount_residual: Decimal,
    pub invoice_origin: Option<String>,
    pub reference: Option<String>,
    pub reversed_entry_id: Option<i64>,
}

/// A credit note of (part of) an invoice.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CreditNoteRequest {
    pub invoice_id: i64,
    /// Unique per credit note (e.g. the RMA number): stored in the credit
    /// note's `ref` by the wizard, and the lookup key of a repeat.
    pub reason: String,
    /// Quantity per product to credit; `None` credits the whole invoice.
    pub lines: Option<Vec<(i64, Decimal)>>,
    pub post: bool,
}

const INVOICE_FIELDS: &[&str] = &[
    "name",
    "state",
    "move_type",
    "partner_id",
    "payment_state",
    "amount_total",
    "amount_residual",
    "invoice_origin",
    "ref",
    "reversed_entry_id",
];

fn invoice_info(r: &Value) -> Result<InvoiceInfo, OdooError> {
    Ok(InvoiceInfo {
        id: rec_id(r)?,
        name: opt_field(r, "name").filter(|n| n != "/"),
        state: str_field(r, "state"),
        move_type: str_field(r, "move_type"),
        partner_id: m2o(r, "partner_id"),
        payment_state: str_field(r, "payment_state"),
        amount_total: dec(r, "amount_total"),
        amount_residual: dec(r, "amount_residual"),
        invoice_origin: opt_field(r, "invoice_origin"),
        reference: opt_field(r, "ref"),
        reversed_entry_id: m2o(r, "reversed_entry_id"),
    })
}

impl Ops<'_> {
    pub async fn read_invoices(&self, ids: &[i64]) -> Result<Vec<InvoiceInfo>, OdooError> {
        self.read("account.move", ids, INVOICE_FIELDS)
            .await?
            .iter()
            .map(invoice_info)
            .collect()
    }

    pub async fn read_invoice(&self, id: i64) -> Result<InvoiceInfo, OdooError> {
        self.read_invoices(&[id])
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| super::missing("account.move", id))
    }

    /// Invoices the order's invoiceable quantities (delivered quantities for
    /// products invoiced on delivery) through `sale.advance.payment.inv`
    /// (`advance_payment_method: delivered`), with `active_model` /
    /// `active_ids` in the context on create and on the button (16 README
    /// §6). Returns the ids of the invoices it created — none when the
    /// order has nothing to invoice (`invoice_status` other than
    /// `to invoice`), which makes a repeat a no-op: Odoo counts draft
    /// invoice lines as invoiced.
    pub async fn create_invoices(&self, order_id: i64) -> Result<Vec<i64>, OdooError> {
        let so = self
            .read_one(
                "sale.order",
                order_id,
                &["invoice_status", "invoice_ids", "state"],
            )
            .await?;
        let before = ids_of(&so, "invoice_ids");
        if str_field(&so, "invoice_status") != "to invoice" {
            return Ok(Vec::new());
        }
        let mut ctx = json!({"active_model": "sale.order", "active_ids": [order_id],
                             "active_id": order_id});
        let wid = self
            .create(
                "sale.advance.payment.inv",
                json!({"advance_payment_method": "delivered"}),
                Some(&ctx),
            )
            .await?;
        if self.dialect.invoice_wizard_needs_open_invoices {
            // 16 answers act_window_close without it (16 README §5)
            ctx["open_invoices"] = json!(true);
        }
        let r = self
            .call_on(
                "sale.advance.payment.inv",
                "create_invoices",
                &[wid],
                Some(&ctx),
            )
            .await?;
        let mut created: Vec<i64> = match ActionResult::parse(r) {
            ActionResult::Window {
                res_model,
                res_id: Some(id),
                ..
            } if res_model == "account.move" => vec![id],
            _ => Vec::new(),
        };
        // several invoices, or an answer without res_id: the order knows
        let so = self
            .read_one("sale.order", order_id, &["invoice_ids"])
            .await?;
        for id in ids_of(&so, "invoice_ids") {
            if !before.contains(&id) && !created.contains(&id) {
                created.push(id);
            }
        }
        created.sort_unstable();
        Ok(created)
    }

    /// Posts the invoice if it is a draft; returns its number. Repeating it
    /// is a no-op (Odoo would refuse a re-post).
    pub async fn post_invoice(&self, id: i64) -> Result<String, OdooError> {
        let inv = self.read_invoice(id).await?;
        if inv.state == "draft" {
            // returns false on every version
            self.call_on("account.move", "action_post", &[id], None)
                .await?;
        } else if inv.state != "posted" {
            return Err(OdooError::UserError {
                message: format!("account.move {id} is {} and cannot be posted", inv.state),
            });
        }
        let inv = self.read_invoice(id).await?;
        inv.name.ok_or_else(|| {
            OdooError::protocol(format!("account.move {id} has no number after posting"))
        })
    }

    /// The credit notes already made from `invoice_id` with this reason.
    pub async fn find_credit_note(
        &self,
        invoice_id: i64,
        reason: &str,
    ) -> Result<Option<i64>, OdooError> {
        let found = self
            .search_read(
                "account.move",
                json!([
                    ["reversed_entry_id", "=", invoice_id],
                    ["move_type", "=", "out_refund"],
                    ["state", "!=", "cancel"],
                    ["ref", "ilike", reason]
                ]),
                &["id", "ref"],
                Some("id asc"),
                None,
            )
            .await?;
        // ilike is a substring match; the wizard writes
        // "Reversal of: <number>, <reason>" (account_move_reversal.py
        // `_prepare_default_reversal`), so the reason must end the ref
        let reason = reason.trim();
        Ok(found
            .iter()
            .find(|r| {
                let rf = str_field(r, "ref");
                rf.trim() == reason || rf.trim_end().ends_with(&format!(", {reason}"))
            })
            .and_then(|r| r.get("id"))
            .and_then(Value::as_i64))
    }

    /// Makes a credit note through `account.move.reversal` (16:
    /// `refund_method: refund` + `reverse_moves`; 17+: `refund_moves`,
    /// 17 README §12), trims its lines to the credited quantities, and
    /// posts it if asked. Keyed by (invoice, reason).
    pub async fn credit_note(&self, req: &CreditNoteRequest) -> Result<i64, OdooError> {
        if req.reason.trim().is_empty() {
            return Err(OdooError::Validation {
                message: "a credit note needs a reason (its natural key)".into(),
            });
        }
        let id = match self.find_credit_note(req.invoice_id, &req.reason).await? {
            Some(id) => id,
            None => self.make_credit_note(req).await?,
        };
        if req.post {
            let inv = self.read_invoice(id).await?;
            if inv.state == "draft" {
                self.call_on("account.move", "action_post", &[id], None)
                    .await?;
            }
        }
        Ok(id)
    }

    async fn make_credit_note(&self, req: &CreditNoteRequest) -> Result<i64, OdooError> {
        let inv = self
            .read_one("account.move", req.invoice_id, &["journal_id", "state"])
            .await?;
        let ctx = json!({"active_model": "account.move", "active_ids": [req.invoice_id]});
        let mut vals = json!({"reason": req.reason});
        if let Some(j) = m2o(&inv, "journal_id") {
            vals["journal_id"] = json!(j);
        }
        if self.dialect.reversal_has_refund_method {
            vals["refund_method"] = json!("refund");
        }
        let wid = self
            .create("account.move.reversal", vals, Some(&ctx))
            .await?;
        let r = self
            .call_on(
                "account.move.reversal",
                self.dialect.credit_note_method,
                &[wid],
                Some(&ctx),
            )
            .await?;
        let id = match ActionResult::parse(r) {
            ActionResult::Window {
                res_id: Some(id), ..
            } => id,
            _ => self
                .find_credit_note(req.invoice_id, &req.reason)
                .await?
                .ok_or_else(|| OdooError::protocol("account.move.reversal made no credit note"))?,
        };
        if let Some(lines) = &req.lines {
            self.trim_credit_note(id, lines).await?;
        }
        Ok(id)
    }

    /// Edits a draft credit note (a full copy of the invoice) down to the
    /// credited quantities: `[1, id, {quantity}]` / `[2, id, 0]` (e:
    /// `refund.account.move.write.keep_only_returned_qty`).
    async fn trim_credit_note(&self, id: i64, lines: &[(i64, Decimal)]) -> Result<(), OdooError> {
        let mv = self
            .read_one("account.move", id, &["invoice_line_ids"])
            .await?;
        let recs = self
            .read(
                "account.move.line",
                &ids_of(&mv, "invoice_line_ids"),
                &["product_id", "quantity", "display_type"],
            )
            .await?;
        let mut cmds = Vec::new();
        let mut left: std::collections::HashMap<i64, Decimal> = lines.iter().copied().collect();
        for l in &recs {
            let lid = rec_id(l)?;
            let display = str_field(l, "display_type");
            if !display.is_empty() && display != "product" {
                continue;
            }
            match m2o(l, "product_id").and_then(|p| left.get_mut(&p).map(|q| (p, q))) {
                Some((_, q)) if !q.is_zero() => {
                    let take = (*q).min(dec(l, "quantity"));
                    *q -= take;
                    cmds.push(json!([1, lid, {"quantity": decimal_json(take)}]));
                }
                _ => cmds.push(json!([2, lid, 0])),
            }
        }
        self.write("account.move", &[id], json!({"invoice_line_ids": cmds}))
            .await
    }
}
