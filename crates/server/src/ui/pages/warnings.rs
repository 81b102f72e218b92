//! The risk warnings inbox of an industry unit (风险预警): each warning with its
//! urgency, TLP label, severity, affected assets and remediation; the unit acknowledges
//! it and reports each asset as affected, mitigated, fixed or not affected (with a VEX
//! justification), and downloads the VEX documents. Every step goes through the API's
//! own handlers (`routes::warnings`), so the same access rules apply.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::Value;

use crate::AppState;
use crate::errors::AppError;
use crate::ui::i18n::Lang;
use crate::ui::session::{Ui, UiError};
use crate::ui::view::{SentBack, csrf, error_words, heading, local_text, notice, page};
use vulnrelay_app::warnings::units::{self, StatusBody, WarningsQuery};

/// The justifications offered for `not_affected` (CycloneDX 1.6 impact analysis).
const JUSTIFICATIONS: [&str; 4] =
    ["code_not_present", "code_not_reachable", "requires_configuration", "protected_by_mitigating_control"];

/// The statuses a unit reports per asset.
const STATUSES: [&str; 4] = ["affected", "mitigated", "fixed", "not_affected"];

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

fn localized(lang: Lang, v: &Value) -> String {
    let (first, second) = if lang == Lang::Zh { ("zh", "en") } else { ("en", "zh") };
    v[first].as_str().or_else(|| v[second].as_str()).unwrap_or_default().to_owned()
}

/// Risk warnings per page of the inbox (each shows its acknowledgements and asset statuses).
const INBOX_PAGE: i64 = 20;

/// One page of the caller's warnings as the API lists them, from `cursor` (the first page
/// when `None`), and the cursor of the next page; empty when the API shows none.
pub async fn warnings_page(
    state: &AppState,
    ui: &Ui,
    cursor: Option<String>,
    limit: i64,
) -> (Vec<Value>, Option<String>) {
    let query = WarningsQuery { limit: Some(limit), cursor, ..WarningsQuery::default() };
    match units::list(state, &ui.caller, query).await {
        Ok(list) => (
            list["warnings"].as_array().cloned().unwrap_or_default(),
            list["next_cursor"].as_str().map(str::to_owned),
        ),
        Err(_) => (Vec::new(), None),
    }
}

/// A warning's one-line summary: urgency, vulnerability, title, TLP.
pub fn summary(lang: Lang, w: &Value) -> Markup {
    let content = &w["content"];
    let urgency = text(&content["urgency"]);
    html! {
        span class=(format!("badge urgency-{urgency}")) { (lang.t(&format!("warning.urgency_{}", if urgency.is_empty() { "routine" } else { urgency }))) }
        " "
        a href=(format!("/advisories/{}", text(&w["vulnerability"]))) { (text(&w["vulnerability"])) }
        " " (localized(lang, &content["vulnerability"]["title"]))
        " " span class="tag" { (text(&w["tlp"])) }
    }
}

/// Where an urgency sorts in the inbox: `immediate` first, then `high`, then the rest.
fn urgency_rank(urgency: &Value) -> u8 {
    match urgency.as_str() {
        Some("immediate") => 0,
        Some("high") => 1,
        _ => 2,
    }
}

/// Query of the inbox: what was just done, and which page.
#[derive(Debug, Deserialize)]
pub struct InboxQuery {
    /// `ack` or `status`.
    pub done: Option<String>,
    /// Where the page starts (the API's `next_cursor`); the newest warnings when absent.
    pub cursor: Option<String>,
}

/// `GET /warnings`: the inbox.
pub async fn inbox(
    State(state): State<AppState>,
    ui: Ui,
    Query(query): Query<InboxQuery>,
) -> Result<Response, UiError> {
    ui.account()?;
    let flash = query.done.map(|d| {
        notice(
            "ok",
            html! { p { (ui.lang.t(if d == "ack" { "warning.done_ack" } else { "warning.done_status" })) } },
        )
    });
    Ok(inbox_page(&state, &ui, flash, query.cursor, None).await?.into_response())
}

async fn inbox_page(
    state: &AppState,
    ui: &Ui,
    flash: Option<Markup>,
    cursor: Option<String>,
    sent: Option<&SentBack>,
) -> Result<Markup, UiError> {
    let lang = ui.lang;
    let mut items = Vec::new();
    let (page_items, next_cursor) = warnings_page(state, ui, cursor, INBOX_PAGE).await;
    for w in page_items {
        let id = text(&w["id"]).to_owned();
        let detail = match units::show(state, &ui.caller, id).await {
            Ok(detail) => detail,
            Err(_) => w.clone(),
        };
        items.push(detail);
    }
    // The most urgent first, then the newest.
    items.sort_by(|a, b| {
        urgency_rank(&a["content"]["urgency"])
            .cmp(&urgency_rank(&b["content"]["urgency"]))
            .then_with(|| text(&b["created_at"]).cmp(text(&a["created_at"])))
    });
    let own_org = ui.caller.account.as_ref().and_then(|a| a.org_id.clone());
    let title = lang.t("warning.title");
    Ok(page(
        ui,
        &title,
        html! {
            (heading(&title, flash))
            p class="help" { (lang.t("warning.help")) }
            @if items.is_empty() { p { (lang.t("warning.none")) } }
            @for w in &items {
                @let id = text(&w["id"]);
                @let content = &w["content"];
                @let answers = own_org.as_deref() == w["org"].as_str();
                article class="card warning" aria-labelledby=(format!("w-{id}")) {
                    h2 id=(format!("w-{id}")) { (summary(lang, w)) }
                    p class="muted" {
                        (lang.tf("warning.revision", &[("n", &w["revision"].to_string()), ("when", &local_text(text(&w["updated_at"])))]))
                        @if let Some(severity) = w["severity"].as_str() { " · " (lang.tf("warning.severity", &[("severity", &lang.t(&format!("rating.{severity}")))])) }
                    }
                    @if w["revision"] != 1 {
                        p class="muted" { (lang.tf("warning.first_issued", &[("when", &local_text(text(&w["created_at"])))])) }
                    }
                    @if let Some(by) = content["issued_by"].as_str() {
                        p { (lang.tf("warning.issued_by", &[("org", by)])) " " (localized(lang, &content["note"])) }
                    }
                    @if w["state"] == "withdrawn" { p { strong { (lang.t("warning.withdrawn")) } } }
                    h3 { (lang.t("warning.remediation")) }
                    p { (localized(lang, &content["remediation"])) }
                    @if let Some(fixed) = content["fixed_versions"].as_array().filter(|f| !f.is_empty()) {
                        p { (lang.tf("warning.fixed_versions", &[("versions", &fixed.iter().map(text).collect::<Vec<_>>().join(", "))])) }
                    }
                    h3 { (lang.t("warning.affected")) }
                    @let statuses = w["assets"].as_array().cloned().unwrap_or_default();
                    @for (i, asset) in content["affected"].as_array().into_iter().flatten().enumerate() {
                        @let name = text(&asset["asset"]);
                        @let reported = statuses.iter().rev().find(|s| s["asset"] == name);
                        section class="asset" aria-labelledby=(format!("w-{id}-a{i}")) {
                            h4 id=(format!("w-{id}-a{i}")) { (name) }
                            ul { @for c in asset["components"].as_array().into_iter().flatten() {
                                li { code { (text(&c["purl"])) } }
                            } }
                            @if let Some(r) = reported {
                                p { (lang.tf("warning.current_status", &[("status", &lang.t(&format!("warning.status_{}", text(&r["status"]))))])) }
                            }
                            @if answers { (status_form(ui, id, name, i, sent)) }
                        }
                    }
                    @if answers {
                        @let acked = w["acknowledgements"].as_array().into_iter().flatten().any(|a| a["revision"] == w["revision"]);
                        @if acked {
                            p { (lang.tf("warning.acknowledged", &[("n", &w["revision"].to_string())])) }
                        } @else {
                            form method="post" action=(format!("/warnings/{id}/ack")) {
                                (csrf(ui))
                                button type="submit" { (lang.t("warning.ack")) }
                            }
                        }
                    }
                    p {
                        (lang.t("warning.vex")) ": "
                        a href=(format!("/api/v1/warnings/{id}/vex.cdx.json")) download { "CycloneDX VEX" } " · "
                        a href=(format!("/api/v1/warnings/{id}/vex.csaf.json")) download { "CSAF VEX" }
                    }
                }
            }
            @if let Some(next) = &next_cursor {
                p { a rel="next" href=(format!("/warnings?cursor={next}")) { (lang.t("warning.older")) " →" } }
            }
        },
    ))
}

fn status_form(ui: &Ui, id: &str, asset: &str, i: usize, sent: Option<&SentBack>) -> Markup {
    let lang = ui.lang;
    let field = |name: &str| format!("w-{id}-a{i}-{name}");
    let form = status_form_name(id, asset);
    let none = SentBack::default();
    let sent = sent.unwrap_or(&none);
    let typed = |name: &str| sent.value(&form, name).unwrap_or_default().to_owned();
    let (status, justification) = (typed("status"), typed("justification"));
    html! {
        form method="post" action=(format!("/warnings/{id}/assets/{}", crate::ui::session::encode(asset))) class="inline" {
            (csrf(ui))
            div class="field" {
                label for=(field("status")) { (lang.tf("warning.asset_status", &[("asset", asset)])) }
                select id=(field("status")) name="status" aria-invalid=[sent.invalid(&form, "status")] aria-describedby=[sent.described_by(&form, "status", &field("status"), None)] {
                    @for s in STATUSES { option value=(s) selected[status == s] { (lang.t(&format!("warning.status_{s}"))) } }
                }
                (sent.beside(&form, "status", &field("status")))
            }
            div class="field" {
                label for=(field("justification")) { (lang.t("warning.justification")) }
                select id=(field("justification")) name="justification" aria-invalid=[sent.invalid(&form, "justification")] aria-describedby=[sent.described_by(&form, "justification", &field("justification"), None)] {
                    option value="" { (lang.t("warning.justification_none")) }
                    @for j in JUSTIFICATIONS { option value=(j) selected[justification == j] { (lang.t(&format!("warning.just_{j}"))) } }
                }
                (sent.beside(&form, "justification", &field("justification")))
            }
            div class="field" {
                label for=(field("detail")) { (lang.t("warning.detail")) }
                input type="text" id=(field("detail")) name="detail" value=(typed("detail")) aria-invalid=[sent.invalid(&form, "detail")] aria-describedby=[sent.described_by(&form, "detail", &field("detail"), None)];
                (sent.beside(&form, "detail", &field("detail")))
            }
            button type="submit" { (lang.t("warning.save_status")) }
        }
    }
}

/// The answer to a form: back to the inbox, or the inbox again with the refusal; a
/// status form's problems (`form`: the form's name and what was typed) beside its fields.
async fn answer(
    state: &AppState,
    ui: &Ui,
    result: Result<Value, vulnrelay_app::Error>,
    done: &str,
    form: Option<(String, &[(String, String)])>,
) -> Result<Response, UiError> {
    match result.map_err(AppError::from) {
        Ok(_) => Ok(Redirect::to(&format!("/warnings?done={done}")).into_response()),
        Err(error) if matches!(error.status.as_u16(), 401 | 403 | 404) => Err(ui.error(error)),
        Err(error) => {
            let lang = ui.lang;
            let sent = form.map(|(name, values)| SentBack::new(lang, &name, values, &error));
            let (title, detail) = error_words(lang, &error);
            let flash = match &sent {
                Some(sent) if !sent.problems.is_empty() => {
                    let general = sent.general(lang, &STATUS_FIELDS);
                    notice(
                        "error",
                        html! {
                            p { strong { (lang.tf("form.problems", &[("count", &sent.problems.len().to_string())])) } }
                            @for line in &general { p { (line) } }
                        },
                    )
                }
                _ => notice("error", html! { p { strong { (title) } } p { (detail) } }),
            };
            Ok((error.status, inbox_page(state, ui, Some(flash), None, sent.as_ref()).await?).into_response())
        }
    }
}

/// The fields of an asset's status form.
const STATUS_FIELDS: [&str; 3] = ["status", "justification", "detail"];

/// The name of the status form of `asset` in warning `id`.
fn status_form_name(id: &str, asset: &str) -> String {
    format!("{id}/{asset}")
}

/// `POST /warnings/{id}/ack`: acknowledges the warning's current revision.
pub async fn acknowledge(
    State(state): State<AppState>,
    ui: Ui,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    let token = form.iter().find(|(k, _)| k == "csrf_token").map(|(_, v)| v.as_str()).unwrap_or_default();
    ui.check_csrf(token)?;
    let result = units::acknowledge(&state, &ui.caller, id).await;
    answer(&state, &ui, result, "ack", None).await
}

/// `POST /warnings/{id}/assets/{asset}`: the unit's status of one asset.
pub async fn set_status(
    State(state): State<AppState>,
    ui: Ui,
    Path((id, asset)): Path<(String, String)>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    let field = |name: &str| {
        form.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_owned()).unwrap_or_default()
    };
    ui.check_csrf(&field("csrf_token"))?;
    let optional = |v: String| if v.is_empty() { None } else { Some(v) };
    let body = StatusBody {
        status: field("status"),
        justification: optional(field("justification")),
        detail: optional(field("detail")),
    };
    let name = status_form_name(&id, &asset);
    let result = units::set_status(&state, &ui.caller, (id, asset), body).await;
    answer(&state, &ui, result, "status", Some((name, &form))).await
}
