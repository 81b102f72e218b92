//! Multi-party coordination (see `crate::coordination`): the vendors a platform adds to
//! a case, proposed from their product inventories, their statuses, the board and the
//! reminders.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;

use crate::AppState;
use crate::auth::Auth;
use crate::coordination::{self, BoardQuery, NewParticipant, NewProduct, StatusInput};
use crate::errors::AppResult;
use crate::input::Typed;

/// A product in the body of `POST /api/v1/cases/{id}/participants`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductBody {
    /// Its name (with the vendor, its id on the case).
    pub name: String,
    /// Its version.
    pub version: Option<String>,
    /// Its package URL.
    pub purl: Option<String>,
}

/// A vendor in the body of `POST /api/v1/cases/{id}/participants`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VendorBody {
    /// The vendor's organisation id.
    pub org: String,
    /// Its products that embed the case's component.
    pub products: Vec<ProductBody>,
}

/// Body of `POST /api/v1/cases/{id}/participants`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ParticipantsBody {
    /// The vendors to add.
    pub vendors: Vec<VendorBody>,
    /// A message to them (the note of each notification).
    pub message: Option<String>,
}

/// `POST /api/v1/cases/{id}/participants`: a platform adds vendors and their products;
/// each is notified (inbox, webhooks) and may then read the case.
pub async fn add(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    Typed(body): Typed<ParticipantsBody>,
) -> AppResult<Response> {
    let vendors = body
        .vendors
        .into_iter()
        .map(|v| NewParticipant {
            org: v.org,
            products: v
                .products
                .into_iter()
                .map(|p| NewProduct { name: p.name, version: p.version, purl: p.purl })
                .collect(),
        })
        .collect();
    let answer = coordination::add_participants(&state, &caller, &id, vendors, body.message).await?;
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

/// `GET /api/v1/cases/{id}/participants/proposals`: vendors whose registered product
/// inventories embed an affected component.
pub async fn proposals(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    Ok(Json(coordination::proposals(&state, &caller, &id).await?))
}

/// `POST /api/v1/cases/{id}/vendor-status`: a vendor's status for one product and
/// vulnerability, recorded as an event on the case.
pub async fn set_status(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    Typed(input): Typed<StatusInput>,
) -> AppResult<Response> {
    let answer = coordination::set_status(&state, &caller, &id, input).await?;
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

/// Query of `GET /api/v1/cases/{id}/coordination`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct BoardParams {
    /// Only vendors with a product in this status (`none`: not answered for some
    /// vulnerability).
    pub status: Option<String>,
    /// Only this vendor (id), or vendors whose name contains it.
    pub vendor: Option<String>,
    /// Only vendors that have not answered for at least this many days.
    pub unanswered_days: Option<i64>,
    /// The page after this vendor id (the previous page's `next`).
    pub after: Option<String>,
    /// Page size (default 50, at most 200).
    pub limit: Option<usize>,
}

impl From<BoardParams> for BoardQuery {
    fn from(p: BoardParams) -> Self {
        BoardQuery {
            status: p.status,
            vendor: p.vendor,
            unanswered_days: p.unanswered_days,
            after: p.after,
            limit: p.limit,
        }
    }
}

/// `GET /api/v1/cases/{id}/coordination`: the board, paged by vendor.
pub async fn board(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    Query(params): Query<BoardParams>,
) -> AppResult<Json<Value>> {
    Ok(Json(coordination::board(&state, &caller, &id, &params.into()).await?))
}

/// Body of `POST /api/v1/cases/{id}/coordination/reminders`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemindBody {
    /// Remind vendors silent for at least this many days (default 7).
    pub days: Option<i64>,
}

/// `POST /api/v1/cases/{id}/coordination/reminders`: reminds the vendors that have not
/// answered, through the delivery outbox.
pub async fn remind(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    Typed(body): Typed<RemindBody>,
) -> AppResult<Json<Value>> {
    Ok(Json(coordination::remind(&state, &caller, &id, body.days.unwrap_or(7)).await?))
}

/// Body of `PUT /api/v1/cases/{id}/coordination/schedule`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleBody {
    /// Days without an answer before the first reminder (`null`: no scheduled
    /// reminders on this case).
    pub after_days: Option<i64>,
    /// Days between reminders after the first (default: `after_days`).
    pub every_days: Option<i64>,
}

/// `PUT /api/v1/cases/{id}/coordination/schedule`: the case's own schedule of the
/// reminders the delivery worker sends.
pub async fn set_schedule(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    Typed(body): Typed<ScheduleBody>,
) -> AppResult<Json<Value>> {
    let schedule = body.after_days.map(|after_days| vulnrelay_store::ReminderSchedule {
        after_days,
        every_days: body.every_days.unwrap_or(after_days),
    });
    Ok(Json(coordination::set_schedule(&state, &caller, &id, Some(schedule)).await?))
}

/// `DELETE /api/v1/cases/{id}/coordination/schedule`: back to the platform's default.
pub async fn clear_schedule(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    Ok(Json(coordination::set_schedule(&state, &caller, &id, None).await?))
}
