//! Vulnerability records as a caller may see them: only those of cases it may read (a
//! record of no case is public), their publication time settled as every view shows
//! it, who may change one, and saving a change (re-matching the inventories and
//! relaying it back to the case's origin).

use chrono::Utc;
use serde_json::{Value, json};
use vulnrelay_domain::{Action, ThreatEvent, ThreatKind, Timestamp, Vulnerability};
use vulnrelay_formats::record::VulnerabilityJson;
use vulnrelay_store::StoredVulnerability;

use crate::App;
use crate::caller::Caller;
use crate::casefile::authorize;
use crate::distribution::decode;
use crate::error::{Error, Result};

/// The record of a stored vulnerability, if the caller may see it (404 otherwise).
pub async fn visible(state: &App, caller: &Caller, id: &str) -> Result<(StoredVulnerability, Vulnerability)> {
    visible_with_case(state, caller, id).await.map(|(stored, v, _)| (stored, v))
}

/// The record `id` as every view shows it: [`visible`], its publication time settled
/// ([`crate::distribution::publication_time`]). Not for changing it: the settled time
/// is derived, never stored.
pub async fn visible_to_read(
    state: &App,
    caller: &Caller,
    id: &str,
) -> Result<(StoredVulnerability, Vulnerability)> {
    let (stored, mut v, case) = visible_with_case(state, caller, id).await?;
    crate::distribution::settle_publication(case.as_ref(), &stored, &mut v);
    Ok((stored, v))
}

/// [`visible`] with the record's case, when it has one.
pub async fn visible_with_case(
    state: &App,
    caller: &Caller,
    id: &str,
) -> Result<(StoredVulnerability, Vulnerability, Option<crate::casefile::Loaded>)> {
    let stored = state.store.vulnerability(id).await.map_err(|_| Error::not_found("vulnerability"))?;
    let case = match &stored.case_id {
        Some(case_id) => Some(
            authorize(state, caller, case_id, Action::Read)
                .await
                .map_err(|_| Error::not_found("vulnerability"))?,
        ),
        None => None,
    };
    let domain = decode(&stored)?;
    Ok((stored, domain, case))
}

/// Whether `caller` may change a record: an administrator, or a platform's analyst
/// (coordinator) — for a record of an unpublished case, only a platform that works
/// that case; once the case is published, any platform (a database adding its own id
/// or its own source beside the others). A record the caller may not read answers
/// 404, one it may read but not change 403.
pub async fn may_change(state: &App, caller: &Caller, stored: &StoredVulnerability) -> Result<()> {
    if crate::relations::admin(caller).is_some() {
        return Ok(());
    }
    let Some(case_id) = &stored.case_id else {
        return crate::relations::platform_staff(state, caller).await.map(|_| ());
    };
    let loaded = authorize(state, caller, case_id, Action::Read)
        .await
        .map_err(|_| Error::not_found("vulnerability"))?;
    if crate::relations::works_on(caller, &loaded)
        || (loaded.state().is_published() && crate::relations::platform_staff(state, caller).await.is_ok())
    {
        Ok(())
    } else {
        Err(Error::forbidden("only the platforms that work this record's case may change it"))
    }
}

/// Every record `caller` may see (shared by the list and the web UI's advisory list).
pub async fn visible_records(
    state: &App,
    caller: &Caller,
) -> Result<Vec<(StoredVulnerability, Vulnerability)>> {
    let mut records = Vec::new();
    for stored in state.store.vulnerabilities(None).await? {
        let case = match &stored.case_id {
            Some(case_id) => match authorize(state, caller, case_id, Action::Read).await {
                Ok(loaded) => Some(loaded),
                Err(_) => continue,
            },
            None => None,
        };
        let mut v = decode(&stored)?;
        crate::distribution::settle_publication(case.as_ref(), &stored, &mut v);
        records.push((stored, v));
    }
    Ok(records)
}

/// Stores `v` in place of `stored`, with all its aliases.
pub async fn save(state: &App, stored: &StoredVulnerability, v: &Vulnerability) -> Result<()> {
    let value = serde_json::to_value(VulnerabilityJson::from(v)).map_err(Error::internal)?;
    state
        .store
        .save_vulnerability(&stored.id, stored.case_id.as_deref(), &value, &v.aliases, Utc::now())
        .await?;
    crate::warnings::after_records_changed(state, std::slice::from_ref(&stored.id)).await;
    // On a mirror, the records flow back to the origin (with the ids assigned here).
    if let Some(case_id) = &stored.case_id {
        crate::federation::outbound::queue(state, case_id).await;
    }
    Ok(())
}

/// The derived threat status as the API shows it: the level, the event that set it,
/// bypassed fixes, and every threat event in order.
pub fn threat_status_json(v: &Vulnerability, now: Timestamp) -> Value {
    let status = v.threat_status(now);
    let mut events: Vec<&ThreatEvent> = v.threats.iter().collect();
    events.sort_by_key(|t| t.at);
    json!({
        "level": status.level.as_str(),
        "since": status.since.map(|t| json!({"at": t.at.to_rfc3339(), "source": t.source})),
        "bypassed_fixes": status.bypassed.iter().map(|(v, at)| json!({"version": v, "at": at.to_rfc3339()})).collect::<Vec<_>>(),
        "events": events.iter().map(|t| json!({
            "at": t.at.to_rfc3339(), "kind": t.kind.as_str(), "source": t.source, "reference": t.reference,
            "note": t.note,
            "version": match &t.kind { ThreatKind::FixBypassed { version } => Some(version), _ => None },
        })).collect::<Vec<_>>(),
    })
}
