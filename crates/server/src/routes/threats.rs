//! Threat status of a vulnerability (`POST /api/v1/vulnerabilities/{id}/threats`):
//! dated events with their source — exploit details public, proof of concept
//! published, actively exploited, fix bypassed — from which the current status is
//! derived. Active exploitation also goes on the record's case as an `exploited`
//! event, which starts the EU CRA Art. 14 clocks of the bound providers.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::Value;

use crate::AppState;
use crate::auth::Auth;
use crate::errors::AppResult;
use crate::input::ApiJson;

/// `POST /api/v1/vulnerabilities/{id}/threats`: a platform analyst or coordinator records
/// a threat event ([`ThreatBody`](vulnrelay_app::records::ThreatBody)); `kind` is
/// `exploit_details_public`, `proof_of_concept`, `actively_exploited` or `fix_bypassed`
/// (with the bypassed `version`); `source` names who reports it (a CERT, `CISA KEV`) or
/// `observed`. Answers the new status and, for active exploitation, the case event.
pub async fn record(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson,
) -> AppResult<(StatusCode, Json<Value>)> {
    Ok((StatusCode::CREATED, Json(vulnrelay_app::records::record_threat(&state, &caller, &id, &body).await?)))
}
