//! The JSON error envelope of the HTTP layer: an application [`Error`] becomes a
//! status and `{"error": ...}` in one `From`.
//!
//! Policy:
//! - Every error answers `{"error":{"code":"...","message":"...","details":[...]}}` with
//!   a stable, machine-readable `code`, a message for people, and `details` listing
//!   every problem where there are several (each `{"field": "$.path", "message": ...}`,
//!   or a gate's `{"rule", "article", "message"}`).
//! - Bad input is 400 (`bad_request`: malformed JSON, wrong content type), 413
//!   (`payload_too_large`) or 422 (`invalid`: well-formed but wrong, listing every
//!   problem at once). Authentication is 401; a forbidden action on a case the caller
//!   can see is 403; a case the caller may not see is 404, exactly as if it did not exist.
//! - Store errors map by kind: not found → 404, a uniqueness conflict → 409, a
//!   reference to something that does not exist → 422, a concurrent change → 409
//!   (`stale`: retry), a refused purge → 409 (`retention`).
//! - Internal errors (database failures, corrupt records) are logged with their cause
//!   and answered 500 `internal` with a fixed message: nothing internal is echoed.

use axum::Json;
use axum::extract::rejection::{BytesRejection, JsonRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use vulnrelay_app::Error;
use vulnrelay_app::error::RelayKind;
use vulnrelay_store::StoreError;

/// An error answered to a client.
#[derive(Debug, Clone, PartialEq)]
pub struct AppError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The machine-readable code.
    pub code: &'static str,
    /// The message for people.
    pub message: String,
    /// Every problem, where there are several.
    pub details: Vec<Value>,
}

impl AppError {
    /// An error with no details.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> AppError {
        AppError { status, code, message: message.into(), details: Vec::new() }
    }

    /// Adds details.
    pub fn with_details(mut self, details: Vec<Value>) -> AppError {
        self.details = details;
        self
    }

    /// 400: the request cannot be read.
    pub fn bad_request(message: impl Into<String>) -> AppError {
        Error::bad_request(message).into()
    }

    /// 401: no valid credentials.
    pub fn unauthorized() -> AppError {
        Error::unauthorized().into()
    }

    /// 403: the caller may not do this.
    pub fn forbidden(message: impl Into<String>) -> AppError {
        Error::forbidden(message).into()
    }

    /// 404: no such thing (or one the caller may not see).
    pub fn not_found(what: &str) -> AppError {
        Error::not_found(what).into()
    }

    /// 422: the content is wrong; `problems` are `(field, message)` pairs.
    pub fn invalid(problems: Vec<(String, String)>) -> AppError {
        Error::invalid(problems).into()
    }

    /// 429: too many attempts.
    pub fn rate_limited() -> AppError {
        Error::rate_limited().into()
    }

    /// 500: logs the cause and answers a fixed message.
    pub fn internal(cause: impl std::fmt::Display) -> AppError {
        Error::internal(cause).into()
    }
}

/// The status of each of the application's errors: the one place an operation's
/// outcome becomes HTTP.
impl From<Error> for AppError {
    fn from(error: Error) -> Self {
        let status = match &error {
            Error::BadRequest(_) => StatusCode::BAD_REQUEST,
            Error::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Error::Unauthenticated { .. } => StatusCode::UNAUTHORIZED,
            Error::Forbidden(_) => StatusCode::FORBIDDEN,
            Error::NotFound { .. } => StatusCode::NOT_FOUND,
            Error::Conflict { .. } | Error::Refused(_) | Error::Sanction(_) => StatusCode::CONFLICT,
            Error::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Error::Relay { kind, .. } => match kind {
                RelayKind::NotFederating => StatusCode::NOT_FOUND,
                RelayKind::NotAPeer => StatusCode::FORBIDDEN,
                RelayKind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
                RelayKind::Replayed => StatusCode::CONFLICT,
                RelayKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
                RelayKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            },
            Error::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Error::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        };
        AppError::new(status, error.code(), error.to_string()).with_details(error.details())
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let body = json!({"error": {"code": self.code, "message": self.message, "details": self.details}});
        (self.status, Json(body)).into_response()
    }
}

impl From<Vec<vulnrelay_formats::fields::Problem>> for AppError {
    fn from(problems: Vec<vulnrelay_formats::fields::Problem>) -> Self {
        Error::from(problems).into()
    }
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        Error::from(error).into()
    }
}

impl From<JsonRejection> for AppError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::JsonDataError(e) => AppError::invalid(vec![(
                "$".into(),
                e.body_text().replace("Failed to deserialize the JSON body into the target type: ", ""),
            )]),
            JsonRejection::JsonSyntaxError(e) => {
                AppError::bad_request(format!("malformed JSON: {}", e.body_text()))
            }
            JsonRejection::MissingJsonContentType(_) => {
                AppError::bad_request("expected a JSON body with `Content-Type: application/json`")
            }
            JsonRejection::BytesRejection(e) => e.into(),
            other => AppError::bad_request(other.body_text()),
        }
    }
}

/// A body that could not be read: too large (413), else a bad request.
impl From<BytesRejection> for AppError {
    fn from(rejection: BytesRejection) -> Self {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Error::TooLarge.into()
        } else {
            AppError::bad_request(rejection.body_text())
        }
    }
}

/// The result of a handler.
pub type AppResult<T> = Result<T, AppError>;

/// What a handler that panicked answers: the 500 envelope (the panic is logged), so
/// the connection is answered rather than dropped.
pub fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let cause = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("a handler panicked");
    AppError::internal(format!("panic: {cause}")).into_response()
}
