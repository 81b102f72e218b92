//! Cases: their summary, timeline, events appended by actions (through the gates),
//! forwarding along the reporting chain, comments, the planned public date, compliance,
//! export, attachments, the caller's deadlines, and the audit of the event chains.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use chrono_tz::Tz;
use serde::Deserialize;
use serde_json::{Value, json};
use vulnrelay_domain::{Action, CaseState};
use vulnrelay_formats::case_file;
use vulnrelay_formats::compliance::{self, Evaluated};
use vulnrelay_policy::{Interpretation, Options};

use crate::AppState;
use crate::auth::Auth;
use crate::casefile::{Loaded, authorize};
use crate::errors::{AppError, AppResult};
use crate::input::Checked;
use vulnrelay_app::case_actions::{self, CommentBody, EmbargoBody, ForwardBody, shown};
use vulnrelay_app::cases::{EventBody, append_event, event_json, tz_of, visible_refusals};
use vulnrelay_app::deadlines::{deadline_page, decode_cursor, encode_cursor, parse_within};

fn summary(loaded: &Loaded) -> Value {
    listed(&loaded.record, loaded.state())
}

/// A case's summary from its record and state (the case list reads both from the
/// derived views, without loading the case).
fn listed(record: &vulnrelay_store::CaseRecord, case_state: CaseState) -> Value {
    let tz: Tz = record.timezone.parse().unwrap_or(Tz::UTC);
    json!({
        "id": record.id,
        "title": record.title,
        "state": case_state.as_str(),
        "timezone": tz.name(),
        "reporter": record.reporter_org,
        "platform": record.platform_org,
        "created_at": record.created_at.to_rfc3339(),
        "events": record.last_seq,
        "planned_public_at": record.planned_public_at.map(|t| shown(t, tz)),
    })
}

/// Query of `GET /api/v1/cases`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Return cases after this case id (the previous page's `next`).
    pub after: Option<String>,
    /// Page size (default 50, at most 200).
    pub limit: Option<usize>,
    /// Only cases in this state.
    pub state: Option<String>,
}

/// `GET /api/v1/cases`: the cases the caller may see, oldest first, by pages.
pub async fn list(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Query(query): Query<ListQuery>,
) -> AppResult<Json<Value>> {
    let limit = query.limit.unwrap_or(50).clamp(1, 200);
    let wanted = match &query.state {
        Some(s) => Some(s.parse::<CaseState>().map_err(|e| AppError::invalid(vec![("state".into(), e)]))?),
        None => None,
    };
    let (listed_cases, next) =
        crate::casefile::listable(&state, &caller, wanted, query.after.clone(), limit).await?;
    let items: Vec<Value> =
        listed_cases.iter().map(|(record, case_state)| listed(record, *case_state)).collect();
    Ok(Json(json!({"cases": items, "next": next})))
}

/// `GET /api/v1/cases/{id}`: the case's summary, parties, products and report.
pub async fn show(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    let loaded = authorize(&state, &caller, &id, Action::Read).await?;
    let mut body = summary(&loaded);
    body["parties"] = loaded.parties.iter().map(|p| p.value.clone()).collect();
    body["products"] = loaded.products.iter().map(|p| p.value.clone()).collect();
    body["report"] = match state.store.report(&id).await {
        Ok(report) => loaded.report_for(&caller, report.body),
        Err(vulnrelay_store::StoreError::NotFound { .. }) => Value::Null,
        Err(other) => return Err(other.into()),
    };
    Ok(Json(body))
}

/// `GET /api/v1/cases/{id}/events`: the timeline as stored, with the hash chain.
pub async fn events(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    let loaded = authorize(&state, &caller, &id, Action::Read).await?;
    let hidden = crate::sanctions::undisclosed_case_events(&state, &caller, &loaded.case).await?;
    let events: Vec<Value> = loaded
        .events
        .iter()
        .enumerate()
        .filter(|(i, _)| !hidden.contains(i))
        .map(|(_, e)| event_json(e))
        .collect::<vulnrelay_app::Result<_>>()?;
    Ok(Json(json!({"case": id, "state": loaded.state().as_str(), "events": events})))
}

/// `POST /api/v1/cases/{id}/events`: records an event in the case-file vocabulary
/// (`at` defaults to now, `party` to the caller's organisation), with an optional
/// `override_reason` for a gate.
pub async fn append(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    Checked(body): Checked<EventBody>,
) -> AppResult<Response> {
    let answer = append_event(&state, &caller, &id, body).await?;
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

/// `GET /api/v1/cases/{id}/refusals`: what the gates refused on the case — the
/// attempted event (type, party, recipient), when, by whom and the refusing rules —
/// for those who may read the case (see [`visible_refusals`]).
pub async fn refusals(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    let loaded = authorize(&state, &caller, &id, Action::Read).await?;
    let refusals = visible_refusals(&state, &caller, &loaded).await?;
    let items: Vec<Value> = refusals
        .iter()
        .map(|r| {
            json!({"at": r.at.to_rfc3339(), "recorded_by": r.recorded_by, "party": r.party,
                   "type": r.event_type, "to": r.recipient, "rules": r.rules})
        })
        .collect();
    Ok(Json(json!({"case": id, "refusals": items})))
}

/// `POST /api/v1/cases/{id}/forward`: a platform forwards the case to an organisation,
/// which joins the case; a `notified` event is recorded, through the gates.
pub async fn forward(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    Checked(body): Checked<ForwardBody>,
) -> AppResult<Response> {
    let answer = case_actions::forward(&state, &caller, &id, body).await?;
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

/// `GET /api/v1/cases/{id}/comments`.
pub async fn comments(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    Ok(Json(case_actions::comments(&state, &caller, &id).await?))
}

/// `POST /api/v1/cases/{id}/comments`: adds a comment.
pub async fn comment(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    Checked(body): Checked<CommentBody>,
) -> AppResult<Response> {
    let answer = case_actions::comment(&state, &caller, &id, body).await?;
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

/// `PUT /api/v1/cases/{id}/embargo`: sets (or, with `null`, clears) the planned public
/// date; stored in UTC, shown in UTC and in the case's time zone.
pub async fn embargo(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    Checked(body): Checked<EmbargoBody>,
) -> AppResult<Json<Value>> {
    Ok(Json(case_actions::set_embargo(&state, &caller, &id, body).await?))
}

/// Query of the compliance endpoint.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ComplianceQuery {
    /// Evaluate as of this time (RFC 3339, or a date in the case's time zone); default now.
    pub as_of: Option<String>,
    /// How day-based deadlines are read, as `vulnrelay check --interpretation` takes it:
    /// a bare reading (`hours`, default; `calendar-days`; `civil-code-holidays`;
    /// `eu-1182-71`) for every policy that offers it, and/or `POLICY=READING`, separated
    /// by commas (`calendar-days,eu-cra-2024=eu-1182-71`).
    pub interpretation: Option<String>,
}

/// `GET /api/v1/cases/{id}/compliance`: exactly the findings JSON of `vulnrelay check`
/// for the case (its `source` is the case id).
pub async fn compliance(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    Query(query): Query<ComplianceQuery>,
) -> AppResult<Json<Value>> {
    let loaded = authorize(&state, &caller, &id, Action::Read).await?;
    let mut interpretation = Interpretation::Hours;
    let mut settings = state.config.policy.clone();
    let invalid = |e: String| AppError::invalid(vec![("interpretation".into(), e)]);
    for part in query.interpretation.as_deref().unwrap_or_default().split(',').filter(|p| !p.is_empty()) {
        match part.split_once('=') {
            None => interpretation = part.parse::<Interpretation>().map_err(invalid)?,
            Some((policy, reading)) => {
                let reading = reading.parse::<Interpretation>().map_err(invalid)?;
                settings.interpretations.insert(policy.to_owned(), reading);
            }
        }
    }
    settings.check(&state.packs).map_err(|problems| invalid(problems.join("; ")))?;
    let now = Utc::now();
    let as_of = match &query.as_of {
        None => now,
        Some(text) => case_file::parse_time(text, tz_of(&loaded))
            .map_err(|e| AppError::invalid(vec![("as_of".into(), e)]))?,
    };
    let as_of_text = query.as_of.clone().unwrap_or_else(|| now.to_rfc3339());
    let findings = vulnrelay_policy::evaluate_with(
        &loaded.case,
        &state.packs,
        &Options { as_of, interpretation },
        &settings,
    );
    let recorded_case = loaded.recorded_reading();
    let recorded = recorded_case.as_ref().map(|case| {
        vulnrelay_policy::evaluate_with(case, &state.packs, &Options { as_of, interpretation }, &settings)
    });
    let evaluated = [Evaluated {
        source: id.clone(),
        case: &loaded.case,
        as_of,
        findings: &findings,
        evidence: Some(&loaded.evidence),
        recorded: recorded.as_deref(),
    }];
    let report = compliance::report(&as_of_text, interpretation, &settings, &state.packs, &evaluated);
    Ok(Json(serde_json::to_value(report).map_err(AppError::internal)?))
}

/// `GET /api/v1/cases/{id}/export`: the case file, which `vulnrelay check` accepts.
pub async fn export(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let loaded = authorize(&state, &caller, &id, Action::Read).await?;
    let value = case_file::to_value(&loaded.case);
    let disposition = format!("attachment; filename=\"{id}.json\"");
    Ok(([(header::CONTENT_DISPOSITION, disposition)], Json(value)).into_response())
}

/// `GET /api/v1/cases/{id}/attachments`: attachment metadata; exploit code is listed
/// only to those who may read it.
pub async fn attachments(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    let loaded = authorize(&state, &caller, &id, Action::Read).await?;
    if !loaded.takes_part(&caller) {
        return Ok(Json(json!({"attachments": []})));
    }
    let exploit = loaded.can(&caller, Action::ReadExploitCode);
    let items: Vec<Value> = state
        .store
        .attachments(&id)
        .await?
        .iter()
        .filter(|a| exploit || !a.exploit_code)
        .map(|a| {
            json!({"id": a.id, "filename": a.filename, "media_type": a.media_type, "size": a.size,
                        "sha256": a.sha256, "exploit_code": a.exploit_code})
        })
        .collect();
    Ok(Json(json!({"attachments": items})))
}

/// `GET /api/v1/cases/{id}/attachments/{attachment}`: the content; exploit code only
/// to those who may read it (404 to everyone else).
pub async fn attachment(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path((id, attachment)): Path<(String, String)>,
) -> AppResult<Response> {
    let loaded = authorize(&state, &caller, &id, Action::Read).await?;
    if !loaded.takes_part(&caller) {
        return Err(AppError::not_found("attachment"));
    }
    let (meta, content) = state.store.attachment(&id, &attachment).await?;
    if meta.exploit_code && !loaded.can(&caller, Action::ReadExploitCode) {
        return Err(AppError::not_found("attachment"));
    }
    let disposition = format!("attachment; filename=\"{}\"", meta.filename.replace('"', ""));
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        Body::from(content),
    )
        .into_response())
}

/// Query of `GET /api/v1/deadlines`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeadlinesQuery {
    /// How far ahead: `48h`, `7d`, `30m` (default `48h`).
    pub within: Option<String>,
    /// Page size (default 100, at most 500).
    pub limit: Option<usize>,
    /// Obligations after this one (the previous page's `next`).
    pub after: Option<String>,
}

/// `GET /api/v1/deadlines?within=48h`: the open obligations (pending or overdue) of the
/// caller's organisation on the cases it may see, due within the window or already
/// overdue, by due time.
pub async fn deadlines(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Query(query): Query<DeadlinesQuery>,
) -> AppResult<Json<Value>> {
    let account = caller.require()?;
    let Some(org) = account.org_id.clone() else { return Ok(Json(json!({"deadlines": [], "next": null}))) };
    let within = parse_within(query.within.as_deref().unwrap_or("48h"))
        .map_err(|e| AppError::invalid(vec![("within".into(), e)]))?;
    let after = query
        .after
        .as_deref()
        .map(decode_cursor)
        .transpose()
        .map_err(|e| AppError::invalid(vec![("after".into(), e)]))?;
    let limit = query.limit.unwrap_or(100).clamp(1, 500);
    let (deadlines, next) = deadline_page(&state, &caller, &org, within, after, limit).await?;
    let items: Vec<Value> = deadlines
        .into_iter()
        .map(|d| {
            json!({
                "case": d.case, "title": d.title, "rule": d.rule, "article": d.article,
                "status": d.status.as_str(), "due_at": d.due_at.map(|t| shown(t, d.timezone)),
                "message": d.message.en,
                "draft": d.draft.as_ref().map(|(words, missing)| json!({"summary": {"en": words.en, "zh": words.zh}, "missing": missing})),
            })
        })
        .collect();
    Ok(Json(json!({
        "org": org,
        "within": query.within.unwrap_or_else(|| "48h".into()),
        "deadlines": items,
        "next": next.map(|c| encode_cursor(&c)),
    })))
}

/// `GET /api/v1/audit/verify`: walks every case's hash chain and every organisation's
/// log and names every broken link (`broken`: the first, as before; `broken_links`:
/// all of them) (administrators and a platform's staff).
pub async fn verify(State(state): State<AppState>, Auth(caller): Auth) -> AppResult<Json<Value>> {
    if crate::relations::admin(&caller).is_none() {
        crate::relations::platform_staff(&state, &caller).await?;
    }
    let report = state.store.verify().await?;
    let links: Vec<Value> =
        report.broken.iter().map(|b| json!({"case": b.case_id, "seq": b.seq, "reason": b.reason})).collect();
    Ok(Json(json!({"ok": links.is_empty(), "cases": report.cases, "events": report.events,
               "org_logs": report.org_logs, "org_events": report.org_events,
               "broken": links.first(), "broken_links": links})))
}
