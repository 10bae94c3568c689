//! Command-line arguments, parsed and checked before any I/O.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::logging::LogFormat;

#[derive(Debug, Parser)]
#[command(
    name = "o2c",
    version,
    about = "Order-to-cash integration hub for distributors running Odoo"
)]
pub struct Cli {
    /// Configuration file (default: ./o2c.toml when present).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value = "auto")]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    pub fn log_format(&self) -> LogFormat {
        self.log_format
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the hub: HTTP API, workers and outbox relay.
    Serve(ServeArgs),
    /// Run the Odoo-compatible sandbox server.
    OdooSim(SimArgs),
    /// Run the sandbox and the hub in one process and push sample orders through.
    Demo(DemoArgs),
    /// Manage API keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Rebuild an order's state from its journal, and optionally resume it.
    Replay(ReplayArgs),
    /// Inspect and act on the dead-letter queue.
    #[command(subcommand)]
    Dlq(DlqCommand),
    /// Check the audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Measure the hub.
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Run a channel mapping on a payload and print the canonical order(s).
    Map(MapArgs),
    /// Read and write X12 EDI files.
    #[command(subcommand)]
    Edi(EdiCommand),
    /// Import orders from files.
    #[command(subcommand)]
    Import(ImportCommand),
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import a CSV of orders (layout: crates/o2c-formats/docs/csv-orders.md)
    /// through a running hub's REST API; every bad row is reported with its
    /// line number and column, and the file's good orders still go in.
    Orders(ImportOrdersArgs),
}

#[derive(Debug, Args)]
pub struct ImportOrdersArgs {
    pub file: std::path::PathBuf,
    /// Only check the file; send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// The channel account the orders belong to (`csv:<account>`).
    #[arg(long, default_value = "upload")]
    pub account: String,
    /// The hub's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080", env = "O2C_URL")]
    pub url: String,
    /// An API key with orders:write.
    #[arg(long, env = "O2C_API_KEY", hide_env_values = true)]
    pub key: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum EdiCommand {
    /// Print an X12 interchange as JSON (envelopes, groups, transaction sets,
    /// segments with their elements); exit 2 naming the segment and element
    /// of the first error.
    Parse {
        file: std::path::PathBuf,
        /// Accept the common real-world quirks (BOM, line breaks, unpadded
        /// ISA, wrong counts) and list them as warnings instead of failing.
        #[arg(long)]
        lenient: bool,
    },
    /// Turn the JSON that `edi parse` prints back into X12.
    Render { file: std::path::PathBuf },
}

#[derive(Debug, Args)]
pub struct MapArgs {
    /// The channel whose mapping to run (shopify, amazon, csv; edi-850 and salesforce come with their adapters). A csv input is a CSV upload file.
    #[arg(long)]
    pub channel: String,
    /// The payload file (a Shopify webhook capture `{headers, body}` is unwrapped).
    #[arg(long, value_name = "FILE", required_unless_present = "replay_last")]
    pub input: Option<std::path::PathBuf>,
    /// The mapping version (default: the newest).
    #[arg(long)]
    pub mapping_version: Option<u32>,
    /// The channel account the payload belongs to (e.g. the shop domain).
    #[arg(long, default_value = "cli")]
    pub account: String,
    /// Instead of --input: run the mapping on the last N stored payloads of
    /// the channel and report where its output differs from what was stored.
    #[arg(long, value_name = "N")]
    pub replay_last: Option<i64>,
    #[command(flatten)]
    pub store: StoreArg,
}

#[derive(Debug, Args)]
pub struct StoreArg {
    /// Store URL (overrides `store_url`): a SQLite path or `postgres://…`.
    #[arg(long, value_name = "URL")]
    pub store: Option<String>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (overrides `listen`).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    #[command(flatten)]
    pub store: StoreArg,
}

#[derive(Debug, Args)]
pub struct SimArgs {
    /// Address to listen on (port 0 picks a free port; the startup line
    /// on stdout says which).
    #[arg(long, default_value = "127.0.0.1:8069", value_name = "ADDR")]
    pub listen: String,
    /// Odoo version to behave as: 16, 17, 18 or 19.
    #[arg(long, default_value_t = 16)]
    pub odoo_version: u8,
    /// Seed data: `demo` (customers, products, stock) or `empty`.
    #[arg(long, default_value = "demo")]
    pub seed: String,
    /// Persist the database to this JSON file: loaded at start when it
    /// exists, saved periodically and on Ctrl-C/SIGTERM (default: memory only).
    #[arg(long, value_name = "PATH")]
    pub state_file: Option<PathBuf>,
    /// Fault injection at start, as comma-separated `key=value` pairs, e.g.
    /// `latency_ms=20,jitter_ms=5,rate_503=0.05,rate_429=0.01,seed=7`
    /// (keys: latency_ms, jitter_ms, rate_502, rate_503, rate_429,
    /// retry_after_s, rate_limit_rps, rate_limit_burst, timeout_rate,
    /// timeout_hold_ms, timeout_commit, serialization_rate,
    /// serialization_mode, serialization_max_tries, serialization_backoff_ms,
    /// max_faults, seed; see docs/odoo-sandbox.md).
    #[arg(long, value_name = "SPEC")]
    pub faults: Option<String>,
    /// File holding the shared secret of the admin endpoint `/__sim/*`
    /// (`Authorization: Bearer <token>`; surrounding whitespace is ignored).
    /// Otherwise the secret is read from the environment variable
    /// O2C_SIM_ADMIN_TOKEN; with neither, the admin endpoint is off. The
    /// secret is never printed.
    #[arg(long, value_name = "PATH")]
    pub admin_token_file: Option<PathBuf>,
    /// An API key accepted for the admin user wherever the password is
    /// (JSON-RPC, XML-RPC, web login, and JSON-2 bearer auth on 19).
    /// Repeat for several keys.
    #[arg(long = "api-key", value_name = "KEY")]
    pub api_keys: Vec<String>,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Number of sample orders.
    #[arg(long, default_value_t = 200)]
    pub orders: usize,
    /// Print the summary as one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Orders posted concurrently.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// Give up waiting for confirmations after this many seconds.
    #[arg(long, default_value_t = 300)]
    pub timeout_secs: u64,
    /// Run against a real Odoo instead of the built-in sandbox.
    #[arg(long, value_name = "URL", requires_all = ["odoo_db", "odoo_user", "odoo_password"])]
    pub odoo_url: Option<String>,
    #[arg(long, value_name = "DB")]
    pub odoo_db: Option<String>,
    #[arg(long, value_name = "LOGIN")]
    pub odoo_user: Option<String>,
    /// Password or API key (or set O2C_DEMO_ODOO_PASSWORD).
    #[arg(
        long,
        value_name = "SECRET",
        env = "O2C_DEMO_ODOO_PASSWORD",
        hide_env_values = true
    )]
    pub odoo_password: Option<String>,
    /// Keep the demo's SQLite store at this path instead of a temporary file.
    #[arg(long, value_name = "PATH")]
    pub store: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a key; the secret is printed once.
    Create {
        #[arg(long)]
        name: String,
        /// Scopes: orders:write, orders:read, ops:read, ops:write (repeat or comma-separate).
        #[arg(long = "scope", value_delimiter = ',', required = true)]
        scopes: Vec<String>,
        /// Bind the key to one channel (`kind:account`, e.g. `shopify:acme`).
        #[arg(long)]
        channel: Option<String>,
        #[command(flatten)]
        store: StoreArg,
    },
    /// List keys (never their secrets).
    List {
        #[command(flatten)]
        store: StoreArg,
    },
    /// Revoke a key by id.
    Revoke {
        id: String,
        #[command(flatten)]
        store: StoreArg,
    },
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The hub order id.
    #[arg(long)]
    pub order: String,
    /// Also enqueue the commands the order's last event implies (for an order
    /// whose jobs were discarded).
    #[arg(long)]
    pub resume: bool,
    #[command(flatten)]
    pub store: StoreArg,
}

#[derive(Debug, Subcommand)]
pub enum DlqCommand {
    /// List dead-lettered jobs.
    List {
        #[arg(long, default_value_t = 100)]
        limit: i64,
        #[command(flatten)]
        store: StoreArg,
    },
    /// Show one job with its payload and last error.
    Show {
        id: i64,
        #[command(flatten)]
        store: StoreArg,
    },
    /// Put a job back in the queue.
    Retry {
        id: i64,
        #[arg(long, default_value = "")]
        reason: String,
        /// Retry although an 855 told the EDI partner the order's lines
        /// are refused (needs --reason; a replacing 855 follows).
        #[arg(long)]
        override_855: bool,
        #[command(flatten)]
        store: StoreArg,
    },
    /// Drop a job for good.
    Discard {
        id: i64,
        #[arg(long, default_value = "")]
        reason: String,
        #[command(flatten)]
        store: StoreArg,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute the hash chain; exit 1 and name the first broken row if tampered.
    Verify {
        #[command(flatten)]
        store: StoreArg,
    },
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Accepted orders per second and acceptance latency of POST /v1/orders,
    /// beside the raw store's durable insert rate.
    Ingest(BenchIngestArgs),
    /// Mapping + validation alone (no store, no Odoo): canonical orders per
    /// second on one core, beside the cost of merely parsing the payload.
    Map(BenchMapArgs),
    /// Odoo calls per order and orders per second of the create+confirm
    /// path (batching + caching) beside a naive one-call-per-step path,
    /// against the in-process sandbox with injected latency.
    Odoo(BenchOdooArgs),
}

#[derive(Debug, Args)]
pub struct BenchOdooArgs {
    /// Orders measured per path (after the warm-up).
    #[arg(long, default_value_t = 400)]
    pub orders: usize,
    /// Orders run first to warm the caches (not measured); 125 touch every
    /// customer and SKU the measured orders use.
    #[arg(long, default_value_t = 125)]
    pub warmup: usize,
    /// Latency injected into every Odoo call, in milliseconds.
    #[arg(long, default_value_t = 20)]
    pub latency_ms: u64,
    /// Worker concurrency of both paths (default: the hub's configured default).
    #[arg(long)]
    pub concurrency: Option<usize>,
    /// Odoo calls in flight at once (default: the Odoo client's default).
    #[arg(long)]
    pub odoo_concurrency: Option<usize>,
    /// Token bucket toward Odoo in calls/s (0: off, so the naive path is
    /// bounded by latency, not by the rate limit).
    #[arg(long, default_value_t = 0.0)]
    pub rate: f64,
    /// Orders per batch at most (the hub path).
    #[arg(long)]
    pub batch: Option<usize>,
    /// How long a batch waits for more orders, in milliseconds.
    #[arg(long)]
    pub batch_wait_ms: Option<u64>,
    /// Products the sandbox is seeded with (the orders use the first 500).
    #[arg(long, default_value_t = 3000)]
    pub sandbox_products: usize,
    /// Print the results as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct BenchMapArgs {
    /// Channel whose mapping to measure (shopify, amazon, edi-850, csv,
    /// salesforce), or `all`.
    #[arg(long, default_value = "shopify")]
    pub channel: String,
    /// Mapping version to measure (default: the channel's newest).
    #[arg(long)]
    pub mapping_version: Option<u32>,
    /// Seconds per measured phase.
    #[arg(long, default_value_t = 5)]
    pub seconds: u64,
    /// Print the results as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct BenchIngestArgs {
    /// Seconds per measured phase.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Offered load of the fixed-rate phase (orders per second).
    #[arg(long, default_value_t = 1000)]
    pub rate: u64,
    /// Concurrent clients of the saturation phase.
    #[arg(long, default_value_t = 64)]
    pub clients: usize,
    /// Store URL (default: a temporary SQLite file).
    #[arg(long)]
    pub store: Option<String>,
    /// Print the results as JSON.
    #[arg(long)]
    pub json: bool,
}
