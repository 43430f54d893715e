//! The write view of one backend's graph that mutations and the data loader use.
//!
//! A [`GraphWrite`] is a write transaction of a single backend: every method sees the
//! writes made before it in the same transaction, and nothing is visible to others (or
//! kept) unless the whole transaction commits. The store's write transaction implements it.

use crate::graph::{GraphRead, ReadError, Val};

/// Why a write failed.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct WriteError(pub String);

impl From<ReadError> for WriteError {
    fn from(e: ReadError) -> Self {
        WriteError(e.0)
    }
}

/// Writes to one backend's graph inside one transaction (reads see earlier writes).
pub trait GraphWrite: GraphRead {
    /// Allocates a fresh uid for a new node.
    fn new_uid(&mut self) -> Result<u64, WriteError>;
    /// Makes sure `uid` is never handed out by [`GraphWrite::new_uid`] (data import with
    /// explicit uids).
    fn reserve_uid(&mut self, uid: u64) -> Result<(), WriteError>;
    /// Adds `storage_type` to the node's `dgraph.type` values.
    fn add_type(&mut self, uid: u64, storage_type: &str) -> Result<(), WriteError>;
    /// Removes every `dgraph.type` value of the node.
    fn clear_types(&mut self, uid: u64) -> Result<(), WriteError>;
    /// Replaces every value of the scalar predicate `pred` on `uid` by `val`.
    fn set_scalar(&mut self, uid: u64, pred: &str, val: Val) -> Result<(), WriteError>;
    /// Adds `val` to the value set of the list predicate `pred` on `uid`.
    fn add_scalar(&mut self, uid: u64, pred: &str, val: Val) -> Result<(), WriteError>;
    /// Removes `val` from the values of `pred` on `uid` (no-op when absent).
    fn remove_scalar(&mut self, uid: u64, pred: &str, val: &Val) -> Result<(), WriteError>;
    /// Adds the uid edge `uid -pred-> target` (the store keeps the reverse edge).
    fn add_edge(&mut self, uid: u64, pred: &str, target: u64) -> Result<(), WriteError>;
    /// Removes the uid edge `uid -pred-> target` (no-op when absent).
    fn remove_edge(&mut self, uid: u64, pred: &str, target: u64) -> Result<(), WriteError>;
    /// Removes every value or edge of `pred` on `uid`.
    fn clear(&mut self, uid: u64, pred: &str) -> Result<(), WriteError>;
    /// Removes every type, value and outgoing edge of `uid` (edges pointing at it stay).
    fn clear_node(&mut self, uid: u64) -> Result<(), WriteError>;
}
