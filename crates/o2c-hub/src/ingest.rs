//! Group commit for inbound messages: requests queue their acceptance here
//! and a writer task commits whatever has queued up as ONE transaction, then
//! answers every request of the batch. A request is answered only after its
//! commit is durable, yet the commit cost is shared by the whole batch.

use std::sync::Arc;

use o2c_store::{AcceptOutcome, Acceptance, Store, StoreError};
use tokio::sync::{Mutex, Notify, mpsc, oneshot};

use crate::crash;

#[derive(Debug, Clone)]
pub struct IngestConfig {
    /// Upper bound of acceptances per commit.
    pub max_batch: usize,
    /// Concurrent committing writers (1 for SQLite, which has one writer).
    pub writers: usize,
    /// Queue length before callers wait.
    pub queue: usize,
}

impl Default for IngestConfig {
    fn default() -> Self {
        Self {
            max_batch: 512,
            writers: 1,
            queue: 8192,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("the store refused the batch: {0}")]
    Store(Arc<StoreError>),
    #[error("the ingest writer has stopped")]
    Stopped,
}

struct Pending {
    acceptance: Acceptance,
    reply: oneshot::Sender<Result<AcceptOutcome, Arc<StoreError>>>,
}

/// The handle request handlers use.
#[derive(Clone)]
pub struct IngestQueue {
    tx: mpsc::Sender<Pending>,
}

impl IngestQueue {
    /// Starts the writers. `work_ready` is notified after each commit that
    /// created work, so workers need not poll.
    pub fn start(store: Arc<dyn Store>, config: IngestConfig, work_ready: Arc<Notify>) -> Self {
        let (tx, rx) = mpsc::channel(config.queue.max(1));
        let rx = Arc::new(Mutex::new(rx));
        for _ in 0..config.writers.max(1) {
            tokio::spawn(writer(
                store.clone(),
                rx.clone(),
                config.max_batch.max(1),
                work_ready.clone(),
            ));
        }
        Self { tx }
    }

    /// Queues one acceptance and waits until it is durably committed.
    pub async fn submit(&self, acceptance: Acceptance) -> Result<AcceptOutcome, IngestError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Pending { acceptance, reply })
            .await
            .map_err(|_| IngestError::Stopped)?;
        match answer.await {
            Ok(Ok(outcome)) => Ok(outcome),
            Ok(Err(error)) => Err(IngestError::Store(error)),
            Err(_) => Err(IngestError::Stopped),
        }
    }
}

async fn writer(
    store: Arc<dyn Store>,
    rx: Arc<Mutex<mpsc::Receiver<Pending>>>,
    max_batch: usize,
    work_ready: Arc<Notify>,
) {
    loop {
        let batch = {
            let mut rx = rx.lock().await;
            let Some(first) = rx.recv().await else {
                return;
            };
            let mut batch = vec![first];
            while batch.len() < max_batch {
                match rx.try_recv() {
                    Ok(next) => batch.push(next),
                    Err(_) => break,
                }
            }
            batch
        };
        let (acceptances, replies): (Vec<_>, Vec<_>) =
            batch.into_iter().map(|p| (p.acceptance, p.reply)).unzip();
        let size = acceptances.len();
        match store.accept_batch(acceptances).await {
            Ok(outcomes) => {
                crash::point("after_inbox_commit");
                let created = outcomes
                    .iter()
                    .any(|o| matches!(o, AcceptOutcome::Accepted { .. }));
                for (reply, outcome) in replies.into_iter().zip(outcomes) {
                    // A caller that went away still has its order committed.
                    let _ = reply.send(Ok(outcome));
                }
                if created {
                    work_ready.notify_one();
                }
                tracing::debug!(size, "ingest batch committed");
            }
            Err(error) => {
                tracing::error!(size, error = %error, "ingest batch failed");
                let error = Arc::new(error);
                for reply in replies {
                    let _ = reply.send(Err(error.clone()));
                }
            }
        }
    }
}
