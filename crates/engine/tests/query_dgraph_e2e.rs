//! Queries of Dgraph's own GraphQL end-to-end suite (`graphql/e2e/common/query.go`) run
//! against the `e2e/normal` fixture. Each expected value was checked by hand against
//! `test_data.json` (see the recap in `query_e2e.rs`). Where the upstream test compares
//! without regard to list order, so does the case here (`unordered`).

mod query_support;

use std::sync::OnceLock;

use query_support::*;
use serde_json::{Value, json};

fn fixture() -> Fixture {
    Fixture::normal()
}

include!("query_support/dgraph_cases.rs");

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

#[test]
fn query_filter_with_id_input_coercion() {
    let f = fixture_with(seinfeld(Some(4.2), true));
    let ids = author_ids(&f, &["George", "Jerry"]);
    let dec: Vec<u64> = ids
        .iter()
        .map(|i| u64::from_str_radix(i.trim_start_matches("0x"), 16).unwrap())
        .collect();
    let by_var = "query($filter:AuthorFilter){ queryAuthor(filter:$filter){ name reputation posts { text } } }";
    let george_text = json!({"queryAuthor": [{"name": "George", "reputation": 4.5, "posts": [{"text": "Got ya!"}]}]});
    same(
        &f,
        by_var,
        json!({"filter": {"id": ids[0]}}),
        george_text.clone(),
    );
    same(&f, by_var, json!({"filter": {"id": dec[0]}}), george_text);
    let both = json!({"queryAuthor": [
        {"name": "George", "reputation": 4.5, "posts": [{"title": "A show about nothing"}]},
        {"name": "Jerry", "reputation": 4.6, "posts": [{"title": "Outside"}]}
    ]});
    same(
        &f,
        "query($filter:AuthorFilter){ queryAuthor(filter:$filter){ name reputation posts { title } } }",
        json!({"filter": {"id": [dec[0], dec[1]]}}),
        both.clone(),
    );
    same(
        &f,
        &format!(
            "query{{ queryAuthor(filter:{{id:{}}}){{ name reputation posts {{ title }} }} }}",
            dec[0]
        ),
        Value::Null,
        json!({"queryAuthor": [{"name": "George", "reputation": 4.5, "posts": [{"title": "A show about nothing"}]}]}),
    );
    same(
        &f,
        &format!(
            "query{{ queryAuthor(filter:{{id:[{},{}]}}){{ name reputation posts {{ title }} }} }}",
            dec[0], dec[1]
        ),
        Value::Null,
        both,
    );
}

#[test]
fn aggregates() {
    let f = fx();
    same(
        f,
        "query { aggregatePost (filter: {title : { anyofterms : \"Introducing\" }} ) { count numLikesMax titleMin } }",
        Value::Null,
        json!({"aggregatePost": {"count": 1, "numLikesMax": 100, "titleMin": INTRO}}),
    );
    same(
        f,
        "query { aggregatePost (filter: {title : { anyofterms : \"Nothing\" }} ) { count numLikesMax type: __typename titleMin } }",
        Value::Null,
        json!({"aggregatePost": {"count": 0, "numLikesMax": null, "type": "PostAggregateResult", "titleMin": null}}),
    );
    same(
        f,
        "query { aggregateState (filter: {xcode : { eq : \"nsw\" }} ) { count capitalMax capitalMin xcodeMin xcodeMax } }",
        Value::Null,
        json!({"aggregateState": {"capitalMax": null, "capitalMin": null, "xcodeMin": "nsw", "xcodeMax": "nsw", "count": 1}}),
    );
    same(
        f,
        "query { queryCountry(filter: { name: { eq: \"India\" } }) { name ag : statesAggregate { count nameMin capitalMax capitalMin } } }",
        Value::Null,
        json!({"queryCountry": [{"name": "India", "ag": {"count": 3, "nameMin": "Gujarat", "capitalMax": null, "capitalMin": null}}]}),
    );
    same(
        f,
        "query { aggregatePost { titleMax titleMin numLikesSum numLikesAvg numLikesMax numLikesMin count } }",
        Value::Null,
        json!({"aggregatePost": {"count": 4, "titleMax": RANDOM, "titleMin": DOCO, "numLikesAvg": 66.25, "numLikesMax": 100, "numLikesMin": 1, "numLikesSum": 265}}),
    );
    same(
        f,
        "query { aggregatePost { cnt: count tmin : titleMin tmax: titleMax navg : numLikesAvg } }",
        Value::Null,
        json!({"aggregatePost": {"cnt": 4, "tmax": RANDOM, "tmin": DOCO, "navg": 66.25}}),
    );
    same(
        f,
        "query { aggregatePost { count cnt2 : count tmin : titleMin tmin_again : titleMin tmax: titleMax tmax_again : titleMax navg : numLikesAvg navg2 : numLikesAvg } }",
        Value::Null,
        json!({"aggregatePost": {"count": 4, "cnt2": 4, "tmax": RANDOM, "tmax_again": RANDOM, "tmin": DOCO, "tmin_again": DOCO, "navg": 66.25, "navg2": 66.25}}),
    );
    same(
        f,
        "query { queryCountry(filter: { name: { eq: \"India\" } }) { name ag : statesAggregate { count __typename nameMin } } }",
        Value::Null,
        json!({"queryCountry": [{"name": "India", "ag": {"count": 3, "__typename": "StateAggregateResult", "nameMin": "Gujarat"}}]}),
    );
    same(
        f,
        "query { queryCountry(filter: { name: { eq: \"India\" } }) { name ag : statesAggregate(filter: {xcode: {in: [\"ka\", \"mh\"]}}) { count nameMin } } }",
        Value::Null,
        json!({"queryCountry": [{"name": "India", "ag": {"count": 2, "nameMin": "Karnataka"}}]}),
    );
    same(
        f,
        "query { queryCountry(filter: { name: { eq: \"India\" } }) { name ag : statesAggregate(filter: {xcode: {in: [\"nothing\"]}}) { count __typename nameMin } n: name } }",
        Value::Null,
        json!({"queryCountry": [{"name": "India", "ag": {"count": 0, "__typename": "StateAggregateResult", "nameMin": null}, "n": "India"}]}),
    );
    same(
        f,
        "query { queryCountry(filter: { name: { eq: \"India\" } }) { name ag1: statesAggregate(filter: {xcode: {in: [\"ka\", \"mh\"]}}) { count nameMax } ag2: statesAggregate(filter: {xcode: {in: [\"ka\", \"mh\", \"gj\", \"xyz\"]}}) { count nameMax } } }",
        Value::Null,
        json!({"queryCountry": [{"name": "India", "ag1": {"count": 2, "nameMax": "Maharashtra"}, "ag2": {"count": 3, "nameMax": "Maharashtra"}}]}),
    );
    same(
        f,
        "query { queryCountry(filter: { name: { eq: \"India\" } }) { name ag1: statesAggregate(filter: {xcode: {in: [\"ka\", \"mh\"]}}) { count cnt2 : count nameMax nm : nameMax } } }",
        Value::Null,
        json!({"queryCountry": [{"name": "India", "ag1": {"count": 2, "cnt2": 2, "nameMax": "Maharashtra", "nm": "Maharashtra"}}]}),
    );
    same(
        f,
        "query { queryCountry(filter: { name: { eq: \"India\" } }) { name ag : statesAggregate { count nameMin }, states { name } } }",
        Value::Null,
        json!({"queryCountry": [{"name": "India", "ag": {"count": 3, "nameMin": "Gujarat"},
            "states": [{"name": "Maharashtra"}, {"name": "Gujarat"}, {"name": "Karnataka"}]}]}),
    );
    same(
        f,
        "query { queryPost(filter: {numLikes: {ge: 100}}) { t1: title t2: title } }",
        Value::Null,
        json!({"queryPost": [{"t1": INTRO, "t2": INTRO}]}),
    );
}

/// `addCountry` / `addAuthor` / `addPost` / `addPostWithNullText` of the upstream helpers, and
/// the Star Wars characters of `addHuman` / `addDroid` (after `updateCharacter`).
fn test_country_author_posts() -> Value {
    json!([
        {"uid": "_:tl", "dgraph.type": "Country", "Country.name": "Testland"},
        {"uid": "_:tl2", "dgraph.type": "Country", "Country.name": "Testland"},
        {"uid": "_:tl3", "dgraph.type": "Country", "Country.name": "Testland"},
        {"uid": "_:ta", "dgraph.type": "Author", "Author.name": "Test Author", "Author.dob": "2010-01-01",
         "Author.reputation": 7.75, "Author.country": {"uid": "_:tl"},
         "Author.posts": [{"uid": "_:nt"}, {"uid": "_:tp1"}, {"uid": "_:tp2"}]},
        {"uid": "_:nt", "dgraph.type": "Post", "Post.title": "No text", "Post.isPublished": true,
         "Post.numLikes": 1000, "Post.author": {"uid": "_:ta"}},
        {"uid": "_:tp1", "dgraph.type": "Post", "Post.title": "Test Post", "Post.text": "This post is just a test.",
         "Post.isPublished": true, "Post.numLikes": 1000, "Post.numViews": 10, "Post.author": {"uid": "_:ta"}},
        {"uid": "_:tp2", "dgraph.type": "Post", "Post.title": "Test Post", "Post.text": "This post is just a test.",
         "Post.isPublished": true, "Post.numLikes": 1000, "Post.numViews": 10, "Post.author": {"uid": "_:ta"}},
        {"uid": "_:ship", "dgraph.type": "Starship", "Starship.name": "Millennium Falcon", "Starship.length": 2.0},
        {"uid": "_:han", "dgraph.type": ["Human", "Character", "Employee"], "Character.name": "Han Solo",
         "Character.appearsIn": ["EMPIRE"], "Employee.ename": "Han_employee", "Human.totalCredits": 10.0,
         "Human.starships": [{"uid": "_:ship"}]},
        {"uid": "_:r2", "dgraph.type": ["Droid", "Character"], "Character.name": "R2-D2",
         "Character.appearsIn": ["EMPIRE"], "Droid.primaryFunction": "Robot"}
    ])
}

#[test]
fn has_filters_typenames_and_interfaces() {
    let f = fixture_with(test_country_author_posts());
    // deepHasFilter
    same(
        &f,
        "query { queryAuthor(filter: { name: { eq: \"Test Author\" } }) { name posts(filter: {not :{ has : text } }) { title } } }",
        Value::Null,
        json!({"queryAuthor": [{"name": "Test Author", "posts": [{"title": "No text"}]}]}),
    );
    // hasFilters: the seed posts and the two test posts have a text.
    same(
        &f,
        "query filterVariable($filter: PostFilter) { queryPost(filter: $filter, order: { asc: title }) { title } }",
        json!({"filter": {"has": "text"}}),
        json!({"queryPost": titles(&[DOCO, INTRO, LEARN, RANDOM, "Test Post", "Test Post"])}),
    );
    // hasFilterOnListOfFields
    same(
        &f,
        "query filterVariable($filter: PostFilter) { queryPost(filter: $filter, order: { asc: title }) { title } }",
        json!({"filter": {"not": {"has": ["text", "numViews"]}}}),
        json!({"queryPost": titles(&["No text"])}),
    );
    // queryOnlyTypename / querynestedOnlyTypename
    same(
        &f,
        "query { queryCountry(filter: { name: {eq: \"Testland\"}}) { __typename } }",
        Value::Null,
        json!({"queryCountry": [{"__typename": "Country"}, {"__typename": "Country"}, {"__typename": "Country"}]}),
    );
    same(
        &f,
        "query { queryAuthor(filter: { name: { eq: \"Test Author\" } }) { posts { __typename } } }",
        Value::Null,
        json!({"queryAuthor": [{"posts": [{"__typename": "Post"}, {"__typename": "Post"}, {"__typename": "Post"}]}]}),
    );
    // typenameForInterface / onlytypenameForInterface / defaultEnumFilter
    same(
        &f,
        "query { queryCharacter (filter: { appearsIn: { in: [EMPIRE] } }) { name __typename ... on Human { totalCredits } ... on Droid { primaryFunction } } }",
        Value::Null,
        json!({"queryCharacter": [
            {"name": "Han Solo", "__typename": "Human", "totalCredits": 10},
            {"name": "R2-D2", "__typename": "Droid", "primaryFunction": "Robot"}
        ]}),
    );
    same(
        &f,
        "query { queryCharacter (filter: { appearsIn: { in: [EMPIRE] } }) { ... on Human { __typename } ... on Droid { __typename } } }",
        Value::Null,
        json!({"queryCharacter": [{"__typename": "Human"}, {"__typename": "Droid"}]}),
    );
    same(
        &f,
        "query { queryCharacter (filter: { appearsIn: { in: [EMPIRE] } }) { name appearsIn } }",
        Value::Null,
        json!({"queryCharacter": [
            {"name": "Han Solo", "appearsIn": ["EMPIRE"]},
            {"name": "R2-D2", "appearsIn": ["EMPIRE"]}
        ]}),
    );
}

/// erroredQueriesHaveTouchedUids: a `Country` stored without its required `name` is null in
/// the list, with Dgraph's error and path; the other country is returned.
#[test]
fn missing_required_field_nulls_the_list_item() {
    let f = fixture_with(json!([
        {"uid": "_:noname", "dgraph.type": "Country"},
        {"uid": "_:tl", "dgraph.type": "Country", "Country.name": "Testland"}
    ]));
    let r = f.query("{ queryCountry(filter: {name: {eq: \"Testland\"}}) { id } }");
    let named = r["data"]["queryCountry"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    // The nameless country: the one id not among the countries that have a name.
    let all = f.query("{ queryCountry { id } }");
    let ids: Vec<String> = all["data"]["queryCountry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect();
    assert!(all.get("errors").is_none(), "{all}");
    let known = f.query("{ queryCountry(filter: {has: name}) { id } }");
    let with_name: Vec<&str> = known["data"]["queryCountry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    let noname = ids
        .iter()
        .find(|i| !with_name.contains(&i.as_str()))
        .unwrap()
        .clone();
    let r = f.query_vars(
        "query ($ids: [ID!]) {\n  queryCountry(filter: {id: $ids}) {\n    id\n    name\n  }\n}",
        json!({"ids": [noname, named]}),
    );
    let (first, second) = if u64::from_str_radix(noname.trim_start_matches("0x"), 16).unwrap()
        < u64::from_str_radix(named.trim_start_matches("0x"), 16).unwrap()
    {
        (Value::Null, json!({"id": named, "name": "Testland"}))
    } else {
        (json!({"id": named, "name": "Testland"}), Value::Null)
    };
    assert_eq!(r["data"], json!({"queryCountry": [first, second]}), "{r}");
    let errs = r["errors"].as_array().unwrap();
    assert_eq!(errs.len(), 1, "{r}");
    assert_eq!(
        errs[0]["message"],
        "Non-nullable field 'name' (type String!) was not present in result from Dgraph.  GraphQL error propagation triggered."
    );
    assert_eq!(errs[0]["locations"], json!([{"line": 4, "column": 5}]));
    let idx = if first.is_null() { 0 } else { 1 };
    assert_eq!(errs[0]["path"], json!(["queryCountry", idx, "name"]));
}

#[test]
fn mutations_then_queries() {
    let f = Fixture::normal();
    // inFilterOnString
    same(
        &f,
        "mutation addState($name1: String!, $code1: String!, $name2: String!, $code2: String! ) { addState(input: [{name: $name1, xcode: $code1},{name: $name2, xcode: $code2}]) { state { xcode name } } }",
        json!({"name1": "A State", "code1": "abc", "name2": "B State", "code2": "def"}),
        json!({"addState": {"state": [{"xcode": "abc", "name": "A State"}, {"xcode": "def", "name": "B State"}]}}),
    );
    same(
        &f,
        "mutation{ updateState(input: { filter: { xcode: { in: [\"abc\", \"def\"]}}, set: { capital: \"Common Capital\"} }){ state{ xcode name capital } } }",
        Value::Null,
        json!({"updateState": {"state": [
            {"xcode": "abc", "name": "A State", "capital": "Common Capital"},
            {"xcode": "def", "name": "B State", "capital": "Common Capital"}
        ]}}),
    );
    same(
        &f,
        "query{ queryState(filter: {xcode: {in: [\"abc\", \"def\"]}}, order: { asc: name }){ xcode name capital } }",
        Value::Null,
        json!({"queryState": [
            {"xcode": "abc", "name": "A State", "capital": "Common Capital"},
            {"xcode": "def", "name": "B State", "capital": "Common Capital"}
        ]}),
    );
    // queryGeoNearFilter
    same(
        &f,
        "mutation addHotel($hotels: [AddHotelInput!]!) { addHotel(input: $hotels) { hotel { name location { latitude longitude } } } }",
        json!({"hotels": [
            {"name": "Taj Hotel 1", "location": {"latitude": 11.11, "longitude": 22.22}},
            {"name": "Taj Hotel 2", "location": {"latitude": 33.33, "longitude": 22.22}},
            {"name": "Taj Hotel 3", "location": {"latitude": 11.11, "longitude": 33.33}}
        ]}),
        json!({"addHotel": {"hotel": [
            {"name": "Taj Hotel 1", "location": {"latitude": 11.11, "longitude": 22.22}},
            {"name": "Taj Hotel 2", "location": {"latitude": 33.33, "longitude": 22.22}},
            {"name": "Taj Hotel 3", "location": {"latitude": 11.11, "longitude": 33.33}}
        ]}}),
    );
    same(
        &f,
        "query { queryHotel(filter: { location: { near: { distance: 100, coordinate: { latitude: 11.11, longitude: 22.22} } } }) { name location { latitude longitude } } }",
        Value::Null,
        json!({"queryHotel": [{"name": "Taj Hotel 1", "location": {"latitude": 11.11, "longitude": 22.22}}]}),
    );
    // passwordTest
    let check = |pwd: &str| {
        f.query_vars(
            "query checkUserPassword($name: String!, $pwd: String!) { checkUserPassword(name: $name, password: $pwd) { name } }",
            json!({"name": "Test User", "pwd": pwd}),
        )
    };
    same(
        &f,
        "mutation addUser($user: [AddUserInput!]!) { addUser(input: $user) { user { name } } }",
        json!({"user": [{"name": "Test User", "password": "password"}]}),
        json!({"addUser": {"user": [{"name": "Test User"}]}}),
    );
    assert_data(
        &check("password"),
        json!({"checkUserPassword": {"name": "Test User"}}),
    );
    assert_data(
        &f.query_vars(
            "query checkUserPassword($name: String!, $pwd: String!) { verify : checkUserPassword(name: $name, password: $pwd) { name } }",
            json!({"name": "Test User", "pwd": "password"}),
        ),
        json!({"verify": {"name": "Test User"}}),
    );
    assert_data(&check("Wrong Pass"), json!({"checkUserPassword": null}));
    same(
        &f,
        "mutation addUser($user: UpdateUserInput!) { updateUser(input: $user) { user { name } } }",
        json!({"user": {"filter": {"name": {"eq": "Test User"}}, "set": {"password": "password_new"}}}),
        json!({"updateUser": {"user": [{"name": "Test User"}]}}),
    );
    assert_data(&check("password"), json!({"checkUserPassword": null}));
    assert_data(
        &check("password_new"),
        json!({"checkUserPassword": {"name": "Test User"}}),
    );
    // entitiesQuery
    same(
        &f,
        "mutation addSpaceShip($id1: String!, $missionId1: String!, $id2: String!, $missionId2: String! ) { addSpaceShip(input: [{id: $id1, missions: [{id: $missionId1, designation: \"Apollo1\"}]}, {id: $id2, missions: [{id: $missionId2, designation: \"Apollo2\"}]}]) { spaceShip { id missions { id designation } } } }",
        json!({"id1": "SpaceShip1", "missionId1": "Mission1", "id2": "SpaceShip2", "missionId2": "Mission2"}),
        json!({"addSpaceShip": {"spaceShip": [
            {"id": "SpaceShip1", "missions": [{"id": "Mission1", "designation": "Apollo1"}]},
            {"id": "SpaceShip2", "missions": [{"id": "Mission2", "designation": "Apollo2"}]}
        ]}}),
    );
    assert_data(
        &f.query_vars(
            "query _entities($typeName: String!, $id1: String!, $id2: String!){ _entities(representations: [{__typename: $typeName, id: $id1}, {__typename: $typeName, id: $id2 }]) { ... on SpaceShip { missions(order: {asc: id}){ id designation } } } }",
            json!({"typeName": "SpaceShip", "id1": "SpaceShip1", "id2": "SpaceShip2"}),
        ),
        json!({"_entities": [
            {"missions": [{"id": "Mission1", "designation": "Apollo1"}]},
            {"missions": [{"id": "Mission2", "designation": "Apollo2"}]}
        ]}),
    );
}

/// `fragment.go`: fragments in queries and mutations, on objects and interfaces.
#[test]
fn fragments() {
    let f = fixture_with(json!([
        {"uid": "_:ship", "dgraph.type": "Starship", "Starship.name": "Millennium Falcon", "Starship.length": 2.0},
        {"uid": "_:han", "dgraph.type": ["Human", "Character", "Employee"], "Character.name": "Han",
         "Character.appearsIn": ["EMPIRE"], "Employee.ename": "Han_employee", "Human.totalCredits": 10.0,
         "Human.starships": [{"uid": "_:ship"}]},
        {"uid": "_:r2", "dgraph.type": ["Droid", "Character"], "Character.name": "R2-D2",
         "Character.appearsIn": ["EMPIRE"], "Droid.primaryFunction": "Robot"}
    ]));
    let id_of = |q: &str, field: &str| {
        let r = f.query(q);
        r["data"][field][0]["id"].as_str().unwrap().to_string()
    };
    let ship = id_of("{ queryStarship { id } }", "queryStarship");
    let human = id_of("{ queryHuman { id } }", "queryHuman");
    let droid = id_of("{ queryDroid { id } }", "queryDroid");
    let r = f.query_vars(
        "query queryStarship($id: ID!) { queryStarship(filter: { id: [$id] }) { ...starshipFrag } } fragment starshipFrag on Starship { id name length }",
        json!({"id": ship}),
    );
    assert_eq!(
        canon_num(&r["data"]),
        canon_num(
            &json!({"queryStarship": [{"id": ship, "name": "Millennium Falcon", "length": 2}]})
        ),
        "{r}"
    );
    let r = f.query(
        "query {
            queryCharacter(filter: null) { __typename ...fullCharacterFrag }
            qc: queryCharacter { __typename ... on Character { ... on Character { ... on Human { name } } } ... droidAppearsIn }
        }
        fragment fullCharacterFrag on Character { __typename ...commonCharacterFrag ...humanFrag ...droidFrag }
        fragment commonCharacterFrag on Character { __typename id name appearsIn }
        fragment humanFrag on Human { __typename starships { ... on Starship { __typename id name length } } totalCredits ename }
        fragment droidFrag on Droid { __typename primaryFunction }
        fragment droidAppearsIn on Droid { appearsIn }",
    );
    assert!(r.get("errors").is_none(), "{r}");
    assert_eq!(
        canon_num(&r["data"]),
        canon_num(&json!({
            "queryCharacter": [
                {"__typename": "Human", "id": human, "name": "Han", "appearsIn": ["EMPIRE"],
                 "starships": [{"__typename": "Starship", "id": ship, "name": "Millennium Falcon", "length": 2}],
                 "totalCredits": 10, "ename": "Han_employee"},
                {"__typename": "Droid", "id": droid, "name": "R2-D2", "appearsIn": ["EMPIRE"], "primaryFunction": "Robot"}
            ],
            "qc": [
                {"__typename": "Human", "name": "Han"},
                {"__typename": "Droid", "appearsIn": ["EMPIRE"]}
            ]
        })),
        "{r}"
    );
    // Uid order: the human was stored before the droid.
    assert_eq!(r["data"]["queryCharacter"][0]["__typename"], "Human");
    assert_eq!(r["data"]["qc"][1]["__typename"], "Droid");
    let r = f.query(
        "query { queryHuman(filter: null) { ...characterFrag ...humanFrag ename } }
        fragment characterFrag on Character { __typename id name appearsIn }
        fragment humanFrag on Human { starships { ... { __typename id name length } } totalCredits }",
    );
    assert!(r.get("errors").is_none(), "{r}");
    assert_eq!(
        canon_num(&r["data"]),
        canon_num(&json!({"queryHuman": [
            {"__typename": "Human", "id": human, "name": "Han", "appearsIn": ["EMPIRE"],
             "starships": [{"__typename": "Starship", "id": ship, "name": "Millennium Falcon", "length": 2}],
             "totalCredits": 10, "ename": "Han_employee"}
        ]})),
        "{r}"
    );
    let r = f.query_vars(
        "mutation addStarship($starship: AddStarshipInput!) { addStarship(input: [$starship]) { starship { ...starshipFrag } } } fragment starshipFrag on Starship { id name length }",
        json!({"starship": {"name": "Millennium Falcon", "length": 2}}),
    );
    assert!(r.get("errors").is_none(), "{r}");
    let added = &r["data"]["addStarship"]["starship"][0];
    assert!(added["id"].as_str().unwrap().starts_with("0x"), "{r}");
    assert_ne!(added["id"], json!(ship));
    assert_eq!(added["name"], "Millennium Falcon");
    assert_eq!(added["length"].as_f64(), Some(2.0));
}
