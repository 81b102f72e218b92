//! One module per subcommand.

pub mod admin;
pub mod check;
pub mod delivery;
pub mod demo;
pub mod federated;
pub mod peer;
pub mod projections;
pub mod records;
pub mod sanction;
pub mod scan;
pub mod serve;
pub mod verify;
