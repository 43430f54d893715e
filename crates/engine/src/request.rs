//! The `/graphql` request pipeline of one backend: parse and validate against the generated
//! API, select the operation, coerce variables, check access and limits, then execute a query
//! on one snapshot or the root mutation fields one write at a time.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;

use apollo_compiler::executable::Operation;
use apollo_compiler::parser::Parser;
use apollo_compiler::request::coerce_variable_values;
use apollo_compiler::resolvers::{Execution, FieldError, ObjectValue, ResolveInfo, ResolvedValue};
use apollo_compiler::response::{ExecutionResponse, GraphQLError, JsonMap, JsonValue};
use apollo_compiler::schema::ExtendedType;
use apollo_compiler::validation::Valid;
use apollo_compiler::{ExecutableDocument, Node};

use crate::api::CompiledApi;
use crate::exec::{Exec, PayloadObj, QueryRoot, ferr};
use crate::filter::lower_first;
use crate::graph::{CachedRead, GraphRead};
use crate::limits::{Budget, Cancel};
use crate::plan::{Prepared, PreparedCache};

/// Nodes one request keeps loaded (each read once); beyond this it reads through.
const NODE_CACHE: usize = 100_000;
use crate::mutation::GraphWrite;
use crate::{Access, EngineError, ExecCtx, Limits, MutationOutcome};

/// A GraphQL request as the server decoded it from HTTP.
#[derive(Clone, Debug, Default)]
pub struct Request {
    pub query: String,
    pub operation_name: Option<String>,
    /// The `variables` object (numbers decoded losslessly up to 64 bits).
    pub variables: serde_json::Map<String, serde_json::Value>,
}

/// A GraphQL response: `data` (absent for request errors) and `errors`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Response {
    pub data: Option<serde_json::Value>,
    pub errors: Vec<serde_json::Value>,
    /// `query @cacheControl(maxAge: N)`: the server answers with
    /// `Cache-Control: public,max-age=N` and `Vary: Accept-Encoding`.
    pub cache_max_age: Option<u32>,
    /// The whole JSON body, already written (the compiled path); when present, `data` and
    /// `errors` are empty and this is the response.
    pub raw: Option<String>,
}

impl Response {
    /// A response carrying one error and `data: null`.
    pub fn error(message: impl Into<String>) -> Response {
        Response {
            cache_max_age: None,
            raw: None,
            data: Some(serde_json::Value::Null),
            errors: vec![serde_json::json!({ "message": message.into() })],
        }
    }

    /// The JSON body: `{"data": …, "errors": […]}` (errors omitted when empty).
    pub fn to_json(&self) -> serde_json::Value {
        if let Some(raw) = &self.raw {
            return serde_json::from_str(raw).unwrap_or(serde_json::Value::Null);
        }
        let mut m = serde_json::Map::new();
        if !self.errors.is_empty() {
            m.insert(
                "errors".into(),
                serde_json::Value::Array(self.errors.clone()),
            );
        }
        if let Some(d) = &self.data {
            m.insert("data".into(), d.clone());
        }
        serde_json::Value::Object(m)
    }

    pub(crate) fn from_execution(r: ExecutionResponse) -> Response {
        Response {
            cache_max_age: None,
            raw: None,
            data: Some(
                r.data
                    .map(|d| serde_json::to_value(d).unwrap_or_default())
                    .unwrap_or(serde_json::Value::Null),
            ),
            errors: r
                .errors
                .iter()
                .map(|e| {
                    let mut e = e.clone();
                    if let Some(m) = e.message.strip_prefix("resolver error: ") {
                        e.message = m.to_string();
                    }
                    error_json(&e)
                })
                .collect(),
        }
    }
}

fn error_json(e: &GraphQLError) -> serde_json::Value {
    serde_json::to_value(e).unwrap_or_else(|_| serde_json::json!({ "message": e.message }))
}

/// One atomic write of a backend's graph.
pub type WriteFn =
    Box<dyn FnOnce(&mut dyn GraphWrite) -> Result<MutationOutcome, EngineError> + Send + 'static>;

/// The storage of one backend as the engine uses it.
pub trait BackendGraph: Send + Sync {
    /// A consistent snapshot for reading.
    fn snapshot(&self) -> Result<Box<dyn GraphRead + '_>, EngineError>;
    /// Runs `f` as one atomic write (nothing of it is kept when it fails) and waits for the
    /// commit.
    fn write(&self, f: WriteFn) -> Result<MutationOutcome, EngineError>;
}

/// Who is calling and under which deployment settings.
#[derive(Clone, Debug)]
pub struct Options {
    pub access: Access,
    /// `deploymentMode: readonly`: mutations and schema updates are refused.
    pub read_only: bool,
    pub limits: Limits,
    /// Raised when the caller no longer waits for the answer.
    pub cancel: Cancel,
    /// Whether queries a compiled plan covers run on the compiled path (the generic executor
    /// answers everything when false; the two answer byte-identically).
    pub compiled: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            access: Access::Admin,
            read_only: false,
            limits: Limits::default(),
            cancel: Cancel::new(),
            compiled: true,
        }
    }
}

pub use crate::limits::selection_depth;

/// Parses and validates a request's document and selects its operation (or takes both from
/// `cache`); errors are a complete response.
#[allow(clippy::result_large_err)]
fn prepare_document(
    api: &CompiledApi,
    cache: Option<&PreparedCache>,
    req: &Request,
    limits: &Limits,
) -> Result<Arc<Prepared>, Response> {
    if req.query.len() > limits.max_query_bytes {
        return Err(Response::error(format!(
            "the query is larger than the limit of {} bytes",
            limits.max_query_bytes
        )));
    }
    if let Some(p) = cache.and_then(|c| c.get(api, &req.query, req.operation_name.as_deref())) {
        return Ok(p);
    }
    if req.query.trim().is_empty() {
        return Err(Response::error("no query string supplied in request"));
    }
    let parsed = Parser::new()
        .recursion_limit(limits.max_parse_nesting)
        .token_limit(limits.max_query_tokens)
        .parse_executable(&api.api, &req.query, "query.graphql")
        .and_then(|d| d.validate(&api.api));
    let doc = match parsed {
        Ok(d) => d,
        Err(with) => {
            let errs: Vec<GraphQLError> = with
                .errors
                .iter()
                .map(|d| d.unstable_to_json_compat())
                .collect();
            // A parser limit makes the rest of the errors noise: answer with that one.
            if let Some(e) = errs.iter().find(|e| {
                e.message == "parser recursion limit reached"
                    || e.message.starts_with("token limit reached")
            }) {
                let m = if e.message.starts_with("token") {
                    format!(
                        "the query is longer than the limit of {} tokens",
                        limits.max_query_tokens
                    )
                } else {
                    format!(
                        "the query is nested more than {} levels deep (parser recursion limit reached)",
                        limits.max_parse_nesting
                    )
                };
                let mut e = e.clone();
                e.message = m;
                return Err(Response {
                    cache_max_age: None,
                    raw: None,
                    data: Some(serde_json::Value::Null),
                    errors: vec![error_json(&e)],
                });
            }
            // Like the reference's parser, stop at the first syntax error: what follows it
            // is the parser's recovery noise.
            if let Some(e) = errs.iter().find(|e| e.message.starts_with("syntax error:")) {
                return Err(Response {
                    cache_max_age: None,
                    raw: None,
                    data: Some(serde_json::Value::Null),
                    errors: vec![error_json(e)],
                });
            }
            return Err(Response {
                cache_max_age: None,
                raw: None,
                data: Some(serde_json::Value::Null),
                errors: polish_validation_errors(&api.api, errs)
                    .iter()
                    .map(error_json)
                    .collect(),
            });
        }
    };
    // Input coercion the validator leaves undone (`ID` given as an Int literal) is done here
    // once, unless it depends on the variables (a variable nested in a custom scalar's
    // literal): then it is done per request.
    let rewrite = crate::id_input::depends_on_variables(&api.api, &doc);
    let doc = if rewrite {
        doc
    } else {
        crate::id_input::in_document(&api.api, doc, &JsonMap::new())
    };
    let op = match select_operation(&doc, req.operation_name.as_deref()) {
        Ok(op) => op.clone(),
        Err(m) => return Err(Response::error(m)),
    };
    let p = Arc::new(Prepared::new(
        req.query.clone(),
        req.operation_name.clone(),
        doc,
        op,
        rewrite,
    ));
    if let Some(c) = cache {
        c.put(api, p.clone());
    }
    Ok(p)
}

/// Prepares a request: its document (see [`prepare_document`]), the operation's limits and
/// request rules, and its coerced variables. When input coercion must rewrite the document
/// for these variables, the result is a request-private rewritten copy.
#[allow(clippy::result_large_err)]
fn prepare(
    api: &CompiledApi,
    cache: Option<&PreparedCache>,
    req: &Request,
    limits: &Limits,
) -> Result<(Arc<Prepared>, Valid<JsonMap>), Response> {
    let prepared = prepare_document(api, cache, req, limits)?;
    prepare_with(api, prepared, req, limits)
}

/// [`prepare`] for a document already prepared for `api`.
#[allow(clippy::result_large_err)]
fn prepare_with(
    api: &CompiledApi,
    prepared: Arc<Prepared>,
    req: &Request,
    limits: &Limits,
) -> Result<(Arc<Prepared>, Valid<JsonMap>), Response> {
    let (doc, op) = (&prepared.doc, &prepared.op);
    if let Err(m) = crate::limits::check_operation(doc, op, limits) {
        return Err(Response::error(m));
    }
    let vars_in: JsonMap = match serde_json_bytes::to_value(&req.variables) {
        Ok(JsonValue::Object(m)) => m,
        _ => JsonMap::new(),
    };
    let problems = crate::rules::check(&api.api, doc, op, &req.variables);
    if !problems.is_empty() {
        return Err(Response {
            cache_max_age: None,
            raw: None,
            data: Some(serde_json::Value::Null),
            errors: problems
                .into_iter()
                .map(|m| serde_json::json!({ "message": m }))
                .collect(),
        });
    }
    let vars = match coerce_variable_values(&api.api, op, &vars_in) {
        Ok(v) => v,
        Err(e) => {
            let mut g = e.to_graphql_error(&doc.sources);
            g.message = crate::rules::reword(&g.message);
            return Err(Response {
                cache_max_age: None,
                raw: None,
                data: Some(serde_json::Value::Null),
                errors: vec![error_json(&g)],
            });
        }
    };
    // Input coercion left to do: `ID` (Int → string form) in literals and variables alike,
    // variables nested in custom-scalar literals (`_entities` representations).
    let vars = crate::id_input::in_variables(&api.api, op, vars);
    if !prepared.rewrite {
        return Ok((prepared, vars));
    }
    let doc = crate::id_input::in_document(&api.api, prepared.doc.clone(), &vars);
    // The rewritten document holds the operation to run.
    let op = match select_operation(&doc, req.operation_name.as_deref()) {
        Ok(op) => op.clone(),
        Err(m) => return Err(Response::error(m)),
    };
    let own = Prepared::new(String::new(), req.operation_name.clone(), doc, op, true);
    Ok((Arc::new(own), vars))
}

/// The operation a request names, with the reference texts for a missing or ambiguous name.
pub fn select_operation<'d>(
    doc: &'d ExecutableDocument,
    name: Option<&str>,
) -> Result<&'d Node<Operation>, String> {
    let name = name.unwrap_or("");
    let count = doc.operations.iter().count();
    if count > 1 && name.is_empty() {
        return Err(
            "Operation name must by supplied when query has more than 1 operation.".to_string(),
        );
    }
    if name.is_empty() && count == 1 {
        return doc
            .operations
            .iter()
            .next()
            .ok_or_else(|| "no operation".to_string());
    }
    doc.operations
        .iter()
        .find(|o| o.name.as_ref().map_or("", |n| n.as_str()) == name)
        .ok_or_else(|| format!("Supplied operation name {name} isn't present in the request."))
}

/// Executes one `/graphql` request of a backend.
pub fn execute(
    api: &Arc<CompiledApi>,
    backend: u64,
    graph: &dyn BackendGraph,
    req: &Request,
    opts: &Options,
) -> Response {
    execute_cached(api, None, backend, graph, req, opts)
}

/// [`execute`] that takes prepared documents from (and adds them to) `cache`.
/// Answers `req` on the calling thread when that is cheap: `cached` is its operation as
/// prepared for `api` before, its plan is [`crate::plan::Plan::inline`], and the answer reads
/// at most [`crate::plan::INLINE_MAX_NODES`] nodes. `None` otherwise: nothing was reported,
/// and the caller runs the request with [`execute_cached`] as usual (on a blocking thread).
pub fn execute_inline(
    api: &Arc<CompiledApi>,
    cached: Arc<Prepared>,
    graph: &dyn BackendGraph,
    req: &Request,
    opts: &Options,
) -> Option<Response> {
    if !opts.compiled {
        return None;
    }
    let plan = cached.compiled_plan().filter(|p| p.inline)?;
    let budget = Budget::new(opts.limits.request_timeout, opts.cancel.clone());
    // Validation of the variables and the document limits: cheap, and their errors are
    // answers like any other.
    let (prepared, vars) = match prepare_with(api, cached.clone(), req, &opts.limits) {
        Ok(p) => p,
        Err(r) => return Some(r),
    };
    if !Arc::ptr_eq(&prepared, &cached) {
        return None;
    }
    let snap = graph.snapshot().ok()?;
    let ex = Exec {
        cat: &api.catalog,
        model: api.model.as_ref(),
        rd: Rc::new(CachedRead::new(snap, NODE_CACHE)),
        doc: &prepared.doc,
        vars: &vars,
        limits: &opts.limits,
        budget: &budget,
        emitted: Cell::new(0),
        inline: true,
        sort_keys_of: Default::default(),
    };
    let body = crate::render::render(plan, &ex)?;
    Some(Response {
        data: None,
        errors: Vec::new(),
        cache_max_age: None,
        raw: Some(body),
    })
}

pub fn execute_cached(
    api: &Arc<CompiledApi>,
    cache: Option<&PreparedCache>,
    backend: u64,
    graph: &dyn BackendGraph,
    req: &Request,
    opts: &Options,
) -> Response {
    let budget = Budget::new(opts.limits.request_timeout, opts.cancel.clone());
    let (prepared, vars) = match prepare(api, cache, req, &opts.limits) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let (doc, op) = (&prepared.doc, &prepared.op);
    if let Err(m) = budget.check() {
        return Response::error(m);
    }
    let op = &op;
    if op.is_mutation() {
        if opts.read_only {
            return Response::error(
                "mutations are not allowed: the backend is in readonly mode (deploymentMode: readonly)",
            );
        }
        if !opts.access.may_mutate() {
            return Response::error(
                "mutations are not allowed for anonymous access with read permission; use an API key",
            );
        }
        let ctx = ExecCtx {
            api: api.clone(),
            backend,
            access: opts.access,
            now: time::OffsetDateTime::now_utc(),
        };
        let root = MutationRoot {
            ctx,
            graph,
            doc,
            vars: &vars,
            limits: &opts.limits,
            budget: &budget,
            failed: Cell::new(false),
        };
        let resp = run(api, doc, op, &vars, &root, None);
        // Writes that committed stay reported: a stopped mutation request keeps its
        // per-field answers (later mutations are reported as not executed).
        return resp;
    }
    let snap = match graph.snapshot() {
        Ok(s) => s,
        Err(e) => return Response::error(e.to_string()),
    };
    let ex = Exec {
        cat: &api.catalog,
        model: api.model.as_ref(),
        rd: Rc::new(CachedRead::new(snap, NODE_CACHE)),
        doc,
        vars: &vars,
        limits: &opts.limits,
        budget: &budget,
        emitted: Cell::new(0),
        inline: false,
        sort_keys_of: Default::default(),
    };
    // The compiled path answers what its plan covers; anything else (and anything it meets
    // that it does not answer itself) goes to the generic executor below.
    if opts.compiled
        && let Some(plan) = prepared.plan(api)
    {
        if let Some(body) = crate::render::render(plan, &ex) {
            return Response {
                data: None,
                errors: Vec::new(),
                cache_max_age: None,
                raw: Some(body),
            };
        }
        ex.emitted.set(0);
    }
    let root = QueryRoot { ex: &ex };
    // Over HTTP a subscription is answered once, like the query with the same fields.
    let mut resp = if op.is_subscription() {
        run(api, doc, op, &vars, &SubscriptionRoot(root), Some(&budget))
    } else {
        run(api, doc, op, &vars, &root, Some(&budget))
    };
    if let Some(r) = stopped(&budget) {
        return r;
    }
    if let Some(serde_json::Value::Object(data)) = resp.data.as_mut() {
        for k in ex.sort_keys_of.borrow().iter() {
            if let Some(v) = data.get_mut(k) {
                crate::exec::sort_keys(v);
            }
        }
    }
    resp.cache_max_age = op
        .directives
        .get("cacheControl")
        .and_then(|d| d.specified_argument_by_name("maxAge"))
        .and_then(|v| match v.as_ref() {
            apollo_compiler::ast::Value::Int(i) => i.as_str().parse::<u32>().ok(),
            _ => None,
        });
    resp
}

/// The response of a request its budget stopped: that one error, `data: null`.
fn stopped(budget: &Budget) -> Option<Response> {
    budget.failure().map(Response::error)
}

fn run(
    api: &CompiledApi,
    doc: &Valid<ExecutableDocument>,
    op: &Operation,
    vars: &Valid<JsonMap>,
    root: &dyn ObjectValue,
    budget: Option<&Budget>,
) -> Response {
    let result = Execution::new(&api.api, doc)
        .operation(op)
        .implementers_map(&api.implementers)
        .coerced_variable_values(vars)
        .enable_schema_introspection(true)
        .execute_sync(root);
    if let Some(r) = budget.and_then(stopped) {
        // The partial result of a stopped query may be large: never convert it, and free
        // it off this request's thread.
        std::thread::spawn(move || drop(result));
        return r;
    }
    match result {
        Ok(r) => Response::from_execution(r),
        Err(e) => Response {
            cache_max_age: None,
            raw: None,
            data: None,
            errors: vec![error_json(&e.to_graphql_error(&doc.sources))],
        },
    }
}

/// The root `Subscription` object of a subscription sent over HTTP: the query fields.
struct SubscriptionRoot<'e>(QueryRoot<'e>);

impl ObjectValue for SubscriptionRoot<'_> {
    fn type_name(&self) -> &str {
        "Subscription"
    }

    fn resolve_field<'b>(
        &'b self,
        info: &'b ResolveInfo<'b>,
    ) -> Result<ResolvedValue<'b>, FieldError> {
        self.0.resolve_field(info)
    }
}

/// The root `Mutation` object: each field is one write, in document order.
struct MutationRoot<'a> {
    ctx: ExecCtx,
    graph: &'a dyn BackendGraph,
    doc: &'a ExecutableDocument,
    vars: &'a JsonMap,
    limits: &'a Limits,
    budget: &'a Budget,
    failed: Cell<bool>,
}

impl ObjectValue for MutationRoot<'_> {
    fn type_name(&self) -> &str {
        "Mutation"
    }

    fn resolve_field<'b>(
        &'b self,
        info: &'b ResolveInfo<'b>,
    ) -> Result<ResolvedValue<'b>, FieldError> {
        let key = info
            .field_selections()
            .first()
            .map(|f| f.response_key().to_string())
            .unwrap_or_else(|| info.field_name().to_string());
        if self.failed.get() {
            return Err(ferr(format!(
                "Mutation {key} was not executed because of a previous error."
            )));
        }
        // A write is never interrupted; a stopped request starts no further one.
        if let Err(m) = self.budget.check() {
            self.failed.set(true);
            return Err(ferr(m));
        }
        let r = self.mutate(info);
        if r.is_err() {
            self.failed.set(true);
        }
        r
    }
}

impl<'a> MutationRoot<'a> {
    fn exec<'b>(&'b self, snap: Box<dyn GraphRead + 'b>) -> Exec<'b> {
        Exec {
            cat: &self.ctx.api.catalog,
            model: self.ctx.api.model.as_ref(),
            rd: Rc::new(CachedRead::new(snap, NODE_CACHE)),
            doc: self.doc,
            vars: self.vars,
            limits: self.limits,
            budget: self.budget,
            emitted: Cell::new(0),
            inline: false,
            sort_keys_of: Default::default(),
        }
    }

    fn mutate<'b>(&'b self, info: &'b ResolveInfo<'b>) -> Result<ResolvedValue<'b>, FieldError> {
        let name = info.field_name();
        let args = info.arguments();
        let model = self.ctx.api.model.as_ref();
        if crate::lambda::is_lambda_root(model, true, name) {
            return crate::lambda::resolve_root("Mutation", info);
        }
        let cat = &self.ctx.api.catalog;
        let (kind, tname) = ["add", "update", "delete"]
            .iter()
            .find_map(|p| {
                name.strip_prefix(p)
                    .filter(|t| cat.get(t).is_some())
                    .map(|t| (*p, t))
            })
            .ok_or_else(|| {
                ferr(format!(
                    "resolving {name} failed because it is not supported by this server"
                ))
            })?;
        let ty = cat.get(tname).ok_or_else(|| ferr("unknown type"))?;
        let ctx = self.ctx.clone();
        let t = tname.to_string();
        let payload_type = info.field_definition().ty.inner_named_type().to_string();
        match kind {
            "add" => {
                let input = args.get("input").cloned().unwrap_or(JsonValue::Null);
                let upsert = args
                    .get("upsert")
                    .and_then(JsonValue::as_bool)
                    .unwrap_or(false);
                let out = self
                    .graph
                    .write(Box::new(move |w| {
                        crate::mutation::add(&ctx, w, &t, &input, upsert)
                    }))
                    .map_err(ferr)?;
                crate::lambda::after_mutation(model, kind, tname, args, &out.root_uids);
                let snap = self.graph.snapshot().map_err(ferr)?;
                Ok(ResolvedValue::object(PayloadObj {
                    ex: self.exec(snap),
                    type_name: payload_type,
                    ty,
                    uids: out.root_uids,
                    num_uids: out.num_uids,
                    msg: None,
                }))
            }
            "update" => {
                let input = args.get("input").cloned().unwrap_or(JsonValue::Null);
                let out = self
                    .graph
                    .write(Box::new(move |w| {
                        crate::mutation::update(&ctx, w, &t, &input)
                    }))
                    .map_err(ferr)?;
                crate::lambda::after_mutation(model, kind, tname, args, &out.root_uids);
                let snap = self.graph.snapshot().map_err(ferr)?;
                Ok(ResolvedValue::object(PayloadObj {
                    ex: self.exec(snap),
                    type_name: payload_type,
                    ty,
                    uids: out.root_uids,
                    num_uids: out.num_uids,
                    msg: None,
                }))
            }
            _ => {
                let filter = args.get("filter").cloned().unwrap_or(JsonValue::Null);
                let before = self.graph.snapshot().map_err(ferr)?;
                let out = self
                    .graph
                    .write(Box::new(move |w| {
                        crate::mutation::delete(&ctx, w, &t, &filter)
                    }))
                    .map_err(ferr)?;
                crate::lambda::after_mutation(model, kind, tname, args, &out.root_uids);
                let msg = crate::mutation::delete_msg(&out).to_string();
                Ok(ResolvedValue::object(PayloadObj {
                    ex: self.exec(before),
                    type_name: payload_type,
                    ty,
                    uids: out.root_uids,
                    num_uids: out.num_uids,
                    msg: Some(msg),
                }))
            }
        }
    }
}

/// Lower-cased first letter, as generated payload field names use.
pub fn camel(t: &str) -> String {
    lower_first(t)
}

/// Brings validator messages closer to the reference texts: field suggestions
/// (`Did you mean "name"?`) and no follow-up error about an empty selection set that only
/// held unknown fields.
fn polish_validation_errors(
    api: &apollo_compiler::Schema,
    errs: Vec<GraphQLError>,
) -> Vec<GraphQLError> {
    let has_unknown_field = errs
        .iter()
        .any(|e| e.message.starts_with("Cannot query field "));
    let mut out: Vec<GraphQLError> = Vec::with_capacity(errs.len() + 1);
    let mut unknown_types: Vec<GraphQLError> = Vec::new();
    for mut e in errs {
        if has_unknown_field && e.message.contains("must have a selection of subfields") {
            continue;
        }
        e.message = crate::rules::reword(&e.message);
        if let Some((field, ty)) = parse_unknown_field(&e.message) {
            let types = suggested_type_names(api, &ty, &field);
            if !types.is_empty() {
                e.message = format!(
                    "Cannot query field \"{field}\" on type \"{ty}\". Did you mean to use an inline fragment on {}?",
                    quoted_or_list(&types)
                );
            } else {
                let options: Vec<String> = match api.types.get(ty.as_str()) {
                    Some(ExtendedType::Object(o)) => {
                        o.fields.keys().map(|k| k.to_string()).collect()
                    }
                    Some(ExtendedType::Interface(i)) => {
                        i.fields.keys().map(|k| k.to_string()).collect()
                    }
                    _ => Vec::new(),
                };
                let sugg = suggestion_list(&field, &options);
                if !sugg.is_empty() {
                    e.message = format!(
                        "Cannot query field \"{field}\" on type \"{ty}\". Did you mean {}?",
                        quoted_or_list(&sugg)
                    );
                }
            }
        }
        if e.message.starts_with("Field \"") && e.message.ends_with(" has no subfields") {
            e.message.push('.');
        }
        if let Some(rest) = e.message.strip_prefix("The schema has no \"")
            && let Some(kind) = rest.strip_suffix("\" root type defined")
        {
            e.message = if kind == "subscription" {
                // The reference's own check for a schema without `@withSubscription` types.
                "Not resolving subscription because schema doesn't have any fields defined for subscription operation.".to_string()
            } else {
                format!("Schema does not support operation type \"{kind}\"")
            };
        }
        // The reference reports an incompatible variable twice: its own check first, then
        // the generic rule.
        if let Some((var_ty, arg_ty)) = parse_disallowed_variable(&e.message) {
            let mut own = e.clone();
            own.message = format!(
                "Variable type provided {var_ty} is incompatible with expected type {arg_ty}"
            );
            out.push(own);
        }
        if e.message.starts_with("Unknown type \"") {
            unknown_types.push(e);
        } else {
            out.push(e);
        }
    }
    // Unknown type names come last, as the reference reports them.
    out.extend(unknown_types);
    out
}

/// `Variable "$v" of type "A" used in position expecting type "B".` → `(A, B)`.
fn parse_disallowed_variable(m: &str) -> Option<(&str, &str)> {
    let rest = m.strip_prefix("Variable \"$")?;
    let (_, rest) = rest.split_once("\" of type \"")?;
    let (var_ty, rest) = rest.split_once("\" used in position expecting type \"")?;
    let arg_ty = rest.strip_suffix("\".")?;
    Some((var_ty, arg_ty))
}

/// For a field asked of an interface or union: the types that define it (interfaces first,
/// by how many of the possible types implement them, then by name) — the inline fragments the
/// client probably meant.
fn suggested_type_names(api: &apollo_compiler::Schema, parent: &str, field: &str) -> Vec<String> {
    let possible: Vec<&str> = match api.types.get(parent) {
        Some(ExtendedType::Union(u)) => u.members.iter().map(|m| m.as_str()).collect(),
        Some(ExtendedType::Interface(_)) => api
            .types
            .iter()
            .filter_map(|(n, t)| match t {
                ExtendedType::Object(o)
                    if o.implements_interfaces.iter().any(|i| i.as_str() == parent) =>
                {
                    Some(n.as_str())
                }
                _ => None,
            })
            .collect(),
        _ => return Vec::new(),
    };
    let mut objects: Vec<String> = Vec::new();
    let mut interfaces: Vec<String> = Vec::new();
    let mut usage: std::collections::HashMap<String, usize> = Default::default();
    for name in possible {
        let Some(ExtendedType::Object(o)) = api.types.get(name) else {
            continue;
        };
        if !o.fields.contains_key(field) {
            continue;
        }
        objects.push(name.to_string());
        for i in &o.implements_interfaces {
            if let Some(ExtendedType::Interface(it)) = api.types.get(i.as_str())
                && it.fields.contains_key(field)
            {
                let c = usage.entry(i.to_string()).or_insert(0);
                if *c == 0 {
                    interfaces.push(i.to_string());
                }
                *c += 1;
            }
        }
    }
    interfaces.extend(objects);
    interfaces.sort_by(|a, b| {
        let (ua, ub) = (usage.get(a).unwrap_or(&0), usage.get(b).unwrap_or(&0));
        ub.cmp(ua).then_with(|| a.cmp(b))
    });
    interfaces
}

fn parse_unknown_field(m: &str) -> Option<(String, String)> {
    let rest = m.strip_prefix("Cannot query field \"")?;
    let (field, rest) = rest.split_once("\" on type \"")?;
    let ty = rest.strip_suffix("\".")?;
    Some((field.to_string(), ty.to_string()))
}

/// Options within the lexical-distance threshold of `input`, closest first.
pub fn suggestion_list(input: &str, options: &[String]) -> Vec<String> {
    let threshold = (input.chars().count() as f64 * 0.4).floor() as usize + 1;
    let mut hits: Vec<(usize, &String)> = options
        .iter()
        .filter_map(|o| {
            let d = lexical_distance(input, o);
            (d <= threshold).then_some((d, o))
        })
        .collect();
    hits.sort_by_key(|(d, _)| *d);
    hits.into_iter().map(|(_, o)| o.clone()).collect()
}

/// Damerau–Levenshtein distance; a case-only difference counts 1.
fn lexical_distance(a: &str, b: &str) -> usize {
    if a == b {
        return 0;
    }
    let (la, lb) = (a.to_lowercase(), b.to_lowercase());
    if la == lb {
        return 1;
    }
    let a: Vec<char> = la.chars().collect();
    let b: Vec<char> = lb.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + cost);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

fn quoted_or_list(items: &[String]) -> String {
    let items: Vec<String> = items.iter().take(5).map(|s| format!("\"{s}\"")).collect();
    match items.len() {
        0 => String::new(),
        1 => items[0].clone(),
        2 => format!("{} or {}", items[0], items[1]),
        n => format!("{}, or {}", items[..n - 1].join(", "), items[n - 1]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_follow_lexical_distance() {
        let opts: Vec<String> = ["name", "dob", "getAuthor", "getauthor1", "queryAuthor"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(suggestion_list("namezzz", &opts), vec!["name"]);
        assert_eq!(
            suggestion_list("getAuthorszzz", &opts),
            vec!["getAuthor", "getauthor1"]
        );
        assert!(suggestion_list("zzzzzzzzzz", &opts).is_empty());
        assert_eq!(lexical_distance("abc", "acb"), 1);
        assert_eq!(lexical_distance("Name", "name"), 1);
        assert_eq!(
            quoted_or_list(&["a".into(), "b".into(), "c".into()]),
            "\"a\", \"b\", or \"c\""
        );
    }
}
