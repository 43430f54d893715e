//! [`Engine`]: what the server calls for a backend's `/graphql`, `/admin`, `/admin/schema`
//! and `/probe/graphql`. Work runs on tokio's blocking pool; nothing is kept per backend
//! except an entry in the bounded compiled-API cache.
//!
//! A backend's schema is stored in its own key range, like Dgraph does: one node of type
//! `dgraph.graphql` carrying the SDL (`dgraph.graphql.schema`) and the schema update counter
//! (`dgraph.graphql.counter`). So data and schema are one unit for backups and deletion.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use apollo_compiler::response::{JsonMap, JsonValue};
use graphcloud_store::{self as store, PredicateSchema, Store, Value};

use crate::admin::{self, AdminBackend};
use crate::api::{ApiCache, CompiledApi, compile};
use crate::graph::{GraphRead, Val};
use crate::lambda::{self, LambdaExecutor, StoredScript};
use crate::request::{self, BackendGraph, Options, Request, Response, WriteFn};
use crate::store_adapter::StoreRead;
use crate::{Access, Cancel, EngineError, Limits, MutationOutcome};

/// Storage type of the schema node.
pub const SCHEMA_TYPE: &str = "dgraph.graphql";
/// Predicate holding the SDL text.
pub const SCHEMA_PRED: &str = "dgraph.graphql.schema";
/// Predicate holding the schema update counter.
pub const COUNTER_PRED: &str = "dgraph.graphql.counter";

/// Compiled APIs kept in memory at once (a large generated API takes a few MB; an evicted
/// one is rebuilt from the stored SDL on its next request).
pub const API_CACHE_ENTRIES: usize = 64;

/// Who calls, as the server decided from credentials and the deployment's settings.
#[derive(Clone, Copy, Debug)]
pub struct Caller {
    pub access: Access,
    /// `deploymentMode: readonly`.
    pub read_only: bool,
}

/// The four forms of `dropData`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DropData {
    /// Every node except the stored GraphQL schema.
    AllData,
    /// Everything but the uid counter: data, GraphQL schema and predicate schemas.
    AllDataAndSchema,
    /// Every node of these (storage) type names, with the edges pointing at them.
    Types(Vec<String>),
    /// Every value and edge of these predicates (`Type.field`), on every node.
    Fields(Vec<String>),
}

/// Result of `POST /admin/schema`: HTTP status and JSON body.
#[derive(Clone, Debug, PartialEq)]
pub struct RawSchemaResult {
    pub status: u16,
    pub body: serde_json::Value,
}

/// The GraphQL engine for every backend of one store.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

/// A handle that does not keep the engine alive (for callbacks the engine itself holds).
#[derive(Clone)]
pub struct WeakEngine(std::sync::Weak<Inner>);

impl WeakEngine {
    pub fn upgrade(&self) -> Option<Engine> {
        self.0.upgrade().map(|inner| Engine { inner })
    }
}

struct Inner {
    store: Store,
    cache: ApiCache,
    limits: Limits,
    started: Instant,
    /// `/graphql` requests executing right now.
    in_flight: AtomicUsize,
    lambda: OnceLock<Arc<dyn LambdaExecutor>>,
    /// Parsed and validated operations of every backend (bounded).
    prepared: crate::plan::PreparedCache,
    /// Whether queries run on the compiled path where a plan covers them.
    compiled: std::sync::atomic::AtomicBool,
}

/// The stored schema of a backend.
#[derive(Clone, Debug)]
pub(crate) struct StoredSchema {
    pub(crate) uid: u64,
    pub(crate) sdl: String,
    pub(crate) counter: u64,
}

pub(crate) fn read_stored(rd: &dyn store::GraphRead) -> Result<Option<StoredSchema>, EngineError> {
    let se = |e: store::StoreError| EngineError::Store(e.to_string());
    let Some(uid) = rd.uids_of_type(SCHEMA_TYPE).map_err(se)?.iter().next() else {
        return Ok(None);
    };
    let sdl = match rd.value(uid, SCHEMA_PRED).map_err(se)? {
        Some(Value::String(s)) => s,
        _ => return Ok(None),
    };
    let counter = match rd.value(uid, COUNTER_PRED).map_err(se)? {
        Some(Value::Int(i)) => i.max(0) as u64,
        _ => 0,
    };
    Ok(Some(StoredSchema { uid, sdl, counter }))
}

struct StoreBackend<'a> {
    store: &'a Store,
    backend: u64,
}

impl BackendGraph for StoreBackend<'_> {
    fn snapshot(&self) -> Result<Box<dyn GraphRead + '_>, EngineError> {
        let s = self
            .store
            .read(self.backend)
            .map_err(|e| EngineError::Store(e.to_string()))?;
        Ok(Box::new(StoreRead(s)))
    }

    fn write(&self, f: WriteFn) -> Result<MutationOutcome, EngineError> {
        self.store.write_blocking(self.backend, move |txn| {
            let mut g = crate::mutation::store_write::TxnGraph::new(txn);
            f(&mut g)
        })
    }
}

impl From<store::StoreError> for EngineError {
    fn from(e: store::StoreError) -> Self {
        EngineError::Store(e.to_string())
    }
}

/// Maps the schema's storage predicates onto the store's predicate schemas.
pub(crate) fn predicate_schemas(model: &graphcloud_schema::Schema) -> Vec<PredicateSchema> {
    use graphcloud_schema::ValueKind as K;
    let mut out = vec![
        PredicateSchema::new(SCHEMA_PRED, store::ValueKind::String, false),
        PredicateSchema::new(COUNTER_PRED, store::ValueKind::Int, false),
        PredicateSchema::new(lambda::LAMBDA_SCRIPT_PRED, store::ValueKind::String, false),
        PredicateSchema::new(lambda::LAMBDA_VERSION_PRED, store::ValueKind::Int, false),
    ];
    for p in &model.storage_schema().predicates {
        let kind = match p.kind {
            K::Int => store::ValueKind::Int,
            K::Float => store::ValueKind::Float,
            K::String => store::ValueKind::String,
            K::Bool => store::ValueKind::Bool,
            K::DateTime => store::ValueKind::DateTime,
            K::Geo => store::ValueKind::Geo,
            K::Password => store::ValueKind::Password,
            K::Uid => store::ValueKind::Uid,
            K::Float32Vector => continue,
        };
        let mut ps = PredicateSchema::new(p.name.clone(), kind, p.list);
        ps.upsert = p.upsert;
        for i in &p.indexes {
            if let Some(k) = store::IndexKind::from_name(i)
                && k.value_kind() == kind
            {
                ps = ps.with_index(k);
            }
        }
        if ps.validate().is_ok() {
            out.push(ps);
        }
    }
    out
}

impl Engine {
    /// An engine over `store` with default limits.
    pub fn new(store: Store) -> Engine {
        Engine::with_limits(store, Limits::default())
    }

    pub fn with_limits(store: Store, limits: Limits) -> Engine {
        Engine {
            inner: Arc::new(Inner {
                store,
                cache: ApiCache::new(API_CACHE_ENTRIES),
                limits,
                started: Instant::now(),
                in_flight: AtomicUsize::new(0),
                lambda: OnceLock::new(),
                prepared: Default::default(),
                compiled: std::sync::atomic::AtomicBool::new(true),
            }),
        }
    }

    pub fn downgrade(&self) -> WeakEngine {
        WeakEngine(Arc::downgrade(&self.inner))
    }

    /// Turns the compiled query path on (the default) or off; off, the generic executor
    /// answers every query (for differential tests and benchmarks: both answer identically).
    pub fn set_compiled(&self, on: bool) {
        self.inner.compiled.store(on, Ordering::Relaxed);
    }

    /// The store this engine executes against.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The compiled API of `backend` ([`Engine::api_for`] without the stored schema), on the
    /// request path: while the node cache hands out the very copy of the backend's schema node
    /// that was checked against the cached API, no schema is read or compared.
    pub(crate) fn current_api(
        &self,
        backend: u64,
    ) -> Result<Option<Arc<CompiledApi>>, EngineError> {
        let rd = StoreRead(self.inner.store.read(backend)?);
        if let Some((api, uid, node)) = self.inner.cache.proven(backend)
            && let Ok(Some(now)) = rd.node_shared(uid)
            && Arc::ptr_eq(&now, &node)
        {
            return Ok(Some(api));
        }
        let Some((api, stored)) = self.api_for(backend)? else {
            return Ok(None);
        };
        // Proven only if this view's copy of the node holds exactly that SDL and counter.
        if let Ok(Some(node)) = rd.node_shared(stored.uid) {
            let holds = |pred: &str, want: &Val| {
                node.values
                    .get(pred)
                    .is_some_and(|v| v.len() == 1 && v[0] == *want)
            };
            if holds(SCHEMA_PRED, &Val::Str(stored.sdl.clone()))
                && holds(COUNTER_PRED, &Val::Int(stored.counter as i64))
            {
                self.inner.cache.prove(backend, &api, stored.uid, node);
            }
        }
        Ok(Some(api))
    }

    /// The compiled API of `backend`, or `None` when it has no schema yet.
    pub(crate) fn api_for(
        &self,
        backend: u64,
    ) -> Result<Option<(Arc<CompiledApi>, StoredSchema)>, EngineError> {
        let snap = self.inner.store.read(backend)?;
        let Some(stored) = read_stored(&snap)? else {
            return Ok(None);
        };
        // The counter alone is not enough: a restore can bring back another schema with the
        // same counter, so a cached API is used only for the exact stored text.
        if let Some(api) = self.inner.cache.get(backend, stored.counter)
            && api.sdl == stored.sdl
        {
            return Ok(Some((api, stored)));
        }
        let api = compile(&stored.sdl).map_err(|e| {
            EngineError::Query(format!("the stored schema no longer compiles: {e}"))
        })?;
        let api = Arc::new(api);
        self.inner.cache.put(backend, stored.counter, api.clone());
        Ok(Some((api, stored)))
    }

    /// Answers a `/graphql` request of `backend`. Dropping the returned future (the client
    /// went away, a timeout, shutdown) cancels the work: the executor stops at its next check.
    pub async fn graphql(&self, backend: u64, caller: Caller, req: Request) -> Response {
        self.graphql_with_headers(backend, caller, req, Vec::new())
            .await
    }

    /// [`Engine::graphql`] for callers already on a blocking thread.
    pub fn graphql_blocking(&self, backend: u64, caller: Caller, req: &Request) -> Response {
        self.graphql_at(backend, caller, req, &[], None, 0, Cancel::new())
    }

    /// `/graphql` requests executing right now (on blocking threads).
    pub fn in_flight(&self) -> usize {
        self.inner.in_flight.load(Ordering::Relaxed)
    }

    /// [`Engine::graphql_blocking`] that stops once `cancel` is raised.
    pub fn graphql_cancellable(
        &self,
        backend: u64,
        caller: Caller,
        req: &Request,
        cancel: Cancel,
    ) -> Response {
        self.graphql_at(backend, caller, req, &[], None, 0, cancel)
    }

    /// Answers a `/graphql` request with the request's headers (lowercase names): the
    /// schema's `Dgraph.Authorization` header is handed to lambda resolvers. Dropping the
    /// returned future cancels the request's work.
    pub async fn graphql_with_headers(
        &self,
        backend: u64,
        caller: Caller,
        req: Request,
        headers: Vec<(String, String)>,
    ) -> Response {
        if let Some(r) = self.try_inline(backend, caller, &req) {
            return r;
        }
        let this = self.clone();
        let cancel = Cancel::new();
        let _stop_when_dropped = cancel.on_drop();
        tokio::task::spawn_blocking(move || {
            this.graphql_at(backend, caller, &req, &headers, None, 0, cancel)
        })
        .await
        .unwrap_or_else(|e| Response::error(format!("internal error: {e}")))
    }

    /// Answers `req` on the calling (async) thread when that is cheap (see
    /// [`request::execute_inline`]): handing a get-by-id to a blocking thread costs more than
    /// answering it. `None`: run it on a blocking thread (also when the API the store holds
    /// now is not the cached one the operation was prepared for).
    pub fn try_inline(&self, backend: u64, caller: Caller, req: &Request) -> Option<Response> {
        if !self.inner.compiled.load(Ordering::Relaxed) {
            return None;
        }
        let hint = self.inner.cache.peek(backend)?;
        let prepared = self
            .inner
            .prepared
            .get(&hint, &req.query, req.operation_name.as_deref())?;
        if !prepared.compiled_plan().is_some_and(|p| p.inline) {
            return None;
        }
        let api = self.current_api(backend).ok()??;
        if api.id != hint.id {
            // The schema changed since: the prepared operation belongs to the old one.
            return None;
        }
        self.inner.in_flight.fetch_add(1, Ordering::Relaxed);
        let opts = Options {
            access: caller.access,
            read_only: caller.read_only,
            limits: self.inner.limits.clone(),
            cancel: Cancel::new(),
            compiled: true,
        };
        let graph = StoreBackend {
            store: &self.inner.store,
            backend,
        };
        let r = request::execute_inline(&api, prepared, &graph, req, &opts);
        self.inner.in_flight.fetch_sub(1, Ordering::Relaxed);
        r
    }

    /// A lambda script's `graphql()` call: runs on the calling (blocking) thread at nesting
    /// `depth` with `auth` as the lambda `authHeader`; answers `{data, errors}`.
    pub fn lambda_graphql(
        &self,
        backend: u64,
        caller: Caller,
        req: &Request,
        auth: Option<(String, String)>,
        depth: usize,
    ) -> Response {
        self.graphql_at(backend, caller, req, &[], auth, depth, Cancel::new())
    }

    /// Plugs in what runs `@lambda` resolvers and webhooks (once).
    pub fn set_lambda_executor(&self, exec: Arc<dyn LambdaExecutor>) {
        let _ = self.inner.lambda.set(exec);
    }

    #[allow(clippy::too_many_arguments)]
    fn graphql_at(
        &self,
        backend: u64,
        caller: Caller,
        req: &Request,
        headers: &[(String, String)],
        auth: Option<(String, String)>,
        depth: usize,
        cancel: Cancel,
    ) -> Response {
        self.inner.in_flight.fetch_add(1, Ordering::Relaxed);
        struct Done<'a>(&'a AtomicUsize);
        impl Drop for Done<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::Relaxed);
            }
        }
        let _done = Done(&self.inner.in_flight);
        let api = match self.current_api(backend) {
            Ok(Some(api)) => api,
            Ok(None) => return no_schema(req),
            Err(e) => return Response::error(e.to_string()),
        };
        let model = api.model.as_ref();
        let auth = auth.or_else(|| {
            let name = model?
                .meta()
                .authorization
                .as_ref()?
                .header
                .to_ascii_lowercase();
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(&name))
                .map(|(_, v)| (name.clone(), v.clone()))
                .or(Some((name, String::new())))
        });
        let _scope = lambda::enter(
            backend,
            depth,
            caller.read_only,
            auth,
            self.inner.lambda.get().cloned(),
            self.inner.store.clone(),
            api.clone(),
        );
        let opts = Options {
            access: caller.access,
            read_only: caller.read_only,
            limits: self.inner.limits.clone(),
            cancel: cancel.clone(),
            compiled: self.inner.compiled.load(Ordering::Relaxed),
        };
        let graph = StoreBackend {
            store: &self.inner.store,
            backend,
        };
        request::execute_cached(
            &api,
            Some(&self.inner.prepared),
            backend,
            &graph,
            req,
            &opts,
        )
    }

    /// Answers an `/admin` GraphQL request of `backend`.
    pub async fn admin(&self, backend: u64, caller: Caller, req: Request) -> Response {
        let this = self.clone();
        tokio::task::spawn_blocking(move || {
            let b = AdminOf {
                engine: &this,
                backend,
                caller,
            };
            admin::execute(&b, &req, &this.inner.limits)
        })
        .await
        .unwrap_or_else(|e| Response::error(format!("internal error: {e}")))
    }

    /// `POST /admin/schema` with a raw SDL body.
    pub async fn admin_schema(&self, backend: u64, caller: Caller, sdl: String) -> RawSchemaResult {
        let this = self.clone();
        tokio::task::spawn_blocking(move || match this.update_schema(backend, caller, &sdl) {
            Ok(_) => RawSchemaResult {
                status: 200,
                body: serde_json::json!({"data": {"code": "Success", "message": "Done"}}),
            },
            Err(msg) => RawSchemaResult {
                status: 200,
                body: serde_json::json!({"errors": [{"message": msg, "extensions": {"code": "Error"}}]}),
            },
        })
        .await
        .unwrap_or_else(|e| RawSchemaResult {
            status: 500,
            body: serde_json::json!({"errors": [{"message": format!("internal error: {e}")}]}),
        })
    }

    /// `/probe/graphql`: `{"status": "up", "schemaUpdateCounter": n}`.
    pub async fn probe(&self, backend: u64) -> serde_json::Value {
        let this = self.clone();
        let counter = tokio::task::spawn_blocking(move || {
            let snap = this.inner.store.read(backend).ok()?;
            read_stored(&snap).ok().flatten().map(|s| s.counter)
        })
        .await
        .ok()
        .flatten()
        .unwrap_or(0);
        serde_json::json!({"status": "up", "schemaUpdateCounter": counter})
    }

    /// The backend's lambda script (source text and version), `None` when none was ever
    /// stored; an empty source means the script was deleted. Blocking.
    pub fn lambda_script(&self, backend: u64) -> Result<Option<StoredScript>, EngineError> {
        let snap = self.inner.store.read(backend)?;
        lambda::read_script(&snap)
    }

    /// Stores `source` as the backend's lambda script (`""` deletes it) and bumps its
    /// version, in one write: requests that start afterwards use the new script. The caller
    /// checks the script first. Blocking.
    pub fn set_lambda_script(&self, backend: u64, source: &str) -> Result<u64, EngineError> {
        let text = source.to_string();
        self.inner
            .store
            .write_blocking(backend, move |txn| -> Result<u64, store::StoreError> {
                let existing = lambda::read_script(&*txn)
                    .map_err(|e| store::StoreError::Aborted(e.to_string()))?;
                let (uid, version) = match existing {
                    Some(s) => (s.uid, s.version),
                    None => {
                        let uid = txn.alloc_uid()?;
                        txn.add_type(uid, lambda::LAMBDA_TYPE)?;
                        (uid, 0)
                    }
                };
                txn.set_value(uid, lambda::LAMBDA_SCRIPT_PRED, Value::String(text))?;
                txn.set_value(
                    uid,
                    lambda::LAMBDA_VERSION_PRED,
                    Value::Int((version + 1) as i64),
                )?;
                Ok(version + 1)
            })
            .map_err(EngineError::from)
    }

    /// Deletes a backend's whole graph (data and schema) and forgets its compiled API.
    pub async fn drop_backend(&self, backend: u64) -> Result<(), EngineError> {
        self.inner.cache.evict(backend);
        self.inner.store.drop_backend(backend).await?;
        Ok(())
    }

    /// Forgets what is cached about `backend` after its key range was replaced (a restore).
    pub fn forget(&self, backend: u64) {
        self.inner.cache.evict(backend);
    }

    /// `dropData` of `/admin/slash`: deletes data of `backend` in one of four forms. Every
    /// form is one atomic write; the uid counter is kept so uids are never reused.
    pub async fn drop_data(&self, backend: u64, what: DropData) -> Result<(), EngineError> {
        let store = &self.inner.store;
        match what {
            DropData::AllData => {
                let this = self.clone();
                let keep = tokio::task::spawn_blocking(move || -> Result<Vec<u64>, EngineError> {
                    let snap = this.inner.store.read(backend)?;
                    Ok(read_stored(&snap)?.map(|s| s.uid).into_iter().collect())
                })
                .await
                .map_err(|e| EngineError::Store(e.to_string()))??;
                store.retain_nodes(backend, keep, true).await?;
            }
            DropData::AllDataAndSchema => {
                store.retain_nodes(backend, Vec::new(), false).await?;
                self.inner.cache.evict(backend);
            }
            DropData::Types(types) => {
                if let Some(t) = types.iter().find(|t| t.starts_with("dgraph.")) {
                    return Err(EngineError::Query(format!(
                        "type {t} is internal and cannot be dropped"
                    )));
                }
                store
                    .write(backend, move |txn| -> Result<(), store::StoreError> {
                        for t in &types {
                            let uids = store::GraphRead::uids_of_type(&*txn, t)?;
                            for uid in uids.iter() {
                                txn.delete_node(uid)?;
                            }
                        }
                        Ok(())
                    })
                    .await?;
            }
            DropData::Fields(fields) => {
                if let Some(f) = fields.iter().find(|f| f.starts_with("dgraph.")) {
                    return Err(EngineError::Query(format!(
                        "predicate {f} is internal and cannot be dropped"
                    )));
                }
                store
                    .write(backend, move |txn| -> Result<(), store::StoreError> {
                        for f in &fields {
                            let uids = store::GraphRead::uids_with(&*txn, f)?;
                            for uid in uids.iter() {
                                txn.remove_predicate(uid, f)?;
                            }
                        }
                        Ok(())
                    })
                    .await?;
            }
        }
        tracing::info!(backend, "data dropped");
        Ok(())
    }

    /// Validates `sdl`, then stores it with its storage schema in one write. On error the
    /// returned text is the complete client-visible message and nothing changed.
    ///
    /// Blocking: call it from a blocking thread (the async entry points do).
    pub fn update_schema(
        &self,
        backend: u64,
        caller: Caller,
        sdl: &str,
    ) -> Result<(String, String, String), String> {
        if caller.read_only {
            return Err("resolving updateGQLSchema failed because schema updates are not allowed: the backend is in readonly mode (deploymentMode: readonly)".into());
        }
        let api =
            compile(sdl).map_err(|e| format!("resolving updateGQLSchema failed because {e}"))?;
        let preds = predicate_schemas(api.model.as_ref().ok_or("schema model missing")?);
        let text = sdl.to_string();
        let (uid, counter) = self
            .inner
            .store
            .write_blocking(
                backend,
                move |txn| -> Result<(u64, u64), store::StoreError> {
                    let existing = read_stored(&*txn)
                        .map_err(|e| store::StoreError::Aborted(e.to_string()))?;
                    let (uid, counter) = match existing {
                        Some(s) => (s.uid, s.counter),
                        None => {
                            let uid = txn.alloc_uid()?;
                            txn.add_type(uid, SCHEMA_TYPE)?;
                            (uid, 0)
                        }
                    };
                    txn.apply_schema(&preds)?;
                    txn.set_value(uid, SCHEMA_PRED, Value::String(text))?;
                    txn.set_value(uid, COUNTER_PRED, Value::Int((counter + 1) as i64))?;
                    Ok((uid, counter + 1))
                },
            )
            .map_err(|e| format!("resolving updateGQLSchema failed because {e}"))?;
        let generated = api
            .model
            .as_ref()
            .map(|m| m.generated_sdl().to_string())
            .unwrap_or_default();
        self.inner.cache.put(backend, counter, Arc::new(api));
        tracing::info!(backend, counter, "schema updated");
        Ok((sdl.to_string(), generated, crate::filter::format_uid(uid)))
    }
}

fn no_schema(req: &Request) -> Response {
    let names = admin::root_field_names(&req.query, req.operation_name.as_deref());
    let errors = if names.is_empty() {
        vec![
            serde_json::json!({"message": "There's no GraphQL schema in Dgraph. Use the /admin API to add a GraphQL schema"}),
        ]
    } else {
        names
            .iter()
            .map(|n| serde_json::json!({"message": format!("Not resolving {n}. There's no GraphQL schema in Dgraph. Use the /admin API to add a GraphQL schema")}))
            .collect()
    };
    Response {
        data: None,
        errors,
        cache_max_age: None,
        raw: None,
    }
}

struct AdminOf<'a> {
    engine: &'a Engine,
    backend: u64,
    caller: Caller,
}

impl AdminBackend for AdminOf<'_> {
    fn current_schema(&self) -> Result<(String, String, String), String> {
        match self.engine.api_for(self.backend) {
            Ok(Some((api, stored))) => Ok((
                stored.sdl,
                api.model
                    .as_ref()
                    .map(|m| m.generated_sdl().to_string())
                    .unwrap_or_default(),
                crate::filter::format_uid(stored.uid),
            )),
            Ok(None) => Ok((String::new(), String::new(), "0x0".into())),
            Err(e) => Err(e.to_string()),
        }
    }

    fn update_schema(&self, sdl: &str) -> Result<(String, String, String), String> {
        self.engine.update_schema(self.backend, self.caller, sdl)
    }

    fn health(&self) -> JsonValue {
        let mut m = JsonMap::new();
        m.insert("instance", JsonValue::String("alpha".into()));
        m.insert("address", JsonValue::String("localhost".into()));
        m.insert("status", JsonValue::String("healthy".into()));
        m.insert("group", JsonValue::String("1".into()));
        m.insert(
            "version",
            JsonValue::String(env!("CARGO_PKG_VERSION").into()),
        );
        m.insert(
            "uptime",
            JsonValue::Number((self.engine.inner.started.elapsed().as_nanos() as i64).into()),
        );
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        m.insert("lastEcho", JsonValue::Number(now.into()));
        m.insert("ongoing", JsonValue::Array(Vec::new()));
        m.insert("indexing", JsonValue::Array(Vec::new()));
        m.insert("ee_features", JsonValue::Array(Vec::new()));
        JsonValue::Array(vec![JsonValue::Object(m)])
    }
}
