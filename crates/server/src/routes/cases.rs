//! Cases: their summary, timeline, events appended by actions (through the gates),
//! forwarding along the reporting chain, comments, the planned public date, compliance,
//! export, attachments, the caller's deadlines, and the audit of the event chains.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;

use crate::AppState;
use crate::auth::Auth;
use crate::errors::AppResult;
use crate::input::Checked;
use vulnrelay_app::case_actions::{self, CommentBody, EmbargoBody, ForwardBody};
use vulnrelay_app::cases::{EventBody, append_event};
use vulnrelay_app::{case_views, deadlines};

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
) -> AppResult<Json<case_views::CasePage>> {
    Ok(Json(case_views::list(&state, &caller, query.state.as_deref(), query.after, query.limit).await?))
}

/// `GET /api/v1/cases/{id}`: the case's summary, parties, products and report.
pub async fn show(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    Ok(Json(case_views::show(&state, &caller, &id).await?))
}

/// `GET /api/v1/cases/{id}/events`: the timeline as stored, with the hash chain.
pub async fn events(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    Ok(Json(case_views::events(&state, &caller, &id).await?))
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
/// for those who may read the case (see `vulnrelay_app::cases::visible_refusals`).
pub async fn refusals(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    Ok(Json(case_views::refusals(&state, &caller, &id).await?))
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
    let ComplianceQuery { as_of, interpretation } = query;
    Ok(Json(case_views::compliance(&state, &caller, &id, as_of.as_deref(), interpretation.as_deref()).await?))
}

/// `GET /api/v1/cases/{id}/export`: the case file, which `vulnrelay check` accepts.
pub async fn export(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let value = case_views::export(&state, &caller, &id).await?;
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
    Ok(Json(case_views::attachments(&state, &caller, &id).await?))
}

/// `GET /api/v1/cases/{id}/attachments/{attachment}`: the content; exploit code only
/// to those who may read it (404 to everyone else).
pub async fn attachment(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path((id, attachment)): Path<(String, String)>,
) -> AppResult<Response> {
    let (meta, content) = case_views::attachment(&state, &caller, &id, &attachment).await?;
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
    let DeadlinesQuery { within, limit, after } = query;
    Ok(Json(deadlines::deadlines(&state, &caller, within, after.as_deref(), limit).await?))
}

/// `GET /api/v1/audit/verify`: walks every case's hash chain and every organisation's
/// log and names every broken link (`broken`: the first, as before; `broken_links`:
/// all of them) (administrators and a platform's staff).
pub async fn verify(State(state): State<AppState>, Auth(caller): Auth) -> AppResult<Json<Value>> {
    Ok(Json(case_views::verify(&state, &caller).await?))
}
