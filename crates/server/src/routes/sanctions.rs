//! Sanctions, rectification reports and reviews on an organisation's own log
//! (`/api/v1/orgs/{id}/memberships/{scheme}/...`, `/api/v1/orgs/{id}/log`), through
//! `vulnrelay_app::sanctions::decisions`.
//!
//! Platform analysts decide sanctions (warning, public criticism, suspension for a
//! term — 6 months by default — or expulsion), each resting on findings or events; the
//! unit submits a rectification report; an analyst records the review, which restores
//! the unit or extends the suspension. A decision naming a `case` also goes on that
//! case's timeline, so the case's clocks see the membership change.

use axum::Json;
use axum::extract::{Path, State};
use serde_json::Value;

use crate::AppState;
use crate::auth::Auth;
use crate::errors::AppResult;
use crate::input::Checked;
use vulnrelay_app::sanctions::decisions::{
    RectificationBody, RestoreBody, ReviewBody, SanctionBody, SuspensionBody,
};

/// `POST /api/v1/orgs/{id}/memberships/{scheme}/sanctions`: a platform analyst decides a
/// sanction; `kind` is `warning`, `public_criticism`, `suspension` (6 months unless
/// `until` or `months` says otherwise) or `expulsion`.
pub async fn sanction(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path((org_id, scheme)): Path<(String, String)>,
    Checked(body): Checked<SanctionBody>,
) -> AppResult<Json<Value>> {
    Ok(Json(vulnrelay_app::sanctions::decisions::sanction(&state, &caller, (org_id, scheme), body).await?))
}

/// `POST /api/v1/orgs/{id}/memberships/{scheme}/suspend`: a suspension, as
/// `sanctions` with `kind: suspension`.
pub async fn suspend(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path((org_id, scheme)): Path<(String, String)>,
    Checked(body): Checked<SuspensionBody>,
) -> AppResult<Json<Value>> {
    Ok(Json(vulnrelay_app::sanctions::decisions::suspend(&state, &caller, (org_id, scheme), body).await?))
}

/// `POST /api/v1/orgs/{id}/memberships/{scheme}/rectifications`: the suspended unit (an
/// account of it, or a platform analyst on its behalf) submits its rectification
/// report.
pub async fn rectify(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path((org_id, scheme)): Path<(String, String)>,
    Checked(body): Checked<RectificationBody>,
) -> AppResult<Json<Value>> {
    Ok(Json(vulnrelay_app::sanctions::decisions::rectify(&state, &caller, (org_id, scheme), body).await?))
}

/// `POST /api/v1/orgs/{id}/memberships/{scheme}/reviews`: a platform analyst records the
/// review of the rectification report (`outcome`: `restore` or `extend`). Restoration
/// needs a report and the term to be over.
pub async fn review(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path((org_id, scheme)): Path<(String, String)>,
    Checked(body): Checked<ReviewBody>,
) -> AppResult<Json<Value>> {
    Ok(Json(vulnrelay_app::sanctions::decisions::review(&state, &caller, (org_id, scheme), body).await?))
}

/// `POST /api/v1/orgs/{id}/memberships/{scheme}/restore`: a review that restores the
/// unit (the `reviews` route with `outcome: restore`).
pub async fn restore(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path((org_id, scheme)): Path<(String, String)>,
    Checked(body): Checked<RestoreBody>,
) -> AppResult<Json<Value>> {
    Ok(Json(vulnrelay_app::sanctions::decisions::restore(&state, &caller, (org_id, scheme), body).await?))
}

/// `GET /api/v1/orgs/{id}/log`: the organisation's log with each scheme's status and
/// rights. Anyone sees public sanctions; the organisation itself, analysts and
/// administrators see everything (reports, reviews, private sanctions).
pub async fn org_log(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(org_id): Path<String>,
) -> AppResult<Json<Value>> {
    Ok(Json(vulnrelay_app::sanctions::decisions::org_log(&state, &caller, org_id).await?))
}
