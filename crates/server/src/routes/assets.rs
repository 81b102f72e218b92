//! Asset groups (an organisation's inventory): CycloneDX SBOM upload, `vulnrelay scan
//! --upload`, or by hand; an organisation's accounts see and change their own
//! (`vulnrelay_app::assets`).

use axum::Json;
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use serde_json::Value;

use crate::AppState;
use crate::auth::Auth;
use crate::errors::AppResult;

/// `GET /api/v1/assets/groups`: the caller's organisation's asset groups.
pub async fn list_groups(State(state): State<AppState>, Auth(caller): Auth) -> AppResult<Json<Value>> {
    Ok(Json(vulnrelay_app::assets::list_groups(&state, &caller).await?))
}

/// `GET /api/v1/assets/groups/{name}`: a group with its current components.
pub async fn show_group(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(name): Path<String>,
) -> AppResult<Json<Value>> {
    Ok(Json(vulnrelay_app::assets::show_group(&state, &caller, name).await?))
}

/// `GET /api/v1/assets/groups/{name}/history`: every upload of a group.
pub async fn group_history(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(name): Path<String>,
) -> AppResult<Json<Value>> {
    Ok(Json(vulnrelay_app::assets::group_history(&state, &caller, name).await?))
}

/// Query of `PUT /api/v1/assets/groups/{name}`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PutGroupQuery {
    /// `sbom` (default for a CycloneDX body), `scan` (what `vulnrelay scan --upload`
    /// sends) or `manual` (default for a `{"components": [...]}` body).
    pub source: Option<String>,
}

/// `PUT /api/v1/assets/groups/{name}`: replaces a group's components (the previous
/// upload stays in its history) from a CycloneDX 1.4–1.6 JSON SBOM (validated against
/// the schema) or a `{"components": [...]}` list, then re-runs matching for the
/// organisation.
pub async fn put_group(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(name): Path<String>,
    Query(query): Query<PutGroupQuery>,
    bytes: axum::body::Bytes,
) -> AppResult<Json<Value>> {
    Ok(Json(vulnrelay_app::assets::put_group(&state, &caller, name, query.source.as_deref(), bytes).await?))
}
