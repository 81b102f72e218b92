//! Threat status of a vulnerability (`POST /api/v1/vulnerabilities/{id}/threats`):
//! dated events with their source — exploit details public, proof of concept
//! published, actively exploited, fix bypassed — from which the current status is
//! derived. Active exploitation also goes on the record's case as an `exploited`
//! event, which starts the EU CRA Art. 14 clocks of the bound providers.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::Utc;
use serde_json::{Value, json};
use vulnrelay_domain::{AccountRole, Action, EventKind, ThreatEvent, ThreatKind};

use crate::AppState;
use crate::auth::Auth;
use crate::casefile::authorize;
use crate::errors::AppResult;
use crate::input::ApiJson;
use vulnrelay_app::records::{ThreatBody, may_change, save, threat_status_json as status_json, visible};

/// `POST /api/v1/vulnerabilities/{id}/threats`: a platform analyst or coordinator records
/// a threat event ([`ThreatBody`]); `kind` is
/// `exploit_details_public`, `proof_of_concept`, `actively_exploited` or `fix_bypassed`
/// (with the bypassed `version`); `source` names who reports it (a CERT, `CISA KEV`) or
/// `observed`. Answers the new status and, for active exploitation, the case event.
pub async fn record(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson,
) -> AppResult<(StatusCode, Json<Value>)> {
    let account = caller.require_role(&[AccountRole::Analyst, AccountRole::Coordinator])?.clone();
    let (stored, mut v) = visible(&state, &caller, &id).await?;
    may_change(&state, &caller, &stored).await?;
    // The body is read once the record is found and may be changed: an unknown record
    // is a 404 whatever the body.
    let ThreatBody { kind, at, source, reference, note, version: _ } = vulnrelay_app::input::read(&body)?;
    let now = Utc::now();
    let at = at.unwrap_or(now);
    let exploited = kind == ThreatKind::ActivelyExploited;
    // Active exploitation goes on the case first, through its gates, so a refusal
    // leaves the record unchanged.
    let mut case_event = Value::Null;
    if exploited && let Some(case_id) = &stored.case_id {
        let loaded = authorize(&state, &caller, case_id, Action::AppendEvent).await?;
        let known = loaded.case.events().iter().any(|e| matches!(e.kind, EventKind::Exploited) && e.at <= at);
        if !known {
            let party = account.org_id.clone().unwrap_or_default();
            let mut event = json!({
                "type": "exploited", "at": at.to_rfc3339(), "party": party,
                "note": format!("{} actively exploited, as reported by {source}", v.id),
            });
            if let Some(product) = crate::coordination::default_product(&loaded) {
                event["product"] = json!(product);
            }
            let parties = match loaded.parties.iter().any(|p| p.id == party) {
                true => Vec::new(),
                false => vec![crate::casefile::org_fragment(&state, &party).await?],
            };
            let stored_events =
                vulnrelay_app::cases::record(&state, &caller, &loaded, vec![event], parties, None).await?;
            case_event =
                stored_events.first().map(|e| json!({"case": case_id, "seq": e.seq})).unwrap_or(Value::Null);
        }
    }
    v.threats.push(ThreatEvent { at, kind, source, reference, note });
    v.threats.sort_by_key(|t| t.at);
    save(&state, &stored, &v).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"vulnerability": v.id, "threat_status": status_json(&v, now), "case_event": case_event})),
    ))
}
