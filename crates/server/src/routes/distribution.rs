//! Distribution, so other tools can pull from the platform: the public advisory list
//! with each advisory's bulletin, manual and CSAF documents, the CSAF provider layout
//! under `/.well-known/csaf/`, the Atom feed of bulletins, and the OSV export of every
//! public record as a zip.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::AppState;
use crate::auth::{Auth, Caller};
use crate::distribution::{self, ProviderBody, SharedFile, find};
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
///
/// The files every answer shares (`index.txt`, `changes.csv`, the ROLIE documents)
/// carry an entity tag: a request whose `If-None-Match` names it is answered `304 Not
/// Modified` with no body, and a client that takes gzip (`Accept-Encoding`) gets the
/// kept gzip of the file (`Content-Encoding: gzip`).
pub async fn csaf_provider(
    State(state): State<AppState>,
    Path(path): Path<String>,
    headers: HeaderMap,
) -> AppResult<Response> {
    Ok(match distribution::provider_file(&state, &path).await? {
        (content_type, ProviderBody::Own(bytes)) => {
            ([(header::CONTENT_TYPE, content_type)], bytes).into_response()
        }
        (content_type, ProviderBody::Shared(file)) => shared_file(&headers, content_type, &file),
    })
}

/// `GET /.well-known/csaf/`: the listing of the provider's top folder.
pub async fn csaf_provider_root(state: State<AppState>, headers: HeaderMap) -> AppResult<Response> {
    csaf_provider(state, Path(String::new()), headers).await
}

/// A shared file answered to a request with `headers`: `304 Not Modified` when the
/// request's `If-None-Match` names it, else the file, as gzip when the request takes it.
fn shared_file(headers: &HeaderMap, content_type: &'static str, file: &SharedFile) -> Response {
    let gzip = if accepts_gzip(headers) { file.gzip() } else { None };
    let etag = if gzip.is_some() { file.gzip_etag() } else { file.etag() };
    let vary = (header::VARY, HeaderValue::from_static("accept-encoding"));
    let tagged = (header::ETAG, etag);
    let current = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|list| file.matches(list));
    if current {
        return (StatusCode::NOT_MODIFIED, [vary]).into_response().with_header(tagged);
    }
    let content_type = (header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    match gzip {
        Some(gzip) => {
            let encoding = (header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            ([content_type, vary, encoding], gzip).into_response().with_header(tagged)
        }
        None => ([content_type, vary], file.bytes.clone()).into_response().with_header(tagged),
    }
}

/// A response with one more header.
trait WithHeader {
    fn with_header(self, header: (header::HeaderName, String)) -> Response;
}

impl WithHeader for Response {
    fn with_header(mut self, (name, value): (header::HeaderName, String)) -> Response {
        if let Ok(value) = HeaderValue::from_str(&value) {
            self.headers_mut().insert(name, value);
        }
        self
    }
}

/// Whether a request with `headers` takes gzip (RFC 9110 §12.5.3): `gzip` (or
/// `x-gzip`) with a weight above zero, or, when neither is named, `*` with one.
pub fn accepts_gzip(headers: &HeaderMap) -> bool {
    let (mut named, mut any) = (None, None);
    for item in headers.get_all(header::ACCEPT_ENCODING).iter().filter_map(|v| v.to_str().ok()) {
        for coding in item.split(',') {
            let mut parts = coding.split(';').map(str::trim);
            let name = parts.next().unwrap_or_default();
            let weight = parts
                .find_map(|p| p.strip_prefix("q=").or_else(|| p.strip_prefix("Q=")))
                .map_or(1.0, |q| q.trim().parse::<f32>().unwrap_or(0.0));
            if name.eq_ignore_ascii_case("gzip") || name.eq_ignore_ascii_case("x-gzip") {
                named = Some(named.map_or(weight, |w: f32| w.max(weight)));
            } else if name == "*" {
                any = Some(weight);
            }
        }
    }
    named.or(any).is_some_and(|weight| weight > 0.0)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn takes(value: &str) -> bool {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(value).unwrap());
        accepts_gzip(&headers)
    }

    #[test]
    fn gzip_is_taken_when_named_or_matched_by_a_star_with_a_weight() {
        for yes in
            ["gzip", "gzip, deflate, br", "br;q=1.0, gzip;q=0.8", "x-gzip", "GZIP", "*", "deflate, *;q=0.1"]
        {
            assert!(takes(yes), "{yes}");
        }
        for no in ["", "identity", "br", "gzip;q=0", "gzip;q=0.0, *", "*;q=0", "gzip;q=nonsense"] {
            assert!(!takes(no), "{no}");
        }
        assert!(!accepts_gzip(&HeaderMap::new()));
    }
}
