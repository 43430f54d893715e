//! Bulk creation of new nodes ([`NewNodes`], written by [`crate::Store::bulk_write_blocking`]).
//!
//! An import creates many nodes at once, and none of them exists yet. Instead of adding each
//! value through the write transaction's overlay (a read and an ordered-map insert per key,
//! index maintenance per value), the bulk path works out the final entries of every new node
//! directly and hands their keys, section by section in key order, to the engine inside the
//! same transaction as the accompanying mutation. The stored result is exactly the one of
//! [`NewNodes::apply`], which adds the same facts through the ordinary [`WriteTxn`] calls.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use crate::error::{Result, StoreError};
use crate::graph::{GraphRead, WriteTxn};
use crate::keys::{self, TYPE_PREDICATE};
use crate::kv::PairSink;
use crate::schema::PredicateSchema;
use crate::value::{Entry, Value, ValueKind, encode_entry, encode_value};

/// What one fact sets on its node.
#[derive(Debug, Clone)]
enum Object {
    /// A type (the fact's `name` is a type id).
    Type,
    /// An edge to another new node (local id).
    Node(u32),
    /// A scalar value.
    Value(Value),
}

#[derive(Debug, Clone)]
struct Fact {
    node: u32,
    /// Predicate id, or type id for [`Object::Type`].
    name: u32,
    object: Object,
}

/// Nodes to create in one write, described by local ids (`0..count`) and facts (types,
/// values, edges among themselves), applied in the order they were added.
///
/// The written state is that of [`NewNodes::apply`]: `count` uids allocated in order, then
/// every fact added with [`WriteTxn::add_type`], [`WriteTxn::add_value`] or
/// [`WriteTxn::add_edge`] — so a non-list predicate keeps the last value given, list
/// predicates keep each distinct value once, and the checks and errors are the same.
#[derive(Debug, Default, Clone)]
pub struct NewNodes {
    count: u32,
    preds: Vec<String>,
    pred_ids: HashMap<String, u32>,
    types: Vec<String>,
    type_ids: HashMap<String, u32>,
    facts: Vec<Fact>,
}

fn intern(names: &mut Vec<String>, ids: &mut HashMap<String, u32>, name: &str) -> u32 {
    if let Some(&id) = ids.get(name) {
        return id;
    }
    let id = names.len() as u32;
    names.push(name.to_string());
    ids.insert(name.to_string(), id);
    id
}

impl NewNodes {
    /// No nodes yet.
    pub fn new() -> Self {
        NewNodes::default()
    }

    /// Adds a node and returns its local id (`0, 1, 2, …`); its uid is allocated in this
    /// order when written.
    pub fn add_node(&mut self) -> Result<u32> {
        let id = self.count;
        self.count = id
            .checked_add(1)
            .ok_or_else(|| StoreError::Aborted("too many new nodes in one write".into()))?;
        Ok(id)
    }

    /// Number of nodes added.
    pub fn node_count(&self) -> u32 {
        self.count
    }

    /// Number of facts added.
    pub fn fact_count(&self) -> usize {
        self.facts.len()
    }

    /// Gives node `node` the type `t`.
    pub fn add_type(&mut self, node: u32, t: &str) {
        let name = intern(&mut self.types, &mut self.type_ids, t);
        self.facts.push(Fact {
            node,
            name,
            object: Object::Type,
        });
    }

    /// Adds the value `v` to `pred` of node `node`.
    pub fn add_value(&mut self, node: u32, pred: &str, v: Value) {
        let name = intern(&mut self.preds, &mut self.pred_ids, pred);
        self.facts.push(Fact {
            node,
            name,
            object: Object::Value(v),
        });
    }

    /// Adds the edge `node -pred-> target` (both local ids).
    pub fn add_edge(&mut self, node: u32, pred: &str, target: u32) {
        let name = intern(&mut self.preds, &mut self.pred_ids, pred);
        self.facts.push(Fact {
            node,
            name,
            object: Object::Node(target),
        });
    }

    fn check_node(&self, node: u32) -> Result<()> {
        if node < self.count {
            Ok(())
        } else {
            Err(StoreError::Aborted(format!(
                "new node {node} was never added ({} new nodes)",
                self.count
            )))
        }
    }

    /// Checks that every fact names nodes that were added.
    fn check_nodes(&self) -> Result<()> {
        for f in &self.facts {
            self.check_node(f.node)?;
            if let Object::Node(t) = f.object {
                self.check_node(t)?;
            }
        }
        Ok(())
    }

    /// Writes the nodes through the ordinary calls of `txn`: allocates one uid per node, in
    /// order, then adds every fact in order. Returns the uids (consecutive).
    ///
    /// This is the reference for [`crate::Store::bulk_write_blocking`], which writes the
    /// same keys without going through the transaction's overlay.
    pub fn apply(self, txn: &mut WriteTxn<'_>) -> Result<Range<u64>> {
        self.check_nodes()?;
        let mut uids = Vec::with_capacity(self.count as usize);
        for _ in 0..self.count {
            uids.push(txn.alloc_uid()?);
        }
        for f in self.facts {
            let s = uids[f.node as usize];
            match f.object {
                Object::Type => txn.add_type(s, &self.types[f.name as usize])?,
                Object::Node(t) => {
                    txn.add_edge(s, &self.preds[f.name as usize], uids[t as usize])?;
                }
                Object::Value(v) => {
                    txn.add_value(s, &self.preds[f.name as usize], v)?;
                }
            }
        }
        Ok(match (uids.first(), uids.last()) {
            (Some(&a), Some(&b)) => a..b + 1,
            _ => {
                let next = txn.next_uid()?;
                next..next
            }
        })
    }
}

/// New nodes checked against the schema inside a write, with their uids allocated: ready
/// to be turned into keys.
pub(crate) struct Prepared {
    backend: u64,
    first: u64,
    nodes: NewNodes,
    /// Schema of each predicate id.
    schemas: Vec<Option<Arc<PredicateSchema>>>,
    /// Stored count of each type id before the write (after the accompanying mutation).
    counts: Vec<u64>,
}

impl Prepared {
    /// The uids of the new nodes.
    pub(crate) fn uids(&self) -> Range<u64> {
        self.first..self.first + u64::from(self.nodes.count)
    }
}

/// Checks every fact in order the way the ordinary calls would (the first failure is the
/// error they would give), allocates the uids in `txn` and reads the type counts the write
/// adds to.
pub(crate) fn prepare(txn: &mut WriteTxn<'_>, mut nodes: NewNodes) -> Result<Prepared> {
    nodes.check_nodes()?;
    let backend = txn.backend();
    let count = u64::from(nodes.count);
    let first = txn.next_uid()?;
    if count > 0 {
        let after = first
            .checked_add(count)
            .ok_or_else(|| StoreError::Corrupt("uid space exhausted".into()))?;
        txn.put_meta(keys::next_uid_key(backend), after.to_be_bytes().to_vec());
    }
    let mut schemas: Vec<Option<Option<Arc<PredicateSchema>>>> = vec![None; nodes.preds.len()];
    let mut type_ok = vec![false; nodes.types.len()];
    let NewNodes {
        preds,
        types,
        facts,
        ..
    } = &mut nodes;
    for f in facts.iter_mut() {
        let pred = match &f.object {
            Object::Type => {
                let i = f.name as usize;
                if !type_ok[i] {
                    keys::check_name(&types[i], true)?;
                    type_ok[i] = true;
                }
                continue;
            }
            _ => &preds[f.name as usize],
        };
        keys::check_name(pred, false)?;
        if pred == TYPE_PREDICATE {
            return Err(StoreError::InvalidPredicate(format!(
                "{pred} is written with add_type/remove_type"
            )));
        }
        let got = match &mut f.object {
            Object::Value(Value::Float(x)) if x.is_nan() => {
                return Err(StoreError::NaN(pred.clone()));
            }
            Object::Value(Value::Geo(g)) => {
                let valid =
                    std::mem::replace(g, crate::value::Geo::MultiPolygon(Vec::new())).validate()?;
                *g = valid;
                ValueKind::Geo
            }
            Object::Value(v) => v.kind(),
            Object::Node(_) | Object::Type => ValueKind::Uid,
        };
        let slot = &mut schemas[f.name as usize];
        if slot.is_none() {
            *slot = Some(txn.predicate_schema(pred)?.map(Arc::new));
        }
        if let Some(Some(s)) = slot
            && s.kind != got
        {
            return Err(StoreError::KindMismatch {
                predicate: pred.clone(),
                expected: s.kind.name(),
                got: got.name(),
            });
        }
    }
    let schemas = schemas.into_iter().map(Option::flatten).collect();
    let mut counts = vec![0; nodes.types.len()];
    for (i, t) in nodes.types.iter().enumerate() {
        if type_ok[i] {
            counts[i] = txn.type_count(t)?;
        }
    }
    Ok(Prepared {
        backend,
        first,
        nodes,
        schemas,
        counts,
    })
}

/// Ranks of names in byte order (the order of their keys).
fn ranks(names: &[&str]) -> Vec<u32> {
    let mut order: Vec<u32> = (0..names.len() as u32).collect();
    order.sort_unstable_by(|a, b| names[*a as usize].cmp(names[*b as usize]));
    let mut rank = vec![0; names.len()];
    for (r, i) in order.into_iter().enumerate() {
        rank[i as usize] = r as u32;
    }
    rank
}

/// One posting of a value index: its token followed by the node's uid, in `arena`.
struct Posting {
    pred: u32,
    kind: u8,
    start: usize,
    end: usize,
}

/// Hands every key of the new nodes to `sink`, section by section in key order (data,
/// reverse edges, type index, "has" index, value indexes), then the updated type counts.
pub(crate) fn emit(p: &Prepared, sink: &mut PairSink<'_>) -> Result<()> {
    let nodes = &p.nodes;
    let b = p.backend.to_be_bytes();
    let uid = |node: u32| p.first + u64::from(node);

    // Predicate names and `dgraph.type` share one ranking: data keys order them together.
    let mut names: Vec<&str> = nodes.preds.iter().map(String::as_str).collect();
    names.push(TYPE_PREDICATE);
    let name_rank = ranks(&names);
    let type_pred_rank = name_rank[nodes.preds.len()];
    let type_names: Vec<&str> = nodes.types.iter().map(String::as_str).collect();
    let type_rank = ranks(&type_names);
    let type_entries: Vec<Vec<u8>> = nodes
        .types
        .iter()
        .map(|t| {
            let mut e = Vec::new();
            encode_value(&mut e, &Value::String(t.clone()));
            e
        })
        .collect();
    let mut by_rank: Vec<&str> = vec![""; names.len()];
    for (i, n) in names.iter().enumerate() {
        by_rank[name_rank[i] as usize] = n;
    }
    let mut types_by_rank: Vec<u32> = vec![0; type_names.len()];
    for (i, r) in type_rank.iter().enumerate() {
        types_by_rank[*r as usize] = i as u32;
    }

    // The facts of each node, in the order they were added (a stable counting sort).
    let n = nodes.count as usize;
    let mut start = vec![0u32; n + 1];
    for f in &nodes.facts {
        start[f.node as usize + 1] += 1;
    }
    for i in 0..n {
        start[i + 1] += start[i];
    }
    let mut order = vec![0u32; nodes.facts.len()];
    {
        let mut next = start.clone();
        for (i, f) in nodes.facts.iter().enumerate() {
            let slot = &mut next[f.node as usize];
            order[*slot as usize] = i as u32;
            *slot += 1;
        }
    }

    let mut rev: Vec<(u32, u32, u32)> = Vec::new();
    let mut typed: Vec<(u32, u32)> = Vec::new();
    let mut has: Vec<(u32, u32)> = Vec::new();
    let mut postings: Vec<Posting> = Vec::new();
    let mut arena: Vec<u8> = Vec::new();
    let mut type_counts = vec![0u64; nodes.types.len()];

    let mut key: Vec<u8> = Vec::with_capacity(128);
    let mut items: Vec<(u32, u32)> = Vec::new();
    let mut enc: Vec<u8> = Vec::new();
    // Encoded entries of one predicate of one node: (fact, start, end) in `enc`.
    let mut cur: Vec<(u32, usize, usize)> = Vec::new();
    let mut type_ids: Vec<u32> = Vec::new();

    for node in 0..nodes.count {
        let facts = &order[start[node as usize] as usize..start[node as usize + 1] as usize];
        if facts.is_empty() {
            continue;
        }
        // (name rank, fact), stable: facts of one name stay in the order they were added.
        items.clear();
        items.extend(facts.iter().map(|&fi| {
            let f = &nodes.facts[fi as usize];
            let r = match f.object {
                Object::Type => type_pred_rank,
                _ => name_rank[f.name as usize],
            };
            (r, fi)
        }));
        items.sort_by_key(|x| x.0);
        key.clear();
        key.extend_from_slice(&b);
        key.push(keys::DATA);
        key.extend_from_slice(&uid(node).to_be_bytes());
        let node_prefix = key.len();
        let mut i = 0;
        while i < items.len() {
            let rank = items[i].0;
            let mut j = i;
            while j < items.len() && items[j].0 == rank {
                j += 1;
            }
            let run = &items[i..j];
            i = j;
            let name = by_rank[rank as usize];
            if rank == type_pred_rank {
                type_ids.clear();
                type_ids.extend(run.iter().map(|&(_, fi)| nodes.facts[fi as usize].name));
                type_ids.sort_unstable_by_key(|t| type_rank[*t as usize]);
                type_ids.dedup();
                for &t in &type_ids {
                    key.truncate(node_prefix);
                    push_name(&mut key, name);
                    key.extend_from_slice(&type_entries[t as usize]);
                    sink(&key, &[])?;
                    typed.push((type_rank[t as usize], node));
                    type_counts[t as usize] += 1;
                }
                continue;
            }
            let pred_id = nodes.facts[run[0].1 as usize].name;
            let schema = p.schemas[pred_id as usize].as_deref();
            let single = schema.is_some_and(|s| !s.list);
            // The entries that stay, as the ordinary calls would leave them.
            enc.clear();
            cur.clear();
            for &(_, fi) in run {
                let f = &nodes.facts[fi as usize];
                let s = enc.len();
                match &f.object {
                    Object::Node(t) => encode_entry(&mut enc, &Entry::Uid(uid(*t))),
                    Object::Value(v) => encode_value(&mut enc, v),
                    Object::Type => {}
                }
                let e = enc.len();
                if single {
                    // Replacement: every other entry goes (entries equal to the new one
                    // stay), then the new one is added unless its key is there.
                    cur.retain(|&(o, _, _)| same_entry(nodes, o, fi));
                }
                if !cur.iter().any(|&(_, s2, e2)| enc[s2..e2] == enc[s..e]) {
                    cur.push((fi, s, e));
                }
            }
            cur.sort_unstable_by(|x, y| enc[x.1..x.2].cmp(&enc[y.1..y.2]));
            for &(fi, s, e) in &cur {
                key.truncate(node_prefix);
                push_name(&mut key, name);
                key.extend_from_slice(&enc[s..e]);
                sink(&key, &[])?;
                match &nodes.facts[fi as usize].object {
                    Object::Node(t) => rev.push((*t, rank, node)),
                    Object::Value(v) => {
                        if let Some(s) = schema {
                            for kind in &s.indexes {
                                for t in keys::index_tokens(*kind, v) {
                                    let start = arena.len();
                                    arena.extend_from_slice(&t);
                                    arena.extend_from_slice(&uid(node).to_be_bytes());
                                    postings.push(Posting {
                                        pred: rank,
                                        kind: kind.byte(),
                                        start,
                                        end: arena.len(),
                                    });
                                }
                            }
                        }
                    }
                    Object::Type => {}
                }
            }
            if !cur.is_empty() {
                has.push((rank, node));
            }
        }
    }
    drop(order);
    drop(start);

    // Reverse edges: `B 02 <dst> <pred>\0 <src>`.
    rev.sort_unstable();
    rev.dedup();
    for &(dst, rank, src) in &rev {
        key.clear();
        key.extend_from_slice(&b);
        key.push(keys::REV);
        key.extend_from_slice(&uid(dst).to_be_bytes());
        push_name(&mut key, by_rank[rank as usize]);
        key.extend_from_slice(&uid(src).to_be_bytes());
        sink(&key, &[])?;
    }
    drop(rev);
    // Type index: `B 03 <type>\0 <uid>`.
    typed.sort_unstable();
    for &(rank, node) in &typed {
        key.clear();
        key.extend_from_slice(&b);
        key.push(keys::TYPE);
        push_name(
            &mut key,
            &nodes.types[types_by_rank[rank as usize] as usize],
        );
        key.extend_from_slice(&uid(node).to_be_bytes());
        sink(&key, &[])?;
    }
    drop(typed);
    // "Has" index: `B 04 <pred>\0 <uid>`.
    has.sort_unstable();
    for &(rank, node) in &has {
        key.clear();
        key.extend_from_slice(&b);
        key.push(keys::HAS);
        push_name(&mut key, by_rank[rank as usize]);
        key.extend_from_slice(&uid(node).to_be_bytes());
        sink(&key, &[])?;
    }
    drop(has);
    // Value indexes: `B 05 <pred>\0 <kind> <token> <uid>`.
    postings.sort_unstable_by(|x, y| {
        (x.pred, x.kind)
            .cmp(&(y.pred, y.kind))
            .then_with(|| arena[x.start..x.end].cmp(&arena[y.start..y.end]))
    });
    let mut last: Option<&Posting> = None;
    for ps in &postings {
        if let Some(l) = last
            && (l.pred, l.kind) == (ps.pred, ps.kind)
            && arena[l.start..l.end] == arena[ps.start..ps.end]
        {
            continue;
        }
        last = Some(ps);
        key.clear();
        key.extend_from_slice(&b);
        key.push(keys::INDEX);
        push_name(&mut key, by_rank[ps.pred as usize]);
        key.push(ps.kind);
        key.extend_from_slice(&arena[ps.start..ps.end]);
        sink(&key, &[])?;
    }
    // Type counts: `B 00 03 <type>\0`, the stored count plus the nodes that got the type.
    for (t, added) in type_counts.iter().enumerate() {
        if *added > 0 {
            let k = keys::type_count_key(p.backend, &nodes.types[t]);
            sink(&k, &(p.counts[t] + added).to_be_bytes())?;
        }
    }
    Ok(())
}

fn push_name(k: &mut Vec<u8>, name: &str) {
    k.extend_from_slice(name.as_bytes());
    k.push(0);
}

/// Whether two facts of one predicate carry equal entries (the replacement rule keeps the
/// entries equal to the new one).
fn same_entry(nodes: &NewNodes, a: u32, b: u32) -> bool {
    match (
        &nodes.facts[a as usize].object,
        &nodes.facts[b as usize].object,
    ) {
        (Object::Node(x), Object::Node(y)) => x == y,
        (Object::Value(x), Object::Value(y)) => x == y,
        _ => false,
    }
}
