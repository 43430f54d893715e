//! One QuickJS runtime + context with a deployment's script loaded, its limits, and the
//! event loop that drives one call to completion.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use rquickjs::function::Opt;
use rquickjs::promise::PromiseState;
use rquickjs::{CatchResultExt, CaughtError, Context, Ctx, Function, Promise, Runtime, Value};

use crate::logs::{Level, LogRing};
use crate::{Config, GraphqlCall, Host, LambdaError, fetch};

const PRELUDE: &str = include_str!("prelude.js");
/// File name reported in script errors.
pub const SCRIPT_NAME: &str = "lambda.js";
/// Stack a nested `graphql()` call needs before it runs on a fresh segment.
const HOST_RED_ZONE: usize = 512 * 1024;
/// Size of that segment.
const HOST_STACK: usize = 4 * 1024 * 1024;

/// Process-wide time base for deadlines kept in atomics.
fn epoch() -> Instant {
    static E: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    *E.get_or_init(Instant::now)
}

fn now_ns() -> u64 {
    epoch().elapsed().as_nanos() as u64
}

/// What the native helpers need to know about the call in progress.
#[derive(Clone)]
pub(crate) struct CallState {
    pub backend: u64,
    pub depth: usize,
    pub read_only: bool,
    pub auth: Option<(String, String)>,
    pub host: Option<Arc<dyn Host>>,
}

struct Shared {
    /// Deadline of the call in progress (ns since [`epoch`]); `u64::MAX` when idle.
    deadline: AtomicU64,
    call: Mutex<Option<CallState>>,
    logs: Arc<LogRing>,
    cfg: Arc<Config>,
}

/// A loaded script, ready for calls. Not shared between threads at once.
pub(crate) struct Sandbox {
    // Field order: the context must be dropped before its runtime.
    ctx: Context,
    rt: Runtime,
    shared: Arc<Shared>,
}

/// Why one call failed, before mapping to [`LambdaError`].
fn limit_error(cfg: &Config, msg: &str, timed_out: bool) -> Option<LambdaError> {
    if timed_out || msg.contains("interrupted") {
        return Some(LambdaError::Timeout(cfg.timeout.as_millis() as u64));
    }
    if msg.contains("out of memory") {
        return Some(LambdaError::Memory(cfg.memory_limit));
    }
    if msg.contains("stack overflow") || msg.contains("Maximum call stack size exceeded") {
        return Some(LambdaError::Stack);
    }
    None
}

/// `file:line:col` of the first frame of `lambda.js` in a stack text.
fn position(stack: &str) -> Option<(u32, u32)> {
    let i = stack.find(SCRIPT_NAME)?;
    let rest = &stack[i + SCRIPT_NAME.len()..];
    let rest = rest.strip_prefix(':')?;
    let mut parts = rest.splitn(3, |c: char| !c.is_ascii_digit());
    let line = parts.next()?.parse().ok()?;
    let col = parts.next().and_then(|c| c.parse().ok()).unwrap_or(0);
    Some((line, col))
}

fn describe<'js>(ctx: &Ctx<'js>, e: CaughtError<'js>) -> (String, Option<String>) {
    match e {
        CaughtError::Exception(ex) => {
            let name: Option<String> = ex.get("name").ok();
            let msg = ex.message().unwrap_or_default();
            let text = match name {
                Some(n) if !n.is_empty() && n != "Error" => format!("{n}: {msg}"),
                _ => msg,
            };
            (text, ex.stack())
        }
        CaughtError::Value(v) => {
            let s = ctx
                .json_stringify(v.clone())
                .ok()
                .flatten()
                .and_then(|s| s.to_string().ok())
                .unwrap_or_else(|| format!("{:?}", v.type_of()));
            (s, None)
        }
        CaughtError::Error(e) => (e.to_string(), None),
    }
}

impl Sandbox {
    /// A fresh runtime with the limits of `cfg`, the prelude and `script` evaluated.
    pub fn load(
        cfg: Arc<Config>,
        logs: Arc<LogRing>,
        script: &str,
    ) -> Result<Sandbox, LambdaError> {
        let rt = Runtime::new().map_err(|e| LambdaError::Internal(e.to_string()))?;
        rt.set_memory_limit(cfg.memory_limit);
        rt.set_max_stack_size(cfg.max_stack);
        rt.set_gc_threshold(cfg.memory_limit / 8);
        let shared = Arc::new(Shared {
            deadline: AtomicU64::new(u64::MAX),
            call: Mutex::new(None),
            logs,
            cfg: cfg.clone(),
        });
        let sh = shared.clone();
        rt.set_interrupt_handler(Some(Box::new(move || {
            now_ns() > sh.deadline.load(Ordering::Relaxed)
        })));
        let ctx = Context::full(&rt).map_err(|e| LambdaError::Internal(e.to_string()))?;
        let sb = Sandbox { ctx, rt, shared };
        sb.install()?;
        sb.arm(cfg.timeout);
        let res = sb.ctx.with(|ctx| {
            let mut opts = rquickjs::context::EvalOptions::default();
            opts.global = true;
            opts.strict = false;
            opts.filename = Some(SCRIPT_NAME.to_string());
            let r: rquickjs::Result<Value> = ctx.eval_with_options(script, opts);
            match r.catch(&ctx) {
                Ok(_) => Ok(()),
                Err(e) => {
                    let (msg, stack) = describe(&ctx, e);
                    let timed_out = sb.expired();
                    if let Some(l) = limit_error(&cfg, &msg, timed_out) {
                        return Err(LambdaError::Load {
                            message: l.to_string(),
                            line: 0,
                            column: 0,
                        });
                    }
                    let (line, column) = stack.as_deref().and_then(position).unwrap_or((0, 0));
                    Err(LambdaError::Load {
                        message: msg,
                        line,
                        column,
                    })
                }
            }
        });
        sb.disarm();
        res?;
        // Timers armed by top-level code run only during calls.
        sb.ctx.with(|ctx| {
            if let Ok(f) = ctx.globals().get::<_, Function>("__gc_clear_timers") {
                let _: rquickjs::Result<()> = f.call(());
            }
        });
        Ok(sb)
    }

    fn arm(&self, timeout: Duration) {
        self.shared
            .deadline
            .store(now_ns() + timeout.as_nanos() as u64, Ordering::Relaxed);
    }

    fn disarm(&self) {
        self.shared.deadline.store(u64::MAX, Ordering::Relaxed);
    }

    fn expired(&self) -> bool {
        now_ns() > self.shared.deadline.load(Ordering::Relaxed)
    }

    fn remaining(&self) -> Duration {
        Duration::from_nanos(
            self.shared
                .deadline
                .load(Ordering::Relaxed)
                .saturating_sub(now_ns()),
        )
    }

    /// Installs the native helpers and evaluates the prelude.
    fn install(&self) -> Result<(), LambdaError> {
        let internal = |e: rquickjs::Error| LambdaError::Internal(e.to_string());
        self.ctx.with(|ctx| -> Result<(), LambdaError> {
            let g = ctx.globals();
            let sh = self.shared.clone();
            g.set(
                "__gc_log",
                Function::new(ctx.clone(), move |level: String, text: String| {
                    sh.logs.push(Level::parse(&level), text);
                })
                .map_err(internal)?,
            )
            .map_err(internal)?;
            g.set(
                "__gc_now",
                Function::new(ctx.clone(), || -> f64 {
                    epoch().elapsed().as_secs_f64() * 1000.0
                })
                .map_err(internal)?,
            )
            .map_err(internal)?;
            let sh = self.shared.clone();
            g.set(
                "__gc_graphql",
                Function::new(
                    ctx.clone(),
                    move |ctx: Ctx<'_>,
                          query: String,
                          vars: String,
                          auth: Opt<Option<String>>|
                          -> rquickjs::Result<String> {
                        let call = sh.call.lock().clone();
                        let Some(call) = call else {
                            return Err(rquickjs::Exception::throw_message(
                                &ctx,
                                "graphql() is only available while a resolver runs",
                            ));
                        };
                        let Some(host) = call.host.clone() else {
                            return Err(rquickjs::Exception::throw_message(
                                &ctx,
                                "graphql() is not available here",
                            ));
                        };
                        let vars: serde_json::Value =
                            serde_json::from_str(&vars).unwrap_or(serde_json::Value::Null);
                        let auth = match auth.0.flatten() {
                            Some(a) => {
                                let v: serde_json::Value =
                                    serde_json::from_str(&a).unwrap_or_default();
                                Some((
                                    v["key"].as_str().unwrap_or("").to_string(),
                                    v["value"].as_str().unwrap_or("").to_string(),
                                ))
                            }
                            None => call.auth.clone(),
                        };
                        let budget = sh.deadline.load(Ordering::Relaxed).saturating_sub(now_ns());
                        let nested = GraphqlCall {
                            backend: call.backend,
                            query,
                            variables: vars,
                            auth,
                            depth: call.depth + 1,
                            read_only: call.read_only,
                            budget: Duration::from_nanos(budget),
                        };
                        // The nested request (engine frames, maybe another sandbox) may
                        // start deep in this script's stack: give it a fresh segment when
                        // the thread's stack runs low.
                        match stacker::maybe_grow(HOST_RED_ZONE, HOST_STACK, || {
                            host.graphql(nested)
                        }) {
                            Ok(v) => Ok(v.to_string()),
                            Err(m) => Err(rquickjs::Exception::throw_message(&ctx, &m)),
                        }
                    },
                )
                .map_err(internal)?,
            )
            .map_err(internal)?;
            let sh = self.shared.clone();
            g.set(
                "__gc_fetch",
                Function::new(
                    ctx.clone(),
                    move |ctx: Ctx<'_>,
                          url: String,
                          method: String,
                          headers: String,
                          body: Opt<Option<String>>|
                          -> rquickjs::Result<String> {
                        let budget = Duration::from_nanos(
                            sh.deadline.load(Ordering::Relaxed).saturating_sub(now_ns()),
                        );
                        let headers: serde_json::Map<String, serde_json::Value> =
                            serde_json::from_str(&headers).unwrap_or_default();
                        match fetch::fetch(
                            &sh.cfg,
                            &url,
                            &method,
                            &headers,
                            body.0.flatten(),
                            budget,
                        ) {
                            Ok(v) => Ok(v.to_string()),
                            Err(m) => Err(rquickjs::Exception::throw_type(
                                &ctx,
                                &format!("fetch failed: {m}"),
                            )),
                        }
                    },
                )
                .map_err(internal)?,
            )
            .map_err(internal)?;
            let mut opts = rquickjs::context::EvalOptions::default();
            opts.global = true;
            opts.filename = Some("prelude.js".to_string());
            ctx.eval_with_options::<(), _>(PRELUDE, opts)
                .catch(&ctx)
                .map_err(|e| LambdaError::Internal(format!("prelude: {}", describe(&ctx, e).0)))?;
            Ok(())
        })
    }

    /// Whether the script registered a resolver named `name`.
    pub fn has_resolver(&self, name: &str) -> bool {
        self.ctx.with(|ctx| {
            ctx.globals()
                .get::<_, Function>("__gc_has")
                .and_then(|f| f.call::<_, bool>((name,)))
                .unwrap_or(false)
        })
    }

    /// Runs one call (`request` is the lambda request body) to completion within the
    /// configured limits. On `Err`, the caller decides whether the sandbox is still usable
    /// ([`LambdaError::poisons`]).
    pub fn call(
        &self,
        request: &serde_json::Value,
        state: CallState,
    ) -> Result<serde_json::Value, LambdaError> {
        let cfg = self.shared.cfg.clone();
        *self.shared.call.lock() = Some(state);
        self.arm(cfg.timeout);
        let out = self.run(request, &cfg);
        self.disarm();
        *self.shared.call.lock() = None;
        self.ctx.with(|ctx| {
            if let Ok(f) = ctx.globals().get::<_, Function>("__gc_clear_timers") {
                let _: rquickjs::Result<()> = f.call(());
            }
        });
        out
    }

    fn run(
        &self,
        request: &serde_json::Value,
        cfg: &Config,
    ) -> Result<serde_json::Value, LambdaError> {
        let body = request.to_string();
        // Start the call; the dispatcher always returns a Promise.
        let started: Result<(), LambdaError> = self.ctx.with(|ctx| {
            let f: Function = ctx
                .globals()
                .get("__gc_dispatch")
                .map_err(|e| LambdaError::Internal(e.to_string()))?;
            let p: Promise = f
                .call((body.as_str(),))
                .catch(&ctx)
                .map_err(|e| self.fail(cfg, &ctx, e))?;
            ctx.globals()
                .set("__gc_current", p)
                .map_err(|e| LambdaError::Internal(e.to_string()))?;
            Ok(())
        });
        started?;
        loop {
            // Drain the job queue (promise reactions).
            loop {
                match self.rt.execute_pending_job() {
                    Ok(true) => continue,
                    Ok(false) => break,
                    Err(_) => {
                        // A job threw outside any promise chain (e.g. an interrupt).
                        if self.expired() {
                            return Err(LambdaError::Timeout(cfg.timeout.as_millis() as u64));
                        }
                        continue;
                    }
                }
            }
            let state = self
                .ctx
                .with(|ctx| -> Result<Option<serde_json::Value>, LambdaError> {
                    let p: Promise = ctx
                        .globals()
                        .get("__gc_current")
                        .map_err(|e| LambdaError::Internal(e.to_string()))?;
                    match p.state() {
                        PromiseState::Pending => Ok(None),
                        PromiseState::Resolved => {
                            let v: Value = p
                                .result::<Value>()
                                .unwrap_or(Ok(Value::new_undefined(ctx.clone())))
                                .map_err(|e| LambdaError::Internal(e.to_string()))?;
                            if v.is_undefined() {
                                return Err(LambdaError::Shape(
                                    "the resolver returned undefined".to_string(),
                                ));
                            }
                            let text = ctx
                                .json_stringify(v)
                                .catch(&ctx)
                                .map_err(|e| self.fail(cfg, &ctx, e))?
                                .and_then(|s| s.to_string().ok())
                                .unwrap_or_else(|| "null".to_string());
                            serde_json::from_str(&text).map(Some).map_err(|e| {
                                LambdaError::Shape(format!("the result is not JSON: {e}"))
                            })
                        }
                        PromiseState::Rejected => {
                            let r: rquickjs::Result<Value> = p
                                .result::<Value>()
                                .unwrap_or(Ok(Value::new_undefined(ctx.clone())));
                            Err(match r.catch(&ctx) {
                                Err(e) => self.fail(cfg, &ctx, e),
                                Ok(_) => LambdaError::Thrown("the resolver failed".to_string()),
                            })
                        }
                    }
                })?;
            if let Some(v) = state {
                return Ok(v);
            }
            if self.expired() {
                return Err(LambdaError::Timeout(cfg.timeout.as_millis() as u64));
            }
            // Nothing runnable: wait for the next timer, if any.
            let next: f64 = self.ctx.with(|ctx| {
                ctx.globals()
                    .get::<_, Function>("__gc_timers")
                    .and_then(|f| f.call::<_, f64>(()))
                    .catch(&ctx)
                    .map_err(|e| self.fail(cfg, &ctx, e))
            })?;
            if self.rt.is_job_pending() {
                continue;
            }
            if next < 0.0 {
                return Err(LambdaError::NeverSettled);
            }
            let wait = Duration::from_micros((next * 1000.0) as u64).min(self.remaining());
            if wait.is_zero() && self.expired() {
                return Err(LambdaError::Timeout(cfg.timeout.as_millis() as u64));
            }
            std::thread::sleep(wait);
        }
    }

    fn fail<'js>(&self, cfg: &Config, ctx: &Ctx<'js>, e: CaughtError<'js>) -> LambdaError {
        let (msg, _) = describe(ctx, e);
        if let Some(l) = limit_error(cfg, &msg, self.expired()) {
            return l;
        }
        if let Some(rest) = msg.split_once("__gc_shape:").map(|(_, r)| r) {
            return LambdaError::Shape(rest.to_string());
        }
        LambdaError::Thrown(msg)
    }

    /// Bytes the runtime holds.
    pub fn memory_used(&self) -> i64 {
        self.rt.memory_usage().memory_used_size
    }
}
