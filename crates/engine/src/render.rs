//! Executes a compiled [`Plan`] over one snapshot and writes the response JSON bytes
//! directly, with no intermediate value tree.
//!
//! The selection of nodes (index choices, filters, order, pagination, visibility) is the
//! generic executor's own code ([`Exec`]); only the walk over the selection and the output
//! differ. Anything this path does not answer itself — a failed read, an argument the generic
//! path reports as an error, a missing value of a non-null field, a value that fails result
//! coercion, an exhausted budget — makes [`render`] return `None`, and the caller runs the
//! request on the generic executor, which produces the complete response (errors, null
//! propagation, paths) exactly as before.

use apollo_compiler::response::JsonValue;

use crate::catalog::{FieldInfo, ScalarKind, TypeInfo};
use crate::exec::{
    Exec, aggregate_value, ast_args, bad_get_id, field_values, find_get_uid, val_to_json,
};
use crate::filter::format_uid;
use crate::graph::Val;
use crate::plan::{AggSel, Cond, Leaf, Plan, RootKind, Sel, SelKind};

/// The response body `{"data":{…}}` of `plan`, or `None` when the generic executor must
/// answer.
pub fn render(plan: &Plan, ex: &Exec<'_>) -> Option<String> {
    let mut out: Vec<u8> = Vec::with_capacity(4096);
    out.extend_from_slice(b"{\"data\":{");
    let mut first = true;
    for r in &plan.roots {
        if !field_start(ex, &r.conds, &r.key, &mut first, &mut out)? {
            continue;
        }
        match &r.kind {
            RootKind::Typename => out.extend_from_slice(b"\"Query\""),
            RootKind::Get { field, ty, sels } => {
                ex.check().ok()?;
                let ty = ex.cat.get(ty)?;
                let args = ast_args(field, ex.vars);
                match get_uid(ex, ty, &args)? {
                    Some(uid) => {
                        ex.tick(1).ok()?;
                        if is_a(ex, ty, uid)? {
                            object(ex, uid, ty, sels, &mut out)?;
                        } else {
                            out.extend_from_slice(b"null");
                        }
                    }
                    None => out.extend_from_slice(b"null"),
                }
            }
            RootKind::Aggregate { field, ty, sels } => {
                ex.check().ok()?;
                let ty = ex.cat.get(ty)?;
                let args = ast_args(field, ex.vars);
                let filter = args.get("filter");
                let counted = if filter.is_none_or(JsonValue::is_null)
                    && sels
                        .iter()
                        .all(|s| s.name.is_none() || s.name.as_deref() == Some("count"))
                {
                    // Only a count of the whole type: the type's counter answers it.
                    ex.rd.type_count(&ty.storage).ok()?
                } else {
                    None
                };
                match counted {
                    Some(n) => aggregate(ex, ty, &[], Some(n), sels, &mut out)?,
                    None => {
                        let (all, exact) = ex.root_candidates(ty, filter).ok()?;
                        let uids = if exact {
                            all
                        } else {
                            ex.filters().apply(ty, all, filter).ok()?
                        };
                        aggregate(ex, ty, &uids, None, sels, &mut out)?;
                    }
                }
            }
            RootKind::Query { field, ty, sels } => {
                ex.check().ok()?;
                let ty = ex.cat.get(ty)?;
                let args = ast_args(field, ex.vars);
                let (all, exact) = match first_page(ex, ty, &args)? {
                    Some(page) => (page, true),
                    None => ex.root_candidates(ty, args.get("filter")).ok()?,
                };
                let uids = ex.shape_list_prefiltered(ty, all, &args, &[], exact).ok()?;
                list(ex, &ty.name, uids, sels, &mut out)?;
            }
        }
    }
    out.extend_from_slice(b"}}");
    String::from_utf8(out).ok()
}

/// For `query<T>(first:, offset:)` with no filter and no order: the first `offset + first`
/// nodes of the type, read as one page of the type index instead of listing every node of
/// the type (the rest of the window is cut by the usual paging). `Some(None)` when the
/// arguments ask for more than a page.
fn first_page(
    ex: &Exec<'_>,
    ty: &TypeInfo,
    args: &apollo_compiler::response::JsonMap,
) -> Option<Option<Vec<u64>>> {
    let absent = |k: &str| args.get(k).is_none_or(JsonValue::is_null);
    if !absent("filter") || !absent("order") {
        return Some(None);
    }
    let Some(first) = args.get("first").and_then(JsonValue::as_i64) else {
        return Some(None);
    };
    if first < 0 {
        return Some(None);
    }
    let offset = args
        .get("offset")
        .and_then(JsonValue::as_i64)
        .unwrap_or(0)
        .max(0) as usize;
    let n = offset.saturating_add(first as usize);
    if n > 100_000 {
        return Some(None);
    }
    ex.rd.type_uids_first(&ty.storage, n).ok()
}

/// The node `get<T>` names (as the generic `get` resolver finds it); `None` to bail out (an
/// unparsable id, which the generic path reports, or a failed read), `Some(None)` when there
/// is no such node.
fn get_uid(
    ex: &Exec<'_>,
    ty: &TypeInfo,
    args: &apollo_compiler::response::JsonMap,
) -> Option<Option<u64>> {
    if bad_get_id(ty, args).is_some() {
        return None;
    }
    find_get_uid(ex, ty, args).ok()
}

/// A list of nodes seen as object type `declared` (invisible ones left out).
fn list(
    ex: &Exec<'_>,
    declared: &str,
    uids: Vec<u64>,
    sels: &[Sel],
    out: &mut Vec<u8>,
) -> Option<()> {
    ex.tick(uids.len()).ok()?;
    let ty = ex.cat.get(declared)?;
    out.push(b'[');
    let mut first = true;
    for u in uids {
        if is_a(ex, ty, u)? {
            if !first {
                out.push(b',');
            }
            first = false;
            object(ex, u, ty, sels, out)?;
        }
    }
    out.push(b']');
    Some(())
}

/// Whether node `uid` is visible as object type `ty` (its `dgraph.type` holds the type's
/// storage name), loading the node for rendering on the way.
fn is_a(ex: &Exec<'_>, ty: &TypeInfo, uid: u64) -> Option<bool> {
    ex.rd.prefetch(uid).ok()?;
    Some(match ex.rd.loaded(uid) {
        Some(n) => n.types.contains(&ty.storage),
        None => ex.rd.node_types(uid).ok()?.contains(&ty.storage),
    })
}

/// The targets of edge field `fi` from `uid` that are visible as its (object) target type,
/// as [`Exec::edge_targets`] finds them; each target is loaded once, for the type check and
/// for rendering.
fn edge_targets(ex: &Exec<'_>, uid: u64, fi: &FieldInfo, tt: &TypeInfo) -> Option<Vec<u64>> {
    let raw = if fi.reverse {
        ex.rd.reverse_edges(uid, &fi.pred).ok()?
    } else {
        ex.rd.edges(uid, &fi.pred).ok()?
    };
    // An inline answer renders every target (its edges take no arguments): decline before
    // loading more of them than it may read.
    if ex.inline && ex.emitted.get() + raw.len() > crate::plan::INLINE_MAX_NODES {
        return None;
    }
    let mut out = Vec::with_capacity(raw.len());
    for t in raw {
        if is_a(ex, tt, t)? {
            out.push(t);
        }
    }
    Some(out)
}

/// Writes a selected field's `"key":` (after a comma unless `first`); `Some(false)` when its
/// `@include`/`@skip` conditions leave it out.
fn field_start(
    ex: &Exec<'_>,
    conds: &[Cond],
    key: &str,
    first: &mut bool,
    out: &mut Vec<u8>,
) -> Option<bool> {
    if !conds.is_empty() && !Cond::keeps(conds, ex.vars)? {
        return Some(false);
    }
    if !*first {
        out.push(b',');
    }
    *first = false;
    out.extend_from_slice(key.as_bytes());
    Some(true)
}

fn object(ex: &Exec<'_>, uid: u64, ty: &TypeInfo, sels: &[Sel], out: &mut Vec<u8>) -> Option<()> {
    ex.check().ok()?;
    // The node as the reader loaded it for rendering: values read in place.
    let node = ex.rd.loaded(uid);
    out.push(b'{');
    let mut first = true;
    for s in sels {
        if !field_start(ex, &s.conds, &s.key, &mut first, out)? {
            continue;
        }
        match &s.kind {
            SelKind::Typename(t) => out.extend_from_slice(t.as_bytes()),
            SelKind::Id => {
                out.push(b'"');
                out.extend_from_slice(format_uid(uid).as_bytes());
                out.push(b'"');
            }
            SelKind::Null => out.extend_from_slice(b"null"),
            SelKind::Scalar { field, kind, leaf } => {
                let fi = ty.fields.get(field)?;
                let owned;
                let vals: &[Val] = match (&node, fi.langs.is_empty()) {
                    (Some(n), true) => n.values.get(&fi.pred).map_or(&[], Vec::as_slice),
                    _ => {
                        owned = field_values(ex, uid, fi).ok()?;
                        &owned
                    }
                };
                if fi.list {
                    out.push(b'[');
                    for (j, v) in vals.iter().enumerate() {
                        if j > 0 {
                            out.push(b',');
                        }
                        leaf_value(v, *kind, leaf, out)?;
                    }
                    out.push(b']');
                } else {
                    match vals.first() {
                        Some(v) => leaf_value(v, *kind, leaf, out)?,
                        None if fi.non_null => return None,
                        None => out.extend_from_slice(b"null"),
                    }
                }
            }
            SelKind::Aggregate { node, base, sels } => {
                let bf = ty.fields.get(base)?;
                let tt = ex.cat.get(&bf.target)?;
                let targets = ex.edge_targets(uid, bf).ok()?;
                let args = if node.arguments.is_empty() {
                    Default::default()
                } else {
                    ast_args(node, ex.vars)
                };
                let uids = ex.filters().apply(tt, targets, args.get("filter")).ok()?;
                aggregate(ex, tt, &uids, None, sels, out)?;
            }
            SelKind::Edge {
                node,
                field,
                target,
                sels,
            } => {
                let fi = ty.fields.get(field)?;
                let tt = ex.cat.get(target)?;
                let targets = edge_targets(ex, uid, fi, tt)?;
                let args = if node.arguments.is_empty() {
                    Default::default()
                } else {
                    ast_args(node, ex.vars)
                };
                if fi.list {
                    let uids = ex.shape_list(tt, targets, &args, &[]).ok()?;
                    list(ex, target, uids, sels, out)?;
                } else {
                    let uids = ex.filters().apply(tt, targets, args.get("filter")).ok()?;
                    match uids.first() {
                        Some(u) => {
                            ex.tick(1).ok()?;
                            if is_a(ex, tt, *u)? {
                                object(ex, *u, tt, sels, out)?;
                            } else if fi.non_null {
                                return None;
                            } else {
                                out.extend_from_slice(b"null");
                            }
                        }
                        None if fi.non_null => return None,
                        None => out.extend_from_slice(b"null"),
                    }
                }
            }
        }
    }
    out.push(b'}');
    Some(())
}

/// A `TAggregateResult` object over `uids` (or over `count` nodes when only counted).
fn aggregate(
    ex: &Exec<'_>,
    ty: &TypeInfo,
    uids: &[u64],
    count: Option<u64>,
    sels: &[AggSel],
    out: &mut Vec<u8>,
) -> Option<()> {
    ex.check().ok()?;
    out.push(b'{');
    let mut first = true;
    for s in sels {
        if !field_start(ex, &s.conds, &s.key, &mut first, out)? {
            continue;
        }
        let Some(name) = &s.name else {
            out.extend_from_slice(s.typename.as_bytes());
            continue;
        };
        let v = match (name.as_str(), count) {
            ("count", Some(n)) => JsonValue::Number(n.into()),
            _ => aggregate_value(ex, ty, uids, name).ok()?,
        };
        if v.is_null() {
            if s.non_null {
                return None;
            }
            out.extend_from_slice(b"null");
        } else {
            leaf_json(&v, &s.leaf, out)?;
        }
    }
    out.push(b'}');
    Some(())
}

/// Writes a stored value as the generic path renders it (`val_to_json`) for a field whose
/// values are `kind`, if it passes that path's result coercion for `leaf`; `None` (bail out)
/// for one that does not, or for null. The common kinds are written without building a JSON
/// value.
fn leaf_value(v: &Val, kind: ScalarKind, leaf: &Leaf, out: &mut Vec<u8>) -> Option<()> {
    match (v, kind, leaf) {
        (Val::Str(s), _, Leaf::String | Leaf::Id | Leaf::Any) => {
            serde_json::to_writer(&mut *out, s.as_str()).ok()
        }
        (Val::Int(i), ScalarKind::Int | ScalarKind::Int64, Leaf::Int) => {
            i32::try_from(*i).ok()?;
            out.extend_from_slice(itoa::Buffer::new().format(*i).as_bytes());
            Some(())
        }
        (Val::Int(i), ScalarKind::Int | ScalarKind::Int64, Leaf::Any | Leaf::Id) => {
            out.extend_from_slice(itoa::Buffer::new().format(*i).as_bytes());
            Some(())
        }
        (Val::Bool(b), _, Leaf::Boolean | Leaf::Any) => {
            out.extend_from_slice(if *b { b"true" } else { b"false" });
            Some(())
        }
        _ => leaf_json(&val_to_json(v, kind), leaf, out),
    }
}

/// Writes a leaf value that passes the generic executor's result coercion for `leaf`;
/// `None` (bail out) for one that does not, or for null.
fn leaf_json(v: &JsonValue, leaf: &Leaf, out: &mut Vec<u8>) -> Option<()> {
    let ok = match leaf {
        _ if v.is_null() => false,
        Leaf::Int => v.as_i64().is_some_and(|i| i32::try_from(i).is_ok()),
        Leaf::Float => v.is_f64(),
        Leaf::String => v.is_string(),
        Leaf::Boolean => v.is_boolean(),
        Leaf::Id => v.is_string() || v.is_i64(),
        Leaf::Enum(values) => v.as_str().is_some_and(|s| values.iter().any(|e| e == s)),
        Leaf::Any => true,
    };
    if !ok {
        return None;
    }
    serde_json::to_writer(out, v).ok()
}
