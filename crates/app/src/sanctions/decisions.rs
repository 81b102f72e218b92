//! Sanctions, rectification reports and reviews on an organisation's own log.
//!
//! Platform analysts decide sanctions (warning, public criticism, suspension for a
//! term — 6 months by default — or expulsion), each resting on findings or events; the
//! unit submits a rectification report; an analyst records the review, which restores
//! the unit or extends the suspension. A decision naming a `case` also goes on that
//! case's timeline, so the case's clocks see the membership change.

use chrono::{Months, Utc};
use serde_json::{Map, Value, json};
use vulnrelay_domain::{AccountRole, Basis, OrgEvent, ReviewOutcome, Role, SanctionKind, Timestamp};
use vulnrelay_store::{Account, CaseChange, NewEvent, NewOutboxMessage, Organisation};

use super::{self as sanctions, Entry};
use crate::App;
use crate::caller::Caller;
use crate::error::{Error, Result};
use crate::input::{Body, Checker};

/// The keys of a decision's body (`sanctions` and `suspend`).
const DECISION_FIELDS: &[&str] =
    &["kind", "at", "reason", "basis", "findings", "case", "public", "until", "months", "individual"];

/// Body of `POST /api/v1/orgs/{id}/memberships/{scheme}/sanctions`: a sanction and what
/// it rests on.
#[derive(Debug, Clone, utoipa::ToSchema)]
pub struct SanctionBody {
    /// The sanction: `warning`, `public_criticism` (naming `individual`, if any),
    /// `suspension` (to `until`, or `months` after `at`: 6 by default) or `expulsion`.
    #[schema(value_type = String)]
    pub kind: SanctionKind,
    /// Why, in words.
    pub reason: String,
    /// What it rests on: findings `{rule, case}` and events of a case `{case, event}`;
    /// read with the `findings` added.
    #[schema(value_type = Vec<BasisEntry>, required = false)]
    pub basis: Vec<Basis>,
    /// Shorthand for findings (`pack/rule`) on `case`.
    #[schema(required = false)]
    pub findings: Vec<String>,
    /// The case the decision concerns: a suspension also goes on its timeline.
    pub case: Option<String>,
    /// Whether the decision is published (default: only a public criticism is).
    #[schema(required = false)]
    pub public: bool,
    /// The end of a suspension's term (RFC 3339 or a date; not with `months`).
    #[schema(value_type = Option<String>)]
    pub until: Option<Timestamp>,
    /// A suspension's term in months after `at`, 1 to 120 (default 6).
    pub months: Option<u32>,
    /// The individual a public criticism names.
    pub individual: Option<String>,
    /// When it was decided (RFC 3339 or a date; default now).
    #[schema(value_type = Option<String>)]
    pub at: Timestamp,
}

impl Body for SanctionBody {
    const FIELDS: &'static [&'static str] = DECISION_FIELDS;

    fn read_fields(check: &mut Checker, object: &Map<String, Value>) -> Option<Self> {
        read_decision(check, object, false)
    }
}

/// Body of `POST /api/v1/orgs/{id}/memberships/{scheme}/suspend`: a [`SanctionBody`]
/// whose kind is a suspension, to `until` or `months` after `at` (6 by default); a
/// `kind` sent is not read.
#[derive(Debug, Clone)]
pub struct SuspensionBody(pub SanctionBody);

impl Body for SuspensionBody {
    const FIELDS: &'static [&'static str] = DECISION_FIELDS;

    fn read_fields(check: &mut Checker, object: &Map<String, Value>) -> Option<Self> {
        read_decision(check, object, true).map(SuspensionBody)
    }
}

impl utoipa::PartialSchema for SuspensionBody {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::{RefOr, schema::Schema};
        let mut schema = <SanctionBody as utoipa::PartialSchema>::schema();
        if let RefOr::T(Schema::Object(object)) = &mut schema {
            object.required.retain(|key| key != "kind");
            object.description = Some(
                "Body of `POST /api/v1/orgs/{id}/memberships/{scheme}/suspend`: a sanction body whose \
                 kind is a suspension (a `kind` sent is not read)."
                    .into(),
            );
        }
        schema
    }
}

impl utoipa::ToSchema for SuspensionBody {
    fn name() -> std::borrow::Cow<'static, str> {
        "SuspensionBody".into()
    }

    fn schemas(schemas: &mut Vec<(String, utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>)>) {
        <SanctionBody as utoipa::ToSchema>::schemas(schemas);
    }
}

/// One thing a decision rests on, as a request names it: a finding `{rule, case}` or an
/// event of a case `{case, event}`.
#[derive(Debug, Clone, utoipa::ToSchema)]
pub struct BasisEntry {
    /// A finding's rule (`pack/rule`).
    pub rule: Option<String>,
    /// The case.
    pub case: String,
    /// An event's index on the case.
    pub event: Option<usize>,
}

/// Reads a decision: the kind named by `kind`, or a suspension when `suspension` (its
/// `kind` then not read).
fn read_decision(check: &mut Checker, object: &Map<String, Value>, suspension: bool) -> Option<SanctionBody> {
    let at = check.time(object, "$", "at", false, chrono_tz::Tz::UTC).unwrap_or_else(Utc::now);
    let kind_name = match suspension {
        true => Some("suspension"),
        false => check.string(object, "$", "kind", true),
    };
    let reason = check.string(object, "$", "reason", true).map(str::to_owned);
    let case = check.string(object, "$", "case", false).map(str::to_owned);
    let (basis, findings) = bases(check, object, case.as_deref());
    let (mut until, mut months, mut individual) = (None, None, None);
    let kind = match kind_name {
        Some("warning") => Some(SanctionKind::Warning),
        Some("public_criticism") => {
            individual = check.string(object, "$", "individual", false).map(str::to_owned);
            Some(SanctionKind::PublicCriticism { individual: individual.clone() })
        }
        Some("suspension") => {
            let read = term(check, object, at, 6);
            (until, months) = (read.until, read.months);
            read.end.map(|until| SanctionKind::Suspension { until })
        }
        Some("expulsion") => Some(SanctionKind::Expulsion),
        Some(other) => {
            check.problem(
                "$.kind",
                format!("unknown sanction `{other}` (warning, public_criticism, suspension, expulsion)"),
            );
            None
        }
        None => None,
    };
    if kind.as_ref().is_some_and(|k| !matches!(k, SanctionKind::PublicCriticism { .. }))
        && object.contains_key("individual")
    {
        check.problem("$.individual", "only a public criticism names an individual");
    }
    // Public criticism is public by nature; other sanctions are published when asked.
    let public = match object.get("public") {
        Some(_) => check.boolean(object, "$", "public"),
        None => matches!(kind, Some(SanctionKind::PublicCriticism { .. })),
    };
    Some(SanctionBody {
        kind: kind?,
        reason: reason?,
        basis,
        findings,
        case,
        public,
        until,
        months,
        individual,
        at,
    })
}

/// `POST /api/v1/orgs/{id}/memberships/{scheme}/sanctions`: a platform analyst decides a
/// sanction.
pub async fn sanction(
    state: &App,
    caller: &Caller,
    (org_id, scheme): (String, String),
    body: SanctionBody,
) -> Result<Value> {
    decide(state, caller, &org_id, &scheme, body).await
}

/// `POST /api/v1/orgs/{id}/memberships/{scheme}/suspend`: a suspension, as
/// `sanctions` with `kind: suspension`.
pub async fn suspend(
    state: &App,
    caller: &Caller,
    (org_id, scheme): (String, String),
    body: SuspensionBody,
) -> Result<Value> {
    decide(state, caller, &org_id, &scheme, body.0).await
}

/// Body of `POST /api/v1/orgs/{id}/memberships/{scheme}/rectifications`.
#[derive(Debug, Clone, utoipa::ToSchema)]
pub struct RectificationBody {
    /// The rectification report: what the unit has put right.
    pub report: String,
    /// When it was submitted (RFC 3339 or a date; default now).
    #[schema(value_type = Option<String>)]
    pub at: Option<Timestamp>,
}

impl Body for RectificationBody {
    const FIELDS: &'static [&'static str] = &["report", "at"];

    fn read_fields(check: &mut Checker, object: &Map<String, Value>) -> Option<Self> {
        let at = check.time(object, "$", "at", false, chrono_tz::Tz::UTC);
        let report = check.string(object, "$", "report", true)?.to_owned();
        Some(RectificationBody { report, at })
    }
}

/// `POST /api/v1/orgs/{id}/memberships/{scheme}/rectifications`: the suspended unit (an
/// account of it, or a platform analyst on its behalf) submits its rectification
/// report.
pub async fn rectify(
    state: &App,
    caller: &Caller,
    (org_id, scheme): (String, String),
    body: RectificationBody,
) -> Result<Value> {
    let account = caller.require()?;
    let own = account.org_id.as_deref() == Some(org_id.as_str());
    if !own {
        platform_analyst(state, caller).await?;
    }
    let at = body.at.unwrap_or_else(Utc::now);
    let event = OrgEvent::RectificationSubmitted { at, author: account.id.clone(), report: body.report };
    let entry = sanctions::record(state, &org_id, &scheme, event, Some(&account.id)).await?;
    answer(state, &org_id, &entry).await
}

/// Body of `POST /api/v1/orgs/{id}/memberships/{scheme}/reviews`: the review of a
/// rectification report.
#[derive(Debug, Clone, utoipa::ToSchema)]
pub struct ReviewBody {
    /// `restore` (the report suffices) or `extend` (the suspension goes on, to `until`, or
    /// `months` after `at`: 6 by default).
    #[schema(value_type = String)]
    pub outcome: ReviewOutcome,
    /// The review, in words.
    pub note: String,
    /// For `extend`: the new end of the term (RFC 3339 or a date; not with `months`).
    #[schema(value_type = Option<String>)]
    pub until: Option<Timestamp>,
    /// For `extend`: the new term in months after `at`, 1 to 120 (default 6).
    pub months: Option<u32>,
    /// The case the review concerns: a restoration also goes on its timeline.
    pub case: Option<String>,
    /// When it was reviewed (RFC 3339 or a date; default now).
    #[schema(value_type = Option<String>)]
    pub at: Timestamp,
}

impl Body for ReviewBody {
    const FIELDS: &'static [&'static str] = &["outcome", "note", "until", "months", "case", "at"];

    fn read_fields(check: &mut Checker, object: &Map<String, Value>) -> Option<Self> {
        let at = check.time(object, "$", "at", false, chrono_tz::Tz::UTC).unwrap_or_else(Utc::now);
        let note = check.string(object, "$", "note", true).map(str::to_owned);
        let case = check.string(object, "$", "case", false).map(str::to_owned);
        let (mut until, mut months) = (None, None);
        let outcome = match check.string(object, "$", "outcome", true) {
            Some("restore") => Some(ReviewOutcome::Restore),
            Some("extend") => {
                let read = term(check, object, at, 6);
                (until, months) = (read.until, read.months);
                read.end.map(|until| ReviewOutcome::Extend { until })
            }
            Some(other) => {
                check.problem("$.outcome", format!("unknown outcome `{other}` (restore, extend)"));
                None
            }
            None => None,
        };
        Some(ReviewBody { outcome: outcome?, note: note?, until, months, case, at })
    }
}

/// Body of `POST /api/v1/orgs/{id}/memberships/{scheme}/restore`: a review that restores
/// the unit.
#[derive(Debug, Clone, utoipa::ToSchema)]
pub struct RestoreBody {
    /// The review, in words (or give it as `note`).
    pub review: Option<String>,
    /// The review, in words, when `review` is not given.
    pub note: Option<String>,
    /// The case the restoration concerns: it also goes on its timeline.
    pub case: Option<String>,
    /// When it was reviewed (RFC 3339 or a date; default now).
    #[schema(value_type = Option<String>)]
    pub at: Option<Timestamp>,
}

impl Body for RestoreBody {
    const FIELDS: &'static [&'static str] = &["review", "note", "case", "at"];

    fn read_fields(check: &mut Checker, object: &Map<String, Value>) -> Option<Self> {
        let at = check.time(object, "$", "at", false, chrono_tz::Tz::UTC);
        let (mut review, mut note) = (None, None);
        if object.contains_key("review") {
            review = check.string(object, "$", "review", true).map(str::to_owned);
        } else {
            note = check.string(object, "$", "note", true).map(str::to_owned);
        }
        let case = check.string(object, "$", "case", false).map(str::to_owned);
        if review.is_none() && note.is_none() {
            return None;
        }
        Some(RestoreBody { review, note, case, at })
    }
}

impl From<RestoreBody> for ReviewBody {
    fn from(body: RestoreBody) -> ReviewBody {
        ReviewBody {
            outcome: ReviewOutcome::Restore,
            note: body.review.or(body.note).unwrap_or_default(),
            until: None,
            months: None,
            case: body.case,
            at: body.at.unwrap_or_else(Utc::now),
        }
    }
}

/// `POST /api/v1/orgs/{id}/memberships/{scheme}/reviews`: a platform analyst records the
/// review of the rectification report. Restoration needs a report and the term to be
/// over.
pub async fn review(
    state: &App,
    caller: &Caller,
    (org_id, scheme): (String, String),
    body: ReviewBody,
) -> Result<Value> {
    review_with(state, caller, &org_id, &scheme, body).await
}

/// `POST /api/v1/orgs/{id}/memberships/{scheme}/restore`: a review that restores the
/// unit (the `reviews` route with `outcome: restore`).
pub async fn restore(
    state: &App,
    caller: &Caller,
    (org_id, scheme): (String, String),
    body: RestoreBody,
) -> Result<Value> {
    review_with(state, caller, &org_id, &scheme, body.into()).await
}

/// `GET /api/v1/orgs/{id}/log`: the organisation's log with each scheme's status and
/// rights. Anyone sees public sanctions; the organisation itself, analysts and
/// administrators see everything (reports, reviews, private sanctions).
pub async fn org_log(state: &App, caller: &Caller, org_id: String) -> Result<Value> {
    state.store.org(&org_id).await?;
    let sees_all = sanctions::sees_whole_log(state, caller, &org_id).await;
    let entries = sanctions::log(state, &org_id).await?;
    let statuses = sanctions::statuses(state, &org_id, &entries, Utc::now()).await?;
    let shown: Vec<Value> =
        entries.iter().filter(|e| sees_all || e.is_public()).map(Entry::to_json).collect();
    Ok(json!({"org": org_id, "memberships": statuses, "log": shown, "complete": sees_all}))
}

/// An analyst of a regulator platform or national database, with their organisation.
pub async fn platform_analyst<'c>(state: &App, caller: &'c Caller) -> Result<(&'c Account, Organisation)> {
    let analyst = caller.require_role(&[AccountRole::Analyst])?;
    let org = match &analyst.org_id {
        Some(id) => state.store.org(id).await?,
        None => return Err(Error::forbidden("only a platform's analysts manage memberships")),
    };
    if !org.roles.iter().any(|r| matches!(r, Role::RegulatorPlatform | Role::NationalVulnerabilityDb)) {
        return Err(Error::forbidden("only a platform's analysts manage memberships"));
    }
    Ok((analyst, org))
}

/// A term as a request gives it: `until`, or `months` after `at`.
struct Term {
    /// `until`, when given.
    until: Option<Timestamp>,
    /// `months`, when given.
    months: Option<u32>,
    /// The end of the term; `None` when it could not be read.
    end: Option<Timestamp>,
}

/// Reads a term: `until`, or `months` after `at` (default `default_months`).
fn term(check: &mut Checker, object: &Map<String, Value>, at: Timestamp, default_months: u32) -> Term {
    let until = check.time(object, "$", "until", false, chrono_tz::Tz::UTC);
    if until.is_some() {
        if object.contains_key("months") {
            check.problem("$.months", "give `until` or `months`, not both");
        }
        return Term { until, months: None, end: until };
    }
    let months = match object.get("months") {
        None => None,
        Some(value) => {
            match value.as_u64().and_then(|m| u32::try_from(m).ok()).filter(|m| (1..=120).contains(m)) {
                Some(m) => Some(m),
                None => {
                    check.problem("$.months", "must be a whole number of months from 1 to 120");
                    return Term { until: None, months: None, end: None };
                }
            }
        }
    };
    let end = at.checked_add_months(Months::new(months.unwrap_or(default_months)));
    Term { until: None, months, end }
}

/// The bases of a decision: `basis: [{rule, case} | {case, event}]`, plus the shorthand
/// `findings: ["pack/rule", ...]` with `case`; and the findings as given.
fn bases(check: &mut Checker, object: &Map<String, Value>, case: Option<&str>) -> (Vec<Basis>, Vec<String>) {
    let mut out = Vec::new();
    if let Some(items) = object.get("basis") {
        let Some(items) = items.as_array() else {
            check.problem("$.basis", "must be an array");
            return (out, Vec::new());
        };
        for (i, item) in items.iter().enumerate() {
            let path = format!("$.basis[{i}]");
            let Some(entry) = check.object(item, &path, &["rule", "case", "event"]) else { continue };
            let Some(case) = check.string(entry, &path, "case", true).map(str::to_owned) else { continue };
            let rule = check.string(entry, &path, "rule", false).map(str::to_owned);
            let event = entry.get("event").map(|v| v.as_u64().and_then(|n| usize::try_from(n).ok()));
            match (rule, event) {
                (Some(rule), None) => out.push(Basis::Finding { rule, case }),
                (None, Some(Some(index))) => out.push(Basis::Event { case, index }),
                (None, Some(None)) => check.problem(format!("{path}.event"), "must be an event index"),
                _ => check.problem(path, "needs either `rule` (a finding) or `event` (an event index)"),
            }
        }
    }
    let findings = check.strings(object, "$", "findings", false);
    match case {
        Some(case) => out
            .extend(findings.iter().map(|rule| Basis::Finding { rule: rule.clone(), case: case.to_owned() })),
        None if !findings.is_empty() => {
            check.problem("$.findings", "findings need the `case` they were found on")
        }
        None => {}
    }
    (out, findings)
}

/// Puts a suspension or restoration on the case it concerns.
async fn put_on_case(
    state: &App,
    caller: &Caller,
    analyst: &Account,
    analyst_org: &str,
    case_id: &str,
    entry: &Entry,
) -> Result<()> {
    let (org_id, scheme) = (entry.stored.org_id.as_str(), entry.stored.scheme.as_str());
    let loaded =
        crate::casefile::authorize(state, caller, case_id, vulnrelay_domain::Action::AppendEvent).await?;
    let at = entry.event.at();
    let mut event = json!({"at": at.to_rfc3339(), "party": org_id, "membership": scheme, "by": analyst_org});
    match &entry.event {
        OrgEvent::Sanctioned { kind: SanctionKind::Suspension { until }, reason, .. } => {
            event["type"] = json!("membership_suspended");
            event["until"] = json!(until.to_rfc3339());
            event["note"] = json!(reason);
        }
        OrgEvent::ReviewRecorded { outcome: ReviewOutcome::Restore, note, .. } => {
            event["type"] = json!("membership_restored");
            event["note"] = json!(note);
        }
        _ => return Ok(()),
    }
    let by_org = crate::casefile::org_fragment(state, analyst_org).await?;
    vulnrelay_formats::case_file::extend(
        &loaded.case,
        std::slice::from_ref(&by_org.value),
        &[],
        std::slice::from_ref(&event),
    )
    .map_err(|e| Error::invalid(e.problems.into_iter().map(|p| (p.path, p.message)).collect()))?;
    let change = CaseChange {
        expected_seq: Some(loaded.record.last_seq),
        parties: vec![by_org],
        events: vec![NewEvent {
            at,
            body: event,
            recorded_by: Some(analyst.id.clone()),
            override_reason: None,
        }],
        outbox: vec![NewOutboxMessage { topic: "case.event".into(), payload: json!({"case": case_id}) }],
        ..CaseChange::default()
    };
    state.store.change_case(case_id, &change, Utc::now()).await?;
    Ok(())
}

/// Checks that a case named by a decision exists, the organisation is a party of it,
/// and the analyst may append to it — before anything is recorded.
async fn check_case(state: &App, caller: &Caller, org_id: &str, case_id: &str) -> Result<()> {
    let loaded =
        crate::casefile::authorize(state, caller, case_id, vulnrelay_domain::Action::AppendEvent).await?;
    if !loaded.parties.iter().any(|p| p.id == org_id) {
        return Err(Error::invalid(vec![(
            "$.case".into(),
            format!("`{org_id}` is not a party of this case"),
        )]));
    }
    Ok(())
}

/// The organisation's log and statuses after a change, as handlers answer.
async fn answer(state: &App, org_id: &str, entry: &Entry) -> Result<Value> {
    let entries = sanctions::log(state, org_id).await?;
    let scheme = entry.stored.scheme.as_str();
    let status = vulnrelay_domain::membership_status(&sanctions::scheme_events(&entries, scheme), Utc::now());
    Ok(json!({"entry": entry.to_json(), "membership": sanctions::status_json(scheme, status)}))
}

/// Records a sanction: the analyst's, resting on bases that stand, and on the case it
/// names.
async fn decide(
    state: &App,
    caller: &Caller,
    org_id: &str,
    scheme: &str,
    body: SanctionBody,
) -> Result<Value> {
    let (analyst, analyst_org) = platform_analyst(state, caller).await?;
    state.store.org(org_id).await?;
    if let Some(case_id) = &body.case {
        check_case(state, caller, org_id, case_id).await?;
    }
    let event = OrgEvent::Sanctioned {
        at: body.at,
        kind: body.kind,
        author: analyst.id.clone(),
        reason: body.reason,
        basis: body.basis,
        public: body.public,
    };
    let entry = sanctions::record(state, org_id, scheme, event, Some(&analyst.id)).await?;
    if let Some(case_id) = &body.case {
        put_on_case(state, caller, analyst, &analyst_org.id, case_id, &entry).await?;
    }
    answer(state, org_id, &entry).await
}

/// Records a review: the analyst's, and on the case it names.
async fn review_with(
    state: &App,
    caller: &Caller,
    org_id: &str,
    scheme: &str,
    body: ReviewBody,
) -> Result<Value> {
    let (analyst, analyst_org) = platform_analyst(state, caller).await?;
    state.store.org(org_id).await?;
    if let Some(case_id) = &body.case {
        check_case(state, caller, org_id, case_id).await?;
    }
    let event = OrgEvent::ReviewRecorded {
        at: body.at,
        reviewer: analyst.id.clone(),
        outcome: body.outcome,
        note: body.note,
    };
    let entry = sanctions::record(state, org_id, scheme, event, Some(&analyst.id)).await?;
    if let Some(case_id) = &body.case {
        put_on_case(state, caller, analyst, &analyst_org.id, case_id, &entry).await?;
    }
    answer(state, org_id, &entry).await
}
