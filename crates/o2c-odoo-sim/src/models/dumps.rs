//! The recorded `fields_get` dumps of every version, embedded at build time.

use crate::OdooVersion;

/// The `fields_get` dump of `model` recorded on `version`, if one exists.
pub fn dump(version: OdooVersion, model: &str) -> Option<&'static str> {
    Some(match (version.major(), model) {
        (16, "sale.order") => include_str!("../../data/odoo16/fields/sale.order.json"),
        (16, "sale.order.line") => include_str!("../../data/odoo16/fields/sale.order.line.json"),
        (16, "stock.picking") => include_str!("../../data/odoo16/fields/stock.picking.json"),
        (16, "stock.move") => include_str!("../../data/odoo16/fields/stock.move.json"),
        (16, "stock.move.line") => include_str!("../../data/odoo16/fields/stock.move.line.json"),
        (16, "stock.quant") => include_str!("../../data/odoo16/fields/stock.quant.json"),
        (16, "stock.warehouse") => include_str!("../../data/odoo16/fields/stock.warehouse.json"),
        (16, "stock.backorder.confirmation") => {
            include_str!("../../data/odoo16/fields/stock.backorder.confirmation.json")
        }
        (16, "stock.immediate.transfer") => {
            include_str!("../../data/odoo16/fields/stock.immediate.transfer.json")
        }
        (16, "stock.return.picking") => {
            include_str!("../../data/odoo16/fields/stock.return.picking.json")
        }
        (16, "stock.return.picking.line") => {
            include_str!("../../data/odoo16/fields/stock.return.picking.line.json")
        }
        (16, "account.move") => include_str!("../../data/odoo16/fields/account.move.json"),
        (16, "account.move.line") => {
            include_str!("../../data/odoo16/fields/account.move.line.json")
        }
        (16, "account.payment") => include_str!("../../data/odoo16/fields/account.payment.json"),
        (16, "account.payment.register") => {
            include_str!("../../data/odoo16/fields/account.payment.register.json")
        }
        (16, "account.move.reversal") => {
            include_str!("../../data/odoo16/fields/account.move.reversal.json")
        }
        (16, "sale.advance.payment.inv") => {
            include_str!("../../data/odoo16/fields/sale.advance.payment.inv.json")
        }
        (16, "delivery.carrier") => include_str!("../../data/odoo16/fields/delivery.carrier.json"),
        (16, "product.pricelist") => {
            include_str!("../../data/odoo16/fields/product.pricelist.json")
        }
        (16, "product.product") => {
            include_str!("../../data/odoo16/fields/product.product.json")
        }
        (16, "res.partner") => include_str!("../../data/odoo16/fields/res.partner.json"),
        (17, "res.partner") => include_str!("../../data/odoo17/fields/res.partner.json"),
        (18, "res.partner") => include_str!("../../data/odoo18/fields/res.partner.json"),
        (19, "res.partner") => include_str!("../../data/odoo19/fields/res.partner.json"),
        (17, "sale.order") => include_str!("../../data/odoo17/fields/sale.order.json"),
        (17, "sale.order.line") => include_str!("../../data/odoo17/fields/sale.order.line.json"),
        (17, "stock.picking") => include_str!("../../data/odoo17/fields/stock.picking.json"),
        (17, "stock.move") => include_str!("../../data/odoo17/fields/stock.move.json"),
        (17, "stock.move.line") => include_str!("../../data/odoo17/fields/stock.move.line.json"),
        (17, "stock.quant") => include_str!("../../data/odoo17/fields/stock.quant.json"),
        (17, "stock.warehouse") => include_str!("../../data/odoo17/fields/stock.warehouse.json"),
        (17, "stock.backorder.confirmation") => {
            include_str!("../../data/odoo17/fields/stock.backorder.confirmation.json")
        }
        (17, "stock.return.picking") => {
            include_str!("../../data/odoo17/fields/stock.return.picking.json")
        }
        (17, "stock.return.picking.line") => {
            include_str!("../../data/odoo17/fields/stock.return.picking.line.json")
        }
        (17, "account.move") => include_str!("../../data/odoo17/fields/account.move.json"),
        (17, "account.move.line") => {
            include_str!("../../data/odoo17/fields/account.move.line.json")
        }
        (17, "account.payment") => include_str!("../../data/odoo17/fields/account.payment.json"),
        (17, "account.payment.register") => {
            include_str!("../../data/odoo17/fields/account.payment.register.json")
        }
        (17, "account.move.reversal") => {
            include_str!("../../data/odoo17/fields/account.move.reversal.json")
        }
        (17, "sale.advance.payment.inv") => {
            include_str!("../../data/odoo17/fields/sale.advance.payment.inv.json")
        }
        (17, "delivery.carrier") => include_str!("../../data/odoo17/fields/delivery.carrier.json"),
        (17, "product.pricelist") => {
            include_str!("../../data/odoo17/fields/product.pricelist.json")
        }
        (17, "product.product") => {
            include_str!("../../data/odoo17/fields/product.product.json")
        }
        (17, "choose.delivery.carrier") => {
            include_str!("../../data/odoo17/fields/choose.delivery.carrier.json")
        }
        (17, "stock.picking.type") => {
            include_str!("../../data/odoo17/fields/stock.picking.type.json")
        }
        (18, "sale.order") => include_str!("../../data/odoo18/fields/sale.order.json"),
        (18, "sale.order.line") => include_str!("../../data/odoo18/fields/sale.order.line.json"),
        (18, "stock.picking") => include_str!("../../data/odoo18/fields/stock.picking.json"),
        (18, "stock.move") => include_str!("../../data/odoo18/fields/stock.move.json"),
        (18, "stock.move.line") => include_str!("../../data/odoo18/fields/stock.move.line.json"),
        (18, "stock.quant") => include_str!("../../data/odoo18/fields/stock.quant.json"),
        (18, "stock.warehouse") => include_str!("../../data/odoo18/fields/stock.warehouse.json"),
        (18, "stock.backorder.confirmation") => {
            include_str!("../../data/odoo18/fields/stock.backorder.confirmation.json")
        }
        (18, "stock.return.picking") => {
            include_str!("../../data/odoo18/fields/stock.return.picking.json")
        }
        (18, "stock.return.picking.line") => {
            include_str!("../../data/odoo18/fields/stock.return.picking.line.json")
        }
        (18, "account.move") => include_str!("../../data/odoo18/fields/account.move.json"),
        (18, "account.move.line") => {
            include_str!("../../data/odoo18/fields/account.move.line.json")
        }
        (18, "account.payment") => include_str!("../../data/odoo18/fields/account.payment.json"),
        (18, "account.payment.register") => {
            include_str!("../../data/odoo18/fields/account.payment.register.json")
        }
        (18, "account.move.reversal") => {
            include_str!("../../data/odoo18/fields/account.move.reversal.json")
        }
        (18, "sale.advance.payment.inv") => {
            include_str!("../../data/odoo18/fields/sale.advance.payment.inv.json")
        }
        (18, "delivery.carrier") => include_str!("../../data/odoo18/fields/delivery.carrier.json"),
        (18, "product.pricelist") => {
            include_str!("../../data/odoo18/fields/product.pricelist.json")
        }
        (18, "product.product") => {
            include_str!("../../data/odoo18/fields/product.product.json")
        }
        (18, "choose.delivery.carrier") => {
            include_str!("../../data/odoo18/fields/choose.delivery.carrier.json")
        }
        (18, "stock.picking.type") => {
            include_str!("../../data/odoo18/fields/stock.picking.type.json")
        }
        (19, "sale.order") => include_str!("../../data/odoo19/fields/sale.order.json"),
        (19, "sale.order.line") => include_str!("../../data/odoo19/fields/sale.order.line.json"),
        (19, "stock.picking") => include_str!("../../data/odoo19/fields/stock.picking.json"),
        (19, "stock.move") => include_str!("../../data/odoo19/fields/stock.move.json"),
        (19, "stock.move.line") => include_str!("../../data/odoo19/fields/stock.move.line.json"),
        (19, "stock.quant") => include_str!("../../data/odoo19/fields/stock.quant.json"),
        (19, "stock.warehouse") => include_str!("../../data/odoo19/fields/stock.warehouse.json"),
        (19, "stock.backorder.confirmation") => {
            include_str!("../../data/odoo19/fields/stock.backorder.confirmation.json")
        }
        (19, "stock.return.picking") => {
            include_str!("../../data/odoo19/fields/stock.return.picking.json")
        }
        (19, "stock.return.picking.line") => {
            include_str!("../../data/odoo19/fields/stock.return.picking.line.json")
        }
        (19, "account.move") => include_str!("../../data/odoo19/fields/account.move.json"),
        (19, "account.move.line") => {
            include_str!("../../data/odoo19/fields/account.move.line.json")
        }
        (19, "account.payment") => include_str!("../../data/odoo19/fields/account.payment.json"),
        (19, "account.payment.register") => {
            include_str!("../../data/odoo19/fields/account.payment.register.json")
        }
        (19, "account.move.reversal") => {
            include_str!("../../data/odoo19/fields/account.move.reversal.json")
        }
        (19, "sale.advance.payment.inv") => {
            include_str!("../../data/odoo19/fields/sale.advance.payment.inv.json")
        }
        (19, "delivery.carrier") => include_str!("../../data/odoo19/fields/delivery.carrier.json"),
        (19, "product.pricelist") => {
            include_str!("../../data/odoo19/fields/product.pricelist.json")
        }
        (19, "product.product") => {
            include_str!("../../data/odoo19/fields/product.product.json")
        }
        (19, "choose.delivery.carrier") => {
            include_str!("../../data/odoo19/fields/choose.delivery.carrier.json")
        }
        (19, "stock.picking.type") => {
            include_str!("../../data/odoo19/fields/stock.picking.type.json")
        }
        _ => return None,
    })
}
