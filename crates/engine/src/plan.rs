//! Prepared operations and their compiled plans.
//!
//! A request's query text is parsed and validated against the backend's generated API once;
//! the result ([`Prepared`]) is kept in one bounded cache shared by every backend, keyed by
//! the compiled API (unique per backend and schema version) and the text's hash (the text
//! itself is compared on a hit). A
//! repeated query does no parsing and no validation.
//!
//! For the common read shape a [`Plan`] is compiled from the prepared operation once: every
//! field resolved to its storage predicate, value kind and output check, fragments flattened,
//! response keys pre-escaped. [`crate::render`] executes a plan and writes the JSON response
//! bytes directly. What a plan does not cover (mutations, introspection, interfaces and
//! unions, directives other than `@include`/`@skip`, aggregates, `@lambda`, geo values, federation) has no plan
//! and runs on the generic executor; so does any request whose plan meets something it does
//! not answer itself at run time (an error, a missing non-null value): the generic executor
//! then produces exactly the same response it always did.

use std::hash::{Hash, Hasher};
use std::sync::{Arc, OnceLock};

use apollo_compiler::executable::{Field, Operation, Selection, SelectionSet};
use apollo_compiler::schema::ExtendedType;
use apollo_compiler::validation::Valid;
use apollo_compiler::{ExecutableDocument, Node};
use parking_lot::Mutex;

use crate::api::CompiledApi;
use crate::catalog::{FieldKind, ScalarKind, TypeKind};

/// A parsed, validated document and the operation a request selected in it.
pub struct Prepared {
    pub query: String,
    pub operation_name: Option<String>,
    pub doc: Valid<ExecutableDocument>,
    pub op: Node<Operation>,
    /// Whether input coercion must rewrite the document per request
    /// ([`crate::id_input::in_document`]); such documents have no plan.
    pub rewrite: bool,
    plan: OnceLock<Option<Plan>>,
}

impl Prepared {
    pub fn new(
        query: String,
        operation_name: Option<String>,
        doc: Valid<ExecutableDocument>,
        op: Node<Operation>,
        rewrite: bool,
    ) -> Prepared {
        Prepared {
            query,
            operation_name,
            doc,
            op,
            rewrite,
            plan: OnceLock::new(),
        }
    }

    /// The compiled plan of this operation, when the compiled path covers it (compiled on
    /// first use).
    /// The plan if it has been compiled already (never compiles it).
    pub fn compiled_plan(&self) -> Option<&Plan> {
        self.plan.get().and_then(Option::as_ref)
    }

    pub fn plan(&self, api: &CompiledApi) -> Option<&Plan> {
        self.plan
            .get_or_init(|| {
                if self.rewrite {
                    None
                } else {
                    compile(api, &self.doc, &self.op)
                }
            })
            .as_ref()
    }
}

/// Entries of the prepared-operation cache (all backends together).
pub const PREPARED_ENTRIES: usize = 4096;
/// Query text kept in the prepared-operation cache, in bytes (all backends together); a
/// parsed document takes a small multiple of its text.
pub const PREPARED_TEXT_BYTES: usize = 8 << 20;
/// Longer query texts are prepared per request and never cached.
pub const PREPARED_MAX_TEXT: usize = 64 << 10;

/// An API's id ([`CompiledApi::id`], unique per compiled schema) and the text's hash.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    api: u64,
    hash: u64,
}

/// The bounded cache of prepared operations shared by every backend.
pub struct PreparedCache {
    inner: Mutex<CacheInner>,
}

struct CacheInner {
    map: hashlink::LruCache<Key, Arc<Prepared>>,
    text_bytes: usize,
}

fn text_hash(query: &str, operation_name: Option<&str>) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    query.hash(&mut h);
    operation_name.hash(&mut h);
    h.finish()
}

impl Default for PreparedCache {
    fn default() -> Self {
        PreparedCache {
            inner: Mutex::new(CacheInner {
                map: hashlink::LruCache::new_unbounded(),
                text_bytes: 0,
            }),
        }
    }
}

impl PreparedCache {
    /// The prepared operation for exactly this text and operation name, if cached.
    pub fn get(
        &self,
        api: &CompiledApi,
        query: &str,
        operation_name: Option<&str>,
    ) -> Option<Arc<Prepared>> {
        let key = Key {
            api: api.id,
            hash: text_hash(query, operation_name),
        };
        let mut g = self.inner.lock();
        let p = g.map.get(&key)?;
        (p.query == query && p.operation_name.as_deref() == operation_name).then(|| p.clone())
    }

    /// Keeps `p` (evicting the least recently used entries beyond the bounds).
    pub fn put(&self, api: &CompiledApi, p: Arc<Prepared>) {
        if p.query.len() > PREPARED_MAX_TEXT {
            return;
        }
        let key = Key {
            api: api.id,
            hash: text_hash(&p.query, p.operation_name.as_deref()),
        };
        let mut g = self.inner.lock();
        g.text_bytes += p.query.len();
        if let Some(old) = g.map.insert(key, p) {
            g.text_bytes -= old.query.len();
        }
        while g.map.len() > PREPARED_ENTRIES || g.text_bytes > PREPARED_TEXT_BYTES {
            match g.map.remove_lru() {
                Some((_, old)) => g.text_bytes -= old.query.len(),
                None => break,
            }
        }
    }

    /// Entries held now.
    pub fn len(&self) -> usize {
        self.inner.lock().map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// An `@include(if:)` (`include: true`) or `@skip(if:)` condition on a field or on the
/// fragment holding it.
#[derive(Clone, Debug)]
pub struct Cond {
    pub include: bool,
    pub value: CondValue,
}

#[derive(Clone, Debug)]
pub enum CondValue {
    Const(bool),
    Variable(String),
}

impl Cond {
    /// Whether the field stays, given the request's coerced variables; `None` when a
    /// variable has no boolean value (the generic executor reports that).
    pub fn keeps(conds: &[Cond], vars: &apollo_compiler::response::JsonMap) -> Option<bool> {
        for c in conds {
            let v = match &c.value {
                CondValue::Const(b) => *b,
                CondValue::Variable(name) => vars.get(name.as_str())?.as_bool()?,
            };
            if v != c.include {
                return Some(false);
            }
        }
        Some(true)
    }
}

/// The conditions of a directive list; `None` when it holds any other directive.
fn conds_of(dirs: &apollo_compiler::executable::DirectiveList, out: &mut Vec<Cond>) -> Option<()> {
    use apollo_compiler::ast::Value;
    for d in dirs.iter() {
        let include = match d.name.as_str() {
            "include" => true,
            "skip" => false,
            _ => return None,
        };
        let value = match d.specified_argument_by_name("if")?.as_ref() {
            Value::Boolean(b) => CondValue::Const(*b),
            Value::Variable(v) => CondValue::Variable(v.to_string()),
            _ => return None,
        };
        out.push(Cond { include, value });
    }
    Some(())
}

/// A compiled query operation: its root fields in response order.
pub struct Plan {
    pub roots: Vec<RootSel>,
    /// The plan may be answered on the thread that received the request instead of being
    /// handed to a blocking thread (which costs more than a get-by-id itself): `get` roots
    /// only, forward edges without arguments (no filters to evaluate), no aggregates, at most
    /// [`INLINE_MAX_SELECTIONS`] selections. What it reads is bounded when it runs: past
    /// [`INLINE_MAX_NODES`] nodes it declines and runs on a blocking thread after all.
    pub inline: bool,
}

/// One root field of a compiled query.
pub struct RootSel {
    /// `"key":` with the response key JSON-escaped.
    pub key: String,
    /// `@include`/`@skip` conditions (of the field and the fragments around it).
    pub conds: Vec<Cond>,
    pub kind: RootKind,
}

pub enum RootKind {
    /// `__typename` on `Query`.
    Typename,
    /// `get<T>`: the field (for its arguments), the type and the object's selections.
    Get {
        field: Node<Field>,
        ty: String,
        sels: Vec<Sel>,
    },
    /// `query<T>`.
    Query {
        field: Node<Field>,
        ty: String,
        sels: Vec<Sel>,
    },
    /// `aggregate<T>`.
    Aggregate {
        field: Node<Field>,
        ty: String,
        sels: Vec<AggSel>,
    },
}

/// One selected field of a `TAggregateResult`.
pub struct AggSel {
    /// `"key":` with the response key JSON-escaped.
    pub key: String,
    pub conds: Vec<Cond>,
    /// `count`, `<f>Min`, … ; `None` for `__typename` (whose JSON string is `typename`).
    pub name: Option<String>,
    pub typename: String,
    pub leaf: Leaf,
    pub non_null: bool,
}

/// One selected field of a stored object type.
pub struct Sel {
    /// `"key":` with the response key JSON-escaped.
    pub key: String,
    /// `@include`/`@skip` conditions (of the field and the fragments around it).
    pub conds: Vec<Cond>,
    pub kind: SelKind,
}

/// The result check a leaf value must pass (the generic executor's result coercion).
#[derive(Clone, Debug)]
pub enum Leaf {
    Int,
    Float,
    String,
    Boolean,
    Id,
    Enum(Vec<String>),
    /// A custom scalar: any value.
    Any,
}

pub enum SelKind {
    /// `__typename`: the JSON string of the object's type name.
    Typename(String),
    /// The `ID` field: the node's uid.
    Id,
    /// A stored scalar or list of scalars: the field's name in the type's catalog entry.
    Scalar {
        field: String,
        kind: ScalarKind,
        leaf: Leaf,
    },
    /// An edge to an object type.
    Edge {
        /// The field (for its arguments) and its name in the type's catalog entry.
        node: Node<Field>,
        field: String,
        /// The target object type.
        target: String,
        sels: Vec<Sel>,
    },
    /// `<f>Aggregate` over the edge field `base`.
    Aggregate {
        node: Node<Field>,
        base: String,
        sels: Vec<AggSel>,
    },
    /// A nullable field that is never stored (a `@custom` field without a resolver here):
    /// always null.
    Null,
}

fn json_key(k: &str) -> String {
    let mut s = serde_json::to_string(k).unwrap_or_else(|_| "\"\"".into());
    s.push(':');
    s
}

/// Selections a plan may hold after fragment expansion; a larger operation (fragments
/// multiply: a document of a few lines can expand without bound) has no plan, and the generic
/// executor answers it under the request's budget.
pub const MAX_PLAN_SELECTIONS: usize = 5_000;

/// Selections an inline plan (see [`Plan::inline`]) may hold.
pub const INLINE_MAX_SELECTIONS: usize = 64;
/// Nodes an inline answer may read (see [`Plan::inline`]).
pub const INLINE_MAX_NODES: usize = 64;

/// Counts the selections compiled so far (`None` once over [`MAX_PLAN_SELECTIONS`]) and
/// whether any of them rules out an inline answer (see [`Plan::inline`]).
struct Size {
    n: usize,
    unbounded: bool,
}

impl Size {
    fn add(&mut self, n: usize) -> Option<()> {
        self.n += n;
        (self.n <= MAX_PLAN_SELECTIONS).then_some(())
    }
}

/// Compiles `op` when every part of it is covered by the compiled path.
pub fn compile(api: &CompiledApi, doc: &ExecutableDocument, op: &Operation) -> Option<Plan> {
    let mut size = Size {
        n: 0,
        unbounded: false,
    };
    if !op.is_query() || !op.directives.is_empty() {
        return None;
    }
    let mut fields: Vec<(&Node<Field>, Vec<Cond>)> = Vec::new();
    flatten(doc, &op.selection_set, "Query", &[], &mut fields)?;
    size.add(fields.len())?;
    let model = api.model.as_ref();
    let mut roots = Vec::with_capacity(fields.len());
    for (f, conds) in fields {
        let name = f.name.as_str();
        let key = json_key(f.response_key().as_str());
        if name == "__typename" {
            roots.push(RootSel {
                key,
                conds,
                kind: RootKind::Typename,
            });
            continue;
        }
        if crate::lambda::is_lambda_root(model, false, name) {
            return None;
        }
        if let Some(tname) = name.strip_prefix("aggregate")
            && api
                .catalog
                .get(tname)
                .is_some_and(|t| t.kind == TypeKind::Object)
        {
            let sels = compile_aggregate(api, doc, tname, &f.selection_set, &mut size)?;
            size.unbounded = true;
            roots.push(RootSel {
                key,
                conds,
                kind: RootKind::Aggregate {
                    field: (*f).clone(),
                    ty: tname.to_string(),
                    sels,
                },
            });
            continue;
        }
        let (is_get, tname) = if let Some(t) = name.strip_prefix("get") {
            (true, t)
        } else if let Some(t) = name.strip_prefix("query") {
            (false, t)
        } else {
            return None;
        };
        let ty = api.catalog.get(tname)?;
        if ty.kind != TypeKind::Object {
            return None;
        }
        let sels = compile_object(api, doc, tname, &f.selection_set, &mut size)?;
        size.unbounded |= !is_get;
        let field = (*f).clone();
        let ty = tname.to_string();
        roots.push(RootSel {
            key,
            conds,
            kind: if is_get {
                RootKind::Get { field, ty, sels }
            } else {
                RootKind::Query { field, ty, sels }
            },
        });
    }
    Some(Plan {
        roots,
        inline: !size.unbounded && size.n <= INLINE_MAX_SELECTIONS,
    })
}

/// The fields of `set` on object type `parent` in response order with their `@include` /
/// `@skip` conditions, fragments flattened; `None` when another directive, a fragment on
/// another type or a repeated response key (which would need field merging) is met.
fn flatten<'d>(
    doc: &'d ExecutableDocument,
    set: &'d SelectionSet,
    parent: &str,
    outer: &[Cond],
    out: &mut Vec<(&'d Node<Field>, Vec<Cond>)>,
) -> Option<()> {
    for sel in &set.selections {
        let mut conds = outer.to_vec();
        match sel {
            Selection::Field(f) => {
                conds_of(&f.directives, &mut conds)?;
                if out
                    .iter()
                    .any(|(o, _)| o.response_key() == f.response_key())
                {
                    return None;
                }
                out.push((f, conds));
            }
            Selection::InlineFragment(i) => {
                conds_of(&i.directives, &mut conds)?;
                if i.type_condition.as_ref().is_some_and(|c| c != parent) {
                    return None;
                }
                flatten(doc, &i.selection_set, parent, &conds, out)?;
            }
            Selection::FragmentSpread(s) => {
                let fr = doc.fragments.get(&s.fragment_name)?;
                conds_of(&s.directives, &mut conds)?;
                if !fr.directives.is_empty() || fr.type_condition() != parent {
                    return None;
                }
                flatten(doc, &fr.selection_set, parent, &conds, out)?;
            }
        }
    }
    Some(())
}

fn leaf_of(api: &CompiledApi, type_name: &str) -> Option<Leaf> {
    Some(match type_name {
        "Int" => Leaf::Int,
        "Float" => Leaf::Float,
        "String" => Leaf::String,
        "Boolean" => Leaf::Boolean,
        "ID" => Leaf::Id,
        other => match api.api.types.get(other)? {
            ExtendedType::Enum(e) => Leaf::Enum(e.values.keys().map(|k| k.to_string()).collect()),
            ExtendedType::Scalar(_) => Leaf::Any,
            _ => return None,
        },
    })
}

fn compile_object(
    api: &CompiledApi,
    doc: &ExecutableDocument,
    tname: &str,
    set: &SelectionSet,
    size: &mut Size,
) -> Option<Vec<Sel>> {
    let ty = api.catalog.get(tname)?;
    let mut fields: Vec<(&Node<Field>, Vec<Cond>)> = Vec::new();
    flatten(doc, set, tname, &[], &mut fields)?;
    size.add(fields.len())?;
    let model = api.model.as_ref();
    let mut out = Vec::with_capacity(fields.len());
    for (f, conds) in fields {
        let name = f.name.as_str();
        let key = json_key(f.response_key().as_str());
        if name == "__typename" {
            out.push(Sel {
                key,
                conds,
                kind: SelKind::Typename(serde_json::to_string(tname).ok()?),
            });
            continue;
        }
        let fi = ty.fields.get(name)?;
        let kind = match &fi.kind {
            FieldKind::Id => SelKind::Id,
            FieldKind::Scalar(k) => {
                if matches!(
                    k,
                    ScalarKind::Point | ScalarKind::Polygon | ScalarKind::MultiPolygon
                ) {
                    return None;
                }
                SelKind::Scalar {
                    field: name.to_string(),
                    kind: *k,
                    leaf: leaf_of(api, &fi.target)?,
                }
            }
            FieldKind::Edge => {
                let tt = api.catalog.get(&fi.target)?;
                if tt.kind != TypeKind::Object {
                    return None;
                }
                size.unbounded |= fi.reverse || !f.arguments.is_empty();
                SelKind::Edge {
                    node: f.clone(),
                    field: name.to_string(),
                    target: fi.target.clone(),
                    sels: compile_object(api, doc, &fi.target, &f.selection_set, size)?,
                }
            }
            FieldKind::Unstored => {
                if fi.non_null || crate::lambda::is_lambda_field(model, tname, name) {
                    return None;
                }
                SelKind::Null
            }
            FieldKind::Aggregate(base) => {
                let bf = ty.fields.get(base)?;
                let tt = api.catalog.get(&bf.target)?;
                if tt.kind != TypeKind::Object {
                    return None;
                }
                size.unbounded = true;
                SelKind::Aggregate {
                    node: f.clone(),
                    base: base.clone(),
                    sels: compile_aggregate(api, doc, &bf.target, &f.selection_set, size)?,
                }
            }
        };
        out.push(Sel { key, conds, kind });
    }
    Some(out)
}

/// The selection of a `TAggregateResult` for stored object type `tname`.
fn compile_aggregate(
    api: &CompiledApi,
    doc: &ExecutableDocument,
    tname: &str,
    set: &SelectionSet,
    size: &mut Size,
) -> Option<Vec<AggSel>> {
    let result_type = format!("{tname}AggregateResult");
    let def = match api.api.types.get(result_type.as_str())? {
        ExtendedType::Object(o) => o,
        _ => return None,
    };
    let mut fields: Vec<(&Node<Field>, Vec<Cond>)> = Vec::new();
    flatten(doc, set, &result_type, &[], &mut fields)?;
    size.add(fields.len())?;
    let typename = serde_json::to_string(&result_type).ok()?;
    let mut out = Vec::with_capacity(fields.len());
    for (f, conds) in fields {
        let key = json_key(f.response_key().as_str());
        let name = f.name.as_str();
        if name == "__typename" {
            out.push(AggSel {
                key,
                conds,
                name: None,
                typename: typename.clone(),
                leaf: Leaf::Any,
                non_null: false,
            });
            continue;
        }
        let fd = def.fields.get(name)?;
        out.push(AggSel {
            key,
            conds,
            name: Some(name.to_string()),
            typename: String::new(),
            leaf: leaf_of(api, fd.ty.inner_named_type())?,
            non_null: fd.ty.is_non_null(),
        });
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::compile as compile_api;

    fn prepared(api: &CompiledApi, query: &str) -> Arc<Prepared> {
        let doc = ExecutableDocument::parse_and_validate(&api.api, query, "q.graphql").unwrap();
        let op = doc.operations.iter().next().unwrap().clone();
        Arc::new(Prepared::new(query.to_string(), None, doc, op, false))
    }

    #[test]
    fn cache_is_keyed_by_api_and_text_and_bounded() {
        let a = compile_api("type T { id: ID! name: String }").unwrap();
        let b = compile_api("type T { id: ID! name: String }").unwrap();
        assert_ne!(a.id, b.id, "every compiled API has its own id");
        let c = PreparedCache::default();
        c.put(&a, prepared(&a, "{ queryT { name } }"));
        assert!(c.get(&a, "{ queryT { name } }", None).is_some());
        assert!(
            c.get(&b, "{ queryT { name } }", None).is_none(),
            "another schema (version) never sees this entry"
        );
        assert!(c.get(&a, "{ queryT { id } }", None).is_none());
        assert!(
            c.get(&a, "{ queryT { name } }", Some("Op")).is_none(),
            "the operation name is part of the key"
        );
        for i in 0..PREPARED_ENTRIES + 10 {
            c.put(&a, prepared(&a, &format!("{{ q{i}: queryT {{ name }} }}")));
        }
        assert_eq!(c.len(), PREPARED_ENTRIES);
        assert!(
            c.get(&a, "{ queryT { name } }", None).is_none(),
            "the least recently used entry was evicted"
        );
    }

    #[test]
    fn plans_cover_the_common_shapes_and_leave_the_rest() {
        let api = compile_api(
            "type T { id: ID! name: String kids: [T] } interface I { id: ID! } type U implements I { x: Int }",
        )
        .unwrap();
        let plan = |q: &str| {
            let p = prepared(&api, q);
            compile(&api, &p.doc, &p.op).is_some()
        };
        assert!(plan("{ queryT(first: 2) { id name kids { name } } }"));
        assert!(plan(
            "query($s: Boolean!) { getT(id: \"0x1\") { name @skip(if: $s) } }"
        ));
        assert!(plan("{ aggregateT { count } }"));
        assert!(plan("fragment F on T { name } { queryT { ...F } }"));
        assert!(!plan("{ queryI { id } }"), "interfaces stay generic");
        assert!(
            !plan("{ queryT @cascade { name } }"),
            "@cascade stays generic"
        );
        assert!(!plan("{ __schema { types { name } } }"));
        assert!(!plan("mutation { deleteT(filter: {}) { numUids } }"));
    }

    #[test]
    fn only_plans_that_read_a_few_nodes_run_inline() {
        let api = compile_api("type T { id: ID! name: String best: T kids: [T] }").unwrap();
        let inline = |q: &str| {
            let p = prepared(&api, q);
            compile(&api, &p.doc, &p.op).unwrap().inline
        };
        assert!(inline("{ getT(id: \"0x1\") { id name } }"));
        assert!(inline(
            "{ a: getT(id: \"0x1\") { name best { name best { id } } } __typename }"
        ));
        assert!(!inline("{ queryT(first: 1) { name } }"), "a list root");
        assert!(!inline("{ aggregateT { count } }"));
        assert!(inline(
            "{ getT(id: \"0x1\") { kids { name best { id } } } }"
        ));
        assert!(
            !inline("{ getT(id: \"0x1\") { kids(first: 2) { name } } }"),
            "an edge with arguments"
        );
        assert!(
            !inline("{ getT(id: \"0x1\") { best(filter: {id: [\"0x2\"]}) { name } } }"),
            "a filtered edge"
        );
        assert!(
            !inline("{ getT(id: \"0x1\") { kidsAggregate { count } } }"),
            "an aggregate over an edge"
        );
        let wide: String = (0..INLINE_MAX_SELECTIONS)
            .map(|i| format!("n{i}: name "))
            .collect();
        assert!(!inline(&format!("{{ getT(id: \"0x1\") {{ {wide} }} }}")));
        let fits: String = (1..INLINE_MAX_SELECTIONS)
            .map(|i| format!("n{i}: name "))
            .collect();
        assert!(inline(&format!("{{ getT(id: \"0x1\") {{ {fits} }} }}")));
    }
}
