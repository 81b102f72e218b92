//! Vulnerability records: the list and the record (per-source scores with CNVD/CNNVD
//! grades, ranges, threat status), their exports (CVE JSON 5.1, CSAF 2.0, OSV), the
//! bulletin and the investigation-and-repair manual in both languages, identifiers from
//! the platforms' schemes and the CVE pool, and import of CVE/CSAF/OSV documents.
//!
//! A record that belongs to a case is shown to whoever may read that case; a record of
//! no case (imported from public sources) is public.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::AppState;
use crate::auth::{Auth, Caller};
use crate::documents::{DocumentQuery, parse_lang, render};
use crate::errors::AppResult;
use crate::input::{PageQuery, Typed};
use vulnrelay_app::identifiers::{self, AssignBody, CaseIdBody, PoolBody};
use vulnrelay_app::record_views;

/// `GET /api/v1/vulnerabilities`: the records the caller may see, by pages (a case's
/// records together, the cases oldest first).
pub async fn list(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Query(query): Query<PageQuery>,
) -> AppResult<Json<Value>> {
    Ok(Json(record_views::list(&state, &caller, query.after, query.limit).await?))
}

/// `GET /api/v1/vulnerabilities/{id}`: the record; `{id}.cve.json`, `{id}.csaf.json`
/// (with the revision history of its stored changes), `{id}.vex.json` (CSAF VEX of its
/// product status) and `{id}.osv.json` give its exports.
pub async fn show(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> AppResult<Response> {
    Ok(Json(record_views::show(&state, &caller, &id).await?).into_response())
}

/// The bulletin or the `manual` of one record, rendered as the query asks (the
/// application builds the publication; rendering it is the HTTP door's, which answers
/// HTML, Markdown or PDF).
async fn document(
    state: AppState,
    caller: Caller,
    id: String,
    query: DocumentQuery,
    manual: bool,
) -> AppResult<Response> {
    let publication = record_views::publication(&state, &caller, &id).await?;
    render(&publication, parse_lang(query.lang.as_deref())?, query.format.as_deref(), manual)
}

/// `GET /api/v1/vulnerabilities/{id}/bulletin`: the security bulletin (安全公告).
pub async fn bulletin(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    Query(query): Query<DocumentQuery>,
) -> AppResult<Response> {
    document(state, caller, id, query, false).await
}

/// `GET /api/v1/vulnerabilities/{id}/manual`: the investigation-and-repair manual (排查及修复手册).
pub async fn manual(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    Query(query): Query<DocumentQuery>,
) -> AppResult<Response> {
    document(state, caller, id, query, true).await
}

/// `POST /api/v1/import`: CVE JSON 5, CSAF 2.0, OSV or vulnrelay record documents
/// (detected by content, validated against the official schemas) become records, kept
/// per source. Analysts only.
pub async fn import_documents(
    State(state): State<AppState>,
    Auth(caller): Auth,
    body: axum::body::Bytes,
) -> AppResult<(StatusCode, Json<Value>)> {
    Ok((StatusCode::CREATED, Json(vulnrelay_app::imports::import_documents(&state, &caller, &body).await?)))
}

/// `POST /api/v1/vulnerabilities/{id}/ids`: a new identifier of a platform scheme,
/// added to the record's aliases. Analysts only.
pub async fn assign(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    Typed(body): Typed<AssignBody>,
) -> AppResult<(StatusCode, Json<Value>)> {
    Ok((StatusCode::CREATED, Json(identifiers::assign(&state, &caller, &id, body).await?)))
}

/// `POST /api/v1/cases/{id}/ids`: a new identifier of a platform scheme for the case's
/// vulnerability (the aliases of its record, or a new record of the case).
pub async fn assign_for_case(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(case_id): Path<String>,
    Typed(body): Typed<CaseIdBody>,
) -> AppResult<(StatusCode, Json<Value>)> {
    Ok((StatusCode::CREATED, Json(identifiers::assign_for_case(&state, &caller, &case_id, body).await?)))
}

/// `POST /api/v1/vulnerabilities/{id}/cve`: the record's CVE id from the pool, once.
pub async fn take_cve(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    Ok(Json(identifiers::take_cve(&state, &caller, &id).await?))
}

/// `POST /api/v1/cve-pool`: adds reserved CVE ids to the pool. Administrators only.
pub async fn load_pool(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Typed(body): Typed<PoolBody>,
) -> AppResult<Json<Value>> {
    Ok(Json(identifiers::load_pool(&state, &caller, body).await?))
}
