//! Who is looking at a page, in which language: the [`Ui`] extractor, the CSRF check
//! of form posts, the language switch, and how errors become pages.

use axum::extract::{FromRequestParts, Path, Query};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use vulnrelay_domain::AccountRole;
use vulnrelay_store::{Account, Status, StoreError};

use crate::AppState;
use crate::auth::{Caller, SESSION_COOKIE, cookie, secret_hash};
use crate::errors::AppError;
use crate::ui::i18n::{LANG_COOKIE, Lang};

/// The viewer of a page: language, account (through the API's cookie session) and the
/// session's CSRF token, which every form posts back.
#[derive(Debug, Clone)]
pub struct Ui {
    /// The language of the page.
    pub lang: Lang,
    /// The caller, for access checks (anonymous without a valid session).
    pub caller: Caller,
    /// The session's CSRF token.
    pub csrf: Option<String>,
    /// The path and query of the request (where the language switch returns to).
    pub path: String,
}

impl Ui {
    /// The signed-in account, or [`UiError`] 401 (which redirects to the sign-in page).
    pub fn account(&self) -> Result<&Account, UiError> {
        self.caller.account.as_ref().ok_or_else(|| self.error(AppError::unauthorized()))
    }

    /// Whether the account holds one of `roles`.
    pub fn has_role(&self, roles: &[AccountRole]) -> bool {
        self.caller.account.as_ref().is_some_and(|a| a.roles.iter().any(|r| roles.contains(r)))
    }

    /// Checks a form's `csrf_token` against the session's (403 otherwise).
    pub fn check_csrf(&self, sent: &str) -> Result<(), UiError> {
        self.account()?;
        match &self.csrf {
            Some(token) if !sent.is_empty() && token == sent => Ok(()),
            _ => Err(self.error(AppError::forbidden("missing or wrong CSRF token"))),
        }
    }

    /// `error` as a page in this viewer's language.
    pub fn error(&self, error: impl Into<AppError>) -> UiError {
        let error = error.into();
        UiError { viewer: Box::new(self.clone()), error }
    }
}

impl FromRequestParts<AppState> for Ui {
    type Rejection = UiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let lang = Lang::of_request(&parts.headers);
        let path = if parts.method == axum::http::Method::GET {
            parts.uri.path_and_query().map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned())
        } else {
            page_of_post(parts.uri.path())
        };
        let mut ui = Ui { lang, caller: Caller::default(), csrf: None, path };
        let Some(session_id) = cookie(&parts.headers, SESSION_COOKIE) else { return Ok(ui) };
        let session = match state.store.session(&secret_hash(&session_id)).await {
            Ok(session) if session.expires_at > chrono::Utc::now() => session,
            // An expired or unknown session is nobody: the pages say "sign in".
            Ok(_) | Err(StoreError::NotFound { .. }) => return Ok(ui),
            Err(other) => return Err(ui.error(other)),
        };
        let account = state.store.account(&session.account_id).await.map_err(|e| ui.error(e))?;
        if account.status == Status::Active {
            ui.caller = Caller { account: Some(account) };
            ui.csrf = Some(session.csrf_token);
        }
        Ok(ui)
    }
}

/// The page a form post came from (where the language switch of its answer returns):
/// `/cases/{id}/events` → `/cases/{id}`, `/orgs/{id}/memberships/...` → `/orgs/{id}`,
/// `/account/tokens/...` → `/account`, `/reports` → `/reports/new`.
pub fn page_of_post(path: &str) -> String {
    if let Some(case) = path.strip_suffix("/events") {
        return case.to_owned();
    }
    if let Some((org, _)) = path.split_once("/memberships/") {
        return org.to_owned();
    }
    match path {
        p if p.starts_with("/account") => "/account".to_owned(),
        "/reports" => "/reports/new".to_owned(),
        "/login" => "/login".to_owned(),
        _ => "/".to_owned(),
    }
}

/// An error shown as a page: 401 sends the viewer to the sign-in page (and back
/// afterwards); anything else is a page naming what went wrong, in the viewer's language.
#[derive(Debug)]
pub struct UiError {
    /// Who was looking, in which language, where.
    pub viewer: Box<Ui>,
    /// What went wrong.
    pub error: AppError,
}

/// Percent-encodes a query value.
pub fn encode(value: &str) -> String {
    let mut out = String::new();
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~/".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// A local path to return to: only a path on this site (`/...`), else `/`. A browser
/// drops tabs and line breaks from a URL and reads `\\` as `/`, so `/\t/host` or
/// `/\\host` would leave the site: any whitespace, control character or backslash, and
/// a second leading slash, send the visitor to `/` instead.
pub fn local_path(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path[1..].starts_with('/')
                && !path.chars().any(|c| c.is_whitespace() || c.is_control() || c == '\\') =>
        {
            path.to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// Query of the language switch.
#[derive(Debug, serde::Deserialize)]
pub struct NextQuery {
    /// Where to go afterwards.
    pub next: Option<String>,
}

/// `GET /lang/{tag}?next=PATH`: keeps the language in a cookie (a year) and returns.
pub async fn switch_language(Path(tag): Path<String>, Query(query): Query<NextQuery>) -> Response {
    let lang = Lang::from_tag(&tag).unwrap_or(Lang::En);
    let cookie = format!("{LANG_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000", lang.tag());
    ([(header::SET_COOKIE, cookie)], Redirect::to(&local_path(query.next.as_deref()))).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(local_path(Some("/cases/c1?x=1")), "/cases/c1?x=1");
        assert_eq!(local_path(Some("//evil.example/")), "/");
        assert_eq!(local_path(Some("https://evil.example/")), "/");
        assert_eq!(local_path(None), "/");
        assert_eq!(encode("/cases/a b?x=1"), "/cases/a%20b%3Fx%3D1");
        assert_eq!(page_of_post("/cases/c1/events"), "/cases/c1");
        assert_eq!(page_of_post("/orgs/o1/memberships/s/suspend"), "/orgs/o1");
        assert_eq!(page_of_post("/reports"), "/reports/new");
    }
}
