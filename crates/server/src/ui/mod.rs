//! The web UI: server-rendered pages in Chinese and English, mounted at `/` beside the
//! REST API (which stays under `/api/v1`).
//!
//! - Templates are [maud](https://maud.lambda.xyz) macros: HTML checked at compile time
//!   and escaped by default, with every word looked up in the message catalogues of
//!   [`i18n`] (no text in templates).
//! - Pages call the same crate functions the API handlers call (sign-in, intake,
//!   events through the gates, memberships, records), so the UI cannot do what the API
//!   refuses, and every case read goes through `domain::can`.
//! - Forms are plain HTML posts with the session's CSRF token in a `csrf_token` field;
//!   the session is the API's cookie session. One small script ([`assets`]) runs the
//!   live countdowns; every page works without it.

pub mod assets;
pub mod i18n;
mod pages;
mod picker;
pub mod session;
mod timeline;
mod view;

use axum::Router;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::AppState;

pub use i18n::Lang;
pub use session::Ui;

/// The UI's routes, merged into the server's router at `/`.
pub fn routes() -> Router<AppState> {
    use pages::{
        account, cases, coordination, dashboard, drafts, federation, inventory, orgs, reports, stats, vulns,
        warnings,
    };
    Router::new()
        .route("/", get(dashboard::home))
        .route("/lang/{tag}", get(session::switch_language))
        .route("/static/{file}", get(assets::serve))
        .route("/login", get(account::login_form).post(account::login))
        .route("/logout", post(account::logout))
        .route("/account", get(account::show))
        .route("/account/tokens", post(account::create_token))
        .route("/account/tokens/{id}/revoke", post(account::revoke_token))
        .route("/dashboard", get(dashboard::show))
        .route("/reports/new", get(reports::form))
        .route(
            "/reports",
            get(reports::to_form)
                .post(reports::submit)
                .layer(axum::extract::DefaultBodyLimit::max(reports::FORM_MAX_BYTES)),
        )
        .route("/receipts", get(reports::receipts))
        .route("/receipts/{id}", get(reports::receipt))
        .route("/cases/{id}", get(cases::show))
        .route("/cases/{id}/events", post(cases::record))
        .route("/cases/{id}/drafts", get(drafts::show))
        .route("/cases/{id}/drafts/send", post(drafts::send))
        .route("/cases/{id}/coordination", get(coordination::show))
        .route("/cases/{id}/coordination/participants", post(coordination::add))
        .route("/cases/{id}/coordination/status", post(coordination::set_status))
        .route("/cases/{id}/coordination/reminders", post(coordination::remind))
        .route("/advisories", get(vulns::list))
        .route("/advisories/{id}", get(vulns::show))
        .route("/advisories/{id}/{kind}", get(vulns::document))
        .route("/orgs", get(orgs::list))
        .route("/orgs/{id}", get(orgs::show))
        .route("/orgs/{id}/memberships/{scheme}/{change}", post(orgs::change))
        .route("/warnings", get(warnings::inbox))
        .route("/warnings/{id}/ack", post(warnings::acknowledge))
        .route("/warnings/{id}/assets/{asset}", post(warnings::set_status))
        .route("/stats", get(stats::show))
        .route("/federation", get(federation::show))
        .route("/federation/relays/{id}/replay", post(federation::replay))
        .route(
            "/assets",
            get(inventory::list)
                .post(inventory::upload)
                .layer(axum::extract::DefaultBodyLimit::max(vulnrelay_app::assets::MAX_SBOM_BYTES)),
        )
        .route("/assets/{name}", get(inventory::show))
}

/// Headers on every answer (pages, and the API's HTML bulletins and manuals alike): only
/// this site's own style sheet and script run (the charts are inline SVG, not
/// resources), no framing, no MIME sniffing, no referrer beyond the site.
pub async fn security_headers(mut response: Response) -> Response {
    use axum::http::HeaderValue;
    let headers = response.headers_mut();
    headers.insert(
        "content-security-policy",
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    headers.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    headers.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    response
}

/// The page for an error outside the API, in the viewer's language.
pub fn error_response(headers: &HeaderMap, error: &crate::errors::AppError) -> Response {
    let viewer =
        Ui { lang: Lang::of_request(headers), caller: Default::default(), csrf: None, path: "/".into() };
    (error.status, view::error_page(&viewer, error)).into_response()
}

/// The page for an unknown path, in the viewer's language (the server's fallback
/// answers this outside `/api`).
pub fn not_found(headers: &HeaderMap) -> Response {
    error_response(headers, &crate::errors::AppError::not_found("page"))
}
