//! The CLI's integration tests, one binary (each former test target is a module).

mod common;

mod check;
mod durability;
mod federated_demo;
mod many_servers;
mod peer;
mod records;
mod sanction;
mod scan;
mod warnings_delivery;
