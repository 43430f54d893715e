//! Imports of Dgraph exports (JSON or RDF N-Quads, such as `g01.json.gz` / `g01.rdf.gz`)
//! into a backend, optionally together with a GraphQL schema (`g01.gql_schema.gz`).
//!
//! An import is atomic. Every file is parsed and every value converted to the kind of its
//! predicate **before** anything is written; the first problem aborts with an error naming
//! the file and line (RDF) or JSON path. Then the schema (if given) and all data are written
//! in one store write: a failure there leaves the backend as it was too.
//!
//! Node names in the files (`<0x1f>`, `_:name`, `"uid": "0x1f"`) name nodes *of the import*:
//! each distinct name becomes one new node, so an import never overwrites existing nodes and
//! the same export can be loaded into any backend. Facets (`pred|facet` keys, `(k=v)` in
//! N-Quads) and the `namespace` key/label are ignored; language-tagged values are refused.
//! A `password` value that already looks like a bcrypt hash (as exports hold them) is kept
//! as is, anything else is hashed.

use std::collections::HashMap;

use graphcloud_store::{self as store, GraphRead as _, PredicateSchema, Value, ValueKind};
use serde_json::Value as Json;

use crate::Engine;
use crate::mutation::coerce::{hash_password, parse_datetime, parse_uid};
use crate::store_adapter::{datetime_to_store, geo_from_json};

/// One input file: its name (for error messages) and its text.
pub struct ImportFile {
    pub name: String,
    pub text: String,
}

/// What an import wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Nodes created.
    pub nodes: u64,
    /// Values, types and edges written (N-Quads).
    pub edges: u64,
    /// Whether a GraphQL schema was applied.
    pub schema_applied: bool,
}

/// The object of one statement.
enum Obj {
    Node(u32),
    Type(String),
    Value(Value),
}

struct Quad {
    subject: u32,
    pred: u32,
    obj: Obj,
}

/// Parsed statements with interned node names and predicates.
struct Parsed {
    quads: Vec<Quad>,
    nodes: HashMap<String, u32>,
    anonymous: u32,
    preds: Vec<String>,
    pred_ids: HashMap<String, u32>,
}

/// Whether `s` is an input the JSON parser should read (first non-blank byte `[` or `{`).
fn looks_like_json(s: &str) -> bool {
    matches!(s.trim_start().as_bytes().first(), Some(b'[' | b'{'))
}

impl Parsed {
    fn node(&mut self, name: &str) -> u32 {
        // `0x1f`, `31` and `<0x1f>` are the same node; blank nodes keep their name.
        let key = match parse_uid(name) {
            Some(u) => format!("{u:#x}"),
            None => name.to_string(),
        };
        let next = (self.nodes.len() as u32) + self.anonymous;
        *self.nodes.entry(key).or_insert(next)
    }

    fn anonymous_node(&mut self) -> u32 {
        let id = (self.nodes.len() as u32) + self.anonymous;
        self.anonymous += 1;
        id
    }

    fn node_count(&self) -> u32 {
        self.nodes.len() as u32 + self.anonymous
    }

    fn pred(&mut self, p: &str) -> u32 {
        if let Some(&id) = self.pred_ids.get(p) {
            return id;
        }
        let id = self.preds.len() as u32;
        self.preds.push(p.to_string());
        self.pred_ids.insert(p.to_string(), id);
        id
    }
}

/// Converts a literal (lexical form) to a value of `kind`.
fn convert(kind: ValueKind, text: &str) -> Result<Value, String> {
    let bad = || format!("value {text:?} is not a valid {}", kind.name());
    Ok(match kind {
        ValueKind::Int => Value::Int(text.trim().parse().map_err(|_| bad())?),
        ValueKind::Float => {
            let f: f64 = text.trim().parse().map_err(|_| bad())?;
            if f.is_nan() {
                return Err(bad());
            }
            Value::Float(f)
        }
        ValueKind::String => Value::String(text.to_string()),
        ValueKind::Bool => match text.trim() {
            "true" | "TRUE" | "True" | "1" | "t" | "T" => Value::Bool(true),
            "false" | "FALSE" | "False" | "0" | "f" | "F" => Value::Bool(false),
            _ => return Err(bad()),
        },
        ValueKind::DateTime => Value::DateTime(datetime_to_store(
            parse_datetime(text.trim()).ok_or_else(bad)?,
        )),
        ValueKind::Geo => {
            let j: Json = serde_json::from_str(text).map_err(|_| bad())?;
            geo_value(&j).ok_or_else(bad)?
        }
        ValueKind::Password => password(text).map_err(|e| format!("{}: {e}", bad()))?,
        ValueKind::Uid => {
            return Err(format!(
                "{text:?} is a value, but the predicate holds edges"
            ));
        }
    })
}

fn geo_value(j: &Json) -> Option<Value> {
    let g = geo_from_json(j)?.validate().ok()?;
    Some(Value::Geo(g))
}

fn password(text: &str) -> Result<Value, String> {
    let is_hash = text.len() == 60 && text.starts_with("$2") && text.as_bytes()[3] == b'$';
    if is_hash {
        Ok(Value::Password(text.to_string()))
    } else {
        hash_password(text).map(Value::Password).map_err(|e| e.0)
    }
}

/// The kinds of the predicates the import may use.
struct Kinds(HashMap<String, (ValueKind, bool)>);

impl Kinds {
    fn get(&self, pred: &str) -> Result<ValueKind, String> {
        self.0.get(pred).map(|k| k.0).ok_or_else(|| {
            format!(
                "predicate <{pred}> is not in the backend's schema (set a GraphQL schema that has it, or import the export's g01.gql_schema.gz with the data)"
            )
        })
    }
}

// ---------------------------------------------------------------- RDF

/// Reads one N-Quads term starting at `s[i]`; returns the term and the index after it.
fn rdf_term(s: &str, mut i: usize) -> Result<(RdfTerm, usize), String> {
    let b = s.as_bytes();
    while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
        i += 1;
    }
    match b.get(i) {
        Some(b'<') => {
            let end = s[i + 1..].find('>').ok_or("unterminated <…>")?;
            Ok((RdfTerm::Iri(s[i + 1..i + 1 + end].to_string()), i + end + 2))
        }
        Some(b'_') if s[i..].starts_with("_:") => {
            let start = i;
            i += 2;
            while i < b.len() && !matches!(b[i], b' ' | b'\t' | b'.' | b'<' | b'"' | b'(') {
                i += 1;
            }
            Ok((RdfTerm::Blank(s[start..i].to_string()), i))
        }
        Some(b'"') => {
            let mut out = String::new();
            i += 1;
            let mut chars = s[i..].char_indices();
            let mut end = None;
            while let Some((off, c)) = chars.next() {
                match c {
                    '"' => {
                        end = Some(i + off + 1);
                        break;
                    }
                    '\\' => match chars.next() {
                        Some((_, 'n')) => out.push('\n'),
                        Some((_, 'r')) => out.push('\r'),
                        Some((_, 't')) => out.push('\t'),
                        Some((_, 'b')) => out.push('\u{8}'),
                        Some((_, 'f')) => out.push('\u{c}'),
                        Some((_, '"')) => out.push('"'),
                        Some((_, '\'')) => out.push('\''),
                        Some((_, '\\')) => out.push('\\'),
                        Some((o, 'u')) | Some((o, 'U')) => {
                            let n = if s[i + o..].starts_with('u') { 4 } else { 8 };
                            let hex = s.get(i + o + 1..i + o + 1 + n).ok_or("bad \\u escape")?;
                            let c = u32::from_str_radix(hex, 16)
                                .ok()
                                .and_then(char::from_u32)
                                .ok_or("bad \\u escape")?;
                            out.push(c);
                            for _ in 0..n {
                                chars.next();
                            }
                        }
                        _ => return Err("bad escape in literal".into()),
                    },
                    c => out.push(c),
                }
            }
            let mut i = end.ok_or("unterminated string literal")?;
            // The datatype is not needed: the predicate's kind decides the conversion.
            if s[i..].starts_with("^^<") {
                let e = s[i + 3..].find('>').ok_or("unterminated datatype")?;
                i += e + 4;
            } else if s[i..].starts_with('@') {
                return Err("language-tagged values are not supported".into());
            }
            Ok((RdfTerm::Literal(out), i))
        }
        _ => Err("expected <…>, _:name or \"literal\"".into()),
    }
}

enum RdfTerm {
    Iri(String),
    Blank(String),
    Literal(String),
}

fn rdf_line(p: &mut Parsed, kinds: &Kinds, line: &str) -> Result<(), String> {
    let (subj, i) = rdf_term(line, 0)?;
    let subject = match subj {
        RdfTerm::Iri(n) | RdfTerm::Blank(n) => p.node(&n),
        RdfTerm::Literal(_) => return Err("a subject cannot be a literal".into()),
    };
    let (pred, i) = rdf_term(line, i)?;
    let RdfTerm::Iri(pred) = pred else {
        return Err("the predicate must be <name>".into());
    };
    let (obj, i) = rdf_term(line, i)?;
    // The rest: optional label, optional facets, then `.`.
    let mut rest = line[i..].trim();
    if rest.starts_with('<') || rest.starts_with("_:") {
        let (_, j) = rdf_term(rest, 0)?;
        rest = rest[j..].trim();
    }
    if rest.starts_with('(') {
        let e = rest.find(')').ok_or("unterminated facets")?;
        rest = rest[e + 1..].trim();
    }
    if rest != "." {
        return Err("expected `.` at the end of the statement".into());
    }
    add_statement(p, kinds, subject, &pred, obj)
}

fn add_statement(
    p: &mut Parsed,
    kinds: &Kinds,
    subject: u32,
    pred: &str,
    obj: RdfTerm,
) -> Result<(), String> {
    if pred.contains('@') {
        return Err("language-tagged predicates are not supported".into());
    }
    let obj = if pred == store::TYPE_PREDICATE {
        match obj {
            RdfTerm::Literal(t) => Obj::Type(t),
            _ => return Err("dgraph.type needs a string literal".into()),
        }
    } else {
        let kind = kinds.get(pred)?;
        match obj {
            RdfTerm::Iri(n) | RdfTerm::Blank(n) => {
                if kind != ValueKind::Uid {
                    return Err(format!("<{pred}> holds {} values, not edges", kind.name()));
                }
                Obj::Node(p.node(&n))
            }
            RdfTerm::Literal(text) => Obj::Value(convert(kind, &text)?),
        }
    };
    let pred = p.pred(pred);
    p.quads.push(Quad { subject, pred, obj });
    Ok(())
}

fn parse_rdf(p: &mut Parsed, kinds: &Kinds, file: &ImportFile) -> Result<(), String> {
    for (n, line) in file.text.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        rdf_line(p, kinds, t).map_err(|e| format!("{} line {}: {e}", file.name, n + 1))?;
    }
    Ok(())
}

// ---------------------------------------------------------------- JSON

fn json_scalar_text(v: &Json) -> Option<String> {
    match v {
        Json::String(s) => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        Json::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn json_node(p: &mut Parsed, kinds: &Kinds, v: &Json, path: &str) -> Result<u32, String> {
    let o = v
        .as_object()
        .ok_or_else(|| format!("{path}: expected a JSON object"))?;
    let subject = match o.get("uid") {
        None | Some(Json::Null) => p.anonymous_node(),
        Some(Json::String(s)) if !s.trim().is_empty() => p.node(s.trim()),
        Some(other) => return Err(format!("{path}.uid: invalid uid {other}")),
    };
    for (key, val) in o {
        if key == "uid" || key == "namespace" || key.contains('|') || val.is_null() {
            continue;
        }
        let kpath = format!("{path}.{key}");
        let items: Vec<&Json> = match val {
            Json::Array(a) => a.iter().filter(|x| !x.is_null()).collect(),
            other => vec![other],
        };
        if key == store::TYPE_PREDICATE {
            for t in items {
                let t = t
                    .as_str()
                    .ok_or_else(|| format!("{kpath}: type names must be strings"))?;
                add_statement(p, kinds, subject, key, RdfTerm::Literal(t.into()))
                    .map_err(|e| format!("{kpath}: {e}"))?;
            }
            continue;
        }
        let kind = kinds.get(key).map_err(|e| format!("{kpath}: {e}"))?;
        for (i, item) in items.into_iter().enumerate() {
            let ipath = if val.is_array() {
                format!("{kpath}[{i}]")
            } else {
                kpath.clone()
            };
            let obj = match (kind, item) {
                (ValueKind::Uid, Json::Object(_)) => Obj::Node(json_node(p, kinds, item, &ipath)?),
                (ValueKind::Geo, Json::Object(_)) => Obj::Value(
                    geo_value(item).ok_or_else(|| format!("{ipath}: invalid geometry {item}"))?,
                ),
                (_, Json::Object(_) | Json::Array(_)) => {
                    return Err(format!(
                        "{ipath}: <{key}> holds {} values, not objects",
                        kind.name()
                    ));
                }
                (_, scalar) => {
                    let text = json_scalar_text(scalar)
                        .ok_or_else(|| format!("{ipath}: invalid value {scalar}"))?;
                    Obj::Value(convert(kind, &text).map_err(|e| format!("{ipath}: {e}"))?)
                }
            };
            let pred = p.pred(key);
            p.quads.push(Quad { subject, pred, obj });
        }
    }
    Ok(subject)
}

fn parse_json(p: &mut Parsed, kinds: &Kinds, file: &ImportFile) -> Result<(), String> {
    let data: Json = serde_json::from_str(&file.text)
        .map_err(|e| format!("{}: not valid JSON: {e}", file.name))?;
    let items: Vec<(String, &Json)> = match &data {
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
            _ => vec![("$".to_string(), &data)],
        },
        _ => return Err(format!("{}: expected a JSON list of objects", file.name)),
    };
    for (path, item) in items {
        json_node(p, kinds, item, &path).map_err(|e| format!("{}: {e}", file.name))?;
    }
    Ok(())
}

/// Reads a GraphQL schema file of an export: Dgraph's `[{"namespace":…,"schema":"…"}]`, an
/// object with `schema`, or the SDL text itself.
pub fn graphql_schema_from_export(text: &str) -> Result<String, String> {
    if !looks_like_json(text) {
        return Ok(text.to_string());
    }
    let j: Json = serde_json::from_str(text)
        .map_err(|e| format!("the GraphQL schema file is not valid JSON: {e}"))?;
    let first = match &j {
        Json::Array(a) => a.first().cloned().unwrap_or(Json::Null),
        other => other.clone(),
    };
    match first.get("schema") {
        Some(Json::String(s)) => Ok(s.clone()),
        _ if first.is_null() => Ok(String::new()),
        _ => Err("the GraphQL schema file has no \"schema\" text".into()),
    }
}

impl Engine {
    /// Imports `files` (Dgraph JSON or RDF N-Quads, told apart by their first character)
    /// into `backend`, after applying `schema` (GraphQL SDL) when given — all or nothing.
    /// Errors are complete client-visible messages. Blocking.
    pub fn import(
        &self,
        backend: u64,
        schema: Option<&str>,
        files: &[ImportFile],
    ) -> Result<ImportReport, String> {
        let schema = schema.filter(|s| !s.trim().is_empty());
        // The predicate kinds: of the new schema when one comes with the data, else stored.
        let (preds, api): (Vec<PredicateSchema>, _) = match schema {
            Some(sdl) => {
                let api = crate::api::compile(sdl)
                    .map_err(|e| format!("the GraphQL schema is invalid: {e}"))?;
                let preds = crate::engine::predicate_schemas(
                    api.model.as_ref().ok_or("schema model missing")?,
                );
                (preds, Some((sdl.to_string(), api)))
            }
            None => (
                self.store()
                    .read(backend)
                    .and_then(|s| s.schema())
                    .map_err(|e| e.to_string())?,
                None,
            ),
        };
        let kinds = Kinds(
            preds
                .iter()
                .filter(|p| !p.name.starts_with("dgraph."))
                .map(|p| (p.name.clone(), (p.kind, p.list)))
                .collect(),
        );
        let mut parsed = Parsed {
            quads: Vec::new(),
            nodes: HashMap::new(),
            anonymous: 0,
            preds: Vec::new(),
            pred_ids: HashMap::new(),
        };
        for f in files {
            if looks_like_json(&f.text) {
                parse_json(&mut parsed, &kinds, f)?;
            } else {
                parse_rdf(&mut parsed, &kinds, f)?;
            }
        }
        let node_count = parsed.node_count();
        let edges = parsed.quads.len() as u64;
        let schema_applied = api.is_some();
        let sdl = api.map(|(s, _)| s);
        let Parsed {
            quads,
            preds: names,
            ..
        } = parsed;
        let counter = self
            .store()
            .write_blocking(
                backend,
                move |txn| -> Result<Option<u64>, store::StoreError> {
                    let mut counter = None;
                    if let Some(sdl) = sdl {
                        let existing = crate::engine::read_stored(&*txn)
                            .map_err(|e| store::StoreError::Aborted(e.to_string()))?;
                        let (uid, c) = match existing {
                            Some(s) => (s.uid, s.counter),
                            None => {
                                let uid = txn.alloc_uid()?;
                                txn.add_type(uid, crate::engine::SCHEMA_TYPE)?;
                                (uid, 0)
                            }
                        };
                        txn.apply_schema(&preds)?;
                        txn.set_value(uid, crate::engine::SCHEMA_PRED, Value::String(sdl))?;
                        txn.set_value(
                            uid,
                            crate::engine::COUNTER_PRED,
                            Value::Int((c + 1) as i64),
                        )?;
                        counter = Some(c + 1);
                    }
                    let mut uids = Vec::with_capacity(node_count as usize);
                    for _ in 0..node_count {
                        uids.push(txn.alloc_uid()?);
                    }
                    for q in quads {
                        let s = uids[q.subject as usize];
                        let pred = &names[q.pred as usize];
                        match q.obj {
                            Obj::Type(t) => txn.add_type(s, &t)?,
                            Obj::Node(o) => {
                                txn.add_edge(s, pred, uids[o as usize])?;
                            }
                            Obj::Value(v) => {
                                txn.add_value(s, pred, v)?;
                            }
                        }
                    }
                    Ok(counter)
                },
            )
            .map_err(|e| format!("the import failed and nothing was written: {e}"))?;
        if counter.is_some() {
            // The compiled API is rebuilt from the new SDL on the next request.
            self.forget(backend);
        }
        tracing::info!(backend, nodes = node_count, edges, "import finished");
        Ok(ImportReport {
            nodes: u64::from(node_count),
            edges,
            schema_applied,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds() -> Kinds {
        Kinds(
            [
                ("P.name", ValueKind::String),
                ("P.age", ValueKind::Int),
                ("P.f", ValueKind::Uid),
                ("P.at", ValueKind::DateTime),
            ]
            .into_iter()
            .map(|(n, k)| (n.to_string(), (k, false)))
            .collect(),
        )
    }

    fn parsed() -> Parsed {
        Parsed {
            quads: Vec::new(),
            nodes: HashMap::new(),
            anonymous: 0,
            preds: Vec::new(),
            pred_ids: HashMap::new(),
        }
    }

    #[test]
    fn rdf_statements_with_labels_escapes_and_facets() {
        let mut p = parsed();
        let k = kinds();
        rdf_line(
            &mut p,
            &k,
            r#"<0x1> <P.name> "a \"q\"\nb"^^<xs:string> <0x0> ."#,
        )
        .unwrap();
        rdf_line(&mut p, &k, r#"_:x <P.f> <0x01> (since=2020) ."#).unwrap();
        rdf_line(&mut p, &k, r#"<0x1> <dgraph.type> "P" ."#).unwrap();
        rdf_line(&mut p, &k, r#"<0x1> <P.age> "42"^^<xs:int> ."#).unwrap();
        assert_eq!(p.quads.len(), 4);
        assert_eq!(p.node_count(), 2, "0x1 and 0x01 are one node");
        assert!(matches!(&p.quads[0].obj, Obj::Value(Value::String(s)) if s == "a \"q\"\nb"));
        assert!(matches!(p.quads[1].obj, Obj::Node(0)));
        assert!(matches!(&p.quads[2].obj, Obj::Type(t) if t == "P"));
        assert!(matches!(p.quads[3].obj, Obj::Value(Value::Int(42))));
        for bad in [
            r#"<0x1> <P.age> "x"^^<xs:int> ."#,
            r#"<0x1> <P.nope> "x" ."#,
            r#"<0x1> <P.name> <0x2> ."#,
            r#"<0x1> <P.name> "x"@en ."#,
            r#"<0x1> <P.name> "x""#,
            r#""x" <P.name> "x" ."#,
        ] {
            assert!(rdf_line(&mut p, &k, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn json_nodes_nested_and_lists() {
        let mut p = parsed();
        let f = ImportFile {
            name: "g01.json".into(),
            text: r#"[{"uid":"0x5","namespace":"0x0","dgraph.type":["P"],"P.name":"a","P.f":{"uid":"0x6"}},
                     {"uid":"0x6","P.age":"7","P.at":"2020-01-02T03:04:05Z"},
                     {"P.name":"anon"}]"#
                .into(),
        };
        parse_json(&mut p, &kinds(), &f).unwrap();
        assert_eq!(p.node_count(), 3);
        assert_eq!(p.quads.len(), 6);
        let err = parse_json(
            &mut parsed(),
            &kinds(),
            &ImportFile {
                name: "bad.json".into(),
                text: r#"[{"uid":"0x1","P.age":"seven"}]"#.into(),
            },
        )
        .unwrap_err();
        assert!(err.starts_with("bad.json: [0].P.age: "), "{err}");
    }

    #[test]
    fn graphql_schema_file_forms() {
        assert_eq!(
            graphql_schema_from_export(r#"[{"namespace":"0x0","schema":"type A { id: ID! }"}]"#)
                .unwrap(),
            "type A { id: ID! }"
        );
        assert_eq!(
            graphql_schema_from_export("type A { id: ID! }").unwrap(),
            "type A { id: ID! }"
        );
        assert!(graphql_schema_from_export(r#"[{"x":1}]"#).is_err());
    }
}
