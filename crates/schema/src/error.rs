//! Schema errors in Dgraph's shape.

use std::fmt;

/// A line/column position in the SDL (both 1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
}

/// One schema error: a message and where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaError {
    /// Dgraph's message text.
    pub message: String,
    /// Positions (may be empty).
    pub locations: Vec<Location>,
}

impl SchemaError {
    pub(crate) fn new(message: impl Into<String>, locations: Vec<Location>) -> Self {
        SchemaError {
            message: message.into(),
            locations,
        }
    }

    pub(crate) fn at(message: impl Into<String>, loc: Option<Location>) -> Self {
        SchemaError {
            message: message.into(),
            locations: loc.into_iter().collect(),
        }
    }
}

impl fmt::Display for SchemaError {
    /// Dgraph's wire form: `input:<line>: <message>` (or just the message without a location).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.locations.first() {
            Some(l) => write!(f, "input:{}: {}", l.line, self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// All errors found in a rejected schema, in Dgraph's order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct SchemaErrors {
    errors: Vec<SchemaError>,
}

impl SchemaErrors {
    pub(crate) fn new(errors: Vec<SchemaError>) -> Self {
        SchemaErrors { errors }
    }

    pub(crate) fn one(e: SchemaError) -> Self {
        SchemaErrors { errors: vec![e] }
    }

    /// The individual errors.
    pub fn errors(&self) -> &[SchemaError] {
        &self.errors
    }
}

impl fmt::Display for SchemaErrors {
    /// Lines `input:<line>: <msg>` joined by `\n` (the text `/admin` embeds in
    /// `resolving updateGQLSchema failed because <text>`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}
