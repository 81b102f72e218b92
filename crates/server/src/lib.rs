#![doc = include_str!("../README.md")]

pub mod auth;
pub mod documents;
pub mod envelope;
pub mod errors;
pub mod input;
pub mod metrics;
pub mod openapi;
mod routes;
pub mod ui;

pub use vulnrelay_app::{
    App, Caller, Config, Error, Forwarding, aggregator, casefile, coordination, coordination_demo, demo,
    distribution, drafts, federation, forwarding, gates, projection, publication, regimes, relations,
    sanctions, warnings, worker,
};

use std::ops::Deref;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use tokio::net::TcpListener;
use vulnrelay_store::Store;

/// The router's state: the application, with what only the HTTP doors keep (the login
/// rate limiter, request metrics). It dereferences to [`App`], so a handler passes
/// `&state` to every operation.
#[derive(Clone)]
pub struct AppState {
    /// The application every door calls.
    pub app: App,
    /// The login rate limiter.
    pub limiter: Arc<auth::LoginLimiter>,
    /// Request counters and latencies.
    pub metrics: Arc<metrics::Metrics>,
}

impl Deref for AppState {
    type Target = App;

    fn deref(&self) -> &App {
        &self.app
    }
}

impl AppState {
    /// State over `store`, evaluating the shipped policy packs.
    pub fn new(store: Arc<dyn Store>, config: Config) -> AppState {
        AppState::of(App::new(store, config))
    }

    /// The HTTP doors' state over `app`.
    pub fn of(app: App) -> AppState {
        let limiter = auth::LoginLimiter::new(app.config.login_attempts, app.config.login_window);
        AppState { app, limiter: Arc::new(limiter), metrics: Arc::default() }
    }
}

/// The whole HTTP interface: the REST API under `/api/v1`, `/healthz`, `/metrics`, and
/// the web UI at `/` (unknown paths under `/api` answer the JSON envelope, others a page).
pub fn router(state: AppState) -> Router {
    let api = routes::api();
    Router::new()
        .nest("/api/v1", api)
        .merge(ui::routes())
        .route("/healthz", get(routes::meta::healthz))
        .route("/metrics", get(routes::meta::metrics))
        .route("/api/v1/openapi.json", get(routes::meta::openapi))
        .route("/.well-known/csaf/", get(routes::distribution::csaf_provider_root))
        .route("/.well-known/csaf/{*path}", get(routes::distribution::csaf_provider))
        .route("/advisories/feed.atom", get(routes::distribution::feed))
        .route("/.well-known/vulnrelay.json", get(routes::federation::well_known))
        .route("/.well-known/csaf-aggregator/aggregator.json", get(routes::federation::aggregator))
        .route("/.well-known/csaf-aggregator/{peer}/{*path}", get(routes::federation::mirrored))
        .fallback(routes::meta::fallback)
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(errors::panic_response))
        .layer(axum::middleware::from_fn(envelope::envelope))
        .layer(axum::middleware::from_fn_with_state(state.clone(), metrics::track))
        .layer(axum::middleware::map_response(ui::security_headers))
        .layer(DefaultBodyLimit::max(state.config.max_body_bytes))
        .with_state(state)
}

/// Serves `router(state)` on `listener` until `shutdown` completes (for `vulnrelay
/// serve`, `vulnrelay demo` and end-to-end tests, which bind 127.0.0.1:0).
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    if let Ok(address) = listener.local_addr() {
        let _ = state.bound_url.set(format!("http://{address}"));
    }
    if let Err(error) = projection::catch_up(state.store.as_ref()).await {
        tracing::error!(%error, "case views could not be brought up to date");
    }
    // The public documents are brought up to date while the server already answers, so
    // that the first public reader after a start does not wait for all of them (a new
    // database or signing key makes every one: half an hour at a million cases). A
    // reader that comes first waits for the same build, not a second one.
    let documents = tokio::spawn({
        let app = state.app.clone();
        async move {
            if let Err(error) = vulnrelay_app::publication::public_snapshot(&app).await {
                tracing::warn!(%error, "public documents could not be brought up to date at start");
            }
        }
    });
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let served = axum::serve(listener, app).with_graceful_shutdown(shutdown).await;
    documents.abort();
    served
}
