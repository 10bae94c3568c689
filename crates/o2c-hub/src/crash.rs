//! Fault points for crash tests: when `O2C_CRASH_AT` names a point, the
//! process aborts there (no unwinding, no flushing: like a power cut or a
//! `kill -9`). `O2C_CRASH_AFTER=N` lets the first N passes through go by.
//!
//! The points are the step boundaries of the order path:
//! `after_inbox_commit`, `after_odoo_create`, `before_journal_commit`,
//! `after_confirm`.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

struct Plan {
    point: String,
    after: u64,
    passes: AtomicU64,
}

fn plan() -> Option<&'static Plan> {
    static PLAN: OnceLock<Option<Plan>> = OnceLock::new();
    PLAN.get_or_init(|| {
        let point = std::env::var("O2C_CRASH_AT")
            .ok()
            .filter(|p| !p.is_empty())?;
        let after = std::env::var("O2C_CRASH_AFTER")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        Some(Plan {
            point,
            after,
            passes: AtomicU64::new(0),
        })
    })
    .as_ref()
}

/// Aborts the process if the crash plan names this point and its pass count is reached.
pub fn point(name: &str) {
    if let Some(plan) = plan()
        && plan.point == name
        && plan.passes.fetch_add(1, Ordering::SeqCst) >= plan.after
    {
        eprintln!("o2c: crash point {name} reached, aborting (O2C_CRASH_AT)");
        std::process::abort();
    }
}
