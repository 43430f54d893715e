//! The cases of `query_dgraph_e2e.rs` that need only the fixture's data, run against Dgraph's
//! `e2e/directives` fixture: the same GraphQL API with types and fields stored under
//! `@dgraph(type:, pred:)` names (upstream runs its common suite on both fixtures).

mod query_support;

use std::sync::OnceLock;

use query_support::*;
use serde_json::{Value, json};

fn fixture() -> Fixture {
    Fixture::directives()
}

include!("query_support/dgraph_cases.rs");

/// `DgraphDirectiveWithSpecialCharacters`: `Message.author` is stored as `<职业>`.
#[test]
fn dgraph_directive_with_special_characters() {
    let f = Fixture::directives();
    assert_data(
        &f.query("mutation { addMessage(input : [{content : \"content1\", author: \"author1\"}]) { message { content author } } }"),
        json!({"addMessage": {"message": [{"content": "content1", "author": "author1"}]}}),
    );
    assert_data(
        &f.query("query { queryMessage { content author } }"),
        json!({"queryMessage": [{"content": "content1", "author": "author1"}]}),
    );
}
