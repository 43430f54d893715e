//! `@lambda` fields of stored nodes are resolved with one call per response level: every
//! node of one concrete type that the same field path renders (list indices aside), for the
//! same field and arguments. A recording executor stands in for the JavaScript runtime: it
//! keeps every request body and answers from the parents it is given, so each test checks
//! both how many calls were made (with which parents, in which order) and that every result
//! lands on its own parent. Expected values are worked out by hand from the data below.
//!
//! Data: authors Ann (posts a1 likes 5, a2 likes 1; favourite b1), Bob (posts b1 likes 3,
//! b2 likes 8, b3 likes 2; favourite b1) and Cy (no posts; favourite a1). Shelves S1 (things
//! and media: book B1 with 100 pages, film F1) and S2 (book B2, film F2); books were added
//! before films.

mod query_support;

use std::sync::{Arc, Mutex};

use graphcloud_engine::lambda::{LambdaCall, LambdaExecutor};
use query_support::*;
use serde_json::{Value, json};

const SDL: &str = r#"
type Author {
  id: ID!
  name: String! @id
  posts: [Post] @hasInverse(field: author)
  favourite: Post
  score: Int @lambda
}

type Post {
  id: ID!
  title: String! @id
  likes: Int
  author: Author
  blurb(style: String): String @lambda
}

interface Thing {
  id: ID!
  label: String! @search(by: [hash])
  tag: String @lambda
}

type Book implements Thing {
  pages: Int
}

type Film implements Thing {
  minutes: Int
}

union Media = Book | Film

type Shelf {
  id: ID!
  name: String! @id
  things: [Thing]
  media: [Media]
}
"#;

/// One recorded resolver call: resolver name, arguments, and each parent's name/title/label.
#[derive(Debug, Clone, PartialEq)]
struct Seen {
    resolver: String,
    args: Value,
    parents: Vec<String>,
}

#[derive(Default)]
struct Recorder {
    calls: Mutex<Vec<Seen>>,
}

fn key_of(p: &Value) -> String {
    ["title", "name", "label"]
        .iter()
        .find_map(|k| p[*k].as_str())
        .unwrap_or("?")
        .to_string()
}

impl LambdaExecutor for Recorder {
    fn resolve(&self, call: LambdaCall<'_>) -> Result<Value, String> {
        let req = call.request;
        let resolver = req["resolver"].as_str().unwrap_or("").to_string();
        let parents: Vec<Value> = req["parents"].as_array().cloned().unwrap_or_default();
        self.calls.lock().unwrap().push(Seen {
            resolver: resolver.clone(),
            args: req["args"].clone(),
            parents: parents.iter().map(key_of).collect(),
        });
        let n = parents.len();
        match resolver.as_str() {
            "Post.blurb" => {
                let style = req["args"]["style"].as_str().unwrap_or("plain");
                match style {
                    "fail" => Err("blurb failed".into()),
                    "short" => Ok(json!(vec![Value::Null; n - 1])),
                    _ => Ok(json!(
                        parents
                            .iter()
                            .map(|p| format!("{style}|{}", key_of(p)))
                            .collect::<Vec<_>>()
                    )),
                }
            }
            // Tells each parent how big its batch was and where it stood in it.
            "Author.score" => Ok(json!((0..n).map(|i| n * 10 + i).collect::<Vec<_>>())),
            "Book.tag" | "Film.tag" => Ok(json!(
                parents
                    .iter()
                    .map(|p| format!("{resolver}:{}", key_of(p)))
                    .collect::<Vec<_>>()
            )),
            _ => Err(format!("no resolver {resolver}")),
        }
    }

    fn webhook(&self, _backend: u64, _request: Value) {}
}

struct Env {
    fx: Fixture,
    rec: Arc<Recorder>,
}

impl Env {
    fn new() -> Env {
        let fx = Fixture::empty();
        fx.engine
            .update_schema(BACKEND, ADMIN, SDL)
            .expect("schema accepted");
        fx.engine
            .set_lambda_script(BACKEND, "// resolvers are answered by the recorder")
            .expect("script stored");
        let rec = Arc::new(Recorder::default());
        fx.engine.set_lambda_executor(rec.clone());
        let env = Env { fx, rec };
        env.seed();
        env
    }

    fn seed(&self) {
        let b = self.fx.query(
            r#"mutation {
              addAuthor(input: [
                {name: "Ann", posts: [{title: "a1", likes: 5}, {title: "a2", likes: 1}]},
                {name: "Bob", posts: [{title: "b1", likes: 3}, {title: "b2", likes: 8}, {title: "b3", likes: 2}]},
                {name: "Cy"}
              ]) { numUids }
            }"#,
        );
        assert!(b.get("errors").is_none(), "{b}");
        for (who, post) in [("Ann", "b1"), ("Bob", "b1"), ("Cy", "a1")] {
            let b = self.fx.query_vars(
                "mutation($a: String!, $p: String!) { updateAuthor(input: {filter: {name: {eq: $a}}, set: {favourite: {title: $p}}}) { numUids } }",
                json!({"a": who, "p": post}),
            );
            assert_eq!(b["data"]["updateAuthor"]["numUids"], 1, "{b}");
        }
        // Books first, then films: uid order B1, B2, F1, F2.
        let mut ids = std::collections::HashMap::new();
        for (add, label) in [
            ("addBook", "B1"),
            ("addBook", "B2"),
            ("addFilm", "F1"),
            ("addFilm", "F2"),
        ] {
            let field = if add == "addBook" { "book" } else { "film" };
            let mut input = json!({"label": label});
            if label == "B1" {
                input["pages"] = json!(100);
            }
            let b = self.fx.query_vars(
                &format!(
                    "mutation($i: Add{}Input!) {{ {add}(input: [$i]) {{ {field} {{ id }} }} }}",
                    &add[3..]
                ),
                json!({"i": input}),
            );
            let id = b["data"][add][field][0]["id"]
                .as_str()
                .expect("id")
                .to_string();
            ids.insert(label, id);
        }
        for (shelf, book, film) in [("S1", "B1", "F1"), ("S2", "B2", "F2")] {
            let b = self.fx.query_vars(
                "mutation($s: String!, $b: ID!, $f: ID!) { addShelf(input: [{name: $s, things: [{id: $b}, {id: $f}], media: [{bookRef: {id: $b}}, {filmRef: {id: $f}}]}]) { numUids } }",
                json!({"s": shelf, "b": ids[book], "f": ids[film]}),
            );
            assert_eq!(b["data"]["addShelf"]["numUids"], 1, "{b}");
        }
        self.rec.calls.lock().unwrap().clear();
    }

    /// Runs a request and returns its response and the resolver calls it made.
    fn run(&self, q: &str) -> (Value, Vec<Seen>) {
        let b = self.fx.query(q);
        let calls = std::mem::take(&mut *self.rec.calls.lock().unwrap());
        (b, calls)
    }
}

fn seen(resolver: &str, args: Value, parents: &[&str]) -> Seen {
    Seen {
        resolver: resolver.into(),
        args,
        parents: parents.iter().map(|p| p.to_string()).collect(),
    }
}

#[test]
fn nested_lists_at_one_level_make_one_call_with_every_parent() {
    let env = Env::new();
    let (b, calls) = env.run(
        "{ queryAuthor(order: {asc: name}) { name posts(order: {asc: title}) { title blurb } } }",
    );
    assert_data(
        &b,
        json!({"queryAuthor": [
            {"name": "Ann", "posts": [
                {"title": "a1", "blurb": "plain|a1"},
                {"title": "a2", "blurb": "plain|a2"}
            ]},
            {"name": "Bob", "posts": [
                {"title": "b1", "blurb": "plain|b1"},
                {"title": "b2", "blurb": "plain|b2"},
                {"title": "b3", "blurb": "plain|b3"}
            ]},
            {"name": "Cy", "posts": []}
        ]}),
    );
    assert_eq!(
        calls,
        vec![seen(
            "Post.blurb",
            json!({}),
            &["a1", "a2", "b1", "b2", "b3"]
        )]
    );

    // The level's nodes are the filtered, ordered lists: Ann [a2], Bob [b3, b1].
    let (b, calls) = env.run(
        r#"{ queryAuthor(order: {asc: name}) { posts(filter: {title: {in: ["a2", "b1", "b3"]}}, order: {desc: title}) { blurb } } }"#,
    );
    assert_data(
        &b,
        json!({"queryAuthor": [
            {"posts": [{"blurb": "plain|a2"}]},
            {"posts": [{"blurb": "plain|b3"}, {"blurb": "plain|b1"}]},
            {"posts": []}
        ]}),
    );
    assert_eq!(
        calls,
        vec![seen("Post.blurb", json!({}), &["a2", "b3", "b1"])]
    );
}

#[test]
fn different_arguments_make_separate_calls_and_equal_ones_share() {
    let env = Env::new();
    let (b, calls) = env.run(
        r#"{ queryAuthor(order: {asc: name}) { posts(order: {asc: title}) {
              x: blurb(style: "loud") y: blurb(style: "soft") z: blurb(style: "loud")
        } } }"#,
    );
    let post = |t: &str| json!({"x": format!("loud|{t}"), "y": format!("soft|{t}"), "z": format!("loud|{t}")});
    assert_data(
        &b,
        json!({"queryAuthor": [
            {"posts": [post("a1"), post("a2")]},
            {"posts": [post("b1"), post("b2"), post("b3")]},
            {"posts": []}
        ]}),
    );
    let all = ["a1", "a2", "b1", "b2", "b3"];
    assert_eq!(
        calls,
        vec![
            seen("Post.blurb", json!({"style": "loud"}), &all),
            seen("Post.blurb", json!({"style": "soft"}), &all),
        ]
    );
}

#[test]
fn aliases_of_one_list_field_with_different_arguments_are_separate_levels() {
    let env = Env::new();
    // Ann's posts by likes: a1 (5), a2 (1); Bob's: b2 (8), b1 (3), b3 (2).
    let (b, calls) = env.run(
        "{ queryAuthor(order: {asc: name}) {
              top: posts(first: 1, order: {desc: likes}) { title blurb }
              rest: posts(offset: 1, order: {desc: likes}) { title blurb }
        } }",
    );
    assert_data(
        &b,
        json!({"queryAuthor": [
            {"top": [{"title": "a1", "blurb": "plain|a1"}],
             "rest": [{"title": "a2", "blurb": "plain|a2"}]},
            {"top": [{"title": "b2", "blurb": "plain|b2"}],
             "rest": [{"title": "b1", "blurb": "plain|b1"}, {"title": "b3", "blurb": "plain|b3"}]},
            {"top": [], "rest": []}
        ]}),
    );
    assert_eq!(
        calls,
        vec![
            seen("Post.blurb", json!({}), &["a1", "b2"]),
            seen("Post.blurb", json!({}), &["a2", "b1", "b3"]),
        ]
    );
}

#[test]
fn a_node_rendered_twice_at_a_level_is_sent_once_and_served_everywhere() {
    let env = Env::new();
    // Favourites: Ann → b1, Bob → b1, Cy → a1 (single edges).
    let (b, calls) =
        env.run("{ queryAuthor(order: {asc: name}) { name favourite { title blurb } } }");
    assert_data(
        &b,
        json!({"queryAuthor": [
            {"name": "Ann", "favourite": {"title": "b1", "blurb": "plain|b1"}},
            {"name": "Bob", "favourite": {"title": "b1", "blurb": "plain|b1"}},
            {"name": "Cy", "favourite": {"title": "a1", "blurb": "plain|a1"}}
        ]}),
    );
    assert_eq!(calls, vec![seen("Post.blurb", json!({}), &["b1", "a1"])]);

    // Three levels down: the authors of every post, Ann and Bob, in one call of two parents.
    let (b, calls) = env.run(
        "{ queryAuthor(order: {asc: name}) { posts(order: {asc: title}) { author { name score } } } }",
    );
    let ann = json!({"author": {"name": "Ann", "score": 20}});
    let bob = json!({"author": {"name": "Bob", "score": 21}});
    assert_data(
        &b,
        json!({"queryAuthor": [
            {"posts": [ann, ann]},
            {"posts": [bob, bob, bob]},
            {"posts": []}
        ]}),
    );
    assert_eq!(
        calls,
        vec![seen("Author.score", json!({}), &["Ann", "Bob"])]
    );
}

#[test]
fn a_get_root_and_a_list_root_are_separate_levels() {
    let env = Env::new();
    let (b, calls) = env.run(
        r#"{
          getAuthor(name: "Bob") { score posts(order: {asc: title}) { blurb } }
          queryAuthor(order: {asc: name}) { name score }
        }"#,
    );
    assert_data(
        &b,
        json!({
            "getAuthor": {"score": 10, "posts": [
                {"blurb": "plain|b1"}, {"blurb": "plain|b2"}, {"blurb": "plain|b3"}
            ]},
            "queryAuthor": [
                {"name": "Ann", "score": 30},
                {"name": "Bob", "score": 31},
                {"name": "Cy", "score": 32}
            ]
        }),
    );
    assert_eq!(
        calls,
        vec![
            seen("Author.score", json!({}), &["Bob"]),
            seen("Post.blurb", json!({}), &["b1", "b2", "b3"]),
            seen("Author.score", json!({}), &["Ann", "Bob", "Cy"]),
        ]
    );
}

#[test]
fn interface_and_union_levels_call_once_per_concrete_type() {
    let env = Env::new();
    let (b, calls) = env.run(
        "{ queryShelf(order: {asc: name}) { name things(order: {asc: label}) { label tag } } }",
    );
    assert_data(
        &b,
        json!({"queryShelf": [
            {"name": "S1", "things": [
                {"label": "B1", "tag": "Book.tag:B1"}, {"label": "F1", "tag": "Film.tag:F1"}
            ]},
            {"name": "S2", "things": [
                {"label": "B2", "tag": "Book.tag:B2"}, {"label": "F2", "tag": "Film.tag:F2"}
            ]}
        ]}),
    );
    assert_eq!(
        calls,
        vec![
            seen("Book.tag", json!({}), &["B1", "B2"]),
            seen("Film.tag", json!({}), &["F1", "F2"]),
        ]
    );

    // The same through the interface root, and through a union edge (its members come in
    // uid order: B1 before F1, B2 before F2).
    let (b, calls) = env.run("{ queryThing(order: {asc: label}) { label tag } }");
    assert_data(
        &b,
        json!({"queryThing": [
            {"label": "B1", "tag": "Book.tag:B1"}, {"label": "B2", "tag": "Book.tag:B2"},
            {"label": "F1", "tag": "Film.tag:F1"}, {"label": "F2", "tag": "Film.tag:F2"}
        ]}),
    );
    let per_type = vec![
        seen("Book.tag", json!({}), &["B1", "B2"]),
        seen("Film.tag", json!({}), &["F1", "F2"]),
    ];
    assert_eq!(calls, per_type);
    let (b, calls) = env.run(
        "{ queryShelf(order: {asc: name}) { media { ... on Book { label tag } ... on Film { label tag } } } }",
    );
    assert_data(
        &b,
        json!({"queryShelf": [
            {"media": [{"label": "B1", "tag": "Book.tag:B1"}, {"label": "F1", "tag": "Film.tag:F1"}]},
            {"media": [{"label": "B2", "tag": "Book.tag:B2"}, {"label": "F2", "tag": "Film.tag:F2"}]}
        ]}),
    );
    assert_eq!(calls, per_type);

    // The walk that finds a level's nodes applies `@cascade` as rendering does: B2 has no
    // pages, so it is neither rendered nor sent.
    let (b, calls) = env.run(
        "{ queryShelf(order: {asc: name}) { things(order: {asc: label}) @cascade { label tag ... on Book { pages } } } }",
    );
    assert_data(
        &b,
        json!({"queryShelf": [
            {"things": [{"label": "B1", "tag": "Book.tag:B1", "pages": 100}, {"label": "F1", "tag": "Film.tag:F1"}]},
            {"things": [{"label": "F2", "tag": "Film.tag:F2"}]}
        ]}),
    );
    assert_eq!(
        calls,
        vec![
            seen("Book.tag", json!({}), &["B1"]),
            seen("Film.tag", json!({}), &["F1", "F2"]),
        ]
    );
}

#[test]
fn a_failing_or_misshapen_batch_reports_at_every_parent_with_its_path() {
    let env = Env::new();
    let (b, calls) = env.run(
        r#"{ queryAuthor(order: {asc: name}) { name posts(order: {asc: title}) { title blurb(style: "fail") } } }"#,
    );
    assert_eq!(calls.len(), 1, "one call for the level: {calls:?}");
    let errs = b["errors"].as_array().expect("errors");
    let paths: Vec<&Value> = errs.iter().map(|e| &e["path"]).collect();
    assert_eq!(
        paths,
        vec![
            &json!(["queryAuthor", 0, "posts", 0, "blurb"]),
            &json!(["queryAuthor", 0, "posts", 1, "blurb"]),
            &json!(["queryAuthor", 1, "posts", 0, "blurb"]),
            &json!(["queryAuthor", 1, "posts", 1, "blurb"]),
            &json!(["queryAuthor", 1, "posts", 2, "blurb"]),
        ]
    );
    assert!(
        messages(&b).iter().all(|m| m.contains("blurb failed")),
        "{b}"
    );
    assert_eq!(b["data"]["queryAuthor"][1]["posts"][2]["title"], "b3");
    assert_eq!(
        b["data"]["queryAuthor"][1]["posts"][2]["blurb"],
        Value::Null
    );

    let (b, calls) = env.run(
        r#"{ queryAuthor(order: {asc: name}) { posts(order: {asc: title}) { blurb(style: "short") } } }"#,
    );
    assert_eq!(calls.len(), 1, "{calls:?}");
    let msgs = messages(&b);
    assert_eq!(msgs.len(), 5, "{b}");
    assert!(
        msgs.iter().all(|m| m
            .contains("resolving Post.blurb failed: the lambda returned 4 results for 5 parents")),
        "{msgs:?}"
    );
}

#[test]
fn mutation_payload_nodes_form_their_own_level() {
    let env = Env::new();
    let (b, calls) = env.run(
        r#"mutation {
          addAuthor(input: [{name: "Dee", posts: [{title: "d2"}, {title: "d1"}]}, {name: "Eve", posts: [{title: "e1"}]}]) {
            author(order: {asc: name}) { name score posts(order: {asc: title}) { blurb } }
          }
        }"#,
    );
    assert_data(
        &b,
        json!({"addAuthor": {"author": [
            {"name": "Dee", "score": 20, "posts": [{"blurb": "plain|d1"}, {"blurb": "plain|d2"}]},
            {"name": "Eve", "score": 21, "posts": [{"blurb": "plain|e1"}]}
        ]}}),
    );
    assert_eq!(
        calls,
        vec![
            seen("Author.score", json!({}), &["Dee", "Eve"]),
            seen("Post.blurb", json!({}), &["d1", "d2", "e1"]),
        ]
    );
}
