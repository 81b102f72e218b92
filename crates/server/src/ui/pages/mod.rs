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

/// Query of a page of a list (`GET /advisories`, `GET /orgs`): the page after the item
/// `after` names; the first page when it is absent or blank.
#[derive(Debug, Default, serde::Deserialize)]
pub struct ListPage {
    /// The page after this item (the previous page's last).
    pub after: Option<String>,
}

impl ListPage {
    /// The cursor, when one is given.
    pub fn after(self) -> Option<String> {
        self.after.filter(|a| !a.trim().is_empty())
    }
}
