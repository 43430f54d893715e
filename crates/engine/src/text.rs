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

/// The analysed words of an `ngram` operand (the `ngram` index's analysis, order kept).
pub fn ngram_words(s: &str) -> Vec<String> {
    tokenize::analyzed_words(s)
}

/// The `ngram` operator on one stored string: its words contain `query_words` as one run.
pub fn ngram_matches(value: &str, query_words: &[String]) -> bool {
    tokenize::ngram_matches(value, query_words)
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

/// Compiles a `regexp` operand for checking candidate values one by one. There is no width
/// rule here: as in Dgraph, a regexp in a filter is matched against the nodes the query has
/// already selected (the type, an id list, other filters), so it never has to select
/// candidates from the trigram index on its own. The "too wide-ranging" refusal belongs to
/// the index lookup ([`tokenize::regex_trigram_query`]), whose refusal makes the engine
/// scan the candidates instead.
pub fn compile_regexp(v: &str) -> Result<regex::Regex, EngineError> {
    let (pattern, ci) = parse_regexp(v)?;
    tokenize::compile_regex(pattern, ci)
        .map_err(|e: RegexIndexError| EngineError::Query(e.to_string()))
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
    fn regexp_filters_have_no_width_rule() {
        assert!(compile_regexp("/^Ann/").is_ok());
        // Too short for the trigram index, yet fine for checking candidates one by one.
        let re = compile_regexp("/n/").unwrap();
        assert!(re.is_match("Ann"));
        assert!(!re.is_match("Bob"));
        assert!(compile_regexp("/^A.*/").unwrap().is_match("Angola"));
        assert!(compile_regexp("/other/i").unwrap().is_match("Ann OTHER"));
        // A pattern that does not parse is still an error.
        let e = compile_regexp("/(ab/").unwrap_err().to_string();
        assert!(e.contains("invalid regular expression"), "{e}");
    }

    #[test]
    fn tokens_match_the_index() {
        assert_eq!(terms("Hello, WORLD hello"), vec!["hello", "world"]);
        assert_eq!(fulltext("the databases"), vec!["databas"]);
    }
}
