//! Shared fixture of the query-side end-to-end tests: a real store in a temp dir, the
//! engine, Dgraph's `e2e/normal` schema uploaded through the admin path and its
//! `test_data.json` loaded through the data loader.

#![allow(dead_code)]

use std::path::PathBuf;

use graphcloud_engine::load::LoadSchema;
use graphcloud_engine::load::load_json;
use graphcloud_engine::mutation::store_write::TxnGraph;
use graphcloud_engine::{Access, Caller, Engine, Request};
use graphcloud_store::Store;
use serde_json::Value;

pub fn conformance_dir() -> PathBuf {
    match std::env::var("GRAPHCLOUD_CONFORMANCE_DIR") {
        Ok(d) => PathBuf::from(d),
        Err(_) => PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/conformance/dgraph"
        )),
    }
}

pub const BACKEND: u64 = 7;

pub struct Fixture {
    pub engine: Engine,
    _dir: tempfile::TempDir,
}

pub const ADMIN: Caller = Caller {
    access: Access::Admin,
    read_only: false,
};

impl Fixture {
    /// An engine over an empty store.
    pub fn empty() -> Fixture {
        Fixture::with_limits(graphcloud_engine::Limits::default())
    }

    /// An engine over an empty store with the given request limits.
    pub fn with_limits(limits: graphcloud_engine::Limits) -> Fixture {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(dir.path()).expect("open store");
        Fixture {
            engine: Engine::with_limits(store, limits),
            _dir: dir,
        }
    }

    /// The `e2e/normal` schema and data.
    pub fn normal() -> Fixture {
        let base = conformance_dir().join("graphql/e2e/normal");
        let data: Value =
            serde_json::from_str(&std::fs::read_to_string(base.join("test_data.json")).unwrap())
                .unwrap();
        Fixture::normal_with(data)
    }

    /// The `e2e/normal` schema with other data (Dgraph JSON mutation format).
    pub fn normal_with(data: Value) -> Fixture {
        Fixture::normal_data_limits(data, graphcloud_engine::Limits::default())
    }

    /// The `e2e/normal` schema and data with the given request limits.
    pub fn normal_with_limits(limits: graphcloud_engine::Limits) -> Fixture {
        let base = conformance_dir().join("graphql/e2e/normal");
        let data: Value =
            serde_json::from_str(&std::fs::read_to_string(base.join("test_data.json")).unwrap())
                .unwrap();
        Fixture::normal_data_limits(data, limits)
    }

    fn normal_data_limits(data: Value, limits: graphcloud_engine::Limits) -> Fixture {
        let f = Fixture::with_limits(limits);
        let base = conformance_dir().join("graphql/e2e/normal");
        let sdl = std::fs::read_to_string(base.join("schema.graphql")).expect("schema");
        f.engine
            .update_schema(BACKEND, ADMIN, &sdl)
            .expect("schema accepted");
        f.load(data);
        f
    }

    /// The `e2e/directives` schema and data: the `normal` API with fields stored under
    /// `@dgraph(type:, pred:)` names.
    pub fn directives() -> Fixture {
        let base = conformance_dir().join("graphql/e2e/directives");
        let data: Value =
            serde_json::from_str(&std::fs::read_to_string(base.join("test_data.json")).unwrap())
                .unwrap();
        let f = Fixture::empty();
        let sdl = std::fs::read_to_string(base.join("schema.graphql")).expect("schema");
        f.engine
            .update_schema(BACKEND, ADMIN, &sdl)
            .expect("schema accepted");
        f.load(data);
        f
    }

    /// Loads Dgraph JSON mutation data into the backend.
    pub fn load(&self, data: Value) {
        self.engine
            .store()
            .write_blocking(BACKEND, move |txn| {
                let schema = LoadSchema::from_txn(txn)
                    .map_err(|e| graphcloud_store::StoreError::Aborted(e.to_string()))?;
                let mut g = TxnGraph::new(txn);
                load_json(&mut g, &schema, &data)
                    .map_err(|e| graphcloud_store::StoreError::Aborted(e.to_string()))
            })
            .expect("data loads");
    }

    pub fn query_as(&self, caller: Caller, q: &str, vars: Value) -> Value {
        let req = Request {
            query: q.to_string(),
            operation_name: None,
            variables: vars.as_object().cloned().unwrap_or_default(),
        };
        self.engine
            .graphql_blocking(BACKEND, caller, &req)
            .to_json()
    }

    pub fn query(&self, q: &str) -> Value {
        self.query_as(ADMIN, q, Value::Null)
    }

    pub fn query_vars(&self, q: &str, vars: Value) -> Value {
        self.query_as(ADMIN, q, vars)
    }
}

/// Asserts that a response has no errors and its data equals `expected`.
#[track_caller]
pub fn assert_data(resp: &Value, expected: Value) {
    assert!(
        resp.get("errors").is_none(),
        "unexpected errors: {}",
        serde_json::to_string_pretty(resp).unwrap()
    );
    assert_eq!(
        resp["data"],
        expected,
        "\n got: {}\nwant: {}",
        serde_json::to_string(&resp["data"]).unwrap(),
        serde_json::to_string(&expected).unwrap()
    );
}

/// The error messages of a response.
pub fn messages(resp: &Value) -> Vec<String> {
    resp["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["message"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}
