//! The integration tests of vulnrelay-formats, in one test binary (one link instead of
//! one per file): each former `tests/*.rs` file is a module here, and `common` holds the
//! helpers they share (the vendored schemas and the real documents of `testdata/`).

mod case_file;
mod common;
mod csaf;
mod cve5;
mod exports;
mod records;
mod schemas;
