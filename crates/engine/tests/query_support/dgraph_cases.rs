// Cases of Dgraph's `graphql/e2e/common/query.go` that need only the fixture's own data.
// Included by `query_dgraph_e2e.rs` (the `normal` fixture) and
// `query_dgraph_e2e_directives.rs` (the `directives` fixture: the same API, stored under
// `@dgraph(type:, pred:)` names); the including file defines `fn fixture() -> Fixture`.

fn fx() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(fixture)
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

#[test]
fn id_directive_with_int_and_int64() {
    ordered(
        "query { getBook(bookId: 1234567890) { bookId name desc } }",
        Value::Null,
        json!({"getBook": {"bookId": 1234567890, "name": "Dgraph and Graphql", "desc": "All love between dgraph and graphql"}}),
    );
    ordered(
        "query { getChapter(chapterId: 1) { chapterId name } }",
        Value::Null,
        json!({"getChapter": {"chapterId": 1, "name": "How Dgraph Works"}}),
    );
}
