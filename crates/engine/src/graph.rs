//! The engine's read view of one backend's graph.
//!
//! Execution reads through [`GraphRead`], an object-safe trait over a consistent snapshot of a
//! single backend (a read transaction, or the reader of a write transaction so a mutation sees
//! its own writes). The store's snapshot types implement it in [`crate::store_adapter`].

use std::cmp::Ordering;
use std::sync::Arc;

/// A stored scalar value as the engine sees it.
#[derive(Clone, Debug, PartialEq)]
pub enum Val {
    Int(i64),
    Float(f64),
    Str(String),
    Bool(bool),
    /// Seconds since the Unix epoch plus nanoseconds, kept with the original UTC offset text
    /// rendered in RFC 3339 on output.
    DateTime(time::OffsetDateTime),
    /// A GeoJSON geometry (`{"type": "Point", "coordinates": [lon, lat]}` …).
    Geo(serde_json::Value),
    /// A password hash; never returned to clients.
    Password(String),
}

impl Val {
    /// Orders two values of compatible kinds (numbers with numbers, strings with strings,
    /// times with times); `None` for incomparable kinds.
    pub fn compare(&self, other: &Val) -> Option<Ordering> {
        match (self, other) {
            (Val::Int(a), Val::Int(b)) => Some(a.cmp(b)),
            (Val::Float(a), Val::Float(b)) => a.partial_cmp(b),
            (Val::Int(a), Val::Float(b)) => (*a as f64).partial_cmp(b),
            (Val::Float(a), Val::Int(b)) => a.partial_cmp(&(*b as f64)),
            (Val::Str(a), Val::Str(b)) => Some(a.cmp(b)),
            (Val::Bool(a), Val::Bool(b)) => Some(a.cmp(b)),
            (Val::DateTime(a), Val::DateTime(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }

    /// Equality across numeric kinds, exact for others.
    pub fn equals(&self, other: &Val) -> bool {
        match (self, other) {
            (Val::Geo(a), Val::Geo(b)) => a == b,
            (Val::Password(_), _) | (_, Val::Password(_)) => false,
            _ => self.compare(other) == Some(Ordering::Equal),
        }
    }
}

/// Why a read failed.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ReadError(pub String);

/// Consistent reads of one backend's graph.
pub trait GraphRead {
    /// Uids (ascending) of every node whose `dgraph.type` contains `storage_type`.
    fn type_uids(&self, storage_type: &str) -> Result<Vec<u64>, ReadError>;
    /// The `dgraph.type` values of a node (empty when the node does not exist).
    fn node_types(&self, uid: u64) -> Result<Vec<String>, ReadError>;
    /// Scalar values of `pred` on `uid` (one for singular predicates, a set for lists).
    fn scalars(&self, uid: u64, pred: &str) -> Result<Vec<Val>, ReadError>;
    /// Targets (ascending uid) of the uid edge `pred` leaving `uid`.
    fn edges(&self, uid: u64, pred: &str) -> Result<Vec<u64>, ReadError>;
    /// Sources (ascending uid) of the uid edges `pred` that point at `uid`.
    fn reverse_edges(&self, uid: u64, pred: &str) -> Result<Vec<u64>, ReadError>;
    /// Uids (ascending) whose `pred` has a value equal to `value`, when an index answers it;
    /// `None` means "no index, scan instead".
    fn lookup_eq(&self, _pred: &str, _value: &Val) -> Result<Option<Vec<u64>>, ReadError> {
        Ok(None)
    }
    /// Every value and edge of a node in one read: `(types, scalar values by predicate, edge
    /// targets by predicate)`; `None` when the reader cannot do it in one pass.
    fn node_all(&self, _uid: u64) -> Result<Option<NodeData>, ReadError> {
        Ok(None)
    }
    /// [`GraphRead::node_all`] as a shared copy: a reader over committed data may hand out
    /// the copy the store's node cache holds (and offer the one it reads to it).
    fn node_shared(&self, uid: u64) -> Result<Option<Arc<NodeData>>, ReadError> {
        Ok(self.node_all(uid)?.map(Arc::new))
    }
    /// The first `n` uids (ascending) of the nodes whose `dgraph.type` contains
    /// `storage_type`, read as a page of the type index, when the reader can (`None`: use
    /// [`GraphRead::type_uids`]).
    fn type_uids_first(
        &self,
        _storage_type: &str,
        _n: usize,
    ) -> Result<Option<Vec<u64>>, ReadError> {
        Ok(None)
    }
    /// Number of nodes whose `dgraph.type` contains `storage_type`, from a counter, when the
    /// reader keeps one (`None`: count [`GraphRead::type_uids`] instead).
    fn type_count(&self, _storage_type: &str) -> Result<Option<u64>, ReadError> {
        Ok(None)
    }
    /// The node as a caching reader holds it after [`GraphRead::prefetch`] (read without
    /// copying); `None` when this reader keeps no such copy.
    fn loaded(&self, _uid: u64) -> Option<Arc<NodeData>> {
        None
    }
    /// Hint that every field of `uid` is about to be read (a caching reader loads the node
    /// in one pass).
    fn prefetch(&self, _uid: u64) -> Result<(), ReadError> {
        Ok(())
    }
    /// Candidate uids (ascending) for one filter operator, when an index answers it.
    fn lookup(&self, _pred: &str, _q: IndexQuery<'_>) -> Result<Option<Vec<u64>>, ReadError> {
        Ok(None)
    }
    /// Walks the nodes having a value of `pred` in value order through an ordered index,
    /// calling `f(token, uid)` until it returns `false`; equal values share `token`. Returns
    /// `Ok(false)` (having called nothing) when no ordered index can answer.
    fn walk_ordered(
        &self,
        _pred: &str,
        _desc: bool,
        _f: &mut dyn FnMut(&[u8], u64) -> bool,
    ) -> Result<bool, ReadError> {
        Ok(false)
    }
}

/// An index question for one filter operator (answers are candidate supersets; the engine
/// re-checks every candidate).
#[derive(Clone, Copy, Debug)]
pub enum IndexQuery<'a> {
    Eq(&'a Val),
    Range(std::ops::Bound<&'a Val>, std::ops::Bound<&'a Val>),
    Terms(&'a str, bool),
    Fulltext(&'a str, bool),
    Regexp(&'a str, bool),
    /// `ngram`: values holding the query's analysed words as one contiguous run (exact).
    Ngram(&'a str),
    Has,
}

/// Everything stored on one node.
#[derive(Clone, Debug, Default)]
pub struct NodeData {
    pub types: Vec<String>,
    pub values: std::collections::HashMap<String, Vec<Val>>,
    pub edges: std::collections::HashMap<String, Vec<u64>>,
}

impl NodeData {
    /// Approximate heap size, for bounding caches.
    pub fn cost(&self) -> usize {
        fn val(v: &Val) -> usize {
            std::mem::size_of::<Val>()
                + match v {
                    Val::Str(s) | Val::Password(s) => s.len(),
                    Val::Geo(g) => g.to_string().len() * 2,
                    _ => 0,
                }
        }
        let mut n = 128 + self.types.iter().map(|t| t.len() + 24).sum::<usize>();
        for (k, vs) in &self.values {
            n += 64 + k.len() + vs.iter().map(val).sum::<usize>();
        }
        for (k, es) in &self.edges {
            n += 64 + k.len() + es.len() * 8;
        }
        n
    }
}

/// A reader that loads each node once per request (one scan instead of one per predicate).
/// Bounded: beyond `capacity` nodes it reads through.
pub struct CachedRead<'a> {
    inner: Box<dyn GraphRead + 'a>,
    nodes: std::cell::RefCell<rustc_hash::FxHashMap<u64, Arc<NodeData>>>,
    capacity: usize,
}

impl<'a> CachedRead<'a> {
    pub fn new(inner: Box<dyn GraphRead + 'a>, capacity: usize) -> Self {
        CachedRead {
            inner,
            nodes: Default::default(),
            capacity,
        }
    }

    fn cached(&self, uid: u64) -> Option<Arc<NodeData>> {
        self.nodes.borrow().get(&uid).cloned()
    }
}

impl GraphRead for CachedRead<'_> {
    fn type_uids(&self, storage_type: &str) -> Result<Vec<u64>, ReadError> {
        self.inner.type_uids(storage_type)
    }
    // Reads come from a node loaded by `prefetch` (rendering), else go to the store for just
    // that predicate (filters and sorting over many nodes never load whole nodes).
    fn node_types(&self, uid: u64) -> Result<Vec<String>, ReadError> {
        match self.cached(uid) {
            Some(n) => Ok(n.types.clone()),
            None => self.inner.node_types(uid),
        }
    }
    fn scalars(&self, uid: u64, pred: &str) -> Result<Vec<Val>, ReadError> {
        match self.cached(uid) {
            Some(n) => Ok(n.values.get(pred).cloned().unwrap_or_default()),
            None => self.inner.scalars(uid, pred),
        }
    }
    fn edges(&self, uid: u64, pred: &str) -> Result<Vec<u64>, ReadError> {
        match self.cached(uid) {
            Some(n) => Ok(n.edges.get(pred).cloned().unwrap_or_default()),
            None => self.inner.edges(uid, pred),
        }
    }
    fn prefetch(&self, uid: u64) -> Result<(), ReadError> {
        if self.nodes.borrow().contains_key(&uid) || self.nodes.borrow().len() >= self.capacity {
            return Ok(());
        }
        if let Some(d) = self.inner.node_shared(uid)? {
            self.nodes.borrow_mut().insert(uid, d);
        }
        Ok(())
    }
    fn reverse_edges(&self, uid: u64, pred: &str) -> Result<Vec<u64>, ReadError> {
        self.inner.reverse_edges(uid, pred)
    }
    fn lookup_eq(&self, pred: &str, value: &Val) -> Result<Option<Vec<u64>>, ReadError> {
        self.inner.lookup_eq(pred, value)
    }
    fn loaded(&self, uid: u64) -> Option<Arc<NodeData>> {
        self.cached(uid)
    }
    fn type_count(&self, storage_type: &str) -> Result<Option<u64>, ReadError> {
        self.inner.type_count(storage_type)
    }
    fn type_uids_first(&self, storage_type: &str, n: usize) -> Result<Option<Vec<u64>>, ReadError> {
        self.inner.type_uids_first(storage_type, n)
    }
    fn node_all(&self, uid: u64) -> Result<Option<NodeData>, ReadError> {
        match self.cached(uid) {
            Some(n) => Ok(Some((*n).clone())),
            None => self.inner.node_all(uid),
        }
    }
    fn lookup(&self, pred: &str, q: IndexQuery<'_>) -> Result<Option<Vec<u64>>, ReadError> {
        self.inner.lookup(pred, q)
    }
    fn walk_ordered(
        &self,
        pred: &str,
        desc: bool,
        f: &mut dyn FnMut(&[u8], u64) -> bool,
    ) -> Result<bool, ReadError> {
        self.inner.walk_ordered(pred, desc, f)
    }
}
