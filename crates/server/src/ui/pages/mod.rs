//! The pages, one module per area.

pub mod account;
pub mod cases;
pub mod coordination;
pub mod dashboard;
pub mod drafts;
pub mod federation;
pub mod inventory;
pub mod orgs;
pub mod reports;
pub mod stats;
pub mod vulns;
pub mod warnings;
