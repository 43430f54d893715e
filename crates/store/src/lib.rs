//! Graph storage: the store trait and its embedded (redb) implementation.
