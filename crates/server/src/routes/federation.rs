//! Federation's handlers: the instance's public identity, the relay endpoint peers
//! POST signed envelopes to, the administrators' peers, relays and refusals, and a
//! case's relays with their receipts (`crate::federation` does the work).

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde_json::Value;

use crate::AppState;
use crate::auth::Auth;
use crate::errors::AppResult;
use crate::federation::{PeerBody, peers};
use crate::input::Checked;

/// The largest relay envelope accepted: a forward carries the case's events and the
/// report's files (base64, a third larger than the default 4 MiB of a report's files).
pub const MAX_ENVELOPE_BYTES: usize = 12 * 1024 * 1024;

/// The federation routes under `/api/v1`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/federation/relay",
            post(relay).layer(axum::extract::DefaultBodyLimit::max(MAX_ENVELOPE_BYTES)),
        )
        .route("/federation/relays", get(list_relays))
        .route("/federation/relays/{id}/replay", post(replay))
        .route("/federation/refusals", get(refusals))
        .route("/peers", get(list_peers).post(add_peer))
        .route("/peers/{id}", delete(remove_peer))
        .route("/cases/{id}/relays", get(case_relays))
}

/// `GET /.well-known/vulnrelay.json`: the instance's id (its Ed25519 public key), key
/// fingerprint, API version and the organisations it operates (404 when the instance
/// does not federate).
pub async fn well_known(State(state): State<AppState>) -> AppResult<Json<Value>> {
    Ok(Json(crate::federation::well_known(&state).await?))
}

/// `GET /.well-known/csaf-aggregator/aggregator.json`: the CSAF aggregator metadata
/// (CSAF 2.0 §7.1.8): this instance's provider and each peer's it mirrors.
pub async fn aggregator(State(state): State<AppState>) -> AppResult<Json<Value>> {
    Ok(Json(crate::aggregator::aggregator_json(&state).await?))
}

/// `GET /.well-known/csaf-aggregator/{peer}/{path}`: the mirror of a peer's CSAF
/// provider (`provider-metadata.json`, `white/index.txt`, documents with their
/// `.sha256`, `.sha512` and the provider's `.asc`), as the worker stored it.
pub async fn mirrored(
    State(state): State<AppState>,
    axum::extract::Path((peer, path)): axum::extract::Path<(String, String)>,
) -> AppResult<axum::response::Response> {
    use axum::response::IntoResponse;
    let (content_type, bytes) = crate::aggregator::mirrored_file(&state, &peer, &path).await?;
    Ok(([(axum::http::header::CONTENT_TYPE, content_type)], bytes).into_response())
}

/// `POST /api/v1/federation/relay`: a peer's signed envelope; answers the signed
/// receipt (200), or refuses it (403 not a peer or a bad signature, 409 a replayed key
/// with other content, 422 a broken chain or an unknown recipient), logged.
pub async fn relay(State(state): State<AppState>, body: axum::body::Bytes) -> AppResult<Json<Value>> {
    Ok(Json(crate::federation::inbound::relay(&state, &body).await?))
}

/// `GET /api/v1/peers`: the configured peers (administrators).
pub async fn list_peers(State(state): State<AppState>, Auth(caller): Auth) -> AppResult<Json<Value>> {
    Ok(Json(peers::list_peers(&state, &caller).await?))
}

/// `POST /api/v1/peers`: an administrator adds a peer, the key and URL exchanged out of
/// band; `orgs` are the organisations it hosts.
pub async fn add_peer(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Checked(body): Checked<PeerBody>,
) -> AppResult<Response> {
    Ok((StatusCode::CREATED, Json(peers::add_peer(&state, &caller, body).await?)).into_response())
}

/// `DELETE /api/v1/peers/{id}`: an administrator removes a peer; nothing more is
/// accepted from it, and relays to it fail until it is added again.
pub async fn remove_peer(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    peers::remove_peer(&state, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/federation/relays`: every relay with its state and receipt
/// (administrators).
pub async fn list_relays(State(state): State<AppState>, Auth(caller): Auth) -> AppResult<Json<Value>> {
    Ok(Json(peers::list_relays(&state, &caller).await?))
}

/// `POST /api/v1/federation/relays/{id}/replay`: an administrator makes a relay that
/// is not delivered due again now, with the same envelope and idempotency key.
pub async fn replay(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    Ok(Json(peers::replay(&state, &caller, &id).await?))
}

/// `GET /api/v1/federation/refusals`: the latest refused envelopes (administrators).
pub async fn refusals(State(state): State<AppState>, Auth(caller): Auth) -> AppResult<Json<Value>> {
    Ok(Json(peers::refusals(&state, &caller).await?))
}

/// `GET /api/v1/cases/{id}/relays`: the case's relays with the peers' signed receipts,
/// and where the case came from if it is a mirror (for those who may read the case).
pub async fn case_relays(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    Ok(Json(peers::case_relays(&state, &caller, &id).await?))
}
