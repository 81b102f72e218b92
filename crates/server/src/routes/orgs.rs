//! Organisations and their memberships. Sanctions, rectification reports and reviews
//! live on the organisation's own log (see `vulnrelay_app::sanctions::decisions`); a membership's status
//! is what that log says.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::AppState;
use crate::auth::Auth;
use crate::errors::AppResult;
use crate::input::{Checked, CheckedOrEmpty};
use vulnrelay_app::accounts::OrgBody;

/// Query of `GET /api/v1/orgs`.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OrgsQuery {
    /// Only organisations whose id, or a word of whose English or Chinese name, starts
    /// with this text (without regard to case), e.g. `apa` or `软件`.
    pub q: Option<String>,
    /// Only organisations holding one of these roles (comma-separated, e.g.
    /// `regulator_platform,national_vulnerability_db`).
    pub role: Option<String>,
    /// Return organisations after this one (the previous page's `next`).
    pub after: Option<String>,
    /// Page size (default 50, at most 200).
    pub limit: Option<usize>,
}

/// `GET /api/v1/orgs?q=&role=&after=&limit=`: active organisations, a page at a time.
pub async fn list(
    State(state): State<AppState>,
    Query(query): Query<OrgsQuery>,
) -> AppResult<Json<vulnrelay_app::orgs::OrgPage>> {
    let OrgsQuery { q, role, after, limit } = query;
    Ok(Json(
        vulnrelay_app::orgs::list(&state, vulnrelay_app::orgs::OrgsQuery { q, role, after, limit }).await?,
    ))
}

/// `GET /api/v1/orgs/{id}`: an organisation with its memberships and their history.
pub async fn show(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    Ok(Json(vulnrelay_app::orgs::show(&state, &caller, id).await?))
}

/// `POST /api/v1/orgs`: an administrator adds an active organisation.
pub async fn create(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Checked(body): Checked<OrgBody>,
) -> AppResult<Response> {
    Ok((StatusCode::CREATED, Json(vulnrelay_app::orgs::create(&state, &caller, body).await?)).into_response())
}

/// `POST /api/v1/orgs/{id}/memberships/{scheme}/join`: a platform analyst records that
/// the organisation joined the scheme `{at}`.
pub async fn join(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path((org_id, scheme)): Path<(String, String)>,
    CheckedOrEmpty(body): CheckedOrEmpty<vulnrelay_app::orgs::JoinBody>,
) -> AppResult<Json<Value>> {
    Ok(Json(vulnrelay_app::orgs::join(&state, &caller, (org_id, scheme), body).await?))
}
