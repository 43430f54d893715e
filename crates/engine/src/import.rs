//! Imports of Dgraph exports (JSON or RDF N-Quads, such as `g01.json.gz` / `g01.rdf.gz`)
//! into a backend, optionally together with a GraphQL schema (`g01.gql_schema.gz`).
//!
//! An import is atomic. Every file is parsed and every value converted to the kind of its
//! predicate **before** anything is written; the first problem aborts with an error naming
//! the file and line (RDF) or JSON path. Then the schema (if given) and all data are written
//! in one store write: a failure there leaves the backend as it was too. The data goes
//! through the store's bulk write of new nodes ([`graphcloud_store::NewNodes`]): the same
//! stored state as adding every statement through the ordinary write calls, with the keys
//! streamed in order into the one engine transaction.
//!
//! Node names in the files (`<0x1f>`, `_:name`, `"uid": "0x1f"`) name nodes *of the import*:
//! each distinct name becomes one new node, so an import never overwrites existing nodes and
//! the same export can be loaded into any backend. Facets (`pred|facet` keys, `(k=v)` in
//! N-Quads) and the `namespace` key/label are ignored; language-tagged values are refused.
//! A `password` value that already looks like a bcrypt hash (as exports hold them) is kept
//! as is, anything else is hashed.

use std::borrow::Cow;
use std::collections::HashMap;

use graphcloud_store::{
    self as store, GraphRead as _, NewNodes, PredicateSchema, Value, ValueKind,
};
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
enum Obj<'a> {
    Node(u32),
    Type(Cow<'a, str>),
    Value(Value),
}

/// Parsed statements: the new nodes with their facts, and the node names of the files.
#[derive(Default)]
struct Parsed {
    out: NewNodes,
    /// Nodes named by a uid (`<0x1f>`, `"uid": "31"`), by number.
    uids: HashMap<u64, u32>,
    /// Nodes named otherwise (blank nodes), by name.
    names: HashMap<String, u32>,
}

/// Whether `s` is an input the JSON parser should read (first non-blank byte `[` or `{`).
fn looks_like_json(s: &str) -> bool {
    matches!(s.trim_start().as_bytes().first(), Some(b'[' | b'{'))
}

impl Parsed {
    fn node(&mut self, name: &str) -> Result<u32, String> {
        // `0x1f`, `31` and `<0x1f>` are the same node; blank nodes keep their name.
        if let Some(u) = parse_uid(name) {
            if let Some(&id) = self.uids.get(&u) {
                return Ok(id);
            }
            let id = self.anonymous_node()?;
            self.uids.insert(u, id);
            return Ok(id);
        }
        if let Some(&id) = self.names.get(name) {
            return Ok(id);
        }
        let id = self.anonymous_node()?;
        self.names.insert(name.to_string(), id);
        Ok(id)
    }

    fn anonymous_node(&mut self) -> Result<u32, String> {
        self.out.add_node().map_err(|e| e.to_string())
    }

    fn node_count(&self) -> u32 {
        self.out.node_count()
    }

    fn push(&mut self, subject: u32, pred: &str, obj: Obj<'_>) {
        match obj {
            Obj::Type(t) => self.out.add_type(subject, &t),
            Obj::Node(o) => self.out.add_edge(subject, pred, o),
            Obj::Value(v) => self.out.add_value(subject, pred, v),
        }
    }
}

/// Converts a literal (lexical form) to a value of `kind`.
fn convert(kind: ValueKind, text: Cow<'_, str>) -> Result<Value, String> {
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
        ValueKind::String => Value::String(text.into_owned()),
        ValueKind::Bool => match text.trim() {
            "true" | "TRUE" | "True" | "1" | "t" | "T" => Value::Bool(true),
            "false" | "FALSE" | "False" | "0" | "f" | "F" => Value::Bool(false),
            _ => return Err(bad()),
        },
        ValueKind::DateTime => Value::DateTime(datetime_to_store(
            parse_datetime(text.trim()).ok_or_else(bad)?,
        )),
        ValueKind::Geo => {
            let j: Json = serde_json::from_str(&text).map_err(|_| bad())?;
            geo_value(&j).ok_or_else(bad)?
        }
        ValueKind::Password => password(&text).map_err(|e| format!("{}: {e}", bad()))?,
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
fn rdf_term(s: &str, mut i: usize) -> Result<(RdfTerm<'_>, usize), String> {
    let b = s.as_bytes();
    while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
        i += 1;
    }
    match b.get(i) {
        Some(b'<') => {
            let end = s[i + 1..].find('>').ok_or("unterminated <…>")?;
            Ok((RdfTerm::Iri(&s[i + 1..i + 1 + end]), i + end + 2))
        }
        Some(b'_') if s[i..].starts_with("_:") => {
            let start = i;
            i += 2;
            while i < b.len() && !matches!(b[i], b' ' | b'\t' | b'.' | b'<' | b'"' | b'(') {
                i += 1;
            }
            Ok((RdfTerm::Blank(&s[start..i]), i))
        }
        Some(b'"') => {
            i += 1;
            let body = &s[i..];
            if let Some(j) = body.bytes().position(|c| c == b'"' || c == b'\\')
                && body.as_bytes()[j] == b'"'
            {
                // No escapes: the literal is a slice of the line.
                return literal_end(s, Cow::Borrowed(&body[..j]), i + j + 1);
            }
            let mut out = String::new();
            let mut chars = body.char_indices();
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
            let end = end.ok_or("unterminated string literal")?;
            literal_end(s, Cow::Owned(out), end)
        }
        _ => Err("expected <…>, _:name or \"literal\"".into()),
    }
}

/// A literal's text and what follows its closing quote (`i`): an optional datatype.
fn literal_end<'a>(
    s: &str,
    text: Cow<'a, str>,
    mut i: usize,
) -> Result<(RdfTerm<'a>, usize), String> {
    // The datatype is not needed: the predicate's kind decides the conversion.
    if s[i..].starts_with("^^<") {
        let e = s[i + 3..].find('>').ok_or("unterminated datatype")?;
        i += e + 4;
    } else if s[i..].starts_with('@') {
        return Err("language-tagged values are not supported".into());
    }
    Ok((RdfTerm::Literal(text), i))
}

enum RdfTerm<'a> {
    Iri(&'a str),
    Blank(&'a str),
    Literal(Cow<'a, str>),
}

fn rdf_line(p: &mut Parsed, kinds: &Kinds, line: &str) -> Result<(), String> {
    let (subj, i) = rdf_term(line, 0)?;
    let subject = match subj {
        RdfTerm::Iri(n) | RdfTerm::Blank(n) => p.node(n)?,
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
    add_statement(p, kinds, subject, pred, obj)
}

fn add_statement(
    p: &mut Parsed,
    kinds: &Kinds,
    subject: u32,
    pred: &str,
    obj: RdfTerm<'_>,
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
                Obj::Node(p.node(n)?)
            }
            RdfTerm::Literal(text) => Obj::Value(convert(kind, text)?),
        }
    };
    p.push(subject, pred, obj);
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

fn json_scalar_text(v: &Json) -> Option<Cow<'_, str>> {
    match v {
        Json::String(s) => Some(Cow::Borrowed(s)),
        Json::Number(n) => Some(Cow::Owned(n.to_string())),
        Json::Bool(b) => Some(Cow::Owned(b.to_string())),
        _ => None,
    }
}

fn json_node(p: &mut Parsed, kinds: &Kinds, v: &Json, path: &str) -> Result<u32, String> {
    let o = v
        .as_object()
        .ok_or_else(|| format!("{path}: expected a JSON object"))?;
    let subject = match o.get("uid") {
        None | Some(Json::Null) => p.anonymous_node().map_err(|e| format!("{path}: {e}"))?,
        Some(Json::String(s)) if !s.trim().is_empty() => {
            p.node(s.trim()).map_err(|e| format!("{path}: {e}"))?
        }
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
                add_statement(p, kinds, subject, key, RdfTerm::Literal(Cow::Borrowed(t)))
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
                    Obj::Value(convert(kind, text).map_err(|e| format!("{ipath}: {e}"))?)
                }
            };
            p.push(subject, key, obj);
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

/// How the parsed data is written.
#[derive(Clone, Copy)]
enum WritePath {
    /// The store's bulk write of new nodes (keys streamed into one engine transaction).
    Bulk,
    /// Every statement through the ordinary write calls, in one mutation (the reference
    /// the bulk write is compared with).
    #[cfg(test)]
    Calls,
}

/// The schema part of an import's write: the new GraphQL schema stored like a schema
/// update (its node created when missing, the counter bumped) and the predicate schemas
/// applied. Returns the new counter.
fn write_schema(
    txn: &mut store::WriteTxn<'_>,
    sdl: String,
    preds: &[PredicateSchema],
) -> Result<u64, store::StoreError> {
    let existing =
        crate::engine::read_stored(&*txn).map_err(|e| store::StoreError::Aborted(e.to_string()))?;
    let (uid, c) = match existing {
        Some(s) => (s.uid, s.counter),
        None => {
            let uid = txn.alloc_uid()?;
            txn.add_type(uid, crate::engine::SCHEMA_TYPE)?;
            (uid, 0)
        }
    };
    txn.apply_schema(preds)?;
    txn.set_value(uid, crate::engine::SCHEMA_PRED, Value::String(sdl))?;
    txn.set_value(uid, crate::engine::COUNTER_PRED, Value::Int((c + 1) as i64))?;
    Ok(c + 1)
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
        self.import_with(backend, schema, files, WritePath::Bulk)
    }

    fn import_with(
        &self,
        backend: u64,
        schema: Option<&str>,
        files: &[ImportFile],
        path: WritePath,
    ) -> Result<ImportReport, String> {
        let schema = schema.filter(|s| !s.trim().is_empty());
        // The predicate kinds: of the new schema when one comes with the data, else stored.
        let (preds, sdl): (Vec<PredicateSchema>, _) = match schema {
            Some(sdl) => {
                let api = crate::api::compile(sdl)
                    .map_err(|e| format!("the GraphQL schema is invalid: {e}"))?;
                let preds = crate::engine::predicate_schemas(
                    api.model.as_ref().ok_or("schema model missing")?,
                );
                (preds, Some(sdl.to_string()))
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
        let mut parsed = Parsed::default();
        for f in files {
            if looks_like_json(&f.text) {
                parse_json(&mut parsed, &kinds, f)?;
            } else {
                parse_rdf(&mut parsed, &kinds, f)?;
            }
        }
        drop(kinds);
        let node_count = parsed.node_count();
        let edges = parsed.out.fact_count() as u64;
        let schema_applied = sdl.is_some();
        // The node names are no longer needed: only the facts go to the store.
        let Parsed { out, .. } = parsed;
        let schema_part = move |txn: &mut store::WriteTxn<'_>| match sdl {
            Some(sdl) => write_schema(txn, sdl, &preds).map(Some),
            None => Ok(None),
        };
        let written = match path {
            WritePath::Bulk => self
                .store()
                .bulk_write_blocking(backend, out, schema_part)
                .map(|(counter, _)| counter),
            #[cfg(test)]
            WritePath::Calls => self.store().write_blocking(backend, move |txn| {
                let counter = schema_part(txn)?;
                out.apply(txn)?;
                Ok(counter)
            }),
        };
        let counter =
            written.map_err(|e| format!("the import failed and nothing was written: {e}"))?;
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
        Parsed::default()
    }

    /// The parsed facts written into an empty backend 1 (new node `i` gets uid `i + 1`).
    fn stored(p: Parsed) -> store::Snapshot {
        let st = store::Store::with_engine(
            std::sync::Arc::new(store::MemoryEngine::default()),
            store::StoreOptions::default(),
        )
        .unwrap();
        st.write_blocking(1, move |t| p.out.apply(t)).unwrap();
        st.read(1).unwrap()
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
        assert_eq!(p.out.fact_count(), 4);
        assert_eq!(p.node_count(), 2, "0x1 and 0x01 are one node");
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
        assert_eq!(p.out.fact_count(), 4, "bad lines add nothing");
        let snap = stored(p);
        assert_eq!(
            snap.values(1, "P.name").unwrap(),
            vec![Value::String("a \"q\"\nb".into())]
        );
        assert_eq!(snap.edges(2, "P.f").unwrap(), vec![1]);
        assert_eq!(snap.types(1).unwrap(), vec!["P".to_string()]);
        assert_eq!(snap.values(1, "P.age").unwrap(), vec![Value::Int(42)]);
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
        assert_eq!(p.out.fact_count(), 6);
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

    const SDL: &str = r#"type Person @secret(field: "pwd") {
  name: String! @id @search(by: [hash, term])
  age: Int @search
  bio: String @search(by: [fulltext])
  born: DateTime @search(by: [day])
  tags: [String] @search(by: [exact])
  friends: [Person]
  best: Person
}"#;

    fn rdf_file(hash: &str) -> ImportFile {
        let text = format!(
            r#"<_:a> <dgraph.type> "Person" .
<_:a> <Person.name> "Alice Smith" .
<_:a> <Person.age> "30"^^<xs:int> .
<_:a> <Person.bio> "Alice writes \"long\" stories about running foxes" .
<_:a> <Person.born> "1990-05-06T07:08:09Z" .
<_:a> <Person.tags> "y" .
<_:a> <Person.tags> "x" .
<_:a> <Person.tags> "y" .
<_:a> <Person.friends> <_:b> .
<_:a> <Person.friends> <_:c> .
<_:a> <Person.best> <_:b> .
<_:a> <Person.best> <_:c> .
<_:b> <dgraph.type> "Person" .
<_:b> <dgraph.type> "Person" .
<_:b> <Person.name> "Bob Jones" .
<_:b> <Person.age> "31" .
<_:b> <Person.age> "32" .
<_:b> <Person.friends> <_:a> .
<_:c> <dgraph.type> "Person" .
<_:c> <Person.name> "Carol Smith" .
<_:c> <Person.pwd> "{hash}" .
<0x10> <dgraph.type> "Person" .
<0x10> <Person.name> "Dan" (since=2020) .
<0x10> <Person.best> <0x11> .
<0x11> <dgraph.type> "Person" .
<0x11> <Person.name> "Eve" .
"#
        );
        ImportFile {
            name: "g01.rdf".into(),
            text,
        }
    }

    fn json_file() -> ImportFile {
        ImportFile {
            name: "g01.json".into(),
            text: r#"[{"uid":"_:x","dgraph.type":"Person","Person.name":"Xavier Smith",
                      "Person.friends":[{"uid":"_:y","dgraph.type":["Person"],"Person.name":"Yan"},
                                        {"uid":"_:x"}]}]"#
                .into(),
        }
    }

    fn dump(e: &Engine) -> Vec<store::KvPair> {
        e.store()
            .scan_backend(1, |it| it.collect::<Result<Vec<_>, _>>())
            .unwrap()
            .unwrap()
    }

    fn query(e: &Engine, q: &str) -> Json {
        let r = e.graphql_blocking(
            1,
            crate::Caller {
                access: crate::Access::Admin,
                read_only: false,
            },
            &crate::Request {
                query: q.into(),
                operation_name: None,
                variables: Default::default(),
            },
        );
        let j = r.to_json();
        assert!(j.get("errors").is_none(), "{j}");
        j["data"].clone()
    }

    #[test]
    fn bulk_import_stores_what_the_ordinary_calls_store() {
        let hash = hash_password("secret1").unwrap();
        let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
        let open = |i: usize| Engine::new(store::Store::open(dirs[i].path()).unwrap());
        let (bulk, calls) = (open(0), open(1));
        let steps: [(Option<&str>, Vec<ImportFile>); 3] = [
            (Some(SDL), vec![rdf_file(&hash)]),
            (None, vec![json_file()]),
            // A bad type name (NUL) fails in the store: nothing of the import is written.
            (
                None,
                vec![ImportFile {
                    name: "bad.rdf".into(),
                    text: "<_:z> <Person.name> \"Zed\" .\n<_:z> <dgraph.type> \"A\\u0000B\" .\n"
                        .into(),
                }],
            ),
        ];
        for (i, (schema, files)) in steps.iter().enumerate() {
            let a = bulk.import_with(1, *schema, files, WritePath::Bulk);
            let b = calls.import_with(1, *schema, files, WritePath::Calls);
            assert_eq!(a, b, "step {i}");
            let (da, db) = (dump(&bulk), dump(&calls));
            assert_eq!(da.len(), db.len(), "step {i}");
            for (x, y) in da.iter().zip(&db) {
                assert_eq!(x, y, "step {i}");
            }
        }
        let err = bulk
            .import_with(1, None, &steps[2].1, WritePath::Bulk)
            .unwrap_err();
        assert!(
            err.starts_with("the import failed and nothing was written: invalid type name"),
            "{err}"
        );
        assert_eq!(
            bulk.import_with(1, None, &[json_file()], WritePath::Bulk),
            Ok(ImportReport {
                nodes: 2,
                edges: 6,
                schema_applied: false
            })
        );

        // Queries over the imported data (the last import added Xavier and Yan again).
        assert_eq!(
            query(
                &bulk,
                r#"{ getPerson(name: "Alice Smith") { name age tags born
                     friends(order: {asc: name}) { name } best { name } } }"#
            ),
            serde_json::json!({"getPerson": {"name": "Alice Smith", "age": 30, "tags": ["x", "y"],
                "born": "1990-05-06T07:08:09Z",
                "friends": [{"name": "Bob Jones"}, {"name": "Carol Smith"}],
                "best": {"name": "Carol Smith"}}})
        );
        assert_eq!(
            query(
                &bulk,
                r#"{ queryPerson(filter: {name: {anyofterms: "smith"}}, order: {asc: name}) { name } }"#
            ),
            serde_json::json!({"queryPerson": [{"name": "Alice Smith"}, {"name": "Carol Smith"},
                {"name": "Xavier Smith"}, {"name": "Xavier Smith"}]})
        );
        assert_eq!(
            query(&bulk, r#"{ aggregatePerson { count } }"#),
            serde_json::json!({"aggregatePerson": {"count": 9}})
        );
        assert_eq!(
            query(
                &bulk,
                r#"{ queryPerson(filter: {age: {gt: 30}}) { name age } }"#
            ),
            serde_json::json!({"queryPerson": [{"name": "Bob Jones", "age": 32}]})
        );
        assert_eq!(
            query(
                &bulk,
                r#"{ queryPerson(filter: {bio: {alloftext: "run fox"}}) { name } }"#
            ),
            serde_json::json!({"queryPerson": [{"name": "Alice Smith"}]})
        );
        assert_eq!(
            query(
                &bulk,
                r#"{ queryPerson(filter: {name: {eq: "Dan"}}) { best { name } } }"#
            ),
            serde_json::json!({"queryPerson": [{"best": {"name": "Eve"}}]})
        );
        assert_eq!(
            query(
                &bulk,
                r#"{ ok: checkPersonPassword(name: "Carol Smith", pwd: "secret1") { name }
                     no: checkPersonPassword(name: "Carol Smith", pwd: "secret2") { name } }"#
            ),
            serde_json::json!({"ok": {"name": "Carol Smith"}, "no": null})
        );
        let snap = bulk.store().read(1).unwrap();
        assert_eq!(snap.type_count("Person").unwrap(), 9);
        let carol = snap
            .index_eq("Person.name", &Value::String("Carol Smith".into()))
            .unwrap();
        let carol = carol.iter().next().unwrap();
        assert_eq!(
            snap.values(carol, "Person.pwd").unwrap(),
            vec![Value::Password(hash)],
            "an exported bcrypt hash is kept as is"
        );
    }
}
