//! Query-side text handling: term and full-text tokens of query strings (the very tokenizers
//! the store's indexes use) and `regexp` operands.

use graphcloud_store::RegexIndexError;
use graphcloud_store::tokenize;

use crate::EngineError;

/// Term tokens (the `term` index tokenizer).
pub fn terms(s: &str) -> Vec<String> {
    tokenize::term_tokens(s)
}

/// Full-text tokens (the `fulltext` index tokenizer: English stop words, stemming).
pub fn fulltext(s: &str) -> Vec<String> {
    tokenize::fulltext_tokens(s)
}

/// A `regexp` operand split into pattern and case-insensitivity. Only a value that is exactly
/// one `/pattern/flags` literal is a pattern; anything else is rejected and never interpreted
/// as query syntax.
pub fn parse_regexp(v: &str) -> Result<(&str, bool), EngineError> {
    let bad = || {
        EngineError::Query(format!(
            "invalid regexp value {v:?}: expected a regular expression in the form /pattern/flags"
        ))
    };
    let rest = v.strip_prefix('/').ok_or_else(bad)?;
    let end = rest.rfind('/').ok_or_else(bad)?;
    let (pattern, flags) = (&rest[..end], &rest[end + 1..]);
    if pattern.is_empty() || !flags.chars().all(|c| c.is_ascii_alphabetic()) {
        return Err(bad());
    }
    Ok((pattern, flags.contains('i')))
}

/// Compiles a `regexp` operand, refusing patterns Dgraph refuses (no required literal of
/// three or more characters, so the trigram index cannot narrow them).
pub fn compile_regexp(v: &str) -> Result<regex::Regex, EngineError> {
    let (pattern, ci) = parse_regexp(v)?;
    let map = |e: RegexIndexError| EngineError::Query(e.to_string());
    tokenize::regex_trigram_query(pattern, ci).map_err(map)?;
    tokenize::compile_regex(pattern, ci).map_err(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regexp_operand_must_be_one_slash_literal() {
        assert_eq!(parse_regexp("/abc/").unwrap(), ("abc", false));
        assert_eq!(parse_regexp("/a/b/i").unwrap(), ("a/b", true));
        for bad in ["abc", "/abc", "abc/", "//", "/abc/1", "/abc/ i"] {
            assert!(parse_regexp(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn regexp_width_rule() {
        assert!(compile_regexp("/^Ann/").is_ok());
        let e = compile_regexp("/^A.*/").unwrap_err().to_string();
        assert!(e.contains("too wide-ranging"), "{e}");
        assert!(compile_regexp("/other/i").unwrap().is_match("Ann OTHER"));
    }

    #[test]
    fn tokens_match_the_index() {
        assert_eq!(terms("Hello, WORLD hello"), vec!["hello", "world"]);
        assert_eq!(fulltext("the databases"), vec!["databas"]);
    }
}
