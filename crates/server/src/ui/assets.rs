//! The UI's static assets, embedded in the binary: the style sheet, the countdown
//! script and the icon. Nothing is fetched from elsewhere at run time.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The style sheet.
pub const CSS: &str = include_str!("../../assets/app.css");
/// The script: live countdowns of the `.countdown[data-due]` elements, and the
/// organisation pickers' live search.
pub const JS: &str = include_str!("../../assets/app.js");

/// The icon: a shield with a clock hand.
pub const ICON: &str = include_str!("../../assets/favicon.svg");

/// `GET /static/{file}`: `app.css`, `app.js` or `favicon.svg`.
pub async fn serve(Path(file): Path<String>) -> Response {
    let (body, kind) = match file.as_str() {
        "app.css" => (CSS, "text/css; charset=utf-8"),
        "app.js" => (JS, "text/javascript; charset=utf-8"),
        "favicon.svg" => (ICON, "image/svg+xml"),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    ([(header::CONTENT_TYPE, kind), (header::CACHE_CONTROL, "public, max-age=3600")], body).into_response()
}
