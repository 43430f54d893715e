//! Executes GraphQL operations of a backend's generated API against a graph store.
