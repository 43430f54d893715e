//! Dgraph-flavoured GraphQL SDL: parse, validate, generate the served API, print it.
//!
//! [`parse`] takes the schema text a user uploads (`updateGQLSchema`) and either rejects it
//! with Dgraph's exact error texts and positions ([`SchemaErrors`]) or returns a [`Schema`]:
//! the resolved model the engine executes against (types, fields, storage predicates,
//! indexes, external ids, inverses, parsed `@auth` rules, meta lines), the generated API as an
//! apollo-compiler schema ([`Schema::api`]), the generated SDL printed byte-for-byte in
//! Dgraph's layout ([`Schema::generated_sdl`]) and the storage (DQL) schema
//! ([`Schema::storage_schema`]).
//!
//! This crate is pure: no I/O, no evaluation of rules, no execution. Fetching JWK URLs,
//! running `@custom`/`@lambda` resolvers and enforcing `@auth` belong to other crates.
//!
//! Pipeline and modules:
//! `meta` (`# Dgraph.*` lines) → `validate::parse_document` (apollo-parser AST) →
//! `raw` (definitions with their directives) → `validate` (Dgraph's rules in Dgraph's order)
//! → `build` (interface expansion, `@hasInverse` completion, the [`model`](TypeDef)) →
//! `generate` (spec B, printed in the layout of B.10; `builtins` holds the fixed block) →
//! `api` (the apollo-compiler schema built directly from the generated definitions, then
//! validated) → `auth` (rules checked against that API) → `storage` (spec B.11).

mod api;
mod auth;
mod build;
mod builtins;
mod error;
mod generate;
mod meta;
mod model;
mod raw;
mod storage;
mod validate;
mod value;

use std::collections::HashMap;
use std::sync::OnceLock;

use apollo_compiler::validation::Valid;

pub use auth::{AuthRules, QueryRule, RbacOp, RbacRule, RuleNode};
pub use error::{Location, SchemaError, SchemaErrors};
pub use model::{
    AuthConfig, Custom, CustomHttp, Defaults, Federation, Field, Generate, IndexKind,
    LambdaOnMutate, Meta, Secret, Type, TypeDef, TypeKind,
};
pub use storage::{Predicate, StorageSchema, StorageType, ValueKind};

/// A validated schema: the model, the generated API and its printed form.
#[derive(Debug)]
pub struct Schema {
    sdl: String,
    types: Vec<TypeDef>,
    index: HashMap<String, usize>,
    queries: Vec<Field>,
    mutations: Vec<Field>,
    meta: Meta,
    generated_sdl: String,
    service_sdl: OnceLock<String>,
    api: Valid<apollo_compiler::Schema>,
    storage: StorageSchema,
}

impl Schema {
    /// User definitions in source order (objects, interfaces, unions, enums, inputs; also
    /// `@remote` ones). `Query`/`Mutation` are not included: see [`Schema::custom_queries`].
    pub fn types(&self) -> &[TypeDef] {
        &self.types
    }

    /// A user definition by GraphQL name.
    pub fn type_by_name(&self, name: &str) -> Option<&TypeDef> {
        self.index.get(name).map(|&i| &self.types[i])
    }

    /// User-declared `Query` fields (`@custom`/`@lambda`).
    pub fn custom_queries(&self) -> &[Field] {
        &self.queries
    }

    /// User-declared `Mutation` fields (`@custom`/`@lambda`).
    pub fn custom_mutations(&self) -> &[Field] {
        &self.mutations
    }

    /// `# Dgraph.Authorization`, `# Dgraph.Secret`, `# Dgraph.Allow-Origin` lines.
    pub fn meta(&self) -> &Meta {
        &self.meta
    }

    /// The generated schema text, byte-for-byte in Dgraph's layout (`generatedSchema`).
    pub fn generated_sdl(&self) -> &str {
        &self.generated_sdl
    }

    /// The schema text as uploaded.
    pub fn sdl(&self) -> &str {
        &self.sdl
    }

    /// The Apollo federation `_service { sdl }` text: the generated schema without the
    /// federation plumbing, without `@custom`, `@auth` and `@generate`, without `implements`
    /// clauses, and without the queries of (and query arguments towards) extended types.
    /// Built on first use.
    pub fn apollo_service_sdl(&self) -> &str {
        self.service_sdl.get_or_init(|| match analyse(&self.sdl) {
            Ok(a) => generate::Gen::new(&a.types, &a.defs, &a.index, &a.ops)
                .run(true)
                .service_sdl
                .unwrap_or_default(),
            // The text was accepted when this schema was built; analysis is deterministic.
            Err(_) => String::new(),
        })
    }

    /// The generated API as a validated apollo-compiler schema (request validation,
    /// introspection).
    pub fn api(&self) -> &Valid<apollo_compiler::Schema> {
        &self.api
    }

    /// The storage (DQL) schema: predicates with kinds and indexes, and storage types.
    pub fn storage_schema(&self) -> &StorageSchema {
        &self.storage
    }

    /// Request headers a browser may send (CORS `Access-Control-Allow-Headers`): the fixed
    /// list, then every header named on the right of a `forwardHeaders` entry of an
    /// `@custom(http:)` (`remote:local` forwards `local`), then the
    /// `# Dgraph.Authorization` header.
    pub fn allowed_headers(&self) -> Vec<String> {
        let mut out: Vec<String> = BASE_ALLOWED_HEADERS.iter().map(|h| h.to_string()).collect();
        let custom_fields = self
            .types
            .iter()
            .flat_map(|t| t.fields.iter())
            .chain(&self.queries)
            .chain(&self.mutations);
        for f in custom_fields {
            if let Some(Custom::Http(h)) = &f.custom {
                for fh in &h.forward_headers {
                    let local = fh.rsplit(':').next().unwrap_or(fh).to_string();
                    if !out.iter().any(|o| o.eq_ignore_ascii_case(&local)) {
                        out.push(local);
                    }
                }
            }
        }
        if let Some(a) = &self.meta.authorization
            && !out.iter().any(|o| o.eq_ignore_ascii_case(&a.header))
        {
            out.push(a.header.clone());
        }
        out
    }
}

/// Headers always allowed on `/graphql` (spec section 0).
const BASE_ALLOWED_HEADERS: [&str; 9] = [
    "X-Dgraph-AccessToken",
    "X-Dgraph-AuthToken",
    "Content-Type",
    "Content-Length",
    "Accept-Encoding",
    "Cache-Control",
    "X-CSRF-Token",
    "X-Auth-Token",
    "X-Requested-With",
];

const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Schema>();
};

/// Parse and validate a schema as Dgraph's `updateGQLSchema` does.
pub fn parse(sdl: &str) -> Result<Schema, SchemaErrors> {
    let a = analyse(sdl)?;
    let generated = generate::Gen::new(&a.types, &a.defs, &a.index, &a.ops).run(false);
    if !generated.sdl.contains("\ntype Query {") && !generated.sdl.contains("\ntype Mutation {") {
        return Err(SchemaErrors::one(SchemaError::new(
            "No query or mutation found in the generated schema",
            Vec::new(),
        )));
    }
    let api = build_api(generated.api)?;
    let Analysis {
        defs,
        ops,
        index,
        mut types,
        meta,
    } = a;

    // @auth rules are checked against the generated API.
    let mut auth_errors = Vec::new();
    for (i, d) in defs.iter().enumerate() {
        if let Some(dir) = d.directive("auth") {
            let mut p = auth::AuthParser {
                type_name: &d.name,
                api: &api,
                errors: Vec::new(),
            };
            let rules = p.parse_directive(dir);
            auth_errors.append(&mut p.errors);
            types[i].auth = Some(rules);
        }
    }
    if !auth_errors.is_empty() {
        return Err(SchemaErrors::new(auth_errors));
    }
    let op_model = |fields: &[raw::RField]| -> Vec<Field> {
        let holder = raw::RDef {
            kind: TypeKind::Object,
            name: String::new(),
            name_loc: None,
            description: None,
            interfaces: Vec::new(),
            members: Vec::new(),
            values: Vec::new(),
            fields: fields.to_vec(),
            directives: Vec::new(),
            extension: false,
        };
        build::model_types(std::slice::from_ref(&holder), &HashMap::new())
            .pop()
            .map(|t| t.fields)
            .unwrap_or_default()
    };
    let queries = op_model(&ops.query);
    let mutations = op_model(&ops.mutation);
    let storage = storage::build(&types, &index);
    Ok(Schema {
        sdl: sdl.to_string(),
        types,
        index,
        queries,
        mutations,
        meta,
        generated_sdl: generated.sdl,
        service_sdl: OnceLock::new(),
        api,
        storage,
    })
}

/// A validated schema before generation.
struct Analysis {
    defs: Vec<raw::RDef>,
    ops: generate::OpsRaw,
    index: HashMap<String, usize>,
    types: Vec<TypeDef>,
    meta: Meta,
}

/// Parse, validate and resolve the SDL (everything but the generated API).
fn analyse(sdl: &str) -> Result<Analysis, SchemaErrors> {
    let meta = meta::parse(sdl).map_err(SchemaErrors::one)?;
    if sdl.trim().is_empty() {
        return Err(SchemaErrors::one(SchemaError::new(
            "No schema specified",
            Vec::new(),
        )));
    }
    let doc = validate::parse_document(sdl).map_err(SchemaErrors::one)?;
    let _sources = validate::set_sources(&doc.sources);
    let all = raw::collect(&doc).map_err(SchemaErrors::one)?;
    let loc = raw::Locator {
        sources: &doc.sources,
    };

    let errs = validate::pre(&all);
    if !errs.is_empty() {
        return Err(SchemaErrors::new(errs));
    }
    let (mut defs, ops) = validate::split_operations(all);
    // Type extensions (`extend type`) come after all plain definitions.
    defs.sort_by_key(|d| d.extension);
    let mut index: HashMap<String, usize> = HashMap::with_capacity(defs.len());
    for (i, d) in defs.iter().enumerate() {
        index.entry(d.name.clone()).or_insert(i);
    }
    validate::document(&defs, &index, &ops).map_err(SchemaErrors::one)?;
    build::expand_interfaces(&mut defs, &index);
    let errs = validate::post(&defs, &index, &ops, &meta, &loc);
    if !errs.is_empty() {
        return Err(SchemaErrors::new(errs));
    }
    build::complete_inverses(&mut defs, &index);
    let types = build::model_types(&defs, &index);
    Ok(Analysis {
        defs,
        ops,
        index,
        types,
        meta,
    })
}

/// Validate the apollo-compiler schema of the generated API. Dgraph accepts schemas whose
/// API has mutations only; GraphQL requires a query root, which is the one rule relaxed here.
fn build_api(api: apollo_compiler::Schema) -> Result<Valid<apollo_compiler::Schema>, SchemaErrors> {
    match api.validate() {
        Ok(api) => Ok(api),
        Err(e) => {
            let only_missing_query = e.errors.len() == 1
                && e.errors.iter().all(|d| {
                    d.error
                        .to_string()
                        .contains("missing query root operation type")
                });
            if only_missing_query {
                Ok(Valid::assume_valid(e.partial))
            } else {
                Err(SchemaErrors::one(SchemaError::new(
                    format!("generated schema is not valid GraphQL: {}", e.errors),
                    Vec::new(),
                )))
            }
        }
    }
}
