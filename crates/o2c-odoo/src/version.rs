//! Every difference between Odoo 16, 17, 18 and 19 that the typed
//! operations care about, in ONE place: a [`Dialect`] built from the
//! server's major version. The operations never compare version numbers
//! themselves; they ask the dialect for a field name, a method name or a
//! behaviour.
//!
//! Sources: the recordings and READMEs under `shared/odoo16` … `odoo19`
//! (the cross-version table at the end of `odoo19/README.md`), and the Odoo
//! source files cited per item.

use serde_json::{Value, json};

use crate::{OdooClient, OdooError};

/// How a product is marked as storable (tracked in stock).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorableFlag {
    /// 16–17: `detailed_type: "product"` (`type` reads `"product"`).
    DetailedType,
    /// 18+: `type: "consu"` + `is_storable: true`
    /// (addons/stock/models/product.py, 18.0).
    IsStorable,
}

/// What the lines of a freshly created `stock.return.picking` hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReturnLines {
    /// 16: no lines on plain `create` (an `@api.onchange('picking_id')`
    /// fills them in the UI only): the client passes `product_return_moves`
    /// and `location_id` itself (16 README §7).
    Explicit,
    /// 17: lines are a stored compute on `picking_id`; quantity defaults to
    /// the delivered quantity (17 README §3).
    ComputedDelivered,
    /// 18+: same compute, quantity defaults to 0 (18 README §3,
    /// addons/stock/wizard/stock_picking_return.py).
    ComputedZero,
}

/// How Odoo computes a sale line's taxes (addons/account/models/account_tax.py).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaxComputation {
    /// 16 and 17: `account.tax.compute_all` (`_compute_amount` per tax,
    /// price-included taxes solved backwards through `recompute_base`, the
    /// last included tax of a run taking the rounding remainder).
    ComputeAll,
    /// 18+: `_get_tax_details` (batches, fixed first, price-included
    /// batches backwards, price-excluded forwards, each tax rounded alone).
    TaxDetails,
}

/// The Odoo-version-specific names and behaviours, built by
/// [`Dialect::for_major`] or [`OdooClient::dialect`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dialect {
    pub major: u32,
    // ----- stock -----
    /// The done quantity on `stock.move.line`: `qty_done` (16) or
    /// `quantity` (17+, reserved and done in one number).
    pub move_line_done_field: &'static str,
    /// The done quantity on `stock.move`: `quantity_done` (16) or `quantity`.
    pub move_done_field: &'static str,
    /// 17+: a line only counts as done when `picked` is true.
    pub uses_picked: bool,
    /// 16: `button_validate` with nothing done returns the
    /// `stock.immediate.transfer` wizard (gone in 17).
    pub has_immediate_transfer: bool,
    /// 16–18 raise a UserError on `button_validate` of a done picking; 19
    /// returns `true`.
    pub validate_done_picking_errors: bool,
    /// Storable product flag.
    pub storable: StorableFlag,
    /// Return wizard line defaults.
    pub return_lines: ReturnLines,
    /// `create_returns` (16–17) or `action_create_returns` (18+).
    pub return_method: &'static str,
    /// 16–18 have `location_id` on `stock.return.picking`; 19 dropped it.
    pub return_wizard_has_location: bool,
    /// 17+: `stock.picking.return_id` links a return to its origin.
    pub picking_has_return_id: bool,
    // ----- sales -----
    /// `sale.order.line` taxes: `tax_id` (16–18) or `tax_ids` (19).
    pub sale_line_tax_field: &'static str,
    /// `sale.order.line` unit: `product_uom` (16–18) or `product_uom_id` (19).
    pub sale_line_uom_field: &'static str,
    /// The tax engine a sale line's tax comes from.
    pub tax_computation: TaxComputation,
    /// 16 re-confirms a confirmed order (rewriting `date_order`); 17+ refuse.
    pub confirm_twice_refused: bool,
    /// 16–18: `action_cancel` of a confirmed order returns the
    /// `sale.order.cancel` wizard unless the context has
    /// `disable_cancel_warning`; 19 cancels directly.
    pub cancel_returns_wizard: bool,
    /// 16 has a `done` (Locked) sale state; 17+ a `locked` boolean.
    pub sale_has_done_state: bool,
    /// 16–18 have `uom.uom.category_id` / `uom_type` / `factor_inv`; 19
    /// has neither (units relate through `relative_uom_id`).
    pub uom_has_category: bool,
    // ----- accounting -----
    /// 16: `sale.advance.payment.inv.create_invoices` returns
    /// `act_window_close` unless the context has `open_invoices`; 17+ always
    /// return the invoice action.
    pub invoice_wizard_needs_open_invoices: bool,
    /// Draft invoice name: `"/"` (16–18) or `false` (19).
    pub draft_invoice_named_slash: bool,
    /// 16: `account.move.reversal.refund_method` + `reverse_moves`.
    /// 17+: no `refund_method`; buttons `refund_moves` / `modify_moves`.
    pub reversal_has_refund_method: bool,
    /// The credit-note button: `reverse_moves` (16) or `refund_moves` (17+).
    pub credit_note_method: &'static str,
    /// `account.move.reversal_move_id` (16–17) or `reversal_move_ids` (18+).
    pub reversal_link_field: &'static str,
    /// The payment's text field that holds the wizard's `communication`:
    /// `ref` (16–17) or `memo` (18+).
    pub payment_ref_field: &'static str,
    /// Payment states meaning "cancelled": `cancel` (16–17), `canceled`
    /// and `rejected` (18+).
    pub payment_cancel_states: &'static [&'static str],
    /// 18 (this build): payments may have no journal entry; the invoice then
    /// says `paid` while `amount_residual` is unchanged, and a second
    /// register wizard defaults to the untouched residual (18 README §12–13).
    /// The client must sum the matched payments itself.
    pub payments_may_lack_journal_entry: bool,
    /// 18+: `account.move.matched_payment_ids` exists.
    pub move_has_matched_payments: bool,
    // ----- ORM -----
    /// 19: datetime domains are second-granular (`>` means `>= s + 1`) and
    /// refuse values with a timezone (odoo/orm/domains.py
    /// `_optimize_type_datetime`); 16–18 compare microseconds and accept
    /// `Z` / `+02:00`.
    pub datetime_domains_second_granular: bool,
    /// `res.users.groups_id` (16–18) or `group_ids` (19).
    pub user_groups_field: &'static str,
}

impl Dialect {
    /// The dialect of Odoo `major`. Versions before 16 are refused; versions
    /// after 19 are treated as 19 (the newest behaviour recorded).
    pub fn for_major(major: u32) -> Result<Dialect, OdooError> {
        if major < 16 {
            return Err(OdooError::Protocol {
                message: format!("Odoo {major} is not supported (16 to 19)"),
            });
        }
        let v17 = major >= 17;
        let v18 = major >= 18;
        let v19 = major >= 19;
        Ok(Dialect {
            major,
            move_line_done_field: if v17 { "quantity" } else { "qty_done" },
            move_done_field: if v17 { "quantity" } else { "quantity_done" },
            uses_picked: v17,
            has_immediate_transfer: !v17,
            validate_done_picking_errors: !v19,
            storable: if v18 {
                StorableFlag::IsStorable
            } else {
                StorableFlag::DetailedType
            },
            return_lines: if v18 {
                ReturnLines::ComputedZero
            } else if v17 {
                ReturnLines::ComputedDelivered
            } else {
                ReturnLines::Explicit
            },
            return_method: if v18 {
                "action_create_returns"
            } else {
                "create_returns"
            },
            return_wizard_has_location: !v19,
            picking_has_return_id: v17,
            sale_line_tax_field: if v19 { "tax_ids" } else { "tax_id" },
            sale_line_uom_field: if v19 { "product_uom_id" } else { "product_uom" },
            tax_computation: if v18 {
                TaxComputation::TaxDetails
            } else {
                TaxComputation::ComputeAll
            },
            confirm_twice_refused: v17,
            cancel_returns_wizard: !v19,
            sale_has_done_state: !v17,
            uom_has_category: !v19,
            invoice_wizard_needs_open_invoices: !v17,
            draft_invoice_named_slash: !v19,
            reversal_has_refund_method: !v17,
            credit_note_method: if v17 { "refund_moves" } else { "reverse_moves" },
            reversal_link_field: if v18 {
                "reversal_move_ids"
            } else {
                "reversal_move_id"
            },
            payment_ref_field: if v18 { "memo" } else { "ref" },
            payment_cancel_states: if v18 {
                &["canceled", "rejected"]
            } else {
                &["cancel"]
            },
            payments_may_lack_journal_entry: major == 18,
            move_has_matched_payments: v18,
            datetime_domains_second_granular: v19,
            user_groups_field: if v19 { "group_ids" } else { "groups_id" },
        })
    }

    /// The values that make a new product storable.
    pub fn storable_values(&self) -> Value {
        match self.storable {
            StorableFlag::DetailedType => json!({"detailed_type": "product"}),
            StorableFlag::IsStorable => json!({"type": "consu", "is_storable": true}),
        }
    }

    /// The values written on a `stock.move.line` to record `qty` as done.
    pub fn move_line_done_values(&self, qty: Value) -> Value {
        if self.uses_picked {
            json!({"quantity": qty, "picked": true})
        } else {
            json!({"qty_done": qty})
        }
    }

    /// The context that makes `sale.order.action_cancel` cancel instead of
    /// answering with the `sale.order.cancel` wizard (16–18; harmless on 19).
    /// Source: addons/sale/models/sale_order.py `action_cancel`.
    pub fn cancel_context(&self) -> Value {
        json!({"disable_cancel_warning": true})
    }

    /// Whether a sale order in `state` is confirmed.
    pub fn sale_is_confirmed(&self, state: &str) -> bool {
        state == "sale" || (self.sale_has_done_state && state == "done")
    }
}

impl OdooClient {
    /// The dialect of the server behind this client (one call to
    /// `/web/webclient/version_info`).
    pub async fn dialect(&self) -> Result<Dialect, OdooError> {
        let v = self.version().await?;
        Dialect::for_major(v.major)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_recorded_difference() {
        let d16 = Dialect::for_major(16).unwrap();
        let d17 = Dialect::for_major(17).unwrap();
        let d18 = Dialect::for_major(18).unwrap();
        let d19 = Dialect::for_major(19).unwrap();
        assert!(Dialect::for_major(15).is_err());
        assert_eq!(
            Dialect::for_major(20).unwrap().sale_line_tax_field,
            "tax_ids"
        );

        assert_eq!(d16.move_line_done_field, "qty_done");
        assert_eq!(d17.move_line_done_field, "quantity");
        assert!(d16.has_immediate_transfer && !d17.has_immediate_transfer);
        assert_eq!(d16.move_line_done_values(json!(6)), json!({"qty_done": 6}));
        assert_eq!(
            d18.move_line_done_values(json!(6)),
            json!({"quantity": 6, "picked": true})
        );

        assert_eq!(d17.storable_values(), json!({"detailed_type": "product"}));
        assert_eq!(
            d18.storable_values(),
            json!({"type": "consu", "is_storable": true})
        );

        for d in [d16, d17, d18] {
            assert_eq!(d.sale_line_tax_field, "tax_id");
            assert_eq!(d.sale_line_uom_field, "product_uom");
            assert!(d.cancel_returns_wizard);
            assert!(d.validate_done_picking_errors);
            assert!(d.uom_has_category);
            assert!(!d.datetime_domains_second_granular);
        }
        assert_eq!(d19.sale_line_tax_field, "tax_ids");
        assert_eq!(d19.sale_line_uom_field, "product_uom_id");
        assert!(!d19.cancel_returns_wizard && !d19.validate_done_picking_errors);
        assert!(d19.datetime_domains_second_granular && !d19.uom_has_category);

        assert_eq!(d16.return_lines, ReturnLines::Explicit);
        assert_eq!(d17.return_lines, ReturnLines::ComputedDelivered);
        assert_eq!(d18.return_lines, ReturnLines::ComputedZero);
        assert_eq!(d17.return_method, "create_returns");
        assert_eq!(d18.return_method, "action_create_returns");
        assert!(d18.return_wizard_has_location && !d19.return_wizard_has_location);

        assert!(d16.reversal_has_refund_method && !d17.reversal_has_refund_method);
        assert_eq!(d16.credit_note_method, "reverse_moves");
        assert_eq!(d17.credit_note_method, "refund_moves");
        assert_eq!(d17.reversal_link_field, "reversal_move_id");
        assert_eq!(d18.reversal_link_field, "reversal_move_ids");

        assert_eq!(d17.payment_ref_field, "ref");
        assert_eq!(d18.payment_ref_field, "memo");
        assert!(d18.payments_may_lack_journal_entry);
        assert!(!d17.payments_may_lack_journal_entry && !d19.payments_may_lack_journal_entry);
        assert!(d16.invoice_wizard_needs_open_invoices && !d17.invoice_wizard_needs_open_invoices);
        assert!(d18.draft_invoice_named_slash && !d19.draft_invoice_named_slash);

        assert!(!d16.confirm_twice_refused && d17.confirm_twice_refused);
        assert!(d16.sale_is_confirmed("done") && !d17.sale_is_confirmed("done"));
        assert_eq!(d16.tax_computation, TaxComputation::ComputeAll);
        assert_eq!(d17.tax_computation, TaxComputation::ComputeAll);
        assert_eq!(d18.tax_computation, TaxComputation::TaxDetails);
        assert_eq!(d19.tax_computation, TaxComputation::TaxDetails);
        assert_eq!(d18.user_groups_field, "groups_id");
        assert_eq!(d19.user_groups_field, "group_ids");
    }
}
