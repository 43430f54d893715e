//! Generation of the served API (spec B) and its printing in Dgraph's layout (B.10).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;

use apollo_compiler::Node;
use apollo_compiler::ast::{Directive, Type};

use crate::builtins;
use crate::model::{Field, TypeDef, TypeKind};
use crate::raw::{RDef, RField};
use crate::value::compact;

/// A printed field (or input value) of a generated definition.
#[derive(Debug, Clone)]
pub(crate) struct GField {
    pub description: Option<String>,
    pub name: String,
    pub args: Vec<(String, String)>,
    pub ty: String,
    pub directives: String,
    /// `@deprecated` only (what the apollo-compiler API schema keeps).
    pub api_directives: String,
    /// Directives in the Apollo `_service` SDL (no `@custom`).
    pub service_directives: String,
    /// Left out of the Apollo `_service` SDL.
    pub service_hidden: bool,
    /// Printed without arguments in the Apollo `_service` SDL.
    pub service_no_args: bool,
    /// `@deprecated` (with its reason, if any), for the apollo-compiler API.
    pub deprecated: Option<Option<String>>,
    /// Default values of arguments (by argument name) and of an input field (`""`).
    pub defaults: Vec<(String, Node<apollo_compiler::ast::Value>)>,
}

impl GField {
    fn new(name: impl Into<String>, ty: impl Into<String>) -> Self {
        GField {
            description: None,
            name: name.into(),
            args: Vec::new(),
            ty: ty.into(),
            directives: String::new(),
            api_directives: String::new(),
            service_directives: String::new(),
            service_hidden: false,
            service_no_args: false,
            deprecated: None,
            defaults: Vec::new(),
        }
    }
    fn arg(mut self, name: &str, ty: impl Into<String>) -> Self {
        self.args.push((name.to_string(), ty.into()));
        self
    }
}

/// A generated (or re-printed) definition.
#[derive(Debug, Clone)]
pub(crate) struct GDef {
    pub keyword: &'static str,
    pub name: String,
    pub description: Option<String>,
    pub implements: Vec<String>,
    pub directives: String,
    /// Type directives in the Apollo `_service` SDL (no `@auth`/`@generate`).
    pub service_directives: String,
    pub fields: Vec<GField>,
    pub values: Vec<GField>,
    pub members: Vec<String>,
}

impl GDef {
    pub(crate) fn new(keyword: &'static str, name: impl Into<String>) -> Self {
        GDef {
            keyword,
            name: name.into(),
            description: None,
            implements: Vec::new(),
            directives: String::new(),
            service_directives: String::new(),
            fields: Vec::new(),
            values: Vec::new(),
            members: Vec::new(),
        }
    }
}

const KNOWN_DIRECTIVES: &[&str] = &[
    "hasInverse",
    "search",
    "embedding",
    "dgraph",
    "id",
    "default",
    "withSubscription",
    "secret",
    "auth",
    "custom",
    "remote",
    "remoteResponse",
    "cascade",
    "lambda",
    "lambdaOnMutate",
    "cacheControl",
    "generate",
    "deprecated",
    "external",
    "requires",
    "provides",
    "key",
    "extends",
];

fn print_directive(out: &mut String, d: &Directive) {
    out.push_str(" @");
    out.push_str(d.name.as_str());
    if !d.arguments.is_empty() {
        out.push('(');
        for (i, a) in d.arguments.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            out.push_str(a.name.as_str());
            out.push_str(": ");
            out.push_str(&compact(&a.value));
        }
        out.push(')');
    }
}

fn print_directives(list: &[Node<Directive>]) -> String {
    let mut out = String::new();
    for d in list {
        if KNOWN_DIRECTIVES.contains(&d.name.as_str()) {
            print_directive(&mut out, d);
        }
    }
    out
}

fn print_directives_except(list: &[Node<Directive>], skip: &[&str]) -> String {
    let mut out = String::new();
    for d in list {
        if KNOWN_DIRECTIVES.contains(&d.name.as_str()) && !skip.contains(&d.name.as_str()) {
            print_directive(&mut out, d);
        }
    }
    out
}

fn deprecation(list: &[Node<Directive>]) -> Option<Option<String>> {
    let d = list.iter().find(|d| d.name == "deprecated")?;
    Some(
        d.arguments
            .iter()
            .find(|a| a.name == "reason")
            .and_then(|a| crate::value::as_str_loose(&a.value).map(|s| s.to_string())),
    )
}

fn deprecated_only(list: &[Node<Directive>]) -> String {
    let mut out = String::new();
    for d in list {
        if d.name == "deprecated" {
            print_directive(&mut out, d);
        }
    }
    out
}

fn camel(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

fn with_named(t: &Type, name: &str) -> String {
    match t {
        Type::Named(_) => name.to_string(),
        Type::NonNullNamed(_) => format!("{name}!"),
        Type::List(inner) => format!("[{}]", with_named(inner, name)),
        Type::NonNullList(inner) => format!("[{}]!", with_named(inner, name)),
    }
}

fn nullable(t: &Type) -> Type {
    match t {
        Type::NonNullNamed(n) => Type::Named(n.clone()),
        Type::NonNullList(i) => Type::List(i.clone()),
        other => other.clone(),
    }
}

fn non_null(t: &Type) -> Type {
    match t {
        Type::Named(n) => Type::NonNullNamed(n.clone()),
        Type::List(i) => Type::NonNullList(i.clone()),
        other => other.clone(),
    }
}

const ORDERABLE: &[&str] = &["Int", "Int64", "Float", "String", "DateTime"];

const GET_ON_INTERFACE_DEPRECATION: &str = "@id argument for get query on interface is being deprecated. Only those @id fields which have interface argument set to true will be available in getQuery argument on interface post v21.11.0, please update your schema accordingly.";

pub(crate) struct Gen<'a> {
    pub types: &'a [TypeDef],
    pub raw: &'a [RDef],
    pub index: &'a HashMap<String, usize>,
    pub ops: &'a OpsRaw,
    /// `@provides` fields per type (federation).
    pub provides: HashMap<String, HashSet<String>>,
    objects: BTreeMap<String, GDef>,
    enums: BTreeMap<String, GDef>,
    inputs: BTreeMap<String, GDef>,
    query: Vec<GField>,
    mutation: Vec<GField>,
    subscription: Vec<GField>,
}

/// User-declared Query/Mutation/Subscription fields.
#[derive(Default)]
pub(crate) struct OpsRaw {
    pub query: Vec<RField>,
    pub mutation: Vec<RField>,
    pub subscription: Vec<RField>,
}

/// The output of generation.
pub(crate) struct Generated {
    /// The printed `generatedSchema`.
    pub sdl: String,
    /// The generated API for apollo-compiler (not yet validated).
    pub api: apollo_compiler::Schema,
    /// The API printed as text (only `@deprecated` applications), to check [`Self::api`].
    #[cfg(test)]
    pub api_sdl: String,
    /// Apollo federation `_service.sdl` (when asked for).
    pub service_sdl: Option<String>,
}

impl<'a> Gen<'a> {
    pub fn new(
        types: &'a [TypeDef],
        raw: &'a [RDef],
        index: &'a HashMap<String, usize>,
        ops: &'a OpsRaw,
    ) -> Self {
        let mut provides: HashMap<String, HashSet<String>> = HashMap::new();
        for t in types {
            for f in &t.fields {
                if let Some(p) = &f.provides {
                    provides
                        .entry(f.type_name().to_string())
                        .or_default()
                        .extend(p.split_whitespace().map(|s| s.to_string()));
                }
            }
        }
        Gen {
            types,
            raw,
            index,
            ops,
            provides,
            objects: BTreeMap::new(),
            enums: BTreeMap::new(),
            inputs: BTreeMap::new(),
            query: Vec::new(),
            mutation: Vec::new(),
            subscription: Vec::new(),
        }
    }

    fn ty(&self, name: &str) -> Option<&'a TypeDef> {
        self.index.get(name).map(|&i| &self.types[i])
    }

    fn kind(&self, name: &str) -> Option<TypeKind> {
        self.ty(name).map(|t| t.kind)
    }

    fn is_stored(&self, name: &str) -> bool {
        self.ty(name).is_some_and(|t| t.is_stored())
    }

    fn is_union(&self, name: &str) -> bool {
        self.ty(name)
            .is_some_and(|t| t.kind == TypeKind::Union && !t.remote)
    }

    fn has_id_or_xid(&self, name: &str) -> bool {
        self.ty(name)
            .is_some_and(|t| t.fields.iter().any(|f| f.is_id || f.xid.is_some()))
    }

    /// Non-key `@external` field not made available by some `@provides`.
    fn is_hidden_external(&self, t: &TypeDef, f: &Field) -> bool {
        f.external
            && t.federation.key.as_deref() != Some(f.name.as_str())
            && !self
                .provides
                .get(&t.name)
                .is_some_and(|s| s.contains(&f.name))
    }

    fn is_orderable(&self, t: &TypeDef, f: &Field) -> bool {
        if f.external && f.is_id && t.federation.key.as_deref() == Some(f.name.as_str()) {
            return true;
        }
        !f.is_list()
            && ORDERABLE.contains(&f.type_name())
            && !f.is_custom_or_lambda()
            && !f.is_multi_lang()
            && !f.computed
            && !self.is_hidden_external(t, f)
    }

    fn has_orderables(&self, t: &TypeDef) -> bool {
        t.fields.iter().any(|f| self.is_orderable(t, f))
    }

    fn has_orderables_name(&self, name: &str) -> bool {
        self.ty(name).is_some_and(|t| self.has_orderables(t))
    }

    /// Fields that go into Add/Patch/Ref inputs (spec B.2 "input-eligible").
    fn input_eligible(&self, t: &TypeDef, f: &Field) -> bool {
        if f.is_id || f.is_custom_or_lambda() || f.is_read_only_lang() || f.reverse || f.computed {
            return false;
        }
        if self.kind(f.type_name()) == Some(TypeKind::Interface)
            && !self.has_id_or_xid(f.type_name())
        {
            return false;
        }
        if self.is_hidden_external(t, f) {
            return false;
        }
        true
    }

    /// A field's type as it appears in inputs (objects become refs).
    fn input_type(&self, f: &Field) -> Type {
        let name = f.type_name();
        let new_name = if self.is_stored(name) || self.is_union(name) {
            format!("{name}Ref")
        } else {
            match name {
                "Point" => "PointRef".to_string(),
                "Polygon" => "PolygonRef".to_string(),
                "MultiPolygon" => "MultiPolygonRef".to_string(),
                other => other.to_string(),
            }
        };
        let printed = with_named(&f.ty, &new_name);
        Type::parse(printed, "t").unwrap_or_else(|_| f.ty.clone())
    }

    /// Filter input name of a searchable field (None if not filterable).
    pub fn field_filter(&self, t: &TypeDef, f: &Field) -> Option<String> {
        if f.search.is_empty() || f.is_multi_lang() || f.is_custom_or_lambda() || f.is_id {
            return None;
        }
        if self.is_hidden_external(t, f) {
            return None;
        }
        let tn = f.type_name();
        let is_enum = self.kind(tn) == Some(TypeKind::Enum);
        let mut args: Vec<&str> = f.search.iter().map(|s| s.arg_name()).collect();
        args.sort_unstable();
        args.dedup();
        let mut names: Vec<String> = Vec::new();
        for a in args {
            let n = if is_enum {
                match a {
                    "hash" => format!("{tn}_hash"),
                    "exact" => format!("{tn}_exact"),
                    "trigram" | "regexp" => "StringRegExpFilter".to_string(),
                    "ngram" => "StringNgramFilter".to_string(),
                    _ => continue,
                }
            } else {
                match builtins::filter_for_arg(a) {
                    Some(n) => n.to_string(),
                    None => continue,
                }
            };
            if !names.contains(&n) {
                names.push(n);
            }
        }
        if names.is_empty() {
            return None;
        }
        Some(names.join("_"))
    }

    fn ensure_filter_input(&mut self, name: &str, enum_name: Option<&str>) {
        if builtins::is_builtin_filter(name) || name == "Boolean" || self.inputs.contains_key(name)
        {
            return;
        }
        let mut def = GDef::new("input", name);
        // Component names: builtin filters, or `<Enum>_hash` / `<Enum>_exact`.
        let mut rest = name;
        while !rest.is_empty() {
            let (comp, next) = match enum_name {
                Some(e) if rest.starts_with(&format!("{e}_")) => {
                    let after = &rest[e.len() + 1..];
                    let end = after
                        .find('_')
                        .map(|i| e.len() + 1 + i)
                        .unwrap_or(rest.len());
                    (&rest[..end], &rest[end..])
                }
                _ => {
                    let end = rest.find('_').unwrap_or(rest.len());
                    (&rest[..end], &rest[end..])
                }
            };
            if let Some(fields) = builtins::filter_fields(comp) {
                for (n, t) in fields {
                    def.fields.push(GField::new(*n, *t));
                }
            } else if let Some(e) = enum_name {
                if comp == format!("{e}_hash") {
                    def.fields.push(GField::new("eq", e));
                    def.fields.push(GField::new("in", format!("[{e}]")));
                } else if comp == format!("{e}_exact") {
                    for op in ["eq", "in", "le", "lt", "ge", "gt", "between"] {
                        let t = if op == "in" {
                            format!("[{e}]")
                        } else {
                            e.to_string()
                        };
                        def.fields.push(GField::new(op, t));
                    }
                }
            }
            rest = next.strip_prefix('_').unwrap_or(next);
        }
        self.inputs.insert(name.to_string(), def);
    }

    /// Arguments added to a field of a stored type that points at objects (B.3).
    fn field_args(&self, f: &Field) -> Vec<(String, String)> {
        let mut args = Vec::new();
        if f.is_custom_or_lambda() || f.is_multi_lang() {
            return args;
        }
        let tn = f.type_name();
        let stored = self.is_stored(tn);
        let union = self.is_union(tn);
        if !stored && !union {
            return args;
        }
        args.push(("filter".to_string(), format!("{tn}Filter")));
        if f.is_list() {
            if stored && self.has_orderables_name(tn) {
                args.push(("order".to_string(), format!("{tn}Order")));
            }
            args.push(("first".to_string(), "Int".to_string()));
            args.push(("offset".to_string(), "Int".to_string()));
        }
        args
    }

    fn raw_def(&self, name: &str) -> Option<&'a RDef> {
        self.index.get(name).map(|&i| &self.raw[i])
    }

    /// Re-print a user definition in its completed form.
    fn user_def(&self, t: &TypeDef) -> GDef {
        let r = self
            .raw_def(&t.name)
            .expect("raw definition exists for every model type");
        let keyword = match t.kind {
            TypeKind::Object => "type",
            TypeKind::Interface => "interface",
            TypeKind::Union => "union",
            TypeKind::Enum => "enum",
            TypeKind::InputObject => "input",
        };
        let mut def = GDef::new(keyword, &t.name);
        def.description = t.description.clone();
        def.implements = t.interfaces.clone();
        let mut dirs = print_directives(&r.directives);
        let mut service_dirs = print_directives_except(&r.directives, &["auth", "generate"]);
        if r.extension && !r.has("extends") {
            dirs.push_str(" @extends");
            service_dirs.push_str(" @extends");
        }
        def.directives = dirs;
        def.service_directives = service_dirs;
        def.members = t.members.clone();
        for v in &r.values {
            let mut g = GField::new(&v.name, "");
            g.description = v.description.clone();
            g.directives = print_directives(&v.directives);
            g.api_directives = deprecated_only(&v.directives);
            g.deprecated = deprecation(&v.directives);
            g.service_directives = g.directives.clone();
            def.values.push(g);
        }
        let stored = t.is_stored();
        for (rf, f) in r.fields.iter().zip(t.fields.iter().filter(|f| !f.computed)) {
            let mut g = GField::new(&rf.name, rf.ty.to_string());
            g.description = rf.description.clone();
            if stored {
                g.args = self.field_args(f);
            }
            if g.args.is_empty() {
                g.args = rf
                    .args
                    .iter()
                    .map(|a| {
                        let mut ty = a.ty.to_string();
                        if let Some(dv) = &a.default_value {
                            ty.push_str(" = ");
                            ty.push_str(&compact(dv));
                            g.defaults.push((a.name.to_string(), dv.clone()));
                        }
                        (a.name.to_string(), ty)
                    })
                    .collect();
            }
            if t.kind == TypeKind::InputObject
                && let Some(dv) = &rf.default_value
            {
                g.ty.push_str(" = ");
                g.ty.push_str(&compact(dv));
                g.defaults.push((String::new(), dv.clone()));
            }
            let mut d = print_directives(&rf.directives);
            let mut sd = print_directives_except(&rf.directives, &["custom"]);
            if let Some(inv) = &rf.auto_inverse {
                let _ = write!(d, " @hasInverse(field: {inv})");
                let _ = write!(sd, " @hasInverse(field: {inv})");
            }
            g.directives = d;
            g.service_directives = sd;
            g.api_directives = deprecated_only(&rf.directives);
            g.deprecated = deprecation(&rf.directives);
            // The `_service` SDL leaves extended (foreign) types' query arguments out.
            g.service_no_args = stored && self.is_extended(f.type_name());
            def.fields.push(g);
        }
        if stored {
            if t.fields.iter().any(|f| f.computed) {
                def.fields.push(GField::new("vector_distance", "Float"));
            }
            for f in &t.fields {
                let tn = f.type_name();
                if f.is_list() && !f.is_custom_or_lambda() && self.is_stored(tn) {
                    let mut g = GField::new(
                        format!("{}Aggregate", f.name),
                        format!("{tn}AggregateResult"),
                    )
                    .arg("filter", format!("{tn}Filter"));
                    g.service_hidden = self.is_extended(tn);
                    def.fields.push(g);
                }
            }
        }
        def
    }

    /// A stored type that extends another service's type (`@extends` / `extend type`).
    fn is_extended(&self, name: &str) -> bool {
        self.ty(name)
            .is_some_and(|t| t.is_stored() && t.federation.extends)
    }

    fn list_query(&self, name: &str, field: &str) -> GField {
        let mut g = GField::new(field, format!("[{name}]")).arg("filter", format!("{name}Filter"));
        if self.has_orderables_name(name) {
            g = g.arg("order", format!("{name}Order"));
        }
        g.arg("first", "Int").arg("offset", "Int")
    }

    fn gen_stored(&mut self, t: &'a TypeDef) {
        let name = t.name.as_str();
        let is_obj = t.kind == TypeKind::Object;
        let hidden_ext = |g: &Gen<'_>, f: &Field| g.is_hidden_external(t, f);

        // Has filter enum
        let mut has = GDef::new("enum", format!("{name}HasFilter"));
        for f in &t.fields {
            if f.is_id || f.is_custom_or_lambda() || f.is_multi_lang() || hidden_ext(self, f) {
                continue;
            }
            has.values.push(GField::new(&f.name, ""));
        }
        let has_nonempty = !has.values.is_empty();
        if has_nonempty {
            self.enums.insert(has.name.clone(), has);
        }

        // Ref
        let mut ref_fields: Vec<(GField, bool)> = Vec::new();
        if t.kind == TypeKind::Interface {
            if let Some(idf) = t.id_field() {
                ref_fields.push((GField::new(&idf.name, "ID"), true));
            }
            if let Some(x) = t.xid_fields().next() {
                ref_fields.push((GField::new(&x.name, x.type_name()), true));
            }
        } else {
            if let Some(idf) = t.id_field() {
                ref_fields.push((GField::new(&idf.name, "ID"), true));
            }
            for f in &t.fields {
                if self.input_eligible(t, f) {
                    let key = f.xid.is_some() || t.federation.key.as_deref() == Some(&f.name);
                    let mut g = GField::new(&f.name, self.input_type(f).to_string());
                    g.description = f.description.clone();
                    ref_fields.push((g, key && f.xid.is_some()));
                }
            }
            if let Some(s) = &t.secret {
                ref_fields.push((GField::new(&s.field, "String"), false));
            }
        }
        if !ref_fields.is_empty() {
            let mut def = GDef::new("input", format!("{name}Ref"));
            let single_key = ref_fields.len() == 1
                && (t.id_field().is_some() || t.xid_fields().next().is_some());
            for (mut g, _) in ref_fields {
                let ty = Type::parse(g.ty.clone(), "t").ok();
                if let Some(ty) = ty {
                    g.ty = if single_key {
                        non_null(&ty).to_string()
                    } else {
                        nullable(&ty).to_string()
                    };
                }
                def.fields.push(g);
            }
            self.inputs.insert(def.name.clone(), def);
        }

        // Add input / Patch
        let mut add_fields: Vec<GField> = Vec::new();
        if t.federation.extends
            && let Some(idf) = t.id_field()
            && t.federation.key.as_deref() == Some(idf.name.as_str())
        {
            add_fields.push(GField::new(&idf.name, idf.ty.to_string()));
        }
        for f in &t.fields {
            if !self.input_eligible(t, f) {
                continue;
            }
            let mut ty = self.input_type(f);
            if f.default.add.is_some() {
                ty = nullable(&ty);
            }
            let mut g = GField::new(&f.name, ty.to_string());
            g.description = f.description.clone();
            add_fields.push(g);
        }
        let mut patch_fields: Vec<GField> = add_fields
            .iter()
            .filter(|g| !(t.federation.extends && t.id_field().is_some_and(|i| i.name == g.name)))
            .map(|g| {
                let ty = Type::parse(g.ty.clone(), "t")
                    .map(|t| nullable(&t).to_string())
                    .unwrap_or_else(|_| g.ty.clone());
                let mut p = GField::new(&g.name, ty);
                p.description = g.description.clone();
                p
            })
            .collect();
        if let Some(s) = &t.secret {
            add_fields.push(GField::new(&s.field, "String!"));
            patch_fields.push(GField::new(&s.field, "String"));
        }
        let gen_update = t.generate.update;
        let mut has_patch = false;
        if gen_update && !patch_fields.is_empty() {
            let mut def = GDef::new("input", format!("{name}Patch"));
            def.fields = patch_fields;
            self.inputs.insert(def.name.clone(), def);
            has_patch = true;
            let mut upd = GDef::new("input", format!("Update{name}Input"));
            upd.fields
                .push(GField::new("filter", format!("{name}Filter!")));
            upd.fields.push(GField::new("set", format!("{name}Patch")));
            upd.fields
                .push(GField::new("remove", format!("{name}Patch")));
            self.inputs.insert(upd.name.clone(), upd);
        }
        let payload_list = self.list_query(name, &camel(name));
        if gen_update && has_patch {
            let mut p = GDef::new("type", format!("Update{name}Payload"));
            p.fields.push(payload_list.clone());
            p.fields.push(GField::new("numUids", "Int"));
            self.objects.insert(p.name.clone(), p);
        }
        if t.generate.delete {
            let mut p = GDef::new("type", format!("Delete{name}Payload"));
            p.fields.push(payload_list.clone());
            p.fields.push(GField::new("msg", "String"));
            p.fields.push(GField::new("numUids", "Int"));
            self.objects.insert(p.name.clone(), p);
        }

        // Aggregate result
        let mut agg = GDef::new("type", format!("{name}AggregateResult"));
        agg.fields.push(GField::new("count", "Int"));
        for f in &t.fields {
            let tn = f.type_name();
            let minmax = self.is_orderable(t, f)
                || (f.is_multi_lang() && !f.is_list() && ORDERABLE.contains(&tn) && !f.computed);
            if minmax {
                agg.fields.push(GField::new(format!("{}Min", f.name), tn));
                agg.fields.push(GField::new(format!("{}Max", f.name), tn));
            }
            if minmax && matches!(tn, "Int" | "Int64" | "Float") {
                agg.fields.push(GField::new(format!("{}Sum", f.name), tn));
                agg.fields
                    .push(GField::new(format!("{}Avg", f.name), "Float"));
            }
        }
        self.objects.insert(agg.name.clone(), agg);

        let gen_add = is_obj && t.generate.add && !add_fields.is_empty();
        if gen_add {
            let mut def = GDef::new("input", format!("Add{name}Input"));
            def.fields = add_fields;
            self.inputs.insert(def.name.clone(), def);
            let mut p = GDef::new("type", format!("Add{name}Payload"));
            p.fields.push(payload_list.clone());
            p.fields.push(GField::new("numUids", "Int"));
            self.objects.insert(p.name.clone(), p);
        }

        // Queries
        let id = t.id_field();
        let xids: Vec<&Field> = t.xid_fields().collect();
        let mut id_args: Vec<(String, String)> = Vec::new();
        if let Some(idf) = id {
            id_args.push((
                idf.name.clone(),
                if xids.is_empty() { "ID!" } else { "ID" }.to_string(),
            ));
        }
        for x in &xids {
            let nn = id.is_none() && xids.len() == 1;
            id_args.push((
                x.name.clone(),
                if nn {
                    format!("{}!", x.type_name())
                } else {
                    x.type_name().to_string()
                },
            ));
        }
        let mut qs: Vec<GField> = Vec::new();
        if t.generate.get && (id.is_some() || !xids.is_empty()) {
            let mut g = GField::new(format!("get{name}"), name);
            g.args = id_args.clone();
            if t.kind == TypeKind::Interface && xids.iter().any(|x| x.xid != Some(true)) {
                g.api_directives = " @deprecated(reason: \"@id argument for get query on interface is being deprecated. Only those @id fields which have interface argument set to true will be available in getQuery argument on interface post v21.11.0, please update your schema accordingly.\")".to_string();
                g.directives = g.api_directives.clone();
                g.service_directives = g.api_directives.clone();
                g.deprecated = Some(Some(GET_ON_INTERFACE_DEPRECATION.to_string()));
            }
            qs.push(g);
        }
        let embeddings: Vec<&Field> = t.fields.iter().filter(|f| f.embedding).collect();
        if t.generate.get && !embeddings.is_empty() {
            let mut e = GDef::new("enum", format!("{name}Embedding"));
            for f in &embeddings {
                e.values.push(GField::new(&f.name, ""));
            }
            self.enums.insert(e.name.clone(), e);
            if id.is_some() || !xids.is_empty() {
                let mut g = GField::new(format!("querySimilar{name}ById"), format!("[{name}]"));
                g.args = id_args.clone();
                g = g
                    .arg("by", format!("{name}Embedding!"))
                    .arg("topK", "Int!")
                    .arg("ef", "Int")
                    .arg("distance_threshold", "Float")
                    .arg("filter", format!("{name}Filter"));
                qs.push(g);
            }
            qs.push(
                GField::new(
                    format!("querySimilar{name}ByEmbedding"),
                    format!("[{name}]"),
                )
                .arg("by", format!("{name}Embedding!"))
                .arg("topK", "Int!")
                .arg("vector", "[Float!]!")
                .arg("ef", "Int")
                .arg("distance_threshold", "Float")
                .arg("filter", format!("{name}Filter")),
            );
        }
        if t.generate.password
            && let Some(s) = &t.secret
        {
            let key = id
                .map(|i| (i.name.clone(), "ID!".to_string()))
                .or_else(|| xids.first().map(|x| (x.name.clone(), x.ty.to_string())));
            if let Some((k, kt)) = key {
                qs.push(
                    GField::new(format!("check{name}Password"), name)
                        .arg(&k, kt)
                        .arg(&s.field, "String!"),
                );
            }
        }
        if t.generate.query {
            qs.push(self.list_query(name, &format!("query{name}")));
        }
        if t.generate.aggregate {
            qs.push(
                GField::new(format!("aggregate{name}"), format!("{name}AggregateResult"))
                    .arg("filter", format!("{name}Filter")),
            );
        }
        if t.generate.subscription {
            for q in &qs {
                if q.name.starts_with("get")
                    || q.name.starts_with("query") && !q.name.starts_with("querySimilar")
                    || q.name.starts_with("aggregate")
                {
                    self.subscription.push(q.clone());
                }
            }
        }
        if t.federation.extends {
            for q in &mut qs {
                q.service_hidden = true;
            }
        }
        self.query.extend(qs);

        // Mutations
        if gen_add {
            let mut g = GField::new(format!("add{name}"), format!("Add{name}Payload"))
                .arg("input", format!("[Add{name}Input!]!"));
            if !xids.is_empty() {
                g = g.arg("upsert", "Boolean");
            }
            self.mutation.push(g);
        }
        if gen_update && has_patch {
            self.mutation.push(
                GField::new(format!("update{name}"), format!("Update{name}Payload"))
                    .arg("input", format!("Update{name}Input!")),
            );
        }
        if t.generate.delete {
            self.mutation.push(
                GField::new(format!("delete{name}"), format!("Delete{name}Payload"))
                    .arg("filter", format!("{name}Filter!")),
            );
        }

        // Order
        if self.has_orderables(t) {
            let mut o = GDef::new("enum", format!("{name}Orderable"));
            for f in &t.fields {
                if self.is_orderable(t, f) {
                    o.values.push(GField::new(&f.name, ""));
                }
            }
            self.enums.insert(o.name.clone(), o);
            let mut ord = GDef::new("input", format!("{name}Order"));
            ord.fields
                .push(GField::new("asc", format!("{name}Orderable")));
            ord.fields
                .push(GField::new("desc", format!("{name}Orderable")));
            ord.fields.push(GField::new("then", format!("{name}Order")));
            self.inputs.insert(ord.name.clone(), ord);
        }

        // Filter
        let mut filter = GDef::new("input", format!("{name}Filter"));
        let mut first_is_id = false;
        for f in &t.fields {
            if f.is_id {
                if filter.fields.is_empty() {
                    first_is_id = true;
                }
                filter.fields.push(GField::new(&f.name, "[ID!]"));
                continue;
            }
            if let Some(fname) = self.field_filter(t, f) {
                let enum_name = (self.kind(f.type_name()) == Some(TypeKind::Enum))
                    .then(|| f.type_name().to_string());
                self.ensure_filter_input(&fname, enum_name.as_deref());
                filter.fields.push(GField::new(&f.name, fname));
            }
        }
        let has_field = t.fields.iter().any(|f| {
            !f.is_id
                && !f.is_custom_or_lambda()
                && !f.reverse
                && !hidden_ext(self, f)
                && (self.kind(f.type_name()) != Some(TypeKind::Interface)
                    || self.has_id_or_xid(f.type_name()))
        });
        if has_field && has_nonempty {
            filter
                .fields
                .push(GField::new("has", format!("[{name}HasFilter]")));
        }
        let n = filter.fields.len();
        if n > 1 || (n == 1 && !first_is_id) {
            filter
                .fields
                .push(GField::new("and", format!("[{name}Filter]")));
            filter
                .fields
                .push(GField::new("or", format!("[{name}Filter]")));
        }
        filter
            .fields
            .push(GField::new("not", format!("{name}Filter")));
        self.inputs.insert(filter.name.clone(), filter);
    }

    fn gen_union(&mut self, t: &TypeDef) {
        let name = &t.name;
        let mut r = GDef::new("input", format!("{name}Ref"));
        let mut f = GDef::new("input", format!("{name}Filter"));
        let mut e = GDef::new("enum", format!("{name}Type"));
        f.fields
            .push(GField::new("memberTypes", format!("[{name}Type!]")));
        for m in &t.members {
            r.fields
                .push(GField::new(format!("{}Ref", camel(m)), format!("{m}Ref")));
            f.fields.push(GField::new(
                format!("{}Filter", camel(m)),
                format!("{m}Filter"),
            ));
            e.values.push(GField::new(m, ""));
        }
        self.inputs.insert(r.name.clone(), r);
        self.inputs.insert(f.name.clone(), f);
        self.enums.insert(e.name.clone(), e);
    }

    fn op_field(&self, rf: &RField) -> GField {
        let mut g = GField::new(&rf.name, rf.ty.to_string());
        g.description = rf.description.clone();
        g.args = rf
            .args
            .iter()
            .map(|a| {
                let mut ty = a.ty.to_string();
                if let Some(dv) = &a.default_value {
                    ty.push_str(" = ");
                    ty.push_str(&compact(dv));
                    g.defaults.push((a.name.to_string(), dv.clone()));
                }
                (a.name.to_string(), ty)
            })
            .collect();
        g.directives = print_directives(&rf.directives);
        g.api_directives = deprecated_only(&rf.directives);
        g.deprecated = deprecation(&rf.directives);
        g.service_directives = print_directives_except(&rf.directives, &["custom"]);
        g
    }

    /// Remove inputs that ended up empty (recursively) and the mutations needing them.
    fn clean(&mut self) {
        let builtin_ok = |n: &str| builtins::is_builtin_type(n);
        let candidate = |n: &str| {
            n.ends_with("Ref")
                || n.ends_with("Patch")
                || (n.starts_with("Add") && n.ends_with("Input"))
                || (n.starts_with("Update") && n.ends_with("Input"))
        };
        let user_types: HashSet<&str> = self.types.iter().map(|t| t.name.as_str()).collect();
        loop {
            let mut changed = false;
            let names: Vec<String> = self
                .inputs
                .keys()
                .filter(|n| candidate(n))
                .cloned()
                .collect();
            for n in names {
                let exists: Vec<bool> = {
                    let def = &self.inputs[&n];
                    def.fields
                        .iter()
                        .map(|f| {
                            let tn =
                                f.ty.trim_matches(|c| c == '[' || c == ']' || c == '!')
                                    .to_string();
                            builtin_ok(&tn)
                                || user_types.contains(tn.as_str())
                                || self.inputs.contains_key(&tn)
                                || self.enums.contains_key(&tn)
                        })
                        .collect()
                };
                let def = self.inputs.get_mut(&n).expect("present");
                if exists.iter().any(|e| !e) {
                    let mut it = exists.iter();
                    def.fields.retain(|_| *it.next().expect("same length"));
                    changed = true;
                }
                let only_filter = n.starts_with("Update")
                    && def.fields.len() == 1
                    && def.fields[0].name == "filter";
                if def.fields.is_empty() || only_filter {
                    self.inputs.remove(&n);
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        let inputs = &self.inputs;
        self.mutation.retain(|m| {
            m.args.iter().all(|(_, ty)| {
                let tn = ty.trim_matches(|c| c == '[' || c == ']' || c == '!');
                !(tn.starts_with("Add") || tn.starts_with("Update"))
                    || inputs.contains_key(tn)
                    || user_types.contains(tn)
            })
        });
    }

    /// Generate and print; `with_service` also renders the Apollo `_service` SDL.
    pub fn run(mut self, with_service: bool) -> Generated {
        let mut user: Vec<GDef> = Vec::new();
        for t in self.types {
            user.push(self.user_def(t));
        }
        for t in self.types {
            if t.is_stored() {
                self.gen_stored(t);
            } else if t.kind == TypeKind::Union && !t.remote {
                self.gen_union(t);
            }
        }
        let mut query: Vec<GField> = self.ops.query.iter().map(|f| self.op_field(f)).collect();
        query.append(&mut self.query);
        let mut mutation: Vec<GField> =
            self.ops.mutation.iter().map(|f| self.op_field(f)).collect();
        mutation.append(&mut self.mutation);
        self.query = query;
        self.mutation = mutation;
        let mut subs: Vec<GField> = self
            .ops
            .query
            .iter()
            .filter(|f| f.has("withSubscription"))
            .map(|f| self.op_field(f))
            .collect();
        subs.append(&mut self.subscription);
        self.subscription = subs;
        self.clean();

        let federation = self.types.iter().any(|t| t.federation.key.is_some());
        if federation {
            self.query.insert(
                0,
                GField::new("_entities", "[_Entity]!").arg("representations", "[_Any!]!"),
            );
            self.query.insert(1, GField::new("_service", "_Service!"));
        }
        let sdl = self.render(&user, federation, Mode::Generated);
        let service_sdl = with_service.then(|| self.render(&user, federation, Mode::Service));
        let api = crate::api::build(crate::api::ApiParts {
            user: &user,
            generated: self
                .objects
                .values()
                .chain(self.enums.values())
                .chain(self.inputs.values())
                .collect(),
            query: &self.query,
            mutation: &self.mutation,
            subscription: &self.subscription,
            entities: federation.then(|| {
                self.types
                    .iter()
                    .filter(|t| t.federation.key.is_some())
                    .map(|t| t.name.clone())
                    .collect()
            }),
        });
        #[cfg(test)]
        let api_sdl = self.render(&user, federation, Mode::Api);
        Generated {
            sdl,
            service_sdl,
            api,
            #[cfg(test)]
            api_sdl,
        }
    }

    fn render(&self, user: &[GDef], federation: bool, mode: Mode) -> String {
        let mut out = String::with_capacity(32 * 1024);
        out.push_str("#######################\n# Input Schema\n#######################\n\n");
        for d in user {
            print_def(&mut out, d, mode);
            out.push('\n');
        }
        out.push_str(
            "#######################\n# Extended Definitions\n#######################\n\n",
        );
        if mode == Mode::Service {
            out.push_str(&builtins::service_extended_definitions());
        } else {
            out.push_str(builtins::EXTENDED_DEFINITIONS);
        }
        out.push('\n');
        if federation && mode != Mode::Service {
            out.push_str(
                "#######################\n# Extended Apollo Definitions\n#######################\n",
            );
            let members: Vec<&str> = self
                .types
                .iter()
                .filter(|t| t.federation.key.is_some())
                .map(|t| t.name.as_str())
                .collect();
            let _ = writeln!(out, "union _Entity = {}\n", members.join(" | "));
            out.push_str(builtins::APOLLO_DEFINITIONS);
            out.push('\n');
        }
        let section = |out: &mut String, title: &str, defs: &BTreeMap<String, GDef>| {
            if defs.is_empty() {
                return;
            }
            let _ = write!(
                out,
                "#######################\n# {title}\n#######################\n\n"
            );
            for d in defs.values() {
                print_def(out, d, mode);
                out.push('\n');
            }
        };
        section(&mut out, "Generated Types", &self.objects);
        section(&mut out, "Generated Enums", &self.enums);
        section(&mut out, "Generated Inputs", &self.inputs);
        let root = |out: &mut String, title: &str, name: &str, fields: &[GField], last: bool| {
            let fields: Vec<GField> = fields
                .iter()
                .filter(|f| {
                    mode != Mode::Service || (!f.service_hidden && !f.name.starts_with("_"))
                })
                .cloned()
                .collect();
            if fields.is_empty() {
                return;
            }
            let _ = write!(
                out,
                "#######################\n# {title}\n#######################\n\n"
            );
            let mut d = GDef::new("type", name);
            d.fields = fields;
            print_def(out, &d, mode);
            if !last {
                out.push('\n');
            }
        };
        root(&mut out, "Generated Query", "Query", &self.query, false);
        root(
            &mut out,
            "Generated Mutations",
            "Mutation",
            &self.mutation,
            false,
        );
        root(
            &mut out,
            "Generated Subscriptions",
            "Subscription",
            &self.subscription,
            true,
        );
        out
    }
}

/// Which printed form to render.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// `generatedSchema`, byte-for-byte Dgraph.
    Generated,
    /// The API as text with only `@deprecated` applications (tests compare it with the
    /// directly built apollo-compiler schema).
    #[cfg_attr(not(test), allow(dead_code))]
    Api,
    /// Apollo federation `_service { sdl }`.
    Service,
}

/// Dgraph prints descriptions as `"""text"""` verbatim; the apollo-compiler copy uses an
/// escaped string so that any text (quotes, backslashes) stays valid GraphQL.
fn print_description(out: &mut String, desc: &str, indent: &str, mode: Mode) {
    out.push_str(indent);
    if mode == Mode::Api {
        crate::value::quote_into(out, desc);
        out.push('\n');
    } else {
        let _ = writeln!(out, "\"\"\"{desc}\"\"\"");
    }
}

fn print_def(out: &mut String, d: &GDef, mode: Mode) {
    if let Some(desc) = &d.description {
        print_description(out, desc, "", mode);
    }
    out.push_str(d.keyword);
    out.push(' ');
    out.push_str(&d.name);
    if !d.implements.is_empty() && mode != Mode::Service {
        out.push_str(" implements ");
        out.push_str(&d.implements.join(" & "));
    }
    match mode {
        Mode::Generated => out.push_str(&d.directives),
        Mode::Service => out.push_str(&d.service_directives),
        Mode::Api => {}
    }
    if d.keyword == "union" {
        out.push_str(" = ");
        out.push_str(&d.members.join(" | "));
        out.push('\n');
        return;
    }
    out.push_str(" {\n");
    let items = if d.keyword == "enum" {
        &d.values
    } else {
        &d.fields
    };
    for f in items {
        if mode == Mode::Service && f.service_hidden {
            continue;
        }
        if let Some(desc) = &f.description {
            print_description(out, desc, "\t", mode);
        }
        out.push('\t');
        out.push_str(&f.name);
        let hide_args = mode == Mode::Service && f.service_no_args;
        if !f.args.is_empty() && !hide_args {
            out.push('(');
            for (i, (n, t)) in f.args.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(n);
                out.push_str(": ");
                out.push_str(t);
            }
            out.push(')');
        }
        if d.keyword != "enum" {
            out.push_str(": ");
            out.push_str(&f.ty);
        }
        out.push_str(match mode {
            Mode::Generated => &f.directives,
            Mode::Api => &f.api_directives,
            Mode::Service => &f.service_directives,
        });
        out.push('\n');
    }
    out.push_str("}\n");
}
