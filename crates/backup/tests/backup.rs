//! Backups against a real redb store and a local backup directory.

use graphcloud_backup::{BackupError, BackupStorage, Backups, RestoreTarget};
use graphcloud_store::{IndexKind, KvPair, PredicateSchema, Store, StoreError, Value, ValueKind};

fn schema() -> Vec<PredicateSchema> {
    vec![
        PredicateSchema::new("P.name", ValueKind::String, false).with_index(IndexKind::Hash),
        PredicateSchema::new("P.next", ValueKind::Uid, false),
    ]
}

async fn add_pair(store: &Store, b: u64, name: String) {
    store
        .write(b, move |txn| -> Result<(), StoreError> {
            let a = txn.alloc_uid()?;
            let c = txn.alloc_uid()?;
            txn.add_type(a, "P")?;
            txn.add_type(c, "P")?;
            txn.set_value(a, "P.name", Value::String(name))?;
            txn.add_edge(a, "P.next", c)?;
            Ok(())
        })
        .await
        .unwrap();
}

fn pairs(store: &Store, b: u64) -> Vec<KvPair> {
    store
        .scan_backend(b, |it| it.collect::<Result<Vec<_>, _>>())
        .unwrap()
        .unwrap()
}

struct Env {
    _dir: tempfile::TempDir,
    store: Store,
    backups: Backups,
    backup_dir: std::path::PathBuf,
}

fn env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("data")).unwrap();
    let backup_dir = dir.path().join("backups");
    let storage = BackupStorage::local(&backup_dir).unwrap();
    Env {
        backups: Backups::new(storage, store.clone()),
        store,
        backup_dir,
        _dir: dir,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_then_incremental_backups_restore_each_state() {
    let e = env();
    e.store.apply_schema(1, schema()).await.unwrap();
    add_pair(&e.store, 1, "one".into()).await;
    for i in 0..20 {
        add_pair(&e.store, 1, format!("n{i}")).await;
    }
    let state1 = pairs(&e.store, 1);
    let b1 = e.backups.create(1, "0x1", false).await.unwrap();
    assert_eq!(b1.backup_num, 1);
    assert_eq!(b1.kind, "full");
    assert_eq!(b1.records as usize, state1.len());

    // Change: a new pair, a changed value, and a deleted node.
    add_pair(&e.store, 1, "two".into()).await;
    e.store
        .write(1, |txn| -> Result<(), StoreError> {
            txn.set_value(1, "P.name", Value::String("uno".into()))?;
            txn.delete_node(2)?;
            Ok(())
        })
        .await
        .unwrap();
    let state2 = pairs(&e.store, 1);
    let b2 = e.backups.create(1, "0x1", false).await.unwrap();
    assert_eq!((b2.backup_num, b2.kind.as_str()), (2, "incremental"));
    assert_eq!(b2.folder, b1.folder);
    assert!(
        (b2.records as usize) < state2.len(),
        "an incremental backup holds only the changes ({} of {})",
        b2.records,
        state2.len()
    );

    let listed = e.backups.list("0x1").await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        listed[0]
            .iter()
            .map(|b| (b.backup_num, b.kind.as_str()))
            .collect::<Vec<_>>(),
        vec![(1, "full"), (2, "incremental")]
    );
    assert_eq!(
        listed[0][0].path,
        format!("/0x1/{}/000001/manifest.json", b1.folder)
    );

    // Restore backup 1 into backend 2 and the latest (2) into backend 3.
    let r = e
        .backups
        .restore(
            "0x1",
            &RestoreTarget {
                folder: Some(b1.folder.clone()),
                num: Some(1),
            },
            2,
        )
        .await
        .unwrap();
    assert_eq!(r.backups_applied, 1);
    assert_eq!(pairs(&e.store, 2), state1);
    let r = e
        .backups
        .restore("0x1", &RestoreTarget::default(), 3)
        .await
        .unwrap();
    assert_eq!(r.backups_applied, 2);
    assert_eq!(pairs(&e.store, 3), state2);
    // The restored indexes answer lookups.
    let snap = e.store.read(3).unwrap();
    let hits = graphcloud_store::GraphRead::index_eq(&snap, "P.name", &Value::String("uno".into()))
        .unwrap();
    assert_eq!(hits.iter().collect::<Vec<_>>(), vec![1]);

    // A forced full backup starts over within the folder.
    let b3 = e.backups.create(1, "0x1", true).await.unwrap();
    assert_eq!((b3.backup_num, b3.kind.as_str()), (3, "full"));
    e.backups
        .restore(
            "0x1",
            &RestoreTarget {
                folder: None,
                num: Some(3),
            },
            4,
        )
        .await
        .unwrap();
    assert_eq!(pairs(&e.store, 4), state2);
}

fn data_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().unwrap() == "data.gz" {
                out.push(p);
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flipped_byte_is_refused_and_live_data_untouched() {
    let e = env();
    e.store.apply_schema(1, schema()).await.unwrap();
    for i in 0..50 {
        add_pair(&e.store, 1, format!("n{i}")).await;
    }
    e.backups.create(1, "0x1", false).await.unwrap();
    // The target holds live data of its own.
    e.store.apply_schema(9, schema()).await.unwrap();
    add_pair(&e.store, 9, "live".into()).await;
    let live = pairs(&e.store, 9);

    let files = data_files(&e.backup_dir);
    assert_eq!(files.len(), 1);
    let mut bytes = std::fs::read(&files[0]).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x01;
    std::fs::write(&files[0], &bytes).unwrap();

    let err = e
        .backups
        .restore("0x1", &RestoreTarget::default(), 9)
        .await
        .unwrap_err();
    assert!(matches!(err, BackupError::Corrupt(_)), "{err:?}");
    assert!(err.to_string().contains("checksum mismatch"), "{err}");
    assert_eq!(pairs(&e.store, 9), live);

    // A truncated object is refused the same way.
    bytes[mid] ^= 0x01;
    bytes.truncate(bytes.len() - 3);
    std::fs::write(&files[0], &bytes).unwrap();
    let err = e
        .backups
        .restore("0x1", &RestoreTarget::default(), 9)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("size mismatch"), "{err}");
    assert_eq!(pairs(&e.store, 9), live);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_backups_are_clear_errors() {
    let e = env();
    let err = e
        .backups
        .restore("0x7", &RestoreTarget::default(), 9)
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "deployment 0x7 has no backups");
    e.store.apply_schema(1, schema()).await.unwrap();
    let b = e.backups.create(1, "0x1", false).await.unwrap();
    let err = e
        .backups
        .restore(
            "0x1",
            &RestoreTarget {
                folder: Some(b.folder.clone()),
                num: Some(5),
            },
            9,
        )
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "deployment 0x1 has no backup number 5 in folder {:?}",
            b.folder
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_under_concurrent_writes_restores_a_consistent_state() {
    let e = env();
    e.store.apply_schema(1, schema()).await.unwrap();
    for i in 0..200 {
        add_pair(&e.store, 1, format!("seed{i}")).await;
    }
    let writer = {
        let store = e.store.clone();
        tokio::spawn(async move {
            for i in 0..400 {
                add_pair(&store, 1, format!("w{i}")).await;
            }
        })
    };
    let mut taken = 0;
    while !writer.is_finished() {
        e.backups.create(1, "0x1", false).await.unwrap();
        taken += 1;
    }
    writer.await.unwrap();
    assert!(taken >= 1);
    // Every backup of the series restores to a state where each write is all or nothing:
    // as many nodes as twice the edges, type counts equal to the type index.
    let series = e.backups.list("0x1").await.unwrap();
    for b in series.iter().flatten() {
        e.backups
            .restore(
                "0x1",
                &RestoreTarget {
                    folder: Some(b.folder.clone()),
                    num: Some(b.backup_num),
                },
                2,
            )
            .await
            .unwrap();
        let snap = e.store.read(2).unwrap();
        let nodes = graphcloud_store::GraphRead::uids_of_type(&snap, "P").unwrap();
        let count = graphcloud_store::GraphRead::type_count(&snap, "P").unwrap();
        assert_eq!(count, nodes.len());
        let with_edge = graphcloud_store::GraphRead::uids_with(&snap, "P.next").unwrap();
        assert_eq!(nodes.len(), with_edge.len() * 2, "backup {}", b.backup_num);
        assert!(nodes.len() >= 400);
    }
}

/// Retention keeps the newest chains whole: full 1, incr 2, full 3, incr 4, incr 5 with
/// `keep = 1` deletes 1 and 2 only; the kept incrementals still restore (their base stayed).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_deletes_old_chains_whole() {
    let e = env();
    e.store.apply_schema(1, schema()).await.unwrap();
    let mut states = Vec::new();
    for (i, full) in [true, false, true, false, false].into_iter().enumerate() {
        add_pair(&e.store, 1, format!("p{i}")).await;
        let b = e.backups.create(1, "0x1", full).await.unwrap();
        assert_eq!(b.kind, if full { "full" } else { "incremental" });
        states.push(pairs(&e.store, 1));
    }
    assert_eq!(
        e.backups.prune("0x1", 5).await.unwrap(),
        0,
        "two chains < 5"
    );
    assert_eq!(e.backups.prune("0x1", 1).await.unwrap(), 2);
    let left: Vec<(u32, String)> = e.backups.list("0x1").await.unwrap()[0]
        .iter()
        .map(|b| (b.backup_num, b.kind.clone()))
        .collect();
    assert_eq!(
        left,
        vec![
            (3, "full".to_string()),
            (4, "incremental".into()),
            (5, "incremental".into())
        ]
    );
    // The deleted backups' objects are gone too; the kept chain restores every state.
    let folder = e.backups.list("0x1").await.unwrap()[0][0].folder.clone();
    let gone = e
        .backup_dir
        .join("0x1")
        .join(&folder)
        .join("000001")
        .join("data.gz");
    assert!(!gone.exists());
    for (num, state) in [(3u32, &states[2]), (5, &states[4])] {
        e.backups
            .restore(
                "0x1",
                &RestoreTarget {
                    folder: Some(folder.clone()),
                    num: Some(num),
                },
                2,
            )
            .await
            .unwrap();
        assert_eq!(&pairs(&e.store, 2), state, "backup {num}");
    }
    assert_eq!(
        e.backups.prune("0x1", 0).await.unwrap(),
        3,
        "keep 0 = delete all chains"
    );
    assert!(e.backups.list("0x1").await.unwrap().is_empty());
}
