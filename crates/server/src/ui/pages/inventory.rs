//! An industry unit's asset inventory in the browser: its asset groups, an upload form
//! (a CycloneDX JSON SBOM, or a list typed in — one `pkg:` package URL or `name version`
//! a line), each group's components and the history of its uploads. Every step goes
//! through the API's handlers (`GET/PUT /api/v1/assets/groups/...`), so the same
//! validation, limits and re-matching apply.

use axum::body::Bytes;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::errors::AppError;
use crate::ui::i18n::Lang;
use crate::ui::session::{Ui, UiError};
use crate::ui::view::{csrf, error_words, heading, notice, page, time_text};
use vulnrelay_app::assets;

/// The most components a group's page lists (the API's JSON has them all).
const SHOWN: usize = 500;

/// Query of the asset pages: what was just done.
#[derive(Debug, Deserialize)]
pub struct AssetQuery {
    /// `uploaded`.
    pub done: Option<String>,
}

/// The components of a list typed in: a `pkg:` package URL, or `name version`, a line;
/// blank lines and `#` comments are skipped.
fn typed_list(text: &str) -> Value {
    let components: Vec<Value> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|line| {
            if line.starts_with("pkg:") {
                json!({"purl": line})
            } else {
                let mut parts = line.split_whitespace();
                let name = parts.next().unwrap_or_default();
                let version = parts.collect::<Vec<_>>().join(" ");
                json!({"name": name, "version": version})
            }
        })
        .collect();
    json!({ "components": components })
}

/// The groups of the viewer's organisation, as the API shows them.
async fn groups(state: &AppState, ui: &Ui) -> Result<Vec<Value>, UiError> {
    let answer = assets::list_groups(state, &ui.caller).await.map_err(|e| ui.error(e))?;
    Ok(answer["groups"].as_array().cloned().unwrap_or_default())
}

async fn list_page(state: &AppState, ui: &Ui, flash: Option<Markup>, name: &str) -> Result<Markup, UiError> {
    list_page_with(state, ui, flash, name, None).await
}

/// [`list_page`], with the upload form's problem beside its field: `(field id, words)`.
async fn list_page_with(
    state: &AppState,
    ui: &Ui,
    flash: Option<Markup>,
    name: &str,
    problem: Option<(&str, String)>,
) -> Result<Markup, UiError> {
    let lang = ui.lang;
    let groups = groups(state, ui).await?;
    let title = lang.t("assets.title");
    Ok(page(
        ui,
        &title,
        html! {
            (heading(&title, flash))
            p class="help" { (lang.t("assets.help")) }
            @if groups.is_empty() { p { (lang.t("assets.none")) } }
            @else {
                div class="scroll" tabindex="0" { table class="groups" {
                    caption class="visually-hidden" { (title) }
                    thead { tr {
                        th scope="col" { (lang.t("assets.group")) } th scope="col" { (lang.t("assets.components")) }
                        th scope="col" { (lang.t("assets.source")) } th scope="col" { (lang.t("assets.updated")) }
                    } }
                    tbody { @for g in &groups {
                        @let group = g["name"].as_str().unwrap_or_default();
                        tr {
                            td translate="no" { a href=(format!("/assets/{}", crate::ui::session::encode(group))) { (group) } }
                            td { (g["components"]) }
                            td { (source_words(lang, g["source"].as_str().unwrap_or_default())) }
                            td { (time_text(g["updated_at"].as_str().unwrap_or_default(), chrono_tz::Tz::UTC)) }
                        }
                    } }
                } }
            }
            (upload_form(ui, name, problem.as_ref().map(|(f, m)| (*f, m.as_str()))))
        },
    ))
}

fn source_words(lang: Lang, source: &str) -> String {
    match source {
        "sbom" | "scan" | "manual" => lang.t(&format!("assets.source_{source}")),
        other => other.to_owned(),
    }
}

fn upload_form(ui: &Ui, name: &str, problem: Option<(&str, &str)>) -> Markup {
    let lang = ui.lang;
    let beside = |id: &str| problem.filter(|(field, _)| *field == id).map(|(_, message)| message.to_owned());
    let described = |id: &str| match beside(id) {
        Some(_) => format!("{id}-help {id}-problem"),
        None => format!("{id}-help"),
    };
    html! {
        form method="post" action="/assets" enctype="multipart/form-data" class="card" aria-labelledby="upload-h" {
            h2 id="upload-h" { (lang.t("assets.upload")) }
            (csrf(ui))
            div class="field" {
                label for="group" { (lang.t("assets.group")) " " span class="req" { (lang.t("form.required_mark")) } }
                input type="text" id="group" name="name" value=(name) required maxlength="100" aria-describedby=(described("group")) aria-invalid=[beside("group").map(|_| "true")];
                p class="help" id="group-help" { (lang.t("assets.group_help")) }
                @if let Some(p) = beside("group") { p class="problem" id="group-problem" { (p) } }
            }
            div class="field" {
                label for="sbom" { (lang.t("assets.file")) }
                input type="file" id="sbom" name="sbom" accept=".json,application/json,application/vnd.cyclonedx+json" aria-describedby=(described("sbom")) aria-invalid=[beside("sbom").map(|_| "true")];
                p class="help" id="sbom-help" { (lang.t("assets.file_help")) }
                @if let Some(p) = beside("sbom") { p class="problem" id="sbom-problem" { (p) } }
            }
            div class="field" {
                label for="list" { (lang.t("assets.list")) }
                textarea id="list" name="list" rows="5" aria-describedby=(described("list")) aria-invalid=[beside("list").map(|_| "true")] {}
                p class="help" id="list-help" { (lang.t("assets.list_help")) }
                @if let Some(p) = beside("list") { p class="problem" id="list-problem" { (p) } }
            }
            button type="submit" { (lang.t("assets.upload_submit")) }
        }
    }
}

/// `GET /assets`: the organisation's asset groups and the upload form.
pub async fn list(State(state): State<AppState>, ui: Ui) -> Result<Response, UiError> {
    ui.account()?;
    Ok(list_page(&state, &ui, None, "").await?.into_response())
}

/// `POST /assets`: uploads a group's inventory — the file if one was chosen, else the
/// list typed in — through `PUT /api/v1/assets/groups/{name}`.
pub async fn upload(
    State(state): State<AppState>,
    ui: Ui,
    mut multipart: Multipart,
) -> Result<Response, UiError> {
    ui.account()?;
    let lang = ui.lang;
    let (mut token, mut name, mut file, mut list) =
        (String::new(), String::new(), Bytes::new(), String::new());
    while let Some(field) =
        multipart.next_field().await.map_err(|e| ui.error(AppError::bad_request(e.to_string())))?
    {
        let key = field.name().unwrap_or_default().to_owned();
        let bytes = field.bytes().await.map_err(|e| ui.error(AppError::bad_request(e.to_string())))?;
        match key.as_str() {
            "csrf_token" => token = String::from_utf8_lossy(&bytes).into_owned(),
            "name" => name = String::from_utf8_lossy(&bytes).trim().to_owned(),
            "sbom" => file = bytes,
            "list" => list = String::from_utf8_lossy(&bytes).into_owned(),
            _ => {}
        }
    }
    ui.check_csrf(&token)?;
    // Where a problem with the upload belongs: beside the file, or the list typed in.
    let field = if !file.is_empty() { "sbom" } else { "list" };
    let (body, source) = if !file.is_empty() {
        (file, None)
    } else if !list.trim().is_empty() {
        (Bytes::from(typed_list(&list).to_string()), Some("manual".to_owned()))
    } else {
        let flash = notice("error", html! { p { (lang.t("assets.nothing")) } });
        let page =
            list_page_with(&state, &ui, Some(flash), &name, Some(("sbom", lang.t("assets.nothing")))).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    let answer = assets::put_group(&state, &ui.caller, name.clone(), source.as_deref(), body)
        .await
        .map_err(crate::errors::AppError::from);
    match answer {
        Ok(_) => Ok(Redirect::to(&format!("/assets/{}?done=uploaded", crate::ui::session::encode(&name)))
            .into_response()),
        Err(error) if error.status == StatusCode::UNAUTHORIZED || error.status == StatusCode::FORBIDDEN => {
            Err(ui.error(error))
        }
        Err(error) => {
            let (title, detail) = error_words(lang, &error);
            let flash = notice("error", html! { p { strong { (title) } } p { (detail.clone()) } });
            // A group's name the API refuses is the name field's problem.
            let field = if error.details.iter().any(|d| d["field"] == "name") { "group" } else { field };
            let page = list_page_with(&state, &ui, Some(flash), &name, Some((field, detail))).await?;
            Ok((error.status, page).into_response())
        }
    }
}

/// `GET /assets/{name}`: a group's components and the history of its uploads.
pub async fn show(
    State(state): State<AppState>,
    ui: Ui,
    Path(name): Path<String>,
    Query(query): Query<AssetQuery>,
) -> Result<Response, UiError> {
    let lang = ui.lang;
    let group = assets::show_group(&state, &ui.caller, name.clone()).await.map_err(|e| ui.error(e))?;
    let history = assets::group_history(&state, &ui.caller, name.clone()).await.map_err(|e| ui.error(e))?;
    let components = group["components"].as_array().cloned().unwrap_or_default();
    let title = lang.tf("assets.group_title", &[("name", &name)]);
    let cell = |v: &Value| v.as_str().unwrap_or("—").to_owned();
    Ok(page(&ui, &title, html! {
        h1 { (lang.t("assets.group")) " " span translate="no" { (name) } }
        @if query.done.as_deref() == Some("uploaded") { (notice("ok", html! { p { (lang.t("assets.uploaded")) } })) }
        p { a href="/assets" { (lang.t("assets.back")) } }
        section aria-labelledby="components-h" {
            h2 id="components-h" { (lang.tf("assets.component_count", &[("n", &components.len().to_string())])) }
            div class="scroll" tabindex="0" { table class="components" {
                caption class="visually-hidden" { (lang.t("assets.components")) }
                thead { tr {
                    th scope="col" { (lang.t("assets.name")) } th scope="col" { (lang.t("assets.version")) }
                    th scope="col" { (lang.t("report.purl")) }
                } }
                tbody translate="no" { @for c in components.iter().take(SHOWN) {
                    tr { td { (cell(&c["name"])) } td { (cell(&c["version"])) } td { code { (cell(&c["purl"])) } } }
                } }
            } }
            @if components.len() > SHOWN { p class="help" { (lang.tf("assets.more", &[("n", &SHOWN.to_string())])) } }
        }
        section aria-labelledby="history-h" {
            h2 id="history-h" { (lang.t("assets.history")) }
            ol class="timeline" { @for r in history["revisions"].as_array().into_iter().flatten().rev() {
                li {
                    p class="when" { (time_text(r["uploaded_at"].as_str().unwrap_or_default(), chrono_tz::Tz::UTC)) }
                    p class="what" {
                        strong { (lang.tf("assets.revision", &[("n", &r["revision"].to_string())])) }
                        " — " (source_words(lang, r["source"].as_str().unwrap_or_default()))
                        " · " (lang.tf("assets.component_count", &[("n", &r["components"].as_array().map_or(0, Vec::len).to_string())]))
                    }
                }
            } }
        }
        (upload_form(&ui, &name, None))
    }).into_response())
}
