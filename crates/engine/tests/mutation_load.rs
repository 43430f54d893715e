//! The Dgraph JSON data loader (`load::load_json`) on a real store: Dgraph's own e2e fixtures
//! load against the storage schema their GraphQL schemas produce, the loaded graph answers
//! queries as the fixture says (expected values read off `test_data.json` by hand), and bad
//! data is rejected with nothing written.

use std::path::PathBuf;

use graphcloud_engine::load::{LoadError, LoadSchema, LoadSummary, PredKind, load_json};
use graphcloud_engine::mutation::store_write::TxnGraph;
use graphcloud_engine::{Access, Caller, Engine, Request};
use graphcloud_store::{GraphRead as _, Store, StoreError, Value as SValue};
use serde_json::{Value, json};

const BACKEND: u64 = 11;
const ADMIN: Caller = Caller {
    access: Access::Admin,
    read_only: false,
};

fn conformance_dir() -> PathBuf {
    match std::env::var("GRAPHCLOUD_CONFORMANCE_DIR") {
        Ok(d) => PathBuf::from(d),
        Err(_) => PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/conformance/dgraph"
        )),
    }
}

struct Fx {
    engine: Engine,
    _dir: tempfile::TempDir,
}

impl Fx {
    fn with_schema(sdl: &str) -> Fx {
        let dir = tempfile::tempdir().expect("temp dir");
        let engine = Engine::new(Store::open(dir.path()).expect("open store"));
        engine
            .update_schema(BACKEND, ADMIN, sdl)
            .expect("schema accepted");
        Fx { engine, _dir: dir }
    }

    fn e2e(suite: &str) -> (Fx, Value) {
        let base = conformance_dir().join("graphql/e2e").join(suite);
        let sdl = std::fs::read_to_string(base.join("schema.graphql")).expect("schema");
        let data = serde_json::from_str(
            &std::fs::read_to_string(base.join("test_data.json")).expect("data"),
        )
        .expect("json");
        (Fx::with_schema(&sdl), data)
    }

    fn load(&self, data: &Value) -> Result<LoadSummary, String> {
        self.load_with(data, false)
    }

    fn load_with(&self, data: &Value, lenient: bool) -> Result<LoadSummary, String> {
        let data = data.clone();
        self.engine
            .store()
            .write_blocking(BACKEND, move |txn| {
                let mut schema =
                    LoadSchema::from_txn(txn).map_err(|e| StoreError::Aborted(e.to_string()))?;
                if lenient {
                    schema = schema.allow_unknown_predicates();
                }
                let mut g = TxnGraph::new(txn);
                load_json(&mut g, &schema, &data)
                    .map_err(|e: LoadError| StoreError::Aborted(e.to_string()))
            })
            .map_err(|e| e.to_string())
    }

    #[track_caller]
    fn ok(&self, q: &str) -> Value {
        let req = Request {
            query: q.to_string(),
            ..Request::default()
        };
        let r = self.engine.graphql_blocking(BACKEND, ADMIN, &req).to_json();
        assert!(
            r.get("errors").is_none(),
            "unexpected errors for {q}:\n{r:#}"
        );
        r["data"].clone()
    }
}

#[test]
fn normal_fixture_loads_and_answers_queries() {
    let (fx, data) = Fx::e2e("normal");
    let summary = fx.load(&data).expect("fixture loads");
    // 21 objects, one per blank node.
    assert_eq!(summary.nodes, 21);
    assert_eq!(summary.blank_nodes.len(), 21);
    assert_eq!(
        fx.ok(r#"{ queryAuthor(order: {asc: name}) { name dob reputation country { name } posts(order: {asc: title}) { title author { name } } } }"#),
        json!({"queryAuthor": [
            {"name": "Ann Author", "dob": "2000-01-01T00:00:00Z", "reputation": 6.6, "country": {"name": "Bangladesh"},
             "posts": [{"title": "GraphQL doco", "author": {"name": "Ann Author"}},
                       {"title": "Introducing GraphQL in Dgraph", "author": {"name": "Ann Author"}}]},
            {"name": "Ann Other Author", "dob": "1988-01-01T00:00:00Z", "reputation": 8.9, "country": {"name": "Angola"},
             "posts": [{"title": "Learning GraphQL in Dgraph", "author": {"name": "Ann Other Author"}},
                       {"title": "Random post", "author": {"name": "Ann Other Author"}}]},
            {"name": "Three Author", "dob": "2001-01-01T00:00:00Z", "reputation": 9.1, "country": {"name": "Bangladesh"},
             "posts": []}]})
    );
    assert_eq!(
        fx.ok(r#"{ queryCountry(order: {asc: name}) { name states(order: {asc: name}) { xcode country { name } } } }"#),
        json!({"queryCountry": [
            {"name": "Angola", "states": []},
            {"name": "Bangladesh", "states": []},
            {"name": "India", "states": [
                {"xcode": "gj", "country": {"name": "India"}},
                {"xcode": "ka", "country": {"name": "India"}},
                {"xcode": "mh", "country": {"name": "India"}}]},
            {"name": "Mozambique", "states": []}]})
    );
    assert_eq!(
        fx.ok(r#"{ queryPost(order: {desc: numViews}) { numViews isPublished postType tags } }"#)["queryPost"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p["numViews"].clone(), p["isPublished"].clone(), p["postType"].clone()))
            .collect::<Vec<_>>(),
        vec![
            (json!(280000000000i64), json!(true), json!("Fact")),
            (json!(274877906944i64), json!(true), json!("Question")),
            (json!(2147483648i64), json!(true), json!("Opinion")),
            (json!(0), json!(false), json!("Fact")),
        ]
    );
    assert_eq!(
        fx.ok(r#"{ getBook(bookId: 1234567890) { name } getChapter(chapterId: 1) { name } }"#),
        json!({"getBook": {"name": "Dgraph and Graphql"}, "getChapter": {"name": "How Dgraph Works"}})
    );
}

#[test]
fn directives_fixture_loads() {
    let (fx, data) = Fx::e2e("directives");
    let summary = fx.load(&data).expect("fixture loads");
    assert_eq!(summary.nodes, 21);
    assert_eq!(
        fx.ok(r#"{ queryCountry(order: {asc: name}) { name } }"#),
        json!({"queryCountry": [{"name": "Angola"}, {"name": "Bangladesh"}, {"name": "India"}, {"name": "Mozambique"}]})
    );
}

#[test]
fn auth_fixture_loads_with_explicit_uids_and_repeated_objects() {
    let (fx, data) = Fx::e2e("auth");
    // The fixture uses predicates its schema does not declare (`Movie.disabled`): refused
    // unless unknown predicates are allowed.
    let err = fx
        .load(&data)
        .expect_err("strict load refuses unknown predicates");
    assert!(
        err.contains("[11].Movie.disabled: predicate `Movie.disabled` is not in the schema"),
        "{err}"
    );
    assert!(
        fx.engine
            .store()
            .read(BACKEND)
            .unwrap()
            .uids_of_type("Person")
            .unwrap()
            .is_empty()
    );
    fx.load_with(&data, true).expect("fixture loads");
    let snap = fx.engine.store().read(BACKEND).unwrap();
    assert_eq!(snap.types(0xffe).unwrap(), vec!["Person".to_string()]);
    assert_eq!(
        snap.value(0xfff, "Person.name").unwrap(),
        Some(SValue::String("Person2".into()))
    );
    // Objects repeating a blank node add to one node: `_:FbPost1` gets three types.
    let fb: Vec<u64> = snap.uids_of_type("FbPost").unwrap().iter().collect();
    assert_eq!(fb.len(), 2);
    for uid in fb {
        let mut t = snap.types(uid).unwrap();
        t.sort();
        assert_eq!(t, vec!["FbPost", "MsgPost", "Post"]);
    }
    // New uids never collide with the explicit ones.
    assert!(snap.max_uid().unwrap() >= 0xfff);
    assert_eq!(
        snap.values(0xffe, "Person.name").unwrap(),
        vec![SValue::String("Person1".into())]
    );
    let movies: Vec<u64> = snap.uids_with("Movie.disabled").unwrap().iter().collect();
    assert!(!movies.is_empty());
    assert!(matches!(
        snap.value(movies[0], "Movie.disabled").unwrap(),
        Some(SValue::Bool(_))
    ));
}

const SMALL: &str = r#"
type Hotel {
    id: ID!
    name: String! @search(by: [hash])
    stars: Int
    location: Point
    rooms: [Room]
    owner: Person
}
type Room { id: ID! number: Int! }
type Person { id: ID! name: String! }
"#;

#[test]
fn nested_objects_geojson_and_non_list_edges() {
    let fx = Fx::with_schema(SMALL);
    let data = json!({"set": [
        {"uid": "_:h", "dgraph.type": ["Hotel"], "Hotel.name": "Grand", "Hotel.stars": "4",
         "Hotel.location": {"type": "Point", "coordinates": [151.2, -33.8]},
         "Hotel.rooms": [{"dgraph.type": "Room", "Room.number": 1}, {"dgraph.type": "Room", "Room.number": 2}],
         "Hotel.owner": [{"uid": "_:p1", "dgraph.type": "Person", "Person.name": "First"},
                         {"uid": "_:p2", "dgraph.type": "Person", "Person.name": "Second"}]},
        {"uid": "_:h", "Hotel.stars": null}
    ]});
    let s = fx.load(&data).expect("loads");
    assert_eq!(s.nodes, 5);
    assert_eq!(
        fx.ok(r#"{ queryHotel { name stars location { longitude latitude } rooms(order: {asc: number}) { number } owner { name } } }"#),
        json!({"queryHotel": [{"name": "Grand", "stars": 4, "location": {"longitude": 151.2, "latitude": -33.8},
                               "rooms": [{"number": 1}, {"number": 2}], "owner": {"name": "Second"}}]})
    );
}

#[test]
fn bad_data_is_rejected_and_nothing_is_written() {
    let fx = Fx::with_schema(SMALL);
    let cases = [
        (
            json!([{"dgraph.type": "Hotel", "Hotel.name": "a"}, {"Hotel.nope": 1}]),
            "[1].Hotel.nope: predicate `Hotel.nope` is not in the schema",
        ),
        (
            json!([{"Hotel.name": "a", "Hotel.stars": "many"}]),
            "[0].Hotel.stars: value \"many\" does not fit a int predicate",
        ),
        (
            json!([{"Hotel.rooms": [5]}]),
            "[0].Hotel.rooms[0]: predicate `Hotel.rooms` holds uid edges; expected an object",
        ),
        (
            json!([{"Hotel.location": {"type": "Point", "coordinates": [1]}}]),
            "[0].Hotel.location: Type mismatched for Value `{\"type\":\"Point\",\"coordinates\":[1]}`, expected: geo",
        ),
        (json!([{"uid": "zzz"}]), "[0].uid: invalid uid `zzz`"),
        (json!([{"uid": "_:"}]), "[0].uid: empty blank node name"),
        (json!([1]), "[0]: expected a JSON object"),
        (json!("x"), "$: expected a JSON object or a list of objects"),
    ];
    for (data, want) in cases {
        let err = fx.load(&data).expect_err("must fail");
        assert!(err.contains(want), "{err}\n does not contain\n{want}");
    }
    let snap = fx.engine.store().read(BACKEND).unwrap();
    assert!(snap.uids_of_type("Hotel").unwrap().is_empty());
    assert!(snap.uids_with("Hotel.name").unwrap().is_empty());
}

#[test]
fn load_schema_from_predicates() {
    let mut s = LoadSchema::new();
    s.insert("A.b", PredKind::Uid, true);
    assert_eq!(
        s.get("A.b").map(|p| (p.kind, p.list)),
        Some((PredKind::Uid, true))
    );
    assert!(s.get("A.c").is_none());
}
