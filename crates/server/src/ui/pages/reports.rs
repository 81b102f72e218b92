//! Submitting a report: the content CN Art. 7(2) asks for, each field with help text,
//! attachments (exploit code marked as such), problems shown in the viewer's language
//! beside their fields, and afterwards the receipt with its number and time.
//!
//! The form is turned into the JSON body of `POST /api/v1/reports` and taken in by the
//! same function, so the web and the API accept exactly the same reports.

use std::collections::HashMap;

use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use chrono::{NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use maud::{Markup, html};
use serde_json::{Value, json};
use vulnrelay_domain::{AccountRole, PLATFORM_ROLES, Role};

use crate::AppState;
use crate::errors::AppError;
use crate::ui::i18n::Lang;
use crate::ui::picker::{self, Picker};
use crate::ui::session::{Ui, UiError};
use crate::ui::view::{Field, csrf, notice, page, problem_words, time};
use vulnrelay_app::reports::{Intake, Submission, take_in};

/// The largest report form taken: files kept from an earlier round travel as base64
/// (a third larger) beside newly chosen ones; the intake's own limits on attachments
/// (`Config::max_attachments_total_bytes`) still apply to what it receives.
pub const FORM_MAX_BYTES: usize = 8 * 1024 * 1024;

/// The time zones offered (the report's times are read in the one chosen).
const TIMEZONES: [&str; 6] =
    ["Asia/Shanghai", "UTC", "Asia/Hong_Kong", "Europe/Brussels", "Europe/Berlin", "America/New_York"];

/// The text fields of the form, in order: (name, label key, help key, required, kind).
const FIELDS: [(&str, &str, &str, bool, &str); 11] = [
    ("title", "report.title_field", "report.title_help", false, "text"),
    ("product_name", "report.product_name", "report.product_name_help", true, "text"),
    ("product_model", "report.product_model", "report.product_model_help", true, "text"),
    ("affected_versions", "report.affected_versions", "report.affected_versions_help", true, "textarea"),
    ("purl", "report.purl", "report.purl_help", false, "text"),
    ("technical_characteristics", "report.technical", "report.technical_help", true, "textarea"),
    ("harm", "report.harm", "report.harm_help", true, "textarea"),
    ("scope_of_impact", "report.scope", "report.scope_help", true, "textarea"),
    ("discovered_at", "report.discovered_at", "report.discovered_at_help", true, "datetime-local"),
    ("aware_at", "report.aware_at", "report.aware_at_help", false, "datetime-local"),
    ("cvss_vector", "report.cvss", "report.cvss_help", false, "text"),
];

/// What the viewer typed, and what is wrong with it.
#[derive(Debug, Default)]
struct Draft {
    values: HashMap<String, String>,
    files: Vec<(String, String, Vec<u8>, bool)>,
    problems: Vec<(String, String)>,
}

impl Draft {
    fn value(&self, name: &str) -> &str {
        self.values.get(name).map_or("", |v| v.as_str())
    }

    fn problem(&self, name: &str) -> Option<String> {
        let found: Vec<&str> =
            self.problems.iter().filter(|(f, _)| f == name).map(|(_, m)| m.as_str()).collect();
        (!found.is_empty()).then(|| found.join("; "))
    }
}

fn require_reporter(ui: &Ui) -> Result<(), UiError> {
    ui.account()?;
    if ui.has_role(&[AccountRole::Reporter, AccountRole::Coordinator]) {
        Ok(())
    } else {
        Err(ui.error(AppError::forbidden("this needs one of the roles: reporter, coordinator")))
    }
}

/// `GET /reports`: the form (a reload of the receipt's address lands here).
pub async fn to_form() -> axum::response::Redirect {
    axum::response::Redirect::to("/reports/new")
}

/// `GET /reports/new`: the report form.
pub async fn form(State(state): State<AppState>, ui: Ui) -> Result<Response, UiError> {
    require_reporter(&ui)?;
    let mut draft = Draft::default();
    draft.values.insert("timezone".into(), "Asia/Shanghai".into());
    draft.values.insert("idempotency_key".into(), crate::auth::new_secret("web-")[..24].to_owned());
    Ok(form_page(&state, &ui, &draft).await?.into_response())
}

async fn form_page(state: &AppState, ui: &Ui, draft: &Draft) -> Result<Markup, UiError> {
    let lang = ui.lang;
    let providers = picker::find(
        state,
        ui,
        &[Role::ProductProvider],
        draft.value("find_provider"),
        "",
        draft.value("provider"),
    )
    .await?;
    let platforms =
        picker::find(state, ui, &PLATFORM_ROLES, draft.value("find_platform"), "", draft.value("platform"))
            .await?;
    let general = draft.problem("general");
    let title = lang.t("report.title");
    Ok(page(
        ui,
        &title,
        html! {
            h1 { (title) }
            p class="help" { (lang.t("report.intro")) }
            p class="help" { (lang.t("report.what_is_published")) }
            @if !draft.problems.is_empty() {
                (notice("error", html! {
                    p { (lang.tf("report.problems", &[("count", &draft.problems.len().to_string())])) }
                    ul { @for (field, message) in &draft.problems {
                    li {
                        @if field == "general" { (field_label(lang, field)) }
                        @else { a href=(format!("#{field}")) { (field_label(lang, field)) } }
                        ": " (message)
                    }
                } }
                }))
            }
            form method="post" action="/reports" enctype="multipart/form-data" class="report" novalidate {
                (csrf(ui))
                input type="hidden" name="idempotency_key" value=(draft.value("idempotency_key"));
                fieldset {
                    legend { (lang.t("report.product")) }
                    @for (name, label, help, required, kind) in &FIELDS[..5] {
                        (Field { name, label, help: Some(help), value: draft.value(name), required: *required, kind, problem: draft.problem(name) }.render(lang))
                    }
                    (Picker {
                        id: "provider",
                        name: "provider",
                        label: lang.t("report.provider"),
                        roles: &[Role::ProductProvider],
                        exclude: "",
                        selected: draft.value("provider"),
                        blank: Some(lang.t("report.provider_unknown")),
                        find_form: None,
                        help_id: Some("provider-help"),
                    }.render(lang, &providers, html! {
                        p class="help" id="provider-help" { (lang.t("report.provider_help")) }
                        @if let Some(p) = draft.problem("provider") { p class="problem" { (p) } }
                    }))
                }
                fieldset {
                    legend { (lang.t("report.vulnerability")) }
                    @for (name, label, help, required, kind) in &FIELDS[5..8] {
                        (Field { name, label, help: Some(help), value: draft.value(name), required: *required, kind, problem: draft.problem(name) }.render(lang))
                    }
                    (Field { name: FIELDS[10].0, label: FIELDS[10].1, help: Some(FIELDS[10].2), value: draft.value(FIELDS[10].0), required: false, kind: "text", problem: draft.problem(FIELDS[10].0) }.render(lang))
                }
                fieldset {
                    legend { (lang.t("report.when")) }
                    div class="field" {
                        label for="timezone" { (lang.t("report.timezone")) }
                        select id="timezone" name="timezone" aria-describedby="timezone-help" {
                            @for tz in TIMEZONES { option value=(tz) selected[draft.value("timezone") == tz] { (tz) } }
                        }
                        p class="help" id="timezone-help" { (lang.t("report.timezone_help")) }
                    }
                    @for (name, label, help, required, kind) in &FIELDS[8..10] {
                        (Field { name, label, help: Some(help), value: draft.value(name), required: *required, kind, problem: draft.problem(name) }.render(lang))
                    }
                }
                fieldset {
                    legend { (lang.t("report.routing")) }
                    (Picker {
                        id: "platform",
                        name: "platform",
                        label: lang.t("report.platform"),
                        roles: &PLATFORM_ROLES,
                        exclude: "",
                        selected: draft.value("platform"),
                        blank: Some(lang.t("report.platform_default")),
                        find_form: None,
                        help_id: Some("platform-help"),
                    }.render(lang, &platforms, html! {
                        p class="help" id="platform-help" { (lang.t("report.platform_help")) }
                        @if let Some(p) = draft.problem("platform") { p class="problem" { (p) } }
                    }))
                    (Field { name: "note", label: "report.note", help: Some("report.note_help"), value: draft.value("note"), required: false, kind: "textarea", problem: None }.render(lang))
                }
                fieldset {
                    legend { (lang.t("report.attachments")) }
                    @if !draft.files.is_empty() {
                        div class="field kept" {
                            p id="kept-help" class="help" { (lang.t("report.kept_help")) }
                            ul class="kept-files" {
                                @for (i, (filename, media_type, content, exploit)) in draft.files.iter().enumerate() {
                                    li {
                                        input type="checkbox" id=(format!("kept-{i}")) name="kept" checked aria-describedby="kept-help"
                                            value=(keep_value(filename, media_type, content, *exploit));
                                        label for=(format!("kept-{i}")) {
                                            (lang.tf("report.keep_file", &[("name", filename), ("n", &content.len().to_string())]))
                                            @if *exploit { " " span class="badge violated" { (lang.t("case.exploit_code")) } }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    div class="field" {
                        label for="attachments" { (lang.t("report.files")) }
                        input id="attachments" name="attachments" type="file" multiple aria-describedby="attachments-help";
                        p class="help" id="attachments-help" { (lang.t("report.files_help")) }
                    }
                    div class="field" {
                        label for="exploit" { (lang.t("report.exploit_files")) }
                        input id="exploit" name="exploit" type="file" multiple aria-describedby="exploit-help";
                        p class="help" id="exploit-help" { (lang.t("report.exploit_help")) }
                    }
                    @if let Some(p) = draft.problem("attachments") { p class="problem" { (p) } }
                }
                @if let Some(p) = general { p class="problem" { (p) } }
                button type="submit" { (lang.t("report.submit")) }
            }
        },
    ))
}

/// The label of a form field, for the list of problems.
fn field_label(lang: Lang, field: &str) -> String {
    match FIELDS.iter().find(|f| f.0 == field) {
        Some((_, label, ..)) => lang.t(label),
        None => match field {
            "provider" => lang.t("report.provider"),
            "platform" => lang.t("report.platform"),
            "timezone" => lang.t("report.timezone"),
            "attachments" => lang.t("report.attachments"),
            _ => lang.t("report.general"),
        },
    }
}

/// The form field of a problem the intake reports by JSON path.
fn field_of(path: &str) -> &'static str {
    let path = path.trim_start_matches("$.");
    let head = path.split(['.', '[']).next().unwrap_or_default();
    match (head, path) {
        ("product", p) if p.starts_with("product.name") => "product_name",
        ("product", p) if p.starts_with("product.model") => "product_model",
        ("product", p) if p.starts_with("product.affected_versions") => "affected_versions",
        ("product", p) if p.starts_with("product.provider") => "provider",
        ("product", p) if p.starts_with("product.purl") => "purl",
        ("product", _) => "product_name",
        ("attachments", _) => "attachments",
        ("title", _) => "title",
        ("technical_characteristics", _) => "technical_characteristics",
        ("harm", _) => "harm",
        ("scope_of_impact", _) => "scope_of_impact",
        ("discovered_at", _) => "discovered_at",
        ("aware_at", _) => "aware_at",
        ("cvss_vector", _) => "cvss_vector",
        ("timezone", _) => "timezone",
        ("platform", _) => "platform",
        _ => "general",
    }
}

/// Reads the multipart form.
async fn read_form(ui: &Ui, mut multipart: Multipart) -> Result<Draft, UiError> {
    let mut draft = Draft::default();
    let bad = |ui: &Ui, e: axum::extract::multipart::MultipartError| {
        let status = e.status();
        ui.error(AppError::new(status, "bad_request", e.body_text()))
    };
    while let Some(field) = multipart.next_field().await.map_err(|e| bad(ui, e))? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "attachments" || name == "exploit" {
            let filename = field.file_name().unwrap_or_default().to_owned();
            let media_type = field.content_type().unwrap_or("application/octet-stream").to_owned();
            let bytes = field.bytes().await.map_err(|e| bad(ui, e))?;
            if !filename.is_empty() || !bytes.is_empty() {
                draft.files.push((filename, media_type, bytes.to_vec(), name == "exploit"));
            }
        } else if name == "kept" {
            // A file chosen in an earlier round, kept in the form (`kept_file`); a
            // value that does not read as one is dropped, as a file not chosen.
            let text = field.text().await.map_err(|e| bad(ui, e))?;
            if let Some(file) = kept_file(&text) {
                draft.files.push(file);
            }
        } else {
            let text = field.text().await.map_err(|e| bad(ui, e))?;
            draft.values.insert(name, text);
        }
    }
    Ok(draft)
}

/// A file chosen in a round with problems, as the form keeps it: the value of its "keep"
/// check box, `{filename, media_type, exploit_code, content_base64}`. Kept in the form
/// rather than on the server, so nothing unsubmitted — exploit code included — is stored
/// outside a case, nothing needs cleaning up, and it works without JavaScript and across
/// servers; the intake checks it like any upload.
fn keep_value(filename: &str, media_type: &str, content: &[u8], exploit: bool) -> String {
    json!({"filename": filename, "media_type": media_type, "exploit_code": exploit,
           "content_base64": base64::engine::general_purpose::STANDARD.encode(content)})
    .to_string()
}

/// Reads a [`keep_value`] back.
fn kept_file(text: &str) -> Option<(String, String, Vec<u8>, bool)> {
    let value: Value = serde_json::from_str(text).ok()?;
    let content = base64::engine::general_purpose::STANDARD.decode(value["content_base64"].as_str()?).ok()?;
    Some((
        value["filename"].as_str()?.to_owned(),
        value["media_type"].as_str().unwrap_or("application/octet-stream").to_owned(),
        content,
        value["exploit_code"].as_bool().unwrap_or(false),
    ))
}

/// A `datetime-local` value (or RFC 3339, or a date) in `tz`, as RFC 3339.
fn local_time(text: &str, tz: Tz) -> Option<String> {
    let text = text.trim();
    for format in ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(text, format) {
            return tz.from_local_datetime(&naive).earliest().map(|t| t.to_rfc3339());
        }
    }
    vulnrelay_formats::case_file::parse_time(text, tz).ok().map(|t| t.with_timezone(&tz).to_rfc3339())
}

/// The JSON body of the intake; the problems the form itself sees (a required field
/// left empty, a time it cannot read) go into the draft, and the body is made all the
/// same, so that the intake's checks find the rest in the same round.
fn body_of(lang: Lang, draft: &mut Draft) -> Value {
    for (name, _, _, required, _) in FIELDS {
        if required && draft.value(name).trim().is_empty() {
            draft.problems.push((name.to_owned(), lang.t("problem.required")));
        }
    }
    let tz: Tz = draft.value("timezone").parse().unwrap_or(Tz::Asia__Shanghai);
    let mut times = HashMap::new();
    for name in ["discovered_at", "aware_at"] {
        let text = draft.value(name).to_owned();
        if text.trim().is_empty() {
            continue;
        }
        match local_time(&text, tz) {
            Some(t) => {
                times.insert(name, t);
            }
            None => draft.problems.push((name.to_owned(), lang.t("problem.time"))),
        }
    }
    let optional = |name: &str| Some(draft.value(name).trim()).filter(|v| !v.is_empty()).map(str::to_owned);
    let versions: Vec<String> = draft
        .value("affected_versions")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    let mut product = json!({"name": draft.value("product_name").trim(), "model": draft.value("product_model").trim(),
                             "affected_versions": versions});
    if let Some(provider) = optional("provider") {
        product["provider"] = json!(provider);
    }
    if let Some(purl) = optional("purl") {
        product["purl"] = json!(purl);
    }
    let mut body = json!({
        "timezone": tz.name(),
        "product": product,
        "technical_characteristics": draft.value("technical_characteristics").trim(),
        "harm": draft.value("harm").trim(),
        "scope_of_impact": draft.value("scope_of_impact").trim(),
    });
    for (name, value) in times {
        body[name] = json!(value);
    }
    for name in ["title", "cvss_vector", "platform", "note"] {
        if let Some(value) = optional(name) {
            body[name] = json!(value);
        }
    }
    if !draft.files.is_empty() {
        body["attachments"] = draft
            .files
            .iter()
            .map(|(filename, media_type, content, exploit)| {
                json!({"filename": filename, "media_type": media_type, "exploit_code": exploit,
                       "content_base64": base64::engine::general_purpose::STANDARD.encode(content)})
            })
            .collect();
    }
    body
}

/// `POST /reports`: takes the report in and shows the receipt, or the form again with
/// every problem beside its field.
pub async fn submit(
    State(state): State<AppState>,
    ui: Ui,
    multipart: Multipart,
) -> Result<Response, UiError> {
    require_reporter(&ui)?;
    let lang = ui.lang;
    let mut draft = read_form(&ui, multipart).await?;
    ui.check_csrf(draft.value("csrf_token"))?;
    if !draft.value("find").is_empty() {
        // A picker's search without the script: the form again, as it was sent, with
        // what the search found; nothing is checked or taken in.
        return Ok(form_page(&state, &ui, &draft).await?.into_response());
    }
    let body = body_of(lang, &mut draft);
    // Problems the form saw itself: the intake only checks, so that every problem is
    // shown at once and nothing is taken in.
    let intake = if draft.problems.is_empty() { Intake::Take } else { Intake::CheckOnly };
    let key = Some(draft.value("idempotency_key").to_owned()).filter(|k| !k.is_empty());
    let taken = match Submission::read(body) {
        Ok(submission) => take_in(&state, &ui.caller, key.as_deref(), "web", submission, intake).await,
        Err(problems) => Err(problems),
    };
    match taken {
        // The receipt has its own address: a reload or a change of language keeps it.
        Ok((_, answer)) if intake == Intake::Take => Ok(axum::response::Redirect::to(&format!(
            "/receipts/{}",
            answer["receipt"]["id"].as_str().unwrap_or_default()
        ))
        .into_response()),
        Ok(_) => {
            Ok((StatusCode::UNPROCESSABLE_ENTITY, form_page(&state, &ui, &draft).await?).into_response())
        }
        Err(vulnrelay_app::Error::Invalid(problems)) => {
            // The form's own word for a field comes first; the intake's for the same
            // field (an empty field is "required" to both) is not repeated.
            let seen: Vec<String> = draft.problems.iter().map(|(f, _)| f.clone()).collect();
            for problem in &problems {
                let field = field_of(&problem.field);
                let message = problem_words(lang, &problem.message);
                if !seen.iter().any(|f| f == field)
                    && !draft.problems.contains(&(field.to_owned(), message.clone()))
                {
                    draft.problems.push((field.to_owned(), message));
                }
            }
            Ok((StatusCode::UNPROCESSABLE_ENTITY, form_page(&state, &ui, &draft).await?).into_response())
        }
        Err(error) => Err(ui.error(error)),
    }
}

/// The receipts the viewer may see: their own submissions; every receipt for the
/// analysts and administrators (the receipt log is theirs to keep).
async fn visible_receipts(state: &AppState, ui: &Ui) -> Result<Vec<vulnrelay_store::Receipt>, UiError> {
    let account = ui.account()?;
    let staff = ui.has_role(&[AccountRole::Analyst, AccountRole::Admin]);
    let own = format!("{} (", account.email);
    let mut receipts: Vec<_> = state
        .store
        .receipts()
        .await
        .map_err(|e| ui.error(e))?
        .into_iter()
        .filter(|r| staff || r.submitter.starts_with(&own))
        .collect();
    receipts.reverse();
    Ok(receipts)
}

/// `GET /receipts`: the viewer's receipts, newest first, each with its case.
pub async fn receipts(State(state): State<AppState>, ui: Ui) -> Result<Response, UiError> {
    let lang = ui.lang;
    let receipts = visible_receipts(&state, &ui).await?;
    let mut rows = Vec::new();
    for r in receipts.iter().take(200) {
        // Only the cases the viewer may read are named (`domain::can`).
        if let Ok(loaded) =
            crate::casefile::authorize(&state, &ui.caller, &r.case_id, vulnrelay_domain::Action::Read).await
        {
            rows.push((r, loaded.record.title.clone(), loaded.case.timezone()));
        }
    }
    let title = lang.t("receipt.list_title");
    Ok(page(&ui, &title, html! {
        h1 { (title) }
        @if rows.is_empty() { p { (lang.t("receipt.none")) } }
        @else {
            div class="scroll" tabindex="0" { table class="receipts" {
                caption class="visually-hidden" { (title) }
                thead { tr {
                    th scope="col" { (lang.t("receipt.number")) } th scope="col" { (lang.t("receipt.received_at")) }
                    th scope="col" { (lang.t("receipt.case")) }
                } }
                tbody { @for (r, case_title, tz) in &rows {
                    tr {
                        td { a href=(format!("/receipts/{}", r.id)) { code { (r.id) } } }
                        td { (time(r.received_at, *tz)) }
                        td translate="no" { a href=(format!("/cases/{}", r.case_id)) { (case_title) } }
                    }
                } }
            } }
        }
        p { a href="/reports/new" { (lang.t("nav.report")) } }
    }).into_response())
}

/// `GET /receipts/{id}`: one receipt — its number, when it was received (in the case's
/// zone and in UTC), the case and the platform, and where the platform forwarded it.
pub async fn receipt(
    State(state): State<AppState>,
    ui: Ui,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Result<Response, UiError> {
    let lang = ui.lang;
    let receipt = visible_receipts(&state, &ui)
        .await?
        .into_iter()
        .find(|r| r.id == id)
        .ok_or_else(|| ui.error(AppError::not_found("receipt")))?;
    let loaded =
        crate::casefile::authorize(&state, &ui.caller, &receipt.case_id, vulnrelay_domain::Action::Read)
            .await
            .map_err(|e| ui.error(e))?;
    let tz = loaded.case.timezone();
    let platform_id = vulnrelay_domain::PartyId(loaded.record.platform_org.clone());
    let platform = loaded
        .case
        .party(&platform_id)
        .map_or_else(|| platform_id.0.clone(), |p| p.name_in(lang.chinese()).to_owned());
    // What the platform forwarded when the report came in.
    let forwards: Vec<String> = loaded
        .case
        .events()
        .iter()
        .filter(|e| e.party == platform_id && e.at >= receipt.received_at)
        .filter_map(|e| match &e.kind {
            vulnrelay_domain::EventKind::Notified { to, .. } => Some(
                loaded.case.party(to).map_or_else(|| to.0.clone(), |p| p.name_in(lang.chinese()).to_owned()),
            ),
            _ => None,
        })
        .collect();
    let title = lang.t("receipt.title");
    Ok(page(&ui, &title, html! {
        h1 { (title) }
        (notice("ok", html! { p { (lang.t("receipt.thanks")) } }))
        dl class="facts receipt" {
            dt { (lang.t("receipt.number")) } dd { code class="receipt-number" { (receipt.id) } }
            dt { (lang.t("receipt.received_at")) } dd { (time(receipt.received_at, tz)) br; (time(receipt.received_at, Tz::UTC)) }
            dt { (lang.t("receipt.case")) } dd { a href=(format!("/cases/{}", receipt.case_id)) translate="no" { (loaded.record.title) } " (" (receipt.case_id) ")" }
            dt { (lang.t("receipt.platform")) } dd { (platform) }
        }
        @if !forwards.is_empty() {
            h2 { (lang.t("receipt.forwarded")) }
            ul { @for to in &forwards { li { (to) " — " (lang.t("forward.forwarded")) } } }
        }
        p class="help" { (lang.t("receipt.keep")) }
        p { a href="/receipts" { (lang.t("receipt.all")) } " · " a href="/dashboard" { (lang.t("receipt.to_dashboard")) } }
    }).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intake_paths_map_to_form_fields() {
        assert_eq!(field_of("$.product.affected_versions"), "affected_versions");
        assert_eq!(field_of("$.attachments[0].content_base64"), "attachments");
        assert_eq!(field_of("$.harm"), "harm");
        assert_eq!(field_of("$.nonsense"), "general");
    }

    #[test]
    fn datetime_local_values_are_read_in_the_chosen_zone() {
        assert_eq!(
            local_time("2021-11-24T10:00", Tz::Asia__Shanghai).as_deref(),
            Some("2021-11-24T10:00:00+08:00")
        );
        assert_eq!(local_time("yesterday", Tz::UTC), None);
    }

    #[test]
    fn known_problems_are_translated() {
        assert_eq!(problem_words(Lang::Zh, "missing required field"), Lang::Zh.t("problem.required"));
        assert!(problem_words(Lang::En, "something new").contains("something new"));
    }
}
