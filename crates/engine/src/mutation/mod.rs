//! The generated API's mutations: `add<T>`, `update<T>` and `delete<T>` (spec R.4, R.5).
//!
//! Each function runs inside one store write transaction ([`GraphWrite`]): it either
//! returns the outcome and the caller commits, or returns an error and nothing of it may be
//! kept. Inputs arrive coerced against the generated API; what the validator cannot check
//! (xid existence and uniqueness, id references, union refs, DateTime syntax, password
//! length, required fields of nested new nodes) is checked here with Dgraph's error texts.
//!
//! Rules kept here:
//! * add: every input object creates a node carrying its `dgraph.type` values, unless it is
//!   a reference (an `ID` → must exist and be of the expected type; `@id` values → link to
//!   the existing node, or create it). Linked nodes are never modified. A top-level object
//!   whose xid exists is an error unless `upsert: true`, which updates that node instead.
//! * `@hasInverse` edges are written on both sides; when the partner field is singular the
//!   node is first unlinked from its previous partner. A nested object's field that is the
//!   *singular* partner of the field it hangs from is ignored (the link back fills it); a
//!   *list* partner is written like any other field.
//! * Nested objects are walked field by field in alphabetical order of the field names, as
//!   Dgraph does: which repeated key is a duplicate depends on it.
//! * update: `set` overwrites scalars, adds list elements and links/creates nested nodes
//!   (once, linked to every matched node); `remove` deletes equal values, list elements,
//!   whole predicates (`null`) and edges to referenced nodes.
//! * delete: every predicate and type of the node, the partner edges of `@hasInverse`
//!   fields, and the forward edges behind reverse (`~p`) fields.
//!
//! Storage conventions shared with the query side: a field mapped to one language tag
//! (`@dgraph(pred: "p@hi")`) is written under the predicate name `p@hi`; the `ID` key of an
//! `@extends` type is stored as a string under its own predicate (`T.id`).
//!
//! Not here: `@auth` rules and `@lambdaOnMutate` webhooks (later issues), payload rendering
//! (the executor re-queries the returned roots).

pub mod coerce;
pub mod meta;
pub mod store_write;
pub mod write;

use std::collections::HashMap;

use apollo_compiler::response::{JsonMap, JsonValue};
use serde_json::Value as Json;
use time::OffsetDateTime;

use crate::catalog::{FieldInfo, FieldKind, ScalarKind, TypeInfo, TypeKind};
use crate::filter::lower_first;
use crate::graph::Val;
use crate::{EngineError, ExecCtx, MutationOutcome};
use coerce::{CoerceError, ScalarKind as CKind, coerce, parse_uid, parse_uid_number};
use meta::Meta;
pub use write::{GraphWrite, WriteError};

/// Runs `add<T>(input, upsert)`.
pub fn add(
    ctx: &ExecCtx,
    txn: &mut dyn GraphWrite,
    type_name: &str,
    input: &JsonValue,
    upsert: bool,
) -> Result<MutationOutcome, EngineError> {
    let meta = Meta::new(&ctx.api.catalog, &ctx.api.api, ctx.api.model.as_ref());
    let mut m = Mutator::new(meta, txn, format!("add{type_name}"), ctx.now);
    m.add(type_name, input, upsert)
}

/// Runs `update<T>(input: {filter, set, remove})`.
pub fn update(
    ctx: &ExecCtx,
    txn: &mut dyn GraphWrite,
    type_name: &str,
    input: &JsonValue,
) -> Result<MutationOutcome, EngineError> {
    let uids = match input.as_object().and_then(|o| o.get("filter")) {
        Some(f) => crate::select_uids(ctx, &*txn, type_name, f)
            .map_err(|e| rewrite(&format!("update{type_name}"), e))?,
        None => Vec::new(),
    };
    let meta = Meta::new(&ctx.api.catalog, &ctx.api.api, ctx.api.model.as_ref());
    let mut m = Mutator::new(meta, txn, format!("update{type_name}"), ctx.now);
    m.update(type_name, uids, input)
}

/// Runs `delete<T>(filter)`; the outcome's roots are the deleted nodes.
pub fn delete(
    ctx: &ExecCtx,
    txn: &mut dyn GraphWrite,
    type_name: &str,
    filter: &JsonValue,
) -> Result<MutationOutcome, EngineError> {
    let uids = crate::select_uids(ctx, &*txn, type_name, filter)
        .map_err(|e| rewrite(&format!("delete{type_name}"), e))?;
    let meta = Meta::new(&ctx.api.catalog, &ctx.api.api, ctx.api.model.as_ref());
    let mut m = Mutator::new(meta, txn, format!("delete{type_name}"), ctx.now);
    m.delete(uids)
}

/// `msg` of a delete payload.
pub fn delete_msg(outcome: &MutationOutcome) -> &'static str {
    if outcome.num_uids > 0 {
        "Deleted"
    } else {
        "No nodes were deleted"
    }
}

fn rewrite(mutation: &str, e: EngineError) -> EngineError {
    match e {
        EngineError::Mutation(m) => EngineError::Mutation(m),
        other => EngineError::Mutation(format!(
            "couldn't rewrite mutation {mutation} because {other}"
        )),
    }
}

/// What went wrong while writing; turned into the client-visible text by [`Mutator::err`].
enum Fail {
    /// A problem with the mutation's input (`failed to rewrite mutation payload because …`).
    Payload(String),
    /// Any other problem (store, reads).
    Other(String),
}

impl From<WriteError> for Fail {
    fn from(e: WriteError) -> Self {
        Fail::Other(e.0)
    }
}

impl From<crate::graph::ReadError> for Fail {
    fn from(e: crate::graph::ReadError) -> Self {
        Fail::Other(e.0)
    }
}

impl From<CoerceError> for Fail {
    fn from(e: CoerceError) -> Self {
        Fail::Payload(e.0)
    }
}

type R<T> = Result<T, Fail>;

/// One xid value seen in this request: the node it named, the object it came with, and
/// whether it appeared as a top-level input object.
struct SeenXid {
    uid: u64,
    object: JsonMap,
    top: bool,
}

struct Mutator<'a, 'w> {
    meta: Meta<'a>,
    w: &'w mut dyn GraphWrite,
    name: String,
    now: OffsetDateTime,
    /// Nodes created so far: uid, type, and the input fields given non-null.
    created: Vec<(u64, String, Vec<String>)>,
    xids: HashMap<(String, String, String), SeenXid>,
}

fn to_json(v: &JsonValue) -> Json {
    serde_json::to_value(v).unwrap_or(Json::Null)
}

fn ckind(k: ScalarKind) -> CKind {
    match k {
        ScalarKind::Int => CKind::Int,
        ScalarKind::Int64 => CKind::Int64,
        ScalarKind::Float => CKind::Float,
        ScalarKind::String | ScalarKind::Enum => CKind::String,
        ScalarKind::Boolean => CKind::Bool,
        ScalarKind::DateTime => CKind::DateTime,
        ScalarKind::Point => CKind::Point,
        ScalarKind::Polygon => CKind::Polygon,
        ScalarKind::MultiPolygon => CKind::MultiPolygon,
    }
}

/// Text of an xid value as Dgraph prints it in error messages.
fn xid_text(v: &JsonValue) -> String {
    match v {
        JsonValue::String(s) => s.as_str().to_string(),
        other => other.to_string(),
    }
}

fn list_of(v: &JsonValue) -> Vec<&JsonValue> {
    match v {
        JsonValue::Array(a) => a.iter().filter(|x| !x.is_null()).collect(),
        JsonValue::Null => Vec::new(),
        other => vec![other],
    }
}

impl<'a, 'w> Mutator<'a, 'w> {
    fn new(meta: Meta<'a>, w: &'w mut dyn GraphWrite, name: String, now: OffsetDateTime) -> Self {
        Mutator {
            meta,
            w,
            name,
            now,
            created: Vec::new(),
            xids: HashMap::new(),
        }
    }

    fn err(&self, f: Fail) -> EngineError {
        match f {
            Fail::Payload(m) => EngineError::Mutation(format!(
                "couldn't rewrite mutation {} because failed to rewrite mutation payload because {m}",
                self.name
            )),
            Fail::Other(m) => {
                EngineError::Mutation(format!("mutation {} failed because {m}", self.name))
            }
        }
    }

    fn ty(&self, name: &str) -> R<&'a TypeInfo> {
        self.meta
            .ty(name)
            .ok_or_else(|| Fail::Other(format!("type {name} is not part of the API")))
    }

    // ---------------------------------------------------------------- add

    fn add(
        &mut self,
        type_name: &str,
        input: &JsonValue,
        upsert: bool,
    ) -> Result<MutationOutcome, EngineError> {
        let run = |m: &mut Self| -> R<Vec<u64>> {
            let ty = m.ty(type_name)?;
            let mut roots = Vec::new();
            for obj in list_of(input) {
                let o = obj.as_object().ok_or_else(|| {
                    Fail::Payload(format!("input for {type_name} must be an object"))
                })?;
                roots.push(m.add_top(ty, o, upsert)?);
            }
            m.check_required()?;
            Ok(roots)
        };
        let roots = run(self).map_err(|f| self.err(f))?;
        if self.created.is_empty() && !upsert {
            return Err(self.err(Fail::Other("no new node was created".to_string())));
        }
        Ok(MutationOutcome {
            root_uids: roots,
            num_uids: self.created.len(),
        })
    }

    /// One top-level input object of `add<T>`.
    fn add_top(&mut self, ty: &'a TypeInfo, o: &JsonMap, upsert: bool) -> R<u64> {
        if let Some(found) = self.find_by_stored_id(ty, o)? {
            if !upsert {
                let v = o
                    .get(ty.id_field.as_deref().unwrap_or("id"))
                    .map(xid_text)
                    .unwrap_or_default();
                return Err(Fail::Payload(format!(
                    "id {v} already exists for type {}",
                    ty.name
                )));
            }
            self.write_fields(ty, found, o, &[])?;
            return Ok(found);
        }
        let given = self.given_xids(ty, o)?;
        // A key seen before in this request: twice at top level, or two differing
        // definitions, is a duplicate; a node defined or referenced deeper up to now and
        // created by this request takes this object's fields.
        let mut merged = None;
        for (f, v) in &given {
            let key = self.xid_key(ty, f, v);
            if let Some(seen) = self.xids.get(&key) {
                if seen.top
                    || (!self.reference_only(ty, &seen.object)
                        && !self.reference_only(ty, o)
                        && seen.object != *o)
                {
                    return Err(Fail::Payload(format!(
                        "duplicate XID found: {}",
                        xid_text(v)
                    )));
                }
                if self.created_here(seen.uid) {
                    merged = Some(seen.uid);
                }
            }
        }
        if let Some(uid) = merged {
            self.define(ty, uid, o)?;
            self.remember(ty, &given, uid, o, true);
            return Ok(uid);
        }
        // Existing nodes with these key values.
        let mut found: Vec<u64> = Vec::new();
        for (f, v) in &given {
            let hits = self.find_by_xid(ty, f, v)?;
            if let Some(&(uid, ref scope_ok)) = hits.first() {
                if !upsert || !*scope_ok {
                    return Err(Fail::Payload(self.exists_msg(ty, f, v, *scope_ok)));
                }
                if !found.contains(&uid) {
                    found.push(uid);
                }
            }
        }
        if found.len() > 1 {
            return Err(Fail::Payload(
                "multiple nodes found for given xid values, updation not possible".to_string(),
            ));
        }
        let uid = match found.first() {
            Some(&uid) => {
                // The keys name this node for the nested objects written next (as `create`
                // does for a new node). An upsert updates the node it found but never its keys.
                self.remember(ty, &given, uid, o, true);
                let keys: Vec<&str> = ty.xids.iter().map(String::as_str).collect();
                self.write_fields(ty, uid, o, &keys)?;
                uid
            }
            None => self.create(ty, o)?,
        };
        self.remember(ty, &given, uid, o, true);
        Ok(uid)
    }

    /// Records the keys of an input object as naming `uid` (a definition replaces an
    /// earlier reference-only record).
    fn remember(
        &mut self,
        ty: &TypeInfo,
        given: &[(&str, &JsonValue)],
        uid: u64,
        o: &JsonMap,
        top: bool,
    ) {
        for (f, v) in given {
            let key = self.xid_key(ty, f, v);
            let definition = !self.reference_only(ty, o);
            match self.xids.get_mut(&key) {
                Some(seen) => {
                    seen.top |= top;
                    if definition {
                        seen.object = o.clone();
                    }
                }
                None => {
                    self.xids.insert(
                        key,
                        SeenXid {
                            uid,
                            object: o.clone(),
                            top,
                        },
                    );
                }
            }
        }
    }

    /// Whether an input object names a node only by its keys (every non-null entry is an
    /// `@id` field).
    fn reference_only(&self, ty: &TypeInfo, o: &JsonMap) -> bool {
        o.iter()
            .all(|(k, x)| x.is_null() || ty.xids.iter().any(|xf| xf == k.as_str()))
    }

    fn created_here(&self, uid: u64) -> bool {
        self.created.iter().any(|c| c.0 == uid)
    }

    /// Applies a definition to a node this request created from an earlier reference.
    fn define(&mut self, ty: &'a TypeInfo, uid: u64, o: &JsonMap) -> R<()> {
        if let Some(c) = self.created.iter_mut().find(|c| c.0 == uid) {
            for (k, v) in o.iter() {
                let k = k.as_str().to_string();
                if !v.is_null() && !c.2.contains(&k) {
                    c.2.push(k);
                }
            }
        }
        self.write_fields(ty, uid, o, &[])
    }

    /// For an `@extends` type keyed by its `ID` field: the existing node with the given key.
    fn find_by_stored_id(&self, ty: &TypeInfo, o: &JsonMap) -> R<Option<u64>> {
        let Some(pred) = self.meta.stored_id_pred(&ty.name) else {
            return Ok(None);
        };
        let Some(v) = ty
            .id_field
            .as_ref()
            .and_then(|f| o.get(f.as_str()))
            .filter(|v| !v.is_null())
        else {
            return Ok(None);
        };
        let val = Val::Str(xid_text(v));
        let candidates = match self.w.lookup_eq(&pred, &val)? {
            Some(c) => c,
            None => self.w.type_uids(&ty.storage)?,
        };
        for uid in candidates {
            if self.meta.node_is(&ty.name, &self.w.node_types(uid)?)
                && self.w.scalars(uid, &pred)?.iter().any(|x| x.equals(&val))
            {
                return Ok(Some(uid));
            }
        }
        Ok(None)
    }

    fn exists_msg(&self, ty: &TypeInfo, f: &str, v: &JsonValue, same_type: bool) -> String {
        match self.meta.xid_interface(&ty.name, f) {
            Some(iface) if !same_type => format!(
                "id {} already exists for field {f} in some other implementing type of interface {iface}",
                xid_text(v)
            ),
            _ => format!(
                "id {} already exists for field {f} inside type {}",
                xid_text(v),
                ty.name
            ),
        }
    }

    /// The xid fields given (non-null) in an input object, in declaration order; an empty
    /// string is an error.
    fn given_xids<'o>(&self, ty: &'a TypeInfo, o: &'o JsonMap) -> R<Vec<(&'a str, &'o JsonValue)>> {
        let mut out = Vec::new();
        for x in &ty.xids {
            if let Some(v) = o.get(x.as_str())
                && !v.is_null()
            {
                if v.as_str() == Some("") {
                    return Err(Fail::Payload(format!(
                        "encountered an empty value for @id field `{x}`"
                    )));
                }
                out.push((x.as_str(), v));
            }
        }
        Ok(out)
    }

    /// Request-level identity of an xid value: its uniqueness scope, field and value.
    fn xid_key(&self, ty: &TypeInfo, f: &str, v: &JsonValue) -> (String, String, String) {
        // Keys are unique per type, or across an interface for `@id(interface: true)`.
        let scope = self
            .meta
            .xid_interface(&ty.name, f)
            .unwrap_or_else(|| ty.name.clone());
        (scope, f.to_string(), xid_text(v))
    }

    /// Nodes whose xid `f` equals `v` within the key's scope: `(uid, is of type ty)`.
    fn find_by_xid(&self, ty: &TypeInfo, f: &str, v: &JsonValue) -> R<Vec<(u64, bool)>> {
        let fi = ty
            .fields
            .get(f)
            .ok_or_else(|| Fail::Other(format!("unknown field {f}")))?;
        let FieldKind::Scalar(k) = fi.kind else {
            return Ok(Vec::new());
        };
        let val = coerce(ckind(k), &to_json(v))?;
        let scope = self
            .meta
            .xid_interface(&ty.name, f)
            .unwrap_or_else(|| ty.name.clone());
        let candidates = match self.w.lookup_eq(&fi.pred, &val)? {
            Some(c) => c,
            None => {
                let mut all = Vec::new();
                for s in self.meta.cat.storage_names(&scope) {
                    all.extend(self.w.type_uids(&s)?);
                }
                all.sort_unstable();
                all.dedup();
                all
            }
        };
        let mut out = Vec::new();
        for uid in candidates {
            let types = self.w.node_types(uid)?;
            if !self.meta.node_is(&scope, &types) {
                continue;
            }
            if !self
                .w
                .scalars(uid, &fi.pred)?
                .iter()
                .any(|x| x.equals(&val))
            {
                continue;
            }
            out.push((uid, self.meta.node_is(&ty.name, &types)));
        }
        Ok(out)
    }

    /// Creates a node of the object type `ty` from an input object.
    fn create(&mut self, ty: &'a TypeInfo, o: &JsonMap) -> R<u64> {
        if ty.kind != TypeKind::Object {
            return Err(Fail::Payload(format!(
                "{} is an {} and cannot be created; give an id of an existing node",
                ty.name,
                if ty.kind == TypeKind::Interface {
                    "interface"
                } else {
                    "union"
                }
            )));
        }
        let uid = self.w.new_uid()?;
        for t in self.meta.dgraph_types(&ty.name) {
            self.w.add_type(uid, &t)?;
        }
        let given: Vec<String> = o
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, _)| k.as_str().to_string())
            .collect();
        self.created.push((uid, ty.name.clone(), given));
        // Later objects of this request that name one of these keys mean this node.
        let given = self.given_xids(ty, o)?;
        self.remember(ty, &given, uid, o, false);
        self.write_fields(ty, uid, o, &[])?;
        for (fi, text) in self.meta.defaulted_fields(&ty.name, true) {
            if o.get(fi.name.as_str()).is_none_or(JsonValue::is_null) {
                self.write_default(uid, fi, &text)?;
            }
        }
        Ok(uid)
    }

    fn write_default(&mut self, uid: u64, fi: &FieldInfo, text: &str) -> R<()> {
        let FieldKind::Scalar(k) = fi.kind else {
            return Ok(());
        };
        let val = if text == "$now" && k == ScalarKind::DateTime {
            Val::DateTime(self.now)
        } else {
            let j = match k {
                ScalarKind::Int | ScalarKind::Int64 => {
                    Json::from(text.parse::<i64>().map_err(|_| {
                        Fail::Payload(format!(
                            "invalid default value {text} for field {}",
                            fi.name
                        ))
                    })?)
                }
                ScalarKind::Float => {
                    serde_json::Number::from_f64(text.parse::<f64>().map_err(|_| {
                        Fail::Payload(format!(
                            "invalid default value {text} for field {}",
                            fi.name
                        ))
                    })?)
                    .map(Json::Number)
                    .unwrap_or(Json::Null)
                }
                ScalarKind::Boolean => Json::Bool(text == "true"),
                _ => Json::String(text.to_string()),
            };
            coerce(ckind(k), &j)?
        };
        if fi.list {
            self.w.add_scalar(uid, &fi.pred, val)?;
        } else {
            self.w.set_scalar(uid, &fi.pred, val)?;
        }
        Ok(())
    }

    /// Writes the fields of an input object onto node `uid` of type `ty`.
    /// `skip` names fields to leave out: the keys of an upserted node.
    fn write_fields(&mut self, ty: &'a TypeInfo, uid: u64, o: &JsonMap, skip: &[&str]) -> R<()> {
        self.write_scalars(ty, uid, o, skip)?;
        self.write_edges(ty, &[uid], o, skip)
    }

    /// The non-edge fields of an input object. They come before the edges, so nested
    /// objects that refer back to this node find its keys.
    fn write_scalars(&mut self, ty: &'a TypeInfo, uid: u64, o: &JsonMap, skip: &[&str]) -> R<()> {
        let secret = self.meta.secret(&ty.name);
        for (key, v) in o.iter() {
            let key = key.as_str();
            if v.is_null() || skip.contains(&key) {
                continue;
            }
            if let Some(s) = &secret
                && s.field == key
            {
                let val = coerce(CKind::Password, &to_json(v))?;
                self.w.set_scalar(uid, &s.pred, val)?;
                continue;
            }
            let Some(fi) = ty.fields.get(key) else {
                continue;
            };
            if fi.reverse {
                continue;
            }
            match &fi.kind {
                FieldKind::Scalar(k) => {
                    let pred = self.meta.scalar_pred(&ty.name, fi);
                    if fi.list {
                        for item in list_of(v) {
                            let val = coerce(ckind(*k), &to_json(item))?;
                            self.w.add_scalar(uid, &pred, val)?;
                        }
                    } else {
                        let val = coerce(ckind(*k), &to_json(v))?;
                        self.w.set_scalar(uid, &pred, val)?;
                    }
                }
                FieldKind::Id => {
                    if let Some(pred) = self.meta.stored_id_pred(&ty.name) {
                        self.w.set_scalar(uid, &pred, Val::Str(xid_text(v)))?;
                    }
                }
                FieldKind::Edge | FieldKind::Aggregate(_) | FieldKind::Unstored => {}
            }
        }
        Ok(())
    }

    /// The edge fields of an input object, for every node in `uids` (several when an update
    /// matched several): each nested object is resolved (found or created) once and linked
    /// to every one of them. Fields are walked in alphabetical order of their names, the
    /// order Dgraph walks them in (which repeated key is the duplicate, and which link of a
    /// singular field comes last, depend on it).
    fn write_edges(&mut self, ty: &'a TypeInfo, uids: &[u64], o: &JsonMap, skip: &[&str]) -> R<()> {
        let mut edges: Vec<(&str, &JsonValue, &FieldInfo)> = o
            .iter()
            .filter(|(k, v)| !v.is_null() && !skip.contains(&k.as_str()))
            .filter_map(|(k, v)| {
                let fi = ty.fields.get(k.as_str())?;
                (fi.kind == FieldKind::Edge && !fi.reverse).then_some((k.as_str(), v, fi))
            })
            .collect();
        edges.sort_by(|a, b| a.0.cmp(b.0));
        for (_, v, fi) in edges {
            for (i, item) in list_of(v).iter().enumerate() {
                let idx = fi.list.then_some(i);
                let target = self.resolve_ref(ty, fi, idx, item)?;
                for &uid in uids {
                    self.link(ty, uid, fi, target)?;
                }
            }
        }
        Ok(())
    }

    /// The node an object-valued input names: an existing node (by id or xid) or a new one.
    fn resolve_ref(
        &mut self,
        parent: &TypeInfo,
        fi: &FieldInfo,
        idx: Option<usize>,
        v: &JsonValue,
    ) -> R<u64> {
        let o = v.as_object().ok_or_else(|| {
            Fail::Payload(format!("value for field `{}` must be an object", fi.name))
        })?;
        let target = self.ty(&fi.target)?;
        if target.kind == TypeKind::Union {
            // Every given key counts, an explicit `null` too.
            let given: Vec<(&str, &JsonValue)> = o.iter().map(|(k, x)| (k.as_str(), x)).collect();
            if given.len() != 1 {
                let at = idx.map(|i| format!("index `{i}` ")).unwrap_or_default();
                return Err(Fail::Payload(format!(
                    "value for field `{}` in type `{}` {at}must have exactly one child, found {} children",
                    fi.name,
                    parent.name,
                    given.len()
                )));
            }
            let (key, child) = given[0];
            let member = target
                .concrete
                .iter()
                .find(|m| format!("{}Ref", lower_first(m)) == key)
                .ok_or_else(|| Fail::Payload(format!("unknown union member reference `{key}`")))?
                .clone();
            let mt = self.ty(&member)?;
            let co = child
                .as_object()
                .ok_or_else(|| Fail::Payload(format!("value for `{key}` must be an object")))?;
            return self.resolve_typed(mt, co, None);
        }
        let inv = self.meta.inverse(&parent.name, &fi.name);
        self.resolve_typed(target, o, inv.as_ref())
    }

    /// `inv` is the partner of the field the object hangs from. A *singular* partner's value
    /// in the object is ignored: the link back to the parent fills that field, so anything
    /// else there would be overwritten at once. A *list* partner keeps what the object gives
    /// (the parent joins that list). A key repeated under a singular partner names a node with
    /// two parents — a duplicate.
    fn resolve_typed(
        &mut self,
        ty: &'a TypeInfo,
        o: &JsonMap,
        inv: Option<&meta::Inverse>,
    ) -> R<u64> {
        let single_inv = inv.filter(|i| !i.list);
        let stripped;
        let o = match single_inv.filter(|i| o.contains_key(i.field.as_str())) {
            Some(i) => {
                let mut m = o.clone();
                m.remove(i.field.as_str());
                stripped = m;
                &stripped
            }
            None => o,
        };
        // An `@extends` type's key: link when it exists, else create.
        if self.meta.stored_id_pred(&ty.name).is_some()
            && ty
                .id_field
                .as_ref()
                .is_some_and(|f| o.get(f.as_str()).is_some_and(|v| !v.is_null()))
        {
            return match self.find_by_stored_id(ty, o)? {
                Some(uid) => Ok(uid),
                None => self.create(ty, o),
            };
        }
        // Reference by ID.
        if let Some(idf) = &ty.id_field
            && let Some(idv) = o.get(idf.as_str())
            && !idv.is_null()
        {
            let text = xid_text(idv);
            let not_a = || Fail::Payload(format!("ID \"{text}\" isn't a {}", ty.name));
            // `0x0` is a well-formed id of no node.
            let uid = parse_uid_number(&text).ok_or_else(|| {
                Fail::Payload(format!("ID argument ({text}) was not able to be parsed"))
            })?;
            if uid == 0 {
                return Err(not_a());
            }
            let types = self.w.node_types(uid)?;
            if !self.meta.node_is(&ty.name, &types) {
                return Err(not_a());
            }
            return Ok(uid);
        }
        // Reference by xid: link when it exists, else create.
        let given = self.given_xids(ty, o)?;
        if !given.is_empty() {
            let mut seen_uid = None;
            let mut definition = false;
            for (f, v) in &given {
                let key = self.xid_key(ty, f, v);
                if let Some(seen) = self.xids.get(&key) {
                    let old_ref = self.reference_only(ty, &seen.object);
                    let new_ref = self.reference_only(ty, o);
                    if inv.is_some_and(|i| !i.list) || (!old_ref && !new_ref && seen.object != *o) {
                        return Err(Fail::Payload(format!(
                            "duplicate XID found: {}",
                            xid_text(v)
                        )));
                    }
                    definition |= old_ref && !new_ref;
                    seen_uid = Some(seen.uid);
                }
            }
            let mut found: Vec<u64> = Vec::new();
            if let Some(u) = seen_uid {
                found.push(u);
            }
            for (f, v) in &given {
                for (uid, same_type) in self.find_by_xid(ty, f, v)? {
                    if !same_type {
                        return Err(Fail::Payload(self.exists_msg(ty, f, v, false)));
                    }
                    if !found.contains(&uid) {
                        found.push(uid);
                    }
                }
            }
            if found.len() > 1 {
                return Err(Fail::Payload(
                    "multiple nodes found for given xid values, updation not possible".to_string(),
                ));
            }
            let uid = match found.first() {
                Some(&u) => {
                    // A definition following a reference fills the node this request
                    // created for it; an existing node is only linked.
                    if definition && self.created_here(u) {
                        self.define(ty, u, o)?;
                    }
                    u
                }
                None => self.create_nested(ty, o)?,
            };
            self.remember(ty, &given, uid, o, false);
            return Ok(uid);
        }
        if ty.kind != TypeKind::Object {
            return Err(Fail::Payload(format!(
                "a reference to {} needs the id of an existing node",
                ty.name
            )));
        }
        self.create_nested(ty, o)
    }

    /// Creates a node for a nested object. As in Dgraph, a nested new node must give every
    /// one of its type's `@id` fields (nullable ones included).
    fn create_nested(&mut self, ty: &'a TypeInfo, o: &JsonMap) -> R<u64> {
        if let Some(x) = ty
            .xids
            .iter()
            .find(|x| o.get(x.as_str()).is_none_or(JsonValue::is_null))
        {
            return Err(Fail::Payload(format!("field {x} cannot be empty")));
        }
        self.create(ty, o)
    }

    /// Adds the edge `uid -fi-> target`, keeping singular fields singular and the
    /// `@hasInverse` partner in sync.
    fn link(&mut self, ty: &TypeInfo, uid: u64, fi: &FieldInfo, target: u64) -> R<()> {
        let inv = self.meta.inverse(&ty.name, &fi.name);
        if !fi.list {
            for old in self.w.edges(uid, &fi.pred)? {
                if old != target {
                    self.w.remove_edge(uid, &fi.pred, old)?;
                    if let Some(inv) = &inv {
                        self.w.remove_edge(old, &inv.pred, uid)?;
                    }
                }
            }
        }
        self.w.add_edge(uid, &fi.pred, target)?;
        if let Some(inv) = inv {
            if !inv.list {
                for prev in self.w.edges(target, &inv.pred)? {
                    if prev != uid {
                        self.w.remove_edge(target, &inv.pred, prev)?;
                        self.w.remove_edge(prev, &fi.pred, target)?;
                    }
                }
            }
            self.w.add_edge(target, &inv.pred, uid)?;
        }
        Ok(())
    }

    /// Removes the edge `uid -fi-> target` and its `@hasInverse` partner edge.
    fn unlink(&mut self, ty: &TypeInfo, uid: u64, fi: &FieldInfo, target: u64) -> R<()> {
        self.w.remove_edge(uid, &fi.pred, target)?;
        if let Some(inv) = self.meta.inverse(&ty.name, &fi.name) {
            self.w.remove_edge(target, &inv.pred, uid)?;
        }
        Ok(())
    }

    /// Every node created by this mutation must have its required fields.
    fn check_required(&mut self) -> R<()> {
        let created = std::mem::take(&mut self.created);
        for (uid, tname, given) in &created {
            let ty = self.ty(tname)?;
            for fname in self.meta.field_order(tname) {
                let Some(fi) = ty.fields.get(&fname) else {
                    continue;
                };
                if !fi.non_null || fi.reverse {
                    continue;
                }
                let present = given.contains(&fname)
                    || match fi.kind {
                        FieldKind::Scalar(_) => !self
                            .w
                            .scalars(*uid, &self.meta.scalar_pred(tname, fi))?
                            .is_empty(),
                        FieldKind::Edge => !self.w.edges(*uid, &fi.pred)?.is_empty(),
                        _ => true,
                    };
                if !present {
                    return Err(Fail::Payload(format!(
                        "type {tname} requires a value for field {fname}, but no value present"
                    )));
                }
            }
        }
        self.created = created;
        Ok(())
    }

    // ---------------------------------------------------------------- update

    fn update(
        &mut self,
        type_name: &str,
        uids: Vec<u64>,
        input: &JsonValue,
    ) -> Result<MutationOutcome, EngineError> {
        // Without a non-empty `set` or `remove` there is nothing to write: Dgraph answers
        // such an update with `numUids: 0` and an empty payload list, whatever matched.
        let patch = |k: &str| {
            input
                .get(k)
                .and_then(JsonValue::as_object)
                .is_some_and(|p| !p.is_empty())
        };
        let uids = if patch("set") || patch("remove") {
            uids
        } else {
            Vec::new()
        };
        let run = |m: &mut Self| -> R<()> {
            let ty = m.ty(type_name)?;
            let o = input.as_object();
            let set = o.and_then(|o| o.get("set")).and_then(JsonValue::as_object);
            let remove = o
                .and_then(|o| o.get("remove"))
                .and_then(JsonValue::as_object);
            // `set` is written once for all the matched nodes: a nested new object is one
            // node linked to each of them (and no node at all when nothing matched).
            if let Some(set) = set
                && !uids.is_empty()
            {
                for &uid in &uids {
                    m.check_xid_update(ty, uid, set)?;
                    m.write_scalars(ty, uid, set, &[])?;
                }
                m.write_edges(ty, &uids, set, &[])?;
            }
            for &uid in &uids {
                if let Some(remove) = remove {
                    m.remove_fields(ty, uid, remove)?;
                }
                // `@default(update:)` joins a non-empty `set`; an empty update is a no-op.
                let Some(set) = set.filter(|s| s.iter().any(|(_, v)| !v.is_null())) else {
                    continue;
                };
                for (fi, text) in m.meta.defaulted_fields(type_name, false) {
                    if set.get(fi.name.as_str()).is_none_or(JsonValue::is_null) {
                        m.write_default(uid, fi, &text)?;
                    }
                }
            }
            m.check_required()
        };
        run(self).map_err(|f| self.err(f))?;
        Ok(MutationOutcome {
            num_uids: uids.len(),
            root_uids: uids,
        })
    }

    /// Setting an xid to a value another node already has is an error.
    fn check_xid_update(&mut self, ty: &'a TypeInfo, uid: u64, set: &JsonMap) -> R<()> {
        for (f, v) in self.given_xids(ty, set)? {
            for (other, same_type) in self.find_by_xid(ty, f, v)? {
                if other != uid {
                    return Err(Fail::Payload(self.exists_msg(ty, f, v, same_type)));
                }
            }
        }
        Ok(())
    }

    fn remove_fields(&mut self, ty: &'a TypeInfo, uid: u64, o: &JsonMap) -> R<()> {
        let secret = self.meta.secret(&ty.name);
        for (key, v) in o.iter() {
            let key = key.as_str();
            if let Some(s) = &secret
                && s.field == key
            {
                if v.is_null() {
                    self.w.clear(uid, &s.pred)?;
                }
                continue;
            }
            let Some(fi) = ty.fields.get(key) else {
                continue;
            };
            if fi.reverse {
                continue;
            }
            match &fi.kind {
                FieldKind::Scalar(k) => {
                    let pred = self.meta.scalar_pred(&ty.name, fi);
                    if v.is_null() {
                        self.w.clear(uid, &pred)?;
                        continue;
                    }
                    for item in list_of(v) {
                        let val = coerce(ckind(*k), &to_json(item))?;
                        // Only an equal value is removed.
                        let present = self.w.scalars(uid, &pred)?;
                        if let Some(stored) = present.iter().find(|s| s.equals(&val)) {
                            let stored = stored.clone();
                            self.w.remove_scalar(uid, &pred, &stored)?;
                        }
                    }
                }
                FieldKind::Edge => {
                    if v.is_null() {
                        for t in self.w.edges(uid, &fi.pred)? {
                            self.unlink(ty, uid, fi, t)?;
                        }
                        continue;
                    }
                    for item in list_of(v) {
                        if let Some(target) = self.find_ref(fi, item)?
                            && self.w.edges(uid, &fi.pred)?.contains(&target)
                        {
                            self.unlink(ty, uid, fi, target)?;
                        }
                    }
                }
                FieldKind::Id | FieldKind::Aggregate(_) | FieldKind::Unstored => {}
            }
        }
        Ok(())
    }

    /// The existing node a `remove` reference names (by id or xid); `None` when it names none.
    fn find_ref(&mut self, fi: &FieldInfo, v: &JsonValue) -> R<Option<u64>> {
        let Some(o) = v.as_object() else {
            return Ok(None);
        };
        let target = self.ty(&fi.target)?;
        let (ty, o) = if target.kind == TypeKind::Union {
            let Some((k, child)) = o.iter().find(|(_, x)| !x.is_null()) else {
                return Ok(None);
            };
            let Some(member) = target
                .concrete
                .iter()
                .find(|m| format!("{}Ref", lower_first(m)) == k.as_str())
            else {
                return Ok(None);
            };
            let Some(co) = child.as_object() else {
                return Ok(None);
            };
            (self.ty(member)?, co)
        } else {
            (target, o)
        };
        if ty.stored_id().is_some() {
            return self.find_by_stored_id(ty, o);
        }
        if let Some(idf) = &ty.id_field
            && let Some(idv) = o.get(idf.as_str())
            && !idv.is_null()
        {
            return Ok(parse_uid(&xid_text(idv)));
        }
        for x in &ty.xids {
            if let Some(v) = o.get(x.as_str())
                && !v.is_null()
            {
                let hits = self.find_by_xid(ty, x, v)?;
                return Ok(hits.into_iter().find(|h| h.1).map(|h| h.0));
            }
        }
        Ok(None)
    }

    // ---------------------------------------------------------------- delete

    fn delete(&mut self, uids: Vec<u64>) -> Result<MutationOutcome, EngineError> {
        let run = |m: &mut Self| -> R<()> {
            for &uid in &uids {
                m.delete_node(uid)?;
            }
            Ok(())
        };
        run(self).map_err(|f| self.err(f))?;
        Ok(MutationOutcome {
            num_uids: uids.len(),
            root_uids: uids,
        })
    }

    fn delete_node(&mut self, uid: u64) -> R<()> {
        let node_types = self.w.node_types(uid)?;
        // Every API type the node is an instance of (its object type and interfaces).
        let mut tnames: Vec<&'a String> = self
            .meta
            .cat
            .types
            .iter()
            .filter(|(_, t)| t.kind != TypeKind::Union && node_types.contains(&t.storage))
            .map(|(n, _)| n)
            .collect();
        tnames.sort();
        let mut done: Vec<String> = Vec::new();
        for tname in tnames {
            let ty = self.ty(tname)?;
            let mut fields: Vec<&FieldInfo> = ty
                .fields
                .values()
                .filter(|f| f.kind == FieldKind::Edge)
                .collect();
            fields.sort_by(|a, b| a.name.cmp(&b.name));
            for fi in fields {
                let key = format!("{}{}", if fi.reverse { "~" } else { "" }, fi.pred);
                if done.contains(&key) {
                    continue;
                }
                if fi.reverse {
                    // The forward edges behind a reverse field point at this node.
                    for src in self.w.reverse_edges(uid, &fi.pred)? {
                        self.w.remove_edge(src, &fi.pred, uid)?;
                    }
                } else if let Some(inv) = self.meta.inverse(tname, &fi.name) {
                    for t in self.w.edges(uid, &fi.pred)? {
                        self.w.remove_edge(t, &inv.pred, uid)?;
                    }
                }
                done.push(key);
            }
        }
        self.w.clear_node(uid)?;
        Ok(())
    }
}
