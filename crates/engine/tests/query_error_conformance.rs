//! Conformance: `e2e/common/error_test.yaml` (read in place). Each case runs against the
//! `e2e/normal` schema; a case passes when the error messages equal the expected ones, in
//! order. Prints `conformance error_test: N passed, M failed` and the failing names; the floor is a
//! ratchet raised as the engine improves.

mod query_support;

use std::io::Write;

use graphcloud_engine::Request;
use query_support::*;
use serde_json::Value;

const FLOOR: usize = 25;

#[test]
fn error_test_yaml() {
    let path = conformance_dir().join("graphql/e2e/common/error_test.yaml");
    let text = std::fs::read_to_string(&path).expect("error_test.yaml");
    let cases: Vec<serde_yaml::Value> = serde_yaml::from_str(&text).expect("yaml");
    let f = Fixture::normal();
    let (mut pass, mut fail) = (0, Vec::new());
    for c in &cases {
        let name = c["name"].as_str().unwrap_or("?").to_string();
        let query = c["gqlrequest"].as_str().unwrap_or("").to_string();
        let vars: Value = c
            .get("gqlvariables")
            .and_then(|v| v.as_str())
            .map(|s| serde_json::from_str(s).unwrap_or(Value::Null))
            .unwrap_or(Value::Null);
        let want: Vec<String> = c["errors"]
            .as_sequence()
            .map(|s| {
                s.iter()
                    .map(|e| e["message"].as_str().unwrap_or("").to_string())
                    .collect()
            })
            .unwrap_or_default();
        let req = Request {
            query,
            operation_name: None,
            variables: vars.as_object().cloned().unwrap_or_default(),
        };
        let got = f.engine.graphql_blocking(BACKEND, ADMIN, &req).to_json();
        if messages(&got) == want {
            pass += 1;
        } else {
            fail.push(format!(
                "{name}\n    want {want:?}\n    got  {:?}",
                messages(&got)
            ));
        }
    }
    // Straight to stderr (not `println!`), so the counts show even when the test passes.
    let mut err = std::io::stderr();
    let _ = writeln!(
        err,
        "conformance error_test: {pass} passed, {} failed",
        fail.len()
    );
    for f in &fail {
        let _ = writeln!(err, "  FAILED {f}");
    }
    assert!(pass >= FLOOR, "error_test regressed: {pass} < {FLOOR}");
}
