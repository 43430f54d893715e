//! Predicate schemas: the kind of each predicate and the indexes kept for it.

use crate::error::{Result, StoreError};
use crate::value::ValueKind;

/// An index kind (Dgraph's tokenizer names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IndexKind {
    /// Equality on strings via a 64-bit hash.
    Hash,
    /// Ordered full strings (eq, ranges, ordering).
    Exact,
    /// Unicode words, lower-cased.
    Term,
    /// Stemmed words without stop words.
    Fulltext,
    /// Three-character windows (regexp).
    Trigram,
    /// Ordered integers.
    Int,
    /// Ordered floats.
    Float,
    /// Booleans.
    Bool,
    /// Datetimes bucketed by year.
    Year,
    /// Datetimes bucketed by month.
    Month,
    /// Datetimes bucketed by day.
    Day,
    /// Datetimes bucketed by hour.
    Hour,
    /// Geo cells.
    Geo,
    /// Runs of one to three analysed words (`ngram` search). Listed last: the on-disk byte of
    /// an index kind is its position in [`IndexKind::ALL`].
    Ngram,
}

impl IndexKind {
    /// Every index kind.
    pub const ALL: [IndexKind; 14] = [
        IndexKind::Hash,
        IndexKind::Exact,
        IndexKind::Term,
        IndexKind::Fulltext,
        IndexKind::Trigram,
        IndexKind::Int,
        IndexKind::Float,
        IndexKind::Bool,
        IndexKind::Year,
        IndexKind::Month,
        IndexKind::Day,
        IndexKind::Hour,
        IndexKind::Geo,
        IndexKind::Ngram,
    ];

    /// Dgraph's name of the index.
    pub fn name(self) -> &'static str {
        match self {
            IndexKind::Hash => "hash",
            IndexKind::Exact => "exact",
            IndexKind::Term => "term",
            IndexKind::Fulltext => "fulltext",
            IndexKind::Trigram => "trigram",
            IndexKind::Int => "int",
            IndexKind::Float => "float",
            IndexKind::Bool => "bool",
            IndexKind::Year => "year",
            IndexKind::Month => "month",
            IndexKind::Day => "day",
            IndexKind::Hour => "hour",
            IndexKind::Geo => "geo",
            IndexKind::Ngram => "ngram",
        }
    }

    /// The index kind with Dgraph's name `name` (`regexp` is an alias of `trigram`,
    /// `int64` of `int`).
    pub fn from_name(name: &str) -> Option<IndexKind> {
        Some(match name {
            "regexp" => IndexKind::Trigram,
            "int64" => IndexKind::Int,
            _ => *IndexKind::ALL.iter().find(|k| k.name() == name)?,
        })
    }

    pub(crate) fn byte(self) -> u8 {
        IndexKind::ALL
            .iter()
            .position(|k| *k == self)
            .expect("listed") as u8
            + 1
    }

    fn from_byte(b: u8) -> Result<IndexKind> {
        IndexKind::ALL
            .get((b as usize).wrapping_sub(1))
            .copied()
            .ok_or_else(|| StoreError::Corrupt(format!("unknown index byte {b}")))
    }

    /// The value kind this index applies to.
    pub fn value_kind(self) -> ValueKind {
        match self {
            IndexKind::Hash
            | IndexKind::Exact
            | IndexKind::Term
            | IndexKind::Fulltext
            | IndexKind::Trigram
            | IndexKind::Ngram => ValueKind::String,
            IndexKind::Int => ValueKind::Int,
            IndexKind::Float => ValueKind::Float,
            IndexKind::Bool => ValueKind::Bool,
            IndexKind::Year | IndexKind::Month | IndexKind::Day | IndexKind::Hour => {
                ValueKind::DateTime
            }
            IndexKind::Geo => ValueKind::Geo,
        }
    }
}

/// Storage schema of one predicate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PredicateSchema {
    /// Predicate name, e.g. `Person.name`.
    pub name: String,
    /// Kind of the values (or `Uid` for edges).
    pub kind: ValueKind,
    /// Whether the predicate holds a set of values (`[kind]`); otherwise setting replaces.
    pub list: bool,
    /// Indexes kept for the predicate (sorted, deduplicated on write).
    pub indexes: Vec<IndexKind>,
    /// Dgraph's `@upsert` flag (informational; uniqueness is checked by the engine).
    pub upsert: bool,
}

impl PredicateSchema {
    /// A schema without indexes.
    pub fn new(name: impl Into<String>, kind: ValueKind, list: bool) -> Self {
        PredicateSchema {
            name: name.into(),
            kind,
            list,
            indexes: Vec::new(),
            upsert: false,
        }
    }

    /// Adds an index (builder style).
    pub fn with_index(mut self, index: IndexKind) -> Self {
        if !self.indexes.contains(&index) {
            self.indexes.push(index);
            self.indexes.sort();
        }
        self
    }

    /// Checks that every index applies to the predicate's kind and that the name is usable.
    pub fn validate(&self) -> Result<()> {
        crate::keys::check_name(&self.name, false)?;
        for i in &self.indexes {
            if i.value_kind() != self.kind {
                return Err(StoreError::KindMismatch {
                    predicate: self.name.clone(),
                    expected: self.kind.name(),
                    got: i.value_kind().name(),
                });
            }
        }
        Ok(())
    }

    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = vec![
            1u8,
            kind_byte(self.kind),
            u8::from(self.list),
            u8::from(self.upsert),
        ];
        out.push(self.indexes.len() as u8);
        out.extend(self.indexes.iter().map(|i| i.byte()));
        out
    }

    pub(crate) fn decode(name: &str, b: &[u8]) -> Result<Self> {
        let bad = || StoreError::Corrupt(format!("bad schema record for {name}"));
        if b.len() < 5 || b[0] != 1 {
            return Err(bad());
        }
        let n = b[4] as usize;
        let idx = b.get(5..5 + n).ok_or_else(bad)?;
        Ok(PredicateSchema {
            name: name.to_string(),
            kind: kind_from_byte(b[1])?,
            list: b[2] != 0,
            upsert: b[3] != 0,
            indexes: idx
                .iter()
                .map(|&x| IndexKind::from_byte(x))
                .collect::<Result<_>>()?,
        })
    }
}

const KINDS: [ValueKind; 8] = [
    ValueKind::Int,
    ValueKind::Float,
    ValueKind::String,
    ValueKind::Bool,
    ValueKind::DateTime,
    ValueKind::Geo,
    ValueKind::Password,
    ValueKind::Uid,
];

fn kind_byte(k: ValueKind) -> u8 {
    KINDS.iter().position(|x| *x == k).expect("listed") as u8
}

fn kind_from_byte(b: u8) -> Result<ValueKind> {
    KINDS
        .get(b as usize)
        .copied()
        .ok_or_else(|| StoreError::Corrupt(format!("unknown kind byte {b}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_round_trip() {
        let s = PredicateSchema::new("Person.name", ValueKind::String, false)
            .with_index(IndexKind::Trigram)
            .with_index(IndexKind::Hash)
            .with_index(IndexKind::Hash);
        assert_eq!(s.indexes, vec![IndexKind::Hash, IndexKind::Trigram]);
        let back = PredicateSchema::decode("Person.name", &s.encode()).unwrap();
        assert_eq!(back, s);
        assert_eq!(IndexKind::from_name("regexp"), Some(IndexKind::Trigram));
        assert_eq!(IndexKind::from_name("day"), Some(IndexKind::Day));
        assert_eq!(IndexKind::from_name("nope"), None);
    }

    #[test]
    fn index_must_fit_kind() {
        let s = PredicateSchema::new("age", ValueKind::Int, false).with_index(IndexKind::Term);
        assert!(s.validate().is_err());
        let s = PredicateSchema::new("age", ValueKind::Int, false).with_index(IndexKind::Int);
        assert!(s.validate().is_ok());
    }
}
