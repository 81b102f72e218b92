//! What a case shows those who may read it: the case list, a case's summary, timeline,
//! refusals, compliance findings, case file, attachments, and the audit of the event
//! chains.

use chrono::Utc;
use chrono_tz::Tz;
use serde::Serialize;
use serde_json::{Value, json};
use vulnrelay_domain::{Action, CaseState};
use vulnrelay_formats::case_file;
use vulnrelay_formats::compliance::{self, Evaluated};
use vulnrelay_policy::{Interpretation, Options};
use vulnrelay_store::{Attachment, CaseRecord};

use crate::App;
use crate::caller::Caller;
use crate::case_actions::shown;
use crate::casefile::{Loaded, authorize, authorize_with_report, listable};
use crate::cases::{event_json, tz_of, visible_refusals};
use crate::error::{Error, Result};

/// A case as the case list and a case's summary show it. Its fields are declared in the
/// order of their names, the order in which every JSON object of the API is written
/// (`serde_json`'s maps are sorted), so a listed case reads as it did when it was built as a
/// map; the list is written straight from these, without a map a case.
#[derive(Debug, Serialize)]
pub struct CaseSummary {
    created_at: String,
    events: i64,
    id: String,
    planned_public_at: Option<Value>,
    platform: String,
    reporter: String,
    state: &'static str,
    timezone: &'static str,
    title: String,
}

impl CaseSummary {
    /// The summary of `record` in `case_state` (the case list reads both from the derived
    /// views, without loading the case).
    fn of(record: CaseRecord, case_state: CaseState) -> CaseSummary {
        let tz: Tz = record.timezone.parse().unwrap_or(Tz::UTC);
        CaseSummary {
            created_at: record.created_at.to_rfc3339(),
            events: record.last_seq,
            id: record.id,
            planned_public_at: record.planned_public_at.map(|t| shown(t, tz)),
            platform: record.platform_org,
            reporter: record.reporter_org,
            state: case_state.as_str(),
            timezone: tz.name(),
            title: record.title,
        }
    }
}

/// A page of the case list: its cases, and the cursor of the next page when there is one.
#[derive(Debug, Serialize)]
pub struct CasePage {
    cases: Vec<CaseSummary>,
    next: Option<String>,
}

/// `GET /api/v1/cases`: the cases the caller may see, oldest first, by pages of
/// `limit` (default 50, at most 200) after the case `after`, only those in `wanted`
/// state when given.
pub async fn list(
    state: &App,
    caller: &Caller,
    wanted: Option<&str>,
    after: Option<String>,
    limit: Option<usize>,
) -> Result<CasePage> {
    let limit = limit.unwrap_or(50).clamp(1, 200);
    let wanted = match wanted {
        Some(s) => Some(s.parse::<CaseState>().map_err(|e| Error::invalid(vec![("state".into(), e)]))?),
        None => None,
    };
    let (listed_cases, next) = listable(state, caller, wanted, after, limit).await?;
    let cases =
        listed_cases.into_iter().map(|(record, case_state)| CaseSummary::of(record, case_state)).collect();
    Ok(CasePage { cases, next })
}

/// `GET /api/v1/cases/{id}`: the case's summary, parties, products and report.
pub async fn show(state: &App, caller: &Caller, id: &str) -> Result<Value> {
    let (loaded, report) = authorize_with_report(state, caller, id, Action::Read).await?;
    let mut body = serde_json::to_value(CaseSummary::of(loaded.record.clone(), loaded.state()))
        .map_err(Error::internal)?;
    let report = report.map_or(Value::Null, |report| loaded.report_for(caller, report.body));
    body["parties"] = loaded.parties.into_iter().map(|p| p.value).collect();
    body["products"] = loaded.products.into_iter().map(|p| p.value).collect();
    body["report"] = report;
    Ok(body)
}

/// `GET /api/v1/cases/{id}/events`: the timeline as stored, with the hash chain (less
/// the events a sanction keeps undisclosed to the caller).
pub async fn events(state: &App, caller: &Caller, id: &str) -> Result<Value> {
    let loaded = authorize(state, caller, id, Action::Read).await?;
    let hidden = crate::sanctions::undisclosed_case_events(state, caller, &loaded.case).await?;
    let events: Vec<Value> = loaded
        .events
        .iter()
        .enumerate()
        .filter(|(i, _)| !hidden.contains(i))
        .map(|(_, e)| event_json(e))
        .collect::<Result<_>>()?;
    Ok(json!({"case": id, "state": loaded.state().as_str(), "events": events}))
}

/// `GET /api/v1/cases/{id}/refusals`: what the gates refused on the case, for those
/// who may read the case (see [`visible_refusals`]).
pub async fn refusals(state: &App, caller: &Caller, id: &str) -> Result<Value> {
    let loaded = authorize(state, caller, id, Action::Read).await?;
    let refusals = visible_refusals(state, caller, &loaded).await?;
    let items: Vec<Value> = refusals
        .iter()
        .map(|r| {
            json!({"at": r.at.to_rfc3339(), "recorded_by": r.recorded_by, "party": r.party,
                   "type": r.event_type, "to": r.recipient, "rules": r.rules})
        })
        .collect();
    Ok(json!({"case": id, "refusals": items}))
}

/// `GET /api/v1/cases/{id}/compliance`: exactly the findings JSON of `vulnrelay check`
/// for the case (its `source` is the case id), as of `as_of` (RFC 3339, or a date in
/// the case's time zone; default now), with day-based deadlines read as
/// `interpretation` says (a bare reading and/or `POLICY=READING`, separated by commas).
pub async fn compliance(
    state: &App,
    caller: &Caller,
    id: &str,
    as_of: Option<&str>,
    interpretation: Option<&str>,
) -> Result<Value> {
    let loaded = authorize(state, caller, id, Action::Read).await?;
    let mut reading = Interpretation::Hours;
    let mut settings = state.config.policy.clone();
    let invalid = |e: String| Error::invalid(vec![("interpretation".into(), e)]);
    for part in interpretation.unwrap_or_default().split(',').filter(|p| !p.is_empty()) {
        if let Some(bare) = settings.read_interpretation(part).map_err(invalid)? {
            reading = bare;
        }
    }
    settings.check(&state.packs).map_err(|problems| invalid(problems.join("; ")))?;
    let now = Utc::now();
    let at = match as_of {
        None => now,
        Some(text) => case_file::parse_time(text, tz_of(&loaded))
            .map_err(|e| Error::invalid(vec![("as_of".into(), e)]))?,
    };
    let as_of_text = as_of.map(str::to_owned).unwrap_or_else(|| now.to_rfc3339());
    let options = Options { as_of: at, interpretation: reading };
    let findings = vulnrelay_policy::evaluate_with(&loaded.case, &state.packs, &options, &settings);
    let recorded_case = loaded.recorded_reading();
    let recorded = recorded_case
        .as_ref()
        .map(|case| vulnrelay_policy::evaluate_with(case, &state.packs, &options, &settings));
    let evaluated = [Evaluated {
        source: id.to_owned(),
        case: &loaded.case,
        as_of: at,
        findings: &findings,
        evidence: Some(&loaded.evidence),
        recorded: recorded.as_deref(),
    }];
    let report = compliance::report(&as_of_text, reading, &settings, &state.packs, &evaluated);
    serde_json::to_value(report).map_err(Error::internal)
}

/// `GET /api/v1/cases/{id}/export`: the case file, which `vulnrelay check` accepts.
pub async fn export(state: &App, caller: &Caller, id: &str) -> Result<Value> {
    let loaded = authorize(state, caller, id, Action::Read).await?;
    Ok(case_file::to_value(&loaded.case))
}

/// `GET /api/v1/cases/{id}/attachments`: attachment metadata, to the case's
/// participants; exploit code is listed only to those who may read it.
pub async fn attachments(state: &App, caller: &Caller, id: &str) -> Result<Value> {
    let loaded = authorize(state, caller, id, Action::Read).await?;
    let items: Vec<Value> = visible_attachments(state, caller, &loaded)
        .await?
        .iter()
        .map(|a| {
            json!({"id": a.id, "filename": a.filename, "media_type": a.media_type, "size": a.size,
                        "sha256": a.sha256, "exploit_code": a.exploit_code})
        })
        .collect();
    Ok(json!({"attachments": items}))
}

/// The attachments of a loaded case that the caller sees: none to those who take no
/// part in it, exploit code only to those who may read it (the API's list and the web
/// UI's case page).
pub async fn visible_attachments(state: &App, caller: &Caller, loaded: &Loaded) -> Result<Vec<Attachment>> {
    if !loaded.takes_part(caller) {
        return Ok(Vec::new());
    }
    let exploit = loaded.can(caller, Action::ReadExploitCode);
    let all = state.store.attachments(&loaded.record.id).await?;
    Ok(all.into_iter().filter(|a| exploit || !a.exploit_code).collect())
}

/// `GET /api/v1/cases/{id}/attachments/{attachment}`: the attachment's metadata and
/// content, to the case's participants; exploit code only to those who may read it
/// (not found to everyone else).
pub async fn attachment(
    state: &App,
    caller: &Caller,
    id: &str,
    attachment: &str,
) -> Result<(Attachment, Vec<u8>)> {
    let loaded = authorize(state, caller, id, Action::Read).await?;
    if !loaded.takes_part(caller) {
        return Err(Error::not_found("attachment"));
    }
    let (meta, content) = state.store.attachment(id, attachment).await?;
    if meta.exploit_code && !loaded.can(caller, Action::ReadExploitCode) {
        return Err(Error::not_found("attachment"));
    }
    Ok((meta, content))
}

/// `GET /api/v1/audit/verify`: walks every case's hash chain and every organisation's
/// log and names every broken link (`broken`: the first; `broken_links`: all of them)
/// (administrators and a platform's staff).
pub async fn verify(state: &App, caller: &Caller) -> Result<Value> {
    if crate::relations::admin(caller).is_none() {
        crate::relations::platform_staff(state, caller).await?;
    }
    let report = state.store.verify().await?;
    let links: Vec<Value> =
        report.broken.iter().map(|b| json!({"case": b.case_id, "seq": b.seq, "reason": b.reason})).collect();
    Ok(json!({"ok": links.is_empty(), "cases": report.cases, "events": report.events,
               "org_logs": report.org_logs, "org_events": report.org_events,
               "broken": links.first(), "broken_links": links}))
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use chrono_tz::Tz;
    use serde_json::json;
    use vulnrelay_domain::CaseState;
    use vulnrelay_store::CaseRecord;

    use super::CaseSummary;
    use crate::case_actions::shown;

    #[test]
    fn a_listed_case_is_written_as_the_sorted_map_it_was() {
        let created = Utc.with_ymd_and_hms(2021, 11, 24, 9, 30, 0).unwrap();
        let planned = Utc.with_ymd_and_hms(2022, 2, 22, 0, 0, 0).unwrap();
        for (planned_public_at, timezone) in [(None, "Asia/Shanghai"), (Some(planned), "no such zone")] {
            let record = CaseRecord {
                id: "case-0123456789abcdef01234567".into(),
                title: "Remote code execution \"quoted\"".into(),
                timezone: timezone.into(),
                reporter_org: "alibaba-cloud".into(),
                platform_org: "miit-nvdb".into(),
                created_at: created,
                last_seq: 7,
                planned_public_at,
            };
            let tz: Tz = timezone.parse().unwrap_or(Tz::UTC);
            // The map the list was built as before it was typed; serde_json sorts its keys.
            let as_map = json!({
                "id": record.id,
                "title": record.title,
                "state": CaseState::Triaging.as_str(),
                "timezone": tz.name(),
                "reporter": record.reporter_org,
                "platform": record.platform_org,
                "created_at": record.created_at.to_rfc3339(),
                "events": record.last_seq,
                "planned_public_at": record.planned_public_at.map(|t| shown(t, tz)),
            });
            let typed = serde_json::to_string(&CaseSummary::of(record, CaseState::Triaging)).unwrap();
            assert_eq!(typed, serde_json::to_string(&as_map).unwrap());
        }
    }
}
