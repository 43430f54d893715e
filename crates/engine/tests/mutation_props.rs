//! Property test of `@hasInverse` maintenance: random sequences of adds, updates (set and
//! remove, from either side) and deletes keep both sides of `Author.posts` ⇄ `Post.author`
//! in agreement, keep the singular side singular, and leave no edge to a deleted node
//! through either field. Failed mutations must leave the graph as it was.

use graphcloud_engine::{Access, Caller, Engine, Request};
use graphcloud_store::{GraphRead as _, Store};
use proptest::prelude::*;
use serde_json::Value;

const BACKEND: u64 = 9;
const ADMIN: Caller = Caller {
    access: Access::Admin,
    read_only: false,
};

const SDL: &str = r#"
type Author {
    id: ID!
    name: String! @id
    posts: [Post] @hasInverse(field: author)
}
type Post {
    id: ID!
    title: String! @id
    author: Author
}
"#;

#[derive(Clone, Debug)]
enum Op {
    AddAuthor { a: u8, posts: Vec<u8> },
    AddPost { p: u8, author: Option<u8> },
    SetPostAuthor { p: u8, a: u8 },
    AddAuthorPost { a: u8, p: u8 },
    RemoveAuthorPost { a: u8, p: u8 },
    RemovePostAuthor { p: u8 },
    DeleteAuthor { a: u8 },
    DeletePost { p: u8 },
}

fn op() -> impl Strategy<Value = Op> {
    let n = 0u8..4;
    prop_oneof![
        (n.clone(), proptest::collection::vec(0u8..6, 0..3))
            .prop_map(|(a, posts)| Op::AddAuthor { a, posts }),
        (0u8..6, proptest::option::of(n.clone())).prop_map(|(p, author)| Op::AddPost { p, author }),
        (0u8..6, n.clone()).prop_map(|(p, a)| Op::SetPostAuthor { p, a }),
        (n.clone(), 0u8..6).prop_map(|(a, p)| Op::AddAuthorPost { a, p }),
        (n.clone(), 0u8..6).prop_map(|(a, p)| Op::RemoveAuthorPost { a, p }),
        (0u8..6).prop_map(|p| Op::RemovePostAuthor { p }),
        n.clone().prop_map(|a| Op::DeleteAuthor { a }),
        (0u8..6).prop_map(|p| Op::DeletePost { p }),
    ]
}

fn mutation(op: &Op) -> String {
    match op {
        Op::AddAuthor { a, posts } => {
            let posts: Vec<String> = posts
                .iter()
                .map(|p| format!(r#"{{title: "p{p}"}}"#))
                .collect();
            format!(
                r#"mutation {{ addAuthor(input: {{name: "a{a}", posts: [{}]}}) {{ numUids }} }}"#,
                posts.join(", ")
            )
        }
        Op::AddPost { p, author } => match author {
            Some(a) => format!(
                r#"mutation {{ addPost(input: {{title: "p{p}", author: {{name: "a{a}"}}}}) {{ numUids }} }}"#
            ),
            None => format!(r#"mutation {{ addPost(input: {{title: "p{p}"}}) {{ numUids }} }}"#),
        },
        Op::SetPostAuthor { p, a } => format!(
            r#"mutation {{ updatePost(input: {{filter: {{title: {{eq: "p{p}"}}}}, set: {{author: {{name: "a{a}"}}}}}}) {{ numUids }} }}"#
        ),
        Op::AddAuthorPost { a, p } => format!(
            r#"mutation {{ updateAuthor(input: {{filter: {{name: {{eq: "a{a}"}}}}, set: {{posts: [{{title: "p{p}"}}]}}}}) {{ numUids }} }}"#
        ),
        Op::RemoveAuthorPost { a, p } => format!(
            r#"mutation {{ updateAuthor(input: {{filter: {{name: {{eq: "a{a}"}}}}, remove: {{posts: [{{title: "p{p}"}}]}}}}) {{ numUids }} }}"#
        ),
        Op::RemovePostAuthor { p } => format!(
            r#"mutation {{ updatePost(input: {{filter: {{title: {{eq: "p{p}"}}}}, remove: {{author: null}}}}) {{ numUids }} }}"#
        ),
        Op::DeleteAuthor { a } => format!(
            r#"mutation {{ deleteAuthor(filter: {{name: {{eq: "a{a}"}}}}) {{ numUids }} }}"#
        ),
        Op::DeletePost { p } => {
            format!(r#"mutation {{ deletePost(filter: {{title: {{eq: "p{p}"}}}}) {{ numUids }} }}"#)
        }
    }
}

/// Every (source, predicate, target) edge of the two fields, the authors and the posts.
type GraphState = (Vec<(u64, &'static str, u64)>, Vec<u64>, Vec<u64>);

fn graph_state(engine: &Engine) -> GraphState {
    let snap = engine.store().read(BACKEND).unwrap();
    let authors: Vec<u64> = snap.uids_of_type("Author").unwrap().iter().collect();
    let posts: Vec<u64> = snap.uids_of_type("Post").unwrap().iter().collect();
    let mut edges = Vec::new();
    for uid in 1..=snap.max_uid().unwrap() {
        for t in snap.edges(uid, "Author.posts").unwrap() {
            edges.push((uid, "Author.posts", t));
        }
        for t in snap.edges(uid, "Post.author").unwrap() {
            edges.push((uid, "Post.author", t));
        }
    }
    (edges, authors, posts)
}

fn check_invariants(engine: &Engine) -> Result<(), String> {
    let (edges, authors, posts) = graph_state(engine);
    for &(src, pred, dst) in &edges {
        let (src_set, dst_set, back) = if pred == "Author.posts" {
            (&authors, &posts, "Post.author")
        } else {
            (&posts, &authors, "Author.posts")
        };
        if !src_set.contains(&src) || !dst_set.contains(&dst) {
            return Err(format!(
                "edge {src:#x} -{pred}-> {dst:#x} touches a deleted or untyped node"
            ));
        }
        if !edges.contains(&(dst, back, src)) {
            return Err(format!("edge {src:#x} -{pred}-> {dst:#x} has no inverse"));
        }
    }
    for p in &posts {
        let n = edges
            .iter()
            .filter(|e| e.0 == *p && e.1 == "Post.author")
            .count();
        if n > 1 {
            return Err(format!("post {p:#x} has {n} authors"));
        }
    }
    Ok(())
}

fn run(engine: &Engine, q: &str) -> Value {
    let req = Request {
        query: q.to_string(),
        ..Request::default()
    };
    engine.graphql_blocking(BACKEND, ADMIN, &req).to_json()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn inverse_edges_stay_in_sync(ops in proptest::collection::vec(op(), 1..14)) {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::new(Store::open(dir.path()).unwrap());
        engine.update_schema(BACKEND, ADMIN, SDL).unwrap();
        for op in &ops {
            let before = graph_state(&engine);
            let r = run(&engine, &mutation(op));
            if r.get("errors").is_some() {
                // A refused mutation changes nothing.
                prop_assert_eq!(&graph_state(&engine), &before, "{:?} -> {}", op, r);
            } else {
                prop_assert!(r["data"].is_object(), "{:?} -> {}", op, r);
            }
            if let Err(e) = check_invariants(&engine) {
                prop_assert!(false, "after {:?}: {}", op, e);
            }
        }
    }
}

#[test]
fn moving_a_post_between_authors_from_the_list_side() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::new(Store::open(dir.path()).unwrap());
    engine.update_schema(BACKEND, ADMIN, SDL).unwrap();
    for op in [
        Op::AddAuthor {
            a: 0,
            posts: vec![0],
        },
        Op::AddAuthor {
            a: 1,
            posts: vec![],
        },
        Op::AddAuthorPost { a: 1, p: 0 },
    ] {
        let r = run(&engine, &mutation(&op));
        assert!(r.get("errors").is_none(), "{op:?}: {r}");
        check_invariants(&engine).unwrap();
    }
    let (edges, _, _) = graph_state(&engine);
    assert_eq!(edges.len(), 2, "{edges:?}");
}

#[test]
fn one_to_one_pairs_stay_exclusive() {
    const PAIRS: &str = r#"
        type Husband { id: ID! name: String! @id wife: Wife @hasInverse(field: husband) }
        type Wife { id: ID! name: String! @id husband: Husband }
    "#;
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::new(Store::open(dir.path()).unwrap());
    engine.update_schema(BACKEND, ADMIN, PAIRS).unwrap();
    let pairs = |engine: &Engine| {
        run(
            engine,
            r#"{ queryHusband(order: {asc: name}) { name wife { name } } queryWife(order: {asc: name}) { name husband { name } } }"#,
        )["data"]
            .clone()
    };
    for q in [
        r#"mutation { addHusband(input: {name: "h1", wife: {name: "w1"}}) { numUids } }"#,
        r#"mutation { addHusband(input: {name: "h2", wife: {name: "w1"}}) { numUids } }"#,
    ] {
        let r = run(&engine, q);
        assert!(r.get("errors").is_none(), "{r}");
    }
    assert_eq!(
        pairs(&engine),
        serde_json::json!({
            "queryHusband": [{"name": "h1", "wife": null}, {"name": "h2", "wife": {"name": "w1"}}],
            "queryWife": [{"name": "w1", "husband": {"name": "h2"}}]})
    );
    let r = run(
        &engine,
        r#"mutation { updateWife(input: {filter: {name: {eq: "w1"}}, set: {husband: {name: "h1"}}}) { numUids } }"#,
    );
    assert!(r.get("errors").is_none(), "{r}");
    assert_eq!(
        pairs(&engine),
        serde_json::json!({
            "queryHusband": [{"name": "h1", "wife": {"name": "w1"}}, {"name": "h2", "wife": null}],
            "queryWife": [{"name": "w1", "husband": {"name": "h1"}}]})
    );
}
