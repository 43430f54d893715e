//! Crash test: a child process performs acknowledged mutations through the public API and is
//! killed with SIGKILL at random points, repeatedly, on the same database file. After each
//! kill the store must open, every acknowledged write must be present, and the indexes must
//! agree with the data.
//!
//! Runs as `cargo test -p graphcloud-store --test crash`. The same binary is the child when
//! `GRAPHCLOUD_STORE_CRASH_CHILD` is set.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use graphcloud_store::{
    GraphRead, IndexKind, PredicateSchema, RedbOptions, Store, StoreError, StoreOptions, Value,
    ValueKind,
};

const CHILD_ENV: &str = "GRAPHCLOUD_STORE_CRASH_CHILD";
const BASE_ENV: &str = "GRAPHCLOUD_STORE_CRASH_BASE";
const QUICK_REPAIR_ENV: &str = "GRAPHCLOUD_STORE_CRASH_QUICK_REPAIR";
const BACKEND: u64 = 42;
const ROUNDS: u64 = 6;
const WRITERS: u64 = 8;

fn schema() -> Vec<PredicateSchema> {
    vec![
        PredicateSchema::new("Item.n", ValueKind::Int, false).with_index(IndexKind::Int),
        PredicateSchema::new("Item.name", ValueKind::String, false)
            .with_index(IndexKind::Hash)
            .with_index(IndexKind::Term),
        PredicateSchema::new("Item.prev", ValueKind::Uid, false),
    ]
}

fn name_of(seq: u64) -> String {
    format!("item {seq} word{}", seq % 7)
}

/// Child: writes forever, printing `ack <seq> <uid>` after each durable write.
fn child(dir: &Path, base: u64, quick_repair: bool) {
    let redb = RedbOptions {
        quick_repair,
        ..RedbOptions::default()
    };
    let store = Store::open_with(dir, &redb, StoreOptions::default()).expect("open store");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        store.apply_schema(BACKEND, schema()).await.expect("schema");
        let mut tasks = Vec::new();
        for w in 0..WRITERS {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let mut prev: Option<u64> = None;
                for i in 0.. {
                    let seq = base + i * WRITERS + w;
                    let res = store
                        .write(BACKEND, move |t| -> Result<u64, StoreError> {
                            let u = t.alloc_uid()?;
                            t.add_type(u, "Item")?;
                            t.set_value(u, "Item.n", Value::Int(seq as i64))?;
                            t.set_value(u, "Item.name", Value::String(name_of(seq)))?;
                            if let Some(p) = prev {
                                t.add_edge(u, "Item.prev", p)?;
                            }
                            Ok(u)
                        })
                        .await;
                    let uid = res.expect("write");
                    prev = Some(uid);
                    let mut out = std::io::stdout().lock();
                    writeln!(out, "ack {seq} {uid}").expect("stdout");
                    out.flush().expect("flush");
                }
            }));
        }
        for t in tasks {
            let _ = t.await;
        }
    });
}

fn pseudo_random(round: u64) -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as u64)
        .unwrap_or(0);
    let mut x = nanos ^ (round.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^ (x >> 33)
}

/// Verifies every acknowledged write and the consistency of the indexes.
fn verify(dir: &Path, acked: &BTreeMap<u64, u64>) -> usize {
    let store = Store::open(dir).expect("store must open after kill -9");
    let snap = store.read(BACKEND).expect("snapshot");
    let items = snap.uids_of_type("Item").expect("type index");
    for (&seq, &uid) in acked {
        assert!(
            items.contains(uid),
            "acknowledged seq {seq} (uid {uid}) lost"
        );
        assert_eq!(
            snap.value(uid, "Item.n").unwrap(),
            Some(Value::Int(seq as i64)),
            "value of seq {seq}"
        );
        let name = name_of(seq);
        assert!(
            snap.index_eq("Item.name", &Value::String(name.clone()))
                .unwrap()
                .contains(uid),
            "hash index misses seq {seq}"
        );
        assert!(
            snap.index_eq("Item.n", &Value::Int(seq as i64))
                .unwrap()
                .contains(uid),
            "int index misses seq {seq}"
        );
    }
    // Every stored node (acknowledged or committed just before the kill) is whole: type,
    // value, name and index entries were committed together.
    let with_n = snap.uids_with("Item.n").unwrap();
    let with_name = snap.uids_with("Item.name").unwrap();
    assert_eq!(items, with_n, "type index and has(n) disagree");
    assert_eq!(items, with_name, "type index and has(name) disagree");
    assert_eq!(
        snap.type_count("Item").unwrap(),
        items.len(),
        "type counter"
    );
    let mut term_total = 0;
    for w in 0..7 {
        term_total += snap
            .index_terms("Item.name", &format!("word{w}"), true)
            .unwrap()
            .len();
    }
    assert_eq!(term_total, items.len(), "term index covers every node once");
    for uid in items.iter() {
        for p in snap.edges(uid, "Item.prev").unwrap() {
            assert!(items.contains(p), "edge to a missing node");
            assert!(
                snap.reverse_edges(p, "Item.prev").unwrap().contains(&uid),
                "reverse edge missing"
            );
        }
    }
    assert!(snap.max_uid().unwrap() >= items.max().unwrap_or(0));
    items.len() as usize
}

fn parent() {
    let dir = tempfile::tempdir().expect("tempdir");
    let exe = std::env::current_exe().expect("current exe");
    let mut acked: BTreeMap<u64, u64> = BTreeMap::new();
    for round in 0..ROUNDS {
        let mut child = Command::new(&exe)
            .env(CHILD_ENV, dir.path())
            .env(BASE_ENV, (round * 1_000_000_000).to_string())
            // Odd rounds commit with redb's quick-repair, even rounds without.
            .env(QUICK_REPAIR_ENV, if round % 2 == 1 { "1" } else { "0" })
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn child");
        let stdout = child.stdout.take().expect("stdout");
        let delay = Duration::from_millis(100 + pseudo_random(round) % 900);
        let (tx, rx) = std::sync::mpsc::channel::<(u64, u64)>();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let mut parts = line.split_whitespace();
                if parts.next() == Some("ack") {
                    let seq: u64 = parts.next().and_then(|s| s.parse().ok()).expect("seq");
                    let uid: u64 = parts.next().and_then(|s| s.parse().ok()).expect("uid");
                    if tx.send((seq, uid)).is_err() {
                        break;
                    }
                }
            }
        });
        // Wait for the first ack so the kill lands while writes are in flight.
        let first = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("child acknowledged nothing");
        acked.insert(first.0, first.1);
        let start = Instant::now();
        while start.elapsed() < delay {
            if let Ok((s, u)) = rx.recv_timeout(Duration::from_millis(5)) {
                acked.insert(s, u);
            }
        }
        child.kill().expect("kill -9"); // SIGKILL on Unix
        child.wait().expect("reap child");
        reader.join().expect("reader");
        // Everything the child printed before dying was acknowledged.
        while let Ok((s, u)) = rx.try_recv() {
            acked.insert(s, u);
        }
        let stored = verify(dir.path(), &acked);
        println!(
            "round {round}: killed after {:?}, {} acknowledged so far, {} stored",
            delay,
            acked.len(),
            stored
        );
        assert!(stored >= acked.len());
    }
    println!(
        "crash test: {ROUNDS} rounds passed, {} acknowledged writes verified",
        acked.len()
    );
}

fn main() {
    if let Ok(dir) = std::env::var(CHILD_ENV) {
        let base = std::env::var(BASE_ENV)
            .ok()
            .and_then(|b| b.parse().ok())
            .unwrap_or(0);
        let quick_repair = std::env::var(QUICK_REPAIR_ENV).is_ok_and(|v| v == "1");
        child(Path::new(&dir), base, quick_repair);
        return;
    }
    parent();
}
