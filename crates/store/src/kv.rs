//! The narrow key-value trait at the bottom of the store.
//!
//! Everything above this module speaks only of ordered byte keys: snapshot reads (point get,
//! ordered range scans in both directions) and atomic, durable write batches. An implementation
//! needs nothing else, so a SQL table `(k bytea primary key, v bytea)` can serve as well as the
//! embedded redb file.

use std::collections::BTreeMap;
use std::ops::Bound;

use crate::error::Result;

/// An owned key/value pair.
pub type KvPair = (Vec<u8>, Vec<u8>);

/// An ordered iterator over key/value pairs.
pub type KvIter<'a> = Box<dyn Iterator<Item = Result<KvPair>> + 'a>;

/// Read access to ordered byte keys.
pub trait KvRead {
    /// The value stored under `key`, if any.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>>;
    /// All pairs with `start <= key < end` (per the bounds), ascending, or descending when
    /// `reverse` is set.
    fn scan(&self, start: Bound<Vec<u8>>, end: Bound<Vec<u8>>, reverse: bool)
    -> Result<KvIter<'_>>;

    /// Calls `f` with each key in the range, in order, until it returns `false`. Engines
    /// override this to avoid copying keys and values.
    fn visit_keys(
        &self,
        start: Bound<Vec<u8>>,
        end: Bound<Vec<u8>>,
        reverse: bool,
        f: &mut dyn FnMut(&[u8]) -> bool,
    ) -> Result<()> {
        for item in self.scan(start, end, reverse)? {
            if !f(&item?.0) {
                break;
            }
        }
        Ok(())
    }
}

/// A consistent point-in-time view of the whole key space.
pub trait KvSnapshot: KvRead + Send + Sync {}

/// One atomic write: range deletions are applied first, then puts (`Some`) and deletes (`None`).
#[derive(Debug, Default, Clone)]
pub struct WriteBatch {
    /// Half-open key ranges `[start, end)` to delete.
    pub delete_ranges: Vec<(Vec<u8>, Vec<u8>)>,
    /// Point puts and deletes.
    pub ops: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
}

impl WriteBatch {
    /// True when the batch changes nothing.
    pub fn is_empty(&self) -> bool {
        self.delete_ranges.is_empty() && self.ops.is_empty()
    }
}

/// Receives the pairs of a range replacement (any order; a later put of a key wins).
pub type PairSink<'a> = dyn FnMut(&[u8], &[u8]) -> Result<()> + 'a;

/// Produces the new content of a replaced range by pushing pairs into the sink. An error
/// aborts the replacement: nothing of it becomes visible.
pub type RangeFill<'a> = dyn FnMut(&mut PairSink<'_>) -> Result<()> + 'a;

/// An ordered key-value engine: snapshots and atomic, durable batch commits.
///
/// Commits are serialized by the caller (the store has exactly one writer), so an
/// implementation needs no conflict detection.
pub trait KvEngine: Send + Sync + 'static {
    /// A snapshot of everything committed so far.
    fn snapshot(&self) -> Result<Box<dyn KvSnapshot>>;
    /// Applies `batch` atomically and durably; on error nothing of it is visible.
    fn commit(&self, batch: WriteBatch) -> Result<()>;

    /// Applies `batch`, then puts the pairs produced by `fill` (over anything of the batch;
    /// a later put of a key wins), as one atomic, durable commit. If `fill` fails nothing
    /// changes. Pairs pushed in key order are cheapest.
    ///
    /// The default collects the pairs into the batch; engines override it to stream the
    /// pairs into the write transaction.
    fn commit_with(&self, batch: WriteBatch, fill: &mut RangeFill<'_>) -> Result<()> {
        let mut batch = batch;
        fill(&mut |k: &[u8], v: &[u8]| {
            batch.ops.insert(k.to_vec(), Some(v.to_vec()));
            Ok(())
        })?;
        self.commit(batch)
    }

    /// Deletes every key in `[start, end)` and puts the pairs produced by `fill`, as one
    /// atomic, durable commit. If `fill` fails nothing changes.
    ///
    /// The default collects the pairs into one [`WriteBatch`]; engines override it to stream
    /// the pairs into a single write transaction.
    fn replace_range(&self, start: &[u8], end: &[u8], fill: &mut RangeFill<'_>) -> Result<()> {
        let mut batch = WriteBatch {
            delete_ranges: vec![(start.to_vec(), end.to_vec())],
            ops: BTreeMap::new(),
        };
        fill(&mut |k: &[u8], v: &[u8]| {
            batch.ops.insert(k.to_vec(), Some(v.to_vec()));
            Ok(())
        })?;
        self.commit(batch)
    }
}

/// The smallest key strictly greater than every key starting with `prefix`
/// (`None` when there is none, i.e. the prefix is all `0xff`).
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// Bounds covering every key that starts with `prefix`.
pub fn prefix_bounds(prefix: &[u8]) -> (Bound<Vec<u8>>, Bound<Vec<u8>>) {
    let end = match prefix_end(prefix) {
        Some(e) => Bound::Excluded(e),
        None => Bound::Unbounded,
    };
    (Bound::Included(prefix.to_vec()), end)
}

/// Pending changes layered over a lower view: reads see the overlay first.
#[derive(Debug, Default)]
pub(crate) struct Overlay {
    pub(crate) ops: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
}

impl Overlay {
    pub(crate) fn put(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.ops.insert(key, Some(value));
    }
    pub(crate) fn delete(&mut self, key: Vec<u8>) {
        self.ops.insert(key, None);
    }
    /// Moves every change of `other` on top of `self`.
    pub(crate) fn absorb(&mut self, other: Overlay) {
        if self.ops.is_empty() {
            self.ops = other.ops;
        } else {
            self.ops.extend(other.ops);
        }
    }
}

/// A read view made of an overlay on top of a lower view.
pub(crate) struct Layered<'a, U: std::borrow::Borrow<Overlay>> {
    pub(crate) upper: U,
    pub(crate) lower: &'a dyn KvRead,
}

impl<U: std::borrow::Borrow<Overlay>> KvRead for Layered<'_, U> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        match self.upper.borrow().ops.get(key) {
            Some(v) => Ok(v.clone()),
            None => self.lower.get(key),
        }
    }

    fn scan(
        &self,
        start: Bound<Vec<u8>>,
        end: Bound<Vec<u8>>,
        reverse: bool,
    ) -> Result<KvIter<'_>> {
        if bounds_empty(&start, &end) {
            return Ok(Box::new(std::iter::empty()));
        }
        let lower = self.lower.scan(start.clone(), end.clone(), reverse)?;
        let ops = &self.upper.borrow().ops;
        if ops.is_empty() {
            return Ok(lower);
        }
        let upper: OverlayIter<'_> = if reverse {
            Box::new(ops.range((start, end)).rev())
        } else {
            Box::new(ops.range((start, end)))
        };
        Ok(Box::new(Merge {
            upper: upper.peekable(),
            lower: lower.peekable(),
            reverse,
        }))
    }
}

type OverlayIter<'a> = Box<dyn Iterator<Item = (&'a Vec<u8>, &'a Option<Vec<u8>>)> + 'a>;

struct Merge<'a> {
    upper: std::iter::Peekable<OverlayIter<'a>>,
    lower: std::iter::Peekable<KvIter<'a>>,
    reverse: bool,
}

impl Iterator for Merge<'_> {
    type Item = Result<KvPair>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let take_upper = match (self.upper.peek(), self.lower.peek()) {
                (None, None) => return None,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (Some(_), Some(Err(_))) => false,
                (Some((uk, _)), Some(Ok((lk, _)))) => {
                    let ord = uk.as_slice().cmp(lk.as_slice());
                    if ord == std::cmp::Ordering::Equal {
                        // The overlay shadows the lower entry.
                        self.lower.next();
                        true
                    } else if self.reverse {
                        ord == std::cmp::Ordering::Greater
                    } else {
                        ord == std::cmp::Ordering::Less
                    }
                }
            };
            if take_upper {
                let (k, v) = self.upper.next().expect("peeked");
                match v {
                    Some(v) => return Some(Ok((k.clone(), v.clone()))),
                    None => continue,
                }
            }
            return self.lower.next();
        }
    }
}

/// An in-memory engine: the reference semantics of [`KvEngine`], used in tests.
#[derive(Default)]
pub struct MemoryEngine {
    data: parking_lot::RwLock<std::sync::Arc<BTreeMap<Vec<u8>, Vec<u8>>>>,
}

struct MemorySnapshot(std::sync::Arc<BTreeMap<Vec<u8>, Vec<u8>>>);

impl KvRead for MemorySnapshot {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.0.get(key).cloned())
    }
    fn scan(
        &self,
        start: Bound<Vec<u8>>,
        end: Bound<Vec<u8>>,
        reverse: bool,
    ) -> Result<KvIter<'_>> {
        if bounds_empty(&start, &end) {
            return Ok(Box::new(std::iter::empty()));
        }
        let range = self
            .0
            .range((start, end))
            .map(|(k, v)| Ok((k.clone(), v.clone())));
        if reverse {
            Ok(Box::new(range.rev()))
        } else {
            Ok(Box::new(range))
        }
    }
}

impl KvSnapshot for MemorySnapshot {}

/// True when the bounds describe an empty range (BTreeMap::range panics on start > end).
pub(crate) fn bounds_empty(start: &Bound<Vec<u8>>, end: &Bound<Vec<u8>>) -> bool {
    match (start, end) {
        (Bound::Included(s), Bound::Included(e)) => s > e,
        (Bound::Included(s), Bound::Excluded(e))
        | (Bound::Excluded(s), Bound::Included(e))
        | (Bound::Excluded(s), Bound::Excluded(e)) => s >= e,
        _ => false,
    }
}

impl KvEngine for MemoryEngine {
    fn snapshot(&self) -> Result<Box<dyn KvSnapshot>> {
        Ok(Box::new(MemorySnapshot(self.data.read().clone())))
    }
    fn commit(&self, batch: WriteBatch) -> Result<()> {
        let mut guard = self.data.write();
        let mut map = (**guard).clone();
        for (s, e) in batch.delete_ranges {
            if s < e {
                let doomed: Vec<Vec<u8>> = map.range(s..e).map(|(k, _)| k.clone()).collect();
                for k in doomed {
                    map.remove(&k);
                }
            }
        }
        for (k, v) in batch.ops {
            match v {
                Some(v) => map.insert(k, v),
                None => map.remove(&k),
            };
        }
        *guard = std::sync::Arc::new(map);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visit_keys_stops_and_orders() {
        let engine = MemoryEngine::default();
        let mut batch = WriteBatch::default();
        for k in [b"a1", b"a2", b"a3", b"b1"] {
            batch.ops.insert(k.to_vec(), Some(Vec::new()));
        }
        engine.commit(batch).unwrap();
        let snap = engine.snapshot().unwrap();
        let (s, e) = prefix_bounds(b"a");
        let mut seen = Vec::new();
        snap.visit_keys(s.clone(), e.clone(), true, &mut |k| {
            seen.push(k.to_vec());
            seen.len() < 2
        })
        .unwrap();
        assert_eq!(seen, vec![b"a3".to_vec(), b"a2".to_vec()]);
        let mut all = 0;
        snap.visit_keys(s, e, false, &mut |_| {
            all += 1;
            true
        })
        .unwrap();
        assert_eq!(all, 3);
    }
}
