//! A backend's compiled API: the generated API schema (for validation and introspection) and
//! the lookup tables execution needs, plus a bounded cache shared by all backends.
//!
//! Nothing here is kept per idle backend: an entry is built on first use from the SDL stored
//! in the backend's key range and may be evicted at any time (rebuilding is the only cost).

use std::collections::HashMap;
use std::sync::Arc;

use apollo_compiler::collections::HashMap as ApolloMap;
use apollo_compiler::schema::Implementers;
use apollo_compiler::validation::Valid;
use apollo_compiler::{Name, Schema};
use parking_lot::Mutex;

use crate::catalog::{Catalog, StorageNames};

/// One backend's compiled API at one schema version.
pub struct CompiledApi {
    /// The SDL as the user uploaded it.
    pub sdl: String,
    /// The generated API schema.
    pub api: Valid<Schema>,
    pub implementers: ApolloMap<Name, Implementers>,
    pub catalog: Catalog,
    /// The schema model (absent only for APIs assembled from parts in tests).
    pub model: Option<graphcloud_schema::Schema>,
    /// Whether the model has `@lambda` fields on stored types (computed on first need).
    lambda_fields: std::sync::OnceLock<bool>,
    /// Unique among every API compiled by this process (keys the prepared-operation cache,
    /// so an entry can never be taken for another schema).
    pub id: u64,
}

static NEXT_API_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

impl CompiledApi {
    /// Assembles a compiled API from the generated schema and the model's storage names.
    pub fn from_parts(sdl: String, api: Valid<Schema>, names: &dyn StorageNames) -> CompiledApi {
        let catalog = Catalog::build(&api, names);
        let implementers = api.implementers_map();
        CompiledApi {
            sdl,
            api,
            implementers,
            catalog,
            model: None,
            lambda_fields: std::sync::OnceLock::new(),
            id: NEXT_API_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        }
    }

    /// Whether the model has `@lambda` fields on stored types, so that rendered lists must
    /// remember their nodes for batched lambda calls. Computed once per compiled API.
    pub fn has_lambda_fields(&self) -> bool {
        *self.lambda_fields.get_or_init(|| {
            self.model
                .as_ref()
                .is_some_and(|m| m.types().iter().any(|t| t.fields.iter().any(|f| f.lambda)))
        })
    }
}

/// A bounded cache of compiled APIs keyed by (backend id, schema version).
pub struct ApiCache {
    capacity: usize,
    inner: Mutex<CacheInner>,
}

#[derive(Default)]
struct CacheInner {
    map: HashMap<u64, Entry>,
    clock: u64,
}

struct Entry {
    version: u64,
    api: Arc<CompiledApi>,
    used: u64,
    /// The backend's schema node (uid and the node cache's copy of it) as it was when it
    /// was found to hold exactly this API's SDL: while the node cache hands out the same
    /// copy, the node is unchanged and the API current (see `Engine::current_api`).
    proof: Option<(u64, Arc<crate::graph::NodeData>)>,
}

impl ApiCache {
    pub fn new(capacity: usize) -> ApiCache {
        ApiCache {
            capacity: capacity.max(1),
            inner: Mutex::new(CacheInner::default()),
        }
    }

    /// The cached API of `backend` at `version`, if present.
    pub fn get(&self, backend: u64, version: u64) -> Option<Arc<CompiledApi>> {
        let mut g = self.inner.lock();
        g.clock += 1;
        let now = g.clock;
        match g.map.get_mut(&backend) {
            Some(e) if e.version == version => {
                e.used = now;
                Some(e.api.clone())
            }
            _ => None,
        }
    }

    /// The API of `backend` with the schema node it was proven against, if any.
    pub fn proven(
        &self,
        backend: u64,
    ) -> Option<(Arc<CompiledApi>, u64, Arc<crate::graph::NodeData>)> {
        let mut g = self.inner.lock();
        g.clock += 1;
        let now = g.clock;
        let e = g.map.get_mut(&backend)?;
        e.used = now;
        let (uid, node) = e.proof.clone()?;
        Some((e.api.clone(), uid, node))
    }

    /// Records that `node` (uid `uid`) holds exactly the SDL of the cached API `api`.
    pub fn prove(
        &self,
        backend: u64,
        api: &CompiledApi,
        uid: u64,
        node: Arc<crate::graph::NodeData>,
    ) {
        if let Some(e) = self.inner.lock().map.get_mut(&backend)
            && e.api.id == api.id
        {
            e.proof = Some((uid, node));
        }
    }

    /// The API cached for `backend` at whatever version, without marking it used (a hint:
    /// the caller must not rely on it being current).
    pub fn peek(&self, backend: u64) -> Option<Arc<CompiledApi>> {
        self.inner.lock().map.get(&backend).map(|e| e.api.clone())
    }

    /// Stores an API, evicting the least recently used entry when full.
    pub fn put(&self, backend: u64, version: u64, api: Arc<CompiledApi>) {
        let mut g = self.inner.lock();
        g.clock += 1;
        let now = g.clock;
        if !g.map.contains_key(&backend) && g.map.len() >= self.capacity {
            let oldest = g.map.iter().min_by_key(|(_, e)| e.used).map(|(k, _)| *k);
            if let Some(k) = oldest {
                g.map.remove(&k);
            }
        }
        g.map.insert(
            backend,
            Entry {
                version,
                api,
                used: now,
                proof: None,
            },
        );
    }

    /// Drops a backend's entry (schema changed or backend deleted).
    pub fn evict(&self, backend: u64) {
        self.inner.lock().map.remove(&backend);
    }

    pub fn len(&self) -> usize {
        self.inner.lock().map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl StorageNames for graphcloud_schema::Schema {
    fn storage_type(&self, type_name: &str) -> Option<String> {
        self.type_by_name(type_name)
            .filter(|t| t.is_stored())
            .map(|t| t.storage_name.clone())
    }

    fn predicate(&self, type_name: &str, field: &str) -> Option<String> {
        let f = self.type_by_name(type_name)?.field(field)?;
        if f.is_custom_or_lambda() {
            return None;
        }
        let p = f.predicate.clone()?;
        Some(match f.langs.as_slice() {
            // One language tag: the values live under `p@lang` (`p@.` is the untagged value).
            [lang] if lang != "." && lang != "*" => format!("{p}@{lang}"),
            _ if f.reverse => format!("~{p}"),
            _ => p,
        })
    }

    fn languages(&self, type_name: &str, field: &str) -> Vec<String> {
        self.type_by_name(type_name)
            .and_then(|t| t.field(field))
            .filter(|f| f.is_multi_lang())
            .map(|f| f.langs.clone())
            .unwrap_or_default()
    }

    fn is_xid(&self, type_name: &str, field: &str) -> bool {
        self.type_by_name(type_name)
            .and_then(|t| t.field(field))
            .is_some_and(|f| f.xid.is_some())
    }
}

/// Compiles a backend's SDL: validates it (Dgraph's errors on failure), generates the API
/// and builds the lookup tables.
pub fn compile(sdl: &str) -> Result<CompiledApi, graphcloud_schema::SchemaErrors> {
    let model = graphcloud_schema::parse(sdl)?;
    let api = model.api().clone();
    let mut c = CompiledApi::from_parts(sdl.to_string(), api, &model);
    for t in model.types() {
        if let Some(sec) = &t.secret {
            c.catalog
                .secrets
                .insert(t.name.clone(), (sec.field.clone(), sec.predicate.clone()));
        }
    }
    c.model = Some(model);
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_is_bounded_and_versioned() {
        let mk = || Arc::new(compile("type T { id: ID! name: String }").unwrap());
        let c = ApiCache::new(2);
        c.put(1, 1, mk());
        c.put(2, 1, mk());
        assert!(c.get(1, 1).is_some());
        assert!(c.get(1, 2).is_none(), "another schema version is a miss");
        c.put(3, 1, mk());
        assert_eq!(c.len(), 2);
        assert!(
            c.get(2, 1).is_none(),
            "the least recently used entry was evicted"
        );
        assert!(c.get(1, 1).is_some() && c.get(3, 1).is_some());
        c.evict(1);
        assert!(c.get(1, 1).is_none());
    }

    #[test]
    fn compile_reports_dgraph_errors() {
        let e = compile("type T { id: ID! name: String @search(by: [nope]) }")
            .err()
            .unwrap()
            .to_string();
        assert!(e.starts_with("input:1: "), "{e}");
    }
}
