//! Dgraph's schema validation, in Dgraph's order and with its exact texts:
//! document rules ([`pre`]), GraphQL type-system rules ([`document`], first error only),
//! then type, field and directive rules ([`post`]).

use std::collections::{HashMap, HashSet};

use apollo_compiler::Node;
use apollo_compiler::ast::{Directive, Document, Type, Value};

use crate::build::{arg, parse_hnsw, search_args};
use crate::builtins;
use crate::error::{Location, SchemaError};
use crate::generate::OpsRaw;
use crate::model::{Meta, TypeKind};
use crate::raw::{Locator, RDef, RField};
use crate::value::{as_str_loose, compact};

const SCALARS: &[&str] = &[
    "Int", "Float", "String", "Boolean", "ID", "Int64", "DateTime", "Password",
];

/// For two federation errors Dgraph reports the position of the directive's *definition*
/// in its built-in definitions text rather than a position in the user's schema; clients
/// see these exact line/column pairs.
const REMOTE_DEFINITION_POSITION: Location = Location {
    line: 181,
    column: 12,
};
/// See [`REMOTE_DEFINITION_POSITION`].
const EXTENDS_DEFINITION_POSITION: Location = Location {
    line: 13,
    column: 12,
};

/// Names no definition or field may use.
fn is_reserved_keyword(name: &str) -> bool {
    SCALARS.contains(&name)
        || matches!(
            name,
            "Query"
                | "Mutation"
                | "Subscription"
                | "uid"
                | "Point"
                | "PointList"
                | "Polygon"
                | "MultiPolygon"
        )
        || name.eq_ignore_ascii_case("as")
}

/// Types a field may name besides user definitions.
fn is_known_builtin(name: &str) -> bool {
    // `Password` is reserved but never a declarable field type (only via `@secret`).
    name != "Password" && (SCALARS.contains(&name) || builtins::is_builtin_type(name))
}

/// Parse the SDL, turning syntax errors into Dgraph-style messages.
pub(crate) fn parse_document(sdl: &str) -> Result<Document, SchemaError> {
    let blanked;
    let sdl = match blank_empty_directive_args(sdl) {
        Some(b) => {
            blanked = b;
            blanked.as_str()
        }
        None => sdl,
    };
    match Document::parse(sdl, "schema.graphql") {
        Ok(d) => Ok(d),
        Err(e) => {
            // An empty field list `{ }` is reported by Dgraph's parser at the closing brace.
            if let Some(loc) = empty_braces(sdl) {
                return Err(SchemaError::at(
                    "expected at least one definition, found }",
                    Some(loc),
                ));
            }
            let first = e.errors.iter().next();
            let msg = first
                .as_ref()
                .map(|d| d.error.to_string())
                .unwrap_or_else(|| "invalid schema".to_string());
            let loc = first.and_then(|d| {
                d.line_column_range().map(|r| Location {
                    line: r.start.line,
                    column: r.start.column,
                })
            });
            Err(SchemaError::at(msg, loc))
        }
    }
}

/// Dgraph accepts an empty argument list on a directive (`@auth()`); GraphQL does not. Blank
/// such parentheses out (same length, so positions are unchanged). `None` if there are none.
fn blank_empty_directive_args(sdl: &str) -> Option<String> {
    let b = sdl.as_bytes();
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' => {
                if b[i..].starts_with(b"\"\"\"") {
                    i += 3;
                    while i < b.len() && !b[i..].starts_with(b"\"\"\"") {
                        i += if b[i] == b'\\' { 2 } else { 1 };
                    }
                    i += 3;
                    continue;
                }
                i += 1;
                while i < b.len() && b[i] != b'"' && b[i] != b'\n' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'@' => {
                let mut j = i + 1;
                while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                    j += 1;
                }
                let mut k = j;
                while k < b.len() && b[k].is_ascii_whitespace() {
                    k += 1;
                }
                if j > i + 1 && k < b.len() && b[k] == b'(' {
                    let mut m = k + 1;
                    while m < b.len() && b[m].is_ascii_whitespace() {
                        m += 1;
                    }
                    if m < b.len() && b[m] == b')' {
                        spans.push((k, m));
                    }
                }
                i = j;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    if spans.is_empty() {
        return None;
    }
    let mut out = b.to_vec();
    for (open, close) in spans {
        out[open] = b' ';
        out[close] = b' ';
    }
    String::from_utf8(out).ok()
}

fn empty_braces(sdl: &str) -> Option<Location> {
    let chars: Vec<char> = sdl.chars().collect();
    let (mut line, mut col) = (1usize, 1usize);
    let mut last_open: Option<bool> = None;
    let mut in_comment = false;
    for &c in &chars {
        if in_comment {
            if c == '\n' {
                in_comment = false;
            }
        } else if c == '#' {
            in_comment = true;
        } else if c == '{' {
            last_open = Some(true);
        } else if c == '}' {
            if last_open == Some(true) {
                return Some(Location { line, column: col });
            }
            last_open = Some(false);
        } else if !c.is_whitespace() {
            last_open = Some(false);
        }
        if c == '\n' {
            line += 1;
            col = 1;
        } else {
            col += 1;
        }
    }
    None
}

/// Where each type-level directive may appear; `None` = field-only.
fn type_directive_kinds(name: &str) -> Option<Option<&'static [TypeKind]>> {
    use TypeKind::*;
    const OI: &[TypeKind] = &[Object, Interface];
    Some(match name {
        "hasInverse" | "search" | "id" | "custom" | "remoteResponse" | "cascade" | "lambda"
        | "embedding" | "default" | "external" | "requires" | "provides" => None,
        "dgraph" | "withSubscription" | "secret" | "auth" | "lambdaOnMutate" | "generate"
        | "key" | "extends" => Some(OI),
        "remote" => Some(&[Object, Interface, Union, InputObject, Enum]),
        _ => return None,
    })
}

/// Document-level rules (before GraphQL validation).
pub(crate) fn pre(defs: &[RDef]) -> Vec<SchemaError> {
    let mut errs = Vec::new();
    for d in defs {
        // nameCheck
        if is_reserved_keyword(&d.name) {
            if matches!(d.name.as_str(), "Query" | "Mutation" | "Subscription")
                && d.kind == TypeKind::Object
            {
                if let Some(f) = d
                    .fields
                    .iter()
                    .find(|f| !f.has("custom") && !f.has("lambda"))
                {
                    errs.push(SchemaError::at(
                        format!(
                            "GraphQL Query and Mutation types are only allowed to have fields with @custom/@lambda directive. Other fields are built automatically for you. Found {} {} without @custom/@lambda.",
                            d.name, f.name
                        ),
                        d.name_loc,
                    ));
                }
            } else {
                errs.push(SchemaError::at(
                    format!(
                        "{} is a reserved word, so you can't declare a type with this name. Pick a different name for the type.",
                        d.name
                    ),
                    d.name_loc,
                ));
            }
        }
        // directiveLocationCheck
        for dir in &d.directives {
            let Some(kinds) = type_directive_kinds(dir.name.as_str()) else {
                continue;
            };
            let loc = dir_loc(dir, d);
            match kinds {
                None => errs.push(SchemaError::at(
                    format!(
                        "Type {}; has the @{} directive, but it is not applicable at type level.",
                        d.name, dir.name
                    ),
                    loc,
                )),
                Some(k) if !k.contains(&d.kind) => errs.push(SchemaError::at(
                    format!(
                        "Type {}; has the @{} directive, but it is not applicable on types of {} kind.",
                        d.name,
                        dir.name,
                        d.kind.as_upper()
                    ),
                    loc,
                )),
                _ => {}
            }
        }
    }
    // typeNameValidation
    let mut reserved: HashSet<String> = HashSet::new();
    for d in defs {
        if d.has("remote") {
            continue;
        }
        let n = &d.name;
        match d.kind {
            TypeKind::Object | TypeKind::Interface => {
                for s in [
                    format!("{n}Ref"),
                    format!("{n}Patch"),
                    format!("Update{n}Input"),
                    format!("Update{n}Payload"),
                    format!("Delete{n}Input"),
                    format!("{n}AggregateResult"),
                    format!("{n}Filter"),
                    format!("{n}Order"),
                    format!("{n}Orderable"),
                ] {
                    reserved.insert(s);
                }
                if d.kind == TypeKind::Object {
                    reserved.insert(format!("Add{n}Input"));
                    reserved.insert(format!("Add{n}Payload"));
                }
            }
            TypeKind::Union => {
                reserved.insert(format!("{n}Ref"));
                reserved.insert(format!("{n}Filter"));
                reserved.insert(format!("{n}Type"));
            }
            _ => {}
        }
    }
    const FIXED: &[&str] = &[
        "Int64",
        "DateTime",
        "DgraphIndex",
        "AuthRule",
        "HTTPMethod",
        "Mode",
        "CustomHTTP",
        "IntFilter",
        "Int64Filter",
        "FloatFilter",
        "DateTimeFilter",
        "StringTermFilter",
        "StringRegExpFilter",
        "StringFullTextFilter",
        "StringExactFilter",
        "StringHashFilter",
        "PointGeoFilter",
        "PointRef",
        "NearFilter",
    ];
    for d in defs {
        if matches!(d.name.as_str(), "Query" | "Mutation") {
            continue;
        }
        if (FIXED.contains(&d.name.as_str()) && !is_reserved_keyword(&d.name))
            || reserved.contains(&d.name)
        {
            let k = d.kind.as_upper();
            errs.push(SchemaError::at(
                format!(
                    "{} is a reserved word, so you can't declare a {k} with this name. Pick a different name for the {k}.",
                    d.name
                ),
                d.name_loc,
            ));
        }
    }
    // custom query / mutation names
    let mut qnames: HashSet<String> = HashSet::new();
    let mut mnames: HashSet<String> = HashSet::new();
    for d in defs {
        if d.has("remote") || !matches!(d.kind, TypeKind::Object | TypeKind::Interface) {
            continue;
        }
        let n = &d.name;
        qnames.insert(format!("get{n}"));
        qnames.insert(format!("query{n}"));
        qnames.insert(format!("check{n}Password"));
        if d.kind == TypeKind::Object {
            mnames.insert(format!("add{n}"));
        }
        mnames.insert(format!("update{n}"));
        mnames.insert(format!("delete{n}"));
    }
    for d in defs {
        let (set, what) = match d.name.as_str() {
            "Query" => (&qnames, "query"),
            "Mutation" => (&mnames, "mutation"),
            _ => continue,
        };
        for f in &d.fields {
            if set.contains(&f.name) {
                errs.push(SchemaError::at(
                    format!(
                        "{} is a reserved word, so you can't declare a {what} with this name. Pick a different name for the {what}.",
                        f.name
                    ),
                    f.name_loc,
                ));
            }
        }
    }
    errs
}

fn dir_loc(dir: &Node<Directive>, _d: &RDef) -> Option<Location> {
    dloc(dir)
}

/// Position of a directive (its name, after `@`).
fn dloc(dir: &Node<Directive>) -> Option<Location> {
    SOURCES.with(|s| {
        let s = s.borrow();
        let map = s.as_ref()?;
        dir.line_column_range(map).map(|r| Location {
            line: r.start.line,
            column: r.start.column + 1,
        })
    })
}

/// Split `Query`/`Mutation`/`Subscription` object definitions off the user types.
pub(crate) fn split_operations(all: Vec<RDef>) -> (Vec<RDef>, OpsRaw) {
    let mut ops = OpsRaw::default();
    let mut defs = Vec::with_capacity(all.len());
    for d in all {
        if d.kind == TypeKind::Object {
            match d.name.as_str() {
                "Query" => {
                    ops.query.extend(d.fields);
                    continue;
                }
                "Mutation" => {
                    ops.mutation.extend(d.fields);
                    continue;
                }
                "Subscription" => {
                    ops.subscription.extend(d.fields);
                    continue;
                }
                _ => {}
            }
        }
        defs.push(d);
    }
    (defs, ops)
}

fn type_str(t: &Type) -> String {
    t.to_string()
}

/// GraphQL type-system rules; like Dgraph, only the first error is reported.
pub(crate) fn document(
    defs: &[RDef],
    index: &HashMap<String, usize>,
    ops: &OpsRaw,
) -> Result<(), SchemaError> {
    let defined = |n: &str| is_known_builtin(n) || index.contains_key(n);
    let check_fields =
        |owner: &str, fields: &[RField], kind: TypeKind| -> Result<(), SchemaError> {
            let mut seen = HashSet::new();
            for f in fields {
                if !seen.insert(f.name.as_str()) {
                    return Err(SchemaError::at(
                        format!("Field {owner}.{} can only be defined once.", f.name),
                        f.name_loc,
                    ));
                }
            }
            for f in fields {
                if !defined(f.type_name()) {
                    return Err(SchemaError::at(
                        format!("Undefined type {}.", f.type_name()),
                        f.ty_loc,
                    ));
                }
                for a in &f.args {
                    let tn = a.ty.inner_named_type();
                    if !defined(tn.as_str()) {
                        return Err(SchemaError::at(
                            format!("Undefined type {tn}."),
                            a.ty.inner_named_type().location().and(f.ty_loc),
                        ));
                    }
                }
                for dir in &f.directives {
                    if matches!(
                        dir.name.as_str(),
                        "secret"
                            | "auth"
                            | "lambdaOnMutate"
                            | "generate"
                            | "key"
                            | "extends"
                            | "remote"
                    ) {
                        let where_ = if kind == TypeKind::InputObject {
                            "INPUT_FIELD_DEFINITION"
                        } else {
                            "FIELD_DEFINITION"
                        };
                        return Err(SchemaError::at(
                            format!("Directive {} is not applicable on {where_}.", dir.name),
                            dloc(dir),
                        ));
                    }
                }
            }
            Ok(())
        };
    for (i, d) in defs.iter().enumerate() {
        if index.get(&d.name).is_some_and(|&first| first != i) {
            return Err(SchemaError::at(
                format!("Cannot redeclare type {}.", d.name),
                d.name_loc,
            ));
        }
    }
    for d in defs {
        match d.kind {
            TypeKind::Object | TypeKind::Interface | TypeKind::InputObject => {
                check_fields(&d.name, &d.fields, d.kind)?;
            }
            TypeKind::Union => {
                for (m, _) in &d.members {
                    match index.get(m) {
                        Some(&i) if defs[i].kind == TypeKind::Object => {}
                        Some(_) => {
                            return Err(SchemaError::at(
                                format!("UNION type \"{m}\" must be OBJECT."),
                                d.name_loc,
                            ));
                        }
                        None if is_known_builtin(m) => {
                            return Err(SchemaError::at(
                                format!("UNION type \"{m}\" must be OBJECT."),
                                d.name_loc,
                            ));
                        }
                        None => {
                            return Err(SchemaError::at(
                                format!("Undefined type \"{m}\"."),
                                d.name_loc,
                            ));
                        }
                    }
                }
            }
            TypeKind::Enum => {}
        }
        if matches!(d.kind, TypeKind::Object | TypeKind::Interface) {
            // interfaces: defined, of interface kind, fields compatible
            let mut inherited: HashMap<&str, (&str, &Type)> = HashMap::new();
            for (iname, _) in &d.interfaces {
                let Some(&ii) = index.get(iname) else {
                    return Err(SchemaError::at(
                        format!("Undefined type \"{iname}\"."),
                        d.name_loc,
                    ));
                };
                let idef = &defs[ii];
                if idef.kind != TypeKind::Interface {
                    return Err(SchemaError::at(
                        format!("{} is a non interface type {iname}.", d.name),
                        d.name_loc,
                    ));
                }
                for f in &idef.fields {
                    if let Some((other, t)) = inherited.get(f.name.as_str())
                        && **t != f.ty
                        && d.field(&f.name).is_none()
                    {
                        return Err(SchemaError::at(
                            format!(
                                "field {} is of type {} in interface {} and is of type {} in interface {}",
                                f.name,
                                type_str(&f.ty),
                                iname,
                                type_str(t),
                                other
                            ),
                            d.name_loc,
                        ));
                    }
                    if let Some((_, t)) = inherited.get(f.name.as_str())
                        && **t == f.ty
                        && f.type_name() != "ID"
                    {
                        let first = d
                            .interfaces
                            .iter()
                            .filter_map(|(n, _)| index.get(n).map(|&k| &defs[k]))
                            .find_map(|i| i.field(&f.name));
                        return Err(SchemaError::at(
                            format!("Field {}.{} can only be defined once.", d.name, f.name),
                            first.and_then(|g| g.name_loc),
                        ));
                    }
                    inherited.insert(f.name.as_str(), (iname.as_str(), &f.ty));
                    if let Some(own) = d.field(&f.name)
                        && own.ty != f.ty
                    {
                        return Err(SchemaError::at(
                            format!(
                                "For type {} to implement interface {} the field {} must have type {}",
                                d.name,
                                iname,
                                f.name,
                                type_str(&f.ty)
                            ),
                            d.name_loc,
                        ));
                    }
                }
            }
        }
    }
    check_fields("Query", &ops.query, TypeKind::Object)?;
    check_fields("Mutation", &ops.mutation, TypeKind::Object)?;
    Ok(())
}

struct Ctx<'a> {
    defs: &'a [RDef],
    index: &'a HashMap<String, usize>,
    errs: Vec<SchemaError>,
    /// `@hasInverse` added while validating: (type, field) -> partner.
    inverse: HashMap<(String, String), String>,
}

impl Ctx<'_> {
    fn def(&self, name: &str) -> Option<&RDef> {
        self.index.get(name).map(|&i| &self.defs[i])
    }
    fn kind(&self, name: &str) -> Option<TypeKind> {
        self.def(name).map(|d| d.kind)
    }
    fn err(&mut self, msg: String, loc: Option<Location>) {
        self.errs.push(SchemaError::at(msg, loc));
    }
}

fn and_list(names: &[String]) -> String {
    match names.len() {
        0 => String::new(),
        1 => names[0].clone(),
        n => format!("{} and {}", names[..n - 1].join(", "), names[n - 1]),
    }
}

/// Type, field and directive rules, then schema-wide rules.
pub(crate) fn post(
    defs: &[RDef],
    index: &HashMap<String, usize>,
    ops: &OpsRaw,
    _meta: &Meta,
    _l: &Locator<'_>,
) -> Vec<SchemaError> {
    let mut cx = Ctx {
        defs,
        index,
        errs: Vec::new(),
        inverse: HashMap::new(),
    };
    for d in defs {
        type_rules(&mut cx, d);
        for f in &d.fields {
            field_rules(&mut cx, d, f);
            for dir in &f.directives {
                directive_rules(&mut cx, d, f, dir);
            }
        }
    }
    for (owner, fields) in [("Query", &ops.query), ("Mutation", &ops.mutation)] {
        let holder = RDef {
            kind: TypeKind::Object,
            name: owner.to_string(),
            name_loc: None,
            description: None,
            interfaces: Vec::new(),
            members: Vec::new(),
            values: Vec::new(),
            fields: Vec::new(),
            directives: Vec::new(),
            extension: false,
        };
        for f in fields.iter() {
            for dir in &f.directives {
                directive_rules(&mut cx, &holder, f, dir);
            }
        }
    }
    predicate_rules(&mut cx);
    cx.errs
}

fn type_rules(cx: &mut Ctx<'_>, d: &RDef) {
    let stored_kind = matches!(d.kind, TypeKind::Object | TypeKind::Interface);
    let remote = d.has("remote");
    // idCountCheck
    if stored_kind {
        let ids: Vec<&RField> = d.fields.iter().filter(|f| f.type_name() == "ID").collect();
        if ids.len() > 1 {
            let names: Vec<String> = ids.iter().map(|f| f.name.clone()).collect();
            cx.errs.push(SchemaError::new(
                format!(
                    "Fields {} are listed as IDs for type {}, but a type can have only one ID field. Pick a single field as the ID for type {}.",
                    and_list(&names),
                    d.name,
                    d.name
                ),
                ids.iter().filter_map(|f| f.name_loc).collect(),
            ));
        }
    }
    // dgraphDirectiveTypeValidation
    if let Some(dir) = d.directive("dgraph") {
        match arg(dir, "type").map(|v| &**v) {
            None => cx.err(
                format!(
                    "Type {}; type argument for @dgraph directive should not be empty.",
                    d.name
                ),
                dloc(dir),
            ),
            Some(Value::String(s)) if s.is_empty() => cx.err(
                format!(
                    "Type {}; type argument for @dgraph directive should not be empty.",
                    d.name
                ),
                dloc(dir),
            ),
            Some(Value::String(s)) if is_reserved_keyword(s) => cx.err(
                format!(
                    "Type {}; type argument '{s}' for @dgraph directive is a reserved keyword.",
                    d.name
                ),
                dloc(dir),
            ),
            Some(Value::String(_)) => {}
            Some(_) => cx.err(
                format!(
                    "Type {}; type argument for @dgraph directive should of type String.",
                    d.name
                ),
                dloc(dir),
            ),
        }
    }
    // passwordDirectiveValidation
    let secrets: Vec<&Node<Directive>> =
        d.directives.iter().filter(|x| x.name == "secret").collect();
    if !secrets.is_empty() {
        let names: Vec<String> = secrets
            .iter()
            .map(|s| {
                arg(s, "field")
                    .and_then(|v| as_str_loose(v))
                    .unwrap_or_default()
                    .to_string()
            })
            .collect();
        if names.iter().any(|n| n.is_empty()) {
            cx.err(
                format!(
                    "Type {}; Argument \"field\" of secret directive is empty",
                    d.name
                ),
                d.name_loc,
            );
        } else if names.len() > 1 {
            cx.err(
                format!(
                    "Type {}; has more than one secret fields {}",
                    d.name,
                    names.join(",")
                ),
                d.name_loc,
            );
        } else if d.field(&names[0]).is_some() {
            cx.err(
                format!(
                    "Type {}; has a secret directive and field of the same name {}",
                    d.name, names[0]
                ),
                d.name_loc,
            );
        }
    }
    // conflictingDirectiveValidation
    if remote && d.has("auth") {
        cx.err(
            format!(
                "Type {}; cannot have both @auth and @remote directive",
                d.name
            ),
            d.name_loc,
        );
    } else if remote && d.has("withSubscription") {
        cx.err(
            format!(
                "Type {}; cannot have both @withSubscription and @remote directive",
                d.name
            ),
            d.name_loc,
        );
    }
    // nonIdFieldsCheck
    if d.kind == TypeKind::Object
        && !remote
        && d.fields
            .iter()
            .all(|f| f.type_name() == "ID" || f.has("custom") || f.has("lambda"))
    {
        cx.err(
            format!(
                "Type {}; is invalid, a type must have atleast one field that is not of ID! type and doesn't have @custom/@lambda directive.",
                d.name
            ),
            d.name_loc,
        );
    }
    // remoteTypeValidation
    if stored_kind {
        if remote {
            for f in &d.fields {
                if f.has("custom") || f.has("lambda") {
                    cx.err(
                        format!(
                            "Type {}; field {}; can't have @custom/@lambda directive as a @remote type can't have fields with @custom/@lambda directive.",
                            d.name, f.name
                        ),
                        f.name_loc,
                    );
                }
            }
        } else {
            for f in &d.fields {
                if f.has("custom") || f.has("lambda") {
                    continue;
                }
                if cx.def(f.type_name()).is_some_and(|t| t.has("remote")) {
                    cx.err(
                        format!(
                            "Type {}; field {}; is of a type that has @remote directive. Those would need to be resolved by a @custom/@lambda directive.",
                            d.name, f.name
                        ),
                        f.name_loc,
                    );
                }
            }
        }
        for (iname, _) in &d.interfaces {
            let Some(i) = cx.def(iname) else { continue };
            let iremote = i.has("remote");
            if remote && !iremote {
                cx.err(
                    format!(
                        "Type {}; with @remote directive implements interface {iname}; which doesn't have @remote directive.",
                        d.name
                    ),
                    d.name_loc,
                );
            } else if !remote && iremote {
                cx.err(
                    format!(
                        "Type {}; without @remote directive can't implement an interface {iname}; with have @remote directive.",
                        d.name
                    ),
                    d.name_loc,
                );
            }
        }
    }
    // generateDirectiveValidation
    if let Some(g) = d.directive("generate") {
        for a in &g.arguments {
            match (a.name.as_str(), &*a.value) {
                ("query" | "mutation", Value::Object(kv)) => {
                    for (k, v) in kv {
                        if !matches!(**v, Value::Boolean(_)) {
                            cx.err(
                                format!(
                                    "Type {}; {} argument in @generate directive can only be true/false, found: `{}`.",
                                    d.name,
                                    k,
                                    compact(v)
                                ),
                                dloc(g),
                            );
                        }
                    }
                }
                ("subscription", Value::Boolean(_)) => {}
                (name, v) => cx.err(
                    format!(
                        "Type {}; {name} argument in @generate directive can only be true/false, found: `{}`.",
                        d.name,
                        compact(v)
                    ),
                    dloc(g),
                ),
            }
        }
    }
    // apollo @key
    let keys: Vec<&Node<Directive>> = d.directives.iter().filter(|x| x.name == "key").collect();
    if keys.len() > 1 {
        cx.err(
            format!(
                "Type {}; @key directive should not be defined more than once.",
                d.name
            ),
            dloc(keys[1]),
        );
    } else if let Some(k) = keys.first() {
        if remote {
            cx.err(
                format!(
                    "Type {}; @remote directive cannot be defined with @key directive",
                    d.name
                ),
                Some(REMOTE_DEFINITION_POSITION),
            );
        } else {
            let fname = arg(k, "fields")
                .and_then(|v| as_str_loose(v))
                .unwrap_or_default();
            match d.field(fname) {
                None => cx.err(
                    format!(
                        "Type {}; @key directive uses a field {fname} which is not defined inside the type.",
                        d.name
                    ),
                    arg_loc(k, "fields"),
                ),
                Some(f) if f.type_name() != "ID" && !f.has("id") => cx.err(
                    format!(
                        "Type {}: Field {fname}: used inside @key directive should be of type ID or have @id directive.",
                        d.name
                    ),
                    arg_loc(k, "fields"),
                ),
                _ => {}
            }
        }
    } else if (d.extension || d.has("extends")) && stored_kind {
        cx.err(
            format!(
                "Type {}; Type Extension cannot be defined without @key directive",
                d.name
            ),
            Some(EXTENDS_DEFINITION_POSITION),
        );
    }
    // lambdaOnMutateValidation
    if let Some(lm) = d.directive("lambdaOnMutate") {
        if remote {
            cx.err(
                format!(
                    "Type {}; @lambdaOnMutate directive not allowed along with @remote directive.",
                    d.name
                ),
                dloc(lm),
            );
        } else {
            for a in &lm.arguments {
                if !matches!(*a.value, Value::Boolean(_)) {
                    let loc = dloc(lm);
                    cx.err(
                        format!(
                            "Type {}; {} argument in @lambdaOnMutate directive can only be true/false, found: `{}`.",
                            d.name,
                            a.name,
                            compact(&a.value)
                        ),
                        arg_loc(lm, a.name.as_str()).or(loc),
                    );
                }
            }
        }
    }
}

/// Position of a literal (strings: the first character after the quote, like Dgraph's parser).
fn value_loc(v: &Node<Value>) -> Option<Location> {
    let shift = usize::from(matches!(**v, Value::String(_)));
    SOURCES.with(|s| {
        let s = s.borrow();
        let map = s.as_ref()?;
        v.line_column_range(map).map(|r| Location {
            line: r.start.line,
            column: r.start.column + shift,
        })
    })
}

/// Position of a directive argument (its name).
fn arg_loc(dir: &Directive, name: &str) -> Option<Location> {
    let a = dir.arguments.iter().find(|a| a.name == name)?;
    SOURCES.with(|s| {
        let s = s.borrow();
        let map = s.as_ref()?;
        a.line_column_range(map).map(|r| Location {
            line: r.start.line,
            column: r.start.column,
        })
    })
}

thread_local! {
    static SOURCES: std::cell::RefCell<Option<apollo_compiler::parser::SourceMap>> = const { std::cell::RefCell::new(None) };
}

/// Makes the document's sources available to position lookups while validating; they are
/// released when the returned guard is dropped.
pub(crate) fn set_sources(map: &apollo_compiler::parser::SourceMap) -> SourcesGuard {
    SOURCES.with(|s| *s.borrow_mut() = Some(map.clone()));
    SourcesGuard(())
}

/// Clears the per-thread source map of the schema being validated.
pub(crate) struct SourcesGuard(());

impl Drop for SourcesGuard {
    fn drop(&mut self) {
        SOURCES.with(|s| *s.borrow_mut() = None);
    }
}

fn field_rules(cx: &mut Ctx<'_>, d: &RDef, f: &RField) {
    if !matches!(d.kind, TypeKind::Object | TypeKind::Interface) {
        return;
    }
    // listValidityCheck
    if let Type::List(inner) | Type::NonNullList(inner) = &f.ty
        && inner.is_list()
    {
        cx.err(
            format!(
                "Type {}; Field {}: Nested lists are invalid.",
                d.name, f.name
            ),
            f.name_loc,
        );
    }
    // fieldArgumentCheck
    if !d.has("remote") {
        for a in &f.args {
            if matches!(a.name.as_str(), "first" | "offset" | "filter" | "order") {
                cx.err(
                    format!(
                        "Type {}; Field {}: can't have {} as an argument because it is a reserved argument.",
                        d.name, f.name, a.name
                    ),
                    f.name_loc,
                );
                break;
            }
        }
    }
    // fieldNameCheck
    if is_reserved_keyword(&f.name) {
        cx.err(
            format!(
                "Type {}; Field {}: {} is a reserved keyword and you cannot declare a field with this name.",
                d.name, f.name, f.name
            ),
            f.name_loc,
        );
    } else if f.name.ends_with("Aggregate") {
        cx.err(
            format!(
                "Type {}; Field {}: Aggregate is a reserved keyword and you cannot declare a field with Aggregate as suffix.",
                d.name, f.name
            ),
            f.name_loc,
        );
    }
    // isValidFieldForList
    if f.ty.is_list() {
        match f.type_name() {
            "ID" => cx.err(
                format!("Type {}; Field {}: ID lists are invalid.", d.name, f.name),
                f.name_loc,
            ),
            "Boolean" => cx.err(
                format!(
                    "Type {}; Field {}: Boolean lists are invalid.",
                    d.name, f.name
                ),
                f.name_loc,
            ),
            _ => {}
        }
    }
    // @embedding
    if f.has("embedding") && f.ty.to_string() != "[Float!]" && f.ty.to_string() != "[Float!]!" {
        cx.err(
            format!(
                "Type {}; Field {}: The field with @embedding directive is of type {}, but @embedding directive only applies to fields of type [Float!].",
                d.name, f.name, f.ty
            ),
            f.name_loc,
        );
    }
}

/// Which type each `@search` argument applies to.
fn search_arg_type(a: &str) -> Option<&'static str> {
    Some(match a {
        "int" => "Int",
        "int64" => "Int64",
        "float" => "Float",
        "bool" => "Boolean",
        "hash" | "exact" | "term" | "fulltext" | "trigram" | "regexp" | "ngram" => "String",
        "year" | "month" | "day" | "hour" => "DateTime",
        "point" => "Point",
        "polygon" => "Polygon",
        "multiPolygon" => "MultiPolygon",
        "hnsw" => "[Float!]",
        _ => return None,
    })
}

fn search_hint(type_name: &str) -> String {
    match type_name {
        "String" => {
            "can have @search by exact, fulltext, hash, ngram, regexp, term and trigram".into()
        }
        "DateTime" => "can have @search by day, hour, month and year".into(),
        "Int" | "Int64" | "Float" | "Boolean" | "Point" | "Polygon" | "MultiPolygon" => {
            "are searchable by just @search".into()
        }
        _ => "can't have the @search directive".into(),
    }
}

fn search_rules(cx: &mut Ctx<'_>, d: &RDef, f: &RField, dir: &Node<Directive>) {
    let loc = dloc(dir);
    let (tn, name) = (f.type_name(), &d.name);
    let fname = &f.name;
    if let Some(v) = arg(dir, "by")
        && !matches!(**v, Value::List(_))
    {
        cx.err(
            format!(
                "Type {name}; Field {fname}: the @search directive requires a list argument, like @search(by: [\"hash\"])"
            ),
            loc,
        );
        return;
    }
    let is_enum = cx.kind(tn) == Some(TypeKind::Enum);
    let scalar_like = is_enum || crate::build::default_search(tn, false).is_some();
    let args = search_args(f).unwrap_or_default();
    if args.is_empty() {
        if !scalar_like || f.ty.is_list() && tn == "Float" && f.has("embedding") {
            cx.err(
                format!(
                    "Type {name}; Field {fname}: has the @search directive but fields of type {tn} can't have the @search directive."
                ),
                loc,
            );
        }
        return;
    }
    let mut sorted = args.clone();
    sorted.sort();
    let mut seen: Vec<(String, &'static str)> = Vec::new();
    for a in &sorted {
        let base = if a.starts_with("hnsw") {
            "hnsw"
        } else {
            a.as_str()
        };
        if base == "hnsw" {
            if parse_hnsw(a).is_none() {
                cx.err(
                    format!(
                        "Type {name}; Field {fname}: has the @search directive but the argument '{a}' with search options is malformed. Search options are comma-separated key-value pairs in YAML format => <optionName><COLON><SPACE><VALUE>"
                    ),
                    loc,
                );
                return;
            }
            if !f.has("embedding") {
                cx.err(
                    format!(
                        "Type {name}; Field {fname}: has the @search directive but the argument hnsw doesn't apply to field type {}.  Search by hnsw applies to fields of type [Float!] with @embedding. Fields of type {tn} {}.",
                        f.ty,
                        search_hint(tn)
                    ),
                    loc,
                );
                return;
            }
            continue;
        }
        let Some(applies) = search_arg_type(base) else {
            cx.err(
                format!(
                    "Type {name}; Field {fname}: the argument to @search {a} isn't valid.Fields of type {tn} {}.",
                    search_hint(tn)
                ),
                loc,
            );
            return;
        };
        if is_enum {
            if !matches!(base, "hash" | "exact" | "trigram" | "regexp" | "ngram") {
                cx.err(
                    format!(
                        "Type {name}; Field {fname}: has the @search directive but the argument {a} doesn't apply to field type {tn} which is an Enum. Enum only supports hash, exact, regexp and trigram"
                    ),
                    loc,
                );
                return;
            }
        } else if applies != tn {
            cx.err(
                format!(
                    "Type {name}; Field {fname}: has the @search directive but the argument {a} doesn't apply to field type {tn}.  Search by {a} applies to fields of type {applies}. Fields of type {tn} {}.",
                    search_hint(tn)
                ),
                loc,
            );
            return;
        }
        let filter = match base {
            "hash" => "hash",
            "exact" => "exact",
            "trigram" | "regexp" => "regexp",
            "year" | "month" | "day" | "hour" => "datetime",
            other => crate::builtins::filter_for_arg(other).unwrap_or("other"),
        };
        if (base == "hash" && seen.iter().any(|(s, _)| s == "exact"))
            || (base == "exact" && seen.iter().any(|(s, _)| s == "hash"))
        {
            let other = if base == "hash" { "exact" } else { "hash" };
            cx.err(
                format!(
                    "Type {name}; Field {fname}: the arguments '{base}' and '{other}' can't be used together as arguments to @search."
                ),
                loc,
            );
            return;
        }
        if let Some((prev, _)) = seen.iter().find(|(_, fl)| *fl == filter) {
            if tn == "String" || is_enum {
                cx.err(
                    format!(
                        "Type {name}; Field {fname}: the argument to @search '{a}' is the same as the index '{prev}' provided before and shouldn't be used together"
                    ),
                    loc,
                );
            } else {
                cx.err(
                    format!(
                        "Type {name}; Field {fname}: has the search directive on {tn}. {tn} allows only one argument for @search."
                    ),
                    loc,
                );
            }
            return;
        }
        seen.push((a.clone(), filter));
    }
}

fn directive_rules(cx: &mut Ctx<'_>, d: &RDef, f: &RField, dir: &Node<Directive>) {
    let (name, fname, tn) = (&d.name, &f.name, f.type_name());
    let loc = dloc(dir);
    match dir.name.as_str() {
        "hasInverse" => {
            let Some(inv_def) = cx
                .def(tn)
                .filter(|t| matches!(t.kind, TypeKind::Object | TypeKind::Interface))
            else {
                cx.err(
                    format!(
                        "Type {name}; Field {fname}: Field {fname} is of type {tn}, but @hasInverse directive only applies to fields with object types."
                    ),
                    f.name_loc,
                );
                return;
            };
            let Some(target) = arg(dir, "field").and_then(|v| as_str_loose(v)) else {
                cx.err(
                    format!(
                        "Type {name}; Field {fname}: @hasInverse directive doesn't have field argument."
                    ),
                    loc,
                );
                return;
            };
            let Some(inv_field) = inv_def.field(target) else {
                cx.err(
                    format!(
                        "Type {name}; Field {fname}: inverse field {target} doesn't exist for type {tn}."
                    ),
                    loc,
                );
                return;
            };
            let itn = inv_field.type_name();
            if itn != name.as_str() && !d.interfaces.iter().any(|(i, _)| i == itn) {
                cx.err(
                    format!(
                        "Type {name}; Field {fname}: @hasInverse is required to link the fields of same type, but the field {target} is of the type {itn} instead of {name}. To link these make sure the fields are of the same type."
                    ),
                    loc,
                );
                return;
            }
            let key = (tn.to_string(), target.to_string());
            let existing = inv_field
                .directive("hasInverse")
                .and_then(|x| arg(x, "field"))
                .and_then(|v| as_str_loose(v))
                .map(|s| s.to_string())
                .or_else(|| cx.inverse.get(&key).cloned());
            match existing {
                None => {
                    cx.inverse.insert(key, fname.clone());
                }
                Some(e) if e == *fname => {}
                Some(e) => cx.err(
                    format!(
                        "Type {name}; Field {fname}: @hasInverse should be consistant. {name}.{fname} is the inverse of {tn}.{target}, but {tn}.{target} is the inverse of {itn}.{e}."
                    ),
                    loc,
                ),
            }
        }
        "search" => {
            if tn == "ID" && cx.kind(tn).is_none() {
                let args = search_args(f).unwrap_or_default();
                if args.is_empty() {
                    cx.err(
                        format!(
                            "Type {name}; Field {fname}: has the @search directive but fields of type ID can't have the @search directive."
                        ),
                        loc,
                    );
                    return;
                }
            }
            if f.has("custom") {
                return;
            }
            if matches!(
                cx.kind(tn),
                Some(TypeKind::Object | TypeKind::Interface | TypeKind::Union)
            ) && search_args(f).unwrap_or_default().is_empty()
            {
                cx.err(
                    format!(
                        "Type {name}; Field {fname}: has the @search directive but fields of type {tn} can't have the @search directive."
                    ),
                    loc,
                );
                return;
            }
            if let Some(pred) = f
                .directive("dgraph")
                .and_then(|x| arg(x, "pred"))
                .and_then(|v| as_str_loose(v))
                && let Some((_, langs)) = pred.split_once('@')
                && langs.contains(':')
            {
                cx.err(
                    format!(
                        "Type {name}; Field {fname}: @search directive not applicable on language tag field with multiple languages"
                    ),
                    loc,
                );
                return;
            }
            if f.has("external")
                && d.directive("key").is_none_or(|k| {
                    arg(k, "fields").and_then(|v| as_str_loose(v)) != Some(fname.as_str())
                })
            {
                cx.err(
                    format!(
                        "Type {name}: Field {fname}: @search directive can not be defined on @external fields that are not @key."
                    ),
                    loc,
                );
                return;
            }
            search_rules(cx, d, f, dir);
        }
        "dgraph" => {
            if tn == "ID" {
                cx.err(
                    format!(
                        "Type {name}; Field {fname}: has the @dgraph directive but fields of type ID can't have the @dgraph directive."
                    ),
                    loc,
                );
                return;
            }
            if f.has("custom") {
                return;
            }
            let pred = match arg(dir, "pred").map(|v| &**v) {
                None => {
                    cx.err(
                        format!(
                            "Type {name}; Field {fname}: pred argument for @dgraph directive should not be empty."
                        ),
                        loc,
                    );
                    return;
                }
                Some(Value::String(s)) if s.is_empty() => {
                    cx.err(
                        format!(
                            "Type {name}; Field {fname}: pred argument for @dgraph directive should not be empty."
                        ),
                        loc,
                    );
                    return;
                }
                Some(Value::String(s)) => s.clone(),
                Some(_) => {
                    cx.err(
                        format!(
                            "Type {name}; Field {fname}: pred argument for @dgraph directive should be of type String."
                        ),
                        loc,
                    );
                    return;
                }
            };
            if is_reserved_keyword(&pred) {
                cx.err(
                    format!(
                        "Type {name}; Field {fname}: pred argument '{pred}' for @dgraph directive is a reserved keyword."
                    ),
                    loc,
                );
                return;
            }
            let trimmed = pred.trim_start_matches('<');
            if let Some(fwd) = trimmed.strip_prefix('~') {
                let fwd = fwd.trim_end_matches('>');
                let Some(target) = cx
                    .def(tn)
                    .filter(|t| matches!(t.kind, TypeKind::Object | TypeKind::Interface))
                else {
                    cx.err(
                        format!(
                            "Type {name}; Field {fname} is of type {tn}, but reverse predicate in @dgraph directive only applies to fields with object types."
                        ),
                        f.name_loc,
                    );
                    return;
                };
                if !f.ty.is_list() {
                    cx.err(
                        format!(
                            "Type {name}; Field {fname}: with a dgraph directive that starts with ~ should be of type list."
                        ),
                        loc,
                    );
                    return;
                }
                if f.has("hasInverse") {
                    cx.err(
                        format!(
                            "Type {name}; Field {fname}: @hasInverse directive is not allowed when pred argument in @dgraph directive starts with a ~."
                        ),
                        loc,
                    );
                    return;
                }
                let fwd_field = target.fields.iter().find(|g| {
                    g.directive("dgraph")
                        .and_then(|x| arg(x, "pred"))
                        .and_then(|v| as_str_loose(v))
                        == Some(fwd)
                });
                let Some(fwd_field) = fwd_field else {
                    cx.err(
                        format!(
                            "Type {name}; Field {fname}: pred argument: {pred} is not supported as forward edge doesn't exist for type {tn}."
                        ),
                        loc,
                    );
                    return;
                };
                if fwd_field.has("hasInverse") {
                    cx.err(
                        format!(
                            "Type {name}; Field {fname}: @hasInverse directive is not allowed when pred argument in @dgraph directive starts with a ~."
                        ),
                        loc,
                    );
                    return;
                }
                let ftn = fwd_field.type_name();
                let mut allowed: Vec<String> = vec![name.clone()];
                allowed.extend(d.interfaces.iter().map(|(i, _)| i.clone()));
                let implements_d = cx
                    .def(ftn)
                    .is_some_and(|t| t.interfaces.iter().any(|(i, _)| i == name));
                if !allowed.iter().any(|a| a == ftn) && !implements_d {
                    let msg = if allowed.len() == 1 {
                        format!("should be of type {}", allowed[0])
                    } else {
                        let (last, rest) = allowed.split_last().expect("non-empty");
                        format!("should be any of types {} or {last}", rest.join(", "))
                    };
                    let fwd_name = fwd_field.name.clone();
                    let fwd_loc = fwd_field.directive("dgraph").and_then(dloc);
                    cx.err(
                        format!(
                            "Type {tn}; Field {fwd_name}: {msg} to be compatible with @dgraph reverse directive but is of type {ftn}."
                        ),
                        fwd_loc,
                    );
                }
                return;
            }
            if let Some((_, langs)) = pred.split_once('@') {
                if langs.contains('@') {
                    cx.err(
                        format!("Type {name}; Field {fname}: multiple language tag not supported"),
                        loc,
                    );
                    return;
                }
                if tn != "String" {
                    cx.err(
                        format!(
                            "Type {name}; Field {fname}: Expected type `String` for language tag field but got `{tn}`"
                        ),
                        f.name_loc,
                    );
                    return;
                }
                if langs.split(':').any(|l| l == "*") {
                    cx.err(
                        format!(
                            "Type {name}; Field {fname}: `*` language tag not supported in GraphQL"
                        ),
                        loc,
                    );
                    return;
                }
                if let Some(id) = f.directive("id") {
                    cx.err(
                        format!(
                            "Type {name}; Field {fname}: @id directive not supported on language tag fields"
                        ),
                        dloc(id),
                    );
                }
            }
        }
        "id" => {
            let ok = !f.ty.is_list() && matches!(tn, "String" | "Int" | "Int64");
            if !ok {
                cx.err(
                    format!(
                        "Type {name}; Field {fname}: with @id directive must be of type String, Int or Int64, not {}",
                        f.ty
                    ),
                    loc,
                );
                return;
            }
            if d.kind != TypeKind::Interface
                && f.inherited_from.is_none()
                && matches!(
                    arg(dir, "interface").map(|v| &**v),
                    Some(Value::Boolean(true))
                )
            {
                cx.err(
                    format!(
                        "Type {name}; Field {fname}: @id field with interface argument can only be defined in interface,not in Type"
                    ),
                    loc,
                );
            }
        }
        "custom" => custom_rules(cx, d, f, dir),
        "remoteResponse" if !d.has("remote") => {
            cx.err(
                    format!(
                        "Type {name}: Field {fname}: @remoteResponse directive can only be defined on fields of @remote type."
                    ),
                    loc,
                );
        }
        "withSubscription" => {
            if name == "Query" {
                if f.directive("custom")
                    .is_none_or(|c| arg(c, "dql").is_none())
                {
                    cx.err(
                        format!(
                            "Type {name}; Field {fname}: custom query should have dql argument if @withSubscription directive is set"
                        ),
                        f.name_loc,
                    );
                }
            } else {
                cx.err(
                    format!(
                        "Type {name}; Field {fname}: @withSubscription directive is applicable only on types and custom dql queries"
                    ),
                    f.name_loc,
                );
            }
        }
        "default" => default_rules(cx, d, f, dir),
        "external" | "requires" => {
            if !d.extension && !d.has("extends") {
                let which = dir.name.as_str();
                cx.err(
                    format!(
                        "Type {name}: Field {fname}: @{which} directive can only be defined on fields in type extensions. i.e., the type must have `@extends` or use `extend` keyword."
                    ),
                    loc,
                );
            } else if which_is(dir, "requires") {
                let wanted = arg(dir, "fields")
                    .and_then(|v| as_str_loose(v))
                    .unwrap_or_default();
                for w in wanted.split_whitespace() {
                    if d.field(w).is_none_or(|g| !g.has("external")) {
                        cx.err(format!("Type {name}; Field {w} must be @external."), loc);
                        return;
                    }
                }
            }
        }
        "provides" => {
            let Some(target) = cx.def(tn) else { return };
            if target.directive("key").is_none() {
                cx.err(
                    format!("Type {name}; Field {fname} does not return a type that has a @key."),
                    loc,
                );
                return;
            }
            let wanted = arg(dir, "fields")
                .and_then(|v| as_str_loose(v))
                .unwrap_or_default()
                .to_string();
            for w in wanted.split_whitespace() {
                if target.field(w).is_none() {
                    cx.err(
                        format!(
                            "Type {name}; Field {fname}: @provides field {w} doesn't exist for type {tn}."
                        ),
                        loc,
                    );
                    return;
                }
            }
        }
        _ => {}
    }
}

fn which_is(dir: &Directive, n: &str) -> bool {
    dir.name == n
}

fn default_rules(cx: &mut Ctx<'_>, d: &RDef, f: &RField, dir: &Node<Directive>) {
    let (name, fname, tn) = (&d.name, &f.name, f.type_name());
    let loc = dloc(dir);
    let fail =
        |cx: &mut Ctx<'_>, m: String| cx.err(format!("Type {name}; Field {fname}: {m}"), loc);
    if d.has("remote") {
        return fail(cx, "cannot use @default directive on a @remote type".into());
    }
    if tn == "ID" {
        return fail(
            cx,
            "cannot use @default directive on field with type ID".into(),
        );
    }
    if f.ty.is_list() {
        return fail(
            cx,
            format!(
                "cannot use @default directive on field with list type {}",
                f.ty
            ),
        );
    }
    let is_enum = cx.kind(tn) == Some(TypeKind::Enum);
    if !is_enum
        && !matches!(
            tn,
            "Int" | "Int64" | "Float" | "Boolean" | "String" | "DateTime"
        )
    {
        return fail(
            cx,
            format!("cannot use @default directive on field with non-scalar type {tn}"),
        );
    }
    if f.has("id") {
        return fail(
            cx,
            "cannot use @default directive on field with @id directive".into(),
        );
    }
    if f.has("custom") {
        return fail(
            cx,
            "cannot use @default directive on field with @custom directive".into(),
        );
    }
    if f.has("lambda") {
        return fail(
            cx,
            "cannot use @default directive on field with @lambda directive".into(),
        );
    }
    for key in ["add", "update"] {
        let Some(v) = arg(dir, key) else { continue };
        let Value::Object(kv) = &**v else { continue };
        let Some((_, val)) = kv.iter().find(|(k, _)| k == "value") else {
            continue;
        };
        let Some(s) = as_str_loose(val) else { continue };
        let ok = match tn {
            "Int" => s.parse::<i32>().is_ok(),
            "Int64" => s.parse::<i64>().is_ok(),
            "Float" => s.parse::<f64>().is_ok(),
            "Boolean" => matches!(s, "true" | "false"),
            "DateTime" => true,
            _ => s != "$now",
        };
        if !ok || (s == "$now" && tn != "DateTime") {
            return fail(
                cx,
                format!("@default directive provides value \"{s}\" which cannot be used with {tn}"),
            );
        }
    }
}

fn custom_rules(cx: &mut Ctx<'_>, d: &RDef, f: &RField, dir: &Node<Directive>) {
    let (name, fname) = (&d.name, &f.name);
    let loc = dloc(dir);
    let is_op = matches!(name.as_str(), "Query" | "Mutation");
    for other in ["search", "dgraph"] {
        if f.has(other) {
            cx.err(
                format!(
                    "Type {name}; Field {fname}; custom directive not allowed along with @{other} directive."
                ),
                loc,
            );
            return;
        }
    }
    if !is_op {
        if f.type_name() == "ID" && !f.ty.is_list() || f.has("id") {
            cx.err(
                format!(
                    "Type {name}; Field {fname}; custom directive not allowed on field of type ID! or field with @id directive."
                ),
                loc,
            );
        } else if !d.has("remote")
            && !d
                .fields
                .iter()
                .any(|g| (g.type_name() == "ID" && !g.ty.is_list()) || g.has("id"))
        {
            cx.err(
                format!(
                    "Type {name}; Field {fname}; @custom directive is only allowed on fields where the type definition has a field with type ID! or a field with @id directive."
                ),
                loc,
            );
        }
    }
    for a in &dir.arguments {
        if !matches!(a.name.as_str(), "http" | "dql") {
            cx.err(
                format!(
                    "{} is not supported as an argument for custom directive.",
                    a.name
                ),
                loc,
            );
            return;
        }
    }
    if dir.arguments.len() != 1 {
        cx.err(
            format!(
                "Type {name}; Field {fname}: has {} arguments for @custom directive, it should contain exactly one of `http` or `dql` arguments.",
                dir.arguments.len()
            ),
            loc,
        );
        return;
    }
    if let Some(dql) = arg(dir, "dql") {
        if name != "Query" {
            cx.err(
                format!(
                    "Type {name}; Field {fname}: @custom directive with `dql` can be used only on queries."
                ),
                arg_loc(dir, "dql"),
            );
            return;
        }
        match &**dql {
            Value::String(s) if s.trim().is_empty() => {
                cx.err(
                    format!(
                        "Type {name}; Field {fname}: dql argument for @custom directive must not be empty."
                    ),
                    arg_loc(dir, "dql"),
                );
                return;
            }
            Value::String(_) => {}
            _ => {
                cx.err(
                    format!(
                        "Type {name}; Field {fname}: dql argument for @custom directive must be of type String."
                    ),
                    arg_loc(dir, "dql"),
                );
                return;
            }
        }
        for a in &f.args {
            let tn = a.ty.inner_named_type().as_str();
            let scalar =
                !a.ty.is_list() && (SCALARS.contains(&tn) || cx.kind(tn) == Some(TypeKind::Enum));
            if !scalar {
                cx.err(
                    format!(
                        "Type {name}; Field {fname}: Argument {}: must be of a scalar type. @custom DQL queries accept only scalar arguments.",
                        a.name
                    ),
                    arg_loc(dir, "dql"),
                );
                return;
            }
        }
        return;
    }
    let Some(http) = arg(dir, "http") else { return };
    let Value::Object(kv) = &**http else { return };
    let get = |k: &str| kv.iter().find(|(n, _)| n == k).map(|(_, v)| v);
    let Some(url) = get("url").and_then(|v| as_str_loose(v)) else {
        cx.err(
            format!("Type {name}; Field {fname}; url field inside @custom directive is mandatory."),
            loc,
        );
        return;
    };
    let url_loc = get("url").and_then(value_loc);
    if !valid_url(url) {
        cx.err(
            format!("Type {name}; Field {fname}; url field inside @custom directive is invalid."),
            url_loc,
        );
        return;
    }
    match get("method").and_then(|v| as_str_loose(v)) {
        Some("GET" | "POST" | "PUT" | "PATCH" | "DELETE") => {}
        _ => {
            cx.err(
                format!(
                    "Type {name}; Field {fname}; method field inside @custom directive can only be GET/POST/PUT/PATCH/DELETE."
                ),
                get("method").and_then(value_loc).or(loc),
            );
            return;
        }
    }
    if let Some(mode) = get("mode") {
        if is_op {
            cx.err(
                format!(
                    "Type {name}; Field {fname}; mode field inside @custom directive can't be present on Query/Mutation."
                ),
                value_loc(mode),
            );
            return;
        } else if !matches!(as_str_loose(mode), Some("SINGLE" | "BATCH")) {
            cx.err(
                format!(
                    "Type {name}; Field {fname}; mode field inside @custom directive can only be SINGLE/BATCH."
                ),
                value_loc(mode),
            );
            return;
        }
    }
    if let Some(skip) = get("skipIntrospection")
        && !matches!(**skip, Value::Boolean(_))
    {
        let shown = as_str_loose(skip)
            .map(|s| s.to_string())
            .unwrap_or_else(|| compact(skip));
        cx.err(
            format!(
                "Type {name}; Field {fname}; skipIntrospection in @custom directive can only be true/false, found: `{shown}`."
            ),
            get("graphql").and_then(value_loc).or(loc),
        );
        return;
    }
    check_http(cx, d, f, dir, kv, is_op);
}

fn valid_url(url: &str) -> bool {
    let Some(rest) = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
    else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    !host.is_empty() && !host.contains(' ')
}

fn strip_non_null(t: &Type) -> String {
    match t {
        Type::Named(n) | Type::NonNullNamed(n) => n.to_string(),
        Type::List(i) | Type::NonNullList(i) => format!("[{}]", strip_non_null(i)),
    }
}

/// Schema-wide rule: fields sharing a storage predicate must agree.
fn predicate_rules(cx: &mut Ctx<'_>) {
    struct Use<'a> {
        def: &'a RDef,
        field: &'a RField,
    }
    let pred_of = |d: &RDef, f: &RField| -> Option<String> {
        if f.type_name() == "ID" || f.has("custom") || f.has("lambda") {
            return None;
        }
        match f
            .directive("dgraph")
            .and_then(|x| arg(x, "pred"))
            .and_then(|v| as_str_loose(v))
        {
            Some(p) if p.starts_with('~') || p.starts_with("<~") => None,
            Some(p) => Some(p.to_string()),
            None => Some(format!("{}.{}", crate::build::storage_name(d), f.name)),
        }
    };
    let mut by_pred: HashMap<String, Vec<Use<'_>>> = HashMap::new();
    let mut secret_preds: HashMap<String, &RDef> = HashMap::new();
    for d in cx.defs {
        if !matches!(d.kind, TypeKind::Object | TypeKind::Interface) || d.has("remote") {
            continue;
        }
        if let Some(s) = d.directive("secret") {
            let field = arg(s, "field")
                .and_then(|v| as_str_loose(v))
                .unwrap_or_default();
            let pred = arg(s, "pred")
                .and_then(|v| as_str_loose(v))
                .map(|s| s.to_string())
                .unwrap_or_else(|| format!("{}.{field}", crate::build::storage_name(d)));
            secret_preds.entry(pred).or_insert(d);
        }
    }
    let mut errs = Vec::new();
    for d in cx.defs {
        if !matches!(d.kind, TypeKind::Object | TypeKind::Interface) || d.has("remote") {
            continue;
        }
        // several implemented interfaces sharing a predicate
        if d.interfaces.len() > 1 {
            let mut seen: HashMap<String, &str> = HashMap::new();
            let mut dup: Vec<String> = Vec::new();
            for (i, _) in &d.interfaces {
                let Some(idef) = cx.def(i) else { continue };
                for f in &idef.fields {
                    let Some(p) = f
                        .directive("dgraph")
                        .and_then(|x| arg(x, "pred"))
                        .and_then(|v| as_str_loose(v))
                    else {
                        continue;
                    };
                    if seen.insert(p.to_string(), i).is_some_and(|prev| prev != i)
                        && !dup.iter().any(|x| x == p)
                    {
                        dup.push(p.to_string());
                    }
                }
            }
            if !dup.is_empty() {
                let names: Vec<&str> = d.interfaces.iter().map(|(n, _)| n.as_str()).collect();
                errs.push(SchemaError::at(
                    format!(
                        "Type {}; implements interfaces [{}], all of which have fields with @dgraph predicate: {}. These fields must use different Dgraph predicates.",
                        d.name,
                        names.join(" "),
                        dup.join(", ")
                    ),
                    d.name_loc,
                ));
            }
        }
        for f in &d.fields {
            if f.inherited_from.is_some() {
                continue;
            }
            let Some(pred) = pred_of(d, f) else { continue };
            if f.has("dgraph")
                && let Some(sd) = secret_preds.get(&pred)
            {
                errs.push(SchemaError::at(
                    format!(
                        "Type {}; Field {}: has the @dgraph predicate, but that conflicts with type {} @secret directive on the same predicate. @secret predicates are stored encrypted and so the same predicate can't be used as a String.",
                        d.name, f.name, sd.name
                    ),
                    f.name_loc,
                ));
                continue;
            }
            let uses = by_pred.entry(pred).or_default();
            let implemented: Vec<&str> = d.interfaces.iter().map(|(i, _)| i.as_str()).collect();
            if let Some(u) = uses.iter().find(|u| {
                u.def.kind == TypeKind::Interface && implemented.contains(&u.def.name.as_str())
            }) {
                errs.push(SchemaError::at(
                    format!(
                        "Type {}; Field {}: has the @dgraph directive, which conflicts with interface {}; field {}, that this type implements. These fields must use different Dgraph predicates.",
                        d.name, f.name, u.def.name, u.field.name
                    ),
                    f.name_loc,
                ));
                continue;
            }
            if let Some(u) = uses.first() {
                let (a, b) = (strip_non_null(&f.ty), strip_non_null(&u.field.ty));
                if a != b {
                    errs.push(SchemaError::at(
                        format!(
                            "Type {}; Field {}: has type {a}, which is different to type {}; field {}, which has the same @dgraph directive but type {b}. These fields must have either the same GraphQL types, or use different Dgraph predicates.",
                            d.name, f.name, u.def.name, u.field.name
                        ),
                        f.name_loc,
                    ));
                    continue;
                }
                if u.field.has("id") != f.has("id") {
                    let (mine, theirs) = if f.has("id") {
                        ("has", "without")
                    } else {
                        ("doesn't have", "along with")
                    };
                    errs.push(SchemaError::at(
                        format!(
                            "Type {}; Field {}: {mine} @id directive, which conflicts with type {}; field {}, which has the same @dgraph directive {theirs} @id directive. Both these fields must either use @id directive, or use different Dgraph predicates.",
                            d.name, f.name, u.def.name, u.field.name
                        ),
                        f.name_loc,
                    ));
                    continue;
                }
            }
            uses.push(Use { def: d, field: f });
        }
    }
    cx.errs.extend(errs);
}

/// `$name` references in a URL: (in path, name).
fn url_vars(url: &str) -> Vec<(bool, String)> {
    let (path, query) = match url.split_once('?') {
        Some((p, q)) => (p, q),
        None => (url, ""),
    };
    let mut out = Vec::new();
    let scan = |text: &str, in_path: bool, out: &mut Vec<(bool, String)>| {
        let mut rest = text;
        while let Some(i) = rest.find('$') {
            let after = &rest[i + 1..];
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            if end > 0 {
                out.push((in_path, after[..end].to_string()));
            }
            rest = &after[end..];
        }
    };
    scan(path, true, &mut out);
    scan(query, false, &mut out);
    out
}

/// Deepest nesting of objects/lists accepted in a body template.
const MAX_TEMPLATE_DEPTH: usize = 64;

/// Parse a `@custom` body template; returns the variables it uses, in order.
fn body_vars(body: &str) -> Result<Vec<String>, String> {
    struct P<'a> {
        s: &'a [u8],
        i: usize,
        vars: Vec<String>,
        depth: usize,
    }
    impl P<'_> {
        fn ws(&mut self) {
            while self.i < self.s.len() && (self.s[self.i] as char).is_whitespace() {
                self.i += 1;
            }
        }
        fn ident(&mut self) -> String {
            let st = self.i;
            while self.i < self.s.len()
                && ((self.s[self.i] as char).is_ascii_alphanumeric() || self.s[self.i] == b'_')
            {
                self.i += 1;
            }
            String::from_utf8_lossy(&self.s[st..self.i]).into_owned()
        }
        fn token(&mut self) -> String {
            let st = self.i;
            while self.i < self.s.len()
                && !matches!(self.s[self.i], b',' | b'}' | b']' | b' ' | b'\n' | b'\t')
            {
                self.i += 1;
            }
            String::from_utf8_lossy(&self.s[st..self.i]).into_owned()
        }
        fn string(&mut self) {
            self.i += 1;
            while self.i < self.s.len() && self.s[self.i] != b'"' {
                if self.s[self.i] == b'\\' {
                    self.i += 1;
                }
                self.i += 1;
            }
            self.i += 1;
        }
        fn value(&mut self) -> Result<(), String> {
            self.ws();
            if self.depth > MAX_TEMPLATE_DEPTH {
                return Err("template nested too deeply".to_string());
            }
            match self.s.get(self.i) {
                Some(b'$') => {
                    self.i += 1;
                    let v = self.ident();
                    self.vars.push(v);
                    Ok(())
                }
                Some(b'{') => {
                    self.depth += 1;
                    let r = self.object();
                    self.depth -= 1;
                    r
                }
                Some(b'"') => {
                    self.string();
                    Ok(())
                }
                Some(c) if c.is_ascii_digit() || *c == b'-' || c.is_ascii_uppercase() => {
                    self.token();
                    Ok(())
                }
                Some(b'[') => {
                    self.i += 1;
                    self.depth += 1;
                    let r = self.list();
                    self.depth -= 1;
                    r
                }
                _ => Err(format!("found unexpected value: {}", self.token())),
            }
        }
        fn list(&mut self) -> Result<(), String> {
            loop {
                self.ws();
                if self.s.get(self.i) == Some(&b']') {
                    self.i += 1;
                    return Ok(());
                }
                self.value()?;
                self.ws();
                match self.s.get(self.i) {
                    Some(b',') => self.i += 1,
                    Some(b']') => {}
                    _ => return Err(format!("found unexpected value: {}", self.token())),
                }
            }
        }
        fn object(&mut self) -> Result<(), String> {
            self.i += 1;
            loop {
                self.ws();
                match self.s.get(self.i) {
                    Some(b'}') => {
                        self.i += 1;
                        return Ok(());
                    }
                    Some(b'"') => self.string(),
                    Some(_) => {
                        if self.ident().is_empty() {
                            return Err(format!("found unexpected value: {}", self.token()));
                        }
                    }
                    None => return Err("unexpected end of template".into()),
                }
                self.ws();
                if self.s.get(self.i) != Some(&b':') {
                    return Err(format!("found unexpected value: {}", self.token()));
                }
                self.i += 1;
                self.value()?;
                self.ws();
                match self.s.get(self.i) {
                    Some(b',') => self.i += 1,
                    Some(b'}') => {}
                    _ => return Err(format!("found unexpected value: {}", self.token())),
                }
            }
        }
    }
    let mut p = P {
        s: body.as_bytes(),
        i: 0,
        vars: Vec::new(),
        depth: 0,
    };
    p.ws();
    p.value()?;
    Ok(p.vars)
}

/// Byte offset of a 1-based line/column (in characters) in `text`.
pub(crate) fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let mut off = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            return off
                + l.char_indices()
                    .nth(column.saturating_sub(1))
                    .map(|(b, _)| b)
                    .unwrap_or(l.len());
        }
        off += l.len();
    }
    text.len()
}

/// A GraphQL syntax error phrased like Dgraph's parser (`Expected Name, found :`).
pub(crate) fn graphql_syntax_message(text: &str, offset: Option<usize>) -> String {
    let Some(off) = offset else {
        return "Expected Name, found <EOF>".to_string();
    };
    let rest = text.get(off..).unwrap_or_default().trim_start();
    let Some(c) = rest.chars().next() else {
        return "Expected Name, found <EOF>".to_string();
    };
    if c.is_ascii_alphabetic() || c == '_' {
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        format!("Unexpected Name \"{name}\"")
    } else {
        format!("Expected Name, found {c}")
    }
}

fn collect_value_vars(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Variable(n) => out.push(n.to_string()),
        Value::List(items) => items.iter().for_each(|i| collect_value_vars(i, out)),
        Value::Object(kv) => kv.iter().for_each(|(_, i)| collect_value_vars(i, out)),
        _ => {}
    }
}

fn is_scalar_name(cx: &Ctx<'_>, n: &str) -> bool {
    SCALARS.contains(&n) || cx.kind(n) == Some(TypeKind::Enum)
}

/// Checks of `$var` references (body or graphql) against the type's fields.
fn check_field_refs(
    cx: &mut Ctx<'_>,
    d: &RDef,
    f: &RField,
    vars: &[String],
    what: &str,
    loc: Option<Location>,
) {
    let (name, fname) = (&d.name, &f.name);
    let mut uses_key = false;
    for v in vars {
        let Some(target) = d.field(v) else {
            cx.err(
                format!(
                    "Type {name}; Field {fname}; @custom directive, {what} must use fields defined within the type, found `{v}`."
                ),
                loc,
            );
            continue;
        };
        if target.name == *fname {
            cx.err(
                format!(
                    "Type {name}; Field {fname}; @custom directive, {what} can't require itself."
                ),
                loc,
            );
        }
        if target.has("custom") || target.has("lambda") {
            cx.err(
                format!(
                    "Type {name}; Field {fname}; @custom directive, {what} can't use another field with @custom/@lambda directive, found field `{v}` with @custom/@lambda."
                ),
                loc,
            );
            continue;
        }
        if !is_scalar_name(cx, target.type_name()) {
            cx.err(
                format!(
                    "Type {name}; Field {fname}; @custom directive, {what} must use scalar fields, found field `{v}` of type `{}`.",
                    target.type_name()
                ),
                loc,
            );
            continue;
        }
        if (target.type_name() == "ID" && !target.ty.is_list()) || target.has("id") {
            uses_key = true;
        }
    }
    if !uses_key {
        cx.err(
            format!(
                "Type {name}; Field {fname}: @custom directive, {what} must use a field with type ID! or a field with @id directive."
            ),
            loc,
        );
    }
}

fn check_http(
    cx: &mut Ctx<'_>,
    d: &RDef,
    f: &RField,
    dir: &Node<Directive>,
    kv: &[(apollo_compiler::Name, Node<Value>)],
    is_op: bool,
) {
    let (name, fname) = (&d.name, &f.name);
    let loc = dloc(dir);
    let get = |k: &str| kv.iter().find(|(n, _)| n == k).map(|(_, v)| v);
    let url = get("url").and_then(|v| as_str_loose(v)).unwrap_or_default();
    let url_loc = get("url").and_then(value_loc);
    let batch = matches!(get("mode").and_then(|v| as_str_loose(v)), Some("BATCH"));
    let uvars = url_vars(url);
    let mut url_err = false;
    for (in_path, v) in &uvars {
        let part = if *in_path { "path" } else { "query" };
        if is_op {
            match f.args.iter().find(|a| a.name == v.as_str()) {
                None => {
                    cx.err(
                        format!(
                            "Type {name}; Field {fname}; url {part} inside @custom directive uses an argument {v} that is not defined."
                        ),
                        url_loc,
                    );
                    url_err = true;
                }
                Some(a) if *in_path && !a.ty.is_non_null() => {
                    cx.err(
                        format!(
                            "Type {name}; Field {fname}; url path inside @custom directive uses an argument {v} that can be null."
                        ),
                        url_loc,
                    );
                    url_err = true;
                }
                _ => {}
            }
        } else {
            match d.field(v) {
                None => {
                    cx.err(
                        format!(
                            "Type {name}; Field {fname}; url {part} inside @custom directive uses a field {v} that is not defined."
                        ),
                        url_loc,
                    );
                    url_err = true;
                }
                Some(g) if *in_path && !g.ty.is_non_null() => {
                    cx.err(
                        format!(
                            "Type {name}; Field {fname}; url path inside @custom directive uses a field {v} that can be null."
                        ),
                        url_loc,
                    );
                    url_err = true;
                }
                _ => {}
            }
        }
    }
    if url_err {
        return;
    }
    if batch && !uvars.is_empty() {
        cx.err(
            format!(
                "Type {name}; Field {fname}; has parameters in url inside @custom directive while mode is BATCH, url can't contain parameters if mode is BATCH."
            ),
            url_loc,
        );
        return;
    }
    let graphql = get("graphql");
    let body = get("body");
    let method = get("method")
        .and_then(|v| as_str_loose(v))
        .unwrap_or_default();
    if graphql.is_some() {
        if !uvars.is_empty() {
            cx.err(
                format!(
                    "Type {name}; Field {fname}; has parameters in url along with graphql field inside @custom directive, url can't contain parameters if graphql field is present."
                ),
                loc,
            );
            return;
        }
        if method != "POST" {
            cx.err(
                format!(
                    "Type {name}; Field {fname}; has method {method} while graphql field is also present inside @custom directive, method can only be POST if graphql field is present."
                ),
                loc,
            );
            return;
        }
        if body.is_some() && !batch {
            cx.err(
                format!(
                    "Type {name}; Field {fname}; has both body and graphql field inside @custom directive, they can't be present together."
                ),
                loc,
            );
            return;
        }
    }
    if let Some(b) = body {
        let bloc = value_loc(b);
        match body_vars(as_str_loose(b).unwrap_or_default()) {
            Err(e) => {
                cx.err(
                    format!(
                        "Type {name}; Field {fname}; body template inside @custom directive could not be parsed: {e}"
                    ),
                    bloc,
                );
                return;
            }
            Ok(vars) => {
                if is_op {
                    for v in &vars {
                        if !f.args.iter().any(|a| a.name == v.as_str()) {
                            cx.err(
                                format!(
                                    "Type {name}; Field {fname}; body template inside @custom directive uses an argument {v} that is not defined."
                                ),
                                bloc,
                            );
                        }
                    }
                } else if d.kind != TypeKind::InputObject {
                    check_field_refs(cx, d, f, &vars, "body template", bloc);
                }
            }
        }
    }
    let Some(g) = graphql else { return };
    let gloc = value_loc(g);
    let text = as_str_loose(g).unwrap_or_default();
    let gerr = |cx: &mut Ctx<'_>, m: String| {
        cx.err(
            format!("Type {name}; Field {fname}: inside graphql in @custom directive, {m}"),
            gloc,
        )
    };
    let doc = match Document::parse(text, "custom.graphql") {
        Ok(doc) => doc,
        Err(e) => {
            if text.trim().is_empty() {
                gerr(
                    cx,
                    "found 0 operations, it can have exactly one operation.".into(),
                );
            } else {
                let off = e
                    .errors
                    .iter()
                    .next()
                    .and_then(|d| d.line_column_range())
                    .map(|r| offset_of(text, r.start.line, r.start.column));
                cx.err(
                    format!(
                        "Type {name}; Field {fname}: unable to parse graphql in @custom directive because: {}",
                        graphql_syntax_message(text, off)
                    ),
                    gloc,
                );
            }
            return;
        }
    };
    let ops: Vec<_> = doc
        .definitions
        .iter()
        .filter_map(|d| match d {
            apollo_compiler::ast::Definition::OperationDefinition(o) => Some(o),
            _ => None,
        })
        .collect();
    if ops.len() != 1 {
        gerr(
            cx,
            format!(
                "found {} operations, it can have exactly one operation.",
                ops.len()
            ),
        );
        return;
    }
    let op = ops[0];
    let op_kind = match op.operation_type {
        apollo_compiler::ast::OperationType::Query => "query",
        apollo_compiler::ast::OperationType::Mutation => "mutation",
        apollo_compiler::ast::OperationType::Subscription => {
            gerr(
                cx,
                "found `subscription` operation, it can only have query/mutation.".into(),
            );
            return;
        }
    };
    if let Some(n) = &op.name {
        gerr(
            cx,
            format!("found operation with name `{n}`, it can't have a name."),
        );
        return;
    }
    if !op.directives.is_empty() {
        gerr(
            cx,
            "found operation with directives, it can't have any directives.".into(),
        );
        return;
    }
    if op.selection_set.len() != 1 {
        gerr(
            cx,
            format!(
                "found {} fields inside operation `{op_kind}`, it can have exactly one field.",
                op.selection_set.len()
            ),
        );
        return;
    }
    let apollo_compiler::ast::Selection::Field(field) = &op.selection_set[0] else {
        gerr(
            cx,
            format!("found 0 fields inside operation `{op_kind}`, it can have exactly one field."),
        );
        return;
    };
    let qf = field.name.as_str();
    if let Some(alias) = &field.alias {
        gerr(
            cx,
            format!("found {op_kind} `{qf}` with alias `{alias}`, it can't have any alias."),
        );
        return;
    }
    if !field.directives.is_empty() {
        gerr(
            cx,
            format!("found {op_kind} `{qf}` with directives, it can't have any directives."),
        );
        return;
    }
    if !field.selection_set.is_empty() {
        gerr(
            cx,
            format!(
                "found {op_kind} `{qf}` with a selection set, it can't have any selection set."
            ),
        );
        return;
    }
    if batch
        && (field.arguments.len() != 1 || !matches!(*field.arguments[0].value, Value::Variable(_)))
    {
        gerr(
            cx,
            format!(
                "for BATCH mode, {op_kind} `{qf}` can have only one argument whose value should be a variable."
            ),
        );
        return;
    }
    let mut used = Vec::new();
    for a in &field.arguments {
        collect_value_vars(&a.value, &mut used);
    }
    let defined: Vec<String> = op.variables.iter().map(|v| v.name.to_string()).collect();
    for u in &used {
        if !defined.contains(u) {
            cx.err(
                format!(
                    "Type {name}; Field {fname}; @custom directive, graphql must use fields with a variable definition, found `{u}`."
                ),
                gloc,
            );
            return;
        }
    }
    if is_op {
        for v in &defined {
            if !f.args.iter().any(|a| a.name == v.as_str()) {
                cx.err(
                    format!(
                        "Type {name}; Field {fname}; @custom directive, graphql variables must use fields defined within the type, found `{v}`."
                    ),
                    gloc,
                );
                return;
            }
        }
    } else if !batch {
        check_field_refs(cx, d, f, &defined, "graphql", gloc);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_templates() {
        assert_eq!(
            body_vars("{ id: $id, nested: { a: [$x, $y] }, k: 1, c: ONE, s: \"t\" }"),
            Ok(vec!["id".to_string(), "x".to_string(), "y".to_string()])
        );
        assert_eq!(
            body_vars("{id: $id, name: name}"),
            Err("found unexpected value: name".to_string())
        );
        let deep = "[".repeat(100_000);
        assert!(
            body_vars(&deep).is_err(),
            "deep nesting is an error, not a crash"
        );
    }

    #[test]
    fn url_variables_by_part() {
        assert_eq!(
            url_vars("http://a.io/u/$id/x?q=$name&z=1"),
            vec![(true, "id".to_string()), (false, "name".to_string())]
        );
        assert!(valid_url("https://a.io/x"));
        assert!(!valid_url("123"));
    }

    #[test]
    fn empty_directive_arguments_are_blanked_in_place() {
        let src = "type R @auth() {\n id: ID! # @x()\n s: String @custom(dql: \"@y()\")\n}";
        let out = blank_empty_directive_args(src).expect("changed");
        assert_eq!(out.len(), src.len());
        assert!(out.starts_with("type R @auth   {"));
        assert!(out.contains("# @x()"), "comments untouched");
        assert!(out.contains("\"@y()\""), "strings untouched");
        assert!(blank_empty_directive_args("type A { a: Int @search(by: [int]) }").is_none());
    }

    #[test]
    fn syntax_messages_in_dgraph_words() {
        let t = "query { a } garbage";
        assert_eq!(
            graphql_syntax_message(t, Some(12)),
            "Unexpected Name \"garbage\""
        );
        assert_eq!(
            graphql_syntax_message("query { a: }", Some(11)),
            "Expected Name, found }"
        );
        assert_eq!(
            graphql_syntax_message("query {", None),
            "Expected Name, found <EOF>"
        );
        assert_eq!(offset_of("ab\ncd", 2, 2), 4);
    }

    #[test]
    fn hnsw_options() {
        assert_eq!(
            parse_hnsw("hnsw(metric: euclidean, exponent: 4)"),
            Some(vec![
                ("metric".to_string(), "euclidean".to_string()),
                ("exponent".to_string(), "4".to_string())
            ])
        );
        assert_eq!(parse_hnsw("hnsw"), Some(vec![]));
        assert_eq!(parse_hnsw("hnsw(metric:dotproduct)"), None);
    }
}
