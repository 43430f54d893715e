//! `order` + `first` over many candidates is answered by walking the ordered index; the
//! result must be exactly what a stable sort of every candidate gives (spec R.3: nodes
//! without a value last; ties keep uid order). The expected pages are computed here, from
//! the data this test writes, not from the engine's output.

mod query_support;

use std::cmp::Ordering;

use query_support::*;
use serde_json::{Value, json};

const N: usize = 600;

/// One item as written: (name, rank, score, tag).
fn item(i: usize) -> (String, Option<i64>, Option<f64>, &'static str) {
    let rank = (!i.is_multiple_of(11)).then_some((i % 7) as i64); // ties; every 11th has none
    let score = i.is_multiple_of(20).then_some(((i * 13) % 50) as f64 / 2.0); // only 30 have one
    let tag = if i.is_multiple_of(2) { "even" } else { "odd" };
    (format!("item-{:03}", (i * 37) % N), rank, score, tag)
}

fn fixture() -> Fixture {
    let f = Fixture::empty();
    f.engine
        .update_schema(
            BACKEND,
            ADMIN,
            "type Item { id: ID! name: String! @search(by: [exact]) rank: Int @search \
             score: Float @search tag: String @search(by: [term]) }",
        )
        .expect("schema accepted");
    let input: Vec<Value> = (0..N)
        .map(|i| {
            let (name, rank, score, tag) = item(i);
            let mut o = json!({"name": name, "tag": tag});
            if let Some(r) = rank {
                o["rank"] = json!(r);
            }
            if let Some(s) = score {
                o["score"] = json!(s);
            }
            o
        })
        .collect();
    let r = f.query_vars(
        "mutation($in: [AddItemInput!]!) { addItem(input: $in) { numUids } }",
        json!({"in": input}),
    );
    assert_data(&r, json!({"addItem": {"numUids": N}}));
    f
}

/// Every item in uid order (the default order of `queryItem`), with its fields.
fn all_items(f: &Fixture) -> Vec<Value> {
    let r = f.query("{ queryItem(first: 100000) { name rank score tag } }");
    let items = r["data"]["queryItem"].as_array().expect("list").clone();
    assert_eq!(items.len(), N);
    items
}

/// The expected page: filter, stable sort on `field` (missing values last), offset, first.
fn expected(
    items: &[Value],
    tag: Option<&str>,
    field: &str,
    desc: bool,
    offset: usize,
    first: usize,
) -> Value {
    let mut sel: Vec<&Value> = items
        .iter()
        .filter(|it| tag.is_none_or(|t| it["tag"] == t))
        .collect();
    let cmp = |a: &Value, b: &Value| -> Ordering {
        match (a.is_null(), b.is_null()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => {
                let o = match (a.as_f64(), b.as_f64()) {
                    (Some(x), Some(y)) => x.partial_cmp(&y).unwrap(),
                    _ => a.as_str().unwrap().cmp(b.as_str().unwrap()),
                };
                if desc { o.reverse() } else { o }
            }
        }
    };
    sel.sort_by(|a, b| cmp(&a[field], &b[field])); // stable: ties keep uid order
    let page: Vec<Value> = sel
        .into_iter()
        .skip(offset)
        .take(first)
        .map(|it| json!({"name": it["name"], field: it[field]}))
        .collect();
    json!({ "queryItem": page })
}

#[test]
fn ordered_pages_match_a_stable_sort_of_all_candidates() {
    let f = fixture();
    let items = all_items(&f);
    let cases: &[(Option<&str>, &str, bool, usize, usize)] = &[
        (None, "rank", false, 0, 10),
        (None, "rank", true, 0, 10),
        (None, "rank", false, 37, 20), // starts inside a group of equal ranks
        (Some("even"), "rank", true, 5, 12), // filtered candidates
        (None, "name", true, 3, 25),   // exact string index
        (None, "name", false, 0, 1),
        (None, "score", false, 20, 30), // runs past the 30 valued nodes into the tail
        (None, "score", true, 0, 50),
        (Some("odd"), "score", false, 0, 40), // odd items have no score at all
    ];
    for &(tag, field, desc, offset, first) in cases {
        let filter = tag.map_or(String::new(), |t| {
            format!("filter: {{tag: {{anyofterms: \"{t}\"}}}}, ")
        });
        let dir = if desc { "desc" } else { "asc" };
        let q = format!(
            "{{ queryItem({filter}order: {{{dir}: {field}}}, offset: {offset}, first: {first}) {{ name {field} }} }}"
        );
        let got = f.query(&q);
        assert_data(&got, expected(&items, tag, field, desc, offset, first));
    }
}
