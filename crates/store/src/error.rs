//! Error type of the store.

use thiserror::Error;

/// Every failure the store reports. Messages are stable and safe to show to clients.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The underlying key-value engine failed (I/O, corruption, ...).
    #[error("storage engine error: {0}")]
    Engine(String),
    /// Stored bytes could not be decoded (corruption or a format bug).
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
    /// A predicate name is empty or contains a NUL byte.
    #[error("invalid predicate name {0:?}")]
    InvalidPredicate(String),
    /// A type name is empty or contains a NUL byte.
    #[error("invalid type name {0:?}")]
    InvalidTypeName(String),
    /// A value does not match the predicate's declared kind.
    #[error("predicate {predicate} holds values of kind {expected}, got {got}")]
    KindMismatch {
        /// Predicate name.
        predicate: String,
        /// Kind declared in the predicate schema.
        expected: &'static str,
        /// Kind of the offered value.
        got: &'static str,
    },
    /// A float value is NaN (not storable: it has no place in an order).
    #[error("NaN cannot be stored in predicate {0}")]
    NaN(String),
    /// A geometry is malformed (bad coordinates, unclosed ring, ...).
    #[error("invalid geometry: {0}")]
    InvalidGeometry(String),
    /// A query needs an index the predicate does not have.
    #[error("predicate {predicate} is not indexed by {index}")]
    MissingIndex {
        /// Predicate name.
        predicate: String,
        /// Index kind name (Dgraph spelling).
        index: &'static str,
    },
    /// A regular expression is invalid or cannot use the trigram index.
    #[error(transparent)]
    Regex(#[from] crate::tokenize::RegexIndexError),
    /// The store is shutting down; the write was not applied.
    #[error("the store is closed")]
    Closed,
    /// A write closure panicked; nothing of it was applied.
    #[error("write transaction aborted: {0}")]
    Aborted(String),
}

impl StoreError {
    pub(crate) fn engine(e: impl std::fmt::Display) -> Self {
        StoreError::Engine(e.to_string())
    }
}

/// Shorthand result type.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
