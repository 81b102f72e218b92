//! The case page: facts, the clock chart (one bar per obligation from its anchor to its
//! due time, marked where it was met or where "now" is, coloured by status), the
//! findings in plain words, the timeline (who, when, in which time zone), participants,
//! the report, attachments, and only the actions the viewer may take. An action a gate
//! refuses comes back with the rule and article in plain words, and, for the analysts
//! who may, the override form (a reason is required).

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::{Value, json};
use vulnrelay_domain::{Action, EventKind, EventType, EvidenceQuality, NotificationKind, Role};
use vulnrelay_policy::{Confidence, Interpretation, Options, RuleKind};

use crate::AppState;
use crate::casefile::{Loaded, authorize_with_report};
use crate::errors::AppError;
use crate::ui::i18n::Lang;
use crate::ui::picker::{self, Picker};
use crate::ui::session::{Ui, UiError};
use crate::ui::timeline::{self, BlindWindow, Chart, Mark, Marker};
use crate::ui::view::{article, csrf, error_words, finding_words, local, notice, page, status_badge, time};
use vulnrelay_app::cases::{PLATFORM_ONLY, append_event};

/// Event types recorded with no details beyond a note.
const SIMPLE: [EventType; 6] = [
    EventType::TriageStarted,
    EventType::Verified,
    EventType::Exploited,
    EventType::PublicationApproved,
    EventType::Rejected,
    EventType::Closed,
];

/// The fields of an event form.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct EventForm {
    /// The session's CSRF token.
    #[serde(default)]
    pub csrf_token: String,
    /// The event type.
    #[serde(default, rename = "type")]
    pub event_type: String,
    /// Who did it (platforms may record for other parties).
    #[serde(default)]
    pub party: String,
    /// The recipient of a notification.
    #[serde(default)]
    pub to: String,
    /// The kind of notification.
    #[serde(default)]
    pub kind: String,
    /// The fixed version.
    #[serde(default)]
    pub version: String,
    /// `on` when remediation is published with it.
    #[serde(default)]
    pub with_remediation: Option<String>,
    /// `on` when exploit code is published with it.
    #[serde(default)]
    pub with_exploit_code: Option<String>,
    /// A note for the timeline.
    #[serde(default)]
    pub note: String,
    /// The reason for overriding a gate.
    #[serde(default)]
    pub override_reason: String,
}

impl EventForm {
    /// The case-file event of the form.
    fn event(&self) -> Value {
        let mut event = json!({"type": self.event_type});
        let mut put = |key: &str, value: &str| {
            if !value.trim().is_empty() {
                event[key] = json!(value.trim());
            }
        };
        put("party", &self.party);
        put("note", &self.note);
        match self.event_type.as_str() {
            "notified" => {
                put("to", &self.to);
                put("kind", &self.kind);
            }
            "fix_available" => put("version", &self.version),
            "published" => {
                event["with_remediation"] = json!(self.with_remediation.is_some());
                event["with_exploit_code"] = json!(self.with_exploit_code.is_some());
            }
            _ => {}
        }
        if !self.override_reason.trim().is_empty() {
            event["override_reason"] = json!(self.override_reason.trim());
        }
        event
    }
}

/// What to show after an attempted action.
#[derive(Debug, Default)]
struct Outcome {
    /// The clocks' evaluation time asked for, if not now.
    as_of: Option<String>,
    /// The action was recorded (the type).
    done: Option<String>,
    /// A gate refused it: the details and the attempted form.
    refused: Option<(Vec<Value>, EventForm)>,
    /// It failed otherwise.
    failed: Option<AppError>,
    /// What the search box of the notice's recipient was sent with (without the script).
    find_to: Option<String>,
}

/// Query of the case page.
#[derive(Debug, Deserialize)]
pub struct CaseQuery {
    /// The type of an event just recorded.
    pub done: Option<String>,
    /// Evaluate the clocks as of this time (a date or RFC 3339, in the case's time
    /// zone) instead of now: how the case stood then.
    pub as_of: Option<String>,
    /// The search box of the notice's recipient, sent without the script.
    pub find_to: Option<String>,
}

/// `GET /cases/{id}`.
pub async fn show(
    State(state): State<AppState>,
    ui: Ui,
    Path(id): Path<String>,
    Query(query): Query<CaseQuery>,
) -> Result<Response, UiError> {
    let outcome = Outcome {
        done: query.done,
        as_of: query.as_of.filter(|a| !a.trim().is_empty()),
        find_to: query.find_to,
        ..Outcome::default()
    };
    Ok(case_page(&state, &ui, &id, &outcome).await?.into_response())
}

/// `POST /cases/{id}/events`: records an event through the API's gates; a refusal
/// shows the rules, and the override form where the viewer may override.
pub async fn record(
    State(state): State<AppState>,
    ui: Ui,
    Path(id): Path<String>,
    Form(form): Form<EventForm>,
) -> Result<Response, UiError> {
    ui.check_csrf(&form.csrf_token)?;
    let appended = match vulnrelay_app::input::read(&form.event()) {
        Ok(event) => append_event(&state, &ui.caller, &id, event).await,
        Err(problems) => Err(problems),
    };
    match appended.map_err(AppError::from) {
        Ok(_) => Ok(Redirect::to(&format!("/cases/{id}?done={}#timeline", form.event_type)).into_response()),
        Err(error) if error.code == "policy_gate" => {
            let outcome = Outcome { refused: Some((error.details.clone(), form)), ..Outcome::default() };
            Ok((StatusCode::CONFLICT, case_page(&state, &ui, &id, &outcome).await?).into_response())
        }
        Err(error) if error.code == "not_found" || error.status == StatusCode::UNAUTHORIZED => {
            Err(ui.error(error))
        }
        Err(error) => {
            let status = error.status;
            let outcome = Outcome { failed: Some(error), ..Outcome::default() };
            Ok((status, case_page(&state, &ui, &id, &outcome).await?).into_response())
        }
    }
}

fn event_words(lang: Lang, loaded: &Loaded, kind: &EventKind) -> String {
    let name = |id: &vulnrelay_domain::PartyId| {
        loaded.case.party(id).map_or_else(|| id.0.clone(), |p| p.name_in(lang.chinese()).to_owned())
    };
    match kind {
        EventKind::Notified { to, kind, exploited, with_exploit_code, .. } => {
            let mut parts = vec![lang.tf(
                "event.notified_to",
                &[("to", &name(to)), ("kind", &lang.t(&format!("notification.{}", kind.as_str())))],
            )];
            if *exploited {
                parts.push(lang.t("event.tells_exploitation"));
            }
            if *with_exploit_code {
                parts.push(lang.t("event.with_exploit_code"));
            }
            parts.join(" · ")
        }
        EventKind::Incident { severe } => lang.t(if *severe { "event.severe" } else { "event.not_severe" }),
        EventKind::JointAssessment { with } => lang.tf("event.with_party", &[("party", &name(with))]),
        EventKind::FixAvailable { version: Some(v) } => lang.tf("event.fix_version", &[("version", v)]),
        EventKind::Published { with_remediation, with_exploit_code } => {
            let mut parts = vec![lang.t(if *with_remediation {
                "event.with_remediation"
            } else {
                "event.without_remediation"
            })];
            if *with_exploit_code {
                parts.push(lang.t("event.with_exploit_code"));
            }
            parts.join(" · ")
        }
        EventKind::PublicationApproved { to: Some(to) } | EventKind::Consent { to: Some(to) } => {
            lang.tf("event.for_party", &[("party", &name(to))])
        }
        EventKind::Blackout { until } => {
            lang.tf("event.until", &[("until", &local(*until, loaded.case.timezone()))])
        }
        EventKind::MembershipSuspended { membership, until, .. } => lang.tf(
            "event.suspended",
            &[
                ("scheme", membership),
                ("until", &until.map_or_else(|| "—".to_owned(), |u| local(u, loaded.case.timezone()))),
            ],
        ),
        EventKind::MembershipRestored { membership, .. } => {
            lang.tf("event.restored", &[("scheme", membership)])
        }
        EventKind::Duplicate { of } => lang.tf("event.duplicate_of", &[("case", of)]),
        EventKind::Attested { event } => lang.tf("event.attested_event", &[("index", &event.to_string())]),
        EventKind::VendorStatus { vulnerability, status, .. } => lang.tf(
            "event.vendor_status_words",
            &[
                ("vulnerability", vulnerability),
                ("status", &lang.t(&format!("vendor_status.{}", status.as_str()))),
            ],
        ),
        _ => String::new(),
    }
}

/// The refusing rules in plain words, from the packs: title, instrument and article.
fn refusal_panel(state: &AppState, ui: &Ui, loaded: &Loaded, details: &[Value], form: &EventForm) -> Markup {
    let lang = ui.lang;
    let may_override = loaded.can(&ui.caller, Action::OverrideGate);
    html! {
        section class="refusal" role="alert" aria-labelledby="refusal-h" {
            h2 id="refusal-h" { (lang.t("gate.refused")) }
            ul {
                @for detail in details {
                    @let rule_id = detail["rule"].as_str().unwrap_or_default();
                    @let found = state.packs.iter().find_map(|p| p.rules.iter().find(|r| format!("{}/{}", p.id, r.id) == rule_id).map(|r| (p, r)));
                    li {
                        @if let Some((pack, rule)) = found {
                            strong { (if lang == Lang::Zh { &rule.title.zh } else { &rule.title.en }) }
                            br;
                            (lang.tf("gate.source", &[("instrument", if lang == Lang::Zh { &pack.instrument.zh } else { &pack.instrument.en }), ("article", &article(lang, &rule.article))]))
                            " " span class="muted" { "(" (rule_id) ")" }
                            @if rule.confidence == Confidence::Unverified { " " span class="badge unverified" { (lang.t("gate.unverified")) } }
                        } @else {
                            strong { (rule_id) } " " (article(lang, detail["article"].as_str().unwrap_or_default()))
                        }
                    }
                }
            }
            @if may_override {
                form method="post" action=(format!("/cases/{}/events", loaded.record.id)) class="override" {
                    (csrf(ui))
                    @for (name, value) in [("type", &form.event_type), ("party", &form.party), ("to", &form.to), ("kind", &form.kind), ("version", &form.version), ("note", &form.note)] {
                        input type="hidden" name=(name) value=(value);
                    }
                    @if form.with_remediation.is_some() { input type="hidden" name="with_remediation" value="on"; }
                    @if form.with_exploit_code.is_some() { input type="hidden" name="with_exploit_code" value="on"; }
                    div class="field" {
                        label for="override_reason" { (lang.t("gate.override_reason")) " " span class="req" { (lang.t("form.required_mark")) } }
                        textarea id="override_reason" name="override_reason" rows="3" required aria-describedby="override-help" {}
                        p class="help" id="override-help" { (lang.t("gate.override_help")) }
                    }
                    button type="submit" class="danger" { (lang.t("gate.override")) }
                }
            } @else {
                p { (lang.t("gate.no_override")) }
            }
        }
    }
}

fn party_select(lang: Lang, loaded: &Loaded, form: &str, default: &str) -> Markup {
    html! {
        div class="field" {
            label for=(format!("{form}-party")) { (lang.t("action.party")) }
            select name="party" id=(format!("{form}-party")) {
                @for p in loaded.case.parties() {
                    option value=(p.id.0) selected[p.id.0 == default] { (p.name_in(lang.chinese())) }
                }
            }
        }
    }
}

fn note_field(lang: Lang, id: &str) -> Markup {
    html! {
        div class="field" {
            label for=(id) { (lang.t("action.note")) }
            input type="text" id=(id) name="note";
        }
    }
}

/// The forms of the actions the viewer may take now.
async fn actions(state: &AppState, ui: &Ui, loaded: &Loaded, find_to: &str) -> Result<Markup, UiError> {
    let lang = ui.lang;
    if !loaded.can(&ui.caller, Action::AppendEvent) {
        return Ok(html! {});
    }
    let current = loaded.state();
    let platform_work = loaded.can(&ui.caller, Action::Forward);
    let own = ui.caller.account.as_ref().and_then(|a| a.org_id.clone()).unwrap_or_default();
    let provider = loaded.case.products().first().map_or(own.clone(), |p| p.provider.0.clone());
    let fix_party = if loaded.case.party(&vulnrelay_domain::PartyId(provider.clone())).is_some() {
        provider
    } else {
        own.clone()
    };
    let recipients = picker::find(state, ui, &[], find_to, &own, "").await?;
    let simple: Vec<EventType> = SIMPLE
        .into_iter()
        .filter(|t| current.accepts(*t) && (platform_work || !PLATFORM_ONLY.contains(t)))
        .collect();
    let id = &loaded.record.id;
    Ok(html! {
        section id="actions" aria-labelledby="actions-h" {
            h2 id="actions-h" { (lang.t("action.title")) }
            div class="actions" {
                @if current.accepts(EventType::Notified) {
                    form method="post" action=(format!("/cases/{id}/events")) class="card" aria-labelledby="notify-h" {
                        h3 id="notify-h" { (lang.t("action.notify")) }
                        (csrf(ui))
                        input type="hidden" name="type" value="notified";
                        @if platform_work { (party_select(lang, loaded, "notify", &own)) }
                        (Picker {
                            id: "notify-to",
                            name: "to",
                            label: lang.t("action.to"),
                            roles: &[],
                            exclude: &own,
                            selected: "",
                            blank: None,
                            find_form: Some("notify-to-search"),
                            help_id: None,
                        }.render(lang, &recipients, html! {}))
                        div class="field" {
                            label for="notify-kind" { (lang.t("action.kind")) }
                            select id="notify-kind" name="kind" {
                                @for kind in NotificationKind::ALL { option value=(kind.as_str()) { (lang.t(&format!("notification.{}", kind.as_str()))) } }
                            }
                        }
                        (note_field(lang, "notify-note"))
                        button type="submit" { (lang.t("action.notify_submit")) }
                    }
                }
                @if current.accepts(EventType::FixAvailable) {
                    form method="post" action=(format!("/cases/{id}/events")) class="card" aria-labelledby="fix-h" {
                        h3 id="fix-h" { (lang.t("action.fix")) }
                        (csrf(ui))
                        input type="hidden" name="type" value="fix_available";
                        @if platform_work { (party_select(lang, loaded, "fix", &fix_party)) }
                        div class="field" {
                            label for="fix-version" { (lang.t("action.version")) }
                            input type="text" id="fix-version" name="version" aria-describedby="fix-version-help";
                            p class="help" id="fix-version-help" { (lang.t("action.version_help")) }
                        }
                        (note_field(lang, "fix-note"))
                        button type="submit" { (lang.t("action.fix_submit")) }
                    }
                }
                @if current.accepts(EventType::Published) {
                    form method="post" action=(format!("/cases/{id}/events")) class="card" aria-labelledby="publish-h" {
                        h3 id="publish-h" { (lang.t("action.publish")) }
                        (csrf(ui))
                        input type="hidden" name="type" value="published";
                        @if platform_work { (party_select(lang, loaded, "publish", &own)) }
                        div class="check" {
                            input type="checkbox" id="publish-remediation" name="with_remediation";
                            label for="publish-remediation" { (lang.t("action.with_remediation")) }
                        }
                        div class="check" {
                            input type="checkbox" id="publish-exploit" name="with_exploit_code";
                            label for="publish-exploit" { (lang.t("action.with_exploit_code")) }
                        }
                        (note_field(lang, "publish-note"))
                        p class="help" { (lang.t("action.publish_help")) }
                        button type="submit" { (lang.t("action.publish_submit")) }
                    }
                }
                @if !simple.is_empty() {
                    form method="post" action=(format!("/cases/{id}/events")) class="card" aria-labelledby="status-h" {
                        h3 id="status-h" { (lang.t("action.status")) }
                        (csrf(ui))
                        div class="field" {
                            label for="status-type" { (lang.t("action.event")) }
                            select id="status-type" name="type" {
                                @for t in &simple { option value=(t.as_str()) { (lang.t(&format!("event.{}", t.as_str()))) } }
                            }
                        }
                        (note_field(lang, "status-note"))
                        button type="submit" { (lang.t("action.status_submit")) }
                    }
                }
            }
            // The recipient's search box sends this form (the page again, with what it found).
            @if current.accepts(EventType::Notified) {
                form id="notify-to-search" method="get" action=(format!("/cases/{id}#notify-h")) {}
            }
        }
    })
}

async fn case_page(state: &AppState, ui: &Ui, id: &str, outcome: &Outcome) -> Result<Markup, UiError> {
    let lang = ui.lang;
    let (loaded, report) =
        authorize_with_report(state, &ui.caller, id, Action::Read).await.map_err(|e| ui.error(e))?;
    let tz = loaded.case.timezone();
    let now = match &outcome.as_of {
        Some(text) => vulnrelay_formats::case_file::parse_time(text, tz)
            .map_err(|e| ui.error(AppError::invalid(vec![("as_of".into(), e)])))?,
        None => Utc::now(),
    };
    let findings =
        state.evaluate(&loaded.case, &Options { as_of: now, interpretation: Interpretation::Hours });
    let report = report.map(|report| loaded.report_for(&ui.caller, report.body));
    let hidden = crate::sanctions::undisclosed_case_events(state, &ui.caller, &loaded.case)
        .await
        .map_err(|e| ui.error(e))?;
    let attachments = vulnrelay_app::case_views::visible_attachments(state, &ui.caller, &loaded)
        .await
        .map_err(|e| ui.error(e))?;
    let records = state.store.vulnerabilities(Some(id)).await.map_err(|e| ui.error(e))?;
    let refusals =
        vulnrelay_app::cases::visible_refusals(state, &ui.caller, &loaded).await.map_err(|e| ui.error(e))?;
    let mut recorders: HashMap<String, String> = HashMap::new();
    for account_id in loaded
        .events
        .iter()
        .filter_map(|e| e.recorded_by.clone())
        .chain(refusals.iter().filter_map(|r| r.recorded_by.clone()))
    {
        if let std::collections::hash_map::Entry::Vacant(entry) = recorders.entry(account_id) {
            let id = entry.key().clone();
            entry.insert(state.store.account(&id).await.map_or(id, |a| a.name));
        }
    }
    let party_name = |pid: &vulnrelay_domain::PartyId| {
        loaded.case.party(pid).map_or_else(|| pid.0.clone(), |p| p.name_in(lang.chinese()).to_owned())
    };
    let chart = timeline_chart(state, ui, &loaded, &findings, &hidden, now).await?;
    let published = crate::distribution::case_published(state, &loaded).await.map_err(|e| ui.error(e))?;
    let state_name = lang.t(&format!("state.{}", loaded.state().as_str()));
    let obligations: Vec<_> =
        findings.iter().filter(|f| !matches!(f.rule.kind, RuleKind::Retention(_))).collect();
    let actions = actions(state, ui, &loaded, outcome.find_to.as_deref().unwrap_or_default()).await?;
    let body = html! {
        h1 translate="no" { (loaded.record.title) }
        @if let Some(done) = &outcome.done {
            (notice("ok", html! { p { (lang.tf("action.done", &[("event", &lang.t(&format!("event.{done}")))])) } }))
        }
        @if let Some(error) = &outcome.failed {
            @let (title, detail) = error_words(lang, error);
            (notice("error", html! { p { strong { (title) } } p { (detail) } }))
        }
        @if let Some((details, form)) = &outcome.refused { (refusal_panel(state, ui, &loaded, details, form)) }
        dl class="facts" {
            dt { (lang.t("case.id")) } dd { code { (loaded.record.id) } }
            dt { (lang.t("case.state")) } dd { span class=(format!("badge state-{}", loaded.state().as_str())) { (state_name) } }
            dt { (lang.t("case.timezone")) } dd { (tz.name()) }
            dt { (lang.t("case.reporter")) } dd { (party_name(&vulnrelay_domain::PartyId(loaded.record.reporter_org.clone()))) }
            dt { (lang.t("case.platform")) } dd { (party_name(&vulnrelay_domain::PartyId(loaded.record.platform_org.clone()))) }
            dt { (lang.t("case.opened")) } dd { (time(loaded.record.created_at, tz)) }
            @if let Some(planned) = loaded.record.planned_public_at {
                dt { (lang.t("case.planned_public")) } dd { (time(planned, tz)) }
            }
            @if let Some(published) = published {
                dt { (lang.t("case.advisory_published")) } dd class="published" { (time(published, tz)) }
            }
        }
        section aria-labelledby="clocks-h" {
            h2 id="clocks-h" { (lang.t("case.clocks")) }
            p class="help" { (lang.t("case.clocks_help")) }
            form method="get" action=(format!("/cases/{id}")) class="inline as-of" {
                div class="field" {
                    label for="as_of" { (lang.t("case.as_of")) }
                    input type="date" id="as_of" name="as_of" value=(outcome.as_of.as_deref().unwrap_or_default()) aria-describedby="as-of-help";
                    p class="help" id="as-of-help" { (lang.tf("case.as_of_help", &[("time", &local(now, tz))])) }
                }
                button type="submit" { (lang.t("case.as_of_submit")) }
            }
            (chart)
        }
        section aria-labelledby="findings-h" {
            h2 id="findings-h" { (lang.t("case.findings")) }
            @if ui.caller.account.is_some() { p { a href=(format!("/cases/{id}/drafts")) { (lang.t("drafts.link")) } " · " a href=(format!("/cases/{id}/coordination")) { (lang.t("coordination.link")) } } }
            @if obligations.is_empty() { p { (lang.t("case.no_findings")) } }
            @else {
                div class="scroll" tabindex="0" {
                    table class="findings" {
                        caption class="visually-hidden" { (lang.t("case.findings")) }
                        thead { tr {
                            th scope="col" { (lang.t("finding.status")) }
                            th scope="col" { (lang.t("finding.rule")) }
                            th scope="col" { (lang.t("finding.party")) }
                            th scope="col" { (lang.t("finding.due")) }
                            th scope="col" { (lang.t("finding.met")) }
                            th scope="col" { (lang.t("finding.meaning")) }
                        } }
                        tbody {
                            @for f in &obligations {
                                @let message = f.message(&loaded.case);
                                tr class=(format!("finding {}", f.status.as_str())) {
                                    td { (status_badge(lang, f.status)) }
                                    td { (f.rule_id()) br; span class="muted" { (article(lang, &f.rule.article)) } }
                                    td { (party_name(f.party)) }
                                    td { @if let Some(due) = f.due_at { (time(due, tz)) } @else { "—" } }
                                    td { @if let Some(met) = f.satisfied_at { (time(met, tz)) } @else { "—" } }
                                    td { (finding_words(lang, &message)) }
                                }
                            }
                        }
                    }
                }
            }
        }
        (actions)
        (crate::ui::pages::stats::case_intervals(state, ui, id, tz).await)
        section id="timeline" aria-labelledby="timeline-h" {
            h2 id="timeline-h" { (lang.t("case.timeline")) }
            ol class="timeline" {
                @for i in loaded.case.chronological().into_iter().filter(|i| !hidden.contains(i)) {
                    @let event = &loaded.case.events()[i];
                    @let stored = loaded.events.get(i);
                    li {
                        p class="when" { (time(event.at, tz)) }
                        p class="what" {
                            strong { (lang.t(&format!("event.{}", event.event_type().as_str()))) }
                            " — " (party_name(&event.party))
                            @let words = event_words(lang, &loaded, &event.kind);
                            @if !words.is_empty() { " · " (words) }
                        }
                        @if let Some(note) = &event.note {
                            @match system_note(lang, note) {
                                Some(words) => p class="note" { (words) },
                                None => p class="note" translate="no" { (note) },
                            }
                        }
                        @match loaded.evidence.get(i) {
                            Some(EvidenceQuality::Claimed) => p class="claim" { (lang.t("case.claimed")) },
                            Some(EvidenceQuality::Attested) => p class="claim attested" { (lang.t("case.attested_claim")) },
                            _ => {},
                        }
                        @if let Some(stored) = stored {
                            p class="muted" {
                                (lang.t("case.recorded")) " " (time(stored.recorded_at, tz))
                                @if let Some(by) = &stored.recorded_by { " · " (lang.tf("case.recorded_by", &[("who", recorders.get(by).map_or(by.as_str(), |s| s.as_str()))])) }
                                " · #" (stored.seq)
                            }
                            @if let Some(reason) = &stored.override_reason {
                                p class="override-note" { (lang.tf("case.overridden", &[("reason", reason)])) }
                            }
                        }
                    }
                }
            }
        }
        @if !refusals.is_empty() {
            section id="refusals" aria-labelledby="refusals-h" {
                h2 id="refusals-h" { (lang.t("gate.refusals_title")) }
                p class="help" { (lang.t("gate.refusals_help")) }
                ol class="timeline refusals" {
                    @for r in &refusals {
                        li {
                            p class="when" { (time(r.at, tz)) }
                            p class="what" {
                                strong { (lang.t(&format!("event.{}", r.event_type))) }
                                " — " (party_name(&vulnrelay_domain::PartyId(r.party.clone())))
                                @if let Some(to) = &r.recipient { " → " (party_name(&vulnrelay_domain::PartyId(to.clone()))) }
                            }
                            ul {
                                @for detail in r.rules.as_array().into_iter().flatten() {
                                    @let rule_id = detail["rule"].as_str().unwrap_or_default();
                                    @let found = state.packs.iter().find_map(|p| p.rules.iter().find(|rule| format!("{}/{}", p.id, rule.id) == rule_id).map(|rule| (p, rule)));
                                    li {
                                        @if let Some((pack, rule)) = found {
                                            (if lang == Lang::Zh { &rule.title.zh } else { &rule.title.en }) " · "
                                            (lang.tf("gate.source", &[("instrument", if lang == Lang::Zh { &pack.instrument.zh } else { &pack.instrument.en }), ("article", &article(lang, &rule.article))]))
                                        } @else {
                                            (rule_id)
                                        }
                                    }
                                }
                            }
                            @if let Some(by) = &r.recorded_by {
                                p class="muted" { (lang.tf("case.recorded_by", &[("who", recorders.get(by).map_or(by.as_str(), |s| s.as_str()))])) }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="parties-h" {
            h2 id="parties-h" { (lang.t("case.parties")) }
            ul class="parties" {
                @for p in loaded.case.parties() {
                    li {
                        strong { (p.name_in(lang.chinese())) } " (" (p.id.0) ", " (p.jurisdiction.as_str()) ") "
                        @for role in &p.roles { span class="tag" { (role_words(lang, *role)) } " " }
                    }
                }
            }
        }
        @if let Some(report) = &report {
            section aria-labelledby="report-h" {
                h2 id="report-h" { (lang.t("case.report")) }
                dl class="facts" {
                    dt { (lang.t("report.product_name")) } dd translate="no" { (report["product"]["name"].as_str().unwrap_or("—")) }
                    dt { (lang.t("report.product_model")) } dd translate="no" { (report["product"]["model"].as_str().unwrap_or("—")) }
                    @if let Some(purl) = report["product"]["purl"].as_str() { dt { (lang.t("report.purl")) } dd { code { (purl) } } }
                    dt { (lang.t("report.affected_versions")) } dd translate="no" { (report["product"]["affected_versions"].as_array().map(|v| v.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", ")).unwrap_or_default()) }
                    dt { (lang.t("report.technical")) } dd translate="no" { (report["technical_characteristics"].as_str().unwrap_or("—")) }
                    dt { (lang.t("report.harm")) } dd translate="no" { (report["harm"].as_str().unwrap_or("—")) }
                    dt { (lang.t("report.scope")) } dd translate="no" { (report["scope_of_impact"].as_str().unwrap_or("—")) }
                    @if let Some(note) = report["note"].as_str() { dt { (lang.t("report.note")) } dd class="note" translate="no" { (note) } }
                    @if let Some(cvss) = report["cvss"]["vector"].as_str() { dt { (lang.t("report.cvss")) } dd { code { (cvss) } " (" (report["cvss"]["base_score"]) ")" } }
                }
            }
        }
        @if !attachments.is_empty() {
            section aria-labelledby="attachments-h" {
                h2 id="attachments-h" { (lang.t("report.attachments")) }
                ul {
                    @for a in &attachments {
                        li {
                            a href=(format!("/api/v1/cases/{id}/attachments/{}", a.id)) download { (a.filename) }
                            " (" (lang.tf("case.bytes", &[("n", &a.size.to_string())])) ")"
                            @if a.exploit_code { " " span class="badge violated" { (lang.t("case.exploit_code")) } }
                        }
                    }
                }
            }
        }
        @if !records.is_empty() {
            section aria-labelledby="records-h" {
                h2 id="records-h" { (lang.t("case.records")) }
                ul { @for r in &records { li { a href=(format!("/advisories/{}", r.id)) { (r.id) } } } }
                // A published case is one advisory: its bulletin and manual cover every record.
                @if loaded.state().is_published() && let Some(first) = records.first() {
                    @let base = format!("/api/v1/advisories/{}", first.id);
                    ul class="downloads" {
                        (crate::ui::pages::vulns::document_links(lang, &first.id))
                        li { a href=(format!("{base}.csaf.json")) download { "CSAF 2.0" } }
                    }
                }
            }
        }
        p { a href=(format!("/api/v1/cases/{id}/export")) download { (lang.t("case.export")) } }
    };
    Ok(page(ui, &loaded.record.title, body))
}

/// The timeline chart of the case as the viewer may see it: the events not hidden from
/// them, the first risk warning, the regulator's blind window and the obligations.
async fn timeline_chart(
    state: &AppState,
    ui: &Ui,
    loaded: &Loaded,
    findings: &[vulnrelay_policy::Finding<'_>],
    hidden: &std::collections::HashSet<usize>,
    now: chrono::DateTime<Utc>,
) -> Result<Markup, UiError> {
    let lang = ui.lang;
    let case = &loaded.case;
    let mut markers: Vec<Marker> = case
        .events()
        .iter()
        .enumerate()
        // As the case stood at `now`: what had happened by then.
        .filter(|(i, event)| !hidden.contains(i) && event.at <= now)
        .map(|(_, event)| {
            let party = case
                .party(&event.party)
                .map_or_else(|| event.party.0.clone(), |p| p.name_in(lang.chinese()).to_owned());
            let mut words =
                format!("{} — {party}", lang.t(&format!("event.{}", event.event_type().as_str())));
            let more = event_words(lang, loaded, &event.kind);
            if !more.is_empty() {
                words = format!("{words} · {more}");
            }
            Marker { at: event.at, mark: Mark::of(case, &event.kind), words }
        })
        .collect();
    if let Some((at, _)) =
        vulnrelay_app::intervals::first_warning(state, &loaded.record.id).await.map_err(|e| ui.error(e))?
        && at <= now
    {
        markers.push(Marker { at, mark: Mark::Warning, words: lang.t("timeline.first_warning") });
    }
    let blind = vulnrelay_domain::intervals(case)
        .into_iter()
        .find(|i| i.kind == vulnrelay_domain::IntervalKind::RegulatorReport)
        .and_then(|i| {
            let start = i.start.map(|(at, _)| at).filter(|at| *at <= now)?;
            Some(BlindWindow { start, end: i.end.map(|(at, _)| at).filter(|at| *at <= now) })
        });
    let chart = Chart { case, findings, markers, blind, now, tz: case.timezone() };
    Ok(timeline::render(lang, &chart))
}

/// The notes the server itself writes on events (in English, in the record), in the
/// viewer's language; `None` for a note someone wrote (shown as it was written).
fn system_note(lang: Lang, note: &str) -> Option<String> {
    let key = match note {
        "Report submitted to the platform" => "system_note.report_submitted",
        "Forwarded at once on acceptance (Art. 7 para. 2)" => "system_note.forwarded",
        "CVE ID requested" => "system_note.cve_requested",
        _ => return None,
    };
    Some(lang.t(key))
}

/// A party role in words.
pub fn role_words(lang: Lang, role: Role) -> String {
    lang.t(&format!("party_role.{}", role.as_str()))
}
