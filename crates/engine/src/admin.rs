//! The `/admin` GraphQL API of a backend (spec C; cloud-api §4.3): `getGQLSchema`,
//! `updateGQLSchema`, `health`, `config`.

use std::sync::OnceLock;

use apollo_compiler::Schema;
use apollo_compiler::resolvers::{Execution, FieldError, ObjectValue, ResolveInfo, ResolvedValue};
use apollo_compiler::response::{JsonMap, JsonValue};
use apollo_compiler::validation::Valid;

use crate::exec::{JsonObj, ferr};
use crate::request::{Request, Response};

const ADMIN_SDL: &str = r#"
scalar DateTime
scalar Int64
scalar UInt64

type GQLSchema {
  id: ID!
  schema: String!
  generatedSchema: String!
}

type NodeState {
  instance: String
  address: String
  status: String
  group: String
  version: String
  uptime: Int64
  lastEcho: Int64
  ongoing: [String]
  indexing: [String]
  ee_features: [String]
}

type Config {
  cacheMb: Float
}

input GQLSchemaPatch {
  schema: String!
}

input UpdateGQLSchemaInput {
  set: GQLSchemaPatch!
}

type UpdateGQLSchemaPayload {
  gqlSchema: GQLSchema
}

type Query {
  getGQLSchema: GQLSchema
  health: [NodeState]
  config: Config
}

type Mutation {
  updateGQLSchema(input: UpdateGQLSchemaInput!): UpdateGQLSchemaPayload
}
"#;

/// The admin API schema (built once per process).
pub fn admin_schema() -> &'static Valid<Schema> {
    static S: OnceLock<Valid<Schema>> = OnceLock::new();
    S.get_or_init(|| {
        Schema::parse_and_validate(ADMIN_SDL, "admin.graphql")
            .unwrap_or_else(|e| panic!("the built-in admin schema is invalid: {}", e.errors))
    })
}

/// What the admin API needs from the engine for one backend.
pub trait AdminBackend {
    /// `(schema, generatedSchema, id)` of the current schema; empty strings when none.
    fn current_schema(&self) -> Result<(String, String, String), String>;
    /// Validates and stores a new schema; returns `(schema, generatedSchema, id)` or the
    /// complete client-visible error message.
    fn update_schema(&self, sdl: &str) -> Result<(String, String, String), String>;
    /// `health` entries.
    fn health(&self) -> JsonValue;
}

fn gql_schema(s: (String, String, String)) -> JsonValue {
    let mut m = JsonMap::new();
    m.insert("id", JsonValue::String(s.2.into()));
    m.insert("schema", JsonValue::String(s.0.into()));
    m.insert("generatedSchema", JsonValue::String(s.1.into()));
    JsonValue::Object(m)
}

struct AdminQuery<'a> {
    b: &'a dyn AdminBackend,
}

impl ObjectValue for AdminQuery<'_> {
    fn type_name(&self) -> &str {
        "Query"
    }
    fn resolve_field<'x>(
        &'x self,
        info: &'x ResolveInfo<'x>,
    ) -> Result<ResolvedValue<'x>, FieldError> {
        let v = match info.field_name() {
            "getGQLSchema" => gql_schema(self.b.current_schema().map_err(ferr)?),
            "health" => self.b.health(),
            "config" => {
                let mut m = JsonMap::new();
                m.insert("cacheMb", JsonValue::Number(0.into()));
                JsonValue::Object(m)
            }
            other => return Err(ferr(format!("unknown field {other}"))),
        };
        let mut root = JsonMap::new();
        root.insert(info.field_name(), v);
        JsonObj {
            type_name: "Query".into(),
            map: root,
        }
        .resolve_owned(info)
    }
}

struct AdminMutation<'a> {
    b: &'a dyn AdminBackend,
}

impl ObjectValue for AdminMutation<'_> {
    fn type_name(&self) -> &str {
        "Mutation"
    }
    fn resolve_field<'x>(
        &'x self,
        info: &'x ResolveInfo<'x>,
    ) -> Result<ResolvedValue<'x>, FieldError> {
        match info.field_name() {
            "updateGQLSchema" => {
                let sdl = info
                    .arguments()
                    .get("input")
                    .and_then(|i| i.get("set"))
                    .and_then(|s| s.get("schema"))
                    .and_then(JsonValue::as_str)
                    .unwrap_or("")
                    .to_string();
                let s = self.b.update_schema(&sdl).map_err(ferr)?;
                let mut m = JsonMap::new();
                m.insert("gqlSchema", gql_schema(s));
                Ok(ResolvedValue::object(JsonObj {
                    type_name: "UpdateGQLSchemaPayload".into(),
                    map: m,
                }))
            }
            other => Err(ferr(format!("unknown field {other}"))),
        }
    }
}

/// Executes one `/admin` GraphQL request under `limits` (the document bounds of `/graphql`).
#[allow(clippy::result_large_err)]
pub fn execute(b: &dyn AdminBackend, req: &Request, limits: &crate::Limits) -> Response {
    let schema = admin_schema();
    if req.query.trim().is_empty() {
        return Response::error("no query string supplied in request");
    }
    if req.query.len() > limits.max_query_bytes {
        return Response::error(format!(
            "the query is larger than the limit of {} bytes",
            limits.max_query_bytes
        ));
    }
    let parsed = apollo_compiler::parser::Parser::new()
        .recursion_limit(limits.max_parse_nesting)
        .token_limit(limits.max_query_tokens)
        .parse_executable(schema, &req.query, "admin.graphql")
        .and_then(|d| d.validate(schema));
    let doc = match parsed {
        Ok(d) => d,
        Err(with) => {
            return Response {
                cache_max_age: None,
                raw: None,
                data: Some(serde_json::Value::Null),
                errors: with
                    .errors
                    .iter()
                    .map(|d| serde_json::to_value(d.unstable_to_json_compat()).unwrap_or_default())
                    .collect(),
            };
        }
    };
    let op = match crate::request::select_operation(&doc, req.operation_name.as_deref()) {
        Ok(op) => op,
        Err(m) => return Response::error(m),
    };
    if let Err(m) = crate::limits::check_operation(&doc, op, limits) {
        return Response::error(m);
    }
    let vars: JsonMap = match serde_json_bytes::to_value(&req.variables) {
        Ok(JsonValue::Object(m)) => m,
        _ => JsonMap::new(),
    };
    let exec = Execution::new(schema, &doc)
        .operation(op)
        .raw_variable_values(&vars)
        .enable_schema_introspection(true);
    let result = if op.is_mutation() {
        exec.execute_sync(&AdminMutation { b })
    } else {
        exec.execute_sync(&AdminQuery { b })
    };
    match result {
        Ok(r) => Response::from_execution(r),
        Err(e) => Response {
            cache_max_age: None,
            raw: None,
            data: None,
            errors: vec![
                serde_json::to_value(e.to_graphql_error(&doc.sources)).unwrap_or_default(),
            ],
        },
    }
}

/// Parses a query just far enough to name its root fields (used when a backend has no
/// schema yet and nothing can be validated).
pub fn root_field_names(query: &str, operation_name: Option<&str>) -> Vec<String> {
    let defaults = crate::Limits::default();
    let Ok(doc) = apollo_compiler::parser::Parser::new()
        .recursion_limit(defaults.max_parse_nesting)
        .token_limit(defaults.max_query_tokens)
        .parse_ast(query, "query.graphql")
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for def in &doc.definitions {
        if let apollo_compiler::ast::Definition::OperationDefinition(op) = def {
            if let Some(want) = operation_name
                && op.name.as_ref().map(|n| n.as_str()) != Some(want)
            {
                continue;
            }
            for sel in &op.selection_set {
                if let apollo_compiler::ast::Selection::Field(f) = sel {
                    out.push(f.name.to_string());
                }
            }
            break;
        }
    }
    out
}
