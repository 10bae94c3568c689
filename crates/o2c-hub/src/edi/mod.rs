//! The EDI X12 channel at runtime: trading partners (`partner`), 850s in
//! over HTTP or from a watched folder (`inbound`, `folder`), 997s out for
//! every functional group, 855s out when an order's outcome is known and
//! acknowledgment deadlines watched (`acks`), with durable files
//! (`files`), and control numbers and per-PO tracking kept in the store
//! (`tracking`; `legacy` imports the state files older hubs kept), and
//! what a partner was already told guards operator retries (`told`).
//! Operators settle an unmappable PO (`settle`) and act on a deadline
//! alert (`deadline`).

pub mod acks;
pub mod deadline;
pub mod files;
pub mod folder;
pub mod inbound;
pub mod legacy;
pub mod partner;
pub mod refusals;
pub mod settle;
pub mod told;
pub mod tracking;
pub mod unmapped;

pub use partner::{EdiConfig, EdiPartner};

/// The EDI settings the hub shares between the API, the folder watcher and
/// the acknowledgment sweeper (the state they share is in the store).
pub struct EdiRuntime {
    pub config: EdiConfig,
}

impl EdiRuntime {
    pub fn new(config: EdiConfig) -> Self {
        Self { config }
    }

    pub fn partner(&self, id: &str) -> Option<&EdiPartner> {
        self.config.partner(id)
    }

    pub fn poll_interval(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.config.poll_interval_ms.max(50))
    }
}
