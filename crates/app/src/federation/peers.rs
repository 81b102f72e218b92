//! What administrators see and do of the federation — the peers, every relay and its
//! receipt, the refused envelopes — and a case's relays, for those who may read it.

use serde_json::{Value, json};
use vulnrelay_domain::{AccountRole, Action};

use super::{PeerBody, peer_json, relay_json};
use crate::App;
use crate::caller::Caller;
use crate::casefile::authorize;
use crate::error::{Error, Result};

/// `GET /api/v1/peers`: the configured peers (administrators).
pub async fn list_peers(state: &App, caller: &Caller) -> Result<Value> {
    caller.require_role(&[AccountRole::Admin])?;
    let peers = state.store.peers().await?;
    Ok(json!({"peers": peers.iter().map(peer_json).collect::<Vec<_>>()}))
}

/// `POST /api/v1/peers`: an administrator adds a peer (never this instance's own key).
pub async fn add_peer(state: &App, caller: &Caller, body: PeerBody) -> Result<Value> {
    caller.require_role(&[AccountRole::Admin])?;
    let peer = body.into_peer();
    if let Some(instance) = state.federation.get()
        && instance.identity.public_key() == peer.public_key
    {
        return Err(Error::invalid(vec![("$.public_key".into(), "this instance's own key".into())]));
    }
    state.store.add_peer(&peer).await?;
    Ok(peer_json(&peer))
}

/// `DELETE /api/v1/peers/{id}`: an administrator removes a peer.
pub async fn remove_peer(state: &App, caller: &Caller, id: &str) -> Result<()> {
    caller.require_role(&[AccountRole::Admin])?;
    state.store.remove_peer(id).await?;
    Ok(())
}

/// `GET /api/v1/federation/relays`: every relay with its state and receipt
/// (administrators).
pub async fn list_relays(state: &App, caller: &Caller) -> Result<Value> {
    caller.require_role(&[AccountRole::Admin])?;
    let relays = state.store.relays(None).await?;
    Ok(json!({"relays": relays.iter().map(relay_json).collect::<Vec<_>>()}))
}

/// `POST /api/v1/federation/relays/{id}/replay`: an administrator makes a relay that
/// is not delivered due again now, with the same envelope and idempotency key.
pub async fn replay(state: &App, caller: &Caller, id: &str) -> Result<Value> {
    caller.require_role(&[AccountRole::Admin])?;
    let relay = state.store.replay_relay(id, chrono::Utc::now()).await?;
    Ok(relay_json(&relay))
}

/// `GET /api/v1/federation/refusals`: the latest 200 refused envelopes (administrators).
pub async fn refusals(state: &App, caller: &Caller) -> Result<Value> {
    caller.require_role(&[AccountRole::Admin])?;
    let refusals = state.store.relay_refusals(200).await?;
    let items: Vec<Value> = refusals
        .iter()
        .map(|r| json!({"at": r.at.to_rfc3339(), "from_instance": r.from_instance, "idempotency_key": r.idempotency_key, "reason": r.reason}))
        .collect();
    Ok(json!({"refusals": items}))
}

/// `GET /api/v1/cases/{id}/relays`: the case's relays with the peers' signed receipts,
/// and where the case came from if it is a mirror (for those who may read the case).
pub async fn case_relays(state: &App, caller: &Caller, id: &str) -> Result<Value> {
    authorize(state, caller, id, Action::Read).await?;
    let relays = state.store.relays(Some(id)).await?;
    let mirror = state.store.mirror(id).await?.map(|m| {
        json!({"peer": m.peer_id, "origin_instance": m.origin_instance, "origin_case": m.origin_case,
               "origin_org": m.origin_org, "relayed_events": m.relayed_events})
    });
    Ok(json!({"case": id, "mirror_of": mirror, "relays": relays.iter().map(relay_json).collect::<Vec<_>>()}))
}
