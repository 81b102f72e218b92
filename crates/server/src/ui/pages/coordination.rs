//! The coordination board of a case: the vendors taking part, their products and
//! statuses per vulnerability, last contact, silence and the obligations running, with
//! filters and paging; for the case's platforms the forms to add a vendor (by hand or
//! from the proposals of the product inventories) and to remind the silent ones; for a
//! vendor the form to give its status. Every form calls the function the API calls.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::Value;
use vulnrelay_domain::{VendorStatus, VexJustification};

use crate::AppState;
use crate::coordination::{self, BoardQuery, NewParticipant, NewProduct, StatusInput};
use crate::errors::AppError;
use crate::ui::Lang;
use crate::ui::session::{Ui, UiError, encode};
use crate::ui::view::{SentBack, csrf, error_words, notice, page};

/// Query of `GET /cases/{id}/coordination`.
#[derive(Debug, Default, Deserialize)]
pub struct BoardPage {
    /// Status filter (`none`: not answered).
    pub status: Option<String>,
    /// Vendor filter.
    pub vendor: Option<String>,
    /// Silent for at least this many days.
    pub unanswered_days: Option<String>,
    /// The page after this vendor.
    pub after: Option<String>,
    /// What was just done (`added`, `status`, `reminded`).
    pub done: Option<String>,
}

fn non_empty(value: &Option<String>) -> Option<String> {
    value.as_ref().map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// `GET /cases/{id}/coordination`.
pub async fn show(
    State(state): State<AppState>,
    ui: Ui,
    Path(id): Path<String>,
    Query(query): Query<BoardPage>,
) -> Result<Response, UiError> {
    ui.account()?;
    Ok(board_page(&state, &ui, &id, &query, None).await?.into_response())
}

async fn board_page(
    state: &AppState,
    ui: &Ui,
    id: &str,
    query: &BoardPage,
    failed: Option<(&AppError, &SentBack)>,
) -> Result<Markup, UiError> {
    let lang = ui.lang;
    let none = SentBack::default();
    let sent = failed.map_or(&none, |(_, sent)| sent);
    let typed = |form: &str, name: &str| sent.value(form, name).unwrap_or_default().to_owned();
    let filters = BoardQuery {
        status: non_empty(&query.status),
        vendor: non_empty(&query.vendor),
        unanswered_days: non_empty(&query.unanswered_days).and_then(|d| d.parse().ok()),
        after: non_empty(&query.after),
        limit: Some(50),
    };
    let board = coordination::board(state, &ui.caller, id, &filters).await.map_err(|e| ui.error(e))?;
    let loaded = crate::casefile::load(state, id).await.map_err(|e| ui.error(e))?;
    let platform = crate::relations::works_on(&ui.caller, &loaded);
    let proposals = if platform {
        coordination::proposals(state, &ui.caller, id).await.map_err(|e| ui.error(e))?
    } else {
        Value::Null
    };
    let vulnerabilities: Vec<String> = board["vulnerabilities"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default();
    let vendors = board["vendors"].as_array().cloned().unwrap_or_default();
    let title = lang.tf("coordination.title", &[("case", &loaded.record.title)]);
    let status_words = |s: &str| lang.t(&format!("vendor_status.{s}"));
    let next = board["next"].as_str().map(|after| {
        let mut link = format!("/cases/{id}/coordination?after={}", encode(after));
        for (key, value) in [
            ("status", &query.status),
            ("vendor", &query.vendor),
            ("unanswered_days", &query.unanswered_days),
        ] {
            if let Some(v) = non_empty(value) {
                link.push_str(&format!("&{key}={}", encode(&v)));
            }
        }
        link
    });
    let body = html! {
        h1 { (title) }
        p class="help" { (lang.t("coordination.help")) }
        p { a href=(format!("/cases/{id}")) { (lang.t("coordination.back")) } " · " a href=(format!("/api/v1/cases/{id}/coordination")) { (lang.t("coordination.json")) } }
        @if let Some(done) = &query.done { (notice("ok", html! { p role="status" { (lang.t(&format!("coordination.done_{}", done_key(done)))) } })) }
        @if let Some((error, sent)) = failed { (problem_notice(lang, error, sent)) }
        form method="get" action=(format!("/cases/{id}/coordination")) class="filters card" aria-label=(lang.t("coordination.filters")) {
            div class="field" {
                label for="f-status" { (lang.t("coordination.filter_status")) }
                select id="f-status" name="status" {
                    option value="" { (lang.t("coordination.any")) }
                    option value="none" selected[query.status.as_deref() == Some("none")] { (lang.t("coordination.no_answer")) }
                    @for s in VendorStatus::ALL { option value=(s.as_str()) selected[query.status.as_deref() == Some(s.as_str())] { (status_words(s.as_str())) } }
                }
            }
            div class="field" {
                label for="f-vendor" { (lang.t("coordination.filter_vendor")) }
                input type="text" id="f-vendor" name="vendor" value=(query.vendor.clone().unwrap_or_default());
            }
            div class="field" {
                label for="f-days" { (lang.t("coordination.filter_days")) }
                input type="number" id="f-days" name="unanswered_days" min="0" value=(query.unanswered_days.clone().unwrap_or_default());
            }
            button type="submit" { (lang.t("coordination.filter_submit")) }
        }
        p { (lang.tf("coordination.total", &[("count", &board["total"].to_string())])) }
        @if vendors.is_empty() { p { (lang.t("coordination.empty")) } }
        @else {
            div class="scroll" {
                table class="board" {
                    caption class="visually-hidden" { (lang.t("coordination.matrix")) }
                    thead { tr {
                        th scope="col" { (lang.t("coordination.vendor")) }
                        th scope="col" { (lang.t("coordination.product")) }
                        @for v in &vulnerabilities { th scope="col" { (v) } }
                        th scope="col" { (lang.t("coordination.last_contact")) }
                        th scope="col" { (lang.t("coordination.unanswered")) }
                        th scope="col" { (lang.t("coordination.obligations")) }
                    } }
                    tbody {
                        @for vendor in &vendors {
                            @let products = vendor["products"].as_array().cloned().unwrap_or_default();
                            @for (i, product) in products.iter().enumerate() {
                                tr {
                                    @if i == 0 {
                                        th scope="row" rowspan=(products.len()) { (vendor["name"].as_str().unwrap_or_default()) br; span class="muted" { (vendor["vendor"].as_str().unwrap_or_default()) } }
                                    }
                                    td { (product["name"].as_str().unwrap_or_default()) }
                                    @for cell in product["vulnerabilities"].as_array().cloned().unwrap_or_default() {
                                        td class=(format!("vendor-status {}", cell["status"].as_str().unwrap_or("none"))) {
                                            @match cell["status"].as_str() {
                                                None => span class="badge" { (lang.t("coordination.no_answer")) },
                                                Some(s) => {
                                                    span class="badge" { (status_words(s)) }
                                                    @if let Some(j) = cell["justification"].as_str() { br; span class="muted" { (lang.t(&format!("vex.{j}"))) } }
                                                    @if let Some(v) = cell["fixed_version"].as_str() { br; span { (lang.tf("coordination.fixed_in", &[("version", v)])) } }
                                                    @if let Some(st) = cell["statement"].as_str() { br; q { (st) } }
                                                    @if let Some(note) = cell["private_note"].as_str() { br; span class="private" { (lang.t("coordination.private_note")) ": " (note) } }
                                                }
                                            }
                                        }
                                    }
                                    @if i == 0 {
                                        td rowspan=(products.len()) { (vendor["last_contact"].as_str().unwrap_or("—")) }
                                        td rowspan=(products.len()) {
                                            @match vendor["unanswered_days"].as_i64() {
                                                Some(d) => (lang.tf("coordination.days", &[("days", &d.to_string())])),
                                                None => "—",
                                            }
                                        }
                                        td rowspan=(products.len()) {
                                            ul {
                                                @for o in vendor["obligations"].as_array().cloned().unwrap_or_default() {
                                                    li {
                                                        span class=(format!("badge {}", o["status"].as_str().unwrap_or_default())) { (lang.t(&format!("status.{}", o["status"].as_str().unwrap_or_default()))) }
                                                        " " (o["title"][if lang == Lang::Zh { "zh" } else { "en" }].as_str().unwrap_or_default())
                                                        " (" (o["rule"].as_str().unwrap_or_default()) ")"
                                                    }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if let Some(next) = &next { p { a href=(next) { (lang.t("coordination.next")) } } }
        }
        @if !platform {
            @let own: Vec<(String, String)> = vendors.iter().flat_map(|v| v["products"].as_array().cloned().unwrap_or_default()).map(|p| (p["product"].as_str().unwrap_or_default().to_owned(), p["name"].as_str().unwrap_or_default().to_owned())).collect();
            @if !own.is_empty() { (status_form(ui, id, &own, &vulnerabilities, sent)) }
        }
        @if platform {
            section class="card" aria-labelledby="add-h" {
                h2 id="add-h" { (lang.t("coordination.add_title")) }
                form method="post" action=(format!("/cases/{id}/coordination/participants")) {
                    (csrf(ui))
                    (board_field(sent, "add", "org", "add-org", lang.t("coordination.add_org"), |invalid, described| html! { input type="text" id="add-org" name="org" required value=(typed("add", "org")) aria-invalid=[invalid] aria-describedby=[described]; }))
                    (board_field(sent, "add", "product", "add-product", lang.t("coordination.add_product"), |invalid, described| html! { input type="text" id="add-product" name="product" required value=(typed("add", "product")) aria-invalid=[invalid] aria-describedby=[described]; }))
                    (board_field(sent, "add", "version", "add-version", lang.t("coordination.add_version"), |invalid, described| html! { input type="text" id="add-version" name="version" value=(typed("add", "version")) aria-invalid=[invalid] aria-describedby=[described]; }))
                    (board_field(sent, "add", "message", "add-message", lang.t("coordination.add_message"), |invalid, described| html! { textarea id="add-message" name="message" rows="2" aria-invalid=[invalid] aria-describedby=[described] { (typed("add", "message")) } }))
                    button type="submit" { (lang.t("coordination.add_submit")) }
                }
                h3 { (lang.t("coordination.proposals")) }
                @let list = proposals["proposals"].as_array().cloned().unwrap_or_default();
                @if list.is_empty() { p { (lang.t("coordination.no_proposals")) } }
                ul class="proposals" {
                    @for p in &list {
                        li {
                            strong { (p["org"].as_str().unwrap_or_default()) } " — " (p["product"].as_str().unwrap_or_default())
                            " (" (p["vulnerabilities"].as_array().map(|a| a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", ")).unwrap_or_default()) ")"
                            @if p["on_case"].as_bool() == Some(true) { " " span class="muted" { (lang.t("coordination.on_case")) } }
                            @else {
                                form method="post" action=(format!("/cases/{id}/coordination/participants")) class="inline" {
                                    (csrf(ui))
                                    input type="hidden" name="org" value=(p["org"].as_str().unwrap_or_default());
                                    input type="hidden" name="product" value=(p["product"].as_str().unwrap_or_default());
                                    button type="submit" { (lang.t("coordination.confirm")) }
                                }
                            }
                        }
                    }
                }
            }
            section class="card" aria-labelledby="remind-h" {
                h2 id="remind-h" { (lang.t("coordination.remind_title")) }
                form method="post" action=(format!("/cases/{id}/coordination/reminders")) {
                    (csrf(ui))
                    @let days = sent.value("remind", "days").unwrap_or("7");
                    (board_field(sent, "remind", "days", "remind-days", lang.t("coordination.remind_days"), |invalid, described| html! { input type="number" id="remind-days" name="days" min="1" max="365" value=(days) aria-invalid=[invalid] aria-describedby=[described]; }))
                    button type="submit" { (lang.t("coordination.remind_submit")) }
                }
            }
        }
    };
    Ok(page(ui, &title, body))
}

fn done_key(done: &str) -> &'static str {
    match done {
        "added" => "added",
        "reminded" => "reminded",
        _ => "status",
    }
}

/// The fields of each form of the board, by name.
fn form_fields(form: &str) -> &'static [&'static str] {
    match form {
        "add" => &["org", "product", "version", "message"],
        "status" => &[
            "product",
            "vulnerability",
            "status",
            "justification",
            "fixed_version",
            "statement",
            "private_note",
        ],
        _ => &["days"],
    }
}

/// The notice above the board after a refused form: how many problems (each is beside
/// its field) and those of no field, in words; or the refusal in words.
fn problem_notice(lang: Lang, error: &AppError, sent: &SentBack) -> Markup {
    if sent.problems.is_empty() {
        let (title, detail) = error_words(lang, error);
        return notice(
            "problem",
            html! { p role="alert" { strong { (lang.t("coordination.refused")) " " (title) } } p { (detail) } },
        );
    }
    let general = sent.general(lang, form_fields(&sent.form));
    notice(
        "problem",
        html! {
            p role="alert" { strong { (lang.tf("form.problems", &[("count", &sent.problems.len().to_string())])) } }
            @for line in &general { p { (line) } }
        },
    )
}

/// A field of form `form` named `name` with id `id`: its label, the control `control`
/// makes (given `aria-invalid` and `aria-describedby`), and its problem beside it.
fn board_field(
    sent: &SentBack,
    form: &str,
    name: &str,
    id: &str,
    label: String,
    control: impl FnOnce(Option<&'static str>, Option<String>) -> Markup,
) -> Markup {
    html! {
        div class="field" {
            label for=(id) { (label) }
            (control(sent.invalid(form, name), sent.described_by(form, name, id, None)))
            (sent.beside(form, name, id))
        }
    }
}

fn status_form(
    ui: &Ui,
    id: &str,
    products: &[(String, String)],
    vulnerabilities: &[String],
    sent: &SentBack,
) -> Markup {
    let lang = ui.lang;
    let typed = |name: &str| sent.value("status", name).unwrap_or_default().to_owned();
    let (product, vulnerability, status, justification) =
        (typed("product"), typed("vulnerability"), typed("status"), typed("justification"));
    let field = |name: &str,
                 id: &str,
                 label: &str,
                 control: &dyn Fn(Option<&'static str>, Option<String>) -> Markup| {
        board_field(sent, "status", name, id, lang.t(label), control)
    };
    html! {
        section class="card" aria-labelledby="status-h" {
            h2 id="status-h" { (lang.t("coordination.status_title")) }
            form method="post" action=(format!("/cases/{id}/coordination/status")) {
                (csrf(ui))
                (field("product", "st-product", "coordination.product", &|invalid, described| html! {
                    select id="st-product" name="product" aria-invalid=[invalid] aria-describedby=[described] { @for (pid, name) in products { option value=(pid) selected[*pid == product] { (name) } } }
                }))
                (field("vulnerability", "st-vuln", "coordination.vulnerability", &|invalid, described| html! {
                    select id="st-vuln" name="vulnerability" aria-invalid=[invalid] aria-describedby=[described] { @for v in vulnerabilities { option value=(v) selected[*v == vulnerability] { (v) } } }
                }))
                (field("status", "st-status", "coordination.status", &|invalid, described| html! {
                    select id="st-status" name="status" aria-invalid=[invalid] aria-describedby=[described] { @for s in VendorStatus::ALL { option value=(s.as_str()) selected[s.as_str() == status] { (lang.t(&format!("vendor_status.{}", s.as_str()))) } } }
                }))
                (field("justification", "st-justification", "coordination.justification", &|invalid, described| html! {
                    select id="st-justification" name="justification" aria-invalid=[invalid] aria-describedby=[described] {
                        option value="" { "—" }
                        @for j in VexJustification::ALL { option value=(j.as_str()) selected[j.as_str() == justification] { (lang.t(&format!("vex.{}", j.as_str()))) } }
                    }
                }))
                (field("fixed_version", "st-fixed", "coordination.fixed_version", &|invalid, described| html! {
                    input type="text" id="st-fixed" name="fixed_version" value=(typed("fixed_version")) aria-invalid=[invalid] aria-describedby=[described];
                }))
                (field("statement", "st-statement", "coordination.statement", &|invalid, described| html! {
                    textarea id="st-statement" name="statement" rows="2" aria-invalid=[invalid] aria-describedby=[described] { (typed("statement")) }
                }))
                div class="field" {
                    label for="st-note" { (lang.t("coordination.private_note")) }
                    textarea id="st-note" name="private_note" rows="2" aria-invalid=[sent.invalid("status", "private_note")] aria-describedby=(sent.described_by("status", "private_note", "st-note", Some("st-note-help")).unwrap_or_default()) { (typed("private_note")) }
                    p class="help" id="st-note-help" { (lang.t("coordination.private_help")) }
                    (sent.beside("status", "private_note", "st-note"))
                }
                button type="submit" { (lang.t("coordination.status_submit")) }
            }
        }
    }
}

fn field(form: &[(String, String)], key: &str) -> Option<String> {
    form.iter().find(|(k, _)| k == key).map(|(_, v)| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// The answer to a form of the board (`form`, as typed in `values`): back to the board,
/// or the board again with the refusal and the form's problems beside its fields.
async fn after_post(
    state: &AppState,
    ui: &Ui,
    id: &str,
    result: Result<Value, vulnrelay_app::Error>,
    done: &str,
    (form, values): (&str, &[(String, String)]),
) -> Result<Response, UiError> {
    match result.map_err(AppError::from) {
        Ok(_) => Ok(Redirect::to(&format!("/cases/{id}/coordination?done={done}")).into_response()),
        Err(error) if error.code == "not_found" || error.status == axum::http::StatusCode::UNAUTHORIZED => {
            Err(ui.error(error))
        }
        Err(error) => {
            let sent = SentBack::new(ui.lang, form, values, &error);
            let page = board_page(state, ui, id, &BoardPage::default(), Some((&error, &sent))).await?;
            Ok((error.status, page).into_response())
        }
    }
}

/// `POST /cases/{id}/coordination/participants`: add one vendor product (by hand, or a
/// proposal confirmed).
pub async fn add(
    State(state): State<AppState>,
    ui: Ui,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    ui.check_csrf(&field(&form, "csrf_token").unwrap_or_default())?;
    let vendor = NewParticipant {
        org: field(&form, "org").unwrap_or_default(),
        products: vec![NewProduct {
            name: field(&form, "product").unwrap_or_default(),
            version: field(&form, "version"),
            purl: None,
        }],
    };
    let result =
        coordination::add_participants(&state, &ui.caller, &id, vec![vendor], field(&form, "message")).await;
    after_post(&state, &ui, &id, result, "added", ("add", &form)).await
}

/// `POST /cases/{id}/coordination/status`: a vendor's status.
pub async fn set_status(
    State(state): State<AppState>,
    ui: Ui,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    ui.check_csrf(&field(&form, "csrf_token").unwrap_or_default())?;
    let input = StatusInput {
        product: field(&form, "product").unwrap_or_default(),
        vulnerability: field(&form, "vulnerability").unwrap_or_default(),
        status: field(&form, "status").unwrap_or_default(),
        justification: field(&form, "justification"),
        fixed_version: field(&form, "fixed_version"),
        statement: field(&form, "statement"),
        private_note: field(&form, "private_note"),
    };
    let result = coordination::set_status(&state, &ui.caller, &id, input).await;
    after_post(&state, &ui, &id, result, "status", ("status", &form)).await
}

/// `POST /cases/{id}/coordination/reminders`: remind the silent vendors.
pub async fn remind(
    State(state): State<AppState>,
    ui: Ui,
    Path(id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, UiError> {
    ui.check_csrf(&field(&form, "csrf_token").unwrap_or_default())?;
    let days = field(&form, "days").and_then(|d| d.parse().ok()).unwrap_or(0);
    let result = coordination::remind(&state, &ui.caller, &id, days).await;
    after_post(&state, &ui, &id, result, "reminded", ("remind", &form)).await
}
