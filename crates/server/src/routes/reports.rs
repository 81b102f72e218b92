//! Report intake (`POST /api/v1/reports`) and the receipt log (`vulnrelay_app::reports`,
//! `vulnrelay_app::receipts`).
//!
//! A report carries the content CN Art. 7(2) requires: the product (name, model,
//! affected versions, its provider if known), the vulnerability's technical
//! characteristics, its harm and scope of impact, and when it was discovered and the
//! reporter became aware of it; optionally a CVSS v3 vector and attachments (size-capped;
//! one marked as exploit code is never published). Missing content is a 422 listing
//! every missing field. An intake opens a case on the receiving platform with the
//! first events (discovered, aware, notified to the platform) and writes a receipt.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use vulnrelay_app::receipts::{PurgeQuery, ReceiptsQuery};
use vulnrelay_app::reports::{Intake, Outcome, Submission, take_in};

use crate::AppState;
use crate::auth::Auth;
use crate::errors::AppResult;
use crate::input::ApiJson;

/// `POST /api/v1/reports`: takes a report in and opens its case. An `Idempotency-Key`
/// header makes retries safe: the same key returns the first intake (200) and writes
/// nothing.
pub async fn submit(
    State(state): State<AppState>,
    Auth(caller): Auth,
    headers: HeaderMap,
    ApiJson(body): ApiJson,
) -> AppResult<Response> {
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok());
    let submission = Submission::read(body)?;
    let (outcome, answer) = take_in(&state, &caller, key, "api", submission, Intake::Take).await?;
    let status = if outcome == Outcome::Opened { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(answer)).into_response())
}

/// `GET /api/v1/receipts`: the receipt log (analysts and administrators).
pub async fn receipts(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Query(query): Query<ReceiptsQuery>,
) -> AppResult<Json<Value>> {
    Ok(Json(vulnrelay_app::receipts::receipts(&state, &caller, query).await?))
}

/// `POST /api/v1/receipts/purge?before=TIME` (administrators): deletes old receipts;
/// refused (409 `retention`) if any would be younger than the `receipt_log` retention
/// of the packs (CN Art. 5: 6 months).
pub async fn purge(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Query(query): Query<PurgeQuery>,
) -> AppResult<Json<Value>> {
    Ok(Json(vulnrelay_app::receipts::purge(&state, &caller, query).await?))
}
