//! Backup benchmark (not a test). Run with
//! `cargo run --release -p graphcloud-backup --example bench [-- <edges>]`.
//!
//! Loads a backend with `<edges>` uid edges (default 1 000 000: 100 000 nodes × 10 friends,
//! each node with an indexed name) into a fresh `graph.redb`, then measures a full backup
//! into a local directory, an incremental backup after 1 % of the nodes changed, and a
//! restore of the latest backup into another backend.

use std::time::Instant;

use graphcloud_backup::{BackupStorage, Backups, RestoreTarget};
use graphcloud_store::{IndexKind, PredicateSchema, Store, StoreError, Value, ValueKind};

const FRIENDS: u64 = 10;

#[tokio::main]
async fn main() {
    let edges: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let nodes = (edges / FRIENDS).max(1);
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("data")).expect("store");
    store
        .apply_schema(
            1,
            vec![
                PredicateSchema::new("P.name", ValueKind::String, false)
                    .with_index(IndexKind::Hash),
                PredicateSchema::new("P.friends", ValueKind::Uid, true),
            ],
        )
        .await
        .expect("schema");
    let started = Instant::now();
    let batch = 2_000u64;
    let mut first = 0;
    while first < nodes {
        let last = (first + batch).min(nodes);
        store
            .write(1, move |t| -> Result<(), StoreError> {
                for i in first..last {
                    let u = i + 1;
                    t.reserve_uid(u)?;
                    t.add_type(u, "P")?;
                    t.set_value(u, "P.name", Value::String(format!("node {i}")))?;
                    for k in 1..=FRIENDS {
                        t.add_edge(u, "P.friends", (i + k * 7919) % nodes + 1)?;
                    }
                }
                Ok(())
            })
            .await
            .expect("load");
        first = last;
    }
    let keys = store.scan_backend(1, |it| it.count()).expect("count keys");
    println!(
        "loaded {nodes} nodes, {} edges, {keys} keys in {:.1} s",
        nodes * FRIENDS,
        started.elapsed().as_secs_f64()
    );

    let backups = Backups::new(
        BackupStorage::local(&dir.path().join("backups")).expect("storage"),
        store.clone(),
    );
    let t = Instant::now();
    let full = backups.create(1, "0x1", false).await.expect("backup");
    let secs = t.elapsed().as_secs_f64();
    println!(
        "full backup: {:.2} s, {} records, {:.1} MB, {:.0} edges/s",
        secs,
        full.records,
        full.bytes as f64 / 1e6,
        (nodes * FRIENDS) as f64 / secs
    );

    let changed = (nodes / 100).max(1);
    store
        .write(1, move |t| -> Result<(), StoreError> {
            for u in 1..=changed {
                t.set_value(u, "P.name", Value::String(format!("renamed {u}")))?;
            }
            Ok(())
        })
        .await
        .expect("change");
    let t = Instant::now();
    let inc = backups.create(1, "0x1", false).await.expect("incremental");
    println!(
        "incremental backup ({changed} nodes changed): {:.2} s, {} records, {:.2} MB",
        t.elapsed().as_secs_f64(),
        inc.records,
        inc.bytes as f64 / 1e6
    );

    let t = Instant::now();
    let r = backups
        .restore("0x1", &RestoreTarget::default(), 2)
        .await
        .expect("restore");
    let secs = t.elapsed().as_secs_f64();
    println!(
        "restore (full + incremental): {:.2} s, {} keys, {:.0} edges/s",
        secs,
        r.records,
        (nodes * FRIENDS) as f64 / secs
    );
    assert_eq!(r.records as usize, keys, "restored key count");
}
