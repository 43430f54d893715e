//! The engine's views over `graphcloud-store`: [`crate::graph::GraphRead`] on store snapshots
//! (and any other store reader), and value conversions between the two crates.

use graphcloud_store::{self as store, DateTime, Geo, GeoPoint, Value};
use serde_json::json;
use std::sync::Arc;

use crate::graph::{GraphRead, IndexQuery, NodeData, ReadError, Val};

fn rerr(e: store::StoreError) -> ReadError {
    ReadError(e.to_string())
}

/// An index lookup's answer: `Ok(None)` when the store cannot answer this lookup from an index
/// (no such index, or an operand the index refuses), so the caller scans and reports operand
/// errors itself; storage failures (I/O, corruption, shutdown) are errors, never a silent scan.
fn index_answer(r: store::Result<store::RoaringTreemap>) -> Result<Option<Vec<u64>>, ReadError> {
    use store::StoreError as E;
    match r {
        Ok(set) => Ok(Some(set.iter().collect())),
        Err(
            E::MissingIndex { .. }
            | E::Regex(_)
            | E::KindMismatch { .. }
            | E::NaN(_)
            | E::InvalidGeometry(_)
            | E::InvalidPredicate(_),
        ) => Ok(None),
        Err(e) => Err(rerr(e)),
    }
}

/// A store value as the engine sees it.
pub fn val_from_store(v: Value) -> Val {
    match v {
        Value::Int(i) => Val::Int(i),
        Value::Float(f) => Val::Float(f),
        Value::String(s) => Val::Str(s),
        Value::Bool(b) => Val::Bool(b),
        Value::DateTime(d) => Val::DateTime(datetime_from_store(d)),
        Value::Geo(g) => Val::Geo(geo_to_json(&g)),
        Value::Password(p) => Val::Password(p),
    }
}

/// An engine value as the store keeps it; `None` for a malformed geometry.
pub fn val_to_store(v: &Val) -> Option<Value> {
    Some(match v {
        Val::Int(i) => Value::Int(*i),
        Val::Float(f) => Value::Float(*f),
        Val::Str(s) => Value::String(s.clone()),
        Val::Bool(b) => Value::Bool(*b),
        Val::DateTime(t) => Value::DateTime(datetime_to_store(*t)),
        Val::Geo(g) => Value::Geo(geo_from_json(g)?),
        Val::Password(p) => Value::Password(p.clone()),
    })
}

pub fn datetime_from_store(d: DateTime) -> time::OffsetDateTime {
    let base = time::OffsetDateTime::from_unix_timestamp(d.secs)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        + time::Duration::nanoseconds(i64::from(d.nanos));
    match time::UtcOffset::from_whole_seconds(d.offset_secs) {
        Ok(off) => base.to_offset(off),
        Err(_) => base,
    }
}

pub fn datetime_to_store(t: time::OffsetDateTime) -> DateTime {
    DateTime::new(t.unix_timestamp(), t.nanosecond()).with_offset(t.offset().whole_seconds())
}

fn pt(p: &GeoPoint) -> serde_json::Value {
    json!([p.longitude, p.latitude])
}

/// A store geometry as GeoJSON.
pub fn geo_to_json(g: &Geo) -> serde_json::Value {
    let poly = |rings: &Vec<Vec<GeoPoint>>| -> serde_json::Value {
        serde_json::Value::Array(
            rings
                .iter()
                .map(|r| serde_json::Value::Array(r.iter().map(pt).collect()))
                .collect(),
        )
    };
    match g {
        Geo::Point(p) => json!({"type": "Point", "coordinates": pt(p)}),
        Geo::Polygon(r) => json!({"type": "Polygon", "coordinates": poly(r)}),
        Geo::MultiPolygon(ps) => json!({
            "type": "MultiPolygon",
            "coordinates": ps.iter().map(poly).collect::<Vec<_>>()
        }),
    }
}

/// A GeoJSON geometry as a store geometry.
pub fn geo_from_json(v: &serde_json::Value) -> Option<Geo> {
    let p = |c: &serde_json::Value| -> Option<GeoPoint> {
        let a = c.as_array()?;
        Some(GeoPoint {
            longitude: a.first()?.as_f64()?,
            latitude: a.get(1)?.as_f64()?,
        })
    };
    let rings = |c: &serde_json::Value| -> Option<Vec<Vec<GeoPoint>>> {
        c.as_array()?
            .iter()
            .map(|r| r.as_array()?.iter().map(p).collect::<Option<Vec<_>>>())
            .collect()
    };
    let coords = v.get("coordinates")?;
    match v.get("type")?.as_str()? {
        "Point" => Some(Geo::Point(p(coords)?)),
        "Polygon" => Some(Geo::Polygon(rings(coords)?)),
        "MultiPolygon" => Some(Geo::MultiPolygon(
            coords
                .as_array()?
                .iter()
                .map(rings)
                .collect::<Option<Vec<_>>>()?,
        )),
        _ => None,
    }
}

/// Any store reader (a snapshot, or a write transaction) seen through the engine's trait.
pub struct StoreRead<T>(pub T);

impl<T: store::GraphRead> GraphRead for StoreRead<T> {
    fn type_uids(&self, storage_type: &str) -> Result<Vec<u64>, ReadError> {
        Ok(self
            .0
            .uids_of_type(storage_type)
            .map_err(rerr)?
            .iter()
            .collect())
    }
    fn node_types(&self, uid: u64) -> Result<Vec<String>, ReadError> {
        self.0.types(uid).map_err(rerr)
    }
    fn type_count(&self, storage_type: &str) -> Result<Option<u64>, ReadError> {
        self.0.type_count(storage_type).map(Some).map_err(rerr)
    }
    fn scalars(&self, uid: u64, pred: &str) -> Result<Vec<Val>, ReadError> {
        Ok(self
            .0
            .values(uid, pred)
            .map_err(rerr)?
            .into_iter()
            .map(val_from_store)
            .collect())
    }
    fn edges(&self, uid: u64, pred: &str) -> Result<Vec<u64>, ReadError> {
        self.0.edges(uid, pred).map_err(rerr)
    }
    fn reverse_edges(&self, uid: u64, pred: &str) -> Result<Vec<u64>, ReadError> {
        self.0.reverse_edges(uid, pred).map_err(rerr)
    }
    fn lookup_eq(&self, pred: &str, value: &Val) -> Result<Option<Vec<u64>>, ReadError> {
        let Some(v) = val_to_store(value) else {
            return Ok(None);
        };
        index_answer(self.0.index_eq(pred, &v))
    }

    fn node_shared(&self, uid: u64) -> Result<Option<Arc<NodeData>>, ReadError> {
        if let Some(n) = self
            .0
            .cached_node(uid)
            .and_then(|c| c.downcast::<NodeData>().ok())
        {
            return Ok(Some(n));
        }
        let Some(d) = self.node_all(uid)? else {
            return Ok(None);
        };
        let d = Arc::new(d);
        self.0.keep_node(uid, d.clone(), d.cost());
        Ok(Some(d))
    }

    fn node_all(&self, uid: u64) -> Result<Option<NodeData>, ReadError> {
        let mut d = NodeData::default();
        // One name per predicate is kept (entries of a predicate are adjacent).
        self.0
            .visit_node(uid, &mut |pred, e| match e {
                store::Entry::Uid(t) => match d.edges.get_mut(pred) {
                    Some(list) => list.push(t),
                    None => {
                        d.edges.insert(pred.to_string(), vec![t]);
                    }
                },
                store::Entry::Value(v) if pred == store::TYPE_PREDICATE => {
                    if let Value::String(s) = v {
                        d.types.push(s);
                    }
                }
                store::Entry::Value(v) => match d.values.get_mut(pred) {
                    Some(list) => list.push(val_from_store(v)),
                    None => {
                        d.values.insert(pred.to_string(), vec![val_from_store(v)]);
                    }
                },
            })
            .map_err(rerr)?;
        Ok(Some(d))
    }

    fn type_uids_first(&self, storage_type: &str, n: usize) -> Result<Option<Vec<u64>>, ReadError> {
        self.0
            .uids_of_type_from(storage_type, 0, n)
            .map(Some)
            .map_err(rerr)
    }

    fn lookup(&self, pred: &str, q: IndexQuery<'_>) -> Result<Option<Vec<u64>>, ReadError> {
        use std::ops::Bound;
        let conv = |b: Bound<&Val>| -> Option<Bound<Value>> {
            Some(match b {
                Bound::Included(v) => Bound::Included(val_to_store(v)?),
                Bound::Excluded(v) => Bound::Excluded(val_to_store(v)?),
                Bound::Unbounded => Bound::Unbounded,
            })
        };
        let r = match q {
            IndexQuery::Eq(v) => match val_to_store(v) {
                Some(v) => self.0.index_eq(pred, &v),
                None => return Ok(None),
            },
            IndexQuery::Range(lo, hi) => {
                let (Some(lo), Some(hi)) = (conv(lo), conv(hi)) else {
                    return Ok(None);
                };
                self.0.index_range(pred, lo.as_ref(), hi.as_ref())
            }
            IndexQuery::Terms(t, all) => self.0.index_terms(pred, t, all),
            IndexQuery::Fulltext(t, all) => self.0.index_fulltext(pred, t, all),
            IndexQuery::Regexp(p, ci) => self.0.index_regexp(pred, p, ci),
            IndexQuery::Ngram(t) => self.0.index_ngram(pred, t),
            IndexQuery::Has => self.0.uids_with(pred),
        };
        index_answer(r)
    }

    fn walk_ordered(
        &self,
        pred: &str,
        desc: bool,
        f: &mut dyn FnMut(&[u8], u64) -> bool,
    ) -> Result<bool, ReadError> {
        match self.0.walk_ordered(pred, desc, f) {
            Ok(()) => Ok(true),
            Err(
                store::StoreError::MissingIndex { .. } | store::StoreError::InvalidPredicate(_),
            ) => Ok(false),
            Err(e) => Err(rerr(e)),
        }
    }
}

#[cfg(test)]
mod index_answer_tests {
    use super::*;

    #[test]
    fn unanswerable_lookups_fall_back_to_a_scan_but_storage_failures_are_errors() {
        let missing = store::StoreError::MissingIndex {
            predicate: "Post.title".into(),
            index: "term",
        };
        assert!(matches!(index_answer(Err(missing)), Ok(None)));
        let io = store::StoreError::Engine("disk full".into());
        let err = index_answer(Err(io)).expect_err("an I/O failure must not become a scan");
        assert!(err.0.contains("disk full"), "{}", err.0);
        assert!(index_answer(Err(store::StoreError::Closed)).is_err());
        let mut set = store::RoaringTreemap::new();
        set.insert(7);
        assert_eq!(index_answer(Ok(set)).unwrap(), Some(vec![7]));
    }
}
