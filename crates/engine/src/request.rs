//! The `/graphql` request pipeline of one backend: parse and validate against the generated
//! API, select the operation, coerce variables, check access and limits, then execute a query
//! on one snapshot or the root mutation fields one write at a time.

use std::cell::Cell;
use std::collections::HashSet;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;

use apollo_compiler::ExecutableDocument;
use apollo_compiler::executable::{Operation, Selection, SelectionSet};
use apollo_compiler::request::coerce_variable_values;
use apollo_compiler::resolvers::{Execution, FieldError, ObjectValue, ResolveInfo, ResolvedValue};
use apollo_compiler::response::{ExecutionResponse, GraphQLError, JsonMap, JsonValue};
use apollo_compiler::validation::Valid;

use crate::api::CompiledApi;
use crate::exec::{Exec, PayloadObj, QueryRoot, ferr};
use crate::filter::lower_first;
use crate::graph::GraphRead;
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
}

impl Response {
    /// A response carrying one error and `data: null`.
    pub fn error(message: impl Into<String>) -> Response {
        Response {
            data: Some(serde_json::Value::Null),
            errors: vec![serde_json::json!({ "message": message.into() })],
        }
    }

    /// The JSON body: `{"data": …, "errors": […]}` (errors omitted when empty).
    pub fn to_json(&self) -> serde_json::Value {
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

    fn from_execution(r: ExecutionResponse) -> Response {
        Response {
            data: Some(
                r.data
                    .map(|d| serde_json::to_value(d).unwrap_or_default())
                    .unwrap_or(serde_json::Value::Null),
            ),
            errors: r.errors.iter().map(error_json).collect(),
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
}

impl Default for Options {
    fn default() -> Self {
        Options {
            access: Access::Admin,
            read_only: false,
            limits: Limits::default(),
        }
    }
}

/// Maximum nesting depth of a selection set (fragments expanded).
pub fn selection_depth(doc: &ExecutableDocument, set: &SelectionSet) -> usize {
    fn walk<'d>(
        doc: &'d ExecutableDocument,
        set: &'d SelectionSet,
        seen: &mut HashSet<&'d str>,
    ) -> usize {
        let mut best = 0;
        for sel in &set.selections {
            let d = match sel {
                Selection::Field(f) => {
                    if f.selection_set.selections.is_empty() {
                        1
                    } else {
                        1 + walk(doc, &f.selection_set, seen)
                    }
                }
                Selection::InlineFragment(i) => walk(doc, &i.selection_set, seen),
                Selection::FragmentSpread(s) => match doc.fragments.get(&s.fragment_name) {
                    Some(fr) if seen.insert(fr.name.as_str()) => {
                        let d = walk(doc, &fr.selection_set, seen);
                        seen.remove(fr.name.as_str());
                        d
                    }
                    _ => 0,
                },
            };
            best = best.max(d);
        }
        best
    }
    walk(doc, set, &mut HashSet::new())
}

/// Parses, validates and prepares a request; errors are a complete response.
#[allow(clippy::result_large_err)]
fn prepare(
    api: &CompiledApi,
    req: &Request,
    limits: &Limits,
) -> Result<(Valid<ExecutableDocument>, String, Valid<JsonMap>), Response> {
    if req.query.len() > limits.max_query_bytes {
        return Err(Response::error(format!(
            "the query is larger than the limit of {} bytes",
            limits.max_query_bytes
        )));
    }
    if req.query.trim().is_empty() {
        return Err(Response::error("no query string supplied in request"));
    }
    let doc = match ExecutableDocument::parse_and_validate(&api.api, &req.query, "query.graphql") {
        Ok(d) => d,
        Err(with) => {
            return Err(Response {
                data: Some(serde_json::Value::Null),
                errors: with
                    .errors
                    .iter()
                    .map(|d| error_json(&d.unstable_to_json_compat()))
                    .collect(),
            });
        }
    };
    let op = match doc.operations.get(req.operation_name.as_deref()) {
        Ok(op) => op.clone(),
        Err(e) => return Err(Response::error(e.message().to_string())),
    };
    let depth = selection_depth(&doc, &op.selection_set);
    if depth > limits.max_depth {
        return Err(Response::error(format!(
            "the query is nested {depth} levels deep; the limit is {}",
            limits.max_depth
        )));
    }
    let vars_in: JsonMap = match serde_json_bytes::to_value(&req.variables) {
        Ok(JsonValue::Object(m)) => m,
        _ => JsonMap::new(),
    };
    let vars = match coerce_variable_values(&api.api, &op, &vars_in) {
        Ok(v) => v,
        Err(e) => {
            return Err(Response {
                data: Some(serde_json::Value::Null),
                errors: vec![error_json(&e.to_graphql_error(&doc.sources))],
            });
        }
    };
    let name = op.name.as_ref().map(|n| n.to_string()).unwrap_or_default();
    Ok((doc, name, vars))
}

/// Executes one `/graphql` request of a backend.
pub fn execute(
    api: &Arc<CompiledApi>,
    backend: u64,
    graph: &dyn BackendGraph,
    req: &Request,
    opts: &Options,
) -> Response {
    let start = Instant::now();
    let (doc, _name, vars) = match prepare(api, req, &opts.limits) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Ok(op) = doc.operations.get(req.operation_name.as_deref()) else {
        return Response::error("operation not found");
    };
    let deadline = start + opts.limits.request_timeout;
    if op.is_subscription() {
        return Response::error("subscriptions are served over a websocket connection");
    }
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
            doc: &doc,
            vars: &vars,
            limits: &opts.limits,
            deadline,
            failed: Cell::new(false),
        };
        return run(api, &doc, op, &vars, &root);
    }
    let snap = match graph.snapshot() {
        Ok(s) => s,
        Err(e) => return Response::error(e.to_string()),
    };
    let ex = Exec {
        cat: &api.catalog,
        rd: Rc::from(snap),
        doc: &doc,
        vars: &vars,
        limits: &opts.limits,
        deadline,
        emitted: Cell::new(0),
    };
    let root = QueryRoot { ex: &ex };
    run(api, &doc, op, &vars, &root)
}

fn run(
    api: &CompiledApi,
    doc: &Valid<ExecutableDocument>,
    op: &Operation,
    vars: &Valid<JsonMap>,
    root: &dyn ObjectValue,
) -> Response {
    let result = Execution::new(&api.api, doc)
        .operation(op)
        .implementers_map(&api.implementers)
        .coerced_variable_values(vars)
        .enable_schema_introspection(true)
        .execute_sync(root);
    match result {
        Ok(r) => Response::from_execution(r),
        Err(e) => Response {
            data: None,
            errors: vec![error_json(&e.to_graphql_error(&doc.sources))],
        },
    }
}

/// The root `Mutation` object: each field is one write, in document order.
struct MutationRoot<'a> {
    ctx: ExecCtx,
    graph: &'a dyn BackendGraph,
    doc: &'a ExecutableDocument,
    vars: &'a JsonMap,
    limits: &'a Limits,
    deadline: Instant,
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
            rd: Rc::from(snap),
            doc: self.doc,
            vars: self.vars,
            limits: self.limits,
            deadline: self.deadline,
            emitted: Cell::new(0),
        }
    }

    fn mutate<'b>(&'b self, info: &'b ResolveInfo<'b>) -> Result<ResolvedValue<'b>, FieldError> {
        let name = info.field_name();
        let args = info.arguments();
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
