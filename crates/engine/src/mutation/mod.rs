//! Mutations of the generated API (`add<T>`, `update<T>`, `delete<T>`); see the seam in the
//! crate docs.
