//! Graph storage for graphcloud: one embedded, transactional, crash-safe graph database shared
//! by every backend, with Dgraph-style predicates, reverse edges and value indexes.
//!
//! Layers, bottom up:
//! * [`KvEngine`] — the narrow trait: ordered byte keys, snapshot reads (point get, range
//!   scans), atomic durable write batches. [`RedbEngine`] implements it on one redb file;
//!   a SQL table `(k bytea primary key, v bytea)` can implement it later.
//! * the graph layer ([`GraphRead`], [`WriteTxn`]) — key layout, typed values, uid edges with
//!   reverse edges, the type and "has" indexes, and value indexes updated in the same
//!   transaction as the data. It is written once over [`KvRead`].
//! * [`Store`] — snapshot reads per backend and a single writer thread that folds concurrent
//!   mutations into one commit (group commit), each caller getting its own result.
//!
//! The [`tokenize`] functions are the ones the index uses; the query engine must use them on
//! query terms too.
//!
//! This crate is not a query engine: it knows nothing of GraphQL, DQL, types' fields or
//! `@id` uniqueness; the engine builds those on top of these primitives. The key layout is
//! documented in `STORAGE.md` next to this crate's manifest.

mod bulk;
mod dump;
mod error;
mod geo_index;
mod graph;
mod keys;
pub mod kv;
mod node_cache;
mod redb_engine;
mod schema;
mod store;
pub mod tokenize;
mod value;

pub use bulk::NewNodes;
pub use error::{Result, StoreError};
pub use graph::{GeoQuery, GraphRead, Snapshot, WriteTxn};
pub use keys::TYPE_PREDICATE;
pub use kv::{KvEngine, KvPair, KvRead, KvSnapshot, MemoryEngine, PairSink, RangeFill, WriteBatch};
pub use node_cache::{CachedNode, DEFAULT_NODE_CACHE_BYTES};
pub use redb_engine::{RedbEngine, RedbOptions};
pub use roaring::RoaringTreemap;
pub use schema::{IndexKind, PredicateSchema};
pub use store::{GRAPH_FILE, Store, StoreOptions, StoreStats};
pub use tokenize::RegexIndexError;
pub use value::{DateTime, Entry, Geo, GeoPoint, GeoPolygon, Value, ValueKind};

/// Geo helpers: exact predicates and distances used to verify index candidates.
pub mod geo {
    pub use crate::geo_index::{contains, distance_m, intersects, near, within};
}

#[cfg(test)]
mod bulk_tests;
#[cfg(test)]
mod graph_tests;
