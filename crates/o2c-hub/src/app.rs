//! Assembles a running hub: the HTTP API, the ingest writers, the worker
//! pool and the outbox relay, sharing one store, with one shutdown.

use std::net::SocketAddr;
use std::sync::Arc;

use o2c_store::Store;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::api::{self, AppState};
use crate::auth::Authenticator;
use crate::bus::{self, Bus};
use crate::config::HubConfig;
use crate::erp::Erp;
use crate::ingest::IngestQueue;
use crate::schema_check::{OrderSchema, SchemaCompileError};
use crate::worker::{self, Executor};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Schema(#[from] SchemaCompileError),
    #[error("cannot serve HTTP: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Mapping(#[from] o2c_connectors::MappingError),
    #[error("configuration: {0}")]
    Config(String),
    #[error("EDI state files in edi.state_dir could not be imported: {0}")]
    EdiImport(#[from] crate::edi::legacy::ImportError),
}

/// A hub that runs until `shutdown` is called.
pub struct RunningHub {
    pub addr: SocketAddr,
    pub bus: Bus,
    pub store: Arc<dyn Store>,
    pub erp: Arc<dyn Erp>,
    shutdown: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
}

impl RunningHub {
    /// Stops taking requests and work, lets running jobs finish (or releases
    /// them), and waits for everything to stop.
    pub async fn shutdown(self) {
        self.shutdown.cancel();
        for task in self.tasks {
            if let Err(error) = task.await {
                tracing::warn!(error = %error, "a hub task ended abnormally");
            }
        }
    }

    /// A token that stops the hub when cancelled (e.g. on Ctrl-C).
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Waits until the hub stops by itself (it stops when the token is cancelled).
    pub async fn wait(self) {
        self.shutdown.cancelled().await;
        self.shutdown().await;
    }
}

/// Starts every part of the hub on `listener`.
pub async fn start(
    config: &HubConfig,
    store: Arc<dyn Store>,
    erp: Arc<dyn Erp>,
    listener: TcpListener,
) -> Result<RunningHub, StartError> {
    let addr = listener.local_addr()?;
    let shutdown = CancellationToken::new();
    let work_ready = Arc::new(Notify::new());
    let bus = Bus::new(4096);
    let ingest = IngestQueue::start(
        store.clone(),
        config.ingest(store.backend()),
        work_ready.clone(),
    );
    let mappings =
        o2c_connectors::MappingSet::load(config.mappings_dir.as_deref().map(std::path::Path::new))?;
    let mut shopify_secrets = std::collections::HashMap::new();
    for shop in &config.shopify {
        shopify_secrets.insert(
            shop.domain.clone(),
            shop.resolve_secret().map_err(StartError::Config)?,
        );
    }
    config.edi.check().map_err(StartError::Config)?;
    config.companies.check().map_err(StartError::Config)?;
    config.pricelists.check().map_err(StartError::Config)?;
    let edi = Arc::new(crate::edi::EdiRuntime::new(config.edi.clone()));
    let imported = crate::edi::legacy::import_state_dir(store.as_ref(), &edi.config).await?;
    if imported != crate::edi::legacy::Imported::default() {
        tracing::info!(
            counters = imported.counters,
            tracks = imported.tracks,
            "EDI state files imported into the store"
        );
    }
    let pullers = crate::pull::from_config(&config.pull).map_err(StartError::Config)?;
    let state = AppState {
        store: store.clone(),
        auth: Arc::new(Authenticator::new(store.clone())),
        ingest,
        schema: Arc::new(OrderSchema::new()?),
        max_body_bytes: config.max_body_bytes,
        work_ready: work_ready.clone(),
        mappings: Arc::new(mappings),
        shopify_secrets: Arc::new(shopify_secrets),
        edi: edi.clone(),
    };
    let mut tasks = Vec::new();
    if !edi.config.partners.is_empty() {
        // The folder watcher takes files like the API does; the sweeper
        // answers POs (855) and watches deadlines, with the workers.
        let folder = crate::edi::folder::run(state.clone(), edi.clone(), shutdown.clone());
        tasks.push(tokio::spawn(folder));
        if config.run_workers {
            let acks = crate::edi::acks::run(store.clone(), edi.clone(), shutdown.clone());
            tasks.push(tokio::spawn(acks));
        }
    }
    tasks.extend(crate::pull::start_all(
        crate::pull::PullContext {
            store: store.clone(),
            ingest: state.ingest.clone(),
            mappings: state.mappings.clone(),
            schema: state.schema.clone(),
        },
        pullers,
        shutdown.clone(),
    ));
    let http_shutdown = shutdown.clone();
    tasks.push(tokio::spawn(async move {
        let server = axum::serve(listener, api::router(state)).with_graceful_shutdown(async move {
            http_shutdown.cancelled().await;
        });
        if let Err(error) = server.await {
            tracing::error!(error = %error, "HTTP server stopped");
        }
    }));
    if config.run_workers {
        let executor = Arc::new(Executor {
            store: store.clone(),
            erp: erp.clone(),
            retry: config.retry.clone(),
            owner: format!("worker-{}", Uuid::now_v7()),
            validation: config.validation.clone(),
            companies: config.company_lookup(),
        });
        tasks.push(tokio::spawn(worker::run_pool(
            executor,
            config.workers.clone(),
            work_ready,
            shutdown.clone(),
        )));
    }
    tasks.push(tokio::spawn(bus::relay_outbox(
        store.clone(),
        bus.clone(),
        shutdown.clone(),
    )));
    tracing::info!(%addr, backend = store.backend(), "o2c hub listening");
    Ok(RunningHub {
        addr,
        bus,
        store,
        erp,
        shutdown,
        tasks,
    })
}
