//! Tokenizers of the value indexes, shared with the query engine.
//!
//! The engine must turn query terms into index tokens with exactly these functions, so that a
//! filter finds what a mutation indexed.
//!
//! * `term`: Unicode (UAX #29) word segmentation, NFKC normalisation, lower-casing.
//! * `fulltext`: as `term`, then English possessive removal, English stop words removed, and
//!   Snowball English stemming (Dgraph's default English analyzer).
//! * `trigram`: every window of three characters of the lower-cased value.
//! * `ngram`: the words of `fulltext` kept in order (stop words dropped, stems), and every run
//!   of one to [`NGRAM_MAX`] consecutive words, joined by one space; the `ngram` operator
//!   matches a value holding the query's words as one contiguous run.
//! * `hash`: a stable 64-bit hash of the exact string.

use std::collections::BTreeSet;

use regex_syntax::hir::{Class, Hir, HirKind};
use rust_stemmers::{Algorithm, Stemmer};
use thiserror::Error;
use unicode_normalization::UnicodeNormalization;
use unicode_segmentation::UnicodeSegmentation;

/// English stop words removed by the `fulltext` tokenizer (the Snowball English list).
pub const ENGLISH_STOP_WORDS: &[&str] = &[
    "i",
    "me",
    "my",
    "myself",
    "we",
    "our",
    "ours",
    "ourselves",
    "you",
    "your",
    "yours",
    "yourself",
    "yourselves",
    "he",
    "him",
    "his",
    "himself",
    "she",
    "her",
    "hers",
    "herself",
    "it",
    "its",
    "itself",
    "they",
    "them",
    "their",
    "theirs",
    "themselves",
    "what",
    "which",
    "who",
    "whom",
    "this",
    "that",
    "these",
    "those",
    "am",
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "being",
    "have",
    "has",
    "had",
    "having",
    "do",
    "does",
    "did",
    "doing",
    "would",
    "should",
    "could",
    "ought",
    "i'm",
    "you're",
    "he's",
    "she's",
    "it's",
    "we're",
    "they're",
    "i've",
    "you've",
    "we've",
    "they've",
    "i'd",
    "you'd",
    "he'd",
    "she'd",
    "we'd",
    "they'd",
    "i'll",
    "you'll",
    "he'll",
    "she'll",
    "we'll",
    "they'll",
    "isn't",
    "aren't",
    "wasn't",
    "weren't",
    "hasn't",
    "haven't",
    "hadn't",
    "doesn't",
    "don't",
    "didn't",
    "won't",
    "wouldn't",
    "shan't",
    "shouldn't",
    "can't",
    "cannot",
    "couldn't",
    "mustn't",
    "let's",
    "that's",
    "who's",
    "what's",
    "here's",
    "there's",
    "when's",
    "where's",
    "why's",
    "how's",
    "a",
    "an",
    "the",
    "and",
    "but",
    "if",
    "or",
    "because",
    "as",
    "until",
    "while",
    "of",
    "at",
    "by",
    "for",
    "with",
    "about",
    "against",
    "between",
    "into",
    "through",
    "during",
    "before",
    "after",
    "above",
    "below",
    "to",
    "from",
    "up",
    "down",
    "in",
    "out",
    "on",
    "off",
    "over",
    "under",
    "again",
    "further",
    "then",
    "once",
    "here",
    "there",
    "when",
    "where",
    "why",
    "how",
    "all",
    "any",
    "both",
    "each",
    "few",
    "more",
    "most",
    "other",
    "some",
    "such",
    "no",
    "nor",
    "not",
    "only",
    "own",
    "same",
    "so",
    "than",
    "too",
    "very",
];

/// Unicode words of `s`, NFKC-normalised and lower-cased, in order (duplicates kept).
fn normalized_words(s: &str) -> impl Iterator<Item = String> + '_ {
    s.unicode_words()
        .map(|w| w.nfkc().collect::<String>().to_lowercase())
}

/// Tokens of the `term` index (and of `allofterms`/`anyofterms` arguments), deduplicated and
/// sorted.
pub fn term_tokens(s: &str) -> Vec<String> {
    let set: BTreeSet<String> = normalized_words(s).collect();
    set.into_iter().collect()
}

/// True when `word` (already lower-cased) is an English stop word.
pub fn is_stop_word(word: &str) -> bool {
    let w = word.replace('\u{2019}', "'");
    ENGLISH_STOP_WORDS.contains(&w.as_str())
}

/// The analysed words of `s` in order (duplicates kept): stop words dropped, possessives
/// removed, Snowball English stems. Shared by `fulltext` and `ngram`.
pub fn analyzed_words(s: &str) -> Vec<String> {
    let stemmer = Stemmer::create(Algorithm::English);
    let mut out = Vec::new();
    for w in normalized_words(s) {
        if is_stop_word(&w) {
            continue;
        }
        let w = w
            .strip_suffix("'s")
            .or_else(|| w.strip_suffix("\u{2019}s"))
            .unwrap_or(&w);
        if w.is_empty() {
            continue;
        }
        out.push(stemmer.stem(w).into_owned());
    }
    out
}

/// Tokens of the `fulltext` index (and of `alloftext`/`anyoftext` arguments), deduplicated and
/// sorted: stop words dropped, possessives removed, Snowball English stems.
pub fn fulltext_tokens(s: &str) -> Vec<String> {
    let set: BTreeSet<String> = analyzed_words(s).into_iter().collect();
    set.into_iter().collect()
}

/// The longest run of consecutive words the `ngram` index keeps as one token.
pub const NGRAM_MAX: usize = 3;

/// Tokens of the `ngram` index, deduplicated and sorted: every run of 1 to [`NGRAM_MAX`]
/// consecutive analysed words of the value, joined by one space.
pub fn ngram_tokens(s: &str) -> Vec<String> {
    let words = analyzed_words(s);
    let mut set = BTreeSet::new();
    for n in 1..=NGRAM_MAX {
        for w in words.windows(n) {
            set.insert(w.join(" "));
        }
    }
    set.into_iter().collect()
}

/// The index tokens every value matching the `ngram` query `q` must have (deduplicated,
/// sorted): the query's runs of `min(len, NGRAM_MAX)` words. Empty when the query has no
/// words left after analysis (such a query matches nothing).
pub fn ngram_query_tokens(q: &str) -> Vec<String> {
    let words = analyzed_words(q);
    let n = words.len().min(NGRAM_MAX);
    if n == 0 {
        return Vec::new();
    }
    let set: BTreeSet<String> = words.windows(n).map(|w| w.join(" ")).collect();
    set.into_iter().collect()
}

/// The `ngram` operator on one value: whether the analysed words of `value` contain the
/// analysed words of `query_words` (from [`analyzed_words`]) as one contiguous run. A query
/// without words matches nothing.
pub fn ngram_matches(value: &str, query_words: &[String]) -> bool {
    if query_words.is_empty() {
        return false;
    }
    analyzed_words(value)
        .windows(query_words.len())
        .any(|w| w == query_words)
}

/// Tokens of the `trigram` index: every three-character window of the lower-cased value,
/// deduplicated and sorted. Values shorter than three characters have none.
pub fn trigram_tokens(s: &str) -> Vec<String> {
    let chars: Vec<char> = s.to_lowercase().chars().collect();
    let set: BTreeSet<String> = chars.windows(3).map(|w| w.iter().collect()).collect();
    set.into_iter().collect()
}

/// Token of the `hash` index: 64-bit FNV-1a of the UTF-8 bytes (stable across versions).
pub fn hash_token(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Why a regular expression cannot be answered from a trigram index.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum RegexIndexError {
    /// The pattern does not parse.
    #[error("invalid regular expression: {0}")]
    Invalid(String),
    /// The pattern has no required literal of three or more characters (Dgraph refuses it).
    #[error("regular expression is too wide-ranging and can't be executed efficiently")]
    TooWide,
}

/// A boolean query over trigram tokens whose result is a superset of the regex's matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrigramQuery {
    /// No constraint (every value is a candidate).
    All,
    /// The value must contain this trigram.
    Trigram(String),
    /// All sub-queries must hold.
    And(Vec<TrigramQuery>),
    /// At least one sub-query must hold.
    Or(Vec<TrigramQuery>),
}

impl TrigramQuery {
    fn and(items: Vec<TrigramQuery>) -> TrigramQuery {
        let mut out = Vec::new();
        for q in items {
            match q {
                TrigramQuery::All => {}
                TrigramQuery::And(v) => out.extend(v),
                q => out.push(q),
            }
        }
        out.dedup();
        match out.len() {
            0 => TrigramQuery::All,
            1 => out.pop().expect("one"),
            _ => TrigramQuery::And(out),
        }
    }

    fn or(items: Vec<TrigramQuery>) -> TrigramQuery {
        let mut out = Vec::new();
        for q in items {
            match q {
                TrigramQuery::All => return TrigramQuery::All,
                TrigramQuery::Or(v) => out.extend(v),
                q => out.push(q),
            }
        }
        out.dedup();
        match out.len() {
            0 => TrigramQuery::All,
            1 => out.pop().expect("one"),
            _ => TrigramQuery::Or(out),
        }
    }

    fn from_strings(set: &BTreeSet<String>) -> TrigramQuery {
        if set.is_empty() {
            return TrigramQuery::All;
        }
        TrigramQuery::or(
            set.iter()
                .map(|s| {
                    let grams = trigram_tokens(s);
                    if grams.is_empty() {
                        TrigramQuery::All
                    } else {
                        TrigramQuery::and(grams.into_iter().map(TrigramQuery::Trigram).collect())
                    }
                })
                .collect(),
        )
    }
}

const MAX_EXACT: usize = 64;
const MAX_CLASS: u32 = 8;

struct Info {
    /// The complete set of strings the sub-expression matches, when small.
    exact: Option<BTreeSet<String>>,
    /// Required trigrams when `exact` is `None`.
    query: TrigramQuery,
}

impl Info {
    fn exact(set: BTreeSet<String>) -> Info {
        Info {
            exact: Some(set),
            query: TrigramQuery::All,
        }
    }
    fn inexact(query: TrigramQuery) -> Info {
        Info { exact: None, query }
    }
    fn into_query(self) -> TrigramQuery {
        match self.exact {
            Some(set) => TrigramQuery::from_strings(&set),
            None => self.query,
        }
    }
}

fn analyze(h: &Hir) -> Info {
    match h.kind() {
        HirKind::Empty | HirKind::Look(_) => Info::exact(BTreeSet::from([String::new()])),
        HirKind::Literal(lit) => Info::exact(BTreeSet::from([
            String::from_utf8_lossy(&lit.0).to_lowercase()
        ])),
        HirKind::Class(Class::Unicode(c)) => {
            let count: u32 = c
                .ranges()
                .iter()
                .map(|r| u32::from(r.end()) - u32::from(r.start()) + 1)
                .sum();
            if count == 0 || count > MAX_CLASS {
                return Info::inexact(TrigramQuery::All);
            }
            let set = c
                .iter()
                .flat_map(|r| (r.start()..=r.end()).map(|ch| ch.to_lowercase().collect::<String>()))
                .collect();
            Info::exact(set)
        }
        HirKind::Class(Class::Bytes(c)) => {
            let count: u32 = c
                .ranges()
                .iter()
                .map(|r| u32::from(r.end()) - u32::from(r.start()) + 1)
                .sum();
            if count == 0 || count > MAX_CLASS || c.ranges().iter().any(|r| r.end() >= 0x80) {
                return Info::inexact(TrigramQuery::All);
            }
            let set = c
                .iter()
                .flat_map(|r| (r.start()..=r.end()).map(|b| (b as char).to_lowercase().collect()))
                .collect();
            Info::exact(set)
        }
        HirKind::Repetition(rep) => {
            if rep.min == 0 {
                Info::inexact(TrigramQuery::All)
            } else if rep.min == 1 && rep.max == Some(1) {
                analyze(&rep.sub)
            } else {
                Info::inexact(analyze(&rep.sub).into_query())
            }
        }
        HirKind::Capture(cap) => analyze(&cap.sub),
        HirKind::Concat(items) => {
            let mut acc = Info::exact(BTreeSet::from([String::new()]));
            for item in items {
                let next = analyze(item);
                acc = match (acc.exact, next.exact) {
                    (Some(a), Some(b)) if a.len() * b.len() <= MAX_EXACT => {
                        let mut set = BTreeSet::new();
                        for x in &a {
                            for y in &b {
                                set.insert(format!("{x}{y}"));
                            }
                        }
                        Info::exact(set)
                    }
                    (ae, be) => {
                        let aq = Info {
                            exact: ae,
                            query: acc.query,
                        }
                        .into_query();
                        let bq = Info {
                            exact: be,
                            query: next.query,
                        }
                        .into_query();
                        Info::inexact(TrigramQuery::and(vec![aq, bq]))
                    }
                };
            }
            acc
        }
        HirKind::Alternation(items) => {
            let infos: Vec<Info> = items.iter().map(analyze).collect();
            if infos.iter().all(|i| i.exact.is_some()) {
                let union: BTreeSet<String> = infos
                    .iter()
                    .flat_map(|i| i.exact.as_ref().expect("checked").iter().cloned())
                    .collect();
                if union.len() <= MAX_EXACT {
                    return Info::exact(union);
                }
            }
            Info::inexact(TrigramQuery::or(
                infos.into_iter().map(Info::into_query).collect(),
            ))
        }
    }
}

/// Parses `pattern` (RE2 syntax) and derives the trigram query that selects candidate values
/// from a trigram index. Fails with [`RegexIndexError::TooWide`] when the pattern has no
/// required literal of three or more characters, which Dgraph refuses to run.
pub fn regex_trigram_query(
    pattern: &str,
    case_insensitive: bool,
) -> Result<TrigramQuery, RegexIndexError> {
    let hir = regex_syntax::ParserBuilder::new()
        .case_insensitive(case_insensitive)
        .build()
        .parse(pattern)
        .map_err(|e| RegexIndexError::Invalid(e.to_string()))?;
    match analyze(&hir).into_query() {
        TrigramQuery::All => Err(RegexIndexError::TooWide),
        q => Ok(q),
    }
}

/// Compiles `pattern` for matching stored values (the verification step after the index).
pub fn compile_regex(
    pattern: &str,
    case_insensitive: bool,
) -> Result<regex::Regex, RegexIndexError> {
    regex::RegexBuilder::new(pattern)
        .case_insensitive(case_insensitive)
        .size_limit(1 << 22)
        .build()
        .map_err(|e| RegexIndexError::Invalid(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> TrigramQuery {
        TrigramQuery::Trigram(s.to_string())
    }

    #[test]
    fn term_tokens_split_normalise_lowercase() {
        assert_eq!(term_tokens("Hello, WORLD! hello"), vec!["hello", "world"]);
        // NFKC folds the ligature "ﬁ" into "fi" and the full-width "Ａ" into "a".
        assert_eq!(term_tokens("ﬁne Ａpple"), vec!["apple", "fine"]);
        // UAX #29 splits ideographs one per word.
        assert_eq!(term_tokens("日本"), vec!["日", "本"]);
    }

    #[test]
    fn fulltext_stems_and_drops_stop_words() {
        // Hand-checked Snowball English stems: running→run, dogs→dog, quickly→quick,
        // jumped→jump; "the", "are", "over" are stop words.
        assert_eq!(
            fulltext_tokens("The dogs are running quickly and jumped over"),
            vec!["dog", "jump", "quick", "run"]
        );
        assert_eq!(
            fulltext_tokens("Generously connected"),
            vec!["connect", "generous"]
        );
        // Possessive removed before stemming; "he's" is a stop word.
        assert_eq!(fulltext_tokens("John's he's"), vec!["john"]);
        assert!(fulltext_tokens("the of and to").is_empty());
    }

    #[test]
    fn ngram_tokens_are_runs_of_analysed_words() {
        // "for" is a stop word; Running→run, Cardiovascular→cardiovascular, Health→health.
        assert_eq!(
            ngram_tokens("Running for Cardiovascular Health"),
            vec![
                "cardiovascular",
                "cardiovascular health",
                "health",
                "run",
                "run cardiovascular",
                "run cardiovascular health",
            ]
        );
        assert!(ngram_tokens("the of and").is_empty());
        // Four words give runs of at most three.
        assert_eq!(ngram_tokens("alpha beta gamma delta").len(), 4 + 3 + 2);
    }

    #[test]
    fn ngram_query_tokens_use_the_longest_runs() {
        assert_eq!(ngram_query_tokens("Healthy"), vec!["healthi"]);
        assert_eq!(ngram_query_tokens("healthy eating"), vec!["healthi eat"]);
        assert_eq!(
            ngram_query_tokens("alpha beta gamma delta"),
            vec!["alpha beta gamma", "beta gamma delta"]
        );
        assert!(ngram_query_tokens("the and").is_empty());
    }

    #[test]
    fn ngram_matches_contiguous_runs_only() {
        let q = |s: &str| analyzed_words(s);
        let v = "Strength training builds muscle mass and bone density";
        assert!(ngram_matches(v, &q("training builds")));
        assert!(ngram_matches(v, &q("TRAINING BUILD")));
        // Stop words are skipped on both sides: "mass and bone" is the run "mass bone".
        assert!(ngram_matches(v, &q("mass bone")));
        assert!(ngram_matches(v, &q("muscle mass and bone density")));
        // Both words are there, but not next to each other / not in that order.
        assert!(!ngram_matches(v, &q("strength muscle")));
        assert!(!ngram_matches(v, &q("builds training")));
        assert!(!ngram_matches(v, &q("cardio")));
        assert!(!ngram_matches(v, &q("and")));
    }

    #[test]
    fn trigrams_of_value() {
        assert_eq!(trigram_tokens("Abcd"), vec!["abc", "bcd"]);
        assert!(trigram_tokens("ab").is_empty());
        assert_eq!(trigram_tokens("aaaa"), vec!["aaa"]);
    }

    #[test]
    fn hash_is_fnv1a() {
        // FNV-1a 64 test vectors: "" and "a".
        assert_eq!(hash_token(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(hash_token("a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn regex_literal_queries() {
        assert_eq!(
            regex_trigram_query("abcd", false).unwrap(),
            TrigramQuery::And(vec![t("abc"), t("bcd")])
        );
        // Alternation of exact strings.
        assert_eq!(
            regex_trigram_query("^caf[eé]", false).unwrap(),
            TrigramQuery::Or(vec![
                TrigramQuery::And(vec![t("afe"), t("caf")]),
                TrigramQuery::And(vec![t("afé"), t("caf")]),
            ])
        );
        // Literal inside wildcards.
        assert_eq!(regex_trigram_query(".*fox.*", false).unwrap(), t("fox"));
        // Case-insensitive literals are lower-cased (the index is lower-cased too).
        assert_eq!(regex_trigram_query("FOX", true).unwrap(), t("fox"));
        assert_eq!(regex_trigram_query("FOX", false).unwrap(), t("fox"));
        // Optional part contributes nothing, required parts are conjoined.
        assert_eq!(
            regex_trigram_query("abc(xyz)?.+def", false).unwrap(),
            TrigramQuery::And(vec![t("abc"), t("def")])
        );
    }

    #[test]
    fn regex_too_wide() {
        assert_eq!(
            regex_trigram_query("ab", false),
            Err(RegexIndexError::TooWide)
        );
        assert_eq!(
            regex_trigram_query("[a-z]+", false),
            Err(RegexIndexError::TooWide)
        );
        assert_eq!(
            regex_trigram_query("abc|de", false),
            Err(RegexIndexError::TooWide)
        );
        assert_eq!(
            regex_trigram_query(".*", false),
            Err(RegexIndexError::TooWide)
        );
        assert!(matches!(
            regex_trigram_query("(abc", false),
            Err(RegexIndexError::Invalid(_))
        ));
    }
}
