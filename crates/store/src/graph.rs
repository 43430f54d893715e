//! The graph layer: nodes, typed values, edges with reverse edges, and index maintenance,
//! written once over the [`KvRead`] view of any engine.

use std::collections::{BTreeSet, HashMap};
use std::ops::Bound;

use roaring::RoaringTreemap;

use crate::error::{Result, StoreError};
use crate::geo_index;
use crate::keys::{self, TYPE_PREDICATE};
use crate::kv::{KvRead, KvSnapshot, Layered, Overlay, prefix_bounds, prefix_end};
use crate::node_cache::{CachedNode, NodeCache};
use crate::schema::{IndexKind, PredicateSchema};
use crate::tokenize;
use crate::value::{Entry, Geo, GeoPoint, Value, ValueKind};

/// A geo filter (Dgraph's `near`, `within`, `contains`, `intersects`).
#[derive(Debug, Clone, PartialEq)]
pub enum GeoQuery {
    /// Values within `metres` of `point`.
    Near {
        /// Centre.
        point: GeoPoint,
        /// Distance in metres.
        metres: f64,
    },
    /// Values lying inside the polygon or multipolygon.
    Within(Geo),
    /// Polygon values containing the point or polygon.
    Contains(Geo),
    /// Values intersecting the polygon or multipolygon.
    Intersects(Geo),
}

impl GeoQuery {
    /// Exact test of one stored geometry.
    pub fn matches(&self, g: &Geo) -> bool {
        match self {
            GeoQuery::Near { point, metres } => geo_index::near(g, *point, *metres),
            GeoQuery::Within(area) => geo_index::within(g, area),
            GeoQuery::Contains(inner) => {
                !matches!(g, Geo::Point(_)) && geo_index::contains(g, inner)
            }
            GeoQuery::Intersects(other) => geo_index::intersects(g, other),
        }
    }

    fn boxes(&self) -> Result<Vec<geo_index::BBox>> {
        let bbox = |g: &Geo| {
            let g = g.clone().validate()?;
            geo_index::bbox(&g)
                .map(|b| vec![b])
                .ok_or_else(|| StoreError::InvalidGeometry("empty geometry".into()))
        };
        match self {
            GeoQuery::Near { point, metres } => {
                Geo::Point(*point).validate()?;
                if !(metres.is_finite() && *metres >= 0.0) {
                    return Err(StoreError::InvalidGeometry(format!(
                        "invalid distance {metres}"
                    )));
                }
                Ok(geo_index::near_boxes(*point, *metres))
            }
            GeoQuery::Within(g) | GeoQuery::Contains(g) | GeoQuery::Intersects(g) => bbox(g),
        }
    }
}

/// Uids at the end of every key in the range; with `exact_len`, only keys of that length.
fn collect_uids(
    kv: &dyn KvRead,
    start: Bound<Vec<u8>>,
    end: Bound<Vec<u8>>,
    exact_len: Option<usize>,
) -> Result<RoaringTreemap> {
    let mut set = RoaringTreemap::new();
    let mut bad = false;
    kv.visit_keys(start, end, false, &mut |k| {
        if exact_len.is_some_and(|n| n != k.len()) {
            return true;
        }
        match keys::trailing_uid(k) {
            Ok(u) => {
                set.insert(u);
                true
            }
            Err(_) => {
                bad = true;
                false
            }
        }
    })?;
    if bad {
        return Err(StoreError::Corrupt("key too short for uid".into()));
    }
    Ok(set)
}

/// Read operations on one backend's graph; implemented by [`Snapshot`] and [`WriteTxn`]
/// (which sees its own writes).
pub trait GraphRead {
    /// The key-value view reads go to.
    fn kv(&self) -> &dyn KvRead;
    /// The backend this view is bound to.
    fn backend(&self) -> u64;

    /// What a reader built from node `uid`'s data keys and kept with [`GraphRead::keep_node`],
    /// if it is still what this view holds (see the store's node cache). Views that see
    /// uncommitted writes never have one.
    fn cached_node(&self, _uid: u64) -> Option<CachedNode> {
        None
    }

    /// Offers what a reader built from node `uid`'s data keys, as read through this view
    /// (`cost`: its approximate size in bytes), to later readers.
    fn keep_node(&self, _uid: u64, _node: CachedNode, _cost: usize) {}

    /// Schema of every predicate that has one, ordered by name.
    fn schema(&self) -> Result<Vec<PredicateSchema>> {
        let b = self.backend();
        let (s, e) = prefix_bounds(&keys::schema_prefix(b));
        let mut out = Vec::new();
        for item in self.kv().scan(s, e, false)? {
            let (k, v) = item?;
            let name = keys::schema_key_name(b, &k)?;
            out.push(PredicateSchema::decode(&name, &v)?);
        }
        Ok(out)
    }

    /// Schema of one predicate.
    fn predicate_schema(&self, pred: &str) -> Result<Option<PredicateSchema>> {
        keys::check_name(pred, false)?;
        self.kv()
            .get(&keys::schema_key(self.backend(), pred))?
            .map(|v| PredicateSchema::decode(pred, &v))
            .transpose()
    }

    /// Highest uid allocated so far (0 when none).
    fn max_uid(&self) -> Result<u64> {
        Ok(read_next_uid(self.kv(), self.backend())?.saturating_sub(1))
    }

    /// Every entry of a node, ordered by predicate name then value encoding.
    fn node(&self, uid: u64) -> Result<Vec<(String, Entry)>> {
        let prefix = keys::node_prefix(self.backend(), uid);
        let (s, e) = prefix_bounds(&prefix);
        let mut out = Vec::new();
        for item in self.kv().scan(s, e, false)? {
            let (k, _) = item?;
            out.push(keys::split_data_suffix(&k[prefix.len()..])?);
        }
        Ok(out)
    }

    /// Every entry of a node in key order (predicate name, then value encoding), handed to
    /// `f` with the name borrowed from the key: no key is copied.
    fn visit_node(&self, uid: u64, f: &mut dyn FnMut(&str, Entry)) -> Result<()> {
        let prefix = keys::node_prefix(self.backend(), uid);
        let (s, e) = prefix_bounds(&prefix);
        let mut failed = None;
        self.kv()
            .visit_keys(
                s,
                e,
                false,
                &mut |k| match keys::split_data_suffix_ref(&k[prefix.len()..]) {
                    Ok((name, entry)) => {
                        f(name, entry);
                        true
                    }
                    Err(err) => {
                        failed = Some(err);
                        false
                    }
                },
            )?;
        failed.map_or(Ok(()), Err)
    }

    /// Entries (values or edges) of one predicate of a node.
    fn entries(&self, uid: u64, pred: &str) -> Result<Vec<Entry>> {
        keys::check_name(pred, false)?;
        let prefix = keys::data_pred_prefix(self.backend(), uid, pred);
        let (s, e) = prefix_bounds(&prefix);
        let mut out = Vec::new();
        for item in self.kv().scan(s, e, false)? {
            let (k, _) = item?;
            out.push(crate::value::decode_entry(&k[prefix.len()..])?.0);
        }
        Ok(out)
    }

    /// Scalar values of a predicate of a node (in encoding order: numbers ascending).
    fn values(&self, uid: u64, pred: &str) -> Result<Vec<Value>> {
        Ok(self
            .entries(uid, pred)?
            .into_iter()
            .filter_map(|e| match e {
                Entry::Value(v) => Some(v),
                Entry::Uid(_) => None,
            })
            .collect())
    }

    /// The first value of a predicate of a node.
    fn value(&self, uid: u64, pred: &str) -> Result<Option<Value>> {
        Ok(self.values(uid, pred)?.into_iter().next())
    }

    /// Targets of a node's edges under `pred`, ascending.
    fn edges(&self, uid: u64, pred: &str) -> Result<Vec<u64>> {
        Ok(self
            .entries(uid, pred)?
            .into_iter()
            .filter_map(|e| match e {
                Entry::Uid(u) => Some(u),
                Entry::Value(_) => None,
            })
            .collect())
    }

    /// Sources of edges `src -pred-> uid` (the `~pred` walk), ascending.
    fn reverse_edges(&self, uid: u64, pred: &str) -> Result<Vec<u64>> {
        keys::check_name(pred, false)?;
        let prefix = keys::rev_prefix(self.backend(), uid, pred);
        let (s, e) = prefix_bounds(&prefix);
        self.kv()
            .scan(s, e, false)?
            .map(|item| keys::trailing_uid(&item?.0))
            .collect()
    }

    /// Types (`dgraph.type` values) of a node; empty when the node does not exist.
    fn types(&self, uid: u64) -> Result<Vec<String>> {
        Ok(self
            .values(uid, TYPE_PREDICATE)?
            .into_iter()
            .filter_map(|v| match v {
                Value::String(s) => Some(s),
                _ => None,
            })
            .collect())
    }

    /// Whether node `uid` has type `t`.
    fn has_type(&self, uid: u64, t: &str) -> Result<bool> {
        keys::check_name(t, true)?;
        Ok(self
            .kv()
            .get(&keys::type_key(self.backend(), t, uid))?
            .is_some())
    }

    /// Uids of all nodes of type `t` (type index).
    fn uids_of_type(&self, t: &str) -> Result<RoaringTreemap> {
        keys::check_name(t, true)?;
        let (s, e) = prefix_bounds(&keys::type_prefix(self.backend(), t));
        collect_uids(self.kv(), s, e, None)
    }

    /// Number of nodes of type `t` (a counter kept with the type index; O(1)).
    fn type_count(&self, t: &str) -> Result<u64> {
        keys::check_name(t, true)?;
        read_u64(self.kv(), &keys::type_count_key(self.backend(), t))
    }

    /// Up to `limit` uids of type `t` in ascending order, starting at `from` (inclusive): a
    /// page of the type index without reading all of it.
    fn uids_of_type_from(&self, t: &str, from: u64, limit: usize) -> Result<Vec<u64>> {
        keys::check_name(t, true)?;
        let prefix = keys::type_prefix(self.backend(), t);
        let end = match prefix_end(&prefix) {
            Some(e) => Bound::Excluded(e),
            None => Bound::Unbounded,
        };
        self.kv()
            .scan(
                Bound::Included(keys::type_key(self.backend(), t, from)),
                end,
                false,
            )?
            .take(limit)
            .map(|item| keys::trailing_uid(&item?.0))
            .collect()
    }

    /// Uids of all nodes having at least one value or edge for `pred` ("has" index).
    /// Types are not in this index: use [`GraphRead::uids_of_type`].
    fn uids_with(&self, pred: &str) -> Result<RoaringTreemap> {
        keys::check_name(pred, false)?;
        let (s, e) = prefix_bounds(&keys::has_prefix(self.backend(), pred));
        collect_uids(self.kv(), s, e, None)
    }

    /// Whether node `uid` has at least one value or edge for `pred`.
    fn has(&self, uid: u64, pred: &str) -> Result<bool> {
        keys::check_name(pred, false)?;
        Ok(self
            .kv()
            .get(&keys::has_key(self.backend(), pred, uid))?
            .is_some())
    }

    /// Nodes whose `pred` has a value equal to `v` (any element for lists). Uses the hash,
    /// exact, int, float, bool or datetime index; results are exact.
    fn index_eq(&self, pred: &str, v: &Value) -> Result<RoaringTreemap> {
        let schema = require_schema(self, pred)?;
        let has = |k: IndexKind| schema.indexes.contains(&k);
        let (kind, verify) = match v {
            Value::String(_) if has(IndexKind::Exact) => (IndexKind::Exact, false),
            Value::String(_) if has(IndexKind::Hash) => (IndexKind::Hash, true),
            Value::Int(_) if has(IndexKind::Int) => (IndexKind::Int, false),
            Value::Float(_) if has(IndexKind::Float) => (IndexKind::Float, false),
            Value::Bool(_) if has(IndexKind::Bool) => (IndexKind::Bool, false),
            Value::DateTime(_) => (datetime_index(&schema)?, true),
            _ => return Err(missing(pred, eq_index_name(v))),
        };
        let mut out = RoaringTreemap::new();
        for t in keys::index_tokens(kind, v) {
            out |= postings(self, pred, kind, &t)?;
        }
        if verify {
            out = filter_uids(self, &out, pred, |x| match (x, v) {
                (Value::DateTime(a), Value::DateTime(b)) => a.instant() == b.instant(),
                _ => x == v,
            })?;
        }
        Ok(out)
    }

    /// Nodes with a `pred` value in the range (int, float, exact string or datetime index).
    fn index_range(
        &self,
        pred: &str,
        lower: Bound<&Value>,
        upper: Bound<&Value>,
    ) -> Result<RoaringTreemap> {
        let schema = require_schema(self, pred)?;
        let sample = match (&lower, &upper) {
            (Bound::Included(v) | Bound::Excluded(v), _) => *v,
            (_, Bound::Included(v) | Bound::Excluded(v)) => *v,
            _ => return self.uids_with(pred),
        };
        let kind = match sample {
            Value::Int(_) => IndexKind::Int,
            Value::Float(_) => IndexKind::Float,
            Value::String(_) => IndexKind::Exact,
            Value::DateTime(_) => datetime_index(&schema)?,
            _ => return Err(missing(pred, "exact")),
        };
        if !schema.indexes.contains(&kind) {
            return Err(missing(pred, kind.name()));
        }
        for b in [&lower, &upper] {
            if let Bound::Included(v) | Bound::Excluded(v) = b
                && v.kind() != sample.kind()
            {
                return Err(StoreError::KindMismatch {
                    predicate: pred.to_string(),
                    expected: sample.kind().name(),
                    got: v.kind().name(),
                });
            }
        }
        let prefix = keys::index_prefix(self.backend(), pred, kind);
        let tok = |v: &Value| {
            keys::index_tokens(kind, v)
                .into_iter()
                .next()
                .unwrap_or_default()
        };
        let is_dt = matches!(sample, Value::DateTime(_));
        // Datetime buckets: scan whole buckets, verify below. Exact tokens are terminated, so
        // an Excluded lower bound must skip every posting of that token.
        let start = match &lower {
            Bound::Unbounded => Bound::Included(prefix.clone()),
            Bound::Included(v) => Bound::Included([prefix.as_slice(), &tok(v)].concat()),
            Bound::Excluded(v) if is_dt => Bound::Included([prefix.as_slice(), &tok(v)].concat()),
            Bound::Excluded(v) => match prefix_end(&[prefix.as_slice(), &tok(v)].concat()) {
                Some(k) => Bound::Included(k),
                None => return Ok(RoaringTreemap::new()),
            },
        };
        let end = match &upper {
            Bound::Unbounded => match prefix_end(&prefix) {
                Some(k) => Bound::Excluded(k),
                None => Bound::Unbounded,
            },
            Bound::Excluded(v) if !is_dt => Bound::Excluded([prefix.as_slice(), &tok(v)].concat()),
            Bound::Included(v) | Bound::Excluded(v) => {
                match prefix_end(&[prefix.as_slice(), &tok(v)].concat()) {
                    Some(k) => Bound::Excluded(k),
                    None => Bound::Unbounded,
                }
            }
        };
        let set = collect_uids(self.kv(), start, end, None)?;
        if !is_dt {
            return Ok(set);
        }
        let in_range = |x: &Value| {
            let (Value::DateTime(d), _) = (x, ()) else {
                return false;
            };
            let d = d.instant();
            let lo = match &lower {
                Bound::Included(Value::DateTime(l)) => d >= l.instant(),
                Bound::Excluded(Value::DateTime(l)) => d > l.instant(),
                _ => true,
            };
            let hi = match &upper {
                Bound::Included(Value::DateTime(u)) => d <= u.instant(),
                Bound::Excluded(Value::DateTime(u)) => d < u.instant(),
                _ => true,
            };
            lo && hi
        };
        filter_uids(self, &set, pred, in_range)
    }

    /// Uids with a value of `pred`, in value order (ascending or descending), each uid once
    /// at its first position. Needs an int, float, exact or datetime index (datetime buckets
    /// are ordered by the exact instants inside each bucket). Nodes without a value are not
    /// listed.
    fn ordered_uids(&self, pred: &str, desc: bool) -> Result<Vec<u64>> {
        let schema = require_schema(self, pred)?;
        let kind = [IndexKind::Int, IndexKind::Float, IndexKind::Exact]
            .into_iter()
            .find(|k| schema.indexes.contains(k));
        let (kind, bucketed) = match kind {
            Some(k) => (k, false),
            None => (
                datetime_index(&schema).map_err(|_| missing(pred, "exact"))?,
                true,
            ),
        };
        let prefix = keys::index_prefix(self.backend(), pred, kind);
        let (s, e) = prefix_bounds(&prefix);
        let mut seen = RoaringTreemap::new();
        let mut out = Vec::new();
        // For bucketed indexes: the current bucket's (instant, uid) pairs.
        let mut bucket: Vec<((i64, u32), u64)> = Vec::new();
        let mut bucket_token: Vec<u8> = Vec::new();
        let flush = |bucket: &mut Vec<((i64, u32), u64)>, out: &mut Vec<u64>| {
            bucket.sort();
            if desc {
                bucket.reverse();
            }
            out.extend(bucket.drain(..).map(|(_, u)| u));
        };
        for item in self.kv().scan(s, e, desc)? {
            let (k, _) = item?;
            let uid = keys::trailing_uid(&k)?;
            if !bucketed {
                if seen.insert(uid) {
                    out.push(uid);
                }
                continue;
            }
            let token = k
                .get(prefix.len()..k.len().saturating_sub(8))
                .ok_or_else(|| StoreError::Corrupt("short index key".into()))?;
            if token != bucket_token.as_slice() {
                flush(&mut bucket, &mut out);
                bucket_token = token.to_vec();
            }
            if seen.insert(uid) {
                let instants = self.values(uid, pred)?.into_iter().filter_map(|v| match v {
                    Value::DateTime(d) => Some(d.instant()),
                    _ => None,
                });
                let key = if desc { instants.max() } else { instants.min() };
                if let Some(key) = key {
                    bucket.push((key, uid));
                }
            }
        }
        flush(&mut bucket, &mut out);
        Ok(out)
    }

    /// Walks the uids having a value of `pred` in value order (ascending, or descending with
    /// `desc`), calling `f(token, uid)` until it returns `false`. Uids with equal values share
    /// the same `token` and come one after another (ascending uid order, reversed with `desc`).
    /// Reads only as far as `f` consumes, so "the first k matches in value order" costs k
    /// postings, not the whole index. Needs an int, float or exact index.
    fn walk_ordered(
        &self,
        pred: &str,
        desc: bool,
        f: &mut dyn FnMut(&[u8], u64) -> bool,
    ) -> Result<()> {
        let schema = require_schema(self, pred)?;
        let kind = [IndexKind::Int, IndexKind::Float, IndexKind::Exact]
            .into_iter()
            .find(|k| schema.indexes.contains(k))
            .ok_or_else(|| missing(pred, "exact"))?;
        let prefix = keys::index_prefix(self.backend(), pred, kind);
        let (s, e) = prefix_bounds(&prefix);
        let mut corrupt = None;
        self.kv().visit_keys(s, e, desc, &mut |k| {
            let token = k.get(prefix.len()..k.len().saturating_sub(8));
            match (token, keys::trailing_uid(k)) {
                (Some(token), Ok(uid)) => f(token, uid),
                _ => {
                    corrupt = Some(StoreError::Corrupt("short index key".into()));
                    false
                }
            }
        })?;
        corrupt.map_or(Ok(()), Err)
    }

    /// `allofterms` (`all = true`) / `anyofterms` over the term index.
    fn index_terms(&self, pred: &str, text: &str, all: bool) -> Result<RoaringTreemap> {
        let tokens = tokenize::term_tokens(text);
        token_query(self, pred, IndexKind::Term, &tokens, all)
    }

    /// `alloftext` (`all = true`) / `anyoftext` over the fulltext index.
    fn index_fulltext(&self, pred: &str, text: &str, all: bool) -> Result<RoaringTreemap> {
        let tokens = tokenize::fulltext_tokens(text);
        token_query(self, pred, IndexKind::Fulltext, &tokens, all)
    }

    /// `ngram` over the ngram index: the nodes having a value whose analysed words contain
    /// those of `text` as one contiguous run (exact: candidates from the query's longest runs
    /// are checked against the stored strings). A query without words matches nothing.
    fn index_ngram(&self, pred: &str, text: &str) -> Result<RoaringTreemap> {
        let schema = require_schema(self, pred)?;
        if !schema.indexes.contains(&IndexKind::Ngram) {
            return Err(missing(pred, "ngram"));
        }
        let tokens = tokenize::ngram_query_tokens(text);
        if tokens.is_empty() {
            return Ok(RoaringTreemap::new());
        }
        let candidates = token_query(self, pred, IndexKind::Ngram, &tokens, true)?;
        let words = tokenize::analyzed_words(text);
        if words.len() <= tokenize::NGRAM_MAX {
            // The one token is the whole query run: its postings are the answer.
            return Ok(candidates);
        }
        filter_uids(
            self,
            &candidates,
            pred,
            |v| matches!(v, Value::String(s) if tokenize::ngram_matches(s, &words)),
        )
    }

    /// `regexp` over the trigram index: candidates from the pattern's required trigrams,
    /// then verified against the stored strings. Refuses patterns without a literal of three
    /// or more characters ([`crate::RegexIndexError::TooWide`]).
    fn index_regexp(
        &self,
        pred: &str,
        pattern: &str,
        case_insensitive: bool,
    ) -> Result<RoaringTreemap> {
        let schema = require_schema(self, pred)?;
        if !schema.indexes.contains(&IndexKind::Trigram) {
            return Err(missing(pred, "trigram"));
        }
        let query = tokenize::regex_trigram_query(pattern, case_insensitive)?;
        let re = tokenize::compile_regex(pattern, case_insensitive)?;
        let candidates = eval_trigram(self, pred, &query)?;
        filter_uids(
            self,
            &candidates,
            pred,
            |v| matches!(v, Value::String(s) if re.is_match(s)),
        )
    }

    /// A geo filter over the geo index, verified with exact predicates.
    fn index_geo(&self, pred: &str, query: &GeoQuery) -> Result<RoaringTreemap> {
        let schema = require_schema(self, pred)?;
        if !schema.indexes.contains(&IndexKind::Geo) {
            return Err(missing(pred, "geo"));
        }
        let mut candidates = RoaringTreemap::new();
        for (cover, cell) in geo_index::query_cells(&query.boxes()?) {
            candidates |= postings(self, pred, IndexKind::Geo, &keys::geo_token(cover, cell))?;
        }
        filter_uids(
            self,
            &candidates,
            pred,
            |v| matches!(v, Value::Geo(g) if query.matches(g)),
        )
    }
}

/// Postings of one (encoded) token of an index.
pub(crate) fn postings<G: GraphRead + ?Sized>(
    g: &G,
    pred: &str,
    kind: IndexKind,
    token: &[u8],
) -> Result<RoaringTreemap> {
    keys::check_name(pred, false)?;
    let mut prefix = keys::index_prefix(g.backend(), pred, kind);
    prefix.extend_from_slice(token);
    let (s, e) = prefix_bounds(&prefix);
    // Fixed-width tokens and terminated tokens both end exactly before the uid.
    collect_uids(g.kv(), s, e, Some(prefix.len() + 8))
}

fn missing(pred: &str, index: &'static str) -> StoreError {
    StoreError::MissingIndex {
        predicate: pred.to_string(),
        index,
    }
}

fn eq_index_name(v: &Value) -> &'static str {
    match v {
        Value::Int(_) => "int",
        Value::Float(_) => "float",
        Value::Bool(_) => "bool",
        Value::Geo(_) => "geo",
        _ => "hash",
    }
}

fn datetime_index(schema: &PredicateSchema) -> Result<IndexKind> {
    [
        IndexKind::Hour,
        IndexKind::Day,
        IndexKind::Month,
        IndexKind::Year,
    ]
    .into_iter()
    .find(|k| schema.indexes.contains(k))
    .ok_or_else(|| missing(&schema.name, "year"))
}

fn require_schema<G: GraphRead + ?Sized>(g: &G, pred: &str) -> Result<PredicateSchema> {
    g.predicate_schema(pred)?
        .ok_or_else(|| missing(pred, "any"))
}

fn filter_uids<G: GraphRead + ?Sized>(
    g: &G,
    set: &RoaringTreemap,
    pred: &str,
    keep: impl Fn(&Value) -> bool,
) -> Result<RoaringTreemap> {
    let mut out = RoaringTreemap::new();
    for uid in set.iter() {
        if g.values(uid, pred)?.iter().any(&keep) {
            out.insert(uid);
        }
    }
    Ok(out)
}

fn token_query<G: GraphRead + ?Sized>(
    g: &G,
    pred: &str,
    kind: IndexKind,
    tokens: &[String],
    all: bool,
) -> Result<RoaringTreemap> {
    let schema = require_schema(g, pred)?;
    if !schema.indexes.contains(&kind) {
        return Err(missing(pred, kind.name()));
    }
    if !all {
        let mut acc = RoaringTreemap::new();
        for t in tokens {
            acc |= postings(g, pred, kind, &keys::text_token(t))?;
        }
        return Ok(acc);
    }
    // Conjunction: read each token's postings up to a limit. Tokens whose postings are all
    // read give small exact sets to intersect; the remaining (large) tokens are then checked
    // per candidate with point reads instead of scanning them whole.
    const LIMIT: usize = 4096;
    let prefix = keys::index_prefix(g.backend(), pred, kind);
    let mut small: Option<RoaringTreemap> = None;
    let mut large: Vec<Vec<u8>> = Vec::new();
    for t in tokens {
        let token = keys::text_token(t);
        let mut tp = prefix.clone();
        tp.extend_from_slice(&token);
        let (s, e) = prefix_bounds(&tp);
        let mut set = RoaringTreemap::new();
        let mut complete = true;
        for (n, item) in g.kv().scan(s, e, false)?.enumerate() {
            if n >= LIMIT {
                complete = false;
                break;
            }
            let (k, _) = item?;
            if k.len() == tp.len() + 8 {
                set.insert(keys::trailing_uid(&k)?);
            }
        }
        if complete {
            small = Some(match small {
                None => set,
                Some(a) => a & set,
            });
            if small.as_ref().is_some_and(|a| a.is_empty()) {
                return Ok(RoaringTreemap::new());
            }
        } else {
            large.push(token);
        }
    }
    let Some(mut acc) = small else {
        let mut acc: Option<RoaringTreemap> = None;
        for token in &large {
            let set = postings(g, pred, kind, token)?;
            acc = Some(match acc {
                None => set,
                Some(a) => a & set,
            });
        }
        return Ok(acc.unwrap_or_default());
    };
    for token in &large {
        let mut keep = RoaringTreemap::new();
        for uid in acc.iter() {
            if g.kv()
                .get(&keys::posting_key(&prefix, token, uid))?
                .is_some()
            {
                keep.insert(uid);
            }
        }
        acc = keep;
    }
    Ok(acc)
}

fn eval_trigram<G: GraphRead + ?Sized>(
    g: &G,
    pred: &str,
    q: &tokenize::TrigramQuery,
) -> Result<RoaringTreemap> {
    use tokenize::TrigramQuery as Q;
    Ok(match q {
        Q::All => g.uids_with(pred)?,
        Q::Trigram(t) => postings(g, pred, IndexKind::Trigram, &keys::text_token(t))?,
        Q::And(items) => {
            let mut acc: Option<RoaringTreemap> = None;
            for i in items {
                let s = eval_trigram(g, pred, i)?;
                acc = Some(match acc {
                    None => s,
                    Some(a) => a & s,
                });
                if acc.as_ref().is_some_and(|a| a.is_empty()) {
                    break;
                }
            }
            acc.unwrap_or_default()
        }
        Q::Or(items) => {
            let mut acc = RoaringTreemap::new();
            for i in items {
                acc |= eval_trigram(g, pred, i)?;
            }
            acc
        }
    })
}

fn read_u64(kv: &dyn KvRead, key: &[u8]) -> Result<u64> {
    match kv.get(key)? {
        None => Ok(0),
        Some(v) => Ok(u64::from_be_bytes(
            v.as_slice()
                .try_into()
                .map_err(|_| StoreError::Corrupt("counter".into()))?,
        )),
    }
}

fn read_next_uid(kv: &dyn KvRead, backend: u64) -> Result<u64> {
    match kv.get(&keys::next_uid_key(backend))? {
        None => Ok(1),
        Some(v) => Ok(u64::from_be_bytes(
            v.as_slice()
                .try_into()
                .map_err(|_| StoreError::Corrupt("uid counter".into()))?,
        )),
    }
}

/// A consistent, read-only view of one backend's graph at one point in time.
pub struct Snapshot {
    backend: u64,
    kv: Box<dyn KvSnapshot>,
    /// The store's node cache and the number of the last commit this view holds.
    nodes: Option<(std::sync::Arc<NodeCache>, u64)>,
}

impl Snapshot {
    pub(crate) fn new(
        backend: u64,
        kv: Box<dyn KvSnapshot>,
        nodes: Option<(std::sync::Arc<NodeCache>, u64)>,
    ) -> Self {
        Snapshot { backend, kv, nodes }
    }

    /// The same point in time, viewed as another backend.
    pub fn for_backend(self, backend: u64) -> Snapshot {
        Snapshot {
            backend,
            kv: self.kv,
            nodes: self.nodes,
        }
    }
}

impl GraphRead for Snapshot {
    fn kv(&self) -> &dyn KvRead {
        &*self.kv
    }
    fn backend(&self) -> u64 {
        self.backend
    }
    fn cached_node(&self, uid: u64) -> Option<CachedNode> {
        let (cache, version) = self.nodes.as_ref()?;
        cache.get(self.backend, uid, *version)
    }
    fn keep_node(&self, uid: u64, node: CachedNode, cost: usize) {
        if let Some((cache, version)) = &self.nodes {
            cache.insert(self.backend, uid, *version, node, cost);
        }
    }
}

/// One mutation's write transaction. Reads see its own writes; when the closure that received
/// it returns an error, nothing of it is applied.
pub struct WriteTxn<'a> {
    backend: u64,
    view: Layered<'a, Overlay>,
    schema_cache: HashMap<String, Option<std::sync::Arc<PredicateSchema>>>,
}

impl GraphRead for WriteTxn<'_> {
    fn kv(&self) -> &dyn KvRead {
        &self.view
    }
    fn backend(&self) -> u64 {
        self.backend
    }
}

fn kind_of_entry(e: &Entry) -> ValueKind {
    match e {
        Entry::Uid(_) => ValueKind::Uid,
        Entry::Value(v) => v.kind(),
    }
}

impl<'a> WriteTxn<'a> {
    pub(crate) fn new(backend: u64, base: &'a dyn KvRead) -> Self {
        WriteTxn {
            backend,
            view: Layered {
                upper: Overlay::default(),
                lower: base,
            },
            schema_cache: HashMap::new(),
        }
    }

    pub(crate) fn into_overlay(self) -> Overlay {
        self.view.upper
    }

    fn put(&mut self, k: Vec<u8>) {
        self.view.upper.put(k, Vec::new());
    }

    fn del(&mut self, k: Vec<u8>) {
        self.view.upper.delete(k);
    }

    fn cached_schema(&mut self, pred: &str) -> Result<Option<std::sync::Arc<PredicateSchema>>> {
        if let Some(s) = self.schema_cache.get(pred) {
            return Ok(s.clone());
        }
        let s = self.predicate_schema(pred)?.map(std::sync::Arc::new);
        self.schema_cache.insert(pred.to_string(), s.clone());
        Ok(s)
    }

    /// The uid [`WriteTxn::alloc_uid`] would return next.
    pub(crate) fn next_uid(&self) -> Result<u64> {
        read_next_uid(&self.view, self.backend)
    }

    /// Puts a meta record (uid counter, type count) as it is.
    pub(crate) fn put_meta(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.view.upper.put(key, value);
    }

    /// Allocates a fresh uid in this backend (never reused, starts at 1).
    pub fn alloc_uid(&mut self) -> Result<u64> {
        let next = read_next_uid(&self.view, self.backend)?;
        let after = next
            .checked_add(1)
            .ok_or_else(|| StoreError::Corrupt("uid space exhausted".into()))?;
        self.view.upper.put(
            keys::next_uid_key(self.backend),
            after.to_be_bytes().to_vec(),
        );
        Ok(next)
    }

    /// Makes sure `uid` is never returned by [`WriteTxn::alloc_uid`] (for imports with
    /// explicit uids): moves the allocator past `uid` when needed.
    pub fn reserve_uid(&mut self, uid: u64) -> Result<()> {
        let next = read_next_uid(&self.view, self.backend)?;
        if uid >= next {
            let after = uid
                .checked_add(1)
                .ok_or_else(|| StoreError::Corrupt("uid space exhausted".into()))?;
            self.view.upper.put(
                keys::next_uid_key(self.backend),
                after.to_be_bytes().to_vec(),
            );
        }
        Ok(())
    }

    /// Adds type `t` to node `uid` (idempotent). A node exists while it has a type.
    pub fn add_type(&mut self, uid: u64, t: &str) -> Result<()> {
        keys::check_name(t, true)?;
        let tk = keys::type_key(self.backend, t, uid);
        if self.view.get(&tk)?.is_some() {
            return Ok(());
        }
        let e = Entry::Value(Value::String(t.to_string()));
        self.put(keys::data_key(self.backend, uid, TYPE_PREDICATE, &e));
        self.put(tk);
        self.bump_type_count(t, true)
    }

    fn bump_type_count(&mut self, t: &str, up: bool) -> Result<()> {
        let k = keys::type_count_key(self.backend, t);
        let n = read_u64(&self.view, &k)?;
        let n = if up { n + 1 } else { n.saturating_sub(1) };
        if n == 0 {
            self.del(k);
        } else {
            self.view.upper.put(k, n.to_be_bytes().to_vec());
        }
        Ok(())
    }

    /// Removes type `t` from node `uid`; returns whether it was there.
    pub fn remove_type(&mut self, uid: u64, t: &str) -> Result<bool> {
        keys::check_name(t, true)?;
        let e = Entry::Value(Value::String(t.to_string()));
        let k = keys::data_key(self.backend, uid, TYPE_PREDICATE, &e);
        if self.view.get(&k)?.is_none() {
            return Ok(false);
        }
        self.del(k);
        self.del(keys::type_key(self.backend, t, uid));
        self.bump_type_count(t, false)?;
        Ok(true)
    }

    fn check_entry(
        &mut self,
        pred: &str,
        e: Entry,
    ) -> Result<(Entry, Option<std::sync::Arc<PredicateSchema>>)> {
        keys::check_name(pred, false)?;
        if pred == TYPE_PREDICATE {
            return Err(StoreError::InvalidPredicate(format!(
                "{pred} is written with add_type/remove_type"
            )));
        }
        let e = match e {
            Entry::Value(Value::Float(f)) if f.is_nan() => {
                return Err(StoreError::NaN(pred.to_string()));
            }
            Entry::Value(Value::Geo(g)) => Entry::Value(Value::Geo(g.validate()?)),
            e => e,
        };
        let schema = self.cached_schema(pred)?;
        if let Some(s) = &schema
            && s.kind != kind_of_entry(&e)
        {
            return Err(StoreError::KindMismatch {
                predicate: pred.to_string(),
                expected: s.kind.name(),
                got: kind_of_entry(&e).name(),
            });
        }
        Ok((e, schema))
    }

    /// Adds one entry; for a non-list predicate with a schema, other entries are replaced.
    /// Returns whether the entry was new.
    fn add_entry(&mut self, uid: u64, pred: &str, e: Entry, replace: bool) -> Result<bool> {
        let (e, schema) = self.check_entry(pred, e)?;
        let single = replace || schema.as_ref().is_some_and(|s| !s.list);
        let key = keys::data_key(self.backend, uid, pred, &e);
        let exists = self.view.get(&key)?.is_some();
        if single {
            for old in self.entries(uid, pred)? {
                if old != e {
                    self.remove_entry_unchecked(uid, pred, &old, schema.as_deref())?;
                }
            }
        }
        if exists {
            return Ok(false);
        }
        self.put(key);
        self.put(keys::has_key(self.backend, pred, uid));
        match &e {
            Entry::Uid(dst) => self.put(keys::rev_key(self.backend, *dst, pred, uid)),
            Entry::Value(v) => {
                if let Some(s) = &schema {
                    for kind in &s.indexes {
                        let prefix = keys::index_prefix(self.backend, pred, *kind);
                        for t in keys::index_tokens(*kind, v) {
                            self.put(keys::posting_key(&prefix, &t, uid));
                        }
                    }
                }
            }
        }
        Ok(true)
    }

    fn remove_entry_unchecked(
        &mut self,
        uid: u64,
        pred: &str,
        e: &Entry,
        schema: Option<&PredicateSchema>,
    ) -> Result<bool> {
        let key = keys::data_key(self.backend, uid, pred, e);
        if self.view.get(&key)?.is_none() {
            return Ok(false);
        }
        self.del(key);
        let remaining = self.entries(uid, pred)?;
        if remaining.is_empty() {
            self.del(keys::has_key(self.backend, pred, uid));
        }
        match e {
            Entry::Uid(dst) => self.del(keys::rev_key(self.backend, *dst, pred, uid)),
            Entry::Value(v) => {
                if let Some(s) = schema {
                    for kind in &s.indexes {
                        let mut still: BTreeSet<Vec<u8>> = BTreeSet::new();
                        for r in &remaining {
                            if let Entry::Value(rv) = r {
                                still.extend(keys::index_tokens(*kind, rv));
                            }
                        }
                        let prefix = keys::index_prefix(self.backend, pred, *kind);
                        for t in keys::index_tokens(*kind, v) {
                            if !still.contains(&t) {
                                self.del(keys::posting_key(&prefix, &t, uid));
                            }
                        }
                    }
                }
            }
        }
        Ok(true)
    }

    /// Sets `pred` of node `uid` to exactly `v` (every other value is removed).
    pub fn set_value(&mut self, uid: u64, pred: &str, v: Value) -> Result<()> {
        self.add_entry(uid, pred, Entry::Value(v), true).map(|_| ())
    }

    /// Adds `v` to `pred` of node `uid`: replacement when the predicate's schema says it is
    /// not a list, set semantics otherwise (list predicates and predicates without a schema).
    /// Returns whether the value was new.
    pub fn add_value(&mut self, uid: u64, pred: &str, v: Value) -> Result<bool> {
        self.add_entry(uid, pred, Entry::Value(v), false)
    }

    /// Removes the value `v` of `pred` from node `uid`; returns whether it was there.
    pub fn remove_value(&mut self, uid: u64, pred: &str, v: &Value) -> Result<bool> {
        let (e, schema) = self.check_entry(pred, Entry::Value(v.clone()))?;
        self.remove_entry_unchecked(uid, pred, &e, schema.as_deref())
    }

    /// Adds the edge `src -pred-> dst` (and its reverse). For a uid predicate whose schema
    /// says it is not a list, the previous edge (and its reverse) is removed first; keeping
    /// `@hasInverse` partners in sync is the caller's job. Returns whether the edge was new.
    pub fn add_edge(&mut self, src: u64, pred: &str, dst: u64) -> Result<bool> {
        self.add_entry(src, pred, Entry::Uid(dst), false)
    }

    /// Removes the edge `src -pred-> dst` (and its reverse); returns whether it was there.
    pub fn remove_edge(&mut self, src: u64, pred: &str, dst: u64) -> Result<bool> {
        let (e, schema) = self.check_entry(pred, Entry::Uid(dst))?;
        self.remove_entry_unchecked(src, pred, &e, schema.as_deref())
    }

    /// Removes every value or edge of `pred` from node `uid`; returns the removed entries.
    pub fn remove_predicate(&mut self, uid: u64, pred: &str) -> Result<Vec<Entry>> {
        keys::check_name(pred, false)?;
        if pred == TYPE_PREDICATE {
            let types = self.types(uid)?;
            for t in &types {
                self.remove_type(uid, t)?;
            }
            return Ok(types
                .into_iter()
                .map(|t| Entry::Value(Value::String(t)))
                .collect());
        }
        let schema = self.cached_schema(pred)?;
        let entries = self.entries(uid, pred)?;
        for e in &entries {
            self.remove_entry_unchecked(uid, pred, e, schema.as_deref())?;
        }
        Ok(entries)
    }

    /// Deletes node `uid`: its types, every value and outgoing edge, and every incoming edge,
    /// with all index entries. Returns whether the node had anything stored.
    pub fn delete_node(&mut self, uid: u64) -> Result<bool> {
        let entries = self.node(uid)?;
        let mut preds: Vec<String> = entries.iter().map(|(p, _)| p.clone()).collect();
        preds.dedup();
        for p in &preds {
            self.remove_predicate(uid, p)?;
        }
        let prefix = keys::rev_node_prefix(self.backend, uid);
        let (s, e) = prefix_bounds(&prefix);
        let incoming: Vec<Vec<u8>> = self
            .view
            .scan(s, e, false)?
            .map(|i| i.map(|(k, _)| k))
            .collect::<Result<_>>()?;
        for k in &incoming {
            let suffix = &k[prefix.len()..];
            let nul = suffix
                .iter()
                .position(|b| *b == 0)
                .ok_or_else(|| StoreError::Corrupt("reverse key".into()))?;
            let pred = String::from_utf8(suffix[..nul].to_vec())
                .map_err(|_| StoreError::Corrupt("reverse key".into()))?;
            let src = keys::trailing_uid(k)?;
            let schema = self.cached_schema(&pred)?;
            self.remove_entry_unchecked(src, &pred, &Entry::Uid(uid), schema.as_deref())?;
        }
        Ok(!entries.is_empty() || !incoming.is_empty())
    }

    /// Replaces the backend's predicate schemas with `preds`: indexes no longer listed are
    /// dropped, new ones are built from the stored data, and schema records of predicates
    /// not listed are removed. Data is never deleted. Values whose kind differs from a
    /// predicate's new kind stay stored but are not indexed.
    pub fn apply_schema(&mut self, preds: &[PredicateSchema]) -> Result<()> {
        let mut new: HashMap<String, PredicateSchema> = HashMap::new();
        for p in preds {
            p.validate()?;
            let mut p = p.clone();
            p.indexes.sort();
            p.indexes.dedup();
            new.insert(p.name.clone(), p);
        }
        let old: HashMap<String, PredicateSchema> = self
            .schema()?
            .into_iter()
            .map(|p| (p.name.clone(), p))
            .collect();
        let mut names: BTreeSet<&String> = old.keys().collect();
        names.extend(new.keys());
        for name in names {
            let o = old.get(name);
            let n = new.get(name);
            let old_idx: BTreeSet<IndexKind> = o
                .map(|s| s.indexes.iter().copied().collect())
                .unwrap_or_default();
            let new_idx: BTreeSet<IndexKind> = n
                .map(|s| s.indexes.iter().copied().collect())
                .unwrap_or_default();
            let kind_changed = matches!((o, n), (Some(a), Some(b)) if a.kind != b.kind);
            for k in &old_idx {
                if kind_changed || !new_idx.contains(k) {
                    self.drop_index(name, *k)?;
                }
            }
            let to_build: Vec<IndexKind> = new_idx
                .iter()
                .copied()
                .filter(|k| kind_changed || !old_idx.contains(k))
                .collect();
            if !to_build.is_empty() {
                self.build_indexes(name, &to_build)?;
            }
            match n {
                Some(s) => self
                    .view
                    .upper
                    .put(keys::schema_key(self.backend, name), s.encode()),
                None => self.del(keys::schema_key(self.backend, name)),
            }
        }
        self.schema_cache.clear();
        Ok(())
    }

    fn drop_index(&mut self, pred: &str, kind: IndexKind) -> Result<()> {
        let (s, e) = prefix_bounds(&keys::index_prefix(self.backend, pred, kind));
        let doomed: Vec<Vec<u8>> = self
            .view
            .scan(s, e, false)?
            .map(|i| i.map(|(k, _)| k))
            .collect::<Result<_>>()?;
        for k in doomed {
            self.del(k);
        }
        Ok(())
    }

    fn build_indexes(&mut self, pred: &str, kinds: &[IndexKind]) -> Result<()> {
        let uids = self.uids_with(pred)?;
        for uid in uids.iter() {
            for v in self.values(uid, pred)? {
                for kind in kinds {
                    let prefix = keys::index_prefix(self.backend, pred, *kind);
                    for t in keys::index_tokens(*kind, &v) {
                        self.put(keys::posting_key(&prefix, &t, uid));
                    }
                }
            }
        }
        Ok(())
    }
}
