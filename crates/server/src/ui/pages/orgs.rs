//! Organisations and their memberships, for analysts and administrators: the list, and
//! an organisation's page with its compliance history (its findings on every case it is
//! a party of), its memberships and their history, its own log of sanctions,
//! rectification reports and reviews, and the forms of that workflow: decide a
//! sanction (warning, public criticism, suspension for a term, expulsion) resting on
//! linked findings; record the unit's rectification report; record the review that
//! restores the unit or extends the suspension.
//!
//! Everything about membership changes (the forms, what they post, how the answer is
//! shown) is in this module's `membership` functions, which call the API's own
//! handlers (`routes::sanctions`) with the JSON the API takes.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use chrono_tz::Tz;
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::{Value, json};
use vulnrelay_domain::AccountRole;
use vulnrelay_policy::{Interpretation, Options, RuleKind};
use vulnrelay_store::{MembershipChangeKind, OrgFilter, Organisation};

use crate::AppState;
use crate::errors::AppError;
use crate::ui::i18n::Lang;
use crate::ui::pages::ListPage;
use crate::ui::pages::cases::role_words;
use crate::ui::session::{Ui, UiError, encode};
use crate::ui::view::{
    article, csrf, error_words, finding_words, heading, local, local_text, notice, page, status_badge, time,
    time_text, with_data,
};
use vulnrelay_app::orgs;
use vulnrelay_app::sanctions::decisions;

/// Between a finding's case and rule in the value of its box.
const FINDING_SEPARATOR: &str = "::";

/// The scheme offered when an organisation has no membership history yet.
const DEFAULT_SCHEME: &str = "miit-threat-sharing";

fn require_manager(ui: &Ui) -> Result<(), UiError> {
    ui.account()?;
    if ui.has_role(&[AccountRole::Analyst, AccountRole::Admin]) {
        Ok(())
    } else {
        Err(ui.error(AppError::forbidden("this needs one of the roles: analyst, admin")))
    }
}

fn status_words(lang: Lang, status: &str) -> String {
    lang.t(&format!("org_status.{status}"))
}

/// Organisations on one page of `GET /orgs`.
const ORGS_PER_PAGE: usize = 50;

/// `GET /orgs`: the organisations of every status by id, a page at a time, with their
/// memberships.
pub async fn list(
    State(state): State<AppState>,
    ui: Ui,
    Query(query): Query<ListPage>,
) -> Result<Response, UiError> {
    require_manager(&ui)?;
    let lang = ui.lang;
    let (orgs, next) = orgs::page(
        &state,
        OrgFilter { after: query.after().as_deref(), limit: ORGS_PER_PAGE, ..Default::default() },
    )
    .await
    .map_err(|e| ui.error(e))?;
    let mut rows = Vec::new();
    for org in orgs {
        let current = membership_status(&state, &ui, &org.id).await;
        rows.push((org, current));
    }
    let title = lang.t("org.list_title");
    Ok(page(&ui, &title, html! {
        h1 { (title) }
        div class="scroll" tabindex="0" {
            table {
                caption class="visually-hidden" { (title) }
                thead { tr {
                    th scope="col" { (lang.t("org.name")) } th scope="col" { (lang.t("org.roles")) }
                    th scope="col" { (lang.t("org.jurisdiction")) } th scope="col" { (lang.t("org.status")) }
                    th scope="col" { (lang.t("org.memberships")) }
                } }
                tbody {
                    @for (org, current) in &rows {
                        tr {
                            td { a href=(format!("/orgs/{}", org.id)) { (org.name_in(lang.chinese())) } br; span class="muted" { (org.id) } }
                            td { @for r in &org.roles { span class="tag" { (role_words(lang, *r)) } " " } }
                            td { (org.jurisdiction.as_str()) }
                            td { (status_words(lang, org.status.as_str())) }
                            td { (membership_summary(lang, current)) }
                        }
                    }
                }
            }
        }
        @if let Some(next) = &next {
            p { a href=(format!("/orgs?after={}", encode(next))) { (lang.t("org.next")) } }
        }
    }).into_response())
}

fn membership_summary(lang: Lang, current: &Value) -> Markup {
    html! {
        @for m in current.as_array().into_iter().flatten() {
            @let status = m["status"].as_str().unwrap_or_default();
            span class=(format!("badge membership-{status}")) { (m["scheme"].as_str().unwrap_or_default()) ": " (lang.t(&format!("membership.{status}"))) }
            " "
        }
    }
}

/// For a unit's own dashboard: each membership it holds that is suspended or awaiting
/// review, the decision and its basis (the unit's own log, as the API shows it to the
/// unit), and the form for its rectification report. Nothing when none is.
pub async fn suspension_panel(state: &AppState, ui: &Ui, org_id: &str) -> Markup {
    let lang = ui.lang;
    let current = membership_status(state, ui, org_id).await;
    let held: Vec<&Value> = current
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| matches!(m["status"].as_str(), Some("suspended" | "awaiting_review")))
        .collect();
    if held.is_empty() {
        return html! {};
    }
    let log = org_log(state, ui, org_id).await;
    html! {
        section id="suspension" class="suspension" aria-labelledby="suspension-h" {
            h2 id="suspension-h" { (lang.t("dashboard.suspension")) }
            @for m in &held {
                @let scheme = m["scheme"].as_str().unwrap_or_default();
                p { (membership_summary(lang, &Value::Array(vec![(*m).clone()])))
                    @if let Some(until) = m["until"].as_str() { " " (lang.tf("membership.until", &[("until", &local_text(until))])) } }
                form method="post" action=(format!("/orgs/{org_id}/memberships/{scheme}/rectify")) class="card" aria-labelledby=(format!("rectify-{scheme}-h")) {
                    h3 id=(format!("rectify-{scheme}-h")) { (lang.t("membership.rectify")) }
                    (csrf(ui))
                    div class="field" {
                        label for=(format!("report-{scheme}")) { (lang.t("membership.report")) " " span class="req" { (lang.t("form.required_mark")) } }
                        textarea id=(format!("report-{scheme}")) name="report" rows="4" required aria-describedby=(format!("report-{scheme}-help")) {}
                        p class="help" id=(format!("report-{scheme}-help")) { (lang.t("membership.report_help")) }
                    }
                    button type="submit" { (lang.t("membership.rectify_submit")) }
                }
            }
            (org_log_section(lang, &log))
        }
    }
}

/// Query of the organisation page.
#[derive(Debug, Deserialize)]
pub struct OrgQuery {
    /// The membership change just recorded.
    pub done: Option<String>,
}

/// `GET /orgs/{id}`.
pub async fn show(
    State(state): State<AppState>,
    ui: Ui,
    Path(id): Path<String>,
    Query(query): Query<OrgQuery>,
) -> Result<Response, UiError> {
    require_manager(&ui)?;
    let done = query.done.map(|d| {
        let key = match d.as_str() {
            "rectified" => "membership.done_rectified",
            "reviewed" => "membership.done_reviewed",
            _ => "membership.done_sanctioned",
        };
        notice("ok", html! { p { (ui.lang.t(key)) } })
    });
    Ok(org_page(&state, &ui, &id, done).await?.into_response())
}

/// One finding of the organisation on a case, for its compliance history.
struct HistoryRow {
    case: String,
    title: String,
    tz: Tz,
    rule: String,
    article: String,
    status: vulnrelay_policy::Status,
    due: Option<chrono::DateTime<Utc>>,
    met: Option<chrono::DateTime<Utc>>,
    message: vulnrelay_policy::Text,
}

async fn compliance_history(state: &AppState, ui: &Ui, org: &str) -> Result<Vec<HistoryRow>, UiError> {
    let now = Utc::now();
    let mut rows = Vec::new();
    for loaded in crate::casefile::party_cases(state, &ui.caller, org).await.map_err(|e| ui.error(e))? {
        let findings =
            state.evaluate(&loaded.case, &Options { as_of: now, interpretation: Interpretation::Hours });
        for f in
            findings.iter().filter(|f| f.party.0 == org && !matches!(f.rule.kind, RuleKind::Retention(_)))
        {
            rows.push(HistoryRow {
                case: loaded.record.id.clone(),
                title: loaded.record.title.clone(),
                tz: loaded.case.timezone(),
                rule: f.rule_id(),
                article: f.rule.article.clone(),
                status: f.status,
                due: f.due_at,
                met: f.satisfied_at,
                message: f.message(&loaded.case),
            });
        }
    }
    Ok(rows)
}

async fn org_page(state: &AppState, ui: &Ui, id: &str, flash: Option<Markup>) -> Result<Markup, UiError> {
    org_page_with(state, ui, id, flash, None).await
}

/// [`org_page`], with a membership form sent back with its problems.
async fn org_page_with(
    state: &AppState,
    ui: &Ui,
    id: &str,
    flash: Option<Markup>,
    returned: Option<&Returned>,
) -> Result<Markup, UiError> {
    let lang = ui.lang;
    let org = state.store.org(id).await.map_err(|e| ui.error(e))?;
    let (history, _) =
        crate::sanctions::visible_history(state, &ui.caller, id).await.map_err(|e| ui.error(e))?;
    let current = membership_status(state, ui, id).await;
    let rows = compliance_history(state, ui, id).await?;
    let title = org.name_in(lang.chinese()).to_owned();
    Ok(page(
        ui,
        &title,
        html! {
            (heading(&title, flash))
            dl class="facts" {
                dt { (lang.t("org.id")) } dd { code { (org.id) } }
                dt { (lang.t("org.roles")) } dd { @for r in &org.roles { span class="tag" { (role_words(lang, *r)) } " " } }
                dt { (lang.t("org.jurisdiction")) } dd { (org.jurisdiction.as_str()) }
                dt { (lang.t("org.status")) } dd { (status_words(lang, org.status.as_str())) }
                dt { (lang.t("org.memberships")) } dd { @if current.as_array().is_none_or(|a| a.is_empty()) { (lang.t("org.no_memberships")) } (membership_summary(lang, &current)) }
            }
            section aria-labelledby="compliance-h" {
                h2 id="compliance-h" { (lang.t("org.compliance")) }
                @if rows.is_empty() { p { (lang.t("org.no_findings")) } }
                @else {
                    div class="scroll" tabindex="0" { table class="findings" {
                        caption class="visually-hidden" { (lang.t("org.compliance")) }
                        thead { tr {
                            th scope="col" { (lang.t("finding.case")) } th scope="col" { (lang.t("finding.status")) }
                            th scope="col" { (lang.t("finding.rule")) } th scope="col" { (lang.t("finding.due")) }
                            th scope="col" { (lang.t("finding.met")) } th scope="col" { (lang.t("finding.meaning")) }
                        } }
                        tbody { @for r in &rows {
                            tr class=(format!("finding {}", r.status.as_str())) {
                                td { a href=(format!("/cases/{}", r.case)) { (r.title) } }
                                td { (status_badge(lang, r.status)) }
                                td { (r.rule) br; span class="muted" { (article(lang, &r.article)) } }
                                td { @if let Some(t) = r.due { (time(t, r.tz)) } @else { "—" } }
                                td { @if let Some(t) = r.met { (time(t, r.tz)) } @else { "—" } }
                                td { (finding_words(lang, &r.message)) }
                            }
                        } }
                    } }
                }
            }
            (membership_history(lang, state, &history).await)
            (org_log_section(lang, &org_log(state, ui, id).await))
            @if ui.has_role(&[AccountRole::Analyst]) { (membership_forms(ui, &org, &history, &rows, returned)) }
        },
    ))
}

// ---- membership changes: the one place the UI knows the sanctions workflow ----

/// Each scheme's status as the API shows it (`GET /api/v1/orgs/{id}`'s `memberships`):
/// `[{scheme, status, ...}]`; nothing when the API shows none to this viewer.
async fn membership_status(state: &AppState, ui: &Ui, id: &str) -> Value {
    match orgs::show(state, &ui.caller, id.to_owned()).await {
        Ok(org) => org["memberships"].clone(),
        Err(_) => Value::Array(Vec::new()),
    }
}

/// Records a step of the workflow as the API does: `sanction` with the body of `POST
/// .../sanctions`, `rectify` with that of `.../rectifications`, `review` with that of
/// `.../reviews`.
async fn record_change(
    state: &AppState,
    ui: &Ui,
    id: &str,
    scheme: &str,
    kind: &str,
    body: Value,
) -> Result<Value, AppError> {
    let org_scheme = (id.to_owned(), scheme.to_owned());
    let recorded = match kind {
        "sanction" => match vulnrelay_app::input::read(&body) {
            Ok(body) => decisions::sanction(state, &ui.caller, org_scheme, body).await,
            Err(e) => Err(e),
        },
        "rectify" => match vulnrelay_app::input::read(&body) {
            Ok(body) => decisions::rectify(state, &ui.caller, org_scheme, body).await,
            Err(e) => Err(e),
        },
        _ => match vulnrelay_app::input::read(&body) {
            Ok(body) => decisions::review(state, &ui.caller, org_scheme, body).await,
            Err(e) => Err(e),
        },
    };
    Ok(recorded?)
}

/// The organisation's own log, as the API shows it to this viewer.
async fn org_log(state: &AppState, ui: &Ui, id: &str) -> Value {
    match decisions::org_log(state, &ui.caller, id.to_owned()).await {
        Ok(log) => log["log"].clone(),
        Err(_) => Value::Array(Vec::new()),
    }
}

fn org_log_section(lang: Lang, log: &Value) -> Markup {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    html! {
        section aria-labelledby="log-h" {
            h2 id="log-h" { (lang.t("membership.log")) }
            p class="help" { (lang.t("membership.log_help")) }
            @if log.as_array().is_none_or(|a| a.is_empty()) { p { (lang.t("membership.log_empty")) } }
            ol class="timeline" {
                @for e in log.as_array().into_iter().flatten() {
                    li {
                        p class="when" { (time_text(&text(&e["at"]), Tz::UTC)) }
                        p class="what" {
                            strong {
                                @match e["type"].as_str().unwrap_or_default() {
                                    "sanctioned" => (lang.tf("membership.log_sanctioned", &[("sanction", &lang.t(&format!("membership.kind_{}", text(&e["sanction"]))))])),
                                    "review_recorded" => (lang.tf("membership.log_review_recorded", &[("outcome", &lang.t(&format!("membership.outcome_{}", text(&e["outcome"]))))])),
                                    _ => (lang.t("membership.log_rectification_submitted")),
                                }
                            }
                            " — " (text(&e["scheme"]))
                            @if e["type"] == "sanctioned" {
                                " · " (lang.t(if e["public"] == true { "membership.public_mark" } else { "membership.private_mark" }))
                            }
                        }
                        @if let Some(until) = e["until"].as_str() { p { (lang.tf("membership.until", &[("until", &local_text(until))])) } }
                        @if let Some(reason) = e["reason"].as_str() { p class="note" { (with_data(lang, "membership.reason_is", "reason", reason)) } }
                        @if let Some(who) = e["individual"].as_str() { p { (with_data(lang, "membership.individual_is", "who", who)) } }
                        @if let Some(basis) = e["basis"].as_array() {
                            @let items: Vec<String> = basis.iter().map(|b| match b["rule"].as_str() {
                                Some(rule) => rule.to_owned(),
                                None => format!("{} #{}", text(&b["case"]), b["event"]),
                            }).collect();
                            p { (lang.tf("membership.basis_is", &[("basis", &items.join(", "))])) }
                        }
                        @if let Some(report) = e["report"].as_str() { p class="note" { (with_data(lang, "membership.report_is", "report", report)) } }
                        @if let Some(note) = e["note"].as_str() { p class="note" { (with_data(lang, "membership.note_is", "note", note)) } }
                        p class="muted" { code { (text(&e["hash"]).get(..16).unwrap_or_default()) } }
                    }
                }
            }
        }
    }
}

async fn membership_history(
    lang: Lang,
    state: &AppState,
    history: &[vulnrelay_store::MembershipChange],
) -> Markup {
    let mut names = std::collections::HashMap::new();
    for by in history.iter().filter_map(|c| c.by_account.clone()) {
        if let std::collections::hash_map::Entry::Vacant(entry) = names.entry(by) {
            let id = entry.key().clone();
            entry.insert(state.store.account(&id).await.map_or(id, |a| a.name));
        }
    }
    html! {
        section aria-labelledby="history-h" {
            h2 id="history-h" { (lang.t("membership.history")) }
            @if history.is_empty() { p { (lang.t("org.no_memberships")) } }
            ol class="timeline" {
                @for c in history {
                    li {
                        p class="when" { (time(c.at, Tz::UTC)) }
                        p class="what" {
                            strong { (lang.t(&format!("membership.change_{}", c.change.as_str()))) } " — " (c.scheme)
                            @if let Some(by) = &c.by_account { " · " (lang.tf("case.recorded_by", &[("who", names.get(by).map_or(by.as_str(), |s| s.as_str()))])) }
                        }
                        @match &c.change {
                            MembershipChangeKind::Suspended { until, reason, findings } => {
                                p { (lang.tf("membership.until", &[("until", &until.map_or_else(|| lang.t("membership.open_ended"), |u| local(u, Tz::UTC)))])) }
                                p class="note" { (with_data(lang, "membership.reason_is", "reason", reason)) }
                                @if !findings.is_empty() { p { (lang.tf("membership.findings_are", &[("findings", &findings.join(", "))])) } }
                            }
                            MembershipChangeKind::Restored { review } => {
                                p class="note" { (with_data(lang, "membership.review_is", "review", review)) }
                            }
                            _ => {}
                        }
                    }
                }
            }
        }
    }
}

/// A membership form sent back: which one (`sanction`, `rectify`, `review`), what was
/// typed, and each problem by the id of the field it belongs beside, in words.
struct Returned {
    form: String,
    values: Vec<(String, String)>,
    problems: Vec<(String, String)>,
}

impl Returned {
    /// What was typed in `name` of `form`, if that form came back.
    fn value(&self, form: &str, name: &str) -> &str {
        if self.form != form {
            return "";
        }
        self.values.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
    }

    /// The problems beside field `id`, joined.
    fn problem(&self, id: &str) -> Option<String> {
        let found: Vec<&str> =
            self.problems.iter().filter(|(f, _)| f == id).map(|(_, m)| m.as_str()).collect();
        (!found.is_empty()).then(|| found.join("; "))
    }
}

/// The id of the field of membership form `form` that an API problem at `path` belongs
/// beside, or `None` for the form as a whole.
fn membership_field(form: &str, path: &str) -> Option<&'static str> {
    let name = path.trim_start_matches("$.").split(['.', '[']).next().unwrap_or_default();
    match (form, name) {
        ("sanction", "reason") => Some("reason"),
        ("sanction", "at") => Some("from"),
        ("sanction", "months") => Some("months"),
        ("sanction", "kind") => Some("kind"),
        ("sanction", "individual") => Some("individual"),
        ("sanction", "findings" | "case") => Some("findings"),
        ("sanction", "scheme") => Some("suspend-scheme"),
        ("rectify", "report") => Some("report"),
        ("rectify", "at") => Some("report-at"),
        ("rectify", "scheme") => Some("rectify-scheme"),
        ("review", "note") => Some("review"),
        ("review", "months") => Some("extend-months"),
        ("review", "case") => Some("restore-case"),
        ("review", "outcome") => Some("outcome"),
        ("review", "scheme") => Some("restore-scheme"),
        _ => None,
    }
}

/// The message key of the label of membership form field `id`.
fn membership_label(id: &str) -> &'static str {
    match id {
        "reason" => "membership.reason",
        "from" => "membership.from",
        "months" => "membership.duration",
        "kind" => "membership.kind",
        "individual" => "membership.individual",
        "findings" => "membership.linked_findings",
        "report" => "membership.report",
        "report-at" => "membership.report_at",
        "review" => "membership.review",
        "extend-months" => "membership.extend_months",
        "restore-case" => "membership.case",
        "outcome" => "membership.outcome",
        _ => "membership.scheme",
    }
}

/// A problem beside field `id` (its id is `{id}-problem`, which the field names in
/// `aria-describedby`).
fn field_problem(returned: Option<&Returned>, id: &str) -> Markup {
    html! {
        @if let Some(problem) = returned.and_then(|r| r.problem(id)) {
            p class="problem" id=(format!("{id}-problem")) { (problem) }
        }
    }
}

/// The ids a field of `id` is described by: its help (if any) and its problem (if any).
fn described_by(returned: Option<&Returned>, id: &str, help: bool) -> Option<String> {
    let ids: Vec<String> = [
        help.then(|| format!("{id}-help")),
        returned.and_then(|r| r.problem(id)).map(|_| format!("{id}-problem")),
    ]
    .into_iter()
    .flatten()
    .collect();
    (!ids.is_empty()).then(|| ids.join(" "))
}

fn membership_forms(
    ui: &Ui,
    org: &Organisation,
    history: &[vulnrelay_store::MembershipChange],
    rows: &[HistoryRow],
    returned: Option<&Returned>,
) -> Markup {
    let lang = ui.lang;
    let invalid = |id: &str| returned.and_then(|r| r.problem(id)).map(|_| "true");
    let typed = |form: &str, name: &str| returned.map_or("", |r| r.value(form, name)).to_owned();
    let mut schemes: Vec<&str> = history.iter().map(|c| c.scheme.as_str()).collect();
    schemes.sort_unstable();
    schemes.dedup();
    if schemes.is_empty() {
        schemes.push(DEFAULT_SCHEME);
    }
    // One box per finding (rule on a case): a suspension rests on findings of one case,
    // and goes on that case's timeline.
    let problems: Vec<&HistoryRow> = rows.iter().filter(|r| r.status.is_problem()).collect();
    let mut cases: Vec<(&str, &str)> = rows.iter().map(|r| (r.case.as_str(), r.title.as_str())).collect();
    cases.dedup();
    let case_select = |id: &str| {
        html! {
            div class="field" {
                label for=(id) { (lang.t("membership.case")) }
                select id=(id) name="case" aria-describedby=[described_by(returned, id, true)] aria-invalid=[invalid(id)] {
                    option value="" { (lang.t("membership.no_case")) }
                    @for (case, title) in &cases { option value=(case) { (title) } }
                }
                p class="help" id=(format!("{id}-help")) { (lang.t("membership.case_help")) }
                (field_problem(returned, id))
            }
        }
    };
    let scheme_select = |id: &str| {
        html! {
            div class="field" {
                label for=(id) { (lang.t("membership.scheme")) }
                select id=(id) name="scheme" aria-describedby=[described_by(returned, id, false)] aria-invalid=[invalid(id)] { @for s in &schemes { option value=(s) { (s) } } }
                (field_problem(returned, id))
            }
        }
    };
    let date_field = |form: &str, id: &str, label: &str| {
        html! {
            div class="field" {
                label for=(id) { (lang.t(label)) }
                input type="date" id=(id) name="at" value=(typed(form, "at")) aria-describedby=[described_by(returned, id, true)] aria-invalid=[invalid(id)];
                p class="help" id=(format!("{id}-help")) { (lang.t("membership.from_help")) }
                (field_problem(returned, id))
            }
        }
    };
    html! {
        section aria-labelledby="manage-h" {
            h2 id="manage-h" { (lang.t("membership.manage")) }
            div class="actions" {
                form method="post" action=(format!("/orgs/{}/memberships/_/sanction", org.id)) class="card" aria-labelledby="suspend-h" {
                    h3 id="suspend-h" { (lang.t("membership.sanction")) }
                    (csrf(ui))
                    (scheme_select("suspend-scheme"))
                    div class="field" {
                        label for="kind" { (lang.t("membership.kind")) }
                        select id="kind" name="kind" aria-describedby=[described_by(returned, "kind", false)] aria-invalid=[invalid("kind")] {
                            @let chosen = Some(typed("sanction", "kind")).filter(|k| !k.is_empty()).unwrap_or_else(|| "suspension".into());
                            @for k in ["warning", "public_criticism", "suspension", "expulsion"] {
                                option value=(k) selected[k == chosen] { (lang.t(&format!("membership.kind_{k}"))) }
                            }
                        }
                        (field_problem(returned, "kind"))
                    }
                    (date_field("sanction", "from", "membership.from"))
                    div class="field" {
                        label for="months" { (lang.t("membership.duration")) }
                        select id="months" name="months" aria-describedby=[described_by(returned, "months", false)] aria-invalid=[invalid("months")] {
                            @for m in [1u32, 3, 6, 12] { option value=(m) selected[m == 6] { (months(lang, m)) } }
                        }
                        (field_problem(returned, "months"))
                    }
                    div class="field" {
                        label for="reason" { (lang.t("membership.reason")) " " span class="req" { (lang.t("form.required_mark")) } }
                        textarea id="reason" name="reason" rows="3" required aria-describedby=[described_by(returned, "reason", false)] aria-invalid=[invalid("reason")] { (typed("sanction", "reason")) }
                        (field_problem(returned, "reason"))
                    }
                    div class="field" {
                        label for="individual" { (lang.t("membership.individual")) }
                        input type="text" id="individual" name="individual" value=(typed("sanction", "individual")) aria-describedby=[described_by(returned, "individual", false)] aria-invalid=[invalid("individual")];
                        (field_problem(returned, "individual"))
                    }
                    div class="check" {
                        input type="checkbox" id="public" name="public" value="true";
                        label for="public" { (lang.t("membership.public")) }
                    }
                    fieldset id="findings" aria-describedby=[described_by(returned, "findings", false)] {
                        legend { (lang.t("membership.linked_findings")) }
                        @if problems.is_empty() { p class="help" { (lang.t("membership.no_problem_findings")) } }
                        @if !problems.is_empty() { p class="help" { (lang.t("membership.linked_help")) } }
                        @for (i, r) in problems.iter().enumerate() {
                            div class="check" {
                                input type="checkbox" id=(format!("finding-{i}")) name="findings" value=(format!("{}{FINDING_SEPARATOR}{}", r.case, r.rule));
                                label for=(format!("finding-{i}")) { (r.rule) " — " (r.title) " (" (lang.t(&format!("status.{}", r.status.as_str()))) ")" }
                            }
                        }
                        (field_problem(returned, "findings"))
                    }
                    button type="submit" class="danger" { (lang.t("membership.sanction_submit")) }
                }
                form method="post" action=(format!("/orgs/{}/memberships/_/rectify", org.id)) class="card" aria-labelledby="rectify-h" {
                    h3 id="rectify-h" { (lang.t("membership.rectify")) }
                    (csrf(ui))
                    (scheme_select("rectify-scheme"))
                    div class="field" {
                        label for="report" { (lang.t("membership.report")) " " span class="req" { (lang.t("form.required_mark")) } }
                        textarea id="report" name="report" rows="4" required aria-describedby=[described_by(returned, "report", true)] aria-invalid=[invalid("report")] { (typed("rectify", "report")) }
                        p class="help" id="report-help" { (lang.t("membership.report_help")) }
                        (field_problem(returned, "report"))
                    }
                    (date_field("rectify", "report-at", "membership.report_at"))
                    button type="submit" { (lang.t("membership.rectify_submit")) }
                }
                form method="post" action=(format!("/orgs/{}/memberships/_/review", org.id)) class="card" aria-labelledby="restore-h" {
                    h3 id="restore-h" { (lang.t("membership.restore")) }
                    (csrf(ui))
                    (scheme_select("restore-scheme"))
                    div class="field" {
                        label for="outcome" { (lang.t("membership.outcome")) }
                        select id="outcome" name="outcome" aria-describedby=[described_by(returned, "outcome", false)] aria-invalid=[invalid("outcome")] {
                            option value="restore" selected[typed("review", "outcome") != "extend"] { (lang.t("membership.outcome_restore")) }
                            option value="extend" selected[typed("review", "outcome") == "extend"] { (lang.t("membership.outcome_extend")) }
                        }
                        (field_problem(returned, "outcome"))
                    }
                    div class="field" {
                        label for="extend-months" { (lang.t("membership.extend_months")) }
                        select id="extend-months" name="months" aria-describedby=[described_by(returned, "extend-months", false)] aria-invalid=[invalid("extend-months")] {
                            @for m in [1u32, 3, 6] { option value=(m) selected[m == 3] { (months(lang, m)) } }
                        }
                        (field_problem(returned, "extend-months"))
                    }
                    div class="field" {
                        label for="review" { (lang.t("membership.review")) " " span class="req" { (lang.t("form.required_mark")) } }
                        textarea id="review" name="review" rows="3" required aria-describedby=[described_by(returned, "review", true)] aria-invalid=[invalid("review")] { (typed("review", "review")) }
                        p class="help" id="review-help" { (lang.t("membership.review_help")) }
                        (field_problem(returned, "review"))
                    }
                    (case_select("restore-case"))
                    button type="submit" { (lang.t("membership.restore_submit")) }
                }
            }
        }
    }
}

/// `POST /orgs/{id}/memberships/{scheme}/{change}`: `change` is `sanction`, `rectify`
/// or `review`; the scheme comes from the path or, as `_`, from the form. Recorded by the
/// API's own handlers, so the same rules apply.
pub async fn change(
    State(state): State<AppState>,
    ui: Ui,
    Path((id, scheme, change)): Path<(String, String, String)>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    let field = |name: &str| {
        form.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_owned()).unwrap_or_default()
    };
    ui.check_csrf(&field("csrf_token"))?;
    // A unit submits its own rectification report from its dashboard; every other
    // change is the analysts' (the API's handlers check again).
    let own = ui.caller.account.as_ref().and_then(|a| a.org_id.as_deref()) == Some(id.as_str());
    if !(change == "rectify" && own) {
        require_manager(&ui)?;
    }
    let scheme = if scheme == "_" { field("scheme") } else { scheme };
    let scheme = if scheme.is_empty() { DEFAULT_SCHEME.to_owned() } else { scheme };
    let at = field("at");
    let (kind, mut body) = match change.as_str() {
        "sanction" => {
            // Each box is `case::rule`; the findings must come from one case.
            let linked: Vec<(&str, &str)> = form
                .iter()
                .filter(|(k, _)| k == "findings")
                .filter_map(|(_, v)| v.split_once(FINDING_SEPARATOR))
                .collect();
            let sanction = field("kind");
            let mut body = json!({"kind": if sanction.is_empty() { "suspension".to_owned() } else { sanction.clone() },
                                  "reason": field("reason"),
                                  "public": field("public") == "true",
                                  "findings": linked.iter().map(|(_, rule)| *rule).collect::<Vec<_>>()});
            if sanction == "suspension" || sanction.is_empty() {
                body["months"] = json!(field("months").parse::<u32>().unwrap_or(6).clamp(1, 60));
            }
            if sanction == "public_criticism" && !field("individual").is_empty() {
                body["individual"] = json!(field("individual"));
            }
            if let Some((case, _)) = linked.first() {
                if linked.iter().any(|(c, _)| c != case) {
                    let message = ui.lang.t("membership.one_case");
                    let returned = Returned {
                        form: change.clone(),
                        values: form.clone(),
                        problems: vec![("findings".into(), message.clone())],
                    };
                    let flash = problems_notice(ui.lang, &returned, &[]);
                    let page = org_page_with(&state, &ui, &id, Some(flash), Some(&returned)).await?;
                    return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
                }
                body["case"] = json!(case);
            }
            ("sanctioned", body)
        }
        "rectify" => ("rectified", json!({"report": field("report")})),
        "review" => {
            let outcome = if field("outcome") == "extend" { "extend" } else { "restore" };
            let mut body = json!({"outcome": outcome, "note": field("review")});
            if outcome == "extend" {
                body["months"] = json!(field("months").parse::<u32>().unwrap_or(3).clamp(1, 60));
            }
            ("reviewed", body)
        }
        _ => return Err(ui.error(AppError::not_found("route"))),
    };
    if !at.is_empty() {
        body["at"] = json!(at);
    }
    if change == "review" && !field("case").is_empty() {
        body["case"] = json!(field("case"));
    }
    let api_kind = match kind {
        "sanctioned" => "sanction",
        "rectified" => "rectify",
        _ => "review",
    };
    match record_change(&state, &ui, &id, &scheme, api_kind, body).await {
        Ok(_) if own && !ui.has_role(&[AccountRole::Analyst, AccountRole::Admin]) => {
            Ok(Redirect::to(&format!("/dashboard?done={kind}#suspension-h")).into_response())
        }
        Ok(_) => Ok(Redirect::to(&format!("/orgs/{id}?done={kind}#history-h")).into_response()),
        Err(error) if error.status == StatusCode::NOT_FOUND || error.status == StatusCode::UNAUTHORIZED => {
            Err(ui.error(error))
        }
        Err(error) if own && !ui.has_role(&[AccountRole::Analyst, AccountRole::Admin]) => {
            Err(ui.error(error))
        }
        Err(error) if error.code == "invalid" => {
            // Each problem beside its field; one that belongs to no field of the form
            // is listed above it, by its field's name in words.
            let mut returned = Returned { form: change.clone(), values: form.clone(), problems: Vec::new() };
            let mut general = Vec::new();
            for detail in &error.details {
                let path = detail["field"].as_str().unwrap_or_default();
                let message =
                    crate::ui::view::problem_words(ui.lang, detail["message"].as_str().unwrap_or_default());
                match membership_field(&change, path) {
                    Some(field) => returned.problems.push((field.to_owned(), message)),
                    None => {
                        general.push(format!("{}: {message}", crate::ui::view::field_name(ui.lang, path)))
                    }
                }
            }
            let flash = problems_notice(ui.lang, &returned, &general);
            let page = org_page_with(&state, &ui, &id, Some(flash), Some(&returned)).await?;
            Ok((error.status, page).into_response())
        }
        Err(error) => {
            let (title, detail) = error_words(ui.lang, &error);
            let flash = notice("error", html! { p { strong { (title) } } p { (detail) } });
            Ok((error.status, org_page(&state, &ui, &id, Some(flash)).await?).into_response())
        }
    }
}

/// The notice above a membership form sent back: how many problems, each linking to its
/// field by the field's label, and those of no field in words.
fn problems_notice(lang: Lang, returned: &Returned, general: &[String]) -> Markup {
    let count = returned.problems.len() + general.len();
    notice(
        "error",
        html! {
            p { strong { (lang.tf("membership.problems", &[("count", &count.to_string())])) } }
            ul {
                @for (field, message) in &returned.problems {
                    li { a href=(format!("#{field}")) { (lang.t(membership_label(field))) } ": " (message) }
                }
                @for line in general { li { (line) } }
            }
        },
    )
}

/// A number of months in words: `1 month`, `6 months` / `1 个月`.
fn months(lang: Lang, n: u32) -> String {
    let key = if n == 1 { "membership.month_one" } else { "membership.months" };
    lang.tf(key, &[("n", &n.to_string())])
}
