//! Resolution of the generated API's fields over a snapshot, driven by apollo-compiler's
//! executor (which handles fragments, aliases, `@skip`/`@include`, `__typename`, result
//! coercion and null propagation with paths).

use std::cell::{Cell, RefCell};
use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};

use apollo_compiler::ExecutableDocument;
use apollo_compiler::ast::Value as AstValue;
use apollo_compiler::executable::{Field, Selection, SelectionSet};
use apollo_compiler::resolvers::{FieldError, ObjectValue, ResolveInfo, ResolvedValue};
use apollo_compiler::response::{JsonMap, JsonValue};

use crate::catalog::{Catalog, FieldInfo, FieldKind, ScalarKind, TypeInfo, TypeKind};
use crate::filter::{FilterEval, as_list, format_uid, json_to_val, lower_first, parse_uid};
use crate::graph::{GraphRead, Val};
use crate::limits::Budget;
use crate::{EngineError, Limits};

/// Per-request execution state shared by every resolver.
pub struct Exec<'a> {
    pub cat: &'a Catalog,
    /// The schema model (federation `_service` SDL).
    pub model: Option<&'a graphcloud_schema::Schema>,
    pub rd: std::rc::Rc<dyn GraphRead + 'a>,
    pub doc: &'a ExecutableDocument,
    pub vars: &'a JsonMap,
    pub limits: &'a Limits,
    /// Deadline and cancel flag, checked at every resolved field.
    pub budget: &'a Budget,
    pub emitted: Cell<usize>,
    /// Answering on the thread that received the request (see [`crate::plan::Plan::inline`]):
    /// more than [`crate::plan::INLINE_MAX_NODES`] nodes make the compiled path decline
    /// instead of failing, and the request runs again on a blocking thread.
    pub inline: bool,
    /// Response keys of root `_entities` fields whose objects are served with sorted keys.
    pub sort_keys_of: RefCell<Vec<String>>,
}

pub(crate) fn ferr(e: impl std::fmt::Display) -> FieldError {
    FieldError {
        message: e.to_string(),
    }
}

impl<'a> Exec<'a> {
    pub(crate) fn filters(&self) -> FilterEval<'_> {
        FilterEval {
            cat: self.cat,
            rd: &*self.rd,
        }
    }

    pub(crate) fn tick(&self, n: usize) -> Result<(), FieldError> {
        let total = self.emitted.get() + n;
        self.emitted.set(total);
        if self.inline && total > crate::plan::INLINE_MAX_NODES {
            return Err(ferr("more nodes than an inline answer reads"));
        }
        if total > self.limits.max_result_nodes {
            let m = format!(
                "the result exceeds the limit of {} nodes; narrow the query with filters or `first`",
                self.limits.max_result_nodes
            );
            self.budget.fail(m.clone());
            return Err(ferr(m));
        }
        self.check()
    }

    /// Whether the request may go on (deadline, cancel flag, earlier failures).
    pub fn check(&self) -> Result<(), FieldError> {
        self.budget.check().map_err(ferr)
    }

    /// Keeps the uids that are visible as `declared` (their `dgraph.type` matches).
    pub fn visible(&self, declared: &str, uids: Vec<u64>) -> Result<Vec<u64>, EngineError> {
        let names = self.cat.storage_names(declared);
        let mut out = Vec::with_capacity(uids.len());
        for u in uids {
            let nt = self.rd.node_types(u)?;
            if nt.iter().any(|s| names.contains(s)) {
                out.push(u);
            }
        }
        Ok(out)
    }

    /// Every node of type `declared` in ascending uid order.
    pub fn all_of_type(&self, declared: &str) -> Result<Vec<u64>, EngineError> {
        let mut out = Vec::new();
        for s in self.cat.storage_names(declared) {
            out.extend(self.rd.type_uids(&s)?);
        }
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }

    /// Nodes of `ty` that may match `filter`: narrowed by indexes when possible. The flag
    /// says whether the result already is exactly the matching set.
    pub fn root_candidates(
        &self,
        ty: &TypeInfo,
        filter: Option<&JsonValue>,
    ) -> Result<(Vec<u64>, bool), EngineError> {
        if let Some(f) = filter
            && let Some(c) = self.filters().candidates(ty, f)?
        {
            let exact = self.filters().index_is_exact(ty, f);
            // A predicate named after this very type (`Type.field`) is only ever written on
            // nodes of this type (deletion removes every predicate), so no type check is needed.
            if exact
                && ty.kind == TypeKind::Object
                && self.filters().single_field(ty, f).is_some_and(|fi| {
                    fi.pred
                        .strip_prefix(ty.storage.as_str())
                        .is_some_and(|r| r.starts_with('.'))
                })
            {
                return Ok((c, true));
            }
            // Few candidates: check their types directly instead of listing the whole type.
            if c.len() <= 64 {
                return Ok((self.visible(&ty.name, c)?, exact));
            }
            let all = self.all_of_type(&ty.name)?;
            return Ok((crate::filter::intersect(&c, &all), exact));
        }
        Ok((
            self.all_of_type(&ty.name)?,
            filter.is_none_or(JsonValue::is_null),
        ))
    }

    /// Filter, cascade, order and paginate a candidate list as a list field's arguments say.
    pub fn shape_list(
        &self,
        ty: &TypeInfo,
        uids: Vec<u64>,
        args: &JsonMap,
        fields: &[&Field],
    ) -> Result<Vec<u64>, EngineError> {
        self.shape_list_prefiltered(ty, uids, args, fields, false)
    }

    /// [`Exec::shape_list`] that may skip the filter when `prefiltered` says the candidates
    /// already match it exactly.
    pub fn shape_list_prefiltered(
        &self,
        ty: &TypeInfo,
        uids: Vec<u64>,
        args: &JsonMap,
        fields: &[&Field],
        prefiltered: bool,
    ) -> Result<Vec<u64>, EngineError> {
        let mut uids = if prefiltered {
            uids
        } else {
            self.filters().apply(ty, uids, args.get("filter"))?
        };
        if let Some(c) = cascade_of(fields, self.vars) {
            let mut kept = Vec::with_capacity(uids.len());
            for u in uids {
                if self.cascade_keep(&ty.name, u, fields, &c)? {
                    kept.push(u);
                }
            }
            uids = kept;
        }
        if ty.kind != TypeKind::Union
            && let Some(o) = args.get("order")
            && !o.is_null()
        {
            // Only the first `offset + first` nodes of the order are ever returned.
            let limit = match args.get("first").and_then(JsonValue::as_i64) {
                Some(n) if n >= 0 => {
                    let offset = args.get("offset").and_then(JsonValue::as_i64).unwrap_or(0);
                    Some((offset.max(0) as usize).saturating_add(n as usize))
                }
                _ => None,
            };
            uids = self.order(ty, uids, o, limit)?;
        }
        let offset = args
            .get("offset")
            .and_then(JsonValue::as_i64)
            .unwrap_or(0)
            .max(0) as usize;
        let uids: Vec<u64> = uids.into_iter().skip(offset).collect();
        Ok(match args.get("first").and_then(JsonValue::as_i64) {
            Some(n) if n >= 0 => uids.into_iter().take(n as usize).collect(),
            Some(n) => {
                let k = n.unsigned_abs() as usize;
                let skip = uids.len().saturating_sub(k);
                uids.into_iter().skip(skip).collect()
            }
            None => uids,
        })
    }

    /// Sorts by `order: {asc|desc, then}`; nodes without a value come last either way, and
    /// ties keep their order in `uids`. With `limit`, only the first `limit` nodes of that
    /// order are returned (the rest are never read when an ordered index can answer).
    pub fn order(
        &self,
        ty: &TypeInfo,
        uids: Vec<u64>,
        order: &JsonValue,
        limit: Option<usize>,
    ) -> Result<Vec<u64>, EngineError> {
        let mut levels: Vec<(&FieldInfo, bool)> = Vec::new();
        let mut cur = Some(order);
        while let Some(JsonValue::Object(o)) = cur {
            let (name, desc) = match (o.get("asc"), o.get("desc")) {
                (Some(a), _) if !a.is_null() => (a.as_str(), false),
                (_, Some(d)) if !d.is_null() => (d.as_str(), true),
                _ => (None, false),
            };
            if let Some(fi) = name.and_then(|n| ty.fields.get(n)) {
                levels.push((fi, desc));
            }
            cur = o.get("then");
        }
        if levels.is_empty() {
            return Ok(uids);
        }
        // Few wanted out of many: walk the ordered index instead of reading and sorting every
        // candidate's value.
        if let (Some(k), [(fi, desc)]) = (limit, levels.as_slice())
            && uids.len() > 256
            && k.saturating_mul(4) < uids.len()
            && let Some(top) = self.first_in_index_order(&fi.pred, *desc, &uids, k)?
        {
            return Ok(top);
        }
        let mut keyed: Vec<(Vec<Option<Val>>, u64)> = Vec::with_capacity(uids.len());
        for u in uids {
            let mut keys = Vec::with_capacity(levels.len());
            for (fi, _) in &levels {
                let v = self.rd.scalars(u, &fi.pred)?;
                keys.push(v.into_iter().next());
            }
            keyed.push((keys, u));
        }
        keyed.sort_by(|(a, _), (b, _)| {
            for (i, (_, desc)) in levels.iter().enumerate() {
                let o = match (&a[i], &b[i]) {
                    (Some(x), Some(y)) => {
                        let o = x.compare(y).unwrap_or(Ordering::Equal);
                        if *desc { o.reverse() } else { o }
                    }
                    (Some(_), None) => Ordering::Less,
                    (None, Some(_)) => Ordering::Greater,
                    (None, None) => Ordering::Equal,
                };
                if o != Ordering::Equal {
                    return o;
                }
            }
            Ordering::Equal
        });
        Ok(keyed.into_iter().map(|(_, u)| u).collect())
    }

    /// The first `k` of `uids` in the order of `pred`'s ordered index — exactly what a stable
    /// sort of all of them by that one field would start with: equal values keep their order
    /// in `uids`, nodes without a value come last. Reads postings only until `k` candidates
    /// (and the rest of the last group of equal values) are found. `None` when no ordered
    /// index can answer.
    fn first_in_index_order(
        &self,
        pred: &str,
        desc: bool,
        uids: &[u64],
        k: usize,
    ) -> Result<Option<Vec<u64>>, EngineError> {
        /// Appends a finished group of equal values, in candidate order.
        fn flush(group: &mut Vec<usize>, uids: &[u64], out: &mut Vec<u64>) {
            group.sort_unstable();
            out.extend(group.drain(..).map(|p| uids[p]));
        }
        let position: HashMap<u64, usize> = uids.iter().enumerate().map(|(i, &u)| (u, i)).collect();
        let mut seen: HashSet<u64> = HashSet::new();
        let mut out: Vec<u64> = Vec::with_capacity(k);
        let mut group: Vec<usize> = Vec::new();
        let mut token: Vec<u8> = Vec::new();
        let walked = self.rd.walk_ordered(pred, desc, &mut |tok, uid| {
            if tok != token.as_slice() {
                flush(&mut group, uids, &mut out);
                if out.len() >= k {
                    return false;
                }
                token.clear();
                token.extend_from_slice(tok);
            }
            if let Some(&p) = position.get(&uid)
                && seen.insert(uid)
            {
                group.push(p);
            }
            true
        })?;
        if !walked {
            return Ok(None);
        }
        flush(&mut group, uids, &mut out);
        if out.len() < k {
            out.extend(
                uids.iter()
                    .filter(|u| !seen.contains(u))
                    .take(k - out.len()),
            );
        }
        out.truncate(k);
        Ok(Some(out))
    }

    /// The nodes edge field `fi` of `uid` renders with these arguments and selections: the
    /// filtered, cascaded, ordered and paginated list, or at most one node for a single edge.
    pub(crate) fn edge_nodes(
        &self,
        uid: u64,
        fi: &FieldInfo,
        args: &JsonMap,
        fields: &[&Field],
    ) -> Result<Vec<u64>, EngineError> {
        let Some(tt) = self.cat.get(&fi.target) else {
            return Ok(Vec::new());
        };
        let targets = self.edge_targets(uid, fi)?;
        if fi.list {
            return self.shape_list(tt, targets, args, fields);
        }
        let mut uids = self.filters().apply(tt, targets, args.get("filter"))?;
        uids.truncate(1);
        Ok(uids)
    }

    /// Targets of an edge field from `uid`, restricted to nodes visible as the field's type.
    pub fn edge_targets(&self, uid: u64, fi: &FieldInfo) -> Result<Vec<u64>, EngineError> {
        let t = if fi.reverse {
            self.rd.reverse_edges(uid, &fi.pred)?
        } else {
            self.rd.edges(uid, &fi.pred)?
        };
        self.visible(&fi.target, t)
    }

    /// `@cascade`: whether node `uid` (seen as `declared`) has every required selected field.
    fn cascade_keep(
        &self,
        declared: &str,
        uid: u64,
        fields: &[&Field],
        c: &Cascade,
    ) -> Result<bool, EngineError> {
        self.budget.check().map_err(EngineError::Query)?;
        let nt = self.rd.node_types(uid)?;
        let Some(concrete) = self.cat.concrete_type(declared, &nt) else {
            return Ok(false);
        };
        let Some(ty) = self.cat.get(concrete) else {
            return Ok(false);
        };
        let mut sub: Vec<&Field> = Vec::new();
        for f in fields {
            collect_fields(self.doc, &f.selection_set, ty, self.cat, &mut sub);
        }
        let checks: Vec<(&str, Option<&Field>)> = match &c.fields {
            Some(only) => {
                let mut v = Vec::with_capacity(only.len());
                for name in only {
                    if !ty.fields.contains_key(name) {
                        return Err(EngineError::Query(format!(
                            "Field `{name}` is not present in type `{}`. You can only use fields in cascade which are in type `{}`",
                            ty.name, ty.name
                        )));
                    }
                    v.push((
                        name.as_str(),
                        sub.iter().copied().find(|f| f.name == name.as_str()),
                    ));
                }
                v
            }
            None => sub
                .iter()
                .map(|f| (f.name.as_str(), Some(*f)))
                .filter(|(n, _)| !n.starts_with("__"))
                .collect(),
        };
        for (name, sel) in checks {
            let Some(fi) = ty.fields.get(name) else {
                continue;
            };
            let ok = match &fi.kind {
                FieldKind::Id | FieldKind::Aggregate(_) => true,
                FieldKind::Unstored => true,
                FieldKind::Scalar(_) => !self.rd.scalars(uid, &fi.pred)?.is_empty(),
                FieldKind::Edge => {
                    let Some(tt) = self.cat.get(&fi.target) else {
                        continue;
                    };
                    let args = sel.map(|f| ast_args(f, self.vars)).unwrap_or_default();
                    let targets = self.edge_targets(uid, fi)?;
                    let targets = self.filters().apply(tt, targets, args.get("filter"))?;
                    let nested = match sel.and_then(|f| cascade_of(&[f], self.vars)) {
                        Some(own) => Some(own),
                        None if c.fields.is_none() => Some(Cascade { fields: None }),
                        None => None,
                    };
                    match (nested, sel) {
                        (Some(nc), Some(f)) => {
                            let mut any = false;
                            for t in targets {
                                if self.cascade_keep(&fi.target, t, &[f], &nc)? {
                                    any = true;
                                    break;
                                }
                            }
                            any
                        }
                        _ => !targets.is_empty(),
                    }
                }
            };
            if !ok {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

/// A `@cascade` directive: `fields` restricts the check to the listed fields of that level.
pub(crate) struct Cascade {
    fields: Option<Vec<String>>,
}

fn cascade_of(fields: &[&Field], vars: &JsonMap) -> Option<Cascade> {
    for f in fields {
        if let Some(d) = f.directives.get("cascade") {
            let fl = d
                .specified_argument_by_name("fields")
                .map(|v| ast_to_json(v, vars))
                .and_then(|v| {
                    let l: Vec<String> = as_list(&v)
                        .iter()
                        .filter_map(|x| x.as_str().map(str::to_string))
                        .collect();
                    (!l.is_empty()).then_some(l)
                });
            return Some(Cascade { fields: fl });
        }
    }
    None
}

/// The fields of a selection set that apply to concrete type `ty` (fragments expanded).
pub(crate) fn collect_fields<'d>(
    doc: &'d ExecutableDocument,
    set: &'d SelectionSet,
    ty: &TypeInfo,
    cat: &Catalog,
    out: &mut Vec<&'d Field>,
) {
    let applies = |cond: &str| -> bool {
        cond == ty.name
            || cat
                .get(cond)
                .is_some_and(|c| c.kind != TypeKind::Object && c.concrete.contains(&ty.name))
    };
    for sel in &set.selections {
        match sel {
            Selection::Field(f) => out.push(f),
            Selection::InlineFragment(i) => {
                if i.type_condition
                    .as_ref()
                    .is_none_or(|c| applies(c.as_str()))
                {
                    collect_fields(doc, &i.selection_set, ty, cat, out);
                }
            }
            Selection::FragmentSpread(s) => {
                if let Some(fr) = doc.fragments.get(&s.fragment_name)
                    && applies(fr.type_condition().as_str())
                {
                    collect_fields(doc, &fr.selection_set, ty, cat, out);
                }
            }
        }
    }
}

/// Converts a literal argument value (variables substituted) to JSON.
pub(crate) fn ast_to_json(v: &AstValue, vars: &JsonMap) -> JsonValue {
    match v {
        AstValue::Null => JsonValue::Null,
        AstValue::Enum(n) => JsonValue::String(n.as_str().into()),
        AstValue::Variable(n) => vars.get(n.as_str()).cloned().unwrap_or(JsonValue::Null),
        AstValue::String(s) => JsonValue::String(s.as_str().into()),
        AstValue::Float(f) => f
            .try_to_f64()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(JsonValue::Number)
            .unwrap_or(JsonValue::Null),
        AstValue::Int(i) => match i.try_to_i32() {
            Ok(n) => JsonValue::Number(n.into()),
            Err(_) => i
                .as_str()
                .parse::<i64>()
                .map(|n| JsonValue::Number(n.into()))
                .unwrap_or(JsonValue::Null),
        },
        AstValue::Boolean(b) => JsonValue::Bool(*b),
        AstValue::List(l) => JsonValue::Array(l.iter().map(|x| ast_to_json(x, vars)).collect()),
        AstValue::Object(o) => {
            let mut m = JsonMap::new();
            for (k, x) in o {
                m.insert(k.as_str(), ast_to_json(x, vars));
            }
            JsonValue::Object(m)
        }
    }
}

pub(crate) fn ast_args(f: &Field, vars: &JsonMap) -> JsonMap {
    let mut m = JsonMap::new();
    for a in &f.arguments {
        m.insert(a.name.as_str(), ast_to_json(&a.value, vars));
    }
    m
}

fn not_present(info: &ResolveInfo<'_>) -> FieldError {
    ferr(format!(
        "Non-nullable field '{}' (type {}) was not present in result from Dgraph.  GraphQL error propagation triggered.",
        info.field_name(),
        info.field_definition().ty
    ))
}

/// A scalar value in the API's output form (geo values are objects, see [`JsonObj`]).
pub(crate) fn val_to_json(v: &Val, kind: ScalarKind) -> JsonValue {
    match v {
        Val::Int(i) => match kind {
            ScalarKind::Float => serde_json::Number::from_f64(*i as f64)
                .map(JsonValue::Number)
                .unwrap_or(JsonValue::Null),
            _ => JsonValue::Number((*i).into()),
        },
        Val::Float(f) => match kind {
            ScalarKind::Int | ScalarKind::Int64 => JsonValue::Number((*f as i64).into()),
            _ => serde_json::Number::from_f64(*f)
                .map(JsonValue::Number)
                .unwrap_or(JsonValue::Null),
        },
        Val::Str(s) => JsonValue::String(s.as_str().into()),
        Val::Bool(b) => JsonValue::Bool(*b),
        Val::DateTime(t) => JsonValue::String(
            t.format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default()
                .into(),
        ),
        Val::Geo(g) => crate::geo::to_api(g)
            .map(|x| serde_json_bytes::to_value(x).unwrap_or(JsonValue::Null))
            .unwrap_or(JsonValue::Null),
        Val::Password(_) => JsonValue::Null,
    }
}

/// A plain JSON object served as a GraphQL object (geo values, admin results).
pub struct JsonObj {
    pub type_name: String,
    pub map: JsonMap,
}

fn json_resolved<'a>(v: &JsonValue, info: &ResolveInfo<'_>) -> ResolvedValue<'a> {
    match v {
        JsonValue::Object(m) => ResolvedValue::object(JsonObj {
            type_name: info.field_definition().ty.inner_named_type().to_string(),
            map: m.clone(),
        }),
        JsonValue::Array(a) => {
            let tn = info.field_definition().ty.inner_named_type().to_string();
            let items: Vec<ResolvedValue<'a>> = a
                .iter()
                .map(|x| match x {
                    JsonValue::Object(m) => ResolvedValue::object(JsonObj {
                        type_name: tn.clone(),
                        map: m.clone(),
                    }),
                    JsonValue::Array(inner) => ResolvedValue::leaf(JsonValue::Array(inner.clone())),
                    other => ResolvedValue::leaf(other.clone()),
                })
                .collect();
            ResolvedValue::list(items)
        }
        other => ResolvedValue::leaf(other.clone()),
    }
}

impl JsonObj {
    /// Resolves one field of this object for a resolver that built it on the fly.
    pub(crate) fn resolve_owned<'a>(
        self,
        info: &ResolveInfo<'_>,
    ) -> Result<ResolvedValue<'a>, FieldError> {
        match self.map.get(info.field_name()) {
            Some(v) => Ok(json_resolved(v, info)),
            None if info.field_definition().ty.is_non_null() => Err(not_present(info)),
            None => Ok(ResolvedValue::null()),
        }
    }
}

impl ObjectValue for JsonObj {
    fn type_name(&self) -> &str {
        &self.type_name
    }
    fn resolve_field<'a>(
        &'a self,
        info: &'a ResolveInfo<'a>,
    ) -> Result<ResolvedValue<'a>, FieldError> {
        match self.map.get(info.field_name()) {
            Some(v) => Ok(json_resolved(v, info)),
            None if info.field_definition().ty.is_non_null() => Err(not_present(info)),
            None => Ok(ResolvedValue::null()),
        }
    }
}

/// A stored node seen as concrete object type `ty`.
pub struct NodeObj<'e> {
    pub ex: &'e Exec<'e>,
    pub uid: u64,
    pub ty: &'e TypeInfo,
    /// The response level the node is rendered at, for batched `@lambda` calls (`None`
    /// when the API has no `@lambda` fields).
    pub level: Option<crate::lambda::LevelId>,
}

impl<'e> NodeObj<'e> {
    /// Wraps `uid` as an object of its concrete type when it is visible as `declared`.
    pub fn new(ex: &'e Exec<'e>, declared: &str, uid: u64) -> Result<Option<Self>, EngineError> {
        ex.rd.prefetch(uid)?;
        let nt = ex.rd.node_types(uid)?;
        Ok(ex
            .cat
            .concrete_type(declared, &nt)
            .and_then(|c| ex.cat.get(c))
            .map(|ty| NodeObj {
                ex,
                uid,
                ty,
                level: None,
            }))
    }
}

/// Renders a list of uids as objects visible as `declared`: the value of `info`'s field on
/// `parent` (`None` for a root field).
pub(crate) fn node_list<'a>(
    ex: &'a Exec<'a>,
    declared: &str,
    uids: Vec<u64>,
    parent: Option<&NodeObj<'_>>,
    info: &ResolveInfo<'_>,
) -> Result<ResolvedValue<'a>, FieldError> {
    ex.tick(uids.len())?;
    let mut objs = Vec::with_capacity(uids.len());
    for u in uids {
        if let Some(o) = NodeObj::new(ex, declared, u).map_err(ferr)? {
            objs.push(o);
        }
    }
    if crate::lambda::batching() {
        let level = crate::lambda::level_of(parent.map(|p| (p.level, p.ty)), info, || {
            objs.iter().map(|o| (o.uid, o.ty.name.clone())).collect()
        });
        for o in &mut objs {
            o.level = level;
        }
    }
    Ok(ResolvedValue::list(
        objs.into_iter()
            .map(ResolvedValue::object)
            .collect::<Vec<_>>(),
    ))
}

impl ObjectValue for NodeObj<'_> {
    fn type_name(&self) -> &str {
        &self.ty.name
    }

    fn resolve_field<'a>(
        &'a self,
        info: &'a ResolveInfo<'a>,
    ) -> Result<ResolvedValue<'a>, FieldError> {
        let ex = self.ex;
        if ex.budget.stopped() {
            // The request ends with its one error; what is left unresolved stays null
            // (no error per remaining field, no descent into it).
            return Ok(ResolvedValue::null());
        }
        ex.check()?;
        let Some(fi) = self.ty.fields.get(info.field_name()) else {
            return Ok(ResolvedValue::null());
        };
        match &fi.kind {
            FieldKind::Id => Ok(ResolvedValue::leaf(format_uid(self.uid))),
            FieldKind::Unstored => {
                if crate::lambda::is_lambda_field(ex.model, &self.ty.name, info.field_name()) {
                    return crate::lambda::resolve_field(ex, self.ty, self.uid, self.level, info);
                }
                Ok(ResolvedValue::null())
            }
            FieldKind::Scalar(kind) => {
                let vals = field_values(ex, self.uid, fi).map_err(ferr)?;
                if fi.list {
                    let items: Vec<JsonValue> =
                        vals.iter().map(|v| val_to_json(v, *kind)).collect();
                    return Ok(json_resolved(&JsonValue::Array(items), info));
                }
                match vals.first() {
                    Some(v) => Ok(json_resolved(&val_to_json(v, *kind), info)),
                    None if fi.non_null => Err(not_present(info)),
                    None => Ok(ResolvedValue::null()),
                }
            }
            FieldKind::Edge => {
                if ex.cat.get(&fi.target).is_none() {
                    return Ok(ResolvedValue::null());
                }
                let uids = ex
                    .edge_nodes(self.uid, fi, info.arguments(), info.field_selections())
                    .map_err(ferr)?;
                if fi.list {
                    node_list(ex, &fi.target, uids, Some(self), info)
                } else {
                    match uids.first() {
                        Some(u) => {
                            ex.tick(1)?;
                            match NodeObj::new(ex, &fi.target, *u).map_err(ferr)? {
                                Some(mut o) => {
                                    if crate::lambda::batching() {
                                        o.level = crate::lambda::level_of(
                                            Some((self.level, self.ty)),
                                            info,
                                            Vec::new,
                                        );
                                    }
                                    Ok(ResolvedValue::object(o))
                                }
                                None => Ok(ResolvedValue::null()),
                            }
                        }
                        None if fi.non_null => Err(not_present(info)),
                        None => Ok(ResolvedValue::null()),
                    }
                }
            }
            FieldKind::Aggregate(base) => {
                let Some(bf) = self.ty.fields.get(base) else {
                    return Ok(ResolvedValue::null());
                };
                let Some(tt) = ex.cat.get(&bf.target) else {
                    return Ok(ResolvedValue::null());
                };
                let targets = ex.edge_targets(self.uid, bf).map_err(ferr)?;
                let uids = ex
                    .filters()
                    .apply(tt, targets, info.arguments().get("filter"))
                    .map_err(ferr)?;
                Ok(ResolvedValue::object(AggObj { ex, ty: tt, uids }))
            }
        }
    }
}

/// The values of scalar field `fi` on `uid`; for a multi-language field, those of the first
/// language (in preference order) that has any.
pub(crate) fn field_values(
    ex: &Exec<'_>,
    uid: u64,
    fi: &FieldInfo,
) -> Result<Vec<Val>, EngineError> {
    if fi.langs.is_empty() {
        return Ok(ex.rd.scalars(uid, &fi.pred)?);
    }
    for lang in &fi.langs {
        let p = if lang == "." {
            fi.pred.clone()
        } else {
            format!("{}@{lang}", fi.pred)
        };
        let found = ex.rd.scalars(uid, &p)?;
        if !found.is_empty() {
            return Ok(found);
        }
    }
    Ok(Vec::new())
}

/// `TAggregateResult`: `count` and `<f>Min/Max/Sum/Avg` over a node set.
pub struct AggObj<'e> {
    pub ex: &'e Exec<'e>,
    pub ty: &'e TypeInfo,
    pub uids: Vec<u64>,
}

impl ObjectValue for AggObj<'_> {
    fn type_name(&self) -> &str {
        // The result type is named after the type being aggregated.
        agg_type_name(&self.ty.name)
    }

    fn resolve_field<'a>(
        &'a self,
        info: &'a ResolveInfo<'a>,
    ) -> Result<ResolvedValue<'a>, FieldError> {
        if self.ex.budget.stopped() {
            return Ok(ResolvedValue::null());
        }
        self.ex.check()?;
        aggregate_value(self.ex, self.ty, &self.uids, info.field_name()).map(ResolvedValue::leaf)
    }
}

/// One field of `TAggregateResult` over `uids`: `count`, or `<f>Min/Max/Sum/Avg` (null when
/// no node has a value).
pub(crate) fn aggregate_value(
    ex: &Exec<'_>,
    ty: &TypeInfo,
    uids: &[u64],
    name: &str,
) -> Result<JsonValue, FieldError> {
    if name == "count" {
        return Ok(JsonValue::Number(uids.len().into()));
    }
    let (base, op) = ["Min", "Max", "Sum", "Avg"]
        .iter()
        .find_map(|op| name.strip_suffix(op).map(|b| (b, *op)))
        .ok_or_else(|| ferr(format!("unknown aggregate field {name}")))?;
    let Some(fi) = ty.fields.get(base) else {
        return Ok(JsonValue::Null);
    };
    let FieldKind::Scalar(kind) = fi.kind else {
        return Ok(JsonValue::Null);
    };
    let mut vals = Vec::new();
    for u in uids {
        vals.extend(ex.rd.scalars(*u, &fi.pred).map_err(ferr)?);
    }
    if vals.is_empty() {
        return Ok(JsonValue::Null);
    }
    let out = match op {
        "Min" | "Max" => {
            let mut best = vals[0].clone();
            for v in &vals[1..] {
                let o = v.compare(&best).unwrap_or(Ordering::Equal);
                if (op == "Min" && o == Ordering::Less) || (op == "Max" && o == Ordering::Greater) {
                    best = v.clone();
                }
            }
            val_to_json(&best, kind)
        }
        _ => {
            let all_int = vals.iter().all(|v| matches!(v, Val::Int(_)));
            let sum_f: f64 = vals
                .iter()
                .map(|v| match v {
                    Val::Int(i) => *i as f64,
                    Val::Float(f) => *f,
                    _ => 0.0,
                })
                .sum();
            if op == "Sum" {
                if all_int && kind != ScalarKind::Float {
                    let s: i64 = vals
                        .iter()
                        .map(|v| if let Val::Int(i) = v { *i } else { 0 })
                        .fold(0i64, i64::wrapping_add);
                    JsonValue::Number(s.into())
                } else {
                    serde_json::Number::from_f64(sum_f)
                        .map(JsonValue::Number)
                        .unwrap_or(JsonValue::Null)
                }
            } else {
                serde_json::Number::from_f64(sum_f / vals.len() as f64)
                    .map(JsonValue::Number)
                    .unwrap_or(JsonValue::Null)
            }
        }
    };
    Ok(out)
}

fn agg_type_name(t: &str) -> &'static str {
    // Names are interned per distinct type; the set of types is bounded by the schema.
    use parking_lot::Mutex;
    use std::collections::HashMap;
    static NAMES: Mutex<Option<HashMap<String, &'static str>>> = Mutex::new(None);
    let mut g = NAMES.lock();
    let m = g.get_or_insert_with(HashMap::new);
    if let Some(s) = m.get(t) {
        return s;
    }
    let s: &'static str = Box::leak(format!("{t}AggregateResult").into_boxed_str());
    m.insert(t.to_string(), s);
    s
}

/// The root `Query` object of a backend's API.
pub struct QueryRoot<'e> {
    pub ex: &'e Exec<'e>,
}

impl ObjectValue for QueryRoot<'_> {
    fn type_name(&self) -> &str {
        "Query"
    }

    fn resolve_field<'a>(
        &'a self,
        info: &'a ResolveInfo<'a>,
    ) -> Result<ResolvedValue<'a>, FieldError> {
        let ex = self.ex;
        if ex.budget.stopped() {
            // The request ends with its one error; what is left unresolved stays null
            // (no error per remaining field, no descent into it).
            return Ok(ResolvedValue::null());
        }
        ex.check()?;
        let name = info.field_name();
        let args = info.arguments();
        if crate::lambda::is_lambda_root(ex.model, false, name) {
            return crate::lambda::resolve_root("Query", info);
        }
        if let Some(t) = name.strip_prefix("get")
            && let Some(ty) = ex.cat.get(t)
        {
            return resolve_get(ex, ty, name, args, info.field_selections(), info);
        }
        if name == "_service" {
            let mut m = JsonMap::new();
            let sdl = ex.model.map(|m| m.apollo_service_sdl()).unwrap_or("");
            m.insert("sdl", JsonValue::String(sdl.into()));
            return Ok(ResolvedValue::object(JsonObj {
                type_name: "_Service".into(),
                map: m,
            }));
        }
        if name == "_entities" {
            return resolve_entities(ex, info)
                .map_err(|e| ferr(format!("couldn't rewrite query _entities because {e}")));
        }
        if let Some(t) = name
            .strip_prefix("check")
            .and_then(|r| r.strip_suffix("Password"))
            && let Some(ty) = ex.cat.get(t)
            && let Some((field, pred)) = ex.cat.secrets.get(t)
        {
            // The node named by the id/xid arguments, returned only when the password matches.
            let clear = args
                .get(field.as_str())
                .and_then(JsonValue::as_str)
                .unwrap_or("");
            let found = resolve_get(ex, ty, name, args, &[], info)?;
            let ResolvedValue::Object(_) = &found else {
                return Ok(ResolvedValue::null());
            };
            let uid = find_get_uid(ex, ty, args).map_err(ferr)?;
            let ok = match uid {
                Some(u) => ex
                    .rd
                    .scalars(u, pred)
                    .map_err(ferr)?
                    .iter()
                    .any(|v| match v {
                        Val::Password(h) => crate::mutation::coerce::verify_password(clear, h),
                        _ => false,
                    }),
                None => false,
            };
            return Ok(if ok { found } else { ResolvedValue::null() });
        }
        if let Some(t) = name.strip_prefix("query")
            && let Some(ty) = ex.cat.get(t)
        {
            let (all, exact) = ex
                .root_candidates(ty, args.get("filter"))
                .map_err(|e| rewrite_err(name, e))?;
            let uids = ex
                .shape_list_prefiltered(ty, all, args, info.field_selections(), exact)
                .map_err(|e| rewrite_err(name, e))?;
            return node_list(ex, &ty.name, uids, None, info);
        }
        if let Some(t) = name.strip_prefix("aggregate")
            && let Some(ty) = ex.cat.get(t)
        {
            let (all, exact) = ex
                .root_candidates(ty, args.get("filter"))
                .map_err(|e| rewrite_err(name, e))?;
            let uids = if exact {
                all
            } else {
                ex.filters()
                    .apply(ty, all, args.get("filter"))
                    .map_err(|e| rewrite_err(name, e))?
            };
            return Ok(ResolvedValue::object(AggObj { ex, ty, uids }));
        }
        Err(ferr(format!(
            "resolving {name} failed because it is not supported by this server"
        )))
    }
}

/// `_entities(representations:)`: every representation names one type (the same for all)
/// and the value of its `@key` field. When every distinct key is found the answer follows the
/// representations (duplicates repeated) and, as the reference serves it, each object's keys
/// are in byte order; otherwise only the nodes found, in uid order.
fn resolve_entities<'a>(
    ex: &'a Exec<'a>,
    info: &'a ResolveInfo<'a>,
) -> Result<ResolvedValue<'a>, String> {
    let Some(JsonValue::Array(reps)) = info.arguments().get("representations") else {
        return Err("error parsing `representations` argument".into());
    };
    let item = |i: usize| -> Result<(&JsonMap, &str), String> {
        let JsonValue::Object(m) = &reps[i] else {
            return Err(format!(
                "error parsing {i}th item in the `_representations` argument"
            ));
        };
        let t = m.get("__typename").and_then(JsonValue::as_str).ok_or_else(|| {
            format!("unable to extract __typename from {i}th item in the `_representations` argument")
        })?;
        Ok((m, t))
    };
    if reps.is_empty() {
        return Err("expecting at least one item in `representations` argument".into());
    }
    let (_, tname) = item(0)?;
    let ty = ex
        .cat
        .get(tname)
        .ok_or_else(|| format!("type {tname} not found in the schema"))?;
    let key = ex
        .model
        .and_then(|m| m.type_by_name(tname))
        .and_then(|t| t.federation.key.clone())
        .ok_or_else(|| format!("type {tname} doesn't have a key Directive"))?;
    let mut keys: Vec<String> = Vec::with_capacity(reps.len());
    let mut lookups: Vec<(String, JsonMap)> = Vec::new();
    let mut seen: HashSet<String> = HashSet::with_capacity(reps.len());
    for i in 0..reps.len() {
        let (m, t) = item(i)?;
        if t != tname {
            return Err(format!(
                "expected only one unique typename in `_representations` argument, got: [{tname}, {t}]"
            ));
        }
        let v = m.get(key.as_str()).ok_or_else(|| {
            format!("unable to extract value for key field `{key}` from {i}th item in the `_representations` argument")
        })?;
        let k = v.to_string();
        if seen.insert(k.clone()) {
            let mut args = JsonMap::new();
            args.insert(key.as_str(), v.clone());
            lookups.push((k.clone(), args));
        }
        keys.push(k);
    }
    let mut found: HashMap<String, u64> = HashMap::with_capacity(lookups.len());
    for (k, args) in &lookups {
        ex.check().map_err(|e| e.message)?;
        if let Some(u) = find_get_uid(ex, ty, args).map_err(|e| e.to_string())? {
            found.insert(k.clone(), u);
        }
    }
    let uids: Vec<u64> = if found.len() == lookups.len() {
        let key = info
            .field_selections()
            .first()
            .map(|f| f.response_key().as_str())
            .unwrap_or("_entities");
        ex.sort_keys_of.borrow_mut().push(key.to_string());
        keys.iter().map(|k| found[k]).collect()
    } else {
        let mut u: Vec<u64> = found.into_values().collect();
        u.sort_unstable();
        u.dedup();
        u
    };
    ex.tick(uids.len()).map_err(|e| e.message)?;
    let mut objs = Vec::with_capacity(uids.len());
    for u in uids {
        objs.push(NodeObj::new(ex, &ty.name, u).map_err(|e| e.to_string())?);
    }
    if crate::lambda::batching() {
        let level = crate::lambda::level_of(None, info, || {
            objs.iter()
                .flatten()
                .map(|o| (o.uid, o.ty.name.clone()))
                .collect()
        });
        for o in objs.iter_mut().flatten() {
            o.level = level;
        }
    }
    let items: Vec<ResolvedValue<'a>> = objs
        .into_iter()
        .map(|o| match o {
            Some(o) => ResolvedValue::object(o),
            None => ResolvedValue::null(),
        })
        .collect();
    Ok(ResolvedValue::list(items))
}

/// Puts the keys of every object in `v` in byte order, at every level.
pub(crate) fn sort_keys(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(m) => {
            m.sort_keys();
            for x in m.values_mut() {
                sort_keys(x);
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(sort_keys),
        _ => {}
    }
}

fn rewrite_err(field: &str, e: EngineError) -> FieldError {
    ferr(format!("couldn't rewrite query {field} because {e}"))
}

/// The `ID` argument of `get<T>` as text, when given (and the id is the node's uid).
fn get_id_arg<'a>(ty: &TypeInfo, args: &'a JsonMap) -> Option<std::borrow::Cow<'a, str>> {
    if ty.stored_id().is_some() {
        return None;
    }
    let v = args.get(ty.id_field.as_ref()?.as_str())?;
    Some(match v {
        JsonValue::Null => return None,
        JsonValue::String(s) => std::borrow::Cow::Borrowed(s.as_str()),
        other => std::borrow::Cow::Owned(other.to_string()),
    })
}

/// The `ID` argument of `get<T>` that does not parse as a uid, if any (the request's error).
pub(crate) fn bad_get_id(ty: &TypeInfo, args: &JsonMap) -> Option<String> {
    get_id_arg(ty, args)
        .filter(|s| parse_uid(s).is_none())
        .map(|s| s.into_owned())
}

/// The uid `get<T>` arguments name, if that node exists and is visible as `ty` (an unparsable
/// `ID` argument names nothing; see [`bad_get_id`]).
pub(crate) fn find_get_uid(
    ex: &Exec<'_>,
    ty: &TypeInfo,
    args: &JsonMap,
) -> Result<Option<u64>, EngineError> {
    let mut cands: Vec<u64> = Vec::new();
    if let Some(uid) = get_id_arg(ty, args).and_then(|s| parse_uid(&s)) {
        cands.push(uid);
    }
    let mut xid_filters: Vec<(&FieldInfo, Val)> = Vec::new();
    for x in ty.stored_id().map(|f| &f.name).into_iter().chain(&ty.xids) {
        if let Some(v) = args.get(x.as_str())
            && !v.is_null()
            && let Some(fi) = ty.fields.get(x)
            && let FieldKind::Scalar(k) = fi.kind
            && let Some(val) = json_to_val(v, k)
        {
            xid_filters.push((fi, val));
        }
    }
    if cands.is_empty() {
        let Some((fi, v)) = xid_filters.first() else {
            return Ok(None);
        };
        cands = match ex.rd.lookup_eq(&fi.pred, v)? {
            Some(found) => found,
            None => ex.all_of_type(&ty.name)?,
        };
    }
    for uid in ex.visible(&ty.name, cands)? {
        let mut ok = true;
        for (fi, v) in &xid_filters {
            if !ex.rd.scalars(uid, &fi.pred)?.iter().any(|x| x.equals(v)) {
                ok = false;
                break;
            }
        }
        if ok {
            return Ok(Some(uid));
        }
    }
    Ok(None)
}

/// `get<T>`: the node named by the id / `@id` arguments, or null. With `@cascade` on the field,
/// a node lacking a required selected field is null, as in `query<T>`.
fn resolve_get<'a>(
    ex: &'a Exec<'a>,
    ty: &'a TypeInfo,
    name: &str,
    args: &JsonMap,
    selections: &[&Field],
    info: &ResolveInfo<'_>,
) -> Result<ResolvedValue<'a>, FieldError> {
    if let Some(s) = bad_get_id(ty, args) {
        return Err(ferr(format!(
            "couldn't rewrite query {name} because ID argument ({s}) of {name} was not able to be parsed"
        )));
    }
    let Some(uid) = find_get_uid(ex, ty, args).map_err(ferr)? else {
        return Ok(ResolvedValue::null());
    };
    if let Some(c) = cascade_of(selections, ex.vars)
        && !ex
            .cascade_keep(&ty.name, uid, selections, &c)
            .map_err(ferr)?
    {
        return Ok(ResolvedValue::null());
    }
    ex.tick(1)?;
    Ok(match NodeObj::new(ex, &ty.name, uid).map_err(ferr)? {
        Some(mut o) => {
            if crate::lambda::batching() {
                let name = o.ty.name.clone();
                o.level = crate::lambda::level_of(None, info, || vec![(uid, name)]);
            }
            ResolvedValue::object(o)
        }
        None => ResolvedValue::null(),
    })
}

/// A mutation payload (`AddTPayload`, `UpdateTPayload`, `DeleteTPayload`), rendered from a
/// snapshot taken after the write (or before it, for deletions).
pub struct PayloadObj<'e> {
    pub ex: Exec<'e>,
    pub type_name: String,
    pub ty: &'e TypeInfo,
    pub uids: Vec<u64>,
    pub num_uids: usize,
    pub msg: Option<String>,
}

impl ObjectValue for PayloadObj<'_> {
    fn type_name(&self) -> &str {
        &self.type_name
    }

    fn resolve_field<'a>(
        &'a self,
        info: &'a ResolveInfo<'a>,
    ) -> Result<ResolvedValue<'a>, FieldError> {
        match info.field_name() {
            "numUids" => Ok(ResolvedValue::leaf(JsonValue::Number(self.num_uids.into()))),
            "msg" => Ok(ResolvedValue::leaf(
                self.msg
                    .clone()
                    .map(|m| JsonValue::String(m.into()))
                    .unwrap_or(JsonValue::Null),
            )),
            f if f == lower_first(&self.ty.name) => {
                let mut uids = self.uids.clone();
                uids.sort_unstable();
                uids.dedup();
                let uids = self.ex.visible(&self.ty.name, uids).map_err(ferr)?;
                let uids = self
                    .ex
                    .shape_list(self.ty, uids, info.arguments(), info.field_selections())
                    .map_err(ferr)?;
                node_list(&self.ex, &self.ty.name, uids, None, info)
            }
            _ => Ok(ResolvedValue::null()),
        }
    }
}
