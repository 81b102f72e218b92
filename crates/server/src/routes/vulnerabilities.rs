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
use serde::Deserialize;
use serde_json::{Value, json};
use vulnrelay_domain::{AccountRole, Action, IdTemplate, Localized, Vulnerability};
use vulnrelay_formats::record::VulnerabilityJson;
use vulnrelay_formats::{cve5, import, osv_record};
use vulnrelay_publish::Publication;
use vulnrelay_store::StoredVulnerability;

use crate::AppState;
use crate::auth::{Auth, Caller};
use crate::casefile::authorize;
use crate::distribution::{self, Advisory, PUBLISHER_NAME, decode};
use crate::documents::{DocumentQuery, parse_lang, render};
use crate::errors::{AppError, AppResult};
use crate::input::Typed;
use vulnrelay_app::records::{may_change, save, visible, visible_records, visible_to_read};

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
    if crate::relations::admin(&caller).is_none() {
        crate::relations::platform_staff(&state, &caller).await?;
    }
    let text = std::str::from_utf8(&body).map_err(|_| AppError::bad_request("the body is not UTF-8"))?;
    let imported = import::import(text, "import")
        .map_err(|problems| AppError::invalid(problems.into_iter().map(|p| (p.path, p.message)).collect()))?;
    let now = Utc::now();
    // Every record is checked before any is written: an import is taken whole or not
    // at all. An existing record needs the right to change it, and the import adds
    // its source beside the record's others (`Vulnerability::add_source`).
    let mut writes = Vec::with_capacity(imported.records.len());
    for v in &imported.records {
        match state.store.vulnerability(&v.id).await {
            Ok(existing) => {
                may_change(&state, &caller, &existing).await?;
                let mut merged = decode(&existing)?;
                merged.add_source(v);
                // A record that belongs to a case stays with it (and under its access rules).
                writes.push((existing.case_id.clone(), merged));
            }
            Err(vulnrelay_store::StoreError::NotFound { .. }) => writes.push((None, v.clone())),
            Err(other) => return Err(other.into()),
        }
    }
    let mut ids = Vec::new();
    for (case_id, v) in &writes {
        let value = serde_json::to_value(VulnerabilityJson::from(v)).map_err(AppError::internal)?;
        state.store.save_vulnerability(&v.id, case_id.as_deref(), &value, &v.aliases, now).await?;
        ids.push(v.id.clone());
    }
    crate::warnings::after_records_changed(&state, &ids).await;
    Ok((StatusCode::CREATED, Json(json!({"format": imported.format.to_string(), "imported": ids}))))
}

/// Body of `POST /api/v1/vulnerabilities/{id}/ids`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    /// The scheme, e.g. `CNVD-{YYYY}-{NNNNN}`.
    pub template: String,
}

/// An identifier scheme as given (422 naming the problem).
fn id_template(text: &str) -> AppResult<IdTemplate> {
    text.parse().map_err(|e: vulnrelay_domain::IdTemplateError| {
        AppError::invalid(vec![("template".into(), e.to_string())])
    })
}

/// `POST /api/v1/vulnerabilities/{id}/ids`: a new identifier of a platform scheme,
/// added to the record's aliases. Analysts only.
pub async fn assign(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    Typed(body): Typed<AssignBody>,
) -> AppResult<(StatusCode, Json<Value>)> {
    caller.require_role(&[AccountRole::Analyst])?;
    let template = id_template(&body.template)?;
    let (stored, mut v) = visible(&state, &caller, &id).await?;
    may_change(&state, &caller, &stored).await?;
    let now = Utc::now();
    let new_id = state.store.assign_id(&template, now).await?;
    v.add_alias(&new_id);
    save(&state, &stored, &v).await?;
    Ok((StatusCode::CREATED, Json(json!({"id": new_id, "vulnerability": v.id}))))
}

/// Body of `POST /api/v1/cases/{id}/ids`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseIdBody {
    /// The scheme, e.g. `CNVD-{YYYY}-{NNNNN}`.
    pub template: String,
    /// The case's record that gets it (by any of its ids); needed when it has several.
    #[serde(default)]
    pub vulnerability: Option<String>,
}

/// `POST /api/v1/cases/{id}/ids`: a new identifier of a platform scheme for the case's
/// vulnerability — added to the aliases of its record or, for a case with no record
/// yet, the id of a new record of the case titled as the case. On a mirror, the
/// records flow back to the origin (docs/federation.md). Analysts of a platform that
/// works the case only.
pub async fn assign_for_case(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(case_id): Path<String>,
    Typed(body): Typed<CaseIdBody>,
) -> AppResult<(StatusCode, Json<Value>)> {
    caller.require_role(&[AccountRole::Analyst])?;
    let template = id_template(&body.template)?;
    let loaded = authorize(&state, &caller, &case_id, Action::Read).await?;
    if !crate::relations::works_on(&caller, &loaded) {
        return Err(AppError::forbidden("only the platforms that work this case assign its identifiers"));
    }
    let mut records = Vec::new();
    for stored in state.store.vulnerabilities(Some(&case_id)).await? {
        let v = decode(&stored)?;
        records.push((stored, v));
    }
    let target = match (&body.vulnerability, records.len()) {
        (Some(wanted), _) => Some(
            records
                .iter()
                .position(|(_, v)| v.ids().any(|id| id.eq_ignore_ascii_case(wanted)))
                .ok_or_else(|| AppError::not_found("vulnerability of this case"))?,
        ),
        (None, 0) => None,
        (None, 1) => Some(0),
        (None, _) => {
            return Err(AppError::invalid(vec![(
                "vulnerability".into(),
                "the case has several records: name the one that gets the id".into(),
            )]));
        }
    };
    let new_id = state.store.assign_id(&template, Utc::now()).await?;
    let vulnerability = match target {
        Some(index) => {
            let (stored, v) = &mut records[index];
            v.add_alias(&new_id);
            save(&state, stored, v).await?;
            v.id.clone()
        }
        None => {
            let mut v = Vulnerability::new(new_id.clone());
            v.title = Localized::en(loaded.record.title.clone());
            let value = serde_json::to_value(VulnerabilityJson::from(&v)).map_err(AppError::internal)?;
            state.store.save_vulnerability(&v.id, Some(&case_id), &value, &[], Utc::now()).await?;
            crate::warnings::after_records_changed(&state, std::slice::from_ref(&v.id)).await;
            crate::federation::outbound::queue(&state, &case_id).await;
            v.id
        }
    };
    Ok((StatusCode::CREATED, Json(json!({"id": new_id, "vulnerability": vulnerability, "case": case_id}))))
}

/// `POST /api/v1/vulnerabilities/{id}/cve`: the record's CVE id from the pool, once.
/// Analysts only.
pub async fn take_cve(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    caller.require_role(&[AccountRole::Analyst])?;
    let (stored, mut v) = visible(&state, &caller, &id).await?;
    may_change(&state, &caller, &stored).await?;
    let cve = state.store.take_cve_id(&stored.id, Utc::now()).await.map_err(|e| match e {
        vulnrelay_store::StoreError::NotFound { .. } => {
            AppError::conflict("cve_pool_empty", "the CVE pool has no free id")
        }
        other => other.into(),
    })?;
    v.add_alias(&cve);
    save(&state, &stored, &v).await?;
    Ok(Json(json!({"cve": cve, "vulnerability": v.id})))
}

/// Body of `POST /api/v1/cve-pool`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PoolBody {
    /// CVE ids reserved from CVE Services.
    pub ids: Vec<String>,
}

/// `POST /api/v1/cve-pool`: adds reserved CVE ids to the pool. Administrators only.
pub async fn load_pool(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Typed(body): Typed<PoolBody>,
) -> AppResult<Json<Value>> {
    caller.require_role(&[AccountRole::Admin])?;
    let bad: Vec<(String, String)> = body
        .ids
        .iter()
        .enumerate()
        .filter(|(_, id)| vulnrelay_domain::IdScheme::of(id) != vulnrelay_domain::IdScheme::Cve)
        .map(|(i, id)| (format!("ids[{i}]"), format!("`{id}` is not a CVE id")))
        .collect();
    if !bad.is_empty() {
        return Err(AppError::invalid(bad));
    }
    let added = state.store.load_cve_pool(&body.ids, Utc::now()).await?;
    Ok(Json(json!({"added": added, "free": state.store.free_cve_ids().await?})))
}
