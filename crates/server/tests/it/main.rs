//! The server's integration tests, one binary (each former test target is a module).

mod common;

mod api;
mod auth;
mod conformance;
mod coordination;
mod demo_story;
mod distribution;
mod drafts;
mod e2e;
mod federation;
mod intervals;
mod projections;
mod read_costs;
mod sanctions;
mod security;
mod threats;
mod ui;
mod vulnerabilities;
mod warnings;
mod warnings_e2e;
