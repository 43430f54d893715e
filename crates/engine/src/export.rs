//! Exports of a backend in Dgraph's export formats, and the DQL schema answer of `/query`.
//!
//! * Data: Dgraph JSON (a JSON list with one object per node: `uid`, `namespace`,
//!   `dgraph.type`, then one key per predicate) or RDF N-Quads (one line per value, type or
//!   edge, `<0x0>` namespace label), read from one store snapshot. The backend's internal
//!   nodes (the stored GraphQL schema and lambda script, types `dgraph.*`) are not exported:
//!   the GraphQL schema has its own file.
//! * Schema: the DQL storage schema in Dgraph's export text form, and the GraphQL schema as
//!   Dgraph writes it (`[{"namespace":"0x0","schema":"…"}]`).
//! * `schema { … }` of `/query` (spec cloud-api §4.5): the storage schema as JSON.
//!
//! The engine writes plain text; the caller compresses and stores it.

use std::collections::HashMap;
use std::io::Write;

use graphcloud_schema::{StorageSchema, ValueKind as SK};
use graphcloud_store::{Entry, GraphRead as _, Value};
use serde_json::{Map, Value as Json, json};

use crate::store_adapter::{datetime_from_store, geo_to_json};
use crate::{Engine, EngineError};

/// An export's data format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// Dgraph JSON (`g01.json.gz`).
    Json,
    /// RDF N-Quads (`g01.rdf.gz`).
    Rdf,
}

impl ExportFormat {
    /// `json` or `rdf` (case-insensitive); absent or empty = JSON, as Dgraph Cloud.
    pub fn parse(s: Option<&str>) -> Result<ExportFormat, String> {
        match s.map(str::trim).unwrap_or("") {
            "" => Ok(ExportFormat::Json),
            f if f.eq_ignore_ascii_case("json") => Ok(ExportFormat::Json),
            f if f.eq_ignore_ascii_case("rdf") => Ok(ExportFormat::Rdf),
            other => Err(format!(
                "invalid export format {other:?}: use \"json\" or \"rdf\""
            )),
        }
    }

    /// The file extension: `json` or `rdf`.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Json => "json",
            ExportFormat::Rdf => "rdf",
        }
    }
}

/// What an export wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExportCounts {
    /// Nodes written.
    pub nodes: u64,
    /// Values, types and edges written (RDF lines).
    pub entries: u64,
}

fn io(e: std::io::Error) -> EngineError {
    EngineError::Store(format!("export write failed: {e}"))
}

/// Formats a uid the way Dgraph prints it (`0x1f`).
fn uid_str(u: u64) -> String {
    format!("{u:#x}")
}

fn datetime_text(d: graphcloud_store::DateTime) -> String {
    datetime_from_store(d)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn value_json(v: &Value) -> Json {
    match v {
        Value::Int(i) => json!(i),
        Value::Float(f) => json!(f),
        Value::String(s) | Value::Password(s) => json!(s),
        Value::Bool(b) => json!(b),
        Value::DateTime(d) => json!(datetime_text(*d)),
        Value::Geo(g) => geo_to_json(g),
    }
}

/// Writes `s` as an N-Quads string literal body (without quotes).
fn rdf_escape(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
}

fn rdf_literal(out: &mut String, v: &Value) {
    let (text, ty) = match v {
        Value::Int(i) => (i.to_string(), "xs:int"),
        Value::Float(f) => (f.to_string(), "xs:float"),
        Value::String(s) => (s.clone(), "xs:string"),
        Value::Password(s) => (s.clone(), "xs:password"),
        Value::Bool(b) => (b.to_string(), "xs:boolean"),
        Value::DateTime(d) => (datetime_text(*d), "xs:dateTime"),
        Value::Geo(g) => (geo_to_json(g).to_string(), "geo:geojson"),
    };
    out.push('"');
    rdf_escape(out, &text);
    out.push_str("\"^^<");
    out.push_str(ty);
    out.push('>');
}

/// One node's entries, collected during the scan.
struct NodeBuf {
    uid: u64,
    entries: Vec<(String, Entry)>,
}

impl Engine {
    /// Writes every user node of `backend` in `format` to `out`, from one snapshot.
    /// Blocking.
    pub fn export_data(
        &self,
        backend: u64,
        format: ExportFormat,
        out: &mut dyn Write,
    ) -> Result<ExportCounts, EngineError> {
        let lists: HashMap<String, bool> = self
            .store()
            .read(backend)?
            .schema()?
            .into_iter()
            .map(|p| (p.name.clone(), p.list))
            .collect();
        let mut counts = ExportCounts::default();
        let mut first = true;
        if format == ExportFormat::Json {
            out.write_all(b"[\n").map_err(io)?;
        }
        let mut cur: Option<NodeBuf> = None;
        let mut failed: Option<EngineError> = None;
        let mut flush = |node: NodeBuf, counts: &mut ExportCounts| -> Result<(), EngineError> {
            let is_internal = node.entries.iter().any(|(p, e)| {
                p == graphcloud_store::TYPE_PREDICATE
                    && matches!(e, Entry::Value(Value::String(t)) if t.starts_with("dgraph."))
            });
            let entries: Vec<&(String, Entry)> = node
                .entries
                .iter()
                .filter(|(p, _)| !p.starts_with("dgraph.") || p == graphcloud_store::TYPE_PREDICATE)
                .collect();
            if is_internal || entries.is_empty() {
                return Ok(());
            }
            counts.nodes += 1;
            counts.entries += entries.len() as u64;
            match format {
                ExportFormat::Json => {
                    let mut obj = Map::new();
                    obj.insert("uid".into(), json!(uid_str(node.uid)));
                    obj.insert("namespace".into(), json!("0x0"));
                    for (p, e) in entries {
                        let v = match e {
                            Entry::Uid(u) => json!({ "uid": uid_str(*u) }),
                            Entry::Value(v) => value_json(v),
                        };
                        let list = p == graphcloud_store::TYPE_PREDICATE
                            || lists.get(p).copied().unwrap_or(false);
                        match obj.get_mut(p.as_str()) {
                            Some(Json::Array(a)) => a.push(v),
                            Some(prev) => {
                                let old = prev.take();
                                *prev = Json::Array(vec![old, v]);
                            }
                            None => {
                                obj.insert(p.clone(), if list { Json::Array(vec![v]) } else { v });
                            }
                        }
                    }
                    if !first {
                        out.write_all(b",\n").map_err(io)?;
                    }
                    first = false;
                    // One write per node: a compressing writer pays per call.
                    let text = serde_json::to_vec(&Json::Object(obj)).map_err(|e| io(e.into()))?;
                    out.write_all(&text).map_err(io)?;
                }
                ExportFormat::Rdf => {
                    let mut line = String::new();
                    let subject = uid_str(node.uid);
                    for (p, e) in entries {
                        line.clear();
                        line.push('<');
                        line.push_str(&subject);
                        line.push_str("> <");
                        line.push_str(p);
                        line.push_str("> ");
                        match e {
                            Entry::Uid(u) => {
                                line.push('<');
                                line.push_str(&uid_str(*u));
                                line.push('>');
                            }
                            Entry::Value(Value::String(t))
                                if p == graphcloud_store::TYPE_PREDICATE =>
                            {
                                line.push('"');
                                rdf_escape(&mut line, t);
                                line.push('"');
                            }
                            Entry::Value(v) => rdf_literal(&mut line, v),
                        }
                        line.push_str(" <0x0> .\n");
                        out.write_all(line.as_bytes()).map_err(io)?;
                    }
                }
            }
            Ok(())
        };
        self.store().scan_entries(backend, |uid, pred, entry| {
            if cur.as_ref().is_some_and(|n| n.uid != uid)
                && let Some(done) = cur.take()
                && let Err(e) = flush(done, &mut counts)
            {
                failed = Some(e);
                return Ok(false);
            }
            cur.get_or_insert_with(|| NodeBuf {
                uid,
                entries: Vec::new(),
            })
            .entries
            .push((pred.to_string(), entry));
            Ok(true)
        })?;
        if let Some(e) = failed {
            return Err(e);
        }
        if let Some(done) = cur.take() {
            flush(done, &mut counts)?;
        }
        if format == ExportFormat::Json {
            out.write_all(b"\n]\n").map_err(io)?;
        }
        Ok(counts)
    }

    /// The backend's storage schema (from its GraphQL schema), `None` without one. Blocking.
    pub fn storage_schema(&self, backend: u64) -> Result<Option<StorageSchema>, EngineError> {
        Ok(self
            .api_for(backend)?
            .and_then(|(api, _)| api.model.as_ref().map(|m| m.storage_schema().clone())))
    }

    /// The stored GraphQL schema text (`""` without one). Blocking.
    pub fn graphql_schema_text(&self, backend: u64) -> Result<String, EngineError> {
        let snap = self.store().read(backend)?;
        Ok(crate::engine::read_stored(&snap)?
            .map(|s| s.sdl)
            .unwrap_or_default())
    }

    /// The DQL schema in Dgraph's export text form (`g01.schema`). Blocking.
    pub fn export_dql_schema(&self, backend: u64) -> Result<String, EngineError> {
        let mut out = String::new();
        let Some(st) = self.storage_schema(backend)? else {
            return Ok(out);
        };
        let mut preds: Vec<_> = st.predicates.iter().collect();
        preds.sort_by(|a, b| a.name.cmp(&b.name));
        for p in preds {
            let kind = kind_name(p.kind);
            let kind = if p.list {
                format!("[{kind}]")
            } else {
                kind.to_string()
            };
            out.push_str(&format!("[0x0] <{}>:{kind}", p.name));
            if !p.indexes.is_empty() {
                out.push_str(&format!(" @index({})", p.indexes.join(",")));
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
            out.push_str(" . \n");
        }
        let mut types: Vec<_> = st.types.iter().collect();
        types.sort_by(|a, b| a.name.cmp(&b.name));
        for t in types {
            out.push_str(&format!("[0x0] type <{}> {{\n", t.name));
            for f in &t.fields {
                out.push_str(&format!("\t{f}\n"));
            }
            out.push_str("}\n");
        }
        Ok(out)
    }

    /// The GraphQL schema as Dgraph exports it (`g01.gql_schema`): `[{"namespace":"0x0",
    /// "schema":"<SDL>"}]`. Blocking.
    pub fn export_graphql_schema(&self, backend: u64) -> Result<String, EngineError> {
        let sdl = self.graphql_schema_text(backend)?;
        Ok(json!([{ "namespace": "0x0", "schema": sdl }]).to_string())
    }

    /// The `schema { … }` answer of `/query` (spec §4.5): `{"schema":[…],"types":[…]}` with
    /// Dgraph's internal predicates and types included, both sorted by name. `preds`
    /// restricts the predicates (and leaves out types), `fields` the keys of each predicate
    /// object (`predicate` is always there). Blocking.
    pub fn dql_schema_json(
        &self,
        backend: u64,
        preds: Option<&[String]>,
        fields: Option<&[String]>,
    ) -> Result<Json, EngineError> {
        let st = self.storage_schema(backend)?.unwrap_or_default();
        let mut out = dql_schema_json(&st, preds, fields);
        // Data left behind by schema changes: predicates and types the GraphQL schema no
        // longer has, listed as Dgraph lists them (`default` kind, no fields) so clients can
        // find and drop them.
        let (in_use, types_in_use) = self.store().names_in_use(backend)?;
        let known: std::collections::HashSet<&str> =
            st.predicates.iter().map(|p| p.name.as_str()).collect();
        let known_types: std::collections::HashSet<&str> =
            st.types.iter().map(|t| t.name.as_str()).collect();
        let wanted = |p: &str| preds.is_none_or(|ps| ps.iter().any(|x| x == p));
        if let Some(list) = out.get_mut("schema").and_then(Json::as_array_mut) {
            for p in in_use
                .iter()
                .filter(|p| !p.starts_with("dgraph.") && !known.contains(p.as_str()))
            {
                if wanted(p) {
                    list.push(json!({"predicate": p, "type": "default"}));
                }
            }
            list.sort_by_key(|v| v["predicate"].as_str().unwrap_or_default().to_string());
        }
        if let Some(list) = out.get_mut("types").and_then(Json::as_array_mut) {
            for t in types_in_use
                .iter()
                .filter(|t| !t.starts_with("dgraph.") && !known_types.contains(t.as_str()))
            {
                list.push(json!({"name": t, "fields": []}));
            }
            list.sort_by_key(|v| v["name"].as_str().unwrap_or_default().to_string());
        }
        Ok(out)
    }
}

fn kind_name(k: SK) -> &'static str {
    match k {
        SK::DateTime => "datetime",
        other => other.as_dql(),
    }
}

/// Dgraph's internal predicates and types, as its `schema {}` answer lists them.
fn internal_schema() -> (Vec<Json>, Vec<Json>) {
    let preds = vec![
        json!({"predicate": "dgraph.drop.op", "type": "string"}),
        json!({"predicate": "dgraph.graphql.p_query", "type": "string", "index": true, "tokenizer": ["sha256"]}),
        json!({"predicate": "dgraph.graphql.schema", "type": "string"}),
        json!({"predicate": "dgraph.graphql.xid", "type": "string", "index": true, "tokenizer": ["exact"], "upsert": true}),
        json!({"predicate": "dgraph.namespace.id", "type": "int", "index": true, "tokenizer": ["int"], "upsert": true, "unique": true}),
        json!({"predicate": "dgraph.namespace.name", "type": "string", "index": true, "tokenizer": ["exact"], "upsert": true, "unique": true}),
        json!({"predicate": "dgraph.type", "type": "string", "index": true, "tokenizer": ["exact"], "list": true}),
    ];
    let types = vec![
        json!({"name": "dgraph.graphql", "fields": [{"name": "dgraph.graphql.schema"}, {"name": "dgraph.graphql.xid"}]}),
        json!({"name": "dgraph.graphql.persisted_query", "fields": [{"name": "dgraph.graphql.p_query"}]}),
        json!({"name": "dgraph.namespace", "fields": [{"name": "dgraph.namespace.name"}, {"name": "dgraph.namespace.id"}]}),
    ];
    (preds, types)
}

/// The `schema { … }` JSON of a storage schema (see [`Engine::dql_schema_json`]).
pub fn dql_schema_json(
    st: &StorageSchema,
    preds: Option<&[String]>,
    fields: Option<&[String]>,
) -> Json {
    let (mut schema, mut types) = internal_schema();
    for p in &st.predicates {
        let mut o = Map::new();
        o.insert("predicate".into(), json!(p.name));
        o.insert("type".into(), json!(kind_name(p.kind)));
        if !p.indexes.is_empty() {
            o.insert("index".into(), json!(true));
            o.insert("tokenizer".into(), json!(p.indexes));
        }
        if p.reverse {
            o.insert("reverse".into(), json!(true));
        }
        if p.list {
            o.insert("list".into(), json!(true));
        }
        if p.upsert {
            o.insert("upsert".into(), json!(true));
        }
        if p.lang {
            o.insert("lang".into(), json!(true));
        }
        schema.push(Json::Object(o));
    }
    for t in &st.types {
        types.push(json!({
            "name": t.name,
            "fields": t.fields.iter().map(|f| json!({"name": f})).collect::<Vec<_>>(),
        }));
    }
    let name_of = |v: &Json, k: &str| v[k].as_str().unwrap_or_default().to_string();
    schema.sort_by_key(|v| name_of(v, "predicate"));
    types.sort_by_key(|v| name_of(v, "name"));
    if let Some(preds) = preds {
        schema.retain(|v| preds.iter().any(|p| *p == name_of(v, "predicate")));
    }
    if let Some(fields) = fields {
        for v in &mut schema {
            if let Json::Object(o) = v {
                o.retain(|k, _| k == "predicate" || fields.iter().any(|f| f == k));
            }
        }
    }
    let mut out = Map::new();
    out.insert("schema".into(), Json::Array(schema));
    if preds.is_none() {
        out.insert("types".into(), Json::Array(types));
    }
    Json::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conformance(rel: &str) -> String {
        let dir = match std::env::var_os("GRAPHCLOUD_CONFORMANCE_DIR") {
            Some(d) => std::path::PathBuf::from(d),
            None => std::path::PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/conformance/dgraph"
            )),
        };
        std::fs::read_to_string(dir.join(rel)).expect("conformance file")
    }

    /// The `schema {}` answer for Dgraph's e2e schema equals the one Dgraph gave
    /// (`e2e/normal/schema_response.json`), internal predicates and types included.
    #[test]
    fn schema_answer_matches_dgraph() {
        let sdl = conformance("graphql/e2e/normal/schema.graphql");
        let want: Json =
            serde_json::from_str(&conformance("graphql/e2e/normal/schema_response.json")).unwrap();
        let model = graphcloud_schema::parse(&sdl).unwrap();
        let got = dql_schema_json(model.storage_schema(), None, None);
        let (gs, ws) = (
            got["schema"].as_array().unwrap(),
            want["schema"].as_array().unwrap(),
        );
        assert_eq!(gs.len(), ws.len());
        for (g, w) in gs.iter().zip(ws) {
            assert_eq!(g, w);
        }
        // Type fields: same names (Dgraph lists them in its own order).
        let names = |v: &Json| {
            let mut n: Vec<String> = v["fields"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["name"].as_str().unwrap().to_string())
                .collect();
            n.sort();
            (v["name"].as_str().unwrap().to_string(), n)
        };
        let gt: Vec<_> = got["types"].as_array().unwrap().iter().map(names).collect();
        let wt: Vec<_> = want["types"]
            .as_array()
            .unwrap()
            .iter()
            .map(names)
            .collect();
        assert_eq!(gt, wt);
        // A predicate filter keeps only those predicates and leaves types out; a field
        // selection keeps only those keys.
        let one = dql_schema_json(
            model.storage_schema(),
            Some(&["Astronaut.id".to_string()]),
            Some(&["type".to_string(), "__typename".to_string()]),
        );
        assert_eq!(
            one,
            json!({"schema": [{"predicate": "Astronaut.id", "type": "string"}]})
        );
    }
}
