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
use chrono::Utc;
use serde_json::{Value, json};
use vulnrelay_domain::{Action, Localized};
use vulnrelay_formats::record::VulnerabilityJson;
use vulnrelay_formats::{cve5, osv_record};
use vulnrelay_publish::Publication;
use vulnrelay_store::StoredVulnerability;

use crate::AppState;
use crate::auth::{Auth, Caller};
use crate::casefile::authorize;
use crate::distribution::{self, Advisory, PUBLISHER_NAME};
use crate::documents::{DocumentQuery, parse_lang, render};
use crate::errors::{AppError, AppResult};
use crate::input::Typed;
use vulnrelay_app::identifiers::{self, AssignBody, CaseIdBody, PoolBody};
use vulnrelay_app::records::{visible_records, visible_to_read};

/// `GET /api/v1/vulnerabilities`: every record the caller may see.
pub async fn list(State(state): State<AppState>, Auth(caller): Auth) -> AppResult<Json<Value>> {
    let mut items = Vec::new();
    for (stored, v) in visible_records(&state, &caller).await? {
        let top = v
            .scores
            .iter()
            .filter_map(|s| vulnrelay_formats::severity::score(&s.vector).ok())
            .max_by(|a, b| a.base_score.total_cmp(&b.base_score));
        items.push(json!({
            "id": v.id,
            "aliases": v.aliases,
            "title": {"en": v.title.en, "zh": v.title.zh},
            "case": stored.case_id,
            "highest_score": top.map(|s| json!({"score": s.base_score, "rating": s.rating.as_str(), "cnvd": s.cnvd().zh(), "cnnvd": s.cnnvd().zh()})),
            "threat_level": v.threat_status(Utc::now()).level.as_str(),
            "updated_at": distribution::record_updated(&stored, v.published).to_rfc3339(),
        }));
    }
    Ok(Json(json!({"items": items})))
}

/// `GET /api/v1/vulnerabilities/{id}`: the record; `{id}.cve.json`, `{id}.csaf.json`
/// (with the revision history of its stored changes), `{id}.vex.json` (CSAF VEX of its
/// product status) and `{id}.osv.json` give its exports.
pub async fn show(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let (base, format) =
        match ["cve", "csaf", "vex", "osv"].into_iter().find(|f| id.ends_with(&format!(".{f}.json"))) {
            Some(format) => (id.trim_end_matches(&format!(".{format}.json")).to_owned(), Some(format)),
            None => (id.clone(), None),
        };
    let (stored, v) = visible_to_read(&state, &caller, &base).await?;
    let now = Utc::now();
    let body = match format {
        None => {
            let mut value = serde_json::to_value(VulnerabilityJson::from(&v)).map_err(AppError::internal)?;
            value["threat_status"] = vulnrelay_app::records::threat_status_json(&v, now);
            value["case"] = json!(stored.case_id);
            value
        }
        Some("cve") => {
            let cna = cve5::Cna {
                org_id: state.config.cna_org_id.clone(),
                short_name: state.config.cna_short_name.clone(),
            };
            let mut document = cve5::export(&v, &cna, distribution::record_updated(&stored, v.published))
                .map_err(|e| AppError::conflict("not_exportable", e.to_string()))?;
            cve5::add_vendor_statuses(&mut document, &v, &published_vendors(&state, &caller, &stored).await?);
            document
        }
        Some("csaf") => {
            let advisory =
                Advisory { id: v.id.clone(), case: None, records: vec![(stored.clone(), v.clone())] };
            distribution::csaf_advisory(&state, &advisory).await?
        }
        Some("vex") => distribution::csaf_vex(&state, &stored, &v).await?,
        Some(_) => {
            let mut document = osv_record::export(&v, distribution::record_updated(&stored, v.published));
            osv_record::add_vendor_statuses(
                &mut document,
                &published_vendors(&state, &caller, &stored).await?,
            );
            document
        }
    };
    Ok(Json(body).into_response())
}

/// The downstream vendors' public statuses on the case of `stored`, once it is
/// published (none before, and none for a record of no case).
async fn published_vendors(
    state: &AppState,
    caller: &Caller,
    stored: &StoredVulnerability,
) -> AppResult<Vec<vulnrelay_domain::VendorStatement>> {
    let Some(case_id) = &stored.case_id else { return Ok(Vec::new()) };
    let loaded = authorize(state, caller, case_id, Action::Read).await?;
    Ok(Advisory { id: stored.id.clone(), case: Some(loaded), records: Vec::new() }.vendors())
}

async fn document(
    state: AppState,
    caller: Caller,
    id: String,
    query: DocumentQuery,
    manual: bool,
) -> AppResult<Response> {
    let (stored, v) = visible_to_read(&state, &caller, &id).await?;
    let lang = parse_lang(query.lang.as_deref())?;
    let publication = Publication {
        id: v.id.clone(),
        title: if v.title.is_empty() { Localized::en(v.id.clone()) } else { v.title.clone() },
        publisher: PUBLISHER_NAME.into(),
        published: v.published.unwrap_or(stored.created_at),
        updated: distribution::record_updated(&stored, Some(v.published.unwrap_or(stored.created_at))),
        vulnerabilities: vec![v],
        vendors: published_vendors(&state, &caller, &stored).await?,
    };
    render(&publication, lang, query.format.as_deref(), manual)
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
