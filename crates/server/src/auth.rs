//! Authentication: argon2id passwords, API tokens (stored as SHA-256 hashes, shown
//! once), cookie sessions with a CSRF token, and login rate limiting.
//!
//! A request is authenticated by `Authorization: Bearer <token>` or by the session
//! cookie. A cookie-authenticated request that changes something (any method but GET,
//! HEAD, OPTIONS) must carry the session's CSRF token in `X-CSRF-Token` (or, for form
//! posts, a `csrf_token` field): a cross-site form cannot read it, so it cannot forge it.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Method, header};
use vulnrelay_store::{Account, Session, Status, StoreError};

use crate::AppState;
use crate::errors::{AppError, AppResult};

pub use vulnrelay_app::Caller;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "vr_session";
/// The header that carries the CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";

pub use vulnrelay_app::secrets::{hash_password, new_secret, secret_hash, verify_password};

/// The caller of a request, established from its API token or session cookie (with
/// the CSRF token for a change): the extractor of every handler.
#[derive(Debug, Clone, Default)]
pub struct Auth(pub Caller);

impl std::ops::Deref for Auth {
    type Target = Caller;

    fn deref(&self) -> &Caller {
        &self.0
    }
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let store = &state.store;
        let account = if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
            let token =
                value.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")).ok_or_else(|| {
                    AppError::bad_request("the Authorization header must be `Bearer <token>`")
                })?;
            match store.account_by_token(&secret_hash(token.trim())).await {
                Ok(account) => account,
                Err(StoreError::NotFound { .. }) => return Err(AppError::unauthorized()),
                Err(other) => return Err(other.into()),
            }
        } else if let Some(session_id) = cookie(&parts.headers, SESSION_COOKIE) {
            let session = match store.session(&secret_hash(&session_id)).await {
                Ok(session) if session.expires_at > chrono::Utc::now() => session,
                Ok(_) | Err(StoreError::NotFound { .. }) => return Err(AppError::unauthorized()),
                Err(other) => return Err(other.into()),
            };
            let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
            let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
            if !safe && sent != Some(session.csrf_token.as_str()) {
                return Err(AppError::forbidden("missing or wrong CSRF token (send it in X-CSRF-Token)"));
            }
            store.account(&session.account_id).await?
        } else {
            return Ok(Auth::default());
        };
        match account.status {
            Status::Active => Ok(Auth(Caller::of(account))),
            Status::Pending => Err(AppError::forbidden("this account waits for an analyst's approval")),
            Status::Rejected => Err(AppError::unauthorized()),
        }
    }
}

/// A cookie's value from the request.
pub fn cookie(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

/// The client's address, when the connection's is known (`vulnrelay serve`; a router
/// called in-process has none). Forwarding headers are not trusted.
#[derive(Debug, Clone, Copy, Default)]
pub struct ClientAddress(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let info = parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>();
        Ok(ClientAddress(info.map(|c| c.0.ip())))
    }
}

/// A session started by [`start_session`]: the account, the session id (the cookie's
/// value), its CSRF token and when it expires.
pub type Started = (Account, String, String, chrono::DateTime<chrono::Utc>);

/// Checks `email` and `password` (through the login rate limit) and opens a session;
/// shared by the API's login and the web UI's sign-in form.
pub async fn start_session(
    state: &AppState,
    email: &str,
    password: &str,
    client: ClientAddress,
) -> AppResult<Started> {
    let key = email.to_lowercase();
    if !state.limiter.allowed(&key, client.0) {
        return Err(AppError::rate_limited());
    }
    let account = match state.store.account_by_email(&key).await {
        Ok(account) => Some(account),
        Err(StoreError::NotFound { .. }) => None,
        Err(other) => return Err(other.into()),
    };
    // An unknown address costs the same hash as a known one.
    let hash = account.as_ref().map_or(dummy_password_hash(), |a| a.password_hash.as_str());
    let verified = verify_password(password, hash);
    let Some(account) = account.filter(|_| verified) else {
        state.limiter.failed(&key, client.0);
        return Err(vulnrelay_app::Error::Unauthenticated {
            code: "bad_credentials",
            message: "wrong e-mail address or password".into(),
        }
        .into());
    };
    state.limiter.succeeded(&key, client.0);
    if account.status != Status::Active {
        return Err(AppError::forbidden("this account is not active (pending approval or rejected)"));
    }
    let session_id = new_secret("");
    let csrf_token = new_secret("");
    let now = chrono::Utc::now();
    let expires_at = now + chrono::TimeDelta::hours(state.config.session_hours);
    let session = Session { account_id: account.id.clone(), csrf_token: csrf_token.clone(), expires_at };
    state.store.create_session(&secret_hash(&session_id), &session, now).await?;
    Ok((account, session_id, csrf_token, expires_at))
}

/// The `Set-Cookie` value of a new session.
pub fn session_cookie(state: &AppState, session_id: &str) -> String {
    format!(
        "{SESSION_COOKIE}={session_id}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}",
        state.config.session_hours * 3600
    )
}

/// The `Set-Cookie` value that ends a session.
pub const CLEAR_SESSION_COOKIE: &str = "vr_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0";

/// The most keys the limiter tracks; past it the stalest key is forgotten, so the
/// limiter's memory is bounded whatever a client sends.
pub const LIMITER_MAX_KEYS: usize = 100_000;

/// The failed-login rate limit. Failures count per client address (at most
/// `4 × max` within `window`, over every account it tries) and per account and client
/// address (at most `max`). An account is never locked as such: the right password
/// from a client that has not failed on it still signs in, so an attacker cannot lock a
/// real user out by failing on purpose. A success clears that account's failures from
/// that client. Memory is bounded by [`LIMITER_MAX_KEYS`] keys of at most `4 × max`
/// times each.
#[derive(Debug)]
pub struct LoginLimiter {
    max: usize,
    window: Duration,
    max_keys: usize,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl LoginLimiter {
    /// A limiter allowing `max` failures per account and client within `window`.
    pub fn new(max: usize, window: Duration) -> LoginLimiter {
        LoginLimiter::bounded(max, window, LIMITER_MAX_KEYS)
    }

    /// A limiter tracking at most `max_keys` keys.
    pub fn bounded(max: usize, window: Duration, max_keys: usize) -> LoginLimiter {
        LoginLimiter { max, window, max_keys: max_keys.max(1), failures: Mutex::new(HashMap::new()) }
    }

    fn keys(account: &str, client: Option<std::net::IpAddr>) -> (String, String, usize) {
        let client = client.map_or_else(|| "-".to_owned(), |ip| ip.to_string());
        (format!("account {account} from {client}"), format!("client {client}"), 4)
    }

    fn with<T>(&self, f: impl FnOnce(&mut HashMap<String, VecDeque<Instant>>) -> T) -> T {
        let mut guard = self.failures.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut guard)
    }

    fn recent(&self, failures: &mut HashMap<String, VecDeque<Instant>>, key: &str) -> usize {
        let Some(times) = failures.get_mut(key) else { return 0 };
        while times.front().is_some_and(|t| t.elapsed() > self.window) {
            times.pop_front();
        }
        times.len()
    }

    /// Whether another attempt on `account` from `client` is allowed now.
    pub fn allowed(&self, account: &str, client: Option<std::net::IpAddr>) -> bool {
        let (pair, client_key, factor) = Self::keys(account, client);
        self.with(|failures| {
            self.recent(failures, &pair) < self.max && self.recent(failures, &client_key) < self.max * factor
        })
    }

    /// Records a failed attempt on `account` from `client`.
    pub fn failed(&self, account: &str, client: Option<std::net::IpAddr>) {
        let (pair, client_key, factor) = Self::keys(account, client);
        let cap = self.max * factor;
        self.with(|failures| {
            for key in [pair, client_key] {
                if !failures.contains_key(&key) && failures.len() >= self.max_keys {
                    self.make_room(failures);
                }
                let times = failures.entry(key).or_default();
                times.push_back(Instant::now());
                while times.len() > cap {
                    times.pop_front();
                }
            }
        });
    }

    /// Forgets the failures on `account` from `client` after a success.
    pub fn succeeded(&self, account: &str, client: Option<std::net::IpAddr>) {
        let (pair, _, _) = Self::keys(account, client);
        self.with(|failures| failures.remove(&pair));
    }

    /// The number of keys tracked.
    pub fn len(&self) -> usize {
        self.with(|failures| failures.len())
    }

    /// Whether no key is tracked.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops expired keys; if none expired, the key whose last failure is oldest.
    fn make_room(&self, failures: &mut HashMap<String, VecDeque<Instant>>) {
        let window = self.window;
        failures.retain(|_, times| times.back().is_some_and(|t| t.elapsed() <= window));
        if failures.len() >= self.max_keys
            && let Some(stalest) =
                failures.iter().min_by_key(|(_, times)| times.back().copied()).map(|(k, _)| k.clone())
        {
            failures.remove(&stalest);
        }
    }
}

/// A password hash that matches no password, verified when the e-mail address is
/// unknown so that known and unknown addresses take the same time.
pub fn dummy_password_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password(&new_secret("dummy-")).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("wrong horse", &hash));
        assert!(!verify_password("correct horse", "not a hash"));
        assert_ne!(hash, hash_password("correct horse").unwrap(), "salted");
    }

    #[test]
    fn the_limiter_stops_the_sixth_failure_from_a_client_but_never_locks_the_account() {
        let limiter = LoginLimiter::new(5, Duration::from_secs(900));
        let (attacker, user) = (Some("203.0.113.7".parse().unwrap()), Some("198.51.100.2".parse().unwrap()));
        for _ in 0..5 {
            assert!(limiter.allowed("a@b", attacker));
            limiter.failed("a@b", attacker);
        }
        assert!(!limiter.allowed("a@b", attacker));
        // Another account from the same client, and the same account from a fresh one.
        assert!(limiter.allowed("c@d", attacker));
        assert!(limiter.allowed("a@b", user));
        limiter.succeeded("a@b", attacker);
        assert!(limiter.allowed("a@b", attacker));
        // A client failing across many accounts is stopped at four times the limit.
        let sprayer = Some("192.0.2.9".parse().unwrap());
        for i in 0..20 {
            assert!(limiter.allowed(&format!("user{i}@x"), sprayer), "{i}");
            limiter.failed(&format!("user{i}@x"), sprayer);
        }
        assert!(!limiter.allowed("user99@x", sprayer));
    }

    #[test]
    fn the_limiter_holds_a_bounded_number_of_keys() {
        let limiter = LoginLimiter::bounded(5, Duration::from_secs(900), 100);
        for i in 0..10_000u32 {
            limiter.failed(&format!("user{i}@x"), Some(std::net::IpAddr::from(i.to_be_bytes())));
        }
        assert!(limiter.len() <= 100, "{}", limiter.len());
        assert!(!verify_password("anything", dummy_password_hash()));
    }
}
