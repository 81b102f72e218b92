//! Deliveries of warnings and notices with their attempts, and replay of dead letters
//! (`vulnrelay_app::deliveries`): an organisation's own; administrators any.

use axum::Json;
use axum::extract::{Path, Query, State};
use serde_json::Value;

use crate::AppState;
use crate::auth::Auth;
use crate::errors::AppResult;
use vulnrelay_app::deliveries::DeliveriesQuery;

/// `GET /api/v1/deliveries`: the organisation's deliveries, oldest first, by pages.
pub async fn list_deliveries(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Query(query): Query<DeliveriesQuery>,
) -> AppResult<Json<Value>> {
    Ok(Json(vulnrelay_app::deliveries::list_deliveries(&state, &caller, query).await?))
}

/// `GET /api/v1/deliveries/dead`: the dead letters.
pub async fn dead_deliveries(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Query(query): Query<DeliveriesQuery>,
) -> AppResult<Json<Value>> {
    Ok(Json(vulnrelay_app::deliveries::dead_deliveries(&state, &caller, query).await?))
}

/// `GET /api/v1/deliveries/{id}`: a delivery with its attempts.
pub async fn show_delivery(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    Ok(Json(vulnrelay_app::deliveries::show_delivery(&state, &caller, id).await?))
}

/// `POST /api/v1/deliveries/{id}/replay`: sends a delivery again, now, with the same
/// idempotency key (a dead letter, or one the receiver lost).
pub async fn replay(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    Ok(Json(vulnrelay_app::deliveries::replay(&state, &caller, id).await?))
}
