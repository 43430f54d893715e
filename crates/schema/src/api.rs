//! Direct construction of the apollo-compiler schema of the generated API from the
//! generated definitions (no printing and re-parsing of the ~100 KB text).

use std::sync::LazyLock;

use apollo_compiler::ast::{self, Value};
use apollo_compiler::schema::{
    Component, ComponentName, DirectiveList, EnumType, ExtendedType, InputObjectType,
    InterfaceType, ObjectType, UnionType,
};
use apollo_compiler::{Name, Node, Schema};

use crate::builtins;
use crate::generate::{GDef, GField};

/// The fixed definitions, parsed once.
static BASE: LazyLock<Schema> = LazyLock::new(|| parse_base(false));
/// The fixed definitions plus the federation ones, parsed once.
static BASE_FEDERATION: LazyLock<Schema> = LazyLock::new(|| parse_base(true));

fn parse_base(federation: bool) -> Schema {
    let mut text = String::from(builtins::EXTENDED_DEFINITIONS);
    if federation {
        text.push('\n');
        text.push_str(builtins::APOLLO_DEFINITIONS);
    }
    // The fixed text is valid GraphQL (checked by a unit test); a partial schema is still
    // returned on error so that validation reports the problem instead of a panic.
    match Schema::parse(text, "builtins.graphql") {
        Ok(s) => s,
        Err(e) => e.partial,
    }
}

fn name(s: &str) -> Name {
    Name::new(s).unwrap_or_else(|_| Name::new_unchecked("_invalid_name"))
}

/// `[X!]!`-style type text to a type.
fn ty(s: &str) -> ast::Type {
    let s = s.trim();
    if let Some(inner) = s.strip_suffix('!') {
        return match ty(inner) {
            ast::Type::Named(n) => ast::Type::NonNullNamed(n),
            ast::Type::List(b) => ast::Type::NonNullList(b),
            other => other,
        };
    }
    if let Some(inner) = s.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        return ast::Type::List(Box::new(ty(inner)));
    }
    ast::Type::Named(name(s))
}

/// Strip a printed ` = default` suffix from a type text.
fn type_part(s: &str) -> &str {
    s.split_once(" = ").map(|(t, _)| t).unwrap_or(s)
}

fn directives(f: &GField) -> ast::DirectiveList {
    let mut list = ast::DirectiveList::new();
    if let Some(reason) = &f.deprecated {
        let arguments = reason
            .iter()
            .map(|r| {
                Node::new(ast::Argument {
                    name: name("reason"),
                    value: Node::new(Value::String(r.clone())),
                })
            })
            .collect();
        list.push(Node::new(ast::Directive {
            name: name("deprecated"),
            arguments,
        }));
    }
    list
}

fn default_of(f: &GField, key: &str) -> Option<Node<Value>> {
    f.defaults
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
}

fn field_def(f: &GField) -> ast::FieldDefinition {
    ast::FieldDefinition {
        description: f.description.as_deref().map(Node::new_str),
        name: name(&f.name),
        arguments: f
            .args
            .iter()
            .map(|(n, t)| {
                Node::new(ast::InputValueDefinition {
                    description: None,
                    name: name(n),
                    ty: Node::new(ty(type_part(t))),
                    default_value: default_of(f, n),
                    directives: ast::DirectiveList::new(),
                })
            })
            .collect(),
        ty: ty(&f.ty),
        directives: directives(f),
    }
}

fn input_def(f: &GField) -> ast::InputValueDefinition {
    ast::InputValueDefinition {
        description: f.description.as_deref().map(Node::new_str),
        name: name(&f.name),
        ty: Node::new(ty(type_part(&f.ty))),
        default_value: default_of(f, ""),
        directives: directives(f),
    }
}

fn extended(d: &GDef) -> ExtendedType {
    let description = d.description.as_deref().map(Node::new_str);
    let type_name = name(&d.name);
    match d.keyword {
        "type" | "interface" => {
            let implements_interfaces = d
                .implements
                .iter()
                .map(|i| ComponentName::from(name(i)))
                .collect();
            let fields = d
                .fields
                .iter()
                .map(|f| (name(&f.name), Component::new(field_def(f))))
                .collect();
            if d.keyword == "type" {
                ExtendedType::Object(Node::new(ObjectType {
                    description,
                    name: type_name,
                    implements_interfaces,
                    directives: DirectiveList::new(),
                    fields,
                }))
            } else {
                ExtendedType::Interface(Node::new(InterfaceType {
                    description,
                    name: type_name,
                    implements_interfaces,
                    directives: DirectiveList::new(),
                    fields,
                }))
            }
        }
        "union" => ExtendedType::Union(Node::new(UnionType {
            description,
            name: type_name,
            directives: DirectiveList::new(),
            members: d
                .members
                .iter()
                .map(|m| ComponentName::from(name(m)))
                .collect(),
        })),
        "enum" => ExtendedType::Enum(Node::new(EnumType {
            description,
            name: type_name,
            directives: DirectiveList::new(),
            values: d
                .values
                .iter()
                .map(|v| {
                    (
                        name(&v.name),
                        Component::new(ast::EnumValueDefinition {
                            description: v.description.as_deref().map(Node::new_str),
                            value: name(&v.name),
                            directives: directives(v),
                        }),
                    )
                })
                .collect(),
        })),
        _ => ExtendedType::InputObject(Node::new(InputObjectType {
            description,
            name: type_name,
            directives: DirectiveList::new(),
            fields: d
                .fields
                .iter()
                .map(|f| (name(&f.name), Component::new(input_def(f))))
                .collect(),
        })),
    }
}

/// The definitions of a generated API, in printing order.
pub(crate) struct ApiParts<'a> {
    pub user: &'a [GDef],
    pub generated: Vec<&'a GDef>,
    pub query: &'a [GField],
    pub mutation: &'a [GField],
    pub subscription: &'a [GField],
    /// Members of `_Entity` when federation is on.
    pub entities: Option<Vec<String>>,
}

/// Build the (not yet validated) apollo-compiler schema.
pub(crate) fn build(parts: ApiParts<'_>) -> Schema {
    let mut schema = if parts.entities.is_some() {
        BASE_FEDERATION.clone()
    } else {
        BASE.clone()
    };
    // Same order as a parse of the printed text: GraphQL's built-ins, the user's types, the
    // fixed definitions, then the generated types.
    let base = std::mem::take(&mut schema.types);
    let mut types = apollo_compiler::collections::IndexMap::with_capacity_and_hasher(
        base.len() + parts.user.len() + parts.generated.len() + 3,
        Default::default(),
    );
    let (built_in, fixed): (Vec<_>, Vec<_>) = base.into_iter().partition(|(_, t)| t.is_built_in());
    types.extend(built_in);
    for d in parts.user {
        types.insert(name(&d.name), extended(d));
    }
    for (k, t) in fixed {
        // `union _Entity` is printed just before the federation scalars.
        if k == "_Any"
            && let Some(members) = &parts.entities
        {
            let mut u = GDef::new("union", "_Entity");
            u.members = members.clone();
            types.insert(name("_Entity"), extended(&u));
        }
        types.insert(k, t);
    }
    for d in &parts.generated {
        types.insert(name(&d.name), extended(d));
    }
    schema.types = types;
    let mut roots = [None, None, None];
    for (slot, (root, fields)) in [
        ("Query", parts.query),
        ("Mutation", parts.mutation),
        ("Subscription", parts.subscription),
    ]
    .into_iter()
    .enumerate()
    {
        if fields.is_empty() {
            continue;
        }
        let mut d = GDef::new("type", root);
        d.fields = fields.to_vec();
        schema.types.insert(name(root), extended(&d));
        roots[slot] = Some(ComponentName::from(name(root)));
    }
    let def = schema.schema_definition.make_mut();
    let [q, m, s] = roots;
    def.query = q;
    def.mutation = m;
    def.subscription = s;
    schema
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_definitions_parse_cleanly() {
        for fed in [false, true] {
            let mut text = String::from(builtins::EXTENDED_DEFINITIONS);
            if fed {
                text.push('\n');
                text.push_str(builtins::APOLLO_DEFINITIONS);
            }
            assert!(Schema::parse(text, "builtins.graphql").is_ok());
        }
    }

    /// The directly built API must equal the one apollo-compiler builds from the printed
    /// text, for every golden input.
    #[test]
    fn direct_build_equals_parsed_text() {
        let dir = std::env::var_os("GRAPHCLOUD_CONFORMANCE_DIR")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| {
                std::path::PathBuf::from(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/../../../shared/conformance/dgraph"
                ))
            });
        let mut files: Vec<std::path::PathBuf> =
            std::fs::read_dir(dir.join("graphql/schema/testdata/schemagen/input"))
                .expect("inputs")
                .filter_map(|e| e.ok().map(|e| e.path()))
                .collect();
        files.push(dir.join("graphql/e2e/normal/schema.graphql"));
        files.push(dir.join("graphql/e2e/directives/schema.graphql"));
        files.push(dir.join("graphql/schema/testdata/apolloservice/input/extended-types.graphql"));
        let mut compared = 0;
        for f in files {
            let sdl = std::fs::read_to_string(&f).expect("read");
            let a = crate::analyse(&sdl).expect("accepted");
            let g = crate::generate::Gen::new(&a.types, &a.defs, &a.index, &a.ops).run(false);
            let Ok(from_text) = Schema::parse_and_validate(&g.api_sdl, "api.graphql") else {
                continue; // mutation-only schemas have no query root
            };
            let direct = g.api.validate().expect("direct build validates");
            assert_eq!(direct.to_string(), from_text.to_string(), "{}", f.display());
            compared += 1;
        }
        assert!(compared >= 50, "only {compared} schemas compared");
    }

    #[test]
    fn type_text_round_trip() {
        for t in ["Int", "Int!", "[Int]", "[Int!]!", "[[String]]", "[ID!]"] {
            assert_eq!(ty(t).to_string(), t);
        }
        assert_eq!(type_part("Int = 3"), "Int");
    }
}
