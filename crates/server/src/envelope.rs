//! The middleware that answers every error in the one envelope: axum's own rejections
//! (plain text) become `{"error": ...}` on the API and a page in the viewer's language
//! elsewhere.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::errors::AppError;

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
