//! Whole-backend reads for exports: every data entry of a backend in key order from one
//! snapshot, decoded. A narrow addition beside the [`Store`] API; it reads through the same
//! snapshots as queries and never writes.

use crate::error::Result;
use crate::graph::GraphRead;
use crate::keys;
use crate::kv::prefix_bounds;
use crate::store::Store;
use crate::value::Entry;

impl Store {
    /// Calls `f(uid, predicate, entry)` for every stored value and edge of `backend` (types
    /// appear as `dgraph.type` string values), ordered by uid, then predicate name, then
    /// entry, all from one consistent snapshot. `f` returns `false` to stop early.
    ///
    /// Blocking: call it from a blocking thread.
    pub fn scan_entries(
        &self,
        backend: u64,
        mut f: impl FnMut(u64, &str, Entry) -> Result<bool>,
    ) -> Result<()> {
        let snap = self.read(backend)?;
        let mut prefix = keys::backend_prefix(backend);
        prefix.push(keys::DATA);
        let (s, e) = prefix_bounds(&prefix);
        let head = prefix.len();
        for item in snap.kv().scan(s, e, false)? {
            let (k, _) = item?;
            let uid_bytes: [u8; 8] = k
                .get(head..head + 8)
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| crate::StoreError::Corrupt("short data key".into()))?;
            let (pred, entry) = keys::split_data_suffix(&k[head + 8..])?;
            if !f(u64::from_be_bytes(uid_bytes), &pred, entry)? {
                break;
            }
        }
        Ok(())
    }
}

impl Store {
    /// Names of the predicates with at least one value or edge in `backend` (from the
    /// "has" index) and of the types with at least one node (from the type index), sorted.
    /// One seek per name, however many nodes there are. Blocking.
    pub fn names_in_use(&self, backend: u64) -> Result<(Vec<String>, Vec<String>)> {
        let snap = self.read(backend)?;
        let names = |section: u8| -> Result<Vec<String>> {
            let mut prefix = keys::backend_prefix(backend);
            prefix.push(section);
            let (_, end) = prefix_bounds(&prefix);
            let mut start = std::ops::Bound::Included(prefix.clone());
            let mut out = Vec::new();
            loop {
                let Some(item) = snap.kv().scan(start, end.clone(), false)?.next() else {
                    return Ok(out);
                };
                let (k, _) = item?;
                let rest = &k[prefix.len()..];
                let nul = rest
                    .iter()
                    .position(|b| *b == 0)
                    .ok_or_else(|| crate::StoreError::Corrupt("name without terminator".into()))?;
                out.push(
                    String::from_utf8(rest[..nul].to_vec())
                        .map_err(|_| crate::StoreError::Corrupt("name".into()))?,
                );
                // Past every key of this name: `<prefix> name 0x01`.
                let mut next = prefix.clone();
                next.extend_from_slice(&rest[..nul]);
                next.push(1);
                start = std::ops::Bound::Included(next);
            }
        };
        Ok((names(keys::HAS)?, names(keys::TYPE)?))
    }
}

#[cfg(test)]
mod tests {
    use crate::{Entry, MemoryEngine, Store, Value};
    use std::sync::Arc;

    #[test]
    fn entries_in_uid_then_predicate_order_of_one_backend_only() {
        let store =
            Store::with_engine(Arc::new(MemoryEngine::default()), Default::default()).unwrap();
        store
            .write_blocking(7, |txn| -> crate::Result<()> {
                let a = txn.alloc_uid()?;
                let b = txn.alloc_uid()?;
                txn.add_type(a, "P")?;
                txn.set_value(a, "P.name", Value::String("x".into()))?;
                txn.add_edge(a, "P.f", b)?;
                txn.set_value(b, "P.age", Value::Int(3))?;
                Ok(())
            })
            .unwrap();
        store
            .write_blocking(8, |txn| -> crate::Result<()> {
                let a = txn.alloc_uid()?;
                txn.set_value(a, "Q.other", Value::Int(1))
            })
            .unwrap();
        let mut seen = Vec::new();
        store
            .scan_entries(7, |u, p, e| {
                seen.push((u, p.to_string(), e));
                Ok(true)
            })
            .unwrap();
        assert_eq!(
            store.names_in_use(7).unwrap(),
            (
                vec!["P.age".to_string(), "P.f".into(), "P.name".into()],
                vec!["P".to_string()]
            )
        );
        assert_eq!(
            seen,
            vec![
                (1, "P.f".to_string(), Entry::Uid(2)),
                (
                    1,
                    "P.name".to_string(),
                    Entry::Value(Value::String("x".into()))
                ),
                (
                    1,
                    "dgraph.type".to_string(),
                    Entry::Value(Value::String("P".into()))
                ),
                (2, "P.age".to_string(), Entry::Value(Value::Int(3))),
            ]
        );
    }
}
