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

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Method, header};
use sha2::{Digest, Sha256};
use vulnrelay_domain::{AccountRole, Actor, PartyId};
use vulnrelay_store::{Account, Status, StoreError, fill_random};

use crate::AppState;
use crate::errors::AppError;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "vr_session";
/// The header that carries the CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Hashes a password with argon2id (the crate's default parameters) and a random salt.
pub fn hash_password(password: &str) -> Result<String, AppError> {
    let mut salt = [0u8; 16];
    fill_random(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(AppError::internal)?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(AppError::internal)
}

/// Whether `password` matches the PHC string `hash`.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// A new secret: a prefix and 32 random bytes in hex.
pub fn new_secret(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    fill_random(&mut bytes);
    format!("{prefix}{}", hex::encode(bytes))
}

/// The stored form of a token or session id: its SHA-256 in hex.
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Who is calling: an active account, or nobody.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    /// The account, when authenticated.
    pub account: Option<Account>,
}

impl Caller {
    /// The account, or 401.
    pub fn require(&self) -> Result<&Account, AppError> {
        self.account.as_ref().ok_or_else(AppError::unauthorized)
    }

    /// The account if it holds one of `roles`, else 403 (401 when anonymous).
    pub fn require_role(&self, roles: &[AccountRole]) -> Result<&Account, AppError> {
        let account = self.require()?;
        if account.roles.iter().any(|r| roles.contains(r)) {
            Ok(account)
        } else {
            let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
            Err(AppError::forbidden(format!("this needs one of the roles: {}", names.join(", "))))
        }
    }

    /// The caller as access control sees it.
    pub fn actor(&self) -> Actor {
        match &self.account {
            None => Actor::anonymous(),
            Some(account) => Actor { org: account.org_id.clone().map(PartyId), roles: account.roles.clone() },
        }
    }
}

impl FromRequestParts<AppState> for Caller {
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
            return Ok(Caller::default());
        };
        match account.status {
            Status::Active => Ok(Caller { account: Some(account) }),
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

/// Failed logins per key (e-mail address): at most `max` within `window`, then 429
/// until the oldest failure leaves the window. A success clears the key.
#[derive(Debug)]
pub struct LoginLimiter {
    max: usize,
    window: Duration,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl LoginLimiter {
    /// A limiter allowing `max` failures per `window`.
    pub fn new(max: usize, window: Duration) -> LoginLimiter {
        LoginLimiter { max, window, failures: Mutex::new(HashMap::new()) }
    }

    fn with<T>(&self, f: impl FnOnce(&mut HashMap<String, VecDeque<Instant>>) -> T) -> T {
        let mut guard = self.failures.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut guard)
    }

    /// Whether another attempt for `key` is allowed now.
    pub fn allowed(&self, key: &str) -> bool {
        let window = self.window;
        self.with(|failures| {
            let Some(times) = failures.get_mut(key) else { return true };
            while times.front().is_some_and(|t| t.elapsed() > window) {
                times.pop_front();
            }
            times.len() < self.max
        })
    }

    /// Records a failed attempt.
    pub fn failed(&self, key: &str) {
        self.with(|failures| failures.entry(key.to_owned()).or_default().push_back(Instant::now()));
    }

    /// Forgets the failures of `key` after a success.
    pub fn succeeded(&self, key: &str) {
        self.with(|failures| failures.remove(key));
    }
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
    fn the_limiter_stops_the_sixth_failure_and_a_success_resets() {
        let limiter = LoginLimiter::new(5, Duration::from_secs(900));
        for _ in 0..5 {
            assert!(limiter.allowed("a@b"));
            limiter.failed("a@b");
        }
        assert!(!limiter.allowed("a@b"));
        assert!(limiter.allowed("c@d"));
        limiter.succeeded("a@b");
        assert!(limiter.allowed("a@b"));
    }
}
