//! Identifiers a platform gives: a new id of one of its schemes (`CNVD-{YYYY}-{NNNNN}`)
//! for a record or a case, and CVE ids from the pool reserved from CVE Services.

use chrono::Utc;
use serde::Deserialize;
use serde_json::{Value, json};
use vulnrelay_domain::{AccountRole, Action, IdTemplate, Localized, Vulnerability};
use vulnrelay_formats::record::VulnerabilityJson;

use crate::App;
use crate::caller::Caller;
use crate::casefile::authorize;
use crate::distribution::decode;
use crate::error::{Error, Result};
use crate::records::{may_change, save, visible};

/// Body of `POST /api/v1/vulnerabilities/{id}/ids`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    /// The scheme, e.g. `CNVD-{YYYY}-{NNNNN}`.
    pub template: String,
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

/// Body of `POST /api/v1/cve-pool`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PoolBody {
    /// CVE ids reserved from CVE Services.
    pub ids: Vec<String>,
}

/// An identifier scheme as given (a problem at `template` otherwise).
fn id_template(text: &str) -> Result<IdTemplate> {
    text.parse()
        .map_err(|e: vulnrelay_domain::IdTemplateError| Error::invalid_field("template", e.to_string()))
}

/// `POST /api/v1/vulnerabilities/{id}/ids`: a new identifier of a platform scheme,
/// added to the record's aliases. Analysts only.
pub async fn assign(state: &App, caller: &Caller, id: &str, body: AssignBody) -> Result<Value> {
    caller.require_role(&[AccountRole::Analyst])?;
    let template = id_template(&body.template)?;
    let (stored, mut v) = visible(state, caller, id).await?;
    may_change(state, caller, &stored).await?;
    let new_id = state.store.assign_id(&template, Utc::now()).await?;
    v.add_alias(&new_id);
    save(state, &stored, &v).await?;
    Ok(json!({"id": new_id, "vulnerability": v.id}))
}

/// `POST /api/v1/cases/{id}/ids`: a new identifier of a platform scheme for the case's
/// vulnerability — added to the aliases of its record or, for a case with no record
/// yet, the id of a new record of the case titled as the case. On a mirror, the
/// records flow back to the origin (docs/federation.md). Analysts of a platform that
/// works the case only.
pub async fn assign_for_case(state: &App, caller: &Caller, case_id: &str, body: CaseIdBody) -> Result<Value> {
    caller.require_role(&[AccountRole::Analyst])?;
    let template = id_template(&body.template)?;
    let loaded = authorize(state, caller, case_id, Action::Read).await?;
    if !crate::relations::works_on(caller, &loaded) {
        return Err(Error::forbidden("only the platforms that work this case assign its identifiers"));
    }
    let mut records = Vec::new();
    for stored in state.store.vulnerabilities(Some(case_id)).await? {
        let v = decode(&stored)?;
        records.push((stored, v));
    }
    let target = match (&body.vulnerability, records.len()) {
        (Some(wanted), _) => Some(
            records
                .iter()
                .position(|(_, v)| v.ids().any(|id| id.eq_ignore_ascii_case(wanted)))
                .ok_or_else(|| Error::not_found("vulnerability of this case"))?,
        ),
        (None, 0) => None,
        (None, 1) => Some(0),
        (None, _) => {
            return Err(Error::invalid_field(
                "vulnerability",
                "the case has several records: name the one that gets the id",
            ));
        }
    };
    let new_id = state.store.assign_id(&template, Utc::now()).await?;
    let vulnerability = match target {
        Some(index) => {
            let (stored, v) = &mut records[index];
            v.add_alias(&new_id);
            save(state, stored, v).await?;
            v.id.clone()
        }
        None => {
            let mut v = Vulnerability::new(new_id.clone());
            v.title = Localized::en(loaded.record.title.clone());
            let value = serde_json::to_value(VulnerabilityJson::from(&v)).map_err(Error::internal)?;
            state.store.save_vulnerability(&v.id, Some(case_id), &value, &[], Utc::now()).await?;
            crate::warnings::after_records_changed(state, std::slice::from_ref(&v.id)).await;
            crate::federation::outbound::queue(state, case_id).await;
            v.id
        }
    };
    Ok(json!({"id": new_id, "vulnerability": vulnerability, "case": case_id}))
}

/// `POST /api/v1/vulnerabilities/{id}/cve`: the record's CVE id from the pool, once.
/// Analysts only.
pub async fn take_cve(state: &App, caller: &Caller, id: &str) -> Result<Value> {
    caller.require_role(&[AccountRole::Analyst])?;
    let (stored, mut v) = visible(state, caller, id).await?;
    may_change(state, caller, &stored).await?;
    let cve = state.store.take_cve_id(&stored.id, Utc::now()).await.map_err(|e| match e {
        vulnrelay_store::StoreError::NotFound { .. } => {
            Error::conflict("cve_pool_empty", "the CVE pool has no free id")
        }
        other => other.into(),
    })?;
    v.add_alias(&cve);
    save(state, &stored, &v).await?;
    Ok(json!({"cve": cve, "vulnerability": v.id}))
}

/// `POST /api/v1/cve-pool`: adds reserved CVE ids to the pool. Administrators only.
pub async fn load_pool(state: &App, caller: &Caller, body: PoolBody) -> Result<Value> {
    caller.require_role(&[AccountRole::Admin])?;
    let bad: Vec<(String, String)> = body
        .ids
        .iter()
        .enumerate()
        .filter(|(_, id)| vulnrelay_domain::IdScheme::of(id) != vulnrelay_domain::IdScheme::Cve)
        .map(|(i, id)| (format!("ids[{i}]"), format!("`{id}` is not a CVE id")))
        .collect();
    if !bad.is_empty() {
        return Err(Error::invalid(bad));
    }
    let added = state.store.load_cve_pool(&body.ids, Utc::now()).await?;
    Ok(json!({"added": added, "free": state.store.free_cve_ids().await?}))
}
