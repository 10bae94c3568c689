//! An Odoo-compatible sandbox: answers Odoo's JSON-RPC wire format (as
//! recorded from real Odoo 16, with 17/18/19 differences where modelled)
//! from a generic in-memory ORM with per-model behaviour hooks.
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
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Map, Value, json};

pub mod domain;
pub mod fault;
pub mod load;
pub mod methods;
pub mod models;
pub mod orm;
pub mod schema;
pub mod seed;

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
}

impl FromStr for Seed {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "demo" => Ok(Seed::Demo),
            "empty" => Ok(Seed::Empty),
            other => Err(format!("unknown seed {other:?} (demo or empty)")),
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
    /// Added before every RPC answer.
    pub latency: Option<Duration>,
    /// Demo sizes (used with `Seed::Demo`).
    pub demo_customers: usize,
    pub demo_products: usize,
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
            .finish()
    }
}

/// The admin's uid, as in every recorded database.
pub const ADMIN_UID: i64 = 2;

struct Inner {
    config: SimConfig,
    reg: Registry,
    store: Mutex<Store>,
    calls: Mutex<HashMap<(String, String), u64>>,
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

impl Sandbox {
    pub fn new(config: SimConfig) -> Sandbox {
        let reg = models::registry(config.version);
        let mut store = Store::default();
        {
            let mut env = Env::new(&reg, &mut store, 1, config.version, Map::new());
            seed::base(&mut env, &config.login).expect("base seed");
            if config.seed == Seed::Demo {
                seed::demo(&mut env, config.demo_customers, config.demo_products)
                    .expect("demo seed");
            }
        }
        Sandbox {
            inner: Arc::new(Inner {
                config,
                reg,
                store: Mutex::new(store),
                calls: Mutex::new(HashMap::new()),
            }),
        }
    }

    pub fn config(&self) -> &SimConfig {
        &self.inner.config
    }

    /// The HTTP routes: `/jsonrpc` and `/web/webclient/version_info`.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/jsonrpc", post(jsonrpc))
            .route(
                "/web/webclient/version_info",
                post(version_info).get(version_info),
            )
            .with_state(self.clone())
    }

    pub async fn serve(self, listener: tokio::net::TcpListener) -> std::io::Result<()> {
        axum::serve(listener, self.router()).await
    }

    pub async fn serve_with_shutdown<F>(
        self,
        listener: tokio::net::TcpListener,
        shutdown: F,
    ) -> std::io::Result<()>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        axum::serve(listener, self.router())
            .with_graceful_shutdown(shutdown)
            .await
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
        let mut env = Env::new(
            &self.inner.reg,
            &mut store,
            uid,
            self.inner.config.version,
            context,
        );
        let result = methods::call(&mut env, model, method, &args, &kwargs);
        if result.is_err() {
            env.rollback();
        }
        result
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
        let env = Env::new(
            &self.inner.reg,
            &mut store,
            ADMIN_UID,
            self.inner.config.version,
            Map::new(),
        );
        let ids = env.all_ids(model);
        env.read(model, &ids, &[]).unwrap_or_default()
    }

    /// One record read with the given fields (all when empty).
    pub fn read(&self, model: &str, id: i64, fields: &[&str]) -> Option<Value> {
        let fields: Vec<String> = fields.iter().map(|s| s.to_string()).collect();
        let mut store = lock(&self.inner.store);
        let env = Env::new(
            &self.inner.reg,
            &mut store,
            ADMIN_UID,
            self.inner.config.version,
            Map::new(),
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

    fn count_call(&self, a: &str, b: &str) {
        *lock(&self.inner.calls)
            .entry((a.to_string(), b.to_string()))
            .or_insert(0) += 1;
    }

    fn check_db(&self, db: &Value) -> Result<(), Fault> {
        let db = db.as_str().unwrap_or("");
        if db == self.inner.config.db {
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

    fn login_uid(&self, login: &Value, password: &Value) -> Option<i64> {
        let c = &self.inner.config;
        (login.as_str() == Some(c.login.as_str()) && password.as_str() == Some(c.password.as_str()))
            .then_some(ADMIN_UID)
    }

    /// Handles one JSON-RPC `call` on `/jsonrpc`: `Ok(None)` means no result.
    pub fn dispatch(&self, params: &Value) -> Result<Option<Value>, Fault> {
        let service = params.get("service").and_then(Value::as_str).unwrap_or("");
        let method = params.get("method").and_then(Value::as_str).unwrap_or("");
        let empty = Vec::new();
        let args = params
            .get("args")
            .and_then(Value::as_array)
            .unwrap_or(&empty);
        let a = |i: usize| args.get(i).cloned().unwrap_or(Value::Null);
        match service {
            "common" => {
                self.count_call("common", method);
                match method {
                    "version" => Ok(Some(self.inner.config.version.version_info())),
                    "login" | "authenticate" => {
                        self.check_db(&a(0))?;
                        Ok(Some(match self.login_uid(&a(1), &a(2)) {
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
                    "list" => Ok(Some(json!([self.inner.config.db]))),
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
                let c = &self.inner.config;
                if uid != ADMIN_UID {
                    if a(2).as_str() == Some(c.password.as_str()) {
                        return Err(Fault::missing("res.users", &[uid], uid));
                    }
                    return Err(Fault::access_denied());
                }
                if a(2).as_str() != Some(c.password.as_str()) {
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
                self.execute_as(uid, model, meth, call_args, call_kwargs)
            }
            other => Err(Fault::new(
                "builtins.Exception",
                format!("No such service: {other}"),
            )),
        }
    }

    async fn delay(&self) {
        if let Some(d) = self.inner.config.latency {
            tokio::time::sleep(d).await;
        }
    }
}

fn envelope(id: &Value, result: Result<Option<Value>, Fault>) -> Value {
    match result {
        Ok(Some(v)) => json!({"jsonrpc": "2.0", "id": id, "result": v}),
        Ok(None) => json!({"jsonrpc": "2.0", "id": id}),
        Err(f) => f.to_response(id),
    }
}

fn json_response(status: StatusCode, body: Value) -> Response {
    (
        status,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

async fn jsonrpc(State(sb): State<Sandbox>, body: Bytes) -> Response {
    sb.delay().await;
    let req: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            let f = Fault::new(
                "werkzeug.exceptions.BadRequest",
                format!("400 Bad Request: Invalid JSON data: {e}"),
            );
            return json_response(StatusCode::BAD_REQUEST, f.to_response(&Value::Null));
        }
    };
    let id = req.get("id").cloned().unwrap_or(Value::Null);
    let params = req.get("params").cloned().unwrap_or(json!({}));
    let result = sb.dispatch(&params);
    json_response(StatusCode::OK, envelope(&id, result))
}

async fn version_info(State(sb): State<Sandbox>, body: Bytes) -> Response {
    sb.delay().await;
    let id = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("id").cloned())
        .unwrap_or(Value::Null);
    json_response(
        StatusCode::OK,
        envelope(&id, Ok(Some(sb.inner.config.version.version_info()))),
    )
}
