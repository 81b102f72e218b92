//! The drafts of the notifications the signed-in organisation owes on a case: both
//! regimes side by side, stage by stage, field by field (article and confidence beside
//! each field, what is missing marked), printable, ready to copy into the EU single
//! reporting platform's form; each draft can be completed and marked sent (with the
//! receiving system's reference), which records the notification on the case.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use crate::AppState;
use crate::drafts::{Completion, Drafting, draft_key};
use crate::ui::Lang;
use crate::ui::session::{Ui, UiError};
use crate::ui::view::{article, csrf, page, status_badge, time};

/// Query of `GET /cases/{id}/drafts`.
#[derive(Debug, Default, Deserialize)]
pub struct DraftsQuery {
    /// Whose duties (the case's platforms may look at another organisation's).
    pub org: Option<String>,
    /// Set after a draft was sent: its rule.
    pub sent: Option<String>,
}

fn pick(lang: Lang, text: &vulnrelay_policy::Text) -> &str {
    if lang == Lang::Zh { &text.zh } else { &text.en }
}

/// `GET /cases/{id}/drafts`.
pub async fn show(
    State(state): State<AppState>,
    ui: Ui,
    Path(id): Path<String>,
    Query(query): Query<DraftsQuery>,
) -> Result<Response, UiError> {
    ui.account()?;
    let drafting =
        Drafting::load(&state, &ui.caller, &id, query.org.as_deref()).await.map_err(|e| ui.error(e))?;
    Ok(drafts_page(&state, &ui, &drafting, query.sent.as_deref(), None).into_response())
}

fn drafts_page(
    state: &AppState,
    ui: &Ui,
    drafting: &Drafting,
    sent: Option<&str>,
    failed: Option<&str>,
) -> Markup {
    let lang = ui.lang;
    let loaded = &drafting.loaded;
    let id = &loaded.record.id;
    let tz = loaded.case.timezone();
    let findings = drafting.findings(state);
    let drafts = drafting.drafts(&findings);
    let own = ui.caller.account.as_ref().and_then(|a| a.org_id.as_deref()) == Some(drafting.org.0.as_str());
    let conflicts: Vec<_> = findings
        .iter()
        .filter(|f| f.party == &drafting.org && f.status == vulnrelay_policy::Status::Conflict)
        .collect();
    let regimes: Vec<&vulnrelay_policy::Pack> =
        state.packs.iter().filter(|p| drafts.iter().any(|d| d.finding.pack.id == p.id)).collect();
    let title = lang.tf("drafts.title", &[("case", &loaded.record.title)]);
    let body = html! {
        h1 { (title) }
        p class="help" { (lang.t("drafts.help")) }
        p class="no-print" {
            a href=(format!("/cases/{id}")) { (lang.t("drafts.back")) } " · "
            a href=(format!("/api/v1/cases/{id}/drafts{}", if own { String::new() } else { format!("?org={}", drafting.org.0) })) { (lang.t("drafts.json")) } " · "
            @let other = if lang == Lang::Zh { Lang::En } else { Lang::Zh };
            a href=(format!("/lang/{}?next=/cases/{id}/drafts", other.tag())) lang=(other.tag()) hreflang=(other.tag()) { (lang.t("drafts.other_language")) }
        }
        dl class="facts" {
            dt { (lang.t("drafts.org")) } dd { (loaded.case.party(&drafting.org).map_or(drafting.org.0.as_str(), |p| p.name_in(lang.chinese()))) }
            dt { (lang.t("drafts.as_of")) } dd { (time(drafting.as_of, tz)) }
        }
        @if let Some(rule) = sent { p class="done" role="status" { (lang.tf("drafts.sent", &[("rule", rule)])) } }
        @if let Some(problem) = failed { p class="problem" role="alert" { (problem) } }
        @for f in &conflicts {
            p class="conflict" role="note" { (status_badge(lang, f.status)) " " (crate::ui::view::finding_words(lang, &f.message(&loaded.case))) }
        }
        @if drafts.is_empty() { p { (lang.t("drafts.none")) } }
        div class="regimes" {
            @for pack in &regimes {
                section class="regime" aria-label=(pick(lang, &pack.title)) {
                    h2 { (pick(lang, &pack.title)) }
                    @for d in drafts.iter().filter(|d| d.finding.pack.id == pack.id) {
                        @let f = d.finding;
                        @let (rule, product) = draft_key(d);
                        @let missing = d.missing();
                        article class="draft" id=(rule.replace('/', "-")) {
                            h3 { (pick(lang, &f.rule.title)) }
                            p {
                                (status_badge(lang, f.status)) " " span class="rule" { (rule) " " (article(lang, &f.rule.article)) " [" (f.rule.confidence.tag()) "]" }
                            }
                            p class="due" {
                                @if let Some(due) = f.due_at { (lang.t("dashboard.due")) " " (time(due, tz)) }
                                @else if f.status == vulnrelay_policy::Status::NotStarted { (lang.t("status.not_started")) }
                                @else { (lang.t("dashboard.immediately")) }
                            }
                            p {
                                (lang.t("drafts.kind")) " " code { (d.kind.as_str()) } " → "
                                (d.recipients.iter().map(|r| lang.t(&format!("party_role.{}", r.as_str()))).collect::<Vec<_>>().join(if d.to_all { " + " } else { " / " }))
                            }
                            p class=(if missing.is_empty() { "summary ready" } else { "summary missing" }) {
                                (pick(lang, &crate::drafts::reminder_words(d)))
                            }
                            form method="post" action=(format!("/cases/{id}/drafts/send")) class="draft-form" {
                                (csrf(ui))
                                input type="hidden" name="rule" value=(rule);
                                @if let Some(product) = &product { input type="hidden" name="product" value=(product); }
                                table class="fields" {
                                    thead { tr { th { (lang.t("drafts.field")) } th { (lang.t("drafts.value")) } } }
                                    tbody {
                                        @for field in &d.fields {
                                            @let name = format!("field.{}", field.field.id);
                                            tr class=(if field.is_missing() { "missing" } else { "filled" }) {
                                                th scope="row" {
                                                    label for=(format!("{}-{}", rule.replace('/', "-"), field.field.id)) { (pick(lang, &field.field.label)) }
                                                    br;
                                                    span class="muted" {
                                                        (article(lang, &field.field.article)) " [" (field.field.confidence.tag()) "]"
                                                        @if let Some(q) = field.field.qualifier { " · " (pick(lang, &vulnrelay_policy::qualifier_words(q))) }
                                                    }
                                                    @if field.is_missing() { br; span class="badge missing" { (lang.t("drafts.missing")) } }
                                                    @else if let Some(origin) = field.origin { br; span class="muted" { (lang.tf("drafts.from", &[("source", &lang.t(&format!("drafts.origin.{}", origin.as_str())))])) } }
                                                }
                                                td {
                                                    textarea id=(format!("{}-{}", rule.replace('/', "-"), field.field.id)) name=(name) rows="3" disabled[!own] { (field.value.as_deref().unwrap_or_default()) }
                                                    @if field.field.qualifier.is_some() {
                                                        label class="inline" {
                                                            input type="checkbox" name=(format!("na.{}", field.field.id)) value="1" checked[field.not_applicable] disabled[!own];
                                                            " " (lang.t("drafts.not_applicable"))
                                                        }
                                                    }
                                                }
                                            }
                                        }
                                    }
                                }
                                @if own {
                                    div class="field no-print" {
                                        label for=(format!("{}-reference", rule.replace('/', "-"))) { (lang.t("drafts.reference")) }
                                        input type="text" id=(format!("{}-reference", rule.replace('/', "-"))) name="reference";
                                        p class="help" { (lang.t("drafts.reference_help")) }
                                    }
                                    button type="submit" class="no-print" { (lang.t("drafts.mark_sent")) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    page(ui, &title, body)
}

/// `POST /cases/{id}/drafts/send`: the completed draft, recorded as sent now.
pub async fn send(
    State(state): State<AppState>,
    ui: Ui,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    let value = |key: &str| form.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    ui.check_csrf(&value("csrf_token").unwrap_or_default())?;
    let completion = Completion {
        rule: value("rule").unwrap_or_default(),
        product: value("product"),
        fields: form
            .iter()
            .filter_map(|(k, v)| k.strip_prefix("field.").map(|id| (id.to_owned(), v.clone())))
            .collect(),
        not_applicable: form.iter().filter_map(|(k, _)| k.strip_prefix("na.").map(str::to_owned)).collect(),
        reference: value("reference"),
        to: Vec::new(),
    };
    let rule = completion.rule.clone();
    match crate::drafts::send(&state, &ui.caller, &id, completion)
        .await
        .map_err(crate::errors::AppError::from)
    {
        Ok(_) => Ok(Redirect::to(&format!("/cases/{id}/drafts?sent={rule}")).into_response()),
        Err(error) if error.code == "not_found" || error.status == StatusCode::UNAUTHORIZED => {
            Err(ui.error(error))
        }
        Err(error) => {
            let drafting = Drafting::load(&state, &ui.caller, &id, None).await.map_err(|e| ui.error(e))?;
            let mut problem = error.message.clone();
            for detail in &error.details {
                if let Some(message) = detail.get("message").and_then(|m| m.as_str()) {
                    problem.push_str(&format!(" — {message}"));
                }
            }
            Ok((error.status, drafts_page(&state, &ui, &drafting, None, Some(&problem))).into_response())
        }
    }
}
