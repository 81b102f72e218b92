//! The timeline's key intervals and the organisations' records: per case (discovery →
//! first report to a regulator platform, → vendor notified, → fix, → public disclosure,
//! → bulletin, → first risk warning), per organisation (obligations met on time, late,
//! missed, over every case), and per quarter over the platform (median and worst, as
//! JSON and as SVG charts).

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;

use crate::AppState;
use crate::auth::Auth;
use crate::errors::AppResult;

/// `GET /api/v1/cases/{id}/intervals`: the case's key intervals; an interval whose end
/// event is missing is `open`, one with no discovery has no start.
pub async fn case_intervals(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    Ok(Json(vulnrelay_app::intervals::case_intervals(&state, &caller, id).await?))
}

/// `GET /api/v1/orgs/{id}/history`: the organisation's record over every case — its
/// obligations met on time, late and missed, the rules it broke, and each finding.
/// The organisation itself, analysts and administrators.
pub async fn org_history(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(org_id): Path<String>,
) -> AppResult<Json<Value>> {
    Ok(Json(vulnrelay_app::intervals::org_history(&state, &caller, org_id).await?))
}

/// `GET /api/v1/stats/intervals`: each interval's median and worst per quarter of
/// discovery, over the cases the caller may read.
pub async fn stats(
    State(state): State<AppState>,
    Auth(caller): Auth,
) -> AppResult<Json<vulnrelay_app::intervals::IntervalStatistics>> {
    Ok(Json(vulnrelay_app::intervals::stats(&state, &caller).await?))
}

/// The query of the chart: its language.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChartQuery {
    /// `zh` or `en` (default).
    pub lang: Option<String>,
}

/// `GET /api/v1/stats/intervals/{kind}.svg`: the quarterly median (filled) and worst
/// (outlined) of one interval as an SVG bar chart, `?lang=zh|en`.
pub async fn chart(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(file): Path<String>,
    Query(query): Query<ChartQuery>,
) -> AppResult<Response> {
    let svg =
        vulnrelay_app::intervals::chart_svg(&state, &caller, &file, query.lang.as_deref() == Some("zh"))
            .await?;
    Ok(([(header::CONTENT_TYPE, "image/svg+xml; charset=utf-8")], svg).into_response())
}
