//! The embedded event bus and the outbox relay that feeds it.
//!
//! Events reach the outbox in the same transaction as the state change that
//! caused them; the relay publishes them in commit order and marks them
//! published afterwards, so a crash in between publishes again (at least
//! once: subscribers deduplicate by the CloudEvent `id`).

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use o2c_store::Store;
use serde_json::Value;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

/// In-process publish/subscribe of CloudEvents.
#[derive(Clone)]
pub struct Bus {
    tx: broadcast::Sender<Arc<Value>>,
}

impl Bus {
    pub fn new(capacity: usize) -> Self {
        let (tx, _) = broadcast::channel(capacity.max(16));
        Self { tx }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Value>> {
        self.tx.subscribe()
    }

    fn publish(&self, event: Value) {
        // No subscriber is not an error: the outbox keeps the event.
        let _ = self.tx.send(Arc::new(event));
    }
}

/// Moves outbox rows to the bus until shutdown.
pub async fn relay_outbox(store: Arc<dyn Store>, bus: Bus, shutdown: CancellationToken) {
    loop {
        let published = match relay_once(store.as_ref(), &bus, 500).await {
            Ok(n) => n,
            Err(error) => {
                tracing::warn!(error = %error, "outbox relay failed; will retry");
                0
            }
        };
        if published == 0 {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(Duration::from_millis(100)) => {}
            }
        } else if shutdown.is_cancelled() {
            return;
        }
    }
}

/// Publishes one batch; returns how many events went out.
pub async fn relay_once(
    store: &dyn Store,
    bus: &Bus,
    limit: i64,
) -> Result<usize, o2c_store::StoreError> {
    let pending = store.pending_outbox(limit).await?;
    if pending.is_empty() {
        return Ok(0);
    }
    let positions: Vec<i64> = pending.iter().map(|r| r.position).collect();
    for record in pending {
        bus.publish(record.envelope);
    }
    store.mark_published(&positions, Utc::now()).await?;
    Ok(positions.len())
}
