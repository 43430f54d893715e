//! What a backend answers once the front door has routed a request to one deployment and
//! checked its credential: the seam between HTTP (this crate) and the GraphQL engine.
//!
//! Everything here is transport-free: the front door (`crate::frontdoor`) parses
//! GraphQL-over-HTTP (GET parameters, JSON, `application/graphql`, gzip) into a
//! [`GraphQLRequest`], decides the caller's [`Access`], and calls [`BackendState::handle`];
//! the returned [`GraphQLResponse`] is written as JSON with HTTP 200.
//!
//! Current behaviour (no engine wired in): every backend answers like a Dgraph backend on
//! which no GraphQL schema has been set yet — `/graphql` refuses each root field with
//! Dgraph's "no GraphQL schema" message, `/admin` `getGQLSchema` returns empty schemas, and
//! `/probe/graphql` reports `up` with `schemaUpdateCounter` 0.

use std::collections::HashSet;
use std::sync::Arc;

use axum::http;

use graphcloud_control::{AnonymousAccess, BackendInfo};
use serde_json::{Map, Value, json};

/// Which GraphQL endpoint of a backend was called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `/graphql`: the deployment's generated API.
    GraphQL,
    /// `/admin`: the Dgraph admin API.
    Admin,
    /// `/admin/slash`: the cloud admin API.
    AdminSlash,
}

/// What the caller may do, decided by the front door.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// An admin API key or the deployment's `jwtToken`.
    Admin,
    /// A client API key (`/graphql` only; bypasses anonymous-access restrictions).
    Client,
    /// No credential; `/graphql` only, limited to the deployment's anonymous access level
    /// (never [`AnonymousAccess::None`] here: such requests are refused before). The engine
    /// enforces read-vs-write.
    Anonymous(AnonymousAccess),
}

/// The request context handed to the backend.
#[derive(Debug, Clone)]
pub struct BackendContext {
    /// The deployment the request was routed to.
    pub deployment: Arc<BackendInfo>,
    /// What the caller may do.
    pub access: Access,
    /// Which endpoint was called.
    pub endpoint: Endpoint,
    /// Request headers the engine may need (`X-Dgraph-AccessToken`, the schema's
    /// `Dgraph.Authorization` header, …).
    pub headers: http::HeaderMap,
}

/// A parsed GraphQL-over-HTTP request.
#[derive(Debug, Clone, Default)]
pub struct GraphQLRequest {
    pub query: String,
    pub operation_name: Option<String>,
    pub variables: Map<String, Value>,
    pub extensions: Map<String, Value>,
}

/// A GraphQL response body (`{"data":…, "errors":[…], "extensions":{…}}`) plus extra
/// response headers (e.g. `Cache-Control`).
#[derive(Debug, Clone)]
pub struct GraphQLResponse {
    pub body: Value,
    pub headers: Vec<(http::HeaderName, http::HeaderValue)>,
}

impl GraphQLResponse {
    /// A response with only `errors`, one per message.
    pub fn errors<I: IntoIterator<Item = String>>(messages: I) -> Self {
        let errors: Vec<Value> = messages
            .into_iter()
            .map(|m| json!({ "message": m }))
            .collect();
        GraphQLResponse {
            body: json!({ "errors": errors }),
            headers: Vec::new(),
        }
    }
}

/// Shared state of the backend side (one per server). The engine keeps its handles here.
#[derive(Clone, Default)]
pub struct BackendState {}

impl BackendState {
    /// Creates the backend state for a server whose data lives in `data_dir`.
    pub fn new(_data_dir: &std::path::Path) -> Self {
        BackendState {}
    }

    /// Answers one GraphQL request of an authenticated (or permitted anonymous) caller.
    pub async fn handle(&self, ctx: BackendContext, req: GraphQLRequest) -> GraphQLResponse {
        let doc = match apollo_compiler::ast::Document::parse(req.query.as_str(), "request.graphql")
        {
            Ok(doc) => doc,
            Err(with_errors) => {
                return GraphQLResponse::errors(
                    with_errors.errors.iter().map(|d| d.error.to_string()),
                );
            }
        };
        let fields = root_fields(&doc, req.operation_name.as_deref());
        match ctx.endpoint {
            Endpoint::GraphQL => GraphQLResponse::errors(fields.iter().map(|f| {
                let name = &f.name;
                format!(
                    "Not resolving {name}. There's no GraphQL schema in Dgraph. Use the /admin API to add a GraphQL schema"
                )
            })),
            Endpoint::Admin | Endpoint::AdminSlash => {
                let mut data = Map::new();
                let mut errors = Vec::new();
                for f in &fields {
                    let key = f.alias.as_ref().unwrap_or(&f.name).to_string();
                    let name = f.name.as_str();
                    match (ctx.endpoint, name) {
                        (Endpoint::Admin, "getGQLSchema") => {
                            data.insert(key, empty_schema_object(&doc, f));
                        }
                        _ => {
                            data.insert(key.clone(), Value::Null);
                            errors.push(json!({
                                "message": format!("{name} is not available on this backend yet"),
                                "path": [key],
                            }));
                        }
                    }
                }
                let mut body = json!({ "data": data });
                if !errors.is_empty() {
                    body["errors"] = Value::Array(errors);
                }
                GraphQLResponse {
                    body,
                    headers: Vec::new(),
                }
            }
        }
    }

    /// `/probe/graphql`: health of the deployment's GraphQL layer (HTTP status, body).
    pub async fn probe(&self, _deployment: &BackendInfo) -> (http::StatusCode, Value) {
        (
            http::StatusCode::OK,
            json!({ "status": "up", "schemaUpdateCounter": 0 }),
        )
    }

    /// Called after a deployment was deleted, with its numeric id, to drop its graph data.
    /// Nothing is stored per deployment on this side yet, so there is nothing to drop.
    pub async fn deployment_deleted(&self, _deployment_id: i64) {}
}

/// Fields of a selection set, with fragments expanded (each named fragment once).
fn collect_fields<'d>(
    doc: &'d apollo_compiler::ast::Document,
    selections: &'d [apollo_compiler::ast::Selection],
    out: &mut Vec<&'d apollo_compiler::ast::Field>,
    expanded: &mut HashSet<&'d str>,
) {
    use apollo_compiler::ast::{Definition, Selection};
    for sel in selections {
        match sel {
            Selection::Field(f) => out.push(f),
            Selection::InlineFragment(fr) => collect_fields(doc, &fr.selection_set, out, expanded),
            Selection::FragmentSpread(spread) => {
                if !expanded.insert(spread.fragment_name.as_str()) {
                    continue;
                }
                let def = doc.definitions.iter().find_map(|d| match d {
                    Definition::FragmentDefinition(fd) if fd.name == spread.fragment_name => {
                        Some(fd)
                    }
                    _ => None,
                });
                if let Some(fd) = def {
                    collect_fields(doc, &fd.selection_set, out, expanded);
                }
            }
        }
    }
}

/// Root fields of the selected operation (introspection meta-fields left out).
fn root_fields<'d>(
    doc: &'d apollo_compiler::ast::Document,
    operation_name: Option<&str>,
) -> Vec<&'d apollo_compiler::ast::Field> {
    use apollo_compiler::ast::Definition;
    let ops: Vec<_> = doc
        .definitions
        .iter()
        .filter_map(|d| match d {
            Definition::OperationDefinition(op) => Some(op),
            _ => None,
        })
        .collect();
    let op = match operation_name {
        Some(n) => ops
            .iter()
            .find(|o| o.name.as_ref().is_some_and(|x| x.as_str() == n)),
        None => ops.first(),
    };
    let Some(op) = op else { return Vec::new() };
    let mut out = Vec::new();
    collect_fields(doc, &op.selection_set, &mut out, &mut HashSet::new());
    out.retain(|f| !f.name.as_str().starts_with("__"));
    out
}

/// The empty `GQLSchema` object projected onto the caller's selection.
fn empty_schema_object(
    doc: &apollo_compiler::ast::Document,
    field: &apollo_compiler::ast::Field,
) -> Value {
    let mut fields = Vec::new();
    collect_fields(doc, &field.selection_set, &mut fields, &mut HashSet::new());
    let mut obj = Map::new();
    for f in fields {
        let key = f.alias.as_ref().unwrap_or(&f.name).to_string();
        let v = match f.name.as_str() {
            "schema" | "generatedSchema" => json!(""),
            "__typename" => json!("GQLSchema"),
            _ => Value::Null,
        };
        obj.insert(key, v);
    }
    Value::Object(obj)
}
