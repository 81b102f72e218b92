//! Sign in and out, and the account page with its API tokens (a new token is shown
//! once; tokens can be revoked).

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use crate::AppState;
use crate::auth::{CLEAR_SESSION_COOKIE, session_cookie, start_session};
use crate::auth::{SESSION_COOKIE, cookie};
use crate::ui::session::{NextQuery, Ui, UiError, local_path};
use crate::ui::view::{Field, csrf, error_words, notice, page, time};
use vulnrelay_app::secrets::new_token;

/// `GET /login`: the sign-in form.
pub async fn login_form(ui: Ui, Query(query): Query<NextQuery>) -> Response {
    login_page(&ui, query.next.as_deref(), "", None).into_response()
}

fn login_page(ui: &Ui, next: Option<&str>, email: &str, problem: Option<String>) -> maud::Markup {
    let lang = ui.lang;
    page(
        ui,
        &lang.t("login.title"),
        html! {
            h1 { (lang.t("login.title")) }
            @if let Some(problem) = problem { (notice("error", html! { p { (problem) } })) }
            form method="post" action="/login" class="narrow" {
                input type="hidden" name="next" value=(local_path(next));
                (Field { name: "email", label: "login.email", help: None, value: email, required: true, kind: "email", problem: None }.render(lang))
                (Field { name: "password", label: "login.password", help: None, value: "", required: true, kind: "password", problem: None }.render(lang))
                button type="submit" { (lang.t("login.submit")) }
            }
        },
    )
}

/// The sign-in form's fields.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    /// E-mail address.
    pub email: String,
    /// Password.
    pub password: String,
    /// Where to go afterwards.
    pub next: Option<String>,
}

/// `POST /login`: signs in through the API's session logic (rate limit included).
pub async fn login(
    State(state): State<AppState>,
    ui: Ui,
    client: crate::auth::ClientAddress,
    Form(form): Form<LoginForm>,
) -> Response {
    match start_session(&state, form.email.trim(), &form.password, client).await {
        Ok((_, session_id, _, _)) => {
            let next = local_path(form.next.as_deref());
            let next = if next == "/" { "/dashboard".to_owned() } else { next };
            ([(header::SET_COOKIE, session_cookie(&state, &session_id))], Redirect::to(&next)).into_response()
        }
        Err(error) => {
            let (_, detail) = error_words(ui.lang, &error);
            let body = login_page(&ui, form.next.as_deref(), &form.email, Some(detail));
            (error.status, body).into_response()
        }
    }
}

/// A form with only the CSRF token.
#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    /// The session's CSRF token.
    #[serde(default)]
    pub csrf_token: String,
}

/// `POST /logout`: ends the session.
pub async fn logout(
    State(state): State<AppState>,
    ui: Ui,
    headers: axum::http::HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Result<Response, UiError> {
    ui.check_csrf(&form.csrf_token)?;
    let session_id = cookie(&headers, SESSION_COOKIE);
    vulnrelay_app::accounts::logout(&state, &ui.caller, session_id.as_deref())
        .await
        .map_err(|e| ui.error(e))?;
    Ok(([(header::SET_COOKIE, CLEAR_SESSION_COOKIE)], Redirect::to("/login")).into_response())
}

/// `GET /account`: the account, its organisation and its API tokens.
pub async fn show(State(state): State<AppState>, ui: Ui) -> Result<Response, UiError> {
    account_page(&state, &ui, None).await
}

async fn account_page(
    state: &AppState,
    ui: &Ui,
    new_secret: Option<(String, String)>,
) -> Result<Response, UiError> {
    let lang = ui.lang;
    let account = ui.account()?;
    let tokens = state.store.list_tokens(&account.id).await.map_err(|e| ui.error(e))?;
    let org = match &account.org_id {
        Some(id) => Some(state.store.org(id).await.map_err(|e| ui.error(e))?),
        None => None,
    };
    let tz = chrono_tz::Tz::UTC;
    let body = html! {
        h1 { (lang.t("account.title")) }
        dl class="facts" {
            dt { (lang.t("account.name")) } dd { (account.name) }
            dt { (lang.t("account.email")) } dd { (account.email) }
            dt { (lang.t("account.org")) } dd { @if let Some(org) = &org { (org.name_in(lang.chinese())) " (" (org.id) ")" } @else { "—" } }
            dt { (lang.t("account.roles")) }
            dd { @for role in &account.roles { span class="tag" { (lang.t(&format!("role.{}", role.as_str()))) } " " } }
        }
        h2 { (lang.t("tokens.title")) }
        p class="help" { (lang.t("tokens.help")) }
        @if let Some((name, secret)) = &new_secret {
            (notice("ok", html! {
                p { (lang.tf("tokens.created", &[("name", name)])) }
                p { label for="new-token" { (lang.t("tokens.secret")) } }
                input id="new-token" class="secret" type="text" readonly value=(secret);
                p { strong { (lang.t("tokens.shown_once")) } }
            }))
        }
        form method="post" action="/account/tokens" class="inline" {
            (csrf(ui))
            (Field { name: "name", label: "tokens.name", help: Some("tokens.name_help"), value: "", required: true, kind: "text", problem: None }.render(lang))
            button type="submit" { (lang.t("tokens.create")) }
        }
        @if tokens.is_empty() {
            p { (lang.t("tokens.none")) }
        } @else {
            div class="scroll" tabindex="0" {
                table {
                    caption { (lang.t("tokens.list")) }
                    thead { tr { th scope="col" { (lang.t("tokens.name")) } th scope="col" { (lang.t("tokens.created_at")) } th scope="col" { (lang.t("tokens.state")) } th scope="col" { (lang.t("tokens.action")) } } }
                    tbody {
                        @for token in &tokens {
                            tr {
                                td { (token.name) }
                                td { (time(token.created_at, tz)) }
                                td {
                                    @if let Some(at) = token.revoked_at { (lang.t("tokens.revoked")) " " (time(at, tz)) }
                                    @else { (lang.t("tokens.active")) }
                                }
                                td {
                                    @if token.revoked_at.is_none() {
                                        form method="post" action=(format!("/account/tokens/{}/revoke", token.id)) {
                                            (csrf(ui))
                                            button type="submit" class="danger" aria-label=(lang.tf("tokens.revoke_named", &[("name", &token.name)])) { (lang.t("tokens.revoke")) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(page(ui, &lang.t("account.title"), body).into_response())
}

/// The token form's fields.
#[derive(Debug, Deserialize)]
pub struct TokenForm {
    /// The session's CSRF token.
    #[serde(default)]
    pub csrf_token: String,
    /// The token's name.
    #[serde(default)]
    pub name: String,
}

/// `POST /account/tokens`: creates a token and shows its secret this once.
pub async fn create_token(
    State(state): State<AppState>,
    ui: Ui,
    Form(form): Form<TokenForm>,
) -> Result<Response, UiError> {
    ui.check_csrf(&form.csrf_token)?;
    let account = ui.account()?;
    let name = form.name.trim();
    let name = if name.is_empty() { ui.lang.t("tokens.unnamed") } else { name.to_owned() };
    let (record, secret) = new_token(&state, account, &name).await.map_err(|e| ui.error(e))?;
    account_page(&state, &ui, Some((record.name, secret))).await
}

/// `POST /account/tokens/{id}/revoke`: revokes one of the account's tokens.
pub async fn revoke_token(
    State(state): State<AppState>,
    ui: Ui,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, UiError> {
    ui.check_csrf(&form.csrf_token)?;
    vulnrelay_app::accounts::revoke_token(&state, &ui.caller, &id).await.map_err(|e| ui.error(e))?;
    Ok(Redirect::to("/account").into_response())
}
