//! Deep freeze: a backend's data moved out of the live store into backup storage, brought
//! back transparently by its next request.
//!
//! A frozen backend's data is one full backup under the deployment name `_frozen/<uid>` in
//! the backup storage; the existence of that backup is the "frozen" mark (so it survives a
//! restart: [`Gate::load`] reads the marks at startup). In memory, one [`Gate`] for all
//! backends holds the frozen set and a count of the requests running on each backend (an
//! entry exists only while requests run, so idle backends cost nothing).
//!
//! Ordering: `freeze` marks the backend frozen first (new requests now wait to thaw it),
//! waits until the work already running on it has finished, writes the backups (the one the
//! caller asked for, if any, then the frozen copy: both hold exactly the frozen data) and only
//! then deletes the live key range. "Work" is everything that reads or writes the key range:
//! GraphQL and admin requests, backups (on demand and scheduled), exports, imports, restores,
//! drops and lambda script reads and writes. Each holds an [`Active`] while it runs. A request on a frozen backend restores the backup (one
//! atomic replace), deletes it, and clears the mark; requests queued behind it find the
//! backend thawed.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use parking_lot::Mutex;

/// The deployment name of a frozen backend's backup.
pub fn frozen_name(uid: &str) -> String {
    format!("_frozen/{uid}")
}

#[derive(Default)]
struct State {
    frozen: HashSet<String>,
    active: HashMap<String, usize>,
}

/// Frozen backends and running requests per backend.
#[derive(Default)]
pub struct Gate {
    state: Mutex<State>,
    /// One freeze or thaw at a time per backend (entries are tiny and stay).
    ops: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// Counts one running request of a backend until dropped.
pub struct Active {
    gate: Arc<Gate>,
    uid: String,
}

impl Drop for Active {
    fn drop(&mut self) {
        let mut st = self.gate.state.lock();
        if let Some(n) = st.active.get_mut(&self.uid) {
            *n -= 1;
            if *n == 0 {
                st.active.remove(&self.uid);
            }
        }
    }
}

impl Gate {
    /// Marks every backend in `uids` frozen (startup).
    pub fn load(&self, uids: impl IntoIterator<Item = String>) {
        self.state.lock().frozen.extend(uids);
    }

    pub fn is_frozen(&self, uid: &str) -> bool {
        self.state.lock().frozen.contains(uid)
    }

    /// Registers a running request unless the backend is frozen (`None` then).
    pub fn try_enter(self: &Arc<Self>, uid: &str) -> Option<Active> {
        let mut st = self.state.lock();
        if st.frozen.contains(uid) {
            return None;
        }
        *st.active.entry(uid.to_string()).or_default() += 1;
        Some(Active {
            gate: self.clone(),
            uid: uid.to_string(),
        })
    }

    /// The lock that serializes freezes and thaws of one backend.
    pub fn op_lock(&self, uid: &str) -> Arc<tokio::sync::Mutex<()>> {
        self.ops.lock().entry(uid.to_string()).or_default().clone()
    }

    /// Marks the backend frozen; returns whether it was not already.
    pub fn mark(&self, uid: &str) -> bool {
        self.state.lock().frozen.insert(uid.to_string())
    }

    pub fn unmark(&self, uid: &str) {
        self.state.lock().frozen.remove(uid);
    }

    /// Waits until no request runs on the backend.
    pub async fn drained(&self, uid: &str) {
        while self.state.lock().active.contains_key(uid) {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_counted_and_frozen_backends_refuse_entry() {
        let g = Arc::new(Gate::default());
        let a = g.try_enter("0x1").unwrap();
        let b = g.try_enter("0x1").unwrap();
        assert_eq!(g.state.lock().active.get("0x1"), Some(&2));
        drop(a);
        drop(b);
        assert!(
            g.state.lock().active.is_empty(),
            "idle backends leave no entry"
        );
        assert!(g.mark("0x1"));
        assert!(!g.mark("0x1"));
        assert!(g.try_enter("0x1").is_none());
        assert!(g.try_enter("0x2").is_some());
        g.unmark("0x1");
        assert!(g.try_enter("0x1").is_some());
    }
}
