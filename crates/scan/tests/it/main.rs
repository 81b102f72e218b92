//! The integration tests of vulnrelay-scan, in one test binary (one link instead of one
//! per file): each former `tests/*.rs` file is a module here, and `common` holds the
//! helpers they share (the real jars and a small ZIP writer).

mod ahead;
mod backports;
mod common;
mod dedup;
mod hostile_reporting;
mod identification;
mod nested_and_hostile;
mod outputs_and_fix;
mod real_jars;
mod zip_reader;
