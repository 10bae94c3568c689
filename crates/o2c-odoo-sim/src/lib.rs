//! An Odoo-compatible sandbox: answers Odoo's wire formats (JSON-RPC,
//! XML-RPC, the web client's session routes and Odoo 19's JSON-2, as
//! recorded from real Odoo 16 to 19) from a generic in-memory ORM with
//! per-model behaviour hooks; with fault injection, an admin endpoint and
//! optional persistence to a state file. See `docs/odoo-sandbox.md`.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use o2c_odoo_sim::{Sandbox, SimConfig};
//! let sandbox = Sandbox::new(SimConfig::default());
//! let url = sandbox.spawn().await?; // http://127.0.0.1:<port>
//! # let _ = url; Ok(()) }
//! ```

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use serde_json::{Map, Value, json};

pub mod access;
pub mod apikeys;
pub mod chaos;
pub mod check_company;
pub mod clock;
pub mod companies;
pub mod domain;
pub mod export;
pub mod fault;
pub mod hierarchy;
// handlers return `Result<_, Response>` to answer early; the Response goes
// straight back to axum, so its size does not matter
#[allow(clippy::result_large_err)]
pub mod http;
pub mod index;
pub mod load;
pub mod methods;
pub mod models;
pub mod orm;
pub mod persist;
pub mod read_group;
pub mod schema;
pub mod seed;
pub mod web_read;

pub use chaos::{FaultConfig, SerializationMode, TimeoutCommit};
pub use fault::Fault;
use orm::{Env, Store};
use schema::Registry;

/// The Odoo major version the sandbox imitates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum OdooVersion {
    #[default]
    V16,
    V17,
    V18,
    V19,
}

impl OdooVersion {
    pub fn major(self) -> u32 {
        match self {
            OdooVersion::V16 => 16,
            OdooVersion::V17 => 17,
            OdooVersion::V18 => 18,
            OdooVersion::V19 => 19,
        }
    }
    /// `server_version` exactly as the recorded servers report it.
    pub fn server_version(self) -> &'static str {
        match self {
            OdooVersion::V16 => "16.0",
            OdooVersion::V17 => "17.0-20240709",
            OdooVersion::V18 => "18.0+e-20241005",
            OdooVersion::V19 => "19.0",
        }
    }
    /// The body of `/web/webclient/version_info` and `common.version`.
    pub fn version_info(self) -> Value {
        let m = self.major();
        json!({
            "server_version": self.server_version(),
            "server_version_info": [m, 0, 0, "final", 0, ""],
            "server_serie": format!("{m}.0"),
            "protocol_version": 1,
        })
    }
}

impl FromStr for OdooVersion {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().trim_end_matches(".0") {
            "16" => Ok(OdooVersion::V16),
            "17" => Ok(OdooVersion::V17),
            "18" => Ok(OdooVersion::V18),
            "19" => Ok(OdooVersion::V19),
            other => Err(format!(
                "unsupported Odoo version {other:?} (16, 17, 18 or 19)"
            )),
        }
    }
}

impl fmt::Display for OdooVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.0", self.major())
    }
}

/// Which data the database starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Seed {
    /// Base records plus a few hundred customers and a few thousand products.
    #[default]
    Demo,
    /// Base records only (company, admin, currencies, countries, units).
    Empty,
    /// `Demo` plus quotations and orders like those of Odoo's own demo data
    /// (the recorded databases start with them, see `seed::odoo_demo_orders`).
    OdooDemo,
}

impl FromStr for Seed {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "demo" => Ok(Seed::Demo),
            "empty" => Ok(Seed::Empty),
            "odoo-demo" => Ok(Seed::OdooDemo),
            other => Err(format!("unknown seed {other:?} (demo, odoo-demo or empty)")),
        }
    }
}

/// Sandbox configuration.
#[derive(Clone)]
pub struct SimConfig {
    pub version: OdooVersion,
    pub db: String,
    pub login: String,
    pub password: String,
    pub seed: Seed,
    /// Added before every RPC answer (kept for compatibility; the same as
    /// `faults.latency_ms`, both apply).
    pub latency: Option<Duration>,
    /// Demo sizes (used with `Seed::Demo`).
    pub demo_customers: usize,
    pub demo_products: usize,
    /// API keys accepted for the admin: as the bearer key of JSON-2 (19) and
    /// as the password of `/jsonrpc`, `/xmlrpc/2` and the web login, like
    /// keys made through `res.users.apikeys.description` (which also work).
    pub api_keys: Vec<String>,
    /// Shared secret of the admin endpoint (`/__sim/*`, header
    /// `Authorization: Bearer <token>`); `None` disables the endpoint.
    pub admin_token: Option<String>,
    /// Fault injection at start (changeable through `/__sim/faults`).
    pub faults: FaultConfig,
    /// Load the database from this file at start (when it exists) and save it
    /// on graceful shutdown and every `save_interval`.
    pub state_file: Option<PathBuf>,
    pub save_interval: Duration,
    /// Other database names the server claims to serve (they appear in
    /// `db.list`; they hold no users, so every login to them fails). With
    /// any, JSON-2 needs the `X-Odoo-Database` header, as on a real
    /// multi-database server.
    pub extra_databases: Vec<String>,
    /// Web-login cooldown (`base.login_cooldown_after` /
    /// `base.login_cooldown_duration`, Odoo's defaults: 10 and 60 s in the
    /// recorded databases); 0 disables it.
    pub login_cooldown_after: u32,
    pub login_cooldown_duration: Duration,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            version: OdooVersion::V16,
            db: "o2c".into(),
            login: "admin".into(),
            password: "admin".into(),
            seed: Seed::Demo,
            latency: None,
            demo_customers: 300,
            demo_products: 3000,
            api_keys: Vec::new(),
            admin_token: None,
            faults: FaultConfig::default(),
            state_file: None,
            save_interval: Duration::from_secs(30),
            extra_databases: Vec::new(),
            login_cooldown_after: 10,
            login_cooldown_duration: Duration::from_secs(60),
        }
    }
}

impl fmt::Debug for SimConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimConfig")
            .field("version", &self.version)
            .field("db", &self.db)
            .field("login", &self.login)
            .field("password", &"<redacted>")
            .field("seed", &self.seed)
            .field("latency", &self.latency)
            .field("api_keys", &format!("<{} redacted>", self.api_keys.len()))
            .field(
                "admin_token",
                &self.admin_token.as_ref().map(|_| "<redacted>"),
            )
            .field("faults", &self.faults)
            .field("state_file", &self.state_file)
            .field("extra_databases", &self.extra_databases)
            .finish()
    }
}

/// The admin's uid, as in every recorded database.
pub const ADMIN_UID: i64 = 2;

/// Who is calling: decides what `@check_identity` methods allow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// `/jsonrpc`, `/xmlrpc/2`: no HTTP session.
    Rpc,
    /// The web client, with this session id.
    Web(String),
    /// JSON-2 with an API key.
    Json2,
}

struct Inner {
    config: SimConfig,
    reg: Registry,
    store: Mutex<Store>,
    calls: Mutex<HashMap<(String, String), u64>>,
    pub(crate) web: http::WebState,
    pub(crate) keys: Mutex<apikeys::ApiKeys>,
    pub(crate) chaos: chaos::Chaos,
    /// Bumped by every call that may have changed data (persistence).
    generation: AtomicU64,
    /// Transaction time source (real time unless set).
    clock: clock::Clock,
}

/// The sandbox: cheap to clone (shared state), so tests keep a handle to
/// inspect the store while the server runs.
#[derive(Clone)]
pub struct Sandbox {
    inner: Arc<Inner>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn fresh_store(config: &SimConfig, reg: &Registry, now: chrono::NaiveDateTime) -> Store {
    let mut store = Store::default();
    {
        let mut env = Env::new_at(reg, &mut store, 1, config.version, Map::new(), now);
        seed::base(&mut env, &config.login).expect("base seed");
        if config.seed != Seed::Empty {
            seed::demo(&mut env, config.demo_customers, config.demo_products).expect("demo seed");
        }
        if config.seed == Seed::OdooDemo {
            seed::odoo_demo_orders(&mut env).expect("odoo demo orders");
        }
        models::ir_model::sync(&mut env).expect("ir.model rows");
    }
    store
}

impl Sandbox {
    /// A new sandbox. Panics when `config.state_file` exists but cannot be
    /// loaded (use [`Sandbox::try_new`] to get the error instead).
    pub fn new(config: SimConfig) -> Sandbox {
        Sandbox::try_new(config).unwrap_or_else(|e| panic!("{e}"))
    }

    /// A new sandbox, loading `config.state_file` when it exists.
    pub fn try_new(config: SimConfig) -> Result<Sandbox, String> {
        config.faults.check()?;
        let reg = models::registry(config.version);
        let loaded = match &config.state_file {
            Some(path) => persist::load(path, config.version)?,
            None => None,
        };
        let (store, keys) = match loaded {
            Some((mut store, extra)) => {
                tracing::info!(path = ?config.state_file, "sandbox state loaded");
                // a file saved before ir.model was simulated lacks its rows
                let mut env = Env::new(&reg, &mut store, 1, config.version, Map::new());
                models::ir_model::sync(&mut env).map_err(|e| e.to_string())?;
                (store, apikeys::ApiKeys::from_saved(&extra.api_keys))
            }
            None => (
                fresh_store(&config, &reg, chrono::Utc::now().naive_utc()),
                apikeys::ApiKeys::default(),
            ),
        };
        Ok(Sandbox {
            inner: Arc::new(Inner {
                chaos: chaos::Chaos::new(config.faults.clone()),
                web: http::WebState::default(),
                keys: Mutex::new(keys),
                config,
                reg,
                store: Mutex::new(store),
                calls: Mutex::new(HashMap::new()),
                generation: AtomicU64::new(0),
                clock: clock::Clock::default(),
            }),
        })
    }

    pub fn config(&self) -> &SimConfig {
        &self.inner.config
    }

    /// Every route: `/jsonrpc`, `/xmlrpc[/2]/{common,object}`,
    /// `/web/webclient/version_info`, `/web/session/*`,
    /// `/web/dataset/call_kw[/..]`, `/json/2/<model>/<method>` (19),
    /// `/web/version` and `/json/version` (19), and the admin endpoint
    /// `/__sim/*` when an admin token is configured.
    pub fn router(&self) -> Router {
        http::router(self.clone())
    }

    /// Serves until the listener fails. With a state file, also saves the
    /// database every `save_interval`.
    pub async fn serve(self, listener: tokio::net::TcpListener) -> std::io::Result<()> {
        self.serve_with_shutdown(listener, std::future::pending())
            .await
    }

    /// Serves until `shutdown` resolves, then saves the state file (when
    /// configured).
    pub async fn serve_with_shutdown<F>(
        self,
        listener: tokio::net::TcpListener,
        shutdown: F,
    ) -> std::io::Result<()>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let saver = self.spawn_saver();
        let app = self
            .router()
            .into_make_service_with_connect_info::<SocketAddr>();
        let result = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await;
        if let Some(task) = saver {
            task.abort();
        }
        if self.inner.config.state_file.is_some()
            && let Err(e) = self.save_state()
        {
            tracing::error!(error = %e, "saving the sandbox state failed");
        }
        result
    }

    /// Binds 127.0.0.1 on a free port, serves in a background task of the
    /// current runtime and returns the base URL (`http://127.0.0.1:PORT`).
    pub async fn spawn(&self) -> std::io::Result<String> {
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let addr = listener.local_addr()?;
        let me = self.clone();
        tokio::spawn(async move {
            if let Err(e) = me.serve(listener).await {
                tracing::warn!(error = %e, "sandbox server stopped");
            }
        });
        Ok(format!("http://{addr}"))
    }

    fn spawn_saver(&self) -> Option<tokio::task::JoinHandle<()>> {
        self.inner.config.state_file.as_ref()?;
        let me = self.clone();
        let every = self
            .inner
            .config
            .save_interval
            .max(Duration::from_millis(10));
        Some(tokio::spawn(async move {
            let mut saved = me.inner.generation.load(Ordering::SeqCst);
            loop {
                tokio::time::sleep(every).await;
                let now = me.inner.generation.load(Ordering::SeqCst);
                if now != saved {
                    match me.save_state() {
                        Ok(()) => saved = now,
                        Err(e) => tracing::error!(error = %e, "periodic state save failed"),
                    }
                }
            }
        }))
    }

    /// Writes the database to `config.state_file` (atomically). Does
    /// nothing without a state file.
    pub fn save_state(&self) -> std::io::Result<()> {
        let Some(path) = &self.inner.config.state_file else {
            return Ok(());
        };
        let doc = {
            let store = lock(&self.inner.store);
            let extra = persist::Extra {
                api_keys: lock(&self.inner.keys).to_saved(),
            };
            persist::to_json(
                self.inner.config.version,
                &self.inner.config.db,
                &store,
                &extra,
            )
        };
        persist::save(path, &doc)?;
        tracing::debug!(path = %path.display(), "sandbox state saved");
        Ok(())
    }

    /// Back to the start: a freshly seeded database (not the state file),
    /// no sessions, no generated API keys, no login failures, the configured
    /// fault settings, zeroed call counters.
    pub fn reset(&self) {
        let store = fresh_store(&self.inner.config, &self.inner.reg, self.inner.clock.now());
        *lock(&self.inner.store) = store;
        *lock(&self.inner.keys) = apikeys::ApiKeys::default();
        self.inner.web.clear();
        self.inner.chaos.set(self.inner.config.faults.clone());
        self.reset_calls();
        self.inner.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// Sets the sandbox's clock to `at` (it runs on from there), or back to
    /// real time with `None`. Test-only: a replay gives each step its
    /// recorded second. Transactions keep their start time as `now`.
    pub fn set_clock(&self, at: Option<chrono::NaiveDateTime>) {
        match at {
            Some(t) => self.inner.clock.set(t),
            None => self.inner.clock.reset(),
        }
    }

    /// The sandbox's current time (UTC).
    pub fn clock_now(&self) -> chrono::NaiveDateTime {
        self.inner.clock.now()
    }

    /// Whether the clock was set away from real time.
    pub fn clock_is_set(&self) -> bool {
        self.inner.clock.is_shifted()
    }

    /// The live fault-injection settings.
    pub fn faults(&self) -> FaultConfig {
        self.inner.chaos.config()
    }

    /// Replaces the fault-injection settings (the RNG restarts from
    /// `faults.seed`).
    pub fn set_faults(&self, faults: FaultConfig) -> Result<(), String> {
        faults.check()?;
        self.inner.chaos.set(faults);
        Ok(())
    }

    /// Counters of the faults injected so far.
    pub fn fault_stats(&self) -> chaos::FaultStats {
        self.inner.chaos.stats()
    }

    /// Runs `model.method(*args, **kwargs)` as the admin, atomically (what
    /// `execute_kw` does after authentication). `Ok(None)` is Python `None`.
    pub fn execute(
        &self,
        model: &str,
        method: &str,
        args: Value,
        kwargs: Value,
    ) -> Result<Option<Value>, Fault> {
        self.execute_as(ADMIN_UID, model, method, args, kwargs)
    }

    fn execute_as(
        &self,
        uid: i64,
        model: &str,
        method: &str,
        args: Value,
        kwargs: Value,
    ) -> Result<Option<Value>, Fault> {
        let args = match args {
            Value::Array(a) => a,
            Value::Null => Vec::new(),
            other => vec![other],
        };
        let mut kwargs = match kwargs {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        let context = match kwargs.remove("context") {
            Some(Value::Object(c)) => c,
            _ => Map::new(),
        };
        let mut store = lock(&self.inner.store);
        let mut env = Env::new_at(
            &self.inner.reg,
            &mut store,
            uid,
            self.inner.config.version,
            context,
            self.inner.clock.now(),
        );
        let result = methods::call(&mut env, model, method, &args, &kwargs);
        if result.is_err() {
            env.rollback();
        } else if chaos::is_write(method) {
            self.inner.generation.fetch_add(1, Ordering::SeqCst);
        }
        result
    }

    /// One authenticated model call from any protocol: API-key models,
    /// injected serialization failures (retried on the server like Odoo's
    /// `odoo/service/model.py` `retrying()`, or surfaced), then the ORM.
    pub async fn call_kw(
        &self,
        caller: &Caller,
        uid: i64,
        model: &str,
        method: &str,
        args: Value,
        kwargs: Value,
    ) -> Result<Option<Value>, Fault> {
        if apikeys::handles(model) {
            let r = apikeys::call(self, caller, uid, model, method, &args, &kwargs);
            if r.is_ok() && chaos::is_write(method) {
                self.inner.generation.fetch_add(1, Ordering::SeqCst);
            }
            return r;
        }
        if chaos::is_write(method) {
            let mut attempt = 0;
            loop {
                match self.inner.chaos.serialization(attempt) {
                    None => break,
                    Some(Some(backoff)) => {
                        // odoo/service/model.py: "SERIALIZATION_FAILURE, retry
                        // {tries}/{MAX_TRIES} in {wait_time:.4f} sec..."
                        tracing::info!(
                            model,
                            method,
                            attempt = attempt + 1,
                            "injected SERIALIZATION_FAILURE, retrying in {backoff:?}"
                        );
                        tokio::time::sleep(backoff).await;
                        attempt += 1;
                    }
                    Some(None) => {
                        tracing::info!(model, method, "injected SERIALIZATION_FAILURE surfaced");
                        return Err(chaos::serialization_failure());
                    }
                }
            }
        }
        self.execute_as(uid, model, method, args, kwargs)
    }

    /// Number of records of `model` matching `domain` (Odoo semantics,
    /// archived records excluded).
    pub fn count(&self, model: &str, domain: Value) -> usize {
        match self.execute(model, "search_count", json!([domain]), json!({})) {
            Ok(Some(v)) => v.as_u64().unwrap_or(0) as usize,
            _ => 0,
        }
    }

    /// Every record of `model` (archived included), read with all fields.
    pub fn records(&self, model: &str) -> Vec<Value> {
        let mut store = lock(&self.inner.store);
        let env = Env::new_at(
            &self.inner.reg,
            &mut store,
            ADMIN_UID,
            self.inner.config.version,
            Map::new(),
            self.inner.clock.now(),
        );
        let ids = env.all_ids(model);
        env.read(model, &ids, &[]).unwrap_or_default()
    }

    /// One record read with the given fields (all when empty).
    pub fn read(&self, model: &str, id: i64, fields: &[&str]) -> Option<Value> {
        let fields: Vec<String> = fields.iter().map(|s| s.to_string()).collect();
        let mut store = lock(&self.inner.store);
        let env = Env::new_at(
            &self.inner.reg,
            &mut store,
            ADMIN_UID,
            self.inner.config.version,
            Map::new(),
            self.inner.clock.now(),
        );
        env.read(model, &[id], &fields).ok()?.into_iter().next()
    }

    /// RPC calls received for `(model, method)`; for `common`/`db` services
    /// the pair is `(service, method)`.
    pub fn calls(&self, model: &str, method: &str) -> u64 {
        lock(&self.inner.calls)
            .get(&(model.to_string(), method.to_string()))
            .copied()
            .unwrap_or(0)
    }

    /// Every counter.
    pub fn call_counts(&self) -> HashMap<(String, String), u64> {
        lock(&self.inner.calls).clone()
    }

    pub fn total_calls(&self) -> u64 {
        lock(&self.inner.calls).values().sum()
    }

    pub fn reset_calls(&self) {
        lock(&self.inner.calls).clear();
    }

    pub(crate) fn count_call(&self, a: &str, b: &str) {
        *lock(&self.inner.calls)
            .entry((a.to_string(), b.to_string()))
            .or_insert(0) += 1;
    }

    /// Every database name the server answers `db.list` with.
    pub fn databases(&self) -> Vec<String> {
        let mut dbs = vec![self.inner.config.db.clone()];
        dbs.extend(self.inner.config.extra_databases.iter().cloned());
        dbs.sort();
        dbs
    }

    fn check_db(&self, db: &Value) -> Result<(), Fault> {
        let db = db.as_str().unwrap_or("");
        if db == self.inner.config.db || self.inner.config.extra_databases.iter().any(|d| d == db) {
            Ok(())
        } else {
            Err(Fault::new(
                fault::OPERATIONAL_ERROR,
                format!(
                    "connection to server at \"127.0.0.1\", port 5433 failed: FATAL:  database \"{db}\" does not exist\n"
                ),
            ))
        }
    }

    /// Whether `secret` is the user's password or one of their API keys.
    pub(crate) fn check_secret(&self, uid: i64, secret: &str) -> bool {
        if uid != ADMIN_UID {
            // users made over RPC (res.users.create with a password)
            return self.user_password_ok(uid, secret) || self.api_key_uid(secret) == Some(uid);
        }
        secret == self.inner.config.password || self.api_key_uid(secret) == Some(uid)
    }

    /// Whether `uid` is an active user other than the admin whose stored
    /// password is `secret`.
    pub(crate) fn user_password_ok(&self, uid: i64, secret: &str) -> bool {
        let store = lock(&self.inner.store);
        store
            .tables
            .get("res.users")
            .and_then(|t| t.get(&uid))
            .is_some_and(|u| {
                u.get("active") != Some(&json!(false)) && access::password_matches(u, secret)
            })
    }

    /// Whether `uid` is an active user other than the admin.
    fn is_other_user(&self, uid: i64) -> bool {
        uid != ADMIN_UID
            && lock(&self.inner.store)
                .tables
                .get("res.users")
                .and_then(|t| t.get(&uid))
                .is_some_and(|u| u.get("active") != Some(&json!(false)))
    }

    /// The active user with `login` (the admin's login is the configured one).
    fn uid_of_login(&self, login: &str) -> Option<i64> {
        if login == self.inner.config.login {
            return Some(ADMIN_UID);
        }
        let store = lock(&self.inner.store);
        store.tables.get("res.users")?.iter().find_map(|(id, u)| {
            (u.get("login").and_then(Value::as_str) == Some(login)
                && u.get("active") != Some(&json!(false)))
            .then_some(*id)
        })
    }

    /// The user an API key belongs to (configured or generated keys).
    pub(crate) fn api_key_uid(&self, key: &str) -> Option<i64> {
        if self.inner.config.api_keys.iter().any(|k| k == key) {
            return Some(ADMIN_UID);
        }
        let now = chrono::Utc::now().naive_utc();
        lock(&self.inner.keys).check(key, now)
    }

    /// `common.login`: the uid for a login and a password or API key, on
    /// `db` (the extra databases have no users).
    pub(crate) fn login_uid(&self, db: &Value, login: &Value, password: &Value) -> Option<i64> {
        let c = &self.inner.config;
        if db.as_str() != Some(c.db.as_str()) {
            return None;
        }
        let uid = self.uid_of_login(login.as_str()?)?;
        let pw = password.as_str()?;
        self.check_secret(uid, pw).then_some(uid)
    }

    /// Handles one JSON-RPC / XML-RPC service call (`service`, `method`,
    /// `args`): `Ok(None)` means no result.
    pub async fn dispatch(
        &self,
        service: &str,
        method: &str,
        args: &[Value],
    ) -> Result<Option<Value>, Fault> {
        let a = |i: usize| args.get(i).cloned().unwrap_or(Value::Null);
        match service {
            "common" => {
                self.count_call("common", method);
                match method {
                    "version" => Ok(Some(self.inner.config.version.version_info())),
                    "login" | "authenticate" => {
                        self.check_db(&a(0))?;
                        Ok(Some(match self.login_uid(&a(0), &a(1), &a(2)) {
                            Some(uid) => json!(uid),
                            None => json!(false),
                        }))
                    }
                    "about" => Ok(Some(json!("See http://openerp.com"))),
                    other => Err(Fault::new(
                        fault::ATTRIBUTE_ERROR,
                        format!("module 'odoo.service.common' has no attribute 'exp_{other}'"),
                    )),
                }
            }
            "db" => {
                self.count_call("db", method);
                match method {
                    "list" => Ok(Some(json!(self.databases()))),
                    "server_version" => Ok(Some(json!(self.inner.config.version.server_version()))),
                    other => Err(Fault::new(
                        fault::ATTRIBUTE_ERROR,
                        format!("module 'odoo.service.db' has no attribute 'exp_{other}'"),
                    )),
                }
            }
            "object" => {
                let model = a(3);
                let model = model.as_str().unwrap_or("");
                let meth = a(4);
                let meth = meth.as_str().unwrap_or("");
                self.count_call(model, meth);
                self.check_db(&a(0))?;
                let uid = a(1).as_i64().unwrap_or(0);
                let secret = a(2);
                let secret = secret.as_str().unwrap_or("");
                if a(0).as_str() != Some(self.inner.config.db.as_str()) {
                    return Err(Fault::access_denied());
                }
                if uid != ADMIN_UID && !self.is_other_user(uid) {
                    // odoo/addons/base/models/res_users.py `check`: the
                    // password check browses res.users(uid) first
                    if secret == self.inner.config.password {
                        return Err(Fault::missing("res.users", &[uid], uid));
                    }
                    return Err(Fault::access_denied());
                }
                if !self.check_secret(uid, secret) {
                    return Err(Fault::access_denied());
                }
                let (call_args, call_kwargs) = match method {
                    "execute_kw" => (a(5), a(6)),
                    "execute" => (
                        Value::Array(args.iter().skip(5).cloned().collect()),
                        json!({}),
                    ),
                    other => {
                        return Err(Fault::new(
                            fault::ATTRIBUTE_ERROR,
                            format!("module 'odoo.service.model' has no attribute 'exp_{other}'"),
                        ));
                    }
                };
                self.call_kw(&Caller::Rpc, uid, model, meth, call_args, call_kwargs)
                    .await
            }
            other => Err(Fault::new(
                "builtins.Exception",
                format!("No such service: {other}"),
            )),
        }
    }

    pub(crate) fn web(&self) -> &http::WebState {
        &self.inner.web
    }

    pub(crate) fn keys(&self) -> MutexGuard<'_, apikeys::ApiKeys> {
        lock(&self.inner.keys)
    }

    pub(crate) fn chaos(&self) -> &chaos::Chaos {
        &self.inner.chaos
    }

    pub(crate) fn registry(&self) -> &Registry {
        &self.inner.reg
    }
}
