//! Automatic persisted queries (`extensions.persistedQuery.sha256Hash`), per backend.
//!
//! The rules are Dgraph's (graphql-backend.md §0):
//! - no hash (or an empty one): the request runs as sent;
//! - a hash that is stored for this backend: a request without a query runs the stored
//!   query; a request whose query differs from the stored one fails with
//!   `query does not match persisted query`;
//! - a hash that is not stored: without a query the request fails with
//!   `PersistedQueryNotFound`; with a query whose SHA-256 (lowercase hex) is not the hash it
//!   fails with `provided sha does not match query`; otherwise the query is stored and runs.
//!
//! Unlike Dgraph, which writes persisted queries into the graph, the store here is memory
//! only: one least-recently-used map shared by every backend, keyed by backend id and hash,
//! bounded in entries and in bytes of query text. Nothing is kept for an idle backend beyond
//! its entries, a deleted backend's entries are dropped at once, and the rest simply age out.
//! A client that meets `PersistedQueryNotFound` sends the query again (Apollo's link does).

use std::sync::Mutex;

use hashlink::LinkedHashMap;
use sha2::{Digest, Sha256};

/// Most entries kept over all backends.
pub const MAX_ENTRIES: usize = 10_000;
/// Most bytes of query text kept over all backends.
pub const MAX_BYTES: usize = 16 * 1024 * 1024;
/// A query longer than this runs but is not stored (it would evict too much).
pub const MAX_QUERY_BYTES: usize = MAX_BYTES / 16;

/// Why a persisted-query request cannot run (the message is the client-visible error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersistedQueryError(pub &'static str);

pub const NOT_FOUND: PersistedQueryError = PersistedQueryError("PersistedQueryNotFound");
pub const HASH_MISMATCH: PersistedQueryError =
    PersistedQueryError("provided sha does not match query");
pub const QUERY_MISMATCH: PersistedQueryError =
    PersistedQueryError("query does not match persisted query");

type Key = (u64, [u8; 32]);

/// The bounded store of persisted queries of every backend.
pub struct PersistedQueries {
    max_entries: usize,
    max_bytes: usize,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Front = least recently used.
    map: LinkedHashMap<Key, Box<str>>,
    bytes: usize,
}

impl Default for PersistedQueries {
    fn default() -> Self {
        PersistedQueries::new(MAX_ENTRIES, MAX_BYTES)
    }
}

/// Decodes a 64-character lowercase hex SHA-256. Anything else can never name a stored
/// query (Dgraph compares the lowercase hex text).
fn parse_hash(hash: &str) -> Option<[u8; 32]> {
    if hash.len() != 64 || !hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    let mut out = [0u8; 32];
    hex::decode_to_slice(hash, &mut out).ok()?;
    Some(out)
}

impl PersistedQueries {
    /// A store holding at most `max_entries` queries and `max_bytes` bytes of query text.
    pub fn new(max_entries: usize, max_bytes: usize) -> PersistedQueries {
        PersistedQueries {
            max_entries: max_entries.max(1),
            max_bytes: max_bytes.max(1),
            inner: Mutex::new(Inner::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Applies the persisted-query rules to one request of `backend`: returns the query to
    /// run (the sent one, or the stored one when none was sent).
    pub fn resolve(
        &self,
        backend: u64,
        hash: &str,
        query: String,
    ) -> Result<String, PersistedQueryError> {
        let key = parse_hash(hash).map(|h| (backend, h));
        if let Some(key) = key {
            let mut g = self.lock();
            if let Some(stored) = g.map.to_back(&key) {
                if query.is_empty() {
                    return Ok(stored.to_string());
                }
                return if **stored == *query {
                    Ok(query)
                } else {
                    Err(QUERY_MISMATCH)
                };
            }
        }
        if query.is_empty() {
            return Err(NOT_FOUND);
        }
        let digest: [u8; 32] = Sha256::digest(query.as_bytes()).into();
        match key {
            Some(key) if key.1 == digest => {
                self.insert(key, &query);
                Ok(query)
            }
            _ => Err(HASH_MISMATCH),
        }
    }

    fn insert(&self, key: Key, query: &str) {
        if query.len() > MAX_QUERY_BYTES.min(self.max_bytes) {
            return;
        }
        let mut g = self.lock();
        if let Some(old) = g.map.insert(key, query.into()) {
            g.bytes -= old.len();
        }
        g.bytes += query.len();
        while g.map.len() > self.max_entries || g.bytes > self.max_bytes {
            match g.map.pop_front() {
                Some((_, q)) => g.bytes -= q.len(),
                None => break,
            }
        }
    }

    /// Drops every query of a deleted backend.
    pub fn forget_backend(&self, backend: u64) {
        let mut g = self.lock();
        let mut freed = 0;
        g.map.retain(|k, q| {
            if k.0 == backend {
                freed += q.len();
                false
            } else {
                true
            }
        });
        g.bytes -= freed;
    }

    /// Number of stored queries (all backends).
    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes of stored query text (all backends).
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "{ a }";
    // A well-formed hash that is not the SHA-256 of `A`.
    const WRONG_HASH: &str = "1e1d0ca2b9bb3e2d8ff1c0a4b7f9c2dc17e5e3c0b37c9d4a6b0ed1d6a1f7b7c5";

    fn sha(q: &str) -> String {
        hex::encode(Sha256::digest(q.as_bytes()))
    }

    #[test]
    fn hash_of_known_text() {
        // The SHA-256 of the empty string is a published constant.
        assert_eq!(
            sha(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        // `printf '{ a }' | sha256sum`
        assert_eq!(
            sha(A),
            "1c7e1e347f726166b5b1c55afd61f278cc9b45e00c108ec33d540a566379811b"
        );
    }

    #[test]
    fn register_then_look_up() {
        let pq = PersistedQueries::default();
        let h = sha(A);
        assert_eq!(pq.resolve(1, &h, String::new()), Err(NOT_FOUND));
        assert_eq!(pq.resolve(1, &h, A.into()).as_deref(), Ok(A));
        assert_eq!(pq.resolve(1, &h, String::new()).as_deref(), Ok(A));
        // The same query again is fine; another one under the stored hash is not.
        assert_eq!(pq.resolve(1, &h, A.into()).as_deref(), Ok(A));
        assert_eq!(pq.resolve(1, &h, "{ b }".into()), Err(QUERY_MISMATCH));
        // Another backend does not see it.
        assert_eq!(pq.resolve(2, &h, String::new()), Err(NOT_FOUND));
        assert_eq!(pq.len(), 1);
        assert_eq!(pq.bytes(), A.len());
    }

    #[test]
    fn wrong_hash_is_refused_and_not_stored() {
        let pq = PersistedQueries::default();
        assert_eq!(pq.resolve(1, WRONG_HASH, A.into()), Err(HASH_MISMATCH));
        assert_eq!(pq.resolve(1, "not-hex", A.into()), Err(HASH_MISMATCH));
        // Uppercase hex is a different text from the lowercase digest.
        assert_eq!(
            pq.resolve(1, &sha(A).to_uppercase(), A.into()),
            Err(HASH_MISMATCH)
        );
        assert!(pq.is_empty());
        assert_eq!(pq.resolve(1, "not-hex", String::new()), Err(NOT_FOUND));
    }

    #[test]
    fn bounded_in_entries_and_bytes() {
        let pq = PersistedQueries::new(3, 1_000);
        let qs: Vec<String> = (0..5).map(|i| format!("{{ q{i} }}")).collect();
        for q in &qs {
            pq.resolve(7, &sha(q), q.clone()).unwrap();
        }
        assert_eq!(pq.len(), 3);
        // The two oldest were evicted, the three newest remain.
        assert_eq!(pq.resolve(7, &sha(&qs[0]), String::new()), Err(NOT_FOUND));
        assert_eq!(pq.resolve(7, &sha(&qs[1]), String::new()), Err(NOT_FOUND));
        for q in &qs[2..] {
            assert_eq!(
                pq.resolve(7, &sha(q), String::new()).as_deref(),
                Ok(q.as_str())
            );
        }

        let pq = PersistedQueries::new(100, 25);
        let ten = |c: char| format!("{{{}}}", c.to_string().repeat(8));
        let (x, y, z) = (ten('x'), ten('y'), ten('z'));
        pq.resolve(1, &sha(&x), x.clone()).unwrap();
        pq.resolve(1, &sha(&y), y.clone()).unwrap();
        // Touch x so that y is the least recently used.
        pq.resolve(1, &sha(&x), String::new()).unwrap();
        pq.resolve(1, &sha(&z), z.clone()).unwrap();
        assert_eq!(pq.bytes(), 20);
        assert_eq!(pq.resolve(1, &sha(&y), String::new()), Err(NOT_FOUND));
        assert!(pq.resolve(1, &sha(&x), String::new()).is_ok());
    }

    #[test]
    fn oversized_query_runs_but_is_not_stored() {
        let pq = PersistedQueries::default();
        let big = format!("{{ a }}{}", " ".repeat(MAX_QUERY_BYTES));
        assert_eq!(pq.resolve(1, &sha(&big), big.clone()), Ok(big.clone()));
        assert!(pq.is_empty());
    }

    #[test]
    fn deleted_backend_is_forgotten() {
        let pq = PersistedQueries::default();
        for b in [1, 2] {
            pq.resolve(b, &sha(A), A.into()).unwrap();
        }
        pq.forget_backend(1);
        assert_eq!(pq.len(), 1);
        assert_eq!(pq.bytes(), A.len());
        assert_eq!(pq.resolve(1, &sha(A), String::new()), Err(NOT_FOUND));
        assert!(pq.resolve(2, &sha(A), String::new()).is_ok());
    }
}
