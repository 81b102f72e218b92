//! What a vulnerability record shows those who may read it: the list, the record with
//! its threat status, its exports (CVE JSON 5.1, CSAF 2.0, CSAF VEX, OSV) and the
//! publication its bulletin and manual are rendered from.

use chrono::Utc;
use serde_json::{Value, json};
use vulnrelay_domain::{Action, Localized, VendorStatement};
use vulnrelay_formats::record::VulnerabilityJson;
use vulnrelay_formats::{cve5, osv_record};
use vulnrelay_publish::Publication;
use vulnrelay_store::StoredVulnerability;

use crate::App;
use crate::caller::Caller;
use crate::casefile::authorize;
use crate::distribution::{self, Advisory, PUBLISHER_NAME};
use crate::error::{Error, Result};
use crate::records::{threat_status_json, visible_records, visible_to_read};

/// `GET /api/v1/vulnerabilities`: the records the caller may see, by pages of `limit`
/// (default 50, at most 200) after the record `after` (see
/// [`visible_records`]), each with its highest score and current threat level, and the
/// `next` page's cursor.
pub async fn list(
    state: &App,
    caller: &Caller,
    after: Option<String>,
    limit: Option<usize>,
) -> Result<Value> {
    let limit = limit.unwrap_or(50).clamp(1, 200);
    let (records, next) = visible_records(state, caller, after, limit).await?;
    let mut items = Vec::new();
    for (stored, v) in records {
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
    Ok(json!({"items": items, "next": next}))
}

/// `GET /api/v1/vulnerabilities/{id}`: the record with its threat status and case; an
/// id ending `.cve.json`, `.csaf.json` (with the revision history of its stored
/// changes), `.vex.json` (CSAF VEX of its product status) or `.osv.json` gives that
/// export of the record instead.
pub async fn show(state: &App, caller: &Caller, id: &str) -> Result<Value> {
    let (base, format) =
        match ["cve", "csaf", "vex", "osv"].into_iter().find(|f| id.ends_with(&format!(".{f}.json"))) {
            Some(format) => (id.trim_end_matches(&format!(".{format}.json")).to_owned(), Some(format)),
            None => (id.to_owned(), None),
        };
    let (stored, v) = visible_to_read(state, caller, &base).await?;
    let now = Utc::now();
    Ok(match format {
        None => {
            let mut value = serde_json::to_value(VulnerabilityJson::from(&v)).map_err(Error::internal)?;
            value["threat_status"] = threat_status_json(&v, now);
            value["case"] = json!(stored.case_id);
            value
        }
        Some("cve") => {
            let cna = cve5::Cna {
                org_id: state.config.cna_org_id.clone(),
                short_name: state.config.cna_short_name.clone(),
            };
            let mut document = cve5::export(&v, &cna, distribution::record_updated(&stored, v.published))
                .map_err(|e| Error::conflict("not_exportable", e.to_string()))?;
            cve5::add_vendor_statuses(&mut document, &v, &published_vendors(state, caller, &stored).await?);
            document
        }
        Some("csaf") => {
            let advisory =
                Advisory { id: v.id.clone(), case: None, records: vec![(stored.clone(), v.clone())] };
            distribution::csaf_advisory(state, &advisory).await?
        }
        Some("vex") => distribution::csaf_vex(state, &stored, &v).await?,
        Some(_) => {
            let mut document = osv_record::export(&v, distribution::record_updated(&stored, v.published));
            osv_record::add_vendor_statuses(&mut document, &published_vendors(state, caller, &stored).await?);
            document
        }
    })
}

/// The downstream vendors' public statuses on the case of `stored`, once it is
/// published (none before, and none for a record of no case).
pub async fn published_vendors(
    state: &App,
    caller: &Caller,
    stored: &StoredVulnerability,
) -> Result<Vec<VendorStatement>> {
    let Some(case_id) = &stored.case_id else { return Ok(Vec::new()) };
    let loaded = authorize(state, caller, case_id, Action::Read).await?;
    Ok(Advisory { id: stored.id.clone(), case: Some(loaded), records: Vec::new() }.vendors())
}

/// `GET /api/v1/vulnerabilities/{id}/bulletin` and `.../manual`: the publication of one
/// record the caller may read, which the bulletin and the manual are rendered from.
pub async fn publication(state: &App, caller: &Caller, id: &str) -> Result<Publication> {
    let (stored, v) = visible_to_read(state, caller, id).await?;
    Ok(Publication {
        id: v.id.clone(),
        title: if v.title.is_empty() { Localized::en(v.id.clone()) } else { v.title.clone() },
        publisher: PUBLISHER_NAME.into(),
        published: v.published.unwrap_or(stored.created_at),
        updated: distribution::record_updated(&stored, Some(v.published.unwrap_or(stored.created_at))),
        vendors: published_vendors(state, caller, &stored).await?,
        vulnerabilities: vec![v],
    })
}
