//! Federation: this instance's identity, relaying cases to organisations hosted on
//! peer instances and taking in what peers relay (docs/federation.md).
//!
//! - **Send.** When a case gains a `notified` event from one of this instance's
//!   parties to a *remote* organisation (one a configured peer hosts), [`outbound::queue`]
//!   builds the `vulnrelay/relay/v1` envelope — the case's content the recipient may
//!   see, as `domain::can` decides for it, with every event's hash and recorded time —,
//!   signs it and writes it to the relay outbox. The worker ([`outbound::deliver`]) sends it at
//!   least once, with the retry rules of `vulnrelay_delivery`, and on the peer's signed
//!   receipt appends an `attested` event by the recipient — the receipt, at the
//!   receiver's recorded time — to the case, in the transaction that marks it
//!   delivered.
//! - **Receive.** [`inbound::receive`] takes an envelope only from a configured peer, under that
//!   peer's key, naming this instance and an organisation it hosts, with an event
//!   chain that holds; anything else is refused, logged and changes nothing. A forward
//!   opens a mirror case with its provenance; an update (events a mirror recorded,
//!   flowing back along the chain) is appended to the case it names. Either way the
//!   answer is a signed receipt; the same idempotency key again gets the same receipt.
//! - **Flow back.** Events recorded on a mirror that the origin may see (verification,
//!   fix, publication, forwards onward) go back to the origin as updates ([`outbound::queue`]).

use chrono::Utc;
use serde_json::{Map, Value, json};
use vulnrelay_domain::{AccountRole, Action, Actor, CaseAccess, EventType, PartyId, can};
use vulnrelay_federation::{Identity, RECEIPT_FORMAT, RELAY_FORMAT, RelayedEvent};
use vulnrelay_store::StoredEvent;
use vulnrelay_store::federation::{Peer, Relay, RelayRefusal};
use vulnrelay_store::time::{format_ts, parse_ts};

pub mod inbound;
pub mod outbound;
pub mod peers;

use crate::App;
use crate::casefile::Loaded;
use crate::error::{Error, RelayKind, Result};
use crate::input::{Body, Checker};

/// The path a peer POSTs envelopes to, under its base URL.
pub const RELAY_PATH: &str = "/api/v1/federation/relay";

/// Events of a mirror that flow back to the origin (a downstream vendor's status
/// among them; its private note stays where it was written).
const FLOW_BACK: [EventType; 6] = [
    EventType::Verified,
    EventType::Notified,
    EventType::FixAvailable,
    EventType::Published,
    EventType::Rejected,
    EventType::VendorStatus,
];

/// This instance's identity in the federation.
pub struct Instance {
    /// Its Ed25519 key.
    pub identity: Identity,
    /// The organisations it operates (published in `/.well-known/vulnrelay.json`).
    pub operates: Vec<String>,
    client: reqwest::Client,
}

impl std::fmt::Debug for Instance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Instance({}, {:?})", self.identity.fingerprint(), self.operates)
    }
}

impl Instance {
    /// An instance with `identity`, operating `operates`; peers get `timeout` to answer.
    pub fn new(identity: Identity, operates: Vec<String>, timeout: std::time::Duration) -> Instance {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .user_agent(format!("vulnrelay/{} federation", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        Instance { identity, operates, client }
    }

    /// The HTTP client that talks to peers (operator-configured, so private addresses
    /// are allowed).
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }
}

/// Why an envelope was refused: the kind and the reason, as logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// Not a peer or a bad signature, a replay with other content, invalid content, ...
    pub kind: RelayKind,
    /// The reason.
    pub reason: String,
}

impl From<Refused> for Error {
    fn from(refused: Refused) -> Error {
        Error::Relay { kind: refused.kind, reason: refused.reason }
    }
}

fn refused(kind: RelayKind, reason: impl Into<String>) -> Refused {
    Refused { kind, reason: reason.into() }
}

/// The peers, and which organisations are remote (hosted on which peer).
pub async fn peers(state: &App) -> Result<Vec<Peer>> {
    Ok(state.store.peers().await?)
}

fn host_of<'a>(peers: &'a [Peer], org: &str) -> Option<&'a Peer> {
    peers.iter().find(|p| p.orgs.iter().any(|o| o == org))
}

fn relayed_event(event: &StoredEvent) -> RelayedEvent {
    RelayedEvent {
        seq: event.seq,
        at: format_ts(event.at),
        recorded_at: format_ts(event.recorded_at),
        recorded_by: event.recorded_by.clone(),
        override_reason: event.override_reason.clone(),
        body: event.body.clone(),
        prev_hash: event.prev_hash.clone(),
        hash: event.hash.clone(),
    }
}

/// The store's hash of a relayed event of case `case_id` (what its `hash` must be).
fn hash_of(case_id: &str, event: &RelayedEvent) -> String {
    let (Some(at), Some(recorded_at)) = (parse_ts(&event.at), parse_ts(&event.recorded_at)) else {
        return String::new();
    };
    vulnrelay_store::chain::event_hash(&StoredEvent {
        case_id: case_id.to_owned(),
        seq: event.seq,
        at,
        recorded_at,
        recorded_by: event.recorded_by.clone(),
        override_reason: event.override_reason.clone(),
        body: event.body.clone(),
        prev_hash: event.prev_hash.clone(),
        hash: String::new(),
    })
}

/// Whether `org` may read `loaded` (as an analyst of it would).
fn may_read(loaded: &Loaded, org: &str) -> bool {
    let (reporter, platform) = loaded.access();
    let actor = Actor {
        org: Some(PartyId(org.to_owned())),
        roles: vec![AccountRole::Analyst, AccountRole::Reporter],
    };
    can(&actor, Action::Read, &CaseAccess { case: &loaded.case, reporter: &reporter, platform: &platform })
}

/// Logs a refused envelope (or mirrored CSAF file): in the log and the refusal table.
pub async fn log_refusal(state: &App, from: &str, key: &str, reason: &str) {
    tracing::warn!(from_instance = %from, key = %key, %reason, "relay refused");
    let refusal = RelayRefusal {
        at: Utc::now(),
        from_instance: from.chars().take(200).collect(),
        idempotency_key: key.chars().take(300).collect(),
        reason: reason.chars().take(1000).collect(),
    };
    if let Err(error) = state.store.refuse_relay(&refusal).await {
        tracing::warn!(%error, "logging a refused relay failed");
    }
}

/// The instance's public description (`/.well-known/vulnrelay.json`).
pub async fn well_known(state: &App) -> Result<Value> {
    let Some(instance) = state.federation.get() else {
        return Err(Error::not_found("federation identity"));
    };
    let mut operates = Vec::new();
    for id in &instance.operates {
        let org = state.store.org(id).await.ok();
        operates.push(json!({"id": id, "name": org.map(|o| o.name)}));
    }
    Ok(json!({
        "instance": instance.identity.public_key(),
        "fingerprint": instance.identity.fingerprint(),
        "public_key": {"type": "ed25519", "hex": instance.identity.public_key()},
        "api_version": vulnrelay_federation::API_VERSION,
        "relay_format": RELAY_FORMAT,
        "receipt_format": RECEIPT_FORMAT,
        "base_url": state.base_url(),
        "relay_url": format!("{}{RELAY_PATH}", state.base_url()),
        "operates": operates,
    }))
}

/// A peer as JSON.
pub fn peer_json(peer: &Peer) -> Value {
    json!({
        "id": peer.id,
        "url": peer.url,
        "public_key": peer.public_key,
        "fingerprint": vulnrelay_federation::fingerprint(&peer.public_key),
        "orgs": peer.orgs,
        "created_at": peer.created_at.to_rfc3339(),
    })
}

/// A relay as JSON (the receipt, once delivered, verbatim).
pub fn relay_json(relay: &Relay) -> Value {
    json!({
        "id": relay.id,
        "kind": relay.kind,
        "peer": relay.peer_id,
        "case": relay.case_id,
        "event_seq": relay.event_seq,
        "to": relay.to_org,
        "idempotency_key": relay.idempotency_key,
        "state": relay.state.as_str(),
        "attempts": relay.attempts,
        "next_attempt_at": relay.next_attempt_at.to_rfc3339(),
        "last_error": relay.last_error,
        "receipt": relay.receipt.as_deref().and_then(|r| serde_json::from_str::<Value>(r).ok()),
        "created_at": relay.created_at.to_rfc3339(),
        "delivered_at": relay.delivered_at.map(|t| t.to_rfc3339()),
    })
}

/// Body of `POST /api/v1/peers`: a peer instance, its key and URL exchanged out of band.
#[derive(Debug, Clone, utoipa::ToSchema)]
pub struct PeerBody {
    /// Its id: 1 to 64 letters, digits, `-`, `_` or `.`.
    pub id: String,
    /// Its base URL (http or https).
    pub url: String,
    /// Its Ed25519 public key: 64 hex digits (read in lower case).
    pub public_key: String,
    /// The organisations it hosts.
    #[schema(required = false)]
    pub orgs: Vec<String>,
}

impl Body for PeerBody {
    const FIELDS: &'static [&'static str] = &["id", "url", "public_key", "orgs"];

    fn read_fields(check: &mut Checker, object: &Map<String, Value>) -> Option<Self> {
        let id = check.string(object, "$", "id", true).map(str::to_owned);
        let url = check.string(object, "$", "url", true).map(str::to_owned);
        let public_key = check.string(object, "$", "public_key", true).map(|k| k.trim().to_lowercase());
        let orgs = check.strings(object, "$", "orgs", false);
        let (id, url, public_key) = (id?, url?, public_key?);
        if let Err(problems) = check_peer(&id, &url, &public_key, &orgs) {
            for (path, message) in problems {
                check.problem(path, message);
            }
        }
        Some(PeerBody { id, url, public_key, orgs })
    }
}

impl PeerBody {
    /// The peer to store, added now.
    pub fn into_peer(self) -> Peer {
        Peer {
            id: self.id,
            url: self.url,
            public_key: self.public_key,
            orgs: self.orgs,
            created_at: Utc::now(),
        }
    }
}

/// Checks a new peer `{id, url, public_key, orgs}` (the key: 64 hex digits, a valid
/// Ed25519 point; the URL: http or https).
pub fn check_peer(
    id: &str,
    url: &str,
    public_key: &str,
    orgs: &[String],
) -> Result<(), Vec<(String, String)>> {
    let mut problems = Vec::new();
    if id.is_empty() || id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
        problems.push(("$.id".into(), "1 to 64 letters, digits, `-`, `_` or `.`".into()));
    }
    match reqwest::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {}
        _ => problems.push(("$.url".into(), "an http or https base URL".into())),
    }
    if vulnrelay_federation::check_public_key(public_key).is_err() {
        problems.push(("$.public_key".into(), "an Ed25519 public key: 64 hex digits".into()));
    }
    if orgs.iter().any(|o| o.is_empty() || o.contains(',')) {
        problems.push(("$.orgs".into(), "organisation ids, without commas".into()));
    }
    if problems.is_empty() { Ok(()) } else { Err(problems) }
}
