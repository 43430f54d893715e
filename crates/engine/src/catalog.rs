//! The engine's lookup tables for one backend's API: for every stored type its storage name,
//! id field and fields with their storage predicates and GraphQL shapes.
//!
//! Built once per compiled API (see [`crate::api`]) from the schema model and the generated
//! API schema, so execution never re-derives names.

use std::collections::HashMap;

use apollo_compiler::Schema;
use apollo_compiler::schema::ExtendedType;

/// What kind of definition a type is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TypeKind {
    Object,
    Interface,
    Union,
}

/// Built-in scalar kinds the engine knows how to read and write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScalarKind {
    Int,
    Int64,
    Float,
    String,
    Boolean,
    DateTime,
    Point,
    Polygon,
    MultiPolygon,
    /// An enum type: stored as a string.
    Enum,
}

/// What a field of a stored type resolves to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldKind {
    /// The `ID` field: the node's uid. (The `ID` key of an `@extends` type is not a uid but a
    /// stored string, see [`TypeInfo::stored_id`].)
    Id,
    /// A stored scalar (or list of scalars).
    Scalar(ScalarKind),
    /// A uid edge to a stored object, interface or union.
    Edge,
    /// `<f>Aggregate`: aggregates over the edge field `f`.
    Aggregate(String),
    /// Not stored (e.g. `@custom`/`@lambda`): always null.
    Unstored,
}

/// One field of a stored type.
#[derive(Clone, Debug)]
pub struct FieldInfo {
    pub name: String,
    /// The storage predicate (`Type.field`, or the `@dgraph(pred:)` name without `~`).
    pub pred: String,
    /// True when the field walks the predicate backwards (`@dgraph(pred: "~p")`).
    pub reverse: bool,
    /// The named GraphQL type of the field.
    pub target: String,
    pub list: bool,
    pub non_null: bool,
    pub kind: FieldKind,
    /// Language fallbacks of a multi-language field (read-only): tags in preference order,
    /// `.` = untagged.
    pub langs: Vec<String>,
}

/// One stored object, interface or union type.
#[derive(Clone, Debug)]
pub struct TypeInfo {
    pub name: String,
    pub kind: TypeKind,
    /// The `dgraph.type` value carried by nodes of this type.
    pub storage: String,
    pub id_field: Option<String>,
    /// `@id` fields in declaration order.
    pub xids: Vec<String>,
    pub fields: HashMap<String, FieldInfo>,
    /// Union members, or object types implementing an interface, or the type itself.
    pub concrete: Vec<String>,
}

/// Everything execution needs to map GraphQL names to storage.
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    pub types: HashMap<String, TypeInfo>,
    /// `@secret` per type name: (GraphQL argument name, storage predicate of the hash).
    pub secrets: HashMap<String, (String, String)>,
}

/// How the schema model maps a type and its fields to storage.
pub trait StorageNames {
    /// The storage type name of a stored object/interface, `None` for any other type.
    fn storage_type(&self, type_name: &str) -> Option<String>;
    /// The storage predicate of a field (`~p` for a reverse edge), `None` when not stored.
    fn predicate(&self, type_name: &str, field: &str) -> Option<String>;
    /// Whether a field carries `@id`.
    fn is_xid(&self, type_name: &str, field: &str) -> bool;
    /// For a field reading several language tags (`p@hi:zh:.`), the tags in preference order
    /// (`.` = untagged); empty otherwise.
    fn languages(&self, _type_name: &str, _field: &str) -> Vec<String> {
        Vec::new()
    }
}

fn scalar_kind(schema: &Schema, name: &str) -> Option<ScalarKind> {
    Some(match name {
        "Int" => ScalarKind::Int,
        "Int64" => ScalarKind::Int64,
        "Float" => ScalarKind::Float,
        "String" => ScalarKind::String,
        "Boolean" => ScalarKind::Boolean,
        "DateTime" => ScalarKind::DateTime,
        "Point" => ScalarKind::Point,
        "Polygon" => ScalarKind::Polygon,
        "MultiPolygon" => ScalarKind::MultiPolygon,
        _ => match schema.types.get(name) {
            Some(ExtendedType::Enum(_)) => ScalarKind::Enum,
            _ => return None,
        },
    })
}

impl TypeInfo {
    /// The `ID` field when it is stored (the `@key` id of an `@extends` type) rather than
    /// being the node's uid.
    pub fn stored_id(&self) -> Option<&FieldInfo> {
        self.id_field
            .as_ref()
            .and_then(|f| self.fields.get(f))
            .filter(|f| f.kind != FieldKind::Id)
    }
}

impl Catalog {
    /// Builds the catalog from the generated API schema and the model's storage names.
    pub fn build(api: &Schema, names: &dyn StorageNames) -> Catalog {
        let mut types = HashMap::new();
        let implementers = api.implementers_map();
        for (tname, ty) in &api.types {
            let (kind, fields) = match ty {
                ExtendedType::Object(o) => (TypeKind::Object, Some(&o.fields)),
                ExtendedType::Interface(i) => (TypeKind::Interface, Some(&i.fields)),
                ExtendedType::Union(_) => (TypeKind::Union, None),
                _ => continue,
            };
            let storage = match kind {
                TypeKind::Union => tname.to_string(),
                _ => match names.storage_type(tname) {
                    Some(s) => s,
                    None => continue,
                },
            };
            if kind == TypeKind::Union && !is_user_union(api, tname, names) {
                continue;
            }
            let mut info = TypeInfo {
                name: tname.to_string(),
                kind,
                storage,
                id_field: None,
                xids: Vec::new(),
                fields: HashMap::new(),
                concrete: Vec::new(),
            };
            match ty {
                ExtendedType::Union(u) => {
                    info.concrete = u.members.iter().map(|m| m.name.to_string()).collect();
                }
                ExtendedType::Interface(_) => {
                    if let Some(imp) = implementers.get(tname.as_str()) {
                        let mut objs: Vec<String> =
                            imp.objects.iter().map(|n| n.to_string()).collect();
                        objs.sort();
                        info.concrete = objs;
                    }
                }
                _ => info.concrete = vec![tname.to_string()],
            }
            if let Some(fields) = fields {
                for (fname, fdef) in fields.iter() {
                    let target = fdef.ty.inner_named_type().to_string();
                    let list = fdef.ty.is_list();
                    let non_null = fdef.ty.is_non_null();
                    let stored = names.predicate(tname, fname);
                    let (kind, pred, reverse) = if target == "ID" {
                        info.id_field = Some(fname.to_string());
                        match stored {
                            // The `@key` id of an `@extends` type: another service's id,
                            // stored as a string predicate.
                            Some(p) => (FieldKind::Scalar(ScalarKind::String), p, false),
                            None => (FieldKind::Id, String::new(), false),
                        }
                    } else if let Some(p) = stored {
                        let (p, rev) = match p.strip_prefix('~') {
                            Some(r) => (r.to_string(), true),
                            None => (p, false),
                        };
                        let kind = match scalar_kind(api, &target) {
                            Some(k) => FieldKind::Scalar(k),
                            None => FieldKind::Edge,
                        };
                        (kind, p, rev)
                    } else if let Some(base) = fname.strip_suffix("Aggregate")
                        && target.ends_with("AggregateResult")
                        && fields.contains_key(base)
                    {
                        (FieldKind::Aggregate(base.to_string()), String::new(), false)
                    } else {
                        (FieldKind::Unstored, String::new(), false)
                    };
                    if names.is_xid(tname, fname) {
                        info.xids.push(fname.to_string());
                    }
                    info.fields.insert(
                        fname.to_string(),
                        FieldInfo {
                            name: fname.to_string(),
                            pred,
                            reverse,
                            target,
                            list,
                            non_null,
                            kind,
                            langs: names.languages(tname, fname),
                        },
                    );
                }
            }
            types.insert(tname.to_string(), info);
        }
        Catalog {
            types,
            secrets: HashMap::new(),
        }
    }

    pub fn get(&self, name: &str) -> Option<&TypeInfo> {
        self.types.get(name)
    }

    /// The concrete object type a node of `declared` type resolves to, from its `dgraph.type`s.
    pub fn concrete_type<'a>(
        &'a self,
        declared: &'a str,
        node_types: &[String],
    ) -> Option<&'a str> {
        let t = self.types.get(declared)?;
        if t.kind == TypeKind::Object {
            return node_types.contains(&t.storage).then_some(t.name.as_str());
        }
        t.concrete.iter().map(String::as_str).find(|c| {
            self.types
                .get(*c)
                .is_some_and(|ct| node_types.contains(&ct.storage))
        })
    }

    /// Storage type names whose nodes are visible as `declared` (a union lists its members).
    pub fn storage_names(&self, declared: &str) -> Vec<String> {
        match self.types.get(declared) {
            Some(t) if t.kind == TypeKind::Union => t
                .concrete
                .iter()
                .filter_map(|c| self.types.get(c).map(|ct| ct.storage.clone()))
                .collect(),
            Some(t) => vec![t.storage.clone()],
            None => Vec::new(),
        }
    }
}

fn is_user_union(api: &Schema, name: &str, names: &dyn StorageNames) -> bool {
    match api.types.get(name) {
        Some(ExtendedType::Union(u)) => u
            .members
            .iter()
            .all(|m| names.storage_type(m.name.as_str()).is_some()),
        _ => false,
    }
}
