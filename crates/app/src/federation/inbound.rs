//! Relays in: a peer's signed envelope checked, what it carries stored (a mirror, an
//! update, records) and the signed receipt answered; a refusal is logged.

use crate::App;
use crate::casefile::load;
use crate::error::{Error, RelayKind, Result};
use chrono::Utc;
use serde_json::{Value, json};
use vulnrelay_domain::{AccountRole, EventType, Timestamp};
use vulnrelay_federation::{
    Envelope, Kind, RECEIPT_FORMAT, RELAY_FORMAT, Receipt, RelayedEvent, SignedEnvelope, SignedReceipt,
};
use vulnrelay_store::federation::{Inbound, Mirror, Peer};
use vulnrelay_store::time::{format_ts, parse_ts};
use vulnrelay_store::{Fragment, NewCase, NewEvent, Organisation, Status};

use super::*;

/// `POST /api/v1/federation/relay`: takes in a peer's signed envelope ([`receive`])
/// and answers the signed receipt as JSON; a refusal is the relay's [`Error`].
pub async fn relay(state: &App, body: &[u8]) -> Result<Value> {
    match receive(state, body).await {
        Ok(receipt) => serde_json::to_value(receipt).map_err(Error::internal),
        Err(refused) => Err(Error::from(refused)),
    }
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
                super::outbound::queue(state, &accepted.case_id).await;
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
    let party_values: Vec<Value> = parties.iter().map(|p| p.value.clone()).collect();
    vulnrelay_formats::case_file::extend(&loaded.case, &party_values, &[], &bodies)
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
