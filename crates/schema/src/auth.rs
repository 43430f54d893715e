//! `@auth` rules (spec D.3): parsed into an AST and checked, not evaluated.

use std::sync::LazyLock;

use apollo_compiler::ast::{self, Value};
use apollo_compiler::validation::Valid;
use apollo_compiler::{ExecutableDocument, Node};
use regex::Regex;

use crate::error::SchemaError;

/// The rules of one type, per operation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuthRules {
    /// Gates `checkTPassword`.
    pub password: Option<RuleNode>,
    /// Filter on reads.
    pub query: Option<RuleNode>,
    /// Checked on newly added nodes.
    pub add: Option<RuleNode>,
    /// Filter on nodes to update.
    pub update: Option<RuleNode>,
    /// Filter on nodes to delete.
    pub delete: Option<RuleNode>,
}

/// One node of a rule tree.
#[derive(Debug, Clone, PartialEq)]
pub enum RuleNode {
    /// All children must hold.
    And(Vec<RuleNode>),
    /// Any child must hold.
    Or(Vec<RuleNode>),
    /// The child must not hold.
    Not(Box<RuleNode>),
    /// Claim-based rule `{$VAR: {op: value}}`.
    Rbac(RbacRule),
    /// Graph-traversal rule (a `queryT` GraphQL query).
    Query(QueryRule),
}

/// RBAC comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RbacOp {
    /// Deep equality with a JSON value.
    Eq,
    /// Equality with any element of a JSON array.
    In,
    /// Regular-expression match of a string claim.
    Regexp,
}

/// `{$VAR: {op: value}}`.
#[derive(Debug, Clone, PartialEq)]
pub struct RbacRule {
    /// Claim variable name without `$`.
    pub variable: String,
    /// Operator.
    pub op: RbacOp,
    /// Operand (array for `in`, string for `regexp`, never null).
    pub value: serde_json::Value,
}

/// A graph-traversal rule.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryRule {
    /// The rule's GraphQL text.
    pub text: String,
    /// Declared variables (names without `$`), bound from JWT claims.
    pub variables: Vec<String>,
    /// The validated operation against the generated API.
    pub document: Valid<ExecutableDocument>,
}

static RBAC: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^\{[\t\n\x0C\r ]?(.*?)[\t\n\x0C\r ]?:[\t\n\x0C\r ]?\{[\t\n\x0C\r ]?([0-9A-Za-z_]*)[\t\n\x0C\r ]?:[\t\n\x0C\r ]?(.*)[\t\n\x0C\r ]?\}[\t\n\x0C\r ]?\}$",
    )
    .expect("valid regex")
});

pub(crate) struct AuthParser<'a> {
    pub type_name: &'a str,
    pub api: &'a Valid<apollo_compiler::Schema>,
    pub errors: Vec<SchemaError>,
}

impl AuthParser<'_> {
    fn err(&mut self, msg: String) {
        self.errors.push(SchemaError::new(
            format!("Type {}: @auth: {msg}", self.type_name),
            Vec::new(),
        ));
    }

    /// Parse all rules of an `@auth` directive.
    pub fn parse_directive(&mut self, d: &ast::Directive) -> AuthRules {
        let mut rules = AuthRules::default();
        for a in &d.arguments {
            let node = self.parse_node(&a.value);
            match a.name.as_str() {
                "password" => rules.password = node,
                "query" => rules.query = node,
                "add" => rules.add = node,
                "update" => rules.update = node,
                "delete" => rules.delete = node,
                _ => {}
            }
        }
        rules
    }

    fn parse_node(&mut self, v: &Node<Value>) -> Option<RuleNode> {
        let fields = match &**v {
            Value::Object(f) => f,
            Value::Null => {
                self.err(
                    "no arguments - there should be only one of \"and\", \"or\", \"not\" and \"rule\""
                        .into(),
                );
                return None;
            }
            _ => {
                self.err(
                    "there should be only one of \"and\", \"or\", \"not\" and \"rule\"".into(),
                );
                return None;
            }
        };
        if fields.len() != 1 {
            if fields.is_empty() {
                self.err(
                    "no arguments - there should be only one of \"and\", \"or\", \"not\" and \"rule\""
                        .into(),
                );
            } else {
                self.err(
                    "there should be only one of \"and\", \"or\", \"not\" and \"rule\"".into(),
                );
            }
            return None;
        }
        let (k, val) = &fields[0];
        match k.as_str() {
            "and" | "or" => {
                let items: Vec<Node<Value>> = match &**val {
                    Value::List(items) => items.clone(),
                    _ => vec![val.clone()],
                };
                let mut children = Vec::new();
                for it in &items {
                    if let Some(c) = self.parse_node(it) {
                        children.push(c);
                    }
                }
                if items.len() < 2 {
                    self.err(format!(
                        "'{}' should contain at least two rules",
                        k.as_str().to_uppercase()
                    ));
                    return None;
                }
                if children.len() != items.len() {
                    return None;
                }
                Some(if k == "and" {
                    RuleNode::And(children)
                } else {
                    RuleNode::Or(children)
                })
            }
            "not" => self.parse_node(val).map(|c| RuleNode::Not(Box::new(c))),
            "rule" => {
                let Value::String(s) = &**val else {
                    self.err("a rule should be a string".into());
                    return None;
                };
                self.parse_rule(s)
            }
            _ => {
                self.err(
                    "there should be only one of \"and\", \"or\", \"not\" and \"rule\"".into(),
                );
                None
            }
        }
    }

    fn parse_rule(&mut self, rule: &str) -> Option<RuleNode> {
        if rule.trim_start().starts_with('{') {
            return self.parse_rbac(rule);
        }
        self.parse_query(rule)
    }

    fn parse_rbac(&mut self, rule: &str) -> Option<RuleNode> {
        let Some(c) = RBAC.captures(rule) else {
            self.err(format!("`{rule}` is not a valid rule."));
            return None;
        };
        let variable = c[1].trim().to_string();
        let op = c[2].trim().to_string();
        let operand = c[3].trim();
        let Some(var) = variable.strip_prefix('$') else {
            self.err(format!("`{variable}` is not a valid GraphQL variable."));
            return None;
        };
        let value: serde_json::Value = match serde_json::from_str(operand) {
            Ok(v) => v,
            Err(_) => {
                self.err(format!("`{variable}` is not a valid GraphQL variable."));
                return None;
            }
        };
        let op = match op.as_str() {
            "eq" => RbacOp::Eq,
            "in" => RbacOp::In,
            "regexp" => RbacOp::Regexp,
            other => {
                self.err(format!("`{other}` operator is not supported."));
                return None;
            }
        };
        let name = match op {
            RbacOp::Eq => "eq",
            RbacOp::In => "in",
            RbacOp::Regexp => "regexp",
        };
        if value.is_null() {
            self.err(format!(
                "`{name}` operator has invalid value. null values aren't supported."
            ));
            return None;
        }
        match op {
            RbacOp::In if !value.is_array() => {
                self.err(format!(
                    "`in` operator has invalid value `{}`. Value should be an array.",
                    plain(&value)
                ));
                return None;
            }
            RbacOp::Regexp if !value.is_string() => {
                self.err(format!(
                    "`regexp` operator has invalid value `{}`. Value should be of type String.",
                    plain(&value)
                ));
                return None;
            }
            RbacOp::Eq if value.is_array() => {
                self.err(format!(
                    "`eq` operator has invalid value `{}`. Value should not be of type array.",
                    plain(&value)
                ));
                return None;
            }
            _ => {}
        }
        Some(RuleNode::Rbac(RbacRule {
            variable: var.to_string(),
            op,
            value,
        }))
    }

    fn parse_query(&mut self, rule: &str) -> Option<RuleNode> {
        let doc = match ast::Document::parse(rule, "rule.graphql") {
            Ok(d) => d,
            Err(e) => {
                let ops = e
                    .partial
                    .definitions
                    .iter()
                    .filter(|d| matches!(d, ast::Definition::OperationDefinition(_)))
                    .count();
                if ops == 0 && rule.trim().is_empty() {
                    self.err(
                        "a rule should be exactly one query, found 0 GraphQL operations".into(),
                    );
                } else {
                    let off = e
                        .errors
                        .iter()
                        .next()
                        .and_then(|d| d.line_column_range())
                        .map(|r| crate::validate::offset_of(rule, r.start.line, r.start.column));
                    let reason = crate::validate::graphql_syntax_message(rule, off);
                    self.err(format!("failed to parse GraphQL rule [reason : {reason}]"));
                }
                return None;
            }
        };
        let ops: Vec<&Node<ast::OperationDefinition>> = doc
            .definitions
            .iter()
            .filter_map(|d| match d {
                ast::Definition::OperationDefinition(o) => Some(o),
                _ => None,
            })
            .collect();
        if ops.len() != 1 {
            self.err(format!(
                "a rule should be exactly one query, found {} GraphQL operations",
                ops.len()
            ));
            return None;
        }
        let op = ops[0];
        if op.operation_type != ast::OperationType::Query {
            self.err(format!(
                "a rule should be exactly one query, found {} GraphQL operations",
                0
            ));
            return None;
        }
        let expected = format!("query{}", self.type_name);
        for sel in &op.selection_set {
            if let ast::Selection::Field(f) = sel
                && f.name != expected.as_str()
            {
                self.err(format!(
                    "expected only {expected} rules,but found {}",
                    f.name
                ));
                return None;
            }
        }
        let document = match ExecutableDocument::parse_and_validate(self.api, rule, "rule.graphql")
        {
            Ok(d) => d,
            Err(e) => {
                let reason = e
                    .errors
                    .iter()
                    .next()
                    .map(|d| validation_message(self.api, &d.error.to_string()))
                    .unwrap_or_default();
                self.err(format!(
                    "failed to validate GraphQL rule [reason : {reason}]"
                ));
                return None;
            }
        };
        Some(RuleNode::Query(QueryRule {
            text: rule.to_string(),
            variables: op.variables.iter().map(|v| v.name.to_string()).collect(),
            document,
        }))
    }
}

/// JSON value printed like Go's `%v` of a decoded value (strings without quotes).
fn plain(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

static UNKNOWN_INPUT_FIELD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^field `([_A-Za-z][_0-9A-Za-z]*)` does not exist on `([_A-Za-z][_0-9A-Za-z]*)`")
        .expect("valid regex")
});

static UNKNOWN_FIELD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^type `([_A-Za-z][_0-9A-Za-z]*)` does not have a field `([_A-Za-z][_0-9A-Za-z]*)`")
        .expect("valid regex")
});

/// Rephrase common validation errors the way Dgraph's GraphQL validator words them.
fn validation_message(api: &apollo_compiler::Schema, msg: &str) -> String {
    use apollo_compiler::schema::ExtendedType;
    let fields_of = |t: &str| -> Vec<String> {
        match api.types.get(t) {
            Some(ExtendedType::InputObject(o)) => o.fields.keys().map(|k| k.to_string()).collect(),
            Some(ExtendedType::Object(o)) => o.fields.keys().map(|k| k.to_string()).collect(),
            Some(ExtendedType::Interface(o)) => o.fields.keys().map(|k| k.to_string()).collect(),
            _ => Vec::new(),
        }
    };
    if let Some(c) = UNKNOWN_INPUT_FIELD.captures(msg) {
        let (field, ty) = (&c[1], &c[2]);
        return format!(
            "Field \"{field}\" is not defined by type {ty}.{}",
            did_you_mean(field, &fields_of(ty))
        );
    }
    if let Some(c) = UNKNOWN_FIELD.captures(msg) {
        let (ty, field) = (&c[1], &c[2]);
        return format!(
            "Cannot query field \"{field}\" on type \"{ty}\".{}",
            did_you_mean(field, &fields_of(ty))
        );
    }
    msg.to_string()
}

fn levenshtein(a: &[char], b: &[char]) -> usize {
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// ` Did you mean a, b or c?` for options lexically close to `input` (empty when none).
fn did_you_mean(input: &str, options: &[String]) -> String {
    let mut found: Vec<(usize, &String)> = Vec::new();
    for o in options {
        let distance = if o == input {
            0
        } else {
            let (a, b) = (input.to_lowercase(), o.to_lowercase());
            if a == b {
                1
            } else {
                let a: Vec<char> = a.chars().collect();
                let b: Vec<char> = b.chars().collect();
                levenshtein(&a, &b)
            }
        };
        let threshold = (input.len().max(o.len()) / 2).max(1);
        if distance <= threshold {
            found.push((distance, o));
        }
    }
    found.sort_by_key(|(d, _)| *d);
    let names: Vec<&str> = found.iter().map(|(_, o)| o.as_str()).collect();
    match names.len() {
        0 => String::new(),
        1 => format!(" Did you mean {}?", names[0]),
        n => format!(
            " Did you mean {} or {}?",
            names[..n - 1].join(", "),
            names[n - 1]
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_follow_lexical_distance() {
        let opts: Vec<String> = ["username", "userRole", "has", "and", "or", "not"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            did_you_mean("userRle", &opts),
            " Did you mean userRole or username?"
        );
        assert_eq!(did_you_mean("zzzzzzzz", &opts), "");
    }

    #[test]
    fn rbac_rule_shapes() {
        let m = RBAC
            .captures("{$ROLE: { eq: \"Admin\" } }")
            .expect("matches");
        assert_eq!(&m[1], "$ROLE");
        assert_eq!(&m[2], "eq");
        assert_eq!(m[3].trim(), "\"Admin\"");
        assert!(RBAC.captures("{ \"ADMIN\" }").is_none());
    }
}
