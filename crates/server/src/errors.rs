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
use axum::extract::rejection::JsonRejection;
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

    /// 409: the request conflicts with the current state.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> AppError {
        Error::conflict(code, message).into()
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
            JsonRejection::BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Error::TooLarge.into()
            }
            other => AppError::bad_request(other.body_text()),
        }
    }
}

/// The result of a handler.
pub type AppResult<T> = Result<T, AppError>;

/// The most of a plain-text error body that [`envelope`] reads into the message.
const PLAIN_ERROR_LIMIT: usize = 4096;

/// Middleware: every error is answered in the one envelope. axum's own rejections (a
/// query string or path segment that does not parse, a path that is not UTF-8, a
/// method the route does not have, a body over the limit) answer plain text; this turns
/// them into `{"error": ...}` (outside the API, into the page in the viewer's
/// language). Answers that are already JSON or HTML pass unchanged, and a plain 500 is
/// answered with the fixed message (its text is logged, never echoed).
pub async fn envelope(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let api = is_api_path(request.uri().path());
    let headers = (!api).then(|| request.headers().clone());
    let response = next.run(request).await;
    let status = response.status();
    let plain = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_none_or(|v| v.to_str().is_ok_and(|v| v.starts_with("text/plain")));
    if !(status.is_client_error() || status.is_server_error()) || !plain {
        return response;
    }
    let bytes = axum::body::to_bytes(response.into_body(), PLAIN_ERROR_LIMIT).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes).trim().to_owned();
    let error = if status.is_server_error() {
        AppError::internal(format!("{status}: {text}"))
    } else {
        let message = if text.is_empty() {
            status.canonical_reason().unwrap_or("request refused").to_ascii_lowercase()
        } else {
            text
        };
        AppError::new(status, status_code(status), message)
    };
    match headers {
        None => error.into_response(),
        Some(headers) => crate::ui::error_response(&headers, &error),
    }
}

/// Paths answered as JSON rather than as pages.
fn is_api_path(path: &str) -> bool {
    ["/api/", "/.well-known/"].iter().any(|p| path.starts_with(p))
        || ["/api", "/healthz", "/metrics"].contains(&path)
}

/// The envelope's code for a status axum answered by itself.
fn status_code(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid",
        StatusCode::TOO_MANY_REQUESTS => "rate_limited",
        _ => "bad_request",
    }
}

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
