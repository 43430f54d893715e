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
