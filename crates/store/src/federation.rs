//! Federation: the peers an instance relays cases with, the relays it sends, the
//! envelopes it accepted and refused, and the mirrors it opened (docs/federation.md).
//!
//! Relays are an outbox of signed envelopes: written once (an idempotency key per
//! relayed event, so writing again writes nothing), claimed for a lease like the
//! deliveries of [`crate::warnings`] (`FOR UPDATE SKIP LOCKED` on PostgreSQL), and
//! finished by the holder of the claim: delivered — with the peer's signed receipt
//! and the evidence event it puts on the case, in one transaction —, retried, or
//! dead-lettered. An accepted envelope is stored with the case it opened or changed
//! and the receipt answered, in one transaction; the same key again returns that
//! receipt and writes nothing.

use async_trait::async_trait;
use vulnrelay_domain::Timestamp;

use crate::warnings::{DeliveryState, Outcome};
use crate::{Fragment, NewCase, NewEvent, Result};

/// How many refused envelopes the log keeps (the oldest go first).
pub const REFUSALS_KEPT: i64 = 10_000;

/// A peer instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    /// A short name the operator chooses (`nvdb`).
    pub id: String,
    /// Its base URL.
    pub url: String,
    /// Its Ed25519 public key, hex.
    pub public_key: String,
    /// The organisations it hosts (remote here).
    pub orgs: Vec<String>,
    /// When it was added.
    pub created_at: Timestamp,
}

/// A relay to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRelay {
    /// The peer it goes to.
    pub peer_id: String,
    /// `forward` or `update`.
    pub kind: String,
    /// The local case it is about.
    pub case_id: String,
    /// The event that caused it.
    pub event_seq: i64,
    /// The receiving organisation.
    pub to_org: String,
    /// The same on every attempt; unique.
    pub idempotency_key: String,
    /// The signed envelope (JSON text).
    pub envelope: String,
}

/// A relay as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relay {
    /// Id.
    pub id: String,
    /// Idempotency key.
    pub idempotency_key: String,
    /// The peer.
    pub peer_id: String,
    /// `forward` or `update`.
    pub kind: String,
    /// The local case.
    pub case_id: String,
    /// The event that caused it.
    pub event_seq: i64,
    /// The receiving organisation.
    pub to_org: String,
    /// The signed envelope (JSON text).
    pub envelope: String,
    /// Pending, delivered or dead.
    pub state: DeliveryState,
    /// Attempts so far.
    pub attempts: i64,
    /// When it is due.
    pub next_attempt_at: Timestamp,
    /// The current claim's token.
    pub claim_token: Option<String>,
    /// The last failure.
    pub last_error: Option<String>,
    /// The peer's signed receipt (JSON text), once delivered.
    pub receipt: Option<String>,
    /// When it was written.
    pub created_at: Timestamp,
    /// When it was delivered.
    pub delivered_at: Option<Timestamp>,
}

/// An envelope accepted from a peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inbound {
    /// The sending peer.
    pub peer_id: String,
    /// The envelope's idempotency key.
    pub idempotency_key: String,
    /// `forward` or `update`.
    pub kind: String,
    /// SHA-256 of the envelope's signed bytes.
    pub envelope_sha256: String,
    /// The signed envelope (JSON text).
    pub envelope: String,
}

/// What accepting an envelope stored (or had stored for the same key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The case opened or changed.
    pub case_id: String,
    /// The signed receipt (JSON text).
    pub receipt: String,
    /// SHA-256 of the envelope first accepted under the key.
    pub envelope_sha256: String,
    /// False when the key had been accepted before: nothing was written.
    pub created: bool,
}

/// Where a mirror came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mirror {
    /// The mirror case here.
    pub case_id: String,
    /// The peer it came from.
    pub peer_id: String,
    /// That peer's public key.
    pub origin_instance: String,
    /// The case there.
    pub origin_case: String,
    /// The organisation that forwarded it.
    pub origin_org: String,
    /// How many of the mirror's first events are the origin's (the rest are local).
    pub relayed_events: i64,
}

/// The report a forward carried: its content and its files, stored with the mirror
/// as the report that opened it.
#[derive(Debug, Clone)]
pub struct RelayedReport {
    /// The report's content as the origin took it in (JSON).
    pub body: serde_json::Value,
    /// Its files, with their content.
    pub attachments: Vec<crate::NewAttachment>,
}

/// A refused envelope, as logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayRefusal {
    /// When.
    pub at: Timestamp,
    /// The key the envelope named as its sender.
    pub from_instance: String,
    /// Its idempotency key.
    pub idempotency_key: String,
    /// Why it was refused.
    pub reason: String,
}

/// A case owed a look for relays: a change that may call for one was made to it, or
/// the peers changed, since the sweep last looked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayMark {
    /// The case.
    pub case_id: String,
    /// The mark its last such change left: the sweep removes it only while it is still
    /// this one.
    pub mark: i64,
}

/// Builds the signed receipt (JSON text) of what was stored: from the stored case's id
/// and the hash of its chain head.
pub type ReceiptFn<'a> = &'a (dyn Fn(&str, &str) -> String + Send + Sync);

/// The federation part of the store.
#[async_trait]
pub trait Federation: Send + Sync {
    /// Adds a peer (conflict if the id or the key is known).
    async fn add_peer(&self, peer: &Peer) -> Result<()>;
    /// Every peer, by id.
    async fn peers(&self) -> Result<Vec<Peer>>;
    /// Removes a peer (its relays stay, and fail while it is gone).
    async fn remove_peer(&self, id: &str) -> Result<()>;

    /// One page of the cases owed a look for relays (migration 0033), by id after
    /// `after`, at most `limit`.
    async fn relay_marks(&self, after: Option<&str>, limit: i64) -> Result<Vec<RelayMark>>;
    /// Removes these marks where each is still the one read (a change since keeps its
    /// new mark); on PostgreSQL a mark a writer holds is skipped and read again by the
    /// next sweep.
    async fn clear_relay_marks(&self, marks: &[RelayMark]) -> Result<()>;
    /// After a sweep removed many marks: on PostgreSQL, vacuums their dead rows, which
    /// the next sweep's first page would step over until autovacuum came (nothing on
    /// SQLite).
    async fn compact_relay_marks(&self) -> Result<()>;

    /// Writes relays; one whose idempotency key is known is skipped. Returns how many
    /// were written.
    async fn queue_relays(&self, relays: &[NewRelay], at: Timestamp) -> Result<usize>;
    /// A case's relays, oldest first (every relay with `None`).
    async fn relays(&self, case_id: Option<&str>) -> Result<Vec<Relay>>;
    /// One relay.
    async fn relay(&self, id: &str) -> Result<Relay>;
    /// Claims up to `limit` due relays for `lease_seconds`.
    async fn claim_relays(&self, limit: i64, now: Timestamp, lease_seconds: i64) -> Result<Vec<Relay>>;
    /// Records a relay's outcome under its claim; a delivery stores the receipt and
    /// appends `evidence` to the relay's case in the same transaction. False when the
    /// claim was lost (nothing written).
    async fn finish_relay(
        &self,
        id: &str,
        claim_token: &str,
        outcome: &Outcome,
        receipt: Option<&str>,
        evidence: Option<&NewEvent>,
        at: Timestamp,
    ) -> Result<bool>;
    /// Makes a dead (or any) relay due again now.
    async fn replay_relay(&self, id: &str, at: Timestamp) -> Result<Relay>;

    /// What was accepted from `peer_id` under `key`, if anything.
    async fn inbound(&self, peer_id: &str, key: &str) -> Result<Option<Accepted>>;
    /// Accepts a forward: opens the mirror case with its provenance (`mirror`, whose
    /// `case_id` is ignored: the mirror's id is made here) and the report it carried
    /// with its files, stores the envelope and the receipt `receipt` builds, in one
    /// transaction. A key accepted
    /// before returns what it stored and writes nothing.
    async fn accept_forward(
        &self,
        inbound: &Inbound,
        mirror: &Mirror,
        case: &NewCase,
        report: Option<&RelayedReport>,
        receipt: ReceiptFn<'_>,
    ) -> Result<Accepted>;
    /// Accepts an update: adds `parties` to `case_id` and appends `events`, stores the
    /// envelope and the receipt, in one transaction (a known key: as
    /// [`Federation::accept_forward`]).
    async fn accept_update(
        &self,
        inbound: &Inbound,
        case_id: &str,
        parties: &[Fragment],
        events: &[NewEvent],
        receipt: ReceiptFn<'_>,
        at: Timestamp,
    ) -> Result<Accepted>;
    /// The provenance of a mirror case, if it is one.
    async fn mirror(&self, case_id: &str) -> Result<Option<Mirror>>;

    /// Logs a refused envelope (keeping the latest [`REFUSALS_KEPT`]).
    async fn refuse_relay(&self, refusal: &RelayRefusal) -> Result<()>;
    /// The latest refusals, newest first.
    async fn relay_refusals(&self, limit: i64) -> Result<Vec<RelayRefusal>>;

    /// Stores a peer's CSAF provider metadata as fetched (replacing the last).
    async fn save_mirrored_provider(&self, provider: &MirroredProvider) -> Result<()>;
    /// Every mirrored provider, by peer.
    async fn mirrored_providers(&self) -> Result<Vec<MirroredProvider>>;
    /// Stores a mirrored document (replacing the one at the same peer and path).
    async fn save_mirrored_document(&self, document: &MirroredDocument) -> Result<()>;
    /// The mirrored documents, by peer and path; those of one peer when `peer_id` is
    /// given.
    async fn mirrored_documents(&self, peer_id: Option<&str>) -> Result<Vec<MirroredDocument>>;
}

/// A peer's CSAF provider, as the aggregator last fetched it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MirroredProvider {
    /// The peer.
    pub peer_id: String,
    /// The URL of its `provider-metadata.json`.
    pub url: String,
    /// The metadata (JSON text).
    pub metadata: String,
    /// When it was fetched.
    pub fetched_at: Timestamp,
}

/// A CSAF document mirrored from a peer's provider, its hashes and OpenPGP signature
/// checked before it was stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MirroredDocument {
    /// The peer.
    pub peer_id: String,
    /// Its path under the provider's directory (`2021/cnvd-2021-00001.json`).
    pub path: String,
    /// Where it was fetched from.
    pub url: String,
    /// `document.tracking.id`.
    pub tracking_id: String,
    /// `document.title`.
    pub title: String,
    /// The document, byte for byte as the provider served it.
    pub document: String,
    /// Its SHA-256, hex.
    pub sha256: String,
    /// Its SHA-512, hex.
    pub sha512: String,
    /// The provider's armoured OpenPGP signature (`.asc`).
    pub signature: String,
    /// When it was fetched.
    pub fetched_at: Timestamp,
}
