//! The deadlines: the open obligations of an organisation on the cases it may see,
//! named in due order by the derived views' index and evaluated as of now, each with
//! what its draft still lacks.

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use serde_json::{Value, json};
use vulnrelay_domain::Action;
use vulnrelay_policy::{Interpretation, Options, RuleKind, Status};
use vulnrelay_store::projections::DueCursor;

use crate::App;
use crate::caller::Caller;
use crate::case_actions::shown;
use crate::casefile::load;
use crate::error::{Error, Result};

/// Parses `48h`, `7d`, `30m` (see `vulnrelay_formats::time::parse_window`).
pub fn parse_within(text: &str) -> Result<TimeDelta, String> {
    vulnrelay_formats::time::parse_window(text)
}

/// The page cursor of `/deadlines`: the last obligation's due key, case, rule and
/// product, hex-encoded (opaque to clients).
pub fn encode_cursor(cursor: &DueCursor) -> String {
    hex::encode(
        [&cursor.due_key, &cursor.case_id, &cursor.rule, &cursor.product].map(String::as_str).join("\n"),
    )
}

/// Reads a cursor [`encode_cursor`] gave.
pub fn decode_cursor(text: &str) -> Result<DueCursor, String> {
    let bad = || "not a cursor this server gave".to_owned();
    let bytes = hex::decode(text).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let mut parts = text.split('\n').map(str::to_owned);
    match (parts.next(), parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(due_key), Some(case_id), Some(rule), Some(product), None) => {
            Ok(DueCursor { due_key, case_id, rule, product })
        }
        _ => Err(bad()),
    }
}

/// An open obligation of an organisation on a case.
#[derive(Debug, Clone)]
pub struct Deadline {
    /// The case.
    pub case: String,
    /// The case's title.
    pub title: String,
    /// The rule, `pack/rule`.
    pub rule: String,
    /// The rule's article.
    pub article: String,
    /// `pending` or `overdue`.
    pub status: Status,
    /// When it falls due (none: "immediately", no numeric deadline).
    pub due_at: Option<DateTime<Utc>>,
    /// The case's time zone.
    pub timezone: Tz,
    /// What it means, in both languages.
    pub message: vulnrelay_policy::Text,
    /// For a duty met by a notification: what its draft says ("draft ready; Member
    /// States missing"), and the ids of the missing fields.
    pub draft: Option<(vulnrelay_policy::Text, Vec<String>)>,
}

/// The open obligations (pending, overdue, or sent without all their content) of `org`
/// on the cases `caller` may see, due within `within` from now or already overdue, by
/// due time, each with what its draft still lacks (shared by `GET /api/v1/deadlines`
/// and the web UI's dashboard): the first `limit`.
pub async fn open_deadlines(
    state: &App,
    caller: &Caller,
    org: &str,
    within: TimeDelta,
    limit: usize,
) -> Result<Vec<Deadline>> {
    Ok(deadline_page(state, caller, org, within, None, limit).await?.0)
}

/// One page of [`open_deadlines`] after `after`, with the cursor of the next page. The
/// derived views name the obligations due in the window, in due order, through an
/// index; only the cases on the page are loaded, and each is evaluated as of now, so
/// what is shown is the engine's word at this moment, not the view's.
pub async fn deadline_page(
    state: &App,
    caller: &Caller,
    org: &str,
    within: TimeDelta,
    mut after: Option<DueCursor>,
    limit: usize,
) -> Result<(Vec<Deadline>, Option<DueCursor>)> {
    let now = Utc::now();
    let horizon = now + within;
    let batch = i64::try_from(limit).unwrap_or(500) + 1;
    let mut evaluated: HashMap<String, HashMap<(String, String), Deadline>> = HashMap::new();
    let mut items = Vec::new();
    loop {
        let rows = state.store.due_obligations(org, Some(horizon), after.as_ref(), batch).await?;
        let exhausted = rows.len() < usize::try_from(batch).unwrap_or(0);
        for row in rows {
            if !evaluated.contains_key(&row.case_id) {
                let found = case_deadlines(state, caller, org, &row.case_id, now, horizon).await?;
                evaluated.insert(row.case_id.clone(), found);
            }
            let key = (row.obligation.rule.clone(), row.obligation.product.clone());
            let Some(deadline) = evaluated.get_mut(&row.case_id).and_then(|found| found.remove(&key)) else {
                after = Some(row.cursor());
                continue;
            };
            if items.len() == limit {
                return Ok((items, after));
            }
            after = Some(row.cursor());
            items.push(deadline);
        }
        if exhausted {
            return Ok((items, None));
        }
    }
}

/// The open obligations of `org` on one case, evaluated as of `now`, by rule and
/// product (none when `caller` may not read the case, or it cannot be loaded).
async fn case_deadlines(
    state: &App,
    caller: &Caller,
    org: &str,
    case_id: &str,
    now: DateTime<Utc>,
    horizon: DateTime<Utc>,
) -> Result<HashMap<(String, String), Deadline>> {
    let mut found = HashMap::new();
    let loaded = match load(state, case_id).await {
        Ok(loaded) => loaded,
        Err(error) => {
            tracing::error!(case = %case_id, code = error.code(), message = %error, "case skipped: it cannot be read");
            return Ok(found);
        }
    };
    if !loaded.can(caller, Action::Read) {
        return Ok(found);
    }
    let record = &loaded.record;
    let tz = loaded.case.timezone();
    let findings =
        state.evaluate(&loaded.case, &Options { as_of: now, interpretation: Interpretation::Hours });
    let mut records = None;
    for f in findings.iter().filter(|f| f.party.0 == org && matches!(f.rule.kind, RuleKind::Obligation(_))) {
        let open = matches!(f.status, Status::Pending | Status::Overdue | Status::MetIncomplete);
        if !open || f.due_at.is_some_and(|due| due > horizon) {
            continue;
        }
        if records.is_none() {
            records = Some(crate::drafts::case_sources(state, &record.id).await?);
        }
        let (vulnerabilities, report) =
            records.as_ref().map_or((&[][..], None), |(v, r)| (&v[..], r.as_ref()));
        let draft = vulnrelay_policy::draft(
            &loaded.case,
            f,
            vulnrelay_policy::Records { vulnerabilities, severity: &[], report },
        )
        .map(|d| (crate::drafts::reminder_words(&d), d.missing().iter().map(|m| m.id.clone()).collect()));
        let product = f.product.map(|p| p.0.clone()).unwrap_or_default();
        found.entry((f.rule_id(), product)).or_insert_with(|| Deadline {
            draft,
            case: record.id.clone(),
            title: record.title.clone(),
            rule: f.rule_id(),
            article: f.rule.article.clone(),
            status: f.status,
            due_at: f.due_at,
            timezone: tz,
            message: f.message(&loaded.case),
        });
    }
    Ok(found)
}

/// `GET /api/v1/deadlines`: the open obligations of the caller's organisation due
/// `within` (`48h`, `7d`, `30m`; default `48h`) or overdue, by pages of `limit`
/// (default 100, at most 500) after the cursor `after`, as JSON (none for an account
/// of no organisation).
pub async fn deadlines(
    state: &App,
    caller: &Caller,
    within: Option<String>,
    after: Option<&str>,
    limit: Option<usize>,
) -> Result<Value> {
    let account = caller.require()?;
    let Some(org) = account.org_id.clone() else { return Ok(json!({"deadlines": [], "next": null})) };
    let window = parse_within(within.as_deref().unwrap_or("48h"))
        .map_err(|e| Error::invalid(vec![("within".into(), e)]))?;
    let after =
        after.map(decode_cursor).transpose().map_err(|e| Error::invalid(vec![("after".into(), e)]))?;
    let limit = limit.unwrap_or(100).clamp(1, 500);
    let (deadlines, next) = deadline_page(state, caller, &org, window, after, limit).await?;
    let items: Vec<Value> = deadlines
        .into_iter()
        .map(|d| {
            json!({
                "case": d.case, "title": d.title, "rule": d.rule, "article": d.article,
                "status": d.status.as_str(), "due_at": d.due_at.map(|t| shown(t, d.timezone)),
                "message": d.message.en,
                "draft": d.draft.as_ref().map(|(words, missing)| json!({"summary": {"en": words.en, "zh": words.zh}, "missing": missing})),
            })
        })
        .collect();
    Ok(json!({
        "org": org,
        "within": within.unwrap_or_else(|| "48h".into()),
        "deadlines": items,
        "next": next.map(|c| encode_cursor(&c)),
    }))
}
