//! The write path of a case and what is read along it: events checked as case-file
//! events, the gates at the moment of action (a refusal kept beside the log), the
//! forwarding rules.

use chrono::{TimeDelta, Utc};
use chrono_tz::Tz;
use serde_json::{Map, Value, json};
use vulnrelay_domain::{Action, Event, EventKind, EventType, NotificationKind, PartyId, ProductId};
use vulnrelay_formats::case_file;
use vulnrelay_store::{CaseChange, Fragment, NewEvent, NewOutboxMessage, StoredEvent};

use crate::App;
use crate::caller::Caller;
use crate::casefile::{Loaded, authorize, load, org_fragment};
use crate::error::{Error, Result};
use crate::forwarding::Trigger;
use crate::gates;
use crate::input::{Body, Checker};

/// A notification of `kind` from `from` to `to`, neither telling of exploitation nor
/// carrying exploit code: the event a report to a platform, a forward or a platform
/// notifying a vendor records.
pub fn notification(
    at: chrono::DateTime<Utc>,
    from: &str,
    to: &str,
    product: Option<&str>,
    kind: NotificationKind,
    note: Option<String>,
) -> Event {
    Event {
        at,
        party: PartyId(from.to_owned()),
        product: product.map(|p| ProductId(p.to_owned())),
        kind: EventKind::Notified {
            to: PartyId(to.to_owned()),
            kind,
            exploited: false,
            with_exploit_code: false,
            content: None,
        },
        note,
    }
}

/// Workflow events only the case's platforms record.
pub const PLATFORM_ONLY: [EventType; 5] = [
    EventType::TriageStarted,
    EventType::Rejected,
    EventType::Duplicate,
    EventType::Closed,
    EventType::Attested,
];

/// The case's time zone.
pub fn tz_of(loaded: &Loaded) -> Tz {
    loaded.case.timezone()
}

/// An event as the API shows it: its sequence, hashes, time and body.
pub fn event_json(event: &StoredEvent) -> Result<Value> {
    Ok(json!({
        "seq": event.seq,
        "event": serde_json::from_str::<Value>(&event.body).map_err(Error::internal)?,
        "recorded_at": event.recorded_at.to_rfc3339(),
        "recorded_by": event.recorded_by,
        "override_reason": event.override_reason,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }))
}

/// Records events on a case: checks them as case-file events (every problem at once,
/// 422), applies the gates (409 `policy_gate`, unless an analyst overrides with a
/// reason) and appends them with the parties they bring, in one transaction.
pub async fn record(
    state: &App,
    caller: &Caller,
    loaded: &Loaded,
    events: Vec<Value>,
    parties: Vec<Fragment>,
    override_reason: Option<String>,
) -> Result<Vec<StoredEvent>> {
    let with = CaseChange { parties, ..CaseChange::default() };
    record_change(state, caller, loaded, events, with, override_reason).await
}

/// [`record`] with whatever else the change brings: parties and products that join
/// the case, private notes of its events and notices to participants (`with`'s
/// `events`, `expected_seq` and `outbox` are filled here).
pub async fn record_change(
    state: &App,
    caller: &Caller,
    loaded: &Loaded,
    events: Vec<Value>,
    with: CaseChange,
    override_reason: Option<String>,
) -> Result<Vec<StoredEvent>> {
    let started = std::time::Instant::now();
    // Only what is new is read; the case as loaded is not written out and read again.
    let fragments = |fragments: &[Fragment]| fragments.iter().map(|f| f.value.clone()).collect::<Vec<_>>();
    let first_new = loaded.case.events().len();
    let case =
        case_file::extend(&loaded.case, &fragments(&with.parties), &fragments(&with.products), &events)
            .map_err(|e| {
                let prefix = format!("$.events[{first_new}]");
                Error::invalid(
                    e.problems
                        .into_iter()
                        .map(|p| {
                            (
                                p.path
                                    .strip_prefix(&prefix)
                                    .map_or(p.path.clone(), |rest| format!("${rest}")),
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
    let narrowed = crate::participants::narrow(&case, &Default::default(), &new_indexes);
    let refusals = match &narrowed {
        Some((checked, moved)) => gates::refusals(checked, moved, &state.packs, as_of),
        None => gates::refusals(&case, &new_indexes, &state.packs, as_of),
    };
    if !refusals.is_empty() {
        match &override_reason {
            None => {
                keep_refusal(state, caller, loaded, &case, &new_indexes, &refusals).await;
                return Err(Error::Refused(refusals));
            }
            Some(_) if !loaded.can(caller, Action::OverrideGate) => {
                keep_refusal(state, caller, loaded, &case, &new_indexes, &refusals).await;
                return Err(Error::forbidden("only the platform's analysts may override a gate"));
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
    crate::federation::outbound::queue(state, &loaded.record.id).await;
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
async fn joining_parties(state: &App, loaded: &Loaded, event: &Value) -> Result<Vec<Fragment>> {
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

/// What the gates refused on case `id` that `caller` may see: every refusal for the
/// case's platforms, a party's own organisation's for the others who may read it.
pub async fn visible_refusals(
    state: &App,
    caller: &Caller,
    loaded: &Loaded,
) -> Result<Vec<vulnrelay_store::GateRefusal>> {
    let all = state.store.gate_refusals(&loaded.record.id).await?;
    if crate::relations::works_on(caller, loaded) {
        return Ok(all);
    }
    let own = caller.account.as_ref().and_then(|a| a.org_id.clone());
    Ok(all.into_iter().filter(|r| own.as_deref() == Some(r.party.as_str())).collect())
}

/// Keeps what the gates refused beside the case's log (each refused event: its type,
/// party and recipient, and the rules), so the refusal is on the case's timeline. A
/// failure to keep it is logged; the refusal stands either way.
async fn keep_refusal(
    state: &App,
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

/// Body of `POST /api/v1/cases/{id}/events`: one event in the case-file vocabulary
/// (`docs/case-file.schema.json`, `$defs/event`), where `at` defaults to now, `party`
/// to the caller's organisation and `product` to the case's only product; the fields
/// of its type (`to`, `kind`, `version`, ...) are checked as the case file's.
#[derive(Debug, Clone, utoipa::ToSchema)]
pub struct EventBody {
    /// The event's type (`verified`, `notified`, `fix_available`, `published`, ...).
    #[schema(rename = "type", value_type = String)]
    pub event_type: EventType,
    /// When it happened (RFC 3339, or a date in the case's time zone); default now.
    pub at: Option<String>,
    /// The party that did it (default: the caller's organisation).
    pub party: Option<String>,
    /// The product concerned.
    pub product: Option<String>,
    /// A note for people reading the timeline.
    pub note: Option<String>,
    /// Why a gate that would refuse the event is overridden.
    pub override_reason: Option<String>,
    /// The fields of its type, as the case file writes them.
    #[schema(ignore)]
    pub details: Map<String, Value>,
}

impl Body for EventBody {
    const FIELDS: &'static [&'static str] = &["type", "at", "party", "product", "note", "override_reason"];
    const OPEN: bool = true;

    fn read_fields(check: &mut Checker, object: &Map<String, Value>) -> Option<Self> {
        let event_type = check
            .string(object, "$", "type", true)
            .and_then(|t| t.parse::<EventType>().map_err(|e| check.problem("$.type", e)).ok());
        let mut text = |key| check.string(object, "$", key, false).map(str::to_owned);
        let (at, party, product, note) = (text("at"), text("party"), text("product"), text("note"));
        let override_reason = match object.get("override_reason") {
            None | Some(Value::Null) => None,
            Some(Value::String(reason)) if !reason.trim().is_empty() => Some(reason.clone()),
            Some(_) => {
                check.problem("$.override_reason", "expected a non-empty string");
                None
            }
        };
        let details = object
            .iter()
            .filter(|(k, _)| !Self::FIELDS.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()));
        Some(EventBody {
            event_type: event_type?,
            at,
            party,
            product,
            note,
            override_reason,
            details: details.collect(),
        })
    }
}

impl EventBody {
    /// The event as the case file writes it, before its defaults.
    fn into_case_file_event(self) -> (Map<String, Value>, Option<String>) {
        let mut event = self.details;
        event.insert("type".into(), json!(self.event_type.as_str()));
        for (key, value) in
            [("at", self.at), ("party", self.party), ("product", self.product), ("note", self.note)]
        {
            if let Some(value) = value {
                event.insert(key.into(), json!(value));
            }
        }
        (event, self.override_reason)
    }
}

/// Records one event on case `id` for `caller` (the body of `POST
/// /api/v1/cases/{id}/events`, also built by the web UI's case actions) and runs the
/// forwarding rules it triggers; answers the stored events, the new state and the
/// forwards.
pub async fn append_event(state: &App, caller: &Caller, id: &str, body: EventBody) -> Result<Value> {
    let account = caller.require()?.clone();
    let loaded = authorize(state, caller, id, Action::AppendEvent).await?;
    let event_type = body.event_type;
    let (mut event, override_reason) = body.into_case_file_event();
    let now = Utc::now();
    let tz = tz_of(&loaded);
    event.entry("at").or_insert_with(|| json!(now.with_timezone(&tz).to_rfc3339()));
    let own_org = account.org_id.clone().unwrap_or_default();
    event.entry("party").or_insert_with(|| json!(own_org));
    if event_type.needs_product()
        && !event.contains_key("product")
        && let Some(product) = crate::participants::default_product(&loaded)
    {
        event.insert("product".into(), json!(product));
    }
    let platform_work = loaded.can(caller, Action::Forward);
    let mut check = Checker::default();
    if let Some(at) = check.event_time(&event, "$", "at", true, tz, now)
        && at > now + TimeDelta::minutes(5)
    {
        check.problem("$.at", "must not be in the future");
    }
    check.finish()?;
    if event_type == EventType::VendorStatus {
        // Checked there against the product's provider, with its private note.
        return Err(Error::invalid(vec![(
            "$.type".into(),
            "a vendor's status is recorded through POST /api/v1/cases/{id}/vendor-status".into(),
        )]));
    }
    if event.get("party").and_then(Value::as_str) != Some(own_org.as_str()) && !platform_work {
        return Err(Error::forbidden("you may record events of your own organisation only"));
    }
    if PLATFORM_ONLY.contains(&event_type) && !platform_work {
        return Err(Error::forbidden(format!("only the case's platforms record `{event_type}`")));
    }
    claims_it_may_make(state, &loaded, &event, event_type, now).await?;
    let current = loaded.state();
    if !current.accepts(event_type) {
        return Err(Error::conflict(
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
        state.sign_case_head(id).await;
    }
    let after = load(state, id).await?;
    let body = json!({
        "events": stored.iter().map(event_json).collect::<Result<Vec<_>>>()?,
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
    state: &App,
    loaded: &Loaded,
    event: &serde_json::Map<String, Value>,
    event_type: EventType,
    now: chrono::DateTime<Utc>,
) -> Result<()> {
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
        return Err(Error::invalid(vec![(
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
            return Err(Error::invalid(problems));
        }
    }
    Ok(())
}

/// Applies the forwarding rules for `triggers` (`(organisation, trigger)`), following
/// the chain (a forward is a `received` trigger for its recipient), up to a few hops.
/// A forward a gate refuses is not recorded and is reported as refused.
pub async fn run_forwards(
    state: &App,
    account_id: &str,
    case_id: &str,
    mut triggers: Vec<(String, Trigger)>,
) -> Result<Vec<Value>> {
    let mut results = Vec::new();
    // Read once a rule applies (most intakes match none).
    let mut system: Option<Caller> = None;
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
                let event = notification(
                    Utc::now(),
                    &from,
                    &target.id,
                    None,
                    NotificationKind::Report,
                    note.map(str::to_owned),
                );
                let event = case_file::event_to_value(&event, tz_of(&loaded));
                let parties = vec![org_fragment(state, &target.id).await?];
                let caller = match system.take() {
                    Some(caller) => caller,
                    None => Caller { account: Some(state.store.account(account_id).await?) },
                };
                let recorded = record(state, &caller, &loaded, vec![event], parties, None).await;
                system = Some(caller);
                match recorded {
                    Ok(_) => {
                        results.push(json!({"from": from, "to": target.id, "status": "forwarded"}));
                        next.push((target.id.clone(), Trigger::Received));
                    }
                    Err(e @ Error::Refused(_)) => {
                        results.push(
                            json!({"from": from, "to": target.id, "status": "refused", "error": e.details()}),
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
