//! Dgraph-flavoured GraphQL SDL: parse, validate, generate the served API, print it.
