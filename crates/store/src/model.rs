//! The records the store keeps. Case-file fragments (parties, products, event bodies)
//! are kept as JSON values in the case-file vocabulary; the server turns them into a
//! `domain::Case` with `formats::case_file`.

use serde_json::Value;
use vulnrelay_domain::{AccountRole, Jurisdiction, Role, Timestamp};

/// Whether a self-registered organisation or account may act yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Approved (or created by an administrator).
    Active,
    /// Registered itself; waits for an analyst's decision.
    Pending,
    /// An analyst rejected the registration.
    Rejected,
}

impl Status {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Pending => "pending",
            Status::Rejected => "rejected",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Status> {
        [Status::Active, Status::Pending, Status::Rejected].into_iter().find(|v| v.as_str() == s)
    }
}

/// An organisation, or an individual registered as a party of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organisation {
    /// Its party id, used in case files (`alibaba-cloud`).
    pub id: String,
    /// Display name (English).
    pub name: String,
    /// Its Chinese name, where one is known; the Chinese UI falls back to `name`.
    pub name_zh: Option<String>,
    /// Its roles in the party vocabulary.
    pub roles: Vec<Role>,
    /// Where it is established.
    pub jurisdiction: Jurisdiction,
    /// Whether it is an individual rather than an organisation.
    pub individual: bool,
    /// Registration status.
    pub status: Status,
    /// When it was created or registered.
    pub created_at: Timestamp,
}

/// A change in an organisation's membership of a scheme (append-only history).
#[derive(Debug, Clone, PartialEq)]
pub struct MembershipChange {
    /// The organisation.
    pub org_id: String,
    /// The scheme, e.g. `miit-threat-sharing`.
    pub scheme: String,
    /// When it took effect.
    pub at: Timestamp,
    /// What changed.
    pub change: MembershipChangeKind,
    /// The account that recorded it.
    pub by_account: Option<String>,
}

/// What changed in a membership.
#[derive(Debug, Clone, PartialEq)]
pub enum MembershipChangeKind {
    /// The organisation joined.
    Joined,
    /// Suspended, until a date if fixed, for a reason, citing findings (`pack/rule`
    /// ids or case ids).
    Suspended {
        /// End of the suspension.
        until: Option<Timestamp>,
        /// Why.
        reason: String,
        /// The findings the suspension rests on.
        findings: Vec<String>,
    },
    /// Restored after a rectification review.
    Restored {
        /// The review's conclusion.
        review: String,
    },
    /// The membership ended.
    Ended,
}

impl MembershipChangeKind {
    /// The stored name.
    pub fn as_str(&self) -> &'static str {
        match self {
            MembershipChangeKind::Joined => "joined",
            MembershipChangeKind::Suspended { .. } => "suspended",
            MembershipChangeKind::Restored { .. } => "restored",
            MembershipChangeKind::Ended => "ended",
        }
    }
}

/// A new account.
#[derive(Debug, Clone)]
pub struct NewAccount {
    /// Login e-mail address (unique).
    pub email: String,
    /// Display name.
    pub name: String,
    /// The argon2id PHC string.
    pub password_hash: String,
    /// The organisation it acts for.
    pub org_id: Option<String>,
    /// Its roles.
    pub roles: Vec<AccountRole>,
    /// Registration status.
    pub status: Status,
}

/// An account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Identifier.
    pub id: String,
    /// Login e-mail address.
    pub email: String,
    /// Display name.
    pub name: String,
    /// The argon2id PHC string (never shown).
    pub password_hash: String,
    /// The organisation it acts for.
    pub org_id: Option<String>,
    /// Its roles.
    pub roles: Vec<AccountRole>,
    /// Registration status.
    pub status: Status,
    /// When it was created.
    pub created_at: Timestamp,
}

/// An API token's record (the token itself is shown once and only its hash is kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    /// Identifier.
    pub id: String,
    /// The account it acts as.
    pub account_id: String,
    /// A name chosen by its owner.
    pub name: String,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it was revoked.
    pub revoked_at: Option<Timestamp>,
}

/// A login session (the cookie value is kept only as a hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The account.
    pub account_id: String,
    /// The CSRF token forms must carry.
    pub csrf_token: String,
    /// When it expires.
    pub expires_at: Timestamp,
}

/// A case's own record (its story is in its events).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseRecord {
    /// Identifier.
    pub id: String,
    /// Title.
    pub title: String,
    /// IANA time zone used to show its times.
    pub timezone: String,
    /// The reporting organisation.
    pub reporter_org: String,
    /// The platform that received it.
    pub platform_org: String,
    /// When it was opened.
    pub created_at: Timestamp,
    /// How many events it has.
    pub last_seq: i64,
    /// The planned public date (embargo end), if set.
    pub planned_public_at: Option<Timestamp>,
}

/// A case party or product: its id and case-file JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct Fragment {
    /// The id within the case.
    pub id: String,
    /// The case-file object.
    pub value: Value,
}

/// An event to append.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// When it happened (the event's `at`).
    pub at: Timestamp,
    /// The case-file event object.
    pub body: Value,
    /// The account that recorded it.
    pub recorded_by: Option<String>,
    /// The reason given for overriding a gate, if one was overridden.
    pub override_reason: Option<String>,
}

/// An event as stored, with its place in the case's hash chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// The case.
    pub case_id: String,
    /// Position in the case's log, from 1.
    pub seq: i64,
    /// When it happened.
    pub at: Timestamp,
    /// When it was recorded.
    pub recorded_at: Timestamp,
    /// Who recorded it.
    pub recorded_by: Option<String>,
    /// The reason given for overriding a gate.
    pub override_reason: Option<String>,
    /// The case-file event object, as canonical JSON text.
    pub body: String,
    /// The previous event's hash (empty for the first).
    pub prev_hash: String,
    /// SHA-256 of the canonical encoding (see [`crate::chain`]).
    pub hash: String,
}

/// An attachment to a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAttachment {
    /// File name as given.
    pub filename: String,
    /// Media type as given.
    pub media_type: String,
    /// Whether it is exploit code (never published).
    pub exploit_code: bool,
    /// The bytes.
    pub content: Vec<u8>,
}

/// An attachment's metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// Identifier.
    pub id: String,
    /// The case.
    pub case_id: String,
    /// File name.
    pub filename: String,
    /// Media type.
    pub media_type: String,
    /// Size in bytes.
    pub size: i64,
    /// SHA-256 of the content, hex.
    pub sha256: String,
    /// Whether it is exploit code.
    pub exploit_code: bool,
}

/// A report to take in: the case it opens, its first events and its receipt, all
/// written in one transaction.
#[derive(Debug, Clone)]
pub struct NewReport {
    /// The case's title.
    pub title: String,
    /// Its time zone.
    pub timezone: String,
    /// The reporting organisation.
    pub reporter_org: String,
    /// The receiving platform.
    pub platform_org: String,
    /// The report's content as submitted (JSON).
    pub body: Value,
    /// The submitting account.
    pub submitted_by: Option<String>,
    /// A client-chosen key: a retried submission with the same key opens no second case.
    pub idempotency_key: Option<String>,
    /// The case's parties (case-file objects).
    pub parties: Vec<Fragment>,
    /// The case's products (case-file objects).
    pub products: Vec<Fragment>,
    /// The first events (discovery, awareness, the report to the platform).
    pub events: Vec<NewEvent>,
    /// Attachments.
    pub attachments: Vec<NewAttachment>,
    /// How it came in (`api`, `web`, ...), for the receipt.
    pub channel: String,
    /// Who submitted it, for the receipt.
    pub submitter: String,
    /// When it was received.
    pub received_at: Timestamp,
}

/// What an intake wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intake {
    /// The case opened.
    pub case_id: String,
    /// The report.
    pub report_id: String,
    /// The receipt.
    pub receipt_id: String,
    /// False when the idempotency key had been seen: nothing new was written.
    pub created: bool,
}

/// The stored report of a case.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportRecord {
    /// Identifier.
    pub id: String,
    /// The case.
    pub case_id: String,
    /// Submitting account.
    pub submitted_by: Option<String>,
    /// Content as submitted.
    pub body: Value,
    /// When it was received.
    pub created_at: Timestamp,
}

/// An event the gates refused on a case, as kept beside its log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateRefusal {
    /// The case.
    pub case_id: String,
    /// When it was refused.
    pub at: Timestamp,
    /// The account that attempted it (none: the system, e.g. a forwarding rule).
    pub recorded_by: Option<String>,
    /// The organisation whose event it would have been.
    pub party: String,
    /// The event's type (e.g. `notified`).
    pub event_type: String,
    /// Its recipient, for a notification or a forward.
    pub recipient: Option<String>,
    /// The refusing rules: `[{rule, article, instrument, message}]` (JSON).
    pub rules: Value,
}

/// One line of the receipt log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// Identifier.
    pub id: String,
    /// The case the report opened.
    pub case_id: String,
    /// When it was received.
    pub received_at: Timestamp,
    /// How it came in.
    pub channel: String,
    /// Who submitted it.
    pub submitter: String,
}

/// A comment on a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    /// Identifier.
    pub id: String,
    /// The case.
    pub case_id: String,
    /// The author.
    pub account_id: Option<String>,
    /// When it was written.
    pub at: Timestamp,
    /// The text.
    pub body: String,
}

/// A message waiting in the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxMessage {
    /// Identifier.
    pub id: String,
    /// What it is about, e.g. `case.opened`.
    pub topic: String,
    /// Its content.
    pub payload: Value,
    /// When it was written.
    pub created_at: Timestamp,
    /// How many times it was claimed.
    pub attempts: i64,
}

/// A message to put in the outbox with a change.
#[derive(Debug, Clone, PartialEq)]
pub struct NewOutboxMessage {
    /// What it is about.
    pub topic: String,
    /// Its content.
    pub payload: Value,
}

/// A change to a case: events to append and parties to add, with the outbox messages
/// that announce it, written in one transaction.
#[derive(Debug, Clone, Default)]
pub struct CaseChange {
    /// The number of events the caller saw; the change is refused as stale if another
    /// writer appended since. `None`: append whatever the log holds.
    pub expected_seq: Option<i64>,
    /// Parties to add (ignored when already on the case).
    pub parties: Vec<Fragment>,
    /// Events to append, in order.
    pub events: Vec<NewEvent>,
    /// Messages for the outbox.
    pub outbox: Vec<NewOutboxMessage>,
    /// Products to add (ignored when already on the case), after the ones it has.
    pub products: Vec<Fragment>,
    /// Private notes that belong to the change's events, kept beside the log.
    pub private_notes: Vec<crate::coordination::PrivateNote>,
    /// Notices to participants, delivered through the delivery outbox (once per key).
    pub notices: Vec<crate::coordination::Notice>,
}

/// What `verify` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Cases whose chains were walked.
    pub cases: usize,
    /// Events checked.
    pub events: usize,
    /// Organisation logs walked.
    pub org_logs: usize,
    /// Organisation log entries checked.
    pub org_events: usize,
    /// Every broken link, in walking order (none: every chain holds).
    pub broken: Vec<BrokenLink>,
}

/// A signed checkpoint of a chain's head (`crate::checkpoint`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// `case/<id>` or `org/<id>`.
    pub chain: String,
    /// The head's sequence number.
    pub seq: i64,
    /// The head's hash.
    pub hash: String,
    /// When it was signed.
    pub signed_at: Timestamp,
    /// The signing key's public half, in hex.
    pub public_key: String,
    /// The Ed25519 signature over `checkpoint::message`, in hex.
    pub signature: String,
}

/// A link in an event chain that does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenLink {
    /// The case, or `org/<id>` for an organisation's own log.
    pub case_id: String,
    /// The event's position.
    pub seq: i64,
    /// What is wrong.
    pub reason: String,
}

impl Organisation {
    /// Its name in Chinese (`chinese`) or English: the Chinese name where one is
    /// known, else the display name.
    pub fn name_in(&self, chinese: bool) -> &str {
        match &self.name_zh {
            Some(zh) if chinese => zh,
            _ => &self.name,
        }
    }

    /// The roles as stored: comma-separated wire names.
    pub(crate) fn roles_text(roles: &[Role]) -> String {
        roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(",")
    }
}

pub(crate) fn account_roles_text(roles: &[AccountRole]) -> String {
    roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(",")
}
