//! Loader for Dgraph JSON mutation data (see the crate docs).
