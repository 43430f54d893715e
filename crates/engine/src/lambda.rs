//! `@lambda` fields, queries and mutations, `@lambdaOnMutate` webhooks, and the backend's
//! lambda script (stored in its own key range like the schema).
//!
//! The engine does not run JavaScript: it builds the lambda request bodies of spec L.2/L.4
//! and hands them to a [`LambdaExecutor`] (the server plugs in the sandbox crate). A
//! request's lambda context (backend, caller's auth header, nesting depth, the sibling
//! parents of each node for batching, and the results of batched calls) lives in a
//! thread-local scope for the duration of one [`crate::Engine`] call, so the executor's
//! resolvers reach it without extra plumbing. A script's `graphql()` call runs a nested
//! request on the same thread, which pushes its own scope.
//!
//! Batching: a `@lambda` field of stored nodes is resolved with one call per response
//! level — every node the same field path renders (list indices aside), of the same
//! concrete type, for the same field and arguments. Each node rendered by the generic
//! executor knows its level: a root field's nodes form a level; the nodes an edge field
//! renders on the nodes of one concrete type at a level form the next one (so `a: posts`
//! and `b: posts` are two levels, and below an interface or union the levels are per
//! concrete type of the parent). The first `@lambda` field resolved at a level computes the
//! level's whole node set by walking its edges again from the root level (the same edge,
//! arguments, filters, `@cascade`, order and pagination as the executor, on the same
//! snapshot), calls the resolver once with every distinct node of its type as `parents`
//! (first occurrence in response order; a node rendered several times at the level is sent
//! once and its result serves every occurrence), and keeps the results — or the error —
//! for the other nodes of the level. A parent that a null propagated from a sibling field
//! later removes from the response is still sent.

use std::cell::{OnceCell, RefCell};
use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use std::sync::Arc;

use apollo_compiler::executable::Field;
use apollo_compiler::resolvers::{FieldError, ResolveInfo, ResolvedValue};
use apollo_compiler::response::{JsonMap, JsonValue};
use graphcloud_store::{self as store, Value};

use crate::EngineError;
use crate::catalog::{FieldKind, ScalarKind, TypeInfo};
use crate::exec::{Exec, JsonObj, NodeObj, ferr, val_to_json};
use crate::filter::format_uid;

/// Storage type of the lambda script node.
pub const LAMBDA_TYPE: &str = "dgraph.lambda";
/// Predicate holding the script source (empty = no script).
pub const LAMBDA_SCRIPT_PRED: &str = "dgraph.lambda.script";
/// Predicate holding the script version (incremented on every change).
pub const LAMBDA_VERSION_PRED: &str = "dgraph.lambda.version";

/// One resolver call handed to a [`LambdaExecutor`].
pub struct LambdaCall<'a> {
    pub backend: u64,
    /// Version of the backend's script (changes with every update).
    pub version: u64,
    /// Reads the script source (only needed when a sandbox must be built).
    pub source: &'a dyn Fn() -> Option<String>,
    /// The request body of spec L.2.
    pub request: &'a serde_json::Value,
    /// The caller's `Dgraph.Authorization` header `(name, value)`.
    pub auth: Option<(String, String)>,
    /// 0 for client requests, n + 1 inside a script's `graphql()` at depth n.
    pub depth: usize,
    /// The deployment is read-only.
    pub read_only: bool,
}

/// Runs lambda requests for the engine (implemented over the JavaScript sandboxes).
pub trait LambdaExecutor: Send + Sync {
    /// Runs one resolver call. Blocking. `Err` is the client-visible message.
    fn resolve(&self, call: LambdaCall<'_>) -> Result<serde_json::Value, String>;

    /// Queues one webhook call (body of spec L.4) to run after the current request; never
    /// fails the mutation.
    fn webhook(&self, backend: u64, request: serde_json::Value);
}

/// The stored script of a backend: node uid, version, source.
#[derive(Clone, Debug)]
pub struct StoredScript {
    pub uid: u64,
    pub version: u64,
    pub source: String,
}

pub(crate) fn read_script(rd: &dyn store::GraphRead) -> Result<Option<StoredScript>, EngineError> {
    let Some(uid) = rd.uids_of_type(LAMBDA_TYPE)?.iter().next() else {
        return Ok(None);
    };
    let source = match rd.value(uid, LAMBDA_SCRIPT_PRED)? {
        Some(Value::String(s)) => s,
        _ => String::new(),
    };
    let version = match rd.value(uid, LAMBDA_VERSION_PRED)? {
        Some(Value::Int(i)) => i.max(0) as u64,
        _ => 0,
    };
    Ok(Some(StoredScript {
        uid,
        version,
        source,
    }))
}

/// Version of the backend's script, `None` when it has none.
pub(crate) fn read_version(rd: &dyn store::GraphRead) -> Result<Option<u64>, EngineError> {
    let Some(uid) = rd.uids_of_type(LAMBDA_TYPE)?.iter().next() else {
        return Ok(None);
    };
    let has = matches!(rd.value(uid, LAMBDA_SCRIPT_PRED)?, Some(Value::String(s)) if !s.is_empty());
    if !has {
        return Ok(None);
    }
    Ok(match rd.value(uid, LAMBDA_VERSION_PRED)? {
        Some(Value::Int(i)) => Some(i.max(0) as u64),
        _ => Some(0),
    })
}

/// Everything a lambda call of the current request needs.
pub(crate) struct Scope {
    pub backend: u64,
    pub depth: usize,
    pub read_only: bool,
    pub auth: Option<(String, String)>,
    pub exec: Option<Arc<dyn LambdaExecutor>>,
    pub store: store::Store,
    /// The backend's compiled API.
    pub api: Arc<crate::api::CompiledApi>,
    /// The API has `@lambda` fields on stored types: rendered nodes know their level.
    pub batching: bool,
    /// The script version, read on first need.
    version: OnceCell<Option<u64>>,
    /// The response levels of this request, indexed by [`LevelId`].
    levels: RefCell<Vec<Level>>,
    /// Child levels by (parent level, address of the parent's concrete type, address of the
    /// first selected field node of the response key). The catalog and the document outlive
    /// the request, and one field node has one response key.
    children: RefCell<HashMap<(LevelId, usize, usize), LevelId>>,
    /// Results of batched field calls per (level, concrete type, field, arguments).
    results: RefCell<HashMap<BatchKey, Rc<Outcomes>>>,
}

/// (level, concrete type, field, arguments as JSON text).
type BatchKey = (LevelId, String, String, String);

/// The result (or the error) of one batched call, per parent uid.
type Outcomes = HashMap<u64, Result<JsonValue, String>>;

/// One response level of a request: see the module documentation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LevelId(u32);

struct Level {
    /// `None` for a root field's level (its nodes are known when it is rendered).
    edge: Option<Rc<EdgeLevel>>,
    /// The level's distinct nodes with their concrete types, first occurrence in response
    /// order; computed on first need for an edge level.
    nodes: Option<Rc<Vec<(u64, String)>>>,
}

/// An edge level: what `field` renders on every node of concrete type `parent_type` at
/// level `parent`.
struct EdgeLevel {
    parent: LevelId,
    parent_type: String,
    field: String,
    /// The coerced arguments (the same for every parent: they come from the document and
    /// the variables only).
    args: JsonMap,
    /// The selected field nodes of the response key (their `@cascade` shapes the list).
    selections: Vec<Field>,
}

thread_local! {
    static SCOPES: RefCell<Vec<Rc<Scope>>> = const { RefCell::new(Vec::new()) };
}

/// Keeps a scope pushed while alive.
pub(crate) struct ScopeGuard;

impl Drop for ScopeGuard {
    fn drop(&mut self) {
        SCOPES.with(|s| {
            s.borrow_mut().pop();
        });
    }
}

pub(crate) fn enter(
    backend: u64,
    depth: usize,
    read_only: bool,
    auth: Option<(String, String)>,
    exec: Option<Arc<dyn LambdaExecutor>>,
    store: store::Store,
    api: Arc<crate::api::CompiledApi>,
) -> ScopeGuard {
    let batching = api.has_lambda_fields();
    let scope = Rc::new(Scope {
        backend,
        depth,
        read_only,
        auth,
        exec,
        store,
        api,
        batching,
        version: OnceCell::new(),
        levels: RefCell::new(Vec::new()),
        children: RefCell::new(HashMap::new()),
        results: RefCell::new(HashMap::new()),
    });
    SCOPES.with(|s| s.borrow_mut().push(scope));
    ScopeGuard
}

fn current() -> Option<Rc<Scope>> {
    SCOPES.with(|s| s.borrow().last().cloned())
}

/// Whether rendered nodes should know their level (the API has `@lambda` fields).
pub(crate) fn batching() -> bool {
    SCOPES.with(|s| s.borrow().last().is_some_and(|x| x.batching))
}

impl Scope {
    fn version(&self) -> Result<Option<u64>, String> {
        if let Some(v) = self.version.get() {
            return Ok(*v);
        }
        let snap = self.store.read(self.backend).map_err(|e| e.to_string())?;
        let v = read_version(&snap).map_err(|e| e.to_string())?;
        let _ = self.version.set(v);
        Ok(v)
    }

    fn auth_json(&self) -> serde_json::Value {
        match &self.auth {
            Some((k, v)) => serde_json::json!({"key": k, "value": v}),
            None => serde_json::json!({"key": "", "value": ""}),
        }
    }

    fn call(&self, request: serde_json::Value) -> Result<serde_json::Value, String> {
        let Some(exec) = &self.exec else {
            return Err("lambda resolvers are not available on this server".into());
        };
        let Some(version) = self.version()? else {
            return Err(format!(
                "resolving {} failed because no lambda script is deployed for this backend (upload one with updateLambda)",
                request["resolver"].as_str().unwrap_or("")
            ));
        };
        let store = self.store.clone();
        let backend = self.backend;
        let source = move || -> Option<String> {
            let snap = store.read(backend).ok()?;
            read_script(&snap).ok().flatten().map(|s| s.source)
        };
        exec.resolve(LambdaCall {
            backend: self.backend,
            version,
            source: &source,
            request: &request,
            auth: self.auth.clone(),
            depth: self.depth,
            read_only: self.read_only,
        })
    }
}

/// Whether `field` of `type_name` is a `@lambda` field.
pub(crate) fn is_lambda_field(
    model: Option<&graphcloud_schema::Schema>,
    type_name: &str,
    field: &str,
) -> bool {
    model
        .and_then(|m| m.type_by_name(type_name))
        .and_then(|t| t.fields.iter().find(|f| f.name == field))
        .is_some_and(|f| f.lambda)
}

/// The level of the nodes `info`'s field renders. For a field of a node (`parent`: that
/// node's level and concrete type) it is the child level of the parent's level, the same
/// for every parent of that type at that level; `None` when the parent has no level. For a
/// root field (`parent` is `None`) it is a new level holding `nodes` (rendered order).
pub(crate) fn level_of(
    parent: Option<(Option<LevelId>, &TypeInfo)>,
    info: &ResolveInfo<'_>,
    nodes: impl FnOnce() -> Vec<(u64, String)>,
) -> Option<LevelId> {
    let scope = current()?;
    if !scope.batching {
        return None;
    }
    match parent {
        None => {
            let mut seen = HashSet::new();
            let mut nodes = nodes();
            nodes.retain(|(u, _)| seen.insert(*u));
            Some(scope.push_level(Level {
                edge: None,
                nodes: Some(Rc::new(nodes)),
            }))
        }
        Some((None, _)) => None,
        Some((Some(p), ty)) => {
            let first = *info.field_selections().first()?;
            let key = (
                p,
                std::ptr::from_ref(ty) as usize,
                std::ptr::from_ref(first) as usize,
            );
            if let Some(id) = scope.children.borrow().get(&key) {
                return Some(*id);
            }
            let id = scope.push_level(Level {
                edge: Some(Rc::new(EdgeLevel {
                    parent: p,
                    parent_type: ty.name.clone(),
                    field: info.field_name().to_string(),
                    args: info.arguments().clone(),
                    selections: info
                        .field_selections()
                        .iter()
                        .map(|f| (*f).clone())
                        .collect(),
                })),
                nodes: None,
            });
            scope.children.borrow_mut().insert(key, id);
            Some(id)
        }
    }
}

impl Scope {
    fn push_level(&self, level: Level) -> LevelId {
        let mut levels = self.levels.borrow_mut();
        let id = LevelId(levels.len() as u32);
        levels.push(level);
        id
    }

    /// The distinct nodes of a level with their concrete types, in response order. An edge
    /// level is computed from its parent level's nodes (recursively) the way the executor
    /// renders the edge. Fails when reading fails, the request is stopped, or the level
    /// holds more nodes than a response may.
    fn level_nodes(&self, ex: &Exec<'_>, id: LevelId) -> Result<Rc<Vec<(u64, String)>>, String> {
        let edge = {
            let levels = self.levels.borrow();
            let Some(level) = levels.get(id.0 as usize) else {
                return Err("unknown response level".into());
            };
            if let Some(n) = &level.nodes {
                return Ok(n.clone());
            }
            match &level.edge {
                Some(e) => e.clone(),
                None => return Ok(Rc::new(Vec::new())),
            }
        };
        let parents = self.level_nodes(ex, edge.parent)?;
        let mut out = Vec::new();
        let fi = ex
            .cat
            .get(&edge.parent_type)
            .and_then(|t| t.fields.get(&edge.field))
            .filter(|fi| fi.kind == FieldKind::Edge);
        if let Some(fi) = fi {
            let fields: Vec<&Field> = edge.selections.iter().collect();
            let mut seen = HashSet::new();
            for (u, t) in parents.iter() {
                if *t != edge.parent_type {
                    continue;
                }
                ex.check().map_err(|e| e.message)?;
                for c in ex
                    .edge_nodes(*u, fi, &edge.args, &fields)
                    .map_err(|e| e.to_string())?
                {
                    if !seen.insert(c) {
                        continue;
                    }
                    if let Some(o) = NodeObj::new(ex, &fi.target, c).map_err(|e| e.to_string())? {
                        out.push((c, o.ty.name.clone()));
                    }
                }
                if out.len() > ex.limits.max_result_nodes {
                    return Err("the level holds more nodes than a response may".into());
                }
            }
        }
        let out = Rc::new(out);
        if let Some(level) = self.levels.borrow_mut().get_mut(id.0 as usize) {
            level.nodes = Some(out.clone());
        }
        Ok(out)
    }
}

/// The parent object of spec L.2: every stored scalar field (and the id) of `ty`.
fn parent_json(ex: &Exec<'_>, ty: &TypeInfo, uid: u64) -> Result<serde_json::Value, EngineError> {
    let mut m = serde_json::Map::new();
    let mut names: Vec<&String> = ty.fields.keys().collect();
    names.sort();
    for name in names {
        let fi = &ty.fields[name];
        match &fi.kind {
            FieldKind::Id => {
                m.insert(name.clone(), serde_json::Value::String(format_uid(uid)));
            }
            FieldKind::Scalar(kind) if *kind != ScalarKind::Enum && fi.langs.is_empty() => {
                let vals = ex.rd.scalars(uid, &fi.pred)?;
                let js: Vec<serde_json::Value> = vals
                    .iter()
                    .map(|v| serde_json::to_value(val_to_json(v, *kind)).unwrap_or_default())
                    .collect();
                if fi.list {
                    if !js.is_empty() {
                        m.insert(name.clone(), serde_json::Value::Array(js));
                    }
                } else if let Some(v) = js.into_iter().next() {
                    m.insert(name.clone(), v);
                }
            }
            _ => {}
        }
    }
    Ok(serde_json::Value::Object(m))
}

fn args_json(info: &ResolveInfo<'_>) -> serde_json::Value {
    serde_json::to_value(info.arguments()).unwrap_or_else(|_| serde_json::json!({}))
}

/// Resolves a `@lambda` field of a stored node at `level` (one call for the whole level,
/// see the module documentation; a node without a level is its own batch).
pub(crate) fn resolve_field<'a>(
    ex: &Exec<'_>,
    ty: &TypeInfo,
    uid: u64,
    level: Option<LevelId>,
    info: &ResolveInfo<'_>,
) -> Result<ResolvedValue<'a>, FieldError> {
    let Some(scope) = current() else {
        return Err(ferr("lambda resolvers are not available here"));
    };
    let field = info.field_name();
    let args = args_json(info);
    let Some(level) = level else {
        let mut out = call_field(ex, &scope, ty, field, args, &[uid]);
        return finish(out.remove(&uid), info);
    };
    let key: BatchKey = (level, ty.name.clone(), field.to_string(), args.to_string());
    let done = scope.results.borrow().get(&key).cloned();
    if let Some(done) = done
        && let Some(r) = done.get(&uid)
    {
        return finish(Some(r.clone()), info);
    }
    // Every distinct node of this type at the level; a node the walk does not find (which
    // should not happen) is resolved alone.
    let batch: Vec<u64> = match scope.level_nodes(ex, level) {
        Ok(nodes) => nodes
            .iter()
            .filter(|(_, t)| *t == ty.name)
            .map(|(u, _)| *u)
            .collect(),
        Err(_) => Vec::new(),
    };
    if !batch.contains(&uid) {
        let mut out = call_field(ex, &scope, ty, field, args, &[uid]);
        return finish(out.remove(&uid), info);
    }
    let out = call_field(ex, &scope, ty, field, args, &batch);
    let mine = out.get(&uid).cloned();
    scope.results.borrow_mut().insert(key, Rc::new(out));
    finish(mine, info)
}

fn finish<'a>(
    r: Option<Result<JsonValue, String>>,
    info: &ResolveInfo<'_>,
) -> Result<ResolvedValue<'a>, FieldError> {
    match r {
        Some(Ok(v)) => completed(&v, info),
        Some(Err(m)) => Err(ferr(m)),
        None => Ok(ResolvedValue::null()),
    }
}

/// One resolver call of field `field` of `ty` with `batch` as its parents: the result, or
/// the error, of every parent.
fn call_field(
    ex: &Exec<'_>,
    scope: &Scope,
    ty: &TypeInfo,
    field: &str,
    args: serde_json::Value,
    batch: &[u64],
) -> Outcomes {
    let resolver = format!("{}.{}", ty.name, field);
    let all_fail = |m: String| -> Outcomes { batch.iter().map(|u| (*u, Err(m.clone()))).collect() };
    let mut parents = Vec::with_capacity(batch.len());
    for u in batch {
        match parent_json(ex, ty, *u) {
            Ok(p) => parents.push(p),
            Err(e) => return all_fail(e.to_string()),
        }
    }
    let req = serde_json::json!({
        "resolver": resolver,
        "args": args,
        "parents": parents,
        "authHeader": scope.auth_json(),
    });
    let out = match scope.call(req) {
        Ok(out) => out,
        Err(m) => return all_fail(m),
    };
    let serde_json::Value::Array(items) = out else {
        return all_fail(format!(
            "resolving {resolver} failed: the lambda returned {} where a list of {} results (one per parent) was expected",
            kind_of(&out),
            batch.len()
        ));
    };
    if items.len() != batch.len() {
        return all_fail(format!(
            "resolving {resolver} failed: the lambda returned {} results for {} parents",
            items.len(),
            batch.len()
        ));
    }
    batch
        .iter()
        .zip(items)
        .map(|(u, v)| {
            (
                *u,
                Ok(serde_json_bytes::to_value(v).unwrap_or(JsonValue::Null)),
            )
        })
        .collect()
}

fn kind_of(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "an object",
    }
}

/// Resolves a `@lambda` field of `Query` or `Mutation`.
pub(crate) fn resolve_root<'a>(
    parent: &str,
    info: &ResolveInfo<'_>,
) -> Result<ResolvedValue<'a>, FieldError> {
    let Some(scope) = current() else {
        return Err(ferr("lambda resolvers are not available here"));
    };
    let resolver = format!("{parent}.{}", info.field_name());
    let req = serde_json::json!({
        "resolver": resolver,
        "args": args_json(info),
        "parents": serde_json::Value::Null,
        "authHeader": scope.auth_json(),
    });
    let out = scope.call(req).map_err(ferr)?;
    let v: JsonValue = serde_json_bytes::to_value(out).unwrap_or(JsonValue::Null);
    completed(&v, info)
}

/// Whether a root field is a user-declared `@lambda` query/mutation.
pub(crate) fn is_lambda_root(
    model: Option<&graphcloud_schema::Schema>,
    mutation: bool,
    field: &str,
) -> bool {
    let Some(m) = model else { return false };
    let list = if mutation {
        m.custom_mutations()
    } else {
        m.custom_queries()
    };
    list.iter().any(|f| f.name == field && f.lambda)
}

/// Turns a lambda's JSON result into a value completed against the field's declared type
/// (objects use their `__typename` when given, else the declared type). Scalars are
/// checked by the executor; a list where a single value is declared (or the reverse) is a
/// completion error.
fn completed<'a>(v: &JsonValue, info: &ResolveInfo<'_>) -> Result<ResolvedValue<'a>, FieldError> {
    let ty = &info.field_definition().ty;
    to_resolved(v, ty, info)
}

fn to_resolved<'a>(
    v: &JsonValue,
    ty: &apollo_compiler::ast::Type,
    info: &ResolveInfo<'_>,
) -> Result<ResolvedValue<'a>, FieldError> {
    use apollo_compiler::ast::Type as T;
    let field = info.field_name();
    match (v, ty) {
        (JsonValue::Null, _) => Ok(ResolvedValue::null()),
        (JsonValue::Array(items), T::List(inner) | T::NonNullList(inner)) => {
            let mut out = Vec::with_capacity(items.len());
            // Objects of one list share a batch for their own `@lambda` fields.
            let parents: Vec<serde_json::Value> = items
                .iter()
                .filter(|x| x.is_object())
                .map(|x| serde_json::to_value(x).unwrap_or_default())
                .collect();
            let batch = (parents.len() > 1).then(|| {
                Rc::new(ListBatch {
                    parents,
                    results: RefCell::new(HashMap::new()),
                })
            });
            let mut idx = 0;
            for x in items {
                let r = to_resolved(x, inner, info)?;
                let r = match (r, &batch) {
                    (ResolvedValue::Object(o), Some(b)) if x.is_object() => {
                        let JsonValue::Object(m) = x else {
                            unreachable!()
                        };
                        let tn = o.type_name().to_string();
                        let obj = LambdaObj {
                            type_name: tn,
                            map: m.clone(),
                            batch: Some((b.clone(), idx)),
                        };
                        idx += 1;
                        ResolvedValue::object(obj)
                    }
                    (r, _) => r,
                };
                out.push(r);
            }
            Ok(ResolvedValue::list(out))
        }
        (JsonValue::Array(_), _) => Err(ferr(format!(
            "the lambda returned a list for field {field}, which is not a list type"
        ))),
        (_, T::List(_) | T::NonNullList(_)) => Err(ferr(format!(
            "the lambda returned a single value for field {field}, which has a list type"
        ))),
        (JsonValue::Object(m), T::Named(n) | T::NonNullNamed(n)) => {
            let is_leaf = info.schema().types.get(n).is_some_and(|t| t.is_leaf());
            if is_leaf {
                return Err(ferr(format!(
                    "the lambda returned an object for field {field} of type {n}"
                )));
            }
            let tn = m
                .get("__typename")
                .and_then(JsonValue::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| n.to_string());
            Ok(ResolvedValue::object(LambdaObj {
                type_name: tn,
                map: m.clone(),
                batch: None,
            }))
        }
        (leaf, T::Named(n) | T::NonNullNamed(n)) => {
            let is_leaf = info.schema().types.get(n).is_none_or(|t| t.is_leaf());
            if !is_leaf {
                return Err(ferr(format!(
                    "the lambda returned {} for field {field} of object type {n}",
                    kind_of(&serde_json::to_value(leaf).unwrap_or_default())
                )));
            }
            Ok(ResolvedValue::leaf(leaf.clone()))
        }
    }
}

/// The objects of one list returned by a lambda, for batched calls of their own
/// `@lambda` fields.
struct ListBatch {
    parents: Vec<serde_json::Value>,
    /// (field, args) → one result per parent.
    results: RefCell<HashMap<(String, String), Vec<JsonValue>>>,
}

/// An object returned by a lambda: fields come from the returned JSON; a `@lambda` field
/// the JSON does not carry is resolved with the object as its parent.
struct LambdaObj {
    type_name: String,
    map: JsonMap,
    batch: Option<(Rc<ListBatch>, usize)>,
}

impl apollo_compiler::resolvers::ObjectValue for LambdaObj {
    fn type_name(&self) -> &str {
        &self.type_name
    }

    fn resolve_field<'a>(
        &'a self,
        info: &'a ResolveInfo<'a>,
    ) -> Result<ResolvedValue<'a>, FieldError> {
        let field = info.field_name();
        if !self.map.contains_key(field)
            && let Some(scope) = current()
            && is_lambda_field(scope.api.model.as_ref(), &self.type_name, field)
        {
            let args = args_json(info);
            let key = (field.to_string(), args.to_string());
            let (parents, idx) = match &self.batch {
                Some((b, i)) => {
                    if let Some(v) = b.results.borrow().get(&key).and_then(|r| r.get(*i)) {
                        return completed(&v.clone(), info);
                    }
                    (b.parents.clone(), *i)
                }
                None => (vec![serde_json::to_value(&self.map).unwrap_or_default()], 0),
            };
            let resolver = format!("{}.{field}", self.type_name);
            let n = parents.len();
            let req = serde_json::json!({
                "resolver": resolver,
                "args": args,
                "parents": parents,
                "authHeader": scope.auth_json(),
            });
            let out = scope.call(req).map_err(ferr)?;
            let items = match out {
                serde_json::Value::Array(a) if a.len() == n => a,
                other => {
                    return Err(ferr(format!(
                        "resolving {resolver} failed: the lambda returned {} where a list of {n} results (one per parent) was expected",
                        kind_of(&other)
                    )));
                }
            };
            let items: Vec<JsonValue> = items
                .into_iter()
                .map(|v| serde_json_bytes::to_value(v).unwrap_or(JsonValue::Null))
                .collect();
            let mine = items[idx].clone();
            if let Some((b, _)) = &self.batch {
                b.results.borrow_mut().insert(key, items);
            }
            return completed(&mine, info);
        }
        JsonObj {
            type_name: self.type_name.clone(),
            map: self.map.clone(),
        }
        .resolve_owned(info)
    }
}

/// After a committed root `add`/`update`/`delete` of `type_name`: queues the webhook when
/// the type's `@lambdaOnMutate` asks for it.
pub(crate) fn after_mutation(
    model: Option<&graphcloud_schema::Schema>,
    operation: &str,
    type_name: &str,
    args: &JsonMap,
    root_uids: &[u64],
) {
    let Some(t) = model.and_then(|m| m.type_by_name(type_name)) else {
        return;
    };
    let on = t.lambda_on_mutate;
    let wanted = match operation {
        "add" => on.add,
        "update" => on.update,
        "delete" => on.delete,
        _ => false,
    };
    if !wanted {
        return;
    }
    let Some(scope) = current() else { return };
    let Some(exec) = scope.exec.clone() else {
        return;
    };
    let uids: Vec<String> = root_uids.iter().map(|u| format_uid(*u)).collect();
    let to_json = |v: Option<&JsonValue>| -> serde_json::Value {
        v.and_then(|x| serde_json::to_value(x).ok())
            .unwrap_or(serde_json::Value::Null)
    };
    let detail = match operation {
        "add" => {
            let input = match to_json(args.get("input")) {
                serde_json::Value::Array(a) => serde_json::Value::Array(a),
                serde_json::Value::Null => serde_json::json!([]),
                one => serde_json::json!([one]),
            };
            serde_json::json!({"rootUIDs": uids, "input": input})
        }
        "update" => {
            let input = args.get("input").and_then(JsonValue::as_object);
            serde_json::json!({
                "rootUIDs": uids,
                "setPatch": to_json(input.and_then(|i| i.get("set"))),
                "removePatch": to_json(input.and_then(|i| i.get("remove"))),
            })
        }
        _ => serde_json::json!({"rootUIDs": uids}),
    };
    let commit_ts = time::OffsetDateTime::now_utc().unix_timestamp_nanos() as u64;
    let mut event = serde_json::json!({
        "__typename": type_name,
        "operation": operation,
        "commitTs": commit_ts,
    });
    event[operation] = detail;
    let mut body = serde_json::json!({"resolver": "$webhook", "event": event});
    if scope.auth.is_some() {
        body["authHeader"] = scope.auth_json();
    }
    exec.webhook(scope.backend, body);
}
