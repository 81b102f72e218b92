//! Drafts of the notifications the caller's organisation owes on a case (see
//! `crate::drafts`): JSON export, and sending one.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;

use crate::AppState;
use crate::auth::Auth;
use crate::drafts::{Completion, send as send_draft};
use crate::errors::AppResult;
use crate::input::Typed;

/// Query of `GET /api/v1/cases/{id}/drafts`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DraftsQuery {
    /// Whose duties (default: the caller's organisation; another only for the case's
    /// platforms).
    pub org: Option<String>,
}

/// `GET /api/v1/cases/{id}/drafts`: the notifications the organisation still owes,
/// regime by regime, field by field, prefilled from the case and its records.
pub async fn list(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    Query(query): Query<DraftsQuery>,
) -> AppResult<Json<Value>> {
    Ok(Json(crate::drafts::list(&state, &caller, &id, query.org.as_deref()).await?))
}

/// Body of `POST /api/v1/cases/{id}/drafts/send`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendBody {
    /// `pack/rule` of the draft.
    pub rule: String,
    /// The product, when the case has several.
    pub product: Option<String>,
    /// Field id → text, laid over the prefilled text.
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    /// Qualified fields declared not to apply.
    #[serde(default)]
    pub not_applicable: Vec<String>,
    /// The reference the receiving system gave the submission.
    pub reference: Option<String>,
    /// Recipients (organisation ids); default: by the rule's roles.
    #[serde(default)]
    pub to: Vec<String>,
}

/// `POST /api/v1/cases/{id}/drafts/send`: marks a draft sent — one `notified` event per
/// recipient with the completed content and reference, recorded now.
pub async fn send(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    Typed(body): Typed<SendBody>,
) -> AppResult<Response> {
    let completion = Completion {
        rule: body.rule,
        product: body.product,
        fields: body.fields,
        not_applicable: body.not_applicable,
        reference: body.reference,
        to: body.to,
    };
    let answer = send_draft(&state, &caller, &id, completion).await?;
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}
