//! Typed X12 850 purchase order: header (BEG, CUR, REF, PER, DTM, TD5,
//! notes), N1 party loops (ship-to, bill-to, ...), PO1 lines with their
//! product ids, PID, CTP, PO4 and SDQ store splits, and the CTT/AMT summary.

mod extract;
mod types;

pub use types::{
    Amount, Carrier, Communication, Contact, DateRef, Destination, LinePrice, Pack, PartyLoop,
    PoLine, ProductId, PurchaseOrder, Reference,
};
