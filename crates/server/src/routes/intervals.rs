//! The timeline's key intervals and the organisations' records: per case (discovery →
//! first report to a regulator platform, → vendor notified, → fix, → public disclosure,
//! → bulletin, → first risk warning), per organisation (obligations met on time, late,
//! missed, over every case), and per quarter over the platform (median and worst, as
//! JSON and as SVG charts).

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Value, json};
use vulnrelay_domain::{AccountRole, Action, Case, Interval, IntervalKind, intervals, quarterly};
use vulnrelay_policy::{Interpretation, Options, RuleKind, Status, evaluate, history};
use vulnrelay_publish::charts::quarter_chart;

use crate::AppState;
use crate::auth::Caller;
use crate::casefile::{Loaded, authorize, load};
use crate::errors::{AppError, AppResult};

fn end_json(case: &Case, end: Option<(chrono::DateTime<Utc>, usize)>) -> Value {
    end.map_or(Value::Null, |(at, index)| {
        let event = &case.events()[index];
        json!({"at": at.to_rfc3339(), "event": index, "type": event.kind.event_type().as_str(), "party": event.party.0})
    })
}

/// One case's intervals as the API shows them; `days` is rounded to a tenth.
pub fn intervals_json(case: &Case) -> Vec<Value> {
    intervals(case)
        .iter()
        .map(|i: &Interval| {
            json!({
                "kind": i.kind.as_str(),
                "from": end_json(case, i.start),
                "to": end_json(case, i.end),
                "days": i.days().map(|d| (d * 10.0).round() / 10.0),
                "open": i.end.is_none(),
            })
        })
        .collect()
}

/// `GET /api/v1/cases/{id}/intervals`: the case's key intervals; an interval whose end
/// event is missing is `open`, one with no discovery has no start.
pub async fn case_intervals(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    let loaded = authorize(&state, &caller, &id, Action::Read).await?;
    Ok(Json(json!({"case": id, "intervals": intervals_json(&loaded.case)})))
}

/// Every case the caller may read.
async fn readable_cases(state: &AppState, caller: &Caller) -> AppResult<Vec<Loaded>> {
    let mut out = Vec::new();
    for record in state.store.list_cases().await? {
        let loaded = load(state, &record.id).await?;
        if loaded.can(caller, Action::Read) {
            out.push(loaded);
        }
    }
    Ok(out)
}

/// `GET /api/v1/orgs/{id}/history`: the organisation's record over every case — its
/// obligations met on time, late and missed, the rules it broke, and each finding.
/// The organisation itself, analysts and administrators.
pub async fn org_history(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
) -> AppResult<Json<Value>> {
    let account = caller.require()?;
    let own = account.org_id.as_deref() == Some(org_id.as_str());
    if !own && !account.roles.iter().any(|r| matches!(r, AccountRole::Analyst | AccountRole::Admin)) {
        return Err(AppError::forbidden("an organisation's record is for itself and the platforms"));
    }
    state.store.org(&org_id).await?;
    let now = Utc::now();
    let mut total = vulnrelay_policy::History::default();
    let mut findings_out = Vec::new();
    for record in state.store.list_cases().await? {
        let loaded = load(&state, &record.id).await?;
        if !loaded.case.parties().iter().any(|p| p.id.0 == org_id) {
            continue;
        }
        let findings = evaluate(
            &loaded.case,
            &state.packs,
            &Options { as_of: now, interpretation: Interpretation::Hours },
        );
        let mine: Vec<_> = findings.into_iter().filter(|f| f.party.0 == org_id).collect();
        if let Some(h) = history(&mine).into_values().next() {
            total.on_time += h.on_time;
            total.late += h.late;
            total.missed += h.missed;
            total.open += h.open;
            total.violations += h.violations;
            total.conflicts += h.conflicts;
        }
        for f in &mine {
            if f.status == Status::Met && !matches!(f.rule.kind, RuleKind::Obligation(_)) {
                continue;
            }
            findings_out.push(json!({
                "case": record.id, "title": record.title, "rule": f.rule_id(), "article": f.rule.article,
                "status": f.status.as_str(), "due_at": f.due_at.map(|t| t.to_rfc3339()),
                "satisfied_at": f.satisfied_at.map(|t| t.to_rfc3339()), "late_by_hours": f.late_by_hours,
                "message": {"en": f.message(&loaded.case).en, "zh": f.message(&loaded.case).zh},
            }));
        }
    }
    Ok(Json(json!({
        "org": org_id,
        "as_of": now.to_rfc3339(),
        "on_time": total.on_time, "late": total.late, "missed": total.missed, "open": total.open,
        "violations": total.violations, "conflicts": total.conflicts,
        "on_time_rate": total.on_time_rate(),
        "findings": findings_out,
    })))
}

fn quarter_json(stats: &[vulnrelay_domain::QuarterStats]) -> Vec<Value> {
    stats
        .iter()
        .map(|s| {
            json!({"quarter": format!("{}-Q{}", s.year, s.quarter), "closed": s.closed, "open": s.open,
                   "median_days": s.median_days.map(|d| (d * 10.0).round() / 10.0),
                   "worst_days": s.worst_days.map(|d| (d * 10.0).round() / 10.0)})
        })
        .collect()
}

/// `GET /api/v1/stats/intervals`: each interval's median and worst per quarter of
/// discovery, over the cases the caller may read.
pub async fn stats(State(state): State<AppState>, caller: Caller) -> AppResult<Json<Value>> {
    let cases = readable_cases(&state, &caller).await?;
    let all: Vec<Vec<Interval>> = cases.iter().map(|l| intervals(&l.case)).collect();
    let kinds: Vec<Value> = IntervalKind::ALL
        .iter()
        .map(|kind| json!({"kind": kind.as_str(), "quarters": quarter_json(&quarterly(&all, *kind))}))
        .collect();
    Ok(Json(json!({"cases": cases.len(), "intervals": kinds})))
}

/// The query of the chart: its language.
#[derive(Debug, Deserialize)]
pub struct ChartQuery {
    /// `zh` or `en` (default).
    pub lang: Option<String>,
}

fn title(kind: IntervalKind, zh: bool) -> &'static str {
    match (kind, zh) {
        (IntervalKind::RegulatorReport, false) => {
            "Days from discovery to the first report to a regulator platform"
        }
        (IntervalKind::RegulatorReport, true) => "从发现到首次报送监管平台的天数",
        (IntervalKind::VendorNotified, false) => "Days from discovery to the vendor being notified",
        (IntervalKind::VendorNotified, true) => "从发现到通知厂商的天数",
        (IntervalKind::FixAvailable, false) => "Days from discovery to a fix",
        (IntervalKind::FixAvailable, true) => "从发现到修复可用的天数",
        (IntervalKind::PublicDisclosure, false) => "Days from discovery to public disclosure",
        (IntervalKind::PublicDisclosure, true) => "从发现到公开披露的天数",
        (IntervalKind::Bulletin, false) => "Days from discovery to the first bulletin",
        (IntervalKind::Bulletin, true) => "从发现到首个安全公告的天数",
        (IntervalKind::FirstWarning, false) => "Days from discovery to the first risk warning",
        (IntervalKind::FirstWarning, true) => "从发现到首次风险预警的天数",
    }
}

/// `GET /api/v1/stats/intervals/{kind}.svg`: the quarterly median (filled) and worst
/// (outlined) of one interval as an SVG bar chart, `?lang=zh|en`.
pub async fn chart(
    State(state): State<AppState>,
    caller: Caller,
    Path(file): Path<String>,
    Query(query): Query<ChartQuery>,
) -> AppResult<Response> {
    let name = file.strip_suffix(".svg").unwrap_or(&file);
    let Some(kind) = IntervalKind::ALL.into_iter().find(|k| k.as_str() == name) else {
        return Err(AppError::not_found("interval"));
    };
    let cases = readable_cases(&state, &caller).await?;
    let all: Vec<Vec<Interval>> = cases.iter().map(|l| intervals(&l.case)).collect();
    let svg = quarter_chart(&quarterly(&all, kind), title(kind, query.lang.as_deref() == Some("zh")));
    Ok(([(header::CONTENT_TYPE, "image/svg+xml; charset=utf-8")], svg).into_response())
}
