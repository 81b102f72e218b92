//! Federation: this instance's identity, relaying cases to organisations hosted on
//! peer instances and taking in what peers relay (docs/federation.md).
//!
//! - **Send.** When a case gains a `notified` event from one of this instance's
//!   parties to a *remote* organisation (one a configured peer hosts), [`queue`]
//!   builds the `vulnrelay/relay/v1` envelope — the case's content the recipient may
//!   see, as `domain::can` decides for it, with every event's hash and recorded time —,
//!   signs it and writes it to the relay outbox. The worker ([`deliver`]) sends it at
//!   least once, with the retry rules of `vulnrelay_delivery`, and on the peer's signed
//!   receipt appends an `attested` event by the recipient — the receipt, at the
//!   receiver's recorded time — to the case, in the transaction that marks it
//!   delivered.
//! - **Receive.** [`receive`] takes an envelope only from a configured peer, under that
//!   peer's key, naming this instance and an organisation it hosts, with an event
//!   chain that holds; anything else is refused, logged and changes nothing. A forward
//!   opens a mirror case with its provenance; an update (events a mirror recorded,
//!   flowing back along the chain) is appended to the case it names. Either way the
//!   answer is a signed receipt; the same idempotency key again gets the same receipt.
//! - **Flow back.** Events recorded on a mirror that the origin may see (verification,
//!   fix, publication, forwards onward) go back to the origin as updates ([`queue`]).

use chrono::{TimeDelta, Utc};
use serde_json::{Value, json};
use vulnrelay_domain::{AccountRole, Action, Actor, CaseAccess, EventType, PartyId, Timestamp, can};
use vulnrelay_federation::{
    Envelope, Head, Identity, Kind, RECEIPT_FORMAT, RELAY_FORMAT, Receipt, RelayedCase, RelayedEvent,
    SignedEnvelope, SignedReceipt,
};
use vulnrelay_store::federation::{Inbound, Mirror, NewRelay, Peer, Relay, RelayRefusal};
use vulnrelay_store::time::{format_ts, parse_ts};
use vulnrelay_store::warnings::Outcome;
use vulnrelay_store::{Fragment, NewCase, NewEvent, Organisation, Status, StoredEvent};

use crate::App;
use crate::casefile::{Loaded, load};
use crate::error::{Error, RelayKind, Result};

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

/// Writes the relays a case's events call for: a forward for each `notified` event by
/// a local party to a remote organisation, and — on a mirror — an update to the
/// origin for each local event it may see. Idempotent (one relay per event and
/// recipient); failures are logged, the worker's sweep tries again.
pub async fn queue(state: &App, case_id: &str) {
    if let Err(error) = try_queue(state, case_id).await {
        tracing::warn!(case = %case_id, error = %error, "queueing relays failed");
    }
}

/// [`queue`] for every case (the worker's sweep: repairs what a crash between a change
/// and its relay left out).
pub async fn queue_all(state: &App) {
    if state.federation.get().is_none() {
        return;
    }
    match state.store.case_ids().await {
        Ok(ids) => {
            for id in ids {
                queue(state, &id).await;
            }
        }
        Err(error) => tracing::warn!(%error, "sweeping relays failed"),
    }
}

async fn try_queue(state: &App, case_id: &str) -> Result<usize> {
    let Some(instance) = state.federation.get() else { return Ok(0) };
    let peers = state.store.peers().await?;
    if peers.is_empty() {
        return Ok(0);
    }
    let loaded = load(state, case_id).await?;
    let mirror = state.store.mirror(case_id).await?;
    let existing = state.store.relays(Some(case_id)).await?;
    let done: std::collections::HashSet<&str> = existing.iter().map(|r| r.idempotency_key.as_str()).collect();
    let forwarded = delivered_forwards(&existing);
    let first_local = mirror.as_ref().map_or(0, |m| m.relayed_events);
    let mut relays = Vec::new();
    for (index, (event, stored)) in loaded.case.events().iter().zip(&loaded.events).enumerate() {
        if (index as i64) < first_local {
            continue;
        }
        let event_type = event.kind.event_type();
        // Notifications of one organisation by the same party in a row (a downstream
        // vendor told about each of its products at once) travel as one forward: the
        // last one's, whose envelope carries them all.
        let same_notice_next = loaded.case.events().get(index + 1).is_some_and(|next| {
            next.kind.event_type() == EventType::Notified
                && next.party == event.party
                && next.recipient().is_some()
                && next.recipient() == event.recipient()
        });
        if event_type == EventType::Notified
            && !same_notice_next
            && let Some(to) = event.recipient()
            && host_of(&peers, &event.party.0).is_none()
            && let Some(peer) = host_of(&peers, &to.0)
            && !done.contains(forward_key(case_id, stored.seq, &to.0).as_str())
        {
            if may_read(&loaded, &to.0) {
                let envelope =
                    forward_envelope(state, instance, &loaded, stored.seq, &event.party.0, &to.0, peer)
                        .await?;
                relays.push(new_relay(peer, "forward", case_id, stored.seq, &to.0, envelope));
            } else {
                tracing::warn!(case = %case_id, to = %to.0, "not relayed: the recipient may not read the case");
            }
        }
        // What an instance relays to a peer: its own organisations' events, and those it
        // took in from another peer; never an event back to where it came from, nor
        // one of a party it cannot place (it came through a mirror and stays there).
        let from_peer = |peer: &Peer| match host_of(&peers, &event.party.0) {
            Some(host) => host.id == peer.id,
            None => !(instance.operates.is_empty() || instance.operates.contains(&event.party.0)),
        };
        if let Some(mirror) = &mirror
            && FLOW_BACK.contains(&event_type)
            && let Some(peer) = peers.iter().find(|p| p.id == mirror.peer_id)
            && !from_peer(peer)
            && !done.contains(update_key(case_id, stored.seq).as_str())
            && may_read(&loaded, &mirror.origin_org)
        {
            let to = Addressed {
                their_case: &mirror.origin_case,
                from_org: &loaded.record.platform_org,
                to_org: &mirror.origin_org,
                key: update_key(case_id, stored.seq),
            };
            let envelope = update_envelope(instance, &loaded, stored, peer, to);
            relays.push(new_relay(peer, "update", case_id, stored.seq, &mirror.origin_org, envelope));
        }
        // Events recorded after a forward follow it to the mirror (not the receipts).
        for forward in &forwarded {
            let key = down_key(case_id, stored.seq, &forward.stored_case);
            if stored.seq > forward.seq
                && event_type != EventType::Attested
                && let Some(peer) = peers.iter().find(|p| p.id == forward.peer_id)
                && !from_peer(peer)
                && !done.contains(key.as_str())
                && may_read(&loaded, &forward.to_org)
            {
                let to = Addressed {
                    their_case: &forward.stored_case,
                    from_org: &forward.from_org,
                    to_org: &forward.to_org,
                    key,
                };
                let envelope = update_envelope(instance, &loaded, stored, peer, to);
                relays.push(new_relay(peer, "update", case_id, stored.seq, &forward.to_org, envelope));
            }
        }
    }
    if let Some(mirror) = &mirror
        && let Some(peer) = peers.iter().find(|p| p.id == mirror.peer_id)
        && may_read(&loaded, &mirror.origin_org)
        && let Some(envelope) = records_envelope(state, instance, &loaded, mirror, peer).await?
        && !done.contains(envelope.envelope.idempotency_key.as_str())
    {
        let seq = loaded.record.last_seq;
        relays.push(new_relay(peer, "update", case_id, seq, &mirror.origin_org, envelope));
    }
    if relays.is_empty() {
        return Ok(0);
    }
    Ok(state.store.queue_relays(&relays, Utc::now()).await?)
}

/// The records envelope of a mirror: its vulnerability records as they are now (one
/// relay per distinct content, so each change flows back once); `None` without records.
async fn records_envelope(
    state: &App,
    instance: &Instance,
    loaded: &Loaded,
    mirror: &Mirror,
    peer: &Peer,
) -> Result<Option<SignedEnvelope>> {
    let records: Vec<Value> = state
        .store
        .vulnerabilities(Some(&loaded.record.id))
        .await?
        .into_iter()
        .take(vulnrelay_federation::MAX_RECORDS)
        .map(|r| r.record)
        .collect();
    if records.is_empty() {
        return Ok(None);
    }
    let digest = vulnrelay_federation::sha256_hex(
        vulnrelay_federation::canonical_json(&Value::Array(records.clone())).as_bytes(),
    );
    let head = loaded
        .events
        .last()
        .map_or(Head { seq: 0, hash: String::new() }, |e| Head { seq: e.seq, hash: e.hash.clone() });
    let envelope = Envelope {
        format: RELAY_FORMAT.into(),
        kind: Kind::Records,
        from_instance: instance.identity.public_key(),
        to_instance: peer.public_key.clone(),
        from_org: loaded.record.platform_org.clone(),
        to_org: mirror.origin_org.clone(),
        idempotency_key: format!("records/{}/{}", loaded.record.id, &digest[..32]),
        case: RelayedCase {
            origin_case: mirror.origin_case.clone(),
            mirror_case: Some(loaded.record.id.clone()),
            title: loaded.record.title.clone(),
            timezone: loaded.record.timezone.clone(),
            reporter_org: loaded.record.reporter_org.clone(),
            report: None,
            parties: Vec::new(),
            products: Vec::new(),
            events: Vec::new(),
            records,
            attachments: Vec::new(),
            head,
        },
    };
    Ok(Some(instance.identity.sign_envelope(envelope)))
}

fn forward_key(case_id: &str, seq: i64, to: &str) -> String {
    format!("forward/{case_id}/{seq}/{to}")
}

fn down_key(case_id: &str, seq: i64, their_case: &str) -> String {
    format!("down/{case_id}/{seq}/{their_case}")
}

/// A forward the peer has acknowledged: where its mirror is.
struct Forwarded {
    peer_id: String,
    /// The forwarded head: later events follow.
    seq: i64,
    from_org: String,
    to_org: String,
    /// The mirror's id at the peer (from its receipt).
    stored_case: String,
}

fn delivered_forwards(relays: &[Relay]) -> Vec<Forwarded> {
    relays
        .iter()
        .filter(|r| r.kind == "forward")
        .filter_map(|r| {
            let receipt: SignedReceipt = serde_json::from_str(r.receipt.as_deref()?).ok()?;
            let envelope: SignedEnvelope = serde_json::from_str(&r.envelope).ok()?;
            Some(Forwarded {
                peer_id: r.peer_id.clone(),
                seq: r.event_seq,
                from_org: envelope.envelope.from_org,
                to_org: r.to_org.clone(),
                stored_case: receipt.receipt.stored_case,
            })
        })
        .collect()
}

fn update_key(case_id: &str, seq: i64) -> String {
    format!("update/{case_id}/{seq}")
}

fn new_relay(
    peer: &Peer,
    kind: &str,
    case_id: &str,
    seq: i64,
    to_org: &str,
    envelope: SignedEnvelope,
) -> NewRelay {
    NewRelay {
        peer_id: peer.id.clone(),
        kind: kind.into(),
        case_id: case_id.into(),
        event_seq: seq,
        to_org: to_org.into(),
        idempotency_key: envelope.envelope.idempotency_key.clone(),
        envelope: serde_json::to_string(&envelope).unwrap_or_default(),
    }
}

async fn forward_envelope(
    state: &App,
    instance: &Instance,
    loaded: &Loaded,
    seq: i64,
    from: &str,
    to: &str,
    peer: &Peer,
) -> Result<SignedEnvelope> {
    let events: Vec<RelayedEvent> =
        loaded.events.iter().filter(|e| e.seq <= seq).map(relayed_event).collect();
    let report = match state.store.report(&loaded.record.id).await {
        Ok(report) => {
            let mut body = report.body;
            // The files travel with their content in `attachments`, not as the
            // report's list of names.
            if let Some(object) = body.as_object_mut() {
                object.remove("attachments");
            }
            Some(body)
        }
        Err(vulnrelay_store::StoreError::NotFound { .. }) => None,
        Err(other) => return Err(other.into()),
    };
    let attachments = relayed_attachments(state, loaded, to).await?;
    let head = Head { seq, hash: events.last().map(|e| e.hash.clone()).unwrap_or_default() };
    let envelope = Envelope {
        format: RELAY_FORMAT.into(),
        kind: Kind::Forward,
        from_instance: instance.identity.public_key(),
        to_instance: peer.public_key.clone(),
        from_org: from.into(),
        to_org: to.into(),
        idempotency_key: forward_key(&loaded.record.id, seq, to),
        case: RelayedCase {
            origin_case: loaded.record.id.clone(),
            mirror_case: None,
            title: loaded.record.title.clone(),
            timezone: loaded.record.timezone.clone(),
            reporter_org: loaded.record.reporter_org.clone(),
            report,
            parties: loaded.parties.iter().map(|p| p.value.clone()).collect(),
            products: loaded.products.iter().map(|p| p.value.clone()).collect(),
            events,
            records: Vec::new(),
            attachments,
            head,
        },
    };
    Ok(instance.identity.sign_envelope(envelope))
}

/// The report's files a forward to organisation `to` carries: every file that is not
/// exploit code, and exploit code too where the access rules let the organisation's
/// accounts read it on this case (a platform it was forwarded to, or the reporter) —
/// the rules that decide what it would see here decide what it receives there.
async fn relayed_attachments(
    state: &App,
    loaded: &Loaded,
    to: &str,
) -> Result<Vec<vulnrelay_federation::RelayedAttachment>> {
    let relation = loaded.relation(&PartyId(to.to_owned()));
    let exploit_allowed =
        vulnrelay_domain::allowed(relation, &AccountRole::ALL, loaded.state(), Action::ReadExploitCode);
    let mut relayed = Vec::new();
    for attachment in state.store.attachments(&loaded.record.id).await? {
        if attachment.exploit_code && !exploit_allowed {
            continue;
        }
        let (meta, bytes) = state.store.attachment(&loaded.record.id, &attachment.id).await?;
        relayed.push(vulnrelay_federation::RelayedAttachment::new(
            &meta.filename,
            &meta.media_type,
            meta.exploit_code,
            &bytes,
        ));
    }
    Ok(relayed)
}

/// Where an update goes: the recipient's case, the organisations, the key.
struct Addressed<'a> {
    their_case: &'a str,
    from_org: &'a str,
    to_org: &'a str,
    key: String,
}

/// An update carrying one event: back to the origin, or on to a mirror.
fn update_envelope(
    instance: &Instance,
    loaded: &Loaded,
    stored: &StoredEvent,
    peer: &Peer,
    to: Addressed<'_>,
) -> SignedEnvelope {
    let envelope = Envelope {
        format: RELAY_FORMAT.into(),
        kind: Kind::Update,
        from_instance: instance.identity.public_key(),
        to_instance: peer.public_key.clone(),
        from_org: to.from_org.to_owned(),
        to_org: to.to_org.to_owned(),
        idempotency_key: to.key,
        case: RelayedCase {
            origin_case: to.their_case.to_owned(),
            mirror_case: Some(loaded.record.id.clone()),
            title: loaded.record.title.clone(),
            timezone: loaded.record.timezone.clone(),
            reporter_org: loaded.record.reporter_org.clone(),
            report: None,
            parties: loaded.parties.iter().map(|p| p.value.clone()).collect(),
            products: Vec::new(),
            events: vec![relayed_event(stored)],
            records: Vec::new(),
            attachments: Vec::new(),
            head: Head { seq: stored.seq, hash: stored.hash.clone() },
        },
    };
    instance.identity.sign_envelope(envelope)
}

/// Takes in a signed envelope: checks it, stores what it carries and answers the
/// signed receipt; a refusal is logged and writes nothing else.
pub async fn receive(state: &App, body: &[u8]) -> Result<SignedReceipt, Refused> {
    let forbidden = RelayKind::NotAPeer;
    let Some(instance) = state.federation.get() else {
        return Err(refused(RelayKind::NotFederating, "this instance does not federate"));
    };
    let signed: SignedEnvelope = match serde_json::from_slice(body) {
        Ok(signed) => signed,
        Err(e) => {
            let reason = format!("not a {RELAY_FORMAT} envelope: {e}");
            log_refusal(state, "", "", &reason).await;
            return Err(refused(RelayKind::Invalid, reason));
        }
    };
    let envelope = &signed.envelope;
    let refuse = |status, reason: String| async move {
        log_refusal(state, &envelope.from_instance, &envelope.idempotency_key, &reason).await;
        Err(refused(status, reason))
    };
    let peers = match state.store.peers().await {
        Ok(peers) => peers,
        Err(e) => return Err(refused(RelayKind::Unavailable, e.to_string())),
    };
    let Some(peer) = peers.iter().find(|p| p.public_key == envelope.from_instance) else {
        return refuse(forbidden, "the sender's key is not a configured peer's".into()).await;
    };
    if let Err(e) = signed.verify(&peer.public_key) {
        return refuse(forbidden, e.to_string()).await;
    }
    if envelope.to_instance != instance.identity.public_key() {
        return refuse(forbidden, "the envelope is addressed to another instance".into()).await;
    }
    if !peer.orgs.contains(&envelope.from_org) {
        return refuse(forbidden, format!("`{}` is not hosted by peer `{}`", envelope.from_org, peer.id))
            .await;
    }
    if host_of(&peers, &envelope.to_org).is_some() || state.store.org(&envelope.to_org).await.is_err() {
        return refuse(
            RelayKind::Invalid,
            format!("`{}` is not an organisation this instance hosts", envelope.to_org),
        )
        .await;
    }
    if let Err(e) = envelope.check(hash_of) {
        return refuse(RelayKind::Invalid, e.to_string()).await;
    }
    let sha = envelope.sha256();
    match state.store.inbound(&peer.id, &envelope.idempotency_key).await {
        Ok(Some(known)) if known.envelope_sha256 == sha => return stored_receipt(&known.receipt),
        Ok(Some(_)) => {
            return refuse(RelayKind::Replayed, "replayed idempotency key with other content".into()).await;
        }
        Ok(None) => {}
        Err(e) => return Err(refused(RelayKind::Unavailable, e.to_string())),
    }
    let inbound = Inbound {
        peer_id: peer.id.clone(),
        idempotency_key: envelope.idempotency_key.clone(),
        kind: match envelope.kind {
            Kind::Forward => "forward".into(),
            Kind::Update => "update".into(),
            Kind::Records => "records".into(),
        },
        envelope_sha256: sha.clone(),
        envelope: serde_json::to_string(&signed).unwrap_or_default(),
    };
    let now = vulnrelay_store::time::truncate(Utc::now());
    let identity = &instance.identity;
    let make_receipt = |case_id: &str, head: &str| {
        let receipt = Receipt {
            format: RECEIPT_FORMAT.into(),
            receiver_instance: identity.public_key(),
            receiver_org: envelope.to_org.clone(),
            idempotency_key: envelope.idempotency_key.clone(),
            envelope_sha256: sha.clone(),
            origin_case: envelope
                .case
                .mirror_case
                .clone()
                .unwrap_or_else(|| envelope.case.origin_case.clone()),
            stored_case: case_id.to_owned(),
            stored_head: head.to_owned(),
            received_at: format_ts(now),
        };
        serde_json::to_string(&identity.sign_receipt(receipt)).unwrap_or_default()
    };
    let accepted = match envelope.kind {
        Kind::Forward => accept_forward(state, peer, envelope, &inbound, &make_receipt, now).await,
        Kind::Update => accept_update(state, peer, envelope, &inbound, &make_receipt, now).await,
        Kind::Records => accept_records(state, peer, envelope, &inbound, &make_receipt, now).await,
    };
    match accepted {
        Ok(accepted) => {
            if accepted.created {
                tracing::info!(peer = %peer.id, key = %envelope.idempotency_key, case = %accepted.case_id, "relay accepted");
                crate::warnings::after_case_changed(state, &accepted.case_id).await;
                queue(state, &accepted.case_id).await;
                if envelope.kind == Kind::Forward {
                    crate::coordination::notify_relayed(
                        state,
                        &accepted.case_id,
                        &envelope.from_org,
                        &envelope.to_org,
                    )
                    .await;
                    let triggers = vec![(envelope.to_org.clone(), crate::forwarding::Trigger::Received)];
                    forward_on(state, &accepted.case_id, triggers).await;
                }
            }
            stored_receipt(&accepted.receipt)
        }
        Err(Error::Internal) => Err(refused(RelayKind::Unavailable, Error::Internal.to_string())),
        Err(e) => refuse(RelayKind::Invalid, e.to_string()).await,
    }
}

fn stored_receipt(text: &str) -> Result<SignedReceipt, Refused> {
    serde_json::from_str(text).map_err(|e| refused(RelayKind::Internal, format!("stored receipt: {e}")))
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

fn fragments(values: &[Value]) -> Vec<Fragment> {
    values
        .iter()
        .map(|v| Fragment {
            id: v.get("id").and_then(Value::as_str).unwrap_or_default().to_owned(),
            value: v.clone(),
        })
        .collect()
}

fn new_events(events: &[RelayedEvent]) -> Result<Vec<NewEvent>> {
    events
        .iter()
        .map(|e| {
            Ok(NewEvent {
                at: parse_ts(&e.at)
                    .ok_or_else(|| Error::bad_request(format!("event {}: bad time", e.seq)))?,
                body: serde_json::from_str(&e.body)
                    .map_err(|err| Error::bad_request(format!("event {}: {err}", e.seq)))?,
                recorded_by: None,
                override_reason: e.override_reason.clone(),
            })
        })
        .collect()
}

/// The reporting organisation must exist here (cases refer to it): one this instance
/// does not know is added from its party object, as hosted elsewhere.
async fn ensure_org(state: &App, envelope: &Envelope) -> Result<()> {
    let id = &envelope.case.reporter_org;
    match state.store.org(id).await {
        Ok(_) => return Ok(()),
        Err(vulnrelay_store::StoreError::NotFound { .. }) => {}
        Err(other) => return Err(other.into()),
    }
    let party = envelope
        .case
        .parties
        .iter()
        .find(|p| p.get("id").and_then(Value::as_str) == Some(id))
        .ok_or_else(|| Error::bad_request(format!("the reporter `{id}` is not a party of the case")))?;
    let roles = party
        .get("roles")
        .and_then(Value::as_array)
        .map(|roles| roles.iter().filter_map(|r| r.as_str()?.parse().ok()).collect())
        .unwrap_or_default();
    let jurisdiction = party
        .get("jurisdiction")
        .and_then(Value::as_str)
        .and_then(|j| j.parse().ok())
        .ok_or_else(|| Error::bad_request(format!("the reporter `{id}` has no readable jurisdiction")))?;
    let org = Organisation {
        id: id.clone(),
        name: party.get("name").and_then(Value::as_str).unwrap_or(id).to_owned(),
        name_zh: party.get("name_zh").and_then(Value::as_str).map(str::to_owned),
        roles,
        jurisdiction,
        individual: party.get("kind").and_then(Value::as_str) == Some("individual"),
        status: Status::Active,
        created_at: Utc::now(),
    };
    match state.store.create_org(&org).await {
        Ok(()) | Err(vulnrelay_store::StoreError::Conflict(_)) => Ok(()),
        Err(other) => Err(other.into()),
    }
}

async fn accept_forward(
    state: &App,
    peer: &Peer,
    envelope: &Envelope,
    inbound: &Inbound,
    receipt: &(dyn Fn(&str, &str) -> String + Send + Sync),
    now: Timestamp,
) -> Result<vulnrelay_store::federation::Accepted> {
    let events = new_events(&envelope.case.events)?;
    // Products that joined the origin case after it was opened (downstream vendors'):
    // the events before them that name no product are about its first product, as the
    // origin reads them (`Loaded::one_product_until`).
    let one_product_until = one_product_until(&envelope.case.products, &envelope.case.events);
    let first_product = envelope.case.products.first().and_then(|p| p.get("id")).cloned();
    let bodies: Vec<Value> = events
        .iter()
        .zip(&envelope.case.events)
        .map(|(event, relayed)| {
            let mut body = event.body.clone();
            if let (Some(until), Some(first), Some(object)) =
                (one_product_until, &first_product, body.as_object_mut())
                && relayed.seq <= until
                && !object.contains_key("product")
            {
                object.insert("product".into(), first.clone());
            }
            body
        })
        .collect();
    // The mirror must read as a case file, as every case here does.
    let value = crate::casefile::assemble(
        &vulnrelay_store::CaseRecord {
            id: String::new(),
            title: envelope.case.title.clone(),
            timezone: envelope.case.timezone.clone(),
            reporter_org: envelope.case.reporter_org.clone(),
            platform_org: envelope.to_org.clone(),
            created_at: now,
            last_seq: 0,
            planned_public_at: None,
        },
        envelope.case.parties.clone(),
        envelope.case.products.clone(),
        bodies,
    );
    vulnrelay_formats::case_file::from_value(&value)
        .map_err(|e| Error::bad_request(format!("the relayed case does not read: {e}")))?;
    ensure_org(state, envelope).await?;
    let case = NewCase {
        title: envelope.case.title.clone(),
        timezone: envelope.case.timezone.clone(),
        reporter_org: envelope.case.reporter_org.clone(),
        platform_org: envelope.to_org.clone(),
        parties: fragments(&envelope.case.parties),
        products: fragments(&envelope.case.products),
        events,
        created_at: now,
    };
    let mirror = Mirror {
        case_id: String::new(),
        peer_id: peer.id.clone(),
        origin_instance: peer.public_key.clone(),
        origin_case: envelope.case.origin_case.clone(),
        origin_org: envelope.from_org.clone(),
        relayed_events: envelope.case.events.len() as i64,
    };
    let report = relayed_report(state, envelope)?;
    let accepted = state.store.accept_forward(inbound, &mirror, &case, report.as_ref(), receipt).await?;
    if let Some(until) = one_product_until
        && accepted.created
    {
        state.store.products_joined_after(&accepted.case_id, until).await?;
    }
    Ok(accepted)
}

/// The report a forward carried, with its files, within this instance's limits for a
/// report's attachments (a forward over them is refused, as a report would be).
fn relayed_report(
    state: &App,
    envelope: &Envelope,
) -> Result<Option<vulnrelay_store::federation::RelayedReport>> {
    let config = &state.config;
    let files = &envelope.case.attachments;
    if files.len() > config.max_attachments {
        return Err(Error::bad_request(format!("more than {} attachments", config.max_attachments)));
    }
    let mut attachments = Vec::with_capacity(files.len());
    for file in files {
        let content = file.bytes().map_err(|e| Error::bad_request(e.to_string()))?;
        if content.len() > config.max_attachment_bytes {
            return Err(Error::bad_request(format!(
                "attachment `{}` is over the {}-byte limit",
                file.filename, config.max_attachment_bytes
            )));
        }
        attachments.push(vulnrelay_store::NewAttachment {
            filename: file.filename.clone(),
            media_type: file.media_type.clone(),
            exploit_code: file.exploit_code,
            content,
        });
    }
    let total: usize = attachments.iter().map(|a| a.content.len()).sum();
    if total > config.max_attachments_total_bytes {
        return Err(Error::bad_request(format!(
            "the attachments are over the {}-byte limit together",
            config.max_attachments_total_bytes
        )));
    }
    Ok(match &envelope.case.report {
        Some(body) => Some(vulnrelay_store::federation::RelayedReport { body: body.clone(), attachments }),
        None if attachments.is_empty() => None,
        None => Some(vulnrelay_store::federation::RelayedReport { body: json!({}), attachments }),
    })
}

/// The last relayed event before the first one naming a product other than the first
/// (when there are several): up to it the case had one product.
fn one_product_until(products: &[Value], events: &[RelayedEvent]) -> Option<i64> {
    let first = products.first()?.get("id")?.as_str()?;
    if products.len() < 2 {
        return None;
    }
    let later = events.iter().position(|e| {
        serde_json::from_str::<Value>(&e.body)
            .ok()
            .and_then(|b| b.get("product").and_then(Value::as_str).map(|p| p != first))
            .unwrap_or(false)
    })?;
    Some(if later == 0 { 0 } else { events[later - 1].seq })
}

async fn accept_update(
    state: &App,
    peer: &Peer,
    envelope: &Envelope,
    inbound: &Inbound,
    receipt: &(dyn Fn(&str, &str) -> String + Send + Sync),
    now: Timestamp,
) -> Result<vulnrelay_store::federation::Accepted> {
    let case_id = &envelope.case.origin_case;
    // An update comes back for a case relayed to the peer, or follows a forward from it
    // to the mirror it opened here.
    let downstream = state.store.mirror(case_id).await?.is_some_and(|m| {
        m.peer_id == peer.id && envelope.case.mirror_case.as_deref() == Some(m.origin_case.as_str())
    });
    if !downstream {
        relayed_to(state, case_id, peer).await?;
    }
    let loaded = load(state, case_id).await?;
    let events = new_events(&envelope.case.events)?;
    // A peer reports what the chain recorded; it never speaks for this instance's own
    // organisations, and only the events that flow back come back.
    let operates = state.federation.get().map(|i| i.operates.clone()).unwrap_or_default();
    for event in &events {
        let party = event.body.get("party").and_then(Value::as_str).unwrap_or_default();
        if operates.iter().any(|o| o == party) {
            return Err(Error::bad_request(format!(
                "a peer may not record events of `{party}`, which this instance operates"
            )));
        }
        let kind = event.body.get("type").and_then(Value::as_str).and_then(|t| t.parse::<EventType>().ok());
        let carried = if downstream {
            kind.is_some_and(|k| k != EventType::Attested)
        } else {
            kind.is_some_and(|k| FLOW_BACK.contains(&k))
        };
        if !carried {
            return Err(Error::bad_request(
                "an update carries only events that flow along the chain (back: verification, IDs, fix, publication, forwards; on: no receipts)",
            ));
        }
    }
    let parties: Vec<Fragment> = fragments(&envelope.case.parties)
        .into_iter()
        .filter(|p| !loaded.parties.iter().any(|q| q.id == p.id))
        .collect();
    let bodies: Vec<Value> = events.iter().map(|e| e.body.clone()).collect();
    let value = loaded.value_with(&parties, &bodies)?;
    vulnrelay_formats::case_file::from_value(&value)
        .map_err(|e| Error::bad_request(format!("the update does not read on case `{case_id}`: {e}")))?;
    Ok(state.store.accept_update(inbound, case_id, &parties, &events, receipt, now).await?)
}

/// Only a case this instance relayed to `peer` takes its updates.
async fn relayed_to(state: &App, case_id: &str, peer: &Peer) -> Result<()> {
    let relayed = state.store.relays(Some(case_id)).await?;
    if relayed.iter().any(|r| r.peer_id == peer.id && r.kind == "forward") {
        Ok(())
    } else {
        Err(Error::bad_request(format!("case `{case_id}` was not relayed to peer `{}`", peer.id)))
    }
}

/// Takes in a mirror's vulnerability records: each is united (`add_source`) with the
/// case's record that shares one of its ids, or stored as a new record of the case; so
/// the identifiers assigned along the chain (CNVD, CNNVD, CVE) land on the origin
/// case's records. An id that names a record of another case refuses the envelope.
async fn accept_records(
    state: &App,
    peer: &Peer,
    envelope: &Envelope,
    inbound: &Inbound,
    receipt: &(dyn Fn(&str, &str) -> String + Send + Sync),
    now: Timestamp,
) -> Result<vulnrelay_store::federation::Accepted> {
    let case_id = &envelope.case.origin_case;
    relayed_to(state, case_id, peer).await?;
    load(state, case_id).await?;
    let mut ours = Vec::new();
    for stored in state.store.vulnerabilities(Some(case_id)).await? {
        let v = crate::distribution::decode(&stored)?;
        ours.push((stored.id, v));
    }
    let mut changed = Vec::new();
    for (index, value) in envelope.case.records.iter().enumerate() {
        let theirs = serde_json::from_value::<vulnrelay_formats::record::VulnerabilityJson>(value.clone())
            .map_err(|e| Error::bad_request(format!("record {index}: {e}")))?
            .into_domain("$")
            .map_err(|p| Error::bad_request(format!("record {index}: {p:?}")))?;
        let same = |v: &vulnrelay_domain::Vulnerability| {
            v.ids().any(|a| theirs.ids().any(|b| a.eq_ignore_ascii_case(b)))
        };
        if let Some((_, v)) = ours.iter_mut().find(|(_, v)| same(v)) {
            v.add_source(&theirs);
            changed.push(v.id.clone());
            continue;
        }
        for id in theirs.ids() {
            match state.store.vulnerability(id).await {
                Ok(other) => {
                    return Err(Error::bad_request(format!(
                        "record {index}: `{id}` names record `{}` of another case",
                        other.id
                    )));
                }
                Err(vulnrelay_store::StoreError::NotFound { .. }) => {}
                Err(other) => return Err(other.into()),
            }
        }
        changed.push(theirs.id.clone());
        ours.push((theirs.id.clone(), theirs));
    }
    for (stored_id, v) in ours.iter().filter(|(_, v)| changed.contains(&v.id)) {
        let value = serde_json::to_value(vulnrelay_formats::record::VulnerabilityJson::from(v))
            .map_err(Error::internal)?;
        state.store.save_vulnerability(stored_id, Some(case_id), &value, &v.aliases, now).await?;
    }
    crate::warnings::after_records_changed(state, &changed).await;
    Ok(state.store.accept_update(inbound, case_id, &[], &[], receipt, now).await?)
}

/// Runs this instance's forwarding rules on a mirror it just opened (the recipient was
/// notified: a `received` trigger), as a forward recorded here would.
async fn forward_on(state: &App, case_id: &str, triggers: Vec<(String, crate::forwarding::Trigger)>) {
    let Ok(accounts) = state.store.list_accounts(Some(Status::Active)).await else { return };
    let Some(system) = accounts.iter().find(|a| {
        a.roles.contains(&AccountRole::Analyst)
            && triggers.iter().any(|(org, _)| a.org_id.as_deref() == Some(org))
    }) else {
        return;
    };
    if let Err(error) = crate::cases::run_forwards(state, &system.id, case_id, triggers).await {
        tracing::warn!(case = %case_id, error = %error, "forwarding a relayed case failed");
    }
}

/// One round of relay delivery: claims due relays, POSTs each envelope to its peer,
/// and records the outcome (delivered with the verified receipt and its evidence
/// event; retried after the back-off; dead after the last attempt).
pub async fn deliver(state: &App, retry: &vulnrelay_delivery::RetryPolicy, batch: i64, lease: i64) -> usize {
    let Some(instance) = state.federation.get() else { return 0 };
    let claimed = match state.store.claim_relays(batch, Utc::now(), lease).await {
        Ok(claimed) => claimed,
        Err(error) => {
            tracing::warn!(%error, "claiming relays failed");
            return 0;
        }
    };
    let peers = state.store.peers().await.unwrap_or_default();
    let count = claimed.len();
    for relay in claimed {
        let token = relay.claim_token.clone().unwrap_or_default();
        let (outcome, receipt, evidence) = match send(instance, &peers, &relay).await {
            Ok((receipt, text)) => {
                let evidence = if relay.kind == "forward" {
                    evidence_event(state, &relay, &receipt).await
                } else {
                    None
                };
                (Outcome::Delivered, Some(text), evidence)
            }
            Err(error) => {
                tracing::warn!(relay = %relay.id, peer = %relay.peer_id, %error, "relay not delivered");
                let attempt = u32::try_from(relay.attempts).unwrap_or(u32::MAX);
                let outcome = match retry.after_failure(attempt, crate::worker::jitter()) {
                    vulnrelay_delivery::Next::RetryAfter(delay) => Outcome::Retry {
                        at: Utc::now() + TimeDelta::from_std(delay).unwrap_or(TimeDelta::MAX),
                        error,
                    },
                    vulnrelay_delivery::Next::DeadLetter => Outcome::Dead { error },
                };
                (outcome, None, None)
            }
        };
        match state
            .store
            .finish_relay(&relay.id, &token, &outcome, receipt.as_deref(), evidence.as_ref(), Utc::now())
            .await
        {
            Ok(true) if evidence.is_some() => {
                crate::warnings::after_case_changed(state, &relay.case_id).await;
                // Events recorded while the forward was on its way now follow it.
                queue(state, &relay.case_id).await;
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(relay = %relay.id, %error, "recording a relay's outcome failed"),
        }
    }
    count
}

async fn send(instance: &Instance, peers: &[Peer], relay: &Relay) -> Result<(SignedReceipt, String), String> {
    let peer =
        peers.iter().find(|p| p.id == relay.peer_id).ok_or_else(|| format!("no peer `{}`", relay.peer_id))?;
    let envelope: SignedEnvelope =
        serde_json::from_str(&relay.envelope).map_err(|e| format!("stored envelope: {e}"))?;
    let url = format!("{}{RELAY_PATH}", peer.url.trim_end_matches('/'));
    let response = instance
        .client
        .post(&url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(relay.envelope.clone())
        .send()
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    let status = response.status();
    let text = response.text().await.map_err(|e| format!("{url}: {e}"))?;
    if !status.is_success() {
        return Err(format!("{url}: {status}: {}", text.chars().take(500).collect::<String>()));
    }
    let receipt: SignedReceipt = serde_json::from_str(&text).map_err(|e| format!("not a receipt: {e}"))?;
    receipt.verify(&peer.public_key).map_err(|e| format!("receipt refused: {e}"))?;
    if receipt.receipt.idempotency_key != envelope.envelope.idempotency_key
        || receipt.receipt.envelope_sha256 != envelope.envelope.sha256()
    {
        return Err("receipt refused: it is for another envelope".into());
    }
    Ok((receipt, text))
}

/// The receipt as evidence on the case: an `attested` event by the recipient, at the
/// time it recorded the notification, naming the signed receipt.
async fn evidence_event(state: &App, relay: &Relay, receipt: &SignedReceipt) -> Option<NewEvent> {
    let at = parse_ts(&receipt.receipt.received_at)?;
    let loaded = load(state, &relay.case_id).await.ok()?;
    let index = loaded.events.iter().position(|e| e.seq == relay.event_seq)?;
    let tz = crate::cases::tz_of(&loaded);
    Some(NewEvent {
        at,
        body: json!({
            "type": "attested",
            "at": at.with_timezone(&tz).to_rfc3339(),
            "party": relay.to_org,
            "event": index,
            "note": format!(
                "Signed receipt ({RECEIPT_FORMAT}) of instance {}: received at {}, stored as case {} with head {}",
                vulnrelay_federation::fingerprint(&receipt.receipt.receiver_instance),
                receipt.receipt.received_at,
                receipt.receipt.stored_case,
                receipt.receipt.stored_head,
            ),
        }),
        recorded_by: None,
        override_reason: None,
    })
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
