//! Whole-range operations used by backups, restores and dropData: a consistent scan of one
//! backend's key range, an atomic replacement of it, and keeping only some nodes.

use std::sync::Arc;

use graphcloud_store::{
    GraphRead, IndexKind, KvPair, PredicateSchema, Store, StoreError, Value, ValueKind,
};

fn block<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

fn schema() -> Vec<PredicateSchema> {
    vec![
        PredicateSchema::new("Person.name", ValueKind::String, false).with_index(IndexKind::Term),
        PredicateSchema::new("Person.friends", ValueKind::Uid, true),
    ]
}

/// Backend `b` gets: Ada (uid 1) -friends-> Bob (uid 2), both `Person`, names indexed.
fn load(store: &Store, b: u64) -> (u64, u64) {
    block(async {
        store.apply_schema(b, schema()).await.unwrap();
        store
            .write(b, |txn| -> Result<(u64, u64), StoreError> {
                let ada = txn.alloc_uid()?;
                let bob = txn.alloc_uid()?;
                txn.add_type(ada, "Person")?;
                txn.add_type(bob, "Person")?;
                txn.set_value(ada, "Person.name", Value::String("Ada Lovelace".into()))?;
                txn.set_value(bob, "Person.name", Value::String("Bob Babbage".into()))?;
                txn.add_edge(ada, "Person.friends", bob)?;
                Ok((ada, bob))
            })
            .await
            .unwrap()
    })
}

fn pairs(store: &Store, b: u64) -> Vec<KvPair> {
    store
        .scan_backend(b, |it| it.collect::<Result<Vec<_>, _>>())
        .unwrap()
        .unwrap()
}

fn open(dir: &std::path::Path) -> Store {
    Store::open(dir).unwrap()
}

#[test]
fn a_scanned_range_loads_into_another_backend_with_indexes_and_reverse_edges() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let (ada, bob) = load(&store, 7);
    // Something else already in the target is replaced, not merged.
    load(&store, 9);
    block(store.write(9, |txn| -> Result<(), StoreError> {
        let extra = txn.alloc_uid()?;
        txn.add_type(extra, "Other")
    }))
    .unwrap();

    let copied = pairs(&store, 7);
    assert!(copied.iter().all(|(k, _)| !k.is_empty()));
    block(store.replace_backend(9, move |sink| {
        for (k, v) in &copied {
            sink(k, v)?;
        }
        Ok(())
    }))
    .unwrap();

    let snap = store.read(9).unwrap();
    assert_eq!(snap.type_count("Other").unwrap(), 0);
    assert_eq!(snap.type_count("Person").unwrap(), 2);
    assert_eq!(
        snap.value(ada, "Person.name").unwrap(),
        Some(Value::String("Ada Lovelace".into()))
    );
    assert_eq!(snap.edges(ada, "Person.friends").unwrap(), vec![bob]);
    assert_eq!(
        snap.reverse_edges(bob, "Person.friends").unwrap(),
        vec![ada]
    );
    assert_eq!(pairs(&store, 9), pairs(&store, 7));
    // The next uid continues after the copied counter (2 uids used by the copy).
    let next = block(store.write(9, |txn| txn.alloc_uid())).unwrap();
    assert_eq!(next, 3);
    // The source is untouched.
    assert_eq!(store.read(7).unwrap().type_count("Person").unwrap(), 2);
}

#[test]
fn a_failing_fill_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    load(&store, 3);
    let before = pairs(&store, 3);
    let err = block(store.replace_backend(3, |sink| {
        sink(&[1, 0, 0, 0, 0, 0, 0, 0, 42, b'x', 0, 4, 1], &[])?;
        Err(StoreError::Corrupt("checksum mismatch".into()))
    }))
    .unwrap_err();
    assert!(err.to_string().contains("checksum mismatch"), "{err}");
    assert_eq!(pairs(&store, 3), before);
}

#[test]
fn retain_nodes_keeps_listed_nodes_schema_and_counter() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let (ada, bob) = load(&store, 5);
    // Keep Bob only (Ada's edge points at Bob, Bob has no outgoing edge).
    block(store.retain_nodes(5, vec![bob], true)).unwrap();
    let snap = store.read(5).unwrap();
    assert_eq!(snap.type_count("Person").unwrap(), 1);
    assert_eq!(
        snap.uids_of_type("Person")
            .unwrap()
            .iter()
            .collect::<Vec<_>>(),
        vec![bob]
    );
    assert_eq!(snap.value(ada, "Person.name").unwrap(), None);
    assert!(
        snap.reverse_edges(bob, "Person.friends")
            .unwrap()
            .is_empty()
    );
    assert_eq!(snap.schema().unwrap().len(), 2);
    let next = block(store.write(5, |txn| txn.alloc_uid())).unwrap();
    assert_eq!(next, 3, "uids are never reused");

    // Without the schema: only the counter stays.
    block(store.retain_nodes(5, vec![], false)).unwrap();
    let snap = store.read(5).unwrap();
    assert!(snap.schema().unwrap().is_empty());
    assert_eq!(snap.type_count("Person").unwrap(), 0);
    let all = pairs(&store, 5);
    assert_eq!(all.len(), 1, "{all:?}");
    let next = block(store.write(5, |txn| txn.alloc_uid())).unwrap();
    assert_eq!(next, 4);
}

#[test]
fn a_scan_sees_one_consistent_state_while_writes_continue() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    block(store.apply_schema(1, schema())).unwrap();
    // Each write adds two linked nodes at once; a consistent state has an even number of
    // Person nodes and one edge per pair.
    let writer = {
        let store = store.clone();
        std::thread::spawn(move || {
            for i in 0..300 {
                store
                    .write_blocking(1, move |txn| -> Result<(), StoreError> {
                        let a = txn.alloc_uid()?;
                        let b = txn.alloc_uid()?;
                        txn.add_type(a, "Person")?;
                        txn.add_type(b, "Person")?;
                        txn.set_value(a, "Person.name", Value::String(format!("a{i}")))?;
                        txn.add_edge(a, "Person.friends", b).map(|_| ())
                    })
                    .unwrap();
            }
        })
    };
    let counter = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    while !writer.is_finished() {
        let (types, edges) = store
            .scan_backend(1, |it| {
                let mut types = 0;
                let mut edges = 0;
                for item in it {
                    let (k, _) = item.unwrap();
                    match k[0] {
                        3 => types += 1,
                        2 => edges += 1,
                        _ => {}
                    }
                }
                (types, edges)
            })
            .unwrap();
        assert_eq!(types, edges * 2, "a scan saw half of a write");
        counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    writer.join().unwrap();
    assert!(counter.load(std::sync::atomic::Ordering::Relaxed) > 0);
}
