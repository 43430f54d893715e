//! End-to-end query tests on Dgraph's `e2e/normal` schema and data. Every expected value
//! was derived by hand from `test_data.json` and the spec (graphql-backend.md R.1–R.3), not
//! from this engine's output.
//!
//! Data recap (test_data.json): authors Ann Author (dob 2000-01-01, reputation 6.6,
//! Bangladesh, posts 1 and 3), Ann Other Author (1988-01-01, 8.9, Angola, posts 2 and 4),
//! Three Author (2001-01-01, 9.1, Bangladesh, no posts); posts 1–4 with numLikes 100, 87,
//! 77, 1; states NSW, Nusa, Maharashtra, Gujarat, Karnataka (the last three in India).

mod query_support;

use std::sync::OnceLock;

use graphcloud_engine::Caller;
use query_support::*;
use serde_json::{Value, json};

fn fx() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(Fixture::normal)
}

fn q(query: &str) -> Value {
    fx().query(query)
}

macro_rules! case {
    ($name:ident, $query:expr, $expected:tt) => {
        #[test]
        fn $name() {
            assert_data(&q($query), json!($expected));
        }
    };
}

// ---- order, pagination ----

case!(
    order_asc_string,
    "{ queryAuthor(order: {asc: name}) { name reputation } }",
    {"queryAuthor": [
        {"name": "Ann Author", "reputation": 6.6},
        {"name": "Ann Other Author", "reputation": 8.9},
        {"name": "Three Author", "reputation": 9.1}
    ]}
);

case!(
    order_desc_float,
    "{ queryAuthor(order: {desc: reputation}) { name } }",
    {"queryAuthor": [{"name": "Three Author"}, {"name": "Ann Other Author"}, {"name": "Ann Author"}]}
);

case!(
    order_desc_int_first,
    "{ queryPost(order: {desc: numLikes}, first: 2) { title numLikes } }",
    {"queryPost": [
        {"title": "Introducing GraphQL in Dgraph", "numLikes": 100},
        {"title": "Learning GraphQL in Dgraph", "numLikes": 87}
    ]}
);

case!(
    order_first_offset,
    "{ queryPost(order: {desc: numLikes}, first: 2, offset: 1) { numLikes } }",
    {"queryPost": [{"numLikes": 87}, {"numLikes": 77}]}
);

case!(
    order_offset_past_end,
    "{ queryPost(order: {asc: numLikes}, offset: 10) { numLikes } }",
    {"queryPost": []}
);

case!(
    order_then_when_first_key_missing,
    "{ queryState(order: {asc: capital, then: {asc: name}}) { name } }",
    {"queryState": [
        {"name": "Gujarat"}, {"name": "Karnataka"}, {"name": "Maharashtra"},
        {"name": "NSW"}, {"name": "Nusa"}
    ]}
);

case!(
    order_datetime_desc,
    "{ queryAuthor(order: {desc: dob}) { name dob } }",
    {"queryAuthor": [
        {"name": "Three Author", "dob": "2001-01-01T00:00:00Z"},
        {"name": "Ann Author", "dob": "2000-01-01T00:00:00Z"},
        {"name": "Ann Other Author", "dob": "1988-01-01T00:00:00Z"}
    ]}
);

// ---- hash / exact / ordered filters ----

case!(
    filter_hash_eq,
    "{ queryAuthor(filter: {name: {eq: \"Ann Author\"}}) { name dob } }",
    {"queryAuthor": [{"name": "Ann Author", "dob": "2000-01-01T00:00:00Z"}]}
);

case!(
    filter_hash_in,
    "{ queryAuthor(filter: {name: {in: [\"Three Author\", \"Ann Author\", \"Nobody\"]}}, order: {asc: name}) { name } }",
    {"queryAuthor": [{"name": "Ann Author"}, {"name": "Three Author"}]}
);

case!(
    filter_float_gt,
    "{ queryAuthor(filter: {reputation: {gt: 8.0}}, order: {asc: reputation}) { name } }",
    {"queryAuthor": [{"name": "Ann Other Author"}, {"name": "Three Author"}]}
);

case!(
    filter_float_between_inclusive,
    "{ queryAuthor(filter: {reputation: {between: {min: 6.6, max: 8.9}}}, order: {asc: name}) { name } }",
    {"queryAuthor": [{"name": "Ann Author"}, {"name": "Ann Other Author"}]}
);

case!(
    filter_float_le,
    "{ queryAuthor(filter: {reputation: {le: 6.6}}) { name } }",
    {"queryAuthor": [{"name": "Ann Author"}]}
);

case!(
    filter_datetime_le,
    "{ queryAuthor(filter: {dob: {le: \"2000-01-01\"}}, order: {asc: dob}) { name } }",
    {"queryAuthor": [{"name": "Ann Other Author"}, {"name": "Ann Author"}]}
);

case!(
    filter_datetime_gt_rfc3339,
    "{ queryAuthor(filter: {dob: {gt: \"2000-06-01T00:00:00Z\"}}) { name } }",
    {"queryAuthor": [{"name": "Three Author"}]}
);

case!(
    filter_datetime_between,
    "{ queryAuthor(filter: {dob: {between: {min: \"1980-01-01\", max: \"1999-12-31\"}}}) { name } }",
    {"queryAuthor": [{"name": "Ann Other Author"}]}
);

case!(
    filter_int_gt,
    "{ queryPost(filter: {numLikes: {gt: 80}}, order: {desc: numLikes}) { numLikes } }",
    {"queryPost": [{"numLikes": 100}, {"numLikes": 87}]}
);

case!(
    filter_int_between,
    "{ queryPost(filter: {numLikes: {between: {min: 50, max: 90}}}, order: {asc: numLikes}) { title } }",
    {"queryPost": [{"title": "GraphQL doco"}, {"title": "Learning GraphQL in Dgraph"}]}
);

case!(
    filter_int_lt,
    "{ queryPost(filter: {numLikes: {lt: 77}}) { title } }",
    {"queryPost": [{"title": "Random post"}]}
);

case!(
    filter_int_eq,
    "{ queryPost(filter: {numLikes: {eq: 87}}) { title } }",
    {"queryPost": [{"title": "Learning GraphQL in Dgraph"}]}
);

case!(
    filter_int64_ge_beyond_32_bits,
    "{ queryPost(filter: {numViews: {ge: 274877906944}}, order: {desc: numViews}) { numViews } }",
    {"queryPost": [{"numViews": 280000000000_i64}, {"numViews": 274877906944_i64}]}
);

case!(
    filter_int64_lt,
    "{ queryPost(filter: {numViews: {lt: 2147483649}}, order: {asc: numViews}) { title numViews } }",
    {"queryPost": [
        {"title": "Random post", "numViews": 0},
        {"title": "GraphQL doco", "numViews": 2147483648_i64}
    ]}
);

case!(
    filter_bool_eq,
    "{ queryPost(filter: {isPublished: false}) { title } }",
    {"queryPost": [{"title": "Random post"}]}
);

case!(
    filter_enum_eq,
    "{ queryPost(filter: {postType: {eq: Fact}}, order: {asc: title}) { title postType } }",
    {"queryPost": [
        {"title": "Introducing GraphQL in Dgraph", "postType": "Fact"},
        {"title": "Random post", "postType": "Fact"}
    ]}
);

case!(
    filter_enum_in,
    "{ queryPost(filter: {postType: {in: [Question, Opinion]}}, order: {asc: title}) { title } }",
    {"queryPost": [{"title": "GraphQL doco"}, {"title": "Learning GraphQL in Dgraph"}]}
);

case!(
    filter_exact_list_eq,
    "{ queryPost(filter: {tags: {eq: \"Database\"}}) { title } }",
    {"queryPost": [{"title": "Introducing GraphQL in Dgraph"}]}
);

case!(
    filter_exact_list_in,
    "{ queryPost(filter: {tags: {in: [\"Random\", \"Database\"]}}, order: {asc: title}) { title } }",
    {"queryPost": [{"title": "Introducing GraphQL in Dgraph"}, {"title": "Random post"}]}
);

case!(
    filter_exact_string_lt,
    "{ queryPost(filter: {topic: {lt: \"GraphQL\"}}) { topic } }",
    {"queryPost": [{"topic": "Docs"}]}
);

case!(
    filter_exact_string_ge,
    "{ queryPost(filter: {topic: {ge: \"Learn\"}}, order: {asc: topic}) { topic } }",
    {"queryPost": [{"topic": "Learn"}, {"topic": "Random"}]}
);

case!(
    filter_eq_null_means_no_value,
    "{ queryAuthor(filter: {qualification: {eq: null}}, order: {asc: name}) { name } }",
    {"queryAuthor": [{"name": "Ann Author"}, {"name": "Ann Other Author"}, {"name": "Three Author"}]}
);

// ---- term / fulltext / trigram ----

case!(
    filter_allofterms,
    "{ queryPost(filter: {title: {allofterms: \"dgraph GRAPHQL\"}}, order: {asc: title}) { title } }",
    {"queryPost": [{"title": "Introducing GraphQL in Dgraph"}, {"title": "Learning GraphQL in Dgraph"}]}
);

case!(
    filter_anyofterms,
    "{ queryPost(filter: {title: {anyofterms: \"doco random\"}}, order: {asc: title}) { title } }",
    {"queryPost": [{"title": "GraphQL doco"}, {"title": "Random post"}]}
);

case!(
    filter_alloftext_stems,
    "{ queryPost(filter: {text: {alloftext: \"learning graphql\"}}, order: {asc: title}) { title } }",
    {"queryPost": [{"title": "GraphQL doco"}, {"title": "Learning GraphQL in Dgraph"}]}
);

case!(
    filter_anyoftext_stem_plural,
    "{ queryPost(filter: {text: {anyoftext: \"databases\"}}) { title } }",
    {"queryPost": [{"title": "Introducing GraphQL in Dgraph"}]}
);

case!(
    filter_alloftext_publishing_posts,
    "{ queryPost(filter: {text: {alloftext: \"posts published\"}}) { title } }",
    {"queryPost": [{"title": "Random post"}]}
);

case!(
    filter_fulltext_on_title,
    "{ queryPost(filter: {title: {anyoftext: \"introduce\"}}) { title } }",
    {"queryPost": [{"title": "Introducing GraphQL in Dgraph"}]}
);

case!(
    filter_regexp_anchored,
    "{ queryAuthor(filter: {name: {regexp: \"/^Ann/\"}}, order: {asc: name}) { name } }",
    {"queryAuthor": [{"name": "Ann Author"}, {"name": "Ann Other Author"}]}
);

case!(
    filter_regexp_case_insensitive,
    "{ queryAuthor(filter: {name: {regexp: \"/other/i\"}}) { name } }",
    {"queryAuthor": [{"name": "Ann Other Author"}]}
);

case!(
    filter_regexp_on_id_field_of_state,
    "{ queryState(filter: {xcode: {regexp: \"/^nus/\"}}) { name } }",
    {"queryState": [{"name": "Nusa"}]}
);

case!(
    filter_trigram_country,
    "{ queryCountry(filter: {name: {regexp: \"/desh$/\"}}) { name } }",
    {"queryCountry": [{"name": "Bangladesh"}]}
);

// ---- ngram (Article: title @search(by: [ngram, regexp]), summaries [String] @search(by: [ngram])) ----
// Words are analysed as for fulltext (stop words dropped, English stems, order kept); a value
// matches when it holds the query's words as one contiguous run.

case!(
    ngram_title_contiguous_run,
    "{ queryArticle(filter: {title: {ngram: \"healthy eating\"}}) { title } }",
    {"queryArticle": [{"title": "Nutrition and Healthy Eating Habits"}]}
);

case!(
    ngram_matches_nothing,
    "{ a: queryArticle(filter: {title: {ngram: \"quantum physics\"}}) { title } b: queryArticle(filter: {summaries: {ngram: \"zzz\"}}) { title } }",
    {"a": [], "b": []}
);

case!(
    ngram_word_order_matters,
    "{ queryArticle(filter: {title: {ngram: \"eating healthy\"}}) { title } }",
    {"queryArticle": []}
);

case!(
    ngram_stems_and_skips_stop_words,
    "{ a: queryArticle(filter: {title: {ngram: \"run\"}}) { title } b: queryArticle(filter: {title: {ngram: \"nutrition and healthy\"}}) { title } c: queryArticle(filter: {title: {ngram: \"and the\"}}) { title } }",
    {"a": [{"title": "Running for Cardiovascular Health"}],
     "b": [{"title": "Nutrition and Healthy Eating Habits"}],
     "c": []}
);

case!(
    ngram_on_list_field_any_element,
    "{ queryArticle(filter: {summaries: {ngram: \"heart health\"}}) { title } }",
    {"queryArticle": [{"title": "Running for Cardiovascular Health"}]}
);

case!(
    ngram_runs_are_per_field,
    "{ t: queryArticle(filter: {title: {ngram: \"muscle building\"}}) { title } s: queryArticle(filter: {summaries: {ngram: \"muscle building\"}}) { title } }",
    {"t": [{"title": "Weight Training and Muscle Building"}], "s": []}
);

case!(
    ngram_longer_than_three_words,
    "{ a: queryArticle(filter: {summaries: {ngram: \"muscle mass and bone density\"}}) { title } b: queryArticle(filter: {summaries: {ngram: \"strength training muscle mass\"}}) { title } }",
    {"a": [{"title": "Weight Training and Muscle Building"}], "b": []}
);

case!(
    ngram_in_or_and_aggregate,
    "{ queryArticle(filter: {or: [{title: {ngram: \"weight training\"}}, {summaries: {ngram: \"nutritional guidelines\"}}]}, order: {asc: title}) { title } aggregateArticle(filter: {summaries: {ngram: \"training builds muscle\"}}) { count } }",
    {"queryArticle": [
        {"title": "Nutrition and Healthy Eating Habits"},
        {"title": "Weight Training and Muscle Building"}
     ],
     "aggregateArticle": {"count": 1}}
);

// ---- and / or / not / has / id ----

case!(
    filter_not,
    "{ queryPost(filter: {not: {isPublished: true}}) { title } }",
    {"queryPost": [{"title": "Random post"}]}
);

case!(
    filter_or,
    "{ queryPost(filter: {title: {anyofterms: \"doco\"}, or: {numLikes: {gt: 90}}}, order: {asc: title}) { title } }",
    {"queryPost": [{"title": "GraphQL doco"}, {"title": "Introducing GraphQL in Dgraph"}]}
);

case!(
    filter_and_list,
    "{ queryPost(filter: {and: [{numLikes: {gt: 50}}, {isPublished: true}, {not: {postType: {eq: Fact}}}]}, order: {asc: numLikes}) { numLikes } }",
    {"queryPost": [{"numLikes": 77}, {"numLikes": 87}]}
);

case!(
    filter_or_list,
    "{ queryAuthor(filter: {or: [{name: {eq: \"Three Author\"}}, {reputation: {lt: 7.0}}]}, order: {asc: name}) { name } }",
    {"queryAuthor": [{"name": "Ann Author"}, {"name": "Three Author"}]}
);

case!(
    filter_has_edge,
    "{ queryAuthor(filter: {has: posts}, order: {asc: name}) { name } }",
    {"queryAuthor": [{"name": "Ann Author"}, {"name": "Ann Other Author"}]}
);

case!(
    filter_not_has,
    "{ queryState(filter: {not: {has: country}}, order: {asc: name}) { name } }",
    {"queryState": [{"name": "NSW"}, {"name": "Nusa"}]}
);

case!(
    filter_has_list_of_fields,
    "{ queryCountry(filter: {has: [name, states]}) { name } }",
    {"queryCountry": [{"name": "India"}]}
);

// ---- get ----

case!(
    get_by_xid,
    "{ getState(xcode: \"mh\") { name country { name } } }",
    {"getState": {"name": "Maharashtra", "country": {"name": "India"}}}
);

case!(
    get_by_int64_xid,
    "{ getBook(bookId: 1234567890) { bookId name desc } }",
    {"getBook": {"bookId": 1234567890, "name": "Dgraph and Graphql", "desc": "All love between dgraph and graphql"}}
);

case!(
    get_by_int_xid_missing_edge_is_null,
    "{ getChapter(chapterId: 1) { name book { name } } }",
    {"getChapter": {"name": "How Dgraph Works", "book": null}}
);

case!(
    get_missing_xid_is_null,
    "{ getState(xcode: \"zz\") { name } }",
    {"getState": null}
);

case!(
    get_uid_zero_is_null,
    "{ getAuthor(id: \"0x0\") { name } }",
    {"getAuthor": null}
);

#[test]
fn get_by_id_round_trip_and_id_filter() {
    let r = q("{ queryAuthor(filter: {name: {eq: \"Three Author\"}}) { id } }");
    let id = r["data"]["queryAuthor"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(id.starts_with("0x"), "{id}");
    let g = q(&format!("{{ getAuthor(id: \"{id}\") {{ id name }} }}"));
    assert_data(&g, json!({"getAuthor": {"id": id, "name": "Three Author"}}));
    let f = q(&format!(
        "{{ queryAuthor(filter: {{id: [\"{id}\", \"0xfffffff\"]}}) {{ name }} }}"
    ));
    assert_data(&f, json!({"queryAuthor": [{"name": "Three Author"}]}));
    // The uid of an author is not a Post.
    let p = q(&format!("{{ getPost(postID: \"{id}\") {{ title }} }}"));
    assert_data(&p, json!({"getPost": null}));
}

#[test]
fn get_with_unparsable_id() {
    let r = q("{ getAuthor(id: \"not-an-id\") { name } }");
    assert_eq!(
        messages(&r),
        vec![
            "couldn't rewrite query getAuthor because ID argument (not-an-id) of getAuthor was not able to be parsed"
        ]
    );
    assert_eq!(r["data"], json!({"getAuthor": null}));
}

// ---- nested fields ----

case!(
    nested_order,
    "{ queryAuthor(filter: {name: {eq: \"Ann Author\"}}) { posts(order: {asc: title}) { title } } }",
    {"queryAuthor": [{"posts": [{"title": "GraphQL doco"}, {"title": "Introducing GraphQL in Dgraph"}]}]}
);

case!(
    nested_filter,
    "{ queryAuthor(order: {asc: name}) { name posts(filter: {numLikes: {gt: 80}}) { numLikes } } }",
    {"queryAuthor": [
        {"name": "Ann Author", "posts": [{"numLikes": 100}]},
        {"name": "Ann Other Author", "posts": [{"numLikes": 87}]},
        {"name": "Three Author", "posts": []}
    ]}
);

case!(
    nested_pagination,
    "{ queryAuthor(filter: {name: {eq: \"Ann Other Author\"}}) { posts(order: {desc: numLikes}, first: 1, offset: 1) { title } } }",
    {"queryAuthor": [{"posts": [{"title": "Random post"}]}]}
);

case!(
    nested_two_hops,
    "{ queryPost(filter: {numLikes: {eq: 1}}) { author { name country { name } } } }",
    {"queryPost": [{"author": {"name": "Ann Other Author", "country": {"name": "Angola"}}}]}
);

case!(
    nested_singular_filter_not_matching_is_null,
    "{ queryAuthor(filter: {name: {eq: \"Ann Author\"}}) { name country(filter: {name: {eq: \"Angola\"}}) { name } } }",
    {"queryAuthor": [{"name": "Ann Author", "country": null}]}
);

#[test]
fn non_null_edge_filtered_away_propagates_null() {
    // `Post.author` is `Author!`: a filter that removes it nulls the post (R.6).
    let r = q(
        "{ queryPost(filter: {numLikes: {eq: 100}}) { title author(filter: {name: {eq: \"Three Author\"}}) { name } } }",
    );
    assert_eq!(
        messages(&r),
        vec![
            "Non-nullable field 'author' (type Author!) was not present in result from Dgraph.  GraphQL error propagation triggered."
        ]
    );
    assert_eq!(r["errors"][0]["path"], json!(["queryPost", 0, "author"]));
    assert_eq!(r["data"], json!({"queryPost": [null]}));
}

case!(
    nested_inverse_edge_from_state,
    "{ queryCountry(filter: {name: {eq: \"India\"}}) { states(order: {asc: name}) { name country { name } } } }",
    {"queryCountry": [{"states": [
        {"name": "Gujarat", "country": {"name": "India"}},
        {"name": "Karnataka", "country": {"name": "India"}},
        {"name": "Maharashtra", "country": {"name": "India"}}
    ]}]}
);

// ---- aggregates ----

case!(
    aggregate_root,
    "{ aggregatePost { count numLikesSum numLikesMin numLikesMax titleMin titleMax numViewsMax } }",
    {"aggregatePost": {
        "count": 4, "numLikesSum": 265, "numLikesMin": 1, "numLikesMax": 100,
        "titleMin": "GraphQL doco", "titleMax": "Random post", "numViewsMax": 280000000000_i64
    }}
);

case!(
    aggregate_root_filtered_avg,
    "{ aggregatePost(filter: {isPublished: true}) { count numLikesAvg } }",
    {"aggregatePost": {"count": 3, "numLikesAvg": 88.0}}
);

case!(
    aggregate_float_and_datetime,
    "{ aggregateAuthor { count reputationMin reputationMax dobMin dobMax } }",
    {"aggregateAuthor": {
        "count": 3, "reputationMin": 6.6, "reputationMax": 9.1,
        "dobMin": "1988-01-01T00:00:00Z", "dobMax": "2001-01-01T00:00:00Z"
    }}
);

case!(
    aggregate_empty_is_zero_count_and_nulls,
    "{ aggregateCountry(filter: {name: {eq: \"Atlantis\"}}) { count nameMin nameMax } }",
    {"aggregateCountry": {"count": 0, "nameMin": null, "nameMax": null}}
);

case!(
    aggregate_nested,
    "{ queryAuthor(order: {asc: name}) { name postsAggregate { count numLikesMax numLikesMin numLikesSum numLikesAvg } } }",
    {"queryAuthor": [
        {"name": "Ann Author", "postsAggregate": {"count": 2, "numLikesMax": 100, "numLikesMin": 77, "numLikesSum": 177, "numLikesAvg": 88.5}},
        {"name": "Ann Other Author", "postsAggregate": {"count": 2, "numLikesMax": 87, "numLikesMin": 1, "numLikesSum": 88, "numLikesAvg": 44.0}},
        {"name": "Three Author", "postsAggregate": {"count": 0, "numLikesMax": null, "numLikesMin": null, "numLikesSum": null, "numLikesAvg": null}}
    ]}
);

case!(
    aggregate_nested_filtered,
    "{ queryCountry(filter: {name: {eq: \"India\"}}) { statesAggregate(filter: {not: {has: capital}}) { count nameMin nameMax } } }",
    {"queryCountry": [{"statesAggregate": {"count": 3, "nameMin": "Gujarat", "nameMax": "Maharashtra"}}]}
);

#[test]
fn cascade_unknown_field_is_an_error() {
    let r = q("{ queryState @cascade(fields: [\"nope\"]) { name } }");
    let m = messages(&r);
    assert_eq!(m.len(), 1, "{r}");
    assert!(
        m[0].ends_with("Field `nope` is not present in type `State`. You can only use fields in cascade which are in type `State`"),
        "{}",
        m[0]
    );
}

// ---- cascade ----

case!(
    cascade_drops_nodes_without_edges,
    "{ queryAuthor(order: {asc: name}) @cascade { name posts { title } } }",
    {"queryAuthor": [
        {"name": "Ann Author", "posts": [{"title": "Introducing GraphQL in Dgraph"}, {"title": "GraphQL doco"}]},
        {"name": "Ann Other Author", "posts": [{"title": "Learning GraphQL in Dgraph"}, {"title": "Random post"}]}
    ]}
);

case!(
    cascade_with_fields,
    "{ queryState(order: {asc: name}) @cascade(fields: [\"country\"]) { name capital } }",
    {"queryState": [
        {"name": "Gujarat", "capital": null},
        {"name": "Karnataka", "capital": null},
        {"name": "Maharashtra", "capital": null}
    ]}
);

case!(
    cascade_nested_only,
    "{ queryCountry(order: {asc: name}) { name states @cascade { name capital } } }",
    {"queryCountry": [
        {"name": "Angola", "states": []},
        {"name": "Bangladesh", "states": []},
        {"name": "India", "states": []},
        {"name": "Mozambique", "states": []}
    ]}
);

case!(
    cascade_then_pagination,
    "{ queryAuthor(order: {desc: name}, first: 1) @cascade { name posts { numLikes } } }",
    {"queryAuthor": [{"name": "Ann Other Author", "posts": [{"numLikes": 87}, {"numLikes": 1}]}]}
);

// `@cascade` on `get<T>` (by `@id` and by id): a node lacking a required field is null.
case!(
    cascade_on_get_by_xid,
    "{ gj: getState(xcode: \"gj\") @cascade { name country { name } } nsw: getState(xcode: \"nsw\") @cascade { name country { name } } }",
    {"gj": {"name": "Gujarat", "country": {"name": "India"}}, "nsw": null}
);

case!(
    cascade_on_get_with_fields,
    "{ a: getState(xcode: \"gj\") @cascade(fields: [\"capital\"]) { name capital } b: getState(xcode: \"gj\") @cascade(fields: [\"country\"]) { name capital } }",
    {"a": null, "b": {"name": "Gujarat", "capital": null}}
);

case!(
    cascade_on_get_nested_filter_empties_edge,
    "{ ka: getState(xcode: \"ka\") @cascade { name country(filter: {name: {eq: \"Angola\"}}) { name } } gj: getState(xcode: \"gj\") @cascade { name country(filter: {name: {eq: \"India\"}}) { name } } }",
    {"ka": null, "gj": {"name": "Gujarat", "country": {"name": "India"}}}
);

#[test]
fn cascade_on_get_by_id() {
    let id_of = |name: &str| {
        let r = q(&format!(
            "{{ queryAuthor(filter: {{name: {{eq: \"{name}\"}}}}) {{ id }} }}"
        ));
        r["data"]["queryAuthor"][0]["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (ann, three) = (id_of("Ann Author"), id_of("Three Author"));
    // Three Author has no posts; Ann Author has posts 1 and 3 but no qualification.
    let r = q(&format!(
        "{{ a: getAuthor(id: \"{ann}\") @cascade {{ name posts(order: {{asc: numLikes}}) {{ numLikes }} }} t: getAuthor(id: \"{three}\") @cascade {{ name posts {{ numLikes }} }} q: getAuthor(id: \"{ann}\") @cascade {{ name qualification }} }}"
    ));
    assert_data(
        &r,
        json!({
            "a": {"name": "Ann Author", "posts": [{"numLikes": 77}, {"numLikes": 100}]},
            "t": null,
            "q": null
        }),
    );
    // Without the directive the same nodes are returned.
    let r = q(&format!(
        "{{ t: getAuthor(id: \"{three}\") {{ name posts {{ numLikes }} }} }}"
    ));
    assert_data(&r, json!({"t": {"name": "Three Author", "posts": []}}));
}

#[test]
fn cascade_on_get_unknown_field_is_an_error() {
    let r = q("{ getState(xcode: \"gj\") @cascade(fields: [\"nope\"]) { name } }");
    let m = messages(&r);
    assert_eq!(m.len(), 1, "{r}");
    assert!(
        m[0].ends_with("Field `nope` is not present in type `State`. You can only use fields in cascade which are in type `State`"),
        "{}",
        m[0]
    );
}

// ---- GraphQL features ----

case!(
    typename_and_alias,
    "{ c: queryCountry(filter: {name: {eq: \"India\"}}) { __typename n: name } }",
    {"c": [{"__typename": "Country", "n": "India"}]}
);

case!(
    fragments_and_inline_fragments,
    "query { getState(xcode: \"ka\") { ...S ... on State { xcode } } } fragment S on State { name }",
    {"getState": {"name": "Karnataka", "xcode": "ka"}}
);

case!(
    introspection_type,
    "{ __type(name: \"Author\") { name kind } }",
    {"__type": {"name": "Author", "kind": "OBJECT"}}
);

case!(
    introspection_schema_root,
    "{ __schema { queryType { name } mutationType { name } } }",
    {"__schema": {"queryType": {"name": "Query"}, "mutationType": {"name": "Mutation"}}}
);

case!(
    introspection_mixed_with_data,
    "{ __typename queryCountry(filter: {name: {eq: \"Angola\"}}) { name } }",
    {"__typename": "Query", "queryCountry": [{"name": "Angola"}]}
);

#[test]
fn variables_skip_include() {
    let r = fx().query_vars(
        "query($n: String!, $withRep: Boolean!, $skipDob: Boolean!) { queryAuthor(filter: {name: {eq: $n}}) { name reputation @include(if: $withRep) dob @skip(if: $skipDob) } }",
        json!({"n": "Three Author", "withRep": false, "skipDob": false}),
    );
    assert_data(
        &r,
        json!({"queryAuthor": [{"name": "Three Author", "dob": "2001-01-01T00:00:00Z"}]}),
    );
}

#[test]
fn int64_variable_is_lossless() {
    let r = fx().query_vars(
        "query($v: Int64) { queryPost(filter: {numViews: {eq: $v}}) { title } }",
        json!({"v": 280000000000_i64}),
    );
    assert_data(
        &r,
        json!({"queryPost": [{"title": "Introducing GraphQL in Dgraph"}]}),
    );
}

#[test]
fn filter_object_from_variable() {
    let r = fx().query_vars(
        "query($f: PostFilter) { queryPost(filter: $f, order: {asc: numLikes}) { numLikes } }",
        json!({"f": {"numLikes": {"lt": 80}}}),
    );
    assert_data(
        &r,
        json!({"queryPost": [{"numLikes": 1}, {"numLikes": 77}]}),
    );
}

#[test]
fn operation_name_selects_operation() {
    let req = graphcloud_engine::Request {
        query: "query A { queryCountry(filter: {name: {eq: \"Angola\"}}) { name } } query B { getState(xcode: \"nsw\") { name } }".into(),
        operation_name: Some("B".into()),
        variables: Default::default(),
    };
    let r = fx().engine.graphql_blocking(BACKEND, ADMIN, &req).to_json();
    assert_data(&r, json!({"getState": {"name": "NSW"}}));
}

// ---- errors ----

#[test]
fn validation_error_suggests_field() {
    let r = q("{ queryAuthor { namezzz } }");
    assert_eq!(
        messages(&r),
        vec!["Cannot query field \"namezzz\" on type \"Author\". Did you mean \"name\"?"]
    );
    assert_eq!(r["data"], Value::Null);
}

#[test]
fn undefined_variable_error() {
    let r = q("query { getAuthor(id: $theID) { name } }");
    assert_eq!(messages(&r), vec!["Variable \"$theID\" is not defined."]);
}

#[test]
fn two_operators_in_one_scalar_filter() {
    let r = q("{ queryPost(filter: {numViews: {ge: 1, le: 5}}) { title } }");
    assert_eq!(
        messages(&r),
        vec!["Int64Filter filter expects only one filter function, got: 2"]
    );
    assert_eq!(r["data"], Value::Null);
}

#[test]
fn regexp_without_slashes_is_not_a_pattern() {
    let r = q("{ queryAuthor(filter: {name: {regexp: \"Ann.*\"}}) { name } }");
    assert_eq!(messages(&r).len(), 1, "{r}");
    assert_eq!(r["data"], json!({"queryAuthor": null}));
}

// A regexp in a filter checks the nodes the query selected (Dgraph puts it in `@filter` under
// `type(T)`), so patterns too short for the trigram index are fine.
case!(
    filter_regexp_short_pattern,
    "{ queryAuthor(filter: {name: {regexp: \"/n/\"}}, order: {asc: name}) { name } }",
    {"queryAuthor": [{"name": "Ann Author"}, {"name": "Ann Other Author"}]}
);

case!(
    filter_regexp_single_anchored_letter,
    "{ queryAuthor(filter: {name: {regexp: \"/^A/\"}}, order: {asc: name}) { name } }",
    {"queryAuthor": [{"name": "Ann Author"}, {"name": "Ann Other Author"}]}
);

case!(
    filter_regexp_short_pattern_nested_and_combined,
    "{ queryCountry(filter: {name: {regexp: \"/^[AI]/\"}}, order: {asc: name}) { name states(filter: {xcode: {regexp: \"/a$/\"}}) { name } } queryAuthor(filter: {and: [{name: {regexp: \"/r$/\"}}, {reputation: {gt: 7.0}}]}, order: {asc: name}) { name } }",
    {"queryCountry": [
        {"name": "Angola", "states": []},
        {"name": "India", "states": [{"name": "Karnataka"}]}
     ],
     "queryAuthor": [{"name": "Ann Other Author"}, {"name": "Three Author"}]}
);

case!(
    filter_regexp_short_pattern_matches_nothing,
    "{ queryAuthor(filter: {name: {regexp: \"/z/\"}}) { name } }",
    {"queryAuthor": []}
);

#[test]
fn regexp_that_does_not_parse_is_an_error() {
    let r = q("{ queryAuthor(filter: {name: {regexp: \"/(An/\"}}) { name } }");
    let m = messages(&r);
    assert_eq!(m.len(), 1, "{r}");
    assert!(m[0].contains("invalid regular expression"), "{}", m[0]);
}

#[test]
fn anonymous_read_cannot_mutate() {
    let caller = Caller {
        access: graphcloud_engine::Access::AnonymousRead,
        read_only: false,
    };
    let r = fx().query_as(
        caller,
        "mutation { addCountry(input: [{name: \"Nowhere\"}]) { numUids } }",
        Value::Null,
    );
    assert_eq!(messages(&r).len(), 1);
    // Queries are still allowed.
    let r = fx().query_as(caller, "{ getState(xcode: \"gj\") { name } }", Value::Null);
    assert_data(&r, json!({"getState": {"name": "Gujarat"}}));
}

#[test]
fn readonly_deployment_rejects_mutations() {
    let caller = Caller {
        access: graphcloud_engine::Access::Admin,
        read_only: true,
    };
    let r = fx().query_as(
        caller,
        "mutation { addCountry(input: [{name: \"Nowhere\"}]) { numUids } }",
        Value::Null,
    );
    assert!(messages(&r)[0].contains("readonly"), "{r}");
    let c = q("{ aggregateCountry { count } }");
    assert_data(&c, json!({"aggregateCountry": {"count": 4}}));
}

#[test]
fn depth_limit() {
    let mut s = String::from("{ queryCountry { ");
    for _ in 0..20 {
        s.push_str("states { country { ");
    }
    s.push_str("name");
    for _ in 0..20 {
        s.push_str(" } }");
    }
    s.push_str(" } }");
    let r = q(&s);
    assert!(messages(&r)[0].contains("levels deep"), "{r}");
}

#[test]
fn cache_control_directive() {
    let req = graphcloud_engine::Request {
        query: "query @cacheControl(maxAge: 30) { getState(xcode: \"gj\") { name } }".into(),
        operation_name: None,
        variables: Default::default(),
    };
    let r = fx().engine.graphql_blocking(BACKEND, ADMIN, &req);
    assert_eq!(r.cache_max_age, Some(30));
    assert_data(&r.to_json(), json!({"getState": {"name": "Gujarat"}}));
    let req = graphcloud_engine::Request {
        query: "{ getState(xcode: \"gj\") { name } }".into(),
        ..req
    };
    assert_eq!(
        fx().engine
            .graphql_blocking(BACKEND, ADMIN, &req)
            .cache_max_age,
        None
    );
}

/// A backend whose stored data predates the `ngram` index (its storage schema has no such
/// index) still answers `ngram` filters correctly, and the next schema upload builds the index.
#[test]
fn ngram_without_a_stored_index_then_rebuilt_on_schema_update() {
    use graphcloud_store::{GraphRead, IndexKind};
    let f = Fixture::normal();
    let strip = |f: &Fixture| {
        f.engine
            .store()
            .write_blocking(BACKEND, |txn| {
                let mut preds = txn.schema()?;
                for p in &mut preds {
                    p.indexes.retain(|k| *k != IndexKind::Ngram);
                }
                txn.apply_schema(&preds)
            })
            .unwrap();
    };
    strip(&f);
    let has_index = |f: &Fixture| {
        f.engine
            .store()
            .read(BACKEND)
            .unwrap()
            .index_ngram("Article.title", "healthy eating")
            .is_ok()
    };
    assert!(!has_index(&f));
    let query = "{ t: queryArticle(filter: {title: {ngram: \"healthy eating\"}}) { title } n: queryArticle(filter: {summaries: {ngram: \"quantum\"}}) { title } }";
    let want = json!({"t": [{"title": "Nutrition and Healthy Eating Habits"}], "n": []});
    assert_data(&f.query(query), want.clone());
    let sdl = std::fs::read_to_string(conformance_dir().join("graphql/e2e/normal/schema.graphql"))
        .unwrap();
    f.engine
        .update_schema(BACKEND, query_support::ADMIN, &sdl)
        .unwrap();
    assert!(has_index(&f));
    assert_eq!(
        f.engine
            .store()
            .read(BACKEND)
            .unwrap()
            .index_ngram("Article.title", "healthy eating")
            .unwrap()
            .len(),
        1
    );
    assert_data(&f.query(query), want);
}

/// The uid of the author named `name`, as the `ID` string and as its decimal value.
fn author_uid(name: &str) -> (String, u64) {
    let r = q(&format!(
        "{{ queryAuthor(filter: {{name: {{eq: \"{name}\"}}}}) {{ id }} }}"
    ));
    let id = r["data"]["queryAuthor"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let n = u64::from_str_radix(id.trim_start_matches("0x"), 16).unwrap();
    (id, n)
}

/// GraphQL input coercion turns an Int given for an `ID` into the ID's string form: `105`
/// names the same node as `"105"`, i.e. uid `0x69`.
#[test]
fn int_literals_are_ids() {
    let (id, n) = author_uid("Three Author");
    let r = q(&format!(
        "{{ one: queryAuthor(filter: {{id: {n}}}) {{ name }} list: queryAuthor(filter: {{id: [{n}, 1]}}) {{ id name }} nested: queryAuthor(filter: {{not: {{id: {n}}}}}, order: {{asc: name}}) {{ name }} get: getAuthor(id: {n}) {{ id }} }}"
    ));
    assert_data(
        &r,
        json!({
            "one": [{"name": "Three Author"}],
            "list": [{"id": id, "name": "Three Author"}],
            "nested": [{"name": "Ann Author"}, {"name": "Ann Other Author"}],
            "get": {"id": id}
        }),
    );
}

#[test]
fn int_variable_values_are_ids() {
    let (id, n) = author_uid("Ann Other Author");
    let r = fx().query_vars(
        "query($one: ID!, $many: [ID!], $single: [ID!], $f: AuthorFilter) { g: getAuthor(id: $one) { name } m: queryAuthor(filter: {id: $many}) { name } s: queryAuthor(filter: {id: $single}) { name } f: queryAuthor(filter: $f) { id } }",
        json!({"one": n, "many": [n, 1], "single": n, "f": {"id": [n]}}),
    );
    assert_data(
        &r,
        json!({
            "g": {"name": "Ann Other Author"},
            "m": [{"name": "Ann Other Author"}],
            "s": [{"name": "Ann Other Author"}],
            "f": [{"id": id}]
        }),
    );
}

#[test]
fn int_id_in_a_mutation_filter() {
    let f = Fixture::normal();
    let r = f.query("{ queryCountry(filter: {name: {eq: \"Angola\"}}) { id } }");
    let id = r["data"]["queryCountry"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let n = u64::from_str_radix(id.trim_start_matches("0x"), 16).unwrap();
    let r = f.query(&format!(
        "mutation {{ updateCountry(input: {{filter: {{id: {n}}}, set: {{name: \"Angola Republic\"}}}}) {{ numUids country {{ id name }} }} }}"
    ));
    assert_data(
        &r,
        json!({"updateCountry": {"numUids": 1, "country": [{"id": id, "name": "Angola Republic"}]}}),
    );
}

/// GraphQL mutations keep the ngram index current: an added article is found, an updated
/// title is found by its new words only, a deleted article is gone.
#[test]
fn ngram_index_follows_mutations() {
    let f = Fixture::normal();
    let find = |f: &Fixture, words: &str| {
        f.query(&format!(
            "{{ queryArticle(filter: {{or: [{{title: {{ngram: \"{words}\"}}}}, {{summaries: {{ngram: \"{words}\"}}}}]}}, order: {{asc: title}}) {{ title }} }}"
        ))
    };
    let r = f.query(
        "mutation { addArticle(input: [{title: \"Swimming for Beginners\", summaries: [\"Breathing drills build lung capacity\"]}]) { article { id } } }",
    );
    assert!(r.get("errors").is_none(), "{r}");
    let id = r["data"]["addArticle"]["article"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_data(
        &find(&f, "swimming beginners"),
        json!({"queryArticle": [{"title": "Swimming for Beginners"}]}),
    );
    assert_data(
        &find(&f, "build lung capacity"),
        json!({"queryArticle": [{"title": "Swimming for Beginners"}]}),
    );
    let r = f.query(&format!(
        "mutation {{ updateArticle(input: {{filter: {{id: [\"{id}\"]}}, set: {{title: \"Cycling Basics\"}}}}) {{ numUids }} }}"
    ));
    assert_data(&r, json!({"updateArticle": {"numUids": 1}}));
    assert_data(&find(&f, "swimming"), json!({"queryArticle": []}));
    assert_data(
        &find(&f, "cycling basics"),
        json!({"queryArticle": [{"title": "Cycling Basics"}]}),
    );
    let r = f.query(&format!(
        "mutation {{ deleteArticle(filter: {{id: [\"{id}\"]}}) {{ numUids }} }}"
    ));
    assert_data(&r, json!({"deleteArticle": {"numUids": 1}}));
    assert_data(&find(&f, "cycling"), json!({"queryArticle": []}));
    assert_data(&find(&f, "lung capacity"), json!({"queryArticle": []}));
    // The seed articles are untouched.
    assert_data(
        &find(&f, "healthy eating habits"),
        json!({"queryArticle": [{"title": "Nutrition and Healthy Eating Habits"}]}),
    );
}
// ---- federation `_entities` (Dgraph's entitiesQueryWithKeyFieldOfType{String,Int}) ----

fn add_ships(f: &Fixture) {
    let r = f.query_vars(
        "mutation addSpaceShip($id1: String!, $id2: String!, $id3: String!, $id4: String!) {
            addSpaceShip(input: [{id: $id1, missions: [{id: \"Mission1\", designation: \"Apollo1\"}]}, {id: $id2, missions: [{id: \"Mission2\", designation: \"Apollo2\"}]}, {id: $id3, missions: [{id: \"Mission3\", designation: \"Apollo3\"}]}, {id: $id4, missions: [{id: \"Mission4\", designation: \"Apollo4\"}]}]) { numUids }
        }",
        json!({"id1": "SpaceShip1", "id2": "SpaceShip2", "id3": "SpaceShip3", "id4": "SpaceShip4"}),
    );
    assert!(r.get("errors").is_none(), "{r}");
}

#[test]
fn entities_accept_variables_inside_representations() {
    let f = Fixture::normal();
    add_ships(&f);
    let r = f.query_vars(
        "query _entities($typeName: String!, $id1: String!, $id2: String!, $id3: String!, $id4: String!) {
            _entities(representations: [{__typename: $typeName, id: $id4}, {__typename: $typeName, id: $id2}, {__typename: $typeName, id: $id1}, {__typename: $typeName, id: $id3}, {__typename: $typeName, id: $id1}]) {
                ... on SpaceShip { missions(order: {asc: id}) { id designation } }
            }
        }",
        json!({"typeName": "SpaceShip", "id1": "SpaceShip1", "id2": "SpaceShip2", "id3": "SpaceShip3", "id4": "SpaceShip4"}),
    );
    assert!(r.get("errors").is_none(), "{r}");
    // Representation order (the repeated key twice); every object's keys in byte order, as
    // the reference serves `_entities` when every key is found.
    assert_eq!(
        serde_json::to_string(&r["data"]).unwrap(),
        r#"{"_entities":[{"missions":[{"designation":"Apollo4","id":"Mission4"}]},{"missions":[{"designation":"Apollo2","id":"Mission2"}]},{"missions":[{"designation":"Apollo1","id":"Mission1"}]},{"missions":[{"designation":"Apollo3","id":"Mission3"}]},{"missions":[{"designation":"Apollo1","id":"Mission1"}]}]}"#
    );
}

#[test]
fn entities_with_int_keys_and_missing_keys() {
    let f = Fixture::normal();
    let r = f.query("mutation { addPlanet(input: [{id: 1, missions: [{id: \"Mission1\", designation: \"Apollo1\"}]}, {id: 2, missions: [{id: \"Mission2\", designation: \"Apollo2\"}]}]) { numUids } }");
    assert!(r.get("errors").is_none(), "{r}");
    let q = "query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Planet { id missions { id } } } }";
    let r = f.query_vars(
        q,
        json!({"reps": [{"__typename": "Planet", "id": 2}, {"__typename": "Planet", "id": 1}]}),
    );
    assert_eq!(
        serde_json::to_string(&r["data"]).unwrap(),
        r#"{"_entities":[{"id":2,"missions":[{"id":"Mission2"}]},{"id":1,"missions":[{"id":"Mission1"}]}]}"#
    );
    // A key that matches nothing: only the nodes found, in storage order, keys as selected.
    let r = f.query_vars(
        "query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Planet { missions { id } id } } }",
        json!({"reps": [{"__typename": "Planet", "id": 2}, {"__typename": "Planet", "id": 9}, {"__typename": "Planet", "id": 1}]}),
    );
    assert_eq!(
        serde_json::to_string(&r["data"]).unwrap(),
        r#"{"_entities":[{"missions":[{"id":"Mission1"}],"id":1},{"missions":[{"id":"Mission2"}],"id":2}]}"#
    );
}

#[test]
fn entities_argument_errors() {
    let f = fx();
    let q = "query($reps: [_Any!]!) { _entities(representations: $reps) { __typename } }";
    let cases = [
        (
            json!([]),
            "expecting at least one item in `representations` argument",
        ),
        (
            json!([7]),
            "error parsing 0th item in the `_representations` argument",
        ),
        (
            json!([{"id": "x"}]),
            "unable to extract __typename from 0th item in the `_representations` argument",
        ),
        (
            json!([{"__typename": "Nope", "id": "x"}]),
            "type Nope not found in the schema",
        ),
        (
            json!([{"__typename": "Author", "id": "x"}]),
            "type Author doesn't have a key Directive",
        ),
        (
            json!([{"__typename": "Mission", "id": "x"}, {"__typename": "Planet", "id": 1}]),
            "expected only one unique typename in `_representations` argument, got: [Mission, Planet]",
        ),
        (
            json!([{"__typename": "Mission", "id": "x"}, {"__typename": "Mission"}]),
            "unable to extract value for key field `id` from 1th item in the `_representations` argument",
        ),
    ];
    for (reps, want) in cases {
        let r = f.query_vars(q, json!({ "reps": reps }));
        assert_eq!(
            messages(&r),
            vec![format!("couldn't rewrite query _entities because {want}")],
            "{reps}"
        );
    }
}

// ---- request error texts (the reference's wording) ----

fn run_op(query: &str, op: Option<&str>) -> Value {
    let req = graphcloud_engine::Request {
        query: query.into(),
        operation_name: op.map(str::to_string),
        variables: Default::default(),
    };
    fx().engine.graphql_blocking(BACKEND, ADMIN, &req).to_json()
}

#[test]
fn operation_name_errors_use_the_reference_texts() {
    let two = "query A { queryAuthor { name } } query B { queryPost { title } }";
    assert_eq!(
        messages(&run_op(two, None)),
        vec!["Operation name must by supplied when query has more than 1 operation."]
    );
    assert_eq!(
        messages(&run_op(two, Some("C"))),
        vec!["Supplied operation name C isn't present in the request."]
    );
    assert_eq!(
        messages(&run_op("{ queryAuthor { name } }", Some("X"))),
        vec!["Supplied operation name X isn't present in the request."]
    );
    let r = run_op(two, Some("B"));
    assert!(r.get("errors").is_none(), "{r}");
    assert!(r["data"]["queryPost"].is_array(), "{r}");
    // The only operation is picked without a name.
    let r = run_op("query Only { getState(xcode: \"gj\") { name } }", None);
    assert_data(&r, json!({"getState": {"name": "Gujarat"}}));
}

#[test]
fn validation_error_texts_follow_the_reference() {
    // A field of some implementations only: suggest the inline fragments.
    assert_eq!(
        messages(&q("{ queryCharacter { ename } }")),
        vec![
            "Cannot query field \"ename\" on type \"Character\". Did you mean to use an inline fragment on \"Employee\" or \"Human\"?"
        ]
    );
    assert_eq!(
        messages(&q("{ queryCharacter { zzzzzz } }")),
        vec!["Cannot query field \"zzzzzz\" on type \"Character\"."]
    );
    assert_eq!(
        messages(&q("{ queryAuthor { name { first } } }")),
        vec!["Field \"name\" must not have a selection since type \"String\" has no subfields."]
    );
    // A variable of another type: the reference's own check, then the generic rule.
    assert_eq!(
        messages(&q("query($n: String) { queryPost(first: $n) { title } }")),
        vec![
            "Variable type provided String is incompatible with expected type Int",
            "Variable \"$n\" of type \"String\" used in position expecting type \"Int\".",
        ]
    );
}

#[test]
fn operation_types_the_schema_lacks() {
    let f = Fixture::empty();
    f.engine
        .update_schema(BACKEND, ADMIN, "type T { id: ID! name: String }")
        .expect("schema accepted");
    let r = f.query("subscription { queryT { name } }");
    assert_eq!(
        messages(&r),
        vec![
            "Not resolving subscription because schema doesn't have any fields defined for subscription operation."
        ]
    );
    // Every generated API has queries and mutations; an unknown root field is the usual
    // validation error.
    let r = f.query("mutation { zzz { numUids } }");
    assert_eq!(
        messages(&r),
        vec!["Cannot query field \"zzz\" on type \"Mutation\"."]
    );
}

#[test]
fn a_subscription_over_http_is_answered_once() {
    let f = Fixture::normal_with(json!([]));
    let r = f.query("mutation { addPerson(input: [{name: \"Sub Scriber\"}]) { numUids } }");
    assert_data(&r, json!({"addPerson": {"numUids": 1}}));
    let r = f.query("subscription { queryPerson { name } }");
    assert_data(&r, json!({"queryPerson": [{"name": "Sub Scriber"}]}));
}

#[test]
fn only_the_first_syntax_error_is_reported() {
    // The parser recovers and finds more problems after the first; the reference's parser
    // stops at the first one.
    let r = q("{ queryAuthor { \"x\" } }");
    assert_eq!(messages(&r).len(), 1, "{r}");
    assert!(messages(&r)[0].starts_with("syntax error:"), "{r}");
    assert_eq!(r["errors"][0]["locations"][0]["line"], json!(1), "{r}");
    assert!(r["data"].is_null(), "{r}");
}
