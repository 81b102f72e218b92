//! Sanctions and rectification on an organisation's own log, shared by the API and
//! `vulnrelay sanction`: a decision is checked by the domain's workflow
//! ([`vulnrelay_domain::check_org_event`]), its basis is checked against the cases it
//! cites (a finding must really be a late, missed or violated duty of that
//! organisation), and it is appended to the organisation's hash-chained log with the
//! membership change it causes, in one transaction.

pub mod decisions;

use chrono::Utc;
use serde_json::{Value, json};
use vulnrelay_domain::{
    Basis, MembershipStatus, OrgEvent, ReviewOutcome, SanctionKind, Standing, Timestamp, check_org_event,
    membership_status, standing,
};
use vulnrelay_formats::org_event::OrgEventJson;
use vulnrelay_policy::{Interpretation, Options, Status};
use vulnrelay_store::{
    MembershipChange, MembershipChangeKind, NewOrgEvent, NewOutboxMessage, StoreError, StoredOrgEvent,
};

use crate::App;
use crate::caller::Caller;
use crate::casefile::load;
use crate::error::{Error, Result};

/// An entry of an organisation's log, read.
#[derive(Debug, Clone)]
pub struct Entry {
    /// As stored (with its place in the hash chain).
    pub stored: StoredOrgEvent,
    /// As the domain sees it.
    pub event: OrgEvent,
}

impl Entry {
    /// Whether anyone may see it: public sanctions are; reports, reviews and private
    /// sanctions are seen only by the organisation itself and platform analysts.
    pub fn is_public(&self) -> bool {
        matches!(self.event, OrgEvent::Sanctioned { public: true, .. })
    }

    /// The entry as the API shows it.
    pub fn to_json(&self) -> Value {
        let mut value = serde_json::to_value(OrgEventJson::from(&self.event)).unwrap_or(Value::Null);
        value["seq"] = json!(self.stored.seq);
        value["scheme"] = json!(self.stored.scheme);
        value["at"] = json!(self.stored.at.to_rfc3339());
        value["recorded_at"] = json!(self.stored.recorded_at.to_rfc3339());
        value["recorded_by"] = json!(self.stored.recorded_by);
        value["prev_hash"] = json!(self.stored.prev_hash);
        value["hash"] = json!(self.stored.hash);
        value
    }
}

/// Whether `caller` sees the whole of `org_id`'s log (private sanctions, reports,
/// reviews): the organisation itself, an administrator, or a platform's analysts.
/// Everyone else sees its public sanctions only. The one rule for every path that
/// shows an organisation's log, its membership history or a case's membership events.
pub async fn sees_whole_log(state: &App, caller: &Caller, org_id: &str) -> bool {
    let Some(account) = &caller.account else { return false };
    account.org_id.as_deref() == Some(org_id)
        || crate::relations::admin(caller).is_some()
        || crate::relations::platform_staff(state, caller).await.is_ok()
}

/// The membership history of `org_id` as `caller` may see it: whole for those who see
/// the whole log; for others, only the joins and the changes a public sanction made.
/// The second value says whether anything was left out.
pub async fn visible_history(
    state: &App,
    caller: &Caller,
    org_id: &str,
) -> Result<(Vec<vulnrelay_store::MembershipChange>, bool)> {
    let history = state.store.membership_history(org_id).await?;
    if sees_whole_log(state, caller, org_id).await {
        return Ok((history, false));
    }
    let entries = log(state, org_id).await?;
    let total = history.len();
    let mut shown = Vec::with_capacity(total);
    for mut change in history {
        let entry = entries
            .iter()
            .find(|e| e.stored.scheme == change.scheme && e.event.at().timestamp() == change.at.timestamp());
        let visible = match entry.map(|e| &e.event) {
            None => matches!(change.change, MembershipChangeKind::Joined),
            Some(OrgEvent::Sanctioned { public, .. }) => *public,
            // A review ends (or extends) a suspension: shown, without its note, when the
            // suspension it concerns was public.
            Some(OrgEvent::ReviewRecorded { .. }) => {
                let suspension = entries.iter().rev().find(|e| {
                    e.stored.scheme == change.scheme
                        && e.event.at().timestamp() <= change.at.timestamp()
                        && matches!(e.event, OrgEvent::Sanctioned { .. })
                });
                match &mut change.change {
                    MembershipChangeKind::Restored { review } => review.clear(),
                    MembershipChangeKind::Suspended { reason, .. } => reason.clear(),
                    _ => {}
                }
                suspension.is_some_and(Entry::is_public)
            }
            Some(_) => false,
        };
        if visible {
            shown.push(change);
        }
    }
    let left_out = shown.len() < total;
    Ok((shown, left_out))
}

/// The schemes of `entries` whose standing rests on a sanction that is not public:
/// outsiders are told their status is undisclosed rather than something false.
pub fn undisclosed_schemes(entries: &[Entry]) -> Vec<&str> {
    let mut schemes: Vec<&str> = Vec::new();
    for e in entries {
        if matches!(e.event, OrgEvent::Sanctioned { public: false, .. })
            && !schemes.contains(&e.stored.scheme.as_str())
        {
            schemes.push(&e.stored.scheme);
        }
    }
    schemes
}

/// The indices of the case's membership events that `caller` may not see: a
/// suspension or restoration that is not public, for a caller who does not see the
/// organisation's whole log (the public case page never shows a private sanction).
pub async fn undisclosed_case_events(
    state: &App,
    caller: &Caller,
    case: &vulnrelay_domain::Case,
) -> Result<std::collections::HashSet<usize>> {
    use vulnrelay_domain::EventKind;
    let mut hidden = std::collections::HashSet::new();
    // Per organisation: the moments of its membership history the caller may see
    // (`None`: all of them), to the second (stores keep times at different precisions).
    let mut seen: std::collections::HashMap<String, Option<Vec<(String, i64)>>> = Default::default();
    for (i, event) in case.events().iter().enumerate() {
        let membership = match &event.kind {
            EventKind::MembershipSuspended { membership, .. }
            | EventKind::MembershipRestored { membership, .. } => membership,
            _ => continue,
        };
        let org = &event.party.0;
        if !seen.contains_key(org) {
            let (history, left_out) = visible_history(state, caller, org).await?;
            let moments =
                left_out.then(|| history.into_iter().map(|c| (c.scheme, c.at.timestamp())).collect());
            seen.insert(org.clone(), moments);
        }
        if let Some(moments) = &seen[org]
            && !moments.iter().any(|(s, at)| s == membership && *at == event.at.timestamp())
        {
            hidden.insert(i);
        }
    }
    Ok(hidden)
}

/// An organisation's log, read and parsed.
pub async fn log(state: &App, org_id: &str) -> Result<Vec<Entry>> {
    state
        .store
        .org_events(org_id)
        .await?
        .into_iter()
        .map(|stored| {
            let event = OrgEventJson::parse(&stored.body, stored.at)
                .map_err(|e| Error::internal(format!("org/{org_id} entry {}: {e}", stored.seq)))?;
            Ok(Entry { stored, event })
        })
        .collect()
}

/// The events of one scheme, in order.
pub fn scheme_events(entries: &[Entry], scheme: &str) -> Vec<OrgEvent> {
    entries.iter().filter(|e| e.stored.scheme == scheme).map(|e| e.event.clone()).collect()
}

/// Each scheme of the organisation — joined, or named on its log — with its status at
/// `now` and the rights that follow ([`status_json`]), by scheme.
pub async fn statuses(state: &App, org_id: &str, entries: &[Entry], now: Timestamp) -> Result<Vec<Value>> {
    let mut schemes: Vec<String> = entries.iter().map(|e| e.stored.scheme.clone()).collect();
    for change in state.store.membership_history(org_id).await? {
        if matches!(change.change, MembershipChangeKind::Joined) {
            schemes.push(change.scheme);
        }
    }
    schemes.sort_unstable();
    schemes.dedup();
    Ok(schemes
        .iter()
        .map(|scheme| status_json(scheme, membership_status(&scheme_events(entries, scheme), now)))
        .collect())
}

/// Where an organisation's membership of `scheme` stands at `now`, with its rights.
pub async fn standing_of(
    state: &App,
    org_id: &str,
    scheme: &str,
    now: Timestamp,
) -> Result<(MembershipStatus, Standing)> {
    let entries = log(state, org_id).await?;
    let status = membership_status(&scheme_events(&entries, scheme), now);
    Ok((status, standing(status)))
}

/// The status as the API shows it.
pub fn status_json(scheme: &str, status: MembershipStatus) -> Value {
    let rights = standing(status);
    let mut value = json!({
        "scheme": scheme,
        "status": status.to_string(),
        "receives_prepublication_warnings": rights.receives_prepublication_warnings,
        "reports_as_member": rights.reports_as_member,
    });
    match status {
        MembershipStatus::Suspended { until } => value["until"] = json!(until.to_rfc3339()),
        MembershipStatus::AwaitingReview { until, report_submitted } => {
            value["until"] = json!(until.to_rfc3339());
            value["report_submitted"] = json!(report_submitted);
        }
        _ => {}
    }
    value
}

/// Checks that each basis of a sanction against `org_id` stands: a finding must be a
/// late (`met_late`), overdue or violated duty of that organisation on the case as of
/// `at`; an event must exist. Returns every problem with its JSON path.
pub async fn check_basis(state: &App, org_id: &str, basis: &[Basis], at: Timestamp) -> Result<()> {
    let mut problems = Vec::new();
    for (i, b) in basis.iter().enumerate() {
        let path = format!("$.basis[{i}]");
        let case_id = match b {
            Basis::Finding { case, .. } | Basis::Event { case, .. } => case,
        };
        let loaded = match load(state, case_id).await {
            Ok(loaded) => loaded,
            Err(Error::NotFound { .. }) => {
                problems.push((format!("{path}.case"), format!("unknown case `{case_id}`")));
                continue;
            }
            Err(e) => return Err(e),
        };
        match b {
            Basis::Finding { rule, .. } => {
                // The basis stands if it stands in either reading: a party's claim about
                // its own past can neither take a sanction's ground away nor be refused
                // as evidence against itself (`Loaded::recorded_reading`).
                let options = Options { as_of: at, interpretation: Interpretation::Hours };
                let breached = |case: &vulnrelay_domain::Case| {
                    state.evaluate(case, &options).iter().any(|f| {
                        f.rule_id() == *rule
                            && f.party.0 == org_id
                            && matches!(f.status, Status::MetLate | Status::Overdue | Status::Violated)
                    })
                };
                let stands =
                    breached(&loaded.case) || loaded.recorded_reading().is_some_and(|case| breached(&case));
                if !stands {
                    problems.push((
                        format!("{path}.rule"),
                        format!(
                            "`{rule}` finds no late, overdue or violated duty of `{org_id}` on case `{case_id}`"
                        ),
                    ));
                }
            }
            Basis::Event { index, .. } => {
                if *index >= loaded.case.events().len() {
                    problems.push((
                        format!("{path}.event"),
                        format!("case `{case_id}` has {} events", loaded.case.events().len()),
                    ));
                }
            }
        }
    }
    if problems.is_empty() { Ok(()) } else { Err(Error::invalid(problems)) }
}

/// The membership change an entry causes, if any.
fn membership_change(
    org_id: &str,
    scheme: &str,
    event: &OrgEvent,
    by: Option<&str>,
) -> Option<MembershipChange> {
    let change = match event {
        OrgEvent::Sanctioned { kind: SanctionKind::Suspension { until }, reason, basis, .. } => {
            MembershipChangeKind::Suspended {
                until: Some(*until),
                reason: reason.clone(),
                findings: basis
                    .iter()
                    .map(|b| match b {
                        Basis::Finding { rule, .. } => rule.clone(),
                        Basis::Event { case, index } => format!("{case}#{index}"),
                    })
                    .collect(),
            }
        }
        OrgEvent::Sanctioned { kind: SanctionKind::Expulsion, .. } => MembershipChangeKind::Ended,
        OrgEvent::ReviewRecorded { outcome: ReviewOutcome::Restore, note, .. } => {
            MembershipChangeKind::Restored { review: note.clone() }
        }
        OrgEvent::ReviewRecorded { outcome: ReviewOutcome::Extend { until }, note, .. } => {
            MembershipChangeKind::Suspended {
                until: Some(*until),
                reason: note.clone(),
                findings: Vec::new(),
            }
        }
        _ => return None,
    };
    Some(MembershipChange {
        org_id: org_id.to_owned(),
        scheme: scheme.to_owned(),
        at: event.at(),
        change,
        by_account: by.map(str::to_owned),
    })
}

/// The workflow's refusal ([`Error::Sanction`]: `sanction_refused`, its reason in the
/// details for clients that word it themselves).
fn refusal(error: vulnrelay_domain::SanctionError) -> Error {
    Error::Sanction(error)
}

/// Records `event` on `org_id`'s log for `scheme`: refused (409 `sanction_refused`) when
/// the workflow does not allow it, 422 when a basis does not stand.
pub async fn record(
    state: &App,
    org_id: &str,
    scheme: &str,
    event: OrgEvent,
    recorded_by: Option<&str>,
) -> Result<Entry> {
    state.store.org(org_id).await?;
    let entries = log(state, org_id).await?;
    let history = scheme_events(&entries, scheme);
    check_org_event(&history, &event).map_err(refusal)?;
    if let OrgEvent::Sanctioned { basis, at, .. } = &event {
        check_basis(state, org_id, basis, *at).await?;
    }
    let body = serde_json::to_value(OrgEventJson::from(&event)).map_err(Error::internal)?;
    let new = NewOrgEvent {
        scheme: scheme.to_owned(),
        at: event.at(),
        body,
        recorded_by: recorded_by.map(str::to_owned),
    };
    let change = membership_change(org_id, scheme, &event, recorded_by);
    let last_seq = entries.last().map_or(0, |e| e.stored.seq);
    let message = NewOutboxMessage {
        topic: "org.event".into(),
        payload: json!({"org": org_id, "scheme": scheme, "seq": last_seq + 1}),
    };
    let stored = match state
        .store
        .append_org_event(org_id, Some(last_seq), &new, change.as_ref(), &[message], Utc::now())
        .await
    {
        Ok(stored) => stored,
        Err(StoreError::Stale { .. }) => {
            return Err(Error::conflict("stale", "the organisation's log changed meanwhile; try again"));
        }
        Err(other) => return Err(other.into()),
    };
    Ok(Entry { stored, event })
}
