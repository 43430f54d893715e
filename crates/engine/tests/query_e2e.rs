//! End-to-end query tests on Dgraph's `e2e/normal` schema and data. Every expected value
//! was derived by hand from `test_data.json` and the spec (graphql-backend.md R.1–R.3).

mod query_support;

use query_support::*;
use serde_json::json;

#[test]
fn query_authors_ordered_by_name() {
    let f = Fixture::normal();
    let r = f.query("{ queryAuthor(order: {asc: name}) { name reputation } }");
    assert_data(
        &r,
        json!({"queryAuthor": [
            {"name": "Ann Author", "reputation": 6.6},
            {"name": "Ann Other Author", "reputation": 8.9},
            {"name": "Three Author", "reputation": 9.1}
        ]}),
    );
}
