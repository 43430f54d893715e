//! What mutations need to know about the generated API beyond the [`Catalog`]: the
//! `dgraph.type` values of a new node, `@hasInverse` partners (both sides, whichever side
//! declared the directive), the `@secret` field, `@default` values and the scope of
//! `@id(interface: true)` keys. All of it is read from the directives the generated API
//! keeps on the user's types (spec B.3, B.10).

use apollo_compiler::Schema;
use apollo_compiler::ast::{Directive, Value};
use apollo_compiler::schema::{ExtendedType, FieldDefinition};

use crate::catalog::{Catalog, FieldInfo, FieldKind, TypeInfo, TypeKind};

/// The other side of a `@hasInverse` pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inverse {
    /// The type that declares the partner field.
    pub type_name: String,
    pub field: String,
    /// The partner field's storage predicate.
    pub pred: String,
    pub list: bool,
}

/// The `@secret` field of a type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Secret {
    pub field: String,
    pub pred: String,
}

/// Read-only view of a backend's API for mutations: the schema model when there is one,
/// else the directives kept on the generated API's types.
#[derive(Clone, Copy)]
pub struct Meta<'a> {
    pub cat: &'a Catalog,
    pub api: &'a Schema,
    pub model: Option<&'a graphcloud_schema::Schema>,
}

fn arg_str<'v>(d: Option<&'v Directive>, arg: &str) -> Option<&'v str> {
    match d?.specified_argument_by_name(arg)?.as_ref() {
        Value::String(s) => Some(s.as_str()),
        Value::Enum(n) => Some(n.as_str()),
        _ => None,
    }
}

impl<'a> Meta<'a> {
    pub fn new(
        cat: &'a Catalog,
        api: &'a Schema,
        model: Option<&'a graphcloud_schema::Schema>,
    ) -> Self {
        Meta { cat, api, model }
    }

    fn model_field(&self, type_name: &str, field: &str) -> Option<&'a graphcloud_schema::Field> {
        self.model?.type_by_name(type_name)?.field(field)
    }

    pub fn ty(&self, name: &str) -> Option<&'a TypeInfo> {
        self.cat.get(name)
    }

    fn field_def(&self, type_name: &str, field: &str) -> Option<&'a FieldDefinition> {
        match self.api.types.get(type_name)? {
            ExtendedType::Object(o) => o.fields.get(field).map(|f| &***f),
            ExtendedType::Interface(i) => i.fields.get(field).map(|f| &***f),
            _ => None,
        }
    }

    fn type_directives(
        &self,
        type_name: &str,
    ) -> Option<&'a apollo_compiler::schema::DirectiveList> {
        match self.api.types.get(type_name)? {
            ExtendedType::Object(o) => Some(&o.directives),
            ExtendedType::Interface(i) => Some(&i.directives),
            _ => None,
        }
    }

    /// Interfaces `type_name` implements (directly or through other interfaces).
    pub fn interfaces(&self, type_name: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut todo = vec![type_name.to_string()];
        while let Some(t) = todo.pop() {
            let imps = match self.api.types.get(t.as_str()) {
                Some(ExtendedType::Object(o)) => &o.implements_interfaces,
                Some(ExtendedType::Interface(i)) => &i.implements_interfaces,
                _ => continue,
            };
            for i in imps {
                let n = i.name.to_string();
                if !out.contains(&n) {
                    out.push(n.clone());
                    todo.push(n);
                }
            }
        }
        out
    }

    /// The `dgraph.type` values of a new node of the object type `type_name`: its own
    /// storage name followed by those of every interface it implements.
    pub fn dgraph_types(&self, type_name: &str) -> Vec<String> {
        if let Some(t) = self.model.and_then(|m| m.type_by_name(type_name))
            && !t.dgraph_types.is_empty()
        {
            return t.dgraph_types.clone();
        }
        let mut out = Vec::new();
        if let Some(t) = self.ty(type_name) {
            out.push(t.storage.clone());
        }
        for i in self.interfaces(type_name) {
            if let Some(it) = self.ty(&i)
                && !out.contains(&it.storage)
            {
                out.push(it.storage.clone());
            }
        }
        out
    }

    /// Whether a node with these `dgraph.type` values is visible as `type_name`
    /// (for a union: as one of its members).
    pub fn node_is(&self, type_name: &str, node_types: &[String]) -> bool {
        self.cat
            .storage_names(type_name)
            .iter()
            .any(|s| node_types.contains(s))
    }

    /// The `@hasInverse` partner of `type_name.field`, whichever side declares it.
    pub fn inverse(&self, type_name: &str, field: &str) -> Option<Inverse> {
        let fi = self.ty(type_name)?.fields.get(field)?;
        if fi.kind != FieldKind::Edge || fi.reverse {
            return None;
        }
        let target = fi.target.as_str();
        let partner = |tname: &str, fname: &str| -> Option<Inverse> {
            let pf = self.ty(tname)?.fields.get(fname)?;
            (pf.kind == FieldKind::Edge && !pf.reverse).then(|| Inverse {
                type_name: tname.to_string(),
                field: fname.to_string(),
                pred: pf.pred.clone(),
                list: pf.list,
            })
        };
        if self.model.is_some() {
            let g = self.model_field(type_name, field)?.has_inverse.as_deref()?;
            return partner(target, g);
        }
        if let Some(def) = self.field_def(type_name, field)
            && let Some(g) = arg_str(def.directives.get("hasInverse").map(|d| &**d), "field")
        {
            return partner(target, g);
        }
        // The partner may declare the pair: a field of the target type whose
        // `@hasInverse(field:)` names this field and whose type is this type (or one of
        // the interfaces it implements).
        let mut mine = vec![type_name.to_string()];
        mine.extend(self.interfaces(type_name));
        let tt = self.ty(target)?;
        let mut candidates: Vec<&str> = vec![target];
        if tt.kind == TypeKind::Interface {
            candidates.extend(tt.concrete.iter().map(String::as_str));
        }
        for cand in candidates {
            let Some(ExtendedType::Object(_) | ExtendedType::Interface(_)) =
                self.api.types.get(cand)
            else {
                continue;
            };
            let Some(ct) = self.ty(cand) else { continue };
            let mut names: Vec<&String> = ct.fields.keys().collect();
            names.sort();
            for g in names {
                let Some(def) = self.field_def(cand, g) else {
                    continue;
                };
                if arg_str(def.directives.get("hasInverse").map(|d| &**d), "field") == Some(field)
                    && mine
                        .iter()
                        .any(|m| m.as_str() == def.ty.inner_named_type().as_str())
                {
                    return partner(cand, g);
                }
            }
        }
        None
    }

    /// The `@secret` field of an object type.
    pub fn secret(&self, type_name: &str) -> Option<Secret> {
        if let Some(m) = self.model {
            let s = m.type_by_name(type_name)?.secret.as_ref()?;
            return Some(Secret {
                field: s.field.clone(),
                pred: s.predicate.clone(),
            });
        }
        let mut owners = vec![type_name.to_string()];
        owners.extend(self.interfaces(type_name));
        for owner in owners {
            let dirs = self.type_directives(&owner)?;
            if let Some(field) = arg_str(dirs.get("secret").map(|d| &***d), "field") {
                let pred = match arg_str(dirs.get("secret").map(|d| &***d), "pred") {
                    Some(p) => p.to_string(),
                    None => format!(
                        "{}.{field}",
                        self.ty(&owner)
                            .map_or(owner.as_str(), |t| t.storage.as_str())
                    ),
                };
                return Some(Secret {
                    field: field.to_string(),
                    pred,
                });
            }
        }
        None
    }

    /// The `@default(add:)` (or `update:`) value text of a field.
    pub fn default_value(&self, type_name: &str, field: &str, on_add: bool) -> Option<String> {
        if self.model.is_some() {
            let d = &self.model_field(type_name, field)?.default;
            return if on_add {
                d.add.clone()
            } else {
                d.update.clone()
            };
        }
        let def = self.field_def(type_name, field)?;
        let d = def.directives.get("default")?;
        let arg = d.specified_argument_by_name(if on_add { "add" } else { "update" })?;
        let Value::Object(fields) = arg.as_ref() else {
            return None;
        };
        fields
            .iter()
            .find(|(n, _)| n.as_str() == "value")
            .and_then(|(_, v)| match v.as_ref() {
                Value::String(s) => Some(s.to_string()),
                Value::Int(i) => Some(i.as_str().to_string()),
                Value::Float(f) => Some(f.as_str().to_string()),
                Value::Boolean(b) => Some(b.to_string()),
                Value::Enum(e) => Some(e.to_string()),
                _ => None,
            })
    }

    /// Fields of `type_name` with a `@default` for add (or update), in a stable order.
    pub fn defaulted_fields(&self, type_name: &str, on_add: bool) -> Vec<(&'a FieldInfo, String)> {
        let Some(t) = self.ty(type_name) else {
            return Vec::new();
        };
        let mut out: Vec<(&FieldInfo, String)> = t
            .fields
            .values()
            .filter_map(|fi| {
                self.default_value(type_name, &fi.name, on_add)
                    .map(|v| (fi, v))
            })
            .collect();
        out.sort_by(|a, b| a.0.name.cmp(&b.0.name));
        out
    }

    /// For an `@id(interface: true)` field: the interface whose nodes share the key.
    pub fn xid_interface(&self, type_name: &str, field: &str) -> Option<String> {
        if let Some(m) = self.model {
            let t = m.type_by_name(type_name)?;
            let f = t.field(field)?;
            if f.xid != Some(true) {
                return None;
            }
            if t.kind == graphcloud_schema::TypeKind::Interface {
                return Some(type_name.to_string());
            }
            return f.inherited_from.clone().or_else(|| {
                t.interfaces
                    .iter()
                    .find(|i| {
                        m.type_by_name(i)
                            .and_then(|it| it.field(field))
                            .is_some_and(|f| f.xid == Some(true))
                    })
                    .cloned()
            });
        }
        let def = self.field_def(type_name, field)?;
        let d = def.directives.get("id")?;
        let is_iface = matches!(
            d.specified_argument_by_name("interface")
                .map(|v| v.as_ref()),
            Some(Value::Boolean(true))
        );
        if !is_iface {
            return None;
        }
        if self
            .ty(type_name)
            .is_some_and(|t| t.kind == TypeKind::Interface)
        {
            return Some(type_name.to_string());
        }
        self.interfaces(type_name)
            .into_iter()
            .find(|i| self.field_def(i, field).is_some())
    }

    /// For an `@extends` type whose `@key` is its `ID` field: the predicate that stores the
    /// key (such ids come from another service and are not uids).
    pub fn stored_id_pred(&self, type_name: &str) -> Option<String> {
        let f = self.model?.type_by_name(type_name)?.id_field()?;
        f.predicate.clone()
    }

    /// The key a scalar field's values are written under: its predicate, or `pred@lang` for a
    /// field mapped to one language tag (`@dgraph(pred: "p@hi")`), so tagged values never
    /// overwrite the untagged ones.
    pub fn scalar_pred(&self, type_name: &str, fi: &FieldInfo) -> String {
        match self
            .model_field(type_name, &fi.name)
            .map(|f| f.langs.as_slice())
        {
            Some([lang])
                if lang != "." && lang != "*" && !fi.pred.ends_with(&format!("@{lang}")) =>
            {
                format!("{}@{lang}", fi.pred)
            }
            _ => fi.pred.clone(),
        }
    }

    /// Field names of `type_name` in the generated API's declaration order.
    pub fn field_order(&self, type_name: &str) -> Vec<String> {
        match self.api.types.get(type_name) {
            Some(ExtendedType::Object(o)) => o.fields.keys().map(|k| k.to_string()).collect(),
            Some(ExtendedType::Interface(i)) => i.fields.keys().map(|k| k.to_string()).collect(),
            _ => Vec::new(),
        }
    }
}
