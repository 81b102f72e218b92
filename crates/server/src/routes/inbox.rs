//! The in-app inbox of an organisation (`vulnrelay_app::deliveries::inbox`).

use axum::Json;
use axum::extract::State;
use serde_json::Value;

use crate::AppState;
use crate::auth::Auth;
use crate::errors::AppResult;

/// `GET /api/v1/inbox`: the organisation's in-app inbox, newest first.
pub async fn inbox(State(state): State<AppState>, Auth(caller): Auth) -> AppResult<Json<Value>> {
    Ok(Json(vulnrelay_app::deliveries::inbox(&state, &caller).await?))
}
