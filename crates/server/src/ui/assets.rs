//! The UI's static assets, embedded in the binary: the style sheet and the countdown
//! script. Nothing is fetched from elsewhere at run time.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The style sheet.
pub const CSS: &str = include_str!("../../assets/app.css");
/// The script: live countdowns of `<time data-due>` elements.
pub const JS: &str = include_str!("../../assets/app.js");

/// `GET /static/{file}`: `app.css` or `app.js`.
pub async fn serve(Path(file): Path<String>) -> Response {
    let (body, kind) = match file.as_str() {
        "app.css" => (CSS, "text/css; charset=utf-8"),
        "app.js" => (JS, "text/javascript; charset=utf-8"),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    ([(header::CONTENT_TYPE, kind), (header::CACHE_CONTROL, "public, max-age=3600")], body).into_response()
}
