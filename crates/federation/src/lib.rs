#![doc = include_str!("../README.md")]

use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The envelope format this crate writes and reads.
pub const RELAY_FORMAT: &str = "vulnrelay/relay/v1";
/// The receipt format this crate writes and reads.
pub const RECEIPT_FORMAT: &str = "vulnrelay/receipt/v1";
/// The version of the federation API an instance publishes.
pub const API_VERSION: &str = "v1";
/// The largest number of events an envelope may carry.
pub const MAX_EVENTS: usize = 10_000;
/// The largest number of vulnerability records an envelope may carry.
pub const MAX_RECORDS: usize = 100;
/// The largest number of report attachments a forward may carry.
pub const MAX_ATTACHMENTS: usize = 20;

/// Why an envelope or a receipt is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Not the format this instance speaks.
    #[error("unknown format `{0}` (expected `{RELAY_FORMAT}` or `{RECEIPT_FORMAT}`)")]
    Format(String),
    /// A public key that is not 32 bytes of hex, or not a valid Ed25519 point.
    #[error("not an Ed25519 public key: `{0}`")]
    Key(String),
    /// The signature does not verify under the key.
    #[error("the signature does not verify under the sender's key")]
    Signature,
    /// The event chain the envelope carries does not hold.
    #[error("event {seq}: {reason}")]
    Chain {
        /// The event's position in the origin's log.
        seq: i64,
        /// What is wrong.
        reason: String,
    },
    /// A field that does not fit (empty, too many events, ...).
    #[error("{0}")]
    Invalid(String),
}

/// What a relay envelope carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A case forwarded to an organisation the recipient hosts (a mirror is opened).
    Forward,
    /// Events recorded on a mirror, flowing back to the origin case.
    Update,
    /// The vulnerability records of a mirror (with the identifiers assigned there),
    /// flowing back to the origin case.
    Records,
}

/// A relay envelope (`vulnrelay/relay/v1`), before signing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    /// Always [`RELAY_FORMAT`].
    pub format: String,
    /// Forward or update.
    pub kind: Kind,
    /// The sender's public key (hex): its instance id.
    pub from_instance: String,
    /// The recipient's public key (hex).
    pub to_instance: String,
    /// The sending organisation (a party of the case).
    pub from_org: String,
    /// The receiving organisation, hosted by the recipient.
    pub to_org: String,
    /// The same on every retry of one relay; the receiver stores it once.
    pub idempotency_key: String,
    /// The case's content the recipient may see.
    pub case: RelayedCase,
}

/// A case as relayed: the content the recipient may see, with the sender's chain head.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelayedCase {
    /// The case's id at the sender (for a forward: the origin; for an update: the
    /// recipient's own case the update is about).
    pub origin_case: String,
    /// For an update: the mirror's id at the sender.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mirror_case: Option<String>,
    /// Its title.
    pub title: String,
    /// Its IANA time zone.
    pub timezone: String,
    /// The reporting organisation.
    pub reporter_org: String,
    /// The report that opened it (JSON as submitted), if the recipient may see it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<Value>,
    /// Parties (case-file objects).
    pub parties: Vec<Value>,
    /// Products (case-file objects).
    pub products: Vec<Value>,
    /// Events with their hashes and recorded times, in log order (none for records).
    pub events: Vec<RelayedEvent>,
    /// Vulnerability records (vulnrelay record JSON) of the case: only in a
    /// [`Kind::Records`] envelope.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub records: Vec<Value>,
    /// The files of the report that opened the case, with their content: only in a
    /// [`Kind::Forward`], and exploit code only where the sender's access rules let the
    /// recipient read it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<RelayedAttachment>,
    /// The sender's chain head when it relayed.
    pub head: Head,
}

/// A file of the case's report, relayed with its content (covered by the signature).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelayedAttachment {
    /// Its file name (a plain name).
    pub filename: String,
    /// Its media type.
    pub media_type: String,
    /// Whether it is exploit code (never published).
    pub exploit_code: bool,
    /// SHA-256 of the content, hex.
    pub sha256: String,
    /// The content, base64 (standard alphabet, padded).
    pub content: String,
}

impl RelayedAttachment {
    /// A file `filename` of `media_type` with `bytes`.
    pub fn new(filename: &str, media_type: &str, exploit_code: bool, bytes: &[u8]) -> RelayedAttachment {
        use base64::Engine as _;
        RelayedAttachment {
            filename: filename.to_owned(),
            media_type: media_type.to_owned(),
            exploit_code,
            sha256: sha256_hex(bytes),
            content: base64::engine::general_purpose::STANDARD.encode(bytes),
        }
    }

    /// The content, when it decodes and its SHA-256 is the one stated.
    pub fn bytes(&self) -> Result<Vec<u8>, Refusal> {
        use base64::Engine as _;
        let bytes = base64::engine::general_purpose::STANDARD.decode(&self.content).map_err(|_| {
            Refusal::Invalid(format!("attachment `{}`: the content is not base64", self.filename))
        })?;
        if sha256_hex(&bytes) != self.sha256 {
            return Err(Refusal::Invalid(format!(
                "attachment `{}`: the content does not match its SHA-256",
                self.filename
            )));
        }
        Ok(bytes)
    }

    /// Checks the name, the media type and the content against its hash.
    fn check(&self) -> Result<(), Refusal> {
        let plain = !self.filename.trim().is_empty()
            && self.filename.len() <= 255
            && !self.filename.contains(['/', '\\'])
            && !self.filename.chars().any(char::is_control)
            && self.filename != ".."
            && self.filename != ".";
        if !plain {
            return Err(Refusal::Invalid(format!("attachment `{}`: not a plain file name", self.filename)));
        }
        if self.media_type.is_empty() || self.media_type.len() > 255 {
            return Err(Refusal::Invalid(format!(
                "attachment `{}`: media type of 1 to 255 characters",
                self.filename
            )));
        }
        self.bytes().map(|_| ())
    }
}

/// A chain head: the last event's position and hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Head {
    /// Position of the last event (0 for none).
    pub seq: i64,
    /// Its hash (empty for none).
    pub hash: String,
}

/// One event of the sender's log, with everything its hash covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelayedEvent {
    /// Position in the sender's log, from 1.
    pub seq: i64,
    /// When it happened (UTC, the store's fixed format).
    pub at: String,
    /// When the sender recorded it.
    pub recorded_at: String,
    /// The sender's account that recorded it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorded_by: Option<String>,
    /// The reason given for overriding a gate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub override_reason: Option<String>,
    /// The case-file event object, as canonical JSON text.
    pub body: String,
    /// The previous event's hash (empty for the first).
    pub prev_hash: String,
    /// This event's hash.
    pub hash: String,
}

/// A signed envelope: what goes on the wire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedEnvelope {
    /// The envelope.
    pub envelope: Envelope,
    /// Ed25519 over [`Envelope::signed_bytes`], hex.
    pub signature: String,
}

/// What the receiver stored and when, by its own clock (`vulnrelay/receipt/v1`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    /// Always [`RECEIPT_FORMAT`].
    pub format: String,
    /// The receiver's public key (hex).
    pub receiver_instance: String,
    /// The receiving organisation.
    pub receiver_org: String,
    /// The envelope's idempotency key.
    pub idempotency_key: String,
    /// SHA-256 of the envelope's signed bytes, hex: what was received.
    pub envelope_sha256: String,
    /// The sender's case.
    pub origin_case: String,
    /// The receiver's case (the mirror, or the case an update was applied to).
    pub stored_case: String,
    /// The hash of the receiver's chain head after storing: what it stored.
    pub stored_head: String,
    /// When the receiver recorded it (UTC), by the receiver's clock.
    pub received_at: String,
}

/// A signed receipt: the receiver's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedReceipt {
    /// The receipt.
    pub receipt: Receipt,
    /// Ed25519 over [`Receipt::signed_bytes`], hex.
    pub signature: String,
}

/// The canonical JSON text of a value: object keys sorted, no insignificant whitespace.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(&map[key], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// SHA-256 of `bytes`, hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The fingerprint operators compare out of band: `SHA256:` and the hex SHA-256 of the
/// 32 key bytes (of the hex text when it is not a key).
pub fn fingerprint(public_key: &str) -> String {
    let bytes = hex::decode(public_key).unwrap_or_else(|_| public_key.as_bytes().to_vec());
    format!("SHA256:{}", sha256_hex(&bytes))
}

fn signed_bytes<T: Serialize>(tag: &str, value: &T) -> Vec<u8> {
    // Serialising these plain structs to a JSON value cannot fail.
    let value = serde_json::to_value(value).unwrap_or(Value::Null);
    format!("{tag}\n{}", canonical_json(&value)).into_bytes()
}

fn verifying_key(public_key: &str) -> Result<VerifyingKey, Refusal> {
    let bytes: [u8; 32] = hex::decode(public_key)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| Refusal::Key(public_key.to_owned()))?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| Refusal::Key(public_key.to_owned()))
}

fn verify(public_key: &str, bytes: &[u8], signature: &str) -> Result<(), Refusal> {
    let key = verifying_key(public_key)?;
    let signature: [u8; 64] =
        hex::decode(signature).ok().and_then(|b| b.try_into().ok()).ok_or(Refusal::Signature)?;
    key.verify_strict(bytes, &Signature::from_bytes(&signature)).map_err(|_| Refusal::Signature)
}

impl Envelope {
    /// The bytes that are signed and hashed: the format tag and the canonical JSON.
    pub fn signed_bytes(&self) -> Vec<u8> {
        signed_bytes(RELAY_FORMAT, self)
    }

    /// SHA-256 of [`Envelope::signed_bytes`], hex.
    pub fn sha256(&self) -> String {
        sha256_hex(&self.signed_bytes())
    }

    /// Checks what needs no key: the format, non-empty names, the number of events,
    /// the links between the events and the head, and each event's hash as the store
    /// computes it (`hash_of(case, event)`, the case being the sender's). A forward
    /// carries the sender's log from its first event; an update carries events that
    /// follow one another from any position.
    pub fn check(&self, hash_of: impl Fn(&str, &RelayedEvent) -> String) -> Result<(), Refusal> {
        if self.format != RELAY_FORMAT {
            return Err(Refusal::Format(self.format.clone()));
        }
        for (name, value) in [
            ("from_org", &self.from_org),
            ("to_org", &self.to_org),
            ("idempotency_key", &self.idempotency_key),
            ("case.origin_case", &self.case.origin_case),
        ] {
            if value.trim().is_empty() || value.len() > 256 {
                return Err(Refusal::Invalid(format!("`{name}` must be 1 to 256 characters")));
            }
        }
        if self.kind != Kind::Forward && !self.case.attachments.is_empty() {
            return Err(Refusal::Invalid("only a `forward` envelope carries attachments".into()));
        }
        if self.case.attachments.len() > MAX_ATTACHMENTS {
            return Err(Refusal::Invalid(format!("at most {MAX_ATTACHMENTS} attachments")));
        }
        for attachment in &self.case.attachments {
            attachment.check()?;
        }
        if self.kind == Kind::Records {
            return self.check_records();
        }
        if !self.case.records.is_empty() {
            return Err(Refusal::Invalid("only a `records` envelope carries records".into()));
        }
        if self.case.events.is_empty() || self.case.events.len() > MAX_EVENTS {
            return Err(Refusal::Invalid(format!("1 to {MAX_EVENTS} events")));
        }
        let sender_case = match self.kind {
            Kind::Forward => self.case.origin_case.as_str(),
            Kind::Update | Kind::Records => self.sender_case()?,
        };
        let first = &self.case.events[0];
        let (mut prev, mut expected_seq) = match self.kind {
            Kind::Forward => (String::new(), 1),
            Kind::Update | Kind::Records => (first.prev_hash.clone(), first.seq),
        };
        for event in &self.case.events {
            let chain = |reason: &str| Refusal::Chain { seq: event.seq, reason: reason.to_owned() };
            if event.seq != expected_seq {
                return Err(chain("events do not follow one another (a forward starts at 1)"));
            }
            if event.prev_hash != prev {
                return Err(chain("the previous hash does not match the previous event"));
            }
            if hash_of(sender_case, event) != event.hash {
                return Err(chain("the event's hash does not match its content"));
            }
            prev = event.hash.clone();
            expected_seq += 1;
        }
        if expected_seq - 1 != self.case.head.seq || prev != self.case.head.hash {
            return Err(Refusal::Chain {
                seq: self.case.head.seq,
                reason: "the head is not the last event".into(),
            });
        }
        Ok(())
    }
}

impl Envelope {
    fn sender_case(&self) -> Result<&str, Refusal> {
        self.case
            .mirror_case
            .as_deref()
            .ok_or_else(|| Refusal::Invalid("an update names the sender's case in `mirror_case`".into()))
    }

    /// A records envelope: no events, 1 to [`MAX_RECORDS`] records, each an object
    /// with an `id`.
    fn check_records(&self) -> Result<(), Refusal> {
        self.sender_case()?;
        if !self.case.events.is_empty() {
            return Err(Refusal::Invalid("a `records` envelope carries no events".into()));
        }
        if self.case.records.is_empty() || self.case.records.len() > MAX_RECORDS {
            return Err(Refusal::Invalid(format!("1 to {MAX_RECORDS} records")));
        }
        for (index, record) in self.case.records.iter().enumerate() {
            let id = record.get("id").and_then(Value::as_str).unwrap_or_default();
            if id.trim().is_empty() || id.len() > 256 {
                return Err(Refusal::Invalid(format!("record {index}: `id` must be 1 to 256 characters")));
            }
        }
        Ok(())
    }
}

/// Checks that `public_key` is an Ed25519 public key in hex (64 digits, a valid point).
pub fn check_public_key(public_key: &str) -> Result<(), Refusal> {
    verifying_key(public_key).map(|_| ())
}

impl SignedEnvelope {
    /// Checks the signature against `public_key` (hex), the configured peer's key.
    pub fn verify(&self, public_key: &str) -> Result<(), Refusal> {
        verify(public_key, &self.envelope.signed_bytes(), &self.signature)
    }
}

impl Receipt {
    /// The bytes that are signed: the format tag and the canonical JSON.
    pub fn signed_bytes(&self) -> Vec<u8> {
        signed_bytes(RECEIPT_FORMAT, self)
    }
}

impl SignedReceipt {
    /// Checks the format and the signature against `public_key` (hex): the peer's key
    /// the envelope was sent to.
    pub fn verify(&self, public_key: &str) -> Result<(), Refusal> {
        if self.receipt.format != RECEIPT_FORMAT {
            return Err(Refusal::Format(self.receipt.format.clone()));
        }
        if self.receipt.receiver_instance != public_key {
            return Err(Refusal::Key(self.receipt.receiver_instance.clone()));
        }
        verify(public_key, &self.receipt.signed_bytes(), &self.signature)
    }
}

/// An instance's Ed25519 identity.
pub struct Identity {
    key: SigningKey,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Identity({})", self.public_key())
    }
}

impl Identity {
    /// The identity of a 32-byte seed.
    pub fn from_seed(seed: [u8; 32]) -> Identity {
        Identity { key: SigningKey::from_bytes(&seed) }
    }

    /// The public key, hex: the instance's id.
    pub fn public_key(&self) -> String {
        hex::encode(self.key.verifying_key().as_bytes())
    }

    /// The public key's fingerprint ([`fingerprint`]).
    pub fn fingerprint(&self) -> String {
        fingerprint(&self.public_key())
    }

    /// Signs an envelope.
    pub fn sign_envelope(&self, envelope: Envelope) -> SignedEnvelope {
        let signature = hex::encode(self.key.sign(&envelope.signed_bytes()).to_bytes());
        SignedEnvelope { envelope, signature }
    }

    /// Signs a receipt.
    pub fn sign_receipt(&self, receipt: Receipt) -> SignedReceipt {
        let signature = hex::encode(self.key.sign(&receipt.signed_bytes()).to_bytes());
        SignedReceipt { receipt, signature }
    }
}
