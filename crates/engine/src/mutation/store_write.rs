//! [`GraphWrite`] (and the engine's [`GraphRead`]) over the store's write transaction.

use graphcloud_store::{self as store, GraphRead as _, Value, ValueKind};

use super::write::{GraphWrite, WriteError};
use crate::graph::{GraphRead, ReadError, Val};
use crate::load::{LoadSchema, PredKind};
use crate::store_adapter::{val_from_store, val_to_store};

/// How far past the highest allocated uid an explicit uid in imported data may lie (the
/// uids in between are never allocated); guards against a stray huge uid exhausting the space.
pub const MAX_UID_GAP: u64 = 1 << 20;

/// A store write transaction seen as the engine's [`GraphWrite`].
pub struct TxnGraph<'t, 'a> {
    pub txn: &'t mut store::WriteTxn<'a>,
}

impl<'t, 'a> TxnGraph<'t, 'a> {
    pub fn new(txn: &'t mut store::WriteTxn<'a>) -> Self {
        TxnGraph { txn }
    }
}

fn rerr(e: store::StoreError) -> ReadError {
    ReadError(e.to_string())
}

fn werr(e: store::StoreError) -> WriteError {
    WriteError(e.to_string())
}

fn to_store(v: &Val) -> Result<Value, WriteError> {
    val_to_store(v).ok_or_else(|| WriteError(format!("unsupported value {v:?}")))
}

impl GraphRead for TxnGraph<'_, '_> {
    fn type_uids(&self, storage_type: &str) -> Result<Vec<u64>, ReadError> {
        Ok(self
            .txn
            .uids_of_type(storage_type)
            .map_err(rerr)?
            .iter()
            .collect())
    }

    fn node_types(&self, uid: u64) -> Result<Vec<String>, ReadError> {
        self.txn.types(uid).map_err(rerr)
    }

    fn scalars(&self, uid: u64, pred: &str) -> Result<Vec<Val>, ReadError> {
        Ok(self
            .txn
            .values(uid, pred)
            .map_err(rerr)?
            .into_iter()
            .map(val_from_store)
            .collect())
    }

    fn edges(&self, uid: u64, pred: &str) -> Result<Vec<u64>, ReadError> {
        self.txn.edges(uid, pred).map_err(rerr)
    }

    fn reverse_edges(&self, uid: u64, pred: &str) -> Result<Vec<u64>, ReadError> {
        self.txn.reverse_edges(uid, pred).map_err(rerr)
    }

    fn lookup_eq(&self, pred: &str, value: &Val) -> Result<Option<Vec<u64>>, ReadError> {
        let Ok(v) = to_store(value) else {
            return Ok(None);
        };
        // Only when the predicate has an index that answers equality.
        let Some(schema) = self.txn.predicate_schema(pred).map_err(rerr)? else {
            return Ok(None);
        };
        use store::IndexKind as I;
        let usable = schema.indexes.iter().any(|k| {
            matches!(
                (k, &v),
                (I::Exact | I::Hash, Value::String(_))
                    | (I::Int, Value::Int(_))
                    | (I::Float, Value::Float(_))
                    | (I::Bool, Value::Bool(_))
            )
        });
        if !usable {
            return Ok(None);
        }
        Ok(Some(
            self.txn.index_eq(pred, &v).map_err(rerr)?.iter().collect(),
        ))
    }
}

impl GraphWrite for TxnGraph<'_, '_> {
    fn new_uid(&mut self) -> Result<u64, WriteError> {
        self.txn.alloc_uid().map_err(werr)
    }

    fn reserve_uid(&mut self, uid: u64) -> Result<(), WriteError> {
        let max = self.txn.max_uid().map_err(werr)?;
        if uid <= max {
            return Ok(());
        }
        if uid - max > MAX_UID_GAP {
            return Err(WriteError(format!(
                "uid {uid:#x} is too far beyond the highest allocated uid {max:#x}"
            )));
        }
        self.txn.reserve_uid(uid).map_err(werr)
    }

    fn add_type(&mut self, uid: u64, storage_type: &str) -> Result<(), WriteError> {
        self.txn.add_type(uid, storage_type).map_err(werr)
    }

    fn clear_types(&mut self, uid: u64) -> Result<(), WriteError> {
        for t in self.txn.types(uid).map_err(werr)? {
            self.txn.remove_type(uid, &t).map_err(werr)?;
        }
        Ok(())
    }

    fn set_scalar(&mut self, uid: u64, pred: &str, val: Val) -> Result<(), WriteError> {
        let v = to_store(&val)?;
        self.txn.set_value(uid, pred, v).map_err(werr)
    }

    fn add_scalar(&mut self, uid: u64, pred: &str, val: Val) -> Result<(), WriteError> {
        let v = to_store(&val)?;
        self.txn.add_value(uid, pred, v).map(|_| ()).map_err(werr)
    }

    fn remove_scalar(&mut self, uid: u64, pred: &str, val: &Val) -> Result<(), WriteError> {
        let v = to_store(val)?;
        self.txn
            .remove_value(uid, pred, &v)
            .map(|_| ())
            .map_err(werr)
    }

    fn add_edge(&mut self, uid: u64, pred: &str, target: u64) -> Result<(), WriteError> {
        self.txn
            .add_edge(uid, pred, target)
            .map(|_| ())
            .map_err(werr)
    }

    fn remove_edge(&mut self, uid: u64, pred: &str, target: u64) -> Result<(), WriteError> {
        self.txn
            .remove_edge(uid, pred, target)
            .map(|_| ())
            .map_err(werr)
    }

    fn clear(&mut self, uid: u64, pred: &str) -> Result<(), WriteError> {
        self.txn
            .remove_predicate(uid, pred)
            .map(|_| ())
            .map_err(werr)
    }

    fn clear_node(&mut self, uid: u64) -> Result<(), WriteError> {
        let mut preds: Vec<String> = self
            .txn
            .node(uid)
            .map_err(werr)?
            .into_iter()
            .map(|(p, _)| p)
            .collect();
        preds.dedup();
        for p in preds {
            self.txn.remove_predicate(uid, &p).map_err(werr)?;
        }
        Ok(())
    }
}

impl LoadSchema {
    /// The loader's view of the store's predicate schemas.
    pub fn from_predicates(preds: &[store::PredicateSchema]) -> LoadSchema {
        let mut s = LoadSchema::new();
        for p in preds {
            let kind = match p.kind {
                ValueKind::Int => PredKind::Int,
                ValueKind::Float => PredKind::Float,
                ValueKind::String => PredKind::String,
                ValueKind::Bool => PredKind::Bool,
                ValueKind::DateTime => PredKind::DateTime,
                ValueKind::Geo => PredKind::Geo,
                ValueKind::Password => PredKind::Password,
                ValueKind::Uid => PredKind::Uid,
            };
            s.insert(p.name.clone(), kind, p.list);
        }
        s
    }

    /// The loader's view of the schema applied to the transaction's backend.
    pub fn from_txn(txn: &store::WriteTxn<'_>) -> Result<LoadSchema, WriteError> {
        Ok(Self::from_predicates(&txn.schema().map_err(werr)?))
    }
}
