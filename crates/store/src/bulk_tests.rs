//! The bulk write of new nodes against the ordinary calls it stands for.

use std::ops::Range;
use std::sync::Arc;

use proptest::prelude::*;

use crate::*;

fn mem_store() -> Store {
    Store::with_engine(Arc::new(MemoryEngine::default()), StoreOptions::default()).unwrap()
}

fn s(x: &str) -> Value {
    Value::String(x.to_string())
}

fn pt(lon: f64, lat: f64) -> GeoPoint {
    GeoPoint {
        longitude: lon,
        latitude: lat,
    }
}

fn schema() -> Vec<PredicateSchema> {
    vec![
        PredicateSchema::new("name", ValueKind::String, false)
            .with_index(IndexKind::Hash)
            .with_index(IndexKind::Term)
            .with_index(IndexKind::Trigram)
            .with_index(IndexKind::Exact),
        PredicateSchema::new("bio", ValueKind::String, false)
            .with_index(IndexKind::Fulltext)
            .with_index(IndexKind::Ngram),
        PredicateSchema::new("tags", ValueKind::String, true)
            .with_index(IndexKind::Exact)
            .with_index(IndexKind::Term),
        PredicateSchema::new("age", ValueKind::Int, false).with_index(IndexKind::Int),
        PredicateSchema::new("score", ValueKind::Float, false).with_index(IndexKind::Float),
        PredicateSchema::new("ok", ValueKind::Bool, false).with_index(IndexKind::Bool),
        PredicateSchema::new("born", ValueKind::DateTime, false)
            .with_index(IndexKind::Day)
            .with_index(IndexKind::Year),
        PredicateSchema::new("loc", ValueKind::Geo, false).with_index(IndexKind::Geo),
        PredicateSchema::new("pw", ValueKind::Password, false),
        PredicateSchema::new("friends", ValueKind::Uid, true),
        PredicateSchema::new("best", ValueKind::Uid, false),
    ]
}

/// A backend with a schema and two nodes of type Person, one friend of the other.
fn setup(store: &Store) {
    store
        .write_blocking(1, |t| -> Result<()> {
            t.apply_schema(&schema())?;
            let a = t.alloc_uid()?;
            let b = t.alloc_uid()?;
            for (u, n) in [(a, "old one"), (b, "old two")] {
                t.add_type(u, "Person")?;
                t.set_value(u, "name", s(n))?;
            }
            t.add_edge(a, "friends", b)?;
            Ok(())
        })
        .unwrap();
    // Another backend, to see that nothing leaks into it.
    store
        .write_blocking(2, |t| -> Result<()> {
            let u = t.alloc_uid()?;
            t.add_type(u, "Person")
        })
        .unwrap();
}

fn dump(store: &Store, backend: u64) -> Vec<KvPair> {
    store
        .scan_backend(backend, |it| it.collect::<Result<Vec<_>>>())
        .unwrap()
        .unwrap()
}

/// What the accompanying mutation does in both paths: a node of its own and a type.
fn meta(t: &mut WriteTxn<'_>) -> Result<u64> {
    let u = t.alloc_uid()?;
    t.add_type(u, "Meta")?;
    t.add_type(u, "Person")?;
    t.set_value(u, "name", s("meta node"))?;
    Ok(u)
}

type Outcome = std::result::Result<(u64, Range<u64>), String>;

fn via_bulk(store: &Store, nodes: NewNodes) -> Outcome {
    store
        .bulk_write_blocking(1, nodes, meta)
        .map_err(|e: StoreError| e.to_string())
}

fn via_calls(store: &Store, nodes: NewNodes) -> Outcome {
    store
        .write_blocking(1, move |t| -> Result<_> {
            let m = meta(t)?;
            Ok((m, nodes.apply(t)?))
        })
        .map_err(|e| e.to_string())
}

/// Runs `nodes` through both paths on fresh stores made by `open` and checks that they
/// answer and store the same.
fn same_both_ways(open: &dyn Fn() -> Store, nodes: NewNodes) -> (Store, Outcome) {
    let (a, b) = (open(), open());
    setup(&a);
    setup(&b);
    let before = dump(&a, 1);
    let bulk = via_bulk(&a, nodes.clone());
    let calls = via_calls(&b, nodes);
    assert_eq!(bulk, calls);
    let (da, db) = (dump(&a, 1), dump(&b, 1));
    assert_eq!(da.len(), db.len());
    for (x, y) in da.iter().zip(&db) {
        assert_eq!(x, y);
    }
    if bulk.is_err() {
        assert_eq!(da, before, "a failed bulk write changed nothing");
    }
    assert_eq!(dump(&a, 2), dump(&b, 2));
    assert_eq!(dump(&a, 2).len(), 4, "backend 2 untouched");
    (a, bulk)
}

/// Every kind of fact, repeated values, replacements, and a node without facts.
fn rich() -> NewNodes {
    let mut n = NewNodes::new();
    let [a, b, c, d, e] = [(); 5].map(|_| n.add_node().unwrap());
    assert_eq!(d, 3);
    n.add_type(a, "Person");
    n.add_type(a, "Person");
    n.add_type(a, "Admin");
    n.add_type(b, "Person");
    n.add_type(c, "Zed");
    n.add_value(a, "name", s("Alice Smith"));
    n.add_value(a, "name", s("Alice Jones"));
    n.add_value(a, "tags", s("x y"));
    n.add_value(a, "tags", s("y"));
    n.add_value(a, "tags", s("x y"));
    n.add_value(a, "age", Value::Int(3));
    n.add_value(a, "age", Value::Int(-4));
    n.add_value(a, "pw", Value::Password("$2a$10$abc".into()));
    n.add_value(b, "score", Value::Float(-0.0));
    n.add_value(b, "score", Value::Float(0.0));
    n.add_value(b, "ok", Value::Bool(true));
    n.add_value(
        b,
        "born",
        Value::DateTime(DateTime::from_ymd_hms(1999, 12, 31, 23, 0, 0)),
    );
    // An unclosed ring: closed by the check, in both paths.
    n.add_value(
        b,
        "loc",
        Value::Geo(Geo::Polygon(vec![vec![
            pt(0.0, 0.0),
            pt(1.0, 0.0),
            pt(1.0, 1.0),
        ]])),
    );
    // Equal values with different bytes: the replacement keeps both.
    n.add_value(c, "loc", Value::Geo(Geo::Point(pt(-0.0, 1.0))));
    n.add_value(c, "loc", Value::Geo(Geo::Point(pt(0.0, 1.0))));
    n.add_edge(a, "friends", b);
    n.add_edge(a, "friends", c);
    n.add_edge(a, "friends", b);
    n.add_edge(a, "friends", a);
    n.add_edge(a, "best", b);
    n.add_edge(a, "best", c);
    n.add_edge(c, "best", a);
    // A predicate without a schema: a set of values and edges, not indexed.
    n.add_value(c, "free", s("v"));
    n.add_edge(c, "free", a);
    n.add_value(c, "free", s("v"));
    n.add_value(
        e,
        "bio",
        s("The quick brown foxes jumped over the lazy dogs"),
    );
    n.add_value(e, "name", s("Eve"));
    n
}

#[test]
fn bulk_write_stores_what_the_ordinary_calls_store() {
    let (store, out) = same_both_ways(&mem_store, rich());
    let (m, uids) = out.unwrap();
    // Uids 1 and 2 existed, the mutation took 3.
    assert_eq!((m, uids.clone()), (3, 4..9));
    let snap = store.read(1).unwrap();
    assert_eq!(snap.type_count("Person").unwrap(), 5);
    assert_eq!(snap.type_count("Admin").unwrap(), 1);
    assert_eq!(snap.values(4, "name").unwrap(), vec![s("Alice Jones")]);
    assert_eq!(snap.edges(4, "friends").unwrap(), vec![4, 5, 6]);
    assert_eq!(snap.edges(4, "best").unwrap(), vec![6]);
    assert_eq!(snap.reverse_edges(5, "best").unwrap(), Vec::<u64>::new());
    assert_eq!(snap.reverse_edges(6, "best").unwrap(), vec![4]);
    assert_eq!(snap.reverse_edges(4, "best").unwrap(), vec![6]);
    assert_eq!(snap.index_terms("name", "alice", true).unwrap().len(), 1);
    assert!(snap.index_terms("name", "smith", true).unwrap().is_empty());
    assert_eq!(snap.values(6, "loc").unwrap().len(), 2);
    assert_eq!(snap.max_uid().unwrap(), 8);
    assert!(snap.node(7).unwrap().is_empty(), "node 3 had no facts");
}

#[test]
fn bulk_write_on_redb_matches_too() {
    let dirs: std::cell::RefCell<Vec<tempfile::TempDir>> = Default::default();
    let open = || {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        dirs.borrow_mut().push(dir);
        store
    };
    let (store, out) = same_both_ways(&open, rich());
    assert_eq!(out.unwrap().1, 4..9);
    assert_eq!(
        store.stats().commits,
        3,
        "two setup writes and one bulk commit"
    );
    // Nothing to add: only the mutation is written.
    let (_, out) = same_both_ways(&open, NewNodes::new());
    assert_eq!(out.unwrap(), (3, 4..4));
}

#[test]
fn bulk_write_fails_like_the_ordinary_calls_and_writes_nothing() {
    type Bad = fn(&mut NewNodes, u32, u32);
    let cases: Vec<(Bad, &str)> = vec![
        (
            |n, a, _| n.add_value(a, "score", Value::Float(f64::NAN)),
            "NaN",
        ),
        (
            |n, a, _| n.add_value(a, "age", s("x")),
            "holds values of kind int",
        ),
        (|n, a, b| n.add_edge(a, "name", b), "got uid"),
        (
            |n, a, _| n.add_value(a, "friends", s("x")),
            "holds values of kind uid",
        ),
        (|n, a, _| n.add_type(a, ""), "invalid type name"),
        (|n, a, _| n.add_type(a, "A\0B"), "invalid type name"),
        (|n, a, _| n.add_value(a, "dgraph.type", s("T")), "add_type"),
        (|n, a, _| n.add_value(a, "", s("T")), "invalid predicate"),
        (
            |n, a, _| n.add_value(a, "x\0y", s("T")),
            "invalid predicate",
        ),
        (|n, a, _| n.add_edge(a, "friends", 77), "never added"),
        (
            |n, a, _| {
                n.add_value(
                    a,
                    "loc",
                    Value::Geo(Geo::Polygon(vec![vec![pt(0.0, 0.0), pt(1.0, 1.0)]])),
                )
            },
            "invalid geometry",
        ),
    ];
    for (bad, text) in cases {
        let mut n = rich();
        let a = n.add_node().unwrap();
        let b = n.add_node().unwrap();
        n.add_type(a, "Person");
        bad(&mut n, a, b);
        n.add_value(b, "name", s("after the bad fact"));
        let (_, out) = same_both_ways(&mem_store, n);
        let err = out.unwrap_err();
        assert!(err.contains(text), "{err} should mention {text}");
    }
    // The first bad fact is the one reported.
    let mut n = NewNodes::new();
    let a = n.add_node().unwrap();
    n.add_value(a, "age", s("first"));
    n.add_value(a, "score", Value::Float(f64::NAN));
    let (_, out) = same_both_ways(&mem_store, n);
    assert!(out.unwrap_err().contains("age"));
}

#[test]
fn a_failing_mutation_or_commit_stops_the_bulk_write() {
    let store = mem_store();
    setup(&store);
    let before = dump(&store, 1);
    let err = store
        .bulk_write_blocking(1, rich(), |t| -> Result<()> {
            let u = t.alloc_uid()?;
            t.add_type(u, "Meta")?;
            Err(StoreError::Aborted("no".into()))
        })
        .unwrap_err();
    assert_eq!(err.to_string(), "write transaction aborted: no");
    let err = store
        .bulk_write_blocking(1, rich(), |_| -> Result<()> { panic!("boom") })
        .unwrap_err();
    assert_eq!(err.to_string(), "write transaction aborted: boom");
    assert_eq!(dump(&store, 1), before);
    // The writer still works afterwards.
    let (_, uids) = store
        .bulk_write_blocking(1, rich(), |_| Ok::<_, StoreError>(()))
        .unwrap();
    assert_eq!(uids, 3..8);
}

#[test]
fn keys_are_pushed_in_key_order() {
    let engine = MemoryEngine::default();
    let snap = engine.snapshot().unwrap();
    let mut txn = WriteTxn::new(7, &*snap);
    txn.apply_schema(&schema()).unwrap();
    let mut n = rich();
    // Many nodes so that every section has runs to order.
    let ids: Vec<u32> = (0..300).map(|_| n.add_node().unwrap()).collect();
    for (i, &id) in ids.iter().enumerate() {
        n.add_type(id, if i % 3 == 0 { "B" } else { "A" });
        n.add_value(id, "name", s(&format!("n{}", 299 - i)));
        n.add_value(id, "tags", s(&format!("t{} u{}", i % 7, i % 5)));
        n.add_edge(id, "friends", ids[(i * 37) % ids.len()]);
        n.add_edge(id, "best", ids[(i * 11) % ids.len()]);
    }
    let p = crate::bulk::prepare(&mut txn, n).unwrap();
    let mut pushed: Vec<Vec<u8>> = Vec::new();
    crate::bulk::emit(&p, &mut |k: &[u8], _v: &[u8]| {
        pushed.push(k.to_vec());
        Ok(())
    })
    .unwrap();
    // Everything but the trailing type counts (section 00) comes strictly ascending.
    let counts = pushed.iter().filter(|k| k[8] == 0).count();
    assert_eq!(counts, 5, "Person, Admin, Zed, A and B");
    let body = &pushed[..pushed.len() - counts];
    assert!(body.iter().all(|k| k[8] != 0));
    for w in body.windows(2) {
        assert!(w[0] < w[1], "{:?} before {:?}", w[0], w[1]);
    }
    assert!(body.iter().all(|k| k[..8] == 7u64.to_be_bytes()));
}

/// One random fact: (node, what).
fn fact() -> impl Strategy<Value = (usize, u8, u8)> {
    (0usize..6, 0u8..12, 0u8..4)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    #[test]
    fn random_facts_store_the_same(count in 1usize..6, facts in prop::collection::vec(fact(), 0..40)) {
        let mut n = NewNodes::new();
        let ids: Vec<u32> = (0..count).map(|_| n.add_node().unwrap()).collect();
        let words = ["a b", "b c", "a", "c a b"];
        for (node, what, x) in facts {
            let id = ids[node % count];
            let other = ids[x as usize % count];
            let w = words[x as usize];
            match what {
                0 => n.add_type(id, ["A", "B", "Person", "C"][x as usize]),
                1 => n.add_value(id, "name", s(w)),
                2 => n.add_value(id, "tags", s(w)),
                3 => n.add_value(id, "age", Value::Int(i64::from(x) - 1)),
                4 => n.add_value(id, "score", Value::Float([-0.0, 0.0, 1.5, -2.0][x as usize])),
                5 => n.add_edge(id, "friends", other),
                6 => n.add_edge(id, "best", other),
                7 => n.add_value(id, "free", Value::Int(i64::from(x))),
                8 => n.add_edge(id, "free", other),
                9 => n.add_value(id, "bio", s(w)),
                10 => n.add_value(id, "ok", Value::Bool(x % 2 == 0)),
                _ => n.add_value(id, "born", Value::DateTime(DateTime::new(i64::from(x) * 40_000, 0))),
            }
        }
        let (_, out) = same_both_ways(&mem_store, n);
        prop_assert!(out.is_ok());
    }
}
