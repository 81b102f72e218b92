//! The organisation picker of the forms (whom to notify, which provider, which
//! platform): a select of one page of organisations with a search box beside it, so a
//! form costs a page, not every organisation on the platform. The server lists the first
//! page, or what the box found when the form came back with it (`find`, which works
//! without the script); the script refills the select from `GET /api/v1/orgs?q=&role=`
//! as the viewer types.

use maud::{Markup, html};
use vulnrelay_app::orgs;
use vulnrelay_domain::Role;
use vulnrelay_store::{OrgFilter, Organisation, Status};

use crate::AppState;
use crate::ui::i18n::Lang;
use crate::ui::session::{Ui, UiError};

/// How many organisations a picker lists at a time.
pub const PAGE: usize = 50;

/// The organisations a picker offers.
pub struct Found {
    /// The organisations listed: the selected one (if not among the rest) first, then
    /// the page by id.
    pub orgs: Vec<Organisation>,
    /// The text searched for, if any.
    pub text: String,
    /// Whether more organisations match than are listed.
    pub more: bool,
}

/// The active organisations holding one of `roles` (any role, if empty) that `text`
/// finds (all, if blank), at most [`PAGE`] of them, leaving out `exclude`, with the
/// `selected` one kept whatever the search.
pub async fn find(
    state: &AppState,
    ui: &Ui,
    roles: &[Role],
    text: &str,
    exclude: &str,
    selected: &str,
) -> Result<Found, UiError> {
    let text = text.trim();
    let filter = OrgFilter {
        status: Some(Status::Active),
        roles,
        text: Some(text).filter(|t| !t.is_empty()),
        after: None,
        // One more where one may be left out, so that a whole page is listed.
        limit: PAGE + usize::from(!exclude.is_empty()),
    };
    let (mut orgs, next) = orgs::page(state, filter).await.map_err(|e| ui.error(e))?;
    orgs.retain(|o| o.id != exclude);
    let more = next.is_some() || orgs.len() > PAGE;
    orgs.truncate(PAGE);
    if !selected.is_empty() && !orgs.iter().any(|o| o.id == selected) {
        // A choice from an earlier search, kept when the form comes back.
        if let Ok(org) = state.store.org(selected).await
            && org.status == Status::Active
        {
            orgs.insert(0, org);
        }
    }
    Ok(Found { orgs, text: text.to_owned(), more })
}

/// A picker's select and search box.
pub struct Picker<'a> {
    /// The select's id (the search box's is `{id}-find`).
    pub id: &'a str,
    /// The select's field name; the search box's is `find_{name}`.
    pub name: &'a str,
    /// The label, in words.
    pub label: String,
    /// The roles the organisations hold (any, if empty), for the script's searches.
    pub roles: &'a [Role],
    /// An organisation never offered (the viewer's own, where it cannot be its own
    /// recipient).
    pub exclude: &'a str,
    /// The selected organisation's id.
    pub selected: &'a str,
    /// The words of a first, empty choice, if the field may be left empty.
    pub blank: Option<String>,
    /// The id of the form the search box and its button belong to, when it is not the
    /// form around the select (a GET form of the page's own); the button of a box in
    /// the form around the select sends that form back with `find` set to `name`.
    pub find_form: Option<&'a str>,
    /// The id of a help text under the picker, if any.
    pub help_id: Option<&'a str>,
}

impl Picker<'_> {
    /// The picker as HTML: the label, the search box and its button, the select, a live
    /// line saying what the list holds, and `below` (help, problems).
    pub fn render(&self, lang: Lang, found: &Found, below: Markup) -> Markup {
        let find_id = format!("{}-find", self.id);
        let status_id = format!("{}-status", self.id);
        let roles = self.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(",");
        let count = found.orgs.len().to_string();
        let status = match (found.text.is_empty(), found.orgs.is_empty(), found.more) {
            (true, _, true) => lang.tf("picker.first", &[("count", &count)]),
            (true, _, false) => String::new(),
            (false, true, _) => lang.tf("picker.none", &[("text", &found.text)]),
            (false, false, true) => lang.tf("picker.found_more", &[("count", &count), ("text", &found.text)]),
            (false, false, false) => lang.tf("picker.found", &[("count", &count), ("text", &found.text)]),
        };
        let described =
            [Some(status_id.as_str()), self.help_id].into_iter().flatten().collect::<Vec<_>>().join(" ");
        html! {
            div class="field org-picker" {
                label for=(self.id) { (self.label) }
                div class="org-find" {
                    input type="search" id=(find_id) name=(format!("find_{}", self.name)) value=(found.text)
                        form=[self.find_form] autocomplete="off" class="org-find-text"
                        aria-label=(lang.tf("picker.find_label", &[("field", &self.label)]))
                        placeholder=(lang.t("picker.placeholder"))
                        data-picker=(self.id) data-role=(roles) data-exclude=(self.exclude)
                        data-first=(lang.t("picker.first")) data-found=(lang.t("picker.found"))
                        data-found-more=(lang.t("picker.found_more")) data-none=(lang.t("picker.none"));
                    button type="submit" class="secondary" form=[self.find_form] name="find" value=(self.name) {
                        (lang.t("picker.find"))
                    }
                }
                select id=(self.id) name=(self.name) required[self.blank.is_none()] aria-describedby=(described) {
                    @if let Some(blank) = &self.blank { option value="" { (blank) } }
                    @for org in &found.orgs {
                        option value=(org.id) selected[org.id == self.selected] { (org.name_in(lang.chinese())) }
                    }
                }
                p class="help picker-status" id=(status_id) aria-live="polite" { (status) }
                (below)
            }
        }
    }
}
