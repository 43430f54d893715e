//! From raw definitions to the resolved model: interface expansion, `@hasInverse`
//! completion, predicates and indexes.

use std::collections::HashMap;

use apollo_compiler::Node;
use apollo_compiler::ast::{Directive, Value};

use crate::model::*;
use crate::raw::{RDef, RField};
use crate::value::as_str_loose;

pub(crate) fn arg<'a>(d: &'a Directive, name: &str) -> Option<&'a Node<Value>> {
    d.arguments
        .iter()
        .find(|a| a.name == name)
        .map(|a| &a.value)
}

/// Copy interface fields into implementing types (last interface's fields first, as Dgraph
/// prepends each interface's fields in turn) and mark them as inherited.
pub(crate) fn expand_interfaces(defs: &mut [RDef], index: &HashMap<String, usize>) {
    for i in 0..defs.len() {
        if defs[i].interfaces.is_empty() {
            continue;
        }
        let ifaces: Vec<String> = defs[i].interfaces.iter().map(|(n, _)| n.clone()).collect();
        for iname in ifaces {
            let Some(&ii) = index.get(&iname) else {
                continue;
            };
            if defs[ii].kind != TypeKind::Interface {
                continue;
            }
            let mut copied: Vec<RField> = Vec::new();
            let ifields = defs[ii].fields.clone();
            for f in &ifields {
                if let Some(own) = defs[i].fields.iter_mut().find(|g| g.name == f.name) {
                    // A re-declared interface field is still stored under the interface.
                    if own.inherited_from.is_none() {
                        own.inherited_from =
                            Some(f.inherited_from.clone().unwrap_or_else(|| iname.clone()));
                    }
                    continue;
                }
                let mut c = f.clone();
                if c.inherited_from.is_none() {
                    c.inherited_from = Some(iname.clone());
                }
                c.description = None;
                copied.push(c);
            }
            copied.append(&mut defs[i].fields);
            defs[i].fields = copied;
            if !defs[i].has("secret")
                && let Some(sec) = defs[ii].directive("secret").cloned()
            {
                defs[i].directives.push(sec);
            }
        }
    }
}

/// Add the partner side of every `@hasInverse`.
pub(crate) fn complete_inverses(defs: &mut [RDef], index: &HashMap<String, usize>) {
    let mut adds: Vec<(usize, String, String)> = Vec::new();
    for d in defs.iter() {
        if !matches!(d.kind, TypeKind::Object | TypeKind::Interface) {
            continue;
        }
        for f in &d.fields {
            let Some(dir) = f.directive("hasInverse") else {
                continue;
            };
            let Some(target) = arg(dir, "field").and_then(|v| as_str_loose(v)) else {
                continue;
            };
            let Some(&ti) = index.get(f.type_name()) else {
                continue;
            };
            adds.push((ti, target.to_string(), f.name.clone()));
        }
    }
    for (ti, target, partner) in adds {
        add_inverse(defs, ti, &target, &partner);
        if defs[ti].kind == TypeKind::Interface {
            let iname = defs[ti].name.clone();
            let implementers: Vec<usize> = defs
                .iter()
                .enumerate()
                .filter(|(_, d)| d.interfaces.iter().any(|(n, _)| *n == iname))
                .map(|(i, _)| i)
                .collect();
            for i in implementers {
                add_inverse(defs, i, &target, &partner);
            }
        }
    }
}

fn add_inverse(defs: &mut [RDef], ti: usize, target: &str, partner: &str) {
    if let Some(tf) = defs[ti].fields.iter_mut().find(|g| g.name == target)
        && !tf.has("hasInverse")
        && tf.auto_inverse.is_none()
    {
        tf.auto_inverse = Some(partner.to_string());
    }
}

/// Parse `@search(by: …)` arguments of a field; `None` when the field has no `@search`.
pub(crate) fn search_args(f: &RField) -> Option<Vec<String>> {
    let d = f.directive("search")?;
    let mut out = Vec::new();
    if let Some(v) = arg(d, "by") {
        match &**v {
            Value::List(items) => {
                for it in items {
                    if let Some(s) = as_str_loose(it) {
                        out.push(s.to_string());
                    }
                }
            }
            other => {
                if let Some(s) = as_str_loose(other) {
                    out.push(s.to_string());
                }
            }
        }
    }
    Some(out)
}

/// Default `@search` argument for a type.
pub(crate) fn default_search(type_name: &str, is_enum: bool) -> Option<&'static str> {
    if is_enum {
        return Some("hash");
    }
    Some(match type_name {
        "Int" => "int",
        "Int64" => "int64",
        "Float" => "float",
        "Boolean" => "bool",
        "DateTime" => "year",
        "String" => "term",
        "Point" => "point",
        "Polygon" => "polygon",
        "MultiPolygon" => "multiPolygon",
        _ => return None,
    })
}

/// Parse an `hnsw(key: value, …)` argument into its options.
pub(crate) fn parse_hnsw(s: &str) -> Option<Vec<(String, String)>> {
    let rest = s.strip_prefix("hnsw")?;
    let rest = rest.trim();
    if rest.is_empty() {
        return Some(Vec::new());
    }
    let inner = rest.strip_prefix('(')?.strip_suffix(')')?;
    let mut out = Vec::new();
    for part in inner.split(',') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let (k, v) = part.split_once(':')?;
        let (k, v) = (k.trim(), v.trim());
        // options are YAML-like `key: value` pairs: a blank after the colon is required
        if !part[part.find(':')? + 1..].starts_with(' ') || k.is_empty() || v.is_empty() {
            return None;
        }
        out.push((k.to_string(), v.to_string()));
    }
    Some(out)
}

/// Effective search indexes of a field (after defaults and `@id` implications), as
/// `by:` strings in declared order.
pub(crate) fn effective_search(f: &RField, is_enum: bool) -> Vec<String> {
    let mut args = match search_args(f) {
        Some(a) if a.is_empty() => default_search(f.type_name(), is_enum)
            .map(|s| vec![s.to_string()])
            .unwrap_or_default(),
        Some(a) => a,
        None => Vec::new(),
    };
    if f.has("id") {
        let implied = match f.type_name() {
            "String" if !args.iter().any(|a| a == "hash" || a == "exact") => Some("hash"),
            "Int" if !args.iter().any(|a| a == "int") => Some("int"),
            "Int64" if !args.iter().any(|a| a == "int64") => Some("int64"),
            _ => None,
        };
        if let Some(i) = implied {
            args.push(i.to_string());
        }
    }
    args
}

fn parse_pred(p: &str) -> (String, bool, Vec<String>) {
    let mut p = p.trim();
    if p.starts_with('<') && p.ends_with('>') && p.len() >= 2 {
        p = &p[1..p.len() - 1];
    }
    let (reverse, p) = match p.strip_prefix('~') {
        Some(r) => (true, r),
        None => (false, p),
    };
    match p.split_once('@') {
        Some((base, langs)) => (
            base.to_string(),
            reverse,
            langs.split(':').map(|s| s.to_string()).collect(),
        ),
        None => (p.to_string(), reverse, Vec::new()),
    }
}

fn bool_arg(v: Option<&Node<Value>>, default: bool) -> bool {
    match v.map(|v| &**v) {
        Some(Value::Boolean(b)) => *b,
        _ => default,
    }
}

fn string_list(v: Option<&Node<Value>>) -> Vec<String> {
    match v.map(|v| &**v) {
        Some(Value::List(items)) => items
            .iter()
            .filter_map(|i| as_str_loose(i).map(|s| s.to_string()))
            .collect(),
        Some(other) => as_str_loose(other)
            .map(|s| vec![s.to_string()])
            .unwrap_or_default(),
        None => Vec::new(),
    }
}

fn custom_of(d: &Directive) -> Option<Custom> {
    if let Some(dql) = arg(d, "dql").and_then(|v| as_str_loose(v)) {
        return Some(Custom::Dql(dql.to_string()));
    }
    let http = arg(d, "http")?;
    let Value::Object(fields) = &**http else {
        return None;
    };
    let mut h = CustomHttp::default();
    for (k, v) in fields {
        let s = || as_str_loose(v).unwrap_or_default().to_string();
        match k.as_str() {
            "url" => h.url = s(),
            "method" => h.method = s(),
            "body" => h.body = Some(s()),
            "graphql" => h.graphql = Some(s()),
            "mode" => h.mode = Some(s()),
            "forwardHeaders" => h.forward_headers = string_list(Some(v)),
            "secretHeaders" => h.secret_headers = string_list(Some(v)),
            "introspectionHeaders" => h.introspection_headers = string_list(Some(v)),
            "skipIntrospection" => h.skip_introspection = bool_arg(Some(v), false),
            _ => {}
        }
    }
    Some(Custom::Http(h))
}

fn default_value(d: &Directive, key: &str) -> Option<String> {
    let v = arg(d, key)?;
    match &**v {
        Value::Object(fields) => fields
            .iter()
            .find(|(k, _)| k == "value")
            .and_then(|(_, v)| match &**v {
                Value::String(s) => Some(s.clone()),
                Value::Int(i) => Some(i.as_str().to_string()),
                Value::Float(f) => Some(f.as_str().to_string()),
                Value::Boolean(b) => Some(b.to_string()),
                Value::Enum(e) => Some(e.to_string()),
                _ => None,
            }),
        _ => None,
    }
}

/// The `vector_distance: Float` output field of types with an `@embedding` field.
fn vector_distance_field() -> Field {
    Field {
        name: "vector_distance".to_string(),
        description: None,
        ty: Type::Named(apollo_compiler::Name::new_unchecked("Float")),
        predicate: None,
        reverse: false,
        langs: Vec::new(),
        is_id: false,
        xid: None,
        search: Vec::new(),
        has_inverse: None,
        custom: None,
        lambda: false,
        default: Defaults::default(),
        embedding: false,
        deprecated: None,
        inherited_from: None,
        remote_response: None,
        external: false,
        requires: None,
        provides: None,
        computed: true,
        arguments: Vec::new(),
    }
}

/// Storage type name of a definition.
pub(crate) fn storage_name(d: &RDef) -> String {
    d.directive("dgraph")
        .and_then(|dir| arg(dir, "type"))
        .and_then(|v| as_str_loose(v))
        .map(|s| s.to_string())
        .unwrap_or_else(|| d.name.clone())
}

/// Build the model types from validated raw definitions.
pub(crate) fn model_types(defs: &[RDef], index: &HashMap<String, usize>) -> Vec<TypeDef> {
    let is_enum = |n: &str| {
        index
            .get(n)
            .is_some_and(|&i| defs[i].kind == TypeKind::Enum)
    };
    defs.iter()
        .map(|d| {
            let sname = storage_name(d);
            let mut dgraph_types = vec![sname.clone()];
            for (i, _) in &d.interfaces {
                if let Some(&ii) = index.get(i) {
                    dgraph_types.push(storage_name(&defs[ii]));
                }
            }
            let fields = d
                .fields
                .iter()
                .map(|f| {
                    let custom = f.directive("custom").and_then(|c| custom_of(c));
                    let lambda = f.has("lambda");
                    let key = d
                        .directive("key")
                        .and_then(|k| arg(k, "fields"))
                        .and_then(|v| as_str_loose(v));
                    // A non-key `@external` ID of an extended type is not this service's id.
                    let is_id = f.type_name() == "ID"
                        && !f.ty.is_list()
                        && !(f.has("external") && key != Some(f.name.as_str()));
                    let (mut predicate, mut reverse, mut langs) = (None, false, Vec::new());
                    // The `@key` id of an extended type is stored like an external key.
                    let stored_key_id = is_id && f.has("external");
                    if (!is_id || stored_key_id)
                        && custom.is_none()
                        && !lambda
                        && d.kind != TypeKind::InputObject
                    {
                        // A re-declared interface field keeps the interface's `@dgraph(pred:)`.
                        let declared = f.directive("dgraph").or_else(|| {
                            let i = index.get(f.inherited_from.as_deref()?)?;
                            defs[*i].field(&f.name)?.directive("dgraph")
                        });
                        match declared
                            .and_then(|x| arg(x, "pred"))
                            .and_then(|v| as_str_loose(v))
                        {
                            Some(p) => {
                                let (b, r, l) = parse_pred(p);
                                predicate = Some(b);
                                reverse = r;
                                langs = l;
                            }
                            None => {
                                let owner = match &f.inherited_from {
                                    Some(i) => index
                                        .get(i)
                                        .map(|&ii| storage_name(&defs[ii]))
                                        .unwrap_or_else(|| i.clone()),
                                    None => sname.clone(),
                                };
                                predicate = Some(format!("{owner}.{}", f.name));
                            }
                        }
                    }
                    let search = effective_search(f, is_enum(f.type_name()))
                        .iter()
                        .filter_map(|a| {
                            if a.starts_with("hnsw") {
                                parse_hnsw(a).map(IndexKind::Hnsw)
                            } else {
                                IndexKind::from_arg(a)
                            }
                        })
                        .collect();
                    let has_inverse = f
                        .directive("hasInverse")
                        .and_then(|x| arg(x, "field"))
                        .and_then(|v| as_str_loose(v))
                        .map(|s| s.to_string())
                        .or_else(|| f.auto_inverse.clone());
                    let default = f
                        .directive("default")
                        .map(|x| Defaults {
                            add: default_value(x, "add"),
                            update: default_value(x, "update"),
                        })
                        .unwrap_or_default();
                    Field {
                        name: f.name.clone(),
                        description: f.description.clone(),
                        ty: f.ty.clone(),
                        predicate,
                        reverse,
                        langs,
                        is_id,
                        xid: f
                            .directive("id")
                            .map(|x| bool_arg(arg(x, "interface"), false)),
                        search,
                        has_inverse,
                        custom,
                        lambda,
                        default,
                        embedding: f.has("embedding"),
                        deprecated: f.directive("deprecated").map(|x| {
                            arg(x, "reason")
                                .and_then(|v| as_str_loose(v))
                                .unwrap_or_default()
                                .to_string()
                        }),
                        inherited_from: f.inherited_from.clone(),
                        remote_response: f
                            .directive("remoteResponse")
                            .and_then(|x| arg(x, "name"))
                            .and_then(|v| as_str_loose(v))
                            .map(|s| s.to_string()),
                        external: f.has("external"),
                        requires: f
                            .directive("requires")
                            .and_then(|x| arg(x, "fields"))
                            .and_then(|v| as_str_loose(v))
                            .map(|s| s.to_string()),
                        provides: f
                            .directive("provides")
                            .and_then(|x| arg(x, "fields"))
                            .and_then(|v| as_str_loose(v))
                            .map(|s| s.to_string()),
                        computed: false,
                        arguments: f
                            .args
                            .iter()
                            .map(|a| (a.name.to_string(), (*a.ty).clone()))
                            .collect(),
                    }
                })
                .collect();
            let secret = d.directive("secret").map(|s| {
                let field = arg(s, "field")
                    .and_then(|v| as_str_loose(v))
                    .unwrap_or_default()
                    .to_string();
                let predicate = arg(s, "pred")
                    .and_then(|v| as_str_loose(v))
                    .map(|p| p.to_string())
                    .unwrap_or_else(|| format!("{sname}.{field}"));
                Secret { field, predicate }
            });
            let mut generate = Generate::default();
            if let Some(g) = d.directive("generate") {
                if let Some(q) = arg(g, "query")
                    && let Value::Object(kv) = &**q
                {
                    for (k, v) in kv {
                        let b = bool_arg(Some(v), true);
                        match k.as_str() {
                            "get" => generate.get = b,
                            "query" => generate.query = b,
                            "password" => generate.password = b,
                            "aggregate" => generate.aggregate = b,
                            _ => {}
                        }
                    }
                }
                if let Some(m) = arg(g, "mutation")
                    && let Value::Object(kv) = &**m
                {
                    for (k, v) in kv {
                        let b = bool_arg(Some(v), true);
                        match k.as_str() {
                            "add" => generate.add = b,
                            "update" => generate.update = b,
                            "delete" => generate.delete = b,
                            _ => {}
                        }
                    }
                }
                generate.subscription = bool_arg(arg(g, "subscription"), false);
            }
            let with_subscription = d.has("withSubscription");
            if with_subscription {
                generate.subscription = true;
            }
            let lambda_on_mutate = d
                .directive("lambdaOnMutate")
                .map(|l| LambdaOnMutate {
                    add: bool_arg(arg(l, "add"), false),
                    update: bool_arg(arg(l, "update"), false),
                    delete: bool_arg(arg(l, "delete"), false),
                })
                .unwrap_or_default();
            let federation = Federation {
                key: d
                    .directive("key")
                    .and_then(|k| arg(k, "fields"))
                    .and_then(|v| as_str_loose(v))
                    .map(|s| s.to_string()),
                extends: d.extension || d.has("extends"),
            };
            let mut fields: Vec<Field> = fields;
            if matches!(d.kind, TypeKind::Object | TypeKind::Interface)
                && fields.iter().any(|f| f.embedding)
            {
                fields.push(vector_distance_field());
            }
            TypeDef {
                name: d.name.clone(),
                kind: d.kind,
                description: d.description.clone(),
                remote: d.has("remote"),
                storage_name: sname,
                dgraph_types,
                interfaces: d.interfaces.iter().map(|(n, _)| n.clone()).collect(),
                fields,
                members: d.members.iter().map(|(n, _)| n.clone()).collect(),
                enum_values: d.values.iter().map(|v| v.name.clone()).collect(),
                secret,
                auth: None,
                generate,
                with_subscription,
                lambda_on_mutate,
                federation,
            }
        })
        .collect()
}
