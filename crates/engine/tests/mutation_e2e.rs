//! Mutations on Dgraph's `e2e/normal` schema with its `test_data.json` loaded: interfaces,
//! unions, `@hasInverse` through interfaces and self-references, several `@id` fields,
//! `@id(interface: true)`, Int64/Int keys, deep link-or-create. Expected results are derived
//! by hand from the fixture and spec R.4/R.5.

use std::path::PathBuf;

use graphcloud_engine::load::{LoadSchema, load_json};
use graphcloud_engine::mutation::store_write::TxnGraph;
use graphcloud_engine::{Access, Caller, Engine, Request};
use graphcloud_store::{GraphRead as _, Store, StoreError};
use serde_json::{Value, json};

const BACKEND: u64 = 5;
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
    /// `suite` is `normal` or `directives` (the same API with `@dgraph` storage names).
    fn suite(suite: &str) -> Fx {
        let dir = tempfile::tempdir().expect("temp dir");
        let engine = Engine::new(Store::open(dir.path()).expect("open store"));
        let base = conformance_dir().join("graphql/e2e").join(suite);
        let sdl = std::fs::read_to_string(base.join("schema.graphql")).expect("schema");
        engine
            .update_schema(BACKEND, ADMIN, &sdl)
            .expect("schema accepted");
        let data: Value =
            serde_json::from_str(&std::fs::read_to_string(base.join("test_data.json")).unwrap())
                .unwrap();
        engine
            .store()
            .write_blocking(BACKEND, move |txn| {
                let schema =
                    LoadSchema::from_txn(txn).map_err(|e| StoreError::Aborted(e.to_string()))?;
                let mut g = TxnGraph::new(txn);
                load_json(&mut g, &schema, &data).map_err(|e| StoreError::Aborted(e.to_string()))
            })
            .expect("data loads");
        Fx { engine, _dir: dir }
    }

    fn gql(&self, q: &str) -> Value {
        let req = Request {
            query: q.to_string(),
            ..Request::default()
        };
        self.engine.graphql_blocking(BACKEND, ADMIN, &req).to_json()
    }

    #[track_caller]
    fn ok(&self, q: &str) -> Value {
        let r = self.gql(q);
        assert!(
            r.get("errors").is_none(),
            "unexpected errors for {q}:\n{r:#}"
        );
        r["data"].clone()
    }

    #[track_caller]
    fn err(&self, q: &str) -> String {
        let r = self.gql(q);
        let errs = r["errors"]
            .as_array()
            .unwrap_or_else(|| panic!("expected an error for {q}, got {r:#}"));
        assert_eq!(errs.len(), 1, "{r:#}");
        errs[0]["message"].as_str().unwrap().to_string()
    }
}

fn payload_err(mutation: &str, cause: &str) -> String {
    format!(
        "couldn't rewrite mutation {mutation} because failed to rewrite mutation payload because {cause}"
    )
}

fn deep_add_with_inverse_and_existing_xid(suite: &str) {
    let fx = Fx::suite(suite);
    let d = fx.ok(
        r#"mutation { addCountry(input: [{name: "Testland", states: [{xcode: "abc", name: "Alphabet"}, {xcode: "def", name: "Vowel"}]}]) {
            numUids country { name states(order: {asc: xcode}) { xcode name country { name } } } } }"#,
    );
    assert_eq!(
        d["addCountry"],
        json!({"numUids": 3, "country": [{"name": "Testland", "states": [
            {"xcode": "abc", "name": "Alphabet", "country": {"name": "Testland"}},
            {"xcode": "def", "name": "Vowel", "country": {"name": "Testland"}}]}]})
    );
    assert_eq!(
        fx.err(r#"mutation { addState(input: {xcode: "nsw", name: "Other"}) { numUids } }"#),
        payload_err(
            "addState",
            "id nsw already exists for field xcode inside type State"
        )
    );
    // A nested reference to an existing state moves it to the new country.
    let d = fx.ok(
        r#"mutation { addCountry(input: {name: "Oz", states: [{xcode: "nsw", name: "ignored"}]}) {
            numUids country { states { xcode name country { name } } } } }"#,
    );
    assert_eq!(
        d["addCountry"],
        json!({"numUids": 1, "country": [{"states": [{"xcode": "nsw", "name": "NSW", "country": {"name": "Oz"}}]}]})
    );
}

/// `State.country` is singular and its partner `Country.states` a list: a country nested
/// under a state keeps the states it lists (only a *singular* partner field is dropped from a
/// nested object, because the link back to the parent fills it), in add, update `set` and
/// upsert alike.
fn nested_object_keeps_its_list_inverse_field(suite: &str) {
    let fx = Fx::suite(suite);
    let d = fx.ok(
        r#"mutation { addState(input: [{xcode: "X", name: "X", country: {name: "C", states: [{xcode: "Y", name: "Y"}]}}]) {
            numUids state { xcode country { name states(order: {asc: xcode}) { xcode country { name } } } } } }"#,
    );
    assert_eq!(
        d["addState"],
        json!({"numUids": 3, "state": [{"xcode": "X", "country": {"name": "C", "states": [
            {"xcode": "X", "country": {"name": "C"}},
            {"xcode": "Y", "country": {"name": "C"}}]}}]})
    );
    // update `set`: a new country listing a new state and an existing one (Y moves from C,
    // since a state has one country).
    let d = fx.ok(
        r#"mutation { updateState(input: {filter: {xcode: {eq: "X"}}, set: {country: {name: "D", states: [{xcode: "Z", name: "Z"}, {xcode: "Y"}]}}}) {
            numUids state { country { name states(order: {asc: xcode}) { xcode country { name } } } } } }"#,
    );
    assert_eq!(
        d["updateState"],
        json!({"numUids": 1, "state": [{"country": {"name": "D", "states": [
            {"xcode": "X", "country": {"name": "D"}},
            {"xcode": "Y", "country": {"name": "D"}},
            {"xcode": "Z", "country": {"name": "D"}}]}}]})
    );
    assert_eq!(
        fx.ok(r#"{ queryCountry(filter: {name: {eq: "C"}}) { states { xcode } } }"#),
        json!({"queryCountry": [{"states": []}]})
    );
    // upsert of an existing state: the nested country's list is written too.
    let d = fx.ok(
        r#"mutation { addState(input: [{xcode: "X", name: "X2", country: {name: "E", states: [{xcode: "W", name: "W"}]}}], upsert: true) {
            numUids state { name country { name states(order: {asc: xcode}) { xcode } } } } }"#,
    );
    assert_eq!(
        d["addState"],
        json!({"numUids": 2, "state": [{"name": "X2", "country": {"name": "E", "states": [
            {"xcode": "W"}, {"xcode": "X"}]}}]})
    );
    assert_eq!(
        fx.ok(r#"{ queryCountry(filter: {name: {eq: "D"}}) { states(order: {asc: xcode}) { xcode } } }"#),
        json!({"queryCountry": [{"states": [{"xcode": "Y"}, {"xcode": "Z"}]}]})
    );
}

/// A top-level object's key counts as seen before its nested objects are written, for a
/// new node and an upserted existing one alike: naming it again under `Country.states`
/// (whose partner `State.country` is singular) gives the state a second parent.
fn top_level_key_repeated_under_a_singular_partner(suite: &str) {
    let fx = Fx::suite(suite);
    for (key, upsert) in [("fresh", "false"), ("nsw", "true")] {
        let before = fx.ok(r#"{ queryState(order: {asc: xcode}) { xcode name country { name } } queryCountry(order: {asc: name}) { name } }"#);
        assert_eq!(
            fx.err(&format!(
                r#"mutation {{ addState(input: [{{xcode: "{key}", name: "N", country: {{name: "Q", states: [{{xcode: "{key}"}}]}}}}], upsert: {upsert}) {{ numUids }} }}"#
            )),
            payload_err("addState", &format!("duplicate XID found: {key}"))
        );
        assert_eq!(
            fx.ok(r#"{ queryState(order: {asc: xcode}) { xcode name country { name } } queryCountry(order: {asc: name}) { name } }"#),
            before
        );
    }
}

/// An update whose filter matches several nodes writes its `set` once: a nested new object
/// is one node, linked to every matched node (so its list partner lists them all).
fn update_of_several_nodes_creates_a_nested_object_once(suite: &str) {
    let fx = Fx::suite(suite);
    let d = fx.ok(
        r#"mutation { updateState(input: {filter: {xcode: {in: ["nsw", "nusa"]}}, set: {capital: "K", country: {name: "Zed"}}}) {
            numUids state(order: {asc: xcode}) { xcode capital country { name } } } }"#,
    );
    assert_eq!(
        d["updateState"],
        json!({"numUids": 2, "state": [
            {"xcode": "nsw", "capital": "K", "country": {"name": "Zed"}},
            {"xcode": "nusa", "capital": "K", "country": {"name": "Zed"}}]})
    );
    assert_eq!(
        fx.ok(r#"{ queryCountry(filter: {name: {eq: "Zed"}}) { name states(order: {asc: xcode}) { xcode } } }"#),
        json!({"queryCountry": [{"name": "Zed", "states": [{"xcode": "nsw"}, {"xcode": "nusa"}]}]})
    );
}

fn add_post_links_author_by_id_and_fills_posts(suite: &str) {
    let fx = Fx::suite(suite);
    let aid =
        fx.ok(r#"{ queryAuthor(filter: {name: {eq: "Three Author"}}) { id } }"#)["queryAuthor"][0]
            ["id"]
            .as_str()
            .unwrap()
            .to_string();
    let d = fx.ok(&format!(
        r#"mutation {{ addPost(input: [{{title: "New post", author: {{id: "{aid}"}}, numViews: "9000000000"}}]) {{
            numUids post {{ title numViews author {{ name posts {{ title }} }} }} }} }}"#
    ));
    assert_eq!(
        d["addPost"],
        json!({"numUids": 1, "post": [{"title": "New post", "numViews": 9000000000i64,
            "author": {"name": "Three Author", "posts": [{"title": "New post"}]}}]})
    );
}

fn interface_types_and_inverse_through_interfaces(suite: &str) {
    let fx = Fx::suite(suite);
    let d = fx.ok(
        r#"mutation { addHuman(input: {name: "Han", ename: "Solo", appearsIn: [NEWHOPE], starships: [{name: "Falcon", length: 34.5}], totalCredits: 10}) {
            numUids human { name ename appearsIn starships { name length } totalCredits } } }"#,
    );
    assert_eq!(
        d["addHuman"],
        json!({"numUids": 2, "human": [{"name": "Han", "ename": "Solo", "appearsIn": ["NEWHOPE"],
            "starships": [{"name": "Falcon", "length": 34.5}], "totalCredits": 10.0}]})
    );
    assert_eq!(
        fx.ok(r#"{ queryCharacter(filter: {name: {eq: "Han"}}) { __typename name } queryEmployee { ename } }"#),
        json!({"queryCharacter": [{"__typename": "Human", "name": "Han"}], "queryEmployee": [{"ename": "Solo"}]})
    );
    let snap = fx.engine.store().read(BACKEND).unwrap();
    let uid = snap.uids_of_type("Human").unwrap().iter().next().unwrap();
    let mut types = snap.types(uid).unwrap();
    types.sort();
    if suite == "normal" {
        assert_eq!(types, vec!["Character", "Employee", "Human"]);
    } else {
        assert_eq!(
            types,
            vec!["Human", "performance.character", "test.dgraph.employee.en"]
        );
    }

    // Teacher.teaches is the inverse of Student.taughtBy (declared on the student side).
    fx.ok(
        r#"mutation { addTeacher(input: {xid: "T1", name: "Tina", teaches: [{xid: "S1", name: "Sam"}, {xid: "S2", name: "Sue"}]}) { numUids } }"#,
    );
    assert_eq!(
        fx.ok(r#"{ queryStudent(order: {asc: xid}) { xid taughtBy { xid } } }"#),
        json!({"queryStudent": [{"xid": "S1", "taughtBy": [{"xid": "T1"}]}, {"xid": "S2", "taughtBy": [{"xid": "T1"}]}]})
    );
    // `xid` is unique per implementing type: a Student may reuse a Teacher's key.
    let d = fx.ok(r#"mutation { addStudent(input: {xid: "T1", name: "Tim", taughtBy: [{xid: "T1"}]}) { numUids } }"#);
    assert_eq!(d["addStudent"]["numUids"], json!(1));
    assert_eq!(
        fx.ok(r#"{ queryTeacher { xid teaches(order: {asc: name}) { name } } }"#),
        json!({"queryTeacher": [{"xid": "T1", "teaches": [{"name": "Sam"}, {"name": "Sue"}, {"name": "Tim"}]}]})
    );
}

fn self_inverse_fields(suite: &str) {
    let fx = Fx::suite(suite);
    let d = fx.ok(
        r#"mutation { addPerson1(input: [{name: "a", friends: [{name: "b"}], closeFriends: [{name: "c"}]}]) { numUids } }"#,
    );
    assert_eq!(d["addPerson1"]["numUids"], json!(3));
    assert_eq!(
        fx.ok(r#"{ queryPerson1(order: {asc: name}) { name friends { name } closeFriends { name } } }"#),
        json!({"queryPerson1": [
            {"name": "a", "friends": [{"name": "b"}], "closeFriends": [{"name": "c"}]},
            {"name": "b", "friends": [{"name": "a"}], "closeFriends": []},
            {"name": "c", "friends": [], "closeFriends": [{"name": "a"}]}]})
    );
}

fn union_members(suite: &str) {
    let fx = Fx::suite(suite);
    let d = fx.ok(
        r#"mutation { addHome(input: {address: "Earth",
              members: [{dogRef: {category: Mammal, breed: "Lab"}}, {plantRef: {breed: "Rose"}}, {humanRef: {name: "Jo", ename: "J"}}],
              favouriteMember: {parrotRef: {category: Bird, repeatsWords: ["hi"]}}}) {
            numUids home { address favouriteMember { __typename ... on Parrot { repeatsWords } }
              members { __typename ... on Dog { breed } ... on Plant { breed } ... on Human { name } } } } }"#,
    );
    assert_eq!(
        d["addHome"],
        json!({"numUids": 5, "home": [{"address": "Earth",
            "favouriteMember": {"__typename": "Parrot", "repeatsWords": ["hi"]},
            "members": [{"__typename": "Dog", "breed": "Lab"}, {"__typename": "Plant", "breed": "Rose"}, {"__typename": "Human", "name": "Jo"}]}]})
    );
    assert_eq!(
        fx.err(r#"mutation { addHome(input: {address: "x", members: [{dogRef: {breed: "a"}}, {}]}) { numUids } }"#),
        payload_err("addHome", "value for field `members` in type `Home` index `1` must have exactly one child, found 0 children")
    );
}

fn int64_and_int_keys(suite: &str) {
    let fx = Fx::suite(suite);
    assert_eq!(
        fx.err(r#"mutation { addBook(input: {bookId: 1234567890, name: "dup"}) { numUids } }"#),
        payload_err(
            "addBook",
            "id 1234567890 already exists for field bookId inside type Book"
        )
    );
    let d = fx.ok(
        r#"mutation { addChapter(input: {chapterId: 2, name: "Two", book: {bookId: 1234567890}}) {
            numUids chapter { chapterId book { name chapters(order: {asc: chapterId}) { chapterId } } } } }"#,
    );
    assert_eq!(
        d["addChapter"],
        json!({"numUids": 1, "chapter": [{"chapterId": 2, "book": {"name": "Dgraph and Graphql", "chapters": [{"chapterId": 2}]}}]})
    );
}

fn several_keys_per_type(suite: &str) {
    let fx = Fx::suite(suite);
    fx.ok(r#"mutation { addWorker(input: {name: "w", regNo: 1, uniqueId: 1, empId: "E1"}) { numUids } }"#);
    assert_eq!(
        fx.err(r#"mutation { addWorker(input: {name: "w2", regNo: 1, empId: "E2"}) { numUids } }"#),
        payload_err(
            "addWorker",
            "id 1 already exists for field regNo inside type Worker"
        )
    );
    let d = fx.ok(
        r#"mutation { addEmployer(input: {company: "Acme", worker: [{empId: "E1"}]}) { numUids employer { company worker { name regNo } } } }"#,
    );
    assert_eq!(
        d["addEmployer"],
        json!({"numUids": 1, "employer": [{"company": "Acme", "worker": [{"name": "w", "regNo": 1}]}]})
    );
    assert_eq!(
        fx.err(r#"mutation { addEmployer(input: {company: "Other", worker: [{empId: "E9"}]}) { numUids } }"#),
        payload_err("addEmployer", "field regNo cannot be empty")
    );
    // Every key given: the required-field check comes next.
    assert_eq!(
        fx.err(r#"mutation { addEmployer(input: {company: "Other", worker: [{regNo: 9, uniqueId: 9, empId: "E9"}]}) { numUids } }"#),
        payload_err("addEmployer", "type Worker requires a value for field name, but no value present")
    );
}

fn interface_wide_keys(suite: &str) {
    let fx = Fx::suite(suite);
    fx.ok(r#"mutation { addLibraryMember(input: {refID: "101", name: "Alice", readHours: "4d2hr"}) { numUids } }"#);
    for upsert in ["false", "true"] {
        assert_eq!(
            fx.err(&format!(
                r#"mutation {{ addSportsMember(input: {{refID: "101", name: "Bob", teamID: "T1", teamName: "x"}}, upsert: {upsert}) {{ numUids }} }}"#
            )),
            payload_err(
                "addSportsMember",
                "id 101 already exists for field refID in some other implementing type of interface Member"
            )
        );
    }
    fx.ok(r#"mutation { addCricketTeam(input: {teamID: "T1", teamName: "Tigers"}) { numUids } }"#);
    assert_eq!(
        fx.err(r#"mutation { addSportsMember(input: {refID: "102", name: "Bob", teamID: "T1", teamName: "y"}) { numUids } }"#),
        payload_err(
            "addSportsMember",
            "id T1 already exists for field teamID in some other implementing type of interface Team"
        )
    );
    // `name` is only unique per type: a SportsMember may share a LibraryMember's name.
    let d = fx.ok(
        r#"mutation { addSportsMember(input: {refID: "103", name: "Alice", teamID: "T2", teamName: "z"}) { numUids } }"#,
    );
    assert_eq!(d["addSportsMember"]["numUids"], json!(1));
}

fn deep_inverse_chain_with_reference_to_an_object_of_the_same_request(suite: &str) {
    let fx = Fx::suite(suite);
    let d = fx.ok(
        r#"mutation { addOwner(input: {username: "u", password: "pw", projects: [{id: "p1", name: "proj",
              datasets: [{id: "d1", name: "ds", owner: {username: "u"}}]}]}) { numUids } }"#,
    );
    assert_eq!(d["addOwner"]["numUids"], json!(3));
    assert_eq!(
        fx.ok(
            r#"{ queryDataset { id owner { username } project { id owner { username } } }
                   queryOwner { username projects { id datasets { id } } } }"#
        ),
        json!({"queryDataset": [{"id": "d1", "owner": {"username": "u"}, "project": {"id": "p1", "owner": {"username": "u"}}}],
               "queryOwner": [{"username": "u", "projects": [{"id": "p1", "datasets": [{"id": "d1"}]}]}]})
    );
}

fn repeated_deep_keys_and_upsert(suite: &str) {
    let fx = Fx::suite(suite);
    let d = fx.ok(
        r#"mutation { addpost1(input: [{title: "t1", author: {name: "a1"}}, {title: "t2", author: {name: "a1"}}]) { numUids } }"#,
    );
    assert_eq!(d["addpost1"]["numUids"], json!(3));
    assert_eq!(
        fx.ok(r#"{ queryauthor1 { name posts(order: {asc: title}) { title } } }"#),
        json!({"queryauthor1": [{"name": "a1", "posts": [{"title": "t1"}, {"title": "t2"}]}]})
    );
    let d = fx.ok(
        r#"mutation { addpost1(input: [{title: "t1", numLikes: 5}], upsert: true) { numUids post1 { title numLikes author { name } } } }"#,
    );
    assert_eq!(
        d["addpost1"],
        json!({"numUids": 0, "post1": [{"title": "t1", "numLikes": 5, "author": {"name": "a1"}}]})
    );
}

fn linked_nodes_are_never_modified(suite: &str) {
    let fx = Fx::suite(suite);
    let d = fx.ok(r#"mutation { addPost1(input: [{id: "P1", comments: [{id: "C1", replies: [{id: "R1"}]}]}]) { numUids } }"#);
    assert_eq!(d["addPost1"]["numUids"], json!(3));
    let d = fx.ok(
        r#"mutation { addPost1(input: [{id: "P2", comments: [{id: "C1", replies: [{id: "R2"}]}]}]) {
            numUids post1 { id comments { id replies { id } } } } }"#,
    );
    assert_eq!(
        d["addPost1"],
        json!({"numUids": 1, "post1": [{"id": "P2", "comments": [{"id": "C1", "replies": [{"id": "R1"}]}]}]})
    );
    assert_eq!(
        fx.ok(r#"{ getComment1(id: "R2") { id } }"#),
        json!({"getComment1": null})
    );
}

fn update_and_delete_on_fixture_data(suite: &str) {
    let fx = Fx::suite(suite);
    fx.ok(r#"mutation { updateCountry(input: {filter: {name: {eq: "India"}}, remove: {states: [{xcode: "mh"}]}}) { numUids } }"#);
    assert_eq!(
        fx.ok(r#"{ queryCountry(filter: {name: {eq: "India"}}) { states(order: {asc: xcode}) { xcode } } getState(xcode: "mh") { country { name } } }"#),
        json!({"queryCountry": [{"states": [{"xcode": "gj"}, {"xcode": "ka"}]}], "getState": {"country": null}})
    );
    let d = fx.ok(
        r#"mutation { updatePost(input: {filter: {isPublished: false}, set: {isPublished: true, tags: ["New"]}, remove: {tags: ["Random"]}}) {
            numUids post { title isPublished tags } } }"#,
    );
    assert_eq!(
        d["updatePost"],
        json!({"numUids": 1, "post": [{"title": "Random post", "isPublished": true, "tags": ["New"]}]})
    );
    let d = fx.ok(
        r#"mutation { deleteAuthor(filter: {name: {eq: "Ann Other Author"}}) { msg numUids author { name posts(order: {asc: title}) { title } } } }"#,
    );
    assert_eq!(
        d["deleteAuthor"],
        json!({"msg": "Deleted", "numUids": 1, "author": [{"name": "Ann Other Author",
            "posts": [{"title": "Learning GraphQL in Dgraph"}, {"title": "Random post"}]}]})
    );
    assert_eq!(
        fx.ok(r#"{ queryAuthor(order: {asc: name}) { name } }"#),
        json!({"queryAuthor": [{"name": "Ann Author"}, {"name": "Three Author"}]})
    );
    // The posts lost their (non-null) author edge with the inverse clean-up.
    let snap = fx.engine.store().read(BACKEND).unwrap();
    let (post_type, author_pred) = if suite == "normal" {
        ("Post", "Post.author")
    } else {
        ("myPost", "post.author")
    };
    let orphans = snap
        .uids_of_type(post_type)
        .unwrap()
        .iter()
        .filter(|&p| snap.edges(p, author_pred).unwrap().is_empty())
        .count();
    assert_eq!(orphans, 2);
}

fn extended_type_keyed_by_id(suite: &str) {
    let fx = Fx::suite(suite);
    let d = fx.ok(
        r#"mutation { addAstronaut(input: [{id: "1", name: "Neil", isActive: true, missions: [{id: "m1", designation: "Apollo 11"}]}]) {
            numUids astronaut { name isActive missions { id designation crew { name } } } } }"#,
    );
    assert_eq!(
        d["addAstronaut"],
        json!({"numUids": 2, "astronaut": [{"name": "Neil", "isActive": true,
            "missions": [{"id": "m1", "designation": "Apollo 11", "crew": [{"name": "Neil"}]}]}]})
    );
    assert_eq!(
        fx.err(r#"mutation { addAstronaut(input: {id: "1", name: "Again"}) { numUids } }"#),
        payload_err("addAstronaut", "id 1 already exists for type Astronaut")
    );
    // A mission's crew refers to the astronaut by its key: linked, not created again.
    let d = fx.ok(
        r#"mutation { addMission(input: {id: "m2", designation: "Apollo 12", crew: [{id: "1", name: "ignored"}, {id: "2", name: "Pete"}]}) {
            numUids mission { crew { name missions { id } } } } }"#,
    );
    assert_eq!(
        d["addMission"],
        json!({"numUids": 2, "mission": [{"crew": [
            {"name": "Neil", "missions": [{"id": "m1"}, {"id": "m2"}]},
            {"name": "Pete", "missions": [{"id": "m2"}]}]}]})
    );
}

fn language_tagged_fields_keep_their_own_values(suite: &str) {
    let fx = Fx::suite(suite);
    let d = fx.ok(
        r#"mutation { addPerson(input: {name: "Alice", nameHi: "hi-Alice", nameZh: "zh-Alice", professionEn: "Engineer"}) {
            numUids person { name } } }"#,
    );
    assert_eq!(
        d["addPerson"],
        json!({"numUids": 1, "person": [{"name": "Alice"}]})
    );
    let snap = fx.engine.store().read(BACKEND).unwrap();
    let uid = snap.uids_of_type("Person").unwrap().iter().next().unwrap();
    let s = |p: &str| snap.values(uid, p).unwrap();
    use graphcloud_store::Value as V;
    assert_eq!(s("Person.name"), vec![V::String("Alice".into())]);
    assert_eq!(s("Person.name@hi"), vec![V::String("hi-Alice".into())]);
    assert_eq!(s("Person.name@zh"), vec![V::String("zh-Alice".into())]);
    assert_eq!(
        s("Person.profession@en"),
        vec![V::String("Engineer".into())]
    );
}

/// Every case runs on both fixtures.
macro_rules! suites {
    ($($name:ident),* $(,)?) => {
        mod normal {
            $( #[test] fn $name() { super::$name("normal") } )*
        }
        mod directives {
            $( #[test] fn $name() { super::$name("directives") } )*
        }
    };
}

suites!(
    deep_add_with_inverse_and_existing_xid,
    nested_object_keeps_its_list_inverse_field,
    top_level_key_repeated_under_a_singular_partner,
    update_of_several_nodes_creates_a_nested_object_once,
    add_post_links_author_by_id_and_fills_posts,
    interface_types_and_inverse_through_interfaces,
    self_inverse_fields,
    union_members,
    int64_and_int_keys,
    several_keys_per_type,
    interface_wide_keys,
    deep_inverse_chain_with_reference_to_an_object_of_the_same_request,
    repeated_deep_keys_and_upsert,
    linked_nodes_are_never_modified,
    update_and_delete_on_fixture_data,
    extended_type_keyed_by_id,
    language_tagged_fields_keep_their_own_values,
);
