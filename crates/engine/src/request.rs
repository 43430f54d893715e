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
use crate::graph::{CachedRead, GraphRead};

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
}

impl Response {
    /// A response carrying one error and `data: null`.
    pub fn error(message: impl Into<String>) -> Response {
        Response {
            cache_max_age: None,
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

    pub(crate) fn from_execution(r: ExecutionResponse) -> Response {
        Response {
            cache_max_age: None,
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
            let errs: Vec<GraphQLError> = with
                .errors
                .iter()
                .map(|d| d.unstable_to_json_compat())
                .collect();
            return Err(Response {
                cache_max_age: None,
                data: Some(serde_json::Value::Null),
                errors: polish_validation_errors(&api.api, errs)
                    .iter()
                    .map(error_json)
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
    let problems = crate::rules::check(&api.api, &doc, &op, &req.variables);
    if !problems.is_empty() {
        return Err(Response {
            cache_max_age: None,
            data: Some(serde_json::Value::Null),
            errors: problems
                .into_iter()
                .map(|m| serde_json::json!({ "message": m }))
                .collect(),
        });
    }
    let vars = match coerce_variable_values(&api.api, &op, &vars_in) {
        Ok(v) => v,
        Err(e) => {
            let mut g = e.to_graphql_error(&doc.sources);
            g.message = crate::rules::reword(&g.message);
            return Err(Response {
                cache_max_age: None,
                data: Some(serde_json::Value::Null),
                errors: vec![error_json(&g)],
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
        model: api.model.as_ref(),
        rd: Rc::new(CachedRead::new(snap, NODE_CACHE)),
        doc: &doc,
        vars: &vars,
        limits: &opts.limits,
        deadline,
        emitted: Cell::new(0),
    };
    let root = QueryRoot { ex: &ex };
    let mut resp = run(api, &doc, op, &vars, &root);
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
            cache_max_age: None,
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
            model: self.ctx.api.model.as_ref(),
            rd: Rc::new(CachedRead::new(snap, NODE_CACHE)),
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
    errs.into_iter()
        .filter(|e| {
            !(has_unknown_field && e.message.contains("must have a selection of subfields"))
        })
        .map(|mut e| {
            e.message = crate::rules::reword(&e.message);
            if let Some((field, ty)) = parse_unknown_field(&e.message) {
                let options: Vec<String> = match api.types.get(ty.as_str()) {
                    Some(apollo_compiler::schema::ExtendedType::Object(o)) => {
                        o.fields.keys().map(|k| k.to_string()).collect()
                    }
                    Some(apollo_compiler::schema::ExtendedType::Interface(i)) => {
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
            e
        })
        .collect()
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

    #[test]
    fn depth_counts_fragments() {
        let schema = apollo_compiler::Schema::parse_and_validate(
            "type Query { a: A } type A { b: A c: Int }",
            "s.graphql",
        )
        .unwrap();
        let doc = ExecutableDocument::parse_and_validate(
            &schema,
            "{ a { ...F } } fragment F on A { b { b { c } } }",
            "q.graphql",
        )
        .unwrap();
        let op = doc.operations.get(None).unwrap();
        assert_eq!(selection_depth(&doc, &op.selection_set), 4);
    }
}
