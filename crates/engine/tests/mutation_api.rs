//! Mutations through the engine's public `/graphql` entry point on a real store: add (deep,
//! link by id and xid, upsert, unions, geo, `@secret`, `@default`), `@hasInverse`
//! maintenance, update (set/remove), delete — with the exact error texts of spec R.4/R.5.
//! Expected values are derived by hand from the inputs and the spec.

use graphcloud_engine::{Access, Caller, Engine, Request};
use graphcloud_store::{GraphRead as _, Store, Value as SValue};
use serde_json::{Value, json};

const BACKEND: u64 = 3;
const ADMIN: Caller = Caller {
    access: Access::Admin,
    read_only: false,
};

const SDL: &str = r#"
type Country {
    id: ID!
    name: String! @search(by: [hash])
    states: [State] @hasInverse(field: country)
}

type State {
    id: ID!
    code: String! @id
    name: String!
    capital: String
    country: Country
}

type Author {
    id: ID!
    name: String! @id
    dob: DateTime
    reputation: Float
    posts: [Post] @hasInverse(field: author)
}

type Post {
    id: ID!
    title: String! @search(by: [term])
    tags: [String] @search(by: [exact])
    numLikes: Int @search
    views: Int64
    published: Boolean
    author: Author
    location: Point
    area: Polygon
}

type User @secret(field: "password") {
    username: String! @id
    nick: String
}

type Book {
    isbn: String! @id
    code: Int! @id
    title: String
}

interface Animal {
    id: ID!
    name: String! @search(by: [hash])
}

type Dog implements Animal {
    breed: String
}

type Cat implements Animal {
    lives: Int
}

union Pet = Dog | Cat

type Owner {
    id: ID!
    name: String! @search(by: [hash])
    pets: [Pet]
    best: Pet
}

type Booking {
    id: ID!
    name: String! @search(by: [hash])
    created: DateTime @default(add: {value: "$now"})
    status: String @default(add: {value: "new"}, update: {value: "changed"})
}

interface Member {
    refID: String! @id(interface: true)
    name: String! @id
}

type Adult implements Member {
    age: Int
}

type Child implements Member {
    school: String
}

type Film {
    id: ID!
    title: String! @search(by: [hash])
    fans: [Fan] @dgraph(pred: "~favourite")
}

type Fan {
    id: ID!
    name: String! @search(by: [hash])
    favourite: Film @dgraph(pred: "favourite")
}
"#;

struct Fx {
    engine: Engine,
    _dir: tempfile::TempDir,
}

impl Fx {
    fn new() -> Fx {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(dir.path()).expect("open store");
        let engine = Engine::new(store);
        engine
            .update_schema(BACKEND, ADMIN, SDL)
            .expect("schema accepted");
        Fx { engine, _dir: dir }
    }

    fn gql(&self, q: &str) -> Value {
        self.gql_vars(q, json!({}))
    }

    fn gql_vars(&self, q: &str, vars: Value) -> Value {
        let req = Request {
            query: q.to_string(),
            operation_name: None,
            variables: vars.as_object().cloned().unwrap_or_default(),
        };
        self.engine.graphql_blocking(BACKEND, ADMIN, &req).to_json()
    }

    /// Runs `q`, asserts it has no errors and returns `data`.
    #[track_caller]
    fn ok(&self, q: &str) -> Value {
        let r = self.gql(q);
        assert!(
            r.get("errors").is_none(),
            "unexpected errors for {q}:\n{r:#}"
        );
        r["data"].clone()
    }

    /// Runs `q` and returns its single error message.
    #[track_caller]
    fn err(&self, q: &str) -> String {
        let r = self.gql(q);
        let errs = r["errors"]
            .as_array()
            .unwrap_or_else(|| panic!("expected an error for {q}, got {r:#}"));
        assert_eq!(errs.len(), 1, "{r:#}");
        errs[0]["message"].as_str().unwrap().to_string()
    }

    fn id(&self, q: &str, path: &[&str]) -> String {
        let mut v = self.ok(q);
        for p in path {
            v = match p.parse::<usize>() {
                Ok(i) => v[i].clone(),
                Err(_) => v[*p].clone(),
            };
        }
        v.as_str()
            .unwrap_or_else(|| panic!("no id at {path:?}"))
            .to_string()
    }
}

fn payload_err(mutation: &str, cause: &str) -> String {
    format!(
        "couldn't rewrite mutation {mutation} because failed to rewrite mutation payload because {cause}"
    )
}

fn sorted(v: &Value) -> Vec<String> {
    let mut out: Vec<String> = v
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .iter()
        .map(|x| {
            x.as_str()
                .map(str::to_string)
                .unwrap_or_else(|| x.to_string())
        })
        .collect();
    out.sort();
    out
}

#[test]
fn add_scalars_lists_int64_and_geo() {
    let fx = Fx::new();
    let d = fx.ok(r#"mutation {
            addPost(input: [{title: "Hello world", tags: ["b", "a"], numLikes: 10,
                             views: "280000000000", published: true,
                             location: {longitude: 151.2, latitude: -33.8},
                             area: {coordinates: [{points: [
                                {longitude: 0, latitude: 0}, {longitude: 1, latitude: 0},
                                {longitude: 1, latitude: 1}, {longitude: 0, latitude: 0}]}]}}]) {
                numUids
                post { title tags numLikes views published
                       location { longitude latitude }
                       area { coordinates { points { longitude latitude } } } }
            }
        }"#);
    assert_eq!(d["addPost"]["numUids"], json!(1));
    let p = &d["addPost"]["post"][0];
    assert_eq!(p["title"], json!("Hello world"));
    assert_eq!(sorted(&p["tags"]), vec!["a", "b"]);
    assert_eq!(p["numLikes"], json!(10));
    assert_eq!(p["views"], json!(280000000000i64));
    assert_eq!(p["published"], json!(true));
    assert_eq!(
        p["location"],
        json!({"longitude": 151.2, "latitude": -33.8})
    );
    assert_eq!(
        p["area"],
        json!({"coordinates": [{"points": [
            {"longitude": 0.0, "latitude": 0.0}, {"longitude": 1.0, "latitude": 0.0},
            {"longitude": 1.0, "latitude": 1.0}, {"longitude": 0.0, "latitude": 0.0}]}]})
    );
}

#[test]
fn add_single_object_input_and_datetime() {
    let fx = Fx::new();
    let d = fx.ok(
        r#"mutation { addAuthor(input: {name: "Ann", dob: "2000-01-01", reputation: 6}) {
            numUids author { name dob reputation } } }"#,
    );
    assert_eq!(
        d["addAuthor"],
        json!({"numUids": 1, "author": [{"name": "Ann", "dob": "2000-01-01T00:00:00Z", "reputation": 6.0}]})
    );
}

#[test]
fn deep_add_creates_nested_nodes_and_fills_inverse() {
    let fx = Fx::new();
    let d = fx.ok(
        r#"mutation { addAuthor(input: [{name: "A", posts: [{title: "P1"}, {title: "P2"}]}]) {
            numUids author { name posts(order: {asc: title}) { title author { name } } } } }"#,
    );
    assert_eq!(
        d["addAuthor"],
        json!({"numUids": 3, "author": [{"name": "A", "posts": [
            {"title": "P1", "author": {"name": "A"}},
            {"title": "P2", "author": {"name": "A"}}]}]})
    );
}

#[test]
fn link_by_id_never_modifies_the_linked_node() {
    let fx = Fx::new();
    let cid = fx.id(
        r#"mutation { addCountry(input: {name: "Australia"}) { country { id } } }"#,
        &["addCountry", "country", "0", "id"],
    );
    let d = fx.ok(&format!(
        r#"mutation {{ addState(input: {{code: "nsw", name: "NSW", country: {{id: "{cid}", name: "Changed"}}}}) {{
            numUids state {{ code country {{ name states {{ code }} }} }} }} }}"#
    ));
    assert_eq!(
        d["addState"],
        json!({"numUids": 1, "state": [{"code": "nsw", "country": {"name": "Australia", "states": [{"code": "nsw"}]}}]})
    );
}

#[test]
fn link_to_missing_or_wrong_type_id_is_an_error() {
    let fx = Fx::new();
    assert_eq!(
        fx.err(r#"mutation { addState(input: {code: "x", name: "X", country: {id: "0x99999"}}) { numUids } }"#),
        payload_err("addState", r#"ID "0x99999" isn't a Country"#)
    );
    let aid = fx.id(
        r#"mutation { addAuthor(input: {name: "Ann"}) { author { id } } }"#,
        &["addAuthor", "author", "0", "id"],
    );
    assert_eq!(
        fx.err(&format!(
            r#"mutation {{ addState(input: {{code: "x", name: "X", country: {{id: "{aid}"}}}}) {{ numUids }} }}"#
        )),
        payload_err("addState", &format!(r#"ID "{aid}" isn't a Country"#))
    );
    assert_eq!(
        fx.err(r#"mutation { addState(input: {code: "x", name: "X", country: {id: "hi"}}) { numUids } }"#),
        payload_err("addState", "ID argument (hi) was not able to be parsed")
    );
    // Nothing of the failed mutations was written.
    assert_eq!(fx.ok("{ queryState { code } }"), json!({"queryState": []}));
}

#[test]
fn nested_xid_links_existing_or_creates() {
    let fx = Fx::new();
    fx.ok(r#"mutation { addAuthor(input: {name: "Ann", reputation: 1.5}) { numUids } }"#);
    let d = fx.ok(
        r#"mutation { addPost(input: [{title: "T1", author: {name: "Ann", reputation: 9.9}},
                                      {title: "T2", author: {name: "Bob"}}]) {
            numUids post(order: {asc: title}) { title author { name reputation } } } }"#,
    );
    // T1 links Ann (unchanged), T2 creates Bob: 3 new nodes.
    assert_eq!(
        d["addPost"],
        json!({"numUids": 3, "post": [
            {"title": "T1", "author": {"name": "Ann", "reputation": 1.5}},
            {"title": "T2", "author": {"name": "Bob", "reputation": null}}]})
    );
    assert_eq!(
        fx.ok(r#"{ getAuthor(name: "Ann") { posts { title } } }"#),
        json!({"getAuthor": {"posts": [{"title": "T1"}]}})
    );
}

#[test]
fn nested_new_node_must_have_required_fields() {
    let fx = Fx::new();
    assert_eq!(
        fx.err(
            r#"mutation { addCountry(input: {name: "X", states: [{code: "zz"}]}) { numUids } }"#
        ),
        payload_err(
            "addCountry",
            "type State requires a value for field name, but no value present"
        )
    );
    assert_eq!(
        fx.ok("{ queryCountry { name } }"),
        json!({"queryCountry": []})
    );
    assert_eq!(fx.ok("{ queryState { code } }"), json!({"queryState": []}));
}

#[test]
fn top_level_existing_xid_and_upsert() {
    let fx = Fx::new();
    fx.ok(r#"mutation { addState(input: {code: "nsw", name: "NSW"}) { numUids } }"#);
    assert_eq!(
        fx.err(r#"mutation { addState(input: {code: "nsw", name: "Again"}) { numUids } }"#),
        payload_err(
            "addState",
            "id nsw already exists for field code inside type State"
        )
    );
    let d = fx.ok(
        r#"mutation { addState(input: {code: "nsw", name: "New South Wales", capital: "Sydney"}, upsert: true) {
            numUids state { code name capital } } }"#,
    );
    assert_eq!(
        d["addState"],
        json!({"numUids": 0, "state": [{"code": "nsw", "name": "New South Wales", "capital": "Sydney"}]})
    );
    assert_eq!(
        fx.ok("{ queryState { code name } }"),
        json!({"queryState": [{"code": "nsw", "name": "New South Wales"}]})
    );
    // Upsert of a new key creates.
    let d = fx.ok(
        r#"mutation { addState(input: {code: "vic", name: "VIC"}, upsert: true) { numUids } }"#,
    );
    assert_eq!(d["addState"]["numUids"], json!(1));
}

#[test]
fn empty_and_duplicate_xids() {
    let fx = Fx::new();
    assert_eq!(
        fx.err(r#"mutation { addState(input: {code: "", name: "x"}) { numUids } }"#),
        payload_err(
            "addState",
            "encountered an empty value for @id field `code`"
        )
    );
    assert_eq!(
        fx.err(r#"mutation { addState(input: [{code: "a", name: "A"}, {code: "a", name: "B"}]) { numUids } }"#),
        payload_err("addState", "duplicate XID found: a")
    );
    assert_eq!(
        fx.err(
            r#"mutation { addCountry(input: {name: "C", states: [{code: "q", name: "Q"}, {code: "q", name: "Other"}]}) { numUids } }"#
        ),
        payload_err("addCountry", "duplicate XID found: q")
    );
    // A key repeated under a field whose partner is singular would give one state two
    // countries: always a duplicate, even for identical objects.
    assert_eq!(
        fx.err(
            r#"mutation { addCountry(input: {name: "C", states: [{code: "q", name: "Q"}, {code: "q", name: "Q"}]}) { numUids } }"#
        ),
        payload_err("addCountry", "duplicate XID found: q")
    );
    // Under a field whose partner is a list, identical objects, bare keys and one
    // definition with references all name one node.
    let d = fx.ok(
        r#"mutation { addPost(input: [{title: "a", author: {name: "R"}}, {title: "b", author: {name: "R", reputation: 2.5}},
                                      {title: "c", author: {name: "R", reputation: 2.5}}, {title: "d", author: {name: "R"}}]) {
            numUids post(order: {asc: title}) { title author { name reputation } } } }"#,
    );
    let r = json!({"name": "R", "reputation": 2.5});
    assert_eq!(
        d["addPost"],
        json!({"numUids": 5, "post": [
            {"title": "a", "author": r}, {"title": "b", "author": r},
            {"title": "c", "author": r}, {"title": "d", "author": r}]})
    );
    assert_eq!(
        fx.err(
            r#"mutation { addPost(input: [{title: "e", author: {name: "S", reputation: 1}}, {title: "f", author: {name: "S", reputation: 2}}]) { numUids } }"#
        ),
        payload_err("addPost", "duplicate XID found: S")
    );
    // A key first defined deep may be defined at top level too (the same node).
    let d = fx.ok(
        r#"mutation { addAuthor(input: [{name: "T1", posts: [{title: "t"}]}, {name: "T2", reputation: 3}]) { numUids } }"#,
    );
    assert_eq!(d["addAuthor"]["numUids"], json!(3));
}

#[test]
fn nested_objects_cannot_point_their_partner_elsewhere() {
    let fx = Fx::new();
    // The post's own `author` is ignored: it hangs from X's posts.
    let d = fx.ok(
        r#"mutation { addAuthor(input: {name: "X", posts: [{title: "p", author: {name: "Other"}}]}) {
            numUids author { posts { title author { name } } } } }"#,
    );
    assert_eq!(
        d["addAuthor"],
        json!({"numUids": 2, "author": [{"posts": [{"title": "p", "author": {"name": "X"}}]}]})
    );
    assert_eq!(
        fx.ok(r#"{ getAuthor(name: "Other") { name } }"#),
        json!({"getAuthor": null})
    );
}

#[test]
fn several_xids() {
    let fx = Fx::new();
    fx.ok(r#"mutation { addBook(input: [{isbn: "i1", code: 1}, {isbn: "i2", code: 2}]) { numUids } }"#);
    assert_eq!(
        fx.err(r#"mutation { addBook(input: {isbn: "i1", code: 2, title: "x"}, upsert: true) { numUids } }"#),
        payload_err("addBook", "multiple nodes found for given xid values, updation not possible")
    );
    assert_eq!(
        fx.err(r#"mutation { addBook(input: {isbn: "i3", code: 2}) { numUids } }"#),
        payload_err(
            "addBook",
            "id 2 already exists for field code inside type Book"
        )
    );
    let d = fx.ok(r#"mutation { addBook(input: {isbn: "i1", code: 1, title: "One"}, upsert: true) { numUids book { isbn code title } } }"#);
    assert_eq!(
        d["addBook"],
        json!({"numUids": 0, "book": [{"isbn": "i1", "code": 1, "title": "One"}]})
    );
    // An upsert found by one key never rewrites the other keys.
    let d = fx.ok(
        r#"mutation { addBook(input: {isbn: "i1", code: 7, title: "Uno"}, upsert: true) { numUids book { isbn code title } } }"#,
    );
    assert_eq!(
        d["addBook"],
        json!({"numUids": 0, "book": [{"isbn": "i1", "code": 1, "title": "Uno"}]})
    );
}

#[test]
fn interface_unique_xid() {
    let fx = Fx::new();
    fx.ok(r#"mutation { addAdult(input: {refID: "r1", name: "n1", age: 30}) { numUids } }"#);
    assert_eq!(
        fx.err(r#"mutation { addChild(input: {refID: "r1", name: "n2"}) { numUids } }"#),
        payload_err(
            "addChild",
            "id r1 already exists for field refID in some other implementing type of interface Member"
        )
    );
    // `name` is unique per implementing type only.
    let d = fx.ok(r#"mutation { addChild(input: {refID: "r2", name: "n1"}) { numUids } }"#);
    assert_eq!(d["addChild"]["numUids"], json!(1));
    assert_eq!(
        fx.err(r#"mutation { addAdult(input: {refID: "r3", name: "n1"}) { numUids } }"#),
        payload_err(
            "addAdult",
            "id n1 already exists for field name inside type Adult"
        )
    );
}

#[test]
fn unions_need_exactly_one_member_ref() {
    let fx = Fx::new();
    let d = fx.ok(
        r#"mutation { addOwner(input: {name: "O", best: {catRef: {name: "Tom", lives: 9}},
                                      pets: [{dogRef: {name: "Rex", breed: "lab"}}]}) {
            numUids owner { name best { __typename ... on Cat { name lives } }
                            pets { __typename ... on Dog { name breed } } } } }"#,
    );
    assert_eq!(
        d["addOwner"],
        json!({"numUids": 3, "owner": [{"name": "O",
            "best": {"__typename": "Cat", "name": "Tom", "lives": 9},
            "pets": [{"__typename": "Dog", "name": "Rex", "breed": "lab"}]}]})
    );
    assert_eq!(
        fx.err(
            r#"mutation { addOwner(input: {name: "P", pets: [{dogRef: {name: "a"}, catRef: {name: "b"}}]}) { numUids } }"#
        ),
        payload_err("addOwner", "value for field `pets` in type `Owner` index `0` must have exactly one child, found 2 children")
    );
    assert_eq!(
        fx.err(r#"mutation { addOwner(input: {name: "P", best: {dogRef: {name: "d"}, catRef: null}}) { numUids } }"#),
        payload_err(
            "addOwner",
            "value for field `best` in type `Owner` must have exactly one child, found 2 children"
        )
    );
    assert_eq!(
        fx.err(r#"mutation { addOwner(input: {name: "P", best: {}}) { numUids } }"#),
        payload_err(
            "addOwner",
            "value for field `best` in type `Owner` must have exactly one child, found 0 children"
        )
    );
}

#[test]
fn secret_is_hashed_and_checked() {
    let fx = Fx::new();
    assert_eq!(
        fx.err(r#"mutation { addUser(input: {username: "u", password: "abc"}) { numUids } }"#),
        payload_err(
            "addUser",
            "Password too short, i.e. should have at least 6 chars"
        )
    );
    fx.ok(r#"mutation { addUser(input: {username: "u", password: "hunter22"}) { numUids } }"#);
    assert_eq!(
        fx.ok(
            r#"{ ok: checkUserPassword(username: "u", password: "hunter22") { username }
                   bad: checkUserPassword(username: "u", password: "hunter23") { username } }"#
        ),
        json!({"ok": {"username": "u"}, "bad": null})
    );
    let snap = fx.engine.store().read(BACKEND).unwrap();
    let uid = snap
        .uids_of_type("User")
        .unwrap()
        .iter()
        .next()
        .expect("a user");
    match snap.value(uid, "User.password").unwrap() {
        Some(SValue::Password(h)) => {
            assert!(h.starts_with("$2"), "{h}");
            assert!(bcrypt::verify("hunter22", &h).unwrap());
            assert!(!bcrypt::verify("hunter23", &h).unwrap());
        }
        other => panic!("expected a password hash, got {other:?}"),
    }
}

#[test]
fn defaults_on_add_and_update() {
    let fx = Fx::new();
    let before = time::OffsetDateTime::now_utc() - time::Duration::seconds(2);
    let d = fx.ok(r#"mutation { addBooking(input: {name: "b1"}) { booking { created status } } }"#);
    let b = &d["addBooking"]["booking"][0];
    assert_eq!(b["status"], json!("new"));
    let created = time::OffsetDateTime::parse(
        b["created"].as_str().expect("created is set"),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert!(
        created >= before
            && created <= time::OffsetDateTime::now_utc() + time::Duration::seconds(2)
    );
    // Explicit values win over defaults.
    let d = fx.ok(
        r#"mutation { addBooking(input: {name: "b2", status: "held"}) { booking { status } } }"#,
    );
    assert_eq!(d["addBooking"]["booking"][0]["status"], json!("held"));
    let d = fx.ok(
        r#"mutation { updateBooking(input: {filter: {name: {eq: "b1"}}, set: {name: "b1x"}}) { numUids booking { name status } } }"#,
    );
    assert_eq!(
        d["updateBooking"],
        json!({"numUids": 1, "booking": [{"name": "b1x", "status": "changed"}]})
    );
    // An update that sets nothing changes nothing, defaults included, and (as in Dgraph)
    // reports no node.
    let d = fx.ok(
        r#"mutation { updateBooking(input: {filter: {name: {eq: "b2"}}, set: {}}) { numUids booking { name status } } }"#,
    );
    assert_eq!(d["updateBooking"], json!({"numUids": 0, "booking": []}));
    let d = fx.ok(r#"{ queryBooking(filter: {name: {eq: "b2"}}) { name status } }"#);
    assert_eq!(d["queryBooking"], json!([{"name": "b2", "status": "held"}]));
}

#[test]
fn singular_inverse_moves_the_node_away_from_its_old_parent() {
    let fx = Fx::new();
    fx.ok(r#"mutation { addAuthor(input: [{name: "A1", posts: [{title: "p1"}, {title: "p2"}]}, {name: "A2"}]) { numUids } }"#);
    // Through the singular side: p1.author := A2.
    fx.ok(r#"mutation { updatePost(input: {filter: {title: {anyofterms: "p1"}}, set: {author: {name: "A2"}}}) { numUids } }"#);
    assert_eq!(
        fx.ok(r#"{ a1: getAuthor(name: "A1") { posts { title } } a2: getAuthor(name: "A2") { posts { title } } }"#),
        json!({"a1": {"posts": [{"title": "p2"}]}, "a2": {"posts": [{"title": "p1"}]}})
    );
    // Through the list side: A2.posts += p2, so p2 leaves A1.
    let p2 = fx.id(
        r#"{ queryPost(filter: {title: {anyofterms: "p2"}}) { id } }"#,
        &["queryPost", "0", "id"],
    );
    fx.ok(&format!(
        r#"mutation {{ updateAuthor(input: {{filter: {{name: {{eq: "A2"}}}}, set: {{posts: [{{id: "{p2}"}}]}}}}) {{ numUids }} }}"#
    ));
    assert_eq!(
        fx.ok(r#"{ a1: getAuthor(name: "A1") { posts { title } } a2: getAuthor(name: "A2") { posts(order: {asc: title}) { title } }
                   queryPost(order: {asc: title}) { title author { name } } }"#),
        json!({"a1": {"posts": []}, "a2": {"posts": [{"title": "p1"}, {"title": "p2"}]},
               "queryPost": [{"title": "p1", "author": {"name": "A2"}}, {"title": "p2", "author": {"name": "A2"}}]})
    );
}

#[test]
fn update_set_and_remove() {
    let fx = Fx::new();
    fx.ok(
        r#"mutation { addPost(input: [{title: "one", tags: ["a", "b"], numLikes: 10},
                                      {title: "two", tags: ["a"], numLikes: 20}]) { numUids } }"#,
    );
    let d = fx.ok(
        r#"mutation { updatePost(input: {filter: {tags: {eq: "a"}}, set: {tags: ["c"], published: true}}) {
            numUids post(order: {asc: title}) { title tags published } } }"#,
    );
    assert_eq!(d["updatePost"]["numUids"], json!(2));
    let posts = &d["updatePost"]["post"];
    assert_eq!(sorted(&posts[0]["tags"]), vec!["a", "b", "c"]);
    assert_eq!(sorted(&posts[1]["tags"]), vec!["a", "c"]);
    assert_eq!(posts[0]["published"], json!(true));
    // Scalar removal only when equal; list element removal; `null` removes the predicate.
    let d = fx.ok(
        r#"mutation { updatePost(input: {filter: {title: {anyofterms: "one"}},
                                          remove: {numLikes: 5, tags: ["a"], published: null}}) {
            post { numLikes tags published } } }"#,
    );
    let p = &d["updatePost"]["post"][0];
    assert_eq!(p["numLikes"], json!(10));
    assert_eq!(sorted(&p["tags"]), vec!["b", "c"]);
    assert_eq!(p["published"], Value::Null);
    let d = fx.ok(
        r#"mutation { updatePost(input: {filter: {title: {anyofterms: "one"}}, remove: {numLikes: 10}, set: {title: "one again"}}) {
            post { title numLikes } } }"#,
    );
    assert_eq!(
        d["updatePost"]["post"],
        json!([{"title": "one again", "numLikes": null}])
    );
    // No match: nothing updated, empty list.
    let d = fx.ok(
        r#"mutation { updatePost(input: {filter: {title: {anyofterms: "nothing"}}, set: {numLikes: 1}}) { numUids post { title } } }"#,
    );
    assert_eq!(d["updatePost"], json!({"numUids": 0, "post": []}));
}

#[test]
fn update_removes_references_by_id_and_xid() {
    let fx = Fx::new();
    fx.ok(
        r#"mutation { addCountry(input: {name: "India", states: [{code: "mh", name: "Maharashtra"}, {code: "ka", name: "Karnataka"}]}) { numUids } }"#,
    );
    fx.ok(
        r#"mutation { updateCountry(input: {filter: {name: {eq: "India"}}, remove: {states: [{code: "mh"}, {name: "no key: ignored"}]}}) { numUids } }"#,
    );
    assert_eq!(
        fx.ok(r#"{ queryCountry { states { code } } queryState(order: {asc: code}) { code country { name } } }"#),
        json!({"queryCountry": [{"states": [{"code": "ka"}]}],
               "queryState": [{"code": "ka", "country": {"name": "India"}}, {"code": "mh", "country": null}]})
    );
    let ka = fx.id(r#"{ getState(code: "ka") { id } }"#, &["getState", "id"]);
    fx.ok(&format!(
        r#"mutation {{ updateCountry(input: {{filter: {{name: {{eq: "India"}}}}, remove: {{states: [{{id: "{ka}"}}]}}}}) {{ numUids }} }}"#
    ));
    assert_eq!(
        fx.ok(r#"{ queryCountry { states { code } } getState(code: "ka") { country { name } } }"#),
        json!({"queryCountry": [{"states": []}], "getState": {"country": null}})
    );
}

#[test]
fn update_to_an_existing_xid_is_an_error() {
    let fx = Fx::new();
    fx.ok(r#"mutation { addState(input: [{code: "a", name: "A"}, {code: "b", name: "B"}]) { numUids } }"#);
    assert_eq!(
        fx.err(r#"mutation { updateState(input: {filter: {code: {eq: "a"}}, set: {code: "b"}}) { numUids } }"#),
        payload_err("updateState", "id b already exists for field code inside type State")
    );
    let d = fx.ok(r#"mutation { updateState(input: {filter: {code: {eq: "a"}}, set: {code: "c"}}) { state { code name } } }"#);
    assert_eq!(
        d["updateState"]["state"],
        json!([{"code": "c", "name": "A"}])
    );
}

#[test]
fn delete_returns_nodes_before_deletion_and_cleans_inverse_edges() {
    let fx = Fx::new();
    fx.ok(r#"mutation { addAuthor(input: {name: "A", dob: "2001", posts: [{title: "p1"}]}) { numUids } }"#);
    let author = fx
        .engine
        .store()
        .read(BACKEND)
        .unwrap()
        .uids_of_type("Author")
        .unwrap()
        .iter()
        .next()
        .unwrap();
    let d = fx.ok(
        r#"mutation { deleteAuthor(filter: {name: {eq: "A"}}) { msg numUids author { name posts { title } } } }"#,
    );
    assert_eq!(
        d["deleteAuthor"],
        json!({"msg": "Deleted", "numUids": 1, "author": [{"name": "A", "posts": [{"title": "p1"}]}]})
    );
    assert_eq!(
        fx.ok(r#"{ queryAuthor { name } queryPost { title author { name } } }"#),
        json!({"queryAuthor": [], "queryPost": [{"title": "p1", "author": null}]})
    );
    let snap = fx.engine.store().read(BACKEND).unwrap();
    let post = snap.uids_of_type("Post").unwrap().iter().next().unwrap();
    assert!(snap.edges(post, "Post.author").unwrap().is_empty());
    // Every predicate and type of the deleted node is gone.
    assert_eq!(snap.node(author).unwrap(), vec![]);
    let d = fx.ok(
        r#"mutation { deleteAuthor(filter: {name: {eq: "A"}}) { msg numUids author { name } } }"#,
    );
    assert_eq!(
        d["deleteAuthor"],
        json!({"msg": "No nodes were deleted", "numUids": 0, "author": []})
    );
}

#[test]
fn delete_removes_forward_edges_behind_reverse_fields() {
    let fx = Fx::new();
    let film = fx.id(
        r#"mutation { addFilm(input: {title: "Up"}) { film { id } } }"#,
        &["addFilm", "film", "0", "id"],
    );
    fx.ok(&format!(
        r#"mutation {{ addFan(input: [{{name: "f1", favourite: {{id: "{film}"}}}}, {{name: "f2"}}]) {{ numUids }} }}"#
    ));
    assert_eq!(
        fx.ok(r#"{ queryFilm { title fans { name } } }"#),
        json!({"queryFilm": [{"title": "Up", "fans": [{"name": "f1"}]}]})
    );
    let d = fx.ok(r#"mutation { deleteFilm(filter: {title: {eq: "Up"}}) { numUids film { fans { name } } } }"#);
    assert_eq!(
        d["deleteFilm"],
        json!({"numUids": 1, "film": [{"fans": [{"name": "f1"}]}]})
    );
    let snap = fx.engine.store().read(BACKEND).unwrap();
    for fan in snap.uids_of_type("Fan").unwrap().iter() {
        assert!(snap.edges(fan, "favourite").unwrap().is_empty());
    }
    assert_eq!(
        fx.ok(r#"{ queryFan(order: {asc: name}) { name favourite { title } } }"#),
        json!({"queryFan": [{"name": "f1", "favourite": null}, {"name": "f2", "favourite": null}]})
    );
}

#[test]
fn add_with_nothing_to_create_is_an_error() {
    let fx = Fx::new();
    assert_eq!(
        fx.err(r#"mutation { addState(input: []) { numUids } }"#),
        "mutation addState failed because no new node was created"
    );
}

#[test]
fn variables_are_coerced_like_literals() {
    let fx = Fx::new();
    let r = fx.gql_vars(
        r#"mutation($p: [AddPostInput!]!) { addPost(input: $p) { numUids post { title views } } }"#,
        json!({"p": {"title": "v", "views": 9007199254740993i64}}),
    );
    assert!(r.get("errors").is_none(), "{r:#}");
    assert_eq!(
        r["data"]["addPost"],
        json!({"numUids": 1, "post": [{"title": "v", "views": 9007199254740993i64}]})
    );
}

#[test]
fn upsert_links_or_creates_nested_objects() {
    let fx = Fx::new();
    fx.ok(r#"mutation { addState(input: {code: "nsw", name: "NSW"}) { numUids } }"#);
    let d = fx.ok(
        r#"mutation { addState(input: {code: "nsw", name: "New South Wales", country: {name: "Oz"}}, upsert: true) {
            numUids state { name country { name states { code } } } } }"#,
    );
    // The state is updated (not counted); the nested country is new.
    assert_eq!(
        d["addState"],
        json!({"numUids": 1, "state": [{"name": "New South Wales", "country": {"name": "Oz", "states": [{"code": "nsw"}]}}]})
    );
}

#[test]
fn update_creating_nested_nodes_checks_their_required_fields() {
    let fx = Fx::new();
    fx.ok(r#"mutation { addCountry(input: {name: "Oz"}) { numUids } }"#);
    assert_eq!(
        fx.err(
            r#"mutation { updateCountry(input: {filter: {name: {eq: "Oz"}}, set: {states: [{code: "act"}]}}) { numUids } }"#
        ),
        payload_err(
            "updateCountry",
            "type State requires a value for field name, but no value present"
        )
    );
    let d = fx.ok(
        r#"mutation { updateCountry(input: {filter: {name: {eq: "Oz"}}, set: {states: [{code: "act", name: "ACT"}]}}) {
            numUids country { states { code country { name } } } } }"#,
    );
    assert_eq!(
        d["updateCountry"],
        json!({"numUids": 1, "country": [{"states": [{"code": "act", "country": {"name": "Oz"}}]}]})
    );
}

#[test]
fn invalid_datetime_is_refused() {
    let fx = Fx::new();
    assert_eq!(
        fx.err(r#"mutation { addAuthor(input: {name: "x", dob: "yesterday"}) { numUids } }"#),
        payload_err("addAuthor", "Unable to parse `yesterday` as DateTime")
    );
}

#[test]
fn concurrent_adds_of_one_key_create_one_node() {
    let fx = Fx::new();
    let results: Vec<Value> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let fx = &fx;
                s.spawn(move || {
                    fx.gql(&format!(
                        r#"mutation {{ addState(input: {{code: "dup", name: "N{i}"}}) {{ numUids }} }}"#
                    ))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let ok = results.iter().filter(|r| r.get("errors").is_none()).count();
    assert_eq!(ok, 1, "{results:#?}");
    for r in results.iter().filter(|r| r.get("errors").is_some()) {
        assert_eq!(
            r["errors"][0]["message"],
            json!(payload_err(
                "addState",
                "id dup already exists for field code inside type State"
            ))
        );
    }
    assert_eq!(
        fx.ok(r#"{ aggregateState { count } }"#),
        json!({"aggregateState": {"count": 1}})
    );
}

#[test]
fn several_mutations_run_in_order_and_stop_at_the_first_error() {
    let fx = Fx::new();
    // The second mutation sees the first one's node.
    let d = fx.ok(
        r#"mutation { a: addAuthor(input: {name: "A"}) { numUids }
                      b: addPost(input: {title: "t", author: {name: "A"}}) { numUids post { author { name } } } }"#,
    );
    assert_eq!(
        d,
        json!({"a": {"numUids": 1}, "b": {"numUids": 1, "post": [{"author": {"name": "A"}}]}})
    );
    let r = fx.gql(
        r#"mutation { a: addState(input: {code: "", name: "x"}) { numUids }
                      b: addState(input: {code: "ok", name: "y"}) { numUids } }"#,
    );
    let msgs: Vec<&str> = r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        msgs,
        vec![
            payload_err(
                "addState",
                "encountered an empty value for @id field `code`"
            )
            .as_str(),
            "Mutation b was not executed because of a previous error.",
        ]
    );
    assert_eq!(fx.ok("{ queryState { code } }"), json!({"queryState": []}));
}
