//! Query-side text handling: term and full-text tokens of query strings and `regexp`
//! operands.

use unicode_segmentation::UnicodeSegmentation;

use crate::EngineError;

/// Term tokens: Unicode words, lower-cased (the `term` index tokenizer).
pub fn terms(s: &str) -> Vec<String> {
    let mut out: Vec<String> = s.unicode_words().map(|w| w.to_lowercase()).collect();
    out.sort();
    out.dedup();
    out
}

/// Full-text tokens: Unicode words, lower-cased, English stop words removed, stemmed
/// (the `fulltext` index tokenizer's English analyzer).
pub fn fulltext(s: &str) -> Vec<String> {
    let stemmer = rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::English);
    let mut out: Vec<String> = s
        .unicode_words()
        .map(|w| w.to_lowercase())
        .filter(|w| !STOP_WORDS.contains(&w.as_str()))
        .map(|w| stemmer.stem(&w).into_owned())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Compiles a `regexp` operand. Only a value that is exactly one `/pattern/flags` literal is
/// a pattern; anything else is rejected, never interpreted as query syntax.
pub fn compile_regexp(v: &str) -> Result<regex::Regex, EngineError> {
    let bad = || {
        EngineError::Query(format!(
            "invalid regexp value {v:?}: expected /pattern/flags"
        ))
    };
    let rest = v.strip_prefix('/').ok_or_else(bad)?;
    let end = rest.rfind('/').ok_or_else(bad)?;
    let (pattern, flags) = (&rest[..end], &rest[end + 1..]);
    if pattern.is_empty() || !flags.chars().all(|c| c.is_ascii_alphabetic()) {
        return Err(bad());
    }
    if longest_literal_run(pattern) < 3 {
        return Err(EngineError::Query(
            "Regular expression is too wide-ranging and can't be executed efficiently.".into(),
        ));
    }
    let mut b = regex::RegexBuilder::new(pattern);
    b.case_insensitive(flags.contains('i'));
    b.size_limit(1 << 20);
    b.build()
        .map_err(|e| EngineError::Query(format!("invalid regexp {v:?}: {e}")))
}

/// Length of the longest run of literal characters in a pattern (trigram rule: a pattern
/// whose required literals are all shorter than three characters cannot use the index).
fn longest_literal_run(p: &str) -> usize {
    let mut best = 0;
    let mut cur: usize = 0;
    let mut chars = p.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(e) if e.is_ascii_alphanumeric() => {
                    best = best.max(cur);
                    cur = 0;
                }
                Some(_) => cur += 1,
                None => {}
            },
            '*' | '?' | '{' => {
                best = best.max(cur.saturating_sub(1));
                cur = 0;
            }
            '+' | '.' | '[' | ']' | '(' | ')' | '|' | '^' | '$' | '}' => {
                best = best.max(cur);
                cur = 0;
            }
            _ => cur += 1,
        }
    }
    best.max(cur)
}

const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it",
    "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there", "these",
    "they", "this", "to", "was", "will", "with",
];
