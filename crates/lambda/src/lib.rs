//! Lambda scripts of deployments: embedded JavaScript (QuickJS through `rquickjs`), one
//! isolated runtime per sandbox, sandboxes per deployment created on first use and dropped
//! when idle.
//!
//! * [`Lambdas::check`] loads a script in a throwaway sandbox (syntax and top-level errors
//!   come back with line and column).
//! * [`Lambdas::call`] runs one lambda request body (`{resolver, args, parents, authHeader,
//!   event}`, spec L.2/L.4) against a deployment's script of a given version. Blocking: call
//!   it from a blocking thread.
//! * Every call has a wall-time limit (the interrupt handler stops loops), the runtime has a
//!   memory and a stack limit, and a deployment runs at most `max_concurrency` calls at once
//!   (one sandbox each). A call that hits a limit discards its sandbox; the next call gets a
//!   fresh one.
//! * `console.*` lines go to the deployment's [`LogRing`] (memory only).
//! * Scripts reach back into the engine through [`Host`] (`graphql()`), with a bounded
//!   nesting depth; a nested call never waits for a sandbox of its own deployment (it takes
//!   a free one, makes a new one, or fails), so re-entrancy cannot deadlock.

pub mod fetch;
pub mod logs;
mod sandbox;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

pub use logs::{Level, LogLine, LogRing};
use sandbox::{CallState, Sandbox};

/// Limits and policies of the lambda runtime.
#[derive(Clone, Debug)]
pub struct Config {
    /// Wall-time limit of one call (default 1 s).
    pub timeout: Duration,
    /// Heap limit of one sandbox (default 64 MiB).
    pub memory_limit: usize,
    /// Stack limit of one sandbox (default 512 KiB).
    pub max_stack: usize,
    /// Calls of one deployment running at once (default 2); each has its own sandbox.
    pub max_concurrency: usize,
    /// Calls of one deployment waiting for a sandbox before new ones are refused (default 64).
    pub max_waiting: usize,
    /// Nesting depth of `graphql()` calls from scripts (default 3).
    pub max_depth: usize,
    /// Sandboxes unused this long are dropped (default 5 minutes).
    pub idle_ttl: Duration,
    /// Lines kept per deployment log (default 1000).
    pub log_lines: usize,
    /// Largest script accepted, decoded (default 512 KiB).
    pub max_script_bytes: usize,
    /// Timeout of one `fetch` (default 10 s, never beyond the call's own deadline).
    pub fetch_timeout: Duration,
    /// Hosts `fetch` may reach (`api.example.com`, `*.example.org`); empty = any public host.
    pub fetch_allow: Vec<String>,
    /// Whether `fetch` may reach private, loopback and link-local addresses.
    pub allow_private_network: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            timeout: Duration::from_secs(1),
            memory_limit: 64 * 1024 * 1024,
            max_stack: 512 * 1024,
            max_concurrency: 2,
            max_waiting: 64,
            max_depth: 3,
            idle_ttl: Duration::from_secs(300),
            log_lines: 1000,
            max_script_bytes: 512 * 1024,
            fetch_timeout: Duration::from_secs(10),
            fetch_allow: Vec::new(),
            allow_private_network: false,
        }
    }
}

/// A script's `graphql(query, variables, authHeader)` call.
#[derive(Debug, Clone)]
pub struct GraphqlCall {
    pub backend: u64,
    pub query: String,
    pub variables: serde_json::Value,
    /// `(key, value)` of the `Dgraph.Authorization` header to run with.
    pub auth: Option<(String, String)>,
    /// Nesting depth of the request this call makes (1 from a client request's resolver).
    pub depth: usize,
    pub read_only: bool,
    /// Time left of the calling resolver.
    pub budget: Duration,
}

/// What scripts may call back into: the GraphQL API of their own backend.
pub trait Host: Send + Sync {
    /// Runs the call against the backend's `/graphql`; returns `{data, errors}`. Blocking.
    fn graphql(&self, call: GraphqlCall) -> Result<serde_json::Value, String>;
}

/// Why a script or a call failed. `Display` is the client-visible text.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LambdaError {
    #[error("the lambda script failed to load: {message} (line {line}, column {column})")]
    Load {
        message: String,
        line: u32,
        column: u32,
    },
    #[error("the lambda script is larger than {0} bytes")]
    TooLarge(usize),
    #[error("no lambda script is deployed for this backend")]
    NoScript,
    #[error("the lambda resolver exceeded its time limit of {0} ms")]
    Timeout(u64),
    #[error("the lambda resolver exceeded its memory limit of {} MiB", .0 / (1024 * 1024))]
    Memory(usize),
    #[error("the lambda resolver exceeded its stack limit (too deep recursion)")]
    Stack,
    #[error("the lambda resolver returned a Promise that never settles")]
    NeverSettled,
    #[error("{0}")]
    Thrown(String),
    #[error("the lambda resolver returned a result of the wrong shape: {0}")]
    Shape(String),
    #[error("too many lambda calls of this backend at once; try again")]
    Busy,
    #[error("lambda calls nest too deeply (graphql() from a resolver, more than {0} levels)")]
    TooDeep(usize),
    #[error("internal lambda error: {0}")]
    Internal(String),
}

impl LambdaError {
    /// Whether the sandbox that produced this error must not be reused (a limit stopped
    /// the script halfway; its heap may be full or its state inconsistent).
    pub fn poisons(&self) -> bool {
        matches!(
            self,
            LambdaError::Timeout(_)
                | LambdaError::Memory(_)
                | LambdaError::Stack
                | LambdaError::NeverSettled
                | LambdaError::Internal(_)
        )
    }
}

/// One call: the deployment, the script version and its source (read only when a
/// sandbox has to be built), and the request body.
pub struct Call<'a> {
    pub backend: u64,
    pub version: u64,
    pub source: &'a dyn Fn() -> Option<String>,
    pub request: &'a serde_json::Value,
    /// The caller's `(key, value)` auth header, forwarded by `graphql()` by default.
    pub auth: Option<(String, String)>,
    /// 0 for a call made by a client request; n + 1 for one made by a script's `graphql()`.
    pub depth: usize,
    /// The deployment is read-only (`graphql()` may not mutate).
    pub read_only: bool,
}

struct Pool {
    version: u64,
    idle: Vec<Sandbox>,
    /// Sandboxes of the current version that exist (idle or running).
    live: usize,
    waiting: usize,
    last_used: Instant,
}

struct Deployment {
    pool: Mutex<Pool>,
    freed: Condvar,
}

struct Inner {
    cfg: Arc<Config>,
    deployments: Mutex<HashMap<u64, Arc<Deployment>>>,
    logs: Mutex<HashMap<u64, Arc<LogRing>>>,
    host: Mutex<Option<Arc<dyn Host>>>,
}

/// The lambda runtime of every deployment of a server. Cheap to clone.
#[derive(Clone)]
pub struct Lambdas {
    inner: Arc<Inner>,
}

/// Decodes a base64 script as sent by clients (`""` = none).
pub fn decode_script(b64: &str) -> Result<String, String> {
    use base64::Engine as _;
    let t: String = b64.split_whitespace().collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(t.as_bytes())
        .map_err(|_| "lambdaScript must be base64-encoded".to_string())?;
    String::from_utf8(bytes).map_err(|_| "the lambda script must be UTF-8 text".to_string())
}

/// Encodes a script for clients.
pub fn encode_script(src: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(src.as_bytes())
}

impl Lambdas {
    pub fn new(cfg: Config) -> Lambdas {
        Lambdas {
            inner: Arc::new(Inner {
                cfg: Arc::new(cfg),
                deployments: Mutex::new(HashMap::new()),
                logs: Mutex::new(HashMap::new()),
                host: Mutex::new(None),
            }),
        }
    }

    pub fn config(&self) -> &Config {
        &self.inner.cfg
    }

    /// Sets what `graphql()` calls into.
    pub fn set_host(&self, host: Arc<dyn Host>) {
        *self.inner.host.lock() = Some(host);
    }

    /// The log ring of `backend` (created on first use).
    pub fn logs(&self, backend: u64) -> Arc<LogRing> {
        self.inner
            .logs
            .lock()
            .entry(backend)
            .or_insert_with(|| Arc::new(LogRing::new(self.inner.cfg.log_lines)))
            .clone()
    }

    /// Rendered log lines of `backend` within the window, oldest first.
    pub fn log_lines(
        &self,
        backend: u64,
        start: Option<time::OffsetDateTime>,
        end: Option<time::OffsetDateTime>,
    ) -> Vec<String> {
        let ring = self.inner.logs.lock().get(&backend).cloned();
        ring.map(|r| r.between(start, end).iter().map(LogLine::render).collect())
            .unwrap_or_default()
    }

    /// Loads `source` in a throwaway sandbox (limits apply to its top-level code). `Ok`
    /// means it may be stored.
    pub fn check(&self, source: &str) -> Result<(), LambdaError> {
        if source.len() > self.inner.cfg.max_script_bytes {
            return Err(LambdaError::TooLarge(self.inner.cfg.max_script_bytes));
        }
        let sink = Arc::new(LogRing::new(16));
        Sandbox::load(self.inner.cfg.clone(), sink, source).map(|_| ())
    }

    /// Forgets everything about `backend` (its script was replaced or it was deleted).
    pub fn forget(&self, backend: u64, drop_logs: bool) {
        self.inner.deployments.lock().remove(&backend);
        if drop_logs {
            self.inner.logs.lock().remove(&backend);
        }
    }

    /// Number of deployments holding at least one sandbox, and the sandboxes' heap bytes.
    pub fn resident(&self) -> (usize, i64) {
        let deps: Vec<Arc<Deployment>> = self.inner.deployments.lock().values().cloned().collect();
        let mut n = 0;
        let mut bytes = 0;
        for d in deps {
            let p = d.pool.lock();
            if p.live > 0 {
                n += 1;
            }
            bytes += p.idle.iter().map(Sandbox::memory_used).sum::<i64>();
        }
        (n, bytes)
    }

    /// Drops sandboxes of deployments idle for longer than the configured time.
    pub fn evict_idle(&self) {
        let ttl = self.inner.cfg.idle_ttl;
        let mut map = self.inner.deployments.lock();
        map.retain(|_, d| {
            let mut p = d.pool.lock();
            if p.last_used.elapsed() >= ttl && p.waiting == 0 {
                let running = p.live.saturating_sub(p.idle.len());
                p.idle.clear();
                p.live = running;
                // A deployment with calls in flight stays; its sandboxes return to it.
                running > 0
            } else {
                true
            }
        });
    }

    /// Starts a task that calls [`Lambdas::evict_idle`] periodically. Needs a tokio runtime.
    pub fn spawn_reaper(&self) {
        let weak = Arc::downgrade(&self.inner);
        let every =
            (self.inner.cfg.idle_ttl / 4).clamp(Duration::from_millis(50), Duration::from_secs(30));
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                let Some(inner) = weak.upgrade() else { return };
                let l = Lambdas { inner };
                tokio::task::spawn_blocking(move || l.evict_idle());
            }
        });
    }

    fn deployment(&self, backend: u64, version: u64) -> Arc<Deployment> {
        self.inner
            .deployments
            .lock()
            .entry(backend)
            .or_insert_with(|| {
                Arc::new(Deployment {
                    pool: Mutex::new(Pool {
                        version,
                        idle: Vec::new(),
                        live: 0,
                        waiting: 0,
                        last_used: Instant::now(),
                    }),
                    freed: Condvar::new(),
                })
            })
            .clone()
    }

    /// Takes a sandbox of `call.version`, building one when allowed.
    fn acquire(&self, dep: &Deployment, call: &Call<'_>) -> Result<Sandbox, LambdaError> {
        let cfg = &self.inner.cfg;
        let deadline = Instant::now() + cfg.timeout;
        let mut p = dep.pool.lock();
        loop {
            if p.version != call.version {
                // A new script version: old sandboxes are dropped (running ones on return).
                p.version = call.version;
                p.idle.clear();
                p.live = 0;
            }
            p.last_used = Instant::now();
            if let Some(sb) = p.idle.pop() {
                return Ok(sb);
            }
            if p.live < cfg.max_concurrency
                || call.depth > 0 && p.live < cfg.max_concurrency + cfg.max_depth
            {
                p.live += 1;
                drop(p);
                let built = match (call.source)() {
                    Some(src) if !src.trim().is_empty() => {
                        Sandbox::load(cfg.clone(), self.logs(call.backend), &src)
                    }
                    _ => Err(LambdaError::NoScript),
                };
                if built.is_err() {
                    let mut p = dep.pool.lock();
                    if p.version == call.version {
                        p.live = p.live.saturating_sub(1);
                    }
                    dep.freed.notify_one();
                }
                return built;
            }
            if call.depth > 0 || p.waiting >= cfg.max_waiting {
                return Err(LambdaError::Busy);
            }
            p.waiting += 1;
            let timed_out = dep.freed.wait_until(&mut p, deadline).timed_out();
            p.waiting -= 1;
            if timed_out {
                return Err(LambdaError::Busy);
            }
        }
    }

    fn release(&self, dep: &Deployment, version: u64, sb: Option<Sandbox>) {
        let mut p = dep.pool.lock();
        if p.version == version {
            match sb {
                Some(sb) => p.idle.push(sb),
                None => p.live = p.live.saturating_sub(1),
            }
        }
        p.last_used = Instant::now();
        drop(p);
        dep.freed.notify_one();
    }

    /// Runs one call. Blocking.
    pub fn call(&self, call: Call<'_>) -> Result<serde_json::Value, LambdaError> {
        if call.depth > self.inner.cfg.max_depth {
            return Err(LambdaError::TooDeep(self.inner.cfg.max_depth));
        }
        let dep = self.deployment(call.backend, call.version);
        let sb = self.acquire(&dep, &call)?;
        let state = CallState {
            backend: call.backend,
            depth: call.depth,
            read_only: call.read_only,
            auth: call.auth.clone(),
            host: self.inner.host.lock().clone(),
        };
        // The script's stack limit is relative to where the call starts: make sure the
        // thread has that much (plus room for the host's frames) left, else run the call on
        // a fresh stack segment. A hostile script can then never overflow the thread.
        let red = self.inner.cfg.max_stack + 256 * 1024;
        let out = stacker::maybe_grow(red, red + 1024 * 1024, || sb.call(call.request, state));
        match &out {
            Err(e) if e.poisons() => {
                tracing::warn!(backend = call.backend, error = %e, "lambda sandbox discarded");
                self.logs(call.backend).push(
                    Level::Error,
                    format!("resolver {}: {e}", resolver_name(call.request)),
                );
                self.release(&dep, call.version, None);
            }
            _ => self.release(&dep, call.version, Some(sb)),
        }
        out
    }

    /// Whether the script of `backend` (at `version`) registered a resolver `name`.
    pub fn has_resolver(
        &self,
        backend: u64,
        version: u64,
        source: &dyn Fn() -> Option<String>,
        name: &str,
    ) -> Result<bool, LambdaError> {
        let dep = self.deployment(backend, version);
        let call = Call {
            backend,
            version,
            source,
            request: &serde_json::Value::Null,
            auth: None,
            depth: 0,
            read_only: false,
        };
        let sb = self.acquire(&dep, &call)?;
        let r = sb.has_resolver(name);
        self.release(&dep, version, Some(sb));
        Ok(r)
    }
}

fn resolver_name(req: &serde_json::Value) -> String {
    match req["resolver"].as_str() {
        Some("$webhook") => format!(
            "{}.{}",
            req["event"]["__typename"].as_str().unwrap_or(""),
            req["event"]["operation"].as_str().unwrap_or("")
        ),
        Some(r) => r.to_string(),
        None => String::new(),
    }
}
