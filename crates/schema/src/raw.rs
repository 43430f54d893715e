//! The user's SDL as read from the parser, before validation: definitions in source order,
//! with their directives kept for re-printing.

use apollo_compiler::Node;
use apollo_compiler::ast::{self, Definition, Directive, Document, Type, Value};
use apollo_compiler::parser::SourceMap;

use crate::error::{Location, SchemaError};
use crate::model::TypeKind;

/// A field (of an object/interface) or input value (of an input object).
#[derive(Debug, Clone)]
pub(crate) struct RField {
    pub description: Option<String>,
    pub name: String,
    pub name_loc: Option<Location>,
    pub args: Vec<Node<ast::InputValueDefinition>>,
    pub ty: Type,
    pub ty_loc: Option<Location>,
    pub directives: Vec<Node<Directive>>,
    pub default_value: Option<Node<Value>>,
    /// Interface the field was copied from.
    pub inherited_from: Option<String>,
    /// `@hasInverse(field: x)` added automatically (printed after the user's directives).
    pub auto_inverse: Option<String>,
}

impl RField {
    pub fn directive(&self, name: &str) -> Option<&Node<Directive>> {
        self.directives.iter().find(|d| d.name == name)
    }
    pub fn has(&self, name: &str) -> bool {
        self.directive(name).is_some()
    }
    pub fn type_name(&self) -> &str {
        self.ty.inner_named_type().as_str()
    }
}

/// An enum value.
#[derive(Debug, Clone)]
pub(crate) struct RValue {
    pub description: Option<String>,
    pub name: String,
    pub directives: Vec<Node<Directive>>,
}

/// A top-level definition.
#[derive(Debug, Clone)]
pub(crate) struct RDef {
    pub kind: TypeKind,
    pub name: String,
    pub name_loc: Option<Location>,
    pub description: Option<String>,
    pub interfaces: Vec<(String, Option<Location>)>,
    pub members: Vec<(String, Option<Location>)>,
    pub values: Vec<RValue>,
    pub fields: Vec<RField>,
    pub directives: Vec<Node<Directive>>,
    /// Came from `extend type`.
    pub extension: bool,
}

impl RDef {
    pub fn directive(&self, name: &str) -> Option<&Node<Directive>> {
        self.directives.iter().find(|d| d.name == name)
    }
    pub fn has(&self, name: &str) -> bool {
        self.directive(name).is_some()
    }
    pub fn field(&self, name: &str) -> Option<&RField> {
        self.fields.iter().find(|f| f.name == name)
    }
}

pub(crate) struct Locator<'a> {
    pub sources: &'a SourceMap,
}

impl Locator<'_> {
    pub fn name(&self, n: &apollo_compiler::Name) -> Option<Location> {
        n.line_column_range(self.sources).map(|r| Location {
            line: r.start.line,
            column: r.start.column,
        })
    }
}

fn desc(d: &Option<Node<str>>) -> Option<String> {
    d.as_ref().map(|s| s.to_string())
}

fn dirs(list: &ast::DirectiveList) -> Vec<Node<Directive>> {
    list.0.clone()
}

fn field_from(l: &Locator<'_>, f: &Node<ast::FieldDefinition>) -> RField {
    RField {
        description: desc(&f.description),
        name: f.name.to_string(),
        name_loc: l.name(&f.name),
        args: f.arguments.clone(),
        ty: f.ty.clone(),
        ty_loc: l.name(f.ty.inner_named_type()),
        directives: dirs(&f.directives),
        default_value: None,
        inherited_from: None,
        auto_inverse: None,
    }
}

fn input_field_from(l: &Locator<'_>, f: &Node<ast::InputValueDefinition>) -> RField {
    RField {
        description: desc(&f.description),
        name: f.name.to_string(),
        name_loc: l.name(&f.name),
        args: Vec::new(),
        ty: (*f.ty).clone(),
        ty_loc: l.name(f.ty.inner_named_type()),
        directives: dirs(&f.directives),
        default_value: f.default_value.clone(),
        inherited_from: None,
        auto_inverse: None,
    }
}

fn blank(kind: TypeKind, name: &apollo_compiler::Name, l: &Locator<'_>) -> RDef {
    RDef {
        kind,
        name: name.to_string(),
        name_loc: l.name(name),
        description: None,
        interfaces: Vec::new(),
        members: Vec::new(),
        values: Vec::new(),
        fields: Vec::new(),
        directives: Vec::new(),
        extension: false,
    }
}

/// Read the document's definitions. Errors here are Dgraph's document-level rejections.
pub(crate) fn collect(doc: &Document) -> Result<Vec<RDef>, SchemaError> {
    let l = Locator {
        sources: &doc.sources,
    };
    let mut out: Vec<RDef> = Vec::new();
    for def in &doc.definitions {
        match def {
            Definition::ScalarTypeDefinition(s) => {
                return Err(SchemaError::at(
                    "You can't add scalar definitions. Only type, interface, union, input and enums are allowed in initial schema.",
                    l.name(&s.name),
                ));
            }
            Definition::DirectiveDefinition(_) => {}
            Definition::ObjectTypeDefinition(o) => {
                let mut d = blank(TypeKind::Object, &o.name, &l);
                d.description = desc(&o.description);
                d.interfaces = o
                    .implements_interfaces
                    .iter()
                    .map(|n| (n.to_string(), l.name(n)))
                    .collect();
                d.directives = dirs(&o.directives);
                d.fields = o.fields.iter().map(|f| field_from(&l, f)).collect();
                out.push(d);
            }
            Definition::InterfaceTypeDefinition(o) => {
                let mut d = blank(TypeKind::Interface, &o.name, &l);
                d.description = desc(&o.description);
                d.interfaces = o
                    .implements_interfaces
                    .iter()
                    .map(|n| (n.to_string(), l.name(n)))
                    .collect();
                d.directives = dirs(&o.directives);
                d.fields = o.fields.iter().map(|f| field_from(&l, f)).collect();
                out.push(d);
            }
            Definition::UnionTypeDefinition(u) => {
                let mut d = blank(TypeKind::Union, &u.name, &l);
                d.description = desc(&u.description);
                d.directives = dirs(&u.directives);
                d.members = u
                    .members
                    .iter()
                    .map(|n| (n.to_string(), l.name(n)))
                    .collect();
                out.push(d);
            }
            Definition::EnumTypeDefinition(e) => {
                let mut d = blank(TypeKind::Enum, &e.name, &l);
                d.description = desc(&e.description);
                d.directives = dirs(&e.directives);
                d.values = e
                    .values
                    .iter()
                    .map(|v| RValue {
                        description: desc(&v.description),
                        name: v.value.to_string(),
                        directives: dirs(&v.directives),
                    })
                    .collect();
                out.push(d);
            }
            Definition::InputObjectTypeDefinition(i) => {
                let mut d = blank(TypeKind::InputObject, &i.name, &l);
                d.description = desc(&i.description);
                d.directives = dirs(&i.directives);
                d.fields = i.fields.iter().map(|f| input_field_from(&l, f)).collect();
                out.push(d);
            }
            Definition::ObjectTypeExtension(o) => {
                if let Some(existing) = out
                    .iter_mut()
                    .find(|d| d.name == o.name.as_str() && d.kind == TypeKind::Object)
                {
                    existing
                        .fields
                        .extend(o.fields.iter().map(|f| field_from(&l, f)));
                    existing.directives.extend(dirs(&o.directives));
                    continue;
                }
                let mut d = blank(TypeKind::Object, &o.name, &l);
                d.interfaces = o
                    .implements_interfaces
                    .iter()
                    .map(|n| (n.to_string(), l.name(n)))
                    .collect();
                d.directives = dirs(&o.directives);
                d.fields = o.fields.iter().map(|f| field_from(&l, f)).collect();
                d.extension = true;
                out.push(d);
            }
            Definition::InterfaceTypeExtension(o) => {
                let mut d = blank(TypeKind::Interface, &o.name, &l);
                d.directives = dirs(&o.directives);
                d.fields = o.fields.iter().map(|f| field_from(&l, f)).collect();
                d.extension = true;
                out.push(d);
            }
            Definition::ScalarTypeExtension(s) => {
                return Err(SchemaError::at(
                    "You can't add scalar definitions. Only type, interface, union, input and enums are allowed in initial schema.",
                    l.name(&s.name),
                ));
            }
            Definition::UnionTypeExtension(_)
            | Definition::EnumTypeExtension(_)
            | Definition::InputObjectTypeExtension(_)
            | Definition::SchemaDefinition(_)
            | Definition::SchemaExtension(_)
            | Definition::OperationDefinition(_)
            | Definition::FragmentDefinition(_) => {
                let loc = def.location().and_then(|s| {
                    s.line_column(&doc.sources).map(|p| Location {
                        line: p.line,
                        column: p.column,
                    })
                });
                return Err(SchemaError::at(
                    "Only type, interface, union, input and enums are allowed in initial schema.",
                    loc,
                ));
            }
        }
    }
    Ok(out)
}
