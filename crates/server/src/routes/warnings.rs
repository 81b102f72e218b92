//! Risk warnings (风险预警): an organisation's accounts read and answer their own —
//! acknowledgements, per-asset status, VEX exports; platform analysts and
//! administrators list every warning whose case they may read, re-run matching and
//! warn an industry (`vulnrelay_app::warnings::units`).

use axum::Json;
use axum::extract::{Path, Query, State};
use serde_json::Value;

use crate::AppState;
use crate::auth::Auth;
use crate::errors::AppResult;
use crate::input::Typed;
use vulnrelay_app::warnings::units::{IndustryWarningBody, StatusBody, WarningsQuery};

/// `GET /api/v1/warnings`: the caller's organisation's warnings, newest change first
/// (analysts and administrators: every warning whose case they may read), a page at a time:
/// `next_cursor`, when not null, fetches the next page. A page may hold fewer than `limit`
/// warnings when some are not the caller's to see.
pub async fn list(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Query(query): Query<WarningsQuery>,
) -> AppResult<Json<Value>> {
    Ok(Json(vulnrelay_app::warnings::units::list(&state, &caller, query).await?))
}

/// `GET /api/v1/warnings/{id}`: a warning with its acknowledgements and per-asset status.
pub async fn show(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    Ok(Json(vulnrelay_app::warnings::units::show(&state, &caller, id).await?))
}

/// `POST /api/v1/warnings/{id}/ack`: acknowledges the warning's current revision.
pub async fn acknowledge(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    Ok(Json(vulnrelay_app::warnings::units::acknowledge(&state, &caller, id).await?))
}

/// `PUT /api/v1/warnings/{id}/assets/{asset}/status`: the unit's status of one asset
/// group the warning names.
pub async fn set_status(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path((id, asset)): Path<(String, String)>,
    Typed(body): Typed<StatusBody>,
) -> AppResult<Json<Value>> {
    Ok(Json(vulnrelay_app::warnings::units::set_status(&state, &caller, (id, asset), body).await?))
}

/// `GET /api/v1/warnings/{id}/vex.cdx.json`: the unit's status as CycloneDX 1.6 VEX.
pub async fn vex_cyclonedx(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    Ok(Json(vulnrelay_app::warnings::units::vex_cyclonedx(&state, &caller, id).await?))
}

/// `GET /api/v1/warnings/{id}/vex.csaf.json`: the unit's status as a CSAF 2.0 VEX
/// document (`csaf_vex`), labelled with the warning's TLP.
pub async fn vex_csaf(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    Ok(Json(vulnrelay_app::warnings::units::vex_csaf(&state, &caller, id).await?))
}

/// `POST /api/v1/warnings/rematch`: re-runs matching of every inventory against every
/// record (analysts, administrators).
pub async fn rematch(State(state): State<AppState>, Auth(caller): Auth) -> AppResult<Json<Value>> {
    Ok(Json(vulnrelay_app::warnings::units::rematch(&state, &caller).await?))
}

/// `POST /api/v1/cases/{id}/warnings`: the case's platform warns the industry now (向行业
/// 单位风险预警) — every unit whose inventory runs an affected component, before
/// publication too (`TLP:AMBER`, no exploit detail, never a suspended unit) — with its
/// note. The case's platform analysts and coordinators.
pub async fn warn_industry(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    Typed(body): Typed<IndustryWarningBody>,
) -> AppResult<Json<Value>> {
    Ok(Json(vulnrelay_app::warnings::units::warn_industry(&state, &caller, id, body).await?))
}
