//! Request checks the generic GraphQL validator cannot make for Dgraph's API, run before
//! execution (errors are request errors with `data: null`): `Int64` literals and variables
//! (range, no floats), one operator per scalar filter, `@cascade(fields:)` names; and the
//! rewording of validator / variable-coercion messages into the reference texts.

use std::collections::HashSet;

use apollo_compiler::ExecutableDocument;
use apollo_compiler::ast::{Type, Value as AstValue};
use apollo_compiler::executable::{Field, Operation, Selection, SelectionSet};
use apollo_compiler::schema::ExtendedType;
use apollo_compiler::{Node, Schema};
use serde_json::Value as Json;

/// Operator names of the built-in scalar filter inputs (`IntFilter`, `StringHashFilter`, …).
const OPERATORS: &[&str] = &[
    "eq",
    "in",
    "le",
    "lt",
    "ge",
    "gt",
    "between",
    "allofterms",
    "anyofterms",
    "alloftext",
    "anyoftext",
    "regexp",
    "near",
    "within",
    "contains",
    "intersects",
    "ngram",
];

/// Whether an input type is a scalar filter (every field an operator).
fn is_scalar_filter(api: &Schema, name: &str) -> bool {
    match api.types.get(name) {
        Some(ExtendedType::InputObject(o)) => {
            !o.fields.is_empty() && o.fields.keys().all(|k| OPERATORS.contains(&k.as_str()))
        }
        _ => false,
    }
}

struct Checker<'a> {
    api: &'a Schema,
    doc: &'a ExecutableDocument,
    vars: &'a serde_json::Map<String, Json>,
    var_types: Vec<(String, Node<Type>)>,
    errors: Vec<String>,
    seen_fragments: HashSet<String>,
}

/// Runs the checks; returns the first problems found (empty when the request is fine).
pub fn check(
    api: &Schema,
    doc: &ExecutableDocument,
    op: &Operation,
    raw_vars: &serde_json::Map<String, Json>,
) -> Vec<String> {
    let mut c = Checker {
        api,
        doc,
        vars: raw_vars,
        var_types: op
            .variables
            .iter()
            .map(|v| (v.name.to_string(), v.ty.clone()))
            .collect(),
        errors: Vec::new(),
        seen_fragments: HashSet::new(),
    };
    // Variables first: their values are checked against their declared types.
    for (name, ty) in c.var_types.clone() {
        if let Some(v) = raw_vars.get(&name) {
            c.json_value(v, &ty);
        }
    }
    c.selection_set(&op.selection_set);
    c.errors.truncate(1);
    c.errors
}

impl Checker<'_> {
    fn selection_set(&mut self, set: &SelectionSet) {
        for sel in &set.selections {
            match sel {
                Selection::Field(f) => self.field(f),
                Selection::InlineFragment(i) => self.selection_set(&i.selection_set),
                Selection::FragmentSpread(s) => {
                    if self.seen_fragments.insert(s.fragment_name.to_string())
                        && let Some(fr) = self.doc.fragments.get(&s.fragment_name)
                    {
                        self.selection_set(&fr.selection_set);
                    }
                }
            }
        }
    }

    fn field(&mut self, f: &Field) {
        for arg in &f.arguments {
            if let Some(def) = f.definition.arguments.iter().find(|a| a.name == arg.name) {
                self.ast_value(&arg.value, &def.ty);
            }
        }
        if let Some(d) = f.directives.get("cascade")
            && let Some(v) = d.specified_argument_by_name("fields")
        {
            let tname = f.definition.ty.inner_named_type().as_str();
            let known: Vec<String> = match self.api.types.get(tname) {
                Some(ExtendedType::Object(o)) => o.fields.keys().map(|k| k.to_string()).collect(),
                Some(ExtendedType::Interface(i)) => {
                    i.fields.keys().map(|k| k.to_string()).collect()
                }
                _ => Vec::new(),
            };
            let (names, var): (Vec<String>, Option<String>) = match v.as_ref() {
                AstValue::Variable(n) => (
                    self.vars
                        .get(n.as_str())
                        .and_then(Json::as_array)
                        .map(|a| {
                            a.iter()
                                .filter_map(|x| x.as_str().map(str::to_string))
                                .collect()
                        })
                        .unwrap_or_default(),
                    Some(n.to_string()),
                ),
                AstValue::List(l) => (
                    l.iter()
                        .filter_map(|x| match x.as_ref() {
                            AstValue::String(s) => Some(s.to_string()),
                            _ => None,
                        })
                        .collect(),
                    None,
                ),
                AstValue::String(s) => (vec![s.to_string()], None),
                _ => (Vec::new(), None),
            };
            for n in names {
                if !known.contains(&n) {
                    let msg = format!(
                        "Field `{n}` is not present in type `{tname}`. You can only use fields in cascade which are in type `{tname}`"
                    );
                    self.errors.push(match &var {
                        Some(var) => format!("input: variables.{var}.{n} {msg}"),
                        None => msg,
                    });
                    break;
                }
            }
        }
        self.selection_set(&f.selection_set);
    }

    /// A literal (or variable) argument value against its input type.
    fn ast_value(&mut self, v: &AstValue, ty: &Type) {
        let named = ty.inner_named_type().as_str();
        match v {
            AstValue::Variable(_) | AstValue::Null => {}
            AstValue::List(items) => {
                let inner = match ty {
                    Type::List(t) | Type::NonNullList(t) => t.as_ref().clone(),
                    other => other.clone(),
                };
                for i in items {
                    self.ast_value(i, &inner);
                }
            }
            AstValue::Object(fields) => {
                if is_scalar_filter(self.api, named) {
                    let n = fields
                        .iter()
                        .filter(|(_, x)| !matches!(x.as_ref(), AstValue::Null))
                        .count();
                    if n > 1 {
                        self.errors.push(format!(
                            "{named} filter expects only one filter function, got: {n}"
                        ));
                    }
                }
                if let Some(ExtendedType::InputObject(o)) = self.api.types.get(named) {
                    for (k, x) in fields {
                        if let Some(fd) = o.fields.get(k) {
                            self.ast_value(x, &fd.ty);
                        }
                    }
                }
            }
            AstValue::Float(fl) if named == "Int64" => self.errors.push(format!(
                "Type mismatched for Value `{}`, expected: Int64, got: 'Float'",
                fl.as_str()
            )),
            AstValue::Int(i) if named == "Int64" && i.as_str().parse::<i64>().is_err() => {
                self.errors.push(format!(
                    "Out of range value '{}', for type `Int64`",
                    i.as_str()
                ))
            }
            _ => {}
        }
    }

    /// A variable's JSON value against its declared type.
    fn json_value(&mut self, v: &Json, ty: &Type) {
        let named = ty.inner_named_type().as_str();
        match v {
            Json::Array(items) if ty.is_list() => {
                let inner = match ty {
                    Type::List(t) | Type::NonNullList(t) => t.as_ref().clone(),
                    other => other.clone(),
                };
                for i in items {
                    self.json_value(i, &inner);
                }
            }
            Json::Array(items) => {
                for i in items {
                    self.json_value(i, ty);
                }
            }
            Json::Object(fields) => {
                if is_scalar_filter(self.api, named) {
                    let n = fields.values().filter(|x| !x.is_null()).count();
                    if n > 1 {
                        self.errors.push(format!(
                            "{named} filter expects only one filter function, got: {n}"
                        ));
                    }
                }
                if let Some(ExtendedType::InputObject(o)) = self.api.types.get(named) {
                    for (k, x) in fields {
                        if let Some(fd) = o.fields.get(k.as_str()) {
                            self.json_value(x, &fd.ty);
                        }
                    }
                }
            }
            Json::Number(n) if named == "Int64" => {
                if n.is_f64() {
                    self.errors.push(format!(
                        "Type mismatched for Value `{:?}`, expected:`Int64`",
                        n.as_f64().unwrap_or_default()
                    ));
                } else if n.as_i64().is_none() {
                    self.errors
                        .push(format!("Out of range value '{n}', for type `Int64`"));
                }
            }
            Json::Number(n)
                if named == "Int"
                    && (n.as_i64().is_some_and(|i| i32::try_from(i).is_err())
                        || n.as_u64().is_some_and(|i| i > i32::MAX as u64)) =>
            {
                self.errors
                    .push(format!("Out of range value '{n}', for type `Int`"));
            }
            Json::String(_) if named == "Int" => {
                self.errors.push("cannot use string as Int".to_string())
            }
            _ => {}
        }
    }
}

/// Rewords a validator or variable-coercion message into the reference wording.
pub fn reword(message: &str) -> String {
    if let Some(v) = message.strip_prefix("Int cannot represent non 32-bit signed integer value: ")
    {
        return format!("Out of range value '{v}', for type `Int`");
    }
    if let Some((ty, v)) = message.split_once(" cannot represent value: ")
        && !ty.contains(' ')
    {
        return format!("Expected type {ty}, found {v}.");
    }
    if let Some(rest) = message.strip_prefix("missing value for non-null variable ") {
        let _ = rest;
        return "must be defined".to_string();
    }
    if let Some(rest) = message.strip_prefix("could not coerce variable ")
        && let Some((_, ty)) = rest.rsplit_once(" to type ")
    {
        return format!("must be a {ty}");
    }
    message.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewording() {
        assert_eq!(
            reword("Int cannot represent non 32-bit signed integer value: 2147483648"),
            "Out of range value '2147483648', for type `Int`"
        );
        assert_eq!(
            reword("Float cannot represent value: \"hi\""),
            "Expected type Float, found \"hi\"."
        );
        assert_eq!(
            reword("missing value for non-null variable 'f'"),
            "must be defined"
        );
        assert_eq!(
            reword("could not coerce variable f: 57 to type AuthorFilter"),
            "must be a AuthorFilter"
        );
        assert_eq!(reword("something else"), "something else");
    }
}
