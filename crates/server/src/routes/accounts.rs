//! Accounts: login sessions, API tokens, self-registration and its approval, and
//! accounts created by administrators.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use vulnrelay_domain::{AccountRole, Role};
use vulnrelay_store::{NewAccount, Status, StoreError};

use crate::AppState;
use crate::auth::{
    Auth, CLEAR_SESSION_COOKIE, SESSION_COOKIE, hash_password, secret_hash, session_cookie, start_session,
};
use crate::errors::{AppError, AppResult};
use crate::input::{ApiJson, Checked, CheckedOrEmpty};
use vulnrelay_app::accounts::{
    AccountBody, DecisionBody, LoginBody, RegistrationAccount, RegistrationBody, TokenBody, account_json,
    decide_registration, org_json, registrar,
};
use vulnrelay_app::input::{Checker, read_with};
use vulnrelay_app::secrets::new_token;

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
    caller.require()?;
    if let Some(session_id) = crate::auth::cookie(&headers, SESSION_COOKIE) {
        state.store.delete_session(&secret_hash(&session_id)).await?;
    }
    Ok(([(header::SET_COOKIE, CLEAR_SESSION_COOKIE)], StatusCode::NO_CONTENT).into_response())
}

/// `GET /api/v1/me`: the caller's account and organisation.
pub async fn me(State(state): State<AppState>, Auth(caller): Auth) -> AppResult<Json<Value>> {
    let account = caller.require()?;
    let org = match &account.org_id {
        Some(id) => Some(org_json(&state.store.org(id).await?)),
        None => None,
    };
    Ok(Json(json!({"account": account_json(account), "org": org})))
}

/// `POST /api/v1/tokens`: creates an API token; the token is in this answer only (the
/// server keeps its hash).
pub async fn create_token(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Checked(body): Checked<TokenBody>,
) -> AppResult<Response> {
    let account = caller.require()?;
    let (record, token) = new_token(&state, account, &body.name).await?;
    let body = json!({"id": record.id, "name": record.name, "token": token, "created_at": record.created_at.to_rfc3339()});
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// `GET /api/v1/tokens`: the caller's tokens (without the secrets).
pub async fn list_tokens(State(state): State<AppState>, Auth(caller): Auth) -> AppResult<Json<Value>> {
    let account = caller.require()?;
    let tokens = state.store.list_tokens(&account.id).await?;
    let items: Vec<Value> = tokens
        .iter()
        .map(|t| {
            json!({"id": t.id, "name": t.name, "created_at": t.created_at.to_rfc3339(),
                   "revoked_at": t.revoked_at.map(|r| r.to_rfc3339())})
        })
        .collect();
    Ok(Json(json!({"tokens": items})))
}

/// `DELETE /api/v1/tokens/{id}`: revokes one of the caller's tokens.
pub async fn revoke_token(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    let account = caller.require()?;
    state.store.revoke_token(&account.id, &id, chrono::Utc::now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/registrations`: an individual or a non-member organisation registers
/// itself with its first account. Both wait for an analyst's approval.
pub async fn register(
    State(state): State<AppState>,
    Checked(body): Checked<RegistrationBody>,
) -> AppResult<Response> {
    let individual = body.individual();
    let mut org = body.org.into_org(individual, Status::Pending);
    let RegistrationAccount { email, name, password } = body.account;
    // A platform is made by an administrator, never by asking for it.
    let platform_roles: Vec<(String, String)> = org
        .roles
        .iter()
        .enumerate()
        .filter(|(_, r)| vulnrelay_domain::PLATFORM_ROLES.contains(r))
        .map(|(i, r)| {
            (
                format!("$.org.roles[{i}]"),
                format!("`{}` is granted by an administrator, not by registration", r.as_str()),
            )
        })
        .collect();
    if !platform_roles.is_empty() {
        return Err(AppError::invalid(platform_roles));
    }
    if org.roles.is_empty() {
        org.roles = vec![Role::Discoverer];
    }
    let password_hash = hash_password(&password)?;
    state.store.create_org(&org).await?;
    let new = NewAccount {
        email,
        name,
        password_hash,
        org_id: Some(org.id.clone()),
        roles: vec![AccountRole::Reporter],
        status: Status::Pending,
    };
    let account = state.store.create_account(&new, chrono::Utc::now()).await?;
    let body = json!({"org": org_json(&org), "account": account_json(&account)});
    Ok((StatusCode::ACCEPTED, Json(body)).into_response())
}

/// `GET /api/v1/registrations`: pending organisations and accounts (analysts).
pub async fn list_registrations(State(state): State<AppState>, Auth(caller): Auth) -> AppResult<Json<Value>> {
    registrar(&state, &caller).await?;
    let orgs = state.store.list_orgs(Some(Status::Pending)).await?;
    let accounts = state.store.list_accounts(Some(Status::Pending)).await?;
    Ok(Json(json!({
        "orgs": orgs.iter().map(org_json).collect::<Vec<_>>(),
        "accounts": accounts.iter().map(account_json).collect::<Vec<_>>(),
    })))
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
/// ([`AccountBody`]); an unknown organisation is a problem of the body, found with the
/// others.
pub async fn create_account(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiJson(body): ApiJson,
) -> AppResult<Response> {
    caller.require_role(&[AccountRole::Admin])?;
    let mut check = Checker::default();
    let read = read_with::<AccountBody>(&mut check, &body);
    // The organisation is looked up even when another field is wrong.
    let org = match &read {
        Some(account) => account.org.as_deref(),
        None => body.get("org").and_then(Value::as_str),
    };
    if let Some(org) = org
        && matches!(state.store.org(org).await, Err(StoreError::NotFound { .. }))
    {
        check.problem("$.org", format!("unknown organisation `{org}`"));
    }
    check.finish()?;
    let Some(AccountBody { email, name, password, org, roles }) = read else {
        return Err(AppError::bad_request("unreadable account"));
    };
    let new = NewAccount {
        email,
        name,
        password_hash: hash_password(&password)?,
        org_id: org,
        roles,
        status: Status::Active,
    };
    let account = state.store.create_account(&new, chrono::Utc::now()).await?;
    Ok((StatusCode::CREATED, Json(account_json(&account))).into_response())
}
