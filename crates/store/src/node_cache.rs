//! Decoded nodes shared by every reader of the store, across requests and backends.
//!
//! Reading a node means walking all of its data keys in the B-tree and decoding them; a
//! read-mostly workload does that for the same nodes over and over. This cache keeps what a
//! reader built from a node's data keys (the reader decides what: the store only holds it as
//! `Arc<dyn Any>`) and hands it to later readers as long as it is still what their snapshot
//! holds.
//!
//! **Versions.** The writer numbers its commits. A [`crate::Snapshot`] carries the number of
//! the last commit finished when it was taken (it may see a later one too). Before a commit
//! becomes visible, the writer removes the entries of every node whose data keys it changes
//! (whole backends for a drop or a replacement) and marks their shards invalidated at the
//! commit's number. So:
//! * an entry is used only by snapshots at or after the version it was read at: it holds the
//!   node as of that version, and any later change to the node removed it;
//! * a reader at version `v` may add an entry only when nothing in its shard was invalidated
//!   after `v` (its copy could predate a change it did not see, or include one that is not
//!   yet numbered).
//!
//! The cache is bounded in bytes (the reader gives each entry's approximate size); full
//! shards drop arbitrary entries. It costs nothing per idle backend.

use std::any::Any;
use std::sync::Arc;

use parking_lot::Mutex;
use rustc_hash::FxHashMap;

/// A decoded node as a reader built it.
pub type CachedNode = Arc<dyn Any + Send + Sync>;

const SHARDS: usize = 64;

/// Default bound of the cache, in approximate bytes of decoded nodes.
pub const DEFAULT_NODE_CACHE_BYTES: usize = 64 << 20;

struct Entry {
    version: u64,
    cost: usize,
    node: CachedNode,
}

#[derive(Default)]
struct Shard {
    map: FxHashMap<(u64, u64), Entry>,
    bytes: usize,
    /// The latest commit that removed (or would have removed) an entry of this shard.
    invalidated_at: u64,
}

pub(crate) struct NodeCache {
    shards: Box<[Mutex<Shard>]>,
    shard_bytes: usize,
}

fn shard_of(backend: u64, uid: u64) -> usize {
    let h = (backend ^ uid.rotate_left(29)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (h >> 58) as usize % SHARDS
}

impl NodeCache {
    pub(crate) fn new(bytes: usize) -> NodeCache {
        NodeCache {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            shard_bytes: bytes / SHARDS,
        }
    }

    /// The node as a reader at `version` may use it.
    pub(crate) fn get(&self, backend: u64, uid: u64, version: u64) -> Option<CachedNode> {
        let s = self.shards[shard_of(backend, uid)].lock();
        let e = s.map.get(&(backend, uid))?;
        (e.version <= version).then(|| e.node.clone())
    }

    /// Keeps a node a reader at `version` read (unless a later commit touched its shard).
    pub(crate) fn insert(
        &self,
        backend: u64,
        uid: u64,
        version: u64,
        node: CachedNode,
        cost: usize,
    ) {
        if self.shard_bytes == 0 || cost > self.shard_bytes / 4 {
            return;
        }
        let mut guard = self.shards[shard_of(backend, uid)].lock();
        let s = &mut *guard;
        if s.invalidated_at > version {
            return;
        }
        if let Some(old) = s.map.get(&(backend, uid))
            && old.version >= version
        {
            return;
        }
        while s.bytes + cost > self.shard_bytes {
            let Some(&k) = s.map.keys().next() else { break };
            if let Some(old) = s.map.remove(&k) {
                s.bytes -= old.cost;
            }
        }
        if let Some(old) = s.map.insert(
            (backend, uid),
            Entry {
                version,
                cost,
                node,
            },
        ) {
            s.bytes -= old.cost;
        }
        s.bytes += cost;
    }

    /// Before commit `version` becomes visible: forgets the given nodes.
    pub(crate) fn invalidate_nodes(
        &self,
        nodes: impl IntoIterator<Item = (u64, u64)>,
        version: u64,
    ) {
        for (backend, uid) in nodes {
            let mut s = self.shards[shard_of(backend, uid)].lock();
            s.invalidated_at = s.invalidated_at.max(version);
            if let Some(old) = s.map.remove(&(backend, uid)) {
                s.bytes -= old.cost;
            }
        }
    }

    /// Before commit `version` becomes visible: forgets every node of `backend` (`None`: of
    /// every backend).
    pub(crate) fn invalidate_backend(&self, backend: Option<u64>, version: u64) {
        for shard in self.shards.iter() {
            let mut guard = shard.lock();
            let s = &mut *guard;
            s.invalidated_at = s.invalidated_at.max(version);
            let mut freed = 0;
            s.map.retain(|(b, _), e| {
                let keep = backend.is_some_and(|x| x != *b);
                if !keep {
                    freed += e.cost;
                }
                keep
            });
            s.bytes -= freed;
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.shards.iter().map(|s| s.lock().map.len()).sum()
    }

    #[cfg(test)]
    fn bytes(&self) -> usize {
        self.shards.iter().map(|s| s.lock().bytes).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(n: u32) -> CachedNode {
        Arc::new(n)
    }

    fn value(c: &NodeCache, b: u64, u: u64, v: u64) -> Option<u32> {
        c.get(b, u, v).map(|n| *n.downcast_ref::<u32>().unwrap())
    }

    #[test]
    fn entries_serve_snapshots_at_or_after_their_version() {
        let c = NodeCache::new(1 << 20);
        c.insert(1, 7, 5, node(50), 10);
        assert_eq!(value(&c, 1, 7, 5), Some(50));
        assert_eq!(value(&c, 1, 7, 9), Some(50));
        assert_eq!(value(&c, 1, 7, 4), None, "an older snapshot may predate it");
        assert_eq!(value(&c, 2, 7, 9), None, "another backend's node 7");
    }

    #[test]
    fn a_change_removes_the_node_and_blocks_copies_read_before_it() {
        let c = NodeCache::new(1 << 20);
        c.insert(1, 7, 5, node(50), 10);
        c.invalidate_nodes([(1, 7)], 6);
        assert_eq!(value(&c, 1, 7, 9), None);
        // A reader that took its snapshot at 5 (before the change) comes back late.
        c.insert(1, 7, 5, node(50), 10);
        assert_eq!(value(&c, 1, 7, 9), None, "a stale copy is not kept");
        // A reader at 6 read the changed node.
        c.insert(1, 7, 6, node(60), 10);
        assert_eq!(value(&c, 1, 7, 6), Some(60));
        assert_eq!(value(&c, 1, 7, 5), None);
    }

    #[test]
    fn dropping_a_backend_forgets_its_nodes_only() {
        let c = NodeCache::new(1 << 20);
        for u in 0..100 {
            c.insert(1, u, 1, node(1), 10);
            c.insert(2, u, 1, node(2), 10);
        }
        c.invalidate_backend(Some(1), 2);
        assert_eq!(c.len(), 100);
        assert_eq!(c.bytes(), 1000);
        assert_eq!(value(&c, 2, 42, 2), Some(2));
        assert_eq!(value(&c, 1, 42, 2), None);
        c.invalidate_backend(None, 3);
        assert_eq!((c.len(), c.bytes()), (0, 0));
    }

    #[test]
    fn the_cache_stays_within_its_bytes() {
        let c = NodeCache::new(64 * 1000);
        for u in 0..10_000 {
            c.insert(1, u, 1, node(u as u32), 100);
        }
        assert!(c.bytes() <= 64 * 1000, "{}", c.bytes());
        assert!(c.len() > 100, "it still holds entries: {}", c.len());
        // Too large for a shard: not kept at all.
        c.insert(9, 9, 1, node(9), 1 << 20);
        assert_eq!(value(&c, 9, 9, 1), None);
    }
}
