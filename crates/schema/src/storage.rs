//! The storage (DQL) schema derived from the model (spec B.11).

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;

use crate::model::{IndexKind, TypeDef, TypeKind};

/// Value kind of a stored predicate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// Int and Int64
    Int,
    /// Float
    Float,
    /// String and enums
    String,
    /// Boolean
    Bool,
    /// DateTime
    DateTime,
    /// Point, Polygon, MultiPolygon
    Geo,
    /// `@secret` password hash
    Password,
    /// `@embedding` vector
    Float32Vector,
    /// edge to another node
    Uid,
}

impl ValueKind {
    /// DQL spelling.
    pub fn as_dql(self) -> &'static str {
        match self {
            ValueKind::Int => "int",
            ValueKind::Float => "float",
            ValueKind::String => "string",
            ValueKind::Bool => "bool",
            ValueKind::DateTime => "dateTime",
            ValueKind::Geo => "geo",
            ValueKind::Password => "password",
            ValueKind::Float32Vector => "float32vector",
            ValueKind::Uid => "uid",
        }
    }
}

/// One stored predicate.
#[derive(Debug, Clone, PartialEq)]
pub struct Predicate {
    /// Predicate name (`Type.field` or the `@dgraph(pred:)` name).
    pub name: String,
    /// Value kind.
    pub kind: ValueKind,
    /// List (`[kind]`).
    pub list: bool,
    /// Index tokenizers, sorted and de-duplicated (`hnsw` carries its options separately).
    pub indexes: Vec<String>,
    /// `hnsw` options (sorted by key) when the predicate has an `hnsw` index.
    pub hnsw_options: Vec<(String, String)>,
    /// `@upsert` (predicates of `@id` fields).
    pub upsert: bool,
    /// `@reverse` (some field reads `~name`).
    pub reverse: bool,
    /// `@lang` (language-tagged).
    pub lang: bool,
}

/// A storage type: its name and predicate names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageType {
    /// Storage type name (`dgraph.type` value).
    pub name: String,
    /// Predicates of the type, in field order.
    pub fields: Vec<String>,
}

/// The whole storage schema.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StorageSchema {
    /// Storage types in definition order.
    pub types: Vec<StorageType>,
    /// Predicates in first-declaration order.
    pub predicates: Vec<Predicate>,
    /// For each type index, the predicates (indices into `predicates`) first declared by it.
    declared_by: Vec<Vec<usize>>,
}

impl StorageSchema {
    /// A predicate by name.
    pub fn predicate(&self, name: &str) -> Option<&Predicate> {
        self.predicates.iter().find(|p| p.name == name)
    }

    /// The schema in DQL text form: each type followed by the predicates it declares first.
    pub fn to_dql(&self) -> String {
        let mut out = String::new();
        for (i, t) in self.types.iter().enumerate() {
            let _ = writeln!(out, "type {} {{", t.name);
            for f in &t.fields {
                let _ = writeln!(out, "  {}", dql_name(f));
            }
            out.push_str("}\n");
            for &p in &self.declared_by[i] {
                let p = &self.predicates[p];
                let kind = if p.list {
                    format!("[{}]", p.kind.as_dql())
                } else {
                    p.kind.as_dql().to_string()
                };
                let _ = write!(out, "{}: {kind}", dql_name(&p.name));
                if !p.indexes.is_empty() {
                    let idx: Vec<String> = p
                        .indexes
                        .iter()
                        .map(|i| {
                            if i == "hnsw" && !p.hnsw_options.is_empty() {
                                let opts: Vec<String> = p
                                    .hnsw_options
                                    .iter()
                                    .map(|(k, v)| format!("{k}: \"{v}\""))
                                    .collect();
                                format!("hnsw({})", opts.join(", "))
                            } else {
                                i.clone()
                            }
                        })
                        .collect();
                    let _ = write!(out, " @index({})", idx.join(", "));
                }
                if p.reverse {
                    out.push_str(" @reverse");
                }
                if p.lang {
                    out.push_str(" @lang");
                }
                if p.upsert {
                    out.push_str(" @upsert");
                }
                out.push_str(" .\n");
            }
        }
        out
    }
}

/// Predicate names outside `[A-Za-z0-9_.]` are written in angle brackets.
fn dql_name(n: &str) -> String {
    if n.chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
    {
        n.to_string()
    } else {
        format!("<{n}>")
    }
}

fn kind_of(type_name: &str, types: &[TypeDef], index: &HashMap<String, usize>) -> ValueKind {
    match type_name {
        "Int" | "Int64" => ValueKind::Int,
        "Float" => ValueKind::Float,
        "String" => ValueKind::String,
        "Boolean" => ValueKind::Bool,
        "DateTime" => ValueKind::DateTime,
        "Point" | "Polygon" | "MultiPolygon" => ValueKind::Geo,
        other => match index.get(other).map(|&i| types[i].kind) {
            Some(TypeKind::Enum) => ValueKind::String,
            _ => ValueKind::Uid,
        },
    }
}

pub(crate) fn build(types: &[TypeDef], index: &HashMap<String, usize>) -> StorageSchema {
    let mut s = StorageSchema::default();
    let mut by_name: HashMap<String, usize> = HashMap::new();
    // Reverse edges are collected first so the forward predicate can carry `@reverse`.
    let mut reversed: BTreeSet<String> = BTreeSet::new();
    for t in types.iter().filter(|t| t.is_stored()) {
        for f in &t.fields {
            if f.reverse
                && let Some(p) = &f.predicate
            {
                reversed.insert(p.clone());
            }
        }
    }
    let mut provided: HashMap<&str, BTreeSet<&str>> = HashMap::new();
    for t in types {
        for f in &t.fields {
            if let Some(p) = &f.provides {
                provided
                    .entry(f.type_name())
                    .or_default()
                    .extend(p.split_whitespace());
            }
        }
    }
    for t in types.iter().filter(|t| t.is_stored()) {
        let mut st = StorageType {
            name: t.storage_name.clone(),
            fields: Vec::new(),
        };
        let mut declared = Vec::new();
        let mut add = |s: &mut StorageSchema, p: Predicate, st: &mut StorageType| {
            if !st.fields.contains(&p.name) {
                st.fields.push(p.name.clone());
            }
            match by_name.get(&p.name) {
                Some(&i) => {
                    let e = &mut s.predicates[i];
                    for ix in p.indexes {
                        if !e.indexes.contains(&ix) {
                            e.indexes.push(ix);
                        }
                    }
                    e.indexes.sort();
                    e.upsert |= p.upsert;
                    e.lang |= p.lang;
                    if e.hnsw_options.is_empty() {
                        e.hnsw_options = p.hnsw_options;
                    }
                }
                None => {
                    by_name.insert(p.name.clone(), s.predicates.len());
                    declared.push(s.predicates.len());
                    s.predicates.push(p);
                }
            }
        };
        for f in &t.fields {
            let Some(pred) = &f.predicate else { continue };
            let is_key = t.federation.key.as_deref() == Some(f.name.as_str());
            let is_provided = provided
                .get(t.name.as_str())
                .is_some_and(|s| s.contains(f.name.as_str()));
            if f.reverse || (f.external && !is_key && !is_provided) {
                continue;
            }
            let kind = if f.is_id {
                ValueKind::String
            } else if f.embedding {
                ValueKind::Float32Vector
            } else {
                kind_of(f.type_name(), types, index)
            };
            let is_enum = index
                .get(f.type_name())
                .is_some_and(|&i| types[i].kind == TypeKind::Enum);
            let mut indexes: Vec<String> = f
                .search
                .iter()
                .map(|k| k.storage_tokenizer().to_string())
                .collect();
            if (is_enum || f.is_id) && indexes.is_empty() {
                indexes.push("hash".to_string());
            }
            indexes.sort();
            indexes.dedup();
            let mut hnsw_options: Vec<(String, String)> = f
                .search
                .iter()
                .find_map(|k| match k {
                    IndexKind::Hnsw(o) => Some(o.clone()),
                    _ => None,
                })
                .unwrap_or_default();
            hnsw_options.sort();
            add(
                &mut s,
                Predicate {
                    name: pred.clone(),
                    kind,
                    list: f.is_list() && kind != ValueKind::Float32Vector,
                    indexes,
                    hnsw_options,
                    upsert: f.xid.is_some() || f.is_id,
                    reverse: reversed.contains(pred),
                    lang: !f.langs.is_empty(),
                },
                &mut st,
            );
        }
        if let Some(sec) = &t.secret {
            add(
                &mut s,
                Predicate {
                    name: sec.predicate.clone(),
                    kind: ValueKind::Password,
                    list: false,
                    indexes: Vec::new(),
                    hnsw_options: Vec::new(),
                    upsert: false,
                    reverse: false,
                    lang: false,
                },
                &mut st,
            );
        }
        s.types.push(st);
        s.declared_by.push(declared);
    }
    s
}
