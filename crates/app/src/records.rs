//! Vulnerability records as a caller may see them: only those of cases it may read (a
//! record of no case is public), their publication time settled as every view shows
//! it, who may change one, and saving a change (re-matching the inventories and
//! relaying it back to the case's origin).

use chrono::{TimeDelta, Utc};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use vulnrelay_domain::{AccountRole, Action, EventKind, ThreatEvent, ThreatKind, Timestamp, Vulnerability};
use vulnrelay_formats::record::VulnerabilityJson;

use vulnrelay_domain::{CaseState, Relation, allowed};
use vulnrelay_store::StoredVulnerability;
use vulnrelay_store::records::{RecordListing, RecordPageQuery};

use crate::App;
use crate::caller::Caller;
use crate::casefile::{Loaded, authorize};
use crate::distribution::decode;
use crate::error::{Error, Result};
use crate::input::{Body, Checker};

/// Body of `POST /api/v1/vulnerabilities/{id}/threats`: a threat event and who reports
/// it.
#[derive(Debug, Clone, utoipa::ToSchema)]
pub struct ThreatBody {
    /// What happened: `exploit_details_public`, `proof_of_concept`,
    /// `actively_exploited` or `fix_bypassed` (with the bypassed `version`).
    #[schema(value_type = String)]
    pub kind: ThreatKind,
    /// When (RFC 3339 or a date, not in the future; default now).
    #[schema(value_type = Option<String>)]
    pub at: Option<Timestamp>,
    /// Who reports it (a CERT, `CISA KEV`), or `observed`.
    pub source: String,
    /// Where it is reported (a URL).
    pub reference: Option<String>,
    /// A note.
    pub note: Option<String>,
    /// The version whose fix was bypassed: for `fix_bypassed` only.
    pub version: Option<String>,
}

impl Body for ThreatBody {
    const FIELDS: &'static [&'static str] = &["kind", "at", "source", "reference", "note", "version"];

    fn read_fields(check: &mut Checker, object: &Map<String, Value>) -> Option<Self> {
        let now = Utc::now();
        let at = check.event_time(object, "$", "at", false, chrono_tz::Tz::UTC, now);
        if at.is_some_and(|at| at > now + TimeDelta::minutes(5)) {
            check.problem("$.at", "must not be in the future");
        }
        let source = check.string(object, "$", "source", true).map(str::to_owned);
        let reference = check.string(object, "$", "reference", false).map(str::to_owned);
        let note = check.string(object, "$", "note", false).map(str::to_owned);
        let version = check.string(object, "$", "version", false).map(str::to_owned);
        let kind = match check.string(object, "$", "kind", true) {
            Some("exploit_details_public") => Some(ThreatKind::ExploitDetailsPublic),
            Some("proof_of_concept") => Some(ThreatKind::ProofOfConcept),
            Some("actively_exploited") => Some(ThreatKind::ActivelyExploited),
            Some("fix_bypassed") => match &version {
                Some(version) => Some(ThreatKind::FixBypassed { version: version.clone() }),
                None => {
                    check.problem("$.version", "a bypassed fix names the version that was bypassed");
                    None
                }
            },
            Some(other) => {
                check.problem(
                    "$.kind",
                    format!(
                        "unknown threat `{other}` (exploit_details_public, proof_of_concept, actively_exploited, \
                         fix_bypassed)"
                    ),
                );
                None
            }
            None => None,
        };
        if version.is_some() && !matches!(kind, Some(ThreatKind::FixBypassed { .. }) | None) {
            check.problem("$.version", "only a bypassed fix has a version");
        }
        Some(ThreatBody { kind: kind?, at, source: source?, reference, note, version })
    }
}

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

/// Up to `limit` records `caller` may see, after the record `after`, a case's records
/// together and the cases oldest first (a record of no case where it was stored), with
/// the cursor of the next page (shared by the list and the web UI's advisory list).
/// Read from the derived views by keyset pages, each record of a case checked by the
/// one access matrix against its case's state and the caller's relation to it, so a
/// request costs what it returns, not what the database holds.
pub async fn visible_records(
    state: &App,
    caller: &Caller,
    after: Option<String>,
    limit: usize,
) -> Result<(Vec<(StoredVulnerability, Vulnerability)>, Option<String>)> {
    let actor = caller.actor();
    let mut page = RecordPageQuery {
        org_id: actor.org.as_ref().map(|o| o.0.clone()),
        after,
        limit: i64::try_from(limit).unwrap_or(i64::MAX - 1).saturating_add(1),
    };
    // The published cases this page reads a publication time from, each loaded once.
    let mut published_cases: HashMap<String, Option<Loaded>> = HashMap::new();
    let mut items: Vec<(StoredVulnerability, Vulnerability)> = Vec::new();
    loop {
        let listings = state.store.record_page(&page).await?;
        let exhausted = listings.len() < usize::try_from(page.limit).unwrap_or(usize::MAX);
        for RecordListing { stored, state: case_state, relation } in listings {
            page.after = Some(stored.id.clone());
            let case_state = match (&stored.case_id, case_state) {
                (None, _) => None,
                (Some(_), Some(name)) => Some(name.parse::<CaseState>().map_err(Error::internal)?),
                // A case without views cannot be read back: listed nowhere.
                (Some(_), None) => continue,
            };
            if let Some(case_state) = case_state {
                let relation = match relation.as_deref() {
                    Some(name) => name.parse::<Relation>().map_err(Error::internal)?,
                    None => Relation::Public,
                };
                if !allowed(relation, &actor.roles, case_state, Action::Read) {
                    continue;
                }
            }
            if items.len() == limit {
                let next = items.last().map(|(stored, _)| stored.id.clone());
                return Ok((items, next));
            }
            let mut v = decode(&stored)?;
            // A record of a published case without its own publication time is
            // published with the case's first `published` event.
            let case = match (&stored.case_id, case_state) {
                (Some(case_id), Some(s)) if s.is_published() && v.published.is_none() => {
                    if !published_cases.contains_key(case_id) {
                        let loaded = crate::casefile::load(state, case_id).await.ok();
                        published_cases.insert(case_id.clone(), loaded);
                    }
                    published_cases.get(case_id).and_then(Option::as_ref)
                }
                _ => None,
            };
            crate::distribution::settle_publication(case, &stored, &mut v);
            items.push((stored, v));
        }
        if exhausted {
            return Ok((items, None));
        }
    }
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

/// `POST /api/v1/vulnerabilities/{id}/threats`: a platform analyst or coordinator records
/// a threat event ([`ThreatBody`], read once the record is found and may be changed);
/// active exploitation also goes on the record's case, through its gates, as an
/// `exploited` event (unless one is known by then). Answers the new status and the
/// case event, if any.
pub async fn record_threat(state: &App, caller: &Caller, id: &str, body: &Value) -> Result<Value> {
    let account = caller.require_role(&[AccountRole::Analyst, AccountRole::Coordinator])?.clone();
    let (stored, mut v) = visible(state, caller, id).await?;
    may_change(state, caller, &stored).await?;
    // The body is read once the record is found and may be changed: an unknown record
    // is a 404 whatever the body.
    let ThreatBody { kind, at, source, reference, note, version: _ } = crate::input::read(body)?;
    let now = Utc::now();
    let at = at.unwrap_or(now);
    let exploited = kind == ThreatKind::ActivelyExploited;
    // Active exploitation goes on the case first, through its gates, so a refusal
    // leaves the record unchanged.
    let mut case_event = Value::Null;
    if exploited && let Some(case_id) = &stored.case_id {
        let loaded = authorize(state, caller, case_id, Action::AppendEvent).await?;
        let known = loaded.case.events().iter().any(|e| matches!(e.kind, EventKind::Exploited) && e.at <= at);
        if !known {
            let party = account.org_id.clone().unwrap_or_default();
            let mut event = json!({
                "type": "exploited", "at": at.to_rfc3339(), "party": party,
                "note": format!("{} actively exploited, as reported by {source}", v.id),
            });
            if let Some(product) = crate::coordination::default_product(&loaded) {
                event["product"] = json!(product);
            }
            let parties = match loaded.parties.iter().any(|p| p.id == party) {
                true => Vec::new(),
                false => vec![crate::casefile::org_fragment(state, &party).await?],
            };
            let stored_events =
                crate::cases::record(state, caller, &loaded, vec![event], parties, None).await?;
            case_event =
                stored_events.first().map(|e| json!({"case": case_id, "seq": e.seq})).unwrap_or(Value::Null);
        }
    }
    v.threats.push(ThreatEvent { at, kind, source, reference, note });
    v.threats.sort_by_key(|t| t.at);
    save(state, &stored, &v).await?;
    Ok(json!({"vulnerability": v.id, "threat_status": threat_status_json(&v, now), "case_event": case_event}))
}
