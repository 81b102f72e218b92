//! The dashboard of the signed-in organisation: its obligations that are overdue (in
//! red, first) or due soon, with live countdowns and what each notification's draft
//! still lacks, its latest risk warnings, and its open cases by state.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{TimeDelta, Utc};
use maud::html;
use vulnrelay_domain::CaseState;
use vulnrelay_policy::Status;

use crate::AppState;
use crate::ui::session::{Ui, UiError};
use crate::ui::view::{article, countdown, page, status_badge, time};
use vulnrelay_app::deadlines::open_deadlines;
use vulnrelay_store::CaseRecord;

/// How far ahead the dashboard looks for deadlines.
const HORIZON_DAYS: i64 = 14;
/// How many open obligations the dashboard lists (the API pages through the rest).
const DASHBOARD_DEADLINES: usize = 200;

/// `GET /`: the dashboard when signed in, else the public advisories.
pub async fn home(ui: Ui) -> Response {
    if ui.caller.account.is_some() { Redirect::to("/dashboard") } else { Redirect::to("/advisories") }
        .into_response()
}

/// How many cases of each open state the dashboard lists, oldest first.
const CASES_PER_STATE: usize = 50;

/// The states of a case still being worked.
fn is_open(state: CaseState) -> bool {
    !matches!(state, CaseState::Closed | CaseState::Rejected | CaseState::Duplicate)
}

/// Query of the dashboard: what was just done.
#[derive(Debug, serde::Deserialize)]
pub struct DashboardQuery {
    /// `rectified`: the unit's rectification report was recorded.
    pub done: Option<String>,
}

/// `GET /dashboard`: the unit's obligations, its suspension (with the decision, its
/// basis and the rectification form) while one runs, its warnings and open cases.
pub async fn show(
    State(state): State<AppState>,
    ui: Ui,
    axum::extract::Query(query): axum::extract::Query<DashboardQuery>,
) -> Result<Response, UiError> {
    let done = query.done;
    let lang = ui.lang;
    let account = ui.account()?.clone();
    let now = Utc::now();
    let org = match &account.org_id {
        Some(id) => Some(state.store.org(id).await.map_err(|e| ui.error(e))?),
        None => None,
    };
    let mut deadlines = match &org {
        Some(org) => {
            open_deadlines(&state, &ui.caller, &org.id, TimeDelta::days(HORIZON_DAYS), DASHBOARD_DEADLINES)
                .await
                .map_err(|e| ui.error(e))?
        }
        None => Vec::new(),
    };
    // Overdue first (longest overdue on top), then by due time.
    deadlines.sort_by_key(|d| (d.status != Status::Overdue, d.due_at.is_none(), d.due_at));
    // The oldest open cases of each state, by keyset pages of the derived views.
    let mut open: Vec<(CaseRecord, CaseState)> = Vec::new();
    let mut more: Vec<CaseState> = Vec::new();
    for case_state in CaseState::ALL.into_iter().filter(|s| is_open(*s)) {
        let (cases, next) =
            crate::casefile::listable(&state, &ui.caller, Some(case_state), None, CASES_PER_STATE)
                .await
                .map_err(|e| ui.error(e))?;
        if next.is_some() {
            more.push(case_state);
        }
        open.extend(cases);
    }
    // The publication time of the published ones (one time for an advisory in every
    // view), from their records; only those listed are loaded.
    let mut published = std::collections::HashMap::new();
    for (record, case_state) in &open {
        if case_state.is_published() {
            let loaded = crate::casefile::load(&state, &record.id).await.map_err(|e| ui.error(e))?;
            let at = crate::distribution::case_published(&state, &loaded).await.map_err(|e| ui.error(e))?;
            published.insert(record.id.clone(), at);
        }
    }
    let (warnings, _) = crate::ui::pages::warnings::warnings_page(&state, &ui, None, 5).await;
    let suspension = match &org {
        Some(org) => crate::ui::pages::orgs::suspension_panel(&state, &ui, &org.id).await,
        None => html! {},
    };
    let title = lang.t("dashboard.title");
    let body = html! {
        h1 { (title) @if let Some(org) = &org { " — " span translate="no" { (org.name_in(lang.chinese())) } } }
        @if done.as_deref() == Some("rectified") {
            (crate::ui::view::notice("ok", html! { p { (lang.t("dashboard.rectified")) } }))
        }
        (suspension)
        section aria-labelledby="deadlines-h" {
            h2 id="deadlines-h" { (lang.t("dashboard.deadlines")) }
            p class="help" { (lang.tf("dashboard.deadlines_help", &[("days", &HORIZON_DAYS.to_string())])) }
            @if deadlines.is_empty() {
                p { (lang.t("dashboard.no_deadlines")) }
            } @else {
                ul class="deadlines" {
                    @for d in &deadlines {
                        li class=(format!("deadline {}", d.status.as_str())) {
                            div class="what" {
                                (status_badge(lang, d.status)) " "
                                a href=(format!("/cases/{}", d.case)) { (d.title) }
                                " · " span class="rule" { (d.rule) " " (article(lang, &d.article)) }
                            }
                            p { (crate::ui::view::finding_words(lang, &d.message)) }
                            @if let Some((words, missing)) = &d.draft {
                                p class=(if missing.is_empty() { "draft ready" } else { "draft missing" }) {
                                    a href=(format!("/cases/{}/drafts", d.case)) {
                                        (if lang == crate::ui::Lang::Zh { &words.zh } else { &words.en })
                                    }
                                }
                            }
                            p class="due" {
                                @if let Some(due) = d.due_at {
                                    (lang.t("dashboard.due")) " " (time(due, d.timezone)) " · " (countdown(lang, due, now))
                                } @else {
                                    (lang.t("dashboard.immediately"))
                                }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="warnings-h" {
            h2 id="warnings-h" { (lang.t("dashboard.warnings")) }
            @if warnings.is_empty() { p { (lang.t("warning.none")) } }
            ul class="warnings" {
                @for w in &warnings { li { (crate::ui::pages::warnings::summary(lang, w)) } }
            }
            p { a href="/warnings" { (lang.t("dashboard.all_warnings")) } }
        }
        section aria-labelledby="cases-h" {
            h2 id="cases-h" { (lang.t("dashboard.cases")) }
            @if open.is_empty() {
                p { (lang.t("dashboard.no_cases")) }
            }
            @for case_state in CaseState::ALL {
                @let in_state: Vec<&CaseRecord> = open.iter().filter(|c| c.1 == case_state).map(|c| &c.0).collect();
                @if !in_state.is_empty() {
                    h3 { (lang.t(&format!("state.{}", case_state.as_str()))) " (" (in_state.len()) @if more.contains(&case_state) { "+" } ")" }
                    ul class="cases" {
                        @for case in in_state {
                            li {
                                @let tz = case.timezone.parse().unwrap_or(chrono_tz::Tz::UTC);
                                a href=(format!("/cases/{}", case.id)) { (case.title) }
                                " " span class="muted" { (case.id) " · " (lang.t("dashboard.opened")) " " (time(case.created_at, tz)) }
                                @if let Some(published) = published.get(&case.id).copied().flatten() {
                                    " " span class="muted published" { " · " (lang.t("dashboard.published")) " " (time(published, tz)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(page(&ui, &title, body).into_response())
}
