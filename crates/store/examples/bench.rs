//! Store benchmark (not a test). Run with
//! `cargo run --release -p graphcloud-store --example bench [-- <dir>]`.
//!
//! Measures, on a fresh `graph.redb`:
//! * durable mutations/s with one writer at a time (one commit each) and with 64 concurrent
//!   writers (group commit folds them into fewer commits);
//! * point reads/s (one predicate of a random node on a snapshot);
//! * index lookups/s (hash equality, term, int range).

use std::ops::Bound;
use std::time::Instant;

use graphcloud_store::{
    GraphRead, IndexKind, PredicateSchema, RedbOptions, Store, StoreError, StoreOptions, Value,
    ValueKind,
};

const BACKEND: u64 = 1;

fn schema() -> Vec<PredicateSchema> {
    vec![
        PredicateSchema::new("Person.name", ValueKind::String, false)
            .with_index(IndexKind::Hash)
            .with_index(IndexKind::Term),
        PredicateSchema::new("Person.age", ValueKind::Int, false).with_index(IndexKind::Int),
        PredicateSchema::new("Person.friends", ValueKind::Uid, true),
    ]
}

/// xorshift64*: deterministic pseudo-random numbers.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

async fn add_person(store: &Store, i: u64, friend: Option<u64>) -> u64 {
    store
        .write(BACKEND, move |t| -> Result<u64, StoreError> {
            let u = t.alloc_uid()?;
            t.add_type(u, "Person")?;
            t.set_value(
                u,
                "Person.name",
                Value::String(format!("person {i} group{}", i % 100)),
            )?;
            t.set_value(u, "Person.age", Value::Int((i % 90) as i64))?;
            if let Some(f) = friend {
                t.add_edge(u, "Person.friends", f)?;
            }
            Ok(u)
        })
        .await
        .expect("write")
}

fn main() {
    let dir = match std::env::args().nth(1) {
        Some(d) => std::path::PathBuf::from(d),
        None => std::env::temp_dir().join(format!("graphcloud-store-bench-{}", std::process::id())),
    };
    let _ = std::fs::remove_dir_all(&dir);
    // GRAPHCLOUD_BENCH_QUICK_REPAIR=1 measures commits with redb's quick-repair.
    let quick_repair = std::env::var("GRAPHCLOUD_BENCH_QUICK_REPAIR").is_ok_and(|v| v == "1");
    println!("redb quick_repair: {quick_repair}");
    let redb = RedbOptions {
        quick_repair,
        ..RedbOptions::default()
    };
    let store = Store::open_with(&dir, &redb, StoreOptions::default()).expect("open");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        store.apply_schema(BACKEND, schema()).await.expect("schema");
        store.apply_schema(2, schema()).await.expect("schema");

        // 1. one writer at a time
        let n_seq = 1_000u64;
        let before = store.stats();
        let t0 = Instant::now();
        let mut prev = None;
        for i in 0..n_seq {
            prev = Some(add_person(&store, i, prev).await);
        }
        let dt = t0.elapsed().as_secs_f64();
        let after = store.stats();
        println!(
            "sequential mutations: {n_seq} in {dt:.2}s = {:.0}/s ({} commits)",
            n_seq as f64 / dt,
            after.commits - before.commits
        );

        // 2. 64 concurrent writers
        let writers = 64u64;
        let per = 500u64;
        let before = store.stats();
        let t0 = Instant::now();
        let mut tasks = Vec::new();
        for w in 0..writers {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let mut rng = Rng(w + 1);
                for j in 0..per {
                    let i = n_seq + w * per + j;
                    let friend = 1 + rng.next() % n_seq;
                    add_person(&store, i, Some(friend)).await;
                }
            }));
        }
        for t in tasks {
            t.await.expect("task");
        }
        let dt = t0.elapsed().as_secs_f64();
        let after = store.stats();
        let n_conc = writers * per;
        let commits = after.commits - before.commits;
        println!(
            "concurrent mutations ({writers} writers): {n_conc} in {dt:.2}s = {:.0}/s ({commits} commits, {:.1} mutations/commit; writer busy {:.2}s in closures, {:.2}s in commits)",
            n_conc as f64 / dt,
            n_conc as f64 / commits.max(1) as f64,
            (after.apply_micros - before.apply_micros) as f64 / 1e6,
            (after.commit_micros - before.commit_micros) as f64 / 1e6,
        );
    });

    // 3. bulk load: 100 000 nodes with 10 edges each, 1 000 nodes per mutation, 4 writers.
    rt.block_on(async {
        let nodes = 100_000u64;
        let per_mutation = 1_000u64;
        let writers = 4u64;
        let before = store.stats();
        let t0 = Instant::now();
        let mut tasks = Vec::new();
        for w in 0..writers {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let mut m = w;
                while m * per_mutation < nodes {
                    let first = m * per_mutation;
                    store
                        .write(2, move |t| -> Result<(), StoreError> {
                            let mut rng = Rng(first + 1);
                            for i in first..first + per_mutation {
                                let u = t.alloc_uid()?;
                                t.add_type(u, "Person")?;
                                t.set_value(u, "Person.name", Value::String(format!("person {i}")))?;
                                t.set_value(u, "Person.age", Value::Int((i % 90) as i64))?;
                                for _ in 0..10 {
                                    t.add_edge(u, "Person.friends", 1 + rng.next() % nodes)?;
                                }
                            }
                            Ok(())
                        })
                        .await
                        .expect("bulk write");
                    m += writers;
                }
            }));
        }
        for t in tasks {
            t.await.expect("task");
        }
        let dt = t0.elapsed().as_secs_f64();
        let after = store.stats();
        println!(
            "bulk load: {nodes} nodes + {} edges in {dt:.2}s = {:.0} nodes/s, {:.0} edges/s ({} commits; writer busy {:.2}s in closures, {:.2}s in commits)",
            nodes * 10,
            nodes as f64 / dt,
            (nodes * 10) as f64 / dt,
            after.commits - before.commits,
            (after.apply_micros - before.apply_micros) as f64 / 1e6,
            (after.commit_micros - before.commit_micros) as f64 / 1e6,
        );
    });

    let total = store.read(BACKEND).unwrap().max_uid().unwrap();
    let snap = store.read(BACKEND).expect("snapshot");

    // 4. point reads
    let mut rng = Rng(7);
    let reads = 200_000;
    let t0 = Instant::now();
    let mut found = 0usize;
    for _ in 0..reads {
        let uid = 1 + rng.next() % total;
        if snap.value(uid, "Person.name").unwrap().is_some() {
            found += 1;
        }
    }
    let dt = t0.elapsed().as_secs_f64();
    assert_eq!(found, reads);
    println!(
        "point reads: {reads} in {dt:.2}s = {:.0}/s",
        reads as f64 / dt
    );

    // 5. index lookups
    let lookups = 20_000u64;
    let t0 = Instant::now();
    let mut hits = 0u64;
    for _ in 0..lookups {
        let i = rng.next() % total;
        let name = Value::String(format!("person {i} group{}", i % 100));
        hits += snap.index_eq("Person.name", &name).unwrap().len();
    }
    let dt = t0.elapsed().as_secs_f64();
    assert_eq!(hits, lookups);
    println!(
        "hash eq lookups: {lookups} in {dt:.2}s = {:.0}/s",
        lookups as f64 / dt
    );

    let t0 = Instant::now();
    let term_lookups = 2_000u64;
    let mut hits = 0u64;
    for _ in 0..term_lookups {
        let g = rng.next() % 100;
        hits += snap
            .index_terms("Person.name", &format!("group{g} person"), true)
            .unwrap()
            .len();
    }
    let dt = t0.elapsed().as_secs_f64();
    println!(
        "term lookups (~{} uids each): {term_lookups} in {dt:.2}s = {:.0}/s",
        hits / term_lookups,
        term_lookups as f64 / dt
    );

    let t0 = Instant::now();
    let range_lookups = 2_000u64;
    let mut hits = 0u64;
    for _ in 0..range_lookups {
        let a = (rng.next() % 85) as i64;
        hits += snap
            .index_range(
                "Person.age",
                Bound::Included(&Value::Int(a)),
                Bound::Included(&Value::Int(a + 4)),
            )
            .unwrap()
            .len();
    }
    let dt = t0.elapsed().as_secs_f64();
    println!(
        "int range lookups (~{} uids each): {range_lookups} in {dt:.2}s = {:.0}/s",
        hits / range_lookups,
        range_lookups as f64 / dt
    );
    let t0 = Instant::now();
    let scans = 200u64;
    let mut n = 0u64;
    for _ in 0..scans {
        n += snap.uids_of_type("Person").unwrap().len();
    }
    let dt = t0.elapsed().as_secs_f64();
    println!(
        "type index scans ({} uids each): {scans} in {dt:.2}s = {:.0}/s = {:.1} M uids/s",
        n / scans,
        scans as f64 / dt,
        n as f64 / dt / 1e6
    );
    assert_eq!(snap.type_count("Person").unwrap(), n / scans);
    drop(snap);
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}
