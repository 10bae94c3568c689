//! Database ids of the views and actions that returned actions name, as the
//! recorded servers gave them (tests/fixtures/odoo16..odoo19). A client only
//! passes them back to the web client, but their type (an id, not `false`)
//! is part of the answer's shape.

use serde_json::{Value, json};

use crate::OdooVersion;

fn pick(version: OdooVersion, ids: [i64; 4]) -> i64 {
    match version {
        OdooVersion::V16 => ids[0],
        OdooVersion::V17 => ids[1],
        OdooVersion::V18 => ids[2],
        _ => ids[3],
    }
}

/// The form view a wizard action of `model` opens (`view_id`), or `false`
/// for a model whose view was never recorded.
pub fn wizard_form(version: OdooVersion, model: &str) -> Value {
    let ids = match model {
        // stock.view_backorder_confirmation
        "stock.backorder.confirmation" => [788, 843, 892, 939],
        // stock.view_immediate_transfer (16 only)
        "stock.immediate.transfer" => [786, 786, 786, 786],
        // stock_sms.view_confirm_stock_sms
        "confirm.stock.sms" => [957, 1047, 1106, 1123],
        // sale.sale_order_cancel_view_form (16-18)
        "sale.order.cancel" => [988, 1065, 1125, 1125],
        _ => return json!(false),
    };
    json!(pick(version, ids))
}

/// Ids of `account.action_move_out_invoice_type`: the action, its form,
/// list and search views.
pub struct InvoiceAction {
    pub action: i64,
    pub form: i64,
    pub list: i64,
    pub search: i64,
}

pub fn invoice_action(version: OdooVersion) -> InvoiceAction {
    InvoiceAction {
        action: pick(version, [243, 254, 262, 261]),
        form: pick(version, [620, 681, 716, 743]),
        list: pick(version, [613, 674, 709, 737]),
        search: pick(version, [622, 684, 719, 746]),
    }
}
