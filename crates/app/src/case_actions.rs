//! What a case's participants do beside its events: a platform forwards the case along
//! the reporting chain, participants comment, and the planned public date is set.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::{Map, Value, json};
use vulnrelay_domain::{Action, EventType, NotificationKind};
use vulnrelay_formats::case_file;

use crate::App;
use crate::caller::Caller;
use crate::casefile::{authorize, org_fragment};
use crate::cases::{event_json, notification, record, run_forwards, tz_of};
use crate::error::{Error, Result};
use crate::forwarding::Trigger;
use crate::input::{Body, Checker};

/// The longest comment, in bytes.
pub const COMMENT_MAX_BYTES: usize = 20_000;

/// A time in UTC and in the case's time zone.
pub fn shown(t: DateTime<Utc>, tz: Tz) -> Value {
    json!({"utc": t.to_rfc3339(), "local": t.with_timezone(&tz).to_rfc3339(), "timezone": tz.name()})
}

/// Body of `POST /api/v1/cases/{id}/forward`.
#[derive(Debug, Clone, utoipa::ToSchema)]
pub struct ForwardBody {
    /// The organisation the case goes to.
    pub to: String,
    /// What the notification is (`report` by default; `early_warning`,
    /// `vulnerability_notification`, `cve_request`, ... as in the case file).
    #[schema(value_type = Option<String>)]
    pub kind: Option<NotificationKind>,
    /// A note on the notification.
    pub note: Option<String>,
    /// Why a gate that would refuse the forward is overridden.
    pub override_reason: Option<String>,
}

impl Body for ForwardBody {
    const FIELDS: &'static [&'static str] = &["to", "kind", "note", "override_reason"];

    fn read_fields(check: &mut Checker, object: &Map<String, Value>) -> Option<Self> {
        let to = check.string(object, "$", "to", true).map(str::to_owned);
        let kind = check
            .string(object, "$", "kind", false)
            .and_then(|k| k.parse::<NotificationKind>().map_err(|e| check.problem("$.kind", e)).ok());
        let note = check.string(object, "$", "note", false).map(str::to_owned);
        let override_reason = check.string(object, "$", "override_reason", false).map(str::to_owned);
        Some(ForwardBody { to: to?, kind, note, override_reason })
    }
}

/// `POST /api/v1/cases/{id}/forward`: a platform forwards the case to an organisation,
/// which joins the case; a `notified` event from the platform's organisation is
/// recorded through the gates, then the forwarding rules run for the recipient.
pub async fn forward(state: &App, caller: &Caller, id: &str, body: ForwardBody) -> Result<Value> {
    let account = caller.require()?.clone();
    let loaded = authorize(state, caller, id, Action::Forward).await?;
    let target = match state.store.org(&body.to).await {
        Ok(org) => org,
        Err(vulnrelay_store::StoreError::NotFound { .. }) => {
            return Err(Error::invalid_field("$.to", format!("unknown organisation `{}`", body.to)));
        }
        Err(other) => return Err(other.into()),
    };
    if !loaded.state().accepts(EventType::Notified) {
        return Err(Error::conflict("invalid_transition", format!("the case is {}", loaded.state())));
    }
    let from = account.org_id.clone().unwrap_or_default();
    let kind = body.kind.unwrap_or(NotificationKind::Report);
    let event = notification(Utc::now(), &from, &target.id, None, kind, body.note);
    let event = case_file::event_to_value(&event, tz_of(&loaded));
    let parties = vec![org_fragment(state, &target.id).await?];
    let stored = record(state, caller, &loaded, vec![event], parties, body.override_reason).await?;
    let forwarded =
        run_forwards(state, &account.id, id, vec![(target.id.clone(), Trigger::Received)]).await?;
    let events = stored.iter().map(event_json).collect::<Result<Vec<_>>>()?;
    Ok(json!({"events": events, "forwarded": forwarded}))
}

/// Body of `POST /api/v1/cases/{id}/comments`.
#[derive(Debug, Clone, utoipa::ToSchema)]
pub struct CommentBody {
    /// The comment (at most 20,000 bytes).
    pub body: String,
}

impl Body for CommentBody {
    const FIELDS: &'static [&'static str] = &["body"];

    fn read_fields(check: &mut Checker, object: &Map<String, Value>) -> Option<Self> {
        let body = check.string(object, "$", "body", true)?;
        if body.len() > COMMENT_MAX_BYTES {
            check.problem("$.body", format!("longer than {COMMENT_MAX_BYTES} bytes"));
        }
        Some(CommentBody { body: body.to_owned() })
    }
}

fn comment_json(c: &vulnrelay_store::Comment) -> Value {
    json!({"id": c.id, "author": c.account_id, "at": c.at.to_rfc3339(), "body": c.body})
}

/// `GET /api/v1/cases/{id}/comments`: the comments, for those who may comment.
pub async fn comments(state: &App, caller: &Caller, id: &str) -> Result<Value> {
    authorize(state, caller, id, Action::Comment).await?;
    let comments = state.store.comments(id).await?;
    Ok(json!({"comments": comments.iter().map(comment_json).collect::<Vec<_>>()}))
}

/// `POST /api/v1/cases/{id}/comments`: adds a comment.
pub async fn comment(state: &App, caller: &Caller, id: &str, body: CommentBody) -> Result<Value> {
    let account = caller.require()?.clone();
    authorize(state, caller, id, Action::Comment).await?;
    let comment = state.store.add_comment(id, Some(&account.id), &body.body, Utc::now()).await?;
    Ok(comment_json(&comment))
}

/// Body of `PUT /api/v1/cases/{id}/embargo`.
#[derive(Debug, Clone, utoipa::ToSchema)]
pub struct EmbargoBody {
    /// The planned public date (RFC 3339, or a date meaning midnight in the case's time
    /// zone); `null` clears it. The key is required.
    pub planned_public_at: Option<String>,
}

impl Body for EmbargoBody {
    const FIELDS: &'static [&'static str] = &["planned_public_at"];

    fn read_fields(check: &mut Checker, object: &Map<String, Value>) -> Option<Self> {
        if !object.contains_key("planned_public_at") {
            check.problem("$.planned_public_at", "missing required field (null clears it)");
        }
        let planned_public_at = check.string(object, "$", "planned_public_at", false).map(str::to_owned);
        Some(EmbargoBody { planned_public_at })
    }
}

/// `PUT /api/v1/cases/{id}/embargo`: sets or clears the planned public date; stored in
/// UTC, answered in UTC and in the case's time zone.
pub async fn set_embargo(state: &App, caller: &Caller, id: &str, body: EmbargoBody) -> Result<Value> {
    let account = caller.require()?.clone();
    let loaded = authorize(state, caller, id, Action::SetEmbargo).await?;
    let tz = tz_of(&loaded);
    let planned = match &body.planned_public_at {
        None => None,
        Some(text) => Some(
            case_file::parse_time(text, tz).map_err(|e| Error::invalid_field("$.planned_public_at", e))?,
        ),
    };
    state.store.set_embargo(id, planned, Some(&account.id), Utc::now()).await?;
    Ok(json!({"case": id, "planned_public_at": planned.map(|t| shown(t, tz))}))
}
