//! Customer payments through `account.payment.register`, keyed by the
//! payment reference, and the true payment status of an invoice (18's
//! payments without journal entries included).

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::{ActionResult, Ops, dec, decimal_json, ids_of, m2o, opt_field, rec_id, str_field};
use crate::OdooError;

/// A payment to register against one posted invoice.
#[derive(Debug, Clone, PartialEq)]
pub struct PaymentRequest {
    pub invoice_id: i64,
    /// Always sent: 18 defaults the wizard to the untouched residual, which
    /// would overpay a partially paid invoice (18 README §13).
    pub amount: Decimal,
    /// The payment reference (bank transaction id, Stripe charge id...):
    /// stored in the payment's `ref` (16–17) / `memo` (18+) through the
    /// wizard's `communication`, and looked up before registering again.
    pub reference: String,
    /// `YYYY-MM-DD`; the wizard's default (today) when `None`.
    pub date: Option<String>,
    /// The bank journal; the wizard's default when `None`.
    pub journal_id: Option<i64>,
}

/// A payment as read back.
#[derive(Debug, Clone, PartialEq)]
pub struct PaymentInfo {
    pub id: i64,
    pub name: Option<String>,
    pub state: String,
    pub amount: Decimal,
    pub reference: Option<String>,
    pub date: Option<String>,
    /// 18: `false` for payments recorded without accounting.
    pub move_id: Option<i64>,
}

/// What an invoice has really been paid.
#[derive(Debug, Clone, PartialEq)]
pub struct InvoicePaymentStatus {
    pub invoice_id: i64,
    /// Odoo's `payment_state` as it says.
    pub reported_payment_state: String,
    /// Odoo's `amount_residual` as it says.
    pub reported_residual: Decimal,
    pub amount_total: Decimal,
    /// The residual after every payment, journal entry or not.
    pub residual: Decimal,
    /// `not_paid`, `partial` or `paid` from `residual` (or Odoo's state
    /// when it is `reversed` / `in_payment` and agrees).
    pub payment_state: String,
    pub payments: Vec<PaymentInfo>,
}

impl Ops<'_> {
    fn payment_fields(&self) -> Vec<&'static str> {
        vec![
            "name",
            "state",
            "amount",
            "date",
            "move_id",
            self.dialect.payment_ref_field,
        ]
    }

    fn payment_info(&self, r: &Value) -> Result<PaymentInfo, OdooError> {
        Ok(PaymentInfo {
            id: rec_id(r)?,
            name: opt_field(r, "name").filter(|n| n != "/"),
            state: str_field(r, "state"),
            amount: dec(r, "amount"),
            reference: opt_field(r, self.dialect.payment_ref_field),
            date: opt_field(r, "date"),
            move_id: m2o(r, "move_id"),
        })
    }

    /// The live (not cancelled) payment with this reference, if any.
    pub async fn find_payment(&self, reference: &str) -> Result<Option<PaymentInfo>, OdooError> {
        let found = self
            .search_read(
                "account.payment",
                json!([
                    [self.dialect.payment_ref_field, "=", reference],
                    ["state", "not in", self.dialect.payment_cancel_states]
                ]),
                &self.payment_fields(),
                Some("id asc"),
                Some(1),
            )
            .await?;
        found.first().map(|r| self.payment_info(r)).transpose()
    }

    /// Registers a (full or partial) payment on a posted invoice through
    /// `account.payment.register` (context `active_model` / `active_ids`,
    /// 16 README §6), unless a payment with the same reference exists.
    /// A partial payment keeps the invoice open
    /// (`payment_difference_handling: open`).
    pub async fn register_payment(&self, req: &PaymentRequest) -> Result<PaymentInfo, OdooError> {
        if req.reference.trim().is_empty() {
            return Err(OdooError::Validation {
                message: "a payment needs a reference (its natural key)".into(),
            });
        }
        if req.amount <= Decimal::ZERO {
            return Err(OdooError::Validation {
                message: format!("payment amount {} is not positive", req.amount),
            });
        }
        if let Some(p) = self.find_payment(&req.reference).await? {
            return Ok(p);
        }
        let inv = self
            .read_one("account.move", req.invoice_id, &["state"])
            .await?;
        if str_field(&inv, "state") != "posted" {
            return Err(OdooError::UserError {
                message: format!("account.move {} is not posted", req.invoice_id),
            });
        }
        let ctx = json!({"active_model": "account.move", "active_ids": [req.invoice_id]});
        let mut vals = json!({
            "amount": decimal_json(req.amount),
            "communication": req.reference,
            "payment_difference_handling": "open",
        });
        if let Some(d) = &req.date {
            vals["payment_date"] = json!(d);
        }
        if let Some(j) = req.journal_id {
            vals["journal_id"] = json!(j);
        }
        let wid = self
            .create("account.payment.register", vals, Some(&ctx))
            .await?;
        let r = self
            .call_on(
                "account.payment.register",
                "action_create_payments",
                &[wid],
                Some(&ctx),
            )
            .await?;
        let id = match ActionResult::parse(r) {
            ActionResult::Window {
                res_model,
                res_id: Some(id),
                ..
            } if res_model == "account.payment" => Some(id),
            _ => None,
        };
        match id {
            Some(id) => {
                let r = self
                    .read_one("account.payment", id, &self.payment_fields())
                    .await?;
                self.payment_info(&r)
            }
            None => self
                .find_payment(&req.reference)
                .await?
                .ok_or_else(|| OdooError::protocol("account.payment.register created no payment")),
        }
    }

    /// The payments of an invoice and what it really still owes. On 18 a
    /// payment may have no journal entry: Odoo then says `paid` while the
    /// residual is unchanged (18 README §12–13), so the payments without
    /// an entry are subtracted here.
    pub async fn invoice_payment_status(
        &self,
        invoice_id: i64,
    ) -> Result<InvoicePaymentStatus, OdooError> {
        let d = &self.dialect;
        let mut fields = vec!["amount_total", "amount_residual", "payment_state", "state"];
        if d.move_has_matched_payments {
            fields.push("matched_payment_ids");
        }
        let inv = self.read_one("account.move", invoice_id, &fields).await?;
        let pays = if d.move_has_matched_payments {
            self.read(
                "account.payment",
                &ids_of(&inv, "matched_payment_ids"),
                &self.payment_fields(),
            )
            .await?
        } else {
            self.search_read(
                "account.payment",
                json!([["reconciled_invoice_ids", "in", [invoice_id]]]),
                &self.payment_fields(),
                Some("id asc"),
                None,
            )
            .await?
        };
        let payments: Vec<PaymentInfo> = pays
            .iter()
            .map(|p| self.payment_info(p))
            .collect::<Result<_, _>>()?;
        let total = dec(&inv, "amount_total");
        let reported_residual = dec(&inv, "amount_residual");
        let reported = str_field(&inv, "payment_state");
        let mut residual = reported_residual;
        if d.payments_may_lack_journal_entry {
            let without_entry: Decimal = payments
                .iter()
                .filter(|p| {
                    p.move_id.is_none()
                        && !d.payment_cancel_states.contains(&p.state.as_str())
                        && p.state != "draft"
                })
                .map(|p| p.amount)
                .sum();
            residual -= without_entry;
        }
        let payment_state = if reported == "reversed" || reported == "invoicing_legacy" {
            reported.clone()
        } else if residual <= Decimal::ZERO {
            if reported == "in_payment" {
                reported.clone()
            } else {
                "paid".to_string()
            }
        } else if residual < total {
            "partial".to_string()
        } else {
            "not_paid".to_string()
        };
        Ok(InvoicePaymentStatus {
            invoice_id,
            reported_payment_state: reported,
            reported_residual,
            amount_total: total,
            residual,
            payment_state,
            payments,
        })
    }
}
