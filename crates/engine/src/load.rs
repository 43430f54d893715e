//! Loader for Dgraph's JSON mutation format (the `test_data.json` fixtures of Dgraph's
//! GraphQL suites, and simple data imports).
//!
//! The input is a list of objects (or one object, or `{"set": [...]}`). Each object is a
//! node: `uid` names it (`_:name` blank node, `0x…` explicit uid, absent = new anonymous
//! node), `dgraph.type` adds type names (a string or a list; repeated objects with the same
//! `uid` add up), every other key is a storage predicate (`Type.field`). A value is a
//! scalar, a list of scalars, a GeoJSON object (for `geo` predicates), or a nested object
//! (or list of them) that is itself a node linked by a uid edge. `null` values are skipped.
//!
//! Every predicate must exist in the storage schema (unless the schema was told to
//! [`LoadSchema::allow_unknown_predicates`]) and every value must fit its kind; the first
//! problem aborts the load with an error naming the JSON path, and since the
//! loader writes through one [`GraphWrite`] transaction nothing of a failed load is kept.
//! `@hasInverse` partners are not filled in (this is a storage-level import, like
//! Dgraph's); reverse (`~p`) edges are kept by the store.

use std::collections::HashMap;

use serde_json::Value as Json;

use crate::graph::Val;
use crate::mutation::coerce::{self, parse_datetime, parse_uid};
use crate::mutation::write::{GraphWrite, WriteError};

/// The value kind of a storage predicate (spec B.11).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PredKind {
    Int,
    Float,
    String,
    Bool,
    DateTime,
    Geo,
    Password,
    Uid,
}

/// What the loader needs to know about one storage predicate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PredSpec {
    pub kind: PredKind,
    pub list: bool,
}

/// The storage predicates data may use.
#[derive(Debug, Clone, Default)]
pub struct LoadSchema {
    preds: HashMap<String, PredSpec>,
    allow_unknown: bool,
}

impl LoadSchema {
    pub fn new() -> Self {
        Self::default()
    }

    /// Declares (or redeclares) a predicate.
    pub fn insert(&mut self, pred: impl Into<String>, kind: PredKind, list: bool) {
        self.preds.insert(pred.into(), PredSpec { kind, list });
    }

    pub fn get(&self, pred: &str) -> Option<PredSpec> {
        self.preds.get(pred).copied()
    }

    /// Accepts predicates the schema does not declare, as Dgraph does for schemaless data:
    /// their kind is taken from the JSON value (objects are uid edges, lists are lists).
    /// Such values are stored but belong to no GraphQL field.
    pub fn allow_unknown_predicates(mut self) -> Self {
        self.allow_unknown = true;
        self
    }

    fn spec_for(&self, pred: &str, v: &Json) -> Option<PredSpec> {
        if let Some(s) = self.get(pred) {
            return Some(s);
        }
        if !self.allow_unknown {
            return None;
        }
        let (first, list) = match v {
            Json::Array(a) => (a.iter().find(|x| !x.is_null())?, true),
            other => (other, false),
        };
        let kind = match first {
            Json::Bool(_) => PredKind::Bool,
            Json::Number(n) if n.is_i64() || n.is_u64() => PredKind::Int,
            Json::Number(_) => PredKind::Float,
            Json::String(_) => PredKind::String,
            Json::Object(o) if o.contains_key("type") && o.contains_key("coordinates") => {
                PredKind::Geo
            }
            Json::Object(_) => PredKind::Uid,
            _ => return None,
        };
        Some(PredSpec { kind, list })
    }
}

/// What a load did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadSummary {
    /// Nodes written (each distinct uid once).
    pub nodes: usize,
    /// The uid given to each blank node name (without the `_:` prefix).
    pub blank_nodes: HashMap<String, u64>,
}

/// Why a load failed.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{path}: {msg}")]
    Invalid { path: String, msg: String },
    #[error("{0}")]
    Write(#[from] WriteError),
}

fn invalid(path: &str, msg: impl Into<String>) -> LoadError {
    LoadError::Invalid {
        path: if path.is_empty() {
            "$".to_string()
        } else {
            path.to_string()
        },
        msg: msg.into(),
    }
}

/// Loads Dgraph JSON mutation data into `w`.
pub fn load_json(
    w: &mut dyn GraphWrite,
    schema: &LoadSchema,
    data: &Json,
) -> Result<LoadSummary, LoadError> {
    let mut l = Loader {
        w,
        schema,
        blank: HashMap::new(),
        seen: std::collections::HashSet::new(),
    };
    let items: Vec<(String, &Json)> = match data {
        Json::Array(a) => a
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("[{i}]"), v))
            .collect(),
        Json::Object(o) => match o.get("set") {
            Some(Json::Array(a)) if o.len() == 1 => a
                .iter()
                .enumerate()
                .map(|(i, v)| (format!("set[{i}]"), v))
                .collect(),
            Some(v @ Json::Object(_)) if o.len() == 1 => vec![("set".to_string(), v)],
            _ => vec![(String::new(), data)],
        },
        _ => return Err(invalid("", "expected a JSON object or a list of objects")),
    };
    for (path, item) in items {
        if !item.is_object() {
            return Err(invalid(&path, "expected a JSON object"));
        }
        l.node(item, &path)?;
    }
    Ok(LoadSummary {
        nodes: l.seen.len(),
        blank_nodes: l.blank,
    })
}

struct Loader<'a> {
    w: &'a mut dyn GraphWrite,
    schema: &'a LoadSchema,
    blank: HashMap<String, u64>,
    seen: std::collections::HashSet<u64>,
}

impl Loader<'_> {
    /// Writes one node object and returns its uid.
    fn node(&mut self, v: &Json, path: &str) -> Result<u64, LoadError> {
        let o = v
            .as_object()
            .ok_or_else(|| invalid(path, "expected a JSON object"))?;
        let uid = match o.get("uid") {
            None | Some(Json::Null) => self.w.new_uid()?,
            Some(Json::String(s)) => {
                if let Some(name) = s.strip_prefix("_:") {
                    if name.is_empty() {
                        return Err(invalid(&format!("{path}.uid"), "empty blank node name"));
                    }
                    match self.blank.get(name) {
                        Some(&u) => u,
                        None => {
                            let u = self.w.new_uid()?;
                            self.blank.insert(name.to_string(), u);
                            u
                        }
                    }
                } else {
                    let u = parse_uid(s).ok_or_else(|| {
                        invalid(&format!("{path}.uid"), format!("invalid uid `{s}`"))
                    })?;
                    if self.seen.insert(u) {
                        self.w.reserve_uid(u)?;
                    }
                    u
                }
            }
            Some(other) => {
                return Err(invalid(
                    &format!("{path}.uid"),
                    format!("invalid uid {other}"),
                ));
            }
        };
        self.seen.insert(uid);
        for (key, val) in o {
            let kpath = format!("{path}.{key}");
            match key.as_str() {
                "uid" => {}
                "dgraph.type" => match val {
                    Json::String(t) => self.w.add_type(uid, t)?,
                    Json::Array(ts) => {
                        for t in ts {
                            let t = t
                                .as_str()
                                .ok_or_else(|| invalid(&kpath, "type names must be strings"))?;
                            self.w.add_type(uid, t)?;
                        }
                    }
                    Json::Null => {}
                    _ => return Err(invalid(&kpath, "type names must be strings")),
                },
                pred => {
                    if val.is_null() {
                        continue;
                    }
                    let spec = self.schema.spec_for(pred, val).ok_or_else(|| {
                        invalid(&kpath, format!("predicate `{pred}` is not in the schema"))
                    })?;
                    match val {
                        Json::Array(items) => {
                            for (i, item) in items.iter().enumerate() {
                                self.value(uid, pred, spec, item, &format!("{kpath}[{i}]"))?;
                            }
                        }
                        _ => self.value(uid, pred, spec, val, &kpath)?,
                    }
                }
            }
        }
        Ok(uid)
    }

    fn value(
        &mut self,
        uid: u64,
        pred: &str,
        spec: PredSpec,
        v: &Json,
        path: &str,
    ) -> Result<(), LoadError> {
        if v.is_null() {
            return Ok(());
        }
        if spec.kind == PredKind::Uid {
            if !v.is_object() {
                return Err(invalid(
                    path,
                    format!("predicate `{pred}` holds uid edges; expected an object"),
                ));
            }
            let target = self.node(v, path)?;
            if !spec.list {
                self.w.clear(uid, pred)?;
            }
            self.w.add_edge(uid, pred, target)?;
            return Ok(());
        }
        let val = scalar(spec.kind, v).map_err(|m| invalid(path, m))?;
        if spec.list {
            self.w.add_scalar(uid, pred, val)?;
        } else {
            self.w.set_scalar(uid, pred, val)?;
        }
        Ok(())
    }
}

/// Converts one JSON value to a stored value of `kind` with Dgraph's lenient conversions
/// (numbers and booleans from strings, strings from numbers).
fn scalar(kind: PredKind, v: &Json) -> Result<Val, String> {
    let mismatch = || format!("value {v} does not fit a {} predicate", kind_name(kind));
    Ok(match kind {
        PredKind::Int => match v {
            Json::Number(n) => match n.as_i64() {
                Some(i) => Val::Int(i),
                None => match n.as_f64() {
                    Some(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => Val::Int(f as i64),
                    _ => return Err(mismatch()),
                },
            },
            Json::String(s) => Val::Int(s.trim().parse().map_err(|_| mismatch())?),
            Json::Bool(b) => Val::Int(i64::from(*b)),
            _ => return Err(mismatch()),
        },
        PredKind::Float => match v {
            Json::Number(n) => Val::Float(n.as_f64().ok_or_else(mismatch)?),
            Json::String(s) => Val::Float(s.trim().parse().map_err(|_| mismatch())?),
            _ => return Err(mismatch()),
        },
        PredKind::String => match v {
            Json::String(s) => Val::Str(s.clone()),
            Json::Number(n) => Val::Str(n.to_string()),
            Json::Bool(b) => Val::Str(b.to_string()),
            _ => return Err(mismatch()),
        },
        PredKind::Bool => match v {
            Json::Bool(b) => Val::Bool(*b),
            Json::String(s) => match s.as_str() {
                "true" | "TRUE" | "True" | "1" | "t" | "T" => Val::Bool(true),
                "false" | "FALSE" | "False" | "0" | "f" | "F" => Val::Bool(false),
                _ => return Err(mismatch()),
            },
            _ => return Err(mismatch()),
        },
        PredKind::DateTime => match v {
            Json::String(s) => Val::DateTime(parse_datetime(s).ok_or_else(mismatch)?),
            Json::Number(n) if n.is_i64() => Val::DateTime(
                time::OffsetDateTime::from_unix_timestamp(n.as_i64().unwrap_or_default())
                    .map_err(|_| mismatch())?,
            ),
            _ => return Err(mismatch()),
        },
        PredKind::Geo => Val::Geo(coerce::geojson(v).map_err(|e| e.0)?),
        PredKind::Password => match v {
            Json::String(s) => Val::Password(coerce::hash_password(s).map_err(|e| e.0)?),
            _ => return Err(mismatch()),
        },
        PredKind::Uid => return Err(mismatch()),
    })
}

fn kind_name(k: PredKind) -> &'static str {
    match k {
        PredKind::Int => "int",
        PredKind::Float => "float",
        PredKind::String => "string",
        PredKind::Bool => "bool",
        PredKind::DateTime => "datetime",
        PredKind::Geo => "geo",
        PredKind::Password => "password",
        PredKind::Uid => "uid",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lenient_scalars() {
        assert_eq!(
            scalar(PredKind::Int, &json!(280000000000i64)),
            Ok(Val::Int(280000000000))
        );
        assert_eq!(scalar(PredKind::Int, &json!("12")), Ok(Val::Int(12)));
        assert_eq!(scalar(PredKind::Float, &json!(6)), Ok(Val::Float(6.0)));
        assert_eq!(
            scalar(PredKind::String, &json!(1234)),
            Ok(Val::Str("1234".into()))
        );
        assert_eq!(scalar(PredKind::Bool, &json!("true")), Ok(Val::Bool(true)));
        assert!(scalar(PredKind::Int, &json!("x")).is_err());
        assert!(scalar(PredKind::DateTime, &json!("not a date")).is_err());
        assert!(scalar(PredKind::Geo, &json!({"type": "Point"})).is_err());
        assert!(scalar(PredKind::Uid, &json!(1)).is_err());
    }
}
