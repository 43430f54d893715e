//! Input coercion the executor leaves undone, applied once per request:
//!
//! * `ID`: GraphQL accepts an Int wherever an `ID` is expected and turns it into the ID's
//!   string form (`105` → `"105"`, which names uid 105, i.e. `0x69`). The validator admits
//!   such values but leaves them as numbers; they are rewritten in the document's literal
//!   arguments and in the coerced variable values, so every consumer of IDs (filters,
//!   `get<T>`, mutation inputs and references) sees strings only.
//! * Variables inside a literal of a custom scalar (`_entities(representations:
//!   [{__typename: $t, id: $id}])`, `_Any`) are replaced by their values, since such a
//!   literal is handed to the resolver as plain data.

use apollo_compiler::ast::{FloatValue, IntValue, Type, Value};
use apollo_compiler::executable::{ExecutableDocument, Operation, Selection, SelectionSet};
use apollo_compiler::response::{JsonMap, JsonValue};
use apollo_compiler::schema::ExtendedType;
use apollo_compiler::validation::Valid;
use apollo_compiler::{Name, Schema};
use apollo_compiler::{Node, schema::InputValueDefinition};

/// The document with every Int literal given for an `ID` input replaced by its string form,
/// and the variables inside custom-scalar literals replaced by their values in `vars`.
pub fn in_document(
    schema: &Schema,
    doc: Valid<ExecutableDocument>,
    vars: &JsonMap,
) -> Valid<ExecutableDocument> {
    if !needs_rewrite(&doc) {
        return doc;
    }
    let cx = Cx { schema, vars };
    let mut doc = doc.into_inner();
    if let Some(op) = doc.operations.anonymous.as_mut() {
        fix_selection_set(&cx, &mut op.make_mut().selection_set);
    }
    for op in doc.operations.named.values_mut() {
        fix_selection_set(&cx, &mut op.make_mut().selection_set);
    }
    for frag in doc.fragments.values_mut() {
        fix_selection_set(&cx, &mut frag.make_mut().selection_set);
    }
    // Replacing an Int literal by a String literal in an `ID` position keeps the document
    // valid (`ID` accepts strings), and so does inlining a variable's value into a custom
    // scalar's literal (a custom scalar accepts any literal).
    Valid::assume_valid(doc)
}

struct Cx<'a> {
    schema: &'a Schema,
    vars: &'a JsonMap,
}

fn is_custom_scalar(schema: &Schema, ty: &Type) -> bool {
    let name = ty.inner_named_type().as_str();
    !matches!(name, "Int" | "Float" | "String" | "Boolean" | "ID")
        && matches!(schema.types.get(name), Some(ExtendedType::Scalar(_)))
}

/// A GraphQL literal for a JSON value; `None` when an object key is not a GraphQL name.
fn json_to_ast(v: &JsonValue) -> Option<Value> {
    Some(match v {
        JsonValue::Null => Value::Null,
        JsonValue::Bool(b) => Value::Boolean(*b),
        JsonValue::Number(n) if n.is_i64() || n.is_u64() => {
            Value::Int(IntValue::new_parsed(&n.to_string()))
        }
        JsonValue::Number(n) => Value::Float(FloatValue::new_parsed(&n.to_string())),
        JsonValue::String(s) => Value::String(s.as_str().to_string()),
        JsonValue::Array(items) => Value::List(
            items
                .iter()
                .map(|i| json_to_ast(i).map(Node::new))
                .collect::<Option<_>>()?,
        ),
        JsonValue::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| Some((Name::new(k.as_str()).ok()?, Node::new(json_to_ast(v)?))))
                .collect::<Option<_>>()?,
        ),
    })
}

/// Replaces the variables nested in a custom scalar's literal by their values.
fn inline_variables(cx: &Cx<'_>, v: &mut Value) {
    match v {
        Value::Variable(name) => {
            let value = cx.vars.get(name.as_str()).unwrap_or(&JsonValue::Null);
            if let Some(lit) = json_to_ast(value) {
                *v = lit;
            }
        }
        Value::List(items) => {
            for item in items {
                inline_variables(cx, item.make_mut());
            }
        }
        Value::Object(fields) => {
            for (_, value) in fields {
                inline_variables(cx, value.make_mut());
            }
        }
        _ => {}
    }
}

/// The coerced variable values of `op` with every integer given for an `ID` input replaced by
/// its string form.
pub fn in_variables(schema: &Schema, op: &Operation, vars: Valid<JsonMap>) -> Valid<JsonMap> {
    let mut vars = vars.into_inner();
    for def in &op.variables {
        if let Some(v) = vars.get_mut(def.name.as_str()) {
            fix_json(schema, &def.ty, v);
        }
    }
    // Numbers became strings only where the type is `ID`, which accepts strings.
    Valid::assume_valid(vars)
}

/// Whether any argument literal holds an Int, or a variable nested in a list or object.
fn needs_rewrite(doc: &ExecutableDocument) -> bool {
    fn in_value(v: &Value, nested: bool) -> bool {
        match v {
            Value::Int(_) => true,
            Value::Variable(_) => nested,
            Value::List(items) => items.iter().any(|i| in_value(i, true)),
            Value::Object(fields) => fields.iter().any(|(_, v)| in_value(v, true)),
            _ => false,
        }
    }
    fn in_set(set: &SelectionSet) -> bool {
        set.selections.iter().any(|s| match s {
            Selection::Field(f) => {
                f.arguments.iter().any(|a| in_value(&a.value, false)) || in_set(&f.selection_set)
            }
            Selection::InlineFragment(i) => in_set(&i.selection_set),
            Selection::FragmentSpread(_) => false,
        })
    }
    doc.operations.iter().any(|op| in_set(&op.selection_set))
        || doc.fragments.values().any(|f| in_set(&f.selection_set))
}

/// Whether [`in_document`] depends on the variables' values: some custom scalar's list or
/// object literal holds a variable. Otherwise rewriting once with no variables gives the
/// document every request uses.
pub(crate) fn depends_on_variables(schema: &Schema, doc: &ExecutableDocument) -> bool {
    fn has_variable(v: &Value) -> bool {
        match v {
            Value::Variable(_) => true,
            Value::List(items) => items.iter().any(|i| has_variable(i)),
            Value::Object(fields) => fields.iter().any(|(_, v)| has_variable(v)),
            _ => false,
        }
    }
    // Mirrors `fix_ast`: where it would inline variables.
    fn dep(schema: &Schema, ty: &Type, v: &Value) -> bool {
        match v {
            Value::List(_) | Value::Object(_) if !ty.is_list() && is_custom_scalar(schema, ty) => {
                has_variable(v)
            }
            Value::Object(_) if ty.is_list() => dep(schema, ty.item_type(), v),
            Value::List(items) if ty.is_list() => {
                items.iter().any(|i| dep(schema, ty.item_type(), i))
            }
            Value::Object(fields) => {
                schema
                    .get_input_object(ty.inner_named_type())
                    .is_some_and(|obj| {
                        fields
                            .iter()
                            .any(|(n, v)| obj.fields.get(n).is_some_and(|d| dep(schema, &d.ty, v)))
                    })
            }
            _ => false,
        }
    }
    fn in_set(schema: &Schema, set: &SelectionSet) -> bool {
        set.selections.iter().any(|s| match s {
            Selection::Field(f) => {
                f.arguments.iter().any(|a| {
                    f.definition
                        .arguments
                        .iter()
                        .find(|d| d.name == a.name)
                        .is_some_and(|d| dep(schema, &d.ty, &a.value))
                }) || in_set(schema, &f.selection_set)
            }
            Selection::InlineFragment(i) => in_set(schema, &i.selection_set),
            Selection::FragmentSpread(_) => false,
        })
    }
    doc.operations
        .iter()
        .any(|op| in_set(schema, &op.selection_set))
        || doc
            .fragments
            .values()
            .any(|f| in_set(schema, &f.selection_set))
}

fn fix_selection_set(cx: &Cx<'_>, set: &mut SelectionSet) {
    for sel in &mut set.selections {
        match sel {
            Selection::Field(f) => {
                let f = f.make_mut();
                let defs: Vec<Node<InputValueDefinition>> = f.definition.arguments.clone();
                for arg in &mut f.arguments {
                    if let Some(def) = defs.iter().find(|d| d.name == arg.name) {
                        let arg = arg.make_mut();
                        fix_ast(cx, &def.ty, arg.value.make_mut());
                    }
                }
                fix_selection_set(cx, &mut f.selection_set);
            }
            Selection::InlineFragment(i) => {
                fix_selection_set(cx, &mut i.make_mut().selection_set);
            }
            Selection::FragmentSpread(_) => {}
        }
    }
}

fn fix_ast(cx: &Cx<'_>, ty: &Type, v: &mut Value) {
    match v {
        Value::List(_) | Value::Object(_) if !ty.is_list() && is_custom_scalar(cx.schema, ty) => {
            inline_variables(cx, v);
        }
        Value::Int(i) if !ty.is_list() && ty.inner_named_type().as_str() == "ID" => {
            *v = Value::String(i.as_str().to_string());
        }
        // A single value where a list is expected is a one-element list (list input coercion).
        Value::Int(_) | Value::Object(_) if ty.is_list() => fix_ast(cx, ty.item_type(), v),
        Value::List(items) if ty.is_list() => {
            for item in items {
                fix_ast(cx, ty.item_type(), item.make_mut());
            }
        }
        Value::Object(fields) => {
            let Some(obj) = cx.schema.get_input_object(ty.inner_named_type()) else {
                return;
            };
            for (name, value) in fields {
                if let Some(def) = obj.fields.get(name) {
                    fix_ast(cx, &def.ty, value.make_mut());
                }
            }
        }
        _ => {}
    }
}

fn fix_json(schema: &Schema, ty: &Type, v: &mut JsonValue) {
    match v {
        JsonValue::Number(n)
            if !ty.is_list()
                && ty.inner_named_type().as_str() == "ID"
                && (n.is_i64() || n.is_u64()) =>
        {
            *v = JsonValue::String(n.to_string().into());
        }
        JsonValue::Array(items) if ty.is_list() => {
            for item in items {
                fix_json(schema, ty.item_type(), item);
            }
        }
        JsonValue::Object(fields) => {
            let named = if ty.is_list() { ty.item_type() } else { ty };
            if named.is_list() {
                return;
            }
            let Some(obj) = schema.get_input_object(named.inner_named_type()) else {
                return;
            };
            for (name, value) in fields.iter_mut() {
                if let Some(def) = obj.fields.get(name.as_str()) {
                    fix_json(schema, &def.ty, value);
                }
            }
        }
        // A single value where a list is expected is a one-element list (list input coercion).
        other if ty.is_list() => fix_json(schema, ty.item_type(), other),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SDL: &str = r#"
        scalar Any
        type Query {
            get(id: ID!): Int
            find(filter: F, ids: [ID!], n: Int): Int
            reps(r: [Any!]!, one: Any): Int
        }
        input F { id: [ID!], and: [F], not: F, count: Int, name: String }
    "#;

    fn schema() -> Valid<Schema> {
        Schema::parse_and_validate(SDL, "s.graphql").unwrap()
    }

    fn literal_args(doc: &ExecutableDocument) -> Vec<String> {
        let op = doc.operations.iter().next().unwrap();
        op.selection_set
            .selections
            .iter()
            .filter_map(|s| match s {
                Selection::Field(f) => Some(
                    f.arguments
                        .iter()
                        .map(|a| format!("{}: {}", a.name, a.value.serialize().no_indent()))
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn int_literals_in_id_positions_become_strings() {
        let s = schema();
        let doc = ExecutableDocument::parse_and_validate(
            &s,
            "{ get(id: 105) find(filter: {id: 7, and: [{id: [8, \"0x9\"]}], not: {id: 10}, count: 3}, ids: [1, 2], n: 4) }",
            "q.graphql",
        )
        .unwrap();
        let doc = in_document(&s, doc, &JsonMap::new());
        assert_eq!(
            literal_args(&doc),
            vec![
                "id: \"105\"".to_string(),
                "filter: {id: \"7\", and: [{id: [\"8\", \"0x9\"]}], not: {id: \"10\"}, count: 3}, ids: [\"1\", \"2\"], n: 4".to_string(),
            ]
        );
    }

    #[test]
    fn integers_in_id_variables_become_strings() {
        let s = schema();
        let doc = ExecutableDocument::parse_and_validate(
            &s,
            "query($i: ID!, $l: [ID!], $one: [ID!], $f: F, $n: Int) { get(id: $i) find(filter: $f, ids: $l, n: $n) a: find(ids: $one) }",
            "q.graphql",
        )
        .unwrap();
        let op = doc.operations.iter().next().unwrap();
        let raw = serde_json_bytes::json!({
            "i": 105, "l": [1, "0x2"], "one": 3,
            "f": {"id": [4], "not": {"id": 5}, "count": 6}, "n": 7
        });
        let JsonValue::Object(raw) = raw else {
            panic!()
        };
        let vars = apollo_compiler::request::coerce_variable_values(&s, op, &raw).unwrap();
        let vars = in_variables(&s, op, vars);
        assert_eq!(
            serde_json_bytes::Value::Object(vars.into_inner()),
            serde_json_bytes::json!({
                "i": "105", "l": ["1", "0x2"], "one": ["3"],
                "f": {"id": ["4"], "not": {"id": ["5"]}, "count": 6}, "n": 7
            })
        );
    }

    #[test]
    fn variables_inside_custom_scalar_literals_are_inlined() {
        let s = schema();
        let doc = ExecutableDocument::parse_and_validate(
            &s,
            "query($t: String!, $id: String!, $n: Int, $l: [Int], $missing: String) { reps(r: [{__typename: $t, id: $id, k: [$n, 2]}, {x: $l}], one: {y: $missing}) }",
            "q.graphql",
        )
        .unwrap();
        let vars = serde_json_bytes::json!({"t": "SpaceShip", "id": "S1", "n": 7, "l": [1, 2.5]});
        let JsonValue::Object(vars) = vars else {
            panic!()
        };
        let doc = in_document(&s, doc, &vars);
        assert_eq!(
            literal_args(&doc),
            vec![
                "r: [{__typename: \"SpaceShip\", id: \"S1\", k: [7, 2]}, {x: [1, 2.5]}], one: {y: null}"
                    .to_string()
            ]
        );
    }
}
