//! Relays out: the envelopes a change of a case queues for peers (forwards, updates,
//! records), their delivery with retries, and the receipts recorded as evidence.

use crate::App;
use crate::casefile::{Loaded, load};
use crate::error::Result;
use chrono::{TimeDelta, Utc};
use serde_json::{Value, json};
use vulnrelay_domain::{AccountRole, Action, EventType, PartyId};
use vulnrelay_federation::{
    Envelope, Head, Kind, RECEIPT_FORMAT, RELAY_FORMAT, RelayedCase, RelayedEvent, SignedEnvelope,
    SignedReceipt,
};
use vulnrelay_store::federation::{Mirror, NewRelay, Peer, Relay};
use vulnrelay_store::time::parse_ts;
use vulnrelay_store::warnings::Outcome;
use vulnrelay_store::{NewEvent, StoredEvent};

use super::*;

/// Writes the relays a case's events call for: a forward for each `notified` event by
/// a local party to a remote organisation, and — on a mirror — an update to the
/// origin for each local event it may see. Idempotent (one relay per event and
/// recipient); failures are logged, the worker's sweep tries again.
pub async fn queue(state: &App, case_id: &str) {
    if let Err(error) = try_queue(state, case_id).await {
        tracing::warn!(case = %case_id, error = %error, "queueing relays failed");
    }
}

/// Cases looked at a page.
const SWEEP_PAGE: i64 = 500;

/// What a sweep of relays did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    /// The cases looked at.
    pub cases: usize,
    /// The relays written (those a crash between a change and its relay left out).
    pub relays: usize,
}

/// The worker's sweep: [`queue`] for each case marked since the last sweep (migration
/// 0033: every change that may call for a relay marks its case in its own transaction),
/// a page at a time, so it costs what changed, not every case. A case whose relays could
/// not be queued keeps its mark for the next sweep.
pub async fn queue_marked(state: &App) -> Result<Swept> {
    let mut swept = Swept::default();
    if state.federation.get().is_none() {
        return Ok(swept);
    }
    let (mut after, mut cleared): (Option<String>, usize) = (None, 0);
    loop {
        let page = state.store.relay_marks(after.as_deref(), SWEEP_PAGE).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.case_id.clone());
        let peers = state.store.peers().await?;
        let mut done = Vec::with_capacity(page.len());
        for mark in &page {
            if peers.is_empty() {
                // No peer to relay to: nothing is owed.
                done.push(mark.clone());
                continue;
            }
            swept.cases += 1;
            match queue_for(state, &peers, &mark.case_id).await {
                Ok(written) => {
                    swept.relays += written;
                    done.push(mark.clone());
                }
                Err(error) => {
                    tracing::warn!(case = %mark.case_id, %error, "queueing relays failed; the next sweep retries")
                }
            }
        }
        state.store.clear_relay_marks(&done).await?;
        cleared += done.len();
        if (page.len() as i64) < SWEEP_PAGE {
            break;
        }
    }
    if cleared >= vulnrelay_store::COMPACT_AFTER {
        state.store.compact_relay_marks().await?;
    }
    Ok(swept)
}

/// [`queue`] for every case, a page of ids at a time (the worker's full sweep: what no
/// mark recorded, such as an instance's configuration changed between runs).
pub async fn queue_all(state: &App) -> Result<Swept> {
    let mut swept = Swept::default();
    if state.federation.get().is_none() {
        return Ok(swept);
    }
    let mut after: Option<String> = None;
    loop {
        let page = state.store.case_ids_after(after.as_deref(), SWEEP_PAGE).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.clone());
        let peers = state.store.peers().await?;
        if peers.is_empty() {
            break;
        }
        for id in &page {
            swept.cases += 1;
            match queue_for(state, &peers, id).await {
                Ok(written) => swept.relays += written,
                Err(error) => tracing::warn!(case = %id, %error, "queueing relays failed"),
            }
        }
        if (page.len() as i64) < SWEEP_PAGE {
            break;
        }
    }
    Ok(swept)
}

/// Logs what a sweep of relays did (a failure is logged: the next sweep retries).
pub fn log_sweep(what: &str, result: Result<Swept>) {
    match result {
        Ok(swept) if swept.relays > 0 => {
            tracing::info!(what, cases = swept.cases, relays = swept.relays, "relays queued by a sweep")
        }
        Ok(_) => {}
        Err(error) => tracing::warn!(what, %error, "sweeping relays failed"),
    }
}

async fn try_queue(state: &App, case_id: &str) -> Result<usize> {
    if state.federation.get().is_none() {
        return Ok(0);
    }
    let peers = state.store.peers().await?;
    queue_for(state, &peers, case_id).await
}

/// The relays `case_id` calls for with these peers, written (none without peers).
async fn queue_for(state: &App, peers: &[Peer], case_id: &str) -> Result<usize> {
    let Some(instance) = state.federation.get() else { return Ok(0) };
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
            && host_of(peers, &event.party.0).is_none()
            && let Some(peer) = host_of(peers, &to.0)
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
        let from_peer = |peer: &Peer| match host_of(peers, &event.party.0) {
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
                let outcome = match retry.after_failure(attempt, crate::retry::jitter()) {
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
    let tz = loaded.case.timezone();
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
