//! The page shell and the small pieces every page uses: times with their time zone,
//! countdowns, status badges, form fields, problem lists and the error page.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use maud::{DOCTYPE, Markup, html};
use vulnrelay_domain::AccountRole;

use crate::errors::AppError;
use crate::ui::i18n::Lang;
use crate::ui::session::{Ui, UiError, encode};

/// A whole page: head, skip link, header with the navigation the viewer may use, the
/// language switch, and `body` as the main content.
pub fn page(ui: &Ui, title: &str, body: Markup) -> Markup {
    let lang = ui.lang;
    let signed_in = ui.caller.account.is_some();
    let manages = ui.has_role(&[AccountRole::Analyst, AccountRole::Admin]);
    let reports = ui.has_role(&[AccountRole::Reporter, AccountRole::Coordinator]);
    html! {
        (DOCTYPE)
        html lang=(lang.tag()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · " (lang.t("app.name")) }
                link rel="stylesheet" href="/static/app.css";
                link rel="icon" href="/static/favicon.svg" type="image/svg+xml";
                script src="/static/app.js" defer {}
            }
            body {
                a class="skip" href="#main" { (lang.t("nav.skip")) }
                header class="top" {
                    a class="brand" href="/" { (lang.t("app.name")) }
                    nav aria-label=(lang.t("nav.label")) {
                        ul {
                            @if signed_in {
                                li { a href="/dashboard" { (lang.t("nav.dashboard")) } }
                            }
                            @if reports {
                                li { a href="/reports/new" { (lang.t("nav.report")) } }
                                li { a href="/receipts" { (lang.t("nav.receipts")) } }
                            }
                            @if signed_in {
                                li { a href="/warnings" { (lang.t("nav.warnings")) } }
                                li { a href="/assets" { (lang.t("nav.assets")) } }
                            }
                            li { a href="/advisories" { (lang.t("nav.advisories")) } }
                            li { a href="/stats" { (lang.t("nav.stats")) } }
                            @if manages {
                                li { a href="/orgs" { (lang.t("nav.orgs")) } }
                            }
                            @if ui.has_role(&[AccountRole::Admin]) {
                                li { a href="/federation" { (lang.t("nav.federation")) } }
                            }
                            @if signed_in {
                                li { a href="/account" { (lang.t("nav.account")) } }
                            }
                        }
                    }
                    div class="session" {
                        @if let Some(account) = &ui.caller.account {
                            span class="who" { (account.name) }
                            form method="post" action="/logout" {
                                (csrf(ui))
                                button type="submit" class="link" { (lang.t("nav.sign_out")) }
                            }
                        } @else {
                            a href="/login" { (lang.t("nav.sign_in")) }
                        }
                        (language_switch(ui))
                    }
                }
                main id="main" tabindex="-1" { (body) }
                footer { p { (lang.t("app.footer")) } }
            }
        }
    }
}

fn language_switch(ui: &Ui) -> Markup {
    html! {
        div class="langs" role="group" aria-label=(ui.lang.t("nav.language")) {
            @for lang in Lang::ALL {
                @let name = if lang == Lang::En { ui.lang.t("lang.en") } else { ui.lang.t("lang.zh") };
                @if lang == ui.lang {
                    span aria-current="true" lang=(lang.tag()) { (name) }
                } @else {
                    a href=(format!("/lang/{}?next={}", lang.tag(), encode(&ui.path))) lang=(lang.tag()) hreflang=(lang.tag()) { (name) }
                }
            }
        }
    }
}

/// The hidden CSRF field of a form.
pub fn csrf(ui: &Ui) -> Markup {
    html! { input type="hidden" name="csrf_token" value=(ui.csrf.as_deref().unwrap_or_default()); }
}

/// The one way the UI writes a moment: local time in `tz` with its offset, to the
/// minute (`2021-11-24 10:00 +08:00`).
pub fn local(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz).format("%Y-%m-%d %H:%M %:z").to_string()
}

/// The same moment in UTC, to the second (`2021-11-24 02:00:00 UTC`), for hovering.
pub fn utc(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// `2021-11-24 10:00 +08:00 (Asia/Shanghai)` in a `<time>` element, UTC on hover.
pub fn time(at: DateTime<Utc>, tz: Tz) -> Markup {
    html! { time datetime=(at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)) title=(utc(at)) { (local(at, tz)) " (" (tz.name()) ")" } }
}

/// A moment given as RFC 3339 text (as the API's JSON carries it), written as [`time`]
/// writes it; text that is not a moment is shown as it is.
pub fn time_text(text: &str, tz: Tz) -> Markup {
    match DateTime::parse_from_rfc3339(text) {
        Ok(at) => time(at.with_timezone(&Utc), tz),
        Err(_) => html! { (text) },
    }
}

/// [`time_text`] as plain text (for inside a sentence), in UTC.
pub fn local_text(text: &str) -> String {
    DateTime::parse_from_rfc3339(text)
        .map_or_else(|_| text.to_owned(), |at| local(at.with_timezone(&Utc), Tz::UTC))
}

/// The message `key` with the data `value` (a name, a note someone wrote) in place of
/// `{name}`, the data marked `translate="no"`: it is not the UI's words, so it keeps
/// the language it was written in.
pub fn with_data(lang: Lang, key: &str, name: &str, value: &str) -> Markup {
    let text = lang.t(key);
    let placeholder = format!("{{{name}}}");
    let (before, after) = text.split_once(&placeholder).unwrap_or((&text, ""));
    html! { (before) span translate="no" { (value) } (after) }
}

/// How precisely a duration is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    /// The two largest units that are not zero: `18 d 19 h`, `5 h 12 min`, `40 s`.
    Two,
    /// Every unit down to seconds: `18 d 19 h 36 min 56 s` (live countdowns).
    Seconds,
}

/// The one way the UI writes a length of time: `18 d 19 h` / `18 天 19 小时`.
pub fn duration(lang: Lang, length: chrono::TimeDelta, precision: Precision) -> String {
    let abs = length.num_seconds().unsigned_abs();
    let parts = [
        (abs / 86_400, "duration.d"),
        (abs / 3600 % 24, "duration.h"),
        (abs / 60 % 60, "duration.min"),
        (abs % 60, "duration.s"),
    ];
    let words: Vec<String> = match precision {
        Precision::Seconds => {
            let first = parts.iter().position(|(n, _)| *n > 0).unwrap_or(3);
            parts[first..].iter().map(|(n, key)| lang.tf(key, &[("n", &n.to_string())])).collect()
        }
        Precision::Two => {
            let first = parts.iter().position(|(n, _)| *n > 0).unwrap_or(3);
            parts[first..(first + 2).min(4)]
                .iter()
                .enumerate()
                .filter(|(i, (n, _))| *i == 0 || *n > 0)
                .map(|(_, (n, key))| lang.tf(key, &[("n", &n.to_string())]))
                .collect()
        }
    };
    words.join(" ")
}

/// How long until `due` (or since, when it has passed), as the script words it.
pub fn duration_text(lang: Lang, due: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let text = duration(lang, due - now, Precision::Seconds);
    if due < now {
        lang.tf("countdown.overdue", &[("time", &text)])
    } else {
        lang.tf("countdown.left", &[("time", &text)])
    }
}

/// A live countdown to `due`: rendered now, then ticked by the script each second.
pub fn countdown(lang: Lang, due: DateTime<Utc>, now: DateTime<Utc>) -> Markup {
    let units = ["duration.d", "duration.h", "duration.min", "duration.s"].map(|k| lang.t(k)).join("|");
    html! {
        span class="countdown" data-due=(due.to_rfc3339())
            data-left=(lang.t("countdown.left")) data-overdue=(lang.t("countdown.overdue"))
            data-units=(units) {
            (duration_text(lang, due, now))
        }
    }
}

/// A rule's article in words: `Art. 9(1)` / `第9(1)条` for a numbered article; for
/// anything else (e.g. a scheme's duty) the catalogue's words for the pack's text
/// (`[article_words]`), else the pack's own words.
pub fn article(lang: Lang, article: &str) -> String {
    if article.starts_with(|c: char| c.is_ascii_digit()) {
        lang.tf("rule.article", &[("article", article)])
    } else {
        lang.catalogue()
            .messages
            .get(&format!("article_words.{article}"))
            .cloned()
            .unwrap_or_else(|| article.to_owned())
    }
}

/// A finding's message in the viewer's language, the event types it names in code
/// (`` `published` ``) written as the UI names them ("Published" / “发布”).
pub fn finding_words(lang: Lang, text: &vulnrelay_policy::Text) -> String {
    let mut words = if lang == Lang::Zh { text.zh.clone() } else { text.en.clone() };
    for event in vulnrelay_domain::EventType::ALL {
        let code = format!("`{}`", event.as_str());
        if words.contains(&code) {
            let name = lang.t(&format!("event.{}", event.as_str()));
            let quoted = if lang == Lang::Zh { format!("“{name}”") } else { format!("\"{name}\"") };
            words = words.replace(&code, &quoted);
        }
    }
    words
}

/// A coloured badge of a finding's status.
pub fn status_badge(lang: Lang, status: vulnrelay_policy::Status) -> Markup {
    html! { span class=(format!("badge status-{}", status.as_str())) { (lang.t(&format!("status.{}", status.as_str()))) } }
}

/// A labelled text input; `help` is a help text key shown under it.
pub struct Field<'a> {
    /// The field's name (and id).
    pub name: &'a str,
    /// The label's message key.
    pub label: &'a str,
    /// The help text's message key.
    pub help: Option<&'a str>,
    /// The current value.
    pub value: &'a str,
    /// Whether it is required.
    pub required: bool,
    /// `text`, `datetime-local`, `textarea`, ...
    pub kind: &'a str,
    /// A problem with it, already in words.
    pub problem: Option<String>,
}

impl Field<'_> {
    /// The field as HTML: label, input, help and problem, tied by ids for screen readers.
    pub fn render(&self, lang: Lang) -> Markup {
        let help_id = format!("{}-help", self.name);
        let problem_id = format!("{}-problem", self.name);
        let described =
            [self.help.map(|_| help_id.clone()), self.problem.as_ref().map(|_| problem_id.clone())]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
        let described = (!described.is_empty()).then_some(described);
        html! {
            div class=(if self.problem.is_some() { "field invalid" } else { "field" }) {
                label for=(self.name) {
                    (lang.t(self.label))
                    @if self.required { " " span class="req" { (lang.t("form.required_mark")) } }
                }
                @if self.kind == "textarea" {
                    textarea id=(self.name) name=(self.name) rows="4" required[self.required]
                        aria-describedby=[described.as_deref()] aria-invalid=[self.problem.as_ref().map(|_| "true")] { (self.value) }
                } @else {
                    input id=(self.name) name=(self.name) type=(self.kind) value=(self.value) required[self.required]
                        aria-describedby=[described.as_deref()] aria-invalid=[self.problem.as_ref().map(|_| "true")];
                }
                @if let Some(help) = self.help { p class="help" id=(help_id) { (lang.t(help)) } }
                @if let Some(problem) = &self.problem { p class="problem" id=(problem_id) { (problem) } }
            }
        }
    }
}

/// The top of a page: its heading and, after an action, the notice of how it went.
pub fn heading(title: &str, flash: Option<Markup>) -> Markup {
    html! {
        h1 { (title) }
        @if let Some(flash) = flash { (flash) }
    }
}

/// A notice box: `kind` is `ok`, `error` or `info`.
pub fn notice(kind: &str, body: Markup) -> Markup {
    let role = if kind == "error" { "alert" } else { "status" };
    html! { div class=(format!("notice {kind}")) role=(role) { (body) } }
}

/// The words for an API error: a title by status, and the API's own message.
pub fn error_words(lang: Lang, error: &AppError) -> (String, String) {
    let key = match error.status.as_u16() {
        400 => "error.400",
        401 => "error.401",
        403 => "error.403",
        404 => "error.404",
        409 => "error.409",
        413 => "error.413",
        422 => "error.422",
        429 => "error.429",
        _ => "error.500",
    };
    let detail = match error.code {
        "rate_limited" => lang.t("error.rate_limited"),
        "bad_credentials" => lang.t("error.bad_credentials"),
        "internal" => lang.t("error.internal"),
        "sanction_refused" => {
            let reason = error.details.first().and_then(|d| d["reason"].as_str()).unwrap_or("other");
            let until = error.details.first().and_then(|d| d["until"].as_str()).unwrap_or_default();
            let until = DateTime::parse_from_rfc3339(until)
                .map_or_else(|_| until.to_owned(), |u| local(u.with_timezone(&Utc), Tz::UTC));
            lang.tf(&format!("error.sanction_{reason}"), &[("until", &until)])
        }
        // The API's own words are English: the common refusals get the UI's words.
        "not_found" => lang.t("error.not_found_detail"),
        // Each problem named by its field in words, never by its JSON path.
        "invalid" if !error.details.is_empty() => error
            .details
            .iter()
            .map(|d| {
                let path = d["field"].as_str().unwrap_or_default();
                let message = problem_words(lang, d["message"].as_str().unwrap_or_default());
                format!("{}: {message}", field_name(lang, path))
            })
            .collect::<Vec<_>>()
            .join(if lang == Lang::Zh { "；" } else { "; " }),
        "forbidden" => lang.t("error.forbidden_detail"),
        _ => lang.tf("error.detail", &[("message", &error.message)]),
    };
    (lang.t(key), detail)
}

/// A request field in words, from its JSON path (`$.justification` → "Justification"):
/// the catalogue's `[field_name]`, else the name with its underscores as spaces.
pub fn field_name(lang: Lang, path: &str) -> String {
    let name = path.rsplit('.').next().unwrap_or(path).trim_end_matches(']');
    let name = name.split('[').next().unwrap_or(name);
    lang.catalogue()
        .messages
        .get(&format!("field_name.{name}"))
        .cloned()
        .unwrap_or_else(|| name.replace('_', " "))
}

/// A form sent back after the API refused it: what was typed, and each problem of an
/// `invalid` refusal by the name of the field it belongs beside (the last segment of
/// its JSON path), in the viewer's words. A form renders [`SentBack::beside`] after
/// each field and marks the field with [`SentBack::invalid`] and
/// [`SentBack::described_by`]; problems of no field of the form go in the notice.
#[derive(Debug, Default)]
pub struct SentBack {
    /// Which form of the page came back.
    pub form: String,
    /// The fields as typed.
    pub values: Vec<(String, String)>,
    /// Each problem: the field's name and the words.
    pub problems: Vec<(String, String)>,
}

impl SentBack {
    /// Form `form` with `values`, refused with `error`.
    pub fn new(lang: Lang, form: &str, values: &[(String, String)], error: &AppError) -> SentBack {
        let problems = if error.code == "invalid" {
            error
                .details
                .iter()
                .map(|d| {
                    let path = d["field"].as_str().unwrap_or_default();
                    let name = path.rsplit('.').next().unwrap_or(path);
                    let name = name.split('[').next().unwrap_or(name).to_owned();
                    let words = problem_words(lang, d["message"].as_str().unwrap_or_default());
                    (name, words)
                })
                .collect()
        } else {
            Vec::new()
        };
        SentBack {
            form: form.to_owned(),
            values: values.iter().filter(|(k, _)| k != "csrf_token").cloned().collect(),
            problems,
        }
    }

    /// What was typed in field `name` of `form`, when that form came back.
    pub fn value(&self, form: &str, name: &str) -> Option<&str> {
        (self.form == form).then(|| self.values.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()))?
    }

    /// The problems of field `name` of `form`, joined.
    pub fn problem(&self, form: &str, name: &str) -> Option<String> {
        if self.form != form {
            return None;
        }
        let found: Vec<&str> =
            self.problems.iter().filter(|(f, _)| f == name).map(|(_, m)| m.as_str()).collect();
        (!found.is_empty()).then(|| found.join("; "))
    }

    /// `true` for `aria-invalid` when field `name` of `form` has a problem.
    pub fn invalid(&self, form: &str, name: &str) -> Option<&'static str> {
        self.problem(form, name).map(|_| "true")
    }

    /// The problem of field `name` of `form` beside the field whose id is `id` (the
    /// paragraph's id is `{id}-problem`).
    pub fn beside(&self, form: &str, name: &str, id: &str) -> Markup {
        html! {
            @if let Some(problem) = self.problem(form, name) {
                p class="problem" id=(format!("{id}-problem")) { (problem) }
            }
        }
    }

    /// `aria-describedby` of field `name` (id `id`) of `form`: its help, if it has one,
    /// and its problem.
    pub fn described_by(&self, form: &str, name: &str, id: &str, help: Option<&str>) -> Option<String> {
        let ids: Vec<String> =
            [help.map(str::to_owned), self.problem(form, name).map(|_| format!("{id}-problem"))]
                .into_iter()
                .flatten()
                .collect();
        (!ids.is_empty()).then(|| ids.join(" "))
    }

    /// The problems of no field in `fields`, in words with the field's name.
    pub fn general(&self, lang: Lang, fields: &[&str]) -> Vec<String> {
        self.problems
            .iter()
            .filter(|(f, _)| !fields.contains(&f.as_str()))
            .map(|(f, m)| format!("{}: {m}", field_name(lang, f)))
            .collect()
    }
}

/// A page for an error, in the viewer's shell (navigation, language switch).
pub fn error_page(ui: &Ui, error: &AppError) -> Markup {
    let lang = ui.lang;
    let (title, detail) = error_words(lang, error);
    page(
        ui,
        &title,
        html! {
            h1 { (title) }
            p { (detail) }
            p { a href="/" { (lang.t("error.home")) } }
        },
    )
}

/// A problem of a request (an intake's, a form's) in the viewer's language: the known messages are translated; any
/// other keeps the intake's own words after a translated lead.
pub fn problem_words(lang: Lang, message: &str) -> String {
    // The specific words first: a vendor status's missing justification is also a
    // "missing required field".
    let known = [
        ("needs a VEX justification", "problem.vex_needed"),
        ("has a justification", "problem.justification_only"),
        ("takes a justification", "problem.justification_only"),
        ("is not a CycloneDX justification", "problem.justification_unknown"),
        ("unknown VEX justification", "problem.justification_unknown"),
        ("needs the version that fixes it", "problem.fixed_version_needed"),
        ("has a fixed version", "problem.fixed_version_only"),
        (" characters", "problem.too_long"),
        ("missing required field", "problem.required"),
        ("must not be empty", "problem.required"),
        ("must not be in the future", "problem.future"),
        ("must not be before discovered_at", "problem.aware_before"),
        ("not a CVSS vector", "problem.cvss"),
        ("is not a package URL", "problem.purl"),
        ("unknown organisation", "problem.unknown_org"),
        ("is not a platform", "problem.not_platform"),
        ("-byte limit", "problem.too_large"),
        ("must be a plain file name", "problem.filename"),
        ("is not an IANA time zone", "problem.timezone"),
    ];
    match known.iter().find(|(text, _)| message.contains(text)) {
        Some((_, key)) => lang.t(key),
        None => lang.tf("problem.other", &[("message", message)]),
    }
}

/// An error page (see [`UiError`]): 401 sends the viewer to the sign-in page.
impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        if self.error.status == StatusCode::UNAUTHORIZED {
            return Redirect::to(&format!("/login?next={}", encode(&self.viewer.path))).into_response();
        }
        let page = error_page(&self.viewer, &self.error);
        (self.error.status, page).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_written_one_way() {
        let length = chrono::TimeDelta::seconds(18 * 86_400 + 19 * 3600 + 36 * 60 + 56);
        assert_eq!(duration(Lang::En, length, Precision::Two), "18 d 19 h");
        assert_eq!(duration(Lang::Zh, length, Precision::Two), "18 天 19 小时");
        assert_eq!(duration(Lang::En, length, Precision::Seconds), "18 d 19 h 36 min 56 s");
        assert_eq!(duration(Lang::En, chrono::TimeDelta::days(15), Precision::Two), "15 d");
        assert_eq!(duration(Lang::En, chrono::TimeDelta::minutes(-90), Precision::Two), "1 h 30 min");
        assert_eq!(duration(Lang::En, chrono::TimeDelta::zero(), Precision::Two), "0 s");
    }

    #[test]
    fn times_are_local_with_their_zone_and_utc_on_hover() {
        let at = DateTime::parse_from_rfc3339("2021-11-24T02:00:00.123Z").unwrap().with_timezone(&Utc);
        let tz: Tz = "Asia/Shanghai".parse().unwrap();
        let html = time(at, tz).into_string();
        assert!(html.contains(">2021-11-24 10:00 +08:00 (Asia/Shanghai)<"), "{html}");
        assert!(html.contains("title=\"2021-11-24 02:00:00 UTC\""), "{html}");
        assert!(html.contains("datetime=\"2021-11-24T02:00:00Z\""), "no fractional seconds: {html}");
    }

    #[test]
    fn invalid_fields_are_named_in_words() {
        let error = AppError::invalid(vec![("$.justification".into(), "missing required field".into())]);
        for lang in Lang::ALL {
            let (_, detail) = error_words(lang, &error);
            assert!(!detail.contains("$."), "{detail}");
            assert!(detail.starts_with(&lang.t("field_name.justification")), "{detail}");
            assert!(detail.contains(&lang.t("problem.required")), "{detail}");
        }
        assert_eq!(field_name(Lang::En, "$.some_field"), "some field");
    }
}
