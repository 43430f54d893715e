//! The store: snapshot reads and group-committed writes over a [`KvEngine`].

use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use crate::bulk::{self, NewNodes};
use crate::error::{Result, StoreError};
use crate::graph::{Snapshot, WriteTxn};
use crate::keys;
use crate::kv::{KvEngine, KvPair, KvRead, Layered, Overlay, PairSink, WriteBatch, prefix_end};
use crate::node_cache::{DEFAULT_NODE_CACHE_BYTES, NodeCache};
use crate::redb_engine::{RedbEngine, RedbOptions};
use crate::schema::PredicateSchema;

/// File name of the graph database inside the data directory.
pub const GRAPH_FILE: &str = "graph.redb";

/// Tuning of the writer.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Most mutations folded into one commit.
    pub max_batch: usize,
    /// Bound of the node cache shared by all readers, in approximate bytes of decoded
    /// nodes; 0 turns it off.
    pub node_cache_bytes: usize,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            max_batch: 512,
            node_cache_bytes: DEFAULT_NODE_CACHE_BYTES,
        }
    }
}

/// Counters of the writer (monotonic since open).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreStats {
    /// Mutations applied (successful closures that were committed).
    pub mutations: u64,
    /// Engine commits (each one durable write, e.g. one fsync).
    pub commits: u64,
    /// Time the writer spent running mutation closures, in microseconds.
    pub apply_micros: u64,
    /// Time the writer spent in engine commits (writing and syncing), in microseconds.
    pub commit_micros: u64,
}

type Done = Box<dyn FnOnce(Result<()>) + Send>;

/// Produces the new content of one backend's key range. It is called on the writer thread
/// with a snapshot of the whole key space taken right before the replacement (after every
/// earlier write) and a sink taking keys relative to the backend prefix.
type ReplaceJob = Box<dyn FnOnce(&dyn KvRead, &mut PairSink<'_>) -> Result<()> + Send>;
type MutationJob = Box<dyn FnOnce(&dyn KvRead) -> Option<(Overlay, Done)> + Send>;
/// A write committed on its own: runs on the writer thread with the engine, after every
/// earlier write, and answers its caller itself.
type SoloJob = Box<dyn FnOnce(&Shared) + Send>;

enum Job {
    Mutation(MutationJob),
    Solo(SoloJob),
    DropBackend(u64, oneshot::Sender<Result<()>>),
    Replace(u64, ReplaceJob, oneshot::Sender<Result<()>>),
}

struct Shared {
    engine: Arc<dyn KvEngine>,
    /// Decoded nodes shared by readers; `None` when turned off.
    nodes: Option<Arc<NodeCache>>,
    /// Number of the last finished commit (only the writer thread advances it).
    version: AtomicU64,
    mutations: AtomicU64,
    commits: AtomicU64,
    apply_micros: AtomicU64,
    commit_micros: AtomicU64,
}

struct Inner {
    shared: Arc<Shared>,
    tx: parking_lot::Mutex<Option<mpsc::Sender<Job>>>,
    writer: parking_lot::Mutex<Option<JoinHandle<()>>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.tx.lock().take();
        if let Some(h) = self.writer.lock().take() {
            // The last handle may be dropped by a write closure on the writer thread itself;
            // that thread then ends on its own once the queue is empty.
            if h.thread().id() != std::thread::current().id() {
                let _ = h.join();
            }
        }
    }
}

/// The graph store shared by every backend. Cheap to clone; the last clone dropped stops
/// the writer thread after it has finished queued work.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

impl Store {
    /// Opens (or creates) `<data_dir>/graph.redb` with default options.
    pub fn open(data_dir: &Path) -> Result<Store> {
        Store::open_with(data_dir, &RedbOptions::default(), StoreOptions::default())
    }

    /// Opens (or creates) `<data_dir>/graph.redb`.
    pub fn open_with(data_dir: &Path, redb: &RedbOptions, options: StoreOptions) -> Result<Store> {
        std::fs::create_dir_all(data_dir).map_err(StoreError::engine)?;
        let engine = RedbEngine::open_with(&data_dir.join(GRAPH_FILE), redb)?;
        Store::with_engine(Arc::new(engine), options)
    }

    /// A store over any engine (starts the writer thread).
    pub fn with_engine(engine: Arc<dyn KvEngine>, options: StoreOptions) -> Result<Store> {
        let shared = Arc::new(Shared {
            engine,
            nodes: (options.node_cache_bytes > 0)
                .then(|| Arc::new(NodeCache::new(options.node_cache_bytes))),
            version: AtomicU64::new(0),
            mutations: AtomicU64::new(0),
            commits: AtomicU64::new(0),
            apply_micros: AtomicU64::new(0),
            commit_micros: AtomicU64::new(0),
        });
        let (tx, rx) = mpsc::channel();
        let s2 = shared.clone();
        let max_batch = options.max_batch.max(1);
        let writer = std::thread::Builder::new()
            .name("graph-store-writer".into())
            .spawn(move || writer_loop(&s2, &rx, max_batch))
            .map_err(StoreError::engine)?;
        Ok(Store {
            inner: Arc::new(Inner {
                shared,
                tx: parking_lot::Mutex::new(Some(tx)),
                writer: parking_lot::Mutex::new(Some(writer)),
            }),
        })
    }

    /// A snapshot of everything committed so far, bound to `backend`.
    pub fn read(&self, backend: u64) -> Result<Snapshot> {
        let shared = &self.inner.shared;
        // The version first: the view then holds at least every commit up to it.
        let version = shared.version.load(Ordering::Acquire);
        let kv = shared.engine.snapshot()?;
        Ok(Snapshot::new(
            backend,
            kv,
            shared.nodes.clone().map(|c| (c, version)),
        ))
    }

    /// Writer counters.
    pub fn stats(&self) -> StoreStats {
        StoreStats {
            mutations: self.inner.shared.mutations.load(Ordering::Relaxed),
            commits: self.inner.shared.commits.load(Ordering::Relaxed),
            apply_micros: self.inner.shared.apply_micros.load(Ordering::Relaxed),
            commit_micros: self.inner.shared.commit_micros.load(Ordering::Relaxed),
        }
    }

    fn send(&self, job: Job) -> Result<()> {
        let guard = self.inner.tx.lock();
        let tx = guard.as_ref().ok_or(StoreError::Closed)?;
        tx.send(job).map_err(|_| StoreError::Closed)
    }

    pub(crate) fn submit<F, R, E>(
        &self,
        backend: u64,
        f: F,
    ) -> std::result::Result<oneshot::Receiver<std::result::Result<R, E>>, E>
    where
        F: FnOnce(&mut WriteTxn<'_>) -> std::result::Result<R, E> + Send + 'static,
        R: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let (reply, rx) = oneshot::channel();
        let job: MutationJob = Box::new(move |base: &dyn KvRead| {
            let mut txn = WriteTxn::new(backend, base);
            match std::panic::catch_unwind(AssertUnwindSafe(|| f(&mut txn))) {
                Ok(Ok(r)) => {
                    let overlay = txn.into_overlay();
                    let done: Done = Box::new(move |res: Result<()>| {
                        let _ = reply.send(res.map(|()| r).map_err(E::from));
                    });
                    Some((overlay, done))
                }
                Ok(Err(e)) => {
                    let _ = reply.send(Err(e));
                    None
                }
                Err(panic) => {
                    let msg = panic_message(&*panic);
                    let _ = reply.send(Err(E::from(StoreError::Aborted(msg))));
                    None
                }
            }
        });
        self.send(Job::Mutation(job)).map_err(E::from)?;
        Ok(rx)
    }

    /// Runs `f` as one mutation of `backend` and waits until it is durably committed.
    ///
    /// `f` runs on the writer thread, serialized with every other mutation, and may be
    /// committed together with other concurrent mutations (group commit). Reads inside `f`
    /// see its own writes. If `f` returns an error (or panics) nothing of it is applied and
    /// the error is returned; if the commit fails, the commit error is returned.
    pub async fn write<F, R, E>(&self, backend: u64, f: F) -> std::result::Result<R, E>
    where
        F: FnOnce(&mut WriteTxn<'_>) -> std::result::Result<R, E> + Send + 'static,
        R: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let rx = self.submit(backend, f)?;
        rx.await.map_err(|_| E::from(StoreError::Closed))?
    }

    /// [`Store::write`] for synchronous callers (must not be called from an async task).
    pub fn write_blocking<F, R, E>(&self, backend: u64, f: F) -> std::result::Result<R, E>
    where
        F: FnOnce(&mut WriteTxn<'_>) -> std::result::Result<R, E> + Send + 'static,
        R: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let rx = self.submit(backend, f)?;
        rx.blocking_recv()
            .map_err(|_| E::from(StoreError::Closed))?
    }

    /// Runs `f` as one mutation of `backend`, then creates the nodes of `nodes` (see
    /// [`NewNodes`]) in the same atomic, durable commit, and returns `f`'s result with the
    /// uids of the new nodes (consecutive, allocated after anything `f` allocated).
    ///
    /// The stored result is the one of running `f` and then [`NewNodes::apply`] in one
    /// [`Store::write_blocking`], but the new nodes' keys are worked out directly and
    /// streamed, in key order, into the engine's write transaction instead of going through
    /// the transaction's overlay: the way to load many new nodes. The write is committed on
    /// its own (not grouped with other mutations). If `f` fails, a fact fails the checks
    /// of the ordinary calls (the first such failure is returned) or the commit fails,
    /// nothing is applied. Must not be called from an async task.
    pub fn bulk_write_blocking<F, R, E>(
        &self,
        backend: u64,
        nodes: NewNodes,
        f: F,
    ) -> std::result::Result<(R, std::ops::Range<u64>), E>
    where
        F: FnOnce(&mut WriteTxn<'_>) -> std::result::Result<R, E> + Send + 'static,
        R: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let (reply, rx) = oneshot::channel();
        let job: SoloJob = Box::new(move |shared: &Shared| {
            let run = AssertUnwindSafe(|| run_bulk(shared, backend, nodes, f));
            let res = std::panic::catch_unwind(run)
                .unwrap_or_else(|panic| Err(E::from(StoreError::Aborted(panic_message(&*panic)))));
            let _ = reply.send(res);
        });
        self.send(Job::Solo(job)).map_err(E::from)?;
        rx.blocking_recv()
            .map_err(|_| E::from(StoreError::Closed))?
    }

    /// Replaces the predicate schemas of `backend` (see [`WriteTxn::apply_schema`]),
    /// atomically with the index rebuilds.
    pub async fn apply_schema(&self, backend: u64, preds: Vec<PredicateSchema>) -> Result<()> {
        self.write(backend, move |txn| txn.apply_schema(&preds))
            .await
    }

    /// Calls `f` with every pair of `backend`'s key range, in key order, from one consistent
    /// snapshot (writes committed meanwhile are not seen). Keys are relative to the backend
    /// prefix, so they can be loaded into another backend with [`Store::replace_backend`].
    ///
    /// Blocking: call it from a blocking thread.
    pub fn scan_backend<R>(
        &self,
        backend: u64,
        f: impl FnOnce(&mut dyn Iterator<Item = Result<KvPair>>) -> R,
    ) -> Result<R> {
        let snap = self.inner.shared.engine.snapshot()?;
        let prefix = keys::backend_prefix(backend);
        let (s, e) = crate::kv::prefix_bounds(&prefix);
        let mut iter = snap
            .scan(s, e, false)?
            .map(|item| item.map(|(mut k, v)| (k.split_off(8), v)));
        Ok(f(&mut iter))
    }

    /// Replaces `backend`'s whole key range with the pairs `fill` pushes (keys relative to
    /// the backend prefix), as one atomic, durable commit serialized with every other
    /// write. If `fill` fails, nothing changes and its error is returned.
    pub async fn replace_backend<F>(&self, backend: u64, fill: F) -> Result<()>
    where
        F: FnOnce(&mut PairSink<'_>) -> Result<()> + Send + 'static,
    {
        self.replace_with_snapshot(backend, Box::new(move |_, sink| fill(sink)))
            .await
    }

    async fn replace_with_snapshot(&self, backend: u64, job: ReplaceJob) -> Result<()> {
        if prefix_end(&keys::backend_prefix(backend)).is_none() {
            return Err(StoreError::Engine(format!(
                "backend {backend} cannot be replaced"
            )));
        }
        let (tx, rx) = oneshot::channel();
        self.send(Job::Replace(backend, job, tx))?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Deletes every node of `backend` except those in `keep` (with their values, edges
    /// among themselves, and index entries), in one atomic commit. The uid counter stays, so
    /// uids are never reused. With `keep_schema` the predicate schemas (and any other meta
    /// record or unknown key section) stay too; without it only the uid counter does.
    ///
    /// Nodes in `keep` must not have edges to dropped nodes (such edges would dangle).
    pub async fn retain_nodes(
        &self,
        backend: u64,
        keep: Vec<u64>,
        keep_schema: bool,
    ) -> Result<()> {
        self.replace_with_snapshot(
            backend,
            Box::new(move |snap, sink| retain_fill(snap, backend, &keep, keep_schema, sink)),
        )
        .await
    }

    /// Deletes every key of `backend` (its whole graph, schema and uid counter).
    pub async fn drop_backend(&self, backend: u64) -> Result<()> {
        let (tx, rx) = oneshot::channel();
        self.send(Job::DropBackend(backend, tx))?;
        rx.await.map_err(|_| StoreError::Closed)?
    }
}

impl Shared {
    /// Numbers the next commit and, before it becomes visible, lets `invalidate` remove
    /// what it changes from the node cache. The caller stores the number in `version`
    /// once the commit is done (or failed: a spent number is harmless).
    fn begin_commit(&self, invalidate: impl FnOnce(&NodeCache, u64)) -> u64 {
        let version = self.version.load(Ordering::Relaxed) + 1;
        if let Some(c) = &self.nodes {
            invalidate(c, version);
        }
        version
    }

    /// Commits `batch` to the engine, keeping the node cache exact (see `node_cache`).
    fn commit(&self, batch: WriteBatch) -> Result<()> {
        let version = self.begin_commit(|c, v| {
            for (s, _) in &batch.delete_ranges {
                match s.get(..8) {
                    Some(b) => c.invalidate_backend(
                        Some(u64::from_be_bytes(b.try_into().expect("8 bytes"))),
                        v,
                    ),
                    None => c.invalidate_backend(None, v),
                }
            }
            c.invalidate_nodes(batch.ops.keys().filter_map(|k| data_node(k)), v);
        });
        let res = self.engine.commit(batch);
        self.version.store(version, Ordering::Release);
        res
    }
}

/// The node (backend, uid) whose data a key holds, if it is a data key.
fn data_node(k: &[u8]) -> Option<(u64, u64)> {
    if k.get(8) != Some(&keys::DATA) {
        return None;
    }
    Some((uid_at(k, 0)?, uid_at(k, 9)?))
}

fn writer_loop(shared: &Shared, rx: &mpsc::Receiver<Job>, max_batch: usize) {
    while let Ok(first) = rx.recv() {
        let mut jobs = vec![first];
        while jobs.len() < max_batch {
            match rx.try_recv() {
                Ok(j) => jobs.push(j),
                Err(_) => break,
            }
        }
        run_group(shared, jobs);
    }
    tracing::debug!("graph store writer stopped");
}

fn commit_group(shared: &Shared, group: Overlay, dones: Vec<Done>) {
    if dones.is_empty() && group.ops.is_empty() {
        return;
    }
    let batch = WriteBatch {
        delete_ranges: Vec::new(),
        ops: group.ops,
    };
    let started = std::time::Instant::now();
    let res = shared.commit(batch);
    shared.commits.fetch_add(1, Ordering::Relaxed);
    shared
        .commit_micros
        .fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
    match res {
        Ok(()) => {
            shared
                .mutations
                .fetch_add(dones.len() as u64, Ordering::Relaxed);
            for d in dones {
                d(Ok(()));
            }
        }
        Err(e) => {
            tracing::error!(error = %e, mutations = dones.len(), "graph store commit failed");
            let msg = e.to_string();
            for d in dones {
                d(Err(StoreError::Engine(msg.clone())));
            }
        }
    }
}

fn run_group(shared: &Shared, jobs: Vec<Job>) {
    let mut snapshot = None;
    let mut group = Overlay::default();
    let mut dones: Vec<Done> = Vec::new();
    for job in jobs {
        match job {
            Job::Mutation(f) => {
                if snapshot.is_none() {
                    match shared.engine.snapshot() {
                        Ok(s) => snapshot = Some(s),
                        Err(e) => {
                            tracing::error!(error = %e, "graph store snapshot failed");
                            // The closure never runs; dropping it drops its reply channel,
                            // which the caller sees as `Closed`.
                            drop(f);
                            continue;
                        }
                    }
                }
                let base = snapshot.as_deref().expect("set above");
                let view = Layered {
                    upper: &group,
                    lower: base as &dyn KvRead,
                };
                let started = std::time::Instant::now();
                let outcome = f(&view);
                shared
                    .apply_micros
                    .fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
                if let Some((overlay, done)) = outcome {
                    group.absorb(overlay);
                    dones.push(done);
                }
            }
            Job::DropBackend(backend, reply) => {
                commit_group(
                    shared,
                    std::mem::take(&mut group),
                    std::mem::take(&mut dones),
                );
                snapshot = None;
                let start = keys::backend_prefix(backend);
                let batch = WriteBatch {
                    delete_ranges: match prefix_end(&start) {
                        Some(end) => vec![(start.clone(), end)],
                        None => Vec::new(),
                    },
                    ops: if backend == u64::MAX {
                        // No key follows the prefix of the last backend: drop by scan.
                        match scan_all_keys(shared, &start) {
                            Ok(keys) => keys.into_iter().map(|k| (k, None)).collect(),
                            Err(e) => {
                                let _ = reply.send(Err(e));
                                continue;
                            }
                        }
                    } else {
                        Default::default()
                    },
                };
                let res = shared.commit(batch);
                shared.commits.fetch_add(1, Ordering::Relaxed);
                let _ = reply.send(res);
            }
            Job::Solo(job) => {
                commit_group(
                    shared,
                    std::mem::take(&mut group),
                    std::mem::take(&mut dones),
                );
                snapshot = None;
                job(shared);
            }
            Job::Replace(backend, job, reply) => {
                commit_group(
                    shared,
                    std::mem::take(&mut group),
                    std::mem::take(&mut dones),
                );
                snapshot = None;
                let _ = reply.send(run_replace(shared, backend, job));
            }
        }
    }
    commit_group(shared, group, dones);
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic in write closure".into())
}

/// The body of [`Store::bulk_write_blocking`] on the writer thread.
fn run_bulk<F, R, E>(
    shared: &Shared,
    backend: u64,
    nodes: NewNodes,
    f: F,
) -> std::result::Result<(R, std::ops::Range<u64>), E>
where
    F: FnOnce(&mut WriteTxn<'_>) -> std::result::Result<R, E>,
    E: From<StoreError>,
{
    let engine = &*shared.engine;
    let started = std::time::Instant::now();
    let snap = engine.snapshot()?;
    let mut txn = WriteTxn::new(backend, &*snap);
    let r = f(&mut txn)?;
    let prepared = bulk::prepare(&mut txn, nodes)?;
    let batch = WriteBatch {
        delete_ranges: Vec::new(),
        ops: txn.into_overlay().ops,
    };
    shared
        .apply_micros
        .fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
    let started = std::time::Instant::now();
    // New nodes have fresh uids, but a reader may have cached one as empty before it
    // existed: the whole backend leaves the node cache (an import is rare and large).
    let version = shared.begin_commit(|c, v| c.invalidate_backend(Some(backend), v));
    let res = engine.commit_with(batch, &mut |sink| bulk::emit(&prepared, sink));
    shared.version.store(version, Ordering::Release);
    shared.commits.fetch_add(1, Ordering::Relaxed);
    shared
        .commit_micros
        .fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
    res?;
    shared.mutations.fetch_add(1, Ordering::Relaxed);
    Ok((r, prepared.uids()))
}

fn run_replace(shared: &Shared, backend: u64, job: ReplaceJob) -> Result<()> {
    let start = keys::backend_prefix(backend);
    let end = prefix_end(&start).ok_or_else(|| StoreError::Engine("no range end".into()))?;
    let before = shared.engine.snapshot()?;
    let mut job = Some(job);
    let mut key = start.clone();
    let started = std::time::Instant::now();
    let version = shared.begin_commit(|c, v| c.invalidate_backend(Some(backend), v));
    let res = shared.engine.replace_range(&start, &end, &mut |sink| {
        let job = job
            .take()
            .ok_or_else(|| StoreError::Engine("replacement filled twice".into()))?;
        job(&*before, &mut |k: &[u8], v: &[u8]| {
            key.truncate(8);
            key.extend_from_slice(k);
            sink(&key, v)
        })
    });
    shared.version.store(version, Ordering::Release);
    shared.commits.fetch_add(1, Ordering::Relaxed);
    shared
        .commit_micros
        .fetch_add(started.elapsed().as_micros() as u64, Ordering::Relaxed);
    res
}

fn uid_at(k: &[u8], at: usize) -> Option<u64> {
    k.get(at..at + 8)
        .map(|b| u64::from_be_bytes(b.try_into().expect("8 bytes")))
}

fn trailing(k: &[u8]) -> Option<u64> {
    k.len().checked_sub(8).and_then(|at| uid_at(k, at))
}

/// Pushes the part of `backend`'s range that [`Store::retain_nodes`] keeps.
fn retain_fill(
    snap: &dyn KvRead,
    backend: u64,
    keep: &[u64],
    keep_schema: bool,
    sink: &mut PairSink<'_>,
) -> Result<()> {
    use std::collections::{BTreeMap, HashSet};
    let keep: HashSet<u64> = keep.iter().copied().collect();
    let kept = |u: Option<u64>| u.is_some_and(|u| keep.contains(&u));
    let prefix = keys::backend_prefix(backend);
    let (s, e) = crate::kv::prefix_bounds(&prefix);
    // Type counts are rebuilt from the type index entries that stay.
    let mut counts: BTreeMap<Vec<u8>, u64> = BTreeMap::new();
    for item in snap.scan(s, e, false)? {
        let (k, v) = item?;
        let rel = &k[8..];
        let keep_it = match rel.first().copied() {
            Some(keys::META) => match rel.get(1).copied() {
                Some(keys::META_NEXT_UID) => true,
                Some(keys::META_TYPE_COUNT) => false,
                _ => keep_schema,
            },
            Some(keys::DATA) => kept(uid_at(rel, 1)),
            Some(keys::REV) => kept(uid_at(rel, 1)) && kept(trailing(rel)),
            Some(keys::TYPE) => {
                let yes = kept(trailing(rel));
                if yes {
                    // `03 <type>\0 <uid>` → count key `00 03 <type>\0`.
                    let mut ck = vec![keys::META, keys::META_TYPE_COUNT];
                    ck.extend_from_slice(&rel[1..rel.len() - 8]);
                    *counts.entry(ck).or_default() += 1;
                }
                yes
            }
            Some(keys::HAS) | Some(keys::INDEX) => kept(trailing(rel)),
            _ => keep_schema,
        };
        if keep_it {
            sink(rel, &v)?;
        }
    }
    for (k, n) in counts {
        sink(&k, &n.to_be_bytes())?;
    }
    Ok(())
}

fn scan_all_keys(shared: &Shared, prefix: &[u8]) -> Result<Vec<Vec<u8>>> {
    let snap = shared.engine.snapshot()?;
    let (s, e) = crate::kv::prefix_bounds(prefix);
    snap.scan(s, e, false)?.map(|i| i.map(|(k, _)| k)).collect()
}
