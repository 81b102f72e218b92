//! Distribution, so other tools can pull from the platform: the public advisory list
//! with each advisory's bulletin, manual and CSAF documents, the CSAF provider layout
//! under `/.well-known/csaf/`, the Atom feed of bulletins, and the OSV export of every
//! public record as a zip.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::AppState;
use crate::auth::{Auth, Caller};
use crate::distribution::{self, find};
use crate::documents::{DocumentQuery, parse_lang, render};
use crate::errors::AppResult;

/// `GET /api/v1/advisories`: the advisories the caller may read — every published
/// case's records, and public records of no case — newest first, by pages.
pub async fn list(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Query(query): Query<crate::input::PageQuery>,
) -> AppResult<Json<Value>> {
    Ok(Json(distribution::list_advisories(&state, &caller, query.after, query.limit).await?))
}

/// `GET /api/v1/advisories/{id}`: one advisory; `{id}.csaf.json` is its CSAF 2.0
/// security advisory, with the revision history of its records' changes.
pub async fn show(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> AppResult<Response> {
    match id.strip_suffix(".csaf.json") {
        Some(base) => {
            let (file_name, document) = distribution::advisory_csaf(&state, &caller, base).await?;
            let disposition = format!("attachment; filename=\"{file_name}\"");
            Ok(([(header::CONTENT_DISPOSITION, disposition)], Json(document)).into_response())
        }
        None => Ok(Json(distribution::advisory(&state, &caller, &id).await?).into_response()),
    }
}

/// `GET /api/v1/advisories/{id}/bulletin`: the case's security bulletin (安全公告) over
/// all its records, `?lang=zh|en&format=html|md`.
pub async fn bulletin(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    Query(query): Query<DocumentQuery>,
) -> AppResult<Response> {
    document(&state, &caller, &id, &query, false).await
}

/// `GET /api/v1/advisories/{id}/manual`: the case's investigation-and-repair manual
/// (排查及修复手册), `?lang=zh|en&format=html|md`.
pub async fn manual(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    Query(query): Query<DocumentQuery>,
) -> AppResult<Response> {
    document(&state, &caller, &id, &query, true).await
}

async fn document(
    state: &AppState,
    caller: &Caller,
    id: &str,
    query: &DocumentQuery,
    manual: bool,
) -> AppResult<Response> {
    let advisory = find(state, caller, id).await?;
    render(&advisory.publication(), parse_lang(query.lang.as_deref())?, query.format.as_deref(), manual)
}

/// `GET /.well-known/csaf/{path}`: the CSAF provider layout of the public advisories —
/// `provider-metadata.json`, `white/{year}/{id}.json` with a `.sha512` (and, when the
/// server has a key, a `.asc`) beside each, `white/index.txt`, `white/changes.csv`, the
/// ROLIE feed, service and category documents, the public OpenPGP key under `openpgp/`,
/// and a listing of every folder.
pub async fn csaf_provider(State(state): State<AppState>, Path(path): Path<String>) -> AppResult<Response> {
    let (content_type, bytes) = distribution::provider_file(&state, &path).await?;
    Ok(([(header::CONTENT_TYPE, content_type)], bytes).into_response())
}

/// `GET /.well-known/csaf/`: the listing of the provider's top folder.
pub async fn csaf_provider_root(state: State<AppState>) -> AppResult<Response> {
    csaf_provider(state, Path(String::new())).await
}

/// The feed's language.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedQuery {
    /// `en` (default) or `zh`.
    pub lang: Option<String>,
}

/// `GET /advisories/feed.atom`: the Atom feed of public bulletins, `?lang=zh|en`.
pub async fn feed(State(state): State<AppState>, Query(query): Query<FeedQuery>) -> AppResult<Response> {
    let body = distribution::feed(&state, parse_lang(query.lang.as_deref())?).await?;
    Ok(([(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")], body).into_response())
}

/// `GET /api/v1/osv/all.zip`: every public record as OSV, one `{id}.json` each —
/// what `vulnrelay scan --advisories` reads.
pub async fn osv_zip(State(state): State<AppState>) -> AppResult<Response> {
    let bytes = distribution::public_snapshot(&state).await?.osv_zip()?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"osv-all.zip\""),
        ],
        bytes,
    )
        .into_response())
}
