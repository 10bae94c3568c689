//! The EDI X12 channel at runtime: trading partners (`partner`), 850s in
//! over HTTP or from a watched folder (`inbound`, `folder`), 997s out for
//! every functional group, 855s out when an order's outcome is known and
//! acknowledgment deadlines watched (`acks`), with durable files and
//! persisted control numbers (`files`) and per-PO tracking (`tracking`).

pub mod acks;
pub mod files;
pub mod folder;
pub mod inbound;
pub mod partner;
pub mod tracking;

use std::collections::HashMap;
use std::path::PathBuf;

pub use partner::{EdiConfig, EdiPartner};

use files::ControlCounter;

/// The EDI settings and per-partner state the hub shares between the API,
/// the folder watcher and the acknowledgment sweeper.
pub struct EdiRuntime {
    pub config: EdiConfig,
    counters: HashMap<String, ControlCounter>,
}

impl EdiRuntime {
    pub fn new(config: EdiConfig) -> Self {
        let counters = config
            .partners
            .iter()
            .map(|p| {
                let path = PathBuf::from(&config.state_dir)
                    .join(&p.id)
                    .join("control-numbers.json");
                (p.id.clone(), ControlCounter::new(path))
            })
            .collect();
        Self { config, counters }
    }

    pub fn partner(&self, id: &str) -> Option<&EdiPartner> {
        self.config.partner(id)
    }

    /// The partner's control number counter (every configured partner has one).
    pub fn counter(&self, partner: &str) -> Option<&ControlCounter> {
        self.counters.get(partner)
    }

    /// `<state_dir>/<partner>`.
    pub fn partner_state(&self, partner: &str) -> PathBuf {
        PathBuf::from(&self.config.state_dir).join(partner)
    }

    pub fn poll_interval(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.config.poll_interval_ms.max(50))
    }
}
