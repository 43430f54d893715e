//! Compact printing of GraphQL literal values (Dgraph's directive-argument layout).

use apollo_compiler::ast::Value;

/// Print a value compactly: strings quoted, lists `[a,b]`, objects `{k:v,…}`.
pub(crate) fn compact(v: &Value) -> String {
    let mut out = String::new();
    write_compact(&mut out, v);
    out
}

fn write_compact(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Enum(n) => out.push_str(n.as_str()),
        Value::Variable(n) => {
            out.push('$');
            out.push_str(n.as_str())
        }
        Value::String(s) => quote_into(out, s),
        Value::Float(f) => out.push_str(f.as_str()),
        Value::Int(i) => out.push_str(i.as_str()),
        Value::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_compact(out, item);
            }
            out.push(']');
        }
        Value::Object(fields) => {
            out.push('{');
            for (i, (k, item)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(k.as_str());
                out.push(':');
                write_compact(out, item);
            }
            out.push('}');
        }
    }
}

/// Quote a string the way Go's `strconv.Quote` does (printable Unicode kept as is).
pub(crate) fn quote_into(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() => {
                let n = c as u32;
                if n <= 0xffff {
                    out.push_str(&format!("\\u{n:04x}"));
                } else {
                    out.push_str(&format!("\\U{n:08x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The string content of a value that may be written as a string or an enum literal.
pub(crate) fn as_str_loose(v: &Value) -> Option<&str> {
    match v {
        Value::String(s) => Some(s.as_str()),
        Value::Enum(n) => Some(n.as_str()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use apollo_compiler::{Name, Node};

    #[test]
    fn compact_object_and_list() {
        let v = Value::Object(vec![
            (
                Name::new("url").unwrap(),
                Node::new(Value::String("http://x/$id".into())),
            ),
            (
                Name::new("by").unwrap(),
                Node::new(Value::List(vec![
                    Node::new(Value::Enum(Name::new("term").unwrap())),
                    Node::new(Value::String("a\"b\n".into())),
                ])),
            ),
        ]);
        assert_eq!(compact(&v), r#"{url:"http://x/$id",by:[term,"a\"b\n"]}"#);
    }
}
