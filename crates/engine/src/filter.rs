//! Filter evaluation (spec R.2): `and`/`or`/`not`, `has`, the id filter and the per-index
//! scalar operators, evaluated against a snapshot.

use std::cmp::Ordering;

use apollo_compiler::response::{JsonMap, JsonValue};

use crate::catalog::{Catalog, FieldInfo, FieldKind, ScalarKind, TypeInfo, TypeKind};
use crate::graph::{GraphRead, IndexQuery, Val};
use crate::{EngineError, text};

/// Parses a GraphQL `ID` (`0x1f` or decimal) into a uid.
/// `id: [ID!]` on a type whose `ID` field is stored (the `@key` id of an `@extends` type):
/// the nodes whose stored id is one of the given values.
fn stored_id_ops(ty: &TypeInfo, fi: &FieldInfo, v: &JsonValue) -> Option<JsonMap> {
    if ty.stored_id().is_none_or(|s| s.name != fi.name) {
        return None;
    }
    let mut ops = JsonMap::new();
    ops.insert(
        "in",
        JsonValue::Array(as_list(v).into_iter().cloned().collect()),
    );
    Some(ops)
}

pub fn parse_uid(s: &str) -> Option<u64> {
    let s = s.trim();
    let n = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        u64::from_str_radix(h, 16).ok()?
    } else {
        s.parse::<u64>().ok()?
    };
    Some(n)
}

/// Formats a uid as a GraphQL `ID`.
pub fn format_uid(uid: u64) -> String {
    format!("{uid:#x}")
}

/// Input list coercion: a single value is a one-element list.
pub(crate) fn as_list(v: &JsonValue) -> Vec<&JsonValue> {
    match v {
        JsonValue::Array(a) => a.iter().collect(),
        JsonValue::Null => Vec::new(),
        other => vec![other],
    }
}

/// Evaluates filters of one type against nodes.
pub struct FilterEval<'a> {
    pub cat: &'a Catalog,
    pub rd: &'a dyn GraphRead,
}

impl<'a> FilterEval<'a> {
    /// Keeps the uids of `ty` that satisfy `filter` (order preserved).
    pub fn apply(
        &self,
        ty: &TypeInfo,
        uids: Vec<u64>,
        filter: Option<&JsonValue>,
    ) -> Result<Vec<u64>, EngineError> {
        let Some(JsonValue::Object(f)) = filter else {
            return Ok(uids);
        };
        if f.is_empty() {
            return Ok(uids);
        }
        let mut out = Vec::with_capacity(uids.len());
        for uid in uids {
            if self.matches(ty, uid, f)? {
                out.push(uid);
            }
        }
        Ok(out)
    }

    /// Whether node `uid` (of type `ty`) satisfies the filter object `f`.
    pub fn matches(&self, ty: &TypeInfo, uid: u64, f: &JsonMap) -> Result<bool, EngineError> {
        if ty.kind == TypeKind::Union {
            return self.matches_union(ty, uid, f);
        }
        let mut rest = true;
        let mut rest_entries = 0usize;
        let mut or_part: Option<bool> = None;
        for (k, v) in f.iter() {
            let key = k.as_str();
            if v.is_null() {
                continue;
            }
            if key != "or" {
                rest_entries += 1;
            }
            if !rest {
                continue;
            }
            match key {
                "and" => {
                    for sub in as_list(v) {
                        if let JsonValue::Object(sf) = sub
                            && !self.matches(ty, uid, sf)?
                        {
                            rest = false;
                            break;
                        }
                    }
                }
                "or" => {
                    let mut any = false;
                    let mut saw = false;
                    for sub in as_list(v) {
                        if let JsonValue::Object(sf) = sub {
                            saw = true;
                            if self.matches(ty, uid, sf)? {
                                any = true;
                                break;
                            }
                        }
                    }
                    if saw {
                        or_part = Some(any);
                    }
                }
                "not" => {
                    if let JsonValue::Object(sf) = v
                        && self.matches(ty, uid, sf)?
                    {
                        rest = false;
                    }
                }
                "has" => {
                    for name in as_list(v) {
                        if let Some(n) = name.as_str()
                            && let Some(fi) = ty.fields.get(n)
                            && !self.has_value(uid, fi)?
                        {
                            rest = false;
                            break;
                        }
                    }
                }
                _ => {
                    let Some(fi) = ty.fields.get(key) else {
                        continue;
                    };
                    let ok = if let Some(ops) = stored_id_ops(ty, fi, v) {
                        self.scalar_ops(uid, fi, &ops)?
                    } else if fi.kind == FieldKind::Id {
                        as_list(v)
                            .iter()
                            .filter_map(|x| x.as_str().and_then(parse_uid))
                            .any(|x| x == uid)
                    } else if let JsonValue::Object(ops) = v {
                        self.scalar_ops(uid, fi, ops)?
                    } else {
                        // A bare value (Boolean filters): equality.
                        let mut ops = JsonMap::new();
                        ops.insert("eq", v.clone());
                        self.scalar_ops(uid, fi, &ops)?
                    };
                    if !ok {
                        rest = false;
                    }
                }
            }
        }
        // The `or` entry is a disjunction with the conjunction of the other entries; alone it
        // is the whole filter. (The `or` list itself was evaluated even after `rest` failed
        // only when it came first; evaluate it now when needed.)
        if or_part.is_none()
            && let Some(v) = f.get("or")
            && !v.is_null()
        {
            let mut any = false;
            let mut saw = false;
            for sub in as_list(v) {
                if let JsonValue::Object(sf) = sub {
                    saw = true;
                    if self.matches(ty, uid, sf)? {
                        any = true;
                        break;
                    }
                }
            }
            if saw {
                or_part = Some(any);
            }
        }
        Ok(match or_part {
            Some(o) if rest_entries == 0 => o,
            Some(o) => rest || o,
            None => rest,
        })
    }

    /// A candidate superset (ascending uids) of the nodes matching `filter`, from indexes;
    /// `None` when no index narrows it. Candidates must still be checked with [`Self::apply`].
    pub fn candidates(
        &self,
        ty: &TypeInfo,
        filter: &JsonValue,
    ) -> Result<Option<Vec<u64>>, EngineError> {
        let JsonValue::Object(f) = filter else {
            return Ok(None);
        };
        if ty.kind == TypeKind::Union {
            return Ok(None);
        }
        let mut acc: Option<Vec<u64>> = None;
        let mut rest_entries = 0;
        for (k, v) in f.iter() {
            let key = k.as_str();
            if v.is_null() || key == "or" {
                continue;
            }
            rest_entries += 1;
            let c = match key {
                "and" => {
                    let mut inner: Option<Vec<u64>> = None;
                    for sub in as_list(v) {
                        if let Some(c) = self.candidates(ty, sub)? {
                            inner = Some(match inner {
                                Some(a) => intersect(&a, &c),
                                None => c,
                            });
                        }
                    }
                    inner
                }
                "not" => None,
                "has" => {
                    let mut inner: Option<Vec<u64>> = None;
                    for name in as_list(v) {
                        let Some(fi) = name.as_str().and_then(|n| ty.fields.get(n)) else {
                            continue;
                        };
                        if fi.reverse || !matches!(fi.kind, FieldKind::Scalar(_) | FieldKind::Edge)
                        {
                            continue;
                        }
                        if let Some(c) = self.rd.lookup(&fi.pred, IndexQuery::Has)? {
                            inner = Some(match inner {
                                Some(a) => intersect(&a, &c),
                                None => c,
                            });
                        }
                    }
                    inner
                }
                _ => match ty.fields.get(key) {
                    Some(fi) if fi.kind == FieldKind::Id => {
                        let mut ids: Vec<u64> = as_list(v)
                            .iter()
                            .filter_map(|x| x.as_str().and_then(parse_uid))
                            .collect();
                        ids.sort_unstable();
                        ids.dedup();
                        Some(ids)
                    }
                    Some(fi) => match stored_id_ops(ty, fi, v) {
                        Some(ops) => self.field_candidates(fi, &JsonValue::Object(ops))?,
                        None => self.field_candidates(fi, v)?,
                    },
                    None => None,
                },
            };
            if let Some(c) = c {
                acc = Some(match acc {
                    Some(a) => intersect(&a, &c),
                    None => c,
                });
            }
        }
        if let Some(orv) = f.get("or")
            && !orv.is_null()
        {
            // `rest OR or-part`: a union, usable only when every branch is narrowed.
            let mut union: Vec<u64> = Vec::new();
            for sub in as_list(orv) {
                match self.candidates(ty, sub)? {
                    Some(c) => union = merge(&union, &c),
                    None => return Ok(None),
                }
            }
            return Ok(match (rest_entries, acc) {
                (0, _) => Some(union),
                (_, Some(a)) => Some(merge(&a, &union)),
                (_, None) => None,
            });
        }
        Ok(acc)
    }

    /// The field of a filter made of exactly one scalar-field entry.
    pub fn single_field<'t>(&self, ty: &'t TypeInfo, filter: &JsonValue) -> Option<&'t FieldInfo> {
        let JsonValue::Object(f) = filter else {
            return None;
        };
        let mut entries = f.iter().filter(|(_, v)| !v.is_null());
        match (entries.next(), entries.next()) {
            (Some((k, _)), None) => ty
                .fields
                .get(k.as_str())
                .filter(|fi| matches!(fi.kind, FieldKind::Scalar(_)) && !fi.reverse),
            _ => None,
        }
    }

    /// Whether the index answer of [`Self::candidates`] for `filter` is exact (a single
    /// indexed operator, an id list or `has`), so candidates need no re-check.
    pub fn index_is_exact(&self, ty: &TypeInfo, filter: &JsonValue) -> bool {
        let JsonValue::Object(f) = filter else {
            return false;
        };
        let mut entries = f.iter().filter(|(_, v)| !v.is_null());
        let (Some((k, v)), None) = (entries.next(), entries.next()) else {
            return false;
        };
        match k.as_str() {
            // `has` on an edge must also see a visible target: re-check.
            "has" | "and" | "or" | "not" => false,
            key => match ty.fields.get(key) {
                Some(fi) if fi.kind == FieldKind::Id => true,
                Some(fi) if matches!(fi.kind, FieldKind::Scalar(_)) && !fi.reverse => match v {
                    JsonValue::Object(ops) => {
                        ops.len() == 1 && ops.iter().all(|(_, a)| !a.is_null())
                    }
                    _ => false,
                },
                _ => false,
            },
        }
    }

    fn field_candidates(
        &self,
        fi: &FieldInfo,
        v: &JsonValue,
    ) -> Result<Option<Vec<u64>>, EngineError> {
        use std::ops::Bound;
        let FieldKind::Scalar(kind) = fi.kind else {
            return Ok(None);
        };
        if fi.reverse {
            return Ok(None);
        }
        let (op, arg) = match v {
            JsonValue::Object(ops) => {
                let mut it = ops.iter();
                match (it.next(), it.next()) {
                    (Some((k, a)), None) => (k.as_str(), a),
                    _ => return Ok(None),
                }
            }
            other => ("eq", other),
        };
        if arg.is_null() {
            return Ok(None);
        }
        let rd = self.rd;
        let p = fi.pred.as_str();
        Ok(match op {
            "eq" => match json_to_val(arg, kind) {
                Some(val) => rd.lookup(p, IndexQuery::Eq(&val))?,
                None => Some(Vec::new()),
            },
            "in" => {
                let mut union = Vec::new();
                for a in as_list(arg) {
                    let Some(val) = json_to_val(a, kind) else {
                        continue;
                    };
                    match rd.lookup(p, IndexQuery::Eq(&val))? {
                        Some(c) => union = merge(&union, &c),
                        None => return Ok(None),
                    }
                }
                Some(union)
            }
            "le" | "lt" | "ge" | "gt" => {
                let Some(val) = json_to_val(arg, kind) else {
                    return Ok(Some(Vec::new()));
                };
                let (lo, hi) = match op {
                    "le" => (Bound::Unbounded, Bound::Included(&val)),
                    "lt" => (Bound::Unbounded, Bound::Excluded(&val)),
                    "ge" => (Bound::Included(&val), Bound::Unbounded),
                    _ => (Bound::Excluded(&val), Bound::Unbounded),
                };
                rd.lookup(p, IndexQuery::Range(lo, hi))?
            }
            "between" => {
                let (Some(min), Some(max)) = (
                    arg.get("min").and_then(|a| json_to_val(a, kind)),
                    arg.get("max").and_then(|a| json_to_val(a, kind)),
                ) else {
                    return Ok(None);
                };
                rd.lookup(
                    p,
                    IndexQuery::Range(Bound::Included(&min), Bound::Included(&max)),
                )?
            }
            "allofterms" | "anyofterms" => match arg.as_str() {
                Some(t) => rd.lookup(p, IndexQuery::Terms(t, op == "allofterms"))?,
                None => None,
            },
            "alloftext" | "anyoftext" => match arg.as_str() {
                Some(t) => rd.lookup(p, IndexQuery::Fulltext(t, op == "alloftext"))?,
                None => None,
            },
            "regexp" => match arg.as_str().map(text::parse_regexp) {
                Some(Ok((pat, ci))) => rd.lookup(p, IndexQuery::Regexp(pat, ci))?,
                _ => None,
            },
            "ngram" => match arg.as_str() {
                Some(t) => rd.lookup(p, IndexQuery::Ngram(t))?,
                None => None,
            },
            _ => None,
        })
    }

    fn matches_union(&self, ty: &TypeInfo, uid: u64, f: &JsonMap) -> Result<bool, EngineError> {
        let types = self.rd.node_types(uid)?;
        let Some(concrete) = self.cat.concrete_type(&ty.name, &types) else {
            return Ok(false);
        };
        if let Some(mt) = f.get("memberTypes")
            && !mt.is_null()
        {
            let allowed = as_list(mt).iter().any(|m| m.as_str() == Some(concrete));
            if !allowed {
                return Ok(false);
            }
        }
        let key = format!("{}Filter", lower_first(concrete));
        if let Some(JsonValue::Object(sf)) = f.get(key.as_str())
            && let Some(ct) = self.cat.get(concrete)
        {
            return self.matches(ct, uid, sf);
        }
        Ok(true)
    }

    /// Whether `uid` has a value (non-empty list) for the field.
    pub fn has_value(&self, uid: u64, fi: &FieldInfo) -> Result<bool, EngineError> {
        Ok(match &fi.kind {
            FieldKind::Id => true,
            FieldKind::Scalar(_) => !self.rd.scalars(uid, &fi.pred)?.is_empty(),
            FieldKind::Edge => {
                let targets = if fi.reverse {
                    self.rd.reverse_edges(uid, &fi.pred)?
                } else {
                    self.rd.edges(uid, &fi.pred)?
                };
                let names = self.cat.storage_names(&fi.target);
                let mut any = false;
                for t in targets {
                    let nt = self.rd.node_types(t)?;
                    if nt.iter().any(|s| names.contains(s)) {
                        any = true;
                        break;
                    }
                }
                any
            }
            _ => false,
        })
    }

    fn scalar_ops(&self, uid: u64, fi: &FieldInfo, ops: &JsonMap) -> Result<bool, EngineError> {
        let FieldKind::Scalar(kind) = fi.kind else {
            return Ok(true);
        };
        let present: Vec<(&str, &JsonValue)> = ops.iter().map(|(k, v)| (k.as_str(), v)).collect();
        if present.len() > 1 {
            return Err(EngineError::Query(format!(
                "{} filter expects only one filter function, got: {}",
                filter_type_name(fi, kind),
                present.len()
            )));
        }
        let Some((op, arg)) = present.first().copied() else {
            return Ok(true);
        };
        let vals = self.rd.scalars(uid, &fi.pred)?;
        if arg.is_null() {
            // `{f: {eq: null}}` selects nodes without a value; other null operands are ignored.
            return Ok(if op == "eq" { vals.is_empty() } else { true });
        }
        let any = |pred: &dyn Fn(&Val) -> bool| vals.iter().any(pred);
        Ok(match op {
            "eq" => {
                let Some(q) = json_to_val(arg, kind) else {
                    return Ok(false);
                };
                any(&|v| v.equals(&q))
            }
            "in" => {
                let qs: Vec<Val> = as_list(arg)
                    .into_iter()
                    .filter_map(|a| json_to_val(a, kind))
                    .collect();
                any(&|v| qs.iter().any(|q| v.equals(q)))
            }
            "le" | "lt" | "ge" | "gt" => {
                let Some(q) = json_to_val(arg, kind) else {
                    return Ok(false);
                };
                any(&|v| match v.compare(&q) {
                    Some(o) => match op {
                        "le" => o != Ordering::Greater,
                        "lt" => o == Ordering::Less,
                        "ge" => o != Ordering::Less,
                        _ => o == Ordering::Greater,
                    },
                    None => false,
                })
            }
            "between" => {
                let (Some(min), Some(max)) = (
                    arg.get("min").and_then(|a| json_to_val(a, kind)),
                    arg.get("max").and_then(|a| json_to_val(a, kind)),
                ) else {
                    return Ok(false);
                };
                any(&|v| {
                    v.compare(&min).is_some_and(|o| o != Ordering::Less)
                        && v.compare(&max).is_some_and(|o| o != Ordering::Greater)
                })
            }
            "allofterms" | "anyofterms" => {
                let q = text::terms(arg.as_str().unwrap_or(""));
                text_match(&vals, &q, op == "allofterms", text::terms)
            }
            "alloftext" | "anyoftext" => {
                let q = text::fulltext(arg.as_str().unwrap_or(""));
                text_match(&vals, &q, op == "alloftext", text::fulltext)
            }
            "regexp" => {
                let re = text::compile_regexp(arg.as_str().unwrap_or(""))?;
                any(&|v| matches!(v, Val::Str(s) if re.is_match(s)))
            }
            "ngram" => {
                let words = text::ngram_words(arg.as_str().unwrap_or(""));
                any(&|v| matches!(v, Val::Str(s) if text::ngram_matches(s, &words)))
            }
            "near" | "within" | "contains" | "intersects" => {
                let q = serde_json::to_value(arg).unwrap_or_default();
                any(&|v| match v {
                    Val::Geo(g) => crate::geo::matches(op, g, &q),
                    _ => false,
                })
            }
            _ => true,
        })
    }
}

fn text_match(vals: &[Val], q: &[String], all: bool, tok: fn(&str) -> Vec<String>) -> bool {
    if q.is_empty() {
        return false;
    }
    vals.iter().any(|v| {
        let Val::Str(s) = v else { return false };
        let toks = tok(s);
        if all {
            q.iter().all(|t| toks.contains(t))
        } else {
            q.iter().any(|t| toks.contains(t))
        }
    })
}

fn filter_type_name(fi: &FieldInfo, kind: ScalarKind) -> String {
    let _ = fi;
    match kind {
        ScalarKind::Int => "IntFilter".into(),
        ScalarKind::Int64 => "Int64Filter".into(),
        ScalarKind::Float => "FloatFilter".into(),
        ScalarKind::DateTime => "DateTimeFilter".into(),
        ScalarKind::String => "StringFilter".into(),
        ScalarKind::Enum => format!("{}_hash", fi.target),
        _ => format!("{:?}Filter", kind),
    }
}

pub(crate) fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// Converts a (coerced) GraphQL input value to a stored value of the field's kind.
pub fn json_to_val(v: &JsonValue, kind: ScalarKind) -> Option<Val> {
    Some(match kind {
        ScalarKind::Int | ScalarKind::Int64 => match v {
            JsonValue::Number(n) => Val::Int(n.as_i64()?),
            JsonValue::String(s) => Val::Int(s.as_str().trim().parse().ok()?),
            _ => return None,
        },
        ScalarKind::Float => Val::Float(match v {
            JsonValue::Number(n) => n.as_f64()?,
            JsonValue::String(s) => s.as_str().trim().parse().ok()?,
            _ => return None,
        }),
        ScalarKind::String | ScalarKind::Enum => Val::Str(v.as_str()?.to_string()),
        ScalarKind::Boolean => Val::Bool(v.as_bool()?),
        ScalarKind::DateTime => Val::DateTime(parse_datetime(v.as_str()?)?),
        ScalarKind::Point | ScalarKind::Polygon | ScalarKind::MultiPolygon => {
            Val::Geo(serde_json::to_value(v).ok()?)
        }
    })
}

/// Parses the DateTime forms Dgraph accepts: RFC 3339, or a date / date-time without zone
/// (taken as UTC).
pub fn parse_datetime(s: &str) -> Option<time::OffsetDateTime> {
    use time::format_description::well_known::Rfc3339;
    let s = s.trim();
    if let Ok(t) = time::OffsetDateTime::parse(s, &Rfc3339) {
        return Some(t);
    }
    let fmts: [&[time::format_description::BorrowedFormatItem<'_>]; 3] = [
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]"),
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]"),
        time::macros::format_description!("[year]-[month]-[day]"),
    ];
    for (i, f) in fmts.iter().enumerate() {
        if i == 2 {
            if let Ok(d) = time::Date::parse(s, f) {
                return Some(d.midnight().assume_utc());
            }
        } else if let Ok(t) = time::PrimitiveDateTime::parse(s, f) {
            return Some(t.assume_utc());
        }
    }
    if let Ok(y) = s.parse::<i32>()
        && let Ok(d) = time::Date::from_calendar_date(y, time::Month::January, 1)
    {
        return Some(d.midnight().assume_utc());
    }
    None
}

/// Intersection of two ascending uid lists.
pub(crate) fn intersect(a: &[u64], b: &[u64]) -> Vec<u64> {
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            Ordering::Less => i += 1,
            Ordering::Greater => j += 1,
            Ordering::Equal => {
                out.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out
}

/// Union of two ascending uid lists.
pub(crate) fn merge(a: &[u64], b: &[u64]) -> Vec<u64> {
    let (mut i, mut j, mut out) = (0, 0, Vec::with_capacity(a.len() + b.len()));
    while i < a.len() || j < b.len() {
        if j >= b.len() || (i < a.len() && a[i] < b[j]) {
            out.push(a[i]);
            i += 1;
        } else if i >= a.len() || b[j] < a[i] {
            out.push(b[j]);
            j += 1;
        } else {
            out.push(a[i]);
            i += 1;
            j += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uids_parse_and_print() {
        assert_eq!(parse_uid("0x1f"), Some(31));
        assert_eq!(parse_uid("31"), Some(31));
        assert_eq!(parse_uid("0x0"), Some(0));
        assert_eq!(parse_uid("zz"), None);
        assert_eq!(parse_uid("0xzz"), None);
        assert_eq!(format_uid(31), "0x1f");
    }

    #[test]
    fn uid_list_set_operations() {
        assert_eq!(intersect(&[1, 3, 5, 7], &[2, 3, 7, 9]), vec![3, 7]);
        assert_eq!(merge(&[1, 3, 5], &[2, 3, 9]), vec![1, 2, 3, 5, 9]);
        assert_eq!(intersect(&[], &[1]), Vec::<u64>::new());
    }

    #[test]
    fn datetime_forms() {
        let t = parse_datetime("2000-01-01").unwrap();
        assert_eq!(t.unix_timestamp(), 946_684_800);
        assert_eq!(parse_datetime("2000-01-01T00:00:00Z"), Some(t));
        assert_eq!(
            parse_datetime("2000-01-01T01:00:00+01:00").map(|x| x.unix_timestamp()),
            Some(946_684_800)
        );
        assert_eq!(
            parse_datetime("2000").map(|x| x.unix_timestamp()),
            Some(946_684_800)
        );
        assert_eq!(parse_datetime("yesterday"), None);
    }

    #[test]
    fn values_convert_by_kind() {
        assert_eq!(
            json_to_val(&JsonValue::from(5), ScalarKind::Int64),
            Some(Val::Int(5))
        );
        assert_eq!(
            json_to_val(&JsonValue::from("7"), ScalarKind::Int64),
            Some(Val::Int(7))
        );
        assert_eq!(
            json_to_val(&JsonValue::from(2), ScalarKind::Float),
            Some(Val::Float(2.0))
        );
        assert_eq!(json_to_val(&JsonValue::from("x"), ScalarKind::Int), None);
        assert!(Val::Int(2).equals(&Val::Float(2.0)));
    }
}
