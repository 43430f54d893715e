//! Differential test of the compiled query path: random queries (filters, orders, pages,
//! nesting, aliases, fragments, variables, `__typename`, and shapes the compiled path leaves
//! to the generic executor) over random data must get byte-identical response bodies from
//! the compiled path and from the generic executor. The test also checks that the compiled
//! path really answered most of them, so it cannot pass by always falling back.

use graphcloud_engine::{Access, Caller, Engine, Request, Response};
use graphcloud_store::Store;
use serde_json::{Value, json};

const BACKEND: u64 = 7;
const ADMIN: Caller = Caller {
    access: Access::Admin,
    read_only: false,
};

const SDL: &str = r#"
enum Mood { HAPPY SAD CALM }
type Person {
    id: ID!
    name: String! @id @search(by: [hash, term])
    age: Int @search
    score: Float @search
    active: Boolean
    born: DateTime @search
    tags: [String] @search(by: [exact])
    mood: Mood
    big: Int64
    note: String
    friends: [Person] @hasInverse(field: friends)
    best: Person
    city: City
}
type City {
    id: ID!
    name: String! @id @search(by: [exact])
    population: Int @search
    people: [Person] @hasInverse(field: city)
}
"#;

/// A small deterministic generator (xorshift64*), so a failure names its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

const PEOPLE: usize = 30;
const CITIES: usize = 5;

fn gql(engine: &Engine, query: &str, vars: Value) -> Response {
    let req = Request {
        query: query.to_string(),
        operation_name: None,
        variables: vars.as_object().cloned().unwrap_or_default(),
    };
    engine.graphql_blocking(BACKEND, ADMIN, &req)
}

fn body(r: &Response) -> String {
    match &r.raw {
        Some(raw) => raw.clone(),
        None => r.to_json().to_string(),
    }
}

fn load(engine: &Engine, rng: &mut Rng) {
    let cities: Vec<Value> = (0..CITIES)
        .map(|c| {
            let mut m = json!({ "name": format!("city{c}") });
            if rng.chance(70) {
                m["population"] = json!(rng.below(1000) as i64 - 100);
            }
            m
        })
        .collect();
    let r = gql(
        engine,
        "mutation($c: [AddCityInput!]!) { addCity(input: $c) { numUids } }",
        json!({ "c": cities }),
    );
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    let words = ["red", "green", "blue", "fast", "slow", "tall"];
    let moods = ["HAPPY", "SAD", "CALM"];
    let people: Vec<Value> = (0..PEOPLE)
        .map(|p| {
            let mut m = json!({ "name": format!("{} p{p}", rng.pick(&words)) });
            if rng.chance(75) {
                // Repeated ages make ties for `order`.
                m["age"] = json!(rng.below(12) as i64 * 5);
            }
            if rng.chance(60) {
                m["score"] = json!(rng.below(1000) as f64 / 8.0 - 20.0);
            }
            if rng.chance(60) {
                m["active"] = json!(rng.chance(50));
            }
            if rng.chance(60) {
                m["born"] = json!(format!(
                    "19{:02}-0{}-1{}T0{}:00:00Z",
                    rng.below(100),
                    1 + rng.below(9),
                    rng.below(10),
                    rng.below(10)
                ));
            }
            if rng.chance(50) {
                let n = rng.below(4);
                m["tags"] = json!((0..n).map(|_| *rng.pick(&words)).collect::<Vec<_>>());
            }
            if rng.chance(60) {
                m["mood"] = json!(rng.pick(&moods));
            }
            if rng.chance(40) {
                m["big"] = json!(rng.next() as i64);
            }
            if rng.chance(30) {
                m["note"] = json!("quote \" backslash \\ tab \t unicode é ✓");
            }
            if rng.chance(80) {
                m["city"] = json!({ "name": format!("city{}", rng.below(CITIES as u64)) });
            }
            m
        })
        .collect();
    let r = gql(
        engine,
        "mutation($p: [AddPersonInput!]!) { addPerson(input: $p) { numUids } }",
        json!({ "p": people }),
    );
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    // Friends and best friends, by name.
    let names: Vec<String> = people
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect();
    for name in &names {
        let mut set = json!({});
        let n = rng.below(4);
        if n > 0 {
            set["friends"] = json!(
                (0..n)
                    .map(|_| json!({ "name": rng.pick(&names) }))
                    .collect::<Vec<_>>()
            );
        }
        if rng.chance(50) {
            set["best"] = json!({ "name": rng.pick(&names) });
        }
        if set.as_object().unwrap().is_empty() {
            continue;
        }
        let r = gql(
            engine,
            "mutation($n: String!, $s: PersonPatch!) { updatePerson(input: {filter: {name: {eq: $n}}, set: $s}) { numUids } }",
            json!({ "n": name, "s": set }),
        );
        assert!(r.errors.is_empty(), "{:?}", r.errors);
    }
}

/// Random query text (and variables) over the schema above.
struct Gen<'a> {
    rng: &'a mut Rng,
    uids: &'a [String],
    vars: serde_json::Map<String, Value>,
    var_decls: Vec<String>,
    fragments: Vec<String>,
}

impl Gen<'_> {
    fn var(&mut self, ty: &str, v: Value) -> String {
        let name = format!("v{}", self.vars.len());
        self.vars.insert(name.clone(), v);
        self.var_decls.push(format!("${name}: {ty}"));
        format!("${name}")
    }

    fn person_filter(&mut self, depth: u32) -> String {
        let choice = self.rng.below(if depth > 1 { 7 } else { 9 });
        match choice {
            0 => format!("{{ age: {{ gt: {} }} }}", self.rng.below(60)),
            1 => format!("{{ age: {{ le: {} }} }}", self.rng.below(60)),
            2 => format!(
                "{{ name: {{ anyofterms: \"{}\" }} }}",
                self.rng.pick(&["red", "blue fast", "green", "nothing"])
            ),
            3 => format!(
                "{{ has: {} }}",
                self.rng.pick(&["age", "score", "best", "tags"])
            ),
            4 => format!(
                "{{ score: {{ between: {{ min: {}, max: {} }} }} }}",
                self.rng.below(40) as i64 - 20,
                self.rng.below(100)
            ),
            5 => {
                let x = self.rng.below(60);
                let v = self.var("Int", json!(x));
                format!("{{ age: {{ ge: {v} }} }}")
            }
            6 => format!(
                "{{ tags: {{ eq: \"{}\" }} }}",
                self.rng.pick(&["red", "slow", "tall"])
            ),
            7 => format!(
                "{{ or: [{}, {}] }}",
                self.person_filter(depth + 1),
                self.person_filter(depth + 1)
            ),
            _ => format!(
                "{{ and: [{}, {{ not: {} }}] }}",
                self.person_filter(depth + 1),
                self.person_filter(depth + 1)
            ),
        }
    }

    fn order(&mut self) -> String {
        let fields = ["age", "name", "score", "born"];
        let dir = *self.rng.pick(&["asc", "desc"]);
        let f = *self.rng.pick(&fields);
        if self.rng.chance(40) {
            let dir2 = *self.rng.pick(&["asc", "desc"]);
            let f2 = *self.rng.pick(&fields);
            format!("{{ {dir}: {f}, then: {{ {dir2}: {f2} }} }}")
        } else {
            format!("{{ {dir}: {f} }}")
        }
    }

    fn list_args(&mut self, depth: u32) -> String {
        let mut args = Vec::new();
        if self.rng.chance(40) {
            let f = self.person_filter(depth);
            args.push(format!("filter: {f}"));
        }
        if self.rng.chance(50) {
            args.push(format!("order: {}", self.order()));
        }
        if self.rng.chance(50) {
            if self.rng.chance(30) {
                let x = self.rng.below(8);
                let v = self.var("Int", json!(x));
                args.push(format!("first: {v}"));
            } else {
                args.push(format!("first: {}", self.rng.below(8)));
            }
        }
        if self.rng.chance(25) {
            args.push(format!("offset: {}", self.rng.below(6)));
        }
        if args.is_empty() {
            String::new()
        } else {
            format!("({})", args.join(", "))
        }
    }

    fn alias(&mut self) -> String {
        if self.rng.chance(15) {
            format!("a{}: ", self.rng.below(1000))
        } else {
            String::new()
        }
    }

    fn city_sel(&mut self, depth: u32) -> String {
        let mut parts = vec!["name".to_string()];
        if self.rng.chance(50) {
            parts.push("population".into());
        }
        if self.rng.chance(30) {
            parts.push("id".into());
        }
        if self.rng.chance(20) {
            parts.push("__typename".into());
        }
        if depth < 2 && self.rng.chance(30) {
            let args = self.list_args(depth + 1);
            let sel = self.person_sel(depth + 1);
            parts.push(format!("people{args} {{ {sel} }}"));
        }
        parts.join(" ")
    }

    fn person_sel(&mut self, depth: u32) -> String {
        let scalars = [
            "id", "name", "age", "score", "active", "born", "tags", "mood", "big", "note",
        ];
        let mut parts: Vec<String> = Vec::new();
        let mut used: Vec<&str> = Vec::new();
        for _ in 0..(1 + self.rng.below(5)) {
            let f = *self.rng.pick(&scalars);
            if used.contains(&f) {
                continue;
            }
            used.push(f);
            parts.push(format!("{}{f}", self.alias()));
        }
        if self.rng.chance(15) {
            parts.push("__typename".into());
        }
        if depth < 3 && self.rng.chance(45) {
            let args = self.list_args(depth + 1);
            let sel = self.person_sel(depth + 1);
            parts.push(format!("friends{args} {{ {sel} }}"));
        }
        if depth < 3 && self.rng.chance(30) {
            let sel = self.person_sel(depth + 1);
            parts.push(format!("best {{ {sel} }}"));
        }
        if depth < 3 && self.rng.chance(30) {
            let sel = self.city_sel(depth + 1);
            parts.push(format!("city {{ {sel} }}"));
        }
        match self.rng.below(12) {
            // A named fragment on Person.
            0 if !used.contains(&"name") && !used.contains(&"age") => {
                let n = format!("F{}", self.fragments.len());
                self.fragments
                    .push(format!("fragment {n} on Person {{ name age }}"));
                parts.push(format!("...{n}"));
            }
            // An inline fragment, with and without a type condition.
            1 if !used.contains(&"score") => parts.push("... on Person { score }".into()),
            2 if !used.contains(&"mood") => parts.push("... { mood }".into()),
            // Shapes the compiled path leaves to the generic executor.
            3 => parts.push("friendsAggregate { count ageMax }".into()),
            8 => parts.push("cf: friends @cascade { name age }".into()),
            7 => parts.push(
                "friendsAggregate(filter: { age: { gt: 10 } }) { count scoreAvg nameMin }".into(),
            ),
            4 if !used.contains(&"note") => {
                let x = self.rng.chance(50);
                let v = self.var("Boolean!", json!(x));
                parts.push(format!("note @include(if: {v})"));
            }
            5 if !used.contains(&"age") => {
                let b = self.rng.chance(50);
                parts.push(format!("age @skip(if: {b})"));
            }
            6 if !used.contains(&"active") => {
                let x = self.rng.chance(50);
                let v = self.var("Boolean!", json!(x));
                parts.push(format!("... on Person @skip(if: {v}) {{ active }}"));
            }
            _ => {}
        }
        parts.join(" ")
    }

    fn root(&mut self) -> String {
        let alias = String::new();
        match self.rng.below(10) {
            0 | 1 => {
                let id = if self.rng.chance(85) {
                    self.rng.pick(self.uids).clone()
                } else {
                    "0xfffff".to_string()
                };
                let arg = if self.rng.chance(30) {
                    self.var("ID!", json!(id))
                } else {
                    format!("\"{id}\"")
                };
                let sel = self.person_sel(0);
                format!("{alias}getPerson(id: {arg}) {{ {sel} }}")
            }
            2 => {
                let n = format!(
                    "{} p{}",
                    self.rng
                        .pick(&["red", "green", "blue", "fast", "slow", "tall"]),
                    self.rng.below(PEOPLE as u64)
                );
                let sel = self.person_sel(0);
                format!("{alias}getPerson(name: \"{n}\") {{ {sel} }}")
            }
            3 => {
                let sel = self.city_sel(0);
                let first = self.rng.below(4) + 1;
                format!("{alias}queryCity(order: {{ asc: name }}, first: {first}) {{ {sel} }}")
            }
            4 => "__typename".to_string(),
            5 => {
                let mut args = String::new();
                if self.rng.chance(50) {
                    args = format!("(filter: {})", self.person_filter(0));
                }
                let sel = *self.rng.pick(&[
                    "count",
                    "count __typename",
                    "ageMin ageMax ageSum ageAvg",
                    "count scoreMin scoreMax scoreSum scoreAvg",
                    "nameMin nameMax bornMin bornMax",
                ]);
                format!("aggregatePerson{args} {{ {sel} }}")
            }
            _ => {
                let args = self.list_args(0);
                let sel = self.person_sel(0);
                format!("{alias}queryPerson{args} {{ {sel} }}")
            }
        }
    }

    fn query(mut self) -> (String, Value) {
        let mut roots = Vec::new();
        for i in 0..(1 + self.rng.below(3)) {
            let r = self.root();
            // Distinct response keys per root field.
            roots.push(if i == 0 {
                format!("{}{r}", self.alias())
            } else {
                format!("r{i}: {r}")
            });
        }
        let decls = if self.var_decls.is_empty() {
            String::new()
        } else {
            format!("({})", self.var_decls.join(", "))
        };
        let mut text = format!("query{decls} {{ {} }}", roots.join(" "));
        for f in &self.fragments {
            text.push(' ');
            text.push_str(f);
        }
        (text, Value::Object(self.vars))
    }
}

#[test]
fn compiled_and_generic_paths_answer_byte_identically() {
    let mut compiled_answers = 0usize;
    let mut total = 0usize;
    for seed in [1u64, 2, 3] {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::new(Store::open(dir.path()).unwrap());
        engine.update_schema(BACKEND, ADMIN, SDL).unwrap();
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ seed);
        load(&engine, &mut rng);
        let r = gql(&engine, "{ queryPerson { id } }", json!({}));
        let uids: Vec<String> = r.to_json()["data"]["queryPerson"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(uids.len(), PEOPLE);
        for case in 0..250 {
            let g = Gen {
                rng: &mut rng,
                uids: &uids,
                vars: Default::default(),
                var_decls: Vec::new(),
                fragments: Vec::new(),
            };
            let (text, vars) = g.query();
            engine.set_compiled(false);
            let generic = gql(&engine, &text, vars.clone());
            assert!(generic.raw.is_none());
            engine.set_compiled(true);
            let compiled = gql(&engine, &text, vars.clone());
            // Asked twice: the second answer comes from the prepared-operation cache.
            let again = gql(&engine, &text, vars.clone());
            assert_eq!(
                body(&generic),
                body(&compiled),
                "seed {seed} case {case}: {text} with {vars}"
            );
            assert_eq!(body(&compiled), body(&again), "seed {seed} case {case}");
            assert!(
                generic.errors.is_empty(),
                "seed {seed} case {case}: the generator wrote an invalid query {text}: {:?}",
                generic.errors
            );
            total += 1;
            if compiled.raw.is_some() {
                compiled_answers += 1;
            }
        }
    }
    // Roughly a third of the generated queries use a shape left to the generic executor.
    assert!(
        compiled_answers * 2 > total,
        "the compiled path answered only {compiled_answers} of {total} queries"
    );
    assert!(
        compiled_answers < total,
        "every query was compiled: the fallback went untested"
    );
}

#[test]
fn a_missing_non_null_value_falls_back_to_the_generic_errors() {
    // `name` is non-null; a node stored without it (through the generic loader path) makes
    // the compiled path bail out, and the generic executor answers with its error and null
    // propagation.
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::new(Store::open(dir.path()).unwrap());
    engine.update_schema(BACKEND, ADMIN, SDL).unwrap();
    let r = gql(
        &engine,
        "mutation { addCity(input: [{name: \"x\", population: 3}]) { city { id } } }",
        json!({}),
    );
    let id = r.to_json()["data"]["addCity"]["city"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    // Remove the non-null name by dropping that field's data.
    engine
        .store()
        .write_blocking(BACKEND, move |txn| {
            let uid = u64::from_str_radix(id.trim_start_matches("0x"), 16).unwrap();
            txn.remove_predicate(uid, "City.name").map(|_| ())
        })
        .unwrap();
    let q = "{ queryCity { population name } }";
    engine.set_compiled(false);
    let generic = gql(&engine, q, json!({}));
    engine.set_compiled(true);
    let compiled = gql(&engine, q, json!({}));
    assert!(compiled.raw.is_none(), "the compiled path must not answer");
    assert_eq!(body(&generic), body(&compiled));
    assert!(
        body(&compiled).contains("Non-nullable field 'name' (type String!) was not present"),
        "{}",
        body(&compiled)
    );
}

#[test]
fn cheap_gets_are_answered_inline_and_large_ones_decline() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::new(Store::open(dir.path()).unwrap());
    engine.update_schema(BACKEND, ADMIN, SDL).unwrap();
    let friends = |n: usize, tag: &str| -> Value {
        (0..n)
            .map(|i| json!({"name": format!("{tag}{i}"), "age": i}))
            .collect::<Vec<_>>()
            .into()
    };
    let r = gql(
        &engine,
        "mutation($p: [AddPersonInput!]!) { addPerson(input: $p) { person { id } } }",
        json!({"p": [
            {"name": "small", "friends": friends(3, "s")},
            {"name": "hub", "friends": friends(100, "h")},
        ]}),
    );
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    let ids = r.to_json()["data"]["addPerson"]["person"].clone();
    let (small, hub) = (ids[0]["id"].clone(), ids[1]["id"].clone());
    let q = "query($id: ID!) { getPerson(id: $id) { id name friends { name age } } }";
    let req = |id: &Value| Request {
        query: q.to_string(),
        operation_name: None,
        variables: json!({ "id": id }).as_object().cloned().unwrap(),
    };
    // Not prepared yet: never inline.
    assert!(engine.try_inline(BACKEND, ADMIN, &req(&small)).is_none());
    engine.set_compiled(false);
    let generic_small = body(&gql(&engine, q, json!({ "id": small })));
    let generic_hub = body(&gql(&engine, q, json!({ "id": hub })));
    engine.set_compiled(true);
    assert_eq!(
        body(&gql(&engine, q, json!({ "id": small }))),
        generic_small
    );
    // Prepared and planned now: 1 + 3 nodes are answered inline, identically.
    let inline = engine
        .try_inline(BACKEND, ADMIN, &req(&small))
        .expect("a cheap get is answered inline");
    assert_eq!(body(&inline), generic_small);
    assert!(generic_small.contains("\"name\":\"s2\""), "{generic_small}");
    // 1 + 100 nodes: more than an inline answer reads; the blocking path answers it all.
    assert!(engine.try_inline(BACKEND, ADMIN, &req(&hub)).is_none());
    let full = body(&gql(&engine, q, json!({ "id": hub })));
    assert_eq!(full, generic_hub);
    assert_eq!(full.matches("\"age\":").count(), 100);
    // Bad variables are answered inline with the generic path's error.
    let bad = Request {
        variables: json!({ "id": {"not": "an id"} })
            .as_object()
            .cloned()
            .unwrap(),
        ..req(&small)
    };
    let generic_bad = {
        engine.set_compiled(false);
        let r = engine.graphql_blocking(BACKEND, ADMIN, &bad);
        engine.set_compiled(true);
        body(&r)
    };
    let inline_bad = engine
        .try_inline(BACKEND, ADMIN, &bad)
        .expect("validation errors are cheap answers");
    assert_eq!(body(&inline_bad), generic_bad);
    assert!(generic_bad.contains("errors"), "{generic_bad}");
    // A list root is never inline.
    let list = "{ queryPerson(first: 1) { name } }";
    gql(&engine, list, json!({}));
    let list_req = Request {
        query: list.to_string(),
        operation_name: None,
        variables: Default::default(),
    };
    assert!(engine.try_inline(BACKEND, ADMIN, &list_req).is_none());
}
