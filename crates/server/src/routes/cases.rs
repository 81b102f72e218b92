//! Cases: their summary, timeline, events appended by actions (through the gates),
//! forwarding along the reporting chain, comments, the planned public date, compliance,
//! export, attachments, the caller's deadlines, and the audit of the event chains.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use vulnrelay_domain::{Action, CaseState, EventType};
use vulnrelay_formats::case_file;
use vulnrelay_formats::compliance::{self, Evaluated};
use vulnrelay_policy::{Interpretation, Options, RuleKind, Status};

use vulnrelay_store::projections::DueCursor;
use vulnrelay_store::{CaseChange, Fragment, NewEvent, NewOutboxMessage, StoredEvent};

use crate::AppState;
use crate::auth::Caller;
use crate::casefile::{Loaded, authorize, load, org_fragment};
use crate::errors::{AppError, AppResult};
use crate::forwarding::Trigger;
use crate::gates;
use crate::input::{ApiJson, Checker};

/// Workflow events only the case's platforms record.
pub(crate) const PLATFORM_ONLY: [EventType; 5] = [
    EventType::TriageStarted,
    EventType::Rejected,
    EventType::Duplicate,
    EventType::Closed,
    EventType::Attested,
];

/// The case's time zone.
pub(crate) fn tz_of(loaded: &Loaded) -> Tz {
    loaded.case.timezone()
}

/// A time in UTC and in the case's time zone.
fn shown(t: DateTime<Utc>, tz: Tz) -> Value {
    json!({"utc": t.to_rfc3339(), "local": t.with_timezone(&tz).to_rfc3339(), "timezone": tz.name()})
}

fn summary(loaded: &Loaded) -> Value {
    listed(&loaded.record, loaded.state())
}

/// A case's summary from its record and state (the case list reads both from the
/// derived views, without loading the case).
fn listed(record: &vulnrelay_store::CaseRecord, case_state: CaseState) -> Value {
    let tz: Tz = record.timezone.parse().unwrap_or(Tz::UTC);
    json!({
        "id": record.id,
        "title": record.title,
        "state": case_state.as_str(),
        "timezone": tz.name(),
        "reporter": record.reporter_org,
        "platform": record.platform_org,
        "created_at": record.created_at.to_rfc3339(),
        "events": record.last_seq,
        "planned_public_at": record.planned_public_at.map(|t| shown(t, tz)),
    })
}

/// Query of `GET /api/v1/cases`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Return cases after this case id (the previous page's `next`).
    pub after: Option<String>,
    /// Page size (default 50, at most 200).
    pub limit: Option<usize>,
    /// Only cases in this state.
    pub state: Option<String>,
}

/// `GET /api/v1/cases`: the cases the caller may see, oldest first, by pages.
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<ListQuery>,
) -> AppResult<Json<Value>> {
    let limit = query.limit.unwrap_or(50).clamp(1, 200);
    let wanted = match &query.state {
        Some(s) => Some(s.parse::<CaseState>().map_err(|e| AppError::invalid(vec![("state".into(), e)]))?),
        None => None,
    };
    let (listed_cases, next) =
        crate::casefile::listable(&state, &caller, wanted, query.after.clone(), limit).await?;
    let items: Vec<Value> =
        listed_cases.iter().map(|(record, case_state)| listed(record, *case_state)).collect();
    Ok(Json(json!({"cases": items, "next": next})))
}

/// `GET /api/v1/cases/{id}`: the case's summary, parties, products and report.
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    let loaded = authorize(&state, &caller, &id, Action::Read).await?;
    let mut body = summary(&loaded);
    body["parties"] = loaded.parties.iter().map(|p| p.value.clone()).collect();
    body["products"] = loaded.products.iter().map(|p| p.value.clone()).collect();
    body["report"] = match state.store.report(&id).await {
        Ok(report) => loaded.report_for(&caller, report.body),
        Err(vulnrelay_store::StoreError::NotFound { .. }) => Value::Null,
        Err(other) => return Err(other.into()),
    };
    Ok(Json(body))
}

fn event_json(event: &StoredEvent) -> AppResult<Value> {
    Ok(json!({
        "seq": event.seq,
        "event": serde_json::from_str::<Value>(&event.body).map_err(AppError::internal)?,
        "recorded_at": event.recorded_at.to_rfc3339(),
        "recorded_by": event.recorded_by,
        "override_reason": event.override_reason,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }))
}

/// `GET /api/v1/cases/{id}/events`: the timeline as stored, with the hash chain.
pub async fn events(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    let loaded = authorize(&state, &caller, &id, Action::Read).await?;
    let hidden = crate::sanctions::undisclosed_case_events(&state, &caller, &loaded.case).await?;
    let events: Vec<Value> = loaded
        .events
        .iter()
        .enumerate()
        .filter(|(i, _)| !hidden.contains(i))
        .map(|(_, e)| event_json(e))
        .collect::<AppResult<_>>()?;
    Ok(Json(json!({"case": id, "state": loaded.state().as_str(), "events": events})))
}

/// Records events on a case: checks them as case-file events (every problem at once,
/// 422), applies the gates (409 `policy_gate`, unless an analyst overrides with a
/// reason) and appends them with the parties they bring, in one transaction.
pub async fn record(
    state: &AppState,
    caller: &Caller,
    loaded: &Loaded,
    events: Vec<Value>,
    parties: Vec<Fragment>,
    override_reason: Option<String>,
) -> AppResult<Vec<StoredEvent>> {
    let with = CaseChange { parties, ..CaseChange::default() };
    record_change(state, caller, loaded, events, with, override_reason).await
}

/// [`record`] with whatever else the change brings: parties and products that join
/// the case, private notes of its events and notices to participants (`with`'s
/// `events`, `expected_seq` and `outbox` are filled here).
pub async fn record_change(
    state: &AppState,
    caller: &Caller,
    loaded: &Loaded,
    events: Vec<Value>,
    with: CaseChange,
    override_reason: Option<String>,
) -> AppResult<Vec<StoredEvent>> {
    let started = std::time::Instant::now();
    let value = loaded.value_with_all(&with.parties, &with.products, &events)?;
    let first_new = loaded.events.len();
    let case = case_file::from_value(&value).map_err(|e| {
        let prefix = format!("$.events[{first_new}]");
        AppError::invalid(
            e.problems
                .into_iter()
                .map(|p| {
                    (
                        p.path.strip_prefix(&prefix).map_or(p.path.clone(), |rest| format!("${rest}")),
                        p.message,
                    )
                })
                .collect(),
        )
    })?;
    let new_indexes: Vec<usize> = (first_new..first_new + events.len()).collect();
    let checked = started.elapsed();
    let now = Utc::now();
    let as_of = new_indexes.iter().map(|&i| case.events()[i].at).max().unwrap_or(now).max(now);
    // The gates see the case without the downstream vendors the new events do not
    // involve (a case coordinating thousands of them checks what it must).
    let narrowed = crate::coordination::narrow(&case, &Default::default(), &new_indexes);
    let refusals = match &narrowed {
        Some((checked, moved)) => gates::refusals(checked, moved, &state.packs, as_of),
        None => gates::refusals(&case, &new_indexes, &state.packs, as_of),
    };
    if !refusals.is_empty() {
        match &override_reason {
            None => {
                keep_refusal(state, caller, loaded, &case, &new_indexes, &refusals).await;
                return Err(gates::error(&refusals));
            }
            Some(_) if !loaded.can(caller, Action::OverrideGate) => {
                keep_refusal(state, caller, loaded, &case, &new_indexes, &refusals).await;
                return Err(AppError::forbidden("only the platform's analysts may override a gate"));
            }
            Some(_) => {
                tracing::warn!(case = %loaded.record.id, rules = ?refusals.iter().map(|r| &r.rule).collect::<Vec<_>>(), "gate overridden");
            }
        }
    }
    let gated = started.elapsed();
    let recorded_by = caller.account.as_ref().map(|a| a.id.clone());
    let new_events: Vec<NewEvent> = new_indexes
        .iter()
        .zip(events)
        .map(|(&i, body)| NewEvent {
            at: case.events()[i].at,
            body,
            recorded_by: recorded_by.clone(),
            override_reason: if refusals.is_empty() { None } else { override_reason.clone() },
        })
        .collect();
    let (parties, products) = (with.parties.clone(), with.products.clone());
    let change = CaseChange {
        expected_seq: Some(loaded.record.last_seq),
        events: new_events,
        outbox: vec![NewOutboxMessage {
            topic: "case.event".into(),
            payload: json!({"case": loaded.record.id, "overridden": refusals.iter().map(|r| &r.rule).collect::<Vec<_>>()}),
        }],
        ..with
    };
    let stored = state.store.change_case(&loaded.record.id, &change, now).await?;
    let written = started.elapsed();
    state.boards.changed(state, loaded, (&parties, &products, &stored), case).await;
    let kept = started.elapsed();
    crate::warnings::after_case_changed(state, &loaded.record.id).await;
    crate::federation::queue(state, &loaded.record.id).await;
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
    tracing::debug!(
        case = %loaded.record.id,
        checked_ms = ms(checked),
        gated_ms = ms(gated - checked),
        written_ms = ms(written - gated),
        kept_ms = ms(kept - written),
        after_ms = ms(started.elapsed() - kept),
        "case changed"
    );
    Ok(stored)
}

/// The organisations an event refers to (`to`, `by`) that are not yet on the case but
/// exist: they join the case with the event. Unknown ones are left for the case-file
/// check to report.
async fn joining_parties(state: &AppState, loaded: &Loaded, event: &Value) -> AppResult<Vec<Fragment>> {
    let mut parties = Vec::new();
    for key in ["to", "by", "party"] {
        let Some(id) = event.get(key).and_then(Value::as_str) else { continue };
        if loaded.parties.iter().any(|p| p.id == id) || parties.iter().any(|p: &Fragment| p.id == id) {
            continue;
        }
        match state.store.org(id).await {
            Ok(org) if org.status == vulnrelay_store::Status::Active => {
                parties.push(org_fragment(state, id).await?)
            }
            Ok(_) | Err(vulnrelay_store::StoreError::NotFound { .. }) => {}
            Err(other) => return Err(other.into()),
        }
    }
    Ok(parties)
}

/// `POST /api/v1/cases/{id}/events`: records an event in the case-file vocabulary
/// (`at` defaults to now, `party` to the caller's organisation), with an optional
/// `override_reason` for a gate.
pub async fn append(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson,
) -> AppResult<Response> {
    let answer = append_event(&state, &caller, &id, body).await?;
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

/// Records one event on case `id` for `caller` (the body of `POST
/// /api/v1/cases/{id}/events`, also built by the web UI's case actions) and runs the
/// forwarding rules it triggers; answers the stored events, the new state and the
/// forwards.
/// What the gates refused on case `id` that `caller` may see: every refusal for the
/// case's platforms, a party's own organisation's for the others who may read it.
pub(crate) async fn visible_refusals(
    state: &AppState,
    caller: &Caller,
    loaded: &Loaded,
) -> AppResult<Vec<vulnrelay_store::GateRefusal>> {
    let all = state.store.gate_refusals(&loaded.record.id).await?;
    if crate::relations::works_on(caller, loaded) {
        return Ok(all);
    }
    let own = caller.account.as_ref().and_then(|a| a.org_id.clone());
    Ok(all.into_iter().filter(|r| own.as_deref() == Some(r.party.as_str())).collect())
}

/// `GET /api/v1/cases/{id}/refusals`: what the gates refused on the case — the
/// attempted event (type, party, recipient), when, by whom and the refusing rules —
/// for those who may read the case (see [`visible_refusals`]).
pub async fn refusals(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    let loaded = authorize(&state, &caller, &id, Action::Read).await?;
    let refusals = visible_refusals(&state, &caller, &loaded).await?;
    let items: Vec<Value> = refusals
        .iter()
        .map(|r| {
            json!({"at": r.at.to_rfc3339(), "recorded_by": r.recorded_by, "party": r.party,
                   "type": r.event_type, "to": r.recipient, "rules": r.rules})
        })
        .collect();
    Ok(Json(json!({"case": id, "refusals": items})))
}

/// Keeps what the gates refused beside the case's log (each refused event: its type,
/// party and recipient, and the rules), so the refusal is on the case's timeline. A
/// failure to keep it is logged; the refusal stands either way.
async fn keep_refusal(
    state: &AppState,
    caller: &Caller,
    loaded: &Loaded,
    case: &vulnrelay_domain::Case,
    new_indexes: &[usize],
    refusals: &[gates::Refusal],
) {
    let rules = serde_json::Value::Array(gates::details(refusals));
    for &i in new_indexes {
        let Some(event) = case.events().get(i) else { continue };
        let refusal = vulnrelay_store::GateRefusal {
            case_id: loaded.record.id.clone(),
            at: Utc::now(),
            recorded_by: caller.account.as_ref().map(|a| a.id.clone()),
            party: event.party.0.clone(),
            event_type: event.kind.event_type().as_str().to_owned(),
            recipient: event.recipient().map(|r| r.0.clone()),
            rules: rules.clone(),
        };
        if let Err(error) = state.store.refuse_event(&refusal).await {
            tracing::warn!(case = %loaded.record.id, %error, "keeping a gate refusal failed");
        }
    }
}

pub(crate) async fn append_event(
    state: &AppState,
    caller: &Caller,
    id: &str,
    body: Value,
) -> AppResult<Value> {
    let account = caller.require()?.clone();
    let loaded = authorize(state, caller, id, Action::AppendEvent).await?;
    let Value::Object(mut event) = body else {
        return Err(AppError::invalid(vec![("$".into(), "expected an object".into())]));
    };
    let override_reason = match event.remove("override_reason") {
        None | Some(Value::Null) => None,
        Some(Value::String(reason)) if !reason.trim().is_empty() => Some(reason),
        Some(_) => {
            return Err(AppError::invalid(vec![(
                "$.override_reason".into(),
                "expected a non-empty string".into(),
            )]));
        }
    };
    let now = Utc::now();
    let tz = tz_of(&loaded);
    event.entry("at").or_insert_with(|| json!(now.with_timezone(&tz).to_rfc3339()));
    let own_org = account.org_id.clone().unwrap_or_default();
    event.entry("party").or_insert_with(|| json!(own_org));
    let about_one = event.get("type").and_then(Value::as_str).and_then(|t| t.parse::<EventType>().ok());
    if about_one.is_some_and(EventType::needs_product)
        && !event.contains_key("product")
        && let Some(product) = crate::coordination::default_product(&loaded)
    {
        event.insert("product".into(), json!(product));
    }
    let platform_work = loaded.can(caller, Action::Forward);
    let mut check = Checker::default();
    let event_type = check
        .string(&event, "$", "type", true)
        .and_then(|t| t.parse::<EventType>().map_err(|e| check.problem("$.type", e)).ok());
    if let Some(at) = check.event_time(&event, "$", "at", true, tz)
        && at > now + TimeDelta::minutes(5)
    {
        check.problem("$.at", "must not be in the future");
    }
    check.finish()?;
    let Some(event_type) = event_type else { return Err(AppError::bad_request("unreadable event")) };
    if event_type == EventType::VendorStatus {
        // Checked there against the product's provider, with its private note.
        return Err(AppError::invalid(vec![(
            "$.type".into(),
            "a vendor's status is recorded through POST /api/v1/cases/{id}/vendor-status".into(),
        )]));
    }
    if event.get("party").and_then(Value::as_str) != Some(own_org.as_str()) && !platform_work {
        return Err(AppError::forbidden("you may record events of your own organisation only"));
    }
    if PLATFORM_ONLY.contains(&event_type) && !platform_work {
        return Err(AppError::forbidden(format!("only the case's platforms record `{event_type}`")));
    }
    claims_it_may_make(state, &loaded, &event, event_type, now).await?;
    let current = loaded.state();
    if !current.accepts(event_type) {
        return Err(AppError::conflict(
            "invalid_transition",
            format!("a `{event_type}` event cannot be recorded on a case that is {current}"),
        ));
    }
    let event = Value::Object(event);
    let parties = joining_parties(state, &loaded, &event).await?;
    let stored = record(state, caller, &loaded, vec![event.clone()], parties, override_reason).await?;
    let mut triggers = Vec::new();
    let actor = event.get("party").and_then(Value::as_str).unwrap_or_default().to_owned();
    if event_type == EventType::Verified {
        triggers.push((actor, Trigger::Verified));
    }
    if event_type == EventType::Notified
        && let Some(to) = event.get("to").and_then(Value::as_str)
    {
        triggers.push((to.to_owned(), Trigger::Received));
    }
    let forwarded = run_forwards(state, &account.id, id, triggers).await?;
    if event_type == EventType::Published {
        // A publication is signed at once, not at the next beat of the worker.
        state.sign_heads().await;
    }
    let after = load(state, id).await?;
    let body = json!({
        "events": stored.iter().map(event_json).collect::<AppResult<Vec<_>>>()?,
        "state": after.state().as_str(),
        "forwarded": forwarded,
    });
    Ok(body)
}

/// What a party may say of the past. A notification to a platform on vulnrelay happens
/// when the platform receives it: its time is the recorded time, never a claimed
/// earlier one (send it now, or a platform attests an earlier one). An attestation
/// names an earlier event that is a claim, and gives its reason.
async fn claims_it_may_make(
    state: &AppState,
    loaded: &Loaded,
    event: &serde_json::Map<String, Value>,
    event_type: EventType,
    now: chrono::DateTime<Utc>,
) -> AppResult<()> {
    let tz = tz_of(loaded);
    let at = event.get("at").and_then(Value::as_str).and_then(|t| case_file::parse_time(t, tz).ok());
    let claimed_earlier =
        at.is_some_and(|at| at + TimeDelta::minutes(crate::casefile::RECORDED_TOLERANCE_MINUTES) < now);
    if event_type == EventType::Notified
        && claimed_earlier
        && let Some(to) = event.get("to").and_then(Value::as_str)
        && state
            .store
            .org(to)
            .await
            .is_ok_and(|org| org.roles.iter().any(|r| vulnrelay_domain::PLATFORM_ROLES.contains(r)))
    {
        return Err(AppError::invalid(vec![(
            "$.at".into(),
            format!(
                "`{to}` is a platform: a notification to it happens when it receives it, so its time is the time of recording; leave `at` out"
            ),
        )]));
    }
    if event_type == EventType::Attested {
        let mut problems = Vec::new();
        match event.get("event").and_then(Value::as_u64).map(|i| i as usize) {
            Some(i) if loaded.evidence.get(i) == Some(&vulnrelay_domain::EvidenceQuality::Claimed) => {}
            Some(i) if i < loaded.evidence.len() => problems
                .push(("$.event".into(), format!("event {i} is not a claim; only a claim is attested"))),
            _ => problems.push(("$.event".into(), "the index of an earlier event of this case".into())),
        }
        if event.get("note").and_then(Value::as_str).is_none_or(|n| n.trim().is_empty()) {
            problems.push(("$.note".into(), "an attestation gives its reason".into()));
        }
        if !problems.is_empty() {
            return Err(AppError::invalid(problems));
        }
    }
    Ok(())
}

/// Applies the forwarding rules for `triggers` (`(organisation, trigger)`), following
/// the chain (a forward is a `received` trigger for its recipient), up to a few hops.
/// A forward a gate refuses is not recorded and is reported as refused.
pub async fn run_forwards(
    state: &AppState,
    account_id: &str,
    case_id: &str,
    mut triggers: Vec<(String, Trigger)>,
) -> AppResult<Vec<Value>> {
    let mut results = Vec::new();
    let system = Caller { account: Some(state.store.account(account_id).await?) };
    for _hop in 0..4 {
        let mut next = Vec::new();
        for (from, trigger) in std::mem::take(&mut triggers) {
            for (to, note) in state.config.forwarding.targets(&from, trigger) {
                let loaded = load(state, case_id).await?;
                let already = loaded
                    .case
                    .events()
                    .iter()
                    .any(|e| e.party.0 == from && e.recipient().is_some_and(|r| r.0 == to));
                if already || !loaded.parties.iter().any(|p| p.id == from) {
                    continue;
                }
                let target = match state.store.org(to).await {
                    Ok(org) => org,
                    Err(vulnrelay_store::StoreError::NotFound { .. }) => {
                        tracing::warn!(%to, "forwarding rule names an unknown organisation");
                        continue;
                    }
                    Err(other) => return Err(other.into()),
                };
                let now = Utc::now();
                let mut event = json!({"at": now.with_timezone(&tz_of(&loaded)).to_rfc3339(), "type": "notified",
                                       "party": from, "to": target.id});
                if let Some(note) = note {
                    event["note"] = json!(note);
                }
                let parties = vec![org_fragment(state, &target.id).await?];
                match record(state, &system, &loaded, vec![event], parties, None).await {
                    Ok(_) => {
                        results.push(json!({"from": from, "to": target.id, "status": "forwarded"}));
                        next.push((target.id.clone(), Trigger::Received));
                    }
                    Err(e) if e.code == "policy_gate" => {
                        results.push(
                            json!({"from": from, "to": target.id, "status": "refused", "error": e.details}),
                        );
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        if next.is_empty() {
            break;
        }
        triggers = next;
    }
    Ok(results)
}

/// `POST /api/v1/cases/{id}/forward`: a platform forwards the case to an organisation
/// `{to, kind?, note?, override_reason?}`: the organisation joins the case and a
/// `notified` event is recorded, through the gates.
pub async fn forward(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson,
) -> AppResult<Response> {
    let account = caller.require()?.clone();
    let loaded = authorize(&state, &caller, &id, Action::Forward).await?;
    let mut check = Checker::default();
    let mut fields = None;
    if let Some(o) = check.object(&body, "$", &["to", "kind", "note", "override_reason"]) {
        let to = check.string(o, "$", "to", true).map(str::to_owned);
        let kind = check.string(o, "$", "kind", false).map(str::to_owned);
        let note = check.string(o, "$", "note", false).map(str::to_owned);
        let reason = check.string(o, "$", "override_reason", false).map(str::to_owned);
        fields = to.map(|to| (to, kind, note, reason));
    }
    check.finish()?;
    let Some((to, kind, note, reason)) = fields else {
        return Err(AppError::bad_request("unreadable forward"));
    };
    let target = match state.store.org(&to).await {
        Ok(org) => org,
        Err(vulnrelay_store::StoreError::NotFound { .. }) => {
            return Err(AppError::invalid(vec![("$.to".into(), format!("unknown organisation `{to}`"))]));
        }
        Err(other) => return Err(other.into()),
    };
    if !loaded.state().accepts(EventType::Notified) {
        return Err(AppError::conflict("invalid_transition", format!("the case is {}", loaded.state())));
    }
    let from = account.org_id.clone().unwrap_or_default();
    let mut event = json!({"at": Utc::now().with_timezone(&tz_of(&loaded)).to_rfc3339(), "type": "notified", "party": from, "to": target.id});
    if let Some(kind) = kind {
        event["kind"] = json!(kind);
    }
    if let Some(note) = note {
        event["note"] = json!(note);
    }
    let parties = vec![org_fragment(&state, &target.id).await?];
    let stored = record(&state, &caller, &loaded, vec![event], parties, reason).await?;
    let forwarded =
        run_forwards(&state, &account.id, &id, vec![(target.id.clone(), Trigger::Received)]).await?;
    let body = json!({"events": stored.iter().map(event_json).collect::<AppResult<Vec<_>>>()?, "forwarded": forwarded});
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// `GET /api/v1/cases/{id}/comments`.
pub async fn comments(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    authorize(&state, &caller, &id, Action::Comment).await?;
    let comments = state.store.comments(&id).await?;
    let items: Vec<Value> = comments
        .iter()
        .map(|c| json!({"id": c.id, "author": c.account_id, "at": c.at.to_rfc3339(), "body": c.body}))
        .collect();
    Ok(Json(json!({"comments": items})))
}

/// `POST /api/v1/cases/{id}/comments`: `{body}`.
pub async fn comment(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson,
) -> AppResult<Response> {
    let account = caller.require()?.clone();
    authorize(&state, &caller, &id, Action::Comment).await?;
    let mut check = Checker::default();
    let text = check
        .object(&body, "$", &["body"])
        .and_then(|o| check.string(o, "$", "body", true))
        .map(str::to_owned);
    check.finish()?;
    let text = text.unwrap_or_default();
    if text.len() > 20_000 {
        return Err(AppError::invalid(vec![("$.body".into(), "longer than 20000 bytes".into())]));
    }
    let comment = state.store.add_comment(&id, Some(&account.id), &text, Utc::now()).await?;
    let body = json!({"id": comment.id, "author": comment.account_id, "at": comment.at.to_rfc3339(), "body": comment.body});
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// `PUT /api/v1/cases/{id}/embargo`: `{"planned_public_at": TIME | null}`; stored in UTC,
/// shown in UTC and in the case's time zone.
pub async fn embargo(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson,
) -> AppResult<Json<Value>> {
    let account = caller.require()?.clone();
    let loaded = authorize(&state, &caller, &id, Action::SetEmbargo).await?;
    let tz = tz_of(&loaded);
    let mut check = Checker::default();
    let mut planned = None;
    if let Some(o) = check.object(&body, "$", &["planned_public_at"]) {
        if !o.contains_key("planned_public_at") {
            check.problem("$.planned_public_at", "missing required field (null clears it)");
        }
        planned = check.time(o, "$", "planned_public_at", false, tz);
    }
    check.finish()?;
    state.store.set_embargo(&id, planned, Some(&account.id), Utc::now()).await?;
    Ok(Json(json!({"case": id, "planned_public_at": planned.map(|t| shown(t, tz))})))
}

/// Query of the compliance endpoint.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ComplianceQuery {
    /// Evaluate as of this time (RFC 3339, or a date in the case's time zone); default now.
    pub as_of: Option<String>,
    /// How day-based deadlines are read, as `vulnrelay check --interpretation` takes it:
    /// a bare reading (`hours`, default; `calendar-days`; `civil-code-holidays`;
    /// `eu-1182-71`) for every policy that offers it, and/or `POLICY=READING`, separated
    /// by commas (`calendar-days,eu-cra-2024=eu-1182-71`).
    pub interpretation: Option<String>,
}

/// `GET /api/v1/cases/{id}/compliance`: exactly the findings JSON of `vulnrelay check`
/// for the case (its `source` is the case id).
pub async fn compliance(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(query): Query<ComplianceQuery>,
) -> AppResult<Json<Value>> {
    let loaded = authorize(&state, &caller, &id, Action::Read).await?;
    let mut interpretation = Interpretation::Hours;
    let mut settings = state.config.policy.clone();
    let invalid = |e: String| AppError::invalid(vec![("interpretation".into(), e)]);
    for part in query.interpretation.as_deref().unwrap_or_default().split(',').filter(|p| !p.is_empty()) {
        match part.split_once('=') {
            None => interpretation = part.parse::<Interpretation>().map_err(invalid)?,
            Some((policy, reading)) => {
                let reading = reading.parse::<Interpretation>().map_err(invalid)?;
                settings.interpretations.insert(policy.to_owned(), reading);
            }
        }
    }
    settings.check(&state.packs).map_err(|problems| invalid(problems.join("; ")))?;
    let now = Utc::now();
    let as_of = match &query.as_of {
        None => now,
        Some(text) => case_file::parse_time(text, tz_of(&loaded))
            .map_err(|e| AppError::invalid(vec![("as_of".into(), e)]))?,
    };
    let as_of_text = query.as_of.clone().unwrap_or_else(|| now.to_rfc3339());
    let findings = vulnrelay_policy::evaluate_with(
        &loaded.case,
        &state.packs,
        &Options { as_of, interpretation },
        &settings,
    );
    let recorded_case = loaded.recorded_reading();
    let recorded = recorded_case.as_ref().map(|case| {
        vulnrelay_policy::evaluate_with(case, &state.packs, &Options { as_of, interpretation }, &settings)
    });
    let evaluated = [Evaluated {
        source: id.clone(),
        case: &loaded.case,
        as_of,
        findings: &findings,
        evidence: Some(&loaded.evidence),
        recorded: recorded.as_deref(),
    }];
    let report = compliance::report(&as_of_text, interpretation, &settings, &state.packs, &evaluated);
    Ok(Json(serde_json::to_value(report).map_err(AppError::internal)?))
}

/// `GET /api/v1/cases/{id}/export`: the case file, which `vulnrelay check` accepts.
pub async fn export(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let loaded = authorize(&state, &caller, &id, Action::Read).await?;
    let value = case_file::to_value(&loaded.case);
    let disposition = format!("attachment; filename=\"{id}.json\"");
    Ok(([(header::CONTENT_DISPOSITION, disposition)], Json(value)).into_response())
}

/// `GET /api/v1/cases/{id}/attachments`: attachment metadata; exploit code is listed
/// only to those who may read it.
pub async fn attachments(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    let loaded = authorize(&state, &caller, &id, Action::Read).await?;
    if !loaded.takes_part(&caller) {
        return Ok(Json(json!({"attachments": []})));
    }
    let exploit = loaded.can(&caller, Action::ReadExploitCode);
    let items: Vec<Value> = state
        .store
        .attachments(&id)
        .await?
        .iter()
        .filter(|a| exploit || !a.exploit_code)
        .map(|a| {
            json!({"id": a.id, "filename": a.filename, "media_type": a.media_type, "size": a.size,
                        "sha256": a.sha256, "exploit_code": a.exploit_code})
        })
        .collect();
    Ok(Json(json!({"attachments": items})))
}

/// `GET /api/v1/cases/{id}/attachments/{attachment}`: the content; exploit code only
/// to those who may read it (404 to everyone else).
pub async fn attachment(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, attachment)): Path<(String, String)>,
) -> AppResult<Response> {
    let loaded = authorize(&state, &caller, &id, Action::Read).await?;
    if !loaded.takes_part(&caller) {
        return Err(AppError::not_found("attachment"));
    }
    let (meta, content) = state.store.attachment(&id, &attachment).await?;
    if meta.exploit_code && !loaded.can(&caller, Action::ReadExploitCode) {
        return Err(AppError::not_found("attachment"));
    }
    let disposition = format!("attachment; filename=\"{}\"", meta.filename.replace('"', ""));
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        Body::from(content),
    )
        .into_response())
}

/// Query of `GET /api/v1/deadlines`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeadlinesQuery {
    /// How far ahead: `48h`, `7d`, `30m` (default `48h`).
    pub within: Option<String>,
    /// Page size (default 100, at most 500).
    pub limit: Option<usize>,
    /// Obligations after this one (the previous page's `next`).
    pub after: Option<String>,
}

/// Parses `48h`, `7d`, `30m` (see `vulnrelay_formats::time::parse_window`).
pub fn parse_within(text: &str) -> Result<TimeDelta, String> {
    vulnrelay_formats::time::parse_window(text)
}

/// `GET /api/v1/deadlines?within=48h`: the open obligations (pending or overdue) of the
/// caller's organisation on the cases it may see, due within the window or already
/// overdue, by due time.
pub async fn deadlines(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<DeadlinesQuery>,
) -> AppResult<Json<Value>> {
    let account = caller.require()?;
    let Some(org) = account.org_id.clone() else { return Ok(Json(json!({"deadlines": [], "next": null}))) };
    let within = parse_within(query.within.as_deref().unwrap_or("48h"))
        .map_err(|e| AppError::invalid(vec![("within".into(), e)]))?;
    let after = query
        .after
        .as_deref()
        .map(decode_cursor)
        .transpose()
        .map_err(|e| AppError::invalid(vec![("after".into(), e)]))?;
    let limit = query.limit.unwrap_or(100).clamp(1, 500);
    let (deadlines, next) = deadline_page(&state, &caller, &org, within, after, limit).await?;
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
    Ok(Json(json!({
        "org": org,
        "within": query.within.unwrap_or_else(|| "48h".into()),
        "deadlines": items,
        "next": next.map(|c| encode_cursor(&c)),
    })))
}

/// The page cursor of `/deadlines`: the last obligation's due key, case, rule and
/// product, hex-encoded (opaque to clients).
fn encode_cursor(cursor: &DueCursor) -> String {
    hex::encode(
        [&cursor.due_key, &cursor.case_id, &cursor.rule, &cursor.product].map(String::as_str).join("\n"),
    )
}

fn decode_cursor(text: &str) -> Result<DueCursor, String> {
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
pub(crate) struct Deadline {
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
pub(crate) async fn open_deadlines(
    state: &AppState,
    caller: &Caller,
    org: &str,
    within: TimeDelta,
    limit: usize,
) -> AppResult<Vec<Deadline>> {
    Ok(deadline_page(state, caller, org, within, None, limit).await?.0)
}

/// One page of [`open_deadlines`] after `after`, with the cursor of the next page. The
/// derived views name the obligations due in the window, in due order, through an
/// index; only the cases on the page are loaded, and each is evaluated as of now, so
/// what is shown is the engine's word at this moment, not the view's.
async fn deadline_page(
    state: &AppState,
    caller: &Caller,
    org: &str,
    within: TimeDelta,
    mut after: Option<DueCursor>,
    limit: usize,
) -> AppResult<(Vec<Deadline>, Option<DueCursor>)> {
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
    state: &AppState,
    caller: &Caller,
    org: &str,
    case_id: &str,
    now: DateTime<Utc>,
    horizon: DateTime<Utc>,
) -> AppResult<HashMap<(String, String), Deadline>> {
    let mut found = HashMap::new();
    let loaded = match load(state, case_id).await {
        Ok(loaded) => loaded,
        Err(error) => {
            tracing::error!(case = %case_id, code = error.code, message = %error.message, "case skipped: it cannot be read");
            return Ok(found);
        }
    };
    if !loaded.can(caller, Action::Read) {
        return Ok(found);
    }
    let record = &loaded.record;
    let tz = tz_of(&loaded);
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

/// `GET /api/v1/audit/verify`: walks every case's hash chain and every organisation's
/// log and names every broken link (`broken`: the first, as before; `broken_links`:
/// all of them) (administrators and a platform's staff).
pub async fn verify(State(state): State<AppState>, caller: Caller) -> AppResult<Json<Value>> {
    if crate::relations::admin(&caller).is_none() {
        crate::relations::platform_staff(&state, &caller).await?;
    }
    let report = state.store.verify().await?;
    let links: Vec<Value> =
        report.broken.iter().map(|b| json!({"case": b.case_id, "seq": b.seq, "reason": b.reason})).collect();
    Ok(Json(json!({"ok": links.is_empty(), "cases": report.cases, "events": report.events,
               "org_logs": report.org_logs, "org_events": report.org_events,
               "broken": links.first(), "broken_links": links})))
}
