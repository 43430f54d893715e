//! The part of DQL served on `POST /query` so far: schema queries (spec cloud-api §4.5),
//! `schema { … }`, `schema(pred: [a, b]) { … }` and `schema(type: [T]) { … }`. Any other
//! DQL is refused with a DQL-shaped error (full DQL is a separate piece of work).

/// A parsed schema query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SchemaQuery {
    /// `pred: […]`: only these predicates (and no types).
    pub preds: Option<Vec<String>>,
    /// `type: […]`: only these types (and no predicates).
    pub types: Option<Vec<String>>,
    /// The names in the braces (unknown ones such as `__typename` are ignored); `None` when
    /// empty or when none is a known field, which means every field.
    pub fields: Option<Vec<String>>,
}

/// Fields of a predicate in a schema answer.
const KNOWN_FIELDS: &[&str] = &[
    "type",
    "index",
    "tokenizer",
    "reverse",
    "count",
    "list",
    "upsert",
    "lang",
    "unique",
];

/// The message for DQL that is not a schema query.
pub const UNSUPPORTED: &str = "this server answers only schema queries on /query for now (schema { … }, schema(pred: [...]) { … }, schema(type: [...]) { … }); other DQL is not supported yet";

fn names(list: &str) -> Vec<String> {
    list.trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .split(',')
        .map(|s| s.trim().trim_matches(['<', '>', '"']).to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Parses `q`; `Err` carries the client-visible message.
pub fn parse_schema_query(q: &str) -> Result<SchemaQuery, String> {
    let mut rest = q.trim();
    // An optional `query name` / outer braces are not part of schema queries; a bare
    // `schema` block is what Dgraph's clients send.
    let Some(after) = rest.strip_prefix("schema") else {
        return Err(UNSUPPORTED.to_string());
    };
    rest = after.trim_start();
    let mut out = SchemaQuery::default();
    if let Some(args) = rest.strip_prefix('(') {
        let end = args
            .find(')')
            .ok_or("while parsing the schema query: unclosed `(`")?;
        for arg in split_args(&args[..end]) {
            let (k, v) = arg.split_once(':').ok_or_else(|| {
                format!("while parsing the schema query: invalid argument `{arg}`")
            })?;
            match k.trim() {
                "pred" => out.preds = Some(names(v)),
                "type" => out.types = Some(names(v)),
                other => {
                    return Err(format!(
                        "while parsing the schema query: invalid schema argument `{other}`"
                    ));
                }
            }
        }
        rest = args[end + 1..].trim_start();
    }
    let body = rest
        .strip_prefix('{')
        .ok_or("while parsing the schema query: expected `{`")?;
    let end = body
        .find('}')
        .ok_or("while parsing the schema query: unclosed `{`")?;
    if !body[end + 1..].trim().is_empty() {
        return Err(UNSUPPORTED.to_string());
    }
    let fields: Vec<String> = body[..end]
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|f| KNOWN_FIELDS.contains(f))
        .map(str::to_string)
        .collect();
    if !fields.is_empty() {
        out.fields = Some(fields);
    }
    Ok(out)
}

/// Splits `pred: [a, b], type: T` at the commas outside brackets.
fn split_args(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0usize);
    for (i, c) in s.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            ',' if depth == 0 => {
                out.push(s[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(s[start..].trim());
    out.into_iter().filter(|a| !a.is_empty()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_queries() {
        assert_eq!(
            parse_schema_query("schema { __typename }").unwrap(),
            SchemaQuery::default()
        );
        assert_eq!(
            parse_schema_query(" schema {}\n").unwrap(),
            SchemaQuery::default()
        );
        assert_eq!(
            parse_schema_query("schema(pred: [Person.name, <Person.age>]) { type index }").unwrap(),
            SchemaQuery {
                preds: Some(vec!["Person.name".into(), "Person.age".into()]),
                types: None,
                fields: Some(vec!["type".into(), "index".into()]),
            }
        );
        assert_eq!(
            parse_schema_query("schema(type: Person) {}").unwrap().types,
            Some(vec!["Person".into()])
        );
        for q in [
            "{ q(func: has(Person.name)) { uid } }",
            "schema {} { q(func: uid(1)) { uid } }",
            "schema(foo: 1) {}",
            "schema(pred: [a] {}",
            "schema",
        ] {
            assert!(parse_schema_query(q).is_err(), "{q}");
        }
    }
}
