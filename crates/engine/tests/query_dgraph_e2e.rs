//! Queries of Dgraph's own GraphQL end-to-end suite (`graphql/e2e/common/query.go`) run
//! against the `e2e/normal` fixture. Each expected value was checked by hand against
//! `test_data.json` (see the recap in `query_e2e.rs`). Where the upstream test compares
//! without regard to list order, so does the case here (`unordered`).

mod query_support;

use std::sync::OnceLock;

use query_support::*;
use serde_json::{Value, json};

fn fx() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(Fixture::normal)
}

/// Sorts every list (recursively) by the JSON text of its items.
fn canon(v: &Value) -> Value {
    match v {
        Value::Array(a) => {
            let mut items: Vec<Value> = a.iter().map(canon).collect();
            items.sort_by_key(|x| x.to_string());
            Value::Array(items)
        }
        Value::Object(m) => {
            let sorted: std::collections::BTreeMap<String, Value> =
                m.iter().map(|(k, v)| (k.clone(), canon(v))).collect();
            Value::Object(sorted.into_iter().collect())
        }
        other => other.clone(),
    }
}

#[track_caller]
fn ordered(query: &str, vars: Value, expected: Value) {
    assert_data(&fx().query_vars(query, vars), expected);
}

#[track_caller]
fn unordered(query: &str, vars: Value, expected: Value) {
    let r = fx().query_vars(query, vars);
    assert!(r.get("errors").is_none(), "unexpected errors: {r}");
    assert_eq!(canon(&r["data"]), canon(&expected), "\n got: {}", r["data"]);
}

fn titles(ts: &[&str]) -> Value {
    Value::Array(ts.iter().map(|t| json!({"title": t})).collect())
}

fn names(ns: &[&str]) -> Value {
    Value::Array(ns.iter().map(|n| json!({"name": n})).collect())
}

const POST_TEST: &str = "query filterVariable($filter: PostFilter) { queryPost(filter: $filter, order: { asc: title }) { title } }";
const AUTHOR_TEST: &str = "query filterVariable($filter: AuthorFilter) { queryAuthor(filter: $filter, order: { asc: name }) { name } }";

fn post_test(filter: Value, expected: &[&str]) {
    ordered(
        POST_TEST,
        json!({ "filter": filter }),
        json!({ "queryPost": titles(expected) }),
    );
}

fn author_test(filter: Value, expected: &[&str]) {
    ordered(
        AUTHOR_TEST,
        json!({ "filter": filter }),
        json!({ "queryAuthor": names(expected) }),
    );
}

const ALL_COUNTRIES: [&str; 4] = ["Angola", "Bangladesh", "India", "Mozambique"];
const DOCO: &str = "GraphQL doco";
const INTRO: &str = "Introducing GraphQL in Dgraph";
const LEARN: &str = "Learning GraphQL in Dgraph";
const RANDOM: &str = "Random post";

#[test]
fn query_by_type() {
    unordered(
        "query { queryCountry { name } }",
        Value::Null,
        json!({ "queryCountry": names(&ALL_COUNTRIES) }),
    );
}

#[test]
fn uid_alias() {
    ordered(
        "query { queryCountry(order: { asc: name }) { uid: name } }",
        Value::Null,
        json!({"queryCountry": [{"uid": "Angola"}, {"uid": "Bangladesh"}, {"uid": "India"}, {"uid": "Mozambique"}]}),
    );
}

#[test]
fn order_and_page_at_root() {
    ordered(
        "query { queryCountry(order: { asc: name }) { name } }",
        Value::Null,
        json!({ "queryCountry": names(&ALL_COUNTRIES) }),
    );
    ordered(
        "query { queryCountry(order: { desc: name }, first: 2, offset: 1) { name } }",
        Value::Null,
        json!({ "queryCountry": names(&["India", "Bangladesh"]) }),
    );
}

#[test]
fn reg_exp() {
    unordered(
        "query queryCountry($regexp: String!) { queryCountry(filter: { name: { regexp: $regexp } }) { name } }",
        json!({"regexp": "/[Aa]ng/"}),
        json!({ "queryCountry": names(&["Angola", "Bangladesh"]) }),
    );
}

#[test]
fn multiple_search_indexes() {
    for filter in [
        json!({"title": {"anyofterms": "Introducing"}}),
        json!({"title": {"alloftext": "Introducing GraphQL in Dgraph"}}),
    ] {
        ordered(
            "query queryPost($filter: PostFilter){ queryPost (filter: $filter) { title } }",
            json!({ "filter": filter }),
            json!({ "queryPost": titles(&[INTRO]) }),
        );
    }
}

#[test]
fn hash_search() {
    ordered(
        "query { queryAuthor(filter: { name: { eq: \"Ann Author\" } }) { name dob } }",
        Value::Null,
        json!({"queryAuthor": [{"name": "Ann Author", "dob": "2000-01-01T00:00:00Z"}]}),
    );
}

#[test]
fn in_filters() {
    let r = fx().query(
        "query { queryPost(filter: {numLikes: {in: [1, 77, 100, 150, 200]}}) { title numLikes } }",
    );
    assert_eq!(r["data"]["queryPost"].as_array().unwrap().len(), 3, "{r}");
    let r =
        fx().query("query { queryAuthor(filter: {reputation: {in: [6.6, 8.9, 9.5]}}) { name } }");
    assert_eq!(r["data"]["queryAuthor"].as_array().unwrap().len(), 2, "{r}");
    let r = fx().query(
        "query { queryAuthor(filter: {dob: {in: [\"2001-01-01\",\"2002-02-01\", \"2005-01-01\"]}}) { name } }",
    );
    assert_eq!(r["data"]["queryAuthor"], names(&["Three Author"]), "{r}");
}

#[test]
fn between_filters() {
    ordered(
        "query { queryPost(filter: {numLikes: {between: {min:90, max:100}}}) { title numLikes } }",
        Value::Null,
        json!({"queryPost": [{"title": INTRO, "numLikes": 100}]}),
    );
    ordered(
        "query{ queryAuthor(filter: {reputation: {between: {min:6.0, max: 7.2}}}){ name reputation posts(filter: {topic: {between: {min: \"GraphQL\", max: \"GraphQL+-\"}}}){ title topic } } }",
        Value::Null,
        json!({"queryAuthor": [{"name": "Ann Author", "reputation": 6.6, "posts": [{"title": INTRO, "topic": "GraphQL"}]}]}),
    );
}

#[test]
fn deep_filter() {
    ordered(
        "query { queryAuthor(filter: { name: { eq: \"Ann Other Author\" } }) { name posts(filter: { title: { anyofterms: \"GraphQL\" } }) { title } } }",
        Value::Null,
        json!({"queryAuthor": [{"name": "Ann Other Author", "posts": titles(&[LEARN])}]}),
    );
}

#[test]
fn date_filters() {
    author_test(json!({"dob": {"lt": "2000-01-01"}}), &["Ann Other Author"]);
    author_test(
        json!({"dob": {"le": "2000-01-01"}}),
        &["Ann Author", "Ann Other Author"],
    );
    author_test(json!({"dob": {"eq": "2000-01-01"}}), &["Ann Author"]);
    author_test(
        json!({"dob": {"ge": "2000-01-01"}}),
        &["Ann Author", "Three Author"],
    );
    author_test(json!({"dob": {"gt": "2000-01-01"}}), &["Three Author"]);
}

#[test]
fn float_filters() {
    author_test(json!({"reputation": {"lt": 8.9}}), &["Ann Author"]);
    author_test(
        json!({"reputation": {"le": 8.9}}),
        &["Ann Author", "Ann Other Author"],
    );
    author_test(json!({"reputation": {"eq": 8.9}}), &["Ann Other Author"]);
    author_test(
        json!({"reputation": {"ge": 8.9}}),
        &["Ann Other Author", "Three Author"],
    );
    author_test(json!({"reputation": {"gt": 8.9}}), &["Three Author"]);
}

#[test]
fn int32_filters() {
    post_test(json!({"numLikes": {"lt": 87}}), &[DOCO, RANDOM]);
    post_test(json!({"numLikes": {"le": 87}}), &[DOCO, LEARN, RANDOM]);
    post_test(json!({"numLikes": {"eq": 87}}), &[LEARN]);
    post_test(json!({"numLikes": {"ge": 87}}), &[INTRO, LEARN]);
    post_test(json!({"numLikes": {"gt": 87}}), &[INTRO]);
}

#[test]
fn int64_filters() {
    let v = 274_877_906_944_i64;
    post_test(json!({"numViews": {"lt": v}}), &[DOCO, RANDOM]);
    post_test(json!({"numViews": {"le": v}}), &[DOCO, LEARN, RANDOM]);
    post_test(json!({"numViews": {"eq": v}}), &[LEARN]);
    post_test(json!({"numViews": {"ge": v}}), &[INTRO, LEARN]);
    post_test(json!({"numViews": {"gt": v}}), &[INTRO]);
}

#[test]
fn boolean_filters() {
    post_test(json!({"isPublished": true}), &[DOCO, INTRO, LEARN]);
    post_test(json!({"isPublished": false}), &[RANDOM]);
}

#[test]
fn term_and_fulltext_filters() {
    post_test(
        json!({"title": {"allofterms": "GraphQL Dgraph"}}),
        &[INTRO, LEARN],
    );
    post_test(
        json!({"title": {"anyofterms": "GraphQL Dgraph"}}),
        &[DOCO, INTRO, LEARN],
    );
    post_test(
        json!({"text": {"alloftext": "learn GraphQL"}}),
        &[DOCO, LEARN],
    );
    post_test(
        json!({"text": {"anyoftext": "learn GraphQL"}}),
        &[DOCO, INTRO, LEARN],
    );
}

#[test]
fn string_exact_filters() {
    post_test(json!({"topic": {"lt": "GraphQL"}}), &[DOCO]);
    post_test(json!({"topic": {"le": "GraphQL"}}), &[DOCO, INTRO]);
    post_test(json!({"topic": {"eq": "GraphQL"}}), &[INTRO]);
    post_test(json!({"topic": {"ge": "GraphQL"}}), &[INTRO, LEARN, RANDOM]);
    post_test(json!({"topic": {"gt": "GraphQL"}}), &[LEARN, RANDOM]);
}

#[test]
fn scalar_list_filters() {
    post_test(json!({"tags": {"lt": "Dgraph"}}), &[INTRO]);
    post_test(json!({"tags": {"le": "Dgraph"}}), &[DOCO, INTRO, LEARN]);
    post_test(json!({"tags": {"eq": "Database"}}), &[INTRO]);
    post_test(
        json!({"tags": {"ge": "Dgraph"}}),
        &[DOCO, INTRO, LEARN, RANDOM],
    );
    post_test(json!({"tags": {"gt": "GraphQL"}}), &[RANDOM]);
}

#[test]
fn skip_and_include_directives() {
    ordered(
        "query ($skipPost: Boolean!, $skipName: Boolean!) { queryAuthor(filter: { name: { eq: \"Ann Other Author\" } }) { name @skip(if: $skipName) dob reputation posts @skip(if: $skipPost) { title } } }",
        json!({"skipPost": true, "skipName": false}),
        json!({"queryAuthor": [{"name": "Ann Other Author", "dob": "1988-01-01T00:00:00Z", "reputation": 8.9}]}),
    );
    ordered(
        "query ($includeName: Boolean!, $includePost: Boolean!) { queryAuthor(filter: { name: { eq: \"Ann Other Author\" } }) { name @include(if: $includeName) dob posts @include(if: $includePost) { title } } }",
        json!({"includeName": true, "includePost": false}),
        json!({"queryAuthor": [{"name": "Ann Other Author", "dob": "1988-01-01T00:00:00Z"}]}),
    );
    ordered(
        "query ($includeFalse: Boolean!, $skipTrue: Boolean!, $includeTrue: Boolean!, $skipFalse: Boolean!) {
            queryAuthor (filter: { name: { eq: \"Ann Other Author\" } }) {
              dob @include(if: $includeFalse) @skip(if: $skipFalse)
              reputation @include(if: $includeFalse) @skip(if: $skipTrue)
              name @include(if: $includeTrue) @skip(if: $skipFalse)
              posts(filter: { title: { anyofterms: \"GraphQL\" } }, first: 10) @include(if: $includeTrue) @skip(if: $skipTrue) { title tags }
              postsAggregate {
                __typename @include(if: $includeFalse) @skip(if: $skipFalse)
                count @include(if: $includeFalse) @skip(if: $skipTrue)
                titleMin @include(if: $includeTrue) @skip(if: $skipFalse)
                numLikesMax @include(if: $includeTrue) @skip(if: $skipTrue)
              }
            }
            aggregatePost {
              __typename @include(if: $includeFalse) @skip(if: $skipFalse)
              count @include(if: $includeFalse) @skip(if: $skipTrue)
              titleMin @include(if: $includeTrue) @skip(if: $skipFalse)
              numLikesMax @include(if: $includeTrue) @skip(if: $skipTrue)
            }
          }",
        json!({"includeFalse": false, "includeTrue": true, "skipFalse": false, "skipTrue": true}),
        json!({
            "queryAuthor": [{"name": "Ann Other Author", "postsAggregate": {"titleMin": LEARN}}],
            "aggregatePost": {"titleMin": DOCO}
        }),
    );
}

fn all_posts() -> Vec<Value> {
    let r =
        fx().query("query { queryPost { postID title text tags numLikes isPublished postType } }");
    let posts = r["data"]["queryPost"].as_array().unwrap().clone();
    assert_eq!(posts.len(), 4);
    posts
}

#[test]
fn query_by_multiple_ids_and_many_gets() {
    let posts = all_posts();
    let ids: Vec<Value> = posts.iter().map(|p| p["postID"].clone()).collect();
    let r = fx().query_vars(
        "query queryPost($filter: PostFilter) { queryPost(filter: $filter) { postID title text tags numLikes isPublished postType } }",
        json!({"filter": {"postID": ids}}),
    );
    assert_eq!(r["data"]["queryPost"], Value::Array(posts.clone()), "{r}");
    // manyQueries: one get per post in one request, answered in the requested order.
    let mut q = String::from("query {\n");
    for (i, p) in posts.iter().enumerate() {
        q.push_str(&format!(
            "  query{i} : getPost(postID: {}) {{ postID title text tags isPublished postType numLikes }}\n",
            p["postID"]
        ));
    }
    q.push('}');
    let r = fx().query(&q);
    assert!(r.get("errors").is_none(), "{r}");
    for (i, p) in posts.iter().enumerate() {
        assert_eq!(&r["data"][format!("query{i}")], p);
    }
    // queriesWithError: one malformed id fails only its own field.
    let mut q = String::from("query {\n");
    for (i, p) in posts.iter().enumerate() {
        let id = if i == 2 {
            "\"Not_An_ID\"".to_string()
        } else {
            p["postID"].to_string()
        };
        q.push_str(&format!(
            "  query{i} : getPost(postID: {id}) {{ postID title text tags isPublished postType numLikes }}\n"
        ));
    }
    q.push('}');
    let r = fx().query(&q);
    assert_eq!(messages(&r).len(), 1, "{r}");
    for (i, p) in posts.iter().enumerate() {
        if i == 2 {
            assert_eq!(r["data"][format!("query{i}")], Value::Null);
        } else {
            assert_eq!(&r["data"][format!("query{i}")], p);
        }
    }
}

#[test]
fn query_order_at_root_with_ids() {
    let posts = all_posts();
    let by_likes = |n: i64| {
        posts
            .iter()
            .find(|p| p["numLikes"] == json!(n))
            .unwrap()
            .clone()
    };
    let (p77, p100) = (by_likes(77), by_likes(100));
    let filter = json!({"postID": [p77["postID"], p100["postID"]]});
    let q = "query queryPost($filter: PostFilter, $order: PostOrder, $first: Int, $offset: Int) { queryPost(filter: $filter, order: $order, first: $first, offset: $offset) { postID title text tags isPublished postType numLikes } }";
    for (order, first, offset, expected) in [
        (json!({"asc": "numLikes"}), 2, 0, vec![&p77, &p100]),
        (json!({"desc": "numLikes"}), 2, 0, vec![&p100, &p77]),
        (json!({"desc": "numLikes"}), 1, 0, vec![&p100]),
        (json!({"desc": "numLikes"}), 2, 1, vec![&p77]),
    ] {
        let r = fx().query_vars(
            q,
            json!({"filter": filter, "order": order, "first": first, "offset": offset}),
        );
        assert_eq!(r["data"]["queryPost"], json!(expected), "{r}");
    }
}

#[test]
fn enum_filter() {
    let posts = all_posts();
    let of = |t: &[&str]| -> Value {
        let mut v: Vec<Value> = posts
            .iter()
            .filter(|p| t.contains(&p["postType"].as_str().unwrap()))
            .cloned()
            .collect();
        v.sort_by_key(|p| p["title"].to_string());
        Value::Array(v)
    };
    let q = "query queryPost($filter: PostFilter) { queryPost(filter: $filter, order: {asc: title}) { postID title text tags numLikes isPublished postType } }";
    let r = fx().query_vars(q, json!({"filter": {"postType": {"eq": "Fact"}}}));
    assert_eq!(r["data"]["queryPost"], of(&["Fact"]), "{r}");
    let r = fx().query_vars(
        q,
        json!({"filter": {"postType": {"regexp": "/(Fact)|(Question)/"}}}),
    );
    assert_eq!(r["data"]["queryPost"], of(&["Fact", "Question"]), "{r}");
}

#[test]
fn typenames() {
    unordered(
        "query queryCountry { queryCountry { name __typename } }",
        Value::Null,
        json!({"queryCountry": ALL_COUNTRIES.iter().map(|n| json!({"name": n, "__typename": "Country"})).collect::<Vec<_>>()}),
    );
    unordered(
        "query { queryAuthor(filter: { name: { eq: \"Ann Author\" } }) { name dob posts { title __typename } } }",
        Value::Null,
        json!({"queryAuthor": [{"name": "Ann Author", "dob": "2000-01-01T00:00:00Z", "posts": [
            {"title": INTRO, "__typename": "Post"}, {"title": DOCO, "__typename": "Post"}
        ]}]}),
    );
}

#[test]
fn query_by_multiple_invalid_ids() {
    let r = fx().query_vars(
        "query queryPost($filter: PostFilter) { queryPost(filter: $filter) { postID title } }",
        json!({"filter": {"postID": ["foo", "bar"]}}),
    );
    assert_data(&r, json!({"queryPost": []}));
}

#[test]
fn get_state_forms() {
    ordered(
        "{ getState(xcode: \"nsw\") { name } }",
        Value::Null,
        json!({"getState": {"name": "NSW"}}),
    );
    ordered(
        "{ getState { name } }",
        Value::Null,
        json!({"getState": null}),
    );
    ordered(
        "{ getState(xcode: \"nsw\", id: \"0x1\") { name } }",
        Value::Null,
        json!({"getState": null}),
    );
    ordered(
        "{ queryState(filter: { xcode: { eq: \"nsw\"}}) { name } }",
        Value::Null,
        json!({"queryState": [{"name": "NSW"}]}),
    );
    unordered(
        "{ queryState(filter: { xcode: { regexp: \"/n/\"}}) { name } }",
        Value::Null,
        json!({"queryState": [{"name": "Nusa"}, {"name": "NSW"}]}),
    );
}

#[test]
fn multiple_operations() {
    let q = "query sortCountryByNameDesc { queryCountry(order: { desc: name }, first: 1) { name } }
             query sortCountryByNameAsc { queryCountry(order: { asc: name }, first: 1) { name } }";
    let run = |op: Option<&str>| {
        let req = graphcloud_engine::Request {
            query: q.into(),
            operation_name: op.map(str::to_string),
            variables: Default::default(),
        };
        fx().engine.graphql_blocking(BACKEND, ADMIN, &req).to_json()
    };
    assert_data(
        &run(Some("sortCountryByNameAsc")),
        json!({"queryCountry": [{"name": "Angola"}]}),
    );
    assert_data(
        &run(Some("sortCountryByNameDesc")),
        json!({"queryCountry": [{"name": "Mozambique"}]}),
    );
    // Dgraph words the two failures "Supplied operation name sortCountryByName isn't present
    // in the request." and "Operation name must by supplied when query has more than 1
    // operation."; the texts differ here (request errors are worded elsewhere), the outcome
    // (an error, no data) is the same.
    for op in [Some("sortCountryByName"), None] {
        let r = run(op);
        assert_eq!(messages(&r).len(), 1, "{r}");
        assert!(r["data"].is_null(), "{r}");
    }
}

#[test]
fn post_with_author_and_aliases() {
    unordered(
        "query { queryPost (filter: {title : { anyofterms : \"Introducing\" }} ) { title author { name } } }",
        Value::Null,
        json!({"queryPost": [{"title": INTRO, "author": {"name": "Ann Author"}}]}),
    );
    unordered(
        "query { post : queryPost (filter: {title : { anyofterms : \"Introducing\" }} ) { type : __typename title postTitle : title postAuthor : author { theName : name } } }",
        Value::Null,
        json!({"post": [{"type": "Post", "title": INTRO, "postTitle": INTRO, "postAuthor": {"theName": "Ann Author"}}]}),
    );
    unordered(
        "query { queryAuthor (filter: {name: {eq: \"Ann Other Author\"}}){ name p1: posts(filter: {numLikes: {ge: 80}}){ title numLikes } p2: posts(filter: {numLikes: {le: 5}}){ title numLikes } } }",
        Value::Null,
        json!({"queryAuthor": [{"name": "Ann Other Author",
            "p1": [{"title": LEARN, "numLikes": 87}],
            "p2": [{"title": RANDOM, "numLikes": 1}]}]}),
    );
}

/// The normal fixture plus `extra` (Dgraph JSON mutation format).
fn fixture_with(extra: Value) -> Fixture {
    let base = conformance_dir().join("graphql/e2e/normal/test_data.json");
    let mut data: Value = serde_json::from_str(&std::fs::read_to_string(base).unwrap()).unwrap();
    data.as_array_mut()
        .unwrap()
        .extend(extra.as_array().unwrap().iter().cloned());
    Fixture::normal_with(data)
}

/// The three authors of `queryWithCascade` / `filterInQueriesWithArrayForAndOr`; Kramer's
/// reputation and the qualifications differ between the two upstream tests.
fn seinfeld(kramer_reputation: Option<f64>, qualifications: bool) -> Value {
    let mut george = json!({"uid": "_:george", "dgraph.type": "Author", "Author.name": "George",
        "Author.reputation": 4.5, "Author.posts": [{"uid": "_:gp"}]});
    let mut jerry = json!({"uid": "_:jerry", "dgraph.type": "Author", "Author.name": "Jerry",
        "Author.reputation": 4.6, "Author.country": {"uid": "_:og"}, "Author.posts": [{"uid": "_:jp"}]});
    let mut kramer = json!({"uid": "_:kramer", "dgraph.type": "Author", "Author.name": "Kramer",
        "Author.country": {"uid": "_:os"}, "Author.posts": [{"uid": "_:kp"}]});
    if let Some(r) = kramer_reputation {
        kramer["Author.reputation"] = json!(r);
    }
    if qualifications {
        george["Author.qualification"] = json!("Phd in CSE");
        jerry["Author.qualification"] = json!("Phd in ECE");
        kramer["Author.qualification"] = json!("PostDoc in CSE");
    }
    json!([
        george, jerry, kramer,
        {"uid": "_:gp", "dgraph.type": "Post", "Post.title": "A show about nothing", "Post.text": "Got ya!", "Post.author": {"uid": "_:george"}},
        {"uid": "_:jp", "dgraph.type": "Post", "Post.title": "Outside", "Post.author": {"uid": "_:jerry"}},
        {"uid": "_:kp", "dgraph.type": "Post", "Post.title": "Ha! Cosmo Kramer", "Post.text": "Giddy up!", "Post.author": {"uid": "_:kramer"}},
        {"uid": "_:og", "dgraph.type": "Country", "Country.name": "outer Galaxy2"},
        {"uid": "_:os", "dgraph.type": "Country", "Country.name": "outer space2"},
        {"uid": "_:ca", "dgraph.type": "State", "State.name": "California", "State.xcode": "CA", "State.capital": "Sacramento"},
        {"uid": "_:tx", "dgraph.type": "State", "State.name": "Texas", "State.xcode": "TX"},
        {"uid": "_:han", "dgraph.type": ["Human", "Character", "Employee"], "Character.name": "Han",
         "Character.appearsIn": ["EMPIRE"], "Employee.ename": "Han_employee", "Human.totalCredits": 10.0}
    ])
}

/// Numbers compared as floats (JSON clients see `10` and `10.0` alike), lists unordered.
fn canon_num(v: &Value) -> Value {
    match v {
        Value::Number(n) => json!(n.as_f64().unwrap()),
        Value::Array(a) => {
            let mut items: Vec<Value> = a.iter().map(canon_num).collect();
            items.sort_by_key(|x| x.to_string());
            Value::Array(items)
        }
        Value::Object(m) => {
            let sorted: std::collections::BTreeMap<String, Value> =
                m.iter().map(|(k, v)| (k.clone(), canon_num(v))).collect();
            Value::Object(sorted.into_iter().collect())
        }
        other => other.clone(),
    }
}

#[track_caller]
fn same(f: &Fixture, query: &str, vars: Value, expected: Value) {
    let r = f.query_vars(query, vars);
    assert!(
        r.get("errors").is_none(),
        "unexpected errors: {r}\nquery: {query}"
    );
    assert_eq!(
        canon_num(&r["data"]),
        canon_num(&expected),
        "\nquery: {query}\n got: {}",
        r["data"]
    );
}

fn author_ids(f: &Fixture, names: &[&str]) -> Vec<String> {
    names
        .iter()
        .map(|n| {
            let r = f.query(&format!(
                "{{ queryAuthor(filter: {{name: {{eq: \"{n}\"}}}}) {{ id }} }}"
            ));
            r["data"]["queryAuthor"][0]["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

#[test]
fn query_with_cascade() {
    let f = fixture_with(seinfeld(None, false));
    let ids = author_ids(&f, &["George", "Jerry", "Kramer"]);
    let by_id = "query ($id: ID!) { getAuthor(id: $id) @cascade { reputation posts { text } } }";
    same(&f, by_id, json!({"id": ids[1]}), json!({"getAuthor": null}));
    same(
        &f,
        by_id,
        json!({"id": ids[0]}),
        json!({"getAuthor": {"reputation": 4.5, "posts": [{"text": "Got ya!"}]}}),
    );
    let by_xid = "query ($xid: String!) { getState(xcode: $xid) @cascade { xcode capital } }";
    same(&f, by_xid, json!({"xid": "TX"}), json!({"getState": null}));
    same(
        &f,
        by_xid,
        json!({"xid": "CA"}),
        json!({"getState": {"xcode": "CA", "capital": "Sacramento"}}),
    );
    let vars = json!({"ids": ids});
    same(
        &f,
        "query ($ids: [ID!]) { queryAuthor(filter: {id: $ids}) @cascade { reputation posts { text } } }",
        vars.clone(),
        json!({"queryAuthor": [{"reputation": 4.5, "posts": [{"text": "Got ya!"}]}]}),
    );
    same(
        &f,
        "query ($ids: [ID!]) { queryAuthor(filter: {id: $ids}) { reputation posts @cascade { title text } } }",
        vars.clone(),
        json!({"queryAuthor": [
            {"reputation": 4.5, "posts": [{"title": "A show about nothing", "text": "Got ya!"}]},
            {"reputation": 4.6, "posts": []},
            {"reputation": null, "posts": [{"title": "Ha! Cosmo Kramer", "text": "Giddy up!"}]}
        ]}),
    );
    same(
        &f,
        "query ($ids: [ID!]) { queryAuthor(filter: {id: $ids}) @cascade(fields:[\"name\"]) { reputation name country { name } } }",
        vars.clone(),
        json!({"queryAuthor": [
            {"reputation": 4.6, "name": "Jerry", "country": {"name": "outer Galaxy2"}},
            {"name": "Kramer", "reputation": null, "country": {"name": "outer space2"}},
            {"reputation": 4.5, "name": "George", "country": null}
        ]}),
    );
    same(
        &f,
        "query ($ids: [ID!]) { queryAuthor(filter: {id: $ids}) { reputation name posts @cascade(fields:[\"text\"]) { title text } } }",
        vars.clone(),
        json!({"queryAuthor": [
            {"reputation": 4.5, "name": "George", "posts": [{"title": "A show about nothing", "text": "Got ya!"}]},
            {"name": "Kramer", "reputation": null, "posts": [{"title": "Ha! Cosmo Kramer", "text": "Giddy up!"}]},
            {"name": "Jerry", "reputation": 4.6, "posts": []}
        ]}),
    );
    let all_levels = json!({"queryAuthor": [
        {"reputation": 4.5, "name": "George", "dob": null, "posts": [{"title": "A show about nothing", "text": "Got ya!"}]},
        {"dob": null, "name": "Jerry", "posts": [], "reputation": 4.6}
    ]});
    same(
        &f,
        "query ($ids: [ID!]) { queryAuthor(filter: {id: $ids}) @cascade(fields:[\"reputation\",\"name\"]) { reputation name dob posts @cascade(fields:[\"text\"]) { title text } } }",
        vars.clone(),
        all_levels.clone(),
    );
    same(
        &f,
        "query ($ids: [ID!],$fieldsRoot: [String], $fieldsDeep: [String]) { queryAuthor(filter: {id: $ids}) @cascade(fields: $fieldsRoot) { reputation name dob posts @cascade(fields: $fieldsDeep) { title text } } }",
        json!({"ids": ids, "fieldsRoot": ["reputation", "name"], "fieldsDeep": ["text"]}),
        all_levels,
    );
    same(
        &f,
        "query ($ids: [ID!]) { queryAuthor(filter: {id: $ids}) @cascade(fields:[\"reputation\",\"id\"]) { reputation name dob } }",
        vars,
        json!({"queryAuthor": [
            {"reputation": 4.5, "name": "George", "dob": null},
            {"dob": null, "name": "Jerry", "reputation": 4.6}
        ]}),
    );
    // Upstream writes `queryHuman()`; an empty argument list is not GraphQL syntax, so the
    // parentheses are left out here.
    same(
        &f,
        "query { queryHuman @cascade(fields:[\"name\"]) { name totalCredits } }",
        Value::Null,
        json!({"queryHuman": [{"name": "Han", "totalCredits": 10}]}),
    );
    same(
        &f,
        "query { queryCharacter (filter: { appearsIn: { in: [EMPIRE] } }) @cascade(fields:[\"appearsIn\"]){ name appearsIn } }",
        Value::Null,
        json!({"queryCharacter": [{"name": "Han", "appearsIn": ["EMPIRE"]}]}),
    );
}

#[test]
fn filter_in_queries_with_array_for_and_or() {
    let f = fixture_with(seinfeld(Some(4.2), true));
    let george = json!({"queryAuthor": [{"name": "George", "reputation": 4.5, "posts": [{"text": "Got ya!"}]}]});
    let george_kramer = json!({"queryAuthor": [
        {"name": "George", "reputation": 4.5, "posts": [{"text": "Got ya!"}]},
        {"name": "Kramer", "reputation": 4.2, "posts": [{"text": "Giddy up!"}]}
    ]});
    let sel = "{ name reputation posts { text } }";
    let by_var = format!("query($filter:AuthorFilter) {{ queryAuthor(filter:$filter) {sel} }}");
    same(
        &f,
        &format!("query {{ queryAuthor(filter:{{and:{{name:{{eq:\"George\"}}}}}}) {sel} }}"),
        Value::Null,
        george.clone(),
    );
    same(
        &f,
        &by_var,
        json!({"filter": {"and": {"name": {"eq": "George"}}}}),
        george.clone(),
    );
    same(
        &f,
        &format!("query {{ queryAuthor(filter:{{or:{{name:{{eq:\"George\"}}}}}}) {sel} }}"),
        Value::Null,
        george.clone(),
    );
    same(
        &f,
        &by_var,
        json!({"filter": {"or": {"name": {"eq": "George"}}}}),
        george.clone(),
    );
    same(
        &f,
        &by_var,
        json!({"filter": {"and": [{"name": {"eq": "George"}}, {"and": {"reputation": {"eq": 4.5}}}]}}),
        george.clone(),
    );
    same(
        &f,
        &format!(
            "query {{ queryAuthor(filter:{{and:[{{name:{{eq:\"George\"}}}},{{and:{{reputation:{{eq:4.5}}}}}}]}}) {sel} }}"
        ),
        Value::Null,
        george.clone(),
    );
    same(
        &f,
        &format!(
            "query {{ queryAuthor(filter:{{or:[{{name:{{eq:\"George\"}}}},{{or:{{reputation:{{eq:4.2}}}}}}]}}) {sel} }}"
        ),
        Value::Null,
        george_kramer.clone(),
    );
    same(
        &f,
        &by_var,
        json!({"filter": {"or": [{"name": {"eq": "George"}}, {"or": {"reputation": {"eq": 4.2}}}]}}),
        george_kramer,
    );
    same(
        &f,
        &by_var,
        json!({"filter": {"and": [
            {"name": {"eq": "George"}, "or": {"name": {"eq": "Alice"}}},
            {"reputation": {"eq": 3}, "or": {"reputation": {"eq": 4.5}}}
        ]}}),
        george,
    );
    same(
        &f,
        "query($filter:AuthorFilter) { queryAuthor(filter:$filter){ name reputation qualification posts { text } } }",
        json!({"filter": {"and": [{"name": {"eq": "George"}}, {"reputation": {"eq": 4.5}}, {"qualification": {"eq": "Phd in CSE"}}]}}),
        json!({"queryAuthor": [{"name": "George", "reputation": 4.5, "qualification": "Phd in CSE", "posts": [{"text": "Got ya!"}]}]}),
    );
    same(
        &f,
        "query($filter:AuthorFilter) { queryAuthor(filter:$filter){ name reputation qualification } }",
        json!({"filter": {"or": [{"name": {"eq": "George"}}, {"reputation": {"eq": 4.6}}, {"qualification": {"eq": "PostDoc in CSE"}}]}}),
        json!({"queryAuthor": [
            {"name": "Kramer", "qualification": "PostDoc in CSE", "reputation": 4.2},
            {"name": "George", "qualification": "Phd in CSE", "reputation": 4.5},
            {"name": "Jerry", "qualification": "Phd in ECE", "reputation": 4.6}
        ]}),
    );
}
