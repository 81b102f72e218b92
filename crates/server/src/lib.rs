#![doc = include_str!("../README.md")]

pub mod aggregator;
pub mod auth;
pub mod casefile;
pub mod coordination;
pub mod coordination_demo;
pub mod demo;
pub mod distribution;
mod drafts;
pub mod errors;
pub mod federation;
pub mod forwarding;
pub mod gates;
pub mod input;
pub mod metrics;
pub mod openapi;
pub mod projection;
pub mod regimes;
pub mod relations;
mod routes;
pub mod sanctions;
pub mod warnings;
pub mod worker;

use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use tokio::net::TcpListener;
use vulnrelay_policy::Pack;
use vulnrelay_store::Store;

pub use forwarding::Forwarding;

// The web UI: server-rendered pages at `/`, beside the API.
pub mod ui;
pub mod versioned;

/// How the server behaves; every field has a sensible default.
#[derive(Debug, Clone)]
pub struct Config {
    /// The platform that receives reports when neither the report nor a membership
    /// route names one.
    pub default_platform: Option<String>,
    /// The reporting chain's forwarding rules.
    pub forwarding: Forwarding,
    /// The largest request body accepted (413 above it).
    pub max_body_bytes: usize,
    /// The largest attachment accepted (decoded), per attachment.
    pub max_attachment_bytes: usize,
    /// The most attachments per report.
    pub max_attachments: usize,
    /// The most attachment bytes (decoded) per report, all attachments together.
    pub max_attachments_total_bytes: usize,
    /// How long a login session lasts.
    pub session_hours: i64,
    /// Failed logins allowed per account within `login_window`.
    pub login_attempts: usize,
    /// The window of the login rate limit.
    pub login_window: Duration,
    /// The URL the platform is reached at (in the CSAF provider metadata and the feed);
    /// when unset, the address [`serve`] listens on. Never the request's `Host` header,
    /// which any client sets.
    pub public_url: Option<String>,
    /// Accept webhooks to loopback, private, link-local and other non-public addresses
    /// (off by default: a subscriber could otherwise make the server reach into its own
    /// network; the demo and tests on loopback turn it on).
    pub allow_private_webhooks: bool,
    /// The CNA organisation UUID written into CVE records (the CVE Program assigns it);
    /// the default is a placeholder that marks records as this installation's own.
    pub cna_org_id: String,
    /// The CNA short name written into CVE records.
    pub cna_short_name: String,
    /// Policy settings of this platform: deadlines it sets for the rules that allow it
    /// (the cooperating-unit scheme's report), readings per pack.
    pub policy: vulnrelay_policy::Settings,
    /// When the delivery worker reminds the vendors of a case that have not answered,
    /// unless the case sets its own schedule (`None`: only on a case that does).
    pub coordination_reminders: Option<vulnrelay_store::ReminderSchedule>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            default_platform: None,
            forwarding: Forwarding::default(),
            max_body_bytes: 2 * 1024 * 1024,
            max_attachment_bytes: 1024 * 1024,
            max_attachments: 10,
            max_attachments_total_bytes: 4 * 1024 * 1024,
            session_hours: 12,
            login_attempts: 5,
            login_window: Duration::from_secs(15 * 60),
            public_url: None,
            allow_private_webhooks: false,
            cna_org_id: "00000000-0000-4000-8000-000000000000".into(),
            cna_short_name: "vulnrelay".into(),
            policy: vulnrelay_policy::Settings::default(),
            coordination_reminders: None,
        }
    }
}

/// What every handler shares.
pub struct Shared {
    /// The store.
    pub store: Arc<dyn Store>,
    /// The policy packs the server evaluates cases against.
    pub packs: Vec<Pack>,
    /// The configuration.
    pub config: Config,
    /// The login rate limiter.
    pub limiter: auth::LoginLimiter,
    /// Request counters and latencies.
    pub metrics: metrics::Metrics,
    /// What public distribution serves, built once per publication version.
    pub public: versioned::Versioned<distribution::PublicSnapshot>,
    /// Every record decoded and indexed for matching, once per publication version.
    pub records: versioned::Versioned<warnings::Matchable>,
    /// `http://ADDRESS` of the listener [`serve`] was given (the public URL when none
    /// is configured).
    pub bound_url: std::sync::OnceLock<String>,
    /// The key that signs the chains' heads (`vulnrelay_store::checkpoint`), when the
    /// server was given one ([`AppState::sign_checkpoints_with`]).
    pub signer: std::sync::OnceLock<vulnrelay_store::checkpoint::Signer>,
    /// The OpenPGP key that signs the CSAF provider's documents, when the server was
    /// given one ([`AppState::sign_csaf_with`]).
    pub csaf_signer: std::sync::OnceLock<vulnrelay_publish::openpgp::DocumentSigner>,
    /// This instance's federation identity, when it federates ([`AppState::federate_as`]).
    pub federation: std::sync::OnceLock<federation::Instance>,
    /// The last cases the coordination board read, while unchanged.
    pub boards: coordination::LoadedCache,
}

impl Shared {
    /// The URL the platform is reached at: the configured public URL, else the address
    /// it listens on, else `http://localhost` (a router used in-process).
    pub fn base_url(&self) -> String {
        match (&self.config.public_url, self.bound_url.get()) {
            (Some(url), _) => url.trim_end_matches('/').to_owned(),
            (None, Some(bound)) => bound.clone(),
            (None, None) => "http://localhost".to_owned(),
        }
    }
}

/// The router's state: a cheap handle on [`Shared`].
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl AppState {
    /// State over `store`, evaluating the shipped policy packs.
    pub fn new(store: Arc<dyn Store>, config: Config) -> AppState {
        // The shipped packs are embedded and tested; failing to parse them is a build defect.
        let packs =
            vulnrelay_policy::builtin_packs().unwrap_or_else(|(name, e)| panic!("shipped pack {name}: {e}"));
        let limiter = auth::LoginLimiter::new(config.login_attempts, config.login_window);
        store.set_projector(Arc::new(projection::CaseProjector::new(packs.clone(), config.policy.clone())));
        AppState(Arc::new(Shared {
            store,
            packs,
            config,
            limiter,
            metrics: metrics::Metrics::default(),
            public: versioned::Versioned::default(),
            records: versioned::Versioned::default(),
            bound_url: std::sync::OnceLock::new(),
            signer: std::sync::OnceLock::new(),
            csaf_signer: std::sync::OnceLock::new(),
            federation: std::sync::OnceLock::new(),
            boards: coordination::LoadedCache::default(),
        }))
    }

    /// Signs checkpoints of the chains' heads with `signer`: periodically (the worker)
    /// and on every publication.
    pub fn sign_checkpoints_with(&self, signer: vulnrelay_store::checkpoint::Signer) {
        let _ = self.signer.set(signer);
    }

    /// Signs every document of the CSAF provider with `signer` (a `.asc` beside each,
    /// the public key under `openpgp/`, the role of a trusted provider).
    pub fn sign_csaf_with(&self, signer: vulnrelay_publish::openpgp::DocumentSigner) {
        let _ = self.csaf_signer.set(signer);
    }

    /// Takes part in the federation as `instance`: publishes its identity, relays cases
    /// to organisations hosted on peers and takes in what peers relay.
    pub fn federate_as(&self, instance: federation::Instance) {
        let _ = self.federation.set(instance);
    }

    /// Signs the head of every chain not yet signed at its head, if the server has a
    /// key; failures are logged (a checkpoint is signed at the next chance).
    pub async fn sign_heads(&self) {
        let Some(signer) = self.signer.get() else { return };
        match self.store.sign_heads(signer, chrono::Utc::now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(checkpoints = n, "signed the heads of the hash chains"),
            Err(error) => tracing::warn!(%error, "signing checkpoints failed"),
        }
    }
}

impl Shared {
    /// Evaluates `case` against the server's packs with the platform's policy settings.
    pub fn evaluate<'a>(
        &'a self,
        case: &'a vulnrelay_domain::Case,
        options: &vulnrelay_policy::Options,
    ) -> Vec<vulnrelay_policy::Finding<'a>> {
        vulnrelay_policy::evaluate_with(case, &self.packs, options, &self.config.policy)
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
        .layer(axum::middleware::from_fn(errors::envelope))
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
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}
