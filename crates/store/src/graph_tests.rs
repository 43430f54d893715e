//! Tests of the graph layer and the store over the in-memory and redb engines.

use std::ops::Bound;
use std::sync::Arc;

use crate::*;

fn mem_store() -> Store {
    Store::with_engine(Arc::new(MemoryEngine::default()), StoreOptions::default()).unwrap()
}

fn s(x: &str) -> Value {
    Value::String(x.to_string())
}

fn set(v: &[u64]) -> RoaringTreemap {
    v.iter().copied().collect()
}

fn schema() -> Vec<PredicateSchema> {
    vec![
        PredicateSchema::new("name", ValueKind::String, false)
            .with_index(IndexKind::Hash)
            .with_index(IndexKind::Term)
            .with_index(IndexKind::Trigram),
        PredicateSchema::new("bio", ValueKind::String, false).with_index(IndexKind::Fulltext),
        PredicateSchema::new("tags", ValueKind::String, true)
            .with_index(IndexKind::Exact)
            .with_index(IndexKind::Term),
        PredicateSchema::new("age", ValueKind::Int, false).with_index(IndexKind::Int),
        PredicateSchema::new("score", ValueKind::Float, false).with_index(IndexKind::Float),
        PredicateSchema::new("ok", ValueKind::Bool, false).with_index(IndexKind::Bool),
        PredicateSchema::new("born", ValueKind::DateTime, false).with_index(IndexKind::Day),
        PredicateSchema::new("loc", ValueKind::Geo, false).with_index(IndexKind::Geo),
        PredicateSchema::new("friends", ValueKind::Uid, true),
        PredicateSchema::new("best", ValueKind::Uid, false),
    ]
}

fn block<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(f)
}

#[test]
fn values_edges_and_reverse_edges() {
    let store = mem_store();
    store
        .write_blocking(1, |t| t.apply_schema(&schema()))
        .unwrap();
    let (a, b, c) = store
        .write_blocking(1, |t| -> Result<_> {
            let a = t.alloc_uid()?;
            let b = t.alloc_uid()?;
            let c = t.alloc_uid()?;
            for u in [a, b, c] {
                t.add_type(u, "Person")?;
            }
            t.set_value(a, "name", s("Alice"))?;
            t.add_edge(a, "friends", b)?;
            t.add_edge(a, "friends", c)?;
            t.add_edge(b, "friends", c)?;
            t.add_edge(a, "best", b)?;
            // Own writes are visible inside the transaction.
            assert_eq!(t.edges(a, "friends")?, vec![b, c]);
            Ok((a, b, c))
        })
        .unwrap();
    assert_eq!((a, b, c), (1, 2, 3));
    let snap = store.read(1).unwrap();
    assert_eq!(snap.reverse_edges(c, "friends").unwrap(), vec![a, b]);
    assert_eq!(snap.types(a).unwrap(), vec!["Person".to_string()]);
    assert_eq!(snap.uids_of_type("Person").unwrap(), set(&[1, 2, 3]));
    assert_eq!(snap.type_count("Person").unwrap(), 3);
    assert_eq!(snap.uids_of_type_from("Person", 2, 5).unwrap(), vec![2, 3]);
    assert_eq!(snap.uids_of_type_from("Person", 0, 2).unwrap(), vec![1, 2]);
    assert!(snap.uids_of_type_from("Person", 4, 2).unwrap().is_empty());
    assert_eq!(snap.uids_with("friends").unwrap(), set(&[1, 2]));
    // Non-list uid predicate: a new edge replaces the old one and its reverse.
    store
        .write_blocking(1, move |t| t.add_edge(a, "best", c))
        .unwrap();
    let snap = store.read(1).unwrap();
    assert_eq!(snap.edges(a, "best").unwrap(), vec![c]);
    assert!(snap.reverse_edges(b, "best").unwrap().is_empty());
    assert_eq!(snap.reverse_edges(c, "best").unwrap(), vec![a]);
    // Another backend sees nothing.
    let other = store.read(2).unwrap();
    assert!(other.uids_of_type("Person").unwrap().is_empty());
    assert!(other.node(a).unwrap().is_empty());
    assert_eq!(store.read(2).unwrap().max_uid().unwrap(), 0);
    assert_eq!(store.read(1).unwrap().max_uid().unwrap(), 3);
}

#[test]
fn failed_mutation_applies_nothing() {
    let store = mem_store();
    store
        .write_blocking(1, |t| t.apply_schema(&schema()))
        .unwrap();
    let err = store
        .write_blocking(1, |t| -> Result<()> {
            let u = t.alloc_uid()?;
            t.add_type(u, "Person")?;
            t.set_value(u, "name", s("Bob"))?;
            // Kind mismatch: age is an int predicate.
            t.set_value(u, "age", s("old"))?;
            Ok(())
        })
        .unwrap_err();
    assert!(matches!(err, StoreError::KindMismatch { .. }), "{err}");
    let snap = store.read(1).unwrap();
    assert_eq!(snap.max_uid().unwrap(), 0);
    assert!(snap.uids_of_type("Person").unwrap().is_empty());
    assert!(snap.index_eq("name", &s("Bob")).unwrap().is_empty());
    // A panicking closure is also rolled back and reported.
    let err = store
        .write_blocking(1, |t| -> Result<()> {
            t.alloc_uid()?;
            panic!("boom");
        })
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Aborted(ref m) if m == "boom"),
        "{err}"
    );
    assert_eq!(store.read(1).unwrap().max_uid().unwrap(), 0);
    // NaN is refused.
    let err = store
        .write_blocking(1, |t| t.set_value(1, "score", Value::Float(f64::NAN)))
        .unwrap_err();
    assert!(matches!(err, StoreError::NaN(_)));
}

#[test]
fn index_maintenance_on_update_and_delete() {
    let store = mem_store();
    store
        .write_blocking(1, |t| t.apply_schema(&schema()))
        .unwrap();
    store
        .write_blocking(1, |t| -> Result<()> {
            t.set_value(1, "name", s("Quick Brown Fox"))?;
            t.set_value(2, "name", s("Lazy Brown Dog"))?;
            t.add_value(1, "tags", s("red car"))?;
            t.add_value(1, "tags", s("red bike"))?;
            t.set_value(1, "age", Value::Int(30))?;
            t.set_value(2, "age", Value::Int(-4))?;
            Ok(())
        })
        .unwrap();
    let snap = store.read(1).unwrap();
    assert_eq!(
        snap.index_eq("name", &s("Quick Brown Fox")).unwrap(),
        set(&[1])
    );
    assert_eq!(
        snap.index_terms("name", "brown", true).unwrap(),
        set(&[1, 2])
    );
    assert_eq!(
        snap.index_terms("name", "BROWN fox", true).unwrap(),
        set(&[1])
    );
    assert_eq!(
        snap.index_terms("name", "fox dog", false).unwrap(),
        set(&[1, 2])
    );
    assert_eq!(snap.index_terms("tags", "red", true).unwrap(), set(&[1]));
    assert_eq!(snap.index_eq("tags", &s("red bike")).unwrap(), set(&[1]));
    // Update: old tokens disappear, new ones appear.
    store
        .write_blocking(1, |t| -> Result<()> {
            t.set_value(1, "name", s("Slow Green Fox"))?;
            // Removing one list element keeps tokens shared with the other ("red").
            t.remove_value(1, "tags", &s("red car"))?;
            t.set_value(2, "age", Value::Int(40))?;
            Ok(())
        })
        .unwrap();
    let snap = store.read(1).unwrap();
    assert!(
        snap.index_eq("name", &s("Quick Brown Fox"))
            .unwrap()
            .is_empty()
    );
    assert_eq!(snap.index_terms("name", "brown", true).unwrap(), set(&[2]));
    assert_eq!(snap.index_terms("name", "green", true).unwrap(), set(&[1]));
    assert_eq!(snap.index_terms("tags", "red", true).unwrap(), set(&[1]));
    assert!(snap.index_terms("tags", "car", true).unwrap().is_empty());
    assert_eq!(snap.index_terms("tags", "bike", true).unwrap(), set(&[1]));
    assert!(snap.index_eq("age", &Value::Int(-4)).unwrap().is_empty());
    assert_eq!(snap.index_eq("age", &Value::Int(40)).unwrap(), set(&[2]));
    // Delete a node: every index entry, type and edge goes with it.
    store
        .write_blocking(1, |t| -> Result<()> {
            t.add_type(1, "P")?;
            t.add_edge(2, "friends", 1)?;
            t.add_edge(1, "friends", 2)?;
            assert!(t.delete_node(1)?);
            Ok(())
        })
        .unwrap();
    let snap = store.read(1).unwrap();
    assert!(snap.node(1).unwrap().is_empty());
    assert!(snap.index_terms("name", "fox", false).unwrap().is_empty());
    assert!(snap.index_terms("tags", "red", false).unwrap().is_empty());
    assert!(snap.uids_of_type("P").unwrap().is_empty());
    assert!(snap.edges(2, "friends").unwrap().is_empty());
    assert!(snap.reverse_edges(2, "friends").unwrap().is_empty());
    assert_eq!(snap.uids_with("friends").unwrap(), set(&[]));
    assert_eq!(snap.uids_with("name").unwrap(), set(&[2]));
    assert_eq!(snap.uids_with("age").unwrap(), set(&[2]));
}

#[test]
fn ranges_and_ordering() {
    let store = mem_store();
    store
        .write_blocking(1, |t| t.apply_schema(&schema()))
        .unwrap();
    store
        .write_blocking(1, |t| -> Result<()> {
            for (u, age, score) in [(1, 30, 1.5), (2, -4, -2.0), (3, 17, 0.0), (4, 30, 9.25)] {
                t.set_value(u, "age", Value::Int(age))?;
                t.set_value(u, "score", Value::Float(score))?;
            }
            t.add_value(1, "tags", s("b"))?;
            t.add_value(2, "tags", s("ab"))?;
            t.add_value(3, "tags", s("a"))?;
            t.add_value(4, "tags", s("c"))?;
            t.set_value(
                1,
                "born",
                Value::DateTime(DateTime::from_ymd_hms(2000, 1, 1, 10, 0, 0)),
            )?;
            t.set_value(
                2,
                "born",
                Value::DateTime(DateTime::from_ymd_hms(2000, 1, 1, 12, 0, 0)),
            )?;
            t.set_value(
                3,
                "born",
                Value::DateTime(DateTime::from_ymd_hms(2000, 1, 2, 0, 0, 0)),
            )?;
            Ok(())
        })
        .unwrap();
    let snap = store.read(1).unwrap();
    let i = Value::Int;
    assert_eq!(
        snap.index_range("age", Bound::Included(&i(17)), Bound::Included(&i(30)))
            .unwrap(),
        set(&[1, 3, 4])
    );
    assert_eq!(
        snap.index_range("age", Bound::Excluded(&i(17)), Bound::Unbounded)
            .unwrap(),
        set(&[1, 4])
    );
    assert_eq!(
        snap.index_range("age", Bound::Unbounded, Bound::Excluded(&i(17)))
            .unwrap(),
        set(&[2])
    );
    assert_eq!(
        snap.index_range(
            "score",
            Bound::Included(&Value::Float(-0.0)),
            Bound::Unbounded
        )
        .unwrap(),
        set(&[1, 3, 4])
    );
    // Strings: lexicographic; "a" < "ab" < "b" < "c".
    assert_eq!(
        snap.index_range("tags", Bound::Excluded(&s("a")), Bound::Included(&s("b")))
            .unwrap(),
        set(&[1, 2])
    );
    assert_eq!(
        snap.index_range("tags", Bound::Unbounded, Bound::Excluded(&s("ab")))
            .unwrap(),
        set(&[3])
    );
    // Datetime with a day index: same-day values are told apart by verification.
    let dt = |h| Value::DateTime(DateTime::from_ymd_hms(2000, 1, 1, h, 0, 0));
    assert_eq!(
        snap.index_range("born", Bound::Excluded(&dt(10)), Bound::Unbounded)
            .unwrap(),
        set(&[2, 3])
    );
    assert_eq!(snap.index_eq("born", &dt(12)).unwrap(), set(&[2]));
    assert_eq!(snap.ordered_uids("age", false).unwrap(), vec![2, 3, 1, 4]);
    assert_eq!(snap.ordered_uids("age", true).unwrap(), vec![4, 1, 3, 2]);
    assert_eq!(snap.ordered_uids("score", true).unwrap(), vec![4, 1, 3, 2]);
    // Day buckets: 1 and 2 share 2000-01-01 and are ordered by their hours inside it.
    assert_eq!(snap.ordered_uids("born", false).unwrap(), vec![1, 2, 3]);
    assert_eq!(snap.ordered_uids("born", true).unwrap(), vec![3, 2, 1]);
    assert!(matches!(
        snap.index_range("name", Bound::Included(&s("a")), Bound::Unbounded),
        Err(StoreError::MissingIndex { .. })
    ));
}

#[test]
fn walk_ordered_groups_equal_values_and_stops_early() {
    let store = mem_store();
    store
        .write_blocking(1, |t| t.apply_schema(&schema()))
        .unwrap();
    // uid: age — 1: 30, 2: 20, 3: 30, 4: 10, 5: 20; 6 has no age.
    store
        .write_blocking(1, |t| -> Result<()> {
            for (age, uid) in [(30, 1), (20, 2), (30, 3), (10, 4), (20, 5)] {
                t.reserve_uid(uid)?;
                t.set_value(uid, "age", Value::Int(age))?;
            }
            t.reserve_uid(6)?;
            t.set_value(6, "name", s("no age"))
        })
        .unwrap();
    let snap = store.read(1).unwrap();
    let walk = |desc: bool, stop_after: usize| {
        let mut seen: Vec<(Vec<u8>, u64)> = Vec::new();
        snap.walk_ordered("age", desc, &mut |token, uid| {
            seen.push((token.to_vec(), uid));
            seen.len() < stop_after
        })
        .unwrap();
        seen
    };
    let uids = |v: &[(Vec<u8>, u64)]| v.iter().map(|(_, u)| *u).collect::<Vec<_>>();
    let asc = walk(false, usize::MAX);
    assert_eq!(uids(&asc), vec![4, 2, 5, 1, 3]);
    // Equal values share a token; different values do not.
    assert_eq!(asc[1].0, asc[2].0);
    assert_eq!(asc[3].0, asc[4].0);
    assert_ne!(asc[0].0, asc[1].0);
    assert_ne!(asc[2].0, asc[3].0);
    assert_eq!(uids(&walk(true, usize::MAX)), vec![3, 1, 5, 2, 4]);
    // Early stop: nothing is read after `f` says no.
    assert_eq!(uids(&walk(false, 2)), vec![4, 2]);
    assert!(matches!(
        snap.walk_ordered("name", false, &mut |_, _| true),
        Err(StoreError::MissingIndex { .. })
    ));
}

#[test]
fn fulltext_regexp_and_geo_lookups() {
    let store = mem_store();
    store
        .write_blocking(1, |t| t.apply_schema(&schema()))
        .unwrap();
    let pt = |lon, lat| GeoPoint {
        longitude: lon,
        latitude: lat,
    };
    store
        .write_blocking(1, move |t| -> Result<()> {
            t.set_value(1, "bio", s("She was running through the forests"))?;
            t.set_value(2, "bio", s("A forest run"))?;
            t.set_value(3, "bio", s("Swimming"))?;
            t.set_value(1, "name", s("Café Olé"))?;
            t.set_value(2, "name", s("cafeteria"))?;
            t.set_value(3, "name", s("Dog"))?;
            t.set_value(1, "loc", Value::Geo(Geo::Point(pt(13.4050, 52.5200))))?; // Berlin
            t.set_value(2, "loc", Value::Geo(Geo::Point(pt(13.4105, 52.5245))))?; // ~600 m away
            t.set_value(3, "loc", Value::Geo(Geo::Point(pt(2.3522, 48.8566))))?; // Paris
            t.set_value(
                4,
                "loc",
                Value::Geo(Geo::Polygon(vec![vec![
                    pt(13.0, 52.0),
                    pt(14.0, 52.0),
                    pt(14.0, 53.0),
                    pt(13.0, 53.0),
                ]])),
            )?;
            Ok(())
        })
        .unwrap();
    let snap = store.read(1).unwrap();
    assert_eq!(
        snap.index_fulltext("bio", "runs in forest", true).unwrap(),
        set(&[1, 2])
    );
    assert_eq!(
        snap.index_fulltext("bio", "swim", false).unwrap(),
        set(&[3])
    );
    assert!(snap.index_fulltext("bio", "the", false).unwrap().is_empty());
    assert_eq!(
        snap.index_regexp("name", "^caf", true).unwrap(),
        set(&[1, 2])
    );
    assert_eq!(snap.index_regexp("name", "^Caf", false).unwrap(), set(&[1]));
    assert_eq!(
        snap.index_regexp("name", "teria$", false).unwrap(),
        set(&[2])
    );
    assert!(matches!(
        snap.index_regexp("name", "^c", false),
        Err(StoreError::Regex(RegexIndexError::TooWide))
    ));
    let near = |m| GeoQuery::Near {
        point: pt(13.4050, 52.5200),
        metres: m,
    };
    assert_eq!(snap.index_geo("loc", &near(100.0)).unwrap(), set(&[1, 4]));
    assert_eq!(
        snap.index_geo("loc", &near(1000.0)).unwrap(),
        set(&[1, 2, 4])
    );
    assert_eq!(
        snap.index_geo("loc", &near(1_000_000.0)).unwrap(),
        set(&[1, 2, 3, 4])
    );
    let area = Geo::Polygon(vec![vec![
        pt(13.0, 52.0),
        pt(14.0, 52.0),
        pt(14.0, 53.0),
        pt(13.0, 53.0),
    ]]);
    assert_eq!(
        snap.index_geo("loc", &GeoQuery::Within(area.clone()))
            .unwrap(),
        set(&[1, 2, 4])
    );
    assert_eq!(
        snap.index_geo("loc", &GeoQuery::Contains(Geo::Point(pt(13.5, 52.5))))
            .unwrap(),
        set(&[4])
    );
    let far = Geo::Polygon(vec![vec![
        pt(2.0, 48.0),
        pt(3.0, 48.0),
        pt(3.0, 49.0),
        pt(2.0, 49.0),
    ]]);
    assert_eq!(
        snap.index_geo("loc", &GeoQuery::Intersects(far)).unwrap(),
        set(&[3])
    );
}

/// Coordinates are not range-checked (a latitude of 91 is stored as given), and such values
/// stay findable: `near` measures on the sphere, where (0, 91) is the point (180, 89); the
/// planar predicates (`within`, `intersects`) use the coordinates as given.
#[test]
fn geo_values_outside_the_usual_ranges_are_stored_and_found() {
    let store = mem_store();
    store
        .write_blocking(1, |t| t.apply_schema(&schema()))
        .unwrap();
    let pt = |lon, lat| GeoPoint {
        longitude: lon,
        latitude: lat,
    };
    let poly = Geo::Polygon(vec![vec![
        pt(10.0, 89.5),
        pt(11.0, 89.5),
        pt(11.0, 91.11),
        pt(10.0, 91.11),
    ]]);
    let stored = poly.clone();
    store
        .write_blocking(1, move |t| -> Result<()> {
            t.set_value(1, "loc", Value::Geo(Geo::Point(pt(0.0, 91.0))))?;
            t.set_value(2, "loc", Value::Geo(stored))?;
            t.set_value(3, "loc", Value::Geo(Geo::Point(pt(180.0, 89.0))))?;
            t.set_value(4, "loc", Value::Geo(Geo::Point(pt(0.0, 0.0))))?;
            Ok(())
        })
        .unwrap();
    let snap = store.read(1).unwrap();
    assert_eq!(
        snap.values(1, "loc").unwrap(),
        vec![Value::Geo(Geo::Point(pt(0.0, 91.0)))]
    );
    let near = |p, m| GeoQuery::Near {
        point: p,
        metres: m,
    };
    // (0, 91) and (180, 89) are the same place; the polygon is about 100 km away.
    assert_eq!(
        snap.index_geo("loc", &near(pt(180.0, 89.0), 1000.0))
            .unwrap(),
        set(&[1, 3])
    );
    assert_eq!(
        snap.index_geo("loc", &near(pt(0.0, 91.0), 1000.0)).unwrap(),
        set(&[1, 3])
    );
    let area = |x0, x1| {
        Geo::Polygon(vec![vec![
            pt(x0, 90.0),
            pt(x1, 90.0),
            pt(x1, 92.0),
            pt(x0, 92.0),
        ]])
    };
    assert_eq!(
        snap.index_geo("loc", &GeoQuery::Within(area(-1.0, 1.0)))
            .unwrap(),
        set(&[1])
    );
    assert_eq!(
        snap.index_geo("loc", &GeoQuery::Intersects(area(10.5, 12.0)))
            .unwrap(),
        set(&[2])
    );
    // Only non-numbers are refused.
    assert!(matches!(
        Geo::Point(pt(f64::NAN, 0.0)).validate(),
        Err(StoreError::InvalidGeometry(_))
    ));
    assert!(matches!(
        Geo::Point(pt(0.0, f64::INFINITY)).validate(),
        Err(StoreError::InvalidGeometry(_))
    ));
}

#[test]
fn apply_schema_builds_and_drops_indexes() {
    let store = mem_store();
    store
        .write_blocking(1, |t| -> Result<()> {
            t.set_value(1, "title", s("Hello World"))?;
            t.set_value(2, "title", s("hello there"))?;
            Ok(())
        })
        .unwrap();
    // No schema: lookups report the missing index.
    assert!(matches!(
        store.read(1).unwrap().index_terms("title", "hello", true),
        Err(StoreError::MissingIndex { .. })
    ));
    let with_term =
        vec![PredicateSchema::new("title", ValueKind::String, false).with_index(IndexKind::Term)];
    block(store.apply_schema(1, with_term)).unwrap();
    let snap = store.read(1).unwrap();
    assert_eq!(
        snap.index_terms("title", "hello", true).unwrap(),
        set(&[1, 2])
    );
    assert_eq!(snap.schema().unwrap().len(), 1);
    // Switch term -> exact: the term postings are gone, exact ones exist, data stays.
    let with_exact =
        vec![PredicateSchema::new("title", ValueKind::String, false).with_index(IndexKind::Exact)];
    block(store.apply_schema(1, with_exact)).unwrap();
    let snap = store.read(1).unwrap();
    assert!(
        crate::graph::postings(
            &snap,
            "title",
            IndexKind::Term,
            &crate::keys::text_token("hello")
        )
        .unwrap()
        .is_empty()
    );
    assert_eq!(
        snap.index_eq("title", &s("hello there")).unwrap(),
        set(&[2])
    );
    assert_eq!(snap.value(1, "title").unwrap(), Some(s("Hello World")));
    // Invalid schema: nothing changes.
    let bad =
        vec![PredicateSchema::new("title", ValueKind::String, false).with_index(IndexKind::Int)];
    assert!(block(store.apply_schema(1, bad)).is_err());
    assert_eq!(
        store
            .read(1)
            .unwrap()
            .index_eq("title", &s("hello there"))
            .unwrap(),
        set(&[2])
    );
}

#[test]
fn drop_backend_removes_only_that_backend() {
    let store = mem_store();
    for b in [1u64, 2] {
        store
            .write_blocking(b, |t| -> Result<()> {
                let u = t.alloc_uid()?;
                t.add_type(u, "T")?;
                t.set_value(u, "x", Value::Int(1))
            })
            .unwrap();
    }
    block(store.drop_backend(1)).unwrap();
    assert!(store.read(1).unwrap().uids_of_type("T").unwrap().is_empty());
    assert_eq!(store.read(1).unwrap().max_uid().unwrap(), 0);
    assert_eq!(store.read(2).unwrap().uids_of_type("T").unwrap(), set(&[1]));
}

#[test]
fn concurrent_writes_are_grouped_and_serialized() {
    let store = mem_store();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let uids = rt.block_on(async {
        let mut handles = Vec::new();
        for i in 0..200i64 {
            let st = store.clone();
            handles.push(tokio::spawn(async move {
                st.write(7, move |t| -> Result<u64> {
                    let u = t.alloc_uid()?;
                    t.add_type(u, "N")?;
                    t.set_value(u, "n", Value::Int(i))?;
                    Ok(u)
                })
                .await
            }));
        }
        let mut out = Vec::new();
        for h in handles {
            out.push(h.await.unwrap().unwrap());
        }
        out
    });
    let mut sorted = uids.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), 200, "uids are unique");
    assert_eq!(store.read(7).unwrap().uids_of_type("N").unwrap().len(), 200);
    let stats = store.stats();
    assert_eq!(stats.mutations, 200);
    assert!(stats.commits <= 200);
}

#[test]
fn redb_engine_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path()).unwrap();
        store
            .write_blocking(3, |t| t.apply_schema(&schema()))
            .unwrap();
        store
            .write_blocking(3, |t| -> Result<()> {
                let u = t.alloc_uid()?;
                t.add_type(u, "Person")?;
                t.set_value(u, "name", s("Zed"))?;
                t.set_value(
                    u,
                    "loc",
                    Value::Geo(Geo::Point(GeoPoint {
                        longitude: 1.0,
                        latitude: 2.0,
                    })),
                )?;
                Ok(())
            })
            .unwrap();
    }
    let store = Store::open(dir.path()).unwrap();
    let snap = store.read(3).unwrap();
    assert_eq!(snap.index_eq("name", &s("Zed")).unwrap(), set(&[1]));
    assert_eq!(snap.index_regexp("name", "zed", true).unwrap(), set(&[1]));
    assert_eq!(
        snap.node(1).unwrap(),
        vec![
            ("dgraph.type".to_string(), Entry::Value(s("Person"))),
            (
                "loc".to_string(),
                Entry::Value(Value::Geo(Geo::Point(GeoPoint {
                    longitude: 1.0,
                    latitude: 2.0
                })))
            ),
            ("name".to_string(), Entry::Value(s("Zed"))),
        ]
    );
    assert!(dir.path().join(GRAPH_FILE).exists());
}

/// Recomputes every index, the has index and the reverse edges from the data keys of backend
/// `b` and compares them with what is stored.
fn assert_indexes_exact(kv: &dyn KvRead, b: u64) {
    use crate::keys;
    use crate::kv::prefix_bounds;
    use std::collections::BTreeSet;
    let all = |prefix: Vec<u8>| -> BTreeSet<Vec<u8>> {
        let (s, e) = prefix_bounds(&prefix);
        kv.scan(s, e, false)
            .unwrap()
            .map(|i| i.unwrap().0)
            .collect()
    };
    let snap_schema: std::collections::HashMap<String, PredicateSchema> = {
        let (s, e) = prefix_bounds(&keys::schema_prefix(b));
        kv.scan(s, e, false)
            .unwrap()
            .map(|i| {
                let (k, v) = i.unwrap();
                let name = keys::schema_key_name(b, &k).unwrap();
                (name.clone(), PredicateSchema::decode(&name, &v).unwrap())
            })
            .collect()
    };
    let mut want_index = BTreeSet::new();
    let mut want_has = BTreeSet::new();
    let mut want_rev = BTreeSet::new();
    let mut want_type = BTreeSet::new();
    let data_prefix = {
        let mut p = b.to_be_bytes().to_vec();
        p.push(keys::DATA);
        p
    };
    for k in all(data_prefix.clone()) {
        let uid = u64::from_be_bytes(k[9..17].try_into().unwrap());
        let (pred, entry) = keys::split_data_suffix(&k[17..]).unwrap();
        if pred == TYPE_PREDICATE {
            if let Entry::Value(Value::String(t)) = &entry {
                want_type.insert(keys::type_key(b, t, uid));
            }
            continue;
        }
        want_has.insert(keys::has_key(b, &pred, uid));
        match entry {
            Entry::Uid(dst) => {
                want_rev.insert(keys::rev_key(b, dst, &pred, uid));
            }
            Entry::Value(v) => {
                if let Some(s) = snap_schema.get(&pred) {
                    for kind in &s.indexes {
                        let prefix = keys::index_prefix(b, &pred, *kind);
                        for t in keys::index_tokens(*kind, &v) {
                            want_index.insert(keys::posting_key(&prefix, &t, uid));
                        }
                    }
                }
            }
        }
    }
    let section = |s: u8| {
        let mut p = b.to_be_bytes().to_vec();
        p.push(s);
        all(p)
    };
    assert_eq!(section(keys::INDEX), want_index, "value index postings");
    assert_eq!(section(keys::HAS), want_has, "has index");
    assert_eq!(section(keys::REV), want_rev, "reverse edges");
    assert_eq!(section(keys::TYPE), want_type, "type index");
    let mut want_counts: std::collections::BTreeMap<String, u64> = Default::default();
    for k in &want_type {
        let name = &k[9..k.len() - 9];
        *want_counts
            .entry(String::from_utf8(name.to_vec()).unwrap())
            .or_default() += 1;
    }
    let count_prefix = {
        let mut p = keys::type_count_key(b, "x");
        p.truncate(p.len() - 2);
        p
    };
    let (cs, ce) = prefix_bounds(&count_prefix);
    let got_counts: std::collections::BTreeMap<String, u64> = kv
        .scan(cs, ce, false)
        .unwrap()
        .map(|i| {
            let (k, v) = i.unwrap();
            let name = String::from_utf8(k[count_prefix.len()..k.len() - 1].to_vec()).unwrap();
            (name, u64::from_be_bytes(v.try_into().unwrap()))
        })
        .collect();
    assert_eq!(got_counts, want_counts, "type counters");
}

#[derive(Debug, Clone)]
enum Op {
    SetName(u64, u8),
    AddTag(u64, u8),
    RemoveTag(u64, u8),
    SetAge(u64, i64),
    AddFriend(u64, u64),
    RemoveFriend(u64, u64),
    SetBest(u64, u64),
    RemovePred(u64, u8),
    Delete(u64),
    AddType(u64),
    Fail,
}

fn op_strategy() -> impl proptest::strategy::Strategy<Value = Op> {
    use proptest::prelude::*;
    let uid = 1u64..4;
    prop_oneof![
        1 => (uid.clone(), 0u8..6).prop_map(|(u, n)| Op::SetName(u, n)),
        4 => (uid.clone(), 0u8..4).prop_map(|(u, n)| Op::AddTag(u, n)),
        4 => (uid.clone(), 0u8..4).prop_map(|(u, n)| Op::RemoveTag(u, n)),
        1 => (uid.clone(), -3i64..3).prop_map(|(u, a)| Op::SetAge(u, a)),
        1 => (uid.clone(), uid.clone()).prop_map(|(a, b)| Op::AddFriend(a, b)),
        1 => (uid.clone(), uid.clone()).prop_map(|(a, b)| Op::RemoveFriend(a, b)),
        1 => (uid.clone(), uid.clone()).prop_map(|(a, b)| Op::SetBest(a, b)),
        1 => (uid.clone(), 0u8..4).prop_map(|(u, p)| Op::RemovePred(u, p)),
        1 => uid.clone().prop_map(Op::Delete),
        1 => uid.prop_map(Op::AddType),
        1 => Just(Op::Fail),
    ]
}

const WORDS: [&str; 6] = [
    "red car", "red bike", "blue car", "Green", "car red", "the cars",
];

fn apply_op(t: &mut WriteTxn<'_>, op: &Op) -> Result<()> {
    match op {
        Op::SetName(u, n) => t.set_value(*u, "name", s(WORDS[*n as usize])),
        Op::AddTag(u, n) => t.add_value(*u, "tags", s(WORDS[*n as usize])).map(|_| ()),
        Op::RemoveTag(u, n) => t
            .remove_value(*u, "tags", &s(WORDS[*n as usize]))
            .map(|_| ()),
        Op::SetAge(u, a) => t.set_value(*u, "age", Value::Int(*a)),
        Op::AddFriend(a, b) => t.add_edge(*a, "friends", *b).map(|_| ()),
        Op::RemoveFriend(a, b) => t.remove_edge(*a, "friends", *b).map(|_| ()),
        Op::SetBest(a, b) => t.add_edge(*a, "best", *b).map(|_| ()),
        Op::RemovePred(u, p) => t
            .remove_predicate(*u, ["name", "tags", "friends", "best"][*p as usize])
            .map(|_| ()),
        Op::Delete(u) => t.delete_node(*u).map(|_| ()),
        Op::AddType(u) => t.add_type(*u, "T"),
        Op::Fail => Err(StoreError::InvalidPredicate("forced".into())),
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
    #[test]
    fn indexes_stay_exact_under_random_mutations(
        batches in proptest::collection::vec(proptest::collection::vec(op_strategy(), 1..6), 1..12)
    ) {
        let store = mem_store();
        store.write_blocking(1, |t| t.apply_schema(&schema())).unwrap();
        for batch in batches {
            let _ = store.write_blocking(1, move |t| -> Result<()> {
                for op in &batch {
                    apply_op(t, op)?;
                }
                Ok(())
            });
            let snap = store.read(1).unwrap();
            assert_indexes_exact(snap.kv(), 1);
        }
        // Changing the schema rebuilds indexes exactly too.
        let mut changed = schema();
        changed[0] = PredicateSchema::new("name", ValueKind::String, false).with_index(IndexKind::Exact).with_index(IndexKind::Fulltext);
        changed.remove(2);
        store.write_blocking(1, move |t| t.apply_schema(&changed)).unwrap();
        assert_indexes_exact(store.read(1).unwrap().kv(), 1);
    }
}

#[test]
fn checker_detects_shared_token_removal() {
    let store = mem_store();
    store
        .write_blocking(1, |t| t.apply_schema(&schema()))
        .unwrap();
    store
        .write_blocking(1, |t| -> Result<()> {
            apply_op(t, &Op::AddTag(1, 0))?;
            apply_op(t, &Op::AddTag(1, 1))?;
            apply_op(t, &Op::RemoveTag(1, 0))
        })
        .unwrap();
    assert_indexes_exact(store.read(1).unwrap().kv(), 1);
}

#[test]
fn conjunction_with_large_posting_lists() {
    let store = mem_store();
    store
        .write_blocking(1, |t| t.apply_schema(&schema()))
        .unwrap();
    store
        .write_blocking(1, |t| -> Result<()> {
            for u in 1..=5000u64 {
                let extra = if u % 1000 == 0 { " rare" } else { "" };
                let other = if u % 2 == 0 { " even" } else { "" };
                t.set_value(u, "name", s(&format!("common{other}{extra}")))?;
            }
            Ok(())
        })
        .unwrap();
    let snap = store.read(1).unwrap();
    assert_eq!(
        snap.index_terms("name", "common", true).unwrap().len(),
        5000
    );
    // Both large lists: full scans intersected.
    assert_eq!(
        snap.index_terms("name", "common even", true).unwrap().len(),
        2500
    );
    // One small list: the large ones are checked per candidate.
    assert_eq!(
        snap.index_terms("name", "rare common even", true).unwrap(),
        set(&[1000, 2000, 3000, 4000, 5000])
    );
    assert!(
        snap.index_terms("name", "rare missing common", true)
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        snap.index_terms("name", "rare missing", false)
            .unwrap()
            .len(),
        5
    );
}

/// The behaviour every [`KvEngine`] must have.
fn engine_conformance(engine: &dyn KvEngine) {
    use crate::kv::prefix_bounds;
    let k = |s: &str| s.as_bytes().to_vec();
    let mut batch = WriteBatch::default();
    for key in ["a", "ab", "abc", "b", "ba", "c"] {
        batch.ops.insert(k(key), Some(k(&key.to_uppercase())));
    }
    engine.commit(batch).unwrap();
    let before = engine.snapshot().unwrap();
    let keys = |it: crate::kv::KvIter<'_>| -> Vec<String> {
        it.map(|i| String::from_utf8(i.unwrap().0).unwrap())
            .collect()
    };
    assert_eq!(before.get(b"ab").unwrap(), Some(k("AB")));
    assert_eq!(before.get(b"zz").unwrap(), None);
    let (s, e) = prefix_bounds(b"a");
    assert_eq!(
        keys(before.scan(s.clone(), e.clone(), false).unwrap()),
        ["a", "ab", "abc"]
    );
    assert_eq!(keys(before.scan(s, e, true).unwrap()), ["abc", "ab", "a"]);
    assert_eq!(
        keys(
            before
                .scan(Bound::Excluded(k("ab")), Bound::Included(k("ba")), false)
                .unwrap()
        ),
        ["abc", "b", "ba"]
    );
    assert!(
        keys(
            before
                .scan(Bound::Included(k("c")), Bound::Excluded(k("b")), false)
                .unwrap()
        )
        .is_empty()
    );
    // Range delete, then puts and deletes, atomically.
    let mut batch = WriteBatch::default();
    batch.delete_ranges.push((k("ab"), k("b")));
    batch.ops.insert(k("c"), None);
    batch.ops.insert(k("abd"), Some(k("new")));
    engine.commit(batch).unwrap();
    let after = engine.snapshot().unwrap();
    assert_eq!(
        keys(
            after
                .scan(Bound::Unbounded, Bound::Unbounded, false)
                .unwrap()
        ),
        ["a", "abd", "b", "ba"]
    );
    // The earlier snapshot is unchanged.
    assert_eq!(
        keys(
            before
                .scan(Bound::Unbounded, Bound::Unbounded, false)
                .unwrap()
        )
        .len(),
        6
    );
    assert_eq!(before.get(b"c").unwrap(), Some(k("C")));
}

#[test]
fn memory_engine_conformance() {
    engine_conformance(&MemoryEngine::default());
}

#[test]
fn redb_engine_conformance() {
    let dir = tempfile::tempdir().unwrap();
    let engine = RedbEngine::open(&dir.path().join("t.redb")).unwrap();
    engine_conformance(&engine);
}

#[test]
fn redb_drop_backend() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    for b in [5u64, 6, u64::MAX] {
        store
            .write_blocking(b, |t| -> Result<()> {
                let u = t.alloc_uid()?;
                t.add_type(u, "T")?;
                t.set_value(u, "x", s("v"))
            })
            .unwrap();
    }
    block(store.drop_backend(5)).unwrap();
    block(store.drop_backend(u64::MAX)).unwrap();
    for b in [5u64, u64::MAX] {
        let snap = store.read(b).unwrap();
        assert!(snap.uids_of_type("T").unwrap().is_empty());
        assert!(snap.node(1).unwrap().is_empty());
        assert_eq!(snap.max_uid().unwrap(), 0);
    }
    assert_eq!(store.read(6).unwrap().value(1, "x").unwrap(), Some(s("v")));
}

#[test]
fn reserve_uid_moves_the_allocator() {
    let store = mem_store();
    let got = store
        .write_blocking(1, |t| -> Result<_> {
            let a = t.alloc_uid()?;
            t.reserve_uid(100)?;
            let b = t.alloc_uid()?;
            t.reserve_uid(50)?; // already passed: no effect
            let c = t.alloc_uid()?;
            Ok((a, b, c))
        })
        .unwrap();
    assert_eq!(got, (1, 101, 102));
    assert_eq!(store.read(1).unwrap().max_uid().unwrap(), 102);
}

/// An engine whose commits wait while the test holds `gate`, and fail while `fail` is set.
struct GatedEngine {
    inner: MemoryEngine,
    gate: parking_lot::Mutex<()>,
    fail: std::sync::atomic::AtomicBool,
}

impl KvEngine for GatedEngine {
    fn snapshot(&self) -> Result<Box<dyn KvSnapshot>> {
        self.inner.snapshot()
    }
    fn commit(&self, batch: WriteBatch) -> Result<()> {
        let _g = self.gate.lock();
        if self.fail.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(StoreError::Engine("disk full".into()));
        }
        self.inner.commit(batch)
    }
}

#[test]
fn group_commit_answers_each_caller_and_fails_as_a_whole() {
    use std::sync::atomic::Ordering;
    let engine = Arc::new(GatedEngine {
        inner: MemoryEngine::default(),
        gate: parking_lot::Mutex::new(()),
        fail: false.into(),
    });
    let store = Store::with_engine(engine.clone(), StoreOptions::default()).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let before = store.read(1).unwrap();

    // Hold the gate: the first mutation's commit blocks; the others queue behind it and are
    // then committed together.
    let gate = engine.gate.lock();
    let results = rt.block_on(async {
        let mut handles = Vec::new();
        for i in 0..20i64 {
            let st = store.clone();
            handles.push(tokio::spawn(async move {
                st.write(1, move |t| -> Result<u64> {
                    if i == 7 {
                        return Err(StoreError::InvalidPredicate("rejected".into()));
                    }
                    let u = t.alloc_uid()?;
                    t.set_value(u, "n", Value::Int(i))?;
                    Ok(u)
                })
                .await
            }));
            if i == 0 {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        drop(gate);
        let mut out = Vec::new();
        for h in handles {
            out.push(h.await.unwrap());
        }
        out
    });
    // Each caller has its own result: number 7 failed, the others got distinct uids.
    assert!(matches!(results[7], Err(StoreError::InvalidPredicate(_))));
    let mut uids: Vec<u64> = results
        .iter()
        .filter_map(|r| r.as_ref().ok().copied())
        .collect();
    uids.sort();
    assert_eq!(uids, (1..=19).collect::<Vec<u64>>());
    // One commit for the first mutation, one for the 18 that queued behind it (a third is
    // tolerated if a task was scheduled late on a loaded machine).
    assert!(
        (2..=3).contains(&store.stats().commits),
        "{:?}",
        store.stats()
    );
    assert_eq!(store.stats().mutations, 19);
    // Snapshot isolation: the snapshot taken before sees none of it.
    assert!(before.uids_with("n").unwrap().is_empty());
    assert_eq!(store.read(1).unwrap().uids_with("n").unwrap().len(), 19);

    // A failing commit fails every mutation of its group and applies none of them.
    engine.fail.store(true, Ordering::SeqCst);
    let gate = engine.gate.lock();
    let results = rt.block_on(async {
        let mut handles = Vec::new();
        for i in 0..5i64 {
            let st = store.clone();
            handles.push(tokio::spawn(async move {
                st.write(1, move |t| -> Result<()> {
                    t.set_value(100 + i as u64, "n", Value::Int(i))
                })
                .await
            }));
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        drop(gate);
        let mut out = Vec::new();
        for h in handles {
            out.push(h.await.unwrap());
        }
        out
    });
    assert!(
        results
            .iter()
            .all(|r| matches!(r, Err(StoreError::Engine(m)) if m.contains("disk full")))
    );
    assert_eq!(store.read(1).unwrap().uids_with("n").unwrap().len(), 19);
    // The store keeps working once the engine does.
    engine.fail.store(false, Ordering::SeqCst);
    store
        .write_blocking(1, |t| t.set_value(200, "n", Value::Int(0)))
        .unwrap();
    assert_eq!(store.read(1).unwrap().uids_with("n").unwrap().len(), 20);
}

#[test]
fn large_values_round_trip_in_redb() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    store
        .write_blocking(1, |t| t.apply_schema(&schema()))
        .unwrap();
    let big: String = (0..40_000).map(|i| format!("w{} ", i % 5000)).collect();
    assert!(big.len() > 200_000);
    let b2 = big.clone();
    store
        .write_blocking(1, move |t| -> Result<()> {
            t.set_value(1, "name", s(&b2))?;
            t.add_value(1, "tags", s(&b2))?;
            Ok(())
        })
        .unwrap();
    let snap = store.read(1).unwrap();
    assert_eq!(snap.value(1, "name").unwrap(), Some(s(&big)));
    assert_eq!(snap.index_eq("name", &s(&big)).unwrap(), set(&[1]));
    assert_eq!(snap.index_eq("tags", &s(&big)).unwrap(), set(&[1]));
    assert_eq!(
        snap.index_terms("name", "w4999 w0", true).unwrap(),
        set(&[1])
    );
    store
        .write_blocking(1, |t| t.remove_predicate(1, "name").map(|_| ()))
        .unwrap();
    assert!(
        store
            .read(1)
            .unwrap()
            .index_terms("name", "w1", false)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn last_handle_dropped_inside_a_write_closure() {
    let store = mem_store();
    let inner = store.clone();
    let rx = store
        .submit(1, move |t| -> Result<()> {
            let _keep = &inner;
            t.set_value(1, "x", Value::Int(1))
        })
        .unwrap();
    // Drop our handle first: the closure's copy is the last one and is dropped on the writer
    // thread after the mutation ran; the commit still completes and is answered.
    drop(store);
    assert!(rx.blocking_recv().unwrap().is_ok());
}

#[test]
fn ngram_index_is_built_on_schema_change_and_kept_on_writes() {
    let store = mem_store();
    let plain = vec![PredicateSchema::new("title", ValueKind::String, true)];
    let p = plain.clone();
    store
        .write_blocking(1, move |t| t.apply_schema(&p))
        .unwrap();
    store
        .write_blocking(1, |t| -> Result<()> {
            t.add_value(1, "title", s("Running for Cardiovascular Health"))?;
            t.add_value(2, "title", s("Nutrition and Healthy Eating Habits"))?;
            t.add_value(
                2,
                "title",
                s("How to eat: nutrition and healthy eating habits"),
            )?;
            Ok(())
        })
        .unwrap();
    // No index yet: the lookup says so (the engine then scans).
    assert!(matches!(
        store.read(1).unwrap().index_ngram("title", "health"),
        Err(StoreError::MissingIndex { .. })
    ));
    // The schema gains the index: existing values are indexed in the same write.
    let with =
        vec![PredicateSchema::new("title", ValueKind::String, true).with_index(IndexKind::Ngram)];
    store
        .write_blocking(1, move |t| t.apply_schema(&with))
        .unwrap();
    let snap = store.read(1).unwrap();
    assert_eq!(snap.index_ngram("title", "Health").unwrap(), set(&[1]));
    assert_eq!(
        snap.index_ngram("title", "healthy eating").unwrap(),
        set(&[2])
    );
    // "eat nutrition healthy" is a run of node 2's second value (stop words skipped).
    assert_eq!(
        snap.index_ngram("title", "eat: nutrition and healthy")
            .unwrap(),
        set(&[2])
    );
    // Four words: every three-word run is present in node 2, and the whole run too.
    assert_eq!(
        snap.index_ngram("title", "nutrition healthy eating habits")
            .unwrap(),
        set(&[2])
    );
    // Words present but not adjacent, or not in this order.
    assert!(
        snap.index_ngram("title", "running health")
            .unwrap()
            .is_empty()
    );
    assert!(
        snap.index_ngram("title", "eating healthy")
            .unwrap()
            .is_empty()
    );
    assert!(snap.index_ngram("title", "swimming").unwrap().is_empty());
    // Only stop words: no words left, nothing matches.
    assert!(snap.index_ngram("title", "and the").unwrap().is_empty());
    drop(snap);
    // Writes keep the index current: a removed value's runs go, a new value's runs come.
    store
        .write_blocking(1, |t| -> Result<()> {
            t.remove_value(1, "title", &s("Running for Cardiovascular Health"))?;
            t.add_value(3, "title", s("Heart health for runners"))?;
            Ok(())
        })
        .unwrap();
    let snap = store.read(1).unwrap();
    assert_eq!(snap.index_ngram("title", "health").unwrap(), set(&[3]));
    assert!(
        snap.index_ngram("title", "cardiovascular")
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        snap.index_ngram("title", "heart health").unwrap(),
        set(&[3])
    );
    drop(snap);
    // Deleting the node removes its postings.
    store.write_blocking(1, |t| t.delete_node(3)).unwrap();
    assert!(
        store
            .read(1)
            .unwrap()
            .index_ngram("title", "heart")
            .unwrap()
            .is_empty()
    );
    // Dropping the index from the schema drops its data.
    let p = plain.clone();
    store
        .write_blocking(1, move |t| t.apply_schema(&p))
        .unwrap();
    assert!(matches!(
        store.read(1).unwrap().index_ngram("title", "healthy"),
        Err(StoreError::MissingIndex { .. })
    ));
}

#[test]
fn index_kind_bytes_are_stable() {
    // The on-disk byte of every index kind that existed before `ngram` is unchanged.
    let before = [
        "hash", "exact", "term", "fulltext", "trigram", "int", "float", "bool", "year", "month",
        "day", "hour", "geo",
    ];
    for (i, name) in before.iter().enumerate() {
        assert_eq!(
            IndexKind::from_name(name).unwrap().byte(),
            i as u8 + 1,
            "{name}"
        );
    }
    assert_eq!(IndexKind::Ngram.byte(), 14);
    assert_eq!(IndexKind::from_name("ngram"), Some(IndexKind::Ngram));
}
