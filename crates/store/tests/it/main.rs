//! The store's integration tests, one test binary: each module was a test target of its
//! own (`tests/<name>.rs`). Every test runs on SQLite, and on PostgreSQL when
//! `VULNRELAY_TEST_DATABASE_URL` is set.

mod checkpoints;
mod compile_options;
mod conformance;
mod explain;
mod federation;
mod intervals;
mod pool;
mod publication_marks;
mod records;
mod rematch_marks;
mod silences;
mod statement_journal;
mod wal;
mod warnings;
