//! Executes GraphQL operations of a backend's generated API against a graph store.
//!
//! What it is: the request pipeline of one backend — parse and validate a GraphQL request
//! against the backend's generated API, pick the operation, coerce variables, answer
//! introspection, execute queries (`get<T>`, `query<T>`, `aggregate<T>`, filters, order,
//! pagination, `@cascade`, nested aggregates) on one snapshot and mutations (`add<T>`,
//! `update<T>`, `delete<T>`) sequentially, each in its own write — and the `/admin` API that
//! stores a backend's schema next to its data.
//!
//! What it is not: it knows neither HTTP (the server converts requests and responses) nor
//! bytes on disk (the store does); it does not parse the schema language (the schema crate
//! does).
//!
//! # The seam between query execution and mutations
//!
//! Mutations live in [`mutation`] and are called by the executor once per root mutation field,
//! inside one store write (one closure = one atomic mutation). `GraphWrite`
//! (`mutation::write`) is the write view of one backend's graph; it extends
//! [`graph::GraphRead`] with read-your-writes:
//!
//! ```text
//! mutation::add(ctx: &ExecCtx, txn: &mut dyn GraphWrite, type_name: &str,
//!               input: &JsonValue /* coerced `input` argument */, upsert: bool)
//!     -> Result<MutationOutcome, EngineError>
//! mutation::update(ctx, txn, type_name, input: &JsonValue /* {filter, set, remove} */)
//!     -> Result<MutationOutcome, EngineError>
//! mutation::delete(ctx, txn, type_name, filter: &JsonValue)
//!     -> Result<MutationOutcome /* root uids as they were before deletion */, EngineError>
//! ```
//!
//! `JsonValue` is apollo-compiler's response JSON (`serde_json_bytes::Value`); arguments arrive
//! coerced against the generated API (variables substituted, lists coerced). Errors are
//! rendered verbatim as the field's GraphQL error message, so a mutation error carries the
//! full Dgraph text (e.g. `couldn't rewrite mutation addT because …`).
//!
//! After the write commits the executor renders the payload itself (`numUids`, `msg`, and the
//! `camel(T)` list re-queried from a fresh snapshot with the user's selection, filter, order
//! and pagination; for `delete` from a snapshot taken before the write).
//!
//! For update/delete the mutation side selects nodes with [`select_uids`], which works on any
//! [`graph::GraphRead`] — including the reader view of a write transaction.

pub mod admin;
pub mod api;
pub mod catalog;
pub mod engine;
pub mod exec;
pub mod export;
pub mod filter;
pub mod geo;
pub mod graph;
pub mod id_input;
pub mod import;
pub mod lambda;
pub mod limits;
pub mod load;
pub mod mutation;
pub mod plan;
pub mod render;
pub mod request;
pub mod rules;
pub mod store_adapter;
pub mod text;

use std::sync::Arc;

pub use apollo_compiler::response::{JsonMap, JsonValue};
pub use engine::{Caller, DropData, Engine, RawSchemaResult, WeakEngine};
pub use limits::{Cancel, Limits};
pub use request::{Request, Response};

use crate::api::CompiledApi;
use crate::graph::{GraphRead, ReadError};

/// What the caller may do on a backend's `/graphql`, as decided by the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Admin key or the deployment's JWT: everything, including `/admin`.
    Admin,
    /// Client API key: queries and mutations on `/graphql`.
    Client,
    /// Keyless caller on a deployment with `anonymousAccess: "read"`: queries only.
    AnonymousRead,
    /// Keyless caller on a deployment with `anonymousAccess: "readwrite"`.
    AnonymousReadWrite,
}

impl Access {
    pub fn may_mutate(self) -> bool {
        !matches!(self, Access::AnonymousRead)
    }
}

/// The context every query/mutation function of one request shares.
#[derive(Clone)]
pub struct ExecCtx {
    /// The backend's compiled API (schema model, generated API, lookup tables).
    pub api: Arc<CompiledApi>,
    /// The backend's numeric id in the store.
    pub backend: u64,
    pub access: Access,
    /// The request's timestamp (`$now` of `@default`).
    pub now: time::OffsetDateTime,
}

/// The outcome of one root mutation, before its payload is rendered.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MutationOutcome {
    /// Root nodes (created or upserted for add; matched for update; deleted for delete).
    pub root_uids: Vec<u64>,
    /// `numUids` of the payload.
    pub num_uids: usize,
}

/// Errors of the engine; the message is what clients see.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// A query or filter could not be executed (message without the `couldn't rewrite` prefix).
    #[error("{0}")]
    Query(String),
    /// A mutation failed; the message is complete (Dgraph's wording).
    #[error("{0}")]
    Mutation(String),
    #[error("{0}")]
    Read(#[from] ReadError),
    /// The store failed.
    #[error("{0}")]
    Store(String),
}

/// Selects the nodes of `type_name` matching a coerced `filter` argument (`TFilter` input), in
/// ascending uid order. Works on any reader, including a write transaction's own view.
pub fn select_uids(
    ctx: &ExecCtx,
    reader: &dyn GraphRead,
    type_name: &str,
    filter: &JsonValue,
) -> Result<Vec<u64>, EngineError> {
    let cat = &ctx.api.catalog;
    let ty = cat
        .get(type_name)
        .ok_or_else(|| EngineError::Query(format!("unknown type {type_name}")))?;
    let mut all = Vec::new();
    for s in cat.storage_names(type_name) {
        all.extend(reader.type_uids(&s)?);
    }
    all.sort_unstable();
    all.dedup();
    filter::FilterEval { cat, rd: reader }.apply(ty, all, Some(filter))
}
