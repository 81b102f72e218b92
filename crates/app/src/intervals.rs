//! The timeline's key intervals and the organisations' records: per case (discovery →
//! first report to a regulator platform, → vendor notified, → fix, → public disclosure,
//! → bulletin, → first risk warning), per organisation (obligations met on time, late,
//! missed, over every case), and per quarter over the platform (median and worst, as
//! JSON and as SVG charts).

use chrono::Utc;
use serde::Serialize;
use serde_json::{Value, json};
use vulnrelay_domain::{
    Action, Case, CaseState, Interval, IntervalKind, QuarterStats, Relation, allowed, intervals,
};
use vulnrelay_policy::{Interpretation, Options, RuleKind, Status, history};
use vulnrelay_publish::charts::quarter_chart;
use vulnrelay_store::projections::{IntervalLength, IntervalQuarter};

use crate::App;
use crate::caller::Caller;
use crate::casefile::authorize;
use crate::error::{Error, Result};

/// `GET /api/v1/cases/{id}/intervals`: the case's key intervals; an interval whose end
/// event is missing is `open`, one with no discovery has no start.
pub async fn case_intervals(state: &App, caller: &Caller, id: String) -> Result<Value> {
    let loaded = authorize(state, caller, &id, Action::Read).await?;
    let warning = first_warning(state, &id).await?;
    Ok(json!({"case": id, "intervals": intervals_json(&loaded.case, warning.as_ref())}))
}

/// `GET /api/v1/orgs/{id}/history`: the organisation's record over every case — its
/// obligations met on time, late and missed, the rules it broke, and each finding.
/// The organisation itself, analysts and administrators.
pub async fn org_history(state: &App, caller: &Caller, org_id: String) -> Result<Value> {
    let account = caller.require()?;
    let own = account.org_id.as_deref() == Some(org_id.as_str());
    if !own
        && crate::relations::admin(caller).is_none()
        && crate::relations::platform_staff(state, caller).await.is_err()
    {
        return Err(Error::forbidden("an organisation's record is for itself and the platforms"));
    }
    state.store.org(&org_id).await?;
    let now = Utc::now();
    // Only the cases the caller may read: a platform sees the cases it works and the
    // published ones, never another platform's embargoed case.
    let cases = crate::casefile::party_cases(state, caller, &org_id).await?;
    let options = Options { as_of: now, interpretation: Interpretation::Hours };
    let mut mine = Vec::new();
    let mut findings_out = Vec::new();
    for loaded in &cases {
        for f in state.evaluate(&loaded.case, &options).into_iter().filter(|f| f.party.0 == org_id) {
            if f.status != Status::Met || matches!(f.rule.kind, RuleKind::Obligation(_)) {
                let message = f.message(&loaded.case);
                findings_out.push(json!({
                    "case": loaded.record.id, "title": loaded.record.title, "rule": f.rule_id(),
                    "article": f.rule.article, "status": f.status.as_str(),
                    "due_at": f.due_at.map(|t| t.to_rfc3339()),
                    "satisfied_at": f.satisfied_at.map(|t| t.to_rfc3339()), "late_by_hours": f.late_by_hours,
                    "message": {"en": message.en, "zh": message.zh},
                }));
            }
            mine.push(f);
        }
    }
    let total = history(&mine).into_values().next().unwrap_or_default();
    Ok(json!({
        "org": org_id,
        "as_of": now.to_rfc3339(),
        "on_time": total.on_time, "incomplete": total.incomplete, "late": total.late, "missed": total.missed,
        "open": total.open,
        "violations": total.violations, "conflicts": total.conflicts,
        "on_time_rate": total.on_time_rate(),
        "findings": findings_out,
    }))
}

/// `GET /api/v1/stats/intervals`: each interval's median and worst per quarter of
/// discovery, over the cases the caller may read. The public part is the store's kept
/// answer while the published intervals have not changed (one read of their version);
/// a signed-in caller's own unpublished cases are merged into it.
pub async fn stats(state: &App, caller: &Caller) -> Result<IntervalStatistics> {
    let (stats, own) = match scope(state, caller).await? {
        Scope::Every => {
            let stats = state.store.every_interval_stats().await?;
            let own = stats.unpublished_cases;
            (stats, own)
        }
        Scope::Published { own, extra } => (state.store.interval_stats(&extra).await?, own),
    };
    let mut intervals = Vec::new();
    for kind in IntervalKind::ALL {
        let quarters = quarter_stats(stats.kinds.get(kind.as_str()).map_or(&[][..], Vec::as_slice))?;
        intervals.push(KindStatistics {
            kind: kind.as_str(),
            quarters: quarters.iter().map(QuarterRow::of).collect(),
        });
    }
    Ok(IntervalStatistics { cases: stats.published_cases + own, intervals })
}

/// The body of `GET /api/v1/stats/intervals`. Fields are declared in name order, as
/// `serde_json`'s sorted maps wrote them when the body was built as one, so the body
/// reads as it did; it is written straight from these, without a map a quarter.
#[derive(Debug, Serialize)]
pub struct IntervalStatistics {
    /// The cases counted.
    pub cases: i64,
    /// Each interval kind, in [`IntervalKind::ALL`]'s order.
    pub intervals: Vec<KindStatistics>,
}

/// One interval kind's statistics per quarter of discovery.
#[derive(Debug, Serialize)]
pub struct KindStatistics {
    /// The interval kind.
    pub kind: &'static str,
    /// Its quarters, oldest first.
    pub quarters: Vec<QuarterRow>,
}

/// One quarter of an interval kind, lengths in days to a tenth.
#[derive(Debug, Serialize)]
pub struct QuarterRow {
    /// Intervals closed.
    pub closed: usize,
    /// The median length of the closed ones.
    pub median_days: Option<f64>,
    /// Intervals still open.
    pub open: usize,
    /// `2024-Q1`.
    pub quarter: String,
    /// The longest closed one.
    pub worst_days: Option<f64>,
}

impl QuarterRow {
    fn of(s: &QuarterStats) -> QuarterRow {
        QuarterRow {
            closed: s.closed,
            median_days: s.median_days.map(tenth),
            open: s.open,
            quarter: format!("{}-Q{}", s.year, s.quarter),
            worst_days: s.worst_days.map(tenth),
        }
    }
}

/// When the first risk warning of a case went out, and to which organisation.
pub type FirstWarning = (chrono::DateTime<Utc>, String);

fn end_json(case: &Case, end: Option<(chrono::DateTime<Utc>, usize)>) -> Value {
    end.map_or(Value::Null, |(at, index)| {
        let event = &case.events()[index];
        json!({"at": at.to_rfc3339(), "event": index, "type": event.kind.event_type().as_str(), "party": event.party.0})
    })
}

/// The first risk warning issued for any of a case's records: when, and to whom.
pub async fn first_warning(state: &App, case_id: &str) -> Result<Option<FirstWarning>> {
    Ok(state.store.first_warning(case_id).await?)
}

/// Days rounded to a tenth, as the API shows them.
fn tenth(days: f64) -> f64 {
    (days * 10.0).round() / 10.0
}

/// One interval of a case as measured: the domain's interval, closed by the first
/// risk warning the platform issued when that is what ends it.
struct Measured<'w> {
    interval: Interval,
    warning: Option<&'w FirstWarning>,
}

impl Measured<'_> {
    /// The length in days, when both ends are known.
    fn days(&self) -> Option<f64> {
        match self.warning {
            Some((at, _)) => {
                self.interval.start.map(|(start, _)| (*at - start).num_seconds() as f64 / 86_400.0)
            }
            None => self.interval.days(),
        }
    }
}

/// A case's intervals, the first risk warning closing `first_warning` when the timeline
/// records no earlier notification of a product user or network operator.
fn measure<'w>(case: &Case, warning: Option<&'w FirstWarning>) -> Vec<Measured<'w>> {
    intervals(case)
        .into_iter()
        .map(|interval| {
            let closes = |(at, _): &&FirstWarning| {
                interval.kind == IntervalKind::FirstWarning
                    && interval.end.is_none_or(|(end, _)| *at < end)
                    && interval.start.is_some_and(|(start, _)| *at >= start)
            };
            Measured { interval, warning: warning.filter(closes) }
        })
        .collect()
}

/// One case's intervals as the API shows them (`days` rounded to a tenth), the first
/// risk warning closing `first_warning` (see `measure`).
pub fn intervals_json(case: &Case, warning: Option<&FirstWarning>) -> Vec<Value> {
    measure(case, warning)
        .iter()
        .map(|m| {
            let i = &m.interval;
            let to = match m.warning {
                Some((at, org)) => json!({"at": at.to_rfc3339(), "type": "risk_warning", "party": org}),
                None => end_json(case, i.end),
            };
            json!({
                "kind": i.kind.as_str(),
                "from": end_json(case, i.start),
                "to": to,
                "days": m.days().map(tenth),
                "open": m.warning.is_none() && i.end.is_none(),
            })
        })
        .collect()
}

/// A case's key intervals that have a start, as its views keep them for the
/// statistics: the quarter of the start (UTC) and the length in seconds (none: open),
/// the first risk warning closing `first_warning` (see `measure`).
pub fn interval_lengths(case: &Case, warning: Option<&FirstWarning>) -> Vec<IntervalLength> {
    use chrono::Datelike;
    measure(case, warning)
        .iter()
        .filter_map(|m| {
            let (start, _) = m.interval.start?;
            let seconds = match m.warning {
                Some((at, _)) => Some((*at - start).num_seconds()),
                None => m.interval.duration().map(|d| d.num_seconds()),
            };
            Some(IntervalLength {
                kind: m.interval.kind.as_str().to_owned(),
                quarter: format!("{}-Q{}", start.year(), (start.month() - 1) / 3 + 1),
                seconds,
            })
        })
        .collect()
}

/// What the statistics of `caller` are taken over.
enum Scope {
    /// Every case, published or not: the caller's organisation received every case and
    /// may read each of them.
    Every,
    /// The published cases, and `own` unpublished cases the caller may read with their
    /// intervals (`extra`).
    Published { own: i64, extra: Vec<IntervalLength> },
}

/// What the statistics of `caller` count beyond the published cases. An organisation
/// that received every case stands in the platform relation to each and in no other,
/// so the access matrix answers for all of them at once: every case if the caller may
/// read an unpublished case as the platform whatever its state, the published ones
/// alone if it may read none (nothing is read per case either way). Otherwise the
/// unpublished cases it stands in a relation to, with their intervals, are read from
/// the views (no case is loaded) and those the matrix lets it read are counted.
/// Nothing is read for the public.
async fn scope(state: &App, caller: &Caller) -> Result<Scope> {
    let mut count = 0;
    let mut extra = Vec::new();
    let actor = caller.actor();
    if let Some(org) = &actor.org {
        if state.store.platform_of_every_case(&org.0).await? {
            let unpublished = CaseState::ALL.into_iter().filter(|s| !s.is_published());
            let readable: Vec<bool> =
                unpublished.map(|s| allowed(Relation::Platform, &actor.roles, s, Action::Read)).collect();
            if readable.iter().all(|r| *r) {
                return Ok(Scope::Every);
            }
            if readable.iter().all(|r| !*r) {
                return Ok(Scope::Published { own: 0, extra });
            }
        }
        for related in state.store.related_intervals(&org.0).await? {
            let case_state: CaseState = related.state.parse().map_err(Error::internal)?;
            let relation: Relation = related.relation.parse().map_err(Error::internal)?;
            if allowed(relation, &actor.roles, case_state, Action::Read) {
                count += 1;
                extra.extend(related.intervals);
            }
        }
    }
    Ok(Scope::Published { own: count, extra })
}

/// One interval kind's statistics per quarter of discovery (UTC) as the store gives
/// them, in days.
fn quarter_stats(quarters: &[IntervalQuarter]) -> Result<Vec<QuarterStats>> {
    let days = |seconds: i64| seconds as f64 / 86_400.0;
    quarters
        .iter()
        .map(|q| {
            let (year, quarter) = q
                .quarter
                .split_once("-Q")
                .and_then(|(y, n)| Some((y.parse::<i32>().ok()?, n.parse::<u32>().ok()?)))
                .ok_or_else(|| Error::internal(format!("a stored quarter `{}`", q.quarter)))?;
            Ok(QuarterStats {
                year,
                quarter,
                closed: usize::try_from(q.closed).unwrap_or(0),
                open: usize::try_from(q.open).unwrap_or(0),
                median_days: q.middle.map(|(a, b)| f64::midpoint(days(a), days(b))),
                worst_days: q.worst.map(days),
            })
        })
        .collect()
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

/// The quarterly median (filled) and worst (outlined) of the interval `file` names
/// (`KIND.svg`) as an SVG bar chart, over the cases `caller` may read.
pub async fn chart_svg(state: &App, caller: &Caller, file: &str, zh: bool) -> Result<String> {
    let name = file.strip_suffix(".svg").unwrap_or(file);
    let Some(kind) = IntervalKind::ALL.into_iter().find(|k| k.as_str() == name) else {
        return Err(Error::not_found("interval"));
    };
    let quarters = match scope(state, caller).await? {
        Scope::Every => {
            state.store.every_interval_stats().await?.kinds.remove(kind.as_str()).unwrap_or_default()
        }
        Scope::Published { extra, .. } => state.store.interval_quarters(kind.as_str(), &extra).await?,
    };
    Ok(quarter_chart(&quarter_stats(&quarters)?, title(kind, zh)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_statistics_are_written_as_the_sorted_maps_they_were() {
        let quarters = [
            QuarterStats {
                year: 2024,
                quarter: 1,
                closed: 3,
                open: 1,
                median_days: Some(2.25),
                worst_days: Some(9.04),
            },
            QuarterStats { year: 2024, quarter: 2, closed: 0, open: 4, median_days: None, worst_days: None },
        ];
        let rows: Vec<QuarterRow> = quarters.iter().map(QuarterRow::of).collect();
        let body = IntervalStatistics {
            cases: 7,
            intervals: vec![KindStatistics { kind: IntervalKind::ALL[0].as_str(), quarters: rows }],
        };
        // The map the body was built as before it was typed.
        let as_maps: Vec<Value> = quarters
            .iter()
            .map(|s| {
                json!({"quarter": format!("{}-Q{}", s.year, s.quarter), "closed": s.closed, "open": s.open,
                       "median_days": s.median_days.map(tenth), "worst_days": s.worst_days.map(tenth)})
            })
            .collect();
        let as_map =
            json!({"cases": 7, "intervals": [{"kind": IntervalKind::ALL[0].as_str(), "quarters": as_maps}]});
        assert_eq!(serde_json::to_string(&body).unwrap(), serde_json::to_string(&as_map).unwrap());
    }
}
