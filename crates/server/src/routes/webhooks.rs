//! Webhook subscriptions of an organisation (`vulnrelay_app::deliveries`): the signing
//! secret is shown once.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::Value;

use crate::AppState;
use crate::auth::Auth;
use crate::errors::AppResult;
use crate::input::Typed;
use vulnrelay_app::deliveries::WebhookBody;

/// `POST /api/v1/webhooks`: subscribes a URL to the organisation's warnings and
/// reminders; the signing secret is in the answer, once.
pub async fn create_webhook(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Typed(body): Typed<WebhookBody>,
) -> AppResult<(StatusCode, Json<Value>)> {
    Ok((StatusCode::CREATED, Json(vulnrelay_app::deliveries::create_webhook(&state, &caller, body).await?)))
}

/// `GET /api/v1/webhooks`: the organisation's webhooks (without secrets).
pub async fn list_webhooks(State(state): State<AppState>, Auth(caller): Auth) -> AppResult<Json<Value>> {
    Ok(Json(vulnrelay_app::deliveries::list_webhooks(&state, &caller).await?))
}

/// `DELETE /api/v1/webhooks/{id}`: stops sending to a webhook.
pub async fn delete_webhook(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    vulnrelay_app::deliveries::delete_webhook(&state, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
