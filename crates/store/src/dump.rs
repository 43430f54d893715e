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
