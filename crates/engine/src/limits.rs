//! Every bound on the work one request may cause, in one place.
//!
//! Two kinds of bounds:
//!
//! * **Before execution** ([`check_operation`]): the size of the document, the parser's nesting
//!   and token limits, and the shape of the selected operation after fragment expansion —
//!   selected fields (every spread counted in full, so a document whose fragments spread each
//!   other exponentially is refused), nesting depth, the length of fragment-spread chains, and
//!   the nesting of introspection list fields. The check costs time linear in the document: each
//!   fragment is measured once and its measure reused at every spread.
//! * **During execution** ([`Budget`]): the number of result nodes, a wall-clock deadline and a
//!   cancel flag the server raises when the client disconnects or the server shuts down. The
//!   executor checks them cooperatively at every resolved field; the first failure ends the
//!   request with one error and `data: null`.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use apollo_compiler::executable::{Operation, Selection, SelectionSet};
use apollo_compiler::validation::Valid;
use apollo_compiler::{ExecutableDocument, Name};

/// Request limits of a backend's `/graphql`.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Maximum nesting depth of selection sets (fragments expanded).
    pub max_depth: usize,
    /// Maximum number of fields the operation selects after fragment expansion, counting every
    /// fragment spread in full (aliases and repeated spreads multiply).
    pub max_fields: u64,
    /// Maximum length of a chain of fragments spreading each other.
    pub max_fragment_nesting: usize,
    /// Maximum number of introspection list fields (`types`, `fields`, `args`, …) after
    /// fragment expansion: the GraphQL library answers them beyond the result-node budget.
    pub max_introspection_lists: u64,
    /// Maximum number of nodes rendered in one response.
    pub max_result_nodes: usize,
    /// Wall-clock budget of one request.
    pub request_timeout: Duration,
    /// Maximum request document size in bytes.
    pub max_query_bytes: usize,
    /// Maximum lexical tokens of a request document.
    pub max_query_tokens: usize,
    /// Maximum nesting of the document's syntax (selection sets, list and object values).
    pub max_parse_nesting: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 30,
            max_fields: 10_000,
            max_fragment_nesting: 50,
            max_introspection_lists: 40,
            max_result_nodes: 1_000_000,
            request_timeout: Duration::from_secs(30),
            max_query_bytes: 1 << 20,
            max_query_tokens: 100_000,
            max_parse_nesting: 100,
        }
    }
}

/// The measure of a selection set after fragment expansion.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Shape {
    /// Fields selected, every spread counted in full (saturating).
    fields: u64,
    /// Nesting depth of fields.
    depth: usize,
    /// Longest chain of fragment spreads inside.
    nest: usize,
    /// Introspection list fields selected (saturating).
    intro_lists: u64,
}

struct Measure<'d> {
    doc: &'d ExecutableDocument,
    memo: HashMap<&'d Name, Shape>,
    /// Fragments being measured (a cycle is a validation error; this only guards).
    active: HashSet<&'d Name>,
    max_nesting: usize,
}

impl<'d> Measure<'d> {
    fn set(&mut self, set: &'d SelectionSet, chain: usize) -> Result<Shape, String> {
        let mut out = Shape::default();
        for sel in &set.selections {
            let s = match sel {
                Selection::Field(f) => {
                    let inner = self.set(&f.selection_set, chain)?;
                    let ty = &f.definition.ty;
                    let intro_list = ty.is_list() && ty.inner_named_type().starts_with("__");
                    Shape {
                        fields: inner.fields.saturating_add(1),
                        depth: inner.depth + 1,
                        nest: inner.nest,
                        intro_lists: inner.intro_lists.saturating_add(u64::from(intro_list)),
                    }
                }
                Selection::InlineFragment(i) => self.set(&i.selection_set, chain)?,
                Selection::FragmentSpread(sp) => {
                    let mut f = self.fragment(&sp.fragment_name, chain + 1)?;
                    f.nest += 1;
                    f
                }
            };
            out.fields = out.fields.saturating_add(s.fields);
            out.depth = out.depth.max(s.depth);
            out.nest = out.nest.max(s.nest);
            out.intro_lists = out.intro_lists.saturating_add(s.intro_lists);
        }
        Ok(out)
    }

    fn fragment(&mut self, name: &'d Name, chain: usize) -> Result<Shape, String> {
        let memo = self.memo.get(name).copied();
        if chain + memo.map_or(0, |s| s.nest) > self.max_nesting {
            return Err(format!(
                "fragment spreads are nested more than {} levels deep",
                self.max_nesting
            ));
        }
        if let Some(s) = memo {
            return Ok(s);
        }
        let Some(fr) = self.doc.fragments.get(name) else {
            return Ok(Shape::default());
        };
        if !self.active.insert(name) {
            return Ok(Shape::default());
        }
        let s = self.set(&fr.selection_set, chain)?;
        self.active.remove(name);
        self.memo.insert(name, s);
        Ok(s)
    }
}

/// Checks the shape of `op` against `limits` before it runs; the error is the client-visible
/// message. Linear in the size of the document.
pub fn check_operation(
    doc: &Valid<ExecutableDocument>,
    op: &Operation,
    limits: &Limits,
) -> Result<(), String> {
    let mut m = Measure {
        doc,
        memo: HashMap::new(),
        active: HashSet::new(),
        max_nesting: limits.max_fragment_nesting,
    };
    let shape = m.set(&op.selection_set, 0)?;
    if shape.fields > limits.max_fields {
        return Err(format!(
            "the query selects {} fields after expanding fragments; the limit is {}",
            if shape.fields == u64::MAX {
                "too many".to_string()
            } else {
                shape.fields.to_string()
            },
            limits.max_fields
        ));
    }
    if shape.depth > limits.max_depth {
        return Err(format!(
            "the query is nested {} levels deep; the limit is {}",
            shape.depth, limits.max_depth
        ));
    }
    if shape.intro_lists > limits.max_introspection_lists {
        return Err(format!(
            "the query selects {} introspection lists after expanding fragments; the limit is {}",
            shape.intro_lists, limits.max_introspection_lists
        ));
    }
    // Introspection types are recursive: nested `fields`/`interfaces`/… lists grow
    // exponentially and are answered by the GraphQL library, beyond the result-node budget.
    apollo_compiler::introspection::check_max_depth(doc, op).map_err(|e| e.message().to_string())
}

/// Maximum nesting depth of a selection set (fragments expanded, each measured once).
pub fn selection_depth(doc: &ExecutableDocument, set: &SelectionSet) -> usize {
    let mut m = Measure {
        doc,
        memo: HashMap::new(),
        active: HashSet::new(),
        max_nesting: usize::MAX,
    };
    m.set(set, 0).map(|s| s.depth).unwrap_or(usize::MAX)
}

/// A request's cancel flag, shared between the server (which raises it) and the executor
/// (which checks it).
#[derive(Clone, Debug, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    pub fn new() -> Cancel {
        Cancel::default()
    }

    /// Asks the request to stop at its next check.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// A guard that cancels the request when dropped: held by the future that waits for the
    /// answer, so a dropped future (client gone, timeout, shutdown) stops the work.
    pub fn on_drop(&self) -> CancelOnDrop {
        CancelOnDrop(self.clone())
    }
}

/// Cancels its request when dropped.
#[derive(Debug)]
pub struct CancelOnDrop(Cancel);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

/// The running budget of one request: deadline and cancel flag. The first failed check is
/// remembered so the request can end with that one error.
#[derive(Debug)]
pub struct Budget {
    deadline: Instant,
    timeout: Duration,
    cancel: Cancel,
    failed: RefCell<Option<String>>,
}

impl Budget {
    pub fn new(timeout: Duration, cancel: Cancel) -> Budget {
        Budget {
            deadline: Instant::now() + timeout,
            timeout,
            cancel,
            failed: RefCell::new(None),
        }
    }

    /// `Err` with the client-visible message once the request must stop.
    pub fn check(&self) -> Result<(), String> {
        if let Some(m) = self.failed.borrow().as_ref() {
            return Err(m.clone());
        }
        let problem = if self.cancel.is_cancelled() {
            "the request was cancelled".to_string()
        } else if Instant::now() > self.deadline {
            format!(
                "the request exceeded the time limit of {} ms",
                self.timeout.as_millis()
            )
        } else {
            return Ok(());
        };
        self.fail(problem.clone());
        Err(problem)
    }

    /// Ends the request with `message` (e.g. the result-size limit).
    pub fn fail(&self, message: String) {
        let mut f = self.failed.borrow_mut();
        if f.is_none() {
            *f = Some(message);
        }
    }

    /// Whether the request was stopped (cheap; for the hot path).
    pub fn stopped(&self) -> bool {
        self.failed.borrow().is_some()
    }

    /// Why the request was stopped, if it was.
    pub fn failure(&self) -> Option<String> {
        self.failed.borrow().clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> Valid<apollo_compiler::Schema> {
        apollo_compiler::Schema::parse_and_validate(
            "type Query { a: A } type A { b: A c: Int }",
            "s.graphql",
        )
        .unwrap()
    }

    fn check(q: &str, limits: &Limits) -> Result<(), String> {
        let s = schema();
        let doc = ExecutableDocument::parse_and_validate(&s, q, "q.graphql").unwrap();
        let op = doc.operations.get(None).unwrap();
        check_operation(&doc, op, limits)
    }

    #[test]
    fn depth_counts_fragments() {
        let s = schema();
        let doc = ExecutableDocument::parse_and_validate(
            &s,
            "{ a { ...F } } fragment F on A { b { b { c } } }",
            "q.graphql",
        )
        .unwrap();
        let op = doc.operations.get(None).unwrap();
        assert_eq!(selection_depth(&doc, &op.selection_set), 4);
    }

    #[test]
    fn fields_are_counted_after_expansion() {
        // F1 = 2 fields, F2 = 2 x F1 = 4, the operation: a + 4 = 5 fields.
        let q = "{ a { ...F2 } } fragment F1 on A { c x: c } fragment F2 on A { ...F1 ...F1 }";
        let limits = Limits {
            max_fields: 5,
            ..Limits::default()
        };
        assert_eq!(check(q, &limits), Ok(()));
        let limits = Limits {
            max_fields: 4,
            ..Limits::default()
        };
        assert_eq!(
            check(q, &limits),
            Err("the query selects 5 fields after expanding fragments; the limit is 4".into())
        );
    }

    #[test]
    fn an_exponential_bomb_is_measured_quickly() {
        let mut q = String::from("{ a { ...F60 } } fragment F0 on A { c }\n");
        for i in 1..=60 {
            q.push_str(&format!(
                "fragment F{i} on A {{ ...F{} ...F{} }}\n",
                i - 1,
                i - 1
            ));
        }
        let start = Instant::now();
        let r = check(
            &q,
            &Limits {
                max_fragment_nesting: 100,
                ..Limits::default()
            },
        );
        assert!(start.elapsed() < Duration::from_secs(2));
        // 2^60 + 1 fields.
        assert_eq!(
            r,
            Err(format!(
                "the query selects {} fields after expanding fragments; the limit is 10000",
                (1u64 << 60) + 1
            ))
        );
    }

    #[test]
    fn long_fragment_chains_are_refused() {
        let mut q = String::from("{ a { ...F0 } }\n");
        for i in 0..60 {
            q.push_str(&format!("fragment F{i} on A {{ ...F{} }}\n", i + 1));
        }
        q.push_str("fragment F60 on A { c }\n");
        assert_eq!(
            check(&q, &Limits::default()),
            Err("fragment spreads are nested more than 50 levels deep".into())
        );
    }

    #[test]
    fn budget_remembers_the_first_failure() {
        let c = Cancel::new();
        let b = Budget::new(Duration::from_secs(60), c.clone());
        assert_eq!(b.check(), Ok(()));
        drop(c.on_drop());
        assert_eq!(b.check(), Err("the request was cancelled".into()));
        assert_eq!(b.failure().as_deref(), Some("the request was cancelled"));
        let b = Budget::new(Duration::ZERO, Cancel::new());
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(
            b.check(),
            Err("the request exceeded the time limit of 0 ms".into())
        );
    }
}
