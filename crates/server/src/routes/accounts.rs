//! Accounts: login sessions, API tokens, self-registration and its approval, and
//! accounts created by administrators.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use vulnrelay_store::Status;

use crate::AppState;
use crate::auth::{Auth, CLEAR_SESSION_COOKIE, SESSION_COOKIE, session_cookie, start_session};
use crate::errors::AppResult;
use crate::input::{ApiJson, Checked, CheckedOrEmpty};
use vulnrelay_app::accounts::{
    self, DecisionBody, LoginBody, RegistrationBody, TokenBody, account_json, decide_registration,
};

/// `POST /api/v1/session`: signs in; sets the session cookie and returns the CSRF
/// token. Five failures per address within 15 minutes: 429.
pub async fn login(
    State(state): State<AppState>,
    client: crate::auth::ClientAddress,
    Checked(body): Checked<LoginBody>,
) -> AppResult<Response> {
    let (account, session_id, csrf_token, expires_at) =
        start_session(&state, &body.email, &body.password, client).await?;
    let cookie = session_cookie(&state, &session_id);
    let body = json!({"account": account_json(&account), "csrf_token": csrf_token, "expires_at": expires_at.to_rfc3339()});
    Ok(([(header::SET_COOKIE, cookie)], Json(body)).into_response())
}

/// `DELETE /api/v1/session`: signs out.
pub async fn logout(
    State(state): State<AppState>,
    Auth(caller): Auth,
    headers: axum::http::HeaderMap,
) -> AppResult<Response> {
    let session_id = crate::auth::cookie(&headers, SESSION_COOKIE);
    accounts::logout(&state, &caller, session_id.as_deref()).await?;
    Ok(([(header::SET_COOKIE, CLEAR_SESSION_COOKIE)], StatusCode::NO_CONTENT).into_response())
}

/// `GET /api/v1/me`: the caller's account and organisation.
pub async fn me(State(state): State<AppState>, Auth(caller): Auth) -> AppResult<Json<Value>> {
    Ok(Json(accounts::me(&state, &caller).await?))
}

/// `POST /api/v1/tokens`: creates an API token; the token is in this answer only (the
/// server keeps its hash).
pub async fn create_token(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Checked(body): Checked<TokenBody>,
) -> AppResult<Response> {
    Ok((StatusCode::CREATED, Json(accounts::create_token(&state, &caller, body).await?)).into_response())
}

/// `GET /api/v1/tokens`: the caller's tokens (without the secrets).
pub async fn list_tokens(State(state): State<AppState>, Auth(caller): Auth) -> AppResult<Json<Value>> {
    Ok(Json(accounts::list_tokens(&state, &caller).await?))
}

/// `DELETE /api/v1/tokens/{id}`: revokes one of the caller's tokens.
pub async fn revoke_token(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    accounts::revoke_token(&state, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/registrations`: an individual or a non-member organisation registers
/// itself with its first account. Both wait for an analyst's approval.
pub async fn register(
    State(state): State<AppState>,
    Checked(body): Checked<RegistrationBody>,
) -> AppResult<Response> {
    Ok((StatusCode::ACCEPTED, Json(accounts::register(&state, body).await?)).into_response())
}

/// `GET /api/v1/registrations`: pending organisations and accounts (analysts).
pub async fn list_registrations(State(state): State<AppState>, Auth(caller): Auth) -> AppResult<Json<Value>> {
    Ok(Json(accounts::list_registrations(&state, &caller).await?))
}

/// `POST /api/v1/registrations/{org}/approve`: activates a pending organisation and its accounts.
pub async fn approve(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(org): Path<String>,
    CheckedOrEmpty(body): CheckedOrEmpty<DecisionBody>,
) -> AppResult<Json<Value>> {
    Ok(Json(decide_registration(&state, &caller, &org, Status::Active, body).await?))
}

/// `POST /api/v1/registrations/{org}/reject`: rejects a pending organisation and its accounts.
pub async fn reject(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(org): Path<String>,
    CheckedOrEmpty(body): CheckedOrEmpty<DecisionBody>,
) -> AppResult<Json<Value>> {
    Ok(Json(decide_registration(&state, &caller, &org, Status::Rejected, body).await?))
}

/// `POST /api/v1/accounts`: an administrator creates an active account
/// (`vulnrelay_app::accounts::AccountBody`); an unknown organisation is a problem of the body, found with the
/// others.
pub async fn create_account(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiJson(body): ApiJson,
) -> AppResult<Response> {
    Ok((StatusCode::CREATED, Json(accounts::create_account(&state, &caller, &body).await?)).into_response())
}
