//! Organisations and their memberships: active, suspended until a date with a reason
//! and linked findings, restored after a recorded rectification review.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use vulnrelay_domain::{AccountRole, Role};
use vulnrelay_store::{
    CaseChange, MembershipChange, MembershipChangeKind, NewEvent, NewOutboxMessage, Status,
};

use crate::AppState;
use crate::auth::Caller;
use crate::errors::{AppError, AppResult};
use crate::input::{ApiJson, Checker};
use crate::routes::accounts::org_json;

fn change_json(change: &MembershipChange) -> Value {
    let mut value = json!({
        "scheme": change.scheme,
        "change": change.change.as_str(),
        "at": change.at.to_rfc3339(),
        "by": change.by_account,
    });
    match &change.change {
        MembershipChangeKind::Suspended { until, reason, findings } => {
            value["until"] = json!(until.map(|u| u.to_rfc3339()));
            value["reason"] = json!(reason);
            value["findings"] = json!(findings);
        }
        MembershipChangeKind::Restored { review } => value["review"] = json!(review),
        _ => {}
    }
    value
}

/// The status of each scheme from the history: `active`, `suspended` (with its end),
/// or `ended`.
fn memberships(history: &[MembershipChange], now: chrono::DateTime<chrono::Utc>) -> Value {
    let mut current: Vec<(String, Value)> = Vec::new();
    for change in history.iter().filter(|c| c.at <= now) {
        let status = match &change.change {
            MembershipChangeKind::Joined | MembershipChangeKind::Restored { .. } => {
                json!({"status": "active"})
            }
            MembershipChangeKind::Suspended { until: Some(until), .. } if *until <= now => {
                json!({"status": "active"})
            }
            MembershipChangeKind::Suspended { until, reason, .. } => {
                json!({"status": "suspended", "until": until.map(|u| u.to_rfc3339()), "reason": reason})
            }
            MembershipChangeKind::Ended => json!({"status": "ended"}),
        };
        match current.iter_mut().find(|(scheme, _)| *scheme == change.scheme) {
            Some(entry) => entry.1 = status,
            None => current.push((change.scheme.clone(), status)),
        }
    }
    current
        .into_iter()
        .map(|(scheme, mut status)| {
            status["scheme"] = json!(scheme);
            status
        })
        .collect()
}

/// `GET /api/v1/orgs`: active organisations.
pub async fn list(State(state): State<AppState>) -> AppResult<Json<Value>> {
    let orgs = state.store.list_orgs(Some(Status::Active)).await?;
    Ok(Json(json!({"orgs": orgs.iter().map(org_json).collect::<Vec<_>>()})))
}

/// `GET /api/v1/orgs/{id}`: an organisation with its memberships and their history.
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    let org = state.store.org(&id).await?;
    let is_analyst = caller.account.as_ref().is_some_and(|a| a.roles.contains(&AccountRole::Analyst));
    if org.status != Status::Active && !is_analyst {
        return Err(AppError::not_found("organisation"));
    }
    let history = state.store.membership_history(&id).await?;
    let mut body = org_json(&org);
    body["memberships"] = memberships(&history, chrono::Utc::now());
    body["membership_history"] = history.iter().map(change_json).collect();
    Ok(Json(body))
}

/// `POST /api/v1/orgs`: an administrator adds an active organisation
/// `{id, name, jurisdiction, roles}`.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson,
) -> AppResult<Response> {
    caller.require_role(&[AccountRole::Admin])?;
    let mut check = Checker::default();
    let org = crate::routes::accounts::org_fields(&mut check, &body, "$", false);
    check.finish()?;
    let Some(mut org) = org else { return Err(AppError::bad_request("unreadable organisation")) };
    org.status = Status::Active;
    state.store.create_org(&org).await?;
    Ok((StatusCode::CREATED, Json(org_json(&org))).into_response())
}

/// Only analysts of a regulator platform or national database manage memberships.
fn require_platform_analyst<'c>(
    state: &AppState,
    caller: &'c Caller,
) -> AppResult<&'c vulnrelay_store::Account> {
    let _ = state;
    caller.require_role(&[AccountRole::Analyst])
}

async fn record(
    state: &AppState,
    caller: &Caller,
    org_id: &str,
    scheme: &str,
    body: &Value,
    kind: &str,
) -> AppResult<Json<Value>> {
    let analyst = require_platform_analyst(state, caller)?;
    let analyst_org = match &analyst.org_id {
        Some(id) => state.store.org(id).await?,
        None => return Err(AppError::forbidden("only a platform's analysts manage memberships")),
    };
    if !analyst_org.roles.iter().any(|r| matches!(r, Role::RegulatorPlatform | Role::NationalVulnerabilityDb))
    {
        return Err(AppError::forbidden("only a platform's analysts manage memberships"));
    }
    state.store.org(org_id).await?;
    let now = chrono::Utc::now();
    let mut check = Checker::default();
    let allowed: &[&str] = match kind {
        "suspended" => &["at", "until", "reason", "findings", "case"],
        "restored" => &["at", "review", "case"],
        _ => &["at"],
    };
    let mut change = None;
    let mut case = None;
    if let Some(object) = check.object(body, "$", allowed) {
        let tz = chrono_tz::Tz::UTC;
        let at = check.time(object, "$", "at", false, tz).unwrap_or(now);
        case = check.string(object, "$", "case", false).map(str::to_owned);
        let kind = match kind {
            "suspended" => {
                let until = check.time(object, "$", "until", false, tz);
                if until.is_some_and(|u| u <= at) {
                    check.problem("$.until", "must be after the suspension starts");
                }
                let reason = check.string(object, "$", "reason", true).map(str::to_owned);
                let findings = check.strings(object, "$", "findings", false);
                reason.map(|reason| MembershipChangeKind::Suspended { until, reason, findings })
            }
            "restored" => check
                .string(object, "$", "review", true)
                .map(|review| MembershipChangeKind::Restored { review: review.to_owned() }),
            _ => Some(MembershipChangeKind::Joined),
        };
        change = kind.map(|change| MembershipChange {
            org_id: org_id.to_owned(),
            scheme: scheme.to_owned(),
            at,
            change,
            by_account: Some(analyst.id.clone()),
        });
    }
    check.finish()?;
    let Some(change) = change else { return Err(AppError::bad_request("unreadable membership change")) };
    if let MembershipChangeKind::Restored { .. } = change.change {
        let history = state.store.membership_history(org_id).await?;
        let suspended = history
            .iter()
            .rev()
            .find(|c| c.scheme == scheme)
            .is_some_and(|c| matches!(c.change, MembershipChangeKind::Suspended { .. }));
        if !suspended {
            return Err(AppError::conflict(
                "not_suspended",
                format!("`{org_id}` is not suspended from `{scheme}`"),
            ));
        }
    }
    // A linked case gets the event on its timeline, so its clocks see the suspension.
    if let Some(case_id) = &case {
        let loaded =
            crate::casefile::authorize(state, caller, case_id, vulnrelay_domain::Action::AppendEvent).await?;
        if !loaded.parties.iter().any(|p| p.id == org_id) {
            return Err(AppError::invalid(vec![(
                "$.case".into(),
                format!("`{org_id}` is not a party of this case"),
            )]));
        }
        let mut event = json!({"at": change.at.to_rfc3339(), "party": org_id, "membership": scheme, "by": analyst_org.id});
        match &change.change {
            MembershipChangeKind::Suspended { until, reason, .. } => {
                event["type"] = json!("membership_suspended");
                if let Some(until) = until {
                    event["until"] = json!(until.to_rfc3339());
                }
                event["note"] = json!(reason);
            }
            MembershipChangeKind::Restored { review } => {
                event["type"] = json!("membership_restored");
                event["note"] = json!(review);
            }
            _ => {
                return Err(AppError::invalid(vec![(
                    "$.case".into(),
                    "only suspensions and restorations go on a case".into(),
                )]));
            }
        }
        let by_org = crate::casefile::org_fragment(state, &analyst_org.id).await?;
        let new_value = loaded.value_with(std::slice::from_ref(&by_org), std::slice::from_ref(&event))?;
        vulnrelay_formats::case_file::from_value(&new_value)
            .map_err(|e| AppError::invalid(e.problems.into_iter().map(|p| (p.path, p.message)).collect()))?;
        let change_case = CaseChange {
            expected_seq: Some(loaded.record.last_seq),
            parties: vec![by_org],
            events: vec![NewEvent {
                at: change.at,
                body: event,
                recorded_by: Some(analyst.id.clone()),
                override_reason: None,
            }],
            outbox: vec![NewOutboxMessage { topic: "case.event".into(), payload: json!({"case": case_id}) }],
        };
        state.store.change_case(case_id, &change_case, now).await?;
    }
    state.store.record_membership_change(&change).await?;
    let history = state.store.membership_history(org_id).await?;
    Ok(Json(
        json!({"memberships": memberships(&history, now), "membership_history": history.iter().map(change_json).collect::<Vec<_>>()}),
    ))
}

/// `POST /api/v1/orgs/{id}/memberships/{scheme}/join`: records that the organisation joined.
pub async fn join(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, scheme)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> AppResult<Json<Value>> {
    record(&state, &caller, &id, &scheme, &crate::input::optional_json(&body)?, "joined").await
}

/// `POST /api/v1/orgs/{id}/memberships/{scheme}/suspend`: suspends the membership
/// `{until, reason, findings, case}`; with `case`, the suspension goes on that case's timeline.
pub async fn suspend(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, scheme)): Path<(String, String)>,
    ApiJson(body): ApiJson,
) -> AppResult<Json<Value>> {
    record(&state, &caller, &id, &scheme, &body, "suspended").await
}

/// `POST /api/v1/orgs/{id}/memberships/{scheme}/restore`: restores it after a
/// rectification review `{review, case}`.
pub async fn restore(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, scheme)): Path<(String, String)>,
    ApiJson(body): ApiJson,
) -> AppResult<Json<Value>> {
    record(&state, &caller, &id, &scheme, &body, "restored").await
}
